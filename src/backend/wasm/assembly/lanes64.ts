// AssemblyScript (see sgemm.ts for why tsc skips it).
// eslint-disable-next-line @typescript-eslint/ban-ts-comment
// @ts-nocheck

// Four float32 lanes as two float64 halves and back, for the kernels that compute or sum in float64
// (norm.ts, activation.ts, activation-ops.ts, log.ts).

/** v's high two 32-bit lanes moved to the low half (the low two to the high). */
export function highHalf(v: v128): v128 {
  return i8x16.shuffle(v, v, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7);
}

/** The high two floats of v as float64. */
export function promoteHigh(v: v128): v128 {
  return f64x2.promote_low_f32x4(highHalf(v));
}

/** Four float32 lanes from two float64 halves (lo: lanes 0, 1; hi: 2, 3), each rounded once. */
export function demote4(lo: v128, hi: v128): v128 {
  return i8x16.shuffle(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23);
}
