/**
 * Pooling: max, average and adaptive pooling over the last two dims with PyTorch's CPU kernels'
 * windows, output sizes and checks. 1-D pooling runs the 2-D kernels on a height of 1 and
 * squeezes it away, as PyTorch does (its graph ends with SqueezeBackward1 there too).
 */
import { DTypeError, ShapeError } from "../errors.ts";
import { int32, int64 } from "../core/dtype.ts";
import { Layout } from "../core/layout.ts";
import { normalizeDim, showShape } from "../core/shape.ts";
import type { Tensor } from "../tensor.ts";
import { backend } from "../backend/active.ts";
import type { Window2d } from "../backend/backend.ts";
import { record } from "../autograd/record.ts";
import { contiguousData, wrap } from "./elementwise.ts";
import { squeeze, unsqueeze } from "./movement.ts";

/** One size, or one per pooled dim. */
export type IntOrPair = number | readonly number[];

/** Options of maxPool1d/maxPool2d (stride defaults to the kernel size). */
export interface MaxPoolOptions { stride?: IntOrPair | null; padding?: IntOrPair; dilation?: IntOrPair; ceilMode?: boolean }
/** Options of avgPool1d/avgPool2d. */
export interface AvgPoolOptions { stride?: IntOrPair | null; padding?: IntOrPair; ceilMode?: boolean; countIncludePad?: boolean; divisorOverride?: number | null }

/** What a pooling node's backward needs: its window, its input's shape and, for max pooling, the indices. */
export interface PoolArgs { g: Window2d; countIncludePad?: boolean; divisor?: number | null; indices?: Int32Array }

function pair(v: IntOrPair, what: string, fn: string, allowEmpty = false): [number, number] {
  const list = typeof v === "number" ? [v] : v;
  if (list.length === 1) return [list[0]!, list[0]!];
  if (list.length === 2) return [list[0]!, list[1]!];
  if (allowEmpty && list.length === 0) return [NaN, NaN];
  throw new ShapeError(`${fn}: ${what}`);
}

/** PyTorch's pooling_output_shape with its checks (dilation 1 for average pooling). */
function outputSize(size: number, k: number, pad: number, stride: number, dilation: number, ceil: boolean): number {
  if (stride === 0) throw new ShapeError("stride should not be zero");
  if (pad < 0) throw new ShapeError(`pad must be non-negative, but got pad: ${pad}`);
  if (pad > Math.floor(k / 2)) throw new ShapeError(`pad should be at most half of kernel size, but got pad=${pad} and kernel_size=${k}`);
  let out = Math.floor((size + 2 * pad - dilation * (k - 1) - 1 + (ceil ? stride - 1 : 0)) / stride) + 1;
  // the last window must start inside the input or its left padding
  if (ceil && (out - 1) * stride >= size + pad) out--;
  return out;
}

/** PyTorch's pool2d_shape_check. */
function shapeCheck(x: Tensor, g: Window2d): void {
  if (g.kh <= 0 || g.kw <= 0) throw new ShapeError(`kernel size should be greater than zero, but got kH: ${g.kh} kW: ${g.kw}`);
  if (g.sh <= 0 || g.sw <= 0) throw new ShapeError(`stride should be greater than zero, but got dH: ${g.sh} dW: ${g.sw}`);
  if (g.dh <= 0 || g.dw <= 0) throw new ShapeError(`dilation should be greater than zero, but got dilationH: ${g.dh} dilationW: ${g.dw}`);
  const n = x.ndim;
  const valid = x.shape[n - 3] !== 0 && x.shape[n - 2] !== 0 && x.shape[n - 1] !== 0;
  if (!valid) throw new ShapeError(`Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but got:${showShape(x.shape)}`);
  if (Math.floor(g.kw / 2) < g.pw || Math.floor(g.kh / 2) < g.ph) {
    throw new ShapeError(`pad should be smaller than or equal to half of kernel size, but got padW = ${g.pw}, padH = ${g.ph}, kW = ${g.kw}, kH = ${g.kh}`);
  }
  if (g.oh < 1 || g.ow < 1) {
    throw new ShapeError(`Given input size: (${g.c}x${g.h}x${g.w}). Calculated output size: (${g.c}x${g.oh}x${g.ow}). Output size is too small`);
  }
}

function checkFloat(x: Tensor, kernel: string): void {
  if (x.dtype.kind !== "float" || !x.dtype.computable) throw new DTypeError(`"${kernel}" not implemented for '${x.dtype.scalarName}'`);
}

/** [n, c] of a 3-D (one image) or 4-D input: the planes the kernels run over. */
function planes(x: Tensor): [number, number] {
  return x.ndim === 4 ? [x.shape[0]!, x.shape[1]!] : [1, x.shape[0]!];
}

/** Max pooling over the last two dims; with `returnIndices`, also each maximum's position within its plane. */
export function maxPool2d(x: Tensor, kernelSize: IntOrPair, options: MaxPoolOptions = {}, returnIndices = false): Tensor | [Tensor, Tensor] {
  const [kh, kw] = pair(kernelSize, "kernel_size must either be a single int, or a tuple of two ints", "max_pool2d");
  const [sh, sw] = options.stride == null ? [kh, kw] : pair(options.stride, "stride must either be omitted, a single int, or a tuple of two ints", "max_pool2d", true);
  const [ph, pw] = pair(options.padding ?? 0, "padding must be either be a single int, or a tuple of two ints", "max_pool2d");
  const [dh, dw] = pair(options.dilation ?? 1, "dilation must be either a single int, or a tuple of two ints", "max_pool2d");
  if (x.ndim !== 3 && x.ndim !== 4) throw new ShapeError("non-empty 3D or 4D (batch mode) tensor expected for input");
  const ceil = options.ceilMode ?? false;
  const [n, c] = planes(x), h = x.shape[x.ndim - 2]!, w = x.shape[x.ndim - 1]!;
  const oh = outputSize(h, kh, ph, Number.isNaN(sh) ? kh : sh, dh, ceil), ow = outputSize(w, kw, pw, Number.isNaN(sw) ? kw : sw, dw, ceil);
  const g: Window2d = { n, c, h, w, kh, kw, sh: Number.isNaN(sh) ? kh : sh, sw: Number.isNaN(sw) ? kw : sw, ph, pw, dh, dw, oh, ow };
  shapeCheck(x, g);
  checkFloat(x, "max_pool2d");
  const { values, indices } = backend().maxPool2d(contiguousData(x), g);
  const shape = [...x.shape.slice(0, -2), oh, ow];
  const out = record("maxPool2d", [x], wrap(values, shape, x.dtype), { pool: { g, indices }, shape: x.shape });
  return returnIndices ? [out, int64Indices(indices, shape)] : out;
}

/** Max pooling over the last dim, as the 2-D pooling of a height-1 image. */
export function maxPool1d(x: Tensor, kernelSize: IntOrPair, options: MaxPoolOptions = {}, returnIndices = false): Tensor | [Tensor, Tensor] {
  const one = (v: IntOrPair, what: string): number => {
    const list = typeof v === "number" ? [v] : v;
    if (list.length !== 1) throw new ShapeError(`max_pool1d() ${what} must be an int or int list of size 1 but got size ${list.length}`);
    return list[0]!;
  };
  if (x.ndim !== 2 && x.ndim !== 3) throw new ShapeError(`max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for input, but got:${showShape(x.shape)}`);
  const k = one(kernelSize, "kernel_size");
  const s = options.stride == null || (typeof options.stride !== "number" && options.stride.length === 0) ? k : one(options.stride, "stride");
  const res = maxPool2d(unsqueeze(x, -2), [1, k], {
    stride: [1, s], padding: [0, one(options.padding ?? 0, "padding")], dilation: [1, one(options.dilation ?? 1, "dilation")], ceilMode: options.ceilMode ?? false,
  }, true) as [Tensor, Tensor];
  const out = squeeze(res[0], -2);
  return returnIndices ? [out, squeeze(res[1], -2)] : out;
}

/** Average pooling over the last two dims. */
export function avgPool2d(x: Tensor, kernelSize: IntOrPair, options: AvgPoolOptions = {}): Tensor {
  const [kh, kw] = pair(kernelSize, "kernel_size must either be a single int, or a tuple of two ints", "avg_pool2d");
  const [sh, sw] = options.stride == null ? [kh, kw] : pair(options.stride, "stride must either be omitted, a single int, or a tuple of two ints", "avg_pool2d", true);
  const [ph, pw] = pair(options.padding ?? 0, "padding must either be a single int, or a tuple of two ints", "avg_pool2d");
  const divisor = options.divisorOverride ?? null;
  if (divisor === 0) throw new ShapeError("divisor must be not zero");
  normalizeDim(-3, x.ndim);
  const ceil = options.ceilMode ?? false, countIncludePad = options.countIncludePad ?? true;
  const [n, c] = planes(x), h = x.shape[x.ndim - 2]!, w = x.shape[x.ndim - 1]!;
  const sH = Number.isNaN(sh) ? kh : sh, sW = Number.isNaN(sw) ? kw : sw;
  const g: Window2d = { n, c, h, w, kh, kw, sh: sH, sw: sW, ph, pw, dh: 1, dw: 1, oh: outputSize(h, kh, ph, sH, 1, ceil), ow: outputSize(w, kw, pw, sW, 1, ceil) };
  if (x.ndim !== 3 && x.ndim !== 4) throw new ShapeError(`Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but got:${showShape(x.shape)}`);
  shapeCheck(x, g);
  checkFloat(x, "avg_pool2d");
  const data = backend().avgPool2d(contiguousData(x), g, countIncludePad, divisor);
  return record("avgPool2d", [x], wrap(data, [...x.shape.slice(0, -2), g.oh, g.ow], x.dtype), { pool: { g, countIncludePad, divisor }, shape: x.shape });
}

/** Average pooling over the last dim, as the 2-D pooling of a height-1 image. */
export function avgPool1d(x: Tensor, kernelSize: IntOrPair, options: AvgPoolOptions = {}): Tensor {
  if (x.ndim !== 2 && x.ndim !== 3) throw new ShapeError(`avg_pool1d() Expected 2D or 3D input tensor, but got ${showShape(x.shape)}`);
  const one = (v: IntOrPair, what: string): number => {
    const list = typeof v === "number" ? [v] : v;
    if (list.length !== 1) throw new ShapeError(`avg_pool1d() argument '${what}' should contain one int (got ${list.length})`);
    return list[0]!;
  };
  const k = one(kernelSize, "kernel_size");
  const s = options.stride == null || (typeof options.stride !== "number" && options.stride.length === 0) ? k : one(options.stride, "stride");
  const out = avgPool2d(unsqueeze(x, -2), [1, k], {
    stride: [1, s], padding: [0, one(options.padding ?? 0, "padding")], ceilMode: options.ceilMode ?? false,
    countIncludePad: options.countIncludePad ?? true, divisorOverride: options.divisorOverride ?? null,
  });
  return squeeze(out, -2);
}

/** An adaptive output size: one size, two, or null to keep the input's. */
export type AdaptiveSize = number | null | readonly (number | null)[];

function adaptiveSize(x: Tensor, size: AdaptiveSize, dims: number, name: string): number[] {
  const list = size === null || typeof size === "number" ? new Array<number | null>(dims).fill(size) : [...size];
  if (list.length !== dims) {
    throw new ShapeError(dims === 2 && name === "adaptive_avg_pool2d" ? "adaptive_avg_pool2d: output_size must be 2" : `${name}(): internal error: output_size.size() must be ${dims}`);
  }
  return list.map((s, i) => s ?? x.shape[x.ndim - dims + i]!);
}

/** Adaptive average pooling of the last two dims to `outputSize`; (1, 1) is a mean, as in PyTorch. */
export function adaptiveAvgPool2d(x: Tensor, outputSize: AdaptiveSize): Tensor {
  const [oh, ow] = adaptiveSize(x, outputSize, 2, "adaptive_avg_pool2d") as [number, number];
  if (oh < 0 || ow < 0) throw new ShapeError(`adaptive_avg_pool2d: elements of output_size must be greater than or equal to 0 but received {${oh}, ${ow}}`);
  if (oh === 1 && ow === 1) return x.mean({ dim: [-1, -2], keepdim: true });
  for (const i of [-2, -1]) {
    if (x.shape[x.ndim + i] === 0) {
      throw new ShapeError(`adaptive_avg_pool2d(): Expected input to have non-zero size for non-batch dimensions, but input has sizes ${showShape(x.shape)} with dimension ${i + x.ndim} being empty`);
    }
  }
  if (x.ndim !== 3 && x.ndim !== 4) throw new ShapeError(`adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got ${showShape(x.shape)}`);
  checkFloat(x, "adaptive_avg_pool2d_cpu");
  const g = adaptiveWindow(x, oh, ow);
  const data = backend().adaptiveAvgPool2d(contiguousData(x), g);
  return record("adaptiveAvgPool2d", [x], wrap(data, [...x.shape.slice(0, -2), oh, ow], x.dtype), { pool: { g }, shape: x.shape });
}

/** Adaptive average pooling of the last dim. */
export function adaptiveAvgPool1d(x: Tensor, outputSize: number | readonly number[]): Tensor {
  const [o] = adaptiveSize(x, outputSize, 1, "adaptive_avg_pool1d");
  if (x.ndim !== 2 && x.ndim !== 3) throw new ShapeError(`adaptive_avg_pool1d() argument 'input' (position 1) must be 2D or 3D, but got ${showShape(x.shape)}`);
  return squeeze(adaptiveAvgPool2d(unsqueeze(x, -2), [1, o!]), -2);
}

/** Adaptive max pooling of the last two dims, with each maximum's position within its plane. */
export function adaptiveMaxPool2d(x: Tensor, outputSize: AdaptiveSize, returnIndices = false): Tensor | [Tensor, Tensor] {
  if (x.ndim !== 3 && x.ndim !== 4) throw new ShapeError(`adaptive_max_pool2d(): Expected 3D or 4D tensor, but got: ${showShape(x.shape)}`);
  const [oh, ow] = adaptiveSize(x, outputSize, 2, "adaptive_max_pool2d") as [number, number];
  checkFloat(x, "adaptive_max_pool2d");
  const g = adaptiveWindow(x, oh, ow);
  const { values, indices } = backend().adaptiveMaxPool2d(contiguousData(x), g);
  const shape = [...x.shape.slice(0, -2), oh, ow];
  const out = record("adaptiveMaxPool2d", [x], wrap(values, shape, x.dtype), { pool: { g, indices }, shape: x.shape });
  return returnIndices ? [out, int64Indices(indices, shape)] : out;
}

/** Adaptive max pooling of the last dim. */
export function adaptiveMaxPool1d(x: Tensor, outputSize: number | readonly number[], returnIndices = false): Tensor | [Tensor, Tensor] {
  const [o] = adaptiveSize(x, outputSize, 1, "adaptive_max_pool1d");
  const [out, idx] = adaptiveMaxPool2d(unsqueeze(x, -2), [1, o!], true) as [Tensor, Tensor];
  return returnIndices ? [squeeze(out, -2), squeeze(idx, -2)] : squeeze(out, -2);
}

function adaptiveWindow(x: Tensor, oh: number, ow: number): Window2d {
  const [n, c] = planes(x);
  return { n, c, h: x.shape[x.ndim - 2]!, w: x.shape[x.ndim - 1]!, kh: 0, kw: 0, sh: 1, sw: 1, ph: 0, pw: 0, dh: 1, dw: 1, oh, ow };
}

/** The int64 tensor of the positions, made only when asked for (returnIndices). */
function int64Indices(indices: Int32Array, shape: readonly number[]): Tensor {
  return wrap(backend().cast(indices, Layout.contiguous(shape), int32, int64), shape, int64);
}

/** The gradient of a max pooling: each output gradient added where its maximum was. */
export function maxPoolBackward(g: Tensor, p: PoolArgs, inShape: readonly number[]): Tensor {
  const { n, c, h, w } = p.g;
  const data = backend().maxPoolBackward(contiguousData(g), p.indices!, n * c, h * w, g.dtype);
  return wrap(data, inShape, g.dtype);
}

/** The gradient of an average pooling. */
export function avgPoolBackward(g: Tensor, p: PoolArgs, inShape: readonly number[]): Tensor {
  return wrap(backend().avgPool2dBackward(contiguousData(g), p.g, p.countIncludePad!, p.divisor ?? null, g.dtype), inShape, g.dtype);
}

/** The gradient of an adaptive average pooling. */
export function adaptiveAvgPoolBackward(g: Tensor, p: PoolArgs, inShape: readonly number[]): Tensor {
  return wrap(backend().adaptiveAvgPool2dBackward(contiguousData(g), p.g, g.dtype), inShape, g.dtype);
}
