"""PyTorch 1.13 + torchvision 0.14 peer for bench/resnet.ts: the same ResNet-18 training step.

  python3 bench/pytorch_resnet.py --threads 1 --serve    prints a JSON header line, then answers each
                                                          stdin line "<seconds>" with "<wall> <cpu>",
                                                          the seconds per step
  python3 bench/pytorch_resnet.py --threads 1             5 samples of 1 s (wall time), as JSON

The step: torchvision.models.resnet18(num_classes=10) in train mode on a batch of 3x32x32 images,
cross-entropy, backward, SGD(lr=0.01, momentum=0.9).step(), zero_grad(); inputs from the same
linear congruential generator as bench/lib.ts.
"""
import argparse
import json
import statistics

import torch
import torchvision

from pytorch_peer import lcg, sample, serve


def make_step(batch, size):
    torch.manual_seed(0)
    model = torchvision.models.resnet18(num_classes=10)
    model.train()
    images = torch.tensor(lcg(batch * 3 * size * size, 5), dtype=torch.float32).reshape(batch, 3, size, size)
    labels = torch.tensor([i % 10 for i in range(batch)])
    loss_fn, opt = torch.nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def step():
        loss = loss_fn(model(images), labels)
        loss.backward()
        opt.step()
        opt.zero_grad()

    return step


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--size", type=int, default=32)
    ap.add_argument("--serve", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    step = make_step(args.batch, args.size)
    if args.serve:
        serve(step, {"torch": torch.__version__, "torchvision": torchvision.__version__, "threads": torch.get_num_threads()})
        return
    sample(step, 1.0)
    xs = [sample(step, 1.0)[0] for _ in range(5)]
    print(json.dumps({"median": statistics.median(xs), "min": min(xs), "max": max(xs), "samples": xs}))


if __name__ == "__main__":
    main()
