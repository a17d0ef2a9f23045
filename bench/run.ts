// `npm run bench`: every benchmark in turn, each in its own process (so one's JIT state, heap and
// worker threads never colour the next): this host's SIMD128 ceiling and pauses, the MLP workloads,
// the memory runs (MLP, CNN, GPT, model after model, LSTM), float32 GEMM, then whole training steps
// against PyTorch (convolution, GPT, ResNet-18, LSTM and GRU language models).
//   npx tsx bench/run.ts                    all of them (several minutes; run `npm run build` first)
//   npx tsx bench/run.ts --quick            fewer samples and a 2,000-step memory run
//   npx tsx bench/run.ts --skip gemm,memory any of ceiling, mlp, memory, memory-cnn, memory-gpt, memory-folds, memory-lstm, gemm, conv,
//                                          activations, gpt, resnet, rnn, rnn-gru
//   npx tsx bench/run.ts --with-source      the MLP table also times torchlet from src/ through tsx
//   npx tsx bench/run.ts --threads 2        torchlet and PyTorch on both cores in the MLP and memory runs
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { argValue, machine } from "./lib.ts";

const quick = process.argv.includes("--quick");
const skip = new Set(argValue("--skip")?.split(",") ?? []);
const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
const threads = argValue("--threads");
const threadArgs = threads === undefined ? [] : ["--threads", threads];

const benches: [string, string, string[]][] = [
  ["ceiling", "ceiling.ts", []],
  ["mlp", "mlp.ts", [...(quick ? ["--rounds", "5"] : []), ...(process.argv.includes("--with-source") ? ["--with-source"] : []), ...threadArgs]],
  ["memory", "memory.ts", [...(quick ? ["--steps", "2000", "--warmup", "500"] : []), ...threadArgs]],
  ["memory-cnn", "memory.ts", ["--model", "cnn", ...(quick ? ["--steps", "200", "--warmup", "20", "--every", "20"] : []), ...threadArgs]],
  ["memory-gpt", "memory.ts", ["--model", "gpt", ...(quick ? ["--steps", "200", "--warmup", "20", "--every", "20"] : []), ...threadArgs]],
  ["memory-folds", "memory.ts", ["--model", "folds", ...(quick ? ["--steps", "20", "--warmup", "10"] : []), ...threadArgs]],
  ["memory-lstm", "memory.ts", ["--model", "lstm", ...(quick ? ["--steps", "200", "--warmup", "20", "--every", "20"] : []), ...threadArgs]],
  ["gemm", "gemm.ts", []],
  ["conv", "conv.ts", quick ? ["--rounds", "3", "--seconds", "0.3"] : []],
  ["activations", "activations.ts", quick ? ["--rounds", "3", "--seconds", "0.1"] : []],
  ["gpt", "gpt.ts", quick ? ["--rounds", "3"] : []],
  ["resnet", "resnet.ts", quick ? ["--rounds", "3", "--seconds", "1"] : []],
  ["rnn", "rnn.ts", quick ? ["--rounds", "3"] : []],
  ["rnn-gru", "rnn.ts", ["--cell", "gru", ...(quick ? ["--rounds", "3"] : [])]],
];

if (!existsSync(here("../dist/index-node.js"))) {
  console.error("dist/ is missing: run `npm run build` first (the benchmarks time the compiled library)");
  process.exit(1);
}
console.log(`# torchlet benchmarks on ${machine()}, ${new Date().toISOString().slice(0, 16)} UTC`);
let failed = 0;
for (const [name, file, args] of benches) {
  if (skip.has(name)) continue;
  console.log(`\n## ${name}`);
  // the children inherit this process's TypeScript loader through execArgv
  const r = spawnSync(process.execPath, [...process.execArgv, here(file), ...args], { stdio: "inherit" });
  if (r.status !== 0) {
    console.log(`# ${name} failed (exit ${r.status ?? r.signal})`);
    failed++;
  }
}
process.exitCode = failed ? 1 : 0;
