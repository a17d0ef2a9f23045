// AssemblyScript (see sgemm.ts for why tsc skips it).
// eslint-disable-next-line @typescript-eslint/ban-ts-comment
// @ts-nocheck

// The convolution's data movement around the GEMM: im2col writes the columns straight into the
// GEMM's operand memory, col2im sums them back. Same loop order as the TypeScript reference
// (backend/cpu/conv.ts), so col2im's sums round in the same order and give the same bits.
// A window is passed as an int32 record at `win` (Window2d's fields in this order):
const N = 0, C = 1, H = 2, W = 3, KH = 4, KW = 5, SH = 6, SW = 7, PH = 8, PW = 9, DH = 10, DW = 11, OH = 12, OW = 13;

function field(win: usize, i: i32): i32 {
  return load<i32>(win + (<usize>i << 2));
}

/** The output positions [lo, hi) whose input index o·s - p + kd falls in [0, size), left in the globals lo and hi. */
let lo: i32 = 0;
let hi: i32 = 0;
function validRange(out: i32, size: i32, s: i32, p: i32, kd: i32): void {
  // ceil((p - kd) / s) and ceil((size + p - kd) / s) for a positive s, numerators of either sign
  lo = max(0, ceilDiv(p - kd, s));
  hi = min(out, ceilDiv(size + p - kd, s));
  if (hi < lo) hi = lo;
}

function ceilDiv(a: i32, b: i32): i32 {
  return a >= 0 ? (a + b - 1) / b : -((-a) / b);
}

/**
 * x: contiguous float32 [n, c, h, w] → cols [c·kh·kw, n·oh·ow], zeros where a window reads padding;
 * the rows of channels [c0, c1) only (the threads take disjoint channel ranges).
 * Each output row segment is written once, its padding zeroed in place; short runs are copied
 * four lanes at a time (a memory.copy call costs more than the copy for a run of a few floats).
 */
export function im2col(x: usize, win: usize, out: usize, c0: i32, c1: i32): void {
  const n = field(win, N), c = field(win, C), h = field(win, H), w = field(win, W);
  const kh = field(win, KH), kw = field(win, KW), sh = field(win, SH), sw = field(win, SW);
  const ph = field(win, PH), pw = field(win, PW), dh = field(win, DH), dw = field(win, DW);
  const oh = field(win, OH), ow = field(win, OW);
  const plane = oh * ow, ncols = n * plane;
  let row = c0 * kh * kw;
  for (let ci = c0; ci < c1; ci++) {
    for (let i = 0; i < kh; i++) {
      validRange(oh, h, sh, ph, i * dh);
      const ohLo = lo, ohHi = hi;
      for (let j = 0; j < kw; j++, row++) {
        validRange(ow, w, sw, pw, j * dw);
        const owLo = lo, owHi = hi, len = owHi - owLo;
        if (len <= 0 || ohHi <= ohLo) {
          // this tap reads only padding: the row is zeros for every image
          zero(out + (<usize>(row * ncols) << 2), ncols);
          continue;
        }
        if (sh == 1 && sw == 1 && ow == w) {
          shiftedPlanes(x, out + (<usize>(row * ncols) << 2), n, c * h * w, ci * h * w + (i * dh - ph) * w + (j * dw - pw), plane, ow, ohLo, ohHi, owLo, owHi);
          continue;
        }
        for (let b = 0; b < n; b++) {
          const dst = out + (<usize>(row * ncols + b * plane) << 2);
          const base = (b * c + ci) * h * w;
          zero(dst, ohLo * ow);
          for (let y = ohLo; y < ohHi; y++) {
            const im = x + (<usize>(base + (y * sh - ph + i * dh) * w + (j * dw - pw) + owLo * sw) << 2);
            const co = dst + (<usize>(y * ow) << 2);
            zero(co, owLo);
            copyRun(co + (<usize>owLo << 2), im, len, sw);
            zero(co + (<usize>owHi << 2), ow - owHi);
          }
          zero(dst + (<usize>(ohHi * ow) << 2), (oh - ohHi) * ow);
        }
      }
    }
  }
}

/**
 * One tap's row of the columns when the output plane has the input's row length and unit strides
 * (a "same" or 1x1 convolution): output cell q of each image reads input cell q + off, so the
 * valid rectangle is one contiguous copy per image, after which the cells of its rows that wrapped
 * around the plane's sides (columns outside [owLo, owHi)) are zeroed.
 */
function shiftedPlanes(
  x: usize, dst: usize, n: i32, imageStride: i32, off: i32, plane: i32, ow: i32, ohLo: i32, ohHi: i32, owLo: i32, owHi: i32,
): void {
  const first = ohLo * ow + owLo, last = (ohHi - 1) * ow + owHi;
  for (let b = 0; b < n; b++, dst += <usize>plane << 2) {
    const src = x + (<usize>(b * imageStride + off) << 2);
    zero(dst, first);
    copyRun(dst + (<usize>first << 2), src + (<usize>first << 2), last - first, 1);
    zero(dst + (<usize>last << 2), plane - last);
    if (owLo > 0 || owHi < ow) {
      for (let y = ohLo; y < ohHi; y++) {
        const r = dst + (<usize>(y * ow) << 2);
        zero(r, owLo);
        zero(r + (<usize>owHi << 2), ow - owHi);
      }
    }
  }
}

/** cols [c·kh·kw, n·oh·ow] → out [n, c, h, w] (zeroed here): each cell the sum of the columns that read it, in the reference's order; channels [c0, c1) only. */
export function col2im(cols: usize, win: usize, out: usize, c0: i32, c1: i32): void {
  const n = field(win, N), c = field(win, C), h = field(win, H), w = field(win, W);
  const kh = field(win, KH), kw = field(win, KW), sh = field(win, SH), sw = field(win, SW);
  const ph = field(win, PH), pw = field(win, PW), dh = field(win, DH), dw = field(win, DW);
  const oh = field(win, OH), ow = field(win, OW);
  for (let b = 0; b < n; b++) memory.fill(out + (<usize>((b * c + c0) * h * w) << 2), 0, <usize>((c1 - c0) * h * w) << 2);
  const plane = oh * ow, ncols = n * plane;
  let row = c0 * kh * kw;
  for (let ci = c0; ci < c1; ci++) {
    for (let i = 0; i < kh; i++) {
      validRange(oh, h, sh, ph, i * dh);
      const ohLo = lo, ohHi = hi;
      for (let j = 0; j < kw; j++, row++) {
        validRange(ow, w, sw, pw, j * dw);
        const owLo = lo, owHi = hi, len = owHi - owLo;
        if (len <= 0) continue;
        for (let b = 0; b < n; b++) {
          const base = (b * c + ci) * h * w;
          const col0 = row * ncols + b * plane;
          for (let y = ohLo; y < ohHi; y++) {
            const im = out + (<usize>(base + (y * sh - ph + i * dh) * w + (j * dw - pw) + owLo * sw) << 2);
            addRun(im, cols + (<usize>(col0 + y * ow + owLo) << 2), len, sw);
          }
        }
      }
    }
  }
}

/** Zeroes `len` floats at dst (none when len <= 0). */
function zero(dst: usize, len: i32): void {
  if (len >= 64) {
    memory.fill(dst, 0, <usize>len << 2);
    return;
  }
  let t = 0;
  for (; t + 4 <= len; t += 4) v128.store(dst + (<usize>t << 2), i32x4.splat(0));
  for (; t < len; t++) store<f32>(dst + (<usize>t << 2), 0);
}

/** dst[t] = src[t·stride] for t < len. */
function copyRun(dst: usize, src: usize, len: i32, stride: i32): void {
  let t = 0;
  if (stride == 1) {
    if (len >= 64) {
      memory.copy(dst, src, <usize>len << 2);
      return;
    }
    for (; t + 4 <= len; t += 4) v128.store(dst + (<usize>t << 2), v128.load(src + (<usize>t << 2)));
  }
  for (; t < len; t++) store<f32>(dst + (<usize>t << 2), load<f32>(src + (<usize>(t * stride) << 2)));
}

/** dst[t·stride] += src[t] for t < len, four lanes at a time when the stride is 1. */
function addRun(dst: usize, src: usize, len: i32, stride: i32): void {
  let t = 0;
  if (stride == 1) {
    for (; t + 4 <= len; t += 4) {
      const p = <usize>t << 2;
      v128.store(dst + p, f32x4.add(v128.load(dst + p), v128.load(src + p)));
    }
  }
  for (; t < len; t++) {
    const p = dst + (<usize>(t * stride) << 2);
    store<f32>(p, load<f32>(p) + load<f32>(src + (<usize>t << 2)));
  }
}

/**
 * out [b, a, l] from x [a, b, l] (the convolution's channels-first products and gradients), each
 * run of l floats plus bias[i] when `bias` is not 0: x's dims a and b swapped, for i in [i0, i1).
 */
export function swapLeading(x: usize, a: i32, b: i32, l: i32, bias: usize, out: usize, i0: i32, i1: i32): void {
  const runBytes = <usize>l << 2, outStride = <usize>a * runBytes;
  for (let i = i0; i < i1; i++) {
    const add: f32 = bias != 0 ? load<f32>(bias + (<usize>i << 2)) : 0;
    const addv = f32x4.splat(add);
    let src = x + <usize>i * b * runBytes, dst = out + <usize>i * runBytes;
    for (let j = 0; j < b; j++, src += runBytes, dst += outStride) {
      let t = 0;
      if (bias != 0) {
        for (; t + 4 <= l; t += 4) v128.store(dst + (<usize>t << 2), f32x4.add(v128.load(src + (<usize>t << 2)), addv));
        for (; t < l; t++) store<f32>(dst + (<usize>t << 2), load<f32>(src + (<usize>t << 2)) + add);
      } else {
        for (; t + 4 <= l; t += 4) v128.store(dst + (<usize>t << 2), v128.load(src + (<usize>t << 2)));
        for (; t < l; t++) store<f32>(dst + (<usize>t << 2), load<f32>(src + (<usize>t << 2)));
      }
    }
  }
}
