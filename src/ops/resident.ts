/**
 * Where long-lived tensors live: parameters and optimizer state move into the active backend's
 * memory once, when they are made, so its kernels read and write them in place on every step
 * (see docs/ARCHITECTURE.md, "Where tensors live").
 */
import type { Tensor } from "../tensor.ts";
import { backend } from "../backend/active.ts";

/**
 * Moves `t`'s storage into the backend's memory (`Backend.adopt`) when `t` covers all of a plain
 * storage; views of the storage follow, since they share it. Returns `t`.
 */
export function makeResident<T extends Tensor>(t: T): T {
  const storage = t._storage, data = storage.data, l = t._layout;
  // LazyStorage and other storage classes keep their data where they have it
  if (Object.getPrototypeOf(storage) !== Object.prototype || !l.isContiguous || l.offset !== 0 || data.length !== l.numel) return t;
  const moved = backend().adopt(data);
  if (moved !== data) storage.data = moved;
  return t;
}

/**
 * A leaf's gradient that is being accumulated into (so it survived a `zeroGrad()` that zeroed it in
 * place, PyTorch 1.13's default) moves next to a resident leaf, once: the accumulation and the
 * optimizer's update then read and write it in place. A gradient made fresh every step
 * (`zeroGrad({ setToNone: true })`) never gets here, so no block waits for the collector per step.
 */
export function residentLike<T extends Tensor>(t: T, leaf: Tensor): T {
  const b = backend(), ls = leaf._storage, ts = t._storage;
  if (Object.getPrototypeOf(ls) !== Object.prototype || Object.getPrototypeOf(ts) !== Object.prototype) return t;
  return b.resident(ls.data) && !b.resident(ts.data) ? makeResident(t) : t;
}

/**
 * In place `dst += a @ b` (aᵀ @ b with `transA`; 2-D float32) by the backend's accumulating
 * GEMM store when `dst` covers its resident storage; false, changing nothing, where the backend cannot (`Backend.matmulAccumulate`).
 */
export function addmmResident_(dst: Tensor, a: Tensor, b: Tensor, transA = false): boolean {
  const l = dst._layout, s = dst._storage;
  if (Object.getPrototypeOf(s) !== Object.prototype || !l.isContiguous || l.offset !== 0) return false;
  const la = transA ? a._layout.transpose(0, 1) : a._layout;
  if (!backend().matmulAccumulate(s.data, a._storage.data, la, b._storage.data, b._layout)) return false;
  dst._version.value++;
  return true;
}

/**
 * In place `dst += x.sum(0)` (2-D float `x`, `dst` covering its storage) by the backend's
 * accumulating sum; false, changing nothing, where the backend cannot (`Backend.sumRowsAccumulate`).
 */
export function addSumRows_(dst: Tensor, x: Tensor): boolean {
  const l = dst._layout, s = dst._storage;
  if (Object.getPrototypeOf(s) !== Object.prototype || !l.isContiguous || l.offset !== 0) return false;
  if (!backend().sumRowsAccumulate(s.data, x._storage.data, x._layout)) return false;
  dst._version.value++;
  return true;
}
