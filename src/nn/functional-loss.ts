/**
 * torch.nn.functional's remaining losses and distances. Losses PyTorch computes as one op
 * (binary_cross_entropy, huber_loss, smooth_l1_loss, soft_margin_loss) compute under noGrad and
 * record ONE node with PyTorch's derivative; the ones PyTorch composes (kl_div,
 * cosine_embedding_loss, margin_ranking_loss, cosine_similarity, ...) compose the same ops in the
 * same order, so their graphs end in PyTorch's nodes.
 */
import { AutogradError, ShapeError, ValueError } from "../errors.ts";
import { broadcastShapes, showShape } from "../core/shape.ts";
import type { Tensor } from "../tensor.ts";
import { noGrad } from "../autograd/grad-mode.ts";
import { named, record } from "../autograd/record.ts";
import { where } from "../ops/elementwise.ts";
import type { LossOptions, Reduction } from "./functional.ts";

const reductions: readonly string[] = ["mean", "sum", "none"];

function reductionOf(r: string | undefined): Reduction {
  const value = r ?? "mean";
  if (!reductions.includes(value)) throw new ValueError(`${String(value)} is not a valid value for reduction`);
  return value as Reduction;
}

function reduce(loss: Tensor, reduction: Reduction): Tensor {
  return reduction === "mean" ? loss.mean() : reduction === "sum" ? loss.sum() : loss;
}

/** One node's reduction: the reduced loss and the factor its derivative takes (1/n for the mean). */
function reduced(loss: Tensor, reduction: Reduction): { out: Tensor; scale: number } {
  return { out: reduce(loss, reduction), scale: reduction === "mean" ? 1 / loss.numel() : 1 };
}

/** Options of binaryCrossEntropy. */
export interface BCEOptions extends LossOptions {
  /** a rescaling weight of each element, broadcast to the target's shape */
  weight?: Tensor | null;
}

const SIZE = (t: Tensor): string => `torch.Size(${showShape(t.shape)})`;

/**
 * Binary cross entropy of probabilities, each log clamped at -100 as PyTorch's: the loss is
 * -w·(t·log(x) + (1 - t)·log(1 - x)), as torch.nn.functional.binary_cross_entropy
 * (BinaryCrossEntropyBackward0; the target gets a gradient too).
 */
export function binaryCrossEntropy(input: Tensor, target: Tensor, options: BCEOptions = {}): Tensor {
  const reduction = reductionOf(options.reduction);
  if (showShape(input.shape) !== showShape(target.shape)) {
    throw new ValueError(`Using a target size (${SIZE(target)}) that is different to the input size (${SIZE(input)}) is deprecated. Please ensure they have the same size.`);
  }
  let weight = options.weight ?? null;
  if (weight !== null) weight = weight.expand(broadcastShapes(target.shape, weight.shape));
  const ok = noGrad(() => input.ge(0).logicalAnd(input.le(1)).all().item());
  if (!ok) throw new ValueError("all elements of input should be between 0 and 1");
  let scale = 1;
  const out = noGrad(() => {
    const logX = input.log().clamp({ min: -100 }), log1mX = input.neg().add(1).log().clamp({ min: -100 });
    let loss = target.sub(1).mul(log1mX).sub(target.mul(logX));
    if (weight !== null) loss = loss.mul(weight);
    const r = reduced(loss, reduction);
    scale = r.scale;
    return r.out;
  });
  return record("binaryCrossEntropy", [input, target], out, { scale, lossWeight: weight ?? undefined });
}

/** Options of klDiv: "batchmean" divides the summed loss by the batch size; `logTarget` takes log-probabilities. */
export interface KLDivOptions { reduction?: Reduction | "batchmean"; logTarget?: boolean }

/**
 * Kullback-Leibler divergence of log-probabilities `input` from `target`:
 * t·(log t - x) (0 where t = 0), or with `logTarget` exp(t)·(t - x), as torch.nn.functional.kl_div.
 */
export function klDiv(input: Tensor, target: Tensor, options: KLDivOptions = {}): Tensor {
  const r = options.reduction ?? "mean";
  if (r !== "batchmean") reductionOf(r);
  const loss = options.logTarget
    ? target.exp().mul(target.sub(input))
    : target.mul(target.where(target.ne(0), 1).log()).sub(target.mul(input));
  if (r !== "batchmean") return reduce(loss, r);
  const sum = loss.sum();
  return input.ndim === 0 ? sum : sum.div(input.shape[0]!);
}

/** Options of huberLoss: where the loss turns from quadratic to linear (default 1). */
export interface HuberOptions extends LossOptions { delta?: number }

/** Quadratic below |x - t| = delta, linear above, as torch.nn.functional.huber_loss (HuberLossBackward0). */
export function huberLoss(input: Tensor, target: Tensor, options: HuberOptions = {}): Tensor {
  const reduction = reductionOf(options.reduction), delta = options.delta ?? 1;
  if (!(delta > 0)) throw new ValueError("huber_loss does not support non-positive values for delta.");
  let scale = 1;
  const out = noGrad(() => {
    const z = input.sub(target).abs();
    const r = reduced(z.mul(0.5).mul(z).where(z.lt(delta), z.sub(0.5 * delta).mul(delta)), reduction);
    scale = r.scale;
    return r.out;
  });
  return record("huberLoss", [input, target], out, { scale, lossParam: delta });
}

/** Options of smoothL1Loss: where the loss turns from quadratic to linear (default 1; 0 is the L1 loss). */
export interface SmoothL1Options extends LossOptions { beta?: number }

/** 0.5·z²/beta below |x - t| = beta, |x - t| - beta/2 above, as torch.nn.functional.smooth_l1_loss (SmoothL1LossBackward0). */
export function smoothL1Loss(input: Tensor, target: Tensor, options: SmoothL1Options = {}): Tensor {
  const reduction = reductionOf(options.reduction), beta = options.beta ?? 1;
  if (!(beta >= 0)) throw new ValueError("smooth_l1_loss does not support negative values for beta.");
  let scale = 1;
  const out = noGrad(() => {
    const z = input.sub(target).abs();
    const r = reduced(z.mul(0.5).mul(z).div(beta).where(z.lt(beta), z.sub(0.5 * beta)), reduction);
    scale = r.scale;
    return r.out;
  });
  return record("smoothL1Loss", [input, target], out, { scale, lossParam: beta });
}

/** log(1 + exp(-t·x)) for labels t = ±1, as torch.nn.functional.soft_margin_loss (SoftMarginLossBackward0). */
export function softMarginLoss(input: Tensor, target: Tensor, options: LossOptions = {}): Tensor {
  const reduction = reductionOf(options.reduction);
  if (target.requiresGrad) {
    throw new AutogradError("The function 'soft_margin_loss' is not differentiable with respect to argument 'target'. This input cannot have requires_grad True.");
  }
  let scale = 1;
  const out = noGrad(() => {
    const r = reduced(input.neg().mul(target).exp().log1p(), reduction);
    scale = r.scale;
    return r.out;
  });
  return record("softMarginLoss", [input, target], out, { scale });
}

/** Options of cosineEmbeddingLoss and marginRankingLoss: the margin (default 0). */
export interface MarginOptions extends LossOptions { margin?: number }

// PyTorch's cosine_embedding_loss adds this to the squared norms
const EPSILON = 1e-12;

/**
 * 1 - cos(x1, x2) where the label is 1, max(0, cos(x1, x2) - margin) where it is -1, over dim 1
 * of (N, D) inputs or of (D) inputs with a 0-dim label, as torch.nn.functional.cosine_embedding_loss.
 */
export function cosineEmbeddingLoss(input1: Tensor, input2: Tensor, target: Tensor, options: MarginOptions = {}): Tensor {
  const reduction = reductionOf(options.reduction), margin = options.margin ?? 0;
  const targetDim = target.ndim;
  if (targetDim !== 0 && targetDim !== 1) throw new ShapeError(`${targetDim}D target tensor expected, multi-target not supported`);
  const want = targetDim + 1;
  if (input1.ndim !== want || input2.ndim !== want) {
    throw new ShapeError(`${targetDim}D target tensor expects ${want}D input tensors, but found inputs with sizes ${showShape(input1.shape)} and ${showShape(input2.shape)}.`);
  }
  const dim = targetDim === 0 ? 0 : 1;
  const prodSum = input1.mul(input2).sum(dim);
  const mag1 = input1.mul(input1).sum(dim).add(EPSILON), mag2 = input2.mul(input2).sum(dim).add(EPSILON);
  const cos = prodSum.div(mag1.mul(mag2).sqrt());
  const zeros = cos.zerosLike();
  const pos = cos.neg().add(1), neg = cos.sub(margin).clamp({ min: 0 });
  const out = where(target.eq(1), pos, zeros).add(where(target.eq(-1), neg, zeros));
  return reduce(out, reduction);
}

/** max(0, -t·(x1 - x2) + margin) for labels t = ±1, as torch.nn.functional.margin_ranking_loss. */
export function marginRankingLoss(input1: Tensor, input2: Tensor, target: Tensor, options: MarginOptions = {}): Tensor {
  const reduction = reductionOf(options.reduction), margin = options.margin ?? 0;
  if (input1.ndim !== input2.ndim || input1.ndim !== target.ndim) {
    throw new ShapeError(`margin_ranking_loss : All input tensors should have same dimension but got sizes: input1: ${SIZE(input1)}, input2: ${SIZE(input2)}, target: ${SIZE(target)} `);
  }
  const loss = named(target.neg().mul(input1.sub(input2)).add(margin).clamp({ min: 0 }), "clampMin");
  return reduce(loss, reduction);
}

/** Options of cosineSimilarity: the dim to compare along (default 1) and the smallest norm (default 1e-8). */
export interface CosineSimilarityOptions { dim?: number; eps?: number }

/**
 * cos of the angle between x1 and x2 (broadcast) along `dim`, each norm at least eps, as
 * torch.nn.functional.cosine_similarity: PyTorch 1.13 normalizes each side, then sums the products.
 */
export function cosineSimilarity(x1: Tensor, x2: Tensor, options: CosineSimilarityOptions = {}): Tensor {
  const dim = options.dim ?? 1, eps = options.eps ?? 1e-8;
  const shape = broadcastShapes(x1.shape, x2.shape);
  const unit = (x: Tensor): Tensor => {
    const e = x.expand(shape), squared = e.pow(2).sum({ dim, keepdim: true });
    noGrad(() => squared.clamp_({ min: eps * eps }));
    return e.div(squared.sqrt());
  };
  return unit(x1).mul(unit(x2)).sum(dim);
}

/** Options of normalize: the norm's order (default 2), its dim (default 1) and the smallest norm (default 1e-12). */
export interface NormalizeOptions { p?: number; dim?: number; eps?: number }

/** x divided by its p-norm along `dim` (at least eps), as torch.nn.functional.normalize. */
export function normalize(x: Tensor, options: NormalizeOptions = {}): Tensor {
  const denom = x.norm(options.p ?? 2, { dim: options.dim ?? 1, keepdim: true }).clamp({ min: options.eps ?? 1e-12 });
  return x.div(denom.expandAs(x));
}

/** Options of pairwiseDistance: the norm's order (default 2), the added eps (default 1e-6) and keepdim. */
export interface PairwiseDistanceOptions { p?: number; eps?: number; keepdim?: boolean }

/** The p-norm of x1 - x2 + eps along the last dim, as torch.nn.functional.pairwise_distance. */
export function pairwiseDistance(x1: Tensor, x2: Tensor, options: PairwiseDistanceOptions = {}): Tensor {
  const last = Math.max(x1.ndim, x2.ndim) - 1;
  return x1.sub(x2).add(options.eps ?? 1e-6).norm(options.p ?? 2, { dim: last, keepdim: options.keepdim ?? false });
}
