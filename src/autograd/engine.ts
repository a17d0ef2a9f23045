/**
 * The backward pass: order the graph topologically from the root, walk it in reverse, apply
 * one derivative per node and accumulate into the leaves' `.grad`.
 */
import { AutogradError } from "../errors.ts";
import { sameShape, type Shape } from "../core/shape.ts";
import type { Tensor } from "../tensor.ts";
import { float32 } from "../core/dtype.ts";
import {
  addmmResident_, addSumRows_, forgetTransients, releaseTransients, residentLike, transientBlockOf, transientCount, transientResults,
} from "../ops/resident.ts";
import { writeRegion } from "../ops/elementwise.ts";
import { setGradEnabled } from "./grad-mode.ts";
import { Node, type Edge, type GradHook } from "./node.ts";

/** Options of `backward`. */
export interface BackwardOptions {
  /** keep the saved tensors so backward can run through this graph again */
  retainGraph?: boolean;
}

/** Sums a broadcast gradient back to the shape of the input it flows into. */
export function sumToShape(g: Tensor, shape: Shape): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const lead = g.ndim - shape.length;
  const dims: number[] = [];
  for (let d = 0; d < g.ndim; d++) {
    if (d < lead || (shape[d - lead] === 1 && g.shape[d] !== 1)) dims.push(d);
  }
  const summed = dims.length ? g.sum({ dim: dims, keepdim: true }) : g;
  return summed.reshape(shape);
}

// hooks are user code: what they make is ordinary storage, and the gradient they see escapes
function runHooks(hooks: readonly GradHook[], g: Tensor, blocks: PassBlocks | null): Tensor {
  blocks?.escape(g);
  const was = blocks?.pause();
  try {
    for (const hook of hooks) g = hook(g) ?? g;
  } finally {
    if (was) blocks!.resume();
  }
  blocks?.escape(g);
  return g;
}

/**
 * The gradients one backward pass makes, given back to the backend the moment they are dead rather
 * than when V8 collects them, which a synchronous training loop never lets happen (docs/ARCHITECTURE.md,
 * "Where tensors live"). With the backend's transient results on, each float32 result a rule makes
 * is a recorded block, read in place by the next kernel; a block is dead when no pending gradient
 * holds it: a rule's temporaries once the rule returns, a node's gradient once the node has run,
 * a summand once summed. What user code can reach is never freed: the gradients hooks see, and
 * what AccumulateGrad copies into `.grad` (made with transient results off). A pass that throws
 * frees nothing more: its blocks return when V8 collects them.
 */
class PassBlocks {
  /**
   * Pending gradients (on nodes, or for leaves), each with the number of places it is pending in,
   * and the gradients user code has seen; null until the first block is recorded, so a pass of
   * small tensors (the seed MLP's) keeps no books: what was pending before then is no block.
   */
  #held: Map<Tensor, number> | null = null;
  #escaped: Tensor[] | null = null;

  constructor() {
    transientResults(true);
  }

  /** The books, made when the first block is recorded; null before. */
  #books(): Map<Tensor, number> | null {
    if (this.#held === null && transientCount() > 0) this.#held = new Map();
    return this.#held;
  }

  /** The blocks of the pending gradients and of those user code has seen (with the books made). */
  #kept(): Set<number> {
    const ids = new Set<number>();
    for (const t of this.#held!.keys()) ids.add(transientBlockOf(t));
    for (const t of this.#escaped ?? []) ids.add(transientBlockOf(t));
    return ids;
  }

  /** Holds `t` as a pending gradient: its block (if it is one) is not freed while it is held. */
  hold(t: Tensor): void {
    const held = this.#books();
    held?.set(t, (held.get(t) ?? 0) + 1);
  }

  /** Lets go of a pending gradient: its block is freed by the next sweep unless something else holds it. */
  drop(t: Tensor): void {
    const held = this.#held, n = held?.get(t);
    if (n === undefined) return;
    if (n > 1) held!.set(t, n - 1);
    else held!.delete(t);
  }

  /** `t` reached user code: its block is never freed by this pass. */
  escape(t: Tensor): void {
    if (this.#books() !== null) (this.#escaped ??= []).push(t);
  }

  /** Frees every recorded block nothing holds. */
  sweep(): void {
    if (this.#books() !== null) releaseTransients(() => this.#kept());
  }

  /** Results go to ordinary storage until `resume` (user code, AccumulateGrad's copy); whether they were transient. */
  pause(): boolean {
    return transientResults(false);
  }

  resume(): void {
    transientResults(true);
  }

  /** Ends the pass: results are ordinary again, and the blocks still recorded return when collected. */
  end(): void {
    transientResults(false);
    forgetTransients();
  }
}

let pass = 0;

/** Nodes reachable from `root`, each after every node that feeds gradient into it. */
function topoOrder(root: Node): Node[] {
  const mark = ++pass;
  const order: Node[] = [], nodes: Node[] = [root], next: number[] = [0];
  root._mark = mark;
  while (nodes.length) {
    const top = nodes.length - 1, node = nodes[top]!, i = next[top]!;
    if (i < node.edges.length) {
      next[top] = i + 1;
      const e = node.edges[i];
      if (e instanceof Node && e._mark !== mark) { e._mark = mark; nodes.push(e); next.push(0); }
    } else {
      nodes.pop(); next.pop();
      order.push(node);
    }
  }
  return order.reverse();
}

// AccumulateGrad: hooks see the gradient summed over every use of the leaf, then it is added
function accumulate(leaf: Tensor, g: Tensor, blocks: PassBlocks | null = null): void {
  if (leaf._hooks) g = runHooks(leaf._hooks, g, blocks);
  if (leaf.grad === null) leaf.grad = g.detach().clone();
  else residentLike(leaf.grad, leaf).add_(g);
}

/**
 * AccumulateGrad fused into the product that makes the gradient: `leaf.grad += a @ b` (aᵀ @ b
 * with `transA`) written by
 * the backend's GEMM store (linear's weight gradient), with no gradient tensor and no separate
 * add. Only where nothing can tell the difference but rounding: `edge` is a leaf without hooks
 * (they would see the summed gradient first) whose kept float32 .grad (zeroGrad zeroes it in
 * place, PyTorch 1.13's default) is resident. False: the rule returns the gradient as usual.
 */
export function accumulateProduct(edge: Edge, a: Tensor, b: Tensor, transA = false): boolean {
  const grad = keptGrad(edge);
  if (grad === null || grad.dtype !== float32 || a.dtype !== float32 || b.dtype !== float32 || a.ndim !== 2 || b.ndim !== 2) return false;
  // the gradient's leading dim is the product's rows, the rest its columns (a convolution's weight)
  const rows = a.shape[transA ? 1 : 0]!, cols = b.shape[1]!;
  if (grad.shape[0] !== rows || grad.numel() !== rows * cols) return false;
  return addmmResident_(residentLike(grad, edge as Tensor), a, b, transA);
}

/**
 * accumulateProduct with operands made only once the leaf is known to keep a gradient to add
 * into (a convolution's weight gradient, whose operands cost an im2col): null operands, false.
 */
export function accumulateProductOf(edge: Edge, operands: () => readonly [Tensor, Tensor] | null): boolean {
  if (keptGrad(edge)?.dtype !== float32) return false;
  const ab = operands();
  return ab !== null && accumulateProduct(edge, ab[0], ab[1]);
}

/**
 * The same for a sum over rows (linear's bias gradient): `leaf.grad += g.sum(0)` by the backend's
 * accumulating sum (`Backend.sumRowsAccumulate`), under accumulateProduct's conditions.
 */
export function accumulateSumRows(edge: Edge, g: Tensor): boolean {
  const grad = keptGrad(edge);
  if (grad === null || grad.dtype !== g.dtype || g.ndim !== 2 || grad.ndim !== 1 || grad.shape[0] !== g.shape[1]) return false;
  return addSumRows_(grad, g);
}

// A hook-free leaf's kept gradient that a rule may add into in place; null where it must return its gradient
function keptGrad(edge: Edge): Tensor | null {
  if (edge === null || edge instanceof Node || edge._hooks || edge.grad === null) return null;
  const grad = edge.grad;
  return grad.requiresGrad || !sameShape(edge.shape, grad.shape) ? null : grad;
}

/**
 * Zero-filled gradients that slice rules made for their input (only the engine holds them, as a
 * node's pending gradient), with the [start, end) ranges along `dim` written so far.
 */
const sliceBuffers = new WeakMap<Tensor, { dim: number; ranges: number[] }>();

/** Registers a slice rule's fresh gradient buffer (`z`, zero outside dim's [start, end)); returns it. */
export function sliceBuffer(z: Tensor, dim: number, start: number, end: number): Tensor {
  if (Number.isInteger(start) && Number.isInteger(end) && start >= 0 && end <= z.shape[dim]!) sliceBuffers.set(z, { dim, ranges: [start, end] });
  return z;
}

/**
 * split's backward without a buffer per piece: a slice's gradient `g` (step 1) written into the
 * region of its input's pending gradient, when that is another slice's buffer along the same dim
 * whose written ranges `start..end` misses (q, k and v of one projection). Writing into zeros is
 * the sum the engine would make, without a zero-filled buffer and a whole-size add per piece.
 * False: the rule makes its own buffer.
 */
export function accumulateSlice(edge: Edge, g: Tensor, dim: number, start: number, end: number): boolean {
  if (!(edge instanceof Node) || edge._pending === null) return false;
  const p = edge._pending, info = sliceBuffers.get(p);
  if (info === undefined || info.dim !== dim || p.dtype !== g.dtype || !Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > p.shape[dim]!) return false;
  for (let i = 0; i < info.ranges.length; i += 2) if (start < info.ranges[i + 1]! && info.ranges[i]! < end) return false;
  const region = p.layout.slice(dim, start, end);
  if (!sameShape(region.shape, g.shape)) return false;
  writeRegion(p, region, g);
  info.ranges.push(start, end);
  return true;
}

/** Computes gradients of `root` with respect to every leaf that requires grad. */
export function runBackward(root: Tensor, gradient: Tensor | null, options: BackwardOptions = {}): void {
  if (!root.requiresGrad) {
    throw new AutogradError("element 0 of tensors does not require grad and does not have a grad_fn");
  }
  if (gradient === null && root.numel() !== 1) {
    throw new AutogradError("grad can be implicitly created only for scalar outputs");
  }
  if (gradient !== null && !sameShape(gradient.shape, root.shape)) {
    throw new AutogradError(
      `Mismatch in shape: grad_output[0] has a shape of torch.Size([${gradient.shape.join(", ")}]) and output[0] has a shape of torch.Size([${root.shape.join(", ")}]).`,
    );
  }
  // noGrad without a closure per backward call
  const prev = setGradEnabled(false);
  try {
    propagate(root, gradient ?? root.onesLike(), options.retainGraph ?? false);
  } finally {
    setGradEnabled(prev);
  }
}

let depth = 0;

// Walks the nodes in topological order; each node's gradient is complete when it is reached.
// A node's incoming gradients are summed on the node itself (_pending), a leaf's in `leaves`.
// A backward run from inside a hook sets aside what the outer pass has pending on shared nodes.
function propagate(root: Tensor, g0: Tensor, retainGraph: boolean): void {
  const rootNode = root.gradFn;
  if (rootNode === null) return accumulate(root, g0);
  const order = topoOrder(rootNode);
  // made by the first gradient that reaches a leaf (most passes have none: linear adds into kept grads)
  let leaves: Map<Tensor, Tensor> | null = null;
  const outer = depth > 0 ? order.map((n) => n._pending) : null;
  if (outer) for (const node of order) node._pending = null;
  rootNode._pending = g0;
  // the outermost pass only: one run from a hook makes ordinary storage
  const blocks = depth === 0 ? new PassBlocks() : null;
  try {
    depth++;
    try {
      for (const node of order) {
        const g = node._pending;
        if (g === null) continue;
        node._pending = null;
        sliceBuffers.delete(g); // complete: from here hooks and rules may hold it
        leaves = passThrough(node, g, leaves, blocks);
        if (!retainGraph) node.free();
      }
    } finally {
      depth--;
      for (let i = 0; i < order.length; i++) order[i]!._pending = outer ? outer[i]! : null;
    }
    // (most passes leave nothing here: linear's rule adds into kept gradients itself)
    if (leaves !== null) {
      blocks?.pause();
      for (const [leaf, g] of leaves) {
        accumulate(leaf, g, blocks);
        blocks?.drop(g);
      }
      blocks?.sweep();
    }
  } finally {
    blocks?.end();
  }
}

// Applies one node's derivative and adds each input's share to what its edge has collected; returns `leaves`, made if needed
function passThrough(node: Node, g: Tensor, leaves: Map<Tensor, Tensor> | null, blocks: PassBlocks | null): Map<Tensor, Tensor> | null {
  const pending = g;
  if (node._hooks !== null && node._hooks.length) g = runHooks(node._hooks, g, blocks);
  if (node.retained) {
    const was = blocks?.pause();
    node.retained.grad = g.detach().clone();
    if (was) blocks!.resume();
  }
  const inputGrads = node.apply(g), edges = node.edges;
  for (let i = 0; i < edges.length; i++) {
    const edge = edges[i]!, gi = inputGrads[i];
    if (edge === null || gi === null || gi === undefined) continue;
    const summed = sumToShape(gi, node.inputShape(i)), dtype = node.inputDtype(i);
    const shaped = summed.dtype === dtype ? summed : summed.to(dtype);
    if (edge instanceof Node) {
      const prev = edge._pending;
      edge._pending = prev === null ? shaped : prev.add(shaped);
      blocks?.hold(edge._pending);
      if (prev !== null) blocks?.drop(prev);
    } else {
      leaves ??= new Map();
      const prev = leaves.get(edge), sum = prev === undefined ? shaped : prev.add(shaped);
      leaves.set(edge, sum);
      blocks?.hold(sum);
      if (prev !== undefined) blocks?.drop(prev);
    }
  }
  blocks?.drop(pending);
  blocks?.sweep();
  return leaves;
}
