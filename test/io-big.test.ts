/**
 * > 4 GiB interop with PyTorch, run only when asked (TORCHLET_BIG=1; needs /usr/bin/python3 with
 * torch, about 9 GB of free disk in the temp folder and a few minutes): PyTorch's torch.save of a
 * > 4 GiB tensor is read lazily by torchlet, and torchlet's streamed zip64 save of it is read back
 * by PyTorch. CI stays fast: without the variable the test is skipped.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { inspectFile } from "../src/cli/inspect.ts";
import { load, save } from "../src/io/files-node.ts";
import type { Tensor } from "../src/tensor.ts";

test("a > 4 GiB .pt round-trips between PyTorch and torchlet, lazily", { skip: process.env.TORCHLET_BIG !== "1" }, () => {
  const dir = mkdtempSync(join(tmpdir(), "torchlet-big-"));
  try {
    const fromTorch = join(dir, "torch.pt"), fromTorchlet = join(dir, "torchlet.pt");
    const n = 2 ** 30 + 2 ** 20; // 4 GiB + 4 MiB of float32
    execFileSync("/usr/bin/python3", ["-c", `
import torch
t = torch.zeros(${n})
t[0] = 1.5; t[-1] = -2.25; t[${n} // 2] = 3.0
torch.save({"big": t, "small": torch.arange(3.0)}, ${JSON.stringify(fromTorch)})
`], { stdio: "inherit" });
    assert.ok(statSync(fromTorch).size > 2 ** 32);
    const start = performance.now();
    const report = inspectFile(fromTorch);
    assert.ok(performance.now() - start < 2000);
    assert.deepEqual(report.tensors.map((t) => [t.name, t.params]), [["big", n], ["small", 3]]);
    const sd = load<Map<string, Tensor>>(fromTorch, { lazy: true });
    assert.deepEqual(sd.get("small")!.tolist(), [0, 1, 2]);
    const big = sd.get("big")!;
    assert.deepEqual([big.at(0).item(), big.at(n - 1).item(), big.at(n / 2 | 0).item()], [1.5, -2.25, 3]);
    save(sd, fromTorchlet);
    assert.ok(statSync(fromTorchlet).size > 2 ** 32);
    const out = execFileSync("/usr/bin/python3", ["-c", `
import torch
d = torch.load(${JSON.stringify(fromTorchlet)}, weights_only=True)
b = d["big"]
print(b.numel(), b[0].item(), b[-1].item(), b[${n} // 2].item(), d["small"].tolist())
`], { encoding: "utf8" });
    assert.equal(out.trim(), `${n} 1.5 -2.25 3.0 [0.0, 1.0, 2.0]`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
