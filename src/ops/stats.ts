/**
 * The active backend's statistics kernel and its buffers, for streamed statistics of file tensors
 * (io/tensor-stream.ts): per-block moments of a chunk, and float32 buffers the kernel reads in
 * place, so file bytes can be read straight into them.
 */
import { backend } from "../backend/active.ts";
import { STATS_RECORD } from "../backend/cpu/stats.ts";

export { STATS_RECORD };

/**
 * Moment records of `values` in blocks of `blockSize` into `out` (STATS_RECORD numbers a block:
 * n, sum, sumSquares, m2, min, max, nan, nonFinite, zeros), on the active backend.
 */
export function blockStats(values: Float32Array | Float64Array, blockSize: number, out: Float64Array): void {
  backend().blockStats(values, blockSize, out);
}

/** `n` uninitialized float32 elements where the active backend's kernels read them without a copy. */
export function hostFloats(n: number): Float32Array {
  return backend().hostFloats(n);
}

/** Adds `weight` to counts[floor((v - lo) / width)] (the last bin takes the top edge) for each finite v, on the active backend. */
export function histogramCounts(values: Float32Array | Float64Array, lo: number, width: number, counts: number[], weight: number): void {
  backend().histogram(values, lo, width, counts, weight);
}

/**
 * Heat-map cells of a row-major matrix of `cols` columns, `values` being its elements from (`row`,
 * `col`) on: finite elements summed in order into sum[cell] and counted in cnt[cell], cell =
 * floor(row / br) · c + floor(col / bc).
 */
export function cellSums(
  values: Float32Array | Float64Array, cols: number, row: number, col: number, br: number, bc: number, c: number, sum: Float64Array, cnt: Float64Array,
): void {
  backend().cellSums(values, cols, row, col, br, bc, c, sum, cnt);
}

/**
 * The difference of two chunks of one length into `out` (six numbers): max |b − a|, Σ(b − a)², Σa²,
 * Σb², Σab over pairs finite on both sides, and the count of other pairs that differ, on the active backend.
 */
export function diffStats(a: Float32Array | Float64Array, b: Float32Array | Float64Array, out: Float64Array): void {
  backend().diffStats(a, b, out);
}
