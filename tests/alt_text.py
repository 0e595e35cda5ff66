"""What makes a figure's alt text meaningful, for the browser tests (tests/test_browser.py).

A reader who cannot see a figure hears its alt text instead, so the alt text
must say what the figure shows: its axes, its lines or boxes and what they do.
A title ("Training loss"), a file name, a figure number or the first words of
the caption say nothing the caption has not already said, and fail here.
tests/test_alt_text.py tests this rule on alt texts that must fail and must pass.
"""

from __future__ import annotations

import re

# A title is a few words; a description of what a figure shows is a sentence.
MIN_WORDS = 8
# Alt text that is a file name, which is what a figure gets when none is given.
IMAGE_PATH = re.compile(r"\.(png|svg|jpe?g|gif|webp)$", re.IGNORECASE)
# Words that name the kind of picture and nothing in it.
GENERIC = {"figure", "fig", "image", "img", "picture", "plot", "chart", "graph", "diagram",
           "output", "png", "svg", "the", "a", "an", "of", "cell", "below", "above", "this"}
# The number Sphinx puts in front of a caption: "Fig. 5.1 ".
FIGURE_NUMBER = re.compile(r"^\s*fig(?:ure)?\.?\s*\d+(?:\.\d+)*\.?\s*", re.IGNORECASE)


def words(text: str) -> list[str]:
    """Lower-case words of `text`, without the figure number or punctuation."""
    return re.findall(r"[\w']+", FIGURE_NUMBER.sub("", text).lower())


def alt_text_problems(alt: str | None, caption: str | None = None) -> list[str]:
    """Why `alt` does not say what its figure shows; [] when it does.

    `caption` is the figure's caption text, when it has one.
    """
    alt = (alt or "").strip()
    if not alt:
        return ["no alt text"]
    if IMAGE_PATH.search(alt):
        return [f"alt text is a file name: {alt!r}"]
    alt_words = words(alt)
    if not set(alt_words) - GENERIC:
        return [f"alt text names only the kind of picture: {alt!r}"]
    problems = []
    if len(alt_words) < MIN_WORDS:
        problems.append(f"alt text of {len(alt_words)} words is a title, not a description "
                        f"(at least {MIN_WORDS}): {alt!r}")
    caption_words = words(caption or "")
    if caption_words and alt_words == caption_words[: len(alt_words)]:
        problems.append(f"alt text only repeats the first words of the caption: {alt!r}")
    return problems
