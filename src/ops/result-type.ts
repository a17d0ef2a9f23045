/**
 * PyTorch's result_type: tensors with dims decide first; 0-dim tensors and then JavaScript
 * scalars ("wrapped numbers") only raise the category (bool < int < float), never the width.
 */
import { bool, defaultFloat, int64, promoteTypes, type DType } from "../core/dtype.ts";
import type { Tensor, TensorLike } from "../tensor.ts";

function promoteOpt(a: DType | null, b: DType): DType {
  return a === null ? b : promoteTypes(a, b);
}

// PyTorch's combine_categories(higher, lower)
function combine(higher: DType | null, lower: DType | null): DType | null {
  if (higher === null) return lower;
  if (lower === null) return higher;
  if (higher.kind === "float") return higher;
  if (higher === bool || lower.kind === "float") return promoteTypes(higher, lower);
  return higher;
}

/** The dtype of a scalar operand on its own: int64 for integers, the default float otherwise. */
export function scalarDType(s: number | boolean | bigint): DType {
  if (typeof s === "boolean") return bool;
  if (typeof s === "bigint") return int64;
  return Number.isInteger(s) ? int64 : defaultFloat;
}

/** The dtype an op on these operands computes in. */
export function resultType(operands: readonly TensorLike[], isTensor: (x: TensorLike) => x is Tensor): DType {
  let dim: DType | null = null, zero: DType | null = null, wrapped: DType | null = null;
  for (const x of operands) {
    if (!isTensor(x)) wrapped = promoteOpt(wrapped, scalarDType(x));
    else if (x.ndim === 0) zero = promoteOpt(zero, x.dtype);
    else dim = promoteOpt(dim, x.dtype);
  }
  return combine(dim, combine(zero, wrapped)) ?? defaultFloat;
}

/** Whether PyTorch lets a value of `from` be written into a tensor of `to` in place. */
export function canCast(from: DType, to: DType): boolean {
  if (from.kind === "float" && to.kind !== "float") return false;
  if (from.kind !== "bool" && to.kind === "bool") return false;
  return true;
}
