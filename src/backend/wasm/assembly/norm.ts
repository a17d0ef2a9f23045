// AssemblyScript (see sgemm.ts for why tsc skips it).
// eslint-disable-next-line @typescript-eslint/ban-ts-comment
// @ts-nocheck

// Layer norm's forward and backward over contiguous float32 rows in linear memory. The row sums
// run in float64, four lanes (two f64x2 halves of each f32x4) summed as the TypeScript reference
// (src/backend/cpu/norm.ts) sums them; the float32 passes round every step as it does, so both
// backends give the same bits. A pointer of 0 means the operand is absent.

import { demote4, promoteHigh } from "./lanes64";

/** ((lane0 + lane2) + (lane1 + lane3)) of the four float64 lanes held as lo = (0, 1), hi = (2, 3). */
function laneSum(lo: v128, hi: v128): f64 {
  const s = f64x2.add(lo, hi);
  return f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
}

/**
 * y = (x·a + c)·w + b per row of x [rows, cols], a = 1/√(var + eps), c = -a·mean; the rows' mean
 * and a stored as float64 at `mean` and `rstd`.
 */
export function layerNorm(y: usize, mean: usize, rstd: usize, x: usize, rows: i32, cols: i32, w: usize, b: usize, eps: f64): void {
  const n4 = cols & ~3;
  for (let r = 0; r < rows; r++) {
    const px = x + ((<usize>r * <usize>cols) << 2), py = y + ((<usize>r * <usize>cols) << 2);
    let lo = f64x2.splat(0), hi = f64x2.splat(0);
    let j = 0;
    for (; j < n4; j += 4) {
      const v = v128.load(px + (<usize>j << 2));
      lo = f64x2.add(lo, f64x2.promote_low_f32x4(v));
      hi = f64x2.add(hi, promoteHigh(v));
    }
    let s = laneSum(lo, hi);
    for (; j < cols; j++) s += <f64>load<f32>(px + (<usize>j << 2));
    const m = s / <f64>cols;
    const mv = f64x2.splat(m);
    lo = f64x2.splat(0);
    hi = f64x2.splat(0);
    for (j = 0; j < n4; j += 4) {
      const v = v128.load(px + (<usize>j << 2));
      const d0 = f64x2.sub(f64x2.promote_low_f32x4(v), mv), d1 = f64x2.sub(promoteHigh(v), mv);
      lo = f64x2.add(lo, f64x2.mul(d0, d0));
      hi = f64x2.add(hi, f64x2.mul(d1, d1));
    }
    let q = laneSum(lo, hi);
    for (; j < cols; j++) {
      const d = <f64>load<f32>(px + (<usize>j << 2)) - m;
      q += d * d;
    }
    const rs = 1 / Math.sqrt(q / <f64>cols + eps);
    store<f64>(mean + (<usize>r << 3), m);
    store<f64>(rstd + (<usize>r << 3), rs);
    const a = <f32>rs, c = -a * <f32>m;
    const av = f32x4.splat(a), cv = f32x4.splat(c);
    for (j = 0; j < n4; j += 4) {
      const p = <usize>j << 2;
      let v = f32x4.add(f32x4.mul(v128.load(px + p), av), cv);
      if (w) v = f32x4.mul(v, v128.load(w + p));
      if (b) v = f32x4.add(v, v128.load(b + p));
      v128.store(py + p, v);
    }
    for (; j < cols; j++) {
      const p = <usize>j << 2;
      let v: f32 = load<f32>(px + p) * a + c;
      if (w) v = v * load<f32>(w + p);
      if (b) v = v + load<f32>(b + p);
      store<f32>(py + p, v);
    }
  }
}

/**
 * Layer norm's backward from the forward's float64 mean and rstd: dx (when dx is not 0) and, when
 * dw is not 0, the weight's and bias's gradients accumulated into dw and db (cols floats each,
 * zeroed by the caller). w is the weight, or 0 for none.
 */
export function layerNormBackward(
  dx: usize, dw: usize, db: usize, g: usize, x: usize, mean: usize, rstd: usize, w: usize, rows: i32, cols: i32,
): void {
  const n4 = cols & ~3, scale = 1 / <f64>cols;
  for (let r = 0; r < rows; r++) {
    const off = (<usize>r * <usize>cols) << 2;
    const px = x + off, pg = g + off;
    const m = load<f64>(mean + (<usize>r << 3)), a = load<f64>(rstd + (<usize>r << 3));
    let j = 0;
    if (dw) {
      const a32 = <f32>a, c32 = -a32 * <f32>m;
      const av = f32x4.splat(a32), cv = f32x4.splat(c32);
      for (; j < n4; j += 4) {
        const p = <usize>j << 2;
        const gv = v128.load(pg + p);
        const xh = f32x4.add(f32x4.mul(v128.load(px + p), av), cv);
        v128.store(dw + p, f32x4.add(v128.load(dw + p), f32x4.mul(gv, xh)));
        v128.store(db + p, f32x4.add(v128.load(db + p), gv));
      }
      for (; j < cols; j++) {
        const p = <usize>j << 2;
        const gj = load<f32>(pg + p);
        store<f32>(dw + p, load<f32>(dw + p) + gj * (load<f32>(px + p) * a32 + c32));
        store<f32>(db + p, load<f32>(db + p) + gj);
      }
    }
    if (!dx) continue;
    let slo = f64x2.splat(0), shi = f64x2.splat(0), tlo = f64x2.splat(0), thi = f64x2.splat(0);
    for (j = 0; j < n4; j += 4) {
      const p = <usize>j << 2;
      const gv = v128.load(pg + p), xv = v128.load(px + p);
      let p0 = f64x2.promote_low_f32x4(gv), p1 = promoteHigh(gv);
      if (w) {
        const wv = v128.load(w + p);
        p0 = f64x2.mul(p0, f64x2.promote_low_f32x4(wv));
        p1 = f64x2.mul(p1, promoteHigh(wv));
      }
      slo = f64x2.add(slo, f64x2.mul(p0, f64x2.promote_low_f32x4(xv)));
      shi = f64x2.add(shi, f64x2.mul(p1, promoteHigh(xv)));
      tlo = f64x2.add(tlo, p0);
      thi = f64x2.add(thi, p1);
    }
    let ds = laneSum(slo, shi), dbs = laneSum(tlo, thi);
    for (; j < cols; j++) {
      const p = <usize>j << 2;
      let q = <f64>load<f32>(pg + p);
      if (w) q *= <f64>load<f32>(w + p);
      ds += q * <f64>load<f32>(px + p);
      dbs += q;
    }
    const bb = (dbs * m - ds) * a * a * a * scale, cc = -bb * m - dbs * a * scale;
    const a32 = <f32>a, b32 = <f32>bb, c32 = <f32>cc;
    const av = f32x4.splat(a32), bv = f32x4.splat(b32), cv = f32x4.splat(c32);
    const pd = dx + off;
    for (j = 0; j < n4; j += 4) {
      const p = <usize>j << 2;
      let t = f32x4.mul(av, v128.load(pg + p));
      if (w) t = f32x4.mul(t, v128.load(w + p));
      v128.store(pd + p, f32x4.add(f32x4.add(t, f32x4.mul(bv, v128.load(px + p))), cv));
    }
    for (; j < cols; j++) {
      const p = <usize>j << 2;
      let t: f32 = a32 * load<f32>(pg + p);
      if (w) t = t * load<f32>(w + p);
      store<f32>(pd + p, (t + b32 * load<f32>(px + p)) + c32);
    }
  }
}

// Batch norm's per-channel kernels over contiguous float32 [n, c, l] in linear memory. A channel's
// sums run over its n segments of l floats into four float64 lanes (element j of a segment, j below
// l & ~3, goes to lane j % 4), the segments' tails into a fifth sum, total = ((lane0 + lane2) +
// (lane1 + lane3)) + tails, as src/backend/cpu/norm.ts sums them, so both backends give the same bits.

/**
 * Per channel: mean = f32(Σx / count) and varSum = f32(Σ f32(f32(x - mean)²)) as float64, stored
 * at `mean` and `varSum` (c doubles each).
 */
export function channelStats(mean: usize, varSum: usize, x: usize, n: i32, c: i32, l: i32): void {
  const l4 = l & ~3, count = <f64>n * <f64>l;
  const stride = (<usize>c * <usize>l) << 2;
  const done = l == 1 ? channelStats1(mean, varSum, x, n, c) : 0;
  for (let ch = done; ch < c; ch++) {
    const first = x + ((<usize>ch * <usize>l) << 2);
    let lo = f64x2.splat(0), hi = f64x2.splat(0), t: f64 = 0;
    for (let b = 0, p = first; b < n; b++, p += stride) {
      let j = 0;
      for (; j < l4; j += 4) {
        const v = v128.load(p + (<usize>j << 2));
        lo = f64x2.add(lo, f64x2.promote_low_f32x4(v));
        hi = f64x2.add(hi, promoteHigh(v));
      }
      for (; j < l; j++) t += <f64>load<f32>(p + (<usize>j << 2));
    }
    const m = <f32>((laneSum(lo, hi) + t) / count);
    const mv = f32x4.splat(m);
    lo = f64x2.splat(0);
    hi = f64x2.splat(0);
    t = 0;
    for (let b = 0, p = first; b < n; b++, p += stride) {
      let j = 0;
      for (; j < l4; j += 4) {
        const d = f32x4.sub(v128.load(p + (<usize>j << 2)), mv);
        const q = f32x4.mul(d, d);
        lo = f64x2.add(lo, f64x2.promote_low_f32x4(q));
        hi = f64x2.add(hi, promoteHigh(q));
      }
      for (; j < l; j++) {
        const d: f32 = load<f32>(p + (<usize>j << 2)) - m;
        t += <f64>(d * d);
      }
    }
    store<f64>(mean + (<usize>ch << 3), <f64>m);
    store<f64>(varSum + (<usize>ch << 3), <f64><f32>(laneSum(lo, hi) + t));
  }
}

/** y = f32(x·alpha[ch]) + beta[ch] over [n, c, l]; alpha and beta are float32 values held as c doubles. */
export function channelAffine(y: usize, x: usize, n: i32, c: i32, l: i32, alpha: usize, beta: usize): void {
  const l4 = l & ~3;
  const done = l == 1 ? channelAffine1(y, x, n, c, alpha, beta) : 0;
  for (let b = 0; b < n; b++) {
    for (let ch = done; ch < c; ch++) {
      const off = ((<usize>b * <usize>c + <usize>ch) * <usize>l) << 2;
      const px = x + off, py = y + off;
      const a = <f32>load<f64>(alpha + (<usize>ch << 3)), be = <f32>load<f64>(beta + (<usize>ch << 3));
      const av = f32x4.splat(a), bv = f32x4.splat(be);
      let j = 0;
      for (; j < l4; j += 4) {
        const p = <usize>j << 2;
        v128.store(py + p, f32x4.add(f32x4.mul(v128.load(px + p), av), bv));
      }
      for (; j < l; j++) {
        const p = <usize>j << 2;
        store<f32>(py + p, load<f32>(px + p) * a + be);
      }
    }
  }
}

/**
 * Batch norm's backward per channel: sum = Σg and dotp = Σ f32(x - mean)·g (float64, stored at
 * `sum` and `dotp`); then, when dx is not 0, dx = f32 (((g - gm) - (x - mean)·k)·invstd)·w with
 * gm = f32(sum/count) and k = f32(dotp·invstd²/count) when `training`, else dx = (g·invstd)·w.
 * mean, invstd and w (0: none) are c doubles holding float32 values.
 */
export function channelNormBackward(
  dx: usize, sum: usize, dotp: usize, g: usize, x: usize, n: i32, c: i32, l: i32, mean: usize, invstd: usize, w: usize, training: i32,
): void {
  const l4 = l & ~3, count = <f64>n * <f64>l;
  const stride = (<usize>c * <usize>l) << 2;
  const done = l == 1 ? channelNormBackward1(dx, sum, dotp, g, x, n, c, mean, invstd, w, training) : 0;
  for (let ch = done; ch < c; ch++) {
    const off = (<usize>ch * <usize>l) << 2;
    const m = <f32>load<f64>(mean + (<usize>ch << 3)), mv = f32x4.splat(m);
    let slo = f64x2.splat(0), shi = f64x2.splat(0), dlo = f64x2.splat(0), dhi = f64x2.splat(0);
    let st: f64 = 0, dt: f64 = 0;
    for (let b = 0, p = off; b < n; b++, p += stride) {
      const pg = g + p, px = x + p;
      let j = 0;
      for (; j < l4; j += 4) {
        const q = <usize>j << 2;
        const gv = v128.load(pg + q), d = f32x4.sub(v128.load(px + q), mv);
        const g0 = f64x2.promote_low_f32x4(gv), g1 = promoteHigh(gv);
        slo = f64x2.add(slo, g0);
        shi = f64x2.add(shi, g1);
        dlo = f64x2.add(dlo, f64x2.mul(f64x2.promote_low_f32x4(d), g0));
        dhi = f64x2.add(dhi, f64x2.mul(promoteHigh(d), g1));
      }
      for (; j < l; j++) {
        const q = <usize>j << 2;
        const gj = <f64>load<f32>(pg + q);
        st += gj;
        dt += <f64>(load<f32>(px + q) - m) * gj;
      }
    }
    const s = laneSum(slo, shi) + st, d = laneSum(dlo, dhi) + dt;
    store<f64>(sum + (<usize>ch << 3), s);
    store<f64>(dotp + (<usize>ch << 3), d);
    if (!dx) continue;
    const isd = load<f64>(invstd + (<usize>ch << 3));
    const is = <f32>isd, wc: f32 = w ? <f32>load<f64>(w + (<usize>ch << 3)) : 1;
    const k = <f32>(d * isd * isd / count), gm = <f32>(s / count);
    const isv = f32x4.splat(is), wv = f32x4.splat(wc), kv = f32x4.splat(k), gmv = f32x4.splat(gm);
    for (let b = 0, p = off; b < n; b++, p += stride) {
      const pg = g + p, px = x + p, pd = dx + p;
      let j = 0;
      if (training) {
        for (; j < l4; j += 4) {
          const q = <usize>j << 2;
          const t = f32x4.sub(f32x4.sub(v128.load(pg + q), gmv), f32x4.mul(f32x4.sub(v128.load(px + q), mv), kv));
          v128.store(pd + q, f32x4.mul(f32x4.mul(t, isv), wv));
        }
        for (; j < l; j++) {
          const q = <usize>j << 2;
          store<f32>(pd + q, (((load<f32>(pg + q) - gm) - (load<f32>(px + q) - m) * k) * is) * wc);
        }
      } else {
        for (; j < l4; j += 4) {
          const q = <usize>j << 2;
          v128.store(pd + q, f32x4.mul(f32x4.mul(v128.load(pg + q), isv), wv));
        }
        for (; j < l; j++) {
          const q = <usize>j << 2;
          store<f32>(pd + q, (load<f32>(pg + q) * is) * wc);
        }
      }
    }
  }
}

// l = 1 (BatchNorm1d over [n, c], ResNet's last stage): a channel's sum is its n values in order
// (the tails' sum above, all lanes zero), so four channels run side by side in the lanes with the
// same bits. Each returns how many channels it did (c & ~3); the loops above do the rest.

/** Four float64 values at p as float32 lanes. */
function loadF64AsF32(p: usize): v128 {
  return demote4(v128.load(p), v128.load(p, 16));
}

/** Stores the four float32 lanes of v at p as float64. */
function storeF32AsF64(p: usize, v: v128): void {
  v128.store(p, f64x2.promote_low_f32x4(v));
  v128.store(p, promoteHigh(v), 16);
}


function channelStats1(mean: usize, varSum: usize, x: usize, n: i32, c: i32): i32 {
  const c4 = c & ~3, row = <usize>c << 2, cnt = f64x2.splat(<f64>n);
  for (let ch = 0; ch < c4; ch += 4) {
    const first = x + (<usize>ch << 2);
    let lo = f64x2.splat(0), hi = f64x2.splat(0);
    for (let b = 0, p = first; b < n; b++, p += row) {
      const v = v128.load(p);
      lo = f64x2.add(lo, f64x2.promote_low_f32x4(v));
      hi = f64x2.add(hi, promoteHigh(v));
    }
    // ((0 + 0) + (0 + 0)) + t as the reference: +0 + t
    const m = demote4(f64x2.div(f64x2.add(f64x2.splat(0), lo), cnt), f64x2.div(f64x2.add(f64x2.splat(0), hi), cnt));
    lo = f64x2.splat(0);
    hi = f64x2.splat(0);
    for (let b = 0, p = first; b < n; b++, p += row) {
      const d = f32x4.sub(v128.load(p), m), q = f32x4.mul(d, d);
      lo = f64x2.add(lo, f64x2.promote_low_f32x4(q));
      hi = f64x2.add(hi, promoteHigh(q));
    }
    storeF32AsF64(mean + (<usize>ch << 3), m);
    storeF32AsF64(varSum + (<usize>ch << 3), demote4(f64x2.add(f64x2.splat(0), lo), f64x2.add(f64x2.splat(0), hi)));
  }
  return c4;
}

function channelAffine1(y: usize, x: usize, n: i32, c: i32, alpha: usize, beta: usize): i32 {
  const c4 = c & ~3, row = <usize>c << 2;
  for (let ch = 0; ch < c4; ch += 4) {
    const av = loadF64AsF32(alpha + (<usize>ch << 3)), bv = loadF64AsF32(beta + (<usize>ch << 3));
    const off = <usize>ch << 2;
    for (let b = 0, p = off; b < n; b++, p += row) v128.store(y + p, f32x4.add(f32x4.mul(v128.load(x + p), av), bv));
  }
  return c4;
}

function channelNormBackward1(
  dx: usize, sum: usize, dotp: usize, g: usize, x: usize, n: i32, c: i32, mean: usize, invstd: usize, w: usize, training: i32,
): i32 {
  const c4 = c & ~3, row = <usize>c << 2, cnt = f64x2.splat(<f64>n);
  for (let ch = 0; ch < c4; ch += 4) {
    const off = <usize>ch << 2, at = <usize>ch << 3;
    const mv = loadF64AsF32(mean + at);
    let slo = f64x2.splat(0), shi = f64x2.splat(0), dlo = f64x2.splat(0), dhi = f64x2.splat(0);
    for (let b = 0, p = off; b < n; b++, p += row) {
      const gv = v128.load(g + p), d = f32x4.sub(v128.load(x + p), mv);
      const g0 = f64x2.promote_low_f32x4(gv), g1 = promoteHigh(gv);
      slo = f64x2.add(slo, g0);
      shi = f64x2.add(shi, g1);
      dlo = f64x2.add(dlo, f64x2.mul(f64x2.promote_low_f32x4(d), g0));
      dhi = f64x2.add(dhi, f64x2.mul(promoteHigh(d), g1));
    }
    const zero = f64x2.splat(0);
    slo = f64x2.add(zero, slo);
    shi = f64x2.add(zero, shi);
    dlo = f64x2.add(zero, dlo);
    dhi = f64x2.add(zero, dhi);
    v128.store(sum + at, slo);
    v128.store(sum + at, shi, 16);
    v128.store(dotp + at, dlo);
    v128.store(dotp + at, dhi, 16);
    if (!dx) continue;
    const ilo = v128.load(invstd + at), ihi = v128.load(invstd + at, 16);
    const isv = demote4(ilo, ihi), wv = w ? loadF64AsF32(w + at) : f32x4.splat(1);
    // k = f32(dotp·invstd·invstd / count), gm = f32(sum / count), as the scalar loop
    const kv = demote4(f64x2.div(f64x2.mul(f64x2.mul(dlo, ilo), ilo), cnt), f64x2.div(f64x2.mul(f64x2.mul(dhi, ihi), ihi), cnt));
    const gmv = demote4(f64x2.div(slo, cnt), f64x2.div(shi, cnt));
    for (let b = 0, p = off; b < n; b++, p += row) {
      let t: v128;
      if (training) t = f32x4.sub(f32x4.sub(v128.load(g + p), gmv), f32x4.mul(f32x4.sub(v128.load(x + p), mv), kv));
      else t = v128.load(g + p);
      v128.store(dx + p, f32x4.mul(f32x4.mul(t, isv), wv));
    }
  }
  return c4;
}
