/**
 * Activation kernels: PyTorch 1.13's scalar CPU formulas (aten/src/ATen/native/cpu/Activation.cpp)
 * and their derivatives, one elementwise pass each. float32 parameters are rounded to float32
 * first, as PyTorch converts its Scalars to the tensor's type.
 */
import type { DType, TypedArray } from "../../core/dtype.ts";
import type { Layout } from "../../core/layout.ts";
import { assertNever, type ActivationOp } from "../backend.ts";
import { erf } from "./erf.ts";
import { positions } from "./elementwise.ts";

type Num = (x: number) => number;
type Num2 = (g: number, s: number) => number;

const SQRT1_2 = Math.SQRT1_2;
// GELU's tanh form: sqrt(2/π) as PyTorch writes it, and the cubic's factor
const K_BETA = Math.SQRT2 * (2 / Math.sqrt(Math.PI)) * 0.5;
const K_KAPPA = 0.044715;
// the exact form's pdf factor 1/sqrt(2π)
const PDF = (2 / Math.sqrt(Math.PI)) * Math.SQRT1_2 * 0.5;
// hardsigmoid's backward multiplies by 1/6 held in a float, also for double tensors
const ONE_SIXTH_F = Math.fround(1 / 6);

const same: Num = (x) => x;

function forward(op: ActivationOp, p: readonly number[], r: Num): Num {
  const [a = 0, b = 0, c = 0] = p, neg = r(a * b);
  switch (op) {
    case "leakyRelu": return (x) => (x > 0 ? x : x * a);
    case "elu": return (x) => (x <= 0 ? (Math.exp(x * c) - 1) * neg : x * b);
    case "silu": return (x) => x / (1 + Math.exp(-x));
    case "mish": return (x) => x * Math.tanh(Math.log1p(Math.exp(x)));
    case "hardtanh": return (x) => (x < a ? a : x > b ? b : x);
    case "hardsigmoid": return (x) => Math.min(Math.max(x + 3, 0), 6) / 6;
    case "hardswish": return (x) => (x * Math.min(Math.max(x + 3, 0), 6)) / 6;
    case "threshold": return (x) => (x <= a ? b : x);
    case "gelu": return (x) => x * 0.5 * (1 + erf(x * SQRT1_2));
    case "geluTanh": return (x) => 0.5 * x * (1 + Math.tanh(K_BETA * (x + K_KAPPA * x * x * x)));
    default: return assertNever(op);
  }
}

function backward(op: ActivationOp, p: readonly number[], fromResult: boolean, r: Num): Num2 {
  const [a = 0, b = 0, c = 0] = p, neg = r(a * b);
  switch (op) {
    case "leakyRelu": return (g, s) => (s > 0 ? g : g * a);
    case "elu":
      // from the result y: α·scale·e^x = y + α·scale
      return fromResult
        ? (g, s) => (s <= 0 ? g * c * (s + neg) : g * b)
        : (g, s) => (s <= 0 ? g * c * neg * Math.exp(s * c) : g * b);
    case "silu": return (g, s) => {
      const sig = 1 / (1 + Math.exp(-s));
      return g * sig * (1 + s * (1 - sig));
    };
    case "mish": return (g, s) => {
      const sig = 1 / (1 + Math.exp(-s)), t = Math.tanh(Math.log1p(Math.exp(s)));
      return g * (t + s * sig * (1 - t * t));
    };
    case "hardtanh": return (g, s) => (s <= a || s >= b ? 0 : g);
    case "hardsigmoid": return (g, s) => (s > -3 && s < 3 ? g * ONE_SIXTH_F : 0);
    case "hardswish": return (g, s) => (s < -3 ? 0 : s < 3 ? g * (s / 3 + 0.5) : g);
    case "threshold": return (g, s) => (s <= a ? 0 : g);
    case "gelu": return (g, s) => g * (0.5 * (1 + erf(s * SQRT1_2)) + s * PDF * Math.exp(s * s * -0.5));
    case "geluTanh": return (g, s) => {
      const t = Math.tanh(K_BETA * (s + K_KAPPA * s * s * s));
      const right = 0.5 * s * (1 - t * t) * K_BETA * (1 + 3 * K_KAPPA * s * s);
      return g * (0.5 * (1 + t) + right);
    };
    default: return assertNever(op);
  }
}

const rounding = (out: DType): Num => (out.name === "float32" ? Math.fround : same);

/** `op(x; params)` elementwise into a fresh array of dtype `out`. */
export function activationKernel(op: ActivationOp, x: TypedArray, layout: Layout, params: readonly number[], out: DType): TypedArray {
  const r = rounding(out), f = forward(op, params.map(r), r), n = layout.numel, res = out.alloc(n) as Float64Array;
  const xs = x as Float64Array, pos = positions(layout), off = layout.offset;
  if (pos === null) for (let i = 0; i < n; i++) res[i] = f(xs[off + i]!);
  else for (let i = 0; i < n; i++) res[i] = f(xs[pos[i]!]!);
  return res;
}

/** `g · op'(s)` elementwise, `g` and `s` laid out over one shape. */
export function activationBackwardKernel(
  op: ActivationOp, g: TypedArray, lg: Layout, s: TypedArray, ls: Layout, params: readonly number[], fromResult: boolean, out: DType,
): TypedArray {
  const r = rounding(out), f = backward(op, params.map(r), fromResult, r), n = ls.numel, res = out.alloc(n) as Float64Array;
  const gs = g as Float64Array, ss = s as Float64Array, pg = positions(lg), ps = positions(ls), og = lg.offset, os = ls.offset;
  if (pg === null && ps === null) for (let i = 0; i < n; i++) res[i] = f(gs[og + i]!, ss[os + i]!);
  else for (let i = 0; i < n; i++) res[i] = f(gs[pg === null ? og + i : pg[i]!]!, ss[ps === null ? os + i : ps[i]!]!);
  return res;
}
