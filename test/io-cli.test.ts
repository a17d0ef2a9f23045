/** The torchlet command on parseArgs (help, version, options by name) and `torchlet diff`. */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import type { DiffReport } from "../src/cli/diff.ts";
import { main } from "../src/cli/main.ts";
import { save, saveSafetensors } from "../src/io/files-node.ts";
import { tensor } from "../src/ops/creation.ts";

const dir = mkdtempSync(join(tmpdir(), "torchlet-cli-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function run(...args: string[]): { code: number; out: string; err: string } {
  let out = "", err = "";
  const code = main(args, { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) } });
  return { code, out, err };
}

describe("torchlet command line", () => {
  test("--version prints package.json's version; --help works on every command with exit code 0", () => {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };
    assert.deepEqual(run("--version"), { code: 0, out: `torchlet ${pkg.version}\n`, err: "" });
    assert.equal(run("--help").code, 0);
    for (const cmd of ["inspect", "report", "diff"]) {
      const r = run(cmd, "--help");
      assert.equal(r.code, 0, cmd);
      assert.match(r.out, new RegExp(`^usage: torchlet ${cmd} `), cmd);
      assert.equal(run(cmd, "-h").code, 0);
    }
  });

  test("an unknown option is named; a missing value is named; bad usage exits 2", () => {
    const r = run("inspect", "x.pt", "--jsn");
    assert.equal(r.code, 2);
    assert.match(r.err, /^torchlet inspect: Unknown option '--jsn'/);
    assert.match(run("report", "x.pt", "-o").err, /^torchlet report: Option '-o, --output <value>' argument missing/);
    assert.match(run("diff", "a.pt").err, /^torchlet diff: expected 2 files, got 1/);
    assert.match(run("frobnicate").err, /^torchlet: unknown command 'frobnicate'/);
    assert.match(run("--frob").err, /^torchlet: unknown option '--frob'/);
  });

  test("--output=x and -- (a file whose name starts with a dash)", () => {
    const file = join(dir, "-odd.safetensors");
    saveSafetensors({ w: tensor([[1, 2], [3, 4]]) }, file);
    const html = join(dir, "out.html");
    const r = run("report", `--output=${html}`, "--", file);
    assert.equal(r.code, 0, r.err);
    assert.match(readFileSync(html, "utf8"), /<h3>w \[2, 2\] float32<\/h3>/);
    const inspected = run("inspect", "--json", "--", file);
    assert.equal(inspected.code, 0, inspected.err);
    assert.equal(JSON.parse(inspected.out).tensors[0].name, "w");
  });
});

describe("torchlet diff", () => {
  const a = join(dir, "a.pt"), b = join(dir, "b.safetensors");
  save(new Map([["same", tensor([1, 2, 3])], ["drift", tensor([3, 4])], ["gone", tensor([1])], ["reshaped", tensor([1, 2])], ["recast", tensor([1, 2])]]), a);
  saveSafetensors(new Map([["same", tensor([1, 2, 3])], ["drift", tensor([3, 4.5])], ["new", tensor([0])], ["reshaped", tensor([[1, 2]])], ["recast", tensor([1, 2]).double()]]), b);

  test("--json: names only in one, shape and dtype changes, max abs and relative difference, cosine", () => {
    const r = run("diff", a, b, "--json");
    assert.equal(r.code, 0, r.err);
    const report = JSON.parse(r.out) as DiffReport;
    const row = (n: string) => report.tensors.find((t) => t.name === n)!;
    assert.equal(row("same").status, "same");
    assert.equal(row("same").cosine, 1);
    const drift = row("drift");
    assert.equal(drift.status, "changed");
    assert.equal(drift.maxAbsDiff, 0.5);
    assert.equal(drift.relDiff, 0.5 / 5);
    assert.ok(Math.abs(drift.cosine! - (9 + 18) / (5 * Math.sqrt(9 + 20.25))) < 1e-15);
    assert.equal(row("gone").status, "only in A");
    assert.equal(row("new").status, "only in B");
    assert.equal(row("reshaped").status, "shape changed");
    assert.deepEqual(row("recast").dtype, ["float32", "float64"]);
    assert.equal(row("recast").status, "dtype changed");
    assert.equal(row("recast").maxAbsDiff, 0);
    assert.deepEqual(report.tensors.map((t) => t.name), ["same", "drift", "gone", "reshaped", "recast", "new"]);
    assert.deepEqual(report.summary, { "same": 1, "changed": 1, "only in A": 1, "only in B": 1, "dtype changed": 1, "shape changed": 1, "not compared": 0 });
  });

  test("the table and the HTML page", () => {
    const html = join(dir, "diff.html");
    const r = run("diff", a, b, "--html", html);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^drift +changed +float32 +\[2\] +0\.5000 +0\.1000 +0\.9\d+ +0$/m);
    assert.match(r.out, /^reshaped +shape changed +float32 +\[2\] -> \[1, 2\]/m);
    assert.match(r.out, /1 same, 1 changed, 1 only in A, 1 only in B, 1 dtype changed, 1 shape changed\n$/);
    const page = readFileSync(html, "utf8");
    assert.match(page, /<tr class="changed"><td>drift<\/td><td>changed<\/td>/);
    assert.doesNotMatch(page, /<script|https?:/);
    assert.equal(run("diff", a, join(dir, "missing.pt")).code, 1);
  });
});

describe("the Node entry point", () => {
  test("exports the async file functions and openCheckpointFile", async () => {
    const lib = await import("../src/index-node.ts");
    for (const f of ["saveAsync", "loadAsync", "saveSafetensorsAsync", "loadSafetensorsAsync", "openCheckpointFile", "deserializeAsync", "openCheckpoint"] as const) {
      assert.equal(typeof lib[f], "function", f);
    }
  });
});
