/**
 * The floating-point fill kernels of PyTorch 1.13's CPU generator: uniform_, normal_ and
 * exponential_, writing `out` front to back as PyTorch's serial CPU kernels do, so the same seed
 * and call order give PyTorch's numbers.
 *
 * PyTorch visits a non-contiguous tensor in storage order (TensorIterator sorts dims by stride),
 * and normal_ on one always takes the per-element path: use fillNormalSerial there.
 *
 * Which PyTorch: an x86-64 build running its AVX2 kernels (AVX512 CPUs take the same path),
 * with GCC's FMA contraction, checked against libtorch_cpu's machine code. float32 results are
 * bit-identical; float64 normals and exponentials go through libm (V8's fdlibm here, glibc
 * there) and can differ in the last bit or two.
 */
import { ValueError } from "../errors.ts";
import { TWO_POW_32, TWO_POW_NEG_24, TWO_POW_NEG_53, type Generator } from "./generator.ts";

// ---------------------------------------------------------------------------------------------
// Fill kernels. `out` is the contiguous storage of the tensor being filled, in element order.

/** The typed arrays of the float dtypes the fills write. */
export type FloatArray = Float32Array | Float64Array;
const f32 = Math.fround;
const FLOAT32_MAX = 3.4028234663852886e38;

// Fills draw in chunks through randomInto: a third of the cost of one random() call per element.
/** Draws per randomInto call (scratch buffers hold this many). */
export const CHUNK = 1024;
const words = new Uint32Array(2 * CHUNK);
const raw53 = new Float64Array(CHUNK);

/** The next m draws (m <= CHUNK). */
export const draw32 = (gen: Generator, m: number): Uint32Array => gen.randomInto(words, m);

/** The next m values of `random64() & (2^53 - 1)`, two draws each (m <= CHUNK). */
export function draw53(gen: Generator, m: number): Float64Array {
  gen.randomInto(words, 2 * m);
  for (let i = 0; i < m; i++) raw53[i] = (words[2 * i]! & 0x1fffff) * TWO_POW_32 + words[2 * i + 1]!;
  return raw53;
}

/**
 * fmaf(a, b, c) for float32 a, b, c: a*b + c rounded once, as the FMA instructions PyTorch's
 * AVX2 kernels compile to. a*b is exact in a double; the fix-up only matters when the double
 * sum lands exactly on a float32 tie, where rounding twice would pick the wrong neighbour.
 */
function fmaf(a: number, b: number, c: number): number {
  const p = a * b;
  const s = p + c;
  const r = f32(s);
  const d = s - r;
  if (d === 0) return r;
  const other = r + 2 * d;
  if (f32(other) !== other) return r;
  // s sits on a tie between r and other: the sum's rounding error decides.
  const bb = s - p;
  const err = (p - (s - bb)) + (c - bb);
  if (err === 0) return r;
  return (err > 0) === (d > 0) ? other : r;
}

/**
 * fma(a, b, c) for doubles, which GCC contracts `x * range + from` into: Dekker's exact product,
 * then one compensated sum. Exact except in rare double-rounding ties.
 */
function fma64(a: number, b: number, c: number): number {
  const p = a * b;
  const as = 134217729 * a;
  const ah = as - (as - a);
  const al = a - ah;
  const bs = 134217729 * b;
  const bh = bs - (bs - b);
  const bl = b - bh;
  const e = ((ah * bh - p) + ah * bl + al * bh) + al * bl;
  const s = p + c;
  const bb = s - p;
  const t = (p - (s - bb)) + (c - bb);
  return s + (t + e);
}

/** Checks shared by uniform_ for both float dtypes, in PyTorch's words. */
function checkUniform(from: number, to: number, out: FloatArray): void {
  const [max, name] = out instanceof Float32Array ? [FLOAT32_MAX, "float"] : [Number.MAX_VALUE, "double"];
  if (!(from >= -max && from <= max)) throw new ValueError(`uniform_: from is out of bounds for ${name}`);
  if (!(to >= -max && to <= max)) throw new ValueError(`uniform_: to is out of bounds for ${name}`);
  if (!(from <= to)) {
    throw new ValueError(`uniform_ expects to return a [from, to) range, but found from=${from} > to=${to}`);
  }
  if (!(to - from <= max)) {
    throw new ValueError(
      `uniform_ expects to-from <= std::numeric_limits<${name === "float" ? "Float" : "Double"}>::max(), ` +
      `but found to=${to} and from=${from} which result in to-from to exceed the limit`,
    );
  }
}

/**
 * Fills `out` with uniform samples in [from, to): torch.rand / uniform_. float32 takes 24 bits
 * of one draw, float64 53 bits of two.
 */
export function fillUniform(out: FloatArray, from: number, to: number, gen: Generator): void {
  checkUniform(from, to, out);
  const n = out.length;
  if (out instanceof Float32Array) {
    const lo = f32(from);
    const range = f32(f32(to) - lo);
    for (let at = 0; at < n; at += CHUNK) {
      const m = Math.min(CHUNK, n - at);
      const w = draw32(gen, m);
      for (let i = 0; i < m; i++) out[at + i] = fmaf((w[i]! & 0xffffff) * TWO_POW_NEG_24, range, lo);
    }
  } else {
    const range = to - from;
    for (let at = 0; at < n; at += CHUNK) {
      const m = Math.min(CHUNK, n - at);
      const w = draw53(gen, m);
      for (let i = 0; i < m; i++) out[at + i] = fma64(w[i]! * TWO_POW_NEG_53, range, from);
    }
  }
}

// avx_mathfun.h's cephes constants, rounded to float32 as PyTorch's broadcast loads hold them.
const LOG_P = [
  7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1, 1.4249322787e-1,
  -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1,
].map(f32);
const LOG_Q1 = f32(-2.12194440e-4);
const LOG_Q2 = f32(0.693359375);
const SQRTHF = f32(0.7071067811865476);
const MIN_NORM_POS = 2 ** -126;
const DP1 = f32(-0.78515625);
const DP2 = f32(-2.4187564849853515625e-4);
const DP3 = f32(-3.774894977445941e-8);
const SIN_P = [-1.9515295891e-4, 8.3321608736e-3, -1.6666654611e-1].map(f32) as [number, number, number];
const COS_P = [2.443315711809948e-5, -1.388731625493765e-3, 4.166664568298827e-2].map(f32) as [number, number, number];
const FOPI = f32(1.27323954473516);
const TWO_PI_F32 = f32(2 * Math.PI);
const bitsF32 = new Float32Array(1);
const bitsU32 = new Uint32Array(bitsF32.buffer);

/**
 * log256_ps from avx_mathfun.h on one lane, for u in (0, 1]. The FMA placement follows the
 * instructions GCC emitted for PyTorch 1.13's AVX2 normal_fill (read from libtorch_cpu.so).
 */
function logAvx2(u: number): number {
  bitsF32[0] = Math.max(u, MIN_NORM_POS);
  const bits = bitsU32[0]!;
  let e = (bits >>> 23) - 127 + 1;
  bitsU32[0] = (bits & 0x807fffff) | 0x3f000000;
  let x = bitsF32[0]!;
  if (x < SQRTHF) {
    e -= 1;
    x = f32(f32(x - 1) + x);
  } else {
    x = f32(x - 1);
  }
  let y = LOG_P[0]!;
  for (let k = 1; k < 9; k++) y = fmaf(x, y, LOG_P[k]!);
  const z = f32(x * x);
  y = fmaf(f32(x * y), z, f32(e * LOG_Q1));
  y = fmaf(z, -0.5, y);
  return fmaf(e, LOG_Q2, f32(x + y));
}

// sincosAvx2's results (two outputs without allocating).
let sinOut = 0;
let cosOut = 0;

/** sincos256_ps from avx_mathfun.h on one lane, for theta >= 0; sets sinOut and cosOut. */
function sincosAvx2(theta: number): void {
  let j = Math.trunc(f32(theta * FOPI));
  j = (j + 1) & ~1;
  let x = fmaf(j, DP1, theta);
  x = fmaf(j, DP2, x);
  x = fmaf(j, DP3, x);
  const z = f32(x * x);
  let c = fmaf(z, COS_P[0], COS_P[1]);
  c = fmaf(z, c, COS_P[2]);
  c = f32(fmaf(f32(z * c), z, -f32(z * 0.5)) + 1);
  let s = fmaf(SIN_P[0], z, SIN_P[1]);
  s = fmaf(z, s, SIN_P[2]);
  s = fmaf(f32(z * s), x, x);
  const swap = (j & 2) !== 0;
  const sin = swap ? c : s;
  const cos = swap ? s : c;
  sinOut = j & 4 ? -sin : sin;
  cosOut = ~(j - 2) & 4 ? -cos : cos;
}

/** normal_fill_16_AVX2: Box-Muller on 16 uniforms in place (first 8 give radii, last 8 angles). */
function normal16Avx2(data: Float32Array, at: number, mean: number, std: number): void {
  for (let j = at; j < at + 8; j++) {
    const radius = f32(Math.sqrt(-2 * logAvx2(f32(1 - data[j]!))));
    sincosAvx2(f32(TWO_PI_F32 * data[j + 8]!));
    data[j] = fmaf(f32(radius * cosOut), std, mean);
    data[j + 8] = fmaf(f32(radius * sinOut), std, mean);
  }
}

/** normal_fill_16 for doubles: Box-Muller with libm's log, cos and sin. */
function normal16(data: Float64Array, at: number, mean: number, std: number): void {
  for (let j = at; j < at + 8; j++) {
    const radius = Math.sqrt(-2 * Math.log(1 - data[j]!));
    const theta = 2 * Math.PI * data[j + 8]!;
    data[j] = fma64(radius * Math.cos(theta), std, mean);
    data[j + 8] = fma64(radius * Math.sin(theta), std, mean);
  }
}

/** normal_fill: uniforms for every element, Box-Muller per 16, then redo the last 16 when n % 16 != 0. */
function normalFill(out: FloatArray, mean: number, std: number, gen: Generator): void {
  const n = out.length;
  const block = (at: number): void => {
    if (out instanceof Float32Array) normal16Avx2(out, at, f32(mean), f32(std));
    else normal16(out, at, mean, std);
  };
  fillUniform(out, 0, 1, gen);
  for (let i = 0; i + 16 <= n; i += 16) block(i);
  if (n % 16 !== 0) {
    // PyTorch draws 16 fresh uniforms over the tail, overwriting finished values too.
    fillUniform(out.subarray(n - 16), 0, 1, gen);
    block(n - 16);
  }
}

/**
 * Fills `out` with normal samples: torch.randn / normal_ on a contiguous tensor. Below 16
 * elements PyTorch takes the scalar Box-Muller path (which caches its second sample in the
 * generator); from 16 on, the blockwise normal_fill (float32 through its AVX2 variant).
 */
export function fillNormal(out: FloatArray, mean: number, std: number, gen: Generator): void {
  if (!(std >= 0)) throw new ValueError(`normal expects std >= 0.0, but found std ${std}`);
  if (out.length >= 16) normalFill(out, mean, std, gen);
  else fillNormalSerial(out, mean, std, gen);
}

/**
 * normal_ on a tensor that is not contiguous: one normal_distribution<double> sample per
 * element in TensorIterator order (storage order for a permuted dense tensor), at any size.
 */
export function fillNormalSerial(out: FloatArray, mean: number, std: number, gen: Generator): void {
  if (!(std >= 0)) throw new ValueError(`normal expects std >= 0.0, but found std ${std}`);
  for (let i = 0; i < out.length; i++) out[i] = fma64(gen.normalDouble(), std, mean);
}

/**
 * Fills `out` with Exp(lambda) samples, -log(1 - u) / lambda on 53-bit doubles: exponential_
 * (and so torch.multinomial with one sample, which takes argmax(p / q) over q ~ Exp(1)).
 */
export function fillExponential(out: FloatArray, lambda: number, gen: Generator): void {
  if (!(lambda >= 0)) throw new ValueError(`exponential_ expects lambda >= 0.0, but found lambda=${lambda}`);
  const scale = -1 / lambda;
  const n = out.length;
  for (let at = 0; at < n; at += CHUNK) {
    const m = Math.min(CHUNK, n - at);
    const w = draw53(gen, m);
    for (let i = 0; i < m; i++) out[at + i] = scale * Math.log(1 - w[i]! * TWO_POW_NEG_53);
  }
}

