"""PyTorch 1.13 + torchvision 0.14 peer for bench/resnet.ts: the same ResNet-18 training step.

  python3 bench/pytorch_resnet.py --threads 1 --serve    prints a JSON header line, then answers each
                                                          stdin line "<seconds>" with "<wall> <cpu>",
                                                          the seconds per step
  python3 bench/pytorch_resnet.py --threads 1             5 samples of 1 s (wall time), as JSON

The step: torchvision.models.resnet18(num_classes=10) in train mode on a batch of 3x32x32 images,
cross-entropy, backward, SGD(lr=0.01, momentum=0.9).step(), zero_grad(); inputs from the same
linear congruential generator as bench/lib.ts.
"""
import torch
import torchvision

from pytorch_peer import lcg, parser, run


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
    ap = parser()
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--size", type=int, default=32)
    args = ap.parse_args()
    run(args, lambda: make_step(args.batch, args.size), {"torch": torch.__version__, "torchvision": torchvision.__version__})


if __name__ == "__main__":
    main()
