/**
 * torch.optim.lrScheduler against PyTorch 1.13 (test/fixtures/lr_scheduler.json, written by
 * scripts/fixtures/lr_scheduler.py): every scheduler over many steps with three parameter groups
 * must set PyTorch's rates (and momenta) step by step, end with PyTorch's state dict, load the
 * state dict PyTorch saved midway and finish the run with PyTorch's rates, and round-trip its own.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as torch from "../src/index.ts";
import { Adam, SGD, lrScheduler as L, type HyperParams, type Optimizer } from "../src/optim/index.ts";
import { ValueError } from "../src/errors.ts";
import { deserialize, serialize } from "../src/io/index.ts";

type Spec = { cls: string; args: unknown[]; kwargs: Record<string, unknown>; children?: Spec[] };
interface Config {
  name: string; spec: Spec; optimizer: "SGD" | "Adam"; metrics: number[] | null; epochs: number[] | null; presetInitial: boolean;
  lrs: number[][]; momenta: number[][]; lastLr: (number[] | null)[]; stateDict: Record<string, unknown>;
  paramGroups: Record<string, unknown>[]; saveAt: number | null; saved: string | null;
}
const fixture = JSON.parse(readFileSync(new URL("./fixtures/lr_scheduler.json", import.meta.url), "utf8")) as { configs: Config[] };

type Sched = L.LRScheduler | L.SequentialLR | L.ChainedScheduler | L.ReduceLROnPlateau;
type AnyOpt = Optimizer<HyperParams>;

const LAMBDAS: Record<string, L.LrLambda> = {
  pow095: (e) => 0.95 ** e,
  step3: (e) => Math.floor(e / 3) + 1,
  mul09: () => 0.9,
  mulalt: (e) => (e % 2 ? 1.1 : 0.8),
};

const camel = (k: string): string => k.replace(/(?<=[A-Za-z0-9])_([A-Za-z0-9])/g, (_, c: string) => c.toUpperCase());

function optimizer(kind: "SGD" | "Adam"): AnyOpt {
  const ps = [0, 1, 2].map(() => torch.zeros(2, { requiresGrad: true }));
  const groups = [{ params: [ps[0]!] }, { params: [ps[1]!], lr: 0.05 }, { params: [ps[2]!], lr: 0.02 }];
  return (kind === "Adam" ? new Adam(groups, { lr: 0.1 }) : new SGD(groups, { lr: 0.1, momentum: 0.9 })) as unknown as AnyOpt;
}

function build(opt: AnyOpt, spec: Spec): Sched {
  if (spec.cls === "ChainedScheduler") return new L.ChainedScheduler(spec.children!.map((c) => build(opt, c) as L.LRScheduler));
  if (spec.cls === "SequentialLR") {
    return new L.SequentialLR(opt, spec.children!.map((c) => build(opt, c) as L.LRScheduler), spec.args[0] as number[], camelKeys(spec.kwargs));
  }
  const fn = (a: unknown): unknown => (typeof a === "string" && a in LAMBDAS ? LAMBDAS[a] : Array.isArray(a) && typeof a[0] === "string" ? a.map(fn) : a);
  const ctor = (L as unknown as Record<string, new (...args: unknown[]) => Sched>)[spec.cls]!;
  return new ctor(opt, ...spec.args.map(fn), camelKeys(spec.kwargs));
}

const camelKeys = (o: Record<string, unknown>): Record<string, unknown> => Object.fromEntries(Object.entries(o).map(([k, v]) => [camel(k), v]));

type Group = { lr: number; momentum?: number; betas?: readonly [number, number]; initialLr?: number };
const groups = (opt: AnyOpt): Group[] => opt.paramGroups as unknown as Group[];
const lrs = (opt: AnyOpt): number[] => groups(opt).map((g) => g.lr);
const momenta = (opt: AnyOpt): number[] => groups(opt).map((g) => (g.betas ? g.betas[0] : g.momentum!));

/**
 * Schedules built from + − × ÷ (and exact powers) must equal PyTorch's to the last bit. Where a
 * schedule calls cos, or pow with a fractional result, V8's Math.cos/Math.pow and glibc's
 * cos/pow may round one result differently (measured: 311 of 22019 values, at most 2.6 ulps of
 * relative difference, all of them in the configs below); those compare within 4 ulps.
 */
const TRANSCENDENTAL = /Cosine|OneCycle|LambdaLR|exp_range|warmup-cosine/;
let ulps = 0;

function sameRates(actual: readonly number[], expected: readonly number[], what: string): void {
  assert.equal(actual.length, expected.length, `${what}: group count`);
  actual.forEach((a, i) => {
    const e = expected[i]!;
    assert.ok(a === e || Math.abs(a - e) <= ulps * Number.EPSILON * Math.abs(e), `${what} group ${i}: ${a} vs PyTorch ${e}`);
  });
}

function advance(s: Sched, c: Config, i: number): void {
  if (c.metrics) (s as L.ReduceLROnPlateau).step(c.metrics[i]!);
  else if (c.epochs) (s as L.LRScheduler).step(c.epochs[i]!);
  else (s as L.LRScheduler).step();
}

const steps = (c: Config): number => c.lrs.length - 1;

function start(c: Config): [AnyOpt, Sched] {
  ulps = TRANSCENDENTAL.test(c.name) ? 4 : 0;
  const opt = optimizer(c.optimizer);
  if (c.presetInitial) for (const g of groups(opt)) g.initialLr = g.lr;
  return [opt, build(opt, c.spec)];
}

/** A state dict as the fixture's JSON holds it: Maps as objects with string keys, infinities as strings. */
function json(v: unknown): unknown {
  if (v instanceof Map) return Object.fromEntries([...v.entries()].map(([k, x]) => [String(k), json(x)]));
  if (Array.isArray(v)) return v.map(json);
  if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, json(x)]));
  if (v === Infinity) return "inf";
  if (v === -Infinity) return "-inf";
  return v;
}

/** Compares state dicts key by key, rates with sameRates. */
function sameState(actual: unknown, expected: unknown, what: string): void {
  if (Array.isArray(expected) && expected.every((x) => typeof x === "number") && expected.some((x) => !Number.isInteger(x))) {
    return sameRates(actual as number[], expected as number[], what);
  }
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${what}: not a list`);
    assert.equal(actual.length, expected.length, `${what}: length`);
    return expected.forEach((e, i) => sameState(actual[i], e, `${what}[${i}]`));
  }
  if (expected !== null && typeof expected === "object") {
    assert.deepEqual(Object.keys(actual as object), Object.keys(expected), `${what}: keys`);
    for (const [k, e] of Object.entries(expected)) sameState((actual as Record<string, unknown>)[k], e, `${what}.${k}`);
    return;
  }
  if (typeof expected === "number" && !Number.isInteger(expected)) return sameRates([actual as number], [expected], what);
  assert.equal(actual, expected, what);
}

describe("lrScheduler against PyTorch: rates step by step, three groups", () => {
  for (const c of fixture.configs) {
    test(c.name, () => {
      const [opt, s] = start(c);
      sameRates(lrs(opt), c.lrs[0]!, "after construction");
      for (let i = 0; i < steps(c); i++) {
        advance(s, c, i);
        sameRates(lrs(opt), c.lrs[i + 1]!, `step ${i + 1}`);
        sameRates(momenta(opt), c.momenta[i + 1]!, `step ${i + 1} momentum`);
        sameRates(s.getLastLr(), c.lastLr[i + 1]!, `step ${i + 1} getLastLr`);
      }
      sameState(json(s.stateDict()), c.stateDict, "stateDict");
      const pg = opt.stateDict().param_groups.map((g) => Object.fromEntries(Object.entries(g).filter(([k]) => k !== "params")));
      pg.forEach((g, i) => sameState(json(Object.fromEntries(Object.keys(c.paramGroups[i]!).map((k) => [k, g[k]]))), c.paramGroups[i], `param_groups[${i}]`));
      assert.deepEqual(pg.map((g) => Object.keys(g).sort()), c.paramGroups.map((g) => Object.keys(g).sort()));
    });
  }
});

describe("lrScheduler state dicts", () => {
  const resumable = fixture.configs.filter((c) => c.saved !== null);

  /** A fresh optimizer and scheduler, the optimizer's rates and momenta set to PyTorch's at step `at` (as its own state dict would). */
  function resumeAt(c: Config, at: number): [AnyOpt, Sched] {
    const [opt, s] = start(c);
    groups(opt).forEach((g, i) => {
      g.lr = c.lrs[at]![i]!;
      if (g.betas) g.betas = [c.momenta[at]![i]!, g.betas[1]];
      else g.momentum = c.momenta[at]![i]!;
    });
    return [opt, s];
  }

  function finish(opt: AnyOpt, s: Sched, c: Config, from: number): void {
    for (let i = from; i < steps(c); i++) {
      advance(s, c, i);
      sameRates(lrs(opt), c.lrs[i + 1]!, `step ${i + 1}`);
      sameRates(momenta(opt), c.momenta[i + 1]!, `step ${i + 1} momentum`);
    }
  }

  for (const c of resumable) {
    test(`${c.name}: PyTorch's torch.save before step ${c.saveAt! + 1} loads and the run finishes with PyTorch's rates`, () => {
      const [opt, s] = resumeAt(c, c.saveAt!);
      s.loadStateDict(deserialize(Buffer.from(c.saved!, "base64")) as Map<string, unknown>);
      finish(opt, s, c, c.saveAt!);
      sameState(json(s.stateDict()), c.stateDict, "stateDict");
    });

    test(`${c.name}: its own state dict, through torch.save bytes, resumes the run`, () => {
      const [opt, s] = start(c);
      for (let i = 0; i < c.saveAt!; i++) advance(s, c, i);
      const bytes = serialize(s.stateDict() as never);
      const [opt2, s2] = resumeAt(c, c.saveAt!);
      s2.loadStateDict(deserialize(bytes) as Map<string, unknown>);
      finish(opt2, s2, c, c.saveAt!);
      finish(opt, s, c, c.saveAt!);
    });
  }

  test("the optimizer's state dict keeps initial_lr (and OneCycleLR's bounds) so a resumed scheduler starts from it", () => {
    const c = fixture.configs.find((x) => x.name === "OneCycleLR")!;
    const [opt] = start(c);
    const saved = deserialize(serialize(opt.stateDict() as never)) as Map<string, unknown>;
    const fresh = optimizer("SGD");
    fresh.loadStateDict(saved);
    const g = fresh.paramGroups[0] as unknown as Record<string, number>;
    assert.deepEqual([g.initialLr, g.maxLr, g.minLr, g.maxMomentum, g.baseMomentum], [0.02, 0.5, 2e-6, 0.95, 0.85]);
    const resumed = new L.CosineAnnealingLR(fresh, 10, { lastEpoch: 3 });
    assert.deepEqual(resumed.baseLrs, [0.02, 0.02, 0.02]);
  });
});

describe("lrScheduler behaviour", () => {
  test("takes optimizers as they are typed (no casts)", () => {
    const w = torch.zeros(2, { requiresGrad: true });
    const sgd: SGD = new SGD([w], { lr: 0.1, momentum: 0.9 });
    new L.StepLR(sgd, 1, { gamma: 0.5 }).step();
    assert.equal(sgd.paramGroups[0]!.lr, 0.05);
    const adam: Adam = new Adam([torch.zeros(2, { requiresGrad: true })]);
    new L.OneCycleLR(adam, 0.1, { totalSteps: 4 }).step();
    assert.ok(adam.paramGroups[0]!.betas[0] < 0.95);
  });

  test("getLastLr is a copy; per-group rates move independently", () => {
    const opt = optimizer("SGD");
    const s = new L.StepLR(opt, 1, { gamma: 0.5 });
    const last = s.getLastLr();
    last[0] = 99;
    s.step();
    assert.deepEqual(s.getLastLr(), [0.05, 0.025, 0.01]);
  });

  test("rejects what PyTorch rejects, in PyTorch's words, and a failed step changes nothing", () => {
    const opt = optimizer("SGD");
    const cases: [() => unknown, string][] = [
      [() => new L.ConstantLR(opt, { factor: 2 }), "Constant multiplicative factor expected to be between 0 and 1."],
      [() => new L.LinearLR(opt, { startFactor: -1 }), "Starting multiplicative factor expected to be between 0 and 1."],
      [() => new L.LambdaLR(opt, [() => 1]), "Expected 3 lr_lambdas, but got 1"],
      [() => new L.CosineAnnealingWarmRestarts(opt, 0), "Expected positive integer T_0, but got 0"],
      [() => new L.CosineAnnealingWarmRestarts(opt, 2, { TMult: 1.5 }), "Expected integer T_mult >= 1, but got 1.5"],
      [() => new L.OneCycleLR(opt, 0.1), "You must define either total_steps OR (epochs AND steps_per_epoch)"],
      [() => new L.OneCycleLR(opt, 0.1, { totalSteps: 10, annealStrategy: "exp" as never }), "anneal_strategy must by one of 'cos' or 'linear', instead got exp"],
      [() => new L.OneCycleLR(opt, [0.1], { totalSteps: 10 }), "expected 3 values for max_lr, got 1"],
      [() => new L.ReduceLROnPlateau(opt, { factor: 1 }), "Factor should be < 1.0."],
      [() => new L.ReduceLROnPlateau(opt, { mode: "mid" as never }), "mode mid is unknown!"],
      [() => new L.StepLR(optimizer("SGD"), 2, { lastEpoch: 3 }), "param 'initial_lr' is not specified in param_groups[0] when resuming an optimizer"],
      [() => new L.SequentialLR(opt, [new L.StepLR(opt, 2)], [1]), "Sequential Schedulers expects number of schedulers provided to be one more than the number of milestone points, but got number of schedulers 1 and the number of milestones to be equal to 1"],
    ];
    for (const [f, message] of cases) assert.throws(f, (e: unknown) => e instanceof ValueError && e.message === message, message);
    assert.throws(() => new L.StepLR({} as AnyOpt, 1), (e: unknown) => e instanceof TypeError && e.message === "Object is not an Optimizer");
    const s = new L.OneCycleLR(optimizer("SGD"), 0.1, { totalSteps: 2 });
    s.step();
    s.step();
    assert.throws(() => s.step(), /Tried to step 4 times. The specified number of total steps is 2/);
    assert.equal(s.lastEpoch, 2);
    assert.equal(s._stepCount, 3);
  });

  test("ReduceLROnPlateau takes a one-element tensor as the metric", () => {
    const opt = optimizer("SGD");
    const s = new L.ReduceLROnPlateau(opt, { patience: 0 });
    s.step(torch.tensor(1.0));
    s.step(torch.tensor(2.0));
    assert.deepEqual(s.getLastLr().map((x) => Math.round(x * 1e6) / 1e6), [0.01, 0.005, 0.002]);
  });

  test("verbose prints PyTorch's line", (t) => {
    const logged: string[] = [];
    t.mock.method(console, "log", (line: string) => { logged.push(line); });
    new L.ExponentialLR(optimizer("SGD"), 0.5, { verbose: true }).step();
    assert.equal(logged[0], "Adjusting learning rate of group 0 to 1.0000e-01.");
    assert.equal(logged[3], "Adjusting learning rate of group 0 to 5.0000e-02.");
  });
});
