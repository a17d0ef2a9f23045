/**
 * The HTML report: one self-contained file (inline CSS and SVG, no script, no URL) with the
 * parameter table, the recorded loss and per-layer curves, and per parameter a histogram of its
 * values, one of its gradient, and a heat map when it is a matrix.
 */
import { TorchletError } from "../errors.ts";
import type { Tensor } from "../tensor.ts";
import type { Module } from "../nn/module.ts";
import { UninitializedParameter } from "../nn/parameter.ts";
import type { Recorder } from "./recorder.ts";
import type { ModelSummary } from "./summary.ts";
import { formatNumber, groupTied, tensorRow, valuesOf, type ParameterRow } from "./stats.ts";
import { toGraphSvg } from "./graph.ts";
import { escapeXml, heatmapSvg, histogramSvg, lineChartSvg } from "./svg.ts";

/** What the report shows; give a model or a state dict. */
export interface ReportOptions {
  /** the model: its parameters and their gradients */
  model?: Module;
  /** or a state dict (e.g. a loaded checkpoint) */
  stateDict?: ReadonlyMap<string, Tensor>;
  /** recorded loss and per-layer statistics, drawn as curves */
  recorder?: Recorder;
  /** a summary to print at the top */
  summary?: ModelSummary;
  /** a tensor (e.g. the loss) whose autograd graph is drawn, leaves named after the model's parameters */
  graph?: Tensor;
  title?: string;
  /** called after each tensor's pictures with the elements done and the total, for a progress bar */
  progress?: (done: number, total: number) => void;
}

const CSS = `body{font-family:sans-serif;margin:24px;color:#222;max-width:1400px}
h1{font-size:22px}h2{font-size:18px;border-bottom:1px solid #ddd;padding-bottom:4px;margin-top:32px}h3{font-size:14px;font-family:monospace}
table{border-collapse:collapse;font-size:12px}td,th{padding:2px 8px;text-align:right;border-bottom:1px solid #eee}
td:first-child,th:first-child{text-align:left;font-family:monospace}pre{font-size:12px;background:#f7f7f7;padding:8px;overflow:auto}
.row{display:flex;flex-wrap:wrap;gap:12px}.warn{color:#b00}`;

function statsTable(rows: readonly ParameterRow[]): string {
  const head = ["name", "shape", "dtype", "mean", "std", "min", "max", "norm", "zeros", "NaN", "Inf", "grad norm", "grad/weight"];
  const cells = rows.map((r) => [
    r.names.join(" = "), `[${r.shape.join(", ")}]`, r.dtype, formatNumber(r.mean), formatNumber(r.std), formatNumber(r.min),
    formatNumber(r.max), formatNumber(r.norm), `${(r.zeros * 100).toFixed(1)}%`, String(r.nan), String(r.inf),
    formatNumber(r.gradNorm), formatNumber(r.gradRatio),
  ]);
  const tr = (c: string[], tag: string) => `<tr>${c.map((x) => `<${tag}>${escapeXml(x)}</${tag}>`).join("")}</tr>`;
  return `<table>${tr(head, "th")}${cells.map((c) => tr(c, "td")).join("")}</table>`;
}

/** The pictures of one parameter: values, gradient (if any), heat map (if 2-D). */
function parameterPictures(names: string[], t: Tensor): string {
  const label = names.join(" = ");
  const values = valuesOf(t);
  const pics = [histogramSvg(values, `${label} values`)];
  if (t.grad) pics.push(histogramSvg(valuesOf(t.grad), `${label} gradient`, { color: "#d62728" }));
  if (t.ndim === 2 && t.numel() > 0) pics.push(heatmapSvg(values, t.shape[0]!, t.shape[1]!, label));
  return `<section class="parameter"><h3>${escapeXml(label)} [${t.shape.join(", ")}] ${t.dtype.name}</h3><div class="row">${pics.join("")}</div></section>`;
}

/** The loss curve and one chart per recorded statistic, a line per layer. */
export function recorderPictures(rec: Recorder): string[] {
  const pics: string[] = [];
  if (rec.losses.some(Number.isFinite)) pics.push(lineChartSvg([{ name: "loss", values: rec.losses }], "loss"));
  if (rec.names.length === 0 || rec.steps === 0) return pics;
  const stat = (key: "mean" | "std" | "dead" | "gradNorm") =>
    rec.names.map((name, i) => ({ name: `${name} ${rec.classNames[i]}`, values: rec.history.get(name)![key] }));
  pics.push(lineChartSvg(stat("mean"), "activation mean"));
  pics.push(lineChartSvg(stat("std"), "activation std"));
  pics.push(lineChartSvg(stat("dead"), "fraction of zero activations (dead ReLU units)"));
  pics.push(lineChartSvg(stat("gradNorm"), "gradient norm at the output"));
  return pics;
}

/**
 * One self-contained HTML page (no network, no script) describing a model or a state dict.
 * @example writeFileSync("report.html", reportHtml({ model: net, recorder: rec, title: "MLP" }))
 */
export function reportHtml(options: ReportOptions): string {
  const source = options.model ?? options.stateDict;
  if (!source) throw new TorchletError("reportHtml: give a model or a stateDict (e.g. reportHtml({ model: net }))");
  const groups = groupTied(source).filter(([, t]) => !(t instanceof UninitializedParameter));
  const title = options.title ?? "torchlet report";
  const rows = groups.map(([names, t]) => tensorRow(names, t));
  const bad = rows.filter((r) => r.nan + r.inf > 0);
  const parts = [
    `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${escapeXml(title)}</title><style>${CSS}</style></head><body>`,
    `<h1>${escapeXml(title)}</h1>`,
    `<p>${groups.length} tensors, ${rows.reduce((s, r) => s + r.numel, 0)} values.</p>`,
    ...bad.map((r) => `<p class="warn">${escapeXml(r.names.join(" = "))}: ${r.nan} NaN, ${r.inf} Inf</p>`),
    ...(options.summary ? ["<h2>Summary</h2>", `<pre>${escapeXml(String(options.summary))}</pre>`] : []),
    "<h2>Parameters</h2>", statsTable(rows),
  ];
  if (options.recorder) {
    const pics = recorderPictures(options.recorder);
    if (pics.length) parts.push("<h2>Training</h2>", `<div class="row">${pics.join("")}</div>`);
  }
  if (options.graph) {
    const params = options.model ? new Map(options.model.namedParameters()) : options.stateDict;
    parts.push("<h2>Autograd graph</h2>", toGraphSvg(options.graph, params ? { params } : {}));
  }
  const total = groups.reduce((s, [, t]) => s + t.numel(), 0);
  let done = 0;
  parts.push("<h2>Values</h2>", ...groups.map(([names, t]) => {
    const html = parameterPictures(names, t);
    options.progress?.((done += t.numel()), total);
    return html;
  }), "</body></html>");
  return `${parts.join("\n")}\n`;
}
