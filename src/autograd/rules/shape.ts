/** Derivatives of the shape ops (see derivatives.ts for the entry format). */
import { needs, type Derivative, type DerivativeFn } from "../node.ts";
import type { Tensor } from "../../tensor.ts";
import { wrap, contiguousData } from "../../ops/elementwise.ts";
import { cumulative, diagonalScatter, flip, roll, rot90, triangle } from "../../ops/shape.ts";
import { cat, split } from "../../ops/movement.ts";
import { placeAlong } from "../../ops/sort.ts";

const d = (name: string, saves: string | readonly string[], fn: DerivativeFn): Derivative => ({ name, saves, fn });
/** PyTorch's maybe_multiply: a factor of 1 leaves the gradient as it is. */
const scaled = (g: Tensor, s: number): Tensor => (s === 1 ? g : g.mul(s));

/** cumsum from the end: the gradient of a running sum. */
const reversedCumsum = (g: Tensor, dim: number): Tensor => flip(cumulative("cumsum", flip(g, [dim]), dim), [dim]);

/** sort, topk, cummax, cummin: the gradient goes back to (is summed at) the positions the values came from. */
const placeBack: DerivativeFn = (g, _, __, { dim, indices, shape }) => [placeAlong(g, indices!, dim!, shape!)];

/**
 * cumprod's gradient, as PyTorch's cumprod_backward: with no zero in the input,
 * reversed_cumsum(g · out) / x; otherwise, per slice, the same before the first zero z, at z the
 * sum over j >= z of g_j times the product of x_0..x_j without x_z, and 0 after it.
 */
const cumprodRule: DerivativeFn = (g, [x], out, { dim }) => {
  const input = x!, dm = dim!;
  if (input.numel() <= 1 || input.shape[dm] === 1) return [g];
  if (!input.eq(0).any().item()) return [reversedCumsum(g.mul(out), dm).div(input)];
  // slice by slice along the last dim
  const xs = input.transpose(dm, -1).contiguous(), gs = g.transpose(dm, -1).contiguous();
  const n = xs.shape[xs.ndim - 1]!, res = g.dtype.alloc(xs.numel()) as Float64Array;
  const xd = contiguousData(xs) as Float64Array, gd = contiguousData(gs) as Float64Array;
  for (let row = 0; row < xd.length; row += n) cumprodSliceGrad(xd, gd, res, row, n);
  return [wrap(res, xs.shape, g.dtype).transpose(dm, -1)];
};

/** One slice of cumprod's gradient when it may hold zeros (see cumprodRule). */
function cumprodSliceGrad(x: Float64Array, g: Float64Array, res: Float64Array, row: number, n: number): void {
  let z = n;
  for (let i = 0; i < n; i++) if (x[row + i] === 0) { z = i; break; }
  // before the first zero: sum_{j >= k} g_j out_j / x_k, where out_j = 0 from z on
  let prefix = 1;
  const outs = new Float64Array(n);
  for (let i = 0; i < z; i++) { prefix *= x[row + i]!; outs[i] = prefix; }
  let acc = 0;
  for (let k = z - 1; k >= 0; k--) { acc += g[row + k]! * outs[k]!; res[row + k] = acc / x[row + k]!; }
  if (z === n) return;
  // at the first zero: the products of the others up to each j >= z
  let s = 0, p = z === 0 ? 1 : outs[z - 1]!;
  for (let j = z; j < n; j++) {
    if (j > z) p *= x[row + j]!;
    s += g[row + j]! * p;
  }
  res[row + z] = s;
}

/** The shape family's entries of the derivative table. */
export const shapeRules = {
  tril: d("TrilBackward0", "", (g, _, __, { diagonal }) => [triangle(g, diagonal!, false)]),
  triu: d("TriuBackward0", "", (g, _, __, { diagonal }) => [triangle(g, diagonal!, true)]),
  cumsum: d("CumsumBackward0", "", (g, _, __, { dim }) => [g.ndim === 0 ? g : reversedCumsum(g, dim!)]),
  cumprod: d("CumprodBackward0", "ao", cumprodRule),
  cummax: d("CummaxBackward0", "", placeBack),
  cummin: d("CumminBackward0", "", placeBack),
  flip: d("FlipBackward0", "", (g, _, __, { dims }) => [flip(g, dims!)]),
  roll: d("RollBackward0", "", (g, _, __, { shifts, dims }) => [roll(g, shifts!.map((s) => -s), dims!.length ? dims : undefined)]),
  // the sum over each repeat: g viewed as [r0, s0, r1, s1, ...], summed over the r's
  repeat: d("RepeatBackward0", "", (g, _, __, { sizes, shape }) => {
    const lead = sizes!.length - shape!.length, padded = [...new Array<number>(lead).fill(1), ...shape!];
    const split2 = padded.flatMap((s, i) => [sizes![i]!, s]);
    return [g.reshape(split2).sum({ dim: padded.map((_, i) => 2 * i) }).reshape(shape!)];
  }),
  // PyTorch runs repeat_interleave as an index_select; its gradient sums each group of repeats
  repeatInterleave: d("IndexSelectBackward0", "", (g, _, __, { dim, sizes }) => {
    const dm = dim!, counts = sizes!;
    if (counts.every((c) => c === counts[0]) && counts.length > 0) {
      const shape = [...g.shape];
      shape.splice(dm, 1, counts.length, counts[0]!);
      return [g.reshape(shape).sum(dm + 1)];
    }
    return [cat(split(g, counts, dm).map((p) => p.sum({ dim: dm, keepdim: true })), dm)];
  }),
  rot90: d("Rot90Backward0", "", (g, _, __, { k, dims }) => [rot90(g, -k!, dims!)]),
  diagEmbed: d("DiagEmbedBackward0", "", (g, _, __, { diagonal, dims }) => [g.diagonal(diagonal!, dims![0]!, dims![1]!)]),
  trace: d("TraceBackward0", "", (g, _, __, { shape }) => [diagonalScatter(g.expand(Math.min(shape![0]!, shape![1]!)), shape!, 0, 0, 1)]),
  diagonal: d("DiagonalBackward0", "", (g, _, __, { diagonal, dims, shape }) => [diagonalScatter(g, shape!, diagonal!, dims![0]!, dims![1]!)]),
  diag: d("DiagBackward0", "", (g, _, __, { diagonal, shape }) =>
    [shape!.length === 1 ? g.diagonal({ offset: diagonal! }).contiguous() : diagonalScatter(g, shape!, diagonal!, 0, 1)]),
  sort: d("SortBackward0", "", placeBack),
  sortStable: d("SortBackward1", "", placeBack),
  topk: d("TopkBackward0", "", placeBack),
  // torch.bmm (the "bmm" key is matmul's folded batch product, which PyTorch names apart)
  bmmOp: d("BmmBackward0", ["b", "a"], (g, [a, b], _, __, e) => [needs(e, 0) ? g.bmm(b!.mT) : null, needs(e, 1) ? a!.mT.bmm(g) : null]),
  // torch.addmm (the "addmm" key is linear's x Wᵀ + b)
  addmmOp: d("AddmmBackward0", ["", "c", "b"], (g, [, m1, m2], _, { alpha, beta }, e) => [
    needs(e, 0) ? scaled(g, beta!) : null,
    needs(e, 1) ? scaled(g.matmul(m2!.t()), alpha!) : null,
    needs(e, 2) ? scaled(m1!.t().matmul(g), alpha!) : null,
  ]),
  baddbmm: d("BaddbmmBackward0", ["", "c", "b"], (g, [, b1, b2], _, { alpha, beta }, e) => [
    needs(e, 0) ? scaled(g, beta!) : null,
    needs(e, 1) ? scaled(g.bmm(b2!.mT), alpha!) : null,
    needs(e, 2) ? scaled(b1!.mT.bmm(g), alpha!) : null,
  ]),
} satisfies Record<string, Derivative>;
