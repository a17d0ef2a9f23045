/**
 * Convolution and pooling CPU kernels: im2col/col2im (convolution is these plus the matmul
 * kernel), the layout swap between [n, c, l] and [c, n, l], pooling windows in PyTorch's CPU
 * order, and the index-map gather/scatter that every padding mode is.
 */
import { float32, float64, type DType, type TypedArray } from "../../core/dtype.ts";
import { Layout } from "../../core/layout.ts";
import type { PoolResult, Window2d } from "../backend.ts";
import { matmulKernel } from "./matmul.ts";

type F = Float64Array;

/** The output positions [lo, hi) whose input index `o·s - p + k·d` falls in [0, size). */
function validRange(out: number, size: number, s: number, p: number, kd: number): [number, number] {
  const lo = Math.max(0, Math.ceil((p - kd) / s));
  const hi = Math.min(out, Math.ceil((size + p - kd) / s));
  return [lo, Math.max(lo, hi)];
}

/** x [n, c, h, w] (any strides) → columns [c·kh·kw, n·oh·ow], zeros where a window reads padding. */
export function im2colKernel(x: TypedArray, lx: Layout, g: Window2d, out?: TypedArray): TypedArray {
  const { n, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow } = g;
  const [sN, sC, sH, sW] = lx.strides as [number, number, number, number];
  const src = x as F, cols = n * oh * ow, size = c * kh * kw * cols;
  const res = (out ?? new (x.constructor as Float64ArrayConstructor)(size)) as F;
  // only padding leaves cells unwritten
  if (out !== undefined && (ph > 0 || pw > 0)) res.fill(0, 0, size);
  let row = 0;
  for (let ci = 0; ci < c; ci++) {
    for (let i = 0; i < kh; i++) {
      const [ohLo, ohHi] = validRange(oh, h, sh, ph, i * dh);
      for (let j = 0; j < kw; j++, row++) {
        const [owLo, owHi] = validRange(ow, w, sw, pw, j * dw);
        for (let b = 0; b < n; b++) {
          const base = lx.offset + b * sN + ci * sC;
          const dst0 = row * cols + b * oh * ow;
          for (let y = ohLo; y < ohHi; y++) {
            const s0 = base + (y * sh - ph + i * dh) * sH + (j * dw - pw) * sW;
            const d0 = dst0 + y * ow, step = sw * sW;
            for (let xo = owLo, s = s0 + owLo * step; xo < owHi; xo++, s += step) res[d0 + xo] = src[s]!;
          }
        }
      }
    }
  }
  return res;
}

/** Columns [c·kh·kw, n·oh·ow] → [n, c, h, w]: each input cell the sum of the columns that read it. */
export function col2imKernel(colsData: TypedArray, g: Window2d, dtype: DType): TypedArray {
  const { n, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow } = g;
  const src = colsData as F, cols = n * oh * ow, res = dtype.alloc(n * c * h * w) as F;
  let row = 0;
  for (let ci = 0; ci < c; ci++) {
    for (let i = 0; i < kh; i++) {
      const [ohLo, ohHi] = validRange(oh, h, sh, ph, i * dh);
      for (let j = 0; j < kw; j++, row++) {
        const [owLo, owHi] = validRange(ow, w, sw, pw, j * dw);
        for (let b = 0; b < n; b++) {
          const base = (b * c + ci) * h * w;
          const src0 = row * cols + b * oh * ow;
          for (let y = ohLo; y < ohHi; y++) {
            const d0 = base + (y * sh - ph + i * dh) * w + (j * dw - pw);
            const s0 = src0 + y * ow;
            for (let xo = owLo, d = d0 + owLo * sw; xo < owHi; xo++, d += sw) res[d] += src[s0 + xo]!;
          }
        }
      }
    }
  }
  return res;
}

/** The products of each group through the matmul kernel (float64 accumulation), written into `out`. */
export function groupGemmKernel(a: TypedArray, b: TypedArray, groups: number, m: number, k: number, n: number, transA: boolean, transB: boolean, out: TypedArray): void {
  const la = transA ? new Layout([groups, m, k], [m * k, 1, m]) : Layout.contiguous([groups, m, k]);
  const lb = transB ? new Layout([groups, k, n], [k * n, 1, k]) : Layout.contiguous([groups, k, n]);
  const dtype = a instanceof Float32Array ? float32 : float64;
  (out as F).set(matmulKernel(a, la, b, lb, dtype) as F);
}

/** [a, b, l] (contiguous) → [b, a, l], adding bias[i] to every element of x's row i when given. */
export function swapLeadingKernel(x: TypedArray, a: number, b: number, l: number, bias: TypedArray | null, dtype: DType, out?: TypedArray): TypedArray {
  const src = x as F, res = (out ?? dtype.alloc(a * b * l)) as F, bs = bias as F | null;
  for (let i = 0; i < a; i++) {
    const add = bs === null ? 0 : bs[i]!;
    for (let j = 0; j < b; j++) {
      const s0 = (i * b + j) * l, d0 = (j * a + i) * l;
      if (bs === null) for (let k = 0; k < l; k++) res[d0 + k] = src[s0 + k]!;
      else for (let k = 0; k < l; k++) res[d0 + k] = src[s0 + k]! + add;
    }
  }
  return res;
}

/**
 * Max pooling of contiguous planes [n·c, h, w], PyTorch's CPU loop: the first maximum wins and
 * a NaN is taken wherever it appears. Indices are positions within the plane (h·w + w).
 */
export function maxPool2dKernel(x: TypedArray, g: Window2d): PoolResult {
  const { h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow } = g;
  const planes = g.n * g.c, src = x as F;
  const values = new (x.constructor as Float64ArrayConstructor)(planes * oh * ow), indices = new Int32Array(planes * oh * ow);
  for (let p = 0, o = 0; p < planes; p++) {
    const base = p * h * w;
    for (let y = 0; y < oh; y++) {
      let h0 = y * sh - ph;
      const h1 = Math.min(h0 + (kh - 1) * dh + 1, h);
      while (h0 < 0) h0 += dh;
      for (let xo = 0; xo < ow; xo++, o++) {
        let w0 = xo * sw - pw;
        const w1 = Math.min(w0 + (kw - 1) * dw + 1, w);
        while (w0 < 0) w0 += dw;
        let best = h0 * w + w0, max = -Infinity;
        for (let ih = h0; ih < h1; ih += dh) {
          for (let iw = w0; iw < w1; iw += dw) {
            const v = src[base + ih * w + iw]!;
            if (v > max || v !== v) { max = v; best = ih * w + iw; }
          }
        }
        values[o] = max;
        indices[o] = best;
      }
    }
  }
  return { values, indices };
}

/** Each average-pooling window's clipped bounds and divisor, as PyTorch's CPU kernel computes them: [h0, h1, w0, w1, div] per output. */
function avgWindows(g: Window2d, countIncludePad: boolean, divisor: number | null): Int32Array {
  const win = new Int32Array(5 * g.oh * g.ow);
  for (let y = 0, o = 0; y < g.oh; y++) {
    for (let xo = 0; xo < g.ow; xo++, o += 5) {
      let h0 = y * g.sh - g.ph, w0 = xo * g.sw - g.pw;
      let h1 = Math.min(h0 + g.kh, g.h + g.ph), w1 = Math.min(w0 + g.kw, g.w + g.pw);
      const poolSize = (h1 - h0) * (w1 - w0);
      h0 = Math.max(h0, 0); w0 = Math.max(w0, 0);
      h1 = Math.min(h1, g.h); w1 = Math.min(w1, g.w);
      win[o] = h0; win[o + 1] = h1; win[o + 2] = w0; win[o + 3] = w1;
      win[o + 4] = divisor ?? (countIncludePad ? poolSize : (h1 - h0) * (w1 - w0));
    }
  }
  return win;
}

/** Average pooling of contiguous planes [n·c, h, w] (stride and padding; no dilation). */
export function avgPool2dKernel(x: TypedArray, g: Window2d, countIncludePad: boolean, divisor: number | null): TypedArray {
  const planes = g.n * g.c, src = x as F, { h, w, oh, ow } = g, outs = oh * ow;
  const res = new (x.constructor as Float64ArrayConstructor)(planes * outs), win = avgWindows(g, countIncludePad, divisor);
  for (let p = 0; p < planes; p++) {
    const base = p * h * w;
    for (let o = 0; o < outs; o++) {
      const h0 = win[5 * o]!, h1 = win[5 * o + 1]!, w0 = win[5 * o + 2]!, w1 = win[5 * o + 3]!;
      if (h0 >= h1 || w0 >= w1) continue;
      let sum = 0;
      for (let ih = h0; ih < h1; ih++) for (let iw = w0; iw < w1; iw++) sum += src[base + ih * w + iw]!;
      res[p * outs + o] = sum / win[5 * o + 4]!;
    }
  }
  return res;
}

/** The gradient of avgPool2dKernel: each output's gradient / divisor spread over its window. */
export function avgPool2dBackwardKernel(grad: TypedArray, g: Window2d, countIncludePad: boolean, divisor: number | null, dtype: DType): TypedArray {
  const planes = g.n * g.c, src = grad as F, { h, w, oh, ow } = g, outs = oh * ow;
  const res = dtype.alloc(planes * h * w) as F, win = avgWindows(g, countIncludePad, divisor);
  for (let p = 0; p < planes; p++) {
    const base = p * h * w;
    for (let o = 0; o < outs; o++) {
      const h0 = win[5 * o]!, h1 = win[5 * o + 1]!, w0 = win[5 * o + 2]!, w1 = win[5 * o + 3]!;
      if (h0 >= h1 || w0 >= w1) continue;
      const delta = src[p * outs + o]! / win[5 * o + 4]!;
      for (let ih = h0; ih < h1; ih++) for (let iw = w0; iw < w1; iw++) res[base + ih * w + iw] += delta;
    }
  }
  return res;
}

/** Adaptive windows: output i of `out` covers input [floor(i·size/out), ceil((i+1)·size/out)). */
function adaptiveBounds(out: number, size: number): Int32Array {
  const b = new Int32Array(2 * out);
  for (let i = 0; i < out; i++) {
    b[2 * i] = Math.floor((i * size) / out);
    b[2 * i + 1] = Math.ceil(((i + 1) * size) / out);
  }
  return b;
}

/** Adaptive average pooling of contiguous planes [n·c, h, w] to [oh, ow]: sum / kh / kw per window. */
export function adaptiveAvgPool2dKernel(x: TypedArray, g: Window2d): TypedArray {
  const planes = g.n * g.c, src = x as F, { h, w, oh, ow } = g;
  const bh = adaptiveBounds(oh, h), bw = adaptiveBounds(ow, w);
  const res = new (x.constructor as Float64ArrayConstructor)(planes * oh * ow);
  for (let p = 0, o = 0; p < planes; p++) {
    const base = p * h * w;
    for (let y = 0; y < oh; y++) {
      const h0 = bh[2 * y]!, h1 = bh[2 * y + 1]!;
      for (let xo = 0; xo < ow; xo++, o++) {
        const w0 = bw[2 * xo]!, w1 = bw[2 * xo + 1]!;
        let sum = 0;
        for (let ih = h0; ih < h1; ih++) for (let iw = w0; iw < w1; iw++) sum += src[base + ih * w + iw]!;
        res[o] = sum / (h1 - h0) / (w1 - w0);
      }
    }
  }
  return res;
}

/** The gradient of adaptiveAvgPool2dKernel. */
export function adaptiveAvgPool2dBackwardKernel(grad: TypedArray, g: Window2d, dtype: DType): TypedArray {
  const planes = g.n * g.c, src = grad as F, { h, w, oh, ow } = g;
  const bh = adaptiveBounds(oh, h), bw = adaptiveBounds(ow, w);
  const res = dtype.alloc(planes * h * w) as F;
  for (let p = 0, o = 0; p < planes; p++) {
    const base = p * h * w;
    for (let y = 0; y < oh; y++) {
      const h0 = bh[2 * y]!, h1 = bh[2 * y + 1]!;
      for (let xo = 0; xo < ow; xo++, o++) {
        const w0 = bw[2 * xo]!, w1 = bw[2 * xo + 1]!;
        const delta = src[o]! / (h1 - h0) / (w1 - w0);
        for (let ih = h0; ih < h1; ih++) for (let iw = w0; iw < w1; iw++) res[base + ih * w + iw] += delta;
      }
    }
  }
  return res;
}

/** Adaptive max pooling of contiguous planes [n·c, h, w] to [oh, ow], with indices within the plane. */
export function adaptiveMaxPool2dKernel(x: TypedArray, g: Window2d): PoolResult {
  const planes = g.n * g.c, src = x as F, { h, w, oh, ow } = g;
  const bh = adaptiveBounds(oh, h), bw = adaptiveBounds(ow, w);
  const values = new (x.constructor as Float64ArrayConstructor)(planes * oh * ow), indices = new Int32Array(planes * oh * ow);
  for (let p = 0, o = 0; p < planes; p++) {
    const base = p * h * w;
    for (let y = 0; y < oh; y++) {
      const h0 = bh[2 * y]!, h1 = bh[2 * y + 1]!;
      for (let xo = 0; xo < ow; xo++, o++) {
        const w0 = bw[2 * xo]!, w1 = bw[2 * xo + 1]!;
        let best = h0 * w + w0, max = -Infinity;
        for (let ih = h0; ih < h1; ih++) {
          for (let iw = w0; iw < w1; iw++) {
            const v = src[base + ih * w + iw]!;
            if (v > max || v !== v) { max = v; best = ih * w + iw; }
          }
        }
        values[o] = max;
        indices[o] = best;
      }
    }
  }
  return { values, indices };
}

/** The gradient of a max pooling: each output's gradient added at its index, plane by plane. */
export function maxPoolBackwardKernel(grad: TypedArray, indices: Int32Array, planes: number, inPlane: number, dtype: DType): TypedArray {
  const src = grad as F, res = dtype.alloc(planes * inPlane) as F, outPlane = indices.length / planes;
  for (let p = 0, o = 0; p < planes; p++) {
    const base = p * inPlane;
    for (let k = 0; k < outPlane; k++, o++) res[base + indices[o]!] += src[o]!;
  }
  return res;
}

/**
 * out[..., i, j] = x[..., maps[0][i], maps[1][j]] over the last `maps.length` dims, `value` where a
 * map holds -1: constant, reflect, replicate and circular padding (and cropping) in one kernel.
 */
export function padKernel(x: TypedArray, lx: Layout, outShape: readonly number[], maps: readonly Int32Array[], value: number): TypedArray {
  const nd = outShape.length, lead = nd - maps.length;
  const res = new (x.constructor as Float64ArrayConstructor)(outShape.reduce((p, s) => p * s, 1));
  const src = x as F, out = res as F, inner = maps[maps.length - 1]!, innerStride = lx.strides[nd - 1]!;
  // an int64 tensor pads with a bigint
  const fill = (res instanceof BigInt64Array ? BigInt(Math.trunc(value)) : value) as number;
  walkRows(outShape, lead, maps, lx.strides, lx.offset, (row, base) => {
    const d0 = row * inner.length;
    if (base < 0) { out.fill(fill, d0, d0 + inner.length); return; }
    for (let k = 0; k < inner.length; k++) {
      const m = inner[k]!;
      out[d0 + k] = m < 0 ? fill : src[base + m * innerStride]!;
    }
  });
  return res;
}

/** The gradient of padKernel: each output cell's gradient added into the input cell it copied. */
export function padBackwardKernel(grad: TypedArray, inShape: readonly number[], maps: readonly Int32Array[], dtype: DType): TypedArray {
  const nd = inShape.length, lead = nd - maps.length, src = grad as F;
  const res = dtype.alloc(inShape.reduce((p, s) => p * s, 1)) as F, inner = maps[maps.length - 1]!;
  const strides = new Array<number>(nd);
  for (let d = nd - 1, s = 1; d >= 0; d--) { strides[d] = s; s *= inShape[d]!; }
  const outShape = inShape.map((s, d) => (d < lead ? s : maps[d - lead]!.length));
  walkRows(outShape, lead, maps, strides, 0, (row, base) => {
    if (base < 0) return;
    const s0 = row * inner.length;
    for (let k = 0; k < inner.length; k++) { const m = inner[k]!; if (m >= 0) res[base + m] += src[s0 + k]!; }
  });
  return res;
}

/** Calls `fn(row, base)` for each row of the output's last dim: base is the input offset of the row, or -1 in padding. */
function walkRows(
  outShape: readonly number[], lead: number, maps: readonly Int32Array[], strides: readonly number[], offset: number,
  fn: (row: number, base: number) => void,
): void {
  const nd = outShape.length, rows = outShape.slice(0, nd - 1).reduce((p, s) => p * s, 1);
  const idx = new Array<number>(Math.max(0, nd - 1)).fill(0);
  for (let row = 0; row < rows; row++) {
    let base = offset;
    for (let d = 0; d < nd - 1; d++) {
      const m = d < lead ? idx[d]! : maps[d - lead]![idx[d]!]!;
      if (m < 0) { base = -1; break; }
      base += m * strides[d]!;
    }
    fn(row, base);
    for (let d = nd - 2; d >= 0; d--) {
      if (++idx[d]! < outShape[d]!) break;
      idx[d] = 0;
    }
  }
}
