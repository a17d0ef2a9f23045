// Issue 13's measurements: `inspect` (headers), `inspect --stats`, `report`, `diff` and lazy
// `loadStateDict` on generated checkpoints of 1, 4 and 8 GiB, each command in its own process
// running the compiled library (dist/), with its wall time and peak RSS; throughput is set against
// the disk's sequential read speed measured on the same file in the same run, and with the CPU time
// the command used and the load average when it ran (on a shared machine the CPU rate, bytes per
// CPU second, says what the code does; the wall rate says what the machine let it do). Files go to
// /tmp/torchlet-io-bench and are deleted after each size. Header runs use sparse files (holes
// instead of data); statistics, report, diff and loading use files of real random data.
//   npm run build && npx tsx bench/io-scale.ts [--sizes 1,4,8] [--dir /tmp/torchlet-io-bench] [--headers-only | --load-only] [--cold] [--repeat N]
// --repeat N runs each `inspect --stats` N times, each against its own disk-speed read of the same
// file, and ends with their medians and ranges: on a shared machine one run says little.
// --cold (root only) empties the page cache before each disk-speed read and each command, so "disk"
// is the disk and not memory: a file just written is read back from the page cache at ~10 GB/s.
// The lazy loadStateDict row builds its model before the clock starts, on the CPU backend (the wasm
// backend keeps parameters in wasm memory, which cannot hold 4 GiB of them), and writes it once as
// initialization would: on this VM a first touch of fresh memory costs about 1.5 CPU s per GiB.
import { spawnSync } from "node:child_process";
import { closeSync, existsSync, ftruncateSync, mkdirSync, openSync, readSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { zipChunks } from "../src/io/zip.ts";
import type { ZipInput } from "../src/io/zip.ts";
import { Pickler } from "../src/io/pickle.ts";
import { argValue, machine } from "./lib.ts";

const sizes = (argValue("--sizes") ?? "1,4,8").split(",").map(Number);
const dir = argValue("--dir") ?? "/tmp/torchlet-io-bench";
const headersOnly = process.argv.includes("--headers-only");
const loadOnly = process.argv.includes("--load-only");
const cold = process.argv.includes("--cold");
const repeat = Math.max(1, Number(argValue("--repeat") ?? 1));
const dist = fileURLToPath(new URL("../dist/", import.meta.url));
const GiB = 2 ** 30;
const rows = 4096, cols = 4096; // 64 MiB float32 tensors, like a 7B model's large matrices
const tensorBytes = rows * cols * 4;

/** The safetensors header of `n` float32 [rows, cols] tensors named w0, w1, ... */
function safetensorsHeader(n: number): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: { format: "pt" } };
  for (let i = 0; i < n; i++) header[`w${i}`] = { dtype: "F32", shape: [rows, cols], data_offsets: [i * tensorBytes, (i + 1) * tensorBytes] };
  let json = JSON.stringify(header);
  json += " ".repeat((8 - (json.length % 8)) % 8);
  const out = new Uint8Array(8 + json.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(new TextEncoder().encode(json), 8);
  return out;
}

/** A block of random-ish float32 values (a cheap generator; `seed` varies it). */
function dataBlock(seed: number): Uint8Array {
  const f = new Float32Array(tensorBytes / 4 / 16);
  let x = seed * 2654435761 >>> 0;
  for (let i = 0; i < f.length; i++) {
    x = (x * 1664525 + 1013904223) >>> 0;
    f[i] = (x / 2 ** 32 - 0.5) * 0.04;
  }
  return new Uint8Array(f.buffer);
}

/** Writes chunks to `path`; `sparse` leaves holes where a chunk is one of the zero blocks. */
function writeChunks(path: string, chunks: Iterable<Uint8Array>, zero: Uint8Array | null): number {
  const fd = openSync(path, "w");
  let pos = 0;
  for (const c of chunks) {
    if (zero === null || c.buffer !== zero.buffer) for (let p = 0; p < c.length;) p += writeSync(fd, c, p, c.length - p, pos + p);
    pos += c.length;
  }
  ftruncateSync(fd, pos);
  closeSync(fd);
  return pos;
}

/** The data of tensor `i`: 16 blocks of the pool (or the zero block of a sparse file). */
function* tensorData(i: number, blocks: Uint8Array[], zero: Uint8Array | null): Generator<Uint8Array> {
  for (let b = 0; b < 16; b++) yield zero ?? blocks[(i + b) % blocks.length]!;
}

function safetensorsFile(path: string, n: number, sparse: boolean, blocks: Uint8Array[]): number {
  const zero = sparse ? new Uint8Array(tensorBytes / 16) : null;
  return writeChunks(path, (function* () {
    yield safetensorsHeader(n);
    for (let i = 0; i < n; i++) yield* tensorData(i, blocks, zero);
  })(), zero);
}

/** A .pt state dict of `n` [rows, cols] float32 tensors, as torch.save lays it out (zip64 past 4 GiB). */
function ptFile(path: string, n: number, sparse: boolean, blocks: Uint8Array[]): number {
  const p = new Pickler();
  p.global("collections", "OrderedDict"); p.emptyTuple(); p.reduce(); p.mark();
  for (let i = 0; i < n; i++) {
    p.string(`w${i}`);
    p.global("torch._utils", "_rebuild_tensor_v2"); p.mark();
    p.mark(); p.string("storage"); p.global("torch", "FloatStorage"); p.string(String(i)); p.string("cpu"); p.int(rows * cols); p.tuple(); p.persistentId();
    p.int(0); p.mark(); p.int(rows); p.int(cols); p.tuple(); p.mark(); p.int(cols); p.int(1); p.tuple();
    p.bool(false); p.global("collections", "OrderedDict"); p.emptyTuple(); p.reduce(); p.tuple(); p.reduce();
  }
  p.setItems();
  const zero = sparse ? new Uint8Array(tensorBytes / 16) : null;
  const text = (s: string) => new TextEncoder().encode(s);
  const small = (name: string, bytes: Uint8Array): ZipInput => ({ name, size: bytes.length, crc: 0, chunks: () => [bytes] });
  const files: ZipInput[] = [small("archive/data.pkl", p.finish()), small("archive/byteorder", text("little"))];
  // CRCs are left 0: neither torchlet nor PyTorch (MINIZ_DISABLE_ZIP_READER_CRC32_CHECKS) checks them
  for (let i = 0; i < n; i++) files.push({ name: `archive/data/${i}`, size: tensorBytes, crc: 0, chunks: () => tensorData(i, blocks, zero) });
  files.push(small("archive/version", text("3\n")));
  return writeChunks(path, zipChunks(files), zero);
}

/** With --cold, writes dirty pages and empties the page cache (needs root), so the next read comes from the disk. */
function dropCaches(): void {
  if (!cold) return;
  spawnSync("sync");
  writeFileSync("/proc/sys/vm/drop_caches", "3");
}

/** Sequential read speed of a file (16 MiB reads), bytes per second; the cache is emptied after it with --cold. */
function readSpeed(path: string): number {
  dropCaches();
  const fd = openSync(path, "r");
  const buf = new Uint8Array(1 << 24);
  const start = performance.now();
  let total = 0;
  for (let n; (n = readSync(fd, buf, 0, buf.length, total)) > 0;) total += n;
  closeSync(fd);
  const speed = total / ((performance.now() - start) / 1000);
  dropCaches();
  return speed;
}

interface Run { ms: number; cpuMs: number; rssMiB: number; out: string }

/** Runs `code` (an ES module body with `lib` and `cli` imported from dist/) in a fresh process, timed after `setup`. */
function child(code: string, setup = ""): Run {
  const body = `import * as lib from ${JSON.stringify(join(dist, "index-node.js"))};
import { main } from ${JSON.stringify(join(dist, "cli", "main.js"))};
const sink = { write: () => true }, io = { stdout: sink, stderr: sink };
${setup}
const t0 = performance.now(), c0 = process.cpuUsage();
${code}
const ms = performance.now() - t0, c = process.cpuUsage(c0);
process.stderr.write("\\n@@" + JSON.stringify({ ms, cpuMs: (c.user + c.system) / 1000, rss: process.resourceUsage().maxRSS }) + "\\n");`;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", body], { encoding: "utf8", maxBuffer: 1 << 26 });
  const line = r.stderr.split("\n").find((l) => l.startsWith("@@"));
  if (r.status !== 0 || line === undefined) throw new Error(`child failed: ${r.stderr.slice(-2000)}`);
  const { ms, cpuMs, rss } = JSON.parse(line.slice(2)) as { ms: number; cpuMs: number; rss: number };
  return { ms, cpuMs, rssMiB: rss / 1024, out: r.stdout };
}

/** Each `inspect --stats` run, by size and file: its throughput over the disk's, and the rest. */
const statsRuns: Record<string, Array<{ ratio: number; wall: number; cpu: number; rss: number; disk: number; load: number }>> = {};
const cli = (...args: string[]): string => `if (main(${JSON.stringify(args)}, io) !== 0) throw new Error("exit code");`;
const table: string[][] = [];
const row = (size: number, what: string, file: string, r: Run, bytes: number | null, disk: number | null, target: string): void => {
  const rate = (ms: number): string => (bytes === null ? "" : ((bytes / (ms / 1000)) / 1e9).toFixed(2));
  const pct = bytes === null || disk === null ? "" : `${(((bytes / (r.ms / 1000)) / disk) * 100).toFixed(0)}%`;
  table.push([`${size} GiB`, what, file, (r.ms / 1000).toFixed(2), (r.cpuMs / 1000).toFixed(2), r.rssMiB.toFixed(0), rate(r.ms), rate(r.cpuMs),
    disk === null ? "" : (disk / 1e9).toFixed(2), pct, loadavg()[0]!.toFixed(1), target]);
  console.error(table.at(-1)!.join(" | "));
};

if (!existsSync(join(dist, "cli", "main.js"))) {
  console.error("dist/ is missing: run `npm run build` first (the benchmark times the compiled library)");
  process.exit(1);
}
mkdirSync(dir, { recursive: true });
const blocks = Array.from({ length: 7 }, (_, i) => dataBlock(i + 1));
console.log(`# torchlet checkpoint I/O on ${machine()}, ${new Date().toISOString().slice(0, 16)} UTC${cold ? ", page cache emptied before each read (--cold)" : ""}\n`);
for (const size of sizes) {
  const n = Math.round((size * GiB) / tensorBytes);
  const bytes = n * tensorBytes;
  try {
    // headers from sparse files
    for (const [ext, make] of [["pt", ptFile], ["safetensors", safetensorsFile]] as const) {
      if (loadOnly) break;
      const sparse = join(dir, `sparse.${ext}`);
      make(sparse, n, true, blocks);
      row(size, "inspect (headers)", `.${ext} sparse`, child(cli("inspect", sparse)), null, null, "< 0.5 s, < 150 MB");
      rmSync(sparse);
    }
    if (headersOnly) continue;
    // real data
    const a = join(dir, "a.safetensors"), b = join(dir, "b.pt");
    safetensorsFile(a, n, false, blocks);
    if (!loadOnly) {
      ptFile(b, n, false, blocks.slice(1).concat(blocks.slice(0, 1)));
      for (let k = 0; k < repeat; k++) {
        // alternated, so neither file is always the first read after the other
        for (const [file, label] of k % 2 === 0 ? [[a, ".safetensors"], [b, ".pt"]] as const : [[b, ".pt"], [a, ".safetensors"]] as const) {
          const disk = readSpeed(file);
          const r = child(cli("inspect", file, "--stats"));
          row(size, "inspect --stats", label, r, bytes, disk, ">= 50% of disk, < 500 MB");
          const key = `${size} GiB | ${label}`;
          (statsRuns[key] ??= []).push({ ratio: bytes / (r.ms / 1000) / disk, wall: r.ms / 1000, cpu: r.cpuMs / 1000, rss: r.rssMiB, disk: disk / 1e9, load: loadavg()[0]! });
        }
      }
      const disk = readSpeed(a);
      row(size, "report", ".safetensors", child(cli("report", a, "-o", join(dir, "report.html"))), bytes, disk, "streamed (two passes)");
      dropCaches();
      row(size, "diff", ".safetensors vs .pt", child(cli("diff", a, b, "--json")), 2 * bytes, disk, "streamed");
    }
    const disk = readSpeed(a);
    // lazy loadStateDict into a model of zeros of the same shapes, built before the clock starts
    const load = child(`
m.loadStateDict(lib.loadSafetensors(${JSON.stringify(a)}, { lazy: true }));
if (m.w0.storage.data[0] === 0 && m.w0.storage.data[1] === 0) throw new Error("not loaded");`, `
const { nn, zeros } = lib;
lib.setBackend(lib.cpuBackend);
class M extends nn.Module { constructor() { super(); for (let i = 0; i < ${n}; i++) this["w" + i] = new nn.Parameter(zeros([${rows}, ${cols}])); } forward(x) { return x; } }
const m = new M();
for (const p of m.parameters()) p.storage.data.fill(1); // as an initialized model's: its pages are touched before the load`);
    const limit = bytes / 2 ** 20 + tensorBytes / 2 ** 20 + 100;
    row(size, "lazy loadStateDict", ".safetensors", load, bytes, disk, `RSS <= ${limit.toFixed(0)} MiB (model + largest + 100)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
  }
}
rmSync(dir, { recursive: true, force: true });
console.log("| size | command | file | wall s | CPU s | peak RSS MiB | GB/s (wall) | GB/s per CPU s | disk GB/s | of disk | load | target |");
console.log("|---|---|---|---|---|---|---|---|---|---|---|---|");
for (const r of table) console.log(`| ${r.join(" | ")} |`);
if (repeat > 1) {
  const med = (v: number[]): number => { const s = [...v].sort((x, y) => x - y); return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2; };
  const spread = (v: number[], f: (x: number) => string): string => `${f(med(v))} (${f(Math.min(...v))}–${f(Math.max(...v))})`;
  const pct = (x: number): string => `${(x * 100).toFixed(0)}%`, s2 = (x: number): string => x.toFixed(2);
  console.log(`\n\`inspect --stats\` over ${repeat} runs each: median (min–max)\n`);
  console.log("| size | file | of disk | runs >= 50% | wall s | CPU s | disk GB/s | peak RSS MiB | load |");
  console.log("|---|---|---|---|---|---|---|---|---|");
  for (const [key, runs] of Object.entries(statsRuns)) {
    const ratios = runs.map((r) => r.ratio);
    console.log(`| ${key} | ${spread(ratios, pct)} | ${ratios.filter((r) => r >= 0.5).length}/${runs.length} | ${spread(runs.map((r) => r.wall), s2)} | ` +
      `${spread(runs.map((r) => r.cpu), s2)} | ${spread(runs.map((r) => r.disk), s2)} | ${Math.max(...runs.map((r) => r.rss)).toFixed(0)} | ${spread(runs.map((r) => r.load), (x) => x.toFixed(1))} |`);
  }
}
