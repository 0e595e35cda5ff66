"""Figures of training runs: loss curves from ``fit``'s History, the
predictions of the topology chapter's models, and a memory task's accuracy
against the delay (``accuracy_vs_delay``)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator

from ._style import COLORS, finish, use_style


def loss_curves(histories, smooth=20, title=None, baseline=None):
    """Training loss per step, smoothed, for one or several runs.

    Inputs:

    - histories: a History from rnn_course.train.fit, or {label: History}
    - smooth: width of the moving average over steps (1: raw)
    - baseline: optional (label, value), drawn as a dashed line (e.g. a unigram loss)

    Per-epoch metrics, if the runs recorded any, are drawn on a second panel,
    one point per epoch at x = 1, 2, ... (at most 3 metrics). At most 5 runs;
    more raise ValueError rather than being dropped.
    """
    use_style()
    if not isinstance(histories, dict):
        histories = {"training loss": histories}
    if len(histories) > 5:
        raise ValueError(f"loss_curves: at most 5 runs fit one figure (one colour each), got {len(histories)}")
    metric_keys = sorted({k for h in histories.values() for e in h.epochs for k in e
                          if k not in ("epoch", "loss")})
    if len(metric_keys) > 3:
        raise ValueError(f"loss_curves: at most 3 per-epoch metrics fit the second panel (one line style "
                         f"each), got {len(metric_keys)}: {', '.join(metric_keys)}")
    panels = 2 if metric_keys else 1
    fig, axes = plt.subplots(1, panels, figsize=(4.6 * panels + 0.6, 3.2), squeeze=False)
    ax = axes[0, 0]
    colors = [COLORS["input"], COLORS["hidden"], COLORS["output"], COLORS["accent"], COLORS["extra"]]
    for (label, h), color in zip(histories.items(), colors):
        losses = np.asarray(h.losses, dtype=float)
        if losses.size == 0:
            continue
        k = max(1, min(smooth, losses.size))
        curve = np.convolve(losses, np.ones(k) / k, mode="valid")
        ax.plot(np.arange(k, losses.size + 1), curve, color=color, lw=2, label=label)
    if baseline is not None:
        ax.axhline(baseline[1], color="#868e96", ls="--", lw=1.2, label=baseline[0])
    ax.set_xlabel("training step (batch)")
    ax.set_ylabel("loss" + (f" (moving average of {smooth})" if smooth > 1 else ""))
    ax.grid(alpha=0.3)
    ax.legend(frameon=False, fontsize=8.5)
    if title:
        ax.set_title(title, loc="left", fontsize=10.5)
    if metric_keys:
        mx = axes[0, 1]
        for (label, h), color in zip(histories.items(), colors):
            for key, style in zip(metric_keys, ("-", "--", ":")):
                values = [e[key] for e in h.epochs if key in e]
                if values:
                    mx.plot(range(1, len(values) + 1), values, style, marker="o", ms=4, color=color,
                            label=f"{label}: {key}" if len(histories) > 1 else key)
        mx.set_xlabel("epoch")
        mx.xaxis.set_major_locator(MaxNLocator(integer=True))  # epochs are whole numbers
        mx.grid(alpha=0.3)
        mx.legend(frameon=False, fontsize=8.5)
    fig.tight_layout()
    return finish(fig)


# One colour per cell, the same in every figure that compares them.
CELL_COLORS = {"rnn": COLORS["accent"], "lstm": COLORS["input"], "gru": COLORS["output"]}
CELL_NAMES = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}


def accuracy_vs_delay(results, delays, chance=None, ax=None):
    """Test accuracy against the delay of a memory task, one line per cell.

    Inputs:

    - results: {cell: accuracies}, each (S, K) for S seeds and K delays (or
      (K,) for one seed), as ``rnn_course.tasks.memory.sweep`` returns
    - delays: the K delays (the x axis)
    - chance: the accuracy of guessing (1 / symbols), drawn as a dashed line; None: no line
    - ax: an Axes to draw on (the caller then owns its figure); None: a new figure

    The line is the mean over seeds; with several seeds each seed is a light
    dot and the band spans the lowest to the highest seed. Returns the Figure.
    """
    delays = np.asarray(delays, dtype=float)
    if delays.ndim != 1 or delays.size == 0:
        raise ValueError(f"accuracy_vs_delay: delays must be a non-empty 1-D list of K delays, got shape "
                         f"{delays.shape}")
    if not isinstance(results, dict) or not results:
        raise TypeError("accuracy_vs_delay: results must be a dict {cell: (S, K) accuracies}")
    use_style()
    own = ax is None
    if own:
        fig, ax = plt.subplots(figsize=(6.4, 3.4))
    palette = [COLORS["hidden"], COLORS["extra"], "#495057"]
    seeds = 1
    for i, (cell, acc) in enumerate(results.items()):
        acc = np.atleast_2d(np.asarray(acc, dtype=float))  # (S, K)
        if acc.shape[1] != delays.size:
            raise ValueError(f"accuracy_vs_delay: results[{cell!r}] has shape {acc.shape}; expected (S, K) "
                             f"with K = {delays.size} delays")
        color = CELL_COLORS.get(str(cell).lower(), palette[i % len(palette)])
        label = CELL_NAMES.get(str(cell).lower(), str(cell))
        S = acc.shape[0]
        if S > 1:
            ax.fill_between(delays, acc.min(axis=0), acc.max(axis=0), color=color, alpha=0.15, lw=0)
            ax.scatter(np.repeat(delays[None], S, axis=0).ravel(), acc.ravel(), s=14, color=color,
                       alpha=0.45, lw=0, zorder=2)
            seeds = S
        ax.plot(delays, acc.mean(axis=0), "-o", color=color, lw=2, ms=5, label=label, zorder=3)
    if chance is not None:
        ax.axhline(chance, color="#868e96", ls="--", lw=1.2, label=f"chance ({chance:.3g})")
    ax.set_xlabel("delay (steps between the symbol and the answer)")
    ax.set_ylabel("test accuracy" if seeds == 1 else f"test accuracy\n(line: mean of {seeds} seeds; dots: each)")
    ax.set_ylim(-0.03, 1.05)
    ax.set_xticks(delays)
    ax.grid(alpha=0.3)
    # Below the axes: inside, it would cover a line or the chance level.
    ax.legend(frameon=False, fontsize=8.5, loc="upper center", bbox_to_anchor=(0.5, -0.2),
              ncol=min(4, len(results) + (chance is not None)))
    if own:
        fig.tight_layout()
        return finish(fig)
    return ax.figure
