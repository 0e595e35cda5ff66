"""The grade that nbgrader records, decided where a student's notebook cannot reach (issue 18, item 6).

A student's notebook runs in one kernel with the tests cells that grade it, so
in that kernel its code can change anything the tests cells use: redefine
``check`` or ``grade``, monkeypatch ``rnn_course.exercises`` or numpy, even
rewrite every later cell before it runs (IPython's input transformers). So the
kernel's verdicts are only the student's feedback. The recorded verdict comes
from ``FreshProcessGrades``, an nbgrader preprocessor that the course's
``nbgrader_config.py`` puts right after nbgrader's Execute. For every tests
cell it grades the exercise again, in a process that

- is a new Python process per exercise, which imports the checkers and numpy
  before it reads any student code, so neither the kernel's state nor another
  exercise's code is in it (started with ``-P``: nothing is imported from the
  student's folder);
- receives the student's *source*, not objects: the nbgrader answer cells up
  to that tests cell, and the allowed imports of the cells before it, screened
  by ``screen``: only definitions (``def``, ``class``, ``import`` of numpy, math
  or the course library, and names set to plain values) run, and an answer that
  uses what no exercise needs (``getattr``, ``open``, dunder attributes,
  ``sys``/``os``/``gc``/frames, storing into another module's attributes, ...)
  is refused with a sentence;
- runs under an address-space limit (RLIMIT_AS) and a CPU-time limit, and the
  learner's function under the checker's own guards (TIME_LIMIT per call,
  captured prints);
- after grading compares numpy's, the library's and the builtins' names with
  what they were before: an answer that changed them scores 0.

The preprocessor then writes that verdict into the tests cell's outputs, which
nbgrader's SaveAutoGrades scores (an error output: 0 points): a failed exercise
shows the verdict and nothing of the grader's own traceback.

Limits, from the grader's environment: RNN_COURSE_MEMORY_LIMIT (MB of address
space per grading process and per kernel, default 4096), RNN_COURSE_GRADE_TIMEOUT
(seconds of wall time per exercise, default 300; its CPU-time limit is the same),
and RNN_COURSE_TIME_LIMIT (per call of the learner's function, see ``_run``).

This is a screen, not a proof: a process that runs the learner's code cannot be
made safe from it in general, and the README's "Instructor edition" says what
the documented container adds.
"""

from __future__ import annotations

import ast
import json
import os

from ._run import env_number

#: Default MB of address space for each grading process and each student's kernel.
MEMORY_LIMIT_MB = 4096
#: Default seconds of wall time (and of CPU time) for grading one exercise.
GRADE_TIMEOUT = 300.0

#: Top-level modules an answer may import; from rnn_course.exercises only check and hint.
_MODULES = {"numpy", "math", "rnn_course"}
_FROM_EXERCISES = {"check", "hint"}
#: Names no exercise needs, whose use the grader refuses.
#: Ordinary names that honest answers use as variables (input, dir, type, format, object) are not here.
_NAMES = {"getattr", "setattr", "delattr", "globals", "locals", "vars", "eval", "exec", "compile", "open",
          "breakpoint", "memoryview", "help"}
#: Attributes no exercise needs: the ways from numpy or a function to the interpreter, the files and the checkers.
_ATTRIBUTES = {"os", "sys", "ctypes", "ctypeslib", "subprocess", "builtins", "gc", "inspect", "importlib",
               "threading", "signal", "exercises", "format_map", "as_strided", "frombuffer",
               "from_dlpack", "load", "save", "savez", "savez_compressed", "fromfile", "tofile", "memmap",
               "loadtxt", "savetxt", "genfromtxt", "DataSource", "open", "system", "popen", "setrlimit",
               "_getframe", "settrace", "setprofile", "exc_info", "modules", "lib", "testing", "f2py",
               "distutils", "core", "_core", "compat"}
_FRAME_PREFIXES = ("f_", "gi_", "cr_", "ag_", "tb_", "co_")


class Refused(Exception):
    """The answer uses something the grader does not run."""


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
    if module == "rnn_course.exercises":
        return set(names) <= _FROM_EXERCISES
    if any(p.startswith("_") or p in _ATTRIBUTES for p in parts[1:]):
        return False
    if any(n == "*" or n.startswith("_") or n in _ATTRIBUTES or n in _NAMES for n in names):
        return False
    return not module.startswith("rnn_course.exercises")


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
            raise Refused(f"your answer uses {bad} at line {getattr(sub, 'lineno', '?')} of {where}, which the grader "
                          f"does not run (no exercise needs it): write the answer with numpy and plain Python")


_INERT = (ast.Expression, ast.Constant, ast.Name, ast.Load, ast.Attribute, ast.Tuple, ast.List, ast.Dict, ast.Set,
          ast.UnaryOp, ast.UAdd, ast.USub, ast.Not, ast.BinOp, ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv,
          ast.Mod, ast.Pow, ast.Subscript, ast.Slice)


def _inert(node):
    """True if evaluating node calls nothing: constants, names, containers, arithmetic."""
    return node is None or all(isinstance(n, _INERT) for n in ast.walk(node))


def _definition(stmt):
    """True if stmt only defines something: def, class, an allowed import, a name set to a plain value."""
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        return True  # checked by _refuse_uses: a disallowed import refuses the answer, it is not skipped
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
        args = stmt.args
        return (not stmt.decorator_list and _inert(stmt.returns)
                and all(_inert(d) for d in args.defaults + [d for d in args.kw_defaults if d is not None])
                and all(_inert(a.annotation) for a in args.posonlyargs + args.args + args.kwonlyargs
                        + [a for a in (args.vararg, args.kwarg) if a is not None]))
    if isinstance(stmt, ast.ClassDef):
        return (not stmt.decorator_list and not stmt.keywords and all(isinstance(b, ast.Name) for b in stmt.bases)
                and all(_definition(s) or isinstance(s, ast.Pass) or _docstring(s) for s in stmt.body))
    if isinstance(stmt, ast.Assign):
        return all(isinstance(n, (ast.Name, ast.Tuple, ast.List, ast.Store)) for t in stmt.targets
                   for n in ast.walk(t)) and _inert(stmt.value)
    if isinstance(stmt, ast.AnnAssign):
        return isinstance(stmt.target, ast.Name) and _inert(stmt.annotation) and _inert(stmt.value)
    return False


def _docstring(stmt):
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)


def screen(source, where, imports_only=False):
    """The part of a cell's source that the grader runs, and notes on what it left out.

    Returns (kept_source, left_out) where left_out lists "line N: `first line`" of each top-level
    statement that is not a definition. Raises Refused when a kept statement uses what the grader
    does not run (see _refuse_uses). imports_only: keep the allowed imports and nothing else, silently.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        if imports_only:
            return "", []
        raise Refused(f"{where} has a syntax error at line {exc.lineno}: {exc.msg}") from None
    kept, left_out = [], []
    for stmt in tree.body:
        if imports_only:
            if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                try:
                    _refuse_uses(stmt, where)
                except Refused:
                    continue
                kept.append(stmt)
            continue
        if _definition(stmt) or isinstance(stmt, ast.Pass) or _docstring(stmt):
            _refuse_uses(stmt, where)
            kept.append(stmt)
        else:
            first = ast.get_source_segment(source, stmt) or ast.unparse(stmt)
            left_out.append(f"line {stmt.lineno}: `{first.splitlines()[0][:80]}`")
    return "\n".join(ast.unparse(s) for s in kept), left_out


def program_for(cells, tests_index, own_answer=None):
    """The program the grader runs for the tests cell at ``tests_index`` of a notebook's cells (nbformat
    dicts): the allowed imports of every code cell before it, and the screened answer cells (nbgrader
    solution cells) before it, in order.

    Returns (source, notes): notes say which top-level statements were left out and which other answer
    cells were refused. Raises Refused when the answer cell whose grade_id is ``own_answer`` (the exercise's
    own) is refused; another answer cell that is refused is left out whole, so that one cell that tampers
    costs the exercises that use it, not every later one.
    """
    parts, notes = ["import numpy as np"], []
    answers = 0
    for i, cell in enumerate(cells[:tests_index]):
        if cell.get("cell_type") != "code":
            continue
        source = _python(cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"]))
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("solution"):
            answers += 1
            where = f"answer cell {answers}"
            try:
                kept, dropped = screen(source, where)
            except Refused as refused:
                if own_answer is None or meta.get("grade_id") == own_answer:
                    raise
                notes.append(f"{where} was not run: {refused}")
                continue
            notes += [f"{where}, {d}" for d in dropped]
        else:
            kept, _ = screen(source, f"cell {i + 1}", imports_only=True)
            kept = ("import", kept)  # kept below only for the names the answer cells use
        if kept:
            parts.append(kept)
    used = {n.id for part in parts if isinstance(part, str) for n in ast.walk(ast.parse(part))
            if isinstance(n, ast.Name)}
    lines = []
    for part in parts:
        if isinstance(part, tuple):  # an ordinary cell's imports: those of a name the answers use (no matplotlib
            for stmt in ast.parse(part[1]).body:  # for a chapter's `from rnn_course import plots`)
                stmt.names = [a for a in stmt.names if (a.asname or a.name).split(".")[0] in used]
                if stmt.names:
                    lines.append(ast.unparse(stmt))
        else:
            lines.append(part)
    return "\n".join(lines) + "\n", notes


def _python(source):
    """A cell's source as Python: IPython's magics and shell escapes become calls, which screen leaves out."""
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


# ---------------------------------------------------------------------------
# In the grading process

def _fingerprint():
    """What an answer must not change: every name of numpy's, the library's and the builtins' modules (the
    object each holds, a function's code and defaults), the trace and profile hooks, the running threads."""
    import sys
    import threading
    prints = {}
    for name, module in list(sys.modules.items()):
        if module is None or not (name in ("builtins", "math") or name.split(".")[0] in ("numpy", "rnn_course")):
            continue
        for key, value in list(vars(module).items()):
            prints[name, key] = (id(value), id(getattr(value, "__code__", None)),
                                 id(getattr(value, "__defaults__", None)), id(getattr(value, "__kwdefaults__", None)))
    return prints, sys.gettrace(), sys.getprofile(), threading.active_count()


def _changed(before, after):
    if before[1:] != after[1:]:
        return "the interpreter's trace hooks or threads"
    # Only what was there before: importing a module on first use adds modules and attributes, and adds nothing
    # that the checkers, imported before the answer, look up.
    names = sorted(f"{m}.{k}" for m, k in before[0] if before[0][m, k] != after[0].get((m, k)))
    return ", ".join(names[:3]) + (" ..." if len(names) > 3 else "")


def grade_program(name, program, answer, context):
    """Run the screened program in this process and grade ``answer`` (an expression in it) with ``grade``.

    Returns (passed, text): the verdict as the learner reads it. Used in the fresh grading process; the
    tests call it directly to prove that the book's own solutions pass the screen.
    """
    import contextlib
    import io
    import linecache

    from . import grade
    from ._run import last_line

    before = _fingerprint()
    filename = "<your answer cells>"
    linecache.cache[filename] = (len(program), None, program.splitlines(True), filename)
    namespace = {"__name__": "__main__", "__builtins__": __builtins__}
    shown = io.StringIO()
    try:
        exec(compile(program, filename, "exec"), namespace)
        value = eval(answer, namespace)
        kwargs = {key: eval(expr, namespace) for key, expr in context.items()}
        with contextlib.redirect_stdout(shown):
            result = grade(name, value, **kwargs)
        passed, text = True, str(result)
    except NameError as exc:
        passed, text = False, (f"[Not yet] {name}: {last_line(exc)}. The grader runs your answer cells on their "
                               f"own: define every name your answer uses in an answer cell")
    except AssertionError as exc:
        passed, text = False, str(exc)
    except BaseException as exc:  # the learner's code, at definition time
        passed, text = False, f"[Not yet] {name}: your answer cells could not run: {last_line(exc)}"
    changed = _changed(before, _fingerprint())
    if changed:
        passed, text = False, (f"[Not yet] {name}: your answer changed the grader's own code while it ran "
                               f"({changed}), so it earns no points")
    prints = shown.getvalue().strip()
    return passed, text + ("\n" + prints if prints else "")


def _limit(memory_mb, seconds):
    import resource
    size = int(memory_mb) << 20
    resource.setrlimit(resource.RLIMIT_AS, (size, size))
    cpu = max(1, int(seconds) + 1)
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))


def _main():
    """The grading process's whole life (``python -P -m rnn_course.exercises._isolated``, the job as JSON on
    stdin): drop relative sys.path entries, set the limits, grade, and write the verdict as one JSON line
    after the job's nonce, which the student's code cannot know."""
    import sys
    job = json.loads(sys.stdin.read())
    sys.path[:] = [p for p in sys.path if p and os.path.isabs(p)]  # nothing from the student's folder
    try:
        _limit(job["memory_mb"], job["timeout"])
        passed, text = grade_program(job["name"], job["program"], job["answer"], job["context"])
    except BaseException as exc:  # noqa: BLE001 - whatever happened, the verdict is "no points"
        passed, text = False, f"[Not yet] the grader could not run this exercise: {type(exc).__name__}: {exc}"
    sys.__stdout__.write(job["nonce"] + json.dumps({"passed": bool(passed), "text": str(text)}) + "\n")
    sys.__stdout__.flush()
    os._exit(0)


# ---------------------------------------------------------------------------
# In nbgrader's own process

def memory_limit_mb():
    """RNN_COURSE_MEMORY_LIMIT (MB of address space) when set, else MEMORY_LIMIT_MB."""
    return env_number("RNN_COURSE_MEMORY_LIMIT", MEMORY_LIMIT_MB, int)


def grade_timeout():
    """RNN_COURSE_GRADE_TIMEOUT (seconds per exercise) when set, else GRADE_TIMEOUT."""
    return env_number("RNN_COURSE_GRADE_TIMEOUT", GRADE_TIMEOUT)


def kernel_arguments(memory_mb=None):
    """The kernel command-line arguments that cap a student's kernel at memory_mb MB of address space
    (nbgrader's ``c.Execute.extra_arguments``). The kernel sets its own hard limit before any cell runs, so
    the student's code cannot raise it again."""
    size = int(memory_mb or memory_limit_mb()) << 20
    return [f"--IPKernelApp.exec_lines=import resource as _r; _r.setrlimit(_r.RLIMIT_AS, ({size}, {size})); del _r"]


def grade_in_fresh_process(name, program, answer, context, cwd):
    """(passed, text) for one exercise, graded in a new Python process started in the student's folder.

    The process runs with ``-P`` (PYTHONSAFEPATH): a module the student handed in beside the notebook, which
    nbgrader copies into that folder, is never imported in place of numpy or the checkers.
    """
    import secrets
    import subprocess
    import sys
    timeout = grade_timeout()
    nonce = secrets.token_hex(16)
    job = json.dumps({"name": name, "program": program, "answer": answer, "context": context, "nonce": nonce,
                      "memory_mb": memory_limit_mb(), "timeout": timeout})
    code = None
    try:
        done = subprocess.run([sys.executable, "-P", "-m", "rnn_course.exercises._isolated"], input=job,
                              capture_output=True, text=True, cwd=str(cwd), timeout=timeout + 5,
                              env=dict(os.environ, PYTHONSAFEPATH="1"))
        code = done.returncode
        for line in reversed(done.stdout.splitlines()):
            if line.startswith(nonce):
                verdict = json.loads(line[len(nonce):])
                return bool(verdict["passed"]), str(verdict["text"])
    except (subprocess.TimeoutExpired, ValueError, KeyError):
        pass
    return False, (f"[Not yet] {name}: the grading of your answer ended without a verdict (it ran out of its "
                   f"{timeout:g} s or {memory_limit_mb()} MB, or the process was killed: exit code "
                   f"{code}), so it earns no points")


def _gradebook_path(resources):
    url = resources.get("nbgrader", {}).get("db_url", "")
    return url[len("sqlite:///"):] if url.startswith("sqlite:///") else None


class GradebookSnapshot:
    """nbgrader preprocessor (just before Execute): keeps the gradebook's bytes, so that FreshProcessGrades can
    tell whether the student's kernel wrote to it (a kernel runs as the grader's user and could set its own
    scores in an SQLite gradebook)."""

    def __call__(self, nb, resources):
        path = _gradebook_path(resources)
        if path and os.path.isfile(path):
            with open(path, "rb") as f:
                resources["rnn_course_gradebook"] = (path, f.read())
        return nb, resources


def _restore_gradebook(resources):
    """True if the kernel changed the gradebook; then its bytes are written back and a left-over journal goes."""
    path, before = resources.pop("rnn_course_gradebook", (None, None))
    if path is None:
        return False
    with open(path, "rb") as f:
        now = f.read()
    leftovers = [p for p in (path + "-journal", path + "-wal") if os.path.exists(p)]
    if now == before and not leftovers:
        return False
    with open(path, "r+b") as f:  # in place: nbgrader's own connections keep the same file
        f.write(before)
        f.truncate()
    for leftover in leftovers:
        os.remove(leftover)
    return True


class FreshProcessGrades:
    """nbgrader preprocessor (after Execute): the verdict of each ``grade(...)`` tests cell, decided in a fresh
    process from the screened answer cells, replaces what the student's kernel showed when they differ or
    when it failed; SaveAutoGrades then scores the outputs written here. When the kernel wrote to the
    gradebook, the gradebook is restored and every tests cell of the notebook fails."""

    def __call__(self, nb, resources):
        cwd = resources.get("metadata", {}).get("path") or "."
        tampered = _restore_gradebook(resources)
        cells = nb["cells"]
        for index, cell in enumerate(cells):
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if cell.get("cell_type") != "code" or not meta.get("grade") or meta.get("solution"):
                continue
            source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
            try:
                call = grade_call(source)
            except (SyntaxError, ValueError):
                call = None
            if call is None:
                continue
            name, answer, context = call
            own = str(meta.get("grade_id", "")).removesuffix("-check") + "-answer"
            if tampered:
                passed, text = False, (f"[Not yet] {name}: this notebook wrote to the course's gradebook while it "
                                       f"ran; the change was undone, and no exercise of the notebook earns points")
            else:
                try:
                    program, notes = program_for(cells, index, own)
                except Refused as refused:
                    passed, text = False, f"[Not yet] {name}: {refused}."
                else:
                    passed, text = grade_in_fresh_process(name, program, answer, context, cwd)
                    if notes:
                        text += ("\nThe grader runs only the definitions in your answer cells (def, class, import, "
                                 "and names set to plain values): " + "; ".join(notes) + ".")
            kernel_failed = any(o.get("output_type") == "error" for o in cell.get("outputs", []))
            if not passed and not kernel_failed:
                text += ("\n(For the grader: in the student's own kernel this tests cell did not fail. The verdict "
                         "above is the one the grader decided apart from it.)")
            cell["outputs"] = _outputs(cell.get("outputs", []), passed, text)
        return nb, resources


def _outputs(kernel_outputs, passed, text):
    """The tests cell's outputs for the verdict: the kernel's display when it agrees, else the verdict."""
    from nbformat.v4 import new_output
    if passed:
        clean = [o for o in kernel_outputs if o.get("output_type") in ("display_data", "stream")
                 and not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
        kernel_failed = any(o.get("output_type") == "error" for o in kernel_outputs)
        if clean and not kernel_failed:
            return clean
        return [new_output("display_data", data={"text/plain": text})]
    lines = text.splitlines() or [text]
    return [new_output("error", ename="AssertionError", evalue=text, traceback=lines)]


if __name__ == "__main__":
    _main()
