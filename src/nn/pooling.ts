/**
 * Pooling layers: MaxPool1d/2d, AvgPool1d/2d, AdaptiveAvgPool1d/2d, AdaptiveMaxPool2d, thin
 * wrappers over the functional forms that print their arguments as PyTorch does.
 */
import type { Tensor } from "../tensor.ts";
import * as pool from "../ops/pool.ts";
import { Module } from "./module.ts";
import { pyTuple } from "./conv.ts";

type IntOrPair = pool.IntOrPair;

/** A constructor argument as Python prints it: 3, (2, 3), None, True. */
function py(v: number | boolean | null | readonly (number | null)[]): string {
  if (v === null) return "None";
  if (typeof v === "boolean") return v ? "True" : "False";
  if (typeof v === "number") return String(v);
  return v.length === 1 ? `(${py(v[0]!)},)` : `(${v.map(py).join(", ")})`;
}

/** Options of MaxPool1d/MaxPool2d. */
export interface MaxPoolLayerOptions { stride?: IntOrPair | null; padding?: IntOrPair; dilation?: IntOrPair; returnIndices?: boolean; ceilMode?: boolean }

/** The arguments every max pooling layer keeps (PyTorch's _MaxPoolNd). */
abstract class MaxPoolNd extends Module {
  readonly kernelSize: IntOrPair;
  readonly stride: IntOrPair;
  readonly padding: IntOrPair;
  readonly dilation: IntOrPair;
  readonly returnIndices: boolean;
  readonly ceilMode: boolean;
  constructor(kernelSize: IntOrPair, options: MaxPoolLayerOptions) {
    super();
    this.kernelSize = kernelSize;
    this.stride = options.stride ?? kernelSize;
    this.padding = options.padding ?? 0;
    this.dilation = options.dilation ?? 1;
    this.returnIndices = options.returnIndices ?? false;
    this.ceilMode = options.ceilMode ?? false;
  }
  protected get poolOptions(): pool.MaxPoolOptions {
    return { stride: this.stride, padding: this.padding, dilation: this.dilation, ceilMode: this.ceilMode };
  }
  override extraRepr(): string {
    return `kernel_size=${py(this.kernelSize)}, stride=${py(this.stride)}, padding=${py(this.padding)}, dilation=${py(this.dilation)}, ceil_mode=${py(this.ceilMode)}`;
  }
}

/** 1-D max pooling, as torch.nn.MaxPool1d; with `returnIndices`, forward gives `[output, indices]`. */
export class MaxPool1d extends MaxPoolNd {
  static override displayName = "MaxPool1d";
  constructor(kernelSize: IntOrPair, options: MaxPoolLayerOptions = {}) { super(kernelSize, options); }
  forward(input: Tensor): Tensor | [Tensor, Tensor] { return pool.maxPool1d(input, this.kernelSize, this.poolOptions, this.returnIndices); }
}

/** 2-D max pooling, as torch.nn.MaxPool2d; with `returnIndices`, forward gives `[output, indices]`. */
export class MaxPool2d extends MaxPoolNd {
  static override displayName = "MaxPool2d";
  constructor(kernelSize: IntOrPair, options: MaxPoolLayerOptions = {}) { super(kernelSize, options); }
  forward(input: Tensor): Tensor | [Tensor, Tensor] { return pool.maxPool2d(input, this.kernelSize, this.poolOptions, this.returnIndices); }
}

/** Options of AvgPool1d/AvgPool2d. */
export interface AvgPoolLayerOptions { stride?: IntOrPair | null; padding?: IntOrPair; ceilMode?: boolean; countIncludePad?: boolean; divisorOverride?: number | null }

/** 1-D average pooling, as torch.nn.AvgPool1d (its sizes print as one-element tuples). */
export class AvgPool1d extends Module {
  static override displayName = "AvgPool1d";
  readonly kernelSize: number[];
  readonly stride: number[];
  readonly padding: number[];
  readonly ceilMode: boolean;
  readonly countIncludePad: boolean;
  constructor(kernelSize: IntOrPair, options: Omit<AvgPoolLayerOptions, "divisorOverride"> = {}) {
    super();
    const single = (v: IntOrPair): number[] => (typeof v === "number" ? [v] : [...v]);
    this.kernelSize = single(kernelSize);
    this.stride = single(options.stride ?? kernelSize);
    this.padding = single(options.padding ?? 0);
    this.ceilMode = options.ceilMode ?? false;
    this.countIncludePad = options.countIncludePad ?? true;
  }
  forward(input: Tensor): Tensor {
    return pool.avgPool1d(input, this.kernelSize, { stride: this.stride, padding: this.padding, ceilMode: this.ceilMode, countIncludePad: this.countIncludePad });
  }
  override extraRepr(): string {
    return `kernel_size=${pyTuple(this.kernelSize)}, stride=${pyTuple(this.stride)}, padding=${pyTuple(this.padding)}`;
  }
}

/** 2-D average pooling, as torch.nn.AvgPool2d. */
export class AvgPool2d extends Module {
  static override displayName = "AvgPool2d";
  readonly kernelSize: IntOrPair;
  readonly stride: IntOrPair;
  readonly padding: IntOrPair;
  readonly ceilMode: boolean;
  readonly countIncludePad: boolean;
  readonly divisorOverride: number | null;
  constructor(kernelSize: IntOrPair, options: AvgPoolLayerOptions = {}) {
    super();
    this.kernelSize = kernelSize;
    this.stride = options.stride ?? kernelSize;
    this.padding = options.padding ?? 0;
    this.ceilMode = options.ceilMode ?? false;
    this.countIncludePad = options.countIncludePad ?? true;
    this.divisorOverride = options.divisorOverride ?? null;
  }
  forward(input: Tensor): Tensor {
    return pool.avgPool2d(input, this.kernelSize, {
      stride: this.stride, padding: this.padding, ceilMode: this.ceilMode, countIncludePad: this.countIncludePad, divisorOverride: this.divisorOverride,
    });
  }
  override extraRepr(): string {
    return `kernel_size=${py(this.kernelSize)}, stride=${py(this.stride)}, padding=${py(this.padding)}`;
  }
}

/** Adaptive average pooling of the last dim to `outputSize`, as torch.nn.AdaptiveAvgPool1d. */
export class AdaptiveAvgPool1d extends Module {
  static override displayName = "AdaptiveAvgPool1d";
  constructor(readonly outputSize: number | readonly number[]) { super(); }
  forward(input: Tensor): Tensor { return pool.adaptiveAvgPool1d(input, this.outputSize); }
  override extraRepr(): string { return `output_size=${py(this.outputSize)}`; }
}

/** Adaptive max pooling of the last dim, as torch.nn.AdaptiveMaxPool1d; with `returnIndices`, `[output, indices]`. */
export class AdaptiveMaxPool1d extends Module {
  static override displayName = "AdaptiveMaxPool1d";
  readonly returnIndices: boolean;
  constructor(readonly outputSize: number | readonly number[], options: { returnIndices?: boolean } = {}) {
    super();
    this.returnIndices = options.returnIndices ?? false;
  }
  forward(input: Tensor): Tensor | [Tensor, Tensor] { return pool.adaptiveMaxPool1d(input, this.outputSize, this.returnIndices); }
  override extraRepr(): string { return `output_size=${py(this.outputSize)}`; }
}

/** Adaptive average pooling of the last two dims to `outputSize` (null keeps a dim), as torch.nn.AdaptiveAvgPool2d. */
export class AdaptiveAvgPool2d extends Module {
  static override displayName = "AdaptiveAvgPool2d";
  constructor(readonly outputSize: pool.AdaptiveSize) { super(); }
  forward(input: Tensor): Tensor { return pool.adaptiveAvgPool2d(input, this.outputSize); }
  override extraRepr(): string { return `output_size=${py(this.outputSize)}`; }
}

/** Adaptive max pooling of the last two dims, as torch.nn.AdaptiveMaxPool2d; with `returnIndices`, `[output, indices]`. */
export class AdaptiveMaxPool2d extends Module {
  static override displayName = "AdaptiveMaxPool2d";
  readonly returnIndices: boolean;
  constructor(readonly outputSize: pool.AdaptiveSize, options: { returnIndices?: boolean } = {}) {
    super();
    this.returnIndices = options.returnIndices ?? false;
  }
  forward(input: Tensor): Tensor | [Tensor, Tensor] { return pool.adaptiveMaxPool2d(input, this.outputSize, this.returnIndices); }
  override extraRepr(): string { return `output_size=${py(this.outputSize)}`; }
}
