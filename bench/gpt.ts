// A small GPT training step against PyTorch 1.13: nanoGPT's model (examples/gpt.ts here,
// scripts/fixtures/gpt.py there) with 2 layers, 4 heads, 128 dims, block 64, batch 8, vocab 65;
// forward, cross-entropy, backward, AdamW with nanoGPT's groups, zero_grad(set_to_none). Each side
// runs on one thread and on two (torchlet.setNumThreads, torch.set_num_threads; PyTorch as its
// users get it: lib.ts pytorchEnv, Debian's OpenBLAS with OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE unset), the four contenders' samples alternated
// in rotating order; wall time per step and the CPU time of the process per step, median
// (min–max). The wall ratio takes each side's better thread count; on a shared machine the
// one-thread CPU times compare the work itself. The model code is examples/gpt.ts, so torchlet runs from src/ through tsx here
// (the same JavaScript as dist/, transpiled by esbuild instead of tsc).
//   npx tsx bench/gpt.ts [--rounds 7] [--seconds 0.5]
//   node --cpu-prof --import tsx bench/gpt.ts --profile --seconds 10   torchlet alone, one thread
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import * as torch from "../src/index-node.ts";
import { GPT } from "../examples/gpt.ts";
import { argValue, cell, compare, formatTime, machine, pytorchEnv, ratioCell, stats, timeSync, type Contender, type Stats } from "./lib.ts";

const CONFIG = { blockSize: 64, vocabSize: 65, nLayer: 2, nHead: 4, nEmbd: 128, dropout: 0, bias: false };
const BATCH = 8;
const rounds = Number(argValue("--rounds") ?? 7), seconds = Number(argValue("--seconds") ?? 0.5);
/** CPU seconds per step of each contender's samples, recorded beside the wall times compare() keeps. */
const cpu = new Map<string, number[]>();
const recordCpu = (name: string, perStep: number) => cpu.set(name, [...(cpu.get(name) ?? []), perStep]);

/** The training step, built as pytorch_gpt.py builds it. */
function torchletStep(): () => void {
  torch.manualSeed(0);
  const model = new GPT(CONFIG);
  model.train();
  const opt = model.configureOptimizers(0.1, 1e-3, [0.9, 0.95]);
  const x = torch.randint(0, CONFIG.vocabSize, [BATCH, CONFIG.blockSize]);
  const y = torch.randint(0, CONFIG.vocabSize, [BATCH, CONFIG.blockSize]);
  return () => {
    const [, loss] = model(x, y);
    loss!.backward();
    opt.step();
    opt.zeroGrad({ setToNone: true });
  };
}

/** A PyTorch child process answering one sample per request, or null when torch does not import. */
async function torchPeer(threads: number): Promise<{ contender: Contender; close: () => void; header: string } | null> {
  const script = fileURLToPath(new URL("./pytorch_gpt.py", import.meta.url));
  const proc: ChildProcessWithoutNullStreams = spawn("env", [...pytorchEnv(threads), script, "--serve", "--threads", String(threads)]);
  proc.on("error", () => undefined);
  const lines = createInterface({ input: proc.stdout })[Symbol.asyncIterator]();
  const first = await lines.next();
  if (first.done) return null;
  const h = JSON.parse(first.value) as { torch: string; threads: number };
  return {
    header: `PyTorch ${h.torch} (${h.threads} thread${h.threads > 1 ? "s" : ""})`,
    close: () => proc.stdin.end(),
    contender: {
      name: `PyTorch ${threads}T`,
      sample: async (s) => {
        proc.stdin.write(`${s}\n`);
        const { value, done } = await lines.next();
        if (done) throw new Error("the PyTorch peer exited early");
        const [wall, perStepCpu] = value.split(" ").map(Number) as [number, number];
        recordCpu(`PyTorch ${threads}T`, perStepCpu);
        return wall;
      },
    },
  };
}

/** torchlet at a thread count, set before each sample (the setting is process-wide). */
function torchletContender(threads: number, step: () => void): Contender {
  return {
    name: `torchlet ${threads}T`,
    sample: (s) => {
      torch.setNumThreads(threads);
      const c0 = process.cpuUsage();
      let calls = 0;
      const wall = timeSync(s, () => { step(); calls++; });
      const c = process.cpuUsage(c0);
      recordCpu(`torchlet ${threads}T`, (c.user + c.system) / 1e6 / calls);
      return Promise.resolve(wall);
    },
  };
}

async function main(): Promise<void> {
  const step = torchletStep();
  if (process.argv.includes("--profile")) {
    torch.setNumThreads(1);
    console.log(`torchlet: ${formatTime(timeSync(Number(argValue("--seconds") ?? 10), step))} per step`);
    return;
  }
  const peers = (await Promise.all([torchPeer(1), torchPeer(2)])).filter((p) => p !== null);
  if (peers.length === 0) console.log("# PyTorch peer unavailable (/usr/bin/python3 cannot import torch)");
  const contenders = [torchletContender(1, step), torchletContender(2, step), ...peers.map((p) => p.contender)];
  const s = await compare(contenders, { warmup: Math.max(1, 2 * seconds), rounds, sampleSeconds: seconds });
  for (const p of peers) p.close();
  torch.setNumThreads(1);
  const best = (prefix: string): [string, Stats] | undefined =>
    [...s].filter(([n]) => n.startsWith(prefix)).sort((a, b) => a[1].median - b[1].median)[0];
  const [ours, theirs] = [best("torchlet"), best("PyTorch")];
  console.log(`# small GPT training step: ${machine()}; median wall time per step (min–max) of ${rounds} alternated samples of ${seconds} s`);
  console.log(`# ${CONFIG.nLayer} layers, ${CONFIG.nHead} heads, ${CONFIG.nEmbd} dims, block ${CONFIG.blockSize}, batch ${BATCH}, vocab ${CONFIG.vocabSize}; forward + backward + AdamW`);
  // the warm-up's samples are not in compare()'s statistics: drop the first CPU sample of each too
  const cpuStats = new Map([...cpu].map(([name, xs]) => [name, stats(xs.slice(1))]));
  console.log("| contender | wall time per step | CPU time per step |\n|---|---|---|");
  for (const [name, st] of s) console.log(`| ${name} | ${cell(st)} | ${cell(cpuStats.get(name))} |`);
  if (ours && theirs) {
    console.log(`\nwall, best torchlet (${ours[0]}) / best PyTorch (${theirs[0]}): ${ratioCell(ours[1].median / theirs[1].median)}`);
    const [a, b] = [cpuStats.get("torchlet 1T"), cpuStats.get("PyTorch 1T")];
    if (a && b) console.log(`CPU time, one thread each: ${ratioCell(a.median / b.median)}`);
  }
}

await main();
