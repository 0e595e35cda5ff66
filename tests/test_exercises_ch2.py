"""The concept checks of chapter 2 (rnn_course.exercises.chapter2): the right
answer passes in every equivalent form, each recognised wrong answer fails with
the explanation that names its mistake."""

import numpy as np
import pytest

from rnn_course.exercises import EXERCISES, check, hint
from rnn_course.exercises.chapter2 import WINDOW_MLP
from rnn_course.mlp import WindowMLP
from checking import assert_fails, assert_passes

NAMES = ["cell_sends_to", "window_mlp_params", "h_depends_on", "longer_sequences"]


@pytest.mark.parametrize("name", NAMES)
def test_registered_for_the_chapter_with_three_hints(name):
    ex = EXERCISES[name]
    assert ex.chapter == "Feed-forward vs recurrent" and ex.kind == "concept"
    assert len(ex.hints) == 3 and all(h.strip() for h in ex.hints)
    assert "Hint 2 of 3" in hint(name, 2)._repr_html_()
    assert_passes(check(name, ex.reference))
    assert check(name, ...).status == "not attempted"


@pytest.mark.parametrize("answer", [
    ["output", "itself"], ("itself", "output"), {"Output layer", "the cell"}, ["y_t", "hidden layer"],
    ["OUTPUT", "Back to itself"],
])
def test_cell_sends_to_accepts_equivalent_forms(answer):
    assert_passes(check("cell_sends_to", answer))


@pytest.mark.parametrize("answer,fragment", [
    (["output"], "feed-forward network's hidden layer"),
    ("output", "feed-forward network's hidden layer"),
    (["itself"], "also goes forward to the output layer"),
    (["output", "itself", "input"], "nothing is sent back to the input layer"),
    (["input"], "nothing is sent back to the input layer"),
    ([], "look for the arrows"),
    (["the moon"], "not one of the places"),
    (42, "list of strings"),
])
def test_cell_sends_to_explains_wrong_answers(answer, fragment):
    assert_fails(check("cell_sends_to", answer), fragment)


def test_window_mlp_params_matches_the_library_model():
    w, V, H, C = (WINDOW_MLP[k] for k in "wVHC")
    count = WindowMLP(V, w, H, C).num_parameters()
    assert count == 1347
    for answer in (count, np.int64(count), float(count), np.float64(count)):
        assert_passes(check("window_mlp_params", answer))


@pytest.mark.parametrize("answer,fragment", [
    (1280 + 48, "forgets both biases"),
    (1280 + 16 + 48, "forgets the output layer's bias b2"),
    (1280 + 48 + 3, "forgets the hidden layer's bias b1"),
    (1280, "W1 alone"),
    (16 * 10 + 16 + 48 + 3, "one-hot vector of V = 8 numbers"),
    (16 * 8 + 16 + 48 + 3, "a window of a single token"),
    (1280 + 16 + 16 + 3, "C x H = 48"),
    (1000, "add up the entries"),
    (1347.5, "whole number"),
    ("1347", "whole number"),
    (True, "whole number"),
])
def test_window_mlp_params_explains_wrong_answers(answer, fragment):
    assert_fails(check("window_mlp_params", answer), fragment)


@pytest.mark.parametrize("answer", [
    [1, 2, 3, 4], (4, 3, 2, 1), {1, 2, 3, 4}, range(1, 5), np.arange(1, 5), ["x_1", "x_2", "x_3", "x_4"],
    ["x1", "x2", "x3", "x4"], [1, 2, 3, 4, 4],
])
def test_h_depends_on_accepts_equivalent_forms(answer):
    assert_passes(check("h_depends_on", answer))


@pytest.mark.parametrize("answer,fragment", [
    ([4], "how a feed-forward network would see it"),
    (4, "how a feed-forward network would see it"),
    ([1, 2, 3, 4, 5, 6], "x_5, x_6 have not been read yet"),
    ([1, 2, 3, 4, 5], "x_5 has not been read yet"),
    ([2, 3, 4], "so x_1 reaches h_4"),
    ([3, 4], "so x_1, x_2 reach h_4"),
    ([1, 2, 3], "needs x_4 too"),
    ([0, 1, 2, 3, 4], "not among their time steps"),
    (["h_3"], "not a time step"),
    ([1.5], "not a time step"),
    ({"a": 1}, "list of numbers"),
    (3.0, "list of numbers"),
])
def test_h_depends_on_explains_wrong_answers(answer, fragment):
    assert_fails(check("h_depends_on", answer), fragment)


@pytest.mark.parametrize("answer", ["rnn", "RNN", "the RNN", "Recurrent network"])
def test_longer_sequences_accepts_equivalent_forms(answer):
    result = check("longer_sequences", answer)
    assert_passes(result)
    assert "same weights" in result.message


@pytest.mark.parametrize("answer,fragment", [
    ("mlp", "outside its window"),
    ("feed-forward", "outside its window"),
    ("both", "outside its window"),
    ("neither", "the RNN can"),
    ("transformer", "not one of the options"),
    (["rnn"], "one of the strings"),
])
def test_longer_sequences_explains_wrong_answers(answer, fragment):
    assert_fails(check("longer_sequences", answer), fragment)
