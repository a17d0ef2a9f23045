// The SIMD128 ceiling of this machine against the GEMM, in the same run: a loop of nothing but
// independent f32x4 fused multiply-adds (no loads), on one thread and on two worker threads at once,
// alternated with 1024^3 wasmMatmul on one and two threads. What "85% of the ceiling" means here.
// Two rows say what a shared VM takes from that: the same loop cut into fork-joins of bands the size
// of the medium MLP's (about 0.4 ms: the calling thread runs one band while a spinning worker runs
// the other, then waits for it), and the time a spinning thread does not run (the hypervisor's
// pauses, which no code of ours causes, but which a fork-join waits for).
//   npx tsx bench/ceiling.ts
import asc from "assemblyscript/asc";
import { Worker } from "node:worker_threads";
import { cpus, loadavg } from "node:os";
import { setWasmThreadThreshold, wasmMatmul } from "../src/backend/wasm/matmul.ts";
import { relaxedSimdActive } from "../src/backend/wasm/module.ts";
import { enableRelaxedSimd } from "../src/backend/wasm/relaxed-simd-node.ts";
import { enableWasmThreads } from "../src/backend/wasm/threads-node.ts";

// 12 independent accumulator chains: more than FMA latency x throughput (4 x 2 on Zen 4) needs.
const LOOP = `
export function fmaLoop(iters: i32, x: f32): f32 {
  const a = f32x4.splat(x), b = f32x4.splat(1.0000001);
  ${Array.from({ length: 12 }, (_, i) => `let c${i} = f32x4.splat(${i}.0);`).join(" ")}
  for (let i = 0; i < iters; i++) {
    ${Array.from({ length: 12 }, (_, i) => `c${i} = v128.relaxed_madd<f32>(a, b, c${i});`).join(" ")}
  }
  let s = c0;
  ${Array.from({ length: 11 }, (_, i) => `s = f32x4.add(s, c${i + 1});`).join(" ")}
  return f32x4.extract_lane(s, 0);
}`;
const FLOPS_PER_ITER = 12 * 4 * 2;
const ITERS = 5_000_000;
const TRIALS = 9;
const N = 1024;
/** Loop iterations of one fork-join band: 0.38 ms at 51 GFLOPS. */
const BAND_ITERS = 200_000;
const JOINS = 250;

async function compileLoop(): Promise<Uint8Array> {
  let binary: Uint8Array | null = null;
  const { error, stderr } = await asc.main(["loop.ts", "--outFile", "loop.wasm", "-O3", "--runtime", "stub", "--enable", "simd", "--enable", "relaxed-simd"], {
    readFile: (name) => (name === "loop.ts" ? LOOP : null),
    writeFile: (name, contents) => {
      if (name.endsWith(".wasm") && typeof contents !== "string") binary = contents;
    },
  });
  if (error || binary === null) throw new Error(`asc: ${error?.message}\n${stderr.toString()}`);
  return binary;
}

// Each worker runs the loop when told and reports its own GFLOPS; both start together.
const WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const run = new WebAssembly.Instance(workerData.module, {}).exports.fmaLoop;
run(100000, 0.5);
parentPort.on("message", () => {
  const t0 = process.hrtime.bigint();
  run(${ITERS}, 0.5);
  parentPort.postMessage(${FLOPS_PER_ITER * ITERS} / Number(process.hrtime.bigint() - t0));
});`;

// Spins on a shared control block (never sleeps) and runs one band per request until told -1.
const FORK_WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const run = new WebAssembly.Instance(workerData.module, {}).exports.fmaLoop;
const ctl = new Int32Array(workerData.control);
run(100000, 0.5);
parentPort.on("message", (seen) => {
  for (;;) {
    let r;
    while ((r = Atomics.load(ctl, 0)) === seen);
    if (r < 0) break;
    seen = r;
    run(${BAND_ITERS}, 0.5);
    Atomics.store(ctl, 1, seen);
  }
  parentPort.postMessage(0);
});`;

function median(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
}

function cell(xs: number[], digits = 1): string {
  const s = [...xs].sort((a, b) => a - b);
  return `${median(xs).toFixed(digits)} (${s[0]!.toFixed(digits)}–${s.at(-1)!.toFixed(digits)})`;
}

function gemmGflops(a: Float32Array, b: Float32Array, out: Float32Array): number {
  const t0 = performance.now();
  let calls = 0;
  do {
    wasmMatmul(a, b, N, N, N, { out });
    calls++;
  } while (performance.now() - t0 < 150);
  return (2 * N ** 3 * calls) / (performance.now() - t0) / 1e6;
}

/** GFLOPS of JOINS fork-joins: this thread runs one band and waits for the worker's. */
async function forkJoinGflops(run: (n: number, x: number) => number, worker: Worker, ctl: Int32Array): Promise<number> {
  const stopped = new Promise((ok) => worker.once("message", ok));
  let seq = Atomics.load(ctl, 0);
  worker.postMessage(seq);
  const t0 = performance.now();
  for (let j = 0; j < JOINS; j++) {
    Atomics.store(ctl, 0, ++seq);
    run(BAND_ITERS, 0.5);
    while (Atomics.load(ctl, 1) !== seq);
  }
  const ms = performance.now() - t0;
  Atomics.store(ctl, 0, -1);
  await stopped;
  Atomics.store(ctl, 0, seq);
  return (2 * JOINS * BAND_ITERS * FLOPS_PER_ITER) / ms / 1e6;
}

/** Pauses of a spinning thread over `ms`: gaps of over 10 µs between two clock reads. */
function pauses(ms: number): { perMs: number; lost: number; median: number } {
  const gaps: number[] = [];
  const t0 = performance.now();
  let prev = t0;
  for (let now = t0; now - t0 < ms; now = performance.now()) {
    if (now - prev > 0.01) gaps.push(now - prev);
    prev = now;
  }
  return { perMs: gaps.length / ms, lost: gaps.reduce((x, y) => x + y, 0) / ms, median: gaps.length ? median(gaps) * 1000 : 0 };
}

enableRelaxedSimd();
enableWasmThreads();
const module = new WebAssembly.Module(new Uint8Array(await compileLoop()));
const fma = new WebAssembly.Instance(module, {}).exports.fmaLoop as (n: number, x: number) => number;
const workers = [0, 1].map(() => new Worker(WORKER, { eval: true, workerData: { module } }));
const control = new SharedArrayBuffer(8);
const forkCtl = new Int32Array(control);
const forkWorker = new Worker(FORK_WORKER, { eval: true, workerData: { module, control } });
const a = Float32Array.from({ length: N * N }, (_, i) => Math.sin(i));
const b = Float32Array.from({ length: N * N }, (_, i) => Math.cos(i));
const out = new Float32Array(N * N);
const rows = { loop1: [] as number[], loop2: [] as number[], fork: [] as number[], gemm1: [] as number[], gemm2: [] as number[] };
const hiccups: ReturnType<typeof pauses>[] = [];
fma(100000, 0.5);
for (let t = 0; t < TRIALS; t++) {
  const t0 = performance.now();
  fma(ITERS, 0.5);
  rows.loop1.push((FLOPS_PER_ITER * ITERS) / (performance.now() - t0) / 1e6);
  const both = workers.map((w) => new Promise<number>((ok) => w.once("message", ok)));
  for (const w of workers) w.postMessage(0);
  rows.loop2.push((await Promise.all(both)).reduce((x, y) => x + y, 0));
  rows.fork.push(await forkJoinGflops(fma, forkWorker, forkCtl));
  hiccups.push(pauses(100));
  setWasmThreadThreshold(Infinity);
  rows.gemm1.push(gemmGflops(a, b, out));
  setWasmThreadThreshold();
  rows.gemm2.push(gemmGflops(a, b, out));
}
for (const w of [...workers, forkWorker]) await w.terminate();
const band = (BAND_ITERS * FLOPS_PER_ITER) / median(rows.loop1) / 1e3;
const join = (2 * BAND_ITERS * FLOPS_PER_ITER) / median(rows.fork) / 1e3;
console.log(`# ${cpus()[0]?.model ?? "?"}, ${cpus().length} cores, Node ${process.version}, ${relaxedSimdActive() ? "FMA" : "SIMD128"} GEMM build, load average ${loadavg()[0]!.toFixed(1)}; GFLOPS, medians of ${TRIALS} alternated trials (min–max)`);
console.log("| threads | pure f32x4 FMA loop (ceiling) | GEMM 1024³ | GEMM / ceiling (medians) |");
console.log("|---|---|---|---|");
console.log(`| 1 | ${cell(rows.loop1)} | ${cell(rows.gemm1)} | ${(median(rows.gemm1) / median(rows.loop1) * 100).toFixed(0)}% |`);
console.log(`| 2 | ${cell(rows.loop2)} | ${cell(rows.gemm2)} | ${(median(rows.gemm2) / median(rows.loop2) * 100).toFixed(0)}% |`);
console.log(`\nThe loop as ${JOINS} fork-joins of ${band.toFixed(0)} µs bands on two threads: ${cell(rows.fork)} GFLOPS, ` +
  `${(median(rows.fork) / median(rows.loop2) * 100).toFixed(0)}% of the two-thread loop (${(join - band).toFixed(0)} µs a join over one band's time).`);
console.log(`A spinning thread's pauses (gaps of over 10 µs between clock reads): ${cell(hiccups.map((x) => x.perMs), 2)} per ms, ` +
  `${cell(hiccups.map((x) => x.median), 0)} µs each (median), ${cell(hiccups.map((x) => x.lost * 100))}% of the time lost.`);
