/** Activation and shape modules: thin Module wrappers over nn.functional, printed as PyTorch prints them. */
import { ValueError } from "../errors.ts";
import type { Tensor } from "../tensor.ts";
import { Module } from "./module.ts";
import * as F from "./functional.ts";

/** max(x, 0) elementwise, as torch.nn.ReLU. */
export class ReLU extends Module {
  static override displayName = "ReLU";
  forward(input: Tensor): Tensor { return F.relu(input); }
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

/** PyTorch's legacy choice of softmax dim when none is given: 0 for 0-, 1- and 3-dim inputs, else 1. */
function implicitDim(ndim: number): number {
  return ndim === 0 || ndim === 1 || ndim === 3 ? 0 : 1;
}

/** Softmax along `dim`, as torch.nn.Softmax(dim). */
export class Softmax extends Module {
  static override displayName = "Softmax";
  readonly dim: number | null;
  constructor(dim: number | null | { dim?: number | null } = null) {
    super();
    this.dim = typeof dim === "object" && dim !== null ? (dim.dim ?? null) : dim;
  }
  forward(input: Tensor): Tensor { return F.softmax(input, this.dim ?? implicitDim(input.ndim)); }
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
  forward(input: Tensor): Tensor { return F.logSoftmax(input, this.dim ?? implicitDim(input.ndim)); }
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

/**
 * Zeroes elements with probability p while training and scales the rest by 1/(1-p); the
 * identity in eval mode. Draws PyTorch's mask for the same seed.
 */
export class Dropout extends Module {
  static override displayName = "Dropout";
  readonly p: number;
  constructor(p: number | { p?: number } = 0.5) {
    super();
    const value = typeof p === "number" ? p : (p.p ?? 0.5);
    if (!(value >= 0 && value <= 1)) throw new ValueError(`dropout probability has to be between 0 and 1, but got ${value}`);
    this.p = value;
  }
  forward(input: Tensor): Tensor { return F.dropout(input, { p: this.p, training: this.training }); }
  override extraRepr(): string { return `p=${this.p}, inplace=False`; }
}
