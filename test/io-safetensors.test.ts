import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { DType } from "../src/core/dtype.ts";
import { FormatError } from "../src/errors.ts";
import type { RawTensor } from "../src/io/raw.ts";
import { rawFromData } from "../src/io/raw.ts";
import { readSafetensors, writeSafetensors } from "../src/io/safetensors.ts";
import { assertRawMatches, expected, fixture } from "./io-helpers.ts";

/** A safetensors file from a header object and a data section, laid out by the format's rules. */
function build(header: unknown, data: Uint8Array = new Uint8Array(0), rawHeader?: string): Uint8Array {
  const text = new TextEncoder().encode(rawHeader ?? JSON.stringify(header));
  const out = new Uint8Array(8 + text.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(text.length), true);
  out.set(text, 8);
  out.set(data, 8 + text.length);
  return out;
}

function assertRefused(bytes: Uint8Array, pattern: RegExp): void {
  assert.throws(() => readSafetensors(bytes, "bad.safetensors"), (e: unknown) => {
    assert.ok(e instanceof FormatError, `expected FormatError, got ${String(e)}`);
    assert.match(e.message, /^bad\.safetensors: /);
    assert.match(e.message, pattern);
    return true;
  });
}

const f32 = (name: string, shape: number[], begin: number, end: number): Record<string, unknown> =>
  ({ [name]: { dtype: "F32", shape, data_offsets: [begin, end] } });

describe("readSafetensors", () => {
  test("loads every supported dtype with exact values and the metadata", () => {
    const { tensors, metadata } = readSafetensors(fixture("dtypes.safetensors"), "dtypes.safetensors");
    assert.deepEqual(metadata, { format: "pt", note: "written by io.py" });
    for (const [name, want] of Object.entries(expected.dtypes)) {
      if (name === "scalar") continue;
      assertRawMatches(tensors.get(name)!, want, name);
    }
  });

  test("re-ties a name that save_model stored once, unless asked not to", () => {
    const { tensors } = readSafetensors(fixture("tied.safetensors"));
    assert.equal(tensors.get("1.weight")!.storage, tensors.get("0.weight")!.storage);
    for (const [name, want] of Object.entries(expected.tied)) assertRawMatches(tensors.get(name)!, want, name);
    assert.equal(readSafetensors(fixture("tied.safetensors"), "x", { retie: false }).tensors.has("1.weight"), false);
  });

  test("refuses truncated files, wrong header lengths and malformed JSON", () => {
    assertRefused(new Uint8Array(5), /shorter than the 8-byte header length/);
    const good = fixture("dtypes.safetensors");
    assertRefused(good.subarray(0, good.length - 1), /the data section has/);
    const long = good.slice();
    new DataView(long.buffer).setBigUint64(0, 1n << 60n, true);
    assertRefused(long, /the header claims \d+ bytes but the file has only/);
    assertRefused(build(null, undefined, "{\"a\": "), /not valid JSON/);
    assertRefused(build(null, undefined, "[1, 2]"), /does not start with '\{'/);
    assertRefused(build(null, undefined, "null"), /does not start with '\{'/);
  });

  test("refuses overlapping, out-of-range, unordered and holed offsets", () => {
    const data = new Uint8Array(16);
    assertRefused(build({ ...f32("a", [2], 0, 8), ...f32("b", [2], 4, 12) }, data), /'b' starts at data offset 4, expected 8/);
    assertRefused(build({ ...f32("a", [2], 0, 8), ...f32("b", [2], 12, 20) }, data), /'b' starts at data offset 12, expected 8/);
    assertRefused(build(f32("a", [2], 8, 16), data), /'a' starts at data offset 8, expected 0/);
    assertRefused(build(f32("a", [6], 0, 24), data), /span 24 bytes but the data section has 16/);
    assertRefused(build({ a: { dtype: "F32", shape: [2], data_offsets: [8, 0] } }, data), /begin <= end/);
  });

  test("refuses shapes that disagree with byte counts, and huge claimed shapes without allocating", () => {
    assertRefused(build(f32("a", [3], 0, 8), new Uint8Array(8)), /shape \[3\] of F32 needs 12 bytes but data_offsets \[0,8\] span 8/);
    assertRefused(build(f32("a", [2 ** 40, 2 ** 40], 0, 8), new Uint8Array(8)), /needs \d.* bytes/);
    assertRefused(build(f32("a", [-1], 0, 8), new Uint8Array(8)), /shape must be an array of non-negative integers/);
  });

  test("refuses unknown dtypes, and names the format's dtypes torchlet lacks", () => {
    assertRefused(build({ a: { dtype: "Q7", shape: [], data_offsets: [0, 0] } }), /unknown dtype 'Q7'/);
    assertRefused(build({ a: { dtype: "I16", shape: [1], data_offsets: [0, 2] } }, new Uint8Array(2)), /dtype I16, which torchlet does not support/);
    assertRefused(build({ a: { dtype: "constructor", shape: [], data_offsets: [0, 0] } }), /unknown dtype 'constructor'/);
  });

  test("refuses metadata that is not strings", () => {
    assertRefused(build({ __metadata__: { a: 1 } }), /__metadata__ must map strings to strings/);
  });
});

describe("writeSafetensors", () => {
  test("lays files out as the safetensors library does (8-byte aligned header, sorted, no holes)", () => {
    const { tensors, metadata } = readSafetensors(fixture("dtypes.safetensors"));
    const bytes = writeSafetensors(tensors, metadata);
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    assert.equal((8 + n) % 8, 0);
    // the fixture was laid out by scripts/fixtures/io.py with the library's ordering rules
    assert.deepEqual(bytes, fixture("dtypes.safetensors"));
  });

  test("stores tied tensors once and records the alias in __metadata__'s torchlet.tied", () => {
    const w = rawFromData(DType.float32, [2, 2], new Float32Array([1, 2, 3, 4]));
    const tensors = new Map<string, RawTensor>([["enc.weight", w], ["dec.weight", { ...w }], ["bias", rawFromData(DType.float32, [2], new Float32Array(2))]]);
    const bytes = writeSafetensors(tensors, { format: "pt" });
    const back = readSafetensors(bytes);
    assert.deepEqual(back.metadata, { format: "pt" });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    assert.deepEqual(JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))).__metadata__, { format: "pt", "torchlet.tied": "{\"enc.weight\":\"dec.weight\"}" });
    assert.equal(bytes.length, 8 + n + 24);
    assert.equal(back.tensors.get("enc.weight")!.storage, back.tensors.get("dec.weight")!.storage);
  });

  test("never overrides a user metadata key with an alias", () => {
    const w = rawFromData(DType.float32, [1], new Float32Array([1]));
    const back = readSafetensors(writeSafetensors(new Map([["a", w], ["b", { ...w }]]), { b: "mine" }), "x", { retie: false });
    assert.deepEqual(back.metadata, { b: "mine" });
    assert.deepEqual([...back.tensors.keys()], ["a"]);
  });

  test("packs a transposed view and writes a partial view of a shared storage as its own data", () => {
    const base = rawFromData(DType.int32, [2, 3], new Int32Array([0, 1, 2, 3, 4, 5]));
    const t: RawTensor = { ...base, shape: [3, 2], strides: [1, 3] };
    const row: RawTensor = { ...base, shape: [3], strides: [1], offset: 3 };
    const back = readSafetensors(writeSafetensors(new Map([["base", base], ["t", t], ["row", row]]))).tensors;
    assert.deepEqual(Array.from(back.get("t")!.storage.data as ArrayLike<number | bigint>), [0, 3, 1, 4, 2, 5]);
    assert.deepEqual(Array.from(back.get("row")!.storage.data as ArrayLike<number | bigint>), [3, 4, 5]);
  });
});
