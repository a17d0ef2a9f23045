"""PyTorch 1.13 peer for bench/gpt.ts: a small nanoGPT training step (the model of
scripts/fixtures/gpt.py, which is nanoGPT's model.py), forward + backward + AdamW, as a user runs it.

  python3 bench/pytorch_gpt.py --threads 1 --serve   one sample per stdin line "<seconds>": prints the
                                                     wall and CPU seconds per step (bench/gpt.ts alternates
                                                     these samples with torchlet's)
  python3 bench/pytorch_gpt.py --threads 2           7 samples of 0.5 s (wall time), as JSON
"""
import pathlib
import sys

import torch

from pytorch_peer import parser, run

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
    ap = parser()
    ap.set_defaults(rounds=7, seconds=0.5)
    run(ap.parse_args(), make_step, {"torch": torch.__version__})


if __name__ == "__main__":
    main()
