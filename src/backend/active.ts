/** Which backend runs the kernels. A value you select, never chosen at import time by side effect. */
import type { Backend } from "./backend.ts";
import { cpuBackend } from "./cpu/index.ts";

let active: Backend = cpuBackend;

/** The backend that ops dispatch to. */
export function backend(): Backend {
  return active;
}

/** Selects the backend for all following ops; returns the previous one. */
export function setBackend(b: Backend): Backend {
  const prev = active;
  active = b;
  return prev;
}
