// The training step's float32 elementwise passes on the WebAssembly SIMD kernels: the in-place
// update (gradient accumulation, the optimizer step), ReLU, sigmoid and tanh and their derivatives,
// exp, neg, abs and sqrt. Resident operands (heap.ts) are used in place; the others are copied into
// the staging area, as the GEMM's are. A copy runs at memcpy speed, several times faster than the
// TypeScript loop the kernel replaces, so even copy + SIMD + copy wins from a few thousand elements.
import type { UpdateOp } from "../backend.ts";
import { coalesceDims, type Layout } from "../../core/layout.ts";
import { elementwisePass, operandArea, residentPtr } from "./matmul.ts";
import { sliceOf, transientFloats } from "./heap.ts";

const UPDATE_CODES: Record<UpdateOp, number> = { add: 0, sub: 1, mul: 2, div: 3 };

/** Elements from which the SIMD kernels repay their copies (measured crossover, see bench/README.md). */
export const WASM_MIN_ELEMENTWISE = 2048;

const align = (bytes: number) => Math.ceil(bytes / 64) * 64;

/** In place `dst = dst op (alpha · src)` over `n` contiguous floats (Backend.update's contiguous case). */
export function wasmUpdate(op: UpdateOp, dst: Float32Array, src: Float32Array, n: number, alpha: number): void {
  const rd = residentPtr(dst), rs = residentPtr(src), bytes = align(4 * n);
  const { mem, base } = operandArea((rd < 0 ? bytes : 0) + (rs < 0 ? bytes : 0));
  const d = rd >= 0 ? rd : base, s = rs >= 0 ? rs : rd >= 0 ? base : base + bytes;
  if (rd < 0) mem.set(dst.length === n ? dst : dst.subarray(0, n), d / 4);
  if (rs < 0) mem.set(src.length === n ? src : src.subarray(0, n), s / 4);
  const code = UPDATE_CODES[op], scaled = alpha !== 1 ? 1 : 0;
  elementwisePass("update", n, rd >= 0 && rs >= 0, (i, c) => [code, d + 4 * i, s + 4 * i, c, alpha, scaled]);
  if (rd < 0) dst.set(mem.subarray(d / 4, d / 4 + n));
}

/** In place `dst = dst op v` over `n` contiguous floats (Backend.update by a broadcast scalar; v already rounded to float32). */
export function wasmUpdateScalar(op: UpdateOp, dst: Float32Array, n: number, v: number): void {
  const rd = residentPtr(dst);
  const { mem, base } = operandArea(rd < 0 ? align(4 * n) : 0);
  const d = rd >= 0 ? rd : base;
  if (rd < 0) mem.set(dst.length === n ? dst : dst.subarray(0, n), d / 4);
  const code = UPDATE_CODES[op];
  elementwisePass("updateScalar", n, rd >= 0, (i, c) => [code, d + 4 * i, c, v]);
  if (rd < 0) dst.set(mem.subarray(d / 4, d / 4 + n));
}

/**
 * Fills `n` floats of a resident array from element `offset` with `v` in place (zeroGrad's
 * gradients); false, changing nothing, for an array on V8's heap, where `fill` is a memset.
 */
export function wasmFillResident(dst: Float32Array, offset: number, n: number, v: number): boolean {
  const rd = residentPtr(dst);
  if (rd < 0) return false;
  const d = rd + 4 * offset;
  elementwisePass("fill", n, true, (i, c) => [d + 4 * i, c, v]);
  return true;
}

/** The activations' input gradients from their output that the kernels compute (Backend's BinaryOp names). */
export type GradFromOutput = "reluGrad" | "sigmoidGrad" | "tanhGrad";

/**
 * `op(g, y)` over `n` contiguous floats into a new array: ReLU's `y <= 0 ? 0 : g`, sigmoid's
 * `(g·(1 - y))·y`, tanh's `g·(1 - y²)` (assembly/elementwise.ts, activation.ts: the reference's bits).
 */
export function wasmGradFromOutput(op: GradFromOutput, g: Float32Array, y: Float32Array, n: number): Float32Array {
  const rg = residentPtr(g), ry = residentPtr(y), bytes = align(4 * n);
  const { inst, mem, base } = operandArea(3 * bytes);
  const out = transientFloats(n);
  const pg = rg >= 0 ? rg : base, py = ry >= 0 ? ry : base + bytes, po = out?.byteOffset ?? base + 2 * bytes;
  if (rg < 0) mem.set(g.length === n ? g : g.subarray(0, n), pg / 4);
  if (ry < 0) mem.set(y.length === n ? y : y.subarray(0, n), py / 4);
  inst.exports[op](po, pg, py, n);
  return out ?? sliceOf(mem, po / 4, po / 4 + n);
}

/** An operand as rows: element (r, c) at `off + r·sr + c`. */
export interface Rows { off: number; rows: number; cols: number; sr: number }

/** Strided rows narrower than this stay on the reference: each is staged by a call of its own. */
const MIN_STAGED_ROW = 16;

/**
 * A layout as rows the kernels walk (its dims merged as TensorIterator merges them: at most two
 * left, the inner one unit-stride, rows apart by at least their width), or null.
 */
export function rowsOf(l: Layout): Rows | null {
  const { sizes, strides: [st] } = coalesceDims(l.shape, [l.strides]);
  if (sizes.length === 0) return { off: l.offset, rows: 1, cols: 1, sr: 1 };
  if (sizes.length > 2 || st![sizes.length - 1] !== 1) return null;
  const cols = sizes[sizes.length - 1]!, rows = sizes.length === 2 ? sizes[0]! : 1, sr = sizes.length === 2 ? st![0]! : cols;
  return sr < cols || (sr !== cols && cols < MIN_STAGED_ROW) ? null : { off: l.offset, rows, cols, sr };
}

/** The unary ops of assembly/activation.ts unaryRows, by its numbers. */
export const UNARY_CODES = { sigmoid: 0, tanh: 1, exp: 2, neg: 3, abs: 4, sqrt: 5, log: 6, log2: 7, log10: 8, log1p: 9, sign: 10 } as const;
export type RowsUnary = keyof typeof UNARY_CODES;

/**
 * `op(x)` of float32 `x` laid out as `r`, into a new contiguous array: neg, abs, sign and sqrt give the
 * reference's bits, log, log2, log10 and log1p too but within 2e-12 of a rounding boundary, sigmoid, tanh
 * and exp are within 2 ulps of them (test/wasm-activation.test.ts).
 * A dense input runs on both threads from passChunks' size; strided rows (an LSTM's gates, a
 * split's views) are read in place when resident and staged row by row otherwise.
 */
export function wasmUnaryRows(op: RowsUnary, x: Float32Array, r: Rows): Float32Array {
  const { rows, cols, sr } = r, n = rows * cols, rx = residentPtr(x), bytes = align(4 * n);
  const { inst, mem, base } = operandArea((rx < 0 ? bytes : 0) + bytes);
  const out = transientFloats(n);
  const po = out?.byteOffset ?? base + (rx < 0 ? bytes : 0);
  let px = rx + 4 * r.off, sx = sr;
  if (rx < 0) {
    px = base;
    sx = cols;
    if (sr === cols) mem.set(x.subarray(r.off, r.off + n), base / 4);
    else for (let i = 0, at = r.off; i < rows; i++, at += sr) mem.set(x.subarray(at, at + cols), base / 4 + i * cols);
  }
  const code = UNARY_CODES[op];
  if (sx === cols) elementwisePass("unaryRows", n, true, (i, c) => [code, po + 4 * i, px + 4 * i, c, 1, c]);
  else inst.exports.unaryRows(code, po, px, sx, rows, cols);
  return out ?? sliceOf(mem, po / 4, po / 4 + n);
}

/** ReLU over `n` contiguous floats, into a new array. */
export function wasmRelu(x: Float32Array, n: number): Float32Array {
  const rx = residentPtr(x), bytes = align(4 * n);
  const { inst, mem, base } = operandArea(2 * bytes);
  const out = transientFloats(n);
  const px = rx >= 0 ? rx : base, po = out?.byteOffset ?? base + bytes;
  if (rx < 0) mem.set(x.length === n ? x : x.subarray(0, n), px / 4);
  inst.exports.relu(po, px, n);
  return out ?? sliceOf(mem, po / 4, po / 4 + n);
}

/** The column sums of a contiguous rows x cols float32 matrix (a bias gradient), summed in float64 as the reference does, into a new array. */
export function wasmSumRows(x: Float32Array, rows: number, cols: number): Float32Array {
  const n = rows * cols, rx = residentPtr(x), bytes = align(4 * n);
  const { inst, mem, base } = operandArea((rx < 0 ? bytes : 0) + align(4 * cols));
  const px = rx >= 0 ? rx : base, po = base + (rx < 0 ? bytes : 0);
  if (rx < 0) mem.set(x.length === n ? x : x.subarray(0, n), px / 4);
  inst.exports.sumRows(po, px, rows, cols);
  return sliceOf(mem, po / 4, po / 4 + cols);
}

/** Places `a` (n floats) at `at` in memory unless it is resident; returns where the kernel reads it. */
function place(mem: Float32Array, a: Float32Array, n: number, at: number): number {
  const r = residentPtr(a);
  if (r >= 0) return r;
  mem.set(a.length === n ? a : a.subarray(0, n), at / 4);
  return at;
}

/** GELU (exact form) over `n` contiguous floats, into a new array (assembly/activation.ts: within a few ulps of the reference). */
export function wasmGelu(x: Float32Array, n: number): Float32Array {
  const bytes = align(4 * n);
  const { mem, base } = operandArea(2 * bytes);
  const out = transientFloats(n);
  const px = place(mem, x, n, base), po = out?.byteOffset ?? base + bytes;
  elementwisePass("gelu", n, true, (i, c) => [po + 4 * i, px + 4 * i, c]);
  return out ?? sliceOf(mem, po / 4, po / 4 + n);
}

/** `g · GELU'(x)` over `n` contiguous floats, into a new array. */
export function wasmGeluBackward(g: Float32Array, x: Float32Array, n: number): Float32Array {
  const bytes = align(4 * n);
  const { mem, base } = operandArea(3 * bytes);
  const out = transientFloats(n);
  const pg = place(mem, g, n, base), px = place(mem, x, n, base + bytes), po = out?.byteOffset ?? base + 2 * bytes;
  elementwisePass("geluBackward", n, true, (i, c) => [po + 4 * i, pg + 4 * i, px + 4 * i, c]);
  return out ?? sliceOf(mem, po / 4, po / 4 + n);
}

/** nn's activations of assembly/activation-ops.ts, by its numbers. */
export const ACTIVATION_CODES = {
  silu: 0, geluTanh: 1, leakyRelu: 2, hardtanh: 3, hardsigmoid: 4, hardswish: 5, threshold: 6, elu: 7, mish: 8,
} as const;
export type KernelActivation = keyof typeof ACTIVATION_CODES;
/** ELU's gradient from its result (the in-place forms), a code of its own. */
const ELU_FROM_RESULT = 9;

/**
 * Whether a pass computes enough per element (an exp) to repay the helper's half crossing between
 * the cores; the selects and products of the others run at copy speed on this thread.
 */
const sharedActivation = (op: KernelActivation) => op === "silu" || op === "geluTanh" || op === "elu" || op === "mish";

/**
 * The kernel's three scalars from Backend.activation's params (leakyRelu [slope], hardtanh
 * [min, max], threshold [threshold, value], elu [α, scale, input scale]), rounded to float32 as the
 * reference rounds them; ELU's first is α·scale rounded, the factor below 0.
 */
function scalars(op: KernelActivation, params: readonly number[]): [number, number, number] {
  const [a = 0, b = 0, c = 0] = params.map(Math.fround);
  return op === "elu" ? [Math.fround(a * b), b, c] : [a, b, c];
}

/**
 * `op(x; params)` over `n` contiguous floats, into a new array: SiLU, GELU's tanh form, ELU and
 * Mish within 2 ulps of the reference, the others its bits (test/wasm-activation.test.ts).
 * ELU needs an input scale above 0 (CELU's 1/α).
 */
export function wasmActivation(op: KernelActivation, x: Float32Array, n: number, params: readonly number[]): Float32Array {
  const bytes = align(4 * n);
  const { mem, base } = operandArea(2 * bytes);
  const out = transientFloats(n);
  const px = place(mem, x, n, base), po = out?.byteOffset ?? base + bytes, [a, b, c] = scalars(op, params);
  elementwisePass("activationOp", n, sharedActivation(op), (i, k) => [ACTIVATION_CODES[op], po + 4 * i, px + 4 * i, k, a, b, c]);
  return out ?? sliceOf(mem, po / 4, po / 4 + n);
}

/**
 * `g · op'(s; params)` over `n` contiguous floats into a new array, `s` the activation's input, or
 * its result where `fromResult` (which changes only ELU's formula).
 */
export function wasmActivationBackward(
  op: KernelActivation, g: Float32Array, s: Float32Array, n: number, params: readonly number[], fromResult = false,
): Float32Array {
  const bytes = align(4 * n);
  const { mem, base } = operandArea(3 * bytes);
  const out = transientFloats(n);
  const pg = place(mem, g, n, base), ps = place(mem, s, n, base + bytes), po = out?.byteOffset ?? base + 2 * bytes;
  const [a, b, c] = scalars(op, params), code = op === "elu" && fromResult ? ELU_FROM_RESULT : ACTIVATION_CODES[op];
  elementwisePass("activationOpBackward", n, sharedActivation(op), (i, k) => [code, po + 4 * i, pg + 4 * i, ps + 4 * i, k, a, b, c]);
  return out ?? sliceOf(mem, po / 4, po / 4 + n);
}

/** Softmax or log-softmax of each row of contiguous float32 x [rows, cols], into a new array. */
export function wasmSoftmax(x: Float32Array, rows: number, cols: number, log: boolean): Float32Array {
  const n = rows * cols, bytes = align(4 * n);
  const { inst, mem, base } = operandArea(2 * bytes);
  const out = transientFloats(n);
  const px = place(mem, x, n, base), po = out?.byteOffset ?? base + bytes;
  inst.exports.softmax(po, px, rows, cols, log ? 1 : 0);
  return out ?? sliceOf(mem, po / 4, po / 4 + n);
}

/** softmax's or log-softmax's input gradient from g and y (contiguous float32 [rows, cols]), into a new array. */
export function wasmSoftmaxBackward(g: Float32Array, y: Float32Array, rows: number, cols: number, log: boolean): Float32Array {
  const n = rows * cols, bytes = align(4 * n);
  const { inst, mem, base } = operandArea(3 * bytes);
  const out = transientFloats(n);
  const pg = place(mem, g, n, base), py = place(mem, y, n, base + bytes), po = out?.byteOffset ?? base + 2 * bytes;
  inst.exports.softmaxBackward(po, pg, py, rows, cols, log ? 1 : 0);
  return out ?? sliceOf(mem, po / 4, po / 4 + n);
}
