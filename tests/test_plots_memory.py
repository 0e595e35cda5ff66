"""rnn_course.plots.memory: chapter 3's figures draw what they are given, all of it."""

import numpy as np
import pytest

from rnn_course.plots import memory
import figures


@pytest.mark.parametrize("T", [2, 4, 6])
def test_unrolled_rnn_draws_T_copies_of_one_cell(T):
    ax = memory.unrolled_rnn(T=T).axes[0]
    texts = figures.texts(ax)
    assert texts.count("RNN\ncell") == T + 1                     # the folded cell and T copies
    steps = [str(t) for t in range(1, T)] + ["T"]
    for letter in "xy":
        assert [f"${letter}_{{{s}}}$" in texts for s in steps] == [True] * T
    # the arrows between copies carry h_1, h_2, ...; from T = 4 on, the last arrow, marked with dots,
    # stands for the steps between T - 1 and T
    assert "$h_0$" in texts and "$h_{t-1}$" in texts
    last = T - 1 if T > 3 else T
    assert [f"$h_{{{t}}}$" in texts for t in range(1, last)] == [True] * (last - 1)
    assert ("$\\cdots$" in texts) == (T > 3)
    assert any("the same weights" in s for s in texts)


def test_hidden_state_heatmap_shows_every_step_and_unit():
    rng = np.random.default_rng(0)
    T, D = 9, 12
    h = np.tanh(rng.normal(size=(T, D)))
    tokens = [f"tok{t}" for t in range(T)]
    fig = memory.hidden_state_heatmap(tokens, h, title="a title")
    ax = fig.axes[0]
    image = ax.get_images()[0]
    assert np.array_equal(image.get_array(), h.T)                # units are rows, steps are columns
    assert image.get_clim() == (-1, 1)
    assert [t.get_text() for t in ax.get_xticklabels()] == [f"{t}: tok{t - 1}" for t in range(1, T + 1)]
    assert list(ax.get_yticks()) == list(range(D))               # every unit labelled when D <= 16
    assert ax.get_ylabel() == f"hidden unit (D = {D})"
    assert ax.get_title(loc="left") == "a title"


def test_hidden_state_heatmap_labels_a_subset_of_many_units_but_draws_them_all():
    h = np.zeros((3, 64))
    ax = memory.hidden_state_heatmap(["a", "b", "c"], h).axes[0]
    assert ax.get_images()[0].get_array().shape == (64, 3)
    assert list(ax.get_yticks()) == list(range(0, 64, 8))


def test_hidden_state_heatmap_errors():
    with pytest.raises(ValueError, match="2 tokens for T = 3 states"):
        memory.hidden_state_heatmap(["a", "b"], np.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"expected \(T, D\)"):
        memory.hidden_state_heatmap(["a"], np.zeros(4))
    with pytest.raises(ValueError, match=r"outside \[-1, 1\]"):
        memory.hidden_state_heatmap(["a"], np.full((1, 2), 1.5))


def test_influence_over_time_draws_every_curve_with_its_data():
    T = 9
    curves = {f"W_h scaled to spectral radius {s}": 3.0 * s ** np.arange(T) for s in (0.25, 0.5, 1.0, 1.5, 2.0, 3.0)}
    tokens = [f"w{t}" for t in range(T)]
    ax = memory.influence_over_time(curves, tokens=tokens).axes[0]
    lines = ax.get_lines()
    assert [ln.get_label() for ln in lines] == list(curves)     # six curves: none dropped
    for ln, values in zip(lines, curves.values()):
        assert np.array_equal(ln.get_xdata(), np.arange(1, T + 1)) and np.allclose(ln.get_ydata(), values)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == list(curves)
    assert [t.get_text() for t in ax.get_xticklabels()] == [f"{t}: w{t - 1}" for t in range(1, T + 1)]
    assert ax.get_yscale() == "log"
    lo, hi = ax.get_ylim()
    values = np.concatenate(list(curves.values()))
    assert lo <= values.min() and hi >= values.max()              # nothing outside the axes
    assert len({(ln.get_color(), ln.get_linestyle()) for ln in lines}) == len(curves)


def test_influence_over_time_errors():
    with pytest.raises(ValueError, match="one length"):
        memory.influence_over_time({"a": [1.0, 0.5], "b": [1.0, 0.5, 0.25]})
    with pytest.raises(ValueError, match="3 tokens for curves of T = 2"):
        memory.influence_over_time({"a": [1.0, 0.5]}, tokens=["x", "y", "z"])
    with pytest.raises(ValueError, match="positive and finite"):
        memory.influence_over_time({"a": [1.0, 0.0]})


def _unit_panels():
    rng = np.random.default_rng(1)
    n, T = 5, 12
    marker_steps = np.array([3, 0, 7, 12, 0])
    t = np.arange(1, T + 1)
    on = t[None, :] >= marker_steps[:, None]
    latched = np.where((marker_steps[:, None] > 0) & on, 0.9, -0.9) + 0.05 * rng.uniform(-1, 1, (n, T))
    untrained = 0.3 * np.tanh(rng.normal(size=(n, T)))
    return {"untrained: unit 4": untrained, "trained: unit 11": latched}, marker_steps, T


def test_unit_around_marker_draws_every_sequence_and_dots_the_marker_steps():
    panels, marker_steps, T = _unit_panels()
    fig = memory.unit_around_marker(panels, marker_steps, ylabel="unit's h_t")
    axes = fig.axes
    assert [ax.get_title(loc="left") for ax in axes] == list(panels)
    assert axes[0].get_ylabel() == "unit's h_t"
    marked = np.flatnonzero(marker_steps)
    for ax, h in zip(axes, panels.values()):
        lines = [ln for ln in ax.get_lines() if len(ln.get_xdata()) == T]
        dots = [ln for ln in ax.get_lines() if len(ln.get_xdata()) == 1]
        assert len(lines) == len(h)                               # one line per sequence, none dropped
        for ln, row in zip(lines, h):
            assert np.array_equal(ln.get_xdata(), np.arange(1, T + 1)) and np.array_equal(ln.get_ydata(), row)
        # one dot per marked sequence, at its marker step and on its own line, in its line's colour
        assert len(dots) == len(marked)
        for dot, i in zip(dots, marked):
            assert list(dot.get_xdata()) == [marker_steps[i]]
            assert list(dot.get_ydata()) == [h[i, marker_steps[i] - 1]]
            assert dot.get_color() == lines[i].get_color()
        # marked sequences solid, unmarked dashed and grey; one colour per marked sequence, the same in every panel
        assert [ln.get_linestyle() for ln in lines] == ["-" if s else "--" for s in marker_steps]
        assert len({lines[i].get_color() for i in marked}) == len(marked)
        assert ax.get_ylim() == (-1.05, 1.05)
    first = [ln.get_color() for ln in axes[0].get_lines()]
    assert all([ln.get_color() for ln in ax.get_lines()] == first for ax in axes)
    legend = fig.legends[0]
    assert [t.get_text() for t in legend.get_texts()] == ["with the marker", "step that reads the marker",
                                                          "without the marker"]
    # the legend's marked line and dot stand for every marked sequence: not drawn in any one sequence's colour
    sequence_colors = {ln.get_color() for ln in axes[0].get_lines()}
    keys = legend.legend_handles if hasattr(legend, "legend_handles") else legend.legendHandles
    assert [k.get_color() for k in keys[:2]] == ["#212529", "#212529"]
    assert not {k.get_color() for k in keys[:2]} & sequence_colors
    assert keys[0].get_linestyle() == "-" and keys[1].get_marker() == "o" and keys[2].get_linestyle() == "--"


def test_unit_around_marker_legend_lists_only_what_is_drawn():
    panels, marker_steps, T = _unit_panels()
    fig = memory.unit_around_marker({"a": panels["trained: unit 11"][[0, 2]]}, marker_steps[[0, 2]])
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["with the marker", "step that reads the marker"]
    fig = memory.unit_around_marker({"a": panels["trained: unit 11"][[1]]}, marker_steps[[1]])
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["without the marker"]
    assert len(fig.axes[0].get_lines()) == 2                       # the sequence and the zero line


def test_unit_around_marker_errors():
    panels, marker_steps, T = _unit_panels()
    with pytest.raises(ValueError, match="one shape"):
        memory.unit_around_marker({"a": np.zeros((5, T)), "b": np.zeros((5, T - 1))}, marker_steps)
    with pytest.raises(ValueError, match=r"expected \(N,\) = \(5,\) integers"):
        memory.unit_around_marker(panels, marker_steps[:4])
    with pytest.raises(ValueError, match=r"expected \(N,\) = \(5,\) integers"):
        memory.unit_around_marker(panels, marker_steps.astype(float))
    with pytest.raises(ValueError, match=r"1 \.\.\. T = 12"):
        memory.unit_around_marker(panels, [3, 0, 7, 13, 0])
    with pytest.raises(ValueError, match=r"in \[-1, 1\]"):
        memory.unit_around_marker({"a": np.full((5, T), 1.5)}, marker_steps)
    with pytest.raises(ValueError, match="non-empty dict"):
        memory.unit_around_marker({}, marker_steps)
