"""Speed of rnn_course's RNN, LSTM and GRU modules against PyTorch's, as ratios measured in one process.

    python benchmarks/bench_modules.py                 (needs torch in the same environment)
    python benchmarks/bench_modules.py --pairs 41 --cells gru lstm

For each cell and each size (N, T, d, D), in float32 on one thread each:

- forward:            Module.forward(x)                    vs  torch.nn.<Cell>(batch_first=True)(x)
- forward+backward:   forward, then backward(dout) with      vs  the same, with gradients for x and
                      gradients for x and every parameter       every parameter

Both modules hold the same weights (ours are copied into PyTorch's, whose
parameter names and gate orders are the same), and the script checks that
their outputs agree before timing. Each ratio is the median of interleaved
pairs of timed blocks with a pause between blocks (see bench_rnn.py for why).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before numpy loads its BLAS

import numpy as np  # noqa: E402

import rnn_course as rc  # noqa: E402
from _compare import interleaved, load_torch  # noqa: E402  (benchmarks/_compare.py)

SIZES = [(32, 64, 32, 128), (64, 100, 128, 256), (64, 200, 128, 256)]
CELLS = {"rnn": (rc.RNN, "RNN"), "lstm": (rc.LSTM, "LSTM"), "gru": (rc.GRU, "GRU")}
TARGETS = {("rnn", "forward"): 0.75, ("rnn", "forward+backward"): 1.0,
           ("lstm", "forward+backward"): 1.0, ("gru", "forward+backward"): 1.0}


def _reps(fn, min_seconds=0.05):
    fn()
    t0 = time.perf_counter()
    fn()
    return max(1, int(min_seconds / max(time.perf_counter() - t0, 1e-6)))


def pair(cell, size, torch):
    N, T, d, D = size
    ours_cls, torch_name = CELLS[cell]
    mine = ours_cls(d, D, seed=0, dtype=np.float32)
    theirs = getattr(torch.nn, torch_name)(d, D, batch_first=True)
    with torch.no_grad():
        for name, p in theirs.named_parameters():
            p.copy_(torch.from_numpy(mine.params[name]))
    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, T, d)).astype(np.float32)
    dout = rng.standard_normal((N, T, D)).astype(np.float32)
    tx, tdout = torch.from_numpy(x), torch.from_numpy(dout)

    out, _ = mine.forward(x)
    with torch.no_grad():
        ref = theirs(tx)[0].numpy()
    err = float(np.max(np.abs(out - ref)))
    if err > 1e-4:
        sys.exit(f"{cell} at {size}: ours and torch.nn.{torch_name} disagree by {err:.1e}; they would not "
                 f"do the same work")

    def our_forward():
        mine.forward(x)

    def our_both():
        mine.zero_grad()
        mine.forward(x)
        mine.backward(dout)

    def their_forward():
        with torch.no_grad():
            theirs(tx)

    def their_both():
        xg = tx.detach().requires_grad_(True)
        theirs.zero_grad(set_to_none=True)
        theirs(xg)[0].backward(tdout)

    return {"forward": (our_forward, their_forward), "forward+backward": (our_both, their_both)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pairs", type=int, default=15, help="interleaved pairs per ratio (default 15)")
    parser.add_argument("--gap", type=float, default=0.25, help="seconds of pause between timed blocks")
    parser.add_argument("--cells", nargs="+", choices=list(CELLS), default=list(CELLS))
    args = parser.parse_args(argv)
    torch = load_torch(threads=1)
    if torch is None:
        return
    print(f"numpy {np.__version__}, torch {torch.__version__}, float32, one thread each, "
          f"median of {args.pairs} interleaved pairs\n")
    header = f"{'cell':<5} | {'(N, T, d, D)':>19} | {'pass':<17} | {'ours ms':>8} | {'torch ms':>8} | {'ratio':>5} | target"
    print(header)
    print("-" * len(header))
    for cell in args.cells:
        for size in SIZES:
            for kind, (a_fn, b_fn) in pair(cell, size, torch).items():
                a_ms, b_ms, r = interleaved(a_fn, b_fn, args.pairs, args.gap, _reps(a_fn), _reps(b_fn))
                target = TARGETS.get((cell, kind))
                verdict = "" if target is None else f"<= {target} {'ok' if r <= target else 'MISSED'}"
                print(f"{cell:<5} | {str(size):>19} | {kind:<17} | {a_ms:8.2f} | "
                      f"{b_ms:8.2f} | {r:5.2f} | {verdict}", flush=True)


if __name__ == "__main__":
    main()
