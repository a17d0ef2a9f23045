/** Shape-family CPU kernels: triangles, running sums and products, sorting and top-k along a dim. */
import type { DType, TypedArray } from "../../core/dtype.ts";
import type { Layout } from "../../core/layout.ts";
import type { CumulativeExtremeOp, CumulativeOp, SortResult } from "../backend.ts";
import { ascending, descending, introsort, nthElement, partialSort, stableSort, type Pairs } from "./sort.ts";

/** The elements in row-major order as a fresh or shared array (the storage itself when it already is). */
function rowMajor(x: TypedArray, layout: Layout): TypedArray {
  const n = layout.numel, off = layout.offset;
  if (layout.isContiguous) return off === 0 && x.length === n ? x : x.subarray(off, off + n);
  const pos = layout.indices(), res = new (x.constructor as new (n: number) => TypedArray)(n);
  for (let i = 0; i < n; i++) res[i] = x[pos[i]!]!;
  return res;
}

/** Sizes around `dim`: the product of the dims before, the dim, and the product after. */
function around(shape: readonly number[], dim: number): [number, number, number] {
  let outer = 1, inner = 1;
  for (let d = 0; d < dim; d++) outer *= shape[d]!;
  for (let d = dim + 1; d < shape.length; d++) inner *= shape[d]!;
  return [outer, shape[dim]!, inner];
}

/**
 * tril/triu over the last two dims: keeps element (i, j) when j - i <= diagonal (lower) or
 * j - i >= diagonal (upper), zero elsewhere. Same dtype in and out.
 */
export function triangleKernel(x: TypedArray, layout: Layout, diagonal: number, upper: boolean, out: DType): TypedArray {
  const src = rowMajor(x, layout), n = layout.numel, res = out.alloc(n);
  const nd = layout.ndim, rows = layout.shape[nd - 2]!, cols = layout.shape[nd - 1]!;
  for (let base = 0; base < n; base += rows * cols) {
    for (let i = 0; i < rows; i++) {
      // the kept columns of row i: [lo, hi)
      const lo = upper ? Math.max(0, i + diagonal) : 0, hi = upper ? cols : Math.min(cols, i + diagonal + 1);
      const row = base + i * cols;
      for (let j = lo; j < hi; j++) res[row + j] = src[row + j]!;
    }
  }
  return res;
}

/**
 * cumsum/cumprod along `dim`, same dtype in and out. Floats accumulate in float64 and round each
 * partial result to the dtype, as PyTorch's CPU kernel does (its accumulator is a double); int64 exactly.
 */
export function cumulativeKernel(op: CumulativeOp, x: TypedArray, layout: Layout, dim: number, out: DType): TypedArray {
  const src = rowMajor(x, layout), res = out.alloc(layout.numel);
  const [outer, n, inner] = around(layout.shape, dim), prod = op === "cumprod";
  if (res instanceof BigInt64Array) {
    const s = src as BigInt64Array;
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < inner; j++) {
        let acc = prod ? 1n : 0n;
        for (let i = 0, p = o * n * inner + j; i < n; i++, p += inner) { acc = prod ? acc * s[p]! : acc + s[p]!; res[p] = acc; }
      }
    }
    return res;
  }
  const s = src as Float64Array, r = res as Float64Array;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      let acc = prod ? 1 : 0;
      for (let i = 0, p = o * n * inner + j; i < n; i++, p += inner) { acc = prod ? acc * s[p]! : acc + s[p]!; r[p] = acc; }
    }
  }
  return res;
}

/**
 * cummax/cummin along `dim`: the running extreme and the index it came from. A tie or a NaN
 * takes the later index and NaN stays once seen, as PyTorch's kernel compares with >= (<=).
 */
export function cumulativeExtremeKernel(op: CumulativeExtremeOp, x: TypedArray, layout: Layout, dim: number, out: DType): SortResult {
  const src = rowMajor(x, layout), [outer, n, inner] = around(layout.shape, dim), max = op === "cummax";
  const values = out.alloc(layout.numel), indices = new BigInt64Array(layout.numel);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      const from = o * n * inner + j;
      let best = src[from]!, idx = 0;
      for (let i = 0, p = from; i < n; i++, p += inner) {
        const v = src[p]!;
        if (v !== v || (best === best && (max ? v >= best : v <= best))) { best = v; idx = i; }
        values[p] = best;
        indices[p] = BigInt(idx);
      }
    }
  }
  return { values, indices };
}

/** Runs `order` on every slice along `dim`, writing the first `k` of each back as values and indices. */
function alongDim(
  x: TypedArray, layout: Layout, dim: number, k: number, out: DType, order: (p: Pairs) => Pairs,
): SortResult {
  const src = rowMajor(x, layout), [outer, n, inner] = around(layout.shape, dim);
  const values = out.alloc(outer * k * inner), indices = new BigInt64Array(outer * k * inner);
  const pairs: Pairs = { k: new Array<number | bigint>(n), v: new Array<number>(n) };
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      const from = o * n * inner + j, to = o * k * inner + j;
      for (let i = 0; i < n; i++) { pairs.k[i] = src[from + i * inner]!; pairs.v[i] = i; }
      const done = order(pairs);
      for (let i = 0; i < k; i++) { values[to + i * inner] = done.k[i]!; indices[to + i * inner] = BigInt(done.v[i]!); }
    }
  }
  return { values, indices };
}

/**
 * Sorts along `dim`: std::stable_sort when `stable`, else std::sort (introsort), whose tie order
 * PyTorch's CPU sort shows; NaN sorts as the largest value.
 */
export function sortKernel(x: TypedArray, layout: Layout, dim: number, desc: boolean, stable: boolean, out: DType): SortResult {
  const less = desc ? descending : ascending, n = layout.shape[dim] ?? 1;
  return alongDim(x, layout, dim, n, out, (p) => {
    if (stable) stableSort(p, less);
    else introsort(p, 0, n, less);
    return p;
  });
}

/**
 * The `k` largest (or smallest) along `dim`, PyTorch's CPU way: std::partial_sort when
 * k * 64 <= n, else std::nth_element and, when `sorted`, std::sort of the first k - 1.
 */
export function topkKernel(x: TypedArray, layout: Layout, k: number, dim: number, largest: boolean, sorted: boolean, out: DType): SortResult {
  const less = largest ? descending : ascending, n = layout.shape[dim] ?? 1;
  return alongDim(x, layout, dim, k, out, (p) => {
    if (k === 0) return p;
    if (k * 64 <= n) partialSort(p, 0, k, n, less);
    else {
      nthElement(p, 0, k - 1, n, less);
      if (sorted) introsort(p, 0, k - 1, less);
    }
    return p;
  });
}

/**
 * The inverse of a selection along `dim`: zeros of `shape` with `src[..., i, ...]` added at
 * `indices[..., i, ...]` along `dim` (the backward of sort, topk, cummax and cummin).
 */
export function placeAlongKernel(
  src: TypedArray, srcLayout: Layout, indices: BigInt64Array, dim: number, shape: readonly number[], out: DType,
): TypedArray {
  const s = rowMajor(src, srcLayout), res = out.alloc(shape.reduce((p, d) => p * d, 1));
  const [outer, n, inner] = around(shape, dim), k = srcLayout.shape[dim] ?? 1;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      const from = o * k * inner + j, to = o * n * inner + j;
      for (let i = 0; i < k; i++) (res as Float64Array)[to + Number(indices[from + i * inner]!) * inner]! += s[from + i * inner] as number;
    }
  }
  return res;
}
