"""rnn_course.plots.recurrence: chapter 2's figures draw what they are given, all of it."""

import numpy as np
import pytest
from matplotlib.patches import Circle

from rnn_course.plots import recurrence
import figures


def test_feedforward_vs_recurrent_has_the_sizes_the_chapter_names():
    # Chapter 2 runs an MLP "with the sizes of the figure": 3 inputs, 4 hidden units, 2 outputs.
    left, right = recurrence.feedforward_vs_recurrent().axes
    for ax in (left, right):
        circles = [p for p in ax.patches if isinstance(p, Circle)]
        xs = sorted({round(c.center[0], 6) for c in circles})
        assert [sum(round(c.center[0], 6) == x for c in circles) for x in xs] == [3, 4, 2]
        assert figures.texts(ax).count("$f$") == 4
    assert any("back into the cell" in s for s in figures.texts(right))
    assert not any("back" in s for s in figures.texts(left))


def _curves(K=40):
    d = np.arange(K)
    return d, {"MLP, w = 5": np.where(d < 5, 1.0, 0.5), "MLP, w = 20": np.where(d < 20, 1.0, 0.5),
               "RNN": np.ones(K)}


def test_accuracy_by_distance_draws_every_curve_with_its_data():
    d, curves = _curves()
    ax = recurrence.accuracy_by_distance(d, curves, windows=(5, 20), train_max_len=20).axes[0]
    lines = [ln for ln in ax.get_lines() if ln.get_label() in curves]
    assert [ln.get_label() for ln in lines] == list(curves)
    for ln, acc in zip(lines, curves.values()):
        assert np.array_equal(ln.get_xdata(), d) and np.array_equal(ln.get_ydata(), acc)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == list(curves)
    # a dotted line where each window ends (w - 1 is the last distance it sees), in its curve's colour
    dotted = [ln for ln in ax.get_lines() if ln.get_linestyle() == ":"]
    assert [ln.get_xdata()[0] for ln in dotted] == [4.5, 19.5]
    assert [ln.get_color() for ln in dotted] == [ln.get_color() for ln in lines[:2]]
    assert "window $w = 5$ ends" in figures.texts(ax) and "window $w = 20$ ends" in figures.texts(ax)
    # chance at 0.5, the shaded region from train_max_len on, and the whole distance range shown
    dashed = [ln for ln in ax.get_lines() if ln.get_linestyle() == "--"]
    assert len(dashed) == 1 and np.allclose(dashed[0].get_ydata(), 0.5)
    span = ax.patches[0]                               # axvspan: a Rectangle (a Polygon before matplotlib 3.9)
    x0 = span.get_x() if hasattr(span, "get_x") else np.min(np.asarray(span.get_xy())[:, 0])
    assert np.isclose(x0, 19.5) and len(ax.patches) == 1
    assert ax.get_xlim() == (-0.5, 39.5)


def test_accuracy_by_distance_keeps_low_accuracies_and_many_curves_in_view():
    d = np.arange(10)
    curves = {f"model {i}": np.full(10, 0.1 * i) for i in range(7)}   # more curves than colours; one at 0
    ax = recurrence.accuracy_by_distance(d, curves).axes[0]
    drawn = [ln for ln in ax.get_lines() if ln.get_label() in curves]
    assert len(drawn) == 7
    assert ax.get_ylim()[0] < 0.0                     # the curve at accuracy 0 is not cut off
    assert len({ln.get_color() for ln in drawn}) == 5  # the palette repeats rather than dropping curves


def test_accuracy_by_distance_errors():
    with pytest.raises(ValueError, match=r"curve 'a' has shape \(3,\); expected \(K,\) = \(4,\)"):
        recurrence.accuracy_by_distance(np.arange(4), {"a": [1, 1, 1]})
    with pytest.raises(ValueError, match="2 windows for 1 curves"):
        recurrence.accuracy_by_distance(np.arange(4), {"a": [1, 1, 1, 1]}, windows=(1, 2))


@pytest.mark.parametrize("T", [2, 4, 6])
def test_shared_vs_separate_weights_draws_T_positions_and_one_more(T):
    ax = recurrence.shared_vs_separate_weights(T=T).axes[0]
    texts = figures.texts(ax)
    assert [f"$W^{{({t})}}$" in texts for t in range(1, T + 1)] == [True] * T   # one block per position
    assert f"$W^{{({T + 1})}}$?" in texts                                     # the one that does not exist
    assert sum(s == f"$x_{{{t}}}$" for s in texts for t in range(1, T + 2)) == 2 * T + 2  # MLP and RNN rows
    assert texts.count("cell") == T + 1
    assert texts.count("$W_x$") == T + 1 and texts.count("$W_h$") == T
    assert f"MLP over $T = {T}$ inputs" in " ".join(texts)
