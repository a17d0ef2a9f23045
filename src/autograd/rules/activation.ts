/**
 * Derivatives of nn's activations (see derivatives.ts for the entry format): each reads its input
 * (or, for the in-place forms PyTorch numbers 1, its result) and runs the kernel's derivative.
 * Then the losses PyTorch computes as one op, each PyTorch 1.13's formula from its CPU kernel
 * (`scale` is 1/n for the mean, else 1; `g` broadcasts over the elements).
 */
import { AutogradError } from "../../errors.ts";
import { activationGrad, preluGrad } from "../../ops/activation.ts";
import { embeddingBackward } from "../../ops/norm.ts";
import { zeros } from "../../ops/creation.ts";
import { cat } from "../../ops/movement.ts";
import type { Tensor } from "../../tensor.ts";
import { needs, type Derivative, type DerivativeFn, type Edge } from "../node.ts";

const d = (name: string, saves: string | readonly string[], fn: DerivativeFn): Derivative => ({ name, saves, fn });

const fromInput: DerivativeFn = (g, [x], _, args) => [activationGrad(g, x!, args, false)];
/** The same gradient for the input, negated for the target (both may be broadcast). */
const both = (gi: Tensor, e: readonly Edge[]): (Tensor | null)[] => [needs(e, 0) ? gi : null, needs(e, 1) ? gi.neg() : null];

const fromResult: DerivativeFn = (g, _, y, args) => [activationGrad(g, y, args, true)];

/** The result does not tell the input's sign when the slope below zero is negative: PyTorch refuses. */
function positiveSlope(what: string, tail = ""): DerivativeFn {
  return (g, inputs, y, args) => {
    if (args.activationParams![0]! < 0) {
      throw new AutogradError(`In-place ${what} backward calculation is triggered with a negative slope which is not supported. This is caused by calling in-place forward function with a negative slope, please call out-of-place version instead.${tail}`);
    }
    return fromResult(g, inputs, y, args, []);
  };
}

/** The activation family's entries of the derivative table. */
export const activationRules = {
  leakyRelu: d("LeakyReluBackward0", "a", fromInput),
  leakyReluResult: d("LeakyReluBackward1", "o", positiveSlope("leakyReLu",
    " File an issue at https://github.com/pytorch/pytorch if you do require supporting in-place leakRelu backward calculation with negative slope")),
  // elu also serves selu, as PyTorch's selu is elu with fixed α and scale
  elu: d("EluBackward0", "a", fromInput),
  eluResult: d("EluBackward1", "o", positiveSlope("elu")),
  celu: d("CeluBackward0", "a", fromInput),
  celuResult: d("CeluBackward1", "o", positiveSlope("elu")),
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
  // ---- losses ----
  // g·(x - t) / max((1 - x)·x, 1e-12), and for the target -logit(x)·g, each times the weight
  binaryCrossEntropy: d("BinaryCrossEntropyBackward0", "ab", (g, [x, t], _, { scale, lossWeight }, e) => {
    const w = (v: Tensor): Tensor => (lossWeight ? v.mul(lossWeight) : v);
    const gi = needs(e, 0) ? w(g.mul(x!.sub(t!)).div(x!.neg().add(1).mul(x!).clamp({ min: 1e-12 }))).mul(scale!) : null;
    const gt = needs(e, 1) ? w(x!.div(x!.neg().add(1)).log().neg().mul(g)).mul(scale!) : null;
    return [gi, gt];
  }),
  huberLoss: d("HuberLossBackward0", "ab", (g, [x, t], _, { scale, lossParam: delta }, e) =>
    both(x!.sub(t!).clamp({ min: -delta!, max: delta! }).mul(scale!).mul(g), e)),
  // the target's gradient is the same formula with the roles swapped (t - x), as PyTorch's
  smoothL1Loss: d("SmoothL1LossBackward0", "ab", (g, [x, t], _, { scale, lossParam: beta }, e) => {
    // PyTorch tests d <= -beta first, so with beta = 0 a tie gives -g to both
    const slope = (diff: Tensor): Tensor => diff.div(beta!).where(diff.ge(beta!).logicalNot(), 1).where(diff.le(-beta!).logicalNot(), -1);
    return [needs(e, 0) ? slope(x!.sub(t!)).mul(scale!).mul(g) : null, needs(e, 1) ? slope(t!.sub(x!)).mul(scale!).mul(g) : null];
  }),
  softMarginLoss: d("SoftMarginLossBackward0", "ab", (g, [x, t], _, { scale }) => {
    const z = t!.neg().mul(x!).exp();
    return [t!.neg().mul(z).div(z.add(1)).mul(g).mul(scale!), null];
  }),
  // ---- embedding bag ----
  // the bags' gradients back to their rows (scattered into the table), and to the per-sample weights
  embeddingBag: d("EmbeddingBagBackward0", "", (g, _, __, args, e) => {
    const { rowIndices, numRows, paddingIdx, bagMatrix, bagOf, bagRows, bagArgmax } = args;
    const n = rowIndices!.length, dim = g.shape[1]!;
    let gw: Tensor | null = null;
    if (needs(e, 0)) {
      const gradRows = bagArgmax
        ? zeros([n + 1, dim], { dtype: g.dtype }).scatterAdd(0, bagArgmax, g).slice(0, 0, n)
        : bagMatrix!.mT.matmul(g);
      gw = embeddingBackward(gradRows, rowIndices!, numRows!, paddingIdx!);
    }
    if (e.length < 2 || !needs(e, 1)) return [gw];
    // positions outside every bag (and padding) read the extra zero row
    const withZero = cat([g, zeros([1, dim], { dtype: g.dtype })], 0);
    return [gw, withZero.indexSelect(0, bagOf!).mul(bagRows!).sum(1)];
  }),
} satisfies Record<string, Derivative>;
