/**
 * `torchlet inspect FILE [--json]`: a table of every tensor in a .pt file, a safetensors file or a
 * sharded checkpoint's index (name, dtype, shape, parameter count, bytes, min, max, mean, std,
 * NaN and Inf counts, names sharing storage) with totals. Works on the byte layer, so it needs
 * no Tensor and never converts a whole file to float.
 */
import { readFileSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { FormatError, TorchletError } from "../errors.ts";
import { readPt } from "../io/pt.ts";
import type { PtValue } from "../io/pt.ts";
import type { RawStorage, RawTensor } from "../io/raw.ts";
import { isContiguous, isRawTensor, maxDepth, numel, packContiguous } from "../io/raw.ts";
import { readSafetensors } from "../io/safetensors.ts";
import { parseShardIndex } from "../io/serialize.ts";
import { bfloat16ToNumber, halfToNumber } from "../core/half.ts";

/** One row of the report. */
export interface TensorRow {
  name: string;
  dtype: string;
  shape: number[];
  params: number;
  bytes: number;
  min: number | null;
  max: number | null;
  mean: number | null;
  std: number | null;
  nan: number;
  inf: number;
  /** Other names that share this tensor's storage. */
  sharesWith: string[];
}

/** What `inspect` reports about a file. */
export interface InspectReport {
  file: string;
  format: "pt" | "safetensors" | "sharded-safetensors";
  tensors: TensorRow[];
  totals: { tensors: number; params: number; bytes: number; storageBytes: number };
  metadata?: Record<string, string>;
}

/** Where output goes; tests pass buffers, the CLI passes the process streams. */
export interface Streams {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown; isTTY?: boolean };
}

/** min, max, mean and unbiased std over the finite elements, plus NaN and Inf counts. */
export function tensorStats(t: RawTensor): Pick<TensorRow, "min" | "max" | "mean" | "std" | "nan" | "inf"> {
  const n = numel(t.shape);
  const data = isContiguous(t) ? t.storage.data.subarray(t.offset, t.offset + n) : packContiguous(t);
  const decode = t.dtype.name === "float16" ? halfToNumber : t.dtype.name === "bfloat16" ? bfloat16ToNumber : Number;
  let min = Infinity, max = -Infinity, count = 0, mean = 0, m2 = 0, nan = 0, inf = 0;
  for (let i = 0; i < n; i++) {
    const v = decode(data[i] as number);
    if (Number.isNaN(v)) { nan++; continue; }
    if (!Number.isFinite(v)) { inf++; continue; }
    if (v < min) min = v;
    if (v > max) max = v;
    // Welford's update keeps the std accurate for large tensors with a big mean
    count++;
    const d = v - mean;
    mean += d / count;
    m2 += d * (v - mean);
  }
  if (count === 0) return { min: null, max: null, mean: null, std: null, nan, inf };
  return { min, max, mean, std: count > 1 ? Math.sqrt(m2 / (count - 1)) : null, nan, inf };
}

/** Flattens a loaded .pt tree into dotted names, as a state dict names them. */
export function namedTensors(value: PtValue, file = "<bytes>"): Map<string, RawTensor> {
  const out = new Map<string, RawTensor>();
  const seen = new Set<object>();
  const walk = (v: unknown, prefix: string, depth = 0): void => {
    if (typeof v !== "object" || v === null) return;
    if (depth > maxDepth) throw new FormatError(`${file}: containers are nested more than ${maxDepth} deep`);
    if (isRawTensor(v)) {
      out.set(prefix === "" ? "<tensor>" : prefix, v);
      return;
    }
    if (seen.has(v)) return;
    seen.add(v);
    const entries = v instanceof Map ? [...v.entries()] : Array.isArray(v) ? v.map((x, i) => [i, x]) : [];
    for (const [k, x] of entries) walk(x, prefix === "" ? String(k) : `${prefix}.${String(k)}`, depth + 1);
  };
  walk(value, "");
  return out;
}

function rows(tensors: Map<string, RawTensor>, progress: (done: number) => void): TensorRow[] {
  const byStorage = new Map<RawStorage, string[]>();
  for (const [name, t] of tensors) byStorage.set(t.storage, [...(byStorage.get(t.storage) ?? []), name]);
  const out: TensorRow[] = [];
  let done = 0;
  for (const [name, t] of tensors) {
    const params = numel(t.shape);
    out.push({
      name, dtype: t.dtype.name, shape: t.shape, params, bytes: params * t.dtype.itemsize, ...tensorStats(t),
      sharesWith: byStorage.get(t.storage)!.filter((n) => n !== name),
    });
    done += params * t.dtype.itemsize;
    progress(done);
  }
  return out;
}

function readBytes(path: string): Uint8Array {
  const b = readFileSync(path);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

function loadAny(path: string): { format: InspectReport["format"]; tensors: Map<string, RawTensor>; metadata?: Record<string, string> } {
  if (path.endsWith(".index.json")) {
    const index = parseShardIndex(readFileSync(path, "utf8"), basename(path));
    const tensors = new Map<string, RawTensor>();
    for (const file of new Set(index.weightMap.values())) {
      for (const [k, t] of readSafetensors(readBytes(join(dirname(path), file)), file).tensors) tensors.set(k, t);
    }
    return { format: "sharded-safetensors", tensors };
  }
  const bytes = readBytes(path);
  // zip archives and anything named like a PyTorch file go to readPt, whose errors explain legacy files
  if ((bytes[0] === 0x50 && bytes[1] === 0x4b) || /\.(pt|pth|bin|ckpt|params)$/i.test(path)) {
    return { format: "pt", tensors: namedTensors(readPt(bytes, path), path) };
  }
  const { tensors, metadata } = readSafetensors(bytes, path);
  return { format: "safetensors", tensors, metadata };
}

/** Builds the report of one file (a .pt archive, a safetensors file or a `*.index.json`). */
export function inspectFile(path: string, progress: (done: number, total: number) => void = () => {}): InspectReport {
  const { format, tensors, metadata } = loadAny(path);
  const total = [...tensors.values()].reduce((s, t) => s + numel(t.shape) * t.dtype.itemsize, 0);
  const table = rows(tensors, (done) => progress(done, total));
  const storages = new Set([...tensors.values()].map((t) => t.storage));
  const storageBytes = [...storages].reduce((s, st) => s + st.data.byteLength, 0);
  const totals = { tensors: table.length, params: table.reduce((s, r) => s + r.params, 0), bytes: total, storageBytes };
  return { file: path, format, tensors: table, totals, ...(metadata && Object.keys(metadata).length > 0 ? { metadata } : {}) };
}

const fmt = (v: number | null): string => (v === null ? "-" : Number.isInteger(v) && Math.abs(v) < 1e9 ? String(v) : v.toPrecision(4));

/** The report as an aligned text table with a totals line. */
export function formatReport(r: InspectReport): string {
  const head = ["name", "dtype", "shape", "params", "bytes", "min", "max", "mean", "std", "nan", "inf", "shares storage with"];
  const body = r.tensors.map((t) => [
    t.name, t.dtype, `[${t.shape.join(", ")}]`, String(t.params), String(t.bytes), fmt(t.min), fmt(t.max),
    fmt(t.mean), fmt(t.std), String(t.nan), String(t.inf), t.sharesWith.join(", ") || "-",
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const left = (i: number): boolean => i < 2 || i === head.length - 1;
  const line = (cells: string[]): string =>
    cells.map((c, i) => (left(i) ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ").trimEnd();
  const t = r.totals;
  return [
    `${r.file} (${r.format})`,
    line(head), line(widths.map((w) => "-".repeat(w))), ...body.map(line),
    `${t.tensors} tensors, ${t.params} parameters, ${t.bytes} bytes (${t.storageBytes} bytes of distinct storage)`,
    ...(r.metadata ? [`metadata: ${JSON.stringify(r.metadata)}`] : []),
  ].join("\n") + "\n";
}

function progressBar(stderr: Streams["stderr"], path: string): (done: number, total: number) => void {
  let size = 0;
  try { size = statSync(path).size; } catch { /* the loader reports a missing file */ }
  if (!stderr.isTTY || size < 64 * 2 ** 20) return () => {};
  return (done, total) => {
    const frac = total === 0 ? 1 : done / total;
    const bar = "#".repeat(Math.round(frac * 30)).padEnd(30, ".");
    stderr.write(`\rinspecting [${bar}] ${(frac * 100).toFixed(0)}%${frac >= 1 ? "\n" : ""}`);
  };
}

const usage = "usage: torchlet inspect FILE [--json]   (FILE: .pt, .safetensors or model.safetensors.index.json)\n";

/** Runs `torchlet inspect` with its arguments; returns the exit code. */
export function runInspect(args: readonly string[], io: Streams): number {
  const json = args.includes("--json");
  const files = args.filter((a) => a !== "--json");
  if (files.length !== 1 || files[0]!.startsWith("-")) {
    io.stderr.write(usage);
    return 2;
  }
  const path = files[0]!;
  try {
    const report = inspectFile(path, progressBar(io.stderr, path));
    io.stdout.write(json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
    return 0;
  } catch (e) {
    const known = e instanceof TorchletError || (e as NodeJS.ErrnoException).code !== undefined;
    if (!known) throw e;
    io.stderr.write(`torchlet inspect: ${(e as Error).message.split("\n")[0]}\n`);
    return 1;
  }
}
