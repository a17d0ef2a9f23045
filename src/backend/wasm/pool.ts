// Max pooling on the WebAssembly SIMD kernel (assembly/pool.ts), float32 only: the input is copied
// into the staging area unless it is resident, the values and indices copied out. The reference's
// values and indices (backend/cpu/conv.ts maxPool2dKernel).
import type { PoolResult, Window2d } from "../backend.ts";
import { operandArea, residentPtr } from "./matmul.ts";
import { sliceOf } from "./heap.ts";

/** Outputs from which the kernel repays its copies. */
export const WASM_MIN_POOL = 1024;

const align = (bytes: number) => Math.ceil(bytes / 64) * 64;
/** Bytes of the window record at the start of the staging area (14 int32s, as wasm/conv.ts). */
const WIN = 64;

/**
 * The kernel's scratch plane: the input plane inside a -Infinity border wide enough for every
 * window (a ceil-mode window may reach past the far edge) and for the four-lane reads of a row's
 * last outputs (a stride-2 read loads eight floats).
 */
function scratchPlane(g: Window2d): { rows: number; cols: number } {
  const rows = Math.max(g.h + g.ph, (g.oh - 1) * g.sh + (g.kh - 1) * g.dh + 1);
  const cols = Math.max(g.w + g.pw, (g.ow - 1) * g.sw + (g.kw - 1) * g.dw + 1) + 4 * g.sw;
  return { rows, cols };
}

/** Max pooling of contiguous float32 planes [n·c, h, w] (Backend.maxPool2d). */
export function wasmMaxPool2d(x: Float32Array, g: Window2d): PoolResult {
  const xn = g.n * g.c * g.h * g.w, on = g.n * g.c * g.oh * g.ow, plane = scratchPlane(g);
  const rx = residentPtr(x), xBytes = rx < 0 ? align(4 * xn) : 0, oBytes = align(4 * on);
  const { inst, mem, base } = operandArea(WIN + xBytes + 2 * oBytes + align(4 * plane.rows * plane.cols));
  new Int32Array(mem.buffer, base, 14).set([g.n, g.c, g.h, g.w, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.oh, g.ow]);
  const px = rx >= 0 ? rx : base + WIN, pv = base + WIN + xBytes, pi = pv + oBytes, ps = pi + oBytes;
  if (rx < 0) mem.set(x.length === xn ? x : x.subarray(0, xn), px / 4);
  inst.exports.maxPool2d(px, base, pv, pi, ps, plane.rows, plane.cols);
  return { values: sliceOf(mem, pv / 4, pv / 4 + on), indices: sliceOf(new Int32Array(mem.buffer, pi, on), 0, on) };
}
