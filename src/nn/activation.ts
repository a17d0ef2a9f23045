/** Activation and shape modules: thin Module wrappers over nn.functional, printed as PyTorch prints them. */
import { ValueError } from "../errors.ts";
import { pyFloat } from "../core/py-repr.ts";
import { float32, type DType } from "../core/dtype.ts";
import { full } from "../ops/inplace.ts";
import { Parameter } from "./parameter.ts";
import type { Tensor } from "../tensor.ts";
import { Module } from "./module.ts";
import * as F from "./functional.ts";
import { implicitSoftmaxDim } from "./functional-activation.ts";

/** `inplace` as PyTorch's positional flag or in the options object. */
type InplaceArg = boolean | F.InplaceOptions;
const inplaceOf = (v: InplaceArg | undefined): boolean => (typeof v === "boolean" ? v : (v?.inplace ?? false));
/** PyTorch's `, inplace=True` suffix (nothing when false). */
const inplaceSuffix = (inplace: boolean, first = false): string => (inplace ? `${first ? "" : ", "}inplace=True` : "");

/** max(x, 0) elementwise, as torch.nn.ReLU. */
export class ReLU extends Module {
  static override displayName = "ReLU";
  readonly inplace: boolean;
  constructor(options?: InplaceArg) { super(); this.inplace = inplaceOf(options); }
  forward(input: Tensor): Tensor { return F.relu(input, { inplace: this.inplace }); }
  override extraRepr(): string { return inplaceSuffix(this.inplace, true); }
}

/** The logistic sigmoid elementwise, as torch.nn.Sigmoid. */
export class Sigmoid extends Module {
  static override displayName = "Sigmoid";
  forward(input: Tensor): Tensor { return F.sigmoid(input); }
}

/** tanh elementwise, as torch.nn.Tanh. */
export class Tanh extends Module {
  static override displayName = "Tanh";
  forward(input: Tensor): Tensor { return F.tanh(input); }
}

/** GELU, exact (erf) or with the tanh approximation, as torch.nn.GELU. */
export class GELU extends Module {
  static override displayName = "GELU";
  readonly approximate: F.GeluApproximate;
  constructor(options: { approximate?: F.GeluApproximate } = {}) {
    super();
    this.approximate = options.approximate ?? "none";
  }
  forward(input: Tensor): Tensor { return F.gelu(input, { approximate: this.approximate }); }
  override extraRepr(): string { return `approximate='${this.approximate}'`; }
}


/** Softmax along `dim`, as torch.nn.Softmax(dim). */
export class Softmax extends Module {
  static override displayName = "Softmax";
  readonly dim: number | null;
  constructor(dim: number | null | { dim?: number | null } = null) {
    super();
    this.dim = typeof dim === "object" && dim !== null ? (dim.dim ?? null) : dim;
  }
  forward(input: Tensor): Tensor { return F.softmax(input, this.dim ?? implicitSoftmaxDim(input.ndim)); }
  override extraRepr(): string { return `dim=${this.dim ?? "None"}`; }
}

/** log(softmax(x)) along `dim`, as torch.nn.LogSoftmax(dim). */
export class LogSoftmax extends Module {
  static override displayName = "LogSoftmax";
  readonly dim: number | null;
  constructor(dim: number | null | { dim?: number | null } = null) {
    super();
    this.dim = typeof dim === "object" && dim !== null ? (dim.dim ?? null) : dim;
  }
  forward(input: Tensor): Tensor { return F.logSoftmax(input, this.dim ?? implicitSoftmaxDim(input.ndim)); }
  override extraRepr(): string { return `dim=${this.dim ?? "None"}`; }
}

/** Returns its input unchanged; constructor arguments are accepted and ignored, as in PyTorch. */
export class Identity extends Module {
  static override displayName = "Identity";
  constructor(..._args: unknown[]) { super(); }
  forward(input: Tensor): Tensor { return input; }
}

/** Merges dims startDim..endDim (by default all but the batch dim), as torch.nn.Flatten. */
export class Flatten extends Module {
  static override displayName = "Flatten";
  constructor(readonly startDim = 1, readonly endDim = -1) { super(); }
  forward(input: Tensor): Tensor { return input.flatten(this.startDim, this.endDim); }
  override extraRepr(): string { return `start_dim=${this.startDim}, end_dim=${this.endDim}`; }
}

/** Dropout's `p` positionally or in the options object, checked as PyTorch's _DropoutNd does. */
function dropoutArgs(p: number | DropoutModuleOptions | undefined, options: F.InplaceOptions): { p: number; inplace: boolean } {
  const o = typeof p === "number" ? { ...options, p } : (p ?? {});
  const value = o.p ?? 0.5;
  if (!(value >= 0 && value <= 1)) throw new ValueError(`dropout probability has to be between 0 and 1, but got ${value}`);
  return { p: value, inplace: o.inplace ?? false };
}

/** Options of the dropout modules: the drop probability and the in-place flag. */
export interface DropoutModuleOptions { p?: number; inplace?: boolean }

/** The dropout modules' shared state and printing (PyTorch's _DropoutNd). */
abstract class DropoutNd extends Module {
  readonly p: number;
  readonly inplace: boolean;
  constructor(p?: number | DropoutModuleOptions, options: F.InplaceOptions = {}) {
    super();
    ({ p: this.p, inplace: this.inplace } = dropoutArgs(p, options));
  }
  protected get options(): F.FeatureDropoutOptions { return { p: this.p, training: this.training, inplace: this.inplace }; }
  override extraRepr(): string { return `p=${this.p}, inplace=${this.inplace ? "True" : "False"}`; }
}

/**
 * Zeroes elements with probability p while training and scales the rest by 1/(1-p); the
 * identity in eval mode. Draws PyTorch's mask for the same seed, as torch.nn.Dropout.
 */
export class Dropout extends DropoutNd {
  static override displayName = "Dropout";
  forward(input: Tensor): Tensor { return F.dropout(input, this.options); }
}

/** Zeroes whole channels of (N, C, L) or (C, L) while training, as torch.nn.Dropout1d. */
export class Dropout1d extends DropoutNd {
  static override displayName = "Dropout1d";
  forward(input: Tensor): Tensor { return F.dropout1d(input, this.options); }
}

/** Zeroes whole channels of (N, C, H, W) while training, as torch.nn.Dropout2d. */
export class Dropout2d extends DropoutNd {
  static override displayName = "Dropout2d";
  forward(input: Tensor): Tensor { return F.dropout2d(input, this.options); }
}

/** Zeroes whole channels of (N, C, D, H, W) or (C, D, H, W) while training, as torch.nn.Dropout3d. */
export class Dropout3d extends DropoutNd {
  static override displayName = "Dropout3d";
  forward(input: Tensor): Tensor { return F.dropout3d(input, this.options); }
}

/** Dropout that keeps SELU's mean and variance, as torch.nn.AlphaDropout. */
export class AlphaDropout extends DropoutNd {
  static override displayName = "AlphaDropout";
  forward(input: Tensor): Tensor { return F.alphaDropout(input, this.options); }
}

/** Alpha dropout of whole channels, as torch.nn.FeatureAlphaDropout. */
export class FeatureAlphaDropout extends DropoutNd {
  static override displayName = "FeatureAlphaDropout";
  forward(input: Tensor): Tensor { return F.featureAlphaDropout(input, this.options); }
}

/** Options of LeakyReLU. */
export interface LeakyReLUOptions { negativeSlope?: number; inplace?: boolean }

/** x where x > 0, else negativeSlope·x, as torch.nn.LeakyReLU. */
export class LeakyReLU extends Module {
  static override displayName = "LeakyReLU";
  readonly negativeSlope: number;
  readonly inplace: boolean;
  constructor(negativeSlope?: number | LeakyReLUOptions, options: F.InplaceOptions = {}) {
    super();
    const o = typeof negativeSlope === "number" ? { ...options, negativeSlope } : (negativeSlope ?? {});
    this.negativeSlope = o.negativeSlope ?? 0.01;
    this.inplace = o.inplace ?? false;
  }
  forward(input: Tensor): Tensor { return F.leakyRelu(input, { negativeSlope: this.negativeSlope, inplace: this.inplace }); }
  override extraRepr(): string { return `negative_slope=${pyFloat(this.negativeSlope)}${inplaceSuffix(this.inplace)}`; }
}

/** Options of ELU and CELU. */
export interface ELUOptions { alpha?: number; inplace?: boolean }

function alphaArgs(alpha: number | ELUOptions | undefined, options: F.InplaceOptions): { alpha: number; inplace: boolean } {
  const o = typeof alpha === "number" ? { ...options, alpha } : (alpha ?? {});
  return { alpha: o.alpha ?? 1, inplace: o.inplace ?? false };
}

/** x where x > 0, else α·(exp(x) - 1), as torch.nn.ELU. */
export class ELU extends Module {
  static override displayName = "ELU";
  readonly alpha: number;
  readonly inplace: boolean;
  constructor(alpha?: number | ELUOptions, options: F.InplaceOptions = {}) {
    super();
    ({ alpha: this.alpha, inplace: this.inplace } = alphaArgs(alpha, options));
  }
  forward(input: Tensor): Tensor { return F.elu(input, { alpha: this.alpha, inplace: this.inplace }); }
  override extraRepr(): string { return `alpha=${pyFloat(this.alpha)}${inplaceSuffix(this.inplace)}`; }
}

/** max(0, x) + min(0, α·(exp(x/α) - 1)), as torch.nn.CELU. */
export class CELU extends Module {
  static override displayName = "CELU";
  readonly alpha: number;
  readonly inplace: boolean;
  constructor(alpha?: number | ELUOptions, options: F.InplaceOptions = {}) {
    super();
    ({ alpha: this.alpha, inplace: this.inplace } = alphaArgs(alpha, options));
  }
  forward(input: Tensor): Tensor { return F.celu(input, { alpha: this.alpha, inplace: this.inplace }); }
  override extraRepr(): string { return `alpha=${pyFloat(this.alpha)}${inplaceSuffix(this.inplace)}`; }
}

/** An activation whose only option is `inplace`, printed `inplace=True` when set. */
abstract class InplaceActivation extends Module {
  readonly inplace: boolean;
  constructor(options?: InplaceArg) { super(); this.inplace = inplaceOf(options); }
  override extraRepr(): string { return inplaceSuffix(this.inplace, true); }
}

/** SELU (scaled ELU with fixed α and scale), as torch.nn.SELU. */
export class SELU extends InplaceActivation {
  static override displayName = "SELU";
  forward(input: Tensor): Tensor { return F.selu(input, { inplace: this.inplace }); }
}

/** x·sigmoid(x), as torch.nn.SiLU. */
export class SiLU extends InplaceActivation {
  static override displayName = "SiLU";
  forward(input: Tensor): Tensor { return F.silu(input, { inplace: this.inplace }); }
}

/** x·tanh(softplus(x)), as torch.nn.Mish. */
export class Mish extends InplaceActivation {
  static override displayName = "Mish";
  forward(input: Tensor): Tensor { return F.mish(input, { inplace: this.inplace }); }
}

/** min(max(x, 0), 6), as torch.nn.ReLU6. */
export class ReLU6 extends InplaceActivation {
  static override displayName = "ReLU6";
  forward(input: Tensor): Tensor { return F.relu6(input, { inplace: this.inplace }); }
}

/** relu6(x + 3) / 6, as torch.nn.Hardsigmoid (printed without its inplace flag, as PyTorch does). */
export class Hardsigmoid extends InplaceActivation {
  static override displayName = "Hardsigmoid";
  forward(input: Tensor): Tensor { return F.hardsigmoid(input, { inplace: this.inplace }); }
  override extraRepr(): string { return ""; }
}

/** x·relu6(x + 3) / 6, as torch.nn.Hardswish (printed without its inplace flag, as PyTorch does). */
export class Hardswish extends InplaceActivation {
  static override displayName = "Hardswish";
  forward(input: Tensor): Tensor { return F.hardswish(input, { inplace: this.inplace }); }
  override extraRepr(): string { return ""; }
}

/** 1/β·log(1 + exp(β·x)), linear above the threshold, as torch.nn.Softplus. */
export class Softplus extends Module {
  static override displayName = "Softplus";
  readonly beta: number;
  readonly threshold: number;
  constructor(beta?: number | F.SoftplusOptions, threshold?: number) {
    super();
    const o = typeof beta === "number" ? { beta, threshold } : (beta ?? {});
    this.beta = o.beta ?? 1;
    this.threshold = o.threshold ?? 20;
  }
  forward(input: Tensor): Tensor { return F.softplus(input, { beta: this.beta, threshold: this.threshold }); }
  override extraRepr(): string { return `beta=${this.beta}, threshold=${this.threshold}`; }
}

/** Options of Hardtanh. */
export interface HardtanhOptions { minVal?: number; maxVal?: number; inplace?: boolean }

/** x clamped to [minVal, maxVal], as torch.nn.Hardtanh. */
export class Hardtanh extends Module {
  static override displayName = "Hardtanh";
  readonly minVal: number;
  readonly maxVal: number;
  readonly inplace: boolean;
  constructor(minVal?: number | HardtanhOptions, maxVal?: number, options: F.InplaceOptions = {}) {
    super();
    const o = typeof minVal === "number" ? { ...options, minVal, maxVal } : (minVal ?? {});
    this.minVal = o.minVal ?? -1;
    this.maxVal = o.maxVal ?? 1;
    this.inplace = o.inplace ?? false;
    if (!(this.maxVal > this.minVal)) throw new ValueError(`Hardtanh: maxVal (${this.maxVal}) must be greater than minVal (${this.minVal})`);
  }
  forward(input: Tensor): Tensor { return F.hardtanh(input, { minVal: this.minVal, maxVal: this.maxVal, inplace: this.inplace }); }
  override extraRepr(): string { return `min_val=${pyFloat(this.minVal)}, max_val=${pyFloat(this.maxVal)}${inplaceSuffix(this.inplace)}`; }
}

/** x where x > threshold, else value, as torch.nn.Threshold. */
export class Threshold extends Module {
  static override displayName = "Threshold";
  readonly inplace: boolean;
  constructor(readonly threshold: number, readonly value: number, options: InplaceArg = {}) {
    super();
    this.inplace = inplaceOf(options);
  }
  forward(input: Tensor): Tensor { return F.threshold(input, this.threshold, this.value, { inplace: this.inplace }); }
  override extraRepr(): string { return `threshold=${this.threshold}, value=${this.value}${inplaceSuffix(this.inplace)}`; }
}

/** Options of PReLU: the number of weights (1, or the channel count), their initial value, and dtype. */
export interface PReLUOptions { numParameters?: number; init?: number; dtype?: DType }

/** x where x > 0, else a·x with a learned weight `a` (one, or one per channel), as torch.nn.PReLU. */
export class PReLU extends Module {
  static override displayName = "PReLU";
  readonly numParameters: number;
  declare weight: Parameter;
  constructor(numParameters?: number | PReLUOptions, options: Omit<PReLUOptions, "numParameters"> = {}) {
    super();
    const o = typeof numParameters === "number" ? { ...options, numParameters } : (numParameters ?? {});
    this.numParameters = o.numParameters ?? 1;
    if (!(Number.isInteger(this.numParameters) && this.numParameters >= 1)) throw new ValueError(`PReLU: numParameters must be a positive integer, got ${this.numParameters}`);
    this.weight = new Parameter(full([this.numParameters], o.init ?? 0.25, o.dtype ?? float32));
  }
  forward(input: Tensor): Tensor { return F.prelu(input, this.weight); }
  override extraRepr(): string { return `num_parameters=${this.numParameters}`; }
}

/** softmax(-x) along `dim`, as torch.nn.Softmin(dim). */
export class Softmin extends Module {
  static override displayName = "Softmin";
  readonly dim: number | null;
  constructor(dim: number | null | { dim?: number | null } = null) {
    super();
    this.dim = typeof dim === "object" && dim !== null ? (dim.dim ?? null) : dim;
  }
  forward(input: Tensor): Tensor { return F.softmin(input, this.dim); }
  override extraRepr(): string { return `dim=${this.dim ?? "None"}`; }
}

/** log(sigmoid(x)), as torch.nn.LogSigmoid. */
export class LogSigmoid extends Module {
  static override displayName = "LogSigmoid";
  forward(input: Tensor): Tensor { return F.logsigmoid(input); }
}

/** x / (1 + |x|), as torch.nn.Softsign. */
export class Softsign extends Module {
  static override displayName = "Softsign";
  forward(input: Tensor): Tensor { return F.softsign(input); }
}

/** x - tanh(x), as torch.nn.Tanhshrink. */
export class Tanhshrink extends Module {
  static override displayName = "Tanhshrink";
  forward(input: Tensor): Tensor { return F.tanhshrink(input); }
}
