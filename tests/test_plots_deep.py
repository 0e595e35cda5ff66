"""rnn_course.plots.deep: the figures of chapter 6, tested for what they draw."""

import re

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import FancyBboxPatch  # noqa: E402
from matplotlib.text import Annotation  # noqa: E402

from rnn_course import plots  # noqa: E402
from rnn_course.plots import deep  # noqa: E402
from figures import assert_patches_inside  # noqa: E402


def _texts(fig):
    return [t.get_text() for ax in fig.axes for t in ax.texts if not isinstance(t, Annotation)]


def _box_labels(fig):
    """The text written at the centre of each box, one entry per box."""
    ax = fig.axes[0]
    out = []
    for p in ax.patches:
        if isinstance(p, FancyBboxPatch):
            centre = (p.get_x() + p.get_width() / 2, p.get_y() + p.get_height() / 2)
            inside = [t.get_text() for t in ax.texts
                      if not isinstance(t, Annotation) and np.allclose(t.get_position(), centre)]
            assert len(inside) == 1, f"box at {centre} holds {inside}"
            out.append(inside[0])
    return out


def _arrows(fig):
    return [t for t in fig.axes[0].texts if isinstance(t, Annotation)]


def _visible(fig):
    """Every box lies inside the axes' limits: nothing is cut off."""
    assert_patches_inside(fig.axes[0])


def test_exported_from_the_package():
    assert plots.deep is deep


@pytest.mark.parametrize("num_layers, T", [(1, 3), (2, 4), (3, 5), (5, 2)])
def test_stacked_rnn_draws_every_layer_and_step(num_layers, T):
    fig = deep.stacked_rnn(num_layers=num_layers, T=T)
    assert isinstance(fig, Figure)
    labels = _box_labels(fig)
    inputs = sorted(lab for lab in labels if lab.startswith("$x_"))
    states = sorted(lab for lab in labels if lab.startswith("$h^"))
    assert inputs == sorted(f"$x_{{{t}}}$" for t in range(1, T + 1))
    assert states == sorted(f"$h^{{({k})}}_{{{t}}}$" for k in range(1, num_layers + 1)
                            for t in range(1, T + 1))
    assert len(labels) == T * (num_layers + 1)
    # one label per layer, naming that layer's own weights
    layer_labels = [s for s in _texts(fig) if s.startswith("layer ")]
    assert [int(re.match(r"layer (\d+)", s).group(1)) for s in layer_labels] == list(
        range(1, num_layers + 1))
    for k, s in enumerate(layer_labels, start=1):
        assert f"W^{{({k})}}_x" in s and f"W^{{({k})}}_h" in s
    # arrows: input->layer 1 and top->output per step, one between layers per step,
    # and T-1 along time in every layer
    assert len(_arrows(fig)) == 2 * T + (num_layers - 1) * T + num_layers * (T - 1)
    _visible(fig)


@pytest.mark.parametrize("T", [1, 3, 4, 6])
def test_bidirectional_rnn_draws_both_directions_at_every_step(T):
    fig = deep.bidirectional_rnn(T=T)
    assert isinstance(fig, Figure)
    labels = _box_labels(fig)
    steps = range(1, T + 1)
    assert sorted(lab for lab in labels if lab.startswith("$x_")) == sorted(f"$x_{{{t}}}$" for t in steps)
    assert sorted(lab for lab in labels if "overrightarrow" in lab) == sorted(
        rf"$\overrightarrow{{h}}_{{{t}}}$" for t in steps)
    assert sorted(lab for lab in labels if "overleftarrow" in lab) == sorted(
        rf"$\overleftarrow{{h}}_{{{t}}}$" for t in steps)
    assert labels.count("concat") == T
    assert len(labels) == 4 * T
    texts = _texts(fig)
    assert any("output $(N, T, 2D)$" in s for s in texts)
    assert any(s.startswith("forward") and r"x_1 \to x_T" in s for s in texts)
    assert any(s.startswith("backward") and r"x_T \to x_1" in s for s in texts)
    # per step: input->forward, input->backward, forward->concat, backward->concat;
    # and T-1 arrows along time in each direction
    arrows = _arrows(fig)
    assert len(arrows) == 4 * T + 2 * (T - 1)
    # the time arrows point right in the forward row and left in the backward row
    along = [a for a in arrows if a.xy[1] == a.xyann[1]]
    forward = [a for a in along if a.xy[0] > a.xyann[0]]
    backward = [a for a in along if a.xy[0] < a.xyann[0]]
    assert len(forward) == len(backward) == T - 1
    assert all(a.xy[1] < b.xy[1] for a in forward for b in backward)   # forward row drawn lower
    _visible(fig)
