// nn's activations, clamp, pow(2), PReLU and log, forward and backward over a [256, 1024] float32 tensor, against
// PyTorch 1.13 and torchlet's own TypeScript kernels, one thread: the wasm backend's SIMD kernels
// (assembly/activation.ts, activation-ops.ts, log.ts, binary.ts) measured where a model's step calls them. Each
// workload is `f(x).backward(g)` on a leaf, so both sides also accumulate x.grad. Times are CPU time
// of each process, as bench/conv.ts takes them; the peer is bench/pytorch_activations.py.
//   npx tsx bench/activations.ts [--rounds 5] [--seconds 0.3] [--source]
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import type * as TorchletModule from "../src/index-node.ts";
import { argValue, cpuSeconds, formatTime, lcgArray, machine, pytorchEnv, ratioCell, stats, type Stats } from "./lib.ts";

type Torchlet = typeof TorchletModule;
type Tensor = TorchletModule.Tensor;
const torch: Torchlet = await import(process.argv.includes("--source") ? "../src/index-node.ts" : "../dist/index-node.js");
const F = torch.nn.functional;
const rounds = Number(argValue("--rounds") ?? 5), seconds = Number(argValue("--seconds") ?? 0.3);
const SHAPE = [256, 1024];

/** The workloads, each a forward and backward; pytorch_activations.py defines the same ones under the same names. */
function workloads(): [string, () => void][] {
  const input = (seed: number, scale: number) => torch.tensor(lcgArray(SHAPE[0]! * SHAPE[1]!, seed, scale)).reshape(SHAPE);
  const x = input(1, 4).requiresGrad_(), positive = input(3, 0.5).add(1).requiresGrad_(), gy = input(2, 1);
  const slope = torch.tensor([0.25]);
  const fns: [string, (t: Tensor) => Tensor][] = [
    ["relu", (t) => F.relu(t)], ["gelu", (t) => F.gelu(t)], ["gelu tanh", (t) => F.gelu(t, { approximate: "tanh" })],
    ["silu", (t) => F.silu(t)], ["elu", (t) => F.elu(t)], ["mish", (t) => F.mish(t)], ["hardswish", (t) => F.hardswish(t)],
    ["leaky_relu", (t) => F.leakyRelu(t)], ["sigmoid", (t) => t.sigmoid()], ["tanh", (t) => t.tanh()],
  ];
  const ops: [string, (t: Tensor) => Tensor][] = [
    ["clamp(-1, 1)", (t) => t.clamp({ min: -1, max: 1 })], ["pow(2)", (t) => t.pow(2)], ["prelu", (t) => F.prelu(t, slope)],
  ];
  const out = [...fns, ...ops].map(([name, f]): [string, () => void] => [`${name} [256,1024] forward+backward`, () => f(x).backward(gy)]);
  return [...out, ["log [256,1024] forward+backward", () => positive.log().backward(gy)]];
}

torch.setNumThreads(1);
const backends = [["wasm", torch.wasmBackend], ["TypeScript", torch.cpuBackend]] as const;
const ours = new Map<string, Map<string, Stats>>();
for (const [label, backend] of backends) {
  const prev = torch.setBackend(backend);
  try {
    const times = new Map<string, Stats>();
    for (const [name, step] of workloads()) {
      cpuSeconds(seconds, step);
      times.set(name, stats(Array.from({ length: rounds }, () => cpuSeconds(seconds, step))));
    }
    ours.set(label, times);
  } finally {
    torch.setBackend(prev);
  }
}
// PyTorch as its users run it: Debian's OpenBLAS, OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE unset (lib.ts)
const script = fileURLToPath(new URL("./pytorch_activations.py", import.meta.url));
const peer = spawnSync("env", [...pytorchEnv(1), script, "--rounds", String(rounds), "--seconds", String(seconds)], { encoding: "utf8" });
const theirs: Record<string, Stats> = peer.status === 0 ? JSON.parse(peer.stdout) as Record<string, Stats> : {};
if (peer.status !== 0) console.log(`# PyTorch peer unavailable: ${peer.stderr.trim().split("\n").pop()}`);
console.log(`# activations: ${machine()}, one thread, float32, CPU time, median of ${rounds} samples of ${seconds} s`);
console.log("| workload | torchlet (wasm) | torchlet (TypeScript kernels) | PyTorch 1.13 | wasm / TypeScript | wasm / PyTorch |\n|---|---|---|---|---|---|");
for (const [name, s] of ours.get("wasm")!) {
  const ts = ours.get("TypeScript")!.get(name)!, t = theirs[name];
  console.log(`| ${name} | ${formatTime(s.median)} | ${formatTime(ts.median)} | ${t ? formatTime(t.median) : "–"} | ${ratioCell(s.median / ts.median)} | ${ratioCell(t ? s.median / t.median : null)} |`);
}
