// Node-only: turns on V8's relaxed SIMD in Node 20, where it is complete but still behind a flag
// (V8 11.3; shipped by default from V8 11.4 / Node 22), so the fused multiply-add kernels load.
import { setFlagsFromString } from "node:v8";
import { redetectWasmFeatures, relaxedSimdSupported, setRelaxedSimd } from "./module.ts";

/**
 * Sets V8's relaxed-SIMD flag when the engine lacks the feature (Node 20) and forgets the feature
 * probe. The Node entry registers it with setRelaxedSimdEnabler, so it runs lazily, at the first
 * kernel compile, and only while the fused multiply-add build is wanted (see setRelaxedSimd).
 */
export function turnOnRelaxedSimdFlag(): void {
  if (relaxedSimdSupported()) return;
  setFlagsFromString("--experimental-wasm-relaxed-simd");
  redetectWasmFeatures();
}

/**
 * Enables relaxed SIMD for this process (if the runtime lacks it) and opts in to the fused
 * multiply-add kernels (see setRelaxedSimd); returns whether they are in use. The Node entry does
 * this lazily by default; call it before enableWasmThreads when using the kernels directly.
 * @example if (enableRelaxedSimd()) console.log("fused multiply-add GEMM")
 */
export function enableRelaxedSimd(): boolean {
  turnOnRelaxedSimdFlag();
  return setRelaxedSimd(true);
}
