// AssemblyScript (see sgemm.ts for why tsc skips it).
// eslint-disable-next-line @typescript-eslint/ban-ts-comment
// @ts-nocheck

import { Lanes, loadPartial, promoteHigh, storePartial } from "./activation";

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
//  - leakyReLU, hardtanh and threshold are float32 selects and products; hardsigmoid and
//    hardswish run in float64 and round once. These give the reference's bits.
const SILU: i32 = 0;
const GELU_TANH: i32 = 1;
const LEAKY_RELU: i32 = 2;
const HARDTANH: i32 = 3;
const HARDSIGMOID: i32 = 4;
const HARDSWISH: i32 = 5; // and 6: threshold

/** √(2/π) and 0.044715, the reference's constants of GELU's tanh form, and the products it uses. */
const BETA: f64 = 0.7978845608028654;
const KAPPA: f64 = 0.044715;
const TWO_BETA: f64 = 2 * BETA;
const THREE_KAPPA: f64 = 3 * KAPPA;
/** The exp's 2^100 scale, removed in float64 (exact there, where float32 would flush). */
const TWO_M100: f64 = 7.888609052210118e-31;
/** -|z| below this is clamped before the split (its exp is 0 below -130 either way). */
const ARG_FLOOR: f64 = -200;
/** The reference's float32 1/6 of hardsigmoid's gradient. */
const ONE_SIXTH_F: f32 = 0.1666666716337204;

/**
 * The lane-wise functions, inlined into both kernels (static methods, as activation.ts's Lanes,
 * because AssemblyScript's @inline on functions is syntax TypeScript's parser refuses).
 */
class Ops {
  /** Two float64 halves as four float32 lanes, each rounded once. */
  @inline static join(lo: v128, hi: v128): v128 {
    return i8x16.shuffle(
      f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23,
    );
  }

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
   * exp(-|z|)·2^100 of four lanes, z the sigmoid's argument of x: x itself (SiLU) or the tanh
   * form's, computed in float64 and passed to the exp as head plus tail.
   */
  @inline static expArg(op: i32, x: v128): v128 {
    if (op == SILU) return Lanes.expScaled(f32x4.neg(f32x4.abs(x)), f32x4.splat(0), -200, -130);
    const wl = Ops.negAbs(Ops.tanhArg(f64x2.promote_low_f32x4(x)));
    const wh = Ops.negAbs(Ops.tanhArg(promoteHigh(x)));
    const hi = Ops.join(wl, wh);
    const lo = Ops.join(f64x2.sub(wl, f64x2.promote_low_f32x4(hi)), f64x2.sub(wh, promoteHigh(hi)));
    return Lanes.expScaled(hi, lo, -200, -130);
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

  /** op(x; a, b) of four lanes. */
  @inline static forward(op: i32, x: v128, a: f32, b: f32): v128 {
    if (op == SILU || op == GELU_TANH) {
      const eb = Ops.expArg(op, x);
      return Ops.join(
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
      return Ops.join(Ops.hard(op, f64x2.promote_low_f32x4(x)), Ops.hard(op, promoteHigh(x)));
    }
    return v128.bitselect(f32x4.splat(b), x, f32x4.le(x, f32x4.splat(a)));
  }

  /** g·op'(x; a, b) of four lanes. */
  @inline static backward(op: i32, g: v128, x: v128, a: f32, b: f32): v128 {
    if (op == SILU || op == GELU_TANH) {
      const eb = Ops.expArg(op, x);
      return Ops.join(
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
      return Ops.join(
        Ops.hardswishGrad(f64x2.promote_low_f32x4(g), f64x2.promote_low_f32x4(x)),
        Ops.hardswishGrad(promoteHigh(g), promoteHigh(x)),
      );
    }
    return v128.andnot(g, f32x4.le(x, f32x4.splat(a)));
  }
}

/** out[i] = op(x[i]; a, b) over n floats (op numbered as ACTIVATION_CODES; a, b its parameters). */
export function activationOp(op: i32, out: usize, x: usize, n: i32, a: f32, b: f32): void {
  const n4 = n & ~3;
  for (let i = 0; i < n4; i += 4) {
    const p = <usize>i << 2;
    v128.store(out + p, Ops.forward(op, v128.load(x + p), a, b));
  }
  if (n4 < n) {
    const p = <usize>n4 << 2;
    storePartial(out + p, Ops.forward(op, loadPartial(x + p, n - n4), a, b), n - n4);
  }
}

/** out[i] = g[i]·op'(x[i]; a, b) over n floats, x the activation's input. */
export function activationOpBackward(op: i32, out: usize, g: usize, x: usize, n: i32, a: f32, b: f32): void {
  const n4 = n & ~3;
  for (let i = 0; i < n4; i += 4) {
    const p = <usize>i << 2;
    v128.store(out + p, Ops.backward(op, v128.load(g + p), v128.load(x + p), a, b));
  }
  if (n4 < n) {
    const p = <usize>n4 << 2, rem = n - n4;
    storePartial(out + p, Ops.backward(op, loadPartial(g + p, rem), loadPartial(x + p, rem), a, b), rem);
  }
}
