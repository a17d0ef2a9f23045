/** Derivatives of the indexing ops (see derivatives.ts for the entry format). */
import { AutogradError } from "../../errors.ts";
import type { Tensor } from "../../tensor.ts";
import { needs, type Derivative, type DerivativeFn } from "../node.ts";
import { wrap } from "../../ops/elementwise.ts";
import * as ix from "../../ops/indexing.ts";

const d = (name: string, saves: string | readonly string[], fn: DerivativeFn): Derivative => ({ name, saves, fn });
const zeros = (shape: readonly number[], like: Tensor): Tensor => wrap(like.dtype.alloc(shape.reduce((p, s) => p * s, 1)), shape, like.dtype);

/**
 * The indexing family's entries of the derivative table. A read's gradient is the matching
 * accumulating write into zeros (duplicate indices sum, as in PyTorch); a write's gradient reads
 * the written positions back, and zeroes them for the tensor that was overwritten.
 */
export const indexingRules = {
  index: d("IndexBackward0", "", (g, _, __, { shape, indexList }) => [ix.indexPut(zeros(shape!, g), indexList!, g, { accumulate: true })]),
  indexPut: d("IndexPutBackward0", "", (g, _, __, { indexList, accumulate }, e) => [
    needs(e, 0) ? (accumulate ? g : ix.indexPut(g, indexList!, 0)) : null,
    needs(e, 1) ? ix.index(g, indexList!) : null,
  ]),
  indexSelect: d("IndexSelectBackward0", "", (g, _, __, { dim, indices, shape }) => [ix.indexAdd(zeros(shape!, g), dim!, indices!, g)]),
  indexAdd: d("IndexAddBackward0", "", (g, _, __, { dim, indices, alpha }, e) => [
    needs(e, 0) ? g : null,
    needs(e, 1) ? (alpha === 1 ? ix.indexSelect(g, dim!, indices!) : ix.indexSelect(g, dim!, indices!).mul(alpha!)) : null,
  ]),
  indexCopy: d("IndexCopyBackward0", "", (g, _, __, { dim, indices }, e) => [
    needs(e, 0) ? ix.indexFill(g, dim!, indices!, 0) : null,
    needs(e, 1) ? ix.indexSelect(g, dim!, indices!) : null,
  ]),
  indexFill: d("IndexFillBackward0", "", (g, _, __, { dim, indices }) => [ix.indexFill(g, dim!, indices!, 0)]),
  gather: d("GatherBackward0", "", (g, _, __, { dim, indices, shape }) => [ix.scatterAdd(zeros(shape!, g), dim!, indices!, g)]),
  scatter: d("ScatterBackward0", "", (g, _, __, { dim, indices }, e) => [
    needs(e, 0) ? ix.scatter(g, dim!, indices!, 0) : null,
    needs(e, 1) ? ix.gather(g, dim!, indices!) : null,
  ]),
  scatterValue: d("ScatterBackward1", "", (g, _, __, { dim, indices }) => [ix.scatter(g, dim!, indices!, 0)]),
  // PyTorch 1.13 has no derivative for scatter with reduce: its node is NotImplemented
  scatterReduce: d("NotImplemented", "", () => { throw new AutogradError("derivative for aten::scatter is not implemented"); }),
  scatterAdd: d("ScatterAddBackward0", "", (g, _, __, { dim, indices }, e) => [needs(e, 0) ? g : null, needs(e, 1) ? ix.gather(g, dim!, indices!) : null]),
  take: d("TakeBackward0", "", (g, _, __, { indices, shape }) => [ix.put(zeros(shape!, g), indices!, g, { accumulate: true })]),
  put: d("PutBackward0", "", (g, _, __, { indices, accumulate }, e) => [
    needs(e, 0) ? (accumulate ? g : ix.put(g, indices!, zeros(indices!.shape, g))) : null,
    needs(e, 1) ? ix.take(g, indices!) : null,
  ]),
  maskedFill: d("MaskedFillBackward0", "", (g, _, __, { mask }) => [ix.maskedFill(g, mask!, 0)]),
  maskedFillTensor: d("MaskedFillBackward1", "", (g, _, __, { mask }, e) => [
    needs(e, 0) ? ix.maskedFill(g, mask!, 0) : null,
    needs(e, 1) ? ix.maskedSelect(g, mask!).sum() : null,
  ]),
  maskedSelect: d("MaskedSelectBackward0", "", (g, _, __, { mask, shape }) => [ix.maskedScatterZeros(shape!, mask!, g)]),
} satisfies Record<string, Derivative>;
