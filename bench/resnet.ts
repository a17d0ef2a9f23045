// A ResNet-style CNN's training step against PyTorch 1.13 + torchvision 0.14: ResNet-18 (10 classes)
// from examples/resnet.ts, train mode, a batch of 3x32x32 images, cross-entropy, backward,
// SGD(lr 0.01, momentum 0.9).step(), zeroGrad(); PyTorch runs torchvision.models.resnet18 on the
// same inputs (bench/pytorch_resnet.py). torchlet on one and on two threads, PyTorch on one and on
// two, each a contender; samples alternate (bench/lib.ts compare), wall time, medians and spreads, and beside it the
// CPU time per step (the work itself when the machine is loaded).
//   npx tsx bench/resnet.ts [--batch 16] [--size 32] [--rounds 5] [--seconds 1]
//   node --cpu-prof --import tsx bench/resnet.ts --profile --seconds 20   torchlet alone, for a profile
// The model is the example's, so torchlet is loaded from src/ through tsx (examples import "torchlet",
// which tsconfig maps to src/index-node.ts).
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import * as torch from "../src/index-node.ts";
import { resnet18 } from "../examples/resnet.ts";
import { argValue, cell, compare, lcgArray, machine, pytorchEnv, ratio, ratioCell, stats, type Contender, type Stats } from "./lib.ts";

const batch = Number(argValue("--batch") ?? 16), size = Number(argValue("--size") ?? 32);
const rounds = Number(argValue("--rounds") ?? 5), seconds = Number(argValue("--seconds") ?? 1);

/** The training step, as a user writes it. */
function torchletStep(): () => void {
  torch.manualSeed(0);
  const model = resnet18({ numClasses: 10 });
  model.train();
  const images = torch.tensor(lcgArray(batch * 3 * size * size, 5)).reshape(batch, 3, size, size);
  const labels = torch.tensor(Array.from({ length: batch }, (_, i) => i % 10), { dtype: torch.int64 });
  const lossFn = new torch.nn.CrossEntropyLoss();
  const opt = new torch.optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  return () => {
    lossFn(model(images), labels).backward();
    opt.step();
    opt.zeroGrad();
  };
}

/** CPU seconds per step of each contender's samples, beside the wall seconds that `compare` ranks. */
const cpuSamples = new Map<string, number[]>();
const recordCpu = (name: string, seconds: number) => cpuSamples.set(name, [...cpuSamples.get(name) ?? [], seconds]);
const cpuNow = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };

/** Wall seconds per step over as many steps as fit in `seconds` (at least one), on `threads` threads. */
function torchletContender(name: string, step: () => void, threads: number): Contender {
  return {
    name,
    sample: (s) => {
      torch.setNumThreads(threads);
      const t0 = performance.now(), c0 = cpuNow();
      let calls = 0, elapsed: number;
      do {
        step();
        calls++;
        elapsed = (performance.now() - t0) / 1000;
      } while (elapsed < s);
      // the worker thread's CPU time counts too: process.cpuUsage covers the whole process
      recordCpu(name, (cpuNow() - c0) / calls);
      return Promise.resolve(elapsed / calls);
    },
  };
}

/** bench/pytorch_resnet.py --serve in a child process, started as bench/lib.ts pytorchEnv starts PyTorch. */
class TorchPeer {
  readonly #proc: ChildProcessWithoutNullStreams;
  readonly #lines: AsyncIterator<string>;
  private constructor(proc: ChildProcessWithoutNullStreams) {
    this.#proc = proc;
    this.#lines = createInterface({ input: proc.stdout })[Symbol.asyncIterator]();
  }

  /** The peer, or null (with the reason on stdout) when torch or torchvision does not import. */
  static async start(threads: number): Promise<TorchPeer | null> {
    const script = fileURLToPath(new URL("./pytorch_resnet.py", import.meta.url));
    const proc = spawn("env", [...pytorchEnv(threads), script, "--serve", "--threads", String(threads), "--batch", String(batch), "--size", String(size)]);
    let stderr = "";
    proc.stderr.on("data", (d: Buffer) => { stderr += d.toString(); });
    proc.on("error", () => undefined);
    const peer = new TorchPeer(proc);
    const first = await peer.#lines.next();
    if (first.done) {
      console.log(`# PyTorch peer (${threads} thread${threads > 1 ? "s" : ""}) unavailable: ${stderr.trim().split("\n").pop() ?? ""}`);
      return null;
    }
    return peer;
  }

  contender(name: string): Contender {
    return {
      name,
      sample: async (s) => {
        this.#proc.stdin.write(`${s}\n`);
        const { value, done } = await this.#lines.next();
        if (done) throw new Error("the PyTorch peer exited early");
        const [wall, cpu] = value.split(" ").map(Number);
        recordCpu(name, cpu!);
        return wall!;
      },
    };
  }

  close(): void {
    this.#proc.stdin.end();
  }
}

/** The contender with the lowest median among `names`. */
function best(s: Map<string, Stats>, names: string[]): [string, Stats] | undefined {
  return names.flatMap((n) => (s.has(n) ? [[n, s.get(n)!] as [string, Stats]] : []))
    .sort((a, b) => a[1].median - b[1].median)[0];
}

async function main(): Promise<void> {
  const step = torchletStep();
  if (process.argv.includes("--profile")) {
    torchletContender("torchlet", step, Number(argValue("--threads") ?? 1)).sample(seconds);
    return;
  }
  const peers = [await TorchPeer.start(1), await TorchPeer.start(2)];
  const contenders = [torchletContender("torchlet 1T", step, 1), torchletContender("torchlet 2T", step, 2)];
  peers.forEach((p, i) => { if (p) contenders.push(p.contender(`PyTorch ${i + 1}T`)); });
  const s = await compare(contenders, { warmup: seconds, rounds, sampleSeconds: seconds });
  peers.forEach((p) => p?.close());
  torch.setNumThreads(1);

  const title = `ResNet-18 training step, batch ${batch} of 3x${size}x${size} (SGD, momentum)`;
  console.log(`# resnet: ${machine()}, wall time, median (min–max) of ${rounds} alternated samples of ${seconds} s`);
  console.log(`| workload | ${contenders.map((c) => c.name).join(" | ")} | best torchlet / best PyTorch | 1T / 1T |`);
  console.log(`|---|${contenders.map(() => "---").join("|")}|---|---|`);
  const ours = best(s, ["torchlet 1T", "torchlet 2T"]), theirs = best(s, ["PyTorch 1T", "PyTorch 2T"]);
  const bestRatio = ours && theirs ? `${ratioCell(ratio(ours[1], theirs[1]))} (${ours[0]} vs ${theirs[0]})` : "–";
  console.log(`| ${title} | ${contenders.map((c) => cell(s.get(c.name))).join(" | ")} | ${bestRatio} | ${ratioCell(ratio(s.get("torchlet 1T"), s.get("PyTorch 1T")))} |`);
  // on a loaded machine wall time is mostly the other processes; CPU time per step is the work itself
  // (the warm-up samples are dropped)
  const cpu = new Map([...cpuSamples].map(([n, xs]) => [n, stats(xs.slice(1))]));
  console.log(`| same, CPU time per step | ${contenders.map((c) => cell(cpu.get(c.name))).join(" | ")} | – | ${ratioCell(ratio(cpu.get("torchlet 1T"), cpu.get("PyTorch 1T")))} |`);
}

await main();
