"""Figures of the character-level language model (chapter 9): its learning
curve against the unigram baseline, and one hidden unit's activation drawn
over the text it read, character by character (Karpathy's "visualising
cells" figures).

Letters: L characters of a text, D hidden size.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import Normalize
from matplotlib.patches import Rectangle

from ._style import COLORS, finish, use_style

NEWLINE = "\u21b5"  # ↵ marks a newline in the heatmap, which starts a new row after it


def learning_curve(train_losses, val_steps, val_losses, baseline, smooth=50, title=None,
                   baseline_label="unigram baseline"):
    """Training loss per step, validation loss at some steps, and a baseline, on one panel.

    Inputs:

    - train_losses: the loss of every training step, e.g. History.losses (length S)
    - val_steps, val_losses: the steps at which the validation loss was measured
      and its values (equal lengths), e.g. from charlm.run's "snapshots"
    - baseline: the loss to beat (e.g. the unigram loss), a dashed horizontal line
    - smooth: width of the moving average over training steps (1: raw)

    Losses are in nats per character. Returns the Figure.
    """
    fn = "learning_curve"
    train = np.asarray(train_losses, dtype=float)
    steps, val = np.asarray(val_steps, dtype=float), np.asarray(val_losses, dtype=float)
    if train.ndim != 1 or train.size == 0:
        raise ValueError(f"{fn}: train_losses must be a non-empty list of per-step losses, got shape {train.shape}")
    if steps.ndim != 1 or steps.shape != val.shape:
        raise ValueError(f"{fn}: val_steps and val_losses must be two lists of the same length, got shapes "
                         f"{steps.shape} and {val.shape}")
    if isinstance(smooth, bool) or not isinstance(smooth, (int, np.integer)) or smooth < 1:
        raise ValueError(f"{fn}: smooth must be a positive integer, got {smooth!r}")
    if not np.isfinite(float(baseline)):
        raise ValueError(f"{fn}: baseline must be a finite number, got {baseline!r}")
    use_style()
    fig, ax = plt.subplots(figsize=(7.2, 3.6))
    k = min(smooth, train.size)
    curve = np.convolve(train, np.ones(k) / k, mode="valid")
    ax.plot(np.arange(k, train.size + 1), curve, color=COLORS["input"], lw=2,
            label="training loss" + (f" (moving average of {k} steps)" if k > 1 else ""))
    ax.plot(steps, val, "o-", color=COLORS["hidden"], lw=2, ms=5, label="validation loss")
    ax.axhline(float(baseline), color="#868e96", ls="--", lw=1.4, label=f"{baseline_label} ({baseline:.2f})")
    ax.set_xlabel("training step (batch)")
    ax.set_ylabel("loss (nats per character)")
    top = max(float(baseline), float(np.nanmax(val)) if val.size else 0.0, float(curve.max()))
    ax.set_ylim(min(float(curve.min()), float(np.nanmin(val)) if val.size else np.inf) - 0.2, top + 0.2)
    ax.grid(alpha=0.3)
    ax.legend(frameon=False, fontsize=8.5, loc="upper right")
    if title:
        ax.set_title(title, loc="left", fontsize=10.5)
    fig.tight_layout()
    return finish(fig)


def _rows(text, width):
    """Split text into rows of at most `width` characters; a newline ends its row.

    Returns a list of rows, each a list of (index into text, character shown).
    """
    rows, row = [], []
    for i, ch in enumerate(text):
        row.append((i, NEWLINE if ch == "\n" else ch))
        if ch == "\n" or len(row) == width:
            rows.append(row)
            row = []
    if row:
        rows.append(row)
    return rows


def unit_heatmap(text, activations, width=64, title=None, label="activation", vmax=1.0):
    """The text, one character per cell, each cell coloured by a unit's value after reading it.

    Inputs:

    - text: a str of L characters (a newline is drawn as ↵ and ends its row)
    - activations: (L,) the unit's value after each character, e.g. column k of
      charlm.hidden_states(...) (L, D)
    - width: characters per row
    - label: the colour bar's label; vmax: the colour scale runs from -vmax
      (blue) through 0 (white) to +vmax (red); tanh-like units live in [-1, 1]

    Returns the Figure.
    """
    fn = "unit_heatmap"
    if not isinstance(text, str) or not text:
        raise ValueError(f"{fn}: text must be a non-empty str")
    acts = np.asarray(activations, dtype=float)
    if acts.shape != (len(text),):
        raise ValueError(f"{fn}: activations has shape {acts.shape}; expected (L,) = ({len(text)},), one value "
                         f"per character of text")
    if isinstance(width, bool) or not isinstance(width, (int, np.integer)) or width < 1:
        raise ValueError(f"{fn}: width must be a positive integer, got {width!r}")
    if not vmax > 0:
        raise ValueError(f"{fn}: vmax must be positive, got {vmax!r}")
    use_style()
    rows = _rows(text, width)
    cols = max(len(r) for r in rows)
    cw, rh = 0.118, 0.25  # inches per character cell
    fig = plt.figure(figsize=(cols * cw + 1.1, len(rows) * rh + 0.6 + (0.3 if title else 0)))
    ax = fig.add_axes([0.01, 0.02, cols * cw / (cols * cw + 1.1), 0.96 - (0.3 if title else 0) / fig.get_figheight()])
    cmap, norm = plt.get_cmap("RdBu_r"), Normalize(-vmax, vmax)
    colors = cmap(norm(acts))  # (L, 4) RGBA, one colour map call for all cells
    for r, row in enumerate(rows):
        for c, (i, ch) in enumerate(row):
            rgba = tuple(colors[i])
            # add_artist, not add_patch: the limits are set once below, so no cell needs to update them
            ax.add_artist(Rectangle((c, r), 1, 1, facecolor=rgba, edgecolor="none"))
            light = 0.299 * rgba[0] + 0.587 * rgba[1] + 0.114 * rgba[2] > 0.55
            ax.text(c + 0.5, r + 0.55, ch, ha="center", va="center", family="monospace", fontsize=9,
                    color=COLORS["text"] if light else "white")
    ax.set_xlim(0, cols)
    ax.set_ylim(len(rows), 0)
    ax.set_axis_off()
    if title:
        ax.set_title(title, loc="left", fontsize=10.5)
    cax = fig.add_axes([cols * cw / (cols * cw + 1.1) + 0.02, 0.1, 0.15 / (cols * cw + 1.1), 0.8])
    bar = fig.colorbar(plt.cm.ScalarMappable(norm=norm, cmap=cmap), cax=cax)
    bar.set_label(label, fontsize=9)
    bar.ax.tick_params(labelsize=8)
    return finish(fig)
