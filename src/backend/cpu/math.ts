/** Math-family CPU kernels: PyTorch's scalar formulas (rounding, Python's modulo) and their loops. */
import type { DType, TypedArray } from "../../core/dtype.ts";
import type { Layout } from "../../core/layout.ts";

/** Rounds half to even, as C's nearbyint in the default rounding mode (torch.round). */
export function rint(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Python's modulo, the sign of the divisor (PyTorch's remainder for floats and integers alike). */
export function remainder(a: number, b: number): number {
  const m = a % b;
  return m !== 0 && (m < 0) !== (b < 0) ? m + b : m;
}

/** PyTorch's div_floor for floats: the floor of a / b, corrected for fmod's rounding; exact on integers. */
export function floorDivide(a: number, b: number): number {
  if (b === 0) return a / b;
  const mod = a % b;
  let div = (a - mod) / b;
  if (mod !== 0 && (b < 0) !== (mod < 0)) div -= 1;
  if (div === 0) { const q = a / b; return q < 0 || Object.is(q, -0) ? -0 : 0; }
  const fl = Math.floor(div);
  return div - fl > 0.5 ? fl + 1 : fl;
}

/**
 * torch.round(x, decimals=d): nearbyint(x · 10^d) / 10^d, or for d < 0 nearbyint(x / 10^-d) · 10^-d,
 * each step rounded to the dtype as PyTorch's kernel computes in it.
 */
export function roundDecimalsKernel(x: TypedArray, layout: Layout, decimals: number, out: DType): TypedArray {
  const n = layout.numel, res = out.alloc(n) as Float64Array, xs = x as Float64Array, pos = layout.indices();
  const f32 = res instanceof Float32Array, r = f32 ? Math.fround : (v: number) => v;
  const ten = r(10 ** Math.abs(decimals));
  for (let i = 0; i < n; i++) {
    const v = xs[pos[i]!]!;
    res[i] = decimals < 0 ? rint(r(v / ten)) * ten : rint(r(v * ten)) / ten;
  }
  return res;
}

/** torch.nan_to_num: NaN, +inf and -inf replaced by the given finite values. */
export function nanToNumKernel(x: TypedArray, layout: Layout, nan: number, posinf: number, neginf: number, out: DType): TypedArray {
  const n = layout.numel, res = out.alloc(n) as Float64Array, xs = x as Float64Array, pos = layout.indices();
  for (let i = 0; i < n; i++) {
    const v = xs[pos[i]!]!;
    res[i] = v !== v ? nan : v === Infinity ? posinf : v === -Infinity ? neginf : v;
  }
  return res;
}
