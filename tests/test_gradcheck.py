"""Tests for rnn_course.gradcheck: the checker every backward relies on must
itself be right, must never touch the caller's arrays, and must catch bugs."""

import numpy as np
import pytest

from rnn_course.gradcheck import check_gradients, numerical_gradient, rel_error


def test_numerical_gradient_of_known_functions():
    x = np.array([[0.3, -1.2], [2.0, 0.5]])
    np.testing.assert_allclose(numerical_gradient(lambda v: np.sum(v ** 3), x), 3 * x ** 2, rtol=1e-8)
    df = np.array([[1.0, 2.0], [-1.0, 0.5]])
    np.testing.assert_allclose(numerical_gradient(np.sin, x, df=df), np.cos(x) * df, rtol=1e-8)


def test_numerical_gradient_never_mutates_the_callers_array():
    x = np.array([1.0, 2.0, 3.0])
    seen = []

    def f(v):
        seen.append(v is x)
        return float(np.sum(v * v))

    before = x.copy()
    numerical_gradient(f, x)
    np.testing.assert_array_equal(x, before)
    assert not any(seen), "f must receive a private copy, never the caller's array"


def test_numerical_gradient_works_in_float64_for_float32_input():
    x = np.array([0.1, 0.2], dtype=np.float32)
    g = numerical_gradient(lambda v: np.sum(v ** 2), x)
    assert g.dtype == np.float64
    np.testing.assert_allclose(g, 2 * x.astype(np.float64), rtol=1e-7)


def test_rel_error_is_symmetric_and_scaled():
    a, b = np.array([1.0, -2.0, 0.0]), np.array([1.001, -2.0, 0.0])
    assert rel_error(a, b) == rel_error(b, a)
    assert rel_error(a, b) == pytest.approx(0.001 / 2.001)
    assert rel_error(a, a) == 0.0


def test_check_gradients_catches_a_wrong_gradient_and_names_it():
    rng = np.random.default_rng(0)
    inputs = {"x": rng.standard_normal((3, 2)), "W": rng.standard_normal((2, 4))}
    df = rng.standard_normal((3, 4))
    right = {"x": df @ inputs["W"].T, "W": inputs["x"].T @ df}
    report = check_gradients(lambda x, W: x @ W, inputs, right, df=df)
    assert report.ok(1e-8), str(report)

    wrong = {"x": right["x"], "W": right["W"].copy()}
    wrong["W"][1, 2] += 0.5
    report = check_gradients(lambda x, W: x @ W, inputs, wrong, df=df)
    assert not report.ok(1e-2)
    assert report.worst_name == "W"
    assert report.worst["W"][0] == (1, 2)
    assert "worst: W[1, 2]" in str(report)


def test_check_gradients_rejects_a_gradient_of_the_wrong_shape():
    with pytest.raises(ValueError, match="gradient for x has shape \\(2, 3\\); expected \\(3, 2\\)"):
        check_gradients(lambda x: np.sum(x), {"x": np.zeros((3, 2))}, {"x": np.zeros((2, 3))})


def test_check_gradients_unknown_name():
    with pytest.raises(KeyError, match="no input named 'y'"):
        check_gradients(lambda x: np.sum(x), {"x": np.zeros(2)}, {"y": np.zeros(2)})


def test_tiny_entries_are_measured_at_the_inputs_scale():
    w = np.array([1.0, 3e-7, -2e-8])
    x = np.array([0.3, -0.7, 1.1])

    def f(x):
        return np.sum(np.sin(x) * w) * 1e3  # values ~1e3: rounding noise ~1e-8 in the differences

    right = np.cos(x) * w * 1e3
    assert check_gradients(f, {"x": x}, {"x": right}).ok(1e-6)
    wrong = right.copy()
    wrong[1] *= 2  # a real bug in a tiny entry is still caught
    assert not check_gradients(f, {"x": x}, {"x": wrong}).ok(1e-6)
