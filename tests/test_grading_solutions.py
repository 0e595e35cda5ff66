"""The book's solutions, graded as the instructor edition grades a hand-in (issue 18).

tests/test_solutions.py proves that every solution passes its check in a
learner's notebook; tests/test_assignments.py that each passes the grader's
screen. This module runs each through ``_isolated.grade_program``, the grading
process's own code: the screened cells, then ``grade`` under the watch for the
library's own work (an answer that calls the library function an exercise asks
for, or its kernel, earns nothing). A solution that the watch took for the
library's work would cost an honest student the points. It is a module of its
own so that pytest-xdist can run it beside test_assignments' grading fixture.
Each solution is graded on the check's own cases and then on cases drawn afresh,
as a hand-in is.
"""

from __future__ import annotations

import os

import pytest

from rnn_course.exercises._isolated import grade_program, grade_timeout, memory_limit_mb
from rnn_course.exercises._remote import Learner
from rnn_course.exercises._screen import chapter_cells, grade_call, program_for
from test_assignments import CHAPTERS, solved_source


#: The seed of the cases drawn afresh (a hand-in's is random; see _isolated.grading_seed).
FRESH_SEED = 20261201


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_the_books_solutions_earn_their_points_in_the_grader(path, monkeypatch):
    source, rows = solved_source(path)
    monkeypatch.chdir(path.parent)   # as nbgrader runs the grading process: in the notebook's folder
    graded = 0
    for index, cell in enumerate(source["cells"]):
        if not cell["metadata"].get("nbgrader", {}).get("grade"):
            continue
        name, answer, context = grade_call(cell["source"])
        label = cell["metadata"]["nbgrader"]["grade_id"].removesuffix("-check")
        program = program_for(source["cells"], index, f"{label}-answer", chapter_cells(source["metadata"]))
        # graded as a hand-in is: the book's cases, then cases drawn afresh (here from a fixed seed)
        # the student's process forked from this one, as the grading process forks it (half a second less each)
        verdict = grade_program(name, program.cells, answer, context, fresh_seed=FRESH_SEED,
                                learner=Learner(memory_limit_mb(), grade_timeout(), fork=True))
        assert verdict.passed and not (verdict.library or verdict.changed or verdict.fresh), (path.stem, name,
                                                                                             verdict.text)
        graded += 1
    assert graded == len(rows) > 0, path.stem


def test_a_right_model_loss_passes_the_seeds_where_rounding_once_failed_it():
    # A 5th teacher's try: the library's own model_loss failed the gradient check on 2 of 900 fresh seeds (a
    # relative error of 1.2e-6 on gradients of about 3e-6, central differences' rounding noise). A scalar loss's
    # gradient is now measured against the noise floor, as check_model_gradients measures it.
    from rnn_course.exercises import EXERCISES, check

    for seed in (1798915515, 1833118095):
        assert check("model_loss", EXERCISES["model_loss"].reference, seed=seed).passed, seed
