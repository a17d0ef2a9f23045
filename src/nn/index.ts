/** torch.nn: modules, parameters, containers, initialization. Re-exports only. */
export { Module } from "./module.ts";
export type { BackwardHook, ForwardHook, ForwardPreHook, RemovableHandle, StateDict } from "./module.ts";
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
export { Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d, LazyConv1d, LazyConv2d } from "./conv.ts";
export type { ConvLayerOptions, ConvTransposeLayerOptions, PaddingMode } from "./conv.ts";
export { MaxPool1d, MaxPool2d, AvgPool1d, AvgPool2d, AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveMaxPool2d } from "./pooling.ts";
export type { MaxPoolLayerOptions, AvgPoolLayerOptions } from "./pooling.ts";
// ---- normalization ----
export { BatchNorm1d, BatchNorm2d, BatchNorm3d, LayerNorm, GroupNorm } from "./normalization.ts";
export type { BatchNormOptions, LayerNormOptions, GroupNormOptions } from "./normalization.ts";
// ---- embedding ----
export { Embedding } from "./sparse.ts";
export type { EmbeddingOptions } from "./sparse.ts";
// ---- recurrent ----
export { RNN, LSTM, GRU, RNNCell, LSTMCell, GRUCell } from "./rnn.ts";
export type { RNNOptions, ElmanRNNOptions } from "./rnn.ts";
// ---- attention and transformer ----
export { MultiheadAttention } from "./attention.ts";
export type { MultiheadAttentionOptions, MultiheadAttentionForwardOptions } from "./attention.ts";
export { TransformerEncoderLayer, TransformerDecoderLayer, TransformerEncoder, TransformerDecoder, Transformer } from "./transformer.ts";
export type {
  TransformerActivation, TransformerLayerOptions, TransformerEncoderOptions, TransformerDecoderOptions, TransformerOptions,
  EncoderLayerForwardOptions, EncoderForwardOptions, DecoderForwardOptions, TransformerForwardOptions,
} from "./transformer.ts";
// ---- activations and losses ----
export {
  LeakyReLU, ELU, CELU, SELU, SiLU, Mish, Softplus, Hardtanh, ReLU6, Hardsigmoid, Hardswish, Threshold, PReLU, Softmin,
  LogSigmoid, Softsign, Tanhshrink, Dropout1d, Dropout2d, Dropout3d, AlphaDropout, FeatureAlphaDropout,
} from "./activation.ts";
export {
  BCELoss, KLDivLoss, HuberLoss, SmoothL1Loss, SoftMarginLoss, CosineEmbeddingLoss, MarginRankingLoss, CosineSimilarity, PairwiseDistance,
} from "./loss.ts";
export { EmbeddingBag } from "./sparse.ts";
export type { EmbeddingBagModuleOptions } from "./sparse.ts";
export { AdaptiveMaxPool1d } from "./pooling.ts";
export type { DropoutModuleOptions, LeakyReLUOptions, ELUOptions, HardtanhOptions, PReLUOptions } from "./activation.ts";
// ---- utils ----
export * as utils from "./utils/index.ts";
