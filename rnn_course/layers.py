"""The layers around a recurrent core: from token ids to vectors, and from
hidden states to scores.

    one_hot(ids, V)                      ids (...) -> (..., V)
    embedding_forward / _backward        ids (N, T) -> vectors (N, T, d)
    linear_forward / _backward           (..., D) -> (..., V), at every time step
    last_step_forward / _backward        (N, T, D) + lengths (N,) -> (N, D)
    pad_sequences, length_mask           ragged lists -> (N, T) ids, (N,) lengths, (N, T) mask

and the modules ``Embedding`` and ``Linear`` built on them. Notation: N batch,
T time steps, d embedding size, D hidden size, V vocabulary or classes.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._checks import (Dims, as_float_array, as_index_array, check_cache, check_finite_grads, check_finite_result,
                      check_float_dtype, check_input_dtype, check_int, check_lengths, check_seed, check_size)
from .module import Module

# ---------------------------------------------------------------------------
# one-hot vectors and padding
# ---------------------------------------------------------------------------


def one_hot(ids, V, dtype=np.float64):
    """One-hot vectors: ids of any shape (...) -> (..., V), a single 1 per vector.

    Inputs:

    - ids: integer ids in [0, V), any shape (...), e.g. (N, T)
    - V: the vocabulary size, a positive int
    - dtype: the dtype of the result

    Returns (..., V), e.g. (N, T, V): out[n, t, ids[n, t]] = 1, every other entry 0.

    one_hot([2, 0], 3) -> [[0, 0, 1], [1, 0, 0]]
    """
    if isinstance(V, bool) or not isinstance(V, (int, np.integer)) or V < 1:
        raise ValueError(f"one_hot: V must be a positive integer (the vocabulary size), got {V!r}")
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"one_hot: dtype must be a numpy dtype such as np.float32 or np.float64, got {dtype!r}") from None
    if dtype.kind not in "biuf":
        raise TypeError(f"one_hot: dtype must be a boolean, integer or floating dtype, got {dtype}")
    ids = as_index_array("one_hot", "ids", ids, upper=V)
    out = np.zeros(ids.shape + (V,), dtype=dtype)
    np.put_along_axis(out, ids[..., None], 1, axis=-1)
    return out


def pad_sequences(sequences, pad_value=0, max_len=None):
    """Pad a list of variable-length id sequences into one (N, T) array.

    Inputs:

    - sequences: a list of N sequences of integer ids (lists or 1-D arrays)
    - pad_value: the id written after each sequence's end (the vocabulary's <pad>, usually 0)
    - max_len: T; longer sequences are cut (keeping their start), default the longest length

    Returns (ids, lengths):

    - ids: (N, T) int64, row n is sequences[n] followed by pad_value
    - lengths: (N,) int64, the true length of each row (after cutting)
    """
    fn = "pad_sequences"
    if isinstance(sequences, np.ndarray) and sequences.ndim == 2:
        sequences = list(sequences)
    if not isinstance(sequences, (list, tuple)) or not sequences:
        raise ValueError(f"{fn}: sequences must be a non-empty list of id sequences, got {type(sequences).__name__}"
                         + (" of length 0" if isinstance(sequences, (list, tuple)) else ""))
    rows = []
    for i, seq in enumerate(sequences):
        arr = np.asarray(seq)
        if arr.ndim != 1:
            raise ValueError(f"{fn}: sequences[{i}] has shape {arr.shape}; expected a 1-D sequence of ids")
        rows.append(as_index_array(fn, f"sequences[{i}]", arr.astype(np.int64) if arr.size == 0 else arr))
    lengths = np.array([len(r) for r in rows], dtype=np.int64)
    if max_len is not None:
        if isinstance(max_len, bool) or not isinstance(max_len, (int, np.integer)) or max_len < 1:
            raise ValueError(f"{fn}: max_len must be a positive integer, got {max_len!r}")
        lengths = np.minimum(lengths, max_len)
    T = int(max_len if max_len is not None else max(1, lengths.max()))
    ids = np.full((len(rows), T), pad_value, dtype=np.int64)
    for n, (row, length) in enumerate(zip(rows, lengths)):
        ids[n, :length] = row[:length]
    return ids, lengths


def length_mask(lengths, T=None):
    """(N, T) boolean mask, True at the real (non-padding) positions of each row.

    Inputs:

    - lengths: (N,) true lengths
    - T: the padded length, default max(lengths)

    Returns (N, T) bool, mask[n, t] = t < lengths[n].
    """
    lengths = as_index_array("length_mask", "lengths", lengths, what="lengths")
    if lengths.ndim != 1:
        raise ValueError(f"length_mask: lengths has shape {lengths.shape}; expected (N,)")
    T = int(lengths.max()) if T is None else check_int("length_mask", "T", T, 0)
    if lengths.size and lengths.max() > T:
        raise ValueError(f"length_mask: a length of {lengths.max()} does not fit in T = {T} steps")
    return np.arange(T)[None, :] < lengths[:, None]


# ---------------------------------------------------------------------------
# Embedding: ids -> vectors
# ---------------------------------------------------------------------------


class EmbeddingCache(NamedTuple):
    """What ``embedding_backward`` needs from ``embedding_forward``.

    - ids: (...) the ids that were looked up, usually (N, T)
    - V: the number of rows of the table W (V, d)
    """

    ids: np.ndarray  # (...) the ids that were looked up
    V: int  # number of rows of the table


def embedding_forward(ids, W):
    """Look up a vector for every id.

    Inputs:

    - ids: integer array of any shape (...), usually (N, T), values in [0, V)
    - W: (V, d) the embedding table, one row per token

    Returns (out, cache): out is (..., d) with out[n, t] = W[ids[n, t]].
    """
    fn = "embedding_forward"
    W = Dims(fn, layer="an embedding").array("W", W, "V d", hint="the embedding table, one row per token")
    ids = as_index_array(fn, "ids", ids, upper=W.shape[0])
    return W[ids], EmbeddingCache(ids, W.shape[0])


def embedding_backward(dout, cache):
    """Gradient of the table: every row gets the sum of the gradients of all its look-ups.

    Inputs:

    - dout: (..., d) upstream gradient, usually (N, T, d)
    - cache: the EmbeddingCache returned by embedding_forward

    Returns dW: (V, d). A token used three times gets three contributions:
    np.add.at accumulates repeated ids, where dW[ids] += dout would keep only one.
    """
    fn = "embedding_backward"
    check_cache(fn, cache, EmbeddingCache, "embedding_forward")
    dout = np.asarray(dout)
    if dout.shape[:-1] != cache.ids.shape:
        raise ValueError(f"{fn}: dout has shape {dout.shape}; expected ids.shape + (d,) = {cache.ids.shape + ('d',)}")
    dW = np.zeros((cache.V, dout.shape[-1]), dtype=dout.dtype)
    np.add.at(dW, cache.ids.reshape(-1), dout.reshape(-1, dout.shape[-1]))  # (N*T, d) rows added into (V, d)
    check_finite_grads(fn, dict(dW=dW))
    return dW


class Embedding(Module):
    """A learned table of V vectors of size d, like ``torch.nn.Embedding``.

    Embedding(num_embeddings=V, embedding_dim=d, seed=None, dtype=np.float64); params: ``weight``
    (V, d), initialised N(0, 1) like PyTorch. forward(ids (...)) -> (..., d) in the module's dtype;
    backward(dout) adds to grads. V and d are positive integers, checked when the module is built.
    """

    def __init__(self, num_embeddings, embedding_dim, seed=None, dtype=np.float64):
        super().__init__()
        V = check_size("Embedding", "num_embeddings", num_embeddings)
        d = check_size("Embedding", "embedding_dim", embedding_dim)
        rng = np.random.default_rng(check_seed("Embedding", seed))
        self._add_param("weight", rng.standard_normal((V, d)).astype(check_float_dtype("Embedding", dtype)))
        self._cache = None

    def forward(self, ids):
        """Look up the vector of every id (also callable as ``embedding(ids)``).

        Inputs: ids: integer array of any shape (...), usually (N, T), values in [0, V).

        Returns (..., d), usually (N, T, d): out[n, t] = weight[ids[n, t]].
        """
        out, self._cache = embedding_forward(ids, self.params["weight"])
        return out

    __call__ = forward

    def backward(self, dout):
        """Add the gradient of the table to ``grads["weight"]`` (V, d); returns None.

        Inputs: dout: (..., d), usually (N, T, d), the gradient of the last
        forward's output. Ids are not differentiable, so there is no dx.
        """
        if self._cache is None:
            raise RuntimeError("Embedding.backward: call forward before backward")
        self.grads["weight"] += embedding_backward(dout, self._cache)

    def __repr__(self):
        V, d = self.params["weight"].shape
        return f"Embedding({V}, {d})"


# ---------------------------------------------------------------------------
# Linear: the same affine map at every time step
# ---------------------------------------------------------------------------


class LinearCache(NamedTuple):
    """What ``linear_backward`` needs from ``linear_forward``.

    - x: (..., D) the input, e.g. (N, T, D)
    - W: (V, D) the weights
    """

    x: np.ndarray  # (..., D)
    W: np.ndarray  # (V, D)


def linear_forward(x, W, b):
    """y = x W^T + b over the last axis, at every position of x.

    Inputs:

    - x: (..., D), e.g. (N, D) for one vector per sequence or (N, T, D) for every step
    - W: (V, D), PyTorch's nn.Linear orientation (out_features, in_features)
    - b: (V,)

    Returns (y, cache): y is (..., V).
    """
    fn = "linear_forward"
    dims = Dims(fn, layer="a linear layer")
    W = dims.array("W", W, "V D")
    b = dims.array("b", b, "V")
    x_arr = np.asarray(x)
    if x_arr.ndim < 1 or x_arr.shape[-1] != W.shape[1]:
        raise ValueError(f"{fn}: x has shape {x_arr.shape}; expected (..., D) with D = {W.shape[1]}, "
                         f"because W has shape {W.shape}")
    x = as_float_array(fn, "x", x, layer="a linear layer")
    y = x @ W.T  # (..., D) @ (D, V) -> (..., V)
    y += b
    check_finite_result(fn, "y", y, "the scores are too large for the dtype: scale the inputs or weights down")
    return y, LinearCache(x, W)


def linear_backward(dy, cache):
    """Backward pass of ``linear_forward``.

    Inputs:

    - dy: (..., V) upstream gradient, shaped like y
    - cache: the LinearCache returned by linear_forward

    Returns (dx, dW, db):

    - dx: (..., D), dW: (V, D), db: (V,); dW and db sum over every position
    """
    fn = "linear_backward"
    check_cache(fn, cache, LinearCache, "linear_forward")
    dy = np.asarray(dy)
    expected = cache.x.shape[:-1] + (cache.W.shape[0],)
    if dy.shape != expected:
        raise ValueError(f"{fn}: dy has shape {dy.shape}; expected (..., V) = {expected}")
    D = cache.W.shape[1]
    dy2 = dy.reshape(-1, dy.shape[-1])  # (..., V) -> (M, V)
    dx = dy @ cache.W  # (..., V) @ (V, D) -> (..., D)
    dW = dy2.T @ cache.x.reshape(-1, D)  # (V, M) @ (M, D) -> (V, D)
    db = dy2.sum(axis=0)
    check_finite_grads(fn, dict(dx=dx, dW=dW, db=db))
    return dx, dW, db


class Linear(Module):
    """An affine layer applied to the last axis, like ``torch.nn.Linear``.

    Linear(in_features=D, out_features=V, seed=None, dtype=np.float64); params ``weight`` (V, D)
    and ``bias`` (V,), initialised uniform(-1/sqrt(D), 1/sqrt(D)) like PyTorch. D and V are
    positive integers, checked when the module is built. forward's x must have the module's
    dtype (a float32 module refuses float64 input, as PyTorch does).
    """

    def __init__(self, in_features, out_features, seed=None, dtype=np.float64):
        super().__init__()
        D = check_size("Linear", "in_features", in_features)
        V = check_size("Linear", "out_features", out_features)
        rng = np.random.default_rng(check_seed("Linear", seed))
        dtype = check_float_dtype("Linear", dtype)
        bound = 1 / np.sqrt(D)
        self._add_param("weight", rng.uniform(-bound, bound, (V, D)).astype(dtype))
        self._add_param("bias", rng.uniform(-bound, bound, V).astype(dtype))
        self._cache = None

    def forward(self, x):
        """y = x W^T + b at every position of x (also callable as ``linear(x)``).

        Inputs: x: (..., D), e.g. (N, D) or (N, T, D), in the module's dtype.

        Returns y: (..., V), e.g. (N, V) or (N, T, V).
        """
        x = as_float_array("Linear.forward", "x", x, layer="a linear layer")
        check_input_dtype("Linear.forward", "x", x, self.params["weight"].dtype)
        y, self._cache = linear_forward(x, self.params["weight"], self.params["bias"])
        return y

    __call__ = forward

    def backward(self, dy):
        """Add dW (V, D) and db (V,) to ``grads``; return dx.

        Inputs: dy: (..., V), the gradient of the last forward's output.

        Returns dx: (..., D), shaped like the last forward's input.
        """
        if self._cache is None:
            raise RuntimeError("Linear.backward: call forward before backward")
        dx, dW, db = linear_backward(dy, self._cache)
        self.grads["weight"] += dW
        self.grads["bias"] += db
        return dx

    def __repr__(self):
        V, D = self.params["weight"].shape
        return f"Linear({D}, {V})"


# ---------------------------------------------------------------------------
# The last valid step of every sequence (many-to-one)
# ---------------------------------------------------------------------------


class LastStepCache(NamedTuple):
    """What ``last_step_backward`` needs from ``last_step_forward``.

    - lengths: (N,) the true lengths
    - shape: the tuple (N, T, D), the shape of h
    """

    lengths: np.ndarray  # (N,)
    shape: tuple  # (N, T, D)


def last_step_forward(h, lengths=None):
    """Each sequence's hidden state at its own last real step.

    Inputs:

    - h: (N, T, D) hidden states of padded sequences
    - lengths: (N,) true lengths, 1 <= lengths[n] <= T; None means every row has length T

    Returns (out, cache): out (N, D) with out[n] = h[n, lengths[n] - 1].
    Taking h[:, -1] instead would read the state after the padding.
    """
    fn = "last_step_forward"
    h = Dims(fn, layer=fn).array("h", h, "N T D", hint="the hidden states of a batch of sequences")
    N, T, D = h.shape
    if lengths is None:
        lengths = np.full(N, T, dtype=np.int64)
    lengths = check_lengths(fn, lengths, N, T, source="h")
    return h[np.arange(N), lengths - 1], LastStepCache(lengths, h.shape)


def last_step_backward(dout, cache):
    """Backward pass of ``last_step_forward``.

    Inputs:

    - dout: (N, D) upstream gradient of the picked states
    - cache: the LastStepCache returned by last_step_forward

    Returns dh: (N, T, D), zero except at each sequence's last real step.
    """
    fn = "last_step_backward"
    check_cache(fn, cache, LastStepCache, "last_step_forward")
    N, T, D = cache.shape
    dout = Dims(fn, N=N, D=D).array("dout", dout, "N D")
    dh = np.zeros((N, T, D), dtype=dout.dtype)
    dh[np.arange(N), cache.lengths - 1] = dout
    return dh
