"""The class's flagged hand-ins, for the teacher to read: ``flagged.csv`` in the nbgrader course directory.

    python -P -m rnn_course.exercises.flagged [--course DIR]

Run it in the course directory (or pass it with --course) after ``nbgrader autograde``, beside ``nbgrader
export``. ``-P`` keeps the current directory off sys.path: a student's kernel runs as the grading user and
could have left a package ``rnn_course/`` there (the grading undoes such writes; this is the second lock).
The module itself refuses to run when it was imported from inside the course directory (``--course``, or
the current directory when it holds an ``nbgrader_config.py``). It reads every autograded notebook,
``autograded/<student>/<assignment>/<notebook>.ipynb`` for the notebooks of ``source/<assignment>/``, and
writes one row per flag, with the columns ``student``, ``assignment``, ``exercise`` (an exercise's label,
e.g. ``ex-one-hot``, a cell the student added, e.g. ``added cell 1 before answer cell 1``, or ``all``) and
``reason``. The flags are those that the grading step ``_isolated.FreshProcessGrades`` recorded in each
notebook's metadata: a statement the grader's screen refused (named with its line and cell), a change the
integrity check found in numpy, the library or the builtins, an answer that called the library's own
function for its exercise (``_isolated._SAME_WORK``), a write to the gradebook or to the course
directory outside the hand-in's own folders, a tests cell the hand-in edited or deleted. A flag is a reason
to read the hand-in, not proof of cheating. An import of a module that no exercise needs (matplotlib, json)
is left out of grading without a flag; one of the modules that can reach the machine (os, sys, subprocess
and their kin) is flagged.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
from pathlib import Path

COLUMNS = ("student", "assignment", "exercise", "reason")


def flagged_rows(course):
    """(rows, unknown): a dict per flag, in student and assignment order, and the autograded notebooks that
    hold no flags entry at all (graded without the course's nbgrader_config.py, or before it recorded flags)."""
    course = Path(course)
    rows, unknown = [], []
    assignments = sorted(p for p in (course / "source").glob("*") if p.is_dir())
    for assignment in assignments:
        names = sorted(p.name for p in assignment.glob("*.ipynb"))
        for student in sorted(p for p in (course / "autograded").glob(f"*/{assignment.name}") if p.is_dir()):
            for name in names:
                path = student / name
                if not path.is_file():
                    continue
                found = json.loads(path.read_text(encoding="utf-8")).get("metadata", {}).get("rnn_course")
                flags = found.get("flags") if isinstance(found, dict) else None
                if not isinstance(flags, list):
                    unknown.append(path)
                    continue
                for f in flags:
                    rows.append({"student": student.parent.name, "assignment": assignment.name,
                                 "exercise": str(f.get("exercise", "")), "reason": str(f.get("reason", ""))})
    rows.sort(key=lambda r: (r["student"], r["assignment"]))
    return rows, unknown


def write_flagged(course, out=None):
    """Write the flagged list (see the module's docstring) to ``out`` (default ``<course>/flagged.csv``), with
    its header even when nothing is flagged. Returns (path, rows, unknown)."""
    course = Path(course)
    path = Path(out) if out else course / "flagged.csv"
    rows, unknown = flagged_rows(course)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path, rows, unknown


def _inside(path, folder):
    """True if ``path`` is in ``folder``, as written (a link into the folder counts) or with links resolved."""
    for p, f in ((Path(os.path.abspath(path)), Path(os.path.abspath(folder))), (Path(path).resolve(),
                                                                                 Path(folder).resolve())):
        if p == f or f in p.parents:
            return True
    return False


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--course", type=Path, default=Path("."),
                        help="the nbgrader course directory (default: the current directory)")
    parser.add_argument("--out", type=Path, help="where to write the list (default: <course>/flagged.csv)")
    args = parser.parse_args(argv)
    # the course directory, and the current one when it is a course directory too (as the README runs it)
    for folder in [args.course] + ([Path.cwd()] if (Path.cwd() / "nbgrader_config.py").is_file() else []):
        if _inside(__file__, folder):
            parser.error(f"this copy of rnn_course ({os.path.abspath(__file__)}) is inside {folder.resolve()}, where "
                         f"a student's notebook could have written it: run `python -P -m "
                         f"rnn_course.exercises.flagged` from the course library's environment, and remove it")
    if not (args.course / "autograded").is_dir():
        parser.error(f"{args.course} has no autograded/ folder: run it in the course directory after "
                     f"`nbgrader autograde`, or pass --course")
    path, rows, unknown = write_flagged(args.course, args.out)
    hand_ins = len({(r["student"], r["assignment"]) for r in rows})
    print(f"{len(rows)} flags on {hand_ins} hand-ins, in {path}")
    for notebook in unknown:
        print(f"not graded with the course's nbgrader_config.py (no flags recorded): {notebook}")


if __name__ == "__main__":
    main()
