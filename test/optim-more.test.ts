/**
 * RMSprop, Adagrad, Adamax, NAdam and RAdam against PyTorch 1.13: a fixed float32 MLP trained 10
 * steps with each configuration (test/fixtures/optim_more.json, written by
 * scripts/fixtures/optim_more.py) must follow PyTorch's parameters step by step; reprs and state
 * dicts must match, PyTorch's saved state must load and finish the run, and so must torchlet's.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as torch from "../src/index.ts";
import * as F from "../src/nn/functional.ts";
import { Adagrad, Adamax, NAdam, RAdam, RMSprop, type HyperParams, type Optimizer } from "../src/optim/index.ts";
import { ValueError } from "../src/errors.ts";
import { deserialize, serialize } from "../src/io/index.ts";
import type { Tensor } from "../src/index.ts";

type Nested = number | Nested[];
interface Enc { data: Nested; shape: number[]; dtype: string }
type Opts = Record<string, number | boolean | number[]>;
interface Config {
  name: string; optimizer: string; options: Opts;
  groups: { params: string[]; options: Opts }[] | null;
  losses: number[]; params: Record<string, Enc>[]; repr: string;
  stateDict: { state: Record<string, Record<string, Enc | number | null>>; param_groups: Record<string, unknown>[] };
  savedAfter: string;
}
const fixture = JSON.parse(readFileSync(new URL("./fixtures/optim_more.json", import.meta.url), "utf8")) as {
  init: Record<string, Enc>; X: Enc; Y: Enc; saveAfter: number; configs: Config[];
};

const make = (e: Enc, requiresGrad = false): Tensor => torch.tensor(e.data as never, { dtype: torch.float32, requiresGrad });
const flat = (v: unknown): number[] => (Array.isArray(v) ? v.flatMap(flat) : [Number(v)]);
// float32 agreement within a few ulps over 10 steps: PyTorch's kernels may fuse a multiply-add where torchlet rounds twice
const TOL = 4e-6;
const X = make(fixture.X), Y = make(fixture.Y);
const NAMES = Object.keys(fixture.init);
const CLASSES = { RMSprop, Adagrad, Adamax, NAdam, RAdam } as Record<string, unknown>;

type Params = Record<string, Tensor>;
const freshParams = (): Params => Object.fromEntries(NAMES.map((k) => [k, make(fixture.init[k]!, true)]));

function lossOf(p: Params): Tensor {
  const h = F.linear(X, p.w1!, p.b1!).tanh();
  return F.mseLoss(F.linear(h, p.w2!, p.b2!), Y);
}

const camelOptions = (o: Opts): Record<string, unknown> =>
  Object.fromEntries(Object.entries(o).map(([k, v]) => [k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()), v]));

function build(c: Config, p: Params): Optimizer<HyperParams> {
  const ctor = CLASSES[c.optimizer] as new (params: unknown, options: unknown) => Optimizer<HyperParams>;
  const params = c.groups === null
    ? NAMES.map((k) => p[k]!)
    : c.groups.map((g) => ({ params: g.params.map((k) => p[k]!), ...camelOptions(g.options) }));
  return new ctor(params, camelOptions(c.options));
}

function trainStep(opt: Optimizer<HyperParams>, p: Params): number {
  opt.zeroGrad();
  const loss = lossOf(p);
  loss.backward();
  opt.step();
  return Number(loss.item());
}

function close(actual: Tensor, expected: Enc, what: string, tol = TOL): void {
  assert.deepEqual([...actual.shape], expected.shape, `${what}: shape`);
  const a = flat(actual.tolist()), e = flat(expected.data);
  a.forEach((x, i) => {
    const y = e[i]!;
    assert.ok(Math.abs(x - y) <= tol * Math.max(1, Math.abs(y)), `${what}[${i}]: ${x} vs PyTorch ${y}`);
  });
}

/**
 * Centered RMSprop divides by sqrt(E[g²] − E[g]²), which magnifies the gradients' one-ulp
 * differences from PyTorch (tanh's values here are the correctly rounded ones, PyTorch's come from
 * its SIMD tanh): after 10 steps its parameters agree within 2.1e-6 but one momentum buffer entry
 * only within 1.5e-5 (measured), so its state is compared within 3e-5. The same holds where one
 * group of two is centered (rmsprop/groups: the other group's momentum buffer within 4.4e-6).
 */
const stateTol = (c: Config): number => (c.name === "rmsprop/momentum-centered" || c.name === "rmsprop/groups" ? 3e-5 : TOL);

function checkStateDict(opt: Optimizer<HyperParams>, c: Config): void {
  const sd = opt.stateDict();
  assert.deepEqual(sd.param_groups.map((g) => Object.keys(g).sort()), c.stateDict.param_groups.map((g) => Object.keys(g).sort()));
  sd.param_groups.forEach((g, i) => {
    for (const [k, v] of Object.entries(c.stateDict.param_groups[i]!)) assert.deepEqual(g[k], v, `param_groups[${i}].${k}`);
  });
  assert.deepEqual([...sd.state.keys()].map(String), Object.keys(c.stateDict.state));
  for (const [id, s] of sd.state) {
    const expected = c.stateDict.state[String(id)]!;
    assert.deepEqual(Object.keys(s), Object.keys(expected), `state ${id} keys`);
    for (const [k, e] of Object.entries(expected)) {
      if (e === null || typeof e === "number") assert.equal(s[k], e, `state ${id}.${k}`);
      else close(s[k] as Tensor, e, `state ${id}.${k}`, stateTol(c));
    }
  }
}

describe("more optimizers against PyTorch (10 steps of a float32 MLP)", () => {
  for (const c of fixture.configs) {
    test(c.name, () => {
      const p = freshParams();
      const opt = build(c, p);
      for (let s = 0; s < c.params.length; s++) {
        const loss = trainStep(opt, p);
        assert.ok(Math.abs(loss - c.losses[s]!) <= TOL * Math.max(1, Math.abs(c.losses[s]!)), `loss at step ${s + 1}: ${loss} vs ${c.losses[s]}`);
        for (const k of NAMES) close(p[k]!, c.params[s]![k]!, `step ${s + 1} ${k}`);
      }
      assert.equal(opt.toString(), c.repr);
      checkStateDict(opt, c);
    });
  }
});

describe("more optimizers: state dicts", () => {
  const n = fixture.saveAfter;
  for (const c of fixture.configs) {
    test(`${c.name}: PyTorch's torch.save after step ${n} loads and the run ends on PyTorch's parameters`, () => {
      const p = Object.fromEntries(NAMES.map((k) => [k, make(c.params[n - 1]![k]!, true)]));
      const opt = build(c, p);
      opt.loadStateDict(deserialize(Buffer.from(c.savedAfter, "base64")) as Map<string, unknown>);
      for (let s = n; s < c.params.length; s++) trainStep(opt, p);
      for (const k of NAMES) close(p[k]!, c.params[c.params.length - 1]![k]!, `after loading PyTorch's state ${k}`);
      checkStateDict(opt, c);
    });

    test(`${c.name}: its own state dict through torch.save bytes resumes the run`, () => {
      const p = freshParams();
      const first = build(c, p);
      for (let s = 0; s < n; s++) trainStep(first, p);
      const second = build(c, p);
      second.loadStateDict(deserialize(serialize(first.stateDict() as never)) as Map<string, unknown>);
      for (let s = n; s < c.params.length; s++) trainStep(second, p);
      for (const k of NAMES) close(p[k]!, c.params[c.params.length - 1]![k]!, `after a bytes round trip ${k}`);
    });
  }
});

describe("more optimizers: behaviour", () => {
  test("RMSprop counts steps in a number; Adagrad creates its state at construction, for added groups too", () => {
    const w = torch.zeros(2, { requiresGrad: true }), v = torch.zeros(3, { requiresGrad: true });
    const rms = new RMSprop([w]);
    w.sum().backward();
    rms.step();
    rms.step();
    assert.equal(rms.state.get(w)!.step, 2);
    const ada = new Adagrad([w], { initialAccumulatorValue: 0.5 });
    assert.deepEqual((ada.state.get(w)!.sum as Tensor).tolist(), [0.5, 0.5]);
    ada.addParamGroup({ params: [v], initialAccumulatorValue: 0.25 });
    assert.deepEqual((ada.state.get(v)!.sum as Tensor).tolist(), [0.25, 0.25, 0.25]);
    assert.equal((ada.state.get(v)!.step as Tensor).dtype, torch.float32);
  });

  test("rejects what PyTorch rejects, in PyTorch's words", () => {
    const w = torch.zeros(2, { requiresGrad: true });
    const cases: [() => unknown, string][] = [
      [() => new RMSprop([w], { alpha: -1 }), "Invalid alpha value: -1"],
      [() => new RMSprop([w], { momentum: -1 }), "Invalid momentum value: -1"],
      [() => new Adagrad([w], { lrDecay: -1 }), "Invalid lr_decay value: -1"],
      [() => new Adagrad([w], { initialAccumulatorValue: -1 }), "Invalid initial_accumulator_value value: -1"],
      [() => new Adamax([w], { betas: [1, 0.9] }), "Invalid beta parameter at index 0: 1"],
      [() => new NAdam([w], { momentumDecay: -1 }), "Invalid momentum_decay value: -1"],
      [() => new RAdam([w], { lr: -1 }), "Invalid learning rate: -1"],
    ];
    for (const [f, message] of cases) assert.throws(f, (e: unknown) => e instanceof ValueError && e.message === message, message);
  });
});
