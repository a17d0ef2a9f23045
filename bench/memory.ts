// Memory benchmark (issue 5, target 5): the 784-256-256-10 MLP trained with cross-entropy and SGD for
// many steps, with no dispose() or tidy(); resident memory and the wasm backend's memory must stay flat
// (under 5% growth from the end of the warm-up to the last step).
//   npx tsx bench/memory.ts                               10,000 steps after 1,000 of warm-up, torchlet from dist/
//   npx tsx bench/memory.ts --steps 2000 --warmup 200     shorter
//   npx tsx bench/memory.ts --every 500 --source          sampling interval; torchlet from src/ through tsx
//   npx tsx bench/memory.ts --threads 2                   large matmuls on both cores
//   node --max-semi-space-size=8 --import tsx bench/memory.ts   V8's young generation held at 8 MiB
// heapTotal is V8's committed heap: a one-time jump of it (V8 doubling its young generation from 8 to
// 16 MiB semi-spaces) is the step in rss that the run shows within its first ~2,000 steps.
import type * as TorchletModule from "../src/index-node.ts";
import { argValue, lcgArray, machine } from "./lib.ts";

type Torchlet = typeof TorchletModule;

const steps = Number(argValue("--steps") ?? 10_000);
const warmup = Number(argValue("--warmup") ?? 1_000);
const every = Number(argValue("--every") ?? 500);
const source = process.argv.includes("--source");
const torch: Torchlet = await import(source ? "../src/index-node.ts" : "../dist/index-node.js");
// the wasm backend's memory (parameters live there; operands from V8's heap are staged there)
const heap: typeof import("../src/backend/wasm/heap.ts") = await import(source ? "../src/backend/wasm/heap.ts" : "../dist/backend/wasm/heap.js");
const { nn } = torch;
torch.setNumThreads(Number(argValue("--threads") ?? 1));

const net = new nn.Sequential(new nn.Linear(784, 256), new nn.ReLU(), new nn.Linear(256, 256), new nn.ReLU(), new nn.Linear(256, 10));
const x = torch.tensor(lcgArray(128 * 784, 1)).view(128, 784);
const labels = torch.tensor(Int32Array.from(lcgArray(128, 3), (v) => Math.floor(((v + 1) / 2) * 10))).to(torch.int64);
const lossFn = new nn.CrossEntropyLoss();
const opt = new torch.optim.SGD(net.parameters(), { lr: 0.01 });

const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);

console.log(`# ${machine()}; torchlet ${source ? "src/ via tsx" : "dist/"}, backend ${torch.backend().name}, ${torch.getNumThreads()} thread(s)`);
console.log(`# MLP 784-256-256-10, batch 128, cross-entropy + SGD: ${steps} steps after ${warmup} warm-up steps, no dispose()/tidy()`);
console.log("| step | rss MiB | heapTotal MiB | heapUsed MiB | external MiB | arrayBuffers MiB | wasm memory MiB | wasm heap in use MiB | ms/step since last row |");
console.log("|---|---|---|---|---|---|---|---|---|");
const rss: number[] = [];
let base = 0;
let peak = 0;
let wasmBase = 0;
let wasmEnd = 0;
let last = performance.now();
for (let i = 1; i <= warmup + steps; i++) {
  lossFn(net(x), labels).backward();
  opt.step();
  opt.zeroGrad();
  const done = i - warmup;
  if (done === 0 || (done > 0 && (done % every === 0 || done === steps))) {
    const m = process.memoryUsage();
    const now = performance.now();
    const rate = done === 0 ? (now - last) / warmup : (now - last) / (done % every || every);
    last = now;
    const w = heap.wasmHeapStats();
    if (done === 0) [base, wasmBase] = [m.rss, w.memoryBytes];
    peak = Math.max(peak, m.rss);
    if (done > 0) rss.push(m.rss);
    wasmEnd = w.memoryBytes;
    console.log(`| ${done === 0 ? "0 (end of warm-up)" : done} | ${mib(m.rss)} | ${mib(m.heapTotal)} | ${mib(m.heapUsed)} | ${mib(m.external)} | ${mib(m.arrayBuffers)} | ${mib(w.memoryBytes)} | ${mib(w.heapTop)} | ${rate.toFixed(2)} |`);
  }
}
const end = process.memoryUsage().rss;
const growth = ((end - base) / base) * 100;
const peakGrowth = ((peak - base) / base) * 100;
// A single sample sits anywhere in the collector's sawtooth; halves' medians show a trend (a leak) apart from it.
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? NaN;
const [first, second] = [med(rss.slice(0, rss.length >> 1)), med(rss.slice(rss.length >> 1))];
console.log(`median rss, first half of the samples ${mib(first)} MiB, second half ${mib(second)} MiB (${(((second - first) / first) * 100).toFixed(1)}%)`);
const wasmGrowth = wasmBase === 0 ? 0 : ((wasmEnd - wasmBase) / wasmBase) * 100;
console.log(`rss growth from the end of warm-up to step ${steps}: ${growth.toFixed(1)}% (peak ${peakGrowth.toFixed(1)}%); wasm memory ${wasmGrowth.toFixed(1)}%; target under 5% for both: ${growth < 5 && wasmGrowth < 5 ? "met" : "not met"}`);
