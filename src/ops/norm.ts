/**
 * Normalization and embedding ops: batch, layer and group norm as one node each
 * (NativeBatchNormBackward0, NativeLayerNormBackward0, NativeGroupNormBackward0), the embedding
 * lookup (EmbeddingBackward0) and one-hot encoding.
 */
import { IndexError, ShapeError, ValueError } from "../errors.ts";
import { float32, float64, int64, type TypedArray } from "../core/dtype.ts";
import { showShape } from "../core/shape.ts";
import type { Tensor } from "../tensor.ts";
import { backend } from "../backend/active.ts";
import { noGrad } from "../autograd/grad-mode.ts";
import { record } from "../autograd/record.ts";
import { contiguousData, wrap } from "./elementwise.ts";

/** (x - mean) · invstd over `dims` of `x` (biased variance); both statistics keep their dims. */
function standardize(x: Tensor, dims: number[], eps: number): { xhat: Tensor; mean: Tensor; invstd: Tensor; variance: Tensor } {
  const mean = x.mean({ dim: dims, keepdim: true });
  const centered = x.sub(mean);
  const variance = centered.mul(centered).mean({ dim: dims, keepdim: true });
  const invstd = variance.add(eps).pow(-0.5);
  return { xhat: centered.mul(invstd), mean, invstd, variance };
}

/** `y = xhat · weight + bias` with weight and bias viewed as `affineShape`. */
function affine(xhat: Tensor, weight: Tensor | null, bias: Tensor | null, affineShape: readonly number[]): Tensor {
  let y = xhat;
  if (weight !== null) y = y.mul(weight.reshape(affineShape));
  if (bias !== null) y = y.add(bias.reshape(affineShape));
  return y;
}

/** Inputs of a norm node: x, then weight and bias where given (the rule maps gradients back). */
function normInputs(x: Tensor, weight: Tensor | null, bias: Tensor | null): Tensor[] {
  return [x, ...(weight ? [weight] : []), ...(bias ? [bias] : [])];
}

/** Options of F.batchNorm. */
export interface BatchNormOptions {
  weight?: Tensor | null;
  bias?: Tensor | null;
  training?: boolean;
  momentum?: number;
  eps?: number;
}

/**
 * torch.nn.functional.batch_norm: normalizes each channel (dim 1) over the batch and spatial dims.
 * In training it uses the batch's statistics and, when given, updates the running ones in place
 * (unbiased variance, as PyTorch); in eval it uses the running statistics. One pass for the
 * statistics and one for y = x·alpha + beta per channel, in PyTorch 1.13's CPU arithmetic
 * (float64 sums, the dtype's rounding where PyTorch rounds).
 */
export function batchNorm(input: Tensor, runningMean: Tensor | null, runningVar: Tensor | null, options: BatchNormOptions = {}): Tensor {
  const training = options.training ?? false, momentum = options.momentum ?? 0.1, eps = options.eps ?? 1e-5;
  const weight = options.weight ?? null, bias = options.bias ?? null;
  if (input.ndim < 2) throw new ShapeError(`batch_norm: expected an input of at least 2 dims (N, C, ...), got ${showShape(input.shape)}`);
  const c = input.shape[1]!;
  for (const [name, t] of [["running_mean", runningMean], ["running_var", runningVar], ["weight", weight], ["bias", bias]] as const) {
    if (t !== null && t.numel() !== c) throw new ShapeError(`batch_norm: ${name} should contain ${c} elements not ${t.numel()}`);
  }
  if (!training && (runningMean === null || runningVar === null)) {
    throw new ValueError("batch_norm: running_mean and running_var are needed when training is false");
  }
  const count = input.numel() / c;
  if (training && count <= 1) {
    throw new ValueError(`Expected more than 1 value per channel when training, got input size torch.Size(${showShape(input.shape)})`);
  }
  if (input.dtype !== float32 && input.dtype !== float64) {
    throw new ValueError(`batch_norm: expected a float32 or float64 input, got ${input.dtype.name}`);
  }
  const n = input.shape[0]!, l = input.shape.slice(2).reduce((p, d) => p * d, 1), dtype = input.dtype;
  const x = contiguousData(input);
  const round = dtype === float32 ? Math.fround : (v: number) => v;
  let mean: Float64Array, invstd: Float64Array;
  if (training) {
    const s = backend().channelStats(x, n, c, l, dtype);
    mean = s.mean;
    // PyTorch 1.13: var = var_sum / N in the dtype, 1/σ in float64, saved in the dtype
    invstd = s.varSum.map((vs) => round(1 / Math.sqrt(round(vs / count) + eps)));
    noGrad(() => {
      if (runningMean !== null) updateRunning(runningMean, (i, old) => momentum * mean[i]! + (1 - momentum) * old);
      if (runningVar !== null) updateRunning(runningVar, (i, old) => momentum * round(s.varSum[i]! / (count - 1)) + (1 - momentum) * old);
    });
  } else {
    mean = valuesAsFloat64(runningMean!);
    invstd = valuesAsFloat64(runningVar!).map((v) => round(1 / round(Math.sqrt(round(v + round(eps))))));
  }
  // y = x·alpha + beta with alpha = 1/σ·w and beta = b - mean·alpha (PyTorch's transform)
  const w = weight === null ? null : valuesAsFloat64(weight), b = bias === null ? null : valuesAsFloat64(bias);
  const alpha = invstd.map((is, i) => round(is * (w === null ? 1 : w[i]!)));
  const beta = alpha.map((a, i) => round((b === null ? 0 : b[i]!) - round(mean[i]! * a)));
  const y = wrap(backend().channelAffine(x, n, c, l, alpha, beta, dtype), input.shape, dtype);
  return record("batchNorm", normInputs(input, weight, bias), y, {
    paramShape: [c], hasWeight: weight !== null, hasBias: bias !== null, training, channelStats: { mean, invstd },
  });
}

/** A 1-D float tensor's values as float64 numbers. */
function valuesAsFloat64(t: Tensor): Float64Array {
  return Float64Array.from(contiguousData(t) as Float32Array);
}

/** Writes `next(i, old)` (rounded to the buffer's dtype) into each element of a running statistic. */
function updateRunning(buffer: Tensor, next: (i: number, old: number) => number): void {
  const old = valuesAsFloat64(buffer);
  const values = buffer.dtype.alloc(old.length) as Float32Array;
  for (let i = 0; i < old.length; i++) values[i] = next(i, old[i]!);
  buffer.copy_(wrap(values, buffer.shape, buffer.dtype));
}

/**
 * Batch norm's gradients (NativeBatchNormBackward0) from the output's gradient `g`, the input
 * `x` and the statistics the forward normalized with: the input's when `gradInput`, and the
 * weight's (Σ (x - mean)·g·1/σ) and bias's (Σ g) per channel.
 */
export function batchNormBackward(
  g: Tensor, x: Tensor, weight: Tensor | null, stats: { mean: Float64Array; invstd: Float64Array }, training: boolean, gradInput: boolean,
): { dx: Tensor | null; dWeight: Tensor; dBias: Tensor } {
  const c = x.shape[1]!, n = x.shape[0]!, l = x.numel() / (n * c), dtype = x.dtype;
  const w = weight === null ? null : valuesAsFloat64(weight);
  const r = backend().channelNormBackward(contiguousData(g), contiguousData(x), n, c, l, stats.mean, stats.invstd, w, training, gradInput, dtype);
  const perChannel = (v: Float64Array) => {
    const data = dtype.alloc(c) as Float32Array;
    data.set(v);
    return wrap(data, [c], dtype);
  };
  return {
    dx: r.dx === null ? null : wrap(r.dx, x.shape, dtype),
    dWeight: perChannel(r.dotp.map((d, i) => d * stats.invstd[i]!)),
    dBias: perChannel(r.sum),
  };
}

/** torch.nn.functional.layer_norm: normalizes over the last `normalizedShape.length` dims. */
export function layerNorm(
  input: Tensor, normalizedShape: number | readonly number[], options: { weight?: Tensor | null; bias?: Tensor | null; eps?: number } = {},
): Tensor {
  const shape = typeof normalizedShape === "number" ? [normalizedShape] : [...normalizedShape];
  const tail = input.shape.slice(input.ndim - shape.length);
  if (shape.length === 0 || input.ndim < shape.length || showShape(tail) !== showShape(shape)) {
    throw new ShapeError(`Given normalized_shape=${showShape(shape)}, expected input with shape [*, ${shape.join(", ")}], but got input of size${showShape(input.shape)}`);
  }
  const weight = options.weight ?? null, bias = options.bias ?? null, eps = options.eps ?? 1e-5;
  for (const [name, t] of [["weight", weight], ["bias", bias]] as const) {
    if (t !== null && showShape(t.shape) !== showShape(shape)) throw new ShapeError(`layer_norm: ${name} of shape ${showShape(t.shape)} does not match normalized_shape=${showShape(shape)}`);
  }
  const dtype = input.dtype;
  if ((dtype === float32 || dtype === float64) && (weight === null || weight.dtype === dtype) && (bias === null || bias.dtype === dtype)) {
    // the fused kernels: one pass for the statistics and y per row (backend.layerNorm)
    const cols = shape.reduce((p, s) => p * s, 1), rows = cols === 0 ? 0 : input.numel() / cols;
    const r = backend().layerNorm(
      contiguousData(input), rows, cols, weight && contiguousData(weight), bias && contiguousData(bias), eps, dtype,
    );
    return record("layerNorm", normInputs(input, weight, bias), wrap(r.y, input.shape, dtype), {
      hasWeight: weight !== null, hasBias: bias !== null, paramShape: shape, rowStats: { mean: r.mean, rstd: r.rstd, rows, cols },
    });
  }
  const dims = shape.map((_, i) => input.ndim - shape.length + i);
  let xhat!: Tensor, invstd!: Tensor;
  const y = noGrad(() => {
    ({ xhat, invstd } = standardize(input, dims, eps));
    return affine(xhat, weight, bias, shape);
  });
  return record("layerNorm", normInputs(input, weight, bias), y, {
    normDims: dims, affineShape: shape, paramShape: shape, hasWeight: weight !== null, hasBias: bias !== null, training: true, xhat, invstd,
  });
}

/**
 * Layer norm's gradients from the fused forward's statistics (backend.layerNormBackward): the
 * input's when `gradInput`, the weight's and bias's (shaped `paramShape`) when `params`.
 */
export function layerNormBackward(
  g: Tensor, x: Tensor, weight: Tensor | null, stats: { mean: Float64Array; rstd: Float64Array; rows: number; cols: number },
  paramShape: readonly number[], gradInput: boolean, params: boolean,
): { dx: Tensor | null; dWeight: Tensor | null; dBias: Tensor | null } {
  const dtype = x.dtype;
  const r = backend().layerNormBackward(
    contiguousData(g), contiguousData(x), stats.rows, stats.cols, stats.mean, stats.rstd,
    weight && contiguousData(weight), gradInput, params, dtype,
  );
  const param = (d: TypedArray | null) => (d === null ? null : wrap(d, paramShape, dtype));
  return { dx: r.dx === null ? null : wrap(r.dx, x.shape, dtype), dWeight: param(r.dWeight), dBias: param(r.dBias) };
}

/** torch.nn.functional.group_norm: channels (dim 1) split into `numGroups`, each normalized with its spatial dims. */
export function groupNorm(
  input: Tensor, numGroups: number, options: { weight?: Tensor | null; bias?: Tensor | null; eps?: number } = {},
): Tensor {
  if (input.ndim < 2) throw new ShapeError(`group_norm: expected an input of at least 2 dims (N, C, ...), got ${showShape(input.shape)}`);
  const [n, c] = input.shape as [number, number];
  if (!Number.isInteger(numGroups) || numGroups <= 0 || c % numGroups !== 0) {
    throw new ShapeError(`Expected number of channels in input to be divisible by num_groups, but got input of shape ${showShape(input.shape)} and num_groups=${numGroups}`);
  }
  const weight = options.weight ?? null, bias = options.bias ?? null, eps = options.eps ?? 1e-5;
  const groupShape = [n, numGroups, input.numel() / (n * numGroups)];
  const affineShape = input.shape.map((s, d) => (d === 1 ? s : 1));
  let xhat!: Tensor, invstd!: Tensor;
  const y = noGrad(() => {
    const s = standardize(input.reshape(groupShape), [2], eps);
    xhat = s.xhat;
    invstd = s.invstd;
    return affine(xhat.reshape(input.shape), weight, bias, affineShape);
  });
  return record("groupNorm", normInputs(input, weight, bias), y, {
    normDims: [2], affineShape, groupShape, paramShape: [c], hasWeight: weight !== null, hasBias: bias !== null, training: true, xhat, invstd,
  });
}

/** Checks an index tensor for embedding/oneHot: integer dtype, values in [0, n). */
function indexValues(indices: Tensor, n: number, op: string): BigInt64Array {
  if (indices.dtype.kind !== "int") {
    throw new ValueError(`Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; but got ${indices.typeName()} instead (while checking arguments for ${op})`);
  }
  const values = contiguousData(indices.to(int64)) as BigInt64Array;
  for (const v of values) if (v < 0n || v >= BigInt(n)) throw new IndexError("index out of range in self");
  return values;
}

/** Options of F.embedding. */
export interface EmbeddingOptions { paddingIdx?: number | null; maxNorm?: number | null; normType?: number }

/** Rescales, in place, the rows of `weight` that `rows` reads to a norm of at most maxNorm (PyTorch's embedding_renorm_). */
function renorm_(weight: Tensor, rows: BigInt64Array, maxNorm: number, normType: number): void {
  noGrad(() => {
    for (const r of new Set(rows)) {
      const row = weight.at(Number(r));
      const norm = Number(row.abs().pow(normType).sum().pow(1 / normType).item());
      if (norm > maxNorm) row.mul_(maxNorm / (norm + 1e-7));
    }
  });
}

/**
 * torch.nn.functional.embedding: rows of `weight` picked by integer `indices`; the result has
 * shape [...indices.shape, embeddingDim]. The row `paddingIdx` gets no gradient; with maxNorm,
 * the rows looked up are first rescaled in place, as PyTorch does.
 */
export function embedding(indices: Tensor, weight: Tensor, options: EmbeddingOptions = {}): Tensor {
  if (weight.ndim !== 2) throw new ShapeError(`'weight' must be 2-D, got ${showShape(weight.shape)}`);
  const [num, dim] = weight.shape as [number, number];
  const rows = indexValues(indices, num, "embedding");
  let paddingIdx = options.paddingIdx ?? null;
  if (paddingIdx !== null) {
    if (paddingIdx >= num || paddingIdx < -num) throw new ValueError("Padding_idx must be within num_embeddings");
    if (paddingIdx < 0) paddingIdx += num;
  }
  if (options.maxNorm !== undefined && options.maxNorm !== null) renorm_(weight, rows, options.maxNorm, options.normType ?? 2);
  const data = backend().gatherRows(weight.storage.data, weight.layout, rows, weight.dtype);
  return record("embedding", [weight], wrap(data, [...indices.shape, dim], weight.dtype), {
    rowIndices: rows, numRows: num, paddingIdx: paddingIdx ?? -1,
  });
}

/** The embedding's dense gradient: each looked-up row's gradient summed into its row, none into `paddingIdx`. */
export function embeddingBackward(g: Tensor, rows: BigInt64Array, numRows: number, paddingIdx: number): Tensor {
  const dim = g.shape[g.ndim - 1]!;
  return wrap(backend().scatterAddRows(contiguousData(g), rows, numRows, dim, paddingIdx, g.dtype), [numRows, dim], g.dtype);
}

/** torch.nn.functional.one_hot: int64 [..., numClasses] (numClasses -1: the largest value + 1). */
export function oneHot(t: Tensor, options: { numClasses?: number } = {}): Tensor {
  if (t.dtype !== int64) throw new ValueError("one_hot is only applicable to index tensor.");
  const values = contiguousData(t) as BigInt64Array;
  let n = options.numClasses ?? -1;
  if (n === -1) {
    if (values.length === 0) throw new ValueError("Can not infer total number of classes from empty tensor.");
    n = Number(values.reduce((m, v) => (v > m ? v : m), 0n)) + 1;
  }
  for (const v of values) {
    if (v < 0n) throw new ValueError("Class values must be non-negative.");
    if (v >= BigInt(n)) throw new ValueError("Class values must be smaller than num_classes.");
  }
  const out = new BigInt64Array(values.length * n);
  values.forEach((v, i) => { out[i * n + Number(v)] = 1n; });
  return wrap(out, [...t.shape, n], int64);
}
