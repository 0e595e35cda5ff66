"""Checkers for the gated memory cells: one LSTM step and one GRU step, in
PyTorch's form (the library's reference, ``rnn_course.lstm`` and ``rnn_course.gru``).

The learner's functions, with their fixed signatures:

    lstm_step_forward(x_t, h_prev, c_prev, Wx, Wh, b_ih, b_hh) -> (h_next, c_next, cache)
    - x_t: (N, d); h_prev, c_prev: (N, D)
    - Wx: (4D, d), Wh: (4D, D), b_ih, b_hh: (4D,), rows stacked in the gate order i, f, g, o
    - a = x_t Wx^T + b_ih + h_prev Wh^T + b_hh, split into four (N, D) blocks
      i = sigmoid(a_i), f = sigmoid(a_f), g = tanh(a_g), o = sigmoid(a_o)
    - c_next = f * c_prev + i * g; h_next = o * tanh(c_next); cache: anything (even None)

    gru_step_forward(x_t, h_prev, Wx, Wh, b_ih, b_hh) -> (h_next, cache)
    - x_t: (N, d); h_prev: (N, D)
    - Wx: (3D, d), Wh: (3D, D), b_ih, b_hh: (3D,), rows stacked in the gate order r, z, n
    - gx = x_t Wx^T + b_ih and gh = h_prev Wh^T + b_hh, each split into r, z, n blocks
      r = sigmoid(gx_r + gh_r), z = sigmoid(gx_z + gh_z), n = tanh(gx_n + r * gh_n)
    - h_next = (1 - z) * n + z * h_prev; cache: anything (even None)

Each check runs d = D, d != D, N = 1, float32 and large pre-activations, and
when the numbers are wrong tries the usual faults one by one, including every
other order of the gate blocks (naming the libraries that use it).
"""

from __future__ import annotations

import itertools
from contextlib import nullcontext
from typing import NamedTuple

import numpy as np

from ..gru import gru_step_forward
from ..lstm import lstm_step_forward
from ._run import Fail, as_array, call, check_dtype, close, describe_shape_mismatch, fmt_shape, worst_mismatch


class Case(NamedTuple):
    N: int
    d: int
    D: int
    dtype: type
    scale: float

    def text(self):
        extra = ", large pre-activations" if self.scale > 5 else ""
        return f"case: N={self.N}, d={self.d}, D={self.D}, {np.dtype(self.dtype).name}{extra}"


CASES = [
    Case(3, 4, 4, np.float64, 0.5),
    Case(2, 3, 5, np.float64, 0.5),  # d != D
    Case(1, 2, 3, np.float64, 0.5),  # N = 1
    Case(2, 5, 3, np.float32, 0.5),  # float32
    Case(2, 3, 4, np.float64, 500.0),  # saturated gates: sigmoid and tanh must not overflow
]


def _data(case, seed, gates):
    rng = np.random.default_rng([seed, 51, gates, case.N, case.d, case.D])
    N, d, D, G, dt = case.N, case.d, case.D, gates * case.D, case.dtype
    draw = lambda *shape: (0.5 * rng.standard_normal(shape)).astype(dt)  # noqa: E731
    return dict(x_t=(2 * case.scale * rng.standard_normal((N, d))).astype(dt), h_prev=draw(N, D),
                c_prev=(2 * rng.standard_normal((N, D))).astype(dt), Wx=draw(G, d), Wh=draw(G, D),
                b_ih=draw(G), b_hh=draw(G))


def _sigmoid(a):
    return 0.5 * (1 + np.tanh(0.5 * a))


_ACT = {"sigmoid": _sigmoid, "tanh": np.tanh, "tanh twice": lambda a: np.tanh(np.tanh(a))}


def _blocks(a, order, names):
    """{gate name: (N, D) block} when the columns of a are read in `order`."""
    D = a.shape[-1] // len(names)
    return {name: a[..., k * D:(k + 1) * D] for k, name in enumerate(order)}


def _run(fn, fn_name, case, shapes_note, *args):
    try:
        quiet = np.errstate(over="ignore", under="ignore", invalid="ignore") if case.scale > 5 else nullcontext()
        with quiet:  # a sigmoid written as 1 / (1 + np.exp(-a)) overflows harmlessly there
            result, mutated = call(fn, *args)
    except Fail as fail:
        msg = fail.message
        if "matmul" in msg or "shapes" in msg or "broadcast" in msg:
            msg += f" — on a case where d = {case.d} and D = {case.D}. {shapes_note}"
        raise Fail(msg, *fail.details, case.text()) from None
    if mutated:
        raise Fail(f"your {fn_name} changed its input `{mutated}` in place (e.g. with `+=`); a cell must leave its "
                   f"inputs as it found them", case.text())
    return result


def _outputs(result, fn_name, names):
    n = len(names)
    pattern = "(" + ", ".join(names) + ")"
    if result is None:
        raise Fail(f"your {fn_name} returned None — did you forget `return {', '.join(names)}`?")
    if isinstance(result, np.ndarray):
        raise Fail(f"your {fn_name} returned a single array; it must return {pattern} (the cache may be anything "
                   f"a backward pass would need, even None)")
    if not isinstance(result, (tuple, list)) or len(result) != n:
        got = f" of length {len(result)}" if isinstance(result, (tuple, list)) else ""
        raise Fail(f"your {fn_name} must return {pattern}, got {type(result).__name__}{got} (the cache may be None)")
    return [as_array(value, f"your {name}") for value, name in zip(result[:n - 1], names)]


def _dtype_note(got, case, notes, what):
    """A float64 result for float32 inputs is a fault (it used to pass with a note)."""
    check_dtype(got, case.dtype, f"your {what}", case.text())


def _diagnose(gots, wants, faults, case, names):
    """Fail with the fault whose outputs all match gots; faults: [(message, [outputs])]."""
    for g, name in zip(gots, names):
        check_dtype(g, case.dtype, f"your {name}", case.text(), lower_only=True)
    if all(close(g, w, case.dtype) for g, w in zip(gots, wants)):
        return
    for g, w, name in zip(gots, wants, names):
        if not np.all(np.isfinite(g)) and np.all(np.isfinite(w)):
            hint = (" with large pre-activations: use np.tanh, and a sigmoid that cannot overflow, e.g. "
                    "0.5 * (1 + np.tanh(a / 2))" if case.scale > 5 else "")
            raise Fail(f"your {name} contains NaN or inf{hint}", case.text())
    for message, outs in faults:
        if outs is not None and all(o is not None and close(g, o, case.dtype) for g, o in zip(gots, outs)):
            raise Fail(message, case.text())
    for g, w, name in zip(gots, wants, names):
        if not close(g, w, case.dtype):
            raise Fail(f"your {name} has the right shape but the wrong values", worst_mismatch(g, w), case.text())


def _order_faults(right, known, variant):
    """One fault per other order of the gate blocks; known: {order: whose order it is}."""
    faults = []
    for order in itertools.permutations(right):
        order = "".join(order)
        if order == right:
            continue
        who = f" — that is {known[order]}" if order in known else ""
        shown = ", ".join(order)
        faults.append((f"the gate blocks are read in the order ({shown}){who}. This book and PyTorch stack the "
                       f"rows of Wx, Wh, b_ih and b_hh as ({', '.join(right)}): block k is "
                       f"a[:, k*D:(k+1)*D]", variant(order=order)))
    return faults


# ---------------------------------------------------------------------------
# lstm_step_forward
# ---------------------------------------------------------------------------

_LSTM_SHAPES = ("x_t is (N, d), Wx is (4D, d) and Wh is (4D, D), so the four gates' pre-activations are "
                "`x_t @ Wx.T + b_ih + h_prev @ Wh.T + b_hh`, shape (N, 4D)")
_LSTM_ORDERS = {
    "ifog": "CS231n's order",
    "igfo": "TensorFlow 1's LSTMCell order (there g is called j)",
    "iofg": "ONNX's order (there g is called c)",
}


def _lstm(x, h, c, Wx, Wh, b_ih, b_hh, order="ifgo", g_act="tanh", gate_act="sigmoid", c_rule="right",
          h_rule="right", bias="both", use_h=True, forget_shift=0.0):
    """One LSTM step with one thing changed; returns [h_next, c_next]."""
    with np.errstate(all="ignore"):
        a = x @ Wx.T + (h @ Wh.T if use_h else 0)
        a = a + (b_ih if bias in ("both", "ih") else 0) + (b_hh if bias in ("both", "hh") else 0)
        blk = _blocks(a, order, "ifgo")
        blk["f"] = blk["f"] + forget_shift
        i, f, o = (_ACT[gate_act](blk[k]) for k in "ifo")
        g = _ACT[g_act](blk["g"])
        c_next = {"right": f * c + i * g, "no_forget": c + i * g, "no_prev": i * g,
                  "no_input": f * c + g}[c_rule]
        h_next = {"right": o * np.tanh(c_next), "no_tanh": o * c_next, "old_c": o * np.tanh(c),
                  "tanh_outside": np.tanh(o * c_next), "tanh_twice": o * np.tanh(np.tanh(c_next))}[h_rule]
    return [h_next, c_next]


def _lstm_faults(args):
    v = lambda **kw: _lstm(*args, **kw)  # noqa: E731
    want = v()
    return [
        ("your h_next and c_next are swapped: return (h_next, c_next, cache), the hidden state first",
         [want[1], want[0]]),
        ("the candidate g uses a sigmoid; it uses tanh, so that it can add negative amounts to the cell "
         "(the gates i, f and o use the sigmoid)", v(g_act="sigmoid")),
        ("sigmoid and tanh are swapped: the gates i, f and o use the sigmoid (they are switches between 0 "
         "and 1) and the candidate g uses tanh", v(g_act="sigmoid", gate_act="tanh")),
        ("every gate uses tanh: i, f and o use the sigmoid, only the candidate g uses tanh", v(gate_act="tanh")),
        ("your c_next has no forget gate: c_next = f * c_prev + i * g (the forget gate scales the old cell)",
         v(c_rule="no_forget")),
        ("your c_next ignores c_prev: the cell carries its memory on, c_next = f * c_prev + i * g",
         v(c_rule="no_prev")),
        ("your c_next has no input gate: c_next = f * c_prev + i * g (the input gate scales the candidate)",
         v(c_rule="no_input")),
        ("your h_next is missing the tanh: h_next = o * tanh(c_next), not o * c_next", v(h_rule="no_tanh")),
        ("your h_next uses the old cell c_prev; it uses the new one, h_next = o * tanh(c_next)", v(h_rule="old_c")),
        ("your h_next is tanh(o * c_next); the output gate multiplies after the tanh: h_next = o * tanh(c_next)",
         v(h_rule="tanh_outside")),
        ("only b_ih is added: PyTorch's LSTM has two bias vectors, and both go into the pre-activation, "
         "`... + b_ih + b_hh`", v(bias="ih")),
        ("only b_hh is added: PyTorch's LSTM has two bias vectors, and both go into the pre-activation, "
         "`... + b_ih + b_hh`", v(bias="hh")),
        ("both biases are missing: the pre-activation is x_t Wx^T + b_ih + h_prev Wh^T + b_hh", v(bias="none")),
        ("`h_prev` is ignored: the gates read the previous hidden state through `h_prev @ Wh.T`",
         v(use_h=False)),
        ("your forget gate's pre-activation is shifted by +1 (TensorFlow's forget_bias=1.0, or Keras's "
         "unit_forget_bias); in PyTorch's and this book's cell the forget gate is sigmoid(a_f) with nothing added: "
         "its bias lives in b_ih and b_hh", v(forget_shift=1.0)),
        ("your forget gate's pre-activation is shifted by -1; the forget gate is sigmoid(a_f) with nothing "
         "added: its bias lives in b_ih and b_hh", v(forget_shift=-1.0)),
        ("tanh is applied twice to the candidate, tanh(tanh(a_g)): g = tanh(a_g), once", v(g_act="tanh twice")),
        ("tanh is applied twice in h_next, o * tanh(tanh(c_next)): h_next = o * tanh(c_next), once",
         v(h_rule="tanh_twice")),
    ] + _order_faults("ifgo", _LSTM_ORDERS, v)


def check_lstm_step_forward(fn, seed=0):
    notes = set()
    names = ("h_next", "c_next", "cache")
    for case in CASES:
        data = _data(case, seed, 4)
        args = (data["x_t"], data["h_prev"], data["c_prev"], data["Wx"], data["Wh"], data["b_ih"], data["b_hh"])
        result = _run(fn, "lstm_step_forward", case, _LSTM_SHAPES, *args)
        gots = _outputs(result, "lstm_step_forward", names)
        want_h, want_c, _ = lstm_step_forward(*args)
        for g, w, name in zip(gots, (want_h, want_c), names):
            if g.shape != w.shape:
                if g.shape == (case.N, 4 * case.D):
                    raise Fail(f"your {name} has shape (N, 4D) = {fmt_shape(g.shape)}: that is the size of all four "
                               f"gates together; split the pre-activation into four (N, D) blocks first",
                               case.text())
                raise Fail(describe_shape_mismatch(g.shape, w.shape, ("N", "D")).replace(
                    "wrong output shape", f"wrong shape of {name}", 1), case.text())
        _diagnose(gots, [want_h, want_c], _lstm_faults(args), case, names)
        for g, name in zip(gots, names):
            _dtype_note(g, case, notes, name)
    msg = (f"lstm_step_forward matches the library's (and PyTorch's) LSTM cell on {len(CASES)} cases (d ≠ D, "
           f"N = 1, float32, saturated gates): gates in the order i, f, g, o, both biases, "
           f"c_next = f·c_prev + i·g and h_next = o·tanh(c_next).")
    return msg + (" Note: " + " ".join(sorted(notes)) if notes else "")


# ---------------------------------------------------------------------------
# gru_step_forward
# ---------------------------------------------------------------------------

_GRU_SHAPES = ("x_t is (N, d), Wx is (3D, d) and Wh is (3D, D): the two projections are "
               "`x_t @ Wx.T + b_ih` and `h_prev @ Wh.T + b_hh`, each (N, 3D)")
_GRU_ORDERS = {
    "zrn": "Keras's and ONNX's order (there n is called h)",
}


def _gru(x, h, Wx, Wh, b_ih, b_hh, order="rzn", reset="pytorch", mix="pytorch", gate_act="sigmoid",
         n_act="tanh", bias="both", use_h=True):
    """One GRU step with one thing changed; returns [h_next]."""
    with np.errstate(all="ignore"):
        bi = b_ih if bias in ("both", "ih") else 0 * b_ih
        bh = b_hh if bias in ("both", "hh") else 0 * b_hh
        hh = h if use_h else 0 * h
        gx = _blocks(x @ Wx.T + bi, order, "rzn")
        W = _blocks(Wh.T, order, "rzn")  # (D, D) column blocks of Wh^T
        b = _blocks(bh, order, "rzn")
        r = _ACT[gate_act](gx["r"] + hh @ W["r"] + b["r"])
        z = _ACT[gate_act](gx["z"] + hh @ W["z"] + b["z"])
        inner = {
            "pytorch": r * (hh @ W["n"] + b["n"]),
            "bias_outside": r * (hh @ W["n"]) + b["n"],
            "before_matmul": (r * hh) @ W["n"] + b["n"],
            "before_matmul_no_bhn": (r * hh) @ W["n"],
            "none": hh @ W["n"] + b["n"],
            "whole": r * (gx["n"] + hh @ W["n"] + b["n"]),
        }[reset]
        n = _ACT[n_act](inner if reset == "whole" else gx["n"] + inner)
        h_next = {"pytorch": (1 - z) * n + z * h, "swapped": z * n + (1 - z) * h, "no_h": (1 - z) * n,
                  "no_z": n}[mix]
    return [h_next]


def _gru_faults(args):
    v = lambda **kw: _gru(*args, **kw)  # noqa: E731
    return [
        ("in your step b_hn sits outside the reset product: you have r * (h_prev W_hn^T) + b_hn, PyTorch has "
         "r * (h_prev W_hn^T + b_hn). The reset gate scales the whole hidden projection, bias included (Keras "
         "calls this reset_after=True); the two agree only when b_hn = 0", v(reset="bias_outside")),
        ("the reset gate is applied to h_prev before the matrix product, (r * h_prev) W_hn^T: that is the "
         "GRU of Cho et al. (2014) as published (arXiv v3). PyTorch, cuDNN and this book apply it after the product: "
         "n = tanh(x_t W_in^T + b_in + r * (h_prev W_hn^T + b_hn))", v(reset="before_matmul")),
        ("the reset gate is applied to h_prev before the matrix product, and b_hn is left out: that is the "
         "GRU of Cho et al. (2014) as published (arXiv v3) with a single bias, Keras's reset_after=False. PyTorch's form is "
         "n = tanh(x_t W_in^T + b_in + r * (h_prev W_hn^T + b_hn))", v(reset="before_matmul_no_bhn")),
        ("the reset gate is applied to h_prev before the matrix product, and b_hh is left out: that is the "
         "GRU of Cho et al. (2014) as published (arXiv v3) with a single bias, Keras's reset_after=False. PyTorch's form has "
         "both biases, n = tanh(x_t W_in^T + b_in + r * (h_prev W_hn^T + b_hn)), and b_hr, b_hz in r and z",
         v(reset="before_matmul_no_bhn", bias="ih")),
        ("the reset gate is not used: n = tanh(x_t W_in^T + b_in + r * (h_prev W_hn^T + b_hn)) — r decides how "
         "much of the old state enters the candidate", v(reset="none")),
        ("the reset gate multiplies the whole pre-activation of n, input part included; it scales only the "
         "hidden part: n = tanh(x_t W_in^T + b_in + r * (h_prev W_hn^T + b_hn))", v(reset="whole")),
        ("the update gate works the wrong way round, z and 1 - z are swapped: in PyTorch's form z keeps the old "
         "state, h_next = (1 - z) * n + z * h_prev. Some texts (Chung et al., 2014) write the mirror image; "
         "with the same weights it is a different network", v(mix="swapped")),
        ("your h_next forgets h_prev: h_next = (1 - z) * n + z * h_prev — the update gate mixes the old state in",
         v(mix="no_h")),
        ("your h_next is just the candidate n: the update gate mixes it with the old state, "
         "h_next = (1 - z) * n + z * h_prev", v(mix="no_z")),
        ("the candidate n uses a sigmoid; it uses tanh (r and z use the sigmoid)", v(n_act="sigmoid")),
        ("the gates r and z use tanh; they use the sigmoid, so that they lie between 0 and 1",
         v(gate_act="tanh")),
        ("only b_ih is used: the GRU has two bias vectors, b_ih in x_t Wx^T + b_ih and b_hh in h_prev Wh^T + b_hh "
         "(its n block inside the reset product)", v(bias="ih")),
        ("only b_hh is used: the GRU has two bias vectors, b_ih in x_t Wx^T + b_ih and b_hh in h_prev Wh^T + b_hh",
         v(bias="hh")),
        ("both biases are missing: gx = x_t Wx^T + b_ih and gh = h_prev Wh^T + b_hh", v(bias="none")),
        ("`h_prev` is ignored in the gates and the candidate: they read it through `h_prev @ Wh.T`",
         v(use_h=False)),
    ] + _order_faults("rzn", _GRU_ORDERS, v)


def check_gru_step_forward(fn, seed=0):
    notes = set()
    names = ("h_next", "cache")
    for case in CASES:
        data = _data(case, seed, 3)
        args = (data["x_t"], data["h_prev"], data["Wx"], data["Wh"], data["b_ih"], data["b_hh"])
        result = _run(fn, "gru_step_forward", case, _GRU_SHAPES, *args)
        gots = _outputs(result, "gru_step_forward", names)
        want, _ = gru_step_forward(*args)
        got = gots[0]
        if got.shape != want.shape:
            if got.shape == (case.N, 3 * case.D):
                raise Fail(f"your h_next has shape (N, 3D) = {fmt_shape(got.shape)}: that is the size of all three "
                           f"blocks together; split the projections into r, z and n blocks of D columns",
                           case.text())
            raise Fail(describe_shape_mismatch(got.shape, want.shape, ("N", "D")).replace(
                "wrong output shape", "wrong shape of h_next", 1), case.text())
        _diagnose(gots, [want], _gru_faults(args), case, names)
        _dtype_note(got, case, notes, "h_next")
    msg = (f"gru_step_forward matches the library's (and PyTorch's) GRU cell on {len(CASES)} cases (d ≠ D, N = 1, "
           f"float32, saturated gates): gates in the order r, z, n, b_hn inside the reset product, and "
           f"h_next = (1 - z)·n + z·h_prev.")
    return msg + (" Note: " + " ".join(sorted(notes)) if notes else "")
