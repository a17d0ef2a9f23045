/**
 * `torchlet diff A B [--json] [--html out.html]`: compares two checkpoints tensor by tensor, as
 * fine-tuning drift at a glance: names only in one, dtype and shape changes, and for tensors of
 * the same shape the largest absolute difference, the relative L2 change ‖b − a‖/‖a‖ and the
 * cosine similarity. Both files are streamed in step, one chunk of each at a time.
 */
import { writeFileAtomic } from "../io/atomic-node.ts";
import type { Checkpoint } from "../io/checkpoint.ts";
import type { Progress } from "../io/inspect.ts";
import { alignRows } from "../io/inspect.ts";
import { openCheckpointFile } from "../io/files-node.ts";
import type { RawTensor } from "../io/raw.ts";
import { diffChunks, tensorChunks } from "../io/tensor-stream.ts";
import { escapeXml } from "../diagnostics/svg.ts";
import { parseCommand, reportFailure } from "./args.ts";
import type { Streams } from "./inspect.ts";
import { progressBar } from "./inspect.ts";

/** How a name compares between the two checkpoints. */
export type DiffStatus = "same" | "changed" | "only in A" | "only in B" | "dtype changed" | "shape changed" | "not compared";

/** One row of the comparison. */
export interface DiffRow {
  name: string;
  status: DiffStatus;
  dtype: [string | null, string | null];
  shape: [number[] | null, number[] | null];
  /** max |b − a| over elements finite in both */
  maxAbsDiff: number | null;
  /** ‖b − a‖ / ‖a‖ (L2) */
  relDiff: number | null;
  /** a·b / (‖a‖ ‖b‖) */
  cosine: number | null;
  /** elements where one side is NaN or ±Inf and the other is not the same value */
  nonFiniteMismatches: number;
}

/** The comparison of two checkpoints. */
export interface DiffReport {
  a: string;
  b: string;
  tensors: DiffRow[];
  summary: Record<DiffStatus, number>;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((s, i) => s === b[i]);
}

/** Streams the two tensors in step and measures their difference. */
export function compareTensors(a: RawTensor, b: RawTensor): Pick<DiffRow, "status" | "maxAbsDiff" | "relDiff" | "cosine" | "nonFiniteMismatches"> {
  const ia = tensorChunks(a), ib = tensorChunks(b);
  let maxAbs = 0, dd = 0, aa = 0, bb = 0, ab = 0, bad = 0, seen = 0;
  const rec = new Float64Array(6);
  for (;;) {
    const ca = ia.next(), cb = ib.next();
    if (ca.done || cb.done) {
      if (ca.done !== cb.done) return { status: "not compared", maxAbsDiff: null, relDiff: null, cosine: null, nonFiniteMismatches: 0 };
      break;
    }
    const x = ca.value, y = cb.value;
    // expanded views walk their distinct elements only, in an order the other side need not share
    if (x.weight !== 1 || y.weight !== 1 || x.values.length !== y.values.length) {
      return { status: "not compared", maxAbsDiff: null, relDiff: null, cosine: null, nonFiniteMismatches: 0 };
    }
    diffChunks(x.values, y.values, rec);
    if (rec[0]! > maxAbs) maxAbs = rec[0]!;
    dd += rec[1]!;
    aa += rec[2]!;
    bb += rec[3]!;
    ab += rec[4]!;
    bad += rec[5]!;
    seen += x.values.length;
  }
  const size = a.shape.reduce((s, n) => s * n, 1);
  if (seen !== size) return { status: "not compared", maxAbsDiff: null, relDiff: null, cosine: null, nonFiniteMismatches: 0 };
  const cosine = aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : aa === 0 && bb === 0 ? 1 : 0;
  return {
    status: maxAbs === 0 && bad === 0 ? "same" : "changed",
    maxAbsDiff: maxAbs, relDiff: aa > 0 ? Math.sqrt(dd / aa) : dd === 0 ? 0 : Infinity, cosine, nonFiniteMismatches: bad,
  };
}

/** Compares two checkpoints name by name (A's order, then names only in B). */
export function diffCheckpoints(nameA: string, a: Checkpoint, nameB: string, b: Checkpoint, progress?: Progress): DiffReport {
  const names = [...a.tensors.keys(), ...[...b.tensors.keys()].filter((k) => !a.tensors.has(k))];
  const summary: Record<DiffStatus, number> = { "same": 0, "changed": 0, "only in A": 0, "only in B": 0, "dtype changed": 0, "shape changed": 0, "not compared": 0 };
  const tensors: DiffRow[] = [];
  names.forEach((name, i) => {
    const ta = a.tensors.get(name), tb = b.tensors.get(name);
    const row: DiffRow = {
      name, status: "same", dtype: [ta?.dtype.name ?? null, tb?.dtype.name ?? null], shape: [ta ? [...ta.shape] : null, tb ? [...tb.shape] : null],
      maxAbsDiff: null, relDiff: null, cosine: null, nonFiniteMismatches: 0,
    };
    if (ta === undefined) row.status = "only in B";
    else if (tb === undefined) row.status = "only in A";
    else if (!sameShape(ta.shape, tb.shape)) row.status = "shape changed";
    else Object.assign(row, compareTensors(ta, tb), ta.dtype !== tb.dtype ? { status: "dtype changed" } : {});
    summary[row.status]++;
    tensors.push(row);
    progress?.(i + 1, names.length);
  });
  return { a: nameA, b: nameB, tensors, summary };
}

const fmt = (v: number | null): string => (v === null ? "-" : v === 0 ? "0" : Math.abs(v) >= 1e4 || Math.abs(v) < 1e-3 ? v.toExponential(3) : v.toPrecision(4));
const shapeText = (s: number[] | null): string => (s === null ? "-" : `[${s.join(", ")}]`);

function cells(r: DiffRow): string[] {
  const dtype = r.dtype[0] === r.dtype[1] ? r.dtype[0]! : `${r.dtype[0] ?? "-"} -> ${r.dtype[1] ?? "-"}`;
  const shape = r.shape[0] && r.shape[1] && sameShape(r.shape[0], r.shape[1]) ? shapeText(r.shape[0]) : `${shapeText(r.shape[0])} -> ${shapeText(r.shape[1])}`;
  return [r.name, r.status, dtype, shape, fmt(r.maxAbsDiff), fmt(r.relDiff), fmt(r.cosine), String(r.nonFiniteMismatches)];
}

const head = ["name", "status", "dtype", "shape", "max |b-a|", "|b-a|/|a|", "cosine", "nan/inf diff"];

function summaryLine(r: DiffReport): string {
  return Object.entries(r.summary).filter(([, n]) => n > 0).map(([s, n]) => `${n} ${s}`).join(", ") || "no tensors";
}

/** The comparison as an aligned text table with a summary line. */
export function formatDiff(r: DiffReport): string {
  return [`A: ${r.a}`, `B: ${r.b}`, ...alignRows(head, r.tensors.map(cells), (i) => i < 4), summaryLine(r)].join("\n") + "\n";
}

/** The comparison as a self-contained HTML page. */
export function diffHtml(r: DiffReport): string {
  const tr = (c: string[], tag: string, cls = ""): string => `<tr${cls}>${c.map((x) => `<${tag}>${escapeXml(x)}</${tag}>`).join("")}</tr>`;
  const rows = r.tensors.map((t) => tr(cells(t), "td", t.status === "same" ? "" : ` class="${t.status === "changed" ? "changed" : "warn"}"`));
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>diff ${escapeXml(r.a)} ${escapeXml(r.b)}</title>` +
    "<style>body{font-family:sans-serif;margin:24px}table{border-collapse:collapse;font-size:12px}td,th{padding:2px 8px;text-align:right;border-bottom:1px solid #eee}" +
    "td:first-child,th:first-child,td:nth-child(2){text-align:left;font-family:monospace}.warn{color:#b00}.changed{background:#fff6e0}</style></head><body>\n" +
    `<h1>Checkpoint diff</h1><p>A: ${escapeXml(r.a)}<br>B: ${escapeXml(r.b)}</p><p>${escapeXml(summaryLine(r))}</p>\n` +
    `<table>${tr(head, "th")}${rows.join("")}</table>\n</body></html>\n`;
}

/** Usage of `torchlet diff`. */
export const diffUsage = "usage: torchlet diff A B [--json] [--html out.html]\n" +
  "  A, B: checkpoints (.pt/.pth/.bin, .safetensors, or a sharded *.index.json)\n" +
  "  --json  the comparison as JSON\n" +
  "  --html  also write the comparison as an HTML page\n";

/** Runs `torchlet diff` with its arguments; returns the exit code. */
export function runDiff(args: readonly string[], io: Streams): number {
  const parsed = parseCommand("diff", args, { json: { type: "boolean" }, html: { type: "string" } }, diffUsage, 2, io);
  if ("exit" in parsed) return parsed.exit;
  const [fa, fb] = parsed.files as [string, string];
  return reportFailure("diff", io, () => {
    const a = openCheckpointFile(fa), b = openCheckpointFile(fb);
    let total = 0;
    for (const t of a.tensors.values()) total += t.shape.reduce((s, n) => s * n, t.dtype.itemsize);
    const report = diffCheckpoints(fa, a, fb, b, progressBar(io.stderr, "comparing", total));
    if (typeof parsed.values.html === "string") writeFileAtomic(parsed.values.html, new TextEncoder().encode(diffHtml(report)));
    io.stdout.write(parsed.values.json ? `${JSON.stringify(report, null, 2)}\n` : formatDiff(report));
    return 0;
  });
}
