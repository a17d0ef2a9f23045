// Batch norm's per-channel kernels on the WebAssembly SIMD backend against the TypeScript
// reference: the same bits for the forward, the running statistics and every gradient.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as torch from "../src/index.ts";
import { onBackend, sameBits } from "./backend-helpers.ts";
import { wasmChannelAffine, wasmChannelNormBackward, wasmChannelStats } from "../src/backend/wasm/norm.ts";
import type { Tensor } from "../src/index.ts";

const F = torch.nn.functional;

/** Every value a batch norm step produces: y, the running statistics, and the gradients of x, weight and bias. */
function batchNormStep(x: Tensor, g: Tensor, options: { training: boolean; affine: boolean }): Tensor[] {
  const c = x.shape[1]!;
  torch.manualSeed(c);
  const rm = torch.randn(c).mul(0.1), rv = torch.rand(c).add(0.5);
  const xs = x.clone().requiresGrad_();
  const w = options.affine ? torch.randn(c).requiresGrad_() : null, b = options.affine ? torch.randn(c).requiresGrad_() : null;
  const y = F.batchNorm(xs, rm, rv, { weight: w, bias: b, training: options.training, momentum: 0.1, eps: 1e-5 });
  y.backward(g);
  return [y.detach(), rm, rv, xs.grad!, ...(w && b ? [w.grad!, b.grad!] : [])];
}

describe("batch norm on the wasm backend", () => {
  const shapes: number[][] = [[16, 64, 32, 32], [4, 8, 7, 9], [1, 5, 33, 31], [3, 7, 1027], [2, 300, 3], [64, 32], [40, 37], [16, 512, 1, 1], [8, 17, 2, 2]];
  for (const shape of shapes) {
    for (const training of [true, false]) {
      for (const affine of [true, false]) {
        test(`${JSON.stringify(shape)} ${training ? "training" : "eval"}${affine ? "" : " without affine"}: the reference's bits`, () => {
          torch.manualSeed(shape.reduce((p, s) => p * s, 1));
          const x = torch.randn(...shape).mul(2).add(0.7), g = torch.randn(...shape);
          const ref = onBackend(torch.cpuBackend, () => batchNormStep(x, g, { training, affine }));
          const got = onBackend(torch.wasmBackend, () => batchNormStep(x, g, { training, affine }));
          const names = ["y", "running_mean", "running_var", "dx", "dweight", "dbias"];
          got.forEach((t, i) => sameBits(t.storage.data as Float32Array, ref[i]!.storage.data as Float32Array, `${names[i]} of ${JSON.stringify(shape)}`));
        });
      }
    }
  }

  test("a float64 input stays on the reference", () => {
    torch.manualSeed(3);
    const x = torch.randn(4, 16, 8, 8, { dtype: torch.float64 }), g = torch.randn(4, 16, 8, 8, { dtype: torch.float64 });
    const ref = onBackend(torch.cpuBackend, () => batchNormStep(x, g, { training: true, affine: false }));
    const got = onBackend(torch.wasmBackend, () => batchNormStep(x, g, { training: true, affine: false }));
    got.forEach((t, i) => sameBits(t.storage.data as Float64Array, ref[i]!.storage.data as Float64Array, `float64 output ${i}`));
  });

  test("the SIMD kernels themselves match the reference below the backend's threshold (l of 1 to 6, n of 1, channels side by side for l = 1)", () => {
    const cpu = torch.cpuBackend;
    for (const [n, c, l] of [[1, 3, 1], [5, 2, 1], [9, 7, 1], [3, 8, 1], [2, 13, 1], [1, 4, 2], [3, 3, 3], [2, 5, 4], [1, 2, 5], [7, 3, 6]] as const) {
      torch.manualSeed(n * 100 + c * 10 + l);
      const x = torch.randn(n * c * l).mul(3).storage.data as Float32Array, g = torch.randn(n * c * l).storage.data as Float32Array;
      const what = `[${n}, ${c}, ${l}]`;
      const s = cpu.channelStats(x, n, c, l, torch.float32), ws = wasmChannelStats(x, n, c, l);
      sameBits(ws.mean, s.mean, `mean ${what}`);
      sameBits(ws.varSum, s.varSum, `varSum ${what}`);
      const invstd = s.varSum.map((v) => Math.fround(1 / Math.sqrt(Math.fround(v / (n * l)) + 1e-5)));
      const alpha = invstd.map((v, i) => Math.fround(v * (i + 0.5))), beta = s.mean.map((m, i) => Math.fround(0.25 * i - Math.fround(m * alpha[i]!)));
      sameBits(wasmChannelAffine(x, n, c, l, alpha, beta), cpu.channelAffine(x, n, c, l, alpha, beta, torch.float32) as Float32Array, `affine ${what}`);
      const weight = Float64Array.from({ length: c }, (_, i) => Math.fround(0.3 + i));
      for (const w of [weight, null]) {
        for (const training of [true, false]) {
          const r = cpu.channelNormBackward(g, x, n, c, l, s.mean, invstd, w, training, true, torch.float32);
          const k = wasmChannelNormBackward(g, x, n, c, l, s.mean, invstd, w, training, true);
          const how = `${what}${w ? "" : " no weight"}${training ? "" : " eval"}`;
          sameBits(k.sum, r.sum, `sum ${how}`);
          sameBits(k.dotp, r.dotp, `dotp ${how}`);
          sameBits(k.dx!, r.dx as Float32Array, `dx ${how}`);
        }
      }
      assert.equal(wasmChannelNormBackward(g, x, n, c, l, s.mean, invstd, null, true, false).dx, null);
    }
  });

  test("the lane order stays within float64 rounding of a sequential sum", () => {
    torch.manualSeed(9);
    const [n, c, l] = [4, 3, 37];
    const x = torch.randn(n * c * l).mul(5).add(100).storage.data as Float32Array;
    const { mean } = torch.cpuBackend.channelStats(x, n, c, l, torch.float32);
    for (let ch = 0; ch < c; ch++) {
      let s = 0;
      for (let b = 0; b < n; b++) for (let i = 0; i < l; i++) s += x[(b * c + ch) * l + i]!;
      assert.equal(mean[ch], Math.fround(s / (n * l)));
    }
  });
});
