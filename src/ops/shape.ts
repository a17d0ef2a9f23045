/**
 * Shape ops that copy: triangles, flips, rolls, repeats, diagonals, running sums and products,
 * and the batched products (bmm, addmm, baddbmm). Each records one node, as PyTorch does.
 */
import { DTypeError, ShapeError, ValueError } from "../errors.ts";
import { int64, type DType } from "../core/dtype.ts";
import { Layout } from "../core/layout.ts";
import { normalizeDim, showShape, type Shape } from "../core/shape.ts";
import { Tensor, type ValuesIndices } from "../tensor.ts";
import { backend } from "../backend/active.ts";
import { noGrad } from "../autograd/grad-mode.ts";
import { record } from "../autograd/record.ts";
import { binary, cast, wrap, contiguousData } from "./elementwise.ts";
import { cat, expand, permute, reshape, slice, split, unsqueeze, view } from "./movement.ts";
import { matmul } from "./linalg.ts";
import { sum } from "./reduce.ts";
import { full } from "./inplace.ts";

/** A new contiguous tensor holding the elements `layout` picks out of `t`'s storage. */
function gatherLayout(t: Tensor, layout: Layout, shape: Shape = layout.shape): Tensor {
  return wrap(backend().cast(t.storage.data, layout, t.dtype, t.dtype), shape, t.dtype);
}

/** PyTorch's argument check for an int: `diag(): argument 'diagonal' (position 1) must be int, not float`. */
function checkInt(value: unknown, op: string, name: string, position: number): number {
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new ValueError(`${op}(): argument '${name}' (position ${position}) must be int, not ${typeof value === "number" ? "float" : typeof value}`);
  }
  return value;
}

// ---- triangles ----

/** tril (lower) or triu (upper) about the `diagonal`-th diagonal of the last two dims. */
export function triangle(x: Tensor, diagonal: number, upper: boolean): Tensor {
  const op = upper ? "triu" : "tril";
  checkInt(diagonal, op, "diagonal", 1);
  normalizeDim(-2, x.ndim); // PyTorch's check: a 0-D or 1-D input has no dim -2
  const data = backend().triangle(x.storage.data, x.layout, diagonal, upper, x.dtype);
  return record(op, [x], wrap(data, x.shape, x.dtype), { diagonal });
}

// ---- running sums and products ----

/** The dtype a cumulative op computes in: the requested one, else int64 for bool and ints. */
function cumulativeType(x: Tensor, dtype: DType | undefined): DType {
  if (dtype !== undefined) return dtype;
  return x.dtype.kind === "float" ? x.dtype : int64;
}

/** cumsum/cumprod along `dim`, optionally computed in `dtype` (the input is converted first). */
export function cumulative(op: "cumsum" | "cumprod", x: Tensor, dim: number, dtype?: DType): Tensor {
  if (typeof dim !== "number") throw new ValueError(`${op}() missing required argument 'dim' (pos 2)`);
  const d = normalizeDim(dim, x.ndim), type = cumulativeType(x, dtype);
  if (!type.computable) throw new DTypeError(`${op}: dtype ${type} is storage-only in torchlet; convert first with .to(torch.float32)`);
  const src = noGrad(() => cast(x, type));
  const layout = x.ndim === 0 ? src.layout.unsqueeze(0) : src.layout;
  const out = wrap(backend().cumulative(op, src.storage.data, layout, d, type), x.shape, type);
  return type.kind === "float" ? record(op, [x], out, { dim: d }) : out;
}

/** cummax/cummin along `dim`: the running extreme and the index it came from. */
export function cumulativeExtreme(op: "cummax" | "cummin", x: Tensor, dim: number): ValuesIndices {
  const d = normalizeDim(dim, x.ndim);
  if (!x.dtype.computable) throw new DTypeError(`"${op}_cpu" not implemented for '${x.dtype.scalarName}'`);
  const layout = x.ndim === 0 ? x.layout.unsqueeze(0) : x.layout;
  const r = backend().cumulativeExtreme(op, x.storage.data, layout, d, x.dtype);
  const indices = wrap(r.indices, x.shape, int64), values = wrap(r.values, x.shape, x.dtype);
  if (x.dtype.kind === "float") record(op, [x], values, { dim: d, indices, shape: x.shape });
  return { values, indices };
}

// ---- flips, rolls, repeats ----

/** Reverses the order along `dims` (a copy, as PyTorch's flip). */
export function flip(x: Tensor, dims: number | readonly number[]): Tensor {
  const ds = (typeof dims === "number" ? [dims] : dims).map((d) => normalizeDim(d, x.ndim));
  const dup = ds.find((d, i) => ds.indexOf(d) !== i);
  if (dup !== undefined) throw new ShapeError(`dim ${dup} appears multiple times in the list of dims`);
  const strides = [...x.layout.strides];
  let offset = x.layout.offset;
  for (const d of ds) {
    if (x.shape[d]! > 0) offset += (x.shape[d]! - 1) * strides[d]!;
    strides[d] = -strides[d]!;
  }
  return record("flip", [x], gatherLayout(x, new Layout(x.shape, strides, offset)), { dims: ds });
}

/** Rotates by 90° `k` times in the plane of `dims`, from the first towards the second (a copy). */
export function rot90(x: Tensor, k = 1, dims: readonly number[] = [0, 1]): Tensor {
  checkInt(k, "rot90", "k", 1);
  if (dims.length !== 2) throw new ShapeError(`expected total rotation dims == 2, but got dims = ${dims.length}`);
  if (x.ndim < 2) throw new ShapeError(`expected total dims >= 2, but got total dims = ${x.ndim}`);
  const d0 = normalizeDim(dims[0]!, x.ndim), d1 = normalizeDim(dims[1]!, x.ndim);
  if (d0 === d1) throw new ShapeError(`expected rotation dims to be different, but got dim0 = ${d0} and dim1 = ${d1}`);
  const turns = ((k % 4) + 4) % 4;
  const out = noGrad(() => {
    if (turns === 1) return flip(x, [d1]).transpose(d0, d1).contiguous();
    if (turns === 2) return flip(x, [d0, d1]);
    if (turns === 3) return flip(x, [d0]).transpose(d0, d1).contiguous();
    return gatherLayout(x, x.layout);
  });
  return record("rot90", [x], out, { k, dims: [d0, d1] });
}

/** Rotates elements along `dims` by `shifts` (over the flattened tensor when no dims are given). */
export function roll(x: Tensor, shifts: number | readonly number[], dims?: number | readonly number[]): Tensor {
  const s = typeof shifts === "number" ? [shifts] : [...shifts];
  const ds = dims === undefined ? [] : typeof dims === "number" ? [dims] : [...dims];
  if (ds.length === 0 && s.length !== 1) throw new ShapeError(`shifts and dimensions must align. shifts: ${s.length}, dims:0`);
  if (ds.length > 0 && s.length !== ds.length) throw new ShapeError(`shifts and dimensions must align. shifts: ${s.length}, dims:${ds.length}`);
  s.forEach((v) => checkInt(v, "roll", "shifts", 1));
  const nd = ds.map((d) => normalizeDim(d, x.ndim));
  const out = noGrad(() => {
    if (nd.length === 0) return reshape(rollAlong(reshape(x, [-1]), 0, s[0]!), x.shape);
    let r = x;
    nd.forEach((d, i) => { r = rollAlong(r, d, s[i]!); });
    return r === x ? gatherLayout(x, x.layout) : r;
  });
  return record("roll", [x], out, { shifts: s, dims: nd });
}

function rollAlong(x: Tensor, dim: number, shift: number): Tensor {
  const n = x.shape[dim]!;
  if (n === 0) return x;
  const k = ((shift % n) + n) % n;
  if (k === 0) return x;
  return cat([slice(x, dim, n - k), slice(x, dim, 0, n - k)], dim);
}

/** Tiles the tensor `sizes` times along each dim (leading new dims allowed), as PyTorch's repeat. */
export function repeat(x: Tensor, sizes: readonly number[]): Tensor {
  if (sizes.length < x.ndim) {
    throw new ShapeError("Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor");
  }
  sizes.forEach((r, i) => {
    if (!Number.isInteger(r)) throw new ValueError(`repeat(): argument 'repeats' (position 1) must be tuple of ints, but found element of type float at pos ${i}`);
  });
  const lead = sizes.length - x.ndim;
  const padded = [...new Array<number>(lead).fill(1), ...x.shape];
  const outShape = padded.map((s, i) => s * sizes[i]!);
  const negative = outShape.find((s) => s < 0);
  if (negative !== undefined) throw new ShapeError(`Trying to create tensor with negative dimension ${negative}: ${showShape(outShape)}`);
  const padStrides = [...new Array<number>(lead).fill(0), ...x.layout.strides];
  // [r0, s0, r1, s1, ...] with stride 0 on every repeat dim: one copy reads each element r times
  const shape: number[] = [], strides: number[] = [];
  padded.forEach((s, i) => { shape.push(sizes[i]!, s); strides.push(0, padStrides[i]!); });
  const out = gatherLayout(x, new Layout(shape, strides, x.layout.offset), outShape);
  return record("repeat", [x], out, { sizes: [...sizes], shape: x.shape });
}

/** PyTorch's tile: repeat with the repeat counts padded by leading 1s up to the tensor's dims. */
export function tile(x: Tensor, dims: readonly number[]): Tensor {
  const padded = dims.length < x.ndim ? [...new Array<number>(x.ndim - dims.length).fill(1), ...dims] : dims;
  return repeat(x, padded);
}

/** The repeat counts of repeatInterleave as numbers, checked against the dim's size as PyTorch checks them. */
function repeatCounts(repeats: number | Tensor, n: number): number[] {
  if (typeof repeats === "number") {
    checkInt(repeats, "repeat_interleave", "repeats", 1);
    if (repeats < 0) throw new ShapeError("repeats can not be negative");
    return new Array<number>(n).fill(repeats);
  }
  if (repeats.ndim > 1) throw new ShapeError("repeats must be 0-dim or 1-dim tensor");
  if (repeats.dtype.kind !== "int") throw new DTypeError(`"repeat_interleave_cpu" not implemented for '${repeats.dtype.scalarName}'`);
  const values = (repeats.reshape(-1).tolist() as (number | bigint)[]).map(Number);
  // one count (0-dim or 1 element) repeats every slice that many times
  const list = values.length === 1 ? new Array<number>(n).fill(values[0]!) : values;
  if (list.length !== n) throw new ShapeError("repeats must have the same size as input along dim");
  if (list.some((c) => c < 0)) throw new ShapeError("repeats can not be negative");
  return list;
}

/**
 * Repeats each element (slice along `dim`) `repeats` times in place, as PyTorch's
 * repeat_interleave; without a dim the tensor is flattened first.
 */
export function repeatInterleave(x: Tensor, repeats?: number | Tensor, options?: number | { dim?: number }): Tensor {
  if (repeats === undefined) return repeatIndices(x);
  const dim = typeof options === "object" ? options.dim : options;
  const src = dim === undefined ? reshape(x, [-1]) : x;
  const d = dim === undefined ? 0 : normalizeDim(dim, x.ndim);
  const n = src.ndim === 0 ? 1 : src.shape[d]!;
  const counts = repeatCounts(repeats, n);
  const out = noGrad(() => {
    const s = src.ndim === 0 ? reshape(src, [1]) : src;
    if (counts.every((c) => c === counts[0])) {
      // every slice repeated r times: one copy of an expanded view
      const r = counts[0] ?? 0, e = unsqueeze(s, d + 1);
      const shape = [...e.shape];
      shape[d + 1] = r;
      const merged = [...s.shape];
      merged[d] = n * r;
      return gatherLayout(e, e.layout.expand(shape), merged);
    }
    const pieces = split(s, 1, d).map((p, i) => expand(p, p.shape.map((sz, k) => (k === d ? counts[i]! : sz))));
    return cat(pieces, d);
  });
  return record("repeatInterleave", [src], out, { dim: d, sizes: counts });
}

/** torch.repeat_interleave(repeats): each index i repeated repeats[i] times (int64). */
function repeatIndices(repeats: Tensor): Tensor {
  if (repeats.ndim !== 1) throw new ShapeError("repeat_interleave only accept 1D vector as repeat");
  if (repeats.dtype.kind !== "int") throw new DTypeError(`"repeat_interleave_cpu" not implemented for '${repeats.dtype.scalarName}'`);
  const counts = (repeats.tolist() as (number | bigint)[]).map(Number);
  if (counts.some((c) => c < 0)) throw new ShapeError("repeats can not be negative");
  const out = new BigInt64Array(counts.reduce((p, c) => p + c, 0));
  let k = 0;
  counts.forEach((c, i) => { for (let j = 0; j < c; j++) out[k++] = BigInt(i); });
  return wrap(out, [out.length], int64);
}

// ---- diagonals ----

/** The layout of the `offset`-th diagonal of dims d1, d2, appended as the last dim. */
export function diagonalLayout(l: Layout, offset: number, d1: number, d2: number): Layout {
  const s1 = l.shape[d1]!, s2 = l.shape[d2]!;
  const size = Math.max(0, offset >= 0 ? Math.min(s1, s2 - offset) : Math.min(s1 + offset, s2));
  const start = size === 0 ? l.offset : l.offset + (offset >= 0 ? offset * l.strides[d2]! : -offset * l.strides[d1]!);
  const keep = (_: number, k: number) => k !== d1 && k !== d2;
  return new Layout(
    [...l.shape.filter(keep), size],
    [...l.strides.filter(keep), l.strides[d1]! + l.strides[d2]!],
    start,
  );
}

/** A view of a diagonal of two dims, moved to the end (PyTorch's diagonal). */
export function diagonal(x: Tensor, offset = 0, dim1 = 0, dim2 = 1): Tensor {
  checkInt(offset, "diagonal", "offset", 1);
  const d1 = normalizeDim(dim1, x.ndim), d2 = normalizeDim(dim2, x.ndim);
  if (d1 === d2) throw new ShapeError(`diagonal dimensions cannot be identical ${dim1}, ${dim2}`);
  const view = new Tensor(x.storage, diagonalLayout(x.layout, offset, d1, d2), { version: x._version, base: x._base ?? x });
  return record("diagonal", [x], view, { diagonal: offset, dims: [d1, d2], shape: x.shape });
}

/** A square matrix with `x` on a diagonal (1-D input), or a diagonal of a matrix as a copy (2-D). */
export function diag(x: Tensor, offset = 0): Tensor {
  checkInt(offset, "diag", "diagonal", 1);
  if (x.ndim === 1) {
    const n = x.shape[0]! + Math.abs(offset);
    const z = full([n, n], 0, x.dtype);
    backend().write(z.storage.data, diagonalLayout(z.layout, offset, 0, 1), contiguousData(x));
    return record("diag", [x], z, { diagonal: offset, shape: x.shape });
  }
  if (x.ndim !== 2) throw new ShapeError("matrix or a vector expected");
  return record("diag", [x], gatherLayout(x, diagonalLayout(x.layout, offset, 0, 1)), { diagonal: offset, shape: x.shape });
}

/** Matrices (in dims `dim1`, `dim2` of the result) with the last dim of `x` on a diagonal. */
export function diagEmbed(x: Tensor, offset = 0, dim1 = -2, dim2 = -1): Tensor {
  checkInt(offset, "diag_embed", "offset", 1);
  const nd = x.ndim + 1, d1 = normalizeDim(dim1, nd), d2 = normalizeDim(dim2, nd);
  if (d1 === d2) throw new ShapeError(`diagonal dimensions cannot be identical ${dim1}, ${dim2}`);
  const n = (x.shape[x.ndim - 1] ?? 1) + Math.abs(offset), lead = x.shape.slice(0, -1);
  const shape: number[] = [];
  for (let d = 0, k = 0; d < nd; d++) shape.push(d === d1 || d === d2 ? n : lead[k++]!);
  return record("diagEmbed", [x], diagonalScatter(x, shape, offset, d1, d2), { diagonal: offset, dims: [d1, d2] });
}

/** The sum of a matrix's main diagonal (ints sum as int64). */
export function trace(x: Tensor): Tensor {
  if (x.ndim !== 2) throw new ShapeError(`trace: expected a matrix, but got tensor with dim ${x.ndim}`);
  const out = noGrad(() => sum(diagonal(x), {}));
  return out.dtype.kind === "float" ? record("trace", [x], out, { shape: x.shape }) : out;
}

/** Zeros of `shape` with `g` written along the `offset`-th diagonal of dims d1, d2 (diagonal's backward). */
export function diagonalScatter(g: Tensor, shape: Shape, offset: number, d1: number, d2: number): Tensor {
  const z = full(shape, 0, g.dtype);
  backend().write(z.storage.data, diagonalLayout(z.layout, offset, d1, d2), contiguousData(g));
  return z;
}

// ---- views ----

/** Moves dims `source` to positions `destination`, the others keeping their order (a permute). */
export function movedim(x: Tensor, source: number | readonly number[], destination: number | readonly number[]): Tensor {
  const src = (typeof source === "number" ? [source] : [...source]).map((d) => normalizeDim(d, x.ndim));
  const dst = (typeof destination === "number" ? [destination] : [...destination]).map((d) => normalizeDim(d, x.ndim));
  if (src.length !== dst.length) {
    throw new ShapeError(`movedim: Invalid source or destination dims: source (${showShape(src)} dims) should contain the same number of dims as destination (${showShape(dst)} dims)`);
  }
  const repeated = (ds: number[]) => ds.some((d, i) => ds.indexOf(d) !== i);
  if (repeated(src)) throw new ShapeError(`movedim: repeated dim in \`source\` (${showShape(src)})`);
  if (repeated(dst)) throw new ShapeError(`movedim: repeated dim in \`destination\` (${showShape(dst)})`);
  const perm = new Array<number>(x.ndim).fill(-1);
  src.forEach((s, i) => { perm[dst[i]!] = s; });
  const rest = x.shape.map((_, d) => d).filter((d) => !src.includes(d));
  for (let p = 0, k = 0; p < x.ndim; p++) if (perm[p] === -1) perm[p] = rest[k++]!;
  return permute(x, perm);
}

/** Splits dim `dim` into `sizes` (one may be -1), as a view. */
export function unflatten(x: Tensor, dim: number, sizes: readonly number[]): Tensor {
  const d = normalizeDim(dim, x.ndim);
  if (sizes.length === 0) throw new ShapeError("unflatten: sizes must be non-empty");
  const known = sizes.reduce((p, s) => (s === -1 ? p : p * s), 1);
  if (!sizes.includes(-1) && known !== x.shape[d]) {
    throw new ShapeError(`unflatten: Provided sizes ${showShape(sizes)} don't multiply up to the size of dim ${dim} (${x.shape[d]}) in the input tensor`);
  }
  return view(x, [...x.shape.slice(0, d), ...sizes, ...x.shape.slice(d + 1)]);
}

/** The elements as one dim: a view of a contiguous tensor, else of a contiguous copy (PyTorch's ravel). */
export const ravel = (x: Tensor): Tensor => view(x.contiguous(), [-1]);

// ---- products ----

/** The outer product of two vectors: a.reshape(-1, 1) * b, as PyTorch computes it. */
export function outer(a: Tensor, b: Tensor): Tensor {
  if (a.ndim !== 1) throw new ShapeError(`outer: Expected 1-D argument self, but got ${a.ndim}-D`);
  if (b.ndim !== 1) throw new ShapeError(`outer: Expected 1-D argument vec2, but got ${b.ndim}-D`);
  return binary("mul", reshape(a, [a.shape[0]!, 1]), b);
}

/** Coordinate grids from 1-D tensors: `ij` indexing (matrix) or `xy` (Cartesian, first two swapped). */
export function meshgrid(tensors: readonly Tensor[], indexing: "ij" | "xy" = "ij"): Tensor[] {
  if (tensors.length === 0) throw new ShapeError("meshgrid expects a non-empty TensorList");
  if (indexing !== "ij" && indexing !== "xy") {
    throw new ValueError(`torch.meshgrid: indexing must be one of "xy" or "ij", but received: ${String(indexing)}`);
  }
  tensors.forEach((t, i) => {
    if (t.ndim > 1) throw new ShapeError(`torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: a ${t.ndim}-D tensor (number ${i})`);
    if (t.dtype !== tensors[0]!.dtype) throw new DTypeError("torch.meshgrid: Expected all tensors in the tensor list to have the same dtype");
  });
  const swap = indexing === "xy" && tensors.length >= 2;
  const ts = [...tensors];
  if (swap) [ts[0], ts[1]] = [ts[1]!, ts[0]!];
  const shape = ts.map((t) => t.numel());
  const grids = ts.map((t, i) => expand(reshape(t, shape.map((_, k) => (k === i ? -1 : 1))), shape));
  if (swap) [grids[0], grids[1]] = [grids[1]!, grids[0]!];
  return grids;
}

/** torch.mm: the product of two matrices. */
export function mm(a: Tensor, b: Tensor): Tensor {
  if (a.ndim !== 2) throw new ShapeError("self must be a matrix");
  if (b.ndim !== 2) throw new ShapeError("mat2 must be a matrix");
  return matmul(a, b);
}

/** torch.mv: a matrix times a vector. */
export function mv(a: Tensor, v: Tensor): Tensor {
  if (a.ndim !== 2 || v.ndim !== 1) throw new ShapeError(`vector + matrix @ vector expected, got 1, ${a.ndim}, ${v.ndim}`);
  if (a.shape[1] !== v.shape[0]) throw new ShapeError(`size mismatch, got ${a.shape[0]}, ${a.shape[0]}x${a.shape[1]},${v.shape[0]}`);
  return matmul(a, v);
}

/** torch.dot: the inner product of two vectors of one dtype. */
export function dot(a: Tensor, b: Tensor): Tensor {
  if (a.ndim !== 1 || b.ndim !== 1) throw new ShapeError(`1D tensors expected, but got ${a.ndim}D and ${b.ndim}D tensors`);
  if (a.dtype !== b.dtype) throw new DTypeError(`dot : expected both vectors to have same dtype, but found ${a.dtype.scalarName} and ${b.dtype.scalarName}`);
  return matmul(a, b);
}

function checkSameDtype(a: Tensor, b: Tensor): void {
  if (a.dtype !== b.dtype) throw new DTypeError(`expected scalar type ${a.dtype.scalarName} but found ${b.dtype.scalarName}`);
  if (a.dtype.kind === "bool" || !a.dtype.computable) throw new DTypeError(`"bmm" not implemented for '${a.dtype.scalarName}'`);
}

function checkBatched(b1: Tensor, b2: Tensor): void {
  if (b1.ndim !== 3) throw new ShapeError("batch1 must be a 3D tensor");
  if (b2.ndim !== 3) throw new ShapeError("batch2 must be a 3D tensor");
  const [bs, , k] = b1.shape as [number, number, number];
  if (b2.shape[0] !== bs || b2.shape[1] !== k) {
    throw new ShapeError(`Expected size for first two dimensions of batch2 tensor to be: [${bs}, ${k}] but got: [${b2.shape[0]}, ${b2.shape[1]}].`);
  }
}

/** Batched matrix product of two 3-D tensors [b, n, m] and [b, m, p] (no broadcasting). */
export function bmm(a: Tensor, b: Tensor): Tensor {
  checkBatched(a, b);
  checkSameDtype(a, b);
  const data = backend().matmul(a.storage.data, a.layout, b.storage.data, b.layout, a.dtype);
  return record("bmmOp", [a, b], wrap(data, [a.shape[0]!, a.shape[1]!, b.shape[2]!], a.dtype));
}

/** `beta * input + alpha * product`, where beta = 0 ignores input (its NaNs included), as PyTorch. */
function scaledSum(input: Tensor, product: Tensor, beta: number, alpha: number): Tensor {
  const p = alpha === 1 ? product : binary("mul", product, alpha);
  if (beta === 0) return p;
  return binary("add", beta === 1 ? input : binary("mul", input, beta), p);
}

/** The input of addmm/baddbmm must broadcast to the product's shape (expand's check and message). */
function checkScaled(input: Tensor, outShape: Shape): void {
  input.layout.expand(outShape);
}

/** Options of addmm and baddbmm: the factors of input (beta) and of the product (alpha). */
export interface ScaleOptions { beta?: number; alpha?: number }

/** `beta * input + alpha * (mat1 @ mat2)` for 2-D mat1 [n, m], mat2 [m, p]; input broadcasts to [n, p]. */
export function addmm(input: Tensor, mat1: Tensor, mat2: Tensor, options: ScaleOptions = {}): Tensor {
  const { beta = 1, alpha = 1 } = options;
  if (mat1.ndim !== 2) throw new ShapeError(`mat1 must be a matrix, got ${mat1.ndim}-D tensor`);
  if (mat2.ndim !== 2) throw new ShapeError(`mat2 must be a matrix, got ${mat2.ndim}-D tensor`);
  if (mat1.shape[1] !== mat2.shape[0]) {
    throw new ShapeError(`mat1 and mat2 shapes cannot be multiplied (${mat1.shape.join("x")} and ${mat2.shape.join("x")})`);
  }
  checkSameDtype(mat1, mat2);
  if (input.dtype !== mat1.dtype) throw new DTypeError(`expected scalar type ${mat1.dtype.scalarName} but found ${input.dtype.scalarName}`);
  const shape = [mat1.shape[0]!, mat2.shape[1]!];
  checkScaled(input, shape);
  const out = noGrad(() => {
    const mm = wrap(backend().matmul(mat1.storage.data, mat1.layout, mat2.storage.data, mat2.layout, mat1.dtype), shape, mat1.dtype);
    return scaledSum(input, mm, beta, alpha);
  });
  return record("addmmOp", [input, mat1, mat2], out, { beta, alpha });
}

/** `beta * input + alpha * bmm(batch1, batch2)`; input broadcasts to [b, n, p]. */
export function baddbmm(input: Tensor, batch1: Tensor, batch2: Tensor, options: ScaleOptions = {}): Tensor {
  const { beta = 1, alpha = 1 } = options;
  checkBatched(batch1, batch2);
  checkSameDtype(batch1, batch2);
  if (input.dtype !== batch1.dtype) throw new DTypeError(`expected scalar type ${batch1.dtype.scalarName} but found ${input.dtype.scalarName}`);
  const shape = [batch1.shape[0]!, batch1.shape[1]!, batch2.shape[2]!];
  checkScaled(input, shape);
  const out = noGrad(() => {
    const p = wrap(backend().matmul(batch1.storage.data, batch1.layout, batch2.storage.data, batch2.layout, batch1.dtype), shape, batch1.dtype);
    return scaledSum(input, p, beta, alpha);
  });
  return record("baddbmm", [input, batch1, batch2], out, { beta, alpha });
}

// ---- torch.* forms (PyTorch's positional arguments, defaults in options) ----

/** torch.tril: the lower triangle about the `diagonal`-th diagonal of the last two dims. */
export const tril = (x: Tensor, diagonal = 0): Tensor => triangle(x, diagonal, false);
/** torch.triu: the upper triangle about the `diagonal`-th diagonal of the last two dims. */
export const triu = (x: Tensor, diagonal = 0): Tensor => triangle(x, diagonal, true);
/** Options of cumsum/cumprod: the dtype to compute in (the input is converted first). */
export interface CumulativeOptions { dtype?: DType }
/** torch.cumsum(x, dim): the running sum along `dim`. */
export const cumsum = (x: Tensor, dim: number, options: CumulativeOptions = {}): Tensor => cumulative("cumsum", x, dim, options.dtype);
/** torch.cumprod(x, dim): the running product along `dim`. */
export const cumprod = (x: Tensor, dim: number, options: CumulativeOptions = {}): Tensor => cumulative("cumprod", x, dim, options.dtype);
/** torch.cummax(x, dim): the running maximum and its indices. */
export const cummax = (x: Tensor, dim: number): ValuesIndices => cumulativeExtreme("cummax", x, dim);
/** torch.cummin(x, dim): the running minimum and its indices. */
export const cummin = (x: Tensor, dim: number): ValuesIndices => cumulativeExtreme("cummin", x, dim);
/** torch.swapaxes / swapdims: transpose under NumPy's name. */
export const swapaxes = (x: Tensor, axis0: number, axis1: number): Tensor => x.transpose(axis0, axis1);
/** Options of diagEmbed: which diagonal (0) in which dims of the result (-2, -1). */
export interface DiagEmbedOptions { offset?: number; dim1?: number; dim2?: number }
/** torch.diag_embed(x, offset, dim1, dim2) or with `{ offset, dim1, dim2 }`. */
export function diagEmbedOf(x: Tensor, offset?: number | DiagEmbedOptions, dim1?: number, dim2?: number): Tensor {
  const o = typeof offset === "object" ? offset : { offset, dim1, dim2 };
  return diagEmbed(x, o.offset ?? 0, o.dim1 ?? -2, o.dim2 ?? -1);
}
/** torch.fliplr: flips dim 1 (at least 2-D). */
export function fliplr(x: Tensor): Tensor {
  if (x.ndim < 2) throw new ShapeError("Input must be >= 2-d.");
  return flip(x, [1]);
}
/** torch.flipud: flips dim 0 (at least 1-D). */
export function flipud(x: Tensor): Tensor {
  if (x.ndim < 1) throw new ShapeError("Input must be >= 1-d.");
  return flip(x, [0]);
}
/** Options of diagonal: which diagonal (0) of which two dims (0 and 1). */
export interface DiagonalOptions { offset?: number; dim1?: number; dim2?: number }
/** torch.diagonal(x, offset, dim1, dim2) or with `{ offset, dim1, dim2 }`. */
export function diagonalOf(x: Tensor, offset?: number | DiagonalOptions, dim1?: number, dim2?: number): Tensor {
  const o = typeof offset === "object" ? offset : { offset, dim1, dim2 };
  return diagonal(x, o.offset ?? 0, o.dim1 ?? 0, o.dim2 ?? 1);
}
/** torch.meshgrid(a, b, { indexing }) or torch.meshgrid([a, b], { indexing }); "ij" by default. */
export function meshgridOf(...args: (Tensor | readonly Tensor[] | { indexing?: "ij" | "xy" })[]): Tensor[] {
  const last = args[args.length - 1];
  const options = last !== undefined && !Array.isArray(last) && !(last instanceof Tensor) ? (last as { indexing?: "ij" | "xy" }) : {};
  const list = (options === last ? args.slice(0, -1) : args) as (Tensor | readonly Tensor[])[];
  const tensors = list.length === 1 && Array.isArray(list[0]) ? (list[0] as readonly Tensor[]) : (list as Tensor[]);
  return meshgrid(tensors, options.indexing);
}
