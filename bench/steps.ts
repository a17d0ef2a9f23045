// A model's training step against the same step in PyTorch 1.13 (a bench/pytorch_*.py peer), shared
// by gpt.ts, resnet.ts and rnn.ts: torchlet on one and on two threads, PyTorch on one and on two (as
// its users get it: lib.ts pytorchEnv), four contenders whose samples alternate (lib.ts compare).
// Each sample reports its wall time per step and, beside it, the process's CPU time per step: on a
// loaded machine wall time is mostly the other processes, CPU time is the work itself.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { argValue, cell, compare, formatTime, machine, pytorchEnv, ratio, ratioCell, stats, type Contender, type Stats } from "./lib.ts";

/** What a step benchmark compares. */
export interface StepBench {
  /** The table's row: the model, its sizes and the step. */
  title: string;
  /** A few words for the header line ("resnet"). */
  name: string;
  /** torchlet's step, built as the peer builds its own. */
  step: () => void;
  /** torchlet.setNumThreads. */
  setNumThreads: (n: number) => void;
  /** The peer's file in bench/, run with `--serve --threads N` and `args`. */
  peer: string;
  args?: string[];
  rounds: number;
  seconds: number;
}

/** CPU seconds per step of each contender's samples, beside the wall seconds that `compare` ranks. */
const cpuSamples = new Map<string, number[]>();
const recordCpu = (name: string, seconds: number) => cpuSamples.set(name, [...cpuSamples.get(name) ?? [], seconds]);
const cpuNow = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };

/** Wall seconds per step over as many steps as fit in `seconds` (at least one), on `threads` threads. */
function torchletContender(name: string, b: StepBench, threads: number): Contender {
  return {
    name,
    sample: (s) => {
      b.setNumThreads(threads);
      const t0 = performance.now(), c0 = cpuNow();
      let calls = 0, elapsed: number;
      do {
        b.step();
        calls++;
        elapsed = (performance.now() - t0) / 1000;
      } while (elapsed < s);
      // the worker thread's CPU time counts too: process.cpuUsage covers the whole process
      recordCpu(name, (cpuNow() - c0) / calls);
      return Promise.resolve(elapsed / calls);
    },
  };
}

/** A PyTorch peer (`--serve`) in a child process: one sample per stdin line, "wall cpu" seconds per step back. */
class TorchPeer {
  readonly #proc: ChildProcessWithoutNullStreams;
  readonly #lines: AsyncIterator<string>;
  private constructor(proc: ChildProcessWithoutNullStreams) {
    this.#proc = proc;
    this.#lines = createInterface({ input: proc.stdout })[Symbol.asyncIterator]();
  }

  /** The peer, or null (with the reason on stdout) when torch (or what the peer needs) does not import. */
  static async start(file: string, threads: number, args: string[]): Promise<TorchPeer | null> {
    const script = fileURLToPath(new URL(`./${file}`, import.meta.url));
    const proc = spawn("env", [...pytorchEnv(threads), script, "--serve", "--threads", String(threads), ...args]);
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

/**
 * Runs the comparison and prints its table (wall time, then CPU time per step). With `--profile`,
 * torchlet's step alone (on `--threads`, default 1) for `seconds`, for a CPU profile.
 */
export async function runStepBench(b: StepBench): Promise<void> {
  if (process.argv.includes("--profile")) {
    const wall = await torchletContender("torchlet", b, Number(argValue("--threads") ?? 1)).sample(b.seconds);
    console.log(`torchlet: ${formatTime(wall)} per step`);
    return;
  }
  const peers = [await TorchPeer.start(b.peer, 1, b.args ?? []), await TorchPeer.start(b.peer, 2, b.args ?? [])];
  const contenders = [torchletContender("torchlet 1T", b, 1), torchletContender("torchlet 2T", b, 2)];
  peers.forEach((p, i) => { if (p) contenders.push(p.contender(`PyTorch ${i + 1}T`)); });
  const s = await compare(contenders, { warmup: b.seconds, rounds: b.rounds, sampleSeconds: b.seconds });
  peers.forEach((p) => p?.close());
  b.setNumThreads(1);

  console.log(`# ${b.name}: ${machine()}, wall time, median (min–max) of ${b.rounds} alternated samples of ${b.seconds} s`);
  console.log(`| workload | ${contenders.map((c) => c.name).join(" | ")} | best torchlet / best PyTorch | 1T / 1T |`);
  console.log(`|---|${contenders.map(() => "---").join("|")}|---|---|`);
  const ours = best(s, ["torchlet 1T", "torchlet 2T"]), theirs = best(s, ["PyTorch 1T", "PyTorch 2T"]);
  const bestRatio = ours && theirs ? `${ratioCell(ratio(ours[1], theirs[1]))} (${ours[0]} vs ${theirs[0]})` : "–";
  console.log(`| ${b.title} | ${contenders.map((c) => cell(s.get(c.name))).join(" | ")} | ${bestRatio} | ${ratioCell(ratio(s.get("torchlet 1T"), s.get("PyTorch 1T")))} |`);
  // the warm-up samples are dropped
  const cpu = new Map([...cpuSamples].map(([n, xs]) => [n, stats(xs.slice(1))]));
  console.log(`| same, CPU time per step | ${contenders.map((c) => cell(cpu.get(c.name))).join(" | ")} | – | ${ratioCell(ratio(cpu.get("torchlet 1T"), cpu.get("PyTorch 1T")))} |`);
}
