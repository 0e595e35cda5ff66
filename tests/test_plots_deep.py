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


def _labelled_boxes(fig):
    """[(the text written at the centre of a box, the box (FancyBboxPatch))], one entry per box."""
    ax = fig.axes[0]
    out = []
    for p in ax.patches:
        if isinstance(p, FancyBboxPatch):
            centre = (p.get_x() + p.get_width() / 2, p.get_y() + p.get_height() / 2)
            inside = [t.get_text() for t in ax.texts
                      if not isinstance(t, Annotation) and np.allclose(t.get_position(), centre)]
            assert len(inside) == 1, f"box at {centre} holds {inside}"
            out.append((inside[0], p))
    return out


def _box_labels(fig):
    """The text written at the centre of each box, one entry per box."""
    return [label for label, _ in _labelled_boxes(fig)]


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


def _boxes(fig):
    """{label: the box (FancyBboxPatch) that label is written in}."""
    pairs = _labelled_boxes(fig)
    out = dict(pairs)
    assert len(out) == len(pairs), f"two boxes read the same label: {[label for label, _ in pairs]}"
    return out


def _outlined(patch):
    return patch.get_linewidth() > 1 and matplotlib.colors.to_hex(patch.get_edgecolor()) == plots.COLORS["accent"]


@pytest.mark.parametrize("num_layers, T", [(1, 1), (1, 3), (2, 4), (3, 5), (2, 2)])
def test_bidirectional_states_tags_the_states_of_output_and_h_n(num_layers, T):
    fig = deep.bidirectional_states(num_layers=num_layers, T=T)
    assert isinstance(fig, Figure)
    boxes = _boxes(fig)
    L, steps = num_layers, range(1, T + 1)
    fwd = {(k, t): rf"$\overrightarrow{{h}}{{}}^{{({k})}}_{{{t}}}$" for k in range(1, L + 1) for t in steps}
    bwd = {(k, t): rf"$\overleftarrow{{h}}{{}}^{{({k})}}_{{{t}}}$" for k in range(1, L + 1) for t in steps}
    inputs = [f"$x_{{{t}}}$" for t in steps]
    outputs = [f"output[:, {t - 1}]" for t in steps]   # 0-based, as the code indexes output
    assert sorted(boxes) == sorted([*fwd.values(), *bwd.values(), *inputs, *outputs])

    # every step's output box sits above that step's top-layer states, in the same column
    for t in steps:
        out, top_f, top_b = boxes[f"output[:, {t - 1}]"], boxes[fwd[L, t]], boxes[bwd[L, t]]
        assert out.get_x() == top_f.get_x() == top_b.get_x()
        assert out.get_y() > top_b.get_y() > top_f.get_y()

    # h_n: exactly the forward states after the last step and the backward states after the first, outlined,
    # each tagged h_n[layer * 2 + direction] right beside its box (PyTorch's h_n.view(L, 2, N, D) order)
    finals = {2 * (k - 1): fwd[k, T] for k in range(1, L + 1)} | {2 * (k - 1) + 1: bwd[k, 1] for k in range(1, L + 1)}
    assert {label for label, p in boxes.items() if _outlined(p)} == set(finals.values())
    tags = {t.get_text(): t for t in fig.axes[0].texts if t.get_text().startswith("h_n[")}
    assert sorted(tags) == sorted(f"h_n[{i}]" for i in range(2 * L))
    for i, label in finals.items():
        tag, p = tags[f"h_n[{i}]"], boxes[label]
        x, y = tag.get_position()
        assert np.isclose(y, p.get_y() + p.get_height() / 2)
        if i % 2 == 0:   # forward: the tag is right of the last step's box
            assert tag.get_ha() == "left" and 0 < x - (p.get_x() + p.get_width()) < 0.3
        else:            # backward: left of the first step's box
            assert tag.get_ha() == "right" and 0 < p.get_x() - x < 0.3

    # row labels name each layer's two directions, at the height of their rows
    texts = {t.get_text(): t for t in fig.axes[0].texts if not isinstance(t, Annotation)}
    for k in range(1, L + 1):
        for direction, states in (("forward", fwd), ("backward", bwd)):
            p = boxes[states[k, 1]]
            assert np.isclose(texts[f"layer {k} {direction}"].get_position()[1], p.get_y() + p.get_height() / 2)
    assert "output $(N, T, 2D)$" in texts and "input" in texts

    # arrows: input -> layer 1 and the top layer -> output at every step, one between each pair of layers per
    # step, and T - 1 along time in each of the 2L rows: rightwards in forward rows, leftwards in backward rows
    arrows = _arrows(fig)
    assert len(arrows) == 2 * T + (L - 1) * T + 2 * L * (T - 1)
    along = [a for a in arrows if a.xy[1] == a.xyann[1]]
    rows_right = {round(a.xy[1], 6) for a in along if a.xy[0] > a.xyann[0]}
    rows_left = {round(a.xy[1], 6) for a in along if a.xy[0] < a.xyann[0]}
    centre = lambda p: round(p.get_y() + p.get_height() / 2, 6)  # noqa: E731
    if T > 1:
        assert rows_right == {centre(boxes[fwd[k, 1]]) for k in range(1, L + 1)}
        assert rows_left == {centre(boxes[bwd[k, 1]]) for k in range(1, L + 1)}
    _visible(fig)


@pytest.mark.parametrize("bad", [dict(num_layers=0), dict(T=0), dict(T=2.5), dict(num_layers=True)])
def test_bidirectional_states_rejects_bad_sizes(bad):
    with pytest.raises(ValueError, match=next(iter(bad))):
        deep.bidirectional_states(**bad)
