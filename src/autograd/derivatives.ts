/**
 * One derivative per op: given the output's gradient `g`, the gradient of each input. Engine
 * sums broadcast gradients back to each input's shape, so rules here ignore broadcasting.
 * Each rule first names what it saves ("a", "b", "c" for inputs, "o" for the output), as
 * PyTorch's derivatives.yaml does: only those are kept alive and version-checked (Node.apply).
 */
import { Tensor } from "../tensor.ts";
import { Layout } from "../core/layout.ts";
import { binary, wrap } from "../ops/elementwise.ts";
import { int64 } from "../core/dtype.ts";
import type { Derivative, DerivativeFn, Edge, OpArgs } from "./node.ts";

/** A rule that saves the named tensors ("a", "b", "c" inputs; "o" output). */
const d = (saves: string, fn: DerivativeFn): Derivative => ({ saves, fn });

const zerosOf = (shape: readonly number[], like: Tensor): Tensor => wrap(like.dtype.alloc(shape.reduce((p, s) => p * s, 1)), shape, like.dtype);

/** A zero tensor of `shape` with `g` written into the region a view op selected. */
function scatter(g: Tensor, shape: readonly number[], region: (l: Layout) => Layout): Tensor {
  const z = zerosOf(shape, g);
  new Tensor(z.storage, region(z.layout)).copy_(g);
  return z;
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
  const n = moved.shape[moved.ndim - 1] ?? 1, src = moved.contiguousData() as Float64Array;
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
const needs = (edges: readonly Edge[], i: number): boolean => edges[i] !== null;

const half = (g: Tensor, a: Tensor, b: Tensor) => g.mul(a.eq(b).to(g.dtype).mul(-0.5).add(1));

/** The derivative table, keyed by op. */
export const derivatives = {
  identity: d("", (g) => [g]),
  neg: d("", (g) => [g.neg()]),
  exp: d("o", (g, _, out) => [g.mul(out)]),
  log: d("a", (g, [a]) => [g.div(a!)]),
  sqrt: d("o", (g, _, out) => [g.div(out.mul(2))]),
  abs: d("a", (g, [a]) => [g.mul(a!.sign())]),
  sign: d("", (g) => [g.zerosLike()]),
  relu: d("o", (g, _, out) => [binary("reluGrad", g, out)]),
  sigmoid: d("o", (g, _, out) => [g.mul(out.neg().add(1).mul(out))]),
  tanh: d("o", (g, _, out) => [g.mul(out.mul(out).neg().add(1))]),
  sin: d("a", (g, [a]) => [g.mul(a!.cos())]),
  cos: d("a", (g, [a]) => [g.mul(a!.sin().neg())]),
  erf: d("a", (g, [a]) => [g.mul(a!.square().neg().exp().mul(2 / Math.sqrt(Math.PI)))]),
  add: d("", (g) => [g, g]),
  sub: d("", (g, _, __, ___, e) => [g, needs(e, 1) ? g.neg() : null]),
  mul: d("ab", (g, [a, b], _, __, e) => [needs(e, 0) ? g.mul(b!) : null, needs(e, 1) ? g.mul(a!) : null]),
  div: d("ab", (g, [a, b], _, __, e) => [needs(e, 0) ? g.div(b!) : null, needs(e, 1) ? g.neg().mul(a!).div(b!.mul(b!)) : null]),
  maximum: d("ab", (g, [a, b]) => [half(g, a!, b!).where(a!.ge(b!), 0), half(g, a!, b!).where(b!.ge(a!), 0)]),
  minimum: d("ab", (g, [a, b]) => [half(g, a!, b!).where(a!.le(b!), 0), half(g, a!, b!).where(b!.le(a!), 0)]),
  pow: d("abo", (g, [a, b], out, __, e) => [
    needs(e, 0) ? g.mul(b!).mul(a!.pow(b!.sub(1))).where(b!.ne(0), 0) : null,
    needs(e, 1) ? g.mul(out.mul(a!.log()).where(a!.ne(0).logicalOr(b!.lt(0)), 0)) : null,
  ]),
  powScalar: d("a", (g, [a], _, { min: e }) => [e === 0 ? g.zerosLike() : g.mul(e!).mul(a!.pow(e! - 1))]),
  clamp: d("a", (g, [a], _, { min, max }) => [g.where(a!.ge(min!).logicalAnd(a!.le(max!)), 0)]),
  where: d("a", (g, [c]) => [null, g.where(c!, 0), g.where(c!.logicalNot(), 0)]),
  select: d("", (g, _, __, { dim, index, shape }) => [scatter(g, shape!, (l) => l.select(dim!, index!))]),
  slice: d("", (g, _, __, { dim, start, end, step, shape }) => [scatter(g, shape!, (l) => l.slice(dim!, start, end, step))]),
  transpose: d("", (g, _, __, { dims }) => [g.transpose(dims![0]!, dims![1]!)]),
  permute: d("", (g, _, __, { perm }) => [g.permute(perm!.map((_, i) => perm!.indexOf(i)))]),
  view: d("", (g, _, __, { shape }) => [g.reshape(shape!)]),
  expand: d("", (g) => [g]),
  cat: d("", (g, _, __, { dim, sizes }) => g.split(sizes!, dim!)),
  sum: d("", (g, _, __, args) => [(g.ndim === 0 ? g : unreduce(g, args)).expand(args.shape!)]),
  mean: d("", (g, _, __, args) => [(g.ndim === 0 ? g : unreduce(g, args)).expand(args.shape!).div(args.scale!)]),
  prod: d("ao", (g, [a], out, args) => {
    const x = a!, gu = unreduce(g, args), o = unreduce(out, args);
    const zeros = unreduce(x.eq(0).sum({ dim: args.dims!, keepdim: args.keepdim! }), args);
    // no zero: g·out/x; one zero: PyTorch's product of the elements before and after each one
    const withZero = gu.mul(exclusiveProducts(x, args.dims!)).where(zeros.eq(1), 0);
    return [gu.mul(o).div(x).where(o.ne(0), withZero)];
  }),
  extremeAll: d("ao", (g, [a], out) => {
    const mask = a!.eq(out);
    return [g.div(mask.sum()).expand(mask.shape).where(mask, 0)];
  }),
  extremeDim: d("", (g, _, __, { dim, keepdim, indices, shape: inputShape }) => {
    const size = inputShape![dim!]!;
    const range = wrap(BigInt64Array.from({ length: size }, (_, i) => BigInt(i)), [size], int64);
    const shape = inputShape!.map((s, d) => (d === dim ? s : 1));
    const idx = keepdim ? indices! : indices!.unsqueeze(dim!);
    return [(keepdim ? g : g.unsqueeze(dim!)).expand(inputShape!).where(range.reshape(shape).eq(idx), 0)];
  }),
  matmul: d("ab", (g, [a, b], _, __, e) => [needs(e, 0) ? g.matmul(b!.mT) : null, needs(e, 1) ? a!.mT.matmul(g) : null]),
  // PyTorch's mse_loss_backward: scale · (input - target) · g, each product rounded in the dtype
  mseLoss: d("ab", (g, [x, y], _, { scale }, e) => {
    const gi = x!.sub(y!).mul_(scale!).mul_(g);
    return [needs(e, 0) ? gi : null, needs(e, 1) ? gi.neg() : null];
  }),
  linear: d("ab", (g, [x, w], _, __, e) => [needs(e, 0) ? g.matmul(w!) : null, needs(e, 1) ? g.mT.matmul(x!) : null, needs(e, 2) ? g.sum(0) : null]),
} satisfies Record<string, Derivative>;

/** The ops that have a derivative. */
export type DerivativeKey = keyof typeof derivatives;
