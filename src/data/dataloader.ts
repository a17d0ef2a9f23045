/**
 * torch.utils.data.DataLoader in one process (PyTorch's num_workers=0): batches from a sampler,
 * collated by default_collate, with PyTorch's random draws in PyTorch's order. Each pass first
 * draws the loader's base seed (one 64-bit draw from `generator` or the default generator, as
 * PyTorch does even without workers); a shuffling RandomSampler then draws its own seed at the
 * first batch. So `manualSeed(n)` gives PyTorch's batches, epoch after epoch, and the random
 * numbers a training loop draws in between stay PyTorch's too.
 */
import { ValueError } from "../errors.ts";
import type { Generator as TorchGenerator } from "../core/generator.ts";
import { defaultGenerator } from "../ops/generator.ts";
import { defaultCollate, type Collated } from "./collate.ts";
import { Dataset, IterableDataset, datasetLength, getItem, type MapDataset } from "./dataset.ts";
import { BatchSampler, RandomSampler, SequentialSampler, checkBatchArgs, randomSeed, type SamplerLike } from "./sampler.ts";

/** Options of DataLoader, as PyTorch's keyword arguments. */
export interface DataLoaderOptions<T, B> {
  /** samples per batch (default 1); null turns batching off (each sample comes as is) */
  batchSize?: number | null;
  /** reshuffle at every pass (default false) */
  shuffle?: boolean;
  /** the order of indices (excludes shuffle) */
  sampler?: SamplerLike<number>;
  /** yields whole batches of indices (excludes batchSize, shuffle, sampler, dropLast) */
  batchSampler?: SamplerLike<number[]>;
  /** drop the last batch when it is short (default false) */
  dropLast?: boolean;
  /** merges a list of samples into a batch (default: defaultCollate) */
  collateFn?: (samples: Awaited<T>[]) => B;
  /** the generator for shuffling and the base seed (default: the default generator) */
  generator?: TorchGenerator;
}

const OPTION_KEYS = new Set(["batchSize", "shuffle", "sampler", "batchSampler", "dropLast", "collateFn", "generator"]);

/** A dataset a DataLoader reads: map-style (Dataset or array) or iterable. */
export type LoaderDataset<T> = MapDataset<T> | IterableDataset<T>;

/**
 * Iterates a dataset in batches, as PyTorch's DataLoader: `for (const [x, y] of loader)`, or
 * `for await` when samples load asynchronously (a `getItem` that returns a Promise, or an
 * async IterableDataset; a batch's samples then load concurrently).
 * @example torch.manualSeed(0); const loader = new DataLoader(new TensorDataset(x, y), { batchSize: 4, shuffle: true });
 */
export class DataLoader<T, B = Collated<Awaited<T>>> implements Iterable<B>, AsyncIterable<B> {
  readonly dataset: LoaderDataset<T>;
  readonly batchSize: number | null;
  readonly dropLast: boolean;
  /** The sampler of indices (undefined for an iterable dataset). */
  readonly sampler: SamplerLike<number> | undefined;
  /** The sampler of index batches, when batching is on. */
  readonly batchSampler: SamplerLike<number[]> | undefined;
  readonly generator: TorchGenerator | undefined;
  readonly collateFn: ((samples: Awaited<T>[]) => B) | undefined;

  constructor(dataset: LoaderDataset<T>, options: DataLoaderOptions<T, B> = {}) {
    const unknown = Object.keys(options).filter((k) => !OPTION_KEYS.has(k));
    if (unknown.length > 0) throw new ValueError(`DataLoader got unexpected option(s) ${unknown.join(", ")}`);
    this.dataset = dataset;
    let { batchSize = 1, dropLast = false } = options;
    const { shuffle = false, sampler, batchSampler } = options;
    if (dataset instanceof IterableDataset) {
      if (shuffle) throw new ValueError(`DataLoader with IterableDataset: expected unspecified shuffle option, but got shuffle=${shuffle}`);
      if (sampler !== undefined) throw new ValueError("DataLoader with IterableDataset: expected unspecified sampler option, but got sampler=" + String(sampler));
      if (batchSampler !== undefined) throw new ValueError("DataLoader with IterableDataset: expected unspecified batch_sampler option, but got batch_sampler=" + String(batchSampler));
    } else if (!(dataset instanceof Dataset) && !Array.isArray(dataset)) {
      throw new ValueError("DataLoader: dataset must be a Dataset, an IterableDataset or an array");
    }
    if (sampler !== undefined && shuffle) throw new ValueError("sampler option is mutually exclusive with shuffle");
    if (batchSampler !== undefined) {
      if (batchSize !== 1 || shuffle || sampler !== undefined || dropLast) {
        throw new ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and drop_last");
      }
      batchSize = null;
      dropLast = false;
    } else if (batchSize === null && dropLast) {
      throw new ValueError("batch_size=None option disables auto-batching and is mutually exclusive with drop_last");
    }
    const map = dataset instanceof IterableDataset ? undefined : (dataset as MapDataset<T>);
    this.sampler = map === undefined ? undefined
      : sampler ?? (shuffle ? new RandomSampler(map, { generator: options.generator }) : new SequentialSampler(map));
    this.batchSampler = batchSampler
      ?? (batchSize !== null && this.sampler !== undefined ? new BatchSampler(this.sampler, batchSize, dropLast) : undefined);
    if (batchSize !== null) checkBatchArgs(batchSize, dropLast);
    this.batchSize = batchSize;
    this.dropLast = dropLast;
    this.generator = options.generator;
    this.collateFn = options.collateFn;
  }

  /** Batches per pass (samples, when batching is off), as `len(loader)`. */
  get length(): number {
    if (this.dataset instanceof IterableDataset) {
      const n = datasetLength(this.dataset);
      if (this.batchSize === null) return n;
      return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
    }
    return datasetLength((this.batchSampler ?? this.sampler) as MapDataset<unknown>);
  }

  #collate(samples: Awaited<T>[]): B {
    return this.collateFn ? this.collateFn(samples) : (defaultCollate(samples) as B);
  }

  /** One pass: draws the base seed now, then yields batches lazily. */
  [Symbol.iterator](): Iterator<B> {
    randomSeed(this.generator ?? defaultGenerator);
    return this.dataset instanceof IterableDataset ? this.#iterableBatches() : this.#mapBatches();
  }

  /** One pass for `for await`: the same draws, with samples awaited (a batch's concurrently). */
  [Symbol.asyncIterator](): AsyncIterator<B> {
    randomSeed(this.generator ?? defaultGenerator);
    return this.dataset instanceof IterableDataset ? this.#asyncIterableBatches() : this.#asyncMapBatches();
  }

  *#mapBatches(): Generator<B> {
    const map = this.dataset as MapDataset<T>;
    if (this.batchSampler === undefined) {
      for (const i of this.sampler!) yield getItem(map, i) as unknown as B;
      return;
    }
    for (const indices of this.batchSampler) yield this.#collate(indices.map((i) => getItem(map, i) as Awaited<T>));
  }

  async *#asyncMapBatches(): AsyncGenerator<B> {
    const map = this.dataset as MapDataset<T>;
    if (this.batchSampler === undefined) {
      for (const i of this.sampler!) yield (await getItem(map, i)) as B;
      return;
    }
    for (const indices of this.batchSampler) yield this.#collate(await Promise.all(indices.map((i) => getItem(map, i))));
  }

  *#iterableBatches(): Generator<B> {
    const it = (this.dataset as IterableDataset<T>)[Symbol.iterator]?.();
    if (it === undefined) throw new ValueError("DataLoader: this IterableDataset is asynchronous; iterate the DataLoader with `for await`");
    for (;;) {
      if (this.batchSize === null) {
        const r = it.next();
        if (r.done) return;
        yield r.value as unknown as B;
        continue;
      }
      const samples: Awaited<T>[] = [];
      let ended = false;
      while (samples.length < this.batchSize) {
        const r = it.next();
        if (r.done) { ended = true; break; }
        samples.push(r.value as Awaited<T>);
      }
      if (samples.length === 0 || (this.dropLast && samples.length < this.batchSize)) return;
      yield this.#collate(samples);
      if (ended) return;
    }
  }

  async *#asyncIterableBatches(): AsyncGenerator<B> {
    const ds = this.dataset as IterableDataset<T>;
    const it: AsyncIterator<T> | Iterator<T> | undefined = ds[Symbol.asyncIterator]?.() ?? ds[Symbol.iterator]?.();
    if (it === undefined) throw new ValueError("DataLoader: an IterableDataset must implement [Symbol.iterator] or [Symbol.asyncIterator]");
    for (;;) {
      if (this.batchSize === null) {
        const r = await it.next();
        if (r.done) return;
        yield (await r.value) as B;
        continue;
      }
      const samples: Awaited<T>[] = [];
      let ended = false;
      while (samples.length < this.batchSize) {
        const r = await it.next();
        if (r.done) { ended = true; break; }
        samples.push(await r.value);
      }
      if (samples.length === 0 || (this.dropLast && samples.length < this.batchSize)) return;
      yield this.#collate(samples);
      if (ended) return;
    }
  }
}
