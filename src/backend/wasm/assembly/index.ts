// AssemblyScript entry compiled by scripts/build-wasm.ts (see sgemm.ts for why tsc skips it).
// eslint-disable-next-line @typescript-eslint/ban-ts-comment
// @ts-nocheck

export { sgemm, tileRows, packASize, packBSize } from "./sgemm";
export { sgemv } from "./sgemv";
export { update, updateScalar, fill, reluGrad, relu } from "./elementwise";
export { binary, compare, logic, where, whereScalar } from "./binary";
export { gelu, geluBackward, unaryRows, sigmoidGrad, tanhGrad, softmax, softmaxBackward } from "./activation";
export { activationOp, activationOpBackward } from "./activation-ops";
export { blockStats, histogram, cellSums, diffStats } from "./stats";
export { layerNorm, layerNormBackward, channelStats, channelAffine, channelNormBackward } from "./norm";
export { adamStep, sgdStep } from "./optim";
export { sumRows } from "./reduce";
export { im2col, col2im, swapLeading } from "./conv";
export { maxPool2d } from "./pool";
