// Timing helpers for the benchmarks: warm-up, repeated samples taken in turn across contenders (so a
// drift in machine load hits every contender alike), median/min/max, ratios and table cells.
import { existsSync } from "node:fs";
import { cpus } from "node:os";

/** One contender: `sample(seconds)` runs the workload repeatedly for about that long (at least once)
 * and resolves to the seconds per call. A contender that is missing here returns null from its factory. */
export interface Contender {
  name: string;
  sample(seconds: number): Promise<number>;
}

/** Median, minimum and maximum of the per-call seconds of a contender's samples. */
export interface Stats {
  median: number;
  min: number;
  max: number;
  samples: number[];
}

/**
 * `--cpu-time`: samples measure this process's CPU time instead of wall time. On a shared machine
 * wall time mostly measures the other processes; CPU time does not (it still pays their cache
 * misses). Only meaningful for one thread per contender: the peers run one at a time, so the
 * process's CPU time is the running contender's, but two torchlet threads would add up.
 */
export const cpuTime = process.argv.includes("--cpu-time");

/** Milliseconds on the clock the samples use: wall time, or CPU time with `--cpu-time`. */
export function clockMs(): number {
  if (!cpuTime) return performance.now();
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Seconds per call of `fn`, averaged over as many calls as fit in `seconds` (at least one). */
export function timeSync(seconds: number, fn: () => void): number {
  const t0 = clockMs();
  let calls = 0;
  let elapsed: number;
  do {
    fn();
    calls++;
    elapsed = (clockMs() - t0) / 1000;
  } while (elapsed < seconds);
  return elapsed / calls;
}

/** CPU seconds of this process per call of `fn`, over as many calls as fit in `seconds` of CPU time (at least one). */
export function cpuSeconds(seconds: number, fn: () => void): number {
  const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };
  const t0 = cpu();
  let calls = 0, elapsed: number;
  do {
    fn();
    calls++;
    elapsed = cpu() - t0;
  } while (elapsed < seconds);
  return elapsed / calls;
}

/** A contender around a synchronous step function. */
export function syncContender(name: string, fn: () => void): Contender {
  return { name, sample: (seconds) => Promise.resolve(timeSync(seconds, fn)) };
}

/** Median/min/max of a list of samples. */
export function stats(samples: number[]): Stats {
  const s = [...samples].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { median, min: s[0]!, max: s[s.length - 1]!, samples };
}

export interface CompareOptions {
  /** Seconds of untimed calls per contender first (JIT, caches, lazy initialization). */
  warmup: number;
  /** Samples per contender. */
  rounds: number;
  /** Seconds each sample lasts (at least one call). */
  sampleSeconds: number;
}

/**
 * Times every contender in the same process: a warm-up each, then `rounds` rounds in which each
 * contender takes one sample, the starting contender rotating from round to round.
 */
export async function compare(contenders: Contender[], o: CompareOptions): Promise<Map<string, Stats>> {
  for (const c of contenders) await c.sample(o.warmup);
  const samples = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  for (let r = 0; r < o.rounds; r++) {
    for (let i = 0; i < contenders.length; i++) {
      const c = contenders[(i + r) % contenders.length]!;
      samples.get(c.name)!.push(await c.sample(o.sampleSeconds));
    }
  }
  return new Map([...samples].map(([name, xs]) => [name, stats(xs)]));
}

/** A duration in the unit that reads best: ns, µs, ms or s, three significant figures. */
export function formatTime(seconds: number): string {
  const units: [number, string][] = [[1, "s"], [1e-3, "ms"], [1e-6, "µs"], [1e-9, "ns"]];
  for (const [scale, unit] of units) {
    if (seconds >= scale || scale === 1e-9) return `${(seconds / scale).toPrecision(3)} ${unit}`;
  }
  return `${seconds} s`;
}

/** "median (min–max)", or "–" when the contender did not run. */
export function cell(s: Stats | undefined): string {
  return s === undefined ? "–" : `${formatTime(s.median)} (${formatTime(s.min)}–${formatTime(s.max)})`;
}

/** The ratio of two medians, torchlet's time over the peer's: below 1 means torchlet is faster. */
export function ratio(a: Stats | undefined, b: Stats | undefined): number | null {
  return a === undefined || b === undefined ? null : a.median / b.median;
}

/** A time ratio as a cell: "0.52 (1.9× faster)" or "3.10 (3.1× slower)". */
export function ratioCell(r: number | null): string {
  if (r === null) return "–";
  return r <= 1 ? `${r.toFixed(r < 0.1 ? 3 : 2)} (${(1 / r).toFixed(1)}× faster)` : `${r.toFixed(2)} (${r.toFixed(1)}× slower)`;
}

/** One line naming the machine: CPU model, core count, Node version. */
export function machine(): string {
  return `${cpus()[0]?.model ?? "unknown CPU"}, ${cpus().length} cores, Node ${process.version}`;
}

/** The value of `--name value` on the command line, or undefined. */
export function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** Deterministic values in [-scale, scale): a linear congruential generator, so baselines share inputs. */
export function lcgArray(n: number, seed: number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32 * 2 - 1) * scale;
  }
  return out;
}

/** Debian's multiarch directory for this CPU, where the BLAS packages put their libraries. */
function multiarchLib(): string {
  const triplet = { x64: "x86_64-linux-gnu", arm64: "aarch64-linux-gnu" }[process.arch as string] ?? `${process.arch}-linux-gnu`;
  return `/usr/lib/${triplet}`;
}

/**
 * Where Debian's OpenBLAS (`apt-get install libopenblas0-pthread`) keeps its libblas.so.3, or null
 * when it is not installed. Debian's python3-torch calls whatever libblas.so.3 the loader finds,
 * so this directory first on LD_LIBRARY_PATH runs PyTorch on OpenBLAS whatever the system's
 * `update-alternatives` choice, and nothing else on the machine changes.
 */
export function openblasDir(): string | null {
  if (process.env.TORCHLET_BENCH_BLAS === "system") return null;
  for (const flavour of ["openblas-pthread", "openblas-openmp", "openblas-serial"]) {
    const dir = `${multiarchLib()}/${flavour}`;
    if (existsSync(`${dir}/libblas.so.3`)) return dir;
  }
  return null;
}

/**
 * The `env` arguments that start /usr/bin/python3 as PyTorch's users on this machine get it: on
 * Debian's OpenBLAS when installed (`TORCHLET_BENCH_BLAS=system` keeps the system's libblas.so.3),
 * OpenBLAS's own pool sized to `threads` (torch.set_num_threads does not reach it in Debian's
 * generic-BLAS build), and OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE unset, so OpenBLAS picks its
 * kernels for this CPU (this machine's environment pins them for old builds, which slows torch down).
 */
export function pytorchEnv(threads: number): string[] {
  const dir = openblasDir();
  const path = dir === null ? [] : [`LD_LIBRARY_PATH=${[dir, process.env.LD_LIBRARY_PATH].filter(Boolean).join(":")}`];
  // OpenBLAS 0.3.21 (Debian 12) does not know every CPU: on a Sapphire Rapids host it falls back to
  // its generic Prescott kernels (27 against 160 GFLOPS at 1024 on one thread), so a run can also
  // name the core PyTorch's users on a recognised CPU get (TORCHLET_BENCH_OPENBLAS_CORETYPE=Cooperlake)
  const core = process.env.TORCHLET_BENCH_OPENBLAS_CORETYPE;
  const pinned = core === undefined || core === "" ? [] : [`OPENBLAS_CORETYPE=${core}`];
  return ["-u", "OPENBLAS_CORETYPE", "-u", "OPENBLAS_L2_SIZE", ...pinned, ...path, `OPENBLAS_NUM_THREADS=${threads}`, "/usr/bin/python3"];
}
