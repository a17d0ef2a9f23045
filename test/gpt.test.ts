/**
 * examples/gpt.ts against nanoGPT's model.py in PyTorch 1.13 (scripts/fixtures/gpt.py): seeded
 * weights, logits, loss, gradients (the tied weight's sums both uses), AdamW steps with dropout,
 * multinomial sampling, and the state dict both ways (PyTorch's file loads here; a file written
 * here gives PyTorch the same logits, checked when /usr/bin/python3 has torch).
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import * as torch from "../src/index-node.ts";
import { GPT, type GPTConfig } from "../examples/gpt.ts";

interface Checksum { sum: number; sumsq: number; first: number[] }
const fx = JSON.parse(readFileSync(new URL("fixtures/gpt.json", import.meta.url), "utf8")) as {
  config: { block_size: number; vocab_size: number; n_layer: number; n_head: number; n_embd: number; bias: boolean };
  seed: number; x: number[][]; y: number[][]; state_keys: string[]; param_names: string[];
  init: Record<string, Checksum>; logits: number[]; loss: number; grads: Record<string, Checksum>; tied_grad: number[];
  train: { dropout: number; weight_decay: number; lr: number; betas: [number, number]; seed: number; losses: number[];
    eval_loss_after: number; params_after: Record<string, Checksum> };
  generate: { seed: number; prompt_len: number; max_new_tokens: number; temperature: number; top_k: number; tokens: number[][] };
  nobias: { state_keys: string[]; loss: number; logits_checksum: Checksum };
};
const ptPath = new URL("fixtures/gpt.pt", import.meta.url).pathname;

const config = (over: Partial<GPTConfig> = {}): GPTConfig => ({
  blockSize: fx.config.block_size, vocabSize: fx.config.vocab_size, nLayer: fx.config.n_layer, nHead: fx.config.n_head,
  nEmbd: fx.config.n_embd, dropout: 0, bias: fx.config.bias, ...over,
});
const make = (over: Partial<GPTConfig> = {}): GPT => {
  torch.manualSeed(fx.seed);
  return new GPT(config(over));
};
const ids = (rows: number[][]) => torch.tensor(rows, { dtype: torch.int64 });
const x = ids(fx.x), y = ids(fx.y);

function checksum(t: torch.Tensor): Checksum {
  const v = Float64Array.from(t.detach().contiguous().view(-1).tolist() as number[]);
  let sum = 0, sumsq = 0;
  for (const a of v) { sum += a; sumsq += a * a; }
  return { sum, sumsq, first: [...v.slice(0, 4)] };
}
function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
/** Sums agree to `tol` of the tensor's scale (the square root of its element count times its rms). */
function assertChecksum(name: string, got: Checksum, want: Checksum, tol: number): void {
  const scale = Math.sqrt(want.sumsq);
  assert.ok(Math.abs(got.sum - want.sum) <= tol * scale * 4, `${name}: sum ${got.sum} vs ${want.sum}`);
  assert.ok(Math.abs(Math.sqrt(got.sumsq) - scale) <= tol * scale, `${name}: norm ${Math.sqrt(got.sumsq)} vs ${scale}`);
  assert.ok(maxDiff(got.first, want.first) <= tol * Math.max(1, ...want.first.map(Math.abs)), `${name}: first ${got.first} vs ${want.first}`);
}
const flat = (t: torch.Tensor) => t.detach().contiguous().view(-1).tolist() as number[];

test("same seed, same initial weights as nanoGPT in PyTorch; the tied weight is one Parameter", () => {
  const model = make();
  const sd = model.stateDict();
  assert.deepEqual([...sd.keys()], fx.state_keys);
  assert.deepEqual([...model.namedParameters()].map(([n]) => n), fx.param_names);
  assert.equal(model.transformer.wte.weight, model.lm_head.weight);
  assert.equal(sd.get("transformer.wte.weight")!.storage, sd.get("lm_head.weight")!.storage);
  const theirs = torch.load<Map<string, torch.Tensor>>(ptPath);
  for (const [k, v] of sd) {
    assert.deepEqual(flat(v), flat(theirs.get(k)!), `${k} differs from PyTorch's seeded value`);
    assertChecksum(k, checksum(v), fx.init[k]!, 1e-9);
  }
});

test("logits, loss and gradients of a fixed batch match PyTorch's", () => {
  const model = make();
  model.eval();
  const [logits, loss] = model(x, y);
  const d = maxDiff(flat(logits), fx.logits);
  assert.ok(d < 2e-6, `logits max |diff| ${d}`);
  assert.ok(Math.abs(loss!.itemNumber() - fx.loss) < 2e-6, `loss ${loss!.itemNumber()} vs ${fx.loss}`);
  loss!.backward();
  for (const [name, p] of model.namedParameters()) assertChecksum(`${name}.grad`, checksum(p.grad!), fx.grads[name]!, 1e-4);
  // the tied table's gradient sums the embedding lookup's and the head's
  const g = maxDiff(flat(model.lm_head.weight.grad!), fx.tied_grad);
  assert.ok(g < 1e-6, `tied gradient max |diff| ${g}`);
});

test("three AdamW steps with dropout give PyTorch's losses (same masks, same updates)", () => {
  const t = fx.train;
  const model = make({ dropout: t.dropout });
  model.train();
  const opt = model.configureOptimizers(t.weight_decay, t.lr, t.betas);
  torch.manualSeed(t.seed);
  const losses: number[] = [];
  for (let i = 0; i < 3; i++) {
    const [, loss] = model(x, y);
    opt.zeroGrad({ setToNone: true });
    loss!.backward();
    opt.step();
    losses.push(loss!.itemNumber());
  }
  const d = maxDiff(losses, t.losses);
  assert.ok(d < 1e-5, `losses ${losses} vs ${t.losses}`);
  model.eval();
  const after = model(x, y)[1]!.itemNumber();
  assert.ok(Math.abs(after - t.eval_loss_after) < 1e-5, `eval loss after ${after} vs ${t.eval_loss_after}`);
  // Adam divides by sqrt(v) + eps: where a gradient is near zero, float rounding moves the step
  for (const [name, p] of model.namedParameters()) assertChecksum(name, checksum(p), t.params_after[name]!, 1e-4);
});

test("generate samples PyTorch's tokens (topk, multinomial, context cropped to block_size)", () => {
  const g = fx.generate;
  const model = make();
  model.eval();
  torch.manualSeed(g.seed);
  const out = model.generate(x.slice(1, 0, g.prompt_len).clone(), g.max_new_tokens, g.temperature, g.top_k);
  assert.deepEqual((out.tolist() as bigint[][]).map((r) => r.map(Number)), g.tokens);
});

test("without biases: nanoGPT's keys (no bias entries but the mask buffers) and loss", () => {
  const model = make({ bias: false });
  assert.deepEqual([...model.stateDict().keys()], fx.nobias.state_keys);
  const [logits, loss] = model(x, y);
  assertChecksum("logits", checksum(logits), fx.nobias.logits_checksum, 1e-5);
  assert.ok(Math.abs(loss!.itemNumber() - fx.nobias.loss) < 2e-6);
});

test("PyTorch's state dict loads key for key and gives its logits; the tie survives", () => {
  torch.manualSeed(0);
  const model = new GPT(config());
  model.loadStateDict(torch.load<Map<string, torch.Tensor>>(ptPath));
  assert.equal(model.transformer.wte.weight, model.lm_head.weight);
  model.eval();
  const d = maxDiff(flat(model(x, y)[0]), fx.logits);
  assert.ok(d < 2e-6, `logits max |diff| ${d}`);
});

const python = "/usr/bin/python3";
const probe = spawnSync(python, ["-P", "-c", "import torch"], { encoding: "utf8" });
const skip = probe.status === 0 ? false : `PyTorch is not installed for ${python}`;

test("a state dict torchlet writes loads in PyTorch's nanoGPT and gives the same logits", { skip }, () => {
  const model = make({ dropout: 0.1 });
  const opt = model.configureOptimizers(0.1, 1e-2, [0.9, 0.95]);
  torch.manualSeed(3);
  for (let i = 0; i < 2; i++) {
    model(x, y)[1]!.backward();
    opt.step();
    opt.zeroGrad();
  }
  model.eval();
  const [logits, loss] = torch.noGrad(() => model(x, y));
  const dir = mkdtempSync(join(tmpdir(), "torchlet-gpt-"));
  try {
    const file = join(dir, "gpt.pt");
    torch.save(model.stateDict(), file);
    const r = spawnSync(python, ["-P", new URL("../scripts/fixtures/gpt.py", import.meta.url).pathname, "--logits", file], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    const theirs = JSON.parse(r.stdout) as { logits: number[]; loss: number; tied: boolean };
    assert.ok(theirs.tied, "PyTorch's model lost the tie");
    const d = maxDiff(flat(logits), theirs.logits);
    assert.ok(d < 2e-6, `logits max |diff| ${d}`);
    assert.ok(Math.abs(loss!.itemNumber() - theirs.loss) < 2e-6);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("examples/gpt.ts trains at a small size: the loss falls, the table marks the tie, it samples and saves", () => {
  const dir = mkdtempSync(join(tmpdir(), "torchlet-gpt-run-"));
  try {
    const file = join(dir, "gpt.pt");
    const out = execFileSync(process.execPath, ["--conditions=source", "--import", "tsx", "examples/gpt.ts",
      "--iters", "12", "--n-embd", "32", "--block-size", "16", "--batch-size", "8", "--eval-interval", "6", "--eval-iters", "2",
      "--tokens", "40", "--save", file], { cwd: new URL("..", import.meta.url), encoding: "utf8" });
    const train = [...out.matchAll(/^step \d+: train loss (\d+\.\d+)/gm)].map((m) => Number(m[1]));
    assert.equal(train.length, 3, out);
    assert.ok(train[2]! < train[0]! - 0.3, `train losses ${train.join(", ")}`);
    assert.match(out, /^transformer\.wte\.weight = lm_head\.weight +\[\d+, 32\]/m);
    const sample = /sample \(temperature 0\.8, top-k 10\):\n([\s\S]*)\n---/.exec(out);
    assert.ok(sample && [...sample[1]!].length === 41, out);
    const sd = torch.load<Map<string, torch.Tensor>>(file);
    assert.equal(sd.get("lm_head.weight")!.storage, sd.get("transformer.wte.weight")!.storage);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
