/**
 * Statistics of file tensors, streamed: a tensor's elements arrive in chunks read straight from
 * the file (contiguous tensors) or walked over its storage (views), as float64 numbers in
 * row-major order. An expanded view (stride 0) is walked over its distinct elements with a weight,
 * so its statistics cost what its storage costs, not what its shape claims.
 */
import { DType } from "../core/dtype.ts";
import type { TypedArray } from "../core/dtype.ts";
import { bfloat16ToNumber, halfToNumber } from "../core/half.ts";
import { FileError, FormatError } from "../errors.ts";
import { STATS_RECORD, blockStats, diffStats, histogramCounts, hostFloats } from "../ops/stats.ts";
import type { ByteRange } from "./lazy.ts";
import { LazyStorage, storageNumel } from "./lazy.ts";
import type { RawTensor } from "./raw.ts";
import { isContiguous, numel } from "./raw.ts";
import type { ByteSource } from "./source.ts";
import { isAsyncSource } from "./source.ts";

/**
 * A chunk of elements; each stands for `weight` elements of the tensor (repeats of an expanded
 * view). float32 and float64 elements come as they are in the file, others as float64 numbers.
 * A chunk's arrays may be reused for the next chunk of the same stream: use them before asking.
 */
export interface Chunk {
  values: Float64Array | Float32Array;
  weight: number;
}

/** Elements per chunk: 8 MiB of float64 numbers. */
export const chunkElements = 1 << 20;

/** Decodes `count` file elements of `dtype` into numbers. */
function toNumbers(src: TypedArray, dtype: DType, out: Float64Array): void {
  const n = out.length;
  if (dtype === DType.float16) for (let i = 0; i < n; i++) out[i] = halfToNumber(src[i] as number);
  else if (dtype === DType.bfloat16) for (let i = 0; i < n; i++) out[i] = bfloat16ToNumber(src[i] as number);
  else if (src instanceof BigInt64Array) for (let i = 0; i < n; i++) out[i] = Number(src[i]!);
  else out.set(src as ArrayLike<number>);
}

/**
 * The view with its stride-0 dims taken out, and how many times each remaining element repeats;
 * null when the view still covers more elements than its storage holds (overlapping strides),
 * whose walk could cost far more than the file.
 */
export function distinctView(t: RawTensor): { shape: number[]; strides: number[]; weight: number } | null {
  const shape: number[] = [], strides: number[] = [];
  let weight = 1;
  for (let i = 0; i < t.shape.length; i++) {
    if (t.strides[i] === 0 && t.shape[i]! > 1) weight *= t.shape[i]!;
    else { shape.push(t.shape[i]!); strides.push(t.strides[i]!); }
  }
  if (shape.includes(0)) return { shape, strides, weight: 0 };
  return numel(shape) <= Math.max(storageNumel(t.storage), 1) ? { shape, strides, weight } : null;
}

/** Contiguous, stored bytes in a synchronous or asynchronous file: read range by range. */
function fileRange(t: RawTensor): { source: ByteRange; start: number } | null {
  const st = t.storage;
  if (!(st instanceof LazyStorage) || st.loaded || typeof st.from === "function" || st.from.inflated !== undefined || st.from.bigEndian) return null;
  if (!isContiguous(t)) return null;
  return { source: st.from, start: st.from.offset + t.offset * t.dtype.itemsize };
}

function* walkView(data: TypedArray, dtype: DType, offset: number, shape: number[], strides: number[], weight: number): Generator<Chunk> {
  const n = numel(shape);
  const index = new Array<number>(shape.length).fill(0);
  let pos = offset;
  for (let done = 0; done < n;) {
    const m = Math.min(chunkElements, n - done);
    const raw = dtype.alloc(m) as unknown as { [i: number]: number | bigint };
    for (let i = 0; i < m; i++) {
      raw[i] = data[pos]!;
      for (let d = shape.length - 1; d >= 0; d--) {
        pos += strides[d]!;
        if (++index[d]! < shape[d]!) break;
        pos -= strides[d]! * shape[d]!;
        index[d] = 0;
      }
    }
    const values = new Float64Array(m);
    toNumbers(raw as unknown as TypedArray, dtype, values);
    yield { values, weight };
    done += m;
  }
}

/** float32 and float64 elements are used in place: no conversion, no copy. */
const asIs = (dtype: DType): boolean => dtype === DType.float32 || dtype === DType.float64;

/** The elements in `bytes` as numbers: a view for float32/float64, else decoded into `out` (or a new array). */
function decodeChunk(bytes: Uint8Array, dtype: DType, out?: Float64Array): Float64Array | Float32Array {
  const own = bytes.byteOffset % dtype.itemsize === 0 ? bytes : bytes.slice();
  const count = own.length / dtype.itemsize;
  if (dtype === DType.float32) return new Float32Array(own.buffer, own.byteOffset, count);
  if (dtype === DType.float64) return new Float64Array(own.buffer, own.byteOffset, count);
  const typed = dtype === DType.float16 || dtype === DType.bfloat16 ? new Uint16Array(own.buffer, own.byteOffset, count)
    : new (dtype.alloc(0).constructor as new (b: ArrayBufferLike, o: number, n: number) => TypedArray)(own.buffer, own.byteOffset, count);
  const values = out === undefined ? new Float64Array(count) : out.subarray(0, count);
  toNumbers(typed, dtype, values);
  if (dtype === DType.bool) for (let i = 0; i < count; i++) if (values[i]! > 1) values[i] = 1;
  return values;
}

/** A synchronous source that can start a read and wait for it later (a Node file: source-node.ts). */
type ReadAhead = (offset: number, target: Uint8Array) => () => number;

/**
 * Starts getting `length` bytes at `offset`; the returned function gives them. With `readAhead`, a
 * source that can reads into `buffer` meanwhile (on its reader thread); else it reads when asked, into
 * `buffer` where it can (a file) or as the source gives them (a view of bytes in memory).
 */
function startChunk(src: ByteSource, offset: number, length: number, buffer: Uint8Array, readAhead: boolean): () => Uint8Array {
  const truncated = (): never => {
    throw new FormatError(`${src.name}: the file changed or was truncated after it was opened`);
  };
  const ahead = readAhead ? (src as { readAhead?: ReadAhead }).readAhead : undefined;
  if (ahead !== undefined) {
    const bytes = buffer.subarray(0, length), wait = ahead(offset, bytes);
    return () => (wait() === length ? bytes : truncated());
  }
  return () => {
    const into = (src as { readInto?: (offset: number, target: ArrayBufferView) => number }).readInto;
    const bytes = into === undefined ? src.read(offset, length) : buffer.subarray(0, length);
    return (into === undefined ? bytes.length : into(offset, bytes)) === length ? bytes : truncated();
  };
}

/**
 * The elements of a tensor as chunks, reading a contiguous tensor of a synchronous file range by
 * range and walking other views over their storage (memory: the storage). Yields nothing for a
 * view whose strides overlap (see `distinctView`). A file that reads ahead (Node) reads chunk
 * i + 1 into a second buffer while the caller digests chunk i (memory: two chunks); others read
 * each chunk when it is asked for (memory: one chunk).
 */
export function* tensorChunks(t: RawTensor): Generator<Chunk> {
  const total = numel(t.shape);
  if (total === 0) return;
  const range = fileRange(t);
  if (range !== null && !isAsyncSource(range.source.source)) {
    // buffers for the file's bytes and one for decoded numbers, reused chunk after chunk; float32
    // bytes land in a buffer the statistics kernel reads in place (wasm memory), from a small pool
    const src = range.source.source;
    const size = t.dtype.itemsize, first = Math.min(chunkElements, total);
    const ahead = total > chunkElements && (src as { readAhead?: ReadAhead }).readAhead !== undefined;
    const floatsTaken: Float32Array[] = [], sharedTaken: Uint8Array[] = [];
    const buffers: Array<{ bytes: Uint8Array; floats: Float32Array | null }> = [];
    for (let i = 0; i < (ahead ? 2 : 1); i++) {
      // a reader thread writes shared memory only: wasm memory is shared on Node, the CPU backend's floats are not
      let floats = t.dtype === DType.float32 ? takeFloats() : null;
      if (floats !== null && ahead && !(floats.buffer instanceof SharedArrayBuffer)) {
        giveFloats(floats);
        floats = null;
      }
      let bytes: Uint8Array;
      if (floats !== null) {
        floatsTaken.push(floats);
        bytes = new Uint8Array(floats.buffer, floats.byteOffset, floats.byteLength);
      } else if (ahead) {
        bytes = takeShared();
        sharedTaken.push(bytes);
        if (t.dtype === DType.float32) floats = new Float32Array(bytes.buffer, bytes.byteOffset, chunkElements);
      } else {
        bytes = new Uint8Array(first * size);
      }
      buffers.push({ bytes, floats });
    }
    const numbers = asIs(t.dtype) ? undefined : new Float64Array(first);
    const start = (done: number, k: number): (() => Uint8Array) =>
      startChunk(src, range.start + done * size, Math.min(chunkElements, total - done) * size, buffers[k % buffers.length]!.bytes, ahead);
    let next: (() => Uint8Array) | null = start(0, 0);
    let reuse = true;
    try {
      for (let done = 0, k = 0; done < total; k++) {
        const m = Math.min(chunkElements, total - done);
        const bytes = next!();
        // the next chunk's read goes into the other buffer while the caller uses this one
        next = done + m < total ? start(done + m, k + 1) : null;
        const floats = buffers[k % buffers.length]!.floats;
        yield { values: floats !== null && bytes.buffer === floats.buffer ? floats.subarray(0, m) : decodeChunk(bytes, t.dtype, numbers), weight: 1 };
        done += m;
      }
    } finally {
      // a caller that stops early can leave a read in flight: it lands before its buffer is reused
      // (a read that never answered may land later: its buffers are not reused at all)
      if (next !== null && ahead) {
        try {
          next();
        } catch (e) {
          reuse = !(e instanceof FileError);
        }
      }
      if (reuse) {
        for (const f of floatsTaken) giveFloats(f);
        for (const b of sharedTaken) giveShared(b);
      }
    }
    return;
  }
  const view = distinctView(t);
  if (view === null || view.weight === 0) return;
  const data = t.storage instanceof LazyStorage ? t.storage.read() : t.storage.data;
  yield* walkView(data, t.dtype, t.offset, view.shape, view.strides, view.weight);
}

/** Shared chunk buffers (a chunk of float64 at most) that a reader thread fills, kept for the next stream. */
const sharedPool: Uint8Array[] = [];

function takeShared(): Uint8Array {
  return sharedPool.pop() ?? new Uint8Array(new SharedArrayBuffer(chunkElements * 8));
}

function giveShared(b: Uint8Array): void {
  if (sharedPool.length < 4) sharedPool.push(b);
}

/** Chunk buffers for float32 streams, kept for the next stream (two at once for diff, more rarely). */
const floatPool: Float32Array[] = [];

function takeFloats(): Float32Array {
  return floatPool.pop() ?? hostFloats(chunkElements);
}

function giveFloats(f: Float32Array): void {
  if (floatPool.length < 4) floatPool.push(f);
}

/**
 * tensorChunks for any source, a Blob included: each range is awaited, and the next range is asked
 * for before the current chunk is handed out, so a Blob's or a file handle's read runs while the
 * caller digests (memory: two chunks).
 */
export async function* tensorChunksAsync(t: RawTensor): AsyncGenerator<Chunk> {
  const range = fileRange(t);
  if (range === null || !isAsyncSource(range.source.source)) {
    if (t.storage instanceof LazyStorage && !t.storage.loaded) await t.storage.readAsync(true);
    yield* tensorChunks(t);
    if (t.storage instanceof LazyStorage) t.storage.release();
    return;
  }
  const src = range.source.source;
  const total = numel(t.shape), size = t.dtype.itemsize;
  const read = (done: number): Promise<Uint8Array> => {
    const p = src.read(range.start + done * size, Math.min(chunkElements, total - done) * size);
    p.catch(() => undefined); // a caller that stops early never awaits it: its failure is not unhandled
    return p;
  };
  let next: Promise<Uint8Array> | null = total > 0 ? read(0) : null;
  for (let done = 0; done < total;) {
    const m = Math.min(chunkElements, total - done);
    const bytes = await next!;
    if (bytes.length !== m * size) throw new FormatError(`${src.name}: the file changed or was truncated after it was opened: ${bytes.length} bytes read where ${m * size} were expected`);
    next = done + m < total ? read(done + m) : null;
    yield { values: decodeChunk(bytes, t.dtype), weight: 1 };
    done += m;
  }
}

/** Elements the statistics take at a time: both passes over them stay in a core's cache. */
const statsBlock = 1 << 14;

/** Streaming min, max, mean, std (unbiased), NaN and Inf counts over weighted chunks. */
export class StatsAccumulator {
  count = 0;
  mean = 0;
  m2 = 0;
  min = Infinity;
  max = -Infinity;
  nan = 0;
  inf = 0;
  zeros = 0;
  sumSquares = 0;

  /**
   * Adds a chunk, block by block: the backend's statistics kernel (ops/stats.ts) gives each block's
   * count, extremes, sums and squared deviations from its own mean (two passes over a block that
   * stays in the core's cache), merged here in block order with Chan's parallel formula.
   */
  add({ values, weight }: Chunk): void {
    const blocks = Math.ceil(values.length / statsBlock);
    if (this.#records.length < blocks * STATS_RECORD) this.#records = new Float64Array(blocks * STATS_RECORD);
    const r = this.#records;
    blockStats(values, statsBlock, r);
    for (let o = 0; o < blocks * STATS_RECORD; o += STATS_RECORD) this.#merge(r, o, weight);
  }

  #records = new Float64Array(0);

  /** Merges the block record at `r[o..]` (see ops/stats.ts) standing for `weight` repeats. */
  #merge(r: Float64Array, o: number, weight: number): void {
    const n = r[o]!, sum = r[o + 1]!, min = r[o + 4]!, max = r[o + 5]!, nan = r[o + 6]!, nonFinite = r[o + 7]!;
    if (min < this.min) this.min = min;
    if (max > this.max) this.max = max;
    this.nan += nan * weight;
    this.inf += (nonFinite - nan) * weight;
    this.zeros += r[o + 8]! * weight;
    this.sumSquares += r[o + 2]! * weight;
    if (n === 0) return;
    const mean = sum / n;
    const nb = n * weight, na = this.count, total = na + nb;
    const delta = mean - this.mean;
    this.mean += (delta * nb) / total;
    this.m2 += r[o + 3]! * weight + (delta * delta * na * nb) / total;
    this.count = total;
  }

  /** The statistics so far (null where there is no finite element, std null below two). */
  result(): { min: number | null; max: number | null; mean: number | null; std: number | null; nan: number; inf: number } {
    if (this.count === 0) return { min: null, max: null, mean: null, std: null, nan: this.nan, inf: this.inf };
    return {
      min: this.min, max: this.max, mean: this.mean, std: this.count > 1 ? Math.sqrt(this.m2 / (this.count - 1)) : null,
      nan: this.nan, inf: this.inf,
    };
  }
}

/** Streaming histogram of the finite elements over a known [lo, hi] (the first pass's min and max). */
export class HistogramAccumulator {
  readonly counts: number[];
  constructor(readonly lo: number, readonly hi: number, bins = 40) {
    this.counts = new Array<number>(bins).fill(0);
  }
  /** Counts a chunk's finite elements into bins of width (hi - lo) / bins (the backend's histogram kernel). */
  add({ values, weight }: Chunk): void {
    histogramCounts(values, this.lo, (this.hi - this.lo) / this.counts.length, this.counts, weight);
  }
}

/**
 * The difference of two chunks of one length (torchlet diff), on the backend's kernel: `out` gets
 * max |b − a|, Σ(b − a)², Σa², Σb², Σab over the pairs finite on both sides, and the count of other
 * pairs that differ (NaN matches NaN, an infinity the same infinity).
 */
export function diffChunks(a: Chunk["values"], b: Chunk["values"], out: Float64Array): void {
  diffStats(a, b, out);
}
