// Layer norm's forward and backward on the WebAssembly SIMD kernels (assembly/norm.ts), float32
// only. Operands that are not resident are copied into the staging area, as the GEMM's are; the
// results are copied out. The kernels give the TypeScript reference's bits (src/backend/cpu/norm.ts).
import { operandArea, residentPtr } from "./matmul.ts";

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
  return { y: mem.slice(sy / 4, sy / 4 + n), mean: f64.slice(sm / 8, sm / 8 + rows), rstd: f64.slice(sr / 8, sr / 8 + rows) };
}

/** Layer norm's backward over contiguous float32 operands (Backend.layerNormBackward). */
export function wasmLayerNormBackward(
  g: Float32Array, x: Float32Array, rows: number, cols: number, mean: Float64Array, rstd: Float64Array,
  weight: Float32Array | null, gradInput: boolean, params: boolean,
): { dx: Float32Array | null; dWeight: Float32Array | null; dBias: Float32Array | null } {
  const n = rows * cols;
  const sizes = [4 * n, 4 * n, gradInput ? 4 * n : 0, 8 * rows, 8 * rows, weight ? 4 * cols : 0, params ? 4 * cols : 0, params ? 4 * cols : 0];
  const { inst, mem, base } = operandArea(total(sizes));
  const [sg, sx, sd, sm, sr, sw, sdw, sdb] = slots(base, sizes) as [number, number, number, number, number, number, number, number];
  const pg = place(mem, g, n, sg), px = place(mem, x, n, sx);
  const pw = weight ? place(mem, weight, cols, sw) : 0;
  const f64 = new Float64Array(mem.buffer, mem.byteOffset, mem.length >> 1);
  f64.set(mean, sm / 8);
  f64.set(rstd, sr / 8);
  if (params) mem.fill(0, sdw / 4, sdb / 4 + cols);
  inst.exports.layerNormBackward(gradInput ? sd : 0, params ? sdw : 0, params ? sdb : 0, pg, px, sm, sr, pw, rows, cols);
  return {
    dx: gradInput ? mem.slice(sd / 4, sd / 4 + n) : null,
    dWeight: params ? mem.slice(sdw / 4, sdw / 4 + cols) : null,
    dBias: params ? mem.slice(sdb / 4, sdb / 4 + cols) : null,
  };
}
