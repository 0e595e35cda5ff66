"""The grade that nbgrader records, decided where a student's notebook cannot reach (issue 18, item 6).

A student's notebook runs in one kernel with the tests cells that grade it, so
in that kernel its code can change anything the tests cells use: redefine
``check`` or ``grade``, monkeypatch ``rnn_course.exercises`` or numpy, even
rewrite every later cell before it runs (IPython's input transformers). So the
kernel's verdicts are only the student's feedback. The recorded verdict comes
from ``FreshProcessGrades``, an nbgrader preprocessor that the course's
``nbgrader_config.py`` puts right after nbgrader's Execute. For every tests
cell it grades the exercise again, with two processes of its own:

- the grading process (``_main``, a new Python started with ``-P``: nothing is
  imported from the student's folder), which imports the checkers, makes itself
  non-dumpable and runs ``grade``, and never runs a line of the student's: the
  answer it grades is a stand-in whose calls go to
- the student's process (``_remote``), forked from the grading process before
  that reads its job (nothing of the job is in it), which receives the student's *source*,
  not objects: up to that tests cell, the answer cells and the cells the
  student added, screened by ``_screen`` (every top-level statement runs as in
  the kernel, but what no exercise needs, such as ``getattr``, ``open``, dunder
  attributes, ``sys``/``os``/``gc``/frames or storing into another module's
  attributes, is refused with a sentence), and the imports of the chapter's own
  cells that those use. It drops its capabilities, refuses from the first of
  those cells on what no answer needs (an audit hook: writing files, reading
  outside the installation, the library and the student's folder, processes,
  sockets, signals, foreign functions), runs them cell by cell (a
  cell that raises or runs past TIME_LIMIT stops there, as in the kernel, while
  grading goes on), then calls the student's functions on the arguments the
  checker chose and sends back, as data the grading process reads without
  unpickling or running anything, what they returned and changed;
- both run under an address-space limit (RLIMIT_AS) and a CPU-time limit, and
  each call of the learner's function under the checker's own guards
  (TIME_LIMIT per call, captured prints);
- an answer that passes the check's own cases (seed 0, public in the
  checkers' source) is graded again on cases drawn from a seed of the hand-in's
  own (``grading_seed``, recorded in the notebook's metadata), which the
  student's code never sees: a table of the public cases' answers fails;
- the student's process watches, while the checker calls the answer, for
  calls of the library's own work for that exercise (its reference function and
  the other routes to it in ``_SAME_WORK``) made from the student's code: such
  an answer scores 0; and after the last call it compares numpy's, the
  library's and the builtins' names with what they were before: an answer that
  changed them scores 0. (Code that gets past the screen could silence both
  there; it cannot reach the verdict.)

The preprocessor then writes that verdict into the tests cell's outputs, which
nbgrader's SaveAutoGrades scores (an error output: 0 points): a failed exercise
shows the verdict and nothing of the grader's own traceback. It also records in
the autograded notebook's metadata (``rnn_course.flags``) why the hand-in
deserves a teacher's reading: a statement the screen refused, a change found by
the integrity check, a call of the library's own work, a write to the gradebook, or a tests cell that the student
edited or deleted (found before nbgrader restores it, by ``TestsCellsCheck`` in
the sanitizing step). ``python -m rnn_course.exercises.flagged`` lists them for
the class in ``flagged.csv``.

Limits, from the grader's environment: RNN_COURSE_MEMORY_LIMIT (MB of address
space per grading process and per kernel, default 4096), RNN_COURSE_GRADE_TIMEOUT
(seconds of wall time per exercise, default 300; its CPU-time limit is the same),
and RNN_COURSE_TIME_LIMIT (per call of the learner's function, see ``_run``, and per
cell of the student's that the grader runs).

The screen is a filter, not a proof; what decides the grade is the split: the
student's code runs in a process that can only hand values to the checker. The
README's "Instructor edition" says what the documented container adds.
"""

from __future__ import annotations

import json
import os
from typing import NamedTuple

from ._run import env_number
from ._screen import chapter_cells, grade_call, program_for

#: Default MB of address space for each grading process and each student's kernel.
MEMORY_LIMIT_MB = 4096
#: Default seconds of wall time (and of CPU time) for grading one exercise.
GRADE_TIMEOUT = 300.0
#: The key of the notebook metadata where the grading steps leave their findings.
META = "rnn_course"
#: The grade_id prefix of the chapter's own code cells, nbgrader read-only cells (make_assignments); the rest of
#: the grade_id is the cell's id.
CHAPTER_CELL = "chapter-"

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


class Verdict(NamedTuple):
    """One exercise's grade: ``passed``, the ``text`` the learner reads, ``changed``, the names of numpy's,
    the library's or the builtins' that the answer changed while it ran ("" when none), ``library``, the
    library function that computes the exercise's answer and that the answer called ("" when none), and
    ``fresh``, the seed of the cases drawn afresh that the answer failed after it passed the check's own
    cases ("" when it did not), and ``tried``, what the student's code tried while graded that its process
    refused, such as "open '../x' to write" ("" when nothing)."""
    passed: bool
    text: str
    changed: str = ""
    library: str = ""
    fresh: str = ""
    tried: str = ""


def draws_cases(name):
    """True when exercise ``name``'s checker draws its cases from a ``seed`` (every implementation exercise's
    does; a concept question has one right answer and no cases)."""
    import inspect

    from . import EXERCISES
    ex = EXERCISES[name]
    return ex.kind == "implementation" and "seed" in inspect.signature(ex.checker).parameters


def grading_seed():
    """The seed of the cases drawn afresh for one hand-in: RNN_COURSE_GRADE_SEED when set (to grade again with
    the cases of an earlier grading, whose seed the autograded notebook records), else a new random one. Never
    0, the seed of the book's own cases."""
    import secrets
    text = os.environ.get("RNN_COURSE_GRADE_SEED", "").strip()
    if text:
        if not text.isdigit() or int(text) == 0:
            raise ValueError(f"RNN_COURSE_GRADE_SEED must be a whole number from 1 up, got {text!r}")
        return int(text)
    return 1 + secrets.randbelow(2**31 - 1)


#: Besides an exercise's reference (the library function a correct answer must match), the library code that
#: computes the same answer by another route: the kernel that the reference and the layer modules share, the
#: sequence-level function run for one step, a module's method, a composition that is the answer. A learner's
#: code that calls one of these while it is graded hands in the library's work, however the function was
#: reached (a wrapper, an alias, functools.partial, a layer). A route may hold only under a condition on the
#: called method's ``self``: a one-layer, one-direction RNN module is rnn_forward, which chapter 6 lets a
#: stacked or bidirectional forward call per layer.
_SAME_WORK = {
    "rnn_step_forward": ("rnn_course.rnn.rnn_forward", "rnn_course.rnn._rnn_forward", "rnn_course.mlp.mlp_forward"),
    "rnn_forward": ("rnn_course.rnn._rnn_forward",),
    "rnn_step_backward": ("rnn_course.rnn.rnn_backward", "rnn_course.rnn._rnn_backward"),
    "rnn_backward": ("rnn_course.rnn._rnn_backward",),
    "gru_step_forward": ("rnn_course.gru._gru_forward",),
    "gru_step_backward": ("rnn_course.gru._gru_backward",),
    "lstm_step_forward": ("rnn_course.lstm._lstm_forward",),
    "lstm_step_backward": ("rnn_course.lstm._lstm_backward",),
    "stacked_rnn_forward": (("rnn_course._recurrent.RecurrentModule.forward",
                             lambda module: _not_the_librarys(module) or module.num_layers > 1),),
    "bidirectional_rnn_forward": (("rnn_course._recurrent.RecurrentModule.forward",
                                   lambda module: _not_the_librarys(module) or module.num_directions > 1),),
    "one_hot": ("rnn_course.layers.embedding_forward",),
    "orthogonal_init": ("rnn_course.gradflow.orthogonal",),
    "greedy_decode": ("rnn_course.models._Decoder.greedy",),
    "adam_step": ("rnn_course.optim.Adam._update",),
    "train_model": ("rnn_course.train.fit",),
}


def _not_the_librarys(module):
    """True for a module of a class the library does not define (a student's subclass, whose properties could
    say one layer to the watch and run two)."""
    return not type(module).__module__.startswith("rnn_course.")


def _resolve(dotted):
    """The object at a dotted path such as ``rnn_course.models._Decoder.greedy``."""
    import importlib
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return obj
    raise ImportError(dotted)


def library_work(name):
    """{id(code): ("module.function", condition)} of the library code that computes exercise ``name``'s answer:
    its reference, when that is a library function, and the routes of ``_SAME_WORK``; condition is None or a
    test of the called method's ``self``. Empty for a concept."""
    from . import EXERCISES
    ex = EXERCISES[name]
    routes = [route if isinstance(route, tuple) else (route, None) for route in _SAME_WORK.get(name, ())]
    functions = [(_resolve(path), condition) for path, condition in routes]
    if ex.kind == "implementation":
        functions.append((ex.reference, None))
    work = {}
    for fn, condition in functions:
        code, module = getattr(fn, "__code__", None), getattr(fn, "__module__", "") or ""
        if code is not None and module.split(".")[0] == "rnn_course" and not module.startswith("rnn_course.exercises"):
            work[id(code)] = (f"{module}.{fn.__qualname__}", condition)
    return work


class _LibraryWatch:
    """A profile hook that notes the first call of the library's own work (``library_work``) made by the
    student's code, while ``active`` (while ``grade`` runs: a cell that calls the library at its top level, to
    compare, hands nothing in). A call is the student's when a frame below it on the stack runs code of the
    student's cells (``files``, the filenames they were compiled under) or is the checker's call of the
    learner's function (``_run.call_learner``: this also covers an answer that is no Python function, such as
    ``functools.partial(rnn_course.rnn_forward)``). The checker's own calls of the reference, which it compares
    the answer with, have neither below them."""

    def __init__(self, work, files):
        from ._run import call_learner
        self.work, self.files, self.found, self.active = work, files, "", False
        self.calls = {id(call_learner.__code__)}

    def __call__(self, frame, event, arg):
        if event != "call" or not self.active or self.found or id(frame.f_code) not in self.work:
            return
        name, condition = self.work[id(frame.f_code)]
        if condition is not None:
            try:
                if not condition(frame.f_locals.get("self")):
                    return
            except Exception:  # noqa: BLE001 - an odd self: the route's condition does not hold
                return
        caller = frame.f_back
        while caller is not None:
            if caller.f_code.co_filename in self.files or id(caller.f_code) in self.calls:
                self.found = name
                return
            caller = caller.f_back


def _discard(*args, **kwargs):
    """``display`` for the student's cells: the kernel's shows, the grader's has no one to show to."""


def _run_cell(where, source, namespace):
    """Run one screened cell in ``namespace``, as the kernel ran it: prints captured and dropped, stopped after
    TIME_LIMIT seconds (by SIGALRM, as ``_run.guarded`` stops a call; where that cannot be used, only the
    grading process's own timeout stops it). Returns None, or a note for the feedback when the cell stopped
    early."""
    import linecache
    import traceback

    from . import _run
    filename = f"<{where}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    try:
        code = compile(source, filename, "exec")
        with _run._captured():
            if _run._can_use_alarm():
                _run._with_alarm(exec, (code, namespace), {})
            else:
                exec(code, namespace)
    except _run._TimeUp:
        return f"{where} ran past {_run.TIME_LIMIT:g} s, so the grader stopped it there"
    except BaseException as exc:  # noqa: BLE001 - the student's code; the kernel went on after it too
        lines = [f.lineno for f in traceback.extract_tb(exc.__traceback__) if f.filename == filename]
        at = f" at line {lines[-1]}" if lines else ""
        return f"{where} stopped{at} with {_run.last_line(exc)}"
    return None


def grade_program(name, program, answer, context, fresh_seed=None, learner=None):
    """Grade ``answer`` (an expression of the student's program) with ``grade``, the student's code running in a
    process of its own (``_remote.Learner``), which this process never runs a line of.

    ``program``: a list of (where, source) cells, run one by one in the learner's process (see
    ``_screen.program_for``), or one source. ``context``: {argument: expression} for ``grade``.
    ``fresh_seed``: when given, an answer that passes the check's own cases (seed 0, the book's, public in
    the checkers' source) is graded again on cases drawn from this seed, which the student's code never sees: a
    table of the public cases' answers passes only the first. Returns a Verdict. Used in the grading process;
    the tests call it directly to prove that the book's own solutions pass the screen and earn their points.
    ``learner``: a ``_remote.Learner`` not yet started (the grading process forks one before it reads its
    job); None: a new one, started here.

    The learner's process watches, while the checker calls the student's functions, for the library's own work
    for this exercise called from the student's code (``_LibraryWatch``), and compares numpy's, the library's and
    the builtins' names before the program and after the last call (``_fingerprint``); it reports both at the
    end. It could lie about them only to lose points: the verdict itself is decided here, from what the
    student's functions returned.
    """
    import contextlib
    import io

    from . import grade
    from ._remote import Decoder, Learner, LearnerGone
    from ._run import last_line

    if isinstance(program, str):
        program = [("your answer cells", program)]
    fresh, changed, library, tried, stopped = "", "", "", "", []
    shown = io.StringIO()
    with learner or Learner(memory_limit_mb(), grade_timeout()) as learner:
        try:
            started = learner.start(name, program, answer, context)
            stopped = [str(note) for note in started.get("stopped", [])][:20]
            raised = started.get("raised")
            if raised:
                text = str(raised.get("line", "an exception")) if isinstance(raised, dict) else "an exception"
                if isinstance(raised, dict) and raised.get("base") == "NameError":
                    passed, text = False, (f"[Not yet] {name}: {text}. The grader runs your answer cells and the "
                                           f"cells you added, not the chapter's own cells: define every name your "
                                           f"answer uses in one of yours")
                else:
                    passed, text = False, f"[Not yet] {name}: your answer could not be graded: {text}"
            else:
                decoder = Decoder(learner)
                value = decoder.value(started.get("answer"))
                kwargs = {str(key): decoder.value(v) for key, v in dict(started.get("context", {})).items()}
                with contextlib.redirect_stdout(shown):
                    result = grade(name, value, **kwargs)
                if fresh_seed is not None and draws_cases(name) and "seed" not in kwargs:
                    again = io.StringIO()   # what the answer printed on the fresh cases: shown only if they fail
                    with contextlib.redirect_stdout(again):
                        try:
                            grade(name, value, seed=fresh_seed, **kwargs)
                        except AssertionError as exc:
                            fresh, shown = str(fresh_seed), again
                            raise AssertionError(
                                f"{exc}\nThe failing case was drawn afresh for this grading (seed {fresh_seed}); "
                                f"the book's own cases passed. The grader also checks every answer on new inputs, "
                                f"because an answer must be right for any input, not only for the check's "
                                f"cases.") from None
                passed, text = True, str(result)
        except AssertionError as exc:
            passed, text = False, str(exc)
        except LearnerGone as exc:
            passed, text = False, f"[Not yet] {name}: {exc.message}, so the answer could not be graded"
        except Exception as exc:  # noqa: BLE001 - e.g. an answer of a form the grader does not read
            passed, text = False, f"[Not yet] {name}: your answer could not be graded: {last_line(exc)}"
        library = learner.library   # what the learner said after each call
        try:
            report = learner.report()
            changed = str(report.get("changed", ""))[:300]
            library = library or str(report.get("library", ""))[:300]
            refused = report.get("refused")
            tried = "; ".join(str(what)[:200] for what in refused[:5]) if isinstance(refused, list) else ""
            if report.get("cleared") and passed:   # a RecursionError removed the watch: on purpose, or a fluke
                changed = "the grader's watch of its calls (removed by a RecursionError)"
        except LearnerGone:   # the learner's last check could not run: no points (it fails closed)
            if passed:
                changed = UNCHECKED
    if library:
        passed, text = False, (f"[Not yet] {name}: your code called the library's own {library}, which "
                               f"computes what this exercise asks you to write, so it earns no points: write it "
                               f"with numpy (the library's other functions, and yours, are welcome)")
    if changed == UNCHECKED:
        passed, text = False, (f"[Not yet] {name}: your code's process in the grader ended before the grader's "
                               f"checks after the last call could run (they look for changes to numpy and the "
                               f"library, and for calls of the library's own {name}), so it earns no points")
    elif changed:
        passed, text = False, (f"[Not yet] {name}: your answer changed the library's or numpy's code while it "
                               f"ran ({changed}), so it earns no points")
    if stopped and not passed:
        text += "\nIn the grader, " + "; ".join(stopped) + "."
    prints = shown.getvalue().strip()
    return Verdict(passed, text + ("\n" + prints if prints else ""), changed, library,
                   fresh if not (changed or library) else "", tried)


#: Verdict.changed when the student's process ended before the checks after the last call could run.
UNCHECKED = "its process, which ended before the checks after the last call"


def _limit(memory_mb, seconds):
    import resource
    size = int(memory_mb) << 20
    resource.setrlimit(resource.RLIMIT_AS, (size, size))
    cpu = max(1, int(seconds) + 1)
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))


def undumpable():
    """Make this process non-dumpable (Linux, prctl PR_SET_DUMPABLE 0): another process of the same user can then
    neither read nor write its memory (``/proc/<pid>/mem``, ptrace) nor open its pipes through
    ``/proc/<pid>/fd``. The grading process calls it first thing; the course's nbgrader_config.py calls it for
    ``nbgrader autograde``, whose memory holds every exercise's nonce. Returns whether it took effect."""
    return prctl(4, 0)   # PR_SET_DUMPABLE


def prctl(option, value):
    """Linux's prctl(option, value) for this process; returns whether it succeeded (False elsewhere)."""
    import ctypes
    import sys
    if not sys.platform.startswith("linux"):
        return False
    try:
        return ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def drop_privileges():
    """For a process about to run a student's code: no new privileges through execve (PR_SET_NO_NEW_PRIVS), and
    when it runs as root (a container, a CI machine), no capability, for good (the bounding set emptied first).
    It keeps its user: a process of the same user without CAP_SYS_PTRACE can neither read nor write the memory of
    a non-dumpable one (``undumpable``), the grading process's and nbgrader's. Linux only; returns whether the
    process holds no capability now."""
    import ctypes
    import sys
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        prctl(38, 1)                                     # PR_SET_NO_NEW_PRIVS
        for cap in range(64):
            prctl(24, cap)                               # PR_CAPBSET_DROP (EINVAL past the last capability)

        class Header(ctypes.Structure):
            _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

        class Data(ctypes.Structure):
            _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                        ("inheritable", ctypes.c_uint32)]

        libc.capset(ctypes.byref(Header(0x20080522, 0)), (Data * 2)())   # _LINUX_CAPABILITY_VERSION_3
        with open("/proc/self/status") as f:
            return all(int(line.split()[1], 16) == 0 for line in f
                       if line.startswith(("CapEff:", "CapPrm:", "CapBnd:")))
    except (OSError, AttributeError, ValueError):
        return False


def _main():
    """The grading process's whole life (``python -P -m rnn_course.exercises._isolated``, the job as JSON on
    stdin): become non-dumpable, drop relative sys.path entries, set the limits, grade (the student's code in a
    process of its own, ``grade_program``), and write the verdict as one JSON line after the job's nonce."""
    import sys

    from ._remote import Learner
    undumpable()
    sys.path[:] = [p for p in sys.path if p and os.path.isabs(p)]  # nothing from the student's folder
    learner = Learner(memory_limit_mb(), grade_timeout(), fork=True)   # before the job is read: none of it there
    job = json.loads(sys.stdin.read())
    try:
        _limit(job["memory_mb"], job["timeout"])
        verdict = grade_program(job["name"], job["program"], job["answer"], job["context"], job.get("fresh_seed"),
                                learner)
    except BaseException as exc:  # noqa: BLE001 - whatever happened, the verdict is "no points"
        verdict = Verdict(False, f"[Not yet] the grader could not run this exercise: {type(exc).__name__}: {exc}")
    sys.__stdout__.write(job["nonce"] + json.dumps({"passed": bool(verdict.passed), "text": str(verdict.text),
                                                    "changed": str(verdict.changed),
                                                    "library": str(verdict.library),
                                                    "fresh": str(verdict.fresh),
                                                    "tried": str(verdict.tried)}) + "\n")
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
    """The kernel command-line arguments that cap a student's kernel at memory_mb MB of address space and take
    its privileges (``drop_privileges``; nbgrader's ``c.Execute.extra_arguments``). The kernel sets its own hard
    limit and drops its capabilities before any cell runs, so the student's code cannot undo either."""
    size = int(memory_mb or memory_limit_mb()) << 20
    # sys.path without its relative entries while the two modules are imported: a module handed in beside the
    # notebook (a resource.py) is not imported in their place
    return [f"--IPKernelApp.exec_lines=import sys as _s, os as _o; _p = list(_s.path); "
            f"_s.path[:] = [p for p in _p if p.startswith('/') and p != _o.getcwd()]; "
            f"import resource as _r; _r.setrlimit(_r.RLIMIT_AS, ({size}, {size})); "
            f"import rnn_course.exercises._isolated as _i; _i.drop_privileges(); _s.path[:] = _p; "
            f"del _s, _o, _p, _r, _i"]


def grade_in_fresh_process(name, program, answer, context, cwd, fresh_seed=None):
    """The Verdict for one exercise, graded in a new Python process started in the student's folder
    (``fresh_seed``: see ``grade_program``).

    The process runs with ``-P`` (PYTHONSAFEPATH): a module the student handed in beside the notebook, which
    nbgrader copies into that folder, is never imported in place of numpy or the checkers.
    """
    import secrets
    import subprocess
    import sys
    timeout = grade_timeout()
    nonce = secrets.token_hex(16)
    job = json.dumps({"name": name, "program": program, "answer": answer, "context": context, "nonce": nonce,
                      "fresh_seed": fresh_seed,
                      "memory_mb": memory_limit_mb(), "timeout": timeout})
    code = None
    before = _descendants()
    try:
        done = subprocess.run([sys.executable, "-P", "-m", "rnn_course.exercises._isolated"], input=job,
                              capture_output=True, text=True, cwd=str(cwd), timeout=timeout + 5,
                              env=dict(os.environ, PYTHONSAFEPATH="1"))
        code = done.returncode
        for line in reversed(done.stdout.splitlines()):
            if line.startswith(nonce):
                verdict = json.loads(line[len(nonce):])
                return Verdict(bool(verdict["passed"]), str(verdict["text"]), str(verdict["changed"]),
                               str(verdict.get("library", "")), str(verdict.get("fresh", "")),
                               str(verdict.get("tried", "")))
    except (subprocess.TimeoutExpired, ValueError, KeyError):
        pass
    finally:   # the student's process, should it outlive the grading process (it is made to die with it)
        _end_left_processes(before)
    return Verdict(False, f"[Not yet] {name}: the grading of your answer ended without a verdict (it ran out of "
                          f"its {timeout:g} s or {memory_limit_mb()} MB, or the process was killed: exit code "
                          f"{code}), so it earns no points")


def _gradebook_path(resources):
    url = resources.get("nbgrader", {}).get("db_url", "")
    return url[len("sqlite:///"):] if url.startswith("sqlite:///") else None


#: The course directory, set by the course's nbgrader_config.py (the folder it is in); None: nbgrader's cwd.
COURSE_ROOT = None
#: Files of the course directory that nbgrader itself writes while a kernel runs: its log and the gradebook
#: (whose bytes are kept whole and checked apart, _restore_gradebook).
_NBGRADER_OWN = (".nbgrader.log",)
#: Bytes kept for restoring a changed file: files up to this size, outside the students' folders.
_KEEP_BYTES = 4 << 20


def _course_root():
    return os.path.realpath(COURSE_ROOT or os.getcwd())


def _own_folders(resources, root):
    """The student's own folders for this notebook, which the kernel may write: autograded/<student>/<assignment>
    (its working directory) and submitted/<student>/<assignment>."""
    own = {os.path.realpath(resources.get("metadata", {}).get("path") or ".")}
    info = resources.get("nbgrader", {})
    student, assignment = info.get("student"), info.get("assignment")
    if student and assignment:
        own |= {os.path.join(root, step, str(student), str(assignment)) for step in ("submitted", "autograded")}
    return own


def _course_files(root, skip):
    """{relative path: (size, mtime_ns, kept bytes or None)} of the course directory's files outside ``skip``
    (absolute folders and files). A file of another student's folder is recorded by its size and time only."""
    files = {}
    for folder, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if os.path.join(folder, d) not in skip]
        links = [d for d in dirs if os.path.islink(os.path.join(folder, d))]   # os.walk does not enter them
        for name in names + links:
            path = os.path.join(folder, name)
            if path in skip:
                continue
            try:
                st = os.lstat(path)
            except OSError:
                continue
            rel = os.path.relpath(path, root)
            keep = None
            if st.st_size <= _KEEP_BYTES and rel.split(os.sep)[0] not in ("submitted", "autograded", "feedback"):
                try:
                    with open(path, "rb") as f:
                        keep = f.read()
                except OSError:
                    pass
            files[rel] = (st.st_size, st.st_mtime_ns, keep)
    return files


def become_subreaper():
    """Make this process (nbgrader autograde) the one that inherits every process its kernels leave behind,
    however they detach (a double fork, setsid), instead of the system's init: FreshProcessGrades can then end
    them before it checks the gradebook and the course tree, so that nothing of a hand-in's still runs while
    another is graded or after. Linux only (prctl PR_SET_CHILD_SUBREAPER); returns whether it took effect.
    The course's nbgrader_config.py calls it for ``nbgrader autograde`` only, not in a Jupyter server."""
    return prctl(36, 1)   # PR_SET_CHILD_SUBREAPER


def _descendants():
    """The process ids of this process's descendants, from /proc (Linux); empty where /proc is missing."""
    parents = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return set()
    for entry in entries:
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as f:
                    stat = f.read()
                parents[int(entry)] = int(stat[stat.rindex(b")") + 2:].split()[1])   # the field after state
            except (OSError, ValueError, IndexError):
                continue
    found, frontier = set(), {os.getpid()}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _children():
    """The process ids of this process's own children (those of every thread), from /proc/self/task/*/children
    (Linux): read in microseconds, where a walk of /proc takes milliseconds."""
    found = set()
    try:
        tasks = os.listdir("/proc/self/task")
    except OSError:
        return found
    for tid in tasks:
        try:
            with open(f"/proc/self/task/{tid}/children") as f:
                found.update(int(pid) for pid in f.read().split())
        except (OSError, ValueError):
            continue
    return found


#: Seconds that _end_left_processes goes on stopping new processes before it kills what it stopped.
END_SECONDS = 10.0


def _end_left_processes(before, seconds=END_SECONDS):
    """Stop, then kill, the descendants that were not there before the kernel started (``before``): what the
    kernel left running (with become_subreaper, even a detached one is a descendant); then reap them. Returns
    how many.

    Stopped first (SIGSTOP), because a stopped process forks no more: a process that forks the next and exits,
    every fraction of a millisecond, outran twenty rounds of killing what a walk of /proc had found (a 5th
    teacher's try). Its next generation is this process's own child (the subreaper inherits it), which
    ``_children`` finds at once. Rounds go on, with no cap on their number, until two walks of the whole tree
    10 ms apart find no process that is not stopped, or ``seconds`` have passed; then everything stopped is
    killed."""
    import signal
    import time
    stopped, quiet = set(), 0
    deadline = time.monotonic() + seconds
    while quiet < 2 and time.monotonic() < deadline:
        fresh = _children() - before - stopped
        if not fresh:
            fresh = _descendants() - before - stopped
            if not fresh:
                quiet += 1
                time.sleep(0.01)
                continue
        quiet = 0
        for pid in fresh:
            try:
                os.kill(pid, signal.SIGSTOP)
            except OSError:
                pass
        stopped |= fresh
    for pid in stopped:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline:   # reap them, and the generations that exited on their own
        try:
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass
        except ChildProcessError:
            break
        if not _descendants() - before:
            break
        time.sleep(0.005)
    return len(stopped)


class GradebookSnapshot:
    """nbgrader preprocessor (just before Execute): keeps the gradebook's bytes, so that FreshProcessGrades can
    tell whether the student's kernel wrote to it (a kernel runs as the grader's user and could set its own
    scores in an SQLite gradebook), and records the course directory's files outside the student's own
    folders (path, size, time; the bytes of those outside the students' folders), so that FreshProcessGrades
    can undo what the kernel wrote there (a planted module, an edited config or source version)."""

    def __call__(self, nb, resources):
        path = _gradebook_path(resources)
        if path and os.path.isfile(path):
            with open(path, "rb") as f:
                resources["rnn_course_gradebook"] = (path, f.read())
        root = _course_root()
        skip = _own_folders(resources, root) | {os.path.join(root, n) for n in _NBGRADER_OWN}
        if path:
            gradebook = os.path.realpath(path)
            skip |= {gradebook, gradebook + "-journal", gradebook + "-wal", gradebook + "-shm"}
        resources["rnn_course_tree"] = (root, skip, _course_files(root, skip))
        resources["rnn_course_processes"] = _descendants()
        return nb, resources


def _restore_tree(resources):
    """The course directory's files (relative paths) that the kernel created, changed or deleted outside the
    student's own folders, after undoing what can be undone: a new file is removed (and the folders it made,
    when empty), a changed or deleted file whose bytes were kept is written back. A file of another student's
    folder cannot be written back; its path says "(not restored)"."""
    root, skip, before = resources.pop("rnn_course_tree", (None, None, None))
    if root is None:
        return []
    after = _course_files(root, skip)
    found = []
    for rel in sorted(set(after) - set(before)):
        path = os.path.join(root, rel)
        try:
            os.remove(path)
        except OSError:
            pass
        folder = os.path.dirname(path)
        while folder != root and folder.startswith(root + os.sep):
            try:
                os.rmdir(folder)   # only when empty
            except OSError:
                break
            folder = os.path.dirname(folder)
        found.append(rel)
    for rel, (size, mtime, keep) in sorted(before.items()):
        now = after.get(rel)
        if now is not None and now[:2] == (size, mtime) and (keep is None or now[2] == keep):
            continue
        path = os.path.join(root, rel)
        if keep is None:
            found.append(rel + " (not restored)")
            continue
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(keep)
        os.utime(path, ns=(mtime, mtime))
        found.append(rel)
    return found


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


def _findings(nb):
    """The notebook's ``rnn_course`` metadata as a dict (a hand-in may hold anything there)."""
    found = nb.metadata.get(META) if hasattr(nb, "metadata") else nb.get("metadata", {}).get(META)
    if not isinstance(found, dict):
        found = {}
    nb["metadata"][META] = found
    return found


def _tests_cell(cell):
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.get("cell_type") == "code" and bool(meta.get("grade")) and not meta.get("solution")


class TestsCellsCheck:
    """nbgrader preprocessor of autograde's sanitizing step, just before OverwriteCells, which restores the
    tests cells and the chapter's read-only cells: records in the notebook's metadata (``rnn_course.tests_cells``,
    grade_id -> "edited" or "deleted") each tests cell that the hand-in changed or lacks, for FreshProcessGrades
    to flag. A hand-in's own value of that entry is replaced.

    It also gives back their nbgrader metadata to the chapter's cells (found by cell id) whose metadata the
    hand-in removed or changed, so that OverwriteCells restores them too, and records their ids
    (``rnn_course.chapter_cells_unmarked``), which are flagged: without it, an edited chapter cell would run in
    the kernel as the student wrote it, and print what it likes into the feedback."""

    def __call__(self, nb, resources):
        from nbformat import from_dict
        from nbgrader.api import Gradebook
        info = resources["nbgrader"]
        handed_in = {}
        for cell in nb["cells"]:
            if _tests_cell(cell):
                handed_in[cell["metadata"]["nbgrader"].get("grade_id")] = cell["source"]
        changes, unmarked = {}, []
        with Gradebook(info["db_url"]) as gradebook:
            notebook = gradebook.find_notebook(info["notebook"], info["assignment"])
            chapter = {c.name[len(CHAPTER_CELL):]: c.name for c in notebook.source_cells
                       if c.name.startswith(CHAPTER_CELL) and c.locked}
            for cell in nb["cells"]:
                name = chapter.get(cell.get("id"))
                meta = cell.get("metadata", {}).get("nbgrader", {})
                if name and cell.get("cell_type") == "code" and (meta.get("grade_id") != name
                                                                  or not meta.get("locked")):
                    cell.setdefault("metadata", from_dict({}))["nbgrader"] = from_dict({
                        "schema_version": 3, "grade": False, "solution": False, "locked": True, "task": False,
                        "grade_id": name})
                    unmarked.append(cell["id"])
            answers = {c.name for c in notebook.solution_cells}
            for cell in notebook.source_cells:
                if cell.name in answers or cell.name not in {g.name for g in notebook.grade_cells}:
                    continue
                if cell.name not in handed_in:
                    changes[cell.name] = "deleted"
                elif handed_in[cell.name].rstrip() != cell.source.rstrip():
                    changes[cell.name] = "edited"
        _findings(nb)["tests_cells"] = changes
        _findings(nb)["chapter_cells_unmarked"] = unmarked
        return nb, resources


class FreshProcessGrades:
    """nbgrader preprocessor (after Execute): the verdict of each ``grade(...)`` tests cell, decided in a fresh
    process from the screened answer cells and the cells the student added, replaces what the student's kernel
    showed when they differ or when it failed; SaveAutoGrades then scores the outputs written here. When the
    kernel wrote to the gradebook, the gradebook is restored and every tests cell of the notebook fails.

    When the kernel created, changed or deleted a file of the course directory outside the student's own
    folders (GradebookSnapshot's record), that is undone as far as it can be (``_restore_tree``), and every tests
    cell of the notebook fails with the path in its feedback.

    It writes the notebook's flags, a list of {"exercise": ..., "reason": ...}, into its metadata
    (``rnn_course.flags``), replacing whatever the hand-in held there: what the screen refused, what the
    integrity check found changed, a write to the gradebook or elsewhere in the course directory, a tests
    cell edited or deleted (TestsCellsCheck). "exercise" is the exercise's label (``ex-one-hot``) for its answer
    cell and tests cell; the added cell's position (``added cell 1 before answer cell 1``) for a statement
    refused in a cell the student added; ``all`` for a write outside the notebook's folder.
    """

    def __call__(self, nb, resources):
        cwd = resources.get("metadata", {}).get("path") or "."
        # The kernel has been shut down: end what it left running before anything is checked (a process that
        # waits for the kernel to go and then edits the gradebook, a teacher's try), so that the checks below
        # see all it did, and it can do nothing after them.
        left = _end_left_processes(resources.pop("rnn_course_processes", _descendants()))
        # the records taken before the kernel ran, kept to check again after the grading processes
        records = {key: resources.get(key) for key in ("rnn_course_tree", "rnn_course_gradebook")}
        tampered = _restore_gradebook(resources)
        findings = _findings(nb)
        changed_tests = findings.pop("tests_cells", {})
        changed_tests = changed_tests if isinstance(changed_tests, dict) else {}
        unmarked = findings.pop("chapter_cells_unmarked", [])
        chapter = chapter_cells(nb.get("metadata"))
        seed = findings["grading_seed"] = grading_seed()   # one per hand-in, recorded to grade again alike
        flags = []

        def flag(exercise, reason):  # once per reason: a statement refused in one cell is in every later program
            if reason not in (f["reason"] for f in flags):
                flags.append({"exercise": exercise, "reason": reason})

        if tampered:
            flag("all", "the notebook wrote to the course's gradebook while it ran (undone; every exercise scores 0)")
        if left:
            flag("all", f"its kernel left {left} process{'es' if left > 1 else ''} running, ended before grading")
        for cell_id in unmarked if isinstance(unmarked, list) else []:
            flag("all", f"the nbgrader metadata of the chapter's cell {cell_id} was removed or changed in the "
                        f"hand-in (put back, and the cell restored, before the notebook ran)")
        wrote = _restore_tree(resources)
        for path in wrote:
            flag("all", f"its kernel wrote {path} outside its folder (undone; every exercise scores 0)")
        cells = nb["cells"]
        for index, cell in enumerate(cells):
            if not _tests_cell(cell):
                continue
            source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
            try:
                call = grade_call(source)
            except (SyntaxError, ValueError):
                call = None
            if call is None:
                continue
            name, answer, context = call
            grade_id = str(cell["metadata"]["nbgrader"].get("grade_id", ""))
            label = grade_id.removesuffix("-check")
            if grade_id in changed_tests:
                flag(label, f"its tests cell was {changed_tests[grade_id]} in the hand-in (restored before grading)")
            library = verdict_fresh = ""
            if tampered:
                passed, text = False, (f"[Not yet] {name}: this notebook wrote to the course's gradebook while it "
                                       f"ran; the change was undone, and no exercise of the notebook earns points")
            else:
                program = program_for(cells, index, f"{label}-answer", chapter)
                for refused in program.refused + [program.own]:
                    if refused is not None and refused.reason:   # an added cell's under its own position
                        where = refused.where if refused.where.startswith("added cell") else label
                        flag(where, f"the screen refused {refused.reason}")
                if program.own:
                    passed, text = False, f"[Not yet] {name}: {program.own}."
                else:
                    verdict = grade_in_fresh_process(name, program.cells, answer, context, cwd, seed)
                    passed, text, library, verdict_fresh = (verdict.passed, verdict.text, verdict.library,
                                                            verdict.fresh)
                    if verdict.changed:
                        flag(label, "its grading's checks could not run: " + verdict.changed
                             if verdict.changed == UNCHECKED else f"the integrity check found {verdict.changed} changed")
                    if verdict.library:
                        flag(label, f"the answer to {name} called the library's own {verdict.library}, which "
                                    f"computes what the exercise asks for")
                    if verdict.tried:
                        flag(label, f"while graded, its code tried to {verdict.tried} (refused)")
                    if verdict.fresh:
                        flag(label, f"the answer to {name} passed the check's own cases and failed cases drawn "
                                    f"afresh (seed {verdict.fresh}): an answer right only for the public cases, "
                                    f"such as a table of their answers, or a mistake those cases miss")
                    if program.notes and not passed:
                        text += "\nNot run by the grader: " + "; ".join(program.notes) + "."
            if wrote and not tampered:
                passed, text = False, ("" if passed else text + "\n") + (
                                       f"[Not yet] {name}: this notebook's kernel wrote "
                                       f"{', '.join(wrote[:3])}{' ...' if len(wrote) > 3 else ''} in the course "
                                       f"directory, outside its own folder; the change was undone, and no "
                                       f"exercise of the notebook earns points")
            kernel_failed = any(o.get("output_type") == "error" for o in cell.get("outputs", []))
            if not passed and not kernel_failed and library:
                text += ("\n(In your own notebook this check passed: it compares your answer's results with the "
                         "library's. The grade also asks that the answer be your own code.)")
            elif not passed and not kernel_failed and "is not defined" in text:
                text += ("\n(In your own notebook this check passed. The grader runs your answer cells and the "
                         "cells you added on their own, without the chapter's cells: an answer that uses a name "
                         "from one of those, or from a chapter cell you edited, passes there and not here.)")
            elif not passed and not kernel_failed and verdict_fresh:
                text += "\n(In your own notebook this check passed: it uses the book's cases only.)"
            elif not passed and not kernel_failed:   # a refused statement, a write outside the folder, a change
                text += ("\n(In your own notebook this check passed. The grade comes from the grader, which runs "
                         "your cells apart from your notebook by the rules named above.)")
            cell["outputs"] = _outputs(cell.get("outputs", []), passed, text)
        # The grading processes run the student's cells too: what they wrote outside the student's own folders
        # (the course directory, another student's files, the gradebook) is undone where it can be, flagged,
        # and costs every exercise of the notebook (a 5th teacher's try wrote through pathlib.Path).
        resources.update({key: value for key, value in records.items() if value is not None})
        graded_wrote = (("the gradebook",) if _restore_gradebook(resources) else ()) + tuple(
            path for path in _restore_tree(resources) if path not in wrote)
        if graded_wrote:
            flag("all", f"its grading wrote {', '.join(graded_wrote[:3])}{' ...' if len(graded_wrote) > 3 else ''} "
                        f"outside its folder (undone where it could be; every exercise scores 0)")
            for cell in cells:
                if _tests_cell(cell):
                    outputs = cell.get("outputs", [])
                    text = "".join(o.get("evalue", "") for o in outputs if o.get("output_type") == "error")
                    cell["outputs"] = _outputs(outputs, False, (text + "\n" if text else "") + (
                        "[Not yet] while this notebook was graded, its code wrote outside its own folder; the "
                        "change was undone where it could be, and no exercise of the notebook earns points"))
        findings["flags"] = flags
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
