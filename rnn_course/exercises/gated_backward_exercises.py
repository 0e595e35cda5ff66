"""Checkers for the backward passes of one LSTM step and one GRU step, against
the library's ``rnn_course.lstm.lstm_step_backward`` and
``rnn_course.gru.gru_step_backward`` (PyTorch's gate orders).

The learner's functions, with their fixed signatures:

    lstm_step_backward(dh_next, dc_next, cache)
        -> (dx_t, dh_prev, dc_prev, dWx, dWh, db_ih, db_hh)
    - dh_next, dc_next: (N, D) gradients at h_next and at c_next (what reaches
      c_next from later steps, not through h_next)
    - cache: the library's LSTMStepCache, as ``rnn_course.lstm_step_forward``
      returns it, with the named fields x_t (N, d), h_prev (N, D), c_prev (N, D),
      Wx (4D, d), Wh (4D, D), gates (N, 4D) the gate values i, f, g, o (after
      their sigmoid or tanh) and tanh_c (N, D) = tanh(c_next)
    - dx_t (N, d), dh_prev (N, D), dc_prev (N, D), dWx (4D, d), dWh (4D, D),
      db_ih and db_hh (4D,), equal to each other

    gru_step_backward(dh_next, cache) -> (dx_t, dh_prev, dWx, dWh, db_ih, db_hh)
    - dh_next: (N, D)
    - cache: the library's GRUStepCache, as ``rnn_course.gru_step_forward``
      returns it: x_t (N, d), h_prev (N, D), Wx (3D, d), Wh (3D, D), gates
      (N, 3D) the values r, z, n, and gh_n (N, D) = h_prev W_hn^T + b_hn
    - dx_t (N, d), dh_prev (N, D), dWx (3D, d), dWh (3D, D), db_ih and db_hh
      (3D,), which differ in the n block, where b_hn is scaled by r

The learner reads the library's cache rather than one of their own, so the
exercise stands on its own whatever the forward exercise returned as a cache
(it may be None there). When the numbers are wrong, the checks run the
reference with one term changed at a time (one gate's derivative, the cell
state's paths, the reset gate's place, the side of (1 - z), the order of the
blocks, the bias sums) and name the variant that matches.
"""

from __future__ import annotations

import numpy as np

from ..gru import gru_step_backward, gru_step_forward
from ..lstm import lstm_step_backward, lstm_step_forward
from ._run import Fail, as_array, returned_grads, check_dtype, close, describe_shape_mismatch, fmt_shape, worst_mismatch
from .gated_exercises import CASES, _data, _run


def _upstream(case, seed, count):
    rng = np.random.default_rng([seed, 53, case.N, case.d, case.D])
    return [rng.standard_normal((case.N, case.D)).astype(case.dtype) for _ in range(count)]


def _compare(got, want, faults, case, letters, G):
    """Fail with a sentence unless every gradient in got matches want.

    faults: [(message, {name: value})], the reference with one thing changed; the first whose every
    gradient matches, else the first whose value matches the learner's first wrong gradient, is named.
    """
    names = list(want)
    for name in names:
        g, w = got[name], want[name]
        if g.shape == w.shape:
            continue
        what = {"dWx": "Wx", "dWh": "Wh"}.get(name)
        # The gradient at the pre-activation that this weight or bias reads: da for the LSTM, dgx (input side)
        # or dgh (hidden side) for the GRU.
        at = "da" if G == 4 else ("dgx" if name in ("dWx", "db_ih") else "dgh")
        if what and g.shape == w.shape[::-1]:
            raise Fail(f"your {name} is transposed: it must have {what}'s shape ({G}D, {letters[name][1]}) = "
                       f"{fmt_shape(w.shape)}, so {name} = {at}.T @ {'x_t' if name == 'dWx' else 'h_prev'}",
                       case.text())
        if name.startswith("db") and g.shape == (case.N, w.shape[0]):
            raise Fail(f"your {name} has one row per sequence, shape (N, {G}D) = {fmt_shape(g.shape)}: sum over "
                       f"the batch axis, {name} = {at}.sum(axis=0)", case.text())
        raise Fail(f"{name}: " + describe_shape_mismatch(g.shape, w.shape, letters[name]), case.text())
    for name in names:
        check_dtype(got[name], case.dtype, f"your {name}", case.text(), lower_only=True)
    wrong = [name for name in names if not close(got[name], want[name], case.dtype)]
    if not wrong:
        for name in names:
            check_dtype(got[name], case.dtype, f"your {name}", case.text(), like="dh_next")
        return
    order = _wrong_order(got, want, case.dtype)
    if order:
        raise Fail(f"the gradients are right but returned in the wrong order, ({', '.join(order)}); return "
                   f"({', '.join(names)})", case.text())
    first = wrong[0]
    if not np.all(np.isfinite(got[first])):
        raise Fail(f"your {first} contains NaN or inf", case.text())
    for message, outs in faults:
        if all(close(got[n], outs[n], case.dtype) for n in names):
            raise Fail(message, case.text())
    for message, outs in faults:
        if not close(outs[first], want[first], case.dtype) and close(got[first], outs[first], case.dtype):
            raise Fail(f"{message} (seen in your {first})", case.text())
    raise Fail(f"your {first} has the right shape but the wrong values", worst_mismatch(got[first], want[first]),
               case.text())


def _wrong_order(got, want, dtype):
    names, order = list(want), []
    for name in names:
        match = [m for m in names if m not in order and want[m].shape == got[name].shape
                 and close(got[name], want[m], dtype)]
        if not match:
            return None
        order.append(match[0])
    return order if order != names else None


# ---------------------------------------------------------------------------
# lstm_step_backward
# ---------------------------------------------------------------------------

LSTM_GRADS = ("dx_t", "dh_prev", "dc_prev", "dWx", "dWh", "db_ih", "db_hh")
_LSTM_LETTERS = {"dx_t": ("N", "d"), "dh_prev": ("N", "D"), "dc_prev": ("N", "D"), "dWx": ("4D", "d"),
                 "dWh": ("4D", "D"), "db_ih": ("4D",), "db_hh": ("4D",)}


def _lstm_back(dh, dc_next, c, d_i="sigmoid", d_f="sigmoid", d_g="tanh", d_o="sigmoid", f_reads="c_prev",
               o_reads="tanh_c", dc_path="both", dc_prev="dc * f", order="ifgo", db="sum", db_hh="same"):
    """The gradients of one LSTM step, with one term changed; returns {name: value}."""
    i, f, g, o = np.split(c.gates, 4, axis=1)
    tc = c.tanh_c
    c_next = f * c.c_prev + i * g
    deriv = {"sigmoid": lambda s: s * (1 - s), "tanh": lambda s: 1 - s * s, "none": lambda s: 1}
    into_c = {"both": dc_next + dh * o * (1 - tc * tc), "no_h": dc_next, "no_next": dh * o * (1 - tc * tc),
              "no_tanh_deriv": dc_next + dh * o}
    dc = into_c[dc_path]
    blocks = {
        "i": dc * g * deriv[d_i](i),
        "f": dc * {"c_prev": c.c_prev, "c_next": c_next}[f_reads] * deriv[d_f](f),
        "g": dc * i * deriv[d_g](g),
        "o": dh * {"tanh_c": tc, "c_next": c_next, "nothing": 1}[o_reads] * deriv[d_o](o),
    }
    da = np.concatenate([blocks[k] for k in order], axis=1)  # 4 x (N, D) -> (N, 4D)
    dbias = da.sum(axis=0) if db == "sum" else da.mean(axis=0)
    return dict(dx_t=da @ c.Wx, dh_prev=da @ c.Wh,
                dc_prev={"dc * f": dc * f, "dc": dc, "dc_next * f": dc_next * f}[dc_prev],
                dWx=da.T @ c.x_t, dWh=da.T @ c.h_prev, db_ih=dbias,
                db_hh=dbias if db_hh == "same" else np.zeros_like(dbias))


def _lstm_faults(dh, dc_next, c):
    v = lambda **kw: _lstm_back(dh, dc_next, c, **kw)  # noqa: E731
    faults = [
        ("the gradient that reaches c_next through h_next is missing: c_next feeds h_next = o * tanh(c_next) as "
         "well as the next step, so dc = dc_next + dh_next * o * (1 - tanh_c**2)", v(dc_path="no_h")),
        ("dc_next is left out: the cell state also carries gradient from later steps, dc = dc_next + "
         "dh_next * o * (1 - tanh_c**2)", v(dc_path="no_next")),
        ("on the path h_next -> c_next the tanh's derivative is missing: h_next = o * tanh(c_next), so the "
         "path adds dh_next * o * (1 - tanh_c**2) to dc, not dh_next * o", v(dc_path="no_tanh_deriv")),
        ("your dc_prev is missing the forget gate: c_next = f * c_prev + i * g, so dc_prev = dc * f",
         v(dc_prev="dc")),
        ("your dc_prev uses only dc_next: the gradient at c_next is dc = dc_next + dh_next * o * "
         "(1 - tanh_c**2), both paths, and dc_prev = dc * f", v(dc_prev="dc_next * f")),
        ("the sigmoid gates i, f and o use tanh's derivative 1 - s**2; a sigmoid's is s * (1 - s)",
         v(d_i="tanh", d_f="tanh", d_o="tanh")),
        ("no gate's derivative is applied: each block of da needs its nonlinearity's derivative, s * (1 - s) "
         "for i, f, o and 1 - g**2 for g", v(d_i="none", d_f="none", d_g="none", d_o="none")),
        ("the input gate i is missing its derivative: da_i = dc * g * i * (1 - i)", v(d_i="none")),
        ("the forget gate f is missing its derivative: da_f = dc * c_prev * f * (1 - f)", v(d_f="none")),
        ("the candidate g is missing tanh's derivative: da_g = dc * i * (1 - g**2)", v(d_g="none")),
        ("the candidate g uses a sigmoid's derivative; g = tanh(a_g), so da_g = dc * i * (1 - g**2)",
         v(d_g="sigmoid")),
        ("the output gate o is missing its derivative: da_o = dh_next * tanh_c * o * (1 - o)", v(d_o="none")),
        ("the forget gate's block uses c_next; f multiplies c_prev, so da_f = dc * c_prev * f * (1 - f)",
         v(f_reads="c_next")),
        ("the output gate's block uses c_next; o multiplies tanh(c_next), so da_o = dh_next * tanh_c * o * (1 - o)",
         v(o_reads="c_next")),
        ("the output gate's block is missing tanh(c_next): h_next = o * tanh(c_next), so da_o = dh_next * "
         "tanh_c * o * (1 - o)", v(o_reads="nothing")),
        ("db is averaged over the batch; the loss's gradient sums over it: db = da.sum(axis=0)", v(db="mean")),
        ("db_hh is zero: b_ih and b_hh are added to the same pre-activation, so their gradients are equal, "
         "db_hh = db_ih", v(db_hh="zero")),
    ]
    for order, who in (("ifog", " (CS231n's order)"), ("igfo", ""), ("fiog", ""), ("ifgo"[::-1], "")):
        faults.append((f"the four blocks of da are stacked in the order ({', '.join(order)}){who}; the rows of "
                       f"Wx, Wh and the biases are in the order (i, f, g, o), and da's blocks must follow them",
                       v(order=order)))
    return faults


def check_lstm_step_backward(fn, seed=0):
    for case in CASES:
        data = _data(case, seed, 4)
        _, _, cache = lstm_step_forward(data["x_t"], data["h_prev"], data["c_prev"], data["Wx"], data["Wh"],
                                        data["b_ih"], data["b_hh"])
        dh, dc = _upstream(case, seed, 2)
        result = _run(fn, "lstm_step_backward", case, "da is (N, 4D), Wx (4D, d) and Wh (4D, D): "
                      "dx_t = da @ Wx, dh_prev = da @ Wh", dh, dc, cache)
        got = returned_grads(result, "lstm_step_backward", LSTM_GRADS, your=True)
        want = dict(zip(LSTM_GRADS, lstm_step_backward(dh, dc, cache)))
        _compare(got, want, _lstm_faults(dh, dc, cache), case, _LSTM_LETTERS, 4)
    return (f"lstm_step_backward matches the library's on {len(CASES)} cases (d ≠ D, N = 1, float32, saturated "
            f"gates): both paths into c_next, every gate's derivative, dc_prev = dc·f, and the blocks of da in "
            f"the order i, f, g, o.")


# ---------------------------------------------------------------------------
# gru_step_backward
# ---------------------------------------------------------------------------

GRU_GRADS = ("dx_t", "dh_prev", "dWx", "dWh", "db_ih", "db_hh")
_GRU_LETTERS = {"dx_t": ("N", "d"), "dh_prev": ("N", "D"), "dWx": ("3D", "d"), "dWh": ("3D", "D"),
                "db_ih": ("3D",), "db_hh": ("3D",)}


def _gru_back(dh, c, d_r="sigmoid", d_z="sigmoid", d_n="tanh", mix="pytorch", write=True, direct=True,
              dz_sign=1, reset="inside", bias_hn="inside", dx_from="dgx", order="rzn", db="sum"):
    """The gradients of one GRU step, with one term changed; returns {name: value}."""
    r, z, n = np.split(c.gates, 3, axis=1)
    hp, D = c.h_prev, c.h_prev.shape[1]
    deriv = {"sigmoid": lambda s: s * (1 - s), "tanh": lambda s: 1 - s * s, "none": lambda s: 1}
    keep, new = (z, 1 - z) if mix == "pytorch" else (1 - z, z)
    dn = dh * (new if write else 1) * deriv[d_n](n)
    dz = dz_sign * dh * (hp - n if mix == "pytorch" else n - hp) * deriv[d_z](z)
    W_hn = c.Wh[2 * D:]
    if reset == "before_full":  # n = tanh(gx_n + (r * h_prev) W_hn^T + b_hn): r's gradient comes through W_hn too
        dr = (dn @ W_hn) * hp * deriv[d_r](r)
    else:
        dr = dn * c.gh_n * deriv[d_r](r)
    dgh_n = {"inside": dn * r, "ignored": dn, "before": dn, "before_full": dn}[reset]

    def stack(blocks):
        named = dict(zip("rzn", blocks))
        return np.concatenate([named[k] for k in order], axis=1)

    dgx = stack([dr, dz, dn])
    dgh = stack([dr, dz, dgh_n])
    dh_prev = dgh @ c.Wh
    dWh = dgh.T @ hp
    if reset in ("before", "before_full"):  # differentiating (r * h_prev) W_hn^T, the reset before the product
        dh_prev = dh_prev - dn @ W_hn + (dn @ W_hn) * r
        dWh = dWh.copy()
        dWh[2 * D:] = dn.T @ (r * hp)
    if direct:
        dh_prev = dh_prev + dh * keep
    sums = (lambda a: a.sum(axis=0)) if db == "sum" else (lambda a: a.mean(axis=0))
    db_hh = sums(dgh)
    if bias_hn == "outside":
        db_hh = db_hh.copy()
        db_hh[2 * D:] = sums(dn)
    return dict(dx_t=(dgx if dx_from == "dgx" else dgh) @ c.Wx, dh_prev=dh_prev, dWx=dgx.T @ c.x_t, dWh=dWh,
                db_ih=sums(dgx), db_hh=db_hh)


def _gru_faults(dh, c):
    v = lambda **kw: _gru_back(dh, c, **kw)  # noqa: E731
    before = ("you differentiated (r * h_prev) W_hn^T, the reset gate applied to h_prev before the product (as in "
              "Cho et al.'s EMNLP version); this book's GRU (PyTorch's) applies it after the product and its bias, "
              "r * (h_prev W_hn^T + b_hn): the gradient at gh_n is dn * r, so dh_prev gets (dn * r) @ W_hn, "
              "dW_hn = (dn * r).T @ h_prev, and the reset gate's own gradient is dr = dn * gh_n * r * (1 - r)")
    return [
        ("the (1 - z) side is swapped: in PyTorch's form h_next = (1 - z) * n + z * h_prev, so n gets "
         "dh_next * (1 - z), h_prev gets dh_next * z directly, and dz = dh_next * (h_prev - n) * z * (1 - z)",
         v(mix="swapped")),
        ("dh_prev is missing the direct path: h_next = (1 - z) * n + z * h_prev sends dh_next * z straight to "
         "h_prev, besides what flows back through the gates and the candidate", v(direct=False)),
        ("your dz has the wrong sign: h_next = n + z * (h_prev - n), so ∂h_next/∂z = h_prev - n",
         v(dz_sign=-1)),
        ("the candidate's gradient is missing the factor (1 - z): h_next = (1 - z) * n + z * h_prev, so "
         "dn = dh_next * (1 - z) * (1 - n**2)", v(write=False)),
        ("the reset gate is missing on the hidden path: n = tanh(gx_n + r * gh_n), so the gradient at "
         "gh_n = h_prev W_hn^T + b_hn is dn * r (the n block of dgh), while the input side gets dn",
         v(reset="ignored")),
        *((before, v(reset=kind)) for kind in ("before", "before_full")),
        ("db_hh's n block is dn.sum(axis=0), as if b_hn sat outside the reset product; it sits inside it, "
         "r * (h_prev W_hn^T + b_hn), so db_hh's n block is (dn * r).sum(axis=0) and differs from db_ih's",
         v(bias_hn="outside")),
        ("dx_t uses the n block scaled by r; the reset gate scales only the hidden projection, so the input "
         "side's n block is dn: dx_t = dgx @ Wx", v(dx_from="dgh")),
        ("no gate's derivative is applied: r and z need s * (1 - s) and the candidate n needs 1 - n**2",
         v(d_r="none", d_z="none", d_n="none")),
        ("the reset gate r is missing its derivative: dr = dn * gh_n * r * (1 - r)", v(d_r="none")),
        ("the update gate z is missing its derivative: dz = dh_next * (h_prev - n) * z * (1 - z)",
         v(d_z="none")),
        ("the candidate n is missing tanh's derivative: dn = dh_next * (1 - z) * (1 - n**2)", v(d_n="none")),
        ("the candidate n uses a sigmoid's derivative; n = tanh(...), so dn = dh_next * (1 - z) * (1 - n**2)",
         v(d_n="sigmoid")),
        ("the gates r and z use tanh's derivative 1 - s**2; a sigmoid's is s * (1 - s)",
         v(d_r="tanh", d_z="tanh")),
        ("db is averaged over the batch; the loss's gradient sums over it: db_ih = dgx.sum(axis=0), "
         "db_hh = dgh.sum(axis=0)", v(db="mean")),
        ("the three blocks are stacked in the order (z, r, n) (Keras's order); the rows of Wx, Wh and the "
         "biases are in the order (r, z, n), and the gradients' blocks must follow them", v(order="zrn")),
        ("the three blocks are stacked in the order (n, z, r); the rows of Wx, Wh and the biases are in the "
         "order (r, z, n), and the gradients' blocks must follow them", v(order="nzr")),
    ]


def check_gru_step_backward(fn, seed=0):
    for case in CASES:
        data = _data(case, seed, 3)
        _, cache = gru_step_forward(data["x_t"], data["h_prev"], data["Wx"], data["Wh"], data["b_ih"],
                                    data["b_hh"])
        (dh,) = _upstream(case, seed, 1)
        result = _run(fn, "gru_step_backward", case, "dgx and dgh are (N, 3D), Wx (3D, d) and Wh (3D, D): "
                      "dx_t = dgx @ Wx, and dh_prev gets dgh @ Wh", dh, cache)
        got = returned_grads(result, "gru_step_backward", GRU_GRADS, your=True)
        want = dict(zip(GRU_GRADS, gru_step_backward(dh, cache)))
        _compare(got, want, _gru_faults(dh, cache), case, _GRU_LETTERS, 3)
    return (f"gru_step_backward matches the library's on {len(CASES)} cases (d ≠ D, N = 1, float32, saturated "
            f"gates): the (1 - z) side, the direct path dh_next·z, the reset gate applied after the hidden "
            f"product and its bias (db_hh's n block is (dn·r) summed), and the blocks in the order r, z, n.")
