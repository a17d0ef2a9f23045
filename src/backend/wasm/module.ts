// Compiles the embedded SGEMM WebAssembly and instantiates it over a memory the caller owns.
// Compilation is lazy (no import-time work). Browsers refuse synchronous compilation of modules
// over 4 KB on the main thread, so they must `await initWasm()` once first; Node compiles on demand.
import { SGEMM_RELAXED_WASM, SGEMM_SHARED_RELAXED_WASM, SGEMM_SHARED_WASM, SGEMM_WASM } from "./kernels.generated.ts";

/** The functions exported by the AssemblyScript SGEMM module (pointers are byte offsets). */
export interface SgemmExports {
  /** Runs one GEMM; see src/backend/wasm/assembly/sgemm.ts for the argument order. */
  sgemm(
    m: number, n: number, k: number,
    a: number, lda: number, transA: number,
    b: number, ldb: number, transB: number,
    c: number, ldc: number, flags: number, bias: number,
    packedA: number, packedB: number,
  ): void;
  /** y = x @ op(B) for one contiguous row x, unpacked; see src/backend/wasm/assembly/sgemv.ts. */
  sgemv(n: number, k: number, x: number, b: number, ldb: number, transB: number, y: number, flags: number, bias: number): void;
  /** In place dst = dst op (alpha * src) over n floats (op: 0 add, 1 sub, 2 mul, 3 div); see assembly/elementwise.ts. */
  update(op: number, dst: number, src: number, n: number, alpha: number, scaled: number): void;
  /** In place dst = dst op v over n floats (op as in `update`); see assembly/elementwise.ts. */
  updateScalar(op: number, dst: number, n: number, v: number): void;
  /** dst = v over n floats; see assembly/elementwise.ts. */
  fill(dst: number, n: number, v: number): void;
  /** out [rows, cols] = a op b (op: 0 add, 1 sub, 2 mul, 3 div), each operand's rows `r` floats apart, `k` 1 for a repeated float; see assembly/binary.ts. */
  binary(op: number, out: number, a: number, ra: number, ka: number, b: number, rb: number, kb: number, rows: number, cols: number): void;
  /** out [rows, cols] = (c != 0) == fillWhen ? v : x, c bytes (a bool mask) and x float32 with row strides rc, rx; see assembly/binary.ts. */
  whereScalar(out: number, c: number, rc: number, x: number, rx: number, v: number, fillWhen: number, rows: number, cols: number): void;
  /** out [rows, cols] bytes = a op b (op: wasm/binary.ts COMPARE_CODES), operands as binary's; see assembly/binary.ts. */
  compare(op: number, out: number, a: number, ra: number, ka: number, b: number, rb: number, kb: number, rows: number, cols: number): void;
  /** out [rows, cols] bytes = a and b (op 0), a or b (1), not a (2), over bytes laid out as binary's operands; see assembly/binary.ts. */
  logic(op: number, out: number, a: number, ra: number, ka: number, b: number, rb: number, kb: number, rows: number, cols: number): void;
  /** out [rows, cols] = c != 0 ? a : b, c bytes, each operand's rows `r` elements apart and `k` 1 for one repeated element; see assembly/binary.ts. */
  where(out: number, c: number, rc: number, kc: number, a: number, ra: number, ka: number, b: number, rb: number, kb: number, rows: number, cols: number): void;
  /** out = y <= 0 ? 0 : g over n floats. */
  reluGrad(out: number, g: number, y: number, n: number): void;
  /** out = ReLU(x) over n floats (NaN kept, -0 to 0). */
  relu(out: number, x: number, n: number): void;
  /** out [rows, cols] (dense) = f(x), x's rows `sx` floats apart, f by `op` (elementwise.ts UNARY_CODES); see assembly/activation.ts. */
  unaryRows(op: number, out: number, x: number, sx: number, rows: number, cols: number): void;
  /** out = (g·(1 - y))·y over n floats: sigmoid's input gradient from its output. */
  sigmoidGrad(out: number, g: number, y: number, n: number): void;
  /** out = g·(1 - y²), 1 - y² rounded once, over n floats: tanh's input gradient from its output. */
  tanhGrad(out: number, g: number, y: number, n: number): void;
  /** Statistics records (nine float64 each) of the `len` floats at `p`, block by block; see assembly/stats.ts. */
  blockStats(p: number, len: number, blockSize: number, out: number): void;
  /** Layer norm of x [rows, cols] into y, each row's float64 mean and rstd stored; w, b: 0 for none (assembly/norm.ts). */
  layerNorm(y: number, mean: number, rstd: number, x: number, rows: number, cols: number, w: number, b: number, eps: number): void;
  /** Layer norm's backward: dx (0: skip), and the parameter gradients accumulated into dw, db (0: skip). */
  layerNormBackward(dx: number, dw: number, db: number, g: number, x: number, mean: number, rstd: number, w: number, rows: number, cols: number): void;
  /** Batch norm's per-channel mean and varSum (c float64 each) of contiguous x [n, c, l] (assembly/norm.ts). */
  channelStats(mean: number, varSum: number, x: number, n: number, c: number, l: number): void;
  /** y = f32(x·alpha[ch]) + beta[ch] over [n, c, l]; alpha, beta: c float64 holding float32 values. */
  channelAffine(y: number, x: number, n: number, c: number, l: number, alpha: number, beta: number): void;
  /** Batch norm's backward: per-channel Σg and Σ(x - mean)·g (float64), and dx (0: skip); w: 0 for none. */
  channelNormBackward(
    dx: number, sum: number, dotp: number, g: number, x: number, n: number, c: number, l: number, mean: number, invstd: number, w: number, training: number,
  ): void;
  /** Max pooling of float32 planes into values and int32 indices; `win` as im2col's (assembly/pool.ts). */
  maxPool2d(x: number, win: number, values: number, indices: number, scratch: number, prows: number, pcols: number): void;
  /** One Adam/AdamW step in place over n floats (flags: 1 decay, 2 L2, 4 maximize); see assembly/optim.ts. */
  adamStep(
    p: number, g: number, m: number, v: number, n: number,
    b1: number, a1: number, b2: number, a2: number, c2: number, eps: number, step: number, decay: number, l2: number, flags: number,
  ): void;
  /** One SGD step in place over n floats (flags: 1 maximize, 2 weight decay, 4 momentum, 8 Nesterov, 16 dampening); see assembly/optim.ts. */
  sgdStep(p: number, g: number, buf: number, n: number, wd: number, m: number, a: number, step: number, flags: number): void;
  /** out[j] = the sum of column j of a rows x cols float32 matrix, in float64; see assembly/reduce.ts. */
  sumRows(out: number, x: number, rows: number, cols: number): void;
  /** i32 histogram counts (bins + 1 slots, the last for NaN/Inf) of the `len` floats at `p`; see assembly/stats.ts. */
  histogram(p: number, len: number, lo: number, width: number, bins: number, counts: number): void;
  /** Heat-map cell sums and counts (float64) of row-major matrix elements; see assembly/stats.ts. */
  cellSums(p: number, len: number, cols: number, row: number, col: number, br: number, bc: number, c: number, sum: number, cnt: number): void;
  /** max |b − a|, Σ(b − a)², Σa², Σb², Σab and differing non-finite pairs of two float32 chunks; see assembly/stats.ts. */
  diffStats(pa: number, pb: number, len: number, out: number): void;
  /** Contiguous float32 x [n, c, h, w] → columns [c·kh·kw, n·oh·ow], the rows of channels [c0, c1); `win` points at 14 int32s (Window2d's fields in order); see assembly/conv.ts. */
  im2col(x: number, win: number, out: number, c0: number, c1: number): void;
  /** Columns → out [n, c, h, w], each cell the sum of the columns that read it (out zeroed first); channels [c0, c1). */
  col2im(cols: number, win: number, out: number, c0: number, c1: number): void;
  /** out [b, a, l] = x [a, b, l] with dims a and b swapped, plus bias[i] (bias 0: none); see assembly/conv.ts. */
  swapLeading(x: number, a: number, b: number, l: number, bias: number, out: number, i0: number, i1: number): void;
  /** out = GELU(x) (exact form) over n floats; see assembly/activation.ts. */
  gelu(out: number, x: number, n: number): void;
  /** out = g·GELU'(x) over n floats. */
  geluBackward(out: number, g: number, x: number, n: number): void;
  /** out = op(x; a, b, c) over n floats (op: elementwise.ts ACTIVATION_CODES); see assembly/activation-ops.ts. */
  activationOp(op: number, out: number, x: number, n: number, a: number, b: number, c: number): void;
  /** out = g·op'(x; a, b, c) over n floats, x the activation's input (or ELU's result). */
  activationOpBackward(op: number, out: number, g: number, x: number, n: number, a: number, b: number, c: number): void;
  /** Softmax (log 0) or log-softmax (log 1) of each row of x [rows, cols] into y. */
  softmax(y: number, x: number, rows: number, cols: number, log: number): void;
  /** softmax's (log 0) or log-softmax's (log 1) input gradient from g and y [rows, cols] into dx. */
  softmaxBackward(dx: number, g: number, y: number, rows: number, cols: number, log: number): void;
  /** Rows of the GEMM's register tile (6 in the fused multiply-add build, 4 in the other). */
  tileRows(): number;
  /** Scratch bytes one thread needs for packed A. */
  packASize(): number;
  /** Scratch bytes one thread needs for packed B and the edge tile. */
  packBSize(): number;
}

/** A kernel instance bound to its memory. */
export interface SgemmInstance {
  /** The linear memory holding operands, results and packing scratch. */
  readonly memory: WebAssembly.Memory;
  /** The compiled module, kept so workers can instantiate it over the same shared memory. */
  readonly module: WebAssembly.Module;
  /** The exported kernels. */
  readonly exports: SgemmExports;
  /** Whether memory is backed by a SharedArrayBuffer. */
  readonly shared: boolean;
}

/** Largest memory, in 64 KiB pages, the shared build declares (4 GiB: wasm32's limit). */
export const MAX_PAGES = 65536;

const compiled: { plain?: WebAssembly.Module; shared?: WebAssembly.Module } = {};
let relaxed: boolean | null = null;
let wantRelaxed = true;
/** Turns the engine's relaxed SIMD on where it sits behind a flag (Node 20); set by the Node entry. */
let enabler: (() => void) | null = null;

function decode(base64: string): Uint8Array<ArrayBuffer> {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/** Whether relaxed SIMD validates here, so the fused multiply-add build (+20% GFLOPS) could be used. */
export function relaxedSimdSupported(): boolean {
  if (relaxed === null) {
    try {
      relaxed = typeof WebAssembly === "object" && WebAssembly.validate(decode(SGEMM_RELAXED_WASM));
    } catch {
      relaxed = false;
    }
  }
  return relaxed;
}

/** Forgets the feature probe and compiled modules, after a runtime flag change (relaxed-simd-node.ts). */
export function redetectWasmFeatures(): void {
  relaxed = null;
  compiled.plain = undefined;
  compiled.shared = undefined;
}

/**
 * Opts out of (or back in to) the fused multiply-add kernels and returns whether they are now in use.
 * On by default where the engine has relaxed SIMD (Chrome >= 114, Node >= 22; Node 20 through the
 * Node entry's enabler): FMA rounds once instead of twice, so results differ from the reference
 * backend and from engines without it in the last bits (within float32 rounding of the sum);
 * `setRelaxedSimd(false)` gives bit-identical results everywhere. Takes effect for kernels
 * instantiated afterwards (call it before enableWasmThreads).
 */
export function setRelaxedSimd(on: boolean): boolean {
  if (wantRelaxed !== on) {
    wantRelaxed = on;
    compiled.plain = undefined;
    compiled.shared = undefined;
  }
  return relaxedSimdActive();
}

/**
 * Registers how to turn relaxed SIMD on where the engine has it behind a flag (relaxed-simd-node.ts);
 * it runs at most once, when a kernel is first compiled and relaxed SIMD is wanted but missing.
 */
export function setRelaxedSimdEnabler(enable: (() => void) | null): void {
  enabler = enable;
}

/** Whether the kernels compiled from now on use fused multiply-adds. */
export function relaxedSimdActive(): boolean {
  if (!wantRelaxed) return false;
  if (!relaxedSimdSupported() && enabler !== null) {
    const enable = enabler;
    enabler = null;
    enable();
    relaxed = null;
  }
  return relaxedSimdSupported();
}

function source(shared: boolean): string {
  if (relaxedSimdActive()) return shared ? SGEMM_SHARED_RELAXED_WASM : SGEMM_RELAXED_WASM;
  return shared ? SGEMM_SHARED_WASM : SGEMM_WASM;
}

/** Whether this runtime can run the WebAssembly SIMD kernels at all. */
export function wasmSimdSupported(): boolean {
  if (typeof WebAssembly !== "object") return false;
  try {
    return WebAssembly.validate(decode(SGEMM_WASM));
  } catch {
    return false;
  }
}

/** Whether shared memory (and so the two-thread path) is available here. */
export function sharedMemorySupported(): boolean {
  if (typeof SharedArrayBuffer !== "function") return false;
  try {
    return new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }).buffer instanceof SharedArrayBuffer;
  } catch {
    return false;
  }
}

/** Compiles the kernels asynchronously: required once before use on a browser's main thread. */
export async function initWasm(opts: { shared?: boolean } = {}): Promise<void> {
  // by default the build the backend instantiates: shared wherever shared memory exists (heap.ts)
  const shared = opts.shared ?? sharedMemorySupported();
  const key = shared ? "shared" : "plain";
  compiled[key] ??= await WebAssembly.compile(decode(source(shared)));
}

/** The compiled module, compiling synchronously if `initWasm` has not run. */
export function sgemmModule(shared: boolean): WebAssembly.Module {
  const key = shared ? "shared" : "plain";
  return (compiled[key] ??= new WebAssembly.Module(decode(source(shared))));
}

/**
 * Instantiates the kernels over `memory` (the backend's, heap.ts), or over a fresh memory of
 * `pages` pages (shared when asked).
 */
export function createSgemmInstance(opts: { shared?: boolean; pages?: number; memory?: WebAssembly.Memory } = {}): SgemmInstance {
  const shared = opts.shared ?? false;
  const pages = opts.pages ?? 1;
  const memory = opts.memory ?? (shared
    ? new WebAssembly.Memory({ initial: pages, maximum: MAX_PAGES, shared: true })
    : new WebAssembly.Memory({ initial: pages }));
  const module = sgemmModule(shared);
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  return { memory, module, exports: instance.exports as unknown as SgemmExports, shared };
}
