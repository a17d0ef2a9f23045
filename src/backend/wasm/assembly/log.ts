// AssemblyScript (see sgemm.ts for why tsc skips it).
// eslint-disable-next-line @typescript-eslint/ban-ts-comment
// @ts-nocheck

// Natural, base-2 and base-10 logarithms and log1p of float32 lanes, for activation.ts's
// unaryRows. The TypeScript reference takes Math.log (log2, log10, log1p) in float64 and rounds
// once. Here x = 2^k·m with m in [√½, √2) is split in float32 (subnormals scaled by 2^24 first),
// or for log1p u = 1 + x in float64 by its bits, and ln m = 2·atanh(z), z = (m - 1)/(m + 1),
// |z| <= 0.1716, runs in float64 by its series to z^13 (relative error below 2e-12), so the one
// rounding to float32 gives the reference's bits but where the exact value lies within that error
// of a rounding boundary. log(±0) = -Inf, log(x < 0) and log(NaN) are NaN, log(Inf) = Inf, and
// log1p likewise at -1, below it, and at Inf.

import { demote4, highHalf, promoteHigh } from "./lanes64";

/** ln 2 and 1/ln 2, 1/ln 10 in float64. */
const LN2: f64 = 0.6931471805599453;
const INV_LN2: f64 = 1.4426950408889634;
const INV_LN10: f64 = 0.4342944819032518;
/** The float32 bits of √2: mantissas above it are halved. */
const SQRT2_BITS: i32 = 0x3fb504f3;
/** 2^-126, the smallest normal float32, and 2^24, the subnormals' scale. */
const MIN_NORMAL: f32 = 1.1754943508222875e-38;
const TWO_24: f32 = 16777216;

/** Which logarithm: numbered as wasm/elementwise.ts UNARY_CODES numbers log, log2, log10 and log1p (6-9). */
export const LOG_E: i32 = 6;
export const LOG_2: i32 = 7;
const LOG_1P: i32 = 9;
/** √2, 2^52 and the float64 bits that make an integer below 2^52 a float64 when or-ed in. */
const SQRT2_D: f64 = 1.4142135623730951;
const TWO_52: f64 = 4503599627370496;
const TWO_52_BITS: i64 = 0x4330000000000000;

export class Logs {
  /**
   * ln m for two float64 lanes m in [√½, √2): 2z·(1 + w/3 + w²/5 + ... + w⁶/13), w = z²,
   * the polynomial in Estrin's pairs (a short dependency chain: in Horner's form the loop ran at the
   * chain's latency, 1.0 against 0.76 ms over 2^18 floats on one thread).
   */
  @inline static lnMantissa(m: v128): v128 {
    const one = f64x2.splat(1);
    const z = f64x2.div(f64x2.sub(m, one), f64x2.add(m, one)), w = f64x2.mul(z, z);
    const w2 = f64x2.mul(w, w), w4 = f64x2.mul(w2, w2);
    const a = f64x2.add(one, f64x2.mul(w, f64x2.splat(1.0 / 3)));
    const b = f64x2.add(f64x2.splat(1.0 / 5), f64x2.mul(w, f64x2.splat(1.0 / 7)));
    const c = f64x2.add(f64x2.add(f64x2.splat(1.0 / 9), f64x2.mul(w, f64x2.splat(1.0 / 11))), f64x2.mul(w2, f64x2.splat(1.0 / 13)));
    const p = f64x2.add(a, f64x2.add(f64x2.mul(w2, b), f64x2.mul(w4, c)));
    return f64x2.mul(f64x2.add(z, z), p);
  }

  /** The logarithm (op LOG_E, LOG_2, else base 10) of two float64 lanes from k and m, x = 2^k·m. */
  @inline static combine(op: i32, k: v128, m: v128): v128 {
    const lm = Logs.lnMantissa(m);
    if (op == LOG_2) return f64x2.add(k, f64x2.mul(lm, f64x2.splat(INV_LN2)));
    const ln = f64x2.add(f64x2.mul(k, f64x2.splat(LN2)), lm);
    return op == LOG_E ? ln : f64x2.mul(ln, f64x2.splat(INV_LN10));
  }

  /** ln u for two float64 lanes u, normal and finite: u = 2^k·m split by its bits, m in [√½, √2). */
  @inline static lnF64(u: v128): v128 {
    const mb = v128.or(v128.and(u, i64x2.splat(0x000FFFFFFFFFFFFF)), i64x2.splat(0x3FF0000000000000));
    const big = f64x2.gt(mb, f64x2.splat(SQRT2_D));
    const m = v128.bitselect(f64x2.mul(mb, f64x2.splat(0.5)), mb, big);
    // the biased exponent as a float64 (or-ed under 2^52's bits), less the bias, plus 1 where m was halved
    const e = f64x2.sub(v128.or(i64x2.shr_u(u, 52), i64x2.splat(TWO_52_BITS)), f64x2.splat(TWO_52));
    const k = f64x2.add(f64x2.sub(e, f64x2.splat(1023)), v128.and(big, f64x2.splat(1)));
    return f64x2.add(f64x2.mul(k, f64x2.splat(LN2)), Logs.lnMantissa(m));
  }

  /**
   * log1p of two float64 lanes x (float32 values): ln(u)·x/(u - 1) with u = 1 + x, which corrects
   * u's rounding (exact for |x| >= 2^-29) to first order; x itself where u = 1.
   */
  @inline static log1p(x: v128): v128 {
    const u = f64x2.add(f64x2.splat(1), x);
    const r = f64x2.mul(Logs.lnF64(u), f64x2.div(x, f64x2.sub(u, f64x2.splat(1))));
    return v128.bitselect(x, r, f64x2.eq(u, f64x2.splat(1)));
  }

  /** log1p of four float32 lanes: -Inf at -1, NaN below it and for NaN, Inf at Inf. */
  @inline static log1p4(x: v128): v128 {
    let r = demote4(Logs.log1p(f64x2.promote_low_f32x4(x)), Logs.log1p(promoteHigh(x)));
    r = v128.bitselect(f32x4.splat(-Infinity), r, f32x4.eq(x, f32x4.splat(-1)));
    r = v128.bitselect(f32x4.splat(Infinity), r, f32x4.eq(x, f32x4.splat(Infinity)));
    return v128.bitselect(f32x4.splat(NaN), r, v128.or(f32x4.lt(x, f32x4.splat(-1)), f32x4.ne(x, x)));
  }

  /** log, log2, log10 (op as in combine) or log1p of four float32 lanes. */
  @inline static log4(op: i32, x: v128): v128 {
    if (op == LOG_1P) return Logs.log1p4(x);
    const sub = f32x4.lt(x, f32x4.splat(MIN_NORMAL));
    const b = v128.bitselect(f32x4.mul(x, f32x4.splat(TWO_24)), x, sub);
    const big = i32x4.gt_s(v128.or(v128.and(b, i32x4.splat(0x7fffff)), i32x4.splat(0x3f800000)), i32x4.splat(SQRT2_BITS));
    // k = exponent - 127 (- 24 for a subnormal), + 1 where the mantissa is halved (big is -1 there)
    const k = i32x4.sub(i32x4.sub(i32x4.shr_u(b, 23), i32x4.splat(127)), i32x4.add(big, v128.and(sub, i32x4.splat(24))));
    const m = i32x4.sub(v128.or(v128.and(b, i32x4.splat(0x7fffff)), i32x4.splat(0x3f800000)), v128.and(big, i32x4.splat(0x800000)));
    const lo = Logs.combine(op, f64x2.convert_low_i32x4_s(k), f64x2.promote_low_f32x4(m));
    const hi = Logs.combine(op, f64x2.convert_low_i32x4_s(highHalf(k)), promoteHigh(m));
    let r = demote4(lo, hi);
    r = v128.bitselect(f32x4.splat(-Infinity), r, f32x4.eq(x, f32x4.splat(0)));
    r = v128.bitselect(f32x4.splat(Infinity), r, f32x4.eq(x, f32x4.splat(Infinity)));
    // NaN for x < 0 and for NaN (x != x)
    return v128.bitselect(f32x4.splat(NaN), r, v128.or(f32x4.lt(x, f32x4.splat(0)), f32x4.ne(x, x)));
  }
}
