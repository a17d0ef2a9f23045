/**
 * `torchlet report FILE [-o report.html] [--title TEXT]`: the HTML report (statistics table,
 * histograms, heat maps) of every tensor in a .pt file, a safetensors file or a sharded index,
 * streamed: tensors are read one at a time in chunks, a first pass for the statistics and a second
 * for the histogram and the heat map's block means, so memory stays flat whatever the file's size.
 */
import { basename } from "node:path";
import { writeFileAtomic } from "../io/atomic-node.ts";
import type { Checkpoint } from "../io/checkpoint.ts";
import { openCheckpointFile } from "../io/files-node.ts";
import type { RawStorage, RawTensor } from "../io/raw.ts";
import { numel } from "../io/raw.ts";
import { HistogramAccumulator, StatsAccumulator, tensorChunks } from "../io/tensor-stream.ts";
import { formatNumber } from "../diagnostics/stats.ts";
import { escapeXml, heatmapSvg, histogramCountsSvg } from "../diagnostics/svg.ts";
import { parseCommand, reportFailure } from "./args.ts";
import type { Progress, Streams } from "./inspect.ts";
import { progressBar } from "./inspect.ts";

/** Usage of `torchlet report`. */
export const reportUsage = "usage: torchlet report FILE [-o report.html] [--title TEXT]\n" +
  "  FILE: a .pt/.pth/.bin file, a .safetensors file, or a sharded checkpoint's *.index.json\n" +
  "  -o, --output  where to write the page (default report.html)\n" +
  "  --title       the page's title (default the file's name)\n";

/** Names that are the same view of one storage (tied weights), drawn once. */
function groupTied(tensors: Map<string, RawTensor>): Array<[string[], RawTensor]> {
  const groups = new Map<RawStorage, Map<string, [string[], RawTensor]>>();
  const out: Array<[string[], RawTensor]> = [];
  for (const [name, t] of tensors) {
    let views = groups.get(t.storage);
    if (views === undefined) groups.set(t.storage, (views = new Map()));
    const key = `${t.offset}|${t.shape.join(",")}|${t.strides.join(",")}`;
    const g = views.get(key);
    if (g !== undefined) { g[0].push(name); continue; }
    const entry: [string[], RawTensor] = [[name], t];
    views.set(key, entry);
    out.push(entry);
  }
  return out;
}

interface Drawn { names: string[]; t: RawTensor; stats: ReturnType<StatsAccumulator["result"]>; acc: StatsAccumulator; pictures: string[] }

const maxCells = 64;

/** Two streamed passes over one tensor: statistics, then histogram and heat-map block means. */
function draw(names: string[], t: RawTensor): Drawn {
  const acc = new StatsAccumulator();
  for (const c of tensorChunks(t)) acc.add(c);
  const stats = acc.result();
  const label = names.join(" = ");
  const hist = new HistogramAccumulator(stats.min ?? 0, stats.max ?? 0);
  const matrix = t.shape.length === 2 && numel(t.shape) > 0;
  const [rows, cols] = matrix ? [t.shape[0]!, t.shape[1]!] : [0, 0];
  const br = Math.max(1, Math.ceil(rows / maxCells)), bc = Math.max(1, Math.ceil(cols / maxCells));
  const r = Math.ceil(rows / br), c = Math.ceil(cols / bc);
  const sum = new Float64Array(r * c), cnt = new Float64Array(r * c);
  let k = 0, inOrder = true;
  for (const chunk of tensorChunks(t)) {
    hist.add(chunk);
    if (chunk.weight !== 1) inOrder = false;
    if (!matrix || !inOrder) continue;
    for (let i = 0; i < chunk.values.length; i++, k++) {
      const v = chunk.values[i]!;
      if (!Number.isFinite(v)) continue;
      const cell = Math.floor(Math.floor(k / cols) / br) * c + Math.floor((k % cols) / bc);
      sum[cell]! += v;
      cnt[cell]! += 1;
    }
  }
  const n = numel(t.shape);
  const pictures = [histogramCountsSvg(hist, n, stats.nan + stats.inf, `${label} values`)];
  if (matrix && inOrder) {
    const means = Array.from(sum, (s, i) => (cnt[i] ? s / cnt[i]! : 0));
    const note = br > 1 || bc > 1 ? ` [${rows}, ${cols}] as block means` : "";
    pictures.push(heatmapSvg(means, r, c, `${label}${note}`));
  }
  return { names, t, stats, acc, pictures };
}

const CSS = `body{font-family:sans-serif;margin:24px;color:#222;max-width:1400px}
h1{font-size:22px}h2{font-size:18px;border-bottom:1px solid #ddd;padding-bottom:4px;margin-top:32px}h3{font-size:14px;font-family:monospace}
table{border-collapse:collapse;font-size:12px}td,th{padding:2px 8px;text-align:right;border-bottom:1px solid #eee}
td:first-child,th:first-child{text-align:left;font-family:monospace}.row{display:flex;flex-wrap:wrap;gap:12px}.warn{color:#b00}`;

/** The streamed report of a checkpoint as one self-contained HTML page (no script, no URL). */
export function checkpointReportHtml(ckpt: Checkpoint, title: string, progress?: Progress): string {
  const groups = groupTied(ckpt.tensors);
  let total = 0, done = 0;
  for (const [, t] of groups) total += numel(t.shape) * t.dtype.itemsize;
  const drawn = groups.map(([names, t]) => {
    const d = draw(names, t);
    progress?.((done += numel(t.shape) * t.dtype.itemsize), total);
    return d;
  });
  const head = ["name", "shape", "dtype", "mean", "std", "min", "max", "norm", "zeros", "NaN", "Inf"];
  const tr = (cells: string[], tag: string): string => `<tr>${cells.map((x) => `<${tag}>${escapeXml(x)}</${tag}>`).join("")}</tr>`;
  const rows = drawn.map(({ names, t, stats, acc }) => {
    const n = numel(t.shape);
    return tr([names.join(" = "), `[${t.shape.join(", ")}]`, t.dtype.name, formatNumber(stats.mean), formatNumber(stats.std),
      formatNumber(stats.min), formatNumber(stats.max), formatNumber(Math.sqrt(acc.sumSquares)),
      `${(n === 0 ? 0 : (acc.zeros / n) * 100).toFixed(1)}%`, String(stats.nan), String(stats.inf)], "td");
  });
  const values = drawn.reduce((s, d) => s + numel(d.t.shape), 0);
  return [
    `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${escapeXml(title)}</title><style>${CSS}</style></head><body>`,
    `<h1>${escapeXml(title)}</h1>`,
    `<p>${drawn.length} tensors, ${values} values.</p>`,
    ...drawn.filter((d) => d.stats.nan + d.stats.inf > 0)
      .map((d) => `<p class="warn">${escapeXml(d.names.join(" = "))}: ${d.stats.nan} NaN, ${d.stats.inf} Inf</p>`),
    "<h2>Parameters</h2>", `<table>${tr(head, "th")}${rows.join("")}</table>`,
    "<h2>Values</h2>",
    ...drawn.map((d) => `<section class="parameter"><h3>${escapeXml(d.names.join(" = "))} [${d.t.shape.join(", ")}] ${d.t.dtype.name}</h3><div class="row">${d.pictures.join("")}</div></section>`),
    "</body></html>",
  ].join("\n") + "\n";
}

/** Runs `torchlet report` with its arguments; returns the exit code. */
export function runReport(args: readonly string[], io: Streams): number {
  const parsed = parseCommand("report", args, { output: { type: "string", short: "o" }, title: { type: "string" } }, reportUsage, 1, io);
  if ("exit" in parsed) return parsed.exit;
  const file = parsed.files[0]!;
  const out = (parsed.values.output as string | undefined) ?? "report.html";
  return reportFailure("report", io, () => {
    const ckpt = openCheckpointFile(file);
    let total = 0;
    for (const t of ckpt.tensors.values()) total += numel(t.shape) * t.dtype.itemsize;
    const html = checkpointReportHtml(ckpt, (parsed.values.title as string | undefined) ?? basename(file), progressBar(io.stderr, "drawing", total));
    writeFileAtomic(out, new TextEncoder().encode(html));
    io.stdout.write(`wrote ${out} (${ckpt.tensors.size} tensors from ${file})\n`);
    return 0;
  });
}
