/**
 * A checkpoint of either format, or a sharded one, as named tensors read from headers alone:
 * what `torchlet inspect`, `report` and `diff` and the browser inspector work on. Tensor bytes
 * stay in the file (LazyStorage) until a caller reads them.
 */
import { FormatError, ValueError } from "../errors.ts";
import type { PtValue } from "./pt.ts";
import { readPt } from "./pt.ts";
import type { RawTensor } from "./raw.ts";
import { isRawTensor, maxDepth } from "./raw.ts";
import { readSafetensors } from "./safetensors.ts";
import type { AnyByteSource, AsyncByteSource, ByteSource } from "./source.ts";
import { parseAsync } from "./source.ts";
import { looksLikeZip } from "./zip.ts";

/** The format of a checkpoint. */
export type CheckpointFormat = "pt" | "safetensors" | "sharded-pt" | "sharded-safetensors";

/** Named tensors of a checkpoint, with the safetensors metadata when there is any. */
export interface Checkpoint {
  format: CheckpointFormat;
  tensors: Map<string, RawTensor>;
  metadata: Record<string, string>;
}

/** Flattens a loaded .pt tree into dotted names, as a state dict names them. */
export function namedTensors(value: PtValue, file = "<bytes>"): Map<string, RawTensor> {
  const out = new Map<string, RawTensor>();
  const seen = new Set<object>();
  const walk = (v: unknown, prefix: string, depth: number): void => {
    if (typeof v !== "object" || v === null) return;
    if (depth > maxDepth) throw new FormatError(`${file}: containers are nested more than ${maxDepth} deep`);
    if (isRawTensor(v)) {
      out.set(prefix === "" ? "<tensor>" : prefix, v);
      return;
    }
    if (seen.has(v)) return;
    seen.add(v);
    const entries = v instanceof Map ? [...v.entries()] : Array.isArray(v) ? v.map((x, i) => [i, x]) : [];
    for (const [k, x] of entries) walk(x, prefix === "" ? String(k) : `${prefix}.${String(k)}`, depth + 1);
  };
  walk(value, "", 0);
  return out;
}

/** True when the file name or its first bytes say PyTorch (zip archives and the usual suffixes). */
function isPt(source: ByteSource): boolean {
  return looksLikeZip(source.read(0, Math.min(4, source.size))) || /\.(pt|pth|bin|ckpt|params|tar)$/i.test(source.name);
}

/** Reads one checkpoint file's headers: a .pt archive (any name) or a safetensors file. */
export function readCheckpoint(source: ByteSource, target: AnyByteSource = source): Checkpoint {
  if (isPt(source)) return { format: "pt", tensors: namedTensors(readPt(source, undefined, { target }), source.name), metadata: {} };
  const { tensors, metadata } = readSafetensors(source, undefined, { target });
  return { format: "safetensors", tensors, metadata };
}

/** readCheckpoint over an asynchronous source (a browser File): a few reads for the headers. */
export function readCheckpointAsync(source: AsyncByteSource): Promise<Checkpoint> {
  return parseAsync(source, (s) => readCheckpoint(s, source));
}

/** A parsed sharded-checkpoint index (`model.safetensors.index.json`, `pytorch_model.bin.index.json`). */
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
 * Joins the shards of an index into one checkpoint, shard by shard from `readShard` (headers
 * only). Every name in the index must be in the shard it names; other tensors of a shard are
 * left out, as the index is the checkpoint's list of names.
 */
export function readSharded(index: ShardIndex, readShard: (file: string) => Checkpoint, name: string): Checkpoint {
  const tensors = new Map<string, RawTensor>();
  const missing: string[] = [];
  let format: CheckpointFormat = "sharded-safetensors";
  for (const file of new Set(index.weightMap.values())) {
    const shard = readShard(file);
    if (shard.format === "pt") format = "sharded-pt";
    for (const [k, file2] of index.weightMap) {
      if (file2 !== file) continue;
      const t = shard.tensors.get(k);
      if (t === undefined) missing.push(`'${k}' (in ${file})`);
      else tensors.set(k, t);
    }
  }
  if (missing.length > 0) throw new FormatError(`${name}: tensors listed in the index are missing from their shards: ${missing.join(", ")}`);
  return { format, tensors, metadata: {} };
}

/** An index larger than this is not an index (real ones are kilobytes): refused before it is read. */
const maxIndexBytes = 64 * 2 ** 20;

/**
 * One checkpoint from the files a user gave, as a page gets them dropped: a .pt or safetensors
 * file, or a sharded checkpoint's `*.index.json` with its shards, found among the others by name
 * (files the index does not name are left out). Headers only, as readCheckpointAsync.
 */
export async function readCheckpointFilesAsync(sources: readonly AsyncByteSource[]): Promise<Checkpoint> {
  const indexes = sources.filter((s) => s.name.endsWith(".index.json"));
  const names = sources.map((s) => s.name).join(", ");
  if (indexes.length === 0 && sources.length === 1) return readCheckpointAsync(sources[0]!);
  if (indexes.length !== 1) {
    throw new ValueError(`expected one checkpoint file, or one *.index.json with its shards; got ${sources.length} files with ${indexes.length} indexes: ${names}`);
  }
  const index = indexes[0]!;
  if (index.size > maxIndexBytes) throw new FormatError(`${index.name}: ${index.size} bytes is too large for a shard index`);
  const parsed = parseShardIndex(new TextDecoder().decode(await index.read(0, index.size)), index.name);
  const byName = new Map(sources.map((s) => [s.name, s]));
  const shards = new Map<string, Checkpoint>();
  for (const file of new Set(parsed.weightMap.values())) {
    const shard = byName.get(file);
    if (shard === undefined) throw new FormatError(`${index.name}: names the shard '${file}', which is not among the files given (${names})`);
    shards.set(file, await readCheckpointAsync(shard));
  }
  return readSharded(parsed, (file) => shards.get(file)!, index.name);
}
