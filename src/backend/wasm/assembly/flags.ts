// AssemblyScript (see sgemm.ts for why tsc skips it).
// eslint-disable-next-line @typescript-eslint/ban-ts-comment
// @ts-nocheck

/** Epilogue flag: add the product into C instead of overwriting it. */
export const ACCUMULATE: i32 = 1;
/** Epilogue flag: clamp at zero after the sum (and bias). */
export const RELU: i32 = 2;
/** Epilogue flag: add bias[j] to every row. */
export const BIAS: i32 = 4;
