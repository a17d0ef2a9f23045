import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as torch from "../src/index.ts";
import { summary } from "../src/diagnostics/index.ts";

const { nn } = torch;

function hookCount(model: torch.nn.Module): number {
  let n = 0;
  for (const m of model.modules()) n += m._state.hooks.size + m._state.preHooks.size;
  return n;
}

describe("summary", () => {
  test("counts a lazy model with a shared layer once, with output shapes and byte totals", () => {
    torch.manualSeed(0);
    const shared = new nn.Linear(8, 8);
    const net = new nn.Sequential(new nn.LazyLinear(8), new nn.ReLU(), shared, new nn.ReLU(), shared, new nn.ReLU(), new nn.Linear(8, 1));
    const s = summary(net, [2, 4]);
    // by hand: LazyLinear 4*8+8 = 40, shared 8*8+8 = 72 (once), last 8+1 = 9
    assert.equal(s.totalParams, 121);
    assert.equal(s.trainableParams, 121);
    assert.equal(s.paramBytes, 121 * 4);
    // six [2, 8] outputs and one [2, 1] output of float32 leaves: (6*16 + 2) * 4
    assert.equal(s.activationBytes, 392);
    assert.deepEqual(s.rows.map((r) => r.path), ["", "0", "1", "2", "3", "4", "5", "6"]);
    assert.deepEqual(s.rows.map((r) => r.countedParams), [0, 40, 0, 72, 0, 0, 0, 9]);
    assert.equal(s.rows[5]!.params, 72);
    assert.equal(s.rows[5]!.sharedWith, "2");
    assert.equal(s.rows[3]!.sharedWith, null);
    assert.deepEqual(s.rows[0]!.outputShapes, [[2, 1]]);
    assert.deepEqual(s.rows[1]!.outputShapes, [[2, 8]]);
    assert.equal(s.rows[1]!.className, "Linear"); // materialized by the example input
    assert.equal(hookCount(net), 0);
    const text = String(s);
    assert.match(text, /Total params: 121\n/);
    assert.match(text, /└─4 \(Linear\) +\[2, 8\] +72 \(counted 0\) +yes +with 2/);
  });

  test("marks frozen layers and a parameter tied between two distinct modules", () => {
    const a = new nn.Linear(3, 3), b = new nn.Linear(3, 3), head = new nn.Linear(3, 2);
    b.weight = a.weight;
    head.requiresGrad_(false);
    const s = summary(new nn.Sequential(a, b, head), torch.zeros(5, 3));
    // a: 9 + 3, b: its own bias 3 (weight counted at 0.weight), head: 6 + 2 frozen
    assert.equal(s.totalParams, 23);
    assert.equal(s.trainableParams, 15);
    assert.equal(s.nonTrainableParams, 8);
    const rowB = s.rows.find((r) => r.path === "1")!;
    assert.deepEqual([rowB.params, rowB.countedParams, rowB.sharedWith], [12, 3, "0.weight"]);
    assert.equal(s.rows.find((r) => r.path === "2")!.trainable, "no");
    assert.equal(s.rows[0]!.trainable, "--");
  });

  test("a lazy module the input never reaches counts 0 and keeps its lazy name", () => {
    class Unused extends nn.Module {
      declare used: torch.nn.Linear;
      declare spare: torch.nn.LazyLinear;
      constructor() { super(); this.used = new nn.Linear(2, 2); this.spare = new nn.LazyLinear(4); }
      forward(x: torch.Tensor): torch.Tensor { return this.used(x); }
    }
    const s = summary(new Unused(), [1, 2]);
    assert.equal(s.totalParams, 6);
    assert.deepEqual([s.rows[2]!.className, s.rows[2]!.params, s.rows[2]!.outputShapes], ["LazyLinear", 0, []]);
    assert.match(String(s), /spare \(LazyLinear\) +-- +-- +yes/);
  });

  test("a module called twice at one path lists both outputs; shapes may be given as a list", () => {
    class Twice extends nn.Module {
      declare lin: torch.nn.Linear;
      constructor() { super(); this.lin = new nn.Linear(2, 2); }
      forward(x: torch.Tensor, y: torch.Tensor): torch.Tensor { return this.lin(x).sum().add(this.lin(y).sum()); }
    }
    const s = summary(new Twice(), [[1, 2], [3, 2]]);
    assert.deepEqual(s.rows[1]!.outputShapes, [[1, 2], [3, 2]]);
    assert.deepEqual(s.rows[0]!.outputShapes, [[]]);
    assert.deepEqual(s.inputShapes, [[1, 2], [3, 2]]);
    assert.equal(s.activationBytes, (2 + 6) * 4);
  });

  test("a model that fails on the input names the failing module, its input and the cause; no hook stays", () => {
    const net = new nn.Sequential(new nn.Sequential(new nn.Linear(4, 3)), new nn.ReLU());
    assert.throws(() => summary(net, [2, 5]), (e: Error) => {
      assert.match(e.message, /module 0\.0 \(Linear\) failed on input shape\(s\) \[2, 5\] \(model input \[2, 5\]\)/);
      assert.match(e.message, /mat1 and mat2 shapes cannot be multiplied \(2x5 and 4x3\)/);
      return e instanceof torch.TorchletError;
    });
    assert.equal(hookCount(net), 0);
    class Picky extends nn.Module {
      forward(x: torch.Tensor): torch.Tensor { if (x.ndim !== 3) throw new Error("expected a 3-D input"); return x; }
    }
    assert.throws(() => summary(new Picky(), [4]), /module \(root\) \(Picky\) failed on input shape\(s\) \[4\] .*expected a 3-D input/);
  });
});
