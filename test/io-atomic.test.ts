import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import type { Tensor } from "../src/tensor.ts";
import { ValueError } from "../src/errors.ts";
import { load, save } from "../src/io/files-node.ts";
import type { SaveValue } from "../src/io/tensor-adapter.ts";
import { tensor } from "../src/ops/creation.ts";

const dir = mkdtempSync(join(tmpdir(), "torchlet-atomic-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const child = join(dirname(fileURLToPath(import.meta.url)), "io-atomic-child.ts");

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function assertOldFile(path: string): void {
  const back = load(path) as Map<string, Tensor>;
  assert.deepEqual([...back.keys()], ["w"]);
  assert.deepEqual(back.get("w")!.tolist(), [1, 2, 3]);
}

describe("save is atomic", () => {
  test("killing a process in the middle of a large save leaves the old file loadable", async () => {
    const path = join(dir, "model.pt");
    save(new Map([["w", tensor([1, 2, 3])]]), path);
    const proc = spawn(process.execPath, ["--import", "tsx", child, path, "256"], { stdio: ["ignore", "pipe", "inherit"] });
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) => proc.on("exit", (code, signal) => resolve(signal ?? code)));
    let temp: string | undefined;
    const deadline = Date.now() + 60_000;
    while (temp === undefined && proc.exitCode === null && Date.now() < deadline) {
      temp = readdirSync(dir).find((f) => f.startsWith(".model.pt.") && f.endsWith(".tmp"));
      if (temp === undefined) await sleep(1);
    }
    assert.ok(temp !== undefined, "the child never started writing its temporary file");
    proc.kill("SIGKILL");
    assert.equal(await exited, "SIGKILL", "the child finished before it could be killed");
    const partial = statSync(join(dir, temp)).size;
    assert.ok(partial < 256 * 2 ** 20, `the temporary file was cut short (${partial} bytes)`);
    assertOldFile(path);
  });

  test("a save that fails before writing leaves the old file and no temporary file", () => {
    const path = join(dir, "keep.pt");
    save(new Map([["w", tensor([1, 2, 3])]]), path);
    assert.throws(() => save(new Map([["w", new Date() as unknown as SaveValue]]), path), ValueError);
    assertOldFile(path);
    assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith(".keep.pt")), []);
  });
});
