/** Creation functions: from nested arrays, constants, ranges and the random generator. */
import { DTypeError, ShapeError } from "../errors.ts";
import { bfloat16, bool, defaultFloat, DType, float16, float32, float64, int32, int64, type TypedArray } from "../core/dtype.ts";
import { numberToBfloat16, numberToHalf } from "../core/half.ts";
import { parseShape, type Shape } from "../core/shape.ts";
import { Tensor, type NestedList, type Scalar } from "../tensor.ts";
import type { Generator } from "../core/generator.ts";
import { defaultGenerator } from "./generator.ts";
import { fillNormal, fillUniform } from "../core/random-float.ts";
import { fillRandint } from "../core/random-int.ts";
import { full as fullOf, setRequiresGrad } from "./inplace.ts";
import { wrap } from "./elementwise.ts";

/** `{ dtype, requiresGrad }`, the trailing options of every creation function. */
export interface CreationOptions {
  dtype?: DType;
  requiresGrad?: boolean;
  generator?: Generator;
}

type ShapeArgs = (number | Shape | CreationOptions)[];

function splitArgs(args: ShapeArgs, op: string): [number[], CreationOptions] {
  const last = args[args.length - 1];
  const options = last !== undefined && typeof last === "object" && !Array.isArray(last) ? (last as CreationOptions) : {};
  const dims = (options === last ? args.slice(0, -1) : args) as (number | Shape)[];
  checkOptions(options, op);
  const shape = parseShape(dims, op);
  const numel = shape.reduce((p, s) => p * s, 1);
  if (numel > MAX_ELEMENTS) throw new ShapeError(`${op}(): ${numel} elements are more than one tensor can hold here (at most ${MAX_ELEMENTS})`);
  return [shape, options];
}

/** The most elements a typed array holds in the engines torchlet runs on. */
const MAX_ELEMENTS = 2 ** 32 - 1;

/** A dtype from JavaScript callers must be one of torch's (`torch.float32`), not a name. */
function checkOptions(o: CreationOptions, op: string): void {
  if (o.dtype !== undefined && !(o.dtype instanceof DType)) {
    throw new DTypeError(`${op}(): argument 'dtype' must be torch.dtype (e.g. torch.float32), not ${typeof o.dtype === "string" ? `the string "${o.dtype}"` : typeof o.dtype}`);
  }
}

function finish(t: Tensor, o: CreationOptions): Tensor {
  if (o.requiresGrad) setRequiresGrad(t, true);
  return t;
}

/** Builds a tensor from a number, boolean, bigint, nested array or typed array. */
export function tensor(data: NestedList | TypedArray | readonly NestedList[], options: CreationOptions = {}): Tensor {
  const shape: number[] = [];
  for (let level: unknown = data; Array.isArray(level) || ArrayBuffer.isView(level); level = (level as ArrayLike<unknown>)[0]) {
    shape.push((level as ArrayLike<unknown>).length);
    if ((level as ArrayLike<unknown>).length === 0) break;
  }
  const flat: Scalar[] = [];
  const walk = (x: unknown, dim: number): void => {
    if (dim === shape.length) {
      if (Array.isArray(x)) throw new ShapeError(`tensor(): too many dimensions at depth ${dim}`);
      flat.push(x as Scalar);
      return;
    }
    const seq = x as ArrayLike<unknown>;
    if (!(Array.isArray(seq) || ArrayBuffer.isView(seq)) || seq.length !== shape[dim]) {
      throw new ShapeError(`expected sequence of length ${shape[dim]} at dim ${dim} (got ${Array.isArray(seq) || ArrayBuffer.isView(seq) ? seq.length : "a scalar"})`);
    }
    for (let i = 0; i < seq.length; i++) walk(seq[i], dim + 1);
  };
  walk(data, 0);
  const dtype = options.dtype ?? inferDType(data, flat);
  const out = dtype.alloc(flat.length);
  for (let i = 0; i < flat.length; i++) out[i] = store(flat[i]!, dtype) as never;
  return finish(wrap(out, shape, dtype), options);
}

function inferDType(data: unknown, flat: readonly Scalar[]): DType {
  if (data instanceof Float64Array) return float64;
  if (data instanceof Int32Array) return int32;
  if (data instanceof BigInt64Array) return int64;
  if (flat.length > 0 && flat.every((v) => typeof v === "boolean")) return bool;
  if (flat.length > 0 && flat.every((v) => typeof v === "bigint")) return int64;
  for (const v of flat) {
    if (typeof v !== "number" && typeof v !== "boolean" && typeof v !== "bigint") {
      throw new DTypeError(`tensor(): could not infer dtype of ${typeof v}`);
    }
  }
  return defaultFloat;
}

function store(v: Scalar, dtype: DType): number | bigint {
  if (dtype === bool) return v !== 0 && v !== 0n && v !== false ? 1 : 0;
  if (dtype === float16) return numberToHalf(Number(v));
  if (dtype === bfloat16) return numberToBfloat16(Number(v));
  if (dtype === int64) return typeof v === "bigint" ? v : BigInt(Math.trunc(Number(v)));
  return typeof v === "bigint" ? Number(v) : Number(v);
}

/** Zeros of the given shape: `zeros(2, 3)` or `zeros([2, 3], { dtype })`. */
export function zeros(...args: ShapeArgs): Tensor {
  const [shape, o] = splitArgs(args, "zeros");
  return finish(fullOf(shape, 0, o.dtype ?? defaultFloat), o);
}

/** Ones of the given shape. */
export function ones(...args: ShapeArgs): Tensor {
  const [shape, o] = splitArgs(args, "ones");
  return finish(fullOf(shape, 1, o.dtype ?? defaultFloat), o);
}

/** Uninitialized in PyTorch; zero-filled here, since typed arrays always are. */
export function empty(...args: ShapeArgs): Tensor {
  return zeros(...args);
}

/** A tensor filled with `value`; its dtype follows the value as in PyTorch (bool, int64 or float). */
export function full(shape: Shape, value: Scalar, options: CreationOptions = {}): Tensor {
  const dtype = options.dtype ?? (typeof value === "boolean" ? bool : typeof value === "bigint" ? int64 : defaultFloat);
  return finish(fullOf(parseShape([shape], "full"), value, dtype), options);
}

function randomFloat(args: ShapeArgs, op: string, fill: (out: Float32Array | Float64Array, gen: Generator) => void): Tensor {
  const [shape, o] = splitArgs(args, op);
  const dtype = o.dtype ?? defaultFloat;
  if (dtype !== float32 && dtype !== float64) throw new DTypeError(`"${op}" not implemented for ${dtype}: use float32 or float64`);
  const t = fullOf(shape, 0, dtype);
  fill(t.storage.data as Float32Array | Float64Array, o.generator ?? defaultGenerator);
  return finish(t, o);
}

/** Uniform samples in [0, 1): PyTorch's numbers for the same seed and call order. */
export function rand(...args: ShapeArgs): Tensor {
  return randomFloat(args, "rand", (v, g) => fillUniform(v, 0, 1, g));
}

/** Standard normal samples: PyTorch's numbers for the same seed and call order. */
export function randn(...args: ShapeArgs): Tensor {
  return randomFloat(args, "randn", (v, g) => fillNormal(v, 0, 1, g));
}

/** Integers uniform in [low, high), int64 by default, as torch.randint(low, high, size). */
export function randint(low: number, high: number, size: Shape, options: CreationOptions = {}): Tensor {
  if (!(high > low)) throw new ShapeError(`random_ expects 'from' to be less than 'to', but got from=${low} >= to=${high}`);
  const dtype = options.dtype ?? int64;
  const t = fullOf(parseShape([size], "randint"), 0, dtype);
  fillRandint(t.storage.data as Int32Array, low, high, options.generator ?? defaultGenerator);
  return finish(t, options);
}

/** Values from start to end (exclusive) by step; int64 when all arguments are integers. */
export function arange(start: number, ...rest: (number | CreationOptions | undefined)[]): Tensor {
  const options = (typeof rest[rest.length - 1] === "object" ? rest.pop() : {}) as CreationOptions;
  const [end, step = 1] = rest as (number | undefined)[];
  const [lo, hi] = end === undefined ? [0, start] : [start, end];
  if (step === 0) throw new ShapeError("arange: step must be nonzero");
  if ((hi - lo) / step < 0) throw new ShapeError("upper bound and larger bound inconsistent with step sign");
  const dtype = options.dtype ?? ([lo, hi, step].every(Number.isInteger) ? int64 : defaultFloat);
  const n = Math.ceil((hi - lo) / step);
  const out = dtype.alloc(n);
  for (let i = 0; i < n; i++) out[i] = store(lo + i * step, dtype) as never;
  return finish(wrap(out, [n], dtype), options);
}

/** `steps` evenly spaced values from start to end inclusive (PyTorch's symmetric formula). */
export function linspace(start: number, end: number, steps: number, options: CreationOptions = {}): Tensor {
  checkOptions(options, "linspace");
  if (!Number.isInteger(steps)) throw new DTypeError(`linspace(): argument 'steps' must be int, not ${steps}`);
  if (steps < 0) throw new ShapeError("number of steps must be non-negative");
  const dtype = options.dtype ?? defaultFloat;
  const out = dtype.alloc(steps);
  const step = steps > 1 ? (end - start) / (steps - 1) : 0;
  const half = Math.floor(steps / 2);
  for (let i = 0; i < steps; i++) {
    out[i] = store(i < half ? start + step * i : end - step * (steps - i - 1), dtype) as never;
  }
  return finish(wrap(out, [steps], dtype), options);
}

/** The n×m identity matrix. */
export function eye(n: number, mOrOptions: number | CreationOptions = n, options: CreationOptions = {}): Tensor {
  if (typeof mOrOptions === "object") return eye(n, n, mOrOptions);
  const m = mOrOptions;
  checkOptions(options, "eye");
  for (const [name, v] of [["n", n], ["m", m]] as const) {
    if (!Number.isInteger(v) || v < 0) throw new ShapeError(`${name} must be greater or equal to 0, got ${v}`);
  }
  const dtype = options.dtype ?? defaultFloat;
  const t = fullOf([n, m], 0, dtype);
  for (let i = 0; i < Math.min(n, m); i++) t.storage.data[i * m + i] = store(1, dtype) as never;
  return finish(t, options);
}

const like = (t: Tensor, o: CreationOptions): CreationOptions => ({ dtype: t.dtype, ...o });
/** Zeros with t's shape and dtype. */
export const zerosLike = (t: Tensor, o: CreationOptions = {}): Tensor => zeros([...t.shape], like(t, o));
/** Ones with t's shape and dtype. */
export const onesLike = (t: Tensor, o: CreationOptions = {}): Tensor => ones([...t.shape], like(t, o));
/** Zeros with t's shape and dtype (PyTorch leaves them uninitialized). */
export const emptyLike = zerosLike;
/** `value` with t's shape and dtype. */
export const fullLike = (t: Tensor, value: Scalar, o: CreationOptions = {}): Tensor => full([...t.shape], value, like(t, o));
/** Uniform samples with t's shape and dtype. */
export const randLike = (t: Tensor, o: CreationOptions = {}): Tensor => rand([...t.shape], like(t, o));
/** Normal samples with t's shape and dtype. */
export const randnLike = (t: Tensor, o: CreationOptions = {}): Tensor => randn([...t.shape], like(t, o));
/** Random integers in [low, high) with t's shape and dtype. */
export const randintLike = (t: Tensor, low: number, high: number, o: CreationOptions = {}): Tensor =>
  randint(low, high, [...t.shape], like(t, o));
