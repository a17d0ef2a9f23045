/**
 * torch.nn.functional against PyTorch 1.13: outputs, input gradients (full vector-Jacobian
 * products) and grad_fn names from test/fixtures/nn_functional.json, written by
 * scripts/fixtures/nn_functional.py; then PyTorch's error messages for bad targets and options.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as torch from "../src/index.ts";
import * as F from "../src/nn/functional.ts";
import * as nnCore from "../src/nn/index.ts";
import * as activation from "../src/nn/activation.ts";
import * as loss from "../src/nn/loss.ts";
import { TorchletError } from "../src/errors.ts";
import { gradcheck } from "../src/autograd/gradcheck.ts";
import type { Tensor } from "../src/index.ts";

type Value = number | string | boolean | Value[];
interface Enc { data: Value; shape: number[]; dtype: string }
type Options = Record<string, unknown> | null;
interface Case {
  name: string; op: string; tensors: Enc[]; requiresGrad: boolean[]; args: number[]; options: Options;
  seed: number | null; out: Enc; upstream: Enc | null; grads: (Enc | null)[]; gradFn: string | null;
}
interface ErrorCase { name: string; op: string; tensors: Enc[]; args: number[]; options: Options; class: string; message: string }

// the lead re-exports activation.ts and loss.ts from src/nn/index.ts; until then, assemble nn here
const nn = { ...nnCore, ...activation, ...loss };

const fixture = JSON.parse(readFileSync(new URL("./fixtures/nn_functional.json", import.meta.url), "utf8")) as {
  cases: Case[]; errors: ErrorCase[];
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

function options(o: Options): Record<string, unknown> | undefined {
  if (o === null) return undefined;
  return Object.fromEntries(Object.entries(o).map(([k, v]) => {
    const t = (v as { tensor?: Enc } | null)?.tensor;
    return [k, t ? make(t) : v];
  }));
}

type Fn = (...args: unknown[]) => Tensor;
function call(op: string, tensors: Tensor[], args: number[], o: Options): Tensor {
  const f = (F as unknown as Record<string, Fn | undefined>)[op];
  if (typeof f !== "function") throw new Error(`F.${op} is not a function`);
  const opts = options(o);
  return f(...tensors, ...args, ...(opts === undefined ? [] : [opts]));
}

function flat(v: unknown): number[] {
  return Array.isArray(v) ? v.flatMap(flat) : [Number(v)];
}

/** float64 cases agree to rounding; float32 ones to a few ulps of the largest value. */
function close(actual: Tensor, expected: Enc, what: string): void {
  assert.deepEqual([...actual.shape], expected.shape, `${what}: shape`);
  assert.equal(actual.dtype.name, expected.dtype, `${what}: dtype`);
  const a = flat(actual.tolist()), e = flat(decode(expected.data));
  const scale = Math.max(1, ...e.filter(Number.isFinite).map(Math.abs));
  const tol = expected.dtype === "float64" ? 1e-12 * scale : 1e-6 * scale;
  a.forEach((x, i) => {
    const y = e[i]!;
    if (Number.isNaN(y)) assert.ok(Number.isNaN(x), `${what}[${i}]: expected NaN, got ${x}`);
    else assert.ok(Math.abs(x - y) <= tol, `${what}[${i}]: ${x} vs PyTorch ${y} (tol ${tol})`);
  });
}

/** grad_fn names that depend on code outside nn.functional; values and gradients are still checked. */
const GRAD_FN_ELSEWHERE = new Set([
  "linear/3d", // src/ops/linalg.ts: PyTorch runs a contiguous 3-D input through addmm and a view (ViewBackward0)
]);

describe("nn.functional against PyTorch", () => {
  for (const c of fixture.cases) {
    test(c.name, () => {
      const leaves = c.tensors.map((e, i) => make(e, c.requiresGrad[i]));
      if (c.seed !== null) torch.manualSeed(c.seed);
      const out = call(c.op, leaves, c.args, c.options);
      close(out, c.out, "output");
      if (!GRAD_FN_ELSEWHERE.has(c.name)) assert.equal(out.gradFn?.name ?? null, c.gradFn, "grad_fn");
      if (!out.requiresGrad) return;
      out.backward(c.upstream === null ? null : make(c.upstream));
      c.grads.forEach((g, i) => {
        if (g === null) assert.equal(leaves[i]!.grad, null, `grad ${i} should be None`);
        else close(leaves[i]!.grad!, g, `grad ${i}`);
      });
    });
  }
});

describe("nn.functional errors", () => {
  for (const e of fixture.errors) {
    test(`${e.name}: ${e.message}`, () => {
      const tensors = e.tensors.map((t) => make(t));
      assert.throws(() => call(e.op, tensors, e.args, e.options), (err: unknown) => {
        assert.ok(err instanceof TorchletError, `expected a TorchletError, got ${String(err)}`);
        if (e.class === "ValueError" || e.class === "IndexError") assert.equal(err.name, e.class);
        assert.equal(err.message, e.message);
        return true;
      });
    });
  }
});

describe("dropout", () => {
  test("returns its input unchanged when not training", () => {
    const x = torch.rand(3, 3);
    assert.equal(F.dropout(x, { p: 0.5, training: false }), x);
  });
  test("keeps about 1 - p of the elements, scaled by 1/(1-p)", () => {
    torch.manualSeed(0);
    const y = F.dropout(torch.ones(100, 100), { p: 0.2 });
    const kept = flat(y.tolist()).filter((v) => v !== 0);
    assert.ok(Math.abs(kept.length / 10000 - 0.8) < 0.02);
    assert.ok(kept.every((v) => Math.abs(v - 1.25) < 1e-6));
  });
});

describe("activation and loss modules", () => {
  test("print as PyTorch prints them inside a Sequential", () => {
    const net = new nn.Sequential(
      new nn.Flatten(), new nn.Linear(4, 8), new nn.ReLU(), new nn.Dropout(0.2), new nn.GELU({ approximate: "tanh" }),
      new nn.Sigmoid(), new nn.Tanh(), new nn.Identity(), new nn.Softmax(1), new nn.LogSoftmax({ dim: 1 }), new nn.Softmax(),
    );
    assert.equal(net.toString(), "Sequential(\n  (0): Flatten(start_dim=1, end_dim=-1)\n  (1): Linear(in_features=4, out_features=8, bias=True)\n  (2): ReLU()\n  (3): Dropout(p=0.2, inplace=False)\n  (4): GELU(approximate='tanh')\n  (5): Sigmoid()\n  (6): Tanh()\n  (7): Identity()\n  (8): Softmax(dim=1)\n  (9): LogSoftmax(dim=1)\n  (10): Softmax(dim=None)\n)");
  });

  test("loss modules print without options and keep class weights as buffers under PyTorch's names", () => {
    const cases: [{ toString(): string; stateDict(): Map<string, Tensor> }, string, string[]][] = [
      [new nn.MSELoss(), "MSELoss()", []],
      [new nn.L1Loss({ reduction: "sum" }), "L1Loss()", []],
      [new nn.CrossEntropyLoss({ weight: torch.ones(3) }), "CrossEntropyLoss()", ["weight"]],
      [new nn.BCEWithLogitsLoss({ posWeight: torch.ones(2) }), "BCEWithLogitsLoss()", ["pos_weight"]],
      [new nn.NLLLoss(), "NLLLoss()", []],
      [new nn.Dropout(), "Dropout(p=0.5, inplace=False)", []],
      [new nn.GELU(), "GELU(approximate='none')", []],
      [new nn.Flatten(0, 2), "Flatten(start_dim=0, end_dim=2)", []],
    ];
    for (const [m, repr, keys] of cases) {
      assert.equal(m.toString(), repr);
      assert.deepEqual([...m.stateDict().keys()], keys);
    }
  });

  test("modules compute what nn.functional computes", () => {
    const x = torch.randn(3, 4), t = torch.tensor([0n, 3n, 1n]), y = torch.rand(3, 4);
    const pairs: [Tensor, Tensor][] = [
      [new nn.ReLU()(x), F.relu(x)],
      [new nn.GELU()(x), F.gelu(x)],
      [new nn.Softmax(1)(x), F.softmax(x, 1)],
      [new nn.Softmax()(x), F.softmax(x, 1)],
      [new nn.Flatten()(torch.zeros(2, 3, 4)), torch.zeros(2, 12)],
      [new nn.MSELoss({ reduction: "sum" })(x, y), F.mseLoss(x, y, { reduction: "sum" })],
      [new nn.CrossEntropyLoss({ labelSmoothing: 0.1 })(x, t), F.crossEntropy(x, t, { labelSmoothing: 0.1 })],
      [new nn.BCEWithLogitsLoss({ posWeight: torch.full([4], 2) })(x, y), F.binaryCrossEntropyWithLogits(x, y, { posWeight: torch.full([4], 2) })],
    ];
    for (const [a, b] of pairs) assert.deepEqual(a.tolist(), b.tolist());
  });

  test("MSE loss is one graph node, as in PyTorch: MseLossBackward0 -> AddmmBackward0 and None", () => {
    // PyTorch 1.13: F.mse_loss(nn.Linear(4, 1)(X), y).grad_fn.next_functions
    //   == ((<AddmmBackward0>, 0), (None, 0))
    const loss = F.mseLoss(new nn.Linear(4, 1)(torch.rand(2, 4)), torch.rand(2, 1));
    assert.equal(loss.gradFn?.name, "MseLossBackward0");
    const [input, target] = loss.gradFn!.edges;
    assert.equal((input as { name?: string } | null)?.name, "AddmmBackward0");
    assert.equal(target, null);
  });

  test("Dropout drops while training and is the identity after eval()", () => {
    const drop = new nn.Dropout(0.5), x = torch.ones(50);
    torch.manualSeed(3);
    assert.ok(flat(drop(x).tolist()).includes(0));
    drop.eval();
    assert.equal(drop(x), x);
    assert.throws(() => new nn.Dropout(1.5), /dropout probability has to be between 0 and 1, but got 1.5/);
  });
});

describe("nn.functional gradients by central differences (float64)", () => {
  const x = () => torch.randn(4, 5, { dtype: torch.float64, requiresGrad: true });
  const probsOf = () => torch.rand(4, 5, { dtype: torch.float64 }).softmax(1);
  const t = torch.tensor([1n, 0n, 4n, -100n]);
  const cases: [string, (a: Tensor) => Tensor][] = [
    ["gelu", (a) => F.gelu(a)],
    ["gelu tanh", (a) => F.gelu(a, { approximate: "tanh" })],
    ["crossEntropy with weight, ignoreIndex and label smoothing",
      (a) => F.crossEntropy(a, t, { weight: torch.rand(5, { dtype: torch.float64 }), labelSmoothing: 0.2 })],
    ["crossEntropy with probabilities", (a) => F.crossEntropy(a, probsOf(), { reduction: "sum" })],
    ["binaryCrossEntropyWithLogits with posWeight",
      (a) => F.binaryCrossEntropyWithLogits(a, torch.rand(4, 5, { dtype: torch.float64 }), { posWeight: torch.rand(5, { dtype: torch.float64 }) })],
    ["l1Loss", (a) => F.l1Loss(a, torch.zeros(4, 5, { dtype: torch.float64 }).add(0.5))],
  ];
  for (const [name, f] of cases) {
    test(name, () => {
      torch.manualSeed(5);
      const input = x();
      // reseeding before each evaluation draws the same targets and weights: one function throughout
      const g = (a: Tensor) => { torch.manualSeed(6); return f(a); };
      assert.ok(gradcheck(g, [input]));
    });
  }
});
