"""The checkers of the gated cells' backward passes (chapter 8): wrong implementations, written the way
learners write them, fail with a message that names the wrong term (which gate, which path); correct
ones in other styles pass; the untouched stub reads "not attempted"."""

import numpy as np
import pytest

import rnn_course as rc
from rnn_course.exercises import EXERCISES, check, hint
from rnn_course.exercises.gated_backward_exercises import (CASES, GRU_GRADS, LSTM_GRADS, _gru_back, _gru_faults,
                                                           _lstm_back, _lstm_faults, _upstream)
from rnn_course.exercises.gated_exercises import _data
from checking import assert_fails, assert_passes


def test_the_registry_entries():
    assert EXERCISES["lstm_step_backward"].reference is rc.lstm_step_backward
    assert EXERCISES["gru_step_backward"].reference is rc.gru_step_backward
    for name in ("lstm_step_backward", "gru_step_backward"):
        assert EXERCISES[name].kind == "implementation"
        assert len(EXERCISES[name].hints) == 3 and hint(name, 3).text


def _lstm_case(case, seed=0):
    data = _data(case, seed, 4)
    _, _, cache = rc.lstm_step_forward(data["x_t"], data["h_prev"], data["c_prev"], data["Wx"], data["Wh"],
                                       data["b_ih"], data["b_hh"])
    return (*_upstream(case, seed, 2), cache)


def _gru_case(case, seed=0):
    data = _data(case, seed, 3)
    _, cache = rc.gru_step_forward(data["x_t"], data["h_prev"], data["Wx"], data["Wh"], data["b_ih"], data["b_hh"])
    return (*_upstream(case, seed, 1), cache)


def test_the_unchanged_variants_are_the_reference_and_every_fault_differs():
    # A variant that equals the reference would name a fault in a right answer; one equal to another
    # fault's would give it the wrong name. Faults are named on the first case that shows them, so the cases
    # where some coincide are left out: N = 1 (a mean over the batch is the sum) and saturated gates (tanh_c = ±1
    # closes the path h_next -> c_next).
    for case in [c for c in CASES if c.N > 1 and c.scale < 5]:
        dh, dc, cache = _lstm_case(case)
        want = rc.lstm_step_backward(dh, dc, cache)
        assert all(np.allclose(a, b) for a, b in zip(_lstm_back(dh, dc, cache).values(), want))
        faults = _lstm_faults(dh, dc, cache)
        for k, (message, outs) in enumerate(faults):
            assert not all(np.allclose(outs[n], w) for n, w in zip(LSTM_GRADS, want)), message
            for other, outs2 in faults[k + 1:]:
                assert not all(np.allclose(outs[n], outs2[n]) for n in LSTM_GRADS), (message, other)
        dh, cache = _gru_case(case)
        want = rc.gru_step_backward(dh, cache)
        assert all(np.allclose(a, b) for a, b in zip(_gru_back(dh, cache).values(), want))
        faults = _gru_faults(dh, cache)
        for k, (message, outs) in enumerate(faults):
            assert not all(np.allclose(outs[n], w) for n, w in zip(GRU_GRADS, want)), message
            for other, outs2 in faults[k + 1:]:
                assert not all(np.allclose(outs[n], outs2[n]) for n in GRU_GRADS), (message, other)


def sigmoid_grad(s):
    return s * (1 - s)


# -- lstm_step_backward --------------------------------------------------------------------------


def stub_lstm(dh_next, dc_next, cache):
    ...  # your code here


def lstm_blocks(dh_next, dc_next, cache):
    """Right: one gate at a time, written out."""
    i, f, g, o = np.split(cache.gates, 4, axis=1)
    dc = dc_next + dh_next * o * (1 - cache.tanh_c ** 2)
    da = np.hstack([dc * g * i * (1 - i), dc * cache.c_prev * f * (1 - f), dc * i * (1 - g ** 2),
                    dh_next * cache.tanh_c * o * (1 - o)])
    db = da.sum(axis=0)
    return da @ cache.Wx, da @ cache.Wh, dc * f, da.T @ cache.x_t, da.T @ cache.h_prev, db, db


def lstm_einsum(dh_next, dc_next, cache):
    """Right: the gates recomputed from c_prev, einsum for the products, a preallocated da."""
    N, D = dh_next.shape
    gates = cache.gates.reshape(N, 4, D)                       # (N, gate, D)
    i, f, g, o = (gates[:, k] for k in range(4))
    c_next = f * cache.c_prev + i * g
    dc = dh_next * o * (1 - np.tanh(c_next) ** 2) + dc_next
    da = np.empty_like(gates)
    da[:, 0], da[:, 1] = dc * g * sigmoid_grad(i), dc * cache.c_prev * sigmoid_grad(f)
    da[:, 2], da[:, 3] = dc * i * (1 - g * g), dh_next * np.tanh(c_next) * sigmoid_grad(o)
    da = da.reshape(N, 4 * D)
    dWx = np.einsum("nk,nd->kd", da, cache.x_t)
    dWh = np.einsum("nk,nD->kD", da, cache.h_prev)
    return (np.einsum("nk,kd->nd", da, cache.Wx), np.einsum("nk,kD->nD", da, cache.Wh), f * dc, dWx, dWh,
            da.sum(0), da.sum(0).copy())


@pytest.mark.parametrize("fn", [lstm_blocks, lstm_einsum, rc.lstm_step_backward])
def test_lstm_correct_styles_pass(fn):
    assert_passes(check("lstm_step_backward", fn))


def _lstm(dc_rule="right", dc_prev_rule="right", i_grad=sigmoid_grad, f_grad=sigmoid_grad, g_grad=None,
          o_grad=sigmoid_grad, order="ifgo", dW="right", db="sum"):
    """A learner's backward with one mistake."""
    def fn(dh_next, dc_next, cache):
        i, f, g, o = np.split(cache.gates, 4, axis=1)
        tc = cache.tanh_c
        dc = {"right": dc_next + dh_next * o * (1 - tc ** 2), "no_h": dc_next,
              "no_tanh": dc_next + dh_next * o}[dc_rule]
        parts = {"i": dc * g * i_grad(i), "f": dc * cache.c_prev * f_grad(f),
                 "g": dc * i * (1 - g ** 2 if g_grad is None else g_grad(g)), "o": dh_next * tc * o_grad(o)}
        da = np.concatenate([parts[k] for k in order], axis=1)
        dWx = da.T @ cache.x_t
        dbias = {"sum": da.sum(axis=0), "rows": da, "mean": da.mean(axis=0)}[db]
        dc_prev = dc * f if dc_prev_rule == "right" else dc
        return (da @ cache.Wx, da @ cache.Wh, dc_prev, dWx.T if dW == "transposed" else dWx,
                da.T @ cache.h_prev, dbias, dbias)
    return fn


@pytest.mark.parametrize("fn,fragments", [
    (_lstm(dc_prev_rule="no f"), ["dc_prev is missing the forget gate", "dc * f"]),
    (_lstm(dc_rule="no_h"), ["reaches c_next through h_next is missing"]),
    (_lstm(dc_rule="no_tanh"), ["tanh's derivative is missing", "h_next -> c_next"]),
    (_lstm(i_grad=lambda s: 1), ["input gate i is missing its derivative"]),
    (_lstm(f_grad=lambda s: 1), ["forget gate f is missing its derivative"]),
    (_lstm(g_grad=lambda s: 1), ["candidate g is missing tanh's derivative"]),
    (_lstm(g_grad=sigmoid_grad), ["candidate g uses a sigmoid's derivative"]),
    (_lstm(o_grad=lambda s: 1), ["output gate o is missing its derivative"]),
    (_lstm(i_grad=lambda s: 1 - s * s, f_grad=lambda s: 1 - s * s, o_grad=lambda s: 1 - s * s),
     ["use tanh's derivative"]),
    (_lstm(order="ifog"), ["order (i, f, o, g)", "CS231n"]),
    (_lstm(dW="transposed"), ["dWx is transposed", "(4D, d)"]),
    (_lstm(db="rows"), ["db_ih has one row per sequence", "sum over the batch axis"]),
    (_lstm(db="mean"), ["averaged over the batch"]),
])
def test_lstm_faults_are_named(fn, fragments):
    assert_fails(check("lstm_step_backward", fn), *fragments)


def test_lstm_returns_and_inputs():
    def six(dh_next, dc_next, cache):
        return lstm_blocks(dh_next, dc_next, cache)[:6]

    def swapped(dh_next, dc_next, cache):
        dx, dh, dc, *rest = lstm_blocks(dh_next, dc_next, cache)
        return (dx, dc, dh, *rest)

    def mutates(dh_next, dc_next, cache):
        out = lstm_blocks(dh_next, dc_next, cache)
        cache.gates[...] = 0
        return out

    assert_fails(check("lstm_step_backward", six), "must return 7 gradients")
    assert_fails(check("lstm_step_backward", swapped), "wrong order", "(dx_t, dc_prev, dh_prev")
    assert_fails(check("lstm_step_backward", mutates), "changed its input `cache` in place")
    assert check("lstm_step_backward", stub_lstm).status == "not attempted"


# -- gru_step_backward ---------------------------------------------------------------------------


def stub_gru(dh_next, cache):
    ...  # your code here


def gru_blocks(dh_next, cache):
    """Right: the two projections' gradients built block by block."""
    r, z, n = np.split(cache.gates, 3, axis=1)
    dn = dh_next * (1 - z) * (1 - n ** 2)
    dz = dh_next * (cache.h_prev - n) * z * (1 - z)
    dr = dn * cache.gh_n * r * (1 - r)
    dgx, dgh = np.hstack([dr, dz, dn]), np.hstack([dr, dz, dn * r])
    return (dgx @ cache.Wx, dh_next * z + dgh @ cache.Wh, dgx.T @ cache.x_t, dgh.T @ cache.h_prev,
            dgx.sum(0), dgh.sum(0))


def gru_per_gate(dh_next, cache):
    """Right: per gate, with the weights sliced into (D, d) and (D, D) blocks."""
    D = dh_next.shape[1]
    r, z, n = (cache.gates[:, k * D:(k + 1) * D] for k in range(3))
    Wx_r, Wx_z, Wx_n = (cache.Wx[k * D:(k + 1) * D] for k in range(3))
    Wh_r, Wh_z, Wh_n = (cache.Wh[k * D:(k + 1) * D] for k in range(3))
    da_n = dh_next * (1 - z) * (1 - n * n)
    da_z = dh_next * (cache.h_prev - n) * sigmoid_grad(z)
    da_r = da_n * cache.gh_n * sigmoid_grad(r)
    dgh_n = da_n * r
    dx_t = da_r @ Wx_r + da_z @ Wx_z + da_n @ Wx_n
    dh_prev = z * dh_next + da_r @ Wh_r + da_z @ Wh_z + dgh_n @ Wh_n
    dWx = np.vstack([a.T @ cache.x_t for a in (da_r, da_z, da_n)])
    dWh = np.vstack([a.T @ cache.h_prev for a in (da_r, da_z, dgh_n)])
    db_ih = np.concatenate([a.sum(axis=0) for a in (da_r, da_z, da_n)])
    db_hh = np.concatenate([a.sum(axis=0) for a in (da_r, da_z, dgh_n)])
    return dx_t, dh_prev, dWx, dWh, db_ih, db_hh


@pytest.mark.parametrize("fn", [gru_blocks, gru_per_gate, rc.gru_step_backward])
def test_gru_correct_styles_pass(fn):
    assert_passes(check("gru_step_backward", fn))


def _gru(mix="right", direct=True, reset_hidden=True, bias_inside=True, r_grad=sigmoid_grad, z_grad=sigmoid_grad,
         n_grad=None, dz_sign=1, dW="right", order="rzn", db="sum"):
    """A learner's backward with one mistake."""
    def fn(dh_next, cache):
        D = dh_next.shape[1]
        r, z, n = np.split(cache.gates, 3, axis=1)
        keep, new = (z, 1 - z) if mix == "right" else (1 - z, z)
        dn = dh_next * new * (1 - n ** 2 if n_grad is None else n_grad(n))
        dz = dz_sign * dh_next * ((cache.h_prev - n) if mix == "right" else (n - cache.h_prev)) * z_grad(z)
        dr = dn * cache.gh_n * r_grad(r)
        blocks_x = dict(r=dr, z=dz, n=dn)
        blocks_h = dict(r=dr, z=dz, n=dn * r if reset_hidden else dn)
        dgx = np.concatenate([blocks_x[k] for k in order], axis=1)
        dgh = np.concatenate([blocks_h[k] for k in order], axis=1)
        dh_prev = dgh @ cache.Wh + (dh_next * keep if direct else 0)
        total = (lambda a: a.sum(axis=0)) if db == "sum" else (lambda a: a.mean(axis=0))
        db_hh = total(dgh)
        if not bias_inside:
            db_hh[2 * D:] = dn.sum(axis=0)
        dWh = dgh.T @ cache.h_prev
        return (dgx @ cache.Wx, dh_prev, dgx.T @ cache.x_t, dWh.T if dW == "transposed" else dWh,
                total(dgx), db_hh)
    return fn


def gru_reset_before_product(dh_next, cache):
    """The reset differentiated as if the forward pass had (r * h_prev) W_hn^T."""
    D = dh_next.shape[1]
    r, z, n = np.split(cache.gates, 3, axis=1)
    dn = dh_next * (1 - z) * (1 - n ** 2)
    dz = dh_next * (cache.h_prev - n) * z * (1 - z)
    dr = dn * cache.gh_n * r * (1 - r)
    W_hr, W_hz, W_hn = np.split(cache.Wh, 3)
    dgx = np.hstack([dr, dz, dn])
    dh_prev = dh_next * z + dr @ W_hr + dz @ W_hz + r * (dn @ W_hn)
    dWh = np.vstack([dr.T @ cache.h_prev, dz.T @ cache.h_prev, dn.T @ (r * cache.h_prev)])
    return (dgx @ cache.Wx, dh_prev, dgx.T @ cache.x_t, dWh, dgx.sum(0),
            np.concatenate([dr.sum(0), dz.sum(0), (dn * r).sum(0)]))


def gru_reset_before_everywhere(dh_next, cache):
    """The whole backward of n = tanh(gx_n + (r * h_prev) W_hn^T + b_hn), the reset gate's own gradient included."""
    r, z, n = np.split(cache.gates, 3, axis=1)
    dn = dh_next * (1 - z) * (1 - n ** 2)
    dz = dh_next * (cache.h_prev - n) * z * (1 - z)
    W_hr, W_hz, W_hn = np.split(cache.Wh, 3)
    d_rh = dn @ W_hn                                           # the gradient at r * h_prev
    dr = d_rh * cache.h_prev * r * (1 - r)
    dgx = np.hstack([dr, dz, dn])
    dh_prev = dh_next * z + dr @ W_hr + dz @ W_hz + r * d_rh
    dWh = np.vstack([dr.T @ cache.h_prev, dz.T @ cache.h_prev, dn.T @ (r * cache.h_prev)])
    return dgx @ cache.Wx, dh_prev, dgx.T @ cache.x_t, dWh, dgx.sum(0), dgx.sum(0)


@pytest.mark.parametrize("fn,fragments", [
    (_gru(mix="swapped"), ["(1 - z) side is swapped"]),
    (_gru(direct=False), ["missing the direct path", "dh_next * z"]),
    (_gru(reset_hidden=False), ["reset gate is missing on the hidden path", "dn * r"]),
    (gru_reset_before_product, ["reset gate applied to h_prev before the product", "after the product"]),
    (gru_reset_before_everywhere, ["reset gate applied to h_prev before the product", "after the product"]),
    (_gru(bias_inside=False), ["b_hn sat outside the reset product", "(dn * r).sum(axis=0)"]),
    (_gru(dz_sign=-1), ["dz has the wrong sign", "h_prev - n"]),
    (_gru(r_grad=lambda s: 1), ["reset gate r is missing its derivative"]),
    (_gru(z_grad=lambda s: 1), ["update gate z is missing its derivative"]),
    (_gru(n_grad=lambda s: 1), ["candidate n is missing tanh's derivative"]),
    (_gru(order="zrn"), ["order (z, r, n)", "Keras"]),
    (_gru(dW="transposed"), ["dWh is transposed", "(3D, D)", "dgh.T @ h_prev"]),
    (_gru(db="mean"), ["averaged over the batch"]),
])
def test_gru_faults_are_named(fn, fragments):
    assert_fails(check("gru_step_backward", fn), *fragments)


def test_gru_returns():
    def no_hh(dh_next, cache):
        return gru_blocks(dh_next, cache)[:5]

    def db_rows(dh_next, cache):
        *rest, _, db_hh = gru_blocks(dh_next, cache)
        return (*rest, np.zeros((dh_next.shape[0], db_hh.shape[0])), db_hh)

    assert_fails(check("gru_step_backward", no_hh), "must return 6 gradients", "db_hh")
    assert_fails(check("gru_step_backward", db_rows), "db_ih has one row per sequence")
    assert check("gru_step_backward", stub_gru).status == "not attempted"
