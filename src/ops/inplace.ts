/**
 * In-place ops: compute out of place, then write through this tensor's layout into the shared
 * storage, bump the version counter, and move the tensor's history onto the new node.
 */
import { AutogradError, DTypeError, IndexError, ShapeError } from "../errors.ts";
import { bfloat16, bool, float16, int64, type DType } from "../core/dtype.ts";
import { numberToBfloat16, numberToHalf } from "../core/half.ts";
import { sameShape, showShape, type Shape } from "../core/shape.ts";
import { Tensor, type Scalar, type TensorLike } from "../tensor.ts";
import type { Generator } from "../core/generator.ts";
import { defaultGenerator } from "./generator.ts";
import { fillNormal, fillUniform } from "../core/random-float.ts";
import { backend } from "../backend/active.ts";
import { isGradEnabled } from "../autograd/grad-mode.ts";
import { record } from "../autograd/record.ts";
import { derivatives } from "../autograd/derivatives.ts";
import type { OpArgs } from "../autograd/node.ts";
import type { Layout } from "../core/layout.ts";
import { add, binary, cast, isTensor, scalarTensor, sub, wrap, contiguousData } from "./elementwise.ts";
import type { AdamScalars, SgdScalars, UpdateOp } from "../backend/backend.ts";
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
  if (dtype === float16) return numberToHalf(Number(value));
  if (dtype === bfloat16) return numberToBfloat16(Number(value));
  return dtype === bool ? +Boolean(value) : Number(value);
}

/** Refuses an in-place op on a leaf that requires grad, in PyTorch's words. */
export function checkInPlace(t: Tensor, op: string): void {
  if (isGradEnabled() && t.requiresGrad && t.isLeaf) {
    throw new AutogradError(`a leaf Variable that requires grad is being used in an in-place operation. (${op}: wrap it in torch.noGrad(() => ...) or use .data)`);
  }
}

/** `src` broadcast to `self`'s shape, for copy_. */
export function broadcastTo(src: TensorLike, self: Tensor): Tensor {
  return isTensor(src) ? expand(src, self.shape) : scalarTensor(src, self.dtype);
}

const INTERNAL_OVERLAP =
  "unsupported operation: more than one element of the written-to tensor refers to a single memory location. Please clone() the tensor before performing the operation.";
const PARTIAL_OVERLAP =
  "unsupported operation: some elements of the input tensor and the written-to tensor refer to a single memory location. Please clone() the tensor before performing the operation.";

/** PyTorch's assert_no_internal_overlap: an expanded (stride-0) dim would be written once per repeat. */
function checkWritable(self: Tensor): void {
  const l = self.layout;
  for (let d = 0; d < l.ndim; d++) if (l.strides[d] === 0 && l.shape[d]! > 1) throw new IndexError(INTERNAL_OVERLAP);
}

/** The element range [start, end) of a layout that covers it without gaps or repeats; null otherwise. */
function denseRange(l: Layout): [number, number] | null {
  const dims = l.shape.map((s, d) => [s, l.strides[d]!] as const).filter(([s]) => s !== 1).sort((a, b) => a[1] - b[1]);
  let expected = 1;
  for (const [size, stride] of dims) { if (stride !== expected) return null; expected *= size; }
  return [l.offset, l.offset + l.numel];
}

/**
 * PyTorch's assert_no_partial_overlap: an operand that shares memory with the written tensor must
 * be exactly its elements (x.mul_(x)) or not touch them; a partial overlap would read values the
 * write has already changed. Layouts with gaps are not judged, as in PyTorch.
 */
function checkNoPartialOverlap(self: Tensor, other: TensorLike): void {
  if (!isTensor(other) || other.storage.data !== self.storage.data || other.numel() === 0 || self.numel() === 0) return;
  // the same elements (x.mul_(x)) are allowed: checked first, as the cheaper test
  if (sameElements(self, other)) return;
  const a = denseRange(self.layout), b = denseRange(other.layout);
  if (a === null || b === null || a[1] <= b[0] || b[1] <= a[0]) return;
  throw new IndexError(PARTIAL_OVERLAP);
}

/**
 * Writes `compute(self)` into `self`; the failing call changes nothing. When autograd tracks
 * `self`, compute reads a copy, so the graph keeps the values that the write overwrites (as
 * PyTorch saves the original self of an in-place op). A write into a view of a tracked tensor
 * rebases the base's history (PyTorch's CopySlices).
 */
export function assign_<T extends Tensor>(self: T, compute: (src: Tensor) => Tensor, anyCast = false): T {
  checkInPlace(self, "in-place op");
  checkWritable(self);
  const base = self._base, grad = isGradEnabled();
  if (grad && base !== null && base.requiresGrad && base.isLeaf) {
    throw new AutogradError("a view of a leaf Variable that requires grad is being used in an in-place operation.");
  }
  const r = compute(grad && self.requiresGrad ? self.clone() : self);
  if (!anyCast && !canCast(r.dtype, self.dtype)) {
    throw new DTypeError(`result type ${r.dtype.scalarName} can't be cast to the desired output type ${self.dtype.scalarName}`);
  }
  if (!sameShape(r.shape, self.shape) && !(r.ndim === 0)) {
    throw new ShapeError(`output with shape ${showShape(self.shape)} doesn't match the broadcast shape ${showShape(r.shape)}`);
  }
  const tracked = grad && (r.requiresGrad || self.requiresGrad || (base !== null && base.requiresGrad));
  const full = r.ndim === 0 && self.ndim > 0 ? expand(r, self.shape) : r;
  backend().write(self.storage.data, self.layout, full.dtype === self.dtype ? contiguousData(full) : contiguousData(cast(full, self.dtype)));
  self._version.value++;
  if (!tracked) return self;
  if (base === null) {
    self.gradFn = r.gradFn;
    self.requiresGrad = r.requiresGrad;
  } else {
    rebaseHistory(self, base, r);
  }
  return self;
}

/** The geometry a view's history needs to map its gradient into its base's and back. */
function viewArgs(view: Tensor, base: Tensor): OpArgs {
  return { baseLayout: base.layout, viewLayout: view.layout, storageSize: base.storage.data.length };
}

/**
 * After `view` (of `base`) was overwritten with `r`: the base's new node is CopySlices of its old
 * history and `r`, and the view's is AsStridedBackward0 of the base, as in PyTorch.
 */
function rebaseHistory(view: Tensor, base: Tensor, r: Tensor): void {
  const before = new Tensor(base.storage, base.layout, { version: base._version });
  before.gradFn = base.gradFn;
  before.requiresGrad = base.requiresGrad;
  record("copySlices", [before, r], base, viewArgs(view, base));
  record("asStrided", [base], view, viewArgs(view, base));
}

/**
 * Gives a view whose memory changed through another view of its base a history from the base's
 * current one (PyTorch regenerates a stale view's grad_fn the same way).
 */
export function regenerateViewHistory(view: Tensor): void {
  const base = view._base!;
  if (!isGradEnabled()) return; // looked at under noGrad: regenerate at the next tracked read
  view._viewVersion = view._version.value;
  if (!view.requiresGrad || !base.requiresGrad) return;
  const stale = view._gradFn;
  if (stale !== null && stale.derivative === derivatives.asStrided && stale.edges[0] === (base.gradFn ?? base)) return;
  record("asStrided", [base], view, viewArgs(view, base));
}

/** `self.copy_(src)`: src broadcast to self's shape, cast to self's dtype. */
export function copy_<T extends Tensor>(self: T, src: TensorLike): T {
  checkNoPartialOverlap(self, src);
  return assign_(self, () => broadcastTo(src, self), true);
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
  checkWritable(self);
  checkNoPartialOverlap(self, other);
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

/**
 * PyTorch's `_foreach_add_(selfs, others, alpha)`: `selfs[i].add_(others[i], { alpha })` for each
 * pair in order, same bits. An untracked pair of float tensors of one dtype and shape in
 * different storages (a parameter and its gradient) goes straight to the backend's update, with
 * the checks made once per pair; any other pair takes `add_`'s own path, checks and errors.
 */
export function addForeach_(selfs: readonly Tensor[], others: readonly Tensor[], alpha = 1): void {
  if (selfs.length !== others.length) {
    throw new ShapeError(`Tensor lists must have the same number of tensors, got ${selfs.length} and ${others.length}`);
  }
  const tracked = isGradEnabled(), b = backend();
  for (let i = 0; i < selfs.length; i++) {
    const self = selfs[i]!, other = others[i]!, dtype = self.dtype, ld = self._layout, ls = other._layout;
    if (dtype.kind === "float" && dtype.computable && other.dtype === dtype && self._storage !== other._storage
      && !(tracked && (self.requiresGrad || other.requiresGrad)) && !ld.hasBroadcastDims && sameShape(ld.shape, ls.shape)) {
      b.update("add", self._storage.data, ld, other._storage.data, ls, alpha);
      self._version.value++;
    } else {
      update_(self, "add", other, alpha);
    }
  }
}

/**
 * `t.zero_()` for each tensor under noGrad (an optimizer's `zeroGrad()`), without a grad-mode
 * switch or an op call per tensor: the backend's fill and a version bump, as `fill_` does there.
 */
export function zeroForeach_(tensors: readonly Tensor[]): void {
  const b = backend();
  for (const t of tensors) {
    b.fill(t._storage.data, t._layout, toStored(0, t.dtype));
    t._version.value++;
  }
}

/** The scalars of one fused Adam/AdamW step (Backend.adamStep). */
export type { AdamScalars };

/**
 * One Adam/AdamW step in place on the backend's fused kernel (Backend.adamStep: the bits of
 * PyTorch 1.13's single-tensor ops in one pass) when the parameter `p`, gradient `g` and moments
 * `m`, `v` are dense float tensors of one dtype; false, with nothing changed, otherwise.
 */
export function adamStep_(p: Tensor, g: Tensor, m: Tensor, v: Tensor, h: AdamScalars): boolean {
  const dtype = p.dtype;
  if (dtype.kind !== "float" || !dtype.computable || g.dtype !== dtype || m.dtype !== dtype || v.dtype !== dtype) return false;
  const dense = (t: Tensor) => (t.layout.isContiguous && t.layout.offset === 0 ? t.storage.data : null);
  const pd = dense(p), gd = dense(g), md = dense(m), vd = dense(v);
  if (pd === null || gd === null || md === null || vd === null || p.storage === g.storage) return false;
  backend().adamStep(pd, gd, md, vd, p.numel(), h);
  for (const t of [p, m, v]) t._version.value++;
  return true;
}

/** The scalars of one fused SGD step (Backend.sgdStep). */
export type { SgdScalars };

/**
 * One SGD step in place on the backend's fused kernel (Backend.sgdStep: the bits of optim/sgd.ts's
 * tensor ops in one pass) when the parameter `p`, gradient `g` and momentum buffer `buf` (null
 * without momentum) are dense float tensors of one dtype and size in separate storages; false,
 * with nothing changed, otherwise.
 */
export function sgdStep_(p: Tensor, g: Tensor, buf: Tensor | null, h: SgdScalars): boolean {
  const dtype = p.dtype, n = p.numel();
  if (dtype.kind !== "float" || !dtype.computable || g.dtype !== dtype || g.numel() !== n) return false;
  if ((buf === null) !== (h.momentum === 0) || (buf !== null && (buf.dtype !== dtype || buf.numel() !== n))) return false;
  const dense = (t: Tensor) => (t._layout.isContiguous && t._layout.offset === 0 ? t._storage.data : null);
  const pd = dense(p), gd = dense(g), bd = buf === null ? pd : dense(buf);
  if (pd === null || gd === null || bd === null || p._storage === g._storage || (buf !== null && (buf._storage === p._storage || buf._storage === g._storage))) return false;
  backend().sgdStep(pd, gd, bd, n, h);
  p._version.value++;
  if (buf !== null) buf._version.value++;
  return true;
}

/** Fills every element with one value. */
export function fill_<T extends Tensor>(self: T, value: Scalar): T {
  checkInPlace(self, "fill_");
  if (isGradEnabled() && self._base !== null && (self.requiresGrad || self._base.requiresGrad)) {
    return assign_(self, () => scalarTensor(value, self.dtype));
  }
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

