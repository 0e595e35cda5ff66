"""rnn_course.plots.gates: the figures of chapter 8, tested for what they draw."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Circle, FancyBboxPatch, Rectangle  # noqa: E402

from rnn_course import plots  # noqa: E402
from rnn_course.plots import gates  # noqa: E402


def _texts(fig):
    return [t.get_text() for ax in fig.axes for t in ax.texts]


def _ops(fig):
    """The pointwise operations: circles, by the symbol written in them."""
    ax = fig.axes[0]
    centres = [p.center for p in ax.patches if isinstance(p, Circle)]
    return sorted(t.get_text() for t in ax.texts if tuple(t.get_position()) in {tuple(c) for c in centres})


def _boxes(fig):
    """The labelled boxes (gates, tanh, projections), by the text written in them."""
    ax = fig.axes[0]
    out = []
    for p in ax.patches:
        if isinstance(p, FancyBboxPatch) and p.get_facecolor()[:3] != matplotlib.colors.to_rgb(
                plots.COLORS["light"]):
            x, y = p.get_x() + p.get_width() / 2, p.get_y() + p.get_height() / 2
            out += [t.get_text() for t in ax.texts if np.allclose(t.get_position(), (x, y))]
    return sorted(out)


def test_exported_from_the_package():
    assert plots.gates is gates
    assert "gates" in plots.__all__


def test_lstm_cell_draws_four_gates_and_the_cell_state_path():
    fig = gates.lstm_cell()
    assert isinstance(fig, Figure)
    # i, f, o are sigmoids, g and tanh(c_t) are tanh boxes
    assert _boxes(fig) == sorted([r"$\sigma$"] * 3 + ["tanh"] * 2)
    # f * c_{t-1}, + i*g, i * g, o * tanh(c_t)
    assert _ops(fig) == sorted(["×", "+", "×", "×"])
    texts = _texts(fig)
    for label in ("$c_{t-1}$", "$c_t$", "$h_{t-1}$", "$h_t$", "$x_t$", "$i$", "$f$", "$g$", "$o$"):
        assert label in texts, label
    assert not any("$r$" == t or "$z$" == t for t in texts)


def test_gru_cell_draws_reset_update_and_pytorch_reset_placement():
    fig = gates.gru_cell()
    assert _boxes(fig) == sorted([r"$\sigma$"] * 2 + ["tanh", "$W_{hn} h_{t-1} + b_{hn}$"])
    # z * h_{t-1}, + (1-z) n, r * (W_hn h + b_hn), + W_in x + b_in, 1 - z, (1-z) * n
    assert _ops(fig) == sorted(["×", "+", "×", "+", "1−", "×"])
    texts = _texts(fig)
    for label in ("$h_{t-1}$", "$h_t$", "$x_t$", "$r$", "$z$", "$n$", "$W_{in} x_t + b_{in}$"):
        assert label in texts, label
    assert not any("c_" in t for t in texts), "a GRU has no cell state"


@pytest.mark.parametrize("cell,G,letters", [("lstm", 4, "ifgo"), ("gru", 3, "rzn")])
@pytest.mark.parametrize("d,D", [(3, 2), (1, 4)])
def test_stacked_weights_draws_one_square_per_number_in_gate_order(cell, G, letters, d, D):
    fig = gates.stacked_weights(cell, d=d, D=D)
    ax = fig.axes[0]
    squares = [p for p in ax.patches if isinstance(p, Rectangle) and not isinstance(p, FancyBboxPatch)]
    assert len(squares) == G * D * (d + D + 2)  # weight_ih (GD, d), weight_hh (GD, D), two (GD,) biases
    texts = _texts(fig)
    for name in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"):
        assert any(t.startswith(name) and f"{G}D" in t for t in texts), name
    # the row labels of the first array, top to bottom, are the gates in PyTorch's order
    row_labels = [t for t in ax.texts if t.get_text() in {f"${c}$" for c in letters}]
    row_labels.sort(key=lambda t: -t.get_position()[1])
    assert "".join(t.get_text().strip("$") for t in row_labels) == letters
    # each gate's block is one colour, and the gates' colours differ
    colours = {tuple(np.round(p.get_facecolor(), 3)) for p in squares}
    assert len(colours) == G


@pytest.mark.parametrize("kwargs,error", [
    (dict(cell="rnn"), ValueError), (dict(d=0), ValueError), (dict(D=9), ValueError),
    (dict(D=2.5), ValueError), (dict(d=True), ValueError)])
def test_stacked_weights_rejects_bad_arguments(kwargs, error):
    with pytest.raises(error, match="cell must be|must be a whole number"):
        gates.stacked_weights(**kwargs)


def test_memory_gradients_draws_one_line_per_curve_rnn_dashed_log_scale():
    curves = {"RNN: ||dh_T/dh_t||": 0.5 ** np.arange(11), "LSTM, b_f = 2": 0.99 ** np.arange(11),
              "GRU": 0.9 ** np.arange(11)}
    fig = gates.memory_gradients(curves, title="norms")
    ax = fig.axes[0]
    assert len(ax.lines) == 3
    assert [line.get_label() for line in ax.lines] == list(curves)
    assert [line.get_linestyle() for line in ax.lines] == ["--", "-", "-"]
    np.testing.assert_allclose(ax.lines[1].get_ydata(), 0.99 ** np.arange(11))
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), np.arange(11))
    assert ax.get_yscale() == "log"
    assert ax.get_title(loc="left") == "norms"
    assert "distance" in ax.get_xlabel()


def test_memory_gradients_rejects_bad_curves():
    with pytest.raises(TypeError, match="non-empty dict"):
        gates.memory_gradients({})
    with pytest.raises(TypeError, match="non-empty dict"):
        gates.memory_gradients([1.0, 0.5])
    with pytest.raises(ValueError, match=r"expected \(K,\)"):
        gates.memory_gradients({"LSTM": np.ones((2, 3))})


def test_accuracy_by_init_draws_every_init_in_its_panel_with_the_seed_means():
    delays = [5, 10, 20]
    rng = np.random.default_rng(0)
    groups = {"RNN": {"PyTorch init": rng.uniform(size=(3, 3)), "orthogonal": rng.uniform(size=(3, 3))},
              "LSTM": {"PyTorch init": rng.uniform(size=(3, 3)), "forget bias 1": rng.uniform(size=(3, 3)),
                       "±3": rng.uniform(size=(3, 3))},
              "GRU": {"one seed": rng.uniform(size=3)}}
    fig = gates.accuracy_by_init(groups, delays, chance=0.125)
    assert len(fig.axes) == 3
    assert [ax.get_title(loc="left") for ax in fig.axes] == ["RNN", "LSTM", "GRU"]
    for ax, inits in zip(fig.axes, groups.values()):
        solid = [ln for ln in ax.get_lines() if ln.get_linestyle() == "-"]
        assert len(solid) == len(inits)  # no init dropped
        for line, acc in zip(solid, inits.values()):
            assert np.allclose(line.get_xdata(), delays)
            assert np.allclose(line.get_ydata(), np.atleast_2d(acc).mean(axis=0))
        dots = sum(len(c.get_offsets()) for c in ax.collections)
        assert dots == sum(np.atleast_2d(a).size for a in inits.values() if np.atleast_2d(a).shape[0] > 1)
        dashed = [ln for ln in ax.get_lines() if ln.get_linestyle() == "--"]
        assert len(dashed) == 1 and np.allclose(dashed[0].get_ydata(), 0.125)
        labels = [t.get_text() for t in ax.get_legend().get_texts()]
        assert labels == list(inits) + ["chance (0.125)"]
        assert [float(t) for t in ax.get_xticks()] == delays
    assert "mean over seeds" in fig.axes[0].get_ylabel()  # 3 seeds in some panels, 1 in another
    # one colour per start across the panels: the same label, the same colour; different labels differ
    colour = {}
    for ax in fig.axes:
        for line in ax.get_lines():
            if line.get_linestyle() == "-":
                colour.setdefault(line.get_label(), set()).add(line.get_color())
    assert all(len(c) == 1 for c in colour.values()), colour
    assert len({c.pop() for c in colour.values()}) == len(colour)


def test_accuracy_by_init_names_the_seed_count_and_rejects_bad_input():
    fig = gates.accuracy_by_init({"LSTM": {"a": np.ones((5, 2))}}, [10, 20])
    assert "mean of 5 seeds" in fig.axes[0].get_ylabel()
    assert not [ln for ln in fig.axes[0].get_lines() if ln.get_linestyle() == "--"]
    with pytest.raises(ValueError, match=r"has shape \(1, 3\); expected \(S, K\) with K = 2"):
        gates.accuracy_by_init({"LSTM": {"a": [1.0, 0.5, 0.2]}}, [10, 20])
    with pytest.raises(TypeError, match="non-empty dict"):
        gates.accuracy_by_init({"LSTM": {}}, [10, 20])
    with pytest.raises(ValueError, match="at most"):
        gates.accuracy_by_init({"LSTM": {str(k): np.ones(2) for k in range(7)}}, [10, 20])
