"""Tests for rnn_course.rnn: the vanilla RNN's forward, BPTT and module.

Forward passes are checked against plain formulas, backward passes against
central differences (float64), each on seeded random shapes that include
N = 1, T = 1 and d != D. Parity with PyTorch lives in test_torch_parity.py.
"""

import numpy as np
import pytest

import rnn_course as rc
from rnn_course.gradcheck import check_gradients, check_module_gradients

SHAPES = [  # (N, T, d, D)
    (1, 1, 3, 5),
    (1, 4, 2, 3),
    (3, 1, 4, 2),
    (2, 5, 3, 4),
    (4, 3, 6, 6),
]
TOL = 1e-6


def _params(rng, d, D, scale=0.5, dtype=np.float64):
    Wx = (scale * rng.standard_normal((D, d))).astype(dtype)
    Wh = (scale * rng.standard_normal((D, D))).astype(dtype)
    b = (scale * rng.standard_normal(D)).astype(dtype)
    return Wx, Wh, b


def _f(nonlinearity):
    return {"tanh": np.tanh, "relu": lambda a: np.maximum(a, 0)}[nonlinearity]


# -- forward -----------------------------------------------------------------


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
@pytest.mark.parametrize("N,T,d,D", SHAPES)
def test_step_forward_is_the_note_equation(N, T, d, D, nonlinearity):
    rng = np.random.default_rng([N, T, d, D])
    Wx, Wh, b = _params(rng, d, D)
    x_t, h_prev = rng.standard_normal((N, d)), rng.standard_normal((N, D))
    h_next, _ = rc.rnn_step_forward(x_t, h_prev, Wx, Wh, b, nonlinearity)
    # The note's column-vector form, one sequence at a time: f(W_x x + W_h h + b).
    for n in range(N):
        expected = _f(nonlinearity)(Wx @ x_t[n] + Wh @ h_prev[n] + b)
        np.testing.assert_allclose(h_next[n], expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
@pytest.mark.parametrize("N,T,d,D", SHAPES)
def test_forward_is_the_step_in_a_loop(N, T, d, D, nonlinearity):
    rng = np.random.default_rng([N, T, d, D, 1])
    Wx, Wh, b = _params(rng, d, D)
    x, h0 = rng.standard_normal((N, T, d)), rng.standard_normal((N, D))
    h, _ = rc.rnn_forward(x, h0, Wx, Wh, b, nonlinearity)
    assert h.shape == (N, T, D)
    h_t = h0
    for t in range(T):
        h_t, _ = rc.rnn_step_forward(x[:, t], h_t, Wx, Wh, b, nonlinearity)
        np.testing.assert_allclose(h[:, t], h_t, rtol=1e-12, atol=1e-12)


def test_forward_h0_none_means_zeros():
    rng = np.random.default_rng(0)
    Wx, Wh, b = _params(rng, 3, 4)
    x = rng.standard_normal((2, 3, 3))
    h_none, _ = rc.rnn_forward(x, None, Wx, Wh, b)
    h_zero, _ = rc.rnn_forward(x, np.zeros((2, 4)), Wx, Wh, b)
    np.testing.assert_array_equal(h_none, h_zero)


def test_the_notes_worked_example_d_D_4():
    # Batch 1, d = D = 4, tanh: the note's picture, with numbers small enough to check by hand.
    Wx = np.eye(4) * 0.5
    Wh = np.full((4, 4), 0.1)
    b = np.array([0.0, 0.1, -0.1, 0.2])
    x_t = np.array([[1.0, 0.0, -1.0, 2.0]])
    h_prev = np.array([[0.5, -0.5, 1.0, 0.0]])
    h, _ = rc.rnn_step_forward(x_t, h_prev, Wx, Wh, b)
    # W_h h_prev = 0.1 * (0.5 - 0.5 + 1 + 0) = 0.1 in every row.
    np.testing.assert_allclose(h, np.tanh([[0.5 + 0.1, 0.0 + 0.1 + 0.1, -0.5 + 0.1 - 0.1, 1.0 + 0.1 + 0.2]]))


def test_forward_does_not_modify_its_inputs():
    rng = np.random.default_rng(1)
    args = [rng.standard_normal((2, 3, 3)), rng.standard_normal((2, 4)), *_params(rng, 3, 4)]
    copies = [a.copy() for a in args]
    h, cache = rc.rnn_forward(*args)
    rc.rnn_backward(np.ones_like(h), cache)
    for a, c in zip(args, copies):
        np.testing.assert_array_equal(a, c)


def test_changing_the_output_in_place_does_not_corrupt_backward():
    rng = np.random.default_rng(3)
    x, h0 = rng.standard_normal((2, 4, 3)), rng.standard_normal((2, 5))
    Wx, Wh, b = _params(rng, 3, 5)
    h, cache = rc.rnn_forward(x, h0, Wx, Wh, b)
    dh = rng.standard_normal(h.shape)
    expected = rc.rnn_backward(dh, cache)
    h *= 0  # e.g. masking padded steps in place
    for got, want in zip(rc.rnn_backward(dh, cache), expected):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_follows_the_input(dtype):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 3, 3)).astype(dtype)
    h0 = rng.standard_normal((2, 4)).astype(dtype)
    Wx, Wh, b = _params(rng, 3, 4, dtype=dtype)
    h, cache = rc.rnn_forward(x, h0, Wx, Wh, b)
    grads = rc.rnn_backward(np.ones_like(h), cache)
    h1, c1 = rc.rnn_step_forward(x[:, 0], h0, Wx, Wh, b)
    grads1 = rc.rnn_step_backward(np.ones_like(h1), c1)
    assert h.dtype == dtype and h1.dtype == dtype
    assert all(g.dtype == dtype for g in grads + grads1)


def test_large_preactivations_saturate_without_warnings():
    x = np.full((1, 2, 2), 1e3)
    Wx, Wh, b = np.ones((3, 2)), np.ones((3, 3)), np.zeros(3)
    with np.errstate(all="raise"):
        h, cache = rc.rnn_forward(x, None, Wx, Wh, b)
        dx, *_ = rc.rnn_backward(np.ones_like(h), cache)
    np.testing.assert_array_equal(h, 1.0)
    np.testing.assert_array_equal(dx, 0.0)


# -- backward: central differences ---------------------------------------------


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
@pytest.mark.parametrize("N,T,d,D", SHAPES)
def test_step_backward_matches_numerical_gradient(N, T, d, D, nonlinearity):
    rng = np.random.default_rng([N, T, d, D, 2])
    Wx, Wh, b = _params(rng, d, D)
    inputs = dict(x_t=rng.standard_normal((N, d)), h_prev=rng.standard_normal((N, D)), Wx=Wx, Wh=Wh, b=b)
    h, cache = rc.rnn_step_forward(**inputs, nonlinearity=nonlinearity)
    dh = rng.standard_normal(h.shape)
    grads = dict(zip(["x_t", "h_prev", "Wx", "Wh", "b"], rc.rnn_step_backward(dh, cache)))
    report = check_gradients(lambda **kw: rc.rnn_step_forward(**kw, nonlinearity=nonlinearity)[0],
                             inputs, grads, df=dh)
    assert report.ok(TOL), str(report)


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
@pytest.mark.parametrize("N,T,d,D", SHAPES)
def test_bptt_matches_numerical_gradient(N, T, d, D, nonlinearity):
    rng = np.random.default_rng([N, T, d, D, 3])
    Wx, Wh, b = _params(rng, d, D)
    inputs = dict(x=rng.standard_normal((N, T, d)), h0=rng.standard_normal((N, D)), Wx=Wx, Wh=Wh, b=b)
    h, cache = rc.rnn_forward(**inputs, nonlinearity=nonlinearity)
    dh = rng.standard_normal(h.shape)
    grads = dict(zip(["x", "h0", "Wx", "Wh", "b"], rc.rnn_backward(dh, cache)))
    report = check_gradients(lambda **kw: rc.rnn_forward(**kw, nonlinearity=nonlinearity)[0],
                             inputs, grads, df=dh)
    assert report.ok(TOL), str(report)


def test_bptt_flows_back_through_every_earlier_state():
    # A loss on the last step only must still reach x_1: the gradient is not
    # just the last step's local one.
    rng = np.random.default_rng(4)
    Wx, Wh, b = _params(rng, 2, 3)
    x = rng.standard_normal((1, 5, 2))
    h, cache = rc.rnn_forward(x, None, Wx, Wh, b)
    dh = np.zeros_like(h)
    dh[:, -1] = 1.0
    dx, dh0, dWx, dWh, db = rc.rnn_backward(dh, cache)
    assert np.all(np.abs(dx[0, 0]) > 0)
    # ... and the weight gradient is the sum over steps, not the last step's term.
    last_only = rc.rnn_step_backward(dh[:, -1], rc.rnn_step_forward(x[:, -1], h[:, -2], Wx, Wh, b)[1])
    assert not np.allclose(dWh, last_only[3])


# -- the module ------------------------------------------------------------------


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_module_gradients(num_layers, bidirectional, nonlinearity):
    m = rc.RNN(3, 4, num_layers=num_layers, nonlinearity=nonlinearity,
               bidirectional=bidirectional, seed=0)
    x = np.random.default_rng(5).standard_normal((2, 4, 3))
    report = check_module_gradients(m, x)
    assert report.ok(TOL), str(report)
    assert set(report.errors) == {"x", *m.params}


@pytest.mark.parametrize("bidirectional", [False, True])
def test_module_h0_and_dh_n_gradients(bidirectional):
    L, dirs, N, T, d, D = 2, 2 if bidirectional else 1, 2, 3, 3, 4
    m = rc.RNN(d, D, num_layers=L, bidirectional=bidirectional, seed=1)
    rng = np.random.default_rng(6)
    x, h0 = rng.standard_normal((N, T, d)), rng.standard_normal((L * dirs, N, D))
    dout, dh_n = rng.standard_normal((N, T, dirs * D)), rng.standard_normal((L * dirs, N, D))

    def loss(x, h0):
        out, h_n = m.forward(x, h0)
        return np.sum(out * dout) + np.sum(h_n * dh_n)

    m.forward(x, h0)
    m.zero_grad()
    dx = m.backward(dout, dh_n)
    analytic = {"x": dx, "h0": m.dh0}
    report = check_gradients(loss, {"x": x, "h0": h0}, analytic)
    assert report.ok(TOL), str(report)


def test_module_layout_matches_torch():
    m = rc.RNN(3, 5, num_layers=2, bidirectional=True, seed=0)
    assert list(m.params) == [
        "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
        "weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_ih_l0_reverse", "bias_hh_l0_reverse",
        "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1",
        "weight_ih_l1_reverse", "weight_hh_l1_reverse", "bias_ih_l1_reverse", "bias_hh_l1_reverse",
    ]
    assert m.params["weight_ih_l0"].shape == (5, 3)
    assert m.params["weight_ih_l1"].shape == (5, 10)  # layer 1 reads both directions
    assert m.params["weight_hh_l1_reverse"].shape == (5, 5)
    out, h_n = m.forward(np.zeros((2, 7, 3)))
    assert out.shape == (2, 7, 10) and h_n.shape == (4, 2, 5)


def test_module_init_is_seeded_and_bounded():
    a, b, c = rc.RNN(3, 16, seed=7), rc.RNN(3, 16, seed=7), rc.RNN(3, 16, seed=8)
    for k in a.params:
        np.testing.assert_array_equal(a.params[k], b.params[k])
        assert np.abs(a.params[k]).max() <= 1 / np.sqrt(16)
    assert not np.array_equal(a.params["weight_hh_l0"], c.params["weight_hh_l0"])


def test_module_output_layout_forward_then_reversed_backward():
    m = rc.RNN(2, 3, bidirectional=True, seed=2)
    x = np.random.default_rng(8).standard_normal((1, 4, 2))
    out, h_n = m.forward(x)
    p = m.params
    fwd, _ = rc.rnn_forward(x, None, p["weight_ih_l0"], p["weight_hh_l0"], p["bias_ih_l0"] + p["bias_hh_l0"])
    bwd, _ = rc.rnn_forward(x[:, ::-1], None, p["weight_ih_l0_reverse"], p["weight_hh_l0_reverse"],
                            p["bias_ih_l0_reverse"] + p["bias_hh_l0_reverse"])
    np.testing.assert_allclose(out[..., :3], fwd)
    np.testing.assert_allclose(out[..., 3:], bwd[:, ::-1])  # re-reversed before concatenation
    np.testing.assert_allclose(h_n[0], fwd[:, -1])
    np.testing.assert_allclose(h_n[1], bwd[:, -1])  # the reverse direction ends at x[0]


def test_backward_accumulates_and_zero_grad_resets():
    m = rc.RNN(2, 3, seed=0)
    x = np.ones((1, 2, 2))
    out, _ = m.forward(x)
    m.backward(np.ones_like(out))
    once = {k: g.copy() for k, g in m.grads.items()}
    m.backward(np.ones_like(out))
    for k in once:
        np.testing.assert_allclose(m.grads[k], 2 * once[k])
    m.zero_grad()
    assert all(not g.any() for g in m.grads.values())
    assert [name for name, _, _ in m.parameters()] == list(m.params)


def test_bias_false_has_no_bias_params():
    m = rc.RNN(2, 3, bias=False, seed=0)
    assert list(m.params) == ["weight_ih_l0", "weight_hh_l0"]
    report = check_module_gradients(m, np.random.default_rng(9).standard_normal((2, 3, 2)))
    assert report.ok(TOL), str(report)


def test_load_state_dict_copies_in_place():
    a, b = rc.RNN(2, 3, seed=0), rc.RNN(2, 3, seed=1)
    before = b.params["weight_hh_l0"]
    b.load_state_dict({k: v.copy() for k, v in a.params.items()})
    assert b.params["weight_hh_l0"] is before
    np.testing.assert_array_equal(b.params["weight_hh_l0"], a.params["weight_hh_l0"])
    with pytest.raises(KeyError, match="missing keys \\['bias_hh_l0'\\]"):
        b.load_state_dict({k: v for k, v in a.params.items() if k != "bias_hh_l0"})
    with pytest.raises(ValueError, match="weight_hh_l0 has shape \\(2, 2\\); expected \\(3, 3\\)"):
        b.load_state_dict({**a.params, "weight_hh_l0": np.zeros((2, 2))})


@pytest.mark.parametrize("kwargs,text", [
    (dict(), "RNN(4, 4)"),
    (dict(num_layers=2, bidirectional=True), "RNN(4, 4, num_layers=2, bidirectional=True)"),
    (dict(nonlinearity="relu", bias=False), "RNN(4, 4, nonlinearity='relu', bias=False)"),
])
def test_repr_reads_like_torch(kwargs, text):
    assert repr(rc.RNN(4, 4, **kwargs)) == text


def test_float32_module():
    m = rc.RNN(3, 4, num_layers=2, bidirectional=True, seed=0, dtype=np.float32)
    out, h_n = m.forward(np.ones((2, 3, 3), dtype=np.float32))
    dx = m.backward(np.ones_like(out))
    assert out.dtype == h_n.dtype == dx.dtype == np.float32
    assert all(g.dtype == np.float32 for g in m.grads.values())
