/** The reference TypeScript backend: plain loops over typed arrays, runs everywhere. */
import type { Backend } from "../backend.ts";
import {
  channelAffineKernel, channelNormBackwardKernel, channelStatsKernel, gatherRowsKernel, layerNormBackwardKernel, layerNormKernel, scatterAddRowsKernel,
} from "./norm.ts";
import { castKernel } from "./cast.ts";
import { adamStepKernel, sgdStepKernel } from "./optim.ts";
import { softmaxBackwardKernel, softmaxKernel } from "./softmax.ts";
import { binaryKernel, fillKernel, unaryKernel, updateKernel, whereKernel, writeKernel } from "./elementwise.ts";
import { linearKernel, matmulKernel } from "./matmul.ts";
import { argReduceKernel, reduceKernel } from "./reduce.ts";
import {
  adaptiveAvgPool2dBackwardKernel, adaptiveAvgPool2dKernel, adaptiveMaxPool2dKernel, avgPool2dBackwardKernel, avgPool2dKernel,
  col2imKernel, groupGemmKernel, im2colKernel, maxPool2dKernel, maxPoolBackwardKernel, padBackwardKernel, padKernel, swapLeadingKernel,
} from "./conv.ts";
import { cumulativeExtremeKernel, cumulativeKernel, placeAlongKernel, sortKernel, topkKernel, triangleKernel } from "./shape.ts";
import { nanToNumKernel, roundDecimalsKernel } from "./math.ts";
import { activationBackwardKernel, activationKernel } from "./activation.ts";
import { mseLossBackwardKernel, mseLossKernel } from "./loss.ts";
import { blockStatsKernel, cellSumsKernel, diffKernel, histogramKernel } from "./stats.ts";
import { indexOffsetsKernel, maskedOffsetsKernel, nonzeroKernel, putKernel, takeKernel } from "./indexing.ts";

/** The CPU backend. */
export const cpuBackend: Backend = {
  name: "cpu",
  cast: castKernel,
  unary: unaryKernel,
  binary: binaryKernel,
  where: whereKernel,
  reduce: reduceKernel,
  argReduce: argReduceKernel,
  matmul: matmulKernel,
  linear: linearKernel,
  // the reference computes the product and adds it, as PyTorch's AccumulateGrad does
  matmulAccumulate: () => false,
  sumRowsAccumulate: () => false,
  update: updateKernel,
  adamStep: adamStepKernel,
  sgdStep: sgdStepKernel,
  write: writeKernel,
  fill: fillKernel,
  // host arrays are where this backend computes
  adopt: (data) => data,
  adoptWithinBudget: (data) => data,
  evict: (data) => data,
  growResidentBudget: () => false,
  resident: () => false,
  transientResults: () => false,
  transientCount: () => 0,
  transientBlock: () => -1,
  releaseTransients: () => {},
  forgetTransients: () => {},
  hostFloats: (n) => new Float32Array(n),
  blockStats: blockStatsKernel,
  histogram: histogramKernel,
  cellSums: cellSumsKernel,
  diffStats: diffKernel,
  // ---- indexing ----
  indexOffsets: indexOffsetsKernel,
  maskedOffsets: maskedOffsetsKernel,
  take: takeKernel,
  put: putKernel,
  nonzero: nonzeroKernel,
  // ---- shape ----
  triangle: triangleKernel,
  cumulative: cumulativeKernel,
  cumulativeExtreme: cumulativeExtremeKernel,
  sort: sortKernel,
  topk: topkKernel,
  placeAlong: placeAlongKernel,
  // ---- math ----
  roundDecimals: roundDecimalsKernel,
  nanToNum: nanToNumKernel,
  // ---- conv ----
  im2col: im2colKernel,
  groupGemm: groupGemmKernel,
  col2im: col2imKernel,
  swapLeading: swapLeadingKernel,
  maxPool2d: maxPool2dKernel,
  maxPoolBackward: maxPoolBackwardKernel,
  avgPool2d: avgPool2dKernel,
  avgPool2dBackward: avgPool2dBackwardKernel,
  adaptiveAvgPool2d: adaptiveAvgPool2dKernel,
  adaptiveAvgPool2dBackward: adaptiveAvgPool2dBackwardKernel,
  adaptiveMaxPool2d: adaptiveMaxPool2dKernel,
  pad: padKernel,
  padBackward: padBackwardKernel,
  // ---- norm ----
  gatherRows: gatherRowsKernel,
  scatterAddRows: scatterAddRowsKernel,
  channelStats: channelStatsKernel,
  channelAffine: channelAffineKernel,
  channelNormBackward: channelNormBackwardKernel,
  layerNorm: layerNormKernel,
  layerNormBackward: layerNormBackwardKernel,
  softmax: softmaxKernel,
  softmaxBackward: softmaxBackwardKernel,
  // ---- losses ----
  mseLoss: mseLossKernel,
  mseLossBackward: mseLossBackwardKernel,
  // ---- activation ----
  activation: activationKernel,
  activationBackward: activationBackwardKernel,
};
