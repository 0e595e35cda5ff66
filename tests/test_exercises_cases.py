"""The cases that expose faults (issue 15): d = D for swapped weights, 1-D, 2-D and 3-D one_hot ids, real ids
equal to the pad value, generators in different states, reflections in orthogonal_init, and overflow named
as overflow."""

import numpy as np
import pytest

from rnn_course.exercises import check
from rnn_course.exercises.data_exercises import ONE_HOT_CASES, PAD_CASES
from checking import assert_fails, assert_passes


def test_swapped_weights_are_named_on_the_d_equals_D_case():
    def swapped(x_t, h_prev, Wx, Wh, b, nonlinearity="tanh"):
        return np.tanh(x_t @ Wh.T + h_prev @ Wx.T + b), None

    def wh_twice(x_t, h_prev, Wx, Wh, b, nonlinearity="tanh"):
        return np.tanh(x_t @ Wh.T + h_prev @ Wh.T + b), None

    def wx_twice(x_t, h_prev, Wx, Wh, b, nonlinearity="tanh"):
        return np.tanh(x_t @ Wx.T + h_prev @ Wx.T + b), None

    assert_fails(check("rnn_step_forward", swapped), "Wx and Wh are swapped", "d=4, D=4")
    assert_fails(check("rnn_step_forward", wh_twice), "`x_t` is multiplied by `Wh`")
    assert_fails(check("rnn_step_forward", wx_twice), "`h_prev` is multiplied by `Wx`")


def test_one_hot_cases_hold_1d_2d_and_3d_ids():
    assert {ids.ndim for ids, _ in ONE_HOT_CASES} == {1, 2, 3}


def test_one_hot_that_only_handles_two_axes_is_caught_on_3d_ids():
    def up_to_2d(ids, V):
        ids = np.asarray(ids)
        if ids.ndim == 1:
            return np.eye(V)[ids]
        N, T = ids.shape
        out = np.zeros((N, T, V))
        out[np.arange(N)[:, None], np.arange(T), ids] = 1
        return out

    assert_fails(check("one_hot", up_to_2d), "on ids with 3 axes", "any shape", "ids of shape (2, 3, 2)")


def test_one_hot_flattening_3d_ids_is_named():
    def flat_after_2d(ids, V):
        return np.eye(V)[ids] if ids.ndim < 3 else np.eye(V)[ids.ravel()]

    assert_fails(check("one_hot", flat_after_2d), "the ids were flattened")


def test_pad_cases_hold_real_ids_equal_to_the_pad_value():
    assert any(pad in (v for s in seqs for v in s) for seqs, pad in PAD_CASES if pad == 0)
    assert any(pad in (v for s in seqs for v in s) for seqs, pad in PAD_CASES if pad != 0)


def test_lengths_counted_from_the_padded_ids_are_named():
    def counts(sequences, pad_value=0):
        T = max(len(s) for s in sequences)
        ids = np.full((len(sequences), T), pad_value)
        for n, s in enumerate(sequences):
            ids[n, :len(s)] = s
        return ids, np.count_nonzero(ids != pad_value, axis=1)

    assert_fails(check("pad_sequences", counts), "a real id can equal pad_value (0 here)", "len(s)")


def _softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def test_sampling_with_a_generator_of_its_own_is_caught_by_different_rng_states():
    def own_seed(logits, temperature, rng):
        g = np.random.default_rng(123)
        p = _softmax(logits / temperature)
        return (p.cumsum(axis=1) < g.random((len(p), 1))).sum(axis=1).clip(0, p.shape[1] - 1)

    assert_fails(check("sample_with_temperature", own_seed), "generators in different states gave the same ids",
                 "`rng` argument is not used")


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_right_sampling_passes_the_rng_tests_for_several_seeds(seed):
    def right(logits, temperature, rng):
        p = _softmax(logits / temperature)
        return (p.cumsum(axis=1) < rng.random((len(p), 1))).sum(axis=1).clip(0, p.shape[1] - 1)

    assert_passes(check("sample_with_temperature", right, seed=seed))


def test_overflow_is_named_as_overflow_not_as_unnormalised():
    def naive(logits, temperature, rng):
        with np.errstate(all="ignore"):
            e = np.exp(logits / temperature)
            p = e / e.sum(axis=1, keepdims=True)
        return (np.cumsum(p, axis=1) < rng.random((len(p), 1))).sum(axis=1).clip(0, p.shape[1] - 1)

    result = check("sample_with_temperature", naive)
    assert_fails(result, "np.exp overflows", "near 1000", "largest logit")
    assert "not normalised" not in result.message


def test_orthogonal_reflections_are_required_and_a_single_reflection_named():
    def rotations(D, rng):
        Q, R = np.linalg.qr(rng.standard_normal((D, D)))
        Q = Q * np.sign(np.diag(R))
        if np.linalg.det(Q) < 0:  # "make it a proper rotation"
            Q[:, -1] = -Q[:, -1]
        return Q

    def householder(D, rng):
        v = rng.standard_normal(D)
        return np.eye(D) - 2 * np.outer(v, v) / (v @ v)

    assert_fails(check("orthogonal_init", rotations), "rotations (determinant +1)", "reflections")
    assert_fails(check("orthogonal_init", householder), "symmetric", "Householder")
