// AssemblyScript (see sgemm.ts for why tsc skips it).
// eslint-disable-next-line @typescript-eslint/ban-ts-comment
// @ts-nocheck

// Streamed statistics of float32 blocks (torchlet inspect --stats, report): per block, the finite
// elements' count, float64 sum and sum of squares, extremes, squared deviations from the block's
// mean, and the NaN, non-finite and zero counts, as records of nine float64 numbers. The arithmetic
// is backend/cpu/stats.ts's: element i of a block goes to float64 lane i % 8 of the sums (four f64x2
// accumulators) and to lane i % 4 of the extremes (one f32x4 each, `v < min` keeping the earliest),
// and lanes combine in order. A block with no NaN or Inf (every sum lane stays finite: float32
// values cannot overflow a float64 sum of a block) runs unmasked; any other block, or one whose
// length is not a multiple of 8, runs again masked. Pointers are byte offsets chosen by the caller.

const RECORD: usize = 9 * 8;

function high(v: v128): v128 {
  return f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 2, 3));
}

function low(v: v128): v128 {
  return f64x2.promote_low_f32x4(v);
}

/** Lanes 0..3 from up to `rem` floats at p, NaN beyond (NaN is masked out as non-finite). */
function partial(p: usize, rem: i32): v128 {
  let v = f32x4.splat(NaN);
  if (rem > 0) v = f32x4.replace_lane(v, 0, load<f32>(p));
  if (rem > 1) v = f32x4.replace_lane(v, 1, load<f32>(p, 4));
  if (rem > 2) v = f32x4.replace_lane(v, 2, load<f32>(p, 8));
  if (rem > 3) v = f32x4.replace_lane(v, 3, load<f32>(p, 12));
  return v;
}

/** Lanes in order: ((((((l0 + l1) + l2) + l3) + l4) + l5) + l6) + l7. */
function sum8(a: v128, b: v128, c: v128, d: v128): f64 {
  let s = f64x2.extract_lane(a, 0);
  s += f64x2.extract_lane(a, 1);
  s += f64x2.extract_lane(b, 0);
  s += f64x2.extract_lane(b, 1);
  s += f64x2.extract_lane(c, 0);
  s += f64x2.extract_lane(c, 1);
  s += f64x2.extract_lane(d, 0);
  s += f64x2.extract_lane(d, 1);
  return s;
}

function min4(v: v128): f64 {
  let m = f32x4.extract_lane(v, 0);
  const a = f32x4.extract_lane(v, 1), b = f32x4.extract_lane(v, 2), c = f32x4.extract_lane(v, 3);
  if (a < m) m = a;
  if (b < m) m = b;
  if (c < m) m = c;
  return <f64>m;
}

function max4(v: v128): f64 {
  let m = f32x4.extract_lane(v, 0);
  const a = f32x4.extract_lane(v, 1), b = f32x4.extract_lane(v, 2), c = f32x4.extract_lane(v, 3);
  if (a > m) m = a;
  if (b > m) m = b;
  if (c > m) m = c;
  return <f64>m;
}

/** The first pass over a block of `len` (a multiple of 8) finite floats; false (nothing written) when one is not finite. */
function firstFast(p: usize, len: i32, out: usize): bool {
  const zero = f32x4.splat(0);
  let s0 = f64x2.splat(0), s1 = s0, s2 = s0, s3 = s0, q0 = s0, q1 = s0, q2 = s0, q3 = s0;
  let mn = f32x4.splat(Infinity), mx = f32x4.splat(-Infinity), z = i32x4.splat(0);
  const end = p + (<usize>len << 2);
  for (let x = p; x < end; x += 32) {
    const a = v128.load(x), b = v128.load(x, 16);
    z = i32x4.sub(z, i32x4.add(f32x4.eq(a, zero), f32x4.eq(b, zero)));
    mn = f32x4.pmin(mn, f32x4.pmin(a, b));
    mx = f32x4.pmax(mx, f32x4.pmax(a, b));
    const a0 = low(a), a1 = high(a), b0 = low(b), b1 = high(b);
    s0 = f64x2.add(s0, a0);
    s1 = f64x2.add(s1, a1);
    s2 = f64x2.add(s2, b0);
    s3 = f64x2.add(s3, b1);
    q0 = f64x2.add(q0, f64x2.mul(a0, a0));
    q1 = f64x2.add(q1, f64x2.mul(a1, a1));
    q2 = f64x2.add(q2, f64x2.mul(b0, b0));
    q3 = f64x2.add(q3, f64x2.mul(b1, b1));
  }
  const c = f64x2.add(f64x2.add(s0, s1), f64x2.add(s2, s3));
  if (!i64x2.all_true(f64x2.eq(f64x2.sub(c, c), f64x2.splat(0)))) return false;
  store<f64>(out, <f64>len);
  store<f64>(out, sum8(s0, s1, s2, s3), 8);
  store<f64>(out, sum8(q0, q1, q2, q3), 16);
  store<f64>(out, min4(mn), 32);
  store<f64>(out, max4(mx), 40);
  store<f64>(out, 0, 48);
  store<f64>(out, 0, 56);
  store<f64>(out, <f64>(i32x4.extract_lane(z, 0) + i32x4.extract_lane(z, 1) + i32x4.extract_lane(z, 2) + i32x4.extract_lane(z, 3)), 64);
  return true;
}

function hsum(v: v128): i32 {
  return i32x4.extract_lane(v, 0) + i32x4.extract_lane(v, 1) + i32x4.extract_lane(v, 2) + i32x4.extract_lane(v, 3);
}

/** The first pass over any block: NaN and ±Inf masked out of the sums and extremes, and counted. */
function firstMasked(p: usize, len: i32, out: usize): void {
  const zero = f32x4.splat(0), inf = f32x4.splat(Infinity), ninf = f32x4.splat(-Infinity);
  let s0 = f64x2.splat(0), s1 = s0, s2 = s0, s3 = s0, q0 = s0, q1 = s0, q2 = s0, q3 = s0;
  let mn = inf, mx = ninf, z = i32x4.splat(0), nan = z, fin = z;
  const n8 = len & ~7;
  for (let i = 0; i < len; i += 8) {
    const x = p + (<usize>i << 2);
    const a = i < n8 ? v128.load(x) : partial(x, len - i);
    const b = i < n8 ? v128.load(x, 16) : partial(x + 16, len - i - 4);
    const fa = f32x4.eq(f32x4.sub(a, a), zero), fb = f32x4.eq(f32x4.sub(b, b), zero);
    z = i32x4.sub(z, i32x4.add(f32x4.eq(a, zero), f32x4.eq(b, zero)));
    nan = i32x4.sub(nan, i32x4.add(f32x4.ne(a, a), f32x4.ne(b, b)));
    fin = i32x4.sub(fin, i32x4.add(fa, fb));
    mn = f32x4.pmin(mn, f32x4.pmin(v128.bitselect(a, inf, fa), v128.bitselect(b, inf, fb)));
    mx = f32x4.pmax(mx, f32x4.pmax(v128.bitselect(a, ninf, fa), v128.bitselect(b, ninf, fb)));
    const am = v128.and(a, fa), bm = v128.and(b, fb);
    const a0 = low(am), a1 = high(am), b0 = low(bm), b1 = high(bm);
    s0 = f64x2.add(s0, a0);
    s1 = f64x2.add(s1, a1);
    s2 = f64x2.add(s2, b0);
    s3 = f64x2.add(s3, b1);
    q0 = f64x2.add(q0, f64x2.mul(a0, a0));
    q1 = f64x2.add(q1, f64x2.mul(a1, a1));
    q2 = f64x2.add(q2, f64x2.mul(b0, b0));
    q3 = f64x2.add(q3, f64x2.mul(b1, b1));
  }
  const pad = len == n8 ? 0 : n8 + 8 - len; // NaN lanes past the end
  const n = hsum(fin);
  store<f64>(out, <f64>n);
  store<f64>(out, sum8(s0, s1, s2, s3), 8);
  store<f64>(out, sum8(q0, q1, q2, q3), 16);
  store<f64>(out, min4(mn), 32);
  store<f64>(out, max4(mx), 40);
  store<f64>(out, <f64>(hsum(nan) - pad), 48);
  store<f64>(out, <f64>(len - n), 56);
  store<f64>(out, <f64>hsum(z), 64);
}

/** The second pass: squared deviations of the finite elements from `mean`, NaN and ±Inf masked out unless `finite`. */
function second(p: usize, len: i32, mean: f64, finite: bool): f64 {
  const m = f64x2.splat(mean), zero = f32x4.splat(0);
  let d0 = f64x2.splat(0), d1 = d0, d2 = d0, d3 = d0;
  if (finite) {
    const end = p + (<usize>len << 2);
    for (let x = p; x < end; x += 32) {
      const a = v128.load(x), b = v128.load(x, 16);
      const a0 = f64x2.sub(low(a), m), a1 = f64x2.sub(high(a), m), b0 = f64x2.sub(low(b), m), b1 = f64x2.sub(high(b), m);
      d0 = f64x2.add(d0, f64x2.mul(a0, a0));
      d1 = f64x2.add(d1, f64x2.mul(a1, a1));
      d2 = f64x2.add(d2, f64x2.mul(b0, b0));
      d3 = f64x2.add(d3, f64x2.mul(b1, b1));
    }
    return sum8(d0, d1, d2, d3);
  }
  const n8 = len & ~7;
  for (let i = 0; i < len; i += 8) {
    const x = p + (<usize>i << 2);
    const a = i < n8 ? v128.load(x) : partial(x, len - i);
    const b = i < n8 ? v128.load(x, 16) : partial(x + 16, len - i - 4);
    const fa = f32x4.eq(f32x4.sub(a, a), zero), fb = f32x4.eq(f32x4.sub(b, b), zero);
    const a0 = v128.and(f64x2.sub(low(a), m), i64x2.extend_low_i32x4_s(fa));
    const a1 = v128.and(f64x2.sub(high(a), m), i64x2.extend_high_i32x4_s(fa));
    const b0 = v128.and(f64x2.sub(low(b), m), i64x2.extend_low_i32x4_s(fb));
    const b1 = v128.and(f64x2.sub(high(b), m), i64x2.extend_high_i32x4_s(fb));
    d0 = f64x2.add(d0, f64x2.mul(a0, a0));
    d1 = f64x2.add(d1, f64x2.mul(a1, a1));
    d2 = f64x2.add(d2, f64x2.mul(b0, b0));
    d3 = f64x2.add(d3, f64x2.mul(b1, b1));
  }
  return sum8(d0, d1, d2, d3);
}

/**
 * Records of the `len` floats at `p` cut into blocks of `blockSize` (the last may be shorter;
 * blocks whose length is not a multiple of 8 run masked), nine float64 numbers each at `out`: n, sum, sumSquares, m2, min, max,
 * nan, nonFinite, zeros.
 */
export function blockStats(p: usize, len: i32, blockSize: i32, out: usize): void {
  for (let start = 0; start < len; start += blockSize) {
    const n = min(blockSize, len - start);
    const x = p + (<usize>start << 2);
    const finite = (n & 7) == 0 && firstFast(x, n, out);
    if (!finite) firstMasked(x, n, out);
    const count = load<f64>(out);
    store<f64>(out, count > 0 ? second(x, n, load<f64>(out, 8) / count, finite) : 0, 24);
    out += RECORD;
  }
}

/** floor((v - lo) / width) as the reference computes it, clamped to the last bin; `bins` (a spare slot) when v is not finite or below lo. */
function bin1(v: f32, lo: f64, width: f64, bins: i32): i32 {
  if (v - v != 0) return bins;
  if (width == 0) return bins >> 1;
  const t = Math.floor((<f64>v - lo) / width);
  if (t < 0) return bins;
  return t < <f64>bins ? <i32>t : bins - 1;
}

/**
 * Histogram counts of the `len` floats at `p` over bins of `width` from `lo`: counts[bin] += 1
 * (i32, `bins` + 1 slots at `counts`, the last one taking NaN and ±Inf), bin = floor((v - lo) /
 * width) in float64 as the reference computes it, the top edge in the last bin; bin bins / 2 when
 * width is 0.
 */
export function histogram(p: usize, len: i32, lo: f64, width: f64, bins: i32, counts: usize): void {
  const n4 = width == 0 ? 0 : len & ~3;
  const zero = f32x4.splat(0), l = f64x2.splat(lo), w = f64x2.splat(width);
  const last = i32x4.splat(bins - 1), spare = i32x4.splat(bins), izero = i32x4.splat(0);
  for (let i = 0; i < n4; i += 4) {
    const a = v128.load(p + (<usize>i << 2));
    const t0 = f64x2.floor(f64x2.div(f64x2.sub(low(a), l), w)), t1 = f64x2.floor(f64x2.div(f64x2.sub(high(a), l), w));
    let b = v128.shuffle<i32>(i32x4.trunc_sat_f64x2_s_zero(t0), i32x4.trunc_sat_f64x2_s_zero(t1), 0, 1, 4, 5);
    b = i32x4.min_s(b, last);
    const ok = v128.and(f32x4.eq(f32x4.sub(a, a), zero), i32x4.ge_s(b, izero));
    b = v128.bitselect(b, spare, ok);
    const c0 = counts + (<usize>i32x4.extract_lane(b, 0) << 2);
    store<i32>(c0, load<i32>(c0) + 1);
    const c1 = counts + (<usize>i32x4.extract_lane(b, 1) << 2);
    store<i32>(c1, load<i32>(c1) + 1);
    const c2 = counts + (<usize>i32x4.extract_lane(b, 2) << 2);
    store<i32>(c2, load<i32>(c2) + 1);
    const c3 = counts + (<usize>i32x4.extract_lane(b, 3) << 2);
    store<i32>(c3, load<i32>(c3) + 1);
  }
  for (let i = n4; i < len; i++) {
    const c = counts + (<usize>bin1(load<f32>(p + (<usize>i << 2)), lo, width, bins) << 2);
    store<i32>(c, load<i32>(c) + 1);
  }
}

/**
 * A matrix's heat-map cells: the `len` floats at `p` are its elements from row `row`, column `col`
 * on (row-major, `cols` columns); each finite one is added, in order, to sum[cell] (float64) and
 * counts 1 in cnt[cell], cell = floor(row / br) * c + floor(col / bc).
 */
export function cellSums(p: usize, len: i32, cols: i32, row: i32, col: i32, br: i32, bc: i32, c: i32, sum: usize, cnt: usize): void {
  let i = 0;
  while (i < len) {
    const cellCol = col / bc;
    const run = min(len - i, min(cols, (cellCol + 1) * bc) - col);
    const cell = <usize>((row / br) * c + cellCol) << 3;
    let s = load<f64>(sum + cell), k = 0;
    for (let j = 0; j < run; j++) {
      const v = load<f32>(p + (<usize>(i + j) << 2));
      if (v - v == 0) {
        s += <f64>v;
        k++;
      }
    }
    store<f64>(sum + cell, s);
    store<f64>(cnt + cell, load<f64>(cnt + cell) + <f64>k);
    i += run;
    col += run;
    if (col == cols) {
      col = 0;
      row++;
    }
  }
}

function sum4(a: v128, b: v128): f64 {
  let s = f64x2.extract_lane(a, 0);
  s += f64x2.extract_lane(a, 1);
  s += f64x2.extract_lane(b, 0);
  s += f64x2.extract_lane(b, 1);
  return s;
}

/**
 * The difference of two float32 chunks of `len` elements at `pa` and `pb` (torchlet diff), six
 * float64 numbers at `out`: max |b − a|, Σ(b − a)², Σa², Σb², Σab over the pairs finite on both
 * sides, and the count of other pairs that differ (NaN matches NaN, Inf matches the same Inf). The
 * sums run in float64 lanes i % 4 combined in order, as the reference (backend/cpu/stats.ts).
 */
export function diffStats(pa: usize, pb: usize, len: i32, out: usize): void {
  const zero = f32x4.splat(0);
  let d0 = f64x2.splat(0), d1 = d0, a0 = d0, a1 = d0, b0 = d0, b1 = d0, c0 = d0, c1 = d0, mx = d0;
  let bad = i32x4.splat(0);
  const n4 = len & ~3;
  for (let i = 0; i < len; i += 4) {
    const o = <usize>i << 2;
    const a = i < n4 ? v128.load(pa + o) : partial(pa + o, len - i);
    const b = i < n4 ? v128.load(pb + o) : partial(pb + o, len - i);
    const fin = v128.and(f32x4.eq(f32x4.sub(a, a), zero), f32x4.eq(f32x4.sub(b, b), zero));
    const same = v128.or(f32x4.eq(a, b), v128.and(f32x4.ne(a, a), f32x4.ne(b, b)));
    bad = i32x4.sub(bad, v128.not(v128.or(fin, same)));
    const am = v128.and(a, fin), bm = v128.and(b, fin);
    const ul = low(am), uh = high(am), vl = low(bm), vh = high(bm);
    const el = f64x2.abs(f64x2.sub(vl, ul)), eh = f64x2.abs(f64x2.sub(vh, uh));
    mx = f64x2.pmax(mx, f64x2.pmax(el, eh));
    d0 = f64x2.add(d0, f64x2.mul(el, el));
    d1 = f64x2.add(d1, f64x2.mul(eh, eh));
    a0 = f64x2.add(a0, f64x2.mul(ul, ul));
    a1 = f64x2.add(a1, f64x2.mul(uh, uh));
    b0 = f64x2.add(b0, f64x2.mul(vl, vl));
    b1 = f64x2.add(b1, f64x2.mul(vh, vh));
    c0 = f64x2.add(c0, f64x2.mul(ul, vl));
    c1 = f64x2.add(c1, f64x2.mul(uh, vh));
  }
  store<f64>(out, max(f64x2.extract_lane(mx, 0), f64x2.extract_lane(mx, 1)));
  store<f64>(out, sum4(d0, d1), 8);
  store<f64>(out, sum4(a0, a1), 16);
  store<f64>(out, sum4(b0, b1), 24);
  store<f64>(out, sum4(c0, c1), 32);
  store<f64>(out, <f64>(i32x4.extract_lane(bad, 0) + i32x4.extract_lane(bad, 1) + i32x4.extract_lane(bad, 2) + i32x4.extract_lane(bad, 3)), 40);
}
