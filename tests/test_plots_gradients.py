"""rnn_course.plots.gradients: what each of chapter 7's figures draws."""

import numpy as np
import pytest

from rnn_course.plots import gradients
from rnn_course.train import History


def _solid(ax):
    return [ln for ln in ax.get_lines() if ln.get_linestyle() == "-" and len(ln.get_xdata())]


def test_jacobian_norms_draws_curves_and_guides():
    curves = {"rho = 0.5": 0.5 ** np.arange(11), "rho = 1.5": np.linspace(1, 5, 11)}
    fig = gradients.jacobian_norms(curves, rates={"rho = 0.5": 0.5}, title="t")
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    solid = _solid(ax)
    assert [ln.get_label() for ln in solid] == ["rho = 0.5", "rho = 1.5"]
    dashed = [ln for ln in ax.get_lines() if ln.get_linestyle() == "--" and len(ln.get_xdata())]
    assert len(dashed) == 1 and np.allclose(dashed[0].get_ydata(), 0.5 ** np.arange(11))
    assert dashed[0].get_color() == solid[0].get_color()  # a guide shares its curve's colour
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[-1].startswith(r"$\rho^k$")
    assert ax.get_title(loc="left") == "t"


def test_jacobian_norms_without_rates_has_no_guides():
    ax = gradients.jacobian_norms({"a": [1, 0.5, 0.25]}).axes[0]
    assert len(ax.get_lines()) == 1


def test_jacobian_norms_errors():
    with pytest.raises(TypeError, match="curves must be a dict"):
        gradients.jacobian_norms([1, 2, 3])
    with pytest.raises(ValueError, match=r"curves\['a'\] has shape \(1,\)"):
        gradients.jacobian_norms({"a": [1.0]})
    with pytest.raises(ValueError, match="rates has labels that are not curves"):
        gradients.jacobian_norms({"a": [1, 0.5]}, rates={"b": 0.5})


def test_tanh_saturation_draws_both_panels():
    fig = gradients.tanh_saturation([0.5, 1, 2], [0.0, 0.1, 0.4], threshold=0.05)
    left, right = fig.axes
    labels = [ln.get_label() for ln in left.get_lines()]
    assert labels[0] == "tanh(a)" and labels[1].startswith("tanh'")
    a, t = left.get_lines()[0].get_data()
    assert np.allclose(t, np.tanh(a))
    d = left.get_lines()[1].get_ydata()
    assert np.allclose(d, 1 - np.tanh(a) ** 2)
    assert len(left.patches) == 2  # the two saturated bands
    edge = np.arctanh(np.sqrt(0.95))
    assert np.isclose(left.patches[1].get_x(), edge)
    x, y = right.get_lines()[0].get_data()
    assert np.allclose(x, [0.5, 1, 2]) and np.allclose(y, [0.0, 0.1, 0.4])
    assert right.get_ylabel() == "fraction of saturated values of h"


def test_tanh_saturation_errors():
    with pytest.raises(ValueError, match="two \\(K,\\) arrays of the same length"):
        gradients.tanh_saturation([1, 2], [0.1])
    with pytest.raises(ValueError, match="threshold must be in"):
        gradients.tanh_saturation([1, 2], [0.1, 0.2], threshold=0)


def _history(losses, norms):
    h = History()
    h.losses, h.grad_norms = list(losses), list(norms)
    return h


def test_clipping_runs_draws_loss_and_norms():
    runs = {"no clipping": _history([2, 2.1, 2.2, 2.0], [1, 50, 3, 2]),
            "clipped": _history([2, 1.5, 1.0, 0.5], [1, 40, 30, 5])}
    fig = gradients.clipping_runs(runs, max_norm=1.0, smooth=1)
    left, right = fig.axes
    assert [ln.get_label() for ln in left.get_lines()] == ["no clipping", "clipped"]
    assert np.allclose(left.get_lines()[1].get_ydata(), [2, 1.5, 1.0, 0.5])
    assert right.get_yscale() == "log"
    norms = [ln for ln in right.get_lines() if ln.get_linestyle() == "-"]
    assert np.allclose(norms[0].get_ydata(), [1, 50, 3, 2])
    dashed = [ln for ln in right.get_lines() if ln.get_linestyle() == "--"]
    assert len(dashed) == 1 and np.allclose(dashed[0].get_ydata(), 1.0)


def test_clipping_runs_smooths_the_loss_and_skips_unrecorded_norms():
    run = _history([1, 3, 1, 3, 1], [np.nan] * 5)  # fit(clip=None) records no norms
    left, right = gradients.clipping_runs({"r": run}, smooth=2).axes
    assert np.allclose(left.get_lines()[0].get_ydata(), [2, 2, 2, 2])
    assert len(right.get_lines()) == 0


def test_clipping_runs_errors():
    with pytest.raises(TypeError, match="histories must be a dict"):
        gradients.clipping_runs(_history([1], [1]))
    with pytest.raises(ValueError, match="has no steps"):
        gradients.clipping_runs({"empty": History()})


def test_truncation_draws_errors_and_memory():
    fig = gradients.truncation([1, 10, 100], {"rho = 0.5": [0.4, 0.1, 0.0], "rho = 1": [0.8, 0.3, 0.05]},
                               memory=[1, 10, 100])
    ax, twin = fig.axes
    lines = ax.get_lines()
    assert [ln.get_label() for ln in lines] == ["rho = 0.5", "rho = 1"]
    y = np.asarray(lines[0].get_ydata(), dtype=float)
    assert np.isnan(y[2]) and np.allclose(y[:2], [0.4, 0.1])  # an exact 0 is left out of the log scale
    assert ax.get_yscale() == "log"
    assert np.allclose(twin.get_lines()[0].get_ydata(), [1, 10, 100])
    assert len(ax.get_legend().get_texts()) == 3


def test_truncation_errors():
    with pytest.raises(ValueError, match="one value per window"):
        gradients.truncation([1, 2, 3], {"a": [0.1, 0.2]})
    with pytest.raises(ValueError, match="memory has shape"):
        gradients.truncation([1, 2], {"a": [0.1, 0.2]}, memory=[1, 2, 3])


def test_clipping_runs_draws_every_run_and_one_threshold_per_clipped_run():
    runs = {f"run {i}": _history([2, 1.5, 1.0], [3 + i, 2, 1]) for i in range(6)}  # more runs than colours
    fig = gradients.clipping_runs(runs, max_norm={"run 1": 10.0, "run 2": 1.0}, smooth=1)
    left, right = fig.axes
    assert [ln.get_label() for ln in left.get_lines()] == list(runs)
    solid = [ln for ln in right.get_lines() if ln.get_linestyle() == "-"]
    assert [ln.get_ydata()[0] for ln in solid] == [3, 4, 5, 6, 7, 8]
    dashed = [ln for ln in right.get_lines() if ln.get_linestyle() == "--"]
    assert [ln.get_label() for ln in dashed] == ["max_norm = 10", "max_norm = 1"]
    assert [ln.get_ydata()[0] for ln in dashed] == [10.0, 1.0]
    assert dashed[0].get_color() == solid[1].get_color() and dashed[1].get_color() == solid[2].get_color()
    assert [t.get_text() for t in left.get_legend().get_texts()] == list(runs)
    assert [t.get_text() for t in right.get_legend().get_texts()] == ["max_norm = 10", "max_norm = 1"]
    with pytest.raises(ValueError, match="max_norm has labels that are not runs"):
        gradients.clipping_runs(runs, max_norm={"other": 1.0})


def test_jacobian_norms_and_truncation_draw_every_curve():
    curves = {f"c{i}": np.linspace(1, 0.1, 5) * (i + 1) for i in range(8)}  # more curves than colours
    ax = gradients.jacobian_norms(curves).axes[0]
    assert [ln.get_label() for ln in ax.get_lines()] == list(curves)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == list(curves)
    assert ax.get_xlabel().startswith("distance back in time")
    windows = [1, 2, 5, 10, 20]
    errors = {f"e{i}": np.linspace(0.5, 0.05, 5) / (i + 1) for i in range(8)}
    ax = gradients.truncation(windows, errors).axes[0]
    lines = ax.get_lines()
    assert [ln.get_label() for ln in lines] == list(errors)
    assert all(np.allclose(ln.get_xdata(), windows) for ln in lines)
    assert np.allclose(lines[-1].get_ydata(), errors["e7"])


def test_tanh_saturation_band_edge_follows_the_threshold():
    fig = gradients.tanh_saturation([1, 2], [0.1, 0.3], threshold=0.2)
    left, right = fig.axes
    edge = np.arctanh(np.sqrt(0.8))
    assert np.isclose(left.patches[1].get_x(), edge)
    assert any("0.2" in t.get_text() for t in left.get_legend().get_texts())
    assert right.get_xlabel() == "weight scale"
