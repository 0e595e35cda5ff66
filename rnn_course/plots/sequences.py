"""Figures of chapter 1 (Sequences): from text to ids to a padded batch."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ._style import COLORS, box, finish, use_style


def sentence_to_batch(sentences, vocab):
    """From text to the (N, T) batch: one sentence's tokens and ids, then the
    padded id grid of all sentences with its mask.

    Inputs:

    - sentences: a list of N strings; the first is shown token by token
    - vocab: a rnn_course.datasets.Vocab (word level)

    Every token of every sentence is drawn: the grid has the shape (N, T) that
    ``pad_sequences`` gives the same ids. Time steps are numbered t = 1 ... T.
    Returns the Figure.
    """
    from ..datasets import word_tokenize
    from ..layers import length_mask, pad_sequences

    use_style()
    if isinstance(sentences, str) or len(sentences) == 0:
        raise ValueError("sentence_to_batch: sentences must be a non-empty list of strings")
    tokens = [word_tokenize(s) for s in sentences]
    ids, lengths = pad_sequences([vocab.encode(t) for t in tokens], pad_value=vocab.pad_id)
    mask = length_mask(lengths, ids.shape[1])
    N, T = ids.shape

    fig = plt.figure(figsize=(max(9.5, 1.6 + 0.95 * T), 3.2 + 0.42 * N))
    top = fig.add_axes([0.02, 0.55, 0.96, 0.43])
    top.set_xlim(-0.9, len(tokens[0]) + 0.1)
    top.set_ylim(0, 3.3)
    top.axis("off")
    top.text(-0.85, 2.95, f"“{sentences[0]}”", fontsize=11, style="italic", va="center")
    top.text(-0.85, 1.85, "tokens", fontsize=9, color="#868e96", va="center")
    top.text(-0.85, 0.85, "ids", fontsize=9, color="#868e96", va="center")
    for t, (tok, i) in enumerate(zip(tokens[0], ids[0])):
        box(top, t + 0.05, 1.55, 0.9, 0.6, tok, COLORS["input"], fontsize=9.5)
        top.annotate("", xy=(t + 0.5, 1.3), xytext=(t + 0.5, 1.55),
                     arrowprops=dict(arrowstyle="->", color="#868e96", lw=1))
        box(top, t + 0.15, 0.55, 0.7, 0.6, str(i), COLORS["light"], text_color=COLORS["text"],
             family="monospace")

    grid = fig.add_axes([0.08, 0.13, 0.62, 0.36])
    shade = np.where(mask, 1.0, 0.25)
    grid.imshow(shade, cmap="Blues", vmin=0, vmax=1.6, aspect="auto")
    for n in range(N):
        for t in range(T):
            grid.text(t, n, str(ids[n, t]), ha="center", va="center", fontsize=8.5, family="monospace",
                      color=COLORS["text"] if mask[n, t] else "#868e96")
    grid.set_xticks(range(T), [str(t + 1) for t in range(T)])
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
    return finish(fig)


def one_hot_vs_embedding(ids, V, E, tokens=None):
    """Two ways to turn ids into vectors, side by side: one-hot (T, V) and embedded (T, d).

    Inputs:

    - ids: (T,) ids of one sentence
    - V: the vocabulary size
    - E: (V, d) an embedding table
    - tokens: optional, the T tokens, to label the rows (else t = 1 ... T)

    The one-hot panel marks each row's single 1 with a bar at its column and
    writes the id beside it, so that no row is lost when V is in the thousands
    (an image of V columns would be resampled to a few hundred pixels).
    Returns the Figure.
    """
    use_style()
    ids = np.asarray(ids)
    E = np.asarray(E)
    if ids.ndim != 1 or ids.size == 0:
        raise ValueError(f"one_hot_vs_embedding: ids has shape {ids.shape}; expected (T,) with T >= 1")
    if E.ndim != 2 or E.shape[0] != V:
        raise ValueError(f"one_hot_vs_embedding: E has shape {E.shape}; expected (V, d) with V = {V}")
    if ids.min() < 0 or ids.max() >= V:
        raise ValueError(f"one_hot_vs_embedding: ids must lie in [0, V) = [0, {V})")
    T = len(ids)
    if tokens is not None and len(tokens) != T:
        raise ValueError(f"one_hot_vs_embedding: {len(tokens)} tokens for T = {T} ids")
    labels = list(tokens) if tokens is not None else [str(t + 1) for t in range(T)]
    emb = E[ids]
    fig, (a, b) = plt.subplots(1, 2, figsize=(9.5, 1.0 + 0.28 * T), gridspec_kw={"width_ratios": [2.2, 1]})
    a.set_xlim(-0.5, V - 0.5)
    a.set_ylim(T - 0.5, -0.5)
    a.set_facecolor(COLORS["light"])
    for t, k in enumerate(ids):
        a.plot([k, k], [t - 0.4, t + 0.4], color=COLORS["input"], lw=3, solid_capstyle="butt")
        right = k > 0.75 * V
        a.text(k + (-1 if right else 1) * 0.012 * V, t, str(int(k)), va="center", ha="right" if right else "left",
               fontsize=8.5, family="monospace", color=COLORS["input"])
    a.set_title(f"one-hot: (T, V) = ({T}, {V})", loc="left", fontsize=10.5)
    a.set_xlabel("vocabulary index: a single 1 per row, at the id written beside it")
    a.set_yticks(range(T), labels)
    a.set_ylabel("time step t" if tokens is None else "token")
    lim = np.abs(emb).max() or 1.0
    b.imshow(emb, cmap="PuOr", aspect="auto", vmin=-lim, vmax=lim, interpolation="nearest")
    b.set_title(f"embedded: (T, d) = {emb.shape}", loc="left", fontsize=10.5)
    b.set_xlabel("d numbers per token")
    b.set_yticks(range(T), labels)
    fig.tight_layout()
    return finish(fig)
