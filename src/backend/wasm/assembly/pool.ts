// AssemblyScript (see sgemm.ts for why tsc skips it).
// eslint-disable-next-line @typescript-eslint/ban-ts-comment
// @ts-nocheck

// Max pooling over contiguous float32 planes with the TypeScript reference's values and indices
// (backend/cpu/conv.ts maxPool2dKernel, PyTorch's CPU loop: the first maximum wins, a NaN is taken
// wherever it appears). A scalar max is one long compare-and-select chain per window; here four
// outputs of a row run side by side in f32x4 lanes. Each plane is first copied into a scratch
// plane bordered with -Infinity, so every window reads the same shape: a border cell never wins
// (-Inf > m is false and it is no NaN), and each lane's index starts at its window's first cell
// inside the plane, as the reference's does, so an all -Inf window keeps the reference's index.
// The window is an int32 record at `win` (Window2d's fields in this order, as assembly/conv.ts):
const N = 0, C = 1, H = 2, W = 3, KH = 4, KW = 5, SH = 6, SW = 7, PH = 8, PW = 9, DH = 10, DW = 11, OH = 12, OW = 13;

function field(win: usize, i: i32): i32 {
  return load<i32>(win + (<usize>i << 2));
}

/** The first of start, start + d, ... that is not negative. */
function firstInside(start: i32, d: i32): i32 {
  while (start < 0) start += d;
  return start;
}

/** Each lane's first cell inside the plane (row `rowStart` = first·w), as the reference's starting index, for outputs xo..xo+3. */
function startIndices(rowStart: i32, xo: i32, sw: i32, pw: i32, dw: i32): v128 {
  return i32x4.add(i32x4.splat(rowStart), i32x4(
    firstInside(xo * sw - pw, dw), firstInside((xo + 1) * sw - pw, dw), firstInside((xo + 2) * sw - pw, dw), firstInside((xo + 3) * sw - pw, dw),
  ));
}

/** Four floats `sw` apart from q: one load for stride 1, two and a shuffle for stride 2, else four loads. */
function gather(q: usize, sw: i32): v128 {
  if (sw == 1) return v128.load(q);
  if (sw == 2) return i8x16.shuffle(v128.load(q), v128.load(q, 16), 0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27);
  const s = <usize>sw << 2;
  return f32x4.replace_lane(f32x4.replace_lane(f32x4.replace_lane(f32x4.splat(load<f32>(q)), 1, load<f32>(q + s)), 2, load<f32>(q + 2 * s)), 3, load<f32>(q + 3 * s));
}

/**
 * x [n·c, h, w] → values and int32 indices (positions in the plane) [n·c, oh, ow]; `scratch`: a
 * prows × pcols float plane (wasm/pool.ts sizes it to hold the plane, its border and every read).
 */
export function maxPool2d(x: usize, win: usize, values: usize, indices: usize, scratch: usize, prows: i32, pcols: i32): void {
  const planes = field(win, N) * field(win, C), h = field(win, H), w = field(win, W);
  const kh = field(win, KH), kw = field(win, KW), sh = field(win, SH), sw = field(win, SW);
  const ph = field(win, PH), pw = field(win, PW), dh = field(win, DH), dw = field(win, DW);
  const oh = field(win, OH), ow = field(win, OW);
  // the border: -Infinity, written once; each plane then fills the inside
  const ninf = f32x4.splat(-Infinity);
  const total = prows * pcols;
  let i = 0;
  for (; i + 4 <= total; i += 4) v128.store(scratch + (<usize>i << 2), ninf);
  for (; i < total; i++) store<f32>(scratch + (<usize>i << 2), -Infinity);
  const ow4 = ow & ~3;
  const lanes = i32x4(0, sw, 2 * sw, 3 * sw);
  let o: usize = 0;
  for (let p = 0; p < planes; p++) {
    const src = x + ((<usize>p * <usize>h * <usize>w) << 2);
    // row by row, four floats at a time (a memory.copy call costs more than a short row's copy)
    const w4 = w & ~3;
    for (let r = 0; r < h; r++) {
      const d = scratch + ((<usize>(r + ph) * <usize>pcols + <usize>pw) << 2), q = src + ((<usize>r * <usize>w) << 2);
      let j = 0;
      for (; j < w4; j += 4) v128.store(d + (<usize>j << 2), v128.load(q + (<usize>j << 2)));
      for (; j < w; j++) store<f32>(d + (<usize>j << 2), load<f32>(q + (<usize>j << 2)));
    }
    for (let y = 0; y < oh; y++) {
      const top = y * sh; // the window's first row in the scratch plane
      const first = firstInside(top - ph, dh); // the reference's first row inside the plane
      let xo = 0;
      // two groups side by side: two independent select chains
      for (; xo + 8 <= ow; xo += 8, o += 8) {
        let best0 = startIndices(first * w, xo, sw, pw, dw), best1 = startIndices(first * w, xo + 4, sw, pw, dw);
        let m0 = ninf, m1 = ninf;
        for (let a = 0; a < kh; a++) {
          const row = top + a * dh;
          const prow = scratch + ((<usize>row * <usize>pcols) << 2);
          const rowIdx = (row - ph) * w - pw;
          for (let b = 0; b < kw; b++) {
            const col = xo * sw + b * dw;
            const q = prow + (<usize>col << 2);
            // stride 2 (the common case) written out: binaryen does not inline gather
            const q1 = q + (<usize>(4 * sw) << 2);
            const v0 = sw == 2 ? i8x16.shuffle(v128.load(q), v128.load(q, 16), 0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27) : gather(q, sw);
            const v1 = sw == 2 ? i8x16.shuffle(v128.load(q1), v128.load(q1, 16), 0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27) : gather(q1, sw);
            const i0 = i32x4.add(i32x4.splat(rowIdx + col), lanes), i1 = i32x4.add(i0, i32x4.splat(4 * sw));
            const t0 = v128.or(f32x4.gt(v0, m0), f32x4.ne(v0, v0)), t1 = v128.or(f32x4.gt(v1, m1), f32x4.ne(v1, v1));
            m0 = v128.bitselect(v0, m0, t0);
            m1 = v128.bitselect(v1, m1, t1);
            best0 = v128.bitselect(i0, best0, t0);
            best1 = v128.bitselect(i1, best1, t1);
          }
        }
        v128.store(values + (o << 2), m0);
        v128.store(values + (o << 2), m1, 16);
        v128.store(indices + (o << 2), best0);
        v128.store(indices + (o << 2), best1, 16);
      }
      for (; xo < ow4; xo += 4, o += 4) {
        let best = startIndices(first * w, xo, sw, pw, dw), m = ninf;
        for (let a = 0; a < kh; a++) {
          const row = top + a * dh;
          const prow = scratch + ((<usize>row * <usize>pcols) << 2);
          const rowIdx = (row - ph) * w - pw;
          for (let b = 0; b < kw; b++) {
            const col = xo * sw + b * dw;
            const q = prow + (<usize>col << 2);
            const v = sw == 2 ? i8x16.shuffle(v128.load(q), v128.load(q, 16), 0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27) : gather(q, sw);
            const take = v128.or(f32x4.gt(v, m), f32x4.ne(v, v));
            m = v128.bitselect(v, m, take);
            best = v128.bitselect(i32x4.add(i32x4.splat(rowIdx + col), lanes), best, take);
          }
        }
        v128.store(values + (o << 2), m);
        v128.store(indices + (o << 2), best);
      }
      for (; xo < ow; xo++, o++) {
        let best = first * w + firstInside(xo * sw - pw, dw), m: f32 = -Infinity;
        for (let a = 0; a < kh; a++) {
          const row = top + a * dh;
          const prow = scratch + ((<usize>row * <usize>pcols) << 2);
          for (let b = 0; b < kw; b++) {
            const col = xo * sw + b * dw;
            const v = load<f32>(prow + (<usize>col << 2));
            const take = (v > m) | (v != v);
            m = select<f32>(v, m, take);
            best = select<i32>((row - ph) * w + col - pw, best, take);
          }
        }
        store<f32>(values + (o << 2), m);
        store<i32>(indices + (o << 2), best);
      }
    }
  }
}
