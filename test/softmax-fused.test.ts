import { test } from "node:test";
import assert from "node:assert/strict";
import * as torch from "../src/index.ts";

/** The fused last-dim kernels against the float64 formulas, odd sizes, NaN and fully masked rows. */
test("fused last-dim softmax and log-softmax and their gradients match the float64 formulas", () => {
  torch.manualSeed(9);
  for (const shape of [[3, 5, 67], [130, 7], [1, 1]]) {
    const x = torch.randn(shape).mul(4), g = torch.randn(shape);
    const xd = x.to(torch.float64), gd = g.to(torch.float64);
    const e = xd.sub(xd.amax(-1, true)).exp(), sd = e.div(e.sum({ dim: -1, keepdim: true }));
    for (const log of [false, true]) {
      const xs = x.clone().requiresGrad_();
      const y = log ? xs.logSoftmax(-1) : xs.softmax(-1);
      y.backward(g);
      const want = log ? sd.log() : sd;
      const wantGrad = log ? gd.sub(sd.mul(gd.sum({ dim: -1, keepdim: true }))) : gd.sub(gd.mul(sd).sum({ dim: -1, keepdim: true })).mul(sd);
      assert.ok(torch.allclose(y.to(torch.float64), want, { rtol: 1e-5, atol: 1e-6 }), `${log ? "log_softmax" : "softmax"} ${shape}`);
      assert.ok(torch.allclose(xs.grad!.to(torch.float64), wantGrad, { rtol: 1e-4, atol: 1e-5 }), `${log ? "log_softmax" : "softmax"} gradient ${shape}`);
    }
  }
  const special = torch.tensor([[1, NaN, 2], [-Infinity, -Infinity, -Infinity], [0, -Infinity, 0]]);
  const s = special.softmax(-1).tolist() as number[][];
  assert.ok(s[0]!.every(Number.isNaN) && s[1]!.every(Number.isNaN), "a NaN row and a fully masked row give NaN, as PyTorch");
  assert.deepEqual(s[2], [0.5, 0, 0.5]);
});
