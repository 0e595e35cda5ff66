"""Figures of chapter 2 (Feed-forward vs recurrent): the two networks side by
side, what a fixed window costs on a memory task, and shared weights."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Circle, FancyBboxPatch

from ._style import COLORS, box, finish, use_style

_GREY = "#495057"


def _arrow(ax, start, end, color=_GREY, lw=1.2, rad=0.0, style="-|>", mutation=9, shrink=0.0, zorder=1):
    ax.annotate("", xy=end, xytext=start, zorder=zorder,
                arrowprops=dict(arrowstyle=style, color=color, lw=lw, shrinkA=shrink, shrinkB=shrink,
                                mutation_scale=mutation, connectionstyle=f"arc3,rad={rad}"))


def _column(ax, x, n, color, r, labels=None, center=1.5, gap=0.72):
    """n nodes stacked at x around y = center; returns their (x, y) centres, top first."""
    ys = center + gap * (np.arange(n)[::-1] - (n - 1) / 2)
    for i, y in enumerate(ys):
        ax.add_patch(Circle((x, y), r, facecolor=color, edgecolor="white", lw=1.5, zorder=3))
        if labels is not None:
            ax.text(x, y, labels[i], ha="center", va="center", color="white", fontsize=10, zorder=4)
    return [(x, y) for y in ys]


def _connect(ax, left, right, r, color="#adb5bd"):
    for (x0, y0) in left:
        for (x1, y1) in right:
            v = np.array([x1 - x0, y1 - y0])
            u = v / np.linalg.norm(v)
            _arrow(ax, (x0 + r * u[0], y0 + r * u[1]), (x1 - r * u[0], y1 - r * u[1]), color=color, lw=0.9,
                   mutation=7)


def feedforward_vs_recurrent():
    """The source note's image 22, redrawn: a feed-forward network (left),
    where values flow one way, input layer -> hidden layer -> output layer, and
    a recurrent network (right), whose hidden layer (the cell) also sends its
    activated value back to itself, to be read again at the next time step."""
    use_style()
    fig, axes = plt.subplots(1, 2, figsize=(10.5, 4.4))
    r = 0.2
    xs = (0.0, 1.7, 3.4)
    for ax in axes:
        ax.set_xlim(-0.8, 4.2)
        ax.set_ylim(-1.05, 3.85)
        ax.set_aspect("equal")
        ax.axis("off")

    def side_labels(ax, x_label, y_label):
        ax.text(xs[0] - 0.38, 1.5, x_label, ha="right", va="center", fontsize=12, color=COLORS["input"])
        ax.text(xs[2] + 0.38, 1.5, y_label, ha="left", va="center", fontsize=12, color=COLORS["output"])

    # -- left: feed-forward ------------------------------------------------------
    ax = axes[0]
    ax.set_title("Feed-forward network", loc="left")
    inp = _column(ax, xs[0], 3, COLORS["input"], r)
    hid = _column(ax, xs[1], 4, COLORS["hidden"], r, ["$f$"] * 4)
    out = _column(ax, xs[2], 2, COLORS["output"], r)
    _connect(ax, inp, hid, r)
    _connect(ax, hid, out, r)
    side_labels(ax, "$x$", "$y$")
    for x, text in zip(xs, ("input layer", "hidden layer", "output layer")):
        ax.text(x, -0.2, text, ha="center", va="top", fontsize=9.5, color=COLORS["text"])
    _arrow(ax, (-0.2, -0.95), (3.6, -0.95), color=COLORS["accent"], lw=2, mutation=14)
    ax.text(1.7, -0.83, "one way only: every value moves forward, once", ha="center", va="bottom",
            fontsize=9, color=COLORS["accent"], style="italic")
    ax.text(1.7, 3.55, "$f$: an activation function, e.g. tanh", ha="center", fontsize=9, color=_GREY)

    # -- right: recurrent --------------------------------------------------------
    ax = axes[1]
    ax.set_title("Recurrent network (RNN)", loc="left")
    ax.add_patch(FancyBboxPatch((xs[1] - 0.42, 0.15), 0.84, 2.7, boxstyle="round,pad=0.02,rounding_size=0.2",
                                facecolor="#fff4e6", edgecolor=COLORS["hidden"], lw=1.8, zorder=0))
    inp = _column(ax, xs[0], 3, COLORS["input"], r)
    hid = _column(ax, xs[1], 4, COLORS["hidden"], r, ["$f$"] * 4)
    out = _column(ax, xs[2], 2, COLORS["output"], r)
    _connect(ax, inp, hid, r)
    _connect(ax, hid, out, r)
    side_labels(ax, "$x_t$", "$y_t$")
    # the loop: out of the top of the cell and back into it
    _arrow(ax, (xs[1] + 0.3, 2.9), (xs[1] - 0.3, 2.9), color=COLORS["hidden"], lw=2.4, rad=1.9, mutation=16,
           zorder=5)
    ax.text(xs[1] + 0.55, 3.4, "$h_t$ goes back into the cell:\nread again at step $t+1$", fontsize=9,
            color="#d9480f", va="center", ha="left")
    for x, text in zip(xs, ("input at step $t$", "hidden layer\n= the cell", "output at step $t$")):
        ax.text(x, -0.2, text, ha="center", va="top", fontsize=9.5, color=COLORS["text"])
    ax.text(1.7, -0.95, "one cell, run once per time step $t = 1, 2, \\ldots, T$", ha="center", va="center",
            fontsize=9, color="#d9480f", style="italic")
    fig.tight_layout(w_pad=2.5)
    return finish(fig)


def accuracy_by_distance(distances, curves, windows=(), train_max_len=None, chance=0.5):
    """Accuracy against how far back the signal is.

    Inputs:

    - distances: (K,) the distances in time, in steps, that were tested
    - curves: {label: (K,) accuracies}, one line per model, drawn in order
    - windows: window sizes w of the feed-forward models, in the order of
      their curves (the first window belongs to the first curve); a dotted
      line in that curve's colour marks the last distance each one can see, w - 1
    - train_max_len: if given, distances of train_max_len or more (the signal
      lies further back than the longest training sequence) are shaded
    - chance: the accuracy of guessing, drawn as a dashed line

    Every curve is drawn, whatever their number, and the y axis reaches down to
    the lowest accuracy. Returns the Figure.
    """
    use_style()
    distances = np.asarray(distances)
    if distances.ndim != 1 or distances.size == 0:
        raise ValueError(f"accuracy_by_distance: distances has shape {distances.shape}; expected (K,), K >= 1")
    curves = {label: np.asarray(acc, dtype=float) for label, acc in curves.items()}
    for label, acc in curves.items():
        if acc.shape != distances.shape:
            raise ValueError(f"accuracy_by_distance: curve {label!r} has shape {acc.shape}; expected (K,) = "
                             f"{distances.shape}, one accuracy per distance")
    if len(windows) > len(curves):
        raise ValueError(f"accuracy_by_distance: {len(windows)} windows for {len(curves)} curves")
    fig, ax = plt.subplots(figsize=(9, 3.9))
    lo, hi = distances.min() - 0.5, distances.max() + 0.5
    bottom = min([0.3] + [float(acc.min()) - 0.05 for acc in curves.values()])
    if train_max_len is not None:
        ax.axvspan(train_max_len - 0.5, hi, color=COLORS["light"], zorder=0)
        ax.text(train_max_len, bottom + 0.03, "further back than the longest\ntraining sequence", fontsize=8.5,
                color="#868e96", va="bottom")
    ax.axhline(chance, color="#868e96", lw=1, ls="--", zorder=1)
    ax.text(min(windows, default=lo) + 1.5, chance - 0.025, "chance: a coin flip", va="top", fontsize=8.5,
            color="#868e96")
    palette = [COLORS["input"], COLORS["extra"], COLORS["hidden"], COLORS["output"], COLORS["accent"]]
    shapes = ["s", "D", "o", "^", "v"]
    colors = [palette[i % len(palette)] for i in range(len(curves))]
    n = len(curves)
    # Where curves coincide (every model right), the later ones are drawn
    # wider and underneath, so each stays visible.
    for i, (label, acc) in enumerate(curves.items()):
        ax.plot(distances, acc, color=colors[i], marker=shapes[i % len(shapes)], ms=4 + 1.2 * min(i, 4),
                lw=1.8 + 1.6 * min(i, 4), label=label, zorder=3 + n - i, alpha=1.0 if i == 0 else 0.85)
    for w, color in zip(windows, colors):
        ax.axvline(w - 0.5, color=color, lw=1.2, ls=":", zorder=2)
        ax.text(w - 0.35, 1.035, f"window $w = {w}$ ends", fontsize=8.5, color=color, va="bottom")
    ax.set_xlim(lo, hi)
    ax.set_ylim(bottom, 1.1)
    ax.set_yticks([y / 10 for y in range(int(np.ceil(bottom * 10 + 1e-9)), 11)])
    ax.set_xlabel("distance in time: steps from the marker to the last token")
    ax.set_ylabel("test accuracy")
    ax.legend(loc="center right", frameon=True, framealpha=0.95, edgecolor="none", fontsize=9)
    fig.tight_layout()
    return finish(fig)


def shared_vs_separate_weights(T=4):
    """Where the weights are. Top: an MLP over T inputs has one block of
    weights per input position, so one more position needs new weights. Bottom:
    an RNN applies the same W_x, W_h (and b) at every step, so any length runs
    on the same parameters."""
    use_style()
    fig, ax = plt.subplots(figsize=(10, 5.2))
    step = 1.55
    ax.set_xlim(-1.3, step * (T + 1) + 1.1)
    ax.set_ylim(-0.3, 6.1)
    ax.axis("off")
    block_colors = ["#1c7ed6", "#7048e8", "#c92a2a", "#2f9e44", "#e8590c", "#0c8599"]

    # -- top: the MLP ---------------------------------------------------------------
    ax.text(-1.25, 5.85, f"MLP over $T = {T}$ inputs: a separate block of weights for every position",
            fontsize=11, fontweight="bold", va="center")
    hidden_y, in_y = 4.7, 3.3
    width = step * (T - 1) + 0.9
    box(ax, 0.0, hidden_y, width, 0.6, "hidden layer", COLORS["hidden"])
    for t in range(T):
        x = t * step
        color = block_colors[t % len(block_colors)]
        box(ax, x + 0.15, in_y, 0.6, 0.5, f"$x_{{{t + 1}}}$", COLORS["input"], fontsize=11)
        _arrow(ax, (x + 0.45, in_y + 0.5), (x + 0.45, hidden_y), color=color, lw=2.4, mutation=12)
        ax.text(x + 0.52, in_y + 0.87, f"$W^{{({t + 1})}}$", color=color, fontsize=11, va="center")
    # the position that does not exist
    x = T * step
    ax.add_patch(FancyBboxPatch((x + 0.15, in_y), 0.6, 0.5, boxstyle="round,pad=0.02,rounding_size=0.08",
                                facecolor="white", edgecolor=COLORS["pad"], ls="--", lw=1.3))
    ax.text(x + 0.45, in_y + 0.25, f"$x_{{{T + 1}}}$", ha="center", va="center", color=COLORS["pad"], fontsize=11)
    _arrow(ax, (x + 0.45, in_y + 0.5), (width - 0.05, hidden_y + 0.05), color=COLORS["pad"], lw=1.3, rad=0.25)
    ax.text(x + 0.75, in_y + 0.95, f"$W^{{({T + 1})}}$?", color=COLORS["pad"], fontsize=11, va="center")
    ax.text(x + 1.0, in_y + 0.25, "a longer input needs\nnew weights: the\nparameters grow with $T$",
            fontsize=9, color=COLORS["accent"], va="center")

    # -- bottom: the RNN ------------------------------------------------------------
    ax.text(-1.25, 2.45, f"RNN over $T = {T}$ steps: the same $W_x$ and $W_h$ at every step",
            fontsize=11, fontweight="bold", va="center")
    cell_y, x_y = 1.1, -0.2
    wx, wh = COLORS["input"], COLORS["hidden"]
    ax.text(-1.2, cell_y + 0.3, "$h_0$", fontsize=11, color=wh, va="center")
    _arrow(ax, (-0.85, cell_y + 0.3), (0.0, cell_y + 0.3), color=wh, lw=2.4, mutation=12)
    for t in range(T + 1):
        x = t * step
        extra = t == T
        face = "white" if extra else COLORS["hidden"]
        ax.add_patch(FancyBboxPatch((x, cell_y), 0.9, 0.6, boxstyle="round,pad=0.02,rounding_size=0.08",
                                    facecolor=face, edgecolor=COLORS["hidden"], ls="--" if extra else "-",
                                    lw=1.3))
        ax.text(x + 0.45, cell_y + 0.3, "cell", ha="center", va="center", fontsize=10,
                color=COLORS["hidden"] if extra else "white")
        ax.add_patch(FancyBboxPatch((x + 0.15, x_y), 0.6, 0.5, boxstyle="round,pad=0.02,rounding_size=0.08",
                                    facecolor="white" if extra else COLORS["input"],
                                    edgecolor=COLORS["input"], ls="--" if extra else "-", lw=1.3))
        ax.text(x + 0.45, x_y + 0.25, f"$x_{{{t + 1}}}$", ha="center", va="center", fontsize=11,
                color=COLORS["input"] if extra else "white")
        _arrow(ax, (x + 0.45, x_y + 0.5), (x + 0.45, cell_y), color=wx, lw=2.4, mutation=12)
        ax.text(x + 0.52, (x_y + 0.5 + cell_y) / 2, "$W_x$", color=wx, fontsize=11, va="center")
        if t < T:
            _arrow(ax, (x + 0.9, cell_y + 0.3), (x + step, cell_y + 0.3), color=wh, lw=2.4, mutation=12)
            ax.text(x + 0.9 + (step - 0.9) / 2, cell_y + 0.48, "$W_h$", color=wh, fontsize=11, ha="center",
                    va="bottom")
    ax.text(T * step + 1.05, cell_y + 0.3, "one more step reuses\nthe same weights:\nany length works",
            fontsize=9, color=COLORS["output"], va="center")
    return finish(fig)
