import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";

const dir = join(dirname(fileURLToPath(import.meta.url)), "..", "src", "diagnostics");

describe("src/diagnostics outside *-node.ts", () => {
  test("imports no Node module or Node-only file and reads neither the clock nor Math.random", () => {
    const files = readdirSync(dir).filter((f) => f.endsWith(".ts") && !f.endsWith("-node.ts"));
    assert.ok(files.length >= 7);
    for (const f of files) {
      const src = readFileSync(join(dir, f), "utf8");
      assert.doesNotMatch(src, /from "(node:)?(fs|path|os|util|process|child_process|worker_threads|crypto|buffer)"/, f);
      assert.doesNotMatch(src, /Math\.random|Date\.now|new Date\(\)|performance\.now|\bprocess\.|\bBuffer\./, f);
      assert.doesNotMatch(src, /from "[^"]*-node\.ts"/, `${f} must not import a Node-only file`);
    }
  });
});
