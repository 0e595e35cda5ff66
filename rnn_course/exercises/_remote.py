"""The student's code in a process of its own, which the grader calls across a pipe (issue 18, item 6).

A 5th teacher's try forged a verdict: the student's code ran in the process that wrote the verdict, reached
its frames through an attribute chain that the screen let through, and wrote "passed" itself. So the grading
now takes two processes:

- the **grader** (``_isolated._main``) imports the checkers and runs ``grade``. It never runs a line of the
  student's: the answer it grades is a ``RemoteFunction``, a stand-in whose calls go to
- the **learner** (forked by the grading process before it reads its job, or started as ``python -P -m
  rnn_course.exercises._remote``; ``Learner``),
  which runs the student's screened cells and then, on request, calls the student's functions on the
  arguments the checker chose, and sends back what they returned and what they changed in place.

What crosses the pipe:

- grader to learner: pickles (the learner trusts the grader);
- learner to grader: JSON, read by ``Decoder``, which builds only plain values (None, numbers, strings,
  bytes, tuples, lists, dicts, sets, ranges), numpy arrays and scalars of numeric or string dtypes, numpy
  Generators of numpy's own bit generators, the library's classes and objects (an object of a class of the
  library's rebuilt from its attributes, which must be plain values or other such objects: a student's subclass
  comes back as the library class it extends), and stand-ins: ``RemoteFunction`` for something callable,
  ``RemoteRef`` for any other object, ``RemoteTuple`` for a tuple subclass (a named tuple), which the grader
  can only hand back to the learner. Nothing that the learner sends is unpickled or run by the grader.

So whatever the student's code does in its process, even with the screen escaped, it can only return values
for the checker to judge; it cannot reach the grader's memory, its checkers or its verdict. The grader makes
itself non-dumpable (``prctl``), so that a process of the same user cannot read or write its memory or open
its pipes through ``/proc``.

Before the student's first cell the learner installs a seccomp filter (``_seccomp``): the kernel refuses it
every write to a file, new processes, signals to others, sockets, other processes' memory, mounts and
namespaces. An audit hook (``_confine``) also refuses, as a tripwire that names what was tried (a 7th teacher's
try got past it alone, as PEP 578 warns), reads outside the Python installation, the library and the student's
folder, and flags what it refused. A change of the profile hook (the library watch's) is noted and costs a
passing answer its points, and the watch's findings travel with every call's answer, so that a learner which
cannot report at the end fails closed.

The learner runs under the grader's limits (address space and CPU time) and dies with the grader
(``PR_SET_PDEATHSIG``); nbgrader's process ends whatever is left after each exercise. The learner has no
time limit of its own per call: the checker's ``_run.guarded`` times the stand-in's call in the grader, and a
call past the limit ends the learner (``LearnerGone`` then fails every later call).
"""

from __future__ import annotations

import base64
import builtins
import copy
import inspect
import json
import math
import os
import pickle
import select
import struct
import subprocess
import sys
import time

import numpy as np

from ._run import Fail

#: Bytes of one message from the learner that the grader reads at most.
MAX_MESSAGE = 512 << 20
#: Values in one message from the learner that the grader builds at most, and how deep they nest.
MAX_VALUES, MAX_DEPTH = 5_000_000, 100
#: Seconds the learner may take to start and run the student's cells, beyond the cells' own time limits.
START_SECONDS = 60.0
#: Characters of an exception's text that the learner sends (a KeyError of a long key fills no page).
EXCEPTION_CHARS = 300
#: numpy dtype kinds that cross the pipe as bytes: booleans, integers, floats, complex numbers, strings, dates
#: and time spans.
_KINDS = "biufcUSMm"
_BIT_GENERATORS = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")


class LearnerGone(Fail):
    """The learner's process ended, or sent what the grader cannot read; no call can be answered. A ``Fail``:
    the checker's verdict names it as a fault of the answer, which it is (the process runs only the answer)."""


# ---------------------------------------------------------------------------
# Framing: an 8-byte length, then the bytes

def _write(fd, data):
    data = struct.pack(">Q", len(data)) + data
    while data:
        data = data[os.write(fd, data):]


def _read_exactly(fd, n, deadline):
    chunks, left = [], n
    while left:
        if deadline is not None:
            wait = deadline - time.monotonic()
            if wait <= 0:
                raise TimeoutError
            if not select.select([fd], [], [], min(wait, 0.25))[0]:
                continue
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _read(fd, deadline=None, limit=MAX_MESSAGE):
    (size,) = struct.unpack(">Q", _read_exactly(fd, 8, deadline))
    if size > limit:
        raise ValueError(f"a message of {size:,} bytes")
    return _read_exactly(fd, size, deadline)


# ---------------------------------------------------------------------------
# In the learner's process: values to JSON

def _library_class(cls):
    """The first class of cls's method resolution order that the library defines (not the checkers), or None."""
    for klass in getattr(cls, "__mro__", ()):
        module = getattr(klass, "__module__", "") or ""
        if (module == "rnn_course" or module.startswith("rnn_course.")) and not module.startswith(
                "rnn_course.exercises") and klass is not object:
            return klass
    return None


def _type_name(cls):
    """'builtins:list', 'numpy:float32' or 'rnn_course.lstm:LSTM' for a type the grader may rebuild, else None."""
    name = getattr(cls, "__qualname__", "")
    if getattr(builtins, name, None) is cls:
        return f"builtins:{name}"
    if getattr(np, getattr(cls, "__name__", ""), None) is cls:
        return f"numpy:{cls.__name__}"
    if _library_class(cls) is cls:
        return f"{cls.__module__}:{name}"
    return None


def _dtype_ok(dtype):
    return dtype.kind in _KINDS and dtype.fields is None and dtype.subdtype is None


class _NotPlain(Exception):
    pass


class Table:
    """The learner's objects that the grader holds by handle (stand-ins, the library's objects): one handle per
    object for the learner's whole life, so that an object sent twice is the same object in the grader."""

    def __init__(self):
        self.objects, self.handles = {}, {}

    def handle(self, obj):
        key = self.handles.get(id(obj))
        if key is None or self.objects.get(key) is not obj:
            key = len(self.objects) + 1
            self.objects[key], self.handles[id(obj)] = obj, key
        return key

    def __getitem__(self, key):
        return self.objects[key]


_DICT_VIEWS = (type({}.keys()), type({}.values()), type({}.items()))


class Encoder:
    """Encodes the learner's values for the grader (see the module's docstring); keeps the objects the grader
    holds by handle in ``table`` (a Table). ``old``: {id: (path, object)} of the call's arguments and what they
    held, which are encoded by their path, so that the grader writes their new contents into its own objects."""

    def __init__(self, table, old=None):
        self.table, self.old, self.memo, self.keep = table, old or {}, {}, []

    def handle(self, obj):
        return self.table.handle(obj)

    def encode(self, obj, depth=0, strict=False):
        kind = type(obj)
        if obj is None or kind in (bool, int, float, str):
            return obj
        if obj is Ellipsis:
            return {"t": "ellipsis"}
        if kind is complex:
            return {"t": "complex", "v": [obj.real, obj.imag]}
        if kind is bytes:
            return {"t": "bytes", "v": base64.b64encode(obj).decode()}
        if kind is range:
            return {"t": "range", "v": [obj.start, obj.stop, obj.step]}
        if isinstance(obj, np.dtype):
            if _dtype_ok(obj):
                return {"t": "dtype", "v": obj.str}
        if isinstance(obj, type):
            name = _type_name(obj)
            if name:
                return {"t": "type", "v": name}
        if isinstance(obj, np.generic) and _dtype_ok(obj.dtype):
            return {"t": "scalar", "d": obj.dtype.str, "v": base64.b64encode(obj.tobytes()).decode()}
        key = id(obj)
        if key in self.memo:
            return {"t": "same", "i": self.memo[key]}
        index = self.memo[key] = len(self.memo)
        self.keep.append(obj)
        if depth > MAX_DEPTH // 2:
            if strict:
                raise _NotPlain
            return {"t": "ref", "i": index, "h": self.handle(obj), "c": type(obj).__name__}
        encoded = self._contents(obj, depth, strict)
        if encoded is not None and key in self.old and self.old[key][1] is obj:
            return {"t": "old", "i": index, "p": self.old[key][0], "v": encoded}
        if encoded is None:   # no plain form: a stand-in
            if strict:
                raise _NotPlain
            if callable(obj):
                return {"t": "fn", "i": index, "h": self.handle(obj), "m": describe(obj)}
            if isinstance(obj, tuple):
                return {"t": "ntuple", "i": index, "h": self.handle(obj), "c": type(obj).__name__,
                        "v": [self.encode(v, depth + 1) for v in obj]}
            return {"t": "ref", "i": index, "h": self.handle(obj), "c": type(obj).__name__}
        encoded["i"] = index
        return encoded

    def _contents(self, obj, depth, strict):
        """The plain form of obj (a dict without "i"), or None when it has none."""
        kind = type(obj)
        # the plain kinds, and their subclasses in plain form (np.ma and np.matrix arrays, OrderedDict, a dict's
        # keys); a tuple subclass is a named tuple: the library's below, a student's a stand-in
        if isinstance(obj, np.ndarray):
            if _dtype_ok(obj.dtype):
                return {"t": "nd", "d": obj.dtype.str, "s": list(obj.shape),
                        "v": base64.b64encode(np.ascontiguousarray(obj).tobytes()).decode()}
            if kind is np.ndarray and obj.dtype.kind == "O" and obj.size <= 100_000:
                return {"t": "ndo", "s": list(obj.shape), "v": [self.encode(v, depth + 1, strict)
                                                               for v in obj.reshape(-1)]}
            return None
        if kind is tuple or isinstance(obj, (list, set, frozenset, *_DICT_VIEWS)):
            name = "tuple" if kind is tuple else "frozenset" if isinstance(obj, frozenset) else (
                "set" if isinstance(obj, set) else "list")
            return {"t": name, "v": [self.encode(v, depth + 1, strict) for v in obj]}
        if isinstance(obj, dict):
            return {"t": "dict", "k": [self.encode(k, depth + 1, strict) for k in obj],
                    "v": [self.encode(v, depth + 1, strict) for v in obj.values()]}
        if isinstance(obj, np.random.Generator) and type(obj.bit_generator).__name__ in _BIT_GENERATORS:
            return {"t": "rng", "b": type(obj.bit_generator).__name__,
                    "v": self.encode(obj.bit_generator.state, depth + 1, True)}
        library = _library_class(kind)
        if library is not None and isinstance(obj, tuple) and library is kind:   # a named tuple of the library's
            return {"t": "ltuple", "c": _type_name(kind), "v": [self.encode(v, depth + 1, strict) for v in obj]}
        if (library is not None and not isinstance(obj, type) and isinstance(getattr(obj, "__dict__", None), dict)
                and not _overrides(kind, library)):
            memo, keep = dict(self.memo), len(self.keep)
            try:
                return {"t": "obj", "c": _type_name(library), "h": self.handle(obj),
                        "v": self.encode(dict(vars(obj)), depth + 1, True)}
            except _NotPlain:   # an attribute with no plain form: the whole object is a stand-in
                self.memo, self.keep[keep:] = memo, []
                if strict:
                    raise
        return None


#: What a student's subclass of a library class may define and still be rebuilt as the library class.
_PLAIN_SUBCLASS = {"__module__", "__qualname__", "__doc__", "__init__", "__dict__", "__weakref__", "__annotations__",
                   "__firstlineno__", "__static_attributes__", "__classcell__"}


def _overrides(cls, library):
    """True when a class between cls and its library class defines more than ``__init__``: a method of the
    student's would not run in the rebuilt object, so such an object crosses as a stand-in (and fails the check
    as not the library's class) rather than be graded as what it is not."""
    for klass in cls.__mro__:
        if klass is library:
            return False
        if set(vars(klass)) - _PLAIN_SUBCLASS:
            return True
    return False


def describe(fn):
    """What the grader's checkers read of a function without calling it: its names, module, parameters,
    whether it is still the stub, whether it is a Python function, and the global names its code loads."""
    from ._depends import _global_names
    from ._run import is_stub
    try:
        params = [[p.name, int(p.kind), p.default is not inspect.Parameter.empty]
                  for p in inspect.signature(fn).parameters.values()]
    except (TypeError, ValueError):
        params = None
    code = getattr(fn, "__code__", None)
    try:
        stub = bool(is_stub(fn))
    except Exception:  # noqa: BLE001 - the student's object
        stub = False
    return {"name": str(getattr(fn, "__name__", type(fn).__name__)),
            "qualname": str(getattr(fn, "__qualname__", type(fn).__name__)),
            "module": str(getattr(fn, "__module__", "") or ""), "params": params, "stub": stub,
            "function": inspect.isfunction(fn),
            # a callable object of a class (not a function, method or class): its stand-in is named after the class
            "cls": "" if inspect.isroutine(fn) or isinstance(fn, type) or type(fn).__module__ in ("functools",)
                   else type(fn).__name__,
            "globals": sorted(_global_names(code)) if isinstance(code, type(describe.__code__)) else None}


def _holdings(args, kwargs):
    """{id: (path, object)} of the call's arguments and of the arrays, lists, dicts and generators they hold
    (three levels down, through tuples too: a cache's arrays), by path from the arguments: ["a", 0, "W"] is
    args[0]["W"]."""
    found = {}

    def walk(obj, path, depth):
        if id(obj) in found:
            return
        if isinstance(obj, (np.ndarray, list, dict, np.random.Generator)):
            found[id(obj)] = (path, obj)
        elif not isinstance(obj, tuple):
            return
        if depth < 3 and isinstance(obj, (list, tuple)):
            for i, value in enumerate(obj):
                walk(value, path + [i], depth + 1)
        elif depth < 3 and isinstance(obj, dict):
            for key, value in obj.items():
                if type(key) in (str, int):
                    walk(value, path + [key], depth + 1)

    for i, value in enumerate(args):
        walk(value, ["a", i], 0)
    for key, value in kwargs.items():
        walk(value, ["k", key], 0)
    return found


class _Unpickler(pickle.Unpickler):
    """The grader's pickles, with the stand-ins resolved to the learner's objects (a deep copy when the
    grader's checker copied the stand-in, as ``_run.call`` copies every argument)."""

    def __init__(self, data, table):
        import io
        super().__init__(io.BytesIO(data))
        self.table = table

    def persistent_load(self, pid):
        handle, copied = pid
        obj = self.table[handle]
        if copied:
            try:
                return copy.deepcopy(obj)
            except Exception:  # noqa: BLE001 - an object of the student's that cannot be copied
                return obj
        return obj


def _exception(exc):
    """The learner's exception as the grader rebuilds it (see RemoteFunction.__call__)."""
    from ._run import last_line, where_in_learner_code
    base = next((k.__name__ for k in type(exc).__mro__ if k.__module__ == "builtins"), "BaseException")
    code = getattr(exc, "code", None) if isinstance(exc, SystemExit) else None
    return {"name": type(exc).__name__, "base": base, "text": str(exc)[:EXCEPTION_CHARS],
            "line": last_line(exc)[:EXCEPTION_CHARS], "where": list(where_in_learner_code(exc)),
            "code": code if type(code) is int and abs(code) < 1 << 31 else None if code is None else str(code)[:100]}


def serve():
    """The learner's whole life: take requests from the grader on fd 0, answer on fd 1. The student's prints
    and any other write to fd 1 or 2 go to /dev/null; the student's code never sees the pipe's ends by these
    numbers (they are moved before it runs)."""
    import signal

    from . import _isolated, _seccomp
    _isolated.prctl(1, signal.SIGKILL)   # PR_SET_PDEATHSIG: end with the grading process
    try:
        os.setsid()   # a session of its own: no controlling terminal, so /dev/tty is no way to the teacher's shell
    except OSError:
        pass
    inbox, outbox = os.dup(0), os.dup(1)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    sys.path[:] = [p for p in sys.path if p and os.path.isabs(p)]
    table, state = Table(), {}

    def answer(message):
        _write(outbox, json.dumps(message).encode())

    while True:
        try:
            request = pickle.loads(_read(inbox))
        except (EOFError, OSError):
            os._exit(0)
        kind = request["kind"]
        if kind == "run":
            _isolated._limit(request["memory_mb"], request["seconds"])
            _isolated.drop_privileges()
            _seccomp.confine_system_calls()
            answer(_run_program(request, table, state))
        elif kind == "call":
            answer(_call(request, table, state))
        elif kind == "global":
            fn = table[request["h"]]
            value = getattr(fn, "__globals__", {}).get(request["name"]) if isinstance(
                getattr(fn, "__globals__", None), dict) else None
            answer({"value": Encoder(table).encode(value)})
        elif kind == "report":   # the last request
            _restore_watch(state["watch"])
            cleared = bool(state.get("cleared"))
            changed = _isolated._changed(state["before"], _isolated._fingerprint())
            answer({"changed": changed, "library": state["watch"].found, "cleared": cleared,
                    "refused": state.get("refused", [])})


#: Audit events (PEP 578) that the student's process refuses once the student's cells start: changes to files,
#: other processes, signals, the network, foreign functions and the garbage collector's lists of objects. By
#: prefix (``"subprocess."``), or whole. (A change of the profile hook, the library watch's, is noted instead:
#: CPython itself clears a profile hook that raises, as on an honest answer's RecursionError.)
_REFUSED_EVENTS = ("subprocess.", "socket.", "ctypes.", "os.exec", "os.spawn", "os.posix_spawn", "os.fork",
                   "os.system", "os.kill", "os.killpg", "os.remove", "os.rename", "os.rmdir", "os.mkdir",
                   "os.symlink", "os.link", "os.truncate", "os.chmod", "os.chown", "os.utime", "os.putenv",
                   "os.unsetenv", "os.chdir", "os.chflags", "os.lchflags", "os.setxattr", "os.removexattr",
                   "os.startfile", "signal.pthread_kill", "resource.", "shutil.", "tempfile.", "pty.", "mmap.",
                   "sys._current_frames", "sys.addaudithook", "gc.get_", "sqlite3.",
                   "urllib.", "http.", "ftplib.", "smtplib.", "poplib.", "imaplib.", "nntplib.", "telnetlib.",
                   "webbrowser.", "fcntl.", "msvcrt.", "winreg.", "_winapi.")
#: What an open for writing sets (os.open's flags); O_CREAT also with O_RDONLY creates a file.
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC


def _confine(readable, state):
    """From now on, this process refuses what ``_REFUSED_EVENTS`` names and opens a file only to read it, and
    only under ``readable`` (real paths: the Python installation and environment, the library, the student's
    folder, a few of the system's files): a PermissionError in the student's code, which names what it tried,
    and is listed in ``state["refused"]`` for the flags. A change of the profile hook by anything but
    ``_restore_watch`` sets ``state["cleared"]``. An audit hook cannot be removed, but it is no sandbox
    (PEP 578): low-level calls raise no event, so code that gets past the screen can read around it (a 7th
    teacher's try). The seccomp filter (``_seccomp``) is what stops writes, processes, signals and sockets. Paths are taken as str, bytes, a file descriptor
    to read, or a pathlib.PosixPath; any other object is refused (its ``__fspath__`` would run the student's
    code inside the hook)."""
    import pathlib
    roots = tuple(sorted({os.path.realpath(r) for r in readable}))
    null = os.path.realpath(os.devnull)

    def allowed(path, write):
        if type(path) is pathlib.PosixPath:
            path = str(path)
        if type(path) is int:
            return not write
        if type(path) not in (str, bytes):
            return False
        real = os.path.realpath(os.fsdecode(path))
        if real == null:
            return True
        return not write and any(real == root or real.startswith(root.rstrip(os.sep) + os.sep) for root in roots)

    def refuse(what):
        tried = state.setdefault("refused", [])
        if what not in tried and len(tried) < 5:
            tried.append(what)
        raise PermissionError(f"the grader does not let your code {what}")

    def hook(event, args):
        if event == "sys.setprofile":
            if sys._getframe(1).f_code is not _restore_watch.__code__:
                state["cleared"] = True
            return
        if event == "open":
            path, mode, flags = args
            write = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                isinstance(flags, int) and bool(flags & _WRITE_FLAGS))
            if not allowed(path, write):
                refuse(f"open {str(path)[:150]!r} {'to write' if write else 'to read'}")
        elif event in ("os.listdir", "os.scandir", "glob.glob", "glob.glob/2"):
            if args and not allowed(args[0] if args[0] is not None else ".", False):
                refuse(f"list {str(args[0])[:150]!r}")
        elif event.startswith(_REFUSED_EVENTS):
            refuse(f"run {event}")

    sys.addaudithook(hook)


def _restore_watch(watch):
    """Set the library watch (``_isolated._LibraryWatch``) as the profile hook again when it was removed: CPython
    clears a profile hook that raises, as it does on a RecursionError (an honest answer that calls itself
    without end, or one that recurses on purpose to call the library unseen; the audit hook of ``_confine`` has
    noted that, which costs a passing answer its points)."""
    if sys.getprofile() is not watch:
        sys.setprofile(watch)


def _readable():
    """The real paths the student's code may read: the Python installation and environment, numpy, the library,
    the student's folder (the working directory), and the system files that numpy and the time functions read."""
    import numpy
    import rnn_course
    return [sys.prefix, sys.exec_prefix, sys.base_prefix, sys.base_exec_prefix, os.path.dirname(numpy.__file__),
            os.path.dirname(rnn_course.__file__), os.getcwd(), "/dev/urandom", "/dev/random", "/proc/self",
            "/etc/localtime", "/usr/share/zoneinfo", "/sys/devices/system/cpu"]


def _run_program(request, table, state):
    import threading

    from . import _isolated
    from ._screen import relevant_cells
    program, answer_source, context = request["program"], request["answer"], request["context"]
    watch = _isolated._LibraryWatch(_isolated.library_work(request["name"]),
                                    {f"<{where}>" for where, _ in program})
    state["watch"] = watch
    sys.setprofile(watch)   # before the fingerprint, which compares the profile hook before and after
    threading.setprofile(watch)
    state["before"] = _isolated._fingerprint()
    namespace = {"__name__": "__main__", "__builtins__": builtins, "display": _isolated._discard}
    relevant = relevant_cells(program, [answer_source, *context.values()])
    _confine(_readable(), state)
    stopped = [note for where, source in program if (note := _isolated._run_cell(where, source, namespace))
               and where in relevant]
    try:
        value = eval(answer_source, namespace)
        kwargs = {key: eval(expr, namespace) for key, expr in context.items()}
    except BaseException as exc:  # noqa: BLE001 - the student's names
        return {"stopped": stopped, "raised": _exception(exc)}
    encoder = Encoder(table)
    return {"stopped": stopped, "answer": encoder.encode(value),
            "context": {key: encoder.encode(v) for key, v in kwargs.items()}}


def _call(request, table, state):
    from . import _run
    try:
        fn = table[request["h"]]
        args, kwargs = _Unpickler(request["args"], table).load()
    except Exception as exc:  # noqa: BLE001 - a value the grader sent that this process cannot rebuild
        return {"broken": f"{type(exc).__name__}: {exc}"[:EXCEPTION_CHARS]}
    old = _holdings(args, kwargs)
    printed, raised, result = _run.Printed(), None, None
    watch = state["watch"]
    with _run.collect_prints():
        _run._collector.printed = printed
        with _run._captured():
            watch.active = True
            try:
                result = _run.call_learner(fn, args, kwargs)
            except BaseException as exc:  # noqa: BLE001 - the student's code: described for the grader
                raised = _exception(exc)
            finally:
                watch.active = False
                _restore_watch(watch)
    lines = printed.report()[:_run.PRINT_LINES]
    encoder = Encoder(table, old)
    message = {"printed": [lines, printed.total], "library": watch.found}
    try:
        message["args"] = [encoder.encode(a) for a in args]
        message["kwargs"] = {k: encoder.encode(v) for k, v in kwargs.items()}
        if raised is None:
            message["result"] = encoder.encode(result)
    except Exception as exc:  # noqa: BLE001 - e.g. a property of the student's that raises while encoded
        raised = _exception(exc)
    if raised is not None:
        message["raised"] = raised
    return message


# ---------------------------------------------------------------------------
# In the grader's process: the learner, its stand-ins, and JSON to values

class _Forked:
    """A learner forked from the grading process, which has imported numpy and the checkers already (half a
    second saved per exercise), with the part of Popen's interface that Learner uses. The grading process
    forks it before it reads its job: nothing of the job (the nonce, the seed of the fresh cases) is in the
    learner's memory. Its descriptors are its two pipes and /dev/null."""

    def __init__(self):
        import signal
        self.signal = signal
        to_child, to_us = os.pipe()
        from_child, from_them = os.pipe()
        pid = os.fork()
        if pid == 0:   # the learner
            try:
                os.dup2(to_child, 0)
                os.dup2(from_them, 1)
                for fd in [int(fd) for fd in os.listdir("/proc/self/fd")]:
                    if fd > 2:
                        try:
                            os.close(fd)
                        except OSError:
                            pass
                serve()
            finally:
                os._exit(0)
        os.close(to_child)
        os.close(from_them)
        self.pid, self.returncode = pid, None
        self.stdin, self.stdout = os.fdopen(to_us, "wb", buffering=0), os.fdopen(from_child, "rb", buffering=0)

    def poll(self):
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:
                self.returncode = -1
            else:
                if pid:
                    self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def kill(self):
        if self.poll() is None:
            try:
                os.kill(self.pid, self.signal.SIGKILL)
            except OSError:
                pass

    def wait(self, timeout):
        deadline = time.monotonic() + timeout
        while self.poll() is None:
            if time.monotonic() > deadline:
                raise subprocess.TimeoutExpired("the learner", timeout)
            time.sleep(0.005)
        return self.returncode


class Learner:
    """The learner's process, seen from the grader: ``start`` runs the student's cells; ``call``, ``lookup``
    and ``report`` serve the stand-ins; ``close`` ends it. Each request waits at most ``seconds`` (the
    learner's CPU time is capped at the same), a call at most the checker's per-call time limit plus 5 s.
    ``fork``: fork it from this process (the grading process, single-threaded, before it reads its job), else
    start a new Python (``python -P -m rnn_course.exercises._remote``)."""

    def __init__(self, memory_mb, seconds, fork=False):
        self.memory_mb, self.seconds, self.gone = memory_mb, seconds, ""
        #: handle -> the grader's object for it (a stand-in, a rebuilt object of the library's): the same object
        #: each time the learner sends it
        self.known = {}
        #: the library's own work for the exercise that a call of the student's made (what the learner said
        #: after each call; the report at the end says it again)
        self.library = ""
        self.proc = _Forked() if fork else subprocess.Popen(
            [sys.executable, "-P", "-m", "rnn_course.exercises._remote"], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=dict(os.environ, PYTHONSAFEPATH="1"))

    def _ask(self, request, seconds):
        if self.gone:
            raise LearnerGone(self.gone)
        try:
            _write(self.proc.stdin.fileno(), pickle.dumps(request, protocol=pickle.HIGHEST_PROTOCOL))
            data = _read(self.proc.stdout.fileno(), time.monotonic() + seconds)
        except TimeoutError:
            self.close(f"your code ran past {seconds:g} s in the grader, which stopped it")
            raise LearnerGone(self.gone) from None
        except (EOFError, OSError, ValueError, struct.error):
            code = self.proc.poll()
            self.close("your code's process in the grader ended" + (f" with exit code {code}" if code else "") +
                       ": it ran out of its memory or CPU time, ended itself, or wrote what the grader cannot read")
            raise LearnerGone(self.gone) from None
        except BaseException as exc:   # the checker's time limit (_run._TimeUp) fired while the learner worked
            self.close("an earlier call of your function ran past the time limit, and the grader stopped it"
                       if type(exc).__name__ == "_TimeUp" else
                       f"the grader stopped your code's process ({type(exc).__name__} while it waited)")
            raise
        try:
            message = json.loads(data)
        except (ValueError, RecursionError):
            message = None
        if not isinstance(message, dict):
            self.close("your code's process in the grader wrote what the grader cannot read")
            raise LearnerGone(self.gone)
        return message

    def start(self, name, program, answer, context):
        """Run the student's cells; returns the learner's message: "stopped" (the notes of cells that stopped),
        and "answer" and "context" (encoded), or "raised"."""
        request = {"kind": "run", "name": name, "program": program, "answer": answer, "context": context,
                   "memory_mb": self.memory_mb, "seconds": self.seconds}
        return self._ask(request, START_SECONDS + self.seconds)

    def call(self, handle, args, kwargs):
        from . import _run
        import io
        buffer = io.BytesIO()
        pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
        pickler.persistent_id = _persistent_id
        pickler.dump((args, kwargs))
        return self._ask({"kind": "call", "h": handle, "args": buffer.getvalue()}, _run.TIME_LIMIT + 5)

    def lookup(self, handle, name):
        return self._ask({"kind": "global", "h": handle, "name": name}, 30)

    def report(self):
        return self._ask({"kind": "report"}, 30)

    def close(self, why="closed"):
        self.gone = self.gone or why
        if self.proc.poll() is None:
            self.proc.kill()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            pass
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()
            except OSError:
                pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _persistent_id(obj):
    """A stand-in is pickled as its handle (and whether the checker copied it): the learner's own object."""
    if isinstance(obj, (RemoteFunction, RemoteRef, RemoteTuple)):
        return (obj._handle, obj._copied)
    return None


class RemoteRef:
    """An object of the learner's that the grader cannot read; it can hand it back to the learner. Its class's
    name is the object's class's name, for the checkers' messages."""

    def __init__(self, learner, handle, copied=False):
        self._learner, self._handle, self._copied = learner, handle, copied

    def __deepcopy__(self, memo):
        return type(self)(self._learner, self._handle, True)

    def __copy__(self):
        return self

    def __repr__(self):
        return f"<{type(self).__name__} object of your code>"


class RemoteTuple(tuple):
    """A tuple subclass of the learner's (a named tuple): its items, read by the grader, and handed back to
    the learner as the learner's own object."""

    def __new__(cls, items, learner, handle, copied=False):
        self = super().__new__(cls, items)
        self._learner, self._handle, self._copied = learner, handle, copied
        return self

    def __deepcopy__(self, memo):
        return type(self)([copy.deepcopy(v, memo) for v in self], self._learner, self._handle, True)

    def __copy__(self):
        return self

    def __reduce__(self):
        raise pickle.PicklingError("a tuple of the learner's is handed back by reference")


_CLASSES = {}
#: Classes that _named and _rebuilt make at most (past it, the base class, unnamed).
MAX_CLASSES = 1000


def _named(base, name, bases=None):
    """A subclass of base named ``name`` (an identifier, cut to 60 characters): a stand-in or an exception whose
    class reads as the learner's in the checkers' messages."""
    name = name[:60] if name.isidentifier() else "object"
    key = (base, name, bases)
    if key not in _CLASSES:
        if len(_CLASSES) >= MAX_CLASSES:
            return base
        _CLASSES[key] = type(name, bases or (base,), {})
    return _CLASSES[key]


class RemoteFunction:
    """A function of the learner's, as the grader's checkers see it: calling it calls the function in the
    learner's process on (pickled copies of) the arguments, writes back what the function changed in them, and
    returns its result or raises its exception as the checkers expect (see ``_run.guarded``). It also answers
    what the checkers read without calling: ``__name__``, ``__module__``, ``__signature__``, whether it is the
    stub (``rnn_course_is_stub``), and the globals its code loads (``rnn_course_global_names`` and
    ``rnn_course_global``, for ``_depends``)."""

    def __init__(self, learner, handle, meta):
        self._learner, self._handle, self._copied = learner, handle, False
        meta = meta if isinstance(meta, dict) else {}
        self.__name__ = str(meta.get("name", "function"))[:100]
        self.__qualname__ = str(meta.get("qualname", self.__name__))[:200]
        self.__module__ = str(meta.get("module", ""))[:200]
        self.rnn_course_is_stub = meta.get("stub") is True
        self.rnn_course_is_function = meta.get("function") is True
        names = meta.get("globals")
        self.rnn_course_global_names = ({n for n in names if isinstance(n, str)} if isinstance(names, list)
                                        else None)
        self.__signature__ = _signature(meta.get("params"))

    def __deepcopy__(self, memo):
        return self

    def __copy__(self):
        return self

    def __repr__(self):
        return f"<function {self.__qualname__} of your code>"

    def rnn_course_global(self, name):
        """The value of the global ``name`` in the function's module (a stand-in for a function)."""
        message = self._learner.lookup(self._handle, name)
        return Decoder(self._learner).value(message.get("value"))

    def __call__(self, *args, **kwargs):
        from . import _run
        message = self._learner.call(self._handle, args, kwargs)
        if message.get("library") and not self._learner.library:
            self._learner.library = str(message["library"])[:300]
        if "broken" in message:
            raise LearnerGone(f"the grader could not hand your function its arguments: {message['broken']}")
        decoder = Decoder(self._learner, sent=(args, kwargs))
        try:
            lines, total = message.get("printed", [[], 0])
            printed = getattr(_run._collector, "printed", None)
            if printed is not None and isinstance(lines, list) and isinstance(total, int):
                printed.add([str(line) for line in lines], total)
            for value in message.get("args", []):
                decoder.value(value)
            for value in message.get("kwargs", {}).values():
                decoder.value(value)
            raised = message.get("raised")
            result = None if raised else decoder.value(message.get("result"))
        except Exception as exc:  # noqa: BLE001 - whatever the learner sent that is no value of the forms read
            self._learner.close("the grader could not read what your function returned")
            raise LearnerGone(f"the grader could not read what your function returned "
                              f"({type(exc).__name__}: {str(exc)[:200]})") from None
        if raised:
            raise _rebuilt(raised)
        return result


def _signature(params):
    if not isinstance(params, list):
        return None
    try:
        return inspect.Signature([
            inspect.Parameter(name, inspect._ParameterKind(kind),
                              default=None if has_default else inspect.Parameter.empty)
            for name, kind, has_default in params])
    except (TypeError, ValueError):
        return None


class LearnerError(Exception):
    """An exception the learner's function raised, rebuilt in the grader: its class has the exception's name,
    its text is the exception's, and ``rnn_course_where`` is the student's line that raised."""

    def __str__(self):
        return self.args[0] if self.args else ""


def _rebuilt(raised):
    """The exception to raise in the grader for the learner's ``raised`` (see _exception): NotImplementedError,
    SystemExit and KeyboardInterrupt as themselves, as ``_run.guarded`` turns them into sentences; any other as a
    LearnerError of its name (a RecursionError also is one, for guarded's hint)."""
    if not isinstance(raised, dict):
        raised = {}
    name, base = str(raised.get("name", "Exception")), str(raised.get("base", "Exception"))
    text = str(raised.get("text", ""))[:EXCEPTION_CHARS]
    if base == "NotImplementedError":
        return NotImplementedError(text)
    if base == "SystemExit":
        code = raised.get("code")
        return SystemExit(code if type(code) is int or code is None else str(code)[:100])
    if base == "KeyboardInterrupt":
        return KeyboardInterrupt()
    bases = (LearnerError, RecursionError) if base == "RecursionError" else (LearnerError,)
    exc = _named(LearnerError, name if name.isidentifier() else "Exception", bases)(text)
    where = raised.get("where")
    exc.rnn_course_where = tuple(str(w)[:EXCEPTION_CHARS] for w in where[:1]) if isinstance(where, list) else ()
    return exc


class DecodeError(ValueError):
    """The learner sent a value that is not of the forms the grader reads."""


def _shadows(cls, name):
    """True when an instance attribute ``name`` would hide a method or property of the library's class."""
    found = inspect.getattr_static(cls, name, None)
    return callable(found) or isinstance(found, (property, staticmethod, classmethod))


def _holds_stand_in(value, depth=0, seen=None):
    """True when value, or what it holds (lists, tuples, sets, dicts, object arrays, library objects), is a
    stand-in: an object of the library's is rebuilt from plain values only."""
    seen = set() if seen is None else seen
    if id(value) in seen or depth > MAX_DEPTH:
        return False
    seen.add(id(value))
    if isinstance(value, (RemoteFunction, RemoteRef, RemoteTuple)):
        return True
    if isinstance(value, dict):
        return any(_holds_stand_in(v, depth + 1, seen) for v in (*value.keys(), *value.values()))
    if isinstance(value, (list, tuple, set, frozenset)) or (isinstance(value, np.ndarray) and value.dtype.kind == "O"):
        return any(_holds_stand_in(v, depth + 1, seen) for v in (value.ravel() if isinstance(value, np.ndarray)
                                                                  else value))
    if _library_class(type(value)) is not None and isinstance(getattr(value, "__dict__", None), dict):
        return _holds_stand_in(vars(value), depth + 1, seen)
    return False


def _b64(text):
    if not isinstance(text, str):
        raise DecodeError("bytes")
    return base64.b64decode(text.encode(), validate=True)


def _dtype(text):
    if not isinstance(text, str) or len(text) > 20:
        raise DecodeError("dtype")
    dtype = np.dtype(text)
    if not _dtype_ok(dtype):
        raise DecodeError(f"dtype {dtype}")
    return dtype


def _resolve_type(text):
    """The type a 'module:qualname' names: a builtin, a numpy top-level type, or a class of the library's (as
    the library defines it), else None."""
    if not isinstance(text, str) or ":" not in text:
        return None
    module, name = text.split(":", 1)
    if module == "builtins":
        obj = getattr(builtins, name, None) if name.isidentifier() else None
    elif module == "numpy":   # numpy's scalar types, its array and its dtype: nothing that reads or writes files
        obj = getattr(np, name, None) if name.isidentifier() else None
        if not (isinstance(obj, type) and (issubclass(obj, np.generic) or obj in (np.ndarray, np.dtype))):
            return None
    elif (module == "rnn_course" or module.startswith("rnn_course.")) and module in sys.modules:
        obj = sys.modules[module]
        for part in name.split("."):
            if not part.isidentifier() or part.startswith("__"):
                return None
            obj = vars(obj).get(part) if hasattr(obj, "__dict__") else None
        if not (isinstance(obj, type) and _library_class(obj) is obj and obj.__module__ == module):
            return None
    else:
        return None
    return obj if isinstance(obj, type) else None


class Decoder:
    """Builds the grader's values from what the learner sent (see the module's docstring). ``sent``: the
    (args, kwargs) of the call, whose objects an "old" entry names by its path; their new contents are written
    into them, as the learner's function changed its own copies."""

    def __init__(self, learner, sent=None):
        self.learner, self.sent, self.memo, self.count = learner, sent, {}, 0

    def value(self, v, depth=0, strict=False):
        self.count += 1
        if self.count > MAX_VALUES or depth > MAX_DEPTH:
            raise DecodeError("too many values")
        if v is None or type(v) in (bool, int, float, str):
            return v
        if type(v) is not dict or not isinstance(v.get("t"), str):
            raise DecodeError("a value of no known form")
        t = v["t"]
        if t == "ellipsis":
            return Ellipsis
        if t == "complex":
            re_, im_ = v["v"]
            return complex(float(re_), float(im_))
        if t == "bytes":
            return _b64(v["v"])
        if t == "range":
            return range(*[int(x) for x in v["v"]][:3])
        if t == "dtype":
            return _dtype(v["v"])
        if t == "type":
            cls = _resolve_type(v["v"])
            if cls is None:
                raise DecodeError("a type")
            return cls
        if t == "scalar":
            data = _b64(v["v"])
            dtype = _dtype(v["d"])
            if len(data) != dtype.itemsize:
                raise DecodeError("a scalar's bytes")
            return np.frombuffer(data, dtype=dtype)[0]
        if t == "same":
            if v.get("i") not in self.memo:
                raise DecodeError("a reference to nothing")
            obj = self.memo[v["i"]]
            if strict and isinstance(obj, (RemoteFunction, RemoteRef, RemoteTuple)):
                raise DecodeError("a stand-in inside an object of the library's")
            return obj
        index = v.get("i")
        if not isinstance(index, int) or index in self.memo:
            raise DecodeError("an index")
        if t == "old":
            return self._old(v, index, depth, strict)
        obj = self._new(v, t, index, depth, strict)
        self.memo.setdefault(index, obj)
        return obj

    def _new(self, v, t, index, depth, strict):
        if t == "nd":
            dtype, shape = _dtype(v["d"]), v["s"]
            if not (isinstance(shape, list) and len(shape) <= 32 and all(type(n) is int and n >= 0 for n in shape)):
                raise DecodeError("a shape")
            data = _b64(v["v"])
            if len(data) != dtype.itemsize * math.prod(shape):
                raise DecodeError("an array's bytes")
            return np.frombuffer(data, dtype=dtype).reshape(shape).copy()
        if t == "ndo":
            shape = v["s"]
            if not (isinstance(shape, list) and len(shape) <= 32 and all(type(n) is int and 0 <= n <= MAX_VALUES
                                                                         for n in shape)):
                raise DecodeError("a shape")
            items = v["v"]
            if not isinstance(items, list) or len(items) != math.prod(shape):
                raise DecodeError("an object array")
            out = np.empty(len(items), dtype=object)
            self.memo[index] = out
            for k, item in enumerate(items):
                out[k] = self.value(item, depth + 1, strict)
            return out.reshape(shape)
        if t in ("list", "set", "frozenset", "tuple"):
            items = v["v"]
            if not isinstance(items, list):
                raise DecodeError("a list")
            if t == "list":
                out = self.memo[index] = []
                out.extend(self.value(item, depth + 1, strict) for item in items)
                return out
            values = [self.value(item, depth + 1, strict) for item in items]
            return {"set": set, "frozenset": frozenset, "tuple": tuple}[t](values)
        if t == "dict":
            keys, values = v["k"], v["v"]
            if not (isinstance(keys, list) and isinstance(values, list) and len(keys) == len(values)):
                raise DecodeError("a dict")
            out = self.memo[index] = {}
            for key, value in zip(keys, values):
                out[self.value(key, depth + 1, strict)] = self.value(value, depth + 1, strict)
            return out
        if t == "rng":
            if v["b"] not in _BIT_GENERATORS:
                raise DecodeError("a bit generator")
            rng = np.random.Generator(getattr(np.random, v["b"])())
            rng.bit_generator.state = self.value(v["v"], depth + 1, True)
            return rng
        if t == "ltuple":
            cls, items = _resolve_type(v["c"]), v["v"]
            if cls is None or not issubclass(cls, tuple) or not hasattr(cls, "_make") or not isinstance(items, list):
                raise DecodeError("a named tuple of the library's")
            return cls._make([self.value(item, depth + 1, strict) for item in items])
        if t == "obj":
            cls, handle = _resolve_type(v["c"]), v.get("h")
            if cls is None or type(handle) is not int:
                raise DecodeError("an object of the library's")
            known = getattr(self.learner, "known", {})
            obj = known.get(handle)
            if type(obj) is not cls:
                obj = cls.__new__(cls)
            self.memo[index] = obj
            attributes = self.value(v["v"], depth + 1, True)
            if not isinstance(attributes, dict) or not all(
                    type(k) is str and k.isidentifier() and not k.startswith("__") and not _shadows(cls, k)
                    for k in attributes):
                raise DecodeError("an object's attributes")
            if _holds_stand_in(attributes):
                raise DecodeError("a stand-in inside an object of the library's")
            obj.__dict__.clear()
            obj.__dict__.update(attributes)
            if isinstance(known, dict):
                known[handle] = obj   # sent again, it is this object, with its new attributes
            return obj
        if strict:
            raise DecodeError("a stand-in inside an object of the library's")
        handle = v.get("h")
        if type(handle) is not int:
            raise DecodeError("a handle")
        known = getattr(self.learner, "known", {})
        if t in ("fn", "ref") and isinstance(known.get(handle), (RemoteFunction, RemoteRef)):
            return known[handle]
        if t == "fn":
            meta = v.get("m") if isinstance(v.get("m"), dict) else {}
            cls = _named(RemoteFunction, str(meta["cls"])) if meta.get("cls") else RemoteFunction
            return known.setdefault(handle, cls(self.learner, handle, meta))
        if t == "ref":
            return known.setdefault(handle, _named(RemoteRef, str(v.get("c", "object")))(self.learner, handle))
        if t == "ntuple":
            items = v["v"]
            if not isinstance(items, list):
                raise DecodeError("a tuple")
            return _named(RemoteTuple, str(v.get("c", "tuple")))(
                [self.value(item, depth + 1) for item in items], self.learner, handle)
        raise DecodeError(f"a value of form {t[:20]!r}")

    def _old(self, v, index, depth, strict):
        """One of the call's arguments (or what it held): its new contents written into the grader's own."""
        path = v.get("p")
        if self.sent is None or not isinstance(path, list) or len(path) < 2:
            raise DecodeError("a path")
        args, kwargs = self.sent
        try:
            obj = args[path[1]] if path[0] == "a" else kwargs[path[1]] if path[0] == "k" else None
            for step in path[2:]:
                obj = obj[step]
        except (IndexError, KeyError, TypeError):
            raise DecodeError("a path to nothing") from None
        contents = v.get("v")
        if not isinstance(contents, dict):
            raise DecodeError("contents")
        if not isinstance(obj, (np.ndarray, list, dict, np.random.Generator)):
            # an object the grader handed back by reference (a stand-in): its contents, as a new value
            return self.value(dict(contents, i=index), depth + 1, strict)
        self.memo[index] = obj
        contents = dict(contents, i=-1 - index)   # decoded apart from the object itself
        new = self.value(contents, depth + 1, strict)
        self.memo.pop(-1 - index, None)
        if isinstance(obj, np.ndarray):
            if isinstance(new, np.ndarray) and new.shape == obj.shape and obj.flags.writeable:
                obj[...] = new
        elif isinstance(obj, list) and isinstance(new, list):
            obj[:] = new
        elif isinstance(obj, dict) and isinstance(new, dict):
            obj.clear()
            obj.update(new)
        elif isinstance(obj, np.random.Generator) and isinstance(new, np.random.Generator):
            obj.bit_generator.state = new.bit_generator.state
        return obj


if __name__ == "__main__":
    serve()
