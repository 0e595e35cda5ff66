"""Many-to-many: a character-level language model of Moby-Dick.

    charlm   Moby-Dick characters -> the next character, then sampled text

The training text is cut into windows of T + 1 characters; the model reads
the first T and is scored on predicting each next one (cross-entropy in nats
per character). The number to beat is the unigram baseline: a model that
ignores the past and always predicts the training text's character
frequencies scores their cross-entropy, about 3.1 nats per character.

The metric, "test loss below unigram", is how much lower the model's loss is
than that baseline on the held-out test text, as a fraction:

    1 - test loss / unigram test loss      (0.35 means 35% lower; 0 means no better)

The losses themselves are in the extras. The text is split, not shuffled:
train is the first 90% of the excerpt, then validation, then test.

Notation: N windows, T characters per window, V characters (78), D hidden size.
"""

from __future__ import annotations

import time

import numpy as np

from ..datasets import load_moby_dick
from ..losses import log_softmax
from ..models import CharLM
from ..train import fit
from . import TaskResult, check_options

# The tuned defaults: a GRU with D = 64 over windows of T = 64 characters,
# two epochs with small batches (many steps) at a high learning rate.
SETTINGS = dict(epochs=2, hidden=64, embed=32, layers=1, bidirectional=False, cell="gru",
                lr=0.01, batch_size=16, seq_len=64)
EVAL_LEN = 256  # validation and test text are scored in windows this long
PROMPT = "The whale"
TEMPERATURES = (0.5, 1.0)
SAMPLE_LEN = 200


def run(epochs=None, hidden=None, layers=None, bidirectional=None, cell=None, seed=0,
        quiet=False) -> TaskResult:
    """Train the character language model; metric "test loss below unigram".

    Options (None = the tuned default in ``SETTINGS``): epochs, hidden (D),
    layers, cell ("rnn", "lstm", "gru"), seed, quiet. bidirectional must be
    False (or None): a bidirectional model would read the very characters it
    is asked to predict. Unless quiet, prints samples at temperatures 0.5 and 1.0.

    Returns a TaskResult with extras (losses in nats per character):
    - "settings": every setting used
    - "val loss", "test loss": the model's cross-entropy on the held-out text
      (each epoch's val loss is in history.epochs)
    - "unigram val loss", "unigram test loss": the baseline on the same characters
    - "val loss below unigram": 1 - val loss / unigram val loss (the target is >= 0.30)
    - "test bits per character": test loss / ln 2
    - "samples": {temperature: text} for temperatures 0.5 and 1.0, each
      SAMPLE_LEN characters continuing PROMPT
    - "prompt", "vocab": the prompt and the character Vocab
    """
    start = time.perf_counter()
    cfg = _settings(epochs=epochs, hidden=hidden, layers=layers, bidirectional=bidirectional,
                    cell=cell, seed=seed, quiet=quiet)
    corpus = load_moby_dick()
    V = len(corpus.vocab)
    train = windows(corpus.train, cfg["seq_len"])
    val, test = windows(corpus.val, EVAL_LEN), windows(corpus.test, EVAL_LEN)
    unigram = unigram_log_probs(corpus.train, V)  # (V,)

    model = CharLM(V, cfg["embed"], cfg["hidden"], cell=cfg["cell"], num_layers=cfg["layers"], seed=seed)
    history = fit(model, train, epochs=cfg["epochs"], batch_size=cfg["batch_size"], lr=cfg["lr"],
                  seed=seed, quiet=quiet, evaluate=lambda m: {"val loss": text_loss(m, *val)})

    val_loss, test_loss = history.last("val loss"), text_loss(model, *test)
    uni_val, uni_test = -unigram[val[1]].mean(), -unigram[test[1]].mean()
    samples = {t: corpus.vocab.decode(model.sample(corpus.vocab.encode(PROMPT), SAMPLE_LEN, t, seed=seed))
               for t in TEMPERATURES}
    if not quiet:
        for t, text in samples.items():
            print(f"--- sample at temperature {t} ---\n{PROMPT}{text}\n")
    extras = {
        "settings": cfg,
        "val loss": val_loss,
        "test loss": test_loss,
        "unigram val loss": float(uni_val),
        "unigram test loss": float(uni_test),
        "val loss below unigram": float(1 - val_loss / uni_val),
        "test bits per character": float(test_loss / np.log(2)),
        "samples": samples,
        "prompt": PROMPT,
        "vocab": corpus.vocab,
    }
    return TaskResult("charlm", "test loss below unigram", float(1 - test_loss / uni_test), model, history,
                      time.perf_counter() - start, extras)


def windows(ids, T):
    """Cut a text's ids (L,) into non-overlapping windows: inputs (N, T), targets (N, T).

    targets[n, t] is the character after inputs[n, t]; the last L - 1 - N*T characters are dropped.
    """
    ids = np.asarray(ids)
    N = (len(ids) - 1) // T
    if N < 1:
        raise ValueError(f"windows: a text of {len(ids)} characters has no window of T + 1 = {T + 1}")
    return ids[:N * T].reshape(N, T), ids[1:N * T + 1].reshape(N, T)  # (N, T), (N, T)


def unigram_log_probs(ids, V):
    """log p(character) from the training text's frequencies: (V,).

    Each character gets one extra count (add-one smoothing), so a character
    that never occurs in training still has a finite loss.
    """
    counts = np.bincount(np.asarray(ids), minlength=V) + 1.0  # (V,)
    return np.log(counts / counts.sum())


def text_loss(model, inputs, targets):
    """Mean cross-entropy (nats per character) of a CharLM on inputs/targets (N, T).

    Each window starts from a zero hidden state.
    """
    logits, _ = model.forward(inputs)  # (N, T, V)
    logp = log_softmax(logits)
    return float(-np.take_along_axis(logp, targets[..., None], axis=-1).mean())


def _settings(quiet, seed, **options):
    """The defaults with the given options applied, after checking them."""
    task = "charlm"
    check_options(task, seed, quiet, **options)
    if options["bidirectional"]:
        raise ValueError(f"{task}: a language model predicts each character from the ones before it; a "
                         "bidirectional model would read the characters it has to predict, so "
                         "bidirectional is not allowed")
    cfg = dict(SETTINGS)
    cfg.update({k: v for k, v in options.items() if v is not None})
    cfg["bidirectional"] = False
    return cfg
