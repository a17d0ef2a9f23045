/**
 * The WebAssembly backend: the reference TypeScript kernels, with float32 matmul and linear on the
 * SIMD kernels of ./wasm when the product is large enough to repay copying into wasm memory.
 */
import { bool, float32, type DType, type TypedArray } from "../core/dtype.ts";
import { Layout } from "../core/layout.ts";
import type { ActivationOp, AdamScalars, Backend, SgdScalars, BinaryOp, PoolResult, ReduceOp, UnaryOp, UpdateOp, Window2d } from "./backend.ts";
import { cpuBackend } from "./cpu/index.ts";
import { batchOffsets, matmulAccumulateKernel } from "./cpu/matmul.ts";
import { sumRowsAccumulateKernel } from "./cpu/reduce.ts";
import {
  COMPARE_CODES, planBinary, wasmBinary, wasmCompare, wasmLogic, wasmWhere, wasmWhereScalar, type ArithmeticOp, type CompareOp,
} from "./wasm/binary.ts";
import { wasmCol2im, wasmIm2col, wasmSwapLeading } from "./wasm/conv.ts";
import {
  ACTIVATION_CODES, UNARY_CODES, WASM_MIN_ELEMENTWISE, rowsOf, type KernelActivation, type RowsUnary, wasmActivation, wasmActivationBackward, wasmGelu, wasmGeluBackward, wasmGradFromOutput, wasmRelu, wasmSoftmax, wasmSoftmaxBackward, wasmUnaryRows, wasmSumRows,
  wasmUpdate, wasmUpdateScalar, wasmFillResident,
} from "./wasm/elementwise.ts";
import { residentPtr, wasmMatmul, wasmMatmulBatched, wasmResidentFloats } from "./wasm/matmul.ts";
import {
  evictFloats, forgetTransients, growResidentBudget, releaseTransients, residentFull, setTransientMode, transientBlock, transientCount, transientFloats, wasmMemoryShared,
} from "./wasm/heap.ts";
import { wasmSimdSupported } from "./wasm/module.ts";
import { wasmBlockStats, wasmCellSums, wasmDiffStats, wasmHistogram, wasmHostFloats } from "./wasm/stats.ts";
import { WASM_MIN_NORM, wasmChannelAffine, wasmChannelNormBackward, wasmChannelStats, wasmLayerNorm, wasmLayerNormBackward } from "./wasm/norm.ts";
import { wasmAdamStep, wasmSgdStep } from "./wasm/optim.ts";
import { WASM_MIN_POOL, wasmMaxPool2d } from "./wasm/pool.ts";

/** Products below this many multiply-adds stay on the TypeScript kernel (measured crossover). */
export const WASM_MIN_MACS = 4096;
/**
 * The same for a linear layer whose weight lives in wasm memory: no weight copy to repay (measured,
 * batch 1: 256 -> 10 took 6.0 µs on the TypeScript kernel and 1.5 µs here, 64 -> 16 4.2 and 2.2;
 * 8 -> 64, 512 multiply-adds, 2.0 and 3.6).
 */
const WASM_MIN_MACS_RESIDENT = 1024;

/** A 2-D operand as the kernel takes it: rows (or, transposed, columns) at stride `ld`, unit steps within. */
interface Matrix { buf: Float32Array; trans: boolean; ld: number }

function asMatrix(data: Float32Array, l: Layout): Matrix;
function asMatrix(data: Float32Array, l: Layout, copy: false): Matrix | null;
/** `copy` false: null instead of copying an operand the kernel cannot read as it is. */
function asMatrix(data: Float32Array, l: Layout, copy = true): Matrix | null {
  const rows = l.shape[l.ndim - 2]!, cols = l.shape[l.ndim - 1]!;
  const rs = l.strides[l.ndim - 2]!, cs = l.strides[l.ndim - 1]!;
  // a row-major view (possibly with padded rows), or the transpose of one, runs without a copy
  if ((cs === 1 || cols === 1) && rs >= cols) return { buf: data.subarray(l.offset), trans: false, ld: rows === 1 ? cols : rs };
  if ((rs === 1 || rows === 1) && cs >= rows) return { buf: data.subarray(l.offset), trans: true, ld: cols === 1 ? rows : cs };
  if (!copy) return null;
  return { buf: cpuBackend.cast(data, l, float32, float32) as Float32Array, trans: false, ld: cols };
}

function matmul(a: TypedArray, la: Layout, b: TypedArray, lb: Layout, out: DType): TypedArray {
  const nd = la.ndim, m = la.shape[nd - 2]!, k = la.shape[nd - 1]!, n = lb.shape[nd - 1]!;
  if (out !== float32 || m * n * k < WASM_MIN_MACS) return cpuBackend.matmul(a, la, b, lb, out);
  const offA = batchOffsets(la), offB = batchOffsets(lb);
  if (offA.length > 1) {
    // one call for the whole batch when every matrix runs without a copy (the strides are shared)
    const A = asMatrix(a as Float32Array, new Layout([m, k], la.strides.slice(nd - 2), offA[0]!), false);
    const B = asMatrix(b as Float32Array, new Layout([k, n], lb.strides.slice(nd - 2), offB[0]!), false);
    if (A !== null && B !== null) {
      return wasmMatmulBatched(a as Float32Array, offA, b as Float32Array, offB, m, k, n, { transA: A.trans, transB: B.trans, lda: A.ld, ldb: B.ld });
    }
  }
  const res = transientFloats(offA.length * m * n) ?? new Float32Array(offA.length * m * n);
  for (let t = 0; t < offA.length; t++) {
    const A = asMatrix(a as Float32Array, new Layout([m, k], la.strides.slice(nd - 2), offA[t]!));
    const B = asMatrix(b as Float32Array, new Layout([k, n], lb.strides.slice(nd - 2), offB[t]!));
    wasmMatmul(A.buf, B.buf, m, k, n, {
      transA: A.trans, transB: B.trans, lda: A.ld, ldb: B.ld, out: res.subarray(t * m * n, (t + 1) * m * n),
    });
  }
  return res;
}

function linear(
  x: TypedArray, lx: Layout, w: TypedArray, lw: Layout, b: TypedArray | null, lb: Layout | null, out: DType, relu = false,
): TypedArray {
  const [m, k] = lx.shape as [number, number], n = lw.shape[0]!;
  // a resident weight costs no copy, so the kernel repays its call from a smaller product
  const least = w instanceof Float32Array && residentPtr(w) >= 0 ? WASM_MIN_MACS_RESIDENT : WASM_MIN_MACS;
  if (out !== float32 || m * n * k < least) return cpuBackend.linear(x, lx, w, lw, b, lb, out, relu);
  const X = asMatrix(x as Float32Array, lx);
  // x @ wᵀ: the weight [n, k] is the right operand transposed
  const W = asMatrix(w as Float32Array, lw);
  const bias = b === null || lb === null ? null : contiguousRow(b as Float32Array, lb);
  return wasmMatmul(X.buf, W.buf, m, k, n, { transA: X.trans, transB: !W.trans, lda: X.ld, ldb: W.ld, bias, relu });
}

/** A 1-D float32 operand as unit-stride values: a view when it is one (a resident bias stays resident), else a copy. */
function contiguousRow(data: Float32Array, l: Layout): Float32Array {
  const n = l.shape[0]!;
  if (l.strides[0] === 1 || n === 1) return l.offset === 0 && data.length === n ? data : data.subarray(l.offset, l.offset + n);
  return cpuBackend.cast(data, l, float32, float32) as Float32Array;
}

/** dst += a @ b by the GEMM's accumulating store, for a resident dst (copying a host dst in and out would cost what it saves). */
function matmulAccumulate(dst: TypedArray, a: TypedArray, la: Layout, b: TypedArray, lb: Layout): boolean {
  if (!(dst instanceof Float32Array && a instanceof Float32Array && b instanceof Float32Array) || la.ndim !== 2 || lb.ndim !== 2) return false;
  const [m, k] = la.shape as [number, number], n = lb.shape[1]!;
  // below the GEMM's threshold matmul runs the TypeScript dot products: the same cells, added in place
  if (m * n * k < WASM_MIN_MACS) return matmulAccumulateKernel(dst, a, la, b, lb);
  if (dst.length !== m * n || residentPtr(dst) < 0) return false;
  const A = asMatrix(a, la), B = asMatrix(b, lb);
  wasmMatmul(A.buf, B.buf, m, k, n, { transA: A.trans, transB: B.trans, lda: A.ld, ldb: B.ld, out: dst, accumulate: true });
  return true;
}

// ---- conv: the convolution's products on the SIMD GEMM, straight into the caller's buffer ----
function groupGemm(a: TypedArray, b: TypedArray, groups: number, m: number, k: number, n: number, transA: boolean, transB: boolean, out: TypedArray): void {
  if (!(a instanceof Float32Array) || m * n * k < WASM_MIN_MACS) {
    cpuBackend.groupGemm(a, b, groups, m, k, n, transA, transB, out);
    return;
  }
  for (let g = 0; g < groups; g++) {
    wasmMatmul(a.subarray(g * m * k), (b as Float32Array).subarray(g * k * n), m, k, n, {
      transA, transB, out: (out as Float32Array).subarray(g * m * n, (g + 1) * m * n),
    });
  }
}

/** im2col of a contiguous float32 input on the SIMD kernel, into the (resident) column scratch in place. */
function im2col(x: TypedArray, lx: Layout, g: Window2d, out?: TypedArray): TypedArray {
  if (!(x instanceof Float32Array) || !lx.isContiguous || (out !== undefined && !(out instanceof Float32Array)) || lx.numel < WASM_MIN_ELEMENTWISE) {
    return cpuBackend.im2col(x, lx, g, out);
  }
  return wasmIm2col(x.subarray(lx.offset), g, out);
}

function col2im(cols: TypedArray, g: Window2d, dtype: DType): TypedArray {
  if (dtype !== float32 || !(cols instanceof Float32Array) || cols.length < WASM_MIN_ELEMENTWISE) return cpuBackend.col2im(cols, g, dtype);
  return wasmCol2im(cols, g);
}

/** A convolution's [a, b, l] → [b, a, l] (plus bias) on the SIMD kernel, float32 from its first element. */
function swapLeading(x: TypedArray, a: number, b: number, l: number, bias: TypedArray | null, dtype: DType, out?: TypedArray): TypedArray {
  const n = a * b * l;
  if (dtype !== float32 || !(x instanceof Float32Array) || (bias !== null && !(bias instanceof Float32Array))
    || (out !== undefined && !(out instanceof Float32Array)) || n < WASM_MIN_ELEMENTWISE) {
    return cpuBackend.swapLeading(x, a, b, l, bias, dtype, out);
  }
  return wasmSwapLeading(x, a, b, l, bias as Float32Array | null, out as Float32Array | undefined);
}

// ---- elementwise: the step's bandwidth-bound passes on SIMD kernels, contiguous float32 only ----
const dense = (l: Layout) => l.isContiguous && l.offset === 0;

// a bias gradient into its kept .grad: the column sums (the SIMD kernel's from WASM_MIN_ELEMENTWISE
// elements, else the TypeScript ones) added in place, without a sum tensor, an update and the
// engine's accumulation
function sumRowsAccumulate(dst: TypedArray, x: TypedArray, lx: Layout): boolean {
  if (lx.numel < WASM_MIN_ELEMENTWISE) return sumRowsAccumulateKernel(dst, x, lx);
  if (!(dst instanceof Float32Array && x instanceof Float32Array) || lx.ndim !== 2 || !dense(lx) || dst.length !== lx.shape[1]) return false;
  const sums = wasmSumRows(x, lx.shape[0]!, dst.length);
  for (let j = 0; j < sums.length; j++) dst[j]! += sums[j]!;
  return true;
}

function update(op: UpdateOp, dst: TypedArray, ld: Layout, src: TypedArray, ls: Layout, alpha: number): void {
  if (!(dst instanceof Float32Array && src instanceof Float32Array) || ld.numel < WASM_MIN_ELEMENTWISE || !dense(ld)) {
    cpuBackend.update(op, dst, ld, src, ls, alpha);
  } else if (dense(ls)) {
    wasmUpdate(op, dst, src, ld.numel, alpha);
  } else if (ls.isBroadcastScalar) {
    // p.mul_(0.9): alpha · src rounded once, as the reference does
    const s = src[ls.offset]!;
    wasmUpdateScalar(op, dst, ld.numel, alpha !== 1 ? Math.fround(Math.fround(alpha) * s) : s);
  } else {
    cpuBackend.update(op, dst, ld, src, ls, alpha);
  }
}

// V8 fills a shared buffer's view (resident storage) an element at a time: the SIMD stores there
function fill(dst: TypedArray, ld: Layout, value: number | bigint): void {
  if (!(dst instanceof Float32Array && ld.isContiguous && ld.numel >= WASM_MIN_ELEMENTWISE && wasmFillResident(dst, ld.offset, ld.numel, Number(value)))) {
    cpuBackend.fill(dst, ld, value);
  }
}

const arithmetic = (op: BinaryOp): op is ArithmeticOp =>
  op === "add" || op === "sub" || op === "mul" || op === "div" || op === "maximum" || op === "minimum";

const comparison = (op: BinaryOp): op is CompareOp => Object.hasOwn(COMPARE_CODES, op);

/** Whether `b` is one float32 2 broadcast over everything (`x.pow(2)`, `x ** 2`). */
const broadcastTwo = (b: TypedArray, lb: Layout) => lb.strides.every((s) => s === 0) && b[lb.offset] === 2;

function binary(op: BinaryOp, a: TypedArray, la: Layout, b: TypedArray, lb: Layout, out: DType): TypedArray {
  if (out === float32 && a instanceof Float32Array && b instanceof Float32Array && la.numel >= WASM_MIN_ELEMENTWISE) {
    // x² is x·x: Math.pow(x, 2) is the float64 square of a float32, exact, so the same float32 once rounded
    if (op === "pow" && broadcastTwo(b, lb)) return binary("mul", a, la, a, la, out);
    if (arithmetic(op)) {
      const plan = planBinary(la, lb);
      if (plan !== null) return wasmBinary(op, a, b, plan);
    }
  }
  if (comparison(op) && out === bool && a instanceof Float32Array && b instanceof Float32Array && la.numel >= WASM_MIN_ELEMENTWISE) {
    const plan = planBinary(la, lb);
    if (plan !== null) return wasmCompare(op, a, b, plan);
  }
  if ((op === "and" || op === "or") && out === bool && a instanceof Uint8Array && b instanceof Uint8Array && la.numel >= WASM_MIN_ELEMENTWISE) {
    const plan = planBinary(la, lb);
    if (plan !== null) return wasmLogic(op, a, b, plan);
  }
  if ((op === "reluGrad" || op === "sigmoidGrad" || op === "tanhGrad") && out === float32 && a instanceof Float32Array && b instanceof Float32Array
    && la.numel >= WASM_MIN_ELEMENTWISE && dense(la) && dense(lb)) {
    return wasmGradFromOutput(op, a, b, la.numel);
  }
  return cpuBackend.binary(op, a, la, b, lb, out);
}

/**
 * where() over a bool mask and float32 sides on the SIMD kernels, the selected bits as the
 * reference: with one broadcast-scalar side (masked_fill and its gradient), or two tensors.
 */
function where(cond: TypedArray, lc: Layout, a: TypedArray, la: Layout, b: TypedArray, lb: Layout, out: DType): TypedArray {
  if (out === float32 && cond instanceof Uint8Array && a instanceof Float32Array && b instanceof Float32Array && lc.numel >= WASM_MIN_ELEMENTWISE) {
    const fillWhen = la.isBroadcastScalar;
    if (fillWhen || lb.isBroadcastScalar) {
      const [x, lx, v] = fillWhen ? [b, lb, a[la.offset]!] : [a, la, b[lb.offset]!];
      const plan = planBinary(lc, lx), res = plan === null ? null : wasmWhereScalar(cond, x, v, fillWhen, plan);
      if (res !== null) return res;
    }
    const res = wasmWhere(cond, lc, a, la, b, lb);
    if (res !== null) return res;
  }
  return cpuBackend.where(cond, lc, a, la, b, lb, out);
}

/** A float32 sum over leading dims of a dense tensor (a bias gradient: [batch, n] over the batch) on the SIMD kernel, in the reference's float64 order. */
function reduce(op: ReduceOp, x: TypedArray, layout: Layout, dims: readonly number[], out: DType): TypedArray {
  if (op === "sum" && out === float32 && x instanceof Float32Array && layout.numel >= WASM_MIN_ELEMENTWISE && dense(layout)
    && dims.length > 0 && dims.length < layout.ndim && dims.every((d, i) => d === i)) {
    const rows = layout.shape.slice(0, dims.length).reduce((p, s) => p * s, 1);
    return wasmSumRows(x, rows, layout.numel / rows);
  }
  return cpuBackend.reduce(op, x, layout, dims, out);
}

// ---- optimizers: one fused SIMD pass per parameter ----
function adamStep(p: TypedArray, g: TypedArray, m: TypedArray, v: TypedArray, n: number, h: AdamScalars): void {
  if (!(p instanceof Float32Array && g instanceof Float32Array && m instanceof Float32Array && v instanceof Float32Array) || n < WASM_MIN_ELEMENTWISE) {
    cpuBackend.adamStep(p, g, m, v, n, h);
    return;
  }
  wasmAdamStep(p, g, m, v, n, h);
}

function sgdStep(p: TypedArray, g: TypedArray, buf: TypedArray, n: number, h: SgdScalars): void {
  if (!(p instanceof Float32Array && g instanceof Float32Array && buf instanceof Float32Array) || n < WASM_MIN_ELEMENTWISE) {
    cpuBackend.sgdStep(p, g, buf, n, h);
    return;
  }
  wasmSgdStep(p, g, buf, n, h);
}

// ---- layer norm: per-row statistics and both passes on the SIMD kernels, float32 only ----
const f32OrNull = (a: TypedArray | null) => a === null || a instanceof Float32Array;

function layerNorm(
  x: TypedArray, rows: number, cols: number, weight: TypedArray | null, bias: TypedArray | null, eps: number, dtype: DType,
): { y: TypedArray; mean: Float64Array; rstd: Float64Array } {
  if (dtype !== float32 || !(x instanceof Float32Array) || !f32OrNull(weight) || !f32OrNull(bias) || rows * cols < WASM_MIN_NORM) {
    return cpuBackend.layerNorm(x, rows, cols, weight, bias, eps, dtype);
  }
  return wasmLayerNorm(x, rows, cols, weight as Float32Array | null, bias as Float32Array | null, eps);
}

function layerNormBackward(
  g: TypedArray, x: TypedArray, rows: number, cols: number, mean: Float64Array, rstd: Float64Array,
  weight: TypedArray | null, gradInput: boolean, params: boolean, dtype: DType,
): { dx: TypedArray | null; dWeight: TypedArray | null; dBias: TypedArray | null } {
  if (dtype !== float32 || !(g instanceof Float32Array) || !(x instanceof Float32Array) || !f32OrNull(weight) || rows * cols < WASM_MIN_NORM) {
    return cpuBackend.layerNormBackward(g, x, rows, cols, mean, rstd, weight, gradInput, params, dtype);
  }
  return wasmLayerNormBackward(g, x, rows, cols, mean, rstd, weight as Float32Array | null, gradInput, params);
}

// ---- batch norm: per-channel statistics, transform and backward on the SIMD kernels, float32 only ----
/** Whether every value is a float32 (the SIMD kernels hold per-channel scalars as float32). */
const floats32 = (a: Float64Array | null) => a === null || a.every((v) => Math.fround(v) === v);

function channelStats(x: TypedArray, n: number, c: number, l: number, dtype: DType): { mean: Float64Array; varSum: Float64Array } {
  if (dtype !== float32 || !(x instanceof Float32Array) || n * c * l < WASM_MIN_NORM) return cpuBackend.channelStats(x, n, c, l, dtype);
  return wasmChannelStats(x, n, c, l);
}

function channelAffine(x: TypedArray, n: number, c: number, l: number, alpha: Float64Array, beta: Float64Array, dtype: DType): TypedArray {
  if (dtype !== float32 || !(x instanceof Float32Array) || n * c * l < WASM_MIN_NORM || !floats32(alpha) || !floats32(beta)) {
    return cpuBackend.channelAffine(x, n, c, l, alpha, beta, dtype);
  }
  return wasmChannelAffine(x, n, c, l, alpha, beta);
}

function channelNormBackward(
  g: TypedArray, x: TypedArray, n: number, c: number, l: number, mean: Float64Array, invstd: Float64Array,
  weight: Float64Array | null, training: boolean, gradInput: boolean, dtype: DType,
): { dx: TypedArray | null; sum: Float64Array; dotp: Float64Array } {
  if (dtype !== float32 || !(g instanceof Float32Array) || !(x instanceof Float32Array) || n * c * l < WASM_MIN_NORM
    || !floats32(mean) || !floats32(invstd) || !floats32(weight)) {
    return cpuBackend.channelNormBackward(g, x, n, c, l, mean, invstd, weight, training, gradInput, dtype);
  }
  return wasmChannelNormBackward(g, x, n, c, l, mean, invstd, weight, training, gradInput);
}

// ---- max pooling: the window maxima on the wasm kernel, float32 only ----
function maxPool2d(x: TypedArray, g: Window2d): PoolResult {
  if (!(x instanceof Float32Array) || g.n * g.c * g.oh * g.ow < WASM_MIN_POOL) return cpuBackend.maxPool2d(x, g);
  return wasmMaxPool2d(x, g);
}

// ---- where tensors live: long-lived float32 storage in the kernels' memory (wasm/heap.ts) ----

/** Elements from which a long-lived tensor moves into wasm memory (smaller ones stay on V8's heap: the kernels would copy them cheaply). */
export const WASM_MIN_RESIDENT = 1024;

function resident(data: TypedArray): boolean {
  return data instanceof Float32Array && residentPtr(data) >= 0;
}

/**
 * `data` in a resident block (Backend.adopt), `data` itself where it stays on V8's heap (not float32,
 * small, memory not shared or full), or null when `budgeted` and the resident budget is full.
 */
function place(data: TypedArray, budgeted: boolean): TypedArray | null {
  if (!(data instanceof Float32Array) || data.length < WASM_MIN_RESIDENT) return data;
  if (budgeted && wasmMemoryShared() && residentFull(data.length)) return null;
  const out = wasmResidentFloats(data.length, false);
  if (out === null) return data; // not shared, or wasm memory full: stays on V8's heap
  out.set(data);
  return out;
}

const adopt = (data: TypedArray): TypedArray => place(data, false)!;
const adoptWithinBudget = (data: TypedArray): TypedArray | null => place(data, true);

function evict(data: TypedArray): TypedArray {
  return data instanceof Float32Array ? evictFloats(data) : data;
}

function unary(op: UnaryOp, x: TypedArray, layout: Layout, out: DType): TypedArray {
  if (op === "not" && out === bool && layout.numel >= WASM_MIN_ELEMENTWISE) {
    // bytes (bools, uint8) on the logic kernel; float32 as x == 0 on the comparison kernel (NaN is true, so not false)
    if (x instanceof Uint8Array) {
      const plan = planBinary(layout, layout);
      if (plan !== null) return wasmLogic("not", x, x, plan);
    }
    if (x instanceof Float32Array) {
      const plan = planBinary(layout, new Layout(layout.shape, layout.shape.map(() => 0), 0));
      if (plan !== null) return wasmCompare("eq", x, Float32Array.of(0), plan);
    }
  }
  if (out !== float32 || !(x instanceof Float32Array) || layout.numel < WASM_MIN_ELEMENTWISE) return cpuBackend.unary(op, x, layout, out);
  if (op === "relu" && dense(layout)) return wasmRelu(x, layout.numel);
  const rows = Object.hasOwn(UNARY_CODES, op) ? rowsOf(layout) : null;
  return rows !== null ? wasmUnaryRows(op as RowsUnary, x, rows) : cpuBackend.unary(op, x, layout, out);
}

// ---- GELU, nn's other activations, and last-dim softmax: float32 on the SIMD exp
// (assembly/activation.ts, activation-ops.ts), within a few ulps of the reference ----
/** Whether the kernels take `op` with these params: ELU's exp(x·c) - 1 needs c > 0 (a CELU's α > 0). */
const onKernel = (op: ActivationOp, params: readonly number[]): op is KernelActivation =>
  Object.hasOwn(ACTIVATION_CODES, op) && (op !== "elu" || params[2]! > 0);

function activation(op: ActivationOp, x: TypedArray, layout: Layout, params: readonly number[], out: DType): TypedArray {
  if (out === float32 && x instanceof Float32Array && layout.numel >= WASM_MIN_ELEMENTWISE && dense(layout)) {
    if (op === "gelu") return wasmGelu(x, layout.numel);
    if (onKernel(op, params)) return wasmActivation(op, x, layout.numel, params);
  }
  return cpuBackend.activation(op, x, layout, params, out);
}

/** The input gradient from the saved input, or (`fromResult`, ELU's in-place forms) the result. */
function activationBackward(
  op: ActivationOp, g: TypedArray, lg: Layout, s: TypedArray, ls: Layout, params: readonly number[], fromResult: boolean, out: DType,
): TypedArray {
  if (out === float32 && g instanceof Float32Array && s instanceof Float32Array && ls.numel >= WASM_MIN_ELEMENTWISE && dense(lg) && dense(ls)) {
    if (op === "gelu") return wasmGeluBackward(g, s, ls.numel);
    if (onKernel(op, params)) return wasmActivationBackward(op, g, s, ls.numel, params, fromResult);
  }
  return cpuBackend.activationBackward(op, g, lg, s, ls, params, fromResult, out);
}

/**
 * Softmax repays its copies sooner than the other passes: every element costs an exp. Over 512
 * float32 (32 x 16) the kernel took 4.6 (log-softmax) and 5.2 µs (softmax) against the reference's
 * 8.3 and 8.5, and their gradients 4.3 and 4.8 against 8.5 and 4.7; a classifier's loss over
 * 128 x 10 logits, log-softmax and its gradient, 8.2 + 5.2 against 19.9 + 16.9 µs.
 */
const WASM_MIN_SOFTMAX = 512;

function softmax(x: TypedArray, rows: number, cols: number, log: boolean, dtype: DType): TypedArray {
  if (dtype !== float32 || !(x instanceof Float32Array) || rows * cols < WASM_MIN_SOFTMAX) return cpuBackend.softmax(x, rows, cols, log, dtype);
  return wasmSoftmax(x, rows, cols, log);
}

function softmaxBackward(g: TypedArray, y: TypedArray, rows: number, cols: number, log: boolean, dtype: DType): TypedArray {
  if (dtype !== float32 || !(g instanceof Float32Array) || !(y instanceof Float32Array) || rows * cols < WASM_MIN_SOFTMAX) {
    return cpuBackend.softmaxBackward(g, y, rows, cols, log, dtype);
  }
  return wasmSoftmaxBackward(g, y, rows, cols, log);
}

// ---- statistics: float32 chunks on the SIMD kernel, in the reference's lane arithmetic ----
function blockStats(values: Float32Array | Float64Array, blockSize: number, out: Float64Array): void {
  if (values instanceof Float32Array && values.length >= WASM_MIN_ELEMENTWISE) wasmBlockStats(values, blockSize, out);
  else cpuBackend.blockStats(values, blockSize, out);
}

function histogram(values: Float32Array | Float64Array, lo: number, width: number, counts: number[], weight: number): void {
  if (values instanceof Float32Array && values.length >= WASM_MIN_ELEMENTWISE) wasmHistogram(values, lo, width, counts, weight);
  else cpuBackend.histogram(values, lo, width, counts, weight);
}

function cellSums(
  values: Float32Array | Float64Array, cols: number, row: number, col: number, br: number, bc: number, c: number, sum: Float64Array, cnt: Float64Array,
): void {
  if (values instanceof Float32Array && values.length >= WASM_MIN_ELEMENTWISE) wasmCellSums(values, cols, row, col, br, bc, c, sum, cnt);
  else cpuBackend.cellSums(values, cols, row, col, br, bc, c, sum, cnt);
}

function diffStats(a: Float32Array | Float64Array, b: Float32Array | Float64Array, out: Float64Array): void {
  if (a instanceof Float32Array && b instanceof Float32Array && a.length >= WASM_MIN_ELEMENTWISE) wasmDiffStats(a, b, out);
  else cpuBackend.diffStats(a, b, out);
}

/**
 * The WebAssembly backend: SIMD matmul, linear and convolution products (im2col/col2im included),
 * the in-place update, ReLU and its gradient, layer norm and its backward, the fused Adam step,
 * float32 statistics blocks, long-lived float32 storage resident in its memory; everything else as
 * the TypeScript backend.
 */
export const wasmBackend: Backend = {
  ...cpuBackend, name: "wasm", matmul, linear, matmulAccumulate, sumRowsAccumulate, groupGemm, im2col, col2im, swapLeading, update, unary, binary, where, reduce, adopt, adoptWithinBudget, evict, growResidentBudget, resident, hostFloats: wasmHostFloats,
  transientResults: setTransientMode, transientCount, transientBlock, releaseTransients, forgetTransients,
  blockStats, histogram, cellSums, diffStats,
  fill,
  layerNorm, layerNormBackward, channelStats, channelAffine, channelNormBackward, maxPool2d, adamStep, sgdStep, activation, activationBackward, softmax, softmaxBackward,
};

/** Whether the WebAssembly backend can run here (WebAssembly with SIMD). */
export function wasmBackendSupported(): boolean {
  return wasmSimdSupported();
}
