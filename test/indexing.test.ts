/**
 * Indexing with tensors against PyTorch 1.13 (test/fixtures/indexing.json, written by
 * scripts/fixtures/indexing.py): values, dtypes, grad_fn names and gradients of every case on
 * both backends, PyTorch's fuzzed out-of-range/negative/duplicate indices, and error wording.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as torch from "../src/index.ts";
import { TorchletError } from "../src/errors.ts";
import type { Tensor } from "../src/index.ts";

type Value = number | string | boolean | Value[];
interface Enc { data: Value; shape: number[]; dtype: string }
interface Case {
  name: string; inputs: (Enc & { requiresGrad: boolean })[]; out: Enc[]; w: (Enc | null)[];
  grads: (Enc | null)[]; gradFn: (string | null)[];
}
interface Fuzz { op: string; inputs: Enc[]; out?: Enc; error?: string }
interface ErrorCase { name: string; class: string; message: string }

const fixture = JSON.parse(readFileSync(new URL("./fixtures/indexing.json", import.meta.url), "utf8")) as {
  cases: Case[]; fuzz: Fuzz[]; errors: ErrorCase[];
};

const DTYPES: Record<string, torch.DType> = {
  bool: torch.bool, int32: torch.int32, int64: torch.int64, float32: torch.float32, float64: torch.float64,
};

function scalar(v: Value): number | bigint | boolean {
  if (typeof v === "string") return v === "nan" ? NaN : v === "inf" ? Infinity : v === "-inf" ? -Infinity : BigInt(v);
  return v as number | boolean;
}

function decode(v: Value, dtype: string): unknown {
  if (Array.isArray(v)) return v.map((e) => decode(e, dtype));
  const s = scalar(v);
  return dtype === "int64" && typeof s === "number" ? BigInt(s) : s;
}

function make(e: Enc, requiresGrad = false): Tensor {
  const dtype = DTYPES[e.dtype]!;
  if (e.shape.includes(0)) return torch.zeros(e.shape, { dtype, requiresGrad });
  return torch.tensor(decode(e.data, e.dtype) as never, { dtype, requiresGrad });
}

function flat(v: unknown): unknown[] {
  return Array.isArray(v) ? v.flatMap(flat) : [v];
}

function assertMatches(actual: Tensor | null | undefined, expected: Enc, what: string): void {
  assert.ok(actual, `${what}: expected a tensor`);
  assert.equal(String(actual.dtype), `torch.${expected.dtype}`, `${what}: dtype`);
  assert.deepEqual([...actual.shape], expected.shape, `${what}: shape`);
  const got = flat(actual.tolist()), want = flat(expected.data).map((x) => scalar(x as Value));
  const tol = expected.dtype === "float32" ? 1e-6 : 1e-12;
  want.forEach((w, i) => {
    const g = got[i];
    if (typeof w === "bigint" || expected.dtype.startsWith("int")) assert.equal(BigInt(g as number), BigInt(w as number), `${what}: element ${i}`);
    else if (typeof w === "boolean") assert.equal(g, w, `${what}: element ${i}`);
    else if (Number.isNaN(w)) assert.ok(Number.isNaN(g), `${what}: element ${i} is ${String(g)}, PyTorch gives NaN`);
    else assert.ok(Math.abs((g as number) - w) <= tol * (1 + Math.abs(w)), `${what}: element ${i} is ${String(g)}, PyTorch gives ${w}`);
  });
}

/** `y[...] = v` on a tracked copy, as the fixture's setitem does. */
const setAt = (x: Tensor, ...args: unknown[]): Tensor => x.mul(1).setAt(...(args as [torch.Index, torch.TensorLike]));
const long = (v: number[]): Tensor => torch.tensor(v, { dtype: torch.int64 });

/** Each entry is the call of the same name in scripts/fixtures/indexing.py, in torchlet's spelling. */
const CALLS: Record<string, (...t: Tensor[]) => Tensor | Tensor[]> = {
  index_1d_dup_negative: (x, i) => x.at(i!),
  index_2d_index: (x, i) => x.at(i!),
  index_dim1: (x, i) => x.at(":", i!),
  index_ellipsis_last: (x, i) => x.at("...", i!),
  index_adjacent_broadcast: (x, i, j) => x.at(":", i!, j!),
  index_separated_front: (x, i, j) => x.at(i!, torch.slice(), j!),
  index_int_then_tensor: (x, i) => x.at(1, ":", i!),
  index_tensor_int_separated: (x, i) => x.at(i!, ":", 0),
  index_mask_full: (x, m) => x.at(m!),
  index_mask_dim1: (x, m) => x.at(":", m!),
  index_mask_and_tensor: (x, m, i) => x.at(m!, i!),
  index_none_ellipsis_int: (x) => x.at(null, "...", 0),
  index_slice_then_tensor: (x, i) => x.at("1:", i!),
  index_step_slice_tensor: (x, i) => x.at(torch.slice(null, null, 2), i!),
  index_list: (x) => x.at([0, 2, 2]),
  index_bool_list: (x) => x.at([true, false, true]),
  index_true: (x) => x.at(true),
  index_false: (x) => x.at(false),
  index_0d_int_tensor: (x, i) => x.at(i!),
  index_empty: (x, i) => x.at(i!),
  index_transposed_input: (x, i) => x.t().at(i!),
  index_int64_values: (x, i) => x.at(i!),
  index_bool_values: (x, i) => x.at(":", i!),
  index_float32: (x, i) => x.at(i!),
  setitem_tensor_value: (x, i, v) => setAt(x!, i, v),
  setitem_broadcast_value: (x, i, v) => setAt(x!, i, v),
  setitem_scalar: (x, i) => setAt(x!, i, 1.5),
  setitem_mask_scalar: (x, m) => setAt(x!, m, -2.5),
  setitem_dim1: (x, i, v) => setAt(x!, ":", i, v),
  setitem_ellipsis_int: (x, v) => x.clone().setAt("...", 0, v!),
  index_select_dim0_dup: (x, i) => x.indexSelect(0, i!),
  index_select_dim1: (x, i) => torch.indexSelect(x!, 1, i!),
  index_select_int32: (x, i) => x.indexSelect(-1, i!),
  index_select_0d_index: (x, i) => x.indexSelect(0, i!),
  index_select_transposed: (x, i) => x.t().indexSelect(0, i!),
  index_select_3d_middle: (x, i) => x.indexSelect(1, i!),
  gather_dim1: (x, i) => x.gather(1, i!),
  gather_dim0: (x, i) => torch.gather(x!, 0, i!),
  gather_3d_smaller: (x, i) => x.gather(2, i!),
  gather_transposed: (x, i) => x.t().gather(1, i!),
  gather_0d: (x, i) => x.gather(0, i!),
  scatter_src: (x, i, s) => x.scatter(1, i!, s!),
  scatter_src_larger: (x, i, s) => x.scatter(1, i!, s!.detach()),
  scatter_src_dup: (x, i, s) => torch.scatter(x!, 0, i!, s!),
  scatter_value: (x, i) => x.scatter(1, i!, 2.5),
  scatter_reduce_add: (x, i, s) => x.detach().scatter(1, i!, s!.detach(), { reduce: "add" }),
  scatter_reduce_multiply: (x, i) => x.detach().scatter(1, i!, 3, { reduce: "multiply" }),
  scatter_inplace_tracked: (x, i, s) => x.mul(1).scatter_(1, i!, s!),
  scatter_add_dup: (x, i, s) => x.scatterAdd(1, i!, s!),
  scatter_add_src_larger: (x, i, s) => torch.scatterAdd(x!, 0, i!, s!.detach()),
  scatter_add_inplace_tracked: (x, i, s) => x.mul(1).scatterAdd_(0, i!, s!),
  scatter_int64: (x, i, s) => x.scatter(0, i!, s!),
  index_add_dup: (x, i, s) => x.indexAdd(0, i!, s!),
  index_add_alpha_dim1: (x, i, s) => torch.indexAdd(x!, 1, i!, s!, { alpha: -1.5 }),
  index_add_inplace_tracked: (x, i, s) => x.mul(1).indexAdd_(0, i!, s!),
  index_copy: (x, i, s) => x.indexCopy(1, i!, s!),
  index_fill: (x, i) => x.indexFill(1, i!, -1),
  index_put_accumulate_dup: (x, i, v) => x.indexPut([i!], v!, { accumulate: true }),
  index_put_overwrite: (x, i, v) => x.indexPut([i!], v!),
  index_put_two_indices: (x, i, j, v) => torch.indexPut(x!, [i!, j!], v!, { accumulate: true }),
  index_put_mask: (x, m, v) => x.indexPut([m!], v!),
  index_put_none_then_index: (x, i, v) => x.indexPut([null, i!], v!, { accumulate: true }),
  index_put_inplace_tracked: (x, i, v) => x.mul(1).indexPut_([i!], v!, { accumulate: true }),
  take_dup_negative: (x, i) => x.take(i!),
  take_transposed: (x, i) => torch.take(x!.t(), i!),
  put_accumulate: (x, i, s) => x.put(i!, s!, { accumulate: true }),
  put_overwrite: (x, i, s) => x.put(i!, s!),
  masked_fill_scalar: (x, m) => x.maskedFill(m!, -1),
  masked_fill_broadcast_mask: (x, m) => torch.maskedFill(x!, m!, 0.5),
  masked_fill_mask_broadcasts_self: (x, m) => x.maskedFill(m!, 2),
  masked_fill_tensor_value: (x, m, v) => x.maskedFill(m!, v!),
  masked_fill_inplace_tracked: (x, m) => x.mul(1).maskedFill_(m!, 0),
  masked_fill_int: (x, m) => x.maskedFill(m!, 7),
  masked_select: (x, m) => x.maskedSelect(m!),
  masked_select_broadcast: (x, m) => torch.maskedSelect(x!, m!),
  nonzero_2d: (x) => torch.nonzero(x!),
  nonzero_float_nan: (x) => x.nonzero(),
  nonzero_bool_3d: (x) => x.nonzero(),
  nonzero_as_tuple: (x) => torch.nonzero(x!, { asTuple: true }),
  nonzero_0d: (x) => torch.nonzero(x!),
  nonzero_0d_as_tuple: (x) => torch.nonzero(x!, { asTuple: true }),
  nonzero_empty: (x) => torch.nonzero(x!),
  argwhere: (x) => torch.argwhere(x!),
  where_cond: (x) => torch.where(x!),
};

function runCase(c: Case): void {
  const call = CALLS[c.name];
  assert.ok(call, `no call for ${c.name}`);
  const inputs = c.inputs.map((e) => make(e, e.requiresGrad));
  const result = call(...inputs);
  const outs = Array.isArray(result) ? result : [result];
  assert.equal(outs.length, c.out.length, `${c.name}: number of outputs`);
  c.out.forEach((e, i) => assertMatches(outs[i], e, `${c.name}: output ${i}`));
  c.gradFn.forEach((name, i) => assert.equal(outs[i]!.gradFn?.name ?? null, name, `${c.name}: grad_fn of output ${i}`));
  let loss: Tensor | null = null;
  c.w.forEach((w, i) => {
    if (w === null) return;
    const term = outs[i]!.mul(make(w)).sum();
    loss = loss === null ? term : loss.add(term);
  });
  if (loss === null) return;
  (loss as Tensor).backward();
  c.grads.forEach((g, i) => {
    if (g === null) assert.equal(inputs[i]!.grad, null, `${c.name}: input ${i} gets no gradient in PyTorch`);
    else assertMatches(inputs[i]!.grad, g, `${c.name}: gradient of input ${i}`);
  });
}

/** Each fuzz op as scripts/fixtures/indexing.py calls it; in-place ones return the tensor they wrote. */
const FUZZ_CALLS: Record<string, (x: Tensor, ...r: Tensor[]) => Tensor> = {
  index: (x, i) => x.at(i!),
  index_dim1: (x, i) => x.at(":", i!),
  index_select: (x, i) => x.indexSelect(1, i!),
  gather: (x, i) => x.gather(1, i!),
  scatter: (x, i, s) => x.scatter_(1, i!, s!),
  scatter_add: (x, i, s) => x.scatterAdd_(1, i!, s!),
  index_put: (x, i, v) => x.indexPut_([i!], v!),
  index_put_acc: (x, i, v) => x.indexPut_([i!], v!, { accumulate: true }),
  index_add: (x, i, s) => x.indexAdd_(0, i!, s!),
  take: (x, i) => x.take(i!),
};

for (const b of [torch.cpuBackend, torch.wasmBackend]) {
  describe(`indexing against PyTorch (${b.name} backend)`, () => {
    let previous: torch.Backend;
    before(() => { previous = torch.setBackend(b); });
    after(() => { torch.setBackend(previous); });

    describe("cases", () => {
      for (const c of fixture.cases) test(c.name, () => runCase(c));
    });

    describe("fuzzed out-of-range, negative and duplicate indices", () => {
      fixture.fuzz.forEach((f, n) => {
        test(`${n} ${f.op}${f.error ? " (error)" : ""}`, () => {
          const [x, ...rest] = f.inputs.map((e) => make(e));
          const before = x!.tolist(), version = x!._version.value;
          const call = () => FUZZ_CALLS[f.op]!(x!, ...rest);
          if (f.error !== undefined) {
            assert.throws(call, (err: unknown) => err instanceof TorchletError && err.message === f.error);
            assert.deepEqual(x!.tolist(), before, "a failing call changes nothing");
            assert.equal(x!._version.value, version);
          } else {
            assertMatches(call(), f.out!, `fuzz ${n} ${f.op}`);
          }
        });
      });
    });
  });
}

const z = (...shape: number[]): Tensor => torch.zeros(shape);
const i32 = (v: number[]): Tensor => torch.tensor(v, { dtype: torch.int32 });
const mask = (v: boolean[]): Tensor => torch.tensor(v);

/** Each entry is the call of the same name in scripts/fixtures/indexing.py. */
const ERROR_CALLS: Record<string, () => unknown> = {
  index_out_of_range: () => z(3, 4).at(long([5])),
  index_negative_out_of_range: () => z(3, 4).at(long([-4])),
  index_dim1_out_of_range: () => z(3, 4).at(":", long([0, 4])),
  index_second_tensor_out_of_range: () => z(5, 3, 4).at(long([0, 1]), ":", long([0, 9])),
  index_int32: () => z(3, 4).at(i32([0])),
  index_float: () => z(3, 4).at(torch.tensor([0])),
  index_mask_shape: () => z(3, 4).at(mask([true, false])),
  index_mask_2d_shape: () => z(3, 4).at(torch.ones([3, 3], { dtype: torch.bool })),
  index_too_many: () => z(3, 4).at(long([0]), long([0]), long([0])),
  index_broadcast: () => z(3, 4).at(long([0, 1]), long([0, 1, 2])),
  index_select_out_of_range: () => z(3, 4).indexSelect(0, long([3])),
  index_select_negative: () => z(3, 4).indexSelect(0, long([-1])),
  index_select_float_index: () => z(3, 4).indexSelect(0, torch.tensor([1])),
  index_select_2d_index: () => z(3, 4).indexSelect(0, torch.tensor([[1n]])),
  gather_out_of_range: () => z(3, 4).gather(1, torch.tensor([[0n, 4n]])),
  gather_negative: () => z(3, 4).gather(1, torch.tensor([[0n, -1n]])),
  gather_int32: () => z(3, 4).gather(1, torch.tensor([[0]], { dtype: torch.int32 })),
  gather_ndim: () => z(3, 4).gather(1, long([0, 1])),
  gather_size: () => z(3, 4).gather(1, torch.zeros([4, 2], { dtype: torch.int64 })),
  scatter_out_of_range: () => z(3, 4).scatter(1, torch.tensor([[0n, 4n]]), 2),
  scatter_negative: () => z(3, 4).scatter(0, torch.tensor([[-1n]]), 2),
  scatter_src_smaller: () => z(3, 4).scatter(1, torch.tensor([[0n, 1n]]), torch.ones([1, 1])),
  scatter_index_larger: () => z(3, 4).scatter(1, torch.zeros([4, 1], { dtype: torch.int64 }), torch.ones([5, 5])),
  scatter_dtype: () => z(3, 4).scatter(1, torch.tensor([[0n, 1n]]), torch.ones([1, 2], { dtype: torch.float64 })),
  scatter_reduce_name: () => z(3, 4).scatter(1, torch.tensor([[0n, 1n]]), 2, { reduce: "max" as never }),
  scatter_ndim: () => z(3).scatter_(0, torch.tensor([[1n]]), 1),
  scatter_float_index: () => z(3).scatter_(0, torch.tensor([1]), 1),
  scatter_add_out_of_range: () => z(3, 4).scatterAdd(1, torch.tensor([[0n, 9n]]), torch.ones([1, 2])),
  scatter_add_dtype: () => z(3).scatterAdd(0, long([1]), torch.ones([1], { dtype: torch.float64 })),
  index_put_out_of_range: () => z(3, 4).indexPut_([long([3])], torch.ones([4])),
  index_put_shape: () => z(3, 4).indexPut_([long([0, 2, 2])], torch.ones([2])),
  index_put_dtype: () => z(3, 4).indexPut_([long([0])], torch.ones([4], { dtype: torch.float64 })),
  index_put_float_index: () => z(3).indexPut_([torch.tensor([1])], torch.tensor(2)),
  index_add_out_of_range: () => z(3, 4).indexAdd(0, long([3]), torch.ones([1, 4])),
  index_add_count: () => z(3, 4).indexAdd(0, long([0, 1, 2]), torch.ones([2, 4])),
  index_add_slice_size: () => z(3, 4).indexAdd(0, long([0, 1, 2]), torch.ones([3, 5])),
  index_add_dtype: () => z(3).indexAdd(0, long([1, 1]), long([2, 3])),
  index_copy_out_of_range: () => z(3, 4).indexCopy(0, long([3]), torch.ones([1, 4])),
  index_fill_out_of_range: () => z(3, 4).indexFill(1, long([4]), 1),
  take_out_of_range: () => z(3, 4).take(long([0, 12])),
  take_negative_out_of_range: () => z(3, 4).take(long([-13])),
  take_int32: () => z(3, 4).take(i32([1])),
  put_out_of_range: () => z(3, 4).put_(long([12]), torch.ones([1])),
  masked_fill_value_1d: () => z(3, 4).maskedFill(mask([true, false, true, false]), torch.tensor([2])),
  masked_fill_broadcast: () => z(3, 4).maskedFill(mask([true, false, true]), 2),
  masked_fill_mask_values: () => z(3, 4).maskedFill(long([3, 0, 1, 0]), 2),
  masked_select_int_mask: () => z(3, 4).maskedSelect(long([1, 0, 1, 0])),
  scatter_into_expanded: () => z(3, 1).expand(3, 3).scatter_(1, torch.tensor([[0n]]), 1),
  scatter_reduce_backward: () => {
    const x = z(2, 3).requiresGrad_();
    x.scatter(1, torch.tensor([[0n, 1n]]), 2, { reduce: "multiply" }).sum().backward();
  },
};

describe("indexing errors use PyTorch's words", () => {
  test("every fixture error has a call", () => {
    assert.deepEqual(fixture.errors.map((e) => e.name).filter((n) => !(n in ERROR_CALLS)), []);
  });
  for (const e of fixture.errors) {
    test(e.name, () => {
      assert.throws(ERROR_CALLS[e.name]!, (err: unknown) => {
        assert.ok(err instanceof TorchletError, `${e.name}: threw ${String(err)}, not a TorchletError`);
        assert.ok(err.message.includes(e.message), `${e.name}: message\n  ${err.message}\nshould contain PyTorch's\n  ${e.message}`);
        return true;
      });
    });
  }
});

describe("a failing indexing write changes nothing", () => {
  const writes: [string, (x: Tensor) => unknown][] = [
    ["indexPut_, the bad index after good ones", (x) => x.indexPut_([long([0, 1, 7])], torch.tensor(1, { dtype: torch.float64 }))],
    ["indexPut_ accumulating", (x) => x.indexPut_([long([2, -9])], torch.ones([2, 4], { dtype: torch.float64 }), { accumulate: true })],
    ["setAt with an index tensor", (x) => x.setAt(long([0, 3]), 5)],
    ["setAt with a mask of the wrong shape", (x) => x.setAt(mask([true, false]), 5)],
    ["scatter_", (x) => x.scatter_(1, torch.tensor([[0n, 1n], [2n, 4n]]), 1)],
    ["scatterAdd_", (x) => x.scatterAdd_(0, torch.tensor([[0n, 3n]]), torch.ones([1, 2], { dtype: torch.float64 }))],
    ["indexAdd_", (x) => x.indexAdd_(0, long([0, 5]), torch.ones([2, 4], { dtype: torch.float64 }))],
    ["indexCopy_", (x) => x.indexCopy_(1, long([1, 4]), torch.ones([3, 2], { dtype: torch.float64 }))],
    ["indexFill_", (x) => x.indexFill_(1, long([0, 4]), 1)],
    ["put_", (x) => x.put_(long([0, 99]), torch.ones([2], { dtype: torch.float64 }))],
    ["maskedFill_ with a 1-d value", (x) => x.maskedFill_(mask([true, false, true, false]), torch.tensor([1, 2], { dtype: torch.float64 }))],
    ["an int64 index beyond 2^31", (x) => x.indexPut_([torch.tensor([2n ** 40n])], torch.tensor(1, { dtype: torch.float64 }))],
  ];
  for (const [name, write] of writes) {
    for (const tracked of [false, true]) {
      test(`${name}${tracked ? " (tracked by autograd)" : ""}`, () => {
        const leaf = torch.arange(12, { dtype: torch.float64 }).reshape(3, 4).requiresGrad_(tracked);
        const x = tracked ? leaf.mul(1) : leaf;
        const before = x.tolist(), version = x._version.value, gradFn = x.gradFn;
        assert.throws(() => write(x), TorchletError);
        assert.deepEqual(x.tolist(), before);
        assert.equal(x._version.value, version);
        assert.equal(x.gradFn, gradFn);
      });
    }
  }
  test("an int64 index beyond 2^31 is named exactly in the error", () => {
    assert.throws(() => z(3).at(torch.tensor([2n ** 40n + 1n])), { message: "index 1099511627777 is out of bounds for dimension 0 with size 3" });
  });
});

describe("indexing agrees with a plain loop on random indices", () => {
  let s = 12345;
  const rnd = (n: number): number => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s % n; };
  test("gather, scatterAdd_ and x[i, :, j] over transposed inputs", () => {
    for (let trial = 0; trial < 200; trial++) {
      const r = 1 + rnd(4), c = 1 + rnd(5), k = 1 + rnd(6);
      const x = torch.randn([c, r], { dtype: torch.float64 }).t(); // [r, c], not contiguous
      const xs = x.tolist() as number[][];
      const idx = Array.from({ length: r }, () => Array.from({ length: k }, () => rnd(2 * c + 2) - c - 1));
      const bad = idx.flat().some((v) => v < 0 || v >= c);
      const it = torch.tensor(idx, { dtype: torch.int64 });
      if (bad) { assert.throws(() => x.gather(1, it), TorchletError); continue; }
      assert.deepEqual(x.gather(1, it).tolist(), idx.map((row, i) => row.map((v) => xs[i]![v])));
      const acc = torch.zeros([r, c], { dtype: torch.float64 });
      acc.scatterAdd_(1, it, torch.ones([r, k], { dtype: torch.float64 }));
      const counts = idx.map((row) => Array.from({ length: c }, (_, j) => row.filter((v) => v === j).length));
      assert.deepEqual(acc.tolist(), counts);
      const x3 = torch.randn([r, 2, c], { dtype: torch.float64 });
      const a = Array.from({ length: k }, () => rnd(r)), b = Array.from({ length: k }, () => rnd(c) - (rnd(2) ? c : 0));
      const got = x3.at(long(a), ":", long(b)).tolist();
      const x3s = x3.tolist() as number[][][];
      assert.deepEqual(got, a.map((ai, n) => [0, 1].map((m) => x3s[ai]![m]![(b[n]! + c) % c])));
    }
  });
});
