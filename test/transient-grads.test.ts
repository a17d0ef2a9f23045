// The backward pass's gradients as transient blocks of the wasm backend's memory (autograd/engine.ts
// PassBlocks): each is freed the moment nothing pending holds it, so a synchronous training loop
// reuses the same blocks step after step, and nothing user code can still reach is ever freed.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as torch from "../src/index.ts";
import { onBackend, sameBits } from "./backend-helpers.ts";
import { RESIDENT_BUDGET_DEFAULT, setResidentBudget, setTransientBudget, TRANSIENT_BUDGET_BYTES, wasmHeapStats } from "../src/backend/wasm/heap.ts";
import { residentEvictions } from "../src/ops/resident.ts";

const { nn } = torch;

const resident = (t: torch.Tensor) => torch.wasmBackend.resident(t.storage.data);

/** A 256-256-256-10 MLP at batch 64 (16,384-float activations) and its training step; `setToNone` as zeroGrad's option. */
function trainer(setToNone = false) {
  torch.manualSeed(0);
  const net = new nn.Sequential(new nn.Linear(256, 256), new nn.ReLU(), new nn.Linear(256, 256), new nn.GELU(), new nn.Linear(256, 10));
  const x = torch.randn(64, 256), labels = torch.randint(0, 10, [64]);
  const opt = new torch.optim.SGD(net.parameters(), { lr: 0.05, momentum: 0.9 });
  const lossFn = new nn.CrossEntropyLoss();
  const step = () => {
    const loss = lossFn(net(x), labels);
    loss.backward();
    opt.step();
    opt.zeroGrad({ setToNone });
    return Number(loss.item());
  };
  return { net, step };
}

describe("transient gradients in the backward pass", () => {
  for (const setToNone of [false, true]) {
    test(`a synchronous training loop reuses its blocks (zeroGrad setToNone: ${setToNone}) and trains as the reference does`, () => {
      const ref = onBackend(torch.cpuBackend, () => {
        const t = trainer(setToNone);
        return Array.from({ length: 40 }, t.step);
      });
      onBackend(torch.wasmBackend, () => {
        const t = trainer(setToNone), losses: number[] = [];
        for (let i = 0; i < 10; i++) losses.push(t.step());
        const top = wasmHeapStats().heapTop, blocks = wasmHeapStats().residentBlocks;
        for (let i = 10; i < 40; i++) {
          losses.push(t.step());
          assert.equal(wasmHeapStats().transientBlocks, 0, `step ${i}: no block is still recorded after the pass`);
        }
        // no turn of the event loop: only the engine's frees can have returned the blocks
        assert.equal(wasmHeapStats().heapTop, top, "30 more steps grew the heap by nothing");
        assert.ok(wasmHeapStats().residentBlocks <= blocks, `resident blocks ${wasmHeapStats().residentBlocks}, ${blocks} after warm-up`);
        for (const [i, l] of losses.entries()) assert.ok(Math.abs(l - ref[i]!) <= 1e-5 * Math.max(1, Math.abs(ref[i]!)), `loss ${i}: ${l} against ${ref[i]}`);
      });
    });
  }

  test("the gradients are resident: a hook sees one, and what it keeps stays intact through later passes", () => {
    onBackend(torch.wasmBackend, () => {
      const { net, step } = trainer();
      const kept: torch.Tensor[] = [], copies: torch.Tensor[] = [];
      const hook = (net[1] as torch.nn.Module).registerForwardHook((_m, _in, out) => {
        (out as torch.Tensor).registerHook((g) => {
          kept.push(g);
          copies.push(g.clone());
        });
      });
      step();
      hook.remove();
      for (let i = 0; i < 5; i++) step();
      assert.equal(kept.length, 1);
      assert.ok(resident(kept[0]!), "the hook saw a gradient in wasm memory");
      assert.ok(torch.equal(kept[0]!, copies[0]!), "five more passes did not reuse its block");
    });
  });

  test("retainGrad, pass-through and shared gradients keep the reference's values", () => {
    // a diamond whose branches pass the gradient through unchanged (add, a view) and share one input
    const run = () => {
      torch.manualSeed(1);
      const a = torch.randn([64, 128], { requiresGrad: true }), w = torch.randn([128, 128], { requiresGrad: true });
      const h = a.matmul(w);
      h.retainGrad();
      const v = h.view(128, 64);
      const y = h.relu().add(v.view(64, 128)).add(h.mul(2)).sum(0).square().sum();
      y.backward();
      // the retained gradient itself, not a copy: later passes must not reuse its storage
      return [a.grad!.clone(), w.grad!.clone(), h.grad!];
    };
    const want = onBackend(torch.cpuBackend, run);
    const got = onBackend(torch.wasmBackend, () => {
      const r = run();
      for (let i = 0; i < 3; i++) run(); // later passes reuse the blocks; the clones above must not change
      return r;
    });
    // the GEMMs sum in another order: within 1e-5 of the largest value (a freed block would be garbage)
    for (const [i, name] of ["a.grad", "w.grad", "h.grad (retained)"].entries()) {
      const err = Number(got[i]!.sub(want[i]!).abs().max().item()), scale = Number(want[i]!.abs().max().item());
      assert.ok(err <= 1e-5 * scale, `${name}: off by ${err} at a scale of ${scale}`);
    }
  });

  test("past the budget, results go to V8's heap and the pass computes the same", () => {
    const losses = (budget: number) => onBackend(torch.wasmBackend, () => {
      setTransientBudget(budget);
      try {
        const t = trainer(), seen: boolean[] = [];
        const hook = (t.net[2] as torch.nn.Module).registerForwardHook((_m, _in, out) => {
          (out as torch.Tensor).registerHook((g) => void seen.push(resident(g)));
        });
        const out = Array.from({ length: 5 }, t.step);
        hook.remove();
        return { out, seen };
      } finally {
        setTransientBudget(TRANSIENT_BUDGET_BYTES);
      }
    });
    // 64 KiB holds one 64 x 256 gradient at a time: that pass runs out of budget mid-way
    const none = losses(0), one = losses(64 * 1024), all = losses(TRANSIENT_BUDGET_BYTES);
    assert.deepEqual(none.seen, [false, false, false, false, false], "no budget: every gradient on V8's heap");
    assert.deepEqual(all.seen, [true, true, true, true, true], "the default budget: resident");
    assert.deepEqual(none.out, all.out, "the same losses, bit for bit");
    assert.deepEqual(one.out, all.out, "the same losses with a budget that runs out mid-pass");
  });

  // Where a result lives changes nothing the kernels compute: with transient results and with none
  // (budget 0), every parameter's gradient must have the same bits. A block freed while still
  // pending would show here, through whichever rule reads it.
  const families: [string, () => { net: torch.nn.Module; loss: () => torch.Tensor }][] = [
    ["a transformer encoder layer (attention, layer norm, GELU, dropout off)", () => {
      const net = new nn.TransformerEncoderLayer(64, 4, { dimFeedforward: 128, dropout: 0, batchFirst: true, activation: "gelu" });
      const x = torch.randn(4, 16, 64);
      return { net, loss: () => net(x).square().mean() };
    }],
    ["a convolution block (conv, batch norm, ReLU, max pool)", () => {
      const net = new nn.Sequential(new nn.Conv2d(3, 16, 3, { padding: 1 }), new nn.BatchNorm2d(16), new nn.ReLU(), new nn.MaxPool2d(2), new nn.Conv2d(16, 8, 3));
      const x = torch.randn(4, 3, 16, 16);
      return { net, loss: () => net(x).square().mean() };
    }],
    ["a two-layer LSTM and an embedding", () => {
      const emb = new nn.Embedding(50, 32), lstm = new nn.LSTM(32, 64, { numLayers: 2, batchFirst: true });
      const net = new nn.ModuleList([emb, lstm]);
      const ids = torch.randint(0, 50, [8, 12]);
      return { net, loss: () => (lstm(emb(ids)) as [torch.Tensor, unknown])[0].tanh().sum() };
    }],
  ];
  for (const [name, make] of families) {
    test(`${name}: the same gradient bits with and without transient results`, () => {
      const grads = (budget: number) => onBackend(torch.wasmBackend, () => {
        setTransientBudget(budget);
        try {
          torch.manualSeed(3);
          const { net, loss } = make();
          let out: number[][] = [];
          for (let step = 0; step < 3; step++) {
            for (const p of net.parameters()) p.grad = null;
            loss().backward();
            out = [...net.parameters()].map((p) => Array.from(p.grad!.contiguousData() as Float32Array));
          }
          return out;
        } finally {
          setTransientBudget(TRANSIENT_BUDGET_BYTES);
        }
      });
      const none = grads(0), transient = grads(TRANSIENT_BUDGET_BYTES);
      assert.equal(transient.length, none.length);
      for (const [i, g] of transient.entries()) sameBits(g, none[i]!, `parameter ${i}'s gradient`);
    });
  }

  test("the pass's blocks do not count against the budget for long-lived tensors", () => {
    // weights and gradients take 2.52 MiB of 2.6 MiB left in the budget (above what earlier tests
    // left resident). Each gradient moves next to its weight the first time it is accumulated into,
    // during the second backward pass, beside that pass's 256 KiB activation gradients: counted,
    // those would evict the weights
    setResidentBudget(wasmHeapStats().residentBytes + 2.6 * 2 ** 20);
    try {
      onBackend(torch.wasmBackend, () => {
        torch.manualSeed(0);
        const net = new nn.Sequential(new nn.Linear(256, 1024), new nn.ReLU(), new nn.Linear(1024, 64));
        const opt = new torch.optim.SGD(net.parameters(), { lr: 0.01 }), x = torch.randn(64, 256);
        const step = () => {
          opt.zeroGrad();
          net(x).square().mean().backward();
          opt.step();
        };
        step();
        const before = residentEvictions();
        for (let i = 0; i < 5; i++) step();
        assert.equal(residentEvictions(), before, "no eviction in five steps");
        for (const p of net.parameters()) if (p.ndim === 2) assert.ok(resident(p) && resident(p.grad!), "weights and their gradients resident");
      });
    } finally {
      setResidentBudget(RESIDENT_BUDGET_DEFAULT);
    }
  });

  test("a pass that throws in a hook leaves the next pass correct", () => {
    onBackend(torch.wasmBackend, () => {
      const { net, step } = trainer();
      step();
      const bad = (net[2] as torch.nn.Linear).weight.registerHook(() => {
        throw new Error("hook failed");
      });
      const x = torch.randn(64, 256);
      assert.throws(() => net(x).sum().backward(), /hook failed/);
      bad.remove();
      assert.equal(wasmHeapStats().transientBlocks, 0, "the failed pass forgot its blocks");
      for (const p of net.parameters()) p.grad = null;
      const again = torch.randn(64, 256);
      net(again).square().mean().backward();
      const g = (net[0] as torch.nn.Linear).weight.grad!.clone();
      const ref = onBackend(torch.cpuBackend, () => {
        for (const p of net.parameters()) p.grad = null;
        net(again).square().mean().backward();
        return (net[0] as torch.nn.Linear).weight.grad!.clone();
      });
      assert.ok(torch.allclose(g, ref, { rtol: 1e-4, atol: 1e-5 }), "the first layer's gradient against the reference");
    });
  });
});
