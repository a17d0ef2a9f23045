/** Linear and LazyLinear: y = x Wᵀ + b, initialized exactly as PyTorch's. */
import type { Tensor } from "../tensor.ts";
import { float32, type DType } from "../core/dtype.ts";
import { empty } from "../ops/creation.ts";
import { linear } from "../ops/linalg.ts";
import { noGrad } from "../autograd/grad-mode.ts";
import { Module } from "./module.ts";
import { Parameter, UninitializedParameter } from "./parameter.ts";
import * as init from "./init.ts";

/** Options of Linear. */
export interface LinearOptions {
  bias?: boolean;
  dtype?: DType;
}

/** A fully connected layer, as torch.nn.Linear(inFeatures, outFeatures). */
export class Linear extends Module {
  static override displayName = "Linear";
  declare weight: Parameter;
  declare bias: Parameter | null;

  constructor(
    public inFeatures: number,
    public outFeatures: number,
    options: LinearOptions = {},
  ) {
    super();
    const dtype = options.dtype ?? float32;
    this.weight = new Parameter(empty([outFeatures, inFeatures], { dtype }));
    if (options.bias ?? true) this.bias = new Parameter(empty([outFeatures], { dtype }));
    else this.registerParameter("bias", null);
    this.resetParameters();
  }

  /** kaimingUniform_(a=√5) for the weight, then U(±1/√fanIn) for the bias, consuming the generator in PyTorch's order. */
  resetParameters(): void {
    init.kaimingUniform_(this.weight, { a: Math.sqrt(5) });
    if (this.bias !== null) {
      const { fanIn } = init.calculateFanInAndFanOut(this.weight);
      const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
      init.uniform_(this.bias, -bound, bound);
    }
  }

  forward(input: Tensor): Tensor {
    return linear(input, this.weight, this.bias);
  }

  override extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${this.bias !== null ? "True" : "False"}`;
  }
}

/**
 * A Linear whose inFeatures is taken from its first input. Until then its parameters are
 * UninitializedParameters; the first call materializes and initializes them, as PyTorch does.
 */
export class LazyLinear extends Linear {
  static override displayName = "LazyLinear";
  constructor(outFeatures: number, options: LinearOptions = {}) {
    super(0, outFeatures, options);
    const dtype = options.dtype ?? float32;
    this.weight = new UninitializedParameter(true, dtype);
    if (this.bias !== null) this.bias = new UninitializedParameter(true, dtype);
  }

  /** True once the first input (or a loaded state dict) has fixed the shapes. */
  get materialized(): boolean {
    return !(this.weight instanceof UninitializedParameter);
  }

  // Linear's constructor initializes an empty 0-column weight: consumes no random numbers
  override resetParameters(): void {
    if (this.materialized && this.inFeatures > 0) super.resetParameters();
  }

  override forward(input: Tensor): Tensor {
    if (!this.materialized) this.initializeParameters(input);
    return super.forward(input);
  }

  /** Materializes the parameters for this input's last dim, then initializes them. */
  initializeParameters(input: Tensor): void {
    noGrad(() => {
      this.inFeatures = input.shape[input.ndim - 1]!;
      this.weight = (this.weight as UninitializedParameter).materialize([this.outFeatures, this.inFeatures]);
      if (this.bias !== null) this.bias = (this.bias as UninitializedParameter).materialize([this.outFeatures]);
      this.resetParameters();
    });
  }

  override getName(): string {
    return this.materialized ? Linear.displayName : LazyLinear.displayName;
  }

  override extraRepr(): string {
    if (this.materialized) this.inFeatures = this.weight.shape[1]!;
    return super.extraRepr();
  }
}
