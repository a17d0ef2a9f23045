/**
 * Indexing CPU kernels. Every indexing op reduces to storage offsets: an index tensor becomes
 * `offset + k·stride` per element (checked against its dim's size before anything is written), and
 * a gather or a scatter walks `outer × mid × inner` offset sums, so one pair of loops serves
 * `x[idx]`, `index_select`, `gather`, `take`, `index_put_`, `scatter_`, `index_add_` and their
 * gradients. Offsets are Int32Array (Float64Array beyond 2^31 elements).
 */
import type { DType, TypedArray } from "../../core/dtype.ts";
import type { Layout } from "../../core/layout.ts";
import { assertNever, type Offsets, type PutOp } from "../backend.ts";

const LIMIT = 2 ** 31;
/** Which int32 half of an int64 holds the low bits on this machine. */
const LO = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 0 : 1, HI = 1 - LO;

function offsetsArray(n: number, big: boolean): Offsets {
  return big ? new Float64Array(n) : new Int32Array(n);
}

/** Storage index of each element of a layout in row-major order, or null when that is offset + i. */
function positions(l: Layout): Int32Array | Float64Array | null {
  return l.isContiguous ? null : l.indices();
}

/**
 * `base[i] + k·stride` for each index k of `index` (int64 or int32, read through `layout`), k
 * wrapped from the end when negative and `wrapNegative`; or, when a k is out of range, the
 * row-major position of the first such index.
 */
export function indexOffsetsKernel(
  index: TypedArray, layout: Layout, size: number, stride: number, base: Offsets | null, wrapNegative: boolean,
): Offsets | number {
  const n = layout.numel, pos = positions(layout), off = layout.offset;
  const out = offsetsArray(n, base instanceof Float64Array || size * Math.abs(stride) >= LIMIT);
  const lo = wrapNegative ? -size : 0;
  if (index instanceof BigInt64Array) {
    // read each int64 as two int32 halves: no BigInt per element; a value beyond ±2^31 is out of range
    const w = new Int32Array(index.buffer, index.byteOffset, index.length * 2);
    for (let i = 0; i < n; i++) {
      const e = 2 * (pos === null ? off + i : pos[i]!), k = w[e + LO]!, hi = w[e + HI]!;
      if (hi !== (k < 0 ? -1 : 0) || k < lo || k >= size) return i;
      out[i] = (base === null ? 0 : base[i]!) + (k < 0 ? k + size : k) * stride;
    }
  } else {
    const ix = index as Int32Array;
    for (let i = 0; i < n; i++) {
      const k = ix[pos === null ? off + i : pos[i]!]!;
      if (k < lo || k >= size) return i;
      out[i] = (base === null ? 0 : base[i]!) + (k < 0 ? k + size : k) * stride;
    }
  }
  return out;
}

/** The storage offsets of `target` (in row-major order) where `mask`, laid out over the same shape, is nonzero. */
export function maskedOffsetsKernel(mask: TypedArray, maskLayout: Layout, target: Layout): Offsets {
  const n = target.numel, m = mask as Uint8Array, mpos = positions(maskLayout), moff = maskLayout.offset;
  let count = 0;
  for (let i = 0; i < n; i++) if (m[mpos === null ? moff + i : mpos[i]!] !== 0) count++;
  const tpos = target.indices(), out = offsetsArray(count, tpos instanceof Float64Array);
  for (let i = 0, j = 0; i < n; i++) if (m[mpos === null ? moff + i : mpos[i]!] !== 0) out[j++] = tpos[i]!;
  return out;
}

/** Whether offsets are the run a, a+1, a+2, …. */
function isRun(o: Offsets): boolean {
  for (let k = 1; k < o.length; k++) if (o[k] !== o[0]! + k) return false;
  return true;
}

/** `out[(i·m + j)·n + k] = src[outer[i] + mid[j] + inner[k]]`. */
export function takeKernel(src: TypedArray, outer: Offsets, mid: Offsets, inner: Offsets, dtype: DType): TypedArray {
  const no = outer.length, nm = mid.length, ni = inner.length;
  const out = dtype.alloc(no * nm * ni) as Float64Array, s = src as Float64Array;
  let p = 0;
  if (ni === 1) {
    const i0 = inner[0]!;
    for (let o = 0; o < no; o++) {
      const b = outer[o]! + i0;
      for (let j = 0; j < nm; j++) out[p++] = s[b + mid[j]!]!;
    }
  } else if (isRun(inner)) {
    // whole rows (x[idx] of a row-major table): a plain copy loop, no subarray objects
    const i0 = inner[0] ?? 0;
    for (let o = 0; o < no; o++) {
      for (let j = 0; j < nm; j++) {
        const b = outer[o]! + mid[j]! + i0;
        for (let k = 0; k < ni; k++) out[p++] = s[b + k]!;
      }
    }
  } else {
    for (let o = 0; o < no; o++) {
      for (let j = 0; j < nm; j++) {
        const b = outer[o]! + mid[j]!;
        for (let k = 0; k < ni; k++) out[p++] = s[b + inner[k]!]!;
      }
    }
  }
  return out;
}

/**
 * In place, `dst[outer[i] + mid[j] + inner[k]] op= values[(i·m + j)·n + k]` in that order, so a
 * later duplicate overwrites ("set") or accumulates ("add", "mul") as PyTorch's CPU kernels do.
 * `values` has dst's array type.
 */
export function putKernel(dst: TypedArray, outer: Offsets, mid: Offsets, inner: Offsets, values: TypedArray, op: PutOp): void {
  const no = outer.length, nm = mid.length, ni = inner.length;
  const d = dst as Float64Array, v = values as Float64Array;
  let p = 0;
  switch (op) {
    case "set":
      for (let o = 0; o < no; o++) {
        for (let j = 0; j < nm; j++) {
          const b = outer[o]! + mid[j]!;
          for (let k = 0; k < ni; k++) d[b + inner[k]!] = v[p++]!;
        }
      }
      return;
    case "add":
      for (let o = 0; o < no; o++) {
        for (let j = 0; j < nm; j++) {
          const b = outer[o]! + mid[j]!;
          for (let k = 0; k < ni; k++) d[b + inner[k]!] += v[p++]!;
        }
      }
      return;
    case "mul":
      for (let o = 0; o < no; o++) {
        for (let j = 0; j < nm; j++) {
          const b = outer[o]! + mid[j]!;
          for (let k = 0; k < ni; k++) d[b + inner[k]!] *= v[p++]!;
        }
      }
      return;
    default: assertNever(op);
  }
}

/** Row-major coordinates of the nonzero elements (NaN counts as nonzero), as int64 [count, ndim]. */
export function nonzeroKernel(x: TypedArray, layout: Layout): BigInt64Array {
  const n = layout.numel, nd = layout.ndim, pos = positions(layout), off = layout.offset;
  const hit = new Uint8Array(n);
  let count = 0;
  if (x instanceof BigInt64Array) {
    const w = new Int32Array(x.buffer, x.byteOffset, x.length * 2);
    for (let i = 0; i < n; i++) {
      const e = 2 * (pos === null ? off + i : pos[i]!);
      if ((w[e]! | w[e + 1]!) !== 0) { hit[i] = 1; count++; }
    }
  } else {
    const v = x as Float64Array;
    for (let i = 0; i < n; i++) if (v[pos === null ? off + i : pos[i]!] !== 0) { hit[i] = 1; count++; }
  }
  // coordinates are below 2^31: write the low int32 half of each int64 (the high half stays 0)
  const out = new BigInt64Array(count * nd), w = new Int32Array(out.buffer), coord = new Int32Array(nd), shape = layout.shape;
  for (let i = 0, p = 0; i < n; i++) {
    if (hit[i]) for (let d = 0; d < nd; d++, p++) w[2 * p + LO] = coord[d]!;
    for (let d = nd - 1; d >= 0; d--) { if (++coord[d]! < shape[d]!) break; coord[d] = 0; }
  }
  return out;
}
