/**
 * Convolution as PyTorch's CPU path computes it: im2col, one matrix product per group (the
 * backend's matmul, so the WebAssembly backend runs it on its SIMD GEMM), and col2im for the
 * transposed direction. Columns hold the whole batch ([c·kh·kw, n·oh·ow]) so each group is one
 * large product. 1-D convolutions are 2-D ones with a height of 1; every form records one
 * ConvolutionBackward0 node.
 */
import { DTypeError, ShapeError } from "../errors.ts";
import type { DType, TypedArray } from "../core/dtype.ts";
import { Layout } from "../core/layout.ts";
import { normalizeDim, showShape, type Shape } from "../core/shape.ts";
import type { Tensor } from "../tensor.ts";
import { backend } from "../backend/active.ts";
import type { Backend, Window2d } from "../backend/backend.ts";
import { record } from "../autograd/record.ts";
import { noGrad } from "../autograd/grad-mode.ts";
import { binary, contiguousData, wrap } from "./elementwise.ts";
import { squeeze, unsqueeze } from "./movement.ts";
import { pad } from "./pad.ts";

/** A size per spatial dim, or one for all of them. */
export type IntOrList = number | readonly number[];

/** Options of conv1d/conv2d (PyTorch's keyword arguments). */
export interface ConvOptions {
  bias?: Tensor | null;
  stride?: IntOrList;
  /** Per-dim zero padding, or "valid" (none) or "same" (output as large as the input; stride 1). */
  padding?: IntOrList | "same" | "valid";
  dilation?: IntOrList;
  groups?: number;
}

/** Options of convTranspose1d/convTranspose2d. */
export interface ConvTransposeOptions {
  bias?: Tensor | null;
  stride?: IntOrList;
  padding?: IntOrList;
  outputPadding?: IntOrList;
  groups?: number;
  dilation?: IntOrList;
}

/** What ConvolutionBackward0 needs: the window (over the input, or for a transposed one over its output), groups, shapes. */
export interface ConvArgs {
  g: Window2d;
  groups: number;
  transposed: boolean;
  /** channels of the side the window does not cover: the output's, or a transposed one's input's */
  o: number;
  xShape: Shape;
  wShape: Shape;
  hasBias: boolean;
}

/** Expands a per-dim argument as PyTorch's expand_param_if_needed, with its message. */
export function expandParam(v: IntOrList, name: string, dims: number): number[] {
  if (typeof v === "number") return new Array<number>(dims).fill(v);
  if (v.length === 1) return new Array<number>(dims).fill(v[0]!);
  if (v.length !== dims) {
    throw new ShapeError(`expected ${name} to be a single integer value or a list of ${dims} values to match the convolution dimensions, but got ${name}=[${v.join(", ")}]`);
  }
  return [...v];
}

const typeName = (t: Tensor): string => t.typeName();

function checkTypes(x: Tensor, weight: Tensor, bias: Tensor | null): DType {
  if (x.dtype !== weight.dtype) {
    throw new DTypeError(`Input type (${typeName(x)}) and weight type (${typeName(weight)}) should be the same or input should be a MKLDNN tensor and weight is a dense tensor`);
  }
  if (bias !== null && bias.dtype !== x.dtype) {
    throw new DTypeError(`Input type (${typeName(x)}) and bias type (${typeName(bias)}) should be the same`);
  }
  if (x.dtype.kind !== "float" || !x.dtype.computable) {
    throw new DTypeError(`"slow_conv2d_cpu" not implemented for '${x.dtype.scalarName}'`);
  }
  return x.dtype;
}

/**
 * Scratch arrays for the columns and products a convolution discards once used, kept between
 * calls: a fresh 20 MB array costs more in page faults than the im2col that fills it. They are
 * long-lived, so the backend may keep them where its kernels run (`adopt`: the wasm backend's
 * memory, where im2col, the GEMM and col2im then read and write them in place). Results handed
 * to tensors are always fresh.
 */
const scratch: Record<string, { buf: TypedArray; be: Backend }[]> = { float32: [], float64: [] };
function temp(slot: 0 | 1, size: number, dtype: DType): TypedArray {
  const pool = scratch[dtype.name]!, be = backend();
  let entry = pool[slot];
  if (entry === undefined || entry.buf.length < size || entry.be !== be) pool[slot] = entry = { buf: be.adopt(dtype.alloc(size)), be };
  return entry.buf.subarray(0, size);
}

/** [n, o, l] data → [o, n·l] (a view when n = 1), into scratch. */
function channelsFirst(y: TypedArray, n: number, o: number, l: number, dtype: DType, slot: 0 | 1): TypedArray {
  return n === 1 ? y : backend().swapLeading(y, n, o, l, null, dtype, temp(slot, n * o * l, dtype));
}

/** The convolution of x [n, c, h, w] (any strides) with w [o, c/groups, kh, kw] (contiguous data): [n, o, oh, ow]. */
export function convData(x: TypedArray, lx: Layout, w: TypedArray, o: number, g: Window2d, groups: number, bias: TypedArray | null, dtype: DType): TypedArray {
  const be = backend(), k = (g.c / groups) * g.kh * g.kw, nl = g.n * g.oh * g.ow;
  const cols = be.im2col(x, lx, g, temp(0, groups * k * nl, dtype));
  const y = temp(1, o * nl, dtype);
  be.groupGemm(w, cols, groups, o / groups, k, nl, false, false, y);
  return be.swapLeading(y, o, g.n, g.oh * g.ow, bias, dtype);
}

/** The gradient of convData with respect to x, from gy [n, o, oh, ow]: also a transposed convolution's forward. */
export function convInputData(gy: TypedArray, w: TypedArray, o: number, g: Window2d, groups: number, dtype: DType): TypedArray {
  const be = backend(), k = (g.c / groups) * g.kh * g.kw, nl = g.n * g.oh * g.ow;
  const gt = channelsFirst(gy, g.n, o, g.oh * g.ow, dtype, 0);
  const cols = temp(1, groups * k * nl, dtype);
  be.groupGemm(w, gt, groups, k, o / groups, nl, true, false, cols);
  return be.col2im(cols, g, dtype);
}

/** The gradient of convData with respect to w: [o, c/groups·kh·kw]. */
export function convWeightData(x: TypedArray, lx: Layout, gy: TypedArray, o: number, g: Window2d, groups: number, dtype: DType): TypedArray {
  const be = backend(), k = (g.c / groups) * g.kh * g.kw, nl = g.n * g.oh * g.ow;
  const cols = be.im2col(x, lx, g, temp(0, groups * k * nl, dtype));
  const gt = channelsFirst(gy, g.n, o, g.oh * g.ow, dtype, 1);
  const gw = dtype.alloc(o * k);
  be.groupGemm(gt, cols, groups, o / groups, nl, k, false, true, gw);
  return gw;
}

/**
 * The weight gradient's product as two tensors, for a convolution of one group that is not
 * transposed: gy channels first [o, n·oh·ow] and the input's columns transposed [n·oh·ow, k], both
 * over scratch (valid until the next convolution), so that the caller can add gy' @ cols' into a
 * kept gradient in the GEMM's store (autograd's accumulateProduct). Null for other convolutions.
 */
export function convWeightOperands(x: Tensor, gy: Tensor, a: ConvArgs): readonly [Tensor, Tensor] | null {
  const { g, groups, o, transposed } = a, dtype = gy.dtype;
  if (transposed || groups !== 1 || x.dtype !== dtype) return null;
  const k = g.c * g.kh * g.kw, nl = g.n * g.oh * g.ow;
  const cols = backend().im2col(x.storage.data, layout4d(x), g, temp(0, k * nl, dtype));
  const gt = channelsFirst(contiguousData(gy), g.n, o, g.oh * g.ow, dtype, 1);
  return [wrap(gt, [o, nl], dtype), wrap(cols, [k, nl], dtype).mT];
}

/** A tensor's layout as [n, c, h, w]: 1-D tensors get a height of 1. */
export const layout4d = (t: Tensor): Layout => (t.ndim === 3 ? t.layout.unsqueeze(2) : t.layout);

function checkArgs(stride: number[], padding: number[], dilation: number[], outputPadding: number[] | null): void {
  if (padding.some((p) => p < 0)) throw new ShapeError("negative padding is not supported");
  if (outputPadding?.some((p) => p < 0)) throw new ShapeError("negative output_padding is not supported");
  if (stride.some((s) => s <= 0)) throw new ShapeError("non-positive stride is not supported");
  if (dilation.some((d) => d <= 0)) throw new ShapeError("non-positive dilation is not supported");
}

function checkGroups(weight: Tensor, groups: number): void {
  const ws = showShape(weight.shape);
  if (!(Number.isInteger(groups) && groups > 0)) throw new ShapeError("non-positive groups is not supported");
  if (weight.shape[0]! < groups) throw new ShapeError(`Given groups=${groups}, expected weight to be at least ${groups} at dimension 0, but got weight of size ${ws} instead`);
  if (weight.shape[0]! % groups !== 0) throw new ShapeError(`Given groups=${groups}, expected weight to be divisible by ${groups} at dimension 0, but got weight of size [${ws}] instead`);
}

/** PyTorch's batchify: an unbatched input gets a batch of 1 (and loses it again after the op). */
function batchify(x: Tensor, dims: number, name: string): [Tensor, boolean] {
  if (x.ndim === dims + 2) return [x, true];
  if (x.ndim === dims + 1) return [unsqueeze(x, 0), false];
  throw new ShapeError(`Expected ${dims + 1}D (unbatched) or ${dims + 2}D (batched) input to ${name}, but got input of size: ${showShape(x.shape)}`);
}

/** torch.conv1d / torch.conv2d: a forward convolution over the last `dims` dims. */
export function convolution(x: Tensor, weight: Tensor, options: ConvOptions, dims: 1 | 2, name: string): Tensor {
  const bias = options.bias ?? null;
  const [input, batched] = batchify(x, dims, name);
  const stride = expandParam(options.stride ?? 1, "stride", dims);
  // PyTorch expands the arguments for the weight's dims, from the lists its binding made
  if (weight.ndim >= 2 && weight.ndim !== dims + 2) expandParam(stride, "stride", weight.ndim - 2);
  const dilation = expandParam(options.dilation ?? 1, "dilation", dims);
  const groups = options.groups ?? 1;
  let padding: number[];
  let padded = input;
  const mode = options.padding ?? 0;
  if (mode === "valid") padding = new Array<number>(dims).fill(0);
  else if (mode === "same") {
    if (stride.some((s) => s !== 1)) throw new ShapeError("padding='same' is not supported for strided convolutions");
    ({ padded, padding } = samePadding(input, weight, dilation, dims));
  } else if (typeof mode === "string") throw new ShapeError(`Invalid padding string: '${String(mode)}'`);
  else padding = expandParam(mode, "padding", dims);
  const out = convForward(padded, weight, bias, stride, padding, dilation, groups, dims);
  return batched ? out : squeeze(out, 0);
}

/** PyTorch's padding="same": d·(k-1) split in two, the odd one out as an explicit zero pad on the right. */
function samePadding(x: Tensor, weight: Tensor, dilation: number[], dims: number): { padded: Tensor; padding: number[] } {
  const left: number[] = [], extra = new Array<number>(2 * dims).fill(0);
  let symmetric = true;
  for (let i = 0; i < dims; i++) {
    const total = dilation[i]! * ((weight.shape[i + 2] ?? 1) - 1);
    left.push(Math.floor(total / 2));
    if (total % 2 !== 0) { symmetric = false; extra[2 * (dims - 1 - i) + 1] = 1; }
  }
  return { padded: symmetric || weight.ndim !== dims + 2 ? x : pad(x, extra), padding: left };
}

/** The forward convolution of a batched input: checks in PyTorch's order, one kernel pass, one node. */
function convForward(x: Tensor, weight: Tensor, bias: Tensor | null, stride: number[], padding: number[], dilation: number[], groups: number, dims: number): Tensor {
  checkArgs(stride, padding, dilation, null);
  const ws = showShape(weight.shape);
  if (weight.ndim !== x.ndim) {
    throw new ShapeError(`Expected ${weight.ndim}-dimensional input for ${weight.ndim}-dimensional weight ${ws}, but got ${x.ndim}-dimensional input of size ${showShape(x.shape)} instead`);
  }
  checkGroups(weight, groups);
  const cg = weight.shape[1]!;
  if (x.shape[1] !== cg * groups) {
    throw new ShapeError(`Given groups=${groups}, weight of size ${ws}, expected input${showShape(x.shape)} to have ${cg * groups} channels, but got ${x.shape[1]} channels instead`);
  }
  const o = weight.shape[0]!;
  if (bias !== null && (bias.ndim !== 1 || bias.shape[0] !== o)) {
    throw new ShapeError(`Given weight of size ${ws}, expected bias to be 1-dimensional with ${o} elements, but got bias of size ${showShape(bias.shape)} instead`);
  }
  const spatial = x.shape.slice(2), kernel = weight.shape.slice(2);
  const paddedSize = spatial.map((s, i) => s + 2 * padding[i]!), span = kernel.map((k, i) => dilation[i]! * (k - 1) + 1);
  if (paddedSize.some((s, i) => s < span[i]!)) {
    throw new ShapeError(`Calculated padded input size per channel: (${paddedSize.join(" x ")}). Kernel size: (${span.join(" x ")}). Kernel size can't be greater than actual input size`);
  }
  const dtype = checkTypes(x, weight, bias);
  const g = window(x.shape, kernel, stride, padding, dilation, dims);
  const data = convData(x.storage.data, layout4d(x), contiguousData(weight), o, g, groups, bias === null ? null : contiguousData(bias), dtype);
  const outShape = [g.n, o, ...(dims === 1 ? [g.ow] : [g.oh, g.ow])];
  const args: ConvArgs = { g, groups, transposed: false, o, xShape: x.shape, wShape: weight.shape, hasBias: bias !== null };
  return record("convolution", bias === null ? [x, weight] : [x, weight, bias], wrap(data, outShape, dtype), { conv: args });
}

/** The window of a convolution over [n, c, ...spatial] with the output size it gives. */
function window(shape: Shape, kernel: Shape, stride: number[], padding: number[], dilation: number[], dims: number): Window2d {
  const at = (v: readonly number[], i: number, fallback: number) => (dims === 1 ? (i === 0 ? fallback : v[0]!) : v[i]!);
  const h = at(shape.slice(2), 0, 1), w = at(shape.slice(2), 1, 1);
  const kh = at(kernel, 0, 1), kw = at(kernel, 1, 1);
  const sh = at(stride, 0, 1), sw = at(stride, 1, 1), ph = at(padding, 0, 0), pw = at(padding, 1, 0);
  const dh = at(dilation, 0, 1), dw = at(dilation, 1, 1);
  const size = (n: number, k: number, s: number, p: number, d: number) => Math.floor((n + 2 * p - d * (k - 1) - 1) / s) + 1;
  return { n: shape[0]!, c: shape[1]!, h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh: size(h, kh, sh, ph, dh), ow: size(w, kw, sw, pw, dw) };
}

/** torch.conv_transpose1d / conv_transpose2d: the gradient of a convolution, as a layer. */
export function convTranspose(x: Tensor, weight: Tensor, options: ConvTransposeOptions, dims: 1 | 2, name: string): Tensor {
  const bias = options.bias ?? null;
  const [input, batched] = batchify(x, dims, name);
  const stride = expandParam(options.stride ?? 1, "stride", dims);
  const padding = expandParam(options.padding ?? 0, "padding", dims);
  const outputPadding = expandParam(options.outputPadding ?? 0, "output_padding", dims);
  const dilation = expandParam(options.dilation ?? 1, "dilation", dims);
  const groups = options.groups ?? 1;
  checkArgs(stride, padding, dilation, outputPadding);
  const ws = showShape(weight.shape);
  if (weight.ndim !== input.ndim) {
    throw new ShapeError(`Expected ${weight.ndim}-dimensional input for ${weight.ndim}-dimensional weight ${ws}, but got ${input.ndim}-dimensional input of size ${showShape(input.shape)} instead`);
  }
  checkGroups(weight, groups);
  const cin = weight.shape[0]!, cout = weight.shape[1]! * groups;
  if (input.shape[1] !== cin) {
    throw new ShapeError(`Given transposed=1, weight of size ${ws}, expected input${showShape(input.shape)} to have ${cin} channels, but got ${input.shape[1]} channels instead`);
  }
  if (bias !== null && (bias.ndim !== 1 || bias.shape[0] !== cout)) {
    throw new ShapeError(`Given transposed=1, weight of size ${ws}, expected bias to be 1-dimensional with ${cout} elements, but got bias of size ${showShape(bias.shape)} instead`);
  }
  if (outputPadding.some((p, i) => p >= stride[i]! && p >= dilation[i]!)) {
    const names = dims === 1 ? ["width"] : ["height", "width"];
    const part = (label: string, v: number[]) => names.map((n, i) => `${label}_${n}: ${v[i]}`).join(" ");
    throw new ShapeError(`output padding must be smaller than either stride or dilation, but got ${part("output_padding", outputPadding)} ${part("stride", stride)} ${part("dilation", dilation)}`);
  }
  const dtype = checkTypes(input, weight, bias);
  const kernel = weight.shape.slice(2), spatial = input.shape.slice(2);
  const outSpatial = spatial.map((s, i) => (s - 1) * stride[i]! - 2 * padding[i]! + dilation[i]! * (kernel[i]! - 1) + outputPadding[i]! + 1);
  if (outSpatial.some((s) => s <= 0)) {
    throw new ShapeError(`Given input size per channel: (${spatial.join(" x ")}). Calculated output size per channel: (${outSpatial.join(" x ")}). Output size is too small`);
  }
  // the window of the convolution whose gradient this is: from the output back to the input
  const g = window([input.shape[0]!, cout, ...outSpatial], kernel, stride, padding, dilation, dims);
  g.oh = dims === 1 ? 1 : spatial[0]!;
  g.ow = spatial[dims - 1]!;
  const gy = contiguousData(input);
  const data = convInputData(gy, contiguousData(weight), cin, g, groups, dtype);
  let y = wrap(data, [g.n, cout, ...outSpatial], dtype);
  if (bias !== null) y = noGrad(() => binary("add", y, bias.reshape([cout, ...outSpatial.map(() => 1)])));
  const args: ConvArgs = { g, groups, transposed: true, o: cin, xShape: input.shape, wShape: weight.shape, hasBias: bias !== null };
  const out = record("convolution", bias === null ? [input, weight] : [input, weight, bias], y, { conv: args });
  return batched ? out : squeeze(out, 0);
}

/** The gradients of a ConvolutionBackward0 node for the inputs that need one. */
export function convolutionBackward(gy: Tensor, x: Tensor | undefined, weight: Tensor | undefined, a: ConvArgs, need: readonly boolean[]): (Tensor | null)[] {
  const { g, groups, o, transposed } = a, dtype = gy.dtype;
  const gyData = contiguousData(gy);
  let gx: Tensor | null = null, gw: Tensor | null = null, gb: Tensor | null = null;
  if (need[0]) {
    const w = contiguousData(weight!);
    const data = transposed
      ? convData(gyData, Layout.contiguous([g.n, g.c, g.h, g.w]), w, o, g, groups, null, dtype)
      : convInputData(gyData, w, o, g, groups, dtype);
    gx = wrap(data, a.xShape, dtype);
  }
  if (need[1]) {
    const data = transposed
      ? convWeightData(gyData, Layout.contiguous([g.n, g.c, g.h, g.w]), contiguousData(x!), o, g, groups, dtype)
      : convWeightData(x!.storage.data, layout4d(x!), gyData, o, g, groups, dtype);
    gw = wrap(data, a.wShape, dtype);
  }
  if (need[2]) gb = gy.sum(gy.ndim === 3 ? [0, 2] : [0, 2, 3]);
  return [gx, gw, gb];
}

/** Options of F.unfold and F.fold. */
export interface UnfoldOptions { dilation?: IntOrList; padding?: IntOrList; stride?: IntOrList }

/** What Im2ColBackward0 and Col2ImBackward0 need: the window over the image side. */
export interface UnfoldArgs { g: Window2d }

function unfoldWindow(kernelSize: IntOrList, o: UnfoldOptions, what: "im2col" | "col2im"): Window2d {
  const [kh, kw] = expandParam(kernelSize, "kernel_size", 2) as [number, number];
  const [dh, dw] = expandParam(o.dilation ?? 1, "dilation", 2) as [number, number];
  const [ph, pw] = expandParam(o.padding ?? 0, "padding", 2) as [number, number];
  const [sh, sw] = expandParam(o.stride ?? 1, "stride", 2) as [number, number];
  if (kh <= 0 || kw <= 0) throw new ShapeError(`kernel size should be greater than zero, but got kernel_height: ${kh} kernel_width: ${kw}`);
  if (what === "col2im" && (sh <= 0 || sw <= 0)) throw new ShapeError(`stride should be greater than zero, but got stride_height: ${sh} stride_width: ${sw}`);
  if (dh <= 0 || dw <= 0) throw new ShapeError(`dilation should be greater than zero, but got dilation_height: ${dh} dilation_width: ${dw}`);
  if (ph < 0 || pw < 0) throw new ShapeError(`padding should be non-negative, but got pad_height: ${ph} pad_width: ${pw}`);
  if (sh <= 0 || sw <= 0) throw new ShapeError(`stride should be greater than zero, but got stride_height: ${sh} stride_width: ${sw}`);
  return { n: 0, c: 0, h: 0, w: 0, kh, kw, sh, sw, ph, pw, dh, dw, oh: 0, ow: 0 };
}

const blocks = (size: number, k: number, s: number, p: number, d: number): number => Math.floor((size + 2 * p - (d * (k - 1) + 1)) / s) + 1;

/** F.unfold (im2col): the sliding blocks of x [n, c, h, w] as columns, [n, c·kh·kw, blocks]. */
export function unfold(x: Tensor, kernelSize: IntOrList, options: UnfoldOptions = {}): Tensor {
  const g = unfoldWindow(kernelSize, options, "im2col");
  if (x.ndim < 3) normalizeDim(2, x.ndim);
  const valid = x.ndim >= 3 && x.shape[x.ndim - 2] !== 0 && x.shape[x.ndim - 1] !== 0;
  if (!((x.ndim === 3 && x.shape[0] !== 0 && valid) || (x.ndim === 4 && valid && x.shape[1] !== 0))) {
    throw new ShapeError(`Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other non-zero dimensions for input, but got: ${showShape(x.shape)}`);
  }
  const batched = x.ndim === 4;
  g.n = batched ? x.shape[0]! : 1;
  g.c = x.shape[x.ndim - 3]!; g.h = x.shape[x.ndim - 2]!; g.w = x.shape[x.ndim - 1]!;
  g.oh = blocks(g.h, g.kh, g.sh, g.ph, g.dh); g.ow = blocks(g.w, g.kw, g.sw, g.pw, g.dw);
  if (g.oh < 1 || g.ow < 1) {
    throw new ShapeError(`Given input with spatial size (${g.h}, ${g.h}), kernel_size=(${g.kh}, ${g.kw}), dilation=(${g.dh}, ${g.dw}), padding=(${g.ph}, ${g.pw}), calculated shape of the array of sliding blocks as (${g.oh}, ${g.ow}), but its components must be at least one.`);
  }
  checkFloatInput(x, "im2col");
  const rows = g.c * g.kh * g.kw, l = g.oh * g.ow;
  const lx = batched ? x.layout : x.layout.unsqueeze(0);
  const cols = backend().im2col(x.storage.data, lx, g);
  const data = g.n === 1 ? cols : backend().swapLeading(cols, rows, g.n, l, null, x.dtype);
  return record("im2col", [x], wrap(data, batched ? [g.n, rows, l] : [rows, l], x.dtype), { pool: { g }, shape: x.shape });
}

/** F.fold (col2im): sums columns [n, c·kh·kw, blocks] back into images [n, c, outputSize]. */
export function fold(x: Tensor, outputSize: IntOrList, kernelSize: IntOrList, options: UnfoldOptions = {}): Tensor {
  const [h, w] = expandParam(outputSize, "output_size", 2) as [number, number];
  if (h <= 0 || w <= 0) throw new ShapeError(`output size should be greater than zero, but got output_height: ${h} output_width: ${w}`);
  const g = unfoldWindow(kernelSize, options, "col2im");
  const valid = x.ndim >= 2 && x.shape[x.ndim - 2] !== 0 && x.shape[x.ndim - 1] !== 0;
  if (!((x.ndim === 2 && valid) || (x.ndim === 3 && valid && x.shape[0] !== 0))) {
    throw new ShapeError(`Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and non-zero dimensions, but got: ${showShape(x.shape)}`);
  }
  const batched = x.ndim === 3, planes = x.shape[x.ndim - 2]!, length = x.shape[x.ndim - 1]!;
  if (planes % (g.kh * g.kw) !== 0) {
    throw new ShapeError(`Expected size of input's dimension 1 to be divisible by the product of kernel_size, but got input.size(1)=${planes} and kernel_size=(${g.kh}, ${g.kw}).`);
  }
  g.n = batched ? x.shape[0]! : 1; g.c = planes / (g.kh * g.kw); g.h = h; g.w = w;
  g.oh = blocks(h, g.kh, g.sh, g.ph, g.dh); g.ow = blocks(w, g.kw, g.sw, g.pw, g.dw);
  const given = `Given output_size=(${h}, ${w}), kernel_size=(${g.kh}, ${g.kw}), dilation=(${g.dh}, ${g.dw}), padding=(${g.ph}, ${g.pw}), stride=(${g.sh}, ${g.sw}), `;
  if (length !== g.oh * g.ow) {
    throw new ShapeError(`${given}expected size of input's dimension 2 to match the calculated number of sliding blocks ${g.oh} * ${g.ow} = ${g.oh * g.ow}, but got input.size(2)=${length}.`);
  }
  if (g.oh < 1 || g.ow < 1) throw new ShapeError(`${given}calculated shape of the array of sliding blocks as (${g.oh}, ${g.ow}), which is too small (non-positive)`);
  checkFloatInput(x, "col2im");
  const cols = channelsFirst(contiguousData(x), g.n, planes, length, x.dtype, 0);
  const data = backend().col2im(cols, g, x.dtype);
  return record("col2im", [x], wrap(data, batched ? [g.n, g.c, h, w] : [g.c, h, w], x.dtype), { pool: { g }, shape: x.shape });
}

function checkFloatInput(x: Tensor, kernel: string): void {
  if (x.dtype.kind !== "float" || !x.dtype.computable) throw new DTypeError(`"${kernel}_out_cpu" not implemented for '${x.dtype.scalarName}'`);
}

/** The gradient of unfold: col2im of the column gradients. */
export function im2colBackward(gy: Tensor, a: UnfoldArgs, inShape: Shape): Tensor {
  const { g } = a, rows = g.c * g.kh * g.kw;
  const cols = channelsFirst(contiguousData(gy), g.n, rows, g.oh * g.ow, gy.dtype, 0);
  return wrap(backend().col2im(cols, g, gy.dtype), inShape, gy.dtype);
}

/** The gradient of fold: im2col of the image gradients. */
export function col2imBackward(gy: Tensor, a: UnfoldArgs, inShape: Shape): Tensor {
  const { g } = a, rows = g.c * g.kh * g.kw;
  const lg = gy.ndim === 4 ? gy.layout : gy.layout.unsqueeze(0);
  const cols = backend().im2col(gy.storage.data, lg, g);
  return wrap(g.n === 1 ? cols : backend().swapLeading(cols, rows, g.n, g.oh * g.ow, null, gy.dtype), inShape, gy.dtype);
}
