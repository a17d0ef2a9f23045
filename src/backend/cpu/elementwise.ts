/** Elementwise CPU kernels: a contiguous fast path, else the layout's stride walker. */
import type { DType, TypedArray } from "../../core/dtype.ts";
import { Layout } from "../../core/layout.ts";
import { assertNever, type BinaryOp, type UnaryOp, type UpdateOp } from "../backend.ts";
import { erf } from "./erf.ts";
import { floorDivide, remainder, rint } from "./math.ts";
import { copyStrided, gatherStrided, scatterStrided } from "./strided.ts";

type Num = (x: number) => number;
type Num2 = (a: number, b: number) => number;
type Big = (x: bigint) => bigint;
type Big2 = (a: bigint, b: bigint) => bigint | boolean;

function unaryNumber(op: UnaryOp): Num {
  switch (op) {
    case "neg": return (x) => -x;
    case "exp": return Math.exp;
    case "log": return Math.log;
    case "sqrt": return Math.sqrt;
    case "abs": return Math.abs;
    case "relu": return (x) => (x > 0 || Number.isNaN(x) ? x : 0);
    case "sigmoid": return (x) => 1 / (1 + Math.exp(-x));
    case "tanh": return Math.tanh;
    // (0 < x) - (x < 0), as PyTorch's kernel: 0 (+0) for NaN and -0
    case "sign": return (x) => (x > 0 ? 1 : x < 0 ? -1 : 0);
    case "sin": return Math.sin;
    case "cos": return Math.cos;
    case "erf": return erf;
    // NaN is nonzero, so true, as PyTorch's logical_not has it (JavaScript's NaN is falsy)
    case "not": return (x) => (x === 0 ? 1 : 0);
    case "isnan": return (x) => (Number.isNaN(x) ? 1 : 0);
    case "isinf": return (x) => (x === Infinity || x === -Infinity ? 1 : 0);
    case "floor": return Math.floor;
    case "ceil": return Math.ceil;
    case "round": return rint;
    case "trunc": return Math.trunc;
    case "frac": return (x) => x - Math.trunc(x);
    case "reciprocal": return (x) => 1 / x;
    case "rsqrt": return (x) => 1 / Math.sqrt(x);
    case "log1p": return Math.log1p;
    case "expm1": return Math.expm1;
    case "log2": return Math.log2;
    case "log10": return Math.log10;
    case "exp2": return (x) => 2 ** x;
    case "tan": return Math.tan;
    case "asin": return Math.asin;
    case "acos": return Math.acos;
    case "atan": return Math.atan;
    case "sinh": return Math.sinh;
    case "cosh": return Math.cosh;
    case "isfinite": return (x) => (Number.isFinite(x) ? 1 : 0);
    case "signbit": return (x) => (x < 0 || Object.is(x, -0) ? 1 : 0);
    default: return assertNever(op);
  }
}

function unaryBig(op: UnaryOp): Big {
  switch (op) {
    case "neg": return (x) => -x;
    case "abs": return (x) => (x < 0n ? -x : x);
    case "relu": return (x) => (x > 0n ? x : 0n);
    case "sign": return (x) => (x > 0n ? 1n : x < 0n ? -1n : 0n);
    case "not": return (x) => (x ? 0n : 1n);
    case "isnan": case "isinf": return () => 0n;
    case "isfinite": return () => 1n;
    case "signbit": return (x) => (x < 0n ? 1n : 0n);
    case "floor": case "ceil": case "round": case "trunc": return (x) => x;
    case "exp": case "log": case "sqrt": case "sigmoid": case "tanh": case "sin": case "cos": case "erf":
    case "frac": case "reciprocal": case "rsqrt": case "log1p": case "expm1": case "log2": case "log10": case "exp2":
    case "tan": case "asin": case "acos": case "atan": case "sinh": case "cosh":
      throw new Error(`${op} on int64 must be promoted to float before the kernel`);
    default: return assertNever(op);
  }
}

const fround = Math.fround;

/**
 * 1 - y² in float64 as one multiply-add would round it (PyTorch's tanh_backward on x86): y² split
 * exactly into p + e (Dekker's product over Veltkamp's halves), 1 - p exactly into s + t, then
 * s + (t - e). A float32 y needs none of this: its square is exact in float64.
 */
function oneMinusSquare(y: number): number {
  const c = 134217729 * y, hi = c - (c - y), lo = y - hi;
  const p = y * y, e = hi * hi - p + 2 * hi * lo + lo * lo;
  const s = 1 - p, v = s - 1, t = (1 - (s - v)) + (-p - v);
  return s + (t - e);
}

/** `f32`: the result is float32, so ops that PyTorch rounds step by step round here too. */
function binaryNumber(op: BinaryOp, intMath: boolean, f32: boolean): Num2 {
  switch (op) {
    case "add": return (a, b) => a + b;
    case "sub": return (a, b) => a - b;
    case "mul": return intMath ? Math.imul : (a, b) => a * b;
    case "div": return (a, b) => a / b;
    case "pow": return Math.pow;
    // NaN propagates, as torch.maximum does
    case "maximum": return (a, b) => (a !== a || b !== b ? NaN : a > b ? a : b);
    case "minimum": return (a, b) => (a !== a || b !== b ? NaN : a < b ? a : b);
    case "eq": return (a, b) => +(a === b);
    case "ne": return (a, b) => +(a !== b);
    case "lt": return (a, b) => +(a < b);
    case "le": return (a, b) => +(a <= b);
    case "gt": return (a, b) => +(a > b);
    case "ge": return (a, b) => +(a >= b);
    case "and": return (a, b) => +(a !== 0 && b !== 0);
    case "or": return (a, b) => +(a !== 0 || b !== 0);
    case "reluGrad": return (g, y) => (y <= 0 ? 0 : g);
    // the last product of two float32 values is exact in float64, so the store rounds it once
    case "sigmoidGrad": return f32 ? (g, y) => fround(g * fround(1 - y)) * y : (g, y) => g * (1 - y) * y;
    case "tanhGrad": return f32 ? (g, y) => g * fround(1 - y * y) : (g, y) => g * oneMinusSquare(y);
    case "remainder": return remainder;
    case "fmod": return (a, b) => a % b;
    case "floorDivide": return floorDivide;
    case "truncDivide": return (a, b) => Math.trunc(a / b);
    case "atan2": return Math.atan2;
    default: return assertNever(op);
  }
}

function binaryBig(op: BinaryOp): Big2 {
  switch (op) {
    case "add": return (a, b) => a + b;
    case "sub": return (a, b) => a - b;
    case "mul": return (a, b) => a * b;
    case "div": return (a, b) => a / b;
    case "pow": return (a, b) => (b < 0n ? (a === 1n ? 1n : 0n) : a ** b);
    case "maximum": return (a, b) => (a > b ? a : b);
    case "minimum": return (a, b) => (a < b ? a : b);
    case "eq": return (a, b) => a === b;
    case "ne": return (a, b) => a !== b;
    case "lt": return (a, b) => a < b;
    case "le": return (a, b) => a <= b;
    case "gt": return (a, b) => a > b;
    case "ge": return (a, b) => a >= b;
    case "and": return (a, b) => a !== 0n && b !== 0n;
    case "or": return (a, b) => a !== 0n || b !== 0n;
    case "remainder": return (a, b) => { const m = a % b; return m !== 0n && (m < 0n) !== (b < 0n) ? m + b : m; };
    case "fmod": return (a, b) => a % b;
    case "floorDivide": return (a, b) => (a % b !== 0n && (a < 0n) !== (b < 0n) ? a / b - 1n : a / b);
    case "truncDivide": return (a, b) => a / b;
    case "reluGrad": case "sigmoidGrad": case "tanhGrad": case "atan2": throw new Error(`${op} is a float op`);
    default: return assertNever(op);
  }
}

/** Storage positions of a layout's elements, or null when they are 0..n-1 shifted by offset. */
export function positions(layout: Layout): Int32Array | Float64Array | null {
  return layout.isContiguous ? null : layout.indices();
}

/**
 * A layout as equal runs of consecutive storage elements: `len` elements from each of `starts`, in
 * order (an expanded mask, a broadcast bias, a transposed head's rows). `len` 0 for a broadcast
 * scalar (every element at `starts[0]`).
 */
interface Runs { len: number; starts: Int32Array | Float64Array }

/** The layout's runs, or null when they would be shorter than `min` elements. */
export function runsOf(l: Layout, min: number): Runs | null {
  if (l.isBroadcastScalar) return { len: 0, starts: Int32Array.of(l.offset) };
  let len = 1, d = l.ndim - 1;
  for (; d >= 0; d--) {
    const size = l.shape[d]!;
    if (size === 1) continue;
    if (l.strides[d] !== len) break;
    len *= size;
  }
  if (len < min) return null;
  return { len, starts: new Layout(l.shape.slice(0, d + 1), l.strides.slice(0, d + 1), l.offset).indices() };
}

/** The run length all operands' runs split into (each run length is a product of trailing dims, so the shortest divides the others). */
function commonRun(rs: readonly Runs[], n: number): number {
  let len = n;
  for (const r of rs) if (r.len > 0 && r.len < len) len = r.len;
  return len;
}

/** Where block `b` of `len` elements starts in an operand with runs `r`. */
function blockStart(r: Runs, b: number, len: number): number {
  if (r.len === 0) return r.starts[0]!;
  const at = b * len, run = Math.floor(at / r.len);
  return r.starts[run]! + (at - run * r.len);
}

const MIN_RUN = 16;

/** Converts one stored element to what a destination array accepts. */
export function convert(v: number | bigint, toBig: boolean): number | bigint {
  if (toBig) return typeof v === "bigint" ? v : BigInt(Math.trunc(Number.isFinite(v) ? v : 0));
  return typeof v === "bigint" ? Number(v) : v;
}

/** `op(x)` elementwise into a new array of dtype `out`. */
export function unaryKernel(op: UnaryOp, x: TypedArray, layout: Layout, out: DType): TypedArray {
  const n = layout.numel, res = out.alloc(n), pos = positions(layout), off = layout.offset;
  const srcBig = x instanceof BigInt64Array, dstBig = res instanceof BigInt64Array;
  if (!srcBig && !dstBig) {
    const f = unaryNumber(op), xs = x as Float64Array, r = res as Float64Array;
    if (pos === null && unaryInline(op, xs, off, r, n)) return res;
    if (pos === null) for (let i = 0; i < n; i++) r[i] = f(xs[off + i]!);
    else for (let i = 0; i < n; i++) r[i] = f(xs[pos[i]!]!);
    return res;
  }
  const f = unaryBig(op), xs = x as BigInt64Array;
  for (let i = 0; i < n; i++) {
    const v = f(xs[pos === null ? off + i : pos[i]!]!);
    res[i] = dstBig ? v : Number(v);
  }
  return res;
}

/** `op(a, b)` elementwise; both operands are laid out over the output's shape. */
export function binaryKernel(
  op: BinaryOp, a: TypedArray, la: Layout, b: TypedArray, lb: Layout, out: DType,
): TypedArray {
  const n = la.numel, res = out.alloc(n), oa = la.offset, ob = lb.offset;
  if (a instanceof BigInt64Array && b instanceof BigInt64Array) {
    const pa = positions(la), pb = positions(lb);
    const f = binaryBig(op), dstBig = res instanceof BigInt64Array;
    for (let i = 0; i < n; i++) {
      const v = f(a[pa === null ? oa + i : pa[i]!]!, b[pb === null ? ob + i : pb[i]!]!);
      res[i] = typeof v === "boolean" ? +v : dstBig ? v : Number(v);
    }
    return res;
  }
  const f32 = res instanceof Float32Array, f = binaryNumber(op, a instanceof Int32Array && op === "mul", f32);
  const xa = a as Float64Array, xb = b as Float64Array, r = res as Float64Array;
  const ca = la.isContiguous, cb = lb.isContiguous;
  // the shapes that dominate small models: equal contiguous operands, or a tensor and a scalar
  if (ca && cb) { if (!arithmetic(op, xa, oa, xb, ob, r, n, f32)) for (let i = 0; i < n; i++) r[i] = f(xa[oa + i]!, xb[ob + i]!); return res; }
  if (ca && lb.isBroadcastScalar) {
    const s = xb[ob]!;
    if (op === "mul" && !(xa instanceof Int32Array)) for (let i = 0; i < n; i++) r[i] = xa[oa + i]! * s;
    else if (op === "add") for (let i = 0; i < n; i++) r[i] = xa[oa + i]! + s;
    else for (let i = 0; i < n; i++) r[i] = f(xa[oa + i]!, s);
    return res;
  }
  if (cb && la.isBroadcastScalar) { const s = xa[oa]!; for (let i = 0; i < n; i++) r[i] = f(s, xb[ob + i]!); return res; }
  // runs of consecutive elements (a broadcast bias or mask, a transposed operand): one loop per run
  const ra = runsOf(la, MIN_RUN), rb = ra === null ? null : runsOf(lb, MIN_RUN);
  if (ra !== null && rb !== null) {
    const len = commonRun([ra, rb], n), sa = ra.len === 0 ? 0 : 1, sb = rb.len === 0 ? 0 : 1;
    for (let blk = 0, o = 0; o < n; blk++, o += len) {
      const pa0 = blockStart(ra, blk, len), pb0 = blockStart(rb, blk, len);
      if (op === "add") for (let i = 0; i < len; i++) r[o + i] = xa[pa0 + sa * i]! + xb[pb0 + sb * i]!;
      else if (op === "mul" && !(xa instanceof Int32Array)) for (let i = 0; i < len; i++) r[o + i] = xa[pa0 + sa * i]! * xb[pb0 + sb * i]!;
      else for (let i = 0; i < len; i++) r[o + i] = f(xa[pa0 + sa * i]!, xb[pb0 + sb * i]!);
    }
    return res;
  }
  const pa = positions(la), pb = positions(lb);
  for (let i = 0; i < n; i++) r[i] = f(xa[pa === null ? oa + i : pa[i]!]!, xb[pb === null ? ob + i : pb[i]!]!);
  return res;
}

/** ReLU over a contiguous array, in place (the fused linear's last pass): the unary kernel's loop. */
export function reluInPlace(x: Float64Array): void {
  unaryInline("relu", x, 0, x, x.length);
}

// The hot unary ops inline, without a call per element
function unaryInline(op: UnaryOp, x: Float64Array, off: number, r: Float64Array, n: number): boolean {
  switch (op) {
    case "relu": for (let i = 0; i < n; i++) { const v = x[off + i]!; r[i] = v > 0 || v !== v ? v : 0; } return true;
    case "neg": for (let i = 0; i < n; i++) r[i] = -x[off + i]!; return true;
    case "exp": for (let i = 0; i < n; i++) r[i] = Math.exp(x[off + i]!); return true;
    case "sigmoid": for (let i = 0; i < n; i++) r[i] = 1 / (1 + Math.exp(-x[off + i]!)); return true;
    case "tanh": for (let i = 0; i < n; i++) r[i] = Math.tanh(x[off + i]!); return true;
    default: return false;
  }
}

// The four arithmetic ops inline, without a call per element (the generic loop calls `f`)
function arithmetic(op: BinaryOp, a: Float64Array, oa: number, b: Float64Array, ob: number, r: Float64Array, n: number, f32: boolean): boolean {
  switch (op) {
    case "add": for (let i = 0; i < n; i++) r[i] = a[oa + i]! + b[ob + i]!; return true;
    case "sub": for (let i = 0; i < n; i++) r[i] = a[oa + i]! - b[ob + i]!; return true;
    case "mul": if (a instanceof Int32Array) return false; for (let i = 0; i < n; i++) r[i] = a[oa + i]! * b[ob + i]!; return true;
    case "div": for (let i = 0; i < n; i++) r[i] = a[oa + i]! / b[ob + i]!; return true;
    case "reluGrad": for (let i = 0; i < n; i++) r[i] = b[ob + i]! <= 0 ? 0 : a[oa + i]!; return true;
    case "sigmoidGrad":
      if (!f32) return false;
      for (let i = 0; i < n; i++) { const y = b[ob + i]!; r[i] = fround(a[oa + i]! * fround(1 - y)) * y; }
      return true;
    case "tanhGrad":
      if (!f32) return false;
      for (let i = 0; i < n; i++) { const y = b[ob + i]!; r[i] = a[oa + i]! * fround(1 - y * y); }
      return true;
    default: return false;
  }
}

/** `cond ? a : b` elementwise over one shape. */
export function whereKernel(
  cond: TypedArray, lc: Layout, a: TypedArray, la: Layout, b: TypedArray, lb: Layout, out: DType,
): TypedArray {
  const n = lc.numel, res = out.alloc(n);
  if (lc.isContiguous && la.isContiguous && lb.isBroadcastScalar) {
    const oc = lc.offset, oa = la.offset, s = b[lb.offset]!;
    for (let i = 0; i < n; i++) res[i] = cond[oc + i] ? a[oa + i]! : s;
    return res;
  }
  const rc = runsOf(lc, MIN_RUN), ra = rc === null ? null : runsOf(la, MIN_RUN), rb = ra === null ? null : runsOf(lb, MIN_RUN);
  const big = res instanceof BigInt64Array || a instanceof BigInt64Array || b instanceof BigInt64Array;
  if (rc !== null && ra !== null && rb !== null && !big) {
    // runs of consecutive elements (attention's causal mask expanded over batch and heads)
    const len = commonRun([rc, ra, rb], n), sc = rc.len === 0 ? 0 : 1, sa = ra.len === 0 ? 0 : 1, sb = rb.len === 0 ? 0 : 1;
    const r = res as Float64Array, xa = a as Float64Array, xb = b as Float64Array;
    for (let blk = 0, o = 0; o < n; blk++, o += len) {
      const pc = blockStart(rc, blk, len), pa = blockStart(ra, blk, len), pb = blockStart(rb, blk, len);
      // masked_fill's two passes (a scalar fill where the mask is set, and its gradient's zeros) without the strides' multiplies
      if (sc === 1 && sa === 0 && sb === 1) { const v = xa[pa]!; for (let i = 0; i < len; i++) r[o + i] = cond[pc + i] ? v : xb[pb + i]!; }
      else if (sc === 1 && sa === 1 && sb === 0) { const v = xb[pb]!; for (let i = 0; i < len; i++) r[o + i] = cond[pc + i] ? xa[pa + i]! : v; }
      else for (let i = 0; i < len; i++) r[o + i] = cond[pc + sc * i] ? xa[pa + sa * i]! : xb[pb + sb * i]!;
    }
    return res;
  }
  const ic = lc.indices(), ia = la.indices(), ib = lb.indices();
  for (let i = 0; i < n; i++) res[i] = cond[ic[i]!] ? a[ia[i]!]! : b[ib[i]!]!;
  return res;
}

/** In place `dst = dst op (alpha · src)` over float arrays of one dtype (see Backend.update). */
export function updateKernel(op: UpdateOp, dst: TypedArray, ld: Layout, src: TypedArray, ls: Layout, alpha: number): void {
  const d = dst as Float64Array, s = src as Float64Array, n = ld.numel;
  const f32 = dst instanceof Float32Array, round = f32 ? Math.fround : (x: number) => x;
  // alpha is a scalar of the dtype, and alpha · src is stored before the update reads it
  const al = round(alpha), scaled = alpha !== 1;
  if (ld.isContiguous && ls.isContiguous) {
    // the optimizer's and the engine's case: one loop per variant, nothing but the arithmetic inside
    const od = ld.offset, os = ls.offset;
    if (op === "add" && !scaled) for (let i = 0; i < n; i++) d[od + i] += s[os + i]!;
    else if (op === "add" && f32) for (let i = 0; i < n; i++) d[od + i] += Math.fround(al * s[os + i]!);
    else if (op === "mul" && !scaled) for (let i = 0; i < n; i++) d[od + i] *= s[os + i]!;
    else for (let i = 0; i < n; i++) d[od + i] = apply(op, d[od + i]!, round(al * s[os + i]!));
    return;
  }
  if (ld.isContiguous && ls.isBroadcastScalar) {
    const od = ld.offset, v = scaled ? round(al * s[ls.offset]!) : s[ls.offset]!;
    if (op === "add") for (let i = 0; i < n; i++) d[od + i] += v;
    else if (op === "mul") for (let i = 0; i < n; i++) d[od + i] *= v;
    else for (let i = 0; i < n; i++) d[od + i] = apply(op, d[od + i]!, v);
    return;
  }
  const pd = ld.indices(), ps = ls.indices();
  for (let i = 0; i < n; i++) d[pd[i]!] = apply(op, d[pd[i]!]!, scaled ? round(al * s[ps[i]!]!) : s[ps[i]!]!);
}

function apply(op: UpdateOp, a: number, b: number): number {
  switch (op) {
    case "add": return a + b;
    case "sub": return a - b;
    case "mul": return a * b;
    case "div": return a / b;
    default: return assertNever(op);
  }
}

/** Writes `src` (contiguous, or read through `srcLayout` of the same shape) through a strided destination, converting element types. */
export function writeKernel(dst: TypedArray, layout: Layout, src: TypedArray, srcLayout?: Layout): void {
  const n = layout.numel, off = layout.offset;
  const same = (dst instanceof BigInt64Array) === (src instanceof BigInt64Array);
  if (srcLayout !== undefined && n > 0) {
    if (!srcLayout.isContiguous) {
      if (same) copyStrided(dst, layout, src, srcLayout);
      else { const c = new (src.constructor as new (n: number) => TypedArray)(n); gatherStrided(src, srcLayout, c); writeKernel(dst, layout, c); }
      return;
    }
    if (srcLayout.offset !== 0 || src.length !== n) src = src.subarray(srcLayout.offset, srcLayout.offset + n);
  }
  if (layout.isContiguous && same) { (dst as Float64Array).set(src.length === n ? src as Float64Array : (src as Float64Array).subarray(0, n), off); return; }
  if (same) { if (n > 0) scatterStrided(dst, layout, src); return; }
  const pos = positions(layout);
  const toBig = dst instanceof BigInt64Array;
  for (let i = 0; i < n; i++) dst[pos === null ? off + i : pos[i]!] = convert(src[i]!, toBig);
}

/** Fills a strided region with one value. */
export function fillKernel(dst: TypedArray, layout: Layout, value: number | bigint): void {
  const v = convert(value, dst instanceof BigInt64Array);
  if (layout.isContiguous) { (dst as Float64Array).fill(v as number, layout.offset, layout.offset + layout.numel); return; }
  const pos = layout.indices();
  for (let i = 0; i < pos.length; i++) dst[pos[i]!] = v;
}
