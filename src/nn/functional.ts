/**
 * torch.nn.functional: activations, dropout and losses composed from tensor ops, so autograd
 * needs no new derivative. The last node of a composition takes PyTorch's grad_fn name.
 */
import { DTypeError, IndexError, ShapeError, ValueError } from "../errors.ts";
import { int32, int64, type DType } from "../core/dtype.ts";
import { showShape } from "../core/shape.ts";
import type { Tensor } from "../tensor.ts";
import type { Generator } from "../core/generator.ts";
import { defaultGenerator } from "../ops/generator.ts";
import { fillBernoulli } from "../core/random-int.ts";
import { noGrad, setGradEnabled } from "../autograd/grad-mode.ts";
import { named, record } from "../autograd/record.ts";
import type { CompositeKey } from "../autograd/derivatives.ts";
import { arange } from "../ops/creation.ts";
import { wrap, contiguousData } from "../ops/elementwise.ts";
import { mseLossReduced, nllLossPicked } from "../ops/loss.ts";
import { linear as linearOp, type LinearOptions } from "../ops/linalg.ts";
import { activate } from "../ops/activation.ts";

/** How a loss combines its elements: their mean, their sum, or no reduction. */
export type Reduction = "mean" | "sum" | "none";

/** `{ reduction }`, the option every loss takes (default "mean"). */
export interface LossOptions { reduction?: Reduction }

/** y = x Wᵀ + b, as torch.nn.functional.linear; `{ activation: "relu" }` fuses a ReLU into the kernel's store (torchlet's one fusion option). */
export const linear: (x: Tensor, weight: Tensor, bias?: Tensor | null, options?: LinearOptions) => Tensor = linearOp;

/** max(x, 0) elementwise; `inplace` writes into x, as torch.nn.functional.relu. */
export function relu(x: Tensor, options: { inplace?: boolean } = {}): Tensor { return options.inplace ? x.relu_() : x.relu(); }

/** 1 / (1 + exp(-x)) elementwise. */
export function sigmoid(x: Tensor): Tensor { return x.sigmoid(); }

/** Hyperbolic tangent elementwise. */
export function tanh(x: Tensor): Tensor { return x.tanh(); }

/** Softmax along `dim`. */
export function softmax(x: Tensor, dim: number): Tensor { return x.softmax(dim); }

/** log(softmax(x)) along `dim`, computed stably. */
export function logSoftmax(x: Tensor, dim: number): Tensor { return x.logSoftmax(dim); }

/** GELU's two forms: the exact one with erf, or PyTorch's tanh approximation. */
export type GeluApproximate = "none" | "tanh";

/** x·Φ(x), exact or with the tanh approximation: one kernel and one node (GeluBackward0), as torch.nn.functional.gelu. */
export function gelu(x: Tensor, options: { approximate?: GeluApproximate } = {}): Tensor {
  const approximate = options.approximate ?? "none";
  if (approximate !== "none" && approximate !== "tanh") throw new ValueError("approximate argument must be either none or tanh.");
  return activate(approximate === "none" ? "gelu" : "geluTanh", x, [], "gelu");
}

/** Options of dropout: drop probability, training flag, in-place flag and the generator to draw from. */
export interface DropoutOptions { p?: number; training?: boolean; inplace?: boolean; generator?: Generator }

/**
 * Zeroes each element with probability p and scales the rest by 1/(1-p), as PyTorch's CPU
 * dropout: the mask is bernoulli_(1-p) drawn in element order, so a seed gives PyTorch's mask.
 */
export function dropout(x: Tensor, options: DropoutOptions = {}): Tensor {
  const p = options.p ?? 0.5, inplace = options.inplace ?? false;
  if (!(p >= 0 && p <= 1)) throw new ValueError(`dropout probability has to be between 0 and 1, but got ${p}`);
  if (!(options.training ?? true) || p === 0 || x.numel() === 0) return x;
  if (p === 1) return inplace ? x.mul_(0) : x.mul(0);
  const noise = wrap(x.dtype.alloc(x.numel()), x.shape, x.dtype);
  fillBernoulli(noise.storage.data as Float32Array, 1 - p, options.generator ?? defaultGenerator);
  noise.div_(1 - p);
  return inplace ? x.mul_(noise) : x.mul(noise);
}

const reductions: readonly string[] = ["mean", "sum", "none"];

function reductionOf(options: LossOptions): Reduction {
  const r = options.reduction ?? "mean";
  if (!reductions.includes(r)) throw new ValueError(`${String(r)} is not a valid value for reduction`);
  return r;
}

/** Applies a reduction and gives the result PyTorch's node name. */
function reduce(loss: Tensor, reduction: Reduction, node?: CompositeKey): Tensor {
  const out = reduction === "mean" ? loss.mean() : reduction === "sum" ? loss.sum() : loss;
  return node === undefined ? out : named(out, node);
}

/**
 * Mean squared error; a target of another shape broadcasts, as in PyTorch. One graph node
 * (MseLossBackward0) with PyTorch's derivative, rather than the nodes of sub, pow and mean.
 */
export function mseLoss(input: Tensor, target: Tensor, options: LossOptions = {}): Tensor {
  const reduction = reductionOf(options);
  // one pass where the operands allow it (ops/loss.ts), the same bits as the composition below
  const fused = reduction === "none" ? null : mseLossReduced(input, target, reduction === "mean");
  if (fused !== null) return record("mseLoss", [input, target], fused, { scale: reduction === "mean" ? 2 / input.numel() : 2 });
  const prev = setGradEnabled(false);
  let out: Tensor, count: number;
  try {
    const squares = input.sub(target);
    squares.mul_(squares); // x·x, as PyTorch's pow(x, 2) computes it
    count = squares.numel();
    out = reduce(squares, reduction);
  } finally {
    setGradEnabled(prev);
  }
  return record("mseLoss", [input, target], out, { scale: reduction === "mean" ? 2 / count : 2 });
}

/** Mean absolute error (PyTorch composes it too: AbsBackward0, MeanBackward0, SumBackward0). */
export function l1Loss(input: Tensor, target: Tensor, options: LossOptions = {}): Tensor {
  return reduce(input.sub(target).abs(), reductionOf(options));
}

/** Options of nllLoss and crossEntropy with class indices. */
export interface NllLossOptions extends LossOptions {
  /** a manual rescaling weight for each class, a 1-D tensor of C elements */
  weight?: Tensor | null;
  /** a target value that contributes nothing to the loss or the gradient (default -100) */
  ignoreIndex?: number;
}

/** Options of crossEntropy. */
export interface CrossEntropyOptions extends NllLossOptions {
  /** mixes the target with the uniform distribution: (1 - ε)·target + ε/C */
  labelSmoothing?: number;
}

/** Options of binaryCrossEntropyWithLogits. */
export interface BCEWithLogitsOptions extends LossOptions {
  /** a rescaling weight for each element, broadcast over the input */
  weight?: Tensor | null;
  /** a weight for positive examples, broadcast over the classes (the last dim) */
  posWeight?: Tensor | null;
}

const longWord = (d: DType): string =>
  ({ float32: "Float", float64: "Double", int32: "Int", int64: "Long", bool: "Bool" } as Record<string, string>)[d.name] ?? d.name;

/** The class dim and class count of an input to nllLoss or crossEntropy. */
function classesOf(input: Tensor): { dim: number; n: number } {
  if (input.ndim < 1) throw new ValueError(`Expected 1 or more dimensions (got ${input.ndim})`);
  const dim = input.ndim === 1 ? 0 : 1;
  return { dim, n: input.shape[dim]! };
}

/** PyTorch's checks on class-index targets, then on their values. */
function checkIndexTarget(input: Tensor, target: Tensor, ignoreIndex: number, weight: Tensor | null): void {
  if (target.dtype !== int64) throw new DTypeError(`expected scalar type Long but found ${longWord(target.dtype)}`);
  const { n } = classesOf(input);
  if (input.ndim !== 1 && (target.ndim === 0 || input.shape[0] !== target.shape[0])) {
    throw new ValueError(`Expected input batch_size (${input.shape[0]}) to match target batch_size (${target.ndim === 0 ? 0 : target.shape[0]}).`);
  }
  if (input.ndim <= 2 && target.ndim > 1) throw new ShapeError("0D or 1D target tensor expected, multi-target not supported");
  if (input.ndim > 2) {
    const expected = [input.shape[0]!, ...input.shape.slice(2)];
    if (showShape(expected) !== showShape(target.shape)) {
      throw new ShapeError(`Expected target size ${showShape(expected)}, got ${showShape(target.shape)}`);
    }
  }
  if (weight !== null && (weight.ndim !== 1 || weight.numel() !== n)) {
    throw new ShapeError(`weight tensor should be defined either for all ${n} classes or no classes but got weight tensor of shape: ${showShape(weight.shape)}`);
  }
  for (const v of contiguousData(target) as BigInt64Array) {
    const t = Number(v);
    if (t !== ignoreIndex && (t < 0 || t >= n)) throw new IndexError(`Target ${t} is out of bounds.`);
  }
}

/** A 1-D per-class tensor shaped to broadcast along the input's class dim. */
function alongClasses(v: Tensor, input: Tensor, dim: number): Tensor {
  return v.reshape(input.shape.map((s, d) => (d === dim ? s : 1)));
}

/** True where the class along `dim` equals the target: a one-hot mask of the input's shape. */
function oneHot(input: Tensor, target: Tensor, dim: number, n: number): Tensor {
  return alongClasses(arange(n, { dtype: target.dtype }), input, dim).eq(target.unsqueeze(dim));
}

/**
 * A checked int64 target as int32 when every value it can hold (a class below n, or ignoreIndex)
 * fits: the masks compare numbers instead of BigInts, which each read of an int64 element allocates.
 */
function narrowTarget(target: Tensor, ignoreIndex: number, n: number): Tensor {
  return Math.abs(ignoreIndex) < 2 ** 31 && n < 2 ** 31 ? target.to(int32) : target;
}

/** Each target's class weight (1 without weights), 0 where the target is ignored (`kept`: target != ignoreIndex). */
function targetWeights(input: Tensor, kept: Tensor, mask: Tensor, o: { weight: Tensor | null; dim: number }): Tensor {
  return noGrad(() => {
    const valid = kept.to(input.dtype);
    if (o.weight === null) return valid;
    return alongClasses(o.weight, input, o.dim).where(mask, 0).sum(o.dim).mul(valid);
  });
}

/** Negative log likelihood of class indices, given log-probabilities of shape (C), (N, C) or (N, C, d1, ...). */
export function nllLoss(input: Tensor, target: Tensor, options: NllLossOptions = {}): Tensor {
  const reduction = reductionOf(options);
  const weight = options.weight ?? null, ignoreIndex = options.ignoreIndex ?? -100;
  checkIndexTarget(input, target, ignoreIndex, weight);
  const { dim, n } = classesOf(input);
  target = narrowTarget(target, ignoreIndex, n);
  // one pass without class weights over [N, C] or [C] (ops/loss.ts), the bits of the composition below
  const picked = weight === null ? nllLossPicked(input, target, ignoreIndex, reduction) : null;
  if (picked !== null) return record("nll", [input], picked.out, { shape: input.shape, nll: picked.args });
  // an ignored sample's row of the mask is all false, and its loss sums -0s from +0: +0 as
  // PyTorch writes it (value and gradient), where -(0 · 0) would give -0
  const kept = target.ne(ignoreIndex);
  const mask = oneHot(input, target, dim, n).logicalAnd(kept.unsqueeze(dim));
  const w = targetWeights(input, kept, mask, { weight, dim });
  const loss = input.where(mask, 0).neg().sum(dim).mul(w);
  const out = reduction === "mean" ? divideByWeight(loss.sum(), w.sum()) : reduction === "sum" ? loss.sum() : loss;
  return named(out, nllNode(input.ndim, reduction));
}

/** PyTorch's last node: inputs of 3+ dims go through nll_loss2d, and back through a view when unreduced. */
function nllNode(ndim: number, reduction: Reduction): CompositeKey {
  if (ndim <= 2) return "nllLoss";
  return reduction === "none" && ndim !== 4 ? "nllLossView" : "nllLoss2d";
}

/**
 * sum / totalWeight. When every target is ignored the loss is 0/0 = NaN, as in PyTorch, but the
 * gradient stays 0 (dividing the gradient by 0 would turn the ignored zeros into NaN).
 */
function divideByWeight(sum: Tensor, totalWeight: Tensor): Tensor {
  return Number(totalWeight.item()) === 0 ? sum.add(NaN) : sum.div(totalWeight);
}

/**
 * Cross entropy between logits and a target of class indices (int64, the input's shape without
 * the class dim) or of class probabilities (float, the input's shape), as PyTorch's.
 */
export function crossEntropy(input: Tensor, target: Tensor, options: CrossEntropyOptions = {}): Tensor {
  const reduction = reductionOf(options);
  const smoothing = options.labelSmoothing ?? 0;
  if (!(smoothing >= 0 && smoothing <= 1)) throw new ValueError(`label_smoothing must be between 0.0 and 1.0. Got: ${smoothing}`);
  if (showShape(input.shape) === showShape(target.shape)) return crossEntropyProbs(input, target, reduction, smoothing, options);
  const { dim, n } = classesOf(input);
  const logp = input.logSoftmax(dim);
  const nll = nllLoss(logp, target, { ...options, reduction });
  if (smoothing === 0) return nll;
  const weight = options.weight ?? null, ignoreIndex = options.ignoreIndex ?? -100;
  const weighted = weight === null ? logp : logp.mul(alongClasses(weight, input, dim));
  const valid = target.ne(ignoreIndex);
  const smooth = weighted.sum(dim).neg().where(valid, 0);
  let ret = smooth;
  if (reduction === "sum") ret = smooth.sum();
  else if (reduction === "mean") {
    ret = divideByWeight(smooth.sum(), targetWeights(input, valid, oneHot(input, target, dim, n), { weight, dim }).sum());
  }
  return nll.mul(1 - smoothing).add(ret.mul(smoothing / n));
}

/** Cross entropy against class probabilities; the mean divides by the number of samples. */
function crossEntropyProbs(input: Tensor, target: Tensor, reduction: Reduction, smoothing: number, options: CrossEntropyOptions): Tensor {
  if (target.dtype.kind !== "float") {
    throw new DTypeError(`Expected floating point type for target with class probabilities, got ${longWord(target.dtype)}`);
  }
  if ((options.ignoreIndex ?? -100) >= 0) throw new ValueError("ignore_index is not supported for floating point target");
  const { dim, n } = classesOf(input);
  const weight = options.weight ?? null;
  if (weight !== null && (weight.ndim !== 1 || weight.numel() !== n)) {
    throw new ShapeError(`cross_entropy: weight tensor should be defined either for all ${n} classes or no classes but got weight tensor of shape: ${showShape(weight.shape)}`);
  }
  const t = smoothing > 0 ? target.mul(1 - smoothing).add(smoothing / n) : target;
  let prod = input.logSoftmax(dim).mul(t);
  if (weight !== null) prod = prod.mul(input.ndim > 1 ? alongClasses(weight, input, dim) : weight);
  if (reduction === "none") return prod.sum(dim).neg();
  if (reduction === "sum") return prod.sum().neg();
  return named(prod.sum().neg().div(input.numel() / n), "crossEntropyProbs");
}

/**
 * Binary cross entropy of logits against targets of the same shape, in PyTorch's stable form
 * (1 - t)·x + log(1 + exp(-x)) written with max(-x, 0), optionally weighting positives.
 */
export function binaryCrossEntropyWithLogits(input: Tensor, target: Tensor, options: BCEWithLogitsOptions = {}): Tensor {
  const reduction = reductionOf(options);
  if (showShape(input.shape) !== showShape(target.shape)) {
    throw new ValueError(`Target size (torch.Size(${showShape(target.shape)})) must be the same as input size (torch.Size(${showShape(input.shape)}))`);
  }
  const maxVal = input.neg().clamp({ min: 0 });
  const logTerm = maxVal.neg().exp().add(input.neg().sub(maxVal).exp()).log();
  const linearPart = target.neg().add(1).mul(input);
  const posWeight = options.posWeight ?? null;
  let loss: Tensor;
  if (posWeight !== null) {
    const logWeight = posWeight.sub(1).mul(target).add(1);
    loss = linearPart.add(logWeight.mul(logTerm.add(maxVal)));
  } else {
    loss = linearPart.add(maxVal).add(logTerm);
  }
  if (options.weight) loss = loss.mul(options.weight);
  return reduce(loss, reduction, "bceWithLogits");
}

// ---- functional forms of the layer families, each in its own file ----
// ---- conv and pooling ----
export {
  conv1d, conv2d, convTranspose1d, convTranspose2d, maxPool1d, maxPool2d, avgPool1d, avgPool2d,
  adaptiveAvgPool1d, adaptiveAvgPool2d, adaptiveMaxPool1d, adaptiveMaxPool2d, pad, unfold, fold,
} from "./functional-conv.ts";
export type {
  ConvOptions, ConvTransposeOptions, UnfoldOptions, MaxPoolOptions, MaxPoolCallOptions, AvgPoolOptions, AdaptiveSize, PadMode, PadOptions,
} from "./functional-conv.ts";
// ---- normalization ----
export * from "./functional-norm.ts";
// ---- embedding ----
// ---- recurrent ----
// ---- attention ----
export { multiHeadAttentionForward } from "./functional-attention.ts";
export type { MultiHeadAttentionForwardOptions } from "./functional-attention.ts";
// ---- activations and losses ----
export {
  leakyRelu, elu, celu, selu, silu, mish, softplus, hardtanh, relu6, hardsigmoid, hardswish, threshold, prelu,
  softsign, tanhshrink, logsigmoid, softmin, dropout1d, dropout2d, dropout3d, alphaDropout, featureAlphaDropout,
  relu_, leakyRelu_, elu_, celu_, selu_, hardtanh_, threshold_,
} from "./functional-activation.ts";
export type { InplaceOptions, LeakyReluOptions, EluOptions, HardtanhOptions, FeatureDropoutOptions } from "./functional-activation.ts";
export type { SoftplusOptions } from "../ops/math.ts";
export {
  binaryCrossEntropy, klDiv, huberLoss, smoothL1Loss, softMarginLoss, cosineEmbeddingLoss, marginRankingLoss,
  cosineSimilarity, normalize, pairwiseDistance,
} from "./functional-loss.ts";
export { embeddingBag } from "./functional-embedding.ts";
export type { EmbeddingBagMode, EmbeddingBagOptions } from "./functional-embedding.ts";
export type {
  BCEOptions, KLDivOptions, HuberOptions, SmoothL1Options, MarginOptions, CosineSimilarityOptions, NormalizeOptions, PairwiseDistanceOptions,
} from "./functional-loss.ts";
