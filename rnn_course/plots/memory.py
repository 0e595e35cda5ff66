"""Figures of chapter 3 (Memory cells and the hidden state): the unrolled
RNN, a hidden state evolving over a sentence, and how far one input's
influence travels."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ._style import COLORS, box, finish, use_style


def _arrow(ax, start, end, color="#495057", lw=1.6, style="-|>", rad=0.0):
    ax.annotate("", xy=end, xytext=start,
                arrowprops=dict(arrowstyle=style, color=color, lw=lw, shrinkA=0, shrinkB=0,
                                connectionstyle=f"arc3,rad={rad}"))


def unrolled_rnn(T=4):
    """The note's image 23, redrawn: one memory cell with its loop (left) is
    the same network as the chain of T copies unrolled over time (right)."""
    use_style()
    fig, ax = plt.subplots(figsize=(10, 3.6))
    ax.set_xlim(-0.3, 3.2 + 1.7 * T)
    ax.set_ylim(-0.25, 3.55)
    ax.axis("off")

    def cell(x, label_x, label_h, label_y, first=False):
        box(ax, x, 1.25, 1.0, 0.8, "RNN\ncell", COLORS["hidden"], fontsize=10)
        box(ax, x + 0.2, 0.0, 0.6, 0.5, label_x, COLORS["input"], fontsize=11)
        box(ax, x + 0.2, 2.8, 0.6, 0.5, label_y, COLORS["output"], fontsize=11)
        _arrow(ax, (x + 0.5, 0.5), (x + 0.5, 1.25))
        _arrow(ax, (x + 0.5, 2.05), (x + 0.5, 2.8))
        ax.text(x + 0.56, 2.42, label_h, fontsize=10.5, color=COLORS["hidden"], va="center")

    # folded: one cell with a loop back to itself
    cell(0.0, "$x_t$", "$h_t$", "$y_t$")
    _arrow(ax, (1.0, 1.85), (1.0, 1.45), color=COLORS["hidden"], lw=2.0, rad=-1.6)
    ax.text(1.42, 1.65, "$h_{t-1}$", fontsize=10, color=COLORS["hidden"], va="center")
    ax.text(2.1, 1.65, "=", fontsize=22, va="center", ha="center", color="#495057")

    # unrolled over T steps
    x0 = 2.6
    _arrow(ax, (x0 - 0.05, 1.65), (x0 + 0.5, 1.65), color=COLORS["hidden"], lw=2.0)
    ax.text(x0 - 0.1, 1.95, "$h_0$", fontsize=10, color=COLORS["hidden"])
    for t in range(1, T + 1):
        x = x0 + 0.5 + (t - 1) * 1.7
        last = t == T
        lbl = str(t) if not last else "T"
        cell(x, f"$x_{{{lbl}}}$", f"$h_{{{lbl}}}$", f"$y_{{{lbl}}}$")
        if not last:
            gap = t == T - 1 and T > 3  # the steps between t = T-1 and T are left out
            ax.annotate("", xy=(x + 1.7, 1.65), xytext=(x + 1.0, 1.65),
                        arrowprops=dict(arrowstyle="-|>", color=COLORS["hidden"], lw=2.0,
                                        linestyle="--" if gap else "-", shrinkA=0, shrinkB=0))
            ax.text(x + 1.06, 1.8, "$\\cdots$" if gap else f"$h_{{{t}}}$", fontsize=9.5,
                    color=COLORS["hidden"])
    ax.text(x0 + 0.5 + 1.7 * (T - 1) / 2 + 0.5, -0.22,
            "the same weights $W_x$, $W_h$, $b$ at every time step", ha="center", fontsize=9.5,
            color="#495057", style="italic")
    return finish(fig)


def hidden_state_heatmap(tokens, h, title=None):
    """A hidden state evolving over a sentence: h (T, D), one column per token.

    Inputs:

    - tokens: the T tokens read (strings)
    - h: (T, D) the hidden state after each of them, e.g. ``h[0]`` of an
      (N, T, D) batch from ``rnn_forward``
    - title: optional title

    h must lie in [-1, 1] (a tanh state), the range of the colour scale.
    Every unit is a row of the image; the y axis labels every unit when D <= 16
    and every (D // 8)-th unit beyond that.

    Returns the Figure.
    """
    use_style()
    h = np.asarray(h)
    if h.ndim != 2:
        raise ValueError(f"hidden_state_heatmap: h has shape {h.shape}; expected (T, D)")
    T, D = h.shape
    if len(tokens) != T:
        raise ValueError(f"hidden_state_heatmap: {len(tokens)} tokens for T = {T} states; expected one per step")
    if np.any(np.abs(h) > 1):
        raise ValueError("hidden_state_heatmap: h has values outside [-1, 1]; the colour scale is a tanh "
                         "state's and would clip them")
    fig, ax = plt.subplots(figsize=(min(11, 1.2 + 0.62 * T), 0.6 + 0.19 * D + 0.9))
    im = ax.imshow(h.T, cmap="RdBu_r", vmin=-1, vmax=1, aspect="auto", interpolation="nearest")
    ax.set_xticks(range(T), [f"{t}: {tok}" for t, tok in enumerate(tokens, start=1)], rotation=40, ha="right")
    ax.set_yticks(range(0, D, 1 if D <= 16 else D // 8))
    ax.set_ylabel("hidden unit (D = %d)" % D)
    ax.set_xlabel("time step t: the token just read")
    if title:
        ax.set_title(title, loc="left", fontsize=10.5)
    for side in ("top", "right", "left", "bottom"):
        ax.spines[side].set_visible(False)
    cb = fig.colorbar(im, ax=ax, fraction=0.025, pad=0.02)
    cb.set_label("$h_t$ value (tanh: -1 to 1)")
    fig.tight_layout()
    return finish(fig)


def influence_over_time(curves, tokens=None):
    """How far a change in the first input travels: ||h_t - h'_t|| against t.

    Inputs:

    - curves: {label: (T,) array of distances ||h_t - h'_t||, one per step},
      all of the same length T and positive (the y axis is logarithmic)
    - tokens: optional T x tick labels

    Every curve is drawn, whatever their number. Returns the Figure.
    """
    use_style()
    curves = {label: np.asarray(values, dtype=float) for label, values in curves.items()}
    lengths = {v.shape for v in curves.values()}
    if not curves or len(lengths) != 1 or len(next(iter(lengths))) != 1:
        raise ValueError(f"influence_over_time: curves must be (T,) arrays of one length; got shapes {lengths}")
    (T,), = lengths
    if tokens is not None and len(tokens) != T:
        raise ValueError(f"influence_over_time: {len(tokens)} tokens for curves of T = {T} steps")
    if any(np.any(~(np.isfinite(v) & (v > 0))) for v in curves.values()):
        raise ValueError("influence_over_time: every distance must be positive and finite to show on a log "
                         "scale; a zero would silently vanish from the plot")
    fig, ax = plt.subplots(figsize=(8, 3.3))
    palette = [COLORS["hidden"], COLORS["input"], COLORS["accent"], COLORS["extra"], COLORS["output"]]
    for i, (label, values) in enumerate(curves.items()):
        ax.plot(np.arange(1, T + 1), values, marker="o", ms=4, lw=2, label=label,
                color=palette[i % len(palette)], ls="-" if i < len(palette) else "--")
    ax.set_yscale("log")
    ax.set_xlabel("time step t")
    ax.set_ylabel(r"$\|h_t - h'_t\|$")
    if tokens is not None:
        ax.set_xticks(np.arange(1, T + 1), [f"{t}: {tok}" for t, tok in enumerate(tokens, start=1)],
                      rotation=40, ha="right")
        ax.set_xlabel("time step t: the token just read")
    ax.legend(frameon=False, fontsize=9)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return finish(fig)
