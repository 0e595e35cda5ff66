"""Your own model, trained: a many-to-one RNN classifier made of plain functions.

The section "Your own model, trained", the last of the topologies chapter,
wires the learner's own pieces into a sentiment classifier and trains it. This module is the reference the
section compares against, written with the very same functions the learner
writes, taken from the library:

    ids (N, T) --embedding_forward--> x (N, T, d) --rnn_forward--> h (N, T, D)
      --last_step_forward--> h_last (N, D) --linear_forward--> logits (N, C)
      --masked softmax cross-entropy--> loss

and back again through the backward of each piece. ``model_loss`` is that
forward and backward pass; ``train_model`` is the training loop (shuffled
batches, gradient clipping, Adam); ``reference_run`` trains it once on
the bundled sentiment sentences. ``PIECES`` maps a piece's name to the library
function it must match, so ``model_loss(..., pieces=...)`` can run any mix of
the learner's pieces and the library's.

Notation: N sentences, T words (after padding), V vocabulary, d embedding
size, D hidden size, C classes (2 for the bundled sentiment data). The parameters are a dict of arrays:

    E (V, d)   the embedding table      Wx (D, d), Wh (D, D), b (D,)   the RNN cell
    Wy (C, D), by (C,)                  the output layer
"""

from __future__ import annotations

import functools
import time
from typing import NamedTuple

import numpy as np

from . import layers as _layers
from . import losses as _losses
from . import optim as _optim
from . import rnn as _rnn
from .datasets import load_sentiment
from .layers import pad_sequences
from .train import History, batches

#: The model and its training: small enough that a pure-numpy run takes a few seconds.
# Adam, because plain SGD barely moves a vanilla RNN on this data in a few epochs (test accuracy stays
# near chance at lr 0.1 to 1 after 4 epochs, while Adam at lr 0.005 passes 0.65 after 3).
SETTINGS = dict(embed=16, hidden=32, max_len=30, min_freq=2, epochs=3, batch_size=32, lr=0.005, max_norm=5.0,
                seed=0)
#: Adam's constants, as torch.optim.Adam's defaults.
BETAS, EPS = (0.9, 0.999), 1e-8

#: The parameters, in the order model_loss returns their gradients.
PARAM_NAMES = ("E", "Wx", "Wh", "b", "Wy", "by")


def masked_softmax_cross_entropy(logits, targets, mask):
    """The library's softmax_cross_entropy with a mask, under the name of the topologies chapter's exercise.

    logits (N, T, C), targets (N, T) class ids, mask (N, T) bool, True where a position counts. Returns
    (loss, dlogits): the mean cross-entropy over the counted positions, and dlogits (N, T, C), zero where
    the mask is False. The classifier passes (N, 1, C), (N, 1) and a mask of ones: the mean over sentences.
    """
    return _losses.softmax_cross_entropy(logits, targets, mask)


def clip_grad_norm(grads, max_norm):
    """The library's clip_grad_norm on a list of gradient arrays of any shapes, e.g. (V, d) and (D, D).

    If their global norm sqrt(sum of every squared entry) exceeds max_norm, every array is scaled in place by
    max_norm / norm; returns the norm before clipping, a float.
    """
    return _optim.clip_grad_norm(list(grads), max_norm)


def adam_step(params, grads, state, lr):
    """One Adam update of every parameter, in place (Kingma & Ba, 2015; torch.optim.Adam's arithmetic).

    - params, grads: dicts with the same keys, grads[k] shaped like params[k], e.g. "Wh": (D, D);
      params' arrays are float and changed in place
    - state: a dict the caller keeps between steps, {} at the start; this function stores the step count
      "t" and each parameter's moment estimates "m", "v" in it
    - lr: the learning rate

        m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
        p -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
    """
    b1, b2 = BETAS
    state["t"] = t = state.get("t", 0) + 1
    m, v = state.setdefault("m", {}), state.setdefault("v", {})
    for k, p in params.items():
        g = grads[k]
        m[k] = b1 * m.get(k, 0) + (1 - b1) * g
        v[k] = b2 * v.get(k, 0) + (1 - b2) * g * g
        m_hat = m[k] / (1 - b1 ** t)
        v_hat = v[k] / (1 - b2 ** t)
        p -= lr * m_hat / (np.sqrt(v_hat) + EPS)


#: Piece name -> the library function it must match.
PIECES = {
    "embedding_forward": _layers.embedding_forward,
    "embedding_backward": _layers.embedding_backward,
    "rnn_forward": _rnn.rnn_forward,
    "rnn_backward": _rnn.rnn_backward,
    "last_step_forward": _layers.last_step_forward,
    "last_step_backward": _layers.last_step_backward,
    "linear_forward": _layers.linear_forward,
    "linear_backward": _layers.linear_backward,
    "masked_softmax_cross_entropy": masked_softmax_cross_entropy,
    "clip_grad_norm": clip_grad_norm,
    "adam_step": adam_step,
}


class Data(NamedTuple):
    """One split, padded.

    - ids: (n, T) int64 word ids, 0 after each sentence's end
    - lengths: (n,) int64 true lengths
    - labels: (n,) int64 classes, 0 or 1
    """

    ids: np.ndarray
    lengths: np.ndarray
    labels: np.ndarray


@functools.lru_cache(maxsize=1)
def load_data():
    """(train, test, V, C): the sentiment training and test splits (the validation split is not used),
    each a Data padded to max_len words; words seen only once in the training split are <unk>.

    The arrays are made read-only, so that a training loop cannot change the cached data.
    """
    data = load_sentiment(min_freq=SETTINGS["min_freq"])
    splits = []
    for split in (data.train, data.test):
        ids, lengths = pad_sequences(split.ids, max_len=SETTINGS["max_len"])  # (n, T), (n,)
        arrays = [ids, lengths, np.asarray(split.labels, dtype=np.int64).copy()]
        for a in arrays:
            a.flags.writeable = False
        splits.append(Data(*arrays))
    return splits[0], splits[1], len(data.vocab), len(data.classes)


def init_params(V, d, D, C, seed=0):
    """A fresh parameter dict: E ~ N(0, 1) as torch.nn.Embedding; the cell and the output layer uniform in
    ±1/sqrt(D) as torch.nn.RNN and torch.nn.Linear; all float64.

    Returns {"E": (V, d), "Wx": (D, d), "Wh": (D, D), "b": (D,), "Wy": (C, D), "by": (C,)}.
    """
    rng = np.random.default_rng(seed)
    k = 1 / np.sqrt(D)
    return {
        "E": rng.standard_normal((V, d)),
        "Wx": rng.uniform(-k, k, (D, d)),
        "Wh": rng.uniform(-k, k, (D, D)),
        "b": rng.uniform(-k, k, D),
        "Wy": rng.uniform(-k, k, (C, D)),
        "by": rng.uniform(-k, k, C),
    }


def fresh_params(seed=None):
    """init_params for the bundled sentiment data with SETTINGS' sizes (the start of every training run)."""
    _, _, V, C = load_data()
    return init_params(V, SETTINGS["embed"], SETTINGS["hidden"], C,
                       SETTINGS["seed"] if seed is None else seed)


def _piece(pieces, name):
    return (pieces or {}).get(name, PIECES[name])


def model_loss(params, ids, lengths, labels, pieces=None):
    """The loss of the classifier on one batch, and its gradient for every parameter.

    Inputs:

    - params: {"E": (V, d), "Wx": (D, d), "Wh": (D, D), "b": (D,), "Wy": (C, D), "by": (C,)}
    - ids: (N, T) padded word ids; lengths: (N,) true lengths; labels: (N,) classes in [0, C)
    - pieces: None (the library's functions) or {piece name: function} to use instead

    Returns (loss, grads): the mean cross-entropy over the N sentences, and a dict shaped like params.
    """
    p = functools.partial(_piece, pieces)
    N = len(labels)
    x, emb_cache = p("embedding_forward")(ids, params["E"])  # (N, T, d)
    h, rnn_cache = p("rnn_forward")(x, None, params["Wx"], params["Wh"], params["b"])  # (N, T, D)
    last, last_cache = p("last_step_forward")(h, lengths)  # (N, D)
    logits, lin_cache = p("linear_forward")(last, params["Wy"], params["by"])  # (N, C)
    loss, dlogits = p("masked_softmax_cross_entropy")(logits[:, None], labels[:, None],
                                                      np.ones((N, 1), dtype=bool))  # one "step" per sentence
    dlast, dWy, dby = p("linear_backward")(dlogits[:, 0], lin_cache)
    dh = p("last_step_backward")(dlast, last_cache)  # (N, T, D), zero but at each last real step
    dx, _, dWx, dWh, db = p("rnn_backward")(dh, rnn_cache)
    dE = p("embedding_backward")(dx, emb_cache)
    return loss, {"E": dE, "Wx": dWx, "Wh": dWh, "b": db, "Wy": dWy, "by": dby}


def logits(params, ids, lengths):
    """The class scores (N, C) of padded sentences ids (N, T) with lengths (N,), by the library's layers."""
    x, _ = _layers.embedding_forward(ids, params["E"])
    h, _ = _rnn.rnn_forward(x, None, params["Wx"], params["Wh"], params["b"])
    last, _ = _layers.last_step_forward(h, lengths)
    return _layers.linear_forward(last, params["Wy"], params["by"])[0]


def accuracy(params, data):
    """The share of the sentences of data, a Data, whose highest score is their label (a float in [0, 1])."""
    return float(np.mean(logits(params, data.ids, data.lengths).argmax(axis=1) == data.labels))


def train_model(params, data, epochs=SETTINGS["epochs"], batch_size=SETTINGS["batch_size"], lr=SETTINGS["lr"],
                max_norm=SETTINGS["max_norm"], seed=SETTINGS["seed"], pieces=None):
    """The training loop: shuffled batches (``rnn_course.train.batches``; the last batch may be smaller),
    model_loss, clip_grad_norm at max_norm, adam_step at lr.

    - params: as init_params makes them, updated in place
    - data: a Data, e.g. the train split of load_data()
    - seed: seeds the shuffling only
    - pieces: as in model_loss; "clip_grad_norm" and "adam_step" can be swapped too

    Returns the list of every step's loss.
    """
    rng = np.random.default_rng(seed)
    state, losses = {}, []
    for epoch in range(epochs):
        for idx in batches(len(data.labels), batch_size, rng):
            loss, grads = model_loss(params, data.ids[idx], data.lengths[idx], data.labels[idx], pieces)
            _piece(pieces, "clip_grad_norm")(list(grads.values()), max_norm)
            _piece(pieces, "adam_step")(params, grads, state, lr)
            losses.append(loss)
    return losses


class Run(NamedTuple):
    """A finished training run.

    - losses: the training loss of every step, a list of floats
    - params: the trained parameters, {name: array} as ``init_params`` makes them, e.g. Wh (D, D)
    - test_accuracy: the share of test sentences classified right, a float in [0, 1]
    - seconds: the wall time of reference_run, in seconds: training, the test evaluation and, on the
      first call, loading the data
    """

    losses: list
    params: dict
    test_accuracy: float
    seconds: float

    def history(self):
        """The run as a ``History``, for ``rnn_course.plots.training.loss_curves``."""
        return History(losses=list(self.losses))


@functools.lru_cache(maxsize=1)
def reference_run():
    """train_model with the library's pieces from fresh_params(): the run the learner's is compared with.

    Cached: every call returns the same Run, so do not change its params in place (copy them first).
    """
    start = time.perf_counter()
    train, test, _, _ = load_data()
    params = fresh_params()
    losses = train_model(params, train)
    return Run([float(v) for v in losses], params, accuracy(params, test), time.perf_counter() - start)
