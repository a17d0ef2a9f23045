/**
 * A one-line text progress bar, drawn in the style of `torchlet inspect`'s: `label [####.....] 40%`
 * plus a suffix such as the running loss. A pure function: the caller writes it to a stream.
 */

/** Options of progressLine. */
export interface ProgressOptions {
  label?: string;
  /** text after the percentage, e.g. `loss 0.1234` */
  suffix?: string;
  /** bar width in characters (default 30) */
  width?: number;
}

/**
 * The bar for `done` of `total`, starting with `\r` so each call redraws the line; a newline is
 * appended once done reaches total.
 * @example stream.write(progressLine(3, 10, { label: "training", suffix: "loss 0.5" }))
 */
export function progressLine(done: number, total: number, options: ProgressOptions = {}): string {
  const width = options.width ?? 30;
  const frac = total <= 0 ? 1 : Math.min(1, Math.max(0, done / total));
  const bar = "#".repeat(Math.round(frac * width)).padEnd(width, ".");
  const label = options.label ? `${options.label} ` : "";
  const suffix = options.suffix ? `  ${options.suffix}` : "";
  return `\r${label}[${bar}] ${(frac * 100).toFixed(0).padStart(3)}%${suffix}${frac >= 1 ? "\n" : ""}`;
}
