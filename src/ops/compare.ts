/** Whole-tensor comparisons: torch.equal and torch.allclose. */
import { sameShape } from "../core/shape.ts";
import type { Tensor } from "../tensor.ts";
import { noGrad } from "../autograd/grad-mode.ts";

/** True when shapes and every value are equal. */
export function equal(a: Tensor, b: Tensor): boolean {
  return sameShape(a.shape, b.shape) && noGrad(() => a.eq(b).all().item() === true);
}

/** |a - b| <= atol + rtol * |b| everywhere (NaNs equal only with equalNan), as torch.allclose. */
export function allclose(a: Tensor, b: Tensor, options: { rtol?: number; atol?: number; equalNan?: boolean } = {}): boolean {
  const { rtol = 1e-5, atol = 1e-8, equalNan = false } = options;
  return noGrad(() => {
    const close = a.sub(b).abs().le(b.abs().mul(rtol).add(atol)).logicalOr(a.eq(b));
    const nan = equalNan ? a.isnan().logicalAnd(b.isnan()) : a.isnan().logicalAnd(a.isnan().logicalNot());
    return close.logicalOr(nan).all().item() === true;
  });
}
