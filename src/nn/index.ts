/** torch.nn: modules, parameters, containers, initialization. Re-exports only. */
export { Module } from "./module.ts";
export type { ForwardHook, ForwardPreHook, RemovableHandle, StateDict } from "./module.ts";
export { Parameter, UninitializedParameter } from "./parameter.ts";
export { Linear, LazyLinear } from "./linear.ts";
export type { LinearOptions } from "./linear.ts";
export { Sequential, ModuleList, ModuleDict } from "./container.ts";
export * as init from "./init.ts";
export { ReLU, Sigmoid, Tanh, GELU, Softmax, LogSoftmax, Identity, Flatten, Dropout } from "./activation.ts";
export { MSELoss, L1Loss, NLLLoss, CrossEntropyLoss, BCEWithLogitsLoss } from "./loss.ts";
export type { LossModuleOptions } from "./loss.ts";
export * as functional from "./functional.ts";
// ---- conv and pooling ----
// ---- normalization ----
// ---- embedding ----
// ---- recurrent ----
// ---- attention and transformer ----
// ---- activations and losses ----
// ---- utils ----
