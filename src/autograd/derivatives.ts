/**
 * The one place that knows an op's autograd identity, as PyTorch's derivatives.yaml: its node
 * name, what its gradients read, and the rule giving each input's gradient from the output's `g`.
 * The engine sums broadcast gradients back to each input's shape, so rules ignore broadcasting.
 */
import { Tensor } from "../tensor.ts";
import { Layout } from "../core/layout.ts";
import { binary, wrap, writeRegion, contiguousData } from "../ops/elementwise.ts";
import { mseLossGrad, nllLossGrad } from "../ops/loss.ts";
import { sameShape } from "../core/shape.ts";
import { int64 } from "../core/dtype.ts";
import { needs, type Derivative, type DerivativeFn, type OpArgs } from "./node.ts";
import { accumulateProduct, accumulateSlice, accumulateSumRows, sliceBuffer } from "./engine.ts";
import { indexingRules } from "./rules/indexing.ts";
import { shapeRules } from "./rules/shape.ts";
import { mathRules } from "./rules/math.ts";
import { convRules } from "./rules/conv.ts";
import { normRules } from "./rules/norm.ts";
import { recurrentRules } from "./rules/recurrent.ts";
import { attentionRules } from "./rules/attention.ts";
import { activationRules } from "./rules/activation.ts";

/**
 * A rule named as PyTorch names its node. `saves` says what the gradients read ("a", "b", "c"
 * inputs, "o" output): one string for all of them, or one per input, so only what the needed
 * gradients read is kept alive and version-checked (PyTorch's SavedVariable).
 */
const d = (name: string, saves: string | readonly string[], fn: DerivativeFn): Derivative => ({ name, saves, fn });

const zerosOf = (shape: readonly number[], like: Tensor): Tensor => wrap(like.dtype.alloc(shape.reduce((p, s) => p * s, 1)), shape, like.dtype);

/** A zero tensor of `shape` with `g` written into the region a view op selected. */
function scatter(g: Tensor, shape: readonly number[], region: (l: Layout) => Layout): Tensor {
  const z = zerosOf(shape, g);
  writeThrough(z, region(z.layout), g);
  return z;
}

/** A tensor over `t`'s storage with another layout (no autograd: rules run under noGrad). */
const viewOf = (t: Tensor, layout: Layout): Tensor => new Tensor(t.storage, layout);

/** `g` (the base's shape) written through the base's layout into a fresh storage of the base's size. */
function baseGradient(g: Tensor, args: OpArgs): Tensor {
  const buf = zerosOf([args.storageSize!], g);
  writeThrough(buf, args.baseLayout!, g);
  return buf;
}

/**
 * `g` written through `region` of `buf`'s storage: in one pass from g's strides when the shapes
 * match (a head's transposed gradient into the q/k/v split: no contiguous copy first), else by
 * copy_, which broadcasts.
 */
function writeThrough(buf: Tensor, region: Layout, g: Tensor): void {
  if (sameShape(region.shape, g.shape)) writeRegion(buf, region, g);
  else viewOf(buf, region).copy_(g);
}

/** Puts reduced dims back (size 1) so `g` broadcasts over the input. */
function unreduce(g: Tensor, a: OpArgs): Tensor {
  if (a.keepdim) return g;
  let out = g;
  for (const d of a.dims!) out = out.unsqueeze(d);
  return out;
}

/** For each element, the product of the others along the reduced dim(s), as prefix × suffix. */
function exclusiveProducts(x: Tensor, dims: readonly number[]): Tensor {
  const all = dims.length !== 1 || x.ndim <= 1;
  const moved = all ? x.reshape(-1) : x.transpose(dims[0]!, -1).contiguous();
  const n = moved.shape[moved.ndim - 1] ?? 1, src = contiguousData(moved) as Float64Array;
  const res = x.dtype.alloc(src.length) as Float64Array;
  for (let row = 0; row < src.length; row += n) {
    const prefix = new Float64Array(n);
    for (let i = 0, p = 1; i < n; p *= src[row + i]!, i++) prefix[i] = p;
    for (let i = n - 1, q = 1; i >= 0; q *= src[row + i]!, i--) res[row + i] = prefix[i]! * q;
  }
  const prod = wrap(res, moved.shape, x.dtype);
  return all ? prod.reshape(x.shape) : prod.transpose(dims[0]!, -1);
}

/** Whether input i gets a gradient (its edge is not null). */

const half = (g: Tensor, a: Tensor, b: Tensor) => g.mul(a.eq(b).to(g.dtype).mul(-0.5).add(1));

/** Each reduction's rule serves its all-elements and along-dims forms, which PyTorch names apart. */
const sumRule: DerivativeFn = (g, _, __, args) => [(g.ndim === 0 ? g : unreduce(g, args)).expand(args.shape!)];
const meanRule: DerivativeFn = (g, _, __, args) => [(g.ndim === 0 ? g : unreduce(g, args)).expand(args.shape!).div(args.scale!)];
const prodRule: DerivativeFn = (g, [a], out, args) => {
  const x = a!, gu = unreduce(g, args), o = unreduce(out, args);
  const zeros = unreduce(x.eq(0).sum({ dim: args.dims!, keepdim: args.keepdim! }), args);
  // no zero: g·out/x; one zero: PyTorch's product of the elements before and after each one
  const withZero = gu.mul(exclusiveProducts(x, args.dims!)).where(zeros.eq(1), 0);
  return [gu.mul(o).div(x).where(o.ne(0), withZero)];
};
const extremeAllRule: DerivativeFn = (g, [a], out) => {
  const mask = a!.eq(out);
  return [g.div(mask.sum()).expand(mask.shape).where(mask, 0)];
};
const extremeDimRule: DerivativeFn = (g, _, __, { dim, keepdim, indices, shape: inputShape }) => {
  const size = inputShape![dim!]!;
  const range = wrap(BigInt64Array.from({ length: size }, (_, i) => BigInt(i)), [size], int64);
  const shape = inputShape!.map((s, d) => (d === dim ? s : 1));
  const idx = keepdim ? indices! : indices!.unsqueeze(dim!);
  return [(keepdim ? g : g.unsqueeze(dim!)).expand(inputShape!).where(range.reshape(shape).eq(idx), 0)];
};
const reshapeBack: DerivativeFn = (g, _, __, { shape }) => [g.reshape(shape!)];
const transposeBack: DerivativeFn = (g, _, __, { dims }) => [g.transpose(dims![0]!, dims![1]!)];
// split's pieces write into one buffer where the engine can (accumulateSlice)
const sliceBack: DerivativeFn = (g, _, __, { dim, start, end, step, shape }, e) => {
  if (step !== 1) return [scatter(g, shape!, (l) => l.slice(dim!, start, end, step))];
  if (accumulateSlice(e[0]!, g, dim!, start!, end!)) return [null];
  return [sliceBuffer(scatter(g, shape!, (l) => l.slice(dim!, start, end, 1)), dim!, start!, end!)];
};
// A select is a one-wide slice: the steps of a sequence (an RNN's x[t], unbind) write into one buffer
// instead of each making an input-sized gradient that the engine then adds up (quadratic in length).
const selectBack: DerivativeFn = (g, inputs, out, { dim, index, shape }, e) => {
  const i = index! < 0 ? index! + shape![dim!]! : index!;
  return sliceBack(g.unsqueeze(dim!), inputs, out, { dim, start: i, end: i + 1, step: 1, shape }, e);
};
/** A 2-D operand stored transposed (a `weight.T`; undefined when not saved): its gradient is made in the same layout, so it arrives at the leaf contiguous. */
const transposed2d = (t: Tensor | undefined) => t !== undefined && t.ndim === 2 && t.layout.strides[0] === 1 && t.layout.strides[1] === t.shape[0] && t.shape[0] !== 1 && t.shape[1] !== 1;
// PyTorch's mm_mat1_backward / mm_mat2_backward: (g bᵀ) as (b gᵀ)ᵀ and (aᵀ g) as (gᵀ a)ᵀ for an operand stored transposed (the same products)
const matmulRule: DerivativeFn = (g, [a, b], _, __, e) => [
  needs(e, 0) ? (transposed2d(a) ? b!.matmul(g.mT).mT : g.matmul(b!.mT)) : null,
  needs(e, 1) ? (transposed2d(b) ? g.mT.matmul(a!).mT : a!.mT.matmul(g)) : null,
];
// the weight's and bias's gradients go straight into their kept .grad where the engine can
// (accumulateProduct, accumulateSumRows)
const linearRule: DerivativeFn = (g, [x, w], _, __, e) => {
  return [
    needs(e, 0) ? g.matmul(w!) : null,
    // gᵀx: accumulated reads g transposed by its layout, with no view tensor
    needs(e, 1) && !accumulateProduct(e[1]!, g, x!, true) ? g.mT.matmul(x!) : null,
    // linearNoBias records two inputs: no third edge, no bias gradient
    e.length > 2 && needs(e, 2) && !accumulateSumRows(e[2]!, g) ? g.sum(0) : null,
  ];
};

/**
 * The derivative table, keyed by op: PyTorch's node name, what each input's gradient reads, and
 * the rule. Ops call `record(key, ...)`; a key missing here is a compile error at the call.
 */
export const derivatives = {
  toCopy: d("ToCopyBackward0", "", (g) => [g]),
  clone: d("CloneBackward0", "", (g) => [g]),
  neg: d("NegBackward0", "", (g) => [g.neg()]),
  exp: d("ExpBackward0", "o", (g, _, out) => [g.mul(out)]),
  log: d("LogBackward0", "a", (g, [a]) => [g.div(a!)]),
  sqrt: d("SqrtBackward0", "o", (g, _, out) => [g.div(out.mul(2))]),
  abs: d("AbsBackward0", "a", (g, [a]) => [g.mul(a!.sign())]),
  sign: d("SignBackward0", "", (g) => [g.zerosLike()]),
  relu: d("ReluBackward0", "o", (g, _, out) => [binary("reluGrad", g, out)]),
  sigmoid: d("SigmoidBackward0", "o", (g, _, out) => [binary("sigmoidGrad", g, out)]),
  tanh: d("TanhBackward0", "o", (g, _, out) => [binary("tanhGrad", g, out)]),
  sin: d("SinBackward0", "a", (g, [a]) => [g.mul(a!.cos())]),
  cos: d("CosBackward0", "a", (g, [a]) => [g.mul(a!.sin().neg())]),
  erf: d("ErfBackward0", "a", (g, [a]) => [g.mul(a!.square().neg().exp().mul(2 / Math.sqrt(Math.PI)))]),
  add: d("AddBackward0", "", (g) => [g, g]),
  sub: d("SubBackward0", "", (g, _, __, ___, e) => [g, needs(e, 1) ? g.neg() : null]),
  mul: d("MulBackward0", ["b", "a"], (g, [a, b], _, __, e) => [needs(e, 0) ? g.mul(b!) : null, needs(e, 1) ? g.mul(a!) : null]),
  div: d("DivBackward0", ["b", "ab"], (g, [a, b], _, __, e) => [needs(e, 0) ? g.div(b!) : null, needs(e, 1) ? g.neg().mul(a!).div(b!.mul(b!)) : null]),
  maximum: d("MaximumBackward0", "ab", (g, [a, b]) => [half(g, a!, b!).where(a!.ge(b!), 0), half(g, a!, b!).where(b!.ge(a!), 0)]),
  minimum: d("MinimumBackward0", "ab", (g, [a, b]) => [half(g, a!, b!).where(a!.le(b!), 0), half(g, a!, b!).where(b!.le(a!), 0)]),
  pow: d("PowBackward1", ["ab", "abo"], (g, [a, b], out, __, e) => [
    needs(e, 0) ? g.mul(b!).mul(a!.pow(b!.sub(1))).where(b!.ne(0), 0) : null,
    needs(e, 1) ? g.mul(out.mul(a!.log()).where(a!.ne(0).logicalOr(b!.lt(0)), 0)) : null,
  ]),
  // x.pow(1) is x itself, so a square's gradient skips that pass
  powScalar: d("PowBackward0", "a", (g, [a], _, { min: e }) => [e === 0 ? g.zerosLike() : g.mul(e!).mul(e === 2 ? a! : a!.pow(e! - 1))]),
  // two selects instead of a mask's logical and: the same values, on the SIMD kernels
  clamp: d("ClampBackward1", "a", (g, [a], _, { min, max }) => [g.where(a!.ge(min!), 0).where(a!.le(max!), 0)]),
  where: d("WhereBackward0", "a", (g, [c]) => [null, g.where(c!, 0), g.where(c!.logicalNot(), 0)]),
  select: d("SelectBackward0", "", selectBack),
  unbind: d("UnbindBackward0", "", selectBack),
  slice: d("SliceBackward0", "", sliceBack),
  split: d("SplitBackward0", "", sliceBack),
  splitWithSizes: d("SplitWithSizesBackward0", "", sliceBack),
  transpose: d("TransposeBackward0", "", transposeBack),
  t: d("TBackward0", "", transposeBack),
  permute: d("PermuteBackward0", "", (g, _, __, { perm }) => [g.permute(perm!.map((_, i) => perm!.indexOf(i)))]),
  view: d("ViewBackward0", "", reshapeBack),
  reshapeAlias: d("ReshapeAliasBackward0", "", reshapeBack),
  unsafeView: d("UnsafeViewBackward0", "", reshapeBack),
  unsqueeze: d("UnsqueezeBackward0", "", reshapeBack),
  squeeze: d("SqueezeBackward0", "", reshapeBack),
  squeezeDim: d("SqueezeBackward1", "", reshapeBack),
  expand: d("ExpandBackward0", "", (g) => [g]),
  cat: d("CatBackward0", "", (g, _, __, { dim, sizes }) => g.split(sizes!, dim!)),
  stack: d("StackBackward0", "", (g, _, __, { dim, sizes }) => g.split(sizes!, dim!).map((p) => p.squeeze(dim!))),
  sum: d("SumBackward0", "", sumRule),
  sumDim: d("SumBackward1", "", sumRule),
  mean: d("MeanBackward0", "", meanRule),
  meanDim: d("MeanBackward1", "", meanRule),
  prod: d("ProdBackward0", "ao", prodRule),
  prodDim: d("ProdBackward1", "ao", prodRule),
  maxAll: d("MaxBackward1", "ao", extremeAllRule),
  minAll: d("MinBackward1", "ao", extremeAllRule),
  maxDim: d("MaxBackward0", "", extremeDimRule),
  minDim: d("MinBackward0", "", extremeDimRule),
  mm: d("MmBackward0", ["b", "a"], matmulRule),
  // PyTorch's matmul folds batched operands and ends with a view or squeeze node
  bmm: d("UnsafeViewBackward0", ["b", "a"], matmulRule),
  // y = x Wᵀ (+ b) as one node: PyTorch's addmm, or mm without a bias
  addmm: d("AddmmBackward0", ["b", "a"], linearRule),
  linearNoBias: d("MmBackward0", ["b", "a"], linearRule),
  // the identity a module's full backward hooks watch (nn.Module.registerFullBackwardHook)
  backwardHook: d("BackwardHookFunctionBackward", "", (g) => [g]),
  // an in-place write into a view: the base's gradient outside the view, and the view's part to `r`
  copySlices: d("CopySlices", "", (g, _, __, args, e) => {
    const region = viewOf(baseGradient(g, args), args.viewLayout!);
    const gr = needs(e, 1) ? region.clone() : null;
    if (!needs(e, 0)) return [null, gr];
    region.fill_(0);
    return [viewOf(region, args.baseLayout!).contiguous(), gr];
  }),
  asStrided: d("AsStridedBackward0", "", (g, _, __, args) => {
    const buf = zerosOf([args.storageSize!], g);
    viewOf(buf, args.viewLayout!).copy_(g);
    return [viewOf(buf, args.baseLayout!).contiguous()];
  }),
  // PyTorch's mse_loss_backward: scale · (input - target) · g, each product rounded in the dtype
  mseLoss: d("MseLossBackward0", "ab", (g, [x, y], _, { scale }, e) => {
    const gi = mseLossGrad(x!, y!, scale!, g) ?? x!.sub(y!).mul_(scale!).mul_(g);
    return [needs(e, 0) ? gi : null, needs(e, 1) ? gi.neg() : null];
  }),
  // PyTorch's nll_loss_backward: -g (the mean's -g / total) at each kept sample's target class
  nll: d("NllLossBackward0", "", (g, _, __, { shape, nll }) => [nllLossGrad(shape!, nll!, g)]),
  // each op family keeps its entries in rules/<family>.ts
  ...indexingRules,
  ...shapeRules,
  ...mathRules,
  ...convRules,
  ...normRules,
  ...recurrentRules,
  ...attentionRules,
  ...activationRules,
} satisfies Record<string, Derivative>;

/**
 * Ops composed of other ops: PyTorch records them as one node of its own name, torchlet records
 * the parts and gives the last node that name (`named(out, key)`), so `gradFn` prints PyTorch's.
 */
export const composites = {
  dot: "DotBackward0",
  mv: "MvBackward0",
  vecMat: "SqueezeBackward3",
  matBatch: "CloneBackward0",
  matmulFolded: "UnsafeViewBackward0",
  linearAddmm: "AddmmBackward0",
  linearNd: "ViewBackward0",
  linear1d: "AddBackward0",
  nllLoss: "NllLossBackward0",
  nllLoss2d: "NllLoss2DBackward0",
  nllLossView: "ViewBackward0",
  crossEntropyProbs: "DivBackward1",
  bceWithLogits: "BinaryCrossEntropyWithLogitsBackward0",
  // margin_ranking_loss's clamp_min_(0)
  clampMin: "ClampMinBackward0",
} as const;

/** The ops that have a derivative. */
export type DerivativeKey = keyof typeof derivatives;
/** The composed ops whose last node takes PyTorch's name. */
export type CompositeKey = keyof typeof composites;
