// Node-only: turns on V8's relaxed SIMD in Node 20, where it is complete but still behind a flag
// (V8 11.3; shipped by default from V8 11.4 / Node 22), so the fused multiply-add kernels load.
import { setFlagsFromString } from "node:v8";
import { redetectWasmFeatures, relaxedSimdSupported } from "./module.ts";

/**
 * Enables relaxed SIMD for this process and returns whether the FMA kernels now validate. Call it
 * before the first matmul (and before enableWasmThreads): kernels already instantiated keep their build.
 * @example if (enableRelaxedSimd()) console.log("fused multiply-add GEMM: ~49 GFLOPS per thread")
 */
export function enableRelaxedSimd(): boolean {
  if (relaxedSimdSupported()) return true;
  setFlagsFromString("--experimental-wasm-relaxed-simd");
  redetectWasmFeatures();
  return relaxedSimdSupported();
}
