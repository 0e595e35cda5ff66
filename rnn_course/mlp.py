"""A feed-forward baseline for sequences: the fixed-window MLP of chapter 2,
and the memory task that shows where a fixed window ends.

A feed-forward network (a multi-layer perceptron, MLP) has no memory from one
input to the next: to read a sequence it must be shown a fixed number of
tokens at once. ``WindowMLP`` sees the last w tokens of each sequence, one-hot
and concatenated, through one hidden layer:

    last_window(ids, lengths, w)        (N, T) ids -> (N, w) the last w ids, left-padded
    mlp_forward / mlp_backward          x (N, F) -> scores (N, C), F = w*V inputs
    WindowMLP(V, w, H, C)               ids (N, T) + lengths (N,) -> scores (N, C); loss() for fit
    marker_task(n, ...)                 "is the marker anywhere in this sequence?", many-to-one

The window is the point: a marker more than w - 1 steps before the end is
invisible to the MLP, whatever it learns, while an RNN reads every step.
Notation: N batch, T time steps, w window, V vocabulary, H hidden units, C classes.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._checks import Dims, as_index_array, check_cache, check_choice, check_finite_grads
from .layers import linear_backward, linear_forward, one_hot
from .losses import softmax_cross_entropy
from .module import Module

NONLINEARITIES = ("tanh", "relu")


def _positive_int(fn, name, value, minimum=1):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{fn}: {name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _ids_and_lengths(fn, ids, lengths, V=None):
    """Validate a padded batch: ids (N, T) in [0, V), lengths (N,) in [1, T]."""
    ids = as_index_array(fn, "ids", ids, upper=V)
    if ids.ndim != 2:
        raise ValueError(f"{fn}: ids has shape {ids.shape}; expected (N, T), one row of token ids per sequence")
    N, T = ids.shape
    if lengths is None:
        return ids, np.full(N, T, dtype=np.int64)
    lengths = as_index_array(fn, "lengths", lengths, upper=T + 1, what="lengths")
    if lengths.shape != (N,):
        raise ValueError(f"{fn}: lengths has shape {lengths.shape}; expected (N,) = ({N},)")
    if N and lengths.min() < 1:
        raise ValueError(f"{fn}: lengths contains 0; every sequence needs at least one token")
    return ids, lengths


# ---------------------------------------------------------------------------
# The window: what a feed-forward network is shown of a sequence
# ---------------------------------------------------------------------------


def last_window(ids, lengths, w, pad_id=0):
    """The last w real tokens of every sequence, in order, left-padded when shorter.

    Inputs:

    - ids: (N, T) padded token ids
    - lengths: (N,) true lengths, 1 <= lengths[n] <= T (None: every row has length T)
    - w: the window size
    - pad_id: the id that fills the window in front of a sequence shorter than w

    Returns (N, w) ids: row n ends with token lengths[n] - 1 of sequence n.
    """
    fn = "last_window"
    w = _positive_int(fn, "w", w)
    ids, lengths = _ids_and_lengths(fn, ids, lengths)
    N = ids.shape[0]
    pos = lengths[:, None] - w + np.arange(w)[None, :]  # (N, w) positions in the sequence
    out = ids[np.arange(N)[:, None], np.clip(pos, 0, None)]  # (N, w)
    out[pos < 0] = pad_id
    return out


# ---------------------------------------------------------------------------
# The two-layer perceptron: one hidden layer, then class scores
# ---------------------------------------------------------------------------


class MLPCache(NamedTuple):
    """What ``mlp_backward`` needs from ``mlp_forward``.

    - first: the LinearCache of the hidden layer: x (N, F), W1 (H, F)
    - second: the LinearCache of the output layer: h (N, H), W2 (C, H)
    - h: (N, H) the activated hidden layer
    - nonlinearity: "tanh" or "relu"
    """

    first: tuple  # the LinearCache of the hidden layer: x (N, F), W1 (H, F)
    second: tuple  # the LinearCache of the output layer: h (N, H), W2 (C, H)
    h: np.ndarray  # (N, H) the activated hidden layer
    nonlinearity: str


def mlp_forward(x, W1, b1, W2, b2, nonlinearity="tanh"):
    """A feed-forward pass: input layer -> hidden layer -> output layer.

    h = f(x W1^T + b1), scores = h W2^T + b2, with f tanh or ReLU.

    Inputs:

    - x: (N, F) input vectors, e.g. F = w*V concatenated one-hot tokens
    - W1: (H, F), b1: (H,) the hidden layer, PyTorch's nn.Linear orientation
    - W2: (C, H), b2: (C,) the output layer
    - nonlinearity: "tanh" or "relu", the hidden layer's activation function

    Returns (scores, cache): scores is (N, C).
    """
    fn = "mlp_forward"
    check_choice(fn, "nonlinearity", nonlinearity, NONLINEARITIES)
    dims = Dims(fn)
    x = dims.array("x", x, "N F", hint="one input vector per example; flatten a window first")
    W1 = dims.array("W1", W1, "H F")
    b1 = dims.array("b1", b1, "H")
    W2 = dims.array("W2", W2, "C H")
    b2 = dims.array("b2", b2, "C")
    a, first = linear_forward(x, W1, b1)  # (N, F) -> (N, H)
    h = np.tanh(a) if nonlinearity == "tanh" else np.maximum(a, 0)
    scores, second = linear_forward(h, W2, b2)  # (N, H) -> (N, C)
    return scores, MLPCache(first, second, h, nonlinearity)


def mlp_backward(dscores, cache):
    """Inputs: dscores (N, C); cache from mlp_forward.

    Returns (dx, dW1, db1, dW2, db2) with the shapes of x, W1, b1, W2, b2.
    """
    fn = "mlp_backward"
    check_cache(fn, cache, MLPCache, "mlp_forward")
    N, H = cache.h.shape
    C = cache.second.W.shape[0]
    dscores = Dims(fn, N=N, C=C).array("dscores", dscores, "N C")
    dh, dW2, db2 = linear_backward(dscores, cache.second)  # (N, C) -> (N, H)
    da = dh * (1.0 - cache.h ** 2) if cache.nonlinearity == "tanh" else dh * (cache.h > 0)
    dx, dW1, db1 = linear_backward(da, cache.first)  # (N, H) -> (N, F)
    check_finite_grads(fn, dict(dx=dx, dW1=dW1, db1=db1, dW2=dW2, db2=db2))
    return dx, dW1, db1, dW2, db2


# ---------------------------------------------------------------------------
# The model
# ---------------------------------------------------------------------------


class WindowMLP(Module):
    """A feed-forward classifier that sees only the last ``window`` tokens.

    WindowMLP(vocab_size=V, window=w, hidden_size=H, num_classes=C,
              nonlinearity="tanh", pad_id=0, seed=0)

    ids (N, T) + lengths (N,) -> the last w ids (N, w) -> one-hot, concatenated
    (N, w*V) -> hidden layer (N, H) -> scores (N, C). Parameters ``W1`` (H, w*V),
    ``b1`` (H,), ``W2`` (C, H), ``b2`` (C,), initialised like nn.Linear; their
    number, w*V*H + H + C*H + C, grows with the window. ``loss(ids, lengths,
    labels)`` runs forward and backward, so ``rnn_course.train.fit`` trains it
    on the same batches as a ``ManyToOneClassifier``.
    """

    def __init__(self, vocab_size, window, hidden_size, num_classes, nonlinearity="tanh", pad_id=0,
                 seed=0):
        super().__init__()
        fn = "WindowMLP"
        self.vocab_size = _positive_int(fn, "vocab_size", vocab_size)
        self.window = _positive_int(fn, "window", window)
        self.hidden_size = _positive_int(fn, "hidden_size", hidden_size)
        self.num_classes = _positive_int(fn, "num_classes", num_classes)
        check_choice(fn, "nonlinearity", nonlinearity, NONLINEARITIES)
        self.nonlinearity = nonlinearity
        self.pad_id = int(as_index_array(fn, "pad_id", pad_id, upper=self.vocab_size))
        rng = np.random.default_rng(seed)
        F, H, C = self.window * self.vocab_size, self.hidden_size, self.num_classes
        for name, shape, fan_in in (("W1", (H, F), F), ("b1", (H,), F), ("W2", (C, H), H), ("b2", (C,), H)):
            bound = 1 / np.sqrt(fan_in)
            self._add_param(name, rng.uniform(-bound, bound, shape))
        self._cache = None

    def features(self, ids, lengths=None):
        """ids (N, T) + lengths (N,) -> (N, w*V): the window's one-hot vectors, side by side."""
        ids, lengths = _ids_and_lengths(f"{type(self).__name__}.features", ids, lengths, V=self.vocab_size)
        win = last_window(ids, lengths, self.window, self.pad_id)  # (N, w)
        return one_hot(win, self.vocab_size).reshape(len(win), -1)  # (N, w, V) -> (N, w*V)

    def forward(self, ids, lengths=None):
        """Class scores (N, C) for ids (N, T) with true lengths (N,)."""
        p = self.params
        scores, self._cache = mlp_forward(self.features(ids, lengths), p["W1"], p["b1"], p["W2"], p["b2"],
                                          self.nonlinearity)
        return scores

    __call__ = forward

    def backward(self, dscores):
        """Add the gradients of the last forward pass's scores into ``grads``.

        Inputs: dscores: (N, C), the gradient of the scores the last forward returned.

        Adds dW1 (H, w*V), db1 (H,), dW2 (C, H), db2 (C,) to ``grads``; returns
        None (the ids are not differentiable).
        """
        if self._cache is None:
            raise RuntimeError("WindowMLP.backward: call forward before backward")
        _, dW1, db1, dW2, db2 = mlp_backward(dscores, self._cache)
        for name, g in (("W1", dW1), ("b1", db1), ("W2", dW2), ("b2", db2)):
            self.grads[name] += g

    def loss(self, ids, lengths, labels):
        """Mean cross-entropy of the scores against labels (N,); runs the backward pass too.

        Inputs: ids (N, T) padded ids; lengths (N,) true lengths or None; labels
        (N,) true classes in [0, C).

        Returns the loss, a float; the gradients are added to ``grads``.
        """
        loss, dscores = softmax_cross_entropy(self.forward(ids, lengths), labels)
        self.backward(dscores)
        return loss

    def loss_count(self, ids, lengths, labels):
        """How many terms ``loss`` averages over for this batch: N, one per row of ids (N, T)."""
        return len(ids)

    def predict(self, ids, lengths=None):
        """The most likely class of every sequence.

        Inputs: ids (N, T) padded ids; lengths (N,) true lengths, or None when
        every row has length T.

        Returns (N,) class ids in [0, C), the argmax of ``forward``'s (N, C) scores.
        """
        return self.forward(ids, lengths).argmax(axis=1)

    def __repr__(self):
        return (f"WindowMLP(vocab_size={self.vocab_size}, window={self.window}, "
                f"hidden_size={self.hidden_size}, num_classes={self.num_classes})")


# ---------------------------------------------------------------------------
# The task: is the marker anywhere in the sequence?
# ---------------------------------------------------------------------------

PAD_ID, MARKER_ID = 0, 1


class MarkerTask(NamedTuple):
    """A batch of the marker task (all arrays share their first axis N).

    - ids: (N, T) padded token ids: 0 is <pad>, 1 the marker, 2 ... V-1 ordinary tokens
    - lengths: (N,) true lengths
    - labels: (N,) 1 if the marker occurs in the sequence, else 0
    - distances: (N,) steps from the marker to the last token (0: the marker is
      the last token), -1 where there is no marker
    """

    ids: np.ndarray
    lengths: np.ndarray
    labels: np.ndarray
    distances: np.ndarray


def marker_task(n, min_len=1, max_len=20, vocab_size=8, distance=None, seed=0):
    """Sequences of random tokens, half of them with one marker token somewhere.

    Many-to-one: the label says whether the marker (id 1) occurs. Nothing about
    the tokens after it tells, so a model must remember it until the end.

    Inputs:

    - n: number of sequences; the first half (rounded up) carry a marker, then shuffled
    - min_len, max_len: lengths are uniform in [min_len, max_len]
    - vocab_size: V >= 3; ordinary tokens are uniform over 2 ... V-1
    - distance: None: the marker's position is uniform over the sequence; an
      integer k: it sits exactly k steps before the last token (needs min_len > k)
    - seed: everything is drawn from np.random.default_rng(seed)

    Returns a MarkerTask of N = n sequences: ids (N, T) padded to T = max_len,
    lengths (N,), labels (N,) and distances (N,).
    """
    fn = "marker_task"
    n = _positive_int(fn, "n", n)
    min_len = _positive_int(fn, "min_len", min_len)
    max_len = _positive_int(fn, "max_len", max_len)
    vocab_size = _positive_int(fn, "vocab_size", vocab_size, minimum=3)
    if max_len < min_len:
        raise ValueError(f"{fn}: max_len = {max_len} is below min_len = {min_len}")
    if distance is not None:
        distance = _positive_int(fn, "distance", distance, minimum=0)
        if distance >= min_len:
            raise ValueError(f"{fn}: a marker {distance} steps before the end needs sequences of at least "
                             f"{distance + 1} tokens; raise min_len to {distance + 1} or more")
    rng = np.random.default_rng(seed)
    lengths = rng.integers(min_len, max_len + 1, size=n)
    ids = rng.integers(2, vocab_size, size=(n, max_len))
    ids[np.arange(max_len)[None, :] >= lengths[:, None]] = PAD_ID
    labels = (np.arange(n) < (n + 1) // 2).astype(np.int64)
    if distance is None:
        dist = (rng.random(n) * lengths).astype(np.int64)  # uniform over 0 ... length-1
    else:
        dist = np.full(n, distance, dtype=np.int64)
    pos = np.where(labels == 1)[0]
    ids[pos, lengths[pos] - 1 - dist[pos]] = MARKER_ID
    dist[labels == 0] = -1
    order = rng.permutation(n)
    return MarkerTask(ids[order], lengths[order], labels[order], dist[order])
