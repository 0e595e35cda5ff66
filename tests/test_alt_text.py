"""The alt-text rule of the browser tests (tests/alt_text.py), on cases that must fail and pass."""

import pytest

from alt_text import alt_text_problems

CAPTION = ("Fig. 5.2 Training loss of the sentiment classifier per batch (moving average of 10), "
           "and the validation accuracy after each epoch.")

MUST_FAIL = [
    (None, None),
    ("", CAPTION),
    ("   ", None),
    ("../../_images/3d8d30793096131526240f399786bdea.png", None),
    ("figure.svg", None),
    ("Figure", None),
    ("A plot of the figure", None),
    ("Fig. 5.2", CAPTION),
    ("Training loss", None),                                   # a title
    ("Training loss of the sentiment classifier", CAPTION),    # a title, and the caption's start
    # As long as a description, but nothing beyond the caption's first words.
    ("Training loss of the sentiment classifier per batch (moving average of 10)", CAPTION),
    (CAPTION, CAPTION),
    ("Fig. 5.2: training loss of the sentiment classifier per batch, moving average of 10", CAPTION),
]

MUST_PASS = [
    ("Left: the training loss, smoothed over 10 batches, falling from about 0.7 over five "
     "epochs to near 0.1. Right: the validation accuracy after each epoch, rising to 0.8.", CAPTION),
    ("A heat map with 12 rows (hidden units) and 9 columns, red for positive values.", None),
    # Starts like the caption but goes on to say what is drawn.
    ("Training loss of the sentiment classifier per batch, a jagged line falling from 0.7 "
     "to 0.1 over five epochs; the validation accuracy rises from 0.6 to 0.8.", CAPTION),
]


@pytest.mark.parametrize("alt, caption", MUST_FAIL)
def test_alt_text_that_says_nothing_fails(alt, caption):
    problems = alt_text_problems(alt, caption)
    assert problems, f"{alt!r} passed"
    assert all(isinstance(p, str) and p for p in problems)


@pytest.mark.parametrize("alt, caption", MUST_PASS)
def test_alt_text_that_describes_the_figure_passes(alt, caption):
    assert alt_text_problems(alt, caption) == []


def test_problems_say_why():
    assert "file name" in alt_text_problems("plot.png")[0]
    assert "title" in alt_text_problems("Training loss over time")[0]
    assert any("caption" in p for p in alt_text_problems(CAPTION, CAPTION))
