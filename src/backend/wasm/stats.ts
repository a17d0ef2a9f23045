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
