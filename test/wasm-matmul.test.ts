import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:http";
import { ShapeError } from "../src/errors.ts";
import { setWasmThreadThreshold, wasmBmm, wasmHelperBands, wasmLinear, wasmMatmul, wasmMatmulBatched } from "../src/backend/wasm/matmul.ts";
import { disableWasmThreads, enableWasmThreads } from "../src/backend/wasm/threads-node.ts";
import { relaxedSimdActive, setRelaxedSimd } from "../src/backend/wasm/module.ts";
import { turnOnRelaxedSimdFlag } from "../src/backend/wasm/relaxed-simd-node.ts";

/** Deterministic values in [-1, 1). */
function values(count: number, seed: number): Float32Array {
  const out = new Float32Array(count);
  let s = seed >>> 0;
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

interface Case { m: number; k: number; n: number; transA?: boolean; transB?: boolean }

/** Unit roundoff of float32. */
const U = 2 ** -24;

/**
 * The naive triple loop in float64, plus each element's rounding bound (k + 3) * u * sum |a||b|:
 * a float32 sum of k products (rounded or fused) is within k * u * sum |a||b| of the exact one.
 */
function reference(a: Float32Array, b: Float32Array, c: Case): { value: Float64Array; scale: Float64Array } {
  const { m, k, n } = c;
  const value = new Float64Array(m * n);
  const scale = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      let abs = 0;
      for (let p = 0; p < k; p++) {
        const x = c.transA ? a[p * m + i]! : a[i * k + p]!;
        const y = c.transB ? b[j * k + p]! : b[p * n + j]!;
        s += x * y;
        abs += Math.abs(x * y);
      }
      value[i * n + j] = s;
      scale[i * n + j] = (k + 3) * U * abs;
    }
  }
  return { value, scale };
}

function assertClose(actual: Float32Array, expected: ArrayLike<number>, scale: ArrayLike<number>, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    // twice the sum's bound covers an accumulated C that cancels it; 16u the epilogue's roundings
    const tol = 2 * scale[i]! + 16 * U * Math.abs(expected[i]!) + 1e-30;
    if (!(Math.abs(actual[i]! - expected[i]!) <= tol)) {
      assert.fail(`${what}: element ${i} is ${actual[i]}, expected ${expected[i]} (tolerance ${tol})`);
    }
  }
}

const SIZES: [number, number, number][] = [
  [1, 1, 1], [3, 7, 17], [17, 3, 7], [7, 17, 3], [5, 9, 1], [2, 5, 3], [1, 300, 2],
  // past one packed block of depth (256), of rows (128) and of columns (1024)
  [13, 300, 29], [130, 20, 9], [3, 5, 1030], [64, 64, 64],
  // few columns, many rows: run as the transposed product (C stored transposed), with row and
  // column tails of the tile and more than one block of the transposed product's columns
  [1030, 40, 6], [301, 270, 16], [133, 50, 10],
];
const TRANSPOSES = [
  { transA: false, transB: false }, { transA: true, transB: false },
  { transA: false, transB: true }, { transA: true, transB: true },
];

function checkMatmul(c: Case, label: string): void {
  const a = values(c.m * c.k, c.m * 31 + c.k);
  const b = values(c.k * c.n, c.n * 17 + c.k);
  const ref = reference(a, b, c);
  assertClose(wasmMatmul(a, b, c.m, c.k, c.n, c), ref.value, ref.scale, label);
}

function matmulSuite(threads: string): void {
  for (const [m, k, n] of SIZES) {
    for (const t of TRANSPOSES) {
      const label = `${threads} ${m}x${k}x${n} transA=${t.transA} transB=${t.transB}`;
      test(`matches the float64 triple loop: ${label}`, () => checkMatmul({ m, k, n, ...t }, label));
    }
  }
}

function checkStrided(): void {
  for (const t of TRANSPOSES) {
    for (const [m, k, n] of [[2, 3, 5], [9, 70, 13], [1, 30, 21], [40, 20, 9]] as const) {
      const [ra, ca] = t.transA ? [k, m] : [m, k];
      const [rb, cb] = t.transB ? [n, k] : [k, n];
      const [lda, ldb] = [ca + 3, cb + 5];
      const a = values(ra * lda, 51);
      const b = values(rb * ldb, 52);
      // the dense matrices the strided views show
      const denseA = Float32Array.from({ length: ra * ca }, (_, i) => a[Math.floor(i / ca) * lda + (i % ca)]!);
      const denseB = Float32Array.from({ length: rb * cb }, (_, i) => b[Math.floor(i / cb) * ldb + (i % cb)]!);
      const ref = reference(denseA, denseB, { m, k, n, ...t });
      assertClose(wasmMatmul(a, b, m, k, n, { ...t, lda, ldb }), ref.value, ref.scale, `strided ${m}x${k}x${n} ${JSON.stringify(t)}`);
    }
  }
}

// Every suite runs on both builds: SIMD128 (bit-identical everywhere) and the default fused
// multiply-add one, each against the float64 loop within float32 rounding.
for (const fma of [false, true]) {
  describe(fma ? "the fused multiply-add build (relaxed SIMD, the default)" : "the SIMD128 build", () => {
    before(() => {
      if (fma) turnOnRelaxedSimdFlag();
      assert.equal(setRelaxedSimd(fma), fma);
      assert.equal(relaxedSimdActive(), fma);
    });
    after(() => setRelaxedSimd(true));

  describe("wasmMatmul", () => {
    matmulSuite("1 thread");

    test("rows below the tile height (the unpacked GEMV path) match at every k and n tail", () => {
      for (const m of [1, 2, 3]) {
        for (const k of [1, 7, 64, 301]) {
          for (const n of [1, 5, 16, 37]) {
            for (const t of TRANSPOSES) checkMatmul({ m, k, n, ...t }, `gemv ${m}x${k}x${n} ${JSON.stringify(t)}`);
          }
        }
      }
    });

    test("reads strided views (row stride > width) in every transposition", () => checkStrided());

    test("K = 0 gives zeros, or leaves C unchanged when accumulating", () => {
      const empty = new Float32Array(0);
      assert.deepEqual(wasmMatmul(empty, empty, 2, 0, 3), new Float32Array(6));
      const out = Float32Array.from([1, 2, 3, 4, 5, 6]);
      wasmMatmul(empty, empty, 2, 0, 3, { out, accumulate: true });
      assert.deepEqual(out, Float32Array.from([1, 2, 3, 4, 5, 6]));
    });

    test("M = 0 or N = 0 gives an empty result", () => {
      assert.equal(wasmMatmul(new Float32Array(0), values(12, 1), 0, 3, 4).length, 0);
      assert.equal(wasmMatmul(values(12, 1), new Float32Array(0), 4, 3, 0).length, 0);
    });

    test("accumulate adds op(A) @ op(B) into out, for every transposition", () => {
      for (const [t, [m, k, n]] of TRANSPOSES.flatMap((t) => [[t, [9, 300, 11]], [t, [1, 30, 21]], [t, [70, 300, 6]]] as const)) {
        const a = values(m * k, 5);
        const b = values(k * n, 6);
        const start = values(m * n, 7);
        const ref = reference(a, b, { m, k, n, ...t });
        const out = Float32Array.from(start);
        wasmMatmul(a, b, m, k, n, { ...t, out, accumulate: true });
        assertClose(out, ref.value.map((v, i) => v + start[i]!), ref.scale, `accumulate ${JSON.stringify(t)}`);
      }
    });

    test("writes into an out subarray without touching the elements around it", () => {
      const a = values(6, 1);
      const b = values(6, 2);
      const backing = new Float32Array(8).fill(-7);
      wasmMatmul(a, b, 2, 3, 2, { out: backing.subarray(2, 6) });
      const ref = reference(a, b, { m: 2, k: 3, n: 2 });
      assertClose(backing.subarray(2, 6), ref.value, ref.scale, "subarray");
      assert.deepEqual([backing[0], backing[1], backing[6], backing[7]], [-7, -7, -7, -7]);
    });

    test("rejects operands too short for their shapes, naming them", () => {
      assert.throws(() => wasmMatmul(values(5, 1), values(12, 2), 2, 3, 4), (e: unknown) =>
        e instanceof ShapeError && /mat1 holds 5 elements but its 2x3 shape \(row stride 3\) needs 6/.test(e.message));
      assert.throws(() => wasmMatmul(values(6, 1), values(11, 2), 2, 3, 4, { transB: true }), (e: unknown) =>
        e instanceof ShapeError && /mat2 holds 11 elements but its 4x3 shape \(row stride 3\) needs 12/.test(e.message));
      assert.throws(() => wasmMatmul(values(8, 1), values(12, 2), 2, 3, 4, { lda: 2 }), (e: unknown) =>
        e instanceof ShapeError && /mat1 is stored 2x3, so its row stride must be an integer >= 3, got 2/.test(e.message));
      assert.throws(() => wasmMatmul(values(6, 1), values(12, 2), 2, 3, 4, { accumulate: true }), ShapeError);
    });
  });

  describe("wasmLinear", () => {
    for (const [m, k, n] of [[1, 1, 1], [1, 37, 21], [3, 7, 5], [17, 300, 13], [130, 9, 3]] as const) {
      for (const withBias of [true, false]) {
        for (const relu of [false, true]) {
          test(`Y = X @ W^T${withBias ? " + b" : ""}${relu ? ", ReLU" : ""} at ${m}x${k} -> ${n}`, () => {
            const x = values(m * k, 11);
            const w = values(n * k, 12);
            const bias = withBias ? values(n, 13) : null;
            const ref = reference(x, w, { m, k, n, transB: true });
            const expected = ref.value.map((v, i) => {
              const y = v + (bias === null ? 0 : bias[i % n]!);
              return relu ? Math.max(y, 0) : y;
            });
            assertClose(wasmLinear(x, w, bias, m, k, n, { relu }), expected, ref.scale, "linear");
          });
        }
      }
    }

    test("wasmMatmul fuses bias and ReLU in every transposition (a transposed Linear input)", () => {
      for (const [t, [m, k, n]] of TRANSPOSES.flatMap((t) => [[t, [11, 40, 13]], [t, [130, 300, 7]]] as const)) {
        const a = values(m * k, 61);
        const b = values(k * n, 62);
        const bias = values(n, 63);
        const ref = reference(a, b, { m, k, n, ...t });
        const expected = ref.value.map((v, i) => Math.max(v + bias[i % n]!, 0));
        assertClose(wasmMatmul(a, b, m, k, n, { ...t, bias, relu: true }), expected, ref.scale, `fused ${JSON.stringify(t)}`);
      }
    });

    test("K = 0 gives the bias, then ReLU", () => {
      const bias = Float32Array.from([-1, 2, -3]);
      assert.deepEqual(wasmLinear(new Float32Array(0), new Float32Array(0), bias, 2, 0, 3, { relu: true }),
        Float32Array.from([0, 2, 0, 0, 2, 0]));
    });

    test("rejects a bias shorter than the output features", () => {
      assert.throws(() => wasmLinear(values(6, 1), values(6, 2), values(1, 3), 3, 2, 3), ShapeError);
    });
  });

  describe("wasmBmm", () => {
    test("multiplies each batch, and broadcasts one B over the batch", () => {
      const [batch, m, k, n] = [3, 5, 7, 9];
      const a = values(batch * m * k, 21);
      const b = values(batch * k * n, 22);
      const out = wasmBmm(a, b, batch, m, k, n);
      const shared = wasmBmm(a, b, batch, m, k, n, { broadcastB: true });
      for (let i = 0; i < batch; i++) {
        const ai = a.subarray(i * m * k, (i + 1) * m * k);
        const ref = reference(ai, b.subarray(i * k * n, (i + 1) * k * n), { m, k, n });
        assertClose(out.subarray(i * m * n, (i + 1) * m * n), ref.value, ref.scale, `batch ${i}`);
        const refShared = reference(ai, b.subarray(0, k * n), { m, k, n });
        assertClose(shared.subarray(i * m * n, (i + 1) * m * n), refShared.value, refShared.scale, `broadcast ${i}`);
      }
    });
  });

  describe("wasmMatmul on two threads", () => {
    after(async () => {
      setWasmThreadThreshold();
      await disableWasmThreads();
    });

    test("enableWasmThreads starts the helper where shared memory exists", () => {
      assert.equal(enableWasmThreads(), true);
      // every product is split, however small, so the split arithmetic is what gets tested
      setWasmThreadThreshold(0);
    });

    matmulSuite("2 threads");

    test("reads strided views in every transposition", () => checkStrided());

    test("linear with bias and ReLU splits by columns when N > M", () => {
      const [m, k, n] = [3, 70, 41];
      const x = values(m * k, 31);
      const w = values(n * k, 32);
      const bias = values(n, 33);
      const ref = reference(x, w, { m, k, n, transB: true });
      const expected = ref.value.map((v, i) => Math.max(v + bias[i % n]!, 0));
      assertClose(wasmLinear(x, w, bias, m, k, n, { relu: true }), expected, ref.scale, "split linear");
    });

    test("a product with few columns splits its transpose, bias and ReLU included", () => {
      const [m, k, n] = [301, 70, 10];
      const x = values(m * k, 34);
      const w = values(n * k, 35);
      const bias = values(n, 36);
      const ref = reference(x, w, { m, k, n, transB: true });
      const expected = ref.value.map((v, i) => Math.max(v + bias[i % n]!, 0));
      assertClose(wasmLinear(x, w, bias, m, k, n, { relu: true }), expected, ref.scale, "split transposed linear");
    });

    test("the helper thread computes bands of C", () => {
      const big = values(256 * 256, 71);
      for (let i = 0; i < 200 && wasmHelperBands() === 0; i++) wasmMatmul(big, big, 256, 256, 256);
      assert.ok(wasmHelperBands() > 0);
    });

    test("a batch of small products is shared between the threads, each as one thread computes it", () => {
      const [batch, m, k, n] = [12, 20, 16, 24];
      const a = values(batch * m * k, 51), b = values(batch * k * n, 52);
      const offs = (len: number) => Array.from({ length: batch }, (_, t) => t * len);
      // each product is below the threshold, the batch above: one product per chunk across threads
      setWasmThreadThreshold(10_000);
      const bands = wasmHelperBands();
      let two = wasmMatmulBatched(a, offs(m * k), b, offs(k * n), m, k, n, { transA: false, transB: false, lda: k, ldb: n });
      for (let i = 0; i < 200 && wasmHelperBands() === bands; i++) {
        two = wasmMatmulBatched(a, offs(m * k), b, offs(k * n), m, k, n, { transA: false, transB: false, lda: k, ldb: n });
      }
      assert.ok(wasmHelperBands() > bands, "the helper took some of the batch");
      // B broadcast over the batch (every offset 0), read transposed
      const bt = values(n * k, 53);
      const shared = wasmMatmulBatched(a, offs(m * k), bt, new Array<number>(batch).fill(0), m, k, n, { transA: false, transB: true, lda: k, ldb: k });
      setWasmThreadThreshold(Infinity);
      for (let t = 0; t < batch; t++) {
        const at = a.subarray(t * m * k);
        assert.deepEqual(two.subarray(t * m * n, (t + 1) * m * n), wasmMatmul(at, b.subarray(t * k * n), m, k, n), `product ${t}`);
        assert.deepEqual(shared.subarray(t * m * n, (t + 1) * m * n), wasmMatmul(at, bt, m, k, n, { transB: true }), `broadcast product ${t}`);
      }
      setWasmThreadThreshold(0);
    });

    test("a large product agrees with the single-threaded result exactly", () => {
      const [m, k, n] = [200, 300, 150];
      const a = values(m * k, 41);
      const b = values(k * n, 42);
      const two = wasmMatmul(a, b, m, k, n);
      setWasmThreadThreshold(Infinity);
      const one = wasmMatmul(a, b, m, k, n);
      setWasmThreadThreshold(0);
      assert.deepEqual(two, one);
    });
  });
  });
}

describe("the relaxed-SIMD (fused multiply-add) build", () => {
  test("matches the float64 triple loop in a Node started with relaxed SIMD on", () => {
    const url = (path: string) => JSON.stringify(new URL(path, import.meta.url).href);
    const script = `
      const { setRelaxedSimd } = await import(${url("../src/backend/wasm/module.ts")});
      const on = setRelaxedSimd(true);
      const { wasmMatmul, wasmLinear } = await import(${url("../src/backend/wasm/matmul.ts")});
      const [m, k, n] = [37, 300, 29];
      const a = Float32Array.from({ length: m * k }, (_, i) => Math.sin(i));
      const b = Float32Array.from({ length: k * n }, (_, i) => Math.cos(i));
      const c = wasmMatmul(a, b, m, k, n);
      const y = wasmLinear(a.subarray(0, 2 * k), b, null, 2, k, n, { relu: false });
      let worst = 0;
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
        let s = 0, abs = 0;
        for (let p = 0; p < k; p++) { s += a[i * k + p] * b[p * n + j]; abs += Math.abs(a[i * k + p] * b[p * n + j]); }
        worst = Math.max(worst, Math.abs(c[i * n + j] - s) / (abs + 1e-30));
      }
      console.log(JSON.stringify({ relaxed: on, worst, finite: y.every(Number.isFinite) }));
    `;
    // Node 20 needs the V8 flag; a later Node that ships relaxed SIMD may no longer accept it.
    const flag = ["--experimental-wasm-relaxed-simd"];
    const flagWorks = spawnSync(process.execPath, [...flag, "-e", "0"]).status === 0;
    const child = spawnSync(process.execPath, [
      ...(flagWorks ? flag : []), "--conditions=source", "--import", "tsx", "--input-type=module", "-e", script,
    ], { encoding: "utf8" });
    assert.equal(child.status, 0, child.stderr);
    const result = JSON.parse(child.stdout.trim().split("\n").at(-1)!) as { relaxed: boolean; worst: number; finite: boolean };
    assert.equal(result.relaxed, true, "the child should have picked the relaxed build");
    assert.ok(result.worst < 1e-5, `relative error ${result.worst}`);
    assert.ok(result.finite);
  });

  test("enableRelaxedSimd turns the build on at run time in a Node started without the flag", () => {
    const url = (path: string) => JSON.stringify(new URL(path, import.meta.url).href);
    const script = `
      const { enableRelaxedSimd } = await import(${url("../src/backend/wasm/relaxed-simd-node.ts")});
      const { wasmMatmul } = await import(${url("../src/backend/wasm/matmul.ts")});
      const on = enableRelaxedSimd();
      const c = wasmMatmul(Float32Array.from([1, 2, 3, 4, 5, 6]), Float32Array.from([1, 0, 0, 1, 1, 1]), 2, 3, 2);
      console.log(JSON.stringify({ on, c: Array.from(c) }));
    `;
    const child = spawnSync(process.execPath, ["--conditions=source", "--import", "tsx", "--input-type=module", "-e", script], { encoding: "utf8" });
    assert.equal(child.status, 0, child.stderr);
    const result = JSON.parse(child.stdout.trim().split("\n").at(-1)!) as { on: boolean; c: number[] };
    assert.deepEqual(result, { on: true, c: [4, 5, 10, 11] });
  });
});

describe("relaxed SIMD in the Node entry", () => {
  test("is on by default, and the V8 flag is set at the first kernel compile, not at import", () => {
    const url = (path: string) => JSON.stringify(new URL(path, import.meta.url).href);
    const script = `
      const { relaxedSimdSupported } = await import(${url("../src/backend/wasm/module.ts")});
      const torch = await import(${url("../src/index-node.ts")});
      const atImport = relaxedSimdSupported();
      const x = torch.ones([64, 64]);
      const y = x.matmul(x);
      console.log(JSON.stringify({ atImport, active: torch.relaxedSimdActive(), y: y.tolist()[0][0] }));
    `;
    const child = spawnSync(process.execPath, ["--conditions=source", "--import", "tsx", "--input-type=module", "-e", script], { encoding: "utf8" });
    assert.equal(child.status, 0, child.stderr);
    const result = JSON.parse(child.stdout.trim().split("\n").at(-1)!) as { atImport: boolean; active: boolean; y: number };
    // Node 20 has relaxed SIMD only behind the flag: it must still be off right after the import
    if (Number(process.versions.node.split(".")[0]) < 22) assert.equal(result.atImport, false);
    assert.deepEqual({ active: result.active, y: result.y }, { active: true, y: 64 });
  });
});

// Debian's Chromium, as test/browser.test.ts uses it; skipped where it is missing.
const CHROMIUM = process.env.TORCHLET_CHROMIUM ?? "/usr/bin/chromium";
const noChromium = existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing (apt-get install -y chromium)`;

/** Serves one page and one script on 127.0.0.1 with the headers that make the page cross-origin isolated. */
async function isolatedServer(script: string): Promise<{ url: string; close(): void }> {
  const html = "<!doctype html><meta charset=utf-8><script src=/bundle.js></script>";
  const server = createServer((req, res) => {
    const js = req.url === "/bundle.js";
    res.writeHead(200, {
      "content-type": js ? "text/javascript" : "text/html",
      "cross-origin-opener-policy": "same-origin",
      "cross-origin-embedder-policy": "require-corp",
    }).end(js ? script : html);
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const address = server.address() as { port: number };
  return { url: `http://127.0.0.1:${address.port}/`, close: () => server.close() };
}

describe("two threads in a browser (Web Worker)", { skip: noChromium }, () => {
  test("enableWasmThreadsWeb splits products with a Web Worker in a cross-origin isolated page", async () => {
    const { build } = await import("esbuild");
    const root = new URL("..", import.meta.url).pathname;
    const bundle = await build({
      stdin: {
        contents: 'export * from "./src/backend/wasm/threads-web.ts"; export * from "./src/backend/wasm/matmul.ts";',
        resolveDir: root, loader: "ts",
      },
      bundle: true, write: false, format: "iife", globalName: "T", platform: "browser", logLevel: "silent",
    });
    const server = await isolatedServer(bundle.outputFiles[0]!.text);
    const { chromium } = await import("playwright-core");
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--headless", "--no-sandbox", "--disable-gpu"] });
    try {
      const page = await browser.newPage();
      await page.goto(server.url);
      const result = await page.evaluate(async () => {
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        const T = (globalThis as any).T;
        const on: boolean = await T.enableWasmThreadsWeb();
        T.setWasmThreadThreshold(0);
        let worst = 0;
        for (const [m, k, n, tA, tB] of [[37, 300, 29, 0, 0], [64, 64, 64, 1, 0], [9, 50, 130, 0, 1], [200, 150, 120, 1, 1]]) {
          const a = Float32Array.from({ length: m * k }, (_, i) => Math.sin(i));
          const b = Float32Array.from({ length: k * n }, (_, i) => Math.cos(i));
          const c = T.wasmMatmul(a, b, m, k, n, { transA: !!tA, transB: !!tB });
          for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
            let s = 0, abs = 0;
            for (let p = 0; p < k; p++) {
              const x = (tA ? a[p * m + i] : a[i * k + p])! * (tB ? b[j * k + p] : b[p * n + j])!;
              s += x;
              abs += Math.abs(x);
            }
            worst = Math.max(worst, Math.abs(c[i * n + j] - s) / (abs + 1e-30));
          }
        }
        // the helper wakes within microseconds to milliseconds: give it a few large products to join
        const big = new Float32Array(256 * 256).fill(0.5);
        for (let i = 0; i < 200 && T.wasmHelperBands() === 0; i++) T.wasmMatmul(big, big, 256, 256, 256);
        const helped = T.wasmHelperBands() > 0;
        T.disableWasmThreadsWeb();
        return { on, isolated: globalThis.crossOriginIsolated, worst, helped };
      });
      assert.deepEqual({ on: result.on, isolated: result.isolated, helped: result.helped }, { on: true, isolated: true, helped: true });
      assert.ok(result.worst < 1e-5, `relative error ${result.worst}`);
    } finally {
      await browser.close();
      server.close();
    }
  });
});
