"""Every key term a page marks on first use, written **term** (한국어), is in the glossary."""

import json
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
MARKED = re.compile(r"\*\*([^*\n]+)\*\*\s*\(([가-힣][가-힣 ]*)[,)]")


def _toc_files():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [c["file"] for c in part.get("chapters", [])]
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
