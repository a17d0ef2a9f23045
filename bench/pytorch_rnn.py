"""PyTorch 1.13 peer for bench/rnn.ts: the same recurrent language-model training step.

  python3 bench/pytorch_rnn.py --threads 1 --serve [--cell lstm]   bench/steps.ts's peer (pytorch_peer.serve)
  python3 bench/pytorch_rnn.py --threads 1 [--cell gru]             5 samples of 1 s (wall time), as JSON

The step, as Dive into Deep Learning's RNN language models train (§9.5, §10.1): nn.LSTM (or nn.GRU,
nn.RNN) over 35 steps of a batch of 32 with 28 input features and 256 hidden units, a Linear to 28
classes on every step's output, cross-entropy over all steps, backward, clip_grad_norm_(1),
SGD(lr=1).step(), zero_grad(); inputs from the same linear congruential generator as bench/lib.ts.
"""
import torch

from pytorch_peer import lcg, parser, run

STEPS, BATCH, VOCAB, HIDDEN = 35, 32, 28, 256
CELLS = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}


def make_step(cell):
    torch.manual_seed(0)
    rnn, head = CELLS[cell](VOCAB, HIDDEN), torch.nn.Linear(HIDDEN, VOCAB)
    params = list(rnn.parameters()) + list(head.parameters())
    x = torch.tensor(lcg(STEPS * BATCH * VOCAB, 7), dtype=torch.float32).reshape(STEPS, BATCH, VOCAB)
    labels = torch.tensor([(i * 7) % VOCAB for i in range(STEPS * BATCH)])
    loss_fn, opt = torch.nn.CrossEntropyLoss(), torch.optim.SGD(params, lr=1.0)

    def step():
        out, _ = rnn(x)
        loss = loss_fn(head(out.reshape(-1, HIDDEN)), labels)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        opt.zero_grad()

    return step


def main():
    ap = parser()
    ap.add_argument("--cell", choices=sorted(CELLS), default="lstm")
    args = ap.parse_args()
    run(args, lambda: make_step(args.cell), {"torch": torch.__version__})


if __name__ == "__main__":
    main()
