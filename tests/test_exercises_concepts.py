"""Concept answers in equivalent forms (issue 15): shapes as strings, counts as floats or 0-d arrays,
words in any case and spacing, and the free-text forms of low_temperature."""

import numpy as np
import pytest

from rnn_course.exercises import check
from checking import assert_fails, assert_passes


@pytest.mark.parametrize("answer", ["8, 12, 32", "(8, 12, 32)", "(8,12,32)", " [8, 12, 32] ", (8.0, 12.0, 32.0),
                                    np.array([8, 12, 32]), [np.int64(8), 12, 32]])
def test_shapes_in_ordinary_forms(answer):
    assert_passes(check("hidden_states_shape", answer))


@pytest.mark.parametrize("answer,fragment", [("(12, 8, 32)", "batch comes first"), ("8, 12", "axis by axis"),
                                             ("eight by twelve", "tuple of whole numbers"),
                                             ((8.5, 12, 32), "tuple of whole numbers")])
def test_shapes_as_strings_are_still_diagnosed(answer, fragment):
    assert_fails(check("hidden_states_shape", answer), fragment)


def test_single_axis_and_other_shape_questions_accept_strings():
    assert_passes(check("shape_Wx", "5, 3"))
    assert_passes(check("shape_h_n_bidirectional", "(4, 8, 16)"))
    assert_passes(check("shape_output_bidirectional", "8, 20, 32"))
    assert_fails(check("shape_Wx", "(3, 5)"), "CS231n")


@pytest.mark.parametrize("name,right", [("rnn_param_count", 45), ("lstm_param_count", 200),
                                        ("window_mlp_params", 1347)])
@pytest.mark.parametrize("form", [int, float, np.int64, np.float64, np.array, lambda v: np.array([v])])
def test_counts_in_ordinary_forms(name, right, form):
    assert_passes(check(name, form(right)))


@pytest.mark.parametrize("name,answer,fragment", [("rnn_param_count", 45.5, "whole number"),
                                                  ("rnn_param_count", np.array(50), "two bias vectors"),
                                                  ("lstm_param_count", 180.0, "one bias vector per gate"),
                                                  ("rnn_param_count", True, "whole number"),
                                                  ("rnn_param_count", np.array([45, 45]), "whole number")])
def test_counts_in_other_forms_are_still_diagnosed(name, answer, fragment):
    assert_fails(check(name, answer), fragment)


@pytest.mark.parametrize("name,answer", [
    ("low_temperature", "greedy sampling"), ("low_temperature", "Greedy Sampling"),
    ("low_temperature", "  GREEDY   decoding "), ("low_temperature", "argmax sampling"),
    ("low_temperature", "always picks the most likely token"),
    ("spectral_radius", "Goes To Zero"), ("many_to_one_readout", "LAST  real TOKEN"),
    ("longer_sequences", " RNN "), ("bidirectional_generation", "NO"), ("mutable_sequences", [" List "]),
    ("topologies", {"Image Captioning": "One To Many", "SPAM detection": "many-to-one",
                    "sentiment  classification": "Many to One", "named entity recognition": "many_to_many",
                    "Translation": "MANY TO MANY"}),
    ("gru_vs_lstm_states", {"lstm": 2.0, "gru": np.int64(1)}),
])
def test_words_in_any_case_and_spacing(name, answer):
    assert_passes(check(name, answer))


def test_low_temperature_wrong_words_are_still_named():
    assert_fails(check("low_temperature", "Uniform Sampling"), "high-temperature limit")
    assert_fails(check("low_temperature", "beam search"), "not one of the options")
    assert_fails(check("low_temperature", "uniformly random"), "high-temperature limit")
