/**
 * A D2L chapter 9/10 character language model, ported from the PyTorch code of *Dive into Deep
 * Learning* (1.0): the TimeMachine pipeline (letters only, lower case, a character vocabulary with
 * `<unk>`, every window of numSteps + 1 characters), the concise RNNLM (one-hot inputs, `nn.LSTM`,
 * a `LazyLinear` head), SGD with the gradient norm clipped by `nn.utils.clipGradNorm_`, perplexity
 * per epoch on train and validation windows, and D2L's greedy `predict` continuing a prefix.
 * scripts/fixtures/char_rnn.py holds the same code in PyTorch; test/rnn-example.test.ts checks that
 * the same seed gives PyTorch's weights, losses and gradient norms.
 *
 * The text is the one examples/gpt.ts trains on (TypeScript's LICENSE.txt after `npm ci`, else
 * Debian's GPL-3, else this repository's LICENSE); `--text FILE` picks another.
 * Usage: npx tsx examples/rnn.ts [--epochs 4] [--hidden 32] [--num-steps 16] [--batch-size 128]
 *   [--num-train 2048] [--num-val 512] [--lr 4] [--clip 1] [--gru] [--seed 0] [--text FILE]
 * (D2L trains 50 epochs on 10,000 windows of 32 with 1,024 per batch: --epochs 50 --num-train 10000
 * --num-val 5000 --num-steps 32 --batch-size 1024, with a text of that size)
 */
import process from "node:process";
import { pathToFileURL } from "node:url";
import * as torch from "torchlet";
import { findText } from "./gpt.ts";
const { nn } = torch;
const F = nn.functional;
const { DataLoader, TensorDataset } = torch.utils.data;

/** D2L's TimeMachine._preprocess: runs of non-letters become one space, all lower case. */
export function preprocess(text: string): string {
  return text.replace(/[^A-Za-z]+/g, " ").toLowerCase();
}

/** D2L's Vocab over characters: `<unk>` plus every token, sorted (as Python sorts strings). */
export class Vocab {
  readonly idxToToken: string[];
  readonly #tokenToIdx: Map<string, number>;
  constructor(tokens: Iterable<string>) {
    this.idxToToken = [...new Set(["<unk>", ...tokens])].sort();
    this.#tokenToIdx = new Map(this.idxToToken.map((t, i) => [t, i]));
  }

  get length(): number { return this.idxToToken.length; }
  /** The index of `token`, `<unk>`'s for one never seen. */
  index(token: string): number { return this.#tokenToIdx.get(token) ?? this.#tokenToIdx.get("<unk>")!; }
}

/** Every window of numSteps + 1 tokens: inputs X and the targets Y shifted by one, both [n, numSteps]. */
export function windows(corpus: number[], numSteps: number): [torch.Tensor, torch.Tensor] {
  const rows = Array.from({ length: corpus.length - numSteps }, (_, i) => corpus.slice(i, i + numSteps + 1));
  const array = torch.tensor(rows, { dtype: torch.int64 });
  return [array.at(":", ":-1"), array.at(":", "1:")];
}

/** The recurrent layers this model takes: LSTM (D2L 10.1) or GRU (10.2). */
export type Recurrent = torch.nn.LSTM | torch.nn.GRU;
type State = Parameters<torch.nn.LSTM["forward"]>[1] | Parameters<torch.nn.GRU["forward"]>[1];

/** D2L's RNNLM: one-hot inputs through the recurrent layer, then a LazyLinear over the vocabulary. */
export class RNNLM extends nn.Module {
  static override displayName = "RNNLM";
  declare rnn: Recurrent;
  declare linear: torch.nn.LazyLinear;
  constructor(rnn: Recurrent, readonly vocabSize: number) {
    super();
    this.rnn = rnn;
    this.linear = new nn.LazyLinear(vocabSize);
  }

  /** (batch, numSteps) indices to (numSteps, batch, vocab) floats. */
  oneHot(X: torch.Tensor): torch.Tensor {
    return F.oneHot(X.t(), { numClasses: this.vocabSize }).to(torch.float32);
  }

  /** (numSteps, batch, hidden) to (batch, numSteps, vocab) logits. */
  outputLayer(hiddens: torch.Tensor): torch.Tensor {
    return this.linear(hiddens).swapaxes(0, 1);
  }

  /** Runs the recurrent layer and returns its outputs and final state. */
  step(embs: torch.Tensor, state: State): [torch.Tensor, State] {
    const [outputs, next] = (this.rnn as (x: torch.Tensor, s: State) => [torch.Tensor, State])(embs, state);
    return [outputs, next];
  }

  forward(X: torch.Tensor, state: State = null): torch.Tensor {
    return this.outputLayer(this.step(this.oneHot(X), state)[0]);
  }

  /** D2L's predict: warm the state up on `prefix`, then append the most likely character numPreds times. */
  predict(prefix: string, numPreds: number, vocab: Vocab): string {
    return torch.noGrad(() => {
      let state: State = null;
      const outputs = [vocab.index(prefix[0]!)];
      for (let i = 0; i < prefix.length + numPreds - 1; i++) {
        const X = torch.tensor([[outputs[outputs.length - 1]!]], { dtype: torch.int64 });
        let rnnOutputs: torch.Tensor;
        [rnnOutputs, state] = this.step(this.oneHot(X), state);
        if (i < prefix.length - 1) outputs.push(vocab.index(prefix[i + 1]!)); // warm-up period
        else outputs.push(Number(this.outputLayer(rnnOutputs).argmax(2).reshape(1).item()));
      }
      return outputs.map((i) => vocab.idxToToken[i]!).join("");
    });
  }
}

/** D2L's Classifier.loss: mean cross-entropy over every position. */
export function lossFn(Yhat: torch.Tensor, Y: torch.Tensor): torch.Tensor {
  return F.crossEntropy(Yhat.reshape(-1, Yhat.shape[Yhat.ndim - 1]!), Y.reshape(-1));
}

/** One step of D2L's Trainer: loss, zero_grad, backward, clip the gradient norm, SGD step. */
export function trainStep(model: RNNLM, optimizer: torch.optim.SGD, X: torch.Tensor, Y: torch.Tensor, clip: number): { loss: number; gradNorm: number } {
  const loss = lossFn(model(X), Y);
  optimizer.zeroGrad();
  loss.backward();
  const gradNorm = nn.utils.clipGradNorm_(model.parameters(), clip).itemNumber();
  optimizer.step();
  return { loss: loss.itemNumber(), gradNorm };
}

function main(argv: string[]): void {
  const arg = (name: string, fallback: number): number => {
    const at = argv.indexOf(`--${name}`);
    return at >= 0 ? Number(argv[at + 1]) : fallback;
  };
  const textAt = argv.indexOf("--text");
  const epochs = arg("epochs", 4), hidden = arg("hidden", 32), numSteps = arg("num-steps", 16);
  const batchSize = arg("batch-size", 128), lr = arg("lr", 4), clip = arg("clip", 1);
  torch.manualSeed(arg("seed", 0));

  const { path, text } = findText(textAt >= 0 ? argv[textAt + 1] : undefined);
  const tokens = [...preprocess(text)];
  const vocab = new Vocab(tokens);
  const [X, Y] = windows(tokens.map((t) => vocab.index(t)), numSteps);
  // D2L's TimeMachine: the first numTrain windows train, the next numVal validate
  const numTrain = Math.min(arg("num-train", 2048), X.shape[0]! - 1);
  const numVal = Math.min(arg("num-val", 512), X.shape[0]! - numTrain);
  console.log(`text: ${path} (${tokens.length.toLocaleString("en-US")} characters after preprocessing, vocab ${vocab.length}; ${numTrain} train and ${numVal} validation windows of ${numSteps})`);

  const rnn = argv.includes("--gru") ? new nn.GRU(vocab.length, hidden) : new nn.LSTM(vocab.length, hidden);
  const model = new RNNLM(rnn, vocab.length);
  const optimizer = new torch.optim.SGD(model.parameters(), { lr });
  const loader = new DataLoader(new TensorDataset(X.slice(0, 0, numTrain), Y.slice(0, 0, numTrain)), { batchSize, shuffle: true });
  const [Xval, Yval] = [X.slice(0, numTrain, numTrain + numVal), Y.slice(0, numTrain, numTrain + numVal)];

  const t0 = performance.now();
  for (let epoch = 1; epoch <= epochs; epoch++) {
    model.train();
    let total = 0, count = 0, clipped = 0, steps = 0;
    for (const [xb, yb] of loader) {
      const { loss, gradNorm } = trainStep(model, optimizer, xb!, yb!, clip);
      total += loss * xb!.shape[0]!;
      count += xb!.shape[0]!;
      steps++;
      if (gradNorm > clip) clipped++;
    }
    model.eval();
    const val = torch.noGrad(() => lossFn(model(Xval), Yval).itemNumber());
    console.log(`epoch ${epoch}: train perplexity ${Math.exp(total / count).toFixed(2)}, validation perplexity ${Math.exp(val).toFixed(2)} (${clipped} of ${steps} steps clipped)`);
  }
  console.log(`${epochs} epochs in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  console.log(`\n${torch.formatTable(torch.parameterStats(model))}`);
  for (const prefix of ["the ", "license "]) console.log(`predict(${JSON.stringify(prefix)}): ${JSON.stringify(model.predict(prefix, 40, vocab))}`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) main(process.argv.slice(2));
