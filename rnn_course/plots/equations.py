"""Figures of chapter 4 (The math of an RNN): the shapes in the cell's
equation, the worked example with its actual numbers (hidden layer and
output layer), and gradient norms flowing back through time."""

from __future__ import annotations

import itertools

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

from ._style import COLORS, finish, use_style

_OP_COLOR = "#495057"
_PRE_COLOR = "#868e96"  # pre-activations (a, z): neither input nor output yet
_INCH_PER_UNIT = 1.05  # the figures' scale: one data unit is this many inches (see _finish_axes)


GIVEN = "given"  # the format of the numbers a figure is given: see _format


def _format(value, fmt):
    """A number as printed in a cell: fmt, or for GIVEN up to 2 decimals with trailing zeros dropped
    (0.5, -0.25, 1.0), so that the given weights and inputs are shown as they are."""
    if fmt != GIVEN:
        return fmt.format(value)
    text = f"{value:.2f}".rstrip("0")
    text = text + "0" if text.endswith(".") else text
    return "0.0" if text == "-0.0" else text


def _matrix(ax, x, top, rows, cols, color, label, cell, width=1.0, values=None, fmt=GIVEN, name=None):
    """Draw a rows x cols grid of cells (cell * width wide, cell tall) whose top-left corner is at (x, top).

    values: (rows, cols) numbers to print in the cells, or None. name: the gid of the grid's cells and
    numbers (its label gets name + ":label"), so a test can read each grid back. Returns the right edge.
    """
    w = cell * width
    label_text = ax.text(0, 0, label, ha="center", va="bottom", fontsize=10,
                         gid=None if name is None else name + ":label")
    fig = ax.figure
    label_width = label_text.get_window_extent(fig.canvas.get_renderer()).width / fig.dpi / _INCH_PER_UNIT
    slot = max(cols * w, label_width + 0.1)       # a label wider than its grid gets room of its own
    x += (slot - cols * w) / 2
    for i in range(rows):
        for j in range(cols):
            ax.add_patch(Rectangle((x + j * w, top - (i + 1) * cell), w, cell, facecolor=color,
                                   edgecolor="white", lw=1.2, alpha=0.9, gid=name))
            if values is not None:
                ax.text(x + (j + 0.5) * w, top - (i + 0.5) * cell, _format(values[i][j], fmt), ha="center",
                        va="center", fontsize=7.5, color="white", family="monospace", gid=name)
    label_text.set_position((x + cols * w / 2, top + 0.1 * cell / 0.32))
    return x + cols * w + (slot - cols * w) / 2


def _row(ax, top, items, cell):
    """Lay out one equation from left to right, every grid centred on the row's middle.

    items: ("grid", rows, cols, color, label, width, values, fmt, name) or ("op", text) or ("f", name).
    Returns (right edge, bottom edge) of the row.
    """
    height = max(it[1] for it in items if it[0] == "grid") * cell
    mid = top - height / 2
    x = 0.0
    for it in items:
        if it[0] == "grid":
            _, rows, cols, color, label, width, values, fmt, name = it
            x = _matrix(ax, x, mid + rows * cell / 2, rows, cols, color, label, cell, width, values, fmt,
                        name) + 0.12
        elif it[0] == "op":
            x += 0.2
            ax.text(x, mid, it[1], ha="center", va="center", fontsize=16, color=_OP_COLOR)
            x += 0.32
        else:  # an activation function over an arrow
            x += 0.45
            ax.text(x, mid, r"$\rightarrow$", ha="center", va="center", fontsize=16, color=_OP_COLOR)
            ax.text(x, mid + 0.28, it[1], ha="center", va="bottom", fontsize=10)
            x += 0.6
    return x, top - height


def _finish_axes(fig, ax, right, bottom, top, cell, max_width=13.0):
    """Limits that hold every grid and its label; the figure is sized to them (one data unit is about
    an inch, less when the row would be wider than max_width inches)."""
    ax.set_xlim(-0.2, right + 0.1)
    ax.set_ylim(bottom - 0.2, top + 0.75 * cell / 0.32 + 0.1)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_position([0, 0, 1, 1])
    w, h = right + 0.3, top + 0.75 * cell / 0.32 + 0.3 - bottom
    scale = min(_INCH_PER_UNIT, max_width / w)
    fig.set_size_inches(w * scale, h * scale)


def shapes(d=3, D=5):
    """The note's image 28, redrawn: every shape in h_t = f(W_x x_t + W_h h_{t-1} + b_h).

    Inputs: d: input size, D: hidden size (different, so the picture shows
    which is which).

    Draws one sequence's column vectors at one step: W_x (D, d), x_t (d,),
    W_h (D, D), h_{t-1} (D,), b_h (D,) and h_t (D,), each labelled with its
    shape. Returns the Figure.
    """
    for name, value in (("d", d), ("D", D)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"shapes: {name} must be a positive integer, got {value!r}")
    use_style()
    c, top = 0.32, 0.0
    items = [
        ("grid", D, d, COLORS["input"], f"$W_x$\n$(D, d) = ({D}, {d})$", 1.0, None, "", "W_x"),
        ("grid", d, 1, COLORS["input"], f"$x_t$\n$({d},)$", 1.0, None, "", "x_t"),
        ("op", "+"),
        ("grid", D, D, COLORS["hidden"], f"$W_h$\n$(D, D) = ({D}, {D})$", 1.0, None, "", "W_h"),
        ("grid", D, 1, COLORS["hidden"], "$h_{t-1}$\n" + f"$({D},)$", 1.0, None, "", "h_prev"),
        ("op", "+"),
        ("grid", D, 1, COLORS["extra"], "$b_h$\n" + f"$({D},)$", 1.0, None, "", "b_h"),
        ("f", "$f$"),
        ("grid", D, 1, COLORS["output"], f"$h_t$\n$({D},)$", 1.0, None, "", "h_t"),
    ]
    fig, ax = plt.subplots()
    right, bottom = _row(ax, top, items, c)
    _finish_axes(fig, ax, right, bottom, top, c, max_width=10.0)
    return finish(fig)


def _shape(*dims):
    return "(" + ", ".join(str(n) for n in dims) + ("," if len(dims) == 1 else "") + ")"


def _softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum()


def worked_example(Wx, x_t, Wh, h_prev, b, nonlinearity="tanh", Wy=None, by=None):
    """The note's image 29, redrawn with actual numbers (batch 1), every entry printed:
    W_x x_t + W_h h_{t-1} + b_h = a_t, then h_t = f(a_t); with Wy and by also
    the output layer W_y h_t + b_y = z_t, then y_t = softmax(z_t).

    Inputs:

    - Wx: (D, d) input-to-hidden weights (d may differ from D)
    - x_t: (d,) the input (or (1, d), a batch of one)
    - Wh: (D, D) hidden-to-hidden weights
    - h_prev: (D,) the previous hidden state (or (1, D))
    - b: (D,) the hidden layer's bias b_h
    - nonlinearity: "tanh" or "relu", the f that turns a_t into h_t
    - Wy: (C, D) hidden-to-output weights, or None for no output layer
    - by: (C,) the output layer's bias b_y (given with Wy)

    Every grid is labelled with its name and shape, and every row of every
    grid is drawn, for any d, D and C (the figure grows with them). The
    given numbers are printed to 2 decimals with trailing zeros dropped,
    a_t and z_t to 2 decimals, h_t and y_t to 3. Returns the Figure.
    """
    fn = "worked_example"
    Wx, Wh = np.asarray(Wx, dtype=float), np.asarray(Wh, dtype=float)
    x_t, h_prev, b = (np.asarray(v, dtype=float).reshape(-1) for v in (x_t, h_prev, b))
    if Wx.ndim != 2:
        raise ValueError(f"{fn}: Wx has shape {Wx.shape}; expected (D, d)")
    D, d = Wx.shape
    for name, arr, want in (("x_t", x_t, (d,)), ("Wh", Wh, (D, D)), ("h_prev", h_prev, (D,)), ("b", b, (D,))):
        if arr.shape != want:
            raise ValueError(f"{fn}: {name} has {arr.size} entries in shape {arr.shape}; expected {want} "
                             f"for Wx of shape (D, d) = {(D, d)}")
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"{fn}: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
    if (Wy is None) != (by is None):
        raise ValueError(f"{fn}: give both Wy and by for the output layer, or neither")
    a = Wx @ x_t + Wh @ h_prev + b
    h = np.tanh(a) if nonlinearity == "tanh" else np.maximum(a, 0)
    col = lambda v: [[u] for u in v]  # noqa: E731
    wide = 1.45  # room for "-0.291"
    c, top, gap = 0.42, 0.0, 0.95
    use_style()
    rows = [[
        ("grid", D, d, COLORS["input"], f"$W_x$\n{_shape(D, d)}", 1.0, Wx, GIVEN, "W_x"),
        ("grid", d, 1, COLORS["input"], f"$x_t$\n{_shape(d)}", 1.0, col(x_t), GIVEN, "x_t"),
        ("op", "+"),
        ("grid", D, D, COLORS["hidden"], f"$W_h$\n{_shape(D, D)}", 1.0, Wh, GIVEN, "W_h"),
        ("grid", D, 1, COLORS["hidden"], "$h_{t-1}$\n" + _shape(D), 1.0, col(h_prev), GIVEN, "h_prev"),
        ("op", "+"),
        ("grid", D, 1, COLORS["extra"], f"$b_h$\n{_shape(D)}", 1.0, col(b), GIVEN, "b_h"),
        ("op", "="),
        ("grid", D, 1, _PRE_COLOR, f"$a_t$\n{_shape(D)}", wide, col(a), "{:.2f}", "a_t"),
        ("f", nonlinearity),
        ("grid", D, 1, COLORS["output"], f"$h_t$\n{_shape(D)}", wide, col(h), "{:.3f}", "h_t"),
    ]]
    if Wy is not None:
        Wy = np.asarray(Wy, dtype=float)
        by = np.asarray(by, dtype=float).reshape(-1)
        if Wy.ndim != 2 or Wy.shape[1] != D:
            raise ValueError(f"{fn}: Wy has shape {Wy.shape}; expected (C, D) with D = {D}")
        C = Wy.shape[0]
        if by.shape != (C,):
            raise ValueError(f"{fn}: by has shape {by.shape}; expected (C,) = ({C},)")
        z = Wy @ h + by
        rows.append([
            ("grid", C, D, COLORS["output"], f"$W_y$\n{_shape(C, D)}", 1.0, Wy, GIVEN, "W_y"),
            ("grid", D, 1, COLORS["output"], f"$h_t$\n{_shape(D)}", wide, col(h), "{:.3f}", "h_t:out"),
            ("op", "+"),
            ("grid", C, 1, COLORS["extra"], f"$b_y$\n{_shape(C)}", 1.0, col(by), GIVEN, "b_y"),
            ("op", "="),
            ("grid", C, 1, _PRE_COLOR, f"$z_t$\n{_shape(C)}", wide, col(z), "{:.2f}", "z_t"),
            ("f", "softmax"),
            ("grid", C, 1, COLORS["accent"], f"$y_t$\n{_shape(C)}", wide, col(_softmax(z)), "{:.3f}",
             "y_t"),
        ])
    fig, ax = plt.subplots()
    row_top, width = top, 0.0
    for r in rows:
        right, bottom = _row(ax, row_top, r, c)
        width = max(width, right)
        row_top = bottom - gap
    _finish_axes(fig, ax, width, bottom, top, c)
    return finish(fig)


def gradient_norms(curves, title=None, zoom=None):
    """||dh_T/dh_t|| (or any per-step norm) against the distance T - t, log scale.

    Inputs:

    - curves: {label: (K,) norms at distances 0 ... K-1}, e.g. (T+1,) for
      the distances 0 ... T of a sequence of T steps, as
      ``rnn_course.gradflow.jacobian_norms`` returns; every curve is drawn
      (colours repeat after five)
    - title: optional title
    - zoom: None, or a distance k >= 1: a second panel shows distances
      0 ... k on a linear scale, with a dashed line at 1, where a rise
      before the decay is visible (the curves that go above the panel's
      top, twice the largest value of the curves that stay below 3 there,
      are cut off at the top and say so in the panel's title)

    Returns the Figure.
    """
    if not curves:
        raise ValueError("gradient_norms: curves is empty; give {label: norms}")
    if zoom is not None and (isinstance(zoom, bool) or not isinstance(zoom, (int, np.integer)) or zoom < 1):
        raise ValueError(f"gradient_norms: zoom must be a positive whole distance or None, got {zoom!r}")
    arrays = {}
    for label, values in curves.items():
        values = np.asarray(values, dtype=float)
        if values.ndim != 1:
            raise ValueError(f"gradient_norms: the curve {label!r} has shape {values.shape}; expected (K,)")
        arrays[label] = values
    use_style()
    if zoom is None:
        fig, ax = plt.subplots(figsize=(8, 3.4))
        axes = [ax]
    else:
        fig, axes = plt.subplots(1, 2, figsize=(11, 3.6), gridspec_kw=dict(width_ratios=[1.6, 1]))
    ax = axes[0]
    colors = itertools.cycle([COLORS["input"], COLORS["hidden"], COLORS["accent"], COLORS["extra"],
                              COLORS["output"]])
    palette = dict(zip(arrays, colors))
    for label, values in arrays.items():
        ax.plot(np.arange(len(values)), values, lw=2, label=label, color=palette[label])
    ax.set_yscale("log")
    ax.set_xlabel("distance in time, T - t")
    ax.set_ylabel(r"$\|\partial h_T / \partial h_t\|_2$")
    if title:
        ax.set_title(title, loc="left", fontsize=10.5)
    ax.legend(frameon=False, fontsize=9)
    ax.grid(axis="y", alpha=0.3)
    if zoom is not None:
        near = axes[1]
        heads = {label: values[: zoom + 1] for label, values in arrays.items()}
        low = [h.max() for h in heads.values() if h.max() < 3]
        top = 2 * max(low) if low else max(h.max() for h in heads.values())
        cut = [label for label, h in heads.items() if h.max() > top]
        for label, h in heads.items():
            near.plot(np.arange(len(h)), h, lw=2, marker="o", ms=3, label=label, color=palette[label])
        near.axhline(1.0, color="#868e96", lw=1, ls="--")
        near.set_ylim(0, top)
        near.set_xlim(0, zoom)
        near.set_xlabel("distance in time, T - t")
        name = f"the first {zoom} steps, linear scale"
        near.set_title(name + (f"\n({', '.join(cut)} above the top)" if cut else ""), loc="left",
                       fontsize=9.5)
    fig.tight_layout()
    return finish(fig)
