"""Checkers for the Deep and bidirectional RNNs chapter: a stacked forward and
a bidirectional forward, both built from the tanh RNN of the earlier chapters,
and reading one summary per sentence out of a bidirectional RNN's results.

The learner's functions, with their fixed signatures (states start from zeros):

    stacked_rnn_forward(x, Wxs, Whs, bs) -> (h, h_n)
    - x: (N, T, d) input sequences
    - Wxs: a list of L input weights: Wxs[0] is (D, d); Wxs[k] for k > 0 is
      (D, D), since layer k reads layer k-1's hidden states
    - Whs: a list of L (D, D) hidden weights; bs: a list of L (D,) biases
    - h: (N, T, D) the top layer's hidden state at every step
    - h_n: (L, N, D) the last hidden state of every layer, bottom layer first
      (PyTorch's h_n for num_layers = L)

    bidirectional_rnn_forward(x, Wx_f, Wh_f, b_f, Wx_b, Wh_b, b_b) -> h
    - x: (N, T, d); Wx_f, Wx_b: (D, d); Wh_f, Wh_b: (D, D); b_f, b_b: (D,)
    - h: (N, T, 2D), h[:, t] = [forward h_t, backward h_t]: the backward
      direction reads the sequence back to front, and its states are turned the
      right way round again before the concatenation. Returning the pair
      (h, anything) is accepted too.

    sentence_summary(output, h_n, lengths) -> s
    - output: (N, T, 2D), h_n: (L*2, N, D), what a bidirectional RNN of L
      layers (the library's RNN, or torch.nn.RNN with batch_first=True and
      packed sequences) returns for a padded batch with true lengths (N,)
    - s: (N, 2D), s[n] = [the top layer's forward state after sentence n's last
      real token ; its backward state at the first token, read last], that is
      [h_n[-2] ; h_n[-1]] = [output[n, lengths[n] - 1, :D] ; output[n, 0, D:]]

The expected values come from the library's ``RNN`` module (``num_layers=L``,
``bidirectional=True``), whose stacking matches ``torch.nn.RNN``. Cases: d = D
first (so that feeding x to every layer, or running the layers in the wrong
order, gives numbers to diagnose rather than a crash), then d != D, L = 1, 2
and 3, N = 1 and T = 1, float32 and large inputs. sentence_summary's cases are
run through the library's bidirectional RNN with ``lengths``; the first has
2 layers and sentences both full-length and padded (one of a single token), so
that each fault gives its own numbers.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..rnn import RNN, rnn_forward
from ._run import Fail, as_array, call, check_dtype, close, describe_shape_mismatch, fmt_shape, worst_mismatch


class Case(NamedTuple):
    N: int
    T: int
    d: int
    D: int
    L: int
    dtype: type
    scale: float

    def text(self, layers=True):
        dt = np.dtype(self.dtype).name
        extra = ", large inputs" if self.scale > 5 else ""
        lay = f", L={self.L}" if layers else ""
        return f"case: N={self.N}, T={self.T}, d={self.d}, D={self.D}{lay}, {dt}{extra}"


STACKED_CASES = [
    Case(3, 4, 4, 4, 2, np.float64, 0.5),  # d == D: x fed to every layer gives numbers, not a crash
    Case(2, 5, 3, 5, 3, np.float64, 0.5),  # d != D, three layers
    Case(1, 1, 2, 3, 2, np.float64, 0.5),  # N = 1, T = 1
    Case(2, 3, 5, 3, 2, np.float32, 0.5),  # float32, D < d
    Case(2, 4, 3, 4, 1, np.float64, 0.5),  # a single layer is a plain RNN
    Case(2, 3, 3, 4, 2, np.float64, 500.0),  # tanh saturates, it must not overflow
]

BIDIRECTIONAL_CASES = [
    Case(3, 4, 4, 4, 1, np.float64, 0.5),  # d == D and N > 1: a reversal along the batch axis shows
    Case(2, 5, 3, 5, 1, np.float64, 0.5),  # d != D
    Case(1, 1, 2, 3, 1, np.float64, 0.5),  # N = 1, T = 1
    Case(2, 3, 5, 3, 1, np.float32, 0.5),  # float32
    Case(3, 6, 3, 2, 1, np.float64, 0.5),  # T > D: concatenating along time is visible from the shape
    Case(2, 3, 3, 4, 1, np.float64, 500.0),  # tanh saturates, it must not overflow
]


def _weights(rng, shape, dtype):
    return (0.6 * rng.standard_normal(shape)).astype(dtype)


def _stacked_data(case, seed):
    rng = np.random.default_rng([seed, 11, case.N, case.T, case.d, case.D, case.L])
    N, T, d, D, dt = case.N, case.T, case.d, case.D, case.dtype
    x = (case.scale * rng.standard_normal((N, T, d))).astype(dt)
    Wxs = [_weights(rng, (D, d if k == 0 else D), dt) for k in range(case.L)]
    Whs = [_weights(rng, (D, D), dt) for _ in range(case.L)]
    bs = [_weights(rng, (D,), dt) for _ in range(case.L)]
    return x, Wxs, Whs, bs


def _bidirectional_data(case, seed):
    rng = np.random.default_rng([seed, 13, case.N, case.T, case.d, case.D])
    N, T, d, D, dt = case.N, case.T, case.d, case.D, case.dtype
    x = (case.scale * rng.standard_normal((N, T, d))).astype(dt)
    w = [_weights(rng, s, dt) for s in [(D, d), (D, D), (D,), (D, d), (D, D), (D,)]]
    return (x, *w)


# ---------------------------------------------------------------------------
# The references: the library's RNN module, loaded with the exercise's weights
# ---------------------------------------------------------------------------


def stacked_rnn_forward(x, Wxs, Whs, bs):
    """Reference: L tanh RNN layers, layer k reading layer k-1's states.

    x: (N, T, d); Wxs[0]: (D, d), Wxs[k > 0]: (D, D); Whs[k]: (D, D); bs[k]: (D,).
    Returns (h, h_n): h (N, T, D) the top layer's states, h_n (L, N, D).
    """
    L = len(Wxs)
    D, d = np.shape(Wxs[0])
    dtype = np.result_type(x, *Wxs, *Whs, *bs)
    rnn = RNN(d, D, num_layers=L, seed=0, dtype=dtype)
    state = {}
    for k in range(L):
        state.update({f"weight_ih_l{k}": Wxs[k], f"weight_hh_l{k}": Whs[k],
                      f"bias_ih_l{k}": bs[k], f"bias_hh_l{k}": np.zeros(D, dtype=dtype)})
    rnn.load_state_dict(state)
    return rnn.forward(x)  # (N, T, D), (L, N, D)


def bidirectional_rnn_forward(x, Wx_f, Wh_f, b_f, Wx_b, Wh_b, b_b):
    """Reference: a forward and a backward tanh RNN over x, concatenated.

    x: (N, T, d); Wx_*: (D, d); Wh_*: (D, D); b_*: (D,). Returns h: (N, T, 2D).
    """
    D, d = np.shape(Wx_f)
    dtype = np.result_type(x, Wx_f, Wh_f, b_f, Wx_b, Wh_b, b_b)
    rnn = RNN(d, D, bidirectional=True, seed=0, dtype=dtype)
    zeros = np.zeros(D, dtype=dtype)
    rnn.load_state_dict({
        "weight_ih_l0": Wx_f, "weight_hh_l0": Wh_f, "bias_ih_l0": b_f, "bias_hh_l0": zeros,
        "weight_ih_l0_reverse": Wx_b, "weight_hh_l0_reverse": Wh_b, "bias_ih_l0_reverse": b_b,
        "bias_hh_l0_reverse": zeros,
    })
    return rnn.forward(x)[0]  # (N, T, 2D)


# ---------------------------------------------------------------------------
# Shared pieces
# ---------------------------------------------------------------------------


def _layer(x, Wx, Wh, b, h0=None):
    """One tanh layer over a sequence with the library's rnn_forward: (N, T, D)."""
    return rnn_forward(x, h0, Wx, Wh, b)[0]


def _maybe(fn):
    """fn() or None when the fault cannot be computed for these shapes."""
    try:
        with np.errstate(all="ignore"):
            return fn()
    except (ValueError, TypeError, IndexError):
        return None


def _run(fn, fn_name, case, letters_note, *args):
    try:
        result, mutated = call(fn, *args)
    except Fail as fail:
        msg = fail.message
        if case.d != case.D and ("matmul" in msg or "shapes" in msg or "broadcast" in msg):
            msg += f" — on a case where d = {case.d} and D = {case.D}. {letters_note}"
        raise Fail(msg, *fail.details, case.text(fn_name == "stacked_rnn_forward")) from None
    if mutated:
        raise Fail(f"your {fn_name} changed its input `{mutated}` in place; a layer must leave its inputs as it "
                   f"found them", case.text(fn_name == "stacked_rnn_forward"))
    return result


def _shape_of(name, got, want, letters):
    """'wrong shape of h_n: expected (L, N, D) = ..., got ...'."""
    return describe_shape_mismatch(got, want, letters).replace("wrong output shape", f"wrong shape of {name}", 1)


def _verdict(got, want, case, faults, what, layers=True):
    check_dtype(got, case.dtype, f"your {what}", case.text(layers), lower_only=True)
    if close(got, want, case.dtype):
        return
    if not np.all(np.isfinite(got)) and np.all(np.isfinite(want)):
        hint = " with large inputs: compute tanh with np.tanh, not from exponentials" if case.scale > 5 else ""
        raise Fail(f"your {what} contains NaN or inf{hint}", case.text(layers))
    for message, candidate in faults:
        if candidate is not None and np.shape(candidate) == got.shape and close(got, candidate, case.dtype):
            raise Fail(message, case.text(layers))
    raise Fail(f"your {what} has the right shape but the wrong values", worst_mismatch(got, want), case.text(layers))


def _dtype_note(got, case, notes, what, layers=True):
    """A float64 result for float32 inputs is a fault (it used to pass with a note)."""
    check_dtype(got, case.dtype, f"your {what}", case.text(layers))


# ---------------------------------------------------------------------------
# stacked_rnn_forward
# ---------------------------------------------------------------------------

_STACK_SHAPES = ("Check the shapes layer by layer: layer 0 reads x (N, T, d) with Wxs[0] (D, d); every later "
                 "layer reads the (N, T, D) states of the layer below with Wxs[k] (D, D)")


def _stack(x, Wxs, Whs, bs, order=None, inputs="below", start="zeros", weights=None, step=None):
    """A stack run with one thing changed; returns (top h, [each layer's states])."""
    L = len(Wxs)
    order = list(range(L)) if order is None else order
    layer_in, states, h_last = x, [], None
    for k in order:
        j = k if weights is None else weights
        h0 = h_last if start == "previous" and h_last is not None else None
        src = x if inputs == "x" else layer_in
        out = _layer(src, Wxs[j], Whs[j], bs[j], h0) if step is None else step(src, Wxs[j], Whs[j], bs[j])
        states.append(out)
        layer_in, h_last = out, out[:, -1]
    return layer_in, states


def _faulty_layer(kind):
    """A layer with one classic mistake in its step: "WhT" (h @ Wh), "WxT" (x_t @ Wx) or "nobias"."""
    def run(x, Wx, Wh, b):
        h = np.zeros((x.shape[0], Wh.shape[0]), dtype=x.dtype)
        out = []
        for t in range(x.shape[1]):
            a = (x[:, t] @ Wx if kind == "WxT" else x[:, t] @ Wx.T) + (h @ Wh if kind == "WhT" else h @ Wh.T)
            h = np.tanh(a if kind == "nobias" else a + b)
            out.append(h)
        return np.stack(out, axis=1)
    return run


def _stacked_faults(x, Wxs, Whs, bs, case):
    L = len(Wxs)
    deep = L > 1
    return [
        ("every layer reads the input x: layer k+1 must read layer k's output sequence (its states h at "
         "every step); that is what makes the stack deep",
         _maybe(lambda: _stack(x, Wxs, Whs, bs, inputs="x")[0]) if deep else None),
        ("your h is the first layer's output; return the top (last) layer's states, which have passed through "
         "all L layers", _layer(x, Wxs[0], Whs[0], bs[0]) if deep else None),
        ("the layers run in the wrong order: layer 0 (the one whose Wxs[0] is (D, d)) reads x, then layer 1 "
         "reads its output, and so on up to layer L-1",
         _maybe(lambda: _stack(x, Wxs, Whs, bs, order=list(range(L))[::-1])[0]) if deep else None),
        ("every layer uses the first layer's weights: layer k uses Wxs[k], Whs[k] and bs[k]",
         _maybe(lambda: _stack(x, Wxs, Whs, bs, weights=0)[0]) if deep else None),
        ("each layer starts from the last state of the layer below; every layer starts from zeros (its own "
         "h0), and reads the layer below only through its input sequence",
         _stack(x, Wxs, Whs, bs, start="previous")[0] if deep else None),
        ("in each layer, `h_prev` is multiplied by `Wh` instead of `Wh.T`: Whs[k] is stored as (D, D) like "
         "the note's W_h, so the batch form is `h_prev @ Wh.T`",
         _maybe(lambda: _stack(x, Wxs, Whs, bs, step=_faulty_layer("WhT"))[0])),
        ("in each layer, the input weight looks transposed: Wxs[k] is stored as (D, d) like the note's W_x, "
         "so the batch form is `x_t @ Wx.T` (the two only coincide when d = D)",
         _maybe(lambda: _stack(x, Wxs, Whs, bs, step=_faulty_layer("WxT"))[0]) if case.d == case.D else None),
        ("in each layer, the bias is missing: layer k adds bs[k]",
         _maybe(lambda: _stack(x, Wxs, Whs, bs, step=_faulty_layer("nobias"))[0])),
    ]


def _split_pair(result, fn_name, pair):
    if result is None:
        raise Fail(f"your {fn_name} returned None — did you forget `return {pair}`?")
    if isinstance(result, np.ndarray):
        raise Fail(f"your {fn_name} returned a single array; it must return the pair {pair}")
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise Fail(f"your {fn_name} must return the pair {pair}, got {type(result).__name__}"
                   + (f" of length {len(result)}" if isinstance(result, (tuple, list)) else ""))
    return result


def _h_n_array(value, case):
    try:
        return as_array(value, "the returned h_n", allow_list=True)
    except Fail:
        raise
    except Exception:  # e.g. a list of arrays of different shapes
        raise Fail(f"your h_n must be one array of shape (L, N, D) = {fmt_shape((case.L, case.N, case.D))}, e.g. "
                   f"np.stack(last_states)", case.text()) from None


def _check_h_n(got, want, states, case):
    L, N, D = want.shape
    if got.shape != want.shape:
        if got.shape == (N, D) and L > 1:
            raise Fail(f"your h_n holds a single (N, D) state; it holds the last state of every layer, stacked as "
                       f"(L, N, D) = {fmt_shape(want.shape)}", case.text())
        if got.shape == (N, L, D) and N != L:
            raise Fail(f"your h_n is batch-first, (N, L, D) = {fmt_shape(got.shape)}; like PyTorch's it stacks the "
                       f"layers on the first axis: (L, N, D) = {fmt_shape(want.shape)}", case.text())
        if got.shape == (L, N, case.T, D) or got.shape == (L, case.T, N, D):
            raise Fail("your h_n holds every time step; it holds only each layer's last state, h[:, -1] of every "
                       f"layer: (L, N, D) = {fmt_shape(want.shape)}", case.text())
        if got.shape == (L * N, D) and L > 1:
            raise Fail("the layers' last states are concatenated into one (L*N, D) array; stack them on a new "
                       f"first axis instead: np.stack(..., axis=0) gives (L, N, D) = {fmt_shape(want.shape)}",
                       case.text())
        raise Fail(_shape_of("h_n", got.shape, want.shape, ("L", "N", "D")), case.text())
    faults = [
        ("your h_n lists the layers top first; h_n[0] is the bottom layer (layer 0), h_n[L-1] the top, as in "
         "PyTorch", want[::-1] if L > 1 else None),
        ("your h_n holds each layer's first state, h[:, 0]; it holds the last, h[:, -1]",
         np.stack([s[:, 0] for s in states]) if case.T > 1 else None),
        ("every entry of h_n is the top layer's last state; h_n[k] is layer k's own last state",
         np.stack([states[-1][:, -1]] * L) if L > 1 else None),
    ]
    _verdict(got, want, case, faults, "h_n")


def check_stacked_rnn_forward(fn, seed=0):
    notes = set()
    for case in STACKED_CASES:
        x, Wxs, Whs, bs = _stacked_data(case, seed)
        result = _run(fn, "stacked_rnn_forward", case, _STACK_SHAPES, x, Wxs, Whs, bs)
        h_raw, h_n_raw = _split_pair(result, "stacked_rnn_forward", "(h, h_n)")
        if (np.shape(h_raw) == (case.L, case.N, case.D) and np.shape(h_n_raw) == (case.N, case.T, case.D)
                and (case.L, case.N) != (case.N, case.T)):
            raise Fail("the pair is the wrong way round: return (h, h_n), the top layer's states (N, T, D) first "
                       "and the last states (L, N, D) second", case.text())
        got = as_array(h_raw, "the returned h")
        want, want_n = stacked_rnn_forward(x, Wxs, Whs, bs)
        N, T, D = want.shape
        if got.shape != want.shape:
            if got.shape == (case.L, N, T, D) and case.L > 1:
                raise Fail("your h holds the states of every layer; return only the top layer's, "
                           f"(N, T, D) = {fmt_shape(want.shape)} (the others live on in h_n)", case.text())
            if got.shape == (N, D):
                raise Fail("your h is a single (N, D) state; return the top layer's states at every step, "
                           f"(N, T, D) = {fmt_shape(want.shape)}", case.text())
            raise Fail(describe_shape_mismatch(got.shape, want.shape, ("N", "T", "D")), case.text())
        _verdict(got, want, case, _stacked_faults(x, Wxs, Whs, bs, case), "h")
        _dtype_note(got, case, notes, "h")
        states = _stack(x, Wxs, Whs, bs)[1]
        _check_h_n(_h_n_array(h_n_raw, case), want_n, states, case)
    msg = (f"stacked_rnn_forward matches the library's stacked RNN (torch.nn.RNN with num_layers = L) on "
           f"{len(STACKED_CASES)} cases (L = 1, 2 and 3, N = 1, T = 1, d ≠ D, float32, large inputs): each "
           f"layer reads the states of the layer below, and h_n stacks every layer's last state.")
    return msg + (" Note: " + " ".join(sorted(notes)) if notes else "")


# ---------------------------------------------------------------------------
# bidirectional_rnn_forward
# ---------------------------------------------------------------------------

_BI_SHAPES = ("Both directions read x (N, T, d) with an input weight of shape (D, d); reverse along time, "
              "axis 1, and concatenate the two (N, T, D) results along the last axis")


def _bidirectional_faults(x, Wf, Uf, bf, Wb, Ub, bb):
    fwd = _layer(x, Wf, Uf, bf)
    rev = _layer(x[:, ::-1], Wb, Ub, bb)  # the backward direction, in its own (reversed) time order
    bwd = rev[:, ::-1]
    cat = lambda a, b: np.concatenate([a, b], axis=2)  # noqa: E731
    return fwd, bwd, [
        ("the backward direction's states are not re-reversed before the concatenation: after running over "
         "x[:, ::-1], flip its output back with [:, ::-1], so that h[:, t] pairs the forward h_t with the "
         "backward state at the same word t", cat(fwd, rev)),
        ("the two halves are in the wrong order: concatenate [forward, backward], the forward states in "
         "h[..., :D] and the backward ones in h[..., D:] (as PyTorch does)", cat(bwd, fwd)),
        ("the two halves are in the wrong order and the backward states are not re-reversed: concatenate "
         "[forward, backward] and flip the backward output back with [:, ::-1]", cat(rev, fwd)),
        ("the backward direction reads the sequence in the forward order: it must read it back to front, "
         "x[:, ::-1] (time is axis 1). Reversing axis 0, x[::-1], flips the batch — and flipping the batch "
         "back gives an ordinary second forward pass", cat(fwd, _layer(x, Wb, Ub, bb))),
        ("the sequence was reversed along the batch axis: x[::-1] flips the N sequences; reverse time instead, "
         "x[:, ::-1] (axis 1)", cat(fwd, _layer(x[::-1], Wb, Ub, bb))),
        ("the sequence was reversed along the batch axis: x[::-1] flips the N sequences; reverse time instead, "
         "x[:, ::-1] (axis 1), and flip the output back the same way",
         cat(fwd, _layer(x[::-1], Wb, Ub, bb)[:, ::-1])),
        ("the backward direction reads x in the forward order and only its output is reversed; reverse the "
         "input, x[:, ::-1], run the RNN, then flip its output back", cat(fwd, _layer(x, Wb, Ub, bb)[:, ::-1])),
        ("the feature axis was reversed (x[..., ::-1] or x[:, :, ::-1]); the backward direction reverses time, "
         "x[:, ::-1]", _maybe(lambda: cat(fwd, _layer(x[:, :, ::-1], Wb, Ub, bb)))),
        ("`np.flip` without an axis reverses every axis — batch, time and features — not only time: write "
         "np.flip(x, axis=1) (or x[:, ::-1]), and flip the backward output back the same way",
         _maybe(lambda: cat(fwd, np.flip(_layer(np.flip(x), Wb, Ub, bb))))),
        ("`np.flip` without an axis reverses every axis — batch, time and features — not only time: write "
         "np.flip(x, axis=1) (or x[:, ::-1]) for the input",
         _maybe(lambda: cat(fwd, _layer(np.flip(x), Wb, Ub, bb)[:, ::-1]))),
        ("`np.flip` without an axis reverses every axis of the backward output — batch, time and features — not "
         "only time: flip it back with np.flip(h_b, axis=1) (or h_b[:, ::-1])", cat(fwd, np.flip(rev))),
        ("the backward direction uses the forward weights: it has its own Wx_b, Wh_b and b_b",
         cat(fwd, _layer(x[:, ::-1], Wf, Uf, bf)[:, ::-1])),
        ("the forward direction uses the backward weights: it uses Wx_f, Wh_f and b_f",
         cat(_layer(x, Wb, Ub, bb), bwd)),
    ]


def check_bidirectional_rnn_forward(fn, seed=0):
    notes = set()
    for case in BIDIRECTIONAL_CASES:
        args = _bidirectional_data(case, seed)
        result = _run(fn, "bidirectional_rnn_forward", case, _BI_SHAPES, *args)
        if isinstance(result, (tuple, list)) and len(result) == 2 and np.ndim(result[0]) == 3:
            result = result[0]  # (h, cache) or (h, h_n): the first is h
        got = as_array(result, "the returned h")
        want = bidirectional_rnn_forward(*args)
        fwd, bwd, faults = _bidirectional_faults(*args)
        N, T, D2 = want.shape
        D = D2 // 2
        if got.shape != want.shape:
            tell = case.text(layers=False)
            if got.shape == (N, 2 * T, D):
                raise Fail(f"the directions are concatenated along time, giving (N, 2T, D) = {fmt_shape(got.shape)}; "
                           f"concatenate along the last axis (axis=2 or -1) to get (N, T, 2D) = "
                           f"{fmt_shape(want.shape)}", tell)
            if got.shape == (2 * N, T, D):
                raise Fail(f"the directions are concatenated along the batch axis, (2N, T, D) = "
                           f"{fmt_shape(got.shape)}; concatenate along the last axis to get (N, T, 2D) = "
                           f"{fmt_shape(want.shape)}", tell)
            if got.shape in ((2, N, T, D), (N, T, 2, D), (N, 2, T, D)):
                raise Fail(f"the directions are stacked on a new axis, {fmt_shape(got.shape)}; concatenate them "
                           f"along the last axis instead: np.concatenate([h_f, h_b], axis=2) gives (N, T, 2D) = "
                           f"{fmt_shape(want.shape)}", tell)
            if got.shape == (N, T, D):
                g = got.astype(np.float64)
                if close(g, fwd + bwd, case.dtype):
                    raise Fail("the two directions are added; concatenate them instead, so the output keeps both: "
                               f"(N, T, 2D) = {fmt_shape(want.shape)}", tell)
                if close(g, fwd, case.dtype):
                    raise Fail("only the forward direction is returned; run the backward direction too and "
                               f"concatenate: (N, T, 2D) = {fmt_shape(want.shape)}", tell)
                raise Fail(f"your h has D features per step; a bidirectional RNN gives 2D, both directions "
                           f"concatenated: (N, T, 2D) = {fmt_shape(want.shape)}", tell)
            raise Fail(describe_shape_mismatch(got.shape, want.shape, ("N", "T", "2D")), tell)
        _verdict(got, want, case, faults, "h", layers=False)
        _dtype_note(got, case, notes, "h", layers=False)
    msg = (f"bidirectional_rnn_forward matches the library's bidirectional RNN (torch.nn.RNN with "
           f"bidirectional=True) on {len(BIDIRECTIONAL_CASES)} cases (N = 1, T = 1, d ≠ D, float32, large "
           f"inputs): the backward states are re-reversed, so h[:, t] = [forward h_t, backward h_t].")
    return msg + (" Note: " + " ".join(sorted(notes)) if notes else "")


# ---------------------------------------------------------------------------
# sentence_summary: one vector per sentence from output and h_n
# ---------------------------------------------------------------------------


class SummaryCase(NamedTuple):
    lengths: tuple  # (N,) true lengths; T is the longest
    d: int
    D: int
    L: int
    dtype: type

    def text(self):
        padded = "padded, " if len(set(self.lengths)) > 1 else "no padding, "
        return (f"case: N={len(self.lengths)}, T={max(self.lengths)}, D={self.D}, L={self.L}, lengths "
                f"{tuple(self.lengths)} ({padded}{np.dtype(self.dtype).name})")


SUMMARY_CASES = [
    SummaryCase((5, 3, 1, 4), 3, 4, 2, np.float64),  # full-length and padded rows, one a single token: faults differ
    SummaryCase((6, 6, 2), 2, 3, 3, np.float64),     # L = 3: h_n[2] and h_n[3] are not the top layer
    SummaryCase((4, 4, 4), 3, 2, 1, np.float64),     # no padding, L = 1: output[:, -1, :D] is right, D: is not
    SummaryCase((1,), 2, 3, 1, np.float64),          # N = 1, T = 1: every step is the first and the last
    SummaryCase((3, 5, 2, 5), 4, 3, 2, np.float32),  # float32
]


def _summary_data(case, seed):
    """(output, h_n, lengths) of the library's bidirectional RNN run on a padded batch with lengths."""
    lengths = np.array(case.lengths)
    N, T = len(lengths), int(lengths.max())
    rng = np.random.default_rng([seed, 17, N, T, case.d, case.D, case.L])
    x = rng.standard_normal((N, T, case.d)).astype(case.dtype)
    x[np.arange(T)[None, :] >= lengths[:, None]] = 0.0  # the padding
    rnn = RNN(case.d, case.D, num_layers=case.L, bidirectional=True, seed=int(rng.integers(2 ** 31)),
              dtype=case.dtype)
    output, h_n = rnn.forward(x, lengths=lengths)  # (N, T, 2D), (L*2, N, D)
    return output, h_n, lengths


def sentence_summary(output, h_n, lengths):
    """Reference: each sentence's summary, the top layer's final forward and backward states side by side.

    output: (N, T, 2D) and h_n: (L*2, N, D) from a bidirectional RNN run with lengths: (N,).
    Returns (N, 2D): [h_n[-2], h_n[-1]], which are output[n, lengths[n] - 1, :D] and output[n, 0, D:].
    """
    L2, N, D = np.shape(h_n)
    top = np.reshape(h_n, (L2 // 2, 2, N, D))[-1]  # [direction]: PyTorch's h_n.view(L, 2, N, D)[-1]
    return np.concatenate([top[0], top[1]], axis=1)  # (N, 2D)


_TRAP = ("output[:, -1, D:] is the backward direction at the last step, where it has only just started: it reads "
         "the sentence from the end, so there it has taken one step and read only the last position (in one layer, "
         "the last token alone), not the whole sentence; in a padded row the last step is padding, whose output "
         "is not meaningful. The backward direction has read the whole sentence at step 0: output[:, 0, D:], which "
         "is h_n[-1]")


def _summary_faults(output, h_n, lengths, case):
    N, T, D2 = output.shape
    D, L = D2 // 2, case.L
    rows = np.arange(N)
    cat = lambda a, b: np.concatenate([a, b], axis=1)  # noqa: E731
    fwd, bwd = h_n[-2], h_n[-1]
    padded = bool(np.any(lengths < T))
    at_last_real = output[rows, lengths - 1]  # (N, 2D)
    return [
        ("your summary is output[:, -1], the top layer's states at the last step of the batch. " + _TRAP
         + (". And for a padded sentence the forward half must be read at its last real token, "
            "output[n, lengths[n] - 1, :D] (h_n[-2])" if padded else ""), output[:, -1]),
        ("the backward half is output[:, -1, D:]. " + _TRAP, cat(fwd, output[:, -1, D:])),
        ("your summary is output at each sentence's last real token, output[n, lengths[n] - 1]: right for the "
         "forward half, but the backward direction starts at the end of each sentence, so there it has taken one step "
         "and read only that position (in one layer, that token alone). It has read the whole sentence at step 0: output[:, 0, D:], which is h_n[-1]",
         at_last_real),
        ("the forward half is output[:, -1, :D], the forward state after the last step of the padded batch: a "
         "shorter sentence's forward direction has read padding by then. Take it at each sentence's last real "
         "token, output[n, lengths[n] - 1, :D] (pair row n with its own length, np.arange(N)), or take h_n[-2]",
         cat(output[:, -1, :D], bwd) if padded else None),
        ("off by one: the forward half is read at step lengths[n], one past the last real token, which is at "
         "lengths[n] - 1 (steps count from 0)",
         cat(output[rows, np.minimum(lengths, T - 1), :D], bwd) if padded else None),
        ("your summary holds the bottom layer's final states, h_n[0] and h_n[1]; the summary is the top "
         "layer's: h_n is ordered layer first (index layer * 2 + direction), so the top layer's are the last "
         "two, h_n[-2] (forward) and h_n[-1] (backward)", cat(h_n[0], h_n[1]) if L > 1 else None),
        (f"h_n was read direction first, as if it were (2, L, N, D) (or forward layers first, then backward "
         f"layers), which takes h_n[L - 1] and h_n[2L - 1]. PyTorch orders h_n layer first, index layer * 2 + "
         f"direction, so h_n.reshape(L, 2, N, D)[-1] is the top layer's pair: h_n[-2] and h_n[-1]",
         cat(h_n[L - 1], h_n[2 * L - 1]) if L > 1 else None),
        ("your summary reads h_n[2] and h_n[3], the top layer only when L = 2; with L layers the top layer's "
         "final states are h_n[2L - 2] and h_n[2L - 1]: write h_n[-2] and h_n[-1]",
         cat(h_n[2], h_n[3]) if L > 2 else None),
        ("the two halves are swapped: the forward state goes first, [h_n[-2], h_n[-1]], as in output, whose "
         "[..., :D] is the forward direction and [..., D:] the backward one", cat(bwd, fwd)),
        ("the backward half is output[:, 0, D:] but the forward half is output[:, 0, :D], the forward state after "
         "the first token only; the forward direction has read the sentence at its last real token, "
         "output[n, lengths[n] - 1, :D] (h_n[-2])", output[:, 0]),
        ("h_n[-2:] is (2, N, D), and reshaping it straight to (N, 2D) mixes up the sentences (row n gets numbers "
         "of other rows): move the direction axis next to D first, h_n[-2:].transpose(1, 0, 2).reshape(N, 2 * D), "
         "or write np.concatenate([h_n[-2], h_n[-1]], axis=1)", np.reshape(h_n[-2:], (N, 2 * D)) if N > 1 else None),
    ]


def _summary_shape(got, want, output, h_n, case):
    N, D2 = want.shape
    D = D2 // 2
    if got.shape == want.shape:
        return
    tell = case.text()
    as64 = got.astype(np.float64)
    named = {  # later keys win where two shapes coincide: for L = 1, np.stack([forward, backward]) is h_n itself
        h_n.shape: ("your answer has the shape of h_n, (L*2, N, D): every layer's final states. A summary is the top "
                    f"layer's two, side by side: (N, 2D) = {fmt_shape(want.shape)}"),
        output.shape: ("your answer has the shape of output, (N, T, 2D): every step of every sentence. A summary is "
                       f"one vector per sentence, (N, 2D) = {fmt_shape(want.shape)}"),
        (2 * N, D): (f"the two halves are joined along the batch axis, giving (2N, D) = {fmt_shape(got.shape)}; "
                     f"put them side by side along the last axis: np.concatenate([forward, backward], axis=1) "
                     f"gives (N, 2D) = {fmt_shape(want.shape)}"),
        (2, N, D): (f"the two halves are stacked on a new axis, {fmt_shape(got.shape)}; concatenate them along the "
                    f"last axis instead: np.concatenate([forward, backward], axis=1) gives (N, 2D) = "
                    f"{fmt_shape(want.shape)}"),
        (N, 2, D): (f"the two halves are stacked on a new axis, {fmt_shape(got.shape)}; concatenate them along the "
                    f"last axis instead: np.concatenate([forward, backward], axis=1) gives (N, 2D) = "
                    f"{fmt_shape(want.shape)}"),
    }
    if got.shape in named:
        raise Fail(named[got.shape], tell)
    if got.shape == (N, D):
        if close(as64, h_n[-2] + h_n[-1], case.dtype):
            raise Fail("the two directions are added; concatenate them instead, so the summary keeps both: "
                       f"(N, 2D) = {fmt_shape(want.shape)}", tell)
        if close(as64, h_n[-1], case.dtype) or close(as64, output[:, 0, D:], case.dtype):
            raise Fail("only the backward half is returned; the summary is both directions side by side, "
                       f"[forward, backward]: (N, 2D) = {fmt_shape(want.shape)}", tell)
        if close(as64, output[:, -1, D:], case.dtype):
            raise Fail("your answer is output[:, -1, D:], one direction only. " + _TRAP + "; and the summary holds "
                       f"both directions side by side, (N, 2D) = {fmt_shape(want.shape)}", tell)
        raise Fail("your answer has D numbers per sentence, one direction's worth; the summary holds both "
                   f"directions side by side: (N, 2D) = {fmt_shape(want.shape)}", tell)
    raise Fail(describe_shape_mismatch(got.shape, want.shape, ("N", "2D")), tell)


def check_sentence_summary(fn, seed=0):
    for case in SUMMARY_CASES:
        output, h_n, lengths = _summary_data(case, seed)
        try:
            result, mutated = call(fn, output, h_n, lengths)
        except Fail as fail:
            raise Fail(fail.message, *fail.details, case.text()) from None
        if mutated:
            raise Fail(f"your sentence_summary changed its input `{mutated}` in place; reading the results must "
                       f"leave them as they were", case.text())
        want = sentence_summary(output, h_n, lengths)
        N, D2 = want.shape
        if (isinstance(result, (tuple, list)) and len(result) == 2
                and all(np.shape(r) == (N, D2 // 2) for r in result)):
            raise Fail("your sentence_summary returned the two halves separately; join them side by side into one "
                       f"array: np.concatenate([forward, backward], axis=1), (N, 2D) = {fmt_shape(want.shape)}",
                       case.text())
        got = as_array(result, "the returned summary")
        _summary_shape(got, want, output, h_n, case)
        check_dtype(got, case.dtype, "your summary", case.text(), lower_only=True)
        if close(got, want, case.dtype):
            check_dtype(got, case.dtype, "your summary", case.text(), buffer="np.zeros or np.empty without "
                        "`dtype=`, or `.astype(float)`, makes float64; here x is output")
            continue
        for message, candidate in _summary_faults(output, h_n, lengths, case):
            if candidate is not None and close(got, candidate, case.dtype):
                raise Fail(message, case.text())
        raise Fail("your summary has the right shape but the wrong values", worst_mismatch(got, want), case.text())
    return (f"sentence_summary matches the top layer's final states on {len(SUMMARY_CASES)} cases (padded batches, "
            f"L = 1, 2 and 3, N = 1, T = 1, float32): the forward state after each sentence's last real token and "
            f"the backward state at its first token, which that direction reads last, [h_n[-2], h_n[-1]].")
