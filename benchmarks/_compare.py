"""What the side-by-side benchmarks share: loading PyTorch, and timing interleaved pairs.

The machines are shared and noisy, so a single timing means little: each ratio
is the median of many pairs (ours, then PyTorch's, ...), timed back to back so
that both sides see the same load, with a pause before each timed block so
that idle BLAS/OpenMP worker threads stop spinning (see bench_rnn.py).
"""

from __future__ import annotations

import statistics
import time


def load_torch(threads=1):
    """torch with ``threads`` threads, or None (after saying so) when it is not installed."""
    try:
        import torch
    except ImportError:
        print("PyTorch is not installed here, so there is nothing to compare with: "
              "pip install torch==2.13.0 (CPU) into this environment")
        return None
    torch.set_num_threads(threads)
    return torch


def block(fn, reps):
    """Seconds per call of fn, over reps calls in a row."""
    t0 = time.perf_counter()
    for _ in range(reps):
        fn()
    return (time.perf_counter() - t0) / reps


def interleaved(ours, theirs, pairs, gap, reps_ours=1, reps_theirs=1):
    """(ours ms, theirs ms, ours/theirs): the medians over ``pairs`` interleaved pairs of timed blocks."""
    a_ms, b_ms, ratios = [], [], []
    for _ in range(pairs):
        time.sleep(gap)
        a = block(ours, reps_ours)
        time.sleep(gap)
        b = block(theirs, reps_theirs)
        a_ms.append(a * 1e3)
        b_ms.append(b * 1e3)
        ratios.append(a / b)
    return statistics.median(a_ms), statistics.median(b_ms), statistics.median(ratios)
