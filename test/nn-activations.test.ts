/**
 * nn's activations and channel-wise/alpha dropouts against PyTorch 1.13, on every backend:
 * outputs, input and PReLU-weight gradients at kinks, thresholds and large values, grad_fn names
 * (in-place forms included), same-seed dropout masks, module printing and state, error messages.
 * Data: test/fixtures/activations.json from scripts/fixtures/activations.py.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as torch from "../src/index.ts";
import * as F from "../src/nn/functional.ts";
import * as nn from "../src/nn/index.ts";
import { TorchletError } from "../src/errors.ts";
import type { Tensor } from "../src/index.ts";

type Value = number | string | boolean | Value[];
interface Enc { data: Value; shape: number[]; dtype: string }
type Options = Record<string, unknown> | null;
interface Case {
  name: string; op: string; tensors: Enc[]; args: number[]; options: Options; inplace: boolean;
  seed: number | null; out: Enc; upstream: Enc | null; grads: (Enc | null)[]; gradFn: string | null;
}
interface ErrorCase { name: string; op: string; tensors: Enc[]; args: number[]; options: Options; class: string; message: string }
interface ModuleCase { cls: string; args: number[]; options: Options; repr: string; state: Record<string, Enc> }

const fixture = JSON.parse(readFileSync(new URL("./fixtures/activations.json", import.meta.url), "utf8")) as {
  cases: Case[]; errors: ErrorCase[]; modules: ModuleCase[];
  backwardErrors: { name: string; op: string; tensors: Enc[]; options: Options; message: string }[];
};

const DTYPES: Record<string, torch.DType> = { int64: torch.int64, float32: torch.float32, float64: torch.float64 };

function decode(v: Value): unknown {
  if (Array.isArray(v)) return v.map(decode);
  if (v === "nan") return NaN;
  if (v === "inf") return Infinity;
  if (v === "-inf") return -Infinity;
  return v;
}

function make(e: Enc, requiresGrad = false): Tensor {
  return torch.tensor(decode(e.data) as never, { dtype: DTYPES[e.dtype]!, requiresGrad });
}

type Fn = (...args: unknown[]) => Tensor;
function call(op: string, tensors: Tensor[], args: number[], o: Options): Tensor {
  const f = (F as unknown as Record<string, Fn | undefined>)[op];
  if (typeof f !== "function") throw new Error(`F.${op} is not a function`);
  return f(...tensors, ...args, ...(o === null ? [] : [o]));
}

const flat = (v: unknown): number[] => (Array.isArray(v) ? v.flatMap(flat) : [Number(v)]);

/** float64 agrees to rounding; float32 to a few ulps of the largest value (PyTorch computes in float, torchlet rounds once). */
function close(actual: Tensor, expected: Enc, what: string): void {
  assert.deepEqual([...actual.shape], expected.shape, `${what}: shape`);
  assert.equal(actual.dtype.name, expected.dtype, `${what}: dtype`);
  const a = flat(actual.tolist()), e = flat(decode(expected.data));
  const scale = Math.max(1, ...e.filter(Number.isFinite).map(Math.abs));
  const tol = expected.dtype === "float64" ? 1e-13 * scale : expected.dtype === "float32" ? 4e-7 * scale : 0;
  a.forEach((x, i) => {
    const y = e[i]!;
    if (Number.isNaN(y)) assert.ok(Number.isNaN(x), `${what}[${i}]: expected NaN, got ${x}`);
    else assert.ok(Math.abs(x - y) <= tol, `${what}[${i}]: ${x} vs PyTorch ${y} (tol ${tol})`);
  });
}

function runCase(c: Case): void {
  const leaves = c.tensors.map((e) => make(e, e.dtype.startsWith("float")));
  const inputs = c.inplace ? [leaves[0]!.mul(1), ...leaves.slice(1)] : leaves;
  if (c.seed !== null) torch.manualSeed(c.seed);
  const out = call(c.op, inputs, c.args, c.options);
  if (c.inplace) assert.equal(out.storage, inputs[0]!.storage, "in place: the result shares the input's storage");
  close(out, c.out, "output");
  assert.equal(out.gradFn?.name ?? null, c.gradFn, "grad_fn");
  if (!out.requiresGrad) return;
  out.backward(c.upstream === null ? null : make(c.upstream));
  c.grads.forEach((g, i) => {
    if (g === null) assert.equal(leaves[i]!.grad, null, `grad ${i} should be None`);
    else close(leaves[i]!.grad!, g, `grad ${i}`);
  });
}

for (const b of [torch.cpuBackend, torch.wasmBackend]) {
  describe(`activations against PyTorch (${b.name} backend)`, () => {
    let previous: torch.Backend;
    before(() => { previous = torch.setBackend(b); });
    after(() => { torch.setBackend(previous); });
    for (const c of fixture.cases) test(c.name, () => runCase(c));

    test("a strided input gives what its contiguous copy gives", () => {
      const x = torch.randn(4, 5).T;
      for (const f of [F.elu, F.silu, F.mish, F.hardswish, F.gelu, (t: Tensor) => F.leakyRelu(t, 0.3)]) {
        assert.deepEqual(f(x).tolist(), f(x.contiguous()).tolist());
      }
    });
  });
}

describe("activation errors", () => {
  for (const e of fixture.errors) {
    test(`${e.name}: ${e.message}`, () => {
      const tensors = e.tensors.map((t) => make(t));
      assert.throws(() => call(e.op, tensors, e.args, e.options), (err: unknown) => {
        assert.ok(err instanceof TorchletError, `expected a TorchletError, got ${String(err)}`);
        if (e.class === "ValueError") assert.equal(err.name, e.class);
        assert.equal(err.message, e.message);
        return true;
      });
    });
  }
});

describe("in-place activations with a negative slope refuse backward, as PyTorch", () => {
  for (const e of fixture.backwardErrors) {
    test(e.name, () => {
      const x = make(e.tensors[0]!, true);
      const y = call(e.op, [x.mul(1)], [], e.options);
      assert.throws(() => y.sum().backward(), (err: unknown) => err instanceof TorchletError && err.message === e.message);
    });
  }
});

describe("activation modules", () => {
  type Ctor = new (...args: unknown[]) => torch.nn.Module;
  const build = (m: ModuleCase): torch.nn.Module => {
    if (m.cls === "Sequential") return new nn.Sequential(new nn.Linear(3, 4), new nn.PReLU(4), new nn.Hardswish(), new nn.Dropout2d(0.1));
    const C = (nn as unknown as Record<string, Ctor>)[m.cls]!;
    return new C(...m.args, ...(m.options === null ? [] : [m.options]));
  };
  for (const m of fixture.modules) {
    test(m.repr.split("\n")[0]!, () => {
      const mod = build(m);
      assert.equal(mod.toString(), m.repr);
      const state = mod.stateDict();
      if (m.cls === "Sequential") return;
      assert.deepEqual([...state.keys()], Object.keys(m.state));
      for (const [k, e] of Object.entries(m.state)) close(state.get(k)!, e, k);
    });
  }

  test("modules compute what nn.functional computes, in place when asked", () => {
    const x = torch.randn(3, 4);
    const pairs: [Tensor, Tensor][] = [
      [new nn.LeakyReLU(0.2)(x), F.leakyRelu(x, 0.2)],
      [new nn.ELU({ alpha: 0.5 })(x), F.elu(x, { alpha: 0.5 })],
      [new nn.Hardtanh(-0.5, 0.5)(x), F.hardtanh(x, { minVal: -0.5, maxVal: 0.5 })],
      [new nn.Softplus(2, 1)(x), F.softplus(x, { beta: 2, threshold: 1 })],
      [new nn.Threshold(0.1, 3)(x), F.threshold(x, 0.1, 3)],
      [new nn.Softmin(0)(x), F.softmin(x, 0)],
      [new nn.SELU()(x), F.selu(x)],
    ];
    for (const [a, b] of pairs) assert.deepEqual(a.tolist(), b.tolist());
    const y = x.clone(), r = new nn.SiLU(true)(y);
    assert.equal(r, y);
    assert.deepEqual(y.tolist(), F.silu(x).tolist());
  });

  test("the trailing-underscore functions are the in-place forms", () => {
    const x = torch.randn(8);
    const pairs: [(t: Tensor) => Tensor, (t: Tensor) => Tensor][] = [
      [F.relu_, (t) => F.relu(t)], [(t) => F.leakyRelu_(t, 0.2), (t) => F.leakyRelu(t, 0.2)], [(t) => F.elu_(t, 0.5), (t) => F.elu(t, 0.5)],
      [(t) => F.celu_(t, 2), (t) => F.celu(t, 2)], [F.selu_, (t) => F.selu(t)], [(t) => F.hardtanh_(t, -0.5, 0.5), (t) => F.hardtanh(t, -0.5, 0.5)],
      [(t) => F.threshold_(t, 0.1, 3), (t) => F.threshold(t, 0.1, 3)],
    ];
    for (const [inplace, plain] of pairs) {
      const y = x.clone();
      assert.equal(inplace(y), y);
      assert.deepEqual(y.tolist(), plain(x).tolist());
    }
  });

  test("PReLU trains its weight: the gradient reaches the Parameter named weight", () => {
    const m = new nn.PReLU(3, { init: 0.5 });
    const x = torch.tensor([[[-1, 2], [-2, -3], [4, 5]]]);
    m(x).sum().backward();
    assert.deepEqual(m.weight.grad!.tolist(), [-1, -5, 0]);
    assert.deepEqual([...m.namedParameters()].map(([k]) => k), ["weight"]);
  });

  test("the dropout modules are the identity in eval mode", () => {
    const x = torch.ones(2, 3, 4, 4);
    const cases: [torch.nn.Module, Tensor][] = [
      [new nn.Dropout1d(), torch.ones(2, 3, 4)], [new nn.Dropout2d(), x], [new nn.Dropout3d(), torch.ones(2, 3, 2, 2, 2)],
      [new nn.AlphaDropout(), x], [new nn.FeatureAlphaDropout(), x],
    ];
    for (const [m, input] of cases) {
      m.eval();
      assert.equal(m(input), input);
      m.train();
      torch.manualSeed(2);
      assert.notDeepEqual(m(input).tolist(), input.tolist());
    }
    assert.throws(() => new nn.Dropout2d(1.5), /dropout probability has to be between 0 and 1, but got 1.5/);
  });
});
