/**
 * Convolution layers: Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d and the lazy LazyConv1d,
 * LazyConv2d, with PyTorch's parameters ([out, in/groups, ...kernel], or [in, out/groups, ...] when
 * transposed), initialization order, padding modes and printing.
 */
import { ValueError } from "../errors.ts";
import { float32, type DType } from "../core/dtype.ts";
import type { Tensor } from "../tensor.ts";
import { empty } from "../ops/creation.ts";
import { convolution, convTranspose, expandParam, type IntOrList } from "../ops/conv.ts";
import { pad as padOp } from "../ops/pad.ts";
import { noGrad } from "../autograd/grad-mode.ts";
import { Module } from "./module.ts";
import { Parameter, UninitializedParameter } from "./parameter.ts";
import * as init from "./init.ts";

/** How a convolution pads: with zeros (inside the kernel), or through F.pad's modes first. */
export type PaddingMode = "zeros" | "reflect" | "replicate" | "circular";

/** Options of Conv1d/Conv2d (PyTorch's keyword arguments in camelCase). */
export interface ConvLayerOptions {
  stride?: IntOrList;
  padding?: IntOrList | "same" | "valid";
  dilation?: IntOrList;
  groups?: number;
  bias?: boolean;
  paddingMode?: PaddingMode;
  dtype?: DType;
}

/** Options of ConvTranspose1d/ConvTranspose2d. */
export interface ConvTransposeLayerOptions {
  stride?: IntOrList;
  padding?: IntOrList;
  outputPadding?: IntOrList;
  groups?: number;
  bias?: boolean;
  dilation?: IntOrList;
  paddingMode?: PaddingMode;
  dtype?: DType;
}

const PADDING_MODES: readonly string[] = ["zeros", "reflect", "replicate", "circular"];

/** A Python tuple as PyTorch prints it: (3, 3), or (3,) for one element. */
export function pyTuple(v: readonly number[]): string {
  return v.length === 1 ? `(${v[0]},)` : `(${v.join(", ")})`;
}

/** The state every convolution layer shares (PyTorch's _ConvNd). */
abstract class ConvNd extends Module {
  declare weight: Parameter;
  declare bias: Parameter | null;
  readonly kernelSize: number[];
  readonly stride: number[];
  readonly padding: number[] | "same" | "valid";
  readonly dilation: number[];
  readonly outputPadding: number[];
  readonly groups: number;
  readonly paddingMode: PaddingMode;
  /** F.pad's amounts for a non-zeros padding mode: last dim first, each twice */
  protected readonly reversedPadding: number[];

  constructor(
    protected readonly dims: 1 | 2, public inChannels: number, public outChannels: number, kernelSize: IntOrList,
    options: ConvLayerOptions & { outputPadding?: IntOrList }, readonly transposed: boolean,
  ) {
    super();
    const groups = options.groups ?? 1;
    if (!(Number.isInteger(groups) && groups > 0)) throw new ValueError("groups must be a positive integer");
    if (inChannels % groups !== 0) throw new ValueError("in_channels must be divisible by groups");
    if (outChannels % groups !== 0) throw new ValueError("out_channels must be divisible by groups");
    this.kernelSize = expandParam(kernelSize, "kernel_size", dims);
    this.stride = expandParam(options.stride ?? 1, "stride", dims);
    this.dilation = expandParam(options.dilation ?? 1, "dilation", dims);
    this.outputPadding = expandParam(options.outputPadding ?? 0, "output_padding", dims);
    const padding = options.padding ?? 0;
    if (typeof padding === "string") {
      if (padding !== "same" && padding !== "valid") throw new ValueError(`Invalid padding string '${String(padding)}', should be one of {'valid', 'same'}`);
      if (padding === "same" && this.stride.some((s) => s !== 1)) throw new ValueError("padding='same' is not supported for strided convolutions");
      this.padding = padding;
    } else this.padding = expandParam(padding, "padding", dims);
    const mode = options.paddingMode ?? "zeros";
    if (!PADDING_MODES.includes(mode)) {
      throw new ValueError(`padding_mode must be one of {'zeros', 'reflect', 'replicate', 'circular'}, but got padding_mode='${String(mode)}'`);
    }
    this.groups = groups;
    this.paddingMode = mode;
    this.reversedPadding = this.reversePadding();
    const dtype = options.dtype ?? float32;
    const shape = transposed ? [inChannels, outChannels / groups, ...this.kernelSize] : [outChannels, inChannels / groups, ...this.kernelSize];
    this.weight = new Parameter(empty(shape, { dtype }));
    if (options.bias ?? true) this.bias = new Parameter(empty([outChannels], { dtype }));
    else this.registerParameter("bias", null);
    this.resetParameters();
  }

  private reversePadding(): number[] {
    const out: number[] = [];
    for (let i = this.dims - 1; i >= 0; i--) {
      if (this.padding === "valid") out.push(0, 0);
      else if (this.padding === "same") {
        const total = this.dilation[i]! * (this.kernelSize[i]! - 1), left = Math.floor(total / 2);
        out.push(left, total - left);
      } else out.push(this.padding[i]!, this.padding[i]!);
    }
    return out;
  }

  /** kaimingUniform_(a=√5) for the weight, then U(±1/√fanIn) for the bias, in PyTorch's order. */
  resetParameters(): void {
    init.kaimingUniform_(this.weight, { a: Math.sqrt(5) });
    if (this.bias !== null) {
      const { fanIn } = init.calculateFanInAndFanOut(this.weight);
      if (fanIn !== 0) {
        const bound = 1 / Math.sqrt(fanIn);
        init.uniform_(this.bias, -bound, bound);
      }
    }
  }

  override extraRepr(): string {
    let s = `${this.inChannels}, ${this.outChannels}, kernel_size=${pyTuple(this.kernelSize)}, stride=${pyTuple(this.stride)}`;
    if (typeof this.padding === "string") s += `, padding=${this.padding}`;
    else if (this.padding.some((p) => p !== 0)) s += `, padding=${pyTuple(this.padding)}`;
    if (this.dilation.some((d) => d !== 1)) s += `, dilation=${pyTuple(this.dilation)}`;
    if (this.outputPadding.some((p) => p !== 0)) s += `, output_padding=${pyTuple(this.outputPadding)}`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    if (this.bias === null) s += ", bias=False";
    if (this.paddingMode !== "zeros") s += `, padding_mode=${this.paddingMode}`;
    return s;
  }

  /** The forward convolution, padding first through F.pad for a non-zeros mode. */
  protected convForward(input: Tensor): Tensor {
    const name = this.dims === 1 ? "conv1d" : "conv2d";
    const options = { bias: this.bias, stride: this.stride, dilation: this.dilation, groups: this.groups };
    if (this.paddingMode !== "zeros") {
      const padded = padOp(input, this.reversedPadding, { mode: this.paddingMode });
      return convolution(padded, this.weight, { ...options, padding: 0 }, this.dims, name);
    }
    return convolution(input, this.weight, { ...options, padding: this.padding }, this.dims, name);
  }
}

/** 1-D convolution over [n, c, l], as torch.nn.Conv1d(inChannels, outChannels, kernelSize). */
export class Conv1d extends ConvNd {
  static override displayName = "Conv1d";
  constructor(inChannels: number, outChannels: number, kernelSize: IntOrList, options: ConvLayerOptions = {}) {
    super(1, inChannels, outChannels, kernelSize, options, false);
  }
  forward(input: Tensor): Tensor { return this.convForward(input); }
}

/** 2-D convolution over [n, c, h, w], as torch.nn.Conv2d(inChannels, outChannels, kernelSize). */
export class Conv2d extends ConvNd {
  static override displayName = "Conv2d";
  constructor(inChannels: number, outChannels: number, kernelSize: IntOrList, options: ConvLayerOptions = {}) {
    super(2, inChannels, outChannels, kernelSize, options, false);
  }
  forward(input: Tensor): Tensor { return this.convForward(input); }
}

/** The shared forward of the transposed layers, with PyTorch's output_size → output_padding. */
abstract class ConvTransposeNd extends ConvNd {
  constructor(dims: 1 | 2, inChannels: number, outChannels: number, kernelSize: IntOrList, options: ConvTransposeLayerOptions, name: string) {
    if ((options.paddingMode ?? "zeros") !== "zeros") throw new ValueError(`Only "zeros" padding mode is supported for ${name}`);
    super(dims, inChannels, outChannels, kernelSize, options, true);
  }

  /** The transposed convolution; `outputSize` picks among the sizes a stride > 1 makes possible. */
  forward(input: Tensor, outputSize?: readonly number[]): Tensor {
    const outputPadding = outputSize === undefined ? this.outputPadding : this.outputPaddingFor(input, outputSize);
    return convTranspose(input, this.weight, {
      bias: this.bias, stride: this.stride, padding: this.padding as number[], outputPadding, groups: this.groups, dilation: this.dilation,
    }, this.dims, this.dims === 1 ? "conv_transpose1d" : "conv_transpose2d");
  }

  private outputPaddingFor(input: Tensor, outputSize: readonly number[]): number[] {
    const spatialIn = input.shape.slice(input.ndim - this.dims);
    const size = outputSize.length === this.dims ? outputSize : outputSize.slice(outputSize.length - this.dims);
    if (outputSize.length !== this.dims && outputSize.length !== this.dims + (input.ndim === this.dims + 2 ? 2 : 1)) {
      throw new ValueError(`ConvTranspose${this.dims}D: for ${input.ndim}D input, output_size must have ${this.dims} or ${input.ndim} elements (got ${outputSize.length})`);
    }
    const padding = this.padding as number[];
    const min = spatialIn.map((s, d) => (s - 1) * this.stride[d]! - 2 * padding[d]! + this.dilation[d]! * (this.kernelSize[d]! - 1) + 1);
    const max = min.map((m, d) => m + this.stride[d]! - 1);
    if (size.some((s, d) => s < min[d]! || s > max[d]!)) {
      throw new ValueError(`requested an output size of [${size.join(", ")}], but valid sizes range from [${min.join(", ")}] to [${max.join(", ")}] (for an input of torch.Size([${spatialIn.join(", ")}]))`);
    }
    return size.map((s, d) => s - min[d]!);
  }
}

/** 1-D transposed convolution, as torch.nn.ConvTranspose1d(inChannels, outChannels, kernelSize). */
export class ConvTranspose1d extends ConvTransposeNd {
  static override displayName = "ConvTranspose1d";
  constructor(inChannels: number, outChannels: number, kernelSize: IntOrList, options: ConvTransposeLayerOptions = {}) {
    super(1, inChannels, outChannels, kernelSize, options, "ConvTranspose1d");
  }
}

/** 2-D transposed convolution, as torch.nn.ConvTranspose2d(inChannels, outChannels, kernelSize). */
export class ConvTranspose2d extends ConvTransposeNd {
  static override displayName = "ConvTranspose2d";
  constructor(inChannels: number, outChannels: number, kernelSize: IntOrList, options: ConvTransposeLayerOptions = {}) {
    super(2, inChannels, outChannels, kernelSize, options, "ConvTranspose2d");
  }
}

/** Puts UninitializedParameters in place of a lazy layer's parameters. */
function lazyInit(m: ConvNd, dtype: DType): void {
  m.weight = new UninitializedParameter(true, dtype);
  if (m.bias !== null) m.bias = new UninitializedParameter(true, dtype);
}

/** Takes inChannels from the first input, materializes the parameters in place and initializes them. */
function materializeConv(m: ConvNd, input: Tensor, dims: number, name: string): void {
  if (input.ndim !== dims + 1 && input.ndim !== dims + 2) {
    throw new ValueError(`Expected ${dims + 1}D (unbatched) or ${dims + 2}D (batched) input to ${name}, but got input of size: [${input.shape.join(", ")}]`);
  }
  const inChannels = input.ndim === dims + 2 ? input.shape[1]! : input.shape[0]!;
  if (inChannels % m.groups !== 0) throw new ValueError("in_channels must be divisible by groups");
  noGrad(() => {
    m.inChannels = inChannels;
    (m.weight as UninitializedParameter).materialize([m.outChannels, inChannels / m.groups, ...m.kernelSize]);
    if (m.bias !== null) (m.bias as UninitializedParameter).materialize([m.outChannels]);
    m.resetParameters();
  });
}

/**
 * A Conv1d whose inChannels is taken from its first input. Until then its parameters are
 * UninitializedParameters; the first call turns those very objects into real parameters (so an
 * optimizer built before it trains them) and initializes them, as PyTorch does.
 */
export class LazyConv1d extends Conv1d {
  static override displayName = "LazyConv1d";
  constructor(outChannels: number, kernelSize: IntOrList, options: ConvLayerOptions = {}) {
    super(0, outChannels, kernelSize, options);
    lazyInit(this, options.dtype ?? float32);
  }
  /** True once the first input (or a loaded state dict) has fixed the shapes. */
  get materialized(): boolean { return !(this.weight instanceof UninitializedParameter); }
  // the constructor's 0-channel weight is empty: initializing it consumes no random numbers
  override resetParameters(): void { if (this.materialized && this.inChannels > 0) super.resetParameters(); }
  override forward(input: Tensor): Tensor {
    if (!this.materialized) materializeConv(this, input, 1, "conv1d");
    return super.forward(input);
  }
  override getName(): string { return this.materialized ? Conv1d.displayName : LazyConv1d.displayName; }
  override extraRepr(): string {
    if (this.materialized) this.inChannels = this.weight.shape[1]! * this.groups;
    return super.extraRepr();
  }
}

/** A Conv2d whose inChannels is taken from its first input (see LazyConv1d). */
export class LazyConv2d extends Conv2d {
  static override displayName = "LazyConv2d";
  constructor(outChannels: number, kernelSize: IntOrList, options: ConvLayerOptions = {}) {
    super(0, outChannels, kernelSize, options);
    lazyInit(this, options.dtype ?? float32);
  }
  /** True once the first input (or a loaded state dict) has fixed the shapes. */
  get materialized(): boolean { return !(this.weight instanceof UninitializedParameter); }
  override resetParameters(): void { if (this.materialized && this.inChannels > 0) super.resetParameters(); }
  override forward(input: Tensor): Tensor {
    if (!this.materialized) materializeConv(this, input, 2, "conv2d");
    return super.forward(input);
  }
  override getName(): string { return this.materialized ? Conv2d.displayName : LazyConv2d.displayName; }
  override extraRepr(): string {
    if (this.materialized) this.inChannels = this.weight.shape[1]! * this.groups;
    return super.extraRepr();
  }
}
