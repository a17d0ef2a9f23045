/**
 * torch.nn.functional.embedding_bag: sums, means or maxima of bags of embedding rows, without
 * materializing the looked-up rows in the graph: ONE node (EmbeddingBagBackward0) whose rule
 * scatters the bag gradients back into the table, as PyTorch's.
 */
import { DTypeError, ShapeError, ValueError } from "../errors.ts";
import { int64 } from "../core/dtype.ts";
import type { Tensor } from "../tensor.ts";
import { noGrad } from "../autograd/grad-mode.ts";
import { record } from "../autograd/record.ts";
import { embedding } from "../ops/norm.ts";
import { tensor, zeros } from "../ops/creation.ts";
import { stack } from "../ops/movement.ts";
import { wrap, contiguousData } from "../ops/elementwise.ts";

/** How a bag combines its rows. */
export type EmbeddingBagMode = "sum" | "mean" | "max";

/** Options of embeddingBag (PyTorch's keyword arguments). */
export interface EmbeddingBagOptions {
  /** with a 1-D input, where each bag starts (the first must be 0) */
  offsets?: Tensor | null;
  /** "mean" by default */
  mode?: EmbeddingBagMode;
  /** a weight for each looked-up row ("sum" only) */
  perSampleWeights?: Tensor | null;
  /** offsets has one more entry, the end of the last bag */
  includeLastOffset?: boolean;
  /** entries equal to this row are left out of every bag (and of the mean's count) */
  paddingIdx?: number | null;
  /** rows looked up are rescaled in place to at most this norm */
  maxNorm?: number | null;
  normType?: number;
}

const OFFSETS_2D =
  "if input is 2D, then offsets has to be None, as input is treated is a mini-batch of fixed length sequences. However, found offsets of type <class 'torch.Tensor'>";

/** The flat indices and each bag's [start, end) over them. */
function bagsOf(input: Tensor, offsets: Tensor | null, includeLast: boolean): { flat: Tensor; bounds: [number, number][] } {
  if (input.ndim === 2) {
    if (offsets !== null) throw new ValueError(OFFSETS_2D);
    const [b, l] = input.shape as [number, number];
    return { flat: input.reshape(-1), bounds: Array.from({ length: b }, (_, i) => [i * l, (i + 1) * l] as [number, number]) };
  }
  if (input.ndim !== 1) throw new ValueError(`input has to be 1D or 2D Tensor, but got Tensor of dimension ${input.ndim}`);
  if (offsets === null) throw new ValueError("offsets has to be a 1D Tensor but got None");
  if (offsets.ndim !== 1) throw new ValueError("offsets has to be a 1D Tensor");
  if (offsets.dtype !== int64) throw new DTypeError(`embedding_bag: offsets must be int64, got ${offsets.dtype.name}`);
  const starts = Array.from(contiguousData(offsets) as BigInt64Array, Number), n = input.numel();
  if (starts.length > 0 && starts[0] !== 0) {
    throw new ValueError(`offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start from position 0. However, got ${starts[0]}`);
  }
  const count = includeLast ? starts.length - 1 : starts.length;
  const bounds: [number, number][] = [];
  for (let b = 0; b < count; b++) {
    const end = b + 1 < starts.length ? starts[b + 1]! : n;
    if (!(starts[b]! <= end && end <= n)) throw new ValueError(`embedding_bag: offsets must be non-decreasing and at most ${n}, got ${starts.join(", ")}`);
    bounds.push([starts[b]!, end]);
  }
  return { flat: input, bounds };
}

/**
 * Each bag's sum, mean or max of its embedding rows: bags are the rows of a 2-D input, or the
 * runs of a 1-D input that `offsets` marks, as torch.nn.functional.embedding_bag (an empty bag gives zeros).
 */
export function embeddingBag(input: Tensor, weight: Tensor, options: EmbeddingBagOptions = {}): Tensor {
  const mode = options.mode ?? "mean";
  if (mode !== "sum" && mode !== "mean" && mode !== "max") throw new ValueError("mode has to be one of sum, mean or max");
  const psw = options.perSampleWeights ?? null;
  if (psw !== null && mode !== "sum") {
    throw new ValueError(`embedding_bag: per_sample_weights was not None. per_sample_weights is only supported for mode='sum' (got mode='${mode}'). Please open a feature request on GitHub.`);
  }
  if (psw !== null && psw.numel() !== input.numel()) {
    throw new ShapeError(`embedding_bag: per_sample_weights has ${psw.numel()} elements but input has ${input.numel()}`);
  }
  if (weight.ndim !== 2) throw new ShapeError(`'weight' must be 2-D, got [${weight.shape.join(", ")}]`);
  const { flat, bounds } = bagsOf(input, options.offsets ?? null, options.includeLastOffset ?? false);
  const [numRows, dim] = weight.shape as [number, number];
  let paddingIdx = options.paddingIdx ?? null;
  if (paddingIdx !== null && paddingIdx < 0) paddingIdx += numRows;
  const rows = noGrad(() => embedding(flat, weight, { maxNorm: options.maxNorm ?? null, normType: options.normType ?? 2 }));
  const rowIndices = contiguousData(flat) as BigInt64Array, n = rowIndices.length;
  const keep = (i: number): boolean => paddingIdx === null || Number(rowIndices[i]) !== paddingIdx;
  const args = { rowIndices, numRows, paddingIdx: paddingIdx ?? -1 };
  if (mode === "max") {
    const { out, argmax } = noGrad(() => bagMax(rows, bounds, keep, n, dim));
    return record("embeddingBag", [weight], out, { ...args, bagArgmax: argmax });
  }
  // the bag matrix: bag b sums its rows with weight psw[i] (or 1), the mean divides by its count
  const m = weight.dtype.alloc(bounds.length * n) as Float64Array, pw = psw === null ? null : (contiguousData(psw) as Float64Array);
  const bagOf = new BigInt64Array(n).fill(BigInt(bounds.length)), counts: number[] = [];
  bounds.forEach(([s, e], b) => {
    let count = 0;
    for (let i = s; i < e; i++) {
      if (!keep(i)) continue;
      m[b * n + i] = pw === null ? 1 : pw[i]!;
      bagOf[i] = BigInt(b);
      count++;
    }
    counts.push(Math.max(count, 1));
  });
  const bagMatrix = wrap(m, [bounds.length, n], weight.dtype);
  const out = noGrad(() => {
    const sums = bagMatrix.matmul(rows);
    return mode === "mean" ? sums.div(tensor(counts, { dtype: weight.dtype }).unsqueeze(1)) : sums;
  });
  const scaled = mode === "mean" ? noGrad(() => bagMatrix.div(tensor(counts, { dtype: weight.dtype }).unsqueeze(1))) : bagMatrix;
  const inputs = psw === null ? [weight] : [weight, psw];
  return record("embeddingBag", inputs, out, { ...args, bagMatrix: scaled, bagOf: wrap(bagOf, [n], int64), bagRows: rows });
}

/** Each bag's elementwise max over its kept rows and, per element, the flat position it came from (n for an empty bag). */
function bagMax(rows: Tensor, bounds: [number, number][], keep: (i: number) => boolean, n: number, dim: number): { out: Tensor; argmax: Tensor } {
  const values: Tensor[] = [], positions: Tensor[] = [];
  for (const [s, e] of bounds) {
    const kept: bigint[] = [];
    for (let i = s; i < e; i++) if (keep(i)) kept.push(BigInt(i));
    if (kept.length === 0) {
      values.push(zeros([dim], { dtype: rows.dtype }));
      positions.push(wrap(new BigInt64Array(dim).fill(BigInt(n)), [dim], int64));
      continue;
    }
    const index = wrap(BigInt64Array.from(kept), [kept.length], int64);
    const { values: v, indices } = rows.indexSelect(0, index).max({ dim: 0 });
    values.push(v);
    positions.push(index.indexSelect(0, indices));
  }
  return { out: stack(values, 0), argmax: stack(positions, 0) };
}
