// The convolution's im2col and col2im on the WebAssembly kernels (assembly/conv.ts). The columns are
// the GEMM's operand: when the caller's column buffer is resident (ops/conv.ts keeps its scratch
// in the backend's memory) im2col writes it and col2im reads it in place, so the 19 MB of a
// [8, 64, 32, 32] 3×3 convolution's columns never cross between V8's heap and wasm memory.
import type { Window2d } from "../backend.ts";
import { operandArea, parallelPass, passChunks, residentPtr } from "./matmul.ts";
import { sliceOf, transientFloats } from "./heap.ts";

/** [lo, hi) ranges cutting `count` into `parts` near-equal pieces (none empty). */
function ranges(count: number, parts: number): [number, number][] {
  const out: [number, number][] = [], p = Math.min(parts, count);
  for (let k = 0; k < p; k++) out.push([Math.floor((k * count) / p), Math.floor(((k + 1) * count) / p)]);
  return out;
}

const align = (bytes: number) => Math.ceil(bytes / 64) * 64;
/** Bytes of the window record at the start of the staging area (14 int32s). */
const WIN = 64;

function writeWindow(mem: Float32Array, at: number, g: Window2d): void {
  const ints = new Int32Array(mem.buffer, at, 14);
  ints.set([g.n, g.c, g.h, g.w, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.oh, g.ow]);
}

/** Elements of the columns of `g`: [c·kh·kw, n·oh·ow]. */
const colsSize = (g: Window2d) => g.c * g.kh * g.kw * g.n * g.oh * g.ow;

/**
 * Contiguous float32 x [n, c, h, w] (from its first element) → columns [c·kh·kw, n·oh·ow], written
 * into `out` (in place when it is resident, else staged and copied) or a new array.
 */
export function wasmIm2col(x: Float32Array, g: Window2d, out?: Float32Array): Float32Array {
  const size = colsSize(g), xn = g.n * g.c * g.h * g.w;
  out ??= transientFloats(size) ?? undefined;
  const rx = residentPtr(x), ro = out === undefined ? -1 : residentPtr(out);
  const xBytes = rx < 0 ? align(4 * xn) : 0, oBytes = ro < 0 ? align(4 * size) : 0;
  const { mem, base } = operandArea(WIN + xBytes + oBytes);
  writeWindow(mem, base, g);
  const px = rx >= 0 ? rx : base + WIN, po = ro >= 0 ? ro : base + WIN + xBytes;
  if (rx < 0) mem.set(x.length === xn ? x : x.subarray(0, xn), px / 4);
  // both threads take channel ranges of a large one
  parallelPass("im2col", ranges(g.c, passChunks(size)).map(([c0, c1]) => [px, base, po, c0, c1]));
  if (ro >= 0) return out!;
  const res = out ?? new Float32Array(size);
  res.set(mem.subarray(po / 4, po / 4 + size));
  return res;
}

/** Columns [c·kh·kw, n·oh·ow] → a new [n, c, h, w] array, each cell the sum of the columns that read it (the reference's order and bits). */
export function wasmCol2im(cols: Float32Array, g: Window2d): Float32Array {
  const size = colsSize(g), xn = g.n * g.c * g.h * g.w;
  const rc = residentPtr(cols), cBytes = rc < 0 ? align(4 * size) : 0;
  const { mem, base } = operandArea(WIN + cBytes + align(4 * xn));
  writeWindow(mem, base, g);
  const out = transientFloats(xn);
  const pc = rc >= 0 ? rc : base + WIN, po = out?.byteOffset ?? base + WIN + cBytes;
  if (rc < 0) mem.set(cols.length === size ? cols : cols.subarray(0, size), pc / 4);
  parallelPass("col2im", ranges(g.c, passChunks(size)).map(([c0, c1]) => [pc, base, po, c0, c1]));
  return out ?? sliceOf(mem, po / 4, po / 4 + xn);
}

/**
 * Contiguous float32 x [a, b, l] → [b, a, l], plus bias[i] on row block i when given (Backend.swapLeading):
 * into `out` (in place when it is resident, else staged and copied) or a new array.
 */
export function wasmSwapLeading(x: Float32Array, a: number, b: number, l: number, bias: Float32Array | null, out?: Float32Array): Float32Array {
  const n = a * b * l;
  out ??= transientFloats(n) ?? undefined;
  const rx = residentPtr(x), ro = out === undefined ? -1 : residentPtr(out);
  const rb = bias === null ? 0 : residentPtr(bias);
  const xBytes = rx < 0 ? align(4 * n) : 0, bBytes = bias !== null && rb < 0 ? align(4 * a) : 0, oBytes = ro < 0 ? align(4 * n) : 0;
  const { mem, base } = operandArea(xBytes + bBytes + oBytes);
  const px = rx >= 0 ? rx : base, pb = bias === null ? 0 : rb >= 0 ? rb : base + xBytes, po = ro >= 0 ? ro : base + xBytes + bBytes;
  if (rx < 0) mem.set(x.length === n ? x : x.subarray(0, n), px / 4);
  if (bias !== null && rb < 0) mem.set(bias.length === a ? bias : bias.subarray(0, a), pb / 4);
  parallelPass("swapLeading", ranges(a, passChunks(n)).map(([i0, i1]) => [px, a, b, l, pb, po, i0, i1]));
  if (ro >= 0) return out!;
  if (out === undefined) return sliceOf(mem, po / 4, po / 4 + n);
  out.set(mem.subarray(po / 4, po / 4 + n));
  return out;
}
