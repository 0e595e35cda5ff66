"""Figures of chapter 6 (Deep and bidirectional RNNs): a stack of recurrent
layers unrolled over time, a bidirectional layer, and where a stacked
bidirectional RNN's states land in ``output`` and ``h_n``."""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.patches import Rectangle

from ._style import COLORS, box, finish, use_style


def _arrow(ax, start, end, color="#495057", lw=1.5, dashed=False, behind=False):
    ax.annotate("", xy=end, xytext=start, zorder=0.5 if behind else 3,
                arrowprops=dict(arrowstyle="-|>", color=color, lw=lw, shrinkA=0, shrinkB=0,
                                linestyle="--" if dashed else "-"))


def stacked_rnn(num_layers=2, T=4):
    """A deep (stacked) RNN unrolled over time: layer k's hidden states are
    layer k+1's inputs; each layer carries its own state along time."""
    use_style()
    fig, ax = plt.subplots(figsize=(9, 1.3 + 1.2 * num_layers))
    ax.axis("off")
    dx, dy = 1.8, 1.35
    layer_colors = [COLORS["hidden"], COLORS["extra"], COLORS["accent"], COLORS["output"]]
    ax.set_xlim(-1.3, dx * T + 0.2)
    ax.set_ylim(-0.2, dy * num_layers + 1.35)
    for t in range(T):
        x = t * dx
        box(ax, x + 0.2, 0.0, 0.6, 0.45, f"$x_{{{t + 1}}}$", COLORS["input"], fontsize=10.5)
        _arrow(ax, (x + 0.5, 0.45), (x + 0.5, dy - 0.05))
        for k in range(num_layers):
            y = dy * (k + 1)
            color = layer_colors[k % len(layer_colors)]
            box(ax, x, y - 0.05, 1.0, 0.6, f"$h^{{({k + 1})}}_{{{t + 1}}}$", color, fontsize=10.5)
            if k + 1 < num_layers:
                _arrow(ax, (x + 0.5, y + 0.55), (x + 0.5, y + dy - 0.05))
            if t + 1 < T:
                _arrow(ax, (x + 1.0, y + 0.25), (x + dx, y + 0.25), color=color, lw=2)
        top = dy * num_layers + 0.55
        _arrow(ax, (x + 0.5, top), (x + 0.5, top + 0.45), color=COLORS["output"])
    for k in range(num_layers):
        ax.text(-1.25, dy * (k + 1) + 0.25, f"layer {k + 1}\n$W^{{({k + 1})}}_x, W^{{({k + 1})}}_h$",
                va="center", fontsize=9, color="#495057")
    ax.text(-1.25, 0.22, "input", va="center", fontsize=9, color="#495057")
    ax.text(dx * T / 2, dy * num_layers + 1.1, "output = the top layer's states", ha="center",
            fontsize=9, color="#495057", style="italic")
    return finish(fig)


def bidirectional_rnn(T=4):
    """A bidirectional layer: a forward RNN reads x_1 ... x_T, a backward RNN
    reads x_T ... x_1, and each step's two states are concatenated."""
    use_style()
    fig, ax = plt.subplots(figsize=(9, 3.8))
    ax.axis("off")
    dx = 1.8
    ax.set_xlim(-1.5, dx * T + 0.2)
    ax.set_ylim(-0.3, 3.9)
    for t in range(T):
        x = t * dx
        box(ax, x + 0.2, 0.0, 0.6, 0.45, f"$x_{{{t + 1}}}$", COLORS["input"], fontsize=10.5)
        box(ax, x, 0.95, 1.0, 0.55, rf"$\overrightarrow{{h}}_{{{t + 1}}}$", COLORS["hidden"], fontsize=11)
        box(ax, x, 1.95, 1.0, 0.55, rf"$\overleftarrow{{h}}_{{{t + 1}}}$", COLORS["extra"], fontsize=11)
        box(ax, x + 0.05, 3.05, 0.9, 0.55, "concat", COLORS["output"], fontsize=9.5)
        _arrow(ax, (x + 0.3, 0.45), (x + 0.3, 0.9))
        ax.annotate("", xy=(x + 0.75, 1.9), xytext=(x + 0.75, 0.45), zorder=0.5,
                    arrowprops=dict(arrowstyle="-|>", color="#868e96", lw=1.2, shrinkA=0, shrinkB=0,
                                    connectionstyle="arc3,rad=-0.25"))
        _arrow(ax, (x + 0.3, 1.5), (x + 0.3, 3.0), color=COLORS["hidden"], lw=1.2, behind=True)
        _arrow(ax, (x + 0.7, 2.5), (x + 0.7, 3.0), color=COLORS["extra"], lw=1.2)
        if t + 1 < T:
            _arrow(ax, (x + 1.0, 1.22), (x + dx, 1.22), color=COLORS["hidden"], lw=2)
            _arrow(ax, (x + dx, 2.22), (x + 1.0, 2.22), color=COLORS["extra"], lw=2)
    ax.text(-1.45, 1.22, "forward\nreads $x_1 \\to x_T$", va="center", fontsize=9, color=COLORS["hidden"])
    ax.text(-1.45, 2.22, "backward\nreads $x_T \\to x_1$", va="center", fontsize=9, color=COLORS["extra"])
    ax.text(-1.45, 3.32, "output $(N, T, 2D)$", va="center", fontsize=9, color=COLORS["output"])
    return finish(fig)


def bidirectional_states(num_layers=2, T=4):
    """Where the states of a stacked bidirectional RNN land: ``output`` and ``h_n``.

    Each layer is a panel of two rows, the forward states (reading left to
    right) under the backward ones (reading right to left); layer k+1 reads
    layer k's two states at the same step. The top row is ``output`` (N, T, 2D):
    at every step the top layer's forward and backward states, concatenated.
    The outlined boxes are ``h_n`` (L*2, N, D), each tagged with its index
    ``layer * 2 + direction`` (PyTorch's order, ``h_n.view(L, 2, N, D)``): a
    forward direction's state at the last step, after x_T, and a backward
    direction's state at the first step, after x_1, which it reaches last.

    Inputs: num_layers, the number of layers L (at least 1); T, the number of
    steps drawn (at least 1). Raises ValueError for anything else.
    Returns the matplotlib Figure.
    """
    for name, value in (("num_layers", num_layers), ("T", T)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"bidirectional_states: {name} must be a whole number of at least 1, got {value!r}")
    use_style()
    L = num_layers
    dx, w, h = 1.8, 1.1, 0.55          # step spacing, box width and height
    panel_h, gap = 1.45, 0.5           # a layer's panel (two rows) and the space between panels
    base = [0.95 + k * (panel_h + gap) for k in range(L)]   # bottom of each layer's panel
    y_out = base[-1] + panel_h + gap
    x_right = (T - 1) * dx + w
    fig, ax = plt.subplots(figsize=(max(6.0, x_right + 3.5), 1.6 + 1.15 * L))   # about an inch per unit
    ax.axis("off")
    ax.set_xlim(-2.5, x_right + 1.0)
    ax.set_ylim(-0.15, y_out + h + 0.15)
    hn_edge = dict(edgecolor=COLORS["accent"], linewidth=2.5)
    for k in range(L):
        ax.add_patch(Rectangle((-0.2, base[k]), x_right + 0.4, panel_h, facecolor=COLORS["light"],
                               edgecolor="none", zorder=0))
        y_f, y_b = base[k] + 0.12, base[k] + 0.12 + h + 0.21   # forward row, backward row
        for t in range(T):
            x = t * dx
            box(ax, x, y_f, w, h, rf"$\overrightarrow{{h}}{{}}^{{({k + 1})}}_{{{t + 1}}}$", COLORS["hidden"],
                fontsize=10.5)
            if t == T - 1:          # the forward direction's last state: h_n[2k]
                ax.patches[-1].set(**hn_edge)
                ax.text(x + w + 0.08, y_f + h / 2, f"h_n[{2 * k}]", ha="left", va="center", fontsize=9,
                        color=COLORS["accent"], family="monospace")
            box(ax, x, y_b, w, h, rf"$\overleftarrow{{h}}{{}}^{{({k + 1})}}_{{{t + 1}}}$", COLORS["extra"],
                fontsize=10.5)
            if t == 0:              # the backward direction's last state, after x_1: h_n[2k + 1]
                ax.patches[-1].set(**hn_edge)
                ax.text(x - 0.08, y_b + h / 2, f"h_n[{2 * k + 1}]", ha="right", va="center", fontsize=9,
                        color=COLORS["accent"], family="monospace")
            if t + 1 < T:
                _arrow(ax, (x + w, y_f + h / 2), (x + dx, y_f + h / 2), color=COLORS["hidden"], lw=2)
                _arrow(ax, (x + dx, y_b + h / 2), (x + w, y_b + h / 2), color=COLORS["extra"], lw=2)
            top = base[k] + panel_h
            _arrow(ax, (x + w / 2, top), (x + w / 2, (base[k + 1] if k + 1 < L else y_out) - 0.02))
        ax.text(-2.45, y_f + h / 2, f"layer {k + 1} forward", va="center", fontsize=9, color=COLORS["hidden"])
        ax.text(-2.45, y_b + h / 2, f"layer {k + 1} backward", va="center", fontsize=9, color=COLORS["extra"])
    for t in range(T):
        x = t * dx
        box(ax, x + 0.25, 0.0, w - 0.5, 0.45, f"$x_{{{t + 1}}}$", COLORS["input"], fontsize=10.5)
        _arrow(ax, (x + w / 2, 0.45), (x + w / 2, base[0] - 0.02))
        box(ax, x, y_out, w, h, f"output[:, {t}]", COLORS["output"], fontsize=8.5, family="monospace")
    ax.text(-2.45, 0.22, "input", va="center", fontsize=9, color="#495057")
    ax.text(-2.45, y_out + h / 2, "output $(N, T, 2D)$", va="center", fontsize=9, color=COLORS["output"])
    return finish(fig)
