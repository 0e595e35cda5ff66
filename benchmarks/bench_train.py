"""Speed of one training step, rnn_course against PyTorch, as ratios measured in one process.

    python benchmarks/bench_train.py                 (needs torch in the same environment)
    python benchmarks/bench_train.py --pairs 41 --dtype float64

A training step is what ``rnn_course.train.fit`` does per batch: zero the
gradients, run the model's loss (forward and backward), clip the global
gradient norm to 5, and take an Adam step. PyTorch does the same with the
same architecture, initial weights, batch and optimiser settings:

- charlm:   CharLM(V, 32, 128, cell="gru") on windows (N, T) = (32, 64) of the
            bundled Moby-Dick text, Adam lr 0.005, clip 5 (the char-LM task's
            larger setting)
- classify: ManyToOneClassifier(V, 32, 64, 2, cell="gru") on (N, T) = (32, 40)
            padded sentiment-like ids with ragged lengths, Adam lr 0.01, clip 5

Both sides run on one thread (numpy's BLAS: start with OPENBLAS_NUM_THREADS=1,
which the script sets when it is not set). Each ratio is the median of many
interleaved pairs (ours, then torch, ...) of timed blocks, with a pause between
blocks so that idle BLAS/OpenMP threads stop spinning (see bench_rnn.py).
Both sides compute in float32 (PyTorch's default), or both in float64 with
``--dtype float64``; before timing, the script checks that both give the same
first loss.
"""

from __future__ import annotations

import argparse
import os
import sys

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before numpy loads its BLAS

import numpy as np  # noqa: E402

from rnn_course.models import CharLM, ManyToOneClassifier  # noqa: E402
from rnn_course.optim import Adam, clip_grad_norm  # noqa: E402
from _compare import interleaved, load_torch  # noqa: E402  (benchmarks/_compare.py)

CLIP = 5.0


def charlm_case(seed=0):
    from rnn_course.tasks.charlm import load_moby_dick, streams

    corpus = load_moby_dick()
    N, T = 32, 64
    inputs, targets = streams(corpus.train, N, T)
    return dict(kind="charlm", V=len(corpus.vocab), embed=32, hidden=128, lr=0.005,
                batch=(inputs[:N], targets[:N]), seed=seed)


def classify_case(seed=0):
    rng = np.random.default_rng(seed)
    N, T, V = 32, 40, 2000
    lengths = rng.integers(5, T + 1, N)
    ids = rng.integers(1, V, (N, T))
    ids[np.arange(T)[None, :] >= lengths[:, None]] = 0
    labels = rng.integers(0, 2, N)
    return dict(kind="classify", V=V, embed=32, hidden=64, lr=0.01, batch=(ids, lengths, labels), seed=seed)


def ours(case, dtype):
    if case["kind"] == "charlm":
        model = CharLM(case["V"], case["embed"], case["hidden"], cell="gru", seed=case["seed"], dtype=dtype)
    else:
        model = ManyToOneClassifier(case["V"], case["embed"], case["hidden"], 2, cell="gru",
                                    bidirectional=False, seed=case["seed"], dtype=dtype)
    opt = Adam(model, lr=case["lr"])
    batch = case["batch"]

    def step():
        model.zero_grad()
        loss = model.loss(*batch)
        clip_grad_norm(model, CLIP)
        opt.step()
        return loss

    return model, step


def theirs(case, torch, model, dtype):
    """The same architecture in PyTorch, with our model's initial weights copied in."""
    nn = torch.nn
    state = model.state_dict()
    D = case["hidden"]

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(case["V"], case["embed"])
            self.rnn = nn.GRU(case["embed"], D, batch_first=True)
            self.head = nn.Linear(D, case["V"] if case["kind"] == "charlm" else 2)

        def forward(self, ids, lengths=None):
            out, _ = self.rnn(self.embed(ids))
            if lengths is None:
                return self.head(out)  # (N, T, V)
            return self.head(out[torch.arange(len(ids)), lengths - 1])  # last real step, (N, C)

    net = Net().to(getattr(torch, dtype))
    with torch.no_grad():
        for name, p in net.named_parameters():
            p.copy_(torch.from_numpy(state[name]))
    opt = torch.optim.Adam(net.parameters(), lr=case["lr"])
    if case["kind"] == "charlm":
        inputs, targets = (torch.from_numpy(a) for a in case["batch"])

        def loss_of():
            logits = net(inputs)
            return nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
    else:
        ids, lengths, labels = (torch.from_numpy(np.asarray(a)) for a in case["batch"])

        def loss_of():
            return nn.functional.cross_entropy(net(ids, lengths), labels)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = loss_of()
        loss.backward()
        nn.utils.clip_grad_norm_(net.parameters(), CLIP)
        opt.step()
        return loss.item()

    return step


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pairs", type=int, default=15, help="interleaved pairs per ratio (default 15)")
    parser.add_argument("--reps", type=int, default=5, help="training steps per timed block (default 5)")
    parser.add_argument("--gap", type=float, default=0.25, help="seconds of pause between timed blocks")
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    args = parser.parse_args(argv)
    torch = load_torch(threads=1)
    if torch is None:
        return
    print(f"numpy {np.__version__}, torch {torch.__version__}, one thread each, {args.dtype}, "
          f"median of {args.pairs} interleaved pairs of {args.reps} steps\n")
    header = f"{'task':<9} | {'ours ms/step':>12} | {'torch ms/step':>13} | {'ratio':>6}"
    print(header)
    print("-" * len(header))
    for make in (charlm_case, classify_case):
        case = make()
        model, mine = ours(case, np.dtype(args.dtype))
        other = theirs(case, torch, model, args.dtype)
        first_ours, first_theirs = mine(), other()  # the same weights and batch: the same first loss
        tol = 1e-9 if args.dtype == "float64" else 1e-5
        if abs(first_ours - first_theirs) > tol * max(1.0, abs(first_ours)):
            sys.exit(f"{case['kind']}: the first losses differ ({first_ours} vs {first_theirs}): "
                     f"the two sides would not do the same work")
        a_ms, b_ms, ratio = interleaved(mine, other, args.pairs, args.gap, args.reps, args.reps)
        print(f"{case['kind']:<9} | {a_ms:12.2f} | {b_ms:13.2f} | {ratio:6.2f}", flush=True)


if __name__ == "__main__":
    main()
