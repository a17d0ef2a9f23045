/** Attaches a graph node to an op's result when grad mode is on and an input requires grad. */
import type { Tensor } from "../tensor.ts";
import { composites, derivatives, type CompositeKey, type DerivativeKey } from "./derivatives.ts";
import { isGradEnabled } from "./grad-mode.ts";
import { Node, type Edge, type OpArgs } from "./node.ts";

// the args of the ops that have none: one shared object, not a fresh {} per recorded node (rules only read args)
const NO_ARGS: OpArgs = Object.freeze({});

/** Records `out = op(inputs)` for backward; returns `out`. The table gives the node its name and rule. */
export function record(key: DerivativeKey, inputs: readonly Tensor[], out: Tensor, args: OpArgs = NO_ARGS): Tensor {
  if (!isGradEnabled()) return out;
  const n = inputs.length;
  let i = 0;
  while (i < n && !inputs[i]!.requiresGrad) i++;
  if (i === n) return out;
  // a loop, not inputs.map: no closure per recorded op
  const edges = new Array<Edge>(n);
  for (let j = 0; j < n; j++) { const t = inputs[j]!; edges[j] = t.requiresGrad ? (t.gradFn ?? t) : null; }
  out.gradFn = new Node(derivatives[key], inputs, out, args, edges);
  out.requiresGrad = true;
  return out;
}

/** Gives the last node of a composed op the name PyTorch prints for the op (e.g. VarBackward0). */
export function named(out: Tensor, key: CompositeKey): Tensor {
  if (out.gradFn) out.gradFn.name = composites[key];
  return out;
}
