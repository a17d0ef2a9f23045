// float32 GEMM benchmark: torchlet's WebAssembly SIMD kernel (one thread and both cores) against a
// naive TypeScript triple loop, PyTorch and TF.js's wasm backend (one thread: TF.js turns its wasm
// threads off in Node), measured in the same run with the trials alternated.
//   npx tsx bench/gemm.ts               the table (about a minute)
//   npx tsx bench/gemm.ts --threshold   1 vs 2 threads over sizes, to place the split threshold
//   npx tsx bench/gemm.ts --simd128     with the SIMD128 build (no fused multiply-add; the default is
//                                       the FMA build wherever relaxed SIMD exists, as in the library)
//   npx tsx bench/gemm.ts --browser     the wasm rows in headless Chromium (cross-origin isolated page)
//   npx tsx bench/gemm.ts --staging     the medium MLP's products with activations copied in and out
//                                       (as today) against resident in wasm memory, 1 and 2 threads
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { createServer } from "node:http";
import { createInterface } from "node:readline";
import { cpus } from "node:os";
import { DEFAULT_THREAD_THRESHOLD, setWasmThreadThreshold, wasmMatmul, wasmResidentFloats } from "../src/backend/wasm/matmul.ts";
import { relaxedSimdActive, setRelaxedSimd } from "../src/backend/wasm/module.ts";
import { enableRelaxedSimd } from "../src/backend/wasm/relaxed-simd-node.ts";
import { enableWasmThreads } from "../src/backend/wasm/threads-node.ts";
import { lcgArray, openblasDir, pytorchEnv } from "./lib.ts";

interface Case { n: number; transA: boolean; transB: boolean }

const CASES: Case[] = [
  { n: 64, transA: false, transB: false },
  { n: 256, transA: false, transB: false },
  { n: 1024, transA: false, transB: false },
  { n: 1024, transA: true, transB: false },
  { n: 1024, transA: false, transB: true },
];
const TRIALS = 9;
/** Each trial repeats the call for at least this long, to swamp timer noise. */
const TRIAL_SECONDS = 0.06;

function label(c: Case): string {
  return `${c.transA ? "A^T" : "A"} @ ${c.transB ? "B^T" : "B"}, n=${c.n}`;
}

const matrices = new Map<string, Float32Array>();

/** Deterministic values in [0, 1), made once per size and seed. */
function randomMatrix(n: number, seed: number): Float32Array {
  const key = `${n}/${seed}`;
  const hit = matrices.get(key);
  if (hit !== undefined) return hit;
  const out = new Float32Array(n * n);
  let s = seed;
  for (let i = 0; i < out.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 32;
  }
  matrices.set(key, out);
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

/** Seconds per call, averaged over as many calls as fit in `seconds` (at least one). */
function timeIt(seconds: number, fn: () => void): number {
  const t0 = performance.now();
  let calls = 0;
  let elapsed: number;
  do {
    fn();
    calls++;
    elapsed = (performance.now() - t0) / 1000;
  } while (elapsed < seconds);
  return elapsed / calls;
}

/** A persistent PyTorch process answering "n transA transB seconds" with seconds per torch.mm. */
class TorchPeer {
  static readonly SCRIPT = [
    "import sys, time, torch",
    "torch.set_num_threads(int(sys.argv[1]))",
    "cache = {}",
    "for line in sys.stdin:",
    "    n, ta, tb, budget = line.split()",
    "    n, ta, tb, budget = int(n), int(ta), int(tb), float(budget)",
    "    if (n, ta, tb) not in cache:",
    "        a, b = torch.rand(n, n), torch.rand(n, n)",
    "        cache[(n, ta, tb)] = (a.t() if ta else a, b.t() if tb else b, torch.empty(n, n))",
    "    A, B, out = cache[(n, ta, tb)]",
    "    torch.mm(A, B, out=out)",
    "    t, calls = time.perf_counter(), 0",
    "    while calls == 0 or time.perf_counter() - t < budget:",
    "        torch.mm(A, B, out=out)",
    "        calls += 1",
    "    print((time.perf_counter() - t) / calls, flush=True)",
  ].join("\n");
  readonly #proc: ChildProcessWithoutNullStreams;
  readonly #lines: AsyncIterator<string>;

  constructor(threads: number) {
    // on Debian's OpenBLAS when installed, with OpenBLAS's pool at `threads` (bench/lib.ts)
    this.#proc = spawn("env", [...pytorchEnv(threads), "-c", TorchPeer.SCRIPT, String(threads)]);
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

  async time(c: Case, seconds: number): Promise<number> {
    this.#proc.stdin.write(`${c.n} ${+c.transA} ${+c.transB} ${seconds}\n`);
    const { value, done } = await this.#lines.next();
    if (done) throw new Error("the PyTorch peer exited early");
    return Number(value);
  }

  close(): void {
    this.#proc.stdin.end();
  }
}

/** TF.js's wasm backend in this process, as its users call it: tf.matMul on 2-D tensors, read back. */
class TfjsPeer {
  private constructor(
    readonly tf: typeof import("@tensorflow/tfjs"),
    readonly cache = new Map<string, [import("@tensorflow/tfjs").Tensor2D, import("@tensorflow/tfjs").Tensor2D]>(),
  ) {}

  /** The peer, or null when TF.js (bench/package.json, installed by `npm run bench`) is missing or its wasm backend does not start. */
  static async start(): Promise<TfjsPeer | null> {
    try {
      const tf = await import("@tensorflow/tfjs");
      await import("@tensorflow/tfjs-backend-wasm");
      return (await tf.setBackend("wasm")) ? new TfjsPeer(tf) : null;
    } catch {
      return null;
    }
  }

  time(c: Case, seconds: number): number {
    const key = `${c.n}`;
    let ab = this.cache.get(key);
    if (ab === undefined) {
      ab = [this.tf.tensor2d(randomMatrix(c.n, 1), [c.n, c.n]), this.tf.tensor2d(randomMatrix(c.n, 2), [c.n, c.n])];
      this.cache.set(key, ab);
    }
    const [a, b] = ab;
    const call = () => { const out = this.tf.matMul(a, b, c.transA, c.transB); out.dataSync(); out.dispose(); };
    call();
    return timeIt(seconds, call);
  }
}

interface Samples { wasm: number[]; naive: number[]; torch: number[]; tfjs: number[] }

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
async function trial(c: Case, threads: number, s: Samples, torch: TorchPeer | null, tfjs: TfjsPeer | null, naive: boolean): Promise<void> {
  const a = randomMatrix(c.n, 1);
  const b = randomMatrix(c.n, 2);
  const out = new Float32Array(c.n * c.n);
  useThreads(threads);
  wasmMatmul(a, b, c.n, c.n, c.n, { ...c, out });
  s.wasm.push(timeIt(TRIAL_SECONDS, () => wasmMatmul(a, b, c.n, c.n, c.n, { ...c, out })));
  if (torch !== null) s.torch.push(await torch.time(c, TRIAL_SECONDS));
  if (tfjs !== null) s.tfjs.push(tfjs.time(c, TRIAL_SECONDS));
  if (naive) s.naive.push(timeIt(TRIAL_SECONDS, () => naiveMatmul(a, b, out, c.n, c.transA, c.transB)));
}

function row(c: Case, threads: number, s: Samples): string {
  const g = (xs: number[]) => (xs.length ? gflops(c, median(xs)) : NaN);
  const spread = `${gflops(c, Math.max(...s.wasm)).toFixed(1)}–${gflops(c, Math.min(...s.wasm)).toFixed(1)}`;
  const [w, nv, t, tf] = [g(s.wasm), g(s.naive), g(s.torch), g(s.tfjs)];
  const cell = (x: number) => (Number.isNaN(x) ? "–" : x.toFixed(1));
  const ratio = (x: number) => (Number.isNaN(x) ? "–" : `${(w / x).toFixed(2)}×`);
  return `| ${label(c)} | ${threads} | ${cell(w)} (${spread}) | ${cell(nv)} | ${cell(t)} | ${cell(tf)} | ${ratio(nv)} | ${ratio(t)} | ${ratio(tf)} |`;
}

async function table(): Promise<void> {
  const hasTorch = await TorchPeer.available();
  const tfjs = await TfjsPeer.start();
  console.log(`# float32 GEMM, GFLOPS (medians of ${TRIALS} alternated trials; spread = min–max)`);
  const build = relaxedSimdActive() ? "relaxed SIMD (fused multiply-add)" : "SIMD128 (no FMA)";
  console.log(`# ${cpus()[0]?.model ?? "?"}, ${cpus().length} cores, Node ${process.version}, ${build}${hasTorch ? `, PyTorch on ${openblasDir() ?? "the system's libblas.so.3"}` : ", PyTorch not found"}${tfjs ? ", TF.js wasm 1 thread" : ", TF.js not found"}`);
  console.log("| case | threads | torchlet wasm | naive TS | PyTorch | TF.js wasm | vs naive | vs PyTorch | vs TF.js wasm |");
  console.log("|---|---|---|---|---|---|---|---|---|");
  for (const threads of [1, 2]) {
    const torch = hasTorch ? new TorchPeer(threads) : null;
    for (const c of CASES) {
      const s: Samples = { wasm: [], naive: [], torch: [], tfjs: [] };
      // the naive loop is thread-count independent and slow: measure it once, with one thread
      const naiveTrials = threads === 1 ? (c.n >= 1024 ? 1 : TRIALS) : 0;
      for (let t = 0; t < TRIALS; t++) await trial(c, threads, s, torch, tfjs, t < naiveTrials);
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
        xs.push(timeIt(TRIAL_SECONDS / 4, () => wasmMatmul(a, b, n, n, n, { out })));
      }
    }
    const [g1, g2] = [gflops(c, median(one)), gflops(c, median(two))];
    console.log(`| ${n} | ${n ** 3} | ${g1.toFixed(1)} | ${g2.toFixed(1)} | ${(g2 / g1).toFixed(2)} |`);
  }
}

/**
 * One product of the medium MLP's step (784-256-256-10, batch 128): m, k, n as wasmMatmul takes them,
 * the operands that are activations (A, B, C; copied in or out unless resident), and the options.
 */
interface StepProduct { name: string; m: number; k: number; n: number; activations: string; transA?: boolean; transB?: boolean; accumulate?: boolean }
const STEP_PRODUCTS: StepProduct[] = [
  { name: "layer 1 forward, x W1ᵀ", m: 128, k: 784, n: 256, activations: "AC", transB: true },
  { name: "layer 1 weight gradient, g1ᵀ x", m: 256, k: 128, n: 784, activations: "AB", transA: true, accumulate: true },
  { name: "layer 2 forward, h1 W2ᵀ", m: 128, k: 256, n: 256, activations: "AC", transB: true },
  { name: "layer 2 weight gradient, g2ᵀ h1", m: 256, k: 128, n: 256, activations: "AB", transA: true, accumulate: true },
  { name: "layer 2 input gradient, g2 W2", m: 128, k: 256, n: 256, activations: "AC" },
];

/**
 * What backend-owned activations would buy the medium step's products: each product with its
 * activation operands in JavaScript arrays (copied into the staging area and the result out, as the
 * step runs today) against the same operands resident in wasm memory, weights and gradients resident
 * in both, alternated in one process.
 */
function stagingTable(): void {
  const resident = (len: number, seed: number) => {
    const x = wasmResidentFloats(len);
    if (x === null) throw new Error("--staging needs shared WebAssembly memory");
    x.set(lcgArray(len, seed));
    return x;
  };
  console.log(`# the medium MLP's products, GFLOPS (medians of 15 alternated trials); weights and gradients resident in both columns`);
  console.log("| product | threads | activations copied | activations resident | resident / copied |");
  console.log("|---|---|---|---|---|");
  for (const p of STEP_PRODUCTS) {
    const c: Case = { n: Math.cbrt(p.m * p.k * p.n), transA: false, transB: false };
    const operands = (copied: boolean) => {
      const make = (which: string, len: number, seed: number) => (copied && p.activations.includes(which) ? lcgArray(len, seed) : resident(len, seed));
      return { a: make("A", p.m * p.k, 1), b: make("B", p.k * p.n, 2), out: make("C", p.m * p.n, 3) };
    };
    const sets = [operands(true), operands(false)];
    for (const threads of [1, 2]) {
      setWasmThreadThreshold(threads === 1 ? Infinity : DEFAULT_THREAD_THRESHOLD);
      const times: number[][] = [[], []];
      for (let t = 0; t < 15; t++) {
        sets.forEach((o, i) => {
          const call = () => wasmMatmul(o.a, o.b, p.m, p.k, p.n, { out: o.out, transA: p.transA, transB: p.transB, accumulate: p.accumulate });
          call();
          times[i]!.push(timeIt(TRIAL_SECONDS, call));
        });
      }
      const [copied, res] = times.map((xs) => gflops(c, median(xs))) as [number, number];
      console.log(`| ${p.name} (${p.m}×${p.k}×${p.n}) | ${threads} | ${copied.toFixed(1)} | ${res.toFixed(1)} | ${(res / copied).toFixed(2)}× |`);
    }
  }
  setWasmThreadThreshold(DEFAULT_THREAD_THRESHOLD);
}

// Runs in the page as a string: a function literal would carry tsx's __name helper along.
const PAGE_BENCH = `(async () => {
  const T = globalThis.T, rows = [];
  const median = (xs) => xs.sort((a, b) => a - b)[xs.length >> 1];
  for (const fma of [false, true]) {
    // the helper keeps the build it was started with: restart it after switching
    T.disableWasmThreadsWeb();
    const build = T.setRelaxedSimd(fma) ? "FMA" : "SIMD128";
    if (fma && build !== "FMA") continue;
    if (!(await T.enableWasmThreadsWeb())) rows.push({ c: { n: 0 }, build: "no Web Worker threads", one: 0, two: 0 });
    for (const c of ${JSON.stringify(CASES)}) {
      const a = new Float32Array(c.n * c.n).fill(0.5), b = new Float32Array(c.n * c.n).fill(0.25);
      const out = new Float32Array(c.n * c.n), g = { 1: [], 2: [] };
      for (let t = 0; t < ${TRIALS}; t++) for (const th of [1, 2]) {
        T.setWasmThreadThreshold(th === 1 ? Infinity : undefined);
        T.wasmMatmul(a, b, c.n, c.n, c.n, { ...c, out });
        let calls = 0; const t0 = performance.now();
        do { T.wasmMatmul(a, b, c.n, c.n, c.n, { ...c, out }); calls++; } while (performance.now() - t0 < ${TRIAL_SECONDS * 1000});
        g[th].push(2 * c.n ** 3 * calls / (performance.now() - t0) / 1e6);
      }
      rows.push({ c, build, one: median(g[1]), two: median(g[2]) });
    }
  }
  return rows;
})()`;

/** The wasm rows in headless Chromium: a cross-origin isolated page, so the Web Worker helper runs. */
async function browserTable(): Promise<void> {
  const { build } = await import("esbuild");
  const { chromium } = await import("playwright-core");
  const entry = ["threads-web", "matmul", "module"].map((f) => `export * from "./src/backend/wasm/${f}.ts";`).join("\n");
  const root = new URL("..", import.meta.url).pathname;
  const bundle = await build({ stdin: { contents: entry, resolveDir: root, loader: "ts" }, bundle: true, write: false, format: "iife", globalName: "T" });
  const script = bundle.outputFiles[0]!.text;
  const server = createServer((req, res) => {
    const headers = { "cross-origin-opener-policy": "same-origin", "cross-origin-embedder-policy": "require-corp" };
    const js = req.url === "/bundle.js";
    res.writeHead(200, { ...headers, "content-type": js ? "text/javascript" : "text/html" });
    res.end(js ? script : "<!doctype html><script src=/bundle.js></script>");
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu"] });
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${(server.address() as { port: number }).port}/`);
    console.log(`# float32 GEMM in ${browser.version()} (headless), GFLOPS, medians of ${TRIALS} trials`);
    console.log("| case | build | 1 thread | 2 threads |\n|---|---|---|---|");
    const rows = (await page.evaluate(PAGE_BENCH)) as { c: Case; build: string; one: number; two: number }[];
    for (const r of rows) console.log(`| ${label(r.c)} | ${r.build} | ${r.one.toFixed(1)} | ${r.two.toFixed(1)} |`);
  } finally {
    await browser.close();
    server.close();
  }
}

if (process.argv.includes("--simd128")) setRelaxedSimd(false);
else if (!enableRelaxedSimd()) console.log("# relaxed SIMD unavailable: baseline build");
if (!enableWasmThreads()) console.log("# shared WebAssembly memory unavailable: the 2-thread rows run on one thread");
if (process.argv.includes("--threshold")) thresholdSweep();
else if (process.argv.includes("--staging")) stagingTable();
else if (process.argv.includes("--browser")) await browserTable();
else await table();
