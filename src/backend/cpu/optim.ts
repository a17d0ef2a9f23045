/** The optimizers' fused update kernels: one pass per parameter instead of a tensor op per term. */
import type { TypedArray } from "../../core/dtype.ts";
import type { AdamScalars, SgdScalars } from "../backend.ts";

/**
 * One Adam/AdamW step over `n` elements, as the tensor ops of optim/adam.ts compute it, each
 * rounded to float32 for Float32Array operands (the scalars too, as the ops take them):
 * p ← p·decay; g ← g + p·l2; m ← m·β1 + (1-β1)·g; v ← v·β2 + (g·(1-β2))·g;
 * p ← p + (m·(-stepSize)) / (√v / bc2Sqrt + eps).
 */
export function adamStepKernel(p: TypedArray, g: TypedArray, m: TypedArray, v: TypedArray, n: number, h: AdamScalars): void {
  const ps = p as Float32Array, gs = g as Float32Array, ms = m as Float32Array, vs = v as Float32Array;
  const sign = h.maximize ? -1 : 1;
  if (p instanceof Float32Array) {
    const f = Math.fround;
    const b1 = f(h.beta1), a1 = f(1 - h.beta1), b2 = f(h.beta2), a2 = f(1 - h.beta2);
    const c2 = f(h.bc2Sqrt), eps = f(h.eps), step = f(-h.stepSize), decay = f(h.decay), l2 = f(h.l2);
    for (let i = 0; i < n; i++) {
      let pi = ps[i]!, gi = sign * gs[i]!;
      if (h.decay !== 1) pi = f(pi * decay);
      if (h.l2 !== 0) gi = f(gi + f(pi * l2));
      const mi = f(f(ms[i]! * b1) + f(a1 * gi));
      const vi = f(f(vs[i]! * b2) + f(f(gi * a2) * gi));
      const d = f(f(f(Math.sqrt(vi)) / c2) + eps);
      ms[i] = mi;
      vs[i] = vi;
      ps[i] = pi + f(f(mi * step) / d);
    }
    return;
  }
  const b1 = h.beta1, a1 = 1 - h.beta1, b2 = h.beta2, a2 = 1 - h.beta2, step = -h.stepSize;
  for (let i = 0; i < n; i++) {
    let pi = ps[i]!, gi = sign * gs[i]!;
    if (h.decay !== 1) pi *= h.decay;
    if (h.l2 !== 0) gi += pi * h.l2;
    const mi = ms[i]! * b1 + a1 * gi, vi = vs[i]! * b2 + gi * a2 * gi;
    ms[i] = mi;
    vs[i] = vi;
    ps[i] = pi + (mi * step) / (Math.sqrt(vi) / h.bc2Sqrt + h.eps);
  }
}

/**
 * One SGD step over `n` elements, as the tensor ops of optim/sgd.ts compute it, each rounded to
 * float32 for Float32Array operands (the scalars too, as the ops take them): d ← maximize ? -g : g;
 * d ← d + p·wd; buf ← buf·momentum; buf ← buf + (1-dampening)·d (unscaled when that is 1);
 * d ← nesterov ? d + buf·momentum : buf; p ← p + (-lr)·d. With momentum 0, `buf` is not touched.
 */
export function sgdStepKernel(p: TypedArray, g: TypedArray, buf: TypedArray, n: number, h: SgdScalars): void {
  const ps = p as Float32Array, gs = g as Float32Array, bs = buf as Float32Array;
  const sign = h.maximize ? -1 : 1, decay = h.weightDecay !== 0, mom = h.momentum !== 0, damped = 1 - h.dampening !== 1;
  const r = p instanceof Float32Array ? Math.fround : (x: number) => x;
  const wd = r(h.weightDecay), m = r(h.momentum), a = r(1 - h.dampening), step = r(-h.lr);
  for (let i = 0; i < n; i++) {
    let d = sign * gs[i]!;
    if (decay) d = r(d + r(ps[i]! * wd));
    if (mom) {
      let b = r(bs[i]! * m);
      b = r(b + (damped ? r(a * d) : d));
      bs[i] = b;
      d = h.nesterov ? r(d + r(b * m)) : b;
    }
    ps[i] = ps[i]! + r(step * d);
  }
}
