"""Tests for rnn_course.models.SequenceRegressor: many-to-one regression on
real-valued inputs. Its loss gradient against finite differences for every
cell, its shapes and error messages, and a small task it must learn."""

import numpy as np
import pytest

from rnn_course.gradcheck import check_model_gradients
from rnn_course.models import SequenceRegressor
from rnn_course.train import fit

TOL = 1e-5  # as in test_models.py: through a whole model central differences resolve ~1e-5 relative
CELLS = ["rnn", "lstm", "gru"]


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_regressor_gradients(cell, bidirectional):
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((3, 4, 2)), rng.standard_normal((3, 2))
    m = SequenceRegressor(2, 4, 2, cell=cell, num_layers=2, bidirectional=bidirectional, seed=1)
    report = check_model_gradients(m, x, y)
    assert report.ok(TOL), str(report)
    assert set(report.errors) == {name for name, _, _ in m.parameters()}


@pytest.mark.parametrize("cell", CELLS)
def test_regressor_gradients_with_lengths(cell):
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((3, 5, 1)), rng.standard_normal((3, 1))
    m = SequenceRegressor(1, 3, cell=cell, bidirectional=True, seed=2)
    report = check_model_gradients(m, x, y, np.array([5, 2, 4]))
    assert report.ok(TOL), str(report)


def test_a_wrong_gradient_is_caught():
    """The check above can fail: scaling the loss but not its gradient is detected."""
    rng = np.random.default_rng(2)
    x, y = rng.standard_normal((3, 4, 1)), rng.standard_normal((3, 1))
    m = SequenceRegressor(1, 3, seed=0)
    right = m.loss
    m.loss = lambda *batch: 2 * right(*batch)
    assert not check_model_gradients(m, x, y).ok(TOL)


def test_forward_shapes_and_loss_is_mse():
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((5, 7, 3)), rng.standard_normal((5, 2))
    m = SequenceRegressor(3, 4, 2, cell="lstm", seed=0)
    pred = m.forward(x)
    assert pred.shape == (5, 2)
    np.testing.assert_allclose(m.predict(x), pred)
    assert m.loss(x, y) == pytest.approx(np.mean((pred - y) ** 2), rel=1e-12)


def test_lengths_ignore_padding():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((3, 6, 1))
    lengths = np.array([6, 3, 1])
    noisy = x.copy()
    noisy[np.arange(6)[None, :] >= lengths[:, None]] = 99.0
    m = SequenceRegressor(1, 4, bidirectional=True, seed=0)
    np.testing.assert_allclose(m.forward(x, lengths), m.forward(noisy, lengths), rtol=1e-12)
    # and the short row's prediction is that of its real steps alone
    np.testing.assert_allclose(m.forward(x, lengths)[1], m.forward(x[1:2, :3])[0], rtol=1e-12)


@pytest.mark.parametrize("call, words, error", [
    (lambda m: m.forward(np.zeros((2, 3))), r"x has shape \(2, 3\); expected \(N, T, d\) with d = 1", ValueError),
    (lambda m: m.forward(np.zeros((2, 3, 2))), r"expected \(N, T, d\) with d = 1", ValueError),
    (lambda m: m.forward(np.zeros((2, 3, 1), dtype=int)), "expected real values", TypeError),
    (lambda m: m.loss(np.zeros((2, 3, 1)), np.zeros(2)), r"y has shape \(2,\); expected \(N, k\) = \(2, 1\)",
     ValueError),
])
def test_bad_input_gets_a_sentence(call, words, error):
    with pytest.raises(error, match=words):
        call(SequenceRegressor(1, 3, seed=0))


def test_bad_output_size():
    with pytest.raises(ValueError, match="output_size must be a positive integer"):
        SequenceRegressor(1, 3, 0)


def test_learns_the_mean_of_a_sequence():
    """A task that needs every step: predict the mean of T numbers."""
    rng = np.random.default_rng(5)
    x = rng.uniform(-1, 1, (512, 6, 1))
    y = x.mean(axis=1)  # (N, 1)
    m = SequenceRegressor(1, 16, cell="gru", seed=0)
    before = np.mean((m.predict(x) - y) ** 2)
    fit(m, (x, y), epochs=15, batch_size=32, lr=1e-2, seed=0, quiet=True)
    after = np.mean((m.predict(x) - y) ** 2)
    assert after < 0.05 * np.var(y) and after < before / 10
