"""What the grader runs of a student's notebook: the screen of its cells (issue 18, item 6).

``_isolated`` grades each exercise in a fresh process from the student's *source*. This module decides
that source, in nbgrader's own process, before any of it runs:

- which cells: in notebook order up to the exercise's tests cell, every answer cell (an nbgrader solution
  cell) and every code cell the student added (not one of the chapter's own cells, whose ids
  ``scripts/make_assignments.py`` lists in the notebook's metadata, ``rnn_course.chapter_cells``), whole;
  of the chapter's own cells, which can train models for seconds, only the imports of the names the
  answers use;
- which statements: every top-level statement that passes the screen runs, as the kernel ran it: ``def``,
  ``class``, imports, assignments, calls, prints, loops. IPython's magics and shell lines (``%time``,
  ``!ls``) are left out, and so is a top-level import of a module that answers do not need and that is no
  way to the system (``import matplotlib.pyplot as plt``): named in the feedback, not flagged. A statement
  that uses what no exercise needs (``getattr``, ``open``, dunder names and attributes, ``sys``/``os``/
  ``gc``/frames, an import of a module of ``_TAMPERING``, or inside a function of any module but those of
  ``_MODULES``, storing into another module's attributes, ...) is *refused*: it does not run, the feedback
  names it by its line, and the hand-in is flagged for the teacher (``Refused.reason``). A refusal in the
  exercise's own answer cell costs that exercise its points; elsewhere only that statement is left out.

Top-level calls are no more dangerous than the function bodies that the checker calls anyway: the same
screen applies to both. This is a screen, not a proof; see ``_isolated`` and the README's
"Instructor edition" for what the grading process and the documented container add.
"""

from __future__ import annotations

import ast
from typing import NamedTuple

#: Top-level modules an answer may import; from rnn_course.exercises nothing (check and hint are left out, see
#: _checker_use). Besides numpy and the
#: library, the standard modules that answers use for annotations and small helpers; the attribute rules still
#: apply to what is taken from them.
_MODULES = {"numpy", "math", "rnn_course", "typing", "__future__", "dataclasses", "functools", "itertools",
            "collections"}
#: Modules whose import is a way to the interpreter, the files, the processes or the network: refused and
#: flagged wherever they are imported. Any other module (matplotlib, scipy, json, ...) is left out when a
#: statement of a cell imports it, named in the feedback and not flagged.
_TAMPERING = {"os", "sys", "subprocess", "ctypes", "importlib", "builtins", "gc", "inspect", "threading", "signal",
              "io", "shutil", "pathlib", "socket", "pickle", "marshal", "resource", "sqlite3", "multiprocessing",
              "runpy", "code", "codeop", "types", "tempfile", "mmap", "pty", "posix", "fcntl", "site",
              "sysconfig", "concurrent", "asyncio", "urllib", "http", "ftplib", "smtplib", "shelve", "dbm",
              "glob", "fileinput", "linecache", "traceback", "atexit", "faulthandler", "tracemalloc", "weakref",
              "copyreg", "zipimport", "pkgutil", "webbrowser", "getpass", "pwd", "platform", "select", "selectors",
              "ssl", "requests", "IPython", "ipykernel", "nbgrader", "sqlalchemy"}
_FROM_EXERCISES = {"check", "hint"}
#: The data that a chapter's own cell imports from the exercises' modules, (module, name): the grader keeps
#: those imports of the chapter's cells (restored by nbgrader, not the student's), so that an answer may use the
#: data as in the kernel. No checker reads these objects (each has its own copy, such as concepts._WORKED), so
#: an answer that changes them in place changes nothing graded. The student's own cells still may not import them.
_CHAPTER_DATA = {("rnn_course.exercises.concepts", "WORKED_EXAMPLE")}
#: Names no exercise needs, whose use the grader refuses.
#: Ordinary names that honest answers use as variables (input, dir, type, format, object) are not here.
_NAMES = {"getattr", "setattr", "delattr", "globals", "locals", "vars", "eval", "exec", "compile", "open",
          "breakpoint", "memoryview", "help",
          # typing's ways to evaluate a string annotation, i.e. to run a string as code
          "get_type_hints", "ForwardRef", "evaluate_forward_ref"}
#: Attributes no exercise needs: the ways from numpy or a function to the interpreter, the files and the checkers.
_ATTRIBUTES = {"os", "sys", "ctypes", "ctypeslib", "subprocess", "builtins", "gc", "inspect", "importlib",
               "threading", "signal", "exercises", "format_map", "as_strided", "frombuffer",
               "from_dlpack", "load", "save", "savez", "savez_compressed", "fromfile", "tofile", "memmap",
               "loadtxt", "savetxt", "genfromtxt", "DataSource", "open", "system", "popen", "setrlimit",
               "_getframe", "settrace", "setprofile", "exc_info", "modules", "lib", "testing", "f2py",
               "distutils", "core", "_core", "compat", "get_type_hints", "ForwardRef", "evaluate_forward_ref"}
_FRAME_PREFIXES = ("f_", "gi_", "cr_", "ag_", "tb_", "co_")
#: What IPython turns a magic or a shell line into: get_ipython().<one of these>(...).
_MAGIC_CALLS = {"run_line_magic", "run_cell_magic", "system", "getoutput"}


class Refused(Exception):
    """The answer uses something the grader does not run.

    ``reason``: what the teacher's list of flagged hand-ins says (``.. at line N of answer cell 2``), or None
    when nothing was refused for tampering's sake (a syntax error: the student's kernel failed there too).
    """

    def __init__(self, message, reason=None, where=""):
        super().__init__(message)
        self.reason = reason
        self.where = where


def _is_dunder(name):
    return name.startswith("__")


def _module_ok(module, names=()):
    """May an answer import ``module`` (and, from it, ``names``)?

    Its top-level package must be numpy, math or rnn_course; no part of its path and no name imported
    from it may be private (``_``) or one of the attributes the grader refuses (``numpy.testing``,
    ``from numpy import load``): an import must not reach what an attribute may not.
    """
    parts = module.split(".")
    if parts[0] not in _MODULES:
        return False
    if module == "rnn_course.exercises":  # `import rnn_course.exercises` reaches the registry and its references
        return bool(names) and set(names) <= _FROM_EXERCISES
    if any(p.startswith("_") or p in _ATTRIBUTES for p in parts[1:]):
        return False
    if any(n == "*" or n.startswith("_") or n in _ATTRIBUTES or n in _NAMES for n in names):
        return False
    return not module.startswith("rnn_course.exercises")


def _other_module(stmt):
    """True for a top-level import of modules that answers may not import and that are not a way to tamper
    (``import matplotlib.pyplot as plt``, ``from scipy import special``): the grader leaves it out, unflagged."""
    if isinstance(stmt, ast.Import):
        tops = [a.name.split(".")[0] for a in stmt.names]
    elif isinstance(stmt, ast.ImportFrom) and not stmt.level and stmt.module:
        tops = [stmt.module.split(".")[0]]
    else:
        return False
    return (any(t not in _MODULES for t in tops)
            and not any(t in _TAMPERING or t in _ATTRIBUTES or t.startswith("_") for t in tops))


def _checker_use(stmt):
    """True for a top-level ``from rnn_course.exercises import check, hint`` and for a top-level statement that
    calls ``check`` or ``hint``: the grader leaves them out, unflagged. Its own check grades the answer; a
    student's check run inside the grader would let the answer watch the checker's inputs and the library's
    outputs for them (a table to replay while graded)."""
    if isinstance(stmt, ast.ImportFrom):
        return (stmt.module == "rnn_course.exercises" and not stmt.level
                and {a.name for a in stmt.names} <= _FROM_EXERCISES)
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in _FROM_EXERCISES
               for n in ast.walk(stmt))


def _super_call(node):
    """``super().__init__`` or ``super().__call__``: a subclass calling its parent's, as classes do."""
    value = node.value
    return (node.attr in ("__init__", "__call__") and isinstance(value, ast.Call) and not value.args
            and isinstance(value.func, ast.Name) and value.func.id == "super")


def _refuse_uses(node, where):
    """Raise Refused at the first construct in ``node`` that the grader does not run."""
    for sub in ast.walk(node):
        bad = None
        if isinstance(sub, ast.Name) and (sub.id in _NAMES or _is_dunder(sub.id)):
            bad = f"`{sub.id}`"
        elif isinstance(sub, ast.Attribute):
            if _super_call(sub):
                pass
            elif _is_dunder(sub.attr) or sub.attr in _ATTRIBUTES or sub.attr.startswith(_FRAME_PREFIXES):
                bad = f"the attribute `.{sub.attr}`"
            elif isinstance(sub.ctx, (ast.Store, ast.Del)) and not (
                    isinstance(sub.value, ast.Name) and sub.value.id == "self"):
                bad = f"setting the attribute `{ast.unparse(sub)}` (only `self.` attributes may be set)"
        elif isinstance(sub, ast.Constant) and isinstance(sub.value, str) and "__" in sub.value:
            bad = "a string holding `__`"
        elif isinstance(sub, ast.Import) and not all(_module_ok(a.name) for a in sub.names):
            bad = f"`{ast.unparse(sub)}`"
        elif isinstance(sub, ast.ImportFrom) and (sub.level or not _module_ok(sub.module or "", [a.name for a in sub.names])):
            bad = f"`{ast.unparse(sub)}`"
        elif isinstance(sub, (ast.Global, ast.Nonlocal)):
            bad = f"`{ast.unparse(sub)}`"
        if bad:
            line = getattr(sub, "lineno", "?")
            raise Refused(f"your answer uses {bad} at line {line} of {where}, which the grader does not run (no "
                          f"exercise needs it): write the answer with numpy and plain Python",
                          reason=f"{bad} at line {line} of {where}", where=where)


_INERT = (ast.Expression, ast.Constant, ast.Name, ast.Load, ast.Attribute, ast.Tuple, ast.List, ast.Dict, ast.Set,
          ast.UnaryOp, ast.UAdd, ast.USub, ast.Not, ast.BinOp, ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv,
          ast.Mod, ast.Pow, ast.Subscript, ast.Slice)


def _inert(node):
    """True if evaluating node calls nothing: constants, names, containers, arithmetic."""
    return node is None or all(isinstance(n, _INERT) for n in ast.walk(node))


def _magic(stmt):
    """True for what IPython made of a magic or a shell line: ``get_ipython().run_line_magic(...)``, ..."""
    value = stmt.value if isinstance(stmt, (ast.Expr, ast.Assign, ast.AnnAssign)) else None
    return (isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute)
            and value.func.attr in _MAGIC_CALLS and isinstance(value.func.value, ast.Call)
            and isinstance(value.func.value.func, ast.Name) and value.func.value.func.id == "get_ipython")


class Screened(NamedTuple):
    """One cell after the screen: ``source`` runs; ``left_out`` notes the magics; ``refused`` lists a Refused
    for each statement that the screen kept from running."""
    source: str
    left_out: list
    refused: list


def screen_cell(source, where):
    """The screen of one cell's source (Python, after ``_python``), statement by statement.

    Raises Refused (with ``reason`` None) for a syntax error: nothing of the cell runs, as in the kernel.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise Refused(f"{where} has a syntax error at line {exc.lineno}: {exc.msg}") from None
    kept, left_out, refused = [], [], []
    for stmt in tree.body:
        if _magic(stmt):
            left_out.append(f"line {stmt.lineno} of {where} (an IPython magic or shell line)")
            continue
        if _checker_use(stmt):
            left_out.append(f"line {stmt.lineno} of {where} (a use of check or hint: the grader runs its own check)")
            continue
        if _other_module(stmt):
            left_out.append(f"line {stmt.lineno} of {where} (`{ast.unparse(stmt)}`: the grader imports numpy, "
                            f"math, the library and a few standard modules, not this one; it does not count "
                            f"against you, but a name it defines is not defined in the grader)")
            continue
        try:
            _refuse_uses(stmt, where)
        except Refused as exc:
            refused.append(exc)
            continue
        kept.append(stmt)
    return Screened(_without(source, tree.body, kept), left_out, refused)


def _without(source, statements, kept):
    """``source`` with the statements not in ``kept`` blanked out, line for line, so that the lines of an error
    in the grader are those of the student's cell; unparsed when a left-out statement shares a line."""
    kept = {id(s) for s in kept}
    lines = source.splitlines()
    spans = [(s.lineno, s.end_lineno, id(s) in kept) for s in statements]
    taken = {}
    for first, last, keep in spans:
        for n in range(first, last + 1):
            taken.setdefault(n, set()).add(keep)
    if any(len(k) > 1 for k in taken.values()):
        return "\n".join(ast.unparse(s) for s in statements if id(s) in kept)
    for first, last, keep in spans:
        if not keep:
            lines[first - 1:last] = [""] * (last - first + 1)
    return "\n".join(lines) if kept else ""


def screen(source, where, imports_only=False):
    """The part of a cell's source that the grader runs, and notes on what it left out.

    Returns (kept_source, left_out), left_out naming the magics by line. Raises Refused at the first
    statement the grader does not run (see _refuse_uses) or at a syntax error. imports_only: keep the
    allowed imports and nothing else, silently (the chapter's own cells).
    """
    if imports_only:
        try:
            tree = ast.parse(source)
        except SyntaxError:
            return "", []
        kept = []
        for stmt in tree.body:
            if (isinstance(stmt, ast.ImportFrom) and not stmt.level
                    and all((stmt.module, a.name) in _CHAPTER_DATA for a in stmt.names)):
                kept.append(stmt)
            elif isinstance(stmt, (ast.Import, ast.ImportFrom)) and not _checker_use(stmt):
                try:
                    _refuse_uses(stmt, where)
                except Refused:
                    continue
                kept.append(stmt)
        return "\n".join(ast.unparse(s) for s in kept), []
    screened = screen_cell(source, where)
    if screened.refused:
        raise screened.refused[0]
    return screened.source, screened.left_out


class Program(NamedTuple):
    """What the grader runs for one exercise: ``cells``, a list of (where, source) run one by one in order;
    ``notes`` for the feedback; ``refused``, the Refused statements of the other cells, for the flags; ``own``,
    the Refused of the exercise's own answer cell (a refused statement or a syntax error), or None. When
    ``own`` is set, the exercise earns nothing and ``cells`` is not run."""
    cells: list
    notes: list
    refused: list
    own: Refused | None = None


def chapter_cells(nb_metadata):
    """The ids of the chapter's own code cells (``rnn_course.chapter_cells`` in the notebook's metadata, written
    by make_assignments), or None when the notebook does not say: then no cell counts as the student's own."""
    ids = (nb_metadata or {}).get("rnn_course", {}).get("chapter_cells")
    return set(ids) if isinstance(ids, list) else None


def program_for(cells, tests_index, own_answer=None, chapter=None):
    """The program the grader runs for the tests cell at ``tests_index`` of a notebook's cells (nbformat
    dicts): up to that cell, in order, each answer cell (nbgrader solution cell) and each code cell the
    student added (one that is no nbgrader cell and whose id is not in ``chapter``, the chapter's own cell
    ids; None: no cell counts as added), screened by ``screen_cell``; and the allowed imports of the
    chapter's own cells that those cells use.

    When the answer cell whose grade_id is ``own_answer`` (the exercise's own; None: every answer cell) has a
    statement the screen refuses, or a syntax error, that Refused is the Program's ``own``; in any other cell a
    refused statement is left out (noted, and listed in ``refused``), so that one statement that tampers costs
    the exercise whose answer it is and not every later one.
    """
    parts, notes, refused, own_refusal = [("the grader's own first line", "import numpy as np")], [], [], None
    answers = added = 0  # added: cells added since the last answer cell
    for i, cell in enumerate(cells[:tests_index]):
        if cell.get("cell_type") != "code":
            continue
        source = _python(cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"]))
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("solution"):
            answers, added = answers + 1, 0
            where = f"answer cell {answers}"
        elif (chapter is not None and not meta.get("grade") and not meta.get("locked") and cell.get("id")
              and cell["id"] not in chapter):
            added += 1
            place = f"after answer cell {answers}" if answers else "before answer cell 1"
            where = f"added cell {added} {place}"  # e.g. "added cell 1 after answer cell 2"
        else:
            kept, _ = screen(source, f"cell {i + 1}", imports_only=True)
            if kept:
                parts.append(("import", kept))  # kept below only for the names the other cells use
            continue
        own = meta.get("solution") and (own_answer is None or meta.get("grade_id") == own_answer)
        try:
            screened = screen_cell(source, where)
        except Refused as syntax:
            own_refusal = own_refusal or (syntax if own else None)
            notes.append(f"{where}, whole: {syntax}")
            continue
        if screened.refused:
            if own:
                own_refusal = own_refusal or screened.refused[0]
            refused += [r for r in screened.refused if r is not own_refusal]
            notes += [r.reason for r in screened.refused if r is not own_refusal]
        notes += screened.left_out
        if screened.source:
            parts.append((where, screened.source))
    used = {n.id for where, part in parts if where != "import" for n in ast.walk(ast.parse(part))
            if isinstance(n, ast.Name)}
    program = []
    for where, part in parts:
        if where == "import":  # a chapter cell's imports: those of a name the others use (no matplotlib for
            imports = []       # a chapter's `from rnn_course import plots`)
            for stmt in ast.parse(part).body:
                stmt.names = [a for a in stmt.names if (a.asname or a.name).split(".")[0] in used]
                if stmt.names:
                    imports.append(ast.unparse(stmt))
            if imports:
                program.append(("the chapter's imports", "\n".join(imports)))
        else:
            program.append((where, part))
    return Program(program, notes, refused, own_refusal)


#: Cell magics that only time or capture the cell they head: the grader runs that cell's code without them.
_TIMING_CELL_MAGICS = ("%%time", "%%timeit", "%%capture")


def _python(source):
    """A cell's source as Python: IPython's magics and shell escapes become calls, which screen leaves out. A
    first line ``%%time``, ``%%timeit`` or ``%%capture`` becomes a comment, so that the cell's own code runs
    (once), on the lines it has in the notebook."""
    first, newline, rest = source.partition("\n")
    if first.strip().split(" ")[0] in _TIMING_CELL_MAGICS:
        source = "# " + first + newline + rest
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:
        return source
    return TransformerManager().transform_cell(source)


def grade_call(source):
    """(name, answer_expression, {keyword: expression}) of the tests cell's ``grade("name", answer, ...)``."""
    for node in ast.walk(ast.parse(source)):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "grade"
                and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            if len(node.args) != 2 or not all(_inert(a) for a in node.args[1:]) \
                    or not all(k.arg and _inert(k.value) for k in node.keywords):
                raise ValueError(f"a tests cell's grade call must pass plain names: {ast.unparse(node)}")
            return (node.args[0].value, ast.unparse(node.args[1]),
                    {k.arg: ast.unparse(k.value) for k in node.keywords})
    return None


def _bound(source):
    """The names a cell's source binds (assignments, defs, classes, imports, loop targets), anywhere in it."""
    names = set()
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return names
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return names


def _loaded(source):
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def relevant_cells(program, expressions):
    """The ``where`` of the cells of ``program`` (a list of (where, source)) that the grade of ``expressions``
    (the answer and its context, as source) can depend on: those that bind a name the expressions use, then
    those that bind a name one of those uses, and so on. A cell that stopped early is named in an exercise's
    feedback only when it is one of these: a failing cell of the student's that defines nothing the answer uses
    cannot change its grade."""
    used = set().union(*(_loaded(e) for e in expressions)) if expressions else set()
    relevant, grown = set(), True
    while grown:
        grown = False
        for where, source in program:
            if where not in relevant and _bound(source) & used:
                relevant.add(where)
                used |= _loaded(source)
                grown = True
    return relevant
