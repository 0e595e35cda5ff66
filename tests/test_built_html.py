"""Checks on the built HTML that need no browser (run after `make book`/`make test`'s build).

Every element id on a page is unique: duplicate ids are invalid HTML, and screen
readers and in-page links that resolve an id find only the first one.
sphinx-exercise gives every exercise and solution body the same id;
book/_ext/unique_exercise_ids.py numbers them.
"""

import collections
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HTML = ROOT / "_build" / "html"
ID = re.compile(r"""\sid=["']([^"']+)["']""")

pages = sorted(HTML.glob("book/**/*.html")) if HTML.exists() else []
pytestmark = pytest.mark.skipif(not pages, reason="no built book in _build/html: run `make book` first")


def duplicate_ids(html: str) -> list[str]:
    return sorted(k for k, n in collections.Counter(ID.findall(html)).items() if n > 1)


def test_the_check_finds_duplicates():
    assert duplicate_ids('<p id="a"></p><div id="b"></div><section id="a">') == ["a"]
    assert duplicate_ids("<p id='x'></p><p id=\"y\"></p>") == []


@pytest.mark.parametrize("page", pages, ids=lambda p: str(p.relative_to(HTML)))
def test_every_id_on_a_page_is_unique(page):
    dups = duplicate_ids(page.read_text(encoding="utf-8"))
    assert not dups, f"{page.relative_to(HTML)} repeats the ids {dups}"


def test_exercise_bodies_keep_their_class():
    chapter = HTML / "book" / "foundations" / "03_memory_cells.html"
    text = chapter.read_text(encoding="utf-8")
    assert 'id="solution-content-1"' in text and 'id="solution-content-2"' in text
    assert re.search(r'class="[^"]*\bsolution-content\b', text)
