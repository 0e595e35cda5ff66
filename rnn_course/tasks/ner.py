"""Named-entity tagging (many-to-many, aligned): a tag per word, PER / LOC / DATE / O.

The sentences are synthetic (``rnn_course.synthetic.load_ner``): templates
filled with real census first names, real city names and generated dates.
Test sentences use names and cities that never occur in training, so most of
them reach the model as <unk> and it must read the tag from the context; in
about half of the templates only the words *after* an entity settle its type
("Paris is a big city" / "Paris is a good friend"), which is where a
bidirectional encoder beats a unidirectional one.

    result = run()                          # bidirectional GRU, the defaults
    uni, bi = compare_directions()          # the same run, one and two directions

The metric is entity F1 (CoNLL-style): an entity is a maximal run of one
non-O tag, and a predicted entity counts only if its span and type both match
a gold one exactly.
"""

from __future__ import annotations

import time

import numpy as np

from ..models import SequenceTagger
from ..synthetic import CONTEXT_TEMPLATES, TAGS, entity_spans, load_ner
from ..train import fit
from . import TaskResult, resolve_options

# The defaults, tuned to meet the README's target (entity F1 >= 0.95 in <= 20 s).
DEFAULTS = dict(epochs=6, hidden=32, layers=1, bidirectional=True, cell="gru")
EMBED_DIM = 32
BATCH_SIZE = 32
LR = 1e-2
UNK_RATE = 0.2  # word dropout on the training ids (see _word_dropout)
N_SENTENCES = (4000, 500, 1000)


def run(epochs=None, hidden=None, layers=None, bidirectional=None, cell=None, seed=0, quiet=False,
        n=N_SENTENCES) -> TaskResult:
    """Train a SequenceTagger on the synthetic NER sentences; score it on the test split.

    Inputs (None means the default in DEFAULTS):

    - epochs, hidden (D), layers, bidirectional, cell ("rnn", "lstm", "gru")
    - seed: fixes the data, the initial weights and the shuffling
    - quiet: no progress bar
    - n: (train, val, test) numbers of sentences

    Returns a TaskResult whose metric is "test entity F1". Its extras hold
    "token F1" (over tokens whose gold or predicted tag is not O),
    "entity counts" ({"right", "gold", "predicted"}: the test counts of
    ``entity_counts``),
    "baseline entity F1" (the word-by-word baseline of ``most_frequent_tag``),
    "per-tag accuracy" (the share of each gold tag predicted right),
    "context entity F1" (entity F1 on the test sentences of CONTEXT_TEMPLATES,
    where only the words after an entity settle its type), "examples" (a few
    test sentences as (tokens, gold tags, predicted tags)), "settings" and
    "dataset" (the NERDataset).
    """
    o = _options(epochs, hidden, layers, bidirectional, cell, seed)
    start = time.perf_counter()
    data = load_ner(seed=o["seed"], n=n)
    tr = data.train
    ids = _word_dropout(tr.ids, tr.lengths, data.vocab.unk_id, UNK_RATE, o["seed"])
    model = SequenceTagger(len(data.vocab), EMBED_DIM, o["hidden"], len(TAGS), cell=o["cell"],
                           num_layers=o["layers"], bidirectional=o["bidirectional"], seed=o["seed"])

    def evaluate(m):
        return {"val entity F1": entity_f1(data.val.tags, predict_tags(m, data.val))}

    history = fit(model, (ids, tr.lengths, tr.tag_ids), epochs=o["epochs"], batch_size=BATCH_SIZE,
                  lr=LR, seed=o["seed"], evaluate=evaluate, quiet=quiet)
    test = data.test
    pred = predict_tags(model, test)
    context = np.isin(test.templates, CONTEXT_TEMPLATES)
    extras = {
        "token F1": token_f1(test.tags, pred),
        "entity counts": dict(zip(("right", "gold", "predicted"), entity_counts(test.tags, pred))),
        "baseline entity F1": entity_f1(test.tags, most_frequent_tag(data, test)),
        "per-tag accuracy": per_tag_accuracy(test.tags, pred),
        "context entity F1": entity_f1([t for t, c in zip(test.tags, context) if c],
                                       [p for p, c in zip(pred, context) if c]),
        "examples": [(test.sentences[i], test.tags[i], pred[i]) for i in range(6)],
        "settings": dict(o, embed_dim=EMBED_DIM, batch_size=BATCH_SIZE, lr=LR, unk_rate=UNK_RATE,
                         n=tuple(n)),
        "dataset": data,
    }
    return TaskResult("ner", "test entity F1", entity_f1(test.tags, pred), model, history,
                      time.perf_counter() - start, extras)


def compare_directions(**options) -> tuple[TaskResult, TaskResult]:
    """run() twice with the same options, bidirectional=False then True; returns (uni, bi).

    Inputs: options: run()'s options except bidirectional. Returns two TaskResults.
    """
    if options.get("bidirectional") is not None:
        raise ValueError("compare_directions: do not pass bidirectional; it runs both directions")
    return run(**options, bidirectional=False), run(**options, bidirectional=True)


def _options(epochs, hidden, layers, bidirectional, cell, seed):
    o = resolve_options("ner", DEFAULTS, seed, epochs=epochs, hidden=hidden, layers=layers,
                        bidirectional=bidirectional, cell=cell)
    return o


def _word_dropout(ids, lengths, unk_id, rate, seed):
    """A copy of ids (N, T) with a share ``rate`` of the real tokens replaced by <unk>.

    Test names and cities are unseen, so they reach the model as <unk>; the
    training cities all recur and would never be <unk> without this. Replacing
    random words (of every tag) teaches the model to tag an <unk> from its
    context (Lample et al., 2016, do the same with rare words).
    """
    rng = np.random.default_rng([seed, 7])
    real = np.arange(ids.shape[1])[None, :] < np.asarray(lengths)[:, None]  # (N, T)
    return np.where(real & (rng.random(ids.shape) < rate), unk_id, ids)


def predict_tags(model, split) -> list[list[str]]:
    """The model's tags for every sentence of an NERSplit: N lists of T_n tags.

    Inputs:

    - model: a trained SequenceTagger
    - split: an NERSplit; its ids (N, T) and lengths (N,) are read

    Returns N lists of tag strings, list n the first T_n = lengths[n] of the
    (N, T) tag ids ``model.predict`` gives, as names from TAGS.
    """
    pred = model.predict(split.ids, split.lengths)  # (N, T)
    return [[TAGS[k] for k in row[:length]] for row, length in zip(pred, split.lengths)]


def most_frequent_tag(data, split) -> list[list[str]]:
    """A baseline without context: each word gets the tag it had most often in
    training (an <unk> the tag <unk> had most often: PER), whatever surrounds it.

    Inputs:

    - data: the NERDataset; the (V, C) table of word-tag counts is taken from
      its training split's ids (N, T) and tag_ids (N, T)
    - split: the NERSplit to tag; its ids (N, T) and lengths (N,) are read

    Returns N lists of T_n tag strings, like ``predict_tags``. A word never
    seen in training is <unk> and gets <unk>'s tag; only an id with no
    training count at all (<pad>) gets O.
    """
    counts = np.zeros((len(data.vocab), len(TAGS)), dtype=np.int64)  # (V, C)
    tr = data.train
    real = np.arange(tr.ids.shape[1])[None, :] < tr.lengths[:, None]
    np.add.at(counts, (tr.ids[real], tr.tag_ids[real]), 1)
    best = counts.argmax(axis=1)  # (V,); a word never seen gets O
    return [[TAGS[k] for k in best[row[:length]]] for row, length in zip(split.ids, split.lengths)]


def entity_f1(gold, pred) -> float:
    """Entity F1 over N sentences: an entity (``entity_spans``) is right only if its
    start, end and type all match.

    Inputs: gold, pred: N lists of T_n tag strings, the true and the predicted
    tags of each sentence (what an (N, T) array of tags holds without the
    padding; ``predict_tags`` returns this form).

    Returns a float in [0, 1]: 2 * right / (gold entities + predicted entities),
    1.0 when neither has an entity.
    """
    right, n_gold, n_pred = entity_counts(gold, pred)
    return 2 * right / (n_gold + n_pred) if n_gold or n_pred else 1.0


def entity_counts(gold, pred) -> tuple[int, int, int]:
    """(right, gold entities, predicted entities) over N sentences, the counts behind ``entity_f1``.

    Inputs: gold, pred: N lists of T_n tag strings, as for ``entity_f1``.

    Returns three ints: the predicted entities whose (sentence, start, end,
    type) equals a gold one's, the number of gold entities and the number of
    predicted entities. Precision is right / predicted, recall right / gold,
    and entity F1 their harmonic mean, 2 * right / (gold + predicted).
    """
    g = {(n, *s) for n, tags in enumerate(gold) for s in entity_spans(tags)}
    p = {(n, *s) for n, tags in enumerate(pred) for s in entity_spans(tags)}
    return len(g & p), len(g), len(p)


def token_f1(gold, pred) -> float:
    """Micro F1 over entity tokens: a token whose gold tag is not O is a true
    positive if predicted right, a false negative otherwise; a predicted non-O
    tag that is wrong is a false positive.

    Inputs: gold, pred: N lists of T_n tag strings (an (N, T) tag array
    without its padding), compared token by token.

    Returns a float in [0, 1], 1.0 when no token is or is predicted an entity.
    """
    g, p = np.concatenate([np.asarray(t) for t in gold]), np.concatenate([np.asarray(t) for t in pred])
    tp = np.sum((g == p) & (g != "O"))
    fp = np.sum((p != "O") & (g != p))
    fn = np.sum((g != "O") & (g != p))
    return float(2 * tp / (2 * tp + fp + fn)) if tp + fp + fn else 1.0


def per_tag_accuracy(gold, pred) -> dict[str, float]:
    """{tag: share of the tokens with this gold tag that were predicted right}.

    Inputs: gold, pred: N lists of T_n tag strings (an (N, T) tag array
    without its padding).

    Returns {tag: a float in [0, 1]} for every tag of TAGS that occurs in gold.
    """
    g, p = np.concatenate([np.asarray(t) for t in gold]), np.concatenate([np.asarray(t) for t in pred])
    return {tag: float(np.mean(p[g == tag] == tag)) for tag in TAGS if np.any(g == tag)}
