/**
 * nn's activations: each one kernel pass (backend/cpu/activation.ts) and ONE node with PyTorch's
 * name and rule (autograd/rules/activation.ts), as PyTorch's leaky_relu, elu, silu, ... are.
 */
import { DTypeError, ShapeError, ValueError } from "../errors.ts";
import { float64 } from "../core/dtype.ts";
import { showShape } from "../core/shape.ts";
import type { Tensor } from "../tensor.ts";
import { backend } from "../backend/active.ts";
import type { ActivationOp } from "../backend/backend.ts";
import { noGrad } from "../autograd/grad-mode.ts";
import { record } from "../autograd/record.ts";
import type { OpArgs } from "../autograd/node.ts";
import { cast, wrap } from "./elementwise.ts";

export type { ActivationOp };

/** The derivative-table keys of the activations: the input form, and the in-place forms that save their result. */
export type ActivationKey =
  | "leakyRelu" | "leakyReluResult" | "elu" | "eluResult" | "celu" | "celuResult" | "silu" | "mish"
  | "hardtanh" | "hardsigmoid" | "hardswish" | "threshold" | "thresholdResult" | "gelu";

// PyTorch's kernel names in its "not implemented for 'Long'" errors; hardtanh and threshold take integers
const KERNEL_NAMES: Record<ActivationOp, string | null> = {
  leakyRelu: "leaky_relu_cpu", elu: "elu_cpu", silu: "silu_cpu", mish: "mish_cpu", hardtanh: null,
  hardsigmoid: "hardsigmoid_cpu", hardswish: "hardswish_cpu", threshold: null, gelu: "GeluKernelImpl", geluTanh: "GeluKernelImpl",
};

/**
 * `op(x; params)` as one node named by `key`. Integer tensors are refused where PyTorch has no
 * integer kernel; hardtanh and threshold compute them in float64 and return their dtype.
 */
export function activate(op: ActivationOp, x: Tensor, params: readonly number[], key: ActivationKey): Tensor {
  if (x.dtype.kind !== "float") {
    const kernel = KERNEL_NAMES[op];
    if (kernel !== null) throw new DTypeError(`"${kernel}" not implemented for '${x.dtype.scalarName}'`);
    return noGrad(() => cast(activate(op, cast(x, float64), params, key), x.dtype));
  }
  const out = wrap(backend().activation(op, x.storage.data, x.layout, params, x.dtype), x.shape, x.dtype);
  return record(key, [x], out, { activation: op, activationParams: params });
}

/** An activation's input gradient from `g` and the saved input (or, `fromResult`, the output). */
export function activationGrad(g: Tensor, saved: Tensor, args: OpArgs, fromResult: boolean): Tensor {
  const data = backend().activationBackward(
    args.activation!, g.storage.data, g.layout.expand(saved.shape), saved.storage.data, saved.layout, args.activationParams!, fromResult, saved.dtype,
  );
  return wrap(data, saved.shape, saved.dtype);
}

/** The PReLU weight shaped to broadcast along the channel dim (dim 1) of `x`, or as a scalar. */
function channelWeight(x: Tensor, weight: Tensor): Tensor {
  if (weight.numel() === 1) return weight.reshape([]);
  return weight.reshape(x.shape.map((s, d) => (d === 1 ? s : 1)));
}

/**
 * PReLU: x where x > 0, else weight·x, with one weight for all channels or one per channel
 * (dim 1), as torch.prelu (PreluBackward0, one node with the gradients of input and weight).
 */
export function prelu(x: Tensor, weight: Tensor): Tensor {
  if (weight.dtype !== x.dtype) throw new DTypeError(`Found dtype ${weight.dtype.scalarName} but expected ${x.dtype.scalarName}`);
  if (x.dtype.kind !== "float") throw new DTypeError(`"prelu_cpu" not implemented for '${x.dtype.scalarName}'`);
  if (weight.ndim > 1) throw new ValueError(`prelu: Expected \`weight\` to be a scalar or 1D tensor, but got ndim = ${weight.ndim}`);
  const channels = x.ndim >= 2 ? x.shape[1]! : 1;
  if (weight.numel() !== 1 && weight.numel() !== channels) {
    throw new ShapeError(`Mismatch of parameter numbers and input channel size. Found parameter numbers = ${weight.numel()} and channel size = ${channels}.`);
  }
  if (x.ndim === 0 && weight.numel() !== 1) throw new ShapeError(`prelu: input of shape ${showShape(x.shape)} needs one weight`);
  const out = noGrad(() => x.where(x.gt(0), x.mul(channelWeight(x, weight))));
  return record("prelu", [x, weight], out);
}

/** PReLU's gradients: g or weight·g for the input; Σ x·g over the non-positive inputs for the weight. */
export function preluGrad(g: Tensor, x: Tensor, weight: Tensor, needInput: boolean, needWeight: boolean): [Tensor | null, Tensor | null] {
  const positive = x.gt(0);
  const gi = needInput ? g.where(positive, g.mul(channelWeight(x, weight))) : null;
  if (!needWeight) return [gi, null];
  const terms = x.mul(g).where(positive.logicalNot(), 0);
  const dims = terms.shape.map((_, d) => d).filter((d) => weight.numel() === 1 || d !== 1);
  const gw = dims.length === 0 ? terms : terms.sum({ dim: dims });
  return [gi, gw.reshape(weight.shape)];
}
