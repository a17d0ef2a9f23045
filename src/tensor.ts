/**
 * Tensor: a dtype, a Layout and a shared Storage, plus autograd state. Methods are thin: each
 * delegates to an op family in src/ops, which checks inputs, runs a backend kernel and
 * records the graph.
 */
import { DTypeError } from "./errors.ts";
import { dtypes, type DType, type DTypeName, type TypedArray } from "./core/dtype.ts";
import { Layout } from "./core/layout.ts";
import { numelOf, type Shape } from "./core/shape.ts";
import type { GradHook, Node } from "./autograd/node.ts";
import { runBackward, type BackwardOptions } from "./autograd/engine.ts";
import { formatTensor } from "./core/format.ts";
import * as ew from "./ops/elementwise.ts";
import { pinResident } from "./ops/resident.ts";
import * as mv from "./ops/movement.ts";
import * as rd from "./ops/reduce.ts";
import * as ip from "./ops/inplace.ts";
import { matmul } from "./ops/linalg.ts";
import * as sh from "./ops/shape.ts";
import * as so from "./ops/sort.ts";
import * as mt from "./ops/math.ts";
import * as ix from "./ops/indexing.ts";
import type { Index, ScatterReduce } from "./ops/indexing.ts";
import type { Generator } from "./core/generator.ts";
import * as rnd from "./ops/random.ts";

/**
 * Typed array storage shared by a tensor and all its views. `data` may be replaced (a backend taking
 * a long-lived tensor into its memory, or evicting it back): read it when needed and never keep the
 * array; `Tensor.contiguousData()` hands out one that stays valid.
 */
export interface Storage {
  data: TypedArray;
  readonly dtype: DType;
}

/** A JavaScript value usable wherever a tensor is: numbers, booleans and bigints. */
export type Scalar = number | boolean | bigint;
/** A tensor or a scalar operand. */
export type TensorLike = Tensor | Scalar;
/** Nested arrays as `tolist()` returns them. */
export type NestedList = number | boolean | bigint | NestedList[];
/** `tolist()` as JSON holds it: int64 values beyond 2^53 as decimal strings. */
export type JSONList = number | boolean | string | JSONList[];
/** What `JSON.stringify(tensor)` writes. */
export interface TensorJSON { dtype: DTypeName; shape: number[]; data: JSONList }
/** `{ dim, keepdim }` for reductions; `dim` may be one dim or several. */
export interface ReduceOptions { dim?: number | readonly number[]; keepdim?: boolean }
/** The values and indices of `max`/`min` along a dim. */
export interface ValuesIndices { values: Tensor; indices: Tensor }

const inspectSymbol = Symbol.for("nodejs.util.inspect.custom");

/** A multi-dimensional array with autograd, as torch.Tensor. */
export class Tensor {
  /** Storage shared with views; replaced only by the `.data` setter. */
  _storage: Storage;
  _layout: Layout;
  /** Bumped by every in-place write; shared with views, as PyTorch's version counter. */
  _version: { value: number };
  /** For a view (made by a movement op), the tensor that owns its memory; null otherwise. */
  _base: Tensor | null;
  /** The version counter's value when this view's history was last set (see `gradFn`). */
  _viewVersion = 0;
  /** Gradient hooks of a leaf (non-leaves keep theirs on their gradFn). */
  _hooks: GradHook[] | null = null;
  /** Whether autograd tracks this tensor. */
  requiresGrad = false;
  /** Accumulated gradient of a leaf; null until backward reaches it. */
  grad: Tensor | null = null;
  _gradFn: Node | null = null;

  // options may be undefined (no default {}): most tensors are results, made without one
  constructor(storage: Storage, layout: Layout, options?: { version?: { value: number }; base?: Tensor | null }) {
    this._storage = storage;
    this._layout = layout;
    this._version = options?.version ?? { value: 0 };
    this._base = options?.base ?? null;
    if (this._base !== null) this._viewVersion = this._version.value;
  }

  /**
   * The op that produced this tensor (null for leaves). A view whose memory was written in place
   * through another view of its base since its history was set gets a fresh history from the
   * base (PyTorch's AsStridedBackward0), so its gradient follows what the memory now holds.
   */
  get gradFn(): Node | null {
    if (this._base !== null && this._viewVersion !== this._version.value) ip.regenerateViewHistory(this);
    return this._gradFn;
  }
  set gradFn(node: Node | null) {
    this._gradFn = node;
    if (this._base !== null) this._viewVersion = this._version.value;
  }

  /** A tensor over a fresh contiguous array. */
  static fromArray(data: TypedArray, shape: Shape, dtype: DType): Tensor {
    if (data.length !== numelOf(shape)) {
      throw new DTypeError(`fromArray: ${data.length} values cannot fill shape [${shape.join(", ")}]`);
    }
    return new Tensor({ data, dtype }, Layout.contiguous(shape));
  }

  /** A tensor over existing storage with explicit strides and offset (views, files). */
  static fromStorage(storage: Storage, shape: Shape, strides: readonly number[], offset = 0): Tensor {
    return new Tensor(storage, new Layout(shape, strides, offset));
  }

  get layout(): Layout { return this._layout; }
  get storage(): Storage { return this._storage; }
  get dtype(): DType { return this._storage.dtype; }
  get shape(): readonly number[] { return this.layout.shape; }
  get ndim(): number { return this.layout.shape.length; }
  get isLeaf(): boolean { return this.gradFn === null; }
  /** Number of elements. */
  numel(): number { return this.layout.numel; }
  /** Size of one dim, or the whole shape (as PyTorch's `size()`). */
  size(dim?: number): number | readonly number[] {
    return dim === undefined ? this.shape : this.shape[dim < 0 ? dim + this.ndim : dim]!;
  }
  /** Strides in elements. */
  stride(): readonly number[] { return this.layout.strides; }
  /** Offset of the first element in the storage, in elements. */
  storageOffset(): number { return this.layout.offset; }
  /** True when the elements are in row-major order without gaps. */
  isContiguous(): boolean { return this.layout.isContiguous; }
  /** PyTorch's legacy type name, as in error messages: `torch.FloatTensor`. */
  typeName(): string { return legacyTypeNames[this.dtype.name]; }

  /** A tensor sharing storage but outside the graph; in-place changes to it are not tracked. */
  get data(): Tensor { return new Tensor(this._storage, this.layout); }
  set data(t: Tensor) {
    this._storage = t._storage;
    this._layout = t.layout;
  }

  // ---- autograd ----
  /** Computes gradients of this tensor with respect to the graph's leaves. */
  backward(gradient: Tensor | null = null, options: BackwardOptions = {}): void {
    runBackward(this, gradient, options);
  }
  /** Sets requiresGrad in place (leaves only); returns this. */
  requiresGrad_(flag = true): this {
    ip.setRequiresGrad(this, flag);
    return this;
  }
  /** A view sharing storage and version counter, cut from the graph. */
  detach(): Tensor { return new Tensor(this._storage, this.layout, { version: this._version }); }
  /** Registers a gradient hook; returns a handle whose remove() detaches it. */
  registerHook(hook: GradHook): { remove(): void } {
    const list = this.gradFn ? this.gradFn.hooks : (this._hooks ??= []);
    list.push(hook);
    return { remove: () => { const i = list.indexOf(hook); if (i >= 0) list.splice(i, 1); } };
  }
  /** Keeps `.grad` for this non-leaf tensor after backward. */
  retainGrad(): void { if (this.gradFn) this.gradFn.retained = this; }

  // ---- conversion ----
  /** The single value of a one-element tensor. */
  item(): number | boolean | bigint { return ew.item(this); }
  /**
   * The single value as a JavaScript number, typed `number` (`total += loss.itemNumber()`), as
   * Python's `float(t.item())`: a bool is 0 or 1, an int64 beyond 2^53 rounds.
   */
  itemNumber(): number { return Number(ew.item(this)); }
  /** Nested arrays of the values (int64 as bigint beyond 2^53, bool as booleans). */
  tolist(): NestedList { return ew.tolist(this); }
  /**
   * What `JSON.stringify` writes: `{ dtype, shape, data }`, `data` as `tolist()` with int64
   * values beyond 2^53 as decimal strings (JSON has no bigint); no storage, layout or graph.
   */
  toJSON(): TensorJSON {
    const plain = (v: NestedList): JSONList => (Array.isArray(v) ? v.map(plain) : typeof v === "bigint" ? v.toString() : v);
    return { dtype: this.dtype.name, shape: [...this.shape], data: plain(this.tolist()) };
  }
  /** A copy in another dtype (this tensor itself when the dtype already matches). */
  to(dtype: DType): Tensor { return ew.cast(this, dtype); }
  /** A contiguous copy, tracked by autograd. */
  clone(): Tensor { return ew.cloneOp(this); }
  /** This tensor if contiguous, else a contiguous copy. */
  contiguous(): Tensor { return this.isContiguous() ? this : this.clone(); }
  float(): Tensor { return this.to(dtypes.float32); }
  double(): Tensor { return this.to(dtypes.float64); }
  long(): Tensor { return this.to(dtypes.int64); }
  int(): Tensor { return this.to(dtypes.int32); }
  bool(): Tensor { return this.to(dtypes.bool); }

  // ---- movement (views) ----
  /**
   * PyTorch's `x[...]`: integers select (negative ones count from the end), `":"`/`"1:3"`/`torch.slice`
   * slice, `"..."` skips dims, `null` adds one, int64 index tensors and bool masks index
   * (`x.at(idx)`, `x.at(":", idx)`, `x.at("...", 0)`, `x.at(null)`, `x.at(mask)`); see ops/indexing.ts.
   */
  at(...indices: Index[]): Tensor { return ix.at(this, indices); }
  /** PyTorch's `t[start:end:step]` along `dim`. */
  slice(dim: number, start?: number, end?: number, step?: number): Tensor { return mv.slice(this, dim, start, end, step); }
  narrow(dim: number, start: number, length: number): Tensor { return mv.narrow(this, dim, start, length); }
  select(dim: number, index: number): Tensor { return mv.select(this, dim, index); }
  transpose(dim0: number, dim1: number): Tensor { return mv.transpose(this, dim0, dim1); }
  permute(...dims: number[] | [readonly number[]]): Tensor { return mv.permute(this, flat(dims)); }
  /** Transpose of a 2-D tensor (reversed dims otherwise, as PyTorch's deprecated `.T`). */
  get T(): Tensor { return mv.permute(this, this.shape.map((_, i) => this.ndim - 1 - i)); }
  /** Transpose of the last two dims. */
  get mT(): Tensor { return mv.transpose(this, -2, -1); }
  t(): Tensor { return mv.t(this); }
  view(...shape: number[] | [readonly number[]]): Tensor { return mv.view(this, flat(shape)); }
  reshape(...shape: number[] | [readonly number[]]): Tensor { return mv.reshape(this, flat(shape)); }
  unsqueeze(dim: number): Tensor { return mv.unsqueeze(this, dim); }
  squeeze(dim?: number): Tensor { return mv.squeeze(this, dim); }
  expand(...shape: number[] | [readonly number[]]): Tensor { return mv.expand(this, flat(shape)); }
  expandAs(other: Tensor): Tensor { return mv.expand(this, other.shape); }
  flatten(startDim = 0, endDim = -1): Tensor { return mv.flatten(this, startDim, endDim); }
  split(size: number | readonly number[], dim = 0): Tensor[] { return mv.split(this, size, dim); }
  chunk(chunks: number, dim = 0): Tensor[] { return mv.chunk(this, chunks, dim); }
  unbind(dim = 0): Tensor[] { return mv.unbind(this, dim); }

  // ---- elementwise ----
  add(other: TensorLike, options?: { alpha?: number }): Tensor { return ew.add(this, other, options?.alpha); }
  sub(other: TensorLike, options?: { alpha?: number }): Tensor { return ew.sub(this, other, options?.alpha); }
  mul(other: TensorLike): Tensor { return ew.binary("mul", this, other); }
  /** this / other; `roundingMode` "trunc" or "floor" rounds the quotient (ops/math.ts). */
  div(other: TensorLike, options?: mt.DivOptions): Tensor { return options ? mt.divide(this, other, options) : ew.binary("div", this, other); }
  pow(exponent: TensorLike): Tensor { return ew.pow(this, exponent); }
  maximum(other: TensorLike): Tensor { return ew.binary("maximum", this, other); }
  minimum(other: TensorLike): Tensor { return ew.binary("minimum", this, other); }
  eq(other: TensorLike): Tensor { return ew.binary("eq", this, other); }
  ne(other: TensorLike): Tensor { return ew.binary("ne", this, other); }
  lt(other: TensorLike): Tensor { return ew.binary("lt", this, other); }
  le(other: TensorLike): Tensor { return ew.binary("le", this, other); }
  gt(other: TensorLike): Tensor { return ew.binary("gt", this, other); }
  ge(other: TensorLike): Tensor { return ew.binary("ge", this, other); }
  logicalAnd(other: TensorLike): Tensor { return ew.binary("and", this, other); }
  logicalOr(other: TensorLike): Tensor { return ew.binary("or", this, other); }
  logicalNot(): Tensor { return ew.unary("not", this); }
  neg(): Tensor { return ew.unary("neg", this); }
  exp(): Tensor { return ew.unary("exp", this); }
  log(): Tensor { return ew.unary("log", this); }
  sqrt(): Tensor { return ew.unary("sqrt", this); }
  abs(): Tensor { return ew.unary("abs", this); }
  sign(): Tensor { return ew.unary("sign", this); }
  sin(): Tensor { return ew.unary("sin", this); }
  cos(): Tensor { return ew.unary("cos", this); }
  /** The error function, elementwise. */
  erf(): Tensor { return ew.unary("erf", this); }
  relu(): Tensor { return ew.unary("relu", this); }
  sigmoid(): Tensor { return ew.unary("sigmoid", this); }
  tanh(): Tensor { return ew.unary("tanh", this); }
  isnan(): Tensor { return ew.unary("isnan", this); }
  isinf(): Tensor { return ew.unary("isinf", this); }
  square(): Tensor { return ew.pow(this, 2); }
  clamp(options: { min?: number; max?: number }): Tensor { return ew.clamp(this, options.min, options.max); }
  softmax(dim: number): Tensor { return rd.softmax(this, dim); }
  logSoftmax(dim: number): Tensor { return rd.logSoftmax(this, dim); }
  matmul(other: Tensor): Tensor { return matmul(this, other); }
  /** `condition ? this : other`, as PyTorch's `x.where(condition, y)`. */
  where(condition: Tensor, other: TensorLike): Tensor { return ew.where(condition, this, other); }

  // ---- reductions ----
  sum(dim?: number | readonly number[] | ReduceOptions, keepdim?: boolean): Tensor { return rd.sum(this, rd.opts(dim, keepdim)); }
  mean(dim?: number | readonly number[] | ReduceOptions, keepdim?: boolean): Tensor { return rd.mean(this, rd.opts(dim, keepdim)); }
  prod(dim?: number | ReduceOptions, keepdim?: boolean): Tensor { return rd.prod(this, rd.opts(dim, keepdim)); }
  var(dim?: number | readonly number[] | rd.VarianceOptions, keepdim?: boolean): Tensor { return rd.variance(this, rd.opts(dim, keepdim)); }
  std(dim?: number | readonly number[] | rd.VarianceOptions, keepdim?: boolean): Tensor { return rd.std(this, rd.opts(dim, keepdim)); }
  /** Max of all elements; with a dim, `{ values, indices }`; with a tensor, `maximum`. */
  max(): Tensor;
  max(dim: number | { dim: number; keepdim?: boolean }, keepdim?: boolean): ValuesIndices;
  max(other: Tensor): Tensor;
  max(dim?: number | Tensor | { dim: number; keepdim?: boolean }, keepdim?: boolean): Tensor | ValuesIndices {
    return rd.extreme("max", this, dim, keepdim);
  }
  /** Min of all elements; with a dim, `{ values, indices }`; with a tensor, `minimum`. */
  min(): Tensor;
  min(dim: number | { dim: number; keepdim?: boolean }, keepdim?: boolean): ValuesIndices;
  min(other: Tensor): Tensor;
  min(dim?: number | Tensor | { dim: number; keepdim?: boolean }, keepdim?: boolean): Tensor | ValuesIndices {
    return rd.extreme("min", this, dim, keepdim);
  }
  argmax(dim?: number | { dim?: number; keepdim?: boolean }, keepdim?: boolean): Tensor { return rd.argReduce("argmax", this, dim, keepdim); }
  argmin(dim?: number | { dim?: number; keepdim?: boolean }, keepdim?: boolean): Tensor { return rd.argReduce("argmin", this, dim, keepdim); }
  any(): Tensor { return rd.logical("any", this); }
  all(): Tensor { return rd.logical("all", this); }

  // ---- in place (write through views into shared storage) ----
  fill_(value: Scalar): this { return ip.fill_(this, value); }
  zero_(): this { return ip.fill_(this, 0); }
  copy_(src: TensorLike): this { return ip.copy_(this, src); }
  add_(other: TensorLike, options?: { alpha?: number }): this { return ip.update_(this, "add", other, options?.alpha); }
  sub_(other: TensorLike, options?: { alpha?: number }): this { return ip.update_(this, "sub", other, options?.alpha); }
  mul_(other: TensorLike): this { return ip.update_(this, "mul", other); }
  div_(other: TensorLike): this { return ip.update_(this, "div", other); }
  clamp_(options: { min?: number; max?: number }): this { return ip.assign_(this, (s) => ew.clamp(s, options.min, options.max)); }
  relu_(): this { return ip.assign_(this, (s) => ew.unary("relu", s)); }
  /** Fills with U(from, to) from the generator, as PyTorch's uniform_. */
  uniform_(from = 0, to = 1, generator?: Generator): this { return ip.uniform_(this, from, to, generator); }
  /** Fills with N(mean, std²) from the generator, as PyTorch's normal_. */
  normal_(mean = 0, std = 1, generator?: Generator): this { return ip.normal_(this, mean, std, generator); }
  /** Fills with 1 with probability p (a number or a tensor of probabilities), else 0, as PyTorch's bernoulli_. */
  bernoulli_(p: number | Tensor = 0.5, options: rnd.GeneratorOption = {}): this { return rnd.bernoulli_(this, p, options); }
  /** 0/1 samples with this tensor's elements as probabilities, as torch.bernoulli. */
  bernoulli(options: rnd.GeneratorOption = {}): Tensor { return rnd.bernoulli(this, options); }
  /** Category indices sampled from this 1-D or 2-D tensor of weights, as torch.multinomial. */
  multinomial(numSamples: number, options: rnd.MultinomialOptions = {}): Tensor { return rnd.multinomial(this, numSamples, options); }

  // ---- indexing (ops/indexing.ts) ----
  /** PyTorch's `x[...] = value`: the indices as in `at`, then the value (`x.setAt(idx, 0)`, `x.setAt(mask, v)`). */
  setAt(...args: [...Index[], TensorLike]): this { return ix.setAt(this, args); }
  indexSelect(dim: number, index: Tensor): Tensor { return ix.indexSelect(this, dim, index); }
  gather(dim: number, index: Tensor): Tensor { return ix.gather(this, dim, index); }
  scatter(dim: number, index: Tensor, src: TensorLike, options?: { reduce?: ScatterReduce }): Tensor { return ix.scatter(this, dim, index, src, options); }
  scatter_(dim: number, index: Tensor, src: TensorLike, options?: { reduce?: ScatterReduce }): this { return ix.scatter_(this, dim, index, src, options); }
  scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor { return ix.scatterAdd(this, dim, index, src); }
  scatterAdd_(dim: number, index: Tensor, src: Tensor): this { return ix.scatterAdd_(this, dim, index, src); }
  indexAdd(dim: number, index: Tensor, source: Tensor, options?: { alpha?: number }): Tensor { return ix.indexAdd(this, dim, index, source, options); }
  indexAdd_(dim: number, index: Tensor, source: Tensor, options?: { alpha?: number }): this { return ix.indexAdd_(this, dim, index, source, options); }
  indexCopy(dim: number, index: Tensor, source: Tensor): Tensor { return ix.indexCopy(this, dim, index, source); }
  indexCopy_(dim: number, index: Tensor, source: Tensor): this { return ix.indexCopy_(this, dim, index, source); }
  indexFill(dim: number, index: Tensor, value: Scalar): Tensor { return ix.indexFill(this, dim, index, value); }
  indexFill_(dim: number, index: Tensor, value: Scalar): this { return ix.indexFill_(this, dim, index, value); }
  /** PyTorch's `index_put(indices, values, accumulate)`: one index tensor, mask or null per leading dim. */
  indexPut(indices: readonly (Tensor | null)[], values: TensorLike, options?: { accumulate?: boolean }): Tensor { return ix.indexPut(this, indices, values, options); }
  indexPut_(indices: readonly (Tensor | null)[], values: TensorLike, options?: { accumulate?: boolean }): this { return ix.indexPut_(this, indices, values, options); }
  take(index: Tensor): Tensor { return ix.take(this, index); }
  put(index: Tensor, source: Tensor, options?: { accumulate?: boolean }): Tensor { return ix.put(this, index, source, options); }
  put_(index: Tensor, source: Tensor, options?: { accumulate?: boolean }): this { return ix.put_(this, index, source, options); }
  maskedFill(mask: Tensor, value: TensorLike): Tensor { return ix.maskedFill(this, mask, value); }
  maskedFill_(mask: Tensor, value: TensorLike): this { return ix.maskedFill_(this, mask, value); }
  maskedSelect(mask: Tensor): Tensor { return ix.maskedSelect(this, mask); }
  /** Indices of the nonzero elements, int64 [count, ndim]; `{ asTuple: true }` gives one index tensor per dim. */
  nonzero(): Tensor;
  nonzero(options: { asTuple: true }): Tensor[];
  nonzero(options?: { asTuple?: boolean }): Tensor | Tensor[] { return ix.nonzero(this, options); }
  argwhere(): Tensor { return ix.argwhere(this); }

  // ---- shape (ops/shape.ts) ----
  /** The lower triangle of the last two dims: zero above the `diagonal`-th diagonal. */
  tril(diagonal = 0): Tensor { return sh.triangle(this, diagonal, false); }
  /** The upper triangle of the last two dims: zero below the `diagonal`-th diagonal. */
  triu(diagonal = 0): Tensor { return sh.triangle(this, diagonal, true); }
  tril_(diagonal = 0): this { return ip.assign_(this, (s) => sh.triangle(s, diagonal, false)); }
  triu_(diagonal = 0): this { return ip.assign_(this, (s) => sh.triangle(s, diagonal, true)); }
  /** The running sum along `dim` (ints and bools sum as int64 unless `dtype` says otherwise). */
  cumsum(dim: number, options?: sh.CumulativeOptions): Tensor { return sh.cumsum(this, dim, options); }
  /** The running product along `dim`. */
  cumprod(dim: number, options?: sh.CumulativeOptions): Tensor { return sh.cumprod(this, dim, options); }
  /** A copy with the order reversed along the given dims: `x.flip(0)`, `x.flip(0, 1)`, `x.flip([0, 1])`. */
  flip(...dims: number[] | [readonly number[]]): Tensor { return sh.flip(this, flat(dims)); }
  fliplr(): Tensor { return sh.fliplr(this); }
  flipud(): Tensor { return sh.flipud(this); }
  /** Rotates elements by `shifts` along `dims` (over the flattened tensor without dims). */
  roll(shifts: number | readonly number[], dims?: number | readonly number[]): Tensor { return sh.roll(this, shifts, dims); }
  /** Tiles the tensor: `x.repeat(2, 1)` doubles dim 0; extra leading counts add dims. */
  repeat(...sizes: number[] | [readonly number[]]): Tensor { return sh.repeat(this, flat(sizes)); }
  /** repeat with the counts padded by leading 1s to the tensor's dims. */
  tile(...dims: number[] | [readonly number[]]): Tensor { return sh.tile(this, flat(dims)); }
  /** Repeats each element (or slice along `dim`) `repeats` times; flattens first without a dim. */
  repeatInterleave(repeats: number | Tensor, dim?: number | { dim?: number }): Tensor {
    return sh.repeatInterleave(this, repeats, dim);
  }
  /** A diagonal matrix from a vector, or a matrix's `diagonal`-th diagonal as a vector. */
  diag(diagonal = 0): Tensor { return sh.diag(this, diagonal); }
  /** A view of the diagonal of dims `dim1`, `dim2` (0 and 1), appended as the last dim. */
  diagonal(offset?: number | sh.DiagonalOptions, dim1?: number, dim2?: number): Tensor { return sh.diagonalOf(this, offset, dim1, dim2); }
  /** The outer product with another vector. */
  outer(other: Tensor): Tensor { return sh.outer(this, other); }
  /** Batched matrix product of 3-D tensors. */
  bmm(other: Tensor): Tensor { return sh.bmm(this, other); }
  /** `beta * this + alpha * (mat1 @ mat2)`. */
  addmm(mat1: Tensor, mat2: Tensor, options?: sh.ScaleOptions): Tensor { return sh.addmm(this, mat1, mat2, options); }
  /** `beta * this + alpha * bmm(batch1, batch2)`. */
  baddbmm(batch1: Tensor, batch2: Tensor, options?: sh.ScaleOptions): Tensor { return sh.baddbmm(this, batch1, batch2, options); }
  /** The running maximum along `dim` and the index it came from. */
  cummax(dim: number): ValuesIndices { return sh.cummax(this, dim); }
  /** The running minimum along `dim` and the index it came from. */
  cummin(dim: number): ValuesIndices { return sh.cummin(this, dim); }
  /** Rotates by 90° `k` times in the plane of `dims` ([0, 1]). */
  rot90(k = 1, dims: readonly number[] = [0, 1]): Tensor { return sh.rot90(this, k, dims); }
  /** Matrices with the last dim on a diagonal, in dims `dim1`, `dim2` (-2, -1) of the result. */
  diagEmbed(offset?: number | sh.DiagEmbedOptions, dim1?: number, dim2?: number): Tensor { return sh.diagEmbedOf(this, offset, dim1, dim2); }
  /** The sum of the main diagonal of a matrix. */
  trace(): Tensor { return sh.trace(this); }
  /** Matrix product of two matrices. */
  mm(other: Tensor): Tensor { return sh.mm(this, other); }
  /** Matrix times vector. */
  mv(vec: Tensor): Tensor { return sh.mv(this, vec); }
  /** Inner product of two vectors. */
  dot(other: Tensor): Tensor { return sh.dot(this, other); }
  /** Moves dims `source` to `destination`, the others keeping their order. */
  movedim(source: number | readonly number[], destination: number | readonly number[]): Tensor { return sh.movedim(this, source, destination); }
  moveaxis(source: number | readonly number[], destination: number | readonly number[]): Tensor { return sh.movedim(this, source, destination); }
  swapaxes(axis0: number, axis1: number): Tensor { return mv.transpose(this, axis0, axis1); }
  swapdims(dim0: number, dim1: number): Tensor { return mv.transpose(this, dim0, dim1); }
  /** Splits `dim` into `sizes` (a view): `x.unflatten(1, [2, -1])`. */
  unflatten(dim: number, sizes: readonly number[]): Tensor { return sh.unflatten(this, dim, sizes); }
  /** The elements as one dim (a view when contiguous). */
  ravel(): Tensor { return sh.ravel(this); }
  /** expand under NumPy's name. */
  broadcastTo(...shape: number[] | [readonly number[]]): Tensor { return mv.expand(this, flat(shape)); }
  /** The values sorted along dim 0. */
  msort(): Tensor { return so.msort(this); }
  /** Sorted values along a dim (-1) and their positions: `x.sort({ dim: 0, descending: true })`. */
  sort(options?: number | so.SortOptions): ValuesIndices { return so.sort(this, options); }
  /** The positions that sort the tensor along a dim. */
  argsort(options?: number | so.SortOptions): Tensor { return so.argsort(this, options); }
  /** The k largest (or smallest) along a dim (-1) and their positions. */
  topk(k: number, options?: so.TopkOptions): ValuesIndices { return so.topk(this, k, options); }

  // ---- math (ops/math.ts) ----
  /** Rounds down; integer tensors come back as a copy. */
  floor(): Tensor { return mt.rounding("floor", this); }
  /** Rounds up; integer tensors come back as a copy. */
  ceil(): Tensor { return mt.rounding("ceil", this); }
  /** Rounds half to even, or to `decimals` decimal places (float tensors). */
  round(options?: { decimals?: number }): Tensor { return mt.round(this, options?.decimals); }
  /** Rounds toward zero; integer tensors come back as a copy. */
  trunc(): Tensor { return mt.rounding("trunc", this); }
  /** The fractional part, x - trunc(x). */
  frac(): Tensor { return mt.frac(this); }
  /** 1 / x. */
  reciprocal(): Tensor { return mt.floatUnary("reciprocal", this); }
  /** 1 / sqrt(x). */
  rsqrt(): Tensor { return mt.floatUnary("rsqrt", this); }
  /** log(1 + x), exact for small x. */
  log1p(): Tensor { return mt.floatUnary("log1p", this); }
  /** exp(x) - 1, exact for small x. */
  expm1(): Tensor { return mt.floatUnary("expm1", this); }
  log2(): Tensor { return mt.floatUnary("log2", this); }
  log10(): Tensor { return mt.floatUnary("log10", this); }
  /** 2 ** x. */
  exp2(): Tensor { return mt.floatUnary("exp2", this); }
  tan(): Tensor { return mt.floatUnary("tan", this); }
  asin(): Tensor { return mt.floatUnary("asin", this); }
  acos(): Tensor { return mt.floatUnary("acos", this); }
  atan(): Tensor { return mt.floatUnary("atan", this); }
  sinh(): Tensor { return mt.floatUnary("sinh", this); }
  cosh(): Tensor { return mt.floatUnary("cosh", this); }
  /** True where the value is neither NaN nor infinite. */
  isfinite(): Tensor { return ew.unary("isfinite", this); }
  /** True where the sign bit is set (negative values and -0). */
  signbit(): Tensor { return ew.unary("signbit", this); }
  /** The sign (torch.sgn; the same as sign for real tensors). */
  sgn(): Tensor { return mt.sgn(this); }
  /** Python's modulo: the result has the divisor's sign. */
  remainder(other: TensorLike): Tensor { return mt.modulo("remainder", this, other); }
  /** C's fmod: the result has the dividend's sign. */
  fmod(other: TensorLike): Tensor { return mt.modulo("fmod", this, other); }
  /** Division rounded down (Python's //). */
  floorDivide(other: TensorLike): Tensor { return mt.modulo("floorDivide", this, other); }
  /** The angle of (other, this), elementwise. */
  atan2(other: Tensor): Tensor { return mt.atan2(this, other); }
  /** NaN, +inf and -inf replaced by finite values. */
  nanToNum(options?: mt.NanToNumOptions): Tensor { return mt.nanToNum(this, options); }
  /** this + weight · (end - this). */
  lerp(end: Tensor, weight: number | Tensor): Tensor { return mt.lerp(this, end, weight); }
  /** this + value · t1 · t2. */
  addcmul(t1: Tensor, t2: Tensor, options?: mt.AddcOptions): Tensor { return mt.addcmul(this, t1, t2, options); }
  /** this + value · t1 / t2. */
  addcdiv(t1: Tensor, t2: Tensor, options?: mt.AddcOptions): Tensor { return mt.addcdiv(this, t1, t2, options); }
  /** An alias of clamp. */
  clip(options: { min?: number; max?: number }): Tensor { return ew.clamp(this, options.min, options.max); }
  /** log(sum(exp(x))) over `dim`, computed stably. */
  logsumexp(dim: number | readonly number[], keepdim?: boolean | { keepdim?: boolean }): Tensor { return mt.logsumexp(this, dim, keepdim); }
  /** The max over one or more dims (all by default); ties share the gradient. */
  amax(dim?: number | readonly number[] | ReduceOptions, keepdim?: boolean): Tensor { return mt.extremum("amax", this, dim, keepdim); }
  /** The min over one or more dims (all by default); ties share the gradient. */
  amin(dim?: number | readonly number[] | ReduceOptions, keepdim?: boolean): Tensor { return mt.extremum("amin", this, dim, keepdim); }
  // in place: computed out of place, written back (a result the dtype cannot hold throws, as PyTorch's)
  floor_(): this { return ip.assign_(this, (s) => mt.rounding("floor", s)); }
  ceil_(): this { return ip.assign_(this, (s) => mt.rounding("ceil", s)); }
  round_(options?: { decimals?: number }): this { return ip.assign_(this, (s) => mt.round(s, options?.decimals)); }
  trunc_(): this { return ip.assign_(this, (s) => mt.rounding("trunc", s)); }
  frac_(): this { return ip.assign_(this, (s) => mt.frac(s)); }
  reciprocal_(): this { return ip.assign_(this, (s) => mt.floatUnary("reciprocal", s)); }
  rsqrt_(): this { return ip.assign_(this, (s) => mt.floatUnary("rsqrt", s)); }
  clip_(options: { min?: number; max?: number }): this { return ip.assign_(this, (s) => ew.clamp(s, options.min, options.max)); }
  nanToNum_(options?: mt.NanToNumOptions): this { return ip.assign_(this, (s) => mt.nanToNum(s, options)); }
  remainder_(other: TensorLike): this { return ip.assign_(this, (s) => mt.modulo("remainder", s, other)); }
  fmod_(other: TensorLike): this { return ip.assign_(this, (s) => mt.modulo("fmod", s, other)); }
  lerp_(end: Tensor, weight: number | Tensor): this { return ip.assign_(this, (s) => mt.lerp(s, end, weight)); }
  addcmul_(t1: Tensor, t2: Tensor, options?: mt.AddcOptions): this { return ip.assign_(this, (s) => mt.addcmul(s, t1, t2, options)); }
  addcdiv_(t1: Tensor, t2: Tensor, options?: mt.AddcOptions): this { return ip.assign_(this, (s) => mt.addcdiv(s, t1, t2, options)); }
  /** The p-norm (2 by default, or "fro") over `dim` (all elements by default). */
  norm(p?: number | "fro" | mt.NormOptions, options?: mt.NormOptions): Tensor { return mt.norm(this, p, options); }

  // ---- nn functional as methods (conv, norm, ...) ----

  // ---- creation helpers used by ops and autograd ----
  onesLike(): Tensor { return ip.full(this.shape, 1, this.dtype); }
  zerosLike(): Tensor { return ip.full(this.shape, 0, this.dtype); }

  // ---- printing ----
  /** PyTorch's repr of this tensor. */
  toString(): string {
    const data = ew.valuesData(this);
    return formatTensor({
      shape: this.shape,
      dtype: this.dtype,
      get: (i) => data[i]!,
      requiresGrad: this.requiresGrad && this.gradFn === null,
      gradFn: this.gradFn?.name ?? null,
    });
  }
  [inspectSymbol](): string { return this.toString(); }

  /**
   * The elements in row-major order: the storage's own array when already contiguous and whole,
   * which then stays where it is for the tensor's life (never evicted from the backend's memory),
   * so the array stays valid as long as the tensor.
   */
  contiguousData(): TypedArray {
    const data = ew.contiguousData(this);
    if (data === this._storage.data) pinResident(this._storage);
    return data;
  }
}

function flat(args: number[] | [readonly number[]]): readonly number[] {
  return args.length === 1 && Array.isArray(args[0]) ? (args[0] as readonly number[]) : (args as number[]);
}

const legacyTypeNames: Record<string, string> = {
  float32: "torch.FloatTensor", float64: "torch.DoubleTensor", int32: "torch.IntTensor",
  int64: "torch.LongTensor", bool: "torch.BoolTensor", uint8: "torch.ByteTensor", int8: "torch.CharTensor",
  float16: "torch.HalfTensor", bfloat16: "torch.BFloat16Tensor",
};
