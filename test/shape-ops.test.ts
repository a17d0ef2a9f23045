/**
 * The shape family against PyTorch 1.13 (test/fixtures/shape.json, written by
 * scripts/fixtures/shape.py): values, dtypes, gradients of sum(out · w), grad_fn names and error
 * messages, on both backends. Each fixture case has one function here, the TypeScript spelling of
 * the PyTorch call the script made.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as torch from "../src/index.ts";
import { TorchletError } from "../src/errors.ts";
import type { Tensor } from "../src/index.ts";

type Value = number | string | boolean | Value[];
interface Enc { data: Value; shape: number[]; dtype: string }
interface Case { name: string; inputs: { t: Enc; rg: boolean }[]; out: Enc[]; w: (Enc | null)[]; grads: (Enc | null)[]; gradFn: (string | null)[] }
interface ErrorCase { name: string; class: string; message: string; prefix: boolean }
const fixture = JSON.parse(readFileSync(new URL("./fixtures/shape.json", import.meta.url), "utf8")) as {
  cases: Case[]; errors: ErrorCase[]; torchFunctions: string[];
};

const DTYPES: Record<string, torch.DType> = {
  bool: torch.bool, int32: torch.int32, int64: torch.int64, float32: torch.float32, float64: torch.float64,
};

function decode(v: Value): number | boolean | bigint {
  if (v === "nan") return NaN;
  if (v === "inf") return Infinity;
  if (v === "-inf") return -Infinity;
  return typeof v === "string" ? BigInt(v) : (v as number | boolean);
}
const flat = (v: unknown): unknown[] => (Array.isArray(v) ? v.flatMap(flat) : [v]);

function make(e: Enc, requiresGrad = false): Tensor {
  if (e.shape.includes(0)) return torch.zeros(e.shape, { dtype: DTYPES[e.dtype]!, requiresGrad });
  const values = flat(e.data).map((v) => decode(v as Value));
  const t = torch.tensor(values as number[], { dtype: DTYPES[e.dtype]! }).reshape(e.shape);
  return requiresGrad ? t.requiresGrad_() : t;
}

/** dtype, shape and values: ints and bools exactly, floats within tol (relative to the largest for float32). */
function assertMatches(actual: Tensor | null | undefined, expected: Enc, what: string): void {
  assert.ok(actual, `${what}: expected a tensor`);
  assert.equal(String(actual.dtype), `torch.${expected.dtype}`, `${what}: dtype`);
  assert.deepEqual([...actual.shape], expected.shape, `${what}: shape`);
  const got = flat(actual.tolist()), want = flat(expected.data).map((v) => decode(v as Value));
  const tol = expected.dtype === "float32" ? 2e-6 : 1e-10;
  const scale = expected.dtype === "float32" ? Math.max(0, ...want.filter((w) => typeof w === "number" && Number.isFinite(w)).map((w) => Math.abs(w as number))) : 0;
  want.forEach((w, i) => {
    const g = got[i];
    if (typeof w === "boolean") assert.equal(g, w, `${what}: element ${i}`);
    else if (expected.dtype.startsWith("int")) assert.equal(BigInt(g as number), BigInt(w as number), `${what}: element ${i}`);
    else {
      const a = g as number, b = w as number;
      const ok = Number.isNaN(b) ? Number.isNaN(a) : a === b || Math.abs(a - b) <= tol * (1 + Math.max(scale, Math.abs(b)));
      assert.ok(ok, `${what}: element ${i} is ${a}, PyTorch gives ${b}`);
    }
  });
}

type Fn = (...t: Tensor[]) => Tensor | Tensor[] | { values: Tensor; indices: Tensor };
const vi = (r: { values: Tensor; indices: Tensor }): Tensor[] => [r.values, r.indices];
const int64 = (v: number[]): Tensor => torch.tensor(v, { dtype: torch.int64 });

/** The TypeScript spelling of every fixture case. */
const CASES: Record<string, Fn> = {
  tril: (x) => torch.tril(x),
  tril_diag1: (x) => torch.tril(x, 1),
  tril_diag_neg2: (x) => x.tril(-2),
  triu_diag1: (x) => torch.triu(x, 1),
  triu_batched_transposed: (x) => x.transpose(1, 2).triu(-1),
  triu_big_diag: (x) => x.triu(5),
  tril_int: (x) => x.tril(),
  tril_inplace: (x) => x.clone().tril_(1),
  triu_inplace: (x) => x.mul(2).triu_(),
  tril_float32: (x) => x.tril(),

  cumsum_dim1: (x) => torch.cumsum(x, 1),
  cumsum_dim0: (x) => x.cumsum(0),
  cumsum_neg_dim_transposed: (x) => x.transpose(0, 2).cumsum(-1),
  cumsum_float32: (x) => x.cumsum(0),
  cumsum_int32: (x) => x.cumsum(1),
  cumsum_bool: (x) => x.cumsum(0),
  cumsum_dtype_float64: (x) => x.cumsum(1, { dtype: torch.float64 }),
  cumsum_int_dtype_float32: (x) => torch.cumsum(x, 0, { dtype: torch.float32 }),
  cumsum_scalar: (x) => x.cumsum(0),
  cumprod_dim1: (x) => torch.cumprod(x, 1),
  cumprod_negative: (x) => x.cumprod(2),
  cumprod_one_zero: (x) => x.cumprod(1),
  cumprod_two_zeros: (x) => x.cumprod(0),
  cumprod_zero_dim0: (x) => x.cumprod(0),
  cumprod_int: (x) => x.cumprod(1),

  flip_0: (x) => torch.flip(x, [0]),
  flip_0_2: (x) => x.flip(0, 2),
  flip_neg_transposed: (x) => x.t().flip(-1),
  fliplr: (x) => torch.fliplr(x),
  flipud: (x) => torch.flipud(x),
  flip_int: (x) => x.flip(0),
  roll_dim: (x) => torch.roll(x, 1, 1),
  roll_negative: (x) => x.roll(-5, 0),
  roll_flat: (x) => x.roll(3),
  roll_two_dims: (x) => x.roll([1, -2], [0, 2]),
  roll_zero: (x) => x.roll(4, 1),

  repeat: (x) => x.repeat(2, 1),
  repeat_new_dims: (x) => x.repeat(3, 1, 2),
  repeat_transposed: (x) => x.t().repeat(1, 2),
  repeat_zero: (x) => x.repeat(0, 1),
  tile_short: (x) => torch.tile(x, [2]),
  tile_long: (x) => x.tile(2, 1, 2),
  repeat_interleave_flat: (x) => torch.repeatInterleave(x, 2),
  repeat_interleave_dim: (x) => x.repeatInterleave(3, { dim: 1 }),
  repeat_interleave_tensor: (x) => x.repeatInterleave(int64([1, 0, 2]), { dim: 0 }),
  repeat_interleave_tensor_one: (x) => x.repeatInterleave(int64([2]), -1),
  repeat_interleave_int: (x) => x.repeatInterleave(2),
  repeat_interleave_indices: (r) => torch.repeatInterleave(r),
  repeat_interleave_scalar_tensor: (x) => x.repeatInterleave(torch.tensor(2, { dtype: torch.int64 }), { dim: 0 }),
  repeat_interleave_0d_input: (x) => x.repeatInterleave(3),

  diag_vector: (v) => torch.diag(v),
  diag_vector_offset: (v) => torch.diag(v, 2),
  diag_vector_neg: (v) => v.diag(-1),
  diag_matrix: (x) => torch.diag(x),
  diag_matrix_offset: (x) => x.diag(1),
  diag_matrix_neg_transposed: (x) => x.t().diag(-2),
  diagonal_out_of_range: (x) => x.diagonal(7),
  diagonal: (x) => torch.diagonal(x),
  diagonal_offset_dims: (x) => torch.diagonal(x, 1, 1, 2),
  diagonal_neg_dims: (x) => x.diagonal({ offset: -1, dim1: 0, dim2: -1 }),
  diag_embed: (x) => torch.diagEmbed(x),
  diag_embed_offset_dims: (x) => x.diagEmbed(1, 0, 2),
  diag_embed_neg: (x) => torch.diagEmbed(x, { offset: -2, dim1: 1, dim2: 0 }),
  trace: (x) => torch.trace(x),
  trace_int: (x) => x.trace(),
  rot90: (x) => torch.rot90(x),
  rot90_k2_dims: (x) => x.rot90(2, [2, 0]),
  rot90_k_neg: (x) => x.rot90(-1, [1, 2]),
  rot90_k4: (x) => x.rot90(4),
  movedim: (x) => torch.movedim(x, 0, 2),
  movedim_many: (x) => x.movedim([0, 3], [2, 0]),
  moveaxis: (x) => torch.moveaxis(x, -1, 0),
  swapaxes: (x) => torch.swapaxes(x, 0, 2),
  swapdims: (x) => x.swapdims(1, 2),
  unflatten: (x) => x.unflatten(1, [2, 3]),
  unflatten_infer: (x) => torch.unflatten(x, 0, [-1, 2]),
  ravel: (x) => torch.ravel(x),
  ravel_transposed: (x) => x.t().ravel(),
  broadcast_to: (x) => torch.broadcastTo(x, [2, 3, 4]),
  outer: (a, b) => torch.outer(a, b),
  outer_int: (a, b) => a.outer(b),
  meshgrid_ij: (a, b) => torch.meshgrid(a, b, { indexing: "ij" }),
  meshgrid_xy: (a, b, c) => torch.meshgrid([a, b, c], { indexing: "xy" }),

  bmm: (a, b) => torch.bmm(a, b),
  bmm_transposed: (a, b) => a.transpose(1, 2).bmm(b),
  bmm_float32: (a, b) => a.bmm(b),
  bmm_int64: (a, b) => a.bmm(b),
  mm: (a, b) => torch.mm(a, b),
  mm_int: (a, b) => a.mm(b),
  mv: (a, v) => torch.mv(a, v),
  dot: (a, b) => torch.dot(a, b),
  addmm: (i, a, b) => torch.addmm(i, a, b),
  addmm_broadcast_scaled: (i, a, b) => torch.addmm(i, a, b, { beta: 0.5, alpha: -2 }),
  addmm_beta0_nan: (i, a, b) => i.addmm(a, b, { beta: 0 }),
  baddbmm: (i, a, b) => torch.baddbmm(i, a, b),
  baddbmm_broadcast_scaled: (i, a, b) => torch.baddbmm(i, a, b, { beta: -1.5, alpha: 0.25 }),
  baddbmm_float32: (i, a, b) => i.baddbmm(a, b, { alpha: 2 }),

  einsum_mm: (a, b) => torch.einsum("ij,jk->ik", a, b),
  einsum_mm_implicit: (a, b) => torch.einsum("ij,jk", a, b),
  einsum_bmm: (a, b) => torch.einsum("bij,bjk->bik", a, b),
  einsum_attention: (q, k) => torch.einsum("bhqd,bhkd->bhqk", q, k),
  einsum_trace: (a) => torch.einsum("ii", a),
  einsum_diag: (a) => torch.einsum("ii->i", a),
  einsum_batch_diag: (a) => torch.einsum("...ii->...i", a),
  einsum_transpose: (a) => torch.einsum("ij->ji", a),
  einsum_implicit_order: (a) => torch.einsum("ba", a),
  einsum_sum: (a) => torch.einsum("ij->", a),
  einsum_rowsum: (a) => torch.einsum("ij->i", a),
  einsum_outer: (a, b) => torch.einsum("i,j->ij", a, b),
  einsum_dot: (a, b) => torch.einsum("i,i->", a, b),
  einsum_hadamard: (a, b) => torch.einsum("ij,ij->ij", a, b),
  einsum_ellipsis_matmul: (a, b) => torch.einsum("...ij,...jk", a, b),
  einsum_ellipsis_broadcast: (a, b) => torch.einsum("...ij,...jk->...ik", a, b),
  einsum_three: (a, b, c) => torch.einsum("ij,jk,kl->il", [a, b, c]),
  einsum_bilinear: (a, w, b) => torch.einsum("bn,anm,bm->ba", a, w, b),
  einsum_contract_one_side: (a, b) => torch.einsum("ij,jk->k", a, b),
  einsum_repeated_and_sum: (a) => torch.einsum("iji->j", a),
  einsum_spaces_upper: (a, b) => torch.einsum("Ab, bC -> CA", a, b),
  einsum_float32: (a, b) => torch.einsum("ik,kj->ij", a, b),

  sort_default: (x) => vi(torch.sort(x)),
  sort_dim0_desc: (x) => vi(torch.sort(x, { dim: 0, descending: true })),
  sort_transposed: (x) => vi(x.transpose(0, 2).sort(1)),
  sort_nan: (x) => vi(x.sort()),
  sort_nan_desc: (x) => vi(x.sort({ descending: true })),
  sort_int: (x) => vi(x.sort(1)),
  sort_bool: (x) => vi(x.sort({ descending: true })),
  sort_float32: (x) => vi(x.sort()),
  sort_scalar: (x) => vi(x.sort()),
  sort_ties_many: (x) => vi(x.sort()),
  sort_ties_nan: (x) => vi(x.sort({ descending: true })),
  sort_ties_dim0: (x) => vi(x.sort(0)),
  argsort: (x) => torch.argsort(x),
  msort: (x) => torch.msort(x),
  cummax: (x) => vi(torch.cummax(x, 1)),
  cummin_dim0: (x) => vi(x.cummin(0)),
  cummin_ties: (x) => vi(x.cummin(0)),
  cummax_int: (x) => vi(x.cummax(0)),
  cummax_bool: (x) => vi(x.cummax(0)),
  argsort_desc_dim0: (x) => x.argsort({ dim: 0, descending: true }),
  topk: (x) => vi(torch.topk(x, 2)),
  topk_dim0_smallest: (x) => vi(torch.topk(x, 2, { dim: 0, largest: false })),
  topk_nan: (x) => vi(x.topk(3)),
  topk_nan_smallest: (x) => vi(x.topk(3, { largest: false })),
  topk_int: (x) => vi(x.topk(3)),
  topk_zero: (x) => vi(x.topk(0)),
  topk_all: (x) => vi(x.topk(4)),
  topk_ties_dim0: (x) => vi(x.topk(3, { dim: 0 })),
};
for (const n of [16, 17, 40, 150]) {
  CASES[`sort_ties_${n}`] = (x) => vi(x.sort());
  CASES[`sort_ties_${n}_desc`] = (x) => vi(x.sort({ descending: true }));
  CASES[`sort_ties_${n}_stable`] = (x) => vi(torch.sort(x, { stable: true }));
  CASES[`sort_ties_${n}_stable_desc`] = (x) => vi(torch.sort(x, { dim: -1, descending: true, stable: true }));
}
for (const [n, k] of [[17, 5], [40, 7], [150, 2], [300, 4], [300, 40]] as const) {
  CASES[`topk_ties_${n}_${k}`] = (x) => vi(x.topk(k));
  CASES[`topk_ties_${n}_${k}_smallest`] = (x) => vi(x.topk(k, { largest: false }));
  CASES[`topk_ties_${n}_${k}_unsorted`] = (x) => vi(x.topk(k, { sorted: false }));
}

const z = (...shape: number[]): Tensor => torch.zeros(shape);
/** The TypeScript spelling of every bad call of the fixture. */
const ERRORS: Record<string, () => unknown> = {
  tril_1d: () => torch.tril(z(3)),
  triu_1d: () => z(3).triu(),
  cumsum_dim: () => z(2, 3).cumsum(2),
  flip_dup: () => z(2, 3).flip(0, 0),
  flip_dim: () => z(2, 3).flip(2),
  roll_align: () => z(2, 3).roll([1, 2], 0),
  roll_flat_shifts: () => z(2, 3).roll([1, 2]),
  repeat_fewer: () => z(2, 3).repeat(2),
  repeat_interleave_size: () => z(3).repeatInterleave(int64([1, 2])),
  repeat_interleave_negative: () => z(3).repeatInterleave(-1),
  repeat_interleave_float: () => z(3).repeatInterleave(torch.tensor([1.5, 2, 1])),
  repeat_interleave_2d: () => z(3).repeatInterleave(int64([1, 2, 1]).reshape(1, 3)),
  repeat_interleave_indices_2d: () => torch.repeatInterleave(int64([1, 2, 0]).reshape(1, 3)),
  repeat_interleave_dim: () => z(3).repeatInterleave(2, { dim: 1 }),
  diag_3d: () => torch.diag(z(2, 2, 2)),
  diagonal_same: () => z(2, 2).diagonal(0, 1, 1),
  diag_embed_same: () => torch.diagEmbed(z(2, 3), 0, 1, 1),
  trace_1d: () => torch.trace(z(3)),
  rot90_1d: () => z(3).rot90(),
  rot90_same: () => z(2, 3).rot90(1, [0, 0]),
  rot90_three_dims: () => z(2, 3).rot90(1, [0, 1, 2]),
  movedim_lengths: () => z(2, 3).movedim([0, 1], [0]),
  movedim_repeated_source: () => z(2, 3).movedim([0, 0], [0, 1]),
  movedim_repeated_destination: () => z(2, 3).movedim([0, 1], [1, 1]),
  unflatten_sizes: () => z(2, 6).unflatten(1, [2, 2]),
  unflatten_empty: () => z(2, 6).unflatten(1, []),
  mm_vector: () => torch.mm(z(3), z(3, 2)),
  mm_vector_second: () => torch.mm(z(2, 3), z(3)),
  mm_shapes: () => torch.mm(z(2, 3), z(4, 2)),
  mv_size: () => torch.mv(z(2, 3), z(4)),
  mv_dims: () => torch.mv(z(3), z(3)),
  dot_2d: () => torch.dot(z(2, 3), z(3)),
  dot_size: () => torch.dot(z(3), z(4)),
  dot_dtype: () => torch.dot(z(3), torch.zeros([3], { dtype: torch.float64 })),
  outer_2d: () => torch.outer(z(2, 2), z(2)),
  meshgrid_2d: () => torch.meshgrid(z(2, 2), z(2), { indexing: "ij" }),
  bmm_2d: () => torch.bmm(z(2, 3), z(2, 3, 4)),
  bmm_2d_second: () => torch.bmm(z(2, 2, 3), z(3, 4)),
  bmm_inner: () => torch.bmm(z(2, 2, 3), z(2, 4, 5)),
  bmm_batch: () => torch.bmm(z(2, 2, 3), z(3, 3, 5)),
  bmm_dtype: () => torch.bmm(z(2, 2, 3), torch.zeros([2, 3, 5], { dtype: torch.float64 })),
  addmm_shapes: () => torch.addmm(z(2, 5), z(2, 3), z(4, 5)),
  addmm_1d: () => torch.addmm(z(2, 5), z(3), z(3, 5)),
  addmm_input: () => torch.addmm(z(3), z(2, 3), z(3, 5)),
  baddbmm_input: () => torch.baddbmm(z(2, 3, 4), z(2, 3, 4), z(2, 4, 5)),
  sort_dim: () => z(2, 3).sort(2),
  topk_k: () => z(2, 3).topk(4),
  topk_negative_k: () => z(2, 3).topk(-1),
  topk_bool: () => torch.zeros([3], { dtype: torch.bool }).topk(1),
  einsum_no_operands: () => torch.einsum("i"),
  einsum_fewer: () => torch.einsum("i,j", z(2)),
  einsum_more: () => torch.einsum("i", z(2), z(2)),
  einsum_bad_char: () => torch.einsum("i1", z(2, 2)),
  einsum_ndim: () => torch.einsum("ijk", z(2, 2)),
  einsum_ndim_ellipsis: () => torch.einsum("ijk...", z(2, 2)),
  einsum_two_ellipses: () => torch.einsum("...i...", z(2, 2)),
  einsum_bad_dot: () => torch.einsum("i.j", z(2, 2)),
  einsum_output_twice: () => torch.einsum("ij->ii", z(2, 2)),
  einsum_output_unknown: () => torch.einsum("ij->k", z(2, 2)),
  einsum_size: () => torch.einsum("ij,jk", z(2, 3), z(4, 5)),
  einsum_repeated_size: () => torch.einsum("ii", z(2, 3)),
};

function runCase(c: Case): void {
  const f = CASES[c.name];
  assert.ok(f, `no TypeScript call for fixture case ${c.name}`);
  const leaves = c.inputs.map((i) => make(i.t, i.rg));
  const r = f(...leaves);
  const outs = r instanceof torch.Tensor ? [r] : Array.isArray(r) ? r : vi(r);
  assert.equal(outs.length, c.out.length, `${c.name}: number of outputs`);
  c.out.forEach((e, i) => assertMatches(outs[i], e, `${c.name}: output ${i}`));
  assert.deepEqual(outs.map((o) => o.gradFn?.name ?? null), c.gradFn, `${c.name}: grad_fn`);
  let loss: Tensor | null = null;
  c.w.forEach((w, i) => {
    if (!w) return;
    const term = outs[i]!.mul(make(w)).sum();
    loss = loss === null ? term : loss.add(term);
  });
  if (loss === null) return;
  (loss as Tensor).backward();
  c.grads.forEach((g, i) => {
    if (g) assertMatches(leaves[i]!.grad, g, `${c.name}: grad of input ${i}`);
    else if (c.inputs[i]!.rg) assert.equal(leaves[i]!.grad, null, `${c.name}: input ${i} gets no gradient in PyTorch`);
  });
}

for (const b of [torch.cpuBackend, torch.wasmBackend]) {
  describe(`shape ops against PyTorch (${b.name} backend)`, () => {
    let previous: torch.Backend;
    before(() => { previous = torch.setBackend(b); });
    after(() => { torch.setBackend(previous); });
    for (const c of fixture.cases) test(c.name, () => runCase(c));
  });
}

describe("shape ops: PyTorch's errors", () => {
  for (const e of fixture.errors) {
    test(e.name, () => {
      const f = ERRORS[e.name];
      assert.ok(f, `no TypeScript call for error case ${e.name}`);
      assert.throws(f, (err: unknown) => {
        assert.ok(err instanceof TorchletError, `${e.name}: ${String(err)}`);
        if (e.prefix) assert.ok(err.message.startsWith(e.message), err.message);
        else assert.equal(err.message, e.message);
        return true;
      });
    });
  }

  test("every case of the table has a fixture (no stale spelling)", () => {
    const names = new Set(fixture.cases.map((c) => c.name));
    assert.deepEqual(Object.keys(CASES).filter((n) => !names.has(n)), []);
    const errs = new Set(fixture.errors.map((e) => e.name));
    assert.deepEqual(Object.keys(ERRORS).filter((n) => !errs.has(n)), []);
  });

  test("a failing in-place tril_ changes nothing", () => {
    const x = torch.tensor([1, 2, 3]);
    assert.throws(() => x.tril_(), TorchletError);
    assert.deepEqual(x.tolist(), [1, 2, 3]);
  });
});

describe("torch.* functions for Tensor methods", () => {
  test("every Tensor method that PyTorch also has as a torch function is exported as one", () => {
    const proto = torch.Tensor.prototype as unknown as Record<string, unknown>;
    const methods = Object.getOwnPropertyNames(torch.Tensor.prototype)
      .filter((n) => typeof Object.getOwnPropertyDescriptor(torch.Tensor.prototype, n)?.value === "function" && typeof proto[n] === "function");
    const pytorch = new Set(fixture.torchFunctions);
    const missing = methods.filter((m) => pytorch.has(m) && typeof (torch as unknown as Record<string, unknown>)[m] !== "function");
    assert.deepEqual(missing, [], `export torch.${missing.join(", torch.")}`);
  });
});
