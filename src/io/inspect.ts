/**
 * The tensor table of a checkpoint (`torchlet inspect` and the browser inspector): name, dtype,
 * shape, parameter count, bytes and names sharing storage, from the headers alone, so a file of
 * any size answers at once. Statistics (min, max, mean, std, NaN/Inf counts) are added when asked,
 * streamed tensor by tensor: synchronously from a file (the CLI) or awaiting each range of a Blob
 * (a page), with the same accumulator, so both print the same numbers.
 */
import type { Checkpoint } from "./checkpoint.ts";
import { storageNumel } from "./lazy.ts";
import type { RawStorage, RawTensor } from "./raw.ts";
import { numel } from "./raw.ts";
import { StatsAccumulator, tensorChunks, tensorChunksAsync } from "./tensor-stream.ts";

/** Statistics of one tensor's elements (finite ones for min to std). */
export interface TensorStats {
  min: number | null;
  max: number | null;
  mean: number | null;
  std: number | null;
  nan: number;
  inf: number;
}

/** One row of the table; the statistics are there once computed. */
export interface TensorRow extends Partial<TensorStats> {
  name: string;
  dtype: string;
  shape: number[];
  params: number;
  bytes: number;
  /** Other names that share this tensor's storage. */
  sharesWith: string[];
}

/** The table of a checkpoint. */
export interface InspectReport {
  file: string;
  format: Checkpoint["format"];
  tensors: TensorRow[];
  totals: { tensors: number; params: number; bytes: number; storageBytes: number };
  metadata?: Record<string, string>;
}

/** Called as tensors are done: bytes of tensors done so far and in all. */
export type Progress = (done: number, total: number) => void;

/** Options of the asynchronous statistics: progress after each tensor, and a signal that stops them. */
export interface StatsOptions {
  progress?: Progress;
  signal?: AbortSignal;
}

/** The statistics of a file tensor, streamed chunk by chunk (an expanded view costs its storage). */
export function tensorStats(t: RawTensor): TensorStats {
  const acc = new StatsAccumulator();
  for (const chunk of tensorChunks(t)) acc.add(chunk);
  return acc.result();
}

/** tensorStats over any source, a browser File included: each range is awaited. */
export async function tensorStatsAsync(t: RawTensor, signal?: AbortSignal): Promise<TensorStats> {
  const acc = new StatsAccumulator();
  for await (const chunk of tensorChunksAsync(t)) {
    signal?.throwIfAborted();
    acc.add(chunk);
  }
  return acc.result();
}

/** The table of a checkpoint from its headers (no tensor byte is read); statistics only when asked. */
export function inspectCheckpoint(file: string, ckpt: Checkpoint, options: { stats?: boolean; progress?: Progress } = {}): InspectReport {
  const report = headerTable(file, ckpt);
  if (options.stats) {
    const tensors = [...ckpt.tensors.values()];
    let done = 0;
    report.tensors.forEach((row, i) => {
      Object.assign(row, tensorStats(tensors[i]!));
      options.progress?.((done += row.bytes), report.totals.bytes);
    });
  }
  return report;
}

/**
 * Adds the statistics to a table that `inspectCheckpoint` made from headers, in place and tensor by
 * tensor, reading each range without blocking: a page shows the table at once and fills it in.
 */
export async function addStatsAsync(report: InspectReport, ckpt: Checkpoint, options: StatsOptions = {}): Promise<InspectReport> {
  const tensors = [...ckpt.tensors.values()];
  let done = 0;
  for (let i = 0; i < report.tensors.length; i++) {
    const row = report.tensors[i]!;
    Object.assign(row, await tensorStatsAsync(tensors[i]!, options.signal));
    options.progress?.((done += row.bytes), report.totals.bytes);
  }
  return report;
}

function headerTable(file: string, ckpt: Checkpoint): InspectReport {
  const byStorage = new Map<RawStorage, string[]>();
  for (const [name, t] of ckpt.tensors) {
    const names = byStorage.get(t.storage);
    if (names === undefined) byStorage.set(t.storage, [name]);
    else names.push(name);
  }
  const rows: TensorRow[] = [];
  let bytes = 0, params = 0;
  for (const [name, t] of ckpt.tensors) {
    const n = numel(t.shape);
    const sharing = byStorage.get(t.storage)!;
    rows.push({
      name, dtype: t.dtype.name, shape: t.shape, params: n, bytes: n * t.dtype.itemsize,
      sharesWith: sharing.length > 1 ? sharing.filter((x) => x !== name) : [],
    });
    params += n;
    bytes += n * t.dtype.itemsize;
  }
  let storageBytes = 0;
  for (const st of byStorage.keys()) storageBytes += storageNumel(st) * st.dtype.itemsize;
  const metadata = Object.keys(ckpt.metadata).length > 0 ? { metadata: ckpt.metadata } : {};
  return { file, format: ckpt.format, tensors: rows, totals: { tensors: rows.length, params, bytes, storageBytes }, ...metadata };
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

/**
 * The table as aligned text with a totals line, as `torchlet inspect` prints it. Statistics columns
 * appear once any row has them; rows still waiting for theirs show "…".
 */
export function formatReport(r: InspectReport): string {
  const stats = r.tensors.some((t) => t.nan !== undefined);
  const head = ["name", "dtype", "shape", "params", "bytes", ...(stats ? ["min", "max", "mean", "std", "nan", "inf"] : []), "shares storage with"];
  const statCells = (t: TensorRow): string[] => (t.nan === undefined ? new Array<string>(6).fill("…")
    : [fmt(t.min), fmt(t.max), fmt(t.mean), fmt(t.std), String(t.nan), String(t.inf)]);
  const body = r.tensors.map((t) => [
    t.name, t.dtype, `[${t.shape.join(", ")}]`, String(t.params), String(t.bytes),
    ...(stats ? statCells(t) : []),
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
