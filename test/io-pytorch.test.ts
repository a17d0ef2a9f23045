/**
 * Asks the installed PyTorch to read what torchlet writes. Runs only when `/usr/bin/python3 -c
 * "import torch"` works, and says why it skipped otherwise.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { DType } from "../src/core/dtype.ts";
import type { PtValue } from "../src/io/pt.ts";
import { readPt, writePt } from "../src/io/pt.ts";
import type { RawTensor } from "../src/io/raw.ts";
import { rawFromData } from "../src/io/raw.ts";
import { deserialize, serialize, serializeSafetensors } from "../src/io/serialize.ts";
import type { Tensor } from "../src/tensor.ts";
import { tensor } from "../src/ops/creation.ts";
import type { Described } from "./io-helpers.ts";
import { expected, fixture } from "./io-helpers.ts";

const python = "/usr/bin/python3";
const probe = spawnSync(python, ["-P", "-c", "import torch; print(torch.__version__)"], { encoding: "utf8" });
const skip = probe.status === 0 ? false : `PyTorch is not installed for ${python} (${(probe.stderr ?? probe.error?.message ?? "").trim().split("\n").pop()})`;
if (skip) console.log(`# io-pytorch skipped: ${skip}`);

/** Loads each file with torch.load(weights_only=True) (or a plain safetensors parse) and describes it. */
const reader = String.raw`
import json, struct, sys, torch
def describe(t):
    flat = t.contiguous().reshape(-1)
    if t.dtype in (torch.float16, torch.bfloat16):
        values = [int(v) & 0xFFFF for v in flat.view(torch.int16).tolist()]
    elif t.dtype == torch.int64:
        values = [str(v) for v in flat.tolist()]
    elif t.dtype.is_floating_point:
        values = [v if v == v and abs(v) != float("inf") else str(v) for v in flat.tolist()]
    else:
        values = [int(v) for v in flat.tolist()]
    return {"dtype": str(t.dtype).replace("torch.", ""), "shape": list(t.shape), "strides": list(t.stride()),
            "offset": t.storage_offset(), "values": values, "ptr": t.storage().data_ptr(),
            "parameter": isinstance(t, torch.nn.Parameter), "requires_grad": t.requires_grad}
def walk(v):
    if isinstance(v, torch.Tensor): return describe(v)
    if isinstance(v, dict): return {"__dict__": type(v).__name__, "items": [[k, walk(x)] for k, x in v.items()]}
    if isinstance(v, (list, tuple)): return [walk(x) for x in v]
    if isinstance(v, int) and not isinstance(v, bool): return {"int": str(v)}
    if isinstance(v, float) and v != v: return "nan"
    return v
ST = {"F32": torch.float32, "F64": torch.float64, "F16": torch.float16, "BF16": torch.bfloat16, "I64": torch.int64,
      "I32": torch.int32, "I8": torch.int8, "U8": torch.uint8, "BOOL": torch.bool}
def safetensors(path):
    data = open(path, "rb").read()
    n = struct.unpack("<Q", data[:8])[0]
    assert (8 + n) % 8 == 0, "header not padded to 8 bytes"
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    body = data[8 + n:]
    out = {}
    for k, v in header.items():
        b, e = v["data_offsets"]
        t = torch.frombuffer(bytearray(body[b:e]), dtype=ST[v["dtype"]]) if e > b else torch.zeros(0, dtype=ST[v["dtype"]])
        out[k] = describe(t.reshape(v["shape"]))
    return {"metadata": meta, "tensors": out}
result = {}
for path in sys.argv[1:]:
    name = path.rsplit("/", 1)[-1]
    if name.endswith(".safetensors"): result[name] = safetensors(path)
    elif name.startswith("full-"): result[name] = walk(torch.load(path))
    else: result[name] = walk(torch.load(path, weights_only=True))
print(json.dumps(result))
`;

interface PyTensor extends Described { ptr: number; parameter: boolean; requires_grad: boolean }
type PyDict = { __dict__: string; items: Array<[unknown, unknown]> };

const dir = mkdtempSync(join(tmpdir(), "torchlet-pytorch-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function pytorchReads(files: Record<string, Uint8Array>): Record<string, unknown> {
  const paths = Object.entries(files).map(([name, bytes]) => {
    writeFileSync(join(dir, name), bytes);
    return join(dir, name);
  });
  const run = spawnSync(python, ["-P", "-c", reader, ...paths], { encoding: "utf8", maxBuffer: 1 << 26 });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout) as Record<string, unknown>;
}

const items = (d: unknown): Map<unknown, unknown> => new Map((d as PyDict).items);

function assertSameValues(got: PyTensor, want: Described, where: string): void {
  assert.equal(got.dtype, want.dtype, where);
  assert.deepEqual(got.shape, want.shape, where);
  assert.deepEqual(got.values, want.values, where);
}

/** Every file the tests hand to PyTorch, written by torchlet; PyTorch reads them in one run. */
function torchletFiles(): Record<string, Uint8Array> {
  const dtypes = readPt(fixture("dtypes.pt")) as Map<string, RawTensor>;
  const a = tensor([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]);
  const views = new Map<string, Tensor>([["base", a], ["t", a.t()], ["slice", a.narrow(0, 1, 2).narrow(1, 2, 2)], ["flat", a.view(-1)]]);
  const w = tensor([[1, 2], [3, 4]]);
  const tied = new Map<string, Tensor>([["0.weight", w], ["0.bias", tensor([0, 0])], ["1.weight", w], ["1.bias", tensor([1, 1])]]);
  const param: RawTensor = { ...rawFromData(DType.float32, [2], new Float32Array([0.5, -1])), parameter: true, requiresGrad: true };
  const nested: PtValue = {
    list: [rawFromData(DType.float32, [2], new Float32Array([1, 2])), 2, "x", null, true],
    dict: new Map([["a", { b: rawFromData(DType.int32, [1], new Int32Array([7])) }]]),
    big: 2n ** 70n, neg: -5, wide: 2 ** 40, param, unicode: "é✓",
  };
  return {
    "dtypes.pt": writePt(dtypes),
    "dtypes.safetensors": serializeSafetensors(deserialize(fixture("dtypes.pt")) as Map<string, Tensor>),
    "views.pt": serialize(views),
    "tied.pt": serialize(tied),
    "nested.pt": writePt(nested),
    "full-floats.pt": writePt({ lr: 0.001, nan: NaN }),
    "mlp.pt": serialize(deserialize(fixture("mlp.pt")) as Map<string, Tensor>),
  };
}

describe("PyTorch reads what torchlet writes", { skip }, () => {
  let out: Record<string, unknown> = {};
  before(() => { out = pytorchReads(torchletFiles()); });

  test("torch.load(weights_only=True) gets every dtype back exactly, and the safetensors agree", () => {
    const pt = items(out["dtypes.pt"]);
    for (const [name, want] of Object.entries(expected.dtypes)) assertSameValues(pt.get(name) as PyTensor, want, `pt ${name}`);
    const sf = out["dtypes.safetensors"] as { tensors: Record<string, PyTensor> };
    for (const [name, want] of Object.entries(expected.dtypes)) {
      if (name !== "scalar") assertSameValues(sf.tensors[name]!, want, `safetensors ${name}`);
    }
    assert.equal(sf.tensors.scalar!.shape.length, 0);
  });

  test("views keep their strides and offsets over one storage, and tied weights are one storage", () => {
    const v = items(out["views.pt"]);
    assert.equal((out["views.pt"] as PyDict).__dict__, "OrderedDict");
    for (const [name, want] of Object.entries(expected.views)) {
      const got = v.get(name) as PyTensor;
      assertSameValues(got, want, name);
      assert.deepEqual([got.strides, got.offset], [want.strides, want.offset], name);
      assert.equal(got.ptr, (v.get("base") as PyTensor).ptr, `${name} shares base's storage in PyTorch`);
    }
    const t = items(out["tied.pt"]);
    assert.equal((t.get("0.weight") as PyTensor).ptr, (t.get("1.weight") as PyTensor).ptr);
    assert.notEqual((t.get("0.bias") as PyTensor).ptr, (t.get("1.bias") as PyTensor).ptr);
  });

  test("nested containers, ints, big ints, strings, None, booleans and parameters load", () => {
    const n = items(out["nested.pt"]);
    const list = n.get("list") as unknown[];
    assert.deepEqual((list[0] as PyTensor).values, [1, 2]);
    assert.deepEqual(list.slice(1), [{ int: "2" }, "x", null, true]);
    assert.deepEqual((items(items(n.get("dict")).get("a")).get("b") as PyTensor).values, [7]);
    assert.deepEqual([n.get("big"), n.get("neg"), n.get("wide")], [{ int: String(2n ** 70n) }, { int: "-5" }, { int: String(2 ** 40) }]);
    assert.equal(n.get("unicode"), "é✓");
    const p = n.get("param") as PyTensor;
    assert.deepEqual([p.parameter, p.requires_grad, p.values], [true, true, [0.5, -1]]);
  });

  test("non-integer numbers need full torch.load: 1.13's weights_only has no BINFLOAT", () => {
    const f = items(out["full-floats.pt"]);
    assert.deepEqual([f.get("lr"), f.get("nan")], [0.001, "nan"]);
  });

  test("a torchlet round trip of a PyTorch state dict gives PyTorch the same values", () => {
    const m = items(out["mlp.pt"]);
    for (const [name, want] of Object.entries(expected.mlp)) assertSameValues(m.get(name) as PyTensor, want, name);
  });
});
