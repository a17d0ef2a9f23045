/** Shared helpers of the io tests: fixture access and exact comparison with PyTorch's values. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { RawTensor } from "../src/io/raw.ts";
import { packContiguous } from "../src/io/raw.ts";
import { LazyStorage } from "../src/io/lazy.ts";

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

/** A loaded tree with every lazy storage read into a plain `{ dtype, data }`, for deep comparison. */
export function materialized(value: unknown): unknown {
  const done = new Map<object, unknown>();
  const walk = (v: unknown): unknown => {
    if (typeof v !== "object" || v === null || ArrayBuffer.isView(v)) return v;
    if (done.has(v)) return done.get(v);
    if (v instanceof LazyStorage) {
      const s = { dtype: v.dtype, data: v.data };
      done.set(v, s);
      return s;
    }
    if (v instanceof Map) {
      const m = new Map();
      done.set(v, m);
      for (const [k, x] of v) m.set(k, walk(x));
      return m;
    }
    const out: Record<string, unknown> | unknown[] = Array.isArray(v) ? [] : {};
    done.set(v, out);
    for (const [k, x] of Object.entries(v)) (out as Record<string, unknown>)[k] = walk(x);
    return Array.isArray(v) && Object.isFrozen(v) ? Object.freeze(out) : out;
  };
  return walk(value);
}
