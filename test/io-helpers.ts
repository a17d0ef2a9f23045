/** Shared helpers of the io tests: fixture access and exact comparison with PyTorch's values. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { RawTensor } from "../src/io/raw.ts";
import { packContiguous } from "../src/io/raw.ts";

export const fixtureDir = join(dirname(fileURLToPath(import.meta.url)), "fixtures", "io");

/** The bytes of a fixture file in test/fixtures/io. */
export function fixture(name: string): Uint8Array {
  const b = readFileSync(join(fixtureDir, name));
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** What scripts/fixtures/io.py recorded about one tensor. */
export interface Described {
  dtype: string;
  shape: number[];
  strides: number[];
  offset: number;
  values: Array<number | string>;
}

/** test/fixtures/io.json */
export const expected = JSON.parse(readFileSync(join(fixtureDir, "..", "io.json"), "utf8")) as {
  dtypes: Record<string, Described>;
  views: Record<string, Described>;
  mlp: Record<string, Described>;
  tied: Record<string, Described>;
  mlp_forward: { input: number[][]; output: number[][] };
};

/** Elements as JSON-comparable values in the fixture's encoding (int64 as strings, NaN/Inf as strings). */
export function valuesOf(data: ArrayLike<number | bigint>, dtype: string): Array<number | string> {
  return Array.from(data, (v) => {
    if (typeof v === "bigint") return v.toString();
    if (dtype === "float16" || dtype === "bfloat16" || !Number.isFinite(v)) {
      return Number.isNaN(v) ? "nan" : v === Infinity ? "inf" : v === -Infinity ? "-inf" : v;
    }
    return v;
  });
}

/** Asserts a RawTensor equals PyTorch's description exactly (-0 included). */
export function assertRawMatches(t: RawTensor, want: Described, where: string): void {
  assert.equal(t.dtype.name, want.dtype, `${where}: dtype`);
  assert.deepEqual(t.shape, want.shape, `${where}: shape`);
  const got = valuesOf(packContiguous(t) as ArrayLike<number | bigint>, want.dtype);
  assert.equal(got.length, want.values.length, `${where}: numel`);
  got.forEach((v, i) => assert.ok(Object.is(v, want.values[i]), `${where}[${i}]: got ${String(v)}, PyTorch has ${want.values[i]}`));
}
