import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

test("the D2L 6.2 walkthrough in TypeScript prints what PyTorch prints", () => {
  const out = execFileSync(process.execPath, ["--conditions=source", "--import", "tsx", "examples/parameter-management.ts"], {
    cwd: new URL("..", import.meta.url),
    encoding: "utf8",
  });
  assert.equal(out, readFileSync(new URL("./fixtures/seed.txt", import.meta.url), "utf8"));
});
