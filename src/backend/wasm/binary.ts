// float32 add, sub, mul, div, maximum and minimum on the SIMD kernel (assembly/binary.ts) for the operand layouts of
// a training step: equal shapes, a scalar, a trailing-dim broadcast ([B, T, C] op [C]), a column
// ([B, T, C] op [B, T, 1]), strided rows (a split's view). The output's dims are merged where both
// operands allow it (as PyTorch's TensorIterator coalesces them); what is left must be at most
// [outer, rows, cols] with each operand's elements unit-stride or repeated along cols. Operands that
// are not resident are copied in as the span they read (a bias: C floats), the result out.
import { coalesceDims, type Layout } from "../../core/layout.ts";
import { operandArea, residentPtr } from "./matmul.ts";
import { sliceOf, transientFloats } from "./heap.ts";
import type { SgemmInstance } from "./module.ts";

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

/** An input as the kernels read it: float32 (4-byte elements) or bytes (a bool mask), over its operand of a plan. */
interface Input { data: Float32Array | Uint8Array; o: Operand }

/**
 * Where the kernels read `inputs`: a resident float32 array in place, every other input copied (the
 * span its operand reads) into one staging area, with `outBytes` left after them at `out`.
 */
function place(inputs: readonly Input[], outBytes: number): { inst: SgemmInstance; mem: Float32Array; ptrs: number[]; out: number } {
  const resident = inputs.map(({ data }) => (data instanceof Float32Array ? residentPtr(data) : -1));
  const bytes = inputs.map(({ data, o }, i) => (resident[i]! >= 0 ? 0 : align(data.BYTES_PER_ELEMENT * o.span)));
  const { inst, mem, base } = operandArea(bytes.reduce((sum, b) => sum + b, 0) + outBytes);
  let at = base;
  const ptrs = inputs.map(({ data, o }, i) => {
    if (resident[i]! >= 0) return resident[i]! + 4 * o.off;
    const p = at;
    at += bytes[i]!;
    if (data instanceof Float32Array) stage(mem, data, o, p);
    else new Uint8Array(mem.buffer, mem.byteOffset + p, o.span).set(data.subarray(o.off, o.off + o.span));
    return p;
  });
  return { inst, mem, ptrs, out: at };
}

/** A rows kernel of assembly/binary.ts: (op, out, a, ra, ka, b, rb, kb, rows, cols). */
type RowsKernel = (op: number, out: number, a: number, ra: number, ka: number, b: number, rb: number, kb: number, rows: number, cols: number) => void;

/** Calls `kernel` for each outer slab of `plan`: its operands' elements `size` bytes, its output's `outSize`. */
function slabs(kernel: RowsKernel, op: number, po: number, outSize: number, pa: number, pb: number, size: number, plan: Plan): void {
  const { outer, rows, cols, a, b } = plan, ka = a.sc === 0 ? 1 : 0, kb = b.sc === 0 ? 1 : 0;
  for (let o = 0; o < outer; o++) {
    kernel(op, po + o * outSize * rows * cols, pa + size * o * a.so, a.sr, ka, pb + size * o * b.so, b.sr, kb, rows, cols);
  }
}

/** `a op b` for float32 operands laid out by `plan`, into a new contiguous array. */
export function wasmBinary(op: ArithmeticOp, a: Float32Array, b: Float32Array, plan: Plan): Float32Array {
  const n = plan.outer * plan.rows * plan.cols;
  const { inst, mem, ptrs: [pa, pb], out: scratch } = place([{ data: a, o: plan.a }, { data: b, o: plan.b }], align(4 * n));
  const out = transientFloats(n), po = out?.byteOffset ?? scratch;
  slabs(inst.exports.binary, CODES[op], po, 4, pa!, pb!, 4, plan);
  return out ?? sliceOf(mem, po / 4, po / 4 + n);
}

/** The comparisons the kernel runs into bool bytes, numbered as assembly/binary.ts compare4 does. */
export const COMPARE_CODES = { eq: 0, ne: 1, lt: 2, le: 3, gt: 4, ge: 5 } as const;
export type CompareOp = keyof typeof COMPARE_CODES;

/** `a op b` for float32 operands laid out by `plan`, into a new bool array (bytes 0 and 1), the reference's values. */
export function wasmCompare(op: CompareOp, a: Float32Array, b: Float32Array, plan: Plan): Uint8Array {
  return boolRows("compare", COMPARE_CODES[op], a, b, plan);
}

/** A rows kernel writing bool bytes (compare or logic) over a and b laid out by `plan`, into a new array. */
function boolRows(kernel: "compare" | "logic", op: number, a: Float32Array | Uint8Array, b: Float32Array | Uint8Array, plan: Plan): Uint8Array {
  const n = plan.outer * plan.rows * plan.cols;
  const { inst, mem, ptrs: [pa, pb], out: po } = place([{ data: a, o: plan.a }, { data: b, o: plan.b }], align(n));
  slabs(inst.exports[kernel], op, po, 1, pa!, pb!, a.BYTES_PER_ELEMENT, plan);
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
  return boolRows("logic", LOGIC_CODES[op], a, b, plan);
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
  const { outer, rows, cols, ops: [oc, oa, ob] } = plan, n = outer * rows * cols;
  const { inst, mem, ptrs: [pc, pa, pb], out: scratch } = place([{ data: cond, o: oc! }, { data: a, o: oa! }, { data: b, o: ob! }], align(4 * n));
  const out = transientFloats(n), po = out?.byteOffset ?? scratch, slab = 4 * rows * cols;
  const k = (o: Operand) => (o.sc === 0 ? 1 : 0);
  for (let o = 0; o < outer; o++) {
    inst.exports.where(
      po + o * slab, pc! + o * oc!.so, oc!.sr, k(oc!), pa! + 4 * o * oa!.so, oa!.sr, k(oa!), pb! + 4 * o * ob!.so, ob!.sr, k(ob!), rows, cols,
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
  const { outer, rows, cols } = plan, n = outer * rows * cols;
  const { inst, mem, ptrs: [pc, px], out: scratch } = place([{ data: cond, o: plan.a }, { data: x, o: plan.b }], align(4 * n));
  const out = transientFloats(n), po = out?.byteOffset ?? scratch, slab = 4 * rows * cols;
  for (let o = 0; o < outer; o++) {
    inst.exports.whereScalar(po + o * slab, pc! + o * plan.a.so, plan.a.sr, px! + 4 * o * plan.b.so, plan.b.sr, v, fillWhen ? 1 : 0, rows, cols);
  }
  return out ?? sliceOf(mem, po / 4, po / 4 + n);
}
