"""Many-to-one tasks: read a sentence, give one label.

    sentiment   UCI review sentences (Amazon, IMDb, Yelp) -> negative / positive
    spam        SpamAssassin subject lines                -> ham / spam

Both run the same recipe: word ids from the data set's Vocab (built from the
training split; words seen once become <unk>), padded and cut to ``max_len``
words, a ``ManyToOneClassifier`` (embedding -> GRU -> last real step -> linear)
trained with Adam by ``fit``, validation accuracy after every epoch, and the
accuracy on the held-out test split at the end.

The data split is the loader's fixed split (seed 0) whatever ``seed`` is, so
every run is scored on the same test sentences; ``seed`` sets the model's
initial weights and the order of the batches.

Spam's test split repeats some subjects many times (mailing-list threads: one
ham subject has 19 copies among the 566 test mails), so its test accuracy
moves in steps of a few percent when a single subject flips; the extra
"distinct test accuracy" counts each subject once.

Notation: N sentences, T words (after padding), C = 2 classes.
"""

from __future__ import annotations

import time

import numpy as np

from ..datasets import load_sentiment, load_spam, word_tokenize
from ..layers import pad_sequences
from ..losses import softmax
from ..models import ManyToOneClassifier
from ..train import accuracy, fit
from . import TaskResult, check_options

# The tuned defaults. max_len cuts the longest texts (sentiment: 95% of the
# training sentences have <= 29 words; spam: 99% of the subjects have <= 23);
# min_freq=2 turns words seen once in training into <unk>, which halves the
# vocabulary and helps the model generalise. Spam overfits after 4 epochs (the
# validation accuracy falls while the training loss keeps dropping).
SETTINGS = {
    "sentiment": dict(epochs=5, hidden=32, embed=32, layers=1, bidirectional=False, cell="gru",
                      lr=0.01, batch_size=32, max_len=30, min_freq=2, pooling="last"),
    "spam": dict(epochs=4, hidden=32, embed=32, layers=1, bidirectional=False, cell="gru",
                 lr=0.01, batch_size=32, max_len=20, min_freq=2, pooling="last"),
}
LOADERS = {"sentiment": load_sentiment, "spam": load_spam}


def run_sentiment(epochs=None, hidden=None, layers=None, bidirectional=None, cell=None, seed=0,
                  quiet=False) -> TaskResult:
    """Sentiment of review sentences, many-to-one; metric "test accuracy".

    Options (None = the tuned default in ``SETTINGS["sentiment"]``): epochs,
    hidden (D), layers, bidirectional, cell ("rnn", "lstm", "gru"), seed,
    quiet (no progress bar). See ``run_classifier`` for what comes back.
    """
    return run_classifier("sentiment", epochs, hidden, layers, bidirectional, cell, seed, quiet)


def run_spam(epochs=None, hidden=None, layers=None, bidirectional=None, cell=None, seed=0,
             quiet=False) -> TaskResult:
    """Spam or ham from a mail's subject line, many-to-one; metric "test accuracy".

    Options as for ``run_sentiment`` (defaults in ``SETTINGS["spam"]``).
    """
    return run_classifier("spam", epochs, hidden, layers, bidirectional, cell, seed, quiet)


def run_classifier(task, epochs=None, hidden=None, layers=None, bidirectional=None, cell=None, seed=0,
                   quiet=False) -> TaskResult:
    """Train and test a ManyToOneClassifier on ``task`` ("sentiment" or "spam").

    Returns a TaskResult with metric "test accuracy" and extras:

    - "settings": every setting used (the defaults with the options applied)
    - "val accuracy": after the last epoch (each epoch's is in history.epochs)
    - "train accuracy": on the training split, after the last epoch (next to
      the test accuracy it shows how much the model overfits)
    - "split sizes": (train, val, test) numbers of texts
    - "baseline accuracy": always answering the training split's majority
      class, scored on the test split: the number to beat
    - "distinct test accuracy": each distinct test text counted once (spam
      threads repeat a subject many times; this is the accuracy over subjects)
    - "classes", "vocab", "max_len": what ``predict_proba`` needs to read new text
    - "examples": the first 8 distinct test texts as dicts {text, label,
      predicted, p} where p is the predicted probability of classes[1]
      (positive, spam)
    - "mistakes": the 5 distinct test texts the model got wrong most confidently
    """
    start = time.perf_counter()
    if task not in SETTINGS:
        raise ValueError(f"run_classifier: task must be one of {', '.join(SETTINGS)}; got {task!r}")
    cfg = _settings(task, epochs=epochs, hidden=hidden, layers=layers, bidirectional=bidirectional,
                    cell=cell, seed=seed, quiet=quiet)
    data = LOADERS[task](min_freq=cfg["min_freq"])
    train, val, test = (_encode(split.ids, split.labels, cfg["max_len"])
                        for split in (data.train, data.val, data.test))

    model = ManyToOneClassifier(len(data.vocab), cfg["embed"], cfg["hidden"], len(data.classes),
                                cell=cfg["cell"], num_layers=cfg["layers"],
                                bidirectional=cfg["bidirectional"], seed=seed, pooling=cfg["pooling"])
    history = fit(model, train, epochs=cfg["epochs"], batch_size=cfg["batch_size"], lr=cfg["lr"],
                  seed=seed, quiet=quiet,
                  evaluate=lambda m: {"val accuracy": accuracy(m.predict(*val[:2]), val[2])})

    p = _probabilities(model, *test[:2])  # (N, C)
    pred = p.argmax(axis=1)
    y = test[2]
    majority = np.bincount(train[2], minlength=len(data.classes)).argmax()
    distinct = np.sort(np.unique(data.test.texts, return_index=True)[1])  # first copy of each text
    wrong = distinct[pred[distinct] != y[distinct]]
    wrong = wrong[np.argsort(-p[wrong, pred[wrong]], kind="stable")]  # most confident first

    def example(i):
        return {"text": data.test.texts[i], "label": data.classes[y[i]],
                "predicted": data.classes[pred[i]], "p": round(float(p[i, 1]), 3)}

    extras = {
        "settings": cfg,
        "val accuracy": history.last("val accuracy"),
        "train accuracy": accuracy(model.predict(*train[:2]), train[2]),
        "split sizes": tuple(len(split[2]) for split in (train, val, test)),
        "baseline accuracy": float(np.mean(y == majority)),
        "distinct test accuracy": accuracy(pred[distinct], y[distinct]),
        "classes": data.classes,
        "vocab": data.vocab,
        "max_len": cfg["max_len"],
        "examples": [example(i) for i in distinct[:8]],
        "mistakes": [example(i) for i in wrong[:5]],
    }
    return TaskResult(task, "test accuracy", accuracy(pred, y), model, history,
                      time.perf_counter() - start, extras)


def predict_proba(model, vocab, texts, max_len=None):
    """Class probabilities of new texts: (N, C), rows summing to 1.

    Inputs:

    - model: a trained ManyToOneClassifier (e.g. ``result.model``)
    - vocab: the Vocab it was trained with (``result.extras["vocab"]``)
    - texts: N strings, tokenized with ``word_tokenize``; unknown words become <unk>
    - max_len: cut texts to this many words (``result.extras["max_len"]``)
    """
    fn = "predict_proba"
    if isinstance(texts, str) or not all(isinstance(t, str) for t in texts) or not texts:
        raise TypeError(f"{fn}: texts must be a non-empty list of strings, e.g. ['Great phone.']")
    ids = [vocab.encode(word_tokenize(t)) for t in texts]
    if not all(ids):
        raise ValueError(f"{fn}: texts[{[bool(s) for s in ids].index(False)}] has no words to read")
    return _probabilities(model, *_encode(ids, None, max_len)[:2])


def _encode(ids, labels, max_len):
    """Ragged word ids -> (ids (N, T), lengths (N,), labels (N,))."""
    padded, lengths = pad_sequences(ids, max_len=max_len)  # (N, T), (N,)
    return padded, lengths, labels


def _probabilities(model, ids, lengths):
    return softmax(model.forward(ids, lengths))  # (N, C)


def _settings(task, quiet, seed, **options):
    """The task's defaults with the given options applied, after checking them."""
    check_options(task, seed, quiet, **options)
    cfg = dict(SETTINGS[task])
    cfg.update({k: (int(v) if k in ("epochs", "hidden", "layers") else v)
                for k, v in options.items() if v is not None})
    return cfg
