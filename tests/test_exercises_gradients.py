"""The checkers of chapter 7's exercises (rnn_course.exercises.gradient_exercises):
wrong answers fail with a useful message, right ones in other styles pass."""

import numpy as np
import pytest

from rnn_course.exercises import EXERCISES, check, hint


# ------------------------------------------------------------------ gradient_after_k_steps (concept)


@pytest.mark.parametrize("answer", [0.9 ** 50, 0.005154, 5.2e-3, np.float32(0.00515), [0.9 ** 50],
                                    np.array(0.9 ** 50)])
def test_gradient_after_k_steps_accepts_equivalent_forms(answer):
    assert check("gradient_after_k_steps", answer).passed


@pytest.mark.parametrize("answer, words", [
    (0.9 * 50, "adds the factors up"),
    (0.1 ** 50, "not what it loses"),
    (1 - 0.9 ** 50, "the part of the gradient that is lost"),
    (50 ** 0.9, "swapped"),
    (0.9 ** 49, "count the steps again"),
    (0.9 ** 51, "count the steps again"),
    (1.0, "W_h = Q itself"),
    (np.sqrt(32) * 0.9 ** 50, "Frobenius"),
    (-0.005, "cannot be negative"),
    (3.0, "more than 1"),
    (0.5, "is not 0.9^50"),
    ("small", "give one number"),
])
def test_gradient_after_k_steps_names_the_mistake(answer, words):
    result = check("gradient_after_k_steps", answer)
    assert not result.passed and result.status == "failed"
    assert words.lower() in result.message.lower(), result.message


def test_gradient_after_k_steps_stub_and_hints():
    assert check("gradient_after_k_steps", ...).status == "not attempted"
    assert "0.9 ** 50" in hint("gradient_after_k_steps", 3).text
    assert EXERCISES["gradient_after_k_steps"].chapter == "Training RNNs: vanishing and exploding gradients"


# ------------------------------------------------------------------ orthogonal_init (implementation)


def right_qr(D, rng):
    Q, R = np.linalg.qr(rng.standard_normal((D, D)))
    return Q * np.sign(np.diag(R))


def right_qr_diag_matrix(D, rng):
    A = rng.standard_normal((D, D))
    Q, R = np.linalg.qr(A)
    signs = np.diag(R) / np.abs(np.diag(R))
    return Q @ np.diag(signs)


def right_svd(D, rng):
    U, _, Vt = np.linalg.svd(rng.standard_normal((D, D)))  # the polar factor of a Gaussian is uniform too
    return U @ Vt


def right_loop(D, rng):
    Q, R = np.linalg.qr(rng.normal(size=(D, D)))
    for j in range(D):
        if R[j, j] < 0:
            Q[:, j] = -Q[:, j]
    return Q


@pytest.mark.parametrize("fn", [right_qr, right_qr_diag_matrix, right_svd, right_loop])
def test_orthogonal_init_passes_correct_implementations(fn):
    result = check("orthogonal_init", fn)
    assert result.passed, result.message


def wrong_returns_r(D, rng):
    return np.linalg.qr(rng.standard_normal((D, D)))[1]


def wrong_gaussian(D, rng):
    return rng.standard_normal((D, D)) / np.sqrt(D)


def wrong_identity(D, rng):
    return np.eye(D)


def wrong_fixed_seed(D, rng):
    return right_qr(D, np.random.default_rng(0))


def wrong_global_random(D, rng):
    Q, R = np.linalg.qr(np.random.standard_normal((D, D)))
    return Q * np.sign(np.diag(R))


def wrong_no_sign_fix(D, rng):
    return np.linalg.qr(rng.standard_normal((D, D)))[0]


def wrong_shape(D, rng):
    return right_qr(D + 1, rng)[:, :D]


def wrong_gain(D, rng):
    return 2 * right_qr(D, rng)


def wrong_returns_nothing(D, rng):
    right_qr(D, rng)


@pytest.mark.parametrize("fn, words", [
    (wrong_returns_r, "that is R of the QR decomposition"),
    (wrong_gaussian, "a Gaussian matrix is not orthogonal by itself"),
    (wrong_identity, "orthogonal, but not random"),
    (wrong_fixed_seed, "not with a fixed seed"),
    (wrong_global_random, "draw with the `rng` you are given"),
    (wrong_no_sign_fix, "multiply column j of Q by the sign of R[j, j]"),
    (wrong_shape, "wrong output shape"),
    (wrong_gain, "have length 2, not 1"),
    (wrong_returns_nothing, "is None"),
])
def test_orthogonal_init_names_the_fault(fn, words):
    result = check("orthogonal_init", fn)
    assert result.status == "failed", result.message
    assert words.lower() in (result.message + " ".join(result.details)).lower(), result.message


def test_orthogonal_init_stub_and_exception():
    def orthogonal_init(D, rng):
        ...  # your code here

    assert check("orthogonal_init", orthogonal_init).status == "not attempted"

    def broken(D, rng):
        return np.linalg.qr(rng.standard_normal(D, D))

    result = check("orthogonal_init", broken)
    assert result.status == "failed" and "raised an exception" in result.message


def test_orthogonal_init_reference_is_the_library_draw():
    from rnn_course import gradflow
    from rnn_course.exercises.gradient_exercises import orthogonal_init

    assert np.allclose(orthogonal_init(6, np.random.default_rng(4)), gradflow.orthogonal(6, seed=4))
