/**
 * Which backend runs the kernels: a value you select with setBackend. Until then the first op
 * picks the WebAssembly backend where WebAssembly SIMD runs, else the TypeScript one.
 */
import type { Backend } from "./backend.ts";
import { cpuBackend } from "./cpu/index.ts";
import { wasmBackend, wasmBackendSupported } from "./wasm-backend.ts";

let active: Backend | null = null;

/** The backend that ops dispatch to. */
export function backend(): Backend {
  return (active ??= wasmBackendSupported() ? wasmBackend : cpuBackend);
}

/** Selects the backend for all following ops; returns the previous one. */
export function setBackend(b: Backend): Backend {
  const prev = backend();
  active = b;
  return prev;
}

export { cpuBackend, wasmBackend };
