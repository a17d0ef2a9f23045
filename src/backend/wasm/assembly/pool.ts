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
    for (let r = 0; r < h; r++) memory.copy(scratch + ((<usize>(r + ph) * <usize>pcols + <usize>pw) << 2), src + ((<usize>r * <usize>w) << 2), <usize>w << 2);
    for (let y = 0; y < oh; y++) {
      const top = y * sh; // the window's first row in the scratch plane
      const first = firstInside(top - ph, dh); // the reference's first row inside the plane
      for (let xo = 0; xo < ow4; xo += 4, o += 4) {
        // each lane's first column inside the plane, as the reference's starting index
        const c0 = firstInside(xo * sw - pw, dw), c1 = firstInside((xo + 1) * sw - pw, dw);
        const c2 = firstInside((xo + 2) * sw - pw, dw), c3 = firstInside((xo + 3) * sw - pw, dw);
        let best = i32x4.add(i32x4.splat(first * w), i32x4(c0, c1, c2, c3));
        let m = ninf;
        const left = xo * sw;
        for (let a = 0; a < kh; a++) {
          const row = top + a * dh;
          const prow = scratch + ((<usize>row * <usize>pcols) << 2);
          const rowIdx = (row - ph) * w - pw;
          for (let b = 0; b < kw; b++) {
            const col = left + b * dw;
            const q = prow + (<usize>col << 2);
            let v: v128;
            if (sw == 1) v = v128.load(q);
            else if (sw == 2) v = i8x16.shuffle(v128.load(q), v128.load(q + 16), 0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27);
            else {
              const s = <usize>sw << 2;
              v = f32x4.replace_lane(f32x4.replace_lane(f32x4.replace_lane(f32x4.splat(load<f32>(q)), 1, load<f32>(q + s)), 2, load<f32>(q + 2 * s)), 3, load<f32>(q + 3 * s));
            }
            const take = v128.or(f32x4.gt(v, m), f32x4.ne(v, v));
            m = v128.bitselect(v, m, take);
            best = v128.bitselect(i32x4.add(i32x4.splat(rowIdx + col), lanes), best, take);
          }
        }
        v128.store(values + (o << 2), m);
        v128.store(indices + (o << 2), best);
      }
      for (let xo = ow4; xo < ow; xo++, o++) {
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
