"""rnn_course.gradflow: measuring gradients through time, initialisations, truncated BPTT."""

import numpy as np
import pytest

import rnn_course
from rnn_course import gradflow


def _rnn(rng, D=6, d=3):
    return rng.standard_normal((D, d)) / np.sqrt(d), rng.standard_normal((D, D)) / np.sqrt(D), \
        0.1 * rng.standard_normal(D)


def test_spectral_radius_and_scaling():
    W = np.diag([0.5, -2.0, 1.0])
    assert gradflow.spectral_radius(W) == pytest.approx(2.0)
    rotation = np.array([[0.0, -3.0], [3.0, 0.0]])  # eigenvalues ±3i
    assert gradflow.spectral_radius(rotation) == pytest.approx(3.0)
    rng = np.random.default_rng(0)
    A = rng.standard_normal((7, 7))
    assert gradflow.spectral_radius(gradflow.scale_to_radius(A, 0.9)) == pytest.approx(0.9)
    assert np.allclose(gradflow.scale_to_radius(A, 0.9) / A, gradflow.scale_to_radius(A, 0.9)[0, 0] / A[0, 0])


def test_spectral_radius_errors():
    with pytest.raises(ValueError, match=r"W has shape \(2, 3\); expected a square \(D, D\) matrix"):
        gradflow.spectral_radius(np.ones((2, 3)))
    with pytest.raises(ValueError, match="rho must be a number >= 0"):
        gradflow.scale_to_radius(np.eye(2), -1)
    with pytest.raises(ValueError, match="nilpotent"):
        gradflow.scale_to_radius(np.array([[0.0, 1.0], [0.0, 0.0]]), 1.0)


def test_orthogonal_is_orthogonal_seeded_and_unbiased():
    Q = gradflow.orthogonal(9, seed=3, gain=2.0)
    assert np.allclose(Q.T @ Q, 4 * np.eye(9))
    assert np.array_equal(gradflow.orthogonal(5, seed=1), gradflow.orthogonal(5, seed=1))
    assert not np.allclose(gradflow.orthogonal(5, seed=1), gradflow.orthogonal(5, seed=2))
    diag = np.array([np.diag(gradflow.orthogonal(4, seed=s)) for s in range(300)])
    assert abs(diag.mean()) < 0.1  # the sign fix: plain QR averages about -0.2 here
    with pytest.raises(ValueError, match="D must be a positive integer"):
        gradflow.orthogonal(0)


def test_jacobian_norms_match_the_product_of_jacobians():
    rng = np.random.default_rng(1)
    Wx, Wh, b = _rnn(rng)
    x = rng.standard_normal((12, 3))
    norms = gradflow.jacobian_norms(x, Wx, Wh, b)
    assert norms.shape == (13,) and norms[0] == 1.0
    _, cache = rnn_course.rnn_forward(x[None], None, Wx, Wh, b)
    J = np.eye(6)
    for k in range(1, 13):
        J = J @ np.diag(1 - cache.hs[13 - k, 0] ** 2) @ Wh
        assert norms[k] == pytest.approx(np.linalg.norm(J, 2), rel=1e-10)


def test_jacobian_norms_linear_regime_and_relu():
    Q = gradflow.orthogonal(5, seed=0)
    x = np.zeros((30, 2))
    norms = gradflow.jacobian_norms(x, np.zeros((5, 2)), 0.8 * Q, np.zeros(5))  # h stays 0: tanh' = 1
    assert np.allclose(norms, 0.8 ** np.arange(31))
    relu = gradflow.jacobian_norms(np.ones((10, 2)), np.ones((5, 2)), np.eye(5), np.zeros(5), nonlinearity="relu")
    assert np.allclose(relu, 1.0)  # every unit active: the Jacobian is the identity
    h0 = np.ones(5)
    with_h0 = gradflow.jacobian_norms(x, np.zeros((5, 2)), 0.8 * Q, np.zeros(5), h0=h0)
    assert with_h0[5] < 0.8 ** 5  # saturation from the start state


def test_jacobian_norms_errors():
    with pytest.raises(ValueError, match=r"expected one sequence \(T, d\)"):
        gradflow.jacobian_norms(np.ones((2, 3, 4)), np.ones((2, 4)), np.eye(2), np.zeros(2))
    with pytest.raises(ValueError, match="Wx has shape"):
        gradflow.jacobian_norms(np.ones((3, 4)), np.ones((2, 5)), np.eye(2), np.zeros(2))


def test_saturation_counts_units_with_small_derivative():
    h = np.array([0.0, 0.5, 0.99, -0.999, 1.0])
    assert gradflow.saturation(h) == pytest.approx(3 / 5)
    assert gradflow.saturation(h, threshold=0.5) == pytest.approx(3 / 5)
    assert gradflow.saturation(h, threshold=0.8) == pytest.approx(4 / 5)
    with pytest.raises(ValueError, match="outside"):
        gradflow.saturation(np.array([2.0]))
    with pytest.raises(ValueError, match="threshold must be in"):
        gradflow.saturation(h, threshold=0)


def test_truncated_bptt_equals_full_bptt_for_a_long_window():
    rng = np.random.default_rng(2)
    Wx, Wh, b = _rnn(rng)
    x, h0 = rng.standard_normal((2, 9, 3)), rng.standard_normal((2, 6))
    dh = rng.standard_normal((2, 9, 6))
    _, cache = rnn_course.rnn_forward(x, h0, Wx, Wh, b)
    dx, _, dWx, dWh, db = rnn_course.rnn_backward(dh, cache)
    for k in (9, 20):
        got = gradflow.truncated_rnn_backward(x, h0, Wx, Wh, b, dh, k)
        for a, w in zip(got, (dx, dWx, dWh, db)):
            assert np.allclose(a, w)


def test_truncated_bptt_is_the_sum_of_window_gradients():
    rng = np.random.default_rng(3)
    Wx, Wh, b = _rnn(rng)
    x, dh = rng.standard_normal((2, 7, 3)), rng.standard_normal((2, 7, 6))
    got = gradflow.truncated_rnn_backward(x, None, Wx, Wh, b, dh, k=3)
    h_full, _ = rnn_course.rnn_forward(x, None, Wx, Wh, b)
    want = [np.zeros((2, 7, 3)), np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)]
    for start, h0 in ((0, None), (3, h_full[:, 2]), (6, h_full[:, 5])):  # windows [0,3), [3,6), [6,7)
        w = slice(start, start + 3)
        _, cache = rnn_course.rnn_forward(x[:, w], h0, Wx, Wh, b)
        dx, _, dWx, dWh, db = rnn_course.rnn_backward(dh[:, w], cache)
        want[0][:, w] = dx
        want[1] += dWx
        want[2] += dWh
        want[3] += db
    for a, w in zip(got, want):
        assert np.allclose(a, w)
    # no gradient crosses a window: a loss at step 6 does not reach x_5
    dh_last = np.zeros_like(dh)
    dh_last[:, 6] = 1
    dx = gradflow.truncated_rnn_backward(x, None, Wx, Wh, b, dh_last, k=3)[0]
    assert np.all(dx[:, :6] == 0) and np.any(dx[:, 6] != 0)


def test_truncated_bptt_errors():
    rng = np.random.default_rng(0)
    Wx, Wh, b = _rnn(rng)
    with pytest.raises(ValueError, match="k must be a positive integer"):
        gradflow.truncated_rnn_backward(np.ones((1, 4, 3)), None, Wx, Wh, b, np.ones((1, 4, 6)), 0)
    with pytest.raises(ValueError, match="dh has shape"):
        gradflow.truncated_rnn_backward(np.ones((1, 4, 3)), None, Wx, Wh, b, np.ones((1, 5, 6)), 2)


def test_geometric_rate_recovers_the_factor_per_step():
    k = np.arange(20, 101)
    assert np.isclose(gradflow.geometric_rate(k, 3.0 * 0.87 ** k), 0.87)
    assert np.isclose(gradflow.geometric_rate(k, 1.5 ** k), 1.5)
    rng = np.random.default_rng(0)
    noisy = 0.6 ** k * np.exp(0.1 * rng.standard_normal(k.size))
    assert abs(gradflow.geometric_rate(k, noisy) - 0.6) < 0.01


def test_power_law_exponent_recovers_the_slope():
    k = np.array([1, 2, 5, 10, 20, 50, 100])
    assert np.isclose(gradflow.power_law_exponent(k, 0.4 / k), -1.0)
    assert np.isclose(gradflow.power_law_exponent(k, 2.0 / np.sqrt(k)), -0.5)


def test_rate_fits_errors():
    with pytest.raises(ValueError, match="same length"):
        gradflow.geometric_rate([1, 2, 3], [1.0, 0.5])
    with pytest.raises(ValueError, match="positive and finite"):
        gradflow.geometric_rate([1, 2], [1.0, 0.0])
    with pytest.raises(ValueError, match="two different values"):
        gradflow.geometric_rate([2, 2], [1.0, 0.5])
    with pytest.raises(ValueError, match="k must be positive"):
        gradflow.power_law_exponent([0, 1], [1.0, 0.5])
