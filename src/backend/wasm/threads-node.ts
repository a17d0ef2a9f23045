// Node-only: one worker_threads helper running SGEMM bands over shared WebAssembly memory (the
// protocol is in helper-protocol.ts).
import { Worker } from "node:worker_threads";
import { awaitHelperReady, controlBytes, makeHelper, WORKER_LOOP } from "./helper-protocol.ts";
import { setGemmHelper, warmWasmGemm, type GemmHelper } from "./matmul.ts";
import { wasmMemory, wasmMemoryShared } from "./heap.ts";
import { createSgemmInstance, sharedMemorySupported } from "./module.ts";

// Plain CommonJS run with `eval: true`, so it needs no loader and no file next to the bundle.
const WORKER_SOURCE = `${WORKER_LOOP}
const { workerData } = require("node:worker_threads");
runGemmHelper(workerData.module, workerData.memory, workerData.control);
`;

let active: { worker: Worker; helper: GemmHelper } | null = null;

/**
 * Starts one worker thread and routes large float32 matmuls through both cores. Returns false (and
 * changes nothing) where shared WebAssembly memory is unavailable. The worker is unref'd: it never
 * keeps the process alive. Returns once the worker is up and both threads are warm (warmWasmGemm,
 * ~0.1 s), so the first large product pays no start-up.
 */
export function enableWasmThreads(): boolean {
  if (active !== null) return true;
  if (!sharedMemorySupported()) return false;
  if (!wasmMemoryShared()) return false;
  // over the backend's own memory, where resident tensors live
  const instance = createSgemmInstance({ shared: true, memory: wasmMemory() });
  const control = new SharedArrayBuffer(controlBytes());
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { module: instance.module, memory: instance.memory, control },
  });
  worker.unref();
  let exited = false;
  worker.once("exit", () => (exited = true));
  const helper = makeHelper(new Int32Array(control), instance, () => !exited && worker.threadId >= 0);
  active = { worker, helper };
  setGemmHelper(helper);
  // A worker that never starts (it would have to fail to instantiate) leaves the products to this
  // thread, as a busy one does: the helper claims bands only when it runs.
  if (awaitHelperReady(control, 10_000)) warmWasmGemm();
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
