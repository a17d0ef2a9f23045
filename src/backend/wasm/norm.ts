// Layer norm's forward and backward and batch norm's per-channel kernels on the WebAssembly SIMD
// kernels (assembly/norm.ts), float32 only. Operands that are not resident are copied into the staging area, as the GEMM's are; the
// results are copied out. The kernels give the TypeScript reference's bits (src/backend/cpu/norm.ts).
import { operandArea, residentPtr } from "./matmul.ts";
import { sliceOf, transientFloats } from "./heap.ts";

/** Elements from which the SIMD kernels repay their copies. */
export const WASM_MIN_NORM = 1024;

const align = (bytes: number) => Math.ceil(bytes / 64) * 64;

/** A staging layout: consecutive 64-byte aligned slots of the given byte sizes from `base`. */
function slots(base: number, sizes: readonly number[]): number[] {
  const out: number[] = [];
  let at = base;
  for (const s of sizes) { out.push(at); at += align(s); }
  return out;
}

const total = (sizes: readonly number[]) => sizes.reduce((t, s) => t + align(s), 0);

/** Places `a` (n floats) at `at` in memory unless it is resident; returns where the kernel reads it. */
function place(mem: Float32Array, a: Float32Array, n: number, at: number): number {
  const r = residentPtr(a);
  if (r >= 0) return r;
  mem.set(a.length === n ? a : a.subarray(0, n), at / 4);
  return at;
}

/** Layer norm of contiguous float32 x [rows, cols] (Backend.layerNorm). */
export function wasmLayerNorm(
  x: Float32Array, rows: number, cols: number, weight: Float32Array | null, bias: Float32Array | null, eps: number,
): { y: Float32Array; mean: Float64Array; rstd: Float64Array } {
  const n = rows * cols;
  const sizes = [4 * n, 4 * n, 8 * rows, 8 * rows, weight ? 4 * cols : 0, bias ? 4 * cols : 0];
  const { inst, mem, base } = operandArea(total(sizes));
  const [sx, sy, sm, sr, sw, sb] = slots(base, sizes) as [number, number, number, number, number, number];
  const px = place(mem, x, n, sx);
  const pw = weight ? place(mem, weight, cols, sw) : 0, pb = bias ? place(mem, bias, cols, sb) : 0;
  inst.exports.layerNorm(sy, sm, sr, px, rows, cols, pw, pb, eps);
  const f64 = new Float64Array(mem.buffer, mem.byteOffset, mem.length >> 1);
  return { y: sliceOf(mem, sy / 4, sy / 4 + n), mean: sliceOf(f64, sm / 8, sm / 8 + rows), rstd: sliceOf(f64, sr / 8, sr / 8 + rows) };
}

/** Layer norm's backward over contiguous float32 operands (Backend.layerNormBackward). */
export function wasmLayerNormBackward(
  g: Float32Array, x: Float32Array, rows: number, cols: number, mean: Float64Array, rstd: Float64Array,
  weight: Float32Array | null, gradInput: boolean, params: boolean,
): { dx: Float32Array | null; dWeight: Float32Array | null; dBias: Float32Array | null } {
  const n = rows * cols;
  const sizes = [4 * n, 4 * n, gradInput ? 4 * n : 0, 8 * rows, 8 * rows, weight ? 4 * cols : 0, params ? 4 * cols : 0, params ? 4 * cols : 0];
  const { inst, mem, base } = operandArea(total(sizes));
  const [sg, sx, sd0, sm, sr, sw, sdw, sdb] = slots(base, sizes) as [number, number, number, number, number, number, number, number];
  const dx = gradInput ? transientFloats(n) : null, sd = dx?.byteOffset ?? sd0;
  const pg = place(mem, g, n, sg), px = place(mem, x, n, sx);
  const pw = weight ? place(mem, weight, cols, sw) : 0;
  const f64 = new Float64Array(mem.buffer, mem.byteOffset, mem.length >> 1);
  f64.set(mean, sm / 8);
  f64.set(rstd, sr / 8);
  if (params) mem.fill(0, sdw / 4, sdb / 4 + cols);
  inst.exports.layerNormBackward(gradInput ? sd : 0, params ? sdw : 0, params ? sdb : 0, pg, px, sm, sr, pw, rows, cols);
  return {
    dx: gradInput ? dx ?? sliceOf(mem, sd / 4, sd / 4 + n) : null,
    dWeight: params ? sliceOf(mem, sdw / 4, sdw / 4 + cols) : null,
    dBias: params ? sliceOf(mem, sdb / 4, sdb / 4 + cols) : null,
  };
}

/** Batch norm's per-channel statistics of contiguous float32 x [n, c, l] (Backend.channelStats). */
export function wasmChannelStats(x: Float32Array, n: number, c: number, l: number): { mean: Float64Array; varSum: Float64Array } {
  const len = n * c * l;
  const sizes = [4 * len, 8 * c, 8 * c];
  const { inst, mem, base } = operandArea(total(sizes));
  const [sx, sm, sv] = slots(base, sizes) as [number, number, number];
  const px = place(mem, x, len, sx);
  inst.exports.channelStats(sm, sv, px, n, c, l);
  const f64 = new Float64Array(mem.buffer, mem.byteOffset, mem.length >> 1);
  return { mean: sliceOf(f64, sm / 8, sm / 8 + c), varSum: sliceOf(f64, sv / 8, sv / 8 + c) };
}

/** Batch norm's transform y = x·alpha + beta per channel over contiguous float32 x [n, c, l] (Backend.channelAffine). */
export function wasmChannelAffine(x: Float32Array, n: number, c: number, l: number, alpha: Float64Array, beta: Float64Array): Float32Array {
  const len = n * c * l;
  const sizes = [4 * len, 4 * len, 8 * c, 8 * c];
  const { inst, mem, base } = operandArea(total(sizes));
  const [sx, sy, sa, sb] = slots(base, sizes) as [number, number, number, number];
  const px = place(mem, x, len, sx);
  const f64 = new Float64Array(mem.buffer, mem.byteOffset, mem.length >> 1);
  f64.set(alpha, sa / 8);
  f64.set(beta, sb / 8);
  inst.exports.channelAffine(sy, px, n, c, l, sa, sb);
  return sliceOf(mem, sy / 4, sy / 4 + len);
}

/** Batch norm's backward over contiguous float32 g and x [n, c, l] (Backend.channelNormBackward). */
export function wasmChannelNormBackward(
  g: Float32Array, x: Float32Array, n: number, c: number, l: number, mean: Float64Array, invstd: Float64Array,
  weight: Float64Array | null, training: boolean, gradInput: boolean,
): { dx: Float32Array | null; sum: Float64Array; dotp: Float64Array } {
  const len = n * c * l;
  const sizes = [4 * len, 4 * len, gradInput ? 4 * len : 0, 8 * c, 8 * c, 8 * c, 8 * c, weight ? 8 * c : 0];
  const { inst, mem, base } = operandArea(total(sizes));
  const [sg, sx, sd0, ss, sp, sm, si, sw] = slots(base, sizes) as [number, number, number, number, number, number, number, number];
  const dx = gradInput ? transientFloats(len) : null, sd = dx?.byteOffset ?? sd0;
  const pg = place(mem, g, len, sg), px = place(mem, x, len, sx);
  const f64 = new Float64Array(mem.buffer, mem.byteOffset, mem.length >> 1);
  f64.set(mean, sm / 8);
  f64.set(invstd, si / 8);
  if (weight) f64.set(weight, sw / 8);
  inst.exports.channelNormBackward(gradInput ? sd : 0, ss, sp, pg, px, n, c, l, sm, si, weight ? sw : 0, training ? 1 : 0);
  return {
    dx: gradInput ? dx ?? sliceOf(mem, sd / 4, sd / 4 + len) : null,
    sum: sliceOf(f64, ss / 8, ss / 8 + c),
    dotp: sliceOf(f64, sp / 8, sp / 8 + c),
  };
}
