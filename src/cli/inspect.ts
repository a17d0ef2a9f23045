/**
 * `torchlet inspect FILE [--stats] [--json]`: a table of every tensor in a .pt file, a safetensors
 * file or a sharded checkpoint's index (name, dtype, shape, parameter count, bytes, names sharing
 * storage) with totals, from the headers alone: no tensor byte is read, so a file of any size
 * answers at once. `--stats` adds min, max, mean, std and NaN/Inf counts, streamed tensor by tensor
 * with a progress bar on a terminal's stderr.
 */
import { progressLine } from "../diagnostics/progress.ts";
import type { Checkpoint } from "../io/checkpoint.ts";
import { openCheckpointFile } from "../io/files-node.ts";
import { storageNumel } from "../io/lazy.ts";
import type { RawStorage, RawTensor } from "../io/raw.ts";
import { numel } from "../io/raw.ts";
import { StatsAccumulator, tensorChunks } from "../io/tensor-stream.ts";
import { parseCommand, reportFailure } from "./args.ts";

/** Statistics of one tensor's elements (finite ones for min to std). */
export interface TensorStats {
  min: number | null;
  max: number | null;
  mean: number | null;
  std: number | null;
  nan: number;
  inf: number;
}

/** One row of the report; the statistics are there with `--stats`. */
export interface TensorRow extends Partial<TensorStats> {
  name: string;
  dtype: string;
  shape: number[];
  params: number;
  bytes: number;
  /** Other names that share this tensor's storage. */
  sharesWith: string[];
}

/** What `inspect` reports about a file. */
export interface InspectReport {
  file: string;
  format: Checkpoint["format"];
  tensors: TensorRow[];
  totals: { tensors: number; params: number; bytes: number; storageBytes: number };
  metadata?: Record<string, string>;
}

/** Where output goes; tests pass buffers, the CLI passes the process streams. */
export interface Streams {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown; isTTY?: boolean };
}

/** The statistics of a file tensor, streamed chunk by chunk (an expanded view costs its storage). */
export function tensorStats(t: RawTensor): TensorStats {
  const acc = new StatsAccumulator();
  for (const chunk of tensorChunks(t)) acc.add(chunk);
  return acc.result();
}

/** Called as tensors are done: bytes of tensors done so far and in all. */
export type Progress = (done: number, total: number) => void;

/** Builds the report of a checkpoint; statistics only when asked, reported to `progress` as they stream. */
export function inspectCheckpoint(file: string, ckpt: Checkpoint, options: { stats?: boolean; progress?: Progress } = {}): InspectReport {
  const byStorage = new Map<RawStorage, string[]>();
  for (const [name, t] of ckpt.tensors) {
    const names = byStorage.get(t.storage);
    if (names === undefined) byStorage.set(t.storage, [name]);
    else names.push(name);
  }
  const bytesOf = (t: RawTensor): number => numel(t.shape) * t.dtype.itemsize;
  let total = 0;
  for (const t of ckpt.tensors.values()) total += bytesOf(t);
  const rows: TensorRow[] = [];
  let done = 0, params = 0;
  for (const [name, t] of ckpt.tensors) {
    const n = numel(t.shape);
    const sharing = byStorage.get(t.storage)!;
    const row: TensorRow = {
      name, dtype: t.dtype.name, shape: t.shape, params: n, bytes: n * t.dtype.itemsize,
      sharesWith: sharing.length > 1 ? sharing.filter((x) => x !== name) : [],
    };
    if (options.stats) {
      Object.assign(row, tensorStats(t));
      options.progress?.((done += row.bytes), total);
    }
    params += n;
    rows.push(row);
  }
  let storageBytes = 0;
  for (const st of byStorage.keys()) storageBytes += storageNumel(st) * st.dtype.itemsize;
  const metadata = Object.keys(ckpt.metadata).length > 0 ? { metadata: ckpt.metadata } : {};
  return { file, format: ckpt.format, tensors: rows, totals: { tensors: rows.length, params, bytes: total, storageBytes }, ...metadata };
}

/** Builds the report of one file (a .pt archive, a safetensors file or a `*.index.json`). */
export function inspectFile(path: string, options: { stats?: boolean; progress?: Progress } = {}): InspectReport {
  return inspectCheckpoint(path, openCheckpointFile(path), options);
}

const fmt = (v: number | null | undefined): string =>
  (v === null || v === undefined ? "-" : Number.isInteger(v) && Math.abs(v) < 1e9 ? String(v) : v.toPrecision(4));

/** Left-aligns the columns in `left`, right-aligns the others; linear in the number of rows. */
export function alignRows(head: string[], body: string[][], left: (i: number) => boolean): string[] {
  const widths = head.map((h) => h.length);
  for (const row of body) for (let i = 0; i < row.length; i++) if (row[i]!.length > widths[i]!) widths[i] = row[i]!.length;
  const line = (cells: string[]): string =>
    cells.map((c, i) => (left(i) ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ").trimEnd();
  return [line(head), line(widths.map((w) => "-".repeat(w))), ...body.map(line)];
}

/** The report as an aligned text table with a totals line. */
export function formatReport(r: InspectReport): string {
  const stats = r.tensors.length > 0 && r.tensors[0]!.nan !== undefined;
  const head = ["name", "dtype", "shape", "params", "bytes", ...(stats ? ["min", "max", "mean", "std", "nan", "inf"] : []), "shares storage with"];
  const body = r.tensors.map((t) => [
    t.name, t.dtype, `[${t.shape.join(", ")}]`, String(t.params), String(t.bytes),
    ...(stats ? [fmt(t.min), fmt(t.max), fmt(t.mean), fmt(t.std), String(t.nan), String(t.inf)] : []),
    t.sharesWith.join(", ") || "-",
  ]);
  const t = r.totals;
  return [
    `${r.file} (${r.format})`,
    ...alignRows(head, body, (i) => i < 2 || i === head.length - 1),
    `${t.tensors} tensors, ${t.params} parameters, ${t.bytes} bytes (${t.storageBytes} bytes of distinct storage)`,
    ...(r.metadata ? [`metadata: ${JSON.stringify(r.metadata)}`] : []),
  ].join("\n") + "\n";
}

/** A progress bar on a terminal's stderr, for checkpoints big enough to wait for (64 MiB and more). */
export function progressBar(stderr: Streams["stderr"], label: string, totalBytes: number): Progress | undefined {
  if (!stderr.isTTY || totalBytes < 64 * 2 ** 20) return undefined;
  let last = -1;
  return (done, total) => {
    const pct = total === 0 ? 100 : Math.floor((done / total) * 100);
    if (pct === last) return;
    last = pct;
    stderr.write(progressLine(done, total, { label }));
  };
}

/** Usage of `torchlet inspect`. */
export const inspectUsage = "usage: torchlet inspect FILE [--stats] [--json]\n" +
  "  FILE: a .pt/.pth/.bin file, a .safetensors file, or a sharded checkpoint's *.index.json\n" +
  "  --stats  also min, max, mean, std, NaN and Inf counts (reads every tensor, streamed)\n" +
  "  --json   the report as JSON\n";

/** Runs `torchlet inspect` with its arguments; returns the exit code. */
export function runInspect(args: readonly string[], io: Streams): number {
  const parsed = parseCommand("inspect", args, { json: { type: "boolean" }, stats: { type: "boolean" } }, inspectUsage, 1, io);
  if ("exit" in parsed) return parsed.exit;
  const path = parsed.files[0]!;
  return reportFailure("inspect", io, () => {
    const ckpt = openCheckpointFile(path);
    let total = 0;
    for (const t of ckpt.tensors.values()) total += numel(t.shape) * t.dtype.itemsize;
    const progress = parsed.values.stats ? progressBar(io.stderr, "inspecting", total) : undefined;
    const report = inspectCheckpoint(path, ckpt, { stats: parsed.values.stats === true, ...(progress ? { progress } : {}) });
    io.stdout.write(parsed.values.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
    return 0;
  });
}
