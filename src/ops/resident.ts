/**
 * Where long-lived tensors live: parameters and optimizer state move into the active backend's
 * memory once, when they are made, so its kernels read and write them in place on every step
 * (see docs/ARCHITECTURE.md, "Where tensors live").
 */
import type { Storage, Tensor } from "../tensor.ts";
import { backend } from "../backend/active.ts";

/**
 * Storage made resident and not evicted since, held strongly: a JavaScript engine reports a
 * collected object only after the current job ends (FinalizationRegistry callbacks, and WeakRef
 * targets, which stay alive for the rest of the job that made the WeakRef), so inside a synchronous
 * loop nothing can tell a dead model's blocks from a live one's. When the budget is full, the oldest
 * half of it is evicted (`evictOldest`): its values move to V8's heap, whose collector then
 * frees the dead ones inside the loop, and the blocks are free for new tensors. The live ones come
 * back at their next optimizer step (`restoreResident`). Holding them costs nothing extra: their
 * blocks are within the budget until the next eviction.
 */
const tracked: Storage[] = [];
/** Storage evicted while it may still be in use: `restoreResident` brings it back. */
const evicted = new WeakSet<Storage>();
/** Storage whose array was handed out (`Tensor.contiguousData()`): never evicted, so the array stays valid. */
const pinned = new WeakSet<Storage>();
let evictions = 0;

/**
 * Moves `t`'s storage into the backend's memory (`Backend.adopt`) when `t` covers all of a plain
 * storage; views of the storage follow, since they share it. Returns `t`.
 *
 * A new long-lived tensor that finds the backend's budget full evicts the oldest tracked storage
 * first (in a loop that builds model after model, it belongs to dead models). A tensor known to
 * be in use (`live`: evicted and used again) grows the budget instead, so a live set larger than the
 * budget settles resident after one round rather than evicting itself every step.
 */
export function makeResident<T extends Tensor>(t: T, live = false): T {
  const storage = t._storage, data = storage.data, l = t._layout;
  // LazyStorage and other storage classes keep their data where they have it
  if (Object.getPrototypeOf(storage) !== Object.prototype || !l.isContiguous || l.offset !== 0 || data.length !== l.numel) return t;
  const b = backend();
  if (b.resident(data)) return t;
  let moved = b.adoptWithinBudget(data);
  while (moved === null && (live ? b.growResidentBudget() : evictOldest())) moved = b.adoptWithinBudget(data);
  if (moved === null || moved === data) return t;
  storage.data = moved;
  tracked.push(storage);
  return t;
}

/**
 * Evicts the oldest tracked storages, half of the tracked bytes, skipping pinned ones and ones no
 * longer resident; whether any was. Oldest first: the model being built or trained now is the
 * newest, and a dead one's tensors are older than it.
 */
function evictOldest(): boolean {
  const b = backend();
  let total = 0;
  for (const s of tracked) total += s.data.byteLength;
  let freed = 0, i = 0;
  for (; i < tracked.length && freed < total / 2; i++) {
    const s = tracked[i]!;
    if (pinned.has(s) || !b.resident(s.data)) continue;
    freed += s.data.byteLength;
    s.data = b.evict(s.data);
    evicted.add(s);
  }
  tracked.splice(0, i);
  if (freed > 0) evictions++;
  return freed > 0;
}

/** How many evictions have run: an optimizer restores its tensors when this moved since its last step. */
export function residentEvictions(): number {
  return evictions;
}

/** Brings `t`'s storage, and its gradient's, back into the backend's memory if an eviction moved them out. */
export function restoreResident(t: Tensor): void {
  if (t.grad !== null) restoreResident(t.grad);
  if (!evicted.has(t._storage)) return;
  evicted.delete(t._storage);
  makeResident(t, true);
}

/** Keeps `storage` where it is from now on: its array was handed out, and must stay valid. */
export function pinResident(storage: Storage): void {
  pinned.add(storage);
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
 * Transient results (Backend.transientResults): while on, the backend's fresh float32 results live
 * in its memory, recorded until `releaseTransients` frees them at once or `forgetTransients` leaves
 * them to the collector. For a caller that knows when each result is dead: the autograd engine's
 * backward pass (autograd/engine.ts `PassBlocks`). Returns the previous state.
 */
export function transientResults(on: boolean): boolean {
  return backend().transientResults(on);
}

/** How many transient blocks are recorded. */
export function transientCount(): number {
  return backend().transientCount();
}

/** The recorded transient block holding `t`'s values (an id), or -1. */
export function transientBlockOf(t: Tensor): number {
  return backend().transientBlock(t._storage.data);
}

/** Frees every recorded transient block not in `keep()` (asked only when one is recorded): no tensor over one may be read again. */
export function releaseTransients(keep: () => ReadonlySet<number>): void {
  backend().releaseTransients(keep);
}

/** Forgets every recorded transient block: each returns when its tensors are collected. */
export function forgetTransients(): void {
  backend().forgetTransients();
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
