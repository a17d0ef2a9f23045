import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";

const root = new URL("..", import.meta.url);
const run = (file: string) =>
  execFileSync(process.execPath, ["--conditions=source", "--import", "tsx", `examples/${file}`], { cwd: root, encoding: "utf8" });

for (const file of readdirSync(new URL("examples/", root)).filter((f) => f.endsWith(".ts") && f !== "main.ts")) {
  test(`examples/${file} runs to the end`, () => {
    assert.ok(run(file).length > 0);
  });
}

test("the main demo trains: the loss falls by more than 10x", () => {
  const out = run("main.ts");
  const losses = [...out.matchAll(/loss (\d+\.\d+)/g)].map((m) => Number(m[1]));
  assert.ok(losses.length >= 2, out);
  assert.ok(losses[losses.length - 1]! < losses[0]! / 10, `losses ${losses.join(", ")}`);
});
