import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import type { InspectReport } from "../src/io/inspect.ts";
import { runInspect } from "../src/cli/inspect.ts";
import { DType } from "../src/core/dtype.ts";
import { rawFromData } from "../src/io/raw.ts";
import { writeSafetensors } from "../src/io/safetensors.ts";
import { writeZip } from "../src/io/zip.ts";
import { expected, fixtureDir } from "./io-helpers.ts";

function run(...args: string[]): { code: number; out: string; err: string } {
  let out = "", err = "";
  const code = runInspect(args, { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) } });
  return { code, out, err };
}

describe("torchlet inspect", () => {
  test("--json reports every tensor of a PyTorch state dict with its statistics", () => {
    const { code, out } = run(join(fixtureDir, "mlp.pt"), "--json", "--stats");
    assert.equal(code, 0);
    const report = JSON.parse(out) as InspectReport;
    assert.equal(report.format, "pt");
    assert.deepEqual(report.tensors.map((t) => t.name), Object.keys(expected.mlp));
    for (const row of report.tensors) {
      const values = expected.mlp[row.name]!.values as number[];
      assert.equal(row.params, values.length);
      assert.equal(row.bytes, values.length * 4);
      assert.equal(row.min, Math.min(...values));
      assert.equal(row.max, Math.max(...values));
      const mean = values.reduce((s, v) => s + v, 0) / values.length;
      assert.ok(Math.abs(row.mean! - mean) < 1e-12);
      const std = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1));
      assert.ok(Math.abs(row.std! - std) < 1e-12);
    }
    assert.deepEqual(report.totals, { tensors: 4, params: 26, bytes: 104, storageBytes: 104 });
  });

  test("the table names tensors that share storage and counts NaN and Inf", () => {
    const tied = run(join(fixtureDir, "tied.pt"), "--stats");
    assert.match(tied.out, /^0\.weight .* 1\.weight$/m);
    assert.match(tied.out, /4 tensors, 12 parameters, 48 bytes \(32 bytes of distinct storage\)/);
    const dtypes = JSON.parse(run(join(fixtureDir, "dtypes.safetensors"), "--json", "--stats").out) as InspectReport;
    const f32 = dtypes.tensors.find((t) => t.name === "float32")!;
    assert.deepEqual([f32.nan, f32.inf, f32.min], [1, 2, -2.25]);
    assert.deepEqual(dtypes.metadata, { format: "pt", note: "written by io.py" });
  });

  test("reads a sharded index as one checkpoint", () => {
    const r = JSON.parse(run(join(fixtureDir, "model.safetensors.index.json"), "--json").out) as InspectReport;
    assert.equal(r.format, "sharded-safetensors");
    assert.equal(r.totals.params, 26);
  });

  test("a bad file is one clear line on stderr and exit code 1; bad usage is exit code 2", () => {
    const bad = run(join(fixtureDir, "evil.pt"));
    assert.equal(bad.code, 1);
    assert.equal(bad.out, "");
    assert.match(bad.err, /^torchlet inspect: .*evil\.pt: .*'posix\.system', which is not allowed.*\n$/);
    assert.equal(bad.err.split("\n").length, 2);
    assert.equal(run(join(fixtureDir, "missing.pt")).code, 1);
    assert.match(run(join(fixtureDir, "legacy.pt")).err, /not a zip archive.*re-saved with torch\.save in PyTorch >= 1\.6\n$/);
    assert.equal(run().code, 2);
    const dir = mkdtempSync(join(tmpdir(), "torchlet-inspect-"));
    try {
      const deep = new Uint8Array([0x80, 2, ...Array(10_000).fill(0x5d), ...Array(9_999).fill(0x61), 0x2e]);
      writeFileSync(join(dir, "deep.pt"), writeZip([["archive/data.pkl", deep], ["archive/version", new TextEncoder().encode("3\n")]]));
      assert.match(run(join(dir, "deep.pt")).err, /nested more than 1000 deep/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("draws a progress bar on a terminal's stderr for files of 64 MiB and more", () => {
    const dir = mkdtempSync(join(tmpdir(), "torchlet-inspect-"));
    try {
      const path = join(dir, "big.safetensors");
      const n = 2 ** 24 + 16;
      writeFileSync(path, writeSafetensors(new Map([["a", rawFromData(DType.float32, [n], new Float32Array(n))], ["b", rawFromData(DType.float32, [2], new Float32Array(2))]])));
      let err = "";
      const code = runInspect([path, "--json", "--stats"], { stdout: { write: () => true }, stderr: { write: (s: string) => (err += s), isTTY: true } });
      assert.equal(code, 0);
      assert.match(err, /\rinspecting \[#+\.*\] \d+%/);
      assert.match(err, /\[#{30}\] 100%\n$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
