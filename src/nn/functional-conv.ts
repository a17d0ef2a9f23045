/**
 * The functional forms of convolution, pooling and padding (torch.nn.functional's conv1d, conv2d,
 * conv_transpose1d/2d, max_pool1d/2d, avg_pool1d/2d, adaptive pools, pad, unfold, fold), re-exported
 * from functional.ts.
 */
import type { Tensor } from "../tensor.ts";
import * as conv from "../ops/conv.ts";
import * as pool from "../ops/pool.ts";
import { pad as padOp, type PadMode, type PadOptions } from "../ops/pad.ts";

export type { ConvOptions, ConvTransposeOptions, UnfoldOptions, IntOrList } from "../ops/conv.ts";
export type { MaxPoolOptions, AvgPoolOptions, AdaptiveSize } from "../ops/pool.ts";
export type { PadMode, PadOptions };

/** 1-D convolution over [n, c, l] (or unbatched [c, l]) with weight [o, c/groups, k]. */
export function conv1d(input: Tensor, weight: Tensor, options: conv.ConvOptions = {}): Tensor {
  return conv.convolution(input, weight, options, 1, "conv1d");
}

/** 2-D convolution over [n, c, h, w] (or unbatched [c, h, w]) with weight [o, c/groups, kh, kw]. */
export function conv2d(input: Tensor, weight: Tensor, options: conv.ConvOptions = {}): Tensor {
  return conv.convolution(input, weight, options, 2, "conv2d");
}

/** 1-D transposed convolution with weight [c, o/groups, k]. */
export function convTranspose1d(input: Tensor, weight: Tensor, options: conv.ConvTransposeOptions = {}): Tensor {
  return conv.convTranspose(input, weight, options, 1, "conv_transpose1d");
}

/** 2-D transposed convolution with weight [c, o/groups, kh, kw]. */
export function convTranspose2d(input: Tensor, weight: Tensor, options: conv.ConvTransposeOptions = {}): Tensor {
  return conv.convTranspose(input, weight, options, 2, "conv_transpose2d");
}

/** Max pooling options plus `returnIndices`. */
export type MaxPoolCallOptions = pool.MaxPoolOptions & { returnIndices?: boolean };

/** 2-D max pooling; with `returnIndices: true`, `[output, indices]`. */
export function maxPool2d(input: Tensor, kernelSize: pool.IntOrPair, options: pool.MaxPoolOptions & { returnIndices: true }): [Tensor, Tensor];
export function maxPool2d(input: Tensor, kernelSize: pool.IntOrPair, options?: pool.MaxPoolOptions & { returnIndices?: false }): Tensor;
export function maxPool2d(input: Tensor, kernelSize: pool.IntOrPair, options?: MaxPoolCallOptions): Tensor | [Tensor, Tensor];
export function maxPool2d(input: Tensor, kernelSize: pool.IntOrPair, options: MaxPoolCallOptions = {}): Tensor | [Tensor, Tensor] {
  return pool.maxPool2d(input, kernelSize, options, options.returnIndices ?? false);
}

/** 1-D max pooling; with `returnIndices: true`, `[output, indices]`. */
export function maxPool1d(input: Tensor, kernelSize: pool.IntOrPair, options: pool.MaxPoolOptions & { returnIndices: true }): [Tensor, Tensor];
export function maxPool1d(input: Tensor, kernelSize: pool.IntOrPair, options?: pool.MaxPoolOptions & { returnIndices?: false }): Tensor;
export function maxPool1d(input: Tensor, kernelSize: pool.IntOrPair, options?: MaxPoolCallOptions): Tensor | [Tensor, Tensor];
export function maxPool1d(input: Tensor, kernelSize: pool.IntOrPair, options: MaxPoolCallOptions = {}): Tensor | [Tensor, Tensor] {
  return pool.maxPool1d(input, kernelSize, options, options.returnIndices ?? false);
}

/** 2-D average pooling. */
export function avgPool2d(input: Tensor, kernelSize: pool.IntOrPair, options: pool.AvgPoolOptions = {}): Tensor {
  return pool.avgPool2d(input, kernelSize, options);
}

/** 1-D average pooling. */
export function avgPool1d(input: Tensor, kernelSize: pool.IntOrPair, options: pool.AvgPoolOptions = {}): Tensor {
  return pool.avgPool1d(input, kernelSize, options);
}

/** 2-D adaptive average pooling to `outputSize` (null keeps that dim's size). */
export function adaptiveAvgPool2d(input: Tensor, outputSize: pool.AdaptiveSize): Tensor {
  return pool.adaptiveAvgPool2d(input, outputSize);
}

/** 1-D adaptive average pooling. */
export function adaptiveAvgPool1d(input: Tensor, outputSize: number | readonly number[]): Tensor {
  return pool.adaptiveAvgPool1d(input, outputSize);
}

/** 2-D adaptive max pooling; with `returnIndices: true`, `[output, indices]`. */
export function adaptiveMaxPool2d(input: Tensor, outputSize: pool.AdaptiveSize, options: { returnIndices: true }): [Tensor, Tensor];
export function adaptiveMaxPool2d(input: Tensor, outputSize: pool.AdaptiveSize, options?: { returnIndices?: false }): Tensor;
export function adaptiveMaxPool2d(input: Tensor, outputSize: pool.AdaptiveSize, options?: { returnIndices?: boolean }): Tensor | [Tensor, Tensor];
export function adaptiveMaxPool2d(input: Tensor, outputSize: pool.AdaptiveSize, options: { returnIndices?: boolean } = {}): Tensor | [Tensor, Tensor] {
  return pool.adaptiveMaxPool2d(input, outputSize, options.returnIndices ?? false);
}

/** 1-D adaptive max pooling; with `returnIndices: true`, `[output, indices]`. */
export function adaptiveMaxPool1d(input: Tensor, outputSize: number | readonly number[], options: { returnIndices: true }): [Tensor, Tensor];
export function adaptiveMaxPool1d(input: Tensor, outputSize: number | readonly number[], options?: { returnIndices?: false }): Tensor;
export function adaptiveMaxPool1d(input: Tensor, outputSize: number | readonly number[], options: { returnIndices?: boolean } = {}): Tensor | [Tensor, Tensor] {
  return pool.adaptiveMaxPool1d(input, outputSize, options.returnIndices ?? false);
}

/**
 * Pads the last dims: `pad` lists (left, right) amounts from the last dim backwards; negative
 * amounts crop. `mode` is "constant" (with `value`), "reflect", "replicate" or "circular".
 */
export function pad(input: Tensor, pad: readonly number[], options: PadOptions = {}): Tensor {
  return padOp(input, pad, options);
}

/** im2col: the sliding blocks of [n, c, h, w] as the columns of [n, c·kh·kw, blocks]. */
export function unfold(input: Tensor, kernelSize: conv.IntOrList, options: conv.UnfoldOptions = {}): Tensor {
  return conv.unfold(input, kernelSize, options);
}

/** col2im: sums the columns of [n, c·kh·kw, blocks] back into [n, c, ...outputSize]. */
export function fold(input: Tensor, outputSize: conv.IntOrList, kernelSize: conv.IntOrList, options: conv.UnfoldOptions = {}): Tensor {
  return conv.fold(input, outputSize, kernelSize, options);
}
