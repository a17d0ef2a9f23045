/** torchlet: PyTorch's tensors, autograd and torch.nn in TypeScript. Re-exports only. */
export { Tensor } from "./tensor.ts";
export type { Scalar, TensorLike, NestedList, ReduceOptions, ValuesIndices, Storage } from "./tensor.ts";
export { DType, bool, uint8, int8, int32, int64, float16, bfloat16, float32, float64, promoteTypes } from "./core/dtype.ts";
export type { DTypeName, TypedArray } from "./core/dtype.ts";
export type { Shape } from "./core/shape.ts";
export { Layout } from "./core/layout.ts";
export {
  tensor, zeros, ones, empty, full, rand, randn, randint, arange, linspace, eye,
  zerosLike, onesLike, emptyLike, fullLike, randLike, randnLike, randintLike,
} from "./ops/creation.ts";
export type { CreationOptions } from "./ops/creation.ts";
export { cat, stack, split, chunk, unbind } from "./ops/movement.ts";
export { where } from "./ops/elementwise.ts";
export { matmul } from "./ops/linalg.ts";
export { equal, allclose } from "./ops/compare.ts";
// ---- indexing ----
// ---- shape ----
// ---- math ----
// ---- random ----
export { noGrad, enableGrad, isGradEnabled, setGradEnabled } from "./autograd/grad-mode.ts";
export { Generator, manualSeed, defaultGenerator } from "./core/generator.ts";
export { setPrintOptions, getPrintOptions } from "./core/format.ts";
export * from "./errors.ts";
export { backend, setBackend, cpuBackend, wasmBackend } from "./backend/active.ts";
export { enableWasmThreadsWeb, disableWasmThreadsWeb, webThreadsSupported } from "./backend/wasm/threads-web.ts";
export type { Backend } from "./backend/backend.ts";
export * as nn from "./nn/index.ts";
export * as optim from "./optim/index.ts";
export * from "./io/index.ts";
export * as autograd from "./autograd/index.ts";
export * as diagnostics from "./diagnostics/index.ts";
export { summary, parameterStats, formatTable, Recorder, reportHtml, toDot, toGraphSvg } from "./diagnostics/index.ts";
