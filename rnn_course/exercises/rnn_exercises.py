"""Checkers for the vanilla-RNN implementation exercises:
rnn_step_forward, rnn_forward, rnn_step_backward and rnn_backward.

Each checker runs the learner's function on several cases (d = D first, so a
transposed weight gives wrong numbers rather than a crash; then d != D, N = 1,
T = 1, float32, relu, large pre-activations), compares with the library's
reference, and when the numbers are wrong tries the usual faults one by one
to say which it is.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .. import rnn as ref
from ._run import Fail, as_array, returned_grads, call, check_dtype, close, describe_shape_mismatch, fmt_shape, worst_mismatch


class Case(NamedTuple):
    N: int
    T: int
    d: int
    D: int
    dtype: type
    scale: float
    nonlinearity: str

    def text(self):
        dt = np.dtype(self.dtype).name
        extra = ", large pre-activations" if self.scale > 5 else ""
        steps = "" if self.T is None else f", T={self.T}"  # a single-step case has no T
        return (f"case: N={self.N}{steps}, d={self.d}, D={self.D}, {dt}, "
                f"nonlinearity={self.nonlinearity!r}{extra}")


CASES = [
    Case(3, 4, 4, 4, np.float64, 0.5, "tanh"),  # d == D: a transposed Wx gives numbers, not a crash
    Case(2, 3, 3, 5, np.float64, 0.5, "tanh"),  # d != D
    Case(1, 1, 2, 3, np.float64, 0.5, "tanh"),  # N = 1, T = 1
    Case(2, 5, 5, 3, np.float32, 0.5, "tanh"),  # float32, D < d
    Case(2, 3, 3, 4, np.float64, 0.5, "relu"),
    Case(2, 3, 3, 4, np.float64, 500.0, "tanh"),  # tanh must saturate, not overflow
]


def _data(case, seed):
    rng = np.random.default_rng([seed, case.N, case.T, case.d, case.D])
    N, T, d, D, dt, s = case.N, case.T, case.d, case.D, case.dtype, case.scale
    return dict(
        x=(s * rng.standard_normal((N, T, d))).astype(dt),
        h0=(0.5 * rng.standard_normal((N, D))).astype(dt),
        Wx=(0.5 * rng.standard_normal((D, d))).astype(dt),
        Wh=(0.5 * rng.standard_normal((D, D))).astype(dt),
        b=(0.5 * rng.standard_normal(D)).astype(dt),
    )


_F = {
    "tanh": np.tanh,
    "relu": lambda a: np.maximum(a, 0),
    "sigmoid": lambda a: 0.5 * (1 + np.tanh(a / 2)),
    "identity": lambda a: a,
}


def _first(result, fn_name, pair, shape=None):
    """The learner's first output, from the (out, cache) pair the signature asks for; shape: the output's
    expected shape, to recognise the pair returned the other way round."""
    if result is None:
        raise Fail(f"{fn_name} returned None — did you forget `return {pair}`?")
    if isinstance(result, np.ndarray):
        raise Fail(f"{fn_name} returned a single array; it must return the pair {pair} "
                   f"(the cache may be anything the backward pass needs, even None)")
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise Fail(f"{fn_name} must return the pair {pair}, got {type(result).__name__}"
                   + (f" of length {len(result)}" if isinstance(result, (tuple, list)) else ""))
    first, second = result
    if (shape is not None and isinstance(second, np.ndarray) and second.shape == tuple(shape)
            and not (isinstance(first, np.ndarray) and first.shape == tuple(shape))):
        raise Fail(f"the pair is the wrong way round: return {pair}, the {pair[1:].split(',')[0]} first and "
                   f"the cache second")
    return first


def _verdict(got, want, dtype, case, faults, what):
    """Fail with the best diagnosis if got != want; faults is [(message, candidate)]."""
    check_dtype(got, dtype, what, case.text(), lower_only=True)
    if close(got, want, dtype):
        return
    if not np.all(np.isfinite(got)) and np.all(np.isfinite(want)):
        hint = (" with large pre-activations: compute tanh with np.tanh, not from exponentials"
                if case.scale > 5 else "")
        raise Fail(f"{what} contains NaN or inf{hint}", case.text())
    for message, candidate in faults:
        if candidate is not None and close(got, candidate, dtype):
            raise Fail(message, case.text())
    raise Fail(f"{what} has the right shape but the wrong values", worst_mismatch(got, want), case.text())


def _check_dtype(got, case, notes, what, like="x"):
    """A float64 result for float32 inputs is a fault (it used to pass with a note)."""
    check_dtype(got, case.dtype, what, case.text(), like=like)


def _run(fn, fn_name, case, *args, **kwargs):
    """Call the learner's fn on one case; a crash or a mutated input becomes a Fail."""
    try:
        result, mutated = call(fn, *args, **kwargs)
    except Fail as fail:
        raise _explain_crash(fail, case) from None
    if mutated:
        raise Fail(f"{fn_name} changed its input `{mutated}` in place (e.g. with `+=` or `out=`); "
                   f"a layer must leave its inputs as it found them", case.text())
    return result


def _passed(fn_name, notes, extra="", steps=True):
    T = ", T = 1" if steps else ""
    msg = f"{fn_name} matches the reference on {len(CASES)} cases (N = 1{T}, d ≠ D, float32, relu, " \
          f"large pre-activations){extra}."
    return msg + (" Note: " + " ".join(sorted(notes)) if notes else "")


# ---------------------------------------------------------------------------
# rnn_step_forward
# ---------------------------------------------------------------------------


def _step_variants(Wx, Wh, b, nl):
    """[(message, step)]: the usual mistakes in one step, each as a function of (x_t, h_prev).

    step is None when the mistake cannot be told apart (or computed) for these shapes.
    """
    f = _F[nl]
    square = Wx.shape[0] == Wx.shape[1]  # d == D: a transposed or swapped weight gives numbers, not a crash
    variants = [
        ("`h_prev` is multiplied by `Wh` instead of `Wh.T`: Wh is stored as (D, D) like the note's "
         "W_h, so the batch form is `h_prev @ Wh.T`", lambda xt, h: f(xt @ Wx.T + h @ Wh + b)),
        ("the input weight looks transposed: Wx is stored as (D, d) like the note's W_x, so the "
         "batch form is `x_t @ Wx.T` (the two only coincide when d = D)",
         (lambda xt, h: f(xt @ Wx + h @ Wh.T + b)) if square else None),
        ("both weights look transposed: with Wx (D, d) and Wh (D, D) the batch form is "
         "`x_t @ Wx.T + h_prev @ Wh.T + b`", (lambda xt, h: f(xt @ Wx + h @ Wh + b)) if square else None),
        ("Wx and Wh are swapped: `x_t` goes through Wx (D, d) and `h_prev` through Wh (D, D), "
         "`x_t @ Wx.T + h_prev @ Wh.T + b` (with d = D both products fit either way)",
         (lambda xt, h: f(xt @ Wh.T + h @ Wx.T + b)) if square else None),
        ("`x_t` is multiplied by `Wh`: the input has its own weight, `x_t @ Wx.T`; Wh is for `h_prev`",
         (lambda xt, h: f(xt @ Wh.T + h @ Wh.T + b)) if square else None),
        ("`h_prev` is multiplied by `Wx`: the previous state has its own weight, `h_prev @ Wh.T`",
         (lambda xt, h: f(xt @ Wx.T + h @ Wx.T + b)) if square else None),
        ("the bias `b` is missing", lambda xt, h: f(xt @ Wx.T + h @ Wh.T)),
        ("`h_prev` is ignored: the new state must depend on the previous one through "
         "`h_prev @ Wh.T`", lambda xt, h: f(xt @ Wx.T + b)),
        ("`x_t` is ignored: the input enters through `x_t @ Wx.T`", lambda xt, h: f(h @ Wh.T + b)),
        ("the bias is added twice", lambda xt, h: f(xt @ Wx.T + h @ Wh.T + 2 * b)),
        (f"{nl} is applied twice: h_next = {nl}(a) once, with a = x_t @ Wx.T + h_prev @ Wh.T + b",
         lambda xt, h: f(f(xt @ Wx.T + h @ Wh.T + b))),
        ("the bias is added after the nonlinearity: h_next = f(x_t @ Wx.T + h_prev @ Wh.T + b), the bias "
         "inside f", lambda xt, h: f(xt @ Wx.T + h @ Wh.T) + b),
    ]
    for other in ("tanh", "relu", "sigmoid", "identity"):
        if other == nl:
            continue
        if other in ("tanh", "relu"):
            msg = (f"wrong nonlinearity: this case asks for nonlinearity={nl!r} but the result is "
                   f"{other} — use the `nonlinearity` argument")
        elif other == "identity":
            msg = "the nonlinearity is missing: the result is the pre-activation itself; apply f"
        else:
            msg = f"wrong nonlinearity: that is a sigmoid; the RNN cell uses {nl}"
        variants.append((msg, lambda xt, h, g=_F[other]: g(xt @ Wx.T + h @ Wh.T + b)))
    return variants


def _step_faults(x, h, Wx, Wh, b, nl):
    """(message, output) for the usual mistakes in one step."""
    with np.errstate(all="ignore"):
        return [(message, None if step is None else step(x, h)) for message, step in _step_variants(Wx, Wh, b, nl)]


def check_rnn_step_forward(fn, seed=0):
    notes = set()
    for case in CASES:
        data = _data(case, seed)
        case = case._replace(T=None)  # one step: the case text names no T
        x, h, Wx, Wh, b = data["x"][:, 0], data["h0"], data["Wx"], data["Wh"], data["b"]
        kwargs = {} if case.nonlinearity == "tanh" else {"nonlinearity": case.nonlinearity}
        result = _run(fn, "rnn_step_forward", case, x, h, Wx, Wh, b, **kwargs)
        got = as_array(_first(result, "rnn_step_forward", "(h_next, cache)", (case.N, case.D)), "h_next")
        if got.shape != (case.N, case.D):
            raise Fail(describe_shape_mismatch(got.shape, (case.N, case.D), ("N", "D")), case.text())
        want, _ = ref.rnn_step_forward(x, h, Wx, Wh, b, case.nonlinearity)
        _verdict(got, want, case.dtype, case,
                 _step_faults(x, h, Wx, Wh, b, case.nonlinearity), "h_next")
        _check_dtype(got, case, notes, "h_next")
    return _passed("rnn_step_forward", notes, steps=False)


def _explain_crash(fail, case):
    """Add the d-versus-D explanation to a crash on a case where d != D."""
    if case.d != case.D and ("matmul" in fail.message or "shapes" in fail.message
                             or "broadcast" in fail.message):
        return Fail(fail.message + f" — on a case where d = {case.d} and D = {case.D}. Check every "
                    f"product's shapes: x_t is (N, d), Wx is (D, d), Wh is (D, D), so the step is "
                    f"`x_t @ Wx.T + h_prev @ Wh.T + b`", *fail.details, case.text())
    return Fail(fail.message, *fail.details, case.text())


# ---------------------------------------------------------------------------
# rnn_forward
# ---------------------------------------------------------------------------


def _loop(x, h0, step):
    """Run step(x_t, h_prev) over time; returns (N, T, D)."""
    hs, h = [], h0
    for t in range(x.shape[1]):
        h = step(x[:, t], h)
        hs.append(h)
    return np.stack(hs, axis=1)


def _forward_faults(x, h0, Wx, Wh, b, nl, want):
    f = _F[nl]
    with np.errstate(all="ignore"):
        def good(xt, h):
            return f(xt @ Wx.T + h @ Wh.T + b)

        faults = [
            ("every step starts from `h0`: update the hidden state inside the loop so that step t "
             "reads h_{t-1}", np.stack([good(x[:, t], h0) for t in range(x.shape[1])], axis=1)),
            ("`h0` is ignored: the first step must read `h0` (zeros only when h0 is None)",
             _loop(x, np.zeros_like(h0), good)),
            ("off by one time step: your h[:, t] is the reference's h[:, t-1] (the first entry is h0); "
             "store the state after each step, h_1 ... h_T",
             np.concatenate([h0[:, None], want[:, :-1]], axis=1)),
            ("off by one time step: your h[:, t] is the reference's h[:, t+1] — the sequence starts "
             "at x[:, 0]",
             np.concatenate([want[:, 1:], want[:, -1:]], axis=1) if want.shape[1] > 1 else None),
            ("the sequence is read back to front: loop t = 0, 1, ..., T-1",
             _loop(x[:, ::-1], h0, good)[:, ::-1]),
            ("the sequence is read back to front and stored in that order: loop t = 0, 1, ..., T-1",
             _loop(x[:, ::-1], h0, good)),
        ]
        for message, step in _step_variants(Wx, Wh, b, nl):
            if step is not None:
                faults.append(("in each step, " + message, _loop(x, h0, step)))
    return faults


def check_rnn_forward(fn, seed=0):
    notes = set()
    for case in CASES:
        data = _data(case, seed)
        kwargs = {} if case.nonlinearity == "tanh" else {"nonlinearity": case.nonlinearity}
        result = _run(fn, "rnn_forward", case, data["x"], data["h0"], data["Wx"], data["Wh"], data["b"],
                      **kwargs)
        got = as_array(_first(result, "rnn_forward", "(h, cache)", (case.N, case.T, case.D)), "h")
        want, _ = ref.rnn_forward(data["x"], data["h0"], data["Wx"], data["Wh"], data["b"], case.nonlinearity)
        _forward_shape(got, want, data["h0"], case)
        _verdict(got, want, case.dtype, case,
                 _forward_faults(data["x"], data["h0"], data["Wx"], data["Wh"], data["b"],
                                 case.nonlinearity, want), "h")
        _check_dtype(got, case, notes, "h")
    # h0=None must mean zeros, of the inputs' dtype: the learner allocates the state here, and
    # np.zeros((N, D)) without dtype= would turn float32 inputs into float64 states.
    for case in (CASES[1], CASES[3]):
        data = _data(case, seed)
        try:
            result, _ = call(fn, data["x"], None, data["Wx"], data["Wh"], data["b"])
        except Fail as fail:
            raise Fail("with h0=None (which means: start from zeros) " + fail.message, *fail.details,
                       case.text()) from None
        got = as_array(_first(result, "rnn_forward", "(h, cache)"), "h")
        want, _ = ref.rnn_forward(data["x"], None, data["Wx"], data["Wh"], data["b"])
        if got.shape != want.shape or not close(got, want, case.dtype):
            raise Fail("with h0=None the first step must start from zeros of shape (N, D)",
                       worst_mismatch(got, want) if got.shape == want.shape else fmt_shape(got.shape), case.text())
        check_dtype(got, case.dtype, "h", "with h0=None", case.text(),
                    buffer="with h0=None your state starts as np.zeros((N, D)), which is float64 without "
                           "`dtype=`; make it np.zeros((N, D), dtype=x.dtype)")
    return _passed("rnn_forward", notes, ", and h0=None starts from zeros")


def _forward_shape(got, want, h0, case):
    N, T, D = want.shape
    if got.shape == want.shape:
        return
    if got.shape == (N, D):
        raise Fail("you returned only one hidden state, shape (N, D); return the states of all T steps "
                   f"stacked as (N, T, D) = {fmt_shape(want.shape)}", case.text())
    if got.shape == (N, T + 1, D):
        raise Fail(f"h has T+1 = {T + 1} steps: it includes h0. Return only h_1 ... h_T, shape "
                   f"(N, T, D) = {fmt_shape(want.shape)}", case.text())
    if got.shape == (T, N, D) and T != N:
        raise Fail(f"h is time-major, (T, N, D) = {fmt_shape(got.shape)}; the book puts the batch first: "
                   f"(N, T, D) = {fmt_shape(want.shape)} (e.g. np.stack(hs, axis=1))", case.text())
    raise Fail(describe_shape_mismatch(got.shape, want.shape, ("N", "T", "D")), case.text())


# ---------------------------------------------------------------------------
# rnn_step_backward
# ---------------------------------------------------------------------------

_GRAD_NAMES = ("dx_t", "dh_prev", "dWx", "dWh", "db")
_GRAD_LETTERS = {"dx_t": ("N", "d"), "dh_prev": ("N", "D"), "dWx": ("D", "d"), "dWh": ("D", "D"), "db": ("D",)}


def _step_backward_faults(dh, c):
    """{grad name: [(message, value)]} for the usual mistakes."""
    h = c.h_next
    if c.nonlinearity == "tanh":
        da = dh * (1 - h * h)
    else:
        da = dh * (h > 0)
    with np.errstate(all="ignore"):
        no_deriv = dh
        tanh_twice = dh * (1 - np.tanh(h) ** 2)
    missing = (_RELU_MASK if c.nonlinearity == "relu" else
               "the derivative of the nonlinearity is missing: multiply dh_next by f'(a) first "
               "(for tanh, 1 - h_next**2) to get da")
    local = {
        missing: no_deriv,
        "tanh is applied twice in the derivative: h_next already is tanh(a), so f'(a) = 1 - h_next**2, "
        "not 1 - np.tanh(h_next)**2": tanh_twice if c.nonlinearity == "tanh" else None,
    }
    faults = {name: [] for name in _GRAD_NAMES}
    for message, da_bad in local.items():
        if da_bad is None:
            continue
        faults["dx_t"].append((message, da_bad @ c.Wx))
        faults["dh_prev"].append((message, da_bad @ c.Wh))
        faults["dWx"].append((message, da_bad.T @ c.x_t))
        faults["dWh"].append((message, da_bad.T @ c.h_prev))
        faults["db"].append((message, da_bad.sum(0)))
    faults["dh_prev"].append(("dh_prev uses Wh transposed: the forward pass has h_prev @ Wh.T, so the "
                              "gradient is `da @ Wh`", da @ c.Wh.T))
    square = c.Wx.shape[0] == c.Wx.shape[1]
    faults["dx_t"].append(("dx_t uses Wx transposed: the forward pass has x_t @ Wx.T, so the gradient is "
                           "`da @ Wx`", da @ c.Wx.T if square else None))
    faults["dx_t"].append(("dx_t goes through Wh: the input's gradient flows back through its own weight, "
                           "`dx_t = da @ Wx`", da @ c.Wh if square else None))
    faults["dh_prev"].append(("dh_prev goes through Wx: the previous state's gradient flows back through Wh, "
                              "`dh_prev = da @ Wh`", da @ c.Wx if square else None))
    faults["dWx"].append(("dWx uses h_prev where the forward pass used x_t: dWx = da.T @ x_t",
                          da.T @ c.h_prev if square else None))
    faults["dWh"].append(("dWh uses x_t where the forward pass used h_prev: dWh = da.T @ h_prev",
                          da.T @ c.x_t if square else None))
    faults["dWh"].append(("dWh uses h_next where the forward pass used h_prev: dWh = da.T @ h_prev",
                          da.T @ h))
    faults["dWh"].append(("dWh is transposed: it must have Wh's orientation, dWh = da.T @ h_prev",
                          (da.T @ c.h_prev).T))
    faults["dWx"].append(("dWx is transposed: it must have Wx's orientation (D, d), dWx = da.T @ x_t",
                          (da.T @ c.x_t).T if c.Wx.shape[0] == c.Wx.shape[1] else None))
    faults["db"].append(("db is averaged over the batch; the loss's gradient sums over it: "
                         "db = da.sum(axis=0)", da.mean(0)))
    return faults


_RELU_MASK = ("for relu, da is dh_next unchanged: the mask is missing, or written `h_next >= 0`, which holds "
              "everywhere because relu's output is never negative; f'(a) is 1 only where h_next > 0, so "
              "da = dh_next * (h_next > 0)")


def check_rnn_step_backward(fn, seed=0):
    notes = set()
    for case in CASES:
        data = _data(case, seed)
        _, cache = ref.rnn_step_forward(data["x"][:, 0], data["h0"], data["Wx"], data["Wh"], data["b"],
                                        case.nonlinearity)
        case = case._replace(T=None)  # one step: the case text names no T
        rng = np.random.default_rng([seed, 7, case.N, case.D])
        dh = rng.standard_normal((case.N, case.D)).astype(case.dtype)
        result = _run(fn, "rnn_step_backward", case, dh, cache)
        got = returned_grads(result, "rnn_step_backward", _GRAD_NAMES)
        want = dict(zip(_GRAD_NAMES, ref.rnn_step_backward(dh, cache)))
        _compare_grads(got, want, _step_backward_faults(dh, cache), case, notes, _GRAD_LETTERS, {},
                       "dh_next")
    return _passed("rnn_step_backward", notes, steps=False)


def _wrong_order(got, want, dtype):
    """The order the learner returned the gradients in, if it is a reordering of the right ones."""
    names, order = list(want), []
    for name in names:
        g = got[name]
        match = [m for m in names if m not in order and want[m].shape == g.shape and close(g, want[m], dtype)]
        if not match:
            return None
        order.append(match[0])
    return order if order != names else None


def _compare_grads(got, want, faults, case, notes, letters, extra_shape_hints, like):
    order = _wrong_order(got, want, case.dtype)
    if order:
        raise Fail(f"the gradients are right but returned in the wrong order, ({', '.join(order)}); return "
                   f"({', '.join(want)})", case.text())
    for name, w in want.items():
        g = got[name]
        if g.shape != w.shape:
            hint = extra_shape_hints.get((name, g.shape))
            if name == "db" and g.shape == (case.N, case.D):
                hint = "db has one row per sequence: sum over the batch axis, db = da.sum(axis=0)"
            raise Fail(f"{name}: " + (hint or describe_shape_mismatch(g.shape, w.shape, letters[name])),
                       case.text())
    for name, w in want.items():
        _verdict(got[name], w, case.dtype, case, faults.get(name, []), name)
        _check_dtype(got[name], case, notes, name, like)


# ---------------------------------------------------------------------------
# rnn_backward
# ---------------------------------------------------------------------------

_SEQ_GRAD_NAMES = ("dx", "dh0", "dWx", "dWh", "db")
_SEQ_LETTERS = {"dx": ("N", "T", "d"), "dh0": ("N", "D"), "dWx": ("D", "d"), "dWh": ("D", "D"), "db": ("D",)}


def _bptt_variants(dh, cache):
    """Gradients computed with a classic BPTT mistake, for diagnosis."""
    x, hs, Wx, Wh, nl = cache.x, cache.hs, cache.Wx, cache.Wh, cache.nonlinearity
    T = x.shape[1]

    def run(carry_on=True, accumulate=True, carry_uses_WhT=False, forward_in_time=False, deriv="right",
            dWh_state=0, dh0="carry"):
        dx = np.zeros_like(x)
        dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[0], dtype=Wh.dtype)
        carry = np.zeros_like(hs[0])
        total = carry
        steps = range(T) if forward_in_time else range(T - 1, -1, -1)
        for t in steps:
            total = dh[:, t] + (carry if carry_on else 0)
            h = hs[t + 1] if deriv != "h_prev" else hs[t]
            if deriv == "none":
                da = total
            else:
                da = total * ((1 - h * h) if nl == "tanh" else (h > 0))
            dx[:, t] = da @ Wx
            if accumulate:
                dWx += da.T @ x[:, t]
                dWh += da.T @ hs[t + dWh_state]
                db += da.sum(0)
            elif t == (T - 1 if forward_in_time else 0):
                dWx, dWh, db = da.T @ x[:, t], da.T @ hs[t], da.sum(0)
            carry = da @ (Wh.T if carry_uses_WhT else Wh)
        first = {"carry": carry, "total": total}[dh0]
        return dict(zip(_SEQ_GRAD_NAMES, (dx, first, dWx, dWh, db)))

    return {
        "the loop runs forward in time: backpropagation through time starts at the last step, "
        "`for t in reversed(range(T))`, because the gradient at h_t needs the one coming back from h_{t+1}":
            run(forward_in_time=True),
        (_RELU_MASK if nl == "relu" else
         "the derivative of the nonlinearity is missing: at every step multiply the gradient reaching h_t by "
         "f'(a_t) (for tanh, 1 - h_t**2) to get da"): run(deriv="none"),
        "f'(a_t) is computed from the state before the step: at step t the derivative uses h_t = hs[t+1] "
        "(the step's output), not h_{t-1}": run(deriv="h_prev"),
        "dWh uses the step's output h_t where the forward pass used h_{t-1}: dWh += da.T @ h_{t-1}":
            run(dWh_state=1),
        "dh0 is the gradient reaching h_1 before it goes back through the first step: after the loop, "
        "dh0 = da @ Wh for the first step's da": run(dh0="total"),
        "the gradient from h_{t+1} is missing: the gradient reaching h_t is dh[:, t] plus the gradient "
        "flowing back from h_{t+1} (carry it through the loop as dh_prev)": run(carry_on=False),
        "the weight gradients hold only one step's contribution: dWx, dWh and db must sum over all T "
        "steps (`dWh += ...`, not `dWh = ...`)": run(accumulate=False),
        "the gradient flows back through Wh transposed: the forward pass has h_{t-1} @ Wh.T, so the "
        "carried gradient is `da @ Wh`": run(carry_uses_WhT=True),
    }


def check_rnn_backward(fn, seed=0, forward=None):
    """forward: optionally the learner's rnn_forward, whose cache fn receives; by default
    the library's rnn_forward."""
    notes = set()
    for case in CASES:
        data = _data(case, seed)
        args = (data["x"], data["h0"], data["Wx"], data["Wh"], data["b"], case.nonlinearity)
        _, lib_cache = ref.rnn_forward(*args)
        cache = lib_cache
        if forward is not None:
            try:
                _, cache = call(forward, *args)[0]
            except Fail as fail:
                raise Fail("your rnn_forward (passed as forward=) failed: " + fail.message) from None
        rng = np.random.default_rng([seed, 9, case.N, case.T, case.D])
        dh = rng.standard_normal((case.N, case.T, case.D)).astype(case.dtype)
        result = _run(fn, "rnn_backward", case, dh, cache)
        got = returned_grads(result, "rnn_backward", _SEQ_GRAD_NAMES)
        want = dict(zip(_SEQ_GRAD_NAMES, ref.rnn_backward(dh, lib_cache)))
        faults = {name: [] for name in _SEQ_GRAD_NAMES}
        for message, grads in _bptt_variants(dh, lib_cache).items():
            for name in _SEQ_GRAD_NAMES:
                faults[name].append((message, grads[name]))
        if (np.asarray(got["dh0"]).shape == want["dh0"].shape and not np.any(got["dh0"])
                and np.any(want["dh0"])):
            raise Fail("dh0 is all zeros: the gradient does reach the initial state; it is what flows back "
                       "from the first step, da @ Wh (the last carried gradient of the loop)", case.text())
        shape_hints = {("dx", (case.T, case.N, case.d)): "dx is time-major (T, N, d); return it batch-first, "
                                                        f"(N, T, d) = {fmt_shape(want['dx'].shape)}"}
        _compare_grads(got, want, faults, case, notes, _SEQ_LETTERS, shape_hints, "dh")
    return _passed("rnn_backward", notes)
