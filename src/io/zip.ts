/**
 * The zip container of torch.save, read and written here over byte ranges, zip64 included, so
 * archives of any size open by reading their tail and central directory alone. Every count, size
 * and offset is checked against the file before it is used; entries may not overlap (a directory
 * pointing many entries at the same compressed bytes would inflate without bound), so the total
 * inflated size is bounded by 1032 times the file's size. CRC-32s are written but not verified on
 * reading, as in PyTorch (its miniz is built with MINIZ_DISABLE_ZIP_READER_CRC32_CHECKS).
 */
import { FormatError, ValueError } from "../errors.ts";
import { inflate } from "./lazy.ts";
import type { ByteSource } from "./source.ts";
import { bytesSource, readChecked } from "./source.ts";

/** One entry of a zip archive, checked to lie inside the archive and not to overlap another. */
export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  /** where the local header starts */
  localOffset: number;
  /** the next entry's local header (or the directory): the entry's bytes must end before it */
  limit: number;
}

/** An archive opened for reading: entries by name, where their bytes start, and a bounded reader. */
export interface ZipReader {
  source: ByteSource;
  entries: Map<string, ZipEntry>;
  /** The byte offset of an entry's (compressed) data, read from its local header once. */
  dataStart(entry: ZipEntry): number;
  /** The uncompressed bytes of an entry (a view for stored entries of bytes in memory). */
  read(entry: ZipEntry): Uint8Array;
}

const sigLocal = 0x04034b50;
const sigCentral = 0x02014b50;
const sigEnd = 0x06054b50;
const sigEnd64 = 0x06064b50;
const sigLocator64 = 0x07064b50;
const u32Max = 0xffffffff;

/** True when the bytes start like a zip archive (what torch.serialization._is_zipfile checks). */
export function looksLikeZip(head: Uint8Array): boolean {
  return head.length >= 4 && new DataView(head.buffer, head.byteOffset, 4).getUint32(0, true) === sigLocal;
}

const view = (b: Uint8Array): DataView => new DataView(b.buffer, b.byteOffset, b.byteLength);
const u64 = (v: DataView, pos: number): number => Number(v.getBigUint64(pos, true));

interface Directory { count: number; size: number; offset: number }

function readDirectory(src: ByteSource): Directory {
  const tailLength = Math.min(src.size, 22 + 0xffff);
  const tailStart = src.size - tailLength;
  const tail = readChecked(src, tailStart, tailLength, "zip end record");
  const v = view(tail);
  let end = -1;
  for (let p = tail.length - 22; p >= 0; p--) if (v.getUint32(p, true) === sigEnd) { end = p; break; }
  if (end < 0) throw new FormatError(`${src.name}: no zip end-of-central-directory record; the file is truncated or not a zip archive`);
  let dir: Directory = { count: v.getUint16(end + 10, true), size: v.getUint32(end + 12, true), offset: v.getUint32(end + 16, true) };
  const endAt = tailStart + end;
  if (endAt >= 20) {
    const loc = view(readChecked(src, endAt - 20, 20, "zip64 locator"));
    if (loc.getUint32(0, true) === sigLocator64) {
      const at = u64(loc, 8);
      const rec = view(readChecked(src, at, 56, "zip64 end record"));
      if (rec.getUint32(0, true) !== sigEnd64) throw new FormatError(`${src.name}: the zip64 locator points at byte ${at}, which is not a zip64 end record`);
      dir = { count: u64(rec, 32), size: u64(rec, 40), offset: u64(rec, 48) };
    }
  }
  if (!(dir.offset + dir.size <= src.size)) {
    throw new FormatError(`${src.name}: the zip central directory (${dir.size} bytes at ${dir.offset}) runs past the end of the ${src.size}-byte file; the file is truncated or corrupt`);
  }
  // each central entry takes at least 46 bytes, which bounds the loop by the file's size
  if (dir.count * 46 > dir.size) {
    throw new FormatError(`${src.name}: the zip claims ${dir.count} entries but its central directory has only ${dir.size} bytes`);
  }
  return dir;
}

function zip64Field(v: DataView, pos: number, len: number, wanted: number[], name: string): number[] {
  const out = [...wanted];
  for (let p = pos; p + 4 <= pos + len; p += 4 + v.getUint16(p + 2, true)) {
    if (v.getUint16(p, true) !== 1) continue;
    let q = p + 4;
    for (let i = 0; i < out.length; i++) {
      if (out[i] !== u32Max) continue;
      if (q + 8 > pos + len) throw new FormatError(`${name}: a zip64 extra field is shorter than the sizes it must hold`);
      out[i] = u64(v, q);
      q += 8;
    }
  }
  return out;
}

interface Central { name: string; method: number; compressedSize: number; size: number; localOffset: number; nameLength: number }

function readCentral(dir: Uint8Array, v: DataView, pos: number, name: string): { entry: Central; next: number } {
  if (pos + 46 > dir.length) throw new FormatError(`${name}: zip central directory entry at directory byte ${pos} runs past the directory`);
  if (v.getUint32(pos, true) !== sigCentral) throw new FormatError(`${name}: bad zip central directory signature at directory byte ${pos}`);
  if (v.getUint16(pos + 8, true) & 1) throw new FormatError(`${name}: encrypted zip entries are not supported`);
  const nameLen = v.getUint16(pos + 28, true), extraLen = v.getUint16(pos + 30, true), commentLen = v.getUint16(pos + 32, true);
  const next = pos + 46 + nameLen + extraLen + commentLen;
  if (next > dir.length) throw new FormatError(`${name}: zip central directory entry at directory byte ${pos} runs past the directory`);
  const entryName = new TextDecoder().decode(dir.subarray(pos + 46, pos + 46 + nameLen));
  const [size, compressedSize, localOffset] = zip64Field(v, pos + 46 + nameLen, extraLen,
    [v.getUint32(pos + 24, true), v.getUint32(pos + 20, true), v.getUint32(pos + 42, true)], name) as [number, number, number];
  return { entry: { name: entryName, method: v.getUint16(pos + 10, true), compressedSize, size, localOffset, nameLength: nameLen }, next };
}

/**
 * Orders entries by position and refuses any whose bytes (local header, name, data) could reach
 * into the next entry or the directory: no byte of the file belongs to two entries.
 */
function placeEntries(list: Central[], dir: Directory, name: string): Map<string, ZipEntry> {
  const sorted = [...list].sort((a, b) => a.localOffset - b.localOffset);
  const entries = new Map<string, ZipEntry>();
  for (let i = 0; i < sorted.length; i++) {
    const e = sorted[i]!;
    const limit = i + 1 < sorted.length ? sorted[i + 1]!.localOffset : dir.offset;
    if (e.localOffset + 30 + e.nameLength + e.compressedSize > limit) {
      throw new FormatError(`${name}: zip entry '${e.name}' (${e.compressedSize} bytes at ${e.localOffset}) overlaps the next entry or the directory at byte ${limit}`);
    }
    if (entries.has(e.name)) throw new FormatError(`${name}: the zip holds two entries named '${e.name}'`);
    entries.set(e.name, { name: e.name, method: e.method, compressedSize: e.compressedSize, size: e.size, localOffset: e.localOffset, limit });
  }
  // keep the directory's order, which is the order the archive was written in
  return new Map(list.map((c) => [c.name, entries.get(c.name)!]));
}

/** Opens a zip archive from its tail and directory; throws FormatError naming the source. */
export function openZip(input: ByteSource | Uint8Array, name?: string): ZipReader {
  const src = input instanceof Uint8Array ? bytesSource(input, name) : input;
  if (src.size < 22) throw new FormatError(`${src.name}: ${src.size} bytes is too short for a zip archive`);
  const dir = readDirectory(src);
  const bytes = src.read(dir.offset, dir.size);
  const v = view(bytes);
  const list: Central[] = [];
  let pos = 0;
  for (let i = 0; i < dir.count; i++) {
    const { entry, next } = readCentral(bytes, v, pos, src.name);
    list.push(entry);
    pos = next;
  }
  const entries = placeEntries(list, dir, src.name);
  const starts = new Map<ZipEntry, number>();
  const dataStart = (e: ZipEntry): number => {
    let at = starts.get(e);
    if (at !== undefined) return at;
    const local = view(readChecked(src, e.localOffset, 30, `local header of '${e.name}'`));
    if (local.getUint32(0, true) !== sigLocal) throw new FormatError(`${src.name}: the local header of '${e.name}' is missing at byte ${e.localOffset}`);
    at = e.localOffset + 30 + local.getUint16(26, true) + local.getUint16(28, true);
    if (at + e.compressedSize > e.limit) {
      throw new FormatError(`${src.name}: the data of zip entry '${e.name}' (${e.compressedSize} bytes at ${at}) overlaps the next entry or the directory at byte ${e.limit}`);
    }
    starts.set(e, at);
    return at;
  };
  return { source: src, entries, dataStart, read: (e) => readData(src, e, dataStart(e)) };
}

function readData(src: ByteSource, e: ZipEntry, start: number): Uint8Array {
  const raw = readChecked(src, start, e.compressedSize, `data of '${e.name}'`);
  if (e.method === 0) {
    if (e.size !== e.compressedSize) throw new FormatError(`${src.name}: stored entry '${e.name}' claims ${e.size} bytes but holds ${e.compressedSize}`);
    return raw;
  }
  if (e.method !== 8) throw new FormatError(`${src.name}: entry '${e.name}' uses zip compression method ${e.method}; only stored and deflate are supported`);
  return inflate(raw, e.size, `${src.name}: entry '${e.name}'`);
}

/** A file to put in an archive: its size, its CRC-32 and its bytes, as chunks of `size` bytes in all. */
export interface ZipInput {
  name: string;
  size: number;
  crc: number;
  chunks(): Iterable<Uint8Array>;
}

/** A zip input over bytes in memory. */
export function zipBytes(name: string, bytes: Uint8Array): ZipInput {
  return { name, size: bytes.length, crc: crc32(bytes), chunks: () => [bytes] };
}

const crcTable = ((): Uint32Array => {
  const t = new Uint32Array(256 * 8);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++) for (let k = 1; k < 8; k++) t[k * 256 + n] = (t[(k - 1) * 256 + n]! >>> 8) ^ t[t[(k - 1) * 256 + n]! & 0xff]!;
  return t;
})();

/** The CRC-32 of zip (slicing by 8), continued from `crc` for chunked input. */
export function crc32(bytes: Uint8Array, crc = 0): number {
  const t = crcTable;
  let c = ~crc >>> 0, i = 0;
  const n8 = bytes.length & ~7;
  for (; i < n8; i += 8) {
    const a = (c ^ (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24))) >>> 0;
    c = t[1792 + (a & 0xff)]! ^ t[1536 + ((a >>> 8) & 0xff)]! ^ t[1280 + ((a >>> 16) & 0xff)]! ^ t[1024 + (a >>> 24)]! ^
      t[768 + bytes[i + 4]!]! ^ t[512 + bytes[i + 5]!]! ^ t[256 + bytes[i + 6]!]! ^ t[bytes[i + 7]!]!;
  }
  for (; i < bytes.length; i++) c = t[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/** MS-DOS date of 1980-01-01 00:00: library code never reads the clock, and equal inputs give equal files. */
const dosDate = (1 << 5) | 1;

class Header {
  readonly bytes: Uint8Array;
  readonly v: DataView;
  pos = 0;
  constructor(n: number) { this.bytes = new Uint8Array(n); this.v = view(this.bytes); }
  u16(x: number): this { this.v.setUint16(this.pos, x, true); this.pos += 2; return this; }
  u32(x: number): this { this.v.setUint32(this.pos, x, true); this.pos += 4; return this; }
  u64(x: number): this { this.v.setBigUint64(this.pos, BigInt(x), true); this.pos += 8; return this; }
  raw(b: Uint8Array): this { this.bytes.set(b, this.pos); this.pos += b.length; return this; }
}

/**
 * A stored (uncompressed) zip as a stream of chunks, in zip64 form where a size, an offset or the
 * entry count needs it (PyTorch reads and writes the same). Each entry's data starts on a 64-byte
 * boundary, as PyTorch's writer puts it (readers can map storages in place).
 */
export function* zipChunks(files: readonly ZipInput[], options: { zip64?: boolean } = {}): Generator<Uint8Array> {
  const force = options.zip64 === true;
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const f of files) {
    const name = new TextEncoder().encode(f.name);
    const big = force || f.size >= u32Max;
    const zip64Local = big ? 20 : 0;
    const bare = offset + 30 + name.length + zip64Local + 4;
    const pad = (64 - (bare % 64)) % 64;
    const h = new Header(30 + name.length + zip64Local + 4 + pad);
    h.u32(sigLocal).u16(big ? 45 : 20).u16(0).u16(0).u16(0).u16(dosDate).u32(f.crc)
      .u32(big ? u32Max : f.size).u32(big ? u32Max : f.size).u16(name.length).u16(zip64Local + 4 + pad).raw(name);
    if (big) h.u16(1).u16(16).u64(f.size).u64(f.size);
    h.u16(0x4246).u16(pad);
    yield h.bytes;
    let written = 0;
    for (const c of f.chunks()) {
      written += c.length;
      yield c;
    }
    if (written !== f.size) throw new ValueError(`writeZip: entry '${f.name}' wrote ${written} bytes, not the ${f.size} announced`);
    central.push(centralEntry(f, name, offset, force));
    offset += h.bytes.length + f.size;
  }
  const dirSize = central.reduce((s, c) => s + c.length, 0);
  yield* central;
  yield endRecords(files.length, dirSize, offset, force);
}

/** Checks that entry names are distinct, before anything is written. */
export function checkZipNames(files: readonly ZipInput[]): void {
  const names = new Set<string>();
  for (const f of files) {
    if (names.has(f.name)) throw new ValueError(`writeZip: two entries named '${f.name}'`);
    names.add(f.name);
  }
}

function centralEntry(f: ZipInput, name: Uint8Array, local: number, force: boolean): Uint8Array {
  const bigSize = force || f.size >= u32Max, bigOffset = force || local >= u32Max;
  const fields = (bigSize ? 2 : 0) + (bigOffset ? 1 : 0);
  const extra = fields > 0 ? 4 + 8 * fields : 0;
  const h = new Header(46 + name.length + extra);
  const version = fields > 0 ? 45 : 20;
  h.u32(sigCentral).u16(version).u16(version).u16(0).u16(0).u16(0).u16(dosDate).u32(f.crc)
    .u32(bigSize ? u32Max : f.size).u32(bigSize ? u32Max : f.size).u16(name.length).u16(extra).u16(0).u16(0).u16(0).u32(0)
    .u32(bigOffset ? u32Max : local).raw(name);
  if (fields > 0) {
    h.u16(1).u16(8 * fields);
    if (bigSize) h.u64(f.size).u64(f.size);
    if (bigOffset) h.u64(local);
  }
  return h.bytes;
}

function endRecords(count: number, dirSize: number, dirOffset: number, force: boolean): Uint8Array {
  const zip64 = force || count >= 0xffff || dirSize >= u32Max || dirOffset >= u32Max;
  const h = new Header((zip64 ? 56 + 20 : 0) + 22);
  if (zip64) {
    h.u32(sigEnd64).u64(44).u16(45).u16(45).u32(0).u32(0).u64(count).u64(count).u64(dirSize).u64(dirOffset);
    h.u32(sigLocator64).u32(0).u64(dirOffset + dirSize).u32(1);
  }
  h.u32(sigEnd).u16(0).u16(0).u16(Math.min(count, 0xffff)).u16(Math.min(count, 0xffff))
    .u32(Math.min(dirSize, u32Max)).u32(Math.min(dirOffset, u32Max)).u16(0);
  return h.bytes;
}

/** Joins chunks into one array (for files that fit in memory). */
export function concatChunks(chunks: Iterable<Uint8Array>): Uint8Array {
  const list = [...chunks];
  const out = new Uint8Array(list.reduce((s, c) => s + c.length, 0));
  let pos = 0;
  for (const c of list) { out.set(c, pos); pos += c.length; }
  return out;
}

/** Writes a stored zip of in-memory files to one array; `zip64` writes zip64 records even when small. */
export function writeZip(files: ReadonlyArray<readonly [string, Uint8Array]>, options: { zip64?: boolean } = {}): Uint8Array {
  const inputs = files.map(([n, b]) => zipBytes(n, b));
  checkZipNames(inputs);
  return concatChunks(zipChunks(inputs, options));
}
