/**
 * Broadcasting and type promotion against PyTorch 1.13 (test/fixtures/ops-promotion.json, written
 * by scripts/fixtures/ops.py): result shapes and errors for pairs of shapes, gradients summed back
 * to each input's shape, and result dtypes for every pair of dtypes and for tensor-scalar ops.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as torch from "../src/index.ts";
import { TorchletError } from "../src/errors.ts";
import type { Tensor } from "../src/index.ts";

type Plain = number | boolean | string | Plain[];
interface PairRow { op: string; a: string; b: string; bDims: "1d" | "0d"; result?: string; value?: Plain; error?: string }
interface ScalarRow { op: string; a: string; scalar: number | boolean; type: string; result?: string; value?: Plain; error?: string }
interface BroadcastRow { a: number[]; b: number[]; result?: number[]; error?: string }

const fixture = JSON.parse(readFileSync(new URL("./fixtures/ops-promotion.json", import.meta.url), "utf8")) as {
  tensorTensor: PairRow[]; tensorScalar: ScalarRow[]; broadcast: BroadcastRow[];
};

const DTYPES: Record<string, torch.DType> = {
  bool: torch.bool, int32: torch.int32, int64: torch.int64, float32: torch.float32, float64: torch.float64,
};

type Binary = (a: Tensor, b: Tensor | number | boolean) => Tensor;
const OPS: Record<string, Binary> = {
  add: (a, b) => a.add(b), sub: (a, b) => a.sub(b), mul: (a, b) => a.mul(b), div: (a, b) => a.div(b), eq: (a, b) => a.eq(b),
};

/** tolist() with bigints as numbers and "nan"/"inf" as PyTorch's fixture writes them. */
function plain(v: unknown): Plain {
  if (Array.isArray(v)) return v.map(plain);
  if (typeof v === "bigint") return Number(v);
  if (typeof v === "number" && !Number.isFinite(v)) return Number.isNaN(v) ? "nan" : v > 0 ? "inf" : "-inf";
  return v as Plain;
}

/** Float results compared after rounding, since float32 values travel as their float64 expansion. */
function assertValues(actual: Tensor, expected: Plain, what: string): void {
  const round = (v: Plain): Plain => (Array.isArray(v) ? v.map(round) : typeof v === "number" ? Number(v.toPrecision(7)) : v);
  assert.deepEqual(round(plain(actual.tolist())), round(expected), what);
}

function assertThrowsPyTorch(call: () => unknown, message: string, what: string): void {
  assert.throws(call, (err: unknown) => {
    assert.ok(err instanceof TorchletError, `${what}: threw ${String(err)}, not a TorchletError`);
    assert.ok(err.message.includes(message), `${what}: message\n  ${err.message}\nshould contain PyTorch's\n  ${message}`);
    return true;
  });
}

describe("broadcasting", () => {
  for (const row of fixture.broadcast) {
    const what = `[${row.a.join(", ")}] + [${row.b.join(", ")}]`;
    test(`${what} ${row.error ? "throws" : `is [${row.result!.join(", ")}]`}`, () => {
      const a = torch.zeros(row.a, { dtype: torch.float64, requiresGrad: true });
      const b = torch.zeros(row.b, { dtype: torch.float64, requiresGrad: true });
      if (row.error !== undefined) {
        assertThrowsPyTorch(() => a.add(b), row.error, what);
        return;
      }
      const out = a.add(b);
      assert.deepEqual([...out.shape], row.result, `${what}: shape`);
      out.sum().backward();
      // each element of a is used numel(out)/numel(a) times
      assert.deepEqual([...a.grad!.shape], row.a, `${what}: shape of a.grad`);
      assert.deepEqual([...b.grad!.shape], row.b, `${what}: shape of b.grad`);
      const count = (s: number[]): number => s.reduce((x, y) => x * y, 1);
      const expectA = count(row.result!) / count(row.a);
      assert.ok((a.grad!.contiguousData() as Float64Array).every((g) => g === expectA), `${what}: a.grad values`);
    });
  }
});

function operand(dtype: string, dims: "1d" | "0d"): Tensor {
  return dims === "1d" ? torch.ones([2], { dtype: DTYPES[dtype]! }) : torch.ones([], { dtype: DTYPES[dtype]! });
}

describe("type promotion of two tensors", () => {
  for (const row of fixture.tensorTensor) {
    const what = `${row.a} ${row.op} ${row.b}${row.bDims === "0d" ? " (0-dim)" : ""}`;
    test(`${what} -> ${row.result ?? "error"}`, () => {
      const call = (): Tensor => OPS[row.op]!(operand(row.a, "1d"), operand(row.b, row.bDims));
      if (row.error !== undefined) {
        assertThrowsPyTorch(call, row.error, what);
        return;
      }
      const out = call();
      assert.equal(String(out.dtype), `torch.${row.result}`, `${what}: dtype`);
      assertValues(out, row.value!, `${what}: values`);
    });
  }
});

describe("type promotion of a tensor and a JavaScript scalar", () => {
  for (const row of fixture.tensorScalar) {
    const what = `${row.a} ${row.op} ${String(row.scalar)} (${row.type})`;
    test(`${what} -> ${row.result ?? "error"}`, () => {
      const x = row.a === "bool" ? torch.tensor([true, false]) : torch.tensor([1, 0], { dtype: DTYPES[row.a]! });
      const call = (): Tensor => OPS[row.op]!(x, row.scalar);
      if (row.error !== undefined) {
        assertThrowsPyTorch(call, row.error, what);
        return;
      }
      const out = call();
      assert.equal(String(out.dtype), `torch.${row.result}`, `${what}: dtype`);
      assertValues(out, row.value!, `${what}: values`);
    });
  }
});
