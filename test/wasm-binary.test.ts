// float32 add, sub, mul, div, maximum and minimum on the SIMD kernel (src/backend/wasm/binary.ts)
// against the TypeScript reference, bit for bit (IEEE float32 arithmetic is exactly rounded, and so
// is the reference's float64 result rounded to float32; maximum and minimum pick an operand by the
// reference's rule, NaN first, the second of two zeros), pow by 2 as the product x·x that
// Math.pow rounds to, the comparisons into bool, and where: equal shapes, scalars on either side, trailing
// broadcasts ([B, T, C] op [C]), columns ([B, T, 1]), strided rows (a split's view), transposed
// operands (the strided fallback), resident operands, odd lengths; then gradients through both
// backends.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as torch from "../src/index.ts";
import { Layout } from "../src/core/layout.ts";
import { planBinary, wasmBinary, wasmCompare, wasmLogic, wasmWhere } from "../src/backend/wasm/binary.ts";
import { residentPtr } from "../src/backend/wasm/matmul.ts";

const cpu = torch.cpuBackend, wasm = torch.wasmBackend, f32 = torch.float32;
const OPS = ["add", "sub", "mul", "div", "maximum", "minimum"] as const;

/** Deterministic floats of mixed scales with edge values (±0, NaN, ±Inf, subnormals, huge) sprinkled in. */
function values(n: number, seed: number): Float32Array {
  const x = new Float32Array(n);
  let s = seed;
  const rnd = () => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return s / 2 ** 32; };
  for (let i = 0; i < n; i++) x[i] = (rnd() - 0.5) * [40, 1, 1e-3, 3e37][i % 4]!;
  const edges = [0, -0, NaN, Infinity, -Infinity, 1e-45, -1e-45, 1e-38, 3.4e38, -3.4e38];
  // the seed shifts the edges, so two operands pair different ones (+0 with -0, NaN with a number)
  for (let i = 0; i < n; i += 97) x[i] = edges[(i / 97 + seed) % edges.length]!;
  return x;
}

/** Same bits, except that any NaN matches any NaN (payloads are not specified). */
function assertSameBits(got: Float32Array, ref: Float32Array, what: string): void {
  assert.equal(got.length, ref.length, `${what}: length`);
  for (let i = 0; i < ref.length; i++) {
    const r = ref[i]!, g = got[i]!;
    if (Number.isNaN(r) && Number.isNaN(g)) continue;
    assert.ok(Object.is(g, r), `${what}: element ${i} is ${g}, the reference ${r}`);
  }
}

interface Case { name: string; a: [Float32Array, Layout]; b: [Float32Array, Layout]; planned: boolean }

function cases(): Case[] {
  const B = 3, T = 37, C = 45, n = B * T * C;
  const dense = (shape: number[], seed: number, extra = 0): [Float32Array, Layout] => {
    const l = Layout.contiguous(shape);
    const data = values(l.numel + extra, seed);
    return [data, extra ? new Layout(l.shape, l.strides, extra) : l];
  };
  const full = dense([B, T, C], 1), other = dense([B, T, C], 2);
  const scalar = (v: number): [Float32Array, Layout] => [Float32Array.of(v), new Layout([], [], 0).expand([B, T, C])];
  const bias = dense([C], 3), col = dense([B, T, 1], 4);
  const wide = dense([B, T, 3 * C], 5);
  const split: [Float32Array, Layout] = [wide[0], wide[1].slice(2, C, 2 * C)];
  const mask = dense([T, C], 6);
  const tData = dense([B, C, T], 7);
  const transposed: [Float32Array, Layout] = [tData[0], tData[1].transpose(1, 2)];
  return [
    { name: "equal shapes", a: full, b: other, planned: true },
    { name: "offset operand", a: dense([B, T, C], 8, 5), b: other, planned: true },
    { name: "odd length", a: dense([2049], 9), b: dense([2049], 10), planned: true },
    { name: "tensor op scalar", a: full, b: scalar(0.1767767), planned: true },
    { name: "scalar op tensor", a: scalar(-3.25), b: full, planned: true },
    { name: "[B, T, C] op [C]", a: full, b: [bias[0], bias[1].expand([B, T, C])], planned: true },
    { name: "[C] op [B, T, C]", a: [bias[0], bias[1].expand([B, T, C])], b: full, planned: true },
    { name: "[B, T, C] op [B, T, 1]", a: full, b: [col[0], col[1].expand([B, T, C])], planned: true },
    { name: "[B, T, 1] op [B, T, C]", a: [col[0], col[1].expand([B, T, C])], b: full, planned: true },
    { name: "split view op dense", a: split, b: other, planned: true },
    { name: "[B, T, C] op [T, C] (three merged dims)", a: full, b: [mask[0], mask[1].unsqueeze(0).expand([B, T, C])], planned: true },
    { name: "[B, 1, C] op [B, T, 1] (an outer dim)", a: [dense([B, 1, C], 11)[0], Layout.contiguous([B, 1, C]).expand([B, T, C])], b: [col[0], col[1].expand([B, T, C])], planned: true },
    { name: "transposed operand (strided fallback)", a: transposed, b: other, planned: false },
    { name: "small (stays on the reference)", a: dense([5, 7], 12), b: dense([5, 7], 13), planned: true },
  ].map((c) => ({ ...c, planned: c.planned && n > 0 })) as Case[];
}

describe("wasm binary add/sub/mul/div/maximum/minimum", () => {
  for (const c of cases()) {
    test(`${c.name}: the reference's bits for all six ops, from the kernel and through the backend`, () => {
      const [a, la] = c.a, [b, lb] = c.b, plan = planBinary(la, lb);
      assert.equal(plan !== null, c.planned, "which operands the kernel takes");
      for (const op of OPS) {
        const ref = cpu.binary(op, a, la, b, lb, f32) as Float32Array;
        assertSameBits(wasm.binary(op, a, la, b, lb, f32) as Float32Array, ref, `${c.name} ${op}`);
        if (plan !== null) assertSameBits(wasmBinary(op, a, b, plan), ref, `${c.name} ${op}, the kernel itself`);
      }
      // pow by a broadcast 2 is the product x·x, as Math.pow(x, 2) in float64 rounds to
      const two: [Float32Array, Layout] = [Float32Array.of(2), new Layout([], [], 0).expand(la.shape)];
      assertSameBits(wasm.binary("pow", a, la, two[0], two[1], f32) as Float32Array, cpu.binary("pow", a, la, two[0], two[1], f32) as Float32Array, `${c.name} pow 2`);
    });
  }

  test("resident operands (parameters in wasm memory) are read in place", () => {
    const prev = torch.setBackend(wasm);
    try {
      // parameters from 1024 elements are adopted into wasm memory: a [64, 64] weight, and a [2048] bias expanded over rows
      const w = new torch.nn.Parameter(torch.tensor(Array.from(values(4096, 21))).reshape([64, 64]));
      const bias = new torch.nn.Parameter(torch.tensor(Array.from(values(2048, 22))));
      assert.ok(residentPtr(w.storage.data as Float32Array) >= 0 && residentPtr(bias.storage.data as Float32Array) >= 0, "resident");
      const x = torch.tensor(Array.from(values(4096, 23))).reshape([64, 64]);
      const xb = torch.tensor(Array.from(values(3 * 2048, 24))).reshape([3, 2048]);
      for (const op of OPS) {
        const got = [torch[op](x, w.detach()), torch[op](w.detach(), x), torch[op](xb, bias.detach())];
        torch.setBackend(cpu);
        const ref = [torch[op](x, w.detach()), torch[op](w.detach(), x), torch[op](xb, bias.detach())];
        torch.setBackend(wasm);
        got.forEach((g, i) => assertSameBits(g.contiguous().storage.data as Float32Array, ref[i]!.contiguous().storage.data as Float32Array, `${op} ${i}`));
      }
    } finally { torch.setBackend(prev); }
  });

  test("gradients through add, sub, mul, div with broadcasts match the reference bit for bit", () => {
    const run = (b: torch.Backend) => {
      const prev = torch.setBackend(b);
      try {
        torch.manualSeed(3);
        const x = torch.randn([4, 32, 48]).requiresGrad_();
        const bias = torch.randn([48]).requiresGrad_();
        const scale = torch.rand([4, 32, 1]).add(0.5).requiresGrad_();
        const y = x.add(bias).mul(scale).sub(x.mul(0.125)).div(scale.add(bias));
        y.mul(y).sum().backward();
        return [y, x.grad!, bias.grad!, scale.grad!].map((t) => t.contiguous().storage.data as Float32Array);
      } finally { torch.setBackend(prev); }
    };
    const ref = run(cpu), got = run(wasm);
    ["y", "x.grad", "bias.grad", "scale.grad"].forEach((name, i) => assertSameBits(got[i]!, ref[i]!, name));
  });
});

describe("wasm where with a scalar side (masked_fill)", () => {
  const B = 3, H = 2, T = 45;
  const maskData = Uint8Array.from({ length: T * T }, (_, i) => ((i % T) > Math.floor(i / T) ? 1 : 0));
  const maskL = Layout.contiguous([1, 1, T, T]).expand([B, H, T, T]);
  const x = values(B * H * T * T, 31), xl = Layout.contiguous([B, H, T, T]);
  const scalarL = new Layout([], [], 0).expand([B, H, T, T]);
  const cases: [string, () => [Float32Array, Layout, Float32Array, Layout]][] = [
    ["fill where set (masked_fill's forward)", () => [Float32Array.of(-Infinity), scalarL, x, xl]],
    ["zeros where clear (its gradient)", () => [x, xl, Float32Array.of(0), scalarL]],
    ["a NaN fill", () => [Float32Array.of(NaN), scalarL, x, xl]],
  ];
  for (const [name, make] of cases) {
    test(`${name}: the reference's bits`, () => {
      const [a, la, b, lb] = make();
      const ref = cpu.where(maskData, maskL, a, la, b, lb, f32) as Float32Array;
      const got = wasm.where(maskData, maskL, a, la, b, lb, f32) as Float32Array;
      assertSameBits(got, ref, name);
    });
  }

  test("odd row lengths, a transposed x (stays on the reference) and maskedFill's gradient through both backends", () => {
    const m2 = Uint8Array.from({ length: 2049 }, (_, i) => (i % 3 === 0 ? 1 : 0)), l2 = Layout.contiguous([2049]);
    const x2 = values(2049, 32);
    assertSameBits(wasm.where(m2, l2, Float32Array.of(7), new Layout([], [], 0).expand([2049]), x2, l2, f32) as Float32Array,
      cpu.where(m2, l2, Float32Array.of(7), new Layout([], [], 0).expand([2049]), x2, l2, f32) as Float32Array, "odd length");
    const xt = Layout.contiguous([B, H, T, T]).transpose(2, 3);
    assertSameBits(wasm.where(maskData, maskL, Float32Array.of(1), scalarL, x, xt, f32) as Float32Array,
      cpu.where(maskData, maskL, Float32Array.of(1), scalarL, x, xt, f32) as Float32Array, "transposed");
    const run = (be: torch.Backend) => {
      const prev = torch.setBackend(be);
      try {
        torch.manualSeed(5);
        const att = torch.randn([B, H, T, T]).requiresGrad_();
        const mask = torch.ones(T, T).tril().view(1, 1, T, T).eq(0);
        const w = torch.randn([B, H, T, T]);
        const y = att.maskedFill(mask, -Infinity);
        y.maskedFill(mask, 0).mul(w).sum().backward();
        return [y.contiguous().storage.data as Float32Array, att.grad!.contiguous().storage.data as Float32Array];
      } finally { torch.setBackend(prev); }
    };
    const [yr, gr] = run(cpu), [yw, gw] = run(wasm);
    assertSameBits(yw!, yr!, "masked_fill");
    assertSameBits(gw!, gr!, "its gradient");
  });
});

describe("wasm comparisons into bool (eq, ne, lt, le, gt, ge)", () => {
  const CMPS = ["eq", "ne", "lt", "le", "gt", "ge"] as const;
  for (const c of cases()) {
    test(`${c.name}: the reference's bytes, from the kernel and through the backend`, () => {
      const [a, la] = c.a, [b, lb] = c.b, plan = planBinary(la, lb);
      // b against itself too, so that equal operands (and NaN against NaN) are compared
      for (const [x, lx, what] of [[a, la, "a"], [b, lb, "b"]] as const) {
        for (const op of CMPS) {
          const ref = cpu.binary(op, x, lx, b, lb, torch.bool) as Uint8Array;
          assert.deepEqual(wasm.binary(op, x, lx, b, lb, torch.bool), ref, `${c.name} ${what} ${op}`);
          const p = x === a ? plan : planBinary(lb, lb);
          if (p !== null) assert.deepEqual(wasmCompare(op, x, b, p), ref, `${c.name} ${what} ${op}, the kernel itself`);
        }
      }
    });
  }
});

describe("wasm logical and, or and not", () => {
  const B = 3, T = 37, C = 45, n = B * T * C, shape = [B, T, C];
  const mask = (len: number, k: number) => Uint8Array.from({ length: len }, (_, i) => ((i * 5 + k) % 3 === 0 ? 1 : 0));
  const cases: [string, [Uint8Array, Layout], [Uint8Array, Layout]][] = [
    ["equal shapes", [mask(n, 1), Layout.contiguous(shape)], [mask(n, 2), Layout.contiguous(shape)]],
    ["a [C] side and a [B, T, 1] side", [mask(C, 3), Layout.contiguous([C]).expand(shape)], [mask(B * T, 4), Layout.contiguous([B, T, 1]).expand(shape)]],
    ["bytes other than 0 and 1 (uint8: nonzero is true)", [Uint8Array.from({ length: n }, (_, i) => (i * 37) % 256), Layout.contiguous(shape)],
      [mask(n, 5), Layout.contiguous(shape)]],
    ["a transposed side (the reference's loop)", [mask(n, 6), Layout.contiguous([B, C, T]).transpose(1, 2)], [mask(n, 7), Layout.contiguous(shape)]],
  ];
  for (const [name, [a, la], [b, lb]] of cases) {
    test(`${name}: the reference's bytes for and, or and not, from the kernel and through the backend`, () => {
      const plan = planBinary(la, lb), self = planBinary(la, la);
      for (const op of ["and", "or"] as const) {
        const ref = cpu.binary(op, a, la, b, lb, torch.bool);
        assert.deepEqual(wasm.binary(op, a, la, b, lb, torch.bool), ref, `${name} ${op}`);
        if (plan !== null) assert.deepEqual(wasmLogic(op, a, b, plan), ref, `${name} ${op}, the kernel itself`);
      }
      const ref = cpu.unary("not", a, la, torch.bool);
      assert.deepEqual(wasm.unary("not", a, la, torch.bool), ref, `${name} not`);
      if (self !== null) assert.deepEqual(wasmLogic("not", a, a, self), ref, `${name} not, the kernel itself`);
    });
  }

  test("not of float32 (NaN and -0 included) is x == 0, the reference's bytes", () => {
    const x = values(4099, 61), l = Layout.contiguous([4099]);
    x[1] = NaN;
    x[2] = -0;
    x[3] = 0;
    assert.deepEqual(wasm.unary("not", x, l, torch.bool), cpu.unary("not", x, l, torch.bool));
    assert.deepEqual(Array.from((wasm.unary("not", x, l, torch.bool) as Uint8Array).subarray(1, 4)), [0, 1, 1]);
  });
});

describe("wasm where with two tensor sides", () => {
  const B = 3, H = 2, T = 45, shape = [B, H, T, T], n = B * H * T * T;
  const bytes = (len: number, k: number) => Uint8Array.from({ length: len }, (_, i) => ((i * 7 + k) % 5 < 2 ? 1 : 0));
  const dense = (seed: number): [Float32Array, Layout] => [values(n, seed), Layout.contiguous(shape)];
  const cases: [string, [Uint8Array, Layout], [Float32Array, Layout], [Float32Array, Layout], boolean][] = [
    ["equal shapes", [bytes(n, 1), Layout.contiguous(shape)], dense(41), dense(42), true],
    ["a [T, T] mask over [B, H, T, T]", [bytes(T * T, 2), Layout.contiguous([1, 1, T, T]).expand(shape)], dense(43), dense(44), true],
    ["a [T] side and a [B, H, T, 1] side", [bytes(n, 3), Layout.contiguous(shape)],
      [values(T, 45), Layout.contiguous([T]).expand(shape)], [values(B * H * T, 46), Layout.contiguous([B, H, T, 1]).expand(shape)], true],
    ["a [B, H, T, 1] side and a [T] side", [bytes(n, 7), Layout.contiguous(shape)],
      [values(B * H * T, 53), Layout.contiguous([B, H, T, 1]).expand(shape)], [values(T, 54), Layout.contiguous([T]).expand(shape)], true],
    ["a column mask (one byte a row)", [bytes(B * H * T, 4), Layout.contiguous([B, H, T, 1]).expand(shape)], dense(47), dense(48), true],
    ["an offset side, odd length", [bytes(2049, 5), Layout.contiguous([2049])], [values(2053, 49), new Layout([2049], [1], 4)],
      [values(2049, 50), Layout.contiguous([2049])], true],
    ["a transposed side (the reference's loop)", [bytes(n, 6), Layout.contiguous(shape)], [values(n, 51), Layout.contiguous(shape).transpose(2, 3)], dense(52), false],
  ];
  for (const [name, [c, lc], [a, la], [b, lb], planned] of cases) {
    test(`${name}: the reference's bits, from the kernel and through the backend`, () => {
      const ref = cpu.where(c, lc, a, la, b, lb, f32) as Float32Array;
      assertSameBits(wasm.where(c, lc, a, la, b, lb, f32) as Float32Array, ref, name);
      const kernel = wasmWhere(c, lc, a, la, b, lb);
      assert.equal(kernel !== null, planned, "which layouts the kernel walks");
      if (kernel !== null) assertSameBits(kernel, ref, `${name}, the kernel itself`);
    });
  }

  test("PReLU's forward and gradients (where over x > 0) match the reference bit for bit", () => {
    const run = (be: torch.Backend) => {
      const prev = torch.setBackend(be);
      try {
        torch.manualSeed(8);
        const x = torch.randn([16, 8, 24]).requiresGrad_(), w = new torch.nn.Parameter(torch.rand([8]).mul(0.5));
        const y = torch.nn.functional.prelu(x, w);
        y.mul(y).sum().backward();
        return [y, x.grad!, w.grad!].map((t) => t.contiguous().storage.data as Float32Array);
      } finally { torch.setBackend(prev); }
    };
    const ref = run(cpu), got = run(wasm);
    ["y", "x.grad", "w.grad"].forEach((name, i) => assertSameBits(got[i]!, ref[i]!, name));
  });
});
