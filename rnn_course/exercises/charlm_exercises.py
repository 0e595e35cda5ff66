"""Checker for the language-model project's "modify and rerun" exercise: the
learner swaps the names model's GRU for an LSTM of the same size.

The learner's function, with its fixed signature:

    make_lstm_lm(vocab_size, seed) -> CharLM
    - an untrained rnn_course.CharLM for vocab_size (V) characters
    - cell "lstm", embedding size d = EMBED, hidden size D = HIDDEN, one layer
    - its initial weights fixed by seed (same seed, same weights)

The check builds models for two vocabulary sizes and two seeds, inspects
their layers, then trains one briefly on a short repeating text: the loss
must fall, which a model whose weights cannot learn (all zeros, say) fails.
"""

from __future__ import annotations

import numpy as np

from ..gru import GRU
from ..lstm import LSTM
from ..models import CharLM
from ..optim import Adam
from ..rnn import RNN
from ._run import Fail, call

EMBED, HIDDEN = 16, 64
TINY_TEXT = "the cat sat on the mat. " * 30  # 720 characters, 11 distinct: easy to learn
TRAIN_STEPS = 40


def make_lstm_lm(vocab_size, seed=0):
    """The reference answer: an untrained LSTM CharLM of the names model's size."""
    return CharLM(vocab_size, EMBED, HIDDEN, cell="lstm", num_layers=1, seed=seed)


def _build(fn, V, seed):
    model, _ = call(fn, V, seed)
    if not isinstance(model, CharLM):
        kind = type(model).__name__
        hint = (" — that is only the recurrent layer; CharLM puts an embedding before it and a linear layer "
                "after it" if isinstance(model, (RNN, GRU, LSTM)) else "")
        raise Fail(f"make_lstm_lm returned {'None' if model is None else 'a ' + kind}{hint}. Return the model: "
                   f"CharLM(vocab_size, {EMBED}, {HIDDEN}, cell='lstm', seed=seed)")
    return model


def _describe(model):
    rnn = model.rnn
    return (f"your model: {type(rnn).__name__} with d = {getattr(rnn, 'input_size', '?')}, "
            f"D = {getattr(rnn, 'hidden_size', '?')}, {getattr(rnn, 'num_layers', '?')} layer(s)")


def _check_layers(model, V):
    rnn = model.rnn
    if not isinstance(rnn, LSTM):
        raise Fail(f"the recurrent layer is a {type(rnn).__name__}, not an LSTM: CharLM's cell is chosen by "
                   f"its argument cell='lstm' (its default is 'gru')",
                   _describe(model))
    if rnn.num_layers != 1:
        raise Fail(f"the LSTM has {rnn.num_layers} stacked layers; the GRU it replaces has one, so the two "
                   f"compare fairly: leave num_layers at 1", _describe(model))
    if rnn.hidden_size != HIDDEN:
        raise Fail(f"the hidden size is D = {rnn.hidden_size}; use D = {HIDDEN}, the GRU's, so that only the "
                   f"cell changes (CharLM's third argument, hidden_size)", _describe(model))
    V_in, d = model.embed.params["weight"].shape
    if d != EMBED or rnn.input_size != EMBED:
        raise Fail(f"the embedding size is d = {d}; use d = {EMBED}, the GRU model's (CharLM's second argument, "
                   f"embed_dim)", _describe(model))
    V_out = model.head.params["weight"].shape[0]
    if V_in != V or V_out != V:
        raise Fail(f"with vocab_size = {V} the model reads {V_in} and predicts {V_out} characters: pass "
                   f"vocab_size on to CharLM instead of a fixed number", _describe(model))


def _weights(model):
    return [p for _, p, _ in model.parameters()]


def _same_weights(a, b):
    wa, wb = _weights(a), _weights(b)
    return len(wa) == len(wb) and all(x.shape == y.shape and np.array_equal(x, y) for x, y in zip(wa, wb))


def _train_briefly(model, seed):
    """Train on TINY_TEXT for TRAIN_STEPS Adam steps; (first loss, last loss)."""
    chars = sorted(set(TINY_TEXT))
    ids = np.array([chars.index(c) for c in TINY_TEXT])
    T = 16
    N = (len(ids) - 1) // T
    inputs, targets = ids[:N * T].reshape(N, T), ids[1:N * T + 1].reshape(N, T)  # (N, T), (N, T)
    rng = np.random.default_rng([seed, 61])
    opt = Adam(model, lr=0.02)
    losses = []
    for _ in range(TRAIN_STEPS):
        batch = rng.choice(N, size=8, replace=False)
        model.zero_grad()
        losses.append(float(model.loss(inputs[batch], targets[batch])))
        opt.step()
    return losses[0], float(np.mean(losses[-5:]))


def check_charlm_lstm(fn, seed=0):
    models = {V: _build(fn, V, seed) for V in (29, 11)}
    for V, model in models.items():
        _check_layers(model, V)
    first = models[29]
    again = _build(fn, 29, seed)
    if again is first:
        raise Fail("two calls returned the very same model object: build a new CharLM in every call, or "
                   "training one model would train the other")
    if not _same_weights(first, again):
        raise Fail(f"two calls with the same seed ({seed}) gave different initial weights: pass seed=seed to "
                   f"CharLM, so that a run can be repeated")
    if _same_weights(first, _build(fn, 29, seed + 1)):
        raise Fail(f"seeds {seed} and {seed + 1} gave the same initial weights: the seed is ignored; pass "
                   f"seed=seed to CharLM")
    model = _build(fn, 11, seed)
    start, end = _train_briefly(model, seed)
    if not (np.isfinite(end) and end < 0.5 * start):
        raise Fail(f"the model builds but hardly learns: {TRAIN_STEPS} Adam steps on a short repeating text took "
                   f"its loss from {start:.2f} only to {end:.2f} nats per character. Return the untrained "
                   f"CharLM as built (its random initial weights), not one whose weights were changed",
                   _describe(model))
    return (f"make_lstm_lm builds an LSTM CharLM (d = {EMBED}, D = {HIDDEN}, one layer) for any vocabulary size, "
            f"seeded; trained for {TRAIN_STEPS} steps on a short repeating text, its loss fell from {start:.2f} to "
            f"{end:.2f} nats per character (the text repeats, so it can be learned almost perfectly).")
