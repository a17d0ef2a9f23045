// float32 matmul and fused linear on the WebAssembly SIMD kernels. Operands that live in the
// backend's memory (resident storage, heap.ts) are read in place; the others are copied into its
// staging area, the kernel runs there, and C is copied out unless it is resident. When a helper
// thread is registered (threads-node.ts in Node, threads-web.ts in browsers) large products are cut
// into two bands of C that both threads claim.
import { ShapeError } from "../../errors.ts";
import { memoryFloats, residentFloats, residentOffset, setHeapBase, stagingArea, transientFloats, wasmMemory, wasmMemoryShared } from "./heap.ts";
import { createSgemmInstance, sgemmModule, type SgemmInstance } from "./module.ts";
import type { HelperKernel } from "./helper-protocol.ts";

/** Options of `wasmMatmul`. */
export interface WasmMatmulOptions {
  /** `a` holds A^T: a k x m row-major matrix. */
  transA?: boolean;
  /** `b` holds B^T: an n x k row-major matrix. */
  transB?: boolean;
  /** Where to write C (length >= m * n); a new array when absent. */
  out?: Float32Array;
  /** C += A @ B instead of C = A @ B (needs `out`). */
  accumulate?: boolean;
  /** Row stride of `a` as stored (a strided 2-D view); the dense width (k, or m when transA) by default. */
  lda?: number;
  /** Row stride of `b` as stored; the dense width (n, or k when transB) by default. */
  ldb?: number;
  /** Adds bias[j] to every row of the product (after accumulating), fused into the kernel's store. */
  bias?: Float32Array | null;
  /** Clamps at zero after the sum and bias, fused into the kernel's store. */
  relu?: boolean;
}

/** Options of `wasmLinear`. */
export interface WasmLinearOptions {
  /** Apply ReLU after adding the bias. */
  relu?: boolean;
  /** Where to write Y (length >= m * n); a new array when absent. */
  out?: Float32Array;
  /** Row stride of `x` as stored; k by default. */
  ldx?: number;
  /** Row stride of `w` as stored; k by default. */
  ldw?: number;
}

/** A second thread sharing the kernel's memory; see helper-protocol.ts. */
export interface GemmHelper {
  /** The shared-memory instance both threads run on. */
  readonly instance: SgemmInstance;
  /** Bands of C the helper thread has computed so far. */
  helped(): number;
  /**
   * Runs `kernel` over every chunk of its arguments (sgemm's up to, not including, the two scratch
   * pointers) with both threads taking the next free chunk, so a descheduled helper only costs its
   * share; `local` runs one chunk on this thread, and the helper's sgemm uses `helperScratch`.
   * Returns when all have finished.
   */
  parallel(
    kernel: HelperKernel, chunks: readonly (readonly number[])[], helperScratch: readonly [number, number],
    local: (chunk: readonly number[]) => void,
  ): void;
}

/** Products with fewer rows run as GEMVs (gemvRows). */
const GEMV_ROWS = 4;
/** Chunks one helper request carries (helper-protocol.ts's MAX_CHUNKS). */
const MAX_BATCH_CHUNKS = 8;
const NR = 8;
const ACCUMULATE = 1;
const RELU = 2;
const BIAS = 4;
/** C stored transposed (assembly/flags.ts): element (i, j) at c[j * ldc + i], the bias indexed by i. */
const TRANS_C = 8;
/** Columns of B the kernel packs in one block (assembly/sgemm.ts's NC). */
const NC = 1024;
/** Bytes kept free at address 0 so that 0 can mean "no bias". */
const RESERVED = 64;

/**
 * Multiply-adds (m * n * k) from which both threads are used (~100^3). On a quiet machine two threads
 * measured 1.1x one at 64^3 and 1.3-1.4x at 80^3-96^3, but when another process holds the second
 * core a split of 64^3 runs 2.5x slower, so the split starts where the gain is clear.
 */
export const DEFAULT_THREAD_THRESHOLD = 1 << 20;
let threadThreshold = DEFAULT_THREAD_THRESHOLD;
let helper: GemmHelper | null = null;
let local: SgemmInstance | null = null;

/** Staging reserved by warmWasmGemm: the three operands of a 1024^3 product, staged. */
const WARM_STAGING_BYTES = 3 * 4 * 1024 * 1024;
/** Products run by warmWasmGemm: enough for V8 to optimize the kernel on both threads. */
const WARM_CALLS = 16;

/**
 * Readies both threads for large products, so the first one runs at the steady speed: a few small
 * products split across the threads (V8 optimizes the kernel where it runs hot, on each thread) and a
 * staging area for the operands of a 1024^3 product grown and touched (first-touch page faults cost
 * ~4-8 ms per MiB on this VM: a cold 1024^3 call ran at a third of the speed), as is the packing
 * scratch. Called when threads start.
 */
export function warmWasmGemm(): void {
  const n = 64, k = 256;
  const a = new Float32Array(n * k).fill(1), out = new Float32Array(n * n);
  const saved = threadThreshold;
  threadThreshold = 0;
  try {
    for (let i = 0; i < WARM_CALLS; i++) wasmMatmul(a, a, n, k, n, { out, transB: true });
  } finally {
    threadThreshold = saved;
  }
  // both threads' packing scratch (1.3 MiB each, only partly used so far), then the staging area
  const { slot } = scratchLayout(instance());
  const base = stagingArea("products", WARM_STAGING_BYTES) / 4;
  const mem = memoryFloats();
  mem.fill(0, RESERVED / 4, (RESERVED + 2 * slot) / 4);
  mem.fill(0, base, base + WARM_STAGING_BYTES / 4);
}

/** Registers (or with null removes) the helper thread used for large products. */
export function setGemmHelper(next: GemmHelper | null): void {
  helper = next;
}

/** Bands of C the helper thread has computed since it started (0 without one): shows it is working. */
export function wasmHelperBands(): number {
  return helper === null ? 0 : helper.helped();
}

/** Sets the size (m * n * k multiply-adds) from which products are split across both threads. */
export function setWasmThreadThreshold(macs: number = DEFAULT_THREAD_THRESHOLD): void {
  threadThreshold = macs;
}

function instance(): SgemmInstance {
  if (helper !== null) return heapAbove(helper.instance);
  // re-made (over the same memory) when setRelaxedSimd switched the build
  const shared = wasmMemoryShared();
  if (local === null || local.module !== sgemmModule(shared)) local = createSgemmInstance({ shared, memory: wasmMemory() });
  return heapAbove(local);
}

/** Places the heap above both threads' packing scratch (once; the first block grows the memory over it). */
function heapAbove(inst: SgemmInstance): SgemmInstance {
  setHeapBase(RESERVED + 2 * scratchLayout(inst).slot);
  return inst;
}

/**
 * `n` floats (zeroed unless `zero` is false) that live in the kernels' memory, read and written in
 * place by every kernel (see heap.ts), or null where the memory cannot hold them (not shared, or full).
 */
export function wasmResidentFloats(n: number, zero = true): Float32Array | null {
  instance();
  return residentFloats(n, zero);
}

/** Packing scratch per thread, asked of the module once. */
let scratchSizes: { packA: number; slot: number } | null = null;

function scratchLayout(inst: SgemmInstance): { packA: number; slot: number } {
  if (scratchSizes === null) {
    const packA = inst.exports.packASize();
    scratchSizes = { packA, slot: align(packA + inst.exports.packBSize()) };
  }
  return scratchSizes;
}

/** Copies `count` floats of `src` to float index `at`; small copies skip the subarray object. */
function copyIn(mem: Float32Array, src: Float32Array, count: number, at: number): void {
  if (count <= 64) {
    for (let i = 0; i < count; i++) mem[at + i] = src[i]!;
  } else {
    mem.set(src.length === count ? src : src.subarray(0, count), at);
  }
}

function copyOut(mem: Float32Array, at: number, count: number, dst: Float32Array): void {
  if (count <= 64) {
    for (let i = 0; i < count; i++) dst[i] = mem[at + i]!;
  } else {
    dst.set(mem.subarray(at, at + count));
  }
}

function align(bytes: number): number {
  return Math.ceil(bytes / 64) * 64;
}

/**
 * The kernel instance, a float view of its memory, and the base of a staging area of at least
 * `bytes` for every kernel but the products (which stage in their own: heap.ts `Staging`): where
 * the operands of one call that are not resident are copied. Take the view after the area: making
 * it room may grow the memory.
 */
export function operandArea(bytes: number): { inst: SgemmInstance; mem: Float32Array; base: number } {
  const inst = instance();
  const base = stagingArea("passes", bytes);
  return { inst, mem: memoryFloats(), base };
}

/** The byte offset of a resident operand, or -1 (small arrays never are: reading `.buffer` of one would move it off V8's heap). */
export function residentPtr(a: Float32Array): number {
  return a.length >= 16 ? residentOffset(a) : -1;
}

interface Gemm {
  m: number; n: number; k: number;
  a: number; lda: number; transA: boolean;
  b: number; ldb: number; transB: boolean;
  c: number; ldc: number; flags: number; bias: number;
}

/** sgemm's arguments before the two scratch pointers. */
function args(g: Gemm): number[] {
  return [g.m, g.n, g.k, g.a, g.lda, g.transA ? 1 : 0, g.b, g.ldb, g.transB ? 1 : 0, g.c, g.ldc, g.flags, g.bias];
}

/** Rows [i0, i1) of C as an independent GEMM. */
function rows(g: Gemm, i0: number, i1: number): Gemm {
  const rowA = g.transA ? 4 * i0 : 4 * i0 * g.lda, transC = (g.flags & TRANS_C) !== 0;
  const bias = g.bias === 0 || !transC ? g.bias : g.bias + 4 * i0;
  return { ...g, m: i1 - i0, a: g.a + rowA, c: g.c + 4 * i0 * (transC ? 1 : g.ldc), bias };
}

/** Columns [j0, j1) of C as an independent GEMM. */
function cols(g: Gemm, j0: number, j1: number): Gemm {
  const colB = g.transB ? 4 * j0 * g.ldb : 4 * j0, transC = (g.flags & TRANS_C) !== 0;
  const bias = g.bias === 0 || transC ? g.bias : g.bias + 4 * j0;
  return { ...g, n: j1 - j0, b: g.b + colB, c: g.c + 4 * j0 * (transC ? g.ldc : 1), bias };
}

/**
 * The product as its transpose when that packs less: C^T = op(B)^T op(A)^T, stored back transposed
 * (TRANS_C). The kernel packs A's values splatted to four lanes, once per NC-column block of B, and
 * B plainly once, so packing costs about 2·m·k·⌈n/NC⌉ + k·n floats: a product with few columns and
 * many rows (a late ResNet layer's convolution: 4608 x 512 x 16) spends more on packing A than on
 * multiplying, and its transpose packs the large operand as B. Not for products the tile cannot fill
 * (n below the tile's `mr` rows) or with no depth, nor above SWAP_MAX_N columns, where the model
 * misleads: measured (best-of, one thread) the transpose is faster at 16, 64 and 65 columns
 * (× 0.57–0.96) but slower at 128 (GPT's 512 x 128 x 128 projection × 1.32, 512 x 512 x 128 × 1.12).
 */
const SWAP_MAX_N = 64 + NR;
function oriented(g: Gemm, mr: number): Gemm {
  if (g.k === 0 || g.n < mr || g.n > SWAP_MAX_N || g.n >= g.m || g.flags & TRANS_C) return g;
  const cost = (m: number, n: number) => 2 * m * Math.ceil(n / NC) + n;
  if (cost(g.n, g.m) >= 0.8 * cost(g.m, g.n)) return g;
  return {
    m: g.n, n: g.m, k: g.k, a: g.b, lda: g.ldb, transA: !g.transB, b: g.a, ldb: g.lda, transB: !g.transA,
    c: g.c, ldc: g.ldc, flags: g.flags | TRANS_C, bias: g.bias,
  };
}

/**
 * C cut into two bands of rows (or of columns when N > M), tile-aligned. Each band re-packs all of B,
 * so bands stay few: measured at 1024, four bands lost more to packing than they won in balance.
 * Both threads claim bands, so a helper that wakes late costs at most the time of one band.
 * Measured and dropped: a team kernel in which both threads share one packed B and claim 16- or
 * 32-row bands from an atomic counter (nothing packed twice, the threads finishing one band apart)
 * made the medium MLP step 3-9% slower in an in-process A/B, and 128 x 784 x 256 on two threads ran
 * at 52-54 against 53-60 GFLOPS: a wait per depth block until B is packed, and B's panels re-read
 * from L2 for every small band, cost more than the balance won. A first band one tile larger for
 * the calling thread (53%) won 5% in two in-process A/Bs of that step and lost 1-10% in the next
 * three: no change. Nor did a share that moved 0.5% toward the calling thread after every product
 * it waited for the helper, and back after every product the helper waited: it drifted to 52-65%,
 * and the step ran 3.24 against 3.43, 3.79 against 3.60 and 3.84 against 3.36 ms (in-process A/Bs,
 * faster in 10 of 20, 6 of 20 and 1 of 30 blocks). The waits are the helper's random lateness, which
 * no split predicts.
 */
function chunks(g: Gemm, mr: number): Gemm[] {
  const parts = 2;
  const byRows = g.m >= g.n;
  const total = byRows ? g.m : g.n;
  const tile = byRows ? mr : NR;
  const step = Math.ceil(total / parts / tile) * tile;
  const out: Gemm[] = [];
  for (let start = 0; start < total; start += step) {
    const end = Math.min(total, start + step);
    out.push(byRows ? rows(g, start, end) : cols(g, start, end));
  }
  return out;
}

/** Products with fewer than GEMV_ROWS rows, each row contiguous, run as unpacked GEMVs (packing B would cost as much as the product). */
function gemvRows(inst: SgemmInstance, g: Gemm): boolean {
  // A row of op(A) is contiguous unless A is transposed, where only a 1-wide dense A^T qualifies.
  if (g.m >= GEMV_ROWS || (g.transA && (g.m > 1 || g.lda !== 1)) || g.k === 0) return false;
  for (let i = 0; i < g.m; i++) {
    inst.exports.sgemv(g.n, g.k, g.a + 4 * i * g.lda, g.b, g.ldb, g.transB ? 1 : 0, g.c + 4 * i * g.ldc, g.flags, g.bias);
  }
  return true;
}

function run(inst: SgemmInstance, product: Gemm, scratch: number, packA: number, slot: number): void {
  if (gemvRows(inst, product)) return;
  const ex = inst.exports;
  const mr = ex.tileRows();
  const g = oriented(product, mr);
  if (helper === null || g.m * g.n * g.k < threadThreshold || Math.max(g.m / mr, g.n / NR) < 2) {
    ex.sgemm(g.m, g.n, g.k, g.a, g.lda, +g.transA, g.b, g.ldb, +g.transB, g.c, g.ldc, g.flags, g.bias, scratch, scratch + packA);
    return;
  }
  const sgemm = ex.sgemm as (...x: number[]) => void;
  const local = (chunk: readonly number[]) => sgemm(...chunk, scratch, scratch + packA);
  helper.parallel("sgemm", chunks(g, mr).map(args), [scratch + slot, scratch + slot + packA], local);
}

/** Chunks a pass over `n` elements is cut into for both threads, or 1: from 2^17 elements (~0.1 ms of work, which a hand-off repays). */
export function passChunks(n: number): number {
  return helper === null || n < PASS_SPLIT ? 1 : 4;
}
const PASS_SPLIT = 1 << 17;

/**
 * Runs the data-movement kernel `kernel` over `chunks` of its arguments (each a disjoint part of
 * the work) on both threads when a helper is registered, else one after another on this thread.
 */
export function parallelPass(kernel: Exclude<HelperKernel, "sgemm">, chunks: readonly (readonly number[])[]): void {
  const fn = instance().exports[kernel] as (...x: number[]) => void;
  if (helper === null || chunks.length < 2) {
    for (const c of chunks) fn(...c);
    return;
  }
  const { packA, slot } = scratchLayout(instance());
  helper.parallel(kernel, chunks, [RESERVED + slot, RESERVED + slot + packA], (c) => fn(...c));
}

/** Elementwise kernels the helper can share: every argument that follows one element is a byte offset or the count. */
export type ElementwiseKernel =
  | "update" | "updateScalar" | "fill" | "gelu" | "geluBackward" | "sgdStep" | "adamStep" | "unaryRows"
  | "activationOp" | "activationOpBackward";

/**
 * Runs an elementwise kernel over `n` elements: `args(start, count)` gives its arguments for
 * elements [start, start + count). With `shared`, from passChunks' size, both threads take chunks
 * that start at multiples of 16 elements (each keeps the pass's alignment; every element runs the
 * same code, so the bits are one call's). Callers share a pass whose operands all live in wasm
 * memory, or one that computes much per element (GELU): measured on two threads over 2^20 floats,
 * AdamW's step 0.94-1.09 ms shared against 1.05-1.45 alone, SGD with momentum 0.55-0.60 against
 * 0.76-1.09, GELU 4.4-5.5 against 6.4-7.9; but ReLU 1.20-1.47 against 0.91-1.09 and add
 * 1.76-2.27 against 1.44-1.62, whose operands this thread had just copied in and whose result it
 * copies out: the helper's half then crosses between the cores twice.
 */
export function elementwisePass(kernel: ElementwiseKernel, n: number, shared: boolean, args: (start: number, count: number) => number[]): void {
  const step = shared ? Math.ceil(n / passChunks(n) / 16) * 16 || n : n;
  const chunks: number[][] = [];
  for (let start = 0; start < n; start += step) chunks.push(args(start, Math.min(step, n - start)));
  if (chunks.length === 0) chunks.push(args(0, 0));
  parallelPass(kernel, chunks);
}

/** A product's sizes, layouts and epilogue, with leading dimensions resolved. */
interface Shape { m: number; k: number; n: number; transA: boolean; transB: boolean; lda: number; ldb: number; flags: number }

/** Elements a rows x cols matrix with row stride ld spans in its array. */
function span(rows: number, cols: number, ld: number): number {
  return rows === 0 || cols === 0 ? 0 : (rows - 1) * ld + cols;
}

function spanA(s: Shape): number {
  return s.transA ? span(s.k, s.m, s.lda) : span(s.m, s.k, s.lda);
}

function spanB(s: Shape): number {
  return s.transB ? span(s.n, s.k, s.ldb) : span(s.k, s.n, s.ldb);
}

/** `c` when the `bytes` at c overlap none of the resident operands' ranges, else -1 (C is then staged). */
function separate(c: number, bytes: number, operands: [number, number][]): number {
  for (const [p, len] of operands) if (c >= 0 && p >= 0 && c < p + len && p < c + bytes) return -1;
  return c;
}

/** Lays out scratch and operands in wasm memory, copies the inputs in, runs, and copies C out. */
function execute(a: Float32Array, b: Float32Array, bias: Float32Array | null, out: Float32Array, shape: Shape): Float32Array {
  const { m, k, n, transA, transB, flags } = shape;
  const inst = instance();
  const { packA, slot } = scratchLayout(inst);
  const scratch = RESERVED;
  // resident operands are read (and a resident C written) in place; the rest go to the staging area
  const ra = residentPtr(a), rb = residentPtr(b), rbias = bias === null ? 0 : residentPtr(bias);
  const rc = separate(residentPtr(out), 4 * m * n, [[ra, 4 * spanA(shape)], [rb, 4 * spanB(shape)]]);
  const aBytes = ra < 0 ? align(4 * spanA(shape)) : 0, bBytes = rb < 0 ? align(4 * spanB(shape)) : 0;
  const biasBytes = rbias < 0 ? align(4 * n) : 0, cBytes = rc < 0 ? 4 * m * n : 0;
  const stage = stagingArea("products", aBytes + bBytes + biasBytes + cBytes);
  const mem = memoryFloats();
  const aPtr = ra >= 0 ? ra : stage;
  const bPtr = rb >= 0 ? rb : stage + aBytes;
  const biasPtr = bias === null ? 0 : rbias >= 0 ? rbias : stage + aBytes + bBytes;
  const cPtr = rc >= 0 ? rc : stage + aBytes + bBytes + biasBytes;
  if (ra < 0) copyIn(mem, a, spanA(shape), aPtr / 4);
  if (rb < 0) copyIn(mem, b, spanB(shape), bPtr / 4);
  if (bias !== null && rbias < 0) copyIn(mem, bias, n, biasPtr / 4);
  if (rc < 0 && flags & ACCUMULATE) copyIn(mem, out, m * n, cPtr / 4);
  const g: Gemm = {
    m, n, k, a: aPtr, lda: shape.lda, transA, b: bPtr, ldb: shape.ldb, transB,
    c: cPtr, ldc: n, flags, bias: biasPtr,
  };
  run(inst, g, scratch, packA, slot);
  if (rc < 0) copyOut(memoryFloats(), cPtr / 4, m * n, out);
  return out;
}

/** Resolves leading dimensions and checks every size, naming the operand and the fix. */
function resolve(op: string, a: Float32Array, b: Float32Array, m: number, k: number, n: number, o: WasmMatmulOptions): Shape {
  if (!(Number.isInteger(m) && Number.isInteger(k) && Number.isInteger(n) && m >= 0 && k >= 0 && n >= 0)) {
    throw new ShapeError(`${op}: sizes must be non-negative integers, got m=${m}, k=${k}, n=${n}`);
  }
  const transA = !!o.transA;
  const transB = !!o.transB;
  const s: Shape = {
    m, k, n, transA, transB, flags: o.accumulate ? ACCUMULATE : 0,
    lda: o.lda ?? (transA ? m : k), ldb: o.ldb ?? (transB ? k : n),
  };
  checkOperand(op, "mat1", a, transA ? [k, m] : [m, k], s.lda, spanA(s));
  checkOperand(op, "mat2", b, transB ? [n, k] : [k, n], s.ldb, spanB(s));
  if (o.out !== undefined && o.out.length < m * n) {
    throw new ShapeError(`${op}: out holds ${o.out.length} elements but the ${m}x${n} result needs ${m * n}`);
  }
  if (o.accumulate && o.out === undefined) throw new ShapeError(`${op}: accumulate needs an out array to add into`);
  return s;
}

function checkBias(op: string, bias: Float32Array | null, n: number): void {
  if (bias !== null && bias.length < n) {
    throw new ShapeError(`${op}: bias holds ${bias.length} elements but the ${n} output features need ${n}`);
  }
}

function checkOperand(op: string, name: string, x: Float32Array, [rows, cols]: number[], ld: number, needs: number): void {
  if (!Number.isInteger(ld) || (rows! > 1 && ld < cols!)) {
    throw new ShapeError(`${op}: ${name} is stored ${rows}x${cols}, so its row stride must be an integer >= ${cols}, got ${ld}`);
  }
  if (x.length < needs) {
    throw new ShapeError(`${op}: ${name} holds ${x.length} elements but its ${rows}x${cols} shape (row stride ${ld}) needs ${needs}`);
  }
}

/**
 * C = op(A) @ op(B) (or C += ... with `accumulate`), then + bias and ReLU when asked, float32
 * row-major, on the WebAssembly SIMD kernel.
 * @example wasmMatmul(x, w, 2, 3, 4, { transB: true, bias: b }) // x (2x3) @ w^T + b where w is 4x3
 */
export function wasmMatmul(
  a: Float32Array, b: Float32Array, m: number, k: number, n: number, opts: WasmMatmulOptions = {},
): Float32Array {
  const shape = resolve("matmul", a, b, m, k, n, opts);
  const bias = opts.bias ?? null;
  checkBias("matmul", bias, n);
  shape.flags |= (bias !== null ? BIAS : 0) | (opts.relu ? RELU : 0);
  return execute(a, b, bias, opts.out ?? transientFloats(m * n) ?? new Float32Array(m * n), shape);
}

/**
 * Y = X @ W^T + bias, then ReLU when asked: torch.nn.functional.linear with X m x k, W n x k, bias n.
 * @example wasmLinear(x, w, b, batch, inFeatures, outFeatures, { relu: true })
 */
export function wasmLinear(
  x: Float32Array, w: Float32Array, bias: Float32Array | null, m: number, k: number, n: number,
  opts: WasmLinearOptions = {},
): Float32Array {
  const shape = resolve("linear", x, w, m, k, n, { transB: true, out: opts.out, lda: opts.ldx, ldb: opts.ldw });
  checkBias("linear", bias, n);
  shape.flags = (bias !== null ? BIAS : 0) | (opts.relu ? RELU : 0);
  return execute(x, w, bias, opts.out ?? transientFloats(m * n) ?? new Float32Array(m * n), shape);
}

/**
 * Batched C[i] = op(A[i]) @ op(B[i]) over `batch` contiguous matrices (torch.bmm); a batch stride of
 * 0 for B (`broadcastB`) reuses one B for every batch, as torch.matmul broadcasting does.
 */
export function wasmBmm(
  a: Float32Array, b: Float32Array, batch: number, m: number, k: number, n: number,
  opts: WasmMatmulOptions & { broadcastB?: boolean } = {},
): Float32Array {
  const out = opts.out ?? new Float32Array(batch * m * n);
  const bStride = opts.broadcastB ? 0 : k * n;
  for (let i = 0; i < batch; i++) {
    wasmMatmul(a.subarray(i * m * k), b.subarray(i * bStride), m, k, n, {
      ...opts, out: out.subarray(i * m * n, (i + 1) * m * n),
    });
  }
  return out;
}

/**
 * Batched C[t] = op(A at offsA[t]) @ op(B at offsB[t]) into one new [batch, m, n] array (torch.matmul
 * with batch dims: attention's products). Each operand is staged once for the whole batch (read in
 * place when resident; a broadcast operand once, whatever the batch), C copied out once, and with a
 * helper thread the batch's products are shared between both threads.
 */
export function wasmMatmulBatched(
  a: Float32Array, offsA: ArrayLike<number>, b: Float32Array, offsB: ArrayLike<number>, m: number, k: number, n: number,
  opts: { transA: boolean; transB: boolean; lda: number; ldb: number },
): Float32Array {
  const batch = offsA.length, fresh = transientFloats(batch * m * n), out = fresh ?? new Float32Array(batch * m * n);
  if (batch === 0 || m * n === 0) return out;
  const shape: Shape = { m, k, n, ...opts, flags: 0 };
  // the elements each operand's batch spans, from the first offset
  const extent = (offs: ArrayLike<number>, one: number) => {
    let lo = Infinity, hi = 0;
    for (let t = 0; t < offs.length; t++) { lo = Math.min(lo, offs[t]!); hi = Math.max(hi, offs[t]! + one); }
    return [lo, hi - lo] as const;
  };
  const [a0, aLen] = extent(offsA, spanA(shape)), [b0, bLen] = extent(offsB, spanB(shape));
  const inst = instance();
  const { packA, slot } = scratchLayout(inst);
  const ra = residentPtr(a), rb = residentPtr(b);
  const aBytes = ra < 0 ? align(4 * aLen) : 0, bBytes = rb < 0 ? align(4 * bLen) : 0;
  const stage = stagingArea("products", aBytes + bBytes + (fresh === null ? 4 * batch * m * n : 0));
  const mem = memoryFloats();
  // pointers of element a0 / b0
  const aBase = ra >= 0 ? ra + 4 * a0 : stage, bBase = rb >= 0 ? rb + 4 * b0 : stage + aBytes, cPtr = fresh?.byteOffset ?? stage + aBytes + bBytes;
  if (ra < 0) copyIn(mem, a.subarray(a0), aLen, aBase / 4);
  if (rb < 0) copyIn(mem, b.subarray(b0), bLen, bBase / 4);
  const gemms: Gemm[] = [];
  for (let t = 0; t < batch; t++) {
    gemms.push({
      m, n, k, a: aBase + 4 * (offsA[t]! - a0), lda: opts.lda, transA: opts.transA, b: bBase + 4 * (offsB[t]! - b0), ldb: opts.ldb, transB: opts.transB,
      c: cPtr + 4 * t * m * n, ldc: n, flags: 0, bias: 0,
    });
  }
  const scratch = RESERVED;
  // many small products: one per chunk across both threads; a few large ones split inside run()
  if (helper !== null && batch >= 2 && batch * m * n * k >= threadThreshold && m * n * k < threadThreshold && m >= inst.exports.tileRows()) {
    const sgemm = inst.exports.sgemm as (...x: number[]) => void;
    const local = (chunk: readonly number[]) => sgemm(...chunk, scratch, scratch + packA);
    // the helper takes at most MAX_BATCH_CHUNKS products per request: rounds of equal size
    const step = Math.ceil(batch / Math.ceil(batch / MAX_BATCH_CHUNKS));
    for (let t = 0; t < batch; t += step) helper.parallel("sgemm", gemms.slice(t, t + step).map(args), [scratch + slot, scratch + slot + packA], local);
  } else {
    for (const g of gemms) run(inst, g, scratch, packA, slot);
  }
  if (fresh === null) out.set(memoryFloats().subarray(cPtr / 4, cPtr / 4 + batch * m * n));
  return out;
}
