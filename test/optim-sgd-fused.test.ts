/**
 * SGD's fused step (Backend.sgdStep through ops/inplace.ts sgdStep_) against the tensor ops it
 * replaces: the same bits for every combination of momentum, dampening, Nesterov, weight decay
 * and maximize, on both backends, over lengths with SIMD tails, resident and staged operands.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as torch from "../src/index.ts";
import { onBackend } from "./backend-helpers.ts";
import { SGD, type SGDHyper } from "../src/optim/index.ts";
import { makeResident } from "../src/ops/resident.ts";
import type { Tensor } from "../src/index.ts";

/** optim/sgd.ts's op-by-op update (the path the fused kernel replaces), over the given gradients. */
function byOps(p0: Tensor, grads: Tensor[], h: SGDHyper): [Tensor, Tensor | null] {
  return torch.noGrad(() => {
    const p = p0.clone();
    let buf: Tensor | null = null;
    for (const g of grads) {
      let d = h.maximize ? g.neg() : g;
      if (h.weightDecay !== 0) d = d.add(p, { alpha: h.weightDecay });
      if (h.momentum !== 0) {
        if (buf === null) buf = d.clone();
        else buf.mul_(h.momentum).add_(d, { alpha: 1 - h.dampening });
        d = h.nesterov ? d.add(buf, { alpha: h.momentum }) : buf;
      }
      p.add_(d, { alpha: -h.lr });
    }
    return [p, buf];
  });
}

/** The same steps through SGD; `resident` puts the parameter and its gradients in the backend's memory. */
function bySgd(p0: Tensor, grads: Tensor[], h: SGDHyper, resident: boolean): [Tensor, Tensor | null] {
  const p = resident ? new torch.nn.Parameter(p0.clone()) : p0.clone().requiresGrad_(true);
  const opt = new SGD([p], h);
  for (const g of grads) {
    p.grad = resident ? makeResident(g.clone()) : g.isContiguous() ? g.clone() : g;
    opt.step();
  }
  return [p, (opt.state.get(p)?.momentum_buffer ?? null) as Tensor | null];
}

const bits = (t: Tensor): number[] => {
  const d = t.contiguous().storage.data;
  return Array.from(d instanceof Float32Array ? new Uint32Array(d.buffer, d.byteOffset, d.length) : new BigUint64Array(d.buffer, d.byteOffset, d.length), Number);
};

function combos(): SGDHyper[] {
  const out: SGDHyper[] = [];
  for (const momentum of [0, 0.9]) for (const dampening of [0, 0.3]) for (const nesterov of [false, true])
    for (const weightDecay of [0, 1e-2]) for (const maximize of [false, true]) {
      if (nesterov && (momentum === 0 || dampening !== 0)) continue;
      out.push({ lr: 0.037, momentum, dampening, weightDecay, nesterov, maximize });
    }
  return out;
}

describe("SGD's fused step", () => {
  const backends = [["cpu", torch.cpuBackend], ["wasm", torch.wasmBackend]] as const;
  for (const [name, b] of backends) {
    test(`has the bits of the tensor ops on the ${name} backend (every option, odd lengths, float32 and float64)`, () => {
      let calls = 0;
      const spy: torch.Backend = { ...b, sgdStep: (...a) => { calls++; b.sgdStep(...a); } };
      for (const dtype of [torch.float32, torch.float64]) for (const n of [1, 7, 2053, 4099]) for (const h of combos()) {
        torch.manualSeed(n);
        const p0 = torch.randn([n], { dtype }), grads = [0, 1, 2].map(() => torch.randn([n], { dtype }));
        const [rp, rb] = onBackend(b, () => byOps(p0, grads, h));
        for (const resident of [false, true]) {
          const before = calls;
          const [gp, gb] = onBackend(spy, () => bySgd(p0, grads, h, resident));
          const what = `${dtype} n=${n} ${JSON.stringify(h)} resident=${resident}`;
          // plain SGD stays on addForeach_; with momentum, the first step makes the buffer by the ops
          const plain = h.momentum === 0 && h.weightDecay === 0 && !h.maximize;
          assert.equal(calls - before, plain ? 0 : h.momentum !== 0 ? 2 : 3, `${what}: fused steps`);
          assert.deepEqual(bits(gp), bits(rp), `${what}: parameter`);
          assert.equal(gb === null, rb === null, `${what}: buffer kept`);
          if (gb !== null && rb !== null) assert.deepEqual(bits(gb), bits(rb), `${what}: momentum buffer`);
        }
      }
    });
  }

  test("gives the same bits on both backends", () => {
    for (const h of combos()) {
      torch.manualSeed(3);
      const p0 = torch.randn([5003]), grads = [0, 1, 2].map(() => torch.randn([5003]));
      const [rp] = onBackend(torch.cpuBackend, () => bySgd(p0, grads, h, true));
      const [gp] = onBackend(torch.wasmBackend, () => bySgd(p0, grads, h, true));
      assert.deepEqual(bits(gp), bits(rp), JSON.stringify(h));
    }
  });

  test("leaves non-dense gradients to the tensor ops", () => {
    torch.manualSeed(4);
    const h: SGDHyper = { lr: 0.1, momentum: 0.9, dampening: 0, weightDecay: 0.01, nesterov: true, maximize: false };
    const p0 = torch.randn(64, 48), grads = [0, 1, 2].map(() => torch.randn(48, 64).t());
    let calls = 0;
    const spy: torch.Backend = { ...torch.wasmBackend, sgdStep: (...a) => { calls++; torch.wasmBackend.sgdStep(...a); } };
    const [gp, gb] = onBackend(spy, () => bySgd(p0, grads, h, false));
    const [rp, rb] = onBackend(torch.wasmBackend, () => byOps(p0, grads, h));
    assert.equal(calls, 0);
    assert.deepEqual(bits(gp), bits(rp));
    assert.deepEqual(bits(gb!), bits(rb!));
  });
});

describe("the wasm update by a broadcast scalar (p.mul_(0.9))", () => {
  test("has the reference's bits for each op, with and without alpha, resident and staged", () => {
    for (const n of [2048, 2053, 4099]) for (const resident of [false, true]) {
      const run = () => torch.noGrad(() => {
        torch.manualSeed(n);
        const x = torch.randn([n]).add(0.5);
        const t = resident ? makeResident(x) : x;
        t.mul_(0.9).add_(0.3).sub_(torch.tensor([1.7]), { alpha: 0.37 }).div_(torch.tensor(3.1)).add_(torch.tensor([[0.7]]).view(1), { alpha: -2.5 });
        return t;
      });
      const ref = onBackend(torch.cpuBackend, run), got = onBackend(torch.wasmBackend, run);
      assert.equal(got.storage.data.buffer instanceof SharedArrayBuffer, resident, "where the operand lives");
      assert.deepEqual(bits(got), bits(ref), `n=${n} resident=${resident}`);
    }
  });
});

describe("the wasm fill of resident storage (zeroGrad)", () => {
  test("stores the reference's bits, whole and through a contiguous view with an offset", () => {
    for (const n of [2048, 4099]) for (const v of [0, -0, 3.7, Number.NaN, 1e-40]) {
      const run = () => torch.noGrad(() => {
        torch.manualSeed(n);
        const x = makeResident(torch.randn([n]));
        x.narrow(0, 5, n - 9).fill_(v);
        const y = makeResident(torch.randn([n]));
        y.fill_(v);
        return torch.cat([x, y]);
      });
      const ref = onBackend(torch.cpuBackend, run), got = onBackend(torch.wasmBackend, run);
      assert.deepEqual(bits(got), bits(ref), `n=${n} v=${v}`);
    }
  });
  test("zeroGrad zeroes resident gradients in place", () => {
    onBackend(torch.wasmBackend, () => {
      const p = new torch.nn.Parameter(torch.randn(64, 64));
      p.grad = makeResident(torch.randn(64, 64));
      const g = p.grad, before = g._version.value;
      new SGD([p], { lr: 0.1 }).zeroGrad();
      assert.ok(g.storage.data.buffer instanceof SharedArrayBuffer);
      assert.equal(p.grad, g);
      assert.equal(g._version.value, before + 1);
      assert.ok(Array.from(g.storage.data as Float32Array).every((x) => Object.is(x, 0)));
    });
  });
});
