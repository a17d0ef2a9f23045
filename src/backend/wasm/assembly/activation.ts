// AssemblyScript (see sgemm.ts for why tsc skips it).
// eslint-disable-next-line @typescript-eslint/ban-ts-comment
// @ts-nocheck

// Float32 kernels built on a SIMD exp: exact GELU and its derivative, the elementwise functions
// sigmoid, tanh, exp (and neg, abs, sqrt, exact in any build) over rows at a stride (an LSTM's gates
// are a split's views), sigmoid's and tanh's gradients from the output, last-dim softmax and
// log-softmax and their gradients, in linear memory, four lanes at a time.
// The TypeScript reference (src/backend/cpu/) computes these in float64 and rounds once; these
// kernels compute in float32 with every step designed to stay within a few float32 ulps of the
// exact value (test/wasm-activation.test.ts measures it against the reference over edge values):
//  - exp(v) = p·2^n with n = round(v/ln 2), r = v - n·ln 2 in two Cody-Waite steps (exact for the
//    first), p = 1 + r + r²·E(r), E a degree-4 fit: within 1 ulp of the correctly rounded exp.
//    The scale is applied as 2^(n+100) then 2^-100, so results below 2^-126 round once, as
//    subnormals, instead of flushing. For any argument (exp itself), n is clamped to [-150, 128]
//    and 2^n applied as two halves, each a normal float: overflow gives Inf, underflow 0.
//  - GELU's Φ(x) = 0.5 + x·C(x²) for |x| < 0.75 (C a degree-5 fit of erf(x/√2)/(2x)), else from
//    erfc(a) = exp(-a²)·t·P(t), a = |x|/√2, t = 1/(1 + a/2), P a degree-8 fit; x²/2 is split as
//    x_hi² (exact, x_hi the top 12 bits of x) plus a small remainder, and both parts go into the
//    exp's reduction, so the exp's argument carries no rounding error of x² (which would cost up
//    to |x|²/2 ulps). Within 4.3 ulps of the exact GELU (mpmath) over -13..14.
// No fused multiply-adds: the relaxed builds give the same bits as the plain ones.
// The lane-wise helpers are inlined (class Lanes). Over 2^18 floats on one thread, GELU took 987 against 1,222 µs and its gradient
// 1,056 against 1,341; with pmax in the exp (below), 871 and 961, and softmax 709 against 809 µs.
// The bits are unchanged: over 2^20 inputs (random bit patterns, a dense -32..32 and edge values),
// every kernel here wrote the same bytes as before, in both builds.

import { demote4, promoteHigh } from "./lanes64";
import { LOG_E, Logs } from "./log";

// ---- exp ----
const LOG2E: f32 = 1.4426950408889634;
const LN2_HI: f32 = 0.693359375; // 355/512: n·LN2_HI is exact for |n| < 2^15
const LN2_LO: f32 = -2.12194440e-4;
const E0: f32 = 0.5;
const E1: f32 = 0.16666507720947266;
const E2: f32 = 0.04166699945926666;
const E3: f32 = 0.008373033255338669;
const E4: f32 = 0.0013905336381867528;
/** Below this argument exp rounds to 0 in float32. */
const EXP_MIN: f32 = -103.97;
const TWO_M100: f32 = 7.888609052210118e-31; // 2^-100
/**
 * 1.5·2^23: v·log2 e + SHIFTER rounds v·log2 e to an integer n (ties to even, as f32x4.nearest) and
 * holds it in its low bits, bits = SHIFTER_BITS + n for |n| < 2^22, so 2^n's exponent is one integer
 * add away: nearest and trunc_sat (six instructions on x64) were a fifth of the exp.
 */
const SHIFTER: f32 = 12582912;
const SHIFTER_BITS: i32 = 0x4b400000;

// ---- unaryRows' functions, numbered as wasm/elementwise.ts UNARY_CODES ----
const UNARY_SIGMOID: i32 = 0;
const UNARY_TANH: i32 = 1;
const UNARY_EXP: i32 = 2;
const UNARY_NEG: i32 = 3;
const UNARY_ABS: i32 = 4; // 5: sqrt; from LOG_E (6): log, log2, log10, log1p (log.ts)
const UNARY_SIGN: i32 = 10;

// ---- tanh: Cephes' tanhf polynomial below TANH_X0 ----
const TANH_X0: f32 = 0.625;
const T0: f32 = -3.33332819422e-1;
const T1: f32 = 1.33314422036e-1;
const T2: f32 = -5.37397155531e-2;
const T3: f32 = 2.06390887954e-2;
const T4: f32 = -5.70498872745e-3;

// ---- GELU ----
const X0: f32 = 0.75;
const C0: f32 = 0.3989422917366028;
const C1: f32 = -0.06649038195610046;
const C2: f32 = 0.00997353158891201;
const C3: f32 = -0.0011871381429955363;
const C4: f32 = 0.00011477862426545471;
const C5: f32 = -8.388587957597338e-06;
const P0: f32 = 0.2820783257484436;
const P1: f32 = 0.28253358602523804;
const P2: f32 = 0.24184434115886688;
const P3: f32 = 0.20798052847385406;
const P4: f32 = -0.03937533497810364;
const P5: f32 = 0.2957896888256073;
const P6: f32 = -0.5005534887313843;
const P7: f32 = 0.2890041768550873;
const P8: f32 = -0.05928488448262215;
const SQRT1_2: f32 = 0.7071067811865476;
const PDF: f32 = 0.3989422804014327; // 1/√(2π)

/**
 * The lane-wise math, inlined into every kernel (static methods because AssemblyScript's @inline
 * decorates methods in syntax that TypeScript's parser also reads). As calls, each helper
 * re-materialized its constants (three instructions a splat on x64) and paid the call, four lanes
 * at a time; inlined, TurboFan hoists the constants out of the kernels' loops.
 */
export class Lanes {
  /** r = (hi + lo) - n·ln 2 in two Cody-Waite steps, the first exact. */
  @inline static reduce(hi: v128, lo: v128, n: v128): v128 {
    return f32x4.sub(f32x4.add(f32x4.sub(hi, f32x4.mul(n, f32x4.splat(LN2_HI))), lo), f32x4.mul(n, f32x4.splat(LN2_LO)));
  }

  /** exp(r) - 1 = r + r²·E(r) for a reduced |r| <= ln 2 / 2. */
  @inline static expm1Reduced(r: v128): v128 {
    let e = f32x4.add(f32x4.mul(f32x4.splat(E4), r), f32x4.splat(E3));
    e = f32x4.add(f32x4.mul(e, r), f32x4.splat(E2));
    e = f32x4.add(f32x4.mul(e, r), f32x4.splat(E1));
    e = f32x4.add(f32x4.mul(e, r), f32x4.splat(E0));
    return f32x4.add(r, f32x4.mul(f32x4.mul(r, r), e));
  }

  /**
   * exp(hi + lo) - 1 for hi + lo <= 0 (lo small), within 2 ulps: the reduced polynomial itself
   * where n = 0 (|hi + lo| < ln 2 / 2), else p·2^n - 1 with p·2^n exact (n >= -44) and the
   * subtraction exact or rounded once (p·2^n <= 0.71); -1 below -30 (exp(-30) is below
   * 1 - expm1's rounding), NaN stays NaN.
   */
  @inline static expm1Neg(hi: v128, lo: v128): v128 {
    const s = f32x4.add(hi, lo);
    const nt = f32x4.add(f32x4.mul(f32x4.pmax(s, f32x4.splat(-30)), f32x4.splat(LOG2E)), f32x4.splat(SHIFTER));
    const n = f32x4.sub(nt, f32x4.splat(SHIFTER));
    const t = Lanes.expm1Reduced(Lanes.reduce(hi, lo, n));
    const scale = i32x4.shl(i32x4.add(nt, i32x4.splat(127 - SHIFTER_BITS)), 23);
    const big = f32x4.sub(f32x4.mul(f32x4.add(f32x4.splat(1), t), scale), f32x4.splat(1));
    return v128.bitselect(f32x4.splat(-1), v128.bitselect(t, big, f32x4.eq(n, f32x4.splat(0))), f32x4.lt(s, f32x4.splat(-30)));
  }

  /** exp(hi + lo)·2^100 for hi + lo <= 0 (lo small, hi - n·ln 2 exact); 0 below EXP_MIN, NaN stays NaN. */
  @inline static expBig(hi: v128, lo: v128): v128 {
    return Lanes.expScaled(hi, lo, -150, EXP_MIN);
  }

  /**
   * exp(hi + lo)·2^100 for hi + lo <= 0, as expBig, down to `min` (0 below it); n = round((hi + lo)/ln 2)
   * is clamped at `floor`, which keeps 2^(n+100) a normal float for floor >= -226.
   */
  @inline static expScaled(hi: v128, lo: v128, floor: f32, min: f32): v128 {
    const s = f32x4.add(hi, lo);
    // pmax is one maxps where max costs eight instructions on x64 for its NaN and signed-zero rules;
    // the same value here: a NaN stays NaN, and -0 never meets the floor
    const nt = f32x4.pmax(f32x4.add(f32x4.mul(s, f32x4.splat(LOG2E)), f32x4.splat(SHIFTER)), f32x4.splat(floor + SHIFTER));
    const n = f32x4.sub(nt, f32x4.splat(SHIFTER));
    const p = f32x4.add(f32x4.splat(1), Lanes.expm1Reduced(Lanes.reduce(hi, lo, n)));
    const scale = i32x4.shl(i32x4.add(nt, i32x4.splat(227 - SHIFTER_BITS)), 23);
    return v128.andnot(f32x4.mul(p, scale), f32x4.lt(s, f32x4.splat(min)));
  }

  /** exp(v) lane-wise, within 1 ulp of the correctly rounded value. */
  @inline static expv(v: v128): v128 {
    return f32x4.mul(Lanes.expBig(v, f32x4.splat(0)), f32x4.splat(TWO_M100));
  }

  /** exp(v) for any v (Inf above ~88.72, 0 below EXP_MIN, NaN stays NaN), within 1 ulp as expv. */
  @inline static expAny(v: v128): v128 {
    const shifted = f32x4.add(f32x4.mul(v, f32x4.splat(LOG2E)), f32x4.splat(SHIFTER));
    const nt = f32x4.pmin(f32x4.pmax(shifted, f32x4.splat(SHIFTER - 150)), f32x4.splat(SHIFTER + 128));
    const n = f32x4.sub(nt, f32x4.splat(SHIFTER));
    const r = f32x4.sub(f32x4.sub(v, f32x4.mul(n, f32x4.splat(LN2_HI))), f32x4.mul(n, f32x4.splat(LN2_LO)));
    const p = f32x4.add(f32x4.splat(1), Lanes.expm1Reduced(r));
    // 2^n as 2^(n >> 1) · 2^(n - (n >> 1)): both halves within [-75, 64], normal floats
    const ni = i32x4.sub(nt, i32x4.splat(SHIFTER_BITS)), n1 = i32x4.shr_s(ni, 1), n2 = i32x4.sub(ni, n1);
    const s1 = i32x4.shl(i32x4.add(n1, i32x4.splat(127)), 23), s2 = i32x4.shl(i32x4.add(n2, i32x4.splat(127)), 23);
    return v128.andnot(f32x4.mul(f32x4.mul(p, s1), s2), f32x4.lt(v, f32x4.splat(EXP_MIN)));
  }

  /** Φ(x) = 0.5 + x·C(x²) for |x| < X0. */
  @inline static phiCentral(x: v128): v128 {
    const s = f32x4.mul(x, x);
    let c = f32x4.add(f32x4.mul(f32x4.splat(C5), s), f32x4.splat(C4));
    c = f32x4.add(f32x4.mul(c, s), f32x4.splat(C3));
    c = f32x4.add(f32x4.mul(c, s), f32x4.splat(C2));
    c = f32x4.add(f32x4.mul(c, s), f32x4.splat(C1));
    c = f32x4.add(f32x4.mul(c, s), f32x4.splat(C0));
    return f32x4.add(f32x4.splat(0.5), f32x4.mul(x, c));
  }

  /** erfc(a)·exp(a²)/2 for a = |x|/√2 >= X0/√2. */
  @inline static halfQ(ax: v128): v128 {
    const a = f32x4.mul(ax, f32x4.splat(SQRT1_2));
    const t = f32x4.div(f32x4.splat(1), f32x4.add(f32x4.splat(1), f32x4.mul(f32x4.splat(0.5), a)));
    let q = f32x4.add(f32x4.mul(f32x4.splat(P8), t), f32x4.splat(P7));
    q = f32x4.add(f32x4.mul(q, t), f32x4.splat(P6));
    q = f32x4.add(f32x4.mul(q, t), f32x4.splat(P5));
    q = f32x4.add(f32x4.mul(q, t), f32x4.splat(P4));
    q = f32x4.add(f32x4.mul(q, t), f32x4.splat(P3));
    q = f32x4.add(f32x4.mul(q, t), f32x4.splat(P2));
    q = f32x4.add(f32x4.mul(q, t), f32x4.splat(P1));
    q = f32x4.add(f32x4.mul(q, t), f32x4.splat(P0));
    return f32x4.mul(f32x4.splat(0.5), f32x4.mul(t, q));
  }

  /** exp(-x²/2)·2^100, x² split so the exp's argument is exact up to the small part's rounding; 0 beyond |x| = 15 (and ±Inf). */
  @inline static gaussBig(x: v128, ax: v128): v128 {
    const xh = v128.and(x, i32x4.splat(0xFFFFF000));
    const xl = f32x4.sub(x, xh);
    const hi = f32x4.mul(f32x4.splat(-0.5), f32x4.mul(xh, xh));
    const lo = f32x4.mul(f32x4.splat(-0.5), f32x4.mul(xl, f32x4.add(x, xh)));
    return v128.andnot(Lanes.expBig(hi, lo), f32x4.gt(ax, f32x4.splat(15)));
  }

  /** sigmoid of 4 lanes: 1/(1 + e) or e/(1 + e), e = exp(-|x|); NaN stays NaN. */
  @inline static sigmoid4(x: v128): v128 {
    const e = Lanes.expv(f32x4.neg(f32x4.abs(x)));
    const num = v128.bitselect(e, f32x4.splat(1), f32x4.lt(x, f32x4.splat(0)));
    return f32x4.div(num, f32x4.add(f32x4.splat(1), e));
  }

  /** tanh of 4 lanes, computed at |x| with x's sign copied on. */
  @inline static tanh4(x: v128): v128 {
    const ax = f32x4.abs(x);
    const z = f32x4.mul(ax, ax);
    let t = f32x4.add(f32x4.mul(f32x4.splat(T4), z), f32x4.splat(T3));
    t = f32x4.add(f32x4.mul(t, z), f32x4.splat(T2));
    t = f32x4.add(f32x4.mul(t, z), f32x4.splat(T1));
    t = f32x4.add(f32x4.mul(t, z), f32x4.splat(T0));
    const small = f32x4.add(ax, f32x4.mul(f32x4.mul(ax, z), t));
    const e = Lanes.expv(f32x4.mul(ax, f32x4.splat(-2)));
    const big = f32x4.div(f32x4.sub(f32x4.splat(1), e), f32x4.add(f32x4.splat(1), e));
    const r = v128.bitselect(small, big, f32x4.lt(ax, f32x4.splat(TANH_X0)));
    return v128.or(r, v128.and(x, i32x4.splat(0x80000000)));
  }

  /** unaryRows' function of 4 lanes (op: UNARY_SIGMOID ... UNARY_ABS, UNARY_SIGN, the logarithms from LOG_E, else sqrt). */
  @inline static unary4(op: i32, x: v128): v128 {
    if (op == UNARY_SIGMOID) return Lanes.sigmoid4(x);
    if (op == UNARY_TANH) return Lanes.tanh4(x);
    if (op == UNARY_EXP) return Lanes.expAny(x);
    if (op == UNARY_NEG) return f32x4.neg(x);
    if (op == UNARY_ABS) return f32x4.abs(x);
    // (0 < x) - (x < 0): 0 for NaN and ±0
    if (op == UNARY_SIGN) return v128.bitselect(f32x4.splat(1), v128.and(f32x4.lt(x, f32x4.splat(0)), f32x4.splat(-1)), f32x4.gt(x, f32x4.splat(0)));
    if (op >= LOG_E) return Logs.log4(op, x);
    return f32x4.sqrt(x);
  }

  /** GELU of 4 lanes: x·Φ(x). */
  @inline static gelu4(x: v128): v128 {
    const ax = f32x4.abs(x);
    const eb = Lanes.gaussBig(x, ax);
    const hq = Lanes.halfQ(ax);
    const neg = f32x4.mul(f32x4.mul(x, f32x4.mul(hq, eb)), f32x4.splat(TWO_M100));
    const pos = f32x4.mul(x, f32x4.sub(f32x4.splat(1), f32x4.mul(hq, f32x4.mul(eb, f32x4.splat(TWO_M100)))));
    const tail = v128.bitselect(neg, pos, f32x4.lt(x, f32x4.splat(0)));
    return v128.bitselect(f32x4.mul(x, Lanes.phiCentral(x)), tail, f32x4.lt(ax, f32x4.splat(X0)));
  }

  /** g·GELU'(x) of 4 lanes: g·(Φ(x) + x·φ(x)). */
  @inline static geluGrad4(g: v128, x: v128): v128 {
    const ax = f32x4.abs(x);
    const eb = Lanes.gaussBig(x, ax);
    const hq = Lanes.halfQ(ax);
    const pdfb = f32x4.mul(eb, f32x4.splat(PDF));
    // x < 0 in the tail: (Φ + x·φ)·2^100 from the scaled terms, the 2^-100 applied last
    const neg = f32x4.mul(f32x4.mul(g, f32x4.add(f32x4.mul(hq, eb), f32x4.mul(x, pdfb))), f32x4.splat(TWO_M100));
    const e = f32x4.mul(eb, f32x4.splat(TWO_M100));
    const xphi = f32x4.mul(x, f32x4.mul(e, f32x4.splat(PDF)));
    const pos = f32x4.mul(g, f32x4.add(f32x4.sub(f32x4.splat(1), f32x4.mul(hq, e)), xphi));
    const central = f32x4.mul(g, f32x4.add(Lanes.phiCentral(x), xphi));
    const tail = v128.bitselect(neg, pos, f32x4.lt(x, f32x4.splat(0)));
    return v128.bitselect(central, tail, f32x4.lt(ax, f32x4.splat(X0)));
  }
}

/** Loads the n < 4 floats at p into the low lanes (the others 0). */
export function loadPartial(p: usize, n: i32): v128 {
  let v = f32x4.splat(0);
  v = f32x4.replace_lane(v, 0, load<f32>(p));
  if (n > 1) v = f32x4.replace_lane(v, 1, load<f32>(p + 4));
  if (n > 2) v = f32x4.replace_lane(v, 2, load<f32>(p + 8));
  return v;
}

/** Stores the low n < 4 lanes of v at p. */
export function storePartial(p: usize, v: v128, n: i32): void {
  store<f32>(p, f32x4.extract_lane(v, 0));
  if (n > 1) store<f32>(p + 4, f32x4.extract_lane(v, 1));
  if (n > 2) store<f32>(p + 8, f32x4.extract_lane(v, 2));
}

/** out[i] = GELU(x[i]) (exact form, x·Φ(x)) over n floats. */
export function gelu(out: usize, x: usize, n: i32): void {
  const n4 = n & ~3;
  for (let i = 0; i < n4; i += 4) {
    const p = <usize>i << 2;
    v128.store(out + p, Lanes.gelu4(v128.load(x + p)));
  }
  if (n4 < n) {
    const p = <usize>n4 << 2;
    storePartial(out + p, Lanes.gelu4(loadPartial(x + p, n - n4)), n - n4);
  }
}

/** out[i] = g[i]·GELU'(x[i]) over n floats. */
export function geluBackward(out: usize, g: usize, x: usize, n: i32): void {
  const n4 = n & ~3;
  for (let i = 0; i < n4; i += 4) {
    const p = <usize>i << 2;
    v128.store(out + p, Lanes.geluGrad4(v128.load(g + p), v128.load(x + p)));
  }
  if (n4 < n) {
    const p = <usize>n4 << 2;
    storePartial(out + p, Lanes.geluGrad4(loadPartial(g + p, n - n4), loadPartial(x + p, n - n4)), n - n4);
  }
}

/**
 * out [rows, cols] (dense) = f(x) for x's rows `sx` floats apart, f by `op` (wasm/elementwise.ts
 * UNARY_CODES): sigmoid, tanh, exp (within 2 ulps), neg, abs, sqrt (the reference's bits).
 */
export function unaryRows(op: i32, out: usize, x: usize, sx: i32, rows: i32, cols: i32): void {
  const n4 = cols & ~3, rem = cols - n4;
  for (let r = 0; r < rows; r++) {
    const px = x + ((<usize>r * <usize>sx) << 2), po = out + ((<usize>r * <usize>cols) << 2);
    for (let j = 0; j < n4; j += 4) {
      const p = <usize>j << 2;
      v128.store(po + p, Lanes.unary4(op, v128.load(px + p)));
    }
    if (rem > 0) {
      const p = <usize>n4 << 2;
      storePartial(po + p, Lanes.unary4(op, loadPartial(px + p, rem)), rem);
    }
  }
}

/** out[i] = (g[i]·(1 - y[i]))·y[i] over n floats: sigmoid's input gradient from its output (PyTorch's sigmoid_backward). */
export function sigmoidGrad(out: usize, g: usize, y: usize, n: i32): void {
  const one = f32x4.splat(1), n4 = n & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    const p = <usize>i << 2, yv = v128.load(y + p);
    v128.store(out + p, f32x4.mul(f32x4.mul(v128.load(g + p), f32x4.sub(one, yv)), yv));
  }
  for (; i < n; i++) {
    const p = <usize>i << 2, yv = load<f32>(y + p);
    store<f32>(out + p, (load<f32>(g + p) * (<f32>1 - yv)) * yv);
  }
}

/** out[i] = g[i]·(1 - y[i]²), 1 - y² from the exact float64 square, rounded once: tanh's input gradient from its output. */
export function tanhGrad(out: usize, g: usize, y: usize, n: i32): void {
  const one = f64x2.splat(1), n4 = n & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    const p = <usize>i << 2, yv = v128.load(y + p);
    const lo = f64x2.promote_low_f32x4(yv), hi = promoteHigh(yv);
    const t = demote4(f64x2.sub(one, f64x2.mul(lo, lo)), f64x2.sub(one, f64x2.mul(hi, hi)));
    v128.store(out + p, f32x4.mul(v128.load(g + p), t));
  }
  for (; i < n; i++) {
    const p = <usize>i << 2, yd = <f64>load<f32>(y + p);
    store<f32>(out + p, load<f32>(g + p) * <f32>(1.0 - yd * yd));
  }
}

// ---- softmax over the last dim ----


/** The row's maximum (NaN if any element is NaN). */
function rowMax(px: usize, cols: i32): f32 {
  const n4 = cols & ~3;
  let m = f32x4.splat(-Infinity);
  let j = 0;
  for (; j < n4; j += 4) m = f32x4.max(m, v128.load(px + (<usize>j << 2)));
  let mx = f32x4.extract_lane(m, 0);
  for (let l = 1; l < 4; l++) {
    const v = l == 1 ? f32x4.extract_lane(m, 1) : l == 2 ? f32x4.extract_lane(m, 2) : f32x4.extract_lane(m, 3);
    if (v > mx || v != v) mx = v;
  }
  for (; j < cols; j++) {
    const v = load<f32>(px + (<usize>j << 2));
    if (v > mx || v != v) mx = v;
  }
  return mx;
}

/**
 * ln(s) in float64 for a row sum s >= 1 (NaN stays NaN): s = 2^k·m, m in [√½, √2), ln m =
 * 2·atanh(z), z = (m - 1)/(m + 1), |z| <= 0.172, by its series to z^23 (error below 1e-17).
 * Written out because AssemblyScript's Math.log reads tables from static memory, which the
 * kernels' scratch overwrites.
 */
function lnRowSum(s: f64): f64 {
  const bits = reinterpret<u64>(s);
  let k = <i32>((bits >> 52) & 0x7ff) - 1023;
  let m = reinterpret<f64>((bits & 0x000FFFFFFFFFFFFF) | 0x3FF0000000000000);
  if (m > 1.4142135623730951) { m *= 0.5; k++; }
  const z = (m - 1) / (m + 1), z2 = z * z;
  let p: f64 = 1.0 / 23;
  for (let i = 21; i >= 1; i -= 2) p = p * z2 + 1.0 / <f64>i;
  return <f64>k * 0.6931471805599453 + 2 * z * p;
}

/**
 * Softmax (log 0) or log-softmax (log 1) of each row of x [rows, cols] into y, as the reference:
 * e = exp(x - max), s = Σe in float64 (lane-wise), y = e·(1/s) or (x - max) - log(s).
 */
export function softmax(y: usize, x: usize, rows: i32, cols: i32, log: i32): void {
  const n4 = cols & ~3, rem = cols - n4;
  for (let r = 0; r < rows; r++) {
    const px = x + ((<usize>r * <usize>cols) << 2), py = y + ((<usize>r * <usize>cols) << 2);
    const mx = rowMax(px, cols);
    if (mx != mx) {
      for (let j = 0; j < cols; j++) store<f32>(py + (<usize>j << 2), NaN);
      continue;
    }
    const mv = f32x4.splat(mx);
    let lo = f64x2.splat(0), hi = f64x2.splat(0);
    let j = 0;
    for (; j < n4; j += 4) {
      const p = <usize>j << 2;
      const e = Lanes.expv(f32x4.sub(v128.load(px + p), mv));
      if (!log) v128.store(py + p, e);
      lo = f64x2.add(lo, f64x2.promote_low_f32x4(e));
      hi = f64x2.add(hi, promoteHigh(e));
    }
    let s = f64x2.extract_lane(f64x2.add(lo, hi), 0) + f64x2.extract_lane(f64x2.add(lo, hi), 1);
    if (rem > 0) {
      const p = <usize>n4 << 2;
      // the unused lanes hold exp(0 - max) and are not summed
      const e = Lanes.expv(f32x4.sub(loadPartial(px + p, rem), mv));
      if (!log) storePartial(py + p, e, rem);
      s += <f64>f32x4.extract_lane(e, 0);
      if (rem > 1) s += <f64>f32x4.extract_lane(e, 1);
      if (rem > 2) s += <f64>f32x4.extract_lane(e, 2);
    }
    if (log) {
      const ls = f32x4.splat(<f32>lnRowSum(<f64><f32>s));
      for (j = 0; j < n4; j += 4) {
        const p = <usize>j << 2;
        v128.store(py + p, f32x4.sub(f32x4.sub(v128.load(px + p), mv), ls));
      }
      for (; j < cols; j++) {
        const p = <usize>j << 2;
        store<f32>(py + p, (load<f32>(px + p) - mx) - f32x4.extract_lane(ls, 0));
      }
    } else {
      const inv = f32x4.splat(<f32>1 / <f32>s);
      for (j = 0; j < n4; j += 4) {
        const p = <usize>j << 2;
        v128.store(py + p, f32x4.mul(v128.load(py + p), inv));
      }
      for (; j < cols; j++) {
        const p = <usize>j << 2;
        store<f32>(py + p, load<f32>(py + p) * f32x4.extract_lane(inv, 0));
      }
    }
  }
}

/**
 * The input gradient of softmax (log 0: (g - Σg·y)·y, the products rounded before the float64
 * sum) or log-softmax (log 1: g - exp(y)·Σg) per row, from y and g [rows, cols] into dx.
 */
export function softmaxBackward(dx: usize, g: usize, y: usize, rows: i32, cols: i32, log: i32): void {
  const n4 = cols & ~3;
  for (let r = 0; r < rows; r++) {
    const o = (<usize>r * <usize>cols) << 2;
    const pg = g + o, py = y + o, pd = dx + o;
    let lo = f64x2.splat(0), hi = f64x2.splat(0);
    let j = 0;
    for (; j < n4; j += 4) {
      const p = <usize>j << 2;
      const gv = v128.load(pg + p);
      const t = log ? gv : f32x4.mul(gv, v128.load(py + p));
      lo = f64x2.add(lo, f64x2.promote_low_f32x4(t));
      hi = f64x2.add(hi, promoteHigh(t));
    }
    let s = f64x2.extract_lane(f64x2.add(lo, hi), 0) + f64x2.extract_lane(f64x2.add(lo, hi), 1);
    for (; j < cols; j++) {
      const p = <usize>j << 2;
      s += log ? <f64>load<f32>(pg + p) : <f64>(load<f32>(pg + p) * load<f32>(py + p));
    }
    const sv = f32x4.splat(<f32>s);
    if (log) {
      for (j = 0; j < n4; j += 4) {
        const p = <usize>j << 2;
        v128.store(pd + p, f32x4.sub(v128.load(pg + p), f32x4.mul(Lanes.expv(v128.load(py + p)), sv)));
      }
      if (j < cols) {
        const p = <usize>j << 2, rem = cols - j;
        storePartial(pd + p, f32x4.sub(loadPartial(pg + p, rem), f32x4.mul(Lanes.expv(loadPartial(py + p, rem)), sv)), rem);
      }
    } else {
      for (j = 0; j < n4; j += 4) {
        const p = <usize>j << 2;
        v128.store(pd + p, f32x4.mul(f32x4.sub(v128.load(pg + p), sv), v128.load(py + p)));
      }
      for (; j < cols; j++) {
        const p = <usize>j << 2;
        store<f32>(pd + p, (load<f32>(pg + p) - f32x4.extract_lane(sv, 0)) * load<f32>(py + p));
      }
    }
  }
}
