"""PyTorch 1.13 peer for bench/gpt.ts: a small nanoGPT training step (the model of
scripts/fixtures/gpt.py, which is nanoGPT's model.py), forward + backward + AdamW, as a user runs it.

  python3 bench/pytorch_gpt.py --threads 1 --serve   one sample per stdin line "<seconds>": prints the
                                                     wall and CPU seconds per step (bench/gpt.ts alternates
                                                     these samples with torchlet's)
  python3 bench/pytorch_gpt.py --threads 2           medians of its own samples, as JSON
"""
import argparse
import json
import pathlib
import statistics
import sys

import torch

from pytorch_peer import sample, serve

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "scripts" / "fixtures"))
from gpt import GPT, GPTConfig  # noqa: E402  (nanoGPT's model, shared with the golden data)

# bench/gpt.ts builds the same: nanoGPT's defaults (no biases, no dropout) at a small size
CONFIG = dict(block_size=64, vocab_size=65, n_layer=2, n_head=4, n_embd=128, dropout=0.0, bias=False)
BATCH = 8


def make_step():
    torch.manual_seed(0)
    model = GPT(GPTConfig(**CONFIG))
    model.train()
    opt = model.configure_optimizers(0.1, 1e-3, (0.9, 0.95))
    x = torch.randint(0, CONFIG["vocab_size"], (BATCH, CONFIG["block_size"]))
    y = torch.randint(0, CONFIG["vocab_size"], (BATCH, CONFIG["block_size"]))

    def step():
        _, loss = model(x, y)
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)

    return step


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--serve", action="store_true")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--seconds", type=float, default=0.5)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    step = make_step()
    header = {"torch": torch.__version__, "threads": torch.get_num_threads()}
    if args.serve:
        serve(step, header)
        return
    sample(step, 1.0)
    xs = [sample(step, args.seconds)[0] for _ in range(args.rounds)]
    print(json.dumps({**header, "median": statistics.median(xs), "min": min(xs), "max": max(xs)}))


if __name__ == "__main__":
    main()
