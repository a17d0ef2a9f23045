/** Loss kernels: mse_loss's reduced value and input gradient in one pass each (the seed step's loss). */
import type { DType, TypedArray } from "../../core/dtype.ts";

/**
 * mse_loss with reduction "sum" or "mean" over `n` dense elements of `x` and `y` (one float
 * dtype): each difference and square rounded to the dtype, summed in float64 in order and stored,
 * then divided by n for the mean: the bits of `sub`, `mul_`, `sum` (and `div`). One element.
 */
export function mseLossKernel(x: TypedArray, y: TypedArray, n: number, mean: boolean, out: DType): TypedArray {
  const xs = x as Float64Array, ys = y as Float64Array, data = out.alloc(1), res = data as Float64Array;
  let s = 0;
  if (data instanceof Float32Array) {
    for (let i = 0; i < n; i++) { const d = Math.fround(xs[i]! - ys[i]!); s += Math.fround(d * d); }
  } else {
    for (let i = 0; i < n; i++) { const d = xs[i]! - ys[i]!; s += d * d; }
  }
  res[0] = s;
  if (mean) res[0] = res[0]! / n;
  return data;
}

/**
 * mse_loss's input gradient for a one-element output gradient `g`: (x - y)·scale·g over `n`
 * dense elements, each step rounded to the dtype (scale too, as a scalar operand is): the bits of
 * PyTorch's mse_loss_backward as `sub`, `mul_(scale)`, `mul_(g)` compute it.
 */
export function mseLossBackwardKernel(x: TypedArray, y: TypedArray, n: number, scale: number, g: number, out: DType): TypedArray {
  const xs = x as Float64Array, ys = y as Float64Array, data = out.alloc(n), res = data as Float64Array;
  if (data instanceof Float32Array) {
    const f = Math.fround(scale), gv = Math.fround(g);
    for (let i = 0; i < n; i++) res[i] = Math.fround(Math.fround(xs[i]! - ys[i]!) * f) * gv;
  } else {
    for (let i = 0; i < n; i++) res[i] = (xs[i]! - ys[i]!) * scale * g;
  }
  return data;
}
