/** Batched matrix product on the CPU: strides in, contiguous result out. */
import type { DType, TypedArray } from "../../core/dtype.ts";
import { Layout } from "../../core/layout.ts";
import { reluInPlace } from "./elementwise.ts";

/** Storage offset of each matrix of a [...batch, rows, cols] layout. */
export function batchOffsets(l: Layout): ArrayLike<number> {
  if (l.ndim === 2) return [l.offset];
  return new Layout(l.shape.slice(0, -2), l.strides.slice(0, -2), l.offset).indices();
}

/** a: [...batch, m, k], b: [...batch, k, n] with equal batch dims; returns [...batch, m, n]. */
export function matmulKernel(a: TypedArray, la: Layout, b: TypedArray, lb: Layout, out: DType): TypedArray {
  if (a instanceof BigInt64Array) return matmulBig(a, la, b as BigInt64Array, lb);
  const nd = la.ndim;
  const m = la.shape[nd - 2]!, k = la.shape[nd - 1]!, n = lb.shape[nd - 1]!;
  const ars = la.strides[nd - 2]!, acs = la.strides[nd - 1]!;
  const brs = lb.strides[nd - 2]!, bcs = lb.strides[nd - 1]!;
  const xa = a as Float64Array, xb = b as Float64Array;
  if (nd === 2 && m * n * k <= 4096) {
    // small products: one float64 dot product per cell, p ascending (the order the loop below adds in)
    const res = out.alloc(m * n) as Float64Array, ao = la.offset, bo = lb.offset;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0, pa = ao + i * ars, pb = bo + j * bcs; p < k; p++, pa += acs, pb += brs) s += xa[pa]! * xb[pb]!;
        res[i * n + j] = s;
      }
    }
    return res;
  }
  const aBatch = batchOffsets(la), bBatch = batchOffsets(lb);
  const res = out.alloc(aBatch.length * m * n) as Float64Array;
  const acc = new Float64Array(n);
  for (let t = 0; t < aBatch.length; t++) {
    const ao = aBatch[t]!, bo = bBatch[t]!, ro = t * m * n;
    for (let i = 0; i < m; i++) {
      // i-p-j order keeps the inner loop on a row of b; accumulate in float64
      acc.fill(0);
      for (let p = 0; p < k; p++) {
        const av = xa[ao + i * ars + p * acs]!;
        const brow = bo + p * brs;
        if (bcs === 1) for (let j = 0; j < n; j++) acc[j]! += av * xb[brow + j]!;
        else for (let j = 0; j < n; j++) acc[j]! += av * xb[brow + j * bcs]!;
      }
      for (let j = 0; j < n; j++) res[ro + i * n + j] = acc[j]!;
    }
  }
  return res;
}

/**
 * In place `dst += a @ b` for 2-D float operands of dst's dtype into a dense [m, n] `dst`: each
 * cell's product as matmulKernel computes it (a float64 dot product, p ascending), rounded to the
 * dtype, then added and rounded again, the bits of `dst.add_(a.matmul(b))`. Not the reference
 * backend's matmulAccumulate (that one adds separately, as PyTorch's AccumulateGrad): the wasm
 * backend's, for products too small for its GEMM.
 */
export function matmulAccumulateKernel(dst: TypedArray, a: TypedArray, la: Layout, b: TypedArray, lb: Layout): boolean {
  const f32 = dst instanceof Float32Array;
  if (!(f32 || dst instanceof Float64Array) || a.constructor !== dst.constructor || b.constructor !== dst.constructor || la.ndim !== 2 || lb.ndim !== 2) return false;
  const m = la.shape[0]!, k = la.shape[1]!, n = lb.shape[1]!;
  if (dst.length !== m * n) return false;
  const ars = la.strides[0]!, acs = la.strides[1]!, brs = lb.strides[0]!, bcs = lb.strides[1]!, ao = la.offset, bo = lb.offset;
  const d = dst as Float64Array, xa = a as Float64Array, xb = b as Float64Array;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0, pa = ao + i * ars, pb = bo + j * bcs; p < k; p++, pa += acs, pb += brs) s += xa[pa]! * xb[pb]!;
      // the product is stored (rounded) before the add reads it
      d[i * n + j] += f32 ? Math.fround(s) : s;
    }
  }
  return true;
}

/** The int64 product, exact in bigints (wrapping at 64 bits as PyTorch's integer kernels do). */
function matmulBig(a: BigInt64Array, la: Layout, b: BigInt64Array, lb: Layout): BigInt64Array {
  const nd = la.ndim, m = la.shape[nd - 2]!, k = la.shape[nd - 1]!, n = lb.shape[nd - 1]!;
  const ars = la.strides[nd - 2]!, acs = la.strides[nd - 1]!, brs = lb.strides[nd - 2]!, bcs = lb.strides[nd - 1]!;
  const aBatch = batchOffsets(la), bBatch = batchOffsets(lb), res = new BigInt64Array(aBatch.length * m * n);
  for (let t = 0; t < aBatch.length; t++) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0n;
        for (let p = 0; p < k; p++) s += a[aBatch[t]! + i * ars + p * acs]! * b[bBatch[t]! + p * brs + j * bcs]!;
        res[(t * m + i) * n + j] = s;
      }
    }
  }
  return res;
}

/** y = x Wᵀ + b: the matmul kernel over Wᵀ's strides, then the bias added row by row. */
export function linearKernel(
  x: TypedArray, lx: Layout, w: TypedArray, lw: Layout, b: TypedArray | null, lb: Layout | null, out: DType, relu = false,
): TypedArray {
  const res = matmulKernel(x, lx, w, lw.transpose(0, 1), out) as Float64Array;
  if (b !== null && lb !== null) {
    const n = lw.shape[0]!, m = lx.shape[0]!, bs = lb.strides[0] ?? 0, bo = lb.offset, bias = b as Float64Array;
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) res[i * n + j]! += bias[bo + j * bs]!;
  }
  if (relu) reluInPlace(res);
  return res;
}
