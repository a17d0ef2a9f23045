// Browsers: one Web Worker helper running SGEMM bands over shared WebAssembly memory (the protocol is
// in helper-protocol.ts). SharedArrayBuffer needs a cross-origin isolated page (served with
// `Cross-Origin-Opener-Policy: same-origin` and `Cross-Origin-Embedder-Policy: require-corp`);
// elsewhere matmuls stay on one thread. The main thread may not block, so it polls while the helper
// finishes its band; inside a worker, the caller sleeps in Atomics.wait as in Node.
import { controlBytes, makeHelper, WORKER_LOOP } from "./helper-protocol.ts";
import { setGemmHelper, warmWasmGemm, type GemmHelper } from "./matmul.ts";
import { wasmMemory, wasmMemoryShared } from "./heap.ts";
import { createSgemmInstance, initWasm, sharedMemorySupported } from "./module.ts";

// Classic worker script from a Blob URL, so the bundle needs no separate worker file.
const WORKER_SOURCE = `${WORKER_LOOP}
self.onmessage = (event) => {
  self.postMessage("ready");
  runGemmHelper(event.data.module, event.data.memory, event.data.control);
};
`;

let active: { worker: Worker; helper: GemmHelper; alive: { value: boolean } } | null = null;

/** Whether this page can share memory with a worker (cross-origin isolated, with Web Workers). */
export function webThreadsSupported(): boolean {
  return typeof Worker === "function" && globalThis.crossOriginIsolated === true && sharedMemorySupported();
}

/**
 * Starts one Web Worker and routes large float32 matmuls through both cores; resolves to false (and
 * changes nothing) where the page is not cross-origin isolated. Compiles asynchronously, so it is
 * safe on the main thread.
 * @example if (await enableWasmThreadsWeb()) console.log("two-core GEMM")
 */
export async function enableWasmThreadsWeb(): Promise<boolean> {
  if (active !== null) return true;
  if (!webThreadsSupported()) return false;
  await initWasm({ shared: true });
  if (!wasmMemoryShared()) return false;
  // over the backend's own memory, where resident tensors live
  const instance = createSgemmInstance({ shared: true, memory: wasmMemory() });
  const control = new SharedArrayBuffer(controlBytes());
  const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: "text/javascript" }));
  const worker = new Worker(url);
  const alive = { value: true };
  try {
    await new Promise<void>((resolve, reject) => {
      worker.onmessage = () => resolve();
      worker.onerror = (e) => reject(new Error(`matmul: the wasm Web Worker failed to start: ${e.message}`));
      worker.postMessage({ module: instance.module, memory: instance.memory, control });
    });
  } finally {
    URL.revokeObjectURL(url);
  }
  worker.onerror = () => (alive.value = false);
  const helper = makeHelper(new Int32Array(control), instance, () => alive.value);
  active = { worker, helper, alive };
  setGemmHelper(helper);
  warmWasmGemm();
  return true;
}

/** Stops the Web Worker; matmuls return to a single thread. */
export function disableWasmThreadsWeb(): void {
  if (active === null) return;
  active.alive.value = false;
  active.worker.terminate();
  active = null;
  setGemmHelper(null);
}
