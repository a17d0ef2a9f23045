/** torch.optim: the optimizer base class, SGD, Adam and AdamW, and `lrScheduler`. Re-exports only. */
export { Optimizer } from "./optimizer.ts";
export type {
  Closure, HyperParams, HyperValue, OptimizerParams, OptimizerStateDict, ParamGroup, ParamGroupSpec, ParamState, StateValue,
} from "./optimizer.ts";
export { SGD } from "./sgd.ts";
export type { SGDHyper, SGDOptions } from "./sgd.ts";
export { Adam, AdamW } from "./adam.ts";
export type { AdamHyper, AdamOptions } from "./adam.ts";
export * as lrScheduler from "./lr-scheduler.ts";
export { RMSprop } from "./rmsprop.ts";
export type { RMSpropHyper, RMSpropOptions } from "./rmsprop.ts";
export { Adagrad } from "./adagrad.ts";
export type { AdagradHyper, AdagradOptions } from "./adagrad.ts";
export { Adamax } from "./adamax.ts";
export type { AdamaxHyper, AdamaxOptions } from "./adamax.ts";
export { NAdam } from "./nadam.ts";
export type { NAdamHyper, NAdamOptions } from "./nadam.ts";
export { RAdam } from "./radam.ts";
export type { RAdamHyper, RAdamOptions } from "./radam.ts";
export * as swaUtils from "./swa-utils.ts";
