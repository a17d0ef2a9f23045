/**
 * The math ops against PyTorch 1.13 on both backends: forward values, dtypes and shapes, the
 * gradient of sum(out * w) for fixed random w, grad_fn names and error messages, from
 * test/fixtures/math.json (written by scripts/fixtures/math.py). CALLS holds, by case name, the
 * torchlet spelling of each case's PyTorch lambda.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as torch from "../src/index.ts";
import { TorchletError } from "../src/errors.ts";
import type { Tensor } from "../src/index.ts";
import { logSigmoid, softplus } from "../src/ops/math.ts";

type Value = number | string | boolean | Value[];
interface Enc { data: Value; shape: number[]; dtype: string }
interface Case {
  name: string; inputs: { t: Enc; requiresGrad: boolean }[]; out: Enc[]; w: (Enc | null)[];
  grads: (Enc | null)[]; gradFn: (string | null)[];
}
const fixture = JSON.parse(readFileSync(new URL("./fixtures/math.json", import.meta.url), "utf8")) as {
  cases: Case[]; errors: { name: string; message: string }[];
};

const DTYPES: Record<string, torch.DType> = {
  bool: torch.bool, int32: torch.int32, int64: torch.int64, float32: torch.float32, float64: torch.float64,
};

function scalar(v: Value): number | bigint | boolean {
  if (typeof v !== "string") return v as number | boolean;
  return v === "nan" ? NaN : v === "inf" ? Infinity : v === "-inf" ? -Infinity : v === "-0" ? -0 : BigInt(v);
}
const flat = (v: unknown): unknown[] => (Array.isArray(v) ? v.flatMap(flat) : [v]);

function decode(e: Enc): Tensor {
  const values = flat(e.data).map((v) => scalar(v as Value));
  const big = values.some((v) => typeof v === "bigint");
  const data = e.dtype === "int64" ? values.map((v) => (big ? BigInt(v as number) : v)) : values;
  return torch.tensor(data as never, { dtype: DTYPES[e.dtype]! }).reshape(e.shape);
}

/** dtype, shape and values; integers and bools exactly, floats within tol · (1 + |expected|), NaN as NaN, the sign of zero too. */
function assertMatches(actual: Tensor | null | undefined, expected: Enc, what: string): void {
  assert.ok(actual, `${what}: expected a tensor`);
  assert.equal(String(actual.dtype), `torch.${expected.dtype}`, `${what}: dtype`);
  assert.deepEqual([...actual.shape], expected.shape, `${what}: shape`);
  const got = flat(actual.tolist()), want = flat(expected.data).map((v) => scalar(v as Value));
  const tol = expected.dtype === "float32" ? 2e-6 : 1e-12;
  want.forEach((w, i) => {
    const g = got[i];
    if (typeof w === "boolean" || !expected.dtype.startsWith("float")) {
      assert.equal(String(g), String(w), `${what}: element ${i}`);
      return;
    }
    const [a, b] = [g as number, w as number];
    const ok = Number.isNaN(b) ? Number.isNaN(a) : a === b || Math.abs(a - b) <= tol * (1 + Math.abs(b));
    assert.ok(ok, `${what}: element ${i} is ${a}, PyTorch gives ${b}`);
    if (a === 0 && b === 0) assert.ok(Object.is(a, b), `${what}: element ${i} is ${Object.is(a, -0) ? "-0" : "0"}, PyTorch gives ${Object.is(b, -0) ? "-0" : "0"}`);
  });
}

type Call = (...t: Tensor[]) => Tensor;
const CALLS: Record<string, Call> = {};
const m = (name: string): Call => (a, ...rest) => (a as unknown as Record<string, Call>)[name]!.call(a, ...rest);

for (const n of ["float32", "float64"]) {
  for (const op of ["floor", "ceil", "round", "trunc", "frac"]) CALLS[`${op}_${n}`] = CALLS[`${op}_special_${n}`] = m(op);
  CALLS[`round_decimals2_${n}`] = (a) => torch.round(a!, { decimals: 2 });
  CALLS[`round_decimals1_halves_${n}`] = (a) => a!.round({ decimals: 1 });
  CALLS[`round_decimals_neg1_${n}`] = (a) => torch.round(a!, { decimals: -1 });
  CALLS[`logsumexp_dim1_${n}`] = (a) => torch.logsumexp(a!, 1);
  CALLS[`logsumexp_dims_keepdim_${n}`] = (a) => a!.logsumexp([0, 2], { keepdim: true });
  CALLS[`amax_all_${n}`] = (a) => torch.amax(a!);
  CALLS[`vector_norm_${n}`] = (a) => torch.linalg.vectorNorm(a!);
  CALLS[`var_${n}`] = (a) => a!.var();
  CALLS[`softmax_${n}`] = (a) => a!.softmax(1);
  CALLS[`log_softmax_${n}`] = (a) => a!.logSoftmax(1);
}
for (const op of ["floor", "ceil", "round", "trunc"]) CALLS[`${op}_int64`] = CALLS[`${op}_int32`] = (a) => (torch as unknown as Record<string, Call>)[op]!(a!);
for (const op of ["reciprocal", "rsqrt", "log1p", "expm1", "log2", "log10", "exp2", "tan", "asin", "acos", "atan", "sinh", "cosh"]) {
  for (const kind of ["float64", "float32", "int64", "special"]) CALLS[`${op}_${kind}`] = kind === "float32" ? (torch as unknown as Record<string, Call>)[op]! : m(op);
}
Object.assign(CALLS, {
  reciprocal_transposed: (a: Tensor) => a.t().reciprocal(),
  isfinite: torch.isfinite, isfinite_int: torch.isfinite, signbit: torch.signbit, signbit_int: (a: Tensor) => a.signbit(),
  sgn: torch.sgn, sgn_int: (a: Tensor) => a.sgn(),
  // the primitives the activations build on (F.softplus, F.logsigmoid)
  softplus: (a: Tensor) => softplus(a), softplus_float32: (a: Tensor) => softplus(a),
  softplus_beta_threshold: (a: Tensor) => softplus(a, { beta: 2, threshold: 3 }),
  logsigmoid: logSigmoid, logsigmoid_float32: logSigmoid,
});
for (const op of ["remainder", "fmod"] as const) {
  const f = torch[op] as (a: Tensor, b: torch.TensorLike) => Tensor;
  Object.assign(CALLS, {
    [`${op}_tensor`]: f, [`${op}_broadcast_float32`]: f, [`${op}_int64`]: m(op), [`${op}_int32`]: f,
    [`${op}_scalar`]: (a: Tensor) => f(a, 1.5), [`${op}_neg_scalar`]: (a: Tensor) => a[op](-2.5),
    [`${op}_float_by_zero`]: (a: Tensor) => f(a, 0.0), [`${op}_int_by_float`]: (a: Tensor) => f(a, 2.5),
  });
}
Object.assign(CALLS, {
  floor_divide_float: torch.floorDivide, floor_divide_int64: (a: Tensor, b: Tensor) => a.floorDivide(b),
  floor_divide_scalar: (a: Tensor) => torch.floorDivide(a, 2), floor_divide_float_by_zero: (a: Tensor) => a.floorDivide(0),
  div_floor_tensor: (a: Tensor, b: Tensor) => torch.div(a, b, { roundingMode: "floor" }),
  div_trunc_tensor: (a: Tensor, b: Tensor) => a.div(b, { roundingMode: "trunc" }),
  div_trunc_scalar: (a: Tensor) => a.div(2.5, { roundingMode: "trunc" }),
  div_floor_broadcast_float32: (a: Tensor, b: Tensor) => a.div(b, { roundingMode: "floor" }),
  div_trunc_int64: (a: Tensor, b: Tensor) => torch.div(a, b, { roundingMode: "trunc" }),
  div_floor_int64: (a: Tensor, b: Tensor) => a.div(b, { roundingMode: "floor" }),
  div_floor_int_by_float: (a: Tensor) => a.div(2.5, { roundingMode: "floor" }),
  div_trunc_signed_zero: (a: Tensor) => a.div(2, { roundingMode: "trunc" }),
  div_floor_signed_zero: (a: Tensor) => a.div(2, { roundingMode: "floor" }),
  div_no_rounding: (a: Tensor, b: Tensor) => a.div(b, { roundingMode: null }),
  atan2: torch.atan2, atan2_quadrants: (a: Tensor, b: Tensor) => a.atan2(b), atan2_int: torch.atan2,
  nan_to_num: torch.nanToNum, nan_to_num_float64: (a: Tensor) => a.nanToNum(), nan_to_num_int: torch.nanToNum,
  nan_to_num_options: (a: Tensor) => torch.nanToNum(a, { nan: 2, posinf: 3.5, neginf: -1.25 }),
  lerp_scalar_small: (a: Tensor, b: Tensor) => torch.lerp(a, b, 0.3), lerp_scalar_large: (a: Tensor, b: Tensor) => a.lerp(b, 0.75),
  lerp_scalar_one: (a: Tensor, b: Tensor) => a.lerp(b, 1), lerp_tensor: torch.lerp, lerp_tensor_float32: (a: Tensor, b: Tensor, w: Tensor) => a.lerp(b, w),
  addcmul: (a: Tensor, b: Tensor, c: Tensor) => torch.addcmul(a, b, c, { value: 0.5 }), addcmul_default: torch.addcmul,
  addcmul_int: (a: Tensor, b: Tensor, c: Tensor) => a.addcmul(b, c, { value: 2 }),
  addcdiv: (a: Tensor, b: Tensor, c: Tensor) => a.addcdiv(b, c, { value: -2 }), addcdiv_float32: torch.addcdiv,
  clip: (a: Tensor) => torch.clip(a, { min: -0.5, max: 0.5 }), clip_min: (a: Tensor) => a.clip({ min: 0.1 }),
  logsumexp_all_neg1: (a: Tensor) => a.logsumexp(-1), logsumexp_large: (a: Tensor) => a.logsumexp(0),
  logsumexp_infinite_rows: (a: Tensor) => a.logsumexp(1), logsumexp_int: (a: Tensor) => torch.logsumexp(a, 1),
  logsumexp_transposed: (a: Tensor) => a.t().logsumexp(0),
  amax_dims: (a: Tensor) => torch.amax(a, [0, 2]), amax_keepdim: (a: Tensor) => a.amax(1, true),
  amax_ties: (a: Tensor) => a.amax(1), amax_ties_all: (a: Tensor) => a.amax(), amin_dims: (a: Tensor) => torch.amin(a, [-1, 0]),
  amin_ties: (a: Tensor) => a.amin(0), amax_int: (a: Tensor) => a.amax(0), amin_bool: (a: Tensor) => a.amin({ dim: 1 }),
  amax_nan: (a: Tensor) => a.amax(1),
  vector_norm_dims: (a: Tensor) => torch.linalg.vectorNorm(a, { dim: [0, 2] }),
  vector_norm_zero_rows: (a: Tensor) => torch.linalg.vectorNorm(a, { dim: 1 }),
  vector_norm_inf_ties: (a: Tensor) => torch.linalg.vectorNorm(a, { ord: Infinity, dim: 1 }),
  vector_norm_dtype: (a: Tensor) => torch.linalg.vectorNorm(a, { dtype: torch.float64 }),
  norm_default: (a: Tensor) => torch.norm(a), norm_p1: (a: Tensor) => a.norm(1), norm_dim: (a: Tensor) => a.norm({ dim: 1 }),
  norm_p3_dim_keepdim: (a: Tensor) => a.norm(3, { dim: 1, keepdim: true }), norm_inf: (a: Tensor) => a.norm(Infinity),
  norm_fro_dim: (a: Tensor) => a.norm("fro", { dim: [0, 1] }),
  var_dim: (a: Tensor) => a.var(1), var_dims_keepdim: (a: Tensor) => a.var([0, 2], true),
  var_unbiased_false: (a: Tensor) => a.var({ dim: 0, unbiased: false }),
  std_all: (a: Tensor) => a.std(), std_dim_keepdim: (a: Tensor) => a.std(1, true),
  std_unbiased_false: (a: Tensor) => a.std({ unbiased: false }), std_constant_row: (a: Tensor) => a.std(1),
  softmax_dim0: (a: Tensor) => a.softmax(0), softmax_3d_middle: (a: Tensor) => a.softmax(1),
  softmax_transposed: (a: Tensor) => a.t().softmax(-1), softmax_inf: (a: Tensor) => a.softmax(0),
  log_softmax_dim0: (a: Tensor) => a.logSoftmax(0), log_softmax_large: (a: Tensor) => a.logSoftmax(0),
});
Object.assign(CALLS, {
  floor_: (a: Tensor) => a.clone().floor_(), round_decimals_: (a: Tensor) => a.clone().round_({ decimals: 1 }),
  reciprocal_: (a: Tensor) => a.clone().reciprocal_(), clip_: (a: Tensor) => a.clone().clip_({ min: -0.5, max: 0.5 }),
  nan_to_num_: (a: Tensor) => a.clone().nanToNum_({ nan: 1 }), remainder_: (a: Tensor) => a.clone().remainder_(1.5),
  remainder_int_: (a: Tensor) => a.clone().remainder_(-3), fmod_: (a: Tensor, b: Tensor) => a.clone().fmod_(b),
  lerp_: (a: Tensor, b: Tensor) => a.clone().lerp_(b, 0.25),
  addcmul_: (a: Tensor, b: Tensor, c: Tensor) => a.clone().addcmul_(b, c, { value: 0.5 }),
  addcdiv_: (a: Tensor, b: Tensor, c: Tensor) => a.clone().addcdiv_(b, c, { value: 2 }),
});
const ORDS: [number, string][] = [[2, "2"], [1, "1"], [Infinity, "inf"], [-Infinity, "neginf"], [0, "0"], [3.5, "3_5"], [1.5, "1_5"], [0.5, "0_5"], [-1, "neg1"]];
for (const [ord, tag] of ORDS) {
  CALLS[`vector_norm_ord_${tag}`] = (a) => torch.linalg.vectorNorm(a!, { ord });
  CALLS[`vector_norm_ord_${tag}_dim_keepdim`] = (a) => torch.linalg.vectorNorm(a!, { ord, dim: 1, keepdim: true });
}

function run(c: Case): { outs: Tensor[]; leaves: Tensor[] } {
  const call = CALLS[c.name];
  assert.ok(call, `no call for ${c.name}`);
  const leaves = c.inputs.map((i) => {
    const t = decode(i.t);
    return i.requiresGrad ? t.requiresGrad_() : t;
  });
  const out = call(...leaves);
  return { outs: Array.isArray(out) ? out : [out], leaves };
}

function runCase(c: Case): void {
  const { outs, leaves } = run(c);
  c.out.forEach((e, i) => assertMatches(outs[i], e, `${c.name}: output ${i}`));
  c.gradFn.forEach((name, i) => assert.equal(outs[i]!.gradFn?.name ?? null, name, `${c.name}: grad_fn of output ${i}`));
  const terms = c.w.flatMap((w, i) => (w ? [outs[i]!.mul(decode(w)).sum()] : []));
  if (terms.length === 0) return;
  terms.reduce((p, t) => p.add(t)).backward();
  c.grads.forEach((g, i) => {
    if (g) assertMatches(leaves[i]!.grad, g, `${c.name}: grad of input ${i}`);
    else if (c.inputs[i]!.requiresGrad) assert.ok(leaves[i]!.grad === null || flat(leaves[i]!.grad!.tolist()).every((v) => v === 0), `${c.name}: PyTorch gives no grad for input ${i}`);
  });
}

for (const b of [torch.cpuBackend, torch.wasmBackend]) {
  describe(`math ops against PyTorch (${b.name} backend)`, () => {
    let previous: torch.Backend;
    before(() => { previous = torch.setBackend(b); });
    after(() => { torch.setBackend(previous); });
    for (const c of fixture.cases) test(c.name, () => runCase(c));
  });
}

const z = (...shape: number[]): Tensor => torch.zeros(shape);
const ints = (...v: number[]): Tensor => torch.tensor(v, { dtype: torch.int64 });
const bools = (...v: boolean[]): Tensor => torch.tensor(v);
/** Each entry mirrors the call of the same name in scripts/fixtures/math.py. */
const ERROR_CALLS: Record<string, () => unknown> = {
  floor_bool: () => torch.floor(bools(true)),
  round_bool: () => torch.round(bools(true)),
  frac_int: () => torch.frac(ints(1)),
  round_decimals_int: () => torch.round(ints(1), { decimals: 1 }),
  remainder_int_by_zero: () => torch.remainder(ints(5), 0),
  remainder_int_by_zero_tensor: () => torch.remainder(ints(5, 6), ints(1, 0)),
  fmod_int_by_zero: () => torch.fmod(ints(5), 0),
  floor_divide_int_by_zero: () => torch.floorDivide(ints(5), ints(0)),
  div_bad_rounding_mode: () => z(2).div(2, { roundingMode: "round" as never }),
  div_trunc_bool: () => torch.div(bools(true), bools(true), { roundingMode: "trunc" }),
  div_floor_int_by_zero: () => ints(5).div(0, { roundingMode: "floor" }),
  reciprocal_int_inplace: () => ints(1, 2).reciprocal_(),
  remainder_int_by_float_inplace: () => ints(1, 2).remainder_(1.5),
  remainder_bool: () => torch.remainder(bools(true), bools(true)),
  fmod_bool: () => torch.fmod(bools(true), bools(true)),
  lerp_int: () => torch.lerp(ints(1), ints(2), 0.5),
  lerp_end_dtype: () => torch.lerp(z(2), torch.zeros([2], { dtype: torch.float64 }), 0.5),
  lerp_weight_dtype: () => torch.lerp(z(2), z(2), torch.zeros([2], { dtype: torch.float64 })),
  addcdiv_int: () => torch.addcdiv(ints(1), ints(1), ints(1)),
  amax_empty: () => torch.amax(z(0, 3)),
  amax_empty_dim: () => torch.amax(z(0, 3), 0),
  amin_empty: () => torch.amin(z(0)),
  vector_norm_int: () => torch.linalg.vectorNorm(ints(1, 2)),
  vector_norm_inf_empty: () => torch.linalg.vectorNorm(z(0, 3), { ord: Infinity }),
  vector_norm_neginf_empty: () => torch.linalg.vectorNorm(z(0), { ord: -Infinity }),
  norm_int: () => torch.norm(ints(1, 2)),
  var_int: () => ints(1, 2).var(),
  std_int: () => ints(1, 2).std(),
  softmax_int: () => torch.tensor([[1n, 2n]]).softmax(1),
  softmax_int_dim0: () => torch.tensor([[1n, 2n]]).softmax(0),
  log_softmax_int: () => torch.tensor([[1n, 2n]]).logSoftmax(1),
  softplus_int: () => softplus(ints(1)),
};

describe("math op errors use PyTorch's words", () => {
  test("every fixture error has a call", () => {
    assert.deepEqual(fixture.errors.map((e) => e.name).filter((n) => !(n in ERROR_CALLS)), []);
  });
  for (const e of fixture.errors) {
    test(e.name, () => {
      assert.throws(ERROR_CALLS[e.name]!, (err: unknown) => {
        assert.ok(err instanceof TorchletError, `${e.name}: threw ${String(err)}`);
        assert.ok(err.message.includes(e.message), `${e.name}: message\n  ${err.message}\nshould contain PyTorch's\n  ${e.message}`);
        return true;
      });
    });
  }
});

describe("math ops keep the graph small, as PyTorch's", () => {
  test("softmax, log_softmax, var and std are one node each, over the input", () => {
    const x = torch.randn([3, 4], { requiresGrad: true });
    for (const y of [x.softmax(1), x.logSoftmax(0), x.var(1), x.std(), x.logsumexp(1), torch.linalg.vectorNorm(x)]) {
      assert.deepEqual(y.gradFn!.edges, [x], `${y.gradFn!.name} reaches the leaf directly`);
    }
  });
  test("an integer divisor of zero throws before anything is computed, also for int32", () => {
    assert.throws(() => torch.tensor([1, 2], { dtype: torch.int32 }).fmod(torch.tensor([0, 1], { dtype: torch.int32 })), /ZeroDivisionError/);
  });
});

describe("a contiguous reduction over every dim but one (a convolution's bias gradient)", () => {
  test("folds each kept cell in the index walk's order: the bits of the strided path", () => {
    const x = torch.randn(5, 7, 3, 4);
    // the same values through a strided layout take the general index walk
    const strided = x.permute(3, 2, 1, 0).contiguous().permute(3, 2, 1, 0);
    for (const dims of [[0, 2, 3], [0, 1, 3], [1, 2, 3], [0, 1, 2]]) {
      for (const op of ["sum", "max", "prod", "min"] as const) {
        const fast = torch.cpuBackend.reduce(op, x.storage.data, x.layout, dims, torch.float32);
        const walk = torch.cpuBackend.reduce(op, strided.storage.data, strided.layout, dims, torch.float32);
        assert.ok(fast.every((v, i) => Object.is(v, walk[i])), `${op} over ${dims.join(",")}`);
      }
    }
    assert.deepEqual(x.sum([0, 2, 3]).shape, [7]);
  });
});
