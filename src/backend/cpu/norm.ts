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

/**
 * Per-channel statistics of a contiguous [n, c, l] array, as PyTorch 1.13's
 * batch_norm_cpu_collect_stats: the sum in float64, the mean rounded to the dtype, then the sum
 * of the squared deviations (each deviation and square in the dtype) in float64, rounded.
 */
export function channelStatsKernel(x: TypedArray, n: number, c: number, l: number, dtype: DType): { mean: Float64Array; varSum: Float64Array } {
  const src = x as Float32Array, f32 = dtype === float32, count = n * l;
  const mean = new Float64Array(c), varSum = new Float64Array(c);
  for (let ch = 0; ch < c; ch++) {
    let sum = 0;
    for (let b = 0; b < n; b++) for (let i = (b * c + ch) * l, end = i + l; i < end; i++) sum += src[i]!;
    const m = f32 ? Math.fround(sum / count) : sum / count;
    let vs = 0;
    if (f32) {
      for (let b = 0; b < n; b++) {
        for (let i = (b * c + ch) * l, end = i + l; i < end; i++) { const d = Math.fround(src[i]! - m); vs += Math.fround(d * d); }
      }
    } else {
      for (let b = 0; b < n; b++) for (let i = (b * c + ch) * l, end = i + l; i < end; i++) { const d = src[i]! - m; vs += d * d; }
    }
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
  const sum = new Float64Array(c), dotp = new Float64Array(c);
  // Math.fround written out in the float32 loops (a rounding function in a variable is not inlined)
  for (let ch = 0; ch < c; ch++) {
    const m = mean[ch]!;
    let s = 0, d = 0;
    for (let b = 0; b < n; b++) {
      const start = (b * c + ch) * l, end = start + l;
      if (f32) for (let i = start; i < end; i++) { const gi = gs[i]!; s += gi; d += Math.fround(xs[i]! - m) * gi; }
      else for (let i = start; i < end; i++) { const gi = gs[i]!; s += gi; d += (xs[i]! - m) * gi; }
    }
    sum[ch] = s;
    dotp[ch] = d;
  }
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
