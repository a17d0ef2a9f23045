// AssemblyScript (see sgemm.ts for why tsc skips it).
// eslint-disable-next-line @typescript-eslint/ban-ts-comment
// @ts-nocheck

/** Epilogue flag: add the product into C instead of overwriting it. */
export const ACCUMULATE: i32 = 1;
/** Epilogue flag: clamp at zero after the sum (and bias). */
export const RELU: i32 = 2;
/** Epilogue flag: add bias[j] to every row. */
export const BIAS: i32 = 4;
/**
 * Layout flag (sgemm only): C is stored transposed, product element (i, j) at c[j * ldc + i], and
 * the bias is indexed by i. A product with few columns runs as its transpose (matmul.ts), so that
 * its large operand is the cheaply packed B side.
 */
export const TRANS_C: i32 = 8;
