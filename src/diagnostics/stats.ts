/**
 * Parameter and gradient statistics: one row per distinct parameter (tied ones once, with all
 * their names), computed in float64 over the raw values so the numbers never depend on autograd.
 */
import { bfloat16, float16 } from "../core/dtype.ts";
import { bfloat16ToNumber, halfToNumber } from "../core/half.ts";
import type { Tensor } from "../tensor.ts";
import { Module } from "../nn/module.ts";
import { UninitializedParameter } from "../nn/parameter.ts";
import { contiguousData } from "../ops/elementwise.ts";

/** Summary numbers of one tensor's values. */
export interface ValueStats {
  numel: number;
  /** mean, unbiased std, min and max over the finite elements (as `torchlet inspect`); null when none */
  mean: number | null;
  std: number | null;
  min: number | null;
  max: number | null;
  /** L2 norm over every element, so a NaN or Inf shows in it (as torch.linalg.vector_norm) */
  norm: number;
  /** fraction of elements exactly equal to zero */
  zeros: number;
  nan: number;
  inf: number;
}

/** One row of `parameterStats`. */
export interface ParameterRow extends ValueStats {
  /** the first name, as namedParameters lists it */
  name: string;
  /** every name of this parameter (more than one when tied) */
  names: string[];
  shape: number[];
  dtype: string;
  requiresGrad: boolean;
  /** L2 norm of `.grad`, null when there is no gradient */
  gradNorm: number | null;
  /** gradNorm / norm: the relative size of one SGD step per unit learning rate */
  gradRatio: number | null;
}

/** A tensor's values as float64 numbers in row-major order (half types decoded, int64 converted). */
export function valuesOf(t: Tensor): Float64Array {
  const data = contiguousData(t);
  const out = new Float64Array(data.length);
  // half types keep raw bits in a Uint16Array: decoded here, one element at a time
  const decode = t.dtype === float16 ? halfToNumber : t.dtype === bfloat16 ? bfloat16ToNumber : null;
  if (data instanceof BigInt64Array) for (let i = 0; i < data.length; i++) out[i] = Number(data[i]!);
  else if (decode) for (let i = 0; i < data.length; i++) out[i] = decode(data[i]!);
  else out.set(data);
  return out;
}

/** Mean, std, min, max, L2 norm, zero fraction and NaN/Inf counts of `values`. */
export function valueStats(values: ArrayLike<number>): ValueStats {
  const n = values.length;
  let min = Infinity, max = -Infinity, count = 0, mean = 0, m2 = 0, sq = 0, zeros = 0, nan = 0, inf = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    sq += v * v;
    if (v === 0) zeros++;
    if (Number.isNaN(v)) { nan++; continue; }
    if (!Number.isFinite(v)) { inf++; continue; }
    if (v < min) min = v;
    if (v > max) max = v;
    // Welford's update: accurate for large tensors with a large mean
    count++;
    const d = v - mean;
    mean += d / count;
    m2 += d * (v - mean);
  }
  const none = count === 0;
  return {
    numel: n, mean: none ? null : mean, std: count > 1 ? Math.sqrt(m2 / (count - 1)) : null,
    min: none ? null : min, max: none ? null : max, norm: Math.sqrt(sq), zeros: n === 0 ? 0 : zeros / n, nan, inf,
  };
}

/** The statistics of one tensor (and of its `.grad` when it has one). */
export function tensorRow(names: string[], t: Tensor): ParameterRow {
  const stats = valueStats(valuesOf(t));
  const gradNorm = t.grad ? valueStats(valuesOf(t.grad)).norm : null;
  return {
    name: names[0]!, names, shape: [...t.shape], dtype: t.dtype.name, requiresGrad: t.requiresGrad, ...stats,
    gradNorm, gradRatio: gradNorm === null ? null : stats.norm === 0 ? (gradNorm === 0 ? 0 : Infinity) : gradNorm / stats.norm,
  };
}

/** A model's parameters, or a state dict's tensors, grouped so tied tensors come once with all names. */
export function groupTied(source: Module | ReadonlyMap<string, Tensor>): [string[], Tensor][] {
  const entries: Iterable<[string, Tensor]> = source instanceof Module
    ? source.namedParameters({ removeDuplicate: false }) : source.entries();
  const groups = new Map<unknown, [string[], Tensor]>();
  for (const [name, t] of entries) {
    // a loaded file gives tied tensors as separate views of one storage, so those group by their view
    const key = source instanceof Module ? t : viewKey(t);
    const g = groups.get(key);
    if (g) g[0].push(name);
    else groups.set(key, [[name], t]);
  }
  return [...groups.values()];
}

const viewIds = new WeakMap<object, number>();
let nextViewId = 0;

function viewKey(t: Tensor): string {
  const storage = t.storage as object;
  if (!viewIds.has(storage)) viewIds.set(storage, nextViewId++);
  return `${viewIds.get(storage)}:${t.layout.offset}:${t.shape.join(",")}:${t.layout.strides.join(",")}`;
}

/**
 * One row per distinct parameter of `model` (or tensor of a state dict): shape, dtype, mean, std,
 * min, max, L2 norm, fraction of zeros, NaN/Inf counts, and the gradient's norm and its ratio to
 * the weight norm when `.grad` exists. Uninitialized (lazy) parameters are skipped.
 * @example console.log(formatTable(parameterStats(net)))
 */
export function parameterStats(model: Module | ReadonlyMap<string, Tensor>): ParameterRow[] {
  return groupTied(model)
    .filter(([, t]) => !(t instanceof UninitializedParameter))
    .map(([names, t]) => tensorRow(names, t));
}

/** A number in at most 4 significant digits; integers as they are. */
export function formatNumber(v: number | null): string {
  if (v === null) return "-";
  if (Number.isInteger(v) && Math.abs(v) < 1e9) return String(v);
  if (!Number.isFinite(v)) return String(v);
  return Math.abs(v) >= 1e-3 && Math.abs(v) < 1e5 ? String(Number(v.toPrecision(4))) : v.toExponential(3);
}

/** Lays out rows of cells in aligned columns; columns listed in `left` are left-aligned. */
export function alignColumns(head: string[], body: string[][], left: ReadonlySet<number>): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (left.has(i) ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ").trimEnd();
  return [line(head), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(line)];
}

/** The rows of `parameterStats` as an aligned text table; tied names are joined with " = ". */
export function formatTable(rows: readonly ParameterRow[]): string {
  const head = ["name", "shape", "dtype", "mean", "std", "min", "max", "norm", "zeros", "nan", "inf", "grad norm", "grad/weight"];
  const body = rows.map((r) => [
    r.names.join(" = "), `[${r.shape.join(", ")}]`, r.dtype, formatNumber(r.mean), formatNumber(r.std),
    formatNumber(r.min), formatNumber(r.max), formatNumber(r.norm), `${(r.zeros * 100).toFixed(1)}%`,
    String(r.nan), String(r.inf), formatNumber(r.gradNorm), formatNumber(r.gradRatio),
  ]);
  return `${alignColumns(head, body, new Set([0, 1, 2])).join("\n")}\n`;
}
