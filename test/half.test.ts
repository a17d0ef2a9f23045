// float16 and bfloat16 tensors as values: repr, tolist() and item() against PyTorch 1.13, from
// test/fixtures/half.json (written by scripts/fixtures/half.py).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as torch from "../src/index.ts";
import type { DType } from "../src/index.ts";

interface Case {
  name: string; dtype: "float16" | "bfloat16"; shape: number[]; values: (number | string)[];
  requiresGrad: boolean; repr: string; tolist: (number | string)[]; item: number | string | null;
}
const fixture = JSON.parse(readFileSync(new URL("./fixtures/half.json", import.meta.url), "utf8")) as { cases: Case[] };
const dec = (v: number | string): number => (typeof v === "number" ? v : Number(v.replace("inf", "Infinity")));

describe("float16 / bfloat16 print, tolist() and item() as values, as PyTorch", () => {
  for (const c of fixture.cases) {
    test(c.name, () => {
      const dtype = (torch as unknown as Record<string, DType>)[c.dtype]!;
      const t = torch.tensor(c.values.map(dec), { dtype: torch.float64 }).reshape(c.shape).to(dtype);
      if (c.requiresGrad) t.requiresGrad_();
      assert.equal(t.toString(), c.repr);
      const list = ([t.tolist()] as unknown[]).flat(Infinity) as number[];
      assert.deepEqual(list, c.tolist.map(dec));
      if (c.item !== null) assert.equal(t.flatten().at(0).item(), dec(c.item));
    });
  }

  test("creating a half tensor from numbers stores the values, not bits", () => {
    assert.equal(torch.tensor([0.5, 1, -2], { dtype: torch.float16 }).toString(), "tensor([ 0.5000,  1.0000, -2.0000], dtype=torch.float16)");
    assert.deepEqual(torch.ones(2, { dtype: torch.bfloat16 }).tolist(), [1, 1]);
    assert.deepEqual(torch.full([2], 3.3, { dtype: torch.bfloat16 }).tolist(), [3.296875, 3.296875]);
  });
});
