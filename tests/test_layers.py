"""Tests for rnn_course.layers: one_hot, padding and masks, Embedding, Linear, last valid step."""

import re

import numpy as np
import pytest

from rnn_course.gradcheck import check_gradients
from rnn_course.layers import (Embedding, Linear, embedding_backward, embedding_forward, last_step_backward,
                               last_step_forward, length_mask, linear_backward, linear_forward, one_hot,
                               pad_sequences)

TOL = 1e-7


def test_one_hot():
    np.testing.assert_array_equal(one_hot([2, 0], 3), [[0, 0, 1], [1, 0, 0]])
    out = one_hot(np.array([[1, 2], [0, 0]]), 4, dtype=np.float32)
    assert out.shape == (2, 2, 4) and out.dtype == np.float32
    np.testing.assert_array_equal(out.argmax(-1), [[1, 2], [0, 0]])
    assert out.sum() == 4


@pytest.mark.parametrize("ids,V,exc,text", [
    ([3], 3, ValueError, "one_hot: ids contains 3, but there are only 3 (valid token ids: 0 to 2)"),
    ([-1], 3, ValueError, "one_hot: ids contains -1; token ids must be >= 0"),
    ([1.0, 2.0], 3, TypeError, "one_hot: ids has float dtype float64; expected integer token ids (use .astype(int)"),
    ([1], 0, ValueError, "one_hot: V must be a positive integer (the vocabulary size), got 0"),
])
def test_one_hot_errors(ids, V, exc, text):
    with pytest.raises(exc, match="^" + re.escape(text)):
        one_hot(ids, V)


def test_pad_sequences_and_mask():
    ids, lengths = pad_sequences([[5, 6, 7], [8], [9, 10]])
    np.testing.assert_array_equal(ids, [[5, 6, 7], [8, 0, 0], [9, 10, 0]])
    np.testing.assert_array_equal(lengths, [3, 1, 2])
    np.testing.assert_array_equal(length_mask(lengths), ids != 0)
    cut, cut_lengths = pad_sequences([[1, 2, 3, 4], [5]], pad_value=-1 + 1, max_len=2)
    np.testing.assert_array_equal(cut, [[1, 2], [5, 0]])
    np.testing.assert_array_equal(cut_lengths, [2, 1])
    assert length_mask([1, 2], T=4).tolist() == [[True, False, False, False], [True, True, False, False]]


def test_pad_errors():
    with pytest.raises(ValueError, match="sequences must be a non-empty list"):
        pad_sequences([])
    with pytest.raises(ValueError, match=re.escape("sequences[1] has shape (2, 2); expected a 1-D")):
        pad_sequences([[1], [[1, 2], [3, 4]]])
    with pytest.raises(TypeError, match=re.escape("sequences[0] has dtype <U1")):
        pad_sequences([["a", "b"]])
    with pytest.raises(ValueError, match="a length of 3 does not fit in T = 2"):
        length_mask([3, 1], T=2)


def test_embedding_forward_is_a_lookup():
    W = np.arange(12.0).reshape(4, 3)
    out, _ = embedding_forward(np.array([[1, 3], [0, 1]]), W)
    np.testing.assert_array_equal(out, [[W[1], W[3]], [W[0], W[1]]])


def test_embedding_backward_accumulates_repeated_ids():
    W = np.zeros((4, 2))
    ids = np.array([[1, 1, 2], [1, 0, 2]])  # id 1 three times
    _, cache = embedding_forward(ids, W)
    dout = np.arange(12.0).reshape(2, 3, 2)
    dW = embedding_backward(dout, cache)
    np.testing.assert_array_equal(dW[1], dout[0, 0] + dout[0, 1] + dout[1, 0])
    np.testing.assert_array_equal(dW[3], 0)
    report = check_gradients(lambda W: embedding_forward(ids, W)[0], {"W": np.random.default_rng(0).standard_normal((4, 2))},
                             {"W": dW}, df=dout)
    assert report.ok(TOL), str(report)


def test_embedding_module_and_errors():
    emb = Embedding(5, 3, seed=0)
    out = emb.forward(np.array([[0, 4]]))
    assert out.shape == (1, 2, 3) and repr(emb) == "Embedding(5, 3)"
    emb.backward(np.ones_like(out))
    emb.backward(np.ones_like(out))
    np.testing.assert_array_equal(emb.grads["weight"][0], 2)
    with pytest.raises(ValueError, match="embedding_forward: ids contains 5, but there are only 5"):
        emb.forward([[5]])
    with pytest.raises(ValueError, match=re.escape("embedding_backward: dout has shape (1, 3, 3); expected ids.shape + (d,)")):
        embedding_backward(np.ones((1, 3, 3)), embedding_forward([[0, 1]], np.ones((2, 3)))[1])


@pytest.mark.parametrize("shape", [(4, 3), (2, 5, 3), (1, 1, 3)])
def test_linear_gradients(shape):
    rng = np.random.default_rng(1)
    inputs = {"x": rng.standard_normal(shape), "W": rng.standard_normal((6, 3)), "b": rng.standard_normal(6)}
    y, cache = linear_forward(**inputs)
    np.testing.assert_allclose(y, inputs["x"] @ inputs["W"].T + inputs["b"])
    dy = rng.standard_normal(y.shape)
    grads = dict(zip(["x", "W", "b"], linear_backward(dy, cache)))
    report = check_gradients(lambda **kw: linear_forward(**kw)[0], inputs, grads, df=dy)
    assert report.ok(TOL), str(report)


def test_linear_module_and_errors():
    lin = Linear(3, 2, seed=0)
    assert repr(lin) == "Linear(3, 2)" and lin.params["weight"].shape == (2, 3)
    y = lin.forward(np.ones((4, 5, 3)))
    assert y.shape == (4, 5, 2)
    dx = lin.backward(np.ones_like(y))
    assert dx.shape == (4, 5, 3)
    np.testing.assert_allclose(lin.grads["bias"], [20, 20])
    with pytest.raises(ValueError, match=re.escape("linear_forward: x has shape (4, 2); expected (..., D) with D = 3")):
        lin.forward(np.ones((4, 2)))


def test_last_step_respects_lengths():
    rng = np.random.default_rng(2)
    h = rng.standard_normal((3, 4, 2))
    lengths = np.array([4, 1, 2])
    out, cache = last_step_forward(h, lengths)
    np.testing.assert_array_equal(out, [h[0, 3], h[1, 0], h[2, 1]])
    dout = rng.standard_normal((3, 2))
    dh = last_step_backward(dout, cache)
    report = check_gradients(lambda h: last_step_forward(h, lengths)[0], {"h": h}, {"h": dh}, df=dout)
    assert report.ok(TOL), str(report)
    assert np.count_nonzero(dh.any(-1)) == 3
    np.testing.assert_array_equal(last_step_forward(h)[0], h[:, -1])


def test_last_step_errors():
    h = np.zeros((2, 3, 4))
    with pytest.raises(ValueError, match=re.escape("last_step_forward: lengths contains 4, but h has only T = 3 steps (valid lengths: 1 to 3)")):
        last_step_forward(h, [4, 1])
    with pytest.raises(ValueError, match="lengths contains 0; every sequence needs at least one step"):
        last_step_forward(h, [0, 1])
    with pytest.raises(ValueError, match=re.escape("lengths has shape (3,); expected (N,) = (2,)")):
        last_step_forward(h, [1, 1, 1])
