/** Movement ops: new layouts over the same storage (views); only cat/stack and reshape of a non-viewable layout copy. */
import { IndexError, ShapeError } from "../errors.ts";
import { normalizeDim, sameShape, showShape, type Shape } from "../core/shape.ts";
import type { Layout } from "../core/layout.ts";
import { Tensor } from "../tensor.ts";
import { backend } from "../backend/active.ts";
import { record } from "../autograd/record.ts";
import { noGrad } from "../autograd/grad-mode.ts";
import { wrap, writeRegion } from "./elementwise.ts";
import { resultType } from "./result-type.ts";
import { isTensor } from "./elementwise.ts";

/** A view of `t` with a new layout: same storage, same version counter. */
function viewOf(t: Tensor, layout: Layout): Tensor {
  return new Tensor(t.storage, layout, { version: t._version, base: t._base ?? t });
}

/** PyTorch's `t[i, j, ...]`. */
export function at(t: Tensor, indices: readonly number[]): Tensor {
  if (indices.length > t.ndim) {
    throw new IndexError(`too many indices for tensor of dimension ${t.ndim}`);
  }
  let out = t;
  for (const i of indices) out = select(out, 0, i);
  return out;
}

/** Selects one index along `dim`, removing the dim. */
export function select(t: Tensor, dim: number, index: number, key: "select" | "unbind" = "select"): Tensor {
  const d = normalizeDim(dim, t.ndim);
  return record(key, [t], viewOf(t, t.layout.select(d, index)), { dim: d, index, shape: t.shape });
}

/** `t[start:end:step]` along `dim`. */
export function slice(
  t: Tensor, dim: number, start = 0, end = Infinity, step = 1, key: "slice" | "split" | "splitWithSizes" = "slice",
): Tensor {
  const d = normalizeDim(dim, t.ndim);
  return record(key, [t], viewOf(t, t.layout.slice(d, start, end, step)), { dim: d, start, end, step, shape: t.shape });
}

/** `length` elements from `start` along `dim`; unlike slice, out-of-range bounds are an error. */
export function narrow(t: Tensor, dim: number, start: number, length: number): Tensor {
  const d = normalizeDim(dim, t.ndim), size = t.shape[d]!;
  const s = start < 0 ? start + size : start;
  if (s < 0 || s > size) throw new IndexError(`start out of range (expected to be in range of [${-size}, ${size}], but got ${start})`);
  if (length < 0 || s + length > size) throw new IndexError(`start (${s}) + length (${length}) exceeds dimension size (${size}).`);
  return slice(t, d, s, s + length);
}

/** Swaps two dims. */
export function transpose(t: Tensor, d0: number, d1: number): Tensor {
  if (t.ndim === 0) return t;
  const a = normalizeDim(d0, t.ndim), b = normalizeDim(d1, t.ndim);
  return record("transpose", [t], viewOf(t, t.layout.transpose(a, b)), { dims: [a, b] });
}

/** Transpose of a tensor of at most 2 dims, as PyTorch's t(). */
export function t(x: Tensor): Tensor {
  if (x.ndim > 2) throw new ShapeError(`t() expects a tensor with <= 2 dimensions, but self is ${x.ndim}D`);
  const view = viewOf(x, x.ndim < 2 ? x.layout : x.layout.transpose(0, 1));
  return record("t", [x], view, { dims: x.ndim < 2 ? [0, 0] : [0, 1] });
}

/** Reorders dims. */
export function permute(t: Tensor, perm: readonly number[]): Tensor {
  if (perm.length !== t.ndim) {
    throw new ShapeError(`permute(sparse_coo): number of dimensions in the tensor input does not match the length of the desired ordering of dimensions i.e. input.dim() = ${t.ndim} is not equal to len(dims) = ${perm.length}`);
  }
  const p = perm.map((d) => normalizeDim(d, t.ndim));
  return record("permute", [t], viewOf(t, t.layout.permute(p)), { perm: p });
}

/** A view with a new shape; fails when the strides cannot express it, as PyTorch's view. */
export function view(t: Tensor, shape: Shape): Tensor {
  const target = t.layout.inferShape(shape);
  const layout = t.layout.view(target);
  if (layout === null) {
    throw new ShapeError("view size is not compatible with input tensor's size and stride (at least one dimension spans across two contiguous subspaces). Use .reshape(...) instead.");
  }
  return record("view", [t], viewOf(t, layout), { shape: t.shape });
}

/** A view when possible, else a contiguous copy with the new shape. */
export function reshape(t: Tensor, shape: Shape): Tensor {
  const target = t.layout.inferShape(shape);
  if (sameShape(target, t.shape)) return t;
  const layout = t.layout.view(target);
  if (layout !== null) return record("reshapeAlias", [t], viewOf(t, layout), { shape: t.shape });
  const data = backend().cast(t.storage.data, t.layout, t.dtype, t.dtype);
  return record("unsafeView", [t], wrap(data, target, t.dtype), { shape: t.shape });
}

/** Inserts a size-1 dim. */
export function unsqueeze(t: Tensor, dim: number): Tensor {
  const d = normalizeDim(dim, t.ndim + 1);
  return record("unsqueeze", [t], viewOf(t, t.layout.unsqueeze(d)), { shape: t.shape });
}

/** Removes size-1 dims (all, or the one given). */
export function squeeze(t: Tensor, dim?: number): Tensor {
  const d = dim === undefined ? undefined : normalizeDim(dim, t.ndim);
  return record(d === undefined ? "squeeze" : "squeezeDim", [t], viewOf(t, t.layout.squeeze(d)), { shape: t.shape });
}

/** Broadcasts to a larger shape without copying. */
export function expand(t: Tensor, shape: Shape): Tensor {
  if (sameShape(shape, t.shape)) return t;
  return record("expand", [t], viewOf(t, t.layout.expand(shape)));
}

/** Merges dims startDim..endDim into one. */
export function flatten(t: Tensor, startDim = 0, endDim = -1): Tensor {
  if (t.ndim === 0) return record("reshapeAlias", [t], viewOf(t, t.layout.unsqueeze(0)), { shape: t.shape });
  const s = normalizeDim(startDim, t.ndim), e = normalizeDim(endDim, t.ndim);
  if (s > e) throw new ShapeError("flatten() has invalid args: start_dim cannot come after end_dim");
  const merged = t.shape.slice(s, e + 1).reduce((p, d) => p * d, 1);
  return reshape(t, [...t.shape.slice(0, s), merged, ...t.shape.slice(e + 1)]);
}

/** Splits into pieces of `size` (or the given sizes) along `dim`. */
export function split(t: Tensor, size: number | readonly number[], dim = 0): Tensor[] {
  const d = normalizeDim(dim, t.ndim), total = t.shape[d]!;
  const sizes = typeof size === "number" ? splitSizes(total, size) : [...size];
  if (sizes.reduce((p, s) => p + s, 0) !== total) {
    throw new ShapeError(`split_with_sizes expects split_sizes to sum exactly to ${total} (input tensor's size at dimension ${d}), but got split_sizes=${showShape(sizes)}`);
  }
  let start = 0;
  const key = typeof size === "number" ? "split" : "splitWithSizes";
  return sizes.map((s) => { const piece = slice(t, d, start, start + s, 1, key); start += s; return piece; });
}

function splitSizes(total: number, size: number): number[] {
  if (!(size > 0)) throw new ShapeError(`split expects split_size be non-negative, but got split_size=${size}`);
  const out: number[] = [];
  for (let s = 0; s < total; s += size) out.push(Math.min(size, total - s));
  return out.length ? out : [0];
}

/** Splits into `chunks` nearly equal pieces along `dim`. */
export function chunk(t: Tensor, chunks: number, dim = 0): Tensor[] {
  const d = normalizeDim(dim, t.ndim);
  return split(t, Math.max(1, Math.ceil(t.shape[d]! / chunks)), d);
}

/** Removes `dim`, returning every slice along it. */
export function unbind(t: Tensor, dim = 0): Tensor[] {
  const d = normalizeDim(dim, t.ndim);
  return Array.from({ length: t.shape[d]! }, (_, i) => select(t, d, i, "unbind"));
}

/** Concatenates along an existing dim (a copy). */
export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  if (tensors.length === 0) throw new ShapeError("torch.cat(): expected a non-empty list of Tensors");
  const parts = tensors.filter((t) => !(t.ndim === 1 && t.shape[0] === 0)); // PyTorch skips legacy empty 1-D inputs
  const first = parts[0] ?? tensors[0]!;
  const d = normalizeDim(dim, first.ndim);
  for (const [i, t] of parts.entries()) {
    if (t.ndim !== first.ndim) throw new ShapeError(`Tensors must have same number of dimensions: got ${first.ndim} and ${t.ndim}`);
    t.shape.forEach((s, k) => {
      if (k !== d && s !== first.shape[k]) {
        throw new ShapeError(`Sizes of tensors must match except in dimension ${d}. Expected size ${first.shape[k]} but got size ${s} for tensor number ${i} in the list.`);
      }
    });
  }
  const dtype = resultType(parts, isTensor);
  const shape = [...first.shape];
  shape[d] = parts.reduce((p, t) => p + t.shape[d]!, 0);
  const out = wrap(dtype.alloc(shape.reduce((p, s) => p * s, 1)), shape, dtype);
  let start = 0;
  for (const t of parts) {
    const region = out.layout.slice(d, start, start + t.shape[d]!);
    writeRegion(out, region, t);
    start += t.shape[d]!;
  }
  return record("cat", parts, out, { dim: d, sizes: parts.map((t) => t.shape[d]!) });
}

/** Stacks along a new dim. */
export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  if (tensors.length === 0) throw new ShapeError("stack expects a non-empty TensorList");
  const first = tensors[0]!;
  tensors.forEach((t, i) => {
    if (!sameShape(t.shape, first.shape)) {
      throw new ShapeError(`stack expects each tensor to be equal size, but got ${showShape(first.shape)} at entry 0 and ${showShape(t.shape)} at entry ${i}`);
    }
  });
  const d = normalizeDim(dim, first.ndim + 1);
  const out = noGrad(() => cat(tensors.map((t) => unsqueeze(t, d)), d));
  return record("stack", tensors, out, { dim: d, sizes: tensors.map(() => 1) });
}
