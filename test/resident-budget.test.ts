// The wasm backend's budget for resident tensors (ops/resident.ts): a loop that builds model after
// model, with no cleanup call and no turn of the event loop, stays within it; what is evicted keeps
// its values, what is still in use comes back, and arrays handed out stay valid.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as torch from "../src/index.ts";
import { onBackend } from "./backend-helpers.ts";
import { setResidentBudget, wasmHeapStats, RESIDENT_BUDGET_DEFAULT } from "../src/backend/wasm/heap.ts";
import { residentEvictions } from "../src/ops/resident.ts";

const { nn } = torch;
const MiB = 2 ** 20;

/** One fold of a cross-validation loop: a fresh model and optimizer, a few steps; its final weights. */
function fold(seed: number, steps = 3): torch.Tensor[] {
  torch.manualSeed(seed);
  const net = new nn.Sequential(new nn.Linear(256, 1024), new nn.ReLU(), new nn.Linear(1024, 256));
  const opt = new torch.optim.SGD(net.parameters(), { lr: 0.05, momentum: 0.9 });
  const x = torch.randn(32, 256);
  for (let s = 0; s < steps; s++) {
    opt.zeroGrad();
    net(x).square().mean().backward();
    opt.step();
  }
  return [...net.parameters()].map((p) => p.detach().clone());
}

const resident = (t: torch.Tensor) => torch.wasmBackend.resident(t.storage.data);

/** Runs `fn` on the wasm backend with a resident budget of `mib` MiB, then restores the default. */
function withBudget(mib: number, fn: () => void): void {
  setResidentBudget(mib * MiB);
  try {
    onBackend(torch.wasmBackend, fn);
  } finally {
    setResidentBudget(RESIDENT_BUDGET_DEFAULT);
  }
}

describe("resident tensors within a budget", () => {
  test("a synchronous loop of fresh models stays within the budget, and trains as the reference does", () => {
    // each fold makes ~2 MiB of weights, as much again of gradients and of SGD's momentum
    withBudget(16, () => {
      const first = fold(0);
      const top = wasmHeapStats().heapTop, evictions = residentEvictions();
      let most = 0;
      for (let i = 1; i <= 12; i++) {
        fold(i);
        most = Math.max(most, wasmHeapStats().residentBytes);
      }
      assert.ok(residentEvictions() > evictions + 2, `evictions ran (${residentEvictions() - evictions})`);
      assert.ok(most <= 16 * MiB, `resident bytes stayed within the budget (at most ${(most / MiB).toFixed(1)} MiB)`);
      assert.ok(wasmHeapStats().heapTop - top <= 16 * MiB, "the heap grew by at most the budget over twelve more models");
      // evicted or not, the values are the ones training computes: same as on the reference backend
      const ref = onBackend(torch.cpuBackend, () => fold(0)), again = fold(0);
      for (const [i, p] of first.entries()) {
        assert.ok(torch.allclose(p, ref[i]!, { rtol: 1e-4, atol: 1e-6 }), `parameter ${i} against the reference`);
        assert.ok(torch.allclose(again[i]!, ref[i]!, { rtol: 1e-4, atol: 1e-6 }), `parameter ${i}, trained after evictions`);
      }
    });
  });

  test("an evicted model keeps its values and comes back resident at its next step", () => {
    withBudget(8, () => {
      torch.manualSeed(1);
      const net = new nn.Linear(1024, 1024), opt = new torch.optim.SGD(net.parameters(), { lr: 0.1, momentum: 0.9 });
      const x = torch.randn(8, 1024);
      // the momentum buffer evicts the weight, the next step restores it, and the step after that its gradient
      for (let i = 0; i < 3; i++) { opt.zeroGrad(); net(x).sum().backward(); opt.step(); }
      assert.ok(resident(net.weight) && resident(net.weight.grad!), "weight and gradient start resident");
      const before = net.weight.detach().clone(), evictions = residentEvictions();
      for (let i = 0; i < 3; i++) new nn.Linear(1024, 1024); // 4 MiB each: the budget fills, tracked storage is evicted
      assert.ok(residentEvictions() > evictions, "building more models evicted");
      assert.ok(!resident(net.weight), "the weight moved to V8's heap");
      assert.ok(torch.equal(net.weight, before), "with its values");
      opt.zeroGrad();
      net(x).sum().backward();
      opt.step();
      assert.ok(resident(net.weight), "the next step brought the weight back");
      const state = opt.state.get(net.weight)!;
      assert.ok(resident(state.momentum_buffer as torch.Tensor), "and its momentum buffer");
    });
  });

  test("a model used without an optimizer comes back at its next call", () => {
    withBudget(8, () => {
      torch.manualSeed(4);
      const net = new nn.Sequential(new nn.Linear(1024, 1024)), x = torch.randn(4, 1024);
      const first = net(x), lin = net.getSubmodule("0") as torch.nn.Linear;
      for (let i = 0; i < 3; i++) new nn.Linear(1024, 1024);
      assert.ok(!resident(lin.weight), "evicted by the models built after it");
      const again = torch.noGrad(() => net(x));
      assert.ok(resident(lin.weight), "the call brought the weight back");
      assert.ok(torch.allclose(again, first.detach(), { rtol: 1e-6, atol: 1e-6 }), "and the same output");
    });
  });

  test("a live model larger than the budget grows it once instead of evicting every step", () => {
    withBudget(2, () => {
      torch.manualSeed(2);
      const net = new nn.Sequential(new nn.Linear(512, 1024), new nn.ReLU(), new nn.Linear(1024, 512));
      const opt = new torch.optim.Adam(net.parameters(), { lr: 1e-3 }), x = torch.randn(16, 512);
      const step = () => { opt.zeroGrad(); net(x).square().mean().backward(); opt.step(); };
      for (let i = 0; i < 3; i++) step();
      const evictions = residentEvictions();
      for (let i = 0; i < 5; i++) step();
      assert.equal(residentEvictions(), evictions, "no eviction in steady state");
      assert.ok([...net.parameters()].every((p) => p.numel() < 1024 || resident(p)), "every large parameter resident");
      assert.ok(wasmHeapStats().budget > 2 * MiB, "the budget grew to hold them");
    });
  });

  test("an array handed out by contiguousData() stays valid: its storage is never evicted", () => {
    withBudget(8, () => {
      torch.manualSeed(3);
      const kept = new nn.Linear(1024, 1024), w = kept.weight.contiguousData() as Float32Array, values = Float32Array.from(w);
      assert.ok(resident(kept.weight), "resident before");
      for (let i = 0; i < 4; i++) torch.noGrad(() => new nn.Linear(1024, 1024).weight.fill_(i)); // overwrite whatever blocks come free
      assert.equal(kept.weight.storage.data, w, "the handed-out array is still the storage");
      assert.deepEqual(w, values, "and still holds the weight's values");
    });
  });
});
