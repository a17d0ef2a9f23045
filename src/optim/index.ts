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
