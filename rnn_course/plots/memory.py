"""Figures of chapter 3 (Memory cells and the hidden state): the unrolled
RNN, a hidden state evolving over a sentence, how far one input's
influence travels, and one hidden unit's state around a marker token."""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.lines import Line2D
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


def unit_around_marker(panels, marker_steps, ylabel=None):
    """One hidden unit's state over time for a few sequences, one panel per network.

    Inputs:

    - panels: {title: (N, T) array}, for each network (e.g. untrained and
      trained) the state h_t of one of its units for the same N sequences at
      the steps t = 1 ... T, one panel each, drawn left to right in order;
      tanh states, in [-1, 1]
    - marker_steps: (N,) for each sequence the time step t in 1 ... T at which
      it reads the marker, or 0 for a sequence without the marker
    - ylabel: the label of the first panel's y axis; None: "state of the unit" with h_t in math

    Each sequence is one line, in the same colour in every panel: sequences
    with the marker solid, without it dashed and grey. A dot on each solid
    line marks the unit's state at the step that read the marker. The y axes
    run from -1 to 1 in every panel. The legend shows the marked line and its
    dot in a neutral dark colour, as they stand for every marked sequence.

    Returns the Figure. Raises ValueError, naming the argument, when the
    panels are not (N, T) arrays of one shape with values in [-1, 1], or
    marker_steps is not (N,) integers in 0 ... T.
    """
    fn = "unit_around_marker"
    if not isinstance(panels, dict) or not panels:
        raise ValueError(f"{fn}: panels must be a non-empty dict {{title: (N, T) states}}")
    panels = {title: np.asarray(h, dtype=float) for title, h in panels.items()}
    shapes = {h.shape for h in panels.values()}
    if len(shapes) != 1 or len(next(iter(shapes))) != 2:
        raise ValueError(f"{fn}: every panel must be an (N, T) array of one shape; got shapes {sorted(shapes)}")
    (N, T), = shapes
    if any(np.any(~np.isfinite(h)) or np.any(np.abs(h) > 1) for h in panels.values()):
        raise ValueError(f"{fn}: the states must be finite and lie in [-1, 1] (tanh states), the y axis's range")
    marker_steps = np.asarray(marker_steps)
    if marker_steps.shape != (N,) or marker_steps.dtype.kind not in "iu":
        raise ValueError(f"{fn}: marker_steps has shape {marker_steps.shape} and dtype {marker_steps.dtype}; "
                         f"expected (N,) = ({N},) integers, one time step per sequence")
    if np.any((marker_steps < 0) | (marker_steps > T)):
        raise ValueError(f"{fn}: marker_steps must lie in 1 ... T = {T}, or be 0 for a sequence without the "
                         f"marker; got {marker_steps.tolist()}")
    use_style()
    marked_colors = [COLORS["accent"], COLORS["input"], COLORS["hidden"], COLORS["extra"], COLORS["output"]]
    fig, axes = plt.subplots(1, len(panels), figsize=(4.6 * len(panels) + 0.6, 3.4), sharey=True, squeeze=False)
    axes = axes[0]
    t = np.arange(1, T + 1)
    for ax, (title, h) in zip(axes, panels.items()):
        k = 0
        for i in range(N):
            if marker_steps[i]:
                color = marked_colors[k % len(marked_colors)]
                k += 1
                ax.plot(t, h[i], color=color, lw=1.8, label="with the marker" if k == 1 else "_nolegend_")
                ax.plot([marker_steps[i]], [h[i, marker_steps[i] - 1]], "o", ms=7, color=color, mec="white",
                        mew=1.2, zorder=3, label="step that reads the marker" if k == 1 else "_nolegend_")
            else:
                first = not np.any(marker_steps[:i] == 0)
                ax.plot(t, h[i], color="#868e96", lw=1.4, ls="--",
                        label="without the marker" if first else "_nolegend_")
        ax.axhline(0, color="#ced4da", lw=0.8, zorder=0)
        ax.set_title(title, loc="left", fontsize=10.5)
        ax.set_xlabel("time step t")
        ax.set_xlim(0.5, T + 0.5)
        ax.set_ylim(-1.05, 1.05)
    axes[0].set_ylabel("state of the unit, $h_t$" if ylabel is None else ylabel)
    handles, labels = axes[0].get_legend_handles_labels()
    # Each marked sequence has its own colour, so the legend draws its line and dot in a neutral dark colour
    # rather than in the first sequence's, which would leave the other marked lines without a key.
    neutral = {"with the marker": Line2D([], [], color=COLORS["text"], lw=1.8),
               "step that reads the marker": Line2D([], [], ls="", marker="o", ms=7, color=COLORS["text"],
                                                    mec="white", mew=1.2)}
    handles = [neutral.get(label, handle) for handle, label in zip(handles, labels)]
    legend_order = ["with the marker", "step that reads the marker", "without the marker"]
    order = sorted(range(len(labels)), key=lambda j: legend_order.index(labels[j]))
    fig.legend([handles[j] for j in order], [labels[j] for j in order], loc="lower center", ncol=len(labels),
               frameon=False, fontsize=9)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    return finish(fig)
