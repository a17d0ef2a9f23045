// float32 add, sub, mul, div, maximum and minimum on the SIMD kernel (assembly/binary.ts) for the operand layouts of
// a training step: equal shapes, a scalar, a trailing-dim broadcast ([B, T, C] op [C]), a column
// ([B, T, C] op [B, T, 1]), strided rows (a split's view). The output's dims are merged where both
// operands allow it (as PyTorch's TensorIterator coalesces them); what is left must be at most
// [outer, rows, cols] with each operand's elements unit-stride or repeated along cols. Operands that
// are not resident are copied in as the span they read (a bias: C floats), the result out.
import { coalesceDims, type Layout } from "../../core/layout.ts";
import { operandArea, residentPtr } from "./matmul.ts";
import { sliceOf, transientFloats } from "./heap.ts";

/** The binary ops the kernel runs, numbered as assembly/arith.ts does. */
export type ArithmeticOp = "add" | "sub" | "mul" | "div" | "maximum" | "minimum";
const CODES: Record<ArithmeticOp, number> = { add: 0, sub: 1, mul: 2, div: 3, maximum: 4, minimum: 5 };

/** One operand over the merged dims: element (o, r, c) at off + o·so + r·sr + c·sc, sc 0 or 1. */
interface Operand { off: number; so: number; sr: number; sc: number; span: number }
/** The output as [outer, rows, cols] and both operands over it, or null when the kernel cannot walk them. */
interface Plan { outer: number; rows: number; cols: number; a: Operand; b: Operand }

/**
 * The output's dims merged where every operand steps through them as one (coalesceDims), as
 * [outer, rows, cols] and each operand over it; null past three dims or a non-unit inner stride.
 */
function planOperands(layouts: readonly Layout[]): { outer: number; rows: number; cols: number; ops: Operand[] } | null {
  const merged = coalesceDims(layouts[0]!.shape, layouts.map((l) => l.strides));
  if (merged.sizes.length > 3) return null;
  // innermost first from here: [cols, rows, outer]
  const sizes = merged.sizes.reverse(), strides = merged.strides.map((s) => s.reverse());
  if (sizes.length === 0) { sizes.push(1); strides.forEach((s) => s.push(0)); }
  if (strides.some((s) => s[0] !== 0 && s[0] !== 1)) return null;
  const cols = sizes[0]!, rows = sizes[1] ?? 1, outer = sizes[2] ?? 1;
  const ops = layouts.map((l, i): Operand => {
    const s = strides[i]!, sc = s[0]!, sr = s[1] ?? 0, so = s[2] ?? 0;
    if (sr < 0 || so < 0) return { off: l.offset, so, sr, sc: -1, span: 0 };
    return { off: l.offset, so, sr, sc, span: (outer - 1) * so + (rows - 1) * sr + (cols - 1) * sc + 1 };
  });
  return ops.some((o) => o.sc < 0) ? null : { outer, rows, cols, ops };
}

/** The output's dims merged where both operands step through them as one (coalesceDims); null past three dims or a non-unit inner stride. */
export function planBinary(la: Layout, lb: Layout): Plan | null {
  const p = planOperands([la, lb]);
  return p === null ? null : { outer: p.outer, rows: p.rows, cols: p.cols, a: p.ops[0]!, b: p.ops[1]! };
}

const align = (bytes: number) => Math.ceil(bytes / 64) * 64;

/** `a op b` for float32 operands laid out by `plan`, into a new contiguous array. */
export function wasmBinary(op: ArithmeticOp, a: Float32Array, b: Float32Array, plan: Plan): Float32Array {
  const { outer, rows, cols } = plan, n = outer * rows * cols;
  const ra = residentPtr(a), rb = residentPtr(b);
  const bytesA = ra < 0 ? align(4 * plan.a.span) : 0, bytesB = rb < 0 ? align(4 * plan.b.span) : 0;
  const { inst, mem, base } = operandArea(bytesA + bytesB + align(4 * n));
  const out = transientFloats(n);
  const pa = ra >= 0 ? ra + 4 * plan.a.off : base, pb = rb >= 0 ? rb + 4 * plan.b.off : base + bytesA, po = out?.byteOffset ?? base + bytesA + bytesB;
  if (ra < 0) stage(mem, a, plan.a, pa);
  if (rb < 0) stage(mem, b, plan.b, pb);
  const code = CODES[op], ka = plan.a.sc === 0 ? 1 : 0, kb = plan.b.sc === 0 ? 1 : 0, slab = 4 * rows * cols;
  for (let o = 0; o < outer; o++) {
    inst.exports.binary(code, po + o * slab, pa + 4 * o * plan.a.so, plan.a.sr, ka, pb + 4 * o * plan.b.so, plan.b.sr, kb, rows, cols);
  }
  return out ?? sliceOf(mem, po / 4, po / 4 + n);
}

/** The comparisons the kernel runs into bool bytes, numbered as assembly/binary.ts compare4 does. */
export const COMPARE_CODES = { eq: 0, ne: 1, lt: 2, le: 3, gt: 4, ge: 5 } as const;
export type CompareOp = keyof typeof COMPARE_CODES;

/** `a op b` for float32 operands laid out by `plan`, into a new bool array (bytes 0 and 1), the reference's values. */
export function wasmCompare(op: CompareOp, a: Float32Array, b: Float32Array, plan: Plan): Uint8Array {
  const { outer, rows, cols } = plan, n = outer * rows * cols;
  const ra = residentPtr(a), rb = residentPtr(b);
  const bytesA = ra < 0 ? align(4 * plan.a.span) : 0, bytesB = rb < 0 ? align(4 * plan.b.span) : 0;
  const { inst, mem, base } = operandArea(bytesA + bytesB + align(n));
  const pa = ra >= 0 ? ra + 4 * plan.a.off : base, pb = rb >= 0 ? rb + 4 * plan.b.off : base + bytesA, po = base + bytesA + bytesB;
  if (ra < 0) stage(mem, a, plan.a, pa);
  if (rb < 0) stage(mem, b, plan.b, pb);
  const code = COMPARE_CODES[op], ka = plan.a.sc === 0 ? 1 : 0, kb = plan.b.sc === 0 ? 1 : 0;
  for (let o = 0; o < outer; o++) {
    inst.exports.compare(code, po + o * rows * cols, pa + 4 * o * plan.a.so, plan.a.sr, ka, pb + 4 * o * plan.b.so, plan.b.sr, kb, rows, cols);
  }
  return new Uint8Array(mem.buffer, mem.byteOffset + po, n).slice();
}

/** The logical ops the kernel runs over bytes, numbered as assembly/binary.ts logic does. */
export const LOGIC_CODES = { and: 0, or: 1, not: 2 } as const;
export type LogicOp = keyof typeof LOGIC_CODES;

/**
 * `a and b`, `a or b` or `not a` over byte operands (bools; any nonzero byte is true) laid out by
 * `plan`, into a new bool array; for `not`, b is a again.
 */
export function wasmLogic(op: LogicOp, a: Uint8Array, b: Uint8Array, plan: Plan): Uint8Array {
  const { outer, rows, cols } = plan, n = outer * rows * cols, bytesA = align(plan.a.span), bytesB = align(plan.b.span);
  const { inst, mem, base } = operandArea(bytesA + bytesB + align(n));
  const bytes = new Uint8Array(mem.buffer, mem.byteOffset);
  const pa = base, pb = base + bytesA, po = base + bytesA + bytesB;
  bytes.set(a.subarray(plan.a.off, plan.a.off + plan.a.span), pa);
  bytes.set(b.subarray(plan.b.off, plan.b.off + plan.b.span), pb);
  const code = LOGIC_CODES[op], ka = plan.a.sc === 0 ? 1 : 0, kb = plan.b.sc === 0 ? 1 : 0;
  for (let o = 0; o < outer; o++) {
    inst.exports.logic(code, po + o * rows * cols, pa + o * plan.a.so, plan.a.sr, ka, pb + o * plan.b.so, plan.b.sr, kb, rows, cols);
  }
  return bytes.slice(po, po + n);
}

/** Copies the span an operand reads to byte offset `at`. */
function stage(mem: Float32Array, x: Float32Array, o: Operand, at: number): void {
  if (o.span <= 64) for (let i = 0; i < o.span; i++) mem[at / 4 + i] = x[o.off + i]!;
  else mem.set(x.subarray(o.off, o.off + o.span), at / 4);
}

/**
 * where(cond, a, b) for a bool mask and two float32 operands, each broadcast as binary's operands
 * are, into a new contiguous array: the selected bits, as the reference; null when the kernel
 * cannot walk the three layouts.
 */
export function wasmWhere(cond: Uint8Array, lc: Layout, a: Float32Array, la: Layout, b: Float32Array, lb: Layout): Float32Array | null {
  const plan = planOperands([lc, la, lb]);
  if (plan === null) return null;
  const { outer, rows, cols, ops: [oc, oa, ob] } = plan, n = outer * rows * cols, ra = residentPtr(a), rb = residentPtr(b);
  const bytesC = align(oc!.span), bytesA = ra < 0 ? align(4 * oa!.span) : 0, bytesB = rb < 0 ? align(4 * ob!.span) : 0;
  const { inst, mem, base } = operandArea(bytesC + bytesA + bytesB + align(4 * n));
  const out = transientFloats(n);
  const pc = base, pa = ra >= 0 ? ra + 4 * oa!.off : base + bytesC, pb = rb >= 0 ? rb + 4 * ob!.off : base + bytesC + bytesA;
  const po = out?.byteOffset ?? base + bytesC + bytesA + bytesB;
  new Uint8Array(mem.buffer, mem.byteOffset + pc, oc!.span).set(cond.subarray(oc!.off, oc!.off + oc!.span));
  if (ra < 0) stage(mem, a, oa!, pa);
  if (rb < 0) stage(mem, b, ob!, pb);
  const slab = 4 * rows * cols;
  for (let o = 0; o < outer; o++) {
    inst.exports.where(
      po + o * slab, pc + o * oc!.so, oc!.sr, oc!.sc === 0 ? 1 : 0, pa + 4 * o * oa!.so, oa!.sr, oa!.sc === 0 ? 1 : 0,
      pb + 4 * o * ob!.so, ob!.sr, ob!.sc === 0 ? 1 : 0, rows, cols,
    );
  }
  return out ?? sliceOf(mem, po / 4, po / 4 + n);
}

/**
 * where(cond, v, x) (`fillWhen` true) or where(cond, x, v) for a bool mask and a float32 x laid out by
 * `plan` (planBinary(cond's layout, x's)) and a scalar v, into a new contiguous array; null when the
 * plan does not read both unit-stride along its rows.
 */
export function wasmWhereScalar(cond: Uint8Array, x: Float32Array, v: number, fillWhen: boolean, plan: Plan): Float32Array | null {
  if (plan.a.sc !== 1 || plan.b.sc !== 1) return null;
  const { outer, rows, cols } = plan, n = outer * rows * cols, rx = residentPtr(x);
  const bytesC = align(plan.a.span), bytesX = rx < 0 ? align(4 * plan.b.span) : 0;
  const { inst, mem, base } = operandArea(bytesC + bytesX + align(4 * n));
  const out = transientFloats(n);
  const pc = base, px = rx >= 0 ? rx + 4 * plan.b.off : base + bytesC, po = out?.byteOffset ?? base + bytesC + bytesX;
  new Uint8Array(mem.buffer, mem.byteOffset + pc, plan.a.span).set(cond.subarray(plan.a.off, plan.a.off + plan.a.span));
  if (rx < 0) stage(mem, x, plan.b, px);
  const slab = 4 * rows * cols;
  for (let o = 0; o < outer; o++) {
    inst.exports.whereScalar(po + o * slab, pc + o * plan.a.so, plan.a.sr, px + 4 * o * plan.b.so, plan.b.sr, v, fillWhen ? 1 : 0, rows, cols);
  }
  return out ?? sliceOf(mem, po / 4, po / 4 + n);
}
