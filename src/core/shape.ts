/** Shape arithmetic: sizes, contiguous strides, dim normalization and broadcasting. */
import { IndexError, ShapeError } from "../errors.ts";

/** A tensor's shape, as PyTorch's torch.Size but a plain readonly array. */
export type Shape = readonly number[];

/** Number of elements of a shape (1 for a 0-dim tensor). */
export function numelOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major strides for a shape; a size-1 dim gets the stride PyTorch gives it. */
export function contiguousStrides(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= Math.max(shape[i]!, 1);
  }
  return strides;
}

/** Wraps a possibly negative dim into [0, ndim), as PyTorch's maybe_wrap_dim. */
export function normalizeDim(dim: number, ndim: number): number {
  const n = Math.max(ndim, 1); // a 0-dim tensor accepts dim 0 and -1
  if (!Number.isInteger(dim) || dim < -n || dim >= n) {
    throw new IndexError(
      `Dimension out of range (expected to be in range of [${-n}, ${n - 1}], but got ${dim})`,
    );
  }
  return dim < 0 ? dim + n : dim;
}

/** Broadcasts two shapes with PyTorch's rules, naming both sizes when they disagree. */
export function broadcastShapes(a: Shape, b: Shape): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(
        `The size of tensor a (${da}) must match the size of tensor b (${db}) at non-singleton dimension ${i}`,
      );
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** True when two shapes are equal element by element. */
export function sameShape(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Formats a shape as PyTorch does in messages: `[2, 4]`. */
export function showShape(shape: Shape): string {
  return `[${shape.join(", ")}]`;
}

/** Reads a shape given as numbers or as one array: `rand(2, 4)` and `rand([2, 4])`. */
export function parseShape(args: readonly (number | Shape)[], op: string): number[] {
  const dims = args.length === 1 && Array.isArray(args[0]) ? (args[0] as Shape) : (args as Shape);
  for (const d of dims) {
    if (typeof d !== "number" || !Number.isInteger(d) || d < 0) {
      throw new ShapeError(`${op}(): sizes must be non-negative integers, but got ${showShape(dims)}`);
    }
  }
  return [...dims];
}
