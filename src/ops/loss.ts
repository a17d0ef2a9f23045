/**
 * Losses as one pass where the operands allow it: mse_loss's value and input gradient (dense, one
 * float dtype, one shape: the seed step's loss), and nll_loss without class weights over [N, C]
 * or [C] (cross-entropy's last step). Callers compose the ops otherwise; both ways give the same
 * bits.
 */
import type { Tensor } from "../tensor.ts";
import { backend } from "../backend/active.ts";
import { sameShape } from "../core/shape.ts";
import type { TypedArray } from "../core/dtype.ts";
import { wrap, contiguousData } from "./elementwise.ts";
import type { NllArgs } from "../autograd/node.ts";

// The elements of `t` as one dense array from index 0, or null
function dense(t: Tensor): TypedArray | null {
  const l = t._layout, data = t._storage.data;
  return l.offset === 0 && data.length === l.numel && l.isContiguous ? data : null;
}

// Operands one pass can read: a float dtype that computes, one shape, both dense
function pair(x: Tensor, y: Tensor): [TypedArray, TypedArray] | null {
  const dtype = x.dtype;
  if (dtype.kind !== "float" || !dtype.computable || y.dtype !== dtype || !sameShape(x.shape, y.shape)) return null;
  const xd = dense(x), yd = dense(y);
  return xd === null || yd === null ? null : [xd, yd];
}

/** mse_loss's "mean" or "sum" as one 0-dim tensor (no graph node), or null where one pass cannot read the operands. */
export function mseLossReduced(input: Tensor, target: Tensor, mean: boolean): Tensor | null {
  const p = pair(input, target);
  if (p === null) return null;
  return wrap(backend().mseLoss(p[0], p[1], input.numel(), mean, input.dtype), [], input.dtype);
}

/** mse_loss's input gradient (x - y)·scale·g for a one-element `g` of x's dtype, or null where one pass cannot compute it. */
export function mseLossGrad(x: Tensor, y: Tensor, scale: number, g: Tensor): Tensor | null {
  const p = pair(x, y);
  if (p === null || g.numel() !== 1 || g.dtype !== x.dtype) return null;
  const gv = Number(g._storage.data[g._layout.offset]);
  return wrap(backend().mseLossBackward(p[0], p[1], x.numel(), scale, gv, x.dtype), x.shape, x.dtype);
}

/**
 * nll_loss without class weights of [N, C] (or [C]) log-probabilities, any strides, and a checked
 * class-index target: each sample's -input[i, target[i]] (0 where the target is ignored), summed
 * in float64 in sample order and rounded once as `sum()` does, the mean then divided by the count
 * of targets kept, in the dtype. Null where the input's dtype does not compute.
 */
export function nllLossPicked(input: Tensor, target: Tensor, ignoreIndex: number, reduction: NllArgs["reduction"]): { out: Tensor; args: NllArgs } | null {
  const dtype = input.dtype;
  if (dtype.kind !== "float" || !dtype.computable || input.ndim > 2) return null;
  const x = input._storage.data as Float64Array, l = input._layout, two = input.ndim === 2;
  const rows = two ? input.shape[0]! : 1, rs = two ? l.strides[0]! : 0, cs = l.strides[two ? 1 : 0]!;
  const t = contiguousData(target);
  const picked = dtype.alloc(rows) as Float64Array;
  let sum = 0, total = 0;
  for (let i = 0; i < rows; i++) {
    const c = Number(t[i]);
    if (c === ignoreIndex) continue;
    picked[i] = -x[l.offset + i * rs + c * cs]!;
    sum += picked[i]!;
    total++;
  }
  const args: NllArgs = { target, ignoreIndex, reduction, total };
  if (reduction === "none") return { out: wrap(picked, two ? [rows] : [], dtype), args };
  const round = dtype.alloc(1) as Float64Array;
  round[0] = sum;
  // the mean of no kept target is 0/0 = NaN, as in PyTorch
  if (reduction === "mean") round[0] = round[0]! / total;
  return { out: wrap(round, [], dtype), args };
}

/**
 * nll_loss's input gradient: zeros but -g (the mean: -(g / count), rounded in the dtype) at each
 * kept sample's target class; `g` one element, or one per sample for "none".
 */
export function nllLossGrad(shape: readonly number[], { target, ignoreIndex, reduction, total }: NllArgs, g: Tensor): Tensor {
  const dtype = g.dtype, rows = shape.length === 2 ? shape[0]! : 1, cols = shape[shape.length - 1]!;
  const out = dtype.alloc(rows * cols) as Float64Array, t = contiguousData(target), gs = contiguousData(g) as Float64Array;
  const scalar = dtype.alloc(1) as Float64Array;
  if (reduction !== "none") {
    scalar[0] = gs[0]!;
    // a divisor of 0 leaves the gradient 0, not NaN (every target ignored)
    if (reduction === "mean" && total > 0) scalar[0] = scalar[0]! / total;
  }
  for (let i = 0; i < rows; i++) {
    const c = Number(t[i]);
    if (c !== ignoreIndex) out[i * cols + c] = -(reduction === "none" ? gs[i]! : scalar[0]!);
  }
  return wrap(out, shape, dtype);
}
