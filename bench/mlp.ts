// MLP benchmarks (issue 5's workloads 1–3): torchlet against PyTorch 1.13, TensorFlow.js (wasm and cpu
// backends) and plain TypeScript loops, in one run with the samples alternated.
//   npx tsx bench/mlp.ts                     the table, torchlet from dist/ (run `npm run build` first)
//   npx tsx bench/mlp.ts --with-source       adds torchlet loaded from src/ through tsx as a contender
//   npx tsx bench/mlp.ts --only seed-train   one or more workloads, comma-separated
//   npx tsx bench/mlp.ts --rounds 5          fewer samples per contender (default 11)
//   npx tsx bench/mlp.ts --cpu-time          every contender times its process's CPU time (a loaded machine; one thread)
//   npx tsx bench/mlp.ts --threads 2         torchlet on setNumThreads(2) only (default: on 1 and 2 threads, alternated, the
//                                            better median counts); PyTorch always runs on 1 and 2 threads (the better
//                                            median counts), on Debian's OpenBLAS when installed
//   node --cpu-prof --import tsx bench/mlp.ts --profile seed-train --seconds 5
//                                            torchlet alone on one workload, for a CPU profile
// TF.js runs in worker threads (one engine per backend, so neither moves the other's tensors), PyTorch
// in a child process (bench/pytorch_bench.py --serve); only one contender runs at a time.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { createInterface } from "node:readline";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { fileURLToPath } from "node:url";
import type * as TorchletModule from "../src/index-node.ts";
import {
  argValue, cell, compare, cpuTime, lcgArray, machine, pytorchEnv, ratio, ratioCell, syncContender, timeSync,
  type Contender, type Stats,
} from "./lib.ts";

type Torchlet = typeof TorchletModule;

export type Workload = "seed-train" | "medium-train" | "medium-infer-1" | "medium-infer-128";

interface WorkloadSpec {
  title: string;
  sizes: number[];
  batch: number;
  train: boolean;
  /** Seconds per sample: long enough that the slowest peer runs a call or two. */
  sampleSeconds: number;
  /** Issue 15's target (issue 5's were looser), as a check on the measured ratios; null when none is set. */
  target: ((r: { torch: number | null; wasm: number | null }) => boolean | null) | null;
  targetText: string;
}

const MEDIUM = [784, 256, 256, 10];
export const WORKLOADS: Record<Workload, WorkloadSpec> = {
  "seed-train": {
    title: "MLP 4-8-1, batch 2, training step (MSE, SGD)", sizes: [4, 8, 1], batch: 2, train: true, sampleSeconds: 0.05,
    target: (r) => (r.torch === null ? null : r.torch <= 1 / 15), targetText: "≥ 15× faster than PyTorch",
  },
  "medium-train": {
    title: "MLP 784-256-256-10, batch 128, training step (cross-entropy, SGD)", sizes: MEDIUM, batch: 128, train: true,
    sampleSeconds: 0.25,
    target: (r) => (r.torch === null || r.wasm === null ? null : r.torch <= 2 && r.wasm <= 1 / 12),
    targetText: "≤ 2× PyTorch's time and ≥ 12× faster than TF.js-wasm",
  },
  "medium-infer-1": {
    title: "MLP 784-256-256-10 inference, batch 1", sizes: MEDIUM, batch: 1, train: false, sampleSeconds: 0.05,
    target: (r) => (r.torch === null ? null : r.torch <= 1), targetText: "at least as fast as PyTorch",
  },
  "medium-infer-128": {
    title: "MLP 784-256-256-10 inference, batch 128", sizes: MEDIUM, batch: 128, train: false, sampleSeconds: 0.2,
    target: (r) => (r.torch === null ? null : r.torch <= 1.5), targetText: "≤ 1.5× PyTorch's time",
  },
};
const LR = 0.01;

/** Deterministic inputs every contender shares: x in [-1, 1), targets in [0, 1) or class labels. */
function inputs(w: WorkloadSpec): { x: Float32Array; y: Float32Array; labels: Int32Array } {
  const [inF, outF] = [w.sizes[0]!, w.sizes[w.sizes.length - 1]!];
  const x = lcgArray(w.batch * inF, 1);
  const y = lcgArray(w.batch * outF, 2).map((v) => (v + 1) / 2);
  const labels = Int32Array.from(lcgArray(w.batch, 3), (v) => Math.min(outF - 1, Math.floor(((v + 1) / 2) * outF)));
  return { x, y, labels };
}

// ---- torchlet, through its public API as a user writes it ----

function torchletStep(torch: Torchlet, name: Workload): () => void {
  const w = WORKLOADS[name];
  const { nn } = torch;
  const layers: TorchletModule.nn.Module[] = [];
  for (let i = 1; i < w.sizes.length; i++) {
    if (i > 1) layers.push(new nn.ReLU());
    layers.push(new nn.Linear(w.sizes[i - 1]!, w.sizes[i]!));
  }
  const net = new nn.Sequential(...layers);
  const data = inputs(w);
  const x = torch.tensor(data.x).view(w.batch, w.sizes[0]!);
  if (!w.train) return () => void torch.noGrad(() => net(x));
  const opt = new torch.optim.SGD(net.parameters(), { lr: LR });
  if (name === "seed-train") {
    const y = torch.tensor(data.y).view(w.batch, 1);
    const lossFn = new nn.MSELoss();
    return () => {
      lossFn(net(x), y).backward();
      opt.step();
      opt.zeroGrad();
    };
  }
  const labels = torch.tensor(data.labels).to(torch.int64);
  const lossFn = new nn.CrossEntropyLoss();
  return () => {
    lossFn(net(x), labels).backward();
    opt.step();
    opt.zeroGrad();
  };
}

// ---- plain TypeScript ----

function plainStep(name: Workload): () => void {
  const w = WORKLOADS[name];
  const net = new PlainMlp(w.sizes);
  const { x, y, labels } = inputs(w);
  if (!w.train) return () => void net.forward(x, w.batch);
  const loss = name === "seed-train" ? PlainMlp.mse(y) : PlainMlp.crossEntropy(labels);
  return () => net.trainStep(x, w.batch, loss, LR);
}

// ---- plain TypeScript: the same math in naive loops, every intermediate a fresh array ----

type LossGrad = (out: Float32Array, batch: number) => Float32Array;

/** An MLP of Linear layers (weights [out, in] as PyTorch stores them) with ReLU between them. */
class PlainMlp {
  readonly w: Float32Array[] = [];
  readonly b: Float32Array[] = [];
  constructor(readonly sizes: number[]) {
    for (let i = 1; i < sizes.length; i++) {
      const bound = 1 / Math.sqrt(sizes[i - 1]!);
      this.w.push(lcgArray(sizes[i]! * sizes[i - 1]!, 10 + i, bound));
      this.b.push(lcgArray(sizes[i]!, 20 + i, bound));
    }
  }

  /** Every layer's output (after ReLU except the last), the input first. */
  forward(x: Float32Array, batch: number): Float32Array[] {
    const acts = [x];
    for (let l = 0; l < this.w.length; l++) {
      const [k, n] = [this.sizes[l]!, this.sizes[l + 1]!];
      const [h, W, bias] = [acts[l]!, this.w[l]!, this.b[l]!];
      const out = new Float32Array(batch * n);
      const relu = l + 1 < this.w.length;
      for (let i = 0; i < batch; i++) {
        for (let j = 0; j < n; j++) {
          let s = bias[j]!;
          for (let p = 0; p < k; p++) s += h[i * k + p]! * W[j * k + p]!;
          out[i * n + j] = relu && s < 0 ? 0 : s;
        }
      }
      acts.push(out);
    }
    return acts;
  }

  /** Forward, loss gradient, backward into fresh gradient arrays, SGD update. */
  trainStep(x: Float32Array, batch: number, lossGrad: LossGrad, lr: number): void {
    const acts = this.forward(x, batch);
    let d = lossGrad(acts[acts.length - 1]!, batch);
    for (let l = this.w.length - 1; l >= 0; l--) {
      const [k, n] = [this.sizes[l]!, this.sizes[l + 1]!];
      const [h, W] = [acts[l]!, this.w[l]!];
      const dW = new Float32Array(n * k);
      const db = new Float32Array(n);
      for (let i = 0; i < batch; i++) {
        for (let j = 0; j < n; j++) {
          const g = d[i * n + j]!;
          db[j]! += g;
          for (let p = 0; p < k; p++) dW[j * k + p]! += g * h[i * k + p]!;
        }
      }
      if (l > 0) {
        const dx = new Float32Array(batch * k);
        for (let i = 0; i < batch; i++) {
          for (let p = 0; p < k; p++) {
            let s = 0;
            if (h[i * k + p]! > 0) for (let j = 0; j < n; j++) s += d[i * n + j]! * W[j * k + p]!;
            dx[i * k + p] = s;
          }
        }
        d = dx;
      }
      for (let i = 0; i < W.length; i++) W[i]! -= lr * dW[i]!;
      for (let j = 0; j < n; j++) this.b[l]![j]! -= lr * db[j]!;
    }
  }

  /** d(mean squared error)/d(out). */
  static mse(y: Float32Array): LossGrad {
    return (out) => out.map((o, i) => (2 * (o - y[i]!)) / out.length);
  }

  /** d(mean cross-entropy of softmax(out) against class labels)/d(out). */
  static crossEntropy(labels: Int32Array): LossGrad {
    return (out, batch) => {
      const c = out.length / batch;
      const d = new Float32Array(out.length);
      for (let i = 0; i < batch; i++) {
        let max = -Infinity;
        for (let j = 0; j < c; j++) max = Math.max(max, out[i * c + j]!);
        let sum = 0;
        for (let j = 0; j < c; j++) sum += (d[i * c + j] = Math.exp(out[i * c + j]! - max));
        for (let j = 0; j < c; j++) d[i * c + j] = (d[i * c + j]! / sum - (j === labels[i] ? 1 : 0)) / batch;
      }
      return d;
    };
  }
}

// ---- TensorFlow.js, one worker thread per backend ----

/** Worker side: builds each workload as a TF.js user writes it and answers sample requests. */
async function tfjsWorker(backend: string): Promise<void> {
  const tf = await import("@tensorflow/tfjs");
  await import("@tensorflow/tfjs-backend-wasm");
  if (!(await tf.setBackend(backend))) throw new Error(`TF.js backend ${backend} did not start`);
  const steps = new Map<Workload, () => void>();
  const make = (name: Workload): (() => void) => {
    const w = WORKLOADS[name];
    const vars: InstanceType<typeof tf.Variable>[] = [];
    for (let i = 1; i < w.sizes.length; i++) {
      const bound = 1 / Math.sqrt(w.sizes[i - 1]!);
      vars.push(tf.variable(tf.randomUniform([w.sizes[i - 1]!, w.sizes[i]!], -bound, bound)));
      vars.push(tf.variable(tf.randomUniform([w.sizes[i]!], -bound, bound)));
    }
    const predict = (x: ReturnType<typeof tf.tensor2d>) => {
      let h = x;
      for (let i = 0; i < vars.length; i += 2) {
        h = tf.add(tf.matMul(h, vars[i]!), vars[i + 1]!);
        if (i + 2 < vars.length) h = tf.relu(h);
      }
      return h;
    };
    const data = inputs(w);
    const x = tf.tensor2d(data.x, [w.batch, w.sizes[0]!]);
    if (!w.train) return () => tf.tidy(() => predict(x)).dispose();
    const opt = tf.train.sgd(LR);
    const outF = w.sizes[w.sizes.length - 1]!;
    const loss = name === "seed-train"
      ? ((y) => () => tf.losses.meanSquaredError(y, predict(x)))(tf.tensor2d(data.y, [w.batch, outF]))
      : ((y) => () => tf.losses.softmaxCrossEntropy(y, predict(x)))(tf.oneHot(tf.tensor1d(data.labels, "int32"), outF));
    return () => void opt.minimize(loss as () => ReturnType<typeof tf.scalar>, false, vars);
  };
  parentPort!.on("message", ({ name, seconds }: { name: Workload; seconds: number }) => {
    let step = steps.get(name);
    if (step === undefined) steps.set(name, (step = make(name)));
    parentPort!.postMessage(timeSync(seconds, step));
  });
  parentPort!.postMessage("ready");
}

/** Main side: a TF.js backend in its own worker thread, or null when TF.js is not installed. */
class TfjsPeer {
  readonly #worker: Worker;
  private constructor(worker: Worker) {
    this.#worker = worker;
  }

  static async start(backend: string): Promise<TfjsPeer | null> {
    // The worker runs this file too. Node 20 does not apply an --import'ed loader to a worker's entry
    // file, so a plain-JS entry registers tsx's loader and then imports this file.
    const load = (url: string) => `import(${JSON.stringify(url)})`;
    const entry = `${load(import.meta.resolve("tsx/esm/api"))}.then((tsx) => { tsx.register(); return ${load(import.meta.url)}; })`;
    const worker = new Worker(entry, {
      // the worker reads --cpu-time from its argv, as lib.ts does
      eval: true, execArgv: [], argv: cpuTime ? ["--cpu-time"] : [], workerData: { tfjsBackend: backend },
      // unread: they only carry TF.js's advice to install its native Node backend (errors arrive as events)
      stdout: true, stderr: true,
    });
    return new Promise((resolve) => {
      worker.once("message", () => resolve(new TfjsPeer(worker)));
      worker.once("error", (e) => {
        console.log(`# TF.js ${backend} unavailable: ${e.message.split("\n")[0]}`);
        resolve(null);
      });
    });
  }

  contender(label: string, name: Workload): Contender {
    return {
      name: label,
      sample: (seconds) => new Promise((resolve) => {
        this.#worker.once("message", resolve);
        this.#worker.postMessage({ name, seconds });
      }),
    };
  }

  close(): Promise<number> {
    return this.#worker.terminate();
  }
}

// ---- PyTorch, a child process ----

class TorchPeer {
  readonly #proc: ChildProcessWithoutNullStreams;
  readonly #lines: AsyncIterator<string>;
  /** "PyTorch 1.13.0a0, 1 thread, reference BLAS (libblas.so.3.11.0)" */
  header = "";
  private constructor(proc: ChildProcessWithoutNullStreams) {
    this.#proc = proc;
    this.#lines = createInterface({ input: proc.stdout })[Symbol.asyncIterator]();
  }

  /** The peer, or null when /usr/bin/python3 cannot import torch. */
  static async start(threads: number): Promise<TorchPeer | null> {
    const script = fileURLToPath(new URL("./pytorch_bench.py", import.meta.url));
    // Debian's OpenBLAS when installed, its pool at `threads`, its CPU probing not overridden (bench/lib.ts)
    const proc = spawn("env", [...pytorchEnv(threads), script, "--serve", "--threads", String(threads), ...(cpuTime ? ["--cpu-time"] : [])]);
    proc.on("error", () => undefined);
    const peer = new TorchPeer(proc);
    const first = await peer.#lines.next();
    if (first.done) return null;
    const h = JSON.parse(first.value) as { torch: string; threads: number; blas: string };
    peer.header = `PyTorch ${h.torch}, ${h.threads} thread${h.threads > 1 ? "s" : ""}, ${h.blas}`;
    return peer;
  }

  contender(label: string, name: Workload): Contender {
    return {
      name: label,
      sample: async (seconds) => {
        this.#proc.stdin.write(`${name} ${seconds}\n`);
        const { value, done } = await this.#lines.next();
        if (done) throw new Error("the PyTorch peer exited early");
        return Number(value);
      },
    };
  }

  close(): void {
    this.#proc.stdin.end();
  }
}

// ---- the table ----

const COLS = ["torchlet", "torchlet (tsx source)", "PyTorch", "TF.js wasm", "TF.js cpu", "plain TS"] as const;

/** PyTorch's peers, one per thread count: PyTorch on this machine is as fast as its better one. */
const TORCH_THREADS = [1, 2] as const;
const torchLabel = (threads: number) => `PyTorch ${threads}T`;

const torchletLabel = (threads: number) => `torchlet ${threads}T`;

/**
 * torchlet on `threads` threads: each sample first switches the process to them (a switch to two
 * starts the helper worker, so a few untimed steps run before the timed ones).
 */
function threadedContender(torch: Torchlet, threads: number, labelled: boolean, name: Workload): Contender {
  const step = torchletStep(torch, name);
  return {
    name: labelled ? torchletLabel(threads) : "torchlet",
    sample: (seconds) => {
      if (torch.getNumThreads() !== threads) {
        torch.setNumThreads(threads);
        timeSync(0.1, step);
      }
      return Promise.resolve(timeSync(seconds, step));
    },
  };
}

/** The peer (PyTorch's, or with `label` torchlet's) with the lower median over 1 and 2 threads, and its label. */
function bestTorch(s: Map<string, Stats>, label = torchLabel): [string, Stats] | undefined {
  let best: [string, Stats] | undefined;
  for (const threads of TORCH_THREADS) {
    const st = s.get(label(threads));
    if (st !== undefined && (best === undefined || st.median < best[1].median)) best = [`${threads}T`, st];
  }
  return best;
}

function row(name: Workload, s: Map<string, Stats>, withSource: boolean): string {
  const w = WORKLOADS[name];
  const mine = s.get("torchlet") === undefined ? bestTorch(s, torchletLabel) : undefined;
  const t = s.get("torchlet") ?? mine?.[1];
  const r = { torch: ratio(t, bestTorch(s)?.[1]), wasm: ratio(t, s.get("TF.js wasm")) };
  const met = w.target?.(r);
  const verdict = met === null || met === undefined ? "–" : met ? "met" : "not met";
  const cols = COLS.filter((c) => withSource || c !== "torchlet (tsx source)");
  const best = bestTorch(s);
  const cells = cols.map((c) => c === "PyTorch" ? (best === undefined ? "–" : `${cell(best[1])} [${best[0]}]`)
    : c === "torchlet" && mine !== undefined ? `${cell(mine[1])} [${mine[0]}]` : cell(s.get(c)));
  return `| ${w.title} | ${cells.join(" | ")} | ${ratioCell(r.torch)} | ${ratioCell(r.wasm)} | ${w.targetText}: ${verdict} |`;
}

async function main(): Promise<void> {
  const withSource = process.argv.includes("--with-source");
  const rounds = Number(argValue("--rounds") ?? 11);
  const only = argValue("--only")?.split(",") as Workload[] | undefined;
  const profile = argValue("--profile") as Workload | undefined;
  const torchlet: Torchlet = await import(process.argv.includes("--source") ? "../src/index-node.ts" : "../dist/index-node.js");
  if (profile !== undefined) {
    const step = torchletStep(torchlet, profile);
    const seconds = Number(argValue("--seconds") ?? 5);
    console.log(`${profile}: ${(timeSync(seconds, step) * 1e6).toFixed(2)} µs per step`);
    return;
  }
  const source: Torchlet | null = withSource ? await import("../src/index-node.ts") : null;
  const fixedThreads = argValue("--threads");
  // torchlet on each thread count as PyTorch is, unless --threads fixes one
  const torchletThreads = fixedThreads === undefined ? TORCH_THREADS : [Number(fixedThreads)];
  if (fixedThreads !== undefined) for (const t of [torchlet, source]) t?.setNumThreads(Number(fixedThreads));
  const [torches, wasm, cpu] = await Promise.all([
    Promise.all(TORCH_THREADS.map((n) => TorchPeer.start(n))), TfjsPeer.start("wasm"), TfjsPeer.start("cpu"),
  ]);
  const names = only ?? (Object.keys(WORKLOADS) as Workload[]);
  const torchInfo = torches[0] === null ? "PyTorch not found" : `${torches.map((t) => t?.header).join(" / ")} (the better median counts)`;
  console.log(`# MLP workloads: median ${cpuTime ? "CPU time" : "time"} per step (min–max) of ${rounds} alternated samples; ratios are torchlet's median time over the peer's`);
  console.log(`# ${machine()}; torchlet ${process.argv.includes("--source") ? "src/ via tsx" : "dist/"}, backend ${torchlet.backend().name}, ${torchletThreads.join(" and ")} thread(s)${torchletThreads.length > 1 ? " (the better median counts)" : ""}; ${torchInfo}; TF.js wasm: 1 thread (no threads in Node)`);
  const cols = COLS.filter((c) => withSource || c !== "torchlet (tsx source)");
  console.log(`| workload | ${cols.join(" | ")} | torchlet/PyTorch | torchlet/TF.js-wasm | target |`);
  console.log(`|---|${cols.map(() => "---|").join("")}---|---|---|`);
  for (const name of names) {
    const contenders: Contender[] = torchletThreads.map((n) => threadedContender(torchlet, n, torchletThreads.length > 1, name));
    if (source !== null) contenders.push(syncContender("torchlet (tsx source)", torchletStep(source, name)));
    torches.forEach((t, i) => t !== null && contenders.push(t.contender(torchLabel(TORCH_THREADS[i]!), name)));
    if (wasm !== null) contenders.push(wasm.contender("TF.js wasm", name));
    if (cpu !== null) contenders.push(cpu.contender("TF.js cpu", name));
    contenders.push(syncContender("plain TS", plainStep(name)));
    const w = WORKLOADS[name];
    const s = await compare(contenders, { warmup: Math.max(1, 2 * w.sampleSeconds), rounds, sampleSeconds: w.sampleSeconds });
    console.log(row(name, s, withSource));
  }
  for (const t of torches) t?.close();
  await Promise.all([wasm?.close(), cpu?.close()]);
}

if (isMainThread) await main();
else await tfjsWorker((workerData as { tfjsBackend: string }).tfjsBackend);
