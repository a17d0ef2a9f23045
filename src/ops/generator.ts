/**
 * torch.Generator as users see it: core's mt19937 engine plus PyTorch's tensor-valued state
 * (`getState`/`setState`, the 5056 bytes of `torch.get_rng_state()`, so a state moves between
 * the two libraries and through .pt files), the default generator and the torch-level seeding
 * functions.
 */
import { DTypeError, ValueError } from "../errors.ts";
import { uint8 } from "../core/dtype.ts";
import { Generator as Engine, stateFromBytes, stateToBytes } from "../core/generator.ts";
import { Tensor } from "../tensor.ts";
import { contiguousData, wrap } from "./elementwise.ts";

/**
 * 64 bits from the platform's cryptographic source (Web Crypto, in browsers and Node alike):
 * PyTorch's non-deterministic seed, used only when a caller asks for one with `seed()`.
 */
function entropySeed(): bigint {
  const words = globalThis.crypto.getRandomValues(new Uint32Array(2));
  return (BigInt(words[0]!) << 32n) | BigInt(words[1]!);
}

/**
 * PyTorch's CPU generator (torch.Generator): seed it with `manualSeed`, save and restore it
 * with `getState`/`setState` as a uint8 tensor byte-compatible with PyTorch's.
 * @example const g = new torch.Generator().manualSeed(42); torch.randperm(5, { generator: g });
 */
export class Generator extends Engine {
  /** The whole state as PyTorch's uint8 tensor of 5056 bytes (`generator.get_state()`). */
  getState(): Tensor {
    return wrap(stateToBytes(this.snapshot()), [5056], uint8);
  }

  /** Restores a state from `getState`, `torch.getRngState()` or PyTorch's `get_state()`. */
  setState(state: Tensor): this {
    if (!(state instanceof Tensor) || state.dtype !== uint8) {
      throw new DTypeError("RNG state must be a torch.ByteTensor");
    }
    return this.restore(stateFromBytes(contiguousData(state) as Uint8Array));
  }

  /** Seeds from the platform's entropy source and returns the seed, like `generator.seed()`. */
  seed(): bigint {
    const s = entropySeed();
    this.manualSeed(s);
    return s;
  }
}

/**
 * The generator every random op uses unless given another (PyTorch's default CPU generator).
 * It starts at ATen's default seed; PyTorch seeds it from the OS instead.
 */
export const defaultGenerator = new Generator();

/** Seeds the default generator, like `torch.manual_seed(seed)`. */
export function manualSeed(seed: number | bigint): Generator {
  return defaultGenerator.manualSeed(seed);
}

/** The default generator's seed, like `torch.initial_seed()`. */
export function initialSeed(): bigint {
  return defaultGenerator.initialSeed();
}

/** Seeds the default generator from the platform's entropy source, like `torch.seed()`. */
export function seed(): bigint {
  return defaultGenerator.seed();
}

/** The default generator's state as a uint8 tensor, like `torch.get_rng_state()`. */
export function getRngState(): Tensor {
  return defaultGenerator.getState();
}

/** Restores the default generator from a state tensor, like `torch.set_rng_state(state)`. */
export function setRngState(state: Tensor): void {
  defaultGenerator.setState(state);
}

/** Checks that an option is a generator, for JavaScript callers. */
export function checkGenerator(op: string, gen: unknown): Engine {
  if (gen === undefined || gen === null) return defaultGenerator;
  if (!(gen instanceof Engine)) throw new ValueError(`${op}(): argument 'generator' must be torch.Generator, not ${typeof gen}`);
  return gen;
}
