/** Elementwise ops: dtype and shape checks, one backend kernel, one graph node. */
import { DTypeError, ValueError } from "../errors.ts";
import { bfloat16, bool, defaultFloat, float16, float32, int64, type DType, type TypedArray } from "../core/dtype.ts";
import { broadcastShapes, sameShape } from "../core/shape.ts";
import { Layout } from "../core/layout.ts";
import { Tensor, type NestedList, type Scalar, type TensorLike } from "../tensor.ts";
import { backend } from "../backend/active.ts";
import type { BinaryOp, UnaryOp } from "../backend/backend.ts";
import { record } from "../autograd/record.ts";
import type { DerivativeKey } from "../autograd/derivatives.ts";
import { resultType } from "./result-type.ts";

/** Type guard for tensor operands. */
export function isTensor(x: TensorLike): x is Tensor {
  return x instanceof Tensor;
}

const SCALAR_LAYOUT = Layout.contiguous([]);

/** A 0-dim tensor holding a scalar in the given dtype. */
export function scalarTensor(value: Scalar, dtype: DType): Tensor {
  const data = dtype.alloc(1);
  data[0] = (dtype === int64 ? BigInt(typeof value === "boolean" ? +value : value) : Number(value)) as never;
  return new Tensor({ data, dtype }, SCALAR_LAYOUT);
}

/**
 * Wraps a result array as a new contiguous tensor. `like`, an operand's layout, is shared when it is
 * a contiguous layout of this very shape (layouts are immutable): one Layout and strides array fewer.
 */
export function wrap(data: TypedArray, shape: readonly number[], dtype: DType, like?: Layout): Tensor {
  const layout = like !== undefined && like.plain && like.shape === shape ? like : shape.length === 0 ? SCALAR_LAYOUT : Layout.contiguous(shape);
  return new Tensor({ data, dtype }, layout);
}

/** The elements in row-major order; the storage itself when it is exactly that. */
export function contiguousData(t: Tensor): TypedArray {
  const l = t.layout, data = t.storage.data;
  if (l.isContiguous && l.offset === 0 && data.length === l.numel) return data;
  return backend().cast(data, l, t.dtype, t.dtype);
}

/**
 * The elements as values in row-major order: float16/bfloat16 decoded from their stored bits to
 * numbers (exact in float32, as PyTorch's printing and tolist() see them).
 */
export function valuesData(t: Tensor): TypedArray {
  if (t.dtype !== float16 && t.dtype !== bfloat16) return contiguousData(t);
  return backend().cast(t.storage.data, t.layout, t.dtype, float32);
}

/** Casts to another dtype; autograd passes gradients back in the source dtype. */
export function cast(t: Tensor, dtype: DType): Tensor {
  if (t.dtype === dtype) return t;
  const out = wrap(backend().cast(t.storage.data, t.layout, t.dtype, dtype), t.shape, dtype);
  return record("toCopy", [t], out);
}

/** Writes `src` through `region` (a layout of the same shape over `dst`'s storage), one pass whatever `src`'s strides; no autograd (a gradient scattered into a fresh buffer, a part of cat). */
export function writeRegion(dst: Tensor, region: Layout, src: Tensor): void {
  if (src.dtype === dst.dtype) backend().write(dst.storage.data, region, src.storage.data, src.layout);
  else backend().write(dst.storage.data, region, contiguousData(cast(src, dst.dtype)));
}

/** A contiguous copy that autograd tracks. */
export function cloneOp(t: Tensor): Tensor {
  const out = wrap(backend().cast(t.storage.data, t.layout, t.dtype, t.dtype), t.shape, t.dtype);
  return record("clone", [t], out);
}

const floatOnly = new Set<UnaryOp>([
  "exp", "log", "sqrt", "sigmoid", "tanh", "sin", "cos", "erf",
  "reciprocal", "rsqrt", "log1p", "expm1", "log2", "log10", "exp2", "tan", "asin", "acos", "atan", "sinh", "cosh",
]);
const boolOut = new Set<UnaryOp>(["not", "isnan", "isinf", "isfinite", "signbit"]);
/** Each kernel's derivative, or null where there is none: a new UnaryOp without an entry is a compile error. */
const unaryRules = {
  neg: "neg", exp: "exp", log: "log", sqrt: "sqrt", abs: "abs", relu: "relu", sigmoid: "sigmoid",
  tanh: "tanh", sign: "sign", sin: "sin", cos: "cos", erf: "erf", not: null, isnan: null, isinf: null,
  floor: "floor", ceil: "ceil", round: "round", trunc: "trunc", frac: "frac", reciprocal: "reciprocal",
  rsqrt: "rsqrt", log1p: "log1p", expm1: "expm1", log2: "log2", log10: "log10", exp2: "exp2", tan: "tan",
  asin: "asin", acos: "acos", atan: "atan", sinh: "sinh", cosh: "cosh", isfinite: null, signbit: null,
} as const satisfies Record<UnaryOp, DerivativeKey | null>;

/** `op(x)` elementwise. Float functions of integer tensors compute in the default float dtype. */
export function unary(op: UnaryOp, x: Tensor): Tensor {
  checkComputable(op, x.dtype);
  if (op === "neg" && x.dtype === bool) {
    throw new DTypeError("Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.");
  }
  const compute = floatOnly.has(op) && x.dtype.kind !== "float" ? defaultFloat : x.dtype;
  const src = compute === x.dtype ? x : cast(x, compute);
  const outType = boolOut.has(op) ? bool : compute;
  const out = wrap(backend().unary(op, src.storage.data, src.layout, outType), x.shape, outType, x.layout);
  const rule = unaryRules[op];
  return rule !== null && outType.kind === "float" ? record(rule, [x], out) : out;
}

const comparisons = new Set<BinaryOp>(["eq", "ne", "lt", "le", "gt", "ge", "and", "or"]);
/** Each kernel's derivative, or null where there is none: a new BinaryOp without an entry is a compile error. */
const binaryRules = {
  add: "add", sub: "sub", mul: "mul", div: "div", pow: "pow", maximum: "maximum", minimum: "minimum",
  eq: null, ne: null, lt: null, le: null, gt: null, ge: null, and: null, or: null, reluGrad: null, sigmoidGrad: null, tanhGrad: null,
  remainder: "remainder", fmod: "fmod", floorDivide: null, truncDivide: null, atan2: "atan2",
} as const satisfies Record<BinaryOp, DerivativeKey | null>;

/** Promotes, broadcasts and runs a binary kernel; records the graph for differentiable ops. */
export function binary(op: BinaryOp, a: TensorLike, b: TensorLike): Tensor {
  // the common cases skip promotion and broadcasting: two float tensors of one dtype and shape,
  // or a float tensor and a JS number (a "wrapped number" never widens the tensor's dtype)
  if (a instanceof Tensor && a.dtype.kind === "float" && a.dtype.computable) {
    if (b instanceof Tensor && b.dtype === a.dtype && sameShape(a.shape, b.shape)) {
      return runBinary(op, a, a.layout, b, b.layout, a.shape, a.dtype, [a, b]);
    }
    if (typeof b === "number") {
      const s = scalarTensor(b, a.dtype);
      return runBinary(op, a, a.layout, s, s.layout.expand(a.shape), a.shape, a.dtype, [a, s]);
    }
  }
  checkOperand(op, a, 0);
  checkOperand(op, b, 1);
  if (op === "sub") checkBoolSub(a, b);
  let compute = resultType([a, b], isTensor);
  if ((op === "div" || op === "atan2") && compute.kind !== "float") compute = defaultFloat;
  checkComputable(op, compute);
  const ta = isTensor(a) ? a : scalarTensor(a, compute);
  const tb = isTensor(b) ? b : scalarTensor(b, compute);
  const shape = broadcastShapes(ta.shape, tb.shape);
  const ca = cast(ta, compute), cb = cast(tb, compute);
  return runBinary(op, ca, ca.layout.expand(shape), cb, cb.layout.expand(shape), shape, compute, [ta, tb]);
}

// The kernel on operands of the compute dtype laid out over `shape`, then the graph node
function runBinary(
  op: BinaryOp, a: Tensor, la: Layout, b: Tensor, lb: Layout, shape: readonly number[], compute: DType, inputs: Tensor[],
): Tensor {
  const outType = comparisons.has(op) ? bool : compute;
  const out = wrap(backend().binary(op, a.storage.data, la, b.storage.data, lb, outType), shape, outType, la);
  const rule = binaryRules[op];
  return rule !== null && outType.kind === "float" ? record(rule, inputs, out) : out;
}

/** Operands from JavaScript callers: a tensor or a number, boolean or bigint, never a string or an array. */
function checkOperand(op: string, x: unknown, position: number): void {
  const t = typeof x;
  if (x instanceof Tensor || t === "number" || t === "boolean" || t === "bigint") return;
  const what = Array.isArray(x) ? "an array (wrap it with torch.tensor)" : x === null ? "null" : t;
  throw new DTypeError(`${op}(): argument '${position === 0 ? "input" : "other"}' (position ${position}) must be Tensor or a number, not ${what}`);
}

function checkBoolSub(a: TensorLike, b: TensorLike): void {
  const isBool = (x: TensorLike) => (isTensor(x) ? x.dtype === bool : typeof x === "boolean");
  if (isBool(a) && isBool(b)) {
    throw new DTypeError("Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or `logical_xor()` operator instead.");
  }
  if (isBool(a) || isBool(b)) {
    throw new DTypeError("Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.");
  }
}

/** a + alpha * b */
export function add(a: Tensor, b: TensorLike, alpha?: number): Tensor {
  return binary("add", a, alpha === undefined || alpha === 1 ? b : binary("mul", b as Tensor, alpha));
}

/** a - alpha * b */
export function sub(a: Tensor, b: TensorLike, alpha?: number): Tensor {
  return binary("sub", a, alpha === undefined || alpha === 1 ? b : binary("mul", b as Tensor, alpha));
}

/** a ** exponent; a scalar exponent keeps PowBackward0's simpler derivative. */
export function pow(a: Tensor, exponent: TensorLike): Tensor {
  if (isTensor(exponent)) return binary("pow", a, exponent);
  const compute = resultType([a, exponent], isTensor);
  if (compute.kind !== "float" && Number(exponent) < 0) {
    throw new DTypeError("Integers to negative integer powers are not allowed.");
  }
  const src = cast(a, compute);
  const e = scalarTensor(exponent, compute);
  const data = backend().binary("pow", src.storage.data, src.layout, e.storage.data, e.layout.expand(a.shape), compute);
  const out = wrap(data, a.shape, compute);
  return compute.kind === "float" ? record("powScalar", [a], out, { min: Number(exponent) }) : out;
}

/** Clamps into [min, max]; the gradient passes where min <= x <= max, as PyTorch's. */
export function clamp(x: Tensor, min?: number, max?: number): Tensor {
  if (min === undefined && max === undefined) throw new DTypeError("torch.clamp: At least one of 'min' or 'max' must not be None");
  let out = x;
  const lo = min, hi = max;
  if (lo !== undefined) out = binaryNoGrad("maximum", out, lo);
  if (hi !== undefined) out = binaryNoGrad("minimum", out, hi);
  if (out === x) return x;
  return record("clamp", [x], out, { min: lo ?? -Infinity, max: hi ?? Infinity });
}

function binaryNoGrad(op: BinaryOp, a: Tensor, s: number): Tensor {
  const compute = resultType([a, s], isTensor);
  const ca = cast(a, compute), e = scalarTensor(s, compute);
  return wrap(backend().binary(op, ca.storage.data, ca.layout, e.storage.data, e.layout.expand(a.shape), compute), a.shape, compute);
}

/** `cond ? a : b` with broadcasting and promotion of a and b. */
export function where(cond: Tensor, a: TensorLike, b: TensorLike): Tensor {
  if (cond.dtype !== bool) throw new DTypeError(`where expected condition to be a boolean tensor, but got a tensor with dtype ${cond.dtype.name}`);
  const compute = resultType([a, b], isTensor);
  const ta = isTensor(a) ? a : scalarTensor(a, compute), tb = isTensor(b) ? b : scalarTensor(b, compute);
  const shape = broadcastShapes(cond.shape, broadcastShapes(ta.shape, tb.shape));
  const ca = cast(ta, compute), cb = cast(tb, compute);
  const data = backend().where(cond.storage.data, cond.layout.expand(shape), ca.storage.data, ca.layout.expand(shape), cb.storage.data, cb.layout.expand(shape), compute);
  return record("where", [cond, ta, tb], wrap(data, shape, compute));
}

function checkComputable(op: string, dtype: DType): void {
  if (!dtype.computable) {
    throw new DTypeError(`${op}: dtype ${dtype} is storage-only in torchlet; convert first with .to(torch.float32)`);
  }
}

/** The value of a one-element tensor. */
export function item(t: Tensor): Scalar {
  if (t.numel() !== 1) {
    throw new ValueError("only one element tensors can be converted to Python scalars");
  }
  const half = t.dtype === float16 || t.dtype === bfloat16;
  const v = half ? valuesData(t)[0]! : t.storage.data[t.layout.offset]!;
  return t.dtype === bool ? v !== 0 : t.dtype === int64 ? toNumberIfSafe(v as bigint) : (v as number);
}

function toNumberIfSafe(v: bigint): number | bigint {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v;
}

/** Nested arrays of the values, as PyTorch's tolist(). */
export function tolist(t: Tensor): NestedList {
  const data = valuesData(t);
  const read = (i: number): NestedList => {
    const v = data[i]!;
    return t.dtype === bool ? v !== 0 : typeof v === "bigint" ? toNumberIfSafe(v) : v;
  };
  const build = (dim: number, offset: number): NestedList => {
    if (dim === t.ndim) return read(offset);
    const size = t.shape[dim]!, inner = t.shape.slice(dim + 1).reduce((p, s) => p * s, 1);
    return Array.from({ length: size }, (_, i) => build(dim + 1, offset + i * inner));
  };
  return build(0, 0);
}
