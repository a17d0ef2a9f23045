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
 * x: contiguous float32 [n, c, h, w] → cols [c·kh·kw, n·oh·ow], zeros where a window reads padding.
 * Unit-stride windows copy each run with memory.copy.
 */
export function im2col(x: usize, win: usize, out: usize): void {
  const padded = field(win, PH) > 0 || field(win, PW) > 0;
  if (padded) memory.fill(out, 0, <usize>field(win, C) * field(win, KH) * field(win, KW) * field(win, N) * field(win, OH) * field(win, OW) << 2);
  runs(x, win, out, true);
}

/** cols [c·kh·kw, n·oh·ow] → out [n, c, h, w] (zeroed here): each cell the sum of the columns that read it, in the reference's order. */
export function col2im(cols: usize, win: usize, out: usize): void {
  memory.fill(out, 0, <usize>field(win, N) * field(win, C) * field(win, H) * field(win, W) << 2);
  runs(out, win, cols, false);
}

/**
 * Every run of one window row between the image `img` [n, c, h, w] and the columns `cols`
 * [c·kh·kw, n·oh·ow], in the reference's order: copied into the columns (`gather`, im2col) or
 * added back into the image (col2im).
 */
function runs(img: usize, win: usize, cols: usize, gather: bool): void {
  const n = field(win, N), c = field(win, C), h = field(win, H), w = field(win, W);
  const kh = field(win, KH), kw = field(win, KW), sh = field(win, SH), sw = field(win, SW);
  const ph = field(win, PH), pw = field(win, PW), dh = field(win, DH), dw = field(win, DW);
  const oh = field(win, OH), ow = field(win, OW);
  const ncols = n * oh * ow;
  let row = 0;
  for (let ci = 0; ci < c; ci++) {
    for (let i = 0; i < kh; i++) {
      validRange(oh, h, sh, ph, i * dh);
      const ohLo = lo, ohHi = hi;
      for (let j = 0; j < kw; j++, row++) {
        validRange(ow, w, sw, pw, j * dw);
        const owLo = lo, owHi = hi, len = owHi - owLo;
        if (len <= 0) continue;
        for (let b = 0; b < n; b++) {
          const base = (b * c + ci) * h * w;
          const col0 = row * ncols + b * oh * ow;
          for (let y = ohLo; y < ohHi; y++) {
            const im = img + (<usize>(base + (y * sh - ph + i * dh) * w + (j * dw - pw) + owLo * sw) << 2);
            const co = cols + (<usize>(col0 + y * ow + owLo) << 2);
            if (gather) copyRun(co, im, len, sw);
            else addRun(im, co, len, sw);
          }
        }
      }
    }
  }
}

/** dst[t] = src[t·stride] for t < len. */
function copyRun(dst: usize, src: usize, len: i32, stride: i32): void {
  if (stride == 1) {
    memory.copy(dst, src, <usize>len << 2);
    return;
  }
  for (let t = 0; t < len; t++) store<f32>(dst + (<usize>t << 2), load<f32>(src + (<usize>(t * stride) << 2)));
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
