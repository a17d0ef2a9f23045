/** float16 and bfloat16 bits to numbers and back, rounding to nearest even as PyTorch's casts do. */
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE half bits to a number (subnormals, infinities and NaN included). */
export function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1, exp = (h >> 10) & 0x1f, frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** bfloat16 bits to a number: the top half of a float32. */
export function bfloat16ToNumber(h: number): number {
  u32[0] = h << 16;
  return f32[0]!;
}

/** A number to IEEE half bits: through float32 (as PyTorch casts double), then round to nearest even. */
export function numberToHalf(x: number): number {
  f32[0] = x;
  const bits = u32[0]!, sign = (bits >>> 16) & 0x8000, exp = (bits >>> 23) & 0xff;
  let mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    return sign | roundShift(mant, 14 - e);
  }
  // a carry out of the mantissa correctly bumps the exponent (up to infinity)
  return sign | ((e << 10) + roundShift(mant, 13));
}

/** A number to bfloat16 bits: the float32's top half, rounded to nearest even (NaN stays NaN). */
export function numberToBfloat16(x: number): number {
  f32[0] = x;
  if (x !== x) return 0x7fc0;
  const bits = u32[0]!;
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
}

// v >> shift rounded to nearest, ties to even
function roundShift(v: number, shift: number): number {
  const q = v >>> shift, rem = v & ((1 << shift) - 1), halfway = 1 << (shift - 1);
  return rem > halfway || (rem === halfway && (q & 1)) ? q + 1 : q;
}
