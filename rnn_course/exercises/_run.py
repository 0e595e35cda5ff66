"""Running a learner's function safely: spotting an untouched stub, catching
exceptions, noticing mutated inputs, and comparing arrays in a way that
yields a sentence."""

from __future__ import annotations

import ast
import copy
import inspect
import textwrap
import traceback

import numpy as np


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


def call(fn, *args, **kwargs):
    """Call the learner's fn on private copies of the arguments.

    Returns (result, mutated) where mutated names the first argument the
    function changed in place, or None. Raises NotAttempted for a stub that
    raises NotImplementedError, and Fail with the exception's last line for any
    other exception.
    """
    names = list(inspect.signature(fn).parameters) if _has_signature(fn) else []
    originals = list(args) + list(kwargs.values())
    labels = names[:len(args)] + list(kwargs)
    copies_args = [copy.deepcopy(a) for a in args]
    copies_kwargs = {k: copy.deepcopy(v) for k, v in kwargs.items()}
    try:
        result = fn(*copies_args, **copies_kwargs)
    except NotImplementedError:
        raise NotAttempted() from None
    except Exception as exc:  # the learner's code failed: show its last line, never raise
        raise Fail(f"your function raised an exception: {last_line(exc)}",
                   *where_in_learner_code(exc)) from None
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


def as_array(value, what):
    """The learner's output as a float array, or Fail with what it was instead."""
    if value is None:
        raise Fail(f"{what} is None — did you forget a `return`?")
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "fc":
            raise Fail(f"{what} has dtype {value.dtype}; expected floating-point numbers")
        return value
    if isinstance(value, (list, tuple)):
        try:
            arr = np.asarray(value, dtype=np.float64)
        except (ValueError, TypeError):
            raise Fail(f"{what} is a {type(value).__name__}, not an array") from None
        return arr
    if np.isscalar(value):
        return np.asarray(value, dtype=np.float64)
    raise Fail(f"{what} is a {type(value).__name__}; expected a numpy array")
