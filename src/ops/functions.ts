/**
 * The torch.* forms of Tensor methods that PyTorch has as both (`torch.flatten(x, 1)`,
 * `torch.sum(x, 0)`, `torch.exp(x)`): each takes the tensor first, then the method's arguments,
 * and delegates to the method, so the two spellings cannot drift apart.
 */
import type { Tensor, TensorLike, Scalar, ReduceOptions, ValuesIndices } from "../tensor.ts";
import type { VarianceOptions } from "./reduce.ts";
import type { DivOptions } from "./math.ts";

type Dims = number | readonly number[];
type DimOptions = number | { dim?: number; keepdim?: boolean };

/** Number of elements. */
export const numel = (x: Tensor): number => x.numel();
/** A view cut from the graph. */
export const detach = (x: Tensor): Tensor => x.detach();
/** A contiguous copy, tracked by autograd. */
export const clone = (x: Tensor): Tensor => x.clone();
/** `length` elements from `start` along `dim`. */
export const narrow = (x: Tensor, dim: number, start: number, length: number): Tensor => x.narrow(dim, start, length);
/** One index along `dim`, removing the dim. */
export const select = (x: Tensor, dim: number, index: number): Tensor => x.select(dim, index);
/** Swaps two dims. */
export const transpose = (x: Tensor, dim0: number, dim1: number): Tensor => x.transpose(dim0, dim1);
/** Reorders dims: `torch.permute(x, [2, 0, 1])`. */
export const permute = (x: Tensor, dims: readonly number[]): Tensor => x.permute(dims);
/** Transpose of a tensor of at most 2 dims. */
export const t = (x: Tensor): Tensor => x.t();
/** A view when possible, else a copy: `torch.reshape(x, [2, -1])`. */
export const reshape = (x: Tensor, shape: readonly number[]): Tensor => x.reshape(shape);
/** expand under NumPy's name: `torch.broadcastTo(x, [2, 3])`. */
export const broadcastTo = (x: Tensor, shape: readonly number[]): Tensor => x.broadcastTo(shape);
/** Inserts a size-1 dim. */
export const unsqueeze = (x: Tensor, dim: number): Tensor => x.unsqueeze(dim);
/** Removes size-1 dims (all, or the one given). */
export const squeeze = (x: Tensor, dim?: number): Tensor => x.squeeze(dim);
/** Merges dims startDim..endDim into one. */
export const flatten = (x: Tensor, startDim = 0, endDim = -1): Tensor => x.flatten(startDim, endDim);

/** x + alpha * other */
export const add = (x: Tensor, other: TensorLike, options?: { alpha?: number }): Tensor => x.add(other, options);
/** x - alpha * other */
export const sub = (x: Tensor, other: TensorLike, options?: { alpha?: number }): Tensor => x.sub(other, options);
/** x * other */
export const mul = (x: Tensor, other: TensorLike): Tensor => x.mul(other);
/** x / other (true division) */
export const div = (x: Tensor, other: TensorLike, options?: DivOptions): Tensor => x.div(other, options);
/** x ** exponent */
export const pow = (x: Tensor, exponent: TensorLike): Tensor => x.pow(exponent);
/** Elementwise maximum (NaN propagates). */
export const maximum = (x: Tensor, other: TensorLike): Tensor => x.maximum(other);
/** Elementwise minimum (NaN propagates). */
export const minimum = (x: Tensor, other: TensorLike): Tensor => x.minimum(other);
/** x == other, as bool. */
export const eq = (x: Tensor, other: TensorLike): Tensor => x.eq(other);
/** x != other, as bool. */
export const ne = (x: Tensor, other: TensorLike): Tensor => x.ne(other);
/** x < other, as bool. */
export const lt = (x: Tensor, other: TensorLike): Tensor => x.lt(other);
/** x <= other, as bool. */
export const le = (x: Tensor, other: TensorLike): Tensor => x.le(other);
/** x > other, as bool. */
export const gt = (x: Tensor, other: TensorLike): Tensor => x.gt(other);
/** x >= other, as bool. */
export const ge = (x: Tensor, other: TensorLike): Tensor => x.ge(other);
/** Elementwise logical and, as bool. */
export const logicalAnd = (x: Tensor, other: TensorLike): Tensor => x.logicalAnd(other);
/** Elementwise logical or, as bool. */
export const logicalOr = (x: Tensor, other: TensorLike): Tensor => x.logicalOr(other);
/** Elementwise logical not, as bool. */
export const logicalNot = (x: Tensor): Tensor => x.logicalNot();
/** -x */
export const neg = (x: Tensor): Tensor => x.neg();
/** e^x */
export const exp = (x: Tensor): Tensor => x.exp();
/** Natural logarithm. */
export const log = (x: Tensor): Tensor => x.log();
/** Square root. */
export const sqrt = (x: Tensor): Tensor => x.sqrt();
/** |x| */
export const abs = (x: Tensor): Tensor => x.abs();
/** -1, 0 or 1 by sign. */
export const sign = (x: Tensor): Tensor => x.sign();
/** Sine. */
export const sin = (x: Tensor): Tensor => x.sin();
/** Cosine. */
export const cos = (x: Tensor): Tensor => x.cos();
/** The error function. */
export const erf = (x: Tensor): Tensor => x.erf();
/** max(x, 0) */
export const relu = (x: Tensor): Tensor => x.relu();
/** 1 / (1 + e^-x) */
export const sigmoid = (x: Tensor): Tensor => x.sigmoid();
/** Hyperbolic tangent. */
export const tanh = (x: Tensor): Tensor => x.tanh();
/** Where x is NaN, as bool. */
export const isnan = (x: Tensor): Tensor => x.isnan();
/** Where x is ±infinity, as bool. */
export const isinf = (x: Tensor): Tensor => x.isinf();
/** x * x */
export const square = (x: Tensor): Tensor => x.square();
/** Clamps into [min, max]. */
export const clamp = (x: Tensor, options: { min?: number; max?: number }): Tensor => x.clamp(options);
/** Softmax along `dim`. */
export const softmax = (x: Tensor, dim: number): Tensor => x.softmax(dim);
/** log(softmax(x)) along `dim`. */
export const logSoftmax = (x: Tensor, dim: number): Tensor => x.logSoftmax(dim);

/** Sum over all elements or the given dims: `torch.sum(x, 1)`, `torch.sum(x, { dim: [0, 1], keepdim: true })`. */
export const sum = (x: Tensor, dim?: Dims | ReduceOptions, keepdim?: boolean): Tensor => x.sum(dim, keepdim);
/** Mean over all elements or the given dims. */
export const mean = (x: Tensor, dim?: Dims | ReduceOptions, keepdim?: boolean): Tensor => x.mean(dim, keepdim);
/** Product over all elements or one dim. */
export const prod = (x: Tensor, dim?: number | ReduceOptions, keepdim?: boolean): Tensor => x.prod(dim, keepdim);
/** Variance (Bessel's correction by default); exported as torch.var. */
export const variance = (x: Tensor, dim?: Dims | VarianceOptions, keepdim?: boolean): Tensor => x.var(dim, keepdim);
/** Standard deviation. */
export const std = (x: Tensor, dim?: Dims | VarianceOptions, keepdim?: boolean): Tensor => x.std(dim, keepdim);

/** Max of all elements; with a dim, `{ values, indices }`; with a tensor, the elementwise maximum. */
export function max(x: Tensor): Tensor;
export function max(x: Tensor, dim: number | { dim: number; keepdim?: boolean }, keepdim?: boolean): ValuesIndices;
export function max(x: Tensor, other: Tensor): Tensor;
export function max(x: Tensor, dim?: number | Tensor | { dim: number; keepdim?: boolean }, keepdim?: boolean): Tensor | ValuesIndices {
  return (x.max as (d?: unknown, k?: boolean) => Tensor | ValuesIndices).call(x, dim, keepdim);
}
/** Min of all elements; with a dim, `{ values, indices }`; with a tensor, the elementwise minimum. */
export function min(x: Tensor): Tensor;
export function min(x: Tensor, dim: number | { dim: number; keepdim?: boolean }, keepdim?: boolean): ValuesIndices;
export function min(x: Tensor, other: Tensor): Tensor;
export function min(x: Tensor, dim?: number | Tensor | { dim: number; keepdim?: boolean }, keepdim?: boolean): Tensor | ValuesIndices {
  return (x.min as (d?: unknown, k?: boolean) => Tensor | ValuesIndices).call(x, dim, keepdim);
}
/** Index of the max, over the flattened tensor or along a dim. */
export const argmax = (x: Tensor, dim?: DimOptions, keepdim?: boolean): Tensor => x.argmax(dim, keepdim);
/** Index of the min, over the flattened tensor or along a dim. */
export const argmin = (x: Tensor, dim?: DimOptions, keepdim?: boolean): Tensor => x.argmin(dim, keepdim);
/** Whether any element is nonzero, as a 0-dim bool tensor. */
export const any = (x: Tensor): Tensor => x.any();
/** Whether every element is nonzero, as a 0-dim bool tensor. */
export const all = (x: Tensor): Tensor => x.all();

/** Fills x with `value` in place; returns x. */
export const fill_ = <T extends Tensor>(x: T, value: Scalar): T => x.fill_(value);
/** Fills x with zeros in place; returns x. */
export const zero_ = <T extends Tensor>(x: T): T => x.zero_();
/** Clamps x in place; returns x. */
export const clamp_ = <T extends Tensor>(x: T, options: { min?: number; max?: number }): T => x.clamp_(options);
/** max(x, 0) in place; returns x. */
export const relu_ = <T extends Tensor>(x: T): T => x.relu_();
