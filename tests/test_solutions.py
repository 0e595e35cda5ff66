"""Every chapter's exercises: Run All is safe, and every solution passes its check (issue 15).

The solutions are shown in the book and in JupyterLab, but they are not code
cells: running every cell of a chapter leaves the learner's functions and
answers in place. So the chapters no longer prove, by running them, that each
solution passes its check; this module does. For every exercise found by
scripts/exercise_cells.py it runs the solution's code the way a learner's
notebook would (the chapter's imports, then the solutions of the chapter's
earlier exercises, then this one, in __main__) and asserts that the check says
Correct, and that the untouched stub does not.
"""

from __future__ import annotations

import ast
import linecache
import sys
from pathlib import Path

import pytest

from rnn_course.exercises import EXERCISES, check
from rnn_course.exercises._result import NOT_ATTEMPTED

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from exercise_cells import assigned_names, find_exercises, read_notebook  # noqa: E402

CHAPTERS = sorted(p for p in (ROOT / "book").glob("*/*.ipynb") if "{exercise}" in p.read_text(encoding="utf-8"))
NOTEBOOKS = {path: read_notebook(path) for path in CHAPTERS}
FOUND = {path: find_exercises(nb) for path, nb in NOTEBOOKS.items()}
CASES = [(path, k) for path, exercises in FOUND.items() for k in range(len(exercises))]


def _id(case) -> str:
    path, k = case
    return f"{path.stem}:{FOUND[path][k].label}"


def test_every_chapter_with_exercises_is_found():
    assert len(CHAPTERS) >= 9, [p.name for p in CHAPTERS]
    for path, exercises in FOUND.items():
        assert exercises, f"{path.name} has an {{exercise}} but none was found"
    labels = [ex.label for exercises in FOUND.values() for ex in exercises]
    assert len(labels) == len(set(labels)), "exercise labels must be unique across the book"
    for path, exercises in FOUND.items():
        unknown = [ex.name for ex in exercises if ex.name not in EXERCISES]
        assert not unknown, f"{path.name} checks exercises the registry lacks: {unknown}"


def _code_cells(nb):
    return [(i, c["source"]) for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"]


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_run_all_never_replaces_a_learners_answer(path):
    # No code cell after a learner's cell binds a name that cell defines, so running every
    # cell of the chapter in order leaves the learner's function or answer as they wrote it.
    nb, problems = NOTEBOOKS[path], []
    for ex in FOUND[path]:
        assert ex.learner_names, f"{ex.label}: the learner's cell (cell {ex.stub}) defines nothing"
        for i, source in _code_cells(nb):
            if i <= ex.stub:
                continue
            clash = assigned_names(source) & ex.learner_names
            if clash:
                problems.append(f"cell {i} assigns {sorted(clash)}, the answer of {ex.label} (cell {ex.stub})")
    assert not problems, f"{path.name}:\n" + "\n".join(problems)


def _imports(nb) -> str:
    """Every import statement of the chapter's code cells, as one block of code."""
    lines = []
    for _, source in _code_cells(nb):
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                lines.append(ast.unparse(node))
    return "\n".join(dict.fromkeys(lines))


def _run(source: str, ns: dict, where: str) -> None:
    """Run a cell's code in ns, with its source findable by inspect, as IPython keeps it."""
    filename = f"<{where}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), ns)


def _namespace(nb) -> dict:
    ns = {"__name__": "__main__"}
    exec(_imports(nb), ns)
    return ns


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_solution_passes_its_check(case):
    path, k = case
    nb, exercises = NOTEBOOKS[path], FOUND[path]
    ns = _namespace(nb)
    for earlier in exercises[: k + 1]:          # a learner who solved the chapter's exercises in order
        _run(earlier.solution_code, ns, f"{path.stem} solution {earlier.label}")
    ex = exercises[k]
    result = check(ex.name, eval(ex.answer, ns))
    assert result.passed, f"{path.name}, {ex.label}: the solution fails its check:\n{result}"


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_stub_is_not_attempted(case):
    path, k = case
    ex = FOUND[path][k]
    ns = _namespace(NOTEBOOKS[path])
    _run(NOTEBOOKS[path]["cells"][ex.stub]["source"], ns, f"{path.stem} cell {ex.stub}")
    result = check(ex.name, eval(ex.answer, ns))
    assert result.status == NOT_ATTEMPTED, f"{path.name}, {ex.label}: the stub reads\n{result}"


# ---------------------------------------------------------------------------
# Long trainings that overwrite a committed file need an explicit opt-in

SAVES = ("save_sweep", "save_checkpoint")
RETRAIN_CELLS = [(path, i) for path, nb in NOTEBOOKS.items() for i, source in _code_cells(nb)
                 if any(f"{name}(" in source for name in SAVES)]


def test_the_chapters_have_retrain_cells():
    # Guards the test below against passing on nothing.
    assert {p.stem for p, _ in RETRAIN_CELLS} >= {"07_training_rnns", "08_lstm_gru", "09_char_lm"}, RETRAIN_CELLS


@pytest.mark.parametrize("cell", RETRAIN_CELLS, ids=lambda c: f"{c[0].stem}:cell{c[1]}")
def test_a_training_that_overwrites_a_file_runs_only_when_asked(cell):
    path, i = cell
    c = NOTEBOOKS[path]["cells"][i]
    tree = ast.parse(c["source"])
    flags = [n for n in tree.body if isinstance(n, ast.Assign) and ast.unparse(n.targets[0]) == "RETRAIN"]
    assert flags and all(isinstance(f.value, ast.Constant) and f.value.value is False for f in flags), (
        f"{path.name} cell {i} must set RETRAIN = False")
    guarded = [n for n in tree.body if isinstance(n, ast.If) and ast.unparse(n.test) == "RETRAIN"]
    for node in tree.body:
        if node in guarded:
            continue
        calls = [n for n in ast.walk(node) if isinstance(n, ast.Call)]
        assert not calls, f"{path.name} cell {i}: `{ast.unparse(node)}` runs without RETRAIN"
    assert guarded, f"{path.name} cell {i}: no `if RETRAIN:`"
    # The build and nbval skip it as well, keeping its stored output.
    assert {"skip-execution", "nbval-skip"} <= set(c["metadata"].get("tags", [])), c["metadata"]
