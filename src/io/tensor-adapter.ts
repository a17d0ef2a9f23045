/**
 * Converts between the byte layer's RawTensor records and Tensors. A RawStorage already has the
 * shape of a Tensor's Storage, so views keep sharing the very same storage object both ways:
 * tied parameters save as one storage and load as views of one storage.
 */
import { DType } from "../core/dtype.ts";
import { bfloat16ToNumber, halfToNumber } from "../core/half.ts";
import type { Storage } from "../tensor.ts";
import { Tensor } from "../tensor.ts";
import { Parameter } from "../nn/parameter.ts";
import { FormatError, ValueError } from "../errors.ts";
import type { PtValue } from "./pt.ts";
import type { RawStorage, RawTensor } from "./raw.ts";
import { isRawTensor, maxDepth } from "./raw.ts";
import { LazyStorage } from "./lazy.ts";

/** What `save`/`serialize` accept: tensors, Maps (saved as OrderedDict), plain objects, arrays, scalars, nested. */
export type SaveValue =
  | Tensor | ReadonlyMap<string | number | bigint | boolean | null, SaveValue> | { readonly [key: string]: SaveValue }
  | readonly SaveValue[] | number | string | boolean | null | bigint | Uint8Array;

/** What `load`/`deserialize` return: dicts as Maps, lists and tuples as arrays. */
export type LoadValue =
  | Tensor | Map<string | number | bigint | boolean | null, LoadValue> | LoadValue[]
  | number | string | boolean | null | bigint | Uint8Array;

/** Options of the loaders. */
export interface LoadOptions {
  /** Convert float16 and bfloat16 tensors to float32 (storage-wise, so shared views stay shared). */
  halfToFloat?: boolean;
  /**
   * Leave tensor bytes in the file until each tensor is first used (the file is kept open until
   * then). `module.loadStateDict` from a lazy dict reads one tensor at a time, so loading a model
   * needs about the model's memory plus its largest tensor. Default false: read every tensor now.
   */
  lazy?: boolean;
}

function widen(dtype: DType, bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  const f = dtype === DType.float16 ? halfToNumber : bfloat16ToNumber;
  for (let i = 0; i < bits.length; i++) out[i] = f(bits[i]!);
  return out;
}

/** The Tensor storage for a file's storage: lazy or read now, widened to float32 if asked. */
function convertStorage(s: RawStorage, options: LoadOptions): Storage {
  const half = options.halfToFloat === true && (s.dtype === DType.float16 || s.dtype === DType.bfloat16);
  if (s instanceof LazyStorage) {
    if (options.lazy) return half ? new LazyStorage(DType.float32, s.numel, () => widen(s.dtype, s.read() as Uint16Array)) : s;
    const data = s.read();
    return { data: half ? widen(s.dtype, data as Uint16Array) : data, dtype: half ? DType.float32 : s.dtype };
  }
  return half ? { data: widen(s.dtype, s.data as Uint16Array), dtype: DType.float32 } : s;
}

/** Rebuilds Tensors from a loaded tree; walks each object once, so shared and cyclic trees are fine. */
export function toTensors(value: PtValue, options: LoadOptions & { name?: string } = {}): LoadValue {
  const done = new Map<object, LoadValue>();
  const storages = new Map<RawStorage, Storage>();
  const storageOf = (s: RawStorage): Storage => {
    let out = storages.get(s);
    if (out === undefined) storages.set(s, (out = convertStorage(s, options)));
    return out;
  };
  const walk = (v: unknown, depth: number): LoadValue => {
    if (typeof v !== "object" || v === null || v instanceof Uint8Array) return v as LoadValue;
    const seen = done.get(v);
    if (seen !== undefined) return seen;
    if (depth > maxDepth) throw new FormatError(`${options.name ?? "<bytes>"}: containers are nested more than ${maxDepth} deep`);
    if (isRawTensor(v)) {
      let t = Tensor.fromStorage(storageOf(v.storage), v.shape, v.strides, v.offset);
      // torch.load gives back an nn.Parameter for what was pickled as one
      if (v.parameter) t = new Parameter(t, v.requiresGrad ?? true);
      else if (v.requiresGrad) t.requiresGrad = true;
      done.set(v, t);
      return t;
    }
    if (Array.isArray(v)) {
      const out: LoadValue[] = [];
      done.set(v, out);
      for (const item of v) out.push(walk(item, depth + 1));
      return out;
    }
    const out = new Map<string | number | bigint | boolean | null, LoadValue>();
    done.set(v, out);
    const entries = v instanceof Map ? [...v.entries()] : Object.entries(v);
    for (const [k, item] of entries) out.set(k as string, walk(item, depth + 1));
    return out;
  };
  return walk(value, 0);
}

/** The byte layer's record of a tensor: the same storage object, so sharing survives saving. */
export function toRaw(t: Tensor): RawTensor {
  if (t.storage.dtype !== t.dtype) throw new ValueError(`save: tensor dtype ${t.dtype} differs from its storage's ${t.storage.dtype}`);
  return {
    dtype: t.dtype, shape: [...t.shape], strides: [...t.stride()], offset: t.storageOffset(),
    storage: t.storage, requiresGrad: t.requiresGrad, parameter: isParameter(t),
  };
}

function isParameter(t: Tensor): boolean {
  return t instanceof Parameter;
}

/** Replaces Tensors by RawTensors in a tree, keeping shared objects shared. */
export function toRawTree(value: SaveValue): PtValue {
  const done = new Map<object, PtValue>();
  const walk = (v: SaveValue, depth: number): PtValue => {
    if (typeof v !== "object" || v === null || v instanceof Uint8Array) return v;
    const seen = done.get(v);
    if (seen !== undefined) return seen;
    if (depth > maxDepth) throw new ValueError(`save: containers are nested more than ${maxDepth} deep`);
    if (v instanceof Tensor) {
      const raw = toRaw(v);
      done.set(v, raw);
      return raw;
    }
    if (isRawTensor(v)) return v as PtValue;
    if (Array.isArray(v)) {
      const out: PtValue[] = [];
      done.set(v, out);
      for (const item of v as readonly SaveValue[]) out.push(walk(item, depth + 1));
      return out;
    }
    if (v instanceof Map) {
      const out = new Map<string | number | bigint | boolean | null, PtValue>();
      done.set(v, out);
      for (const [k, item] of v) out.set(k, walk(item, depth + 1));
      return out;
    }
    const proto: unknown = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) {
      const kind = (proto as { constructor?: { name?: string } }).constructor?.name ?? "object";
      throw new ValueError(`save: cannot save a ${kind}; save tensors, Maps, plain objects, arrays, numbers, strings, booleans, null, bigints or Uint8Arrays`);
    }
    const out: Record<string, PtValue> = {};
    done.set(v, out);
    for (const [k, item] of Object.entries(v)) Object.defineProperty(out, k, { value: walk(item, depth + 1), enumerable: true, writable: true });
    return out;
  };
  return walk(value, 0);
}
