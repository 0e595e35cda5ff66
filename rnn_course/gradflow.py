"""How gradients travel back through time in a vanilla RNN: measure it, and
choose the recurrent weights so that it goes well (chapter 7)::

    jacobian_norms(x, Wx, Wh, b)      ||dh_T/dh_{T-k}||, k = 0 .. T, along a real trajectory
    saturation(h)                     the fraction of tanh units whose derivative is below a threshold
    spectral_radius(W)                the largest |eigenvalue| of a (D, D) matrix
    scale_to_radius(W, rho)           W rescaled to spectral radius rho
    orthogonal(D, seed, gain)         a random orthogonal matrix (Saxe et al., 2014)
    truncated_rnn_backward(x, h0, Wx, Wh, b, dh, k)
                                      BPTT cut into windows of k steps (truncated BPTT)
    geometric_rate(k, values)         r of a least-squares fit values ~ A r^k (a decay per step)
    power_law_exponent(k, values)     p of a least-squares fit values ~ A k^p

Everything is measured with the library's own forward and backward passes
(``rnn_forward``, ``rnn_step_backward``, ``rnn_backward``). Notation: N batch,
T time steps, d input size, D hidden size.
"""

from __future__ import annotations

import numpy as np

from ._checks import Dims
from .rnn import RNNStepCache, rnn_backward, rnn_forward, rnn_step_backward


def _square(fn, W):
    W = np.asarray(W)
    if W.ndim != 2 or W.shape[0] != W.shape[1] or W.shape[0] == 0:
        raise ValueError(f"{fn}: W has shape {W.shape}; expected a square (D, D) matrix")
    if not np.issubdtype(W.dtype, np.number) or not np.isfinite(W).all():
        raise ValueError(f"{fn}: W must hold finite numbers")
    return W


def spectral_radius(W):
    """The spectral radius of W (D, D): max abs(lambda) over its eigenvalues, a float.

    For a linear RNN h_t = W h_{t-1}, ||W^k|| grows or shrinks like
    spectral_radius(W) ** k as k grows (Gelfand's formula).
    """
    return float(np.max(np.abs(np.linalg.eigvals(_square("spectral_radius", W)))))


def scale_to_radius(W, rho):
    """W (D, D) multiplied by the one number that makes its spectral radius rho (>= 0)."""
    W = _square("scale_to_radius", W)
    if isinstance(rho, bool) or not isinstance(rho, (int, float, np.integer, np.floating)) or not rho >= 0:
        raise ValueError(f"scale_to_radius: rho must be a number >= 0, got {rho!r}")
    radius = spectral_radius(W)
    if radius == 0:
        raise ValueError("scale_to_radius: W has spectral radius 0 (it is nilpotent); no scaling can give it "
                         "another")
    return W * (rho / radius)


def orthogonal(D, seed=None, gain=1.0):
    """A random (D, D) orthogonal matrix times gain: Q^T Q = gain^2 I.

    Saxe et al. (2014) initialise recurrent weights this way: every
    eigenvalue of Q has abs(lambda) = 1 and every singular value is 1, so
    ||Q^k v|| = ||v|| for every k: a linear RNN neither shrinks nor grows a
    gradient, however far back it travels. Drawn as PyTorch's
    ``nn.init.orthogonal_``: the Q of a QR decomposition of a standard
    normal matrix, with the signs of R's diagonal moved into Q so that the
    draw is uniform over orthogonal matrices (Mezzadri, 2007).
    """
    if isinstance(D, bool) or not isinstance(D, (int, np.integer)) or D < 1:
        raise ValueError(f"orthogonal: D must be a positive integer, got {D!r}")
    rng = np.random.default_rng(seed)
    Q, R = np.linalg.qr(rng.standard_normal((D, D)))
    Q *= np.where(np.diag(R) < 0, -1.0, 1.0)  # column j times sign(R_jj)
    return gain * Q


def jacobian_norms(x, Wx, Wh, b, h0=None, nonlinearity="tanh"):
    """||dh_T/dh_{T-k}||_2 for k = 0 .. T along the trajectory of one sequence.

    Inputs:

    - x: (T, d) one input sequence (or (1, T, d))
    - Wx: (D, d), Wh: (D, D), b: (D,) the RNN's weights
    - h0: (D,) initial state, or None for zeros
    - nonlinearity: "tanh" or "relu"

    Returns (T + 1,) spectral norms; entry k is the largest factor by which
    the Jacobian dh_T/dh_{T-k} = prod diag(f') Wh stretches a vector (entry 0
    is ||I|| = 1). It is measured with the library's backward pass: the
    sequence is run D times as a batch, and rnn_step_backward carries the D
    unit vectors e_i back from h_T, so after k steps row i of the batch's
    gradient is row i of dh_T/dh_{T-k}.
    """
    fn = "jacobian_norms"
    x = np.asarray(x, dtype=float)
    if x.ndim == 3 and x.shape[0] == 1:
        x = x[0]
    if x.ndim != 2 or x.shape[0] < 1:
        raise ValueError(f"{fn}: x has shape {x.shape}; expected one sequence (T, d)")
    dims = Dims(fn, T=x.shape[0], d=x.shape[1])
    Wx = dims.array("Wx", Wx, "D d")
    Wh = dims.array("Wh", Wh, "D D")
    b = dims.array("b", b, "D")
    D = Wh.shape[0]
    H0 = None if h0 is None else np.tile(dims.array("h0", h0, "D"), (D, 1))
    h, cache = rnn_forward(np.broadcast_to(x, (D,) + x.shape), H0, Wx, Wh, b, nonlinearity)  # (D, T, D)
    hs = cache.hs  # (T+1, D, D): hs[t] is h_t for the D copies
    J = np.eye(D)  # row i: e_i^T dh_T/dh_t, starting at t = T
    norms = [1.0]
    for t in range(x.shape[0], 0, -1):
        step = RNNStepCache(x[None, t - 1].repeat(D, 0), hs[t - 1], Wx, Wh, hs[t], nonlinearity)
        _, J, _, _, _ = rnn_step_backward(J, step)  # now e_i^T dh_T/dh_{t-1}
        norms.append(float(np.linalg.norm(J, 2)))
    return np.array(norms)


def saturation(h, threshold=0.05):
    """Fraction of tanh units that are saturated: tanh'(a) = 1 - h^2 < threshold.

    h: hidden states of any shape, e.g. (N, T, D) from rnn_forward. With the
    default threshold 0.05 a unit counts as saturated when abs(h) > 0.975: it
    passes back less than 5% of the gradient that reaches it.
    """
    h = np.asarray(h, dtype=float)
    if h.size == 0:
        raise ValueError("saturation: h is empty")
    if np.abs(h).max() > 1:
        raise ValueError("saturation: h has entries outside [-1, 1]; pass tanh outputs (hidden states), "
                         "not pre-activations")
    if not 0 < threshold <= 1:
        raise ValueError(f"saturation: threshold must be in (0, 1], got {threshold!r}")
    return float(np.mean(1 - h ** 2 < threshold))


def truncated_rnn_backward(x, h0, Wx, Wh, b, dh, k, nonlinearity="tanh"):
    """Truncated BPTT: gradients of a long sequence computed in windows of k steps.

    The forward pass runs window by window, each window starting from the
    previous window's last state (the memory is carried forward); the
    backward pass runs inside each window only, and the gradient reaching a
    window's first state is dropped instead of being passed to the window
    before. So at most k steps of activations are held at once, and no
    gradient travels more than k steps back.

    Inputs: x (N, T, d), h0 (N, D) or None, Wx (D, d), Wh (D, D), b (D,),
    dh (N, T, D) the loss's gradient at every hidden state, k >= 1 the window.

    Returns (dx, dWx, dWh, db), shaped like x, Wx, Wh and b. With k >= T it
    equals full BPTT (``rnn_backward``).
    """
    fn = "truncated_rnn_backward"
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"{fn}: k must be a positive integer (the window length), got {k!r}")
    dims = Dims(fn)
    x = dims.array("x", x, "N T d")
    dh = dims.array("dh", dh, "N T D")
    Wh = dims.array("Wh", Wh, "D D")
    Wx = dims.array("Wx", Wx, "D d")
    b = dims.array("b", b, "D")
    h = None if h0 is None else dims.array("h0", h0, "N D")
    dx = np.zeros(np.shape(x))
    dWx, dWh, db = np.zeros(np.shape(Wx)), np.zeros(np.shape(Wh)), np.zeros(np.shape(b))
    for start in range(0, x.shape[1], k):
        window = slice(start, start + k)
        out, cache = rnn_forward(x[:, window], h, Wx, Wh, b, nonlinearity)  # (N, k, D)
        dx_w, _, dWx_w, dWh_w, db_w = rnn_backward(dh[:, window], cache)  # dh0 dropped: the cut
        dx[:, window] = dx_w
        dWx += dWx_w
        dWh += dWh_w
        db += db_w
        h = out[:, -1]  # carried forward as a constant
    return dx, dWx, dWh, db


def _fit_inputs(fn, k, values):
    k, values = np.asarray(k, dtype=float), np.asarray(values, dtype=float)
    if k.ndim != 1 or k.shape != values.shape or k.size < 2:
        raise ValueError(f"{fn}: k {k.shape} and values {values.shape} must be two (K,) arrays of the same "
                         f"length, K >= 2")
    if not np.isfinite(values).all() or (values <= 0).any():
        raise ValueError(f"{fn}: values must be positive and finite (their logarithm is fitted)")
    if np.ptp(k) == 0:
        raise ValueError(f"{fn}: k must hold at least two different values")
    return k, values


def geometric_rate(k, values):
    """The factor r per step of a geometric fit values ~ A r^k, a float.

    A least-squares line through (k, log values); r = exp(slope). For the
    (T+1,) norms of ``jacobian_norms``, r < 1 is the fitted decay per step
    back in time over the chosen k.

    Inputs: k (K,) distances, values (K,) positive numbers, K >= 2.
    """
    k, values = _fit_inputs("geometric_rate", k, values)
    slope = np.polyfit(k, np.log(values), 1)[0]
    return float(np.exp(slope))


def power_law_exponent(k, values):
    """The exponent p of a power-law fit values ~ A k^p, a float.

    A least-squares line through (log k, log values); p is its slope (p = -1
    means "like 1/k", p = -0.5 "like 1/sqrt(k)"), e.g. for the relative
    errors of the (D, D) gradient dWh of ``truncated_rnn_backward`` against
    the window k.

    Inputs: k (K,) positive numbers, values (K,) positive numbers, K >= 2.
    """
    k, values = _fit_inputs("power_law_exponent", k, values)
    if (k <= 0).any():
        raise ValueError("power_law_exponent: k must be positive (its logarithm is fitted)")
    return float(np.polyfit(np.log(k), np.log(values), 1)[0])
