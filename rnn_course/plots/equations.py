"""Figures of chapter 4 (The math of an RNN): the shapes in the cell's
equation, the note's d = D = 4 example with its actual numbers, and gradient
norms flowing back through time."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

from ._style import COLORS, finish, use_style


def _matrix(ax, x, y, rows, cols, color, label, cell=0.32, values=None, fmt="{:.1f}"):
    """Draw a rows x cols grid with its top-left corner at (x, y); returns its right edge."""
    for i in range(rows):
        for j in range(cols):
            ax.add_patch(Rectangle((x + j * cell, y - (i + 1) * cell), cell, cell, facecolor=color,
                                   edgecolor="white", lw=1.2, alpha=0.9))
            if values is not None:
                ax.text(x + (j + 0.5) * cell, y - (i + 0.5) * cell, fmt.format(values[i][j]), ha="center",
                        va="center", fontsize=7.5, color="white", family="monospace")
    ax.text(x + cols * cell / 2, y + 0.12, label, ha="center", va="bottom", fontsize=10.5)
    return x + cols * cell


def _op(ax, x, y, text):
    ax.text(x, y, text, ha="center", va="center", fontsize=16, color="#495057")


def shapes(d=3, D=5):
    """The note's image 28, redrawn: every shape in h_t = f(W_x x_t + W_h h_{t-1} + b).

    Inputs: d: input size, D: hidden size (different, so the picture shows
    which is which).

    Draws one sequence's column vectors at one step: W_x (D, d), x_t (d,),
    W_h (D, D), h_{t-1} (D,), b (D,) and h_t (D,), each labelled with its
    shape. Returns the Figure.
    """
    use_style()
    fig, ax = plt.subplots(figsize=(10, 3.0))
    ax.axis("off")
    top, c = 2.2, 0.32
    mid = top - D * c / 2
    x = 0.0
    x = _matrix(ax, x, top, D, d, COLORS["input"], f"$W_x$\n$(D, d) = ({D}, {d})$")
    x = _matrix(ax, x + 0.15, top - (D - d) * c / 2, d, 1, COLORS["input"], f"$x_t$\n$({d},)$") + 0.35
    _op(ax, x, mid, "+")
    x = _matrix(ax, x + 0.35, top, D, D, COLORS["hidden"], f"$W_h$\n$(D, D) = ({D}, {D})$")
    x = _matrix(ax, x + 0.15, top, D, 1, COLORS["hidden"], "$h_{t-1}$\n" + f"$({D},)$") + 0.35
    _op(ax, x, mid, "+")
    x = _matrix(ax, x + 0.35, top, D, 1, COLORS["extra"], f"$b$\n$({D},)$") + 0.55
    _op(ax, x, mid, r"$\rightarrow$")
    ax.text(x + 0.55, mid, "$f$", fontsize=14, ha="center", va="center")
    x = _matrix(ax, x + 1.0, top, D, 1, COLORS["output"], f"$h_t$\n$({D},)$")
    ax.set_xlim(-0.2, x + 0.3)
    ax.set_ylim(top - D * c - 0.25, top + 0.75)
    ax.set_aspect("equal")
    return finish(fig)


def worked_example(Wx, x_t, Wh, h_prev, b, nonlinearity="tanh"):
    """The note's image 29, redrawn with its actual numbers (batch 1, d = D = 4):
    W_x x_t + W_h h_{t-1} + b = a, then h_t = f(a), every entry printed.

    Inputs:

    - Wx: (D, d) input-to-hidden weights
    - x_t: (d,) the input (or (1, d), a batch of one)
    - Wh: (D, D) hidden-to-hidden weights
    - h_prev: (D,) the previous hidden state (or (1, D))
    - b: (D,) bias
    - nonlinearity: "tanh" or "relu", the f that turns a into h_t

    Returns the Figure; the note's numbers fit with d = D = 4, larger sizes get crowded.
    """
    use_style()
    Wx, Wh = np.asarray(Wx), np.asarray(Wh)
    x_t, h_prev, b = (np.asarray(v).reshape(-1) for v in (x_t, h_prev, b))
    a = Wx @ x_t + Wh @ h_prev + b
    h = np.tanh(a) if nonlinearity == "tanh" else np.maximum(a, 0)
    D, d = Wx.shape
    col = lambda v: [[u] for u in v]  # noqa: E731
    fig, ax = plt.subplots(figsize=(11, 2.7))
    ax.axis("off")
    c, top = 0.42, 2.0
    mid = top - D * c / 2
    x = _matrix(ax, 0.0, top, D, d, COLORS["input"], "$W_x$", cell=c, values=Wx)
    x = _matrix(ax, x + 0.12, top, d, 1, COLORS["input"], "$x_t$", cell=c, values=col(x_t)) + 0.3
    _op(ax, x, mid, "+")
    x = _matrix(ax, x + 0.3, top, D, D, COLORS["hidden"], "$W_h$", cell=c, values=Wh)
    x = _matrix(ax, x + 0.12, top, D, 1, COLORS["hidden"], "$h_{t-1}$", cell=c, values=col(h_prev)) + 0.3
    _op(ax, x, mid, "+")
    x = _matrix(ax, x + 0.3, top, D, 1, COLORS["extra"], "$b$", cell=c, values=col(b)) + 0.3
    _op(ax, x, mid, "=")
    wide = 1.3 * c  # room for "-0.291"
    x = _matrix(ax, x + 0.3, top - D * (wide - c) / 2, D, 1, "#868e96", "$a$", cell=wide, values=col(a),
                fmt="{:.2f}") + 0.5
    _op(ax, x, mid, r"$\rightarrow$")
    ax.text(x + 0.05, mid + 0.35, nonlinearity, fontsize=10, ha="center")
    x = _matrix(ax, x + 0.5, top - D * (wide - c) / 2, D, 1, COLORS["output"], "$h_t$", cell=wide,
                values=col(h), fmt="{:.3f}")
    ax.set_xlim(-0.2, x + 0.3)
    ax.set_ylim(top - D * c - 0.2, top + 0.55)
    ax.set_aspect("equal")
    return finish(fig)


def gradient_norms(curves, title=None):
    """||dh_T/dh_t|| (or any per-step norm) against the distance T - t, log scale.

    Inputs:

    - curves: {label: (K,) norms at distances 0 ... K-1}, e.g. (T+1,) for
      the distances 0 ... T of a sequence of T steps, as
      ``rnn_course.gradflow.jacobian_norms`` returns
    - title: optional title

    Returns the Figure.
    """
    use_style()
    fig, ax = plt.subplots(figsize=(8, 3.4))
    colors = [COLORS["input"], COLORS["hidden"], COLORS["accent"], COLORS["extra"], COLORS["output"]]
    for (label, values), color in zip(curves.items(), colors):
        values = np.asarray(values, dtype=float)
        ax.plot(np.arange(len(values)), values, lw=2, label=label, color=color)
    ax.set_yscale("log")
    ax.set_xlabel("distance in time, T - t")
    ax.set_ylabel(r"$\|\partial h_T / \partial h_t\|$")
    if title:
        ax.set_title(title, loc="left", fontsize=10.5)
    ax.legend(frameon=False, fontsize=9)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return finish(fig)
