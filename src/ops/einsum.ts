/**
 * einsum with PyTorch's equation syntax (labels a-z A-Z, `...`, `->`, implicit output, repeated
 * labels for diagonals). Operands are aligned to one label order, then contracted left to right,
 * two at a time, by one bmm each: the steps PyTorch 1.13 takes, so the graph ends in its nodes.
 */
import { ShapeError, ValueError } from "../errors.ts";
import type { Tensor } from "../tensor.ts";
import { binary } from "./elementwise.ts";
import { permute, reshape, unsqueeze, view } from "./movement.ts";
import { sum } from "./reduce.ts";
import { bmm, diagonal } from "./shape.ts";

const LETTERS = 26;
const LABELS = LETTERS * 2;
const ELLIPSIS = LABELS;

/** Uppercase labels before lowercase ones, as PyTorch orders an implicit output. */
const subscript = (c: string): number => (c >= "A" && c <= "Z" ? c.charCodeAt(0) - 65 : c.charCodeAt(0) - 97 + LETTERS);
const letter = (s: number): string => String.fromCharCode(s < LETTERS ? s + 65 : s - LETTERS + 97);
const isAlpha = (c: string): boolean => /^[A-Za-z]$/.test(c);

function fail(message: string): never {
  throw new ShapeError(`einsum(): ${message}`);
}

/** The labels of each operand (ELLIPSIS for `...`). */
function parseInputs(lhs: string, numOps: number): number[][] {
  const labels: number[][] = Array.from({ length: numOps }, () => []);
  let op = 0, ell = false;
  for (let i = 0; i < lhs.length; i++) {
    const c = lhs[i]!;
    if (c === " ") continue;
    if (c === ".") {
      if (ell) fail(`found '.' for operand ${op} for which an ellipsis was already found`);
      if (!(i + 2 < lhs.length && lhs[++i] === "." && lhs[++i] === ".")) fail(`found '.' for operand ${op} that is not part of any ellipsis`);
      labels[op]!.push(ELLIPSIS);
      ell = true;
    } else if (c === ",") {
      op++;
      if (op >= numOps) fail("fewer operands were provided than specified in the equation");
      ell = false;
    } else {
      if (!isAlpha(c)) fail(`invalid subscript given at index ${i} in the equation string, subscripts must be in [a-zA-Z]`);
      labels[op]!.push(subscript(c));
    }
  }
  if (op !== numOps - 1) fail("more operands were provided than specified in the equation");
  return labels;
}

/** Einstein summation over the operands, as torch.einsum (operands as arguments or as one array). */
export function einsum(equation: string, ...args: (Tensor | readonly Tensor[])[]): Tensor {
  if (typeof equation !== "string") throw new ValueError("einsum(): argument 'equation' must be str");
  const operands = (args.length === 1 && Array.isArray(args[0]) ? args[0] : args) as readonly Tensor[];
  if (operands.length === 0) throw new ValueError("einsum(): must specify the equation string and at least one operand, or at least one operand and its subscripts list");
  const numOps = operands.length;
  const arrow = equation.indexOf("->");
  const lhs = arrow === -1 ? equation : equation.slice(0, arrow);
  const opLabels = parseInputs(lhs, numOps);

  // label frequencies and the number of dims any ellipsis covers
  const count = new Array<number>(LABELS).fill(0);
  let ellDims = 0;
  opLabels.forEach((labels, i) => {
    const nd = operands[i]!.ndim, hasEll = labels.includes(ELLIPSIS), n = labels.length - (hasEll ? 1 : 0);
    for (const l of labels) if (l !== ELLIPSIS) count[l]!++;
    if (hasEll) ellDims = Math.max(ellDims, nd - n);
    if (hasEll ? n > nd : n !== nd) {
      fail(`the number of subscripts in the equation (${n}) ${hasEll ? "is more than" : "does not match"} the number of dimensions (${nd}) for operand ${i}${hasEll ? "" : " and no ellipsis was given"}`);
    }
  });

  // where each label (and the ellipsis) goes: output dims first, then the contracted ones
  const permIndex = new Array<number>(LABELS).fill(-1);
  let next = 0, ellIndex = 0, ellInOutput = false;
  if (arrow === -1) {
    next = ellDims;
    ellInOutput = true;
    for (let l = 0; l < LABELS; l++) if (count[l] === 1) permIndex[l] = next++;
  } else {
    const rhs = equation.slice(arrow + 2);
    for (let i = 0; i < rhs.length; i++) {
      const c = rhs[i]!;
      if (c === " ") continue;
      if (c === ".") {
        if (ellInOutput) fail("found '.' for output but an ellipsis (...) was already found");
        if (!(i + 2 < rhs.length && rhs[++i] === "." && rhs[++i] === ".")) fail("found '.' for output that is not part of any ellipsis (...)");
        ellIndex = next;
        next += ellDims;
        ellInOutput = true;
      } else {
        if (!isAlpha(c)) fail(`invalid subscript given at index ${lhs.length + 2 + i} in the equation string, subscripts must be in [a-zA-Z]`);
        const s = subscript(c);
        if (!(count[s]! > 0 && permIndex[s] === -1)) {
          fail(`output subscript ${c}${permIndex[s]! > -1 ? " appears more than once in the output" : " does not appear in the equation for any input operand"}`);
        }
        permIndex[s] = next++;
      }
    }
  }
  const outDims = next;
  if (!ellInOutput) { ellIndex = next; next += ellDims; }
  for (let l = 0; l < LABELS; l++) if (count[l]! > 0 && permIndex[l] === -1) permIndex[l] = next++;
  const total = next;

  // align every operand to the `total` dims: diagonals for repeated labels, size-1 dims for missing ones
  const labelSize = new Array<number>(LABELS).fill(1), ellSize = new Array<number>(ellDims).fill(1);
  const dimCounts = new Array<number>(total).fill(0);
  const ops: Tensor[] = operands.map((operand, i) => {
    let op = operand;
    const perm = new Array<number>(total).fill(-1);
    let dim = 0;
    const broadcast = (size: number, seen: number, what: string): void => {
      if (seen !== 1 && seen !== size) {
        fail(`${what} has size ${size} for operand ${i} which does not broadcast with previously seen size ${seen}`);
      }
    };
    for (const s of opLabels[i]!) {
      if (s === ELLIPSIS) {
        const nd = operand.ndim - (opLabels[i]!.length - 1);
        for (let j = ellDims - nd; j < ellDims; j++) {
          const size = op.shape[dim]!;
          if (size !== 1) {
            broadcast(size, ellSize[j]!, `dimension ${dim} covered by ellipsis`);
            ellSize[j] = size;
            dimCounts[ellIndex + j]!++;
          }
          perm[ellIndex + j] = dim++;
        }
      } else if (perm[permIndex[s]!] === -1) {
        const size = op.shape[dim]!;
        if (size !== 1) {
          broadcast(size, labelSize[s]!, `subscript ${letter(s)}`);
          labelSize[s] = size;
          dimCounts[permIndex[s]!]!++;
        }
        perm[permIndex[s]!] = dim++;
      } else {
        // a repeated label: take the diagonal and put it where the label first appeared
        const prev = perm[permIndex[s]!]!;
        if (op.shape[dim] !== op.shape[prev]) {
          fail(`subscript ${letter(s)} is repeated for operand ${i} but the sizes don't match, ${op.shape[dim]} != ${op.shape[prev]}`);
        }
        op = moveLastTo(diagonal(op, 0, prev, dim), prev);
      }
    }
    for (let k = 0; k < total; k++) {
      if (perm[k] === -1) { op = unsqueeze(op, dim); perm[k] = dim++; }
    }
    return permute(op, perm);
  });

  // contract left to right; a contracted dim is summed as soon as no later operand has it
  while (ops.length > 1) {
    let a = ops.shift()!, b = ops.shift()!;
    const sumDims: number[] = [], aSum: number[] = [], bSum: number[] = [];
    for (let d = outDims; d < total; d++) {
      const sa = a.shape[d] !== 1, sb = b.shape[d] !== 1;
      if (sa && sb) {
        if (--dimCounts[d]! === 1) { sumDims.push(d); dimCounts[d] = 0; }
      } else if (dimCounts[d] === 1) {
        if (sa) { aSum.push(d); dimCounts[d] = 0; } else if (sb) { bSum.push(d); dimCounts[d] = 0; }
      }
    }
    if (aSum.length) a = sum(a, { dim: aSum, keepdim: true });
    if (bSum.length) b = sum(b, { dim: bSum, keepdim: true });
    ops.unshift(sumProductPair(a, b, sumDims));
  }

  const result = ops[0]!;
  if (total === outDims) return result;
  if (numOps > 1) return view(result, result.shape.slice(0, outDims));
  return sum(result, { dim: Array.from({ length: total - outDims }, (_, i) => outDims + i) });
}

/** Moves the last dim to `to` (PyTorch's movedim(-1, to)), as a permute. */
function moveLastTo(t: Tensor, to: number): Tensor {
  const last = t.ndim - 1, perm: number[] = [];
  for (let d = 0; d < last; d++) { if (d === to) perm.push(last); perm.push(d); }
  if (to === last) perm.push(last);
  return permute(t, perm);
}

/**
 * `(left * right).sum(sumDims, keepdim)` for two operands of equal rank, as one bmm: dims in both
 * and the output become the batch, dims in one operand the rows or columns, summed dims the inner one.
 */
function sumProductPair(left: Tensor, right: Tensor, sumDims: readonly number[]): Tensor {
  if (sumDims.length === 0) return binary("mul", left, right);
  const lro: number[] = [], lo: number[] = [], ro: number[] = [];
  let lroSize = 1, loSize = 1, roSize = 1, sumSize = 1;
  for (let i = 0; i < left.ndim; i++) {
    const sl = left.shape[i] !== 1, sr = right.shape[i] !== 1;
    if (sumDims.includes(i)) {
      if (sl && sr) {
        if (left.shape[i] !== right.shape[i]) throw new ShapeError("non-broadcast dimensions must match");
        sumSize *= left.shape[i]!;
      } else if (sl) left = sum(left, { dim: i, keepdim: true });
      else if (sr) right = sum(right, { dim: i, keepdim: true });
    } else if (sl && sr) {
      if (left.shape[i] !== right.shape[i]) throw new ShapeError("non-broadcast dimensions must match");
      lro.push(i); lroSize *= left.shape[i]!;
    } else if (sl) {
      lo.push(i); loSize *= left.shape[i]!;
    } else {
      ro.push(i); roSize *= right.shape[i]!;
    }
  }
  const outSize = [...lro.map((d) => left.shape[d]!), ...lo.map((d) => left.shape[d]!), ...sumDims.map(() => 1), ...ro.map((d) => right.shape[d]!)];
  const lperm = [...lro, ...lo, ...sumDims, ...ro], rperm = [...lro, ...sumDims, ...ro, ...lo];
  const operm = new Array<number>(left.ndim);
  [...lro, ...lo, ...sumDims, ...ro].forEach((d, i) => { operm[d] = i; });
  const l = reshape(permute(left, lperm), [lroSize, loSize, sumSize]);
  const r = reshape(permute(right, rperm), [lroSize, sumSize, roSize]);
  return permute(view(bmm(l, r), outSize), operm);
}
