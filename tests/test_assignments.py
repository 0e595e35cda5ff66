"""The instructor edition (issue 18): nbgrader assignments made from the chapters, and their grading.

scripts/make_assignments.py turns each chapter with exercises into an nbgrader
assignment. These tests prove, with nbgrader itself (a pinned requirement, so
they fail rather than skip when it is missing):

- no student copy holds a solution: for every chapter, nbgrader's ClearSolutions
  with the course's config leaves the book's stub, and no line of the book's
  solutions; for chapter 1 the same of the real ``nbgrader generate_assignment``;
- grading gives the right score: six synthetic hand-ins of chapter 1 (all right;
  one exercise wrong; untouched stubs; a function that never returns; a deleted
  answer cell; a deleted tests cell, which nbgrader puts back and runs) go through
  ``nbgrader autograde`` and ``nbgrader export``, and each row of the grades CSV
  holds the score those answers earn;
- the files a chapter loads from its own folder (chapters 7 to 9's checkpoints/)
  are in its source folder, which nbgrader copies into the release and the
  autograded folders;
- ``grade``, the checker that the tests cells call, raises unless Correct, and
  RNN_COURSE_MAX_HINT holds back the near-answer hints.

The module takes about 65 s of CPU in all (measured: three nbgrader commands, one
kernel per hand-in, chapter 1 runs in about 5 s), most of it in the grading run;
the hand-in that loops forever is stopped by the checker's time limit, lowered to
2 s for the run with RNN_COURSE_TIME_LIMIT.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import make_assignments  # noqa: E402
from exercise_cells import find_exercises, read_notebook  # noqa: E402
from rnn_course.exercises import EXERCISES, check, grade, hint  # noqa: E402

CHAPTER = "01_sequences"  # three exercises (a concept question, two functions), and it runs in ~5 s
CHAPTERS = make_assignments.chapters()


def _cells(nb) -> list[dict]:
    return [dict(c, source="".join(c["source"]) if isinstance(c["source"], list) else c["source"])
            for c in nb["cells"]]


def _lines(text: str) -> set[str]:
    return {line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")}


def _secret_lines(book_nb: dict) -> dict[str, set[str]]:
    """label -> the lines of the exercise's solution that the chapter shows nowhere but in its solutions."""
    exercises = find_exercises(book_nb)
    in_solutions = {i for ex in exercises for i in range(ex.solution, ex.solution_end + 1)}
    shown = set().union(*(_lines(c["source"]) for i, c in enumerate(book_nb["cells"]) if i not in in_solutions))
    return {ex.label: _lines(ex.solution_code) - shown for ex in exercises}


def _assert_student_copy(student_nb: dict, book_nb: dict, where: str) -> None:
    """No solution line in the student copy, and each learner cell is the book's stub."""
    text = set().union(*(_lines(c["source"]) for c in _cells(student_nb)))
    for label, secret in _secret_lines(book_nb).items():
        assert secret, f"{where}, {label}: the solution has no line of its own, so this test could not fail"
        leaked = sorted(secret & text)
        assert not leaked, f"{where}, {label}: the student copy holds solution lines {leaked}"
    cells = {c["metadata"].get("nbgrader", {}).get("grade_id"): c for c in _cells(student_nb)}
    for ex in find_exercises(book_nb):
        stub = book_nb["cells"][ex.stub]["source"]
        # nbgrader leaves one empty line where the solution region was: the only difference.
        assert cells[f"{ex.label}-answer"]["source"] == stub.rstrip("\n") + "\n", f"{where}, {ex.label}"
    assert not any("{solution" in c["source"] for c in _cells(student_nb)), f"{where}: a solution dropdown"


def test_nbgrader_is_installed():
    # Pinned in requirements.txt: the instructor edition's tests fail, not skip, without it.
    assert importlib.util.find_spec("nbgrader") is not None, "nbgrader is missing: pip install -r requirements.txt"
    assert (Path(sys.executable).parent / "nbgrader").exists()


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_source_version_has_the_solutions_and_the_student_version_none(path):
    from nbformat import from_dict
    from nbgrader.preprocessors import ClearSolutions
    from traitlets.config import Config

    book = read_notebook(path)
    source, rows = make_assignments.instructor_notebook(book)
    assert [r["label"] for r in rows] == [ex.label for ex in find_exercises(book)]
    text = set().union(*(_lines(c["source"]) for c in source["cells"]))
    for label, secret in _secret_lines(book).items():
        assert secret <= text, f"{path.stem}, {label}: the instructor's source version lacks its solution"
    graded = [c["metadata"]["nbgrader"] for c in source["cells"] if c["metadata"].get("nbgrader", {}).get("grade")]
    assert [g["points"] for g in graded] == [make_assignments.POINTS[EXERCISES[r["name"]].kind] for r in rows]
    assert all(g["locked"] and not g["solution"] for g in graded)
    # What generate_assignment does to solution regions, with the course's config.
    config = Config()
    config.ClearSolutions.code_stub = {"python": ""}
    student, _ = ClearSolutions(config=config).preprocess(from_dict(source), {})
    _assert_student_copy(json.loads(json.dumps(student)), book, path.stem)


# ---------------------------------------------------------------------------
# The grader: generate_assignment, five hand-ins, autograde, export

def _run(course: Path, *args: str, env: dict) -> None:
    command, env = make_assignments.nbgrader_command(*args, env=env)
    done = subprocess.run(command, cwd=course, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"


def _hand_in(release: dict, answers: dict[str, str | None], deleted_checks=()) -> dict:
    """A student's notebook: the release with the learner cells' sources replaced (None: cell deleted),
    and without the tests cells of the labels in deleted_checks."""
    nb = json.loads(json.dumps(release))
    kept = []
    for cell in nb["cells"]:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id", "")
        if grade_id.removesuffix("-check") in deleted_checks and grade_id.endswith("-check"):
            continue
        label = grade_id.removesuffix("-answer")
        if grade_id.endswith("-answer") and label in answers:
            if answers[label] is None:
                continue
            cell["source"] = answers[label]
        kept.append(cell)
    nb["cells"] = kept
    return nb


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = tmp_path_factory.mktemp("course")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
               OPENBLAS_NUM_THREADS="1", RNN_COURSE_TIME_LIMIT="2")
    table = make_assignments.build_source(course, [p for p in CHAPTERS if p.stem == CHAPTER])
    _run(course, "generate_assignment", CHAPTER, env=env)
    release = json.loads((course / "release" / CHAPTER / f"{CHAPTER}.ipynb").read_text(encoding="utf-8"))
    rows = {r["label"]: r for r in table[CHAPTER]}
    right = {label: r["solution_code"] for label, r in rows.items()}
    students = {
        "all_right": right,
        "one_wrong": dict(right, **{"ex-one-hot": "def one_hot(ids, V):\n    return np.eye(V)[ids][..., ::-1]\n"}),
        "stubs": {},
        "loops_forever": dict(right, **{"ex-pad": "def pad_sequences(sequences, pad_value=0):\n"
                                                  "    while True:\n        pass\n"}),
        "deleted_cell": dict(right, **{"ex-one-hot": None}),
        "deleted_check": right,
    }
    for student, answers in students.items():
        target = course / "submitted" / student / CHAPTER / f"{CHAPTER}.ipynb"
        target.parent.mkdir(parents=True)
        deleted = ("ex-one-hot",) if student == "deleted_check" else ()
        target.write_text(json.dumps(_hand_in(release, answers, deleted), indent=1), encoding="utf-8")
    _run(course, "autograde", CHAPTER, env=env)
    _run(course, "export", "--to", "grades.csv", env=env)
    with open(course / "grades.csv", newline="") as f:
        scores = {row["student_id"]: (float(row["score"]), float(row["max_score"])) for row in csv.DictReader(f)}
    return course, release, rows, scores


def test_release_holds_no_solution(graded):
    course, release, rows, _ = graded
    _assert_student_copy(release, read_notebook(next(p for p in CHAPTERS if p.stem == CHAPTER)), "release")
    assert not any("BEGIN SOLUTION" in "".join(c["source"]) for c in release["cells"])


@pytest.mark.parametrize("student, lost", [
    ("all_right", ()),
    ("one_wrong", ("ex-one-hot",)),
    ("stubs", ("ex-mutable", "ex-one-hot", "ex-pad")),
    ("loops_forever", ("ex-pad",)),
    ("deleted_cell", ("ex-one-hot",)),
    ("deleted_check", ()),   # c.OverwriteCells.add_missing_cells puts the tests cell back
])
def test_autograde_and_export_give_each_hand_in_its_score(graded, student, lost):
    _, _, rows, scores = graded
    total = sum(r["points"] for r in rows.values())
    assert total == 5
    assert scores[student] == (total - sum(rows[label]["points"] for label in lost), total), scores


def test_no_tests_cell_returns_a_value(graded):
    # nbgrader reads a tests cell's execute_result as a partial-credit score; the verdict is displayed.
    course = graded[0]
    nb = json.loads((course / "autograded" / "all_right" / CHAPTER / f"{CHAPTER}.ipynb").read_text())
    tests = [c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade")]
    assert tests and all(o["output_type"] != "execute_result" for c in tests for o in c["outputs"])
    assert all(any(o["output_type"] == "display_data" for o in c["outputs"]) for c in tests)


def test_the_files_a_chapter_reads_are_in_its_source_folder(tmp_path):
    paths = [p for p in CHAPTERS if p.stem in ("07_training_rnns", "08_lstm_gru", "09_char_lm")]
    make_assignments.build_source(tmp_path, paths)
    for path in paths:
        names = make_assignments.local_files(read_notebook(path), path.parent)
        assert names, f"{path.stem} reads no checkpoint file: the pattern no longer finds them"
        for name in names:
            assert (tmp_path / "source" / path.stem / name).is_file(), (path.stem, name)


def test_the_endless_loop_was_stopped_by_the_checkers_time_limit(graded):
    course = graded[0]
    nb = json.loads((course / "autograded" / "loops_forever" / CHAPTER / f"{CHAPTER}.ipynb").read_text())
    errors = [o for c in nb["cells"] for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert [o["ename"] for o in errors] == ["AssertionError"], errors
    assert "did not return within 2 s" in errors[0]["evalue"]


# ---------------------------------------------------------------------------
# grade() and the hint cap

def test_grade_raises_unless_correct():
    import numpy as np
    import rnn_course

    def one_hot(ids, V):
        return np.eye(V)[ids]

    def stub(ids, V):
        ...

    def wrong(ids, V):
        return np.eye(V)[ids][..., ::-1]

    assert grade("one_hot", one_hot).passed
    assert check("one_hot", rnn_course.layers.one_hot).passed           # the learner may compare with it ...
    for answer, words in [(stub, "Not attempted"), (wrong, "Not yet"),
                          (rnn_course.layers.one_hot, "the course library's own one_hot")]:
        with pytest.raises(AssertionError, match=words):             # ... but it earns no points
            grade("one_hot", answer)
    with pytest.raises(AssertionError, match="Not yet"):
        grade("hidden_states_shape", (8, 32, 12))


def test_hint_levels_can_be_capped(monkeypatch):
    level3 = EXERCISES["one_hot"].hints[2]
    assert hint("one_hot", 3).text == level3
    monkeypatch.setenv("RNN_COURSE_MAX_HINT", "2")
    assert hint("one_hot", 2).text == EXERCISES["one_hot"].hints[1]
    capped = hint("one_hot", 3)
    assert level3 not in capped.text and "turned off" in capped.text
    monkeypatch.setenv("RNN_COURSE_MAX_HINT", "many")
    with pytest.raises(ValueError, match="RNN_COURSE_MAX_HINT"):
        hint("one_hot", 1)
