// The optimizers' fused updates on the WebAssembly SIMD kernels (assembly/optim.ts), float32 only.
// Resident operands (parameters and moments, heap.ts) are updated in place; the others are copied
// into the staging area and back.
import type { AdamScalars, SgdScalars } from "../backend.ts";
import { elementwisePass, operandArea, residentPtr } from "./matmul.ts";

const align = (bytes: number) => Math.ceil(bytes / 64) * 64;

/**
 * Where the kernel reads each of `arrays` (n floats): in place when resident, else staged into the
 * staging area. `back` copies the staged ones among `written` back out after the kernel has run;
 * `staged` counts them.
 */
function place(arrays: Float32Array[], n: number) {
  const bytes = align(4 * n), at = arrays.map((a) => residentPtr(a)), staged = at.filter((r) => r < 0).length;
  const { mem, base } = operandArea(bytes * staged);
  let next = base;
  const ptr = at.map((r, k) => {
    if (r >= 0) return r;
    const a = arrays[k]!, here = next;
    next += bytes;
    mem.set(a.length === n ? a : a.subarray(0, n), here / 4);
    return here;
  });
  const back = (written: number[]) => {
    for (const k of written) if (at[k]! < 0) arrays[k]!.set(mem.subarray(ptr[k]! / 4, ptr[k]! / 4 + n));
  };
  return { ptr, back, staged };
}

/** One Adam/AdamW step over `n` contiguous floats (Backend.adamStep). */
export function wasmAdamStep(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, n: number, h: AdamScalars): void {
  const { ptr, back, staged } = place([p, g, m, v], n);
  const flags = (h.decay !== 1 ? 1 : 0) | (h.l2 !== 0 ? 2 : 0) | (h.maximize ? 4 : 0);
  const [pp, pg, pm, pv] = ptr as [number, number, number, number];
  elementwisePass("adamStep", n, staged === 0, (i, c) => [
    pp + 4 * i, pg + 4 * i, pm + 4 * i, pv + 4 * i, c,
    h.beta1, 1 - h.beta1, h.beta2, 1 - h.beta2, h.bc2Sqrt, h.eps, -h.stepSize, h.decay, h.l2, flags,
  ]);
  back([0, 2, 3]);
}

/** One SGD step over `n` contiguous floats (Backend.sgdStep); `buf` is ignored without momentum. */
export function wasmSgdStep(p: Float32Array, g: Float32Array, buf: Float32Array, n: number, h: SgdScalars): void {
  const mom = h.momentum !== 0;
  const { ptr, back, staged } = place(mom ? [p, g, buf] : [p, g], n);
  const flags = (h.maximize ? 1 : 0) | (h.weightDecay !== 0 ? 2 : 0) | (mom ? 4 : 0) | (h.nesterov ? 8 : 0) | (1 - h.dampening !== 1 ? 16 : 0);
  const [pp, pg] = ptr as [number, number], pb = mom ? ptr[2]! : 0;
  elementwisePass("sgdStep", n, staged === 0, (i, c) => [pp + 4 * i, pg + 4 * i, mom ? pb + 4 * i : 0, c, h.weightDecay, h.momentum, 1 - h.dampening, -h.lr, flags]);
  back(mom ? [0, 2] : [0]);
}
