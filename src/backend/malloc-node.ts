// Node-only: lets glibc's malloc keep the memory of freed op results for the next ones.
//
// Every op returns its values in a fresh typed array, whose bytes V8 takes from calloc. glibc
// serves a block of M_MMAP_THRESHOLD or more (128 KiB at start) with its own mmap and gives freed
// memory at the heap's top back to the kernel past M_TRIM_THRESHOLD (twice that), so a training
// step's activations (a 128 × 256 float32 layer is 128 KiB) arrive as fresh pages each step and
// every page faults on first write: 9 to 46 faults per step of the medium MLP (784-256-256-10,
// batch 128), most on two threads, each several µs on a VM. glibc raises both thresholds itself
// when it frees an mmapped block of up to 32 MiB (DEFAULT_MMAP_THRESHOLD_MAX on 64-bit): the
// threshold to the block's size, the trim threshold to twice that (mallopt(3), "dynamic mmap
// threshold"). Allocating one such block and dropping it makes glibc reuse up to 64 MiB of freed
// heap instead: 0 to 3 faults per step, and the two-thread step 3.65 → 3.07 ms (medians of 10
// alternated process pairs; bench/README.md). The block is never written, so it costs address
// space, not memory, and the next collection that finds it frees it. Other allocators (musl,
// macOS) see one unused block.

/** A little under DEFAULT_MMAP_THRESHOLD_MAX, so the block's mmapped chunk (header and page rounding included) still qualifies. */
const BLOCK_BYTES = 32 * 2 ** 20 - 2 ** 16;

/** Allocates and drops the block (see above); the Node entry runs it once, before the first op. */
export function raiseMallocThresholds(): void {
  try {
    void new ArrayBuffer(BLOCK_BYTES);
  } catch (e) {
    // a process refused 32 MiB of address space runs as before: the first op must not fail for this
    if (!(e instanceof RangeError)) throw e;
  }
}
