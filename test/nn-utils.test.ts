/**
 * torch.nn.utils against PyTorch 1.13 (test/fixtures/nn_utils.json, written by
 * scripts/fixtures/nn_utils.py): clipGradNorm_ for seven norm types and three max norms (total
 * norm and clipped gradients), clipGradValue_, the non-finite error, parametersToVector and
 * vectorToParameters.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as torch from "../src/index.ts";
import { nn } from "../src/index.ts";
import { ShapeError, ValueError } from "../src/errors.ts";
import type { Tensor } from "../src/index.ts";

type Nested = number | Nested[];
interface Enc { data: Nested; shape: number[] }
const fx = JSON.parse(readFileSync(new URL("./fixtures/nn_utils.json", import.meta.url), "utf8")) as {
  params: Record<string, Enc>; grads: Record<string, Enc>;
  norm: { normType: number | string; maxNorm: number; total: number; grads: Record<string, Enc> }[];
  single: { total: number; grad: Enc }; value: { clip: number; grads: Record<string, Enc> }[];
  nonfinite: string; nanInfTotal: string; vector: number[];
};
const { clipGradNorm_, clipGradValue_, parametersToVector, vectorToParameters } = nn.utils;

const flat = (v: unknown): number[] => (Array.isArray(v) ? v.flatMap(flat) : [Number(v)]);
const num = (x: number | string): number => (x === "inf" ? Infinity : x === "-inf" ? -Infinity : Number(x));

function params(): Record<string, Tensor> {
  const ps = Object.fromEntries(Object.entries(fx.params).map(([k, e]) => [k, torch.tensor(e.data as never, { requiresGrad: true })]));
  for (const [k, g] of Object.entries(fx.grads)) ps[k]!.grad = torch.tensor(g.data as never);
  return ps;
}

/**
 * PyTorch's norm kernel accumulates with fused multiply-adds (and in vector lanes for long
 * tensors), torchlet rounds each product: the 2- and 0.5-norm totals here differ by one float32
 * ulp (measured); the other norm types and value clipping agree exactly.
 */
function close(actual: number[], expected: number[], what: string, tol = 1e-6): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  actual.forEach((a, i) => {
    const e = expected[i]!;
    assert.ok(Math.abs(a - e) <= tol * Math.max(1, Math.abs(e)), `${what}[${i}]: ${a} vs PyTorch ${e}`);
  });
}

describe("clipGradNorm_ against PyTorch", () => {
  for (const c of fx.norm) {
    test(`normType ${c.normType}, maxNorm ${c.maxNorm}`, () => {
      const ps = params();
      const total = clipGradNorm_(Object.values(ps), c.maxNorm, { normType: num(c.normType) });
      assert.equal(total.dtype, torch.float32);
      assert.deepEqual(total.shape, []);
      close([Number(total.item())], [c.total], "total norm");
      for (const [k, g] of Object.entries(c.grads)) close(flat(ps[k]!.grad!.tolist()), flat(g.data), `grad ${k}`);
      assert.equal(ps.none!.grad, null);
    });
  }

  test("a single tensor, and no gradients at all (total 0)", () => {
    const ps = params();
    close([Number(clipGradNorm_(ps.a!, 1.0).item())], [fx.single.total], "total");
    close(flat(ps.a!.grad!.tolist()), flat(fx.single.grad.data), "grad");
    assert.equal(clipGradNorm_([ps.none!], 1.0).item(), 0);
  });

  test("a non-finite total norm throws PyTorch's message and changes nothing with errorIfNonfinite", () => {
    const ps = params();
    const b = ps.b!.grad!;
    b.data.narrow(0, 2, 1).fill_(Infinity);
    const before = flat(ps.a!.grad!.tolist());
    assert.throws(() => clipGradNorm_(Object.values(ps), 1.0, { errorIfNonfinite: true }), (e: unknown) => e instanceof ValueError && e.message === fx.nonfinite);
    assert.deepEqual(flat(ps.a!.grad!.tolist()), before);
    const qs = params();
    qs.b!.grad!.data.narrow(0, 2, 1).fill_(NaN);
    assert.equal(String(clipGradNorm_(Object.values(qs), 1.0, { normType: Infinity }).item()), fx.nanInfTotal === "nan" ? "NaN" : fx.nanInfTotal);
  });

  test("clipping does not record autograd history", () => {
    const ps = params();
    for (const p of Object.values(ps)) if (p.grad) p.grad.requiresGrad_();
    clipGradNorm_(Object.values(ps), 0.5);
    assert.equal(ps.a!.grad!.gradFn, null);
  });
});

describe("clipGradValue_ against PyTorch", () => {
  for (const c of fx.value) {
    test(`clipValue ${c.clip}`, () => {
      const ps = params();
      clipGradValue_(Object.values(ps), c.clip);
      for (const [k, g] of Object.entries(c.grads)) assert.deepEqual(flat(ps[k]!.grad!.tolist()), flat(g.data), `grad ${k}`);
    });
  }
});

describe("parametersToVector / vectorToParameters", () => {
  test("flattens in order, as PyTorch", () => {
    const ps = params();
    assert.deepEqual(flat(parametersToVector(Object.values(ps)).tolist()), fx.vector);
  });

  test("the vector is differentiable with respect to the parameters", () => {
    const ps = params();
    const v = parametersToVector(Object.values(ps));
    v.mul(2).sum().backward();
    assert.deepEqual(flat(ps.b!.grad!.tolist()), flat(fx.grads.b!.data).map((g) => Math.fround(Math.fround(g) + 2)));
  });

  test("vectorToParameters gives each parameter its slice, sharing the vector's storage", () => {
    const ps = params();
    const n = fx.vector.length;
    const vec = torch.arange(n).float();
    vectorToParameters(vec, Object.values(ps));
    assert.deepEqual(flat(ps.b!.tolist()), [12, 13, 14, 15, 16]);
    assert.deepEqual(ps.c!.shape, [2, 3, 2]);
    assert.equal(ps.a!.requiresGrad, true);
    torch.noGrad(() => vec.narrow(0, 12, 1).fill_(-1));
    assert.equal(ps.b!.at(0).item(), -1);
  });

  test("a vector too short, or not a tensor, throws and changes nothing", () => {
    const ps = params();
    const before = flat(ps.a!.tolist());
    assert.throws(() => vectorToParameters(torch.zeros(5), Object.values(ps)), ShapeError);
    assert.deepEqual(flat(ps.a!.tolist()), before);
    assert.throws(() => vectorToParameters([1, 2] as never, Object.values(ps)), (e: unknown) => e instanceof TypeError && e.message === "expected torch.Tensor, but got: Array");
  });
});
