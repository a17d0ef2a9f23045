/**
 * Derivatives of the math ops (see derivatives.ts for the entry format), each PyTorch 1.13's
 * formula from derivatives.yaml / FunctionsManual.cpp in the same order of operations, so float32
 * gradients round as PyTorch's do.
 */
import type { Tensor } from "../../tensor.ts";
import { binary } from "../../ops/elementwise.ts";
import { softmaxBackward } from "../../ops/reduce.ts";
import { needs, type Derivative, type DerivativeFn, type OpArgs } from "../node.ts";

const d = (name: string, saves: string | readonly string[], fn: DerivativeFn): Derivative => ({ name, saves, fn });

/** The step functions (floor, round, ...) have a zero derivative everywhere it exists. */
const zero: DerivativeFn = (g) => [g.zerosLike()];
const identity: DerivativeFn = (g) => [g];

/** Puts the reduced dims back (size 1) so a reduction's gradient and result broadcast over its input. */
function restore(t: Tensor, { dims, keepdim }: OpArgs, ndim: number): Tensor {
  if (keepdim || ndim === 0) return t;
  let out = t;
  for (const dim of dims!) out = out.unsqueeze(dim);
  return out;
}

/** PyTorch's norm_backward: the gradient of vector_norm / norm of order p. */
const normBackward: DerivativeFn = (g, [x], out, args) => {
  const self = x!, p = args.p!, grad = restore(g, args, self.ndim), norm = restore(out, args, self.ndim);
  if (p === 0) return [self.zerosLike()];
  if (p === 1) return [self.sign().mul(grad)];
  if (p === 2) return [grad.mul(self.div(norm).where(norm.eq(0).logicalNot(), 0))];
  if (!Number.isFinite(p)) {
    const abs = self.abs(), mask = abs.eq(norm).logicalOr(abs.isnan());
    return [self.sign().mul(grad.div(mask.sum({ dim: args.dims!, keepdim: true })).mul(mask))];
  }
  if (p < 1) {
    const scaled = self.sign().mul(self.abs().pow(p - 1).where(self.ne(0), 0));
    return [scaled.mul(grad).mul(norm.pow(1 - p))];
  }
  const scaled = p < 2 ? self.sign().mul(self.abs().pow(p - 1)) : self.mul(self.abs().pow(p - 2));
  const scale = grad.div(norm.pow(p - 1));
  return [scaled.mul(scale.where(norm.ne(0), 0))];
};

/** PyTorch's var_backward: (2 / (n - correction)) · g · (x - mean(x)). */
function varBackward(g: Tensor, x: Tensor, args: OpArgs): Tensor {
  const n = args.dims!.reduce((p, dim) => p * x.shape[dim]!, 1);
  const grad = restore(g, args, x.ndim);
  return grad.mul(2 / (n - args.correction!)).mul(x.sub(x.mean({ dim: args.dims!, keepdim: true })));
}

/** An extreme's gradient split evenly among the elements equal to it (PyTorch's scale_grad_by_count). */
const extremeRule: DerivativeFn = (g, [x], out, args) => {
  const mask = x!.eq(restore(out, args, x!.ndim));
  return [restore(g, args, x!.ndim).div(mask.sum({ dim: args.dims!, keepdim: true })).mul(mask)];
};

/** The math family's entries of the derivative table. */
export const mathRules = {
  floor: d("FloorBackward0", "", zero),
  ceil: d("CeilBackward0", "", zero),
  round: d("RoundBackward0", "", zero),
  roundDecimals: d("RoundBackward1", "", zero),
  trunc: d("TruncBackward0", "", zero),
  sgn: d("SgnBackward0", "", zero),
  frac: d("FracBackward0", "", identity),
  reciprocal: d("ReciprocalBackward0", "o", (g, _, y) => [g.neg().mul(y.mul(y))]),
  rsqrt: d("RsqrtBackward0", "o", (g, _, y) => [g.mul(-0.5).mul(y.pow(3))]),
  log1p: d("Log1PBackward0", "a", (g, [x]) => [g.div(x!.add(1))]),
  expm1: d("Expm1Backward0", "o", (g, _, y) => [g.mul(y.add(1))]),
  log2: d("Log2Backward0", "a", (g, [x]) => [g.div(x!.mul(Math.LN2))]),
  log10: d("Log10Backward0", "a", (g, [x]) => [g.div(x!.mul(Math.LN10))]),
  exp2: d("Exp2Backward0", "o", (g, _, y) => [g.mul(y).mul(Math.LN2)]),
  tan: d("TanBackward0", "o", (g, _, y) => [g.mul(y.pow(2).add(1))]),
  asin: d("AsinBackward0", "a", (g, [x]) => [g.mul(x!.neg().mul(x!).add(1).rsqrt())]),
  acos: d("AcosBackward0", "a", (g, [x]) => [g.mul(x!.neg().mul(x!).add(1).rsqrt().neg())]),
  atan: d("AtanBackward0", "a", (g, [x]) => [g.div(x!.mul(x!).add(1))]),
  sinh: d("SinhBackward0", "a", (g, [x]) => [g.mul(x!.cosh())]),
  cosh: d("CoshBackward0", "a", (g, [x]) => [g.mul(x!.sinh())]),
  // a tensor divisor is RemainderBackward1/FmodBackward1; a scalar one leaves only the dividend
  remainder: d("RemainderBackward1", ["", "ab"], (g, [a, b], _, __, e) => [g, needs(e, 1) ? g.neg().mul(a!.floorDivide(b!)) : null]),
  remainderScalar: d("RemainderBackward0", "", identity),
  fmod: d("FmodBackward1", ["", "ab"], (g, [a, b], _, __, e) => [g, needs(e, 1) ? g.neg().mul(a!.div(b!).trunc()) : null]),
  fmodScalar: d("FmodBackward0", "", identity),
  // div with a rounding mode: a step function of both operands
  divRounded: d("DivBackward2", "", (g, _, __, ___, e) => e.map(() => g.zerosLike())),
  atan2: d("Atan2Backward0", "ab", (g, [a, b], _, __, e) => {
    const recip = a!.mul(a!).add(b!.mul(b!)).reciprocal();
    return [needs(e, 0) ? g.mul(b!).mul(recip) : null, needs(e, 1) ? g.mul(a!.neg()).mul(recip) : null];
  }),
  nanToNum: d("NanToNumBackward0", "a", (g, [x]) => [g.mul(x!.isfinite())]),
  lerp: d("LerpBackward0", "", (g, _, __, { value }, e) => [needs(e, 0) ? g.mul(1 - value!) : null, needs(e, 1) ? g.mul(value!) : null]),
  lerpTensor: d("LerpBackward1", ["c", "c", "ab"], (g, [a, b, w], _, __, e) => [
    needs(e, 0) ? g.mul(binary("sub", 1, w!)) : null, needs(e, 1) ? g.mul(w!) : null, needs(e, 2) ? g.mul(b!.sub(a!)) : null,
  ]),
  addcmul: d("AddcmulBackward0", ["", "c", "b"], (g, [, t1, t2], _, { value }, e) => [
    g, needs(e, 1) ? g.mul(t2!.mul(value!)) : null, needs(e, 2) ? g.mul(t1!.mul(value!)) : null,
  ]),
  addcdiv: d("AddcdivBackward0", ["", "c", "bc"], (g, [, t1, t2], _, { value }, e) => [
    g, needs(e, 1) ? g.mul(binary("div", value!, t2!)) : null,
    needs(e, 2) ? g.neg().mul(t1!.mul(value!).div(t2!.mul(t2!))) : null,
  ]),
  logsumexp: d("LogsumexpBackward0", "ao", (g, [x], y, args) => [restore(g, args, x!.ndim).mul(x!.sub(restore(y, args, x!.ndim)).exp())]),
  amax: d("AmaxBackward0", "ao", extremeRule),
  amin: d("AminBackward0", "ao", extremeRule),
  vectorNorm: d("LinalgVectorNormBackward0", "ao", normBackward),
  norm: d("NormBackward1", "ao", normBackward),
  var: d("VarBackward0", "a", (g, [x], _, args) => [varBackward(g, x!, args)]),
  // PyTorch's std_backward: var_backward of g / (2·std), zero where std is zero
  std: d("StdBackward0", "ao", (g, [x], y, args) => [varBackward(g.div(y.mul(2)).where(y.ne(0), 0), x!, args)]),
  // the CPU kernels' forms: (g - Σ g·y) · y and g - exp(y) · Σ g
  softmax: d("SoftmaxBackward0", "o", (g, _, y, { dim }) => [softmaxBackward(g, y, dim!, false)]),
  logSoftmax: d("LogSoftmaxBackward0", "o", (g, _, y, { dim }) => [softmaxBackward(g, y, dim!, true)]),
  softplus: d("SoftplusBackward0", "a", (g, [x], _, { beta, threshold }) => {
    const bx = x!.mul(beta!), z = bx.exp();
    return [g.mul(z).div(z.add(1)).where(bx.gt(threshold!).logicalNot(), g)];
  }),
  logSigmoid: d("LogSigmoidBackward0", "a", (g, [x]) => {
    const neg = x!.lt(0), z = x!.abs().neg().exp();
    const deriv = neg.to(x!.dtype).sub(z.div(z.add(1)).mul(neg.to(x!.dtype).mul(2).sub(1)));
    return [deriv.mul(g)];
  }),
} satisfies Record<string, Derivative>;
