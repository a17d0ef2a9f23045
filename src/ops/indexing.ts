/**
 * Indexing with tensors: `x.at(...)` with integers, slices, `"..."`, `null`, index tensors and
 * masks (PyTorch's `x[...]`), its setter `setAt`, and index_select, gather, scatter, take,
 * index_put_, index_add_, masked_fill, masked_select, nonzero. Every op turns its indices into
 * storage offsets first (checking each against its dim, so a failing call changes nothing), then
 * runs one gather (`Backend.take`) or scatter (`Backend.put`) kernel over them.
 */
import { DTypeError, IndexError, ShapeError, ValueError } from "../errors.ts";
import { bool, int32, int64, uint8, type DType, type TypedArray } from "../core/dtype.ts";
import { Layout } from "../core/layout.ts";
import { broadcastShapes, normalizeDim, showShape, type Shape } from "../core/shape.ts";
import { Tensor, type NestedList, type Scalar, type TensorLike } from "../tensor.ts";
import { backend } from "../backend/active.ts";
import type { Offsets, PutOp } from "../backend/backend.ts";
import { record } from "../autograd/record.ts";
import { isGradEnabled } from "../autograd/grad-mode.ts";
import type { DerivativeKey } from "../autograd/derivatives.ts";
import { isTensor, where as where3, wrap, contiguousData } from "./elementwise.ts";
import * as mv from "./movement.ts";
import { assign_ } from "./inplace.ts";
import { tensor } from "./creation.ts";

/** PyTorch's `start:end:step` inside `x[...]`, made by `torch.slice` (Python's `slice`). */
export class Slice {
  constructor(readonly start?: number, readonly end?: number, readonly step?: number) {}
  toString(): string { return `${this.start ?? ""}:${this.end ?? ""}${this.step === undefined ? "" : `:${this.step}`}`; }
}

/**
 * A slice index, as Python's `slice()`: `torch.slice(3)` is `:3`, `torch.slice(1, 3)` is `1:3`,
 * `torch.slice(null, null, 2)` is `::2`. The strings `":"`, `"1:3"`, `"::2"` are the same slices.
 */
export function slice(startOrEnd?: number | null, end?: number | null, step?: number | null): Slice {
  if (end === undefined && step === undefined) return new Slice(undefined, startOrEnd ?? undefined);
  return new Slice(startOrEnd ?? undefined, end ?? undefined, step ?? undefined);
}

type Bound = `${number}` | "";
/** A Python slice written as a string: `":"`, `"1:"`, `":-1"`, `"1:3"`, `"::2"`. */
export type SliceString = `${Bound}:${Bound}` | `${Bound}:${Bound}:${Bound}`;

/**
 * One entry of `x.at(...)`, as inside PyTorch's `x[...]`: an integer (selects, drops the dim), a
 * slice (`":"`, `"1:3"`, `torch.slice(1, 3)`), `"..."` (the dims not named), `null` (a new dim of
 * size 1, PyTorch's None), an int64 index tensor or an array of integers (advanced indexing), a
 * bool mask (tensor or array; selects where true), or `true`/`false`.
 */
export type Index = number | boolean | null | "..." | SliceString | Slice | Tensor | readonly NestedList[];

type Item = number | boolean | null | "..." | Slice | Tensor;

const ZERO = new Int32Array(1);
const INTERNAL_OVERLAP =
  "unsupported operation: more than one element of the written-to tensor refers to a single memory location. Please clone() the tensor before performing the operation.";

// ---- x[...] and x[...] = v ----

/** PyTorch's `x[i, j, ...]` with any mix of the entries `Index` describes. */
export function at(t: Tensor, indices: readonly Index[]): Tensor {
  let numbers = true;
  for (const i of indices) if (typeof i !== "number") { numbers = false; break; }
  if (numbers) return mv.at(t, indices as readonly number[]);
  const { view, list } = applySlicing(t, indices.map(toItem));
  return list === null ? view : index(view, list);
}

/**
 * PyTorch's `x[i, j, ...] = value`: the last argument is the value (a tensor, cast to x's dtype,
 * or a number). With index tensors or masks it is `index_put_`, otherwise a copy into the view.
 */
export function setAt<T extends Tensor>(t: T, args: readonly unknown[]): T {
  if (args.length === 0) throw new IndexError("setAt() needs the indices and the value to write");
  const value = args[args.length - 1] as TensorLike;
  const { view, list } = applySlicing(t, (args.slice(0, -1) as Index[]).map(toItem));
  if (list === null) view.copy_(value);
  else indexPut_(view, list, isTensor(value) ? value.to(t.dtype) : value);
  return t;
}

function toItem(i: Index): Item {
  if (typeof i === "number") {
    if (!Number.isInteger(i)) throw new IndexError(`only integers, slices (\`:\`), ellipsis (\`...\`), None and long or byte Variables are valid indices (got ${i})`);
    return i;
  }
  if (typeof i === "string") return i === "..." ? i : parseSlice(i);
  if (Array.isArray(i)) return indexFromArray(i as readonly NestedList[]);
  if (i instanceof Tensor) {
    // a 0-dim integer tensor indexes as the integer it holds (SelectBackward0 in PyTorch too)
    if (i.ndim === 0 && (i.dtype === int64 || i.dtype === int32)) return Number(i.item());
    return i;
  }
  if (i === null || typeof i === "boolean" || i instanceof Slice) return i;
  throw new IndexError(`only integers, slices (\`:\`), ellipsis (\`...\`), None and long or byte Variables are valid indices (got ${typeof i})`);
}

function parseSlice(s: string): Slice {
  const parts = s.split(":");
  const bound = (p: string | undefined): number | undefined => {
    if (p === undefined || p.trim() === "") return undefined;
    const v = Number(p);
    if (!Number.isInteger(v)) throw new IndexError(`invalid slice ${JSON.stringify(s)}: slice indices must be integers`);
    return v;
  };
  if (parts.length < 2 || parts.length > 3) throw new IndexError(`invalid index ${JSON.stringify(s)}: expected "...", or a slice such as ":", "1:3" or "::2"`);
  return new Slice(bound(parts[0]), bound(parts[1]), bound(parts[2]));
}

function indexFromArray(a: readonly NestedList[]): Tensor {
  const flat = (a as unknown[]).flat(Infinity);
  if (flat.length > 0 && flat.every((v) => typeof v === "boolean")) return tensor(a, { dtype: bool });
  if (flat.every((v) => (typeof v === "number" && Number.isInteger(v)) || typeof v === "bigint")) return tensor(a, { dtype: int64 });
  throw new IndexError("tensors used as indices must be long, byte or bool tensors");
}

const isMask = (t: Tensor): boolean => t.dtype === bool || t.dtype === uint8;

function checkIndexTensor(t: Tensor): void {
  if (t.dtype !== int64 && !isMask(t)) throw new IndexError("tensors used as indices must be long, byte or bool tensors");
}

/**
 * PyTorch's applySlicing: integers, slices, None and "..." become a view; index tensors and masks
 * are left for `index`, at the dim of the view they apply to.
 */
function applySlicing(t: Tensor, items: readonly Item[]): { view: Tensor; list: (Tensor | null)[] | null } {
  let consumed = 0, ellipses = 0;
  for (const it of items) {
    if (it === "...") ellipses++;
    else if (it instanceof Tensor) { checkIndexTensor(it); consumed += isMask(it) ? it.ndim : 1; }
    else if (it !== null && typeof it !== "boolean") consumed++;
  }
  if (ellipses > 1) throw new IndexError("an index can only have a single ellipsis ('...')");
  if (consumed > t.ndim) throw new IndexError(`too many indices for tensor of dimension ${t.ndim}`);
  let view = t, dim = 0, any = false;
  const list: (Tensor | null)[] = [];
  for (const it of items) {
    if (typeof it === "number") view = mv.select(view, dim, it);
    else if (it === "...") dim += t.ndim - consumed;
    else if (it === null) view = mv.unsqueeze(view, dim++);
    else if (it instanceof Slice) view = sliceOf(view, dim++, it);
    else if (typeof it === "boolean" || it.ndim === 0) {
      // a bool scalar is a new dim of size 1 that the mask keeps or empties
      view = mv.unsqueeze(view, dim);
      list[dim++] = typeof it === "boolean" ? tensor([it]) : it.reshape(1);
      any = true;
    } else {
      list[dim] = it;
      dim += isMask(it) ? it.ndim : 1;
      any = true;
    }
  }
  if (!any) return { view, list: null };
  for (let d = 0; d < list.length; d++) list[d] ??= null;
  return { view, list };
}

function sliceOf(t: Tensor, dim: number, s: Slice): Tensor {
  if (!((s.step ?? 1) > 0)) throw new ValueError("step must be greater than zero");
  return mv.slice(t, dim, s.start, s.end, s.step);
}

// ---- offsets ----

/** Where an advanced index reads or writes: `outer × mid × inner` offset sums, and the result's shape. */
interface Plan { outer: Offsets; mid: Offsets; inner: Offsets; shape: number[] }

function layoutOf(l: Layout, dims: readonly number[], offset: number): Offsets {
  return new Layout(dims.map((d) => l.shape[d]!), dims.map((d) => l.strides[d]!), offset).indices();
}

/** The index value at row-major position `pos` of `t` read over `shape` (for error messages). */
function valueAt(t: Tensor, shape: Shape, pos: number): string {
  const l = t.layout.expand(shape);
  return String(t.storage.data[l.indices()[pos]!]);
}

/**
 * PyTorch's advanced indexing of `x` by one entry per leading dim (null: not indexed): masks
 * become the index tensors of their true elements, the index tensors broadcast together, and the
 * result has their shape in place of the indexed dims when those are adjacent, else in front.
 */
function planIndex(x: Tensor, list: readonly (Tensor | null)[]): Plan {
  const l = x.layout, single = soleMask(list);
  if (single !== null) return planMask(x, single.mask, single.dim);
  const perDim: (Tensor | null)[] = new Array<Tensor | null>(x.ndim).fill(null);
  let d = 0;
  for (const t of list) {
    if (t === null) { d++; continue; }
    if (!(t instanceof Tensor)) throw new IndexError("index_put_(): indices must be tensors or null");
    checkIndexTensor(t);
    if (d + (isMask(t) ? t.ndim : 1) > x.ndim) throw new IndexError(`too many indices for tensor of dimension ${x.ndim}`);
    if (!isMask(t)) { perDim[d++] = t; continue; }
    for (let j = 0; j < t.ndim; j++) {
      if (t.shape[j] !== x.shape[d + j]) {
        throw new IndexError(`The shape of the mask ${showShape(t.shape)} at index ${j} does not match the shape of the indexed tensor ${showShape(x.shape)} at index ${d + j}`);
      }
    }
    const nz = backend().nonzero(t.storage.data, t.layout), k = t.ndim, count = nz.length / Math.max(k, 1);
    for (let j = 0; j < k; j++) perDim[d + j] = new Tensor({ data: nz, dtype: int64 }, new Layout([count], [k], j));
    d += k;
  }
  const dims: number[] = [];
  perDim.forEach((t, i) => { if (t !== null) dims.push(i); });
  let shape: number[] = [];
  try {
    for (const i of dims) shape = broadcastShapes(shape, perDim[i]!.shape);
  } catch {
    throw new IndexError(`shape mismatch: indexing tensors could not be broadcast together with shapes ${dims.map((i) => showShape(perDim[i]!.shape)).join(", ")}`);
  }
  let mid: Offsets | null = null;
  dims.forEach((i, k) => {
    const t = perDim[i]!, size = x.shape[i]!;
    const r = backend().indexOffsets(t.storage.data, t.layout.expand(shape), size, l.strides[i]!, mid, true);
    if (typeof r === "number") throw new IndexError(`index ${valueAt(t, shape, r)} is out of bounds for dimension ${k} with size ${size}`);
    mid = r;
  });
  const first = dims[0]!, last = dims[dims.length - 1]!;
  const adjacent = last - first === dims.length - 1;
  const rest = perDim.flatMap((t, i) => (t === null ? [i] : []));
  const before = adjacent ? rest.filter((i) => i < first) : [];
  const after = adjacent ? rest.filter((i) => i > last) : rest;
  return {
    outer: layoutOf(l, before, l.offset), mid: mid!, inner: layoutOf(l, after, 0),
    shape: [...before.map((i) => x.shape[i]!), ...shape, ...after.map((i) => x.shape[i]!)],
  };
}

/** The mask and its dim when it is the only index (x[mask], x[:, mask]): then no coordinates are needed. */
function soleMask(list: readonly (Tensor | null)[]): { mask: Tensor; dim: number } | null {
  let found: { mask: Tensor; dim: number } | null = null;
  for (let d = 0; d < list.length; d++) {
    const t = list[d];
    if (t === null || t === undefined) continue;
    if (found !== null || !(t instanceof Tensor) || !isMask(t)) return null;
    found = { mask: t, dim: d };
  }
  return found;
}

/** planIndex for one mask over dims d..d+k: the offsets of its true elements, straight from the mask. */
function planMask(x: Tensor, mask: Tensor, d: number): Plan {
  const k = mask.ndim, l = x.layout;
  if (d + k > x.ndim) throw new IndexError(`too many indices for tensor of dimension ${x.ndim}`);
  for (let j = 0; j < k; j++) {
    if (mask.shape[j] !== x.shape[d + j]) {
      throw new IndexError(`The shape of the mask ${showShape(mask.shape)} at index ${j} does not match the shape of the indexed tensor ${showShape(x.shape)} at index ${d + j}`);
    }
  }
  const masked = l.shape.map((_, i) => i).slice(d, d + k);
  const mid = backend().maskedOffsets(mask.storage.data, mask.layout, new Layout(mask.shape, masked.map((i) => l.strides[i]!), 0));
  const before = l.shape.map((_, i) => i).slice(0, d), after = l.shape.map((_, i) => i).slice(d + k);
  return {
    outer: layoutOf(l, before, l.offset), mid, inner: layoutOf(l, after, 0),
    shape: [...before.map((i) => x.shape[i]!), mid.length, ...after.map((i) => x.shape[i]!)],
  };
}

/** A 0-dim layout as 1-dim of size 1 (ops along a dim treat a scalar as one element). */
function atLeast1d(l: Layout): Layout {
  return l.ndim === 0 ? new Layout([1], [1], l.offset) : l;
}

/**
 * Offsets into `target` for gather/scatter: the element at the index tensor's position, with
 * the coordinate along `dim` replaced by the index value. Throws PyTorch's out-of-bounds error.
 */
function alongDimOffsets(target: Layout, index: Tensor, dim: number): Offsets {
  const tl = atLeast1d(target), il = atLeast1d(index.layout), strides = tl.strides.slice();
  strides[dim] = 0;
  const base = new Layout(il.shape, strides, tl.offset).indices(), size = tl.shape[dim]!;
  const r = backend().indexOffsets(index.storage.data, il, size, tl.strides[dim]!, base, false);
  if (typeof r === "number") throw new IndexError(`index ${valueAt(index, index.shape, r)} is out of bounds for dimension ${dim} with size ${size}`);
  return r;
}

/** index_select-style offsets: every element of `target` with its coordinate along `dim` taken from a vector index. */
function selectPlan(target: Layout, dim: number, index: Tensor, outOfRange: (v: string) => string, wrapNegative = false): Plan {
  const tl = atLeast1d(target), n = index.numel(), size = tl.shape[dim]!;
  const il = new Layout([n], [index.ndim === 0 ? 1 : index.layout.strides[0]!], index.layout.offset);
  const mid = backend().indexOffsets(index.storage.data, il, size, tl.strides[dim]!, null, wrapNegative);
  if (typeof mid === "number") throw new IndexError(outOfRange(valueAt(index, index.shape, mid)));
  const dims = tl.shape.map((_, i) => i);
  const shape = target.ndim === 0 ? [] : target.shape.map((s, i) => (i === dim ? n : s));
  return { outer: layoutOf(tl, dims.slice(0, dim), tl.offset), mid, inner: layoutOf(tl, dims.slice(dim + 1), 0), shape };
}

// ---- writes ----

/** A copy of `t` that autograd does not see (the out-of-place ops write into it). */
function copyOf(t: Tensor): Tensor {
  return wrap(backend().cast(t.storage.data, t.layout, t.dtype, t.dtype), t.shape, t.dtype);
}

function checkWritable(t: Tensor): void {
  if (t.layout.hasBroadcastDims) throw new IndexError(INTERNAL_OVERLAP);
}

/**
 * An in-place op: when autograd does not track the call the kernel writes straight into `self`;
 * otherwise `assign_` writes the out-of-place result, so the graph gets the op's node.
 */
function mutate<T extends Tensor>(self: T, others: readonly Tensor[], write: (dst: Tensor) => void, outOfPlace: (s: Tensor) => Tensor): T {
  checkWritable(self);
  if (isGradEnabled() && (self.requiresGrad || others.some((o) => o.requiresGrad))) return assign_(self, outOfPlace);
  write(self);
  self._version.value++;
  return self;
}

/** `value` as a tensor of `dtype` for a write (a number is cast as PyTorch casts a Scalar). */
function valueTensor(value: TensorLike, dtype: DType): Tensor {
  if (isTensor(value)) return value;
  if (typeof value !== "number" && typeof value !== "boolean" && typeof value !== "bigint") {
    throw new DTypeError(`expected a tensor or a number as the value, but got ${typeof value}`);
  }
  const data = dtype.alloc(1);
  data[0] = stored(value, dtype) as never;
  return wrap(data, [], dtype);
}

function stored(value: Scalar, dtype: DType): number | bigint {
  if (dtype === int64) return typeof value === "bigint" ? value : BigInt(Math.trunc(Number(value)));
  if (dtype === bool) return +(value !== 0 && value !== 0n && value !== false);
  return Number(value);
}

/** The values of `v` over `shape` as a fresh contiguous array of `dtype` (never the storage itself). */
function valuesOver(v: Tensor, shape: Shape, dtype: DType): TypedArray {
  return backend().cast(v.storage.data, v.layout.expand(shape), v.dtype, dtype);
}

/** Value shapes may have extra leading 1s (PyTorch's slicePrefix1sSize). */
function dropLeadingOnes(shape: Shape, ndim: number): Shape {
  let s = shape;
  while (s.length > ndim && s[0] === 1) s = s.slice(1);
  return s;
}

function broadcastsTo(from: Shape, to: Shape): boolean {
  if (from.length > to.length) return false;
  for (let i = 1; i <= from.length; i++) {
    const a = from[from.length - i]!;
    if (a !== 1 && a !== to[to.length - i]) return false;
  }
  return true;
}

// ---- index and index_put_ ----

/** PyTorch's `aten::index`: `x[idx0, idx1, ...]` with one index tensor or mask (or null) per leading dim. */
export function index(x: Tensor, list: readonly (Tensor | null)[]): Tensor {
  const plan = planIndex(x, list);
  const out = wrap(backend().take(x.storage.data, plan.outer, plan.mid, plan.inner, x.dtype), plan.shape, x.dtype);
  return record("index", [x], out, { shape: x.shape, indexList: list });
}

function putIndexed(dst: Tensor, list: readonly (Tensor | null)[], v: Tensor, accumulate: boolean): void {
  const plan = planIndex(dst, list), vs = dropLeadingOnes(v.shape, plan.shape.length);
  if (!broadcastsTo(vs, plan.shape)) {
    throw new ShapeError(`shape mismatch: value tensor of shape ${showShape(v.shape)} cannot be broadcast to indexing result of shape ${showShape(plan.shape)}`);
  }
  const values = valuesOver(v.reshape(vs), plan.shape, dst.dtype);
  backend().put(dst.storage.data, plan.outer, plan.mid, plan.inner, values, accumulate ? "add" : "set");
}

function putValue(self: Tensor, values: TensorLike): Tensor {
  const v = valueTensor(values, self.dtype);
  if (v.dtype !== self.dtype) {
    throw new DTypeError(`Index put requires the source and destination dtypes match, got ${self.dtype.scalarName} for the destination and ${v.dtype.scalarName} for the source.`);
  }
  return v;
}

/** PyTorch's `index_put(indices, values, accumulate)`: a copy of `x` with `x[indices] = values` (or `+=`). */
export function indexPut(x: Tensor, indices: readonly (Tensor | null)[], values: TensorLike, options: { accumulate?: boolean } = {}): Tensor {
  const v = putValue(x, values), out = copyOf(x), accumulate = options.accumulate ?? false;
  putIndexed(out, indices, v, accumulate);
  return record("indexPut", [x, v], out, { indexList: indices, accumulate });
}

/** PyTorch's `index_put_`: `x[indices] = values`, or `x[indices] += values` with duplicates summed when accumulating. */
export function indexPut_<T extends Tensor>(x: T, indices: readonly (Tensor | null)[], values: TensorLike, options: { accumulate?: boolean } = {}): T {
  const v = putValue(x, values), accumulate = options.accumulate ?? false;
  return mutate(x, [v], (dst) => putIndexed(dst, indices, v, accumulate), (s) => indexPut(s, indices, v, options));
}

// ---- index_select, index_add_, index_copy_, index_fill_ ----

function checkVectorIndex(index: Tensor, op: string, longOnly: boolean): void {
  if (!isTensor(index)) throw new DTypeError(`${op}(): index must be a tensor`);
  if (longOnly ? index.dtype !== int64 : index.dtype !== int64 && index.dtype !== int32) {
    throw new DTypeError(longOnly ? `${op}(): Expected a long tensor for index, but got ${index.dtype.scalarName}` : `${op}(): Expected dtype int32 or int64 for index`);
  }
  if (index.ndim > 1) throw new IndexError(`${op}(): Index is supposed to be a vector`);
}

const OUT_OF_RANGE = (): string => "index out of range in self";

/** Elements of `x` at `index` (a vector) along `dim`, as PyTorch's index_select. */
export function indexSelect(x: Tensor, dim: number, index: Tensor): Tensor {
  checkVectorIndex(index, "index_select", false);
  const d = normalizeDim(dim, x.ndim);
  // PyTorch's fast path for dim 1 of a tensor of 2+ dims has its own wording
  const size = x.shape[d];
  const outOfRange = x.ndim > 1 && d === 1 ? (v: string) => `INDICES element is out of DATA bounds, id=${v} axis_dim=${size}` : OUT_OF_RANGE;
  const plan = selectPlan(x.layout, d, index, outOfRange);
  const out = wrap(backend().take(x.storage.data, plan.outer, plan.mid, plan.inner, x.dtype), plan.shape, x.dtype);
  return record("indexSelect", [x], out, { dim: d, indices: index, shape: x.shape });
}

/** Checks that `source` is `self` with `dim` resized to the number of indices (index_add_, index_copy_). */
function checkSource(self: Tensor, d: number, index: Tensor, source: Tensor, op: string): void {
  if (!isTensor(source)) throw new DTypeError(`${op}(): source must be a tensor`);
  if (source.dtype !== self.dtype) throw new DTypeError(`${op}(): self (${self.dtype.scalarName}) and source (${source.dtype.scalarName}) must have the same scalar type`);
  const n = index.numel(), sd = source.ndim === 0 ? 1 : source.shape[d];
  if (source.ndim !== self.ndim && !(source.ndim <= 1 && self.ndim <= 1)) {
    throw new ShapeError(`${op}(): Source/destination tensor must have same slice shapes. Destination slice shape: ${showShape(self.shape.filter((_, i) => i !== d))} at dimension ${d} and source slice shape: ${showShape(source.shape.filter((_, i) => i !== d))} at dimension 0.`);
  }
  if (sd !== n) throw new ShapeError(`${op}(): Number of indices (${n}) should be equal to source.size(dim): (${sd}), for dim: ${d}`);
  for (let i = 0, k = 0; i < self.ndim; i++) {
    if (i === d) continue;
    if (source.shape[i] !== self.shape[i]) {
      throw new ShapeError(`The size of tensor a (${self.shape[i]}) must match the size of tensor b (${source.shape[i]}) at non-singleton dimension ${k}`);
    }
    k++;
  }
}

/** Writes `values` (over the plan's shape) at `index` along `dim` of `dst`. */
function putAlongDim(
  dst: Tensor, d: number, index: Tensor, values: (shape: Shape) => TypedArray, op: PutOp, outOfRange: (v: string) => string, wrapNegative = false,
): void {
  const plan = selectPlan(dst.layout, d, index, outOfRange, wrapNegative);
  backend().put(dst.storage.data, plan.outer, plan.mid, plan.inner, values(plan.shape), op);
}

/** Scales the source of index_add by alpha, as PyTorch does before adding. */
function scaled(source: Tensor, alpha: number): Tensor {
  return alpha === 1 ? source : source.detach().mul(alpha);
}

/** A copy of `x` with `alpha · source` added at `index` along `dim` (duplicates accumulate), as index_add. */
export function indexAdd(x: Tensor, dim: number, index: Tensor, source: Tensor, options: { alpha?: number } = {}): Tensor {
  const alpha = options.alpha ?? 1, d = prepareSource(x, dim, index, source, "index_add_", false), out = copyOf(x);
  putAlongDim(out, d, index, (s) => valuesOver(scaled(source, alpha), s, x.dtype), "add", OUT_OF_RANGE);
  return record("indexAdd", [x, source], out, { dim: d, indices: index, alpha });
}

/** In place, `self[..., index[i], ...] += alpha · source[..., i, ...]` along `dim`, as index_add_. */
export function indexAdd_<T extends Tensor>(x: T, dim: number, index: Tensor, source: Tensor, options: { alpha?: number } = {}): T {
  const alpha = options.alpha ?? 1, d = prepareSource(x, dim, index, source, "index_add_", false);
  return mutate(x, [source], (dst) => putAlongDim(dst, d, index, (s) => valuesOver(scaled(source, alpha), s, x.dtype), "add", OUT_OF_RANGE),
    (s) => indexAdd(s, d, index, source, { alpha }));
}

function prepareSource(x: Tensor, dim: number, index: Tensor, source: Tensor, op: string, longOnly: boolean): number {
  checkVectorIndex(index, op, longOnly);
  const d = normalizeDim(dim, x.ndim);
  checkSource(x, d, index, source, op);
  return d;
}

const COPY_OUT_OF_RANGE = (d: number, size: number) => (v: string): string => `index_copy_(): index ${v} is out of bounds for dimension ${d} with size ${size}`;

/** A copy of `x` with the slices at `index` along `dim` replaced by `source`'s, as index_copy. */
export function indexCopy(x: Tensor, dim: number, index: Tensor, source: Tensor): Tensor {
  const d = prepareSource(x, dim, index, source, "index_copy_", true), out = copyOf(x);
  putAlongDim(out, d, index, (s) => valuesOver(source, s, x.dtype), "set", COPY_OUT_OF_RANGE(d, x.ndim === 0 ? 1 : x.shape[d]!));
  return record("indexCopy", [x, source], out, { dim: d, indices: index });
}

/** In place, the slices at `index` along `dim` become `source`'s, as index_copy_. */
export function indexCopy_<T extends Tensor>(x: T, dim: number, index: Tensor, source: Tensor): T {
  const d = prepareSource(x, dim, index, source, "index_copy_", true);
  return mutate(x, [source], (dst) => putAlongDim(dst, d, index, (s) => valuesOver(source, s, x.dtype), "set", COPY_OUT_OF_RANGE(d, x.ndim === 0 ? 1 : x.shape[d]!)),
    (s) => indexCopy(s, d, index, source));
}

function fillValues(value: Scalar, dtype: DType) {
  return (shape: Shape): TypedArray => valuesOver(valueTensor(value, dtype), shape, dtype);
}

/** A copy of `x` with the slices at `index` along `dim` filled with `value`, as index_fill. */
export function indexFill(x: Tensor, dim: number, index: Tensor, value: Scalar): Tensor {
  checkVectorIndex(index, "index_fill_", true);
  const d = normalizeDim(dim, x.ndim), out = copyOf(x);
  putAlongDim(out, d, index, fillValues(value, x.dtype), "set", indexFillError(x, d), true);
  return record("indexFill", [x], out, { dim: d, indices: index });
}

/** In place, the slices at `index` along `dim` are filled with `value`, as index_fill_. */
export function indexFill_<T extends Tensor>(x: T, dim: number, index: Tensor, value: Scalar): T {
  checkVectorIndex(index, "index_fill_", true);
  const d = normalizeDim(dim, x.ndim);
  return mutate(x, [], (dst) => putAlongDim(dst, d, index, fillValues(value, x.dtype), "set", indexFillError(x, d), true), (s) => indexFill(s, d, index, value));
}

function indexFillError(x: Tensor, d: number) {
  const size = x.ndim === 0 ? 1 : x.shape[d]!;
  return (v: string): string => `index ${v} is out of bounds for dimension ${d} with size ${size}`;
}

// ---- gather, scatter ----

/** Checks gather/scatter's index against `self` (and `src`): same ndim, and no larger along the other dims. */
function checkAlongDim(self: Tensor, d: number, index: Tensor, op: "gather" | "scatter", src?: Tensor): void {
  if (!isTensor(index)) throw new DTypeError(`${op}(): index must be a tensor`);
  if (index.dtype !== int64) throw new DTypeError(`${op}(): Expected dtype int64 for index`);
  const nd = (t: Tensor): number => Math.max(t.ndim, 1);
  if (nd(index) !== nd(self)) throw new ShapeError(`Index tensor must have the same number of dimensions as ${op === "gather" ? "input" : "self"} tensor`);
  if (src && nd(index) !== nd(src)) throw new ShapeError("Index tensor must have the same number of dimensions as src tensor");
  const size = (t: Tensor, k: number): number => (t.ndim === 0 ? 1 : t.shape[k]!);
  for (let k = 0; k < nd(index); k++) {
    const bad = (k !== d && size(index, k) > size(self, k)) || (src !== undefined && size(index, k) > size(src, k));
    if (!bad) continue;
    if (op === "gather") {
      throw new ShapeError(`Size does not match at dimension ${k} expected index ${showShape(index.shape)} to be smaller than self ${showShape(self.shape)} apart from dimension ${d}`);
    }
    throw new ShapeError(`Expected index ${showShape(index.shape)} to be smaller than self ${showShape(self.shape)} apart from dimension ${d}${src ? ` and to be smaller size than src ${showShape(src.shape)}` : ""}`);
  }
}

/** `out[i][j] = x[i][index[i][j]]` for dim 1 (and likewise for any dim), as torch.gather. */
export function gather(x: Tensor, dim: number, index: Tensor): Tensor {
  const d = normalizeDim(dim, x.ndim);
  checkAlongDim(x, d, index, "gather");
  const off = alongDimOffsets(x.layout, index, d);
  const out = wrap(backend().take(x.storage.data, ZERO, off, ZERO, x.dtype), index.shape, x.dtype);
  return record("gather", [x], out, { dim: d, indices: index, shape: x.shape });
}

/** scatter's `reduce` option: PyTorch 1.13 accepts these two. */
export type ScatterReduce = "add" | "multiply";

function scatterInto(dst: Tensor, d: number, index: Tensor, v: Tensor, op: PutOp): void {
  const off = alongDimOffsets(dst.layout, index, d);
  // src may be larger than index: its elements at the index's positions, in the index's order
  const il = atLeast1d(index.layout), vl = atLeast1d(v.layout);
  const from = v.ndim === 0 ? v.layout.expand(il.shape) : new Layout(il.shape, vl.strides, vl.offset);
  const values = backend().cast(v.storage.data, from, v.dtype, dst.dtype);
  backend().put(dst.storage.data, ZERO, off, ZERO, values, op);
}

interface ScatterArgs { d: number; v: Tensor; op: PutOp; key: DerivativeKey; isValue: boolean }

function prepareScatter(x: Tensor, dim: number, index: Tensor, src: TensorLike, reduce: string | undefined): ScatterArgs {
  if (reduce !== undefined && reduce !== "add" && reduce !== "multiply") throw new ValueError("reduce argument must be either add or multiply.");
  const d = normalizeDim(dim, x.ndim), isValue = !isTensor(src);
  if (!isValue && (src as Tensor).dtype !== x.dtype) throw new DTypeError("scatter(): Expected self.dtype to be equal to src.dtype");
  checkAlongDim(x, d, index, "scatter", isValue ? undefined : (src as Tensor));
  const v = isValue ? valueTensor(src, x.dtype) : (src as Tensor);
  const op: PutOp = reduce === "add" ? "add" : reduce === "multiply" ? "mul" : "set";
  return { d, v, op, isValue, key: reduce !== undefined ? "scatterReduce" : isValue ? "scatterValue" : "scatter" };
}

/** A copy of `x` with `src` (a tensor or a number) written at `index` along `dim`, as torch.scatter. */
export function scatter(x: Tensor, dim: number, index: Tensor, src: TensorLike, options: { reduce?: ScatterReduce } = {}): Tensor {
  const s = prepareScatter(x, dim, index, src, options.reduce), out = copyOf(x);
  scatterInto(out, s.d, index, s.v, s.op);
  return record(s.key, s.isValue ? [x] : [x, s.v], out, { dim: s.d, indices: index });
}

/** In place, `self[i][index[i][j]] = src[i][j]` for dim 1 (or `+=`, `*=` with `reduce`), as scatter_. */
export function scatter_<T extends Tensor>(x: T, dim: number, index: Tensor, src: TensorLike, options: { reduce?: ScatterReduce } = {}): T {
  const s = prepareScatter(x, dim, index, src, options.reduce);
  return mutate(x, s.isValue ? [] : [s.v], (dst) => scatterInto(dst, s.d, index, s.v, s.op), (t) => scatter(t, s.d, index, src, options));
}

function prepareScatterAdd(x: Tensor, dim: number, index: Tensor, src: Tensor): number {
  if (!isTensor(src)) throw new DTypeError("scatter_add(): src must be a tensor");
  if (src.dtype !== x.dtype) throw new DTypeError("scatter(): Expected self.dtype to be equal to src.dtype");
  const d = normalizeDim(dim, x.ndim);
  checkAlongDim(x, d, index, "scatter", src);
  return d;
}

/** A copy of `x` with `src` added at `index` along `dim`, duplicates accumulating, as scatter_add. */
export function scatterAdd(x: Tensor, dim: number, index: Tensor, src: Tensor): Tensor {
  const d = prepareScatterAdd(x, dim, index, src), out = copyOf(x);
  scatterInto(out, d, index, src, "add");
  return record("scatterAdd", [x, src], out, { dim: d, indices: index });
}

/** In place, `self[i][index[i][j]] += src[i][j]` for dim 1, as scatter_add_. */
export function scatterAdd_<T extends Tensor>(x: T, dim: number, index: Tensor, src: Tensor): T {
  const d = prepareScatterAdd(x, dim, index, src);
  return mutate(x, [src], (dst) => scatterInto(dst, d, index, src, "add"), (t) => scatterAdd(t, d, index, src));
}

// ---- take, put_ ----

function flatOffsets(x: Tensor, index: Tensor, op: string): Offsets {
  if (!isTensor(index) || index.dtype !== int64) throw new DTypeError(`${op}(): Expected a long tensor for index, but got ${isTensor(index) ? index.dtype.scalarName : typeof index}`);
  const n = x.numel();
  const r = backend().indexOffsets(index.storage.data, index.layout, n, 1, null, true);
  if (typeof r === "number") throw new IndexError(`out of range: tried to access index ${valueAt(index, index.shape, r)} on a tensor of ${n} elements.`);
  return r;
}

/** The elements of `x` read as a flat array at `index`, in `index`'s shape, as torch.take. */
export function take(x: Tensor, index: Tensor): Tensor {
  const off = flatOffsets(x, index, "take"), src = contiguousData(x);
  const out = wrap(backend().take(src, ZERO, off, ZERO, x.dtype), index.shape, x.dtype);
  return record("take", [x], out, { indices: index, shape: x.shape });
}

function putFlat(dst: Tensor, index: Tensor, source: Tensor, accumulate: boolean): void {
  if (source.numel() !== index.numel()) {
    throw new ShapeError(`put_(): Expected source and index to have the same number of elements, but got source.numel() = ${source.numel()}, index.numel() = ${index.numel()}`);
  }
  const off = flatOffsets(dst, index, "put_");
  const flat = dst.isContiguous() ? null : dst.layout.indices();
  const values = valuesOver(source, source.shape, dst.dtype);
  if (flat === null) {
    backend().put(dst.storage.data, new Int32Array([dst.layout.offset]), off, ZERO, values, accumulate ? "add" : "set");
    return;
  }
  const phys = new Int32Array(off.length);
  for (let i = 0; i < off.length; i++) phys[i] = flat[off[i]!]!;
  backend().put(dst.storage.data, ZERO, phys, ZERO, values, accumulate ? "add" : "set");
}

function checkPutSource(x: Tensor, source: Tensor): void {
  if (!isTensor(source)) throw new DTypeError("put_(): source must be a tensor");
  if (source.dtype !== x.dtype) throw new DTypeError(`put_(): self and source expected to have the same dtype, but got self.dtype = ${x.dtype.scalarName} and source.dtype = ${source.dtype.scalarName}`);
}

/** A copy of `x` with `source` written at the flat positions `index`, as torch.put. */
export function put(x: Tensor, index: Tensor, source: Tensor, options: { accumulate?: boolean } = {}): Tensor {
  checkPutSource(x, source);
  const out = copyOf(x), accumulate = options.accumulate ?? false;
  putFlat(out, index, source, accumulate);
  return record("put", [x, source], out, { indices: index, accumulate });
}

/** In place, writes `source` at the flat positions `index` (summing duplicates when accumulating), as put_. */
export function put_<T extends Tensor>(x: T, index: Tensor, source: Tensor, options: { accumulate?: boolean } = {}): T {
  checkPutSource(x, source);
  const accumulate = options.accumulate ?? false;
  return mutate(x, [source], (dst) => putFlat(dst, index, source, accumulate), (s) => put(s, index, source, options));
}

// ---- masks ----

/** masked_fill's mask: bool, or any dtype holding only 0 and 1 (PyTorch 1.13 accepts those). */
function fillMask(mask: Tensor): Tensor {
  if (!isTensor(mask)) throw new DTypeError("masked_fill_: mask must be a tensor");
  if (mask.dtype === bool) return mask;
  const m = mask.dtype.computable ? mask : mask.to(int32);
  if (m.ne(0).logicalAnd(m.ne(1)).any().item()) throw new ValueError("Mask tensor can take 0 and 1 values only");
  return m.ne(0);
}

function fillValue(x: Tensor, value: TensorLike): Tensor {
  if (isTensor(value) && value.ndim !== 0) {
    throw new ShapeError(`masked_fill_ only supports a 0-dimensional value tensor, but got tensor with ${value.ndim} dimension(s).`);
  }
  return valueTensor(value, x.dtype);
}

function maskedFillData(x: Tensor, mask: Tensor, v: Tensor, shape: Shape): TypedArray {
  const cv = v.dtype === x.dtype ? v : wrap(backend().cast(v.storage.data, v.layout, v.dtype, x.dtype), [], x.dtype);
  return backend().where(mask.storage.data, mask.layout.expand(shape), cv.storage.data, cv.layout.expand(shape), x.storage.data, x.layout.expand(shape), x.dtype);
}

/** `x` with `value` where `mask` is true (broadcast together), as masked_fill. */
export function maskedFill(x: Tensor, mask: Tensor, value: TensorLike): Tensor {
  const m = fillMask(mask), v = fillValue(x, value), shape = broadcastShapes(mask.shape, x.shape);
  const out = wrap(maskedFillData(x, m, v, shape), shape, x.dtype);
  return isTensor(value) && value.requiresGrad ? record("maskedFillTensor", [x, v], out, { mask: m }) : record("maskedFill", [x], out, { mask: m });
}

/** In place, `value` where `mask` (broadcast to x's shape) is true, as masked_fill_. */
export function maskedFill_<T extends Tensor>(x: T, mask: Tensor, value: TensorLike): T {
  const m = fillMask(mask), v = fillValue(x, value);
  const shape = broadcastShapes(mask.shape, x.shape);
  if (shape.length !== x.ndim || shape.some((s, i) => s !== x.shape[i])) {
    throw new ShapeError(`masked_fill_: the mask of shape ${showShape(mask.shape)} does not broadcast to the tensor's shape ${showShape(x.shape)}`);
  }
  return mutate(x, [v], (dst) => backend().write(dst.storage.data, dst.layout, maskedFillData(dst, m, v, dst.shape)), (s) => maskedFill(s, m, value));
}

function checkSelectMask(mask: Tensor): void {
  if (!isTensor(mask) || (mask.dtype !== bool && mask.dtype !== uint8)) throw new DTypeError("masked_select: expected BoolTensor or ByteTensor for mask");
}

/** The elements of `x` where `mask` is true (broadcast together), as a 1-D tensor: masked_select. */
export function maskedSelect(x: Tensor, mask: Tensor): Tensor {
  checkSelectMask(mask);
  const shape = broadcastShapes(x.shape, mask.shape);
  const off = backend().maskedOffsets(mask.storage.data, mask.layout.expand(shape), x.layout.expand(shape));
  const out = wrap(backend().take(x.storage.data, ZERO, off, ZERO, x.dtype), [off.length], x.dtype);
  return record("maskedSelect", [x], out, { mask, shape });
}

/** A tensor of `shape` that is zero but where `mask` is true, which take `source`'s values in order (masked_scatter on zeros). */
export function maskedScatterZeros(shape: Shape, mask: Tensor, source: Tensor): Tensor {
  const out = wrap(source.dtype.alloc(shape.reduce((p, s) => p * s, 1)), shape, source.dtype);
  const off = backend().maskedOffsets(mask.storage.data, mask.layout.expand(shape), out.layout);
  backend().put(out.storage.data, ZERO, off, ZERO, valuesOver(source, source.shape, source.dtype).subarray(0, off.length), "set");
  return out;
}

// ---- nonzero, argwhere, where(cond) ----

/** The indices of the nonzero elements, int64 [count, ndim]; with `asTuple`, one index tensor per dim. */
export function nonzero(x: Tensor): Tensor;
export function nonzero(x: Tensor, options: { asTuple: true }): Tensor[];
export function nonzero(x: Tensor, options?: { asTuple?: boolean }): Tensor | Tensor[];
export function nonzero(x: Tensor, options: { asTuple?: boolean } = {}): Tensor | Tensor[] {
  if (x.ndim === 0) {
    const v = x.storage.data[x.layout.offset], hit = v !== 0 && v !== 0n;
    if (options.asTuple) return [wrap(new BigInt64Array(hit ? 1 : 0), [hit ? 1 : 0], int64)];
    return wrap(new BigInt64Array(0), [hit ? 1 : 0, 0], int64);
  }
  const data = backend().nonzero(x.storage.data, x.layout), nd = x.ndim, count = data.length / nd;
  if (!options.asTuple) return wrap(data, [count, nd], int64);
  return Array.from({ length: nd }, (_, j) => new Tensor({ data, dtype: int64 }, new Layout([count], [nd], j)));
}

/** The indices of the nonzero elements as an int64 [count, ndim] tensor, as torch.argwhere. */
export function argwhere(x: Tensor): Tensor {
  return nonzero(x);
}

/** `torch.where(cond)`: one index tensor per dim of the true elements; `torch.where(cond, a, b)`: `cond ? a : b`. */
export function where(condition: Tensor): Tensor[];
export function where(condition: Tensor, a: TensorLike, b: TensorLike): Tensor;
export function where(condition: Tensor, a?: TensorLike, b?: TensorLike): Tensor | Tensor[] {
  if (a === undefined && b === undefined) return nonzero(condition, { asTuple: true });
  if (a === undefined || b === undefined) throw new DTypeError("where() takes a condition alone, or a condition and two values");
  return where3(condition, a, b);
}
