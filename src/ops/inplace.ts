/**
 * In-place ops: compute out of place, then write through this tensor's layout into the shared
 * storage, bump the version counter, and move the tensor's history onto the new node.
 */
import { AutogradError, DTypeError, ShapeError } from "../errors.ts";
import { bool, int64, type DType } from "../core/dtype.ts";
import { sameShape, showShape, type Shape } from "../core/shape.ts";
import { Tensor, type Scalar, type TensorLike } from "../tensor.ts";
import { defaultGenerator, type Generator } from "../core/generator.ts";
import { fillNormal, fillUniform } from "../core/random-float.ts";
import { backend } from "../backend/active.ts";
import { isGradEnabled } from "../autograd/grad-mode.ts";
import { add, binary, cast, isTensor, scalarTensor, sub, wrap } from "./elementwise.ts";
import type { UpdateOp } from "../backend/backend.ts";
import { expand } from "./movement.ts";
import { canCast } from "./result-type.ts";

/** A new tensor of `shape` filled with `value`. */
export function full(shape: Shape, value: Scalar, dtype: DType): Tensor {
  const data = dtype.alloc(shape.reduce((p, s) => p * s, 1));
  const t = wrap(data, shape, dtype);
  if (value !== 0 && value !== false && value !== 0n) backend().fill(data, t.layout, toStored(value, dtype));
  return t;
}

function toStored(value: Scalar, dtype: DType): number | bigint {
  if (dtype === int64) return BigInt(typeof value === "boolean" ? +value : typeof value === "number" ? Math.trunc(value) : value);
  return dtype === bool ? +Boolean(value) : Number(value);
}

function checkInPlace(t: Tensor, op: string): void {
  if (isGradEnabled() && t.requiresGrad && t.isLeaf) {
    throw new AutogradError(`a leaf Variable that requires grad is being used in an in-place operation. (${op}: wrap it in torch.noGrad(() => ...) or use .data)`);
  }
}

/** `src` broadcast to `self`'s shape, for copy_. */
export function broadcastTo(src: TensorLike, self: Tensor): Tensor {
  return isTensor(src) ? expand(src, self.shape) : scalarTensor(src, self.dtype);
}

const VIEW_INPLACE =
  "torchlet does not track in-place ops on views of tensors that require grad; use an out-of-place op, or wrap it in torch.noGrad(() => ...)";

/**
 * Writes `compute(self)` into `self`; the failing call changes nothing. When autograd tracks
 * `self`, compute reads a copy, so the graph keeps the values that the write overwrites (as
 * PyTorch saves the original self of an in-place op).
 */
export function assign_<T extends Tensor>(self: T, compute: (src: Tensor) => Tensor, anyCast = false): T {
  checkInPlace(self, "in-place op");
  const r = compute(isGradEnabled() && self.requiresGrad ? self.clone() : self);
  if (!anyCast && !canCast(r.dtype, self.dtype)) {
    throw new DTypeError(`result type ${r.dtype.scalarName} can't be cast to the desired output type ${self.dtype.scalarName}`);
  }
  if (!sameShape(r.shape, self.shape) && !(r.ndim === 0)) {
    throw new ShapeError(`output with shape ${showShape(self.shape)} doesn't match the broadcast shape ${showShape(r.shape)}`);
  }
  const tracked = isGradEnabled() && (r.requiresGrad || self.requiresGrad);
  if (tracked && self._isView) throw new AutogradError(VIEW_INPLACE);
  const full = r.ndim === 0 && self.ndim > 0 ? expand(r, self.shape) : r;
  backend().write(self.storage.data, self.layout, full.dtype === self.dtype ? full.contiguousData() : cast(full, self.dtype).contiguousData());
  self._version.value++;
  if (tracked) {
    self.gradFn = r.gradFn;
    self.requiresGrad = r.requiresGrad;
  }
  return self;
}

/** Whether two views of one storage read exactly the same elements in the same order. */
function sameElements(a: Tensor, b: Tensor): boolean {
  const la = a.layout, lb = b.layout;
  return la.offset === lb.offset && sameShape(la.shape, lb.shape) && sameShape(la.strides, lb.strides);
}

/**
 * `self = self op (alpha · other)` for add_, sub_, mul_ and div_. When autograd does not track
 * the call and both operands are float tensors of one dtype (or a number), it runs one in-place
 * kernel with no temporaries (an optimizer step, gradient accumulation); otherwise it is assign_.
 * Views of one storage take the copying path (unless they are the same elements, as in `x.mul_(x)`),
 * so overlapping operands read the values from before the write. (Not `.buffer`: reading it makes
 * V8 move a small array's data out of the object.)
 */
export function update_<T extends Tensor>(self: T, op: UpdateOp, other: TensorLike, alpha = 1): T {
  const dtype = self.dtype;
  if (dtype.kind === "float" && dtype.computable && !(isGradEnabled() && self.requiresGrad) && !self.layout.hasBroadcastDims) {
    const src = typeof other === "number" ? scalarTensor(other, dtype) : other;
    if (src instanceof Tensor && src.dtype === dtype && !(isGradEnabled() && src.requiresGrad) && (src.storage !== self.storage || sameElements(src, self))) {
      const ls = sameShape(src.shape, self.shape) ? src.layout : src.numel() === 1 && src.ndim <= self.ndim ? src.layout.expand(self.shape) : null;
      if (ls !== null) {
        backend().update(op, self.storage.data, self.layout, src.storage.data, ls, alpha);
        self._version.value++;
        return self;
      }
    }
  }
  return assign_(self, (s) => (op === "add" ? add(s, other, alpha) : op === "sub" ? sub(s, other, alpha) : binary(op, s, other)));
}

/** Fills every element with one value. */
export function fill_<T extends Tensor>(self: T, value: Scalar): T {
  checkInPlace(self, "fill_");
  if (isGradEnabled() && self._isView && self.requiresGrad) throw new AutogradError(VIEW_INPLACE);
  backend().fill(self.storage.data, self.layout, toStored(value, self.dtype));
  self._version.value++;
  if (isGradEnabled() && self.gradFn) { self.gradFn = null; self.requiresGrad = false; }
  return self;
}

function fillRandom<T extends Tensor>(self: T, op: string, fill: (out: Float32Array | Float64Array) => void): T {
  checkInPlace(self, op);
  if (self.dtype.kind !== "float" || !self.dtype.computable) {
    throw new DTypeError(`${op} expects a floating point tensor (float32 or float64), but got ${self.dtype}`);
  }
  const values = self.dtype.alloc(self.numel()) as Float32Array | Float64Array;
  fill(values);
  backend().write(self.storage.data, self.layout, values);
  self._version.value++;
  return self;
}

/** In-place U(from, to), consuming the generator as PyTorch does. */
export function uniform_<T extends Tensor>(self: T, from: number, to: number, gen: Generator = defaultGenerator): T {
  return fillRandom(self, "uniform_", (v) => fillUniform(v, from, to, gen));
}

/** In-place N(mean, std²), consuming the generator as PyTorch does. */
export function normal_<T extends Tensor>(self: T, mean: number, std: number, gen: Generator = defaultGenerator): T {
  if (std < 0) throw new DTypeError(`normal expects std >= 0.0, but found std ${std}`);
  return fillRandom(self, "normal_", (v) => fillNormal(v, mean, std, gen));
}

/** Sets requiresGrad on a leaf, as requires_grad_(). */
export function setRequiresGrad(t: Tensor, flag: boolean): void {
  if (!t.isLeaf && !flag) {
    throw new AutogradError("you can only change requires_grad flags of leaf variables. If you want to use a computed variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach().");
  }
  if (flag && t.dtype.kind !== "float") {
    throw new AutogradError("only Tensors of floating point dtype can require gradients");
  }
  t.requiresGrad = flag;
}

