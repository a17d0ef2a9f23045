/**
 * torch.optim.swaUtils against PyTorch 1.13 (test/fixtures/swa_utils.json, written by
 * scripts/fixtures/swa_utils.py): SWA and EMA averages of a small MLP trained with SGD, the
 * averaged model's state dict keys and output, and SWALR's rates for several anneal settings.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as torch from "../src/index.ts";
import { nn, optim } from "../src/index.ts";
import { ValueError } from "../src/errors.ts";
import type { Tensor } from "../src/index.ts";

type Nested = number | Nested[];
const fx = JSON.parse(readFileSync(new URL("./fixtures/swa_utils.json", import.meta.url), "utf8")) as {
  init: Record<string, Nested>; X: Nested; Y: Nested;
  updates: { step: number; swa: Record<string, Nested>; ema: Record<string, Nested> }[];
  swaKeys: string[]; swaOut: Nested; emaOut: Nested;
  schedules: Record<string, { rates: number[][]; stateDict: Record<string, unknown> }>;
};
const { AveragedModel, SWALR } = optim.swaUtils;

const flat = (v: unknown): number[] => (Array.isArray(v) ? v.flatMap(flat) : [Number(v)]);
const X = torch.tensor(fx.X as never), Y = torch.tensor(fx.Y as never);

/** float32 training steps agree with PyTorch's within a few ulps. */
function close(actual: number[], expected: number[], what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  actual.forEach((a, i) => {
    const e = expected[i]!;
    assert.ok(Math.abs(a - e) <= 2e-6 * Math.max(1, Math.abs(e)), `${what}[${i}]: ${a} vs PyTorch ${e}`);
  });
}

function model(): nn.Sequential {
  const net = new nn.Sequential(new nn.Linear(3, 4), new nn.Tanh(), new nn.Linear(4, 2));
  net.loadStateDict(new Map(Object.entries(fx.init).map(([k, v]) => [k, torch.tensor(v as never)])));
  return net;
}

describe("AveragedModel against PyTorch", () => {
  test("SWA and EMA averages after each update, n_averaged, keys and output", () => {
    const net = model();
    const swa = new AveragedModel(net);
    const ema = new AveragedModel(net, { avgFn: (avg, p) => avg.mul(0.8).add(p.mul(0.2)) });
    const opt = new optim.SGD(net.parameters(), { lr: 0.1 });
    let u = 0;
    for (let step = 0; step < 8; step++) {
      opt.zeroGrad();
      nn.functional.mseLoss(net(X) as Tensor, Y).backward();
      opt.step();
      if (step < 2) continue;
      swa.updateParameters(net);
      ema.updateParameters(net);
      const expected = fx.updates[u++]!;
      for (const [name, m, want] of [["swa", swa, expected.swa], ["ema", ema, expected.ema]] as const) {
        const sd = m.stateDict();
        assert.deepEqual([...sd.keys()], fx.swaKeys);
        for (const [k, v] of Object.entries(want)) close(flat(sd.get(k)!.tolist()), flat(v), `step ${step + 1} ${name} ${k}`);
      }
    }
    assert.equal(swa.n_averaged.dtype, torch.int64);
    close(flat((swa(X) as Tensor).tolist()), flat(fx.swaOut), "SWA output");
    close(flat((ema(X) as Tensor).tolist()), flat(fx.emaOut), "EMA output");
  });

  test("the copy is deep: parameters are new tensors, shared ones stay shared, training the model leaves it alone", () => {
    const lin = new nn.Linear(2, 2);
    const net = new nn.Sequential(lin, new nn.ReLU(), lin);
    const swa = new AveragedModel(net);
    const copy = swa.module as nn.Sequential;
    const [a, b] = [copy.at(0) as nn.Linear, copy.at(2) as nn.Linear];
    assert.equal(a, b);
    assert.notEqual(a.weight, lin.weight);
    assert.ok(a instanceof nn.Linear);
    assert.equal(String(swa.module), String(net));
    torch.noGrad(() => lin.weight.fill_(7));
    assert.notDeepEqual(flat(a.weight.tolist()), [7, 7, 7, 7]);
    swa.updateParameters(net);
    assert.deepEqual(flat(a.weight.tolist()), [7, 7, 7, 7]);
    assert.equal([...swa.parameters()].length, 2);
  });

  test("useBuffers averages buffers too; a state dict round trip restores n_averaged", () => {
    class Scaled extends nn.Module {
      declare lin: nn.Linear;
      declare scale: Tensor;
      constructor() {
        super();
        this.lin = new nn.Linear(2, 1);
        this.registerBuffer("scale", torch.tensor([1.0]));
      }
      forward(x: Tensor): Tensor { return (this.lin(x) as Tensor).mul(this.scale); }
    }
    const net = new Scaled();
    const avg = new AveragedModel(net, { useBuffers: true });
    torch.noGrad(() => net.scale.fill_(3));
    avg.updateParameters(net);
    torch.noGrad(() => net.scale.fill_(5));
    avg.updateParameters(net);
    assert.deepEqual((avg.module as Scaled).scale.tolist(), [4]);
    const other = new AveragedModel(net);
    other.loadStateDict(avg.stateDict());
    assert.equal(Number(other.n_averaged.item()), 2);
  });
});

describe("SWALR against PyTorch", () => {
  const groups = (): optim.SGD => {
    const ps = [0, 1, 2].map(() => torch.zeros(2, { requiresGrad: true }));
    return new optim.SGD([{ params: [ps[0]!] }, { params: [ps[1]!], lr: 0.05 }, { params: [ps[2]!], lr: 0.02 }], { lr: 0.1 });
  };
  const makers: Record<string, (o: optim.SGD) => InstanceType<typeof SWALR>> = {
    cos: (o) => new SWALR(o, 0.01, { annealEpochs: 5 }),
    linear: (o) => new SWALR(o, [0.01, 0.02, 0.005], { annealEpochs: 7, annealStrategy: "linear" }),
    zero: (o) => new SWALR(o, 0.03, { annealEpochs: 0 }),
    one: (o) => new SWALR(o, 0.03, { annealEpochs: 1, annealStrategy: "linear" }),
    handover: (o) => {
      const first = new optim.lrScheduler.StepLR(o, 2, { gamma: 0.5 });
      for (let i = 0; i < 5; i++) first.step();
      return new SWALR(o, 0.01, { annealEpochs: 4 });
    },
  };
  for (const [name, make] of Object.entries(makers)) {
    test(name, () => {
      const { rates, stateDict } = fx.schedules[name]!;
      const opt = groups();
      const s = make(opt);
      const lrs = (): number[] => opt.paramGroups.map((g) => g.lr);
      // cos anneals call Math.cos, which may round one ulp away from glibc's cos
      close(lrs(), rates[0]!, "after construction");
      for (let i = 1; i < rates.length; i++) {
        s.step();
        close(lrs(), rates[i]!, `step ${i}`);
        assert.ok(lrs().every((x, j) => Math.abs(x - rates[i]![j]!) <= 4 * Number.EPSILON * Math.abs(rates[i]![j]!)), `step ${i}: ${lrs()} vs ${rates[i]}`);
      }
      assert.deepEqual(s.stateDict(), stateDict);
    });
  }

  test("rejects what PyTorch rejects, in PyTorch's words, before touching the groups", () => {
    const opt = groups();
    const cases: [() => unknown, string][] = [
      [() => new SWALR(opt, [0.1]), "swa_lr must have the same length as optimizer.param_groups: swa_lr has 1, optimizer.param_groups has 3"],
      [() => new SWALR(opt, 0.1, { annealStrategy: "exp" as never }), "anneal_strategy must by one of 'cos' or 'linear', instead got exp"],
      [() => new SWALR(opt, 0.1, { annealEpochs: -1 }), "anneal_epochs must be equal or greater than 0, got -1"],
    ];
    for (const [f, message] of cases) assert.throws(f, (e: unknown) => e instanceof ValueError && e.message === message, message);
    assert.equal((opt.paramGroups[0] as unknown as { swaLr?: number }).swaLr, undefined);
  });
});
