/** Functional forms of the normalization and embedding layers (torch.nn.functional). */
export { batchNorm, layerNorm, groupNorm, embedding, oneHot } from "../ops/norm.ts";
export type { BatchNormOptions, EmbeddingOptions } from "../ops/norm.ts";
