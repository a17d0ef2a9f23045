/**
 * Loss modules over nn.functional. Class weights are buffers, as in PyTorch, so they follow the
 * module into its state dict under PyTorch's names (`weight`, `pos_weight`).
 */
import type { Tensor } from "../tensor.ts";
import { Module } from "./module.ts";
import * as F from "./functional.ts";

/** Options shared by every loss module. */
export type LossModuleOptions = F.LossOptions;

/** Mean squared error, as torch.nn.MSELoss. */
export class MSELoss extends Module {
  static override displayName = "MSELoss";
  readonly reduction: F.Reduction;
  constructor(options: LossModuleOptions = {}) {
    super();
    this.reduction = options.reduction ?? "mean";
  }
  forward(input: Tensor, target: Tensor): Tensor { return F.mseLoss(input, target, { reduction: this.reduction }); }
}

/** Mean absolute error, as torch.nn.L1Loss. */
export class L1Loss extends Module {
  static override displayName = "L1Loss";
  readonly reduction: F.Reduction;
  constructor(options: LossModuleOptions = {}) {
    super();
    this.reduction = options.reduction ?? "mean";
  }
  forward(input: Tensor, target: Tensor): Tensor { return F.l1Loss(input, target, { reduction: this.reduction }); }
}

/** Negative log likelihood of class indices, as torch.nn.NLLLoss. */
export class NLLLoss extends Module {
  static override displayName = "NLLLoss";
  readonly reduction: F.Reduction;
  readonly ignoreIndex: number;
  constructor(options: F.NllLossOptions = {}) {
    super();
    this.registerBuffer("weight", options.weight ?? null);
    this.reduction = options.reduction ?? "mean";
    this.ignoreIndex = options.ignoreIndex ?? -100;
  }
  /** The class weights, or null. */
  get weight(): Tensor | null { return this._state.buffers.get("weight") ?? null; }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.nllLoss(input, target, { weight: this.weight, ignoreIndex: this.ignoreIndex, reduction: this.reduction });
  }
}

/** Cross entropy of logits against class indices or class probabilities, as torch.nn.CrossEntropyLoss. */
export class CrossEntropyLoss extends Module {
  static override displayName = "CrossEntropyLoss";
  readonly reduction: F.Reduction;
  readonly ignoreIndex: number;
  readonly labelSmoothing: number;
  constructor(options: F.CrossEntropyOptions = {}) {
    super();
    this.registerBuffer("weight", options.weight ?? null);
    this.reduction = options.reduction ?? "mean";
    this.ignoreIndex = options.ignoreIndex ?? -100;
    this.labelSmoothing = options.labelSmoothing ?? 0;
  }
  /** The class weights, or null. */
  get weight(): Tensor | null { return this._state.buffers.get("weight") ?? null; }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.crossEntropy(input, target, {
      weight: this.weight, ignoreIndex: this.ignoreIndex, reduction: this.reduction, labelSmoothing: this.labelSmoothing,
    });
  }
}

/** Sigmoid and binary cross entropy in one stable step, as torch.nn.BCEWithLogitsLoss. */
export class BCEWithLogitsLoss extends Module {
  static override displayName = "BCEWithLogitsLoss";
  readonly reduction: F.Reduction;
  constructor(options: F.BCEWithLogitsOptions = {}) {
    super();
    this.registerBuffer("weight", options.weight ?? null);
    this.registerBuffer("pos_weight", options.posWeight ?? null);
    this.reduction = options.reduction ?? "mean";
  }
  /** The per-element weights, or null. */
  get weight(): Tensor | null { return this._state.buffers.get("weight") ?? null; }
  /** The weight of positive examples, or null (PyTorch's `pos_weight` buffer). */
  get posWeight(): Tensor | null { return this._state.buffers.get("pos_weight") ?? null; }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.binaryCrossEntropyWithLogits(input, target, { weight: this.weight, posWeight: this.posWeight, reduction: this.reduction });
  }
}

/** Binary cross entropy of probabilities (logs clamped at -100), as torch.nn.BCELoss. */
export class BCELoss extends Module {
  static override displayName = "BCELoss";
  readonly reduction: F.Reduction;
  constructor(options: F.BCEOptions = {}) {
    super();
    this.registerBuffer("weight", options.weight ?? null);
    this.reduction = options.reduction ?? "mean";
  }
  /** The per-element weights, or null. */
  get weight(): Tensor | null { return this._state.buffers.get("weight") ?? null; }
  forward(input: Tensor, target: Tensor): Tensor { return F.binaryCrossEntropy(input, target, { weight: this.weight, reduction: this.reduction }); }
}

/** Kullback-Leibler divergence of log-probabilities from a target, as torch.nn.KLDivLoss. */
export class KLDivLoss extends Module {
  static override displayName = "KLDivLoss";
  readonly reduction: F.Reduction | "batchmean";
  readonly logTarget: boolean;
  constructor(options: F.KLDivOptions = {}) {
    super();
    this.reduction = options.reduction ?? "mean";
    this.logTarget = options.logTarget ?? false;
  }
  forward(input: Tensor, target: Tensor): Tensor { return F.klDiv(input, target, { reduction: this.reduction, logTarget: this.logTarget }); }
}

/** Quadratic near zero, linear beyond delta, as torch.nn.HuberLoss. */
export class HuberLoss extends Module {
  static override displayName = "HuberLoss";
  readonly reduction: F.Reduction;
  readonly delta: number;
  constructor(options: F.HuberOptions = {}) {
    super();
    this.reduction = options.reduction ?? "mean";
    this.delta = options.delta ?? 1;
  }
  forward(input: Tensor, target: Tensor): Tensor { return F.huberLoss(input, target, { reduction: this.reduction, delta: this.delta }); }
}

/** Quadratic below beta, linear above, as torch.nn.SmoothL1Loss. */
export class SmoothL1Loss extends Module {
  static override displayName = "SmoothL1Loss";
  readonly reduction: F.Reduction;
  readonly beta: number;
  constructor(options: F.SmoothL1Options = {}) {
    super();
    this.reduction = options.reduction ?? "mean";
    this.beta = options.beta ?? 1;
  }
  forward(input: Tensor, target: Tensor): Tensor { return F.smoothL1Loss(input, target, { reduction: this.reduction, beta: this.beta }); }
}

/** log(1 + exp(-t·x)) for labels ±1, as torch.nn.SoftMarginLoss. */
export class SoftMarginLoss extends Module {
  static override displayName = "SoftMarginLoss";
  readonly reduction: F.Reduction;
  constructor(options: LossModuleOptions = {}) {
    super();
    this.reduction = options.reduction ?? "mean";
  }
  forward(input: Tensor, target: Tensor): Tensor { return F.softMarginLoss(input, target, { reduction: this.reduction }); }
}

/** 1 - cos for similar pairs (label 1), max(0, cos - margin) for dissimilar ones (-1), as torch.nn.CosineEmbeddingLoss. */
export class CosineEmbeddingLoss extends Module {
  static override displayName = "CosineEmbeddingLoss";
  readonly reduction: F.Reduction;
  readonly margin: number;
  constructor(options: F.MarginOptions = {}) {
    super();
    this.reduction = options.reduction ?? "mean";
    this.margin = options.margin ?? 0;
  }
  forward(input1: Tensor, input2: Tensor, target: Tensor): Tensor {
    return F.cosineEmbeddingLoss(input1, input2, target, { reduction: this.reduction, margin: this.margin });
  }
}

/** max(0, -t·(x1 - x2) + margin), as torch.nn.MarginRankingLoss. */
export class MarginRankingLoss extends Module {
  static override displayName = "MarginRankingLoss";
  readonly reduction: F.Reduction;
  readonly margin: number;
  constructor(options: F.MarginOptions = {}) {
    super();
    this.reduction = options.reduction ?? "mean";
    this.margin = options.margin ?? 0;
  }
  forward(input1: Tensor, input2: Tensor, target: Tensor): Tensor {
    return F.marginRankingLoss(input1, input2, target, { reduction: this.reduction, margin: this.margin });
  }
}

/** Cosine similarity along a dim, as torch.nn.CosineSimilarity. */
export class CosineSimilarity extends Module {
  static override displayName = "CosineSimilarity";
  readonly dim: number;
  readonly eps: number;
  constructor(options: F.CosineSimilarityOptions = {}) {
    super();
    this.dim = options.dim ?? 1;
    this.eps = options.eps ?? 1e-8;
  }
  forward(x1: Tensor, x2: Tensor): Tensor { return F.cosineSimilarity(x1, x2, { dim: this.dim, eps: this.eps }); }
}

/** The p-norm distance of pairs along the last dim, as torch.nn.PairwiseDistance. */
export class PairwiseDistance extends Module {
  static override displayName = "PairwiseDistance";
  readonly norm: number;
  readonly eps: number;
  readonly keepdim: boolean;
  constructor(options: F.PairwiseDistanceOptions = {}) {
    super();
    this.norm = options.p ?? 2;
    this.eps = options.eps ?? 1e-6;
    this.keepdim = options.keepdim ?? false;
  }
  forward(x1: Tensor, x2: Tensor): Tensor { return F.pairwiseDistance(x1, x2, { p: this.norm, eps: this.eps, keepdim: this.keepdim }); }
}
