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
