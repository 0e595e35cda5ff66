"""Figures of chapter 8 (Gated memory cells: LSTM and GRU): the LSTM cell and
the GRU cell drawn gate by gate, in PyTorch's form; how their weights are
stacked in ``weight_ih_l0`` and ``weight_hh_l0``; and gradient norms along a
cell's memory path compared with a plain RNN's; and test accuracy on the
memory task against the delay, one panel per cell, one line per initialisation.

Notation: d input size, D hidden size. Colours follow the book's palette:
inputs blue, hidden state orange, cell state purple, sigmoid gates red.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Circle, FancyBboxPatch, Rectangle

from ._style import COLORS, box, finish, use_style

_GREY = "#495057"
_SIGMOID = COLORS["accent"]
_TANH = COLORS["output"]
_CELL = COLORS["extra"]
_KEEP = "#0b7285"  # the gate that decides what is kept: the LSTM's f, the GRU's z
_R = 0.19  # radius of a pointwise-operation circle

# Gate order and names of PyTorch's stacked weights (rnn_course.lstm, rnn_course.gru).
GATES = {
    "lstm": (("i", "input gate", _SIGMOID), ("f", "forget gate", _KEEP),
             ("g", "candidate", _TANH), ("o", "output gate", COLORS["input"])),
    "gru": (("r", "reset gate", _SIGMOID), ("z", "update gate", _KEEP),
            ("n", "candidate", _TANH)),
}


def _line(ax, points, color=_GREY, lw=1.8, arrow=True):
    """A polyline through `points`, with an arrow head at its last point."""
    xs, ys = zip(*points)
    if len(points) > 2:
        ax.plot(xs[:-1], ys[:-1], color=color, lw=lw, solid_capstyle="round", zorder=1)
    ax.annotate("", xy=points[-1], xytext=points[-2], zorder=1,
                arrowprops=dict(arrowstyle="-|>" if arrow else "-", color=color, lw=lw, shrinkA=0, shrinkB=0))


def _op(ax, x, y, text, color=_GREY):
    """A pointwise operation: a white circle with x, + or 1- in it."""
    ax.add_patch(Circle((x, y), _R, facecolor="white", edgecolor=color, lw=1.6, zorder=3))
    ax.text(x, y, text, ha="center", va="center", fontsize=11 if len(text) == 1 else 9, color=color,
            zorder=4, fontweight="bold")


def _gate(ax, x, y, kind, name, color, w=0.7, h=0.5):
    """A gate box centred at (x, y): its nonlinearity inside, its letter above right."""
    box(ax, x - w / 2, y - h / 2, w, h, r"$\sigma$" if kind == "sigmoid" else "tanh", color, fontsize=11)
    ax.text(x + w / 2 + 0.04, y + h / 2 + 0.02, f"${name}$", ha="left", va="bottom", fontsize=12,
            color=color, fontweight="bold")


def _frame(ax, x0, x1, y0, y1, title):
    ax.add_patch(FancyBboxPatch((x0, y0), x1 - x0, y1 - y0, boxstyle="round,pad=0.02,rounding_size=0.25",
                                facecolor=COLORS["light"], edgecolor="#ced4da", lw=1.2, zorder=0))
    ax.text(x0 + 0.12, y1 - 0.12, title, ha="left", va="top", fontsize=10, color=_GREY, style="italic")




def _cell_canvas():
    """The shared blank canvas of the two cell diagrams: equal aspect, no axes."""
    use_style()
    fig, ax = plt.subplots(figsize=(9.5, 4.6))
    ax.axis("off")
    ax.set_xlim(-0.3, 10.4)
    ax.set_ylim(-0.35, 4.95)
    ax.set_aspect("equal")
    return fig, ax

def _state_path(ax, y, start, end, mul_x, add_x, color):
    """The state's road along the top of a cell: start -> (x) at mul_x -> (+) at add_x -> end."""
    ax.text(0.15, y, start, ha="right", va="center", fontsize=13, color=color)
    _line(ax, [(0.2, y), (mul_x - _R, y)], color, lw=3)
    _line(ax, [(mul_x + _R, y), (add_x - _R, y)], color, lw=3)
    _line(ax, [(add_x + _R, y), (9.75, y)], color, lw=3)
    ax.text(9.82, y, end, ha="left", va="center", fontsize=13, color=color)
    _op(ax, mul_x, y, "×", color)
    _op(ax, add_x, y, "+", color)

def lstm_cell():
    """The LSTM cell of ``rnn_course.LSTM`` and ``torch.nn.LSTM``, gate by gate.

    The cell state c runs along the top and meets only a multiplication by the
    forget gate f and an addition of i * g; the four gates i, f, g, o read
    [h_{t-1}, x_t] from the bus at the bottom; h_t = o * tanh(c_t) leaves at
    the bottom right. Takes no arguments; returns the Figure.
    """
    fig, ax = _cell_canvas()
    top, bus, gy, mid = 3.95, 0.75, 1.6, 2.7
    _frame(ax, 0.6, 9.0, 0.3, 4.7, "one LSTM step")

    # the cell state: c_{t-1} -> x f -> + i*g -> c_t
    fx, ix, gx, ox, tx = 2.0, 3.2, 4.4, 5.6, 7.0
    _state_path(ax, top, "$c_{t-1}$", "$c_t$", fx, gx, _CELL)
    ax.text((gx + tx) / 2 + 0.35, top + 0.12, r"cell state: only $\times f$ and $+\,i \odot g$", ha="center",
            va="bottom", fontsize=9.5, color=_CELL)

    # the bus [h_{t-1}, x_t] that every gate reads
    ax.text(0.15, bus, "$h_{t-1}$", ha="right", va="center", fontsize=13, color=COLORS["hidden"])
    ax.plot([0.2, ox], [bus, bus], color=COLORS["hidden"], lw=2, zorder=1)
    ax.text(1.2, -0.3, "$x_t$", ha="center", va="bottom", fontsize=13, color=COLORS["input"])
    _line(ax, [(1.2, 0.05), (1.2, bus)], COLORS["input"], lw=2, arrow=False)
    for x in (fx, ix, gx, ox):
        _line(ax, [(x, bus), (x, gy - 0.25)], _GREY, lw=1.4)
    for (name, _, color), x in zip(GATES["lstm"], (ix, fx, gx, ox)):
        _gate(ax, x, gy, "tanh" if name == "g" else "sigmoid", name, color)

    # f scales the old cell state; i * g is added to it
    _line(ax, [(fx, gy + 0.25), (fx, top - _R)], _KEEP)
    _line(ax, [(ix, gy + 0.25), (ix, mid), (gx - _R, mid)], _SIGMOID)
    _line(ax, [(gx, gy + 0.25), (gx, mid - _R)], _TANH)
    _op(ax, gx, mid, "×")
    _line(ax, [(gx, mid + _R), (gx, top - _R)], _GREY)

    # h_t = o * tanh(c_t)
    _line(ax, [(tx, top), (tx, 3.2)], _CELL, lw=1.8)
    box(ax, tx - 0.4, 2.7, 0.8, 0.5, "tanh", _TANH, fontsize=10.5)
    _line(ax, [(tx, 2.7), (tx, gy + _R)], _TANH)
    _line(ax, [(ox + 0.35, gy), (tx - _R, gy)], COLORS["input"])
    _op(ax, tx, gy, "×")
    _line(ax, [(tx, gy - _R), (tx, bus), (9.75, bus)], COLORS["hidden"], lw=2.5)
    ax.text(9.82, bus, "$h_t$", ha="left", va="center", fontsize=13, color=COLORS["hidden"])
    ax.text(8.05, bus + 0.1, "to the output\nand the next step", ha="center", va="bottom", fontsize=8.5,
            color=_GREY)
    ax.text(1.4, 0.5, r"every gate reads $x_t$ and $h_{t-1}$: $\sigma$ or tanh of $W_{i\cdot}\, x_t + b_{i\cdot}"
            r" + W_{h\cdot}\, h_{t-1} + b_{h\cdot}$", ha="left", va="center", fontsize=8.5, color=_GREY)
    return finish(fig)


def gru_cell():
    """The GRU cell of ``rnn_course.GRU`` and ``torch.nn.GRU``, gate by gate.

    The hidden state runs along the top: h_t = z * h_{t-1} + (1 - z) * n. The
    candidate n = tanh(W_in x_t + b_in + r * (W_hn h_{t-1} + b_hn)) has the
    reset gate r multiply the hidden projection *after* its bias, as PyTorch
    does. Takes no arguments; returns the Figure.
    """
    fig, ax = _cell_canvas()
    top, bus, gy, mid, lane = 3.95, 0.75, 1.6, 2.45, 3.2
    _frame(ax, 0.6, 9.0, 0.3, 4.7, "one GRU step")
    zx, rx, hnx, sx, nx, mx, jx = 1.9, 3.0, 4.4, 5.9, 7.0, 8.2, 6.5
    H = COLORS["hidden"]

    # the hidden state along the top: h_{t-1} -> x z -> + (1-z) n -> h_t
    _state_path(ax, top, "$h_{t-1}$", "$h_t$", jx, mx, H)
    ax.text((jx + 0.9) / 2 + 0.8, top + 0.12, r"$h_t = z \odot h_{t-1} + (1 - z) \odot n$", ha="center",
            va="bottom", fontsize=10, color=H)

    # the bus: h_{t-1} comes down, x_t comes up
    ax.plot([0.9, 0.9, hnx], [top, bus, bus], color=H, lw=2, zorder=1)
    ax.text(1.35, -0.3, "$x_t$", ha="center", va="bottom", fontsize=13, color=COLORS["input"])
    ax.plot([1.35, 1.35], [0.05, bus], color=COLORS["input"], lw=2, zorder=1)
    _line(ax, [(1.35, 0.42), (sx, 0.42), (sx, mid - _R)], COLORS["input"], lw=1.6)
    ax.text(sx + 0.08, 1.0, "$W_{in} x_t + b_{in}$", ha="left", va="center", fontsize=9.5,
            color=COLORS["input"])
    for x in (zx, rx):
        _line(ax, [(x, bus), (x, gy - 0.25)], _GREY, lw=1.4)
    _line(ax, [(hnx, bus), (hnx, gy - 0.25)], H, lw=1.4)
    r_name, z_name, _ = GATES["gru"]
    _gate(ax, rx, gy, "sigmoid", "r", r_name[2])
    _gate(ax, zx, gy, "sigmoid", "z", z_name[2])
    box(ax, hnx - 0.75, gy - 0.25, 1.5, 0.5, "$W_{hn} h_{t-1} + b_{hn}$", H, fontsize=9)

    # n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
    _line(ax, [(rx, gy + 0.25), (rx, mid), (hnx - _R, mid)], _SIGMOID)
    _line(ax, [(hnx, gy + 0.25), (hnx, mid - _R)], H)
    _op(ax, hnx, mid, "×")
    _line(ax, [(hnx + _R, mid), (sx - _R, mid)], _GREY)
    _op(ax, sx, mid, "+")
    _line(ax, [(sx + _R, mid), (nx - 0.4, mid)], _GREY)
    box(ax, nx - 0.4, mid - 0.25, 0.8, 0.5, "tanh", _TANH, fontsize=10.5)
    ax.text(nx + 0.44, mid + 0.27, "$n$", ha="left", va="bottom", fontsize=12, color=_TANH, fontweight="bold")
    _line(ax, [(nx + 0.4, mid), (mx, mid), (mx, lane - _R)], _TANH)

    # z keeps the old state, 1 - z lets the candidate in
    ax.plot([zx, zx, jx], [gy + 0.25, lane, lane], color=_KEEP, lw=1.8, zorder=1)
    _line(ax, [(jx, lane), (jx, top - _R)], _KEEP)
    _line(ax, [(jx, lane), (7.35 - _R, lane)], _KEEP)
    _op(ax, 7.35, lane, "1−")
    _line(ax, [(7.35 + _R, lane), (mx - _R, lane)], _GREY)
    _op(ax, mx, lane, "×")
    _line(ax, [(mx, lane + _R), (mx, top - _R)], _GREY)
    return finish(fig)


def stacked_weights(cell="lstm", d=3, D=2):
    """How PyTorch (and ``rnn_course``) stack the gates' weights: ``weight_ih_l0``
    (G*D, d), ``weight_hh_l0`` (G*D, D), ``bias_ih_l0`` and ``bias_hh_l0`` (G*D,),
    their rows in blocks of D, one block per gate (G = 4 for the LSTM in the
    order i, f, g, o; G = 3 for the GRU in the order r, z, n).

    Inputs: cell: "lstm" or "gru"; d: input size; D: hidden size (small, so
    every entry is a square). Returns the Figure.
    """
    if cell not in GATES:
        raise ValueError(f"cell must be 'lstm' or 'gru'; got {cell!r}")
    for name, value in (("d", d), ("D", D)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 1 <= value <= 8:
            raise ValueError(f"{name} must be a whole number from 1 to 8 (one square per weight); got {value!r}")
    use_style()
    gates = GATES[cell]
    G = len(gates)
    c = 0.3
    fig, ax = plt.subplots(figsize=(2.6 + 0.42 * (d + D + 2) + 2.2, 1.1 + 0.3 * G * D))
    ax.axis("off")
    arrays = [("weight_ih_l0", f"$({G}D, d)$", d), ("weight_hh_l0", f"$({G}D, D)$", D),
              ("bias_ih_l0", f"$({G}D,)$", 1), ("bias_hh_l0", f"$({G}D,)$", 1)]
    x = 0.0
    for k, (name, shape, cols) in enumerate(arrays):
        for g, (letter, _, color) in enumerate(gates):
            for row in range(D):
                for col in range(cols):
                    y = -(g * D + row + 1) * c
                    ax.add_patch(Rectangle((x + col * c, y), c, c, facecolor=color, edgecolor="white", lw=1.2,
                                           alpha=0.9))
            if k == 0:
                ax.text(x - 0.12, -(g * D + D / 2) * c, f"${letter}$", ha="right", va="center", fontsize=12,
                        color=color, fontweight="bold")
            if k == 1:  # name the blocks: rows of W_i<gate> in weight_ih, of W_h<gate> in weight_hh
                ax.text(x + cols * c + 0.1, -(g * D + D / 2) * c, f"$W_{{i{letter}}}$, $W_{{h{letter}}}$",
                        ha="left", va="center", fontsize=9, color=color)
        ax.text(x + cols * c / 2, 0.1, f"{name}\n{shape}", ha="center", va="bottom", fontsize=9)
        x += cols * c + (1.45 if k == 1 else 0.75)
    legend_x = x - 0.2
    for g, (letter, label, color) in enumerate(gates):
        ax.text(legend_x, -(g * D + D / 2) * c, f"${letter}$: {label}", ha="left", va="center", fontsize=9.5,
                color=color)
    ax.set_xlim(-0.5, legend_x + 1.9)
    ax.set_ylim(-G * D * c - 0.15, 0.75)
    ax.set_aspect("equal")
    return finish(fig)


def memory_gradients(curves, title=None):
    """Gradient norms along a cell's memory path against the distance in time.

    curves: {label: (K,) norms at distances 0 ... K-1}, e.g. ||dc_T/dc_t|| of an
    LSTM and ||dh_T/dh_t|| of a plain RNN. Labels that start with "RNN" are drawn
    dashed, so the plain RNN stands apart from the gated cells. Log scale.
    For a sequence of T steps the curves are (T+1,), distances 0 ... T.
    title: optional title. Returns the Figure.
    """
    if not isinstance(curves, dict) or not curves:
        raise TypeError("curves must be a non-empty dict {label: (K,) array of norms}")
    use_style()
    fig, ax = plt.subplots(figsize=(8, 3.6))
    colors = [COLORS["input"], _CELL, COLORS["hidden"], COLORS["output"], COLORS["accent"], _GREY]
    for (label, values), color in zip(curves.items(), colors * 2):
        values = np.asarray(values, dtype=float)
        if values.ndim != 1:
            raise ValueError(f"curve {label!r} has shape {values.shape}; expected (K,) norms")
        ax.plot(np.arange(len(values)), values, lw=2.2, label=label, color=color,
                linestyle="--" if str(label).startswith("RNN") else "-")
    ax.set_yscale("log")
    ax.set_xlabel("distance in time, T - t")
    ax.set_ylabel(r"spectral norm of $\partial$state$_T$ / $\partial$state$_t$")
    if title:
        ax.set_title(title, loc="left", fontsize=10.5)
    ax.legend(frameon=False, fontsize=9, loc="lower left")
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return finish(fig)


def accuracy_by_init(groups, delays, chance=None):
    """Test accuracy against the delay, one panel per cell, one line per initialisation.

    groups: {panel title: {init label: (S, K) accuracies}}, e.g.
    {"LSTM": {"PyTorch init": acc, "forget bias 1": acc, ...}, ...}, S seeds
    (rows) and K delays (columns), as ``rnn_course.tasks.memory.sweep``
    returns for one cell. delays: the K delays (the x axis, shared).
    chance: the accuracy of guessing, drawn dashed in every panel; None: no line.

    Each line is the mean over seeds, each seed a light dot; every init is
    drawn (no entry is dropped) and named in its panel's legend, in the
    order given. Returns the Figure.
    """
    delays = np.asarray(delays, dtype=float)
    if delays.ndim != 1 or delays.size == 0:
        raise ValueError(f"accuracy_by_init: delays must be a non-empty 1-D list of K delays, got shape "
                         f"{delays.shape}")
    if not isinstance(groups, dict) or not groups or not all(isinstance(g, dict) and g for g in groups.values()):
        raise TypeError("accuracy_by_init: groups must be a non-empty dict {panel: {init label: (S, K) "
                        "accuracies}}, each panel with at least one init")
    use_style()
    colors = [_GREY, COLORS["input"], COLORS["accent"], COLORS["output"], _CELL, COLORS["hidden"]]
    fig, axes = plt.subplots(1, len(groups), figsize=(3.3 * len(groups) + 0.6, 3.9), sharey=True,
                             squeeze=False)
    # One colour per start across all panels: a label that appears in several panels keeps its colour.
    labels = list(dict.fromkeys(label for inits in groups.values() for label in inits))
    if len(labels) > len(colors):
        raise ValueError(f"accuracy_by_init: {len(labels)} different inits; at most {len(colors)} can be "
                         f"told apart")
    color_of = dict(zip(labels, colors))
    seeds = set()
    for ax, (title, inits) in zip(axes[0], groups.items()):
        for label, acc in inits.items():
            color = color_of[label]
            acc = np.atleast_2d(np.asarray(acc, dtype=float))  # (S, K)
            if acc.ndim != 2 or acc.shape[1] != delays.size:
                raise ValueError(f"accuracy_by_init: groups[{title!r}][{label!r}] has shape {acc.shape}; "
                                 f"expected (S, K) with K = {delays.size} delays")
            S = acc.shape[0]
            seeds.add(S)
            if S > 1:
                ax.scatter(np.repeat(delays[None], S, axis=0).ravel(), acc.ravel(), s=12, color=color,
                           alpha=0.4, lw=0, zorder=2)
            ax.plot(delays, acc.mean(axis=0), "-o", color=color, lw=2, ms=4, label=label, zorder=3)
        if chance is not None:
            ax.axhline(chance, color="#868e96", ls="--", lw=1.1, label=f"chance ({chance:.3g})")
        ax.set_title(str(title), loc="left", fontsize=11)
        ax.set_xticks(delays)
        ax.set_xlabel("delay")
        ax.set_ylim(-0.03, 1.05)
        ax.grid(alpha=0.3)
        ax.legend(frameon=False, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=1)
    what = f"mean of {seeds.pop()} seeds" if len(seeds) == 1 else "mean over seeds"
    axes[0, 0].set_ylabel(f"test accuracy\n(line: {what})")
    fig.tight_layout()
    return finish(fig)
