/**
 * Random access to the bytes of a file: the readers ask for byte ranges, never for the whole
 * file, so a checkpoint of any size opens by reading its headers alone. A source is synchronous
 * (bytes in memory, a Node file descriptor) or asynchronous (a browser Blob or File, a Node
 * FileHandle); the readers' header parsers are synchronous and run over an asynchronous source
 * through `parseAsync`, which fetches the few ranges a parse asks for and runs it again.
 */
import { FormatError } from "../errors.ts";
import { asBytes } from "./raw.ts";

/** Synchronous random access to `size` bytes; `name` is used in error messages. */
export interface ByteSource {
  readonly name: string;
  readonly size: number;
  /** True when each read returns a new buffer the caller may keep and modify (file reads). */
  readonly fresh?: boolean;
  /** Exactly `length` bytes from `offset` (the caller has checked the range lies inside `size`). */
  read(offset: number, length: number): Uint8Array;
}

/** Asynchronous random access, as a Blob or a file handle gives it. */
export interface AsyncByteSource {
  readonly async: true;
  readonly name: string;
  readonly size: number;
  read(offset: number, length: number): Promise<Uint8Array>;
}

/** Either kind of source. */
export type AnyByteSource = ByteSource | AsyncByteSource;

/** Bytes already in memory as a source; reads are views, not copies. */
export function bytesSource(input: Uint8Array | ArrayBuffer, name = "<bytes>"): ByteSource {
  const bytes = asBytes(input);
  return { name, size: bytes.length, read: (offset, length) => bytes.subarray(offset, offset + length) };
}

/** A Blob or File (browsers, Node >= 20) as an asynchronous source: each read is one `slice`. */
export function blobSource(blob: Blob, name = (blob as { name?: string }).name ?? "<blob>"): AsyncByteSource {
  return {
    async: true, name, size: blob.size,
    read: async (offset, length) => new Uint8Array(await blob.slice(offset, offset + length).arrayBuffer()),
  };
}

/** True for an asynchronous source. */
export function isAsyncSource(s: AnyByteSource): s is AsyncByteSource {
  return (s as Partial<AsyncByteSource>).async === true;
}

/** Thrown by a prefetching source when a parse needs bytes it does not hold yet. */
class NeedBytes {
  constructor(readonly offset: number, readonly length: number) {}
}

/** Byte ranges fetched so far, served synchronously; a missing range throws NeedBytes. */
class PrefetchSource implements ByteSource {
  readonly ranges: Array<{ offset: number; bytes: Uint8Array }> = [];
  constructor(readonly name: string, readonly size: number) {}
  read(offset: number, length: number): Uint8Array {
    for (const r of this.ranges) {
      if (offset >= r.offset && offset + length <= r.offset + r.bytes.length) {
        return r.bytes.subarray(offset - r.offset, offset - r.offset + length);
      }
    }
    throw new NeedBytes(offset, length);
  }
}

/** A parse reads few ranges; more rounds than this means the parse is not making progress. */
const maxRounds = 64;

/**
 * Runs a synchronous header parse over an asynchronous source: each range the parse asks for is
 * fetched (at least 64 KiB at a time) and the parse runs again. Parses are cheap and read a
 * handful of ranges (a zip's tail, its directory, the pickle), so this costs a few round trips.
 */
export async function parseAsync<T>(source: AsyncByteSource, parse: (s: ByteSource) => T): Promise<T> {
  const pre = new PrefetchSource(source.name, source.size);
  for (let round = 0; round < maxRounds; round++) {
    try {
      return parse(pre);
    } catch (e) {
      if (!(e instanceof NeedBytes)) throw e;
      const length = Math.min(source.size - e.offset, Math.max(e.length, 1 << 16));
      pre.ranges.push({ offset: e.offset, bytes: await source.read(e.offset, length) });
    }
  }
  throw new FormatError(`${source.name}: reading the headers needed more than ${maxRounds} separate byte ranges`);
}

/** Reads `length` bytes at `offset`, refusing a range outside the source with a FormatError naming `what`. */
export function readChecked(source: ByteSource, offset: number, length: number, what: string): Uint8Array {
  if (!(Number.isSafeInteger(offset) && Number.isSafeInteger(length) && offset >= 0 && length >= 0 && offset + length <= source.size)) {
    throw new FormatError(`${source.name}: ${what} at byte ${offset} runs past the end of the ${source.size}-byte file; the file is truncated or corrupt`);
  }
  return source.read(offset, length);
}
