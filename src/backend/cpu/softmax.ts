/** Softmax and log-softmax along the last dim of a contiguous array, forward and backward, one pass per row each. */
import { float32, type DType, type TypedArray } from "../../core/dtype.ts";

/**
 * Each row of contiguous x [rows, cols] as PyTorch 1.13's vectorized last-dim kernels compute it:
 * the max (NaN wins), e = exp(x - max), s = Σ e in float64; softmax y = e · (1/s), log-softmax
 * y = (x - max) - log(s), each step rounded to the dtype.
 */
export function softmaxKernel(x: TypedArray, rows: number, cols: number, log: boolean, dtype: DType): TypedArray {
  const xs = x as Float32Array, y = dtype.alloc(rows * cols) as Float32Array;
  if (dtype === float32) return softmaxFloat32(xs, y, rows, cols, log);
  // float64: nothing to round
  for (let i = 0; i < rows; i++) {
    const o = i * cols;
    let mx = -Infinity;
    for (let j = 0; j < cols; j++) { const v = xs[o + j]!; if (v > mx || v !== v) mx = v; }
    if (mx !== mx) { y.fill(NaN, o, o + cols); continue; }
    let s = 0;
    if (log) {
      for (let j = 0; j < cols; j++) s += Math.exp(xs[o + j]! - mx);
      const ls = Math.log(s);
      for (let j = 0; j < cols; j++) y[o + j] = xs[o + j]! - mx - ls;
    } else {
      for (let j = 0; j < cols; j++) { const e = Math.exp(xs[o + j]! - mx); y[o + j] = e; s += e; }
      const inv = 1 / s;
      for (let j = 0; j < cols; j++) y[o + j] = y[o + j]! * inv;
    }
  }
  return y;
}

/**
 * softmaxKernel for float32, every step rounded by Math.fround itself. The shared loop rounded
 * through `dtype === float32 ? Math.fround : identity`, a call V8 does not inline: the medium
 * MLP's [128, 10] log-softmax and its gradient took 206 µs, 93–100 µs this way. The same
 * operations in the same order, so the same bits.
 */
function softmaxFloat32(xs: Float32Array, y: Float32Array, rows: number, cols: number, log: boolean): Float32Array {
  const f = Math.fround;
  for (let i = 0; i < rows; i++) {
    const o = i * cols;
    let mx = -Infinity;
    for (let j = 0; j < cols; j++) { const v = xs[o + j]!; if (v > mx || v !== v) mx = v; }
    if (mx !== mx) { y.fill(NaN, o, o + cols); continue; }
    let s = 0;
    if (log) {
      for (let j = 0; j < cols; j++) s += f(Math.exp(f(xs[o + j]! - mx)));
      const ls = f(Math.log(f(s)));
      for (let j = 0; j < cols; j++) y[o + j] = f(xs[o + j]! - mx) - ls;
    } else {
      for (let j = 0; j < cols; j++) { const e = f(Math.exp(f(xs[o + j]! - mx))); y[o + j] = e; s += e; }
      const inv = f(1 / f(s));
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
  if (dtype === float32) return softmaxBackwardFloat32(gs, ys, dx, rows, cols, log);
  // float64: nothing to round
  for (let i = 0; i < rows; i++) {
    const o = i * cols;
    let s = 0;
    if (log) {
      for (let j = 0; j < cols; j++) s += gs[o + j]!;
      for (let j = 0; j < cols; j++) dx[o + j] = gs[o + j]! - Math.exp(ys[o + j]!) * s;
    } else {
      for (let j = 0; j < cols; j++) s += gs[o + j]! * ys[o + j]!;
      for (let j = 0; j < cols; j++) dx[o + j] = (gs[o + j]! - s) * ys[o + j]!;
    }
  }
  return dx;
}

/** softmaxBackwardKernel for float32, Math.fround written out (see softmaxFloat32). */
function softmaxBackwardFloat32(gs: Float32Array, ys: Float32Array, dx: Float32Array, rows: number, cols: number, log: boolean): Float32Array {
  const f = Math.fround;
  for (let i = 0; i < rows; i++) {
    const o = i * cols;
    let s = 0;
    if (log) {
      for (let j = 0; j < cols; j++) s += gs[o + j]!;
      const sr = f(s);
      for (let j = 0; j < cols; j++) dx[o + j] = gs[o + j]! - f(f(Math.exp(ys[o + j]!)) * sr);
    } else {
      for (let j = 0; j < cols; j++) s += f(gs[o + j]! * ys[o + j]!);
      const sr = f(s);
      for (let j = 0; j < cols; j++) dx[o + j] = f(gs[o + j]! - sr) * ys[o + j]!;
    }
  }
  return dx;
}
