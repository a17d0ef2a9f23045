/**
 * The HTML report of a checkpoint (`torchlet report` and the browser inspector): statistics table,
 * a histogram per tensor and a heat map per matrix, streamed. Tensors are read one at a time in
 * chunks, a first pass for the statistics and a second for the histogram and the heat map's block
 * means, so memory stays flat whatever the file's size. The passes are accumulators fed by either
 * a synchronous file (the CLI) or a Blob whose ranges are awaited (a page): both draw the same page.
 */
import type { Checkpoint } from "../io/checkpoint.ts";
import type { Progress, StatsOptions } from "../io/inspect.ts";
import type { RawStorage, RawTensor } from "../io/raw.ts";
import { numel } from "../io/raw.ts";
import type { Chunk } from "../io/tensor-stream.ts";
import { HistogramAccumulator, StatsAccumulator, tensorChunks, tensorChunksAsync } from "../io/tensor-stream.ts";
import { cellSums } from "../ops/stats.ts";
import { formatNumber } from "./stats.ts";
import { escapeXml, heatmapSvg, histogramCountsSvg } from "./svg.ts";

/** One tensor (or several names for the same view of one storage) with its statistics and pictures. */
export interface DrawnTensor {
  names: string[];
  tensor: RawTensor;
  stats: ReturnType<StatsAccumulator["result"]>;
  /** the first pass's accumulator (zeros and the sum of squares, for the table's norm) */
  acc: StatsAccumulator;
  /** inline SVG: the values' histogram, then the heat map of a matrix */
  pictures: string[];
}

/** Names that are the same view of one storage (tied weights), drawn once. */
export function groupTied(tensors: ReadonlyMap<string, RawTensor>): Array<[string[], RawTensor]> {
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

const maxCells = 64;

/** The second pass: histogram over the first pass's range, and a matrix's block means in row-major order. */
class PicturePass {
  readonly hist: HistogramAccumulator;
  readonly #matrix: boolean;
  readonly #rows: number;
  readonly #cols: number;
  readonly #br: number;
  readonly #bc: number;
  readonly #c: number;
  readonly #sum: Float64Array;
  readonly #cnt: Float64Array;
  #k = 0;
  #inOrder = true;

  constructor(readonly t: RawTensor, readonly stats: DrawnTensor["stats"]) {
    this.hist = new HistogramAccumulator(stats.min ?? 0, stats.max ?? 0);
    this.#matrix = t.shape.length === 2 && numel(t.shape) > 0;
    [this.#rows, this.#cols] = this.#matrix ? [t.shape[0]!, t.shape[1]!] : [0, 0];
    this.#br = Math.max(1, Math.ceil(this.#rows / maxCells));
    this.#bc = Math.max(1, Math.ceil(this.#cols / maxCells));
    const r = Math.ceil(this.#rows / this.#br);
    this.#c = Math.ceil(this.#cols / this.#bc);
    this.#sum = new Float64Array(r * this.#c);
    this.#cnt = new Float64Array(r * this.#c);
  }

  add(chunk: Chunk): void {
    // an expanded view's chunks are its distinct elements, not the matrix in order: no heat map
    if (chunk.weight !== 1) this.#inOrder = false;
    this.hist.add(chunk);
    if (!this.#matrix || !this.#inOrder) return;
    const values = chunk.values, cols = this.#cols;
    cellSums(values, cols, Math.floor(this.#k / cols), this.#k % cols, this.#br, this.#bc, this.#c, this.#sum, this.#cnt);
    this.#k += values.length;
  }

  pictures(label: string): string[] {
    const pictures = [histogramCountsSvg(this.hist, numel(this.t.shape), this.stats.nan + this.stats.inf, `${label} values`)];
    if (this.#matrix && this.#inOrder) {
      const means = Array.from(this.#sum, (s, i) => (this.#cnt[i] ? s / this.#cnt[i]! : 0));
      const note = this.#br > 1 || this.#bc > 1 ? ` [${this.#rows}, ${this.#cols}] as block means` : "";
      pictures.push(heatmapSvg(means, Math.ceil(this.#rows / this.#br), this.#c, `${label}${note}`));
    }
    return pictures;
  }
}

/** Two streamed passes over one tensor of a synchronous source: statistics, then pictures. */
export function drawTensor(names: string[], t: RawTensor): DrawnTensor {
  const acc = new StatsAccumulator();
  for (const c of tensorChunks(t)) acc.add(c);
  const pass = new PicturePass(t, acc.result());
  for (const c of tensorChunks(t)) pass.add(c);
  return { names, tensor: t, stats: pass.stats, acc, pictures: pass.pictures(names.join(" = ")) };
}

/** drawTensor over any source, a browser File included: each range is awaited. */
export async function drawTensorAsync(names: string[], t: RawTensor, signal?: AbortSignal): Promise<DrawnTensor> {
  const acc = new StatsAccumulator();
  for await (const c of tensorChunksAsync(t)) {
    signal?.throwIfAborted();
    acc.add(c);
  }
  const pass = new PicturePass(t, acc.result());
  for await (const c of tensorChunksAsync(t)) {
    signal?.throwIfAborted();
    pass.add(c);
  }
  return { names, tensor: t, stats: pass.stats, acc, pictures: pass.pictures(names.join(" = ")) };
}

const bytesOf = (t: RawTensor): number => numel(t.shape) * t.dtype.itemsize;

/** The streamed report of a checkpoint of a synchronous source as one self-contained HTML page (no script, no URL). */
export function checkpointReportHtml(ckpt: Checkpoint, title: string, progress?: Progress): string {
  const groups = groupTied(ckpt.tensors);
  let total = 0, done = 0;
  for (const [, t] of groups) total += bytesOf(t);
  const drawn = groups.map(([names, t]) => {
    const d = drawTensor(names, t);
    progress?.((done += bytesOf(t)), total);
    return d;
  });
  return reportPage(title, drawn);
}

/**
 * checkpointReportHtml over any source, a browser File included, without blocking; `onTensor`
 * sees each tensor as it is drawn, so a page can show the pictures as they come.
 */
export async function checkpointReportHtmlAsync(
  ckpt: Checkpoint, title: string, options: StatsOptions & { onTensor?: (d: DrawnTensor) => void } = {},
): Promise<string> {
  const groups = groupTied(ckpt.tensors);
  let total = 0, done = 0;
  for (const [, t] of groups) total += bytesOf(t);
  const drawn: DrawnTensor[] = [];
  for (const [names, t] of groups) {
    const d = await drawTensorAsync(names, t, options.signal);
    drawn.push(d);
    options.onTensor?.(d);
    options.progress?.((done += bytesOf(t)), total);
  }
  return reportPage(title, drawn);
}

const CSS = `body{font-family:sans-serif;margin:24px;color:#222;max-width:1400px}
h1{font-size:22px}h2{font-size:18px;border-bottom:1px solid #ddd;padding-bottom:4px;margin-top:32px}h3{font-size:14px;font-family:monospace}
table{border-collapse:collapse;font-size:12px}td,th{padding:2px 8px;text-align:right;border-bottom:1px solid #eee}
td:first-child,th:first-child{text-align:left;font-family:monospace}.row{display:flex;flex-wrap:wrap;gap:12px}.warn{color:#b00}`;

/** A drawn tensor's section of the report: its heading and its pictures. */
export function tensorSectionHtml(d: DrawnTensor): string {
  const label = escapeXml(d.names.join(" = "));
  return `<section class="parameter"><h3>${label} [${d.tensor.shape.join(", ")}] ${d.tensor.dtype.name}</h3><div class="row">${d.pictures.join("")}</div></section>`;
}

function reportPage(title: string, drawn: DrawnTensor[]): string {
  const head = ["name", "shape", "dtype", "mean", "std", "min", "max", "norm", "zeros", "NaN", "Inf"];
  const tr = (cells: string[], tag: string): string => `<tr>${cells.map((x) => `<${tag}>${escapeXml(x)}</${tag}>`).join("")}</tr>`;
  const rows = drawn.map(({ names, tensor: t, stats, acc }) => {
    const n = numel(t.shape);
    return tr([names.join(" = "), `[${t.shape.join(", ")}]`, t.dtype.name, formatNumber(stats.mean), formatNumber(stats.std),
      formatNumber(stats.min), formatNumber(stats.max), formatNumber(Math.sqrt(acc.sumSquares)),
      `${(n === 0 ? 0 : (acc.zeros / n) * 100).toFixed(1)}%`, String(stats.nan), String(stats.inf)], "td");
  });
  const values = drawn.reduce((s, d) => s + numel(d.tensor.shape), 0);
  return [
    `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${escapeXml(title)}</title><style>${CSS}</style></head><body>`,
    `<h1>${escapeXml(title)}</h1>`,
    `<p>${drawn.length} tensors, ${values} values.</p>`,
    ...drawn.filter((d) => d.stats.nan + d.stats.inf > 0)
      .map((d) => `<p class="warn">${escapeXml(d.names.join(" = "))}: ${d.stats.nan} NaN, ${d.stats.inf} Inf</p>`),
    "<h2>Parameters</h2>", `<table>${tr(head, "th")}${rows.join("")}</table>`,
    "<h2>Values</h2>",
    ...drawn.map(tensorSectionHtml),
    "</body></html>",
  ].join("\n") + "\n";
}
