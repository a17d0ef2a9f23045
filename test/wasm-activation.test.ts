// The float32 kernels of src/backend/wasm/assembly/activation.ts, activation-ops.ts and log.ts
// against the TypeScript reference, which computes in float64 and rounds once: GELU and its
// derivative, sigmoid, tanh, exp, neg, abs, sqrt and the logarithms, last-dim softmax and
// log-softmax and their gradients, SiLU, GELU's tanh form, ELU (SELU, CELU), Mish and the piecewise
// activations, over sweeps, random values and edge values (±0, NaN, ±Inf, subnormals, the kernels'
// region boundaries), at sizes the wasm backend takes (from 2048 elements, softmax from 512) with
// odd lengths (the partial last vector); sigmoid's and tanh's gradients from the output give
// PyTorch's bits. Tolerances are in float32 ulps of the result (or, where a gradient's terms cancel,
// of their size), plus the reference's own error where it has one: its float64 1 + erf(x/√2) (GELU,
// x < -5), 1 + tanh(u) (the tanh form, x < -7.2) and exp(x) - 1 (ELU, |x| below 1e-10) cancel; the
// kernels, computing erfc, x·σ(2u) and exp - 1 from the exp's reduced polynomial, do not.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as torch from "../src/index.ts";
import { Layout } from "../src/core/layout.ts";
import { type KernelActivation, wasmActivation, wasmActivationBackward, wasmUnaryRows } from "../src/backend/wasm/elementwise.ts";

const cpu = torch.cpuBackend, wasm = torch.wasmBackend, f32 = torch.float32;

const u32 = new Uint32Array(1), f32v = new Float32Array(u32.buffer);
/** The float32 spacing at |v| (at least the smallest subnormal). */
function ulp(v: number): number {
  f32v[0] = Math.abs(v);
  const a = f32v[0];
  u32[0]! += 1;
  return f32v[0] - a;
}

/** A deterministic mix: a sweep of [-16, 16], values of three scales, and the edge values at the front. */
function inputs(n: number, seed: number): Float32Array {
  const x = new Float32Array(n);
  let s = seed;
  const rnd = () => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return s / 2 ** 32; };
  const sweep = n >> 1;
  for (let i = 0; i < n; i++) x[i] = i < sweep ? -16 + (32 * i) / sweep : (rnd() - 0.5) * [40, 4, 0.02][i % 3]!;
  const edges = [0, -0, NaN, Infinity, -Infinity, 1e-30, -1e-30, 1e-45, -1e-45, 0.75, -0.75, 0.7499999, -0.7499999,
    1.5122280, -1.5122280, 5.5, -5.5, 8.3, -8.3, 13.2, -13.2, 14.42, -14.42, 15, -15, 100, -100, 3e38, -3e38];
  edges.forEach((v, i) => (x[i * 3] = v));
  return x;
}

const PDF = 1 / Math.sqrt(2 * Math.PI);

/** How withinUlps measures: the reference's own error, the scale of cancelling terms, signed zeros. */
interface Measure {
  /** The reference's own error at element i (0: exact to its rounding). */
  refError?: (i: number) => number;
  /** The size of terms that cancel at element i: the ulps are of the larger of it and the result. */
  scale?: (i: number) => number;
  /** Whether a zero must have the reference's sign (false where the reference's zero is its own cancellation). */
  zeroSigns?: boolean;
}

/**
 * Checks `got` against the reference `ref` elementwise: NaN where it has NaN, its signed zeros, else
 * within `ulps` of it beyond its own error. Returns how many are its exact bits, and fails when none
 * differ (a comparison that measured nothing).
 */
function withinUlps(op: string, x: Float32Array, got: Float32Array, ref: Float32Array, ulps: number, m: Measure = {}): number {
  const { refError = () => 0, scale = () => 0, zeroSigns = true } = m;
  let worst = 0, same = 0;
  for (let i = 0; i < x.length; i++) {
    const r = ref[i]!, w = got[i]!;
    assert.equal(Number.isNaN(w), Number.isNaN(r), `${op}: NaN at x = ${x[i]}`);
    if (Number.isNaN(r)) continue;
    if (r === 0 && w === 0 && zeroSigns) assert.ok(Object.is(r, w), `${op}: sign of zero at x = ${x[i]}`);
    if (Object.is(r, w)) { same++; continue; }
    assert.ok(Number.isFinite(w) || w === r, `${op}(${x[i]}): ${w} against ${r}`);
    const err = (Math.abs(w - r) - refError(i)) / ulp(Math.max(Math.abs(r), scale(i)));
    worst = Math.max(worst, err);
    assert.ok(err <= ulps, `${op}(${x[i]}): ${w} against ${r}, ${err.toFixed(2)} ulps`);
  }
  assert.ok(worst > 0, `${op}: the comparison saw differences to measure`);
  return same;
}

describe("wasm GELU (exact form)", () => {
  for (const n of [2048, 40_003]) {
    const x = inputs(n, n), layout = new Layout([n], [1], 0);
    const ref = cpu.activation("gelu", x, layout, [], f32) as Float32Array;
    const got = wasm.activation("gelu", x, layout, [], f32) as Float32Array;

    test(`forward within 6 ulps of the reference, NaN and signed zeros as the reference (n = ${n})`, () => {
      // the reference's own error: its float64 1 + erf(x/√2) cancels for x < -5
      const same = withinUlps("gelu", x, got, ref, 6, { refError: (i) => Math.abs(x[i]!) * 2 ** -52 });
      assert.ok(same > n / 3, `most results are the reference's bits (${same} of ${n})`);
    });

    test(`backward within 4 ulps of g·(Φ + |x|φ) (n = ${n})`, () => {
      const g = inputs(n, n + 1).map((v) => (Number.isFinite(v) ? Math.sin(v) : v));
      const dRef = cpu.activationBackward("gelu", g, layout, x, layout, [], false, f32) as Float32Array;
      const dGot = wasm.activationBackward("gelu", g, layout, x, layout, [], false, f32) as Float32Array;
      for (let i = 0; i < n; i++) {
        const r = dRef[i]!, w = dGot[i]!, xv = x[i]!;
        assert.equal(Number.isNaN(w), Number.isNaN(r), `NaN at x = ${xv}, g = ${g[i]}`);
        if (Number.isNaN(r) || Object.is(r, w)) continue;
        // the derivative's terms Φ(x) and x·φ(x) cancel near x = -0.75: their size sets the scale
        const phi = xv === 0 ? 0.5 : ref[i]! / xv;
        const scale = Math.abs(g[i]!) * (Math.abs(phi) + Math.abs(xv) * Math.exp(-xv * xv / 2) * PDF);
        const err = (Math.abs(w - r) - Math.abs(g[i]!) * 2 ** -52) / ulp(Math.max(Math.abs(r), scale));
        assert.ok(err <= 4, `x = ${xv}, g = ${g[i]}: ${w} against ${r}, ${err.toFixed(2)} ulps`);
      }
    });
  }

  test("nn.GELU trains the same on both backends (tensor path, odd shape)", () => {
    torch.manualSeed(3);
    const x0 = torch.randn(37, 61).mul(3);
    const run = (b: torch.Backend) => {
      const prev = torch.setBackend(b);
      try {
        const x = x0.clone().requiresGrad_();
        const y = torch.nn.functional.gelu(x);
        y.mul(y).sum().backward();
        return [y, x.grad!] as const;
      } finally { torch.setBackend(prev); }
    };
    const [yr, gr] = run(cpu), [yw, gw] = run(wasm);
    // atol: the reference's float64 1 + erf(x/√2) is off by up to |x|·2^-53 for x < -5
    assert.ok(torch.allclose(yw, yr, { rtol: 8e-7, atol: 1e-14 }), "forward");
    assert.ok(torch.allclose(gw, gr, { rtol: 2e-6, atol: 1e-6 }), "gradient");
  });
});

describe("wasm last-dim softmax and log-softmax", () => {
  for (const [rows, cols] of [[64, 64], [40, 65], [293, 7], [2048, 1], [128, 10], [32, 16]] as const) {
    const n = rows * cols;
    const x = inputs(n, cols).map((v) => (Number.isFinite(v) ? v : v));
    // rows 1, 2, 3: one NaN, fully masked, half masked (attention's causal mask)
    if (rows > 3) {
      x[cols] = NaN;
      x.fill(-Infinity, 2 * cols, 3 * cols);
      for (let j = 0; j < cols; j += 2) x[3 * cols + j] = -Infinity;
    }
    const g = inputs(n, cols + 7).map((v) => (Number.isFinite(v) ? Math.cos(v) : 0.5));
    for (const log of [false, true]) {
      const what = `${log ? "log-softmax" : "softmax"} [${rows}, ${cols}]`;
      test(`${what}: forward within 2 ulps, backward within 2 ulps of its terms`, () => {
        const yr = cpu.softmax(x, rows, cols, log, f32) as Float32Array, yw = wasm.softmax(x, rows, cols, log, f32) as Float32Array;
        const dr = cpu.softmaxBackward(g, yr, rows, cols, log, f32) as Float32Array;
        const dw = wasm.softmaxBackward(g, yr, rows, cols, log, f32) as Float32Array;
        for (let i = 0; i < rows; i++) {
          let sum = 0, lse = 0;
          for (let j = 0; j < cols; j++) {
            const k = i * cols + j;
            sum += log ? g[k]! : g[k]! * yr[k]!;
            if (log && Number.isFinite(yr[k]!)) lse = Math.max(lse, Math.abs(yr[k]!));
          }
          for (let j = 0; j < cols; j++) {
            const k = i * cols + j, r = yr[k]!, w = yw[k]!;
            assert.equal(Number.isNaN(w), Number.isNaN(r), `${what} NaN at [${i}, ${j}]`);
            if (!Object.is(r, w) && !Number.isNaN(r)) {
              // log-softmax subtracts log Σe, whose last bit may differ: its ulp bounds the error
              const tol = 2 * ulp(r) + (log ? 2 * ulp(lse) : 0);
              assert.ok(Math.abs(w - r) <= tol, `${what} [${i}, ${j}] x = ${x[k]}: ${w} against ${r}`);
            }
            const dR = dr[k]!, dW = dw[k]!;
            assert.equal(Number.isNaN(dW), Number.isNaN(dR), `${what} gradient NaN at [${i}, ${j}]`);
            if (Object.is(dR, dW) || Number.isNaN(dR)) continue;
            const terms = log ? Math.abs(g[k]!) + Math.abs(Math.exp(r) * sum) : (Math.abs(g[k]!) + Math.abs(sum)) * Math.abs(r);
            assert.ok(Math.abs(dW - dR) <= 2 * ulp(dR) + 2 * ulp(terms), `${what} gradient [${i}, ${j}]: ${dW} against ${dR}`);
          }
        }
      });
    }
  }

  test("attention-shaped masked softmax through the tensor API agrees on both backends", () => {
    torch.manualSeed(5);
    const att0 = torch.randn(2, 4, 64, 64).mul(2);
    const mask = torch.ones(64, 64).tril().eq(0);
    const run = (b: torch.Backend) => {
      const prev = torch.setBackend(b);
      try {
        const att = att0.clone().requiresGrad_();
        const y = att.maskedFill(mask, -Infinity).softmax(-1);
        y.mul(att0).sum().backward();
        const lp = att0.view(512, 64).logSoftmax(-1);
        return [y, att.grad!, lp] as const;
      } finally { torch.setBackend(prev); }
    };
    const [yr, gr, lr] = run(cpu), [yw, gw, lw] = run(wasm);
    assert.ok(torch.allclose(yw, yr, { rtol: 3e-7, atol: 1e-38 }));
    assert.ok(torch.allclose(gw, gr, { rtol: 1e-5, atol: 1e-6 }));
    assert.ok(torch.allclose(lw, lr, { rtol: 3e-7, atol: 1e-6 }));
  });
});

describe("wasm sigmoid, tanh, exp, neg, abs, sqrt and the logarithms (log1p too), and sigmoid's and tanh's gradients from the output", () => {
  for (const op of ["neg", "abs", "sqrt", "sign"] as const) {
    test(`${op}: the reference's bits, over edge values and a strided view`, () => {
      const n = 40_003, x = inputs(n, n + 3), layout = new Layout([n], [1], 0);
      const ref = cpu.unary(op, x, layout, f32) as Float32Array, got = wasm.unary(op, x, layout, f32) as Float32Array;
      for (let i = 0; i < n; i++) {
        assert.ok(Object.is(got[i], ref[i]) || (Number.isNaN(got[i]) && Number.isNaN(ref[i])), `${op}(${x[i]}): ${got[i]} against ${ref[i]}`);
      }
      const view = new Layout([79, 400], [500, 1], 7), rows = wasm.unary(op, x, view, f32) as Float32Array;
      assert.deepEqual(Array.from(rows), Array.from(cpu.unary(op, x, view, f32) as Float32Array));
    });
  }

  for (const op of ["log", "log2", "log10", "log1p"] as const) {
    test(`${op}: the reference's bits but within one part in 2^30 of a rounding boundary, over every exponent and a strided view`, () => {
      // every float32 exponent (subnormals included) of both signs, dense sweeps of [0, 4] and [-1, 1], and the edges
      const n = 1 << 18, x = new Float32Array(n), bits = new Uint32Array(x.buffer);
      for (let i = 0; i < n; i++) {
        if (i % 2) bits[i] = Math.imul(i, 2654435761) >>> 0;
        else x[i] = i % 4 ? -1 + (2 * i) / n : (i / n) * 4;
      }
      [0, -0, 1, -1, NaN, Infinity, -Infinity, 1e-45, 1e-40, 1.1754942e-38, 1.1754944e-38, 3.4e38, Math.SQRT2, 1.4142137, 0.70710677,
        -0.9999999, 1e-10, -1e-10, -1e-45].forEach((v, i) => (x[4 * i] = v));
      const layout = new Layout([n], [1], 0), ref = cpu.unary(op, x, layout, f32) as Float32Array;
      const got = wasmUnaryRows(op, x, { off: 0, rows: 1, cols: n, sr: n }), dispatched = wasm.unary(op, x, layout, f32) as Float32Array;
      let differ = 0;
      for (let i = 0; i < n; i++) {
        const r = ref[i]!, w = got[i]!;
        if (Object.is(r, w) || (Number.isNaN(r) && Number.isNaN(w))) continue;
        differ++;
        assert.ok(Math.abs(w - r) <= ulp(r), `${op}(${x[i]}): ${w} against ${r}`);
      }
      assert.ok(got.every((v, i) => Object.is(v, dispatched[i]) || (Number.isNaN(v) && Number.isNaN(dispatched[i]))), `${op} through the backend`);
      assert.ok(differ <= n / 10_000, `${op}: ${differ} of ${n} results differ from the reference's`);
      const view = new Layout([79, 400], [500, 1], 7), rows = wasm.unary(op, x, view, f32) as Float32Array, want = cpu.unary(op, x, view, f32) as Float32Array;
      assert.ok(rows.every((v, i) => Object.is(v, want[i]) || (Number.isNaN(v) && Number.isNaN(want[i]))), `${op} over a strided view`);
    });
  }

  for (const op of ["sigmoid", "tanh", "exp"] as const) {
    for (const n of [2048, 40_003]) {
      test(`${op}: within 2 ulps of the reference, NaN, ±Inf and signed zeros as the reference (n = ${n})`, () => {
        const x = inputs(n, n + 7), layout = new Layout([n], [1], 0);
        const ref = cpu.unary(op, x, layout, f32) as Float32Array;
        const got = wasm.unary(op, x, layout, f32) as Float32Array;
        const same = withinUlps(op, x, got, ref, 2);
        assert.ok(same > n / 2, `most results are the reference's bits (${same} of ${n})`);
      });
    }

    test(`${op}: a split's strided rows give the dense input's bits, staged or resident`, () => {
      torch.manualSeed(11);
      const gates = torch.randn(33, 4 * 100).mul(4), dense = gates.slice(1, 200, 300).contiguous();
      const want = wasm.unary(op, dense.storage.data, dense.layout, f32) as Float32Array;
      const view = gates.slice(1, 200, 300);
      assert.deepEqual(Array.from(wasm.unary(op, view.storage.data, view.layout, f32) as Float32Array), Array.from(want));
      const rv = torch.noGrad(() => new torch.nn.Parameter(gates.clone()).slice(1, 200, 300));
      assert.ok(wasm.resident(rv.storage.data), "a parameter's storage is resident");
      assert.deepEqual(Array.from(wasm.unary(op, rv.storage.data, rv.layout, f32) as Float32Array), Array.from(want));
    });
  }

  // PyTorch's sigmoid_backward and tanh_backward (scripts/fixtures/activation_grads.py), tiled past the wasm backend's threshold
  const fixture = JSON.parse(readFileSync(new URL("./fixtures/activation-grads.json", import.meta.url), "utf8")) as {
    cases: { op: "sigmoidGrad" | "tanhGrad"; dtype: "float32" | "float64"; g: number[]; y: number[]; out: number[] }[];
  };
  for (const backend of [cpu, wasm]) {
    for (const c of fixture.cases) {
      test(`${c.op} ${c.dtype} on the ${backend.name} backend: PyTorch's bits`, () => {
        const dtype = c.dtype === "float32" ? f32 : torch.float64, tiles = 5, n = tiles * c.g.length;
        const tile = (v: number[]) => {
          const t = dtype === f32 ? new Float32Array(n) : new Float64Array(n);
          for (let i = 0; i < n; i++) t[i] = v[i % v.length]!;
          return t;
        };
        const layout = new Layout([n], [1], 0);
        const got = backend.binary(c.op, tile(c.g), layout, tile(c.y), layout, dtype);
        const want = tile(c.out);
        for (let i = 0; i < n; i++) assert.ok(Object.is(got[i], want[i]), `g = ${c.g[i % c.g.length]}, y = ${c.y[i % c.y.length]}: ${got[i]} against ${want[i]}`);
      });
    }
  }

  test("sigmoid and tanh train an LSTM cell the same on both backends", () => {
    torch.manualSeed(4);
    const x0 = torch.randn(35, 8, 16), cell = new torch.nn.LSTM(16, 64);
    const run = (b: torch.Backend) => {
      const prev = torch.setBackend(b);
      try {
        const x = x0.clone().requiresGrad_();
        cell.zeroGrad();
        const [out] = cell.forward(x);
        out.mul(out).sum().backward();
        return [out, x.grad!, new Map(cell.namedParameters()).get("weight_hh_l0")!.grad!] as const;
      } finally { torch.setBackend(prev); }
    };
    const r = run(cpu), w = run(wasm);
    r.forEach((t, i) => assert.ok(torch.allclose(w[i]!, t, { rtol: 1e-5, atol: 1e-6 }), `tensor ${i}`));
  });
});

describe("wasm SiLU, GELU's tanh form, ELU, Mish, leakyReLU, hardtanh, hardsigmoid, hardswish and threshold", () => {
  /** inputs() with the piecewise functions' corners added (hardtanh's and threshold's parameters, ±3). */
  const cornered = (n: number, seed: number) => {
    const x = inputs(n, seed);
    [-3, 3, -1, 1, 6, 0.1, -2.9999998, 2.9999998, -1.2785, -7.2, -8, -10.4, -104, -108, -130].forEach((v, i) => (x[1 + i * 3] = v));
    return x;
  };
  const grads = (x: Float32Array) => x.map((v, i) => (Number.isFinite(v) ? Math.cos(3.7 * v) * (i % 5 === 0 ? 1e3 : 1) : v));

  const exact: [KernelActivation, number[]][] = [
    ["leakyRelu", [0.01]], ["leakyRelu", [-0.2]], ["leakyRelu", [1.5]], ["hardtanh", [-1, 1]], ["hardtanh", [0, 6]],
    ["hardsigmoid", []], ["hardswish", []], ["threshold", [0.1, 20]], ["threshold", [-1, -0]],
  ];
  for (const [op, params] of exact) {
    test(`${op}(${params.join(", ")}): the kernel and the backend give the reference's bits, forward and backward`, () => {
      const n = 40_003, x = cornered(n, n + 11), g = grads(x), layout = new Layout([n], [1], 0);
      const cases = [
        ["forward", cpu.activation(op, x, layout, params, f32), wasmActivation(op, x, n, params), wasm.activation(op, x, layout, params, f32)],
        ["backward", cpu.activationBackward(op, g, layout, x, layout, params, false, f32), wasmActivationBackward(op, g, x, n, params),
          wasm.activationBackward(op, g, layout, x, layout, params, false, f32)],
      ] as const;
      // Object.is: a NaN's payload may differ (float64 arithmetic makes x86's negative default NaN)
      for (const [what, ref, kernel, dispatched] of cases) {
        for (let i = 0; i < n; i++) {
          assert.ok(Object.is(kernel[i], ref[i]), `${op} ${what} at x = ${x[i]}, g = ${g[i]}: ${kernel[i]} against ${ref[i]}`);
          assert.ok(Object.is(dispatched[i], ref[i]), `${op} ${what} through the backend at x = ${x[i]}`);
        }
      }
    });
  }

  const B = Math.sqrt(2 / Math.PI), K = 0.044715, sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
  for (const n of [2048, 40_003, 200_003]) {
    const x = cornered(n, n + 5), g = grads(x), layout = new Layout([n], [1], 0);

    test(`SiLU within 2 ulps of the reference, its gradient within 2 ulps of its terms (n = ${n})`, () => {
      const same = withinUlps("silu", x, wasm.activation("silu", x, layout, [], f32) as Float32Array, cpu.activation("silu", x, layout, [], f32) as Float32Array, 2);
      assert.ok(same > n / 2, `most results are the reference's bits (${same} of ${n})`);
      // g·σ·(1 + x·σ(-x)) cancels near x = -1.2785: the size of g·σ·x·σ(-x) sets the scale
      const scale = (i: number) => Math.abs(g[i]! * sigmoid(x[i]!) * x[i]! * sigmoid(-x[i]!)) || 0;
      const dRef = cpu.activationBackward("silu", g, layout, x, layout, [], false, f32) as Float32Array;
      withinUlps("silu'", x, wasm.activationBackward("silu", g, layout, x, layout, [], false, f32) as Float32Array, dRef, 2, { scale });
    });

    test(`GELU's tanh form within 2 ulps beyond the reference's error, also where the reference's 1 + tanh cancels (n = ${n})`, () => {
      // the reference's float64 1 + tanh(u) is off by up to 2^-53, which is all of it below x = -7.2:
      // there the kernel's x·σ(2u) keeps the value (-2e-16 at -7.2) where the reference has 0
      const refError = (i: number) => Math.abs(x[i]!) * 2 ** -52;
      const ref = cpu.activation("geluTanh", x, layout, [], f32) as Float32Array;
      const got = wasm.activation("geluTanh", x, layout, [], f32) as Float32Array;
      withinUlps("geluTanh", x, got, ref, 2, { refError });
      for (const v of [-8, -10.4]) {
        const at = x.indexOf(Math.fround(v)), exact = v * sigmoid(2 * B * (v + K * v * v * v));
        assert.ok(Object.is(ref[at], -0), `the reference's 1 + tanh cancels at x = ${v}: ${ref[at]}`);
        assert.ok(Math.abs(got[at]! - exact) <= 2 * ulp(exact), `x = ${v}: ${got[at]} against x·σ(2u) = ${exact}`);
      }

      // g·(σ(z) + right), right = 2β·x·σ(z)·σ(-z)·(1 + 3κx²), cancels near x = -1.5; the reference's
      // 1 - tanh² and 1 + tanh are off by up to 2^-52, which its zeros below x = -7 are made of
      const u2 = (v: number) => 2 * B * (v + K * v * v * v), q = (v: number) => 1 + 3 * K * v * v;
      const scale = (i: number) => Math.abs(g[i]! * 2 * B * x[i]! * sigmoid(u2(x[i]!)) * sigmoid(-u2(x[i]!)) * q(x[i]!)) || 0;
      const gradError = (i: number) => Math.abs(g[i]!) * (2 ** -53 + Math.abs(0.5 * x[i]! * B * q(x[i]!)) * 2 ** -51) || 0;
      const dRef = cpu.activationBackward("geluTanh", g, layout, x, layout, [], false, f32) as Float32Array;
      const dGot = wasm.activationBackward("geluTanh", g, layout, x, layout, [], false, f32) as Float32Array;
      withinUlps("geluTanh'", x, dGot, dRef, 2, { scale, refError: gradError, zeroSigns: false });
    });
  }

  const elus: [string, number[]][] = [["ELU", [1, 1, 1]], ["SELU", [1.6732632423543772, 1.0507009873554805, 1]], ["CELU(α = 2)", [2, 1, 0.5]]];
  for (const [name, params] of elus) {
    test(`${name} within 2 ulps beyond the reference's error, its gradients within 2 ulps and from the result the reference's bits`, () => {
      const n = 40_003, x = cornered(n, n + 9), g = grads(x), layout = new Layout([n], [1], 0);
      x[2] = -1e-30;
      // the reference's float64 exp(x·c) - 1 is off by up to 2^-53, all of it for |x·c| < 2^-53 (0 at
      // x = -1e-30); the kernel's exp - 1 does not cancel
      const factor = Math.fround(Math.fround(params[0]!) * Math.fround(params[1]!)), refError = () => Math.abs(factor) * 2 ** -52;
      const ref = cpu.activation("elu", x, layout, params, f32) as Float32Array;
      withinUlps(name, x, wasm.activation("elu", x, layout, params, f32) as Float32Array, ref, 2, { refError });
      const tiny = (wasm.activation("elu", x, layout, params, f32) as Float32Array)[2]!, exact = -1e-30 * factor * params[2]!;
      assert.ok(Math.abs(tiny - exact) <= 2 * ulp(exact), `x = -1e-30: ${tiny} against ${exact}`);
      const dRef = cpu.activationBackward("elu", g, layout, x, layout, params, false, f32) as Float32Array;
      withinUlps(`${name}'`, x, wasm.activationBackward("elu", g, layout, x, layout, params, false, f32) as Float32Array, dRef, 2);
      const fromResult = cpu.activationBackward("elu", g, layout, ref, layout, params, true, f32);
      const got = wasm.activationBackward("elu", g, layout, ref, layout, params, true, f32);
      for (let i = 0; i < n; i++) assert.ok(Object.is(got[i], fromResult[i]), `${name}' from the result ${ref[i]}: ${got[i]} against ${fromResult[i]}`);
    });
  }

  test("Mish within 2 ulps of the reference, its gradient within 2 ulps of its terms, zeros signed as the reference's", () => {
    const n = 200_003, x = cornered(n, n + 13), g = grads(x), layout = new Layout([n], [1], 0);
    const same = withinUlps("mish", x, wasm.activation("mish", x, layout, [], f32) as Float32Array, cpu.activation("mish", x, layout, [], f32) as Float32Array, 2);
    assert.ok(same > n / 2, `most results are the reference's bits (${same} of ${n})`);
    // g·(t + x·σ(x)·(1 - t²)) cancels near x = -1.19: the size of its second term sets the scale
    const t = (v: number) => Math.tanh(Math.log1p(Math.exp(v)));
    const scale = (i: number) => Math.abs(g[i]! * x[i]! * sigmoid(x[i]!) * (1 - t(x[i]!) ** 2)) || 0;
    const dRef = cpu.activationBackward("mish", g, layout, x, layout, [], false, f32) as Float32Array;
    withinUlps("mish'", x, wasm.activationBackward("mish", g, layout, x, layout, [], false, f32) as Float32Array, dRef, 2, { scale });
  });

  test("SiLU, GELU's tanh form, Hardswish, ReLU6, LeakyReLU, ELU and Mish train the same on both backends (tensor path, odd shape)", () => {
    torch.manualSeed(6);
    const x0 = torch.randn(37, 61).mul(4), F = torch.nn.functional;
    const fns = [
      F.silu, (t: torch.Tensor) => F.gelu(t, { approximate: "tanh" }), F.hardswish, F.relu6, (t: torch.Tensor) => F.leakyRelu(t, 0.1),
      (t: torch.Tensor) => F.elu(t), (t: torch.Tensor) => F.celu(t, 0.5), F.mish, (t: torch.Tensor) => F.elu(t.mul(1), { inplace: true }),
    ];
    for (const [k, f] of fns.entries()) {
      const run = (b: torch.Backend) => {
        const prev = torch.setBackend(b);
        try {
          const x = x0.clone().requiresGrad_();
          const y = f(x);
          y.mul(y).sum().backward();
          return [y, x.grad!] as const;
        } finally { torch.setBackend(prev); }
      };
      const [yr, gr] = run(cpu), [yw, gw] = run(wasm);
      assert.ok(torch.allclose(yw, yr, { rtol: 3e-7, atol: 1e-14 }), `forward ${k}`);
      assert.ok(torch.allclose(gw, gr, { rtol: 1e-6, atol: 1e-6 }), `gradient ${k}`);
    }
  });
});
