"""The long short-term memory (LSTM) network, in numpy: one step, a whole
sequence, backpropagation through time, and the ``LSTM`` module.

Notation (the book's, stated once in the appendix "Notation and conventions"):
    N batch size, T time steps, d input size, D hidden size.

The cell is PyTorch's ``torch.nn.LSTM``, gate for gate. All four gates come
from one stacked pre-activation

    a_t = x_t Wx^T + b_ih + h_{t-1} Wh^T + b_hh                  (N, 4D)

whose four column blocks of D columns are, in this order, the input gate i,
the forget gate f, the candidate cell g and the output gate o:

    i = sigmoid(a_i),   f = sigmoid(a_f),   g = tanh(a_g),   o = sigmoid(a_o)
    c_t = f * c_{t-1} + i * g
    h_t = o * tanh(c_t)

Wx is (4D, d) and Wh is (4D, D), their rows stacked in the same order i, f, g, o;
b_ih and b_hh are (4D,). These are exactly PyTorch's ``weight_ih_l0``,
``weight_hh_l0``, ``bias_ih_l0`` and ``bias_hh_l0``, so PyTorch's weights load
with no transposes and no reordering. Each operation is a forward/backward
pair: ``*_forward(...) -> (out, cache)`` and ``*_backward(dout, cache) -> grads``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._checks import Dims, check_cache, check_finite_grads, check_finite_result, result_dtype
from ._checks import GATE_OVERFLOW as _OVERFLOW
from ._recurrent import FACTOR_BLOCK as _FACTOR_BLOCK
from ._recurrent import RecurrentModule

_SEQ_HINT = "a batch of sequences (for one sequence use x[None])"
_STEP_HINT = "one time step of a batch (for one vector use x_t[None])"


def _split_gates(a):
    """The four (..., D) column blocks i, f, g, o of a (..., 4D) array, as views."""
    D = a.shape[-1] // 4
    return a[..., :D], a[..., D:2 * D], a[..., 2 * D:3 * D], a[..., 3 * D:]


def _gate_scale(D, dtype):
    """(4D,) factors for the pre-activations: 1/2 for i, f and o, 1 for g.

    The sigmoid is computed as sigmoid(a) = (1 + tanh(a / 2)) / 2, the same
    function, which cannot overflow for large |a| as e^-a would. Scaling the
    pre-activations by these factors first (exact in floating point: a power of
    two) lets one tanh over all 4D columns serve all four gates; ``lstm_forward``
    folds the factors into its copies of the weights, so the loop never scales.
    """
    scale = np.full(4 * D, 0.5, dtype=dtype)
    scale[2 * D:3 * D] = 1
    return scale


def _activate(s):
    """Turn scaled pre-activations s (..., 4D) (see _gate_scale) into the gates
    i, f, g, o, in place: tanh everywhere, then (1 + tanh) / 2 for i, f and o."""
    D = s.shape[-1] // 4
    np.tanh(s, out=s)
    for sig in (s[..., :2 * D], s[..., 3 * D:]):  # i and f are neighbours; then o
        sig += 1
        sig *= 0.5
    return s


# ---------------------------------------------------------------------------
# One time step
# ---------------------------------------------------------------------------


class LSTMStepCache(NamedTuple):
    """What ``lstm_step_backward`` needs from ``lstm_step_forward``.

    - x_t: (N, d) input at this step
    - h_prev: (N, D) hidden state before the step
    - c_prev: (N, D) cell state before the step
    - Wx: (4D, d) input-to-hidden weights
    - Wh: (4D, D) hidden-to-hidden weights
    - gates: (N, 4D) the gate values i, f, g, o (after their sigmoid or tanh)
    - tanh_c: (N, D) tanh(c_next)
    """

    x_t: np.ndarray  # (N, d) input at this step
    h_prev: np.ndarray  # (N, D) hidden state before the step
    c_prev: np.ndarray  # (N, D) cell state before the step
    Wx: np.ndarray  # (4D, d)
    Wh: np.ndarray  # (4D, D)
    gates: np.ndarray  # (N, 4D) the gate values i, f, g, o (after their sigmoid or tanh)
    tanh_c: np.ndarray  # (N, D) tanh(c_next)


def lstm_step_forward(x_t, h_prev, c_prev, Wx, Wh, b_ih, b_hh):
    """One time step of an LSTM, in PyTorch's form and gate order i, f, g, o.

    Inputs:

    - x_t: (N, d) inputs at this time step
    - h_prev: (N, D) hidden state from the previous step
    - c_prev: (N, D) cell state from the previous step
    - Wx: (4D, d) input-to-hidden weights, rows stacked i, f, g, o
    - Wh: (4D, D) hidden-to-hidden weights, rows stacked i, f, g, o
    - b_ih: (4D,) input-to-hidden bias
    - b_hh: (4D,) hidden-to-hidden bias

    Returns (h_next, c_next, cache):

    - h_next: (N, D) the new hidden state, o * tanh(c_next)
    - c_next: (N, D) the new cell state, f * c_prev + i * g
    - cache: LSTMStepCache for lstm_step_backward
    """
    fn = "lstm_step_forward"
    dims = Dims(fn)
    x_t = dims.array("x_t", x_t, "N d", hint=_STEP_HINT)
    Wx = dims.array("Wx", Wx, "4D d")
    Wh = dims.array("Wh", Wh, "4D D")
    b_ih = dims.array("b_ih", b_ih, "4D")
    b_hh = dims.array("b_hh", b_hh, "4D")
    h_prev = dims.array("h_prev", h_prev, "N D")
    c_prev = dims.array("c_prev", c_prev, "N D")
    dtype = result_dtype(x_t, h_prev, c_prev, Wx, Wh, b_ih, b_hh)
    D = Wh.shape[1]

    gates = (x_t @ Wx.T).astype(dtype, copy=False)  # (N, d) @ (d, 4D) -> (N, 4D) pre-activations
    gates += h_prev @ Wh.T  # (N, D) @ (D, 4D) -> (N, 4D)
    gates += b_ih
    gates += b_hh
    gates *= _gate_scale(D, dtype)
    i, f, g, o = _split_gates(_activate(gates))  # four (N, D) views
    c_next = f * c_prev + i * g
    tanh_c = np.tanh(c_next)
    h_next = o * tanh_c
    check_finite_result(fn, "h_next", h_next, _OVERFLOW)
    return h_next, c_next, LSTMStepCache(x_t, h_prev, c_prev, Wx, Wh, gates, tanh_c)


def lstm_step_backward(dh_next, dc_next, cache):
    """Backward pass of one LSTM time step.

    Inputs:

    - dh_next: (N, D) gradient of the loss with respect to h_next
    - dc_next: (N, D) gradient of the loss with respect to c_next, or None for zeros
      (what reaches c_next from later steps, not through h_next)
    - cache: the LSTMStepCache returned by lstm_step_forward

    Returns (dx_t, dh_prev, dc_prev, dWx, dWh, db_ih, db_hh):

    - dx_t: (N, d), dh_prev: (N, D), dc_prev: (N, D)
    - dWx: (4D, d), dWh: (4D, D), db_ih: (4D,), db_hh: (4D,) (equal, since both
      biases are added to the same pre-activation)
    """
    fn = "lstm_step_backward"
    check_cache(fn, cache, LSTMStepCache, "lstm_step_forward")
    N, D = cache.tanh_c.shape
    dims = Dims(fn, N=N, D=D)
    dh_next = dims.array("dh_next", dh_next, "N D")
    if dc_next is not None:
        dc_next = dims.array("dc_next", dc_next, "N D")

    i, f, g, o = _split_gates(cache.gates)  # four (N, D)
    tanh_c = cache.tanh_c
    dc = dh_next * o * (1 - tanh_c * tanh_c)  # (N, D) through h_next = o * tanh(c_next) ...
    if dc_next is not None:
        dc = dc + dc_next  # ... plus what arrives at c_next directly
    # Chain rule through each gate's nonlinearity: sigmoid' = s(1 - s), tanh' = 1 - tanh^2.
    da = np.concatenate([
        dc * g * i * (1 - i),  # c_next = ... + i * g
        dc * cache.c_prev * f * (1 - f),  # c_next = f * c_prev + ...
        dc * i * (1 - g * g),
        dh_next * tanh_c * o * (1 - o),  # h_next = o * tanh(c_next)
    ], axis=1)  # 4 x (N, D) -> (N, 4D)
    dx_t = da @ cache.Wx  # (N, 4D) @ (4D, d) -> (N, d)
    dh_prev = da @ cache.Wh  # (N, 4D) @ (4D, D) -> (N, D)
    dc_prev = dc * f  # (N, D)
    dWx = da.T @ cache.x_t  # (4D, N) @ (N, d) -> (4D, d)
    dWh = da.T @ cache.h_prev  # (4D, N) @ (N, D) -> (4D, D)
    db_ih = da.sum(axis=0)  # (4D,)
    check_finite_grads(fn, dict(dx_t=dx_t, dh_prev=dh_prev, dc_prev=dc_prev, dWx=dWx, dWh=dWh, db=db_ih))
    return dx_t, dh_prev, dc_prev, dWx, dWh, db_ih, db_ih.copy()


# ---------------------------------------------------------------------------
# A whole sequence, and backpropagation through time
# ---------------------------------------------------------------------------


class LSTMCache(NamedTuple):
    """What ``lstm_backward`` needs from ``lstm_forward``.

    - x: (N, T, d) the input sequence
    - hs: (T+1, N, D) time-major hidden states; hs[0] = h0, hs[t+1] = h_t
    - cs: (T+1, N, D) time-major cell states; cs[0] = c0, cs[t+1] = c_t
    - gates: (T, N, 4D) the gate values i, f, g, o at every step
    - tanh_cs: (T, N, D) tanh(c_t) at every step
    - Wx: (4D, d) input-to-hidden weights
    - Wh: (4D, D) hidden-to-hidden weights
    """

    x: np.ndarray  # (N, T, d) the input sequence
    hs: np.ndarray  # (T+1, N, D) time-major hidden states; hs[0] = h0, hs[t+1] = h_t
    cs: np.ndarray  # (T+1, N, D) time-major cell states; cs[0] = c0, cs[t+1] = c_t
    gates: np.ndarray  # (T, N, 4D) the gate values i, f, g, o at every step
    tanh_cs: np.ndarray  # (T, N, D) tanh(c_t) at every step
    Wx: np.ndarray  # (4D, d)
    Wh: np.ndarray  # (4D, D)


def lstm_forward(x, h0, c0, Wx, Wh, b_ih, b_hh):
    """Run an LSTM over a whole sequence.

    Inputs:

    - x: (N, T, d) input sequences
    - h0: (N, D) initial hidden state, or None for zeros
    - c0: (N, D) initial cell state, or None for zeros
    - Wx: (4D, d), Wh: (4D, D), b_ih: (4D,), b_hh: (4D,) as in lstm_step_forward

    Returns (h, cache):

    - h: (N, T, D) the hidden state at every time step; h[:, -1] is the last
    - cache: LSTMCache for lstm_backward; cache.cs[-1] is the last cell state (N, D)

    The input projection x_t Wx^T + b_ih + b_hh of all T steps is one matrix
    product before the loop; only h_{t-1} Wh^T has to wait for the previous step.
    """
    fn = "lstm_forward"
    dims = Dims(fn)
    x = dims.array("x", x, "N T d", hint=_SEQ_HINT)
    Wx = dims.array("Wx", Wx, "4D d")
    Wh = dims.array("Wh", Wh, "4D D")
    b_ih = dims.array("b_ih", b_ih, "4D")
    b_hh = dims.array("b_hh", b_hh, "4D")
    if h0 is not None:
        h0 = dims.array("h0", h0, "N D")
    if c0 is not None:
        c0 = dims.array("c0", c0, "N D")
    return _lstm_forward(x, h0, c0, Wx, Wh, b_ih, b_hh)


def _lstm_forward(x, h0, c0, Wx, Wh, b_ih, b_hh):
    """lstm_forward after its argument checks (the LSTM module, which checks its own, calls this)."""
    dtype = result_dtype(x, h0, c0, Wx, Wh, b_ih, b_hh)
    N, T, d = x.shape
    D = Wh.shape[1]

    # Time-major buffers: hs[t], cs[t] and gates[t] are contiguous blocks,
    # which the loop reads and writes T times.
    hs = np.empty((T + 1, N, D), dtype=dtype)
    hs[0] = 0 if h0 is None else h0
    cs = np.empty((T + 1, N, D), dtype=dtype)
    cs[0] = 0 if c0 is None else c0
    tanh_cs = np.empty((T, N, D), dtype=dtype)
    # The weights and biases with the gate scale folded in (see _gate_scale).
    scale = _gate_scale(D, dtype)
    WxT = Wx.T * scale  # (d, 4D)
    WhT = Wh.T * scale  # (D, 4D)
    # gates[t] holds the scaled x_t Wx^T + b_ih + b_hh, then the whole scaled
    # pre-activation, then the gate values.
    gates = np.empty((T, N, 4 * D), dtype=dtype)
    np.matmul(x.transpose(1, 0, 2), WxT, out=gates)  # (T, N, d) @ (d, 4D) -> (T, N, 4D)
    gates += (b_ih + b_hh) * scale
    hW = np.empty((N, 4 * D), dtype=dtype)  # scratch for h_{t-1} Wh^T
    ig = np.empty((N, D), dtype=dtype)  # scratch for i * g
    for t in range(T):
        a = gates[t]
        a += np.matmul(hs[t], WhT, out=hW)  # (N, D) @ (D, 4D) -> (N, 4D)
        i, f, g, o = _split_gates(_activate(a))  # four (N, D) views
        c = np.multiply(f, cs[t], out=cs[t + 1])  # c_t = f * c_{t-1} + i * g
        c += np.multiply(i, g, out=ig)
        np.tanh(c, out=tanh_cs[t])
        np.multiply(o, tanh_cs[t], out=hs[t + 1])  # h_t = o * tanh(c_t)
    # (T, N, D) -> (N, T, D), copied: the caller may change h in place (h *= mask)
    # without corrupting the states the backward pass reads from the cache.
    h = np.ascontiguousarray(hs[1:].transpose(1, 0, 2))
    check_finite_result("lstm_forward", "h", h, _OVERFLOW)
    return h, LSTMCache(x, hs, cs, gates, tanh_cs, Wx, Wh)


def lstm_backward(dh, cache, dc_n=None):
    """Backpropagation through time for an LSTM.

    Inputs:

    - dh: (N, T, D) upstream gradient of the loss with respect to every hidden
      state h_t (zeros where the loss does not look at h_t)
    - cache: the LSTMCache returned by lstm_forward
    - dc_n: (N, D) gradient of the loss with respect to the last cell state
      c_T, or None for zeros

    Returns (dx, dh0, dc0, dWx, dWh, db_ih, db_hh):

    - dx: (N, T, d), dh0: (N, D), dc0: (N, D)
    - dWx: (4D, d), dWh: (4D, D), db_ih: (4D,), db_hh: (4D,) (equal)

    Going backwards in time, the gradient reaching h_t is dh[:, t] plus what
    flows back from step t+1 through Wh, and the gradient reaching c_t is what
    flows in through h_t plus f_{t+1} times the gradient at c_{t+1}. The
    gradients of the gate pre-activations are kept for every step, so the
    weight gradients are single matrix products over all T steps after the loop.
    """
    fn = "lstm_backward"
    check_cache(fn, cache, LSTMCache, "lstm_forward")
    T1, N, D = cache.hs.shape
    dims = Dims(fn, N=N, T=T1 - 1, D=D)
    dh = dims.array("dh", dh, "N T D")
    if dc_n is not None:
        dc_n = dims.array("dc_n", dc_n, "N D")
    return _lstm_backward(dh, cache, dc_n)


def _lstm_backward(dh, cache, dc_n=None):
    """lstm_backward after its argument checks (the LSTM module, which checks its own, calls this)."""
    hs, cs = cache.hs, cache.cs
    T1, N, D = hs.shape
    T = T1 - 1
    dtype = result_dtype(dh, dc_n, hs)

    gates, tanh_cs = cache.gates, cache.tanh_cs
    Wh = cache.Wh.astype(dtype, copy=False)
    i, f, g, o = np.moveaxis(gates.reshape(T, N, 4, D), 2, 0)  # four (T, N, D) views
    # Chain rule through each gate's nonlinearity: sigmoid' = s(1 - s), tanh' = 1 - tanh^2.
    # These local factors do not depend on the gradient flowing back, so they are
    # computed for a block of steps at once, before that block's loop, which keeps
    # only the products with the gradients, in the same order as lstm_step_backward.
    # The blocks are small (_FACTOR_BLOCK numbers each) so that they stay in cache.
    steps = max(1, min(T, _FACTOR_BLOCK // (N * D)))
    # (steps, N, D) each, in the gate values' dtype, as lstm_step_backward computes them
    dtanh_c, dsig_i, dsig_f, dtanh_g, dsig_o = np.empty((5, steps, N, D), dtype=gates.dtype)
    dgates = np.empty((T, N, 4 * D), dtype=dtype)  # dL/da_t for every t, time-major
    da_i, da_f, da_g, da_o = np.moveaxis(dgates.reshape(T, N, 4, D), 2, 0)  # four (T, N, D) views
    dh_t = np.empty((N, D), dtype=dtype)  # total gradient at h_t
    tmp = np.empty((N, D), dtype=dtype)
    dh_carry = np.zeros((N, D), dtype=dtype)  # dL/dh_t arriving from step t+1
    dc = np.zeros((N, D), dtype=dtype) if dc_n is None else dc_n.astype(dtype)  # dL/dc_t (a copy)
    for stop in range(T, 0, -steps):  # blocks of steps start .. stop-1, the last block first
        start = max(0, stop - steps)
        k = stop - start
        np.multiply(tanh_cs[start:stop], tanh_cs[start:stop], out=dtanh_c[:k])
        np.subtract(1, dtanh_c[:k], out=dtanh_c[:k])  # 1 - tanh(c_t)^2
        for gate, out in ((i, dsig_i), (f, dsig_f), (o, dsig_o)):
            np.subtract(1, gate[start:stop], out=out[:k])
            out[:k] *= gate[start:stop]  # s(1 - s)
        np.multiply(g[start:stop], g[start:stop], out=dtanh_g[:k])
        np.subtract(1, dtanh_g[:k], out=dtanh_g[:k])  # 1 - g^2
        for t in range(stop - 1, start - 1, -1):
            b = t - start
            np.add(dh[:, t], dh_carry, out=dh_t)
            np.multiply(dh_t, o[t], out=tmp)  # through h_t = o * tanh(c_t), plus from c_{t+1}
            tmp *= dtanh_c[b]
            dc += tmp
            np.multiply(np.multiply(dc, g[t], out=tmp), dsig_i[b], out=da_i[t])  # c_t = ... + i * g
            np.multiply(np.multiply(dc, cs[t], out=tmp), dsig_f[b], out=da_f[t])  # c_t = f * c_{t-1} + ...
            np.multiply(np.multiply(dc, i[t], out=tmp), dtanh_g[b], out=da_g[t])
            np.multiply(np.multiply(dh_t, tanh_cs[t], out=tmp), dsig_o[b], out=da_o[t])  # h_t = o * tanh(c_t)
            np.matmul(dgates[t], Wh, out=dh_carry)  # (N, 4D) @ (4D, D) -> (N, D)
            dc *= f[t]  # gradient into c_{t-1}
    dh0, dc0 = dh_carry, dc

    da_flat = dgates.reshape(T * N, 4 * D)  # (T, N, 4D) -> (T*N, 4D)
    x_tm = cache.x.transpose(1, 0, 2).reshape(T * N, -1)  # (N, T, d) -> (T*N, d)
    dWx = da_flat.T @ x_tm  # (4D, T*N) @ (T*N, d) -> (4D, d)
    dWh = da_flat.T @ hs[:-1].reshape(T * N, D)  # h_{t-1} for every t -> (4D, D)
    db_ih = da_flat.sum(axis=0)  # (4D,)
    dx = da_flat @ cache.Wx.astype(dtype, copy=False)  # (T*N, 4D) @ (4D, d) -> (T*N, d)
    dx = dx.reshape(T, N, -1).transpose(1, 0, 2)  # (T*N, d) -> (N, T, d), a view
    check_finite_grads("lstm_backward", dict(dx=dx, dh0=dh0, dc0=dc0, dWx=dWx, dWh=dWh, db=db_ih))
    return dx, dh0, dc0, dWx, dWh, db_ih, db_ih.copy()


# ---------------------------------------------------------------------------
# The module, shaped like torch.nn.LSTM(batch_first=True)
# ---------------------------------------------------------------------------


class LSTM(RecurrentModule):
    """A stacked, optionally bidirectional LSTM, like ``torch.nn.LSTM`` with
    ``batch_first=True``.

    LSTM(input_size, hidden_size, num_layers=1, bias=True, bidirectional=False,
         seed=None, dtype=np.float64, forget_bias=0.0, input_bias=0.0)

    - ``.params`` is keyed exactly like PyTorch's ``state_dict()``:
      ``weight_ih_l0`` (4D, d), ``weight_hh_l0`` (4D, D), ``bias_ih_l0`` (4D,),
      ``bias_hh_l0`` (4D,), then ``..._reverse`` and ``..._l1`` and so on; the
      rows of each are stacked in the gate order i, f, g, o. Layers above the
      first read (4D, dirs*D) weights, since they see both directions.
    - ``forward(x, h0=None) -> (output, (h_n, c_n))`` with x (N, T, d), h0 None or
      a pair (h0, c0) of (L*dirs, N, D) arrays (either may be None for zeros),
      output (N, T, dirs*D), and h_n, c_n each (L*dirs, N, D).
    - ``backward(doutput, dh_n=None) -> dx`` with dh_n None or a pair
      (dh_n, dc_n); it accumulates into ``.grads`` and leaves the gradients of
      the initial states in ``.dh0`` and ``.dc0``.
    - ``forget_bias``: a number added to the forget gate's rows (D:2D) of every
      ``bias_hh`` after PyTorch's uniform init, so the cell starts by keeping
      its memory: sigmoid(1) = 0.73 per step, sigmoid(3) = 0.95. 0 (the
      default) is PyTorch's init; Jozefowicz et al. (2015) recommend 1, and
      longer memories need more (Tallec & Ollivier's "chrono" init, 2018,
      draws each unit's bias as log(u), u ~ U(1, T_max - 1), for delays up to
      T_max; a single number here is a constant, not that draw).
    - ``input_bias``: the same for the input gate's rows (0:D); chrono init
      sets it to -forget_bias, so that the cell also writes little at each
      step and keeps what it stored from being washed out.
    """

    gate_count = 4
    has_cell_state = True

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, bidirectional=False,
                 seed=None, dtype=np.float64, forget_bias=0.0, input_bias=0.0):
        super().__init__(input_size, hidden_size, num_layers=num_layers, bias=bias,
                         bidirectional=bidirectional, seed=seed, dtype=dtype)
        self.forget_bias, self.input_bias = forget_bias, input_bias
        self._open_gate(1, forget_bias, "forget_bias")  # gate order i, f, g, o
        self._open_gate(0, input_bias, "input_bias")

    def _cell_state_at(self, cache, lengths):
        return cache.cs[lengths, np.arange(len(lengths))]  # cs is (T+1, N, D); cs[t] follows step t-1

    def _layer_forward(self, x, h0, c0, w_ih, w_hh, b_ih, b_hh):
        h, cache = _lstm_forward(x, h0, c0, w_ih, w_hh, b_ih, b_hh)
        return h, h[:, -1], cache.cs[-1], cache

    def _layer_backward(self, dout, dh_last, dc_last, cache):
        if dh_last is not None:
            dout = dout.copy()
            dout[:, -1] += dh_last
        return _lstm_backward(dout, cache, dc_last)
