/**
 * Pictures as inline SVG strings (no DOM, no scripts, no external references): a histogram, a
 * heat map and a line chart. The strings have no xmlns because HTML puts <svg> in the SVG
 * namespace by itself, and a report must not contain a single URL.
 */

const W = 420;
const H = 240;
const LEFT = 56; // room for the y-axis labels
const RIGHT = 16;
const TOP = 28; // room for the title
const BOTTOM = 36; // room for the x-axis labels

/** Escapes text for SVG and HTML. */
export const escapeXml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

const num = (x: number): string => {
  if (x === 0 || !Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  return a >= 1e4 || a < 1e-3 ? x.toExponential(2) : String(Number(x.toPrecision(3)));
};

const text = (x: number, y: number, s: string, anchor = "middle", size = 10): string =>
  `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" text-anchor="${anchor}" font-size="${size}" font-family="sans-serif">${escapeXml(s)}</text>`;

function frame(kind: string, title: string, body: string): string {
  return `<svg class="picture" data-kind="${kind}" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img">`
    + `<title>${escapeXml(title)}</title><rect width="${W}" height="${H}" fill="#fff" stroke="#ccc"/>`
    + `${text(W / 2, 17, title, "middle", 12)}${body}</svg>`;
}

const plotW = W - LEFT - RIGHT;
const plotH = H - TOP - BOTTOM;
const axes = `<path d="M${LEFT},${TOP} V${H - BOTTOM} H${W - RIGHT}" fill="none" stroke="#888"/>`;

function finiteRange(values: ArrayLike<number>): [number, number, number] {
  let lo = Infinity, hi = -Infinity, n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) continue;
    n++;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi, n];
}

/** Bin counts of the finite values in `bins` equal-width bins over [min, max]. */
export function histogram(values: ArrayLike<number>, bins = 40): { lo: number; hi: number; counts: number[] } {
  const [lo, hi, n] = finiteRange(values);
  const counts = new Array<number>(bins).fill(0);
  if (n === 0) return { lo: 0, hi: 0, counts };
  const width = (hi - lo) / bins;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) continue;
    counts[width === 0 ? Math.floor(bins / 2) : Math.min(bins - 1, Math.floor((v - lo) / width))]! += 1;
  }
  return { lo, hi, counts };
}

/** A histogram of the finite values (NaN and Inf are counted in the title). */
export function histogramSvg(values: ArrayLike<number>, title: string, options: { bins?: number; color?: string } = {}): string {
  const { lo, hi, counts } = histogram(values, options.bins ?? 40);
  const [, , finite] = finiteRange(values);
  return histogramCountsSvg({ lo, hi, counts }, values.length, values.length - finite, title, options);
}

/**
 * A histogram from bin counts already made (e.g. streamed over a file): `n` elements in all, `bad`
 * of them NaN or Inf.
 */
export function histogramCountsSvg(
  h: { lo: number; hi: number; counts: readonly number[] }, n: number, bad: number, title: string, options: { color?: string } = {},
): string {
  const { lo, hi, counts } = h;
  const top = Math.max(1, ...counts);
  const bw = plotW / counts.length;
  const bars = counts.map((c, i) => {
    const h = (c / top) * plotH;
    return c === 0 ? "" : `<rect x="${(LEFT + i * bw).toFixed(2)}" y="${(TOP + plotH - h).toFixed(2)}" width="${Math.max(0.5, bw - 0.5).toFixed(2)}" height="${h.toFixed(2)}" fill="${options.color ?? "#1f77b4"}"/>`;
  }).join("");
  const labels = text(LEFT, H - BOTTOM + 14, num(lo), "start") + text(W - RIGHT, H - BOTTOM + 14, num(hi), "end")
    + text(LEFT - 4, TOP + 8, String(top), "end") + text(LEFT - 4, H - BOTTOM, "0", "end");
  return frame("histogram", `${title} (n=${n}${bad ? `, ${bad} NaN/Inf` : ""})`, axes + bars + labels);
}

/** Averages blocks of a rows×cols matrix so the picture has at most `max` cells a side. */
function downsample(values: ArrayLike<number>, rows: number, cols: number, max: number): { data: number[]; r: number; c: number; block: [number, number] } {
  const br = Math.max(1, Math.ceil(rows / max)), bc = Math.max(1, Math.ceil(cols / max));
  const r = Math.ceil(rows / br), c = Math.ceil(cols / bc);
  const sum = new Array<number>(r * c).fill(0), cnt = new Array<number>(r * c).fill(0);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const v = values[i * cols + j]!;
      if (!Number.isFinite(v)) continue;
      const k = Math.floor(i / br) * c + Math.floor(j / bc);
      sum[k]! += v;
      cnt[k]! += 1;
    }
  }
  return { data: sum.map((s, k) => (cnt[k] ? s / cnt[k]! : 0)), r, c, block: [br, bc] };
}

/**
 * A heat map of a rows×cols matrix given in row-major order: blue negative, white zero, red
 * positive. Matrices larger than `maxCells` a side are shown as block means.
 */
export function heatmapSvg(values: ArrayLike<number>, rows: number, cols: number, title: string, options: { maxCells?: number } = {}): string {
  const { data, r, c, block } = downsample(values, rows, cols, options.maxCells ?? 64);
  const maxAbs = Math.max(1e-30, ...data.map(Math.abs));
  const cw = plotW / c, ch = plotH / r;
  const cells = data.map((v, k) => {
    const t = Math.round(255 * (1 - Math.min(1, Math.abs(v) / maxAbs)));
    const fill = v >= 0 ? `rgb(255,${t},${t})` : `rgb(${t},${t},255)`;
    return `<rect x="${(LEFT + (k % c) * cw).toFixed(2)}" y="${(TOP + Math.floor(k / c) * ch).toFixed(2)}" width="${(cw + 0.05).toFixed(2)}" height="${(ch + 0.05).toFixed(2)}" fill="${fill}"/>`;
  }).join("");
  const note = block[0] > 1 || block[1] > 1 ? `, ${block[0]}×${block[1]} block means` : "";
  const labels = text(LEFT - 4, TOP + 8, "0", "end") + text(LEFT - 4, H - BOTTOM, String(rows - 1), "end")
    + text(LEFT, H - BOTTOM + 14, "0", "start") + text(W - RIGHT, H - BOTTOM + 14, String(cols - 1), "end")
    + text(W / 2, H - 6, `color: ±${num(maxAbs)}`);
  return frame("heatmap", `${title} (${rows}×${cols}${note})`, cells + labels);
}

/** One named series of a line chart. */
export interface Series { name: string; values: readonly number[] }

const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

/** Line chart of one or more series over their step index; non-finite points break the line. */
export function lineChartSvg(series: readonly Series[], title: string, options: { xLabel?: string } = {}): string {
  const [lo0, hi0] = finiteRange(series.flatMap((s) => s.values));
  const lo = Number.isFinite(lo0) ? lo0 : 0, hi = Number.isFinite(hi0) ? hi0 : 1;
  const span = hi - lo || 1;
  const steps = Math.max(1, ...series.map((s) => s.values.length - 1));
  // several series get a legend column on the right, outside the plot
  const legendW = series.length > 1 ? Math.min(120, 24 + 5.5 * Math.max(...series.map((s) => s.name.length))) : 0;
  const right = RIGHT + legendW, width = W - LEFT - right;
  const x = (i: number) => LEFT + (i / steps) * width;
  const y = (v: number) => TOP + plotH - ((v - lo) / span) * plotH;
  const lines = series.map((s, k) => {
    const color = PALETTE[k % PALETTE.length]!;
    const d = s.values.map((v, i) => (Number.isFinite(v) ? `${i === 0 || !Number.isFinite(s.values[i - 1]!) ? "M" : "L"}${x(i).toFixed(1)},${y(v).toFixed(1)}` : "")).join("");
    const legend = legendW ? `<rect x="${W - right + 10}" y="${TOP + k * 13}" width="8" height="8" fill="${color}"/>` + text(W - right + 22, TOP + 8 + k * 13, s.name, "start", 9) : "";
    return `<path d="${d}" fill="none" stroke="${color}" stroke-width="1.2"/>${legend}`;
  }).join("");
  const axis = `<path d="M${LEFT},${TOP} V${H - BOTTOM} H${W - right}" fill="none" stroke="#888"/>`;
  const labels = text(LEFT - 4, TOP + 4, num(hi), "end") + text(LEFT - 4, H - BOTTOM + 4, num(lo), "end")
    + text(LEFT, H - BOTTOM + 14, "0", "start") + text(W - right, H - BOTTOM + 14, String(steps), "end")
    + text(LEFT + width / 2, H - 6, options.xLabel ?? "step");
  return frame("line", title, axis + lines + labels);
}
