// AssemblyScript (see sgemm.ts for why tsc skips it).
// eslint-disable-next-line @typescript-eslint/ban-ts-comment
// @ts-nocheck

// The float32 binary ops the elementwise kernels share, numbered as the TypeScript side numbers
// them (wasm/binary.ts, wasm/elementwise.ts): 0 add, 1 sub, 2 mul, 3 div, 4 maximum, 5 minimum.
// maximum and minimum are the reference's: NaN where either operand is NaN, else a > b ? a : b
// (a < b ? a : b), so of two zeros the second wins, where f32x4.max would prefer +0.

export const ADD: i32 = 0;
export const SUB: i32 = 1;
export const MUL: i32 = 2;
export const DIV: i32 = 3;
export const MAX: i32 = 4;
export const MIN: i32 = 5;

/** a op b in four lanes, each exactly rounded. */
export function arith4(op: i32, a: v128, b: v128): v128 {
  if (op == ADD) return f32x4.add(a, b);
  if (op == SUB) return f32x4.sub(a, b);
  if (op == MUL) return f32x4.mul(a, b);
  if (op == DIV) return f32x4.div(a, b);
  const pick = v128.bitselect(a, b, op == MAX ? f32x4.gt(a, b) : f32x4.lt(a, b));
  return v128.bitselect(f32x4.splat(NaN), pick, v128.or(f32x4.ne(a, a), f32x4.ne(b, b)));
}

/** a op b for one float. */
export function arith1(op: i32, a: f32, b: f32): f32 {
  if (op == ADD) return a + b;
  if (op == SUB) return a - b;
  if (op == MUL) return a * b;
  if (op == DIV) return a / b;
  if (a != a || b != b) return NaN;
  return op == MAX ? (a > b ? a : b) : (a < b ? a : b);
}
