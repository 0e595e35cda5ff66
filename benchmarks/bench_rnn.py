"""Speed of rnn_course's vanilla RNN against PyTorch's, as ratios measured in one process.

    .venv/bin/python benchmarks/bench_rnn.py          (or: make bench)
    .venv/bin/python benchmarks/bench_rnn.py --pairs 41 --threads 2

Times, in float32, at (N, T, d, D) = (1, 100, 64, 128), (32, 100, 64, 128) and
(64, 200, 128, 256):

- forward:            rnn_forward                 vs  torch.nn.RNN(batch_first=True) forward
- forward + backward: rnn_forward + rnn_backward  vs  the same module's forward + backward,
                      with gradients for x, h0 and every parameter on both sides

PyTorch gets the same weights and runs with 2 threads (the machine's cores).
The machines are shared and noisy, so single timings mean little: each ratio
is the median of many interleaved pairs (ours, then torch, then ours ...),
each pair timed back to back so both sides see the same load. Between two
timed blocks the benchmark sleeps (--gap, 0.25 s): OpenBLAS's and OpenMP's
worker threads keep spinning on the cores for a while after a call, and
without the pause each side would be timed against the other's spinning
threads (measured: torch's forward looked 2-4x slower). Without PyTorch
installed, only our absolute times are printed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np

import rnn_course as rc

SIZES = [(1, 100, 64, 128), (32, 100, 64, 128), (64, 200, 128, 256)]
TARGETS = {"forward": 0.75, "forward+backward": 1.0}


def _timer(fn, min_seconds=0.02):
    """Return a function that runs fn enough times to take ~min_seconds, and the repeat count."""
    fn()  # warm up
    start = time.perf_counter()
    fn()
    once = max(time.perf_counter() - start, 1e-6)
    reps = max(1, int(min_seconds / once))

    def timed():
        t0 = time.perf_counter()
        for _ in range(reps):
            fn()
        return (time.perf_counter() - t0) / reps

    return timed


def make_case(N, T, d, D, seed=0):
    rng = np.random.default_rng(seed)
    bound = 1 / np.sqrt(D)
    f32 = np.float32
    return dict(
        x=rng.standard_normal((N, T, d)).astype(f32),
        h0=rng.standard_normal((N, D)).astype(f32) * 0.1,
        Wx=rng.uniform(-bound, bound, (D, d)).astype(f32),
        Wh=rng.uniform(-bound, bound, (D, D)).astype(f32),
        b_ih=rng.uniform(-bound, bound, D).astype(f32),
        b_hh=rng.uniform(-bound, bound, D).astype(f32),
        dh=rng.standard_normal((N, T, D)).astype(f32),
    )


def ours(case):
    b = case["b_ih"] + case["b_hh"]

    def forward():
        return rc.rnn_forward(case["x"], case["h0"], case["Wx"], case["Wh"], b)

    def forward_backward():
        h, cache = rc.rnn_forward(case["x"], case["h0"], case["Wx"], case["Wh"], b)
        return rc.rnn_backward(case["dh"], cache)

    return {"forward": forward, "forward+backward": forward_backward}


def theirs(case, torch):
    N, T, d = case["x"].shape
    D = case["Wh"].shape[0]
    rnn = torch.nn.RNN(d, D, batch_first=True)
    with torch.no_grad():
        for name, key in [("weight_ih_l0", "Wx"), ("weight_hh_l0", "Wh"),
                          ("bias_ih_l0", "b_ih"), ("bias_hh_l0", "b_hh")]:
            getattr(rnn, name).copy_(torch.from_numpy(case[key]))
    x = torch.from_numpy(case["x"])
    h0 = torch.from_numpy(case["h0"])[None]
    dh = torch.from_numpy(case["dh"])

    def forward():
        with torch.no_grad():
            return rnn(x, h0)

    def forward_backward():
        xg = x.detach().requires_grad_(True)
        hg = h0.detach().requires_grad_(True)
        rnn.zero_grad(set_to_none=True)
        out, _ = rnn(xg, hg)
        out.backward(dh)
        return xg.grad

    return {"forward": forward, "forward+backward": forward_backward}


def check_same_numbers(case, torch):
    """Both sides compute the same function (float32, so to ~1e-5)."""
    h, _ = ours(case)["forward"]()
    out, _ = theirs(case, torch)["forward"]()
    err = float(np.max(np.abs(h - out.numpy())))
    if err > 1e-4:
        sys.exit(f"rnn_forward and torch.nn.RNN disagree by {err:.2e}: the benchmark would compare different work")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pairs", type=int, default=21, help="interleaved pairs per ratio (default 21)")
    parser.add_argument("--threads", type=int, default=2, help="PyTorch threads (default 2)")
    parser.add_argument("--gap", type=float, default=0.25,
                        help="seconds to sleep between timed blocks, so idle BLAS/OpenMP threads stop spinning")
    args = parser.parse_args(argv)
    try:
        import torch
    except ImportError:
        torch = None
        print("PyTorch is not installed: printing our times only "
              "(pip install torch==2.13.0 in the venv to get the ratios).\n")
    else:
        torch.set_num_threads(args.threads)
        print(f"numpy {np.__version__}, torch {torch.__version__} ({args.threads} threads), "
              f"float32, median of {args.pairs} interleaved pairs\n")

    header = f"{'(N, T, d, D)':>20} | {'pass':<17} | {'ours ms':>8} | {'torch ms':>8} | {'ratio':>6} | target"
    print(header)
    print("-" * len(header))
    rows = []
    for size in SIZES:
        case = make_case(*size)
        if torch is not None:
            check_same_numbers(case, torch)
        mine = ours(case)
        other = theirs(case, torch) if torch is not None else None
        for kind in ("forward", "forward+backward"):
            t_ours = _timer(mine[kind])
            t_theirs = _timer(other[kind]) if other else None
            ours_ms, theirs_ms, ratios = [], [], []
            for _ in range(args.pairs):
                time.sleep(args.gap)
                a = t_ours()
                ours_ms.append(a * 1e3)
                if t_theirs:
                    time.sleep(args.gap)
                    b = t_theirs()
                    theirs_ms.append(b * 1e3)
                    ratios.append(a / b)
            line = f"{str(size):>20} | {kind:<17} | {statistics.median(ours_ms):8.2f} | "
            if ratios:
                r = statistics.median(ratios)
                ok = "ok" if r <= TARGETS[kind] else "MISSED"
                line += f"{statistics.median(theirs_ms):8.2f} | {r:6.2f} | <= {TARGETS[kind]} {ok}"
                rows.append((size, kind, r))
            else:
                line += f"{'-':>8} | {'-':>6} |"
            print(line, flush=True)
    return rows


if __name__ == "__main__":
    main()
