/** Sorting along a dim: sort, argsort and topk, with PyTorch's CPU order for ties and NaN. */
import { DTypeError, IndexError, ValueError } from "../errors.ts";
import { int64 } from "../core/dtype.ts";
import { normalizeDim } from "../core/shape.ts";
import type { Tensor, ValuesIndices } from "../tensor.ts";
import { backend } from "../backend/active.ts";
import { record } from "../autograd/record.ts";
import { wrap, contiguousData } from "./elementwise.ts";

/** Options of sort and argsort: the dim (-1), descending order, and whether ties keep their order. */
export interface SortOptions { dim?: number; descending?: boolean; stable?: boolean }
/** Options of topk: the dim (-1), largest or smallest, and whether the k come out sorted. */
export interface TopkOptions { dim?: number; largest?: boolean; sorted?: boolean }

function checkSortable(x: Tensor, op: string): void {
  if (!x.dtype.computable) throw new DTypeError(`"${op}_cpu" not implemented for '${x.dtype.scalarName}'`);
}

/** Sorted values along a dim and their positions; 0-dim tensors sort as one element. */
export function sort(x: Tensor, options: number | SortOptions = {}): ValuesIndices {
  const o = typeof options === "number" ? { dim: options } : options;
  const { descending = false, stable = false } = o;
  checkSortable(x, "sort");
  const d = normalizeDim(o.dim ?? -1, x.ndim);
  const layout = x.ndim === 0 ? x.layout.unsqueeze(0) : x.layout;
  const r = backend().sort(x.storage.data, layout, d, descending, stable, x.dtype);
  const indices = wrap(r.indices, x.shape, int64);
  const values = wrap(r.values, x.shape, x.dtype);
  if (x.dtype.kind === "float") record(stable ? "sortStable" : "sort", [x], values, { dim: d, indices, shape: x.shape });
  return { values, indices };
}

/** The values sorted along dim 0 (torch.msort). */
export function msort(x: Tensor): Tensor {
  return sort(x, { dim: 0 }).values;
}

/** The positions that sort the tensor along a dim (no gradient). */
export function argsort(x: Tensor, options: number | SortOptions = {}): Tensor {
  return sort(x, options).indices;
}

/** The k largest (or smallest) elements along a dim and their positions. */
export function topk(x: Tensor, k: number, options: TopkOptions = {}): ValuesIndices {
  const { largest = true, sorted = true } = options;
  if (typeof k !== "number" || !Number.isInteger(k)) throw new ValueError(`topk(): argument 'k' (position 2) must be int, not ${typeof k === "number" ? "float" : typeof k}`);
  if (x.dtype.kind === "bool" || !x.dtype.computable) throw new DTypeError(`"topk_cpu" not implemented for '${x.dtype.scalarName}'`);
  const d = normalizeDim(options.dim ?? -1, x.ndim);
  const size = x.ndim === 0 ? 1 : x.shape[d]!;
  if (k < 0 || k > size) throw new IndexError("selected index k out of range");
  const layout = x.ndim === 0 ? x.layout.unsqueeze(0) : x.layout;
  const r = backend().topk(x.storage.data, layout, k, d, largest, sorted, x.dtype);
  const shape = x.ndim === 0 ? [] : x.shape.map((s, i) => (i === d ? k : s));
  const indices = wrap(r.indices, shape, int64);
  const values = wrap(r.values, shape, x.dtype);
  if (x.dtype.kind === "float") record("topk", [x], values, { dim: d, indices, shape: x.shape });
  return { values, indices };
}

/**
 * Zeros of `shape` with `src` written at `indices` along `dim`: the inverse of a selection (the
 * gradient of sort and topk). `indices` has `src`'s shape and distinct positions along `dim`.
 */
export function placeAlong(src: Tensor, indices: Tensor, dim: number, shape: readonly number[]): Tensor {
  const scalar = shape.length === 0;
  const idx = contiguousData(indices) as BigInt64Array;
  const data = backend().placeAlong(src.storage.data, scalar ? src.layout.unsqueeze(0) : src.layout, idx, dim, scalar ? [1] : shape, src.dtype);
  return wrap(data, shape, src.dtype);
}
