// Node-only: a worker thread that runs half of each large SGEMM on the same SharedArrayBuffer-backed
// WebAssembly.Memory. The worker blocks in Atomics.wait on a control block instead of using
// postMessage, so a hand-off costs a futex wake (tens of µs) and wasmMatmul stays synchronous.
import { Worker } from "node:worker_threads";
import { TorchletError } from "../../errors.ts";
import { createSgemmInstance, sharedMemorySupported } from "./module.ts";
import { setGemmHelper, type GemmHelper } from "./matmul.ts";

/** Control block layout (Int32 slots): request sequence, finished sequence, failure flag, arguments. */
const REQUEST = 0;
const DONE = 1;
const FAILED = 2;
const ARGS = 3;
const ARG_COUNT = 15;
/** Polls before sleeping in Atomics.wait (~20 µs): back-to-back matmuls then skip the futex round trip. */
const SPIN = 20000;

// Plain CommonJS run with `eval: true`, so it needs no loader and no file next to the bundle.
const WORKER_SOURCE = `
const { workerData } = require("node:worker_threads");
const { module, memory, control } = workerData;
const sgemm = new WebAssembly.Instance(module, { env: { memory } }).exports.sgemm;
const ctl = new Int32Array(control);
let seen = 0;
for (;;) {
  for (let i = 0; i < ${SPIN} && Atomics.load(ctl, ${REQUEST}) === seen; i++);
  while (Atomics.load(ctl, ${REQUEST}) === seen) Atomics.wait(ctl, ${REQUEST}, seen);
  seen = Atomics.load(ctl, ${REQUEST});
  const args = Array.from(ctl.subarray(${ARGS}, ${ARGS + ARG_COUNT}));
  try {
    sgemm(...args);
  } catch {
    Atomics.store(ctl, ${FAILED}, 1);
  }
  Atomics.store(ctl, ${DONE}, seen);
  Atomics.notify(ctl, ${DONE});
}
`;

let active: { worker: Worker; helper: GemmHelper } | null = null;

function makeHelper(worker: Worker, ctl: Int32Array, instance: GemmHelper["instance"]): GemmHelper {
  let seq = 0;
  return {
    instance,
    start(args) {
      for (let i = 0; i < ARG_COUNT; i++) ctl[ARGS + i] = args[i]!;
      seq++;
      Atomics.store(ctl, REQUEST, seq);
      Atomics.notify(ctl, REQUEST);
    },
    wait() {
      for (let i = 0; i < SPIN && Atomics.load(ctl, DONE) !== seq; i++);
      for (;;) {
        const done = Atomics.load(ctl, DONE);
        if (done === seq) break;
        // Timed waits so a worker that died (it cannot report while this thread blocks) ends in an error.
        if (Atomics.wait(ctl, DONE, done, 5000) === "timed-out" && worker.threadId < 0) {
          throw new TorchletError("matmul: the wasm worker thread stopped; call disableWasmThreads() and retry");
        }
      }
      if (Atomics.exchange(ctl, FAILED, 0) !== 0) {
        throw new TorchletError("matmul: the wasm kernel trapped on the worker thread (out of memory?)");
      }
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
  const control = new SharedArrayBuffer(4 * (ARGS + ARG_COUNT));
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
