"""PyTorch 1.13 peer for bench/rnn.ts: the same recurrent language-model training step.

  python3 bench/pytorch_rnn.py --threads 1 --serve [--cell lstm]   prints a JSON header line, then answers
                                                                each stdin line "<seconds>" with
                                                                "<wall> <cpu>", the seconds per step

The step, as Dive into Deep Learning's RNN language models train (§9.5, §10.1): nn.LSTM (or nn.GRU,
nn.RNN) over 35 steps of a batch of 32 with 28 input features and 256 hidden units, a Linear to 28
classes on every step's output, cross-entropy over all steps, backward, clip_grad_norm_(1),
SGD(lr=1).step(), zero_grad(); inputs from the same linear congruential generator as bench/lib.ts.
"""
import argparse
import json
import sys
import time

import torch

STEPS, BATCH, VOCAB, HIDDEN = 35, 32, 28, 256
CELLS = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}


def lcg(n, seed):
    out, s = [], seed
    for _ in range(n):
        s = (s * 1664525 + 1013904223) % 2 ** 32
        out.append(s / 2 ** 32 * 2 - 1)
    return out


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


def sample(step, seconds):
    """Wall and CPU seconds per step over as many steps as fit in `seconds` of wall time (at least one)."""
    t0, c0, calls = time.perf_counter(), time.process_time(), 0
    while True:
        step()
        calls += 1
        elapsed = time.perf_counter() - t0
        if elapsed >= seconds:
            return elapsed / calls, (time.process_time() - c0) / calls


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--cell", choices=sorted(CELLS), default="lstm")
    ap.add_argument("--serve", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    step = make_step(args.cell)
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads()}), flush=True)
    for line in sys.stdin if args.serve else ["1.0"]:
        print("%r %r" % sample(step, float(line)), flush=True)


if __name__ == "__main__":
    main()
