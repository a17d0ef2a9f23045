/** torch.nn.utils: gradient clipping and parameter/vector conversion. Re-exports only. */
export { clipGradNorm_, clipGradValue_ } from "./clip-grad.ts";
export type { ClipGradNormOptions, TensorOrTensors } from "./clip-grad.ts";
export { parametersToVector, vectorToParameters } from "./convert-parameters.ts";
