// The SIMD128 ceiling of this machine against the GEMM, in the same run: a loop of nothing but
// independent f32x4 fused multiply-adds (no loads), on one thread and on two worker threads at once,
// alternated with 1024^3 wasmMatmul on one and two threads. What "85% of the ceiling" means here.
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

function median(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
}

function cell(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  return `${median(xs).toFixed(1)} (${s[0]!.toFixed(1)}–${s.at(-1)!.toFixed(1)})`;
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

enableRelaxedSimd();
enableWasmThreads();
const module = new WebAssembly.Module(new Uint8Array(await compileLoop()));
const fma = new WebAssembly.Instance(module, {}).exports.fmaLoop as (n: number, x: number) => number;
const workers = [0, 1].map(() => new Worker(WORKER, { eval: true, workerData: { module } }));
const a = Float32Array.from({ length: N * N }, (_, i) => Math.sin(i));
const b = Float32Array.from({ length: N * N }, (_, i) => Math.cos(i));
const out = new Float32Array(N * N);
const rows = { loop1: [] as number[], loop2: [] as number[], gemm1: [] as number[], gemm2: [] as number[] };
fma(100000, 0.5);
for (let t = 0; t < TRIALS; t++) {
  const t0 = performance.now();
  fma(ITERS, 0.5);
  rows.loop1.push((FLOPS_PER_ITER * ITERS) / (performance.now() - t0) / 1e6);
  const both = workers.map((w) => new Promise<number>((ok) => w.once("message", ok)));
  for (const w of workers) w.postMessage(0);
  rows.loop2.push((await Promise.all(both)).reduce((x, y) => x + y, 0));
  setWasmThreadThreshold(Infinity);
  rows.gemm1.push(gemmGflops(a, b, out));
  setWasmThreadThreshold();
  rows.gemm2.push(gemmGflops(a, b, out));
}
for (const w of workers) await w.terminate();
console.log(`# ${cpus()[0]?.model ?? "?"}, ${cpus().length} cores, Node ${process.version}, ${relaxedSimdActive() ? "FMA" : "SIMD128"} GEMM build, load average ${loadavg()[0]!.toFixed(1)}; GFLOPS, medians of ${TRIALS} alternated trials (min–max)`);
console.log("| threads | pure f32x4 FMA loop (ceiling) | GEMM 1024³ | GEMM / ceiling (medians) |");
console.log("|---|---|---|---|");
console.log(`| 1 | ${cell(rows.loop1)} | ${cell(rows.gemm1)} | ${(median(rows.gemm1) / median(rows.loop1) * 100).toFixed(0)}% |`);
console.log(`| 2 | ${cell(rows.loop2)} | ${cell(rows.gemm2)} | ${(median(rows.gemm2) / median(rows.loop2) * 100).toFixed(0)}% |`);
