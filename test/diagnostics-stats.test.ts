import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as torch from "../src/index.ts";
import { formatTable, parameterStats } from "../src/diagnostics/index.ts";
import { loadSafetensors } from "../src/io/files-node.ts";
import { fixtureDir } from "./io-helpers.ts";
import { join } from "node:path";

const { nn } = torch;
const close = (a: number | null, b: number) => assert.ok(a !== null && Math.abs(a - b) < 1e-12, `${a} != ${b}`);

describe("parameterStats", () => {
  test("matches hand-computed statistics of weights and gradients", () => {
    const lin = new nn.Linear(2, 2);
    torch.noGrad(() => {
      lin.weight.copy_(torch.tensor([[1, -2], [0, 3]]));
      lin.bias!.copy_(torch.tensor([0, 0]));
    });
    lin.weight.grad = torch.tensor([[3, 4], [0, 0]]);
    const [w, b] = parameterStats(lin);
    assert.deepEqual([w!.name, w!.shape, w!.dtype, w!.requiresGrad], ["weight", [2, 2], "float32", true]);
    // mean 0.5; squared deviations 0.25 + 6.25 + 0.25 + 6.25 = 13 over n-1 = 3
    close(w!.mean, 0.5);
    close(w!.std, Math.sqrt(13 / 3));
    assert.deepEqual([w!.min, w!.max, w!.zeros, w!.nan, w!.inf], [-2, 3, 0.25, 0, 0]);
    close(w!.norm, Math.sqrt(14));
    close(w!.gradNorm, 5);
    close(w!.gradRatio, 5 / Math.sqrt(14));
    assert.deepEqual([b!.zeros, b!.norm, b!.gradNorm, b!.gradRatio], [1, 0, null, null]);
  });

  test("counts NaN and Inf apart; the other statistics use the finite values and the norm shows them", () => {
    const [row] = parameterStats(new Map([["x", torch.tensor([NaN, Infinity, 1, 2])]]));
    assert.deepEqual([row!.nan, row!.inf, row!.min, row!.max, row!.mean], [1, 1, 1, 2, 1.5]);
    close(row!.std, Math.SQRT1_2);
    assert.ok(Number.isNaN(row!.norm));
  });

  test("tied parameters appear once with all their names, from a model and from its state dict", () => {
    const shared = new nn.Linear(3, 3);
    const net = new nn.Sequential(new nn.Linear(2, 3), shared, new nn.ReLU(), shared);
    const names = (rows: ReturnType<typeof parameterStats>) => rows.map((r) => r.names);
    const expected = [["0.weight"], ["0.bias"], ["1.weight", "3.weight"], ["1.bias", "3.bias"]];
    assert.deepEqual(names(parameterStats(net)), expected);
    assert.deepEqual(names(parameterStats(net.stateDict())), expected);
  });

  test("skips lazy parameters that have no shape yet and reads int64 and float16 tensors", () => {
    assert.deepEqual(parameterStats(new nn.LazyLinear(3)), []);
    const rows = parameterStats(new Map([
      ["i", torch.tensor([1, 2, 3], { dtype: torch.int64 })], // half bits written directly: 0x3800 is 0.5, 0xb800 is -0.5
      ["h", torch.Tensor.fromArray(new Uint16Array([0x3800, 0xb800]), [2], torch.float16)],
    ]));
    assert.deepEqual(rows.map((r) => [r.dtype, r.mean, r.max]), [["int64", 2, 3], ["float16", 0, 0.5]]);
  });

  test("decodes the half-precision values PyTorch wrote (0, -0, 1.5, -2.25, ±inf, nan, 2^-23, 65504, inf)", () => {
    const rows = parameterStats(loadSafetensors(join(fixtureDir, "dtypes.safetensors")));
    const h = rows.find((r) => r.name === "float16")!;
    assert.deepEqual([h.nan, h.inf, h.min, h.max, h.zeros], [1, 3, -2.25, 65504, 0.2]);
    close(h.mean, (1.5 - 2.25 + 2 ** -23 + 65504) / 6);
    assert.deepEqual(rows.find((r) => r.name === "empty")!.shape, [0, 3]);
  });
});

describe("formatTable", () => {
  test("prints aligned columns, tied names joined, and '-' where there is no gradient", () => {
    const shared = new nn.Linear(2, 2);
    const text = formatTable(parameterStats(new nn.Sequential(shared, shared)));
    const lines = text.trimEnd().split("\n");
    assert.equal(lines.length, 4);
    assert.match(lines[0]!, /^name +shape +dtype +mean +std +min +max +norm +zeros +nan +inf +grad norm +grad\/weight$/);
    assert.match(lines[2]!, /^0\.weight = 1\.weight +\[2, 2\] +float32 .* -+ +-$/);
    // right-aligned columns end at the same place on every line
    const end = (l: string) => l.indexOf("float32") + "float32".length;
    assert.equal(end(lines[2]!), end(lines[3]!));
  });
});
