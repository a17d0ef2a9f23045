// The WebAssembly backend's one linear memory: the GEMM's packing scratch at the bottom, then a heap
// of blocks in size classes holding resident tensor storage (parameters, gradients, optimizer
// state), the backward pass's transient results, and the staging area where operands that live in
// JavaScript memory are copied for a call.
//
// Resident storage needs the memory to be shared (a SharedArrayBuffer: Node, and cross-origin
// isolated pages): growing a shared memory never detaches the buffers handed out before, so a
// Float32Array view over a block stays valid for the block's life whatever grows after it. Over a
// plain memory a grow detaches every view, so there nothing is resident and every operand is
// staged, as before. A block returns to its class's free list when the view it was handed out as is
// collected (FinalizationRegistry), when its tensor is evicted (`evictFloats`, called when
// tensors made resident pass the budget: ops/resident.ts), or, a transient one, when the autograd
// engine releases it (`releaseTransients`); blocks are reused, never returned to the
// engine, so memory stays at its high-water mark.
import { MAX_PAGES, sharedMemorySupported } from "./module.ts";

const PAGE = 65536;
/**
 * Resident blocks stop here (3 GiB of the 4 GiB a 32-bit memory can reach), leaving the rest for
 * the packing scratch and the staging area: storage that does not fit stays on V8's heap, which
 * the kernels copy in as before, so a model larger than wasm memory still builds and trains.
 */
export const RESIDENT_LIMIT_BYTES = 3 * 2 ** 30;
/**
 * Where the resident budget starts: resident blocks past it are refused (`residentFull`) until the
 * caller evicts or grows it. ResNet-18's weights, gradients and SGD momentum take ~140 MB.
 */
export const RESIDENT_BUDGET_DEFAULT = 256 * 2 ** 20;
/** Blocks start at multiples of this (a cache line; the SIMD kernels load 16-byte vectors). */
const ALIGN = 64;

let memory: WebAssembly.Memory | null = null;
let shared = false;
/** The heap: blocks from the base (above the packing scratch) to the bump pointer `top`. */
let top = 0;
const freeLists = new Map<number, number[]>();
const blockBytes = new Map<number, number>();
/** The buffers resident views were made over: an array is resident when its buffer is one of them. */
const residentBuffers = new WeakSet<ArrayBufferLike>();
let view: Float32Array | null = null;
/** The staging areas' blocks (byte offset and size; 0 before the first use), see stagingArea. */
const staging: Record<Staging, { ptr: number; bytes: number }> = { products: { ptr: 0, bytes: 0 }, passes: { ptr: 0, bytes: 0 } };
let residentBlocks = 0;
/** Bytes of the blocks handed out by residentFloats and not yet returned, and the budget for them. */
let residentBytes = 0;
let budget = RESIDENT_BUDGET_DEFAULT;

const registry = typeof FinalizationRegistry === "function"
  ? new FinalizationRegistry<number>(releaseBlock)
  : null;

function releaseBlock(ptr: number): void {
  const t = transients.get(ptr);
  if (t !== undefined) {
    transients.delete(ptr);
    transientBytes -= t.bytes;
  }
  residentBlocks--;
  residentBytes -= blockBytes.get(ptr) ?? 0;
  freeBlock(ptr);
}

/** The memory every kernel instance of this thread (and the helper thread) runs on. */
export function wasmMemory(): WebAssembly.Memory {
  if (memory === null) {
    shared = sharedMemorySupported();
    memory = shared
      ? new WebAssembly.Memory({ initial: 1, maximum: MAX_PAGES, shared: true })
      : new WebAssembly.Memory({ initial: 1 });
  }
  return memory;
}

/** Whether the memory is a SharedArrayBuffer, so tensors can live in it (and a helper thread can share it). */
export function wasmMemoryShared(): boolean {
  wasmMemory();
  return shared;
}

/** Places the heap above the first `bytes` (the packing scratch), growing the memory over them; only before the first block. */
export function setHeapBase(bytes: number): void {
  if (top !== 0) return;
  top = roundUp(bytes, ALIGN);
  grow(top);
}

/** Grows the memory to hold `bytes`. */
function grow(bytes: number): void {
  const mem = wasmMemory(), have = mem.buffer.byteLength;
  if (bytes > have) mem.grow(Math.ceil((bytes - have) / PAGE));
}

function roundUp(x: number, to: number): number {
  return Math.ceil(x / to) * to;
}

/**
 * The block size serving `bytes`: multiples of 64 up to 4 KiB, then four classes per power of two
 * (at most 25% unused), so a freed block serves any later request of its class.
 */
export function sizeClass(bytes: number): number {
  if (bytes <= 4096) return roundUp(Math.max(bytes, 1), ALIGN);
  const step = 2 ** (Math.ceil(Math.log2(bytes)) - 3);
  return roundUp(bytes, step);
}

/**
 * A block of at least `bytes` (a byte offset into the memory), reused from its class or cut from
 * the top; -1 when cutting it would pass `limit` or the memory cannot grow that far (nothing changes).
 */
export function allocBlock(bytes: number, limit = MAX_PAGES * PAGE): number {
  const size = sizeClass(bytes);
  const list = freeLists.get(size);
  if (list !== undefined && list.length > 0) return list.pop()!;
  if (top + size > limit) return -1;
  try {
    grow(top + size);
  } catch (e) {
    if (e instanceof RangeError) return -1; // the engine refused the memory
    throw e;
  }
  const ptr = top;
  top += size;
  blockBytes.set(ptr, size);
  return ptr;
}

/** Returns a block to its class's free list. */
export function freeBlock(ptr: number): void {
  const size = blockBytes.get(ptr);
  if (size === undefined) return;
  let list = freeLists.get(size);
  if (list === undefined) freeLists.set(size, (list = []));
  list.push(ptr);
}

/** A float view of the whole memory, re-made after a grow (or a detach, over a plain memory). */
export function memoryFloats(): Float32Array {
  const buf = wasmMemory().buffer;
  if (view === null || view.buffer !== buf || view.byteLength === 0) {
    view = new Float32Array(buf);
    if (shared) residentBuffers.add(buf);
  }
  return view;
}

/**
 * A copy of `view[start, end)` on V8's heap, where `view` is a view of the memory: `view.slice()`
 * without its cost. Over a shared memory V8 copies a slice with relaxed atomics, ~10× slower than
 * `set`'s memcpy (measured here, a new array each call: 32,768 floats 161 µs against 16.5 µs,
 * 100,352 floats 262 µs against 87 µs).
 */
export function sliceOf<T extends Float32Array | Float64Array | Int32Array>(view: T, start: number, end: number): T {
  const out = new (view.constructor as new (length: number) => T)(end - start);
  out.set(view.subarray(start, end) as ArrayLike<number>);
  return out;
}

/**
 * Which staging area a kernel copies its operands into. A product split over two threads leaves
 * its area's cache lines in both cores' caches (each thread reads its band of A and writes its band
 * of C), and the first kernel to write them afterwards on one thread waits for the other core to
 * give them up: ReLU over 32,768 floats right after a two-thread linear took 50-55 µs in the
 * products' area and 26 µs in an area of its own (21 µs when repeated), so the products
 * (matmul.ts) and every other pass each have one.
 */
export type Staging = "products" | "passes";

/**
 * A staging area for operands copied in from JavaScript memory: one block per `area`, replaced by
 * a larger one when a call needs more (the old one returns to its pool).
 */
export function stagingArea(area: Staging, bytes: number): number {
  const s = staging[area];
  if (bytes > s.bytes) {
    if (s.ptr !== 0) freeBlock(s.ptr);
    s.bytes = sizeClass(Math.max(bytes, s.bytes * 1.5));
    s.ptr = allocBlock(s.bytes);
    if (s.ptr < 0) {
      s.ptr = s.bytes = 0;
      throw new RangeError(`wasm backend: cannot stage ${bytes} bytes of operands in WebAssembly memory (at most 4 GiB)`);
    }
  }
  return s.ptr;
}

/** The byte offset of `a`'s first element in the memory when `a` is a resident view, else -1. */
export function residentOffset(a: Float32Array): number {
  return residentBuffers.has(a.buffer) ? a.byteOffset : -1;
}

/**
 * `n` floats in the memory, as a view the kernels read and write in place, zeroed unless `zero` is
 * false (the caller overwrites them all: touching the pages twice costs ~2 s per GiB on a VM), or
 * null where the memory is not shared, the engine has no FinalizationRegistry to give the block
 * back, or resident storage has reached RESIDENT_LIMIT_BYTES. `token` unregisters the view from
 * the registry (the view itself unless given: `evictFloats` uses it).
 */
export function residentFloats(n: number, zero = true, token?: object): Float32Array | null {
  if (!wasmMemoryShared() || registry === null) return null;
  const ptr = allocBlock(4 * n, RESIDENT_LIMIT_BYTES);
  if (ptr < 0) return null;
  memoryFloats();
  const buf = wasmMemory().buffer;
  residentBuffers.add(buf);
  const out = new Float32Array(buf, ptr, n);
  if (zero) out.fill(0);
  registry.register(out, ptr, token ?? out);
  residentBlocks++;
  residentBytes += blockBytes.get(ptr)!;
  return out;
}

/**
 * Transient results: while `transientMode` is on (the autograd engine's backward pass, which knows
 * when each gradient it makes is dead: see autograd/engine.ts), a fresh float32 result of at least
 * TRANSIENT_MIN_FLOATS is a block of this memory the kernel writes in place, recorded here until the
 * caller releases it (`releaseTransients`, at once, with no collector) or forgets it (`forgetTransients`:
 * then its view's collection returns it, as for any resident block). Past TRANSIENT_BUDGET_BYTES
 * recorded, results go to V8's heap as before.
 */
let transientMode = false;
/** Recorded transient blocks: their bytes, and the token that unregisters their view from the registry. */
const transients = new Map<number, { bytes: number; token: object }>();
let transientBytes = 0;
/** Smaller results stay on V8's heap: copying them out costs less than a block. */
const TRANSIENT_MIN_FLOATS = 1024;
/** The most transient storage recorded at once: past it, a pass's results go to V8's heap. */
export const TRANSIENT_BUDGET_BYTES = 256 * 2 ** 20;
let transientBudget = TRANSIENT_BUDGET_BYTES;

/** Sets the transient budget (tests; TRANSIENT_BUDGET_BYTES otherwise). */
export function setTransientBudget(bytes: number): void {
  transientBudget = bytes;
}

/** Turns transient results on or off; returns the previous state. */
export function setTransientMode(on: boolean): boolean {
  const was = transientMode;
  transientMode = on && registry !== null && (memory === null ? wasmMemoryShared() : shared);
  return was;
}

/**
 * A fresh result of `n` floats as a recorded transient block (uninitialized: the kernel writes every
 * element), or null outside transient mode, for small results, or past the budget.
 */
export function transientFloats(n: number): Float32Array | null {
  if (!transientMode || n < TRANSIENT_MIN_FLOATS || transientBytes + sizeClass(4 * n) > transientBudget) return null;
  const token = {}, out = residentFloats(n, false, token);
  if (out === null) return null;
  const bytes = blockBytes.get(out.byteOffset)!;
  transients.set(out.byteOffset, { bytes, token });
  transientBytes += bytes;
  return out;
}

/** How many transient blocks are recorded. */
export function transientCount(): number {
  return transients.size;
}

/** The recorded transient block holding `data` (its byte offset), or -1. */
export function transientBlock(data: ArrayBufferView): number {
  if (transients.size === 0 || data.byteLength === 0 || !residentBuffers.has(data.buffer)) return -1;
  const at = data.byteOffset;
  if (transients.has(at)) return at;
  for (const [ptr, t] of transients) if (at >= ptr && at < ptr + t.bytes) return ptr;
  return -1;
}

/** Frees every recorded transient block not in `keep()` now (asked only when one is recorded): no view of one may be read or written again. */
export function releaseTransients(keep: () => ReadonlySet<number>): void {
  if (transients.size === 0) return;
  const kept = keep();
  for (const [ptr, t] of transients) {
    if (kept.has(ptr)) continue;
    registry!.unregister(t.token);
    releaseBlock(ptr);
  }
}

/** Forgets every recorded transient block: each returns when its view is collected. */
export function forgetTransients(): void {
  // clear() makes the map a new table even when it is empty (a runtime call: 8% of the seed MLP's step)
  if (transients.size > 0) transients.clear();
  transientBytes = 0;
}

/** Whether `n` more resident floats would pass the budget (residentFloats itself ignores it). */
export function residentFull(n: number): boolean {
  // the budget is for long-lived storage: the backward pass's transient blocks have their own
  return residentBytes - transientBytes + sizeClass(4 * n) > budget;
}

/** Doubles the resident budget, up to RESIDENT_LIMIT_BYTES; false when it is already there. */
export function growResidentBudget(): boolean {
  if (budget >= RESIDENT_LIMIT_BYTES) return false;
  budget = Math.min(2 * budget, RESIDENT_LIMIT_BYTES);
  return true;
}

/** Sets the resident budget (tests; RESIDENT_BUDGET_DEFAULT otherwise). */
export function setResidentBudget(bytes: number): void {
  budget = bytes;
}

/**
 * A copy of `view` on V8's heap, and `view`'s block back on its free list, where `view` is a view
 * residentFloats handed out (`view` itself otherwise). `view` must never be used again: its block
 * will hold other tensors' values.
 */
export function evictFloats(view: Float32Array): Float32Array {
  if (registry === null || !residentBuffers.has(view.buffer) || !registry.unregister(view)) return view;
  const host = new Float32Array(view.length);
  host.set(view);
  releaseBlock(view.byteOffset);
  return host;
}

/** Bytes of the memory and of its heap in use, and resident blocks alive: for the memory benchmark. */
export function wasmHeapStats(): { memoryBytes: number; heapTop: number; residentBlocks: number; residentBytes: number; budget: number; transientBlocks: number } {
  return { memoryBytes: memory === null ? 0 : memory.buffer.byteLength, heapTop: top, residentBlocks, residentBytes, budget, transientBlocks: transients.size };
}
