/** Row kernels of the embedding lookup and its gradient. */
import type { DType, TypedArray } from "../../core/dtype.ts";
import type { Layout } from "../../core/layout.ts";

/** Rows `rows` of a 2-D table, in order, as one contiguous array. */
export function gatherRowsKernel(table: TypedArray, layout: Layout, rows: BigInt64Array, out: DType): TypedArray {
  const cols = layout.shape[1]!, rs = layout.strides[0]!, cs = layout.strides[1]!, off = layout.offset;
  const res = out.alloc(rows.length * cols) as Float32Array;
  const src = table as Float32Array;
  for (let i = 0; i < rows.length; i++) {
    const base = off + Number(rows[i]!) * rs, o = i * cols;
    for (let j = 0; j < cols; j++) res[o + j] = src[base + j * cs]!;
  }
  return res;
}

/** The embedding gradient: row i of `grad` added into row rows[i] of a [numRows, dim] zero table. */
export function scatterAddRowsKernel(grad: TypedArray, rows: BigInt64Array, numRows: number, dim: number, skipRow: number, out: DType): TypedArray {
  const res = out.alloc(numRows * dim) as Float32Array, g = grad as Float32Array;
  for (let i = 0; i < rows.length; i++) {
    const r = Number(rows[i]!);
    if (r === skipRow) continue;
    const o = r * dim, s = i * dim;
    for (let j = 0; j < dim; j++) res[o + j]! += g[s + j]!;
  }
  return res;
}
