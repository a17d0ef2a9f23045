/** The reference TypeScript backend: plain loops over typed arrays, runs everywhere. */
import type { Backend } from "../backend.ts";
import { castKernel } from "./cast.ts";
import { binaryKernel, fillKernel, unaryKernel, updateKernel, whereKernel, writeKernel } from "./elementwise.ts";
import { linearKernel, matmulKernel } from "./matmul.ts";
import { argReduceKernel, reduceKernel } from "./reduce.ts";

/** The CPU backend. */
export const cpuBackend: Backend = {
  name: "cpu",
  cast: castKernel,
  unary: unaryKernel,
  binary: binaryKernel,
  where: whereKernel,
  reduce: reduceKernel,
  argReduce: argReduceKernel,
  matmul: matmulKernel,
  linear: linearKernel,
  update: updateKernel,
  write: writeKernel,
  fill: fillKernel,
  // ---- indexing ----
  // ---- shape ----
  // ---- math ----
  // ---- conv ----
  // ---- norm ----
};
