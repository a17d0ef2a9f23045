import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as torch from "../src/index.ts";
import { onBackend, sameBits } from "./backend-helpers.ts";
import { allocBlock, residentFloats, wasmHeapStats } from "../src/backend/wasm/heap.ts";
import type { Tensor } from "../src/index.ts";
import type { Window2d } from "../src/backend/backend.ts";
import { wasmCol2im, wasmIm2col, wasmSwapLeading } from "../src/backend/wasm/conv.ts";
import { disableWasmThreads, enableWasmThreads } from "../src/backend/wasm/threads-node.ts";
import { wasmHelperBands } from "../src/backend/wasm/matmul.ts";
import {
  wasmActivation, wasmActivationBackward, wasmFillResident, wasmGelu, wasmGeluBackward, wasmGradFromOutput, wasmRelu, wasmUnaryRows, wasmUpdate, wasmUpdateScalar,
} from "../src/backend/wasm/elementwise.ts";
import { wasmAdamStep, wasmSgdStep } from "../src/backend/wasm/optim.ts";

/** The WebAssembly result against the TypeScript reference (fn must not draw random numbers). */
function agree(fn: () => Tensor, what: string): void {
  const ref = onBackend(torch.cpuBackend, fn), got = onBackend(torch.wasmBackend, fn);
  assert.deepEqual(got.shape, ref.shape, what);
  assert.ok(torch.allclose(got, ref, { rtol: 1e-5, atol: 1e-5 }), `${what}: wasm and TypeScript kernels disagree`);
}

describe("wasm backend", () => {
  test("is the default where WebAssembly SIMD runs", () => {
    assert.equal(torch.backend().name, "wasm");
  });
  torch.manualSeed(0);
  const a = torch.randn(33, 70), b = torch.randn(70, 19), bt = torch.randn(19, 70);
  test("matmul in every transposition case, odd sizes", () => {
    agree(() => a.matmul(b), "A @ B");
    agree(() => a.matmul(bt.T), "A @ Bᵀ");
    agree(() => a.T.contiguous().T.matmul(b), "Aᵀᵀ @ B");
    const at = torch.randn(70, 33);
    agree(() => at.T.matmul(bt.T), "Aᵀ @ Bᵀ");
  });
  test("strided operands that are neither row-major nor transposed are copied first", () => {
    const wide = torch.randn(33, 140);
    agree(() => wide.slice(1, 0, 140, 2).matmul(b), "every other column");
    agree(() => wide.slice(1, 3, 73).matmul(b), "a column block: rows at stride 140, no copy");
    agree(() => b.T.matmul(wide.slice(1, 3, 73).T), "the transposed column block");
  });
  test("batched and broadcast matmul", () => {
    const x = torch.randn(3, 20, 30), y = torch.randn(30, 25);
    agree(() => x.matmul(y), "batched @ matrix");
    const p = torch.randn(2, 1, 20, 30), q = torch.randn(4, 30, 25);
    agree(() => p.matmul(q), "broadcast batch");
  });
  test("fused linear with and without bias, and its gradients", () => {
    const x = torch.randn(40, 64), w = torch.randn(32, 64), bias = torch.randn(32);
    agree(() => torch.nn.functional.linear(x, w, bias), "linear");
    agree(() => torch.nn.functional.linear(x, w), "linear without bias");
    agree(() => torch.nn.functional.linear(x.T.contiguous().T, w.T.contiguous().T, bias), "linear, transposed storage");
    const grads = (b: torch.Backend) => onBackend(b, () => {
      const xs = x.clone().requiresGrad_(), ws = w.clone().requiresGrad_();
      torch.nn.functional.linear(xs, ws, bias).square().sum().backward();
      return [xs.grad!, ws.grad!];
    });
    const [rx, rw] = grads(torch.cpuBackend), [gx, gw] = grads(torch.wasmBackend);
    assert.ok(torch.allclose(gx!, rx!, { rtol: 1e-4, atol: 1e-4 }) && torch.allclose(gw!, rw!, { rtol: 1e-4, atol: 1e-4 }));
  });
  /** Bit-for-bit: the elementwise kernels round every step to float32 as the reference does. */
  function same(fn: () => Tensor, what: string): void {
    const ref = onBackend(torch.cpuBackend, fn), got = onBackend(torch.wasmBackend, fn);
    assert.deepEqual(got.shape, ref.shape, what);
    const r = ref.storage.data, g = got.storage.data;
    for (let i = 0; i < r.length; i++) assert.ok(Object.is(r[i], g[i]), `${what}: element ${i} is ${g[i]}, the reference ${r[i]}`);
  }
  test("in-place updates (add_/sub_/mul_/div_ with alpha) give the reference's bits, odd lengths", () => {
    const x = torch.randn(3001).mul(1e3), y = torch.randn(3001);
    y.storage.data[5] = 0;
    y.storage.data[7] = NaN;
    same(() => x.clone().add_(y), "add_");
    same(() => x.clone().add_(y, { alpha: -0.01 }), "add_ alpha");
    same(() => x.clone().sub_(y, { alpha: 3.3 }), "sub_ alpha");
    same(() => x.clone().mul_(y), "mul_");
    same(() => x.clone().div_(y), "div_ (a zero and a NaN divisor)");
  });
  test("ReLU gives the reference's bits, -0 and NaN included", () => {
    const x = torch.randn(65, 63);
    x.storage.data[4] = -0;
    x.storage.data[5] = NaN;
    same(() => x.relu(), "relu");
  });
  test("ReLU's gradient gives the reference's bits, zeros, -0 and NaN outputs included", () => {
    const x = torch.randn(65, 63);
    x.storage.data[3] = 0;
    x.storage.data[4] = -0;
    x.storage.data[5] = NaN;
    same(() => {
      const w = x.detach().requiresGrad_();
      w.relu().backward(torch.ones(65, 63).mul(torch.arange(65 * 63).view(65, 63)));
      return w.grad!;
    }, "relu backward");
  });
  test("layer norm and its gradients give the reference's bits, odd sizes, with and without affine", () => {
    const F = torch.nn.functional;
    for (const [rows, cols] of [[37, 129], [8, 1027], [300, 7], [64, 128]] as const) {
      torch.manualSeed(rows * cols);
      const x = torch.randn(rows, cols).mul(3).add(1), w = torch.randn(cols), b = torch.randn(cols);
      const g = torch.randn(rows, cols);
      for (const affine of [true, false]) {
        const run = () => {
          const xs = x.clone().requiresGrad_();
          const ws = affine ? w.clone().requiresGrad_() : null, bs = affine ? b.clone().requiresGrad_() : null;
          const y = F.layerNorm(xs, [cols], { weight: ws, bias: bs, eps: 1e-5 });
          y.backward(g);
          return torch.cat([y.detach().flatten(), xs.grad!.flatten(), ...(affine ? [ws!.grad!, bs!.grad!] : [])]);
        };
        same(run, `layer norm [${rows}, ${cols}]${affine ? "" : " without affine"}`);
      }
    }
  });
  test("layer norm over a strided input and over two trailing dims agrees with the float64 formula", () => {
    const F = torch.nn.functional;
    torch.manualSeed(5);
    const x = torch.randn(6, 9, 2, 31).transpose(0, 1), w = torch.randn(2, 31), b = torch.randn(2, 31);
    const y = F.layerNorm(x, [2, 31], { weight: w, bias: b });
    const xd = x.to(torch.float64), mean = xd.mean({ dim: [2, 3], keepdim: true });
    const v = xd.sub(mean).square().mean({ dim: [2, 3], keepdim: true });
    const want = xd.sub(mean).div(v.add(1e-5).sqrt()).mul(w.to(torch.float64)).add(b.to(torch.float64));
    assert.ok(torch.allclose(y.to(torch.float64), want, { rtol: 1e-5, atol: 1e-5 }), "layer norm of a transposed input");
  });
  test("the fused Adam and AdamW steps give the reference's bits, odd sizes, every option but AMSGrad", () => {
    const cases = [
      ["Adam", {}], ["Adam", { weightDecay: 0.1, maximize: true }], ["AdamW", {}], ["AdamW", { weightDecay: 0.3, betas: [0.8, 0.95] as const, eps: 1e-6 }],
    ] as const;
    for (const [kind, options] of cases) {
      same(() => {
        torch.manualSeed(3);
        const ps = [torch.randn(3001).requiresGrad_(), torch.randn(7, 5).requiresGrad_(), torch.randn(41, 67).requiresGrad_()];
        const Opt = kind === "Adam" ? torch.optim.Adam : torch.optim.AdamW;
        const opt = new Opt(ps, { lr: 0.01, ...options });
        for (let step = 0; step < 3; step++) {
          for (const p of ps) p.grad = torch.randn(p.shape).mul(step + 1);
          opt.step();
        }
        return torch.cat(ps.map((p) => p.detach().flatten()));
      }, `${kind} ${JSON.stringify(options)}`);
    }
  });
  test("the fused Adam step gives the bits of PyTorch's single-tensor ops", () => {
    torch.manualSeed(4);
    const p0 = torch.randn(2053), grads = [torch.randn(2053), torch.randn(2053).mul(1e-3), torch.randn(2053).mul(30)];
    for (const b of [torch.cpuBackend, torch.wasmBackend]) {
      onBackend(b, () => {
        const p = p0.clone().requiresGrad_();
        const opt = new torch.optim.AdamW([p], { lr: 0.02, weightDecay: 0.1, betas: [0.9, 0.95] });
        const q = p0.clone(), m = torch.zeros(2053), v = torch.zeros(2053);
        grads.forEach((g, i) => {
          p.grad = g;
          opt.step();
          // torch/optim/adam.py's _single_tensor_adam, op by op
          const step = i + 1;
          q.mul_(1 - 0.02 * 0.1);
          m.mul_(0.9).add_(g, { alpha: 1 - 0.9 });
          v.mul_(0.95).add_(g.mul(1 - 0.95).mul(g));
          const denom = v.sqrt().div(Math.sqrt(1 - 0.95 ** step)).add_(1e-8);
          q.add_(m.mul(-0.02 / (1 - 0.9 ** step)).div(denom));
        });
        const a = p.detach().storage.data, r = q.storage.data;
        for (let i = 0; i < r.length; i++) assert.ok(Object.is(a[i], r[i]), `${b.name}: element ${i} is ${a[i]}, the tensor ops give ${r[i]}`);
      });
    }
  });
  test("parameters and optimizer state live in wasm memory and train as on the reference backend", () => {
    const train = (opt: "SGD" | "Adam") => {
      torch.manualSeed(1);
      const net = new torch.nn.Sequential(new torch.nn.Linear(70, 48), new torch.nn.ReLU(), new torch.nn.Linear(48, 5));
      const o = opt === "SGD" ? new torch.optim.SGD(net.parameters(), { lr: 0.1, momentum: 0.9 }) : new torch.optim.Adam(net.parameters(), { lr: 0.01 });
      const x = torch.randn(9, 70), y = torch.randint(0, 5, [9]);
      for (let i = 0; i < 3; i++) {
        o.zeroGrad();
        torch.nn.functional.crossEntropy(net(x), y).backward();
        o.step();
      }
      return net;
    };
    for (const opt of ["SGD", "Adam"] as const) {
      const ref = onBackend(torch.cpuBackend, () => train(opt)), got = onBackend(torch.wasmBackend, () => train(opt));
      const w = got.getParameter("0.weight");
      assert.ok(w.storage.data.buffer instanceof SharedArrayBuffer, "a 48x70 weight is resident in the shared wasm memory");
      assert.ok(!(got.getParameter("0.bias").storage.data.buffer instanceof SharedArrayBuffer), "a 48-element bias stays on V8's heap");
      for (const [name, p] of ref.namedParameters()) {
        assert.ok(torch.allclose(got.getParameter(name), p, { rtol: 1e-5, atol: 1e-6 }), `${opt}: ${name} after three steps`);
      }
    }
  });
  test("a kept weight gradient becomes resident and linear's product accumulates into it in place", () => {
    let fused = 0;
    const spy: torch.Backend = {
      ...torch.wasmBackend,
      matmulAccumulate: (...args) => { const done = torch.wasmBackend.matmulAccumulate(...args); fused += done ? 1 : 0; return done; },
    };
    const run = (setToNone: boolean, hook: boolean) => {
      torch.manualSeed(2);
      const net = new torch.nn.Sequential(new torch.nn.Linear(70, 48), new torch.nn.ReLU(), new torch.nn.Linear(48, 64));
      if (hook) net.getParameter("0.weight").registerHook((g) => g.mul(2));
      const o = new torch.optim.SGD(net.parameters(), { lr: 0.1, momentum: 0.9 });
      const x = torch.randn(9, 70), y = torch.randint(0, 64, [9]);
      const versions: number[] = [];
      for (let i = 0; i < 3; i++) {
        o.zeroGrad({ setToNone });
        torch.nn.functional.crossEntropy(net(x), y).backward();
        versions.push(net.getParameter("0.weight").grad!._version.value);
        o.step();
      }
      return { net, versions };
    };
    const resident = (t: Tensor) => t.storage.data.buffer instanceof SharedArrayBuffer;
    for (const [setToNone, hook] of [[false, false], [true, false], [false, true]] as const) {
      const ref = onBackend(torch.cpuBackend, () => run(setToNone, hook));
      fused = 0;
      const got = onBackend(spy, () => run(setToNone, hook));
      const what = `setToNone ${setToNone}, hook ${hook}`;
      for (const [name, p] of ref.net.namedParameters()) {
        const q = got.net.getParameter(name);
        assert.ok(torch.allclose(q.grad!, p.grad!, { rtol: 1e-5, atol: 1e-6 }), `${what}: ${name}.grad after three steps`);
        assert.ok(torch.allclose(q, p, { rtol: 1e-5, atol: 1e-6 }), `${what}: ${name} after three steps`);
      }
      const w0 = got.net.getParameter("0.weight").grad!, w2 = got.net.getParameter("2.weight").grad!;
      if (setToNone) {
        assert.equal(fused, 0, `${what}: every weight gradient is returned and added`);
        assert.ok(!resident(w0) && !resident(w2), `${what}: a gradient made fresh every step stays on V8's heap`);
      } else if (hook) {
        assert.equal(fused, 2, `${what}: only the hook-free second layer's weight gradient skips the add`);
      } else {
        // steps two and three, both layers (the first gradient is made by the generic path)
        assert.equal(fused, 4, `${what}: the weight gradients of steps 2 and 3 went straight into .grad`);
        assert.ok(resident(w0) && resident(w2), `${what}: kept weight gradients are resident`);
        assert.deepEqual(got.versions, ref.versions, `${what}: .grad's version moves as an add_ moves it`);
      }
    }
  });
  test("a convolution's weight gradient accumulates into its kept .grad in the GEMM's store", () => {
    let fused = 0;
    const spy: torch.Backend = {
      ...torch.wasmBackend,
      matmulAccumulate: (...args) => { const done = torch.wasmBackend.matmulAccumulate(...args); fused += done ? 1 : 0; return done; },
    };
    const { nn } = torch;
    const run = () => {
      torch.manualSeed(3);
      // one group without bias, one with, a strided one, and a grouped one (not fused: its product is per group)
      const net = new nn.Sequential(
        new nn.Conv2d(3, 40, 3, { padding: 1, bias: false }), new nn.ReLU(), new nn.Conv2d(40, 16, 3, { stride: 2 }),
        new nn.ReLU(), new nn.Conv2d(16, 8, 3, { groups: 2, padding: 1 }), new nn.Flatten(), new nn.Linear(8 * 5 * 5, 4),
      );
      const o = new torch.optim.SGD(net.parameters(), { lr: 0.05, momentum: 0.9 });
      const x = torch.randn(4, 3, 12, 12), y = torch.randint(0, 4, [4]);
      for (let i = 0; i < 3; i++) {
        o.zeroGrad();
        torch.nn.functional.crossEntropy(net(x), y).backward();
        o.step();
      }
      return net;
    };
    const ref = onBackend(torch.cpuBackend, run);
    const got = onBackend(spy, run);
    for (const [name, p] of ref.namedParameters()) {
      const q = got.getParameter(name);
      assert.ok(torch.allclose(q.grad!, p.grad!, { rtol: 1e-4, atol: 1e-6 }), `${name}.grad after three steps`);
      assert.ok(torch.allclose(q, p, { rtol: 1e-4, atol: 1e-6 }), `${name} after three steps`);
    }
    // steps two and three: the two ungrouped convolutions (weights large enough to be resident) and the linear layer
    assert.equal(fused, 6, "the weight gradients of steps 2 and 3 went straight into .grad");
  });
  test("small weight and bias gradients accumulate into a kept .grad in place with the reference's bits", () => {
    let products = 0, sums = 0;
    const spy: torch.Backend = {
      ...torch.wasmBackend,
      matmulAccumulate: (...args) => { const done = torch.wasmBackend.matmulAccumulate(...args); products += done ? 1 : 0; return done; },
      sumRowsAccumulate: (...args) => { const done = torch.wasmBackend.sumRowsAccumulate(...args); sums += done ? 1 : 0; return done; },
    };
    // the seed MLP (4-8-1, batch 2), three steps; the third adds onto the second's gradients (no zeroGrad)
    const run = () => {
      torch.manualSeed(4);
      const net = new torch.nn.Sequential(new torch.nn.Linear(4, 8), new torch.nn.ReLU(), new torch.nn.Linear(8, 1));
      const o = new torch.optim.SGD(net.parameters(), { lr: 0.1 });
      const x = torch.randn(2, 4), y = torch.randn(2, 1);
      const versions: number[] = [];
      for (let i = 0; i < 3; i++) {
        if (i !== 2) o.zeroGrad();
        torch.nn.functional.mseLoss(net(x), y).backward();
        versions.push(net.getParameter("0.bias").grad!._version.value);
        o.step();
      }
      return { net, versions };
    };
    const ref = onBackend(torch.cpuBackend, run), got = onBackend(spy, run);
    const bits = (t: Tensor) => Array.from(t.storage.data as Float32Array);
    for (const [name, p] of ref.net.namedParameters()) {
      const q = got.net.getParameter(name);
      assert.deepEqual(bits(q.grad!), bits(p.grad!), `${name}.grad after three steps`);
      assert.deepEqual(bits(q), bits(p), `${name} after three steps`);
    }
    // steps two and three, both layers (the first gradients are made by the generic path)
    assert.equal(products, 4, "weight gradients went straight into .grad");
    assert.equal(sums, 4, "bias gradients went straight into .grad");
    assert.deepEqual(got.versions, ref.versions, ".grad's version moves as an add_ moves it");
  });
  test("a large bias gradient adds the SIMD column sums into .grad in place, with the reference's bits", () => {
    // 32 x 128: 4,096 elements, above WASM_MIN_ELEMENTWISE
    const x = torch.randn(32, 128), start = torch.randn(128);
    const want = onBackend(torch.cpuBackend, () => start.add(x.sum(0)));
    const dst = Float32Array.from(start.storage.data as Float32Array);
    assert.ok(torch.wasmBackend.sumRowsAccumulate(dst, x.storage.data, x.layout));
    sameBits(dst, want.storage.data as Float32Array, "start + x.sum(0)");
    // a transposed gradient is declined and changes nothing (the caller sums it and adds)
    const before = Float32Array.from(dst), xt = torch.randn(128, 32).t();
    assert.equal(torch.wasmBackend.sumRowsAccumulate(dst, xt.storage.data, xt.layout), false);
    sameBits(dst, before, "declined: unchanged");
    // in a training step, the first layer's bias gradient takes this path
    let sums = 0;
    const spy: torch.Backend = {
      ...torch.wasmBackend,
      sumRowsAccumulate: (...args) => { const done = torch.wasmBackend.sumRowsAccumulate(...args); sums += done ? 1 : 0; return done; },
    };
    const run = () => {
      torch.manualSeed(5);
      const net = new torch.nn.Sequential(new torch.nn.Linear(16, 128), new torch.nn.ReLU(), new torch.nn.Linear(128, 3));
      const input = torch.randn(32, 16), y = torch.randn(32, 3);
      for (let i = 0; i < 3; i++) torch.nn.functional.mseLoss(net(input), y).backward();
      return net.getParameter("0.bias").grad!;
    };
    const ref = onBackend(torch.cpuBackend, run), got = onBackend(spy, run);
    // the products upstream round differently (fused multiply-add), so the sums agree to float32 rounding
    assert.ok(torch.allclose(got, ref, { rtol: 1e-5, atol: 1e-7 }), "three backward passes");
    assert.ok(sums >= 2, `bias gradients of passes two and three went straight into .grad (${sums})`);
  });
  test("a sum over leading dims (a bias gradient) gives the reference's bits", () => {
    const same = (fn: () => Tensor, what: string) => {
      const ref = onBackend(torch.cpuBackend, fn), got = onBackend(torch.wasmBackend, fn);
      assert.deepEqual(got.shape, ref.shape, what);
      assert.deepEqual(Array.from(got.storage.data as Float32Array), Array.from(ref.storage.data as Float32Array), `${what}: same bits`);
    };
    torch.manualSeed(3);
    const big = torch.randn(128, 256).mul(1e3), odd = torch.randn(33, 70), three = torch.randn(4, 5, 130);
    same(() => big.sum(0), "[128, 256] over rows");
    same(() => odd.sum(0), "[33, 70]: 16-, 4- and 1-column tails");
    same(() => three.sum([0, 1]), "[4, 5, 130] over dims 0 and 1");
    same(() => three.sum(0, true), "keepdim");
    const special = torch.randn(40, 70);
    special.storage.data[5] = Number.NaN; special.storage.data[70 + 9] = Number.POSITIVE_INFINITY; special.storage.data[20] = -0;
    same(() => special.sum(0), "NaN, infinity and -0");
    same(() => odd.T.contiguous().T.sum(0), "a transposed operand (the reference's path)");
  });
  test("resident storage stops at its limit instead of failing, and changes nothing when it does", () => {
    onBackend(torch.wasmBackend, () => torch.randn(64, 64).matmul(torch.randn(64, 64))); // the memory exists
    const before = wasmHeapStats();
    assert.equal(allocBlock(1 << 20, before.heapTop), -1, "a block past the limit is refused");
    assert.equal(allocBlock(2 ** 33), -1, "a block past 4 GiB is refused, not a RangeError from grow");
    assert.deepEqual(wasmHeapStats(), before, "a refused block leaves the heap as it was");
    const zeroed = residentFloats(5000);
    assert.ok(zeroed === null || zeroed.every((v) => v === 0), "resident floats start zeroed unless asked not to");
  });
  // the kernels themselves (the backend sends inputs below WASM_MIN_ELEMENTWISE to the reference)
  test("im2col and col2im give the reference's bits: padding, strides, dilation, resident or not", () => {
    const windows: Window2d[] = [
      { n: 2, c: 3, h: 9, w: 11, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1, dh: 1, dw: 1, oh: 9, ow: 11 },
      { n: 3, c: 2, h: 13, w: 10, kh: 3, kw: 2, sh: 2, sw: 3, ph: 2, pw: 1, dh: 2, dw: 1, oh: 7, ow: 4 },
      { n: 1, c: 5, h: 7, w: 7, kh: 5, kw: 5, sh: 1, sw: 1, ph: 4, pw: 4, dh: 1, dw: 1, oh: 11, ow: 11 },
      // unit strides and the input's row length: each tap's plane is one shifted copy
      { n: 3, c: 4, h: 5, w: 6, kh: 1, kw: 1, sh: 1, sw: 1, ph: 0, pw: 0, dh: 1, dw: 1, oh: 5, ow: 6 },
      { n: 2, c: 3, h: 9, w: 8, kh: 3, kw: 3, sh: 1, sw: 1, ph: 2, pw: 2, dh: 2, dw: 2, oh: 9, ow: 8 },
      { n: 4, c: 3, h: 1, w: 1, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1, dh: 1, dw: 1, oh: 1, ow: 1 },
      { n: 2, c: 2, h: 2, w: 2, kh: 5, kw: 5, sh: 1, sw: 1, ph: 2, pw: 2, dh: 1, dw: 1, oh: 2, ow: 2 },
      { n: 2, c: 2, h: 6, w: 20, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1, dh: 1, dw: 1, oh: 6, ow: 20 },
    ];
    for (const g of windows) {
      const x = torch.randn(g.n, g.c, g.h, g.w), size = g.c * g.kh * g.kw * g.n * g.oh * g.ow;
      const ref = torch.cpuBackend.im2col(x.storage.data, x.layout, g);
      const staged = wasmIm2col(x.storage.data as Float32Array, g, new Float32Array(size).fill(7));
      const resident = residentFloats(size, false)!.fill(7), xr = residentFloats(x.numel(), false)!;
      xr.set(x.storage.data as Float32Array);
      const inPlace = wasmIm2col(xr, g, resident);
      assert.equal(inPlace, resident, "a resident column buffer is written in place");
      assert.deepEqual(staged, ref, `im2col ${JSON.stringify(g)}`);
      assert.deepEqual(inPlace, ref, `im2col in place ${JSON.stringify(g)}`);
      const cols = torch.randn(size).mul(100).storage.data as Float32Array;
      const back = torch.cpuBackend.col2im(cols, g, torch.float32);
      assert.deepEqual(wasmCol2im(cols, g), back, `col2im ${JSON.stringify(g)}`);
      resident.set(cols);
      assert.deepEqual(wasmCol2im(resident, g), back, `col2im of resident columns ${JSON.stringify(g)}`);
    }
  });
  test("swapLeading gives the reference's bits: with and without bias, tails, resident or not", () => {
    for (const [a, b, l] of [[3, 4, 1], [5, 3, 7], [16, 9, 64], [2, 33, 6]] as const) {
      const n = a * b * l, x = torch.randn(n).storage.data as Float32Array, bias = torch.randn(a).storage.data as Float32Array;
      for (const withBias of [null, bias]) {
        const ref = torch.cpuBackend.swapLeading(x, a, b, l, withBias, torch.float32);
        const what = `${a}x${b}x${l}${withBias === null ? "" : " + bias"}`;
        assert.deepEqual(wasmSwapLeading(x, a, b, l, withBias), ref, what);
        const xr = residentFloats(n, false)!, out = residentFloats(n, false)!.fill(7);
        xr.set(x);
        assert.equal(wasmSwapLeading(xr, a, b, l, withBias, out), out, `${what}: a resident out is written in place`);
        assert.deepEqual(out, ref, `${what}, resident`);
        const host = new Float32Array(n + 3).fill(9);
        wasmSwapLeading(x, a, b, l, withBias, host.subarray(0, n));
        assert.deepEqual(host.subarray(0, n), ref, `${what}, into a host array`);
        assert.deepEqual([...host.subarray(n)], [9, 9, 9], `${what}: nothing past out is written`);
      }
    }
  });
  test("large im2col, col2im and swapLeading passes are shared with the helper thread, same bits", async () => {
    assert.equal(enableWasmThreads(), true);
    try {
      const g: Window2d = { n: 4, c: 37, h: 12, w: 12, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1, dh: 1, dw: 1, oh: 12, ow: 12 };
      const strided: Window2d = { ...g, sh: 2, sw: 2, oh: 6, ow: 6, kh: 5, kw: 5, ph: 2, pw: 2 };
      const before = wasmHelperBands();
      for (let round = 0; round < 50 && wasmHelperBands() === before; round++) {
        for (const w of [g, strided]) {
          const x = torch.randn(w.n, w.c, w.h, w.w).storage.data as Float32Array, size = w.c * w.kh * w.kw * w.n * w.oh * w.ow;
          const what = JSON.stringify(w);
          assert.deepEqual(wasmIm2col(x, w), torch.cpuBackend.im2col(x, torch.Layout.contiguous([w.n, w.c, w.h, w.w]), w), `im2col ${what}`);
          const cols = torch.randn(size).storage.data as Float32Array;
          assert.deepEqual(wasmCol2im(cols, w), torch.cpuBackend.col2im(cols, w, torch.float32), `col2im ${what}`);
        }
        const [a, b, l] = [300, 16, 40], y = torch.randn(a * b * l).storage.data as Float32Array, bias = torch.randn(a).storage.data as Float32Array;
        assert.deepEqual(wasmSwapLeading(y, a, b, l, bias), torch.cpuBackend.swapLeading(y, a, b, l, bias, torch.float32), "swapLeading");
      }
      assert.ok(wasmHelperBands() > before, "the helper thread ran some of the chunks");
    } finally {
      await disableWasmThreads();
    }
  });
  test("large elementwise passes and optimizer steps are shared with the helper thread where they gain, same bits", async () => {
    // every pass once on this thread, then again with the helper running: resident and host operands,
    // a length that is no multiple of the chunk alignment
    const n = (1 << 17) + 37, host = (seed: number) => { torch.manualSeed(seed); return torch.randn(n).storage.data as Float32Array; };
    const resident = (seed: number) => {
      const r = residentFloats(n, false)!;
      r.set(host(seed));
      return r;
    };
    const adam = { beta1: 0.9, beta2: 0.999, eps: 1e-8, stepSize: 1e-3, bc2Sqrt: 0.05, decay: 0.99, l2: 0, maximize: false };
    const sgd = { lr: 0.1, momentum: 0.9, dampening: 0, weightDecay: 1e-4, nesterov: true, maximize: false };
    const passes = (): Float32Array[] => {
      // all operands resident: shared; one on V8's heap (staged): this thread
      const [a, b, c, d, e] = [resident(1), host(2), resident(3), host(4), resident(5)];
      wasmUpdate("add", a, e, n, 0.5);
      wasmUpdate("mul", b, a, n, 1);
      wasmUpdateScalar("div", c, n, 3);
      const filled = resident(6);
      assert.equal(wasmFillResident(filled, 3, n - 3, 2.5), true);
      const [p, m, v, g] = [resident(7), resident(8), resident(9), resident(10)];
      v.set(v.map(Math.abs));
      wasmAdamStep(p, g, m, v, n, adam);
      const [p2, m2, v2] = [host(7), resident(8), host(9).map(Math.abs)];
      wasmAdamStep(p2, host(10), m2, v2, n, adam);
      const [q, buf, q2, buf2] = [resident(11), resident(12), host(11), resident(12)];
      wasmSgdStep(q, g, buf, n, sgd);
      wasmSgdStep(q2, host(10), buf2, n, sgd);
      // ReLU and binary ops stay on this thread; with the helper running they must still give the same bits
      const ops = [x.add(x2), x.div(2.5), wide.sub(bias), wide.mul(col), col.div(wide)].map((t) => t.storage.data as Float32Array);
      const dense = { off: 0, rows: 1, cols: n, sr: n };
      const squashed = [...(["sigmoid", "tanh", "exp", "neg", "abs", "sqrt", "log", "log10", "log1p"] as const).map((op) => wasmUnaryRows(op, d, dense)), wasmUnaryRows("tanh", resident(13), dense)];
      const grads = (["reluGrad", "sigmoidGrad", "tanhGrad"] as const).map((op) => wasmGradFromOutput(op, b, d, n));
      const acts = ([["silu", []], ["geluTanh", []], ["hardswish", []], ["elu", [2, 1, 0.5]], ["mish", []]] as const).flatMap(([op, p]) => [
        wasmActivation(op, d, n, p), wasmActivationBackward(op, b, d, n, p),
      ]);
      const out = [a, b, c, filled, wasmRelu(d, n), ...grads, wasmGelu(d, n), wasmGeluBackward(b, d, n), ...squashed, ...acts];
      return [...out, p, m, v, p2, m2, v2, q, buf, q2, buf2, ...ops].map((x) => Float32Array.from(x));
    };
    torch.manualSeed(12);
    const x = torch.randn(n), x2 = torch.randn(n), wide = torch.randn(517, 300), bias = torch.randn(300), col = torch.randn(517, 1);
    const alone = passes();
    assert.equal(enableWasmThreads(), true);
    try {
      const before = wasmHelperBands();
      for (let round = 0; round < 50 && wasmHelperBands() === before; round++) {
        passes().forEach((got, k) => sameBits(got, alone[k]!, `pass ${k}, two threads against one`));
      }
      assert.ok(wasmHelperBands() > before, "the helper thread ran some of the chunks");
    } finally {
      await disableWasmThreads();
    }
  });
  test("float64 stays on the TypeScript kernels (and in float64)", () => {
    const d = torch.randn(20, 20, { dtype: torch.float64 });
    assert.equal(d.matmul(d).dtype, torch.float64);
    agree(() => d.matmul(d), "float64");
  });
});
