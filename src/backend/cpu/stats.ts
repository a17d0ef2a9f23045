/**
 * The moments of streamed statistics (`torchlet inspect --stats`, `report`): per block of a chunk,
 * the finite elements' count, sum, sum of squares, extremes and squared deviations from the
 * block's own mean, and the NaN, non-finite and zero counts. The arithmetic is the SIMD kernel's
 * (wasm/assembly/stats.ts), spelled out: element i of a block goes to lane i % 8, each lane sums
 * in float64, element i's extremes go to lane i % 4 (`v < min` keeps the earliest), and lanes
 * combine in order, so the WebAssembly backend gives these bits exactly, whatever the thread count.
 */

/** Lanes per block: two f32x4 vectors a step, four f64x2 accumulators per sum. */
export const STATS_LANES = 8;
/** Numbers per block record: n, sum, sumSquares, m2, min, max, nan, nonFinite, zeros. */
export const STATS_RECORD = 9;

/** `len` numbers of `values` from `start` as one block's record at `out[o..o+9)`. */
function block(values: Float32Array | Float64Array, start: number, len: number, out: Float64Array, o: number): void {
  const sum = new Float64Array(STATS_LANES), sq = new Float64Array(STATS_LANES);
  const min = new Float64Array(4).fill(Infinity), max = new Float64Array(4).fill(-Infinity);
  let nonFinite = 0, nan = 0, zeros = 0;
  for (let i = 0; i < len; i++) {
    const v = values[start + i]!, l = i & 7, e = i & 3;
    if (v - v !== 0) { // NaN or ±Inf
      nonFinite++;
      if (v !== v) nan++;
      continue;
    }
    if (v === 0) zeros++;
    if (v < min[e]!) min[e] = v;
    if (v > max[e]!) max[e] = v;
    sum[l]! += v;
    sq[l]! += v * v;
  }
  let s = sum[0]!, q = sq[0]!, lo = min[0]!, hi = max[0]!;
  for (let l = 1; l < STATS_LANES; l++) {
    s += sum[l]!;
    q += sq[l]!;
  }
  for (let e = 1; e < 4; e++) {
    if (min[e]! < lo) lo = min[e]!;
    if (max[e]! > hi) hi = max[e]!;
  }
  const n = len - nonFinite;
  let m2 = 0;
  if (n > 0) {
    const mean = s / n, dev = new Float64Array(STATS_LANES);
    for (let i = 0; i < len; i++) {
      const v = values[start + i]!;
      if (v - v === 0) dev[i & 7]! += (v - mean) * (v - mean);
    }
    m2 = dev[0]!;
    for (let l = 1; l < STATS_LANES; l++) m2 += dev[l]!;
  }
  out[o] = n; out[o + 1] = s; out[o + 2] = q; out[o + 3] = m2; out[o + 4] = lo; out[o + 5] = hi;
  out[o + 6] = nan; out[o + 7] = nonFinite; out[o + 8] = zeros;
}

/**
 * Records of `values` cut into blocks of `blockSize` (the last may be shorter), STATS_RECORD
 * numbers each, written to `out`. Each block is read twice (its mean first), so blocks should fit a
 * core's cache.
 */
export function blockStatsKernel(values: Float32Array | Float64Array, blockSize: number, out: Float64Array): void {
  for (let start = 0, o = 0; start < values.length; start += blockSize, o += STATS_RECORD) {
    block(values, start, Math.min(blockSize, values.length - start), out, o);
  }
}

/**
 * Adds `weight` to counts[floor((v - lo) / width)] for each finite v of `values` (the top edge in
 * the last bin; the middle bin when width is 0): a histogram over the range [lo, lo + bins·width].
 */
export function histogramKernel(values: Float32Array | Float64Array, lo: number, width: number, counts: number[], weight: number): void {
  const bins = counts.length;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v - v !== 0) continue; // NaN or ±Inf
    const bin = width === 0 ? bins >> 1 : Math.floor((v - lo) / width);
    if (bin >= 0) counts[bin < bins ? bin : bins - 1]! += weight;
  }
}

/**
 * A matrix's heat-map cells: `values` are its elements from (`row`, `col`) on, row-major over
 * `cols` columns; each finite one is added in order to sum[cell] and counts 1 in cnt[cell], where
 * cell = floor(row / br) · c + floor(col / bc).
 */
export function cellSumsKernel(
  values: Float32Array | Float64Array, cols: number, row: number, col: number, br: number, bc: number, c: number, sum: Float64Array, cnt: Float64Array,
): void {
  let base = Math.floor(row / br) * c;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v - v === 0) {
      const cell = base + Math.floor(col / bc);
      sum[cell]! += v;
      cnt[cell]! += 1;
    }
    if (++col === cols) {
      col = 0;
      base = Math.floor(++row / br) * c;
    }
  }
}

/**
 * The difference of two chunks of one length (torchlet diff) into `out`: max |b − a|, Σ(b − a)²,
 * Σa², Σb², Σab over the pairs finite on both sides (float64 sums in lanes i % 4, combined in
 * order, as the SIMD kernel), and the count of other pairs that differ (NaN matches NaN).
 */
export function diffKernel(a: Float32Array | Float64Array, b: Float32Array | Float64Array, out: Float64Array): void {
  const dd = new Float64Array(4), aa = new Float64Array(4), bb = new Float64Array(4), ab = new Float64Array(4);
  let maxAbs = 0, bad = 0;
  for (let i = 0; i < a.length; i++) {
    const u = a[i]!, v = b[i]!, l = i & 3;
    if (u - u !== 0 || v - v !== 0) {
      if (!Object.is(u, v)) bad++;
      continue;
    }
    const d = Math.abs(v - u);
    if (d > maxAbs) maxAbs = d;
    dd[l]! += d * d;
    aa[l]! += u * u;
    bb[l]! += v * v;
    ab[l]! += u * v;
  }
  const inOrder = (x: Float64Array) => ((x[0]! + x[1]!) + x[2]!) + x[3]!;
  out[0] = maxAbs; out[1] = inOrder(dd); out[2] = inOrder(aa); out[3] = inOrder(bb); out[4] = inOrder(ab); out[5] = bad;
}
