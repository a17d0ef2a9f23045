/**
 * The bytes-in, bytes-out API of both formats over Tensors. It runs anywhere (browsers included);
 * the path-based functions in files-node.ts are thin wrappers around it.
 */
import type { Tensor } from "../tensor.ts";
import { FormatError, ValueError } from "../errors.ts";
import { readPt, writePt } from "./pt.ts";
import type { RawTensor } from "./raw.ts";
import { readSafetensors, writeSafetensors } from "./safetensors.ts";
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

function rawMap(tensors: NamedTensors): Map<string, RawTensor> {
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

/** A parsed `model.safetensors.index.json`: shard file by tensor name. */
export interface ShardIndex {
  weightMap: Map<string, string>;
  metadata: Record<string, unknown>;
}

/** Parses and checks a sharded-checkpoint index; shard names must be plain file names. */
export function parseShardIndex(text: string, name = "model.safetensors.index.json"): ShardIndex {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new FormatError(`${name}: not valid JSON: ${(e as Error).message}`);
  }
  const map = (json as { weight_map?: unknown } | null)?.weight_map;
  if (typeof map !== "object" || map === null || Array.isArray(map)) throw new FormatError(`${name}: no "weight_map" object`);
  const weightMap = new Map<string, string>();
  for (const [k, v] of Object.entries(map)) {
    // the index is untrusted too: a shard name like "../x" must not reach outside the folder
    if (typeof v !== "string" || v === "" || v.includes("/") || v.includes("\\") || v === "." || v === "..") {
      throw new FormatError(`${name}: weight_map entry '${k}' names '${String(v)}', which is not a file name in the index's folder`);
    }
    weightMap.set(k, v);
  }
  const metadata = (json as { metadata?: unknown }).metadata;
  return { weightMap, metadata: typeof metadata === "object" && metadata !== null ? metadata as Record<string, unknown> : {} };
}

/**
 * Loads a sharded checkpoint from its index and a reader of shard bytes, as one state dict.
 * Every name in the index must be found in the shard it names.
 */
export function deserializeSharded(
  index: ShardIndex, readShard: (file: string) => Uint8Array, options: SafetensorsLoadOptions = {},
): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  const missing: string[] = [];
  for (const file of new Set(index.weightMap.values())) {
    const shard = deserializeSafetensors(readShard(file), { ...options, name: file });
    for (const [k, file2] of index.weightMap) {
      if (file2 !== file) continue;
      const t = shard.get(k);
      if (t === undefined) missing.push(`'${k}' (in ${file})`);
      else out.set(k, t);
    }
  }
  if (missing.length > 0) throw new FormatError(`${options.name ?? "sharded checkpoint"}: tensors listed in the index are missing from their shards: ${missing.join(", ")}`);
  return out;
}
