/**
 * A D2L chapter 3/4 style classifier, ported line by line from the PyTorch loop a user writes:
 * a data set built in code (three interleaved spirals), randomSplit into train and validation,
 * DataLoaders, an MLP with dropout, SGD with momentum, a cosine learning-rate schedule, gradient
 * accumulation over two mini-batches, accuracy on the validation set, a
 * checkpoint saved after every epoch, and a resume: a fresh model, optimizer and scheduler load
 * the checkpoint of the middle epoch and finish the run, ending with the same parameters, bit for
 * bit, as the uninterrupted run (the checkpoint carries the generator's state, so the shuffles
 * and dropout masks after the resume are the same too).
 * Usage: npx tsx examples/train-classifier.ts [--epochs 8] [--per-class 100] [--dir checkpoints]
 */
import process from "node:process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as torch from "torchlet";
const { nn, optim } = torch;
const { DataLoader, TensorDataset, randomSplit } = torch.utils.data;

const arg = (name: string, fallback: number): number => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
};
const epochs = arg("epochs", 8);
const perClass = arg("per-class", 100);
const dirAt = process.argv.indexOf("--dir");
const dir = dirAt > 0 ? process.argv[dirAt + 1]! : mkdtempSync(join(tmpdir(), "torchlet-classifier-"));
const accumulate = 2; // mini-batches per optimizer step

/** Three spirals in the plane: class k winds from the origin, turned by 2πk/3, with noise. */
function spirals(n: number): [torch.Tensor, torch.Tensor] {
  const r = torch.linspace(0.05, 1, n);
  const xs: torch.Tensor[] = [], ys: torch.Tensor[] = [];
  for (let k = 0; k < 3; k++) {
    const theta = r.mul(4).add((2 * Math.PI * k) / 3).add(torch.randn(n).mul(0.2));
    xs.push(torch.stack([r.mul(theta.cos()), r.mul(theta.sin())], 1));
    ys.push(torch.full([n], BigInt(k)));
  }
  return [torch.cat(xs), torch.cat(ys)];
}

torch.manualSeed(0);
const [X, y] = spirals(perClass);
const [trainSet, valSet] = randomSplit(new TensorDataset(X, y), [0.8, 0.2], { generator: new torch.Generator(42) });

/** Everything a run owns; built the same way for the first run and for the resumed one. */
function setup() {
  torch.manualSeed(1);
  const model = new nn.Sequential(
    new nn.Linear(2, 64), new nn.ReLU(), new nn.Dropout(0.1), new nn.Linear(64, 64), new nn.ReLU(), new nn.Linear(64, 3),
  );
  const optimizer = new optim.SGD(model.parameters(), { lr: 0.2, momentum: 0.9 });
  const scheduler = new optim.lrScheduler.CosineAnnealingLR(optimizer, epochs, { etaMin: 0.01 });
  const trainLoader = new DataLoader(trainSet, { batchSize: 16, shuffle: true });
  const valLoader = new DataLoader(valSet, { batchSize: 64 });
  return { model, optimizer, scheduler, trainLoader, valLoader };
}
type Run = ReturnType<typeof setup>;
const lossFn = new nn.CrossEntropyLoss();

/** One epoch: gradients of `accumulate` mini-batches summed (each loss scaled down), then one step. */
function trainEpoch({ model, optimizer, scheduler, trainLoader }: Run): number {
  model.train();
  let total = 0, count = 0, pending = 0;
  optimizer.zeroGrad();
  for (const [xb, yb] of trainLoader) {
    const loss = lossFn(model(xb!), yb!);
    loss.div(accumulate).backward();
    total += (loss.item() as number) * xb!.shape[0]!;
    count += xb!.shape[0]!;
    if (++pending === accumulate) {
      nn.utils.clipGradNorm_(model.parameters(), 1.0);
      optimizer.step();
      optimizer.zeroGrad();
      pending = 0;
    }
  }
  if (pending > 0) {
    nn.utils.clipGradNorm_(model.parameters(), 1.0);
    optimizer.step();
    optimizer.zeroGrad();
  }
  scheduler.step();
  return total / count;
}

/** Accuracy on the validation set, without dropout and without recording a graph. */
function accuracy({ model, valLoader }: Run): number {
  model.eval();
  let correct = 0, count = 0;
  torch.noGrad(() => {
    for (const [xb, yb] of valLoader) {
      correct += model(xb!).argmax(1).eq(yb!).sum().item() as number;
      count += yb!.shape[0]!;
    }
  });
  return correct / count;
}

const checkpointPath = (epoch: number): string => join(dir, `epoch-${epoch}.pt`);

/** What a PyTorch script saves: torch.save({"model": ..., "optimizer": ..., ...}, path). */
function saveCheckpoint({ model, optimizer, scheduler }: Run, epoch: number): void {
  torch.save({
    model: model.stateDict(), optimizer: optimizer.stateDict(), scheduler: scheduler.stateDict(),
    epoch, rng: torch.getRngState(),
  }, checkpointPath(epoch));
}

/** A fresh run that continues from a checkpoint; returns it with the epoch it had finished. */
function resume(path: string): [Run, number] {
  const run = setup();
  const ckpt = torch.load<Map<string, unknown>>(path);
  run.model.loadStateDict(ckpt.get("model") as Map<string, torch.Tensor>);
  run.optimizer.loadStateDict(ckpt.get("optimizer") as Map<string, unknown>);
  run.scheduler.loadStateDict(ckpt.get("scheduler") as Map<string, unknown>);
  torch.setRngState(ckpt.get("rng") as torch.Tensor);
  return [run, Number(ckpt.get("epoch"))];
}

function fit(run: Run, from: number, label: string): void {
  for (let epoch = from + 1; epoch <= epochs; epoch++) {
    const lr = run.scheduler.getLastLr()[0]!;
    const loss = trainEpoch(run);
    const acc = accuracy(run);
    saveCheckpoint(run, epoch);
    console.log(`${label} epoch ${String(epoch).padStart(2)}  lr ${lr.toFixed(4)}  loss ${loss.toFixed(4)}  val accuracy ${(100 * acc).toFixed(1)}%`);
  }
}

console.log(`${trainSet.length} training and ${valSet.length} validation samples, ${epochs} epochs, checkpoints in ${dir}`);
const first = setup();
fit(first, 0, "run    ");

const middle = Math.floor(epochs / 2);
const [resumed, done] = resume(checkpointPath(middle));
console.log(`resumed from ${checkpointPath(middle)} (epoch ${done})`);
fit(resumed, done, "resumed");

const same = [...first.model.stateDict()].every(([k, v]) => torch.equal(v, resumed.model.stateDict().get(k)!));
console.log(`resumed run ends with the same parameters as the uninterrupted run: ${same}`);
if (dirAt < 0) rmSync(dir, { recursive: true, force: true });
