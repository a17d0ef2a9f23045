/**
 * The zip container of torch.save. Writing goes through fflate. Reading walks the central
 * directory here, because fflate's unzipSync trusts the entry count and offsets it reads (a zip64
 * count of 2^32 would loop for hours): every count, size and offset is checked against the bytes
 * first, and stored entries are returned as views, never copied. CRC-32s are not verified, as in
 * PyTorch (its miniz is built with MINIZ_DISABLE_ZIP_READER_CRC32_CHECKS).
 */
import { inflateSync, zipSync } from "fflate";
import type { Zippable } from "fflate";
import { FormatError } from "../errors.ts";

/** One entry of a zip archive, checked to lie inside the archive's bytes. */
export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  dataStart: number;
}

/** An archive opened for reading: entries by name and a bounded reader. */
export interface ZipReader {
  entries: Map<string, ZipEntry>;
  /** The uncompressed bytes of an entry (a view for stored entries). */
  read(entry: ZipEntry): Uint8Array;
}

const sigLocal = 0x04034b50;
const sigCentral = 0x02014b50;
const sigEnd = 0x06054b50;
const sigEnd64 = 0x06064b50;
const sigLocator64 = 0x07064b50;

/** True when the bytes start like a zip archive (what torch.serialization._is_zipfile checks). */
export function looksLikeZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true) === sigLocal;
}

class Cursor {
  readonly view: DataView;
  constructor(readonly bytes: Uint8Array, readonly name: string) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  need(pos: number, n: number, what: string): void {
    if (!(pos >= 0 && pos + n <= this.bytes.length)) {
      throw new FormatError(`${this.name}: zip ${what} at byte ${pos} runs past the end of the ${this.bytes.length}-byte file; the file is truncated or corrupt`);
    }
  }
  u16(pos: number): number { return this.view.getUint16(pos, true); }
  u32(pos: number): number { return this.view.getUint32(pos, true); }
  u64(pos: number): number { return Number(this.view.getBigUint64(pos, true)); }
}

interface Directory { count: number; size: number; offset: number }

function findEnd(c: Cursor): number {
  const stop = Math.max(0, c.bytes.length - 22 - 0xffff);
  for (let p = c.bytes.length - 22; p >= stop; p--) if (c.u32(p) === sigEnd) return p;
  throw new FormatError(`${c.name}: no zip end-of-central-directory record; the file is truncated or not a zip archive`);
}

function readDirectory(c: Cursor): Directory {
  const end = findEnd(c);
  let dir: Directory = { count: c.u16(end + 10), size: c.u32(end + 12), offset: c.u32(end + 16) };
  if (end >= 20 && c.u32(end - 20) === sigLocator64) {
    const at = c.u64(end - 12);
    c.need(at, 56, "zip64 end record");
    if (c.u32(at) !== sigEnd64) throw new FormatError(`${c.name}: the zip64 locator points at byte ${at}, which is not a zip64 end record`);
    dir = { count: c.u64(at + 32), size: c.u64(at + 40), offset: c.u64(at + 48) };
  }
  c.need(dir.offset, dir.size, "central directory");
  // each central entry takes at least 46 bytes, which bounds the loop by the file's size
  if (dir.count * 46 > dir.size) {
    throw new FormatError(`${c.name}: the zip claims ${dir.count} entries but its central directory has only ${dir.size} bytes`);
  }
  return dir;
}

function zip64Field(c: Cursor, pos: number, len: number, wanted: number[]): number[] {
  const out = [...wanted];
  for (let p = pos; p + 4 <= pos + len; p += 4 + c.u16(p + 2)) {
    if (c.u16(p) !== 1) continue;
    let q = p + 4;
    for (let i = 0; i < out.length; i++) {
      if (out[i] !== 0xffffffff) continue;
      c.need(q, 8, "zip64 extra field");
      out[i] = c.u64(q);
      q += 8;
    }
  }
  return out;
}

function readEntry(c: Cursor, pos: number): { entry: ZipEntry; next: number } {
  c.need(pos, 46, "central directory entry");
  if (c.u32(pos) !== sigCentral) throw new FormatError(`${c.name}: bad zip central directory signature at byte ${pos}`);
  if (c.u16(pos + 8) & 1) throw new FormatError(`${c.name}: encrypted zip entries are not supported`);
  const nameLen = c.u16(pos + 28), extraLen = c.u16(pos + 30), commentLen = c.u16(pos + 32);
  c.need(pos + 46, nameLen + extraLen + commentLen, "central directory entry");
  const name = new TextDecoder().decode(c.bytes.subarray(pos + 46, pos + 46 + nameLen));
  const [size, compressedSize, local] = zip64Field(c, pos + 46 + nameLen, extraLen,
    [c.u32(pos + 24), c.u32(pos + 20), c.u32(pos + 42)]) as [number, number, number];
  c.need(local, 30, `local header of '${name}'`);
  if (c.u32(local) !== sigLocal) throw new FormatError(`${c.name}: the local header of '${name}' is missing at byte ${local}`);
  const dataStart = local + 30 + c.u16(local + 26) + c.u16(local + 28);
  c.need(dataStart, compressedSize, `data of '${name}'`);
  const entry = { name, method: c.u16(pos + 10), compressedSize, size, dataStart };
  return { entry, next: pos + 46 + nameLen + extraLen + commentLen };
}

/** Opens a zip archive, checking its directory against the bytes; throws FormatError naming `name`. */
export function openZip(bytes: Uint8Array, name: string): ZipReader {
  const c = new Cursor(bytes, name);
  if (bytes.length < 22) throw new FormatError(`${name}: ${bytes.length} bytes is too short for a zip archive`);
  const dir = readDirectory(c);
  const entries = new Map<string, ZipEntry>();
  let pos = dir.offset;
  for (let i = 0; i < dir.count; i++) {
    const { entry, next } = readEntry(c, pos);
    entries.set(entry.name, entry);
    pos = next;
  }
  return { entries, read: (e) => readData(c, e) };
}

function readData(c: Cursor, e: ZipEntry): Uint8Array {
  const raw = c.bytes.subarray(e.dataStart, e.dataStart + e.compressedSize);
  if (e.method === 0) {
    if (e.size !== e.compressedSize) throw new FormatError(`${c.name}: stored entry '${e.name}' claims ${e.size} bytes but holds ${e.compressedSize}`);
    return raw;
  }
  if (e.method !== 8) throw new FormatError(`${c.name}: entry '${e.name}' uses zip compression method ${e.method}; only stored and deflate are supported`);
  // deflate cannot expand more than 1032:1, so a larger claim is a lie and is not allocated
  if (e.size > e.compressedSize * 1032 + 1024) {
    throw new FormatError(`${c.name}: entry '${e.name}' claims ${e.size} bytes from ${e.compressedSize} compressed bytes`);
  }
  let out: Uint8Array;
  try {
    out = inflateSync(raw, { out: new Uint8Array(e.size) });
  } catch (err) {
    throw new FormatError(`${c.name}: entry '${e.name}' is not valid deflate data: ${(err as Error).message}`);
  }
  if (out.length !== e.size) throw new FormatError(`${c.name}: entry '${e.name}' inflates to ${out.length} bytes, not the ${e.size} it claims`);
  return out;
}

/** A fixed timestamp: library code never reads the clock, and equal inputs give equal files. */
const fixedTime = new Date(1980, 0, 1, 0, 0, 0);

/**
 * Writes a stored (uncompressed) zip, padding each local header with an extra field so every
 * entry's data starts on a 64-byte boundary, as PyTorch's writer does (it lets readers map
 * storages in place).
 */
export function writeZip(files: ReadonlyArray<readonly [string, Uint8Array]>): Uint8Array {
  const zippable: Zippable = {};
  let offset = 0;
  for (const [name, data] of files) {
    const nameLen = new TextEncoder().encode(name).length;
    const bare = offset + 30 + nameLen + 4;
    const pad = (64 - (bare % 64)) % 64;
    zippable[name] = [data, { level: 0, mtime: fixedTime, extra: { 0x4246: new Uint8Array(pad) } }];
    offset = bare + pad + data.length;
  }
  if (offset > 0xffffffff) throw new FormatError("writeZip: archives over 4 GiB need zip64, which is not supported");
  return zipSync(zippable);
}
