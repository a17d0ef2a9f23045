import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";

const root = new URL("..", import.meta.url);
const run = (file: string, ...args: string[]) =>
  execFileSync(process.execPath, ["--conditions=source", "--import", "tsx", `examples/${file}`, ...args], { cwd: root, encoding: "utf8" });
/** Examples with a test of their own below. */
const ownTest = new Set(["main.ts", "train-classifier.ts", "resnet.ts", "gpt.ts", "rnn.ts"]); // gpt.ts, rnn.ts: test/gpt.test.ts, test/rnn-example.test.ts

for (const file of readdirSync(new URL("examples/", root)).filter((f) => f.endsWith(".ts") && !ownTest.has(f))) {
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

test("train-classifier: the loss falls, validation accuracy is reported, the resumed run ends identical", () => {
  const out = run("train-classifier.ts", "--epochs", "6", "--per-class", "60");
  const losses = [...out.matchAll(/^run +epoch +\d+ .* loss (\d+\.\d+)/gm)].map((m) => Number(m[1]));
  assert.equal(losses.length, 6, out);
  assert.ok(losses[5]! < losses[0]!, `losses ${losses.join(", ")}`);
  assert.equal([...out.matchAll(/val accuracy \d+\.\d%/g)].length, 9, out);
  assert.match(out, /resumed from .*epoch-3\.pt \(epoch 3\)/);
  assert.match(out, /same parameters as the uninterrupted run: true/);
});

test("resnet: ResNet-18 with a frozen stem is summarized, loads a torchvision state dict and trains", () => {
  // the torchvision checkpoint that scripts/fixtures/resnet.py writes (git-ignored), when present
  const weights = "test/fixtures/big/resnet18.pt";
  const withWeights = existsSync(new URL(weights, root)) ? ["--weights", weights] : [];
  const out = run("resnet.ts", "--steps", "3", "--batch", "4", "--size", "16", ...withWeights);
  assert.match(out, /└─conv1 \(Conv2d\) +\[1, 64, 8, 8\] +9408 +no/);
  assert.match(out, /Total params: 11178564\nTrainable params: 11169028\nNon-trainable params: 9536/);
  if (withWeights.length) assert.match(out, /loaded 122 tensors from/);
  const losses = [...out.matchAll(/^step \d\/3 +loss (\d+\.\d+)/gm)].map((m) => Number(m[1]));
  assert.equal(losses.length, 3, out);
  assert.ok(losses.every(Number.isFinite), `losses ${losses.join(", ")}`);
  assert.match(out, /^layer4\.1\.conv2\.weight +\[512, 512, 3, 3\]/m);
});
