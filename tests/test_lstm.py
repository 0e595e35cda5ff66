"""Tests for rnn_course.lstm: the LSTM's step, forward, BPTT and module.

Forward passes are checked against plain formulas, backward passes against
central differences (float64), each on seeded random shapes that include
N = 1, T = 1 and d != D. Every validation error the LSTM raises has a test at
the end. Parity with PyTorch lives in test_torch_parity.py.
"""

import re

import numpy as np
import pytest

from rnn_course.gradcheck import check_gradients, check_module_gradients
from rnn_course.lstm import (
    LSTM,
    LSTMCache,
    LSTMStepCache,
    lstm_backward,
    lstm_forward,
    lstm_step_backward,
    lstm_step_forward,
)

SHAPES = [  # (N, T, d, D)
    (1, 1, 3, 5),
    (1, 4, 2, 3),
    (3, 1, 4, 2),
    (2, 5, 3, 4),
    (4, 3, 6, 6),
]
TOL = 1e-6
STEP_GRADS = ["x_t", "h_prev", "c_prev", "Wx", "Wh", "b_ih", "b_hh"]
SEQ_GRADS = ["x", "h0", "c0", "Wx", "Wh", "b_ih", "b_hh"]


def _params(rng, d, D, scale=0.5, dtype=np.float64):
    Wx = (scale * rng.standard_normal((4 * D, d))).astype(dtype)
    Wh = (scale * rng.standard_normal((4 * D, D))).astype(dtype)
    b_ih = (scale * rng.standard_normal(4 * D)).astype(dtype)
    b_hh = (scale * rng.standard_normal(4 * D)).astype(dtype)
    return dict(Wx=Wx, Wh=Wh, b_ih=b_ih, b_hh=b_hh)


def _seq_inputs(rng, N, T, d, D, dtype=np.float64):
    return dict(x=rng.standard_normal((N, T, d)).astype(dtype),
                h0=rng.standard_normal((N, D)).astype(dtype),
                c0=rng.standard_normal((N, D)).astype(dtype),
                **_params(rng, d, D, dtype=dtype))


def _step_inputs(rng, N, d, D, dtype=np.float64):
    return dict(x_t=rng.standard_normal((N, d)).astype(dtype),
                h_prev=rng.standard_normal((N, D)).astype(dtype),
                c_prev=rng.standard_normal((N, D)).astype(dtype),
                **_params(rng, d, D, dtype=dtype))


def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))  # the textbook form; fine for the moderate values used here


# -- forward -----------------------------------------------------------------


@pytest.mark.parametrize("N,T,d,D", SHAPES)
def test_step_forward_is_the_pytorch_equation(N, T, d, D):
    rng = np.random.default_rng([N, T, d, D])
    p = _step_inputs(rng, N, d, D)
    h_next, c_next, _ = lstm_step_forward(**p)
    assert h_next.shape == c_next.shape == (N, D)
    # PyTorch's equations, one sequence at a time, with the weight rows read as
    # four D-row blocks in the order i, f, g, o.
    W_i, W_f, W_g, W_o = np.split(p["Wx"], 4)
    U_i, U_f, U_g, U_o = np.split(p["Wh"], 4)
    b = p["b_ih"] + p["b_hh"]
    b_i, b_f, b_g, b_o = np.split(b, 4)
    for n in range(N):
        x, h, c = p["x_t"][n], p["h_prev"][n], p["c_prev"][n]
        i = _sigmoid(W_i @ x + U_i @ h + b_i)
        f = _sigmoid(W_f @ x + U_f @ h + b_f)
        g = np.tanh(W_g @ x + U_g @ h + b_g)
        o = _sigmoid(W_o @ x + U_o @ h + b_o)
        c_expected = f * c + i * g
        np.testing.assert_allclose(c_next[n], c_expected, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(h_next[n], o * np.tanh(c_expected), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("N,T,d,D", SHAPES)
def test_forward_is_the_step_in_a_loop(N, T, d, D):
    rng = np.random.default_rng([N, T, d, D, 1])
    p = _seq_inputs(rng, N, T, d, D)
    h, cache = lstm_forward(**p)
    assert h.shape == (N, T, D)
    assert cache.cs.shape == cache.hs.shape == (T + 1, N, D)
    np.testing.assert_array_equal(cache.hs[0], p["h0"])
    np.testing.assert_array_equal(cache.cs[0], p["c0"])
    h_t, c_t = p["h0"], p["c0"]
    weights = {k: p[k] for k in ("Wx", "Wh", "b_ih", "b_hh")}
    for t in range(T):
        h_t, c_t, _ = lstm_step_forward(p["x"][:, t], h_t, c_t, **weights)
        np.testing.assert_allclose(h[:, t], h_t, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(cache.hs[t + 1], h_t, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(cache.cs[t + 1], c_t, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("missing", [["h0"], ["c0"], ["h0", "c0"]])
def test_forward_none_states_mean_zeros(missing):
    rng = np.random.default_rng(0)
    p = _seq_inputs(rng, 2, 3, 3, 4)
    h_none, cache_none = lstm_forward(**{**p, **{k: None for k in missing}})
    h_zero, cache_zero = lstm_forward(**{**p, **{k: np.zeros((2, 4)) for k in missing}})
    np.testing.assert_array_equal(h_none, h_zero)
    np.testing.assert_array_equal(cache_none.cs, cache_zero.cs)
    # ... and zeros really are a different start from the given states.
    h_given, _ = lstm_forward(**p)
    assert not np.allclose(h_none, h_given)


@pytest.mark.parametrize("i,f,o,c_expected,h_expected", [
    # input gate shut, forget gate open: the cell keeps c_prev; output gate open: h = tanh(c)
    (-40, 40, 40, lambda c, g: c, lambda c: np.tanh(c)),
    # input gate open, forget gate shut: the cell becomes g; output gate shut: h = 0
    (40, -40, -40, lambda c, g: g + 0 * c, lambda c: 0 * c),
])
def test_gate_order_is_i_f_g_o(i, f, o, c_expected, h_expected):
    # Zero weights and saturating biases, one value per block of D: whether the
    # cell keeps or forgets c_prev shows which block is which gate.
    D = 3
    b_ih = np.repeat([i, f, 0.3, o], D).astype(float)  # pre-activations of i, f, g, o
    c_prev = np.array([[0.5, -1.0, 2.0]])
    h_next, c_next, _ = lstm_step_forward(np.ones((1, 2)), np.ones((1, D)), c_prev,
                                          np.zeros((4 * D, 2)), np.zeros((4 * D, D)), b_ih, np.zeros(4 * D))
    g = np.tanh(0.3)
    np.testing.assert_allclose(c_next, c_expected(c_prev, g), rtol=0, atol=1e-15)
    np.testing.assert_allclose(h_next, h_expected(c_next), rtol=0, atol=1e-15)


def test_large_preactivations_saturate_without_warnings():
    # 1e3 inputs push every pre-activation to +-1e3: the textbook 1 / (1 + exp(-a))
    # overflows there; the library's sigmoid must not even warn.
    D = 3
    Wx, Wh = np.ones((4 * D, 2)), np.ones((4 * D, D))
    b = np.zeros(4 * D)
    with np.errstate(all="raise"):
        for sign in (1.0, -1.0):
            x = np.full((1, 2, 2), sign * 1e3)
            h, cache = lstm_forward(x, None, None, Wx, Wh, b, b)
            assert np.all(np.isfinite(h))
            # every gate is exactly 0 or 1 (and g is exactly +-1)
            expected = np.repeat([1.0, 1, 1, 1] if sign > 0 else [0.0, 0, -1, 0], D)  # i, f, g, o
            np.testing.assert_array_equal(cache.gates, np.broadcast_to(expected, cache.gates.shape))
            grads = lstm_backward(np.ones_like(h), cache, np.ones((1, D)))
            assert all(np.all(np.isfinite(g_)) for g_ in grads)
            np.testing.assert_array_equal(grads[0], 0.0)  # saturated gates pass no gradient to x
            h1, c1, step_cache = lstm_step_forward(x[:, 0], np.zeros((1, D)), np.zeros((1, D)), Wx, Wh, b, b)
            lstm_step_backward(np.ones_like(h1), np.ones_like(c1), step_cache)
    # with all gates open and g = 1 the cell counts steps: c_t = c_{t-1} + 1
    h, cache = lstm_forward(np.full((1, 2, 2), 1e3), None, None, Wx, Wh, b, b)
    np.testing.assert_array_equal(cache.cs[:, 0, 0], [0.0, 1.0, 2.0])
    np.testing.assert_allclose(h[0, :, 0], np.tanh([1.0, 2.0]), rtol=1e-15)


def test_forward_and_backward_do_not_modify_their_inputs():
    rng = np.random.default_rng(1)
    p = _seq_inputs(rng, 2, 3, 3, 4)
    copies = {k: v.copy() for k, v in p.items()}
    dh, dc_n = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 4))
    dh_copy, dc_n_copy = dh.copy(), dc_n.copy()
    h, cache = lstm_forward(**p)
    lstm_backward(dh, cache, dc_n)
    s = _step_inputs(rng, 2, 3, 4)
    step_copies = {k: v.copy() for k, v in s.items()}
    h1, c1, step_cache = lstm_step_forward(**s)
    lstm_step_backward(dh[:, 0], dc_n, step_cache)
    for k in p:
        np.testing.assert_array_equal(p[k], copies[k])
    for k in s:
        np.testing.assert_array_equal(s[k], step_copies[k])
    np.testing.assert_array_equal(dh, dh_copy)
    np.testing.assert_array_equal(dc_n, dc_n_copy)


def test_changing_the_output_in_place_does_not_corrupt_backward():
    rng = np.random.default_rng(11)
    p = _seq_inputs(rng, 2, 4, 3, 5)
    h, cache = lstm_forward(**p)
    dh = rng.standard_normal(h.shape)
    expected = lstm_backward(dh, cache)
    h *= 0  # e.g. masking padded steps in place
    for got, want in zip(lstm_backward(dh, cache), expected):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_follows_the_input(dtype):
    rng = np.random.default_rng(2)
    p = _seq_inputs(rng, 2, 3, 3, 4, dtype=dtype)
    h, cache = lstm_forward(**p)
    grads = lstm_backward(np.ones_like(h), cache, np.ones((2, 4), dtype=dtype))
    grads_no_dc = lstm_backward(np.ones_like(h), cache)
    s = _step_inputs(rng, 2, 3, 4, dtype=dtype)
    h1, c1, step_cache = lstm_step_forward(**s)
    grads1 = lstm_step_backward(np.ones_like(h1), np.ones_like(c1), step_cache)
    grads1_no_dc = lstm_step_backward(np.ones_like(h1), None, step_cache)
    assert h.dtype == cache.cs.dtype == h1.dtype == c1.dtype == dtype
    assert all(g.dtype == dtype for g in grads + grads_no_dc + grads1 + grads1_no_dc)


def test_mixed_float32_and_float64_computes_in_float64():
    rng = np.random.default_rng(3)
    p = _seq_inputs(rng, 2, 3, 3, 4, dtype=np.float32)
    p["Wh"] = p["Wh"].astype(np.float64)
    h, cache = lstm_forward(**p)
    grads = lstm_backward(np.ones_like(h, dtype=np.float32), cache)
    assert h.dtype == np.float64
    assert all(g.dtype == np.float64 for g in grads)
    # and a float64 upstream gradient into a float32 forward gives float64 gradients
    p32 = _seq_inputs(rng, 2, 3, 3, 4, dtype=np.float32)
    h32, cache32 = lstm_forward(**p32)
    assert all(g.dtype == np.float64 for g in lstm_backward(np.ones(h32.shape), cache32))


# -- backward: central differences ---------------------------------------------


@pytest.mark.parametrize("with_dc", [True, False])
@pytest.mark.parametrize("N,T,d,D", SHAPES)
def test_step_backward_matches_numerical_gradient(N, T, d, D, with_dc):
    rng = np.random.default_rng([N, T, d, D, 2])
    inputs = _step_inputs(rng, N, d, D)
    h, c, cache = lstm_step_forward(**inputs)
    dh = rng.standard_normal(h.shape)
    dc = rng.standard_normal(c.shape) if with_dc else None
    grads = dict(zip(STEP_GRADS, lstm_step_backward(dh, dc, cache)))

    def f(**kw):  # both outputs at once: sum(h * dh) + sum(c * dc)
        h_next, c_next, _ = lstm_step_forward(**kw)
        return np.stack([h_next, c_next])

    df = np.stack([dh, np.zeros_like(c) if dc is None else dc])
    report = check_gradients(f, inputs, grads, df=df)
    assert report.ok(TOL), str(report)
    assert set(report.errors) == set(STEP_GRADS)


@pytest.mark.parametrize("with_dc", [True, False])
@pytest.mark.parametrize("N,T,d,D", SHAPES)
def test_bptt_matches_numerical_gradient(N, T, d, D, with_dc):
    rng = np.random.default_rng([N, T, d, D, 3])
    inputs = _seq_inputs(rng, N, T, d, D)
    h, cache = lstm_forward(**inputs)
    dh = rng.standard_normal(h.shape)
    dc_n = rng.standard_normal((N, D)) if with_dc else None
    grads = dict(zip(SEQ_GRADS, lstm_backward(dh, cache, dc_n)))

    def f(**kw):  # every h_t and the last cell state c_T, flattened side by side
        h_, cache_ = lstm_forward(**kw)
        return np.concatenate([h_.ravel(), cache_.cs[-1].ravel()])

    df = np.concatenate([dh.ravel(), (np.zeros((N, D)) if dc_n is None else dc_n).ravel()])
    report = check_gradients(f, inputs, grads, df=df)
    assert report.ok(TOL), str(report)
    assert set(report.errors) == set(SEQ_GRADS)


def test_bias_gradients_are_equal_and_separate_arrays():
    rng = np.random.default_rng(4)
    p = _seq_inputs(rng, 2, 3, 3, 4)
    h, cache = lstm_forward(**p)
    *_, db_ih, db_hh = lstm_backward(rng.standard_normal(h.shape), cache)
    np.testing.assert_array_equal(db_ih, db_hh)
    assert not np.shares_memory(db_ih, db_hh)  # updating one in place must not touch the other
    *_, db_ih1, db_hh1 = lstm_step_backward(np.ones((2, 4)), None, lstm_step_forward(
        p["x"][:, 0], p["h0"], p["c0"], p["Wx"], p["Wh"], p["b_ih"], p["b_hh"])[2])
    assert not np.shares_memory(db_ih1, db_hh1)


def test_the_cell_state_is_a_highway_through_the_forget_gates():
    # With Wh = 0 and a loss on c_T alone, the gradient reaching c_0 is exactly
    # dc_n times the product of the forget gates: nothing else flows back.
    rng = np.random.default_rng(5)
    p = _seq_inputs(rng, 2, 6, 3, 4)
    p["Wh"] = np.zeros_like(p["Wh"])
    h, cache = lstm_forward(**p)
    dc_n = rng.standard_normal((2, 4))
    dx, dh0, dc0, *_ = lstm_backward(np.zeros_like(h), cache, dc_n)
    f = cache.gates[:, :, 4:8]  # (T, N, D) forget gates
    np.testing.assert_allclose(dc0, dc_n * np.prod(f, axis=0), rtol=1e-12)
    np.testing.assert_array_equal(dh0, 0.0)
    assert np.all(np.abs(dx[:, 0]) > 0)  # ... and it still reaches the first input


# -- the module ------------------------------------------------------------------


@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_module_gradients(num_layers, bidirectional):
    m = LSTM(3, 4, num_layers=num_layers, bidirectional=bidirectional, seed=0)
    x = np.random.default_rng(6).standard_normal((2, 4, 3))
    report = check_module_gradients(m, x)
    assert report.ok(TOL), str(report)
    assert set(report.errors) == {"x", *m.params}


@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_module_initial_states_and_final_state_gradients(num_layers, bidirectional):
    # A loss that reads output, h_n and c_n, from given (h0, c0): check dx,
    # dh0, dc0 and every parameter's gradient against central differences.
    L, dirs, N, T, d, D = num_layers, 2 if bidirectional else 1, 2, 3, 3, 4
    m = LSTM(d, D, num_layers=L, bidirectional=bidirectional, seed=1)
    rng = np.random.default_rng(7)
    x = rng.standard_normal((N, T, d))
    h0, c0 = rng.standard_normal((2, L * dirs, N, D))
    dout = rng.standard_normal((N, T, dirs * D))
    dh_n, dc_n = rng.standard_normal((2, L * dirs, N, D))

    def loss(x, h0, c0, **params):
        saved, m.params = m.params, params
        try:
            out, (h_n, c_n) = m.forward(x, (h0, c0))
        finally:
            m.params = saved
        return np.sum(out * dout) + np.sum(h_n * dh_n) + np.sum(c_n * dc_n)

    m.forward(x, (h0, c0))
    m.zero_grad()
    dx = m.backward(dout, (dh_n, dc_n))
    analytic = {"x": dx, "h0": m.dh0, "c0": m.dc0, **{k: g.copy() for k, g in m.grads.items()}}
    report = check_gradients(loss, {"x": x, "h0": h0, "c0": c0, **m.params}, analytic)
    assert report.ok(TOL), str(report)
    assert m.dh0.shape == m.dc0.shape == (L * dirs, N, D)


@pytest.mark.parametrize("state,grad", [
    ("h0 only", "dh_n only"),
    ("c0 only", "dc_n only"),
])
def test_module_half_given_states_are_zeros(state, grad):
    # (h0, None) means c0 = 0, (None, c0) means h0 = 0; likewise for (dh_n, dc_n).
    m = LSTM(3, 4, num_layers=2, bidirectional=True, seed=2)
    rng = np.random.default_rng(8)
    x = rng.standard_normal((2, 3, 3))
    s, ds = rng.standard_normal((4, 2, 4)), rng.standard_normal((4, 2, 4))
    zeros = np.zeros_like(s)
    dout = rng.standard_normal((2, 3, 8))
    given = (s, None) if state == "h0 only" else (None, s)
    full = (s, zeros) if state == "h0 only" else (zeros, s)
    dgiven = (ds, None) if grad == "dh_n only" else (None, ds)
    dfull = (ds, zeros) if grad == "dh_n only" else (zeros, ds)

    out_a, (h_a, c_a) = m.forward(x, given)
    m.zero_grad()
    dx_a = m.backward(dout, dgiven)
    grads_a, dh0_a, dc0_a = {k: g.copy() for k, g in m.grads.items()}, m.dh0, m.dc0
    out_b, (h_b, c_b) = m.forward(x, full)
    m.zero_grad()
    dx_b = m.backward(dout, dfull)
    for a, b in [(out_a, out_b), (h_a, h_b), (c_a, c_b), (dx_a, dx_b), (dh0_a, m.dh0), (dc0_a, m.dc0)]:
        np.testing.assert_array_equal(a, b)
    for k in grads_a:
        np.testing.assert_array_equal(grads_a[k], m.grads[k])
    # the half-given state and gradient did make a difference
    out_none, _ = m.forward(x)
    assert not np.allclose(out_a, out_none)
    m.zero_grad()
    m.backward(dout)
    assert not np.allclose(m.dh0, dh0_a)


def test_module_layout_matches_torch():
    m = LSTM(3, 5, num_layers=2, bidirectional=True, seed=0)
    assert m.gate_count == 4 and m.has_cell_state
    assert list(m.params) == [
        "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
        "weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_ih_l0_reverse", "bias_hh_l0_reverse",
        "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1",
        "weight_ih_l1_reverse", "weight_hh_l1_reverse", "bias_ih_l1_reverse", "bias_hh_l1_reverse",
    ]
    assert m.params["weight_ih_l0"].shape == (20, 3)  # (4D, d)
    assert m.params["weight_hh_l0"].shape == (20, 5)  # (4D, D)
    assert m.params["bias_ih_l0_reverse"].shape == m.params["bias_hh_l0"].shape == (20,)
    assert m.params["weight_ih_l1"].shape == (20, 10)  # layer 1 reads both directions
    assert m.params["weight_hh_l1_reverse"].shape == (20, 5)
    assert m.num_parameters() == 2 * (20 * 3 + 20 * 5 + 40) + 2 * (20 * 10 + 20 * 5 + 40)
    out, (h_n, c_n) = m.forward(np.zeros((2, 7, 3)))
    assert out.shape == (2, 7, 10) and h_n.shape == c_n.shape == (4, 2, 5)


def test_module_output_and_final_states_are_the_functional_ones():
    m = LSTM(2, 3, bidirectional=True, seed=3)
    rng = np.random.default_rng(9)
    x = rng.standard_normal((2, 4, 2))
    h0, c0 = rng.standard_normal((2, 2, 2, 3))
    out, (h_n, c_n) = m.forward(x, (h0, c0))
    p = m.params
    fwd, fcache = lstm_forward(x, h0[0], c0[0], p["weight_ih_l0"], p["weight_hh_l0"],
                               p["bias_ih_l0"], p["bias_hh_l0"])
    bwd, bcache = lstm_forward(x[:, ::-1], h0[1], c0[1], p["weight_ih_l0_reverse"],
                               p["weight_hh_l0_reverse"], p["bias_ih_l0_reverse"], p["bias_hh_l0_reverse"])
    np.testing.assert_allclose(out[..., :3], fwd, rtol=1e-14)
    np.testing.assert_allclose(out[..., 3:], bwd[:, ::-1], rtol=1e-14)  # re-reversed before concatenation
    np.testing.assert_allclose(h_n[0], fwd[:, -1], rtol=1e-14)
    np.testing.assert_allclose(h_n[1], bwd[:, -1], rtol=1e-14)  # the reverse direction ends at x[0]
    np.testing.assert_allclose(c_n[0], fcache.cs[-1], rtol=1e-14)
    np.testing.assert_allclose(c_n[1], bcache.cs[-1], rtol=1e-14)
    assert not np.allclose(c_n, h_n)


def test_module_init_is_seeded_and_bounded():
    a, b, c = LSTM(3, 16, seed=7), LSTM(3, 16, seed=7), LSTM(3, 16, seed=8)
    for k in a.params:
        np.testing.assert_array_equal(a.params[k], b.params[k])
        assert np.abs(a.params[k]).max() <= 1 / np.sqrt(16)
    assert not np.array_equal(a.params["weight_hh_l0"], c.params["weight_hh_l0"])


def test_backward_accumulates_and_zero_grad_resets():
    m = LSTM(2, 3, seed=0)
    out, _ = m.forward(np.ones((1, 2, 2)))
    m.backward(np.ones_like(out))
    once = {k: g.copy() for k, g in m.grads.items()}
    assert all(g.any() for g in once.values())
    m.backward(np.ones_like(out))
    for k in once:
        np.testing.assert_allclose(m.grads[k], 2 * once[k])
    m.zero_grad()
    assert all(not g.any() for g in m.grads.values())


def test_backward_does_not_modify_doutput_or_dh_n():
    m = LSTM(2, 3, seed=0)
    rng = np.random.default_rng(10)
    out, _ = m.forward(rng.standard_normal((2, 4, 2)))
    dout = rng.standard_normal(out.shape)
    dh_n, dc_n = rng.standard_normal((2, 1, 2, 3))
    copies = [dout.copy(), dh_n.copy(), dc_n.copy()]
    m.backward(dout, (dh_n, dc_n))
    for a, c in zip([dout, dh_n, dc_n], copies):
        np.testing.assert_array_equal(a, c)


def test_bias_false_has_no_bias_params():
    m = LSTM(2, 3, bias=False, seed=0)
    assert list(m.params) == ["weight_ih_l0", "weight_hh_l0"]
    report = check_module_gradients(m, np.random.default_rng(11).standard_normal((2, 3, 2)))
    assert report.ok(TOL), str(report)


@pytest.mark.parametrize("kwargs,text", [
    (dict(), "LSTM(4, 4)"),
    (dict(num_layers=2, bidirectional=True), "LSTM(4, 4, num_layers=2, bidirectional=True)"),
    (dict(bias=False), "LSTM(4, 4, bias=False)"),
])
def test_repr_reads_like_torch(kwargs, text):
    assert repr(LSTM(4, 4, **kwargs)) == text


def test_float32_module():
    m = LSTM(3, 4, num_layers=2, bidirectional=True, seed=0, dtype=np.float32)
    assert all(p.dtype == np.float32 for p in m.params.values())
    x = np.ones((2, 3, 3), dtype=np.float32)
    out, (h_n, c_n) = m.forward(x, (np.zeros((4, 2, 4), np.float32), np.ones((4, 2, 4), np.float32)))
    dx = m.backward(np.ones_like(out), (np.ones_like(h_n), np.ones_like(c_n)))
    assert out.dtype == h_n.dtype == c_n.dtype == dx.dtype == np.float32
    assert m.dh0.dtype == m.dc0.dtype == np.float32
    assert all(g.dtype == np.float32 for g in m.grads.values())


# -- validation: one test per error ----------------------------------------------


def raises(exc, text):
    return pytest.raises(exc, match="^" + re.escape(text))


N, T, d, D = 2, 3, 5, 4  # so 4D = 16


@pytest.fixture
def seq():
    return _seq_inputs(np.random.default_rng(0), N, T, d, D)


@pytest.fixture
def step():
    return _step_inputs(np.random.default_rng(0), N, d, D)


@pytest.mark.parametrize("name,value,text", [
    ("x_t", np.zeros((N, T, d)), "x_t has shape (2, 3, 5); expected (N, d) — one time step of a batch "
                                 "(for one vector use x_t[None])"),
    ("Wx", np.zeros((d, 4 * D)), "Wx has shape (5, 16); expected (4D, d) = (?, 5), because x_t has shape "
                                 "(2, 5) — is it transposed? Wx is stored as (4D, d), the orientation of "
                                 "the source note and of PyTorch"),
    ("Wh", np.zeros((D, D)), "Wh has shape (4, 4); expected (4D, D) = (16, 4), because Wx has shape (16, 5)"),
    ("b_ih", np.zeros(D), "b_ih has shape (4,); expected (4D) = (16), because Wx has shape (16, 5)"),
    ("b_hh", np.zeros((N, 4 * D)), "b_hh has shape (2, 16); expected (4D) = (16)"),
    ("h_prev", np.zeros((N, 5)), "h_prev has shape (2, 5); expected (N, D) = (2, 4), "
                                 "because Wx has shape (16, 5)"),
    ("c_prev", np.zeros((3, D)), "c_prev has shape (3, 4); expected (N, D) = (2, 4), "
                                 "because x_t has shape (2, 5)"),
    ("c_prev", None, "c_prev is None; expected a float array"),
])
def test_step_forward_validation(step, name, value, text):
    step[name] = value
    with raises((ValueError, TypeError), "lstm_step_forward: " + text):
        lstm_step_forward(**step)


@pytest.mark.parametrize("name,value,text", [
    ("x", np.zeros((T, d)), "x has shape (3, 5); expected (N, T, d) — a batch of sequences "
                            "(for one sequence use x[None])"),
    ("x", np.zeros((N, 0, d)), "x has shape (2, 0, 5), so T = 0; every dimension must be at least 1 "
                               "(an RNN needs at least one time step)"),
    ("x", np.ones((N, T), dtype=np.int64), "x has integer dtype int64; expected floats — the recurrent "
                                           "layers read vectors, not token ids"),
    ("Wx", np.zeros((7, d)), "Wx has shape (7, 5); expected (4D, d) = (?, 5)"),
    ("Wh", np.zeros((4 * D, d)), "Wh has shape (16, 5); expected (4D, D) = (16, 4), "
                                 "because Wx has shape (16, 5)"),
    ("Wh", None, "Wh is None; expected a float array"),
    ("b_ih", np.zeros(15), "b_ih has shape (15,); expected (4D) = (16), because Wx has shape (16, 5)"),
    ("b_hh", np.zeros(3 * D), "b_hh has shape (12,); expected (4D) = (16), because Wx has shape (16, 5)"),
    ("h0", np.zeros((N, 5)), "h0 has shape (2, 5); expected (N, D) = (2, 4), because Wx has shape (16, 5)"),
    ("c0", np.zeros((3, D)), "c0 has shape (3, 4); expected (N, D) = (2, 4), because x has shape (2, 3, 5)"),
    ("c0", np.full((N, D), np.inf), "c0 contains NaN or inf (first at index (0, 0), value inf)"),
])
def test_forward_validation(seq, name, value, text):
    seq[name] = value
    with raises((ValueError, TypeError), "lstm_forward: " + text):
        lstm_forward(**seq)


def test_step_backward_validation(step, seq):
    h, c, cache = lstm_step_forward(**step)
    with raises(ValueError, "lstm_step_backward: dh_next has shape (2, 5); expected (N, D) = (2, 4)"):
        lstm_step_backward(np.zeros((N, 5)), None, cache)
    with raises(ValueError, "lstm_step_backward: dc_next has shape (4,); expected (N, D) = (2, 4)"):
        lstm_step_backward(h, np.zeros(D), cache)
    with raises(TypeError, "lstm_step_backward: dh_next is None; expected a float array"):
        lstm_step_backward(None, c, cache)
    _, seq_cache = lstm_forward(**seq)
    with raises(TypeError, "lstm_step_backward: cache must be the cache returned by lstm_step_forward, "
                           "got LSTMCache"):
        lstm_step_backward(h, c, seq_cache)
    assert isinstance(cache, LSTMStepCache) and isinstance(seq_cache, LSTMCache)


def test_backward_validation(step, seq):
    h, cache = lstm_forward(**seq)
    with raises(ValueError, "lstm_backward: dh has shape (2, 4); expected (N, T, D) = (2, 3, 4)"):
        lstm_backward(h[:, -1], cache)
    with raises(ValueError, "lstm_backward: dc_n has shape (2, 5); expected (N, D) = (2, 4)"):
        lstm_backward(h, cache, np.zeros((N, 5)))
    with raises(ValueError, "lstm_backward: dc_n contains NaN or inf (first at index (0, 0), value nan)"):
        lstm_backward(h, cache, np.full((N, D), np.nan))
    _, _, step_cache = lstm_step_forward(**step)
    with raises(TypeError, "lstm_backward: cache must be the cache returned by lstm_forward, "
                           "got LSTMStepCache"):
        lstm_backward(h, step_cache)
    with raises(TypeError, "lstm_backward: cache must be the cache returned by lstm_forward, got tuple"):
        lstm_backward(h, tuple(cache))


def test_module_forward_validation():
    m = LSTM(3, 4, num_layers=2, bidirectional=True)
    x = np.zeros((1, 5, 3))
    with raises(TypeError, "LSTM.forward: h0 must be a pair (h0, c0) for the LSTM, or None"):
        m.forward(x, np.zeros((4, 1, 4)))
    with raises(ValueError, "LSTM.forward: c0 has shape (2, 1, 4); expected (L*dirs, N, D) = (4, 1, 4) "
                            "— one (N, D) state per layer and direction, "
                            "num_layers*num_directions = 2*2 = 4 of them"):
        m.forward(x, (np.zeros((4, 1, 4)), np.zeros((2, 1, 4))))
    with raises(ValueError, "LSTM.forward: h0 has shape (4, 1, 3); expected (L*dirs, N, D) = (4, 1, 4)"):
        m.forward(x, (np.zeros((4, 1, 3)), None))
    with raises(ValueError, "LSTM.forward: x has shape (1, 5, 4); expected (N, T, d) = (?, ?, 3)"):
        m.forward(np.zeros((1, 5, 4)))


def test_module_backward_validation():
    m = LSTM(3, 4, num_layers=2, bidirectional=True)
    with raises(RuntimeError, "LSTM.backward: call forward before backward"):
        m.backward(np.zeros((1, 5, 8)))
    m.forward(np.zeros((1, 5, 3)))
    with raises(TypeError, "LSTM.backward: dh_n must be a pair (dh_n, dc_n) for the LSTM, or None"):
        m.backward(np.zeros((1, 5, 8)), np.zeros((4, 1, 4)))
    with raises(ValueError, "LSTM.backward: dc_n has shape (4, 2, 4); expected (L*dirs, N, D) = (4, 1, 4)"):
        m.backward(np.zeros((1, 5, 8)), (None, np.zeros((4, 2, 4))))
    with raises(ValueError, "LSTM.backward: doutput has shape (1, 5, 4); "
                            "expected (N, T, dirs*D) = (1, 5, 8)"):
        m.backward(np.zeros((1, 5, 4)))


@pytest.mark.parametrize("kwargs,text", [
    (dict(input_size=0, hidden_size=4), "LSTM: input_size must be a positive integer, got 0"),
    (dict(input_size=3, hidden_size=4, num_layers=0), "LSTM: num_layers must be a positive integer, got 0"),
    (dict(input_size=3, hidden_size=4, dtype=np.int64), "LSTM: dtype must be a float type"),
])
def test_module_constructor_validation(kwargs, text):
    with pytest.raises((ValueError, TypeError), match="^" + re.escape(text)):
        LSTM(**kwargs)
