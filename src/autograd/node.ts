/**
 * A node of the autograd graph: which op made a tensor, the edges to its inputs, and the
 * tensors its derivative needs, guarded by version checks as PyTorch's SavedVariable is.
 */
import { AutogradError } from "../errors.ts";
import type { Shape } from "../core/shape.ts";
import type { Tensor } from "../tensor.ts";
import type { DType } from "../core/dtype.ts";
import type { Layout } from "../core/layout.ts";
import type { ConvArgs } from "../ops/conv.ts";
import type { PoolArgs } from "../ops/pool.ts";
import type { ActivationOp } from "../ops/activation.ts";

/** What nll_loss's one-pass gradient reads: the class-index target, the ignored index, the reduction and the mean's divisor (the count of targets kept). */
export interface NllArgs {
  target: Tensor;
  ignoreIndex: number;
  reduction: "mean" | "sum" | "none";
  total: number;
}

/** Non-tensor arguments an op's derivative needs. */
export interface OpArgs {
  dims?: readonly number[];
  dim?: number;
  keepdim?: boolean;
  shape?: Shape;
  perm?: readonly number[];
  index?: number;
  start?: number;
  end?: number;
  step?: number;
  sizes?: readonly number[];
  indices?: Tensor;
  min?: number;
  max?: number;
  /** a constant factor of the derivative (mse_loss: 2, or 2/n for the mean) */
  scale?: number;
  /** in-place writes into views (CopySlices, AsStridedBackward0): the base's and the view's geometry over one storage */
  baseLayout?: Layout;
  viewLayout?: Layout;
  storageSize?: number;
  // ---- indexing ----
  /** `x[...]`, index_put_: one index tensor or mask per leading dim (null where a dim is not indexed) */
  indexList?: readonly (Tensor | null)[];
  /** masked_fill, masked_select */
  mask?: Tensor;
  /** index_put_, put_: whether the write summed into what was there */
  accumulate?: boolean;
  // (index_add's factor of the source is `alpha`, declared with shape's)
  // ---- shape ----
  /** tril/triu/diag/diagonal: which diagonal (0 the main one, > 0 above it) */
  diagonal?: number;
  /** rot90: the number of quarter turns */
  k?: number;
  /** roll: the shift of each rolled dim */
  shifts?: readonly number[];
  /** addmm/baddbmm: the factors of the product (alpha) and of the added input (beta) */
  alpha?: number;
  beta?: number;
  // ---- math ----
  /** a norm's order (inf and -inf included) */
  p?: number;
  /** var/std: the degrees of freedom subtracted from the count */
  correction?: number;
  /** a scalar operand the derivative scales by: addcmul/addcdiv's value, lerp's weight */
  value?: number;
  /** softplus's threshold (its beta is the `beta` above) */
  threshold?: number;
  // ---- conv ----
  /** a convolution's window, groups and shapes (ops/conv.ts) */
  conv?: ConvArgs;
  /** a pooling's window and options (ops/pool.ts) */
  pool?: PoolArgs;
  /** where each padded dim's output reads from (ops/pad.ts) */
  padMaps?: readonly Int32Array[];
  // ---- norm ----
  /** the dims x̂ is normalized over (in groupShape when given), and the saved x̂ and 1/σ */
  normDims?: readonly number[];
  xhat?: Tensor;
  invstd?: Tensor;
  /** how weight and bias broadcast against the input, and their own shape */
  affineShape?: readonly number[];
  paramShape?: readonly number[];
  /** group norm's [n, groups, rest] view of the input */
  groupShape?: readonly number[];
  hasWeight?: boolean;
  hasBias?: boolean;
  /** false: batch norm used fixed running statistics */
  training?: boolean;
  /** batch norm: the per-channel mean and 1/σ it normalized with (the batch's or the running ones) */
  channelStats?: { mean: Float64Array; invstd: Float64Array };
  /** layer norm's fused kernels: each row's mean and rstd of the input viewed as [rows, cols] */
  rowStats?: { mean: Float64Array; rstd: Float64Array; rows: number; cols: number };
  /** embedding: the rows looked up, the table's row count and the padding row (-1: none) */
  rowIndices?: BigInt64Array;
  numRows?: number;
  paddingIdx?: number;
  // ---- recurrent ----
  // ---- attention ----
  // ---- activation ----
  /** the activation kernel and its scalar parameters (backend.ts ActivationOp) */
  activation?: ActivationOp;
  activationParams?: readonly number[];
  /** binary_cross_entropy's per-element weight (expanded to the target's shape) */
  lossWeight?: Tensor;
  /** huber_loss's delta, smooth_l1_loss's beta */
  lossParam?: number;
  /** nll_loss in one pass (ops/loss.ts) */
  nll?: NllArgs;
  /** embedding_bag (with embedding's rowIndices, numRows, paddingIdx): sum/mean's [bags, n] matrix (the mean's 1/count folded in), */
  bagMatrix?: Tensor;
  /** each looked-up position's bag (bags for none) and the looked-up rows, for the per-sample weights' gradient */
  bagOf?: Tensor;
  bagRows?: Tensor;
  /** max's flat position of each output element (n for an empty bag) */
  bagArgmax?: Tensor;
}

/**
 * An op's derivative: the gradient of each input given the output's gradient `g`. Inputs and
 * output that the rule does not save are passed as undefined. `edges[i] === null` says input i
 * needs no gradient (PyTorch's needs_input_grad): a rule may skip computing it and return null.
 */
export type DerivativeFn = (
  g: Tensor, inputs: readonly (Tensor | undefined)[], out: Tensor, args: OpArgs, edges: readonly Edge[],
) => readonly (Tensor | null)[];

/**
 * An op's autograd identity: PyTorch's node name, what its gradients read ("a", "b", "c" for
 * inputs, "o" for the output; one string for every gradient or one per input), and the rule.
 */
export interface Derivative {
  readonly name: string;
  readonly saves: string | readonly string[];
  readonly fn: DerivativeFn;
}

/** Where an input's gradient goes: the node that made it, or the leaf that accumulates it. */
export type Edge = Node | Tensor | null;

/**
 * Whether input i needs a gradient (PyTorch's needs_input_grad): false for a null edge and for an
 * optional input the op was called without (a convolution without bias has two edges, not three).
 */
export const needs = (edges: readonly Edge[], i: number): boolean => (edges[i] ?? null) !== null;

/** A function called with a gradient; returning a tensor replaces it. */
export type GradHook = (grad: Tensor) => Tensor | void;

const FREED =
  "Trying to backward through the graph a second time (or directly access saved tensors after they have already been freed). Saved intermediate values of the graph are freed when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time or if you need to access saved tensors after calling backward.";

// What a `saves` string reads as bits: input i (letters "a", "b", "c") is bit i, the output ("o") bit 3
const OUTPUT_BIT = 8;
function letterBits(letters: string): number {
  let bits = 0;
  for (let i = 0; i < letters.length; i++) {
    const c = letters.charCodeAt(i);
    bits |= c === 111 /* o */ ? OUTPUT_BIT : 1 << (c - 97 /* a */);
  }
  return bits;
}

/** The bits of what the gradients that are needed read (an input with a null edge needs none). */
function savedBits(saves: string | readonly string[], edges: readonly Edge[]): number {
  if (typeof saves === "string") return letterBits(saves);
  let bits = 0;
  for (let i = 0; i < saves.length; i++) if (edges[i] !== null) bits |= letterBits(saves[i]!);
  return bits;
}

/** One recorded op (PyTorch's grad_fn). */
export class Node {
  /** Gradient hooks of the tensor this node made (registerHook on a non-leaf); null until the first. */
  _hooks: GradHook[] | null = null;
  /** Set by retainGrad(): the non-leaf tensor whose .grad keeps this node's gradient. */
  retained: Tensor | null = null;
  /** The engine's scratch during one backward pass: the gradient summed so far, and a visit mark. */
  _pending: Tensor | null = null;
  _mark = 0;
  /** Each input's shape and dtype, interleaved (one array per node, not two): see inputShape/inputDtype. */
  readonly #meta: (Shape | DType)[];
  /** The saved inputs (undefined where the rule saves nothing); null once freed. */
  #saved: (Tensor | undefined)[] | null;
  /** The saved output, if the rule reads it. */
  #savedOut: Tensor | undefined;
  /** The saved tensors' versions when recorded: the inputs', then the output's. */
  readonly #versions: number[];

  /** PyTorch's name, as printed in `grad_fn=<MulBackward0>` (a composed op renames it once: record.named) */
  name: string;

  constructor(
    readonly derivative: Derivative,
    inputs: readonly Tensor[],
    out: Tensor,
    readonly args: OpArgs,
    readonly edges: readonly Edge[],
  ) {
    this.name = derivative.name;
    const bits = savedBits(derivative.saves, edges), n = inputs.length;
    const saved: (Tensor | undefined)[] = new Array(n), versions: number[] = new Array(n + 1);
    const meta: (Shape | DType)[] = new Array(2 * n);
    for (let i = 0; i < n; i++) {
      const t = inputs[i]!;
      meta[2 * i] = t.shape;
      meta[2 * i + 1] = t.dtype;
      // inputs past the letters ("abc") are never saved
      const keep = i < 3 && (bits & (1 << i)) !== 0;
      saved[i] = keep ? t : undefined;
      versions[i] = keep ? t._version.value : 0;
    }
    const keepOut = (bits & OUTPUT_BIT) !== 0;
    this.#savedOut = keepOut ? out : undefined;
    versions[n] = keepOut ? out._version.value : 0;
    this.#saved = saved;
    this.#versions = versions;
    this.#meta = meta;
  }

  /** The shape of input `i` when the op ran (its gradient is summed back to it). */
  inputShape(i: number): Shape {
    return this.#meta[2 * i] as Shape;
  }

  /** The dtype of input `i` when the op ran (its gradient is cast back to it). */
  inputDtype(i: number): DType {
    return this.#meta[2 * i + 1] as DType;
  }

  /** Every input's shape. */
  get inputShapes(): Shape[] {
    return Array.from({ length: this.#meta.length / 2 }, (_, i) => this.inputShape(i));
  }

  /** Every input's dtype. */
  get inputDtypes(): DType[] {
    return Array.from({ length: this.#meta.length / 2 }, (_, i) => this.inputDtype(i));
  }

  /** Gradient hooks of the tensor this node made (registerHook on a non-leaf). */
  get hooks(): GradHook[] {
    return (this._hooks ??= []);
  }

  /** Runs the derivative after checking that no saved tensor was modified in place. */
  apply(g: Tensor): readonly (Tensor | null)[] {
    const saved = this.#saved;
    if (saved === null) throw new AutogradError(FREED);
    const n = saved.length, out = this.#savedOut;
    for (let i = 0; i < n; i++) { const t = saved[i]; if (t) this.#check(t, i, "input"); }
    if (out) this.#check(out, n, "output");
    return this.derivative.fn(g, saved, out!, this.args, this.edges);
  }

  #check(t: Tensor, i: number, role: string): void {
    const expected = this.#versions[i]!;
    if (t._version.value !== expected) {
      throw new AutogradError(
        `one of the variables needed for gradient computation has been modified by an inplace operation: [${t.typeName()} [${t.shape.join(", ")}]], which is ${role} ${role === "output" ? 0 : i} of ${this.name}, is at version ${t._version.value}; expected version ${expected} instead. Hint: the backtrace further above can help find the operation that failed to compute its gradient.`,
      );
    }
  }

  /** Drops the saved tensors after a backward pass without retainGraph. */
  free(): void {
    const saved = this.#saved;
    if (saved === null) return;
    let any = this.#savedOut !== undefined;
    for (let i = 0; !any && i < saved.length; i++) any = saved[i] !== undefined;
    if (any) { this.#saved = null; this.#savedOut = undefined; }
  }

  toString(): string {
    return `<${this.name}>`;
  }
}
