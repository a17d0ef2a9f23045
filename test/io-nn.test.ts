import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import type { Tensor } from "../src/tensor.ts";
import { load, loadSafetensors, save, saveSafetensors } from "../src/io/files-node.ts";
import { deserialize, serialize } from "../src/io/serialize.ts";
import { openZip } from "../src/io/zip.ts";
import { Module } from "../src/nn/module.ts";
import { Linear } from "../src/nn/linear.ts";
import { Sequential } from "../src/nn/container.ts";
import { Parameter } from "../src/nn/parameter.ts";
import { randn, tensor } from "../src/ops/creation.ts";
import { expected, fixture } from "./io-helpers.ts";

const dir = mkdtempSync(join(tmpdir(), "torchlet-io-nn-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** D2L 6.6's MLP. */
class MLP extends Module {
  hidden = new Linear(20, 256);
  output = new Linear(256, 10);
  forward(x: Tensor): Tensor { return this.output(this.hidden(x).relu()); }
}

class ReLU extends Module {
  forward(x: Tensor): Tensor { return x.relu(); }
}

function tiedPair(): Sequential<[Linear, Linear]> {
  const net = new Sequential(new Linear(2, 2), new Linear(2, 2));
  net[1].weight = net[0].weight;
  return net;
}

describe("state dicts through files", () => {
  test("D2L 6.6: clone.loadStateDict(load('mlp.params')) gives the same output", () => {
    const net = new MLP();
    const X = randn(2, 20);
    const Y = net(X);
    const path = join(dir, "mlp.params");
    save(net.stateDict(), path);
    const clone = new MLP();
    clone.loadStateDict(load<Map<string, Tensor>>(path));
    assert.deepEqual(clone(X).tolist(), Y.tolist());
  });

  test("a state dict PyTorch saved loads into the same architecture and gives PyTorch's output", () => {
    const net = new Sequential(new Linear(3, 4), new ReLU(), new Linear(4, 2));
    net.loadStateDict(deserialize(fixture("mlp.pt")) as Map<string, Tensor>);
    const y = (net(tensor(expected.mlp_forward.input)).tolist() as number[][]).flat();
    expected.mlp_forward.output.flat().forEach((v, i) => assert.ok(Math.abs(y[i]! - v) < 1e-6, `${y[i]} vs ${v}`));
  });

  test("tied parameters are saved as one storage and load back tied", () => {
    const bytes = serialize(tiedPair().stateDict());
    const records = [...openZip(bytes, "x").entries.keys()].filter((n) => n.includes("/data/"));
    assert.equal(records.length, 3);
    const sd = deserialize(bytes) as Map<string, Tensor>;
    assert.equal(sd.get("0.weight")!.storage, sd.get("1.weight")!.storage);
    const clone = tiedPair();
    clone.loadStateDict(sd);
    assert.deepEqual(clone[1].weight.tolist(), sd.get("0.weight")!.tolist());
  });

  test("tied parameters through safetensors: stored once, re-tied on load", () => {
    const net = tiedPair();
    const path = join(dir, "tied.safetensors");
    saveSafetensors(net.stateDict(), path);
    const sd = loadSafetensors(path);
    assert.deepEqual([...sd.keys()].sort(), ["0.bias", "0.weight", "1.bias", "1.weight"]);
    assert.equal(sd.get("0.weight")!.storage, sd.get("1.weight")!.storage);
    tiedPair().loadStateDict(sd);
  });

  test("a saved Parameter loads as a Parameter", () => {
    const p = new Parameter(tensor([1, 2]));
    const back = deserialize(serialize({ p })) as Map<string, Tensor>;
    assert.ok(back.get("p") instanceof Parameter);
    assert.equal(back.get("p")!.requiresGrad, true);
  });
});
