/**
 * nn.init: in-place initializers with PyTorch's fan and gain arithmetic, so the same seed gives
 * the same weights. All run without recording autograd history.
 */
import { ShapeError, ValueError } from "../errors.ts";
import type { Tensor } from "../tensor.ts";
import type { Generator } from "../core/generator.ts";
import { noGrad } from "../autograd/grad-mode.ts";
import { contiguousData } from "../ops/elementwise.ts";

/** Nonlinearities that calculateGain knows. */
export type Nonlinearity =
  | "linear" | "conv1d" | "conv2d" | "conv3d" | "conv_transpose1d" | "conv_transpose2d" | "conv_transpose3d"
  | "sigmoid" | "tanh" | "relu" | "leaky_relu" | "selu";

/** The recommended gain for a nonlinearity, as torch.nn.init.calculate_gain. */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case "linear": case "conv1d": case "conv2d": case "conv3d":
    case "conv_transpose1d": case "conv_transpose2d": case "conv_transpose3d": case "sigmoid":
      return 1;
    case "tanh": return 5.0 / 3;
    case "relu": return Math.sqrt(2.0);
    case "leaky_relu": {
      const slope = param ?? 0.01;
      return Math.sqrt(2.0 / (1 + slope ** 2));
    }
    case "selu": return 3.0 / 4;
    default: throw new ValueError(`Unsupported nonlinearity ${String(nonlinearity)}`);
  }
}

/** fan_in and fan_out of a weight: dims 1 and 0 times the receptive field. */
export function calculateFanInAndFanOut(t: Tensor): { fanIn: number; fanOut: number } {
  if (t.ndim < 2) {
    throw new ShapeError("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions");
  }
  const receptive = t.shape.slice(2).reduce((p, s) => p * s, 1);
  return { fanIn: t.shape[1]! * receptive, fanOut: t.shape[0]! * receptive };
}

/** Options of the Kaiming initializers. */
export interface KaimingOptions {
  a?: number;
  mode?: "fan_in" | "fan_out";
  nonlinearity?: Nonlinearity;
  generator?: Generator;
}

function kaimingStd(t: Tensor, o: KaimingOptions): number {
  const { fanIn, fanOut } = calculateFanInAndFanOut(t);
  const fan = (o.mode ?? "fan_in") === "fan_in" ? fanIn : fanOut;
  return calculateGain(o.nonlinearity ?? "leaky_relu", o.a ?? 0) / Math.sqrt(fan);
}

/** Fills with U(a, b). */
export function uniform_(t: Tensor, a = 0, b = 1, generator?: Generator): Tensor {
  return noGrad(() => t.uniform_(a, b, generator));
}

/** Fills with N(mean, std²). */
export function normal_(t: Tensor, mean = 0, std = 1, generator?: Generator): Tensor {
  return noGrad(() => t.normal_(mean, std, generator));
}

/** Fills with a constant. */
export function constant_(t: Tensor, value: number): Tensor {
  return noGrad(() => t.fill_(value));
}

/** Fills with zeros. */
export function zeros_(t: Tensor): Tensor {
  return constant_(t, 0);
}

/** Fills with ones. */
export function ones_(t: Tensor): Tensor {
  return constant_(t, 1);
}

/** Fills a 2-D tensor with the identity matrix. */
export function eye_(t: Tensor): Tensor {
  if (t.ndim !== 2) throw new ShapeError("Only tensors with 2 dimensions are supported");
  return noGrad(() => {
    t.fill_(0);
    for (let i = 0; i < Math.min(t.shape[0]!, t.shape[1]!); i++) t.at(i, i).fill_(1);
    return t;
  });
}

/** U(-bound, bound) with bound = gain·√(6 / (fan_in + fan_out)) (Glorot). */
export function xavierUniform_(t: Tensor, gain = 1, generator?: Generator): Tensor {
  const { fanIn, fanOut } = calculateFanInAndFanOut(t);
  const std = gain * Math.sqrt(2.0 / (fanIn + fanOut));
  const a = Math.sqrt(3.0) * std;
  return uniform_(t, -a, a, generator);
}

/** N(0, std²) with std = gain·√(2 / (fan_in + fan_out)) (Glorot). */
export function xavierNormal_(t: Tensor, gain = 1, generator?: Generator): Tensor {
  const { fanIn, fanOut } = calculateFanInAndFanOut(t);
  return normal_(t, 0, gain * Math.sqrt(2.0 / (fanIn + fanOut)), generator);
}

/** U(-bound, bound) with bound = gain·√(3 / fan) (He). Linear's default is a = √5. */
export function kaimingUniform_(t: Tensor, options: KaimingOptions = {}): Tensor {
  const bound = Math.sqrt(3.0) * kaimingStd(t, options);
  return uniform_(t, -bound, bound, options.generator);
}

/** N(0, std²) with std = gain / √fan (He). */
export function kaimingNormal_(t: Tensor, options: KaimingOptions = {}): Tensor {
  return normal_(t, 0, kaimingStd(t, options), options.generator);
}

/** N(mean, std²) truncated to [a, b] by inverse-CDF sampling, as PyTorch 1.13 does. */
export function truncNormal_(
  t: Tensor, options: { mean?: number; std?: number; a?: number; b?: number; generator?: Generator } = {},
): Tensor {
  const { mean = 0, std = 1, a = -2, b = 2 } = options;
  const cdf = (x: number) => (1 + erf(x / Math.sqrt(2))) / 2;
  const l = cdf((a - mean) / std), u = cdf((b - mean) / std);
  return noGrad(() => {
    t.uniform_(2 * l - 1, 2 * u - 1, options.generator);
    const values = contiguousData(t);
    const mapped = t.dtype.alloc(values.length) as Float64Array;
    for (let i = 0; i < values.length; i++) mapped[i] = erfinv(Number(values[i]));
    const v = t.zerosLike();
    (v.storage.data as Float64Array).set(mapped);
    return t.copy_(v).mul_(std * Math.sqrt(2)).add_(mean).clamp_({ min: a, max: b });
  });
}

// erf to about 1.5e-7 (Abramowitz–Stegun 7.1.26) and erfinv refined against it: enough for
// float32 samples, which is what truncNormal_ produces in practice
function erf(x: number): number {
  const s = Math.sign(x), ax = Math.abs(x), t = 1 / (1 + 0.3275911 * ax);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-ax * ax);
  return s * y;
}

function erfinv(y: number): number {
  if (y <= -1) return y === -1 ? -Infinity : NaN;
  if (y >= 1) return y === 1 ? Infinity : NaN;
  // Giles' single-precision approximation, then two Newton steps on erf
  let w = -Math.log((1 - y) * (1 + y)), x: number;
  if (w < 5) {
    w -= 2.5;
    x = 2.81022636e-08;
    for (const c of [3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087, -0.00125372503, -0.00417768164, 0.246640727, 1.50140941]) x = c + x * w;
  } else {
    w = Math.sqrt(w) - 3;
    x = -0.000200214257;
    for (const c of [0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613, 0.00943887047, 1.00167406, 2.83297682]) x = c + x * w;
  }
  x *= y;
  for (let i = 0; i < 2; i++) x -= (erf(x) - y) / ((2 / Math.sqrt(Math.PI)) * Math.exp(-x * x));
  return x;
}
