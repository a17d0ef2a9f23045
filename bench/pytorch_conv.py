"""PyTorch 1.13 peer for bench/conv.ts: the same workloads under the same names, one thread.

  python3 bench/pytorch_conv.py --rounds 5 --seconds 0.5     prints {name: {median, min, max, samples}} as JSON
"""
import torch
from torch import nn

from pytorch_peer import cpu_main, lcg_tensor as inp


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


cpu_main(workloads, 0.5)
