import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as torch from "../src/index.ts";
import { Recorder } from "../src/diagnostics/index.ts";

const { nn } = torch;
const close = (a: number | undefined, b: number) => assert.ok(a !== undefined && Math.abs(a - b) < 1e-6, `${a} != ${b}`);

function model(): torch.nn.Sequential {
  const lin = new nn.Linear(2, 2);
  torch.noGrad(() => {
    lin.weight.copy_(torch.tensor([[1, 0], [0, -1]]));
    lin.bias!.zero_();
  });
  return new nn.Sequential(lin, new nn.ReLU());
}

const forwardHooks = (m: torch.nn.Module) => [...m.modules()].reduce((n, x) => n + x._state.hooks.size, 0);

describe("Recorder", () => {
  test("records activation mean, std, dead fraction, output gradient norms and loss per step", () => {
    const net = model();
    const rec = new Recorder(net);
    assert.deepEqual(rec.names, ["0", "1"]);
    // Linear out [[1, -2], [3, -4]]; ReLU out [[1, 0], [3, 0]]; loss = sum = 4
    const loss = net(torch.tensor([[1, 2], [3, 4]])).sum();
    loss.backward();
    rec.recordLoss(loss);
    rec.step();
    const lin = rec.history.get("0")!, relu = rec.history.get("1")!;
    close(lin.mean[0], -0.5);
    close(lin.std[0], Math.sqrt((1 + 4 + 9 + 16) / 4 - 0.25)); // population std
    close(lin.dead[0], 0);
    close(relu.mean[0], 1);
    close(relu.std[0], Math.sqrt(1.5));
    close(relu.dead[0], 0.5);
    // d(sum)/d(relu out) is all ones: norm 2; through the ReLU mask [[1, 0], [1, 0]]: norm √2
    close(relu.gradNorm[0], 2);
    close(lin.gradNorm[0], Math.SQRT2);
    assert.deepEqual(rec.losses, [4]);

    torch.noGrad(() => net(torch.tensor([[-1, -1]]))); // a step without backward or loss
    rec.step();
    assert.equal(rec.steps, 2);
    close(relu.dead[1], 0.5);
    assert.ok(Number.isNaN(relu.gradNorm[1]!) && Number.isNaN(rec.losses[1]!));
    rec.remove();
  });

  test("chooses modules by name and rejects unknown names", () => {
    const net = model();
    assert.deepEqual(new Recorder(net, { modules: ["1"] }).names, ["1"]);
    assert.deepEqual(new Recorder(net, { types: [nn.Linear] }).names, ["0"]);
    assert.throws(() => new Recorder(net, { modules: ["2"] }), /Recorder: no module named "2" in Sequential; names are "", "0", "1"/);
  });

  test("remove() leaves no forward hook and no tensor hook attached, even before backward ran", () => {
    const net = model();
    const rec = new Recorder(net);
    assert.equal(forwardHooks(net), 2);
    const out = net(torch.tensor([[1, 2]]));
    const linOut = out.gradFn!.edges[0] as torch.autograd.Node;
    assert.equal(out.gradFn!.hooks.length, 1);
    assert.equal(linOut.hooks.length, 1);
    assert.equal(rec.attachedHooks, 4);
    rec.remove();
    assert.equal(forwardHooks(net), 0);
    assert.equal(out.gradFn!.hooks.length, 0);
    assert.equal(linOut.hooks.length, 0);
    assert.equal(rec.attachedHooks, 0);
    // what was seen before remove() stays; nothing after it is recorded (ReLU out [1, 0], not [5, 0])
    net(torch.tensor([[5, 5]])).sum().backward();
    rec.step();
    close(rec.history.get("1")!.mean[0], 0.5);
    assert.ok(Number.isNaN(rec.history.get("1")!.gradNorm[0]!));
  });
});
