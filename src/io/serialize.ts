/**
 * The bytes-in, bytes-out API of both formats over Tensors. It runs anywhere (browsers included);
 * the path-based functions in files-node.ts are thin wrappers around it.
 */
import type { Tensor } from "../tensor.ts";
import { FormatError, ValueError } from "../errors.ts";
import type { Checkpoint, ShardIndex } from "./checkpoint.ts";
import { readCheckpoint, readCheckpointAsync, readCheckpointFilesAsync, readSharded } from "./checkpoint.ts";
import { LazyStorage } from "./lazy.ts";
import { readPt, writePt } from "./pt.ts";
import type { RawTensor } from "./raw.ts";
import { isRawTensor } from "./raw.ts";
import { readSafetensors, writeSafetensors } from "./safetensors.ts";
import type { AnyByteSource, ByteSource } from "./source.ts";
import { blobSource, bytesSource, isAsyncSource, parseAsync } from "./source.ts";
import type { LoadOptions, LoadValue, SaveValue } from "./tensor-adapter.ts";
import { toRaw, toRawTree, toTensors } from "./tensor-adapter.ts";

/** Options of the deserializers: `name` is the file name used in error messages. */
export interface DeserializeOptions extends LoadOptions {
  name?: string;
}

/**
 * torch.save to bytes: the zip archive PyTorch reads with `torch.load(f, weights_only=True)`.
 * @example const bytes = serialize(new Map([["weight", w]]));
 */
export function serialize(obj: SaveValue): Uint8Array {
  return writePt(toRawTree(obj));
}

/**
 * torch.load from bytes: dicts come back as Maps, lists and tuples as arrays. The type argument
 * is unchecked: `deserialize<Map<string, Tensor>>(bytes)`.
 */
export function deserialize<T = LoadValue>(bytes: Uint8Array | ArrayBuffer, options: DeserializeOptions = {}): T {
  return toTensors(readPt(bytes, options.name), options) as T;
}

/** Tensors by name, as a Map or a plain object. */
export type NamedTensors = ReadonlyMap<string, Tensor> | { readonly [name: string]: Tensor };

/** Tensors by name as the byte layer's records (for the writers). */
export function rawMap(tensors: NamedTensors): Map<string, RawTensor> {
  const entries = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  return new Map(entries.map(([k, t]) => {
    if (typeof t !== "object" || t === null || !("storage" in t)) throw new ValueError(`saveSafetensors: '${k}' is not a tensor`);
    return [k, toRaw(t)];
  }));
}

/** Options of the safetensors writers. */
export interface SafetensorsSaveOptions {
  /** String-to-string `__metadata__`; entries torchlet adds for tied tensors never override these. */
  metadata?: Record<string, string>;
}

/** safetensors to bytes; tied tensors are stored once, as safetensors' save_model does. */
export function serializeSafetensors(tensors: NamedTensors, options: SafetensorsSaveOptions = {}): Uint8Array {
  return writeSafetensors(rawMap(tensors), options.metadata);
}

/** Options of the safetensors readers. */
export interface SafetensorsLoadOptions extends DeserializeOptions {
  /** Re-tie tensors stored once with an alias in `__metadata__` (default true). */
  retie?: boolean;
}

/** Tensors of a safetensors file with its metadata. */
export interface SafetensorsFile {
  tensors: Map<string, Tensor>;
  metadata: Record<string, string>;
}

/** safetensors from bytes, with the file's `__metadata__`. */
export function deserializeSafetensorsFile(bytes: Uint8Array | ArrayBuffer, options: SafetensorsLoadOptions = {}): SafetensorsFile {
  const { tensors, metadata } = readSafetensors(bytes, options.name, options.retie === undefined ? {} : { retie: options.retie });
  const loaded = toTensors(tensors, options) as Map<string, Tensor>;
  return { tensors: loaded, metadata };
}

/** safetensors from bytes: a state dict (Map of name to Tensor). */
export function deserializeSafetensors(bytes: Uint8Array | ArrayBuffer, options: SafetensorsLoadOptions = {}): Map<string, Tensor> {
  return deserializeSafetensorsFile(bytes, options).tensors;
}

/**
 * Loads a sharded checkpoint from its index and a reader of shard bytes, as one state dict.
 * Every name in the index must be found in the shard it names.
 */
export function deserializeSharded(
  index: ShardIndex, readShard: (file: string) => Uint8Array | ByteSource, options: SafetensorsLoadOptions = {},
): Map<string, Tensor> {
  const raw = readSharded(index, (file) => {
    const bytes = readShard(file);
    return readCheckpoint(bytes instanceof Uint8Array ? bytesSource(bytes, file) : bytes);
  }, options.name ?? "sharded checkpoint");
  return toTensors(raw.tensors, options) as Map<string, Tensor>;
}

/** What the asynchronous loaders accept: a fetch Response, a Blob or File, bytes, or a byte source. */
export type AsyncInput = Response | Blob | ArrayBuffer | Uint8Array | AnyByteSource;

async function asyncSource(input: AsyncInput, name: string | undefined): Promise<AnyByteSource> {
  if (input instanceof Uint8Array || input instanceof ArrayBuffer) return bytesSource(input, name);
  if (typeof (input as AnyByteSource).read === "function" && typeof (input as AnyByteSource).size === "number") return input as AnyByteSource;
  if (typeof Response !== "undefined" && input instanceof Response) {
    if (!input.ok) throw new FormatError(`${name ?? input.url}: HTTP ${input.status} ${input.statusText}`);
    return blobSource(await input.blob(), name ?? input.url);
  }
  return blobSource(input as Blob, name);
}

/** Parses headers from any source, then reads every storage without blocking. */
async function readAllAsync<T>(input: AsyncInput, name: string | undefined, parse: (s: ByteSource, target: AnyByteSource) => T): Promise<T> {
  const source = await asyncSource(input, name);
  const value = isAsyncSource(source) ? await parseAsync(source, (s) => parse(s, source)) : parse(source, source);
  const storages = new Set<LazyStorage>();
  const seen = new Set<object>();
  const walk = (v: unknown): void => {
    if (typeof v !== "object" || v === null || seen.has(v) || ArrayBuffer.isView(v)) return;
    seen.add(v);
    if (isRawTensor(v)) {
      if (v.storage instanceof LazyStorage) storages.add(v.storage);
      return;
    }
    for (const x of v instanceof Map ? v.values() : Object.values(v)) walk(x);
  };
  walk(value);
  for (const st of storages) await st.readAsync(true);
  return value;
}

/**
 * torch.load without blocking, for browsers and servers: from a `fetch` Response, a Blob or File
 * (read by slices, never whole), or bytes.
 * @example const sd = await deserializeAsync(await fetch("mlp.pt"));
 */
export async function deserializeAsync<T = LoadValue>(input: AsyncInput, options: DeserializeOptions = {}): Promise<T> {
  const raw = await readAllAsync(input, options.name, (s, target) => readPt(s, undefined, { target }));
  return toTensors(raw, { ...options, lazy: false }) as T;
}

/** safetensors without blocking, from a Response, a Blob or File, or bytes, with its metadata. */
export async function deserializeSafetensorsAsync(input: AsyncInput, options: SafetensorsLoadOptions = {}): Promise<SafetensorsFile> {
  const { tensors, metadata } = await readAllAsync(input, options.name, (s, target) =>
    readSafetensors(s, undefined, { target, ...(options.retie === undefined ? {} : { retie: options.retie }) }));
  return { tensors: toTensors(tensors, { ...options, lazy: false }) as Map<string, Tensor>, metadata };
}

/**
 * The named tensors of a checkpoint in a Blob or File (a .pt archive or a safetensors file), or in
 * several Files (a `*.index.json` with its shards), from its headers alone: the tensor table is
 * there at once; each tensor's bytes are read when asked (`storage.readAsync()`, tensorChunksAsync),
 * so a file of any size never has to fit in memory.
 */
export function openCheckpoint(file: Blob | readonly Blob[], name?: string): Promise<Checkpoint> {
  if (!Array.isArray(file)) return readCheckpointAsync(blobSource(file as Blob, name));
  return readCheckpointFilesAsync((file as readonly Blob[]).map((f) => blobSource(f)));
}
