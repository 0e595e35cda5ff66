"""The rules every chapter notebook follows, checked on the files themselves:

- it opens with its label and title, then the "What you will learn" box, then
  a reading-time line, which agrees with scripts/reading_time.py's estimate;
- every figure comes from rnn_course.plots in a cell tagged hide-input, with a
  caption and alt text;
- it imports rnn_course and defines no library code (no sys.path tricks, no
  `def` outside exercise and solution cells);
- a chapter (a page and its sections) places at least 3 auto-checked exercises,
  each with a stored "not attempted" check and a stored passing check;
- no stored output is an error, and Korean key terms it marks are in the glossary
  (tests/test_glossary.py).
"""

import importlib.util
import json
import re
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())
sys.path.insert(0, str(ROOT / "scripts"))
from exercise_cells import find_exercises, read_notebook  # noqa: E402


def _chapters():
    """{chapter notebook: [its section notebooks]} for every .ipynb chapter in _toc.yml."""
    out = {}
    for part in TOC.get("parts", []):
        for chapter in part.get("chapters", []):
            path = ROOT / (chapter["file"] + ".ipynb")
            if path.exists() and "/appendix/" not in chapter["file"]:
                out[path] = [ROOT / (s["file"] + ".ipynb") for s in chapter.get("sections", [])]
    return out


CHAPTERS = _chapters()
PAGES = [p for chapter, sections in CHAPTERS.items() for p in [chapter, *sections]]


def _cells(path):
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _src(cell):
    return "".join(cell["source"])


def _id(path):
    return str(path.relative_to(ROOT))


def test_there_are_chapters():
    assert len(CHAPTERS) >= 5


@pytest.mark.parametrize("page", PAGES, ids=_id)
def test_opens_with_label_title_objectives_and_reading_time(page):
    first = _src(_cells(page)[0])
    lines = first.splitlines()
    assert re.fullmatch(r"\(ch-[a-z0-9-]+\)=", lines[0]), "the first line is the chapter's label"
    assert lines[1].startswith("# "), "then its title"
    box = first.find("```{admonition} What you will learn")
    assert box != -1 and first[:box].count("\n") == 3, "then, first, the 'What you will learn' box"
    assert re.search(r"^Reading time: about \d+ minutes\.", first, re.M), "and a reading-time line"


def _reading_time():
    spec = importlib.util.spec_from_file_location("reading_time", ROOT / "scripts/reading_time.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("page", PAGES, ids=_id)
def test_reading_time_matches_the_page(page):
    rt = _reading_time()
    cells = _cells(page)
    assert rt.stated(cells) == rt.estimate(cells), (
        f"the page says {rt.stated(cells)} minutes but its length gives {rt.estimate(cells)}: "
        f"run `python scripts/reading_time.py --write`")


def test_reading_time_estimate_grows_with_the_page():
    rt = _reading_time()
    md = {"cell_type": "markdown", "metadata": {}, "source": ["word " * 2000]}
    code = {"cell_type": "code", "metadata": {}, "source": ["x = 1\n" * 100], "outputs": []}
    assert rt.estimate([md]) == 10 and rt.estimate([md, code]) == 20 and rt.estimate([]) == 5


@pytest.mark.parametrize("page", PAGES, ids=_id)
def test_figures_come_from_the_library_with_caption_and_alt_text(page):
    for cell in _cells(page):
        outputs = cell.get("outputs", [])
        if cell["cell_type"] != "code" or not any("image/png" in o.get("data", {}) for o in outputs):
            continue
        source = _src(cell)
        assert "plots." in source, f"a figure not drawn by rnn_course.plots:\n{source}"
        assert "hide-input" in cell["metadata"].get("tags", []), f"figure cell not hide-input:\n{source}"
        meta = cell["metadata"].get("mystnb", {})
        assert meta.get("figure", {}).get("caption"), f"figure without a caption:\n{source}"
        assert len(meta.get("image", {}).get("alt", "")) > 40, f"figure without real alt text:\n{source}"


@pytest.mark.parametrize("page", PAGES, ids=_id)
def test_imports_the_library_and_defines_no_library_code(page):
    cells = _cells(page)
    code = [_src(c) for c in cells if c["cell_type"] == "code"]
    assert any("import rnn_course" in s or "from rnn_course" in s for s in code)
    assert not any("sys.path" in s for s in code), "no sys.path tricks: the library is installed"
    # A `def` is allowed only where the learner writes (the cell after an exercise
    # directive) or inside a solution.
    in_solution, after_exercise = False, False
    for cell in cells:
        src = _src(cell)
        if cell["cell_type"] == "markdown":
            in_solution = ("{solution-start}" in src or in_solution) and "{solution-end}" not in src
            after_exercise = "{exercise}" in src
            continue
        if re.search(r"^(def|class) ", src, re.M):
            assert in_solution or after_exercise, f"library code defined in a chapter:\n{src}"
        after_exercise = False


@pytest.mark.parametrize("chapter", list(CHAPTERS), ids=_id)
def test_each_chapter_places_three_auto_checked_exercises(chapter):
    names = {}
    for page in [chapter, *CHAPTERS[chapter]]:
        for cell in _cells(page):
            if cell["cell_type"] != "code":
                continue
            for name in re.findall(r'^check\("([a-z0-9_]+)"', _src(cell), re.M):
                texts = ["".join(o.get("data", {}).get("text/plain", "")) for o in cell.get("outputs", [])]
                names.setdefault(name, []).append(" ".join(texts))
    from rnn_course.exercises import EXERCISES

    assert set(names) <= set(EXERCISES), set(names) - set(EXERCISES)
    assert len(names) >= 3, f"{_id(chapter)} places {len(names)} exercises: {sorted(names)}"
    for name, outputs in names.items():
        assert any("[Not attempted yet]" in o for o in outputs), f"{name}: no stored 'not attempted' check"
    # The solutions are shown, not run (so that Run All never replaces a learner's function):
    # every exercise has one, found where scripts/exercise_cells.py looks, and
    # tests/test_solutions.py runs each through its check.
    solved = {ex.name for page in [chapter, *CHAPTERS[chapter]]
              for ex in find_exercises(read_notebook(page))}
    assert set(names) <= solved, f"exercises without a solution: {sorted(set(names) - solved)}"


@pytest.mark.parametrize("page", PAGES, ids=_id)
def test_no_stored_errors(page):
    for cell in _cells(page):
        for out in cell.get("outputs", []):
            assert out.get("output_type") != "error", _src(cell)
            assert out.get("name") != "stderr" or "Warning" not in "".join(out.get("text", "")), _src(cell)


def test_chapter_3_trains_chapter_2s_marker_rnn():
    """Chapter 3 says its trained network is chapter 2's; it trains it again, so the settings must match.

    The three statements that make the network (its data, the model and the training call) must appear,
    character for character, in both chapters' code.
    """
    def code(stem):
        path = next((ROOT / "book").glob(f"*/{stem}.ipynb"))
        return "\n".join("".join(c["source"]) for c in json.loads(path.read_text(encoding="utf-8"))["cells"]
                         if c["cell_type"] == "code")

    ch2, ch3 = code("02_feedforward_vs_recurrent"), code("03_memory_cells")
    statements = [
        'marker_task(2000, min_len=1, max_len=20, vocab_size=V, seed=0)',
        'ManyToOneClassifier(V, embed_dim=8, hidden_size=16, num_classes=2, cell="rnn", seed=0)',
        'V = 8',
    ]
    for statement in statements:
        assert statement in ch2, f"chapter 2 no longer has {statement!r}: update chapter 3 and this test"
        assert statement in ch3, f"chapter 3 no longer trains chapter 2's network: it lacks {statement!r}"
    # the training call itself, whole: the same data, epochs, batches, rate and seed
    call = re.compile(r"fit\((\w+), \(train\.ids, train\.lengths, train\.labels\), epochs=10, batch_size=32, "
                      r"lr=1e-2, seed=0,?\s*quiet=True\)")
    assert call.search(ch2) and call.search(ch3), "the two chapters no longer train with the same fit(...) call"
