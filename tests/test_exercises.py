"""The checkers are tested too: wrong implementations must fail with a message
that names their fault, correct ones written in other styles must pass, and
an untouched stub must read "not attempted"."""

import numpy as np
import pytest

import rnn_course as rc
from rnn_course.exercises import EXERCISES, check, hint
from rnn_course.exercises.concepts import WORKED_EXAMPLE
from rnn_course.rnn import RNNStepCache
from checking import assert_fails, assert_passes


def _f(a, nonlinearity):
    return np.tanh(a) if nonlinearity == "tanh" else np.maximum(a, 0)


# -- stubs -------------------------------------------------------------------------


def stub_ellipsis(x_t, h_prev, Wx, Wh, b, nonlinearity="tanh"):
    ...


def stub_docstring_pass(x_t, h_prev, Wx, Wh, b, nonlinearity="tanh"):
    """Your code here."""
    pass


def stub_raises(x_t, h_prev, Wx, Wh, b, nonlinearity="tanh"):
    raise NotImplementedError("write me")


@pytest.mark.parametrize("name", [n for n, ex in EXERCISES.items() if ex.kind == "implementation"])
@pytest.mark.parametrize("stub", [stub_ellipsis, stub_docstring_pass, stub_raises])
def test_stub_reads_not_attempted(name, stub):
    result = check(name, stub)
    assert result.status == "not attempted" and not result.passed
    assert "not attempted yet" in result.message


def test_a_function_that_raises_later_is_attempted():
    def half_done(x_t, h_prev, Wx, Wh, b, nonlinearity="tanh"):
        a = x_t @ Wx.T
        raise NotImplementedError("the rest")

    assert check("rnn_step_forward", half_done).status == "not attempted"

    def crashes(x_t, h_prev, Wx, Wh, b, nonlinearity="tanh"):
        a = x_t @ Wx + h_prev @ Wh.T + b  # Wx not transposed: crashes when d != D
        return np.tanh(a), None

    # d == D comes first, so the fault is named from the numbers, not the crash.
    assert_fails(check("rnn_step_forward", crashes), "input weight looks transposed")


# -- rnn_step_forward ----------------------------------------------------------------


def step_loop(x_t, h_prev, Wx, Wh, b, nonlinearity="tanh"):
    N, D = h_prev.shape
    h = np.empty((N, D), dtype=np.result_type(x_t, h_prev, Wx))
    for n in range(N):  # the note's column form, one sequence at a time
        h[n] = _f(Wx @ x_t[n] + Wh @ h_prev[n] + b, nonlinearity)
    return h, (x_t, h_prev, Wx, Wh, h)


def step_einsum(x_t, h_prev, Wx, Wh, b, nonlinearity="tanh"):
    a = np.einsum("nd,Dd->nD", x_t, Wx) + np.einsum("nk,Dk->nD", h_prev, Wh) + b
    return _f(a, nonlinearity), None


def step_library(x_t, h_prev, Wx, Wh, b, nonlinearity="tanh"):
    return rc.rnn_step_forward(x_t, h_prev, Wx, Wh, b, nonlinearity)


@pytest.mark.parametrize("fn", [step_loop, step_einsum, step_library])
def test_step_forward_correct_styles_pass(fn):
    assert_passes(check("rnn_step_forward", fn))


def _step(expr, ret="pair"):
    def fn(x_t, h_prev, Wx, Wh, b, nonlinearity="tanh"):
        a = eval(expr)
        h = _f(a, nonlinearity)
        return (h, None) if ret == "pair" else h
    return fn


@pytest.mark.parametrize("expr,fragment", [
    ("x_t @ Wx.T + h_prev @ Wh + b", "`h_prev` is multiplied by `Wh` instead of `Wh.T`"),
    ("x_t @ Wx + h_prev @ Wh.T + b", "input weight looks transposed"),
    ("x_t @ Wx + h_prev @ Wh + b", "both weights look transposed"),
    ("x_t @ Wx.T + h_prev @ Wh.T", "the bias `b` is missing"),
    ("x_t @ Wx.T + b", "`h_prev` is ignored"),
    ("h_prev @ Wh.T + b", "`x_t` is ignored"),
    ("x_t @ Wx.T + h_prev @ Wh.T + 2 * b", "bias is added twice"),
])
def test_step_forward_faults_are_named(expr, fragment):
    assert_fails(check("rnn_step_forward", _step(expr)), fragment)


def test_step_forward_wrong_nonlinearity():
    def always_tanh(x_t, h_prev, Wx, Wh, b, nonlinearity="tanh"):
        return np.tanh(x_t @ Wx.T + h_prev @ Wh.T + b), None

    def no_activation(x_t, h_prev, Wx, Wh, b, nonlinearity="tanh"):
        return x_t @ Wx.T + h_prev @ Wh.T + b, None

    def sigmoid(x_t, h_prev, Wx, Wh, b, nonlinearity="tanh"):
        return 1 / (1 + np.exp(-(x_t @ Wx.T + h_prev @ Wh.T + b))), None

    assert_fails(check("rnn_step_forward", always_tanh), "asks for nonlinearity='relu'", "use the `nonlinearity`")
    assert_fails(check("rnn_step_forward", no_activation), "nonlinearity is missing")
    assert_fails(check("rnn_step_forward", sigmoid), "that is a sigmoid")


def test_step_forward_shapes_returns_and_mutation():
    assert_fails(check("rnn_step_forward", _step("x_t @ Wx.T + h_prev @ Wh.T + b", ret="array")),
                 "returned a single array", "(h_next, cache)")

    def returns_none(x_t, h_prev, Wx, Wh, b, nonlinearity="tanh"):
        h = np.tanh(x_t @ Wx.T + h_prev @ Wh.T + b)

    def transposed_out(x_t, h_prev, Wx, Wh, b, nonlinearity="tanh"):
        return _f(x_t @ Wx.T + h_prev @ Wh.T + b, nonlinearity).T, None

    def mutates(x_t, h_prev, Wx, Wh, b, nonlinearity="tanh"):
        h_prev *= 1.0
        h_prev += 0.0
        h_prev[...] = _f(x_t @ Wx.T + h_prev @ Wh.T + b, nonlinearity)
        return h_prev.copy(), None

    assert_fails(check("rnn_step_forward", returns_none), "returned None", "forget `return")
    assert_fails(check("rnn_step_forward", transposed_out), "wrong output shape", "expected (N, D) = (3, 4)",
                 "axes are in the order (D, N)")
    assert_fails(check("rnn_step_forward", mutates), "changed its input `h_prev` in place")


def test_step_forward_overflowing_tanh():
    def exp_tanh(x_t, h_prev, Wx, Wh, b, nonlinearity="tanh"):
        a = x_t @ Wx.T + h_prev @ Wh.T + b
        if nonlinearity == "relu":
            return np.maximum(a, 0), None
        with np.errstate(all="ignore"):
            e = np.exp(a)
            return (e - 1 / e) / (e + 1 / e), None

    assert_fails(check("rnn_step_forward", exp_tanh), "NaN or inf", "large pre-activations")


def test_step_forward_exception_shows_last_line_and_d_vs_D():
    def uses_d_for_D(x_t, h_prev, Wx, Wh, b, nonlinearity="tanh"):
        N, D = x_t.shape  # wrong: x_t is (N, d), so this is d
        h = np.zeros((N, D), dtype=x_t.dtype)
        h[:] = _f(x_t @ Wx.T + h_prev @ Wh.T + b, nonlinearity)
        return h, None

    # Right while d = D; the first case with d != D crashes, and the message says why.
    result = check("rnn_step_forward", uses_d_for_D)
    assert_fails(result, "your function raised an exception: ValueError", "d = 3 and D = 5",
                 "of uses_d_for_D(): h[:] = _f(")


def test_step_forward_float64_for_float32_is_a_fault():
    # Issue 15: a wrong dtype is a fault, no longer a pass with a note.
    def upcasts(x_t, h_prev, Wx, Wh, b, nonlinearity="tanh"):
        return _f((x_t @ Wx.T + h_prev @ Wh.T + b).astype(np.float64), nonlinearity), None

    assert_fails(check("rnn_step_forward", upcasts), "for float32 inputs h_next came back as float64", "float32")


# -- rnn_forward ---------------------------------------------------------------------


def forward_loop(x, h0, Wx, Wh, b, nonlinearity="tanh"):
    N, T, d = x.shape
    h = np.zeros((N, Wh.shape[0]), dtype=x.dtype) if h0 is None else h0
    states = []
    for t in range(T):
        h, _ = step_loop(x[:, t], h, Wx, Wh, b, nonlinearity)
        states.append(h)
    return np.stack(states, axis=1), None


def forward_preallocated(x, h0, Wx, Wh, b, nonlinearity="tanh"):
    N, T, d = x.shape
    D = Wh.shape[0]
    out = np.empty((N, T, D), dtype=x.dtype)
    xw = np.einsum("ntd,Dd->ntD", x, Wx) + b  # all input projections at once
    h = np.zeros((N, D), dtype=x.dtype) if h0 is None else h0
    for t in range(T):
        h = _f(xw[:, t] + h @ Wh.T, nonlinearity)
        out[:, t] = h
    return out, {"x": x}


@pytest.mark.parametrize("fn", [forward_loop, forward_preallocated, rc.rnn_forward])
def test_forward_correct_styles_pass(fn):
    assert_passes(check("rnn_forward", fn))


def _forward(body):
    """A faulty rnn_forward; body(x, h0, Wx, Wh, b, nl) returns what the learner returns."""
    def fn(x, h0, Wx, Wh, b, nonlinearity="tanh"):
        if h0 is None:
            h0 = np.zeros((x.shape[0], Wh.shape[0]), dtype=x.dtype)
        return body(x, h0, Wx, Wh, b, nonlinearity)
    return fn


def _states(x, h0, step, keep_h0=False):
    h, out = h0, [h0] if keep_h0 else []
    for t in range(x.shape[1]):
        h = step(x[:, t], h)
        out.append(h)
    return np.stack(out, axis=1)


@pytest.mark.parametrize("body,fragments", [
    (lambda x, h0, Wx, Wh, b, nl: (_states(x, h0, lambda xt, h: _f(xt @ Wx.T + h @ Wh.T + b, nl))[:, -1], None),
     ["only one hidden state"]),
    (lambda x, h0, Wx, Wh, b, nl: (_states(x, h0, lambda xt, h: _f(xt @ Wx.T + h @ Wh.T + b, nl)).transpose(1, 0, 2),
                                   None), ["time-major", "(N, T, D)"]),
    (lambda x, h0, Wx, Wh, b, nl: (_states(x, h0, lambda xt, h: _f(xt @ Wx.T + h @ Wh.T + b, nl), keep_h0=True),
                                   None), ["includes h0"]),
    (lambda x, h0, Wx, Wh, b, nl: (np.stack([_f(x[:, t] @ Wx.T + h0 @ Wh.T + b, nl) for t in range(x.shape[1])], 1),
                                   None), ["every step starts from `h0`"]),
    (lambda x, h0, Wx, Wh, b, nl: (_states(x, 0 * h0, lambda xt, h: _f(xt @ Wx.T + h @ Wh.T + b, nl)), None),
     ["`h0` is ignored"]),
    (lambda x, h0, Wx, Wh, b, nl: (_states(x, h0, lambda xt, h: _f(xt @ Wx.T + h @ Wh + b, nl)), None),
     ["in each step", "instead of `Wh.T`"]),
    (lambda x, h0, Wx, Wh, b, nl: (_states(x[:, ::-1], h0, lambda xt, h: _f(xt @ Wx.T + h @ Wh.T + b, nl)), None),
     ["back to front"]),
    (lambda x, h0, Wx, Wh, b, nl: (_states(x, h0, lambda xt, h: _f(xt @ Wx.T + h @ Wh.T, nl)), None),
     ["in each step", "bias `b` is missing"]),
])
def test_forward_faults_are_named(body, fragments):
    assert_fails(check("rnn_forward", _forward(body)), *fragments)


def test_forward_off_by_one():
    def shifted(x, h0, Wx, Wh, b, nonlinearity="tanh"):
        h, _ = rc.rnn_forward(x, h0, Wx, Wh, b, nonlinearity)
        start = np.zeros_like(h[:, :1]) if h0 is None else h0[:, None]
        return np.concatenate([start, h[:, :-1]], axis=1), None

    assert_fails(check("rnn_forward", shifted), "off by one time step", "h[:, t-1]")


def test_forward_h0_none_must_mean_zeros():
    def no_none(x, h0, Wx, Wh, b, nonlinearity="tanh"):
        h = h0
        out = []
        for t in range(x.shape[1]):
            h = _f(x[:, t] @ Wx.T + h @ Wh.T + b, nonlinearity)
            out.append(h)
        return np.stack(out, 1), None

    assert_fails(check("rnn_forward", no_none), "with h0=None (which means: start from zeros)",
                 "raised an exception")


def test_forward_mutating_x():
    def scales_x(x, h0, Wx, Wh, b, nonlinearity="tanh"):
        x *= 1.0
        x[:, 0] += 0.0
        x[0, 0, 0] = x[0, 0, 0] + 1e-3  # really changes it
        return rc.rnn_forward(x, h0, Wx, Wh, b, nonlinearity)

    assert_fails(check("rnn_forward", scales_x), "changed its input `x` in place")


# -- rnn_step_backward ---------------------------------------------------------------


def step_backward_explicit(dh_next, cache):
    x_t, h_prev, Wx, Wh, h_next, nl = cache
    da = dh_next * (1 - h_next ** 2) if nl == "tanh" else dh_next * (h_next > 0)
    return da @ Wx, da @ Wh, da.T @ x_t, da.T @ h_prev, da.sum(axis=0)


def step_backward_einsum(dh_next, cache):
    c = cache
    da = dh_next * (1 - c.h_next * c.h_next if c.nonlinearity == "tanh" else (c.h_next > 0))
    return (np.einsum("nD,Dd->nd", da, c.Wx), np.einsum("nD,Dk->nk", da, c.Wh),
            np.einsum("nD,nd->Dd", da, c.x_t), np.einsum("nD,nk->Dk", da, c.h_prev), np.einsum("nD->D", da))


@pytest.mark.parametrize("fn", [step_backward_explicit, step_backward_einsum, rc.rnn_step_backward])
def test_step_backward_correct_styles_pass(fn):
    assert_passes(check("rnn_step_backward", fn))


def _step_backward(da_rule="right", dx=None, dh=None, dWx=None, dWh=None, db=None):
    def fn(dh_next, cache):
        c = cache
        if da_rule == "none":
            da = dh_next
        elif da_rule == "tanh twice":
            da = dh_next * (1 - np.tanh(c.h_next) ** 2) if c.nonlinearity == "tanh" else dh_next * (c.h_next > 0)
        else:
            da = dh_next * (1 - c.h_next ** 2 if c.nonlinearity == "tanh" else (c.h_next > 0))
        return ((dx or (lambda: da @ c.Wx))(), (dh or (lambda: da @ c.Wh))(),
                (dWx or (lambda: da.T @ c.x_t))(), (dWh or (lambda: da.T @ c.h_prev))(),
                (db or (lambda: da.sum(0)))())
    return fn


def test_step_backward_faults_are_named():
    assert_fails(check("rnn_step_backward", _step_backward("none")), "derivative of the nonlinearity is missing")
    assert_fails(check("rnn_step_backward", _step_backward("tanh twice")), "tanh is applied twice")

    def wh_transposed(dh_next, c):
        grads = list(step_backward_explicit(dh_next, c))
        da = dh_next * (1 - c.h_next ** 2 if c.nonlinearity == "tanh" else (c.h_next > 0))
        grads[1] = da @ c.Wh.T
        return tuple(grads)

    def uses_h_next(dh_next, c):
        grads = list(step_backward_explicit(dh_next, c))
        da = dh_next * (1 - c.h_next ** 2 if c.nonlinearity == "tanh" else (c.h_next > 0))
        grads[3] = da.T @ c.h_next
        return tuple(grads)

    def db_not_summed(dh_next, c):
        grads = list(step_backward_explicit(dh_next, c))
        grads[4] = dh_next * (1 - c.h_next ** 2)
        return tuple(grads)

    def db_mean(dh_next, c):
        grads = list(step_backward_explicit(dh_next, c))
        da = dh_next * (1 - c.h_next ** 2 if c.nonlinearity == "tanh" else (c.h_next > 0))
        grads[4] = da.mean(0)
        return tuple(grads)

    def dWx_transposed(dh_next, c):
        grads = list(step_backward_explicit(dh_next, c))
        grads[2] = grads[2].T
        return tuple(grads)

    def four(dh_next, c):
        return step_backward_explicit(dh_next, c)[:4]

    assert_fails(check("rnn_step_backward", wh_transposed), "dh_prev uses Wh transposed")
    assert_fails(check("rnn_step_backward", uses_h_next), "dWh uses h_next")
    assert_fails(check("rnn_step_backward", db_not_summed), "sum over the batch axis")
    assert_fails(check("rnn_step_backward", db_mean), "averaged over the batch")
    assert_fails(check("rnn_step_backward", dWx_transposed), "dWx is transposed")
    assert_fails(check("rnn_step_backward", four), "must return 5 gradients")


# -- rnn_backward --------------------------------------------------------------------


def bptt_with_steps(dh, cache):
    """The textbook loop over the library's step backward."""
    x, hs, Wx, Wh, nl = cache
    N, T, d = x.shape
    dx = np.zeros_like(x)
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[0], dtype=Wh.dtype)
    dh_next = np.zeros_like(hs[0])
    for t in reversed(range(T)):
        step = RNNStepCache(x[:, t], hs[t], Wx, Wh, hs[t + 1], nl)
        dx[:, t], dh_next, dWx_t, dWh_t, db_t = rc.rnn_step_backward(dh[:, t] + dh_next, step)
        dWx += dWx_t
        dWh += dWh_t
        db += db_t
    return dx, dh_next, dWx, dWh, db


def bptt_einsum(dh, cache):
    """Collect da for every step, then all weight gradients in one einsum each."""
    x, hs, Wx, Wh, nl = cache
    T = x.shape[1]
    das = np.zeros(hs[1:].shape, dtype=hs.dtype)  # (T, N, D)
    carry = np.zeros_like(hs[0])
    for t in range(T - 1, -1, -1):
        g = dh[:, t] + carry
        das[t] = g * (1 - hs[t + 1] ** 2) if nl == "tanh" else g * (hs[t + 1] > 0)
        carry = das[t] @ Wh
    dx = np.einsum("tnD,Dd->ntd", das, Wx)
    return dx, carry, np.einsum("tnD,ntd->Dd", das, x), np.einsum("tnD,tnk->Dk", das, hs[:-1]), das.sum((0, 1))


@pytest.mark.parametrize("fn", [bptt_with_steps, bptt_einsum, rc.rnn_backward])
def test_backward_correct_styles_pass(fn):
    assert_passes(check("rnn_backward", fn))


def test_backward_with_the_learners_forward():
    assert_passes(check("rnn_backward", rc.rnn_backward, forward=rc.rnn_forward))


def _bptt_fault(kind):
    def fn(dh, cache):
        x, hs, Wx, Wh, nl = cache
        T = x.shape[1]
        dx = np.zeros_like(x)
        dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[0])
        carry = np.zeros_like(hs[0])
        for t in reversed(range(T)):
            g = dh[:, t] if kind == "no carry" else dh[:, t] + carry
            if kind == "mutate":
                dh[:, t] += carry
                g = dh[:, t]
            da = g * (1 - hs[t + 1] ** 2) if nl == "tanh" else g * (hs[t + 1] > 0)
            dx[:, t] = da @ Wx
            if kind == "overwrite":
                dWx, dWh, db = da.T @ x[:, t], da.T @ hs[t], da.sum(0)
            else:
                dWx += da.T @ x[:, t]
                dWh += da.T @ hs[t]
                db += da.sum(0)
            carry = da @ (Wh.T if kind == "WhT" else Wh)
        if kind == "time-major":
            dx = dx.transpose(1, 0, 2)
        if kind == "none":
            return None
        return dx, carry, dWx, dWh, db
    return fn


@pytest.mark.parametrize("kind,fragment", [
    ("no carry", "the gradient from h_{t+1} is missing"),
    ("overwrite", "only one step's contribution"),
    ("WhT", "flows back through Wh transposed"),
    ("time-major", "dx is time-major"),
    ("none", "returned None"),
    ("mutate", "changed its input `dh` in place"),
])
def test_backward_faults_are_named(kind, fragment):
    assert_fails(check("rnn_backward", _bptt_fault(kind)), fragment)


# -- concept checks -------------------------------------------------------------------


@pytest.mark.parametrize("name,right,equivalents,wrongs", [
    ("shape_Wx", (5, 3), [[5, 3], np.array([5, 3])],
     {(3, 5): "CS231n", (5, 5): "d columns", (3, 3): "one row per hidden unit", (1, 2): "axis by axis"}),
    ("shape_Wh", (5, 5), [[5, 5]],
     {(3, 5): "previous hidden state", (5, 3): "W_x's shape", (3, 3): "hidden state, of size D"}),
    ("shape_h_n_bidirectional", (4, 8, 16), [[4, 8, 16]],
     {(2, 8, 16): "not the directions", (2, 8, 32): "concatenating them", (8, 4, 16): "not batch-first"}),
    ("rnn_param_count", 45, [np.int64(45)],
     {50: "two bias vectors", 40: "forgets the bias", 30: "D x D = 25", 12: "add up the entries"}),
    ("spectral_radius", "vanishes", ["shrinks", "Vanishes", "goes to zero"],
     {"explodes": "not for ever", "grows": "needs ρ of at least 1", "stays the same": "cannot stay"}),
    ("hidden_states_shape", (8, 12, 32), [[8, 12, 32], np.array([8, 12, 32])],
     {(8, 12, 50): "shape of x", (12, 8, 32): "batch comes first", (8, 32): "one step", (8, 13, 32): "not h_0",
      (32, 32): "W_h", (4, 4): "axis by axis"}),
    ("many_to_one_readout", "last real token", ["lengths - 1", "Last Real Token", "last valid step"],
     {"last position": "padding", "h[:, -1]": "padding", "first position": "one token only",
      "middle": "not one of the options"}),
    ("mutable_sequences", ["list"], [("list",), {"list"}, [list], "list"],
     {("list", "tuple"): "tuple is not mutable", ("str",): "str is not mutable", (): "one of them is mutable",
      ("range", "list"): "range is not mutable", ("dict",): "not among the note's sequence types"}),
])
def test_concept_checks(name, right, equivalents, wrongs):
    assert_passes(check(name, right))
    for eq in equivalents:
        assert_passes(check(name, eq))
    for wrong, fragment in wrongs.items():
        answer = list(wrong) if name == "mutable_sequences" else wrong
        assert_fails(check(name, answer), fragment)


def test_shape_answers_must_be_shapes():
    assert_fails(check("shape_Wh", "5x5"), "as a tuple of whole numbers")
    assert_fails(check("rnn_param_count", 45.5), "whole number")


def test_topologies():
    right = {"image captioning": "one-to-many", "spam detection": "many-to-one",
             "sentiment classification": "Many to One", "named-entity recognition": "many_to_many",
             "translation": "seq2seq"}
    assert_passes(check("topologies", right))
    assert_fails(check("topologies", {**right, "image captioning": "many-to-one"}),
                 "image captioning", "one image in")
    assert_fails(check("topologies", {**right, "named-entity recognition": "many-to-one"}),
                 "one tag out for every word")
    assert_fails(check("topologies", {k: v for k, v in right.items() if k != "translation"}),
                 "'translation' has no answer")
    assert_fails(check("topologies", {**right, "spam detection": "two-to-one"}), "not one of the options")
    assert_fails(check("topologies", ["one-to-many"]), "give a dict")


def test_worked_example():
    ex = WORKED_EXAMPLE
    x, h, Wx, Wh, bh = ex["x_t"][0], ex["h_prev"][0], ex["Wx"], ex["Wh"], ex["bh"]
    assert not np.allclose(Wx, Wx.T)  # so that a transposed W_x gives a different answer
    a = Wx @ x + Wh @ h + bh
    np.testing.assert_allclose(a, [0.6, 0.7, -0.3, 0.8])  # the numbers of the hints and the solution
    result = check("worked_example", np.tanh(a))
    assert_passes(result)
    assert "[0.6, 0.7, -0.3, 0.8]" in result.message  # the right answer shows its pre-activation
    assert_passes(check("worked_example", np.round(np.tanh(a), 3).reshape(1, 4)))  # by hand, 3 decimals
    assert_fails(check("worked_example", a), "pre-activation")
    assert_fails(check("worked_example", np.tanh(Wx.T @ x + Wh @ h + bh)), "W_x looks transposed")
    assert_fails(check("worked_example", np.tanh(Wx @ x + bh)), "W_h h_(t-1) is missing")
    assert_fails(check("worked_example", np.tanh(a - bh)), "bias b_h is missing")
    assert_fails(check("worked_example", np.tanh(Wx @ x + Wh.T @ h + bh)), "W_h looks transposed")
    assert_fails(check("worked_example", np.maximum(a, 0)), "ReLU")
    assert_fails(check("worked_example", [0.5, 0.2, -0.3]), "D = 4 numbers")
    wrong = np.tanh(a)
    wrong[2] += 0.1
    assert_fails(check("worked_example", wrong), "entry 2 is off")


@pytest.mark.parametrize("name", [n for n, ex in EXERCISES.items() if ex.kind == "concept"])
def test_concept_unattempted(name):
    assert check(name, ...).status == "not attempted"


# -- the API --------------------------------------------------------------------------


def test_every_exercise_has_three_hints_and_renders():
    for name, ex in EXERCISES.items():
        assert len(ex.hints) == 3 and all(h.strip() for h in ex.hints), name
        assert ex.kind in ("implementation", "concept")
        h = hint(name, 3)
        assert h.text == ex.hints[2] and "Hint 3 of 3" in h._repr_html_()


def test_reference_answers_pass_their_own_checks():
    for name, ex in EXERCISES.items():
        if ex.reference is not None:
            assert_passes(check(name, ex.reference))


def test_result_rendering():
    html = check("shape_Wh", (5, 5))._repr_html_()
    assert "rnn-check-passed" in html and "✔ Correct" in html
    html = check("shape_Wh", (3, 5))._repr_html_()
    assert "rnn-check-failed" in html and "Not yet" in html
    html = check("rnn_step_backward", stub_ellipsis)._repr_html_()
    assert "rnn-check-not-attempted" in html and "<code>hint(&#x27;rnn_step_backward&#x27;, 1)</code>" in html
    text = str(check("shape_Wh", (3, 5)))
    assert text.startswith("[Not yet] The shape of W_h")


def test_unknown_names_and_levels_raise_for_the_author():
    with pytest.raises(ValueError, match="did you mean 'rnn_forward'"):
        check("rnn_fowrard", None)
    with pytest.raises(ValueError, match="level must be 1, 2 or 3, got 4"):
        hint("rnn_forward", 4)
    with pytest.raises(TypeError, match="takes no argument nonsense"):
        check("rnn_forward", None, nonsense=1)


def test_check_never_raises_on_weird_answers():
    for weird in [42, "abc", lambda: None, lambda *a: (1, 2), lambda *a, **k: {"h": 1}]:
        for name in EXERCISES:
            result = check(name, weird)
            assert result.status in ("failed", "not attempted"), (name, weird)


# -- one_hot and pad_sequences ----------------------------------------------------------


def one_hot_eye(ids, V):
    return np.eye(V)[ids]


def one_hot_loop(ids, V):
    out = np.zeros(np.shape(ids) + (V,))
    for index, k in np.ndenumerate(ids):
        out[index + (k,)] = 1
    return out


@pytest.mark.parametrize("fn", [one_hot_eye, one_hot_loop, rc.one_hot])
def test_one_hot_correct_styles_pass(fn):
    assert_passes(check("one_hot", fn))


@pytest.mark.parametrize("fn,fragment", [
    (lambda ids, V: np.eye(V)[ids].T, "vocabulary axis comes first"),
    (lambda ids, V: np.eye(V)[np.ravel(ids)], "ids were flattened"),
    (lambda ids, V: np.eye(V)[ids - 1], "off by one"),
    (lambda ids, V: np.eye(V + 1)[ids], "needs V, one per id"),
    (lambda ids, V: np.zeros(np.shape(ids) + (V,)), "exactly one 1"),
    (lambda ids, V: None, "is None"),
])
def test_one_hot_faults_are_named(fn, fragment):
    assert_fails(check("one_hot", fn), fragment)


def pad_loop(sequences, pad_value=0):
    T = max(len(s) for s in sequences)
    ids = np.full((len(sequences), T), pad_value)
    for n, s in enumerate(sequences):
        ids[n, :len(s)] = s
    return ids, np.array([len(s) for s in sequences])


def pad_comprehension(sequences, pad_value=0):
    T = max(map(len, sequences))
    return [list(s) + [pad_value] * (T - len(s)) for s in sequences], [len(s) for s in sequences]


@pytest.mark.parametrize("fn", [pad_loop, pad_comprehension, rc.pad_sequences])
def test_pad_correct_styles_pass(fn):
    assert_passes(check("pad_sequences", fn))


def _pad_left(sequences, pad_value=0):
    T = max(len(s) for s in sequences)
    return np.array([[pad_value] * (T - len(s)) + list(s) for s in sequences]), np.array([len(s) for s in sequences])


def _pad_mutating(sequences, pad_value=0):
    T = max(len(s) for s in sequences)
    for s in sequences:
        s.extend([pad_value] * (T - len(s)))
    return np.array(sequences), np.array([T] * len(sequences))


def _pad_shortest(sequences, pad_value=0):
    T = min(len(s) for s in sequences)
    return np.array([s[:T] for s in sequences]), np.array([T] * len(sequences))


def _pad_ignores_value(sequences, pad_value=0):
    return pad_loop(sequences, 0)


def _pad_all_T(sequences, pad_value=0):
    ids, _ = pad_loop(sequences, pad_value)
    return ids, np.full(len(sequences), ids.shape[1])


@pytest.mark.parametrize("fn,fragment", [
    (_pad_left, "padding is on the left"),
    (_pad_mutating, "changed the input lists in place"),
    (_pad_shortest, "cut to the shortest sequence"),
    (_pad_ignores_value, "`pad_value` argument is ignored"),
    (_pad_all_T, "every length is T"),
    (lambda sequences, pad_value=0: pad_loop(sequences, pad_value)[0], "return two things"),
])
def test_pad_faults_are_named(fn, fragment):
    assert_fails(check("pad_sequences", fn), fragment)
