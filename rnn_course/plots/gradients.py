"""Figures of chapter 7, "Training RNNs": how gradients shrink or grow through
time, why tanh saturates, and what gradient clipping does to a training run.

    jacobian_norms     ||dh_T/dh_{T-k}|| against k, log scale, with rho^k guides
    tanh_saturation    tanh and its derivative; the saturated fraction against the weight scale
    clipping_runs      loss and gradient norm of training runs with and without clipping
    truncation         what truncated BPTT keeps: the error of dW_h against the window k
"""

from __future__ import annotations

from itertools import cycle

import matplotlib.pyplot as plt
import numpy as np

from ._style import COLORS, finish, use_style

_LINE_COLORS = [COLORS["input"], COLORS["output"], COLORS["hidden"], COLORS["accent"], COLORS["extra"],
                "#495057"]


def _curves(fn, curves):
    if not isinstance(curves, dict) or not curves:
        raise TypeError(f"{fn}: curves must be a dict {{label: values}} with at least one entry")
    out = {}
    for label, values in curves.items():
        values = np.asarray(values, dtype=float)
        if values.ndim != 1 or values.size < 2:
            raise ValueError(f"{fn}: curves[{label!r}] has shape {values.shape}; expected (K,) with K >= 2")
        out[label] = values
    return out


def jacobian_norms(curves, rates=None, title=None):
    """||dh_T/dh_{T-k}|| against the distance k, on a log scale.

    Inputs:

    - curves: {label: (K,) norms at distances k = 0 .. K-1}, e.g. the (T+1,)
      norms of ``rnn_course.gradflow.jacobian_norms`` for T steps
    - rates: optional {label: rho}: for each, the guide rho^k is drawn as a
      thin dashed line in the curve's colour (what a linear RNN with spectral
      radius rho would give)
    - title: optional title

    Returns the Figure.
    """
    curves = _curves("jacobian_norms", curves)
    rates = rates or {}
    unknown = set(rates) - set(curves)
    if unknown:
        raise ValueError(f"jacobian_norms: rates has labels that are not curves: {sorted(unknown)}")
    use_style()
    fig, ax = plt.subplots(figsize=(8, 3.6))
    lowest, highest = np.inf, 0.0
    for (label, values), color in zip(curves.items(), cycle(_LINE_COLORS)):
        k = np.arange(values.size)
        positive = values[values > 0]
        lowest, highest = min(lowest, positive.min()), max(highest, positive.max())
        ax.plot(k, values, lw=2, color=color, label=label)
        if label in rates:
            ax.plot(k, float(rates[label]) ** k, ls="--", lw=1, color=color, alpha=0.8)
    if rates:
        ax.plot([], [], ls="--", lw=1, color="#495057", label=r"$\rho^k$ (long-run rate of a linear RNN)")
    ax.set_yscale("log")
    ax.set_ylim(max(lowest / 3, 1e-40), highest * 3)  # the guides may not stretch the axis
    ax.set_xlabel("distance back in time, k = T - t")
    ax.set_ylabel(r"$\|\partial h_T / \partial h_{T-k}\|$")
    if title:
        ax.set_title(title, loc="left", fontsize=10.5)
    ax.legend(frameon=False, fontsize=8.5, loc="center left", bbox_to_anchor=(1.0, 0.5))
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return finish(fig)


def tanh_saturation(scales, fractions, threshold=0.05):
    """Two panels: tanh and tanh' on the left; the saturated fraction against the weight scale on the right.

    Inputs:

    - scales: (K,) weight scales (the x axis of the right panel)
    - fractions: (K,) fraction of saturated hidden units at each scale, e.g.
      ``rnn_course.gradflow.saturation(h)`` of the states h (N, T, D) of a run
    - threshold: the derivative below which a unit counts as saturated; the
      band abs(a) > atanh(sqrt(1 - threshold)) is shaded on the left panel

    Returns the Figure.
    """
    scales, fractions = np.asarray(scales, dtype=float), np.asarray(fractions, dtype=float)
    if scales.ndim != 1 or scales.shape != fractions.shape or scales.size < 2:
        raise ValueError(f"tanh_saturation: scales {scales.shape} and fractions {fractions.shape} must be "
                         f"two (K,) arrays of the same length, K >= 2")
    if not 0 < threshold < 1:
        raise ValueError(f"tanh_saturation: threshold must be in (0, 1), got {threshold!r}")
    use_style()
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.4))
    a = np.linspace(-5, 5, 401)
    edge = float(np.arctanh(np.sqrt(1 - threshold)))
    left.axvspan(-5, -edge, color=COLORS["pad"], alpha=0.25, lw=0)
    left.axvspan(edge, 5, color=COLORS["pad"], alpha=0.25, lw=0, label=f"saturated: tanh' < {threshold:g}")
    left.plot(a, np.tanh(a), lw=2, color=COLORS["hidden"], label="tanh(a)")
    left.plot(a, 1 - np.tanh(a) ** 2, lw=2, color=COLORS["input"], label="tanh'(a) = 1 - tanh(a)$^2$")
    left.set_xlabel("pre-activation a")
    left.set_xlim(-5, 5)
    left.grid(alpha=0.3)
    left.legend(frameon=False, fontsize=8.5, loc="upper left")
    right.plot(scales, fractions, "-o", lw=2, ms=5, color=COLORS["accent"])
    right.set_xlabel("weight scale")
    right.set_ylabel("fraction of saturated values of h")
    right.set_ylim(-0.03, 1.03)
    right.grid(alpha=0.3)
    fig.tight_layout()
    return finish(fig)


def clipping_runs(histories, max_norm=None, smooth=5):
    """Training loss and gradient norm per step, for runs with and without clipping.

    Inputs:

    - histories: {label: History} from ``rnn_course.train.fit``; a run's
      ``grad_norms`` are the norms before clipping (run fit with
      ``clip=float("inf")`` to record them without clipping)
    - max_norm: the clipping threshold, drawn as a dashed line on the right
      panel: one number (one grey line), or {label: threshold} for the runs
      that were clipped (one line per run, in the run's colour)
    - smooth: moving-average width for the loss (1: raw)

    Every run is drawn (colours repeat after four) and named in the left
    panel's legend; the right panel's legend names the thresholds. Returns the Figure.
    """
    if not isinstance(histories, dict) or not histories:
        raise TypeError("clipping_runs: histories must be a dict {label: History}")
    if isinstance(max_norm, dict):
        unknown = set(max_norm) - set(histories)
        if unknown:
            raise ValueError(f"clipping_runs: max_norm has labels that are not runs: {sorted(unknown)}")
    use_style()
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.4))
    colors = [COLORS["accent"], COLORS["output"], COLORS["input"], COLORS["extra"]]
    for (label, h), color in zip(histories.items(), cycle(colors)):
        losses = np.asarray(h.losses, dtype=float)
        norms = np.asarray(h.grad_norms, dtype=float)
        if losses.size == 0:
            raise ValueError(f"clipping_runs: histories[{label!r}] has no steps")
        k = max(1, min(smooth, losses.size))
        left.plot(np.arange(k, losses.size + 1), np.convolve(losses, np.ones(k) / k, mode="valid"),
                  lw=2, color=color, label=label)
        if np.isfinite(norms).any():
            right.plot(np.arange(1, norms.size + 1), norms, lw=1.3, color=color)  # named in the left legend
        if isinstance(max_norm, dict) and label in max_norm:
            right.axhline(max_norm[label], color=color, ls="--", lw=1.2, label=f"max_norm = {max_norm[label]:g}")
    if max_norm is not None and not isinstance(max_norm, dict):
        right.axhline(max_norm, color="#868e96", ls="--", lw=1.2, label=f"max_norm = {max_norm:g}")
    left.set_xlabel("training step (batch)")
    left.set_ylabel("loss" + (f" (moving average of {smooth})" if smooth > 1 else ""))
    right.set_xlabel("training step (batch)")
    right.set_ylabel("global gradient norm (before clipping)")
    right.set_yscale("log")
    left.grid(alpha=0.3)
    left.legend(frameon=False, fontsize=8.5)
    right.grid(alpha=0.3)
    if right.get_legend_handles_labels()[0]:  # the thresholds, beside the panel: the norms fill it
        right.legend(frameon=False, fontsize=8.5, loc="center left", bbox_to_anchor=(1.0, 0.5))
    fig.tight_layout()
    return finish(fig)


def truncation(windows, errors, memory=None):
    """How far truncated BPTT is from full BPTT, against the window length k.

    Inputs:

    - windows: (K,) window lengths k
    - errors: {label: (K,) relative errors of dW_h (D, D) against full BPTT}, one
      curve per setting (e.g. per spectral radius)
    - memory: optional (K,) steps of activations held at once, drawn on a second axis

    Returns the Figure.
    """
    windows = np.asarray(windows, dtype=float)
    errors = _curves("truncation", errors)
    if any(v.shape != windows.shape for v in errors.values()):
        raise ValueError(f"truncation: every curve must have one value per window, K = {windows.size}")
    use_style()
    fig, ax = plt.subplots(figsize=(7.5, 3.4))
    for (label, values), color in zip(errors.items(), cycle(_LINE_COLORS)):
        shown = np.where(values > 0, values, np.nan)  # an exact 0 (k >= T) has no place on a log scale
        ax.plot(windows, shown, "-o", lw=2, ms=4, color=color, label=label)
    ax.set_yscale("log")
    ax.set_xlabel("window k (steps the gradient may travel back)")
    ax.set_ylabel(r"relative error of $\partial L/\partial W_h$")
    ax.grid(alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()
    if memory is not None:
        memory = np.asarray(memory, dtype=float)
        if memory.shape != windows.shape:
            raise ValueError(f"truncation: memory has shape {memory.shape}; expected ({windows.size},)")
        twin = ax.twinx()
        twin.plot(windows, memory, ls=":", lw=1.5, color="#495057", label="steps held in memory")
        twin.set_ylabel("steps held in memory")
        twin.set_ylim(0, memory.max() * 1.1)
        twin.spines["right"].set_visible(True)
        h2, l2 = twin.get_legend_handles_labels()
        handles, labels = handles + h2, labels + l2
    ax.legend(handles, labels, frameon=False, fontsize=8.5, loc="center right")
    fig.tight_layout()
    return finish(fig)
