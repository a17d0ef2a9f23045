// AssemblyScript (see sgemm.ts for why tsc skips it).
// eslint-disable-next-line @typescript-eslint/ban-ts-comment
// @ts-nocheck

// y = x @ op(B) for a single row x: batch-1 inference and other m < 4 products. Packing B would cost
// as much as the product itself here, so both layouts are read in place, and the work is bound by
// streaming B from memory rather than by arithmetic.
import { ACCUMULATE, BIAS, RELU } from "./flags";

/** Applies the epilogue to one output and stores it. */
function finish(y: usize, v: f32, flags: i32, bias: usize): void {
  if (flags & ACCUMULATE) v += load<f32>(y);
  if (flags & BIAS) v += load<f32>(bias);
  if (flags & RELU) v = max<f32>(v, 0);
  store<f32>(y, v);
}

/** Applies the epilogue to four outputs and stores them. */
function finish4(y: usize, v: v128, flags: i32, bias: usize): void {
  if (flags & ACCUMULATE) v = f32x4.add(v, v128.load(y));
  if (flags & BIAS) v = f32x4.add(v, v128.load(bias));
  if (flags & RELU) v = f32x4.max(v, f32x4.splat(0));
  v128.store(y, v);
}

function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

/** Dot product of x with one contiguous row of B^T, from column p0 (a scalar tail after SIMD). */
function dotTail(x: usize, row: usize, p0: i32, k: i32): f32 {
  let s: f32 = 0;
  for (let p = p0; p < k; p++) s += load<f32>(x + <usize>p * 4) * load<f32>(row + <usize>p * 4);
  return s;
}

/** y[j] = x . W[j, :] with W (n x k) row-major: four rows of W share each load of x. */
function gemvRows(n: i32, k: i32, x: usize, w: usize, ldw: i32, y: usize, flags: i32, bias: usize): void {
  const k4 = k & ~3;
  const rowBytes = <usize>ldw * 4;
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const r0 = w + <usize>j * rowBytes;
    let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
    for (let p = 0; p < k4; p += 4) {
      const off = <usize>p * 4;
      const xv = v128.load(x + off);
      s0 = f32x4.add(s0, f32x4.mul(xv, v128.load(r0 + off)));
      s1 = f32x4.add(s1, f32x4.mul(xv, v128.load(r0 + rowBytes + off)));
      s2 = f32x4.add(s2, f32x4.mul(xv, v128.load(r0 + 2 * rowBytes + off)));
      s3 = f32x4.add(s3, f32x4.mul(xv, v128.load(r0 + 3 * rowBytes + off)));
    }
    const yj = y + <usize>j * 4;
    const bj = bias + <usize>j * 4;
    finish(yj, hsum(s0) + dotTail(x, r0, k4, k), flags, bj);
    finish(yj + 4, hsum(s1) + dotTail(x, r0 + rowBytes, k4, k), flags, bj + 4);
    finish(yj + 8, hsum(s2) + dotTail(x, r0 + 2 * rowBytes, k4, k), flags, bj + 8);
    finish(yj + 12, hsum(s3) + dotTail(x, r0 + 3 * rowBytes, k4, k), flags, bj + 12);
  }
  for (; j < n; j++) {
    const row = w + <usize>j * rowBytes;
    let s = f32x4.splat(0);
    for (let p = 0; p < k4; p += 4) s = f32x4.add(s, f32x4.mul(v128.load(x + <usize>p * 4), v128.load(row + <usize>p * 4)));
    finish(y + <usize>j * 4, hsum(s) + dotTail(x, row, k4, k), flags, bias + <usize>j * 4);
  }
}

/** y[:] = sum_p x[p] * B[p, :] with B (k x n) row-major: 16 columns of y stay in registers over all p. */
function gemvCols(n: i32, k: i32, x: usize, b: usize, ldb: i32, y: usize, flags: i32, bias: usize): void {
  const rowBytes = <usize>ldb * 4;
  let j = 0;
  for (; j + 16 <= n; j += 16) {
    let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
    let src = b + <usize>j * 4;
    for (let p = 0; p < k; p++) {
      const xs = v128.load32_splat(x + <usize>p * 4);
      s0 = f32x4.add(s0, f32x4.mul(xs, v128.load(src)));
      s1 = f32x4.add(s1, f32x4.mul(xs, v128.load(src, 16)));
      s2 = f32x4.add(s2, f32x4.mul(xs, v128.load(src, 32)));
      s3 = f32x4.add(s3, f32x4.mul(xs, v128.load(src, 48)));
      src += rowBytes;
    }
    const yj = y + <usize>j * 4;
    const bj = bias + <usize>j * 4;
    finish4(yj, s0, flags, bj);
    finish4(yj + 16, s1, flags, bj + 16);
    finish4(yj + 32, s2, flags, bj + 32);
    finish4(yj + 48, s3, flags, bj + 48);
  }
  for (; j + 4 <= n; j += 4) {
    let s = f32x4.splat(0);
    for (let p = 0; p < k; p++) {
      s = f32x4.add(s, f32x4.mul(v128.load32_splat(x + <usize>p * 4), v128.load(b + <usize>p * rowBytes + <usize>j * 4)));
    }
    finish4(y + <usize>j * 4, s, flags, bias + <usize>j * 4);
  }
  for (; j < n; j++) {
    let s: f32 = 0;
    for (let p = 0; p < k; p++) s += load<f32>(x + <usize>p * 4) * load<f32>(b + <usize>p * rowBytes + <usize>j * 4);
    finish(y + <usize>j * 4, s, flags, bias + <usize>j * 4);
  }
}

/**
 * y[n] = x[k] @ op(B) for one contiguous row x, with sgemm's flags (1 accumulate, 2 ReLU, 4 bias).
 * transB: B is n x k (a Linear weight), else k x n; ldb is its row stride in floats.
 */
export function sgemv(n: i32, k: i32, x: usize, b: usize, ldb: i32, transB: bool, y: usize, flags: i32, bias: usize): void {
  if (transB) gemvRows(n, k, x, b, ldb, y, flags, bias);
  else gemvCols(n, k, x, b, ldb, y, flags, bias);
}
