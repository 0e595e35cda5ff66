"""Figures of chapter 5 (Topologies): the shapes of RNN models, a
sentence coloured by its predicted tags, digits with their captions, and a
time series with its forecasts."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Patch

from ._style import COLORS, box, finish, use_style

TAG_COLORS = {"PER": COLORS["hidden"], "LOC": COLORS["input"], "DATE": COLORS["extra"], "O": "#dee2e6"}


def _chain(ax, x0, n, inputs, outputs, label, title):
    """One topology: n cells in a row; inputs/outputs are sets of step indices."""
    dx = 0.95
    for t in range(n):
        x = x0 + t * dx
        box(ax, x, 1.0, 0.7, 0.55, "", COLORS["hidden"])
        if t in inputs:
            box(ax, x + 0.12, 0.0, 0.46, 0.42, "", COLORS["input"])
            ax.annotate("", xy=(x + 0.35, 1.0), xytext=(x + 0.35, 0.42),
                        arrowprops=dict(arrowstyle="-|>", color="#495057", lw=1.2))
        if t in outputs:
            box(ax, x + 0.12, 2.15, 0.46, 0.42, "", COLORS["output"])
            ax.annotate("", xy=(x + 0.35, 2.15), xytext=(x + 0.35, 1.55),
                        arrowprops=dict(arrowstyle="-|>", color="#495057", lw=1.2))
        if t + 1 < n:
            ax.annotate("", xy=(x + dx, 1.27), xytext=(x + 0.7, 1.27),
                        arrowprops=dict(arrowstyle="-|>", color=COLORS["hidden"], lw=1.6))
    ax.text(x0 + (n * dx - 0.25) / 2, 3.0, title, ha="center", fontsize=10.5, weight="bold")
    ax.text(x0 + (n * dx - 0.25) / 2, -0.45, label, ha="center", fontsize=8.8, color="#495057", style="italic")


def shapes():
    """The note's image 24, redrawn: one-to-many, many-to-one, many-to-many
    (aligned) and many-to-many (encoder-decoder); inputs blue, outputs green."""
    use_style()
    fig, ax = plt.subplots(figsize=(13, 3.2))
    ax.axis("off")
    _chain(ax, 0.0, 3, {0}, {0, 1, 2}, "image captioning", "one-to-many")
    _chain(ax, 3.4, 4, {0, 1, 2, 3}, {3}, "sentiment, spam", "many-to-one")
    _chain(ax, 7.8, 4, {0, 1, 2, 3}, {0, 1, 2, 3}, "named-entity tagging", "many-to-many, aligned")
    _chain(ax, 12.2, 6, {0, 1, 2}, {3, 4, 5}, "translation, chatbots, dates", "many-to-many, encoder-decoder")
    ax.set_xlim(-0.2, 12.2 + 6 * 0.95)
    ax.set_ylim(-0.75, 3.3)
    ax.legend(handles=[Patch(color=COLORS["input"], label="input"), Patch(color=COLORS["hidden"], label="RNN cell"),
                       Patch(color=COLORS["output"], label="output")],
              loc="upper center", bbox_to_anchor=(0.5, 0.02), ncol=3, frameon=False, fontsize=8.5)
    return finish(fig)


def tagged_sentences(examples, max_sentences=None):
    """Sentences coloured by tag (the note's image 26, redrawn with real predictions).

    Inputs:

    - examples: a list of (tokens, gold tags, predicted tags), three lists of
      the same length T_n per sentence
    - max_sentences: draw only the first this many (None: all of them)

    Each token is a box coloured by its *predicted* tag, which is written
    above it unless it is O; a token whose prediction is wrong is outlined in
    red with "gold <tag>" under it. Returns the Figure.
    """
    fn = "tagged_sentences"
    examples = list(examples)
    if max_sentences is not None:
        if isinstance(max_sentences, bool) or not isinstance(max_sentences, (int, np.integer)) or max_sentences < 1:
            raise ValueError(f"{fn}: max_sentences must be a positive integer or None, got {max_sentences!r}")
        examples = examples[:max_sentences]
    if not examples:
        raise ValueError(f"{fn}: examples is empty; pass at least one (tokens, gold, predicted)")
    for n, (tokens, gold, pred) in enumerate(examples):
        if not len(tokens) == len(gold) == len(pred):
            raise ValueError(f"{fn}: sentence {n} has {len(tokens)} tokens, {len(gold)} gold tags and "
                             f"{len(pred)} predicted tags; expected one tag of each per token")
    use_style()
    fig, ax = plt.subplots(figsize=(11, 0.85 * len(examples) + 0.7))
    ax.axis("off")
    y = 0.0
    width = 0.0
    for tokens, gold, pred in examples:
        x = 0.0
        for tok, g, p in zip(tokens, gold, pred):
            w = 0.14 + 0.085 * len(tok)
            color = TAG_COLORS.get(p, "#dee2e6")
            box(ax, x, y, w, 0.42, tok, color, text_color="white" if p != "O" else "#212529", fontsize=9.5)
            if p != "O":
                ax.text(x + w / 2, y + 0.5, p, ha="center", fontsize=7.5, color=color, weight="bold")
            if p != g:
                ax.add_patch(plt.Rectangle((x - 0.02, y - 0.04), w + 0.04, 0.5, fill=False,
                                           edgecolor=COLORS["accent"], lw=1.8))
                ax.text(x + w / 2, y - 0.17, f"gold {g}", ha="center", fontsize=7, color=COLORS["accent"])
            x += w + 0.06
        width = max(width, x)
        y -= 0.95
    ax.set_xlim(-0.1, width + 0.1)
    ax.set_ylim(y + 0.6, 0.75)
    ax.legend(handles=[Patch(color=c, label=t) for t, c in TAG_COLORS.items()], loc="lower right",
              bbox_to_anchor=(1.0, 1.0), ncol=4, frameon=False, fontsize=8.5)
    return finish(fig)


def captioned_digits(images, captions, truth, n=None):
    """One-to-many in pictures: 8x8 digit images with the caption the model wrote.

    Inputs:

    - images: (N, 8, 8) in [0, 1], e.g. ``load_digits().test.images[:12]``
    - captions, truth: N strings each, the model's caption and the true one
    - n: draw only the first n images (None: all N), six to a row

    Each image is titled with its caption in quotes; a wrong caption is red,
    with "(true: <word>)" under it. Returns the Figure.
    """
    fn = "captioned_digits"
    images = np.asarray(images)
    if images.ndim != 3 or len(images) == 0:
        raise ValueError(f"{fn}: images has shape {images.shape}; expected (N, H, W) with N >= 1")
    if not len(captions) == len(truth) == len(images):
        raise ValueError(f"{fn}: got {len(images)} images, {len(captions)} captions and {len(truth)} true "
                         f"words; expected one caption and one true word per image")
    if n is None:
        n = len(images)
    elif isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 1 <= n <= len(images):
        raise ValueError(f"{fn}: n must be None or an integer from 1 to N = {len(images)}, got {n!r}")
    use_style()
    cols = min(n, 6)
    rows = (n + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(1.55 * cols, 1.85 * rows), squeeze=False)
    for k, ax in enumerate(axes.flat):
        ax.axis("off")
        if k >= n:
            continue
        ax.imshow(images[k], cmap="Greys", vmin=0, vmax=1, interpolation="nearest")
        right = captions[k] == truth[k]
        ax.set_title(f"“{captions[k]}”" + ("" if right else f"\n(true: {truth[k]})"), fontsize=9.5,
                     color=COLORS["text"] if right else COLORS["accent"])
    fig.tight_layout()
    return finish(fig)


# Line styles of series_forecast's forecasts, in order: the model, then the baselines.
_FORECAST_STYLES = [dict(color=COLORS["output"], lw=2.0, marker="o", ms=3.5),
                    dict(color=COLORS["extra"], lw=1.6, ls="--"),
                    dict(color=COLORS["hidden"], lw=1.4, ls=":"),
                    dict(color=COLORS["accent"], lw=1.4, ls="-.")]
_SPLIT_NAMES = ("train", "validation", "test")


def series_forecast(years, values, predicted=None, split_year=None, title=None, ylabel="sunspot number"):
    """A yearly series as a line, optionally with forecasts of it and the split boundaries.

    Inputs:

    - years: (T,) the years, one per time step (any increasing numbers)
    - values: (T,) the true values, drawn as a dark line
    - predicted: None, a (T,) array of forecasts for the same years (labelled
      "forecast"), or a dict {label: (T,) array}, drawn in order in green,
      then purple dashed, orange dotted, red dash-dotted; at most 4
    - split_year: None, a year, or a few increasing years where a new split
      of the data begins (e.g. (1940, 1974) for validation and test): each
      gets a vertical line, and the spans are labelled "train",
      "validation", "test" (or "train", "test" for one year)
    - title: an optional title; ylabel: the y-axis label

    Returns the Figure.
    """
    fn = "series_forecast"
    years = np.asarray(years, dtype=float)
    values = np.asarray(values, dtype=float)
    if years.ndim != 1 or values.shape != years.shape or len(years) < 2:
        raise ValueError(f"{fn}: years and values must be two (T,) arrays of the same length T >= 2, got shapes "
                         f"{years.shape} and {values.shape}")
    if np.any(np.diff(years) <= 0):
        raise ValueError(f"{fn}: years must increase")
    if predicted is None:
        predicted = {}
    elif not isinstance(predicted, dict):
        predicted = {"forecast": predicted}
    if len(predicted) > len(_FORECAST_STYLES):
        raise ValueError(f"{fn}: at most {len(_FORECAST_STYLES)} forecasts fit one figure, got {len(predicted)}")
    lines = {}
    for label, p in predicted.items():
        p = np.asarray(p, dtype=float)
        if p.shape != years.shape:
            raise ValueError(f"{fn}: predicted[{label!r}] has shape {p.shape}; expected (T,) = {years.shape}, "
                             f"one forecast per year")
        lines[str(label)] = p
    splits = [] if split_year is None else [float(y) for y in np.atleast_1d(split_year)]
    if len(splits) > 2 or np.any(np.diff(splits) <= 0) or any(not years[0] < y <= years[-1] for y in splits):
        raise ValueError(f"{fn}: split_year must be one year or two increasing years inside "
                         f"({years[0]:g}, {years[-1]:g}], got {split_year!r}")

    use_style()
    fig, ax = plt.subplots(figsize=(10, 3.4))
    ax.plot(years, values, color=COLORS["text"], lw=1.3 if lines else 1.1, label="true" if lines else None)
    for (label, p), style in zip(lines.items(), _FORECAST_STYLES):
        ax.plot(years, p, label=label, **style)
    if splits:
        names = _SPLIT_NAMES if len(splits) == 2 else ("train", "test")
        edges = [years[0], *splits, years[-1]]
        for k, y in enumerate(splits):
            ax.axvline(y - 0.5, color="#868e96", lw=1.0, ls="--")
            if k == len(splits) - 1:
                ax.axvspan(y - 0.5, years[-1] + 0.5, color=COLORS["light"], zorder=0)
        top = np.max(values) * 1.08
        for name, a, b in zip(names, edges[:-1], edges[1:]):
            ax.text((a + b) / 2, top, name, ha="center", va="bottom", fontsize=9, color="#495057")
        ax.set_ylim(top=np.max(values) * 1.2)
    ax.set_xlim(years[0] - 0.5, years[-1] + 0.5)
    ax.set_xlabel("year")
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    if lines:
        if not splits:  # room for the legend above the highest line
            ax.set_ylim(top=max(np.max(values), *(np.max(p) for p in lines.values())) * 1.18)
        ax.legend(frameon=False, fontsize=8.5, ncol=len(lines) + 1, loc="upper right")
    fig.tight_layout()
    return finish(fig)
