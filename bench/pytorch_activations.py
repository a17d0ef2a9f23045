"""PyTorch 1.13 peer for bench/activations.ts: the same workloads under the same names, one thread.

  python3 bench/pytorch_activations.py --rounds 5 --seconds 0.3   prints {name: {median, min, max, samples}} as JSON
"""
import torch
import torch.nn.functional as F

from pytorch_peer import cpu_main, lcg_tensor

SHAPE = [256, 1024]


def workloads():
    x = lcg_tensor(SHAPE, 1, 4.0).requires_grad_()
    positive = (lcg_tensor(SHAPE, 3, 0.5) + 1).requires_grad_()
    gy = lcg_tensor(SHAPE, 2)
    fns = [
        ("relu", F.relu), ("gelu", F.gelu), ("gelu tanh", lambda t: F.gelu(t, approximate="tanh")),
        ("silu", F.silu), ("elu", F.elu), ("mish", F.mish), ("hardswish", F.hardswish),
        ("leaky_relu", F.leaky_relu), ("sigmoid", torch.sigmoid), ("tanh", torch.tanh),
    ]
    slope = torch.tensor([0.25])
    fns += [
        ("clamp(-1, 1)", lambda t: t.clamp(-1, 1)), ("pow(2)", lambda t: t.pow(2)), ("prelu", lambda t: F.prelu(t, slope)),
    ]
    out = [(f"{name} [256,1024] forward+backward", lambda f=f: f(x).backward(gy)) for name, f in fns]
    return out + [("log [256,1024] forward+backward", lambda: positive.log().backward(gy))]


cpu_main(workloads, 0.3)
