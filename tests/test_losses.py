"""Tests for rnn_course.losses: values, gradients, masks that really exclude padding."""

import re

import numpy as np
import pytest

from rnn_course.gradcheck import check_gradients
from rnn_course.losses import mse_loss, softmax, softmax_cross_entropy

TOL = 1e-6  # float64 central differences resolve gradient entries near 1e-6 only to ~1e-6 relative


def test_cross_entropy_value_by_hand():
    logits = np.array([[0.0, 0.0], [np.log(3.0), 0.0]])
    loss, _ = softmax_cross_entropy(logits, np.array([0, 0]))
    assert loss == pytest.approx((np.log(2) + np.log(4 / 3)) / 2)


@pytest.mark.parametrize("shape", [(5, 4), (2, 3, 4), (1, 1, 4)])
@pytest.mark.parametrize("masked", [False, True])
def test_cross_entropy_gradient(shape, masked):
    rng = np.random.default_rng(sum(shape) + masked)
    logits = rng.standard_normal(shape)
    targets = rng.integers(0, shape[-1], shape[:-1])
    mask = None
    if masked:
        mask = rng.random(shape[:-1]) < 0.6
        mask.flat[0] = True
    loss, dlogits = softmax_cross_entropy(logits, targets, mask)
    report = check_gradients(lambda logits: softmax_cross_entropy(logits, targets, mask)[0],
                             {"logits": logits}, {"logits": dlogits})
    assert report.ok(TOL), str(report)


def test_mask_excludes_padding_entirely():
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((2, 3, 5))
    targets = np.array([[1, 2, 0], [3, 0, 0]])
    mask = np.array([[True, True, False], [True, False, False]])
    loss, dlogits = softmax_cross_entropy(logits, targets, mask)
    garbage = logits.copy()
    garbage[~mask] = 1e3  # whatever sits at padded positions
    loss2, _ = softmax_cross_entropy(garbage, targets, mask)
    assert loss == pytest.approx(loss2)
    assert not dlogits[~mask].any()
    unmasked, _ = softmax_cross_entropy(logits[mask], targets[mask])
    assert loss == pytest.approx(unmasked)  # a mean over the 3 real positions, not over 6


def test_cross_entropy_is_stable_for_huge_logits():
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is fine
        loss, d = softmax_cross_entropy(np.array([[1e4, 0.0, -1e4]]), np.array([1]))
    assert loss == pytest.approx(1e4)
    np.testing.assert_allclose(softmax(np.array([1e4, 0.0])), [1, 0])


@pytest.mark.parametrize("args,exc,text", [
    ((np.zeros(3), np.array([0])), ValueError, "softmax_cross_entropy: logits has shape (3,); expected (N, V) or (N, T, V)"),
    ((np.zeros((2, 3)), np.array([0, 3])), ValueError, "softmax_cross_entropy: targets contains 3, but there are only 3"),
    ((np.zeros((2, 3)), np.array([0])), ValueError, "softmax_cross_entropy: targets has shape (1,); expected (N,) = (2,)"),
    ((np.zeros((2, 3)), np.array([0.0, 1.0])), TypeError, "softmax_cross_entropy: targets has float dtype"),
    ((np.zeros((2, 3)), np.array([0, 1]), np.array([True])), ValueError, "softmax_cross_entropy: mask has shape (1,)"),
    ((np.zeros((2, 3)), np.array([0, 1]), np.array([False, False])), ValueError,
     "softmax_cross_entropy: mask is False everywhere; nothing is left to average over"),
])
def test_cross_entropy_errors(args, exc, text):
    with pytest.raises(exc, match="^" + re.escape(text)):
        softmax_cross_entropy(*args)


def test_mse():
    rng = np.random.default_rng(3)
    pred, target = rng.standard_normal((3, 4, 2)), rng.standard_normal((3, 4, 2))
    loss, d = mse_loss(pred, target)
    assert loss == pytest.approx(np.mean((pred - target) ** 2))
    report = check_gradients(lambda pred: mse_loss(pred, target)[0], {"pred": pred}, {"pred": d})
    assert report.ok(TOL), str(report)
    mask = np.array([[1, 1, 0, 0]] * 3, dtype=bool)  # masks whole vectors
    loss_m, d_m = mse_loss(pred, target, mask)
    assert loss_m == pytest.approx(np.mean((pred[:, :2] - target[:, :2]) ** 2))
    assert not d_m[:, 2:].any()
    with pytest.raises(ValueError, match=re.escape("mse_loss: pred has shape (3, 4, 2) but target has shape (3, 4)")):
        mse_loss(pred, target[..., 0])
