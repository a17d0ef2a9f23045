// Convolution and pooling against PyTorch 1.13 on one thread, float32: a 3x3 convolution forward
// and with both gradients, the pooling layers, and a small CNN's training step (convolutions,
// ReLU, max pooling, adaptive average pooling, a Linear head, cross-entropy, SGD). Both sides are
// timed in CPU time of their own process: on a shared machine wall time mostly measures the others.
//   npx tsx bench/conv.ts [--rounds 5] [--seconds 0.5] [--source]
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import type * as TorchletModule from "../src/index-node.ts";
import { argValue, cpuSeconds, formatTime, lcgArray, machine, pytorchEnv, ratioCell, stats, type Stats } from "./lib.ts";

type Torchlet = typeof TorchletModule;
type Tensor = TorchletModule.Tensor;
const torch: Torchlet = await import(process.argv.includes("--source") ? "../src/index-node.ts" : "../dist/index-node.js");
const { nn } = torch;
const rounds = Number(argValue("--rounds") ?? 5), seconds = Number(argValue("--seconds") ?? 0.5);

const input = (shape: number[], seed: number): Tensor => torch.tensor(lcgArray(shape.reduce((p, s) => p * s, 1), seed)).reshape(shape);
const call = (m: unknown, x: Tensor): Tensor => (m as (t: Tensor) => Tensor)(x);

/** The workloads, each a step function; pytorch_conv.py defines the same ones under the same names. */
function workloads(): [string, () => void][] {
  const x = input([8, 64, 32, 32], 1).requiresGrad_();
  const conv = new nn.Conv2d(64, 64, 3, { padding: 1, bias: false });
  const gy = input([8, 64, 32, 32], 2);
  const px = input([8, 64, 32, 32], 3).requiresGrad_();
  const pool = new nn.MaxPool2d(3, { stride: 2, padding: 1 });
  const pg = input([8, 64, 16, 16], 4);
  const cnn = new nn.Sequential(
    new nn.Conv2d(3, 32, 3, { padding: 1 }), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Conv2d(32, 64, 3, { padding: 1 }), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Conv2d(64, 128, 3, { padding: 1 }), new nn.ReLU(), new nn.AdaptiveAvgPool2d(1), new nn.Flatten(), new nn.Linear(128, 10),
  );
  const images = input([32, 3, 32, 32], 5), labels = torch.tensor(Array.from({ length: 32 }, (_, i) => i % 10), { dtype: torch.int64 });
  const lossFn = new nn.CrossEntropyLoss(), opt = new torch.optim.SGD([...cnn.parameters()], { lr: 0.01 });
  return [
    ["conv3x3 64->64 [8,64,32,32] forward", () => { torch.noGrad(() => call(conv, x)); }],
    ["conv3x3 64->64 [8,64,32,32] forward+backward", () => { call(conv, x).backward(gy); }],
    ["maxpool 3/2/1 [8,64,32,32] forward+backward", () => { call(pool, px).backward(pg); }],
    ["cnn train step, batch 32 of 3x32x32", () => {
      const loss = (lossFn as unknown as (a: Tensor, b: Tensor) => Tensor)(call(cnn, images), labels);
      loss.backward();
      opt.step();
      opt.zeroGrad();
    }],
  ];
}

torch.setNumThreads(1);
const ours = new Map<string, Stats>();
for (const [name, step] of workloads()) {
  cpuSeconds(seconds, step);
  ours.set(name, stats(Array.from({ length: rounds }, () => cpuSeconds(seconds, step))));
}
// PyTorch as its users run it: Debian's OpenBLAS, OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE unset (lib.ts)
const peer = spawnSync("env", [...pytorchEnv(1), fileURLToPath(new URL("./pytorch_conv.py", import.meta.url)), "--rounds", String(rounds), "--seconds", String(seconds)], { encoding: "utf8" });
const theirs: Record<string, Stats> = peer.status === 0 ? JSON.parse(peer.stdout) as Record<string, Stats> : {};
if (peer.status !== 0) console.log(`# PyTorch peer unavailable: ${peer.stderr.trim().split("\n").pop()}`);
console.log(`# conv: ${machine()}, one thread, float32, CPU time, median of ${rounds} samples of ${seconds} s`);
console.log("| workload | torchlet | PyTorch 1.13 | torchlet / PyTorch |\n|---|---|---|---|");
for (const [name, s] of ours) {
  const t = theirs[name];
  console.log(`| ${name} | ${formatTime(s.median)} | ${t ? formatTime(t.median) : "–"} | ${ratioCell(t ? s.median / t.median : null)} |`);
}
