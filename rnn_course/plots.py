"""Every figure in the book, drawn by one module in one style.

Each function draws one figure and returns the matplotlib Figure (closed in
pyplot, so a notebook cell that ends with the call shows it exactly once);
chapters call them from cells tagged ``hide-input``, so the page shows the figure and
the code is one click away. The style: a white card (readable on the book's
light and dark themes alike), one palette, high-dpi output.
"""

from __future__ import annotations

import matplotlib

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import FancyBboxPatch

# One palette for the whole book: inputs blue, hidden state orange, outputs
# green, padding grey, accents red/purple.
COLORS = {
    "input": "#1c7ed6",
    "hidden": "#f08c00",
    "output": "#2f9e44",
    "pad": "#adb5bd",
    "accent": "#c92a2a",
    "extra": "#7048e8",
    "text": "#212529",
    "light": "#f1f3f5",
}

_STYLE = {
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "axes.facecolor": "white",
    "axes.edgecolor": "#495057",
    "axes.labelcolor": COLORS["text"],
    "axes.titlesize": 12,
    "axes.titleweight": "bold",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "font.size": 10.5,
    "text.color": COLORS["text"],
    "xtick.color": "#495057",
    "ytick.color": "#495057",
    "figure.dpi": 110,
    "savefig.dpi": 200,
    "axes.prop_cycle": matplotlib.cycler(color=[COLORS[k] for k in ("input", "hidden", "output", "accent",
                                                                   "extra")]),
}
_configured = False


def use_style():
    """Apply the book's style (and, inside Jupyter, high-dpi 'retina' PNGs). Idempotent."""
    global _configured
    plt.rcParams.update(_STYLE)
    if not _configured:
        _configured = True
        try:
            from IPython import get_ipython
            from matplotlib_inline.backend_inline import set_matplotlib_formats

            if get_ipython() is not None:
                set_matplotlib_formats("retina")
        except ImportError:  # plain Python: nothing to configure
            pass


def _finish(fig):
    """Close the figure in pyplot and return it: a notebook shows the returned
    figure exactly once (pyplot would otherwise show it again at the cell's end)."""
    plt.close(fig)
    return fig


def _box(ax, x, y, w, h, text, color, text_color="white", fontsize=10.5, alpha=1.0, family=None):
    ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.02,rounding_size=0.08",
                                facecolor=color, edgecolor="none", alpha=alpha))
    ax.text(x + w / 2, y + h / 2, text, ha="center", va="center", color=text_color, fontsize=fontsize,
            family=family)


def sentence_to_batch(sentences, vocab, max_tokens=8):
    """From text to the (N, T) batch: one sentence's tokens and ids, then the
    padded id grid of all sentences with its mask.

    Inputs:
    - sentences: a list of N strings; the first is shown token by token
    - vocab: a rnn_course.datasets.Vocab (word level)
    - max_tokens: at most this many tokens per sentence are drawn
    """
    from .datasets import word_tokenize
    from .layers import length_mask, pad_sequences

    use_style()
    tokens = [word_tokenize(s)[:max_tokens] for s in sentences]
    ids, lengths = pad_sequences([vocab.encode(t) for t in tokens], pad_value=vocab.pad_id)
    mask = length_mask(lengths, ids.shape[1])
    N, T = ids.shape

    fig = plt.figure(figsize=(9.5, 3.2 + 0.42 * N))
    top = fig.add_axes([0.02, 0.55, 0.96, 0.43])
    top.set_xlim(-0.9, max(T, len(tokens[0])) + 0.1)
    top.set_ylim(0, 3.3)
    top.axis("off")
    shown = sentences[0] if len(sentences[0]) < 90 else sentences[0][:87] + "..."
    top.text(-0.85, 2.95, f"“{shown}”", fontsize=11, style="italic", va="center")
    top.text(-0.85, 1.85, "tokens", fontsize=9, color="#868e96", va="center")
    top.text(-0.85, 0.85, "ids", fontsize=9, color="#868e96", va="center")
    for t, (tok, i) in enumerate(zip(tokens[0], ids[0])):
        _box(top, t + 0.05, 1.55, 0.9, 0.6, tok, COLORS["input"], fontsize=9.5)
        top.annotate("", xy=(t + 0.5, 1.3), xytext=(t + 0.5, 1.55),
                     arrowprops=dict(arrowstyle="->", color="#868e96", lw=1))
        _box(top, t + 0.15, 0.55, 0.7, 0.6, str(i), COLORS["light"], text_color=COLORS["text"],
             family="monospace")

    grid = fig.add_axes([0.08, 0.13, 0.62, 0.36])
    shade = np.where(mask, 1.0, 0.25)
    grid.imshow(shade, cmap="Blues", vmin=0, vmax=1.6, aspect="auto")
    for n in range(N):
        for t in range(T):
            grid.text(t, n, str(ids[n, t]), ha="center", va="center", fontsize=8.5, family="monospace",
                      color=COLORS["text"] if mask[n, t] else "#868e96")
    grid.set_xticks(range(T), [str(t) for t in range(T)])
    grid.set_yticks(range(N), [f"n={n}" for n in range(N)])
    grid.set_xlabel("time step t")
    grid.set_title(f"padded ids, shape (N, T) = ({N}, {T})", fontsize=10.5, loc="left")
    for side in ("top", "right", "left", "bottom"):
        grid.spines[side].set_visible(False)
    grid.tick_params(length=0)

    side = fig.add_axes([0.74, 0.13, 0.24, 0.36])
    side.axis("off")
    side.text(0, 0.9, "mask: True where a token is real", fontsize=9.5)
    for n in range(N):
        row = "".join("■" if m else "□" for m in mask[n])
        side.text(0, 0.72 - n * (0.6 / max(N, 1)), f"{row}  length {lengths[n]}", family="monospace",
                  fontsize=9, color=COLORS["text"])
    side.text(0, 0.02, f"<pad> has id {vocab.pad_id}", fontsize=9, color="#868e96")
    return _finish(fig)


def one_hot_vs_embedding(ids, V, E):
    """Two ways to turn ids into vectors, side by side: one-hot (T, V) and embedded (T, d).

    ids: (T,) ids of one sentence; V: vocabulary size; E: (V, d) an embedding table.
    """
    from .layers import one_hot

    use_style()
    ids = np.asarray(ids)
    oh = one_hot(ids, V)
    emb = np.asarray(E)[ids]
    fig, (a, b) = plt.subplots(1, 2, figsize=(9.5, 2.8), gridspec_kw={"width_ratios": [2.2, 1]})
    a.imshow(oh, cmap="Blues", aspect="auto", vmin=0, vmax=1.2, interpolation="nearest")
    a.set_title(f"one-hot: (T, V) = {oh.shape}", loc="left", fontsize=10.5)
    a.set_xlabel("vocabulary index (a single 1 per row)")
    a.set_ylabel("time step t")
    a.set_yticks(range(len(ids)))
    lim = np.abs(emb).max()
    b.imshow(emb, cmap="PuOr", aspect="auto", vmin=-lim, vmax=lim, interpolation="nearest")
    b.set_title(f"embedded: (T, d) = {emb.shape}", loc="left", fontsize=10.5)
    b.set_xlabel("d numbers, all learned")
    b.set_yticks(range(len(ids)))
    fig.tight_layout()
    return _finish(fig)
