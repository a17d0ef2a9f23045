/**
 * The demo page's own small SVG pictures (strings, no DOM): a loss curve, a weight heat map and a
 * histogram. They stand in until the diagnostics module's report pictures are wired into main.ts
 * (see the DIAGNOSTICS HOOK there).
 */

const W = 360;
const H = 200;
const PAD = 44; // room for the y-axis labels

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
const num = (x: number) => (Math.abs(x) >= 100 || x === 0 ? x.toFixed(0) : x.toPrecision(3));

function frame(title: string, body: string, kind: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" class="picture" data-kind="${kind}" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img">`
    + `<title>${esc(title)}</title><rect width="${W}" height="${H}" fill="#fff" stroke="#ccc"/>`
    + `<text x="${W / 2}" y="16" text-anchor="middle" font-size="12" font-family="sans-serif">${esc(title)}</text>${body}</svg>`;
}

/** A polyline of `values` over their index, y scaled to [min, max], with both ends labelled. */
export function lineSvg(values: readonly number[], title: string): string {
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const span = hi - lo || 1;
  const x = (i: number) => PAD + (i / Math.max(1, values.length - 1)) * (W - 2 * PAD);
  const y = (v: number) => H - PAD - ((v - lo) / span) * (H - 2 * PAD);
  const pts = values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
  const axes = `<path d="M${PAD},${PAD} V${H - PAD} H${W - PAD}" fill="none" stroke="#888"/>`;
  const labels = `<text x="${PAD - 4}" y="${y(hi) + 4}" text-anchor="end" font-size="10">${num(hi)}</text>`
    + `<text x="${PAD - 4}" y="${y(lo) + 4}" text-anchor="end" font-size="10">${num(lo)}</text>`;
  return frame(title, `${axes}${labels}<polyline points="${pts}" fill="none" stroke="#d62728" stroke-width="1.5"/>`, "line");
}

/** A heat map of a 2-D matrix (rows top to bottom), blue for negative, red for positive. */
export function heatmapSvg(rows: readonly (readonly number[])[], title: string): string {
  const maxAbs = Math.max(1e-12, ...rows.flat().map(Math.abs));
  const nr = rows.length;
  const nc = rows[0]?.length ?? 0;
  const cw = (W - 2 * PAD) / Math.max(1, nc);
  const ch = (H - 2 * PAD) / Math.max(1, nr);
  const cells = rows.flatMap((row, r) => row.map((v, c) => {
    const t = Math.round(255 * (1 - Math.abs(v) / maxAbs));
    const fill = v >= 0 ? `rgb(255,${t},${t})` : `rgb(${t},${t},255)`;
    return `<rect x="${(PAD + c * cw).toFixed(2)}" y="${(PAD + r * ch).toFixed(2)}" width="${cw.toFixed(2)}" height="${ch.toFixed(2)}" fill="${fill}"/>`;
  }));
  return frame(`${title} (${nr}×${nc}, |max| ${num(maxAbs)})`, cells.join(""), "heatmap");
}

/** A histogram of `values` in `bins` equal-width bins over [min, max]. */
export function histogramSvg(values: readonly number[], title: string, bins = 30): string {
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const width = (hi - lo) / bins || 1;
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) counts[Math.min(bins - 1, Math.floor((v - lo) / width))]! += 1;
  const top = Math.max(...counts);
  const bw = (W - 2 * PAD) / bins;
  const bars = counts.map((c, i) => {
    const h = (c / top) * (H - 2 * PAD);
    return `<rect x="${(PAD + i * bw).toFixed(2)}" y="${(H - PAD - h).toFixed(2)}" width="${(bw - 1).toFixed(2)}" height="${h.toFixed(2)}" fill="#1f77b4"/>`;
  });
  const labels = `<text x="${PAD}" y="${H - PAD + 14}" font-size="10">${num(lo)}</text>`
    + `<text x="${W - PAD}" y="${H - PAD + 14}" text-anchor="end" font-size="10">${num(hi)}</text>`;
  return frame(`${title} (n=${values.length})`, bars.join("") + labels, "histogram");
}
