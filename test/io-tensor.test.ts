import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { float16, float32, int64 } from "../src/core/dtype.ts";
import { Tensor } from "../src/tensor.ts";
import { FormatError, ValueError } from "../src/errors.ts";
import { writeZip } from "../src/io/zip.ts";
import { load, loadSafetensors, loadSafetensorsFile, save, saveSafetensors } from "../src/io/files-node.ts";
import { deserialize, deserializeSafetensors, serialize, serializeSafetensors } from "../src/io/serialize.ts";
import { bfloat16ToNumber, halfToNumber } from "../src/core/half.ts";
import type { LoadValue, SaveValue } from "../src/io/tensor-adapter.ts";
import { tensor } from "../src/ops/creation.ts";
import { expected, fixture, fixtureDir, valuesOf } from "./io-helpers.ts";

const dir = mkdtempSync(join(tmpdir(), "torchlet-io-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const asMap = (v: LoadValue): Map<string, LoadValue> => {
  assert.ok(v instanceof Map);
  return v as Map<string, LoadValue>;
};
const values = (t: Tensor): unknown[] => valuesOf(t.contiguousData() as ArrayLike<number | bigint>, t.dtype.name);

describe("deserialize", () => {
  test("builds Tensors with PyTorch's dtypes, shapes and values", () => {
    const d = asMap(deserialize(fixture("dtypes.pt")));
    for (const [name, want] of Object.entries(expected.dtypes)) {
      const t = d.get(name) as Tensor;
      assert.ok(t instanceof Tensor);
      assert.equal(t.dtype.name, want.dtype);
      assert.deepEqual(t.shape, want.shape);
      values(t).forEach((v, i) => assert.ok(Object.is(v, want.values[i]), `${name}[${i}]`));
    }
  });

  test("loads views of one storage: writing through one is seen by the others", () => {
    const d = asMap(deserialize(fixture("views.pt")));
    const base = d.get("base") as Tensor, t = d.get("t") as Tensor;
    assert.deepEqual(t.stride(), [1, 4]);
    base.fill_(7);
    assert.deepEqual(values(t), Array(12).fill(7));
  });

  test("halfToFloat converts float16 and bfloat16 exactly, storage by storage", () => {
    const d = asMap(deserialize(fixture("dtypes.pt"), { halfToFloat: true }));
    for (const name of ["float16", "bfloat16"]) {
      const t = d.get(name) as Tensor;
      assert.equal(t.dtype, float32);
      const bits = expected.dtypes[name]!.values as number[];
      const f = name === "float16" ? halfToNumber : bfloat16ToNumber;
      values(t).forEach((v, i) => assert.ok(Object.is(Math.fround(f(bits[i]!)), v === "nan" ? NaN : v === "inf" ? Infinity : v === "-inf" ? -Infinity : v), `${name}[${i}]`));
    }
    assert.equal(halfToNumber(0x3c00), 1);
    assert.equal(halfToNumber(0x0001), 2 ** -24);
    assert.equal(bfloat16ToNumber(0x3fc0), 1.5);
  });

  test("the PyTorch-saved MLP state dict gives PyTorch's forward output", () => {
    const sd = asMap(deserialize(fixture("mlp.pt")));
    const w = (k: string): Tensor => sd.get(k) as Tensor;
    const x = tensor(expected.mlp_forward.input);
    const h = x.matmul(w("0.weight").t()).add(w("0.bias")).relu();
    const y = h.matmul(w("2.weight").t()).add(w("2.bias"));
    const got = y.tolist() as number[][];
    got.flat().forEach((v, i) => assert.ok(Math.abs(v - expected.mlp_forward.output.flat()[i]!) < 1e-6));
  });

  test("refuses containers nested deeper than 1000 instead of overflowing the stack", () => {
    const depth = 100_000;
    const pickle = new Uint8Array([0x80, 2, ...Array(depth).fill(0x5d), ...Array(depth - 1).fill(0x61), 0x2e]);
    const bytes = writeZip([["archive/data.pkl", pickle], ["archive/version", new TextEncoder().encode("3\n")]]);
    assert.throws(() => deserialize(bytes, { name: "deep.pt" }), /deep\.pt: containers are nested more than 1000 deep/);
    let deep: SaveValue = [];
    for (let i = 0; i < depth; i++) deep = [deep];
    assert.throws(() => serialize(deep), ValueError);
  });

  test("a parameter loads with requiresGrad", () => {
    const d = asMap(deserialize(fixture("nested.pt")));
    assert.equal((d.get("param") as Tensor).requiresGrad, true);
  });
});

describe("serialize", () => {
  test("round-trips tensors, views and nesting through bytes", () => {
    const a = tensor([[1, 2, 3], [4, 5, 6]]);
    const obj = { a, t: a.t(), nested: [tensor([1n, 2n], { dtype: int64 }), new Map([["k", 3]])], s: "x", n: null };
    const back = asMap(deserialize(serialize(obj)));
    assert.deepEqual((back.get("t") as Tensor).tolist(), a.t().tolist());
    assert.equal((back.get("t") as Tensor).storage, (back.get("a") as Tensor).storage);
    const nested = back.get("nested") as LoadValue[];
    assert.equal((nested[0] as Tensor).dtype, int64);
    assert.deepEqual((nested[0] as Tensor).tolist(), [1, 2]);
    assert.deepEqual(nested[1], new Map([["k", 3]]));
    assert.equal(back.get("s"), "x");
    assert.equal(back.get("n"), null);
  });

  test("accepts ArrayBuffers as well as Uint8Arrays", () => {
    const bytes = serialize(tensor([1, 2]));
    const copy = bytes.slice().buffer;
    assert.deepEqual((deserialize(copy) as Tensor).tolist(), [1, 2]);
  });

  test("keeps float16 storage as raw bits", () => {
    const half = Tensor.fromArray(new Uint16Array([0x3c00, 0xc000]), [2], float16);
    const back = deserialize(serialize(half)) as Tensor;
    assert.equal(back.dtype, float16);
    assert.deepEqual(Array.from(back.storage.data as Uint16Array), [0x3c00, 0xc000]);
  });
});

describe("save / load (Node paths)", () => {
  test("save writes atomically and load reads it back", () => {
    const path = join(dir, "mlp.params");
    const sd = asMap(deserialize(fixture("mlp.pt")));
    save(sd, path);
    save(sd, path);
    const back = asMap(load(path));
    assert.deepEqual([...back.keys()], [...sd.keys()]);
    assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith(".tmp")), []);
  });

  test("load names the file in its errors", () => {
    const path = join(dir, "broken.pt");
    writeFileSync(path, "not a zip");
    assert.throws(() => load(path), (e: unknown) => e instanceof FormatError && e.message.startsWith(path));
  });

  test("saveSafetensors/loadSafetensors re-tie shared tensors", () => {
    const w = tensor([[1, 2], [3, 4]]);
    const path = join(dir, "tied.safetensors");
    saveSafetensors(new Map([["enc.weight", w], ["dec.weight", w]]), path, { metadata: { format: "pt" } });
    const back = loadSafetensors(path);
    assert.equal(back.get("enc.weight")!.storage, back.get("dec.weight")!.storage);
    assert.deepEqual(loadSafetensorsFile(path).metadata, { format: "pt" });
  });

  test("loads a sharded checkpoint from its index as one state dict", () => {
    const sd = loadSafetensors(join(fixtureDir, "model.safetensors.index.json"));
    assert.deepEqual([...sd.keys()].sort(), Object.keys(expected.mlp).sort());
    for (const [name, want] of Object.entries(expected.mlp)) assert.deepEqual(values(sd.get(name)!), want.values);
  });

  test("refuses a shard index that reaches outside its folder", () => {
    const path = join(dir, "evil.safetensors.index.json");
    writeFileSync(path, JSON.stringify({ weight_map: { a: "../../etc/passwd" } }));
    assert.throws(() => loadSafetensors(path), /not a file name in the index's folder/);
  });

  test("bytes and paths agree for safetensors", () => {
    const t = { x: tensor([1.5, -2]) };
    assert.deepEqual(deserializeSafetensors(serializeSafetensors(t)).get("x")!.tolist(), [1.5, -2]);
  });
});
