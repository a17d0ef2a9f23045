/**
 * safetensors, the format of huggingface/safetensors: an 8-byte little-endian header length, a
 * JSON header (`dtype`, `shape`, `data_offsets` per tensor, `__metadata__` of strings) padded with
 * spaces to 8 bytes, then the tensor bytes packed with no holes. Every field is checked against
 * the bytes before anything is allocated.
 */
import { DType } from "../core/dtype.ts";
import type { TypedArray } from "../core/dtype.ts";
import { FormatError, ValueError } from "../errors.ts";
import type { RawStorage, RawTensor } from "./raw.ts";
import { asBytes, coversStorage, decodeElements, encodeElements, isContiguous, numel, packContiguous, rawFromData } from "./raw.ts";

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
   * Re-tie tensors that `writeSafetensors` (or safetensors' `save_model`) stored once: a metadata
   * entry `alias: kept` whose key is not a tensor and whose value is, loads `alias` as a view of
   * `kept`'s storage. Default true.
   */
  retie?: boolean;
}

interface Entry { name: string; dtype: DType; shape: number[]; begin: number; end: number }

/** Parses a safetensors file; throws FormatError naming `name` and the problem. */
export function readSafetensors(
  input: Uint8Array | ArrayBuffer, name = "<bytes>", options: ReadSafetensorsOptions = {},
): SafetensorsContents {
  const bytes = asBytes(input);
  const { header, dataStart } = readHeader(bytes, name);
  const metadata = readMetadata(header.__metadata__, name);
  const entries: Entry[] = [];
  for (const key of Object.keys(header)) {
    if (key !== "__metadata__") entries.push(readEntry(key, header[key], name));
  }
  checkOffsets(entries, bytes.length - dataStart, name);
  const tensors = new Map<string, RawTensor>();
  for (const e of entries) {
    const slice = bytes.subarray(dataStart + e.begin, dataStart + e.end);
    tensors.set(e.name, rawFromData(e.dtype, e.shape, decodeElements(slice, e.dtype, numel(e.shape))));
  }
  if (options.retie ?? true) retie(tensors, metadata);
  return { tensors, metadata };
}

function readHeader(bytes: Uint8Array, name: string): { header: Record<string, unknown>; dataStart: number } {
  if (bytes.length < 8) throw new FormatError(`${name}: not a safetensors file: ${bytes.length} bytes is shorter than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  if (n > bytes.length - 8) {
    throw new FormatError(`${name}: the header claims ${n} bytes but the file has only ${bytes.length - 8} after the length; the file is truncated or not safetensors`);
  }
  if (n > maxHeaderBytes) throw new FormatError(`${name}: header of ${n} bytes exceeds the ${maxHeaderBytes}-byte limit`);
  let header: unknown;
  try {
    const text = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + n));
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
 * stored once under the first name in sorted order, with `__metadata__` entries `other: kept`, as
 * safetensors' `save_model` writes them; other views are written packed, as `force_contiguous`.
 */
export function writeSafetensors(tensors: Map<string, RawTensor>, metadata: Record<string, string> = {}): Uint8Array {
  const meta: Record<string, string> = Object.fromEntries(Object.entries(metadata));
  for (const [k, v] of Object.entries(meta)) {
    if (typeof v !== "string") throw new ValueError(`writeSafetensors: metadata value of '${k}' must be a string, got ${typeof v}`);
  }
  const kept = dropTiedNames(tensors, meta);
  const names = [...kept.keys()].sort((a, b) =>
    kept.get(b)!.dtype.itemsize - kept.get(a)!.dtype.itemsize || (a < b ? -1 : a > b ? 1 : 0));
  const header: Record<string, unknown> = {};
  if (Object.keys(meta).length > 0) header.__metadata__ = meta;
  const chunks: Uint8Array[] = [];
  let pos = 0;
  for (const n of names) {
    const t = kept.get(n)!;
    const code = fromTorchlet.get(t.dtype);
    if (code === undefined) throw new ValueError(`writeSafetensors: tensor '${n}' has dtype ${t.dtype}, which safetensors cannot store`);
    const bytes = encodeElements(packed(t));
    header[n] = { dtype: code, shape: t.shape, data_offsets: [pos, pos + bytes.length] };
    chunks.push(bytes);
    pos += bytes.length;
  }
  return assemble(header, chunks, pos);
}

function packed(t: RawTensor): TypedArray {
  return coversStorage(t) ? t.storage.data : packContiguous(t);
}

function sameView(a: RawTensor, b: RawTensor): boolean {
  return a.storage === b.storage && a.offset === b.offset && a.dtype === b.dtype &&
    a.shape.length === b.shape.length && a.shape.every((s, i) => s === b.shape[i] && a.strides[i] === b.strides[i]);
}

/** Keeps one name per tied group and records the others in `meta` (without overriding user keys). */
function dropTiedNames(tensors: Map<string, RawTensor>, meta: Record<string, string>): Map<string, RawTensor> {
  const byStorage = new Map<RawStorage, string[]>();
  for (const [n, t] of tensors) {
    if (!byStorage.has(t.storage)) byStorage.set(t.storage, []);
    byStorage.get(t.storage)!.push(n);
  }
  const out = new Map(tensors);
  for (const names of byStorage.values()) {
    names.sort();
    for (let i = 0; i < names.length; i++) {
      const t = out.get(names[i]!);
      if (t === undefined || !isContiguous(t)) continue;
      for (const other of names.slice(i + 1)) {
        if (!out.has(other) || !sameView(t, tensors.get(other)!)) continue;
        out.delete(other);
        if (!Object.hasOwn(meta, other)) meta[other] = names[i]!;
      }
    }
  }
  return out;
}

function assemble(header: Record<string, unknown>, chunks: Uint8Array[], dataBytes: number): Uint8Array {
  let json = JSON.stringify(header);
  const jsonBytes = new TextEncoder().encode(json);
  // pad with spaces so the data section starts 8-byte aligned, as the safetensors library does
  const padded = jsonBytes.length + ((8 - (jsonBytes.length % 8)) % 8);
  json += " ".repeat(padded - jsonBytes.length);
  const out = new Uint8Array(8 + padded + dataBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.set(new TextEncoder().encode(json), 8);
  let pos = 8 + padded;
  for (const c of chunks) {
    out.set(c, pos);
    pos += c.length;
  }
  return out;
}
