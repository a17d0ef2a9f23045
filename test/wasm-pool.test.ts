// Max pooling on the WebAssembly SIMD kernel against the TypeScript reference: the same values
// (NaN, ±Infinity and ties included) and the same indices, so the same gradients.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as torch from "../src/index.ts";
import { onBackend, sameBits } from "./backend-helpers.ts";
import { wasmMaxPool2d } from "../src/backend/wasm/pool.ts";
import type { Window2d } from "../src/backend/backend.ts";

const F = torch.nn.functional;

const outSize = (size: number, k: number, p: number, s: number, d: number, ceil: boolean) => {
  const span = size + 2 * p - d * (k - 1) - 1;
  let o = (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
  if (ceil && (o - 1) * s >= size + p) o--;
  return o;
};

/** Values with repeats (ties), NaNs and infinities sprinkled in. */
function awkward(len: number, seed: number): Float32Array {
  torch.manualSeed(seed);
  const v = torch.randn(len).storage.data as Float32Array;
  for (let i = 0; i < len; i++) {
    const r = (i * 7919 + seed) % 97;
    if (r === 0) v[i] = NaN;
    else if (r === 1) v[i] = -Infinity;
    else if (r === 2) v[i] = Infinity;
    else if (r < 20) v[i] = Math.round(v[i]!); // ties
  }
  return v;
}

describe("max pooling on the wasm backend", () => {
  const windows: [number, number, number, number, number, number, number, boolean][] = [
    // planes, h, w, k, s, p, d, ceil (square windows; a rectangular one below)
    [16 * 64, 16, 16, 3, 2, 1, 1, false], // ResNet's stem
    [3, 17, 19, 3, 2, 1, 1, true],
    [5, 13, 11, 2, 2, 0, 1, false],
    [4, 10, 23, 3, 1, 1, 1, false],
    [2, 21, 22, 3, 3, 1, 2, true],
    [6, 9, 30, 4, 3, 2, 1, true],
    [1, 5, 5, 5, 1, 2, 1, false],
    [2, 12, 7, 2, 1, 0, 3, false],
  ];
  test("values and indices are the reference's, NaN, infinities and ties included", () => {
    for (const [planes, h, w, k, s, p, d, ceil] of windows) {
      const g: Window2d = { n: 1, c: planes, h, w, kh: k, kw: k, sh: s, sw: s, ph: p, pw: p, dh: d, dw: d, oh: outSize(h, k, p, s, d, ceil), ow: outSize(w, k, p, s, d, ceil) };
      const x = awkward(planes * h * w, h * w + k);
      const ref = torch.cpuBackend.maxPool2d(x, g), got = wasmMaxPool2d(x, g);
      const what = JSON.stringify(g);
      sameBits(got.values as Float32Array, ref.values as Float32Array, `values ${what}`);
      sameBits(got.indices, ref.indices as Int32Array, `indices ${what}`);
      const neg = x.map(() => -Infinity), rn = torch.cpuBackend.maxPool2d(neg, g), gn = wasmMaxPool2d(neg, g);
      sameBits(gn.indices, rn.indices, `indices of an all -Infinity input ${what}`);
    }
  });
  test("rectangular windows, strides, padding and dilation", () => {
    const g: Window2d = { n: 2, c: 3, h: 15, w: 26, kh: 2, kw: 4, sh: 1, sw: 3, ph: 1, pw: 2, dh: 2, dw: 1, oh: 0, ow: 0 };
    g.oh = outSize(g.h, g.kh, g.ph, g.sh, g.dh, false);
    g.ow = outSize(g.w, g.kw, g.pw, g.sw, g.dw, true);
    const x = awkward(g.n * g.c * g.h * g.w, 5);
    const ref = torch.cpuBackend.maxPool2d(x, g), got = wasmMaxPool2d(x, g);
    sameBits(got.values as Float32Array, ref.values as Float32Array, "values");
    sameBits(got.indices, ref.indices, "indices");
  });
  test("F.maxPool2d's output, indices and input gradient match the reference backend", () => {
    for (const ceilMode of [false, true]) {
      torch.manualSeed(1);
      const x = torch.randn(4, 8, 16, 17), g = torch.randn(4, 8, ceilMode ? 9 : 8, 9);
      const run = () => {
        const xs = x.clone().requiresGrad_();
        const [y, idx] = F.maxPool2d(xs, 3, { stride: 2, padding: 1, ceilMode, returnIndices: true });
        y.backward(g);
        return [y.detach(), idx, xs.grad!];
      };
      const ref = onBackend(torch.cpuBackend, run), got = onBackend(torch.wasmBackend, run);
      assert.deepEqual(got[0]!.shape, ref[0]!.shape);
      sameBits(got[0]!.storage.data as Float32Array, ref[0]!.storage.data as Float32Array, "values");
      assert.deepEqual(got[1]!.storage.data, ref[1]!.storage.data, "indices");
      sameBits(got[2]!.storage.data as Float32Array, ref[2]!.storage.data as Float32Array, "input gradient");
    }
  });
});
