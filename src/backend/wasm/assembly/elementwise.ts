// AssemblyScript (see sgemm.ts for why tsc skips it).
// eslint-disable-next-line @typescript-eslint/ban-ts-comment
// @ts-nocheck

import { arith1, arith4 } from "./arith";

// Elementwise float32 kernels of the training step over contiguous arrays in linear memory, four
// lanes at a time. Each lane rounds every operation to float32 as the TypeScript reference does
// (no fused multiply-add), so both backends give the same bits.

/**
 * In place dst[i] = dst[i] op (alpha * src[i]) over n floats (op numbered as wasm/elementwise.ts's
 * UPDATE_CODES, as arith.ts reads it); alpha * src is rounded to float32
 * before the update reads it, and skipped when `scaled` is 0 (alpha = 1).
 */
export function update(op: i32, dst: usize, src: usize, n: i32, alpha: f32, scaled: i32): void {
  const al = f32x4.splat(alpha);
  const n4 = n & ~3;
  let i = 0;
  if (scaled) {
    for (; i < n4; i += 4) {
      const p = <usize>i << 2;
      v128.store(dst + p, arith4(op, v128.load(dst + p), f32x4.mul(al, v128.load(src + p))));
    }
    for (; i < n; i++) {
      const p = <usize>i << 2;
      store<f32>(dst + p, arith1(op, load<f32>(dst + p), alpha * load<f32>(src + p)));
    }
  } else {
    for (; i < n4; i += 4) {
      const p = <usize>i << 2;
      v128.store(dst + p, arith4(op, v128.load(dst + p), v128.load(src + p)));
    }
    for (; i < n; i++) {
      const p = <usize>i << 2;
      store<f32>(dst + p, arith1(op, load<f32>(dst + p), load<f32>(src + p)));
    }
  }
}

/** In place dst[i] = dst[i] op v over n floats (op as in `update`): an update by a broadcast scalar. */
export function updateScalar(op: i32, dst: usize, n: i32, v: f32): void {
  const vv = f32x4.splat(v);
  const n4 = n & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    const p = <usize>i << 2;
    v128.store(dst + p, arith4(op, v128.load(dst + p), vv));
  }
  for (; i < n; i++) {
    const p = <usize>i << 2;
    store<f32>(dst + p, arith1(op, load<f32>(dst + p), v));
  }
}

/**
 * dst[i] = v over n floats. V8's fill of a shared buffer's view stores one element at a time; here
 * +0 is memory.fill (memset: 2-4 ms for ResNet-18's 44 MB of gradients, where SIMD stores take 6
 * and the view's fill 10), any other value SIMD stores.
 */
export function fill(dst: usize, n: i32, v: f32): void {
  if (reinterpret<u32>(v) == 0) {
    memory.fill(dst, 0, <usize>n << 2);
    return;
  }
  const vv = f32x4.splat(v);
  const n4 = n & ~3;
  let i = 0;
  for (; i < n4; i += 4) v128.store(dst + (<usize>i << 2), vv);
  for (; i < n; i++) store<f32>(dst + (<usize>i << 2), v);
}

/** out[i] = y[i] <= 0 ? 0 : g[i] over n floats: ReLU's derivative (a NaN output passes g). */
export function reluGrad(out: usize, g: usize, y: usize, n: i32): void {
  const zero = f32x4.splat(0);
  const n4 = n & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    const p = <usize>i << 2;
    v128.store(out + p, v128.bitselect(zero, v128.load(g + p), f32x4.le(v128.load(y + p), zero)));
  }
  for (; i < n; i++) {
    const p = <usize>i << 2;
    store<f32>(out + p, load<f32>(y + p) <= 0 ? 0 : load<f32>(g + p));
  }
}

/** out[i] = x[i] > 0 || x[i] is NaN ? x[i] : 0 over n floats: ReLU as the reference computes it (-0 gives 0). */
export function relu(out: usize, x: usize, n: i32): void {
  const zero = f32x4.splat(0);
  const n4 = n & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    const p = <usize>i << 2;
    const v = v128.load(x + p);
    v128.store(out + p, v128.bitselect(zero, v, f32x4.le(v, zero)));
  }
  for (; i < n; i++) {
    const p = <usize>i << 2;
    const v = load<f32>(x + p);
    store<f32>(out + p, v <= 0 ? 0 : v);
  }
}
