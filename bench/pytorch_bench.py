"""PyTorch 1.13 peer for bench/mlp.ts: the same MLP workloads, written as a PyTorch user writes them.

  python3 bench/pytorch_bench.py --threads 1 --json     medians of its own samples, as one JSON object
  python3 bench/pytorch_bench.py --threads 1 --serve    one sample per stdin line "<workload> <seconds>":
                                                        prints the seconds per call (bench/mlp.ts alternates
                                                        these samples with the other contenders')
"""
import argparse
import ctypes
import json
import statistics
import sys
import time

import torch
from torch import nn


def seed_train():
    net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
    x, y = torch.rand(2, 4), torch.rand(2, 1)
    loss_fn = nn.MSELoss()
    opt = torch.optim.SGD(net.parameters(), lr=0.01)

    def step():
        loss = loss_fn(net(x), y)
        loss.backward()
        opt.step()
        opt.zero_grad()

    return step


def medium_net():
    return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))


def medium_train():
    net = medium_net()
    x, labels = torch.randn(128, 784), torch.randint(0, 10, (128,))
    loss_fn = nn.CrossEntropyLoss()
    opt = torch.optim.SGD(net.parameters(), lr=0.01)

    def step():
        loss = loss_fn(net(x), labels)
        loss.backward()
        opt.step()
        opt.zero_grad()

    return step


def medium_infer(batch):
    def make():
        net = medium_net()
        x = torch.randn(batch, 784)

        def step():
            with torch.no_grad():
                net(x)

        return step

    return make


WORKLOADS = {
    "seed-train": seed_train,
    "medium-train": medium_train,
    "medium-infer-1": medium_infer(1),
    "medium-infer-128": medium_infer(128),
}


# --cpu-time: the process's CPU time instead of wall time (bench/lib.ts says when that is the honest clock)
CLOCK = time.process_time if "--cpu-time" in sys.argv else time.perf_counter


def sample(step, seconds):
    """Seconds per call over as many calls as fit in `seconds` (at least one)."""
    t0, calls = CLOCK(), 0
    while True:
        step()
        calls += 1
        elapsed = CLOCK() - t0
        if elapsed >= seconds:
            return elapsed / calls


def openblas_core(paths):
    """'; core X': the kernels OpenBLAS chose for this CPU (Prescott is its generic fallback)."""
    for path in sorted(p for p in paths if "libopenblas" in p):
        try:
            lib = ctypes.CDLL(path)
            lib.openblas_get_corename.restype = ctypes.c_char_p
            return "; core " + lib.openblas_get_corename().decode()
        except (OSError, AttributeError):
            continue
    return ""


def blas_library():
    """The BLAS shared library torch's matmuls run on, from this process's memory map: Debian's
    python3-torch takes whichever libblas.so.3 the system selects, the reference BLAS unless an
    optimized one (libopenblas0-pthread) is installed, and the two differ by 10-40x on these MLPs."""
    torch.ones(8, 8) @ torch.ones(8, 8)
    with open("/proc/self/maps") as f:
        paths = {line.split()[-1] for line in f if "blas" in line.lower() and "/" in line}
    names = sorted(p.rsplit("/", 1)[-1] for p in paths if "lapack" not in p)
    if any("openblas" in n for n in names):
        return "OpenBLAS (" + ", ".join(names) + openblas_core(paths) + ")"
    return "reference BLAS (" + ", ".join(names) + ")" if names else "unknown BLAS"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--serve", action="store_true")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--cpu-time", action="store_true")
    ap.add_argument("--rounds", type=int, default=11)
    ap.add_argument("--seconds", type=float, default=0.1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    steps = {}
    if args.serve:
        print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "blas": blas_library()}), flush=True)
        for line in sys.stdin:
            name, seconds = line.split()
            if name not in steps:
                steps[name] = WORKLOADS[name]()
            print(sample(steps[name], float(seconds)), flush=True)
        return
    out = {"torch": torch.__version__, "threads": torch.get_num_threads(), "blas": blas_library(), "workloads": {}}
    for name, make in WORKLOADS.items():
        step = make()
        sample(step, 0.3)
        xs = [sample(step, args.seconds) for _ in range(args.rounds)]
        out["workloads"][name] = {"median": statistics.median(xs), "min": min(xs), "max": max(xs)}
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
