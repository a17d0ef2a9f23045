/**
 * Which backend runs the kernels: a value you select with setBackend. Until then the first op
 * picks the WebAssembly backend where WebAssembly SIMD runs, else the TypeScript one.
 */
import type { Backend } from "./backend.ts";
import { cpuBackend } from "./cpu/index.ts";
import { wasmBackend, wasmBackendSupported } from "./wasm-backend.ts";

let active: Backend | null = null;
let beforeFirstOp: (() => void) | null = null;

/** The backend that ops dispatch to. */
export function backend(): Backend {
  return (active ??= firstBackend());
}

function firstBackend(): Backend {
  const setup = beforeFirstOp;
  beforeFirstOp = null;
  setup?.();
  return wasmBackendSupported() ? wasmBackend : cpuBackend;
}

/**
 * Registers a function run once, when the first op (or setBackend) asks for the backend: the Node
 * entry's allocator setting (malloc-node.ts), which must not run at import.
 */
export function setBeforeFirstOp(f: (() => void) | null): void {
  beforeFirstOp = f;
}

/** Selects the backend for all following ops; returns the previous one. */
export function setBackend(b: Backend): Backend {
  const prev = backend();
  active = b;
  return prev;
}

export { cpuBackend, wasmBackend };
