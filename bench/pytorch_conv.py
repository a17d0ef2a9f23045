"""PyTorch 1.13 peer for bench/conv.ts: the same workloads under the same names, one thread.

  python3 bench/pytorch_conv.py --rounds 5 --seconds 0.5     prints {name: {median, min, max, samples}} as JSON
"""
import argparse
import json
import statistics
import time

import torch
from torch import nn


def lcg(n, seed):
    out, s = [], seed
    for _ in range(n):
        s = (s * 1664525 + 1013904223) % 2 ** 32
        out.append((s / 2 ** 32 * 2 - 1))
    return out


def inp(shape, seed):
    n = 1
    for d in shape:
        n *= d
    return torch.tensor(lcg(n, seed), dtype=torch.float32).reshape(shape)


def workloads():
    x = inp([8, 64, 32, 32], 1).requires_grad_()
    conv = nn.Conv2d(64, 64, 3, padding=1, bias=False)
    gy = inp([8, 64, 32, 32], 2)
    px = inp([8, 64, 32, 32], 3).requires_grad_()
    pool = nn.MaxPool2d(3, 2, 1)
    pg = inp([8, 64, 16, 16], 4)
    cnn = nn.Sequential(
        nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(64, 128, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(128, 10),
    )
    images, labels = inp([32, 3, 32, 32], 5), torch.tensor([i % 10 for i in range(32)])
    loss_fn, opt = nn.CrossEntropyLoss(), torch.optim.SGD(cnn.parameters(), lr=0.01)

    def forward():
        with torch.no_grad():
            conv(x)

    def train():
        loss = loss_fn(cnn(images), labels)
        loss.backward()
        opt.step()
        opt.zero_grad()

    return [
        ("conv3x3 64->64 [8,64,32,32] forward", forward),
        ("conv3x3 64->64 [8,64,32,32] forward+backward", lambda: conv(x).backward(gy)),
        ("maxpool 3/2/1 [8,64,32,32] forward+backward", lambda: pool(px).backward(pg)),
        ("cnn train step, batch 32 of 3x32x32", train),
    ]


def time_sync(seconds, fn):
    """CPU seconds per call, as bench/conv.ts measures its side."""
    t0, calls = time.process_time(), 0
    while True:
        fn()
        calls += 1
        elapsed = time.process_time() - t0
        if elapsed >= seconds:
            return elapsed / calls


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--seconds", type=float, default=0.5)
    a = p.parse_args()
    torch.set_num_threads(1)
    out = {}
    for name, step in workloads():
        time_sync(a.seconds, step)
        samples = [time_sync(a.seconds, step) for _ in range(a.rounds)]
        out[name] = {"median": statistics.median(samples), "min": min(samples), "max": max(samples), "samples": samples}
    print(json.dumps(out))


main()
