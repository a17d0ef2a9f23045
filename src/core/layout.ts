/**
 * Layout: how a tensor's elements sit in its storage (shape, strides, offset). Every movement
 * op is a method here that returns a new Layout over the same storage; nothing is copied.
 */
import { IndexError, ShapeError } from "../errors.ts";
import { contiguousStrides, normalizeDim, numelOf, sameShape, showShape, type Shape } from "./shape.ts";

/** Shape, strides and storage offset of a strided view. */
export class Layout {
  readonly numel: number;
  /** Made by `contiguous()`: row-major strides from offset 0, so a result of the same shape may share it. */
  plain = false;
  /** A 2-D layout's transpose, made once: a weight's Wᵀ is read by every linear call and its gradient. */
  #transposed: Layout | null = null;
  constructor(
    readonly shape: Shape,
    readonly strides: readonly number[],
    readonly offset: number = 0,
  ) {
    this.numel = numelOf(shape);
  }

  /** A row-major layout starting at offset 0. */
  static contiguous(shape: Shape): Layout {
    const l = new Layout(shape, contiguousStrides(shape), 0);
    l.plain = true;
    return l;
  }

  get ndim(): number { return this.shape.length; }

  /** True when every element is the same storage cell (a broadcast scalar). */
  get isBroadcastScalar(): boolean {
    for (let i = 0; i < this.strides.length; i++) if (this.strides[i] !== 0 && this.shape[i] !== 1) return false;
    return true;
  }

  /** True when some dim repeats one element (stride 0, size > 1), as an expanded view does. */
  get hasBroadcastDims(): boolean {
    for (let i = 0; i < this.strides.length; i++) if (this.strides[i] === 0 && this.shape[i]! > 1) return true;
    return false;
  }

  /** True when the elements are in row-major order with no gaps (size-1 dims ignored). */
  get isContiguous(): boolean {
    let expected = 1;
    for (let i = this.shape.length - 1; i >= 0; i--) {
      const size = this.shape[i]!;
      if (size === 1) continue;
      if (this.strides[i] !== expected) return false;
      expected *= size;
    }
    return true;
  }

  /** Swaps two dims. */
  transpose(d0: number, d1: number): Layout {
    const a = normalizeDim(d0, this.ndim), b = normalizeDim(d1, this.ndim);
    if (this.ndim === 2 && a !== b) {
      if (this.#transposed === null) {
        const t = new Layout([this.shape[1]!, this.shape[0]!], [this.strides[1]!, this.strides[0]!], this.offset);
        t.#transposed = this;
        this.#transposed = t;
      }
      return this.#transposed;
    }
    const shape = this.shape.slice(), strides = this.strides.slice();
    shape[a] = this.shape[b]!; shape[b] = this.shape[a]!;
    strides[a] = this.strides[b]!; strides[b] = this.strides[a]!;
    return new Layout(shape, strides, this.offset);
  }

  /** Reorders dims; `perm` must be a permutation of 0..ndim-1. */
  permute(perm: readonly number[]): Layout {
    const dims = perm.map((d) => normalizeDim(d, this.ndim));
    if (dims.length !== this.ndim || new Set(dims).size !== dims.length) {
      throw new ShapeError(
        `permute(): number of dims don't match in permute (tensor has ${this.ndim} dims, got ${showShape(perm)})`,
      );
    }
    return new Layout(dims.map((d) => this.shape[d]!), dims.map((d) => this.strides[d]!), this.offset);
  }

  /** PyTorch's `t[i]` along one dim: drops the dim. */
  select(dim: number, index: number): Layout {
    const d = normalizeDim(dim, this.ndim);
    const size = this.shape[d]!;
    if (index < -size || index >= size || !Number.isInteger(index)) {
      throw new IndexError(`index ${index} is out of bounds for dimension ${d} with size ${size}`);
    }
    const i = index < 0 ? index + size : index;
    return new Layout(
      this.shape.filter((_, k) => k !== d),
      this.strides.filter((_, k) => k !== d),
      this.offset + i * this.strides[d]!,
    );
  }

  /** PyTorch's `t[start:end:step]` along one dim, with Python's clamping of start and end. */
  slice(dim: number, start = 0, end = Infinity, step = 1): Layout {
    const d = normalizeDim(dim, this.ndim);
    if (!(step > 0) || !Number.isInteger(step)) throw new ShapeError("slice step must be positive");
    const size = this.shape[d]!;
    const clampIdx = (i: number) => Math.min(Math.max(i < 0 ? i + size : i, 0), size);
    const s = clampIdx(start), e = Math.max(clampIdx(end), s);
    const shape = [...this.shape], strides = [...this.strides];
    shape[d] = Math.ceil((e - s) / step);
    strides[d] = this.strides[d]! * step;
    return new Layout(shape, strides, this.offset + s * this.strides[d]!);
  }

  /** Inserts a size-1 dim at `dim` (which may equal ndim). */
  unsqueeze(dim: number): Layout {
    const d = normalizeDim(dim, this.ndim + 1);
    const shape = [...this.shape], strides = [...this.strides];
    const stride = d < this.ndim ? this.shape[d]! * this.strides[d]! : 1;
    shape.splice(d, 0, 1);
    strides.splice(d, 0, stride);
    return new Layout(shape, strides, this.offset);
  }

  /** Removes size-1 dims (all of them, or the given one if it has size 1). */
  squeeze(dim?: number): Layout {
    const d = dim === undefined ? -1 : normalizeDim(dim, this.ndim);
    const keep = (size: number, k: number) => (d === -1 ? size !== 1 : k !== d || size !== 1);
    return new Layout(
      this.shape.filter(keep),
      this.strides.filter((_, k) => keep(this.shape[k]!, k)),
      this.offset,
    );
  }

  /** Broadcasts size-1 dims (stride 0) and prepends new ones; -1 keeps a size. */
  expand(shape: Shape): Layout {
    if (sameShape(shape, this.shape)) return this;
    // a scalar broadcast (every binary op with a number) needs no checks
    if (this.shape.length === 0 && shape.every((s) => s >= 0)) return new Layout(shape, new Array<number>(shape.length).fill(0), this.offset);
    const lead = shape.length - this.ndim;
    if (lead < 0) {
      throw new ShapeError(
        `expand: the number of sizes provided (${shape.length}) must be greater or equal to the number of dimensions in the tensor (${this.ndim})`,
      );
    }
    const outShape: number[] = [], outStrides: number[] = [];
    for (let i = 0; i < shape.length; i++) {
      const want = shape[i]!;
      if (i < lead) { outShape.push(want); outStrides.push(0); continue; }
      const have = this.shape[i - lead]!;
      if (want === -1 || want === have) { outShape.push(have); outStrides.push(this.strides[i - lead]!); continue; }
      if (have !== 1) {
        throw new ShapeError(
          `The expanded size of the tensor (${want}) must match the existing size (${have}) at non-singleton dimension ${i}.  Target sizes: ${showShape(shape)}.  Tensor sizes: ${showShape(this.shape)}`,
        );
      }
      outShape.push(want); outStrides.push(0);
    }
    return new Layout(outShape, outStrides, this.offset);
  }

  /**
   * A view with a new shape, or null when the strides cannot express it without a copy
   * (PyTorch's computeStride: dims may merge only where memory is contiguous).
   */
  view(shape: Shape): Layout | null {
    if (this.isContiguous) return new Layout(shape, contiguousStrides(shape), this.offset);
    const newStrides = new Array<number>(shape.length);
    let viewD = shape.length - 1;
    let chunkBase = this.strides[this.ndim - 1] ?? 1;
    let tensorNumel = 1, viewNumel = 1;
    for (let d = this.ndim - 1; d >= 0; d--) {
      tensorNumel *= this.shape[d]!;
      if (d === 0 || (this.shape[d - 1] !== 1 && this.strides[d - 1] !== tensorNumel * chunkBase)) {
        while (viewD >= 0 && (viewNumel < tensorNumel || shape[viewD] === 1)) {
          newStrides[viewD] = viewNumel * chunkBase;
          viewNumel *= shape[viewD]!;
          viewD--;
        }
        if (viewNumel !== tensorNumel) return null;
        if (d > 0) { chunkBase = this.strides[d - 1]!; tensorNumel = 1; viewNumel = 1; }
      }
    }
    if (viewD !== -1) return null;
    return new Layout(shape, newStrides, this.offset);
  }

  /** Resolves one -1 in a requested shape against this layout's element count. */
  inferShape(shape: Shape): number[] {
    const out = [...shape];
    const unknown = out.indexOf(-1);
    const known = out.reduce((p, d) => (d === -1 ? p : p * d), 1);
    if (unknown >= 0 && out.indexOf(-1, unknown + 1) >= 0) throw new ShapeError("only one dimension can be inferred");
    if (unknown >= 0 && known !== 0 && this.numel % known === 0) out[unknown] = this.numel / known;
    if (out.some((d) => d < 0 || !Number.isInteger(d)) || numelOf(out) !== this.numel) {
      throw new ShapeError(`shape '${showShape(shape)}' is invalid for input of size ${this.numel}`);
    }
    return out;
  }

  /** Storage index of every element in row-major order (the one stride walker). */
  indices(): Int32Array | Float64Array {
    const n = this.numel;
    const out = n < 2 ** 31 ? new Int32Array(n) : new Float64Array(n);
    const nd = this.ndim;
    if (nd === 0) { if (n) out[0] = this.offset; return out; }
    const shape = this.shape, strides = this.strides;
    const idx = new Array<number>(nd).fill(0);
    let pos = this.offset;
    const last = nd - 1, lastSize = shape[last]!, lastStride = strides[last]!;
    for (let i = 0; i < n; ) {
      for (let j = 0; j < lastSize; j++) out[i++] = pos + j * lastStride;
      // carry into the outer dims
      let d = last - 1;
      while (d >= 0) {
        idx[d]!++;
        pos += strides[d]!;
        if (idx[d]! < shape[d]!) break;
        pos -= strides[d]! * shape[d]!;
        idx[d] = 0;
        d--;
      }
      if (d < 0) break;
    }
    return out;
  }
}

/**
 * The dims of `shape` with size-1 dims dropped and neighbours merged where every list of
 * `strides` (one per operand laid over this shape) steps through both as one, as PyTorch's
 * TensorIterator coalesces them; outermost first. Whether two dims merge depends only on that
 * pair, so the result is the same from whichever end one starts.
 */
export function coalesceDims(shape: Shape, strides: readonly (readonly number[])[]): { sizes: number[]; strides: number[][] } {
  const sizes: number[] = [], merged = strides.map((): number[] => []);
  for (let d = 0; d < shape.length; d++) {
    const size = shape[d]!, g = sizes.length - 1;
    if (size === 1) continue;
    let joins = g >= 0;
    for (let j = 0; joins && j < strides.length; j++) joins = merged[j]![g] === strides[j]![d]! * size;
    if (joins) sizes[g]! *= size;
    else sizes.push(size);
    for (let j = 0; j < strides.length; j++) merged[j]![sizes.length - 1] = strides[j]![d]!;
  }
  return { sizes, strides: merged };
}
