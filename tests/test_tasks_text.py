"""Tests for the text and image tasks (rnn_course.tasks.classify, .captions,
.charlm) and their command line: each task trains a small configuration
briefly and must beat its baseline by a clear margin; bad options get a
sentence; the CLI ends with the metric line."""

import re

import numpy as np
import pytest

from rnn_course.__main__ import main
from rnn_course.tasks import TASKS, TaskResult, run
from rnn_course.tasks.captions import caption_vocab, exact_match, side_by_side, spell
from rnn_course.tasks.charlm import unigram_log_probs, windows
from rnn_course.tasks.classify import predict_proba

# ------------------------------------------------------------------ many-to-one


def test_sentiment_small_beats_the_majority_class():
    r = run("sentiment", epochs=2, hidden=16, quiet=True)
    assert isinstance(r, TaskResult) and r.task == "sentiment" and r.metric == "test accuracy"
    base = r.extras["baseline accuracy"]
    assert 0.45 < base < 0.55  # the classes are balanced
    assert r.value >= base + 0.12, f"test accuracy {r.value:.3f} vs majority class {base:.3f}"
    assert r.extras["settings"]["hidden"] == 16 and r.extras["settings"]["epochs"] == 2
    assert [e["epoch"] for e in r.history.epochs] == [1, 2]
    assert all(0 <= e["val accuracy"] <= 1 for e in r.history.epochs)
    assert r.extras["split sizes"] == (2403, 299, 298)          # UCI: 3,000 sentences in all
    assert 0.5 < r.extras["train accuracy"] <= 1

    ex = r.extras["examples"][0]
    assert set(ex) == {"text", "label", "predicted", "p"} and ex["label"] in r.extras["classes"]
    p = predict_proba(r.model, r.extras["vocab"], ["Great phone, works perfectly.", "Terrible, it broke."],
                      r.extras["max_len"])
    assert p.shape == (2, 2) and np.allclose(p.sum(axis=1), 1)


def test_spam_small_beats_the_majority_class():
    r = run("spam", epochs=1, hidden=16, quiet=True)
    assert r.metric == "test accuracy"
    base = r.extras["baseline accuracy"]
    assert 0.6 < base < 0.75  # about a third of the test mails are spam
    assert r.value >= base + 0.08, f"test accuracy {r.value:.3f} vs always-ham {base:.3f}"
    assert 0 <= r.extras["distinct test accuracy"] <= 1
    for mistake in r.extras["mistakes"]:
        assert mistake["label"] != mistake["predicted"]


def test_classifier_options_are_used():
    r = run("sentiment", epochs=1, hidden=8, layers=2, bidirectional=True, cell="lstm", quiet=True)
    rnn = r.model.rnn
    assert (type(rnn).__name__, rnn.hidden_size, rnn.num_layers, rnn.bidirectional) == ("LSTM", 8, 2, True)


# ------------------------------------------------------------------ one-to-many


def test_spell():
    assert [spell(n) for n in (0, 7, 10, 13, 20, 42, 99)] == [
        "zero", "seven", "ten", "thirteen", "twenty", "forty-two", "ninety-nine"]
    assert all(c in caption_vocab() for n in range(100) for c in spell(n))
    with pytest.raises(ValueError, match="0..99"):
        spell(100)


def test_side_by_side_pairs_images_and_numbers():
    images = np.arange(3 * 64, dtype=float).reshape(3, 8, 8)
    pairs, numbers = side_by_side(images, np.array([0, 4, 2]), 20, np.random.default_rng(0))
    assert pairs.shape == (20, 8, 16)
    tens, units = numbers // 10, numbers % 10
    assert set(tens) <= {4, 2}  # never a leading zero
    lookup = {0: images[0], 4: images[1], 2: images[2]}
    for n in range(20):
        assert np.array_equal(pairs[n, :, :8], lookup[tens[n]])
        assert np.array_equal(pairs[n, :, 8:], lookup[units[n]])


def test_captions_small_beats_chance():
    r = run("captions", epochs=4, hidden=32, quiet=True)
    assert r.metric == "test exact-match"
    # ten words: a caption written without looking is right about one time in ten
    assert r.extras["baseline exact-match"] < 0.15
    assert r.value >= 0.6, f"test exact-match {r.value:.3f}"
    assert r.value == exact_match(r.extras["captions"], r.extras["truth"])
    assert len(r.extras["mistakes"]) == round((1 - r.value) * len(r.extras["truth"]))
    assert all(isinstance(c, str) for c in r.extras["captions"])


def test_exact_match_counts_whole_words():
    assert exact_match(["seven", "sevem", "one"], ["seven", "seven", "on"]) == pytest.approx(1 / 3)
    with pytest.raises(ValueError, match="2 predicted captions but 1"):
        exact_match(["a", "b"], ["a"])


# ------------------------------------------------------------------ character LM


def test_windows_shift_targets_by_one():
    x, y = windows(np.arange(10), 3)
    assert x.tolist() == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    assert y.tolist() == [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
    with pytest.raises(ValueError, match="no window"):
        windows(np.arange(3), 3)


def test_unigram_is_the_frequency_entropy():
    logp = unigram_log_probs(np.array([0, 0, 0, 1]), 3)  # counts + 1: 4, 2, 1
    assert np.allclose(np.exp(logp), [4 / 7, 2 / 7, 1 / 7])


def test_charlm_small_beats_the_unigram_and_prints_samples(capsys):
    r = run("charlm", epochs=1, hidden=16, quiet=False)
    out = capsys.readouterr().out
    assert re.fullmatch(r"test loss below unigram 0\.\d{3}", r.summary())
    ex = r.extras
    assert 2.8 < ex["unigram test loss"] < 3.4  # English characters: about 3.1 nats
    assert r.value == pytest.approx(1 - ex["test loss"] / ex["unigram test loss"])
    assert r.value >= 0.2, f"test loss {ex['test loss']:.3f} vs unigram {ex['unigram test loss']:.3f}"
    assert ex["val loss below unigram"] >= 0.2
    assert set(ex["samples"]) == {0.5, 1.0} and all(len(s) == 200 for s in ex["samples"].values())
    assert "sample at temperature 0.5" in out and ex["samples"][1.0] in out


# ------------------------------------------------------------------ bad options


@pytest.mark.parametrize("task, options, words", [
    ("charlm", {"bidirectional": True}, "bidirectional"),
    ("captions", {"bidirectional": True}, "bidirectional"),
    ("captions", {"layers": 2}, "layers must be 1"),
    ("captions", {"digits": 3}, "digits must be 1 or 2"),
    ("sentiment", {"cell": "transformer"}, "cell must be 'rnn', 'lstm' or 'gru'"),
    ("spam", {"epochs": 0}, "epochs must be a positive integer"),
    ("charlm", {"hidden": 2.5}, "hidden must be a positive integer"),
    ("sentiment", {"seed": "zero"}, "seed must be a non-negative integer"),
])
def test_bad_options_get_a_sentence(task, options, words):
    with pytest.raises(ValueError, match=re.escape(words)) as err:
        run(task, **options)
    assert str(err.value).startswith(f"{task}: ")


# ------------------------------------------------------------------ command line


def test_cli_last_line_is_the_metric(capsys):
    assert main(["train", "captions", "--epochs", "2", "--hidden", "32", "--quiet"]) == 0
    captured = capsys.readouterr()
    assert captured.out.count("\n") == 1  # --quiet: the metric line only
    m = re.fullmatch(r"test exact-match (\d\.\d{3})\n", captured.out)
    assert m, f"stdout {captured.out!r}"
    assert float(m.group(1)) > 0.5
    assert re.fullmatch(r"trained in \d+\.\d s\n", captured.err)


def test_cli_help_lists_the_tasks(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--help"])
    assert stop.value.code == 0
    out = capsys.readouterr().out
    for task in TASKS:
        assert re.search(rf"^\s+{task}\s", out, re.M), f"{task} missing from --help"


def test_cli_rejects_an_option_the_task_cannot_use(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["train", "charlm", "--bidirectional", "--quiet"])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert "error: charlm: " in err and "bidirectional" in err
