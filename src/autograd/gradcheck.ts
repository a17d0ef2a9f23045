/**
 * Numerical gradient checking, as torch.autograd.gradcheck: every column of the Jacobian from
 * central differences is compared with the one backward computes.
 */
import { AutogradError, DTypeError, ValueError } from "../errors.ts";
import { float64 } from "../core/dtype.ts";
import { Tensor } from "../tensor.ts";
import { noGrad } from "./grad-mode.ts";
import { contiguousData } from "../ops/elementwise.ts";

/** Step and tolerances of `gradcheck`; the defaults are PyTorch's. */
export interface GradcheckOptions {
  /** finite-difference step */
  eps?: number;
  /** absolute tolerance */
  atol?: number;
  /** relative tolerance, scaled by the numerical value */
  rtol?: number;
  /** throw on a mismatch (the default) or return false */
  raiseException?: boolean;
}

/** The function under test: tensors in, one tensor or several out. */
export type GradcheckFn = (...inputs: Tensor[]) => Tensor | readonly Tensor[];

/** A Jacobian block, indexed [input element][output element] as PyTorch prints it. */
type Jacobian = Float64Array[];

function outputsOf(fn: GradcheckFn, inputs: readonly Tensor[]): Tensor[] {
  const out = fn(...inputs);
  return out instanceof Tensor ? [out] : [...out];
}

function valuesOf(t: Tensor): Float64Array {
  return Float64Array.from(contiguousData(t), Number);
}

/** A fresh float64 leaf with the given values, so perturbations never touch the caller's tensors. */
function leaf(values: Float64Array, shape: readonly number[], requiresGrad: boolean): Tensor {
  const t = Tensor.fromArray(Float64Array.from(values), shape, float64);
  t.requiresGrad = requiresGrad;
  return t;
}

function checkInputs(inputs: readonly Tensor[]): void {
  if (!inputs.some((t) => t.requiresGrad)) {
    throw new ValueError(
      "gradcheck expects at least one input tensor to require gradient, but none of the them have requires_grad=True.",
    );
  }
  inputs.forEach((t, i) => {
    // float32 central differences with eps=1e-6 lose every significant digit
    if (t.requiresGrad && t.dtype !== float64) {
      throw new DTypeError(`gradcheck: input ${i} is ${String(t.dtype)}; numerical gradients need torch.float64, so pass x.double()`);
    }
  });
}

/** Numerical Jacobian of every output with respect to input j, by central differences. */
function numerical(fn: GradcheckFn, base: Float64Array[], shapes: readonly number[][], j: number, eps: number): Jacobian[] {
  const columns: Jacobian[] = [];
  const evalAt = (x: Float64Array): Float64Array[] => noGrad(() => {
    const ins = base.map((b, k) => leaf(k === j ? x : b, shapes[k]!, false));
    return outputsOf(fn, ins).map(valuesOf);
  });
  for (let e = 0; e < base[j]!.length; e++) {
    const x = Float64Array.from(base[j]!);
    x[e] = base[j]![e]! + eps;
    const plus = evalAt(x);
    x[e] = base[j]![e]! - eps;
    const minus = evalAt(x);
    plus.forEach((p, o) => {
      columns[o] ??= [];
      columns[o][e] = p.map((v, r) => (v - minus[o]![r]!) / (2 * eps));
    });
  }
  return columns;
}

/** Analytical Jacobians: one backward per output element, each through a fresh graph. */
function analytical(fn: GradcheckFn, base: Float64Array[], shapes: readonly number[][], grads: readonly boolean[]): Jacobian[][] {
  const probe = noGrad(() => outputsOf(fn, base.map((b, k) => leaf(b, shapes[k]!, false))));
  return probe.map((p, o) => {
    const jac = base.map((b) => Array.from(b, () => new Float64Array(p.numel())));
    for (let r = 0; r < p.numel(); r++) {
      const ins = base.map((b, k) => leaf(b, shapes[k]!, grads[k]!));
      const out = outputsOf(fn, ins)[o]!;
      if (!out.requiresGrad) continue;
      const oneHot = new Float64Array(out.numel());
      oneHot[r] = 1;
      out.backward(Tensor.fromArray(oneHot, out.shape, float64).to(out.dtype));
      ins.forEach((t, k) => {
        if (t.grad === null) return;
        checkGradShape(t, k);
        valuesOf(t.grad).forEach((v, e) => { jac[k]![e]![r] = v; });
      });
    }
    return jac;
  });
}

function checkGradShape(t: Tensor, k: number): void {
  const g = t.grad!;
  if (g.shape.length !== t.shape.length || g.shape.some((s, d) => s !== t.shape[d])) {
    throw new AutogradError(`gradcheck: grad of input ${k} has shape [${g.shape.join(", ")}], expected [${t.shape.join(", ")}]`);
  }
}

function formatJacobian(jac: Jacobian): string {
  return "[" + jac.map((row) => "[" + Array.from(row, (v) => v.toPrecision(6)).join(", ") + "]").join(",\n ") + "]";
}

// torch.allclose without equal_nan: a NaN on either side is a mismatch
function close(a: number, n: number, atol: number, rtol: number): boolean {
  return Math.abs(a - n) <= atol + rtol * Math.abs(n);
}

/**
 * Checks backward against central differences for every input that requires grad (float64).
 * Returns true, or throws an AutogradError naming the output, input and both Jacobians.
 * @example gradcheck((a, b) => a.mul(b).sum(), [torch.rand([3], { dtype: torch.float64, requiresGrad: true }), b])
 */
export function gradcheck(fn: GradcheckFn, inputs: readonly Tensor[], options: GradcheckOptions = {}): boolean {
  const { eps = 1e-6, atol = 1e-5, rtol = 1e-3, raiseException = true } = options;
  checkInputs(inputs);
  const base = inputs.map(valuesOf);
  const shapes = inputs.map((t) => [...t.shape]);
  const grads = inputs.map((t) => t.requiresGrad);
  const ana = analytical(fn, base, shapes, grads);
  const floatOut = noGrad(() => outputsOf(fn, inputs.map((t) => t.detach()))).map((t) => t.dtype.isFloatingPoint);
  for (let j = 0; j < inputs.length; j++) {
    if (!grads[j]) continue;
    const num = numerical(fn, base, shapes, j, eps);
    for (let o = 0; o < ana.length; o++) {
      if (!floatOut[o]) continue; // integer outputs (argmax, indices) have no gradient
      const a = ana[o]![j]!, n = num[o] ?? [];
      const ok = a.every((row, e) => row.every((v, r) => close(v, n[e]![r]!, atol, rtol)));
      if (ok) continue;
      if (!raiseException) return false;
      throw new AutogradError(
        `Jacobian mismatch for output ${o} with respect to input ${j},\nnumerical:${formatJacobian(n)}\nanalytical:${formatJacobian(a)}\n`,
      );
    }
  }
  return true;
}
