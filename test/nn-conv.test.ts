/**
 * Convolution, pooling and padding against PyTorch 1.13 on both backends: functional outputs,
 * gradients of every input (full vector-Jacobian products) and grad_fn names; layers built from
 * a seed (initial parameters, outputs and gradients in train and eval mode, printing, state-dict
 * keys); PyTorch's error messages. Data: test/fixtures/conv.json (scripts/fixtures/conv.py).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as torch from "../src/index.ts";
import { nn } from "../src/index.ts";
import * as F from "../src/nn/functional.ts";
import { TorchletError } from "../src/errors.ts";
import type { Tensor } from "../src/index.ts";

type Value = number | string | boolean | null | Value[];
interface Enc { data: Value; shape: number[]; dtype: string }
type Options = Record<string, unknown> | null;
interface Case {
  name: string; op: string; tensors: Enc[]; requiresGrad: boolean[]; args: Value[]; options: Options;
  out: Enc | Enc[]; upstream: Enc | null; grads: (Enc | null)[]; gradFn: string | null;
}
interface ModuleCase {
  name: string; cls: string; args: Value[]; options: Options; seed: number; train: boolean; params: Record<string, Enc>;
  input: Enc; upstream: Enc; out: Enc | Enc[]; grads: Record<string, Enc>; gradFn: string; repr: string; keys: string[];
}
interface ErrorCase {
  name: string; op?: string; cls?: string; tensors?: { shape: number[]; dtype: string }[]; args: Value[]; options: Options;
  class: string; message: string;
}

const fixture = JSON.parse(readFileSync(new URL("./fixtures/conv.json", import.meta.url), "utf8")) as {
  cases: Case[]; modules: ModuleCase[]; errors: ErrorCase[];
};

const DTYPES: Record<string, torch.DType> = { int64: torch.int64, float32: torch.float32, float64: torch.float64 };

function decode(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(decode);
  if (v === "nan") return NaN;
  if (v === "inf") return Infinity;
  if (v === "-inf") return -Infinity;
  return v;
}

function make(e: Enc, requiresGrad = false): Tensor {
  return torch.tensor(decode(e.data) as never, { dtype: DTYPES[e.dtype]!, requiresGrad });
}

function flat(v: unknown): number[] {
  return Array.isArray(v) ? v.flatMap(flat) : [Number(v)];
}

/** float64 agrees to 1e-10 of the largest value (sums run in another order); float32 to 2e-5. */
function close(actual: Tensor, expected: Enc, what: string): void {
  assert.deepEqual([...actual.shape], expected.shape, `${what}: shape`);
  assert.equal(actual.dtype.name, expected.dtype, `${what}: dtype`);
  const a = flat(actual.tolist()), e = flat(decode(expected.data));
  const scale = Math.max(1, ...e.filter(Number.isFinite).map(Math.abs));
  const tol = expected.dtype === "int64" ? 0 : expected.dtype === "float64" ? 1e-10 * scale : 2e-5 * scale;
  a.forEach((x, i) => {
    const y = e[i]!;
    if (Number.isNaN(y)) assert.ok(Number.isNaN(x), `${what}[${i}]: expected NaN, got ${x}`);
    else assert.ok(Math.abs(x - y) <= tol, `${what}[${i}]: ${x} vs PyTorch ${y} (tol ${tol})`);
  });
}

/** Options with tensor references resolved ({"tensor": i} is tensors[i]). */
function resolve(o: Options, tensors: Tensor[]): Record<string, unknown> | undefined {
  if (o === null) return undefined;
  return Object.fromEntries(Object.entries(o).map(([k, v]) => {
    const i = (v as { tensor?: number } | null)?.tensor;
    return [k, i === undefined ? v : tensors[i]];
  }));
}

type Fn = (...args: unknown[]) => Tensor | Tensor[];
/** Runs F[op] on the positional tensors (those not passed as options), the args and the options. */
function call(op: string, tensors: Tensor[], args: Value[], o: Options): Tensor | Tensor[] {
  const f = (F as unknown as Record<string, Fn | undefined>)[op];
  if (typeof f !== "function") throw new Error(`F.${op} is not a function`);
  const named = new Set(Object.values(o ?? {}).map((v) => (v as { tensor?: number } | null)?.tensor).filter((i) => i !== undefined));
  const positional = tensors.filter((_, i) => !named.has(i));
  const opts = resolve(o, tensors);
  return f(...positional, ...args, ...(opts === undefined ? [] : [opts]));
}

function layer(c: { cls: string; args: Value[]; options: Options }): torch.nn.Module {
  const Cls = (nn as unknown as Record<string, new (...a: unknown[]) => torch.nn.Module>)[c.cls];
  assert.ok(Cls, `nn.${c.cls} exists`);
  const args = c.args.map((a) => a);
  return c.options === null ? new Cls(...args) : new Cls(...args, c.options);
}

for (const backend of [torch.cpuBackend, torch.wasmBackend]) {
  describe(`conv ops against PyTorch (${backend.name})`, () => {
    let previous: torch.Backend;
    before(() => { previous = torch.setBackend(backend); });
    after(() => { torch.setBackend(previous); });

    for (const c of fixture.cases) {
      test(c.name, () => {
        const leaves = c.tensors.map((e, i) => make(e, c.requiresGrad[i]));
        const res = call(c.op, leaves, c.args, c.options);
        const outs = Array.isArray(res) ? res : [res];
        const expected = Array.isArray(c.out) ? c.out : [c.out];
        assert.equal(outs.length, expected.length, "number of outputs");
        outs.forEach((o, i) => close(o, expected[i]!, `output ${i}`));
        assert.equal(outs[0]!.gradFn?.name ?? null, c.gradFn, "grad_fn");
        if (c.upstream === null) return;
        outs[0]!.backward(make(c.upstream));
        c.grads.forEach((g, i) => {
          if (g === null) assert.equal(leaves[i]!.grad, null, `grad ${i} should be None`);
          else close(leaves[i]!.grad!, g, `grad ${i}`);
        });
      });
    }

    for (const c of fixture.modules) {
      test(`nn.${c.name}`, () => {
        torch.manualSeed(c.seed);
        const m = layer(c);
        const params = new Map(m.namedParameters());
        assert.deepEqual([...params.keys()], Object.keys(c.params), "parameter names");
        for (const [k, e] of Object.entries(c.params)) close(params.get(k)!, e, `initial ${k}`);
        m.train(c.train);
        const x = make(c.input, true);
        const res = (m as unknown as (input: Tensor) => Tensor | Tensor[])(x);
        const outs = Array.isArray(res) ? res : [res];
        const expected = Array.isArray(c.out) ? c.out : [c.out];
        outs.forEach((o, i) => close(o, expected[i]!, `output ${i}`));
        assert.equal(outs[0]!.gradFn?.name, c.gradFn, "grad_fn");
        outs[0]!.backward(make(c.upstream));
        for (const [k, e] of Object.entries(c.grads)) close(k === "input" ? x.grad! : params.get(k)!.grad!, e, `grad of ${k}`);
        assert.equal(m.toString(), c.repr);
        assert.deepEqual([...m.stateDict().keys()], c.keys);
      });
    }
  });
}

/** Python prints a set in hash order, which changes from run to run: compare its items sorted. */
const sortSets = (s: string): string => s.replace(/\{([^{}]*)\}/g, (_, items: string) => `{${items.split(", ").sort().join(", ")}}`);

describe("conv, pooling and padding errors as PyTorch's", () => {
  for (const e of fixture.errors) {
    test(`${e.name}: ${e.message}`, () => {
      const run = e.cls !== undefined
        ? () => layer({ cls: e.cls!, args: e.args, options: e.options })
        : () => call(e.op!, e.tensors!.map((t) => torch.zeros(t.shape, { dtype: DTYPES[t.dtype]! })), e.args, e.options);
      assert.throws(run, (err: unknown) => {
        assert.ok(err instanceof TorchletError, `expected a TorchletError, got ${String(err)}`);
        if (e.class === "ValueError" || e.class === "IndexError") assert.equal(err.name, e.class);
        assert.equal(sortSets(err.message), sortSets(e.message));
        return true;
      });
    });
  }
});

describe("lazy convolutions", () => {
  for (const [Lazy, Eager, shape] of [[nn.LazyConv2d, nn.Conv2d, [2, 3, 6, 5]], [nn.LazyConv1d, nn.Conv1d, [2, 3, 7]]] as const) {
    test(`${Lazy.displayName} materializes in place and trains under an optimizer built before its first call`, () => {
      const m = new Lazy(4, 3, { padding: 1 });
      assert.equal(m.toString(), `${Lazy.displayName}(0, 4, kernel_size=${shape.length === 4 ? "(3, 3)" : "(3,)"}, stride=${shape.length === 4 ? "(1, 1)" : "(1,)"}, padding=${shape.length === 4 ? "(1, 1)" : "(1,)"})`);
      const weight: Tensor = m.weight, bias: Tensor = m.bias!;
      const lazy = (t: Tensor): boolean => t instanceof nn.UninitializedParameter;
      assert.ok(lazy(weight));
      const opt = new torch.optim.SGD([...m.parameters()], { lr: 0.1 });
      const x = torch.randn([...shape]);
      torch.manualSeed(5);
      const y = (m as unknown as (t: Tensor) => Tensor)(x);
      assert.equal(m.weight, weight, "the same Parameter object");
      assert.equal(m.bias, bias);
      assert.ok(!lazy(weight) && weight instanceof nn.Parameter);
      torch.manualSeed(5);
      const eager = new Eager(3, 4, 3, { padding: 1 });
      assert.ok(torch.equal(weight, eager.weight) && torch.equal(bias, eager.bias!), "PyTorch's initialization from the same seed");
      assert.equal(m.toString(), eager.toString());
      const before = weight.clone();
      y.square().sum().backward();
      opt.step();
      assert.ok(!torch.equal(weight, before), "the optimizer updated the materialized weight");
    });
  }

  test("loading a state dict materializes in place", () => {
    const m = new nn.LazyConv2d(2, 3, { bias: false });
    const w = m.weight;
    m.loadStateDict(new nn.Conv2d(5, 2, 3, { bias: false }).stateDict());
    assert.equal(m.weight, w);
    assert.deepEqual([...m.weight.shape], [2, 5, 3, 3]);
  });
});
