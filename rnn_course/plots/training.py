"""Figures of training runs: loss curves from ``fit``'s History, and the
predictions of the topology chapter's models."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ._style import COLORS, finish, use_style


def loss_curves(histories, smooth=20, title=None, baseline=None):
    """Training loss per step, smoothed, for one or several runs.

    Inputs:
    - histories: a History from rnn_course.train.fit, or {label: History}
    - smooth: width of the moving average over steps (1: raw)
    - baseline: optional (label, value), drawn as a dashed line (e.g. a unigram loss)

    Per-epoch metrics, if the runs recorded any, are drawn on a second panel.
    """
    use_style()
    if not isinstance(histories, dict):
        histories = {"training loss": histories}
    metric_keys = sorted({k for h in histories.values() for e in h.epochs for k in e
                          if k not in ("epoch", "loss")})
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
        mx.grid(alpha=0.3)
        mx.legend(frameon=False, fontsize=8.5)
    fig.tight_layout()
    return finish(fig)
