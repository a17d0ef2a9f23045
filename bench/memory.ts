// Memory benchmark (issue 5, target 5; issue 15, must-have 3): a model trained for many steps with no
// dispose() or tidy(); resident memory and the wasm backend's memory must stay flat (under 5% growth
// from the end of the warm-up to the last step).
//   npx tsx bench/memory.ts                               the 784-256-256-10 MLP, cross-entropy + SGD: 10,000
//                                                         steps after 1,000 of warm-up, torchlet from dist/
//   npx tsx bench/memory.ts --model cnn                   examples/resnet.ts's ResNet-18, batch 4 of 3x32x32,
//                                                         SGD with momentum: 1,000 steps after 100 of warm-up
//   npx tsx bench/memory.ts --model gpt                   examples/gpt.ts's GPT (bench/gpt.ts's config), AdamW:
//                                                         1,000 steps after 100 of warm-up
//   npx tsx bench/memory.ts --model folds                 cross-validation folds: each step builds a fresh
//                                                         1024-4096-1024 MLP (34 MB of weights) and SGD with
//                                                         momentum and trains it 3 steps; 40 after 10 of warm-up,
//                                                         a sample after each. Dead models' wasm blocks must
//                                                         come back inside the loop
//   npx tsx bench/memory.ts --model lstm                  bench/rnn.ts's LSTM language model (35 steps, batch 32,
//                                                         256 hidden, clipping, SGD): 1,000 steps after 100 of warm-up
//   npx tsx bench/memory.ts --steps 2000 --warmup 200     shorter
//   npx tsx bench/memory.ts --every 500 --source          sampling interval; torchlet from src/ through tsx
//                                                         (always for cnn, gpt and folds: the examples import "torchlet",
//                                                         which tsconfig maps to src/)
//   npx tsx bench/memory.ts --threads 2                   large matmuls on both cores
//   node --max-semi-space-size=8 --import tsx bench/memory.ts   V8's young generation held at 8 MiB
// heapTotal is V8's committed heap: a one-time jump of it (V8 doubling its young generation from 8 to
// 16 MiB semi-spaces) is the step in rss that the run shows within its first ~2,000 steps.
import type * as TorchletModule from "../src/index-node.ts";
import { argValue, lcgArray, machine } from "./lib.ts";

type Torchlet = typeof TorchletModule;
type Model = "mlp" | "cnn" | "gpt" | "folds" | "lstm";

const model = (argValue("--model") ?? "mlp") as Model;
if (!["mlp", "cnn", "gpt", "folds", "lstm"].includes(model)) throw new Error(`--model ${model}: expected mlp, cnn, gpt, folds or lstm`);
const long = model === "mlp", folds = model === "folds";
const steps = Number(argValue("--steps") ?? (long ? 10_000 : folds ? 40 : 1_000));
const warmup = Number(argValue("--warmup") ?? (long ? 1_000 : folds ? 10 : 100));
const every = Number(argValue("--every") ?? (long ? 500 : folds ? 1 : 50));
const source = process.argv.includes("--source") || !long;
const torch: Torchlet = await import(source ? "../src/index-node.ts" : "../dist/index-node.js");
// the wasm backend's memory (parameters live there; operands from V8's heap are staged there)
const heap: typeof import("../src/backend/wasm/heap.ts") = await import(source ? "../src/backend/wasm/heap.ts" : "../dist/backend/wasm/heap.js");
const { nn } = torch;
torch.setNumThreads(Number(argValue("--threads") ?? 1));

/** The model's training step as a user writes it (no cleanup calls), and its one-line description. */
async function buildStep(): Promise<[string, () => void]> {
  torch.manualSeed(0);
  if (model === "cnn") {
    const { resnet18 } = await import("../examples/resnet.ts");
    const net = resnet18({ numClasses: 10 });
    net.train();
    const images = torch.tensor(lcgArray(4 * 3 * 32 * 32, 5)).reshape(4, 3, 32, 32);
    const labels = torch.tensor([0, 1, 2, 3], { dtype: torch.int64 });
    const lossFn = new nn.CrossEntropyLoss();
    const opt = new torch.optim.SGD(net.parameters(), { lr: 0.01, momentum: 0.9 });
    return ["ResNet-18 (examples/resnet.ts), batch 4 of 3x32x32, cross-entropy + SGD with momentum", () => {
      lossFn(net(images), labels).backward();
      opt.step();
      opt.zeroGrad();
    }];
  }
  if (model === "gpt") {
    const { GPT } = await import("../examples/gpt.ts");
    const config = { blockSize: 64, vocabSize: 65, nLayer: 2, nHead: 4, nEmbd: 128, dropout: 0, bias: false };
    const net = new GPT(config);
    net.train();
    const opt = net.configureOptimizers(0.1, 1e-3, [0.9, 0.95]);
    const x = torch.randint(0, config.vocabSize, [8, config.blockSize]);
    const y = torch.randint(0, config.vocabSize, [8, config.blockSize]);
    return ["GPT (examples/gpt.ts) 2 layers, 4 heads, 128 dims, block 64, batch 8, AdamW, zeroGrad(setToNone)", () => {
      const [, loss] = net(x, y);
      loss!.backward();
      opt.step();
      opt.zeroGrad({ setToNone: true });
    }];
  }
  if (model === "lstm") {
    const rnn = new nn.LSTM(28, 256), head = new nn.Linear(256, 28), params = [...rnn.parameters(), ...head.parameters()];
    const x = torch.tensor(lcgArray(35 * 32 * 28, 7)).reshape(35, 32, 28);
    const labels = torch.tensor(Array.from({ length: 35 * 32 }, (_, i) => (i * 7) % 28), { dtype: torch.int64 });
    const lossFn = new nn.CrossEntropyLoss(), opt = new torch.optim.SGD(params, { lr: 1 });
    return ["LSTM language model (bench/rnn.ts), 35 steps, batch 32, 28 features, 256 hidden, clipping + SGD", () => {
      const [out] = rnn(x);
      lossFn(head(out.reshape(-1, 256)), labels).backward();
      nn.utils.clipGradNorm_(params, 1);
      opt.step();
      opt.zeroGrad();
    }];
  }
  if (folds) {
    const x = torch.tensor(lcgArray(32 * 1024, 7)).view(32, 1024);
    return ["cross-validation folds: per step a fresh MLP 1024-4096-1024 and SGD with momentum, trained 3 steps on batch 32 (MSE)", () => {
      const net = new nn.Sequential(new nn.Linear(1024, 4096), new nn.ReLU(), new nn.Linear(4096, 1024));
      const opt = new torch.optim.SGD(net.parameters(), { lr: 0.01, momentum: 0.9 });
      for (let i = 0; i < 3; i++) {
        net(x).sub(x).square().mean().backward();
        opt.step();
        opt.zeroGrad();
      }
    }];
  }
  const net = new nn.Sequential(new nn.Linear(784, 256), new nn.ReLU(), new nn.Linear(256, 256), new nn.ReLU(), new nn.Linear(256, 10));
  const x = torch.tensor(lcgArray(128 * 784, 1)).view(128, 784);
  const labels = torch.tensor(Int32Array.from(lcgArray(128, 3), (v) => Math.floor(((v + 1) / 2) * 10))).to(torch.int64);
  const lossFn = new nn.CrossEntropyLoss();
  const opt = new torch.optim.SGD(net.parameters(), { lr: 0.01 });
  return ["MLP 784-256-256-10, batch 128, cross-entropy + SGD", () => {
    lossFn(net(x), labels).backward();
    opt.step();
    opt.zeroGrad();
  }];
}
const [title, step] = await buildStep();

const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);

console.log(`# ${machine()}; torchlet ${source ? "src/ via tsx" : "dist/"}, backend ${torch.backend().name}, ${torch.getNumThreads()} thread(s)`);
console.log(`# ${title}: ${steps} steps after ${warmup} warm-up steps, no dispose()/tidy()`);
console.log("| step | rss MiB | heapTotal MiB | heapUsed MiB | external MiB | arrayBuffers MiB | wasm memory MiB | wasm heap in use MiB | ms/step since last row |");
console.log("|---|---|---|---|---|---|---|---|---|");
const rss: number[] = [];
let base = 0;
let peak = 0;
let wasmBase = 0;
let wasmEnd = 0;
let last = performance.now();
for (let i = 1; i <= warmup + steps; i++) {
  step();
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
// A single sample sits anywhere in the sawtooth of the collector and of the C allocator (which keeps
// or returns freed ArrayBuffer pages as it pleases); the halves of the samples after warm-up show a
// trend (a leak) apart from it: their medians, and their peaks (the envelope of the sawtooth).
const med = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? NaN;
const pct = (a: number, b: number) => ((b - a) / a) * 100;
const halves = [[base, ...rss.slice(0, rss.length >> 1)], rss.slice(rss.length >> 1)] as const;
const [first, second] = [med(halves[0]), med(halves[1])];
const [firstPeak, secondPeak] = [Math.max(...halves[0]), Math.max(...halves[1])];
console.log(`rss, first half of the samples (warm-up's end included) against the second: median ${mib(first)} → ${mib(second)} MiB (${pct(first, second).toFixed(1)}%), peak ${mib(firstPeak)} → ${mib(secondPeak)} MiB (${pct(firstPeak, secondPeak).toFixed(1)}%)`);
const wasmGrowth = wasmBase === 0 ? 0 : ((wasmEnd - wasmBase) / wasmBase) * 100;
// A fold makes and drops ~100 MB of arrays at once, so its samples swing 300 MiB with the collector's
// cycle (430-730 MiB measured) and the halves' medians say where the samples fell in it: there the
// peaks alone are the envelope that a leak would raise.
const flat = (folds || pct(first, second) < 5) && pct(firstPeak, secondPeak) < 5 && wasmGrowth < 5;
console.log(`rss from the end of warm-up to step ${steps}: ${growth.toFixed(1)}% (highest sample ${peakGrowth.toFixed(1)}% above it); wasm memory ${wasmGrowth.toFixed(1)}%; target (halves' ${folds ? "peaks" : "medians and peaks"}, and wasm memory, grow under 5%; falling is no leak): ${flat ? "met" : "not met"}`);
