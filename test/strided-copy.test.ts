// The CPU backend's strided copies (src/backend/cpu/strided.ts: contiguous() and writes through a
// view) against the layout's own stride walker (Layout.indices), over permutations, slices with
// steps, expands and offsets, including the tiled transposed pairs and odd tile edges.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Layout } from "../src/core/layout.ts";
import { coalesce, copyStrided, gatherStrided, scatterStrided } from "../src/backend/cpu/strided.ts";

function layouts(): [string, Layout][] {
  const c = (s: number[]) => Layout.contiguous(s);
  return [
    ["2-D transpose (a weight.T)", c([384, 128]).transpose(0, 1)],
    ["odd-sized transpose", c([37, 53]).transpose(0, 1)],
    ["heads transposed back ([B, nh, T, hs] → [B, T, nh, hs])", c([8, 4, 64, 32]).transpose(1, 2)],
    ["last two dims of a batch swapped", c([3, 40, 17]).transpose(1, 2)],
    ["a split's slice", c([8, 64, 384]).slice(2, 128, 256)],
    ["stepped slice", c([30, 50]).slice(1, 1, 50, 3)],
    ["expanded row", c([1, 45]).expand([20, 45])],
    ["expanded column", c([20, 1]).expand([20, 45])],
    ["permutation with offset", new Layout([5, 6, 7], [1, 35, 5], 11)],
    ["select then transpose", c([4, 33, 21]).select(0, 2).transpose(0, 1)],
    ["size-1 dims", c([1, 16, 1, 24]).transpose(1, 3)],
    ["scalar", new Layout([], [], 3)],
  ];
}

describe("strided copies", () => {
  for (const [name, l] of layouts()) {
    const size = Math.max(...l.indices()) + 1;
    const src = Float32Array.from({ length: size }, (_, i) => i * 0.5 - 7);
    test(`gather: ${name}`, () => {
      const want = Float32Array.from(l.indices(), (p) => src[p]!);
      const got = new Float32Array(l.numel);
      gatherStrided(src, l, got);
      assert.deepEqual(got, want);
    });
    test(`scatter: ${name}`, () => {
      const vals = Float32Array.from({ length: l.numel }, (_, i) => i + 1);
      const want = new Float32Array(size).fill(-1), got = new Float32Array(size).fill(-1);
      l.indices().forEach((p, i) => (want[p] = vals[i]!));
      scatterStrided(got, l, vals);
      assert.deepEqual(got, want);
    });
  }

  test("coalesce merges dims one stride walks and drops size-1 dims", () => {
    assert.deepEqual(coalesce(Layout.contiguous([2, 3, 4])), { sizes: [24], strides: [1] });
    assert.deepEqual(coalesce(Layout.contiguous([8, 64, 384]).slice(2, 0, 128)), { sizes: [512, 128], strides: [384, 1] });
    assert.deepEqual(coalesce(Layout.contiguous([1, 5, 1]).expand([3, 5, 2])), { sizes: [3, 5, 2], strides: [0, 1, 0] });
  });
});

describe("copyStrided (a view written from another view)", () => {
  const pairs: [string, Layout, Layout][] = [
    ["heads' gradient into a split slice", Layout.contiguous([8, 64, 384]).slice(2, 128, 256).view([8, 64, 4, 32])!, Layout.contiguous([8, 4, 64, 32]).transpose(1, 2)],
    ["transposed into a slice", Layout.contiguous([40, 90]).slice(1, 3, 43), Layout.contiguous([40, 40]).transpose(0, 1)],
    ["expanded into contiguous", Layout.contiguous([6, 50]), Layout.contiguous([1, 50]).expand([6, 50])],
    ["contiguous rows into contiguous rows", Layout.contiguous([4, 64]), new Layout([4, 64], [64, 1], 9)],
  ];
  for (const [name, ld, ls] of pairs) {
    test(name, () => {
      const size = (l: Layout) => Math.max(...l.indices()) + 1;
      const src = Float32Array.from({ length: size(ls) }, (_, i) => i * 0.25 + 1);
      const want = new Float32Array(size(ld)).fill(-1), got = new Float32Array(size(ld)).fill(-1);
      const pd = ld.indices(), ps = ls.indices();
      pd.forEach((p, i) => (want[p] = src[ps[i]!]!));
      copyStrided(got, ld, src, ls);
      assert.deepEqual(got, want);
    });
  }
});
