/** Dtype conversion on the CPU: numbers, bigints, bool (nonzero) and the half types' bits. */
import type { DType, TypedArray } from "../../core/dtype.ts";
import { bfloat16ToNumber, halfToNumber, numberToBfloat16, numberToHalf } from "../../core/half.ts";
import type { Layout } from "../../core/layout.ts";
import { convert, positions } from "./elementwise.ts";
import { gatherStrided } from "./strided.ts";

const decoders: Partial<Record<string, (bits: number) => number>> = { float16: halfToNumber, bfloat16: bfloat16ToNumber };
const encoders: Partial<Record<string, (x: number) => number>> = { float16: numberToHalf, bfloat16: numberToBfloat16 };

/** `x` (of dtype `from`) as a new contiguous array of dtype `to`. */
export function castKernel(x: TypedArray, layout: Layout, from: DType, to: DType): TypedArray {
  const n = layout.numel, off = layout.offset;
  if (from === to && n > 0 && !layout.isContiguous) {
    const res = to.alloc(n);
    gatherStrided(x, layout, res);
    return res;
  }
  const pos = positions(layout);
  // a contiguous float copy is one slice (a single allocation); not for Uint8Array, which may be a
  // Node Buffer, whose slice() is a view
  if (from === to && pos === null && (x instanceof Float32Array || x instanceof Float64Array)) return x.slice(off, off + n);
  const res = to.alloc(n);
  const at = (i: number) => x[pos === null ? off + i : pos[i]!]!;
  if (from === to) {
    for (let i = 0; i < n; i++) res[i] = at(i);
    return res;
  }
  const decode = decoders[from.name], encode = encoders[to.name];
  if (to.kind === "bool") {
    // nonzero is true, NaN included (NaN is falsy in JavaScript, True in PyTorch)
    for (let i = 0; i < n; i++) { const v = decode ? decode(at(i) as number) : at(i); res[i] = v !== 0 && v !== 0n ? 1 : 0; }
  } else if (decode || encode) {
    for (let i = 0; i < n; i++) {
      const v = decode ? decode(at(i) as number) : Number(at(i));
      res[i] = encode ? encode(v) : convert(v, res instanceof BigInt64Array);
    }
  } else {
    const toBig = res instanceof BigInt64Array;
    for (let i = 0; i < n; i++) res[i] = convert(at(i), toBig);
  }
  return res;
}
