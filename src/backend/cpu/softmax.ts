/** Softmax and log-softmax along the last dim of a contiguous array, forward and backward, one pass per row each. */
import { float32, type DType, type TypedArray } from "../../core/dtype.ts";

/**
 * Each row of contiguous x [rows, cols] as PyTorch 1.13's vectorized last-dim kernels compute it:
 * the max (NaN wins), e = exp(x - max), s = Σ e in float64; softmax y = e · (1/s), log-softmax
 * y = (x - max) - log(s), each step rounded to the dtype.
 */
export function softmaxKernel(x: TypedArray, rows: number, cols: number, log: boolean, dtype: DType): TypedArray {
  const xs = x as Float32Array, y = dtype.alloc(rows * cols) as Float32Array;
  const r = dtype === float32 ? Math.fround : (v: number) => v;
  for (let i = 0; i < rows; i++) {
    const o = i * cols;
    let mx = -Infinity;
    for (let j = 0; j < cols; j++) { const v = xs[o + j]!; if (v > mx || v !== v) mx = v; }
    if (mx !== mx) { y.fill(NaN, o, o + cols); continue; }
    let s = 0;
    if (log) {
      for (let j = 0; j < cols; j++) s += r(Math.exp(r(xs[o + j]! - mx)));
      const ls = r(Math.log(r(s)));
      for (let j = 0; j < cols; j++) y[o + j] = r(xs[o + j]! - mx) - ls;
    } else {
      for (let j = 0; j < cols; j++) { const e = r(Math.exp(r(xs[o + j]! - mx))); y[o + j] = e; s += e; }
      const inv = r(1 / r(s));
      for (let j = 0; j < cols; j++) y[o + j] = y[o + j]! * inv;
    }
  }
  return y;
}

/**
 * The input gradient of softmaxKernel from its output y and the output gradient g (contiguous
 * [rows, cols]), per row with float64 sums: softmax (g - Σ g·y)·y, log-softmax g - exp(y)·Σ g.
 */
export function softmaxBackwardKernel(g: TypedArray, y: TypedArray, rows: number, cols: number, log: boolean, dtype: DType): TypedArray {
  const gs = g as Float32Array, ys = y as Float32Array, dx = dtype.alloc(rows * cols) as Float32Array;
  const r = dtype === float32 ? Math.fround : (v: number) => v;
  for (let i = 0; i < rows; i++) {
    const o = i * cols;
    let s = 0;
    if (log) {
      for (let j = 0; j < cols; j++) s += gs[o + j]!;
      const sr = r(s);
      for (let j = 0; j < cols; j++) dx[o + j] = gs[o + j]! - r(r(Math.exp(ys[o + j]!)) * sr);
    } else {
      for (let j = 0; j < cols; j++) s += r(gs[o + j]! * ys[o + j]!);
      const sr = r(s);
      for (let j = 0; j < cols; j++) dx[o + j] = r(gs[o + j]! - sr) * ys[o + j]!;
    }
  }
  return dx;
}
