"""Running a learner's function safely: spotting an untouched stub, catching
exceptions, noticing mutated inputs, and comparing arrays in a way that
yields a sentence.

Every call of a learner's function goes through ``guarded``, which adds the
guards once for all the checkers: a time limit, captured and capped prints,
and ``SystemExit``/``KeyboardInterrupt`` turned into a sentence.
"""

from __future__ import annotations

import ast
import contextlib
import copy
import ctypes
import inspect
import io
import os
import signal
import sys
import textwrap
import threading
import traceback

import numpy as np


def env_number(variable, default, kind=float, unit="number"):
    """The environment variable ``variable`` read as a ``kind`` above 0 when it is set, else ``default``.

    Raises ValueError, naming the variable and the ``unit`` ("number of seconds", ...), for anything else.
    """
    text = os.environ.get(variable, "").strip()
    if not text:
        return default
    try:
        value = kind(text)
    except ValueError:
        value = -1
    if not 0 < value < float("inf"):
        raise ValueError(f"{variable} must be a {unit} above 0, got {text!r}")
    return value


def _time_limit(default=10.0):
    """TIME_LIMIT: the environment variable RNN_COURSE_TIME_LIMIT (seconds, > 0) when set, else default."""
    return env_number("RNN_COURSE_TIME_LIMIT", default, unit="number of seconds")


#: Seconds one call of the learner's function may take (the slowest correct loops take well under 1 s).
#: An autograder may lower it for the whole run with the environment variable RNN_COURSE_TIME_LIMIT.
TIME_LIMIT = _time_limit()
#: How many lines the learner's prints may show under a check; the rest are counted and cut.
PRINT_LINES = 20
_LINE_CHARS = 300  # a single line longer than this is cut too


class Fail(Exception):
    """Raised inside a checker to stop at the first fault, with its message."""

    def __init__(self, message, *details):
        super().__init__(message)
        self.message = message
        self.details = tuple(details)


class NotAttempted(Exception):
    """The learner's function is still the stub."""


def is_stub(fn) -> bool:
    """True if fn's body is only a docstring, ``...``, ``pass`` or ``raise NotImplementedError``."""
    from ._remote import RemoteFunction
    if isinstance(fn, RemoteFunction):   # a function of the student's process, which read its source there
        return fn.rnn_course_is_stub
    try:
        source = textwrap.dedent(inspect.getsource(fn))
        tree = ast.parse(source)
    except (OSError, TypeError, SyntaxError, IndentationError):
        return _is_stub_bytecode(fn)
    funcs = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    if not funcs:
        return False
    body = funcs[0].body
    for stmt in body:
        if isinstance(stmt, ast.Pass):
            continue
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and (
                stmt.value.value is Ellipsis or isinstance(stmt.value.value, str)):
            continue
        if isinstance(stmt, ast.Raise) and stmt.exc is not None:
            exc = stmt.exc.func if isinstance(stmt.exc, ast.Call) else stmt.exc
            if isinstance(exc, ast.Name) and exc.id == "NotImplementedError":
                continue
        return False
    return True


def _stub_template(*args):
    ...


def _is_stub_bytecode(fn) -> bool:
    code = getattr(fn, "__code__", None)
    return code is not None and code.co_code == _stub_template.__code__.co_code


class _TimeUp(BaseException):
    """Raised inside the learner's code when the time limit is reached (a BaseException, so that the
    learner's own ``except Exception:`` does not swallow it)."""


class Printed:
    """What the learner's function printed during one check: the first PRINT_LINES lines and a count."""

    def __init__(self):
        self.lines = []
        self.total = 0
        self._partial = ""

    def write(self, text):
        text = str(text)
        self.total += text.count("\n")
        if len(self.lines) < PRINT_LINES:
            parts = (self._partial + text).split("\n")
            self._partial = parts.pop()[:_LINE_CHARS + 1]
            room = PRINT_LINES - len(self.lines)
            self.lines += [_cut(p) for p in parts[:room]]
        return len(text)

    def finish(self):
        if self._partial:
            self.total += 1
            if len(self.lines) < PRINT_LINES:
                self.lines.append(_cut(self._partial))
            self._partial = ""

    def add(self, lines, total):
        """Take the lines and the count of another Printed's report (the student's process's, _remote)."""
        self.finish()
        self.lines += [_cut(line) for line in lines[:max(0, PRINT_LINES - len(self.lines))]]
        self.total += total

    def report(self):
        """The lines to show, with a last line saying how many were cut; [] if nothing was printed."""
        self.finish()
        if not self.total:
            return []
        cut = self.total - len(self.lines)
        tail = [f"[{cut:,} more printed line{'s' if cut != 1 else ''} cut: the check calls your function many "
                f"times, so prints inside it repeat]"] if cut > 0 else []
        return self.lines + tail


def _cut(line):
    return line if len(line) <= _LINE_CHARS else line[:_LINE_CHARS] + " [...]"


class _Stream(io.TextIOBase):
    """A stand-in for sys.stdout and sys.stderr that keeps a capped copy of what is written."""

    def __init__(self, printed):
        self._printed = printed

    def writable(self):
        return True

    def write(self, text):
        return self._printed.write(text)


_collector = threading.local()


@contextlib.contextmanager
def collect_prints():
    """Collect what the learner's functions print while the block runs; yields a Printed."""
    previous = getattr(_collector, "printed", None)
    printed = Printed()
    _collector.printed = printed
    try:
        yield printed
    finally:
        _collector.printed = previous


@contextlib.contextmanager
def _captured():
    printed = getattr(_collector, "printed", None) or Printed()  # outside check(): captured and dropped
    stream = _Stream(printed)
    with contextlib.redirect_stdout(stream), contextlib.redirect_stderr(stream):
        yield


def guarded(fn, *args, **kwargs):
    """Call the learner's fn(*args, **kwargs) with the guards; return its result.

    - time limit: TIME_LIMIT seconds. On Linux and macOS, in the main thread (where a Jupyter kernel and
      pytest run code) and when no other interval timer is set, a SIGALRM timer raises inside the learner's
      code, so an endless Python loop is really stopped (it re-fires every 0.5 s should the learner's code
      catch it; a single long numpy call ends first). Elsewhere (Windows, a call from another thread, another
      SIGALRM timer in use) the function runs in a daemon worker thread that the check stops waiting for after
      TIME_LIMIT seconds; it is then asked to stop with an asynchronous exception, which also takes effect at
      the next Python line, and the failure says so if it is still running.
    - prints to stdout and stderr are captured into the current check's Printed (see collect_prints).
    - NotImplementedError becomes NotAttempted; SystemExit, KeyboardInterrupt, a timeout and every other
      exception become Fail with one sentence (and the learner's line that raised).
    """
    with _captured():
        try:
            if _can_use_alarm():
                return _with_alarm(fn, args, kwargs)
            return _with_thread(fn, args, kwargs)
        except NotImplementedError:
            raise NotAttempted() from None
        except _TimeUp:
            raise Fail(f"your function did not return within {TIME_LIMIT:g} s: look for a loop that never ends "
                       f"(a `while` whose condition never becomes false, or a counter that is never "
                       f"increased)") from None
        except SystemExit as exc:
            code = f" (code {exc.code!r})" if exc.code not in (None, 0) else ""
            raise Fail(f"your function called sys.exit() or exit(){code}, which would stop the whole program; "
                       f"hand the result back with `return` instead") from None
        except KeyboardInterrupt:
            raise Fail("your function was interrupted (KeyboardInterrupt) before it returned; run the check "
                       "again, and if it takes long, look for a loop that never ends") from None
        except Fail:
            raise
        except Exception as exc:  # the learner's code failed: show its last line, never raise
            hint = (" — your function calls itself without end; call the step or the library function, not "
                    "itself" if isinstance(exc, RecursionError) else "")
            raise Fail(f"your function raised an exception: {last_line(exc)}{hint}",
                       *where_in_learner_code(exc)) from None


def _can_use_alarm():
    return (hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
            and signal.getitimer(signal.ITIMER_REAL)[0] == 0)


def call_learner(fn, args, kwargs):
    """The one frame in which the learner's function is called (by ``_with_alarm`` or a worker thread, and in
    the grading's student process by ``_remote``): the watch for the library's own work
    (``_isolated._LibraryWatch``, in the student's process) counts what runs below it as the learner's."""
    return fn(*args, **kwargs)


def _with_alarm(fn, args, kwargs):
    fired = []

    def stop_every_line(frame, event, arg):
        if event == "line":
            raise _TimeUp()
        return stop_every_line

    def on_alarm(signum, frame):
        if fired:  # the learner's code caught the first _TimeUp (a bare `except:`): stop it at its next line,
            sys.settrace(stop_every_line)  # which is then in the except block, where the same try cannot catch it
            while frame is not None and frame is not here:  # the learner's frames only, not the checker's
                frame.f_trace = stop_every_line
                frame = frame.f_back
        fired.append(True)
        raise _TimeUp()

    here = sys._getframe()
    previous, tracer = signal.signal(signal.SIGALRM, on_alarm), sys.gettrace()
    signal.setitimer(signal.ITIMER_REAL, TIME_LIMIT, 0.5)
    try:
        result = call_learner(fn, args, kwargs)
    finally:
        if len(fired) > 1:
            sys.settrace(tracer)
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    if fired:  # the learner's code caught _TimeUp and went on
        raise _TimeUp()
    return result


def _with_thread(fn, args, kwargs):
    box = {}

    def work():
        try:
            box["result"] = call_learner(fn, args, kwargs)
        except BaseException as exc:  # handed to the caller below
            box["error"] = exc

    worker = threading.Thread(target=work, name="rnn_course learner call", daemon=True)
    worker.start()
    worker.join(TIME_LIMIT)
    if worker.is_alive():
        _interrupt(worker)
        worker.join(1.0)
        if worker.is_alive():
            raise Fail(f"your function did not return within {TIME_LIMIT:g} s, and it is still running in the "
                       f"background (restart the kernel to stop it): look for a loop that never ends")
        raise _TimeUp()
    if "error" in box:
        raise box["error"]
    return box["result"]


def _interrupt(thread):
    """Ask a worker thread to stop by raising _TimeUp in it at its next Python line (CPython only)."""
    try:
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread.ident), ctypes.py_object(_TimeUp))
    except (AttributeError, TypeError, ValueError):
        pass


def call(fn, *args, **kwargs):
    """Call the learner's fn on private copies of the arguments.

    Returns (result, mutated) where mutated names the first argument the
    function changed in place, or None. Raises NotAttempted for a stub that
    raises NotImplementedError, and Fail with the exception's last line for any
    other exception (see ``guarded`` for the time limit and the captured prints).
    """
    names = list(inspect.signature(fn).parameters) if _has_signature(fn) else []
    originals = list(args) + list(kwargs.values())
    labels = names[:len(args)] + list(kwargs)
    copies_args = [copy.deepcopy(a) for a in args]
    copies_kwargs = {k: copy.deepcopy(v) for k, v in kwargs.items()}
    result = guarded(fn, *copies_args, **copies_kwargs)
    passed = copies_args + list(copies_kwargs.values())
    for i, (before, after) in enumerate(zip(originals, passed)):
        if not _same(before, after):
            label = labels[i] if i < len(labels) else f"argument {i + 1}"
            return result, label
    return result, None


def _has_signature(fn):
    try:
        inspect.signature(fn)
        return True
    except (TypeError, ValueError):
        return False


def _same(a, b):
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.shape == b.shape and np.array_equal(a, b, equal_nan=True)
    if isinstance(a, (list, tuple)):  # lists of sequences, NamedTuple caches
        return isinstance(b, (list, tuple)) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, (int, float, str)):
        return a == b
    return True


def last_line(exc) -> str:
    text = f"{type(exc).__name__}: {exc}".strip()
    return text.splitlines()[-1] if text else type(exc).__name__


def where_in_learner_code(exc):
    """The learner's own line that raised, e.g. 'at line 4 of step(): h = x_t @ Wx + b'."""
    if hasattr(exc, "rnn_course_where"):   # raised in the student's process, and told from there (_remote)
        return exc.rnn_course_where
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if not _is_library_frame(f.filename)]
    if frames and frames[-1].line:
        f = frames[-1]
        return (f"at line {f.lineno} of {f.name}(): {f.line.strip()}",)
    return ()


def _is_library_frame(filename):
    f = filename.replace("\\", "/")
    return "/rnn_course/exercises/" in f or "/site-packages/" in f or "/numpy/" in f


def describe_shape_mismatch(got, expected, letters):
    """A sentence about a wrong shape, in the book's letters.

    got, expected: shape tuples; letters: the expected shape in letters, e.g. ("N", "T", "D").
    """
    got, expected = tuple(got), tuple(expected)
    exp_text = f"({', '.join(letters)}) = {fmt_shape(expected)}"
    msg = f"wrong output shape: expected {exp_text}, got {fmt_shape(got)}"
    if len(got) != len(expected):
        return msg + f" ({len(got)} axes instead of {len(expected)})"
    if sorted(got) == sorted(expected) and got != expected:
        # Find a naming of got's axes by letters (first match wins for equal sizes).
        pool = list(zip(expected, letters))
        named = []
        for size in got:
            for j, (s, letter) in enumerate(pool):
                if s == size:
                    named.append(letter)
                    pool.pop(j)
                    break
        return msg + f": the axes are in the order ({', '.join(named)}) — transpose them to ({', '.join(letters)})"
    bad = [i for i, (g, e) in enumerate(zip(got, expected)) if g != e]
    parts = [f"axis {i} ({letters[i]}) is {got[i]}, expected {expected[i]}" for i in bad]
    return msg + ": " + "; ".join(parts)


def fmt_shape(shape):
    shape = tuple(shape)
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def tolerance(dtype):
    return (1e-4, 1e-5) if np.dtype(dtype) == np.float32 else (1e-7, 1e-9)  # (rtol, atol)


def close(a, b, dtype):
    rtol, atol = tolerance(dtype)
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=atol))


def worst_mismatch(got, want):
    """'largest difference 0.31 at [0, 2, 1]: yours 0.12, expected 0.43'."""
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    diff = np.abs(got - want)
    diff = np.where(np.isnan(diff), np.inf, diff)
    idx = np.unravel_index(int(np.argmax(diff)), diff.shape)
    where = "[" + ", ".join(str(int(i)) for i in idx) + "]"
    return (f"largest difference {diff[idx]:.3g} at {where}: yours {got[idx]:.6g}, "
            f"expected {want[idx]:.6g}")


def as_array(value, what, allow_list=False):
    """The learner's output as a float array, or Fail naming what it was instead.

    Nested Python lists, lists of arrays (unless allow_list), complex numbers and integer or boolean arrays
    are faults, named as such; allow_list accepts a list of equal-shape arrays, stacked on a new first axis.
    """
    if value is None:
        raise Fail(f"{what} is None — did you forget a `return`?")
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "c":
            raise Fail(f"{what} holds complex numbers (dtype {value.dtype}); the values here are real: look for "
                       f"what made them complex (np.linalg.eig, np.emath, a `1j`) and keep to real arithmetic")
        if value.dtype.kind != "f":
            raise Fail(f"{what} has dtype {value.dtype}; expected floating-point numbers")
        return value
    if isinstance(value, (list, tuple)):
        kind = type(value).__name__
        if value and all(isinstance(v, np.ndarray) for v in value):
            if allow_list and len({v.shape for v in value}) == 1:
                return as_array(np.stack(value), what)
            raise Fail(f"{what} is a {kind} of {len(value)} arrays, not one array: join them into one numpy "
                       f"array with np.stack (on the axis the shape asks for)")
        raise Fail(f"{what} is a {kind} of Python numbers, not a numpy array: compute it with numpy operations "
                   f"on the input arrays (a result built entry by entry in lists loses the shape and the dtype)")
    if isinstance(value, complex):
        raise Fail(f"{what} is a complex number; the values here are real")
    if np.isscalar(value):
        return np.asarray(value, dtype=np.float64)
    raise Fail(f"{what} is a {type(value).__name__}; expected a numpy array")


def returned_grads(result, fn_name, names, your=False):
    """{name: array} of the gradients a backward pass returned, in the order ``names``
    (e.g. ("dx_t", "dh_prev", "dWx", "dWh", "db")), or a Fail naming what is missing.

    your: whether the messages say "your rnn_step_backward" and "your dx_t"."""
    who = f"your {fn_name}" if your else fn_name
    if result is None:
        raise Fail(f"{who} returned None — did you forget `return {', '.join(names)}`?")
    if not isinstance(result, (tuple, list)) or len(result) != len(names):
        n = len(result) if isinstance(result, (tuple, list)) else 1
        raise Fail(f"{who} must return {len(names)} gradients, ({', '.join(names)}); it returned {n}")
    return {name: as_array(value, f"your {name}" if your else name) for name, value in zip(names, result)}


def check_dtype(got, dtype, what, *details, lower_only=False,
                buffer="a buffer made by np.zeros, np.empty or np.ones without `dtype=` is float64", like="x"):
    """Fail when the array got does not have the inputs' floating dtype.

    lower_only: only fail when got has less precision (used before comparing values, where float32 numbers
    in a float64 case would otherwise read as wrong values).
    like: the name of the function's input whose dtype the message says to pass, e.g. "dout" for a
    backward pass that has no x.
    """
    want = np.dtype(dtype)
    if got.dtype == want or (lower_only and got.dtype.itemsize >= want.itemsize):
        return
    if want == np.float32 and got.dtype == np.float64:
        raise Fail(f"for float32 inputs {what} came back as float64: the library keeps float32 end to end, and so "
                   f"must your function ({buffer}; pass `dtype={like}.dtype`, or add nothing of dtype float64)", *details)
    raise Fail(f"for {want} inputs {what} has dtype {got.dtype}: keep the inputs' dtype, {want}", *details)
