/**
 * PyTorch 1.13's CPU random number generator (CPUGeneratorImpl), bit for bit: mt19937 seeded
 * from the low 32 bits of the seed, PyTorch's cached normal sample, and the fill kernels that
 * torch.rand, randn, randint, bernoulli_, exponential_ and randperm run on a tensor.
 *
 * Every fill writes `out` front to back, as PyTorch's serial CPU kernels do, so the same seed
 * and the same call order give PyTorch's numbers. PyTorch visits a non-contiguous tensor in
 * storage order (TensorIterator sorts dims by stride), and normal_ on one always takes the
 * per-element path: use fillNormalSerial there.
 *
 * Which PyTorch: an x86-64 build running its AVX2 kernels (AVX512 CPUs take the same path),
 * with GCC's FMA contraction, checked against libtorch_cpu's machine code. float32 results are
 * bit-identical; float64 normals and exponentials go through libm (V8's fdlibm here, glibc
 * there) and can differ in the last bit or two. bernoulli_ with a scalar p follows builds
 * without MKL; builds with MKL draw it from MKL's own stream (VSL_BRNG_MCG31) instead.
 */
import { ValueError } from "../errors.ts";

const N = 624;
const M = 397;
const TWO_POW_32 = 4294967296;
const TWO_POW_NEG_24 = 2 ** -24;
const TWO_POW_NEG_53 = 2 ** -53;
const UINT64_MAX = (1n << 64n) - 1n;
const INT64_MIN = -(1n << 63n);

/**
 * ATen's default_rng_seed_val: where a fresh torch.Generator() starts. PyTorch seeds its default
 * generator from the OS instead; torchlet's starts here too, because library code never reads
 * the clock or an entropy source.
 */
export const DEFAULT_SEED = 67280421310721n;

/** A copy of a generator's whole state; `setState` on any generator restores the stream. */
export interface GeneratorState {
  /** the seed as PyTorch stores it: a uint64 */
  readonly seed: bigint;
  /** the 624 mt19937 words */
  readonly mt: Uint32Array;
  /** draws left before the next twist (1..624) */
  readonly left: number;
  /** index of the next word to temper */
  readonly next: number;
  /** the second Box-Muller sample of normal_distribution<double>, if one is waiting */
  readonly nextDoubleNormal: number | null;
  /** PyTorch keeps a float cache too; no CPU kernel in 1.13 fills it, but the state carries it */
  readonly nextFloatNormal: number | null;
}

/** mt19937's output tempering. */
function temper(y: number): number {
  y ^= y >>> 11;
  y ^= (y << 7) & 0x9d2c5680;
  y ^= (y << 15) & 0xefc60000;
  y ^= y >>> 18;
  return y >>> 0;
}

/** PyTorch's seed argument: any integer in [-2^63, 2^64), stored as a uint64. */
function toSeed(seed: number | bigint): bigint {
  if (typeof seed === "number" && !Number.isInteger(seed)) {
    throw new ValueError(`manual_seed expected an integer seed, but got ${seed}`);
  }
  const s = BigInt(seed);
  if (s < INT64_MIN || s > UINT64_MAX) {
    throw new ValueError(`manual_seed: Overflow when unpacking long (seed ${s} is outside [-2^63, 2^64))`);
  }
  return BigInt.asUintN(64, s);
}

/**
 * PyTorch's CPU generator: `random()` is one mt19937 draw, `random64()` two (the first in the
 * high half). Seed it with `manualSeed`; snapshot it with `getState`/`setState`.
 * @example const g = new Generator(42); fillUniform(new Float32Array(3), 0, 1, g);
 */
export class Generator {
  #mt = new Uint32Array(N);
  #left = 1;
  #next = 0;
  #seed = 0n;
  #nextDoubleNormal: number | null = null;
  #nextFloatNormal: number | null = null;

  constructor(seed: number | bigint = DEFAULT_SEED) {
    this.manualSeed(seed);
  }

  /** Reseeds (init_genrand with the low 32 bits) and drops the cached normal sample. */
  manualSeed(seed: number | bigint): this {
    const s = toSeed(seed);
    const mt = this.#mt;
    this.#seed = s;
    this.#nextDoubleNormal = null;
    this.#nextFloatNormal = null;
    mt[0] = Number(s & 0xffffffffn);
    for (let j = 1; j < N; j++) {
      const prev = mt[j - 1]!;
      // The Uint32Array store wraps modulo 2^32, as uint32_t arithmetic does.
      mt[j] = Math.imul(1812433253, prev ^ (prev >>> 30)) + j;
    }
    this.#left = 1;
    this.#next = 0;
    return this;
  }

  /** The seed last given to `manualSeed`, as the uint64 PyTorch reports (`torch.initial_seed()`). */
  initialSeed(): bigint {
    return this.#seed;
  }

  /** One 32-bit draw, as an unsigned integer. */
  random(): number {
    if (--this.#left === 0) this.#twist();
    return temper(this.#mt[this.#next++]!);
  }

  /** Writes the next `count` draws into `out`: the same stream as `count` calls of random(), faster. */
  randomInto(out: Uint32Array, count = out.length): Uint32Array {
    const mt = this.#mt;
    let left = this.#left;
    let next = this.#next;
    for (let i = 0; i < count; i++) {
      if (--left === 0) {
        this.#twist();
        left = N;
        next = 0;
      }
      out[i] = temper(mt[next++]!);
    }
    this.#left = left;
    this.#next = next;
    return out;
  }

  /** Two draws as one uint64, the first draw in the high 32 bits. */
  random64(): bigint {
    const hi = this.random();
    const lo = this.random();
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  /** `random64() & (2^53 - 1)` as an exact number, without a bigint. */
  random53(): number {
    const hi = this.random();
    const lo = this.random();
    return (hi & 0x1fffff) * TWO_POW_32 + lo;
  }

  /**
   * One standard normal sample from ATen's normal_distribution<double>: Box-Muller on two
   * doubles, returning the cosine half and caching the sine half for the next call.
   */
  normalDouble(): number {
    const cached = this.#nextDoubleNormal;
    if (cached !== null) {
      this.#nextDoubleNormal = null;
      return cached;
    }
    const u1 = this.random53() * TWO_POW_NEG_53;
    const u2 = this.random53() * TWO_POW_NEG_53;
    const r = Math.sqrt(-2 * Math.log(1 - u2));
    const theta = 2 * Math.PI * u1;
    this.#nextDoubleNormal = r * Math.sin(theta);
    return r * Math.cos(theta);
  }

  /** A snapshot of the whole state (a copy: later draws do not change it). */
  getState(): GeneratorState {
    return {
      seed: this.#seed,
      mt: this.#mt.slice(),
      left: this.#left,
      next: this.#next,
      nextDoubleNormal: this.#nextDoubleNormal,
      nextFloatNormal: this.#nextFloatNormal,
    };
  }

  /** Restores a snapshot from `getState` (of this or any generator). */
  setState(state: GeneratorState): this {
    const { mt, left, next } = state;
    if (mt.length !== N || !(left > 0 && left <= N) || !(next >= 0 && next <= N)) {
      throw new ValueError(
        `Generator.setState: invalid mt19937 state (${mt.length} words, left=${left}, next=${next}); ` +
        `expected ${N} words, 0 < left <= ${N}, 0 <= next <= ${N}`,
      );
    }
    this.#seed = state.seed;
    this.#mt.set(mt);
    this.#left = left;
    this.#next = next;
    this.#nextDoubleNormal = state.nextDoubleNormal;
    this.#nextFloatNormal = state.nextFloatNormal;
    return this;
  }

  #twist(): void {
    const mt = this.#mt;
    const mix = (u: number, v: number): number =>
      (((u & 0x80000000) | (v & 0x7fffffff)) >>> 1) ^ (v & 1 ? 0x9908b0df : 0);
    let k = 0;
    for (; k < N - M; k++) mt[k] = mt[k + M]! ^ mix(mt[k]!, mt[k + 1]!);
    for (; k < N - 1; k++) mt[k] = mt[k + M - N]! ^ mix(mt[k]!, mt[k + 1]!);
    mt[N - 1] = mt[M - 1]! ^ mix(mt[N - 1]!, mt[0]!);
    this.#left = N;
    this.#next = 0;
  }
}

/** The generator every random op uses unless given another (PyTorch's default CPU generator). */
export const defaultGenerator = new Generator();

/** Seeds the default generator, like `torch.manual_seed(seed)`. */
export function manualSeed(seed: number | bigint): Generator {
  return defaultGenerator.manualSeed(seed);
}

/** The default generator's seed, like `torch.initial_seed()`. */
export function initialSeed(): bigint {
  return defaultGenerator.initialSeed();
}

// ---------------------------------------------------------------------------------------------
// Fill kernels. `out` is the contiguous storage of the tensor being filled, in element order.

type FloatArray = Float32Array | Float64Array;
const f32 = Math.fround;
const FLOAT32_MAX = 3.4028234663852886e38;

// Fills draw in chunks through randomInto: a third of the cost of one random() call per element.
const CHUNK = 1024;
const words = new Uint32Array(2 * CHUNK);
const raw53 = new Float64Array(CHUNK);

/** The next m draws (m <= CHUNK). */
const draw32 = (gen: Generator, m: number): Uint32Array => gen.randomInto(words, m);

/** The next m values of `random64() & (2^53 - 1)`, two draws each (m <= CHUNK). */
function draw53(gen: Generator, m: number): Float64Array {
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
export function fillUniform(out: FloatArray, from = 0, to = 1, gen: Generator = defaultGenerator): void {
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
export function fillNormal(out: FloatArray, mean = 0, std = 1, gen: Generator = defaultGenerator): void {
  if (!(std >= 0)) throw new ValueError(`normal expects std >= 0.0, but found std ${std}`);
  if (out.length >= 16) normalFill(out, mean, std, gen);
  else fillNormalSerial(out, mean, std, gen);
}

/**
 * normal_ on a tensor that is not contiguous: one normal_distribution<double> sample per
 * element in TensorIterator order (storage order for a permuted dense tensor), at any size.
 */
export function fillNormalSerial(out: FloatArray, mean = 0, std = 1, gen: Generator = defaultGenerator): void {
  if (!(std >= 0)) throw new ValueError(`normal expects std >= 0.0, but found std ${std}`);
  for (let i = 0; i < out.length; i++) out[i] = fma64(gen.normalDouble(), std, mean);
}

type IntFillArray = Int32Array | BigInt64Array | FloatArray;

/** Rounds an integer to `digits` significant bits, ties to even, as a cast to float/double does. */
function roundToBits(v: bigint, digits: number): bigint {
  const a = v < 0n ? -v : v;
  const shift = BigInt(Math.max(0, a.toString(2).length - digits));
  if (shift === 0n) return v;
  let q = a >> shift;
  const rem = a - (q << shift);
  const half = 1n << (shift - 1n);
  if (rem > half || (rem === half && (q & 1n) === 1n)) q += 1n;
  return v < 0n ? -(q << shift) : q << shift;
}

/** log2 of |v| rounded down, for update_from/update_to. */
const floorLog2 = (v: bigint): bigint => BigInt((v < 0n ? -v : v).toString(2).length - 1);

/**
 * PyTorch's update_from/update_to for float dtypes: move the bounds inward until every integer
 * in [from, to) still lies in the range after the cast to the dtype.
 */
function floatBounds(from: bigint, to: bigint, digits: number): [bigint, bigint] {
  const fromPlus1 = roundToBits(from + 1n, digits);
  if (fromPlus1 < from) from = fromPlus1 + (1n << (floorLog2(from + 1n) - BigInt(digits) + 1n));
  const toMinus1 = roundToBits(to - 1n, digits);
  if (toMinus1 >= to) to = toMinus1 - (1n << (floorLog2(to - 1n) - BigInt(digits) + 1n));
  return [from, to];
}

/** PyTorch's check_from_to_in_range for the integer dtypes we store. */
function checkIntBounds(from: bigint, toInc: bigint, out: IntFillArray): void {
  const [min, max, name] = out instanceof Int32Array
    ? [-(1n << 31n), (1n << 31n) - 1n, "int"]
    : out instanceof BigInt64Array ? [INT64_MIN, (1n << 63n) - 1n, "long"] : [null, null, ""];
  if (min === null || max === null) return;
  if (from < min || from > max) throw new ValueError(`random_: from is out of bounds for ${name}`);
  if (toInc < min || toInc > max) throw new ValueError(`random_: to - 1 is out of bounds for ${name}`);
}

/** The validated [from, to) of random_(from, to) for the dtype of `out`. */
function randintBounds(low: number | bigint, high: number | bigint, out: IntFillArray): [bigint, bigint] {
  if (!Number.isInteger(Number(low)) || !Number.isInteger(Number(high))) {
    throw new ValueError(`randint expects integer bounds, but got low=${low} and high=${high}`);
  }
  let from = BigInt(low);
  let to = BigInt(high);
  if (!(from < to)) {
    throw new ValueError(`random_ expects 'from' to be less than 'to', but got from=${from} >= to=${to}`);
  }
  if (out instanceof Float32Array || out instanceof Float64Array) {
    [from, to] = floatBounds(from, to, out instanceof Float32Array ? 24 : 53);
    if (!(from < to)) {
      throw new ValueError(
        `random_ expects 'from' casted to dtype to be less than 'to' casted to dtype, but got from=${from} >= to=${to}`,
      );
    }
  }
  checkIntBounds(from, to - 1n, out);
  return [from, to];
}

/**
 * Fills `out` with integers uniform in [low, high): torch.randint / random_(from, to). One draw
 * per element, `draw % range + low`; int64 and float outputs take two draws once the range
 * reaches 2^32 (int32 outputs never do, as in PyTorch).
 */
export function fillRandint(
  out: IntFillArray, low: number | bigint, high: number | bigint, gen: Generator = defaultGenerator,
): void {
  const [from, to] = randintBounds(low, high, out);
  const range = to - from;
  const n = out.length;
  if (range >= 1n << 32n && !(out instanceof Int32Array)) {
    for (let i = 0; i < n; i++) storeInt(out, i, BigInt.asIntN(64, (gen.random64() % range) + from));
    return;
  }
  const r = Number(range);
  if (out instanceof BigInt64Array) {
    for (let i = 0; i < n; i++) out[i] = BigInt.asIntN(64, BigInt(gen.random() % r) + from);
  } else if (from >= -(1n << 52n) && from <= 1n << 52n) {
    // Exact in doubles; the typed array store does the int32 wrap or float rounding.
    const base = Number(from);
    for (let at = 0; at < n; at += CHUNK) {
      const m = Math.min(CHUNK, n - at);
      const w = draw32(gen, m);
      for (let i = 0; i < m; i++) out[at + i] = (w[i]! % r) + base;
    }
  } else {
    for (let i = 0; i < n; i++) storeInt(out, i, BigInt(gen.random() % r) + from);
  }
}

/** Stores an int64 value into any randint output with PyTorch's static_cast. */
function storeInt(out: IntFillArray, i: number, v: bigint): void {
  if (out instanceof BigInt64Array) out[i] = v;
  else if (out instanceof Int32Array) out[i] = Number(BigInt.asIntN(32, v));
  else if (out instanceof Float32Array) out[i] = Number(roundToBits(v, 24));
  else out[i] = Number(v);
}

/**
 * Fills `out` with 1 where a uniform double falls below p, else 0: bernoulli_(p) with a scalar p,
 * as this MKL-less PyTorch build runs it (and as nn.Dropout draws its mask, with p = 1 - drop).
 */
export function fillBernoulli(
  out: FloatArray | Int32Array | BigInt64Array | Uint8Array, p = 0.5, gen: Generator = defaultGenerator,
): void {
  if (!(p >= 0 && p <= 1)) throw new ValueError(`bernoulli_ expects p to be in [0, 1], but got p=${p}`);
  const n = out.length;
  for (let at = 0; at < n; at += CHUNK) {
    const m = Math.min(CHUNK, n - at);
    const w = draw53(gen, m);
    if (out instanceof BigInt64Array) for (let i = 0; i < m; i++) out[at + i] = w[i]! * TWO_POW_NEG_53 < p ? 1n : 0n;
    else for (let i = 0; i < m; i++) out[at + i] = w[i]! * TWO_POW_NEG_53 < p ? 1 : 0;
  }
}

/** Largest n for which PyTorch 1.13 uses the one-draw-per-swap shuffle. */
const RANDPERM_SMALL = Math.floor(0xffffffff / 20);

/** Fills `out` with a random permutation of 0..n-1 (n = out.length): torch.randperm's CPU shuffle. */
export function fillRandperm(out: Int32Array | BigInt64Array | FloatArray, gen: Generator = defaultGenerator): void {
  const n = out.length;
  if (n >= RANDPERM_SMALL) throw new ValueError(`randperm: n=${n} is too large; torchlet supports n < ${RANDPERM_SMALL}`);
  const perm = new Float64Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  for (let i = 0; i < n - 1; i++) {
    const z = i + (gen.random() % (n - i));
    const save = perm[i]!;
    perm[i] = perm[z]!;
    perm[z] = save;
  }
  if (out instanceof BigInt64Array) for (let i = 0; i < n; i++) out[i] = BigInt(perm[i]!);
  else out.set(perm);
}

/** A random permutation of 0..n-1 as int64, like `torch.randperm(n)`. */
export function randperm(n: number, gen: Generator = defaultGenerator): BigInt64Array {
  if (!Number.isInteger(n) || n < 0) throw new ValueError(`randperm: n must be non-negative, got ${n}`);
  const out = new BigInt64Array(n);
  fillRandperm(out, gen);
  return out;
}

/** Size of the ByteTensor that torch.get_rng_state() returns (CPUGeneratorImplState). */
export const RNG_STATE_BYTES = 5056;
const MT_AT = 24;
const NORMAL_Y_AT = MT_AT + N * 8 + 8;
const NORMAL_VALID_AT = NORMAL_Y_AT + 16;
const FLOAT_NORMAL_AT = NORMAL_VALID_AT + 8;

/** Encodes a state as the bytes of `torch.get_rng_state()`, so a .pt file can carry it. */
export function stateToBytes(state: GeneratorState): Uint8Array {
  const bytes = new Uint8Array(RNG_STATE_BYTES);
  const view = new DataView(bytes.buffer);
  view.setBigUint64(0, state.seed, true);
  view.setInt32(8, state.left, true);
  view.setInt32(12, 1, true);
  view.setBigUint64(16, BigInt(state.next), true);
  for (let j = 0; j < N; j++) view.setUint32(MT_AT + 8 * j, state.mt[j]!, true);
  if (state.nextDoubleNormal !== null) {
    view.setFloat64(NORMAL_Y_AT, state.nextDoubleNormal, true);
    view.setInt32(NORMAL_VALID_AT, 1, true);
  }
  if (state.nextFloatNormal !== null) {
    view.setFloat32(FLOAT_NORMAL_AT, state.nextFloatNormal, true);
    bytes[FLOAT_NORMAL_AT + 4] = 1;
  }
  return bytes;
}

/** Decodes the bytes of `torch.get_rng_state()` into a state for `Generator.setState`. */
export function stateFromBytes(bytes: Uint8Array): GeneratorState {
  if (bytes.length !== RNG_STATE_BYTES) {
    throw new ValueError(
      `set_rng_state: expected a state of ${RNG_STATE_BYTES} bytes (torch.get_rng_state()), but got ${bytes.length}`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const mt = new Uint32Array(N);
  for (let j = 0; j < N; j++) mt[j] = view.getUint32(MT_AT + 8 * j, true);
  return {
    seed: view.getBigUint64(0, true),
    mt,
    left: view.getInt32(8, true),
    next: Number(view.getBigUint64(16, true)),
    nextDoubleNormal: view.getInt32(NORMAL_VALID_AT, true) ? view.getFloat64(NORMAL_Y_AT, true) : null,
    nextFloatNormal: bytes[FLOAT_NORMAL_AT + 4] ? view.getFloat32(FLOAT_NORMAL_AT, true) : null,
  };
}

/**
 * Fills `out` with 1 where a uniform falls below the matching p[i]: bernoulli_(p) / torch.bernoulli
 * with a tensor of probabilities (already broadcast to out's shape). float64 p draws 53-bit
 * doubles, float32 p 24-bit floats, as PyTorch does.
 */
export function fillBernoulliTensor(
  out: FloatArray | Int32Array | BigInt64Array | Uint8Array, p: FloatArray, gen: Generator = defaultGenerator,
): void {
  if (p.length !== out.length) {
    throw new ValueError(`bernoulli_: p has ${p.length} elements but the output has ${out.length}; broadcast p first`);
  }
  if (!p.every((v) => v >= 0 && v <= 1)) {
    throw new ValueError("bernoulli_: Expected p_in >= 0 && p_in <= 1 to be true, but got false.");
  }
  const wide = p instanceof Float64Array;
  const bigint = out instanceof BigInt64Array;
  for (let i = 0; i < out.length; i++) {
    const u = wide ? gen.random53() * TWO_POW_NEG_53 : (gen.random() & 0xffffff) * TWO_POW_NEG_24;
    const hit = u < p[i]!;
    out[i] = bigint ? BigInt(hit) : Number(hit);
  }
}

/**
 * Fills `out` with Exp(lambda) samples, -log(1 - u) / lambda on 53-bit doubles: exponential_
 * (and so torch.multinomial with one sample, which takes argmax(p / q) over q ~ Exp(1)).
 */
export function fillExponential(out: FloatArray, lambda = 1, gen: Generator = defaultGenerator): void {
  if (!(lambda >= 0)) throw new ValueError(`exponential_ expects lambda >= 0.0, but found lambda=${lambda}`);
  const scale = -1 / lambda;
  const n = out.length;
  for (let at = 0; at < n; at += CHUNK) {
    const m = Math.min(CHUNK, n - at);
    const w = draw53(gen, m);
    for (let i = 0; i < m; i++) out[at + i] = scale * Math.log(1 - w[i]! * TWO_POW_NEG_53);
  }
}

/** PyTorch's up-front checks on a multinomial probability table. */
function checkMultinomial(probs: FloatArray, categories: number, numSamples: number, replacement: boolean): void {
  if (!(categories > 0) || probs.length % categories !== 0) {
    throw new ValueError(`multinomial: ${probs.length} probabilities do not split into rows of ${categories}`);
  }
  if (!(numSamples > 0)) throw new ValueError("multinomial: cannot sample n_sample <= 0 samples");
  if (!replacement && numSamples > categories) {
    throw new ValueError("multinomial: cannot sample n_sample > prob_dist.size(-1) samples without replacement");
  }
  if (!probs.every((v) => v >= 0 && v < Infinity)) {
    throw new ValueError("multinomial: probability tensor contains either `inf`, `nan` or element < 0");
  }
  for (let at = 0; at < probs.length; at += categories) {
    if (!probs.subarray(at, at + categories).some((v) => v > 0)) {
      throw new ValueError("multinomial: invalid multinomial distribution (sum of probabilities <= 0)");
    }
  }
}

/**
 * torch.multinomial on a row-major [rows, categories] table of weights: `numSamples` category
 * indices per row, as int64. Without replacement PyTorch 1.13 takes the topk of p / q with
 * q ~ Exp(1) in p's dtype; with replacement (even for one sample) one double uniform per sample,
 * searched in the row's normalized cumulative sums.
 */
export function multinomial(
  probs: FloatArray, categories: number, numSamples: number, replacement = false, gen: Generator = defaultGenerator,
): BigInt64Array {
  checkMultinomial(probs, categories, numSamples, replacement);
  const rows = probs.length / categories;
  const out = new BigInt64Array(rows * numSamples);
  if (!replacement) {
    const q = probs instanceof Float32Array ? new Float32Array(probs.length) : new Float64Array(probs.length);
    fillExponential(q, 1, gen);
    for (let i = 0; i < q.length; i++) q[i] = probs[i]! / q[i]!;
    for (let r = 0; r < rows; r++) {
      const row = q.subarray(r * categories, (r + 1) * categories);
      // Largest first; ties keep the lower index (they need equal draws, in practice never).
      const order = Array.from(row.keys()).sort((a, b) => row[b]! - row[a]! || a - b);
      for (let j = 0; j < numSamples; j++) out[r * numSamples + j] = BigInt(order[j]!);
    }
    return out;
  }
  const single = probs instanceof Float32Array;
  const cum = single ? new Float32Array(categories) : new Float64Array(categories);
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let j = 0; j < categories; j++) {
      sum += probs[r * categories + j]!;
      if (single) sum = f32(sum);
      cum[j] = sum;
    }
    for (let j = 0; j < categories; j++) cum[j] = cum[j]! / sum;
    cum[categories - 1] = 1;
    for (let j = 0; j < numSamples; j++) out[r * numSamples + j] = BigInt(searchCumulative(cum, gen.random53() * TWO_POW_NEG_53));
  }
  return out;
}

/** The first slot whose cumulative probability is not below u (multinomial's binary search). */
function searchCumulative(cum: FloatArray, u: number): number {
  let left = 0;
  let right = cum.length;
  while (right > left) {
    const mid = left + ((right - left) >> 1);
    if (cum[mid]! < u) left = mid + 1;
    else right = mid;
  }
  return left;
}
