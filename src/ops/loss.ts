/**
 * Losses as one backend pass where the operands allow it (dense, one float dtype, one shape):
 * mse_loss's value and input gradient, the seed step's loss. Callers compose the ops otherwise;
 * both ways give the same bits.
 */
import type { Tensor } from "../tensor.ts";
import { backend } from "../backend/active.ts";
import { sameShape } from "../core/shape.ts";
import type { TypedArray } from "../core/dtype.ts";
import { wrap } from "./elementwise.ts";

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
