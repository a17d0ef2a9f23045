/** Row kernels of the embedding lookup and its gradient; batch norm's per-channel kernels. */
import { float32, type DType, type TypedArray } from "../../core/dtype.ts";
import type { Layout } from "../../core/layout.ts";

/** Rows `rows` of a 2-D table, in order, as one contiguous array. */
export function gatherRowsKernel(table: TypedArray, layout: Layout, rows: BigInt64Array, out: DType): TypedArray {
  const cols = layout.shape[1]!, rs = layout.strides[0]!, cs = layout.strides[1]!, off = layout.offset;
  const res = out.alloc(rows.length * cols) as Float32Array;
  const src = table as Float32Array;
  for (let i = 0; i < rows.length; i++) {
    const base = off + Number(rows[i]!) * rs, o = i * cols;
    for (let j = 0; j < cols; j++) res[o + j] = src[base + j * cs]!;
  }
  return res;
}

/** The embedding gradient: row i of `grad` added into row rows[i] of a [numRows, dim] zero table. */
export function scatterAddRowsKernel(grad: TypedArray, rows: BigInt64Array, numRows: number, dim: number, skipRow: number, out: DType): TypedArray {
  const res = out.alloc(numRows * dim) as Float32Array, g = grad as Float32Array;
  for (let i = 0; i < rows.length; i++) {
    const r = Number(rows[i]!);
    if (r === skipRow) continue;
    const o = r * dim, s = i * dim;
    for (let j = 0; j < dim; j++) res[o + j]! += g[s + j]!;
  }
  return res;
}

// Batch norm's channel sums run over a channel's n segments of l elements in four float64 lanes
// (element j of a segment, j below l & ~3, goes to lane j % 4) and the segments' tails in a fifth
// sum; total = ((lane0 + lane2) + (lane1 + lane3)) + tails. The SIMD kernels (wasm/assembly/norm.ts)
// sum in this order, so both backends give the same bits.

/**
 * Per-channel statistics of a contiguous [n, c, l] array, as PyTorch 1.13's
 * batch_norm_cpu_collect_stats: the sum in float64, the mean rounded to the dtype, then the sum
 * of the squared deviations (each deviation and square in the dtype) in float64, rounded.
 */
export function channelStatsKernel(x: TypedArray, n: number, c: number, l: number, dtype: DType): { mean: Float64Array; varSum: Float64Array } {
  const src = x as Float32Array, f32 = dtype === float32, count = n * l, l4 = l & ~3;
  const mean = new Float64Array(c), varSum = new Float64Array(c);
  for (let ch = 0; ch < c; ch++) {
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0, t = 0;
    for (let b = 0; b < n; b++) {
      const o = (b * c + ch) * l;
      let j = o;
      for (const e = o + l4; j < e; j += 4) { s0 += src[j]!; s1 += src[j + 1]!; s2 += src[j + 2]!; s3 += src[j + 3]!; }
      for (const e = o + l; j < e; j++) t += src[j]!;
    }
    const sum = ((s0 + s2) + (s1 + s3)) + t;
    const m = f32 ? Math.fround(sum / count) : sum / count;
    s0 = s1 = s2 = s3 = t = 0;
    for (let b = 0; b < n; b++) {
      const o = (b * c + ch) * l;
      let j = o;
      if (f32) {
        for (const e = o + l4; j < e; j += 4) {
          const d0 = Math.fround(src[j]! - m), d1 = Math.fround(src[j + 1]! - m), d2 = Math.fround(src[j + 2]! - m), d3 = Math.fround(src[j + 3]! - m);
          s0 += Math.fround(d0 * d0); s1 += Math.fround(d1 * d1); s2 += Math.fround(d2 * d2); s3 += Math.fround(d3 * d3);
        }
        for (const e = o + l; j < e; j++) { const d = Math.fround(src[j]! - m); t += Math.fround(d * d); }
      } else {
        for (const e = o + l4; j < e; j += 4) {
          const d0 = src[j]! - m, d1 = src[j + 1]! - m, d2 = src[j + 2]! - m, d3 = src[j + 3]! - m;
          s0 += d0 * d0; s1 += d1 * d1; s2 += d2 * d2; s3 += d3 * d3;
        }
        for (const e = o + l; j < e; j++) { const d = src[j]! - m; t += d * d; }
      }
    }
    const vs = ((s0 + s2) + (s1 + s3)) + t;
    mean[ch] = m;
    varSum[ch] = f32 ? Math.fround(vs) : vs;
  }
  return { mean, varSum };
}

/** y = x·alpha[ch] + beta[ch] over a contiguous [n, c, l] array, each step rounded to the dtype (batch norm's transform). */
export function channelAffineKernel(x: TypedArray, n: number, c: number, l: number, alpha: Float64Array, beta: Float64Array, dtype: DType): TypedArray {
  const src = x as Float32Array, out = dtype.alloc(n * c * l) as Float32Array;
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const a = alpha[ch]!, be = beta[ch]!;
      // a Float32Array store rounds the sum; the product is rounded first, as PyTorch's vector mul then add
      if (dtype === float32) for (let i = (b * c + ch) * l, end = i + l; i < end; i++) out[i] = Math.fround(src[i]! * a) + be;
      else for (let i = (b * c + ch) * l, end = i + l; i < end; i++) out[i] = src[i]! * a + be;
    }
  }
  return out;
}

/** Per channel Σ g and Σ (x - mean)·g (the deviation rounded to the dtype) in float64, in the lanes above. */
function channelGradSums(gs: Float32Array, xs: Float32Array, n: number, c: number, l: number, mean: Float64Array, f32: boolean): { sum: Float64Array; dotp: Float64Array } {
  const sum = new Float64Array(c), dotp = new Float64Array(c), l4 = l & ~3;
  // Math.fround written out in the float32 loops (a rounding function in a variable is not inlined)
  for (let ch = 0; ch < c; ch++) {
    const m = mean[ch]!;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0, st = 0, d0 = 0, d1 = 0, d2 = 0, d3 = 0, dt = 0;
    for (let b = 0; b < n; b++) {
      const o = (b * c + ch) * l;
      let j = o;
      if (f32) {
        for (const e = o + l4; j < e; j += 4) {
          const g0 = gs[j]!, g1 = gs[j + 1]!, g2 = gs[j + 2]!, g3 = gs[j + 3]!;
          s0 += g0; s1 += g1; s2 += g2; s3 += g3;
          d0 += Math.fround(xs[j]! - m) * g0; d1 += Math.fround(xs[j + 1]! - m) * g1;
          d2 += Math.fround(xs[j + 2]! - m) * g2; d3 += Math.fround(xs[j + 3]! - m) * g3;
        }
        for (const e = o + l; j < e; j++) { const gj = gs[j]!; st += gj; dt += Math.fround(xs[j]! - m) * gj; }
      } else {
        for (const e = o + l4; j < e; j += 4) {
          const g0 = gs[j]!, g1 = gs[j + 1]!, g2 = gs[j + 2]!, g3 = gs[j + 3]!;
          s0 += g0; s1 += g1; s2 += g2; s3 += g3;
          d0 += (xs[j]! - m) * g0; d1 += (xs[j + 1]! - m) * g1; d2 += (xs[j + 2]! - m) * g2; d3 += (xs[j + 3]! - m) * g3;
        }
        for (const e = o + l; j < e; j++) { const gj = gs[j]!; st += gj; dt += (xs[j]! - m) * gj; }
      }
    }
    sum[ch] = ((s0 + s2) + (s1 + s3)) + st;
    dotp[ch] = ((d0 + d2) + (d1 + d3)) + dt;
  }
  return { sum, dotp };
}

/**
 * Batch norm's backward over contiguous [n, c, l] arrays of the output gradient `g` and the input
 * `x`, as PyTorch 1.13's batch_norm_cpu_backward: per channel sum = Σ g and dotp = Σ (x - mean)·g
 * in float64; then, when `gradInput`, dx = ((g - sum/N) - (x - mean)·k)·invstd·w with
 * k = dotp·invstd²/N for the batch's statistics, or dx = g·invstd·w for fixed ones.
 */
export function channelNormBackwardKernel(
  g: TypedArray, x: TypedArray, n: number, c: number, l: number, mean: Float64Array, invstd: Float64Array,
  weight: Float64Array | null, training: boolean, gradInput: boolean, dtype: DType,
): { dx: TypedArray | null; sum: Float64Array; dotp: Float64Array } {
  const gs = g as Float32Array, xs = x as Float32Array, count = n * l, f32 = dtype === float32;
  const { sum, dotp } = channelGradSums(gs, xs, n, c, l, mean, f32);
  if (!gradInput) return { dx: null, sum, dotp };
  const dx = dtype.alloc(n * c * l) as Float32Array;
  const r = f32 ? Math.fround : (v: number) => v;
  for (let ch = 0; ch < c; ch++) {
    const m = mean[ch]!, is = invstd[ch]!, w = weight === null ? 1 : weight[ch]!;
    const k = r(dotp[ch]! * is * is / count), gm = r(sum[ch]! / count);
    for (let b = 0; b < n; b++) {
      const start = (b * c + ch) * l, end = start + l;
      if (!training) for (let i = start; i < end; i++) dx[i] = r(gs[i]! * is) * w;
      else if (f32) {
        for (let i = start; i < end; i++) {
          dx[i] = Math.fround(Math.fround(Math.fround(gs[i]! - gm) - Math.fround(Math.fround(xs[i]! - m) * k)) * is) * w;
        }
      } else for (let i = start; i < end; i++) dx[i] = (gs[i]! - gm - (xs[i]! - m) * k) * is * w;
    }
  }
  return { dx, sum, dotp };
}

/**
 * Layer norm over the rows of a contiguous [rows, cols] array, as PyTorch 1.13's LayerNormKernel
 * computes it: per row the mean and the biased variance (float64 sums, each summed in four lanes
 * as the SIMD kernel sums them, so both backends give the same bits), rstd = 1/√(var + eps), then
 * y = (x·a + c)·w + b with a = rstd and c = -a·mean, each step rounded to the dtype.
 */
export function layerNormKernel(
  x: TypedArray, rows: number, cols: number, weight: TypedArray | null, bias: TypedArray | null, eps: number, dtype: DType,
): { y: TypedArray; mean: Float64Array; rstd: Float64Array } {
  const xs = x as Float32Array, w = weight as Float32Array | null, b = bias as Float32Array | null;
  const y = dtype.alloc(rows * cols) as Float32Array, mean = new Float64Array(rows), rstd = new Float64Array(rows);
  const f32 = dtype === float32, n4 = cols & ~3;
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (let j = 0; j < n4; j += 4) { s0 += xs[o + j]!; s1 += xs[o + j + 1]!; s2 += xs[o + j + 2]!; s3 += xs[o + j + 3]!; }
    let s = (s0 + s2) + (s1 + s3);
    for (let j = n4; j < cols; j++) s += xs[o + j]!;
    const m = s / cols;
    s0 = s1 = s2 = s3 = 0;
    for (let j = 0; j < n4; j += 4) {
      const d0 = xs[o + j]! - m, d1 = xs[o + j + 1]! - m, d2 = xs[o + j + 2]! - m, d3 = xs[o + j + 3]! - m;
      s0 += d0 * d0; s1 += d1 * d1; s2 += d2 * d2; s3 += d3 * d3;
    }
    let q = (s0 + s2) + (s1 + s3);
    for (let j = n4; j < cols; j++) { const d = xs[o + j]! - m; q += d * d; }
    const rs = 1 / Math.sqrt(q / cols + eps);
    mean[r] = m;
    rstd[r] = rs;
    if (f32) {
      const a = Math.fround(rs), c = Math.fround(-a * Math.fround(m));
      for (let j = 0; j < cols; j++) {
        let v = Math.fround(Math.fround(xs[o + j]! * a) + c);
        if (w !== null) v = Math.fround(v * w[j]!);
        if (b !== null) v = Math.fround(v + b[j]!);
        y[o + j] = v;
      }
    } else {
      const c = -rs * m;
      for (let j = 0; j < cols; j++) {
        let v = xs[o + j]! * rs + c;
        if (w !== null) v *= w[j]!;
        if (b !== null) v += b[j]!;
        y[o + j] = v;
      }
    }
  }
  return { y, mean, rstd };
}

/**
 * Layer norm's backward over contiguous [rows, cols] arrays, as PyTorch 1.13's
 * LayerNormBackwardKernel: per row ds = Σ g·w·x and db = Σ g·w (float64, in the SIMD kernel's four
 * lanes), then dx = a·g·w + b'·x + c' with a = rstd, b' = (db·mean - ds)·a³/cols and
 * c' = -b'·mean - db·a/cols (rounded to the dtype, then each step in it); the weight's gradient
 * Σ_rows g·(x·a + c) (c = -a·mean, as the forward) and the bias's Σ_rows g, accumulated row by row
 * in the dtype. `gradInput` false skips dx; the parameter gradients are null when `params` is false.
 */
export function layerNormBackwardKernel(
  g: TypedArray, x: TypedArray, rows: number, cols: number, mean: Float64Array, rstd: Float64Array,
  weight: TypedArray | null, gradInput: boolean, params: boolean, dtype: DType,
): { dx: TypedArray | null; dWeight: TypedArray | null; dBias: TypedArray | null } {
  const gs = g as Float32Array, xs = x as Float32Array, w = weight as Float32Array | null, f32 = dtype === float32;
  const dx = gradInput ? dtype.alloc(rows * cols) as Float32Array : null;
  const dw = params ? dtype.alloc(cols) as Float32Array : null, db = params ? dtype.alloc(cols) as Float32Array : null;
  const n4 = cols & ~3, scale = 1 / cols;
  for (let r = 0; r < rows; r++) {
    const o = r * cols, m = mean[r]!, a = rstd[r]!;
    if (dw !== null && db !== null) {
      if (f32) {
        const a32 = Math.fround(a), c32 = Math.fround(-a32 * Math.fround(m));
        for (let j = 0; j < cols; j++) {
          const gj = gs[o + j]!;
          dw[j] = dw[j]! + Math.fround(gj * Math.fround(Math.fround(xs[o + j]! * a32) + c32));
          db[j] = db[j]! + gj;
        }
      } else {
        const c = -a * m;
        for (let j = 0; j < cols; j++) { const gj = gs[o + j]!; dw[j]! += gj * (xs[o + j]! * a + c); db[j]! += gj; }
      }
    }
    if (dx === null) continue;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0, t0 = 0, t1 = 0, t2 = 0, t3 = 0;
    for (let j = 0; j < n4; j += 4) {
      const p0 = w === null ? gs[o + j]! : gs[o + j]! * w[j]!, p1 = w === null ? gs[o + j + 1]! : gs[o + j + 1]! * w[j + 1]!;
      const p2 = w === null ? gs[o + j + 2]! : gs[o + j + 2]! * w[j + 2]!, p3 = w === null ? gs[o + j + 3]! : gs[o + j + 3]! * w[j + 3]!;
      s0 += p0 * xs[o + j]!; s1 += p1 * xs[o + j + 1]!; s2 += p2 * xs[o + j + 2]!; s3 += p3 * xs[o + j + 3]!;
      t0 += p0; t1 += p1; t2 += p2; t3 += p3;
    }
    let ds = (s0 + s2) + (s1 + s3), dbs = (t0 + t2) + (t1 + t3);
    for (let j = n4; j < cols; j++) { const p = w === null ? gs[o + j]! : gs[o + j]! * w[j]!; ds += p * xs[o + j]!; dbs += p; }
    const bb = (dbs * m - ds) * a * a * a * scale, cc = -bb * m - dbs * a * scale;
    if (f32) {
      const a32 = Math.fround(a), b32 = Math.fround(bb), c32 = Math.fround(cc);
      for (let j = 0; j < cols; j++) {
        let t = Math.fround(a32 * gs[o + j]!);
        if (w !== null) t = Math.fround(t * w[j]!);
        dx[o + j] = Math.fround(t + Math.fround(b32 * xs[o + j]!)) + c32;
      }
    } else {
      for (let j = 0; j < cols; j++) dx[o + j] = a * gs[o + j]! * (w === null ? 1 : w[j]!) + bb * xs[o + j]! + cc;
    }
  }
  return { dx, dWeight: dw, dBias: db };
}
