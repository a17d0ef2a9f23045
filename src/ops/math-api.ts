/** The math family's `torch.` function forms, each the Tensor method of the same name. */
import type { Tensor, ReduceOptions, TensorLike } from "../tensor.ts";
import * as mt from "./math.ts";

/** torch.floor */
export const floor = (x: Tensor): Tensor => x.floor();
/** torch.ceil */
export const ceil = (x: Tensor): Tensor => x.ceil();
/** torch.round, with `decimals` as an option */
export const round = (x: Tensor, options?: { decimals?: number }): Tensor => x.round(options);
/** torch.trunc */
export const trunc = (x: Tensor): Tensor => x.trunc();
/** torch.fix, an alias of trunc */
export const fix = trunc;
/** torch.frac */
export const frac = (x: Tensor): Tensor => x.frac();
/** torch.reciprocal */
export const reciprocal = (x: Tensor): Tensor => x.reciprocal();
/** torch.rsqrt */
export const rsqrt = (x: Tensor): Tensor => x.rsqrt();
/** torch.log1p */
export const log1p = (x: Tensor): Tensor => x.log1p();
/** torch.expm1 */
export const expm1 = (x: Tensor): Tensor => x.expm1();
/** torch.log2 */
export const log2 = (x: Tensor): Tensor => x.log2();
/** torch.log10 */
export const log10 = (x: Tensor): Tensor => x.log10();
/** torch.exp2 */
export const exp2 = (x: Tensor): Tensor => x.exp2();
/** torch.tan */
export const tan = (x: Tensor): Tensor => x.tan();
/** torch.asin */
export const asin = (x: Tensor): Tensor => x.asin();
/** torch.acos */
export const acos = (x: Tensor): Tensor => x.acos();
/** torch.atan */
export const atan = (x: Tensor): Tensor => x.atan();
/** torch.sinh */
export const sinh = (x: Tensor): Tensor => x.sinh();
/** torch.cosh */
export const cosh = (x: Tensor): Tensor => x.cosh();
/** torch.isfinite */
export const isfinite = (x: Tensor): Tensor => x.isfinite();
/** torch.signbit */
export const signbit = (x: Tensor): Tensor => x.signbit();
/** torch.sgn */
export const sgn = (x: Tensor): Tensor => x.sgn();
/** torch.remainder: Python's modulo (the divisor's sign) */
export const remainder = (a: Tensor, b: TensorLike): Tensor => a.remainder(b);
/** torch.fmod: C's modulo (the dividend's sign) */
export const fmod = (a: Tensor, b: TensorLike): Tensor => a.fmod(b);
/** torch.floor_divide */
export const floorDivide = (a: Tensor, b: TensorLike): Tensor => a.floorDivide(b);
/** torch.atan2 */
export const atan2 = (a: Tensor, b: Tensor): Tensor => a.atan2(b);
/** torch.nan_to_num */
export const nanToNum = (x: Tensor, options?: mt.NanToNumOptions): Tensor => x.nanToNum(options);
/** torch.lerp */
export const lerp = (x: Tensor, end: Tensor, weight: number | Tensor): Tensor => x.lerp(end, weight);
/** torch.addcmul */
export const addcmul = (x: Tensor, t1: Tensor, t2: Tensor, options?: mt.AddcOptions): Tensor => x.addcmul(t1, t2, options);
/** torch.addcdiv */
export const addcdiv = (x: Tensor, t1: Tensor, t2: Tensor, options?: mt.AddcOptions): Tensor => x.addcdiv(t1, t2, options);
/** torch.clip, an alias of clamp */
export const clip = (x: Tensor, options: { min?: number; max?: number }): Tensor => x.clip(options);
/** torch.logsumexp */
export const logsumexp = (x: Tensor, dim: number | readonly number[], keepdim?: boolean | { keepdim?: boolean }): Tensor => x.logsumexp(dim, keepdim);
/** torch.amax */
export const amax = (x: Tensor, dim?: number | readonly number[] | ReduceOptions, keepdim?: boolean): Tensor => x.amax(dim, keepdim);
/** torch.amin */
export const amin = (x: Tensor, dim?: number | readonly number[] | ReduceOptions, keepdim?: boolean): Tensor => x.amin(dim, keepdim);
/** torch.norm */
export const norm = (x: Tensor, p?: number | "fro" | mt.NormOptions, options?: mt.NormOptions): Tensor => x.norm(p, options);
export { linalg } from "./math.ts";
export type { DivOptions, NanToNumOptions, AddcOptions, NormOptions, VectorNormOptions, SoftplusOptions } from "./math.ts";
/** torch.floor_: in place (as the other in-place forms PyTorch has as torch functions) */
export const floor_ = (x: Tensor): Tensor => x.floor_();
/** torch.ceil_: in place */
export const ceil_ = (x: Tensor): Tensor => x.ceil_();
/** torch.round_: in place */
export const round_ = (x: Tensor, options?: { decimals?: number }): Tensor => x.round_(options);
/** torch.trunc_: in place */
export const trunc_ = (x: Tensor): Tensor => x.trunc_();
/** torch.frac_: in place */
export const frac_ = (x: Tensor): Tensor => x.frac_();
/** torch.reciprocal_: in place */
export const reciprocal_ = (x: Tensor): Tensor => x.reciprocal_();
/** torch.rsqrt_: in place */
export const rsqrt_ = (x: Tensor): Tensor => x.rsqrt_();
/** torch.clip_: in place */
export const clip_ = (x: Tensor, options: { min?: number; max?: number }): Tensor => x.clip_(options);
/** torch.nan_to_num_: in place */
export const nanToNum_ = (x: Tensor, options?: mt.NanToNumOptions): Tensor => x.nanToNum_(options);
