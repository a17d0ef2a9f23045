/**
 * The path-based API for Node: thin wrappers over the bytes API in serialize.ts, with atomic
 * writes. Browsers use serialize/deserialize on bytes instead.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Tensor } from "../tensor.ts";
import { FormatError } from "../errors.ts";
import { writeFileAtomic } from "./atomic-node.ts";
import type { NamedTensors, SafetensorsFile, SafetensorsLoadOptions, SafetensorsSaveOptions } from "./serialize.ts";
import {
  deserialize, deserializeSafetensorsFile, deserializeSharded, parseShardIndex, serialize, serializeSafetensors,
} from "./serialize.ts";
import type { LoadOptions, LoadValue, SaveValue } from "./tensor-adapter.ts";

function readBytes(path: string): Uint8Array {
  const b = readFileSync(path);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/**
 * torch.save: writes `obj` to `path` in PyTorch's zip format, atomically.
 * @example save(model.stateDict(), "mlp.params")
 */
export function save(obj: SaveValue, path: string): void {
  writeFileAtomic(path, serialize(obj));
}

/**
 * torch.load: reads a file torch.save wrote (PyTorch >= 1.6 format); loading never runs code.
 * The type argument is unchecked, as JSON.parse's result is: `load<StateDict>("mlp.params")`.
 */
export function load<T = LoadValue>(path: string, options: LoadOptions = {}): T {
  return deserialize<T>(readBytes(path), { ...options, name: path });
}

/** Writes a safetensors file atomically; tied tensors are stored once. */
export function saveSafetensors(tensors: NamedTensors, path: string, options: SafetensorsSaveOptions = {}): void {
  writeFileAtomic(path, serializeSafetensors(tensors, options));
}

/**
 * Reads a safetensors file, or a sharded checkpoint when `path` is its `*.index.json`, as one
 * state dict.
 */
export function loadSafetensors(path: string, options: SafetensorsLoadOptions = {}): Map<string, Tensor> {
  if (path.endsWith(".index.json")) return loadSharded(path, options);
  return loadSafetensorsFile(path, options).tensors;
}

/** Reads a safetensors file with its `__metadata__`. */
export function loadSafetensorsFile(path: string, options: SafetensorsLoadOptions = {}): SafetensorsFile {
  return deserializeSafetensorsFile(readBytes(path), { ...options, name: path });
}

function loadSharded(indexPath: string, options: SafetensorsLoadOptions): Map<string, Tensor> {
  let text: string;
  try {
    text = readFileSync(indexPath, "utf8");
  } catch (e) {
    throw new FormatError(`${indexPath}: cannot read the shard index: ${(e as Error).message}`);
  }
  const index = parseShardIndex(text, indexPath);
  const folder = dirname(indexPath);
  return deserializeSharded(index, (file) => readBytes(join(folder, file)), { ...options, name: indexPath });
}
