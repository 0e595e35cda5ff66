"""The vanilla (Elman) recurrent neural network, in numpy: one step, a whole
sequence, backpropagation through time, and the ``RNN`` module.

Notation (the book's, stated once in the appendix "Notation and conventions"):
    N batch size, T time steps, d input size, D hidden size.

The cell is the source note's equation

    h_t = f(W_x x_t + W_h h_{t-1} + b),      f = tanh or relu,

with the weights stored as the note (and PyTorch) store them: Wx is (D, d),
Wh is (D, D), b is (D,). For a batch of row vectors x_t of shape (N, d) the
same equation reads

    h_t = f(x_t Wx^T + h_{t-1} Wh^T + b),

which is what the code computes. Each operation is a forward/backward pair:
``*_forward(...) -> (out, cache)`` and ``*_backward(dout, cache) -> grads``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._checks import Dims, check_cache, check_choice, check_finite_grads, check_finite_result, result_dtype
from ._recurrent import RecurrentModule

NONLINEARITIES = ("tanh", "relu")
_SEQ_HINT = "a batch of sequences (for one sequence use x[None])"
_STEP_HINT = "one time step of a batch (for one vector use x_t[None])"
_OVERFLOW = {"relu": "relu does not bound the hidden states: scale the inputs or weights down, or use tanh",
             "tanh": "the pre-activations overflowed the dtype: scale the inputs or weights down"}


# ---------------------------------------------------------------------------
# One time step
# ---------------------------------------------------------------------------


class RNNStepCache(NamedTuple):
    """What ``rnn_step_backward`` needs from ``rnn_step_forward``.

    - x_t: (N, d) input at this step
    - h_prev: (N, D) hidden state before the step
    - Wx: (D, d) input-to-hidden weights
    - Wh: (D, D) hidden-to-hidden weights
    - h_next: (N, D) hidden state after the step
    - nonlinearity: "tanh" or "relu"
    """

    x_t: np.ndarray  # (N, d) input at this step
    h_prev: np.ndarray  # (N, D) hidden state before the step
    Wx: np.ndarray  # (D, d)
    Wh: np.ndarray  # (D, D)
    h_next: np.ndarray  # (N, D) hidden state after the step
    nonlinearity: str


def rnn_step_forward(x_t, h_prev, Wx, Wh, b, nonlinearity="tanh"):
    """One time step of a vanilla RNN: h_next = f(x_t Wx^T + h_prev Wh^T + b).

    Inputs:

    - x_t: (N, d) inputs at this time step
    - h_prev: (N, D) hidden state from the previous step
    - Wx: (D, d) input-to-hidden weights
    - Wh: (D, D) hidden-to-hidden weights
    - b: (D,) bias
    - nonlinearity: "tanh" or "relu"

    Returns (h_next, cache):

    - h_next: (N, D) the new hidden state
    - cache: RNNStepCache for rnn_step_backward
    """
    fn = "rnn_step_forward"
    check_choice(fn, "nonlinearity", nonlinearity, NONLINEARITIES)
    dims = Dims(fn)
    x_t = dims.array("x_t", x_t, "N d", hint=_STEP_HINT)
    Wx = dims.array("Wx", Wx, "D d")
    Wh = dims.array("Wh", Wh, "D D")
    b = dims.array("b", b, "D")
    h_prev = dims.array("h_prev", h_prev, "N D")
    dtype = result_dtype(x_t, h_prev, Wx, Wh, b)

    a = (x_t @ Wx.T).astype(dtype, copy=False)  # (N, D) pre-activation
    a += h_prev @ Wh.T
    a += b
    h_next = np.tanh(a) if nonlinearity == "tanh" else np.maximum(a, 0)
    check_finite_result(fn, "h_next", h_next, _OVERFLOW[nonlinearity])
    return h_next, RNNStepCache(x_t, h_prev, Wx, Wh, h_next, nonlinearity)


def rnn_step_backward(dh_next, cache):
    """Backward pass of one RNN time step.

    Inputs:

    - dh_next: (N, D) gradient of the loss with respect to h_next
    - cache: the RNNStepCache returned by rnn_step_forward

    Returns (dx_t, dh_prev, dWx, dWh, db):

    - dx_t: (N, d), dh_prev: (N, D), dWx: (D, d), dWh: (D, D), db: (D,)
    """
    fn = "rnn_step_backward"
    check_cache(fn, cache, RNNStepCache, "rnn_step_forward")
    N, D = cache.h_next.shape
    dh_next = Dims(fn, N=N, D=D).array("dh_next", dh_next, "N D")

    da = dh_next * _activation_grad(cache.h_next, cache.nonlinearity)  # (N, D)
    dx_t = da @ cache.Wx  # (N, D) @ (D, d) -> (N, d)
    dh_prev = da @ cache.Wh  # (N, D) @ (D, D) -> (N, D)
    dWx = da.T @ cache.x_t  # (D, N) @ (N, d) -> (D, d)
    dWh = da.T @ cache.h_prev  # (D, N) @ (N, D) -> (D, D)
    db = da.sum(axis=0)  # (D,)
    check_finite_grads(fn, dict(dx_t=dx_t, dh_prev=dh_prev, dWx=dWx, dWh=dWh, db=db))
    return dx_t, dh_prev, dWx, dWh, db


def _activation_grad(h, nonlinearity):
    """f'(a) written in terms of the output h = f(a): 1 - h^2 for tanh, [h > 0] for relu."""
    if nonlinearity == "tanh":
        return 1.0 - h * h
    return (h > 0).astype(h.dtype)


# ---------------------------------------------------------------------------
# A whole sequence, and backpropagation through time
# ---------------------------------------------------------------------------


class RNNCache(NamedTuple):
    """What ``rnn_backward`` needs from ``rnn_forward``.

    - x: (N, T, d) the input sequence
    - hs: (T+1, N, D) time-major hidden states; hs[0] = h0, hs[t+1] = h_t
    - Wx: (D, d) input-to-hidden weights
    - Wh: (D, D) hidden-to-hidden weights
    - nonlinearity: "tanh" or "relu"
    """

    x: np.ndarray  # (N, T, d) the input sequence
    hs: np.ndarray  # (T+1, N, D) time-major hidden states; hs[0] = h0, hs[t+1] = h_t
    Wx: np.ndarray  # (D, d)
    Wh: np.ndarray  # (D, D)
    nonlinearity: str


def rnn_forward(x, h0, Wx, Wh, b, nonlinearity="tanh"):
    """Run a vanilla RNN over a whole sequence.

    Inputs:

    - x: (N, T, d) input sequences
    - h0: (N, D) initial hidden state, or None for zeros
    - Wx: (D, d), Wh: (D, D), b: (D,) as in rnn_step_forward
    - nonlinearity: "tanh" or "relu"

    Returns (h, cache):

    - h: (N, T, D) the hidden state at every time step; h[:, -1] is the last
    - cache: RNNCache for rnn_backward

    Finite inputs whose states overflow (relu on huge inputs) raise a
    ValueError rather than return inf.

    The input projection x_t Wx^T + b of all T steps is one matrix product
    before the loop; only h_{t-1} Wh^T has to wait for the previous step.
    """
    fn = "rnn_forward"
    check_choice(fn, "nonlinearity", nonlinearity, NONLINEARITIES)
    dims = Dims(fn)
    x = dims.array("x", x, "N T d", hint=_SEQ_HINT)
    Wx = dims.array("Wx", Wx, "D d")
    Wh = dims.array("Wh", Wh, "D D")
    b = dims.array("b", b, "D")
    if h0 is not None:
        h0 = dims.array("h0", h0, "N D")
    return _rnn_forward(x, h0, Wx, Wh, b, nonlinearity)


def _rnn_forward(x, h0, Wx, Wh, b, nonlinearity):
    """rnn_forward after its argument checks (the RNN module, which checks its own, calls this)."""
    dtype = result_dtype(x, h0, Wx, Wh, b)
    N, T, d = x.shape
    D = Wh.shape[0]

    # Time-major buffers: hs[t] is a contiguous (N, D) block, which the loop
    # reads and writes T times.
    hs = np.empty((T + 1, N, D), dtype=dtype)
    hs[0] = 0 if h0 is None else h0
    # x_t Wx^T + b for every t, as one (N*T, d) @ (d, D) product in x's own
    # layout (a time-major product over a transposed view is ~1.5x slower).
    xw = (x.reshape(N * T, d) @ Wx.T.astype(dtype, copy=False)).reshape(N, T, D)
    xw += b
    WhT = Wh.T.astype(dtype, copy=False)
    for t in range(T):
        a = np.matmul(hs[t], WhT, out=hs[t + 1])  # (N, D), written in place
        a += xw[:, t]
        if nonlinearity == "tanh":
            np.tanh(a, out=a)
        else:
            np.maximum(a, 0, out=a)
    # (T, N, D) -> (N, T, D), copied: the caller may change h in place (h *= mask)
    # without corrupting the states the backward pass reads from the cache.
    h = np.ascontiguousarray(hs[1:].transpose(1, 0, 2))
    check_finite_result("rnn_forward", "h", h, _OVERFLOW[nonlinearity])
    return h, RNNCache(x, hs, Wx, Wh, nonlinearity)


def rnn_backward(dh, cache):
    """Backpropagation through time for a vanilla RNN.

    Inputs:

    - dh: (N, T, D) upstream gradient of the loss with respect to every hidden
      state h_t (zeros where the loss does not look at h_t)
    - cache: the RNNCache returned by rnn_forward

    Returns (dx, dh0, dWx, dWh, db):

    - dx: (N, T, d), dh0: (N, D), dWx: (D, d), dWh: (D, D), db: (D,)

    Going backwards in time, the gradient reaching h_t is its own upstream
    gradient dh[:, t] plus what flows back from h_{t+1} through Wh. The weight
    gradients sum over all steps; they are computed after the loop as single
    matrix products over all T steps.
    """
    fn = "rnn_backward"
    check_cache(fn, cache, RNNCache, "rnn_forward")
    T1, N, D = cache.hs.shape
    dh = Dims(fn, N=N, T=T1 - 1, D=D).array("dh", dh, "N T D")
    return _rnn_backward(dh, cache)


def _rnn_backward(dh, cache):
    """rnn_backward after its argument checks (the RNN module, which checks its own, calls this)."""
    hs = cache.hs
    T1, N, D = hs.shape
    T = T1 - 1
    dtype = result_dtype(dh, hs)

    das = np.empty((T, N, D), dtype=dtype)  # dL/da_t for every t, time-major
    carry = np.zeros((N, D), dtype=dtype)  # dL/dh_t arriving from step t+1
    Wh = cache.Wh.astype(dtype, copy=False)
    for t in range(T - 1, -1, -1):
        da = das[t]
        np.add(dh[:, t], carry, out=da)  # total gradient at h_t
        if cache.nonlinearity == "tanh":
            da *= 1.0 - hs[t + 1] * hs[t + 1]
        else:
            da *= hs[t + 1] > 0
        np.matmul(da, Wh, out=carry)  # (N, D) @ (D, D): gradient into h_{t-1}
    dh0 = carry

    das_flat = das.reshape(T * N, D)  # (T, N, D) -> (T*N, D)
    x_tm = cache.x.transpose(1, 0, 2).reshape(T * N, -1)  # (N, T, d) -> (T*N, d)
    dWx = das_flat.T @ x_tm  # (D, T*N) @ (T*N, d) -> (D, d)
    dWh = das_flat.T @ hs[:-1].reshape(T * N, D)  # h_{t-1} for every t -> (D, D)
    db = das_flat.sum(axis=0)  # (D,)
    dx = (das @ cache.Wx.astype(dtype, copy=False)).transpose(1, 0, 2)  # (T, N, d) -> (N, T, d)
    check_finite_grads("rnn_backward", dict(dx=dx, dh0=dh0, dWx=dWx, dWh=dWh, db=db))
    return dx, dh0, dWx, dWh, db


# ---------------------------------------------------------------------------
# The module, shaped like torch.nn.RNN(batch_first=True)
# ---------------------------------------------------------------------------


class RNN(RecurrentModule):
    """A stacked, optionally bidirectional vanilla RNN, like ``torch.nn.RNN``
    with ``batch_first=True``.

    RNN(input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True,
        bidirectional=False, seed=None, dtype=np.float64)

    - ``.params`` is keyed exactly like PyTorch's ``state_dict()``:
      ``weight_ih_l0`` (D, d), ``weight_hh_l0`` (D, D), ``bias_ih_l0`` (D,),
      ``bias_hh_l0`` (D,), then ``..._reverse`` and ``..._l1`` and so on.
      The note's single bias b is ``bias_ih + bias_hh``.
    - ``forward(x, h0=None) -> (output, h_n)`` with x (N, T, d),
      output (N, T, num_directions*D), h_n (num_layers*num_directions, N, D).
    - ``backward(doutput, dh_n=None) -> dx`` accumulates into ``.grads``.
    """

    gate_count = 1

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True,
                 bidirectional=False, seed=None, dtype=np.float64):
        check_choice("RNN", "nonlinearity", nonlinearity, NONLINEARITIES)
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, num_layers=num_layers, bias=bias,
                         bidirectional=bidirectional, seed=seed, dtype=dtype)

    def _extra_repr(self):
        return f", nonlinearity={self.nonlinearity!r}" if self.nonlinearity != "tanh" else ""

    def _layer_forward(self, x, h0, c0, w_ih, w_hh, b_ih, b_hh):
        h, cache = _rnn_forward(x, h0, w_ih, w_hh, b_ih + b_hh, self.nonlinearity)
        return h, h[:, -1], None, cache

    def _layer_backward(self, dout, dh_last, dc_last, cache):
        if dh_last is not None:
            dout = dout.copy()
            dout[:, -1] += dh_last
        dx, dh0, dWx, dWh, db = _rnn_backward(dout, cache)
        return dx, dh0, None, dWx, dWh, db, db
