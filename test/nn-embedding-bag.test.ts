/**
 * nn.EmbeddingBag / F.embeddingBag and nn.AdaptiveMaxPool1d against PyTorch 1.13, on every
 * backend: bag sums, means and maxima (empty bags, padding, 2-D input, include_last_offset), the
 * gradients of the table and of the per-sample weights, grad_fn names, initialization, printing,
 * error messages. Data: test/fixtures/embedding_bag.json from scripts/fixtures/embedding_bag.py.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as torch from "../src/index.ts";
import * as F from "../src/nn/functional.ts";
import * as nn from "../src/nn/index.ts";
import { TorchletError } from "../src/errors.ts";
import { gradcheck } from "../src/autograd/gradcheck.ts";
import type { Tensor } from "../src/index.ts";

type Value = number | Value[];
interface Enc { data: Value; shape: number[]; dtype: string }
interface Case {
  name: string; weight: Enc; input: Enc; offsets: Enc | null; psw: Enc | null;
  options: { mode: F.EmbeddingBagMode; paddingIdx: number | null; includeLastOffset: boolean };
  out: Enc; upstream: Enc; gradWeight: Enc; gradPsw: Enc | null; gradFn: string;
}
interface ErrorCase { name: string; weight: Enc; input: Enc; offsets: Enc | null; psw: Enc | null; mode: string; class: string; message: string }

const fixture = JSON.parse(readFileSync(new URL("./fixtures/embedding_bag.json", import.meta.url), "utf8")) as {
  cases: Case[]; errors: ErrorCase[]; modules: [string, string[]][]; init: { seed: number; weight: Enc };
  pool: { input: Enc; out: Enc; indices: Enc; grad: Enc; gradFn: string };
};

const DTYPES: Record<string, torch.DType> = { int64: torch.int64, float32: torch.float32, float64: torch.float64 };
const make = (e: Enc, requiresGrad = false): Tensor => torch.tensor(e.data as never, { dtype: DTYPES[e.dtype]!, requiresGrad });
const flat = (v: unknown): number[] => (Array.isArray(v) ? v.flatMap(flat) : [Number(v)]);

function close(actual: Tensor, expected: Enc, what: string): void {
  assert.deepEqual([...actual.shape], expected.shape, `${what}: shape`);
  const a = flat(actual.tolist()), e = flat(expected.data);
  const tol = expected.dtype === "float64" ? 1e-12 : expected.dtype === "float32" ? 1e-5 : 0;
  a.forEach((x, i) => assert.ok(Math.abs(x - e[i]!) <= tol * Math.max(1, Math.abs(e[i]!)), `${what}[${i}]: ${x} vs PyTorch ${e[i]}`));
}

for (const b of [torch.cpuBackend, torch.wasmBackend]) {
  describe(`embeddingBag against PyTorch (${b.name} backend)`, () => {
    let previous: torch.Backend;
    before(() => { previous = torch.setBackend(b); });
    after(() => { torch.setBackend(previous); });
    for (const c of fixture.cases) {
      test(c.name, () => {
        const w = make(c.weight, true), psw = c.psw === null ? null : make(c.psw, true);
        const out = F.embeddingBag(make(c.input), w, { ...c.options, offsets: c.offsets === null ? null : make(c.offsets), perSampleWeights: psw });
        close(out, c.out, "output");
        assert.equal(out.gradFn?.name, c.gradFn);
        out.backward(make(c.upstream));
        close(w.grad!, c.gradWeight, "weight grad");
        if (c.gradPsw !== null) close(psw!.grad!, c.gradPsw, "per-sample weights grad");
      });
    }
    test("AdaptiveMaxPool1d: values, indices and gradient", () => {
      const p = fixture.pool, x = make(p.input, true);
      const [y, indices] = new nn.AdaptiveMaxPool1d(3, { returnIndices: true })(x) as [Tensor, Tensor];
      close(y, p.out, "output");
      assert.deepEqual(indices.tolist(), p.indices.data);
      assert.equal(y.gradFn?.name, p.gradFn);
      y.backward(torch.tensor([[[1, 2, 3]]], { dtype: torch.float64 }));
      close(x.grad!, p.grad, "grad");
    });
  });
}

describe("embeddingBag errors", () => {
  for (const e of fixture.errors) {
    test(`${e.name}: ${e.message}`, () => {
      assert.throws(() => F.embeddingBag(make(e.input), make(e.weight), {
        offsets: e.offsets === null ? null : make(e.offsets), perSampleWeights: e.psw === null ? null : make(e.psw), mode: e.mode as F.EmbeddingBagMode,
      }), (err: unknown) => {
        assert.ok(err instanceof TorchletError, `expected a TorchletError, got ${String(err)}`);
        assert.equal(err.message, e.message);
        return true;
      });
    });
  }
});

describe("EmbeddingBag module", () => {
  test("prints as PyTorch and keeps its table under `weight`", () => {
    const modules = [
      new nn.EmbeddingBag(5, 3), new nn.EmbeddingBag(5, 3, { mode: "sum", paddingIdx: 1, maxNorm: 2 }), new nn.EmbeddingBag(4, 2, { mode: "max" }),
      new nn.AdaptiveMaxPool1d(3), new nn.AdaptiveMaxPool1d(2, { returnIndices: true }),
    ];
    modules.forEach((m, i) => {
      assert.equal(m.toString(), fixture.modules[i]![0]);
      assert.deepEqual([...m.stateDict().keys()], fixture.modules[i]![1]);
    });
  });

  test("initializes N(0, 1) from the generator with the padding row zeroed, as PyTorch", () => {
    torch.manualSeed(fixture.init.seed);
    close(new nn.EmbeddingBag(5, 3, { paddingIdx: 1 }).weight, fixture.init.weight, "weight");
  });

  test("forward takes offsets and per-sample weights; gradients match central differences", () => {
    const m = new nn.EmbeddingBag(4, 2, { mode: "sum", dtype: torch.float64 });
    const idx = torch.tensor([0n, 3n, 3n, 1n, 2n]), off = torch.tensor([0n, 2n]);
    const psw = torch.rand(5, { dtype: torch.float64, requiresGrad: true });
    assert.deepEqual(m(idx, off, psw).tolist(), F.embeddingBag(idx, m.weight, { offsets: off, perSampleWeights: psw, mode: "sum" }).tolist());
    assert.ok(gradcheck((w, p) => F.embeddingBag(idx, w!, { offsets: off, perSampleWeights: p!, mode: "sum" }), [m.weight.detach().clone().requiresGrad_(), psw]));
    assert.ok(gradcheck((w) => F.embeddingBag(idx, w!, { offsets: off }), [m.weight.detach().clone().requiresGrad_()]));
  });
});
