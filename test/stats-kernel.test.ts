import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { cpuBackend, wasmBackend } from "../src/index.ts";
import { STATS_RECORD } from "../src/backend/cpu/stats.ts";
import { wasmBlockStats, wasmCellSums, wasmDiffStats, wasmHistogram, wasmHostFloats } from "../src/backend/wasm/stats.ts";
import { residentOffset } from "../src/backend/wasm/heap.ts";
import { StatsAccumulator } from "../src/io/tensor-stream.ts";

/** A deterministic generator (xorshift32): tests never read Math.random. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s / 2 ** 32;
  };
}

const specials = [NaN, Infinity, -Infinity, 0, -0, 1e-45, -1e-45, 1.17e-38, 3.4028234663852886e38, -3.4028234663852886e38, 1e-40];

/** Random float32 values with a share `odd` of specials (NaN, ±Inf, ±0, denormals, extremes). */
function sample(n: number, odd: number, seed: number): Float32Array {
  const r = rng(seed), out = new Float32Array(n);
  const scale = 10 ** Math.floor(r() * 8 - 4);
  for (let i = 0; i < n; i++) {
    out[i] = r() < odd ? specials[Math.floor(r() * specials.length)]! : (r() - 0.3) * scale;
  }
  return out;
}

const records = (n: number, block: number) => new Float64Array(Math.ceil(n / block) * STATS_RECORD);

/** Same bits, -0 included (NaN equals NaN). */
function sameBits(got: Float64Array, want: Float64Array, what: string): void {
  assert.equal(got.length, want.length, what);
  for (let i = 0; i < got.length; i++) {
    assert.ok(Object.is(got[i], want[i]), `${what}: record number ${i} (field ${i % STATS_RECORD}) is ${got[i]}, reference ${want[i]}`);
  }
}

describe("blockStats", () => {
  test("the SIMD kernel gives the reference's bits on random blocks with NaN, ±Inf, ±0 and denormals", () => {
    let seed = 1;
    for (const n of [1, 7, 8, 9, 15, 16, 17, 63, 64, 100, 1000, 4096, 5000, 40_000]) {
      for (const block of [8, 16, 1000, 16_384]) {
        for (const odd of [0, 0.01, 0.3, 1]) {
          const x = sample(n, odd, seed++), want = records(n, block), got = records(n, block);
          cpuBackend.blockStats(x, block, want);
          wasmBlockStats(x, block, got);
          sameBits(got, want, `n=${n} block=${block} specials=${odd}`);
        }
      }
    }
  });

  test("all-NaN, all-Inf, all-zero and -0 blocks", () => {
    for (const fill of [NaN, Infinity, -Infinity, 0, -0]) {
      for (const n of [16, 21]) {
        const x = new Float32Array(n).fill(fill), want = records(n, 8), got = records(n, 8);
        cpuBackend.blockStats(x, 8, want);
        wasmBlockStats(x, 8, got);
        sameBits(got, want, `${n} × ${fill}`);
      }
    }
    const z = new Float32Array([0, -0, 0, -0, -0, 0, 0, -0, 1, -0, 2, 0, 3, 0, 4, -0]), want = records(16, 16), got = records(16, 16);
    cpuBackend.blockStats(z, 16, want);
    wasmBlockStats(z, 16, got);
    sameBits(got, want, "mixed zeros");
  });

  test("counts and moments are the block's", () => {
    const x = new Float32Array([1, 2, NaN, 3, Infinity, -Infinity, 0, -0, 4, 5]), r = records(10, 16);
    wasmBlockStats(x, 16, r);
    // n, sum, sumSquares, m2, min, max, nan, nonFinite, zeros
    assert.deepEqual([...r.subarray(0, 3), ...r.subarray(4)], [7, 15, 55, 0, 5, 1, 3, 2]);
    assert.ok(Math.abs(r[3]! - 160 / 7) < 1e-12, `m2 ${r[3]}`);
  });

  test("reads a hostFloats buffer in place", () => {
    const buf = wasmHostFloats(4096);
    assert.ok(residentOffset(buf) >= 0);
    buf.set(sample(4096, 0.01, 99));
    const want = records(4096, 1000), got = records(4096, 1000);
    cpuBackend.blockStats(buf, 1000, want);
    wasmBackend.blockStats(buf, 1000, got);
    sameBits(got, want, "resident");
  });
});

describe("StatsAccumulator", () => {
  test("matches float64 two-pass statistics of the finite elements", () => {
    const x = sample(100_000, 0.001, 7), acc = new StatsAccumulator();
    acc.add({ values: x, weight: 1 });
    const finite = [...x].filter(Number.isFinite);
    const mean = finite.reduce((a, b) => a + b, 0) / finite.length;
    const variance = finite.reduce((a, b) => a + (b - mean) ** 2, 0) / (finite.length - 1);
    const got = acc.result();
    assert.equal(got.min, Math.min(...finite));
    assert.equal(got.max, Math.max(...finite));
    assert.ok(Math.abs(got.mean! - mean) <= 1e-12 * Math.max(1, Math.abs(mean)), `mean ${got.mean} vs ${mean}`);
    assert.ok(Math.abs(got.std! - Math.sqrt(variance)) <= 1e-10 * Math.sqrt(variance), `std ${got.std} vs ${Math.sqrt(variance)}`);
    assert.equal(got.nan + got.inf, x.length - finite.length);
  });
});

describe("histogram and cellSums", () => {
  test("the SIMD histogram counts what the reference counts, edges, NaN, ±Inf and a zero width included", () => {
    let seed = 500;
    for (const n of [1, 3, 4, 5, 100, 4097]) {
      for (const odd of [0, 0.05, 1]) {
        const x = sample(n, odd, seed++);
        const finite = [...x].filter(Number.isFinite);
        const lo = finite.length ? Math.min(...finite) : 0, hi = finite.length ? Math.max(...finite) : 0;
        for (const [a, b] of [[lo, hi], [lo, lo], [0, 1]] as const) {
          for (const bins of [1, 7, 40]) {
            const want = new Array<number>(bins).fill(0), got = new Array<number>(bins).fill(0);
            cpuBackend.histogram(x, a, (b - a) / bins, want, 3);
            wasmHistogram(x, a, (b - a) / bins, got, 3);
            assert.deepEqual(got, want, `n=${n} specials=${odd} range [${a}, ${b}] bins=${bins}`);
          }
        }
      }
    }
  });

  test("the cells kernel gives the reference's sums and counts from any starting row and column", () => {
    let seed = 900;
    for (const [rows, cols, br, bc] of [[10, 13, 3, 4], [100, 64, 2, 1], [7, 1000, 1, 16], [200, 200, 4, 4]] as const) {
      const c = Math.ceil(cols / bc), cells = Math.ceil(rows / br) * c;
      for (const start of [0, 1, cols - 1, cols + 5]) {
        const x = sample(rows * cols - start, 0.02, seed++);
        const want = [new Float64Array(cells), new Float64Array(cells)], got = [new Float64Array(cells), new Float64Array(cells)];
        // two calls, split mid-row, as chunks arrive
        const cut = Math.floor(x.length / 3);
        for (const [s, e] of [[0, cut], [cut, x.length]] as const) {
          const k = start + s, part = x.subarray(s, e);
          cpuBackend.cellSums(part, cols, Math.floor(k / cols), k % cols, br, bc, c, want[0]!, want[1]!);
          wasmCellSums(part, cols, Math.floor(k / cols), k % cols, br, bc, c, got[0]!, got[1]!);
        }
        sameBits(got[0]!, want[0]!, `sums ${rows}x${cols} from ${start}`);
        sameBits(got[1]!, want[1]!, `counts ${rows}x${cols} from ${start}`);
      }
    }
  });
});

describe("diffStats", () => {
  test("the SIMD kernel gives the reference's bits, NaN against NaN and ±Inf pairs included", () => {
    let seed = 2000;
    for (const n of [1, 3, 4, 5, 64, 1001, 5000]) {
      for (const odd of [0, 0.05, 0.5]) {
        const a = sample(n, odd, seed++), b = new Float32Array(a);
        const r = rng(seed++);
        for (let i = 0; i < n; i++) {
          const u = r();
          if (u < 0.5) b[i] = a[i]! + (r() - 0.5) * 1e-3;
          else if (u < 0.6) b[i] = specials[Math.floor(r() * specials.length)]!;
        }
        const want = new Float64Array(6), got = new Float64Array(6);
        cpuBackend.diffStats(a, b, want);
        wasmDiffStats(a, b, got);
        sameBits(got, want, `n=${n} specials=${odd}`);
      }
    }
    const nan = new Float32Array([NaN, Infinity, -Infinity, 1, NaN, Infinity]), other = new Float32Array([NaN, Infinity, Infinity, NaN, 2, -Infinity]);
    const r = new Float64Array(6);
    wasmDiffStats(nan, other, r);
    assert.deepEqual([...r], [0, 0, 0, 0, 0, 4]);
  });
});
