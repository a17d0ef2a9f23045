/** Attaches a graph node to an op's result when grad mode is on and an input requires grad. */
import type { Tensor } from "../tensor.ts";
import { derivatives, type DerivativeKey } from "./derivatives.ts";
import { isGradEnabled } from "./grad-mode.ts";
import { Node, type OpArgs } from "./node.ts";

/** Records `out = op(inputs)` for backward; returns `out`. `name` is PyTorch's grad_fn name. */
export function record(
  key: DerivativeKey, name: string, inputs: readonly Tensor[], out: Tensor, args: OpArgs = {},
): Tensor {
  if (!isGradEnabled()) return out;
  let any = false;
  for (const t of inputs) if (t.requiresGrad) { any = true; break; }
  if (!any) return out;
  const edges = inputs.map((t) => (t.requiresGrad ? (t.gradFn ?? t) : null));
  out.gradFn = new Node(name, derivatives[key], inputs, out, args, edges);
  out.requiresGrad = true;
  return out;
}

/** Renames the node of a composed op to the name PyTorch prints for it (e.g. MeanBackward0). */
export function named(out: Tensor, name: string): Tensor {
  if (out.gradFn) out.gradFn.name = name;
  return out;
}
