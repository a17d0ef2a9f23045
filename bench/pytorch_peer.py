"""What the PyTorch peers share: their inputs (bench/lib.ts's generator), timing a step in wall or
CPU time, answering bench/steps.ts's sample requests (the step benchmarks), and the command line
around them."""
import argparse
import json
import statistics
import sys
import time

import torch


def lcg(n, seed):
    """bench/lib.ts lcgArray: n values in [-1, 1) from a linear congruential generator."""
    out, s = [], seed
    for _ in range(n):
        s = (s * 1664525 + 1013904223) % 2 ** 32
        out.append(s / 2 ** 32 * 2 - 1)
    return out


def lcg_tensor(shape, seed, scale=1.0):
    """A float32 tensor of `shape` holding bench/lib.ts lcgArray(n, seed, scale)."""
    n = 1
    for d in shape:
        n *= d
    return torch.tensor([v * scale for v in lcg(n, seed)], dtype=torch.float32).reshape(shape)


def sample(step, seconds):
    """Wall and CPU seconds per step over as many steps as fit in `seconds` of wall time (at least one)."""
    t0, c0, calls = time.perf_counter(), time.process_time(), 0
    while True:
        step()
        calls += 1
        elapsed = time.perf_counter() - t0
        if elapsed >= seconds:
            return elapsed / calls, (time.process_time() - c0) / calls


def cpu_sample(step, seconds):
    """CPU seconds per step over as many steps as fit in `seconds` of CPU time (at least one)."""
    t0, calls = time.process_time(), 0
    while True:
        step()
        calls += 1
        elapsed = time.process_time() - t0
        if elapsed >= seconds:
            return elapsed / calls


def cpu_table(workloads, rounds, seconds):
    """{name: {median, min, max, samples}} of CPU seconds per call, one warm-up sample each first."""
    out = {}
    for name, step in workloads:
        cpu_sample(step, seconds)
        xs = [cpu_sample(step, seconds) for _ in range(rounds)]
        out[name] = {"median": statistics.median(xs), "min": min(xs), "max": max(xs), "samples": xs}
    return out


def cpu_main(workloads, seconds):
    """The one-thread CPU-time peers (bench/conv.ts, bench/activations.ts): --rounds samples of
    --seconds (default `seconds`) of each of `workloads()`, printed as cpu_table's JSON."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=seconds)
    a = ap.parse_args()
    torch.set_num_threads(1)
    print(json.dumps(cpu_table(workloads(), a.rounds, a.seconds)))


def serve(step, header):
    """Prints `header` as a JSON line, then answers each stdin line "<seconds>" with "<wall> <cpu>"."""
    print(json.dumps(header), flush=True)
    for line in sys.stdin:
        print("%r %r" % sample(step, float(line)), flush=True)


def parser():
    """The options every peer takes: --threads, --serve (bench/steps.ts), and --rounds, --seconds alone."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--serve", action="store_true")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=1.0)
    return ap


def run(args, make_step, header):
    """Sets the threads and builds the step; with --serve answers bench/steps.ts, else prints the
    median, min and max wall seconds per step of --rounds samples (after one to warm up) as JSON."""
    torch.set_num_threads(args.threads)
    step, header = make_step(), {**header, "threads": torch.get_num_threads()}
    if args.serve:
        serve(step, header)
        return
    sample(step, 1.0)
    xs = [sample(step, args.seconds)[0] for _ in range(args.rounds)]
    print(json.dumps({**header, "median": statistics.median(xs), "min": min(xs), "max": max(xs), "samples": xs}))
