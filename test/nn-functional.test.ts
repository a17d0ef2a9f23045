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
import { TorchletError } from "../src/errors.ts";
import type { Tensor } from "../src/index.ts";

type Value = number | string | boolean | Value[];
interface Enc { data: Value; shape: number[]; dtype: string }
type Options = Record<string, unknown> | null;
interface Case {
  name: string; op: string; tensors: Enc[]; requiresGrad: boolean[]; args: number[]; options: Options;
  seed: number | null; out: Enc; upstream: Enc | null; grads: (Enc | null)[]; gradFn: string | null;
}
interface ErrorCase { name: string; op: string; tensors: Enc[]; args: number[]; options: Options; class: string; message: string }

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
