/**
 * Storages whose bytes stay in the file until first used. A LazyStorage knows its dtype, its
 * element count and where its bytes are; reading `data` reads them once and keeps them (so
 * in-place writes stick, as with any storage). `loadStateDict` copies from a lazy storage and
 * releases it again, so loading a model from a lazy checkpoint holds one tensor's bytes at a time.
 */
import { inflateSync } from "fflate";
import type { DType, TypedArray } from "../core/dtype.ts";
import { FormatError } from "../errors.ts";
import { decodeInPlace } from "./raw.ts";
import type { AnyByteSource, ByteSource } from "./source.ts";
import { isAsyncSource } from "./source.ts";

/** Where a storage's elements are: `length` file bytes at `offset`, deflated when `inflated` is set. */
export interface ByteRange {
  source: AnyByteSource;
  offset: number;
  length: number;
  bigEndian: boolean;
  /** the uncompressed size of a deflated zip entry (absent for stored bytes) */
  inflated?: number;
}

/** A storage read from its file on first use (`data`), or on demand without keeping it (`read`). */
export class LazyStorage {
  #data: TypedArray | undefined;
  /** `from` is either where the elements are in a file or a function computing them. */
  constructor(readonly dtype: DType, readonly numel: number, readonly from: ByteRange | (() => TypedArray)) {}

  /** The elements, read from the file the first time and kept from then on. */
  get data(): TypedArray {
    return (this.#data ??= this.read());
  }
  set data(v: TypedArray) {
    this.#data = v;
  }
  /** True once the elements are held in memory. */
  get loaded(): boolean {
    return this.#data !== undefined;
  }
  /** The elements: the kept ones, or a fresh read that is not kept. */
  read(): TypedArray {
    if (this.#data !== undefined) return this.#data;
    if (typeof this.from === "function") return this.from();
    const r = this.from;
    if (isAsyncSource(r.source)) {
      throw new FormatError(`${r.source.name}: tensor bytes of an asynchronous source (a Blob, a file handle) are read with \`await storage.readAsync()\` or an *Async loader`);
    }
    const direct = (r.source as { readInto?: (offset: number, target: ArrayBufferView) => number }).readInto;
    if (direct !== undefined && r.inflated === undefined && !r.bigEndian && r.length === this.numel * this.dtype.itemsize) {
      // straight into the typed array: no copy, and no byte array (which could not exceed 4 GiB)
      const out = this.dtype.alloc(this.numel);
      const got = direct(r.offset, out);
      if (got !== r.length) fresh(new Uint8Array(0), r.source.name, r.length);
      if (this.dtype.name === "bool") for (let i = 0; i < out.length; i++) if ((out[i] as number) > 1) out[i] = 1;
      return out;
    }
    return this.#decode(readExact(r.source, r.offset, r.length));
  }
  /**
   * Reads the elements straight from the file into `target` (an array of this dtype and length:
   * the storage of the parameter being loaded) with no buffer of its own, so a lazy loadStateDict
   * holds nothing but the model. False, having written nothing, where the bytes need decoding
   * (compressed, big-endian), the source is asynchronous, or the elements are already held.
   */
  readInto(target: TypedArray): boolean {
    if (this.#data !== undefined || typeof this.from === "function") return false;
    const r = this.from;
    const direct = (r.source as { readInto?: (offset: number, target: ArrayBufferView) => number }).readInto;
    if (direct === undefined || isAsyncSource(r.source) || r.inflated !== undefined || r.bigEndian) return false;
    if (r.length !== this.numel * this.dtype.itemsize || target.length !== this.numel || target.constructor !== this.dtype.alloc(0).constructor) return false;
    const got = direct(r.offset, target);
    if (got !== r.length) fresh(new Uint8Array(0), r.source.name, r.length);
    if (this.dtype.name === "bool") for (let i = 0; i < target.length; i++) if ((target[i] as number) > 1) target[i] = 1;
    return true;
  }
  /** The elements read without blocking (any source); kept when `keep` is true. */
  async readAsync(keep = false): Promise<TypedArray> {
    if (this.#data !== undefined) return this.#data;
    if (typeof this.from === "function") return this.from();
    const r = this.from;
    const bytes = isAsyncSource(r.source) ? await r.source.read(r.offset, r.length) : readExact(r.source, r.offset, r.length);
    const data = this.#decode(fresh(bytes, r.source.name, r.length));
    if (keep) this.#data = data;
    return data;
  }
  /** Forgets the elements; the next use reads them from the file again. */
  release(): void {
    this.#data = undefined;
  }

  #decode(raw: Uint8Array): TypedArray {
    const r = this.from as ByteRange;
    // inflated bytes and file reads are new buffers; bytes in memory are the caller's and are copied
    const owned = r.inflated !== undefined || (isAsyncSource(r.source) || r.source.fresh === true);
    const bytes = r.inflated === undefined ? raw : inflate(raw, r.inflated, r.source.name);
    const need = this.numel * this.dtype.itemsize;
    const own = owned && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice(0, need);
    return decodeInPlace(own, this.dtype, this.numel, r.bigEndian);
  }
}

function readExact(source: ByteSource, offset: number, length: number): Uint8Array {
  return fresh(source.read(offset, length), source.name, length);
}

function fresh(bytes: Uint8Array, name: string, length: number): Uint8Array {
  if (bytes.length !== length) throw new FormatError(`${name}: the file changed or was truncated after it was opened: ${bytes.length} bytes read where ${length} were expected`);
  return bytes;
}

/** Inflates a deflated zip entry to exactly `size` bytes. */
export function inflate(raw: Uint8Array, size: number, name: string): Uint8Array {
  // deflate cannot expand more than 1032:1, so a larger claim is a lie and is not allocated
  if (size > raw.length * 1032 + 1024) throw new FormatError(`${name}: a zip entry claims ${size} bytes from ${raw.length} compressed bytes`);
  let out: Uint8Array;
  try {
    out = inflateSync(raw, { out: new Uint8Array(size) });
  } catch (err) {
    throw new FormatError(`${name}: a zip entry is not valid deflate data: ${(err as Error).message}`);
  }
  if (out.length !== size) throw new FormatError(`${name}: a zip entry inflates to ${out.length} bytes, not the ${size} it claims`);
  return out;
}

/** True for a storage whose bytes are still in the file. */
export function isLazyStorage(s: unknown): s is LazyStorage {
  return s instanceof LazyStorage;
}

/** The element count of a storage, without reading a lazy one. */
export function storageNumel(s: { data: TypedArray }): number {
  return s instanceof LazyStorage ? s.numel : s.data.length;
}
