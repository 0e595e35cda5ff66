"""The instructor edition: the chapters' exercises as autograded nbgrader assignments (issue 18).

    python scripts/make_assignments.py [--course DIR] [--chapters STEM ...] [--no-release]

builds an nbgrader course directory (default ``_build/course/``):

- ``nbgrader_config.py``: the course id, the gradebook (``gradebook.db`` in the
  course directory) and the grading limits;
- ``source/<stem>/<stem>.ipynb``: one assignment per chapter with exercises,
  the chapter with its outputs cleared and nbgrader's cell metadata:

  - each exercise's learner cell is an nbgrader *solution* cell: the book's stub,
    kept verbatim, then the book's solution between ``### BEGIN SOLUTION`` and
    ``### END SOLUTION``. The solution redefines the stub's names, so the
    instructor's version runs Correct, and nbgrader, whose code stub is set to
    nothing, cuts the region: the student's cell is the book's stub (plus the
    empty line that nbgrader leaves where the region was);
  - each check cell is a locked, autograded *tests* cell worth POINTS[kind]:
    ``grade("name", answer)``, the learner's ``check`` that raises
    AssertionError unless Correct (nbgrader scores a tests cell by whether it
    raises). It imports ``grade`` itself, so a learner's cell that deletes or
    shadows ``check`` cannot change a verdict, and nbgrader restores a locked
    cell's source from the gradebook before it grades;
  - the book's solution cells (the ``{solution}`` dropdown, and a gated
    solution's cells from ``{solution-start}`` to ``{solution-end}``) are removed;
  - the notebook's metadata lists the ids of the chapter's own code cells
    (``rnn_course.chapter_cells``): the grader runs the answer cells and the
    cells a student adds, and of the chapter's own cells only their imports;
- ``source/<stem>/checkpoints/``: the files the chapter loads beside itself (the
  stored results of chapters 7 to 9's slow trainings). nbgrader copies every file
  of ``source/<stem>/`` into the release and, before it grades, into each
  student's ``autograded/`` folder; without them those chapters stop with
  FileNotFoundError halfway;
- ``release/<stem>/<stem>.ipynb``: the student copies, made by
  ``nbgrader generate_assignment`` (skipped with --no-release).

The exercises are found by scripts/exercise_cells.py (``find_exercises``), the
same parser that tests/test_solutions.py uses.
"""

from __future__ import annotations

import argparse
import ast
import copy
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from exercise_cells import find_exercises, read_notebook  # noqa: E402
from rnn_course.exercises._isolated import CHAPTER_CELL, GRADE_TIMEOUT, MEMORY_LIMIT_MB  # noqa: E402

#: Points per exercise, by the registry's kind: writing a function is worth more than a concept question.
POINTS = {"implementation": 2, "concept": 1}
COURSE_ID = "rnn-course"
#: Seconds a single cell may run during autograding before nbgrader interrupts the kernel and the cell
#: counts as failed. The slowest chapter cell takes about 40 s on a laptop; a learner's function is stopped
#: far sooner, after rnn_course.exercises' own TIME_LIMIT (10 s) per call.
CELL_TIMEOUT = 300

CONFIG = '''\
# nbgrader configuration of the course directory, written by scripts/make_assignments.py.
# See the README's "Instructor edition" section.
c = get_config()  # noqa: F821

# First of all: nothing of this directory may be imported as code. nbgrader puts its working directory (this
# one) first on sys.path, and a student's kernel, which runs as the grading user, can write files here (they
# are undone after it, see GradebookSnapshot below): a planted rnn_course/ here must never be what is imported.
import os as _os  # noqa: E402
import sys as _sys  # noqa: E402

_course = _os.path.realpath(_os.path.dirname(_os.path.abspath(__file__)))  # noqa: F821


def _inside(path):
    path = _os.path.realpath(path or ".")
    return path == _course or path.startswith(_course + _os.sep)


_sys.path[:] = [p for p in _sys.path if p not in ("", ".") and not _inside(p)]
_planted = [getattr(module, "__file__", None) or m for m, module in list(_sys.modules.items())
            if m.split(".")[0] == "rnn_course"
            and _inside(getattr(module, "__file__", None) or _course)]
# Failures end nbgrader with a SystemExit, not an exception: traitlets logs an exception raised in a config file
# and nbgrader goes on with its defaults (no fresh-process grades, no limits, no flags) and exits with 0.
if not _planted:
    try:
        import rnn_course.exercises._isolated as _isolated  # noqa: E402
    except ImportError as _error:
        _sys.stderr.write(f"nbgrader_config.py: the course library rnn_course cannot be imported ({{_error}}); "
                          f"run nbgrader in the course's environment, with the library installed or on "
                          f"PYTHONPATH (never from this directory).\\n")
        raise SystemExit(1)
    _planted = [_isolated.__file__] if _inside(_isolated.__file__) else []
if _planted:
    _sys.stderr.write(f"nbgrader_config.py: rnn_course would be imported from inside the course directory "
                      f"{{_course}} ({{_planted[0]}}). Remove that copy (a student's kernel may have planted it) "
                      f"and run nbgrader again.\\n")
    raise SystemExit(1)
import rnn_course.exercises._isolated as _isolated  # noqa: E402

_isolated.COURSE_ROOT = _course  # the tree that GradebookSnapshot records around each kernel
if "autograde" in _sys.argv[1:2]:  # `nbgrader autograde`: inherit what a kernel leaves running, to end it,
    _isolated.become_subreaper()   # and keep the processes of this user (a student's) out of this one's memory
    _isolated.undumpable()
    # The kernels start in the student's folder: with safe paths, neither Python nor IPython puts that folder
    # on sys.path, so a module handed in beside the notebook (json.py, resource.py) is never imported.
    import os as _os
    _os.environ["PYTHONSAFEPATH"] = "1"

c.CourseDirectory.course_id = {course_id!r}
# The gradebook is nbgrader's default, gradebook.db in this directory (run nbgrader from here).
# The student copy keeps the book's stub verbatim: nothing replaces a solution region.
c.ClearSolutions.code_stub = {{"python": ""}}
# The chapter's own code cells are read-only cells that autograde restores before the notebook runs; in the
# student's copy they stay editable, so that a student can try things in them (the grade never depends on it).
c.LockCells.lock_readonly_cells = False
# A cell may run {timeout} s before nbgrader interrupts it and the cell scores 0; a learner's function
# is stopped sooner by the checker's own time limit (RNN_COURSE_TIME_LIMIT, default 10 s per call).
c.Execute.timeout = {timeout}
c.Execute.interrupt_on_timeout = True
# A student who deletes a tests cell gets it back, run and scored like the others; without this nbgrader
# leaves that exercise without a score and the whole submission waiting for a manual grade.
c.OverwriteCells.add_missing_cells = True

# The grade comes from a process that the student's notebook cannot reach (rnn_course/exercises/_isolated.py):
# right after nbgrader runs the notebook, each tests cell's exercise is graded again in a fresh process, from
# the screened answer cells, which run in a process of their own that the grading process calls across a pipe
# (rnn_course/exercises/_remote.py), and that verdict is what SaveAutoGrades scores; a notebook whose kernel wrote to
# the gradebook has it restored and scores 0. Each of those processes, and each
# student's kernel, may use RNN_COURSE_MEMORY_LIMIT MB of address space (default {memory}); an exercise's
# grading stops after RNN_COURSE_GRADE_TIMEOUT s (default {grade_timeout:g}). Set them in the environment
# that runs `nbgrader autograde`.
from nbgrader.converters import Autograde as _Autograde  # noqa: E402
from nbgrader.preprocessors import Execute as _Execute  # noqa: E402
from nbgrader.preprocessors import OverwriteCells as _OverwriteCells  # noqa: E402

# The classes themselves, not their names: nothing is imported by name later, from whatever sys.path is then.
_steps = list(_Autograde.class_traits()["autograde_preprocessors"].default())
_at = _steps.index(_Execute)
_steps[_at:_at + 1] = [_isolated.GradebookSnapshot, _Execute, _isolated.FreshProcessGrades]
c.Autograde.autograde_preprocessors = _steps
# Before nbgrader restores the tests cells from the gradebook, note which ones the hand-in edited or deleted:
# FreshProcessGrades flags them. `python -m rnn_course.exercises.flagged` lists the flagged hand-ins.
_sanitize = list(_Autograde.class_traits()["sanitize_preprocessors"].default())
_at = _sanitize.index(_OverwriteCells)
_sanitize[_at:_at] = [_isolated.TestsCellsCheck]
c.Autograde.sanitize_preprocessors = _sanitize
c.Execute.extra_arguments = _isolated.kernel_arguments()

# On JupyterHub, the exchange directory that release_assignment and collect share (it must exist, and every
# student must be able to write to it, e.g. on a shared volume; nbgrader 0.9's default is
# /usr/local/share/nbgrader/exchange), and the course id above, set the same in the students' config:
# c.Exchange.root = "/srv/nbgrader/exchange"
'''


def chapters(root: Path = ROOT) -> list[Path]:
    """The chapter notebooks that hold an ``{exercise}``, in the book's order (their stems are numbered)."""
    return sorted((p for p in (root / "book").glob("*/*.ipynb") if "{exercise}" in p.read_text(encoding="utf-8")),
                  key=lambda p: p.stem)


def _kind(name: str) -> str:
    from rnn_course.exercises import EXERCISES
    return EXERCISES[name].kind


def _meta(**fields) -> dict:
    return {"nbgrader": {"schema_version": 3, **fields}}


def _grade_call(source: str, name: str) -> str:
    """The check cell's source with its ``check(...)`` call turned into ``grade(...)`` and grade imported.

    When the call is the cell's last statement, its result is shown with ``display(...)`` rather than
    returned: nbgrader reads a tests cell's returned value (its execute_result) as a partial-credit score,
    warns that a CheckResult "cannot be converted to a float" and says future releases may count that as
    an error. Shown with display, the learner still sees the verdict, and nbgrader grades by raising only.

    The call sits in ``try``/``except AssertionError`` that raises the verdict again from the cell's own line:
    the traceback a learner sees when validating is that one line and the verdict, not grade's own frames
    (IPython shows the frame that raised even when it sets ``__tracebackhide__``).
    """
    tree = ast.parse(source)
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
             and n.func.id == "check" and n.args and isinstance(n.args[0], ast.Constant)
             and n.args[0].value == name]
    if len(calls) != 1:
        raise ValueError(f"the check cell of {name!r} must call check({name!r}, ...) once:\n{source}")
    call, func = calls[0], calls[0].func
    last = tree.body[-1] if tree.body else None
    shown = (isinstance(last, ast.Expr) and last.value is call and call.lineno == call.end_lineno)
    lines = source.splitlines(keepends=True)
    line = lines[func.lineno - 1]
    if shown:
        end = call.end_col_offset
        line = line[:end] + ")" + line[end:]
    line = line[:func.col_offset] + "grade" + line[func.end_col_offset:]
    if shown:
        line = line[:func.col_offset] + "display(" + line[func.col_offset:]
    lines[func.lineno - 1] = line
    header = "from rnn_course.exercises import grade\n"
    if shown:
        header = "from IPython.display import display\n" + header
    body = "".join("    " + l if l.strip() else l for l in lines).rstrip("\n") + "\n"
    return (header + "try:\n" + body + "except AssertionError as not_yet:\n"
            "    raise AssertionError(str(not_yet)) from None  # the verdict alone, without the grader's lines\n")


def instructor_notebook(nb: dict) -> tuple[dict, list[dict]]:
    """The nbgrader source version of a chapter (from read_notebook), and one row per exercise.

    Rows: {"label", "name", "kind", "points", "stub", "solution_code"}.
    """
    nb = copy.deepcopy(nb)
    exercises = find_exercises(nb)
    rows, drop = [], set()
    for ex in exercises:
        cells = nb["cells"]
        kind = _kind(ex.name)
        points = POINTS[kind]
        stub = cells[ex.stub]["source"]
        learner = cells[ex.stub]
        learner["source"] = (stub.rstrip("\n") + "\n### BEGIN SOLUTION\n" + ex.solution_code.rstrip("\n")
                             + "\n### END SOLUTION")
        learner["metadata"].update(_meta(grade=False, solution=True, locked=False, task=False,
                                         grade_id=f"{ex.label}-answer"))
        tests = cells[ex.check]
        tests["source"] = _grade_call(tests["source"], ex.name)
        tests["metadata"].update(_meta(grade=True, solution=False, locked=True, task=False, points=points,
                                       grade_id=f"{ex.label}-check"))
        drop.update(range(ex.solution, ex.solution_end + 1))
        rows.append({"label": ex.label, "name": ex.name, "kind": kind, "points": points, "stub": stub,
                     "solution_code": ex.solution_code})
    nb["cells"] = [c for i, c in enumerate(nb["cells"]) if i not in drop]
    # The chapter's own code cells, by id: the grader runs the answer cells and the cells a student adds, not
    # these (rnn_course/exercises/_screen.py), which can train models for seconds. Each is an nbgrader read-only
    # cell (locked, grade_id "chapter-<id>"), which autograde restores from the source version before the
    # notebook runs: a hand-in cannot make the kernel run an edited chapter cell (say one that prints the
    # gradebook into the feedback). The course's config keeps them editable in the student's copy, to try things.
    chapter = [c for c in nb["cells"] if c["cell_type"] == "code" and "nbgrader" not in c["metadata"] and c.get("id")]
    for cell in chapter:
        cell["metadata"].update(_meta(grade=False, solution=False, locked=True, task=False,
                                      grade_id=f"{CHAPTER_CELL}{cell['id']}"))
    nb["metadata"]["rnn_course"] = {"chapter_cells": [c["id"] for c in chapter]}
    for cell in nb["cells"]:
        cell["metadata"].pop("execution", None)
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
            # A predict-then-run cell opens folded in the book's notebook, over its stored output; with
            # the outputs cleared, the fold would only show an empty marker under the cell.
            jupyter = cell["metadata"].get("jupyter", {})
            jupyter.pop("outputs_hidden", None)
            if not jupyter:
                cell["metadata"].pop("jupyter", None)
    return nb, rows


#: A file a chapter's code reads beside itself: "checkpoints/<name>" in quotes.
_LOCAL_FILE = re.compile(r"""["'](checkpoints/[^"'\s]+)["']""")


def local_files(nb: dict, chapter_dir: Path) -> list[str]:
    """The relative paths of the files a chapter's code cells read from its own folder, e.g. checkpoints/....

    Raises FileNotFoundError when one is missing: the assignment would break where the chapter loads it.
    """
    names = sorted({m.group(1) for cell in nb["cells"] if cell["cell_type"] == "code"
                    for m in _LOCAL_FILE.finditer(cell["source"])})
    missing = [n for n in names if not (chapter_dir / n).is_file()]
    if missing:
        raise FileNotFoundError(f"{chapter_dir}: the chapter reads {', '.join(missing)}, which is not there")
    return names


def write_notebook(nb: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def build_source(course: Path, paths: list[Path]) -> dict[str, list[dict]]:
    """Write nbgrader_config.py and source/<stem>/<stem>.ipynb for each chapter; return stem -> rows."""
    course.mkdir(parents=True, exist_ok=True)
    (course / "nbgrader_config.py").write_text(CONFIG.format(course_id=COURSE_ID, timeout=CELL_TIMEOUT,
                                                             memory=MEMORY_LIMIT_MB, grade_timeout=GRADE_TIMEOUT))
    table = {}
    for path in paths:
        nb, rows = instructor_notebook(read_notebook(path))
        if not rows:
            continue
        stem = path.stem
        target = course / "source" / stem
        shutil.rmtree(target, ignore_errors=True)
        write_notebook(nb, target / f"{stem}.ipynb")
        for name in local_files(nb, path.parent):
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path.parent / name, target / name)
        table[stem] = rows
    return table


def nbgrader_command(*args: str, env=None) -> tuple[list[str], dict]:
    """The command line and environment that run this Python environment's nbgrader.

    nbgrader runs ``alembic`` (its gradebook's migrations) by name, so the environment's bin directory
    goes first on PATH: ``.venv/bin/python scripts/make_assignments.py`` works without an activated venv.
    """
    bindir = Path(sys.executable).parent
    env = dict(os.environ if env is None else env)
    env["PATH"] = os.pathsep.join([str(bindir), env.get("PATH", "")])
    return [str(bindir / "nbgrader"), *args], env


def nbgrader(course: Path, *args: str) -> None:
    """Run nbgrader in the course directory; raise CalledProcessError when it fails."""
    command, env = nbgrader_command(*args)
    subprocess.run(command, cwd=course, env=env, check=True)


def release(course: Path, stems) -> None:
    for stem in stems:
        nbgrader(course, "generate_assignment", stem, "--force")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--course", type=Path, default=ROOT / "_build" / "course",
                        help="the nbgrader course directory to write (default: _build/course)")
    parser.add_argument("--chapters", nargs="*", metavar="STEM",
                        help="only these chapters, by file stem (default: every chapter with exercises)")
    parser.add_argument("--no-release", action="store_true", help="write source/ only")
    args = parser.parse_args(argv)
    paths = chapters()
    if args.chapters:
        unknown = sorted(set(args.chapters) - {p.stem for p in paths})
        if unknown:
            parser.error(f"no chapter with exercises named {', '.join(unknown)}; "
                         f"the chapters are {', '.join(p.stem for p in paths)}")
        paths = [p for p in paths if p.stem in args.chapters]
    table = build_source(args.course, paths)
    if not args.no_release:
        release(args.course, table)
    total = 0
    for stem, rows in table.items():
        points = sum(r["points"] for r in rows)
        total += points
        print(f"{stem}: {len(rows)} exercises, {points} points "
              "(" + ", ".join(f"{r['label']} {r['points']}" for r in rows) + ")")
    print(f"{len(table)} assignments, {total} points, in {args.course}")


if __name__ == "__main__":
    main()
