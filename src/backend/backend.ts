/**
 * The backend contract: typed arrays and layouts in, fresh contiguous typed arrays out (`update`,
 * `write` and `fill` write in place into the storage they are given; `adopt` says where long-lived
 * storage lives).
 * Tensor and autograd never loop over elements themselves; every numeric loop is behind
 * this interface, so a faster backend replaces kernels without touching them.
 */
import type { DType, TypedArray } from "../core/dtype.ts";
import type { Layout } from "../core/layout.ts";
import type { Shape } from "../core/shape.ts";

/** Elementwise ops of one operand. */
export type UnaryOp =
  | "neg" | "exp" | "log" | "sqrt" | "abs" | "relu" | "sigmoid" | "tanh" | "sign"
  | "sin" | "cos" | "erf" | "not" | "isnan" | "isinf"
  // math family: rounding (identity on integers), float functions, and bool tests
  | "floor" | "ceil" | "round" | "trunc" | "frac" | "reciprocal" | "rsqrt" | "log1p" | "expm1"
  | "log2" | "log10" | "exp2" | "tan" | "asin" | "acos" | "atan" | "sinh" | "cosh" | "isfinite" | "signbit";

/**
 * Elementwise ops of two broadcast operands. Comparisons produce bool. The activations' input
 * gradients from their output y, as PyTorch's kernels compute them: `reluGrad(g, y)` is
 * threshold_backward at 0 (`y <= 0 ? 0 : g`, so a NaN output passes g); `sigmoidGrad(g, y)` is
 * sigmoid_backward, `(g·(1 - y))·y` rounded after each step; `tanhGrad(g, y)` is tanh_backward,
 * `g·(1 - y²)` with 1 - y² rounded once, as the fused multiply-add of PyTorch's x86 build rounds it.
 */
export type BinaryOp =
  | "add" | "sub" | "mul" | "div" | "pow" | "maximum" | "minimum"
  | "eq" | "ne" | "lt" | "le" | "gt" | "ge" | "and" | "or" | "reluGrad" | "sigmoidGrad" | "tanhGrad"
  // math family: Python's remainder (sign of the divisor), C's fmod (sign of the dividend),
  // floor and truncating division, and atan2(a, b); integer divisors are checked for zero before the kernel
  | "remainder" | "fmod" | "floorDivide" | "truncDivide" | "atan2";

/** The arithmetic that in-place updates (`add_`, `mul_`, an optimizer step) run without a temporary. */
export type UpdateOp = "add" | "sub" | "mul" | "div";

/**
 * nn's activations with scalar parameters, each one pass of PyTorch 1.13's CPU formula
 * (`params`: leakyRelu [slope]; elu [α, scale, input scale]; hardtanh [min, max];
 * threshold [threshold, value]; the others none).
 */
export type ActivationOp =
  | "leakyRelu" | "elu" | "silu" | "mish" | "hardtanh" | "hardsigmoid" | "hardswish" | "threshold" | "gelu" | "geluTanh";

/** Reductions over a set of dims. */
export type ReduceOp = "sum" | "prod" | "max" | "min" | "any" | "all";

/** Reductions that return the index of the winner along one dim. */
export type ArgReduceOp = "argmax" | "argmin";

/** Running reductions along one dim. */
export type CumulativeOp = "cumsum" | "cumprod";

/** Running extremes along one dim, with the index of each. */
export type CumulativeExtremeOp = "cummax" | "cummin";

/** Sorted (or top-k) values, contiguous, and their int64 positions along the dim. */
export interface SortResult { values: TypedArray; indices: BigInt64Array }
/** Storage offsets of the elements an indexing op reads or writes. */
export type Offsets = Int32Array | Float64Array;

/** How an indexing write combines with what is there: overwrite, or accumulate. */
export type PutOp = "set" | "add" | "mul";

/**
 * The scalars of one Adam/AdamW step (PyTorch 1.13's single-tensor arithmetic): the moments'
 * betas, eps, the bias-corrected step size lr / (1 - β1^step) and √(1 - β2^step), AdamW's decay
 * factor 1 - lr·weightDecay on the parameter (1: none), Adam's L2 weight decay added to the
 * gradient (0: none), and `maximize` (the gradient negated).
 */
export interface AdamScalars {
  beta1: number; beta2: number; eps: number; stepSize: number; bc2Sqrt: number; decay: number; l2: number; maximize: boolean;
}

/**
 * The scalars of one fused SGD step (Backend.sgdStep): `momentum` 0 means no buffer is read or
 * written; `dampening` is applied only when 1 - dampening is not 1, as `add_`'s alpha is.
 */
export interface SgdScalars {
  lr: number; momentum: number; dampening: number; weightDecay: number; nesterov: boolean; maximize: boolean;
}

/** The kernels a backend provides. Results are contiguous and freshly allocated, but for the in-place three. */
export interface Backend {
  readonly name: string;
  /** `x` converted from dtype `from` to `to`, as a new contiguous array (compacts a strided view). */
  cast(x: TypedArray, layout: Layout, from: DType, to: DType): TypedArray;
  /** `op(x)` elementwise, computed in `x`'s dtype, stored as `out`. */
  unary(op: UnaryOp, x: TypedArray, layout: Layout, out: DType): TypedArray;
  /** `op(a, b)` with `a` and `b` already of the compute dtype and expanded to `shape`. */
  binary(op: BinaryOp, a: TypedArray, la: Layout, b: TypedArray, lb: Layout, out: DType): TypedArray;
  /** `cond ? a : b`, all three expanded to one shape. */
  where(cond: TypedArray, lc: Layout, a: TypedArray, la: Layout, b: TypedArray, lb: Layout, out: DType): TypedArray;
  /** Reduces `dims` (sorted, unique) to size 1; the result has x's shape with those dims = 1. */
  reduce(op: ReduceOp, x: TypedArray, layout: Layout, dims: readonly number[], out: DType): TypedArray;
  /** Index of the max/min along `dim` (first one on ties, NaN wins), as int64; shape with dim = 1. */
  argReduce(op: ArgReduceOp, x: TypedArray, layout: Layout, dim: number): BigInt64Array;
  /**
   * Batched matrix product: `a` is [...batch, m, k], `b` is [...batch, k, n], with equal batch
   * dims (already broadcast; strides may be 0 or transposed). Result [...batch, m, n].
   */
  matmul(a: TypedArray, la: Layout, b: TypedArray, lb: Layout, out: DType): TypedArray;
  /**
   * y = x Wᵀ + b for a 2-D x [m, k] and weight [n, k] (any strides), b [n] or null: the fused
   * step of every Linear layer, with `relu` then max(y, 0) as ReLU computes it. Result [m, n].
   */
  linear(x: TypedArray, lx: Layout, w: TypedArray, lw: Layout, b: TypedArray | null, lb: Layout | null, out: DType, relu?: boolean): TypedArray;
  /**
   * In place, `dst += a @ b` for 2-D float32 `a` [m, k] and `b` [k, n] (any strides) into a dense
   * [m, n] `dst`, accumulated by the product's own store (a weight gradient into a kept .grad).
   * Returns false, changing nothing, where the backend gains nothing over a product and an update.
   */
  matmulAccumulate(dst: TypedArray, a: TypedArray, la: Layout, b: TypedArray, lb: Layout): boolean;
  /**
   * In place, `dst += x.sum(0)` for a 2-D float `x` [m, n] (any strides) into a dense [n] `dst` of
   * its dtype (a bias gradient into a kept .grad), with the bits of the sum and an `add_`.
   * Returns false, changing nothing, where the backend gains nothing over a sum and an update.
   */
  sumRowsAccumulate(dst: TypedArray, x: TypedArray, lx: Layout): boolean;
  /**
   * In place, `dst = dst op (alpha · src)` for float arrays of one dtype, `src` laid out over
   * `dst`'s shape; each step rounds to the dtype as the out-of-place ops would (no fused
   * multiply-add), so an update gives the bits of `dst.copy_(dst.op(src.mul(alpha)))`.
   */
  update(op: UpdateOp, dst: TypedArray, dstLayout: Layout, src: TypedArray, srcLayout: Layout, alpha: number): void;
  /**
   * One Adam/AdamW step in place over `n` contiguous elements of the parameter `p` and its moments
   * `m`, `v`, from the gradient `g` (float arrays of one dtype): each step rounded to the dtype, in
   * the order of the tensor ops of PyTorch 1.13's single-tensor Adam (optim/adam.ts), so the
   * result has their bits.
   */
  adamStep(p: TypedArray, g: TypedArray, m: TypedArray, v: TypedArray, n: number, h: AdamScalars): void;
  /**
   * One SGD step in place over `n` contiguous elements of the parameter `p` and its momentum
   * buffer `buf` (ignored when momentum is 0), from the gradient `g` (float arrays of one dtype):
   * each step rounded to the dtype in the order of optim/sgd.ts's tensor ops, so the result has
   * their bits.
   */
  sgdStep(p: TypedArray, g: TypedArray, buf: TypedArray, n: number, h: SgdScalars): void;
  /** Writes `src` (contiguous, `dst`'s element count; or read through `srcLayout`, of the same shape) through the strided `dstLayout`, casting. */
  write(dst: TypedArray, dstLayout: Layout, src: TypedArray, srcLayout?: Layout): void;
  /** Fills the strided region with one value. */
  fill(dst: TypedArray, dstLayout: Layout, value: number | bigint): void;
  /**
   * Storage for a long-lived tensor (a parameter, optimizer state): `data`'s values in memory this
   * backend's kernels read and write in place, or `data` itself where the backend computes on host
   * arrays (the TypeScript one) or would gain nothing. The result is an ordinary typed array every
   * backend can read; see docs/ARCHITECTURE.md, "Where tensors live".
   */
  adopt(data: TypedArray): TypedArray;
  /**
   * Like `adopt`, but null where the backend would keep `data` in its memory and its budget for
   * such storage is full: the caller evicts (`evict`) or grows the budget (`growResidentBudget`)
   * and asks again, or keeps `data` where it is. ops/resident.ts holds the policy.
   */
  adoptWithinBudget(data: TypedArray): TypedArray | null;
  /**
   * A host copy of `data`, a result of `adopt`, whose memory the backend takes back: `data` must
   * never be read or written again. `data` itself where it is not such a result.
   */
  evict(data: TypedArray): TypedArray;
  /** Raises the budget that `adoptWithinBudget` keeps to; false when it cannot grow further. */
  growResidentBudget(): boolean;
  /**
   * `n` float32 elements, uninitialized, where this backend's kernels read them in place (a buffer
   * that file bytes are read straight into); a plain array on backends computing on host arrays.
   */
  hostFloats(n: number): Float32Array;
  /** Whether `data` already lives in this backend's memory (a result of `adopt`). */
  resident(data: TypedArray): boolean;
  /**
   * Transient results, for a caller that knows when each result it makes is dead (the autograd
   * engine's backward pass, autograd/engine.ts): while on, fresh float32 results live in this
   * backend's memory, where the next kernel reads them in place, and stay recorded until released
   * or forgotten. Returns the previous state. Backends computing on host arrays ignore it.
   */
  transientResults(on: boolean): boolean;
  /** How many transient blocks are recorded. */
  transientCount(): number;
  /** The recorded transient block holding `data` (an id), or -1. */
  transientBlock(data: TypedArray): number;
  /**
   * Frees every recorded transient block not in `keep()` at once: no array over one may be read or
   * written again. `keep` is called only when a block is recorded.
   */
  releaseTransients(keep: () => ReadonlySet<number>): void;
  /** Forgets every recorded block: each returns when its arrays are collected, like any other storage. */
  forgetTransients(): void;
  // ---- statistics ----
  /**
   * Records of `values` in blocks of `blockSize` (the last may be shorter), STATS_RECORD float64
   * numbers each into `out`: finite count, sum, sum of squares, squared deviations from the block's
   * mean, min, max, NaN, non-finite and zero counts, in cpu/stats.ts's lane arithmetic.
   */
  blockStats(values: Float32Array | Float64Array, blockSize: number, out: Float64Array): void;
  /** Adds `weight` to counts[floor((v - lo) / width)] (clamped to the last bin) for each finite v of `values`. */
  histogram(values: Float32Array | Float64Array, lo: number, width: number, counts: number[], weight: number): void;
  /**
   * Heat-map cells of a row-major matrix of `cols` columns whose elements from (`row`, `col`) on are
   * `values`: each finite one is added in order to sum[cell] and counts 1 in cnt[cell], where
   * cell = floor(row / br) · c + floor(col / bc).
   */
  cellSums(values: Float32Array | Float64Array, cols: number, row: number, col: number, br: number, bc: number, c: number, sum: Float64Array, cnt: Float64Array): void;
  /**
   * The difference of two chunks of one length into `out`: max |b − a|, Σ(b − a)², Σa², Σb², Σab
   * over pairs finite on both sides (cpu/stats.ts's lanes), and the count of other pairs that differ.
   */
  diffStats(a: Float32Array | Float64Array, b: Float32Array | Float64Array, out: Float64Array): void;
  // ---- indexing ----
  /**
   * Storage offsets `base[i] + k·stride` of each index k of `index` (int64 or int32, read through
   * `layout` in row-major order), k counted from the end when negative and `wrapNegative`; or,
   * when some k is outside the dim's `size`, the row-major position of the first such index.
   */
  indexOffsets(index: TypedArray, layout: Layout, size: number, stride: number, base: Offsets | null, wrapNegative: boolean): Offsets | number;
  /** The storage offsets of `target`'s elements (row-major) where `mask`, laid out over the same shape, is true. */
  maskedOffsets(mask: TypedArray, maskLayout: Layout, target: Layout): Offsets;
  /** `out[(i·m + j)·n + k] = src[outer[i] + mid[j] + inner[k]]`, a fresh array of dtype `out`. */
  take(src: TypedArray, outer: Offsets, mid: Offsets, inner: Offsets, out: DType): TypedArray;
  /** In place, `dst[outer[i] + mid[j] + inner[k]] op= values[(i·m + j)·n + k]` in that order (duplicates: the last wins, or all accumulate). */
  put(dst: TypedArray, outer: Offsets, mid: Offsets, inner: Offsets, values: TypedArray, op: PutOp): void;
  /** Row-major coordinates of the nonzero elements, int64 [count, ndim]. */
  nonzero(x: TypedArray, layout: Layout): BigInt64Array;
  // ---- shape ----
  /** tril (`upper` false) or triu of the last two dims about the `diagonal`-th diagonal; same dtype out. */
  triangle(x: TypedArray, layout: Layout, diagonal: number, upper: boolean, out: DType): TypedArray;
  /** Running sum or product along `dim`; `x` is already of dtype `out`. */
  cumulative(op: CumulativeOp, x: TypedArray, layout: Layout, dim: number, out: DType): TypedArray;
  /** cummax/cummin along `dim`: running extremes and their indices (ties and NaN take the later index). */
  cumulativeExtreme(op: CumulativeExtremeOp, x: TypedArray, layout: Layout, dim: number, out: DType): SortResult;
  /** Sorts every slice along `dim` (PyTorch's CPU tie order; NaN is the largest); values of dtype `out`. */
  sort(x: TypedArray, layout: Layout, dim: number, descending: boolean, stable: boolean, out: DType): SortResult;
  /** The `k` largest (or smallest) of every slice along `dim`, with PyTorch's CPU tie order. */
  topk(x: TypedArray, layout: Layout, k: number, dim: number, largest: boolean, sorted: boolean, out: DType): SortResult;
  /** Zeros of `shape` with `src` added at `indices` (contiguous, `src`'s shape) along `dim`; float `out` only. */
  placeAlong(src: TypedArray, srcLayout: Layout, indices: BigInt64Array, dim: number, shape: Shape, out: DType): TypedArray;
  // ---- math ----
  /** torch.round with `decimals` (float dtypes): half to even at 10^-decimals, stored as `out`. */
  roundDecimals(x: TypedArray, layout: Layout, decimals: number, out: DType): TypedArray;
  /** torch.nan_to_num (float dtypes): NaN, +inf and -inf replaced by finite values. */
  nanToNum(x: TypedArray, layout: Layout, nan: number, posinf: number, neginf: number, out: DType): TypedArray;
  // ---- conv ----
  /**
   * x [n, c, h, w] (any strides) → columns [c·kh·kw, n·oh·ow], zeros where a window reads padding;
   * written into `out` when given (a scratch buffer: fresh arrays of this size cost more in page
   * faults than the copy that fills them).
   */
  im2col(x: TypedArray, lx: Layout, g: Window2d, out?: TypedArray): TypedArray;
  /**
   * `out[g] = op(a[g]) @ op(b[g])` for each of `groups` contiguous matrices: a holds [m, k]
   * (or [k, m] when transA), b holds [k, n] (or [n, k] when transB): the convolution's products.
   */
  groupGemm(a: TypedArray, b: TypedArray, groups: number, m: number, k: number, n: number, transA: boolean, transB: boolean, out: TypedArray): void;
  /** Columns [c·kh·kw, n·oh·ow] → [n, c, h, w], each cell the sum of the columns that read it. */
  col2im(cols: TypedArray, g: Window2d, dtype: DType): TypedArray;
  /** Contiguous [a, b, l] → [b, a, l], plus bias[i] on x's row i when given: [c, n, l] ↔ [n, c, l]; into `out` when given. */
  swapLeading(x: TypedArray, a: number, b: number, l: number, bias: TypedArray | null, dtype: DType, out?: TypedArray): TypedArray;
  /** Max pooling of contiguous planes [n·c, h, w]: values and positions within the plane. */
  maxPool2d(x: TypedArray, g: Window2d): PoolResult;
  /** Adds each output gradient at its position (the backward of both max poolings). */
  maxPoolBackward(grad: TypedArray, indices: Int32Array, planes: number, inPlane: number, dtype: DType): TypedArray;
  /** Average pooling of contiguous planes; `divisor` overrides the window's count. */
  avgPool2d(x: TypedArray, g: Window2d, countIncludePad: boolean, divisor: number | null): TypedArray;
  avgPool2dBackward(grad: TypedArray, g: Window2d, countIncludePad: boolean, divisor: number | null, dtype: DType): TypedArray;
  /** Adaptive pooling of contiguous planes [n·c, h, w] to [oh, ow] (the kernel fields of g are unused). */
  adaptiveAvgPool2d(x: TypedArray, g: Window2d): TypedArray;
  adaptiveAvgPool2dBackward(grad: TypedArray, g: Window2d, dtype: DType): TypedArray;
  adaptiveMaxPool2d(x: TypedArray, g: Window2d): PoolResult;
  /** Gathers the last `maps.length` dims through index maps (-1 reads `value`): every padding mode. */
  pad(x: TypedArray, lx: Layout, outShape: Shape, maps: readonly Int32Array[], value: number): TypedArray;
  /** The gradient of pad: output gradients summed into the cells they were read from. */
  padBackward(grad: TypedArray, inShape: Shape, maps: readonly Int32Array[], dtype: DType): TypedArray;
  // ---- norm ----
  /** Rows `rows` of a 2-D table (any strides), contiguous [rows.length, cols] (an embedding lookup). */
  gatherRows(table: TypedArray, layout: Layout, rows: BigInt64Array, out: DType): TypedArray;
  /** [numRows, dim] with each row of `grad` ([rows.length, dim]) added into row rows[i], except `skipRow`. */
  scatterAddRows(grad: TypedArray, rows: BigInt64Array, numRows: number, dim: number, skipRow: number, out: DType): TypedArray;
  /** Batch norm's per-channel mean and sum of squared deviations of a contiguous [n, c, l] array (float64 sums). */
  channelStats(x: TypedArray, n: number, c: number, l: number, dtype: DType): { mean: Float64Array; varSum: Float64Array };
  /** x·alpha[ch] + beta[ch] over a contiguous [n, c, l] array (batch norm's transform). */
  channelAffine(x: TypedArray, n: number, c: number, l: number, alpha: Float64Array, beta: Float64Array, dtype: DType): TypedArray;
  /** Batch norm's backward: per-channel Σg and Σ(x - mean)·g, and the input's gradient when asked. */
  channelNormBackward(
    g: TypedArray, x: TypedArray, n: number, c: number, l: number, mean: Float64Array, invstd: Float64Array,
    weight: Float64Array | null, training: boolean, gradInput: boolean, dtype: DType,
  ): { dx: TypedArray | null; sum: Float64Array; dotp: Float64Array };
  /**
   * Layer norm over the rows of a contiguous [rows, cols] float array (PyTorch 1.13's
   * LayerNormKernel): y = (x·rstd - rstd·mean)·weight + bias, with each row's mean and
   * rstd = 1/√(var + eps) (biased variance, float64 sums) returned for the backward.
   */
  layerNorm(x: TypedArray, rows: number, cols: number, weight: TypedArray | null, bias: TypedArray | null, eps: number, dtype: DType): { y: TypedArray; mean: Float64Array; rstd: Float64Array };
  /**
   * Layer norm's backward (PyTorch 1.13's LayerNormBackwardKernel) from the forward's statistics:
   * the input's gradient when `gradInput`, and the weight's (Σ g·x̂) and bias's (Σ g) gradients,
   * [cols] each, when `params`.
   */
  layerNormBackward(
    g: TypedArray, x: TypedArray, rows: number, cols: number, mean: Float64Array, rstd: Float64Array,
    weight: TypedArray | null, gradInput: boolean, params: boolean, dtype: DType,
  ): { dx: TypedArray | null; dWeight: TypedArray | null; dBias: TypedArray | null };
  /**
   * Softmax (`log` false) or log-softmax along the last dim of a contiguous float [rows, cols]
   * array, one pass per row as PyTorch 1.13's last-dim kernels (max-shifted, float64 sums).
   */
  softmax(x: TypedArray, rows: number, cols: number, log: boolean, dtype: DType): TypedArray;
  /** The input gradient of `softmax` from its output `y` and the output gradient `g` (both contiguous [rows, cols]). */
  softmaxBackward(g: TypedArray, y: TypedArray, rows: number, cols: number, log: boolean, dtype: DType): TypedArray;
  // ---- losses ----
  /**
   * mse_loss reduced ("sum", or "mean" when `mean`) over `n` dense elements of `x` and `y` of
   * the float dtype `out`: one element with the bits of the composition sub, mul_, sum (, div).
   */
  mseLoss(x: TypedArray, y: TypedArray, n: number, mean: boolean, out: DType): TypedArray;
  /** mse_loss's input gradient (x - y)·scale·g over `n` dense elements, `g` one number, each step rounded to `out`. */
  mseLossBackward(x: TypedArray, y: TypedArray, n: number, scale: number, g: number, out: DType): TypedArray;
  // ---- activation ----
  /** `op(x; params)` elementwise for float `x`, stored as `out` (x's dtype). */
  activation(op: ActivationOp, x: TypedArray, layout: Layout, params: readonly number[], out: DType): TypedArray;
  /**
   * The activation's input gradient: `g` times op'(s), `g` and `s` laid out over one shape; `s` is
   * the op's input, or its output when `fromResult` (the in-place forms' saved result).
   */
  activationBackward(
    op: ActivationOp, g: TypedArray, lg: Layout, s: TypedArray, ls: Layout, params: readonly number[], fromResult: boolean, out: DType,
  ): TypedArray;
}

/**
 * A 2-D window sliding over [n, c, h, w] (1-D ops use h = 1): kernel, stride, padding and
 * dilation per dim, and the output size they give.
 */
export interface Window2d {
  n: number; c: number; h: number; w: number;
  kh: number; kw: number; sh: number; sw: number; ph: number; pw: number; dh: number; dw: number;
  oh: number; ow: number;
}

/** A max pooling's values and the position of each within its plane (int32: BigInts cost more than the pooling). */
export interface PoolResult { values: TypedArray; indices: Int32Array }

/** Used where a switch over an op union must be exhaustive: a new op is a compile error. */
export function assertNever(x: never): never {
  throw new Error(`unhandled case: ${String(x)}`);
}

export type { Shape };
