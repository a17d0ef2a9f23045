// The hand-off between the calling thread and one helper thread running kernels on the same shared
// WebAssembly.Memory, for both Node (threads-node.ts) and browsers (threads-web.ts): SGEMM bands,
// the chunks of a convolution's large data-movement passes (im2col, col2im, swapLeading), and those
// of large elementwise passes and optimizer steps (matmul.ts elementwisePass). The
// helper blocks in Atomics.wait on a control block instead of using postMessage, so a hand-off
// costs a futex wake (tens of µs) and every kernel call stays synchronous.
import { TorchletError } from "../../errors.ts";
import type { GemmHelper } from "./matmul.ts";
import type { SgemmInstance } from "./module.ts";

/** Control block: Int32 slots (request sequence, failure flag, next free chunk tagged with the
 * request sequence: seq * 256 + chunk, chunks finished, chunk count, the helper's two scratch
 * pointers, chunks the helper has run in all, whether the helper is up), then MAX_CHUNKS rows of
 * ROW Float64 slots: the kernel's number in HELPER_KERNELS, then its arguments (float64 holds
 * every int32 pointer and float32 scalar exactly). */
const REQUEST = 0;
const FAILED = 1;
const NEXT = 2;
const FINISHED = 3;
const COUNT = 4;
const SCRATCH = 5;
const HELPED = 7;
const READY = 8;
/** Int32 slots before the rows (10: the rows start 8-byte aligned). */
const HEADER = 10;
const ROW = 16;
const MAX_CHUNKS = 8;
/**
 * Polls of shared memory before a thread sleeps in Atomics.wait: kernels that follow each other
 * within the spin skip the futex round trip. An Atomics.load of shared memory costs 6 to 16 ns on
 * the hosts measured, so this is 1.2 to 3 ms (the library reads no clock: see browser-safe.test.ts).
 * 20,000 polls (0.12 ms on the faster host) were too few: the medium MLP's step leaves gaps of up to
 * ~0.2 ms between its products (ReLU, the loss) and half of the helper's wakes took 50-300 µs; at
 * 200,000, 9 in 10 took under 5 µs. On a Zen 5 VM the helper still ran out of polls (after 1.35 ms)
 * 0.2 times a medium step; 2,000,000 polls (~15 ms) made that 0 and the helper's starts of over 50 µs
 * late fell from 0.3 to 0.1 a step, but the step was no faster (10 alternated process pairs: median
 * 4.46 against 4.27 ms, faster in 4), so the helper does not burn a core ten times longer for it.
 */
const SPIN = 200_000;

/**
 * The kernels a chunk can name, by number. sgemm's chunks carry its arguments up to, not including,
 * the packing scratch, which the thread that runs the chunk appends (each thread has its own).
 */
export const HELPER_KERNELS = [
  "sgemm", "im2col", "col2im", "swapLeading",
  "update", "updateScalar", "fill", "gelu", "geluBackward", "sgdStep", "adamStep", "unaryRows",
  "activationOp", "activationOpBackward",
] as const;
export type HelperKernel = (typeof HELPER_KERNELS)[number];

/** Bytes of the SharedArrayBuffer that holds the control block. */
export function controlBytes(): number {
  return 4 * HEADER + 8 * MAX_CHUNKS * ROW;
}

/**
 * The helper thread's loop as source text (a worker cannot import the bundle): defines
 * runGemmHelper(module, memory, control), which never returns.
 */
export const WORKER_LOOP = `
function runGemmHelper(module, memory, control) {
const exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
const kernels = ${JSON.stringify(HELPER_KERNELS)}.map((name) => exports[name]);
const ctl = new Int32Array(control);
const rows = new Float64Array(control, ${4 * HEADER}, ${MAX_CHUNKS * ROW});
Atomics.store(ctl, ${READY}, 1);
Atomics.notify(ctl, ${READY});
let seen = 0;
// A claim succeeds only while NEXT still carries this request's tag, so a helper that wakes late
// can never take a chunk of the following request twice.
function claim() {
  for (;;) {
    const v = Atomics.load(ctl, ${NEXT});
    if ((v >>> 8) !== seen || (v & 255) >= Atomics.load(ctl, ${COUNT})) return -1;
    if (Atomics.compareExchange(ctl, ${NEXT}, v, v + 1) === v) return v & 255;
  }
}
for (;;) {
  for (let i = 0; i < ${SPIN} && Atomics.load(ctl, ${REQUEST}) === seen; i++);
  while (Atomics.load(ctl, ${REQUEST}) === seen) Atomics.wait(ctl, ${REQUEST}, seen);
  seen = Atomics.load(ctl, ${REQUEST});
  for (;;) {
    const chunk = claim();
    if (chunk < 0) break;
    const count = Atomics.load(ctl, ${COUNT});
    const at = chunk * ${ROW}, id = rows[at], kernel = kernels[id];
    // sgemm's last two parameters are this thread's packing scratch
    const args = Array.from(rows.subarray(at + 1, at + 1 + kernel.length - (id === 0 ? 2 : 0)));
    if (id === 0) args.push(ctl[${SCRATCH}], ctl[${SCRATCH + 1}]);
    try {
      kernel(...args);
    } catch {
      Atomics.store(ctl, ${FAILED}, 1);
    }
    Atomics.add(ctl, ${HELPED}, 1);
    if (Atomics.add(ctl, ${FINISHED}, 1) + 1 === count) Atomics.notify(ctl, ${FINISHED});
  }
}
}
`;

/**
 * Waits for ctl[FINISHED] to leave `seen`; true when it gave up for a while (5 s, or 2^24 polls where
 * the thread may not block: a browser's main thread), so the caller can check the helper is alive.
 */
function sleep(ctl: Int32Array, seen: number): boolean {
  try {
    return Atomics.wait(ctl, FINISHED, seen, 5000) === "timed-out";
  } catch {
    for (let i = 0; i < 1 << 24; i++) if (Atomics.load(ctl, FINISHED) !== seen) return false;
    return true;
  }
}

/** Blocks until every chunk has finished: a short spin, then timed futex waits. */
function awaitChunks(ctl: Int32Array, count: number, alive: () => boolean): void {
  for (let i = 0; i < SPIN && Atomics.load(ctl, FINISHED) !== count; i++);
  for (;;) {
    const finished = Atomics.load(ctl, FINISHED);
    if (finished === count) break;
    // Timed, so that a worker that died (it cannot report while this thread blocks) ends in an error.
    if (sleep(ctl, finished) && !alive()) {
      throw new TorchletError("matmul: the wasm worker thread stopped; call disableWasmThreads() and retry");
    }
  }
  if (Atomics.exchange(ctl, FAILED, 0) !== 0) {
    throw new TorchletError("matmul: the wasm kernel trapped on the worker thread (out of memory?)");
  }
}

/**
 * Blocks (at most `ms`) until the helper thread has instantiated its kernels and waits for work;
 * returns whether it did. For callers that may block (Node's main thread, a worker).
 */
export function awaitHelperReady(control: SharedArrayBuffer, ms: number): boolean {
  const ctl = new Int32Array(control);
  if (Atomics.load(ctl, READY) === 0) Atomics.wait(ctl, READY, 0, ms);
  return Atomics.load(ctl, READY) === 1;
}

/**
 * The calling side of the protocol over `ctl` (a control block of controlBytes() bytes): claims
 * chunks alongside the helper and waits for the rest. `alive` tells whether the helper still runs.
 */
export function makeHelper(ctl: Int32Array, instance: SgemmInstance, alive: () => boolean): GemmHelper {
  const rows = new Float64Array(ctl.buffer, 4 * HEADER, MAX_CHUNKS * ROW);
  let seq = 0;
  return {
    instance,
    helped: () => Atomics.load(ctl, HELPED),
    parallel(kernel, chunks, helperScratch, local) {
      if (chunks.length > MAX_CHUNKS) throw new TorchletError(`${kernel}: at most ${MAX_CHUNKS} chunks, got ${chunks.length}`);
      const id = HELPER_KERNELS.indexOf(kernel);
      chunks.forEach((chunk, c) => {
        if (chunk.length >= ROW) throw new TorchletError(`${kernel}: a chunk holds at most ${ROW - 1} arguments, got ${chunk.length}`);
        rows[c * ROW] = id;
        rows.set(chunk, c * ROW + 1);
      });
      ctl.set(helperScratch, SCRATCH);
      Atomics.store(ctl, COUNT, chunks.length);
      Atomics.store(ctl, FINISHED, 0);
      seq = (seq % 0xffffff) + 1;
      // NEXT is tagged last: the helper can only claim a chunk once this request is fully written.
      Atomics.store(ctl, NEXT, seq * 256);
      Atomics.store(ctl, REQUEST, seq);
      Atomics.notify(ctl, REQUEST);
      for (;;) {
        const c = Atomics.add(ctl, NEXT, 1) & 255;
        if (c >= chunks.length) break;
        local(chunks[c]!);
        if (Atomics.add(ctl, FINISHED, 1) + 1 === chunks.length) break;
      }
      awaitChunks(ctl, chunks.length, alive);
    },
  };
}
