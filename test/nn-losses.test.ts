/**
 * nn's losses and distances against PyTorch 1.13, on every backend: outputs, the gradients of
 * every input that takes one, grad_fn names, for every reduction; cross entropy and NLL over every
 * combination of class weight, ignore_index, label smoothing and probability targets; module
 * printing; error messages. Data: test/fixtures/losses.json from scripts/fixtures/losses.py.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as torch from "../src/index.ts";
import * as F from "../src/nn/functional.ts";
import * as nn from "../src/nn/index.ts";
import { gradcheck } from "../src/autograd/gradcheck.ts";
import { TorchletError } from "../src/errors.ts";
import type { Tensor } from "../src/index.ts";

type Value = number | string | boolean | Value[];
interface Enc { data: Value; shape: number[]; dtype: string }
type Options = Record<string, unknown> | null;
interface Case {
  name: string; op: string; tensors: Enc[]; requiresGrad: boolean[]; args: number[]; options: Options;
  out: Enc; upstream: Enc | null; grads: (Enc | null)[]; gradFn: string | null;
}
interface ErrorCase {
  name: string; op: string; tensors: Enc[]; requiresGrad: boolean[]; args: number[]; options: Options; class: string; message: string;
}

const fixture = JSON.parse(readFileSync(new URL("./fixtures/losses.json", import.meta.url), "utf8")) as {
  cases: Case[]; errors: ErrorCase[]; modules: [string, string, string[]][];
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

function options(o: Options): Options {
  if (o === null) return null;
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
  return f(...tensors, ...args, ...(opts === null ? [] : [opts]));
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
    else if (!Number.isFinite(y)) assert.equal(x, y, `${what}[${i}]`);
    else assert.ok(Math.abs(x - y) <= tol, `${what}[${i}]: ${x} vs PyTorch ${y} (tol ${tol})`);
  });
}

function runCase(c: Case): void {
  const leaves = c.tensors.map((e, i) => make(e, c.requiresGrad[i]));
  const out = call(c.op, leaves, c.args, c.options);
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
  describe(`losses against PyTorch (${b.name} backend)`, () => {
    let previous: torch.Backend;
    before(() => { previous = torch.setBackend(b); });
    after(() => { torch.setBackend(previous); });
    for (const c of fixture.cases) test(c.name, () => runCase(c));
  });
}

describe("loss errors", () => {
  for (const e of fixture.errors) {
    test(`${e.name}: ${e.message}`, () => {
      const tensors = e.tensors.map((t, i) => make(t, e.requiresGrad[i]));
      assert.throws(() => call(e.op, tensors, e.args, e.options), (err: unknown) => {
        assert.ok(err instanceof TorchletError, `expected a TorchletError, got ${String(err)}`);
        if (e.class === "ValueError") assert.equal(err.name, e.class);
        assert.equal(err.message, e.message);
        return true;
      });
    });
  }
});

describe("loss modules", () => {
  const modules: Record<string, () => torch.nn.Module> = {
    "BCELoss": () => new nn.BCELoss(),
    "BCELoss/weight": () => new nn.BCELoss({ weight: torch.ones(2) }),
    "KLDivLoss": () => new nn.KLDivLoss({ reduction: "batchmean" }),
    "HuberLoss": () => new nn.HuberLoss({ delta: 2 }),
    "SmoothL1Loss": () => new nn.SmoothL1Loss({ beta: 0.5 }),
    "SoftMarginLoss": () => new nn.SoftMarginLoss(),
    "CosineEmbeddingLoss": () => new nn.CosineEmbeddingLoss({ margin: 0.2 }),
    "MarginRankingLoss": () => new nn.MarginRankingLoss({ margin: 1 }),
    "CosineSimilarity": () => new nn.CosineSimilarity({ dim: 0 }),
    "PairwiseDistance": () => new nn.PairwiseDistance({ p: 1 }),
  };
  for (const [name, repr, keys] of fixture.modules) {
    test(`${name} prints ${repr} with state ${keys.join(", ") || "(none)"}`, () => {
      const m = modules[name]!();
      assert.equal(m.toString(), repr);
      assert.deepEqual([...m.stateDict().keys()], keys);
    });
  }

  test("modules compute what nn.functional computes", () => {
    const x = torch.rand(3, 4), t = torch.rand(3, 4), y = torch.tensor([1, -1, 1]);
    const pairs: [Tensor, Tensor][] = [
      [new nn.BCELoss({ reduction: "sum" })(x, t), F.binaryCrossEntropy(x, t, { reduction: "sum" })],
      [new nn.KLDivLoss({ logTarget: true })(x, t), F.klDiv(x, t, { logTarget: true })],
      [new nn.HuberLoss({ delta: 0.1 })(x, t), F.huberLoss(x, t, { delta: 0.1 })],
      [new nn.SmoothL1Loss({ beta: 0.2 })(x, t), F.smoothL1Loss(x, t, { beta: 0.2 })],
      [new nn.CosineEmbeddingLoss({ margin: 0.1 })(x, t, y), F.cosineEmbeddingLoss(x, t, y, { margin: 0.1 })],
      [new nn.MarginRankingLoss({ margin: 0.1 })(x.at(0), t.at(0), torch.ones(4)), F.marginRankingLoss(x.at(0), t.at(0), torch.ones(4), { margin: 0.1 })],
      [new nn.PairwiseDistance({ keepdim: true })(x, t), F.pairwiseDistance(x, t, { keepdim: true })],
    ];
    for (const [a, b] of pairs) assert.deepEqual(a.tolist(), b.tolist());
  });

  test("the one-node losses have central-difference gradients (float64)", () => {
    const r = (lo: number, hi: number) => torch.rand(3, 4, { dtype: torch.float64 }).mul(hi - lo).add(lo).requiresGrad_();
    const weight = torch.rand(4, { dtype: torch.float64 });
    assert.ok(gradcheck((a, b) => F.binaryCrossEntropy(a!, b!, { weight }), [r(0.1, 0.9), r(0, 1)]));
    assert.ok(gradcheck((a, b) => F.huberLoss(a!, b!, { delta: 0.5, reduction: "sum" }), [r(-2, 2), r(-2, 2)]));
    assert.ok(gradcheck((a, b) => F.smoothL1Loss(a!, b!, { beta: 0.5, reduction: "none" }), [r(-2, 2), r(-2, 2)]));
    assert.ok(gradcheck((a) => F.softMarginLoss(a!, torch.tensor([1, -1, 1, -1], { dtype: torch.float64 })), [r(-2, 2)]));
  });
  test("mse_loss in one pass gives the composition's bits (dense operands of one shape)", () => {
    torch.manualSeed(5);
    for (const dtype of [torch.float32, torch.float64]) {
      for (const reduction of ["mean", "sum"] as const) {
        for (const n of [1, 2, 7, 33]) {
          const x = torch.randn(n, { dtype }).mul(n).requiresGrad_(), y = torch.randn(n, { dtype });
          // a strided view of the same values takes the composed path (sub, mul_, sum, div)
          const strided = torch.stack([y, y], 1).select(1, 0);
          const what = `${dtype.name}, ${reduction}, ${n} elements`;
          const fused = F.mseLoss(x, y, { reduction }), composed = F.mseLoss(x, strided, { reduction });
          assert.equal(fused.gradFn!.name, "MseLossBackward0");
          assert.deepEqual(fused.tolist(), composed.tolist(), `${what}: value`);
          const upstream = torch.tensor(0.3, { dtype });
          fused.backward(upstream);
          const g1 = x.grad!.tolist();
          x.grad = null;
          composed.backward(upstream);
          assert.deepEqual(g1, x.grad!.tolist(), `${what}: input gradient`);
        }
      }
    }
  });
  test("nll_loss in one pass gives the weighted composition's bits, both PyTorch's +0 where a target is ignored", () => {
    torch.manualSeed(6);
    for (const dtype of [torch.float32, torch.float64]) {
      for (const reduction of ["mean", "sum", "none"] as const) {
        for (const [rows, ignoreIndex] of [[1, -100], [9, 2], [40, -100], [0, -100]] as const) {
          const logp = torch.randn(rows, 5, { dtype }).mul(3).logSoftmax(1).requiresGrad_();
          const target = torch.tensor(Array.from({ length: rows }, (_, i) => (i * 7) % 5), { dtype: torch.int64 });
          // class weights of 1 take the composed path (one-hot mask, where, sum, mul)
          const ones = torch.ones(5, { dtype }), what = `${dtype.name}, ${reduction}, ${rows} rows, ignore ${ignoreIndex}`;
          const fused = F.nllLoss(logp, target, { reduction, ignoreIndex }), composed = F.nllLoss(logp, target, { reduction, ignoreIndex, weight: ones });
          assert.equal(fused.gradFn!.name, "NllLossBackward0");
          const values = (t: Tensor) => Array.from(t.contiguousData() as Float32Array, (v) => (Object.is(v, -0) ? 0 : v));
          assert.deepEqual(values(fused), values(composed), `${what}: value`);
          if (reduction === "none") {
            for (const v of [...fused.contiguousData(), ...composed.contiguousData()]) assert.ok(!Object.is(v, -0), `${what}: an ignored sample's loss is +0`);
          }
          const upstream = reduction === "none" ? torch.rand(rows, { dtype }) : torch.tensor(0.3, { dtype });
          fused.backward(upstream);
          const g1 = logp.grad!;
          logp.grad = null;
          composed.backward(upstream);
          assert.deepEqual(values(g1), values(logp.grad!), `${what}: input gradient`);
          // PyTorch's gradient is zeros with the picked entries written: +0 elsewhere
          for (const v of [...g1.contiguousData(), ...logp.grad!.contiguousData()]) assert.ok(!Object.is(v, -0), `${what}: +0 off the targets`);
        }
      }
    }
    // log-probabilities read through strides (a transposed [C, N])
    const wide = torch.randn(5, 6).logSoftmax(0).requiresGrad_(), t6 = torch.tensor([4, 0, 2, 2, 1, 3], { dtype: torch.int64 });
    const fusedT = F.nllLoss(wide.T, t6), composedT = F.nllLoss(wide.T, t6, { weight: torch.ones(5) });
    assert.equal(fusedT.item(), composedT.item(), "strided input: value");
    fusedT.backward();
    const gT = wide.grad!.tolist();
    wide.grad = null;
    composedT.backward();
    assert.deepEqual(gT, wide.grad!.tolist(), "strided input: gradient");
    // a single sample of [C] log-probabilities and a 0-dim target
    const one = torch.randn(4).logSoftmax(0).requiresGrad_();
    const loss = F.nllLoss(one, torch.tensor(2, { dtype: torch.int64 }), { reduction: "none" });
    assert.deepEqual(loss.shape, []);
    loss.backward();
    assert.deepEqual(one.grad!.tolist(), [0, 0, -1, 0]);
  });
});
