/** torch.nn.utils.clip_grad: clip gradients in place by their total norm or by value, as PyTorch 1.13. */
import { ValueError } from "../../errors.ts";
import { float32 } from "../../core/dtype.ts";
import { Tensor } from "../../tensor.ts";
import { noGrad } from "../../autograd/grad-mode.ts";
import { stack } from "../../ops/movement.ts";

/** One tensor or several, as PyTorch's `_tensor_or_tensors`. */
export type TensorOrTensors = Tensor | Iterable<Tensor>;

/** Options of clipGradNorm_: the p of the norm (`Infinity` for the max norm) and whether a non-finite norm throws. */
export type ClipGradNormOptions = { normType?: number; errorIfNonfinite?: boolean };

const gradsOf = (parameters: TensorOrTensors): Tensor[] =>
  (parameters instanceof Tensor ? [parameters] : [...parameters]).flatMap((p) => (p.grad === null ? [] : [p.grad]));

/** torch.norm(x, p) of a float tensor, as a 0-dim tensor of its dtype. */
function norm(x: Tensor, p: number): Tensor {
  if (p === Infinity) return x.abs().max();
  if (p === -Infinity) return x.abs().min();
  if (p === 0) return x.ne(0).sum().to(x.dtype);
  if (p === 1) return x.abs().sum();
  if (p === 2) return x.mul(x).sum().sqrt();
  return x.abs().pow(p).sum().pow(1 / p);
}

/** A number as Python's repr of a float prints it: 2.0, 0.5, inf. */
const pyFloat = (x: number): string =>
  Number.isFinite(x) ? (Number.isInteger(x) ? `${x}.0` : String(x)) : Number.isNaN(x) ? "nan" : x > 0 ? "inf" : "-inf";

/**
 * Scales all gradients together so that their total norm (as if concatenated into one vector) is
 * at most `maxNorm`, in place; returns the total norm before clipping (a float32 0-dim tensor).
 * The arithmetic is PyTorch's: per-gradient norms, the norm of those, then
 * coef = min(1, maxNorm · 1/(total + 1e-6)) multiplied into every gradient.
 * @example const total = nn.utils.clipGradNorm_(net.parameters(), 1.0);
 */
export function clipGradNorm_(parameters: TensorOrTensors, maxNorm: number, options: ClipGradNormOptions = {}): Tensor {
  const grads = gradsOf(parameters);
  const normType = options.normType ?? 2;
  if (grads.length === 0) return Tensor.fromArray(new Float32Array(1), [], float32);
  return noGrad(() => {
    let total: Tensor;
    if (normType === Infinity) {
      const norms = grads.map((g) => g.detach().abs().max());
      total = norms.length === 1 ? norms[0]! : stack(norms).max();
    } else {
      total = norm(stack(grads.map((g) => norm(g.detach(), normType))), normType);
    }
    if (options.errorIfNonfinite && !Number.isFinite(Number(total.item()))) {
      throw new ValueError(`The total norm of order ${pyFloat(normType)} for gradients from \`parameters\` is non-finite, so it cannot be clipped. ` +
        "To disable this error and scale the gradients by the non-finite norm anyway, set `error_if_nonfinite=False`");
    }
    // max_norm / (total_norm + 1e-6) is Tensor.__rtruediv__ in PyTorch: a reciprocal times the number
    const denom = total.add(1e-6);
    const coef = denom.onesLike().div_(denom).mul_(maxNorm).clamp({ max: 1.0 });
    for (const g of grads) g.detach().mul_(coef);
    return total;
  });
}

/**
 * Clamps every gradient into [−clipValue, clipValue], in place.
 * @example nn.utils.clipGradValue_(net.parameters(), 0.5);
 */
export function clipGradValue_(parameters: TensorOrTensors, clipValue: number): void {
  noGrad(() => {
    for (const g of gradsOf(parameters)) g.detach().clamp_({ min: -clipValue, max: clipValue });
  });
}
