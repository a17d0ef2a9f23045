/** torchlet: PyTorch's tensors, autograd and torch.nn in TypeScript. Re-exports only. */
export { Tensor } from "./tensor.ts";
export type { Scalar, TensorLike, NestedList, ReduceOptions, ValuesIndices, Storage } from "./tensor.ts";
export type { JSONList, TensorJSON } from "./tensor.ts";
export { version } from "./core/version.ts";
export { DType, bool, uint8, int8, int32, int64, float16, bfloat16, float32, float64, promoteTypes } from "./core/dtype.ts";
export type { DTypeName, TypedArray } from "./core/dtype.ts";
export type { Shape } from "./core/shape.ts";
export { Layout } from "./core/layout.ts";
export {
  tensor, zeros, ones, empty, full, rand, randn, randint, arange, linspace, eye,
  zerosLike, onesLike, emptyLike, fullLike, randLike, randnLike, randintLike,
} from "./ops/creation.ts";
export type { CreationOptions } from "./ops/creation.ts";
export { randperm, multinomial, bernoulli, normal } from "./ops/random.ts";
export type { GeneratorOption, RandpermOptions, MultinomialOptions, NormalOptions } from "./ops/random.ts";
export { cat, stack, split, chunk, unbind } from "./ops/movement.ts";
export { matmul } from "./ops/linalg.ts";
export { equal, allclose } from "./ops/compare.ts";
// ---- indexing ----
export {
  where, slice, Slice, indexSelect, gather, scatter, scatterAdd, indexAdd, indexCopy, indexFill, indexPut, indexPut_,
  take, put, maskedFill, maskedSelect, nonzero, argwhere,
} from "./ops/indexing.ts";
export type { Index, SliceString, ScatterReduce } from "./ops/indexing.ts";
// ---- shape ----
export {
  tril, triu, cumsum, cumprod, flip, fliplr, flipud, roll, tile, repeatInterleave, diag, diagonalOf as diagonal,
  outer, meshgridOf as meshgrid, bmm, addmm, baddbmm, cummax, cummin, rot90, diagEmbedOf as diagEmbed, trace,
  mm, mv, dot, movedim, movedim as moveaxis, swapaxes, swapaxes as swapdims, unflatten, ravel,
} from "./ops/shape.ts";
export type { CumulativeOptions, DiagonalOptions, DiagEmbedOptions, ScaleOptions } from "./ops/shape.ts";
export { sort, argsort, msort, topk } from "./ops/sort.ts";
export type { SortOptions, TopkOptions } from "./ops/sort.ts";
export { einsum } from "./ops/einsum.ts";
// torch.* forms of the Tensor methods PyTorch has as both (test/shape-ops.test.ts checks the list)
export {
  numel, detach, clone, narrow, select, transpose, permute, t, reshape, broadcastTo, unsqueeze, squeeze, flatten,
  add, sub, mul, div, pow, maximum, minimum, eq, ne, lt, le, gt, ge, logicalAnd, logicalOr, logicalNot,
  neg, exp, log, sqrt, abs, sign, sin, cos, erf, relu, sigmoid, tanh, isnan, isinf, square, clamp,
  softmax, logSoftmax, sum, mean, prod, variance as var, std, max, min, argmax, argmin, any, all,
  fill_, zero_, clamp_, relu_,
} from "./ops/functions.ts";
// ---- math ----
export {
  floor, ceil, round, trunc, fix, frac, reciprocal, rsqrt, log1p, expm1, log2, log10, exp2, tan, asin, acos, atan,
  sinh, cosh, isfinite, signbit, sgn, remainder, fmod, floorDivide, atan2, nanToNum, lerp, addcmul, addcdiv,
  clip, logsumexp, amax, amin, norm, linalg, floor_, ceil_, round_, trunc_, frac_, reciprocal_, rsqrt_, clip_, nanToNum_,
} from "./ops/math-api.ts";
export type { DivOptions, NanToNumOptions, AddcOptions, NormOptions, VectorNormOptions, SoftplusOptions } from "./ops/math-api.ts";
// ---- random ----
export { noGrad, enableGrad, isGradEnabled, setGradEnabled } from "./autograd/grad-mode.ts";
export { Generator, manualSeed, initialSeed, seed, defaultGenerator, getRngState, setRngState } from "./ops/generator.ts";
export { setPrintOptions, getPrintOptions } from "./core/format.ts";
export * from "./errors.ts";
export { backend, setBackend, cpuBackend, wasmBackend } from "./backend/active.ts";
export { enableWasmThreadsWeb, disableWasmThreadsWeb, webThreadsSupported } from "./backend/wasm/threads-web.ts";
export { setRelaxedSimd, relaxedSimdActive } from "./backend/wasm/module.ts";
export type { Backend } from "./backend/backend.ts";
export * as nn from "./nn/index.ts";
export * as optim from "./optim/index.ts";
export * as utils from "./data/torch-utils.ts";
export * from "./io/index.ts";
export * as autograd from "./autograd/index.ts";
export * as diagnostics from "./diagnostics/index.ts";
export { summary, parameterStats, formatTable, Recorder, reportHtml, toDot, toGraphSvg } from "./diagnostics/index.ts";
