"""A battery of wrong answers written the way learners write them, across every implementation checker
(issue 15, item 4): each named fault must be rejected with a message that names it, and at least 90% of
all rejected wrong answers must get a message that names their fault rather than a generic
"right shape but the wrong values". Correct answers in other styles must pass.

Each wrong answer is one small function with one mistake. Those marked UNNAMED are mistakes no checker
looks for on purpose; they are here so that the measured share is not only of faults chosen to be named.
"""

import sys

import numpy as np
import pytest

from rnn_course.models import CharLM
from rnn_course import rnn_backward as lib_rnn_backward
from rnn_course import rnn_forward as lib_rnn_forward
from rnn_course import rnn_step_backward as lib_step_backward
from rnn_course.exercises import check
from rnn_course.exercises.deep_exercises import bidirectional_rnn_forward as lib_bi
from rnn_course.exercises.deep_exercises import stacked_rnn_forward as lib_stacked
from checking import assert_fails, assert_passes

UNNAMED = None  # the fragment of a wrong answer that no checker names on purpose: it must only fail

#: The messages that say "wrong" without saying what is wrong.
GENERIC = ("right shape but the wrong values", "the padded array has the wrong values", "the 1s are in the wrong places",
           "has the wrong values", "the loss is right but dlogits is not", "the ids do not follow softmax(logits / "
           "temperature).", "q^t q is not the identity (", "the total norm before clipping is",
           "have the right shape but the wrong ids", "are not the greedy choices", "the share of right rows here is")

BATTERY = []  # (exercise, label, function, fragment)


def wrong(exercise, fragment):
    def register(fn):
        BATTERY.append((exercise, fn.__name__, fn, fragment))
        return fn
    return register


def _sig(a):
    return 1 / (1 + np.exp(-a))


# -- rnn_step_forward -------------------------------------------------------------------------

S = "rnn_step_forward"


def _act(a, nonlinearity):
    return np.tanh(a) if nonlinearity == "tanh" else np.maximum(a, 0)


@wrong(S, "`h_prev` is multiplied by `Wh` instead of `Wh.T`")
def step_wh_not_transposed(x_t, h_prev, Wx, Wh, b, nonlinearity="tanh"):
    return _act(x_t @ Wx.T + h_prev @ Wh + b, nonlinearity), None


@wrong(S, "input weight looks transposed")
def step_wx_not_transposed(x_t, h_prev, Wx, Wh, b, nonlinearity="tanh"):
    return _act(x_t @ Wx + h_prev @ Wh.T + b, nonlinearity), None


@wrong(S, "both weights look transposed")
def step_column_form_on_rows(x_t, h_prev, Wx, Wh, b, nonlinearity="tanh"):
    return _act(np.dot(x_t, Wx) + np.dot(h_prev, Wh) + b, nonlinearity), None


@wrong(S, "Wx and Wh are swapped")
def step_swapped_weights(x_t, h_prev, Wx, Wh, b, nonlinearity="tanh"):
    return _act(x_t @ Wh.T + h_prev @ Wx.T + b, nonlinearity), None


@wrong(S, "`x_t` is multiplied by `Wh`")
def step_wh_for_input(x_t, h_prev, Wx, Wh, b, nonlinearity="tanh"):
    return _act(x_t @ Wh.T + h_prev @ Wh.T + b, nonlinearity), None


@wrong(S, "the bias `b` is missing")
def step_no_bias(x_t, h_prev, Wx, Wh, b, nonlinearity="tanh"):
    return _act(x_t @ Wx.T + h_prev @ Wh.T, nonlinearity), None


@wrong(S, "`h_prev` is ignored")
def step_no_recurrence(x_t, h_prev, Wx, Wh, b, nonlinearity="tanh"):
    return _act(x_t @ Wx.T + b, nonlinearity), None


@wrong(S, "tanh is applied twice")
def step_tanh_twice(x_t, h_prev, Wx, Wh, b, nonlinearity="tanh"):
    h_next = np.tanh(x_t @ Wx.T + h_prev @ Wh.T + b)
    return np.tanh(h_next), None


@wrong(S, "asks for nonlinearity='relu'")
def step_always_tanh(x_t, h_prev, Wx, Wh, b, nonlinearity="tanh"):
    return np.tanh(x_t @ Wx.T + h_prev @ Wh.T + b), None


@wrong(S, "that is a sigmoid")
def step_sigmoid(x_t, h_prev, Wx, Wh, b, nonlinearity="tanh"):
    return _sig(x_t @ Wx.T + h_prev @ Wh.T + b), None


@wrong(S, "the pair is the wrong way round")
def step_cache_first(x_t, h_prev, Wx, Wh, b, nonlinearity="tanh"):
    h_next = _act(x_t @ Wx.T + h_prev @ Wh.T + b, nonlinearity)
    return (x_t, h_prev, Wx, Wh, h_next), h_next


@wrong(S, "returned a single array")
def step_no_cache(x_t, h_prev, Wx, Wh, b, nonlinearity="tanh"):
    return _act(x_t @ Wx.T + h_prev @ Wh.T + b, nonlinearity)


@wrong(S, "bias is added after the nonlinearity")
def step_bias_outside(x_t, h_prev, Wx, Wh, b, nonlinearity="tanh"):
    return _act(x_t @ Wx.T + h_prev @ Wh.T, nonlinearity) + b, None


@wrong(S, "changed its input `h_prev` in place")
def step_in_place(x_t, h_prev, Wx, Wh, b, nonlinearity="tanh"):
    h_prev[:] = _act(x_t @ Wx.T + h_prev @ Wh.T + b, nonlinearity)
    return h_prev, None


@wrong(S, "for float32 inputs h_next came back as float64")
def step_float64_buffer(x_t, h_prev, Wx, Wh, b, nonlinearity="tanh"):
    h_next = np.zeros((x_t.shape[0], Wh.shape[0]))
    h_next[:] = _act(x_t @ Wx.T + h_prev @ Wh.T + b, nonlinearity)
    return h_next, None


@wrong(S, "NaN or inf")
def step_tanh_from_exp(x_t, h_prev, Wx, Wh, b, nonlinearity="tanh"):
    a = x_t @ Wx.T + h_prev @ Wh.T + b
    if nonlinearity == "relu":
        return np.maximum(a, 0), None
    with np.errstate(all="ignore"):
        return (np.exp(a) - np.exp(-a)) / (np.exp(a) + np.exp(-a)), None


@wrong(S, "h_next is a list of Python numbers")
def step_python_lists(x_t, h_prev, Wx, Wh, b, nonlinearity="tanh"):
    a = x_t @ Wx.T + h_prev @ Wh.T + b
    return [[float(np.tanh(v)) for v in row] for row in a], None


@wrong(S, UNNAMED)
def step_tanh_on_each_product(x_t, h_prev, Wx, Wh, b, nonlinearity="tanh"):
    return _act(x_t @ Wx.T, nonlinearity) + _act(h_prev @ Wh.T, nonlinearity) + b, None


# -- rnn_forward -----------------------------------------------------------------------------

F = "rnn_forward"


def _step(x_t, h, Wx, Wh, b, nonlinearity):
    return _act(x_t @ Wx.T + h @ Wh.T + b, nonlinearity)


def _h0(x, h0, Wh):
    return np.zeros((x.shape[0], Wh.shape[0]), dtype=x.dtype) if h0 is None else h0


@wrong(F, "every step starts from `h0`")
def fwd_no_update(x, h0, Wx, Wh, b, nonlinearity="tanh"):
    h0 = _h0(x, h0, Wh)
    return np.stack([_step(x[:, t], h0, Wx, Wh, b, nonlinearity) for t in range(x.shape[1])], axis=1), None


@wrong(F, "`h0` is ignored")
def fwd_ignores_h0(x, h0, Wx, Wh, b, nonlinearity="tanh"):
    h = np.zeros((x.shape[0], Wh.shape[0]), dtype=x.dtype)
    hs = []
    for t in range(x.shape[1]):
        h = _step(x[:, t], h, Wx, Wh, b, nonlinearity)
        hs.append(h)
    return np.stack(hs, axis=1), None


@wrong(F, "it includes h0")
def fwd_keeps_h0(x, h0, Wx, Wh, b, nonlinearity="tanh"):
    h = _h0(x, h0, Wh)
    hs = [h]
    for t in range(x.shape[1]):
        h = _step(x[:, t], h, Wx, Wh, b, nonlinearity)
        hs.append(h)
    return np.stack(hs, axis=1), None


@wrong(F, "only one hidden state")
def fwd_last_state(x, h0, Wx, Wh, b, nonlinearity="tanh"):
    h = _h0(x, h0, Wh)
    for t in range(x.shape[1]):
        h = _step(x[:, t], h, Wx, Wh, b, nonlinearity)
    return h, None


@wrong(F, "time-major")
def fwd_time_major(x, h0, Wx, Wh, b, nonlinearity="tanh"):
    h, hs = _h0(x, h0, Wh), []
    for t in range(x.shape[1]):
        h = _step(x[:, t], h, Wx, Wh, b, nonlinearity)
        hs.append(h)
    return np.array(hs), None


@wrong(F, "read back to front")
def fwd_reversed_loop(x, h0, Wx, Wh, b, nonlinearity="tanh"):
    N, T, _ = x.shape
    out = np.empty((N, T, Wh.shape[0]), dtype=x.dtype)
    h = _h0(x, h0, Wh)
    for t in reversed(range(T)):
        h = _step(x[:, t], h, Wx, Wh, b, nonlinearity)
        out[:, t] = h
    return out, None


@wrong(F, "in each step, `h_prev` is multiplied by `Wh`")
def fwd_wh_not_transposed(x, h0, Wx, Wh, b, nonlinearity="tanh"):
    h, hs = _h0(x, h0, Wh), []
    for t in range(x.shape[1]):
        h = _act(x[:, t] @ Wx.T + h @ Wh + b, nonlinearity)
        hs.append(h)
    return np.stack(hs, axis=1), None


@wrong(F, "Wx and Wh are swapped")
def fwd_swapped(x, h0, Wx, Wh, b, nonlinearity="tanh"):
    h, hs = _h0(x, h0, Wh), []
    for t in range(x.shape[1]):
        h = _act(x[:, t] @ Wh.T + h @ Wx.T + b, nonlinearity)
        hs.append(h)
    return np.stack(hs, axis=1), None


@wrong(F, "np.zeros((N, D), dtype=x.dtype)")
def fwd_zeros_without_dtype(x, h0, Wx, Wh, b, nonlinearity="tanh"):
    N, T, d = x.shape
    h = np.zeros((N, Wh.shape[0])) if h0 is None else h0
    hs = []
    for t in range(T):
        h = _step(x[:, t], h, Wx, Wh, b, nonlinearity)
        hs.append(h)
    return np.stack(hs, axis=1), None


@wrong(F, "with h0=None")
def fwd_h0_none_crashes(x, h0, Wx, Wh, b, nonlinearity="tanh"):
    h, hs = h0, []
    for t in range(x.shape[1]):
        h = _step(x[:, t], h, Wx, Wh, b, nonlinearity)
        hs.append(h)
    return np.stack(hs, axis=1), None


@wrong(F, "h is a list of 4 arrays")
def fwd_list(x, h0, Wx, Wh, b, nonlinearity="tanh"):
    h, hs = _h0(x, h0, Wh), []
    for t in range(x.shape[1]):
        h = _step(x[:, t], h, Wx, Wh, b, nonlinearity)
        hs.append(h)
    return hs, None


@wrong(F, "the pair is the wrong way round")
def fwd_cache_first(x, h0, Wx, Wh, b, nonlinearity="tanh"):
    h, cache = lib_rnn_forward(x, h0, Wx, Wh, b, nonlinearity)
    return cache, h


@wrong(F, "tanh is applied twice")
def fwd_tanh_twice(x, h0, Wx, Wh, b, nonlinearity="tanh"):
    h, hs = _h0(x, h0, Wh), []
    for t in range(x.shape[1]):
        h = _act(_step(x[:, t], h, Wx, Wh, b, nonlinearity), nonlinearity)
        hs.append(h)
    return np.stack(hs, axis=1), None


@wrong(F, "changed its input `x` in place")
def fwd_scales_x(x, h0, Wx, Wh, b, nonlinearity="tanh"):
    x *= 1.0 + 0.0 * x  # looks harmless, but writes into x
    x[:, 0] += 0
    x[0, 0, 0] = x[0, 0, 0] + 1e-3
    return lib_rnn_forward(x, h0, Wx, Wh, b, nonlinearity)


@wrong(F, UNNAMED)
def fwd_last_input_every_step(x, h0, Wx, Wh, b, nonlinearity="tanh"):
    h, hs = _h0(x, h0, Wh), []
    for t in range(x.shape[1]):
        h = _step(x[:, -1], h, Wx, Wh, b, nonlinearity)
        hs.append(h)
    return np.stack(hs, axis=1), None


# -- rnn_step_backward ----------------------------------------------------------------------

SB = "rnn_step_backward"


def _da(dh_next, c, relu_mask=lambda h: h > 0):
    h = c.h_next
    return dh_next * ((1 - h ** 2) if c.nonlinearity == "tanh" else relu_mask(h))


def _sb(da, c):
    return da @ c.Wx, da @ c.Wh, da.T @ c.x_t, da.T @ c.h_prev, da.sum(axis=0)


@wrong(SB, "derivative of the nonlinearity is missing")
def sb_no_derivative(dh_next, cache):
    return _sb(dh_next, cache)


@wrong(SB, "tanh is applied twice in the derivative")
def sb_tanh_twice(dh_next, cache):
    h = cache.h_next
    d = (1 - np.tanh(h) ** 2) if cache.nonlinearity == "tanh" else (h > 0)
    return _sb(dh_next * d, cache)


@wrong(SB, "`h_next >= 0`")
def sb_relu_mask_ge(dh_next, cache):
    return _sb(_da(dh_next, cache, relu_mask=lambda h: h >= 0), cache)


@wrong(SB, "dh_prev uses Wh transposed")
def sb_dh_prev_wh_t(dh_next, cache):
    da = _da(dh_next, cache)
    dx, _, dWx, dWh, db = _sb(da, cache)
    return dx, da @ cache.Wh.T, dWx, dWh, db


@wrong(SB, "dWh uses h_next")
def sb_dwh_h_next(dh_next, cache):
    da = _da(dh_next, cache)
    dx, dh, dWx, _, db = _sb(da, cache)
    return dx, dh, dWx, da.T @ cache.h_next, db


@wrong(SB, "dWx is transposed")
def sb_dwx_transposed(dh_next, cache):
    da = _da(dh_next, cache)
    dx, dh, _, dWh, db = _sb(da, cache)
    return dx, dh, cache.x_t.T @ da, dWh, db


@wrong(SB, "dWh is transposed")
def sb_dwh_transposed(dh_next, cache):
    da = _da(dh_next, cache)
    dx, dh, dWx, _, db = _sb(da, cache)
    return dx, dh, dWx, cache.h_prev.T @ da, db


@wrong(SB, "averaged over the batch")
def sb_db_mean(dh_next, cache):
    da = _da(dh_next, cache)
    return (*_sb(da, cache)[:4], da.mean(axis=0))


@wrong(SB, "db has one row per sequence")
def sb_db_rows(dh_next, cache):
    da = _da(dh_next, cache)
    return (*_sb(da, cache)[:4], da)


@wrong(SB, "returned in the wrong order")
def sb_wrong_order(dh_next, cache):
    dx, dh, dWx, dWh, db = _sb(_da(dh_next, cache), cache)
    return dx, dWx, dh, dWh, db


@wrong(SB, "dx_t uses Wx transposed")
def sb_dx_wx_t(dh_next, cache):
    da = _da(dh_next, cache)
    return (da @ cache.Wx.T, *_sb(da, cache)[1:])


@wrong(SB, "must return 5 gradients")
def sb_four(dh_next, cache):
    return _sb(_da(dh_next, cache), cache)[:4]


@wrong(SB, "for float32 inputs dx_t came back as float64")
def sb_float64(dh_next, cache):
    return tuple(np.asarray(g, dtype=np.float64) for g in _sb(_da(dh_next, cache), cache))


@wrong(SB, UNNAMED)
def sb_derivative_from_h_prev(dh_next, cache):
    h = cache.h_prev
    d = (1 - h ** 2) if cache.nonlinearity == "tanh" else (h > 0)
    return _sb(dh_next * d, cache)


# -- rnn_backward ----------------------------------------------------------------------------

B = "rnn_backward"


def _bptt(dh, cache, order="backward", carry=True, accumulate=True, carry_wh_t=False, deriv="h_t",
          dwh_state="h_prev", dh0="carry", relu_mask=lambda h: h > 0):
    x, hs, Wx, Wh = cache.x, cache.hs, cache.Wx, cache.Wh
    N, T, d = x.shape
    dx = np.zeros_like(x)
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[0], dtype=Wh.dtype)
    dh_next = np.zeros_like(hs[0])
    steps = reversed(range(T)) if order == "backward" else range(T)
    total = dh_next
    for t in steps:
        total = dh[:, t] + (dh_next if carry else 0)
        h = hs[t + 1] if deriv == "h_t" else hs[t]
        if deriv == "none":
            da = total
        else:
            da = total * ((1 - h * h) if cache.nonlinearity == "tanh" else relu_mask(h))
        dx[:, t] = da @ Wx
        if accumulate:
            dWx += da.T @ x[:, t]
            dWh += da.T @ (hs[t] if dwh_state == "h_prev" else hs[t + 1])
            db += da.sum(axis=0)
        else:
            dWx, dWh, db = da.T @ x[:, t], da.T @ hs[t], da.sum(axis=0)
        dh_next = da @ (Wh.T if carry_wh_t else Wh)
    first = {"carry": dh_next, "zeros": np.zeros_like(dh_next), "total": total}[dh0]
    return dx, first, dWx, dWh, db


def _b(**kw):
    def fn(dh, cache):
        return _bptt(dh, cache, **kw)
    return fn


BACKWARD_FAULTS = [
    ("bptt_no_carry", dict(carry=False), "the gradient from h_{t+1} is missing"),
    ("bptt_overwrites", dict(accumulate=False), "only one step's contribution"),
    ("bptt_carry_wh_t", dict(carry_wh_t=True), "flows back through Wh transposed"),
    ("bptt_forward_loop", dict(order="forward"), "the loop runs forward in time"),
    ("bptt_dh0_zeros", dict(dh0="zeros"), "dh0 is all zeros"),
    ("bptt_deriv_from_h_prev", dict(deriv="h_prev"), "computed from the state before the step"),
    ("bptt_dwh_from_h_t", dict(dwh_state="h_t"), "dWh uses the step's output"),
    ("bptt_no_derivative", dict(deriv="none"), "derivative of the nonlinearity is missing"),
    ("bptt_relu_mask_ge", dict(relu_mask=lambda h: h >= 0), "`h_next >= 0`"),
    ("bptt_dh0_before_step", dict(dh0="total"), "dh0 is the gradient reaching h_1"),
]
for _label, _kw, _fragment in BACKWARD_FAULTS:
    _fn = _b(**_kw)
    _fn.__name__ = _label
    BATTERY.append((B, _label, _fn, _fragment))


@wrong(B, "dx is time-major")
def bptt_dx_time_major(dh, cache):
    dx, *rest = lib_rnn_backward(dh, cache)
    return (dx.transpose(1, 0, 2), *rest)


@wrong(B, "returned in the wrong order")
def bptt_wrong_order(dh, cache):
    dx, dh0, dWx, dWh, db = lib_rnn_backward(dh, cache)
    return dx, dh0, dWh, dWx, db


@wrong(B, UNNAMED)
def bptt_db_mean_per_step(dh, cache):
    dx, dh0, dWx, dWh, db = lib_rnn_backward(dh, cache)
    return dx, dh0, dWx, dWh, db / dh.shape[0]


# -- one_hot and pad_sequences ---------------------------------------------------------------


@wrong("one_hot", "off by one")
def oh_minus_one(ids, V):
    return np.eye(V)[ids - 1]


@wrong("one_hot", "vocabulary axis comes first")
def oh_columns(ids, V):
    return np.eye(V)[:, ids]


@wrong("one_hot", "the ids were flattened")
def oh_flattened(ids, V):
    return np.eye(V)[np.ravel(ids)]


@wrong("one_hot", "one_hot must work for ids of any shape")
def oh_only_1d(ids, V):
    out = np.zeros((len(ids), V))
    out[np.arange(len(ids)), ids] = 1
    return out


@wrong("one_hot", "one_hot must work for ids of any shape")
def oh_only_2d(ids, V):
    N, T = ids.shape
    out = np.zeros((N, T, V))
    for n in range(N):
        for t in range(T):
            out[n, t, ids[n, t]] = 1
    return out


@wrong("one_hot", "the last axis has")
def oh_v_plus_one(ids, V):
    return np.eye(V + 1)[ids]


@wrong("one_hot", "dtype int64")
def oh_ints(ids, V):
    return np.eye(V, dtype=np.int64)[ids]


@wrong("one_hot", "list of Python numbers")
def oh_lists(ids, V):
    return [[1.0 if k == i else 0.0 for k in range(V)] for i in np.ravel(ids)]


P = "pad_sequences"


def _lengths(sequences):
    return np.array([len(s) for s in sequences])


@wrong(P, "the padding is on the left")
def pad_left(sequences, pad_value=0):
    T = max(len(s) for s in sequences)
    return np.array([[pad_value] * (T - len(s)) + list(s) for s in sequences]), _lengths(sequences)


@wrong(P, "the `pad_value` argument is ignored")
def pad_zero(sequences, pad_value=0):
    T = max(len(s) for s in sequences)
    return np.array([list(s) + [0] * (T - len(s)) for s in sequences]), _lengths(sequences)


@wrong(P, "every length is T")
def pad_lengths_T(sequences, pad_value=0):
    T = max(len(s) for s in sequences)
    ids = np.array([list(s) + [pad_value] * (T - len(s)) for s in sequences])
    return ids, np.full(len(sequences), T)


@wrong(P, "a real id can equal pad_value")
def pad_lengths_counted(sequences, pad_value=0):
    T = max(len(s) for s in sequences)
    ids = np.array([list(s) + [pad_value] * (T - len(s)) for s in sequences])
    return ids, (ids != pad_value).sum(axis=1)


@wrong(P, "cut to the shortest sequence")
def pad_truncate(sequences, pad_value=0):
    T = min(len(s) for s in sequences)
    return np.array([list(s)[:T] for s in sequences]), _lengths(sequences)


@wrong(P, "floating-point numbers")
def pad_float(sequences, pad_value=0):
    ids = np.zeros((len(sequences), max(map(len, sequences)))) + pad_value
    for n, s in enumerate(sequences):
        ids[n, :len(s)] = s
    return ids, _lengths(sequences)


@wrong(P, "changed the input lists in place")
def pad_extend(sequences, pad_value=0):
    T = max(len(s) for s in sequences)
    lengths = _lengths(sequences)
    for s in sequences:
        s.extend([pad_value] * (T - len(s)))
    return np.array(sequences), lengths


@wrong(P, "return two things")
def pad_ids_only(sequences, pad_value=0):
    T = max(len(s) for s in sequences)
    return np.array([list(s) + [pad_value] * (T - len(s)) for s in sequences])


# -- stacked and bidirectional RNNs ----------------------------------------------------------

ST = "stacked_rnn_forward"


def _layer(x, Wx, Wh, b, h0=None):
    return lib_rnn_forward(x, h0, Wx, Wh, b)[0]


@wrong(ST, "every layer reads the input x")
def stack_x_everywhere(x, Wxs, Whs, bs):
    outs = [_layer(x, Wxs[k], Whs[k], bs[k]) for k in range(len(Wxs))]
    return outs[-1], np.stack([o[:, -1] for o in outs])


@wrong(ST, "your h is the first layer's output")
def stack_first_layer(x, Wxs, Whs, bs):
    h, h_n = lib_stacked(x, Wxs, Whs, bs)
    return _layer(x, Wxs[0], Whs[0], bs[0]), h_n


@wrong(ST, "the layers run in the wrong order")
def stack_reversed(x, Wxs, Whs, bs):
    layer_in, lasts = x, []
    for k in reversed(range(len(Wxs))):
        layer_in = _layer(layer_in, Wxs[k], Whs[k], bs[k])
        lasts.append(layer_in[:, -1])
    return layer_in, np.stack(lasts[::-1])


@wrong(ST, "every layer uses the first layer's weights")
def stack_same_weights(x, Wxs, Whs, bs):
    layer_in, lasts = x, []
    for k in range(len(Wxs)):
        layer_in = _layer(layer_in, Wxs[0] if k == 0 else Wxs[0][:, :layer_in.shape[-1]] if Wxs[0].shape[1] >=
                          layer_in.shape[-1] else Wxs[k], Whs[0], bs[0])
        lasts.append(layer_in[:, -1])
    return layer_in, np.stack(lasts)


@wrong(ST, "starts from the last state of the layer below")
def stack_chained_h0(x, Wxs, Whs, bs):
    layer_in, lasts, h0 = x, [], None
    for k in range(len(Wxs)):
        layer_in = _layer(layer_in, Wxs[k], Whs[k], bs[k], h0)
        h0 = layer_in[:, -1]
        lasts.append(h0)
    return layer_in, np.stack(lasts)


@wrong(ST, "lists the layers top first")
def stack_h_n_top_first(x, Wxs, Whs, bs):
    h, h_n = lib_stacked(x, Wxs, Whs, bs)
    return h, h_n[::-1]


@wrong(ST, "each layer's first state")
def stack_h_n_first_step(x, Wxs, Whs, bs):
    layer_in, firsts = x, []
    for k in range(len(Wxs)):
        layer_in = _layer(layer_in, Wxs[k], Whs[k], bs[k])
        firsts.append(layer_in[:, 0])
    return layer_in, np.stack(firsts)


@wrong(ST, "the pair is the wrong way round")
def stack_pair_swapped(x, Wxs, Whs, bs):
    h, h_n = lib_stacked(x, Wxs, Whs, bs)
    return h_n, h


@wrong(ST, "h_n is batch-first")
def stack_h_n_batch_first(x, Wxs, Whs, bs):
    h, h_n = lib_stacked(x, Wxs, Whs, bs)
    return h, h_n.transpose(1, 0, 2)


BI = "bidirectional_rnn_forward"


def _bi(x, Wx_f, Wh_f, b_f, Wx_b, Wh_b, b_b, flip_in, flip_out, order="fb", back_weights=True):
    h_f = _layer(x, Wx_f, Wh_f, b_f)
    h_b = _layer(flip_in(x), *((Wx_b, Wh_b, b_b) if back_weights else (Wx_f, Wh_f, b_f)))
    h_b = flip_out(h_b)
    return np.concatenate([h_f, h_b] if order == "fb" else [h_b, h_f], axis=-1)


def _t(a):
    return a[:, ::-1]


def _same(a):
    return a


BI_FAULTS = [
    ("bi_not_rereversed", dict(flip_in=_t, flip_out=_same), "not re-reversed"),
    ("bi_halves_swapped", dict(flip_in=_t, flip_out=_t, order="bf"), "the two halves are in the wrong order"),
    ("bi_batch_axis", dict(flip_in=lambda a: a[::-1], flip_out=lambda a: a[::-1]), "Reversing axis 0, x[::-1]"),
    ("bi_np_flip_everywhere", dict(flip_in=np.flip, flip_out=np.flip), "`np.flip` without an axis"),
    ("bi_np_flip_input", dict(flip_in=np.flip, flip_out=_t), "`np.flip` without an axis"),
    ("bi_np_flip_output", dict(flip_in=_t, flip_out=np.flip), "`np.flip` without an axis"),
    ("bi_forward_weights", dict(flip_in=_t, flip_out=_t, back_weights=False), "uses the forward weights"),
    ("bi_no_reversal", dict(flip_in=_same, flip_out=_same), "reads the sequence in the forward order"),
    ("bi_features_reversed", dict(flip_in=lambda a: a[..., ::-1], flip_out=_same), "feature axis was reversed"),
]
for _label, _kw, _fragment in BI_FAULTS:
    def _fn(x, Wx_f, Wh_f, b_f, Wx_b, Wh_b, b_b, _kw=_kw):
        return _bi(x, Wx_f, Wh_f, b_f, Wx_b, Wh_b, b_b, **_kw)
    _fn.__name__ = _label
    BATTERY.append((BI, _label, _fn, _fragment))


@wrong(BI, "concatenated along time")
def bi_concat_time(x, Wx_f, Wh_f, b_f, Wx_b, Wh_b, b_b):
    return np.concatenate([_layer(x, Wx_f, Wh_f, b_f), _t(_layer(_t(x), Wx_b, Wh_b, b_b))], axis=1)


@wrong(BI, "the two directions are added")
def bi_added(x, Wx_f, Wh_f, b_f, Wx_b, Wh_b, b_b):
    return _layer(x, Wx_f, Wh_f, b_f) + _t(_layer(_t(x), Wx_b, Wh_b, b_b))


SS = "sentence_summary"


@wrong(SS, "has taken one step and read only the last position")
def summary_last_step(output, h_n, lengths):
    return output[:, -1]


@wrong(SS, "right for the forward half, but the backward direction starts at the end")
def summary_last_real_token(output, h_n, lengths):
    return output[np.arange(len(lengths)), lengths - 1]


@wrong(SS, "the forward half is output[:, -1, :D]")
def summary_forward_ignores_lengths(output, h_n, lengths):
    D = h_n.shape[-1]
    return np.concatenate([output[:, -1, :D], h_n[-1]], axis=1)


@wrong(SS, "bottom layer's final states")
def summary_bottom_layer(output, h_n, lengths):
    return np.concatenate([h_n[0], h_n[1]], axis=1)


@wrong(SS, "the two halves are swapped")
def summary_swapped(output, h_n, lengths):
    return np.concatenate([h_n[-1], h_n[-2]], axis=1)


@wrong(SS, "joined along the batch axis")
def summary_axis_0(output, h_n, lengths):
    return np.concatenate([h_n[-2], h_n[-1]])


@wrong(SS, UNNAMED)
def summary_max_over_time(output, h_n, lengths):
    return output.max(axis=1)


# -- masked loss --------------------------------------------------------------------------------

ML = "masked_softmax_cross_entropy"


def _ml(logits, targets, mask, axis=-1, stable=True, count="mask", zero_pad=True, minus_one=True, mask_loss=True):
    z = logits - logits.max(axis=axis, keepdims=True) if stable else logits
    with np.errstate(all="ignore"):
        e = np.exp(z)
        p = e / e.sum(axis=axis, keepdims=True)
        logp = np.log(p)
    N, T, V = logits.shape
    m = mask if mask_loss else np.ones_like(mask)
    c = {"mask": int(mask.sum()), "all": N * T, "N": N}[count]
    nll = -np.take_along_axis(logp, targets[..., None], axis=-1)[..., 0]
    loss = (nll * m).sum() / c
    d = p - (np.eye(V, dtype=logits.dtype)[targets] if minus_one else 0)
    if zero_pad:
        d = d * mask[..., None]
    return loss, d / int(mask.sum())


ML_FAULTS = [
    ("loss_all_positions", dict(count="all"), "averages over all N·T positions"),
    ("loss_pad_summed", dict(mask_loss=False), "the padded positions are summed into the loss"),
    ("loss_over_N", dict(count="N"), "averages over the batch N"),
    ("loss_unstable", dict(stable=False), "near 1000"),
    ("loss_softmax_over_time", dict(axis=1), "softmax is taken over axis 1"),
    ("loss_grad_not_zeroed", dict(zero_pad=False), "not zero at masked-out positions"),
    ("loss_grad_no_minus_one", dict(minus_one=False), "missing the -1 at the target"),
]
for _label, _kw, _fragment in ML_FAULTS:
    def _fn(logits, targets, mask, _kw=_kw):
        return _ml(logits, targets, mask, **_kw)
    _fn.__name__ = _label
    BATTERY.append((ML, _label, _fn, _fragment))


@wrong(ML, "the loss is a sum")
def loss_sum(logits, targets, mask):
    loss, d = _ml(logits, targets, mask)
    return loss * mask.sum(), d


@wrong(ML, "changed its input `logits` in place")
def loss_in_place(logits, targets, mask):
    logits -= logits.max(axis=-1, keepdims=True)
    return _ml(logits, targets, mask)


@wrong(ML, "one per position")
def loss_per_position(logits, targets, mask):
    z = logits - logits.max(axis=-1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    nll = -np.take_along_axis(logp, targets[..., None], axis=-1)[..., 0]
    return nll * mask, _ml(logits, targets, mask)[1]


# -- clip_grad_norm --------------------------------------------------------------------------------

CL = "clip_grad_norm"


@wrong(CL, "each array is clipped by its own norm")
def clip_per_array(grads, max_norm):
    total = np.sqrt(sum(np.sum(g ** 2) for g in grads))
    for g in grads:
        n = np.linalg.norm(g)
        if n > max_norm:
            g *= max_norm / n
    return total


@wrong(CL, "scaled up when their norm is below max_norm")
def clip_always(grads, max_norm):
    total = np.sqrt(sum(np.sum(g ** 2) for g in grads))
    for g in grads:
        g *= max_norm / total
    return total


@wrong(CL, "clipped one by one (np.clip)")
def clip_values(grads, max_norm):
    total = np.sqrt(sum(np.sum(g ** 2) for g in grads))
    for g in grads:
        np.clip(g, -max_norm, max_norm, out=g)
    return total


@wrong(CL, "the total norm is the sum of the arrays' norms")
def clip_sum_of_norms(grads, max_norm):
    total = sum(np.linalg.norm(g) for g in grads)
    if total > max_norm:
        for g in grads:
            g *= max_norm / total
    return total


@wrong(CL, "`g = g * scale` makes a new array")
def clip_rebinds(grads, max_norm):
    total = np.sqrt(sum(np.sum(g ** 2) for g in grads))
    if total > max_norm:
        for g in grads:
            g = g * (max_norm / total)  # noqa: F841 -- the learner's mistake
    return total


@wrong(CL, "the returned norm is the one after clipping")
def clip_returns_after(grads, max_norm):
    total = np.sqrt(sum(np.sum(g ** 2) for g in grads))
    if total > max_norm:
        for g in grads:
            g *= max_norm / total
    return np.sqrt(sum(np.sum(g ** 2) for g in grads))


@wrong(CL, "returned None")
def clip_no_return(grads, max_norm):
    total = np.sqrt(sum(np.sum(g ** 2) for g in grads))
    if total > max_norm:
        for g in grads:
            g *= max_norm / total


@wrong(CL, "the list's entries were replaced")
def clip_replaces_entries(grads, max_norm):
    total = np.sqrt(sum(np.sum(g ** 2) for g in grads))
    if total > max_norm:
        for i in range(len(grads)):
            grads[i] = grads[i] * (max_norm / total)
    return total


# -- sample_with_temperature -------------------------------------------------------------------------

SA = "sample_with_temperature"


def _draw(p, rng):
    u = rng.random((p.shape[0], 1))
    return np.minimum((np.cumsum(p, axis=1) < u).sum(axis=1), p.shape[1] - 1)


def _softmax(z, axis=-1):
    z = z - z.max(axis=axis, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)


@wrong(SA, "greedy decoding")
def sample_argmax(logits, temperature, rng):
    return logits.argmax(axis=1)


@wrong(SA, "multiplied by the temperature")
def sample_times_t(logits, temperature, rng):
    return _draw(_softmax(logits * temperature), rng)


@wrong(SA, "the temperature has no effect")
def sample_ignores_t(logits, temperature, rng):
    return _draw(_softmax(logits), rng)


@wrong(SA, "overflow")
def sample_naive_exp_choice(logits, temperature, rng):
    with np.errstate(all="ignore"):
        e = np.exp(logits / temperature)
        p = e / e.sum(axis=1, keepdims=True)
    return np.array([rng.choice(p.shape[1], p=row) for row in p])


@wrong(SA, "np.exp overflows")
def sample_naive_exp_cumsum(logits, temperature, rng):
    with np.errstate(all="ignore"):
        e = np.exp(logits / temperature)
        p = e / e.sum(axis=1, keepdims=True)
    return _draw(p, rng)


@wrong(SA, "the temperature is applied after the softmax")
def sample_t_after_softmax(logits, temperature, rng):
    p = _softmax(logits) / temperature
    return np.array([rng.choice(p.shape[1], p=row) for row in p])


@wrong(SA, "the temperature is applied after the softmax")
def sample_t_after_softmax_cumsum(logits, temperature, rng):
    return _draw(_softmax(logits) / temperature, rng)


@wrong(SA, "over axis 0 it normalises the batch")
def sample_softmax_axis0(logits, temperature, rng):
    p = _softmax(logits / temperature, axis=0)
    return np.array([rng.choice(p.shape[1], p=row) for row in p])


@wrong(SA, "same state gave different ids")
def sample_global_random(logits, temperature, rng):
    p = _softmax(logits / temperature)
    u = np.random.random((p.shape[0], 1))
    return np.minimum((np.cumsum(p, axis=1) < u).sum(axis=1), p.shape[1] - 1)


@wrong(SA, "different states gave the same ids")
def sample_own_generator(logits, temperature, rng):
    return _draw(_softmax(logits / temperature), np.random.default_rng(0))


@wrong(SA, "one random number serves the whole batch")
def sample_one_u(logits, temperature, rng):
    p = _softmax(logits / temperature)
    u = rng.random()
    return np.minimum((np.cumsum(p, axis=1) < u).sum(axis=1), p.shape[1] - 1)


@wrong(SA, "the temperature is applied twice")
def sample_t_squared(logits, temperature, rng):
    return _draw(_softmax(logits / temperature ** 2), rng)


@wrong(SA, "the ids are uniform")
def sample_uniform(logits, temperature, rng):
    return rng.integers(0, logits.shape[1], size=logits.shape[0])


# -- LSTM and GRU steps ---------------------------------------------------------------------------------


def _lstm(x_t, h_prev, c_prev, Wx, Wh, b_ih, b_hh, order="ifgo", g=np.tanh, gate=_sig, f_shift=0.0,
          h_rule="right", c_rule="right", biases="both", swap=False):
    D = h_prev.shape[1]
    a = x_t @ Wx.T + h_prev @ Wh.T + (b_ih if biases in ("both", "ih") else 0) + (b_hh if biases == "both" else 0)
    blocks = {name: a[:, k * D:(k + 1) * D] for k, name in enumerate(order)}
    with np.errstate(over="ignore"):
        i, f, o = gate(blocks["i"]), gate(blocks["f"] + f_shift), gate(blocks["o"])
    gg = g(blocks["g"])
    c_next = f * c_prev + i * gg if c_rule == "right" else c_prev + i * gg
    h_next = {"right": o * np.tanh(c_next), "no_tanh": o * c_next, "old_c": o * np.tanh(c_prev)}[h_rule]
    return (c_next, h_next, None) if swap else (h_next, c_next, None)


LSTM_FAULTS = [
    ("lstm_cs231n_order", dict(order="ifog"), "CS231n's order"),
    ("lstm_g_sigmoid", dict(g=_sig), "the candidate g uses a sigmoid"),
    ("lstm_h_no_tanh", dict(h_rule="no_tanh"), "missing the tanh"),
    ("lstm_h_old_cell", dict(h_rule="old_c"), "uses the old cell c_prev"),
    ("lstm_forget_bias_one", dict(f_shift=1.0), "shifted by +1"),
    ("lstm_only_b_ih", dict(biases="ih"), "only b_ih is added"),
    ("lstm_swapped_outputs", dict(swap=True), "h_next and c_next are swapped"),
    ("lstm_no_forget", dict(c_rule="no_forget"), "no forget gate"),
    ("lstm_g_tanh_twice", dict(g=lambda a: np.tanh(np.tanh(a))), "tanh is applied twice to the candidate"),
    ("lstm_tf_order", dict(order="igfo"), "TensorFlow"),
]
for _label, _kw, _fragment in LSTM_FAULTS:
    def _fn(x_t, h_prev, c_prev, Wx, Wh, b_ih, b_hh, _kw=_kw):
        return _lstm(x_t, h_prev, c_prev, Wx, Wh, b_ih, b_hh, **_kw)
    _fn.__name__ = _label
    BATTERY.append(("lstm_step_forward", _label, _fn, _fragment))


@wrong("lstm_step_forward", "came back as float64")
def lstm_float64(x_t, h_prev, c_prev, Wx, Wh, b_ih, b_hh):
    h, c, _ = _lstm(x_t, h_prev, c_prev, Wx, Wh, b_ih, b_hh)
    return h.astype(np.float64), c.astype(np.float64), None


def _gru(x_t, h_prev, Wx, Wh, b_ih, b_hh, reset="after", mix="right", order="rzn", n_act=np.tanh, biases="both"):
    D = h_prev.shape[1]
    gx = x_t @ Wx.T + b_ih
    gh = h_prev @ Wh.T + (b_hh if biases == "both" else 0)
    bx = {name: gx[:, k * D:(k + 1) * D] for k, name in enumerate(order)}
    bh = {name: gh[:, k * D:(k + 1) * D] for k, name in enumerate(order)}
    with np.errstate(over="ignore"):
        r = _sig(bx["r"] + bh["r"])
        z = _sig(bx["z"] + bh["z"])
    W_hn = Wh[[order.index("n") * D + j for j in range(D)]]
    b_hn = b_hh[order.index("n") * D:(order.index("n") + 1) * D]
    inner = {"after": bx["n"] + r * bh["n"], "whole": r * (bx["n"] + bh["n"]), "none": bx["n"] + bh["n"],
             "before": bx["n"] + (r * h_prev) @ W_hn.T + b_hn,
             "bias_outside": bx["n"] + r * (h_prev @ W_hn.T) + b_hn}[reset]
    n = n_act(inner)
    h_next = (1 - z) * n + z * h_prev if mix == "right" else z * n + (1 - z) * h_prev
    return h_next, None


GRU_FAULTS = [
    ("gru_reset_whole", dict(reset="whole"), "the reset gate multiplies the whole pre-activation"),
    ("gru_reset_before", dict(reset="before"), "before the matrix product"),
    ("gru_update_swapped", dict(mix="swapped"), "the update gate works the wrong way round"),
    ("gru_bhn_outside", dict(reset="bias_outside"), "b_hn sits outside the reset product"),
    ("gru_no_reset", dict(reset="none"), "the reset gate is not used"),
    ("gru_keras_order", dict(order="zrn"), "Keras"),
    ("gru_n_sigmoid", dict(n_act=_sig), "the candidate n uses a sigmoid"),
    ("gru_only_b_ih", dict(biases="ih"), "only b_ih is used"),
]
for _label, _kw, _fragment in GRU_FAULTS:
    def _fn(x_t, h_prev, Wx, Wh, b_ih, b_hh, _kw=_kw):
        return _gru(x_t, h_prev, Wx, Wh, b_ih, b_hh, **_kw)
    _fn.__name__ = _label
    BATTERY.append(("gru_step_forward", _label, _fn, _fragment))


# -- orthogonal_init and the LSTM language model ------------------------------------------------------

O = "orthogonal_init"


@wrong(O, "the Gaussian draw itself")
def orth_gaussian(D, rng):
    return rng.standard_normal((D, D)) / np.sqrt(D)


@wrong(O, UNNAMED)
def orth_uniform_entries(D, rng):
    return rng.uniform(-1, 1, size=(D, D))


@wrong(O, "upper triangular")
def orth_returns_r(D, rng):
    return np.linalg.qr(rng.standard_normal((D, D)))[1]


@wrong(O, "the diagonal of Q averages")
def orth_no_sign_fix(D, rng):
    return np.linalg.qr(rng.standard_normal((D, D)))[0]


@wrong(O, "gave different matrices")
def orth_global_random(D, rng):
    Q, R = np.linalg.qr(np.random.standard_normal((D, D)))
    return Q * np.sign(np.diag(R))


@wrong(O, "gave the same matrix")
def orth_fixed_seed(D, rng):
    Q, R = np.linalg.qr(np.random.default_rng(42).standard_normal((D, D)))
    return Q * np.sign(np.diag(R))


@wrong(O, "not random")
def orth_identity(D, rng):
    return np.eye(D)


@wrong(O, "every draw is symmetric")
def orth_householder(D, rng):
    v = rng.standard_normal((D, 1))
    return np.eye(D) - 2 * v @ v.T / (v.T @ v)


@wrong(O, "every matrix is one of the rotations")
def orth_rotations_only(D, rng):
    Q, R = np.linalg.qr(rng.standard_normal((D, D)))
    Q = Q * np.sign(np.diag(R))
    if np.linalg.det(Q) < 0:
        Q[:, 0] = -Q[:, 0]
    return Q


@wrong(O, "have length 2")
def orth_scaled(D, rng):
    Q, R = np.linalg.qr(rng.standard_normal((D, D)))
    return 2 * Q * np.sign(np.diag(R))


@wrong("charlm_lstm", "not an LSTM")
def lm_gru(vocab_size, seed=0):
    return CharLM(vocab_size, 16, 64, cell="gru", seed=seed)


@wrong("charlm_lstm", "the hidden size is D = 32")
def lm_small(vocab_size, seed=0):
    return CharLM(vocab_size, 16, 32, cell="lstm", seed=seed)


@wrong("charlm_lstm", "gave the same initial weights")
def lm_fixed_seed(vocab_size, seed=0):
    return CharLM(vocab_size, 16, 64, cell="lstm", seed=0)


@wrong("charlm_lstm", "pass vocab_size on")
def lm_fixed_vocab(vocab_size, seed=0):
    return CharLM(29, 16, 64, cell="lstm", seed=seed)



# -- the gated cells' backward passes and the encoder-decoder's steps -----------------------------------


def _lstm_back(dh_next, dc_next, cache, dc_from_h=True, f_in_dc_prev=True, g_deriv=True, db_rows=False,
               scale_dx=1.0):
    i, f, g, o = np.split(cache.gates, 4, axis=1)
    dc = dc_next + (dh_next * o * (1 - cache.tanh_c ** 2) if dc_from_h else 0)
    da = np.concatenate([dc * g * i * (1 - i), dc * cache.c_prev * f * (1 - f),
                         dc * i * ((1 - g ** 2) if g_deriv else 1), dh_next * cache.tanh_c * o * (1 - o)], axis=1)
    db = da if db_rows else da.sum(axis=0)
    return (scale_dx * da @ cache.Wx, da @ cache.Wh, dc * f if f_in_dc_prev else dc, da.T @ cache.x_t,
            da.T @ cache.h_prev, db, db)


@wrong("lstm_step_backward", "dc_prev is missing the forget gate")
def lstm_back_dc_prev_no_f(dh_next, dc_next, cache):
    return _lstm_back(dh_next, dc_next, cache, f_in_dc_prev=False)


@wrong("lstm_step_backward", "reaches c_next through h_next is missing")
def lstm_back_no_h_path(dh_next, dc_next, cache):
    return _lstm_back(dh_next, dc_next, cache, dc_from_h=False)


@wrong("lstm_step_backward", "candidate g is missing tanh's derivative")
def lstm_back_g_no_deriv(dh_next, dc_next, cache):
    return _lstm_back(dh_next, dc_next, cache, g_deriv=False)


@wrong("lstm_step_backward", "one row per sequence")
def lstm_back_db_rows(dh_next, dc_next, cache):
    return _lstm_back(dh_next, dc_next, cache, db_rows=True)


@wrong("lstm_step_backward", UNNAMED)
def lstm_back_dx_doubled(dh_next, dc_next, cache):
    return _lstm_back(dh_next, dc_next, cache, scale_dx=2.0)


def _gru_back(dh_next, cache, swap=False, direct=True, reset_hidden=True):
    r, z, n = np.split(cache.gates, 3, axis=1)
    keep, new = (1 - z, z) if swap else (z, 1 - z)
    dn = dh_next * new * (1 - n ** 2)
    dz = dh_next * ((n - cache.h_prev) if swap else (cache.h_prev - n)) * z * (1 - z)
    dr = dn * cache.gh_n * r * (1 - r)
    dgx = np.concatenate([dr, dz, dn], axis=1)
    dgh = np.concatenate([dr, dz, dn * r if reset_hidden else dn], axis=1)
    dh_prev = dgh @ cache.Wh + (dh_next * keep if direct else 0)
    return dgx @ cache.Wx, dh_prev, dgx.T @ cache.x_t, dgh.T @ cache.h_prev, dgx.sum(0), dgh.sum(0)


@wrong("gru_step_backward", "(1 - z) side is swapped")
def gru_back_swapped(dh_next, cache):
    return _gru_back(dh_next, cache, swap=True)


@wrong("gru_step_backward", "missing the direct path")
def gru_back_no_direct(dh_next, cache):
    return _gru_back(dh_next, cache, direct=False)


@wrong("gru_step_backward", "reset gate is missing on the hidden path")
def gru_back_no_reset(dh_next, cache):
    return _gru_back(dh_next, cache, reset_hidden=False)


@wrong("gru_step_backward", UNNAMED)
def gru_back_dx_half(dh_next, cache):
    dx_t, *rest = _gru_back(dh_next, cache)
    return (0.5 * dx_t, *rest)


@wrong("teacher_forcing_inputs", "the targets themselves")
def tf_no_shift(targets, bos):
    return np.array(targets)


@wrong("teacher_forcing_inputs", "np.roll wraps")
def tf_rolled(targets, bos):
    return np.roll(targets, 1, axis=-1)


@wrong("teacher_forcing_inputs", "one too many")
def tf_all_targets(targets, bos):
    return np.hstack([np.full((len(targets), 1), bos), targets])


@wrong("teacher_forcing_inputs", UNNAMED)
def tf_bos_everywhere(targets, bos):
    return np.full_like(targets, bos)


def _greedy_loop(step, state, bos, eos, max_len, feed_back=True, pad=True, carry=True):
    N = len(state)
    tokens, start = np.full(N, bos), state
    out = np.full((N, max_len), eos)
    done = np.zeros(N, dtype=bool)
    for t in range(max_len):
        logits, new = step(tokens, state)
        state = new if carry else start
        choice = logits.argmax(axis=1)
        out[:, t] = np.where(done, eos, choice) if pad else choice
        tokens = choice if feed_back else np.full(N, bos)
        done |= choice == eos
    return out


@wrong("greedy_decode", "feeds <bos> at every step")
def greedy_no_feedback(step, state, bos, eos, max_len):
    return _greedy_loop(step, state, bos, eos, max_len, feed_back=False)


@wrong("greedy_decode", "goes on writing after a row's <eos>")
def greedy_no_padding(step, state, bos, eos, max_len):
    return _greedy_loop(step, state, bos, eos, max_len, pad=False)


@wrong("greedy_decode", "passes the first state")
def greedy_first_state(step, state, bos, eos, max_len):
    return _greedy_loop(step, state, bos, eos, max_len, carry=False)


@wrong("greedy_decode", UNNAMED)
def greedy_argmin(step, state, bos, eos, max_len):
    N = len(state)
    tokens, out = np.full(N, bos), []
    for _ in range(max_len):
        logits, state = step(tokens, state)
        tokens = logits.argmin(axis=1)
        out.append(tokens)
    return np.stack(out, axis=1)


@wrong("exact_match", "padding included")
def em_rows_with_padding(predicted, targets, eos):
    return float((predicted == targets).all(axis=1).mean())


@wrong("exact_match", "character accuracy")
def em_per_token(predicted, targets, eos):
    return float((predicted == targets).mean())


@wrong("exact_match", "is a count")
def em_how_many(predicted, targets, eos):
    cut = lambda row: list(row)[:list(row).index(eos) + 1] if eos in row else list(row)  # noqa: E731
    return sum(cut(p) == cut(t) for p, t in zip(predicted, targets))


@wrong("exact_match", UNNAMED)
def em_first_token(predicted, targets, eos):
    return float(np.mean(predicted[:, 0] == targets[:, 0]))


# -- the capstone's pieces (more in tests/test_exercises_capstone.py) ------------------------------------------------

@wrong("embedding_forward", "off by one")
def emb_off_by_one(ids, W):
    return W[ids - 1], None


@wrong("embedding_backward", "a repeated id keeps only one of its gradients")
def emb_overwrites(dout, cache):
    ids, V = cache
    dW = np.zeros((V, dout.shape[-1]), dtype=dout.dtype)
    dW[ids] += dout
    return dW


@wrong("last_step_forward", "after the last step of the padded batch")
def last_after_padding(h, lengths):
    return h[:, -1], None


@wrong("last_step_backward", "last padded step")
def last_grad_at_end(dout, cache):
    dh = np.zeros(cache[1], dtype=dout.dtype)
    dh[:, -1] = dout
    return dh


@wrong("linear_forward", "bias b is missing")
def linear_no_bias(x, W, b):
    return x @ W.T, None


@wrong("linear_backward", "db is averaged")
def linear_db_mean(dy, cache):
    x, W = cache
    return dy @ W, dy.T @ x, dy.mean(axis=0)


@wrong("adam_step", "params did not change")
def adam_rebinds_p(params, grads, state, lr):
    for k, p in params.items():
        p = p - lr * grads[k]  # noqa: F841


@wrong("model_loss", "must return (loss, grads)")
def model_loss_only_loss(params, ids, lengths, labels):
    return 0.7


@wrong("train_model", "returned None")
def train_returns_nothing(params, data, epochs=3, batch_size=32, lr=0.005, max_norm=5.0, seed=0):
    return None


# -- the tests ---------------------------------------------------------------------------------------------

_RESULTS = {}


def _result(exercise, fn):
    key = (exercise, fn.__name__)
    if key not in _RESULTS:
        _RESULTS[key] = check(exercise, fn)
    return _RESULTS[key]


def test_the_battery_is_big_and_covers_every_implementation_checker():
    from rnn_course.exercises import EXERCISES
    assert len(BATTERY) >= 100
    covered = {exercise for exercise, *_ in BATTERY}
    assert covered == {n for n, ex in EXERCISES.items() if ex.kind == "implementation"}
    assert len({(e, label) for e, label, *_ in BATTERY}) == len(BATTERY)


@pytest.mark.parametrize("exercise,label,fn,fragment", BATTERY, ids=[f"{e}-{label}" for e, label, *_ in BATTERY])
def test_each_wrong_answer_is_rejected_and_its_fault_named(exercise, label, fn, fragment):
    result = _result(exercise, fn)
    if fragment is UNNAMED:
        assert result.status == "failed", str(result)
    else:
        assert_fails(result, fragment)
        assert not _generic(result), str(result)


def _generic(result):
    return any(g in result.message.lower() for g in GENERIC)


def test_at_least_90_percent_of_rejected_wrong_answers_name_their_fault():
    results = [_result(exercise, fn) for exercise, _, fn, _ in BATTERY]
    rejected = [r for r in results if r.status == "failed"]
    generic = [r for r in rejected if _generic(r)]
    share = 1 - len(generic) / len(rejected)
    print(f"{len(rejected)} of {len(results)} wrong answers rejected; {len(rejected) - len(generic)} named "
          f"({share:.1%}), {len(generic)} generic")
    assert len(rejected) == len(results)
    assert share >= 0.90, [str(r) for r in generic]


# -- correct answers in other styles ------------------------------------------------------------------------

RIGHT = []


def right(exercise):
    def register(fn):
        RIGHT.append((exercise, fn))
        return fn
    return register


@right(S)
def step_dot_keeps_dtype(x_t, h_prev, Wx, Wh, b, nonlinearity="tanh"):
    a = np.dot(x_t, Wx.T) + np.dot(h_prev, Wh.T) + b
    return (np.tanh(a) if nonlinearity == "tanh" else a * (a > 0)), {"a": a}


@right(S)
def step_columns(x_t, h_prev, Wx, Wh, b, nonlinearity="tanh"):
    a = (Wx @ x_t.T + Wh @ h_prev.T + b[:, None]).T  # the note's column form, transposed back
    return (np.tanh(a) if nonlinearity == "tanh" else np.where(a > 0, a, 0)), None


@right(F)
def fwd_hoisted_projection(x, h0, Wx, Wh, b, nonlinearity="tanh"):
    N, T, d = x.shape
    xw = (x.reshape(N * T, d) @ Wx.T + b).reshape(N, T, -1)  # (N*T, d) -> (N, T, D)
    h = np.zeros_like(xw[:, 0]) if h0 is None else h0
    out = np.empty_like(xw)
    for t in range(T):
        a = xw[:, t] + h @ Wh.T
        h = np.tanh(a) if nonlinearity == "tanh" else np.maximum(a, 0)
        out[:, t] = h
    return out, None


@right(SB)
def sb_einsum(dh_next, cache):
    h = cache.h_next
    da = dh_next * (1 - h * h) if cache.nonlinearity == "tanh" else np.where(h > 0, dh_next, 0)
    return (np.einsum("nD,Dd->nd", da, cache.Wx), np.einsum("nD,Dk->nk", da, cache.Wh),
            np.einsum("nD,nd->Dd", da, cache.x_t), np.einsum("nD,nk->Dk", da, cache.h_prev), np.sum(da, 0))


@right(B)
def bptt_with_the_step(dh, cache):
    x, hs = cache.x, cache.hs
    dx = np.empty_like(x)
    grads = [np.zeros_like(cache.Wx), np.zeros_like(cache.Wh), np.zeros(cache.Wh.shape[0], dtype=x.dtype)]
    dh_next = np.zeros_like(hs[0])
    for t in reversed(range(x.shape[1])):
        from rnn_course.rnn import RNNStepCache
        step = RNNStepCache(x[:, t], hs[t], cache.Wx, cache.Wh, hs[t + 1], cache.nonlinearity)
        dx[:, t], dh_next, dWx, dWh, db = lib_step_backward(dh[:, t] + dh_next, step)
        for acc, g in zip(grads, (dWx, dWh, db)):
            acc += g
    return (dx, dh_next, *grads)


@right("one_hot")
def oh_compare(ids, V):
    return (np.asarray(ids)[..., None] == np.arange(V)).astype(np.float64)


@right(P)
def pad_comprehension(sequences, pad_value=0):
    T = max(map(len, sequences))
    return (np.array([list(s) + [pad_value] * (T - len(s)) for s in sequences]),
            np.array(list(map(len, sequences))))


@right(BI)
def bi_np_flip_axis(x, Wx_f, Wh_f, b_f, Wx_b, Wh_b, b_b):
    h_b = np.flip(_layer(np.flip(x, axis=1), Wx_b, Wh_b, b_b), axis=1)
    return np.concatenate((_layer(x, Wx_f, Wh_f, b_f), h_b), axis=2), None


@right(ST)
def stack_list_comprehension(x, Wxs, Whs, bs):
    outs = []
    for Wx, Wh, b in zip(Wxs, Whs, bs):
        outs.append(_layer(outs[-1] if outs else x, Wx, Wh, b))
    return outs[-1], np.array([o[:, -1] for o in outs])


@right(ML)
def loss_logsumexp(logits, targets, mask):
    m = logits.max(axis=-1, keepdims=True)
    lse = m + np.log(np.exp(logits - m).sum(axis=-1, keepdims=True))
    logp = logits - lse
    count = mask.sum()
    loss = -np.sum(np.take_along_axis(logp, targets[..., None], -1)[..., 0][mask]) / count
    d = np.exp(logp)
    np.put_along_axis(d, targets[..., None], np.take_along_axis(d, targets[..., None], -1) - 1, -1)
    return loss, d * (mask[..., None] / count).astype(logits.dtype)


@right(CL)
def clip_concatenate(grads, max_norm):
    total = float(np.linalg.norm(np.concatenate([g.ravel() for g in grads])))
    scale = min(1.0, max_norm / (total + 1e-12))
    for g in grads:
        g *= scale
    return total


@right(SA)
def sample_searchsorted(logits, temperature, rng):
    p = _softmax(logits / temperature)
    cdf = np.cumsum(p, axis=1)
    u = rng.random(p.shape[0])
    return np.array([min(np.searchsorted(c, v, side="right"), len(c) - 1) for c, v in zip(cdf, u)])


@right(SA)
def sample_choice_per_row(logits, temperature, rng):
    p = _softmax(logits.astype(np.float64) / temperature)
    return np.array([rng.choice(len(row), p=row) for row in p])


@right("lstm_step_forward")
def lstm_split(x_t, h_prev, c_prev, Wx, Wh, b_ih, b_hh):
    i, f, g, o = np.split(x_t @ Wx.T + b_ih + h_prev @ Wh.T + b_hh, 4, axis=1)
    sig = lambda a: 0.5 * (1 + np.tanh(a / 2))  # noqa: E731
    c = sig(f) * c_prev + sig(i) * np.tanh(g)
    return sig(o) * np.tanh(c), c, (i, f, g, o)


@right("gru_step_forward")
def gru_split(x_t, h_prev, Wx, Wh, b_ih, b_hh):
    xr, xz, xn = np.split(x_t @ Wx.T + b_ih, 3, axis=1)
    hr, hz, hn = np.split(h_prev @ Wh.T + b_hh, 3, axis=1)
    sig = lambda a: 0.5 * (1 + np.tanh(a / 2))  # noqa: E731
    r, z = sig(xr + hr), sig(xz + hz)
    n = np.tanh(xn + r * hn)
    return (1 - z) * n + z * h_prev, None


@right(O)
def orth_svd(D, rng):
    U, _, Vt = np.linalg.svd(rng.standard_normal((D, D)))
    return U @ Vt


@right(O)
def orth_diag_matrix(D, rng):
    Q, R = np.linalg.qr(rng.standard_normal((D, D)))
    return Q @ np.diag(np.where(np.diag(R) < 0, -1.0, 1.0))


@right("lstm_step_backward")
def lstm_back_split(dh_next, dc_next, cache):
    return _lstm_back(dh_next, dc_next, cache)


@right("gru_step_backward")
def gru_back_split(dh_next, cache):
    return _gru_back(dh_next, cache)


@right("teacher_forcing_inputs")
def tf_pad_then_set(targets, bos):
    inputs = np.pad(targets[:, :-1], ((0, 0), (1, 0)))
    inputs[:, 0] = bos
    return inputs


@right("greedy_decode")
def greedy_full_length(step, state, bos, eos, max_len):
    return _greedy_loop(step, state, bos, eos, max_len)


@right("exact_match")
def em_lists(predicted, targets, eos):
    cut = lambda row: row[:row.index(eos) + 1] if eos in row else row  # noqa: E731
    return float(np.mean([cut(p) == cut(t) for p, t in zip(predicted.tolist(), targets.tolist())]))


@pytest.mark.parametrize("exercise,fn", RIGHT, ids=[f"{e}-{fn.__name__}" for e, fn in RIGHT])
def test_right_answers_in_other_styles_pass(exercise, fn):
    assert_passes(check(exercise, fn))
