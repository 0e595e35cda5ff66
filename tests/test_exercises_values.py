"""Returned values: nested lists, lists of arrays, complex numbers and wrong dtypes are faults named as such
(issue 15), and the float64 state that np.zeros without dtype= makes when h0 is None is caught."""

import numpy as np
import pytest

import rnn_course as rc
from rnn_course.exercises import check
from checking import assert_fails, assert_passes


def _a(x_t, h_prev, Wx, Wh, b):
    return x_t @ Wx.T + h_prev @ Wh.T + b


def step_as_lists(x_t, h_prev, Wx, Wh, b, nonlinearity="tanh"):
    a = _a(x_t, h_prev, Wx, Wh, b)
    return [[float(np.tanh(v)) for v in row] for row in a], None


def step_complex(x_t, h_prev, Wx, Wh, b, nonlinearity="tanh"):
    a = _a(x_t, h_prev, Wx, Wh, b).astype(complex)
    return np.tanh(a) if nonlinearity == "tanh" else np.maximum(a.real, 0) + 0j, None


def step_float16(x_t, h_prev, Wx, Wh, b, nonlinearity="tanh"):
    a = _a(x_t, h_prev, Wx, Wh, b)
    return (np.tanh(a) if nonlinearity == "tanh" else np.maximum(a, 0)).astype(np.float16), None


def step_float64_everywhere(x_t, h_prev, Wx, Wh, b, nonlinearity="tanh"):
    h = np.zeros((x_t.shape[0], Wh.shape[0]))  # float64, whatever the inputs
    h[:] = _a(x_t, h_prev, Wx, Wh, b)
    return (np.tanh(h) if nonlinearity == "tanh" else np.maximum(h, 0)), None


def step_ints(x_t, h_prev, Wx, Wh, b, nonlinearity="tanh"):
    return np.round(np.tanh(_a(x_t, h_prev, Wx, Wh, b))).astype(int), None


@pytest.mark.parametrize("fn,fragments", [
    (step_as_lists, ["h_next is a list of Python numbers, not a numpy array"]),
    (step_complex, ["h_next holds complex numbers"]),
    (step_float16, ["h_next has dtype float16", "keep the inputs' dtype"]),
    (step_float64_everywhere, ["for float32 inputs h_next came back as float64", "np.zeros"]),
    (step_ints, ["h_next has dtype int64; expected floating-point numbers"]),
])
def test_step_forward_return_values_are_named(fn, fragments):
    assert_fails(check("rnn_step_forward", fn), *fragments)


def forward_list_of_states(x, h0, Wx, Wh, b, nonlinearity="tanh"):
    h, states = h0, []
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t] @ Wx.T + h @ Wh.T + b)
        states.append(h)
    return states, None


def forward_zeros_without_dtype(x, h0, Wx, Wh, b, nonlinearity="tanh"):
    N, T, d = x.shape
    h = np.zeros((N, Wh.shape[0])) if h0 is None else h0  # float64 zeros when h0 is None
    out = []
    for t in range(T):
        a = x[:, t] @ Wx.T + h @ Wh.T + b
        h = np.tanh(a) if nonlinearity == "tanh" else np.maximum(a, 0)
        out.append(h)
    return np.stack(out, axis=1), None


def forward_zeros_like(x, h0, Wx, Wh, b, nonlinearity="tanh"):
    N, T, d = x.shape
    h = np.zeros_like(x[:, 0, :1] * Wh[:1, :1].sum(), shape=(N, Wh.shape[0])) if h0 is None else h0
    hs = np.empty((N, T, Wh.shape[0]), dtype=x.dtype)
    for t in range(T):
        a = x[:, t] @ Wx.T + h @ Wh.T + b
        h = np.tanh(a) if nonlinearity == "tanh" else np.maximum(a, 0)
        hs[:, t] = h
    return hs, None


def test_forward_list_of_states_is_named():
    assert_fails(check("rnn_forward", forward_list_of_states), "h is a list of 4 arrays, not one array", "np.stack")


def test_forward_float64_state_when_h0_is_none_is_caught():
    assert_fails(check("rnn_forward", forward_zeros_without_dtype), "with h0=None",
                 "for float32 inputs h came back as float64", "np.zeros((N, D), dtype=x.dtype)", "float32")


def test_forward_keeping_the_dtype_passes():
    assert_passes(check("rnn_forward", forward_zeros_like))


def test_backward_float64_gradients_for_float32_are_named():
    def upcast(dh_next, cache):
        return tuple(g.astype(np.float64) for g in rc.rnn_step_backward(dh_next, cache))

    assert_fails(check("rnn_step_backward", upcast), "for float32 inputs dx_t came back as float64")


def test_float32_results_in_a_float64_case_are_named_not_wrong_values():
    def downcast(x_t, h_prev, c_prev, Wx, Wh, b_ih, b_hh):
        h, c, cache = rc.lstm_step_forward(x_t, h_prev, c_prev, Wx, Wh, b_ih, b_hh)
        return h.astype(np.float32), c.astype(np.float32), cache

    assert_fails(check("lstm_step_forward", downcast), "for float64 inputs your h_next has dtype float32")


def test_loss_dlogits_float64_for_float32_is_a_note_only():
    """The exception: under numpy 2, dividing by mask.sum() (an np.int64, as hint 3 writes it) makes float64."""
    def divides_by_int64(logits, targets, mask):
        loss, d = rc.softmax_cross_entropy(logits, targets, mask)
        return loss, d * mask.sum() / mask.sum()

    result = check("masked_softmax_cross_entropy", divides_by_int64)
    assert_passes(result)
    assert "dlogits came back as float64" in result.message and "int64" in result.message

    def float16(logits, targets, mask):
        loss, d = rc.softmax_cross_entropy(logits, targets, mask)
        return loss, d.astype(np.float16)

    assert_fails(check("masked_softmax_cross_entropy", float16), "dlogits has dtype float16")


def test_stacked_h_n_as_a_list_of_arrays_is_still_accepted_but_not_h():
    from rnn_course.exercises.deep_exercises import stacked_rnn_forward

    def h_as_list(x, Wxs, Whs, bs):
        h, h_n = stacked_rnn_forward(x, Wxs, Whs, bs)
        return list(h), h_n

    assert_fails(check("stacked_rnn_forward", h_as_list), "the returned h is a list of")


def test_one_hot_as_nested_lists_is_named():
    def nested(ids, V):
        return [[1.0 if k == i else 0.0 for k in range(V)] for i in np.ravel(ids)]

    assert_fails(check("one_hot", nested), "list of Python numbers")
