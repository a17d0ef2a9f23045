/**
 * The integer and Bernoulli fill kernels of PyTorch 1.13's CPU generator: random_(from, to)
 * (torch.randint), bernoulli_, randperm and multinomial, in PyTorch's draw order.
 *
 * bernoulli_ with a scalar p follows builds without MKL; builds with MKL draw it from MKL's own
 * stream (VSL_BRNG_MCG31) instead.
 */
import { ValueError } from "../errors.ts";
import { INT64_MIN, TWO_POW_NEG_24, TWO_POW_NEG_53, type Generator } from "./generator.ts";
import { CHUNK, draw32, draw53, fillExponential, type FloatArray } from "./random-float.ts";

const f32 = Math.fround;

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
  out: IntFillArray, low: number | bigint, high: number | bigint, gen: Generator,
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
  out: FloatArray | Int32Array | BigInt64Array | Uint8Array, p: number, gen: Generator,
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

/** Smallest n for which PyTorch 1.13 switches to the 64-bit inside-out shuffle. */
const RANDPERM_LARGE = Math.floor(0xffffffff / 20);

/**
 * Fills `out` with a random permutation of 0..n-1 (n = out.length): torch.randperm's CPU
 * shuffle. Below 2^32 / 20 elements, one 32-bit draw per swap (Fisher-Yates from the front);
 * from there on the inside-out variant with one 64-bit draw per element, as PyTorch does.
 */
export function fillRandperm(out: Int32Array | BigInt64Array | FloatArray, gen: Generator): void {
  const n = out.length;
  if (n >= RANDPERM_LARGE) return fillRandpermLarge(out, gen);
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

/** randperm's inside-out Fisher-Yates for n >= 2^32 / 20: z = random64() % (i + 1). */
function fillRandpermLarge(out: Int32Array | BigInt64Array | FloatArray, gen: Generator): void {
  const n = out.length;
  if (out instanceof BigInt64Array) {
    for (let i = 0; i < n; i++) {
      const z = Number(gen.random64() % BigInt(i + 1));
      out[i] = out[z]!;
      out[z] = BigInt(i);
    }
    return;
  }
  for (let i = 0; i < n; i++) {
    const z = Number(gen.random64() % BigInt(i + 1));
    out[i] = out[z]!;
    out[z] = i;
  }
}

/** A random permutation of 0..n-1 as int64, like `torch.randperm(n)`. */
export function randperm(n: number, gen: Generator): BigInt64Array {
  if (!Number.isInteger(n) || n < 0) throw new ValueError(`randperm: n must be non-negative, got ${n}`);
  const out = new BigInt64Array(n);
  fillRandperm(out, gen);
  return out;
}

/**
 * Fills `out` with 1 where a uniform falls below the matching p[i]: bernoulli_(p) / torch.bernoulli
 * with a tensor of probabilities (already broadcast to out's shape). float64 p draws 53-bit
 * doubles, float32 p 24-bit floats, as PyTorch does.
 */
export function fillBernoulliTensor(
  out: FloatArray | Int32Array | BigInt64Array | Uint8Array, p: FloatArray, gen: Generator,
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
 * torch.multinomial on a row-major [rows, categories] table of weights: `numSamples` category
 * indices per row, as int64. Without replacement PyTorch 1.13 takes the topk of p / q with
 * q ~ Exp(1) in p's dtype; with replacement (even for one sample) one double uniform per sample,
 * searched in the row's normalized cumulative sums.
 */
export function multinomial(
  probs: FloatArray, categories: number, numSamples: number, replacement: boolean, gen: Generator,
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
