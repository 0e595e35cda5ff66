"""No computed number is typed into a page's prose: it is glued from the cell that computes it.

A number a cell computes (an accuracy, a loss, a norm, a count, a fitted rate)
goes into the prose with myst-nb's glue: ``glue("acc", round(acc, 3),
display=False)`` in the cell, ``{glue:text}`acc:.3f``` in the markdown. Strict
nbval compares the glued value like any other output, so prose and code cannot
drift apart. This test finds numbers that were typed instead.

The rule, applied to every notebook page of ``_toc.yml`` (its markdown cells,
math included, and its figure captions):

- A number *looks computed* when it has a decimal point, an exponent or a
  percent sign (``0.78``, ``1e-18``, ``57%``), or when it is an integer of 10 or
  more that also appears in the page's stored outputs (``514``).
- Such a number may stay typed only when it is a **setting**, i.e. it appears
  literally in one of the page's code cells (``T = 20``, ``lr 0.002``), or when
  the page's list in ``tests/typed_numbers/<page stem>.yml`` names it, with the
  reason it is not computed (the source note's own example numbers, a constant
  such as chance = 0.5, a licence version).

Skipped: code (fenced blocks and inline ``code``), roles (``{glue:text}``,
``{ref}``, ``{eq}``), labels, URLs, directive options, the reading-time line
(tests/test_chapters.py checks it against scripts/reading_time.py), and alt
texts (plain attributes that glue cannot reach; the page review reads them).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
ALLOWED_DIR = ROOT / "tests" / "typed_numbers"
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())


def _pages():
    out = []

    def walk(entries):
        for entry in entries:
            path = ROOT / (entry["file"] + ".ipynb")
            if path.exists():
                out.append(path)
            walk(entry.get("sections", []))

    for part in TOC.get("parts", []):
        walk(part.get("chapters", []))
    return out


PAGES = _pages()

# A number token: 1,601 or 0.78 or 1e-18 or 57% (a leading minus is not part of it).
NUMBER = re.compile(r"(?<![\w.\\^_])(\d+(?:,\d{3})+|\d+)(\.\d+)?([eE][-+]?\d+)?(\s?%)?(?![\w])")
FENCE = re.compile(r"^(`{3,}|~{3,})\s*(.*)$")


def prose(markdown: str) -> str:
    """The prose of one markdown cell: code, roles, labels, options and URLs removed."""
    kept, stack = [], []            # stack of open fences: (fence, is_directive)
    for line in markdown.splitlines():
        fence = FENCE.match(line.strip())
        if fence:
            mark, info = fence.groups()
            if stack and stack[-1][0] == mark and not info:
                stack.pop()
            else:
                stack.append((mark, info.startswith("{") and not info.startswith(("{code", "{literal"))))
            continue
        if stack and not stack[-1][1]:
            continue                                   # inside a code block
        if re.match(r"^\s*:[\w-]+:", line) or re.match(r"^\s*\([\w-]+\)=\s*$", line):
            continue                                   # a directive option or a label
        if line.startswith("Reading time: about"):
            continue
        kept.append(line)
    text = "\n".join(kept)
    text = re.sub(r"\{[\w:-]+\}`[^`]*`", " ", text)   # roles, glue included
    text = re.sub(r"`[^`]*`", " ", text)               # inline code
    text = re.sub(r"\]\([^)]*\)", "]", text)           # link targets
    text = re.sub(r"<?https?://[^\s>)]*>?", " ", text)  # bare URLs
    text = re.sub(r"\$\$\s*\([\w-]+\)", "$$", text)    # equation labels
    return text


def _numbers(text: str):
    for m in NUMBER.finditer(text):
        integer, frac, exp, pct = m.groups()
        yield m, integer.replace(",", "") + (frac or "") + (exp or ""), bool(frac or exp or pct)


def _output_numbers(cells) -> set[str]:
    found = set()
    for cell in cells:
        for out in cell.get("outputs", []):
            text = "".join(out.get("text", "")) + "".join(out.get("data", {}).get("text/plain", ""))
            found.update(bare for _, bare, _ in _numbers(text))
    return found


PYTHON_BLOCK = re.compile(r"^(`{3,})python[ \t]*\n(.*?)^\1[ \t]*$", re.M | re.S)


def _code_numbers(cells) -> set[str]:
    """Numbers in the code cells, and in the fenced python blocks of markdown cells: a
    solution's code is shown, not run (issue 15), and is code all the same."""
    found = set()
    for cell in cells:
        source = "".join(cell["source"])
        if cell["cell_type"] == "code":
            found.update(bare for _, bare, _ in _numbers(source))
        elif cell["cell_type"] == "markdown":
            for block in PYTHON_BLOCK.finditer(source):
                found.update(bare for _, bare, _ in _numbers(block.group(2)))
    return found


def _prose_texts(cells):
    for i, cell in enumerate(cells):
        if cell["cell_type"] == "markdown":
            yield f"cell {i}", "".join(cell["source"])
        caption = cell.get("metadata", {}).get("mystnb", {}).get("figure", {}).get("caption")
        if caption:
            yield f"cell {i} caption", caption


def allowed(page: Path) -> dict[str, str]:
    file = ALLOWED_DIR / f"{page.stem}.yml"
    if not file.exists():
        return {}
    data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    return {str(k): str(v) for k, v in data.items()}


def typed_numbers(page: Path) -> list[str]:
    """Every number in the page's prose that looks computed and is neither a setting nor allowed."""
    cells = json.loads(page.read_text(encoding="utf-8"))["cells"]
    outputs, settings, ok = _output_numbers(cells), _code_numbers(cells), allowed(page)
    bad = []
    for where, source in _prose_texts(cells):
        text = prose(source)
        for m, bare, decimal in _numbers(text):
            computed_looking = decimal or (float(bare) >= 10 and bare in outputs)
            if not computed_looking or bare in settings or bare in ok or m.group(0).strip() in ok:
                continue
            context = text[max(0, m.start() - 50): m.end() + 30].replace("\n", " ")
            bad.append(f"{where}: {m.group(0)!r} in '…{context}…'")
    return bad


def test_there_are_pages():
    assert len(PAGES) >= 10


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_typed_computed_numbers(page):
    bad = typed_numbers(page)
    assert not bad, (
        f"{len(bad)} number(s) in the prose look computed but are typed. Glue each from the cell "
        f"that computes it (myst_nb.glue, then {{glue:text}}), or, if it is a constant or the "
        f"source note's own example, list it with its reason in tests/typed_numbers/{page.stem}.yml:\n"
        + "\n".join(bad)
    )


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_allowed_numbers_are_used_and_explained(page):
    """An allow-list entry that no longer occurs in the prose, or has no reason, is stale."""
    cells = json.loads(page.read_text(encoding="utf-8"))["cells"]
    used = set()
    for _, source in _prose_texts(cells):
        for m, bare, _ in _numbers(prose(source)):
            used.update({bare, m.group(0).strip()})
    for number, reason in allowed(page).items():
        assert number in used, f"tests/typed_numbers/{page.stem}.yml allows {number!r}, which the page no longer has"
        assert len(reason.split()) >= 3, f"{number!r} in tests/typed_numbers/{page.stem}.yml needs a reason"


# The rule itself, on small cases: the test must be able to fail.

def _page(tmp_path, markdown, code="x = 1", output="", caption=None):
    cell = {"cell_type": "code", "source": code, "metadata": {}, "outputs": []}
    if output:
        cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": output}]
    if caption:
        cell["metadata"] = {"mystnb": {"figure": {"caption": caption}}}
    nb = {"cells": [cell, {"cell_type": "markdown", "source": markdown, "metadata": {}}]}
    path = tmp_path / "page.ipynb"
    path.write_text(json.dumps(nb))
    return path


@pytest.mark.parametrize("markdown", [
    "The model reaches 0.78 accuracy.",
    "About 57% of the markers lie in the window.",
    "The norm falls to about 1e-18.",
    "It has $\\sigma_{\\max} \\approx 1.7$.",
    "The RNN has 514 parameters.",              # 514 is in the output below
    ":::{note}\nThe loss is 1.55 nats.\n:::",
])
def test_rule_flags_typed_numbers(tmp_path, markdown):
    page = _page(tmp_path, markdown, output="parameters: 514\n")
    assert typed_numbers(page), markdown


@pytest.mark.parametrize("markdown", [
    "The model reaches {glue:text}`acc:.2f` accuracy.",
    "We train for 20 epochs with lr 0.002.",      # settings typed in the code cell
    "Chapter 3 has 4 sections and 12 figures.",  # integers that no output prints
    "Run `model.fit(lr=0.25)` and see [the docs](https://x.org/v2.0/).",
    "```python\nprint(0.125)\n```",
    "(ch-x)=\n# Title\n\nReading time: about 35 minutes.",
])
def test_rule_passes_glued_settings_and_code(tmp_path, markdown):
    page = _page(tmp_path, markdown, code="fit(epochs=20, lr=0.002)", output="acc 0.78\n")
    assert not typed_numbers(page), typed_numbers(page)


def test_rule_reads_captions(tmp_path):
    page = _page(tmp_path, "Nothing here.", caption="Validation accuracy reaches 0.91.")
    assert typed_numbers(page)


GLUE_ROLE = re.compile(r"\{glue(?::\w+)?\}`([^`]+)`")


def _glued_keys(cells) -> dict[str, str]:
    keys = {}
    for cell in cells:
        for out in cell.get("outputs", []):
            name = out.get("metadata", {}).get("scrapbook", {}).get("name")
            if name:
                keys[name] = "".join(out["data"].get("application/papermill.record/text/plain", ""))
    return keys


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_glue_role_has_its_value(page):
    """Each {glue:text}`key:fmt` names a key that a cell of the same page glued, as a plain
    Python number or string (a numpy scalar would print as np.float64(...) in the prose)."""
    cells = json.loads(page.read_text(encoding="utf-8"))["cells"]
    keys = _glued_keys(cells)
    for value in keys.values():
        assert not value.startswith(("np.", "array(")), f"glue a plain int/float/str, not {value}"
    for _, source in _prose_texts(cells):
        for ref in GLUE_ROLE.findall(source):
            key = ref.split(":")[0]
            assert key in keys, f"{{glue:text}}`{ref}` but no cell of {page.name} glues {key!r}"
