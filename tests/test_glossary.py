"""Every key term a page marks on first use, written **term** (한국어), is in the glossary."""

import json
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
# **English** (한국어) or (한국어, ...): any parenthesis right after a bold term with Hangul in it,
# so "RNN 셀" and "절단된 BPTT" count too.
MARKED = re.compile(r"\*\*([^*\n]+)\*\*\s*\(([^(),\n]*[가-힣][^(),\n]*)[,)]")


def _toc_files():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        for chapter in part.get("chapters", []):
            files += [chapter["file"]] + [section["file"] for section in chapter.get("sections", [])]
    return files


def _text(stem):
    for suffix in (".md", ".ipynb"):
        path = ROOT / (stem + suffix)
        if path.exists():
            if suffix == ".md":
                return path.read_text()
            cells = json.loads(path.read_text())["cells"]
            return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    raise FileNotFoundError(stem)


def _glossary_korean():
    rows = (ROOT / "book/appendix/glossary.md").read_text().splitlines()
    return {r.split("|")[1].strip() for r in rows if r.startswith("| ") and not r.startswith("| 한국어")
            and not r.startswith("|---")}


def test_every_marked_term_is_in_the_glossary():
    glossary = _glossary_korean()
    marked = {}
    for stem in _toc_files():
        for english, korean in MARKED.findall(_text(stem)):
            marked.setdefault(korean.strip(), (english, stem))
    assert marked, "no marked terms found: the pattern or the pages changed"
    missing = {k: v for k, v in marked.items() if k not in glossary}
    assert not missing, f"terms marked in the book but missing from the glossary: {missing}"


def test_glossary_rows_are_complete_and_sorted():
    rows = [r for r in (ROOT / "book/appendix/glossary.md").read_text().splitlines()
            if r.startswith("| ") and not r.startswith("| 한국어")]
    korean = []
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert len(cells) == 4 and all(cells), f"incomplete glossary row: {row}"
        korean.append(cells[0])
    assert korean == sorted(korean), "keep the glossary in the order of the Korean alphabet"


def _labels():
    """{page stem: its (label)= target}, for the pages in the table of contents."""
    out = {}
    for stem in _toc_files():
        match = re.search(r"^\(([a-z0-9-]+)\)=", _text(stem), re.M)
        if match:
            out[stem] = match.group(1)
    return out


def _first_marked():
    """{korean: stem of the first page, in reading order, that marks the term}."""
    first = {}
    for stem in _toc_files():
        for _, korean in MARKED.findall(_text(stem)):
            first.setdefault(korean.strip(), stem)
    return first


def _rows():
    rows = [r for r in (ROOT / "book/appendix/glossary.md").read_text().splitlines()
            if r.startswith("| ") and not r.startswith("| 한국어")]
    return [[c.strip() for c in row.strip("|").split("|")] for row in rows]


def test_glossary_has_at_least_30_terms_each_marked_in_the_book():
    rows = _rows()
    assert len(rows) >= 30, f"the glossary has {len(rows)} terms; the course promises at least 30"
    first = _first_marked()
    orphans = [korean for korean, *_ in rows if korean not in first]
    assert not orphans, f"glossary terms that no page marks as **term** (한국어): {orphans}"


def test_each_term_links_to_the_chapter_that_introduces_it():
    first, labels = _first_marked(), _labels()
    wrong = []
    for korean, english, _, where in _rows():
        want = labels.get(first.get(korean))
        if want and f"{{ref}}`{want}`" not in where:
            wrong.append(f"{korean} ({english}): links {where}, first marked in {{ref}}`{want}`")
    assert not wrong, "glossary links that are not the first page to mark the term:\n" + "\n".join(wrong)
