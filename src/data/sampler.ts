/**
 * torch.utils.data's samplers, with PyTorch 1.13's draws: a RandomSampler without a generator
 * seeds a fresh generator from the default one at each pass (one 63-bit draw), then shuffles
 * with randperm; with replacement it draws randint in chunks of 32. Iterators are lazy, as
 * Python's generators: nothing is drawn until the first index is asked for.
 */
import { ShapeError, ValueError } from "../errors.ts";
import type { Generator as Engine } from "../core/generator.ts";
import { fillRandint, multinomial, randperm } from "../core/random-int.ts";
import { Generator, defaultGenerator } from "../ops/generator.ts";
import { Tensor } from "../tensor.ts";
import { datasetLength, type IterableDataset, type MapDataset } from "./dataset.ts";

/** A sequence of indices (or of index batches) with a known length (PyTorch's Sampler). */
export abstract class Sampler<T = number> implements Iterable<T> {
  abstract [Symbol.iterator](): Iterator<T>;
  /** How many indices one pass yields. */
  abstract get length(): number;
}

/** Anything a DataLoader or BatchSampler accepts as a sampler: iterable, with a length. */
export type SamplerLike<T = number> = Iterable<T> & { readonly length?: number };

/** `torch.empty((), dtype=torch.int64).random_(generator=g).item()`: random64() mod 2^63. */
export function randomSeed(gen: Engine): bigint {
  return BigInt.asUintN(63, gen.random64());
}

function positiveInteger(name: string, v: unknown): void {
  if (typeof v !== "number" || !Number.isInteger(v) || v <= 0) {
    throw new ValueError(`${name} should be a positive integer value, but got ${name}=${String(v)}`);
  }
}

function boolean(name: string, v: unknown): void {
  if (typeof v !== "boolean") throw new ValueError(`${name} should be a boolean value, but got ${name}=${String(v)}`);
}

/** BatchSampler's checks of batch_size and drop_last, in PyTorch's words. */
export function checkBatchArgs(batchSize: unknown, dropLast: unknown): void {
  positiveInteger("batch_size", batchSize);
  boolean("drop_last", dropLast);
}

/** 0, 1, ..., length - 1 in order. */
export class SequentialSampler extends Sampler {
  constructor(readonly dataSource: MapDataset<unknown>) { super(); }

  *[Symbol.iterator](): Iterator<number> {
    const n = datasetLength(this.dataSource);
    for (let i = 0; i < n; i++) yield i;
  }

  get length(): number { return datasetLength(this.dataSource); }
}

/** Options of RandomSampler. */
export interface RandomSamplerOptions {
  /** draw with replacement (default false) */
  replacement?: boolean;
  /** how many indices per pass (default: the dataset's length) */
  numSamples?: number;
  /** the generator; without one, each pass seeds a fresh generator from the default one */
  generator?: Engine;
}

/**
 * Indices in random order, PyTorch's RandomSampler: a permutation per pass (several, cut to
 * `numSamples`, when it exceeds the length), or draws with replacement.
 */
export class RandomSampler extends Sampler {
  readonly replacement: boolean;
  readonly generator: Engine | undefined;
  readonly #numSamples: number | undefined;

  constructor(readonly dataSource: MapDataset<unknown>, options: RandomSamplerOptions = {}) {
    super();
    this.replacement = options.replacement ?? false;
    this.#numSamples = options.numSamples;
    this.generator = options.generator;
    boolean("replacement", this.replacement);
    positiveInteger("num_samples", this.numSamples);
  }

  /** `numSamples` as given, else the dataset's length. */
  get numSamples(): number { return this.#numSamples ?? datasetLength(this.dataSource); }

  *[Symbol.iterator](): Iterator<number> {
    const n = datasetLength(this.dataSource);
    const gen = this.generator ?? new Generator(randomSeed(defaultGenerator));
    const count = this.numSamples;
    if (this.replacement) {
      const draws = new BigInt64Array(32);
      for (let k = 0; k < Math.floor(count / 32); k++) {
        fillRandint(draws, 0, n, gen);
        for (const v of draws) yield Number(v);
      }
      const rest = draws.subarray(0, count % 32);
      if (rest.length > 0) fillRandint(rest, 0, n, gen);
      for (const v of rest) yield Number(v);
      return;
    }
    for (let k = 0; k < Math.floor(count / n); k++) yield* Array.from(randperm(n, gen), Number);
    yield* Array.from(randperm(n, gen), Number).slice(0, count % n);
  }

  get length(): number { return this.numSamples; }
}

/** The given indices in random order, one randperm per pass (PyTorch's SubsetRandomSampler). */
export class SubsetRandomSampler extends Sampler {
  constructor(readonly indices: readonly number[], readonly options: { generator?: Engine } = {}) { super(); }

  *[Symbol.iterator](): Iterator<number> {
    for (const i of randperm(this.indices.length, this.options.generator ?? defaultGenerator)) yield this.indices[Number(i)]!;
  }

  get length(): number { return this.indices.length; }
}

/** Options of WeightedRandomSampler. */
export interface WeightedRandomSamplerOptions {
  /** draw with replacement (default true) */
  replacement?: boolean;
  generator?: Engine;
}

/**
 * `numSamples` indices drawn with the given (unnormalized) weights: one torch.multinomial over
 * the weights in float64 per pass (PyTorch's WeightedRandomSampler).
 */
export class WeightedRandomSampler extends Sampler {
  readonly weights: Float64Array;
  readonly replacement: boolean;

  constructor(weights: readonly number[] | Tensor, readonly numSamples: number, readonly options: WeightedRandomSamplerOptions = {}) {
    super();
    positiveInteger("num_samples", numSamples);
    this.replacement = options.replacement ?? true;
    boolean("replacement", this.replacement);
    if (weights instanceof Tensor) {
      if (weights.ndim !== 1) {
        throw new ShapeError(`weights should be a 1d sequence but given weights have shape (${weights.shape.join(", ")}${weights.ndim === 1 ? "," : ""})`);
      }
      this.weights = Float64Array.from(weights.tolist() as number[], Number);
    } else {
      if (weights.some((w) => typeof w !== "number")) throw new ShapeError("weights should be a 1d sequence of numbers");
      this.weights = Float64Array.from(weights);
    }
  }

  *[Symbol.iterator](): Iterator<number> {
    const picks = multinomial(this.weights, this.weights.length, this.numSamples, this.replacement, this.options.generator ?? defaultGenerator);
    yield* Array.from(picks, Number);
  }

  get length(): number { return this.numSamples; }
}

/**
 * Groups another sampler's indices into lists of `batchSize`; the last, shorter one is dropped
 * when `dropLast` (PyTorch's BatchSampler).
 * @example [...new BatchSampler(new SequentialSampler(range10), 3, false)] // [[0,1,2],[3,4,5],[6,7,8],[9]]
 */
export class BatchSampler<T = number> extends Sampler<T[]> {
  constructor(readonly sampler: SamplerLike<T>, readonly batchSize: number, readonly dropLast: boolean) {
    super();
    checkBatchArgs(batchSize, dropLast);
  }

  *[Symbol.iterator](): Iterator<T[]> {
    let batch: T[] = [];
    for (const idx of this.sampler) {
      batch.push(idx);
      if (batch.length === this.batchSize) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0 && !this.dropLast) yield batch;
  }

  get length(): number {
    const n = datasetLength(this.sampler as unknown as IterableDataset<unknown>);
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }
}
