import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { DType } from "../src/core/dtype.ts";
import { FormatError } from "../src/errors.ts";
import { Pickler } from "../src/io/pickle.ts";
import type { PtKey, PtValue } from "../src/io/pt.ts";
import { readPt, writePt } from "../src/io/pt.ts";
import type { RawTensor } from "../src/io/raw.ts";
import { rawFromData } from "../src/io/raw.ts";
import { openZip, writeZip } from "../src/io/zip.ts";
import { assertRawMatches, expected, fixture, materialized } from "./io-helpers.ts";

const asMap = (v: PtValue): Map<PtKey, PtValue> => {
  assert.ok(v instanceof Map);
  return v as Map<PtKey, PtValue>;
};

/** A torch.save-shaped archive around hand-written pickle bytes, for hostile-input tests. */
function archive(pickle: Uint8Array, records: Array<[string, Uint8Array]> = []): Uint8Array {
  const files: Array<[string, Uint8Array]> = [["archive/data.pkl", pickle], ...records, ["archive/version", new TextEncoder().encode("3\n")]];
  return writeZip(files);
}

const bytesOf = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

function assertRefused(bytes: Uint8Array, pattern: RegExp): void {
  assert.throws(() => readPt(bytes, "hostile.pt"), (e: unknown) => {
    assert.ok(e instanceof FormatError, `expected FormatError, got ${String(e)}`);
    assert.match(e.message, /^hostile\.pt: /);
    assert.match(e.message, pattern);
    return true;
  });
}

describe("readPt", () => {
  test("loads every dtype PyTorch 1.13 writes with exactly PyTorch's values", () => {
    const d = asMap(readPt(fixture("dtypes.pt"), "dtypes.pt"));
    assert.deepEqual([...d.keys()], Object.keys(expected.dtypes));
    for (const [name, want] of Object.entries(expected.dtypes)) assertRawMatches(d.get(name) as RawTensor, want, name);
  });

  test("loads a transposed view, a slice and a flat view as views of one storage", () => {
    const d = asMap(readPt(fixture("views.pt")));
    const base = d.get("base") as RawTensor;
    for (const [name, want] of Object.entries(expected.views)) {
      const t = d.get(name) as RawTensor;
      assert.equal(t.storage, base.storage, `${name} shares base's storage`);
      assert.deepEqual(t.strides, want.strides);
      assert.equal(t.offset, want.offset);
      assertRawMatches(t, want, name);
    }
  });

  test("loads nested dicts, lists, tuples, scalars, big ints, strings and parameters", () => {
    const d = asMap(readPt(fixture("nested.pt")));
    const list = d.get("list") as PtValue[];
    assert.deepEqual(Array.from((list[0] as RawTensor).storage.data as ArrayLike<number | bigint>), [1, 2]);
    assert.deepEqual(list.slice(1), [2, "x", null, true, 1.5]);
    const tuple = d.get("tuple") as PtValue[];
    assert.equal(tuple[0], 1);
    assert.deepEqual(Array.from((tuple[1] as RawTensor).storage.data as ArrayLike<number | bigint>), [3n]);
    const inner = asMap(asMap(d.get("dict")!).get("a")!).get("b") as RawTensor;
    assert.equal(inner.dtype, DType.int32);
    assert.equal(d.get("big"), 2n ** 70n);
    assert.equal(d.get("neg"), -5);
    assert.equal(d.get("unicode"), "é✓");
    const param = d.get("param") as RawTensor;
    assert.equal(param.parameter, true);
    assert.equal(param.requiresGrad, true);
  });

  test("loads an OrderedDict state dict and a tied state dict as one storage", () => {
    const sd = asMap(readPt(fixture("mlp.pt")));
    for (const [name, want] of Object.entries(expected.mlp)) assertRawMatches(sd.get(name) as RawTensor, want, name);
    const tied = asMap(readPt(fixture("tied.pt")));
    assert.equal((tied.get("0.weight") as RawTensor).storage, (tied.get("1.weight") as RawTensor).storage);
    assert.notEqual((tied.get("0.bias") as RawTensor).storage, (tied.get("1.bias") as RawTensor).storage);
  });

  test("honours a big-endian byteorder record by swapping each element's bytes", () => {
    const little = writePt(rawFromData(DType.float32, [2], new Float32Array([1.5, -2])));
    const zip = openZip(little, "x");
    const files: Array<[string, Uint8Array]> = [...zip.entries.values()].map((e) => {
      const data = zip.read(e).slice();
      if (e.name === "archive/byteorder") return [e.name, new TextEncoder().encode("big")];
      if (e.name.includes("/data/")) for (let i = 0; i < data.length; i += 4) data.subarray(i, i + 4).reverse();
      return [e.name, data];
    });
    assert.deepEqual(Array.from((readPt(writeZip(files)) as RawTensor).storage.data as Float32Array), [1.5, -2]);
  });

  test("loads protocol-4 pickles (FRAME, SHORT_BINUNICODE, MEMOIZE, STACK_GLOBAL)", () => {
    const d = asMap(readPt(fixture("protocol4.pt")));
    const w = d.get("w") as RawTensor;
    assert.deepEqual([w.shape, w.strides], [expected.views.t!.shape, expected.views.t!.strides]);
    assertRawMatches(w, expected.views.t!, "w");
    assert.deepEqual(d.get("n"), [1, "two"]);
  });

  test("loads a bare tensor", () => {
    const t = readPt(fixture("tensor.pt")) as RawTensor;
    assert.deepEqual(t.shape, [1, 3]);
    assert.deepEqual(Array.from(t.storage.data as ArrayLike<number | bigint>), [1, 2, 3]);
  });

  test("refuses the legacy (pre-1.6, non-zip) format and says how to convert", () => {
    assert.throws(() => readPt(fixture("legacy.pt"), "legacy.pt"), /legacy\.pt: not a zip archive.*re-saved with torch\.save/);
  });

  test("refuses a pickle that would call os.system, naming the global", () => {
    assert.throws(() => readPt(fixture("evil.pt"), "evil.pt"), (e: unknown) =>
      e instanceof FormatError && /evil\.pt: .*'posix\.system', which is not allowed/.test(e.message));
  });

  test("refuses disallowed globals, REDUCE on non-callables and unknown opcodes", () => {
    assertRefused(archive(bytesOf("\x80\x02cbuiltins\neval\n.")), /'builtins\.eval', which is not allowed/);
    assertRefused(archive(bytesOf("\x80\x02K\x01)R.")), /REDUCE on a value that is not an allowed callable/);
    assertRefused(archive(bytesOf("\x80\x02I1\n.")), /unknown or unsupported pickle opcode 0x49/);
    assertRefused(archive(bytesOf("\x80\x02ctorch\nFloatStorage\n)R.")), /FloatStorage got invalid arguments/);
    assertRefused(archive(bytesOf("\x80\x02(K\x01")), /ends without STOP/);
    assertRefused(archive(bytesOf("\x80\x02h\x05.")), /memo entry 5 is read before it is written/);
    assertRefused(archive(bytesOf("\x80\x02ctorch\nShortStorage\n.")), /torch\.ShortStorage have a dtype torchlet does not support/);
  });

  test("checks a storage's claimed size against its record before allocating", () => {
    const p = new Pickler();
    p.mark(); p.string("storage"); p.global("torch", "FloatStorage"); p.string("0"); p.string("cpu");
    p.int(2 ** 40); p.tuple(); p.persistentId();
    assertRefused(archive(p.finish(), [["archive/data/0", new Uint8Array(8)]]), /claims 1099511627776 torch\.float32 elements.*8 bytes/);
  });

  test("checks a view's shape, strides and offset against its storage", () => {
    const t = { ...rawFromData(DType.float32, [4], new Float32Array(4)), shape: [2], strides: [2], offset: 1 };
    const bytes = writePt(t);
    // patch the offset (BININT1 2 just after BINPERSID) so the view reaches past the storage
    const zip = openZip(bytes, "x");
    const pkl = zip.read(zip.entries.get("archive/data.pkl")!).slice();
    const at = pkl.indexOf(0x51) + 1;
    assert.deepEqual([...pkl.subarray(at, at + 2)], [0x4b, 1]);
    pkl[at + 1] = 3;
    assertRefused(archive(pkl, [["archive/data/0", new Uint8Array(16)]]), /reaches element 5 of a storage of 4 elements/);
  });
});

describe("writePt", () => {
  test("round-trips every dtype, views, nesting and parameters", () => {
    for (const f of ["dtypes.pt", "views.pt", "nested.pt", "mlp.pt"]) {
      const first = readPt(fixture(f));
      assert.deepEqual(materialized(readPt(writePt(first))), materialized(first), f);
    }
  });

  test("writes a shared storage once and keeps views sharing it", () => {
    const d = asMap(readPt(fixture("views.pt")));
    const bytes = writePt(d);
    const zip = openZip(bytes, "x");
    assert.deepEqual([...zip.entries.keys()].filter((n) => n.includes("/data/")), ["archive/data/0"]);
    const back = asMap(readPt(bytes));
    assert.equal((back.get("t") as RawTensor).storage, (back.get("base") as RawTensor).storage);
  });

  test("aligns every record's data to 64 bytes, as PyTorch's writer does", () => {
    const zip = openZip(writePt(readPt(fixture("dtypes.pt"))), "x");
    for (const e of zip.entries.values()) assert.equal(zip.dataStart(e) % 64, 0, e.name);
  });

  test("writes the same bytes for the same input (no clock, no randomness)", () => {
    const d = readPt(fixture("mlp.pt"));
    assert.deepEqual(writePt(d), writePt(d));
  });

  test("keeps shared and cyclic containers shared through the pickle memo", () => {
    const shared: PtValue[] = [1, 2];
    const cyclic: PtValue[] = [];
    cyclic.push(cyclic);
    const back = readPt(writePt({ a: shared, b: shared, c: cyclic })) as Map<string, PtValue[]>;
    assert.equal(back.get("a"), back.get("b"));
    assert.equal(back.get("c")![0], back.get("c"));
  });
});
