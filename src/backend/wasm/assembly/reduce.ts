// AssemblyScript (see sgemm.ts for why tsc skips it).
// eslint-disable-next-line @typescript-eslint/ban-ts-comment
// @ts-nocheck

// Reductions of the training step. A bias gradient is a [rows, cols] gradient summed over its rows:
// each column folds row 0, 1, ... in float64 and rounds once to float32, as the TypeScript
// reference (cpu/reduce.ts reduceBlock) does, so both backends give the same bits. Sixteen columns
// (one 64-byte line) run at a time in eight f64x2 accumulators, walking the rows down.

/** out[j] = sum over i of x[i * cols + j] (float32 in and out, float64 sums), for j < cols. */
export function sumRows(out: usize, x: usize, rows: i32, cols: i32): void {
  const stride = <usize>cols << 2;
  let j = 0;
  for (; j + 16 <= cols; j += 16) {
    let a0 = f64x2.splat(0), a1 = f64x2.splat(0), a2 = f64x2.splat(0), a3 = f64x2.splat(0);
    let a4 = f64x2.splat(0), a5 = f64x2.splat(0), a6 = f64x2.splat(0), a7 = f64x2.splat(0);
    let p = x + (<usize>j << 2);
    for (let i = 0; i < rows; i++, p += stride) {
      const v0 = v128.load(p), v1 = v128.load(p, 16), v2 = v128.load(p, 32), v3 = v128.load(p, 48);
      a0 = f64x2.add(a0, f64x2.promote_low_f32x4(v0));
      a1 = f64x2.add(a1, f64x2.promote_low_f32x4(i32x4.shuffle(v0, v0, 2, 3, 0, 1)));
      a2 = f64x2.add(a2, f64x2.promote_low_f32x4(v1));
      a3 = f64x2.add(a3, f64x2.promote_low_f32x4(i32x4.shuffle(v1, v1, 2, 3, 0, 1)));
      a4 = f64x2.add(a4, f64x2.promote_low_f32x4(v2));
      a5 = f64x2.add(a5, f64x2.promote_low_f32x4(i32x4.shuffle(v2, v2, 2, 3, 0, 1)));
      a6 = f64x2.add(a6, f64x2.promote_low_f32x4(v3));
      a7 = f64x2.add(a7, f64x2.promote_low_f32x4(i32x4.shuffle(v3, v3, 2, 3, 0, 1)));
    }
    const o = out + (<usize>j << 2);
    v128.store(o, join(a0, a1));
    v128.store(o, join(a2, a3), 16);
    v128.store(o, join(a4, a5), 32);
    v128.store(o, join(a6, a7), 48);
  }
  for (; j + 4 <= cols; j += 4) {
    let lo = f64x2.splat(0), hi = f64x2.splat(0);
    let p = x + (<usize>j << 2);
    for (let i = 0; i < rows; i++, p += stride) {
      const v = v128.load(p);
      lo = f64x2.add(lo, f64x2.promote_low_f32x4(v));
      hi = f64x2.add(hi, f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1)));
    }
    v128.store(out + (<usize>j << 2), join(lo, hi));
  }
  for (; j < cols; j++) {
    let acc: f64 = 0;
    let p = x + (<usize>j << 2);
    for (let i = 0; i < rows; i++, p += stride) acc += <f64>load<f32>(p);
    store<f32>(out + (<usize>j << 2), <f32>acc);
  }
}

/** Four float32 lanes from two f64x2 sums, each rounded once. */
function join(lo: v128, hi: v128): v128 {
  return i32x4.shuffle(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5);
}
