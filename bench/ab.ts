// torchlet against itself: two source trees in one process, CPU time per step, samples alternated,
// for a change's before/after on a shared machine (wall time there mostly measures the others).
//   git archive <commit> src package.json tsconfig.json | tar -x -C /tmp/base && ln -s $PWD/node_modules /tmp/base/
//   npx tsx bench/ab.ts --base /tmp/base [--only seed,train,infer1,infer128] [--rounds 9] [--ms 100]
// (--ms: CPU ms per sample, default 60 for seed and infer1, 250 for the others; longer samples
// steady the seed step's ratio on a loaded machine)
// Prints each workload's median CPU time per step for both trees and the median of the per-round
// ratios (new/base: below 1 the working tree is faster).
import type * as TorchletModule from "../src/index-node.ts";
import { argValue, lcgArray } from "./lib.ts";

type Torchlet = typeof TorchletModule;
const baseDir = argValue("--base");
if (baseDir === undefined) throw new Error("bench/ab.ts: --base <directory holding the baseline's src/> is required");
const base: Torchlet = await import(`${baseDir}/src/index-node.ts`);
const work: Torchlet = await import("../src/index-node.ts");
const rounds = Number(argValue("--rounds") ?? 9);

/** One step of a workload of bench/mlp.ts, written as a user writes it. */
function step(torch: Torchlet, name: string): () => void {
  const { nn } = torch;
  const sizes = name === "seed" ? [4, 8, 1] : [784, 256, 256, 10];
  const batch = name === "seed" ? 2 : name === "infer1" ? 1 : 128;
  const layers: TorchletModule.nn.Module[] = [];
  for (let i = 1; i < sizes.length; i++) {
    if (i > 1) layers.push(new nn.ReLU());
    layers.push(new nn.Linear(sizes[i - 1]!, sizes[i]!));
  }
  const net = new nn.Sequential(...layers);
  const x = torch.tensor(lcgArray(batch * sizes[0]!, 1)).view(batch, sizes[0]!);
  if (name.startsWith("infer")) return () => void torch.noGrad(() => net(x));
  const opt = new torch.optim.SGD(net.parameters(), { lr: 0.01 });
  const lossFn = name === "seed" ? new nn.MSELoss() : new nn.CrossEntropyLoss();
  const y = name === "seed"
    ? torch.tensor(lcgArray(batch, 2)).view(batch, 1)
    : torch.tensor(Int32Array.from(lcgArray(batch, 3), (v) => Math.floor(((v + 1) / 2) * 10))).to(torch.int64);
  return () => {
    lossFn(net(x), y).backward();
    opt.step();
    opt.zeroGrad();
  };
}

const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
/** CPU µs per call over about `ms` of CPU time. */
function sample(fn: () => void, ms: number): number {
  const t0 = cpuMs();
  let calls = 0;
  do { fn(); calls++; } while (cpuMs() - t0 < ms);
  return ((cpuMs() - t0) / calls) * 1000;
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const range = (xs: number[], digits = 1) => `${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)}`;

console.log(`# ${rounds} alternated rounds, CPU time per step (µs); base ${baseDir}, new: this tree`);
for (const name of (argValue("--only") ?? "seed,train,infer1,infer128").split(",")) {
  const fa = step(base, name), fb = step(work, name);
  const ms = Number(argValue("--ms") ?? (name === "seed" || name === "infer1" ? 60 : 250));
  sample(fa, 800);
  sample(fb, 800);
  const a: number[] = [], b: number[] = [], r: number[] = [];
  for (let i = 0; i < rounds; i++) {
    let ta: number, tb: number;
    // who goes first alternates, so a drift in load hits both alike
    if (i % 2) { tb = sample(fb, ms); ta = sample(fa, ms); } else { ta = sample(fa, ms); tb = sample(fb, ms); }
    a.push(ta); b.push(tb); r.push(tb / ta);
  }
  console.log(`${name}: base ${median(a).toFixed(1)} (${range(a)}), new ${median(b).toFixed(1)} (${range(b)}), new/base ${median(r).toFixed(3)} (${range(r, 2)})`);
}
