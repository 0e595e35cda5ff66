"""Find the exercises of a chapter notebook: task, learner's cell, check cell, solution.

Every exercise in a chapter has the same four parts, in this order (issue 15):

1. a markdown cell with the ``{exercise}`` directive and its ``:label:``;
2. the learner's cell: the next code cell, a stub (``def f(...): ...`` or
   ``answer = ...``);
3. the check cell: the next code cell, ``check("name", answer)``;
4. the solution: the next markdown cell that opens ``{solution} <label>`` with
   ``:class: dropdown``. Its answer is a fenced ```` ```python ```` block, which is
   shown in the book and in JupyterLab but never executed, so running every cell
   of a chapter never replaces the learner's function or answer. A solution
   that shows a measurement with its output is gated instead:
   ``{solution-start} <label>`` (with the fenced answer), code cells that must
   not assign any name of the learner's cell, then ``{solution-end}``.

``find_exercises(nb)`` returns them, and raises ValueError, naming the cell,
where a chapter breaks that order. tests/test_solutions.py runs every solution
through its check with it; a script that strips the solutions, or turns the
chapters into graded assignments, can find the same cells with it.

    python scripts/exercise_cells.py book/foundations/03_memory_cells.ipynb

lists a chapter's exercises.
"""

from __future__ import annotations

import ast
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

_EXERCISE = re.compile(r"\{exercise\}[^\n]*\n(?:[ \t]*:[^\n]*\n)*?[ \t]*:label:[ \t]*(\S+)")
_SOLUTION = re.compile(r"\{(solution|solution-start)\}[ \t]+(\S+)")
_SOLUTION_END = re.compile(r"\{solution-end\}")
_PYTHON_BLOCK = re.compile(r"^(?P<fence>`{3,})python[ \t]*\n(?P<code>.*?)^(?P=fence)[ \t]*$", re.M | re.S)


@dataclass
class Exercise:
    """The cells of one exercise, as indices into ``nb["cells"]``.

    - label: the exercise's label, e.g. "ex-rnn-step"
    - name: the name the check cell passes to ``check``, e.g. "rnn_step_forward"
    - exercise, stub, check: the directive's markdown cell, the learner's cell, the check cell
    - solution, solution_end: the first and last cell of the solution (the same
      cell unless the solution is gated)
    - answer: the source of the check's second argument, e.g. "rnn_step_forward"
    - solution_code: the solution's fenced ```python code, every block joined
    - learner_names: the names the learner's cell assigns or defines
    """

    label: str
    name: str
    exercise: int
    stub: int
    check: int
    solution: int
    solution_end: int
    answer: str
    solution_code: str
    learner_names: set[str] = field(default_factory=set)

    @property
    def gated(self) -> bool:
        return self.solution_end != self.solution


def read_notebook(path) -> dict:
    """The notebook as plain JSON (no nbformat needed), with every cell's source as one string."""
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if isinstance(cell["source"], list):
            cell["source"] = "".join(cell["source"])
    return nb


def assigned_names(source: str) -> set[str]:
    """The names a cell's code binds in the notebook: assignments, def, class, import, for, with.

    Names bound inside a function, class or lambda are its own, not the notebook's.
    """
    names = set()

    def visit(node):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
            return
        if isinstance(node, ast.Lambda):
            return
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(source))
    return names


def _next(cells, start, cell_type):
    for i in range(start, len(cells)):
        if cells[i]["cell_type"] == cell_type:
            return i
    return None


def _check_call(source: str):
    """(name, answer source) of the cell's ``check("name", answer)``, or None."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "check"
                and len(node.args) >= 2 and isinstance(node.args[0], ast.Constant)):
            return node.args[0].value, ast.get_source_segment(source, node.args[1])
    return None


def find_exercises(nb: dict) -> list[Exercise]:
    """Every exercise of the notebook ``nb`` (from read_notebook), in order."""
    cells = nb["cells"]
    found = []
    for i, cell in enumerate(cells):
        if cell["cell_type"] != "markdown":
            continue
        labels = _EXERCISE.findall(cell["source"])
        if not labels:
            continue
        if len(labels) > 1:
            raise ValueError(f"cell {i} holds {len(labels)} exercises ({', '.join(labels)}); give each its own cell")
        label = labels[0]
        stub = _next(cells, i + 1, "code")
        check = None if stub is None else _next(cells, stub + 1, "code")
        if check is None or _check_call(cells[check]["source"]) is None:
            raise ValueError(f"exercise {label} (cell {i}): the second code cell after it must call "
                             "check(\"name\", answer)")
        name, answer = _check_call(cells[check]["source"])
        solution = _next(cells, check + 1, "markdown")
        match = None if solution is None else _SOLUTION.search(cells[solution]["source"])
        if match is None or match.group(2) != label:
            raise ValueError(f"exercise {label}: the markdown cell after its check cell (cell {solution}) "
                             f"must open {{solution}} {label}")
        end = solution
        if match.group(1) == "solution-start":
            end = next((j for j in range(solution, len(cells))
                        if cells[j]["cell_type"] == "markdown" and _SOLUTION_END.search(cells[j]["source"])),
                       None)
            if end is None:
                raise ValueError(f"exercise {label}: {{solution-start}} without {{solution-end}}")
        code = "\n".join(m.group("code") for j in range(solution, end + 1)
                         if cells[j]["cell_type"] == "markdown"
                         for m in _PYTHON_BLOCK.finditer(cells[j]["source"]))
        if not code.strip():
            raise ValueError(f"exercise {label}: its solution (cell {solution}) has no ```python block")
        found.append(Exercise(label, name, i, stub, check, solution, end, answer, code,
                              assigned_names(cells[stub]["source"]) - {"check", "hint"}))
    return found


def main(paths):
    for path in paths:
        print(path)
        for ex in find_exercises(read_notebook(path)):
            kind = "gated solution" if ex.gated else "solution"
            print(f"  {ex.label:24s} check({ex.name!r}, {ex.answer})   cells: exercise {ex.exercise}, "
                  f"stub {ex.stub}, check {ex.check}, {kind} {ex.solution}-{ex.solution_end}")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
