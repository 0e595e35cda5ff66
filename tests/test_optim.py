"""Tests for rnn_course.optim: the update rules by hand, global-norm clipping, and a real descent."""

import numpy as np
import pytest

import rnn_course as rc
from rnn_course.layers import Linear
from rnn_course.optim import SGD, Adam, clip_grad_norm


def _one(p, g):
    return [("w", p, g)]


def test_sgd_plain_and_momentum_by_hand():
    p, g = np.array([1.0, -2.0]), np.array([0.5, 0.5])
    SGD(_one(p, g), lr=0.1).step()
    np.testing.assert_allclose(p, [0.95, -2.05])
    p, g = np.array([0.0]), np.array([1.0])
    opt = SGD(_one(p, g), lr=0.1, momentum=0.9)
    opt.step()  # v = 1
    opt.step()  # v = 0.9 + 1 = 1.9
    np.testing.assert_allclose(p, [-0.1 - 0.19])


def test_adam_first_steps_by_hand():
    p, g = np.array([1.0]), np.array([0.3])
    opt = Adam(_one(p, g), lr=0.01)
    opt.step()  # bias correction makes the first step exactly lr * sign(g)
    np.testing.assert_allclose(p, [1.0 - 0.01], rtol=1e-6)
    g[...] = -0.3
    opt.step()
    m = 0.9 * 0.1 * 0.3 * 1 + 0.1 * -0.3
    v = 0.999 * 0.001 * 0.09 + 0.001 * 0.09
    expected = 0.99 - 0.01 * (m / (1 - 0.81)) / (np.sqrt(v / (1 - 0.999 ** 2)) + 1e-8)
    np.testing.assert_allclose(p, [expected], rtol=1e-9)


def test_clip_grad_norm_is_global_and_keeps_direction():
    a, b = np.array([3.0, 0.0]), np.array([[4.0]])
    total = clip_grad_norm([a, b], max_norm=1.0)
    assert total == pytest.approx(5.0)
    np.testing.assert_allclose(a, [0.6, 0.0])
    np.testing.assert_allclose(b, [[0.8]])
    small = np.array([0.1, 0.1])
    assert clip_grad_norm({"g": small}, 1.0) == pytest.approx(np.sqrt(0.02))
    np.testing.assert_allclose(small, [0.1, 0.1])  # under the limit: untouched


def test_clip_grad_norm_on_a_model_and_errors():
    m = rc.RNN(2, 3, seed=0)
    out, _ = m.forward(np.ones((1, 4, 2)))
    m.backward(100 * np.ones_like(out))
    before = clip_grad_norm(m, 2.0)
    after = np.sqrt(sum(np.sum(g ** 2) for _, _, g in m.parameters()))
    assert before > 2.0 and after == pytest.approx(2.0)
    with pytest.raises(ValueError, match="max_norm must be a positive number, got 0"):
        clip_grad_norm(m, 0)
    with pytest.raises(ValueError, match="the gradients contain NaN or inf"):
        clip_grad_norm([np.array([np.inf])], 1.0)
    with pytest.raises(TypeError, match="expected a model with .parameters()"):
        clip_grad_norm(42, 1.0)


@pytest.mark.parametrize("make", [lambda m: SGD(m, lr=0.1, momentum=0.9), lambda m: Adam(m, lr=0.05)])
def test_optimisers_fit_a_linear_map(make):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 3))
    y = x @ np.array([[1.0, -2.0, 0.5]]).T + 0.3
    lin = Linear(3, 1, seed=0)
    opt = make(lin)
    for _ in range(300):
        lin.zero_grad()
        loss, d = rc.losses.mse_loss(lin.forward(x), y)
        lin.backward(d)
        opt.step()
    assert loss < 1e-4
    np.testing.assert_allclose(lin.params["weight"], [[1.0, -2.0, 0.5]], atol=1e-2)


def test_optimiser_errors():
    with pytest.raises(ValueError, match="SGD: lr must be a positive number, got -1"):
        SGD(_one(np.zeros(1), np.zeros(1)), lr=-1)
    with pytest.raises(ValueError, match="momentum must be in"):
        SGD(_one(np.zeros(1), np.zeros(1)), momentum=1.5)
    with pytest.raises(TypeError, match="triple of arrays with the same shape"):
        Adam([("w", np.zeros(2), np.zeros(3))])
