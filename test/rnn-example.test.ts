/**
 * examples/rnn.ts against D2L's concise LSTM language model in PyTorch 1.13
 * (scripts/fixtures/char_rnn.py): the same seed gives the same LSTM and LazyLinear weights, the
 * same shuffled batches, losses and clipped gradient norms, validation perplexity and prediction.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import * as torch from "../src/index-node.ts";
import { RNNLM, Vocab, lossFn, preprocess, trainStep, windows } from "../examples/rnn.ts";

interface Checksum { sum: number; sumsq: number; first: number[] }
const fx = JSON.parse(readFileSync(new URL("fixtures/char_rnn.json", import.meta.url), "utf8")) as {
  text: string; num_steps: number; hidden: number; batch: number; lr: number; clip: number; steps: number; seed: number;
  vocab: string[]; num_train: number; first_batch: number[][]; lstm0: Record<string, Checksum>; linear0: Record<string, Checksum>;
  losses: number[]; grad_norms: number[]; val_perplexity: number; params_after: Record<string, Checksum>; predict: string;
};

function assertChecksum(name: string, t: torch.Tensor, want: Checksum, tol: number): void {
  const v = t.detach().contiguous().view(-1).tolist() as number[];
  const sum = v.reduce((a, b) => a + b, 0), norm = Math.sqrt(v.reduce((a, b) => a + b * b, 0));
  const scale = Math.sqrt(want.sumsq);
  assert.ok(Math.abs(sum - want.sum) <= 4 * tol * scale, `${name}: sum ${sum} vs ${want.sum}`);
  assert.ok(Math.abs(norm - scale) <= tol * scale, `${name}: norm ${norm} vs ${scale}`);
  v.slice(0, 4).forEach((a, i) => assert.ok(Math.abs(a - want.first[i]!) <= tol * Math.max(1, Math.abs(want.first[i]!)), `${name}[${i}]: ${a} vs ${want.first[i]}`));
}

test("the same seed gives PyTorch's weights, batches, losses and clipped gradient norms", () => {
  const tokens = [...preprocess(fx.text)];
  const vocab = new Vocab(tokens);
  assert.deepEqual(vocab.idxToToken, fx.vocab);
  const [X, Y] = windows(tokens.map((t) => vocab.index(t)), fx.num_steps);
  assert.equal(Math.floor(0.8 * X.shape[0]!), fx.num_train);

  torch.manualSeed(fx.seed);
  const model = new RNNLM(new torch.nn.LSTM(vocab.length, fx.hidden), vocab.length);
  for (const [k, v] of model.rnn.stateDict()) assertChecksum(k, v, fx.lstm0[k]!, 1e-7);
  const loader = new torch.utils.data.DataLoader(
    new torch.utils.data.TensorDataset(X.slice(0, 0, fx.num_train), Y.slice(0, 0, fx.num_train)), { batchSize: fx.batch, shuffle: true });
  const optimizer = new torch.optim.SGD(model.parameters(), { lr: fx.lr });
  const losses: number[] = [], norms: number[] = [];
  for (const [xb, yb] of loader) {
    if (losses.length === fx.steps) break;
    if (losses.length === 0) assert.deepEqual((xb!.tolist() as bigint[][]).map((r) => r.map(Number)), fx.first_batch);
    const { loss, gradNorm } = trainStep(model, optimizer, xb!, yb!, fx.clip);
    losses.push(loss);
    norms.push(gradNorm);
  }
  losses.forEach((l, i) => assert.ok(Math.abs(l - fx.losses[i]!) < 1e-5, `losses ${losses} vs ${fx.losses}`));
  norms.forEach((n, i) => assert.ok(Math.abs(n - fx.grad_norms[i]!) < 1e-5 * Math.max(1, fx.grad_norms[i]!), `norms ${norms} vs ${fx.grad_norms}`));
  assert.ok(norms.some((n) => n > fx.clip), "no step was clipped: the fixture should exercise clipping");
  for (const [k, v] of model.stateDict()) assertChecksum(k, v, fx.params_after[k]!, 1e-5);
  const val = torch.noGrad(() => lossFn(model(X.slice(0, fx.num_train)), Y.slice(0, fx.num_train)).itemNumber());
  assert.ok(Math.abs(Math.exp(val) - fx.val_perplexity) < 1e-4 * fx.val_perplexity, `perplexity ${Math.exp(val)} vs ${fx.val_perplexity}`);
  assert.equal(model.predict("the time ", 20, vocab), fx.predict);
});

test("the first LazyLinear weights are PyTorch's: drawn after the DataLoader's shuffle seed", () => {
  const tokens = [...preprocess(fx.text)];
  const vocab = new Vocab(tokens);
  const [X, Y] = windows(tokens.map((t) => vocab.index(t)), fx.num_steps);
  torch.manualSeed(fx.seed);
  const model = new RNNLM(new torch.nn.LSTM(vocab.length, fx.hidden), vocab.length);
  const loader = new torch.utils.data.DataLoader(
    new torch.utils.data.TensorDataset(X.slice(0, 0, fx.num_train), Y.slice(0, 0, fx.num_train)), { batchSize: fx.batch, shuffle: true });
  const [xb] = loader[Symbol.iterator]().next().value!;
  model(xb!);
  for (const [k, v] of model.linear.stateDict()) assertChecksum(k, v, fx.linear0[k]!, 1e-7);
});

test("examples/rnn.ts runs a few epochs: perplexity falls, clipping, table and prediction printed", () => {
  const out = execFileSync(process.execPath, ["--conditions=source", "--import", "tsx", "examples/rnn.ts",
    "--epochs", "3", "--hidden", "16", "--num-steps", "8", "--num-train", "512", "--num-val", "128", "--batch-size", "64", "--clip", "0.5"],
  { cwd: new URL("..", import.meta.url), encoding: "utf8" });
  const ppl = [...out.matchAll(/^epoch \d+: train perplexity (\d+\.\d+), validation perplexity (\d+\.\d+) \((\d+) of (\d+) steps clipped\)/gm)];
  assert.equal(ppl.length, 3, out);
  assert.ok(Number(ppl[2]![1]) < Number(ppl[0]![1]), out);
  assert.equal(ppl[0]![4], "8");
  assert.match(out, /^rnn\.weight_ih_l0 +\[64, \d+\]/m);
  assert.match(out, /^predict\("the "\): "the .{40}"$/m);
});
