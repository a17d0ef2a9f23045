/**
 * Normalization layers: BatchNorm1d/2d/3d (running statistics as buffers, momentum or a
 * cumulative average), LayerNorm and GroupNorm, with PyTorch's parameters, buffers and printing.
 */
import { ValueError } from "../errors.ts";
import { float32, int64, type DType } from "../core/dtype.ts";
import type { Tensor } from "../tensor.ts";
import { showShape } from "../core/shape.ts";
import { ones, zeros } from "../ops/creation.ts";
import { scalarTensor } from "../ops/elementwise.ts";
import { batchNorm, groupNorm, layerNorm } from "../ops/norm.ts";
import { noGrad } from "../autograd/grad-mode.ts";
import { Module } from "./module.ts";
import { Parameter } from "./parameter.ts";
import * as init from "./init.ts";
import { pyBool, pyFloat } from "../core/py-repr.ts";

/** Options of the BatchNorm layers. */
export interface BatchNormOptions {
  eps?: number;
  /** the running statistics' update factor; null for a cumulative moving average */
  momentum?: number | null;
  affine?: boolean;
  trackRunningStats?: boolean;
  dtype?: DType;
}


/** Shared by BatchNorm1d/2d/3d, as PyTorch's _BatchNorm; subclasses check the input's dims. */
abstract class BatchNorm extends Module {
  declare weight: Parameter | null;
  declare bias: Parameter | null;
  declare running_mean: Tensor | null;
  declare running_var: Tensor | null;
  declare num_batches_tracked: Tensor | null;
  readonly eps: number;
  readonly momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;

  constructor(public numFeatures: number, options: BatchNormOptions = {}) {
    super();
    this.eps = options.eps ?? 1e-5;
    this.momentum = options.momentum === undefined ? 0.1 : options.momentum;
    this.affine = options.affine ?? true;
    this.trackRunningStats = options.trackRunningStats ?? true;
    const dtype = options.dtype ?? float32;
    if (this.affine) {
      this.weight = new Parameter(ones([numFeatures], { dtype }));
      this.bias = new Parameter(zeros([numFeatures], { dtype }));
    } else {
      this.registerParameter("weight", null);
      this.registerParameter("bias", null);
    }
    if (this.trackRunningStats) {
      this.registerBuffer("running_mean", zeros([numFeatures], { dtype }));
      this.registerBuffer("running_var", ones([numFeatures], { dtype }));
      this.registerBuffer("num_batches_tracked", zeros([], { dtype: int64 }));
    } else {
      this.registerBuffer("running_mean", null);
      this.registerBuffer("running_var", null);
      this.registerBuffer("num_batches_tracked", null);
    }
  }

  /** Zeroes the running mean, sets the running variance to one and the batch count to zero. */
  resetRunningStats(): void {
    if (!this.trackRunningStats) return;
    noGrad(() => {
      this.running_mean!.zero_();
      this.running_var!.fill_(1);
      this.num_batches_tracked!.zero_();
    });
  }

  /** resetRunningStats, then weight 1 and bias 0. */
  resetParameters(): void {
    this.resetRunningStats();
    if (this.affine) {
      init.ones_(this.weight!);
      init.zeros_(this.bias!);
    }
  }

  /** Throws PyTorch's error for an input of the wrong number of dims. */
  protected abstract checkInputDim(input: Tensor): void;

  forward(input: Tensor): Tensor {
    this.checkInputDim(input);
    // checked before the batch is counted, so a refused batch changes nothing (PyTorch counts it first)
    if (this.training && input.numel() / input.shape[1]! <= 1) {
      throw new ValueError(`Expected more than 1 value per channel when training, got input size torch.Size(${showShape(input.shape)})`);
    }
    let factor = this.momentum ?? 0;
    if (this.training && this.trackRunningStats && this.num_batches_tracked !== null) {
      noGrad(() => this.num_batches_tracked!.add_(1));
      factor = this.momentum === null ? 1 / Number(this.num_batches_tracked.item()) : this.momentum;
    }
    const useBatchStats = this.training || (this.running_mean === null && this.running_var === null);
    const track = !this.training || this.trackRunningStats;
    return batchNorm(input, track ? this.running_mean : null, track ? this.running_var : null, {
      weight: this.weight, bias: this.bias, training: useBatchStats, momentum: factor, eps: this.eps,
    });
  }

  // files from PyTorch before 0.4.1 have no num_batches_tracked: it starts at 0 (PyTorch's version-2 upgrade)
  override upgradeStateDict(stateDict: Map<string, Tensor>, prefix: string): void {
    const key = `${prefix}num_batches_tracked`;
    if (this.trackRunningStats && !stateDict.has(key) && stateDict.has(`${prefix}running_mean`)) {
      stateDict.set(key, scalarTensor(0, int64));
    }
  }

  override extraRepr(): string {
    const momentum = this.momentum === null ? "None" : pyFloat(this.momentum);
    return `${this.numFeatures}, eps=${pyFloat(this.eps)}, momentum=${momentum}, affine=${pyBool(this.affine)}, track_running_stats=${pyBool(this.trackRunningStats)}`;
  }
}

/** Batch normalization of [N, C] or [N, C, L] inputs, as torch.nn.BatchNorm1d. */
export class BatchNorm1d extends BatchNorm {
  static override displayName = "BatchNorm1d";
  protected checkInputDim(input: Tensor): void {
    if (input.ndim !== 2 && input.ndim !== 3) throw new ValueError(`expected 2D or 3D input (got ${input.ndim}D input)`);
  }
}

/** Batch normalization of [N, C, H, W] inputs, as torch.nn.BatchNorm2d. */
export class BatchNorm2d extends BatchNorm {
  static override displayName = "BatchNorm2d";
  protected checkInputDim(input: Tensor): void {
    if (input.ndim !== 4) throw new ValueError(`expected 4D input (got ${input.ndim}D input)`);
  }
}

/** Batch normalization of [N, C, D, H, W] inputs, as torch.nn.BatchNorm3d. */
export class BatchNorm3d extends BatchNorm {
  static override displayName = "BatchNorm3d";
  protected checkInputDim(input: Tensor): void {
    if (input.ndim !== 5) throw new ValueError(`expected 5D input (got ${input.ndim}D input)`);
  }
}

/** Options of LayerNorm. */
export interface LayerNormOptions { eps?: number; elementwiseAffine?: boolean; dtype?: DType }

/** Normalization over the last dims, as torch.nn.LayerNorm(normalizedShape). */
export class LayerNorm extends Module {
  static override displayName = "LayerNorm";
  declare weight: Parameter | null;
  declare bias: Parameter | null;
  readonly normalizedShape: readonly number[];
  readonly eps: number;
  readonly elementwiseAffine: boolean;

  constructor(normalizedShape: number | readonly number[], options: LayerNormOptions = {}) {
    super();
    this.normalizedShape = typeof normalizedShape === "number" ? [normalizedShape] : [...normalizedShape];
    this.eps = options.eps ?? 1e-5;
    this.elementwiseAffine = options.elementwiseAffine ?? true;
    const dtype = options.dtype ?? float32;
    if (this.elementwiseAffine) {
      this.weight = new Parameter(ones(this.normalizedShape, { dtype }));
      this.bias = new Parameter(zeros(this.normalizedShape, { dtype }));
    } else {
      this.registerParameter("weight", null);
      this.registerParameter("bias", null);
    }
  }

  forward(input: Tensor): Tensor {
    return layerNorm(input, this.normalizedShape, { weight: this.weight, bias: this.bias, eps: this.eps });
  }

  override extraRepr(): string {
    const shape = this.normalizedShape.length === 1 ? `(${this.normalizedShape[0]},)` : `(${this.normalizedShape.join(", ")})`;
    return `${shape}, eps=${pyFloat(this.eps)}, elementwise_affine=${pyBool(this.elementwiseAffine)}`;
  }
}

/** Options of GroupNorm. */
export interface GroupNormOptions { eps?: number; affine?: boolean; dtype?: DType }

/** Normalization over groups of channels, as torch.nn.GroupNorm(numGroups, numChannels). */
export class GroupNorm extends Module {
  static override displayName = "GroupNorm";
  declare weight: Parameter | null;
  declare bias: Parameter | null;
  readonly eps: number;
  readonly affine: boolean;

  constructor(public numGroups: number, public numChannels: number, options: GroupNormOptions = {}) {
    super();
    if (numChannels % numGroups !== 0) throw new ValueError("num_channels must be divisible by num_groups");
    this.eps = options.eps ?? 1e-5;
    this.affine = options.affine ?? true;
    const dtype = options.dtype ?? float32;
    if (this.affine) {
      this.weight = new Parameter(ones([numChannels], { dtype }));
      this.bias = new Parameter(zeros([numChannels], { dtype }));
    } else {
      this.registerParameter("weight", null);
      this.registerParameter("bias", null);
    }
  }

  forward(input: Tensor): Tensor {
    return groupNorm(input, this.numGroups, { weight: this.weight, bias: this.bias, eps: this.eps });
  }

  override extraRepr(): string {
    return `${this.numGroups}, ${this.numChannels}, eps=${pyFloat(this.eps)}, affine=${pyBool(this.affine)}`;
  }
}
