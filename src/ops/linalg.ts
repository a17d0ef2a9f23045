/** Matrix products. 1-D operands become matrices through views, so autograd needs one rule. */
import { DTypeError, ShapeError } from "../errors.ts";
import { broadcastShapes } from "../core/shape.ts";
import type { Tensor } from "../tensor.ts";
import { backend } from "../backend/active.ts";
import { named, record } from "../autograd/record.ts";
import type { CompositeKey } from "../autograd/derivatives.ts";
import { isTensor, unary, wrap } from "./elementwise.ts";
import type { TypedArray } from "../core/dtype.ts";
import { expand, reshape, squeeze, unsqueeze } from "./movement.ts";
import { resultType } from "./result-type.ts";

const shapeText = (t: Tensor) => t.shape.join("x");

/** torch.matmul: dot, matrix-vector, matrix-matrix and batched products with broadcasting. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (a.ndim === 0 || b.ndim === 0) {
    throw new ShapeError(`both arguments to matmul need to be at least 1D, but they are ${a.ndim}D and ${b.ndim}D`);
  }
  const dtype = resultType([a, b], isTensor);
  if (a.dtype !== b.dtype) {
    throw new DTypeError(`expected scalar type ${a.dtype.scalarName} but found ${b.dtype.scalarName} (matmul needs both operands of one dtype; convert one with .to())`);
  }
  if (dtype.kind === "bool") throw new DTypeError(`"addmm_impl_cpu_" not implemented for '${dtype.scalarName}'`);
  const a2 = a.ndim === 1 ? unsqueeze(a, 0) : a;
  const b2 = b.ndim === 1 ? unsqueeze(b, 1) : b;
  const k = a2.shape[a2.ndim - 1]!, kb = b2.shape[b2.ndim - 2]!;
  if (k !== kb) {
    if (a.ndim === 1 && b.ndim === 1) throw new ShapeError(`inconsistent tensor size, expected tensor [${a.shape[0]}] and src [${b.shape[0]}] to have the same number of elements, but got ${a.shape[0]} and ${b.shape[0]} elements respectively`);
    if (a.ndim <= 2 && b.ndim <= 2) throw new ShapeError(`mat1 and mat2 shapes cannot be multiplied (${a2.ndim === 2 ? shapeText(a2) : shapeText(a)} and ${shapeText(b2)})`);
    throw new ShapeError(`Expected size for first two dimensions of batch2 tensor to be: [${a2.shape.slice(0, -2).join(", ")}, ${k}] but got: [${b2.shape.slice(0, -2).join(", ")}, ${kb}].`);
  }
  const m = a2.shape[a2.ndim - 2]!, n = b2.shape[b2.ndim - 1]!;
  if (a.ndim === 2 && b.ndim === 2) {
    const data = backend().matmul(a.storage.data, a.layout, b.storage.data, b.layout, dtype);
    return record("mm", [a, b], wrap(data, [m, n], dtype));
  }
  if (a.ndim >= 3 && b.ndim === 2) {
    // PyTorch's fold: the batch joins the rows, one mm and an unsafe view back (so b's gradient is
    // one product too, not a product per matrix summed over the batch)
    const y = matmul(reshape(a, [-1, k]), b);
    return record("unsafeView", [y], wrap(y.storage.data, [...a.shape.slice(0, -1), n], dtype), { shape: y.shape });
  }
  const batch = broadcastShapes(a2.shape.slice(0, -2), b2.shape.slice(0, -2));
  const ea = expand(a2, [...batch, m, k]), eb = expand(b2, [...batch, k, n]);
  const data = backend().matmul(ea.storage.data, ea.layout, eb.storage.data, eb.layout, dtype);
  let out = record("bmm", [ea, eb], wrap(data, [...batch, m, n], dtype));
  if (a.ndim === 1) out = squeeze(out, -2);
  if (b.ndim === 1) out = squeeze(out, -1);
  const last = matmulNode(a.ndim, b.ndim);
  return last === null ? out : named(out, last);
}

// The node PyTorch's matmul ends with: it dispatches to dot, mv, mm or a folded bmm
function matmulNode(da: number, db: number): CompositeKey | null {
  if (da === 1 && db === 1) return "dot";
  if (da === 2 && db === 1) return "mv";
  if (da === 1 && db === 2) return "vecMat";
  if (da === 2 && db === 3) return "matBatch";
  return da === 1 || db === 1 ? "matmulFolded" : null;
}

function fusable(x: Tensor, weight: Tensor, bias: Tensor | null): boolean {
  return x.ndim === 2 && weight.ndim === 2 && (bias === null || bias.ndim === 1)
    && x.dtype === weight.dtype && (bias === null || bias.dtype === x.dtype) && x.dtype.kind === "float";
}

// x Wᵀ + b (then ReLU) in one kernel call for 2-D float operands; the result's array and node
function fusedLinear(x: Tensor, weight: Tensor, bias: Tensor | null, relu: boolean): { data: TypedArray; shape: number[]; inputs: Tensor[] } {
  const [m, k] = x.shape as [number, number], [n, kw] = weight.shape as [number, number];
  if (k !== kw) throw new ShapeError(`mat1 and mat2 shapes cannot be multiplied (${m}x${k} and ${kw}x${n})`);
  if (bias !== null && bias.shape[0] !== n && bias.shape[0] !== 1) {
    throw new ShapeError(`The size of tensor a (${n}) must match the size of tensor b (${bias.shape[0]}) at non-singleton dimension 1`);
  }
  const lb = bias === null ? null : bias.layout.expand([n]);
  const data = backend().linear(x.storage.data, x.layout, weight.storage.data, weight.layout, bias?.storage.data ?? null, lb, x.dtype, relu);
  return { data, shape: [m, n], inputs: bias === null ? [x, weight] : [x, weight, bias] };
}


/**
 * Options of `linear`: the one place where torchlet fuses ops. `activation: "relu"` applies ReLU in
 * the kernel's store instead of a second pass; values and graph are those of `relu(linear(x, w, b))`
 * (ReluBackward0 over AddmmBackward0). Callers choose it; `Sequential` only runs its children.
 */
export interface LinearOptions { activation?: "relu" | null }

/**
 * y = x Wᵀ + b (torch.nn.functional.linear): one fused kernel and one node for 2-D input (PyTorch's
 * addmm), else matmul + add; with `{ activation: "relu" }`, relu(x Wᵀ + b) in the same kernel.
 */
export function linear(x: Tensor, weight: Tensor, bias: Tensor | null = null, options: LinearOptions = {}): Tensor {
  if (!isTensor(x)) {
    throw new DTypeError(`linear(): argument 'input' (position 1) must be Tensor, not ${Array.isArray(x) ? "an array (wrap it with torch.tensor)" : typeof x}`);
  }
  const activation = options.activation ?? null;
  if (activation !== null && activation !== "relu") throw new DTypeError(`linear(): activation must be "relu" or null, not ${JSON.stringify(activation)}`);
  if (!fusable(x, weight, bias)) {
    const y = unfused(x, weight, bias);
    return activation === "relu" ? unary("relu", y) : y;
  }
  const { data, shape, inputs } = fusedLinear(x, weight, bias, activation === "relu");
  const out = record(bias === null ? "linearNoBias" : "addmm", inputs, wrap(data, shape, x.dtype));
  // the linear node's output is a stand-in no rule reads (addmm's rule saves its inputs, ReLU's its
  // output), so it shares the result's array
  return activation === "relu" ? record("relu", [out], wrap(data, shape, x.dtype, out.layout)) : out;
}

function unfused(x: Tensor, weight: Tensor, bias: Tensor | null): Tensor {
  const y = matmul(x, weight.T);
  if (bias === null) return y;
  // PyTorch folds N-D input into one addmm and views the result back
  return named(y.add(bias), x.ndim === 2 ? "linearAddmm" : x.ndim > 2 ? "linearNd" : "linear1d");
}
