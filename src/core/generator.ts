/**
 * PyTorch 1.13's CPU random number generator (CPUGeneratorImpl), bit for bit: mt19937 seeded
 * from the low 32 bits of the seed, PyTorch's cached normal sample, and the state bytes of
 * torch.get_rng_state(). The fill kernels that torch.rand, randn, randint, bernoulli_,
 * exponential_ and randperm run on a tensor are in random-float.ts and random-int.ts.
 */
import { ValueError } from "../errors.ts";

const N = 624;
const M = 397;
/** Powers of two the fill kernels scale draws by. */
export const TWO_POW_32 = 4294967296;
export const TWO_POW_NEG_24 = 2 ** -24;
export const TWO_POW_NEG_53 = 2 ** -53;
const UINT64_MAX = (1n << 64n) - 1n;
/** The smallest int64, as a bigint. */
export const INT64_MIN = -(1n << 63n);

/**
 * ATen's default_rng_seed_val: where a fresh torch.Generator() starts. PyTorch seeds its default
 * generator from the OS instead; torchlet's starts here too, because library code never reads
 * the clock or an entropy source.
 */
export const DEFAULT_SEED = 67280421310721n;

/** A copy of a generator's whole state; `restore` on any generator resumes the stream. */
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
 * high half). Seed it with `manualSeed`; snapshot it with `snapshot`/`restore`. The public
 * `torch.Generator` (ops/random.ts) extends it with PyTorch's tensor-valued get_state/set_state.
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
  snapshot(): GeneratorState {
    return {
      seed: this.#seed,
      mt: this.#mt.slice(),
      left: this.#left,
      next: this.#next,
      nextDoubleNormal: this.#nextDoubleNormal,
      nextFloatNormal: this.#nextFloatNormal,
    };
  }

  /** Restores a snapshot from `snapshot` (of this or any generator). */
  restore(state: GeneratorState): this {
    const { mt, left, next } = state;
    if (mt.length !== N || !(left > 0 && left <= N) || !(next >= 0 && next <= N)) {
      throw new ValueError(
        `Generator.restore: invalid mt19937 state (${mt.length} words, left=${left}, next=${next}); ` +
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
