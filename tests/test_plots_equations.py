"""rnn_course.plots.equations: the figures of chapter 4 draw exactly the data they are given."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

from rnn_course import plots  # noqa: E402
from rnn_course.exercises.concepts import WORKED_EXAMPLE as EX  # noqa: E402
from rnn_course.plots import equations  # noqa: E402
from figures import assert_patches_inside  # noqa: E402


def _cells(fig, name):
    """The cells of the grid called name, as (rows, cols) read off their positions."""
    rects = [p for p in fig.axes[0].patches if isinstance(p, Rectangle) and p.get_gid() == name]
    xs = sorted({round(r.get_x(), 6) for r in rects})
    ys = sorted({round(r.get_y(), 6) for r in rects})
    assert len(rects) == len(xs) * len(ys), f"{name}: not a full grid"
    return len(ys), len(xs)


def _numbers(fig, name):
    """The numbers printed in the grid called name, row by row, top to bottom, left to right."""
    texts = [t for t in fig.axes[0].texts if t.get_gid() == name]
    texts.sort(key=lambda t: (-round(t.get_position()[1], 6), t.get_position()[0]))
    return [t.get_text() for t in texts]


def _label(fig, name):
    (label,) = [t.get_text() for t in fig.axes[0].texts if t.get_gid() == name + ":label"]
    return label


def _everything_inside(fig):
    """No cell and no text lies outside the axes' limits: nothing is cut off."""
    ax = fig.axes[0]
    assert_patches_inside(ax)
    fig.canvas.draw()
    box = ax.get_window_extent()
    for t in ax.texts:
        ext = t.get_window_extent()
        assert box.x0 - 1 <= ext.x0 and ext.x1 <= box.x1 + 1, t.get_text()
        assert box.y0 - 1 <= ext.y0 and ext.y1 <= box.y1 + 1, t.get_text()


def _given(values):
    return [equations._format(v, equations.GIVEN) for v in np.ravel(values)]


def test_exported_from_the_package():
    assert plots.equations is equations


@pytest.mark.parametrize("d,D", [(3, 5), (4, 4), (6, 2), (1, 7)])
def test_shapes_draws_every_shape_it_names(d, D):
    fig = equations.shapes(d=d, D=D)
    assert isinstance(fig, Figure)
    assert _cells(fig, "W_x") == (D, d) and f"$(D, d) = ({D}, {d})$" in _label(fig, "W_x")
    assert _cells(fig, "x_t") == (d, 1) and f"$({d},)$" in _label(fig, "x_t")
    assert _cells(fig, "W_h") == (D, D) and f"$(D, D) = ({D}, {D})$" in _label(fig, "W_h")
    for name in ("h_prev", "b_h", "h_t"):
        assert _cells(fig, name) == (D, 1) and f"$({D},)$" in _label(fig, name)
    assert _label(fig, "b_h").startswith("$b_h$")
    _everything_inside(fig)


def test_shapes_rejects_a_size_that_is_not_a_count():
    with pytest.raises(ValueError, match="d must be a positive integer"):
        equations.shapes(d=0)


def test_worked_example_prints_the_numbers_of_both_layers():
    fig = equations.worked_example(EX["Wx"], EX["x_t"], EX["Wh"], EX["h_prev"], EX["bh"], Wy=EX["Wy"], by=EX["by"])
    x, h_prev = EX["x_t"][0], EX["h_prev"][0]
    a = EX["Wx"] @ x + EX["Wh"] @ h_prev + EX["bh"]
    h = np.tanh(a)
    z = EX["Wy"] @ h + EX["by"]
    y = np.exp(z) / np.exp(z).sum()
    given = {"W_x": EX["Wx"], "x_t": x, "W_h": EX["Wh"], "h_prev": h_prev, "b_h": EX["bh"], "W_y": EX["Wy"],
             "b_y": EX["by"]}
    for name, value in given.items():
        assert _numbers(fig, name) == _given(value), name
        rows_cols = value.shape if value.ndim == 2 else (value.size, 1)
        assert _cells(fig, name) == rows_cols, name
    assert _numbers(fig, "a_t") == [f"{v:.2f}" for v in a]
    assert _numbers(fig, "h_t") == _numbers(fig, "h_t:out") == [f"{v:.3f}" for v in h]
    assert _numbers(fig, "z_t") == [f"{v:.2f}" for v in z]
    assert _numbers(fig, "y_t") == [f"{v:.3f}" for v in y]
    # The fourth row is there (it used to be cut off): a = 0.8, h = tanh(0.8).
    assert _numbers(fig, "a_t")[3] == "0.80" and _numbers(fig, "h_t")[3] == f"{np.tanh(0.8):.3f}"
    assert _label(fig, "W_x") == "$W_x$\n(4, 4)" and _label(fig, "W_y") == "$W_y$\n(3, 4)"
    assert _label(fig, "b_y") == "$b_y$\n(3,)" and _label(fig, "y_t") == "$y_t$\n(3,)"
    assert "softmax" in [t.get_text() for t in fig.axes[0].texts]
    _everything_inside(fig)


@pytest.mark.parametrize("d,D,C", [(2, 4, None), (3, 4, 2), (5, 3, 6), (1, 8, 3)])
def test_worked_example_draws_every_row_for_any_size(d, D, C):
    rng = np.random.default_rng(d * 100 + D)
    Wx, x, Wh = rng.uniform(-1, 1, (D, d)), rng.uniform(-1, 1, d), rng.uniform(-0.5, 0.5, (D, D))
    h_prev, b = rng.uniform(-1, 1, D), rng.uniform(-0.5, 0.5, D)
    out = {} if C is None else dict(Wy=rng.uniform(-1, 1, (C, D)), by=rng.uniform(-1, 1, C))
    fig = equations.worked_example(Wx, x[None], Wh, h_prev[None], b, nonlinearity="relu", **out)
    a = Wx @ x + Wh @ h_prev + b
    assert _cells(fig, "W_x") == (D, d) and _label(fig, "W_x") == f"$W_x$\n({D}, {d})"
    assert _cells(fig, "x_t") == (d, 1) and _label(fig, "x_t") == f"$x_t$\n({d},)"
    assert _numbers(fig, "W_x") == _given(Wx) and _numbers(fig, "x_t") == _given(x)
    assert _numbers(fig, "a_t") == [f"{v:.2f}" for v in a]
    assert _numbers(fig, "h_t") == [f"{v:.3f}" for v in np.maximum(a, 0)]
    assert "relu" in [t.get_text() for t in fig.axes[0].texts]
    if C is None:
        assert not any(t.get_gid() == "W_y" for t in fig.axes[0].texts)
    else:
        assert _cells(fig, "W_y") == (C, D) and _cells(fig, "y_t") == (C, 1)
    _everything_inside(fig)


def test_worked_example_shows_given_numbers_as_they_are():
    assert [equations._format(v, equations.GIVEN) for v in (0.5, -0.25, 1.0, 0.0, -0.0, 2)] == \
        ["0.5", "-0.25", "1.0", "0.0", "0.0", "2.0"]


@pytest.mark.parametrize("kwargs,match", [
    (dict(x_t=np.ones(3)), "x_t has 3 entries"),
    (dict(b=np.ones(5)), "b has 5 entries"),
    (dict(Wy=np.ones((3, 5)), by=np.ones(3)), r"Wy has shape \(3, 5\); expected \(C, D\)"),
    (dict(Wy=np.ones((3, 4)), by=np.ones(2)), r"by has shape \(2,\)"),
    (dict(Wy=np.ones((3, 4))), "give both Wy and by"),
    (dict(nonlinearity="sigmoid"), "nonlinearity"),
])
def test_worked_example_names_bad_input(kwargs, match):
    args = dict(Wx=EX["Wx"], x_t=EX["x_t"], Wh=EX["Wh"], h_prev=EX["h_prev"], b=EX["bh"])
    with pytest.raises(ValueError, match=match):
        equations.worked_example(**{**args, **kwargs})


def test_gradient_norms_draws_every_curve_with_its_data():
    curves = {f"spectral radius {r}": r ** np.arange(11.0) for r in (0.5, 0.9, 1.0, 1.2, 1.5, 2.0)}
    fig = equations.gradient_norms(curves, title="norms")
    ax = fig.axes[0]
    assert len(ax.lines) == len(curves) == 6  # more curves than colours: none dropped
    for line, (label, values) in zip(ax.lines, curves.items()):
        assert line.get_label() == label
        np.testing.assert_array_equal(line.get_xdata(), np.arange(len(values)))
        np.testing.assert_array_equal(line.get_ydata(), values)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == list(curves)
    assert ax.get_yscale() == "log"
    assert ax.get_xlabel() == "distance in time, T - t"
    assert ax.get_title(loc="left") == "norms"


def test_gradient_norms_rejects_empty_or_bad_curves():
    with pytest.raises(ValueError, match="empty"):
        equations.gradient_norms({})
    with pytest.raises(ValueError, match="expected \\(K,\\)"):
        equations.gradient_norms({"two rows": np.ones((2, 3))})


def test_gradient_norms_zoom_panel_shows_the_first_steps_and_names_what_it_cuts():
    curves = {"falls": 0.5 ** np.arange(61.0), "rises, then falls": np.r_[1.0, 1.6, 1.9, 0.9 ** np.arange(1.0, 59.0)],
              "explodes": 1.5 ** np.arange(61.0)}
    fig = equations.gradient_norms(curves, zoom=10)
    log_ax, near = fig.axes
    assert len(log_ax.lines) == 3 and log_ax.get_yscale() == "log"
    lines = [line for line in near.lines if line.get_label() in curves]
    assert [line.get_label() for line in lines] == list(curves)
    for line, values in zip(lines, curves.values()):
        np.testing.assert_array_equal(line.get_xdata(), np.arange(11))
        np.testing.assert_array_equal(line.get_ydata(), values[:11])
    assert near.get_yscale() == "linear" and near.get_xlim() == (0, 10)
    top = near.get_ylim()[1]
    assert top == pytest.approx(2 * 1.9)                 # every curve that stays below 3 fits, with room
    assert "explodes above the top" in near.get_title(loc="left")   # 1.5**10 does not fit: said so
    assert "falls above" not in near.get_title(loc="left")
    assert any(np.allclose(line.get_ydata(), 1.0) for line in near.lines)   # the dashed line at 1


def test_gradient_norms_rejects_a_bad_zoom():
    with pytest.raises(ValueError, match="zoom"):
        equations.gradient_norms({"a": np.ones(5)}, zoom=0)
