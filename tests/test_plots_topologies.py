"""The figures of chapter 5 and its section 5b draw what they are given.

rnn_course.plots.topologies (shapes, tagged_sentences, captioned_digits; the
series_forecast tests are in test_plots_forecast.py) and
rnn_course.plots.training.loss_curves, which both pages use: every test reads
the artists back off the returned figure (texts, patches, lines' data) and
compares them with the data passed in, so no entry is cut off or relabelled.
"""

import matplotlib
import numpy as np
import pytest
from matplotlib.colors import to_rgba
from matplotlib.patches import FancyBboxPatch, Rectangle

from rnn_course.plots._style import COLORS
from rnn_course.plots.topologies import TAG_COLORS, captioned_digits, shapes, tagged_sentences
from rnn_course.plots.training import loss_curves
from rnn_course.train import History

matplotlib.use("Agg")


def _boxes(ax, color):
    return [p for p in ax.patches if isinstance(p, FancyBboxPatch)
            and to_rgba(p.get_facecolor()) == to_rgba(color)]


# ------------------------------------------------------------------ shapes


def test_shapes_draws_the_four_topologies_with_their_cells_inputs_and_outputs():
    ax = shapes().axes[0]
    texts = [t.get_text() for t in ax.texts]
    titles = ["one-to-many", "many-to-one", "many-to-many, aligned", "many-to-many, encoder-decoder"]
    assert [t for t in texts if t in titles] == titles
    assert {"image captioning", "sentiment, spam", "named-entity tagging"} <= set(texts)
    # cells 3 + 4 + 4 + 6; inputs 1 + 4 + 4 + 3; outputs 3 + 1 + 4 + 3
    assert len(_boxes(ax, COLORS["hidden"])) == 17
    assert len(_boxes(ax, COLORS["input"])) == 12
    assert len(_boxes(ax, COLORS["output"])) == 11
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["input", "RNN cell", "output"]


# ------------------------------------------------------------------ tagged_sentences

SENTENCES = [
    (["Anna", "lives", "in", "Oslo"], ["PER", "O", "O", "LOC"], ["PER", "O", "O", "LOC"]),
    (["Bo", "met", "Lima", "on", "May", "3"], ["PER", "O", "PER", "O", "DATE", "DATE"],
     ["PER", "O", "LOC", "O", "DATE", "O"]),
    (["hello"], ["O"], ["O"]),
]


def test_tagged_sentences_draws_every_token_with_its_predicted_tag():
    ax = tagged_sentences(SENTENCES).axes[0]
    texts = [t.get_text() for t in ax.texts]
    tokens = [tok for sentence, _, _ in SENTENCES for tok in sentence]
    assert [t for t in texts if t in set(tokens)] == tokens         # every token, in order
    tags_above = [t for t in texts if t in TAG_COLORS]
    assert tags_above == [p for _, _, pred in SENTENCES for p in pred if p != "O"]
    # two wrong tokens: each outlined in red, with its gold tag under it
    outlines = [p for p in ax.patches if isinstance(p, Rectangle) and not isinstance(p, FancyBboxPatch)]
    assert len(outlines) == 2
    assert all(to_rgba(p.get_edgecolor()) == to_rgba(COLORS["accent"]) for p in outlines)
    assert [t for t in texts if t.startswith("gold ")] == ["gold PER", "gold DATE"]
    # one box per token, coloured by the prediction
    boxes = [p for p in ax.patches if isinstance(p, FancyBboxPatch)]
    preds = [p for _, _, pred in SENTENCES for p in pred]
    assert [to_rgba(b.get_facecolor()) for b in boxes] == [to_rgba(TAG_COLORS[p]) for p in preds]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == list(TAG_COLORS)


def test_tagged_sentences_max_sentences_draws_exactly_that_many():
    ax = tagged_sentences(SENTENCES, max_sentences=2).axes[0]
    assert sum(isinstance(p, FancyBboxPatch) for p in ax.patches) == 4 + 6
    assert "hello" not in [t.get_text() for t in ax.texts]


@pytest.mark.parametrize("examples, kwargs, words", [
    ([(["a", "b"], ["O"], ["O", "O"])], {}, "sentence 0 has 2 tokens, 1 gold tags and 2 predicted"),
    ([], {}, "examples is empty"),
    (SENTENCES, dict(max_sentences=0), "max_sentences must be a positive integer"),
])
def test_tagged_sentences_rejects_ragged_input(examples, kwargs, words):
    with pytest.raises(ValueError, match=words):
        tagged_sentences(examples, **kwargs)


# ------------------------------------------------------------------ captioned_digits

IMAGES = np.random.default_rng(0).random((8, 8, 8))
CAPTIONS = ["one", "two", "six", "four", "five", "six", "seven", "nine"]
TRUTH = ["one", "two", "three", "four", "five", "six", "seven", "eight"]


def test_captioned_digits_draws_every_image_with_its_caption():
    fig = captioned_digits(IMAGES, CAPTIONS, TRUTH)
    drawn = [ax for ax in fig.axes if ax.images]
    assert len(drawn) == len(IMAGES)                                   # nothing cut off
    for ax, image, caption, truth in zip(drawn, IMAGES, CAPTIONS, TRUTH):
        np.testing.assert_array_equal(ax.images[0].get_array(), image)
        title = ax.get_title()
        assert title.startswith(f"“{caption}”")
        if caption == truth:
            assert "true" not in title and to_rgba(ax.title.get_color()) == to_rgba(COLORS["text"])
        else:
            assert title.endswith(f"(true: {truth})") and to_rgba(ax.title.get_color()) == to_rgba(COLORS["accent"])


def test_captioned_digits_n_draws_the_first_n():
    fig = captioned_digits(IMAGES, CAPTIONS, TRUTH, n=3)
    assert [ax.get_title().split("”")[0] + "”" for ax in fig.axes if ax.images] == ["“one”", "“two”", "“six”"]


@pytest.mark.parametrize("args, kwargs, words", [
    ((IMAGES, CAPTIONS[:-1], TRUTH), {}, "got 8 images, 7 captions and 8 true words"),
    ((IMAGES, CAPTIONS, TRUTH), dict(n=9), "n must be None or an integer from 1 to N = 8"),
    ((IMAGES[0], CAPTIONS[:1], TRUTH[:1]), {}, r"expected \(N, H, W\)"),
])
def test_captioned_digits_rejects_mismatched_input(args, kwargs, words):
    with pytest.raises(ValueError, match=words):
        captioned_digits(*args, **kwargs)


# ------------------------------------------------------------------ loss_curves


def _history(losses, metrics):
    h = History()
    h.losses = list(losses)
    h.epochs = [{"epoch": k + 1, "loss": 0.0, **m} for k, m in enumerate(metrics)]
    return h


def test_loss_curves_draws_the_moving_average_and_every_epoch():
    losses = np.linspace(2.0, 0.1, 50)
    h = _history(losses, [{"val accuracy": a} for a in (0.5, 0.7, 0.8)])
    fig = loss_curves(h, smooth=10, title="t")
    left, right = fig.axes
    line = left.lines[0]
    np.testing.assert_array_equal(line.get_xdata(), np.arange(10, 51))   # step k..n, every window
    np.testing.assert_allclose(line.get_ydata(), np.convolve(losses, np.ones(10) / 10, mode="valid"))
    assert left.get_ylabel() == "loss (moving average of 10)" and left.get_title(loc="left") == "t"
    assert [t.get_text() for t in left.get_legend().get_texts()] == ["training loss"]
    np.testing.assert_array_equal(right.lines[0].get_xdata(), [1, 2, 3])
    np.testing.assert_array_equal(right.lines[0].get_ydata(), [0.5, 0.7, 0.8])
    assert [t.get_text() for t in right.get_legend().get_texts()] == ["val accuracy"]
    assert right.get_xlabel() == "epoch"


def test_loss_curves_labels_each_run_and_its_metric():
    runs = {"a": _history([1.0, 0.5, 0.2], [{"val exact-match": 0.2}]),
            "b": _history([1.0, 0.8], [{"val exact-match": 0.1}])}
    left, right = loss_curves(runs, smooth=1, baseline=("unigram", 0.9)).axes
    assert [t.get_text() for t in left.get_legend().get_texts()] == ["a", "b", "unigram"]
    np.testing.assert_array_equal(left.lines[0].get_ydata(), [1.0, 0.5, 0.2])
    assert left.get_ylabel() == "loss"
    assert [t.get_text() for t in right.get_legend().get_texts()] == ["a: val exact-match", "b: val exact-match"]


def test_loss_curves_refuses_what_it_cannot_draw_instead_of_dropping_it():
    many = {str(k): _history([1.0], []) for k in range(6)}
    with pytest.raises(ValueError, match="at most 5 runs"):
        loss_curves(many)
    four = _history([1.0], [{"m1": 1, "m2": 1, "m3": 1, "m4": 1}])
    with pytest.raises(ValueError, match="at most 3 per-epoch metrics"):
        loss_curves(four)
