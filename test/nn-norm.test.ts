/**
 * Normalization and embedding layers against PyTorch 1.13 (scripts/fixtures/norm.py): forward values,
 * input and parameter gradients, running statistics over several steps, node names, initial
 * parameters for a seed, printing, state-dict keys and dtypes, and errors; on both backends.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as torch from "../src/index.ts";
import type { Tensor } from "../src/index.ts";

const { nn } = torch;
const F = nn.functional;
const fx = JSON.parse(readFileSync(new URL("./fixtures/norm.json", import.meta.url), "utf8"));

type Nested = number | Nested[];
const flat = (v: Nested): number[] => (Array.isArray(v) ? v.flatMap(flat) : [v]);

function close(t: Tensor, want: Nested, what: string, tol = 2e-5): void {
  const got = flat(t.tolist() as Nested), exp = flat(want);
  assert.equal(got.length, exp.length, `${what}: ${got.length} values, expected ${exp.length}`);
  got.forEach((g, i) => assert.ok(Math.abs(g - exp[i]!) <= tol * (1 + Math.abs(exp[i]!)), `${what}[${i}]: ${g} vs ${exp[i]}`));
}

interface ModuleCase {
  params0: Record<string, Nested>; repr: string; keys: string[]; dtypes: Record<string, string>;
  steps: { x: Nested; g: Nested; y: Nested; grad_fn: string; x_grad: Nested; param_grads: Record<string, Nested>; state: Record<string, Nested> }[];
}

const makers: Record<string, () => torch.nn.Module> = {
  batchnorm2d_train: () => new nn.BatchNorm2d(3),
  batchnorm2d_eval: () => new nn.BatchNorm2d(3),
  batchnorm2d_cumulative: () => new nn.BatchNorm2d(3, { momentum: null }),
  batchnorm2d_no_affine: () => new nn.BatchNorm2d(2, { affine: false, eps: 1e-3 }),
  batchnorm2d_untracked: () => new nn.BatchNorm2d(2, { trackRunningStats: false }),
  batchnorm1d_2d: () => new nn.BatchNorm1d(5, { momentum: 0.3 }),
  batchnorm1d_3d: () => new nn.BatchNorm1d(3),
  layernorm_1: () => new nn.LayerNorm(5),
  layernorm_2: () => new nn.LayerNorm([3, 4], { eps: 1e-3 }),
  layernorm_no_affine: () => new nn.LayerNorm(4, { elementwiseAffine: false }),
  groupnorm: () => new nn.GroupNorm(2, 4),
  groupnorm_4d: () => new nn.GroupNorm(3, 6, { eps: 1e-4 }),
};
const evalCases = new Set(["batchnorm2d_eval", "batchnorm2d_untracked"]);

for (const backend of [torch.cpuBackend, torch.wasmBackend]) {
  describe(`normalization layers on the ${backend.name} backend`, () => {
    for (const [name, make] of Object.entries(makers)) {
      test(name, () => {
        const prev = torch.setBackend(backend);
        try {
          const c = fx[name] as ModuleCase;
          const m = make();
          assert.equal(String(m), c.repr);
          const sd = m.stateDict();
          assert.deepEqual([...sd.keys()], c.keys);
          for (const [k, t] of sd) assert.equal(`torch.${t.dtype.name}`, c.dtypes[k], k);
          m.loadStateDict(new Map(Object.entries(c.params0).map(([k, v]) => [k, torch.tensor(v as number[], { dtype: sd.get(k)!.dtype })])));
          m.train(!evalCases.has(name));
          for (const [i, s] of c.steps.entries()) {
            for (const p of m.parameters()) p.grad = null;
            const x = torch.tensor(s.x as number[]).requiresGrad_();
            const y = m(x) as Tensor;
            assert.equal(y.gradFn?.name, s.grad_fn, `${name} step ${i}: grad_fn`);
            close(y, s.y, `${name} step ${i}: y`);
            y.backward(torch.tensor(s.g as number[]));
            close(x.grad!, s.x_grad, `${name} step ${i}: x.grad`, 1e-4);
            for (const [k, p] of m.namedParameters()) close(p.grad!, s.param_grads[k]!, `${name} step ${i}: ${k}.grad`, 1e-4);
            for (const [k, t] of m.stateDict()) close(t, s.state[k]!, `${name} step ${i}: ${k}`);
          }
        } finally {
          torch.setBackend(prev);
        }
      });
    }
  });
}

describe("Embedding", () => {
  test("initial rows for a seed, lookups with repeated indices, the padding row gets no gradient", () => {
    const c = fx.embedding;
    torch.manualSeed(0);
    const emb = new nn.Embedding(10, 3, { paddingIdx: 2 });
    close(emb.weight, c.weight0, "weight0", 1e-7);
    assert.equal(String(emb), c.repr);
    assert.deepEqual([...emb.stateDict().keys()], c.keys);
    const y = emb(torch.tensor(c.indices, { dtype: torch.int64 }));
    assert.equal(y.gradFn?.name, c.grad_fn);
    close(y, c.y, "y", 1e-7);
    y.backward(torch.tensor(c.g));
    close(emb.weight.grad!, c.grad, "grad", 1e-6);
  });
  test("maxNorm rescales the rows looked up, in place", () => {
    const c = fx.embedding_max_norm;
    torch.manualSeed(1);
    const emb = new nn.Embedding(5, 4, { maxNorm: 1 });
    close(emb.weight, c.weight0, "weight0", 1e-7);
    assert.equal(String(emb), c.repr);
    close(emb(torch.tensor(c.indices, { dtype: torch.int64 })), c.y, "y", 1e-6);
    close(emb.weight, c.weight1, "weight after", 1e-6);
  });
  test("a negative paddingIdx counts from the end; fromPretrained freezes", () => {
    torch.manualSeed(2);
    const emb = new nn.Embedding(6, 2, { paddingIdx: -1 });
    assert.equal(String(emb), fx.embedding_negative_padding.repr);
    close(emb.weight, fx.embedding_negative_padding.weight0, "weight0", 1e-7);
    const frozen = nn.Embedding.fromPretrained(torch.ones(3, 2));
    assert.equal(frozen.weight.requiresGrad, false);
    assert.deepEqual(F.embedding(torch.tensor([1n, 0n]), torch.eye(2)).tolist(), [[0, 1], [1, 0]]);
  });
});

describe("oneHot, printing, errors, old state dicts", () => {
  test("oneHot infers or takes the class count", () => {
    const y = F.oneHot(torch.tensor(fx.one_hot.x, { dtype: torch.int64 }));
    assert.equal(y.dtype, torch.int64);
    assert.deepEqual(y.tolist(), fx.one_hot.y);
    assert.deepEqual(F.oneHot(torch.tensor([0n, 3n]), { numClasses: 5 }).tolist(), fx.one_hot.y5);
  });
  test("printing matches PyTorch's", () => {
    const r = fx.reprs;
    assert.equal(String(new nn.BatchNorm2d(64)), r["BatchNorm2d(64)"]);
    assert.equal(String(new nn.BatchNorm1d(10, { eps: 1e-3, momentum: null, affine: false })), r["BatchNorm1d(10, eps=1e-3, momentum=None, affine=False)"]);
    assert.equal(String(new nn.LayerNorm([3, 4])), r["LayerNorm([3, 4])"]);
    assert.equal(String(new nn.GroupNorm(2, 6, { affine: false })), r["GroupNorm(2, 6, affine=False)"]);
  });
  test("PyTorch's errors, and a failing call changes nothing", () => {
    const e = fx.errors;
    const bn = new nn.BatchNorm1d(3);
    const cases: [() => unknown, string][] = [
      [() => new nn.BatchNorm2d(3)(torch.randn(2, 3, 4)), e.bn2d_3d],
      [() => bn(torch.randn(2, 3, 4, 4)), e.bn1d_4d],
      [() => bn(torch.randn(1, 3)), e.bn_one_value],
      [() => new nn.Embedding(3, 2)(torch.tensor([3n])), e.embedding_range],
      [() => new nn.Embedding(3, 2)(torch.tensor([-1n])), e.embedding_negative],
      [() => F.oneHot(torch.tensor([3n]), { numClasses: 2 }), e.one_hot_small],
      [() => F.oneHot(torch.tensor([-1n])), e.one_hot_negative],
      [() => new nn.Embedding(3, 2, { paddingIdx: 3 }), e.padding_idx],
      [() => new nn.GroupNorm(4, 6), e.group_divisible],
    ];
    for (const [f, message] of cases) assert.throws(f, (err: Error) => err.message === message, message);
    assert.equal(Number(bn.num_batches_tracked!.item()), 0, "the refused batch was not counted");
  });
  test("a state dict without num_batches_tracked (PyTorch before 0.4.1) loads with the count at 0", () => {
    const src = new nn.BatchNorm2d(2).stateDict();
    src.delete("num_batches_tracked");
    const m = new nn.BatchNorm2d(2);
    m.num_batches_tracked!.fill_(5);
    m.loadStateDict(src);
    assert.equal(Number(m.num_batches_tracked!.item()), fx.bn_old_state_dict.num_batches_tracked);
  });
});
