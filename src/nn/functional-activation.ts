/**
 * torch.nn.functional's activations and the channel-wise and alpha dropouts. Each activation
 * PyTorch computes in one kernel is one kernel and one node here (ops/activation.ts), named as
 * PyTorch names it; `inplace: true` writes into the input as PyTorch's `inplace=True` does.
 */
import { ShapeError, ValueError } from "../errors.ts";
import type { Tensor } from "../tensor.ts";
import type { Generator } from "../core/generator.ts";
import { defaultGenerator } from "../ops/generator.ts";
import { fillBernoulli } from "../core/random-int.ts";
import { activate, prelu as preluOp } from "../ops/activation.ts";
import { assign_ } from "../ops/inplace.ts";
import { wrap } from "../ops/elementwise.ts";
import { logSigmoid, softplus as softplusOp, type SoftplusOptions } from "../ops/math.ts";

/** `{ inplace }`: write the result into the input (default false). */
export interface InplaceOptions { inplace?: boolean }

/** A leading optional number PyTorch users pass positionally (`F.elu(x, 0.5)`), or the options object. */
type NumberOr<O> = number | O;
function split<O extends object>(v: NumberOr<O> | undefined, key: keyof O): Partial<O> {
  return typeof v === "number" ? ({ [key]: v } as Partial<O>) : (v ?? {});
}

/** Runs `f` on x, or writes its result into x when in place. */
function maybeInplace(x: Tensor, inplace: boolean | undefined, f: (s: Tensor) => Tensor): Tensor {
  return inplace ? assign_(x, f) : f(x);
}

/** Options of leakyRelu: the slope below zero (default 0.01). */
export interface LeakyReluOptions extends InplaceOptions { negativeSlope?: number }

/** x where x > 0, else negativeSlope·x, as torch.nn.functional.leaky_relu (LeakyReluBackward0). */
export function leakyRelu(x: Tensor, options?: NumberOr<LeakyReluOptions>): Tensor {
  const o = split(options, "negativeSlope"), slope = o.negativeSlope ?? 0.01;
  if (o.inplace) return assign_(x, (s) => activate("leakyRelu", s, [slope], "leakyReluResult"));
  return activate("leakyRelu", x, [slope], "leakyRelu");
}

/** Options of elu and celu: the negative saturation α (default 1). */
export interface EluOptions extends InplaceOptions { alpha?: number }

/** x where x > 0, else α·(exp(x) - 1), as torch.nn.functional.elu (EluBackward0). */
export function elu(x: Tensor, options?: NumberOr<EluOptions>): Tensor {
  const o = split(options, "alpha");
  return eluForm(x, [o.alpha ?? 1, 1, 1], o.inplace, "elu");
}

/** max(0, x) + min(0, α·(exp(x/α) - 1)), as torch.nn.functional.celu (CeluBackward0). */
export function celu(x: Tensor, options?: NumberOr<EluOptions>): Tensor {
  const o = split(options, "alpha"), alpha = o.alpha ?? 1;
  if (alpha === 0) throw new ValueError("ZeroDivisionError: alpha cannot be 0 for CELU");
  return eluForm(x, [alpha, 1, 1 / alpha], o.inplace, "celu");
}

// SELU's constants (PyTorch's Activation.cpp spells them to 31 digits; these are the same doubles)
const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;

/** scale·elu(x, α) with SELU's fixed α and scale, as torch.nn.functional.selu (EluBackward0, as PyTorch's). */
export function selu(x: Tensor, options: InplaceOptions = {}): Tensor {
  return eluForm(x, [SELU_ALPHA, SELU_SCALE, 1], options.inplace, "elu");
}

function eluForm(x: Tensor, params: number[], inplace: boolean | undefined, key: "elu" | "celu"): Tensor {
  if (inplace) return assign_(x, (s) => activate("elu", s, params, key === "elu" ? "eluResult" : "celuResult"));
  return activate("elu", x, params, key);
}

/** x·sigmoid(x), as torch.nn.functional.silu (SiluBackward0). */
export function silu(x: Tensor, options: InplaceOptions = {}): Tensor {
  return maybeInplace(x, options.inplace, (s) => activate("silu", s, [], "silu"));
}

/** x·tanh(softplus(x)), as torch.nn.functional.mish (MishBackward0). */
export function mish(x: Tensor, options: InplaceOptions = {}): Tensor {
  return maybeInplace(x, options.inplace, (s) => activate("mish", s, [], "mish"));
}

/** 1/β·log(1 + exp(β·x)), linear where β·x > threshold, as torch.nn.functional.softplus (SoftplusBackward0). */
export function softplus(x: Tensor, options?: NumberOr<SoftplusOptions>): Tensor {
  return softplusOp(x, split(options, "beta"));
}

/** Options of hardtanh: the clamp range (default [-1, 1]). */
export interface HardtanhOptions extends InplaceOptions { minVal?: number; maxVal?: number }

/** x clamped to [minVal, maxVal], as torch.nn.functional.hardtanh (HardtanhBackward0: no gradient at the edges). */
export function hardtanh(x: Tensor, options?: NumberOr<HardtanhOptions>, maxVal?: number): Tensor {
  const o = split(options, "minVal");
  const lo = o.minVal ?? -1, hi = maxVal ?? o.maxVal ?? 1;
  return maybeInplace(x, o.inplace, (s) => activate("hardtanh", s, [lo, hi], "hardtanh"));
}

/** min(max(x, 0), 6), as torch.nn.functional.relu6 (PyTorch's hardtanh(x, 0, 6): HardtanhBackward0). */
export function relu6(x: Tensor, options: InplaceOptions = {}): Tensor {
  return hardtanh(x, { minVal: 0, maxVal: 6, inplace: options.inplace });
}

/** relu6(x + 3) / 6, as torch.nn.functional.hardsigmoid (HardsigmoidBackward0). */
export function hardsigmoid(x: Tensor, options: InplaceOptions = {}): Tensor {
  return maybeInplace(x, options.inplace, (s) => activate("hardsigmoid", s, [], "hardsigmoid"));
}

/** x·relu6(x + 3) / 6, as torch.nn.functional.hardswish (HardswishBackward0). */
export function hardswish(x: Tensor, options: InplaceOptions = {}): Tensor {
  return maybeInplace(x, options.inplace, (s) => activate("hardswish", s, [], "hardswish"));
}

/** x where x > threshold, else value, as torch.nn.functional.threshold (ThresholdBackward0). */
export function threshold(x: Tensor, thresholdValue: number, value: number, options: InplaceOptions = {}): Tensor {
  if (options.inplace) return assign_(x, (s) => activate("threshold", s, [thresholdValue, value], "thresholdResult"));
  return activate("threshold", x, [thresholdValue, value], "threshold");
}

/** x where x > 0, else weight·x per channel (dim 1), as torch.nn.functional.prelu (PreluBackward0). */
export function prelu(x: Tensor, weight: Tensor): Tensor { return preluOp(x, weight); }

/** x / (1 + |x|), as torch.nn.functional.softsign (composed, as PyTorch: DivBackward0). */
export function softsign(x: Tensor): Tensor { return x.div(x.abs().add(1)); }

/** x - tanh(x), as torch.nn.functional.tanhshrink (composed, as PyTorch: SubBackward0). */
export function tanhshrink(x: Tensor): Tensor { return x.sub(x.tanh()); }

/** log(sigmoid(x)) in PyTorch's stable form, as torch.nn.functional.logsigmoid (LogSigmoidBackward0). */
export function logsigmoid(x: Tensor): Tensor { return logSigmoid(x); }

/** PyTorch's legacy choice of a softmax dim when none is given: 0 for 0-, 1- and 3-dim inputs, else 1. */
export function implicitSoftmaxDim(ndim: number): number {
  return ndim === 0 || ndim === 1 || ndim === 3 ? 0 : 1;
}

/** softmax(-x) along `dim` (PyTorch's implicit dim when null), as torch.nn.functional.softmin. */
export function softmin(x: Tensor, dim: number | null = null): Tensor {
  return x.neg().softmax(dim ?? implicitSoftmaxDim(x.ndim));
}

/** Options of the channel-wise and alpha dropouts. */
export interface FeatureDropoutOptions extends InplaceOptions { p?: number; training?: boolean; generator?: Generator }

function checkP(p: number): void {
  if (!(p >= 0 && p <= 1)) throw new ValueError(`dropout probability has to be between 0 and 1, but got ${p}`);
}

// SELU's fixed point: AlphaDropout keeps mean 0 and variance 1 with dropped units at -α·scale
const ALPHA_PRIME = 1.7580993408473766;

/**
 * PyTorch's _dropout_impl: a bernoulli_(1-p) mask drawn in element order (of [N, C, 1, ...] for
 * channel-wise dropout, so one draw per channel), applied with MulBackward0 (AddBackward0 for alpha).
 */
function dropoutImpl(x: Tensor, o: FeatureDropoutOptions, feature: boolean, alpha: boolean, trainingDefault: boolean): Tensor {
  const p = o.p ?? 0.5, inplace = o.inplace ?? false;
  checkP(p);
  if (feature && x.ndim < 2) throw new ShapeError("Feature dropout requires at least 2 dimensions in the input");
  if (p === 0 || !(o.training ?? trainingDefault) || x.numel() === 0) return x;
  if (p === 1) return inplace ? x.mul_(0) : x.mul(0);
  const shape = feature ? x.shape.map((s, d) => (d < 2 ? s : 1)) : x.shape;
  const noise = wrap(x.dtype.alloc(shape.reduce((a, s) => a * s, 1)), shape, x.dtype);
  fillBernoulli(noise.storage.data as Float32Array, 1 - p, o.generator ?? defaultGenerator);
  if (!alpha) {
    noise.div_(1 - p);
    return inplace ? x.mul_(noise) : x.mul(noise);
  }
  const a = 1 / Math.sqrt((ALPHA_PRIME * ALPHA_PRIME * p + 1) * (1 - p));
  const b = noise.add(-1).mul_(ALPHA_PRIME * a).add_(ALPHA_PRIME * a * p);
  noise.mul_(a);
  return (inplace ? x.mul_(noise) : x.mul(noise)).add_(b);
}

/** Inputs without a batch dim get one for the channel-wise dropout and lose it after, as PyTorch's. */
function unbatched(x: Tensor, batched: boolean, o: FeatureDropoutOptions, f: (t: Tensor) => Tensor): Tensor {
  if (batched) return f(x);
  if (o.inplace) { f(x.unsqueeze(0)); return x; }
  return f(x.unsqueeze(0)).squeeze(0);
}

/** Zeroes whole channels of (N, C, L) or (C, L), as torch.nn.functional.dropout1d. */
export function dropout1d(x: Tensor, options: FeatureDropoutOptions = {}): Tensor {
  checkP(options.p ?? 0.5);
  if (x.ndim !== 2 && x.ndim !== 3) {
    throw new ShapeError(`dropout1d: Expected 2D or 3D input, but received a ${x.ndim}D input. Note that dropout1d exists to provide channel-wise dropout on inputs with 1 spatial dimension, a channel dimension, and an optional batch dimension (i.e. 2D or 3D inputs).`);
  }
  return unbatched(x, x.ndim === 3, options, (t) => dropoutImpl(t, options, true, false, true));
}

/** Zeroes whole channels (dim 1) of (N, C, H, W); a 3-D input is taken as (N, C, L), as torch.nn.functional.dropout2d. */
export function dropout2d(x: Tensor, options: FeatureDropoutOptions = {}): Tensor {
  return dropoutImpl(x, options, true, false, true);
}

/** Zeroes whole channels of (N, C, D, H, W) or (C, D, H, W), as torch.nn.functional.dropout3d. */
export function dropout3d(x: Tensor, options: FeatureDropoutOptions = {}): Tensor {
  checkP(options.p ?? 0.5);
  return unbatched(x, x.ndim === 5, options, (t) => dropoutImpl(t, options, true, false, true));
}

/**
 * Dropout that keeps SELU's self-normalization: dropped units become -α·scale, then an affine
 * map restores mean and variance, as torch.nn.functional.alpha_dropout (training defaults to false there).
 */
export function alphaDropout(x: Tensor, options: FeatureDropoutOptions = {}): Tensor {
  return dropoutImpl(x, options, false, true, false);
}

/** Alpha dropout of whole channels, as torch.nn.functional.feature_alpha_dropout (training defaults to false there). */
export function featureAlphaDropout(x: Tensor, options: FeatureDropoutOptions = {}): Tensor {
  return dropoutImpl(x, options, true, true, false);
}

/** relu written into x, as torch.nn.functional.relu_. */
export function relu_(x: Tensor): Tensor { return x.relu_(); }

/** leakyRelu written into x (LeakyReluBackward1), as torch.nn.functional.leaky_relu_. */
export function leakyRelu_(x: Tensor, negativeSlope = 0.01): Tensor { return leakyRelu(x, { negativeSlope, inplace: true }); }

/** elu written into x (EluBackward1), as torch.nn.functional.elu_. */
export function elu_(x: Tensor, alpha = 1): Tensor { return elu(x, { alpha, inplace: true }); }

/** celu written into x (CeluBackward1), as torch.nn.functional.celu_. */
export function celu_(x: Tensor, alpha = 1): Tensor { return celu(x, { alpha, inplace: true }); }

/** selu written into x (EluBackward1), as torch.nn.functional.selu_. */
export function selu_(x: Tensor): Tensor { return selu(x, { inplace: true }); }

/** hardtanh written into x, as torch.nn.functional.hardtanh_. */
export function hardtanh_(x: Tensor, minVal = -1, maxVal = 1): Tensor { return hardtanh(x, { minVal, maxVal, inplace: true }); }

/** threshold written into x (ThresholdBackward1), as torch.nn.functional.threshold_. */
export function threshold_(x: Tensor, thresholdValue: number, value: number): Tensor { return threshold(x, thresholdValue, value, { inplace: true }); }
