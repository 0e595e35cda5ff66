"""Padded batches with lengths: every recurrent module must give each sequence
exactly what it would get alone, unpadded (PyTorch's packed-sequence
semantics), in both directions and through every layer, and its gradients
must agree with finite differences."""

import numpy as np
import pytest

import rnn_course as rc
from rnn_course._recurrent import reverse_padded
from rnn_course.gradcheck import check_gradients

CELLS = ["RNN", "LSTM", "GRU"]
LENGTHS = np.array([5, 2, 1, 4])


def _module(cell, bidirectional, num_layers=2):
    return getattr(rc, cell)(3, 4, num_layers=num_layers, bidirectional=bidirectional, seed=0)


def _padded_batch(rng):
    x = rng.standard_normal((len(LENGTHS), LENGTHS.max(), 3))
    for n, length in enumerate(LENGTHS):
        x[n, length:] = 7.0  # loud padding: it must not leak into real steps
    return x


def test_reverse_padded():
    a = np.arange(8).reshape(2, 4)[..., None]
    out = reverse_padded(a, np.array([3, 1]))[..., 0]
    np.testing.assert_array_equal(out, [[2, 1, 0, 3], [4, 5, 6, 7]])
    np.testing.assert_array_equal(reverse_padded(reverse_padded(a, np.array([3, 1])), np.array([3, 1])), a)


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_each_sequence_as_if_alone(cell, bidirectional):
    m = _module(cell, bidirectional)
    x = _padded_batch(np.random.default_rng(0))
    out, h_n = m.forward(x, lengths=LENGTHS)
    for n, length in enumerate(LENGTHS):
        alone_out, alone_h_n = m.forward(x[n:n + 1, :length])
        np.testing.assert_allclose(out[n:n + 1, :length], alone_out, rtol=1e-12, atol=1e-12)
        if cell == "LSTM":
            np.testing.assert_allclose(h_n[0][:, n:n + 1], alone_h_n[0], rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(h_n[1][:, n:n + 1], alone_h_n[1], rtol=1e-12, atol=1e-12)
        else:
            np.testing.assert_allclose(h_n[:, n:n + 1], alone_h_n, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_gradients_with_lengths(cell, bidirectional):
    m = _module(cell, bidirectional)
    rng = np.random.default_rng(1)
    x = _padded_batch(rng)
    mask = (np.arange(x.shape[1])[None, :] < LENGTHS[:, None])[..., None]
    out, h_n = m.forward(x, lengths=LENGTHS)
    dout = rng.standard_normal(out.shape) * mask
    h = h_n[0] if cell == "LSTM" else h_n
    dh_n = rng.standard_normal(h.shape)

    def loss(x, **params):
        saved = dict(m.params)
        m.params.update(params)
        try:
            o, hn = m.forward(x, lengths=LENGTHS)
        finally:
            m.params.update(saved)
        hn = hn[0] if cell == "LSTM" else hn
        return np.sum(o * dout) + np.sum(hn * dh_n)

    m.forward(x, lengths=LENGTHS)
    m.zero_grad()
    dx = m.backward(dout, (dh_n, None) if cell == "LSTM" else dh_n)
    names = ["weight_hh_l0", "weight_ih_l1"] + (["weight_hh_l0_reverse"] if bidirectional else [])
    inputs = {"x": x, **{k: m.params[k] for k in names}}
    analytic = {"x": dx, **{k: m.grads[k] for k in names}}
    report = check_gradients(loss, inputs, analytic)
    assert report.ok(1e-6), str(report)


def test_length_errors():
    m = rc.RNN(3, 4)
    x = np.zeros((2, 5, 3))
    with pytest.raises(ValueError, match=r"RNN.forward: lengths contains 6, but x has only T = 5 steps \(valid lengths: 1 to 5\)"):
        m.forward(x, lengths=[6, 1])
    with pytest.raises(ValueError, match=r"RNN.forward: lengths contains 0; every sequence needs at least one step"):
        m.forward(x, lengths=[0, 1])
    with pytest.raises(ValueError, match=r"lengths has shape \(3,\); expected \(N,\) = \(2,\)"):
        m.forward(x, lengths=[1, 1, 1])
    lstm = rc.LSTM(3, 4)
    out, (h_n, c_n) = lstm.forward(x, lengths=[5, 2])
    with pytest.raises(ValueError, match="dc_n cannot be given for a forward pass with lengths"):
        lstm.backward(np.zeros_like(out), (None, np.ones_like(c_n)))
