// float32 GEMM benchmark: torchlet's WebAssembly SIMD kernel (one thread and both cores) against a
// naive TypeScript triple loop and PyTorch, measured in the same run with the trials alternated.
//   npx tsx bench/gemm.ts               the table (about a minute)
//   npx tsx bench/gemm.ts --threshold   1 vs 2 threads over sizes, to place the split threshold
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { createInterface } from "node:readline";
import { cpus } from "node:os";
import { DEFAULT_THREAD_THRESHOLD, setWasmThreadThreshold, wasmMatmul } from "../src/backend/wasm/matmul.ts";
import { enableWasmThreads } from "../src/backend/wasm/threads-node.ts";

interface Case { n: number; transA: boolean; transB: boolean }

const CASES: Case[] = [
  { n: 64, transA: false, transB: false },
  { n: 256, transA: false, transB: false },
  { n: 1024, transA: false, transB: false },
  { n: 1024, transA: true, transB: false },
  { n: 1024, transA: false, transB: true },
];
const TRIALS = 7;
/** Each trial runs long enough (~60 ms) to swamp timer noise. */
const TRIAL_FLOPS = 2.4e9;

function label(c: Case): string {
  return `${c.transA ? "A^T" : "A"} @ ${c.transB ? "B^T" : "B"}, n=${c.n}`;
}

function randomMatrix(n: number, seed: number): Float32Array {
  const out = new Float32Array(n * n);
  let s = seed;
  for (let i = 0; i < out.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 32;
  }
  return out;
}

/** The naive baseline: the i-j-p triple loop a user would write, reading op(A) and op(B) in place. */
function naiveMatmul(a: Float32Array, b: Float32Array, c: Float32Array, n: number, tA: boolean, tB: boolean): void {
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < n; p++) s += (tA ? a[p * n + i]! : a[i * n + p]!) * (tB ? b[j * n + p]! : b[p * n + j]!);
      c[i * n + j] = s;
    }
  }
}

function reps(n: number, flopsPerTrial: number): number {
  return Math.max(1, Math.round(flopsPerTrial / (2 * n ** 3)));
}

/** Seconds per call, averaged over one trial of `count` calls. */
function timeIt(count: number, fn: () => void): number {
  const t0 = performance.now();
  for (let i = 0; i < count; i++) fn();
  return (performance.now() - t0) / 1000 / count;
}

/** A persistent PyTorch process answering "n transA transB reps" with seconds per torch.mm. */
class TorchPeer {
  static readonly SCRIPT = [
    "import sys, time, torch",
    "torch.set_num_threads(int(sys.argv[1]))",
    "cache = {}",
    "for line in sys.stdin:",
    "    n, ta, tb, reps = (int(x) for x in line.split())",
    "    if (n, ta, tb) not in cache:",
    "        a, b = torch.rand(n, n), torch.rand(n, n)",
    "        cache[(n, ta, tb)] = (a.t() if ta else a, b.t() if tb else b, torch.empty(n, n))",
    "    A, B, out = cache[(n, ta, tb)]",
    "    torch.mm(A, B, out=out)",
    "    t = time.perf_counter()",
    "    for _ in range(reps): torch.mm(A, B, out=out)",
    "    print((time.perf_counter() - t) / reps, flush=True)",
  ].join("\n");
  readonly #proc: ChildProcessWithoutNullStreams;
  readonly #lines: AsyncIterator<string>;

  constructor(threads: number) {
    // OPENBLAS_CORETYPE/L2_SIZE are pinned on this machine for old OpenBLAS builds and slow torch down.
    this.#proc = spawn("env", ["-u", "OPENBLAS_CORETYPE", "-u", "OPENBLAS_L2_SIZE", "/usr/bin/python3", "-c", TorchPeer.SCRIPT, String(threads)]);
    this.#lines = createInterface({ input: this.#proc.stdout })[Symbol.asyncIterator]();
  }

  /** Whether /usr/bin/python3 can import torch here. */
  static async available(): Promise<boolean> {
    const proc = spawn("/usr/bin/python3", ["-c", "import torch"], { stdio: "ignore" });
    return new Promise((resolve) => {
      proc.on("error", () => resolve(false));
      proc.on("exit", (code) => resolve(code === 0));
    });
  }

  async time(c: Case, count: number): Promise<number> {
    this.#proc.stdin.write(`${c.n} ${+c.transA} ${+c.transB} ${count}\n`);
    const { value, done } = await this.#lines.next();
    if (done) throw new Error("the PyTorch peer exited early");
    return Number(value);
  }

  close(): void {
    this.#proc.stdin.end();
  }
}

interface Samples { wasm: number[]; naive: number[]; torch: number[] }

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

function gflops(c: Case, seconds: number): number {
  return (2 * c.n ** 3) / seconds / 1e9;
}

function useThreads(threads: number): void {
  setWasmThreadThreshold(threads === 1 ? Infinity : DEFAULT_THREAD_THRESHOLD);
}

/** One trial of each contender on one case, in turn, so drifts in machine load hit all alike. */
async function trial(c: Case, threads: number, s: Samples, torch: TorchPeer | null, naive: boolean): Promise<void> {
  const a = randomMatrix(c.n, 1);
  const b = randomMatrix(c.n, 2);
  const out = new Float32Array(c.n * c.n);
  useThreads(threads);
  wasmMatmul(a, b, c.n, c.n, c.n, { ...c, out });
  s.wasm.push(timeIt(reps(c.n, TRIAL_FLOPS), () => wasmMatmul(a, b, c.n, c.n, c.n, { ...c, out })));
  if (torch !== null) s.torch.push(await torch.time(c, reps(c.n, 4 * TRIAL_FLOPS)));
  if (naive) s.naive.push(timeIt(reps(c.n, TRIAL_FLOPS / 30), () => naiveMatmul(a, b, out, c.n, c.transA, c.transB)));
}

function row(c: Case, threads: number, s: Samples): string {
  const g = (xs: number[]) => (xs.length ? gflops(c, median(xs)) : NaN);
  const spread = `${gflops(c, Math.max(...s.wasm)).toFixed(1)}–${gflops(c, Math.min(...s.wasm)).toFixed(1)}`;
  const [w, nv, t] = [g(s.wasm), g(s.naive), g(s.torch)];
  const cell = (x: number) => (Number.isNaN(x) ? "–" : x.toFixed(1));
  const ratio = (x: number) => (Number.isNaN(x) ? "–" : `${(w / x).toFixed(2)}×`);
  return `| ${label(c)} | ${threads} | ${cell(w)} (${spread}) | ${cell(nv)} | ${cell(t)} | ${ratio(nv)} | ${ratio(t)} |`;
}

async function table(): Promise<void> {
  const hasTorch = await TorchPeer.available();
  console.log(`# float32 GEMM, GFLOPS (medians of ${TRIALS} alternated trials; spread = min–max)`);
  console.log(`# ${cpus()[0]?.model ?? "?"}, ${cpus().length} cores, Node ${process.version}${hasTorch ? "" : ", PyTorch not found"}`);
  console.log("| case | threads | torchlet wasm | naive TS | PyTorch | vs naive | vs PyTorch |");
  console.log("|---|---|---|---|---|---|---|");
  for (const threads of [1, 2]) {
    const torch = hasTorch ? new TorchPeer(threads) : null;
    for (const c of CASES) {
      const s: Samples = { wasm: [], naive: [], torch: [] };
      // the naive loop is thread-count independent and slow: measure it once, with one thread
      const naiveTrials = threads === 1 ? (c.n >= 1024 ? 2 : TRIALS) : 0;
      for (let t = 0; t < TRIALS; t++) await trial(c, threads, s, torch, t < naiveTrials);
      console.log(row(c, threads, s));
    }
    torch?.close();
  }
}

/** Prints 1-thread vs 2-thread GFLOPS over square sizes: the split threshold goes at the crossover. */
function thresholdSweep(): void {
  console.log("| n | m*n*k | 1 thread | 2 threads | 2T/1T |");
  console.log("|---|---|---|---|---|");
  for (const n of [32, 48, 64, 80, 96, 128, 160, 192, 256, 384, 512]) {
    const c: Case = { n, transA: false, transB: false };
    const a = randomMatrix(n, 1);
    const b = randomMatrix(n, 2);
    const out = new Float32Array(n * n);
    const one: number[] = [];
    const two: number[] = [];
    for (let t = 0; t < 15; t++) {
      for (const [xs, th] of [[one, Infinity], [two, 0]] as const) {
        setWasmThreadThreshold(th);
        wasmMatmul(a, b, n, n, n, { out });
        xs.push(timeIt(reps(n, TRIAL_FLOPS / 4), () => wasmMatmul(a, b, n, n, n, { out })));
      }
    }
    const [g1, g2] = [gflops(c, median(one)), gflops(c, median(two))];
    console.log(`| ${n} | ${n ** 3} | ${g1.toFixed(1)} | ${g2.toFixed(1)} | ${(g2 / g1).toFixed(2)} |`);
  }
}

if (!enableWasmThreads()) console.log("# shared WebAssembly memory unavailable: the 2-thread rows run on one thread");
if (process.argv.includes("--threshold")) thresholdSweep();
else await table();
