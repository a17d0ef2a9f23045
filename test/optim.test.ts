/**
 * torch.optim against PyTorch 1.13: a fixed float32 MLP trained 5 steps with each optimizer
 * configuration (test/fixtures/optim.json, written by scripts/fixtures/optim.py) must follow
 * PyTorch's parameters step by step; reprs and state dicts must match too. Then the behaviour
 * around the math: zeroGrad, groups, shared parameters, errors, state dict round trips.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as torch from "../src/index.ts";
import * as F from "../src/nn/functional.ts";
import { Adam, AdamW, SGD, type Optimizer, type HyperParams } from "../src/optim/index.ts";
import { ValueError } from "../src/errors.ts";
import { addForeach_, zeroForeach_ } from "../src/ops/inplace.ts";
import { deserialize, serialize } from "../src/io/index.ts";
import type { Tensor } from "../src/index.ts";

type Nested = number | Nested[];
interface Enc { data: Nested; shape: number[]; dtype: string }
type Opts = Record<string, number | boolean | number[]>;
interface Config {
  name: string; optimizer: "SGD" | "Adam" | "AdamW"; options: Opts;
  groups: { params: string[]; options: Opts }[] | null;
  losses: number[]; params: Record<string, Enc>[]; repr: string;
  stateDict: { state: Record<string, Record<string, Enc | null>>; param_groups: Record<string, unknown>[] };
  /** base64 of torch.save(optimizer.state_dict()) after step 2 */
  savedAfter2: string;
}
const fixture = JSON.parse(readFileSync(new URL("./fixtures/optim.json", import.meta.url), "utf8")) as {
  init: Record<string, Enc>; X: Enc; Y: Enc; configs: Config[];
};

const make = (e: Enc, requiresGrad = false): Tensor => torch.tensor(e.data as never, { dtype: torch.float32, requiresGrad });
const flat = (v: unknown): number[] => (Array.isArray(v) ? v.flatMap(flat) : [Number(v)]);
// about 16 float32 ulps at unit scale: the forward and backward differ from PyTorch's by an ulp or two
const TOL = 2e-6;
const X = make(fixture.X), Y = make(fixture.Y);
const NAMES = Object.keys(fixture.init);

type Params = Record<string, Tensor>;
const freshParams = (): Params => Object.fromEntries(NAMES.map((k) => [k, make(fixture.init[k]!, true)]));

function lossOf(p: Params): Tensor {
  const h = F.linear(X, p.w1!, p.b1!).tanh();
  return F.mseLoss(F.linear(h, p.w2!, p.b2!), Y);
}

/** Fixture options are PyTorch's keywords; torchlet's are camelCase, with betas as a pair. */
function camelOptions(o: Opts): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()), v]));
}

function build(c: Config, p: Params): Optimizer<HyperParams> {
  const ctor = { SGD, Adam, AdamW }[c.optimizer] as unknown as new (params: unknown, options: unknown) => Optimizer<HyperParams>;
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

/** float32 agreement: PyTorch's kernels may fuse a multiply-add where torchlet rounds twice. */
function close(actual: Tensor, expected: Enc, what: string): void {
  assert.deepEqual([...actual.shape], expected.shape, `${what}: shape`);
  const a = flat(actual.tolist()), e = flat(expected.data);
  a.forEach((x, i) => {
    const y = e[i]!;
    assert.ok(Math.abs(x - y) <= TOL * Math.max(1, Math.abs(y)), `${what}[${i}]: ${x} vs PyTorch ${y}`);
  });
}

describe("optimizers against PyTorch (5 steps of a float32 MLP)", () => {
  for (const c of fixture.configs) {
    test(c.name, () => {
      const p = freshParams();
      const opt = build(c, p);
      for (let s = 0; s < c.params.length; s++) {
        const loss = trainStep(opt, p);
        assert.ok(Math.abs(loss - c.losses[s]!) <= 2e-6 * Math.max(1, Math.abs(c.losses[s]!)), `loss at step ${s + 1}: ${loss} vs ${c.losses[s]}`);
        for (const k of NAMES) close(p[k]!, c.params[s]![k]!, `step ${s + 1} ${k}`);
      }
      assert.equal(opt.toString(), c.repr);
      checkStateDict(opt, c);
    });
  }
});

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
      if (e === null) assert.equal(s[k], null);
      else close(s[k] as Tensor, e, `state ${id}.${k}`);
    }
  }
}

describe("Optimizer", () => {
  test("addForeach_ and zeroForeach_ give add_'s and zero_'s bits, paths and errors, pair by pair", () => {
    const vals = (t: Tensor) => Array.from(t.contiguous().storage.data as Float32Array | Float64Array);
    const make = () => [
      torch.tensor([[0.1, -0.7, 3.3], [1e-8, 2.5, -9]]),
      torch.tensor([1.5, -2.25], { dtype: torch.float64 }),
      torch.tensor([[1, 2], [3, 4]]).t(), // strided self
      torch.tensor([0.3]),
    ];
    const others = [
      torch.tensor([[0.9, 0.01, -3.3], [7, 1e-3, 0.1]]),
      torch.tensor([0.125, 1e-3], { dtype: torch.float64 }),
      torch.tensor([[0.5, 0.25], [0.1, 0.2]]),
      torch.tensor(2.5), // a scalar broadcast: add_'s own path
    ];
    const a = make(), b = make();
    a.forEach((t, i) => t.add_(others[i]!, { alpha: -0.013 }));
    const before = b.map((t) => t._version.value);
    addForeach_(b, others, -0.013);
    a.forEach((t, i) => assert.deepEqual(vals(b[i]!), vals(t)));
    b.forEach((t, i) => assert.equal(t._version.value, before[i]! + 1));
    // x.add_(x): the same storage takes add_'s path
    const x = torch.tensor([1, 2]);
    addForeach_([x], [x], 0.5);
    assert.deepEqual(x.tolist(), [1.5, 3]);
    assert.throws(() => addForeach_([x], [torch.tensor([1, 2, 3])]), (e: Error) => {
      let expected = "";
      try { x.add_(torch.tensor([1, 2, 3])); } catch (f) { expected = (f as Error).message; }
      return e.message === expected && expected !== "";
    });
    assert.throws(() => addForeach_([x], []), /same number of tensors/);
    // a leaf that requires grad, under grad mode: add_'s error
    const w = torch.tensor([1, 2], { requiresGrad: true });
    assert.throws(() => addForeach_([w], [x]), /leaf Variable that requires grad/);
    const zs = [torch.tensor([[1, 2], [3, 4]]).t(), torch.tensor([5, 6], { dtype: torch.float64 }), torch.tensor([0.5], { dtype: torch.float16 })];
    torch.noGrad(() => zeroForeach_(zs));
    for (const z of zs) { assert.ok(flat(z.tolist()).every((v) => v === 0)); assert.equal(z._version.value, 1); }
  });

  test("zeroGrad zeroes gradients in place by default (PyTorch 1.13), or sets them to null", () => {
    const p = freshParams();
    const opt = new SGD(Object.values(p), { lr: 0.1 });
    lossOf(p).backward();
    const g = p.w1!.grad!;
    opt.zeroGrad();
    assert.equal(p.w1!.grad, g);
    assert.ok(flat(g.tolist()).every((v) => v === 0));
    opt.zeroGrad({ setToNone: true });
    assert.equal(p.w1!.grad, null);
  });

  test("a parameter given twice is stepped once", () => {
    const w = torch.tensor([1, 2], { requiresGrad: true });
    const opt = new SGD([w, w], { lr: 0.5 });
    assert.equal(opt.paramGroups[0]!.params.length, 1);
    w.sum().backward();
    opt.step();
    assert.deepEqual(w.tolist(), [0.5, 1.5]);
  });

  test("groups override the defaults; the rest come from the options", () => {
    const a = torch.zeros(2, { requiresGrad: true }), b = torch.zeros(2, { requiresGrad: true });
    const opt = new SGD([{ params: [a] }, { params: b, lr: 0.01 }], { lr: 0.1, momentum: 0.9 });
    assert.equal(opt.paramGroups[0]!.lr, 0.1);
    assert.equal(opt.paramGroups[1]!.lr, 0.01);
    assert.equal(opt.paramGroups[1]!.momentum, 0.9);
  });

  test("step with a closure re-evaluates the loss under grad mode and returns it", () => {
    const p = freshParams();
    const opt = new Adam(Object.values(p), { lr: 0.01 });
    const loss = torch.noGrad(() => opt.step(() => { opt.zeroGrad(); const l = lossOf(p); l.backward(); return l; }));
    assert.ok(Math.abs(Number((loss as Tensor).item()) - fixture.configs.find((c) => c.name === "adam")!.losses[0]!) < 1e-6);
  });

  test("rejects what PyTorch rejects, in PyTorch's words", () => {
    const w = torch.zeros(2, { requiresGrad: true });
    const cases: [() => unknown, string][] = [
      [() => new SGD([], { lr: 0.1 }), "optimizer got an empty parameter list"],
      [() => new SGD([w], { lr: -1 }), "Invalid learning rate: -1"],
      [() => new SGD([w], { lr: 0.1, momentum: -0.5 }), "Invalid momentum value: -0.5"],
      [() => new SGD([w], { lr: 0.1, nesterov: true }), "Nesterov momentum requires a momentum and zero dampening"],
      [() => new SGD([{ params: [w] }]), "parameter group didn't specify a value of required optimization parameter lr"],
      [() => new SGD([{ params: [w] }, { params: [w] }], { lr: 0.1 }), "some parameters appear in more than one parameter group"],
      [() => new SGD([w.mul(2)], { lr: 0.1 }), "can't optimize a non-leaf Tensor"],
      [() => new Adam([w], { betas: [0.9, 1] }), "Invalid beta parameter at index 1: 1"],
      [() => new Adam([w], { eps: -1 }), "Invalid epsilon value: -1"],
    ];
    for (const [f, message] of cases) assert.throws(f, (e: unknown) => e instanceof ValueError && e.message === message);
  });
});

describe("Optimizer.stateDict / loadStateDict", () => {
  for (const name of ["sgd/groups", "adam/groups", "adamw/amsgrad-weight-decay"]) {
    test(`${name}: 2 steps, load into a fresh optimizer, 3 more steps = PyTorch's 5 steps`, () => {
      const c = fixture.configs.find((x) => x.name === name)!;
      const p = freshParams();
      const first = build(c, p);
      trainStep(first, p);
      trainStep(first, p);
      const saved = first.stateDict();
      const p2 = Object.fromEntries(NAMES.map((k) => [k, p[k]!.detach().clone().requiresGrad_()]));
      const second = build({ ...c, options: { ...c.options, lr: 123 } }, p2);
      second.loadStateDict(saved);
      assert.equal(second.paramGroups[0]!.lr, first.paramGroups[0]!.lr);
      for (let s = 2; s < 5; s++) trainStep(second, p2);
      for (const k of NAMES) close(p2[k]!, c.params[4]![k]!, `after reload ${k}`);
    });
  }

  for (const c of fixture.configs) {
    test(`${c.name}: PyTorch's torch.save of step 2 loads, and 3 more steps = PyTorch's 5 steps`, () => {
      const p = Object.fromEntries(NAMES.map((k) => [k, make(c.params[1]![k]!, true)]));
      const opt = build(c, p);
      opt.loadStateDict(deserialize(Buffer.from(c.savedAfter2, "base64")) as Map<string, unknown>);
      for (let s = 2; s < 5; s++) trainStep(opt, p);
      for (const k of NAMES) close(p[k]!, c.params[4]![k]!, `after loading PyTorch's state ${k}`);
      checkStateDict(opt, c);
    });
  }

  test("stateDict() survives torch.save format bytes (serialize, deserialize, loadStateDict)", () => {
    const c = fixture.configs.find((x) => x.name === "adam/groups")!;
    const p = freshParams();
    const first = build(c, p);
    trainStep(first, p);
    trainStep(first, p);
    const second = build(c, p);
    second.loadStateDict(deserialize(serialize(first.stateDict())) as Map<string, unknown>);
    for (let s = 2; s < 5; s++) trainStep(second, p);
    for (const k of NAMES) close(p[k]!, c.params[4]![k]!, `after a bytes round trip ${k}`);
  });

  test("loaded state is a copy: stepping one optimizer leaves the other's state alone", () => {
    const w = torch.tensor([1, 2], { requiresGrad: true });
    const a = new SGD([w], { lr: 0.1, momentum: 0.9 });
    w.sum().backward();
    a.step();
    const b = new SGD([w], { lr: 0.1, momentum: 0.9 });
    b.loadStateDict(a.stateDict());
    a.step();
    assert.deepEqual((b.state.get(w)!.momentum_buffer as Tensor).tolist(), [1, 1]);
  });

  test("a numeric Adam step from an old PyTorch file becomes a float32 tensor", () => {
    const w = torch.tensor([1, 2], { requiresGrad: true });
    const opt = new Adam([w]);
    const zeros = torch.zeros(2);
    opt.loadStateDict({ state: new Map([[0, { step: 3 as never, exp_avg: zeros, exp_avg_sq: zeros }]]), param_groups: [{ ...opt.stateDict().param_groups[0]!, params: [0] }] });
    const step = opt.state.get(w)!.step as Tensor;
    assert.equal(step.dtype, torch.float32);
    assert.equal(step.item(), 3);
  });

  test("a group count or size mismatch throws and changes nothing", () => {
    const w = torch.zeros(2, { requiresGrad: true }), v = torch.zeros(3, { requiresGrad: true });
    const a = new SGD([w], { lr: 0.1 });
    const b = new SGD([w, v], { lr: 0.5 });
    assert.throws(() => b.loadStateDict(a.stateDict()), /loaded state dict contains a parameter group that doesn't match the size of optimizer's group/);
    const c = new SGD([{ params: [w] }, { params: [v] }], { lr: 0.5 });
    assert.throws(() => c.loadStateDict(a.stateDict()), /loaded state dict has a different number of parameter groups/);
    assert.equal(b.paramGroups[0]!.lr, 0.5);
  });
});
