"""The checker of chapter 6's sentence_summary: one vector per sentence from a bidirectional RNN's output and
h_n. Wrong answers, written the way learners write them, fail with a message that names their fault, above all
the trap of reading the backward direction at the last step, output[:, -1, D:]; correct ones in other styles
pass; the untouched stub reads "not attempted"."""

import numpy as np
import pytest

from rnn_course.exercises import EXERCISES, check, hint
from rnn_course.exercises.deep_exercises import (SUMMARY_CASES, _summary_data, _summary_faults,
                                                 check_sentence_summary, sentence_summary)
from checking import assert_fails, assert_passes


def test_the_registry_entry():
    ex = EXERCISES["sentence_summary"]
    assert ex.kind == "implementation" and ex.chapter == EXERCISES["bidirectional_rnn_forward"].chapter
    assert ex.reference is sentence_summary and ex.checker is check_sentence_summary
    assert len(ex.hints) == 3 and hint("sentence_summary", 3).text


def test_the_cases_come_from_the_librarys_rnn_with_lengths():
    # The data the checker hands over is what the book's RNN returns: the summary read from output (the forward
    # half at lengths - 1, the backward half at step 0) is h_n's top layer, in every case.
    for case in SUMMARY_CASES:
        output, h_n, lengths = _summary_data(case, 0)
        N, T, D2 = output.shape
        D = D2 // 2
        assert h_n.shape == (2 * case.L, N, D) and output.dtype == h_n.dtype == case.dtype
        assert T == max(case.lengths) and list(lengths) == list(case.lengths)
        rows = np.arange(N)
        np.testing.assert_array_equal(output[rows, lengths - 1, :D], h_n[-2])
        np.testing.assert_array_equal(output[:, 0, D:], h_n[-1])


def test_the_first_cases_tell_every_fault_apart():
    # A fault equal to the right answer would name a fault in a right answer; two equal faults would give
    # one of them the other's name. The first case (2 layers, padded) and the second (3 layers) separate them all.
    for case in SUMMARY_CASES[:2]:
        output, h_n, lengths = _summary_data(case, 0)
        want = sentence_summary(output, h_n, lengths)
        faults = [(m, c) for m, c in _summary_faults(output, h_n, lengths, case) if c is not None]
        assert len(faults) >= 9
        for k, (message, candidate) in enumerate(faults):
            assert candidate.shape == want.shape, message
            assert not np.allclose(candidate, want), message
            for other, candidate2 in faults[k + 1:]:
                assert not np.allclose(candidate, candidate2), (message, other)


# -- right answers, in other styles ------------------------------------------------------------------------


def from_h_n(output, h_n, lengths):
    return np.concatenate([h_n[-2], h_n[-1]], axis=1)


def from_output(output, h_n, lengths):
    N, _, D2 = output.shape
    D = D2 // 2
    forward = output[np.arange(N), lengths - 1, :D]   # after each sentence's last real token
    backward = output[:, 0, D:]                        # after the first token, which it reads last
    return np.hstack([forward, backward])


def from_view(output, h_n, lengths):
    L2, N, D = h_n.shape
    top = h_n.reshape(L2 // 2, 2, N, D)[-1]            # (2, N, D): [forward, backward]
    return top.transpose(1, 0, 2).reshape(N, 2 * D)


def per_sentence(output, h_n, lengths):
    D = h_n.shape[-1]
    rows = []
    for n, length in enumerate(lengths):
        rows.append(np.concatenate([output[n, length - 1, :D], output[n, 0, D:]]))
    return np.array(rows)


@pytest.mark.parametrize("fn", [from_h_n, from_output, from_view, per_sentence, sentence_summary])
def test_correct_styles_pass(fn):
    assert_passes(check("sentence_summary", fn))


def stub(output, h_n, lengths):
    ...  # your code here


def test_the_stub_is_not_attempted():
    assert check("sentence_summary", stub).status == "not attempted"


# -- wrong answers, each with its fault named --------------------------------------------------------------


def _D(h_n):
    return h_n.shape[-1]


def trap_last_step(output, h_n, lengths):
    return output[:, -1]


def trap_backward_half(output, h_n, lengths):
    D = _D(h_n)
    return np.concatenate([output[np.arange(len(lengths)), lengths - 1, :D], output[:, -1, D:]], axis=1)


def both_halves_at_last_real_token(output, h_n, lengths):
    return output[np.arange(len(lengths)), lengths - 1]


def forward_ignores_lengths(output, h_n, lengths):
    D = _D(h_n)
    return np.concatenate([output[:, -1, :D], output[:, 0, D:]], axis=1)


def forward_off_by_one(output, h_n, lengths):
    D, T = _D(h_n), output.shape[1]
    return np.concatenate([output[np.arange(len(lengths)), np.minimum(lengths, T - 1), :D], h_n[-1]], axis=1)


def bottom_layer(output, h_n, lengths):
    return np.concatenate([h_n[0], h_n[1]], axis=1)


def direction_first(output, h_n, lengths):
    L2, N, D = h_n.shape
    by_direction = h_n.reshape(2, L2 // 2, N, D)       # wrong: h_n is layer first
    return np.concatenate([by_direction[0, -1], by_direction[1, -1]], axis=1)


def fixed_indices(output, h_n, lengths):
    return np.concatenate([h_n[2], h_n[3]], axis=1)    # the top layer only when L = 2


def swapped(output, h_n, lengths):
    return np.concatenate([h_n[-1], h_n[-2]], axis=1)


def first_step_only(output, h_n, lengths):
    return output[:, 0]


def reshape_mixes_sentences(output, h_n, lengths):
    N, D = h_n.shape[1:]
    return h_n[-2:].reshape(N, 2 * D)


def concat_axis_0(output, h_n, lengths):
    return np.concatenate([h_n[-2], h_n[-1]], axis=0)


def stacked(output, h_n, lengths):
    return np.stack([h_n[-2], h_n[-1]], axis=1)


def added(output, h_n, lengths):
    return h_n[-2] + h_n[-1]


def backward_only(output, h_n, lengths):
    return h_n[-1]


def trap_one_half(output, h_n, lengths):
    return output[:, -1, _D(h_n):]


def pair(output, h_n, lengths):
    return h_n[-2], h_n[-1]


def all_of_output(output, h_n, lengths):
    return output


def the_whole_h_n(output, h_n, lengths):
    return h_n.copy()


def writes_into_h_n(output, h_n, lengths):
    h_n[-2] += 0.0 * h_n[-2] + 1.0
    return np.concatenate([h_n[-2], h_n[-1]], axis=1)


def float64_for_float32(output, h_n, lengths):
    return np.concatenate([h_n[-2], h_n[-1]], axis=1).astype(np.float64)


def mean_over_steps(output, h_n, lengths):                 # no checker names this one: it must only fail
    return output.mean(axis=1)


TRAP = "has taken one step and read only the last position"


@pytest.mark.parametrize("fn, fragments", [
    (trap_last_step, ["your summary is output[:, -1]", TRAP, "the last token alone", "in a padded row the last step is padding",
                      "not the whole sentence", "output[:, 0, D:], which is h_n[-1]", "lengths[n] - 1"]),
    (trap_backward_half, ["the backward half is output[:, -1, D:]", TRAP, "not the whole sentence"]),
    (both_halves_at_last_real_token, ["output[n, lengths[n] - 1]", "right for the forward half",
                                      "read only that position", "output[:, 0, D:]"]),
    (forward_ignores_lengths, ["the forward half is output[:, -1, :D]", "read padding", "lengths[n] - 1"]),
    (forward_off_by_one, ["off by one", "lengths[n] - 1"]),
    (bottom_layer, ["bottom layer's final states, h_n[0] and h_n[1]", "layer * 2 + direction", "h_n[-2]"]),
    (direction_first, ["read direction first", "(2, L, N, D)", "h_n.reshape(L, 2, N, D)[-1]"]),
    (fixed_indices, ["h_n[2] and h_n[3], the top layer only when L = 2", "h_n[-2] and h_n[-1]"]),
    (swapped, ["the two halves are swapped", "forward state goes first"]),
    (first_step_only, ["the forward half is output[:, 0, :D]", "after the first token only"]),
    (reshape_mixes_sentences, ["mixes up the sentences", "transpose(1, 0, 2)"]),
    (concat_axis_0, ["joined along the batch axis", "(2N, D)", "axis=1"]),
    (stacked, ["stacked on a new axis", "np.concatenate"]),
    (added, ["the two directions are added"]),
    (backward_only, ["only the backward half"]),
    (trap_one_half, ["your answer is output[:, -1, D:], one direction only", TRAP, "both directions"]),
    (pair, ["returned the two halves separately", "np.concatenate"]),
    (all_of_output, ["the shape of output", "one vector per sentence"]),
    (the_whole_h_n, ["the shape of h_n", "the top layer's two"]),
    (writes_into_h_n, ["changed its input `h_n` in place"]),
    (float64_for_float32, ["float32", "float64"]),
])
def test_faults_are_named(fn, fragments):
    assert_fails(check("sentence_summary", fn), *fragments)


def test_the_trap_is_named_on_the_first_case():
    # The first case already shows the trap, with 2 layers and a padded batch: the learner sees it at once.
    result = check("sentence_summary", trap_last_step)
    assert "L=2" in " ".join(result.details) and "padded" in " ".join(result.details)


def test_an_unnamed_mistake_still_fails_with_the_worst_mismatch():
    assert_fails(check("sentence_summary", mean_over_steps), "right shape but the wrong values", "largest difference")


def test_an_exception_names_the_case():
    def uses_L_equals_2(output, h_n, lengths):
        return np.concatenate([h_n.reshape(2, 2, *h_n.shape[1:])[1, 0], h_n[3]], axis=1)
    result = check("sentence_summary", uses_L_equals_2)
    assert_fails(result, "raised an exception", "case: N=3, T=6, D=3, L=3")
