/** Derivatives of the norm ops (see derivatives.ts for the entry format). */
import type { Tensor } from "../../tensor.ts";
import { batchNormBackward, embeddingBackward, layerNormBackward } from "../../ops/norm.ts";
import { needs, type Derivative, type DerivativeFn, type OpArgs } from "../node.ts";


/** g summed over every dim where the affine parameters broadcast, shaped as the parameter. */
function paramGrad(t: Tensor, affineShape: readonly number[], paramShape: readonly number[]): Tensor {
  const lead = t.ndim - affineShape.length;
  const dims = t.shape.map((_, d) => d).filter((d) => d < lead || affineShape[d - lead] === 1);
  return (dims.length ? t.sum({ dim: dims }) : t).reshape(paramShape);
}

/**
 * The normalizations' common rule, with x̂ and 1/σ saved at forward: for the batch's statistics
 * dx = (ĝ - mean(ĝ) - x̂·mean(ĝ·x̂))/σ over the normalized dims, where ĝ = g·γ; for fixed
 * (running) statistics dx = ĝ/σ; dγ = Σ g·x̂ and dβ = Σ g over the dims γ and β broadcast along.
 */
const normRule: DerivativeFn = (g, inputs, _, args: OpArgs, e) => {
  const { normDims, affineShape, groupShape, hasWeight, hasBias, training, xhat, invstd } = args;
  const w = hasWeight ? inputs[1] : undefined;
  const out: (Tensor | null)[] = [null];
  if (needs(e, 0)) {
    const shape = groupShape ?? g.shape;
    const gw = hasWeight && w ? g.mul(w.reshape(affineShape!)) : g;
    const gh = gw.reshape(shape);
    const dx = training
      ? gh.sub(gh.mean({ dim: normDims!, keepdim: true })).sub(xhat!.mul(gh.mul(xhat!).mean({ dim: normDims!, keepdim: true }))).mul(invstd!)
      : gh.mul(invstd!);
    out[0] = dx.reshape(g.shape);
  }
  const xhatOut = xhat!.reshape(g.shape);
  let i = 1;
  if (hasWeight) { out.push(needs(e, i) ? paramGrad(g.mul(xhatOut), affineShape!, args.paramShape!) : null); i++; }
  if (hasBias) out.push(needs(e, i) ? paramGrad(g, affineShape!, args.paramShape!) : null);
  return out;
};

/**
 * Batch norm's rule, PyTorch's batch_norm_backward on the saved input and the statistics the
 * forward normalized with; one pass for the per-channel sums, one for the input's gradient.
 */
const batchNormRule: DerivativeFn = (g, inputs, _, args: OpArgs, e) => {
  const { hasWeight, hasBias, training, channelStats } = args;
  const gradInput = needs(e, 0);
  const r = batchNormBackward(g, inputs[0]!, hasWeight ? inputs[1]! : null, channelStats!, training!, gradInput);
  const out: (Tensor | null)[] = [r.dx];
  if (hasWeight) out.push(needs(e, 1) ? r.dWeight : null);
  if (hasBias) out.push(needs(e, hasWeight ? 2 : 1) ? r.dBias : null);
  return out;
};

/**
 * Layer norm's rule: the fused kernels' PyTorch LayerNormBackward from the saved input and each
 * row's mean and rstd, else (dtypes the kernels do not take) the common rule on x̂ and 1/σ.
 */
const layerNormRule: DerivativeFn = (g, inputs, out, args: OpArgs, e) => {
  const { rowStats, hasWeight, hasBias } = args;
  if (rowStats === undefined) return normRule(g, inputs, out, args, e);
  const params = (hasWeight && needs(e, 1)) || (hasBias && needs(e, hasWeight ? 2 : 1));
  const r = layerNormBackward(g, inputs[0]!, hasWeight ? inputs[1]! : null, rowStats, args.paramShape!, needs(e, 0), params === true);
  const grads: (Tensor | null)[] = [r.dx];
  if (hasWeight) grads.push(needs(e, 1) ? r.dWeight : null);
  if (hasBias) grads.push(needs(e, hasWeight ? 2 : 1) ? r.dBias : null);
  return grads;
};

/** The norm family's entries of the derivative table. */
export const normRules = {
  // the input (a) is read by its own and the weight's gradient, the weight (b) by the input's
  batchNorm: { name: "NativeBatchNormBackward0", saves: ["ab", "a", ""], fn: batchNormRule },
  // the input (a) is read by its own and the weight's gradient, the weight (b) by the input's
  layerNorm: { name: "NativeLayerNormBackward0", saves: ["ab", "a", ""], fn: layerNormRule },
  groupNorm: { name: "NativeGroupNormBackward0", saves: ["b", "", ""], fn: normRule },
  // dense gradient: each looked-up row's gradient summed into its row; the padding row gets none
  embedding: {
    name: "EmbeddingBackward0", saves: "",
    fn: (g, _, __, { rowIndices, numRows, paddingIdx }) => [embeddingBackward(g, rowIndices!, numRows!, paddingIdx!)],
  },
} satisfies Record<string, Derivative>;
