/**
 * Sampling ops on tensors: torch.randperm, multinomial, bernoulli/bernoulli_ and the normal
 * variants, over core's fill kernels, so the same seed and call order give PyTorch's numbers.
 * None of them is differentiable: results never require grad.
 */
import { DTypeError, ShapeError, ValueError } from "../errors.ts";
import {
  bfloat16, defaultFloat, float16, float32, float64, int32, int64, int8, uint8, bool, type DType,
} from "../core/dtype.ts";
import { broadcastShapes, parseShape, type Shape } from "../core/shape.ts";
import type { Generator } from "../core/generator.ts";
import { numberToBfloat16, numberToHalf } from "../core/half.ts";
import { fillNormal, type FloatArray } from "../core/random-float.ts";
import { fillBernoulli, fillBernoulliTensor, fillRandperm, multinomial as sampleMultinomial } from "../core/random-int.ts";
import { Tensor } from "../tensor.ts";
import { noGrad } from "../autograd/grad-mode.ts";
import { contiguousData, wrap } from "./elementwise.ts";
import { expand } from "./movement.ts";
import { assign_, checkInPlace } from "./inplace.ts";
import { checkGenerator } from "./generator.ts";

/** The generator option every sampling op takes. */
export interface GeneratorOption { generator?: Generator }

/** Options of `randperm`: the result dtype (int64 by default) and the generator. */
export interface RandpermOptions extends GeneratorOption { dtype?: DType }

/** PyTorch's check_supported_max_int_with_precision: every value 0..n-1 must be exact in the dtype. */
function checkRandpermRange(n: number, dtype: DType): void {
  const overflow = (c: string): never => {
    throw new ValueError(`value cannot be converted to type ${c} without overflow`);
  };
  if (dtype === int8 && n - 1 > 127) overflow("int8_t");
  if (dtype === uint8 && n - 1 > 255) overflow("uint8_t");
  if (dtype === float16 && n > 2049) throw new ValueError("n cannot be greater than 2049 for Half type.");
  if (dtype === float32 && n > 2 ** 24 + 1) throw new ValueError("n cannot be greater than 2^24+1 for Float type.");
}

/**
 * A random permutation of 0..n-1, like `torch.randperm(n, generator=g, dtype=d)`: PyTorch's CPU
 * shuffle draw for draw (int64 by default).
 * @example torch.manualSeed(0); torch.randperm(5) // tensor([4, 1, 2, 0, 3]), as PyTorch
 */
export function randperm(n: number, options: RandpermOptions = {}): Tensor {
  if (typeof n !== "number" || !Number.isInteger(n)) throw new ValueError(`randperm(): argument 'n' must be an integer, not ${n}`);
  if (n < 0) throw new ShapeError(`Trying to create tensor with negative dimension ${n}: [${n}]`);
  const dtype = options.dtype ?? int64;
  if (dtype === bool) throw new DTypeError(`"randperm" not implemented for 'Bool'`);
  checkRandpermRange(n, dtype);
  const gen = checkGenerator("randperm", options.generator);
  if (dtype === int64 || dtype === int32 || dtype === float32 || dtype === float64) {
    const out = dtype.alloc(n) as BigInt64Array | Int32Array | FloatArray;
    fillRandperm(out, gen);
    return wrap(out, [n], dtype);
  }
  const perm = new Float64Array(n);
  fillRandperm(perm, gen);
  const out = dtype.alloc(n);
  if (dtype === float16 || dtype === bfloat16) {
    const toBits = dtype === float16 ? numberToHalf : numberToBfloat16;
    for (let i = 0; i < n; i++) out[i] = toBits(perm[i]!);
  } else {
    out.set(perm as never);
  }
  return wrap(out, [n], dtype);
}

/** Options of `multinomial`: sampling with replacement (default false) and the generator. */
export interface MultinomialOptions extends GeneratorOption { replacement?: boolean }

/**
 * `numSamples` category indices per row of a 1-D or 2-D tensor of non-negative weights, as int64:
 * `torch.multinomial(probs, n, replacement=r, generator=g)`, with PyTorch's draws.
 */
export function multinomial(input: Tensor, numSamples: number, options: MultinomialOptions = {}): Tensor {
  checkTensor("multinomial", input);
  if (input.dtype !== float32 && input.dtype !== float64) {
    throw new DTypeError(
      input.dtype.kind === "float"
        ? `multinomial: torchlet samples from float32 or float64 probabilities, got ${input.dtype}; convert with .float()`
        : `multinomial only supports floating-point dtypes for input, got: ${input.dtype.scalarName}`,
    );
  }
  if (input.ndim !== 1 && input.ndim !== 2) throw new ShapeError("prob_dist must be 1 or 2 dim");
  if (typeof numSamples !== "number" || !Number.isInteger(numSamples)) {
    throw new ValueError(`multinomial(): argument 'num_samples' must be an integer, not ${numSamples}`);
  }
  const categories = input.shape[input.ndim - 1]!;
  if (categories > 2 ** 24) throw new ValueError("number of categories cannot exceed 2^24");
  const replacement = options.replacement ?? false;
  if (!replacement && numSamples > categories) {
    throw new ValueError("cannot sample n_sample > prob_dist.size(-1) samples without replacement");
  }
  const gen = checkGenerator("multinomial", options.generator);
  const rows = input.ndim === 2 ? input.shape[0]! : 1;
  if (rows === 0) return wrap(new BigInt64Array(0), [0, numSamples], int64);
  const out = sampleMultinomial(contiguousData(input) as FloatArray, categories, numSamples, replacement, gen);
  return wrap(out, input.ndim === 2 ? [rows, numSamples] : [numSamples], int64);
}

function checkTensor(op: string, t: unknown): asserts t is Tensor {
  if (!(t instanceof Tensor)) throw new ValueError(`${op}(): argument 'input' must be Tensor, not ${typeof t}`);
}

/** A float32 or float64 probability tensor, as bernoulli's tensor form reads it. */
function floatProbabilities(op: string, p: Tensor): void {
  if (p.dtype !== float32 && p.dtype !== float64) {
    throw new DTypeError(`"${op}" not implemented for '${p.dtype.scalarName}'`);
  }
}

/** 0/1 samples written into `self` through its layout, in `self`'s dtype (as fill_ writes). */
function writeSamples<T extends Tensor>(self: T, samples: Float64Array): T {
  return assign_(self, () => wrap(samples, self.shape, float64), true);
}

/**
 * In place: each element becomes 1 with probability p, else 0, like `self.bernoulli_(p)`; p is
 * a number (default 0.5) or a float tensor broadcastable to `self`.
 */
export function bernoulli_<T extends Tensor>(self: T, p: number | Tensor = 0.5, options: GeneratorOption = {}): T {
  checkInPlace(self, "bernoulli_");
  const gen = checkGenerator("bernoulli_", options.generator);
  const samples = new Float64Array(self.numel());
  if (p instanceof Tensor) {
    floatProbabilities("bernoulli_tensor_cpu_p_", p);
    const probs = contiguousData(expand(p, self.shape)) as FloatArray;
    fillBernoulliTensor(samples, probs, gen);
  } else {
    if (typeof p !== "number") throw new ValueError(`bernoulli_(): argument 'p' must be a number or a Tensor, not ${typeof p}`);
    fillBernoulli(samples, p, gen);
  }
  return writeSamples(self, samples);
}

/**
 * Samples 0 or 1 per element: `torch.bernoulli(probs)` draws with each element's probability;
 * `torch.bernoulli(input, p)` with one probability for all (the result has input's dtype).
 */
export function bernoulli(input: Tensor, p?: number | GeneratorOption, options: GeneratorOption = {}): Tensor {
  checkTensor("bernoulli", input);
  if (typeof p === "number") {
    return bernoulli_(wrap(input.dtype.alloc(input.numel()), input.shape, input.dtype), p, options);
  }
  floatProbabilities("bernoulli_tensor_cpu_p_", input);
  return bernoulli_(wrap(input.dtype.alloc(input.numel()), input.shape, input.dtype), input, p ?? options);
}

/** Options of `normal`: the generator, and the dtype when mean and std are both numbers. */
export interface NormalOptions extends GeneratorOption { dtype?: DType }

/** A fresh tensor of N(mean, std²) samples, as `empty(shape, dtype).normal_(mean, std)`. */
function samples(shape: readonly number[], dtype: DType, mean: number, std: number, gen: Generator): Tensor {
  if (dtype !== float32 && dtype !== float64) throw new DTypeError(`"normal_kernel_cpu" not implemented for '${dtype.scalarName}'`);
  const out = dtype.alloc(shape.reduce((a, b) => a * b, 1)) as FloatArray;
  fillNormal(out, mean, std, gen);
  return wrap(out, shape, dtype);
}

/**
 * Normal samples, as torch.normal's four forms: `normal(mean, std, size)` with numbers, or
 * per-element means and/or standard deviations from tensors (the result has the tensors'
 * broadcast shape and the mean's dtype, else the std's). PyTorch draws N(0, 1) (N(0, std) when
 * only std is a number), then multiplies by std and adds the mean: so does this.
 * @example torch.normal(torch.zeros(3), 2)  torch.normal(0, 1, [2, 3], { generator: g })
 */
export function normal(
  mean: number | Tensor, std: number | Tensor, size?: Shape | NormalOptions, options: NormalOptions = {},
): Tensor {
  const o = size !== undefined && !Array.isArray(size) ? (size as NormalOptions) : options;
  const gen = checkGenerator("normal", o.generator);
  if (!(mean instanceof Tensor) && !(std instanceof Tensor)) {
    if (!Array.isArray(size)) throw new ValueError("normal(mean, std, size): give the size when mean and std are numbers");
    checkStd(std);
    if (typeof mean !== "number") throw new ValueError(`normal(): argument 'mean' must be a number or a Tensor, not ${typeof mean}`);
    return samples(parseShape([size], "normal"), o.dtype ?? defaultFloat, mean, std, gen);
  }
  if (std instanceof Tensor) {
    if (!(contiguousData(std) as FloatArray).every((v: number) => v >= 0)) throw new ValueError("normal expects all elements of std >= 0.0");
  } else {
    checkStd(std);
  }
  return noGrad(() => {
    if (!(std instanceof Tensor)) return samples((mean as Tensor).shape, (mean as Tensor).dtype, 0, std, gen).add_(mean);
    const shape = mean instanceof Tensor ? broadcastShapes(mean.shape, std.shape) : std.shape;
    const dtype = mean instanceof Tensor ? mean.dtype : std.dtype;
    return samples(shape, dtype, 0, 1, gen).mul_(std).add_(mean);
  });
}

function checkStd(std: number): void {
  if (typeof std !== "number") throw new ValueError(`normal(): argument 'std' must be a number or a Tensor, not ${typeof std}`);
  if (!(std >= 0)) throw new ValueError(`normal expects std >= 0.0, but found std ${std}`);
}
