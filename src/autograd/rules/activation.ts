/**
 * Derivatives of nn's activations (see derivatives.ts for the entry format): each reads its input
 * (or, for the in-place forms PyTorch numbers 1, its result) and runs the kernel's derivative.
 */
import { activationGrad, preluGrad } from "../../ops/activation.ts";
import type { Derivative, DerivativeFn, Edge } from "../node.ts";

const d = (name: string, saves: string | readonly string[], fn: DerivativeFn): Derivative => ({ name, saves, fn });
const needs = (edges: readonly Edge[], i: number): boolean => edges[i] !== null;

const fromInput: DerivativeFn = (g, [x], _, args) => [activationGrad(g, x!, args, false)];
const fromResult: DerivativeFn = (g, _, y, args) => [activationGrad(g, y, args, true)];

/** The activation family's entries of the derivative table. */
export const activationRules = {
  leakyRelu: d("LeakyReluBackward0", "a", fromInput),
  leakyReluResult: d("LeakyReluBackward1", "o", fromResult),
  // elu also serves selu, as PyTorch's selu is elu with fixed α and scale
  elu: d("EluBackward0", "a", fromInput),
  eluResult: d("EluBackward1", "o", fromResult),
  celu: d("CeluBackward0", "a", fromInput),
  celuResult: d("CeluBackward1", "o", fromResult),
  silu: d("SiluBackward0", "a", fromInput),
  mish: d("MishBackward0", "a", fromInput),
  hardtanh: d("HardtanhBackward0", "a", fromInput),
  hardsigmoid: d("HardsigmoidBackward0", "a", fromInput),
  hardswish: d("HardswishBackward0", "a", fromInput),
  threshold: d("ThresholdBackward0", "a", fromInput),
  // as PyTorch: from the result, so a replacement value above the threshold passes the gradient
  thresholdResult: d("ThresholdBackward1", "o", fromResult),
  gelu: d("GeluBackward0", "a", fromInput),
  prelu: d("PreluBackward0", "ab", (g, [x, w], _, __, e) => preluGrad(g, x!, w!, needs(e, 0), needs(e, 1))),
} satisfies Record<string, Derivative>;
