"""The instructor edition (issue 18): nbgrader assignments made from the chapters, and their grading.

scripts/make_assignments.py turns each chapter with exercises into an nbgrader
assignment. These tests prove, with nbgrader itself (a pinned requirement, so
they fail rather than skip when it is missing):

- no student copy holds a solution: for every chapter, nbgrader's ClearSolutions
  with the course's config leaves the book's stub, and no line of the book's
  solutions; for chapter 1 the same of the real ``nbgrader generate_assignment``;
- grading gives the right score: nine synthetic hand-ins of chapter 1 (all
  right, with a helper function in a cell the student added and a constant
  built by a call; one exercise wrong; untouched stubs; a function that never
  returns; a deleted answer cell; and three that tamper: monkeypatching the
  grader, redefining check and grade, editing a tests cell, hogging memory and
  planting a package ``rnn_course/`` at the course root from the kernel;
  reading the instructor's solution from outside the folder, opening a file
  and deleting a tests cell (which nbgrader puts back and runs); writing the
  gradebook; and one that wraps the library's own functions) go through ``nbgrader autograde`` and ``nbgrader export``, and each row of the
  grades CSV holds the score those answers earn; the tampering worked in each
  student's own kernel and earned nothing (issue 18, item 6,
  rnn_course/exercises/_isolated.py);
- the class's list of flagged hand-ins (``python -m rnn_course.exercises.flagged``,
  ``flagged.csv``) names each tampering hand-in with its reason, and none of
  the honest ones;
- ``scripts/autograde_isolated.sh`` grades an honest hand-in in full while its
  added cell's probes of the network, of files outside its folders and a
  process left running all come to nothing (skipped where unprivileged
  namespaces are not allowed);
- the files a chapter loads from its own folder (chapters 7 to 9's checkpoints/)
  are in its source folder, which nbgrader copies into the release and the
  autograded folders;
- ``grade``, the checker that the tests cells call, raises unless Correct, and
  RNN_COURSE_MAX_HINT holds back the near-answer hints.

The module takes 73 to 77 s of CPU, 93 to 97 s of it wall time in the grading
fixture, with eight hand-ins; with ten, before the tampering ways were shared
among fewer hand-ins, it took 86 to 93 s of CPU and 128 to 137 s (measured
back to back on a loaded shared 2-core machine: three nbgrader commands, each
about 5 s of CPU to start, one kernel per hand-in, chapter 1 runs in about
5 s, and one grading process per exercise, about 0.5 s each); the hand-in that
loops forever is stopped by the checker's time limit, lowered to 2 s for the
run with RNN_COURSE_TIME_LIMIT. With the course-tree record around each kernel and the planted package
(issue 18, a teacher's try), the module took 85 to 92 s of wall time, 79 to 80 s of it in the fixture
(before those changes, 133 s and 120 s on the same machine under a heavier load). With a ninth hand-in
(wrappers of the library's functions) and the isolated-autograde test (14 s), the grading fixture took 82 s
of a make test on an idle machine (2026-11-30).
"""

from __future__ import annotations

import ast
import csv
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import make_assignments  # noqa: E402
from exercise_cells import find_exercises, read_notebook  # noqa: E402
from rnn_course.exercises import EXERCISES, check, grade, hint  # noqa: E402
from rnn_course.exercises.data_exercises import _one_hot_cases  # noqa: E402

CHAPTER = "01_sequences"  # three exercises (a concept question, two functions), and it runs in ~5 s
CHAPTERS = make_assignments.chapters()
#: MB of address space for the grading run's kernels and grading processes (RNN_COURSE_MEMORY_LIMIT).
MEMORY_MB = 2048

# The tampering hand-ins' answer cells (issue 18, item 6). Each would score in the student's own kernel.
WRONG_ONE_HOT = "def one_hot(ids, V):\n    return np.eye(V)[ids][..., ::-1]\n"
# Redefines check and grade, and drops the tests cells' own `from rnn_course.exercises import grade` before
# they run (IPython's input transformers), so that the kernel's tests cells call this grade.
REDEFINES_CHECK = '''
def grade(name, answer, **context):
    return "Correct"
check = grade
get_ipython().input_transformers_post.append(lambda lines: [l for l in lines if "import grade" not in l])
'''
# Monkeypatches rnn_course.exercises.grade and the registry's checker.
PATCHES_THE_GRADER = '''
import rnn_course.exercises
rnn_course.exercises.grade = lambda name, answer, **context: "Correct"
object.__setattr__(rnn_course.exercises.EXERCISES["pad_sequences"], "checker", lambda answer, **context: "fine")
'''
# From the kernel (cwd autograded/<student>/<chapter>/), plants a package rnn_course/ at the course root, whose
# flagged module leaves a file when run, and edits the course's nbgrader_config.py (issue 18, a teacher's try).
PLANTS_A_MODULE = """
import os
os.makedirs("../../../rnn_course/exercises", exist_ok=True)
for name in ("__init__.py", "exercises/__init__.py"):
    open("../../../rnn_course/" + name, "w").close()
with open("../../../rnn_course/exercises/flagged.py", "w") as f:
    f.write("open('PLANTED_CODE_RAN', 'w').close()\\n")
with open("../../../nbgrader_config.py", "a") as f:
    f.write("\\n# planted\\n")
"""
# Reads the instructor's source version, outside its folder (autograded/<student>/<chapter>/), and runs its
# solution; then a function that opens a file outside its folder each time it is called.
READS_THE_SOLUTION = '''
import json
source = json.load(open("../../../source/01_sequences/01_sequences.ipynb"))
exec(next("".join(c["source"]) for c in source["cells"] if "def one_hot" in "".join(c["source"])))
'''
OPENS_A_FILE = '''
def pad_sequences(sequences, pad_value=0):
    peek = open("../../../gradebook.db", "rb").read(16)
    lengths = np.array([len(s) for s in sequences])
    ids = np.full((len(sequences), lengths.max()), pad_value)
    for n, s in enumerate(sequences):
        ids[n, :len(s)] = s
    return ids, lengths
'''
# An honest hand-in's own code (issue 18, the teacher's try): a helper function in a cell the student added,
# with a print and an IPython magic, and an answer that uses it and a constant built by a call.
HONEST_HELPER_CELL = '''def lengths_of(sequences):
    """Each sequence's length, as an (N,) array."""
    return np.array([len(s) for s in sequences])
%time lengths_of([[1]])
print("lengths:", lengths_of([[1, 2], [3]]))
'''
HONEST_PAD = '''import math
ONE = int(math.sqrt(1.0))   # a constant built by a call

def pad_sequences(sequences, pad_value=0):
    lengths = lengths_of(sequences) * ONE
    ids = np.full((len(sequences), lengths.max()), pad_value)
    for n, s in enumerate(sequences):
        ids[n, :len(s)] = s
    return ids, lengths
'''
# Wrappers of the library's own functions, which the kernel's check calls Correct.
ALIASES_ONE_HOT = "from rnn_course import layers as L\nencode = L.one_hot\n"
WRAPS_ONE_HOT = "def one_hot(ids, V):\n    return encode(ids, V)\n"
WRAPS_PAD = ("import rnn_course\n\ndef pad_sequences(sequences, pad_value=0):\n"
             "    return rnn_course.pad_sequences(sequences, pad_value=pad_value)\n")
# Replays the check's public cases (a 4th teacher's try): the cases copied from the checker's source, the
# library's answers tabulated at the top of the cell (a comparison, which the grader allows), and a lookup
# handed in. It passes the book's cases, in the kernel and in the grader, and fails the cases the grader draws
# afresh for each hand-in.
REPLAYS_ONE_HOT = ("import rnn_course\nCASES = [" + ", ".join(
    f"(np.array({ids.tolist()!r}), {V})" for ids, V in _one_hot_cases(0)) + "]\n"
    "TABLE = {(ids.tobytes(), ids.shape, V): rnn_course.one_hot(ids, V) for ids, V in CASES}\n\n"
    "def one_hot(ids, V):\n    return TABLE[(np.asarray(ids).tobytes(), np.shape(ids), V)]\n")
# Writes into the course directory from the grading process only (the kernel has get_ipython): a 5th teacher's
# try overwrote another student's submission this way, after the checks that follow the kernel.
WRITES_WHEN_GRADED = ("\nfrom rnn_course.datasets import Path\ntry:\n    get_ipython()\nexcept NameError:\n"
                      "    Path('../../../source/WRITTEN_BY_THE_GRADING').write_text('x')\n")
# The kernel's own memory limit, printed from a cell the student added (the grader refuses `__import__`).
PRINTS_THE_LIMIT = "print('RLIMIT_AS', __import__('resource').getrlimit(__import__('resource').RLIMIT_AS))\n" + """
# and what it may do to nbgrader's process: no capability, and nbgrader's memory closed to it (non-dumpable)
print('CapEff', [line.split()[1] for line in open('/proc/self/status') if line.startswith('CapEff')][0])
try:
    open(f"/proc/{__import__('os').getppid()}/mem", "rb").read(1)
    print("nbgrader's memory: read")
except OSError as exc:
    print("nbgrader's memory:", type(exc).__name__)
print('safe path', __import__('sys').flags.safe_path)
"""
# Replaces a chapter cell (which the kernel runs, and the grader does not): it would print the gradebook's
# e-mail addresses into the feedback (a teacher's try). Autograde restores the chapter's cells first.
EDITS_A_CHAPTER_CELL = "print('EDITED CHAPTER CELL RAN', open('../../../gradebook.db', 'rb').read()[:64])\n"
# Sets every grade in the gradebook to full marks, from the kernel.
# From the kernel, leaves a detached process (double fork, new session) that keeps zeroing every score in the
# gradebook and then writes a file at the course root, for a minute: long after its own kernel (a teacher's
# try). Autograde ends it as soon as the kernel is gone, before the checks.
LEAVES_A_PROCESS = '''
import os, sqlite3, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        for _ in range(300):
            try:
                with sqlite3.connect("../../../gradebook.db", timeout=1) as db:
                    db.execute("UPDATE grade SET auto_score = 0")
                open("../../../LEFT_PROCESS_RAN", "w").close()
            except Exception:
                pass
            time.sleep(0.2)
    os._exit(0)
'''
WRITES_THE_GRADEBOOK = '''
import sqlite3
with sqlite3.connect("../../../gradebook.db") as db:
    db.execute("UPDATE grade SET manual_score = 2")
'''


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
    # Cleared outputs are not kept folded: a fold over nothing is only an empty marker in Lab.
    assert not any(c["metadata"].get("jupyter", {}).get("outputs_hidden") for c in _cells(student_nb)), where


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
    done = subprocess.run(command, cwd=course, env=env, capture_output=True, text=True, timeout=1500)
    assert done.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"


def _hand_in(release: dict, answers: dict[str, str | None], deleted_checks=(), edited_checks=None,
             added=None) -> dict:
    """A student's notebook: the release with the learner cells' sources replaced (None: cell deleted),
    without the tests cells of the labels in deleted_checks, with the tests cells of edited_checks
    (label -> source) rewritten and unlocked, and with a code cell of the student's own (a new id, no
    nbgrader metadata) right before the answer cell of each label in added (label -> source)."""
    nb = json.loads(json.dumps(release))
    kept = []
    for cell in nb["cells"]:
        label = cell["metadata"].get("nbgrader", {}).get("grade_id", "").removesuffix("-answer")
        if label in (added or {}) and cell["metadata"]["nbgrader"].get("solution"):
            kept.append({"cell_type": "code", "id": f"added-{label}", "metadata": {}, "execution_count": None,
                         "outputs": [], "source": added[label]})
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id", "")
        if grade_id.removesuffix("-check") in deleted_checks and grade_id.endswith("-check"):
            continue
        if grade_id.endswith("-check") and grade_id.removesuffix("-check") in (edited_checks or {}):
            cell["source"] = edited_checks[grade_id.removesuffix("-check")]
            cell["metadata"]["nbgrader"]["locked"] = False
            cell["metadata"]["editable"] = True
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
               OPENBLAS_NUM_THREADS="1", RNN_COURSE_TIME_LIMIT="2", RNN_COURSE_MEMORY_LIMIT=str(MEMORY_MB))
    table = make_assignments.build_source(course, [p for p in CHAPTERS if p.stem == CHAPTER])
    _run(course, "generate_assignment", CHAPTER, env=env)
    release = json.loads((course / "release" / CHAPTER / f"{CHAPTER}.ipynb").read_text(encoding="utf-8"))
    rows = {r["label"]: r for r in table[CHAPTER]}
    right = {label: r["solution_code"] for label, r in rows.items()}
    # A right pad_sequences that first reserves 3 GB of address space (np.empty: nothing is touched), more
    # than MEMORY_MB; a cell the student added before it prints the kernel's own limit.
    first, rest = right["ex-pad"].split("\n", 1)
    hog = first + "\n    reserve = np.empty(3 << 27)\n" + rest
    students = {
        "all_right": dict(right, **{"ex-pad": HONEST_PAD}),
        "one_wrong": dict(right, **{"ex-one-hot": "def one_hot(ids, V):\n    return np.eye(V)[ids][..., ::-1]\n"}),
        "stubs": {},
        "loops_forever": dict(right, **{"ex-pad": "def pad_sequences(sequences, pad_value=0):\n"
                                                  "    while True:\n        pass\n"}),
        "deleted_cell": dict(right, **{"ex-one-hot": None}),
        # Tampering (issue 18, item 6): each gets no points for the exercises it tampers with. Each exercise of
        # a hand-in tampers in its own way, so that three hand-ins cover seven ways (one kernel run each).
        # Monkeypatches the grader; redefines check and grade (with a wrong one_hot) and edits one_hot's
        # tests cell to pass; reserves 3 GB in pad_sequences (and prints the kernel's limit in an added cell).
        # It also plants a package at the course root from its kernel (undone, and the hand-in scores 0).
        "tampers_with_check": dict(right, **{"ex-mutable": right["ex-mutable"] + PATCHES_THE_GRADER + PLANTS_A_MODULE,
                                             "ex-one-hot": WRONG_ONE_HOT + REDEFINES_CHECK, "ex-pad": hog}),
        # also deletes ex-mutable's tests cell, which nbgrader puts back and grades
        "reads_outside": dict(right, **{"ex-one-hot": READS_THE_SOLUTION, "ex-pad": OPENS_A_FILE}),
        "zz_writes_gradebook": dict(right, **{"ex-one-hot": right["ex-one-hot"] + WRITES_THE_GRADEBOOK,
                                              "ex-pad": right["ex-pad"] + LEAVES_A_PROCESS}),
        # Hands in the library's own functions inside wrappers: one_hot through an alias made in a cell the
        # student added, pad_sequences by its name (issue 18, item 2: no solution reachable).
        "wraps_the_library": dict(right, **{"ex-one-hot": WRAPS_ONE_HOT, "ex-pad": WRAPS_PAD}),
        # also tries to write into source/ while graded (not from its kernel): refused, and flagged
        "replays_the_cases": dict(right, **{"ex-one-hot": REPLAYS_ONE_HOT,
                                            "ex-pad": right["ex-pad"] + WRITES_WHEN_GRADED}),
    }
    for student, answers in students.items():
        target = course / "submitted" / student / CHAPTER / f"{CHAPTER}.ipynb"
        target.parent.mkdir(parents=True)
        deleted = ("ex-mutable",) if student == "reads_outside" else ()
        edited = {"ex-one-hot": 'print("all tests passed")\n'} if student == "tampers_with_check" else None
        added = {"all_right": {"ex-pad": HONEST_HELPER_CELL},
                 "tampers_with_check": {"ex-pad": PRINTS_THE_LIMIT},
                 "wraps_the_library": {"ex-one-hot": ALIASES_ONE_HOT}}.get(student)
        nb = _hand_in(release, answers, deleted, edited, added)
        if student == "reads_outside":   # edits two of the chapter's own cells, one with its metadata removed
            chapter = [c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id", "").startswith(
                make_assignments.CHAPTER_CELL)]
            for cell in chapter[:2]:
                cell["source"] = EDITS_A_CHAPTER_CELL
            chapter[1]["metadata"].pop("nbgrader")
        target.write_text(json.dumps(nb, indent=1), encoding="utf-8")
    _run(course, "autograde", CHAPTER, env=env)
    # tampers_with_check's kernel planted rnn_course/ at the course root: undone right after its kernel
    planted_after_grading = sorted(str(p.relative_to(course)) for p in course.glob("rnn_course/**/*"))
    # Plant it again, as if that had failed: nbgrader (whose working directory comes first on sys.path) and the
    # flagged command must run the course library, not this copy.
    for name in ("__init__.py", "exercises/__init__.py", "exercises/flagged.py"):
        (course / "rnn_course" / name).parent.mkdir(parents=True, exist_ok=True)
        (course / "rnn_course" / name).write_text("open('PLANTED_CODE_RAN', 'w').close()\n")
    _run(course, "export", "--to", "grades.csv", env=env)
    with open(course / "grades.csv", newline="") as f:
        scores = {row["student_id"]: (float(row["score"]), float(row["max_score"])) for row in csv.DictReader(f)}
    done = subprocess.run([sys.executable, "-P", "-m", "rnn_course.exercises.flagged"], cwd=course, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    with open(course / "flagged.csv", newline="") as f:
        flagged = list(csv.DictReader(f))
    ran = sorted(str(p.relative_to(course)) for p in course.rglob("PLANTED_CODE_RAN"))
    ran += sorted(str(p.relative_to(course)) for p in course.rglob("LEFT_PROCESS_RAN"))   # ended, or removed
    shutil.rmtree(course / "rnn_course")
    return course, release, rows, scores, flagged, planted_after_grading, ran


def test_release_holds_no_solution(graded):
    course, release, rows, *_ = graded
    _assert_student_copy(release, read_notebook(next(p for p in CHAPTERS if p.stem == CHAPTER)), "release")
    assert not any("BEGIN SOLUTION" in "".join(c["source"]) for c in release["cells"])


@pytest.mark.parametrize("student, lost", [
    ("all_right", ()),
    ("one_wrong", ("ex-one-hot",)),
    ("stubs", ("ex-mutable", "ex-one-hot", "ex-pad")),
    ("loops_forever", ("ex-pad",)),
    ("deleted_cell", ("ex-one-hot",)),
    ("tampers_with_check", ("ex-mutable", "ex-one-hot", "ex-pad")),   # the tests cell is restored; the hog stopped
    # ex-mutable's deleted tests cell is put back (c.OverwriteCells.add_missing_cells), run, and earns its point
    ("reads_outside", ("ex-one-hot", "ex-pad")),
    ("zz_writes_gradebook", ("ex-mutable", "ex-one-hot", "ex-pad")),  # graded last: the others keep their scores
    ("wraps_the_library", ("ex-one-hot", "ex-pad")),
    ("replays_the_cases", ("ex-one-hot",)),   # its grading's write into source/ was refused (and flagged)
])
def test_autograde_and_export_give_each_hand_in_its_score(graded, student, lost):
    _, _, rows, scores, *_ = graded
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


def _autograded(course: Path, student: str) -> dict:
    return json.loads((course / "autograded" / student / CHAPTER / f"{CHAPTER}.ipynb").read_text())


def _tests_cell(nb: dict, label: str) -> dict:
    return next(c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == f"{label}-check")


def _verdict(nb: dict, label: str) -> str:
    return "".join(o.get("evalue", "") for o in _tests_cell(nb, label)["outputs"] if o["output_type"] == "error")


@pytest.mark.parametrize("student, label, words", [
    ("tampers_with_check", "ex-mutable", "`import rnn_course.exercises`"),   # then it sets .grade
    ("tampers_with_check", "ex-one-hot", "wrong places"),   # the wrong one_hot, graded as written
    ("tampers_with_check", "ex-pad", "MemoryError"),
    ("reads_outside", "ex-one-hot", "the attribute `.load`"),   # `import json` is left out, not refused
    ("reads_outside", "ex-pad", "`open`"),
])
def test_a_tampering_hand_in_fooled_its_own_kernel_and_not_the_grade(graded, student, label, words):
    # The note proves that the tampering worked in the student's kernel: that tests cell passed there.
    verdict = _verdict(_autograded(graded[0], student), label)
    assert words in verdict and "In your own notebook this check passed" in verdict, verdict


@pytest.mark.parametrize("label", ["ex-one-hot", "ex-pad"])
def test_a_wrapper_of_the_librarys_function_passed_its_kernel_and_earns_nothing(graded, label):
    verdict = _verdict(_autograded(graded[0], "wraps_the_library"), label)
    assert "called the library's own rnn_course.layers." in verdict, verdict
    # the student's own kernel said Correct; the note on the chapter's cells, which do not matter here, is not given
    assert "In your own notebook this check passed: it compares your answer's results" in verdict, verdict
    assert "without the chapter's cells" not in verdict, verdict


def test_a_table_of_the_public_cases_passed_its_kernel_and_fails_the_cases_drawn_afresh(graded):
    nb = _autograded(graded[0], "replays_the_cases")
    seed = nb["metadata"]["rnn_course"]["grading_seed"]
    assert isinstance(seed, int) and seed > 0, seed
    verdict = _verdict(nb, "ex-one-hot")
    assert f"The failing case was drawn afresh for this grading (seed {seed})" in verdict, verdict
    assert "In your own notebook this check passed: it uses the book's cases only" in verdict, verdict
    # its code tried to write into source/ while graded (not in its kernel): the student's process refused it
    assert not list(graded[0].rglob("WRITTEN_BY_THE_GRADING"))
    # each hand-in gets its own seed
    seeds = {_autograded(graded[0], s)["metadata"]["rnn_course"]["grading_seed"] for s in ("all_right", "one_wrong")}
    assert len(seeds | {seed}) == 3, seeds


def test_the_grading_seed_comes_from_the_environment_when_set(monkeypatch):
    from rnn_course.exercises._isolated import grading_seed

    monkeypatch.setenv("RNN_COURSE_GRADE_SEED", "1234")
    assert grading_seed() == 1234
    for bad in ("0", "-3", "seven"):
        monkeypatch.setenv("RNN_COURSE_GRADE_SEED", bad)
        with pytest.raises(ValueError, match="RNN_COURSE_GRADE_SEED must be a whole number from 1 up"):
            grading_seed()
    monkeypatch.delenv("RNN_COURSE_GRADE_SEED")
    assert len({grading_seed() for _ in range(5)}) == 5 and all(grading_seed() > 0 for _ in range(5))


def test_an_honest_helper_in_an_added_cell_is_graded(graded):
    # The answer uses a helper defined in a cell the student added and a constant built by a call: full
    # marks (test_autograde_and_export_give_each_hand_in_its_score), and the kernel agreed: its display is kept.
    nb = _autograded(graded[0], "all_right")
    outputs = _tests_cell(nb, "ex-pad")["outputs"]
    assert [o["output_type"] for o in outputs] == ["display_data"], outputs
    assert "rnn-check-passed" in "".join(outputs[0]["data"].get("text/html", "")), outputs


# student -> the (exercise, words of the reason) of each of its flags; the others are not flagged
FLAGS = {
    "tampers_with_check": [("ex-mutable", "the screen refused setting the attribute `rnn_course.exercises.grade`"),
                           ("ex-one-hot", "tests cell was edited"),
                           # an added cell's flags are filed under its position
                           ("added cell 1 after answer cell 2", "the screen refused `__import__` at line 1 of added "
                                                                "cell 1 after answer cell 2"),
                           ("all", "its kernel wrote rnn_course/exercises/flagged.py outside its folder"),
                           ("all", "its kernel wrote nbgrader_config.py outside its folder")],
    "reads_outside": [("ex-mutable", "tests cell was deleted"), ("ex-one-hot", "the screen refused the attribute `.load`"),
                      ("ex-pad", "the screen refused `open`"),
                      ("all", "the nbgrader metadata of the chapter's cell")],
    "zz_writes_gradebook": [("all", "wrote to the course's gradebook"), ("all", "its kernel left")],
    "wraps_the_library": [("ex-one-hot", "the answer to one_hot called the library's own rnn_course.layers.one_hot"),
                          ("ex-pad", "the answer to pad_sequences called the library's own "
                                     "rnn_course.layers.pad_sequences")],
    "replays_the_cases": [("ex-one-hot", "the answer to one_hot passed the check's own cases and failed cases "
                                         "drawn afresh (seed "),
                          ("ex-pad", "while graded, its code tried to open '../../../source/WRITTEN_BY_THE_GRADING' "
                                     "to write (refused)")],
}


def test_the_flagged_list_names_the_tampering_hand_ins_and_no_honest_one(graded):
    flagged = graded[4]
    assert {r["student"] for r in flagged} == set(FLAGS), flagged
    assert all(r["assignment"] == CHAPTER for r in flagged)
    for student, expected in FLAGS.items():
        rows = [(r["exercise"], r["reason"]) for r in flagged if r["student"] == student]
        for exercise, words in expected:
            assert any(e == exercise and words in reason for e, reason in rows), (student, exercise, words, rows)
        # every flag is one of the expected exercises' (a cell may have more than one refused statement)
        assert {e for e, _ in rows} == {e for e, _ in expected}, (student, rows)


def test_a_kernel_that_writes_outside_its_folder_is_undone_and_scores_nothing(graded):
    # tampers_with_check's kernel planted rnn_course/ at the course root and appended to nbgrader_config.py
    # (a teacher's try: the planted flagged module ran, and nbgrader fell back to its defaults).
    course, planted_after_grading, ran = graded[0], graded[5], graded[6]
    assert planted_after_grading == []
    assert "# planted" not in (course / "nbgrader_config.py").read_text()
    assert ran == []     # nbgrader export and the flagged command ran with a planted rnn_course/ in their cwd
    verdict = _verdict(_autograded(course, "tampers_with_check"), "ex-mutable")
    assert "kernel wrote" in verdict and "rnn_course/exercises/flagged.py" in verdict, verdict
    # The hand-in graded after it is graded as usual: its own flags only (FLAGS), its own verdict.
    assert "kernel wrote" not in _verdict(_autograded(course, "zz_writes_gradebook"), "ex-mutable")


def test_the_course_config_refuses_a_planted_library(tmp_path):
    # nbgrader puts its cwd (the course directory) first on sys.path: the config drops it before it imports the
    # library (the graded fixture runs nbgrader export with a planted copy there), and ends nbgrader (SystemExit,
    # which traitlets does not swallow) if rnn_course was imported from there anyway.
    make_assignments.build_source(tmp_path, [])
    (tmp_path / "rnn_course" / "exercises").mkdir(parents=True)
    (tmp_path / "rnn_course" / "__init__.py").write_text("PLANTED = True\n")
    (tmp_path / "rnn_course" / "exercises" / "__init__.py").write_text("")
    load = ("from traitlets.config.loader import PyFileConfigLoader\n"
            "c = PyFileConfigLoader('nbgrader_config.py', path='.').load_config()\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", "import sys; sys.path.insert(0, '.'); import rnn_course\n" + load],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "would be imported from inside the course directory" in done.stderr, done.stderr


def test_the_flagged_command_refuses_a_copy_inside_the_course(tmp_path):
    (tmp_path / "autograded").mkdir()
    (tmp_path / "rnn_course").symlink_to(ROOT / "rnn_course")      # as if the library were inside the course
    done = subprocess.run([sys.executable, "-m", "rnn_course.exercises.flagged"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120, env=dict(os.environ, PYTHONPATH=""))
    assert done.returncode == 2 and "is inside" in done.stderr, (done.stdout, done.stderr)


def test_the_chapters_own_cells_are_restored_before_the_notebook_runs(graded):
    # reads_outside edited two chapter cells (one also without its nbgrader metadata): neither ran as edited.
    course, release = graded[0], graded[1]
    nb = _autograded(course, "reads_outside")
    assert "EDITED CHAPTER CELL RAN" not in json.dumps(nb)
    originals = {c["id"]: c["source"] for c in release["cells"]}
    chapter = [c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id", "").startswith(
        make_assignments.CHAPTER_CELL)]
    assert len(chapter) == len([c for c in release["cells"] if c["metadata"].get("nbgrader", {}).get(
        "grade_id", "").startswith(make_assignments.CHAPTER_CELL)]) > 2
    for cell in chapter:
        source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        original = originals[cell["id"]]
        assert source == (original if isinstance(original, str) else "".join(original)), cell["id"]
    # in the student's copy they stay editable (nbgrader's read-only cells, not locked in Lab)
    assert all(c["metadata"].get("editable", True) for c in release["cells"]
               if c["metadata"].get("nbgrader", {}).get("grade_id", "").startswith(make_assignments.CHAPTER_CELL))


def test_an_edited_tests_cell_is_restored_before_it_runs(graded):
    cell = _tests_cell(_autograded(graded[0], "tampers_with_check"), "ex-one-hot")
    source = "".join(cell["source"])
    assert 'grade("one_hot", one_hot)' in source and "all tests passed" not in source


def test_the_memory_limit_stops_a_hog_and_grading_goes_on(graded):
    nb = _autograded(graded[0], "tampers_with_check")
    printed = "".join("".join(o.get("text", "")) for c in nb["cells"] for o in c.get("outputs", []))
    limit = MEMORY_MB << 20
    assert f"RLIMIT_AS ({limit}, {limit})" in printed    # the kernel's own cap, set before any cell ran
    # and the kernel holds no capability, cannot read nbgrader's memory, and imports nothing from its folder
    assert "CapEff 0000000000000000" in printed and "nbgrader's memory: PermissionError" in printed, printed
    assert "safe path True" in printed, printed
    assert "MemoryError" in _verdict(nb, "ex-pad")


def test_a_kernel_that_writes_the_gradebook_is_undone(graded):
    verdict = _verdict(_autograded(graded[0], "zz_writes_gradebook"), "ex-mutable")
    assert "wrote to the course's gradebook" in verdict
    # The other hand-ins' scores (test_autograde_and_export_give_each_hand_in_its_score) are untouched.


def test_feedback_shows_the_verdict_and_none_of_the_graders_lines(graded):
    error = next(o for o in _tests_cell(_autograded(graded[0], "one_wrong"), "ex-one-hot")["outputs"]
                 if o["output_type"] == "error")
    assert error["traceback"] == error["evalue"].splitlines()
    assert "rnn_course" not in "".join(error["traceback"]) and "File " not in "".join(error["traceback"])


def test_the_course_config_loads_and_grades_apart_from_the_kernel(tmp_path, monkeypatch):
    # traitlets skips a config file that raises, silently for nbgrader's purposes: grading would then run
    # without the fresh-process verdict and without the limits.
    from nbgrader.preprocessors import Execute, OverwriteCells
    from traitlets.config.loader import PyFileConfigLoader

    monkeypatch.setenv("RNN_COURSE_MEMORY_LIMIT", "3000")
    make_assignments.build_source(tmp_path, [])
    config = PyFileConfigLoader("nbgrader_config.py", path=str(tmp_path)).load_config()
    from rnn_course.exercises import _isolated
    steps = config.Autograde.autograde_preprocessors
    at = steps.index(Execute)
    # the classes, imported once by the config (after it cleaned sys.path), not names imported later
    assert steps[at - 1:at + 2] == [_isolated.GradebookSnapshot, Execute, _isolated.FreshProcessGrades]
    sanitize = config.Autograde.sanitize_preprocessors    # the tests cells as handed in, before they are restored
    at = sanitize.index(OverwriteCells)
    assert sanitize[at - 1] is _isolated.TestsCellsCheck
    assert config.ClearSolutions.code_stub == {"python": ""}
    assert f"({3000 << 20}, {3000 << 20})" in config.Execute.extra_arguments[0]


# ---------------------------------------------------------------------------
# The screen of the answer cells, and the grading process's integrity check (in-process, fast)

def test_the_screen_runs_every_statement_and_refuses_what_no_exercise_needs():
    from rnn_course.exercises._screen import Refused, _python, screen, screen_cell

    source = _python("import numpy as np\nfrom rnn_course.exercises import check\nZERO = np.zeros(1)\n"
                     "%time n = 2\nprint(n)\nrnn_course.exercises.grade = None\ndef f(x=np.ones(2)):\n"
                     "    return x\n")
    kept, left_out, refused = screen_cell(source, "cell")
    assert "ZERO = np.zeros(1)" in kept and "print(n)" in kept and "def f(x=np.ones(2))" in kept
    assert "grade = None" not in kept and "time" not in kept
    assert kept.splitlines()[6] == "def f(x=np.ones(2)):"     # the student's own line numbers
    assert left_out == ["line 2 of cell (a use of check or hint: the grader runs its own check)",
                        "line 4 of cell (an IPython magic or shell line)"]
    assert [r.reason for r in refused] == ["setting the attribute `rnn_course.exercises.grade` (only `self.` "
                                           "attributes may be set) at line 6 of cell"]
    # A cell headed by %%time runs its own code, on its own lines; another cell magic's cell is left out whole.
    kept, left_out, _ = screen_cell(_python("%%time\nHALF = 0.5\n"), "cell")
    assert kept.splitlines()[1] == "HALF = 0.5" and not left_out
    kept, left_out, _ = screen_cell(_python("%%bash\nls\n"), "cell")
    assert kept == "" and left_out == ["line 1 of cell (an IPython magic or shell line)"]
    for source, words in [("def f(x):\n    return getattr(x, 'shape')\n", "`getattr`"),
                          ("def f(x):\n    return open('/etc/passwd').read()\n", "`open`"),
                          ("def f(x):\n    return x.__class__\n", "`.__class__`"),
                          ("def f(x):\n    np.allclose = f\n", "setting the attribute `np.allclose`"),
                          ("import os\n", "`import os`"),
                          ("from rnn_course.exercises import EXERCISES\n", "EXERCISES"),
                          ("def f(x):\n    return np.lib.stride_tricks.as_strided(x)\n", "`.as_strided`"),
                          ("x = np.load('data.npy')\n", "`.load`"),
                          ("get_ipython().input_transformers_post.clear()\nimport sys\n", "`import sys`")]:
        with pytest.raises(Refused, match=words.replace("(", r"\(").replace(".", r"\.")):
            screen(source, "cell")


@pytest.mark.parametrize("source", [
    "def f(x, input=None, dir=1, type='tanh', object=None):\n    return x if input is None else input\n",
    "def f(x):\n    return 'h = {:.3f}'.format(float(x.sum()))\n",
    "class Cell:\n    def __init__(self, D):\n        super().__init__()\n        self.D = D\n",
    "from numpy.linalg import norm\nfrom math import tanh, exp\nimport numpy.linalg as la\n",
    # standard modules for annotations and helpers (a teacher's try: `from typing import Tuple` cost the exercise)
    "from __future__ import annotations\nfrom typing import Tuple, Optional\nimport functools, itertools\n"
    "from collections import defaultdict\nfrom dataclasses import dataclass\n"
    "def f(x: Tuple[int, int]) -> Optional[int]:\n    return functools.reduce(max, itertools.chain(x))\n",
])
def test_the_screen_lets_ordinary_honest_answers_through(source):
    # Found by a teacher's try: ordinary variable names and calls made whole answers refused.
    from rnn_course.exercises._screen import screen

    kept, left_out = screen(source, "cell")
    assert not left_out and ast.dump(ast.parse(kept)) == ast.dump(ast.parse(source))   # all of it runs


def test_the_screen_leaves_out_other_imports_unflagged_and_refuses_tampering_ones():
    # A teacher's try: `import matplotlib.pyplot as plt` in an added cell was flagged. Left out, named, no flag;
    # a tampering module (the screen's list) is still refused, with its reason for the flags.
    from rnn_course.exercises._screen import screen_cell

    kept, left_out, refused = screen_cell("import matplotlib.pyplot as plt\nfrom scipy import special\n"
                                          "import subprocess\nfrom os import path\nX = 1\n", "added cell 1")
    assert kept.strip() == "X = 1"
    assert [n.split(" (")[0] for n in left_out] == ["line 1 of added cell 1", "line 2 of added cell 1"]
    assert "import matplotlib.pyplot as plt" in left_out[0]
    assert [r.reason for r in refused] == ["`import subprocess` at line 3 of added cell 1",
                                           "`from os import path` at line 4 of added cell 1"]
    assert all(r.where == "added cell 1" for r in refused)


@pytest.mark.parametrize("source", [
    "from numpy.testing._private.utils import os as o\n", "from numpy import load, fromfile\n",
    "import numpy.testing\n", "from numpy.lib import format\n", "from numpy import *\n",
    "from math import _private\n", "from typing import get_type_hints\n",
    "import typing\ndef f(g):\n    return typing.get_type_hints(g)\n",
])
def test_the_screen_refuses_imports_that_reach_what_attributes_may_not(source):
    from rnn_course.exercises._screen import Refused, screen

    with pytest.raises(Refused, match="which the grader does not run"):
        screen(source, "cell")


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_the_books_solutions_pass_the_screen_whole(path):
    # Every exercise's solution runs in the grading process as written: nothing refused, nothing left out.
    # (That they then pass is tests/test_solutions.py's; measured once for all 51 in the grading process.)
    from rnn_course.exercises._screen import chapter_cells, grade_call, program_for

    source, rows = solved_source(path)
    tests = [i for i, c in enumerate(source["cells"]) if c["metadata"].get("nbgrader", {}).get("grade")]
    assert len(tests) == len(rows)
    for index in tests:
        cell = source["cells"][index]
        assert grade_call(cell["source"])[0] == EXERCISES[next(r["name"] for r in rows if f"{r['label']}-check"
                                                                == cell["metadata"]["nbgrader"]["grade_id"])].name
        program = program_for(source["cells"], index, cell["metadata"]["nbgrader"]["grade_id"].removesuffix(
            "-check") + "-answer", chapter_cells(source["metadata"]))
        assert not program.notes and not program.refused and program.own is None, (path.stem, program)
        # make assignments lists every chapter cell: none of them counts as one a student added
        assert not any(where.startswith("added") for where, _ in program.cells), (path.stem, program.cells)


def test_an_answer_that_changes_numpy_while_it_runs_earns_nothing():
    import numpy as np
    from rnn_course.exercises._isolated import grade_program

    allclose = np.allclose
    program = ("import numpy as np\ndef one_hot(ids, V):\n    np.allclose = lambda *a, **k: True\n"
               "    return np.eye(V)[ids]\n")
    passed, text, changed, *_ = grade_program("one_hot", program, "one_hot", {})
    assert not passed and "changed the library's or numpy's code" in text and changed == "numpy.allclose"
    assert np.allclose is allclose   # the student's code ran in a process of its own, not in the grader's


# A stacked_rnn_forward on the library's RNN module: one module of L layers (the answer itself), or one
# one-layer module per layer (as rnn_forward per layer, which chapter 6 allows).
STACKED_BY_ONE_MODULE = '''import numpy as np
import rnn_course
def stacked_rnn_forward(x, Wxs, Whs, bs):
    L, D = len(Wxs), np.shape(Wxs[0])[0]
    rnn = rnn_course.RNN(np.shape(x)[-1], D, num_layers=L, dtype=np.result_type(x, *Wxs))
    state = {}
    for k in range(L):
        state.update({f"weight_ih_l{k}": Wxs[k], f"weight_hh_l{k}": Whs[k], f"bias_ih_l{k}": bs[k],
                      f"bias_hh_l{k}": np.zeros_like(bs[k])})
    rnn.load_state_dict(state)
    return rnn.forward(x)
'''
STACKED_BY_LAYER_MODULES = '''import numpy as np
import rnn_course
def stacked_rnn_forward(x, Wxs, Whs, bs):
    h, finals = x, []
    for Wx, Wh, b in zip(Wxs, Whs, bs):
        rnn = rnn_course.RNN(np.shape(h)[-1], np.shape(Wh)[0], dtype=np.result_type(x, *Wxs))
        rnn.load_state_dict({"weight_ih_l0": Wx, "weight_hh_l0": Wh, "bias_ih_l0": b, "bias_hh_l0": np.zeros_like(b)})
        h, h_n = rnn.forward(h)
        finals.append(h_n)
    return h, np.concatenate(finals)
'''


@pytest.mark.parametrize("name, program", [
    # a wrapper of the reference, by the library's top-level name
    ("rnn_forward", "import rnn_course\ndef rnn_forward(x, h0, Wx, Wh, b, nonlinearity='tanh'):\n"
                    "    return rnn_course.rnn_forward(x, h0, Wx, Wh, b, nonlinearity)\n"),
    # the reference reached through an alias made at the top of a cell
    ("rnn_step_forward", "from rnn_course import rnn as R\nf = R.rnn_step_forward\n"
                         "def rnn_step_forward(*args, **kwargs):\n    return f(*args, **kwargs)\n"),
    # the sequence-level function run for one step
    ("rnn_step_forward", "import rnn_course\ndef rnn_step_forward(x_t, h_prev, Wx, Wh, b, nonlinearity='tanh'):\n"
                         "    h, _ = rnn_course.rnn_forward(x_t[:, None], h_prev, Wx, Wh, b, nonlinearity)\n"
                         "    return h[:, 0], None\n"),
    # a layer module whose forward calls the reference
    ("embedding_forward", "import rnn_course\ndef embedding_forward(ids, W):\n"
                          "    layer = rnn_course.Embedding(*W.shape)\n    layer.params['weight'][...] = W\n"
                          "    return layer.forward(ids), (ids, W.shape)\n"),
    # no Python function of the student's on the stack: the checker calls the library's through a partial
    ("rnn_step_forward", "import functools\nimport rnn_course\n"
                         "rnn_step_forward = functools.partial(rnn_course.rnn_step_forward)\n"),
    # a composition that is the answer: one-hot rows are rows of an identity matrix
    ("one_hot", "import numpy as np\nfrom rnn_course.layers import embedding_forward\n"
                "def one_hot(ids, V):\n    return embedding_forward(np.asarray(ids), np.eye(V))[0]\n"),
    # the library's stacked RNN module, which is the answer (one layer per module is allowed, below)
    ("stacked_rnn_forward", STACKED_BY_ONE_MODULE),
])
def test_an_answer_that_calls_the_librarys_own_work_earns_nothing(name, program):
    from rnn_course.exercises._isolated import grade_program

    verdict = grade_program(name, program, name, {})
    assert not verdict.passed and "called the library's own" in verdict.text, verdict
    assert verdict.library.startswith("rnn_course."), verdict


def test_a_check_run_in_the_students_cells_cannot_record_answers_to_replay():
    # A third teacher's try: a top-level check() with a spy recorded the library's outputs for the checker's
    # seeded inputs, and the answer replayed them while graded. The grader runs no check of the student's.
    from rnn_course.exercises._isolated import grade_program
    from rnn_course.exercises._screen import Refused, screen

    program = ("import rnn_course\nfrom rnn_course.exercises import check\ntable = {}\n"
               "def spy(x_t, *args, **kwargs):\n    out = rnn_course.rnn_step_forward(x_t, *args, **kwargs)\n"
               "    table[x_t.tobytes()] = out\n    return out\n"
               "check('rnn_step_forward', spy)\n"
               "def rnn_step_forward(x_t, *args, **kwargs):\n    return table[x_t.tobytes()]\n")
    kept, left_out = screen(program, "added cell 1")
    assert "check" not in kept and len(left_out) == 2 and all("check or hint" in n for n in left_out), left_out
    verdict = grade_program("rnn_step_forward", kept, "rnn_step_forward", {})
    assert not verdict.passed and "KeyError" in verdict.text, verdict   # nothing was recorded
    with pytest.raises(Refused, match="import rnn_course.exercises"):   # the registry, with its references
        screen("import rnn_course.exercises as ex\n", "answer cell 1")


def test_a_subclass_of_a_library_module_counts_as_the_library_module():
    # A subclass could report one layer to the watch and run two: any module class of the student's counts.
    from rnn_course.exercises._isolated import grade_program

    program = STACKED_BY_LAYER_MODULES.replace("import rnn_course\n", "import rnn_course\n\n"
                                               "class Mine(rnn_course.RNN):\n    pass\n").replace(
        "rnn_course.RNN(np.shape(h)", "Mine(np.shape(h)")
    assert "Mine(np.shape(h)" in program
    verdict = grade_program("stacked_rnn_forward", program, "stacked_rnn_forward", {})
    assert not verdict.passed and "RecurrentModule.forward" in verdict.library, verdict


def test_one_layer_modules_are_no_stacked_rnn():
    # Chapter 6 lets a stacked forward call rnn_forward per layer; a one-layer RNN module per layer is the same.
    from rnn_course.exercises._isolated import grade_program

    verdict = grade_program("stacked_rnn_forward", STACKED_BY_LAYER_MODULES, "stacked_rnn_forward", {})
    assert verdict.passed and verdict.library == "", verdict


def test_calling_the_library_to_compare_at_the_top_of_a_cell_is_no_hand_in():
    # Only calls made while the checker runs the answer count: a cell that compares with the library is fine,
    # and so is an answer that calls the library's other functions (here rnn_forward calls its step).
    from rnn_course.exercises._isolated import grade_program

    program = ("import numpy as np\nimport rnn_course\n"
               "def rnn_forward(x, h0, Wx, Wh, b, nonlinearity='tanh'):\n"
               "    h = np.zeros((x.shape[0], Wh.shape[0]), dtype=x.dtype) if h0 is None else h0\n"
               "    states, caches = [], []\n"
               "    for t in range(x.shape[1]):\n"
               "        h, cache = rnn_course.rnn_step_forward(x[:, t], h, Wx, Wh, b, nonlinearity)\n"
               "        states.append(h)\n        caches.append(cache)\n"
               "    return np.stack(states, axis=1), caches\n"
               "x, W, U, b = np.ones((2, 3, 4)), np.ones((5, 4)), np.eye(5), np.zeros(5)\n"
               "print(np.allclose(rnn_forward(x, None, W, U, b)[0], rnn_course.rnn_forward(x, None, W, U, b)[0]))\n")
    verdict = grade_program("rnn_forward", program, "rnn_forward", {})
    assert verdict.passed and verdict.library == "", verdict


def test_an_answer_may_use_the_chapters_data_and_cannot_change_what_the_check_reads():
    # A 4th teacher's try: chapter 4's own cell imports the worked example as `ex`; an answer that computed
    # h_t from it got a NameError in the grader (0 points). The grader now keeps that import of the chapter's
    # cell; the check reads its own copy, so an answer that rewrites `ex` in place gains nothing.
    from rnn_course.exercises._isolated import grade_program
    from rnn_course.exercises._screen import Refused, program_for, screen
    from rnn_course.exercises.concepts import WORKED_EXAMPLE

    chapter = _cell("import numpy as np\nfrom rnn_course.exercises.concepts import WORKED_EXAMPLE as ex\n", "ch1")
    honest = _cell("h_t_by_hand = np.tanh(ex['Wx'] @ ex['x_t'][0] + ex['Wh'] @ ex['h_prev'][0] + ex['bh'])\n",
                   "a1", solution=True, grade_id="ex-worked-answer")
    tests = _cell("grade('worked_example', h_t_by_hand)", "t1", grade=True, grade_id="ex-worked-check")
    program = program_for([chapter, honest, tests], 2, "ex-worked-answer", {"ch1"})
    imports = dict(program.cells)["the chapter's imports"]
    assert "from rnn_course.exercises.concepts import WORKED_EXAMPLE as ex" in imports.splitlines(), program
    assert program.own is None and not program.refused, program
    assert grade_program("worked_example", program.cells, "h_t_by_hand", {}).passed
    # zero every array in place, then hand in tanh(0) = 0: right for the changed arrays, wrong for the example
    cheat = _cell("for key in ex:\n    ex[key][...] = 0\nh_t_by_hand = np.zeros(4)\n", "a1", solution=True,
                  grade_id="ex-worked-answer")
    program = program_for([chapter, cheat, tests], 2, "ex-worked-answer", {"ch1"})
    kept = {key: value.copy() for key, value in WORKED_EXAMPLE.items()}
    try:   # in this process the cheat zeroes the chapter's own arrays: put them back after
        verdict = grade_program("worked_example", program.cells, "h_t_by_hand", {})
    finally:
        for key, value in kept.items():
            WORKED_EXAMPLE[key][...] = value
    assert not verdict.passed and "is off" in verdict.text, verdict
    # the student's own cells may not import the checkers' module
    with pytest.raises(Refused):
        screen("from rnn_course.exercises.concepts import WORKED_EXAMPLE\n", "answer cell 1")


def solved_source(path):
    """The instructor's source version of a chapter with each answer cell holding the book's solution, and its
    rows (make_assignments.instructor_notebook): a hand-in with every answer right."""
    source, rows = make_assignments.instructor_notebook(read_notebook(path))
    solutions = {f"{r['label']}-answer": r["solution_code"] for r in rows}
    for cell in source["cells"]:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if grade_id in solutions:
            cell["source"] = solutions[grade_id]
    return source, rows


def _cell(source, id, **nbgrader):
    return {"cell_type": "code", "id": id, "source": source, "metadata": {"nbgrader": nbgrader} if nbgrader else {}}


def test_the_grader_runs_the_answer_and_added_cells_in_order_and_not_the_chapters_own(monkeypatch):
    # In-process: the program of one exercise, and its grade, for cells as a student's notebook has them.
    from rnn_course.exercises import _run
    from rnn_course.exercises._isolated import grade_program
    from rnn_course.exercises._screen import program_for

    monkeypatch.setattr(_run, "TIME_LIMIT", 0.5)   # for the endless loop at the top of a cell

    cells = [_cell("import numpy as np\nfrom rnn_course import plots\nimport math\nslow = train_for_minutes()\n",
                   "ch1"),
             _cell("HALF = math.sqrt(0.25)\ndef helper(ids, V):\n    return np.eye(V)[ids] * HALF\n"
                   "print(helper([0], 2))\nimport os\n", "new1"),
             _cell("def one_hot(ids, V):\n    return 2 * helper(ids, V)\n", "a1", solution=True,
                   grade_id="ex-one-hot-answer"),
             _cell("grade('one_hot', one_hot)", "t1", grade=True, grade_id="ex-one-hot-check"),
             _cell("while True:\n    pass\nslow = 'never reached'\n", "new2"),
             # an unrelated failing cell (the import is left out, unflagged): not in pad_sequences' feedback
             _cell("import matplotlib.pyplot as plt\nplt.plot([1])\n", "new3"),
             _cell("from typing import Tuple\ndef pad_sequences(sequences, pad_value=0) -> Tuple[int, int]:\n"
                   "    return slow\n", "a2", solution=True, grade_id="ex-pad-answer"),
             _cell("grade('pad_sequences', pad_sequences)", "t2", grade=True, grade_id="ex-pad-check")]
    program = program_for(cells, 3, "ex-one-hot-answer", {"ch1"})
    assert [where for where, _ in program.cells] == ["the grader's own first line", "the chapter's imports",
                                                     "added cell 1 before answer cell 1", "answer cell 1"]
    assert "import math" in program.cells[1][1] and "plots" not in program.cells[1][1]   # only what is used
    assert [r.reason for r in program.refused] == ["`import os` at line 5 of added cell 1 before answer cell 1"]
    assert grade_program("one_hot", program.cells, "one_hot", {}).passed
    # The next exercise: the endless top-level loop is stopped and grading goes on; `slow`, the chapter's, is
    # not defined in the grader, and the feedback says why.
    program = program_for(cells, 7, "ex-pad-answer", {"ch1"})
    assert "added cell 1 after answer cell 1" in [where for where, _ in program.cells]
    assert [r.reason for r in program.refused] == ["`import os` at line 5 of added cell 1 before answer cell 1"]
    assert program.own is None   # `from typing import Tuple` runs
    passed, text, *_ = grade_program("pad_sequences", program.cells, "pad_sequences", {})
    assert not passed and "ran past" in text and "added cell 1 after answer cell 1" in text, text
    assert "`slow`" in text or "'slow'" in text, text
    # the failing plot cell defines nothing the answer uses: its NameError is not in this feedback; its import
    # is named among the lines the grader did not run
    assert "added cell 2" not in text.split("Not run by the grader")[0] and "'plt'" not in text, text
    assert any("import matplotlib.pyplot as plt" in n and "added cell 2 after answer cell 1" in n
               for n in program.notes), program.notes
    # Without the list of the chapter's cells (an old release), no cell counts as added: answer cells only.
    assert [w for w, _ in program_for(cells, 3, "ex-one-hot-answer", None).cells][-1] == "answer cell 1"
    assert not any(w.startswith("added") for w, _ in program_for(cells, 3, "ex-one-hot-answer", None).cells)
    # The own answer cell refused: the exercise's Refused, with its reason for the flags.
    cells[2] = _cell("import os\ndef one_hot(ids, V):\n    return np.eye(V)[ids]\n", "a1", solution=True,
                     grade_id="ex-one-hot-answer")
    own = program_for(cells, 3, "ex-one-hot-answer", {"ch1"}).own
    assert own is not None and own.reason == "`import os` at line 1 of answer cell 1"


def test_the_flagged_list_reads_the_autograded_notebooks(tmp_path, capsys):
    from rnn_course.exercises import flagged

    (tmp_path / "source" / "a1").mkdir(parents=True)
    (tmp_path / "source" / "a1" / "a1.ipynb").write_text("{}")
    for student, meta in [("ann", {"rnn_course": {"flags": [{"exercise": "ex-1", "reason": "r1"}]}}),
                          ("bob", {"rnn_course": {"flags": []}}), ("cy", {})]:
        (tmp_path / "autograded" / student / "a1").mkdir(parents=True)
        (tmp_path / "autograded" / student / "a1" / "a1.ipynb").write_text(json.dumps({"metadata": meta}))
    (tmp_path / "autograded" / "bob" / "a1" / "planted.ipynb").write_text(
        json.dumps({"metadata": {"rnn_course": {"flags": [{"exercise": "x", "reason": "planted"}]}}}))
    flagged.main(["--course", str(tmp_path)])
    with open(tmp_path / "flagged.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows == [{"student": "ann", "assignment": "a1", "exercise": "ex-1", "reason": "r1"}]
    out = capsys.readouterr().out
    assert "1 flags on 1 hand-ins" in out and "cy" in out and "planted" not in out


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


def test_the_readme_points_table_matches_the_assignments():
    # The instructor's table of points is typed in the README: it must say what make assignments gives.
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = {m.group(1): int(m.group(2)) for m in re.finditer(r"^\| `(\d\d\w*)` \| .* \| (\d+) \|$", readme, re.M)}
    points = {p.stem: sum(r["points"] for r in make_assignments.instructor_notebook(read_notebook(p))[1])
              for p in CHAPTERS}
    assert table == points, "README's points table differs from make assignments: update the README"
    total = re.search(r"the course (\d+):", readme)
    assert total and int(total.group(1)) == sum(points.values()), "README's course total is out of date"


# ---------------------------------------------------------------------------
# scripts/autograde_isolated.sh: grading in namespaces of its own (the README's set-up without Docker)

# From the kernel (cwd autograded/probe/01_sequences/), tries the host's loopback, writes outside its folders
# and leaves a process running (which would write to db/ later). {port}, {targets}, {late} and {marker} are
# filled in by the test.
PROBES_THE_MACHINE = '''
import os, socket, subprocess
# root in its user namespace: tries to make the mounts writable again, and to uncover the other submissions
for command in ("mount -o remount,bind,rw {course}", "mount -o remount,bind,rw /", "umount -l {course}/submitted",
                "unshare --user --map-root-user --mount sh -c 'umount -l {course}/submitted; ls {course}/submitted'"):
    subprocess.run(["sh", "-c", command], capture_output=True)
print("submissions seen:", sorted(os.listdir("{course}/submitted")))
# a user namespace of its own, where it would be root and could mount a tmpfs as large as the machine's memory
done = subprocess.run(["unshare", "-Urm", "sh", "-c", "mount -t tmpfs -o size=1m none /tmp && echo mounted"],
                      capture_output=True, text=True)
print("tmpfs of its own:", done.stdout.strip() or "refused")
try:
    socket.create_connection(("127.0.0.1", {port}), timeout=3).close()
    print("network: reached the host")
except OSError as exc:
    print("network: refused", type(exc).__name__)
for target in {targets!r}:
    try:
        with open(target, "a") as f:
            f.write("probe")
        print("wrote", target)
    except OSError as exc:
        print("refused", target, type(exc).__name__)
with open("{shm}", "w") as f:   # a private /dev/shm: written there, and gone with the grading
    f.write("probe")
subprocess.Popen(["sh", "-c", "sleep 600; echo late > {late}  # {marker}"], start_new_session=True)
'''


def _namespaces_work() -> bool:
    try:
        done = subprocess.run(["unshare", "--user", "--map-root-user", "--net", "--mount", "--pid", "--fork",
                               "--mount-proc", "--kill-child", "true"], capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def _running(marker: str) -> list[str]:
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if marker in text:
            found.append(text)
    return found


def test_the_isolated_autograde_script_keeps_a_hand_in_to_its_own_folders(graded):
    # One hand-in, all right, whose added cell probes the machine (its imports are refused in grading, not
    # its answers): it is graded in full, and reaches nothing outside its own folders (the README's list).
    import socket

    if not _namespaces_work():
        pytest.skip("unshare with user, network, mount and process namespaces is not allowed on this machine")
    built = graded[0]
    # Not under /tmp, which the script hides: a course beside the book's build, as `make assignments` makes it.
    course = ROOT / "_build" / f"isolation-test-{os.getpid()}"
    shutil.rmtree(course, ignore_errors=True)
    outside = [ROOT / f".isolation-probe-{os.getpid()}", Path.home() / f".isolation-probe-{os.getpid()}"]
    marker = f"isolation-late-{os.getpid()}"
    listener = socket.socket()
    try:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        shutil.copytree(built / "source", course / "source")
        shutil.copy(built / "nbgrader_config.py", course)
        (course / "db").mkdir()
        shutil.copy(built / "gradebook.db", course / "db" / "gradebook.db")
        (course / "gradebook.db").symlink_to("db/gradebook.db")
        own = course / "autograded" / "probe" / CHAPTER
        targets = [str(p) for p in outside] + [str(course / "nbgrader_config.py"), str(own / "own.txt")]
        shm = Path("/dev/shm") / f"isolation-probe-{os.getpid()}"
        probe = PROBES_THE_MACHINE.format(port=listener.getsockname()[1], targets=targets,
                                          late=course / "db" / "late.txt", marker=marker, course=course, shm=shm)
        release = json.loads((built / "release" / CHAPTER / f"{CHAPTER}.ipynb").read_text(encoding="utf-8"))
        rows = make_assignments.instructor_notebook(read_notebook(next(p for p in CHAPTERS if p.stem == CHAPTER)))[1]
        other = course / "submitted" / "other" / CHAPTER / f"{CHAPTER}.ipynb"   # another student's, not graded here
        other.parent.mkdir(parents=True)
        other.write_text(json.dumps(release), encoding="utf-8")
        target = course / "submitted" / "probe" / CHAPTER / f"{CHAPTER}.ipynb"
        target.parent.mkdir(parents=True)
        target.write_text(json.dumps(_hand_in(release, {r["label"]: r["solution_code"] for r in rows},
                                              added={"ex-one-hot": probe})), encoding="utf-8")
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
                   RNN_COURSE_MEMORY_LIMIT=str(MEMORY_MB), NBGRADER=str(Path(sys.executable).parent / "nbgrader"))
        done = subprocess.run(["sh", str(ROOT / "scripts" / "autograde_isolated.sh"), CHAPTER, "probe"], cwd=course,
                              env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0 and "exited with" not in done.stdout, done.stdout[-3000:] + done.stderr[-3000:]
        assert "stays writable" not in done.stderr, done.stderr[-3000:]
        assert not _running(marker), "a process the kernel left running outlived its grading"
        nb = json.loads((own / f"{CHAPTER}.ipynb").read_text(encoding="utf-8"))
        printed = "".join("".join(o.get("text", "")) for c in nb["cells"] if c.get("id") == "added-ex-one-hot"
                          for o in c["outputs"])
        assert "network: refused" in printed and "submissions seen: ['probe']" in printed, printed
        assert "tmpfs of its own: refused" in printed, printed   # no user namespace of its own (5th try)
        assert other.is_file()
        for path in outside + [course / "nbgrader_config.py"]:
            assert f"refused {path} OSError" in printed, printed
        assert f"wrote {own / 'own.txt'}" in printed, printed
        assert not any(p.exists() for p in outside) and "probe" not in (course / "nbgrader_config.py").read_text()
        assert not any(o["output_type"] == "error" for c in nb["cells"] for o in c.get("outputs", [])
                       if c["metadata"].get("nbgrader", {}).get("grade")), "the hand-in lost points"
        assert not (course / "db" / "late.txt").exists()
        assert not shm.exists(), "the kernel's file in /dev/shm is on the machine's /dev/shm"
    finally:
        listener.close()
        shutil.rmtree(course, ignore_errors=True)
        for path in outside:
            path.unlink(missing_ok=True)
        for text in _running(marker):   # should the namespaces have failed to end it
            subprocess.run(["pkill", "-f", marker], check=False)
