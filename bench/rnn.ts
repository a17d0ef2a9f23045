// A recurrent language model's training step against PyTorch 1.13, as Dive into Deep Learning's RNN
// chapters train one (§9.5, §10.1): LSTM (or GRU, or a tanh RNN) over 35 steps of a batch of 32 with
// 28 input features and 256 hidden units, a Linear to 28 classes on every step's output,
// cross-entropy over all steps, backward, clipGradNorm_(1), SGD(lr 1).step(), zeroGrad(); the peer
// is bench/pytorch_rnn.py, and bench/steps.ts runs the four contenders and prints the table.
//   npx tsx bench/rnn.ts [--cell lstm|gru|rnn] [--rounds 5] [--seconds 1]
//   node --cpu-prof --import tsx bench/rnn.ts --profile --seconds 10   torchlet alone, for a profile
import * as torch from "../src/index-node.ts";
import { argValue, lcgArray } from "./lib.ts";
import { runStepBench } from "./steps.ts";

const STEPS = 35, BATCH = 32, VOCAB = 28, HIDDEN = 256;
const cell = argValue("--cell") ?? "lstm";
const rounds = Number(argValue("--rounds") ?? 5), seconds = Number(argValue("--seconds") ?? 1);
const CELLS = { lstm: torch.nn.LSTM, gru: torch.nn.GRU, rnn: torch.nn.RNN } as const;

/** The training step, built as pytorch_rnn.py builds it. */
function torchletStep(): () => void {
  const Cell = CELLS[cell as keyof typeof CELLS];
  if (Cell === undefined) throw new Error(`--cell must be one of ${Object.keys(CELLS).join(", ")}, got ${cell}`);
  torch.manualSeed(0);
  const rnn = new Cell(VOCAB, HIDDEN), head = new torch.nn.Linear(HIDDEN, VOCAB);
  const params = [...rnn.parameters(), ...head.parameters()];
  const x = torch.tensor(lcgArray(STEPS * BATCH * VOCAB, 7)).reshape(STEPS, BATCH, VOCAB);
  const labels = torch.tensor(Array.from({ length: STEPS * BATCH }, (_, i) => (i * 7) % VOCAB), { dtype: torch.int64 });
  const lossFn = new torch.nn.CrossEntropyLoss(), opt = new torch.optim.SGD(params, { lr: 1 });
  return () => {
    const [out] = rnn(x);
    lossFn(head(out.reshape(-1, HIDDEN)), labels).backward();
    torch.nn.utils.clipGradNorm_(params, 1);
    opt.step();
    opt.zeroGrad();
  };
}

await runStepBench({
  name: `rnn (${cell})`,
  title: `${cell.toUpperCase()} language model, ${STEPS} steps, batch ${BATCH}, ${VOCAB} features, ${HIDDEN} hidden (clip, SGD)`,
  step: torchletStep(), setNumThreads: torch.setNumThreads, peer: "pytorch_rnn.py", args: ["--cell", cell], rounds, seconds,
});
