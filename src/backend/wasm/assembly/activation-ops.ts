// AssemblyScript (see sgemm.ts for why tsc skips it).
// eslint-disable-next-line @typescript-eslint/ban-ts-comment
// @ts-nocheck

import { Lanes, loadPartial, storePartial } from "./activation";
import { demote4, promoteHigh } from "./lanes64";

// nn's activations with scalar parameters (backend.ts ActivationOp) and their input gradients, in
// linear memory, four lanes at a time, numbered as wasm/elementwise.ts ACTIVATION_CODES:
//  - SiLU and GELU's tanh form are x·σ(z), z = x and z = 2·√(2/π)·(x + 0.044715·x³)
//    (0.5·(1 + tanh(u)) = σ(2u), which does not cancel where tanh nears -1). e = exp(-|z|) comes from
//    the SIMD exp of activation.ts (within 1 ulp), with -|z| split into a float32 head and tail
//    computed in float64, so the exp reads z without its rounding error (which would cost up to
//    |z| ulps). The rest runs in float64 and rounds once: σ(z) and σ(-z) are each 1/(1 + e) or
//    e/(1 + e), exact to the exp's ulp on both sides of 0, and SiLU's gradient g·σ·(1 + x·σ(-x))
//    and the tanh form's g·(σ + 2√(2/π)·x·σ·σ(-z)·(1 + 3·0.044715·x²)) follow the reference's
//    formulas (1 - tanh² = 4·σ(z)·σ(-z)). The exp flushes to 0 below -130, where both functions
//    and their gradients are 0 in float32.
//  - ELU (and CELU, SELU: scale·(exp(x·c) - 1)·α below 0) takes exp(v) - 1 from the reduced
//    polynomial of the SIMD exp itself where |v| < ln 2 / 2 and as p·2^n - 1 beyond (exact or
//    rounded once), so it does not cancel near 0: within 2 ulps. Its gradient multiplies the exp
//    in float64; from the result (the in-place forms) it is the reference's float64 arithmetic.
//  - Mish is x·tanh(log(1 + e^x)) = x·N/D with e = exp(-|x|): N = 1 + 2e, D = N + 2e² from 0 up,
//    N = e·(e + 2), D = N + 2 below, in float64; its gradient's 1 - tanh² is 4e²(1 + e)²/D² and
//    4(N + 1)/D², which do not cancel. Its e keeps a floor of 2^-1000 where the exp flushes.
//  - leakyReLU, hardtanh and threshold are float32 selects and products; hardsigmoid and
//    hardswish run in float64 and round once. These give the reference's bits.
const SILU: i32 = 0;
const GELU_TANH: i32 = 1;
const LEAKY_RELU: i32 = 2;
const HARDTANH: i32 = 3;
const HARDSIGMOID: i32 = 4;
const HARDSWISH: i32 = 5; // 6: threshold
const ELU: i32 = 7;
const MISH: i32 = 8;
/** ELU's gradient from its result (backward only). */
const ELU_FROM_RESULT: i32 = 9;

/** √(2/π) and 0.044715, the reference's constants of GELU's tanh form, and the products it uses. */
const BETA: f64 = 0.7978845608028654;
const KAPPA: f64 = 0.044715;
const TWO_BETA: f64 = 2 * BETA;
const THREE_KAPPA: f64 = 3 * KAPPA;
/** The exp's 2^100 scale, removed in float64 (exact there, where float32 would flush). */
const TWO_M100: f64 = 7.888609052210118e-31;
/** -|z| below this is clamped before the split (its exp is 0 below -130 either way). */
const ARG_FLOOR: f64 = -200;
/** 2^-1000: Mish's floor of exp(-|x|) (its square is 0, its product with any float32 nonzero). */
const MISH_E_MIN: f64 = 9.332636185032189e-302;
/** ln 2^-1075: float64 exp(x) is 0 below it. */
const EXP_ZERO_BELOW: f64 = -745.1332191019412;
/** The reference's float32 1/6 of hardsigmoid's gradient. */
const ONE_SIXTH_F: f32 = 0.1666666716337204;

/**
 * The lane-wise functions, inlined into both kernels (static methods, as activation.ts's Lanes,
 * because AssemblyScript's @inline on functions is syntax TypeScript's parser refuses).
 */
class Ops {
  /** z of GELU's tanh form for two float64 lanes: 2·β·(x + κ·x³), as the reference orders it. */
  @inline static tanhArg(x: v128): v128 {
    const cube = f64x2.mul(f64x2.mul(f64x2.mul(f64x2.splat(KAPPA), x), x), x);
    return f64x2.mul(f64x2.splat(TWO_BETA), f64x2.add(x, cube));
  }

  /** -|z| clamped at ARG_FLOOR, for two float64 lanes (NaN stays NaN). */
  @inline static negAbs(z: v128): v128 {
    return f64x2.pmax(f64x2.neg(f64x2.abs(z)), f64x2.splat(ARG_FLOOR));
  }

  /**
   * exp(v)·2^100, or with `minusOne` exp(v) - 1, of the four values v <= 0 that two float64 lane
   * pairs wl, wh hold, each passed to the exp as its float32 head plus what it holds beyond it.
   */
  @inline static expSplit(wl: v128, wh: v128, minusOne: bool): v128 {
    const hi = demote4(wl, wh);
    const lo = demote4(f64x2.sub(wl, f64x2.promote_low_f32x4(hi)), f64x2.sub(wh, promoteHigh(hi)));
    return minusOne ? Lanes.expm1Neg(hi, lo) : Lanes.expScaled(hi, lo, -200, -130);
  }

  /** exp(-|z|)·2^100 of four lanes, z the sigmoid's argument of x: x itself, or the tanh form's. */
  @inline static expArg(op: i32, x: v128): v128 {
    if (op != GELU_TANH) return Lanes.expScaled(f32x4.neg(f32x4.abs(x)), f32x4.splat(0), -200, -130);
    return Ops.expSplit(Ops.negAbs(Ops.tanhArg(f64x2.promote_low_f32x4(x))), Ops.negAbs(Ops.tanhArg(promoteHigh(x))), false);
  }

  /** x·c for two float64 lanes, exact, clamped at ARG_FLOOR (so -Inf leaves no NaN tail; NaN stays NaN). */
  @inline static scaled(x: v128, c: f32): v128 {
    return f64x2.pmax(f64x2.mul(x, f64x2.splat(<f64>c)), f64x2.splat(ARG_FLOOR));
  }

  /** ELU's exp(x·c)·2^100, or with `minusOne` exp(x·c) - 1, of four lanes (x <= 0, c > 0; x·c exact in float64). */
  @inline static eluExp(x: v128, c: f32, minusOne: bool): v128 {
    return Ops.expSplit(Ops.scaled(f64x2.promote_low_f32x4(x), c), Ops.scaled(promoteHigh(x), c), minusOne);
  }

  /** ELU's gradient for two float64 lanes: s <= 0 ? g·c·a·exp(s·c) (e: that exp) : g·b. */
  @inline static eluGrad(g: v128, x: v128, e: v128, a: f64, b: f64, c: f64): v128 {
    const below = f64x2.mul(f64x2.mul(f64x2.mul(g, f64x2.splat(c)), f64x2.splat(a)), e);
    return v128.bitselect(below, f64x2.mul(g, f64x2.splat(b)), f64x2.le(x, f64x2.splat(0)));
  }

  /** ELU's gradient from its result y for two float64 lanes: y <= 0 ? g·c·(y + a) : g·b. */
  @inline static eluResultGrad(g: v128, y: v128, a: f64, b: f64, c: f64): v128 {
    const below = f64x2.mul(f64x2.mul(g, f64x2.splat(c)), f64x2.add(y, f64x2.splat(a)));
    return v128.bitselect(below, f64x2.mul(g, f64x2.splat(b)), f64x2.le(y, f64x2.splat(0)));
  }

  /** Mish's N (tanh(softplus x) = N/D) for two float64 lanes from e = exp(-|x|). */
  @inline static mishNum(x: v128, e: v128): v128 {
    const pos = f64x2.add(f64x2.splat(1), f64x2.add(e, e));
    return v128.bitselect(pos, f64x2.mul(e, f64x2.add(e, f64x2.splat(2))), f64x2.ge(x, f64x2.splat(0)));
  }

  /** Mish's D - N: 2e² at and above 0, 2 below. */
  @inline static mishGap(x: v128, e: v128): v128 {
    const pos = f64x2.mul(f64x2.add(e, e), e);
    return v128.bitselect(pos, f64x2.splat(2), f64x2.ge(x, f64x2.splat(0)));
  }

  /**
   * e = exp(-|x|) for Mish from e·2^100, at least 2^-1000 down to where the reference's float64
   * exp(x) is 0: the exp flushes below -130, where the gradient's t + x·σ(x) ≈ e·(1 + x) still has
   * a sign, which its zero keeps, as the reference's does.
   */
  @inline static mishE(x: v128, eb: v128): v128 {
    const e = f64x2.pmax(f64x2.mul(eb, f64x2.splat(TWO_M100)), f64x2.splat(MISH_E_MIN));
    return v128.andnot(e, f64x2.lt(x, f64x2.splat(EXP_ZERO_BELOW)));
  }

  /** x·tanh(softplus x) for two float64 lanes from e·2^100. */
  @inline static mish(x: v128, eb: v128): v128 {
    const e = Ops.mishE(x, eb), num = Ops.mishNum(x, e);
    return f64x2.mul(x, f64x2.div(num, f64x2.add(num, Ops.mishGap(x, e))));
  }

  /** g·(t + x·σ(x)·(1 - t²)), t = tanh(softplus x), for two float64 lanes from e·2^100. */
  @inline static mishGrad(g: v128, x: v128, eb: v128): v128 {
    const one = f64x2.splat(1), e = Ops.mishE(x, eb);
    const num = Ops.mishNum(x, e), gap = Ops.mishGap(x, e), den = f64x2.add(num, gap);
    const t = f64x2.div(num, den), above = f64x2.ge(x, f64x2.splat(0));
    const sig = f64x2.div(v128.bitselect(one, e, above), f64x2.add(one, e));
    // 1 - t² = (D - N)(D + N)/D²: 4e²(1 + e)²/D² at and above 0, 4(N + 1)/D² below
    const omt2 = f64x2.div(f64x2.mul(gap, f64x2.add(den, num)), f64x2.mul(den, den));
    return f64x2.mul(g, f64x2.add(t, f64x2.mul(f64x2.mul(x, sig), omt2)));
  }

  /** x·σ(z) for two float64 lanes from x and e·2^100, e = exp(-|z|), z of x's sign. */
  @inline static xSigmoid(x: v128, eb: v128): v128 {
    const e = f64x2.mul(eb, f64x2.splat(TWO_M100));
    const num = v128.bitselect(f64x2.mul(x, e), x, f64x2.lt(x, f64x2.splat(0)));
    return f64x2.div(num, f64x2.add(f64x2.splat(1), e));
  }

  /**
   * The input gradient of SiLU (op SILU) or GELU's tanh form for two float64 lanes of g and x,
   * from e·2^100, e = exp(-|z|): σ(z) and σ(-z) are 1/(1 + e) and e/(1 + e), in the order x's sign gives.
   */
  @inline static sigmoidGrad(op: i32, g: v128, x: v128, eb: v128): v128 {
    const one = f64x2.splat(1), e = f64x2.mul(eb, f64x2.splat(TWO_M100)), r = f64x2.div(one, f64x2.add(one, e));
    const neg = f64x2.lt(x, f64x2.splat(0));
    // two float64 roundings each, far below the float32 result's
    const s = f64x2.mul(v128.bitselect(e, one, neg), r), c = f64x2.mul(v128.bitselect(one, e, neg), r);
    if (op == SILU) return f64x2.mul(f64x2.mul(g, s), f64x2.add(one, f64x2.mul(x, c)));
    const q = f64x2.add(one, f64x2.mul(f64x2.mul(f64x2.splat(THREE_KAPPA), x), x));
    const right = f64x2.mul(f64x2.mul(f64x2.mul(f64x2.mul(f64x2.splat(TWO_BETA), x), s), c), q);
    return f64x2.mul(g, f64x2.add(s, right));
  }

  /** hardsigmoid (op HARDSIGMOID) or hardswish of two float64 lanes: min(max(x + 3, 0), 6)/6, times x for hardswish. */
  @inline static hard(op: i32, x: v128): v128 {
    const r = f64x2.min(f64x2.max(f64x2.add(x, f64x2.splat(3)), f64x2.splat(0)), f64x2.splat(6));
    return f64x2.div(op == HARDSIGMOID ? r : f64x2.mul(x, r), f64x2.splat(6));
  }

  /** hardswish's input gradient for two float64 lanes: 0 below -3, g·(x/3 + 0.5) below 3, else g. */
  @inline static hardswishGrad(g: v128, x: v128): v128 {
    const mid = f64x2.mul(g, f64x2.add(f64x2.div(x, f64x2.splat(3)), f64x2.splat(0.5)));
    const r = v128.bitselect(mid, g, f64x2.lt(x, f64x2.splat(3)));
    return v128.andnot(r, f64x2.lt(x, f64x2.splat(-3)));
  }

  /** op(x; a, b, c) of four lanes. */
  @inline static forward(op: i32, x: v128, a: f32, b: f32, c: f32): v128 {
    if (op == ELU) {
      const below = f32x4.mul(Ops.eluExp(x, c, true), f32x4.splat(a));
      return v128.bitselect(below, f32x4.mul(x, f32x4.splat(b)), f32x4.le(x, f32x4.splat(0)));
    }
    if (op == MISH) {
      const eb = Ops.expArg(op, x);
      return demote4(Ops.mish(f64x2.promote_low_f32x4(x), f64x2.promote_low_f32x4(eb)), Ops.mish(promoteHigh(x), promoteHigh(eb)));
    }
    if (op == SILU || op == GELU_TANH) {
      const eb = Ops.expArg(op, x);
      return demote4(
        Ops.xSigmoid(f64x2.promote_low_f32x4(x), f64x2.promote_low_f32x4(eb)),
        Ops.xSigmoid(promoteHigh(x), promoteHigh(eb)),
      );
    }
    if (op == LEAKY_RELU) return v128.bitselect(x, f32x4.mul(x, f32x4.splat(a)), f32x4.gt(x, f32x4.splat(0)));
    if (op == HARDTANH) {
      const av = f32x4.splat(a), bv = f32x4.splat(b);
      return v128.bitselect(av, v128.bitselect(bv, x, f32x4.gt(x, bv)), f32x4.lt(x, av));
    }
    if (op == HARDSIGMOID || op == HARDSWISH) {
      return demote4(Ops.hard(op, f64x2.promote_low_f32x4(x)), Ops.hard(op, promoteHigh(x)));
    }
    // threshold
    return v128.bitselect(f32x4.splat(b), x, f32x4.le(x, f32x4.splat(a)));
  }

  /** g·op'(x; a, b, c) of four lanes (x the input, or for ELU_FROM_RESULT the result). */
  @inline static backward(op: i32, g: v128, x: v128, a: f32, b: f32, c: f32): v128 {
    if (op == ELU) {
      const eb = Ops.eluExp(x, c, false), s = f64x2.splat(TWO_M100);
      return demote4(
        Ops.eluGrad(f64x2.promote_low_f32x4(g), f64x2.promote_low_f32x4(x), f64x2.mul(f64x2.promote_low_f32x4(eb), s), a, b, c),
        Ops.eluGrad(promoteHigh(g), promoteHigh(x), f64x2.mul(promoteHigh(eb), s), a, b, c),
      );
    }
    if (op == ELU_FROM_RESULT) {
      return demote4(
        Ops.eluResultGrad(f64x2.promote_low_f32x4(g), f64x2.promote_low_f32x4(x), a, b, c),
        Ops.eluResultGrad(promoteHigh(g), promoteHigh(x), a, b, c),
      );
    }
    if (op == MISH) {
      const eb = Ops.expArg(op, x);
      return demote4(
        Ops.mishGrad(f64x2.promote_low_f32x4(g), f64x2.promote_low_f32x4(x), f64x2.promote_low_f32x4(eb)),
        Ops.mishGrad(promoteHigh(g), promoteHigh(x), promoteHigh(eb)),
      );
    }
    if (op == SILU || op == GELU_TANH) {
      const eb = Ops.expArg(op, x);
      return demote4(
        Ops.sigmoidGrad(op, f64x2.promote_low_f32x4(g), f64x2.promote_low_f32x4(x), f64x2.promote_low_f32x4(eb)),
        Ops.sigmoidGrad(op, promoteHigh(g), promoteHigh(x), promoteHigh(eb)),
      );
    }
    if (op == LEAKY_RELU) return v128.bitselect(g, f32x4.mul(g, f32x4.splat(a)), f32x4.gt(x, f32x4.splat(0)));
    if (op == HARDTANH) {
      return v128.andnot(g, v128.or(f32x4.le(x, f32x4.splat(a)), f32x4.ge(x, f32x4.splat(b))));
    }
    if (op == HARDSIGMOID) {
      const inside = v128.and(f32x4.gt(x, f32x4.splat(-3)), f32x4.lt(x, f32x4.splat(3)));
      return v128.and(f32x4.mul(g, f32x4.splat(ONE_SIXTH_F)), inside);
    }
    if (op == HARDSWISH) {
      return demote4(
        Ops.hardswishGrad(f64x2.promote_low_f32x4(g), f64x2.promote_low_f32x4(x)),
        Ops.hardswishGrad(promoteHigh(g), promoteHigh(x)),
      );
    }
    // threshold
    return v128.andnot(g, f32x4.le(x, f32x4.splat(a)));
  }
}

/** out[i] = op(x[i]; a, b, c) over n floats (op numbered as ACTIVATION_CODES; a, b, c its parameters). */
export function activationOp(op: i32, out: usize, x: usize, n: i32, a: f32, b: f32, c: f32): void {
  const n4 = n & ~3;
  for (let i = 0; i < n4; i += 4) {
    const p = <usize>i << 2;
    v128.store(out + p, Ops.forward(op, v128.load(x + p), a, b, c));
  }
  if (n4 < n) {
    const p = <usize>n4 << 2;
    storePartial(out + p, Ops.forward(op, loadPartial(x + p, n - n4), a, b, c), n - n4);
  }
}

/** out[i] = g[i]·op'(x[i]; a, b, c) over n floats, x the activation's input (ELU_FROM_RESULT: its result). */
export function activationOpBackward(op: i32, out: usize, g: usize, x: usize, n: i32, a: f32, b: f32, c: f32): void {
  const n4 = n & ~3;
  for (let i = 0; i < n4; i += 4) {
    const p = <usize>i << 2;
    v128.store(out + p, Ops.backward(op, v128.load(g + p), v128.load(x + p), a, b, c));
  }
  if (n4 < n) {
    const p = <usize>n4 << 2, rem = n - n4;
    storePartial(out + p, Ops.backward(op, loadPartial(g + p, rem), loadPartial(x + p, rem), a, b, c), rem);
  }
}
