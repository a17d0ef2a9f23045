/** Parameter: a Tensor that a Module registers as learnable state; and its lazy stand-in. */
import { AutogradError, TorchletError, UninitializedError } from "../errors.ts";
import { float32, type DType } from "../core/dtype.ts";
import { Layout } from "../core/layout.ts";
import { Tensor } from "../tensor.ts";
import { makeResident } from "../ops/resident.ts";

/** A learnable tensor: requiresGrad is true by default; it shares storage with the data given. */
export class Parameter extends Tensor {
  constructor(data?: Tensor, requiresGrad = true) {
    if (data !== undefined && !(data instanceof Tensor)) throw new TorchletError(`Parameter(): data must be a Tensor, not ${Array.isArray(data) ? "an array" : typeof data}`);
    const d = data ?? Tensor.fromArray(new Float32Array(0), [0], float32);
    if (requiresGrad && d.dtype.kind !== "float") throw new AutogradError("Only Tensors of floating point and complex dtype can require gradients");
    super(d.storage, d.layout, { version: d._version });
    this.requiresGrad = requiresGrad;
    // a model's weights live where the kernels run (the wasm backend's memory), read in place every step
    makeResident(this);
  }

  /** `Parameter containing:` followed by the tensor, as PyTorch prints it. */
  override toString(): string {
    return `Parameter containing:\n${super.toString()}`;
  }
}

const SHAPE_MESSAGE =
  "Can't access the shape of an uninitialized parameter or buffer. This error usually happens in `load_state_dict` when trying to load an uninitialized parameter into an initialized one. Call `forward` to initialize the parameters before accessing their attributes.";

/**
 * The parameter of a lazy module before its first forward pass: it has a dtype but no shape
 * or values. Using it throws; the module replaces it with a Parameter once the input is seen.
 */
export class UninitializedParameter extends Parameter {
  readonly #dtype: DType;
  constructor(requiresGrad = true, dtype: DType = float32) {
    super(undefined, requiresGrad);
    this.#dtype = dtype;
  }
  override get dtype(): DType { return this.#dtype; }
  override get layout(): Layout {
    throw new UninitializedError(SHAPE_MESSAGE);
  }
  override toString(): string {
    return "<UninitializedParameter>";
  }
  /**
   * Turns this very object into a Parameter of `shape` (zero-filled, like torch.empty) and returns
   * it, as PyTorch's materialize swaps the class in place: an optimizer built over the lazy
   * module already holds the real parameter.
   */
  materialize(shape: readonly number[]): Parameter {
    const n = shape.reduce((p, s) => p * s, 1);
    const real = Tensor.fromArray(this.#dtype.alloc(n), shape, this.#dtype);
    Object.setPrototypeOf(this, Parameter.prototype);
    this._storage = real.storage;
    this._layout = real.layout;
    return this;
  }
}
