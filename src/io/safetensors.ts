/**
 * safetensors, the format of huggingface/safetensors: an 8-byte little-endian header length, a
 * JSON header (`dtype`, `shape`, `data_offsets` per tensor, `__metadata__` of strings) padded with
 * spaces to 8 bytes, then the tensor bytes packed with no holes. Every field is checked against
 * the bytes before anything is allocated.
 */
import { DType } from "../core/dtype.ts";
import type { TypedArray } from "../core/dtype.ts";
import { FormatError, ValueError } from "../errors.ts";
import { LazyStorage } from "./lazy.ts";
import type { RawStorage, RawTensor } from "./raw.ts";
import { contiguousStrides, coversStorage, encodeElements, isContiguous, numel, packContiguous } from "./raw.ts";
import type { AnyByteSource, ByteSource } from "./source.ts";
import { bytesSource } from "./source.ts";
import { concatChunks } from "./zip.ts";

const toTorchlet: Readonly<Record<string, DType>> = {
  BOOL: DType.bool, U8: DType.uint8, I8: DType.int8, I32: DType.int32, I64: DType.int64,
  F16: DType.float16, BF16: DType.bfloat16, F32: DType.float32, F64: DType.float64,
};
const fromTorchlet = new Map<DType, string>(Object.entries(toTorchlet).map(([k, v]) => [v, k]));
/** dtypes the format defines that torchlet has no storage for: refused by name. */
const unsupported = new Set([
  "I16", "U16", "U32", "U64", "F8_E5M2", "F8_E4M3", "F8_E8M0", "F4", "F6_E2M3", "F6_E3M2", "E8M0", "C64",
]);

/** The same limit as the safetensors library: a larger header is refused, not parsed. */
const maxHeaderBytes = 100_000_000;

/** What a safetensors file holds: tensors by name and the `__metadata__` strings. */
export interface SafetensorsContents {
  tensors: Map<string, RawTensor>;
  metadata: Record<string, string>;
}

/** Options of readSafetensors. */
export interface ReadSafetensorsOptions {
  /**
   * Re-tie tensors stored once: torchlet's own files list their tied names under the metadata key
   * `torchlet.tied` (not returned as metadata); in other files a metadata entry `alias: kept` whose
   * key is not a tensor and whose value is (what safetensors' `save_model` writes) loads `alias` as
   * a view of `kept`'s storage. Default true.
   */
  retie?: boolean;
  /** Where tensor bytes are read from when used (default: the source parsed). */
  target?: AnyByteSource;
}

/** The metadata key under which torchlet records the names of tied tensors stored once. */
export const tiedKey = "torchlet.tied";

interface Entry { name: string; dtype: DType; shape: number[]; begin: number; end: number }

/**
 * Parses a safetensors file from its header alone; throws FormatError naming the file and the
 * problem. Each tensor is a LazyStorage that reads its bytes when first used.
 */
export function readSafetensors(
  input: Uint8Array | ArrayBuffer | ByteSource, name?: string, options: ReadSafetensorsOptions = {},
): SafetensorsContents {
  const source = input instanceof Uint8Array || input instanceof ArrayBuffer ? bytesSource(input, name) : input;
  const { header, dataStart } = readHeader(source);
  const fileName = source.name;
  const metadata = readMetadata(Object.hasOwn(header, "__metadata__") ? header.__metadata__ : undefined, fileName);
  const entries: Entry[] = [];
  for (const key of Object.keys(header)) {
    if (key !== "__metadata__") entries.push(readEntry(key, header[key], fileName));
  }
  checkOffsets(entries, source.size - dataStart, fileName);
  const target = options.target ?? source;
  const tensors = new Map<string, RawTensor>();
  for (const e of entries) {
    const count = numel(e.shape);
    const storage = new LazyStorage(e.dtype, count, { source: target, offset: dataStart + e.begin, length: e.end - e.begin, bigEndian: false });
    tensors.set(e.name, { dtype: e.dtype, shape: e.shape, strides: contiguousStrides(e.shape), offset: 0, storage });
  }
  const tied = takeTied(metadata, fileName);
  if (options.retie ?? true) retie(tensors, tied ?? metadata);
  return { tensors, metadata };
}

function readHeader(source: ByteSource): { header: Record<string, unknown>; dataStart: number } {
  const name = source.name;
  if (source.size < 8) throw new FormatError(`${name}: not a safetensors file: ${source.size} bytes is shorter than the 8-byte header length`);
  const head = source.read(0, 8);
  const n = Number(new DataView(head.buffer, head.byteOffset, 8).getBigUint64(0, true));
  if (n > source.size - 8) {
    throw new FormatError(`${name}: the header claims ${n} bytes but the file has only ${source.size - 8} after the length; the file is truncated or not safetensors`);
  }
  if (n > maxHeaderBytes) throw new FormatError(`${name}: header of ${n} bytes exceeds the ${maxHeaderBytes}-byte limit`);
  let header: unknown;
  try {
    const text = new TextDecoder("utf-8", { fatal: true }).decode(source.read(8, n));
    if (!text.startsWith("{")) throw new SyntaxError("the header does not start with '{'");
    header = JSON.parse(text);
  } catch (e) {
    throw new FormatError(`${name}: the safetensors header is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) {
    throw new FormatError(`${name}: the safetensors header must be a JSON object`);
  }
  return { header: header as Record<string, unknown>, dataStart: 8 + n };
}

/** Removes torchlet's tie record from the metadata and returns it (alias to kept name). */
function takeTied(metadata: Record<string, string>, name: string): Record<string, string> | undefined {
  if (!Object.hasOwn(metadata, tiedKey)) return undefined;
  const text = metadata[tiedKey]!;
  delete metadata[tiedKey];
  let tied: unknown;
  try {
    tied = JSON.parse(text);
  } catch {
    tied = null;
  }
  if (typeof tied !== "object" || tied === null || Array.isArray(tied) || !Object.values(tied).every((v) => typeof v === "string")) {
    throw new FormatError(`${name}: metadata '${tiedKey}' must be a JSON object of tensor names`);
  }
  return Object.fromEntries(Object.entries(tied as Record<string, string>));
}

function readMetadata(raw: unknown, name: string): Record<string, string> {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== "object" || Array.isArray(raw) || !Object.values(raw).every((v) => typeof v === "string")) {
    throw new FormatError(`${name}: __metadata__ must map strings to strings`);
  }
  // fromEntries defines own properties, so a "__proto__" key stays a plain key
  return Object.fromEntries(Object.entries(raw as Record<string, string>));
}

function readEntry(key: string, raw: unknown, name: string): Entry {
  const where = `${name}: tensor '${key}'`;
  if (typeof raw !== "object" || raw === null) throw new FormatError(`${where} must be an object with dtype, shape and data_offsets`);
  const { dtype: code, shape, data_offsets: offsets } = raw as Record<string, unknown>;
  if (typeof code !== "string") throw new FormatError(`${where} has no dtype string`);
  const dtype = toTorchlet[code];
  if (dtype === undefined || !Object.hasOwn(toTorchlet, code)) {
    throw new FormatError(unsupported.has(code)
      ? `${where} has dtype ${code}, which torchlet does not support; convert it to a supported dtype (${[...fromTorchlet.values()].join(", ")}) before saving`
      : `${where} has unknown dtype '${code}'`);
  }
  if (!isIntArray(shape)) throw new FormatError(`${where}: shape must be an array of non-negative integers`);
  if (!isIntArray(offsets) || offsets.length !== 2 || offsets[0]! > offsets[1]!) {
    throw new FormatError(`${where}: data_offsets must be [begin, end] with begin <= end`);
  }
  const size = offsets[1]! - offsets[0]!;
  // shapes are multiplied with a running check so a claimed 2^60 elements fails here, not later
  let count = 1;
  for (const s of shape) count *= s;
  if (count * dtype.itemsize !== size) {
    throw new FormatError(`${where}: shape [${shape}] of ${code} needs ${count * dtype.itemsize} bytes but data_offsets [${offsets}] span ${size}`);
  }
  return { name: key, dtype, shape, begin: offsets[0]!, end: offsets[1]! };
}

function isIntArray(v: unknown): v is number[] {
  return Array.isArray(v) && v.length <= 64 && v.every((x) => Number.isSafeInteger(x) && x >= 0);
}

/** As the safetensors library: tensors tile the data section in order, with no holes or overlaps. */
function checkOffsets(entries: Entry[], dataBytes: number, name: string): void {
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = 0;
  for (const e of entries) {
    if (e.begin !== pos) {
      throw new FormatError(`${name}: tensor '${e.name}' starts at data offset ${e.begin}, expected ${pos}: offsets overlap or leave a hole`);
    }
    pos = e.end;
  }
  if (pos !== dataBytes) {
    throw new FormatError(`${name}: the tensors span ${pos} bytes but the data section has ${dataBytes}; the file is truncated or has trailing bytes`);
  }
}

function retie(tensors: Map<string, RawTensor>, metadata: Record<string, string>): void {
  for (const [alias, kept] of Object.entries(metadata)) {
    const target = tensors.get(kept);
    if (tensors.has(alias) || target === undefined) continue;
    tensors.set(alias, { ...target, shape: [...target.shape], strides: [...target.strides] });
  }
}

/**
 * Writes a safetensors file. Tensors that are the same view of one storage (tied parameters) are
 * stored once under the first name in sorted order, their other names listed in the metadata key
 * `torchlet.tied`; other views are written packed, as `force_contiguous`.
 */
export function writeSafetensors(tensors: Map<string, RawTensor>, metadata: Record<string, string> = {}): Uint8Array {
  return concatChunks(safetensorsChunks(tensors, metadata));
}

/**
 * A safetensors file as a stream of chunks, for writing without a whole-file buffer. Names and metadata that cannot be written faithfully
 * (`__metadata__` as a tensor name, the reserved `torchlet.tied` key, a lone surrogate, which
 * UTF-8 would silently replace) are refused by this call, before the first chunk exists.
 */
export function safetensorsChunks(tensors: Map<string, RawTensor>, metadata: Record<string, string> = {}): Iterable<Uint8Array> {
  const meta: Record<string, string> = Object.fromEntries(Object.entries(metadata));
  for (const [k, v] of Object.entries(meta)) {
    if (typeof v !== "string") throw new ValueError(`writeSafetensors: metadata value of '${k}' must be a string, got ${typeof v}`);
    checkText(k, "metadata key");
    checkText(v, `metadata value of '${k}'`);
    if (k === tiedKey) throw new ValueError(`writeSafetensors: the metadata key '${tiedKey}' is reserved for torchlet's record of tied tensors`);
  }
  for (const n of tensors.keys()) {
    checkText(n, "tensor name");
    if (n === "__metadata__") throw new ValueError("writeSafetensors: a tensor cannot be named '__metadata__', the format's metadata key");
  }
  const tied: Record<string, string> = {};
  const kept = dropTiedNames(tensors, tied);
  // the tie record is written when there are ties, or when a user entry would read as a legacy alias
  const misread = Object.entries(meta).some(([k, v]) => kept.has(v) && !tensors.has(k));
  if (Object.keys(tied).length > 0 || misread) meta[tiedKey] = JSON.stringify(tied);
  const names = [...kept.keys()].sort((a, b) =>
    kept.get(b)!.dtype.itemsize - kept.get(a)!.dtype.itemsize || (a < b ? -1 : a > b ? 1 : 0));
  const header: Record<string, unknown> = {};
  if (Object.keys(meta).length > 0) header.__metadata__ = meta;
  let pos = 0;
  for (const n of names) {
    const t = kept.get(n)!;
    const code = fromTorchlet.get(t.dtype);
    if (code === undefined) throw new ValueError(`writeSafetensors: tensor '${n}' has dtype ${t.dtype}, which safetensors cannot store`);
    const size = numel(t.shape) * t.dtype.itemsize;
    // defineProperty: a tensor named "__proto__" is a key like any other
    Object.defineProperty(header, n, { value: { dtype: code, shape: t.shape, data_offsets: [pos, pos + size] }, enumerable: true });
    pos += size;
  }
  // tensor bytes are produced one tensor at a time, as the stream is consumed
  return (function* () {
    yield headerBytes(header);
    for (const n of names) yield encodeElements(packed(kept.get(n)!));
  })();
}

function checkText(s: string, what: string): void {
  const at = s.search(/\p{Cs}/u);
  if (at >= 0) throw new ValueError(`writeSafetensors: ${what} '${s.slice(0, at)}…' holds a lone surrogate at index ${at}, which UTF-8 cannot encode`);
}

function packed(t: RawTensor): TypedArray {
  // a storage still in its file is read for the write and not kept
  const st = t.storage instanceof LazyStorage ? { dtype: t.storage.dtype, data: t.storage.read() } : t.storage;
  const view = { ...t, storage: st };
  return coversStorage(view) ? st.data : packContiguous(view);
}

/** Keeps one name per tied group and records the others in `meta` (alias to kept name). */
function dropTiedNames(tensors: Map<string, RawTensor>, meta: Record<string, string>): Map<string, RawTensor> {
  const byStorage = new Map<RawStorage, string[]>();
  for (const [n, t] of tensors) {
    if (!byStorage.has(t.storage)) byStorage.set(t.storage, []);
    byStorage.get(t.storage)!.push(n);
  }
  const out = new Map(tensors);
  for (const names of byStorage.values()) {
    names.sort();
    // one pass per storage, keyed by the view: linear even when a million names share a storage
    const firstByView = new Map<string, string>();
    for (const n of names) {
      const t = tensors.get(n)!;
      if (!isContiguous(t)) continue;
      const view = `${t.dtype.name}|${t.offset}|${t.shape.join(",")}|${t.strides.join(",")}`;
      const first = firstByView.get(view);
      if (first === undefined) {
        firstByView.set(view, n);
      } else {
        out.delete(n);
        Object.defineProperty(meta, n, { value: first, enumerable: true });
      }
    }
  }
  return out;
}

function headerBytes(header: Record<string, unknown>): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  // pad with spaces so the data section starts 8-byte aligned, as the safetensors library does
  const padded = json.length + ((8 - (json.length % 8)) % 8);
  const out = new Uint8Array(8 + padded).fill(0x20);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  return out;
}
