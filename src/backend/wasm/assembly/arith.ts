// AssemblyScript (see sgemm.ts for why tsc skips it).
// eslint-disable-next-line @typescript-eslint/ban-ts-comment
// @ts-nocheck

// The four float32 arithmetic ops the elementwise kernels share, numbered as the TypeScript side
// numbers them (wasm/binary.ts, wasm/elementwise.ts): 0 add, 1 sub, 2 mul, anything else div.

export const ADD: i32 = 0;
export const SUB: i32 = 1;
export const MUL: i32 = 2;

/** a op b in four lanes, each exactly rounded. */
export function arith4(op: i32, a: v128, b: v128): v128 {
  if (op == ADD) return f32x4.add(a, b);
  if (op == SUB) return f32x4.sub(a, b);
  if (op == MUL) return f32x4.mul(a, b);
  return f32x4.div(a, b);
}

/** a op b for one float. */
export function arith1(op: i32, a: f32, b: f32): f32 {
  if (op == ADD) return a + b;
  if (op == SUB) return a - b;
  if (op == MUL) return a * b;
  return a / b;
}
