// Node-only: a worker thread that runs half of each large SGEMM on the same SharedArrayBuffer-backed
// WebAssembly.Memory. The worker blocks in Atomics.wait on a control block instead of using
// postMessage, so a hand-off costs a futex wake (tens of µs) and wasmMatmul stays synchronous.
import { Worker } from "node:worker_threads";
import { TorchletError } from "../../errors.ts";
import { createSgemmInstance, sharedMemorySupported } from "./module.ts";
import { setGemmHelper, type GemmHelper } from "./matmul.ts";

/** Control block (Int32 slots): request sequence, failure flag, next free chunk (tagged with the
 * request sequence: seq * 256 + chunk), chunks finished, chunk count, the helper's two scratch
 * pointers, then MAX_CHUNKS rows of sgemm arguments. */
const REQUEST = 0;
const FAILED = 1;
const NEXT = 2;
const FINISHED = 3;
const COUNT = 4;
const SCRATCH = 5;
const ARGS = 7;
const ARG_COUNT = 13;
const MAX_CHUNKS = 8;
/** Polls before sleeping in Atomics.wait (~20 µs): back-to-back matmuls then skip the futex round trip. */
const SPIN = 20000;

// Plain CommonJS run with `eval: true`, so it needs no loader and no file next to the bundle.
const WORKER_SOURCE = `
const { workerData } = require("node:worker_threads");
const { module, memory, control } = workerData;
const sgemm = new WebAssembly.Instance(module, { env: { memory } }).exports.sgemm;
const ctl = new Int32Array(control);
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
    const args = Array.from(ctl.subarray(${ARGS} + chunk * ${ARG_COUNT}, ${ARGS} + (chunk + 1) * ${ARG_COUNT}));
    try {
      sgemm(...args, ctl[${SCRATCH}], ctl[${SCRATCH + 1}]);
    } catch {
      Atomics.store(ctl, ${FAILED}, 1);
    }
    if (Atomics.add(ctl, ${FINISHED}, 1) + 1 === count) Atomics.notify(ctl, ${FINISHED});
  }
}
`;

let active: { worker: Worker; helper: GemmHelper } | null = null;

/** Blocks until every chunk has finished: a short spin, then timed futex waits. */
function awaitChunks(worker: Worker, ctl: Int32Array, count: number): void {
  for (let i = 0; i < SPIN && Atomics.load(ctl, FINISHED) !== count; i++);
  for (;;) {
    const finished = Atomics.load(ctl, FINISHED);
    if (finished === count) break;
    // Timed, so that a worker that died (it cannot report while this thread blocks) ends in an error.
    if (Atomics.wait(ctl, FINISHED, finished, 5000) === "timed-out" && worker.threadId < 0) {
      throw new TorchletError("matmul: the wasm worker thread stopped; call disableWasmThreads() and retry");
    }
  }
  if (Atomics.exchange(ctl, FAILED, 0) !== 0) {
    throw new TorchletError("matmul: the wasm kernel trapped on the worker thread (out of memory?)");
  }
}

function makeHelper(worker: Worker, ctl: Int32Array, instance: GemmHelper["instance"]): GemmHelper {
  let seq = 0;
  return {
    instance,
    parallel(chunks, helperScratch, local) {
      if (chunks.length > MAX_CHUNKS) throw new TorchletError(`matmul: at most ${MAX_CHUNKS} chunks, got ${chunks.length}`);
      chunks.forEach((chunk, c) => ctl.set(chunk, ARGS + c * ARG_COUNT));
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
      awaitChunks(worker, ctl, chunks.length);
    },
  };
}

/**
 * Starts one worker thread and routes large float32 matmuls through both cores. Returns false (and
 * changes nothing) where shared WebAssembly memory is unavailable. The worker is unref'd: it never
 * keeps the process alive.
 */
export function enableWasmThreads(): boolean {
  if (active !== null) return true;
  if (!sharedMemorySupported()) return false;
  const instance = createSgemmInstance({ shared: true });
  const control = new SharedArrayBuffer(4 * (ARGS + MAX_CHUNKS * ARG_COUNT));
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { module: instance.module, memory: instance.memory, control },
  });
  worker.unref();
  const helper = makeHelper(worker, new Int32Array(control), instance);
  active = { worker, helper };
  setGemmHelper(helper);
  return true;
}

/** Stops the worker thread; matmuls return to a single thread. */
export async function disableWasmThreads(): Promise<void> {
  if (active === null) return;
  const { worker } = active;
  active = null;
  setGemmHelper(null);
  await worker.terminate();
}
