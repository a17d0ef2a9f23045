// AssemblyScript (see sgemm.ts for why tsc skips it).
// eslint-disable-next-line @typescript-eslint/ban-ts-comment
// @ts-nocheck

// The optimizers' fused float32 updates over contiguous arrays in linear memory, four lanes at a
// time, every step rounded to float32 in the order of the TypeScript reference
// (src/backend/cpu/optim.ts), so both backends give the same bits.

/**
 * One Adam/AdamW step in place over n floats of the parameter p and moments m, v from gradient g:
 * p ← p·decay (when `flags` & 1); g ← g + p·l2 (flags & 2); g ← -g first (flags & 4, maximize);
 * m ← m·b1 + a1·g; v ← v·b2 + (g·a2)·g; p ← p + (m·step) / (√v / c2 + eps).
 */
export function adamStep(
  p: usize, g: usize, m: usize, v: usize, n: i32,
  b1: f32, a1: f32, b2: f32, a2: f32, c2: f32, eps: f32, step: f32, decay: f32, l2: f32, flags: i32,
): void {
  const B1 = f32x4.splat(b1), A1 = f32x4.splat(a1), B2 = f32x4.splat(b2), A2 = f32x4.splat(a2);
  const C2 = f32x4.splat(c2), E = f32x4.splat(eps), S = f32x4.splat(step), D = f32x4.splat(decay), L = f32x4.splat(l2);
  const doDecay = flags & 1, doL2 = flags & 2, negate = flags & 4;
  const n4 = n & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    const o = <usize>i << 2;
    let pi = v128.load(p + o), gi = v128.load(g + o);
    if (negate) gi = f32x4.neg(gi);
    if (doDecay) pi = f32x4.mul(pi, D);
    if (doL2) gi = f32x4.add(gi, f32x4.mul(pi, L));
    const mi = f32x4.add(f32x4.mul(v128.load(m + o), B1), f32x4.mul(A1, gi));
    const vi = f32x4.add(f32x4.mul(v128.load(v + o), B2), f32x4.mul(f32x4.mul(gi, A2), gi));
    const d = f32x4.add(f32x4.div(f32x4.sqrt(vi), C2), E);
    v128.store(m + o, mi);
    v128.store(v + o, vi);
    v128.store(p + o, f32x4.add(pi, f32x4.div(f32x4.mul(mi, S), d)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    let pi = load<f32>(p + o), gi = load<f32>(g + o);
    if (negate) gi = -gi;
    if (doDecay) pi = pi * decay;
    if (doL2) gi = gi + pi * l2;
    const mi: f32 = load<f32>(m + o) * b1 + a1 * gi;
    const vi: f32 = load<f32>(v + o) * b2 + (gi * a2) * gi;
    const d: f32 = Mathf.sqrt(vi) / c2 + eps;
    store<f32>(m + o, mi);
    store<f32>(v + o, vi);
    store<f32>(p + o, pi + (mi * step) / d);
  }
}

/**
 * One SGD step in place over n floats of the parameter p and momentum buffer buf from gradient g:
 * d ← -g (flags & 1, maximize) or g; d ← d + p·wd (flags & 2); with momentum (flags & 4):
 * buf ← buf·m, buf ← buf + a·d (a·d unscaled unless flags & 16), d ← d + buf·m (flags & 8,
 * Nesterov) or buf; p ← p + step·d.
 */
export function sgdStep(p: usize, g: usize, buf: usize, n: i32, wd: f32, m: f32, a: f32, step: f32, flags: i32): void {
  const WD = f32x4.splat(wd), M = f32x4.splat(m), A = f32x4.splat(a), S = f32x4.splat(step);
  const negate = flags & 1, decay = flags & 2, mom = flags & 4, nesterov = flags & 8, damped = flags & 16;
  const n4 = n & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    const o = <usize>i << 2;
    const pi = v128.load(p + o);
    let d = v128.load(g + o);
    if (negate) d = f32x4.neg(d);
    if (decay) d = f32x4.add(d, f32x4.mul(pi, WD));
    if (mom) {
      let b = f32x4.mul(v128.load(buf + o), M);
      b = f32x4.add(b, damped ? f32x4.mul(A, d) : d);
      v128.store(buf + o, b);
      d = nesterov ? f32x4.add(d, f32x4.mul(b, M)) : b;
    }
    v128.store(p + o, f32x4.add(pi, f32x4.mul(S, d)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const pi = load<f32>(p + o);
    let d = load<f32>(g + o);
    if (negate) d = -d;
    if (decay) d = d + pi * wd;
    if (mom) {
      let b: f32 = load<f32>(buf + o) * m;
      b = b + (damped ? a * d : d);
      store<f32>(buf + o, b);
      d = nesterov ? d + b * m : b;
    }
    store<f32>(p + o, pi + step * d);
  }
}
