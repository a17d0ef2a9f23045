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
import sys
import time

import torch
import torchvision


def lcg(n, seed):
    out, s = [], seed
    for _ in range(n):
        s = (s * 1664525 + 1013904223) % 2 ** 32
        out.append(s / 2 ** 32 * 2 - 1)
    return out


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
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--size", type=int, default=32)
    ap.add_argument("--serve", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    step = make_step(args.batch, args.size)
    if args.serve:
        print(json.dumps({"torch": torch.__version__, "torchvision": torchvision.__version__,
                          "threads": torch.get_num_threads()}), flush=True)
        for line in sys.stdin:
            print("%r %r" % sample(step, float(line)), flush=True)
        return
    sample(step, 1.0)
    xs = [sample(step, 1.0)[0] for _ in range(5)]
    print(json.dumps({"median": statistics.median(xs), "min": min(xs), "max": max(xs), "samples": xs}))


if __name__ == "__main__":
    main()
