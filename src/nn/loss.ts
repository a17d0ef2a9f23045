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
