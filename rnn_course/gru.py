"""The gated recurrent unit (GRU), in numpy: one step, a whole sequence,
backpropagation through time, and the ``GRU`` module.

Notation (the book's, stated once in the appendix "Notation and conventions"):
    N batch size, T time steps, d input size, D hidden size.

The cell is PyTorch's ``torch.nn.GRU``, gate for gate. Two projections of
shape (N, 3D), one of the input and one of the previous hidden state,

    gx = x_t Wx^T + b_ih,        gh = h_{t-1} Wh^T + b_hh,

are split into three column blocks of D columns, in this order, the reset
gate r, the update gate z and the candidate state n:

    r = sigmoid(gx_r + gh_r)
    z = sigmoid(gx_z + gh_z)
    n = tanh(gx_n + r * gh_n)          (b_hn sits inside the reset product)
    h_t = (1 - z) * n + z * h_{t-1}    (computed as n + z * (h_{t-1} - n))

Wx is (3D, d) and Wh is (3D, D), their rows stacked in the same order r, z, n;
b_ih and b_hh are (3D,). These are exactly PyTorch's ``weight_ih_l0``,
``weight_hh_l0``, ``bias_ih_l0`` and ``bias_hh_l0``, so PyTorch's weights load
with no transposes and no reordering. Unlike the LSTM's, the two biases are not
interchangeable: b_hn is scaled by r, b_in is not. Each operation is a
forward/backward pair: ``*_forward(...) -> (out, cache)`` and
``*_backward(dout, cache) -> grads``.
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
    """The three (..., D) column blocks r, z, n of a (..., 3D) array, as views."""
    D = a.shape[-1] // 3
    return a[..., :D], a[..., D:2 * D], a[..., 2 * D:]


def _sigmoid(a):
    """sigmoid(a) = (1 + tanh(a / 2)) / 2: the same function as 1 / (1 + e^-a),
    but it cannot overflow (or warn) for large |a|."""
    return 0.5 * (1.0 + np.tanh(0.5 * a))


def _gate_scale(D, dtype):
    """(3D,) factors for the projections: 1/2 for r and z, 1 for n.

    ``gru_forward`` folds these into its copies of the weights and biases
    (exact in floating point: a power of two), so that the loop gets
    a / 2 for the two sigmoid gates, as _sigmoid needs, without scaling, and
    the n block of h_{t-1} Wh^T + b_hh unscaled, as the reset gate needs.
    """
    scale = np.full(3 * D, 0.5, dtype=dtype)
    scale[2 * D:] = 1
    return scale


# ---------------------------------------------------------------------------
# One time step
# ---------------------------------------------------------------------------


class GRUStepCache(NamedTuple):
    """What ``gru_step_backward`` needs from ``gru_step_forward``.

    - x_t: (N, d) input at this step
    - h_prev: (N, D) hidden state before the step
    - Wx: (3D, d) input-to-hidden weights
    - Wh: (3D, D) hidden-to-hidden weights
    - gates: (N, 3D) the gate values r, z, n (after their sigmoid or tanh)
    - gh_n: (N, D) h_prev W_hn^T + b_hn, what the reset gate multiplies
    """

    x_t: np.ndarray  # (N, d) input at this step
    h_prev: np.ndarray  # (N, D) hidden state before the step
    Wx: np.ndarray  # (3D, d)
    Wh: np.ndarray  # (3D, D)
    gates: np.ndarray  # (N, 3D) the gate values r, z, n (after their sigmoid or tanh)
    gh_n: np.ndarray  # (N, D) h_prev W_hn^T + b_hn, what the reset gate multiplies


def gru_step_forward(x_t, h_prev, Wx, Wh, b_ih, b_hh):
    """One time step of a GRU, in PyTorch's form and gate order r, z, n.

    Inputs:

    - x_t: (N, d) inputs at this time step
    - h_prev: (N, D) hidden state from the previous step
    - Wx: (3D, d) input-to-hidden weights, rows stacked r, z, n
    - Wh: (3D, D) hidden-to-hidden weights, rows stacked r, z, n
    - b_ih: (3D,) input-to-hidden bias
    - b_hh: (3D,) hidden-to-hidden bias (its n block is scaled by the reset gate)

    Returns (h_next, cache):

    - h_next: (N, D) the new hidden state, (1 - z) * n + z * h_prev
    - cache: GRUStepCache for gru_step_backward
    """
    fn = "gru_step_forward"
    dims = Dims(fn)
    x_t = dims.array("x_t", x_t, "N d", hint=_STEP_HINT)
    Wx = dims.array("Wx", Wx, "3D d")
    Wh = dims.array("Wh", Wh, "3D D")
    b_ih = dims.array("b_ih", b_ih, "3D")
    b_hh = dims.array("b_hh", b_hh, "3D")
    h_prev = dims.array("h_prev", h_prev, "N D")
    dtype = result_dtype(x_t, h_prev, Wx, Wh, b_ih, b_hh)
    D = Wh.shape[1]

    gates = x_t @ Wx.T.astype(dtype, copy=False)  # (N, d) @ (d, 3D) -> (N, 3D), then the gates
    gates += b_ih
    gh = h_prev @ Wh.T.astype(dtype, copy=False)  # (N, D) @ (D, 3D) -> (N, 3D)
    gh += b_hh
    gh_n = gh[:, 2 * D:].copy()  # (N, D)
    rz = gates[:, :2 * D]  # r and z are neighbours: one sigmoid for both
    rz[...] = _sigmoid(rz + gh[:, :2 * D])
    r, z, n = _split_gates(gates)  # three (N, D) views
    n[...] = np.tanh(n + r * gh_n)
    h_next = n + z * (h_prev - n)  # = (1 - z) * n + z * h_prev
    check_finite_result(fn, "h_next", h_next, _OVERFLOW)
    return h_next, GRUStepCache(x_t, h_prev, Wx, Wh, gates, gh_n)


def gru_step_backward(dh_next, cache):
    """Backward pass of one GRU time step.

    Inputs:

    - dh_next: (N, D) gradient of the loss with respect to h_next
    - cache: the GRUStepCache returned by gru_step_forward

    Returns (dx_t, dh_prev, dWx, dWh, db_ih, db_hh):

    - dx_t: (N, d), dh_prev: (N, D)
    - dWx: (3D, d), dWh: (3D, D), db_ih: (3D,), db_hh: (3D,); the two bias
      gradients agree in the r and z blocks and differ in the n block, where
      b_hn is scaled by r
    """
    fn = "gru_step_backward"
    check_cache(fn, cache, GRUStepCache, "gru_step_forward")
    N, D = cache.gh_n.shape
    dh_next = Dims(fn, N=N, D=D).array("dh_next", dh_next, "N D")

    r, z, n = _split_gates(cache.gates)  # three (N, D)
    h_prev = cache.h_prev
    # Chain rule through h_next = n + z * (h_prev - n), then through each gate's
    # nonlinearity: sigmoid' = s(1 - s), tanh' = 1 - tanh^2.
    dn = dh_next * (1 - z) * (1 - n * n)  # (N, D) at n's pre-activation
    dz = dh_next * (h_prev - n) * z * (1 - z)
    dr = dn * cache.gh_n * r * (1 - r)  # n = tanh(gx_n + r * gh_n)
    dgx = np.concatenate([dr, dz, dn], axis=1)  # 3 x (N, D) -> (N, 3D), at x_t Wx^T + b_ih
    dgh = np.concatenate([dr, dz, dn * r], axis=1)  # 3 x (N, D) -> (N, 3D), at h_prev Wh^T + b_hh
    dx_t = dgx @ cache.Wx  # (N, 3D) @ (3D, d) -> (N, d)
    dh_prev = dh_next * z + dgh @ cache.Wh  # (N, 3D) @ (3D, D) -> (N, D)
    dWx = dgx.T @ cache.x_t  # (3D, N) @ (N, d) -> (3D, d)
    dWh = dgh.T @ h_prev  # (3D, N) @ (N, D) -> (3D, D)
    db_ih = dgx.sum(axis=0)  # (3D,)
    db_hh = dgh.sum(axis=0)  # (3D,)
    check_finite_grads(fn, dict(dx_t=dx_t, dh_prev=dh_prev, dWx=dWx, dWh=dWh, db_ih=db_ih, db_hh=db_hh))
    return dx_t, dh_prev, dWx, dWh, db_ih, db_hh


# ---------------------------------------------------------------------------
# A whole sequence, and backpropagation through time
# ---------------------------------------------------------------------------


class GRUCache(NamedTuple):
    """What ``gru_backward`` needs from ``gru_forward``.

    - x: (N, T, d) the input sequence
    - hs: (T+1, N, D) time-major hidden states; hs[0] = h0, hs[t+1] = h_t
    - rz: (T, 2, N, D) the gate values r (rz[:, 0]) and z (rz[:, 1]) at every step
    - n: (T, N, D) the candidate state at every step
    - gh_n: (T, N, D) h_{t-1} W_hn^T + b_hn at every step
    - Wx: (3D, d) input-to-hidden weights
    - Wh: (3D, D) hidden-to-hidden weights

    ``gates`` gives r, z, n side by side as (T, N, 3D), the layout of the
    projections (a copy, assembled when asked for).
    """

    x: np.ndarray  # (N, T, d) the input sequence
    hs: np.ndarray  # (T+1, N, D) time-major hidden states; hs[0] = h0, hs[t+1] = h_t
    rz: np.ndarray  # (T, 2, N, D) the gate values r and z, each step's a contiguous block
    n: np.ndarray  # (T, N, D) the candidate state n
    gh_n: np.ndarray  # (T, N, D) h_{t-1} W_hn^T + b_hn at every step
    Wx: np.ndarray  # (3D, d)
    Wh: np.ndarray  # (3D, D)

    @property
    def gates(self):
        """(T, N, 3D) the gate values r, z, n at every step, in the column order of the projections."""
        T, _, N, D = self.rz.shape
        return np.concatenate([self.rz.transpose(0, 2, 1, 3), self.n[:, :, None]], axis=2).reshape(T, N, 3 * D)


def gru_forward(x, h0, Wx, Wh, b_ih, b_hh):
    """Run a GRU over a whole sequence.

    Inputs:

    - x: (N, T, d) input sequences
    - h0: (N, D) initial hidden state, or None for zeros
    - Wx: (3D, d), Wh: (3D, D), b_ih: (3D,), b_hh: (3D,) as in gru_step_forward

    Returns (h, cache):

    - h: (N, T, D) the hidden state at every time step; h[:, -1] is the last
    - cache: GRUCache for gru_backward

    The input projection x_t Wx^T + b_ih of all T steps is one matrix product
    before the loop; only h_{t-1} Wh^T + b_hh has to wait for the previous step.
    """
    fn = "gru_forward"
    dims = Dims(fn)
    x = dims.array("x", x, "N T d", hint=_SEQ_HINT)
    Wx = dims.array("Wx", Wx, "3D d")
    Wh = dims.array("Wh", Wh, "3D D")
    b_ih = dims.array("b_ih", b_ih, "3D")
    b_hh = dims.array("b_hh", b_hh, "3D")
    if h0 is not None:
        h0 = dims.array("h0", h0, "N D")
    return _gru_forward(x, h0, Wx, Wh, b_ih, b_hh)


def _gru_forward(x, h0, Wx, Wh, b_ih, b_hh):
    """gru_forward after its argument checks (the GRU module, which checks its own, calls this)."""
    dtype = result_dtype(x, h0, Wx, Wh, b_ih, b_hh)
    N, T, d = x.shape
    D = Wh.shape[1]

    # Time-major buffers: hs[t], gates[t] and gh_n[t] are contiguous blocks,
    # which the loop reads and writes T times.
    hs = np.empty((T + 1, N, D), dtype=dtype)
    hs[0] = 0 if h0 is None else h0
    gh_n = np.empty((T, N, D), dtype=dtype)
    # The weights and biases with the gate scale folded in (see _gate_scale).
    scale = _gate_scale(D, dtype)
    WxT = Wx.T * scale  # (d, 3D)
    WhT = Wh.T * scale  # (D, 3D)
    bh = b_hh * scale  # (3D,)
    gx = np.empty((T, N, 3 * D), dtype=dtype)  # the scaled x_t Wx^T + b_ih of every step
    np.matmul(x.transpose(1, 0, 2), WxT, out=gx)  # (T, N, d) @ (d, 3D) -> (T, N, 3D)
    gx += b_ih * scale
    gh = np.empty((N, 3 * D), dtype=dtype)  # scratch for the scaled h_{t-1} Wh^T (+ b_hh, r and z blocks)
    gh_n = np.empty((T, N, D), dtype=dtype)  # h_{t-1} W_hn^T + b_hn of every step, for the backward pass
    # The loop runs a dozen small elementwise operations per step, so the gate
    # values get contiguous blocks of their own (a strided (N, D) column block
    # costs numpy a loop per row): rz[t] holds r and z gate-major, (2, N, D), and
    # n[t] the candidate; the backward pass reads them from there too.
    rz = np.empty((T, 2, N, D), dtype=dtype)
    n = np.empty((T, N, D), dtype=dtype)
    gx_rz = gx.reshape(T, N, 3, D)[:, :, :2].transpose(0, 2, 1, 3)  # (T, 2, N, D) view of the r and z blocks
    gx_n = gx[:, :, 2 * D:]  # (T, N, D) view of the n blocks
    gh_rz = gh.reshape(N, 3, D)[:, :2].transpose(1, 0, 2)  # (2, N, D) view
    bh_rz, bh_n = bh[:2 * D], bh[2 * D:]
    for t in range(T):
        np.matmul(hs[t], WhT, out=gh)  # (N, D) @ (D, 3D) -> (N, 3D)
        gh[:, :2 * D] += bh_rz
        np.add(gh[:, 2 * D:], bh_n, out=gh_n[t])
        s = np.add(gx_rz[t], gh_rz, out=rz[t])  # r and z are neighbours: one sigmoid for both
        np.tanh(s, out=s)
        s += 1
        s *= 0.5
        r, z = rz[t, 0], rz[t, 1]
        n_t = np.multiply(r, gh_n[t], out=n[t])  # n = tanh(gx_n + r * gh_n)
        n_t += gx_n[t]
        np.tanh(n_t, out=n_t)
        h = np.subtract(hs[t], n_t, out=hs[t + 1])  # h_t = n + z * (h_{t-1} - n)
        h *= z
        h += n_t
    # (T, N, D) -> (N, T, D), copied: the caller may change h in place (h *= mask)
    # without corrupting the states the backward pass reads from the cache.
    h = np.ascontiguousarray(hs[1:].transpose(1, 0, 2))
    check_finite_result("gru_forward", "h", h, _OVERFLOW)
    return h, GRUCache(x, hs, rz, n, gh_n, Wx, Wh)


def gru_backward(dh, cache):
    """Backpropagation through time for a GRU.

    Inputs:

    - dh: (N, T, D) upstream gradient of the loss with respect to every hidden
      state h_t (zeros where the loss does not look at h_t)
    - cache: the GRUCache returned by gru_forward

    Returns (dx, dh0, dWx, dWh, db_ih, db_hh):

    - dx: (N, T, d), dh0: (N, D)
    - dWx: (3D, d), dWh: (3D, D), db_ih: (3D,), db_hh: (3D,)

    Going backwards in time, the gradient reaching h_t is dh[:, t] plus what
    flows back from step t+1, both directly (through z * h_t) and through Wh.
    The gradients of the input projection x_t Wx^T + b_ih and of the hidden
    projection h_{t-1} Wh^T + b_hh (which differ in the n block by the factor r)
    are kept for every step, so the weight gradients are single matrix
    products over all T steps after the loop.
    """
    fn = "gru_backward"
    check_cache(fn, cache, GRUCache, "gru_forward")
    T1, N, D = cache.hs.shape
    dh = Dims(fn, N=N, T=T1 - 1, D=D).array("dh", dh, "N T D")
    return _gru_backward(dh, cache)


def _gru_backward(dh, cache):
    """gru_backward after its argument checks (the GRU module, which checks its own, calls this)."""
    hs = cache.hs
    T1, N, D = hs.shape
    T = T1 - 1
    dtype = result_dtype(dh, hs)

    gh_n = cache.gh_n
    Wh = cache.Wh.astype(dtype, copy=False)
    r, z, n = cache.rz[:, 0], cache.rz[:, 1], cache.n  # three (T, N, D)
    # The chain rule through h_t = n + z * (h_{t-1} - n), then through each gate's
    # nonlinearity: sigmoid' = s(1 - s), tanh' = 1 - tanh^2. These local factors do
    # not depend on the gradient flowing back, so they are computed for a block of
    # steps at once, before that block's loop, which keeps only the products with
    # dL/dh_t, in the same order as gru_step_backward. The blocks are small
    # (_FACTOR_BLOCK numbers each) so that they stay in the CPU's cache.
    steps = max(1, min(T, _FACTOR_BLOCK // (N * D)))
    # (steps, N, D) each, in the gate values' dtype, as gru_step_backward computes them
    h_minus_n, one_minus_z, dsig_z, dtanh_n, dsig_r = np.empty((5, steps, N, D), dtype=n.dtype)

    dgx = np.empty((T, N, 3 * D), dtype=dtype)  # dL/d(x_t Wx^T + b_ih) for every t, time-major
    dgh = np.empty((T, N, 3 * D), dtype=dtype)  # dL/d(h_{t-1} Wh^T + b_hh) for every t
    dgh_r, dgh_z, dgh_n = np.moveaxis(dgh.reshape(T, N, 3, D), 2, 0)  # three (T, N, D) views
    dgx_n = dgx[:, :, 2 * D:]  # (T, N, D) view: dL/dn's pre-activation
    dh_t = np.empty((N, D), dtype=dtype)  # total gradient at h_t
    tmp = np.empty((N, D), dtype=dtype)
    carry = np.zeros((N, D), dtype=dtype)  # dL/dh_t arriving from step t+1
    for stop in range(T, 0, -steps):  # blocks of steps start .. stop-1, the last block first
        start = max(0, stop - steps)
        k = stop - start
        np.subtract(hs[start:stop], n[start:stop], out=h_minus_n[:k])  # dh_t/dz
        np.subtract(1, z[start:stop], out=one_minus_z[:k])  # dh_t/dn
        np.multiply(z[start:stop], one_minus_z[:k], out=dsig_z[:k])  # z(1 - z)
        np.multiply(n[start:stop], n[start:stop], out=dtanh_n[:k])
        np.subtract(1, dtanh_n[:k], out=dtanh_n[:k])  # 1 - n^2
        np.subtract(1, r[start:stop], out=dsig_r[:k])
        dsig_r[:k] *= r[start:stop]  # r(1 - r)
        for t in range(stop - 1, start - 1, -1):
            i = t - start
            np.add(dh[:, t], carry, out=dh_t)
            np.multiply(h_minus_n[i], dh_t, out=tmp)
            np.multiply(tmp, dsig_z[i], out=dgh_z[t])  # dz
            dn = np.multiply(dh_t, one_minus_z[i], out=dgx_n[t])
            dn *= dtanh_n[i]
            np.multiply(dn, gh_n[t], out=tmp)  # n = tanh(gx_n + r * gh_n)
            np.multiply(tmp, dsig_r[i], out=dgh_r[t])  # dr
            np.multiply(dn, r[t], out=dgh_n[t])  # n: the hidden projection is scaled by r
            np.matmul(dgh[t], Wh, out=carry)  # (N, 3D) @ (3D, D) -> (N, D)
            carry += np.multiply(dh_t, z[t], out=tmp)  # ... plus the direct path z * h_{t-1}: gradient into h_{t-1}
    dh0 = carry
    # r and z: both projections enter the same way; n: the input side gets dn itself.
    dgx[:, :, :2 * D] = dgh[:, :, :2 * D]

    dgx_flat = dgx.reshape(T * N, 3 * D)  # (T, N, 3D) -> (T*N, 3D)
    dgh_flat = dgh.reshape(T * N, 3 * D)  # (T, N, 3D) -> (T*N, 3D)
    x_tm = cache.x.transpose(1, 0, 2).reshape(T * N, -1)  # (N, T, d) -> (T*N, d)
    dWx = dgx_flat.T @ x_tm  # (3D, T*N) @ (T*N, d) -> (3D, d)
    dWh = dgh_flat.T @ hs[:-1].reshape(T * N, D)  # h_{t-1} for every t -> (3D, D)
    db_ih = dgx_flat.sum(axis=0)  # (3D,)
    db_hh = dgh_flat.sum(axis=0)  # (3D,)
    dx = dgx_flat @ cache.Wx.astype(dtype, copy=False)  # (T*N, 3D) @ (3D, d) -> (T*N, d)
    dx = dx.reshape(T, N, -1).transpose(1, 0, 2)  # (T*N, d) -> (N, T, d), a view
    check_finite_grads("gru_backward", dict(dx=dx, dh0=dh0, dWx=dWx, dWh=dWh, db_ih=db_ih, db_hh=db_hh))
    return dx, dh0, dWx, dWh, db_ih, db_hh


# ---------------------------------------------------------------------------
# The module, shaped like torch.nn.GRU(batch_first=True)
# ---------------------------------------------------------------------------


class GRU(RecurrentModule):
    """A stacked, optionally bidirectional GRU, like ``torch.nn.GRU`` with
    ``batch_first=True``.

    GRU(input_size, hidden_size, num_layers=1, bias=True, bidirectional=False,
        seed=None, dtype=np.float64, update_bias=0.0)

    - ``.params`` is keyed exactly like PyTorch's ``state_dict()``:
      ``weight_ih_l0`` (3D, d), ``weight_hh_l0`` (3D, D), ``bias_ih_l0`` (3D,),
      ``bias_hh_l0`` (3D,), then ``..._reverse`` and ``..._l1`` and so on; the
      rows of each are stacked in the gate order r, z, n. Layers above the
      first read (3D, dirs*D) weights, since they see both directions.
    - ``forward(x, h0=None) -> (output, h_n)`` with x (N, T, d), h0 None or
      (L*dirs, N, D), output (N, T, dirs*D), h_n (L*dirs, N, D).
    - ``backward(doutput, dh_n=None) -> dx`` accumulates into ``.grads`` and
      leaves the gradient of the initial state in ``.dh0``.
    - ``update_bias``: a number added to the update gate's rows (D:2D) of every
      ``bias_hh`` after PyTorch's uniform init. z weighs the old state in
      h_t = (1 - z) * n + z * h_{t-1}, so a positive value starts the GRU
      keeping its state (sigmoid(2) = 0.88 per step). 0 (the default) is
      PyTorch's init.
    """

    gate_count = 3

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, bidirectional=False,
                 seed=None, dtype=np.float64, update_bias=0.0):
        super().__init__(input_size, hidden_size, num_layers=num_layers, bias=bias,
                         bidirectional=bidirectional, seed=seed, dtype=dtype)
        self.update_bias = update_bias
        self._open_gate(1, update_bias, "update_bias")  # gate order r, z, n

    def _layer_forward(self, x, h0, c0, w_ih, w_hh, b_ih, b_hh):
        h, cache = _gru_forward(x, h0, w_ih, w_hh, b_ih, b_hh)
        return h, h[:, -1], None, cache

    def _layer_backward(self, dout, dh_last, dc_last, cache):
        if dh_last is not None:
            dout = dout.copy()
            dout[:, -1] += dh_last
        dx, dh0, dWx, dWh, db_ih, db_hh = _gru_backward(dout, cache)
        return dx, dh0, None, dWx, dWh, db_ih, db_hh
