// AssemblyScript (see sgemm.ts for why tsc skips it).
// eslint-disable-next-line @typescript-eslint/ban-ts-comment
// @ts-nocheck

import { ADD, DIV, MAX, MUL, SUB, arith1, arith4 } from "./arith";

// float32 add, sub, mul, div, maximum and minimum over an output viewed as [rows, cols]: each
// operand is, per row, either a run of cols consecutive floats or one float repeated (a broadcast
// scalar, a [.., 1] column), with its own row stride (0 for a row repeated down the rows: a [C] bias
// over [B, T, C]). IEEE float32 arithmetic is exactly rounded, and the TypeScript reference's
// float64 result rounded to float32 is the same number for these four ops; maximum and minimum pick
// an operand by the reference's rule (arith.ts). So both backends give the same bits.

/** One row: out[j] = a[j] op b[j], with an operand whose `k` is 1 read once and repeated. */
function row(op: i32, out: usize, a: usize, ka: i32, b: usize, kb: i32, cols: i32): void {
  const n16 = cols & ~15, n4 = cols & ~3;
  let j = 0;
  if (ka == 0 && kb == 0) {
    for (; j < n16; j += 16) {
      const p = <usize>j << 2;
      v128.store(out + p, arith4(op, v128.load(a + p), v128.load(b + p)));
      v128.store(out + p, arith4(op, v128.load(a + p, 16), v128.load(b + p, 16)), 16);
      v128.store(out + p, arith4(op, v128.load(a + p, 32), v128.load(b + p, 32)), 32);
      v128.store(out + p, arith4(op, v128.load(a + p, 48), v128.load(b + p, 48)), 48);
    }
    for (; j < n4; j += 4) {
      const p = <usize>j << 2;
      v128.store(out + p, arith4(op, v128.load(a + p), v128.load(b + p)));
    }
    for (; j < cols; j++) {
      const p = <usize>j << 2;
      store<f32>(out + p, arith1(op, load<f32>(a + p), load<f32>(b + p)));
    }
  } else if (ka == 0) {
    const s = load<f32>(b), sv = f32x4.splat(s);
    for (; j < n16; j += 16) {
      const p = <usize>j << 2;
      v128.store(out + p, arith4(op, v128.load(a + p), sv));
      v128.store(out + p, arith4(op, v128.load(a + p, 16), sv), 16);
      v128.store(out + p, arith4(op, v128.load(a + p, 32), sv), 32);
      v128.store(out + p, arith4(op, v128.load(a + p, 48), sv), 48);
    }
    for (; j < n4; j += 4) {
      const p = <usize>j << 2;
      v128.store(out + p, arith4(op, v128.load(a + p), sv));
    }
    for (; j < cols; j++) {
      const p = <usize>j << 2;
      store<f32>(out + p, arith1(op, load<f32>(a + p), s));
    }
  } else if (kb == 0) {
    const s = load<f32>(a), sv = f32x4.splat(s);
    for (; j < n16; j += 16) {
      const p = <usize>j << 2;
      v128.store(out + p, arith4(op, sv, v128.load(b + p)));
      v128.store(out + p, arith4(op, sv, v128.load(b + p, 16)), 16);
      v128.store(out + p, arith4(op, sv, v128.load(b + p, 32)), 32);
      v128.store(out + p, arith4(op, sv, v128.load(b + p, 48)), 48);
    }
    for (; j < n4; j += 4) {
      const p = <usize>j << 2;
      v128.store(out + p, arith4(op, sv, v128.load(b + p)));
    }
    for (; j < cols; j++) {
      const p = <usize>j << 2;
      store<f32>(out + p, arith1(op, s, load<f32>(b + p)));
    }
  } else {
    const v = arith1(op, load<f32>(a), load<f32>(b)), vv = f32x4.splat(v);
    for (; j < n4; j += 4) v128.store(out + (<usize>j << 2), vv);
    for (; j < cols; j++) store<f32>(out + (<usize>j << 2), v);
  }
}

function rowsOf(
  op: i32, out: usize, a: usize, ra: i32, ka: i32, b: usize, rb: i32, kb: i32, rows: i32, cols: i32,
): void {
  const sa = <usize>ra << 2, sb = <usize>rb << 2, so = <usize>cols << 2;
  for (let i = 0; i < rows; i++) {
    row(op, out, a, ka, b, kb, cols);
    out += so;
    a += sa;
    b += sb;
  }
}

/**
 * out[i, j] = a[i, j] op b[i, j] for i < rows, j < cols (out contiguous): operand x's row i starts
 * `rx` floats after row i - 1's, and `kx` 1 means the row is one float repeated, 0 cols floats.
 * `op` is 0 add, 1 sub, 2 mul, 3 div, 4 maximum, 5 minimum.
 */
export function binary(
  op: i32, out: usize, a: usize, ra: i32, ka: i32, b: usize, rb: i32, kb: i32, rows: i32, cols: i32,
): void {
  if (op == ADD) rowsOf(ADD, out, a, ra, ka, b, rb, kb, rows, cols);
  else if (op == SUB) rowsOf(SUB, out, a, ra, ka, b, rb, kb, rows, cols);
  else if (op == MUL) rowsOf(MUL, out, a, ra, ka, b, rb, kb, rows, cols);
  else if (op == DIV) rowsOf(DIV, out, a, ra, ka, b, rb, kb, rows, cols);
  else if (op == MAX) rowsOf(MAX, out, a, ra, ka, b, rb, kb, rows, cols);
  else rowsOf(5, out, a, ra, ka, b, rb, kb, rows, cols);
}

/** a op b of four lanes as an i32 mask, op numbered as wasm/binary.ts COMPARE_CODES: eq, ne, lt, le, gt, ge. */
function compare4(op: i32, a: v128, b: v128): v128 {
  if (op == 0) return f32x4.eq(a, b);
  if (op == 1) return f32x4.ne(a, b);
  if (op == 2) return f32x4.lt(a, b);
  if (op == 3) return f32x4.le(a, b);
  if (op == 4) return f32x4.gt(a, b);
  return f32x4.ge(a, b);
}

/** a op b for one float, as compare4. */
function compare1(op: i32, a: f32, b: f32): bool {
  if (op == 0) return a == b;
  if (op == 1) return a != b;
  if (op == 2) return a < b;
  if (op == 3) return a <= b;
  if (op == 4) return a > b;
  return a >= b;
}

/**
 * out[i, j] = a[i, j] op b[i, j] as a byte 0 or 1 for i < rows, j < cols (out contiguous bytes):
 * the comparisons into a bool tensor, operands laid out as binary's (`rx` floats between rows, `kx`
 * 1 for one float repeated). IEEE comparisons, as the reference's: NaN is unequal to everything.
 */
export function compare(op: i32, out: usize, a: usize, ra: i32, ka: i32, b: usize, rb: i32, kb: i32, rows: i32, cols: i32): void {
  const one = i8x16.splat(1), n4 = cols & ~3;
  for (let i = 0; i < rows; i++) {
    const ar = a + (<usize>(i * ra) << 2), br = b + (<usize>(i * rb) << 2), orow = out + <usize>(i * cols);
    const as = f32x4.splat(load<f32>(ar)), bs = f32x4.splat(load<f32>(br));
    let j = 0;
    for (; j < n4; j += 4) {
      const p = <usize>j << 2;
      const m = compare4(op, ka ? as : v128.load(ar + p), kb ? bs : v128.load(br + p));
      const w = i16x8.narrow_i32x4_s(m, m);
      v128.store32_lane(orow + <usize>j, v128.and(i8x16.narrow_i16x8_s(w, w), one), 0);
    }
    for (; j < cols; j++) {
      const p = <usize>j << 2;
      store<u8>(orow + <usize>j, compare1(op, load<f32>(ar + (ka ? 0 : p)), load<f32>(br + (kb ? 0 : p))) ? 1 : 0);
    }
  }
}

/**
 * out[i, j] = a[i, j] op b[i, j] as a byte 0 or 1 over bytes (bools, or any byte: nonzero is true),
 * op 0 and, 1 or, else not a (b, passed as a again, does not count); operands laid out as binary's, in bytes.
 */
export function logic(op: i32, out: usize, a: usize, ra: i32, ka: i32, b: usize, rb: i32, kb: i32, rows: i32, cols: i32): void {
  const zero = i8x16.splat(0), one = i8x16.splat(1), n16 = cols & ~15;
  for (let i = 0; i < rows; i++) {
    const ar = a + <usize>(i * ra), br = b + <usize>(i * rb), orow = out + <usize>(i * cols);
    const as = i8x16.splat(load<u8>(ar)), bs = i8x16.splat(load<u8>(br));
    let j = 0;
    for (; j < n16; j += 16) {
      const ta = i8x16.ne(ka ? as : v128.load(ar + <usize>j), zero);
      const r = op == 0 ? v128.and(ta, i8x16.ne(kb ? bs : v128.load(br + <usize>j), zero))
        : op == 1 ? v128.or(ta, i8x16.ne(kb ? bs : v128.load(br + <usize>j), zero)) : v128.not(ta);
      v128.store(orow + <usize>j, v128.and(r, one));
    }
    for (; j < cols; j++) {
      const x = load<u8>(ar + (ka ? 0 : <usize>j)) != 0, y = load<u8>(br + (kb ? 0 : <usize>j)) != 0;
      store<u8>(orow + <usize>j, (op == 0 ? x && y : op == 1 ? x || y : !x) ? 1 : 0);
    }
  }
}

/**
 * out[i, j] = c[i, j] != 0 ? a[i, j] : b[i, j] for i < rows, j < cols (out contiguous; c bytes, a
 * bool mask): where() with two tensor sides. Operand x's row i starts `rx` elements after row
 * i - 1's, and `kx` 1 means its row is one element repeated; the selected bits are copied.
 */
export function where(
  out: usize, c: usize, rc: i32, kc: i32, a: usize, ra: i32, ka: i32, b: usize, rb: i32, kb: i32, rows: i32, cols: i32,
): void {
  const zero = i32x4.splat(0), n4 = cols & ~3;
  for (let i = 0; i < rows; i++) {
    const cr = c + <usize>(i * rc), ar = a + (<usize>(i * ra) << 2), br = b + (<usize>(i * rb) << 2);
    const orow = out + (<usize>(i * cols) << 2);
    const cs = i32x4.splat(load<u8>(cr) != 0 ? -1 : 0), as = f32x4.splat(load<f32>(ar)), bs = f32x4.splat(load<f32>(br));
    let j = 0;
    for (; j < n4; j += 4) {
      const p = <usize>j << 2;
      const m = kc ? cs : i32x4.ne(i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v128.load32_zero(cr + <usize>j))), zero);
      v128.store(orow + p, v128.bitselect(ka ? as : v128.load(ar + p), kb ? bs : v128.load(br + p), m));
    }
    for (; j < cols; j++) {
      const p = <usize>j << 2;
      const set = load<u8>(cr + (kc ? 0 : <usize>j)) != 0;
      store<f32>(orow + p, set ? load<f32>(ar + (ka ? 0 : p)) : load<f32>(br + (kb ? 0 : p)));
    }
  }
}

/**
 * out[i, j] = (c[i·rc + j] != 0) == (fillWhen != 0) ? v : x[i·rx + j] for i < rows, j < cols (out
 * contiguous; c bytes, a bool mask): where() with one scalar side, masked_fill and its gradient.
 */
export function whereScalar(out: usize, c: usize, rc: i32, x: usize, rx: i32, v: f32, fillWhen: i32, rows: i32, cols: i32): void {
  const vv = f32x4.splat(v), zero = i32x4.splat(0), n4 = cols & ~3;
  for (let i = 0; i < rows; i++) {
    const cr = c + <usize>(i * rc), xr = x + (<usize>(i * rx) << 2), orow = out + (<usize>(i * cols) << 2);
    let j = 0;
    for (; j < n4; j += 4) {
      const bytes = v128.load32_zero(cr + <usize>j);
      const set = i32x4.ne(i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(bytes)), zero);
      const m = fillWhen ? set : v128.not(set);
      const p = <usize>j << 2;
      v128.store(orow + p, v128.bitselect(vv, v128.load(xr + p), m));
    }
    for (; j < cols; j++) {
      const p = <usize>j << 2;
      const set = load<u8>(cr + <usize>j) != 0;
      store<f32>(orow + p, set == (fillWhen != 0) ? v : load<f32>(xr + p));
    }
  }
}
