/**
 * Reductions. sum, prod, max, min and arg-reductions are kernels; mean, var, std, softmax and
 * log_softmax run them without recording and record one node each, as PyTorch's graph has.
 */
import { DTypeError, IndexError } from "../errors.ts";
import { bool, float32, float64, int64, type DType } from "../core/dtype.ts";
import { normalizeDim } from "../core/shape.ts";
import { Tensor, type ReduceOptions, type ValuesIndices } from "../tensor.ts";
import { backend } from "../backend/active.ts";
import type { ReduceOp } from "../backend/backend.ts";
import { noGrad, setGradEnabled } from "../autograd/grad-mode.ts";
import { record } from "../autograd/record.ts";
import { binary, cast, contiguousData, wrap } from "./elementwise.ts";
import { reshape } from "./movement.ts";

/** Normalized reduction options: sorted unique dims (all dims when none given). */
export interface Reduction { dims: number[]; keepdim: boolean; all: boolean; correction?: number }
/** Options of var/std: Bessel's correction (1 by default), or PyTorch 1.13's `unbiased` flag. */
export type VarianceOptions = ReduceOptions & { correction?: number; unbiased?: boolean };

/** Reads `sum(1)`, `sum([0, 1], true)` and `sum({ dim, keepdim })` alike. */
export function opts(
  dim?: number | readonly number[] | VarianceOptions, keepdim?: boolean,
): VarianceOptions {
  if (typeof dim === "number" || Array.isArray(dim)) return { dim: dim as number | number[], keepdim: keepdim ?? false };
  return (dim as ReduceOptions | undefined) ?? {};
}

/** The dims a reduction covers, sorted and unique, with keepdim and the variance correction. */
export function normalize(t: Tensor, o: VarianceOptions): Reduction {
  const raw = o.dim === undefined ? null : typeof o.dim === "number" ? [o.dim] : [...o.dim];
  const all = raw === null || raw.length === 0;
  const dims = all ? allDims(t.ndim)
    : raw.length === 1 ? [normalizeDim(raw[0]!, t.ndim)]
    : [...new Set(raw.map((d) => normalizeDim(d, t.ndim)))].sort((a, b) => a - b);
  const r: Reduction = { dims, keepdim: o.keepdim ?? false, all };
  if (o.correction !== undefined) r.correction = o.correction;
  else if (o.unbiased !== undefined) r.correction = o.unbiased ? 1 : 0;
  return r;
}

function allDims(ndim: number): number[] {
  const dims = new Array<number>(ndim);
  for (let d = 0; d < ndim; d++) dims[d] = d;
  return dims;
}

// loops rather than map/filter closures: a reduction is a step's frequent small op (loss, bias gradients)
function outShape(t: Tensor, r: Reduction): number[] {
  const shape = t.shape, dims = r.dims, out: number[] = [];
  if (r.all && !r.keepdim) return out;
  for (let d = 0; d < shape.length; d++) {
    if (!dims.includes(d)) out.push(shape[d]!);
    else if (r.keepdim) out.push(1);
  }
  return out;
}

/** The reduction kernel's result as a tensor of `dtype`, recorded nowhere. */
export function runReduce(op: ReduceOp, t: Tensor, r: Reduction, dtype: DType): Tensor {
  const src = cast(t, t.dtype === bool && op !== "any" && op !== "all" ? dtype : t.dtype);
  const data = backend().reduce(op, src.storage.data, src.layout, r.dims, dtype);
  return wrap(data, outShape(t, r), dtype);
}

/** Integer and bool sums are int64, as in PyTorch. */
function accType(t: Tensor): DType {
  return t.dtype.kind === "float" ? t.dtype : int64;
}

/** Sum over all elements or the given dims. */
export function sum(t: Tensor, o: ReduceOptions): Tensor {
  const r = normalize(t, o);
  const out = runReduce("sum", t, r, accType(t));
  return record(r.all && !r.keepdim ? "sum" : "sumDim", [t], out, { dims: r.dims, keepdim: r.keepdim, shape: t.shape });
}

/** Mean over all elements or the given dims (floating point only, as in PyTorch). */
export function mean(t: Tensor, o: ReduceOptions): Tensor {
  if (t.dtype.kind !== "float") {
    throw new DTypeError(`mean(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: ${t.dtype.scalarName}`);
  }
  const r = normalize(t, o);
  let n = 1;
  for (const d of r.dims) n *= t.shape[d]!;
  // one node, as PyTorch's: the sum divided by the count, and back the gradient spread over it
  const prev = setGradEnabled(false);
  let out: Tensor;
  try {
    out = binary("div", runReduce("sum", t, r, t.dtype), n);
  } finally {
    setGradEnabled(prev);
  }
  return record(r.all && !r.keepdim ? "mean" : "meanDim", [t], out, { dims: r.dims, keepdim: r.keepdim, shape: t.shape, scale: n });
}

/** Product over all elements or one dim. */
export function prod(t: Tensor, o: ReduceOptions): Tensor {
  const r = normalize(t, o);
  const out = runReduce("prod", t, r, accType(t));
  return record(r.all ? "prod" : "prodDim", [t], out, { dims: r.dims, keepdim: r.keepdim });
}

/** Variance with Bessel's correction by default (correction = 1): one VarBackward0 node. */
export function variance(t: Tensor, o: VarianceOptions): Tensor {
  const r = normalize(t, o);
  const out = noGrad(() => varianceOf(t, r));
  return record("var", [t], out, { dims: r.dims, keepdim: r.keepdim, correction: r.correction ?? 1 });
}

/** Standard deviation, the square root of the variance: one StdBackward0 node. */
export function std(t: Tensor, o: VarianceOptions): Tensor {
  const r = normalize(t, o);
  const out = noGrad(() => varianceOf(t, r).sqrt());
  return record("std", [t], out, { dims: r.dims, keepdim: r.keepdim, correction: r.correction ?? 1 });
}

function varianceOf(t: Tensor, r: Reduction): Tensor {
  if (t.dtype.kind !== "float") throw new DTypeError("std and var only support floating point and complex dtypes");
  const n = r.dims.reduce((p, d) => p * t.shape[d]!, 1);
  const centered = binary("sub", t, mean(t, { dim: r.dims, keepdim: true }));
  const ss = sum(binary("mul", centered, centered), { dim: r.dims, keepdim: r.keepdim });
  return binary("div", ss, Math.max(0, n - (r.correction ?? 1)));
}

/** max/min overloads: all elements, along a dim (values and indices), or against a tensor. */
export function extreme(
  op: "max" | "min", t: Tensor, dim?: number | Tensor | { dim: number; keepdim?: boolean }, keepdim?: boolean,
): Tensor | ValuesIndices {
  if (dim instanceof Tensor) return binary(op === "max" ? "maximum" : "minimum", t, dim);
  if (dim === undefined) {
    if (t.numel() === 0) throw new IndexError(`${op}(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the 'dim' argument.`);
    const r = normalize(t, {});
    return record(op === "max" ? "maxAll" : "minAll", [t], runReduce(op, t, r, t.dtype));
  }
  const o = typeof dim === "number" ? { dim, keepdim: keepdim ?? false } : dim;
  const r = normalize(t, { dim: o.dim, keepdim: o.keepdim ?? false });
  const d = r.dims[0]!;
  const indices = wrap(backend().argReduce(op === "max" ? "argmax" : "argmin", t.storage.data, t.layout, d), outShape(t, r), int64);
  const values = record(op === "max" ? "maxDim" : "minDim", [t], runReduce(op, t, r, t.dtype), { dim: d, keepdim: r.keepdim, indices, shape: t.shape });
  return { values, indices };
}

/** Index of the max/min, over the flattened tensor or along a dim. */
export function argReduce(
  op: "argmax" | "argmin", t: Tensor, dim?: number | { dim?: number; keepdim?: boolean }, keepdim?: boolean,
): Tensor {
  const o = typeof dim === "number" ? { dim, keepdim } : (dim ?? {});
  if (o.dim === undefined) {
    const flat = reshape(t, [t.numel()]);
    const data = backend().argReduce(op, flat.storage.data, flat.layout, 0);
    return wrap(data, o.keepdim ? t.shape.map(() => 1) : [], int64);
  }
  const r = normalize(t, { dim: o.dim, keepdim: o.keepdim ?? false });
  return wrap(backend().argReduce(op, t.storage.data, t.layout, r.dims[0]!), outShape(t, r), int64);
}

/** any()/all() over every element, as bool. */
export function logical(op: "any" | "all", t: Tensor): Tensor {
  return runReduce(op, t, normalize(t, {}), bool);
}

/** Whether softmax along `dim` runs as the backend's fused last-dim kernel: float32/float64 along the last dim. */
function fusedSoftmax(t: Tensor, dim: number): boolean {
  return (t.dtype === float32 || t.dtype === float64) && t.ndim > 0 && dim === t.ndim - 1 && t.numel() > 0;
}

/** Softmax or log-softmax along the last dim with the backend's fused kernel (backend.softmax). */
function softmaxLastDim(t: Tensor, log: boolean): Tensor {
  const cols = t.shape[t.ndim - 1]!, rows = t.numel() / cols;
  return wrap(backend().softmax(contiguousData(t), rows, cols, log, t.dtype), t.shape, t.dtype);
}

/**
 * The input gradient of softmax (or log-softmax) along `dim` from its output `y`: the backend's
 * fused last-dim kernel where the forward used it, else the CPU kernels' forms
 * (g - Σ g·y) · y and g - exp(y) · Σ g as tensor ops.
 */
export function softmaxBackward(g: Tensor, y: Tensor, dim: number, log: boolean): Tensor {
  if (fusedSoftmax(y, dim) && g.dtype === y.dtype) {
    const cols = y.shape[y.ndim - 1]!, rows = y.numel() / cols;
    return wrap(backend().softmaxBackward(contiguousData(g), contiguousData(y), rows, cols, log, y.dtype), y.shape, y.dtype);
  }
  return log ? g.sub(y.exp().mul(g.sum({ dim, keepdim: true }))) : g.sub(g.mul(y).sum({ dim, keepdim: true })).mul(y);
}

/** Softmax along `dim`, shifted by the max for stability as PyTorch's kernel is: one SoftmaxBackward0 node. */
export function softmax(t: Tensor, dim: number): Tensor {
  const d = softmaxDim(t, dim, "softmax");
  if (fusedSoftmax(t, d)) return record("softmax", [t], softmaxLastDim(t, false), { dim: d });
  const out = noGrad(() => {
    const e = binary("sub", t, shiftOf(t, d)).exp();
    return binary("div", e, sum(e, { dim: d, keepdim: true }));
  });
  return record("softmax", [t], out, { dim: d });
}

/** log(softmax(x)) computed as x - max - log(sum(exp(x - max))): one LogSoftmaxBackward0 node. */
export function logSoftmax(t: Tensor, dim: number): Tensor {
  const d = softmaxDim(t, dim, "log_softmax");
  if (fusedSoftmax(t, d)) return record("logSoftmax", [t], softmaxLastDim(t, true), { dim: d });
  const out = noGrad(() => {
    const shifted = binary("sub", t, shiftOf(t, d));
    return binary("sub", shifted, sum(shifted.exp(), { dim: d, keepdim: true }).log());
  });
  return record("logSoftmax", [t], out, { dim: d });
}

// PyTorch's softmax kernels are float only; the last dim and the others are two kernels
function softmaxDim(t: Tensor, dim: number, op: string): number {
  if (!Number.isInteger(dim)) throw new DTypeError(`${op}(): argument 'dim' (position 1) must be int, not ${String(dim)}`);
  const d = normalizeDim(dim, Math.max(t.ndim, 1));
  if (t.dtype.kind !== "float") {
    const kernel = d === t.ndim - 1 || t.ndim === 0 ? `${op}_lastdim_kernel_impl` : `${op}_kernel_impl`;
    throw new DTypeError(`"${kernel}" not implemented for '${t.dtype.scalarName}'`);
  }
  return d;
}

function shiftOf(t: Tensor, dim: number): Tensor {
  if (t.ndim === 0) return t;
  return noGrad(() => (extreme("max", t, { dim, keepdim: true }) as ValuesIndices).values);
}
