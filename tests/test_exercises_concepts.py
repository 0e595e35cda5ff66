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


# -- predict, then run (issue 14 item 7) ------------------------------------------------------
# Four quizzes are predictions that the next cell verifies with the library: the learner writes a
# prediction, the run cell computes the answer with the library (visible code, printed output), and the
# check compares the prediction with the value the library computes (the checker runs the same
# computation itself, so the verdict does not depend on a variable the learner could skip).

import ast
import re
import sys
from pathlib import Path

from rnn_course.exercises import EXERCISES, chapter2, concepts

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from exercise_cells import find_exercises, read_notebook  # noqa: E402

PREDICT_THEN_RUN = {
    "h_depends_on": ("foundations/02_feedforward_vs_recurrent.ipynb", "ex-h-depends-on"),
    "many_to_one_readout": ("architectures/05_topologies.ipynb", "ex-readout"),
    "lstm_param_count": ("beyond/08_lstm_gru.ipynb", "ex-lstm-params"),
    "gru_vs_lstm_states": ("beyond/08_lstm_gru.ipynb", "ex-lstm-gru-states"),
}


def _run_cell(name):
    path, label = PREDICT_THEN_RUN[name]
    nb = read_notebook(ROOT / "book" / path)
    ex = next(e for e in find_exercises(nb) if e.label == label)
    return nb, ex, nb["cells"][ex.check]


def _printed(cell):
    return "".join("".join(o["text"]) for o in cell["outputs"] if o.get("output_type") == "stream")


@pytest.mark.parametrize("name", list(PREDICT_THEN_RUN))
def test_predict_cell_then_a_run_cell_that_computes_prints_and_checks(name):
    nb, ex, cell = _run_cell(name)
    assert ex.name == name
    # The learner's cell holds only the prediction; the run cell is the next code cell.
    assert "prediction" in nb["cells"][ex.stub]["source"] and "..." in nb["cells"][ex.stub]["source"]
    assert "Predict, then run" in nb["cells"][ex.exercise]["source"]
    tree = ast.parse(cell["source"])
    last = tree.body[-1]
    assert isinstance(last, ast.Expr) and ast.unparse(last.value).startswith(f"check({name!r}, ")
    assert len(tree.body) > 2, "the run cell computes the answer before it checks"
    # The computation shows its result, but not before the learner predicts: the book folds the output
    # (hide-output) and JupyterLab opens it collapsed (running the cell shows it again).
    assert _printed(cell).strip(), "the run cell prints what the library computed"
    assert "hide-output" in cell["metadata"].get("tags", [])
    assert cell["metadata"].get("jupyter", {}).get("outputs_hidden") is True
    # The stored stub state: Not attempted, no error.
    assert all(o.get("output_type") != "error" for o in cell["outputs"])
    assert "Not attempted yet" in _shown(cell)


def _shown(cell):
    return " ".join("".join(o.get("data", {}).get("text/plain", "")) for o in cell["outputs"])


def test_the_h_depends_on_run_cell_prints_what_the_checker_computes():
    _, _, cell = _run_cell("h_depends_on")
    printed = dict(re.findall(r"x_(\d) changed: h_4 moves by (\d\.\d{3})", _printed(cell)))
    assert printed == {str(t): f"{m:.3f}" for t, m in chapter2.h_moves().items()}
    assert chapter2.h_depends_on_computed() == [1, 2, 3, 4] == EXERCISES["h_depends_on"].reference


def test_the_readout_run_cell_prints_what_the_checker_computes():
    _, _, cell = _run_cell("many_to_one_readout")
    distances = concepts.readout_distances()
    lines = [line for line in _printed(cell).splitlines() if "pads:" in line]
    assert len(lines) == len(concepts.READOUT_PADS)
    for k, line in enumerate(lines):
        assert line.startswith(f"{concepts.READOUT_PADS[k]} pads:")
        for readout, ds in distances.items():
            assert f"{readout} {ds[k]:.3f}" in line, (readout, line)
    assert concepts.readout_computed() == "last real token" == EXERCISES["many_to_one_readout"].reference


def test_the_lstm_run_cell_prints_what_the_checker_computes():
    _, _, cell = _run_cell("lstm_param_count")
    printed = _printed(cell)
    sizes = concepts.lstm_param_sizes()
    for key, size in sizes.items():
        assert re.search(rf"^{key}\s.*\s{size} numbers$", printed, re.M), (key, printed)
    assert re.search(rf"^in all\s+{sum(sizes.values())}$", printed, re.M)
    assert sum(sizes.values()) == 200 == EXERCISES["lstm_param_count"].reference


# The verdict follows the library's computation, not a typed constant: change what the library
# computes and the same prediction gets the other verdict.

def test_h_depends_on_follows_the_computed_moves(monkeypatch):
    assert_passes(check("h_depends_on", [1, 2, 3, 4]))
    monkeypatch.setattr(chapter2, "h_moves", lambda seed=2: {1: 0.0, 2: 0.0, 3: 0.3, 4: 0.9, 5: 0.0, 6: 0.0})
    assert_passes(check("h_depends_on", [3, 4]))
    assert_fails(check("h_depends_on", [1, 2, 3, 4]), "you predicted x_1, x_2, x_3, x_4",
                 "changing x_1, x_2 did not move h_4")


def test_readout_follows_the_computed_distances(monkeypatch):
    assert_passes(check("many_to_one_readout", "last real token"))
    monkeypatch.setattr(concepts, "readout_distances", lambda seed=0: {
        "last real token": [0.0, 0.2, 0.3], "last position": [0.0, 0.0, 0.0], "first position": [0.4, 0.4, 0.4]})
    assert_passes(check("many_to_one_readout", "last position"))
    assert_fails(check("many_to_one_readout", "last real token"), "you predicted the 'last real token'")


def test_lstm_param_count_follows_the_library_model(monkeypatch):
    assert_passes(check("lstm_param_count", 200))
    monkeypatch.setattr(concepts, "lstm_param_sizes", lambda d=3, D=5: {
        "weight_ih_l0": 4 * D * d, "weight_hh_l0": 4 * D * D, "bias_ih_l0": 4 * D, "bias_hh_l0": 0})
    assert_passes(check("lstm_param_count", 180))
    assert_fails(check("lstm_param_count", 200), "you predicted 200, and the library's LSTM(3, 5) has 180")


@pytest.mark.parametrize("answer,fragments", [
    ([4], ["you predicted x_4 only", "feed-forward network", "0.211 for x_1, 0.167 for x_2, 0.224 for x_3"]),
    ([1, 2, 3, 4, 5, 6], ["you predicted x_1, x_2, x_3, x_4, x_5, x_6", "x_5, x_6 did not move h_4 at all",
                          "have not been read yet"]),
    ([5], ["you predicted x_5,", "x_5 did not move h_4", "cannot look ahead"]),
    ([2, 3, 4], ["you predicted x_2, x_3, x_4", "chain does not stop", "0.211 for x_1"]),
    ([1, 2, 3], ["needs x_4 too", "moved h_4 by 0.889"]),
    ([], ["you predicted no input at all", "needs x_4 too"]),
])
def test_h_depends_on_names_the_fault_with_the_measured_moves(answer, fragments):
    assert_fails(check("h_depends_on", answer), *fragments)


@pytest.mark.parametrize("answer", [[1, 2, 3, 4], "x_1, x_2, x_3, x_4".split(", "), range(1, 5), np.arange(1, 5)])
def test_h_depends_on_right_predictions_quote_the_run(answer):
    result = check("h_depends_on", answer)
    assert_passes(result)
    assert "0.211 for x_1" in result.message and "x_5, x_6 left it exactly as it was" in result.message


@pytest.mark.parametrize("answer,fragments", [
    ("last position", ["you predicted the 'last position'", "padding", "0.000, 0.513, 0.567",
                       "with 0, 2 and 5 pads"]),
    ("h[:, -1]", ["you predicted the 'last position'", "the <pad> steps keep changing h"]),
    ("first position", ["you predicted the 'first position'", "one token only", "0.473, 0.473, 0.473"]),
    ("middle", ["not one of the options"]),
])
def test_readout_names_the_fault_with_the_measured_distances(answer, fragments):
    assert_fails(check("many_to_one_readout", answer), *fragments)


@pytest.mark.parametrize("answer", ["last real token", "lengths - 1", "Last Valid Step", "the last real token"])
def test_readout_right_predictions_quote_the_run(answer):
    result = check("many_to_one_readout", answer)
    assert_passes(result)
    assert "0.000, 0.000, 0.000 away from the sentence's own summary" in result.message


@pytest.mark.parametrize("answer,fragment", [
    (180, "one bias vector per gate"), (50, "one gate's worth"), (45, "vanilla RNN cell with one bias"),
    (160, "forgets the two bias vectors"), (150, "that is a GRU"), (240, "W_x is 4D x d = 60 numbers"),
    (7, "add up the entries"),
])
def test_lstm_param_count_names_the_fault_against_the_library_count(answer, fragment):
    result = check("lstm_param_count", answer)
    assert_fails(result, f"you predicted {answer}, and the library's LSTM(3, 5) has 200", fragment,
                 "weight_ih_l0 60, weight_hh_l0 100, bias_ih_l0 20, bias_hh_l0 20")


@pytest.mark.parametrize("name,stub", [("h_depends_on", ...), ("many_to_one_readout", ...), ("lstm_param_count", None),
                                       ("gru_vs_lstm_states", ...)])
def test_an_unchanged_prediction_is_not_attempted(name, stub):
    assert check(name, stub).status == "not attempted"


def test_the_states_run_cell_prints_what_the_checker_computes():
    _, _, cell = _run_cell("gru_vs_lstm_states")
    printed = dict(re.findall(r"^(LSTM|GRU)\s+output \(2, 7, 5\), state: (\d) array", _printed(cell), re.M))
    assert printed == {k.upper(): str(v) for k, v in concepts.carried_states().items()}
    assert concepts.carried_states() == {"lstm": 2, "gru": 1}
    assert EXERCISES["gru_vs_lstm_states"].reference == {"LSTM": 2, "GRU": 1}


def test_states_follow_the_library_layers(monkeypatch):
    assert_passes(check("gru_vs_lstm_states", {"LSTM": 2, "GRU": 1}))
    monkeypatch.setattr(concepts, "carried_states", lambda: {"lstm": 2, "gru": 2})
    assert_passes(check("gru_vs_lstm_states", (2, 2)))
    assert_fails(check("gru_vs_lstm_states", (2, 1)), "you predicted LSTM 2, GRU 1, and the library's LSTM hands "
                                                      "back 2, its GRU 2")


@pytest.mark.parametrize("answer,fragment", [
    ((1, 2), "the other way round"), ((1, 1), "cell state c as well"), ((0, 1), "cell state c as well"),
    ((2, 2), "no separate cell state"), ((4, 3), "count gates"), ((3, 1), "gates are computed afresh"),
    ((2, 0), "the GRU does carry something"), ((3, 3), "gates are computed afresh at every step; the GRU has no"),
    ((1, 0), "cell state c as well as the hidden state h: two vectors; the GRU does carry something"),
])
def test_states_name_the_fault_against_the_library_layers(answer, fragment):
    assert_fails(check("gru_vs_lstm_states", {"LSTM": answer[0], "GRU": answer[1]}),
                 f"you predicted LSTM {answer[0]}, GRU {answer[1]}, and the library's LSTM hands back 2, its GRU 1",
                 fragment)


@pytest.mark.parametrize("answer", [{"LSTM": 2, "GRU": 1}, {"lstm": 2.0, "gru": 1}, (2, 1), np.array([2, 1])])
def test_states_right_predictions_quote_the_run(answer):
    result = check("gru_vs_lstm_states", answer)
    assert_passes(result)
    assert "the library's LSTM hands back 2, its GRU 1" in result.message
