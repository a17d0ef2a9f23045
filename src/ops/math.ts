/**
 * Math ops: rounding, float functions, Python's and C's modulo, atan2, nan_to_num, lerp,
 * addcmul/addcdiv, logsumexp, amax/amin, vector norms, softplus and log_sigmoid. Each computes
 * with kernels (or other ops, unrecorded) and records ONE node with PyTorch's rule and name.
 */
import { DTypeError, IndexError, ShapeError, ValueError } from "../errors.ts";
import { bool, defaultFloat, float32, type DType } from "../core/dtype.ts";
import { Tensor, type ReduceOptions, type TensorLike } from "../tensor.ts";
import { backend } from "../backend/active.ts";
import type { BinaryOp, UnaryOp } from "../backend/backend.ts";
import { noGrad } from "../autograd/grad-mode.ts";
import { record } from "../autograd/record.ts";
import { binary, cast, cloneOp, isTensor, unary, where, wrap } from "./elementwise.ts";
import { resultType } from "./result-type.ts";
import { normalize, opts, runReduce, type Reduction } from "./reduce.ts";

const notImplemented = (kernel: string, dtype: DType): DTypeError =>
  new DTypeError(`"${kernel}" not implemented for '${dtype.scalarName}'`);

/** floor, ceil, round, trunc: float tensors round, integer tensors come back as a copy; bool is refused. */
export function rounding(op: "floor" | "ceil" | "round" | "trunc", x: Tensor): Tensor {
  if (x.dtype === bool) throw notImplemented(`${op}_vml_cpu`, x.dtype);
  return unary(op, x);
}

/** torch.round(x, decimals=d): half to even at 10^-d (RoundBackward1); float tensors only. */
export function round(x: Tensor, decimals = 0): Tensor {
  if (decimals === 0) return rounding("round", x);
  if (!Number.isInteger(decimals)) throw new DTypeError(`round(): argument 'decimals' must be int, not ${decimals}`);
  if (x.dtype.kind !== "float") throw notImplemented("round_cpu", x.dtype);
  const data = backend().roundDecimals(x.storage.data, x.layout, decimals, x.dtype);
  return record("roundDecimals", [x], wrap(data, x.shape, x.dtype));
}

/** x - trunc(x), float tensors only. */
export function frac(x: Tensor): Tensor {
  if (x.dtype.kind !== "float") throw notImplemented("frac_cpu", x.dtype);
  return unary("frac", x);
}

/** A float function of one tensor (integers and bools compute in the default float dtype). */
export function floatUnary(op: UnaryOp, x: Tensor): Tensor {
  return unary(op, x);
}

/** torch.sgn: the sign, for real tensors (SgnBackward0, a zero gradient). */
export function sgn(x: Tensor): Tensor {
  const out = noGrad(() => unary("sign", x));
  return out.dtype.kind === "float" ? record("sgn", [x], out) : out;
}

const modKernels = { remainder: "remainder_cpu", fmod: "fmod_cpu", floorDivide: "div_floor_cpu", truncDivide: "div_trunc_cpu" } as const;

/** remainder (Python's sign rule), fmod (C's) and floor division; an integer divisor of zero throws. */
export function modulo(op: "remainder" | "fmod" | "floorDivide", a: Tensor, b: TensorLike): Tensor {
  const compute = resultType([a, b], isTensor);
  if (compute === bool) throw notImplemented(modKernels[op], compute);
  if (compute.kind !== "float" && hasZero(b)) throw new ValueError("ZeroDivisionError");
  if (isTensor(b) || op === "floorDivide") return binary(op as BinaryOp, a, b);
  // a scalar divisor: the node has the dividend as its one input (RemainderBackward0, FmodBackward0)
  const out = noGrad(() => binary(op, a, b));
  return out.dtype.kind === "float" ? record(op === "remainder" ? "remainderScalar" : "fmodScalar", [a], out) : out;
}

/** Options of div: `roundingMode` "trunc" or "floor" rounds the quotient (null or absent: true division). */
export interface DivOptions { roundingMode?: "trunc" | "floor" | null }

/**
 * torch.div with a rounding mode: the quotient rounded toward zero or down, in the operands'
 * promoted dtype (integers stay integers, exactly); DivBackward2, whose gradients are zero.
 */
export function divide(a: Tensor, b: TensorLike, o: DivOptions = {}): Tensor {
  const mode = o.roundingMode ?? null;
  if (mode === null) return binary("div", a, b);
  if (mode !== "trunc" && mode !== "floor") throw new ValueError(`div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '${String(mode)}'`);
  const op = mode === "floor" ? "floorDivide" : "truncDivide";
  const compute = resultType([a, b], isTensor);
  if (compute === bool) throw notImplemented(modKernels[op], compute);
  if (compute.kind !== "float" && hasZero(b)) throw new ValueError("ZeroDivisionError");
  const out = noGrad(() => binary(op, a, b));
  return out.dtype.kind === "float" ? record("divRounded", isTensor(b) ? [a, b] : [a], out) : out;
}

function hasZero(b: TensorLike): boolean {
  if (!isTensor(b)) return Number(b) === 0;
  return noGrad(() => b.eq(0).any().item() === true);
}

/** atan2(a, b) elementwise: the angle of (b, a); integers compute in the default float dtype. */
export function atan2(a: Tensor, b: Tensor): Tensor {
  if (!isTensor(b)) throw new DTypeError(`atan2(): argument 'other' (position 2) must be Tensor, not ${typeof b === "number" && !Number.isInteger(b) ? "float" : "int"}`);
  return binary("atan2", a, b);
}

/** Options of nan_to_num: the values NaN, +inf and -inf become (0 and the dtype's extremes by default). */
export interface NanToNumOptions { nan?: number; posinf?: number; neginf?: number }

/** Replaces NaN, +inf and -inf by finite values; integer and bool tensors come back as a copy. */
export function nanToNum(x: Tensor, o: NanToNumOptions = {}): Tensor {
  if (x.dtype.kind !== "float") return noGrad(() => cloneOp(x));
  const big = x.dtype === float32 ? 3.4028234663852886e38 : Number.MAX_VALUE;
  const data = backend().nanToNum(x.storage.data, x.layout, o.nan ?? 0, o.posinf ?? big, o.neginf ?? -big, x.dtype);
  return record("nanToNum", [x], wrap(data, x.shape, x.dtype));
}

/**
 * self + weight · (end - self), as PyTorch's kernel: for |weight| >= 0.5 it computes
 * end - (end - self) · (1 - weight), exact at weight = 1. A tensor weight broadcasts.
 */
export function lerp(self: Tensor, end: Tensor, weight: number | Tensor): Tensor {
  const tensorWeight = isTensor(weight);
  if (self.dtype.kind !== "float") throw notImplemented(tensorWeight ? "lerp_kernel_tensor" : "lerp_kernel_scalar", self.dtype);
  if (end.dtype !== self.dtype) throw new DTypeError(`expected dtype ${self.dtype.scalarName.toLowerCase()} for \`end\` but got dtype ${end.dtype.scalarName.toLowerCase()}`);
  if (tensorWeight && weight.dtype !== self.dtype) {
    throw new DTypeError(`expected dtype ${self.dtype.scalarName.toLowerCase()} for \`weight\` but got dtype ${weight.dtype.scalarName.toLowerCase()}`);
  }
  const out = noGrad(() => {
    const diff = end.sub(self);
    if (!tensorWeight) return Math.abs(weight) < 0.5 ? self.add(diff.mul(weight)) : end.sub(diff.mul(1 - weight));
    return where(weight.abs().lt(0.5), self.add(weight.mul(diff)), end.sub(diff.mul(binary("sub", 1, weight))));
  });
  return tensorWeight ? record("lerpTensor", [self, end, weight], out) : record("lerp", [self, end], out, { value: weight });
}

/** Options of addcmul/addcdiv: the scale of the product or quotient. */
export interface AddcOptions { value?: number }

/** self + value · t1 · t2, all three broadcast (AddcmulBackward0). */
export function addcmul(self: Tensor, t1: Tensor, t2: Tensor, o: AddcOptions = {}): Tensor {
  const compute = resultType([self, t1, t2], isTensor);
  const value = compute.kind === "float" ? (o.value ?? 1) : Math.trunc(o.value ?? 1);
  const out = noGrad(() => cast(self, compute).add(cast(t1, compute).mul(value).mul(t2)));
  return record("addcmul", [self, t1, t2], out, { value });
}

/** self + value · t1 / t2, all three broadcast (AddcdivBackward0); integer operands are refused as PyTorch does. */
export function addcdiv(self: Tensor, t1: Tensor, t2: Tensor, o: AddcOptions = {}): Tensor {
  if (t1.dtype.kind !== "float" && t2.dtype.kind !== "float") {
    throw new DTypeError("Integer division with addcdiv is no longer supported, and in a future  release addcdiv will perform a true division of tensor1 and tensor2. The historic addcdiv behavior can be implemented as (input + value * torch.trunc(tensor1 / tensor2)).to(input.dtype) for integer inputs and as (input + value * tensor1 / tensor2) for float inputs. The future addcdiv behavior is just the latter implementation: (input + value * tensor1 / tensor2), for all dtypes.");
  }
  const value = o.value ?? 1;
  const out = noGrad(() => self.add(t1.mul(value).div(t2)));
  return record("addcdiv", [self, t1, t2], out, { value });
}

/** keepdim as PyTorch's positional flag or an options object. */
type KeepDim = boolean | { keepdim?: boolean };
const keepOf = (k: KeepDim | undefined): boolean => (typeof k === "boolean" ? k : (k?.keepdim ?? false));

/** log(sum(exp(x))) over `dim`, shifted by the max as PyTorch's (LogsumexpBackward0); integers compute in float. */
export function logsumexp(x: Tensor, dim: number | readonly number[], keepdim?: KeepDim): Tensor {
  const r = normalize(x, { dim, keepdim: keepOf(keepdim) });
  const src = x.dtype.kind === "float" ? x : cast(x, defaultFloat);
  const out = noGrad(() => {
    if (src.numel() === 0) return runReduce("sum", src.exp(), r, src.dtype).log();
    // an infinite max shifts by 0, so rows of -inf give -inf and rows with +inf give +inf
    const kept = { ...r, keepdim: true };
    const maxes = runReduce("max", src, kept, src.dtype);
    const shift = maxes.where(maxes.abs().eq(Infinity).logicalNot(), 0);
    const summed = runReduce("sum", src.sub(shift).exp(), r, src.dtype).log();
    return summed.add(r.keepdim ? shift : shift.reshape(summed.shape));
  });
  return record("logsumexp", [x], out, { dims: r.dims, keepdim: r.keepdim });
}

/** amax/amin over one or more dims (all by default); the gradient is split evenly among ties. */
export function extremum(op: "amax" | "amin", x: Tensor, dim?: number | readonly number[] | ReduceOptions, keepdim?: boolean): Tensor {
  const r = normalize(x, opts(dim, keepdim));
  checkNonEmpty(op, x, r);
  const out = runReduce(op === "amax" ? "max" : "min", x, r, x.dtype);
  return out.dtype.kind === "float" ? record(op, [x], out, { dims: r.dims, keepdim: r.keepdim }) : out;
}

function checkNonEmpty(op: string, x: Tensor, r: Reduction): void {
  if (x.numel() !== 0) return;
  if (r.all) throw new IndexError(`${op}(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the 'dim' argument.`);
  for (const d of r.dims) if (x.shape[d] === 0) throw new IndexError(`${op}(): Expected reduction dim ${d} to have non-zero size.`);
}

/** Options of torch.linalg.vector_norm. */
export interface VectorNormOptions extends ReduceOptions {
  /** the order: any number, Infinity (max |x|), -Infinity (min |x|) or 0 (count of non-zeros); 2 by default */
  ord?: number;
  /** computes in this dtype (the input is cast first) */
  dtype?: DType;
}

/** torch.linalg.vector_norm: the ord-norm of the elements over `dim` (all by default). */
export function vectorNorm(x: Tensor, o: VectorNormOptions = {}): Tensor {
  if (x.dtype.kind !== "float") throw new DTypeError(`linalg.vector_norm: Expected a floating point or complex tensor as input. Got ${x.dtype.scalarName}`);
  const src = o.dtype ? cast(x, o.dtype) : x;
  const ord = o.ord ?? 2, r = normalize(src, { dim: o.dim ?? [], keepdim: o.keepdim ?? false });
  if (!Number.isFinite(ord) && src.numel() === 0) {
    throw new ShapeError(`linalg.vector_norm cannot compute the ${ord > 0 ? "inf" : "-inf"} norm on an empty tensor because the operation does not have an identity`);
  }
  return record("vectorNorm", [src], normOf(src, ord, r), { p: ord, dims: r.dims, keepdim: r.keepdim });
}

/** Options of torch.norm / Tensor.norm. */
export interface NormOptions extends ReduceOptions {
  /** the order: a number (2 by default) or "fro" (2 as well) */
  p?: number | "fro";
}

/** torch.norm / Tensor.norm: the p-norm over `dim` (all elements by default), as NormBackward1. */
export function norm(x: Tensor, p?: number | "fro" | NormOptions, o: NormOptions = {}): Tensor {
  const options = typeof p === "object" ? p : { ...o, p: p ?? o.p };
  if (x.dtype.kind !== "float") throw new DTypeError(`norm(): input dtype should be either floating point or complex. Got ${x.dtype.scalarName} instead.`);
  const raw = options.p ?? "fro";
  if (raw !== "fro" && typeof raw !== "number") throw new ValueError(`only valid string values are 'fro' and 'nuc', found ${String(raw)}`);
  const ord = raw === "fro" ? 2 : raw, r = normalize(x, { dim: options.dim ?? [], keepdim: options.keepdim ?? false });
  // PyTorch's frobenius_norm over two or more given dims is sqrt(sum(x * x)), three nodes
  if (raw === "fro" && typeof options.dim === "object" && options.dim.length > 1) return x.mul(x).sum({ dim: r.dims, keepdim: r.keepdim }).sqrt();
  return record("norm", [x], normOf(x, ord, r), { p: ord, dims: r.dims, keepdim: r.keepdim });
}

// The norm's value: max/min of |x| for ±inf, the count of non-zeros for 0, (Σ|x|^p)^(1/p) otherwise
function normOf(x: Tensor, ord: number, r: Reduction): Tensor {
  return noGrad(() => {
    if (ord === Infinity || ord === -Infinity) return runReduce(ord > 0 ? "max" : "min", x.abs(), r, x.dtype);
    if (ord === 0) return runReduce("sum", x.ne(0).to(x.dtype), r, x.dtype);
    if (ord === 1) return runReduce("sum", x.abs(), r, x.dtype);
    if (ord === 2) return runReduce("sum", x.mul(x), r, x.dtype).sqrt();
    return runReduce("sum", x.abs().pow(ord), r, x.dtype).pow(1 / ord);
  });
}

/** Options of softplus: 1/beta · log(1 + exp(beta · x)), linear above `threshold`. */
export interface SoftplusOptions { beta?: number; threshold?: number }

/** Softplus with PyTorch's threshold: x where beta · x > threshold (SoftplusBackward0). */
export function softplus(x: Tensor, o: SoftplusOptions = {}): Tensor {
  const beta = o.beta ?? 1, threshold = o.threshold ?? 20;
  if (x.dtype.kind !== "float") throw notImplemented("softplus_cpu", x.dtype);
  const out = noGrad(() => {
    const bx = x.mul(beta);
    return bx.exp().log1p().div(beta).where(bx.gt(threshold).logicalNot(), x);
  });
  return record("softplus", [x], out, { beta, threshold });
}

/** log(sigmoid(x)) in PyTorch's stable form min(x, 0) - log1p(exp(-|x|)) (LogSigmoidBackward0). */
export function logSigmoid(x: Tensor): Tensor {
  if (x.dtype.kind !== "float") throw notImplemented("log_sigmoid_cpu", x.dtype);
  const out = noGrad(() => x.minimum(0).sub(x.abs().neg().exp().log1p()));
  return record("logSigmoid", [x], out);
}

/** Namespace of torch.linalg's functions that torchlet has. */
export const linalg = { vectorNorm };
