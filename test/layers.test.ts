/**
 * The layer table of docs/ARCHITECTURE.md is the law: every import under src/ goes to a folder
 * its row names (or to src/errors.ts), and every folder has a row. Entry points are exempt.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";

const src = fileURLToPath(new URL("../src/", import.meta.url));
const ENTRY_POINTS = new Set(["index.ts", "index-node.ts"]);

const doc = readFileSync(fileURLToPath(new URL("../docs/ARCHITECTURE.md", import.meta.url)), "utf8");

/** The folder (`core`, `tensor` for src/tensor.ts) and what it may import, of each row of the table. */
function tableRows(): [string, Set<string>][] {
  const rows: [string, Set<string>][] = [];
  for (const line of doc.split("\n")) {
    const row = /^\| `src\/([\w-]+)(?:\.ts)?` \|.*\| ([^|]*) \|$/.exec(line);
    if (row) rows.push([row[1]!, new Set([...row[2]!.matchAll(/`([\w-]+)`/g)].map((m) => m[1]!))]);
  }
  return rows;
}

/** folder -> what it may import, read from the table. */
function layerTable(): Map<string, Set<string>> {
  return new Map(tableRows());
}

/** The layer a src-relative path belongs to: its first folder, or the file's name for a root file. */
function layerOf(path: string): string {
  const first = path.split("/")[0]!;
  return first.replace(/\.ts$/, "");
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === "assembly" ? [] : sourceFiles(path);
    return e.name.endsWith(".ts") && !e.name.endsWith(".test.ts") ? [path] : [];
  });
}

/** Relative import targets of a file (static imports, re-exports and dynamic imports). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const specs = [...text.matchAll(/(?:from|import)\s*\(?\s*"(\.[^"]+)"/g)].map((m) => m[1]!);
  return specs.map((s) => relative(src, resolve(dirname(file), s)));
}

describe("layers (docs/ARCHITECTURE.md)", () => {
  const table = layerTable();
  const files = sourceFiles(src).map((f) => relative(src, f)).filter((f) => !ENTRY_POINTS.has(f) && f !== "errors.ts");

  test("the table is read", () => {
    for (const layer of ["core", "backend", "tensor", "ops", "autograd", "nn", "io"]) assert.ok(table.has(layer), layer);
  });

  test("each folder has one row, and the document no merge leftovers", () => {
    const folders = tableRows().map(([folder]) => folder);
    assert.deepEqual(folders.filter((f, i) => folders.indexOf(f) !== i), [], "folders with two rows");
    assert.deepEqual(doc.split("\n").filter((l) => /^(<{7}|={7}|>{7})( |$)/.test(l)), [], "conflict markers");
  });

  test("every folder under src/ has a row", () => {
    const missing = [...new Set(files.map(layerOf))].filter((l) => !table.has(l));
    assert.deepEqual(missing, [], `add a row to docs/ARCHITECTURE.md's layer table for: ${missing.join(", ")}`);
  });

  test("every import goes to a layer its row allows", () => {
    const crossings: string[] = [];
    for (const f of files) {
      const allowed = table.get(layerOf(f));
      if (allowed === undefined) continue;
      for (const target of importsOf(join(src, f))) {
        const to = layerOf(target);
        if (to !== "errors" && !allowed.has(to)) crossings.push(`${f} imports ${target} (${layerOf(f)} may import ${[...allowed].join(", ")})`);
      }
    }
    assert.deepEqual(crossings, []);
  });

  test("the check sees a crossing (core importing ops would fail)", () => {
    assert.ok(!table.get("core")!.has("ops"));
    assert.ok(!table.get("tensor")!.has("nn") && !table.get("ops")!.has("nn") && !table.get("autograd")!.has("nn"));
  });
});
