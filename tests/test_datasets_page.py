"""The datasets appendix (book/appendix/datasets.md) matches the bundled files.

The page is static markdown, so its numbers are typed in; these tests read
the table "The bundled files" and check every row against ``rnn_course/data``:
one row per file (README.md aside), the byte size, the number of items, and
the total in the introduction.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from rnn_course.datasets import DATA_DIR

PAGE = Path(__file__).resolve().parents[1] / "book" / "appendix" / "datasets.md"
ROW = re.compile(r"^\| `(?P<file>[^`]+)` \| (?P<bytes>[\d,]+) \| (?P<items>[\d,]+) (?P<unit>[a-z ]+?) \|", re.MULTILINE)


def bundled_files():
    return sorted(p.name for p in DATA_DIR.iterdir() if p.is_file() and p.name != "README.md")


def table_rows():
    text = PAGE.read_text(encoding="utf-8")
    rows = {}
    for m in ROW.finditer(text):
        assert m["file"] not in rows, f"{m['file']} has two rows in the table of datasets.md"
        rows[m["file"]] = (int(m["bytes"].replace(",", "")), int(m["items"].replace(",", "")), m["unit"])
    return rows


def count_items(path: Path) -> int:
    """Rows of a table (header excluded), characters of a text, images of the .npz."""
    if path.suffix in (".tsv", ".csv"):
        lines = path.read_text(encoding="utf-8").splitlines()
        return len(lines) - 1
    if path.suffix == ".txt":
        return len(path.read_text(encoding="utf-8"))
    if path.suffix == ".npz":
        with np.load(path) as z:
            return len(z["labels"])
    raise AssertionError(f"no rule to count the items of {path.name}: add one to this test")


def test_table_lists_exactly_the_bundled_files():
    rows = table_rows()
    assert sorted(rows) == bundled_files(), (
        f"datasets.md lists {sorted(rows)}, rnn_course/data holds {bundled_files()}")


@pytest.mark.parametrize("name", bundled_files())
def test_stated_size_matches_the_file(name):
    rows = table_rows()
    assert name in rows, f"datasets.md has no row for {name}"
    stated_bytes, stated_items, unit = rows[name]
    path = DATA_DIR / name
    assert stated_bytes == path.stat().st_size, (
        f"datasets.md says {name} has {stated_bytes:,} bytes; the file has {path.stat().st_size:,}")
    assert stated_items == count_items(path), (
        f"datasets.md says {name} holds {stated_items:,} {unit}; the file holds {count_items(path):,}")


@pytest.mark.parametrize("name", bundled_files())
def test_every_file_has_its_own_section(name):
    text = PAGE.read_text(encoding="utf-8")
    assert re.search(rf"^### `{re.escape(name)}`", text, re.MULTILINE), (
        f"datasets.md has no section '### `{name}`: ...' with its source, licence and citation")


def test_stated_total_matches():
    text = PAGE.read_text(encoding="utf-8")
    m = re.search(r"bundled files come to ([\d,]+) bytes", text)
    assert m, "datasets.md no longer states the total size"
    total = sum((DATA_DIR / n).stat().st_size for n in bundled_files())
    assert int(m[1].replace(",", "")) == total


def test_sections_state_the_same_bytes_as_the_table():
    # Each file's section repeats its size; a change must reach both places.
    text = PAGE.read_text(encoding="utf-8")
    for name, (stated_bytes, _, _) in table_rows().items():
        section = text.split(f"### `{name}`", 1)[1].split("\n### ", 1)[0].split("\n## ", 1)[0]
        assert f"{stated_bytes:,} bytes" in section, f"the section on {name} does not state {stated_bytes:,} bytes"


def test_a_wrong_size_is_caught(tmp_path, monkeypatch):
    # The size check must be able to fail: a page with one wrong number.
    wrong = PAGE.read_text(encoding="utf-8").replace("| `cities.tsv` | 7,213 |", "| `cities.tsv` | 7,214 |")
    fake = tmp_path / "datasets.md"
    fake.write_text(wrong, encoding="utf-8")
    monkeypatch.setattr(__import__("sys").modules[__name__], "PAGE", fake)
    with pytest.raises(AssertionError, match="7,214 bytes"):
        test_stated_size_matches_the_file("cities.tsv")
