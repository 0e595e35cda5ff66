"""Tests of the sequence tasks ``ner`` and ``dates`` (rnn_course.tasks.ner, .dates).

Each task trains a small configuration for a second or a few and must beat a
baseline by a clear margin; the full-size defaults are measured in the README.
"""

import re

import numpy as np
import pytest

from rnn_course import tasks
from rnn_course.synthetic import TAGS
from rnn_course.tasks import dates, ner

SMALL_NER = dict(epochs=3, hidden=16, n=(1000, 100, 400), quiet=True)
SMALL_DATES = dict(epochs=4, hidden=48, n=(3000, 100, 300), quiet=True)


# ------------------------------------------------------------------ ner
@pytest.fixture(scope="module")
def ner_runs():
    """(unidirectional, bidirectional) runs of the same small configuration."""
    return ner.compare_directions(**SMALL_NER)


def test_ner_small_tagger_beats_the_word_by_word_baseline(ner_runs):
    _, bi = ner_runs
    assert bi.task == "ner" and bi.metric == "test entity F1"
    baseline = bi.extras["baseline entity F1"]
    assert 0.3 < baseline < 0.7  # the lookup table knows the template words, not unseen names
    assert bi.value > baseline + 0.2, (bi.value, baseline)
    assert bi.extras["per-tag accuracy"]["O"] > 0.97


def test_ner_bidirectional_beats_unidirectional_where_only_later_words_decide(ner_runs):
    uni, bi = ner_runs
    assert uni.model.rnn.num_directions == 1 and bi.model.rnn.num_directions == 2
    assert uni.extras["settings"] == dict(bi.extras["settings"], bidirectional=False)
    ctx_uni, ctx_bi = uni.extras["context entity F1"], bi.extras["context entity F1"]
    assert ctx_bi > ctx_uni + 0.05, (ctx_uni, ctx_bi)
    assert bi.value > uni.value


def test_ner_result_carries_tagged_examples_and_history(ner_runs):
    _, bi = ner_runs
    for tokens, gold, pred in bi.extras["examples"]:
        assert len(tokens) == len(gold) == len(pred) and set(pred) <= set(TAGS)
    assert set(bi.extras["per-tag accuracy"]) == set(TAGS)
    assert 0 <= bi.extras["token F1"] <= 1
    counts = bi.extras["entity counts"]
    assert bi.value == pytest.approx(2 * counts["right"] / (counts["gold"] + counts["predicted"]))
    assert len(bi.history.epochs) == SMALL_NER["epochs"]
    assert bi.history.epochs[-1]["loss"] < bi.history.epochs[0]["loss"]
    assert "val entity F1" in bi.history.epochs[-1]
    assert bi.summary().startswith("test entity F1 0.")


def test_ner_metrics_on_a_hand_made_example():
    gold = [["PER", "PER", "O", "LOC"], ["DATE", "O"]]
    pred = [["PER", "O", "O", "LOC"], ["DATE", "LOC"]]
    # entities: gold {PER 0-2, LOC 3-4, DATE 0-1}; pred {PER 0-1, LOC 3-4, DATE 0-1, LOC 1-2}
    assert ner.entity_f1(gold, pred) == pytest.approx(2 * 2 / (3 + 4))
    assert ner.entity_counts(gold, pred) == (2, 3, 4)       # right, gold, predicted
    # no BIO tags: two neighbouring names are one PER entity, and a split one is two
    assert ner.entity_counts([["PER", "PER"]], [["PER", "O"]]) == (0, 1, 1)
    # entity tokens: tp 3 (LOC, DATE, first PER), fp 1 (the LOC at O), fn 1 (second PER)
    assert ner.token_f1(gold, pred) == pytest.approx(2 * 3 / (2 * 3 + 1 + 1))
    assert ner.per_tag_accuracy(gold, pred) == {"O": 0.5, "PER": 0.5, "LOC": 1.0, "DATE": 1.0}
    assert ner.entity_f1(gold, gold) == ner.token_f1(gold, gold) == 1.0


@pytest.mark.parametrize("options, message", [
    (dict(epochs=0), "epochs must be a positive integer"),
    (dict(hidden=2.5), "hidden must be a positive integer"),
    (dict(cell="transformer"), "cell must be"),
    (dict(bidirectional="yes"), "bidirectional must be True or False"),
    (dict(seed=-1), "seed must be"),
])
def test_ner_rejects_bad_options_with_a_sentence(options, message):
    with pytest.raises(ValueError, match=message):
        ner.run(**options)


# ------------------------------------------------------------------ dates
@pytest.fixture(scope="module")
def dates_run():
    return dates.run(**SMALL_DATES)


def test_dates_small_model_beats_the_source_blind_baseline(dates_run):
    r = dates_run
    assert r.task == "dates" and r.metric == "test exact-match"
    data = r.extras["dataset"]
    pred = dates.translate(r.model, data.test, data.tgt_vocab)
    # it writes ISO dates, and already reads the year (chance: 1 in 100)
    assert np.mean([re.fullmatch(r"\d{4}-\d\d-\d\d", p) is not None for p in pred]) > 0.95
    year = np.mean([p[:4] == t[:4] for p, t in zip(pred, data.test.targets)])
    assert year > 0.8, year
    assert r.extras["char accuracy"] > r.extras["baseline char accuracy"] + 0.15
    assert 0.4 < r.extras["baseline char accuracy"] < 0.5


def test_dates_result_carries_examples_and_per_format_scores(dates_run):
    r = dates_run
    data = r.extras["dataset"]
    for (source, predicted, true), s, t in zip(r.extras["examples"], data.test.sources, data.test.targets):
        assert (source, true) == (s, t) and isinstance(predicted, str)
    assert 10 <= len(r.extras["exact-match by format"]) <= 14
    assert r.value == pytest.approx(np.mean([p == t for p, t in zip(
        dates.translate(r.model, data.test, data.tgt_vocab), data.test.targets)]))
    assert r.history.epochs[-1]["loss"] < 0.7 * r.history.epochs[0]["loss"]


def test_dates_helpers():
    assert dates.char_accuracy(["2039-02-15", "1999"], ["2039-02-15", "1999-12-31"]) == pytest.approx(14 / 20)
    assert dates.char_accuracy("1999-12-31", ["1999-12-31", "2000-01-01"]) == pytest.approx(13 / 20)
    assert dates._majority_target(["1990-01-01", "1990-02-02", "2000-01-03"]) == "1990-01-01"


def test_dates_mistake_kinds():
    kind = dates.mistake_kind
    assert kind("2039-02-15", "2039-02-15") is None
    assert kind("1999-04-05", "1999-05-04") == "day and month swapped"
    assert kind("1999-05-14", "1999-05-04") == "day only"
    assert kind("1999-06-04", "1999-05-04") == "month only"
    assert kind("1976-06-14", "1979-06-14") == "year only"
    assert kind("2009-11-03", "2009-10-13") == "two or three fields"
    assert kind("2000-05-04", "1999-04-05") == "two or three fields"   # swapped, but the year wrong too
    assert kind("1999-0504", "1999-05-04") == kind("", "1999-05-04") == "not a date"
    groups = dates.mistakes_by_kind(["a", "b", "c", "d"], ["1999-04-05", "x", "1999-05-04", "1999-05-05"],
                                    ["1999-05-04", "1999-05-04", "1999-05-04", "1999-05-04"])
    assert list(groups) == ["day and month swapped", "day only", "not a date"]   # MISTAKE_KINDS order
    assert groups["not a date"] == [("b", "x", "1999-05-04")]
    with pytest.raises(ValueError, match="got 1 sources, 2 guesses and 2 truths"):
        dates.mistakes_by_kind(["a"], ["x", "y"], ["x", "y"])


def test_dates_learning_rate_falls_along_a_cosine_to_zero():
    from rnn_course.models import Seq2Seq
    model = Seq2Seq(5, 5, 2, 3, bos=1, eos=2)
    opt = dates.CosineAdam(model, lr=0.01, total_steps=4)
    rates = []
    for _ in range(4):
        opt.step()
        rates.append(opt.lr)
    np.testing.assert_allclose(rates, [0.01, 0.01 * (1 + np.cos(np.pi / 4)) / 2, 0.005,
                                       0.01 * (1 + np.cos(3 * np.pi / 4)) / 2])
    with pytest.raises(ValueError, match="total_steps must be a positive integer"):
        dates.CosineAdam(model, lr=0.01, total_steps=0)


@pytest.mark.parametrize("options, message", [
    (dict(bidirectional=True), "one direction only"),
    (dict(layers=2), "layers must be 1"),
    (dict(epochs=-3), "epochs must be a positive integer"),
    (dict(cell="cnn"), "cell must be"),
])
def test_dates_rejects_options_it_cannot_use(options, message):
    with pytest.raises(ValueError, match=message):
        dates.run(**options)


def test_the_registry_reaches_both_tasks():
    with pytest.raises(ValueError, match="one direction only"):
        tasks.run("dates", bidirectional=True)
    with pytest.raises(ValueError, match="cell must be"):
        tasks.run("ner", cell="cnn")


def test_dates_checkpoint_round_trip(tmp_path):
    from rnn_course.tasks import dates

    result = dates.run(epochs=1, hidden=16, n=(200, 20, 20), quiet=True)
    path = tmp_path / "dates.npz"
    dates.save_checkpoint(result, path)
    model, data = dates.load_checkpoint(path)
    assert data.test.sources == result.extras["dataset"].test.sources
    assert dates.translate(model, data.test, data.tgt_vocab) == dates.translate(
        result.model, data.test, data.tgt_vocab)
