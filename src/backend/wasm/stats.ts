// Streamed statistics on the SIMD kernel (assembly/stats.ts): a float32 chunk resident in wasm
// memory (a hostFloats buffer the file was read into) is used in place, any other is copied into
// the staging area first; the records come back through the staging area.
import { STATS_RECORD } from "../cpu/stats.ts";
import { operandArea, residentPtr, wasmResidentFloats } from "./matmul.ts";

const align = (bytes: number) => Math.ceil(bytes / 64) * 64;

/** Records of a float32 chunk, block by block (Backend.blockStats). */
export function wasmBlockStats(values: Float32Array, blockSize: number, out: Float64Array): void {
  const n = values.length, blocks = Math.ceil(n / blockSize), rx = residentPtr(values);
  const inBytes = rx < 0 ? align(4 * n) : 0;
  const { inst, mem, base } = operandArea(inBytes + 8 * STATS_RECORD * blocks);
  const px = rx >= 0 ? rx : base, po = base + inBytes;
  if (rx < 0) mem.set(values, px / 4);
  inst.exports.blockStats(px, n, blockSize, po);
  out.set(new Float64Array(mem.buffer, po, STATS_RECORD * blocks));
}

/** `n` floats in wasm memory, uninitialized (a plain array where the memory cannot hold them). */
export function wasmHostFloats(n: number): Float32Array {
  return wasmResidentFloats(n, false) ?? new Float32Array(n);
}

/** Histogram counts of a float32 chunk (Backend.histogram): i32 counts in the staging area, added here times `weight`. */
export function wasmHistogram(values: Float32Array, lo: number, width: number, counts: number[], weight: number): void {
  const n = values.length, bins = counts.length, rx = residentPtr(values);
  const inBytes = rx < 0 ? align(4 * n) : 0;
  const { inst, mem, base } = operandArea(inBytes + 4 * (bins + 1));
  const px = rx >= 0 ? rx : base, pc = base + inBytes;
  if (rx < 0) mem.set(values, px / 4);
  const got = new Int32Array(mem.buffer, pc, bins + 1);
  got.fill(0);
  inst.exports.histogram(px, n, lo, width, bins, pc);
  for (let b = 0; b < bins; b++) if (got[b] !== 0) counts[b]! += got[b]! * weight;
}

/** Heat-map cells of a float32 chunk (Backend.cellSums): the sums and counts go through the staging area. */
export function wasmCellSums(
  values: Float32Array, cols: number, row: number, col: number, br: number, bc: number, c: number, sum: Float64Array, cnt: Float64Array,
): void {
  const n = values.length, cells = sum.length, rx = residentPtr(values);
  const inBytes = rx < 0 ? align(4 * n) : 0;
  const { inst, mem, base } = operandArea(inBytes + 16 * cells);
  const px = rx >= 0 ? rx : base, ps = base + inBytes, pn = ps + 8 * cells;
  if (rx < 0) mem.set(values, px / 4);
  const s = new Float64Array(mem.buffer, ps, cells), k = new Float64Array(mem.buffer, pn, cells);
  s.set(sum);
  k.set(cnt);
  inst.exports.cellSums(px, n, cols, row, col, br, bc, c, ps, pn);
  sum.set(s);
  cnt.set(k);
}

/** The difference of two float32 chunks of one length (Backend.diffStats); resident chunks are read in place. */
export function wasmDiffStats(a: Float32Array, b: Float32Array, out: Float64Array): void {
  const n = a.length, ra = residentPtr(a), rb = residentPtr(b), bytes = align(4 * n);
  const { inst, mem, base } = operandArea((ra < 0 ? bytes : 0) + (rb < 0 ? bytes : 0) + 64);
  const pa = ra >= 0 ? ra : base, pb = rb >= 0 ? rb : ra >= 0 ? base : base + bytes;
  const po = base + (ra < 0 ? bytes : 0) + (rb < 0 ? bytes : 0);
  if (ra < 0) mem.set(a, pa / 4);
  if (rb < 0) mem.set(b, pb / 4);
  inst.exports.diffStats(pa, pb, n, po);
  out.set(new Float64Array(mem.buffer, po, 6));
}
