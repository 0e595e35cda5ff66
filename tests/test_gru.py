"""Tests for rnn_course.gru: the GRU's step, forward, BPTT and module.

Forward passes are checked against plain formulas, backward passes against
central differences (float64), each on seeded random shapes that include
N = 1, T = 1 and d != D. Every validation error the GRU raises has a test at
the end. Parity with PyTorch lives in test_torch_parity.py.
"""

import re

import numpy as np
import pytest

from rnn_course.gradcheck import check_gradients, check_module_gradients
from rnn_course.gru import (
    GRU,
    GRUCache,
    GRUStepCache,
    gru_backward,
    gru_forward,
    gru_step_backward,
    gru_step_forward,
)

SHAPES = [  # (N, T, d, D)
    (1, 1, 3, 5),
    (1, 4, 2, 3),
    (3, 1, 4, 2),
    (2, 5, 3, 4),
    (4, 3, 6, 6),
]
TOL = 1e-6
# Central differences in float64 carry a roundoff of about 1e-11 absolute, so a
# gradient entry below about 1e-5 can miss TOL by roundoff alone; the seeds
# below are fixed, and give no such entry.
STEP_GRADS = ["x_t", "h_prev", "Wx", "Wh", "b_ih", "b_hh"]
SEQ_GRADS = ["x", "h0", "Wx", "Wh", "b_ih", "b_hh"]


def _params(rng, d, D, scale=0.5, dtype=np.float64):
    Wx = (scale * rng.standard_normal((3 * D, d))).astype(dtype)
    Wh = (scale * rng.standard_normal((3 * D, D))).astype(dtype)
    b_ih = (scale * rng.standard_normal(3 * D)).astype(dtype)
    b_hh = (scale * rng.standard_normal(3 * D)).astype(dtype)
    return dict(Wx=Wx, Wh=Wh, b_ih=b_ih, b_hh=b_hh)


def _seq_inputs(rng, N, T, d, D, dtype=np.float64):
    return dict(x=rng.standard_normal((N, T, d)).astype(dtype),
                h0=rng.standard_normal((N, D)).astype(dtype),
                **_params(rng, d, D, dtype=dtype))


def _step_inputs(rng, N, d, D, dtype=np.float64):
    return dict(x_t=rng.standard_normal((N, d)).astype(dtype),
                h_prev=rng.standard_normal((N, D)).astype(dtype),
                **_params(rng, d, D, dtype=dtype))


def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))  # the textbook form; fine for the moderate values used here


# -- forward -----------------------------------------------------------------


@pytest.mark.parametrize("N,T,d,D", SHAPES)
def test_step_forward_is_the_pytorch_equation(N, T, d, D):
    rng = np.random.default_rng([N, T, d, D])
    p = _step_inputs(rng, N, d, D)
    h_next, _ = gru_step_forward(**p)
    assert h_next.shape == (N, D)
    # PyTorch's equations, one sequence at a time, with the weight rows read as
    # three D-row blocks in the order r, z, n, and b_hn inside the reset product.
    W_ir, W_iz, W_in = np.split(p["Wx"], 3)
    W_hr, W_hz, W_hn = np.split(p["Wh"], 3)
    b_ir, b_iz, b_in = np.split(p["b_ih"], 3)
    b_hr, b_hz, b_hn = np.split(p["b_hh"], 3)
    for i in range(N):
        x, h = p["x_t"][i], p["h_prev"][i]
        r = _sigmoid(W_ir @ x + b_ir + W_hr @ h + b_hr)
        z = _sigmoid(W_iz @ x + b_iz + W_hz @ h + b_hz)
        n = np.tanh(W_in @ x + b_in + r * (W_hn @ h + b_hn))
        np.testing.assert_allclose(h_next[i], (1 - z) * n + z * h, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("N,T,d,D", SHAPES)
def test_forward_is_the_step_in_a_loop(N, T, d, D):
    rng = np.random.default_rng([N, T, d, D, 1])
    p = _seq_inputs(rng, N, T, d, D)
    h, cache = gru_forward(**p)
    assert h.shape == (N, T, D)
    assert cache.hs.shape == (T + 1, N, D) and cache.gates.shape == (T, N, 3 * D)
    np.testing.assert_array_equal(cache.hs[0], p["h0"])
    h_t = p["h0"]
    weights = {k: p[k] for k in ("Wx", "Wh", "b_ih", "b_hh")}
    for t in range(T):
        h_t, step_cache = gru_step_forward(p["x"][:, t], h_t, **weights)
        np.testing.assert_allclose(h[:, t], h_t, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(cache.hs[t + 1], h_t, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(cache.gates[t], step_cache.gates, rtol=1e-12, atol=1e-12)


def test_forward_h0_none_means_zeros():
    rng = np.random.default_rng(0)
    p = _seq_inputs(rng, 2, 3, 3, 4)
    h_none, _ = gru_forward(**{**p, "h0": None})
    h_zero, _ = gru_forward(**{**p, "h0": np.zeros((2, 4))})
    np.testing.assert_array_equal(h_none, h_zero)
    h_given, _ = gru_forward(**p)  # ... and zeros really are a different start
    assert not np.allclose(h_none, h_given)


@pytest.mark.parametrize("r,z,expected", [
    # update gate open (z = 1): the state is copied through unchanged, whatever r is
    (-40, 40, lambda h, hw: h),
    (40, 40, lambda h, hw: h),
    # update gate shut, reset gate shut: n forgets h_prev, and b_hn with it
    (-40, -40, lambda h, hw: np.tanh(0.3) + 0 * h),
    # update gate shut, reset gate open: n = tanh(b_in + h_prev W_hn^T + b_hn)
    (40, -40, lambda h, hw: np.tanh(0.3 + hw + 0.2)),
])
def test_gate_order_is_r_z_n_with_b_hn_inside_the_reset(r, z, expected):
    # Zero input weights and saturating biases, one value per block of D:
    # which block copies h_prev and which one forgets it shows which is which.
    D = 3
    b_ih = np.repeat([r, z, 0.3], D).astype(float)  # pre-activations of r, z, n
    b_hh = np.repeat([0.0, 0.0, 0.2], D)  # b_hn = 0.2: scaled by r, unlike b_in
    Wh = np.full((3 * D, D), 0.1)
    h_prev = np.array([[0.5, -1.0, 2.0]])
    h_next, _ = gru_step_forward(np.ones((1, 2)), h_prev, np.zeros((3 * D, 2)), Wh, b_ih, b_hh)
    hw = 0.1 * h_prev.sum()  # h_prev W_hn^T, the same in every column
    np.testing.assert_allclose(h_next, expected(h_prev, hw) + 0 * h_prev, rtol=0, atol=1e-15)


def test_large_preactivations_saturate_without_warnings():
    # 1e3 inputs push every pre-activation to +-1e3: the textbook 1 / (1 + exp(-a))
    # overflows there; the library's sigmoid must not even warn.
    D = 3
    Wx, Wh = np.ones((3 * D, 2)), np.ones((3 * D, D))
    b = np.zeros(3 * D)
    with np.errstate(all="raise"):
        for sign in (1.0, -1.0):
            x = np.full((1, 2, 2), sign * 1e3)
            h, cache = gru_forward(x, None, Wx, Wh, b, b)
            assert np.all(np.isfinite(h))
            # every gate is exactly 0 or 1 (and n exactly +-1)
            expected = np.repeat([1.0, 1, 1] if sign > 0 else [0.0, 0, -1], D)  # r, z, n
            np.testing.assert_array_equal(cache.gates, np.broadcast_to(expected, cache.gates.shape))
            grads = gru_backward(np.ones_like(h), cache)
            assert all(np.all(np.isfinite(g)) for g in grads)
            np.testing.assert_array_equal(grads[0], 0.0)  # saturated gates pass no gradient to x
            h1, step_cache = gru_step_forward(x[:, 0], np.zeros((1, D)), Wx, Wh, b, b)
            gru_step_backward(np.ones_like(h1), step_cache)
    # with z = 1 from h0 = 0 the state stays 0; with z = 0 and n = -1 it is -1
    np.testing.assert_array_equal(gru_forward(np.full((1, 2, 2), 1e3), None, Wx, Wh, b, b)[0], 0.0)
    np.testing.assert_array_equal(gru_forward(np.full((1, 2, 2), -1e3), None, Wx, Wh, b, b)[0], -1.0)


def test_forward_and_backward_do_not_modify_their_inputs():
    rng = np.random.default_rng(1)
    p = _seq_inputs(rng, 2, 3, 3, 4)
    copies = {k: v.copy() for k, v in p.items()}
    dh = rng.standard_normal((2, 3, 4))
    dh_copy = dh.copy()
    h, cache = gru_forward(**p)
    gru_backward(dh, cache)
    s = _step_inputs(rng, 2, 3, 4)
    step_copies = {k: v.copy() for k, v in s.items()}
    h1, step_cache = gru_step_forward(**s)
    gru_step_backward(dh[:, 0], step_cache)
    for k in p:
        np.testing.assert_array_equal(p[k], copies[k])
    for k in s:
        np.testing.assert_array_equal(s[k], step_copies[k])
    np.testing.assert_array_equal(dh, dh_copy)


def test_changing_the_output_in_place_does_not_corrupt_backward():
    rng = np.random.default_rng(11)
    p = _seq_inputs(rng, 2, 4, 3, 5)
    h, cache = gru_forward(**p)
    dh = rng.standard_normal(h.shape)
    expected = gru_backward(dh, cache)
    h *= 0  # e.g. masking padded steps in place
    for got, want in zip(gru_backward(dh, cache), expected):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_follows_the_input(dtype):
    rng = np.random.default_rng(2)
    p = _seq_inputs(rng, 2, 3, 3, 4, dtype=dtype)
    h, cache = gru_forward(**p)
    h_no_h0, _ = gru_forward(**{**p, "h0": None})
    grads = gru_backward(np.ones_like(h), cache)
    s = _step_inputs(rng, 2, 3, 4, dtype=dtype)
    h1, step_cache = gru_step_forward(**s)
    grads1 = gru_step_backward(np.ones_like(h1), step_cache)
    assert h.dtype == h_no_h0.dtype == cache.hs.dtype == cache.gates.dtype == h1.dtype == dtype
    assert all(g.dtype == dtype for g in grads + grads1)


def test_float32_results_are_close_to_float64():
    rng = np.random.default_rng(12)
    p = _seq_inputs(rng, 2, 4, 3, 5)
    h64, cache64 = gru_forward(**p)
    h32, cache32 = gru_forward(**{k: v.astype(np.float32) for k, v in p.items()})
    np.testing.assert_allclose(h32, h64, rtol=1e-5, atol=1e-5)
    dh = rng.standard_normal(h64.shape)
    for g32, g64 in zip(gru_backward(dh.astype(np.float32), cache32), gru_backward(dh, cache64)):
        np.testing.assert_allclose(g32, g64, rtol=1e-4, atol=1e-4)


def test_mixed_float32_and_float64_computes_in_float64():
    rng = np.random.default_rng(3)
    p = _seq_inputs(rng, 2, 3, 3, 4, dtype=np.float32)
    p["Wh"] = p["Wh"].astype(np.float64)
    h, cache = gru_forward(**p)
    grads = gru_backward(np.ones_like(h, dtype=np.float32), cache)
    assert h.dtype == np.float64
    assert all(g.dtype == np.float64 for g in grads)
    s = _step_inputs(rng, 2, 3, 4, dtype=np.float32)
    s["h_prev"] = s["h_prev"].astype(np.float64)
    h1, step_cache = gru_step_forward(**s)
    assert h1.dtype == np.float64
    # and a float64 upstream gradient into a float32 forward gives float64 gradients
    p32 = _seq_inputs(rng, 2, 3, 3, 4, dtype=np.float32)
    h32, cache32 = gru_forward(**p32)
    assert all(g.dtype == np.float64 for g in gru_backward(np.ones(h32.shape), cache32))


# -- backward: central differences ---------------------------------------------


@pytest.mark.parametrize("N,T,d,D", SHAPES)
def test_step_backward_matches_numerical_gradient(N, T, d, D):
    rng = np.random.default_rng([N, T, d, D, 7])
    inputs = _step_inputs(rng, N, d, D)
    h, cache = gru_step_forward(**inputs)
    dh = rng.standard_normal(h.shape)
    grads = dict(zip(STEP_GRADS, gru_step_backward(dh, cache)))
    report = check_gradients(lambda **kw: gru_step_forward(**kw)[0], inputs, grads, df=dh)
    assert report.ok(TOL), str(report)
    assert set(report.errors) == set(STEP_GRADS)


@pytest.mark.parametrize("N,T,d,D", SHAPES)
def test_bptt_matches_numerical_gradient(N, T, d, D):
    rng = np.random.default_rng([N, T, d, D, 3])
    inputs = _seq_inputs(rng, N, T, d, D)
    h, cache = gru_forward(**inputs)
    dh = rng.standard_normal(h.shape)
    grads = dict(zip(SEQ_GRADS, gru_backward(dh, cache)))
    report = check_gradients(lambda **kw: gru_forward(**kw)[0], inputs, grads, df=dh)
    assert report.ok(TOL), str(report)
    assert set(report.errors) == set(SEQ_GRADS)


def test_bias_gradients_differ_only_in_the_n_block():
    # b_ir and b_hr (and b_iz, b_hz) enter the same sum; b_hn is scaled by r, b_in is not.
    rng = np.random.default_rng(4)
    p = _seq_inputs(rng, 2, 3, 3, 4)
    D = 4
    h, cache = gru_forward(**p)
    *_, db_ih, db_hh = gru_backward(rng.standard_normal(h.shape), cache)
    np.testing.assert_allclose(db_ih[:2 * D], db_hh[:2 * D], rtol=1e-14)
    assert not np.allclose(db_ih[2 * D:], db_hh[2 * D:])
    *_, db_ih1, db_hh1 = gru_step_backward(np.ones((2, D)), gru_step_forward(
        p["x"][:, 0], p["h0"], p["Wx"], p["Wh"], p["b_ih"], p["b_hh"])[1])
    np.testing.assert_allclose(db_ih1[:2 * D], db_hh1[:2 * D], rtol=1e-14)
    assert not np.allclose(db_ih1[2 * D:], db_hh1[2 * D:])


def test_an_open_update_gate_is_a_highway():
    # With z = 1 at every step, h_t = h_{t-1}: the state is carried unchanged,
    # so the gradient reaching h0 is exactly the sum of dh over all steps, and
    # nothing reaches the inputs.
    rng = np.random.default_rng(5)
    N, T, d, D = 2, 6, 3, 4
    p = _seq_inputs(rng, N, T, d, D)
    p["b_ih"][D:2 * D] = 60.0  # saturates z
    h, cache = gru_forward(**p)
    # (exactly, but for the last bit: h_t is computed as n + z * (h_{t-1} - n), as PyTorch does)
    np.testing.assert_allclose(h, np.broadcast_to(p["h0"][:, None], h.shape), rtol=1e-15, atol=1e-15)
    dh = rng.standard_normal(h.shape)
    dx, dh0, dWx, *_ = gru_backward(dh, cache)
    np.testing.assert_allclose(dh0, dh.sum(axis=1), rtol=1e-12)
    np.testing.assert_array_equal(dx, 0.0)
    np.testing.assert_array_equal(dWx, 0.0)


# -- the module ------------------------------------------------------------------


@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_module_gradients(num_layers, bidirectional):
    m = GRU(3, 4, num_layers=num_layers, bidirectional=bidirectional, seed=0)
    x = np.random.default_rng(6).standard_normal((2, 4, 3))
    report = check_module_gradients(m, x)
    assert report.ok(TOL), str(report)
    assert set(report.errors) == {"x", *m.params}


@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_module_initial_state_and_final_state_gradients(num_layers, bidirectional):
    # A loss that reads output and h_n, from a given h0: check dx, dh0 and
    # every parameter's gradient against central differences.
    L, dirs, N, T, d, D = num_layers, 2 if bidirectional else 1, 2, 3, 3, 4
    m = GRU(d, D, num_layers=L, bidirectional=bidirectional, seed=1)
    rng = np.random.default_rng(7)
    x = rng.standard_normal((N, T, d))
    h0 = rng.standard_normal((L * dirs, N, D))
    dout = rng.standard_normal((N, T, dirs * D))
    dh_n = rng.standard_normal((L * dirs, N, D))

    def loss(x, h0, **params):
        saved, m.params = m.params, params
        try:
            out, h_n = m.forward(x, h0)
        finally:
            m.params = saved
        return np.sum(out * dout) + np.sum(h_n * dh_n)

    m.forward(x, h0)
    m.zero_grad()
    dx = m.backward(dout, dh_n)
    analytic = {"x": dx, "h0": m.dh0, **{k: g.copy() for k, g in m.grads.items()}}
    report = check_gradients(loss, {"x": x, "h0": h0, **m.params}, analytic)
    assert report.ok(TOL), str(report)
    assert m.dh0.shape == (L * dirs, N, D) and m.dc0 is None
    # dh_n really was used: without it the gradients differ
    m.zero_grad()
    m.backward(dout)
    assert not np.allclose(m.dh0, analytic["h0"])


def test_module_layout_matches_torch():
    m = GRU(3, 5, num_layers=2, bidirectional=True, seed=0)
    assert m.gate_count == 3 and not m.has_cell_state
    assert list(m.params) == [
        "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
        "weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_ih_l0_reverse", "bias_hh_l0_reverse",
        "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1",
        "weight_ih_l1_reverse", "weight_hh_l1_reverse", "bias_ih_l1_reverse", "bias_hh_l1_reverse",
    ]
    assert m.params["weight_ih_l0"].shape == (15, 3)  # (3D, d)
    assert m.params["weight_hh_l0"].shape == (15, 5)  # (3D, D)
    assert m.params["bias_ih_l0_reverse"].shape == m.params["bias_hh_l0"].shape == (15,)
    assert m.params["weight_ih_l1"].shape == (15, 10)  # layer 1 reads both directions
    assert m.params["weight_hh_l1_reverse"].shape == (15, 5)
    assert m.num_parameters() == 2 * (15 * 3 + 15 * 5 + 30) + 2 * (15 * 10 + 15 * 5 + 30)
    out, h_n = m.forward(np.zeros((2, 7, 3)))
    assert out.shape == (2, 7, 10) and h_n.shape == (4, 2, 5)


def test_module_output_and_final_state_are_the_functional_ones():
    m = GRU(2, 3, bidirectional=True, seed=3)
    rng = np.random.default_rng(9)
    x = rng.standard_normal((2, 4, 2))
    h0 = rng.standard_normal((2, 2, 3))
    out, h_n = m.forward(x, h0)
    p = m.params
    fwd, _ = gru_forward(x, h0[0], p["weight_ih_l0"], p["weight_hh_l0"], p["bias_ih_l0"], p["bias_hh_l0"])
    bwd, _ = gru_forward(x[:, ::-1], h0[1], p["weight_ih_l0_reverse"], p["weight_hh_l0_reverse"],
                         p["bias_ih_l0_reverse"], p["bias_hh_l0_reverse"])
    np.testing.assert_allclose(out[..., :3], fwd, rtol=1e-14)
    np.testing.assert_allclose(out[..., 3:], bwd[:, ::-1], rtol=1e-14)  # re-reversed before concatenation
    np.testing.assert_allclose(h_n[0], fwd[:, -1], rtol=1e-14)
    np.testing.assert_allclose(h_n[1], bwd[:, -1], rtol=1e-14)  # the reverse direction ends at x[0]


def test_module_init_is_seeded_and_bounded():
    a, b, c = GRU(3, 16, seed=7), GRU(3, 16, seed=7), GRU(3, 16, seed=8)
    for k in a.params:
        np.testing.assert_array_equal(a.params[k], b.params[k])
        assert np.abs(a.params[k]).max() <= 1 / np.sqrt(16)
    assert not np.array_equal(a.params["weight_hh_l0"], c.params["weight_hh_l0"])


def test_backward_accumulates_and_zero_grad_resets():
    m = GRU(2, 3, seed=0)
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
    m = GRU(2, 3, seed=0)
    rng = np.random.default_rng(10)
    out, _ = m.forward(rng.standard_normal((2, 4, 2)))
    dout = rng.standard_normal(out.shape)
    dh_n = rng.standard_normal((1, 2, 3))
    copies = [dout.copy(), dh_n.copy()]
    m.backward(dout, dh_n)
    for a, c in zip([dout, dh_n], copies):
        np.testing.assert_array_equal(a, c)


def test_bias_false_has_no_bias_params():
    m = GRU(2, 3, bias=False, seed=0)
    assert list(m.params) == ["weight_ih_l0", "weight_hh_l0"]
    report = check_module_gradients(m, np.random.default_rng(11).standard_normal((2, 3, 2)))
    assert report.ok(TOL), str(report)


@pytest.mark.parametrize("kwargs,text", [
    (dict(), "GRU(4, 4)"),
    (dict(num_layers=2, bidirectional=True), "GRU(4, 4, num_layers=2, bidirectional=True)"),
    (dict(bias=False), "GRU(4, 4, bias=False)"),
])
def test_repr_reads_like_torch(kwargs, text):
    assert repr(GRU(4, 4, **kwargs)) == text


def test_float32_module():
    m = GRU(3, 4, num_layers=2, bidirectional=True, seed=0, dtype=np.float32)
    assert all(p.dtype == np.float32 for p in m.params.values())
    x = np.ones((2, 3, 3), dtype=np.float32)
    out, h_n = m.forward(x, np.full((4, 2, 4), 0.5, np.float32))
    dx = m.backward(np.ones_like(out), np.ones_like(h_n))
    assert out.dtype == h_n.dtype == dx.dtype == m.dh0.dtype == np.float32
    assert all(g.dtype == np.float32 for g in m.grads.values())


# -- validation: one test per error ----------------------------------------------


def raises(exc, text):
    return pytest.raises(exc, match="^" + re.escape(text))


N, T, d, D = 2, 3, 5, 4  # so 3D = 12


@pytest.fixture
def seq():
    return _seq_inputs(np.random.default_rng(0), N, T, d, D)


@pytest.fixture
def step():
    return _step_inputs(np.random.default_rng(0), N, d, D)


@pytest.mark.parametrize("name,value,text", [
    ("x_t", np.zeros((N, T, d)), "x_t has shape (2, 3, 5); expected (N, d) — one time step of a batch "
                                 "(for one vector use x_t[None])"),
    ("x_t", np.ones((N, d), dtype=np.int64), "x_t has integer dtype int64; expected floats"),
    ("Wx", np.zeros((d, 3 * D)), "Wx has shape (5, 12); expected (3D, d) = (?, 5), because x_t has shape "
                                 "(2, 5) — is it transposed? Wx is stored as (3D, d), the orientation of "
                                 "the source note and of PyTorch"),
    ("Wx", np.zeros((4 * D, d)), "Wx has shape (16, 5); expected (3D, d) = (?, 5) (3D: the weights of 3 "
                                 "gates stacked, D rows each)"),
    ("Wh", np.zeros((D, D)), "Wh has shape (4, 4); expected (3D, D) = (12, 4), because Wx has shape (12, 5) "
                             "(3D: the weights of 3 gates stacked, D rows each)"),
    ("b_ih", np.zeros(D), "b_ih has shape (4,); expected (3D) = (12), because Wx has shape (12, 5)"),
    ("b_hh", np.zeros((N, 3 * D)), "b_hh has shape (2, 12); expected (3D) = (12)"),
    ("b_hh", None, "b_hh is None; expected a float array"),
    ("h_prev", np.zeros((N, 5)), "h_prev has shape (2, 5); expected (N, D) = (2, 4), "
                                 "because Wx has shape (12, 5)"),
    ("h_prev", np.zeros((3, D)), "h_prev has shape (3, 4); expected (N, D) = (2, 4), "
                                 "because x_t has shape (2, 5)"),
    ("h_prev", np.full((N, D), np.nan), "h_prev contains NaN or inf (first at index (0, 0), value nan)"),
])
def test_step_forward_validation(step, name, value, text):
    step[name] = value
    with raises((ValueError, TypeError), "gru_step_forward: " + text):
        gru_step_forward(**step)


@pytest.mark.parametrize("name,value,text", [
    ("x", np.zeros((T, d)), "x has shape (3, 5); expected (N, T, d) — a batch of sequences "
                            "(for one sequence use x[None])"),
    ("x", np.zeros((N, 0, d)), "x has shape (2, 0, 5), so T = 0; every dimension must be at least 1 "
                               "(an RNN needs at least one time step)"),
    ("x", np.ones((N, T), dtype=np.int64), "x has integer dtype int64; expected floats — the recurrent "
                                           "layers read vectors, not token ids"),
    ("Wx", np.zeros((7, d)), "Wx has shape (7, 5); expected (3D, d) = (?, 5)"),
    ("Wh", np.zeros((3 * D, d)), "Wh has shape (12, 5); expected (3D, D) = (12, 4), "
                                 "because Wx has shape (12, 5)"),
    ("Wh", None, "Wh is None; expected a float array"),
    ("b_ih", np.zeros(11), "b_ih has shape (11,); expected (3D) = (12), because Wx has shape (12, 5)"),
    ("b_hh", np.zeros(4 * D), "b_hh has shape (16,); expected (3D) = (12), because Wx has shape (12, 5)"),
    ("h0", np.zeros((N, 5)), "h0 has shape (2, 5); expected (N, D) = (2, 4), because Wx has shape (12, 5)"),
    ("h0", np.zeros((3, D)), "h0 has shape (3, 4); expected (N, D) = (2, 4), because x has shape (2, 3, 5)"),
    ("h0", np.full((N, D), np.inf), "h0 contains NaN or inf (first at index (0, 0), value inf)"),
])
def test_forward_validation(seq, name, value, text):
    seq[name] = value
    with raises((ValueError, TypeError), "gru_forward: " + text):
        gru_forward(**seq)


def test_step_backward_validation(step, seq):
    h, cache = gru_step_forward(**step)
    with raises(ValueError, "gru_step_backward: dh_next has shape (2, 5); expected (N, D) = (2, 4)"):
        gru_step_backward(np.zeros((N, 5)), cache)
    with raises(TypeError, "gru_step_backward: dh_next is None; expected a float array"):
        gru_step_backward(None, cache)
    _, seq_cache = gru_forward(**seq)
    with raises(TypeError, "gru_step_backward: cache must be the cache returned by gru_step_forward, "
                           "got GRUCache"):
        gru_step_backward(h, seq_cache)
    assert isinstance(cache, GRUStepCache) and isinstance(seq_cache, GRUCache)


def test_backward_validation(step, seq):
    h, cache = gru_forward(**seq)
    with raises(ValueError, "gru_backward: dh has shape (2, 4); expected (N, T, D) = (2, 3, 4)"):
        gru_backward(h[:, -1], cache)
    with raises(ValueError, "gru_backward: dh contains NaN or inf (first at index (0, 0, 0), value nan)"):
        gru_backward(np.full_like(h, np.nan), cache)
    _, step_cache = gru_step_forward(**step)
    with raises(TypeError, "gru_backward: cache must be the cache returned by gru_forward, got GRUStepCache"):
        gru_backward(h, step_cache)
    with raises(TypeError, "gru_backward: cache must be the cache returned by gru_forward, got tuple"):
        gru_backward(h, tuple(cache))


def test_module_forward_validation():
    m = GRU(3, 4, num_layers=2, bidirectional=True)
    x = np.zeros((1, 5, 3))
    with raises(ValueError, "GRU.forward: h0 has shape (2, 1, 4); expected (L*dirs, N, D) = (4, 1, 4) "
                            "— one (N, D) state per layer and direction, "
                            "num_layers*num_directions = 2*2 = 4 of them"):
        m.forward(x, np.zeros((2, 1, 4)))
    with raises(ValueError, "GRU.forward: h0 has shape (4, 1, 3); expected (L*dirs, N, D) = (4, 1, 4)"):
        m.forward(x, np.zeros((4, 1, 3)))
    with raises(ValueError, "GRU.forward: x has shape (1, 5, 4); expected (N, T, d) = (?, ?, 3)"):
        m.forward(np.zeros((1, 5, 4)))


def test_module_backward_validation():
    m = GRU(3, 4, num_layers=2, bidirectional=True)
    with raises(RuntimeError, "GRU.backward: call forward before backward"):
        m.backward(np.zeros((1, 5, 8)))
    m.forward(np.zeros((1, 5, 3)))
    with raises(ValueError, "GRU.backward: dh_n has shape (4, 2, 4); expected (L*dirs, N, D) = (4, 1, 4)"):
        m.backward(np.zeros((1, 5, 8)), np.zeros((4, 2, 4)))
    with raises(ValueError, "GRU.backward: doutput has shape (1, 5, 4); "
                            "expected (N, T, dirs*D) = (1, 5, 8)"):
        m.backward(np.zeros((1, 5, 4)))


@pytest.mark.parametrize("kwargs,text", [
    (dict(input_size=0, hidden_size=4), "GRU: input_size must be a positive integer, got 0"),
    (dict(input_size=3, hidden_size=4, num_layers=0), "GRU: num_layers must be a positive integer, got 0"),
    (dict(input_size=3, hidden_size=4, dtype=np.int64), "GRU: dtype must be a float type"),
])
def test_module_constructor_validation(kwargs, text):
    with raises((ValueError, TypeError), text):
        GRU(**kwargs)
