// Node-only: turns on V8's relaxed SIMD in Node 20, where it is complete but still behind a flag
// (V8 11.3; shipped by default from V8 11.4 / Node 22), so the fused multiply-add kernels load.
import { setFlagsFromString } from "node:v8";
import { redetectWasmFeatures, relaxedSimdSupported, setRelaxedSimd } from "./module.ts";

/**
 * Enables relaxed SIMD for this process (if the runtime lacks it) and opts in to the fused
 * multiply-add kernels (see setRelaxedSimd); returns whether they are in use. Call it before
 * enableWasmThreads: the helper's kernels keep the build they started with.
 * @example if (enableRelaxedSimd()) console.log("fused multiply-add GEMM: ~49 GFLOPS per thread")
 */
export function enableRelaxedSimd(): boolean {
  if (!relaxedSimdSupported()) {
    setFlagsFromString("--experimental-wasm-relaxed-simd");
    redetectWasmFeatures();
  }
  return setRelaxedSimd(true);
}
