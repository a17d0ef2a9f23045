/**
 * Numerical gradient checks: every key of the derivative table, and every differentiable public op
 * (including those composed from others), against central differences in float64.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as torch from "../src/index.ts";
import * as F from "../src/nn/functional.ts";
import type { Tensor } from "../src/index.ts";
import { AutogradError, DTypeError, ValueError } from "../src/errors.ts";
import { gradcheck, type GradcheckFn, type GradcheckOptions } from "../src/autograd/gradcheck.ts";
import { derivatives, type DerivativeKey } from "../src/autograd/derivatives.ts";
import type { Derivative, Node } from "../src/autograd/node.ts";
import { logSigmoid, softplus } from "../src/ops/math.ts";

/** Deterministic values in [lo, hi): a small LCG, so the checks never depend on the generator under test. */
function values(n: number, lo: number, hi: number, seed: number): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return lo + ((s / 2 ** 32) * (hi - lo));
  });
}

let seed = 1;
/** A float64 leaf that requires grad; values stay away from kinks and domain edges by the range given. */
function x(shape: number[], lo = -2, hi = 2): Tensor {
  const n = shape.reduce((p, s) => p * s, 1);
  return torch.tensor(values(n, lo, hi, seed++), { dtype: torch.float64 }).reshape(shape).requiresGrad_();
}
const mask = (pattern: boolean[]): Tensor => torch.tensor(pattern);
const long = (v: number[]): Tensor => torch.tensor(v, { dtype: torch.int64 });
const idx = (v: number[][]): Tensor => torch.tensor(v, { dtype: torch.int64 });

interface Check { name: string; fn: GradcheckFn; inputs: () => Tensor[]; options?: GradcheckOptions }
const c = (name: string, fn: GradcheckFn, inputs: () => Tensor[], options?: GradcheckOptions): Check => ({ name, fn, inputs, options });

/** One or more checks per public op; together they reach every derivative in the table. */
const OPS: Record<string, Check[]> = {
  add: [c("broadcast", (a, b) => a!.add(b!), () => [x([2, 3]), x([3])]), c("scalar", (a) => a!.add(2.5), () => [x([3])])],
  sub: [c("broadcast", (a, b) => a!.sub(b!), () => [x([2, 1]), x([1, 4])])],
  mul: [c("broadcast", (a, b) => a!.mul(b!), () => [x([4, 1, 3]), x([2, 1])]), c("self", (a) => a!.mul(a!), () => [x([3])])],
  div: [c("broadcast", (a, b) => a!.div(b!), () => [x([2, 3]), x([3], 0.5, 2)])],
  pow: [
    c("scalar", (a) => a!.pow(3), () => [x([2, 3])]),
    c("scalar_fraction", (a) => a!.pow(0.5), () => [x([4], 0.5, 2)]),
    c("tensor", (a, b) => a!.pow(b!), () => [x([2, 3], 0.5, 2), x([3])]),
  ],
  maximum: [c("broadcast", (a, b) => a!.maximum(b!), () => [x([2, 3]), x([3])])],
  minimum: [c("broadcast", (a, b) => a!.minimum(b!), () => [x([2, 1]), x([1, 3])])],
  neg: [c("2x3", (a) => a!.neg(), () => [x([2, 3])])],
  exp: [c("2x3", (a) => a!.exp(), () => [x([2, 3])])],
  log: [c("2x3", (a) => a!.log(), () => [x([2, 3], 0.2, 3)])],
  sqrt: [c("2x3", (a) => a!.sqrt(), () => [x([2, 3], 0.2, 3)])],
  abs: [c("2x3", (a) => a!.abs(), () => [x([2, 3])])],
  relu: [c("2x3", (a) => a!.relu(), () => [x([2, 3])])],
  sigmoid: [c("2x3", (a) => a!.sigmoid(), () => [x([2, 3])])],
  tanh: [c("2x3", (a) => a!.tanh(), () => [x([2, 3])])],
  sign: [c("2x3", (a) => a!.sign(), () => [x([2, 3])])],
  sin: [c("2x3", (a) => a!.sin(), () => [x([2, 3])])],
  cos: [c("2x3", (a) => a!.cos(), () => [x([2, 3])])],
  erf: [c("2x3", (a) => a!.erf(), () => [x([2, 3])])],
  clamp: [
    c("both", (a) => a!.clamp({ min: -0.5, max: 0.5 }), () => [x([3, 4])]),
    c("min_only", (a) => a!.clamp({ min: 0.1 }), () => [x([5])]),
  ],
  softmax: [c("dim0", (a) => a!.softmax(0), () => [x([3, 4])]), c("dim_neg1", (a) => a!.softmax(-1), () => [x([2, 3, 4])])],
  logSoftmax: [c("dim1", (a) => a!.logSoftmax(1), () => [x([3, 4])])],
  matmul: [
    c("2d_2d", (a, b) => a!.matmul(b!), () => [x([2, 4]), x([4, 3])]),
    c("1d_1d", (a, b) => a!.matmul(b!), () => [x([4]), x([4])]),
    c("1d_2d", (a, b) => a!.matmul(b!), () => [x([3]), x([3, 2])]),
    c("batched_broadcast", (a, b) => a!.matmul(b!), () => [x([2, 1, 2, 3]), x([3, 3, 2])]),
  ],
  linear: [
    c("with_bias", (a, w, b) => torch.nn.functional.linear(a!, w!, b!), () => [x([3, 4]), x([2, 4]), x([2])]),
    c("no_bias", (a, w) => torch.nn.functional.linear(a!, w!), () => [x([3, 4]), x([2, 4])]),
    c("transposed_input", (a, w, b) => torch.nn.functional.linear(a!.T, w!, b!), () => [x([4, 3]), x([2, 4]), x([2])]),
  ],
  nll: [
    c("mean_ignored", (a) => torch.nn.functional.nllLoss(a!, torch.tensor([1, 0, 3], { dtype: torch.int64 }), { ignoreIndex: 0 }), () => [x([3, 4])]),
    c("sum", (a) => torch.nn.functional.nllLoss(a!, torch.tensor([2, 2], { dtype: torch.int64 }), { reduction: "sum" }), () => [x([2, 4])]),
    c("none_1d", (a) => torch.nn.functional.nllLoss(a!, torch.tensor(1, { dtype: torch.int64 }), { reduction: "none" }), () => [x([5])]),
  ],
  mseLoss: [
    c("mean", (a, b) => torch.nn.functional.mseLoss(a!, b!), () => [x([2, 3]), x([2, 3])]),
    c("sum_broadcast_target", (a, b) => torch.nn.functional.mseLoss(a!, b!, { reduction: "sum" }), () => [x([2, 3]), x([3])]),
    c("none", (a, b) => torch.nn.functional.mseLoss(a!, b!, { reduction: "none" }), () => [x([4]), x([4])]),
  ],
  where: [c("broadcast", (a, b) => torch.where(mask([true, false, true]), a!, b!), () => [x([2, 3]), x([3])])],
  sum: [c("all", (a) => a!.sum(), () => [x([2, 3])]), c("dims_keepdim", (a) => a!.sum({ dim: [0, 2], keepdim: true }), () => [x([2, 3, 2])])],
  mean: [c("dim", (a) => a!.mean({ dim: 1 }), () => [x([2, 3])]), c("all", (a) => a!.mean(), () => [x([4])])],
  prod: [c("all", (a) => a!.prod(), () => [x([2, 3], 0.5, 1.5)]), c("dim", (a) => a!.prod({ dim: 1, keepdim: true }), () => [x([3, 4])])],
  var: [c("all", (a) => a!.var(), () => [x([2, 3])]), c("dim", (a) => a!.var({ dim: 0, keepdim: true }), () => [x([3, 2])])],
  std: [c("dim", (a) => a!.std({ dim: 1 }), () => [x([2, 4])])],
  max: [c("all", (a) => a!.max(), () => [x([2, 3])]), c("dim", (a) => a!.max({ dim: 1 }).values, () => [x([3, 4])])],
  min: [c("all", (a) => a!.min(), () => [x([2, 3])]), c("dim", (a) => a!.min({ dim: 0, keepdim: true }).values, () => [x([3, 4])])],
  at: [c("two_indices", (a) => a!.at(1, -1), () => [x([2, 3, 4])])],
  slice: [c("step", (a) => a!.slice(1, 0, 5, 2), () => [x([2, 5])])],
  narrow: [c("dim1", (a) => a!.narrow(1, 1, 2), () => [x([2, 4])])],
  transpose: [c("0_2", (a) => a!.transpose(0, 2), () => [x([2, 3, 4])])],
  t: [c("2x3", (a) => a!.t(), () => [x([2, 3])])],
  backwardHook: (() => {
    const lin = new torch.nn.Linear(3, 2, { dtype: torch.float64 });
    lin.registerFullBackwardHook(() => undefined);
    return [c("a module with a full backward hook", (a) => lin(a!), () => [x([2, 3])])];
  })(),
  batchNorm: [
    c("train", (a, w, b) => torch.nn.functional.batchNorm(a!, null, null, { weight: w!, bias: b!, training: true }), () => [x([3, 2, 2]), x([2]), x([2])]),
    c("eval", (a, w) => torch.nn.functional.batchNorm(a!, torch.tensor([0.1, -0.2], { dtype: torch.float64 }), torch.tensor([0.5, 2], { dtype: torch.float64 }), { weight: w! }), () => [x([3, 2]), x([2])]),
  ],
  layerNorm: [c("last_two", (a, w, b) => torch.nn.functional.layerNorm(a!, [2, 3], { weight: w!, bias: b! }), () => [x([2, 2, 3]), x([2, 3]), x([2, 3])])],
  groupNorm: [c("2_groups", (a, w, b) => torch.nn.functional.groupNorm(a!, 2, { weight: w!, bias: b! }), () => [x([2, 4, 3]), x([4]), x([4])])],
  embedding: [c("repeats_and_padding", (w) => torch.nn.functional.embedding(torch.tensor([[1n, 3n], [3n, 0n]]), w!), () => [x([4, 3])])],
  copySlices: [
    c("mul_ into a row of a result", (a, b) => { const h = a!.mul(2); h.at(0).mul_(b!); return h; }, () => [x([2, 3]), x([3])]),
    c("a view read after its write", (a) => { const h = a!.mul(2), v = h.at(1); v.mul_(3); return v.add(h.sum()); }, () => [x([2, 3])]),
    c("copy_ into a slice of a plain tensor", (q) => { const z = torch.zeros([4], { dtype: torch.float64 }); z.slice(0, 1, 3).copy_(q!.mul(3)); return z.mul(z); }, () => [x([2])]),
  ],
  unbind: [c("dim1", (a) => a!.unbind(1), () => [x([2, 3])])],
  permute: [c("2_0_1", (a) => a!.permute(2, 0, 1), () => [x([2, 3, 4])])],
  T: [c("2d", (a) => a!.T, () => [x([2, 3])])],
  mT: [c("3d", (a) => a!.mT, () => [x([2, 3, 4])])],
  view: [c("infer", (a) => a!.view(3, -1), () => [x([2, 3])])],
  reshape: [c("noncontiguous", (a) => a!.T.reshape(6), () => [x([2, 3])])],
  unsqueeze: [c("middle", (a) => a!.unsqueeze(1), () => [x([2, 3])])],
  squeeze: [c("all", (a) => a!.squeeze(), () => [x([1, 3, 1])]), c("dim", (a) => a!.squeeze(0), () => [x([1, 3])])],
  expand: [c("broadcast", (a) => a!.expand(2, 3, 4), () => [x([3, 1])])],
  flatten: [c("start1", (a) => a!.flatten(1), () => [x([2, 3, 2])])],
  contiguous: [c("transposed", (a) => a!.T.contiguous(), () => [x([2, 3])])],
  clone: [c("2x3", (a) => a!.clone(), () => [x([2, 3])])],
  // a float32 round trip: central differences only resolve float32's 7 digits with a larger step
  to: [c("float32_round_trip", (a) => a!.mul(2).to(torch.float32).to(torch.float64), () => [x([3])], { eps: 1e-2, atol: 1e-4 })],
  cat: [c("dim1", (a, b) => torch.cat([a!, b!], 1), () => [x([2, 3]), x([2, 1])])],
  stack: [c("dim_neg1", (a, b) => torch.stack([a!, b!], -1), () => [x([2, 3]), x([2, 3])])],
  split: [c("uneven", (a) => a!.split(2, 1), () => [x([2, 5])]), c("sections", (a) => a!.split([1, 3], 0), () => [x([4, 2])])],
  chunk: [c("3", (a) => a!.chunk(3, 0), () => [x([5, 2])])],
  // ---- conv family: convolution, pooling, padding, unfold/fold ----
  conv2d: [
    c("stride_pad_bias", (a, w, b) => F.conv2d(a!, w!, { bias: b!, stride: 2, padding: 1 }), () => [x([2, 2, 5, 4]), x([3, 2, 3, 2]), x([3])]),
    c("groups_dilation", (a, w) => F.conv2d(a!, w!, { groups: 2, dilation: [1, 2], padding: "same" }), () => [x([1, 4, 4, 5]), x([2, 2, 2, 2])]),
  ],
  conv1d: [c("groups", (a, w, b) => F.conv1d(a!, w!, { bias: b!, groups: 2, stride: 2 }), () => [x([2, 2, 7]), x([4, 1, 3]), x([4])])],
  convTranspose2d: [
    c("stride_groups", (a, w, b) => F.convTranspose2d(a!, w!, { bias: b!, stride: 2, padding: 1, outputPadding: 1, groups: 2 }),
      () => [x([1, 2, 3, 3]), x([2, 2, 3, 2]), x([4])]),
  ],
  maxPool2d: [c("k3s2p1", (a) => F.maxPool2d(a!, 3, { stride: 2, padding: 1 }), () => [x([2, 2, 5, 5])])],
  avgPool2d: [c("ceil_exclude_pad", (a) => F.avgPool2d(a!, 3, { stride: 2, padding: 1, ceilMode: true, countIncludePad: false }), () => [x([1, 2, 6, 5])])],
  adaptiveAvgPool2d: [c("3x2", (a) => F.adaptiveAvgPool2d(a!, [3, 2]), () => [x([2, 1, 5, 5])])],
  adaptiveMaxPool2d: [c("2x3", (a) => F.adaptiveMaxPool2d(a!, [2, 3]), () => [x([1, 2, 5, 7])])],
  pad: [
    c("constant", (a) => F.pad(a!, [1, 2, -1, 1], { value: 0.5 }), () => [x([2, 3, 4])]),
    c("reflect_1d", (a) => F.pad(a!, [2, 1], { mode: "reflect" }), () => [x([2, 4])]),
    c("reflect_2d", (a) => F.pad(a!, [2, 1, 1, 2], { mode: "reflect" }), () => [x([1, 2, 3, 4])]),
    c("reflect_3d", (a) => F.pad(a!, [1, 1, 1, 0, 0, 1], { mode: "reflect" }), () => [x([1, 1, 2, 3, 3])]),
    c("replicate_1d", (a) => F.pad(a!, [2, 3], { mode: "replicate" }), () => [x([1, 2, 3])]),
    c("replicate_2d", (a) => F.pad(a!, [1, 2, 2, 0], { mode: "replicate" }), () => [x([2, 3, 3])]),
    c("replicate_3d", (a) => F.pad(a!, [1, 0, 0, 1, 1, 1], { mode: "replicate" }), () => [x([1, 1, 2, 2, 3])]),
    c("circular", (a) => F.pad(a!, [2, -1, 1, 1], { mode: "circular" }), () => [x([1, 2, 3, 4])]),
  ],
  unfold: [c("pad_stride", (a) => F.unfold(a!, [2, 3], { padding: 1, stride: [2, 1] }), () => [x([2, 2, 4, 4])])],
  fold: [c("dilation", (a) => F.fold(a!, [4, 5], 2, { dilation: 2 }), () => [x([1, 8, 6])])],
  // ---- shape ----
  tril: [c("diag1", (a) => a!.tril(1), () => [x([3, 4])]), c("batched_neg", (a) => torch.tril(a!, -1), () => [x([2, 3, 3])])],
  triu: [c("diag0", (a) => a!.triu(), () => [x([3, 4])]), c("inplace", (a) => a!.mul(1).triu_(1), () => [x([4, 3])])],
  cumsum: [c("dim1", (a) => a!.cumsum(1), () => [x([3, 4])]), c("dim0_3d", (a) => torch.cumsum(a!, 0), () => [x([3, 2, 2])])],
  cumprod: [
    c("no_zero", (a) => a!.cumprod(1), () => [x([3, 4])]),
    c("zeros", (a) => a!.mul(torch.tensor([[1, 0, 1, 1], [0, 1, 0, 1], [1, 1, 1, 1]], { dtype: torch.float64 })).cumprod(1), () => [x([3, 4])]),
  ],
  flip: [c("0_2", (a) => a!.flip(0, 2), () => [x([2, 3, 2])])],
  roll: [c("two_dims", (a) => a!.roll([1, -2], [0, 1]), () => [x([3, 4])]), c("flat", (a) => a!.roll(5), () => [x([2, 3])])],
  repeat: [c("new_dims", (a) => a!.repeat(2, 1, 3), () => [x([2, 3])])],
  tile: [c("short", (a) => a!.tile(2), () => [x([2, 3])])],
  repeatInterleave: [
    c("int_dim", (a) => a!.repeatInterleave(2, 1), () => [x([2, 3])]),
    c("tensor", (a) => a!.repeatInterleave(torch.tensor([2, 0, 1], { dtype: torch.int64 }), 0), () => [x([3, 2])]),
  ],
  diagonal: [c("offset_dims", (a) => a!.diagonal(1, 1, 2), () => [x([2, 3, 4])])],
  diag: [c("vector", (a) => a!.diag(-1), () => [x([3])]), c("matrix", (a) => a!.diag(1), () => [x([3, 4])])],
  outer: [c("vectors", (a, b) => torch.outer(a!, b!), () => [x([3]), x([4])])],
  meshgrid: [c("xy", (a, b) => torch.meshgrid(a!, b!, { indexing: "xy" }), () => [x([3]), x([2])])],
  sort: [
    c("dim0_desc", (a) => a!.sort({ dim: 0, descending: true }).values, () => [x([4, 3])]),
    c("stable", (a) => a!.sort({ stable: true }).values, () => [x([3, 5])]),
  ],
  topk: [c("dim1", (a) => a!.topk(2, { dim: 1 }).values, () => [x([3, 5])])],
  bmm: [c("3d", (a, b) => torch.bmm(a!, b!), () => [x([2, 3, 4]), x([2, 4, 2])])],
  addmm: [c("scaled_broadcast", (i, a, b) => torch.addmm(i!, a!, b!, { beta: 0.5, alpha: 2 }), () => [x([2]), x([3, 4]), x([4, 2])])],
  baddbmm: [c("scaled", (i, a, b) => torch.baddbmm(i!, a!, b!, { beta: -1, alpha: 0.5 }), () => [x([2, 3, 1]), x([2, 3, 4]), x([2, 4, 1])])],
  cummax: [c("dim1", (a) => a!.cummax(1).values, () => [x([3, 4])])],
  cummin: [c("dim0", (a) => torch.cummin(a!, 0).values, () => [x([4, 3])])],
  rot90: [c("k1", (a) => a!.rot90(), () => [x([2, 3])]), c("k_neg_dims", (a) => a!.rot90(-1, [2, 0]), () => [x([2, 3, 2])])],
  diagEmbed: [c("offset_dims", (a) => a!.diagEmbed(1, 0, 2), () => [x([2, 3])])],
  trace: [c("3x4", (a) => a!.trace(), () => [x([3, 4])])],
  mm: [c("2d", (a, b) => torch.mm(a!, b!), () => [x([2, 3]), x([3, 2])])],
  mv: [c("2d_1d", (a, v) => torch.mv(a!, v!), () => [x([2, 3]), x([3])])],
  dot: [c("1d", (a, b) => torch.dot(a!, b!), () => [x([3]), x([3])])],
  movedim: [c("two", (a) => a!.movedim([0, 2], [2, 0]), () => [x([2, 3, 2])])],
  unflatten: [c("infer", (a) => a!.unflatten(1, [-1, 2]), () => [x([2, 4])])],
  ravel: [c("transposed", (a) => a!.t().ravel(), () => [x([2, 3])])],
  einsum: [
    c("attention", (q, k) => torch.einsum("bqd,bkd->bqk", q!, k!), () => [x([2, 3, 4]), x([2, 2, 4])]),
    c("trace_and_three", (a, b, m) => torch.einsum("ii,jk,kj->j", a!, b!, m!), () => [x([3, 3]), x([2, 4]), x([4, 2])]),
  ],
  // ---- math ----
  floor: [c("2x3", (a) => a!.floor(), () => [x([2, 3], 0.1, 0.9)])],
  ceil: [c("2x3", (a) => a!.ceil(), () => [x([2, 3], 0.1, 0.9)])],
  round: [c("2x3", (a) => a!.round(), () => [x([2, 3], 0.1, 0.4)]), c("decimals", (a) => a!.round({ decimals: 1 }), () => [x([4], 0.11, 0.14)])],
  trunc: [c("2x3", (a) => a!.trunc(), () => [x([2, 3], 0.1, 0.9)])],
  sgn: [c("2x3", (a) => a!.sgn(), () => [x([2, 3])])],
  frac: [c("2x3", (a) => a!.frac(), () => [x([2, 3], 0.1, 0.9)])],
  reciprocal: [c("2x3", (a) => a!.reciprocal(), () => [x([2, 3], 0.5, 2)])],
  rsqrt: [c("2x3", (a) => a!.rsqrt(), () => [x([2, 3], 0.5, 2)])],
  log1p: [c("2x3", (a) => a!.log1p(), () => [x([2, 3], -0.5, 2)])],
  expm1: [c("2x3", (a) => a!.expm1(), () => [x([2, 3])])],
  log2: [c("2x3", (a) => a!.log2(), () => [x([2, 3], 0.5, 2)])],
  log10: [c("2x3", (a) => a!.log10(), () => [x([2, 3], 0.5, 2)])],
  exp2: [c("2x3", (a) => a!.exp2(), () => [x([2, 3])])],
  tan: [c("2x3", (a) => a!.tan(), () => [x([2, 3], -1.2, 1.2)])],
  asin: [c("2x3", (a) => a!.asin(), () => [x([2, 3], -0.9, 0.9)])],
  acos: [c("2x3", (a) => a!.acos(), () => [x([2, 3], -0.9, 0.9)])],
  atan: [c("2x3", (a) => a!.atan(), () => [x([2, 3])])],
  sinh: [c("2x3", (a) => a!.sinh(), () => [x([2, 3])])],
  cosh: [c("2x3", (a) => a!.cosh(), () => [x([2, 3])])],
  remainder: [
    c("tensor", (a, b) => a!.remainder(b!), () => [x([2, 3], 0.1, 0.9), x([3], 1.1, 1.9)]),
    c("scalar", (a) => a!.remainder(-1.5), () => [x([4], 0.1, 1.4)]),
  ],
  fmod: [
    c("tensor", (a, b) => a!.fmod(b!), () => [x([2, 3], 2.1, 2.9), x([3], 1.1, 1.9)]),
    c("scalar", (a) => a!.fmod(1.5), () => [x([4], 0.1, 1.4)]),
  ],
  divRounded: [
    c("trunc", (a, b) => a!.div(b!, { roundingMode: "trunc" }), () => [x([2, 3], 0.1, 0.4), x([3], 1.1, 1.9)]),
    c("floor_scalar", (a) => a!.div(2, { roundingMode: "floor" }), () => [x([4], 0.1, 1.9)]),
  ],
  atan2: [c("broadcast", (a, b) => a!.atan2(b!), () => [x([2, 3]), x([3], 0.5, 2)])],
  nanToNum: [c("finite", (a) => a!.nanToNum(), () => [x([2, 3])])],
  lerp: [
    c("scalar_weight", (a, b) => a!.lerp(b!, 0.3), () => [x([2, 3]), x([3])]),
    c("tensor_weight", (a, b, w) => a!.lerp(b!, w!), () => [x([2, 3]), x([2, 3]), x([3], 0, 1)]),
  ],
  addcmul: [c("broadcast", (a, b, t) => a!.addcmul(b!, t!, { value: 0.5 }), () => [x([2, 3]), x([3]), x([2, 1])])],
  addcdiv: [c("broadcast", (a, b, t) => a!.addcdiv(b!, t!, { value: -2 }), () => [x([2, 3]), x([2, 3]), x([3], 0.5, 2)])],
  logsumexp: [c("dims", (a) => a!.logsumexp([0, 2]), () => [x([2, 3, 2])]), c("keepdim", (a) => a!.logsumexp(1, true), () => [x([3, 4])])],
  amax: [c("dims", (a) => a!.amax([0, 2]), () => [x([2, 3, 2])])],
  amin: [c("keepdim", (a) => a!.amin(1, true), () => [x([3, 4])])],
  vectorNorm: [
    c("2", (a) => torch.linalg.vectorNorm(a!), () => [x([3, 4])]),
    c("1_dim", (a) => torch.linalg.vectorNorm(a!, { ord: 1, dim: 1 }), () => [x([3, 4])]),
    c("inf", (a) => torch.linalg.vectorNorm(a!, { ord: Infinity, dim: 0, keepdim: true }), () => [x([3, 4])]),
    c("3_5", (a) => torch.linalg.vectorNorm(a!, { ord: 3.5 }), () => [x([5])]),
    c("1_5", (a) => torch.linalg.vectorNorm(a!, { ord: 1.5, dim: [0, 1] }), () => [x([2, 3])]),
    c("0_5", (a) => torch.linalg.vectorNorm(a!, { ord: 0.5 }), () => [x([4])]),
  ],
  norm: [c("p3_dim", (a) => a!.norm(3, { dim: 1 }), () => [x([3, 4])]), c("default", (a) => torch.norm(a!), () => [x([2, 3])])],
  softplus: [c("beta_threshold", (a) => softplus(a!, { beta: 2, threshold: 1 }), () => [x([2, 3], 0.1, 0.4)]), c("default", (a) => softplus(a!), () => [x([2, 3])])],
  logSigmoid: [c("2x3", (a) => logSigmoid(a!), () => [x([2, 3], -3, 3)])],
  // ---- activations: each kernel's derivative, from the input and (in-place forms) from the result ----
  leakyRelu: [c("slope", (a) => F.leakyRelu(a!, 0.2), () => [x([2, 3])]), c("inplace", (a) => F.leakyRelu(a!.mul(1), { negativeSlope: 0.1, inplace: true }), () => [x([5])])],
  elu: [c("alpha", (a) => F.elu(a!, 0.7), () => [x([2, 3])]), c("inplace", (a) => F.elu(a!.mul(1), { alpha: 1.5, inplace: true }), () => [x([5])])],
  selu: [c("2x3", (a) => F.selu(a!), () => [x([2, 3])]), c("inplace", (a) => F.selu(a!.mul(1), { inplace: true }), () => [x([5])])],
  celu: [c("alpha", (a) => F.celu(a!, 0.5), () => [x([2, 3])]), c("inplace", (a) => F.celu(a!.mul(1), { alpha: 2, inplace: true }), () => [x([5])])],
  silu: [c("2x3", (a) => F.silu(a!), () => [x([2, 3], -6, 6)])],
  mish: [c("2x3", (a) => F.mish(a!), () => [x([2, 3], -6, 6)])],
  hardtanh: [c("range", (a) => F.hardtanh(a!, { minVal: -0.5, maxVal: 1.5 }), () => [x([3, 4])]), c("relu6", (a) => F.relu6(a!), () => [x([5], -2, 8)])],
  hardsigmoid: [c("2x3", (a) => F.hardsigmoid(a!), () => [x([3, 4], -4, 4)])],
  hardswish: [c("2x3", (a) => F.hardswish(a!), () => [x([3, 4], -4, 4)])],
  threshold: [c("value", (a) => F.threshold(a!, 0.3, -1), () => [x([2, 3])]), c("inplace", (a) => F.threshold(a!.mul(1), 0.3, -1, { inplace: true }), () => [x([5])])],
  gelu: [c("exact", (a) => F.gelu(a!), () => [x([2, 3], -4, 4)]), c("tanh", (a) => F.gelu(a!, { approximate: "tanh" }), () => [x([2, 3], -4, 4)])],
  prelu: [
    c("channels", (a, w) => F.prelu(a!, w!), () => [x([2, 3, 2]), x([3])]),
    c("shared", (a, w) => F.prelu(a!, w!), () => [x([4]), x([1])]),
  ],
  // ---- losses PyTorch computes as one op ----
  binaryCrossEntropy: [
    c("weight_mean", (a, t) => F.binaryCrossEntropy(a!, t!, { weight: torch.tensor([0.5, 2, 1], { dtype: torch.float64 }) }), () => [x([2, 3], 0.1, 0.9), x([2, 3], 0, 1)]),
    c("none", (a, t) => F.binaryCrossEntropy(a!, t!, { reduction: "none" }), () => [x([4], 0.1, 0.9), x([4], 0, 1)]),
  ],
  huberLoss: [c("delta_sum", (a, t) => F.huberLoss(a!, t!, { delta: 0.5, reduction: "sum" }), () => [x([2, 3]), x([3])])],
  smoothL1Loss: [c("beta_none", (a, t) => F.smoothL1Loss(a!, t!, { beta: 0.5, reduction: "none" }), () => [x([2, 3]), x([2, 3])])],
  softMarginLoss: [c("mean", (a) => F.softMarginLoss(a!, torch.tensor([1, -1, -1], { dtype: torch.float64 })), () => [x([2, 3])])],
  embeddingBag: [
    c("sum_psw", (w, p) => F.embeddingBag(long([0, 3, 3, 1]), w!, { offsets: long([0, 1]), perSampleWeights: p!, mode: "sum" }), () => [x([4, 2]), x([4])]),
    c("mean_2d", (w) => F.embeddingBag(idx([[0, 2], [1, 1]]), w!), () => [x([3, 2])]),
    c("max_padding", (w) => F.embeddingBag(long([0, 2, 1, 2]), w!, { offsets: long([0, 2]), mode: "max", paddingIdx: 1 }), () => [x([3, 2])]),
  ],
  // ---- indexing: duplicate and negative indices, so accumulation is checked too ----
  atTensor: [
    c("dup_negative", (a) => a!.at(long([0, 2, -1, 0])), () => [x([3, 2])]),
    c("separated", (a) => a!.at(long([1, 0, 1]), ":", long([2, 2, 0])), () => [x([2, 3, 3])]),
    c("mask", (a) => a!.at(":", mask([true, false, true])), () => [x([2, 3])]),
  ],
  setAt: [c("tensor_value", (a, v) => a!.mul(1).setAt(long([1, 0]), v!), () => [x([3, 2]), x([2, 2])])],
  indexSelect: [c("dim1_dup", (a) => a!.indexSelect(1, long([2, 0, 2])), () => [x([2, 3])])],
  gather: [c("dim0_dup", (a) => a!.gather(0, idx([[1, 1], [0, 1]])), () => [x([2, 2])])],
  scatter: [
    c("src", (a, s) => a!.scatter(1, idx([[2, 0]]), s!), () => [x([2, 3]), x([1, 2])]),
    c("value", (a) => a!.scatter(0, idx([[1, 0]]), 0.5), () => [x([2, 2])]),
  ],
  scatterAdd: [c("dup", (a, s) => a!.scatterAdd(1, idx([[1, 1, 0]]), s!), () => [x([2, 3]), x([1, 3])])],
  indexAdd: [c("alpha_dup", (a, s) => a!.indexAdd(0, long([1, 1]), s!, { alpha: 2 }), () => [x([3, 2]), x([2, 2])])],
  indexCopy: [c("dim1", (a, s) => a!.indexCopy(1, long([2, 0]), s!), () => [x([2, 3]), x([2, 2])])],
  indexFill: [c("dim0", (a) => a!.indexFill(0, long([1]), 0.5), () => [x([2, 3])])],
  indexPut: [
    c("accumulate_dup", (a, v) => a!.indexPut([long([1, 1, 0])], v!, { accumulate: true }), () => [x([2, 3]), x([3])]),
    c("overwrite", (a, v) => a!.indexPut([null, long([2, 0])], v!), () => [x([2, 3]), x([2, 2])]),
  ],
  take: [c("dup_negative", (a) => a!.take(long([5, -1, 0])), () => [x([2, 3])])],
  put: [c("accumulate", (a, s) => a!.put(long([0, 0, 4]), s!, { accumulate: true }), () => [x([2, 3]), x([3])])],
  maskedFill: [
    c("scalar_broadcast_mask", (a) => a!.maskedFill(mask([true, false, true]), 0.5), () => [x([2, 3])]),
    c("tensor_value", (a, v) => a!.maskedFill(mask([false, true]), v!), () => [x([3, 2]), x([])]),
  ],
  maskedSelect: [c("broadcast", (a) => a!.maskedSelect(torch.tensor([[true, false], [true, true]])), () => [x([2])])],
};

/** Every derivative a graph uses, found by walking its nodes. */
function derivativesUsed(out: Tensor | readonly Tensor[]): Set<Derivative> {
  const used = new Set<Derivative>();
  const stack: Node[] = (out instanceof torch.Tensor ? [out] : [...out]).flatMap((t) => (t.gradFn ? [t.gradFn] : []));
  const seen = new Set<Node>();
  while (stack.length) {
    const node = stack.pop()!;
    if (seen.has(node)) continue;
    seen.add(node);
    used.add(node.derivative);
    for (const e of node.edges) if (e !== null && !(e instanceof torch.Tensor)) stack.push(e);
  }
  return used;
}

describe("gradcheck of every differentiable op", () => {
  for (const [op, checks] of Object.entries(OPS)) {
    for (const check of checks) {
      test(`${op}/${check.name}`, () => {
        assert.equal(gradcheck(check.fn, check.inputs(), check.options), true);
      });
    }
  }

  test("every key of the derivative table is exercised by some check", () => {
    const reached = new Set<Derivative>();
    for (const checks of Object.values(OPS)) {
      for (const check of checks) for (const d of derivativesUsed(check.fn(...check.inputs()))) reached.add(d);
    }
    // a NotImplemented node (PyTorch has no derivative, backward raises) has nothing to check
    const missing = (Object.keys(derivatives) as DerivativeKey[]).filter((k) => !reached.has(derivatives[k]) && derivatives[k].name !== "NotImplemented");
    assert.deepEqual(missing, [], `add a gradcheck in test/gradcheck.test.ts for: ${missing.join(", ")}`);
  });
});

const broadcastRows = (JSON.parse(readFileSync(new URL("./fixtures/ops-promotion.json", import.meta.url), "utf8")) as {
  broadcast: { a: number[]; b: number[]; result?: number[] }[];
}).broadcast;

describe("gradcheck of binary ops over PyTorch's broadcast shape pairs", () => {
  const numel = (s: number[]): number => s.reduce((p, d) => p * d, 1);
  const binary: Record<string, (a: Tensor, b: Tensor) => Tensor> = {
    add: (a, b) => a.add(b), sub: (a, b) => a.sub(b), mul: (a, b) => a.mul(b), div: (a, b) => a.div(b),
    maximum: (a, b) => a.maximum(b), pow: (a, b) => a.pow(b),
  };
  // small results keep the Jacobians small; every shape still meets several partners
  for (const row of broadcastRows.filter((r) => r.result && numel(r.result) <= 24)) {
    test(`[${row.a.join(", ")}] with [${row.b.join(", ")}]`, () => {
      for (const [name, f] of Object.entries(binary)) {
        const positive = name === "pow" || name === "div";
        const inputs = [x(row.a, positive ? 0.5 : -2, 2), x(row.b, positive ? 0.5 : -2, 2)];
        assert.equal(gradcheck((a, b) => f(a!, b!), inputs, { raiseException: false }), true, name);
      }
    });
  }
});

describe("gradcheck", () => {
  const wrongGrad: GradcheckFn = (a) => {
    const y = a!.mul(2);
    y.registerHook((g) => g.mul(1.5));
    return y;
  };

  test("finds a wrong derivative and names the output and input", () => {
    assert.throws(() => gradcheck(wrongGrad, [x([3])]), (err: unknown) => {
      assert.ok(err instanceof AutogradError);
      assert.match(err.message, /^Jacobian mismatch for output 0 with respect to input 0,\nnumerical:/);
      return true;
    });
  });

  test("a NaN gradient is a mismatch, as in torch.allclose", () => {
    assert.equal(gradcheck((a) => a!.sqrt(), [torch.tensor([0, 1], { dtype: torch.float64 }).requiresGrad_()], { raiseException: false }), false);
  });

  test("returns false instead of throwing when raiseException is false", () => {
    assert.equal(gradcheck(wrongGrad, [x([3])], { raiseException: false }), false);
  });

  test("checks only the inputs that require grad", () => {
    const b = torch.tensor([1, 2, 3], { dtype: torch.float64 });
    assert.equal(gradcheck((a, k) => a!.mul(k!), [x([3]), b]), true);
  });

  test("checks every output of a function with several outputs", () => {
    assert.equal(gradcheck((a) => [a!.exp(), a!.sum()], [x([2, 2])]), true);
  });

  test("does not change the inputs or their .grad", () => {
    const a = x([3]);
    const before = a.tolist();
    gradcheck((t) => t!.mul(t!), [a]);
    assert.deepEqual(a.tolist(), before);
    assert.equal(a.grad, null);
  });

  test("rejects float32 inputs, whose central differences lose every digit", () => {
    const a = torch.tensor([1, 2], { requiresGrad: true });
    assert.throws(() => gradcheck((t) => t!.exp(), [a]), DTypeError);
  });

  test("needs at least one input that requires grad", () => {
    assert.throws(() => gradcheck((t) => t!.exp(), [torch.tensor([1, 2], { dtype: torch.float64 })]), ValueError);
  });
});
