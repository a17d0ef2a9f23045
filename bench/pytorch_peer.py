"""What the PyTorch peers of the step benchmarks share (bench/steps.ts starts them): their inputs
(bench/lib.ts's generator), timing a step, and answering bench/steps.ts's sample requests."""
import json
import sys
import time


def lcg(n, seed):
    """bench/lib.ts lcgArray: n values in [-1, 1) from a linear congruential generator."""
    out, s = [], seed
    for _ in range(n):
        s = (s * 1664525 + 1013904223) % 2 ** 32
        out.append(s / 2 ** 32 * 2 - 1)
    return out


def sample(step, seconds):
    """Wall and CPU seconds per step over as many steps as fit in `seconds` of wall time (at least one)."""
    t0, c0, calls = time.perf_counter(), time.process_time(), 0
    while True:
        step()
        calls += 1
        elapsed = time.perf_counter() - t0
        if elapsed >= seconds:
            return elapsed / calls, (time.process_time() - c0) / calls


def serve(step, header):
    """Prints `header` as a JSON line, then answers each stdin line "<seconds>" with "<wall> <cpu>"."""
    print(json.dumps(header), flush=True)
    for line in sys.stdin:
        print("%r %r" % sample(step, float(line)), flush=True)
