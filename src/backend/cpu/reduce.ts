/** Reduction CPU kernels: every input element folds into the output cell its index maps to. */
import type { DType, TypedArray } from "../../core/dtype.ts";
import { Layout } from "../../core/layout.ts";
import { contiguousStrides } from "../../core/shape.ts";
import { assertNever, type ArgReduceOp, type ReduceOp } from "../backend.ts";

/** For each input element (row-major), the output cell it reduces into. */
function outputCells(layout: Layout, dims: readonly number[]): Int32Array | Float64Array {
  const outShape = layout.shape.map((s, d) => (dims.includes(d) ? 1 : s));
  const strides = contiguousStrides(outShape).map((s, d) => (dims.includes(d) ? 0 : s));
  return new Layout(layout.shape, strides, 0).indices();
}

function reduceShapeNumel(layout: Layout, dims: readonly number[]): number {
  let p = 1;
  for (let d = 0; d < layout.shape.length; d++) if (!dims.includes(d)) p *= layout.shape[d]!;
  return p;
}

const identity: Record<ReduceOp, number> = { sum: 0, prod: 1, max: -Infinity, min: Infinity, any: 0, all: 1 };

function foldNumber(op: ReduceOp): (acc: number, x: number) => number {
  switch (op) {
    case "sum": return (a, x) => a + x;
    case "prod": return (a, x) => a * x;
    // NaN wins, as PyTorch's max/min reductions propagate it
    case "max": return (a, x) => (a !== a || x !== x ? NaN : x > a ? x : a);
    case "min": return (a, x) => (a !== a || x !== x ? NaN : x < a ? x : a);
    // NaN is nonzero, so true, as PyTorch has it (JavaScript's NaN is falsy)
    case "any": return (a, x) => (a !== 0 || x !== 0 ? 1 : 0);
    case "all": return (a, x) => (a !== 0 && x !== 0 ? 1 : 0);
    default: return assertNever(op);
  }
}

function foldBig(op: ReduceOp): (acc: bigint, x: bigint) => bigint {
  switch (op) {
    case "sum": return (a, x) => a + x;
    case "prod": return (a, x) => a * x;
    case "max": return (a, x) => (x > a ? x : a);
    case "min": return (a, x) => (x < a ? x : a);
    case "any": return (a, x) => (a || x ? 1n : 0n);
    case "all": return (a, x) => (a && x ? 1n : 0n);
    default: return assertNever(op);
  }
}

/** Reduces `dims` of x; accumulates in float64 (or bigint for int64 results). */
export function reduceKernel(
  op: ReduceOp, x: TypedArray, layout: Layout, dims: readonly number[], out: DType,
): TypedArray {
  const m = reduceShapeNumel(layout, dims), n = layout.numel;
  const res = out.alloc(m);
  if (res instanceof BigInt64Array) {
    const pos = layout.indices();
    const f = foldBig(op), acc = new Array<bigint | null>(m).fill(null);
    const cells = outputCells(layout, dims);
    for (let i = 0; i < n; i++) {
      const v = BigInt(x[pos[i]!]!), c = cells[i]!, a = acc[c]!;
      acc[c] = a === null ? v : f(a, v);
    }
    for (let c = 0; c < m; c++) res[c] = acc[c] ?? BigInt(identity[op]);
    return res;
  }
  const xs = x as Float64Array;
  // a sum makes no fold closure (the block path inlines it)
  if (layout.isContiguous && isBlock(dims)) return reduceBlock(op === "sum" ? null : foldNumber(op), identity[op], xs, layout, dims, res as Float64Array);
  if (layout.isContiguous && dims.length === layout.ndim - 1) return reduceAllBut(op === "sum" ? null : foldNumber(op), identity[op], xs, layout, dims, res as Float64Array);
  const f = foldNumber(op);
  const acc = new Float64Array(m).fill(identity[op]);
  const pos = layout.indices();
  if (dims.length === layout.ndim) {
    let a = identity[op];
    for (let i = 0; i < n; i++) a = f(a, Number(xs[pos[i]!]!));
    acc[0] = a;
  } else {
    const cells = outputCells(layout, dims);
    for (let i = 0; i < n; i++) acc[cells[i]!] = f(acc[cells[i]!]!, Number(xs[pos[i]!]!));
  }
  (res as Float64Array).set(acc);
  return res;
}

/**
 * Contiguous input reduced over every dim but one (a convolution's bias gradient: [n, c, h, w]
 * summed over 0, 2 and 3): outer × kept × inner, each kept cell folding its elements in memory
 * order (o, then i), as the index walk does, with no index arrays. `f` null is a sum, inlined.
 */
function reduceAllBut(
  f: ((a: number, x: number) => number) | null, init: number, x: Float64Array, layout: Layout, dims: readonly number[], res: Float64Array,
): Float64Array {
  const shape = layout.shape;
  let keep = 0;
  while (dims.includes(keep)) keep++;
  const outer = sizeOf(shape, 0, keep), kept = shape[keep]!, inner = sizeOf(shape, keep + 1, shape.length), off = layout.offset;
  for (let k = 0; k < kept; k++) {
    let acc = init;
    for (let o = 0; o < outer; o++) {
      const p0 = off + (o * kept + k) * inner;
      if (f === null) for (let i = 0; i < inner; i++) acc += x[p0 + i]!;
      else for (let i = 0; i < inner; i++) acc = f(acc, x[p0 + i]!);
    }
    res[k] = acc;
  }
  return res;
}

function isBlock(dims: readonly number[]): boolean {
  for (let i = 1; i < dims.length; i++) if (dims[i] !== dims[i - 1]! + 1) return false;
  return true;
}

function sizeOf(shape: readonly number[], from: number, to: number): number {
  let p = 1;
  for (let d = from; d < to; d++) p *= shape[d]!;
  return p;
}

// Contiguous input reduced over one run of adjacent dims: outer × reduced × inner, no index arrays.
// With inner > 1 (a bias gradient: [batch, n] summed over the batch) a row of inner cells folds
// one input row at a time, in memory order; each cell still folds k = 0, 1, … as before. `f` null
// is a sum, inlined: the fold closures differ per op, so a call through `f` is not inlined.
function reduceBlock(
  f: ((a: number, x: number) => number) | null, init: number, x: Float64Array, layout: Layout, dims: readonly number[], res: Float64Array,
): Float64Array {
  const shape = layout.shape, d0 = dims[0] ?? 0, d1 = dims[dims.length - 1] ?? -1;
  const outer = sizeOf(shape, 0, d0), size = sizeOf(shape, d0, d1 + 1), inner = sizeOf(shape, d1 + 1, shape.length), off = layout.offset;
  if (inner === 1) {
    for (let o = 0; o < outer; o++) {
      const p0 = off + o * size;
      let acc = init;
      if (f === null) for (let k = 0; k < size; k++) acc += x[p0 + k]!;
      else for (let k = 0; k < size; k++) acc = f(acc, x[p0 + k]!);
      res[o] = acc;
    }
    return res;
  }
  const acc = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    acc.fill(init);
    for (let k = 0; k < size; k++) {
      const p0 = off + (o * size + k) * inner;
      if (f === null) for (let i = 0; i < inner; i++) acc[i]! += x[p0 + i]!;
      else for (let i = 0; i < inner; i++) acc[i] = f(acc[i]!, x[p0 + i]!);
    }
    for (let i = 0; i < inner; i++) res[o * inner + i] = acc[i]!;
  }
  return res;
}

/**
 * In place `dst += x.sum(0)` for a 2-D float `x` of dst's dtype: each column summed in float64,
 * rows ascending (reduceKernel's order), rounded to the dtype, then added: the bits of
 * `dst.add_(x.sum(0))`. The wasm backend's sumRowsAccumulate for small gradients.
 */
export function sumRowsAccumulateKernel(dst: TypedArray, x: TypedArray, lx: Layout): boolean {
  const f32 = dst instanceof Float32Array;
  if (!(f32 || dst instanceof Float64Array) || x.constructor !== dst.constructor || lx.ndim !== 2) return false;
  const m = lx.shape[0]!, n = lx.shape[1]!, rs = lx.strides[0]!, cs = lx.strides[1]!, off = lx.offset;
  if (dst.length !== n) return false;
  const d = dst as Float64Array, xs = x as Float64Array;
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let i = 0, p = off + j * cs; i < m; i++, p += rs) s += xs[p]!;
    d[j] += f32 ? Math.fround(s) : s;
  }
  return true;
}

/** First index of the max/min along `dim`; a NaN counts as the extreme, as in PyTorch. */
export function argReduceKernel(op: ArgReduceOp, x: TypedArray, layout: Layout, dim: number): BigInt64Array {
  const size = layout.shape[dim]!;
  const m = reduceShapeNumel(layout, [dim]);
  const res = new BigInt64Array(m);
  const best = new Array<number | bigint>(m);
  const pos = layout.indices(), cells = outputCells(layout, [dim]);
  const inner = layout.shape.slice(dim + 1).reduce((p, s) => p * s, 1);
  const better = op === "argmax"
    ? (v: number | bigint, b: number | bigint) => v > b || (v !== v && b === b)
    : (v: number | bigint, b: number | bigint) => v < b || (v !== v && b === b);
  for (let i = 0; i < layout.numel; i++) {
    const c = cells[i]!, v = x[pos[i]!]!, k = Math.floor(i / inner) % size;
    if (k === 0 || better(v, best[c]!)) { best[c] = v; res[c] = BigInt(k); }
  }
  return res;
}
