import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";

const src = fileURLToPath(new URL("../src/", import.meta.url));

/** Library files: everything under src/ but Node-only files, the CLI, tests and AssemblyScript. */
function libraryFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === "cli" || e.name === "assembly" ? [] : libraryFiles(path);
    return e.name.endsWith(".ts") && !e.name.endsWith("-node.ts") && !e.name.endsWith(".test.ts") && e.name !== "index-node.ts" ? [path] : [];
  });
}

describe("the library outside *-node.ts and src/cli", () => {
  const files = libraryFiles(src);
  test("covers every layer", () => {
    for (const layer of ["core", "ops", "autograd", "backend", "nn", "optim", "io"]) {
      assert.ok(files.some((f) => relative(src, f).startsWith(`${layer}/`)), layer);
    }
  });
  test("imports no Node module and reads neither the clock nor Math.random, so it runs in browsers", () => {
    for (const f of files) {
      const text = readFileSync(f, "utf8"), name = relative(src, f);
      assert.doesNotMatch(text, /from "(node:)?(fs|path|os|util|child_process|worker_threads|crypto|buffer|v8|url)"/, name);
      assert.doesNotMatch(text, /Math\.random|Date\.now|new Date\(\)|performance\.now|\bBuffer\.(from|alloc)|process\./, name);
      assert.doesNotMatch(text, /from "[^"]*-node\.ts"/, `${name} must not import a Node-only file`);
    }
  });
});
