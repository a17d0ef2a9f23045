/**
 * Every tensor op against PyTorch 1.13: forward values, result dtype and shape, and the gradient of
 * sum(out * w) for a fixed random w (a full vector-Jacobian product), from
 * test/fixtures/ops.json (written by scripts/fixtures/ops.py). Error messages come from
 * test/fixtures/ops-promotion.json.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as torch from "../src/index.ts";
import { TorchletError } from "../src/errors.ts";
import type { Tensor } from "../src/index.ts";

type Value = number | string | boolean | Value[];
interface Enc { data: Value; shape: number[]; dtype: string }
type Arg =
  | { tensor: Enc; requiresGrad: boolean; grad?: Enc | null; pre?: [string, ...unknown[]][] }
  | { scalar: number | string | boolean; type: "int" | "float" | "bool" }
  | { list: Arg[] }
  | { raw: unknown }
  | { sameAs: number };
interface Case {
  name: string; op: string; args: Arg[]; kwargs: Record<string, unknown>; out: Enc[]; w: (Enc | null)[];
  /** PyTorch's grad_fn name of each output, as printed in `grad_fn=<...>` */
  gradFn: (string | null)[];
}
interface ErrorCase { name: string; class: string; message: string }
interface InplaceCase {
  name: string; op: string; base: Enc; pre: [string, ...unknown[]][]; args: Arg[]; kwargs: Record<string, unknown>; out: Enc;
}

const fixtures = new URL("./fixtures/", import.meta.url);
const read = <T>(name: string): T => JSON.parse(readFileSync(new URL(name, fixtures), "utf8")) as T;
const { cases: small, inplace } = read<{ cases: Case[]; inplace: InplaceCase[] }>("ops.json");
const cases = [...small, ...read<{ cases: Case[] }>("ops-large.json").cases];
const errors = read<{ errors: ErrorCase[] }>("ops-promotion.json").errors;

type Method = (...args: unknown[]) => unknown;
/** Calls a Tensor method by the fixture's op name, so one table drives every case. */
function m(t: unknown, name: string, ...args: unknown[]): unknown {
  const f = (t as Record<string, Method | undefined>)[name];
  if (typeof f !== "function") throw new Error(`Tensor has no method ${name}`);
  return f.apply(t, args);
}
const fn = (name: string): Method => {
  const f = (torch as unknown as Record<string, Method | undefined>)[name];
  if (typeof f !== "function") throw new Error(`torch.${name} is not a function`);
  return f;
};

const DTYPES: Record<string, torch.DType> = {
  bool: torch.bool, int32: torch.int32, int64: torch.int64, float32: torch.float32, float64: torch.float64,
};

function decodeScalar(v: Value): number | bigint | boolean {
  if (typeof v === "string") {
    if (v === "nan") return NaN;
    if (v === "inf") return Infinity;
    if (v === "-inf") return -Infinity;
    return BigInt(v);
  }
  return v as number | boolean;
}

function hasBig(v: Value): boolean {
  return Array.isArray(v) ? v.some(hasBig) : typeof v === "string" && /^-?\d+$/.test(v);
}

/** Nested fixture data as torch.tensor input; int64 beyond 2^53 makes every element a bigint. */
function decodeNested(v: Value, big: boolean): unknown {
  if (Array.isArray(v)) return v.map((e) => decodeNested(e, big));
  const s = decodeScalar(v);
  return big && typeof s === "number" ? BigInt(s) : s;
}

function makeTensor(e: Enc, requiresGrad = false): Tensor {
  // nested lists cannot say (0, 3) from (0,)
  if (e.shape.includes(0)) return torch.zeros(e.shape, { dtype: DTYPES[e.dtype]!, requiresGrad });
  return torch.tensor(decodeNested(e.data, hasBig(e.data)) as never, { dtype: DTYPES[e.dtype]!, requiresGrad });
}

function applyPre(t: Tensor, pre: [string, ...unknown[]][] | undefined): Tensor {
  for (const [name, ...a] of pre ?? []) {
    if (name === "expand") t = m(t, "expand", ...(a[0] as number[])) as Tensor;
    else if (name === "slice") t = t.slice(...(a as [number, number, number, number]));
    else t = m(t, name, ...a) as Tensor;
  }
  return t;
}

interface Built { values: unknown[]; leaves: { leaf: Tensor; grad: Enc | null }[] }

function decodeArgs(args: Arg[]): Built {
  const built: Built = { values: [], leaves: [] };
  const seen: Tensor[] = [];
  const one = (a: Arg): unknown => {
    if ("sameAs" in a) return seen[a.sameAs];
    if ("raw" in a) return a.raw;
    if ("list" in a) return a.list.map(one);
    if ("scalar" in a) return decodeScalar(a.scalar);
    const leaf = makeTensor(a.tensor, a.requiresGrad);
    if (a.requiresGrad) built.leaves.push({ leaf, grad: a.grad ?? null });
    const view = applyPre(leaf, a.pre);
    seen.push(view);
    return view;
  };
  built.values = args.map(one);
  return built;
}

function defined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== null));
}

/** Reductions take an options object; with no options they reduce over every element. */
const reduce = (op: string) => (v: unknown[], kw: Record<string, unknown>): unknown =>
  Object.keys(kw).length === 0 ? m(v[0], op) : m(v[0], op, defined(kw));
const spreadShape = (op: string) => (v: unknown[]): unknown => {
  const shape = v[1] as number[];
  return shape.length === 0 ? m(v[0], op, []) : m(v[0], op, ...shape);
};

const OPS: Record<string, (v: unknown[], kw: Record<string, unknown>) => unknown> = {
  clamp: (v, kw) => m(v[0], "clamp", defined(kw)),
  softmax: (v, kw) => m(v[0], "softmax", kw.dim),
  logSoftmax: (v, kw) => m(v[0], "logSoftmax", kw.dim),
  where: (v) => fn("where")(...v),
  linear: (v) => torch.nn.functional.linear(...(v as [Tensor, Tensor, Tensor?])),
  to: (v) => m(v[0], "to", DTYPES[v[1] as string]),
  any: (v) => m(v[0], "any"), all: (v) => m(v[0], "all"),
  equal: (v) => torch.tensor(torch.equal(v[0] as Tensor, v[1] as Tensor)),
  allclose: (v, kw) => torch.tensor(torch.allclose(v[0] as Tensor, v[1] as Tensor, {
    ...defined({ rtol: kw.rtol, atol: kw.atol }), ...(kw.equal_nan === undefined ? {} : { equalNan: kw.equal_nan as boolean }),
  })),
  sum: reduce("sum"), mean: reduce("mean"), prod: reduce("prod"), var: reduce("var"), std: reduce("std"),
  argmax: reduce("argmax"), argmin: reduce("argmin"), max: reduce("max"), min: reduce("min"),
  T: (v) => (v[0] as Tensor).T,
  mT: (v) => (v[0] as Tensor).mT,
  view: spreadShape("view"), reshape: spreadShape("reshape"), expand: spreadShape("expand"),
  permute: (v) => m(v[0], "permute", ...(v[1] as number[])),
  cat: (v) => fn("cat")(...v), stack: (v) => fn("stack")(...v),
  slice: (v) => m(v[0], "slice", ...v.slice(1)),
  split: (v) => m(v[0], "split", ...v.slice(1)), chunk: (v) => m(v[0], "chunk", ...v.slice(1)),
};

function runOp(c: Case, values: unknown[]): Tensor[] {
  const special = OPS[c.op];
  const out = special ? special(values, c.kwargs) : m(values[0], c.op, ...values.slice(1));
  if (out instanceof torch.Tensor) return [out];
  if (Array.isArray(out)) return out as Tensor[];
  const { values: vals, indices } = out as { values: Tensor; indices: Tensor };
  return [vals, indices];
}

function flat(v: unknown): unknown[] {
  return Array.isArray(v) ? v.flatMap(flat) : [v];
}

/**
 * Asserts dtype, shape and values; ints and bools exactly, float64 within tol * (1 + |expected|).
 * float32 scales by the tensor's largest value instead: a float32 dot product is only as exact as
 * its largest terms, in PyTorch as here, so a small result of cancelling terms differs more.
 */
function assertMatches(actual: Tensor | null, expected: Enc, tol: number, what: string, signedZero = false): void {
  assert.ok(actual, `${what}: expected a tensor, got null`);
  assert.equal(String(actual.dtype), `torch.${expected.dtype}`, `${what}: dtype`);
  assert.deepEqual([...actual.shape], expected.shape, `${what}: shape`);
  const got = flat(actual.tolist());
  const want = flat(expected.data as Value).map((x) => decodeScalar(x as Value));
  assert.equal(got.length, want.length, `${what}: number of elements`);
  const finite = want.filter((w): w is number => typeof w === "number" && Number.isFinite(w));
  const scale = expected.dtype === "float32" ? Math.max(0, ...finite.map(Math.abs)) : 0;
  for (let i = 0; i < want.length; i++) {
    const [g, w] = [got[i], want[i]];
    if (typeof w === "boolean" || expected.dtype === "bool") {
      assert.equal(g, w, `${what}: element ${i}`);
    } else if (expected.dtype.startsWith("int")) {
      assert.equal(BigInt(g as number | bigint), BigInt(w as number | bigint), `${what}: element ${i}`);
    } else {
      const [a, b] = [g as number, w as number];
      const ok = Number.isNaN(b) ? Number.isNaN(a) : a === b || Math.abs(a - b) <= tol * (1 + Math.max(scale, Math.abs(b)));
      assert.ok(ok, `${what}: element ${i} is ${a}, PyTorch gives ${b}`);
      if (signedZero && a === 0 && b === 0) {
        assert.ok(Object.is(a, b), `${what}: element ${i} is ${Object.is(a, -0) ? "-0" : "0"}, PyTorch gives ${Object.is(b, -0) ? "-0" : "0"}`);
      }
    }
  }
}

const tolFor = (dtype: string): number => (dtype === "float32" ? 1e-6 : 1e-10);

function checkGradients(c: Case, built: Built, outs: Tensor[], signedZero = false): void {
  let loss: Tensor | null = null;
  c.w.forEach((w, i) => {
    if (!w) return;
    const term = outs[i]!.mul(makeTensor(w)).sum();
    loss = loss === null ? term : loss.add(term);
  });
  if (loss === null) return;
  (loss as Tensor).backward();
  built.leaves.forEach(({ leaf, grad }, i) => {
    const what = `${c.name}: grad of input ${i}`;
    if (grad === null) {
      const g = leaf.grad;
      if (g !== null) assert.ok(flat(g.tolist()).every((x) => x === 0), `${what}: PyTorch gives none`);
      return;
    }
    assertMatches(leaf.grad, grad, tolFor(grad.dtype), what, signedZero);
  });
}

function runCase(c: Case, signedZero: boolean): void {
  const built = decodeArgs(c.args);
  const outs = runOp(c, built.values);
  assert.equal(outs.length, c.out.length, `${c.name}: number of outputs`);
  c.out.forEach((e, i) => assertMatches(outs[i]!, e, tolFor(e.dtype), `${c.name}: output ${i}`, signedZero));
  checkGradients(c, built, outs, signedZero);
}

const hasFloatZero = (e: Enc | null | undefined): boolean =>
  !!e && e.dtype.startsWith("float") && flat(e.data).some((v) => v === 0);

// One suite, every backend: the TypeScript reference and the WebAssembly one give PyTorch's numbers
for (const b of [torch.cpuBackend, torch.wasmBackend]) {
  describe(`ops against PyTorch (${b.name} backend)`, () => {
    let previous: torch.Backend;
    before(() => { previous = torch.setBackend(b); });
    after(() => { torch.setBackend(previous); });
    const byOp = new Map<string, Case[]>();
    for (const c of cases) byOp.set(c.op, [...(byOp.get(c.op) ?? []), c]);
    for (const [op, list] of byOp) {
      describe(op, () => {
        for (const c of list) {
          test(c.name, () => runCase(c, false));
        }
      });
    }
  });
}

// PyTorch prints -0. and 0. differently, so a gradient of g * mask (giving -0 where g < 0) shows
// up in `print(x.grad)` where PyTorch's where(mask, g, 0) gives 0.
describe("zeros carry PyTorch's sign", () => {
  const zeroCases = cases.filter((c) =>
    c.out.some(hasFloatZero) || c.args.some((a) => "grad" in a && hasFloatZero(a.grad)));
  for (const c of zeroCases) test(c.name, () => runCase(c, true));
});

describe("in-place ops write through views into the shared storage", () => {
  for (const c of inplace) {
    test(c.name, () => {
      const base = makeTensor(c.base);
      const view = applyPre(base, c.pre);
      const args = decodeArgs(c.args).values;
      const ret = Object.keys(c.kwargs).length ? m(view, c.op, ...args, c.kwargs) : m(view, c.op, ...args);
      assert.equal(ret, view, `${c.name}: returns the tensor it changed`);
      assertMatches(base, c.out, tolFor(c.out.dtype), `${c.name}: base tensor`);
    });
  }
});

describe("the in-place kernel gives the bits of the out-of-place ops", () => {
  const cases: [string, torch.DType, (t: Tensor) => Tensor, (t: Tensor) => Tensor][] = [];
  for (const dtype of [torch.float32, torch.float64]) {
    const g = torch.randn([40, 50], { dtype }), s = torch.randn([1], { dtype });
    cases.push(
      [`${dtype} add_ alpha`, dtype, (t) => t.add_(g, { alpha: -0.01 }), (t) => t.add(g.mul(-0.01))],
      [`${dtype} sub_ alpha`, dtype, (t) => t.sub_(g, { alpha: 0.3 }), (t) => t.sub(g.mul(0.3))],
      [`${dtype} mul_ tensor`, dtype, (t) => t.mul_(g), (t) => t.mul(g)],
      [`${dtype} div_ number`, dtype, (t) => t.div_(3), (t) => t.div(3)],
      [`${dtype} add_ one-element tensor`, dtype, (t) => t.add_(s), (t) => t.add(s)],
      [`${dtype} add_ through a transposed view`, dtype, (t) => t.T.add_(g.T, { alpha: 0.7 }).T, (t) => t.add(g.mul(0.7))],
    );
  }
  for (const [name, dtype, inPlace, outOfPlace] of cases) {
    test(name, () => {
      const t = torch.randn([40, 50], { dtype });
      const expected = outOfPlace(t.clone()), version = t._version.value;
      inPlace(t);
      assert.ok(torch.equal(t, expected), `${name}: ${t} vs ${expected}`);
      assert.equal(t._version.value, version + 1);
    });
  }
  // PyTorch 1.13 refuses both (the wording is checked in test/autograd.test.ts); nothing is written
  test("operands that partly share memory with the written tensor throw; the same elements are fine", () => {
    const x = torch.tensor([1, 2, 3, 4]);
    assert.throws(() => x.narrow(0, 1, 3).add_(x.narrow(0, 0, 3)), /some elements of the input tensor and the written-to tensor refer to a single memory location/);
    assert.deepEqual(x.tolist(), [1, 2, 3, 4]);
    const y = torch.tensor([1, 2]);
    y.mul_(y);
    assert.deepEqual(y.tolist(), [1, 4]);
  });
  test("an expanded tensor is not written through (more than one element refers to one location)", () => {
    const x = torch.tensor([2]);
    assert.throws(() => x.expand(3).add_(1), /more than one element of the written-to tensor refers to a single memory location/);
    assert.deepEqual(x.tolist(), [2]);
  });
});

describe("grad_fn names match PyTorch's", () => {
  for (const c of cases.filter((k) => k.gradFn.some((n) => n !== null))) {
    test(c.name, () => {
      const outs = runOp(c, decodeArgs(c.args).values);
      c.gradFn.forEach((name, i) => {
        if (name !== null) assert.equal(outs[i]!.gradFn?.name ?? null, name, `${c.name}: grad_fn of output ${i}`);
      });
    });
  }
});

const z = (...shape: number[]): Tensor => torch.zeros(shape);
const zt = (dtype: torch.DType, ...shape: number[]): Tensor => torch.zeros(shape, { dtype });

/** Each entry mirrors the lambda of the same name in scripts/fixtures/ops.py. */
const ERROR_CALLS: Record<string, () => unknown> = {
  matmul_2d: () => z(2, 4).matmul(z(5, 8)),
  matmul_1d: () => z(3).matmul(z(4)),
  matmul_batched: () => z(2, 3, 4).matmul(z(2, 5, 3)),
  broadcast: () => z(2, 3).add(z(2, 4)),
  broadcast_3d: () => z(4, 3, 2).mul(z(5, 1)),
  sum_dim_out_of_range: () => z(2, 3).sum(2),
  softmax_dim_out_of_range: () => z(2, 3).softmax(-3),
  transpose_dim_out_of_range: () => z(2, 3).transpose(0, 2),
  unsqueeze_dim_out_of_range: () => z(2, 3).unsqueeze(3),
  view_noncontiguous: () => z(2, 3).T.view(6),
  view_bad_numel: () => z(2, 3).view(4, 2),
  reshape_bad_numel: () => z(2, 3).reshape(5),
  at_out_of_range: () => z(2, 3).at(5),
  at_too_many_indices: () => z(2, 3).at(0, 0, 0),
  cat_mismatch: () => torch.cat([z(2, 3), z(2, 4)], 0),
  stack_mismatch: () => torch.stack([z(2, 3), z(3, 2)]),
  expand_mismatch: () => z(2, 3).expand(2, 4),
  permute_wrong_len: () => z(2, 3).permute(0, 1, 2),
  narrow_out_of_range: () => z(2, 3).narrow(1, 2, 2),
  bool_sub: () => zt(torch.bool, 2).sub(zt(torch.bool, 2)),
  bool_neg: () => zt(torch.bool, 2).neg(),
  mean_int: () => zt(torch.int64, 2).mean(),
  requires_grad_int: () => torch.tensor([1n, 2n], { requiresGrad: true }),
  item_many: () => z(2).item(),
  pow_int_negative: () => torch.tensor([2n, 3n]).pow(-1),
  matmul_dtype_mismatch: () => z(2, 2).matmul(zt(torch.float64, 2, 2)),
  max_empty: () => z(0, 3).max(),
  inplace_float_into_int: () => zt(torch.int64, 2).add_(1.5),
  inplace_broadcast_self: () => z(3).add_(z(2, 3)),
  div_inplace_int: () => zt(torch.int64, 2).div_(2),
};

describe("a failing in-place call changes nothing", () => {
  test("add_ whose result cannot be cast back", () => {
    const t = torch.tensor([1n, 2n]);
    assert.throws(() => t.add_(1.5));
    assert.deepEqual(t.tolist(), [1, 2]);
    assert.equal(t._version.value, 0);
  });
  test("copy_ from a tensor that does not broadcast", () => {
    const t = torch.tensor([1, 2, 3], { dtype: torch.float64 });
    assert.throws(() => t.copy_(torch.zeros([2])));
    assert.deepEqual(t.tolist(), [1, 2, 3]);
  });
});

describe("op errors use PyTorch's words", () => {
  test("every fixture error has a call", () => {
    assert.deepEqual(errors.map((e) => e.name).filter((n) => !(n in ERROR_CALLS)), []);
  });
  for (const e of errors) {
    test(e.name, () => {
      const call = ERROR_CALLS[e.name];
      if (!call) return;
      assert.throws(call, (err: unknown) => {
        assert.ok(err instanceof TorchletError, `${e.name}: threw ${String(err)}, not a TorchletError`);
        assert.ok(e.class.split("|").includes(err.name), `${e.name}: ${err.name}, expected ${e.class}`);
        assert.ok(err.message.includes(e.message), `${e.name}: message\n  ${err.message}\nshould contain PyTorch's\n  ${e.message}`);
        return true;
      });
    });
  }
});

describe("half-precision storage dtypes convert as PyTorch's casts", () => {
  // torch.tensor([0.5, -0.5, 1/3, 65504, 70000, 1e-8, 6e-8]).half() / .bfloat16(), then .float()
  test("float32 -> float16 -> float32 rounds to nearest even and saturates to inf", () => {
    const t = torch.tensor([0.5, -0.5, 1 / 3, 65504, 70000, 1e-8, 6e-8]);
    const back = t.to(torch.float16).to(torch.float32).tolist() as number[];
    assert.deepEqual(back, [0.5, -0.5, 0.333251953125, 65504, Infinity, 0, 5.960464477539063e-8]);
  });
  test("float32 -> bfloat16 -> float32 keeps the top 16 bits, rounded to nearest even", () => {
    const t = torch.tensor([0.5, 1 / 3, 3.4e38, -1.0009765625]);
    const back = t.to(torch.bfloat16).to(torch.float32).tolist() as number[];
    assert.deepEqual(back, [0.5, 0.333984375, Infinity, -1]);
  });
  test("half to bool tests the value, not the bits", () => {
    assert.deepEqual(torch.tensor([0, 0.5, -0]).to(torch.float16).to(torch.bool).tolist(), [false, true, false]);
  });
});
