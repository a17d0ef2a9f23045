/**
 * The dtype table: one row per dtype, with the typed array that stores it and its place in
 * PyTorch's type promotion lattice.
 */
export type DTypeName =
  | "bool" | "uint8" | "int8" | "int32" | "int64"
  | "float16" | "bfloat16" | "float32" | "float64";

/** Typed arrays that back a Storage. float16/bfloat16 keep their raw bits in a Uint16Array. */
export type TypedArray =
  | Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array | Int8Array | Uint16Array;

type Kind = "bool" | "int" | "float";

/** A dtype, compared by identity: `t.dtype === torch.float32`. Prints as PyTorch does. */
export class DType {
  private constructor(
    readonly name: DTypeName,
    readonly kind: Kind,
    /** bytes per element */
    readonly itemsize: number,
    /** position in the promotion order within its kind (higher wins) */
    readonly rank: number,
    /** false for storage-only dtypes (float16, bfloat16, int8, uint8): convert with `.to()` to compute */
    readonly computable: boolean,
  ) {}

  get isFloatingPoint(): boolean { return this.kind === "float"; }
  /** ATen's scalar type name, as PyTorch's messages spell it: Float, Double, Long, … */
  get scalarName(): string { return scalarNames[this.name]; }
  get isInteger(): boolean { return this.kind === "int"; }
  toString(): string { return `torch.${this.name}`; }

  /** Allocates zero-filled storage for n elements. */
  alloc(n: number): TypedArray {
    const bytes = n * this.itemsize;
    if (bytes > ON_HEAP_BYTES && bytes <= SLAB_MAX_BYTES) return this.#view(slabCarve(bytes), n);
    switch (this.name) {
      case "float32": return new Float32Array(n);
      case "float64": return new Float64Array(n);
      case "int32": return new Int32Array(n);
      case "int64": return new BigInt64Array(n);
      case "bool": case "uint8": return new Uint8Array(n);
      case "int8": return new Int8Array(n);
      case "float16": case "bfloat16": return new Uint16Array(n);
    }
  }

  // a view of n elements at byte offset `at` of the current slab
  #view(at: number, n: number): TypedArray {
    const buf = slab!;
    switch (this.name) {
      case "float32": return new Float32Array(buf, at, n);
      case "float64": return new Float64Array(buf, at, n);
      case "int32": return new Int32Array(buf, at, n);
      case "int64": return new BigInt64Array(buf, at, n);
      case "bool": case "uint8": return new Uint8Array(buf, at, n);
      case "int8": return new Int8Array(buf, at, n);
      case "float16": case "bfloat16": return new Uint16Array(buf, at, n);
    }
  }

  static readonly bool = new DType("bool", "bool", 1, 0, true);
  static readonly uint8 = new DType("uint8", "int", 1, 1, false);
  static readonly int8 = new DType("int8", "int", 1, 1, false);
  static readonly int32 = new DType("int32", "int", 4, 3, true);
  static readonly int64 = new DType("int64", "int", 8, 4, true);
  static readonly float16 = new DType("float16", "float", 2, 1, false);
  static readonly bfloat16 = new DType("bfloat16", "float", 2, 1, false);
  static readonly float32 = new DType("float32", "float", 4, 2, true);
  static readonly float64 = new DType("float64", "float", 8, 3, true);
}

// Small arrays share slabs. V8 keeps a typed array of up to 64 bytes inside its own heap (cheap); a
// larger one gets an ArrayBuffer with its own backing store, which costs 0.35–0.65 µs to allocate and
// sweep against 0.05–0.14 µs for a view into a shared slab (measured on Node 20). The seed MLP's
// gradients are such arrays. A slab is freed once none of its views is reachable, so a long-lived
// view pins at most SLAB_BYTES; slabs are never reused, so fresh views are zero-filled.
const ON_HEAP_BYTES = 64, SLAB_MAX_BYTES = 1024, SLAB_BYTES = 16384;
let slab: ArrayBuffer | null = null, slabTop = SLAB_BYTES;

/** The byte offset of `bytes` fresh bytes in the current slab (8-byte aligned for every dtype). */
function slabCarve(bytes: number): number {
  if (slabTop + bytes > SLAB_BYTES) { slab = new ArrayBuffer(SLAB_BYTES); slabTop = 0; }
  const at = slabTop;
  slabTop += (bytes + 7) & ~7;
  return at;
}

const scalarNames: Record<DTypeName, string> = {
  bool: "Bool", uint8: "Byte", int8: "Char", int32: "Int", int64: "Long",
  float16: "Half", bfloat16: "BFloat16", float32: "Float", float64: "Double",
};

/** torch.bool: true or false, one byte each. */
export const bool = DType.bool;
/** torch.uint8: 0..255, a storage dtype (convert with `.to()` to compute). */
export const uint8 = DType.uint8;
/** torch.int8: -128..127, a storage dtype. */
export const int8 = DType.int8;
/** torch.int32 (torch.int). */
export const int32 = DType.int32;
/** torch.int64 (torch.long), exact in a BigInt64Array; the dtype of indices and class targets. */
export const int64 = DType.int64;
/** torch.float16 (torch.half), a storage dtype. */
export const float16 = DType.float16;
/** torch.bfloat16, a storage dtype. */
export const bfloat16 = DType.bfloat16;
/** torch.float32 (torch.float), the default dtype of floating-point tensors. */
export const float32 = DType.float32;
/** torch.float64 (torch.double). */
export const float64 = DType.float64;

/** Every dtype by name, e.g. for file headers. */
export const dtypes: Readonly<Record<DTypeName, DType>> = {
  bool, uint8, int8, int32, int64, float16, bfloat16, float32, float64,
};

/** The default dtype of floating-point tensors, as torch.get_default_dtype(). */
export const defaultFloat = float32;

/**
 * PyTorch's promotion of two tensor dtypes: the higher kind wins (bool < int < float), and
 * within a kind the wider type. Storage-only half types promote to float32 here.
 */
export function promoteTypes(a: DType, b: DType): DType {
  if (a === b) return a;
  const order: Record<Kind, number> = { bool: 0, int: 1, float: 2 };
  if (order[a.kind] !== order[b.kind]) return order[a.kind] > order[b.kind] ? a : b;
  return a.rank >= b.rank ? a : b;
}

/**
 * Promotion of a tensor dtype with a JavaScript scalar, following PyTorch's rule that a
 * "wrapped number" only changes the result's kind, never its width: int tensor + 1.5 is
 * float32 (the default float), float64 tensor + 1.5 stays float64, bool + 2 is int64.
 */
export function promoteWithScalar(t: DType, s: number | boolean | bigint): DType {
  if (typeof s === "boolean") return t;
  const scalarIsFloat = typeof s === "number" && !Number.isInteger(s);
  if (scalarIsFloat || (typeof s === "number" && !Number.isFinite(s))) {
    return t.kind === "float" ? t : defaultFloat;
  }
  return t.kind === "bool" ? int64 : t;
}
