/** torchlet for Node: the whole library plus the path-based file functions and worker threads. */
import { setBeforeFirstOp } from "./backend/active.ts";
import { raiseMallocThresholds } from "./backend/malloc-node.ts";
import { setRelaxedSimdEnabler } from "./backend/wasm/module.ts";
import { turnOnRelaxedSimdFlag } from "./backend/wasm/relaxed-simd-node.ts";
import { disableWasmThreads, enableWasmThreads } from "./backend/wasm/threads-node.ts";

export * from "./index.ts";
export { save, load, saveSafetensors, loadSafetensors, loadSafetensorsFile } from "./io/files-node.ts";
export { saveAsync, loadAsync, saveSafetensorsAsync, loadSafetensorsAsync, openCheckpointFile } from "./io/files-node.ts";
export { writeReport } from "./diagnostics/report-node.ts";

// The entry's two statements run at import store functions and do nothing else: Node 20 keeps
// relaxed SIMD behind a V8 flag, which is set only when the first kernel compiles and the fused
// multiply-add build is wanted (setRelaxedSimd), so a PyTorch user gets the fast GEMM unasked; and
// glibc's malloc is set to reuse freed op results (malloc-node.ts) when the first op runs.
setRelaxedSimdEnabler(turnOnRelaxedSimdFlag);
setBeforeFirstOp(raiseMallocThresholds);

let threads = 1;

/**
 * Uses one or two threads for large float32 matmuls, as torch.set_num_threads. Two threads start
 * one worker (it never keeps the process alive); where shared memory is missing it stays at one.
 */
export function setNumThreads(n: number): void {
  if (n >= 2) threads = enableWasmThreads() ? 2 : 1;
  else { void disableWasmThreads(); threads = 1; }
}

/** The number of threads large matmuls use (torch.get_num_threads). */
export function getNumThreads(): number {
  return threads;
}
