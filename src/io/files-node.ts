/**
 * The path-based API for Node: files are read range by range through a file descriptor (no size
 * limit, headers first, tensor bytes when used with `{ lazy: true }`) and written as a stream to
 * a temporary file that replaces the target atomically. The *Async functions do the same on
 * fs/promises, so a server's event loop keeps running.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Tensor } from "../tensor.ts";
import { FileError } from "../errors.ts";
import { writeFileAtomic, writeFileAtomicAsync } from "./atomic-node.ts";
import type { Checkpoint } from "./checkpoint.ts";
import { parseShardIndex, readCheckpoint, readSharded } from "./checkpoint.ts";
import { ptChunks, readPt } from "./pt.ts";
import { readSafetensors, safetensorsChunks } from "./safetensors.ts";
import type { NamedTensors, SafetensorsFile, SafetensorsLoadOptions, SafetensorsSaveOptions } from "./serialize.ts";
import { deserializeAsync, deserializeSafetensorsAsync, rawMap } from "./serialize.ts";
import type { FileSource } from "./source-node.ts";
import { openFileSource, openFileSourceAsync } from "./source-node.ts";
import type { LoadOptions, LoadValue, SaveValue } from "./tensor-adapter.ts";
import { toRawTree, toTensors } from "./tensor-adapter.ts";

const isIndex = (path: string): boolean => path.endsWith(".index.json");

/** Runs `read` over the opened file; the file stays open only when lazy tensors need it. */
function withFile<T>(path: string, lazy: boolean | undefined, read: (s: FileSource) => T): T {
  const source = openFileSource(path);
  try {
    return read(source);
  } finally {
    if (!lazy) source.close();
  }
}

function readIndexText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    throw new FileError(`${path}: cannot read the shard index: ${(e as Error).message}`, { code: (e as NodeJS.ErrnoException).code, cause: e });
  }
}

/**
 * The named tensors of a checkpoint file from its headers: a .pt archive, a safetensors file, or
 * a sharded checkpoint's `*.index.json` (safetensors or PyTorch `.bin` shards). Tensor bytes are
 * read when used; the files stay open until their tensors are collected.
 */
export function openCheckpointFile(path: string): Checkpoint {
  if (!isIndex(path)) return readCheckpoint(openFileSource(path));
  const index = parseShardIndex(readIndexText(path), path);
  return readSharded(index, (file) => readCheckpoint(openFileSource(join(dirname(path), file))), path);
}

/**
 * torch.save: streams `obj` to `path` in PyTorch's zip format (zip64 past 4 GiB), atomically.
 * @example save(model.stateDict(), "mlp.params")
 */
export function save(obj: SaveValue, path: string): void {
  writeFileAtomic(path, ptChunks(toRawTree(obj)));
}

/** save without blocking the event loop (fs/promises), atomic as save is. */
export async function saveAsync(obj: SaveValue, path: string): Promise<void> {
  await writeFileAtomicAsync(path, ptChunks(toRawTree(obj)));
}

/**
 * torch.load: reads a file torch.save wrote (PyTorch >= 1.6 format); loading never runs code. A
 * sharded checkpoint's `*.index.json` loads as one state dict. With `{ lazy: true }` tensors read
 * their bytes when first used. The type argument is unchecked, as JSON.parse's result is:
 * `load<StateDict>("mlp.params")`.
 */
export function load<T = LoadValue>(path: string, options: LoadOptions = {}): T {
  if (isIndex(path)) return toTensors(openCheckpointFile(path).tensors, { ...options, name: path }) as T;
  return withFile(path, options.lazy, (s) => toTensors(readPt(s), { ...options, name: path }) as T);
}

/** load without blocking the event loop: headers and tensors are read on fs/promises. */
export async function loadAsync<T = LoadValue>(path: string, options: LoadOptions = {}): Promise<T> {
  if (options.lazy || isIndex(path)) return load<T>(path, options);
  const source = await openFileSourceAsync(path);
  try {
    return await deserializeAsync<T>(source, { ...options, name: path });
  } finally {
    await source.close();
  }
}

/** Writes a safetensors file as a stream, atomically; tied tensors are stored once. */
export function saveSafetensors(tensors: NamedTensors, path: string, options: SafetensorsSaveOptions = {}): void {
  writeFileAtomic(path, safetensorsChunks(rawMap(tensors), options.metadata));
}

/** saveSafetensors without blocking the event loop. */
export async function saveSafetensorsAsync(tensors: NamedTensors, path: string, options: SafetensorsSaveOptions = {}): Promise<void> {
  await writeFileAtomicAsync(path, safetensorsChunks(rawMap(tensors), options.metadata));
}

/**
 * Reads a safetensors file, or a sharded checkpoint when `path` is its `*.index.json`, as one
 * state dict; `{ lazy: true }` leaves tensor bytes in the file until used.
 */
export function loadSafetensors(path: string, options: SafetensorsLoadOptions = {}): Map<string, Tensor> {
  if (isIndex(path)) return toTensors(openCheckpointFile(path).tensors, { ...options, name: path }) as Map<string, Tensor>;
  return loadSafetensorsFile(path, options).tensors;
}

/** Reads a safetensors file with its `__metadata__`. */
export function loadSafetensorsFile(path: string, options: SafetensorsLoadOptions = {}): SafetensorsFile {
  return withFile(path, options.lazy, (s) => {
    const { tensors, metadata } = readSafetensors(s, undefined, options.retie === undefined ? {} : { retie: options.retie });
    return { tensors: toTensors(tensors, { ...options, name: path }) as Map<string, Tensor>, metadata };
  });
}

/** loadSafetensors without blocking the event loop. */
export async function loadSafetensorsAsync(path: string, options: SafetensorsLoadOptions = {}): Promise<Map<string, Tensor>> {
  if (options.lazy || isIndex(path)) return loadSafetensors(path, options);
  const source = await openFileSourceAsync(path);
  try {
    return (await deserializeSafetensorsAsync(source, { ...options, name: path })).tensors;
  } finally {
    await source.close();
  }
}
