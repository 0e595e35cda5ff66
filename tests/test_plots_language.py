"""The language-model figures (rnn_course.plots.language): what they draw, and
the sentences they raise on bad input."""

import matplotlib
import numpy as np
import pytest
from matplotlib.colors import to_rgba
from matplotlib.patches import Rectangle

from rnn_course import plots
from rnn_course.plots.language import NEWLINE, learning_curve, unit_heatmap

matplotlib.use("Agg")


def _cells(fig):
    ax = fig.axes[0]
    rects = [p for p in ax.patches if isinstance(p, Rectangle)]
    texts = [t.get_text() for t in ax.texts]
    return ax, rects, texts


def test_exported_from_the_package():
    assert plots.language.unit_heatmap is unit_heatmap and "language" in plots.__all__


def test_unit_heatmap_draws_one_coloured_cell_per_character():
    text = "ab c\nde"
    acts = np.array([-1.0, -0.5, 0.0, 0.5, 1.0, 0.9, -0.9])
    fig = unit_heatmap(text, acts, width=3, title="unit 7")
    ax, rects, texts = _cells(fig)
    assert texts == ["a", "b", " ", "c", NEWLINE, "d", "e"]
    # rows: "ab " (width 3), "c↵" (a newline ends its row), "de"
    assert [(r.get_x(), r.get_y()) for r in rects] == [(0, 0), (1, 0), (2, 0), (0, 1), (1, 1), (0, 2), (1, 2)]
    assert ax.get_ylim() == (3, 0) and ax.get_title(loc="left") == "unit 7"
    colors = np.array([r.get_facecolor() for r in rects])
    assert np.allclose(colors, matplotlib.colormaps["RdBu_r"]((acts + 1) / 2))  # -1 .. 1 over the whole map
    assert colors[0][2] > colors[0][0] + 0.2 and colors[4][0] > colors[4][2] + 0.2  # -1 blue, +1 red
    assert np.allclose(colors[2][:3], 1, atol=0.05)  # 0 white
    assert len(fig.axes) == 2 and fig.axes[1].get_ylabel() == "activation"  # the colour bar


def test_unit_heatmap_writes_light_text_on_dark_cells():
    fig = unit_heatmap("xy", np.array([1.0, 0.0]))
    colors = [to_rgba(t.get_color()) for t in fig.axes[0].texts]
    assert colors[0] == to_rgba("white") and colors[1] != to_rgba("white")


@pytest.mark.parametrize("args, words", [
    (("", np.zeros(0)), "text must be a non-empty str"),
    (("abc", np.zeros(2)), r"activations has shape \(2,\); expected \(L,\) = \(3,\)"),
    (("abc", np.zeros((3, 2))), r"expected \(L,\) = \(3,\)"),
])
def test_unit_heatmap_rejects_bad_input(args, words):
    with pytest.raises(ValueError, match=words):
        unit_heatmap(*args)
    with pytest.raises(ValueError, match="width must be a positive integer"):
        unit_heatmap("abc", np.zeros(3), width=0)


def test_learning_curve_draws_training_validation_and_baseline():
    train = np.linspace(4, 2, 200)
    fig = learning_curve(train, [0, 100, 200], [4.3, 2.5, 2.1], baseline=3.1, smooth=10, title="run")
    ax = fig.axes[0]
    lines = ax.get_lines()
    assert len(lines) == 3
    smoothed, val, base = lines
    assert len(smoothed.get_xdata()) == 191 and smoothed.get_xdata()[0] == 10
    assert list(val.get_xdata()) == [0, 100, 200] and list(val.get_ydata()) == [4.3, 2.5, 2.1]
    assert list(base.get_ydata()) == [3.1, 3.1] and base.get_linestyle() == "--"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["training loss (moving average of 10 steps)", "validation loss", "unigram baseline (3.10)"]
    assert ax.get_ylabel() == "loss (nats per character)" and ax.get_title(loc="left") == "run"
    low, high = ax.get_ylim()
    assert low < 2.0 and high > 4.3


@pytest.mark.parametrize("args, kwargs, words", [
    (([], [0], [1.0], 3.0), {}, "train_losses must be a non-empty list"),
    (([1.0, 2.0], [0, 1], [1.0], 3.0), {}, "the same length"),
    (([1.0, 2.0], [0], [1.0], 3.0), {"smooth": 0}, "smooth must be a positive integer"),
    (([1.0, 2.0], [0], [1.0], float("nan")), {}, "baseline must be a finite number"),
])
def test_learning_curve_rejects_bad_input(args, kwargs, words):
    with pytest.raises(ValueError, match=words):
        learning_curve(*args, **kwargs)


def test_learning_curve_labels_the_smoothing_it_used_and_keeps_every_point():
    # fewer steps than the requested window: the label names the window actually used
    fig = learning_curve([3.0, 2.0, 1.0], [0, 1, 2, 3], [4.0, 3.5, 2.5, 2.0], baseline=3.2, smooth=25)
    ax = fig.axes[0]
    smoothed, val, _ = ax.get_lines()
    assert list(smoothed.get_xdata()) == [3] and smoothed.get_ydata() == pytest.approx([2.0])
    assert ax.get_legend().get_texts()[0].get_text() == "training loss (moving average of 3 steps)"
    assert len(val.get_xdata()) == 4                       # every validation point is drawn
    low, high = ax.get_ylim()
    assert low < 2.0 and high > 4.0                        # and none is outside the axes


def test_unit_heatmap_draws_every_character_of_a_long_passage():
    text = "word " * 120 + "\n" + "x" * 70                  # 671 characters, rows of 64
    fig = unit_heatmap(text, np.linspace(-1, 1, len(text)))
    ax, rects, texts = _cells(fig)
    assert len(rects) == len(texts) == len(text)
    assert "".join(texts).replace(NEWLINE, "\n") == text
    assert ax.get_ylim()[0] == 12       # 9 rows of 64, a row of 24 + the newline, then rows of 64 and 6
