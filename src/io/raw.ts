/**
 * The byte layer's view of a tensor: plain records that the file formats read and write, so the
 * formats do not depend on the Tensor class. Two RawTensors that hold the same RawStorage object
 * share storage, exactly as two PyTorch views of one storage do.
 */
import { DType } from "../core/dtype.ts";
import type { TypedArray } from "../core/dtype.ts";
import { FormatError } from "../errors.ts";

/** A flat buffer of one dtype; float16/bfloat16 hold their raw bits in a Uint16Array. */
export interface RawStorage {
  dtype: DType;
  data: TypedArray;
}

/** A strided view over a RawStorage; `offset` and `strides` count elements, not bytes. */
export interface RawTensor {
  dtype: DType;
  shape: number[];
  strides: number[];
  offset: number;
  storage: RawStorage;
  /** true when PyTorch pickled it as an nn.Parameter (`_rebuild_parameter`) */
  parameter?: boolean;
  requiresGrad?: boolean;
}

/**
 * Deeper trees are refused: a hostile pickle can nest lists a million deep in a few megabytes,
 * and walking that recursively would overflow the stack.
 */
export const maxDepth = 1000;

/** True for a RawTensor record (as opposed to a plain object in a saved tree). */
export function isRawTensor(v: unknown): v is RawTensor {
  if (typeof v !== "object" || v === null) return false;
  const r = v as Partial<RawTensor>;
  // `in`, not a read: reading `data` would load a lazy storage's bytes
  return r.dtype instanceof DType && typeof r.storage === "object" && r.storage !== null &&
    "data" in r.storage && Array.isArray(r.shape) && Array.isArray(r.strides);
}

/** Number of elements of a shape (1 for a scalar). */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

/** Row-major strides of a shape, as PyTorch's `contiguous()` lays it out. */
export function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = acc;
    acc *= Math.max(shape[i]!, 1);
  }
  return strides;
}

/** A contiguous RawTensor over its own fresh storage. */
export function rawFromData(dtype: DType, shape: number[], data: TypedArray): RawTensor {
  return { dtype, shape, strides: contiguousStrides(shape), offset: 0, storage: { dtype, data } };
}

/** True when the tensor is row-major contiguous (size-1 dims may have any stride, as in PyTorch). */
export function isContiguous(t: RawTensor): boolean {
  let expected = 1;
  for (let i = t.shape.length - 1; i >= 0; i--) {
    const size = t.shape[i]!;
    if (size === 0) return true;
    if (size !== 1 && t.strides[i] !== expected) return false;
    expected *= size;
  }
  return true;
}

/** True when the tensor is a contiguous view of the whole of its storage. */
export function coversStorage(t: RawTensor): boolean {
  return t.offset === 0 && isContiguous(t) && numel(t.shape) === t.storage.data.length;
}

/**
 * Checks that a view (shape, strides, offset) stays inside a storage of `storageNumel`
 * elements, before anything reads it. `where` names the file and tensor for the message.
 */
export function checkViewFits(
  shape: readonly number[], strides: readonly number[], offset: number, storageNumel: number, where: string,
  Err: new (message: string) => Error = FormatError,
): void {
  if (shape.length !== strides.length) {
    throw new Err(`${where}: shape [${shape}] and stride [${strides}] have different lengths`);
  }
  const ints = [...shape, ...strides, offset];
  if (!ints.every((v) => Number.isSafeInteger(v) && v >= 0)) {
    throw new Err(`${where}: shape [${shape}], stride [${strides}] and offset ${offset} must be non-negative integers`);
  }
  if (shape.includes(0)) return;
  if (!Number.isSafeInteger(numel(shape))) throw new Err(`${where}: shape [${shape}] has more elements than torchlet can index`);
  let last = offset;
  for (let i = 0; i < shape.length; i++) last += (shape[i]! - 1) * strides[i]!;
  if (!(last < storageNumel)) {
    throw new Err(
      `${where}: a view of shape [${shape}], stride [${strides}] and offset ${offset} reaches element ${last} ` +
      `of a storage of ${storageNumel} elements`);
  }
}

const hostIsLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Reverses each `size`-byte group in place: converts between byte orders. */
function swapBytes(bytes: Uint8Array, size: number): void {
  if (size === 1) return;
  for (let i = 0; i + size <= bytes.length; i += size) bytes.subarray(i, i + size).reverse();
}

/**
 * Decodes `count` elements of `dtype` from file bytes into a fresh, aligned typed array.
 * The caller has checked that `bytes` holds exactly count * itemsize bytes.
 */
export function decodeElements(bytes: Uint8Array, dtype: DType, count: number, bigEndian = false): TypedArray {
  // an explicit copy: Buffer.prototype.slice would return a view of Node's shared pool
  const copy = new Uint8Array(count * dtype.itemsize);
  copy.set(bytes.subarray(0, copy.length));
  return decodeInPlace(copy, dtype, count, bigEndian);
}

/**
 * Turns freshly read file bytes (a buffer of its own, starting at byte 0) into elements without
 * a copy: swaps byte order if needed and maps bool bytes to 0/1.
 */
export function decodeInPlace(bytes: Uint8Array, dtype: DType, count: number, bigEndian = false): TypedArray {
  if (bigEndian === hostIsLittleEndian) swapBytes(bytes, dtype.itemsize);
  const out = typedView(dtype, bytes.buffer, count);
  if (dtype === DType.bool) {
    // PyTorch stores bools as bytes 0/1; anything else would make `true` unequal to `true`.
    for (let i = 0; i < out.length; i++) if (out[i]! > 1) out[i] = 1;
  }
  return out;
}

function typedView(dtype: DType, buffer: ArrayBufferLike, count: number): TypedArray {
  switch (dtype.name) {
    case "float32": return new Float32Array(buffer, 0, count);
    case "float64": return new Float64Array(buffer, 0, count);
    case "int32": return new Int32Array(buffer, 0, count);
    case "int64": return new BigInt64Array(buffer, 0, count);
    case "bool": case "uint8": return new Uint8Array(buffer, 0, count);
    case "int8": return new Int8Array(buffer, 0, count);
    case "float16": case "bfloat16": return new Uint16Array(buffer, 0, count);
  }
}

/** A plain Uint8Array view of bytes from any source (Node Buffers, ArrayBuffers). */
export function asBytes(bytes: Uint8Array | ArrayBuffer): Uint8Array {
  return bytes instanceof Uint8Array && bytes.constructor === Uint8Array
    ? bytes
    : bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The little-endian bytes of a whole typed array (a copy on big-endian hosts, a view otherwise). */
export function encodeElements(data: TypedArray): Uint8Array {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (hostIsLittleEndian) return bytes;
  const copy = bytes.slice();
  swapBytes(copy, data.BYTES_PER_ELEMENT);
  return copy;
}

/**
 * The little-endian bytes of a typed array as views of at most 1 GiB each: a storage over 4 GiB
 * has more bytes than one Uint8Array may hold.
 */
export function byteChunks(data: TypedArray): Uint8Array[] {
  if (!hostIsLittleEndian) return [encodeElements(data)];
  const out: Uint8Array[] = [];
  const step = 2 ** 30;
  for (let pos = 0; pos < data.byteLength; pos += step) out.push(new Uint8Array(data.buffer, data.byteOffset + pos, Math.min(step, data.byteLength - pos)));
  return out;
}

/** Copies a strided view into a new row-major typed array of its own dtype. */
export function packContiguous(t: RawTensor): TypedArray {
  const n = numel(t.shape);
  const src = t.storage.data;
  if (isContiguous(t)) return src.slice(t.offset, t.offset + n);
  const out = t.dtype.alloc(n) as unknown as { [i: number]: number | bigint };
  const index = new Array<number>(t.shape.length).fill(0);
  let pos = t.offset;
  for (let i = 0; i < n; i++) {
    out[i] = src[pos]!;
    for (let d = t.shape.length - 1; d >= 0; d--) {
      pos += t.strides[d]!;
      if (++index[d]! < t.shape[d]!) break;
      pos -= t.strides[d]! * t.shape[d]!;
      index[d] = 0;
    }
  }
  return out as unknown as TypedArray;
}
