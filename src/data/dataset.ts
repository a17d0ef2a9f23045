/**
 * torch.utils.data's datasets: map-style `Dataset` (`getItem`/`length`), `IterableDataset`,
 * `TensorDataset`, `Subset`, `ConcatDataset` and `randomSplit`, as PyTorch 1.13's dataset.py.
 * Wherever PyTorch takes a map-style dataset, a plain array works too.
 */
import { IndexError, ShapeError, ValueError } from "../errors.ts";
import type { Generator } from "../core/generator.ts";
import { randperm } from "../core/random-int.ts";
import { defaultGenerator } from "../ops/generator.ts";
import type { Tensor } from "../tensor.ts";

/**
 * A map-style dataset: a length and one sample per index (PyTorch's `__getitem__`/`__len__`).
 * `getItem` may return a Promise for data that loads lazily; iterate such a DataLoader with
 * `for await`.
 * @example class Squares extends Dataset<number> { get length() { return 10; } getItem(i: number) { return i * i; } }
 */
export abstract class Dataset<T> {
  /** The sample at `index` (0 <= index < length). */
  abstract getItem(index: number): T;
  /** The number of samples. */
  abstract get length(): number;
}

/**
 * A dataset that is a stream of samples (PyTorch's IterableDataset): implement
 * `[Symbol.iterator]` or, for samples that load asynchronously, `[Symbol.asyncIterator]`.
 * `length`, when known, lets `DataLoader.length` answer.
 */
export abstract class IterableDataset<T> {
  /** The samples, one pass (a subclass implements this or the async one). */
  [Symbol.iterator]?(): Iterator<T>;
  /** The samples, one pass, for data that loads asynchronously. */
  [Symbol.asyncIterator]?(): AsyncIterator<T>;
  /** The number of samples, if known. */
  get length(): number | undefined { return undefined; }
}

/** What PyTorch accepts as a map-style dataset: a `Dataset` or, here, a plain array. */
export type MapDataset<T> = Dataset<T> | readonly T[];

/** The number of samples of a map-style dataset (Python's `len(dataset)`). */
export function datasetLength(dataset: MapDataset<unknown> | IterableDataset<unknown>): number {
  const n = (dataset as { length?: unknown }).length;
  if (typeof n !== "number") {
    throw new ValueError(`object of type '${dataset.constructor?.name ?? typeof dataset}' has no len()`);
  }
  return n;
}

/** `dataset[index]` for a Dataset or a plain array (negative indices count from the end, as in Python). */
export function getItem<T>(dataset: MapDataset<T>, index: number): T {
  if (dataset instanceof Dataset) return dataset.getItem(index);
  if (!Array.isArray(dataset)) throw new ValueError("expected a map-style dataset: a Dataset or an array");
  const i = index < 0 ? index + dataset.length : index;
  if (!Number.isInteger(i) || i < 0 || i >= dataset.length) throw new IndexError("list index out of range");
  return dataset[i] as T;
}

/**
 * Samples that are rows of tensors: item i is `[t0.at(i), t1.at(i), ...]` (PyTorch's tuple), so a
 * DataLoader batch is `[x, y]`.
 * @example const ds = new TensorDataset(x, y); const [xi, yi] = ds.getItem(0);
 */
export class TensorDataset extends Dataset<Tensor[]> {
  readonly tensors: readonly Tensor[];

  constructor(...tensors: Tensor[]) {
    super();
    if (tensors.length === 0) throw new ValueError("TensorDataset needs at least one tensor");
    const n = tensors[0]!.shape[0];
    if (tensors.some((t) => t.ndim === 0 || t.shape[0] !== n)) throw new ShapeError("Size mismatch between tensors");
    this.tensors = tensors;
  }

  getItem(index: number): Tensor[] {
    return this.tensors.map((t) => t.at(index));
  }

  get length(): number { return this.tensors[0]!.shape[0]!; }
}

/** The samples of `dataset` at `indices`, in that order (PyTorch's Subset). */
export class Subset<T> extends Dataset<T> {
  constructor(readonly dataset: MapDataset<T>, readonly indices: readonly number[]) {
    super();
  }

  getItem(index: number): T {
    const i = index < 0 ? index + this.indices.length : index;
    if (!Number.isInteger(i) || i < 0 || i >= this.indices.length) throw new IndexError("list index out of range");
    return getItem(this.dataset, this.indices[i]!);
  }

  get length(): number { return this.indices.length; }
}

/** Several map-style datasets one after another (PyTorch's ConcatDataset). */
export class ConcatDataset<T> extends Dataset<T> {
  readonly datasets: readonly MapDataset<T>[];
  /** Running totals of the datasets' lengths. */
  readonly cumulativeSizes: readonly number[];

  constructor(datasets: readonly MapDataset<T>[]) {
    super();
    if (datasets.length === 0) throw new ValueError("datasets should not be an empty iterable");
    if (datasets.some((d) => d instanceof IterableDataset)) throw new ValueError("ConcatDataset does not support IterableDataset");
    this.datasets = [...datasets];
    let total = 0;
    this.cumulativeSizes = this.datasets.map((d) => (total += datasetLength(d)));
  }

  get length(): number { return this.cumulativeSizes[this.cumulativeSizes.length - 1]!; }

  getItem(index: number): T {
    let idx = index;
    if (idx < 0) {
      if (-idx > this.length) throw new ValueError("absolute value of index should not exceed dataset length");
      idx += this.length;
    }
    // bisect_right: the first dataset whose running total exceeds idx
    const which = this.cumulativeSizes.findIndex((c) => c > idx);
    if (which < 0) throw new IndexError("list index out of range");
    return getItem(this.datasets[which]!, which === 0 ? idx : idx - this.cumulativeSizes[which - 1]!);
  }
}

/** Python's math.isclose(a, b) with its default tolerances. */
const isClose = (a: number, b: number): boolean => Math.abs(a - b) <= Math.max(1e-9 * Math.max(Math.abs(a), Math.abs(b)), 0);

/** Fractions that sum to 1 become lengths: floor(n * f), the remainder dealt round-robin. */
function splitLengths(n: number, lengths: readonly number[]): number[] {
  const sum = lengths.reduce((a, b) => a + b, 0);
  if (!(isClose(sum, 1) && sum <= 1)) return [...lengths];
  const out = lengths.map((f, i) => {
    if (f < 0 || f > 1) throw new ValueError(`Fraction at index ${i} is not between 0 and 1`);
    return Math.floor(n * f);
  });
  const remainder = n - out.reduce((a, b) => a + b, 0);
  for (let i = 0; i < remainder; i++) out[i % out.length]! += 1;
  return out;
}

/**
 * Splits a dataset into non-overlapping `Subset`s of the given lengths (or fractions summing to
 * 1), from one `randperm` of the generator (the default generator itself, as PyTorch).
 * @example const [train, val] = randomSplit(ds, [0.8, 0.2], { generator: new Generator(42) });
 */
export function randomSplit<T>(
  dataset: MapDataset<T>, lengths: readonly number[], options: { generator?: Generator } = {},
): Subset<T>[] {
  const n = datasetLength(dataset);
  const sizes = splitLengths(n, lengths);
  if (sizes.some((s) => !Number.isInteger(s) || s < 0)) {
    throw new ValueError(`randomSplit: lengths must be non-negative integers or fractions summing to 1, got [${lengths.join(", ")}]`);
  }
  if (sizes.reduce((a, b) => a + b, 0) !== n) {
    throw new ValueError("Sum of input lengths does not equal the length of the input dataset!");
  }
  const perm = Array.from(randperm(n, options.generator ?? defaultGenerator), Number);
  let offset = 0;
  return sizes.map((s) => new Subset(dataset, perm.slice(offset, (offset += s))));
}
