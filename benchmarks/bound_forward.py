"""What bounds the forward passes that are slower than PyTorch's: the profile of one time step.

    PYTHONPATH=$PWD python benchmarks/bound_forward.py              (needs torch in the same environment)
    PYTHONPATH=$PWD python benchmarks/bound_forward.py --rounds 15 --gap 0.1

For the vanilla RNN at (N, T, d, D) = (64, 200, 128, 256) and the LSTM at
(32, 64, 32, 128) and (64, 100, 128, 256), in float32 on one thread each, it
times, interleaved round by round (medians over the rounds):

- ours:   the module's forward, ``rnn_course.RNN``/``LSTM``.forward(x);
- bare:   the least numpy can do for the same recurrence: the input projection
          of all T steps as one product, then per step the product
          h_{t-1} Wh^T into a preallocated buffer, the adds and the
          nonlinearities, with ``out=`` everywhere, no argument checks, no cache,
          no (T, N, D) -> (N, T, D) copy of the output;
- torch:  ``torch.nn.RNN``/``LSTM(batch_first=True)`` forward under ``no_grad``;
- for the LSTM, whose target is on forward + backward, also our backward
  alone (from the cache of a forward) and torch's forward + backward, so that
  the sums bare forward + our backward and our forward + our backward can be
  set against torch's forward + backward;
- and, per step, each operation the bare loop is made of, on both sides:
  the product (N, D) @ (D, kD) (k = 1 for the RNN, 4 for the LSTM) with
  ``np.matmul(out=)`` and ``torch.mm(out=)``, ``np.tanh`` and ``torch.tanh`` on
  (N, kD) and on (N, D) (``out=`` both), and one small elementwise product on
  (N, D), which is mostly the per-call cost of numpy and of PyTorch.

It then prints each per-step cost as a fraction of torch's whole step (its
forward divided by T), and a floor: T times numpy's product and tanh calls of
one step (for the LSTM, plus our backward), which no rearrangement of the other
numpy calls can go below. The bare loop is usually a little above that floor
and near our forward, within the noise of a shared machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before numpy loads its BLAS

import numpy as np  # noqa: E402

import rnn_course as rc  # noqa: E402
from _compare import block, load_torch  # noqa: E402  (benchmarks/_compare.py)

CASES = [("rnn", (64, 200, 128, 256), 0.75, "forward"),
         ("lstm", (32, 64, 32, 128), 1.0, "forward + backward"),
         ("lstm", (64, 100, 128, 256), 1.0, "forward + backward")]


def _reps(fn, min_seconds):
    fn()
    t0 = time.perf_counter()
    fn()
    return max(1, int(min_seconds / max(time.perf_counter() - t0, 1e-7)))


def interleaved_many(fns, rounds, gap, min_seconds=0.05):
    """{name: median ms per call} over ``rounds`` rounds, each timing every fn once, in turn."""
    reps = {name: _reps(fn, min_seconds) for name, fn in fns.items()}
    times = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            time.sleep(gap)
            times[name].append(block(fn, reps[name]) * 1e3)
    return {name: statistics.median(ts) for name, ts in times.items()}


def bare_rnn(x, Wx, Wh, b):
    """The vanilla RNN's forward, h_t = tanh(x_t Wx^T + b + h_{t-1} Wh^T), at its barest in numpy."""
    N, T, d = x.shape
    D = Wh.shape[0]
    WxT, WhT = np.ascontiguousarray(Wx.T), np.ascontiguousarray(Wh.T)
    hs = np.zeros((T + 1, N, D), dtype=x.dtype)
    xw = np.empty((N * T, D), dtype=x.dtype)
    xw_nt = xw.reshape(N, T, D)

    def forward():
        np.matmul(x.reshape(N * T, d), WxT, out=xw)  # (N*T, d) @ (d, D)
        np.add(xw, b, out=xw)
        for t in range(T):
            a = np.matmul(hs[t], WhT, out=hs[t + 1])
            a += xw_nt[:, t]
            np.tanh(a, out=a)
        return hs

    return forward


def bare_lstm(x, Wx, Wh, b):
    """The LSTM's forward at its barest in numpy: the weights' rows reordered to
    i, f, o, g and scaled by 1/2 for the sigmoid gates, so that one tanh over the
    (N, 4D) pre-activations and one (1 + tanh) / 2 over its first 3D columns
    give all four gates."""
    N, T, d = x.shape
    D = Wh.shape[1]
    rows = np.r_[0:2 * D, 3 * D:4 * D, 2 * D:3 * D]
    scale = np.full(4 * D, 0.5, dtype=x.dtype)
    scale[3 * D:] = 1
    WxT = np.ascontiguousarray(Wx[rows].T * scale)
    WhT = np.ascontiguousarray(Wh[rows].T * scale)
    bs = b[rows] * scale
    ax = np.empty((T, N, 4 * D), dtype=x.dtype)
    ah = np.empty((N, 4 * D), dtype=x.dtype)
    hs = np.zeros((T + 1, N, D), dtype=x.dtype)
    c = np.zeros((N, D), dtype=x.dtype)
    ig = np.empty((N, D), dtype=x.dtype)
    tc = np.empty((N, D), dtype=x.dtype)
    i, f, o, g = (ah[:, k * D:(k + 1) * D] for k in range(4))
    sig = ah[:, :3 * D]

    def forward():
        np.matmul(x.transpose(1, 0, 2), WxT, out=ax)  # (T, N, d) @ (d, 4D)
        np.add(ax, bs, out=ax)
        c[...] = 0
        for t in range(T):
            a = np.matmul(hs[t], WhT, out=ah)
            a += ax[t]
            np.tanh(a, out=a)
            np.add(sig, 1, out=sig)
            np.multiply(sig, 0.5, out=sig)
            np.multiply(c, f, out=c)
            np.add(c, np.multiply(i, g, out=ig), out=c)
            np.tanh(c, out=tc)
            np.multiply(o, tc, out=hs[t + 1])
        return hs

    return forward


def case_fns(cell, size, torch):
    """The timed functions of one case, after checking that ours, bare and torch agree."""
    N, T, d, D = size
    k = 4 if cell == "lstm" else 1
    mine = (rc.LSTM if cell == "lstm" else rc.RNN)(d, D, seed=0, dtype=np.float32)
    theirs = getattr(torch.nn, cell.upper())(d, D, batch_first=True)
    with torch.no_grad():
        for name, p in theirs.named_parameters():
            p.copy_(torch.from_numpy(mine.params[name]))
    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, T, d)).astype(np.float32)
    tx = torch.from_numpy(x)
    p = mine.params
    b = p["bias_ih_l0"] + p["bias_hh_l0"]
    bare = (bare_lstm if cell == "lstm" else bare_rnn)(x, p["weight_ih_l0"], p["weight_hh_l0"], b)

    out, _ = mine.forward(x)
    with torch.no_grad():
        ref = theirs(tx)[0].numpy()
    bare_out = bare()[1:].transpose(1, 0, 2)
    for what, got in (("ours", out), ("bare", bare_out)):
        err = float(np.max(np.abs(got - ref)))
        if err > 1e-4:
            sys.exit(f"{cell} at {size}: {what} and torch.nn.{cell.upper()} disagree by {err:.1e}")

    def their_forward():
        with torch.no_grad():
            theirs(tx)

    dout = rng.standard_normal((N, T, D)).astype(np.float32)
    tdout = torch.from_numpy(dout)

    def our_backward():  # the backward alone, from the cache of the last forward
        mine.zero_grad()
        mine.backward(dout)

    def their_both():
        xg = tx.detach().requires_grad_(True)
        theirs.zero_grad(set_to_none=True)
        theirs(xg)[0].backward(tdout)

    # One step's operations, on both sides, on arrays of the step's shapes.
    h = rng.uniform(-1, 1, (N, D)).astype(np.float32)
    WhT = np.ascontiguousarray(p["weight_hh_l0"].T)  # (D, kD)
    a_k = rng.uniform(-2, 2, (N, k * D)).astype(np.float32)
    a_1 = np.ascontiguousarray(a_k[:, :D])
    o_k, o_1 = np.empty_like(a_k), np.empty_like(a_1)
    th, tWhT, ta_k, ta_1 = (torch.from_numpy(v) for v in (h, WhT, a_k, a_1))
    to_k, to_1 = torch.empty_like(ta_k), torch.empty_like(ta_1)
    kD = f"(N, {k}D)" if k > 1 else "(N, D)"
    ops = {
        f"matmul (N, D) @ (D, {'4D' if k > 1 else 'D'})": (lambda: np.matmul(h, WhT, out=o_k),
                                                          lambda: torch.mm(th, tWhT, out=to_k)),
        f"tanh on {kD}": (lambda: np.tanh(a_k, out=o_k), lambda: torch.tanh(ta_k, out=to_k)),
    }
    if k > 1:
        ops["tanh on (N, D)"] = (lambda: np.tanh(a_1, out=o_1), lambda: torch.tanh(ta_1, out=to_1))
    ops["multiply on (N, D)"] = (lambda: np.multiply(a_1, a_1, out=o_1), lambda: torch.mul(ta_1, ta_1, out=to_1))
    whole = {"ours": lambda: mine.forward(x), "bare": bare, "torch": their_forward}
    if cell == "lstm":  # the target is on forward + backward: how much of it the backward takes
        mine.forward(x)
        whole.update({"ours backward": our_backward, "torch forward+backward": their_both})
    return whole, ops


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=9, help="interleaved rounds (default 9)")
    parser.add_argument("--gap", type=float, default=0.1, help="seconds of pause before each timed block")
    args = parser.parse_args(argv)
    torch = load_torch(threads=1)
    if torch is None:
        return
    print(f"numpy {np.__version__}, torch {torch.__version__}, float32, one thread each, medians of "
          f"{args.rounds} interleaved rounds; load average {os.getloadavg()[0]:.2f} at the start\n")
    for cell, size, target, target_of in CASES:
        N, T, d, D = size
        whole, ops = case_fns(cell, size, torch)
        fns = dict(whole)
        for name, (np_fn, torch_fn) in ops.items():
            fns["numpy " + name] = np_fn
            fns["torch " + name] = torch_fn
        ms = interleaved_many(fns, args.rounds, args.gap)
        step = ms["torch"] / T  # torch's whole forward step, ms
        print(f"{cell.upper()} (N, T, d, D) = {size}, target {target_of} <= {target} x torch")
        print(f"  {'forward':<34} {'ms':>8} {'x torch':>8}")
        for name in ("ours", "bare", "torch"):
            print(f"  {name:<34} {ms[name]:8.2f} {ms[name] / ms['torch']:8.2f}")
        if "ours backward" in ms:
            tb = ms["torch forward+backward"]
            print(f"  {'forward + backward':<34} {'ms':>8} {'x torch f+b':>11}")
            print(f"  {'ours backward alone':<34} {ms['ours backward']:8.2f} {ms['ours backward'] / tb:11.2f}")
            for name, fwd in (("ours forward + ours backward", "ours"), ("bare forward + ours backward", "bare")):
                both = ms[fwd] + ms["ours backward"]
                print(f"  {name:<34} {both:8.2f} {both / tb:11.2f}")
            print(f"  {'torch forward + backward':<34} {tb:8.2f} {1:11.2f}")
        print(f"  {'one step, per operation':<34} {'numpy us':>8} {'torch us':>8} {'np/torch':>8} "
              f"{'np, % of a torch step':>22}")
        for name in ops:
            a, b = ms["numpy " + name] * 1e3, ms["torch " + name] * 1e3
            print(f"  {name:<34} {a:8.1f} {b:8.1f} {a / b:8.2f} {100 * a / (step * 1e3):21.0f}%")
        floor = T * sum(ms["numpy " + name] for name in ops if not name.startswith("multiply"))
        print(f"  numpy's product and tanh calls alone, T = {T} steps: {floor:.2f} ms = "
              f"{floor / ms['torch']:.2f} x torch's forward", end="")
        if "ours backward" in ms:
            both = floor + ms["ours backward"]
            print(f"; plus our backward: {both:.2f} ms = {both / ms['torch forward+backward']:.2f} x torch's f+b",
                  end="")
        print()
        print(f"  torch's whole forward step: {step * 1e3:.1f} us; load average now "
              f"{os.getloadavg()[0]:.2f}\n", flush=True)


if __name__ == "__main__":
    main()
