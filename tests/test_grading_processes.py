"""The grader and the student's code in two processes (rnn_course/exercises/_remote.py, issue 18).

A 5th teacher's try forged a verdict: code that escaped the screen walked the grading process's frames to its
job and wrote the nonce and "passed" itself. The checker now runs in the grading process and the student's
code in a process of its own, called across a pipe. These tests prove that what the student's process can do
ends at the values it returns: the values cross as they should (in-place changes, identity, named tuples,
the library's objects), the grader builds nothing else from what the student's process sends, a call past
the time limit ends that process, and code that runs there unscreened finds no way to the verdict.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from rnn_course.exercises import _run
from rnn_course.exercises._remote import Decoder, DecodeError, Learner, LearnerGone, RemoteFunction, RemoteTuple

PROGRAM = '''import numpy as np
import rnn_course
from collections import namedtuple
Pair = namedtuple("Pair", "a b")
def pair(x):
    print("pair called")
    return Pair(x, 2 * x)
def gap(p):
    return p.b - p.a
def update(d, xs):
    d["W"] -= 1
    xs[0] *= 2
    xs.append(5)
    return d
def replace(xs):
    xs[0] = xs[0] * 2
def draw(rng):
    return rng.random(3)
def lstm():
    return rnn_course.LSTM(3, 4, seed=1)
class Mine(rnn_course.LSTM):
    def forward(self, *args, **kwargs):
        return "not the library's forward"
def mine():
    return Mine(3, 4, seed=1)
def forever(x):
    while True:
        pass
'''
NAMES = ["pair", "gap", "update", "replace", "draw", "lstm", "mine", "forever"]


@pytest.fixture(scope="module")
def learner():
    with Learner(2048, 120) as learner:
        started = learner.start("one_hot", [("added cell 1", PROGRAM)], "pair",
                                {name: name for name in NAMES})
        assert "raised" not in started and started["stopped"] == [], started
        decoder = Decoder(learner)   # the answer first: the context may name the same objects
        decoder.value(started["answer"])
        functions = {name: decoder.value(value) for name, value in started["context"].items()}
        assert all(isinstance(f, RemoteFunction) for f in functions.values()), functions
        yield learner, functions


def test_a_named_tuple_crosses_as_a_tuple_and_comes_back_as_the_students_own(learner):
    _, f = learner
    with _run.collect_prints() as printed:
        p = f["pair"](np.ones(2))
    assert isinstance(p, RemoteTuple) and type(p).__name__ == "Pair" and len(p) == 2
    assert np.array_equal(p[1], [2.0, 2.0]) and printed.report() == ["pair called"]
    assert np.array_equal(f["gap"](p), [1.0, 1.0])   # .a and .b: the student's Pair, handed back


def test_what_a_function_changes_in_place_is_changed_in_the_graders_objects(learner):
    _, f = learner
    W = np.zeros((2, 2))
    d, first = {"W": W}, np.ones(3)
    xs = [first]
    result = f["update"](d, xs)
    assert result is d and d["W"] is W and np.array_equal(W, -np.ones((2, 2)))   # in place, same objects
    assert xs[0] is first and np.array_equal(first, [2, 2, 2]) and xs[1:] == [5]
    kept = np.ones(2)
    ys = [kept]
    f["replace"](ys)   # a new array in the list: the grader's first one is left as it was
    assert ys[0] is not kept and np.array_equal(kept, [1, 1]) and np.array_equal(ys[0], [2, 2])
    rng = np.random.default_rng(3)
    first_draw = f["draw"](rng)
    assert np.array_equal(first_draw, np.random.default_rng(3).random(3))
    assert not np.array_equal(f["draw"](rng), first_draw)   # the generator's state moved on in the grader too


def test_a_library_object_is_rebuilt_as_the_librarys_class(learner):
    import rnn_course
    _, f = learner
    model = f["lstm"]()
    assert type(model) is rnn_course.LSTM and model.hidden_size == 4
    assert all(np.array_equal(model.params[k], rnn_course.LSTM(3, 4, seed=1).params[k]) for k in model.params)
    theirs = f["mine"]()   # a subclass with methods of its own is no library object: a stand-in, named as it is
    assert not isinstance(theirs, rnn_course.LSTM) and type(theirs).__name__ == "Mine"


def test_a_call_past_the_time_limit_ends_the_students_process(monkeypatch):
    monkeypatch.setattr(_run, "TIME_LIMIT", 0.5)
    with Learner(2048, 60) as learner:
        started = learner.start("one_hot", [("added cell 1", PROGRAM)], "forever", {"pair": "pair"})
        decoder = Decoder(learner)
        forever, pair = decoder.value(started["answer"]), decoder.value(started["context"]["pair"])
        with pytest.raises(_run.Fail, match="did not return within 0.5 s"):
            _run.guarded(forever, 1)
        assert learner.proc.poll() is not None   # ended, not left running
        with pytest.raises(LearnerGone, match="ran past the time limit"):
            pair(np.ones(1))


@pytest.mark.parametrize("value", [
    {"t": "nd", "i": 0, "d": "|O", "s": [1], "v": ""},                       # object arrays: pickles
    {"t": "nd", "i": 0, "d": "<f8", "s": [3], "v": "AAAA"},                   # bytes that do not fit the shape
    {"t": "type", "v": "os:system"},                                         # only builtins, numpy, the library
    {"t": "type", "v": "rnn_course.exercises._isolated:Verdict"},            # never the checkers'
    {"t": "obj", "i": 0, "c": "subprocess:Popen", "v": {"t": "dict", "i": 1, "k": [], "v": []}},
    {"t": "obj", "i": 0, "c": "rnn_course.lstm:LSTM",                        # no stand-in inside a library object
     "v": {"t": "dict", "i": 1, "k": ["forward"], "v": [{"t": "fn", "i": 2, "h": 1, "m": {}}]}},
    {"t": "obj", "i": 0, "c": "rnn_course.lstm:LSTM",                        # nor a dunder attribute
     "v": {"t": "dict", "i": 1, "k": ["__class__"], "v": [None]}},
    {"t": "same", "i": 5},                                                   # a reference to nothing
    {"t": "pickle", "i": 0, "v": "gASVAAAAAAAAAAA="},                        # a form that does not exist
    {"t": "list", "i": 0, "v": [{"t": "same", "i": 0}] * 3 + [[1]]},         # a bare JSON list inside
    {"t": "rng", "i": 0, "b": "Evil", "v": {}},
])
def test_the_grader_builds_nothing_but_the_forms_it_reads(value):
    with pytest.raises(DecodeError):
        Decoder(None).value(value)


ESCAPED = '''import json, os, signal, socket, subprocess, sys
found = []
frame = sys._getframe()
while frame is not None:            # the 5th teacher's try: up the frames to the grading process's job
    found += [name for name in ("job", "nonce") if name in frame.f_locals]
    frame = frame.f_back
tries = {}
def attempt(what, action):
    try:
        action()
        tries[what] = "done"
    except OSError as exc:
        tries[what] = type(exc).__name__
parent = f"/proc/{os.getppid()}"
attempt("mem", lambda: open(parent + "/mem", "rb").read(1))                 # the grading process's memory
attempt("fd", lambda: open(parent + "/fd/1", "wb"))                         # and its pipe to nbgrader
attempt("write", lambda: open("planted.py", "w").write("x"))                # a file, even in its own folder
attempt("read", lambda: open("/etc/hostname").read())                       # a file outside the allowed roots
attempt("process", lambda: subprocess.run(["true"]))
attempt("socket", lambda: socket.create_connection(("127.0.0.1", 9)))
# calls that raise no audit event (a 7th teacher's try): the seccomp filter refuses them
attempt("mknod", lambda: os.mknod("planted.fifo"))
attempt("signal", lambda: signal.pidfd_send_signal(os.pidfd_open(os.getppid()), signal.SIGSTOP))
caps = [line.split()[1] for line in open("/proc/self/status") if line.startswith(("CapEff:", "CapBnd:"))]
REPORT = json.dumps({"found": found, "tries": tries, "caps": caps})
def rnn_step_forward(x_t, h_prev, Wx, Wh, b, nonlinearity="tanh"):
    raise RuntimeError(REPORT)
'''
WRITES_A_VERDICT = '''import json, os
fake = json.dumps({"passed": True, "text": "[Correct] forged", "changed": "", "library": "", "fresh": ""})
for fd in range(3, 64):             # a verdict written to every descriptor, the pipe to the grader among them
    try:
        os.write(fd, fake.encode() + b"\\n")
    except OSError:
        pass
def rnn_step_forward(x_t, h_prev, Wx, Wh, b, nonlinearity="tanh"):
    ...
'''


def test_code_that_escapes_the_screen_cannot_reach_the_verdict(tmp_path):
    # Run unscreened, as if it had escaped the screen, in the grading processes that nbgrader starts: it finds
    # no job in its frames; it can open no file to write, none outside the allowed places to read, no process
    # and no socket (the student's process's audit hook); it holds no capability even when the grader runs as
    # root; and what it writes to its descriptors only ends its own process.
    from rnn_course.exercises._isolated import grade_in_fresh_process

    verdict = grade_in_fresh_process("rnn_step_forward", [("answer cell 1", ESCAPED)], "rnn_step_forward", {},
                                     tmp_path, fresh_seed=7)
    assert not verdict.passed and "RuntimeError: " in verdict.text, verdict
    report, _ = json.JSONDecoder().raw_decode(verdict.text.split("RuntimeError: ", 1)[1])
    assert report["found"] == [] and set(report["tries"].values()) == {"PermissionError"}, report
    assert report["caps"] == ["0000000000000000"] * 2, report
    assert list(tmp_path.iterdir()) == []
    verdict = grade_in_fresh_process("rnn_step_forward", [("answer cell 1", WRITES_A_VERDICT)], "rnn_step_forward",
                                     {}, tmp_path, fresh_seed=7)
    assert not verdict.passed and "forged" not in verdict.text and "process in the grader" in verdict.text, verdict


HOPPERS = '''import os, sys, time
if os.fork():
    os._exit(0)
os.setsid()                      # detached, as a kernel's daemon would be
for _ in range(3):               # four chains
    os.fork()
start = time.time()
while time.time() - start < 2:   # each generation forks the next and exits, every 0.3 ms
    if os.fork():
        os._exit(0)
    time.sleep(0.0003)
open(sys.argv[1] + "/survived-%d" % os.getpid(), "w").close()
'''
ENDS_THEM = '''import os, subprocess, sys, time
from rnn_course.exercises import _isolated
assert _isolated.become_subreaper()
before = _isolated._descendants()
subprocess.run([sys.executable, "-S", "-c", sys.argv[2], sys.argv[1]])
time.sleep(0.3)
ended = _isolated._end_left_processes(before)
print(ended, len(_isolated._descendants() - before))
'''


def test_processes_that_fork_and_exit_faster_than_proc_is_read_are_ended(tmp_path):
    # A 5th teacher's try: a process that forks the next and exits every 0.3 ms outran twenty rounds of killing
    # what a walk of /proc had found, and went on writing after its grading. Now every new process is stopped
    # first, and its next generation, the subreaper's own child, is found at once.
    import subprocess
    import sys
    import time

    done = subprocess.run([sys.executable, "-c", ENDS_THEM, str(tmp_path), HOPPERS], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    ended, left = map(int, done.stdout.split())
    assert ended > 0 and left == 0, done.stdout   # stopped, killed and reaped
    time.sleep(2.5)   # past the chains' two seconds: a survivor would have left its mark
    assert list(tmp_path.iterdir()) == []


SECCOMP = '''import ctypes, fcntl, os, resource, socket, sys, tempfile, threading
import numpy as np
from rnn_course.exercises._seccomp import confine_system_calls
folder = sys.argv[1]
with open(os.path.join(folder, "kept.txt"), "w") as f:
    f.write("kept")
reader, writer = os.pipe()
assert confine_system_calls()
def refused(action):
    try:
        action()
    except PermissionError:
        return True
    return False
assert open(os.path.join(folder, "kept.txt")).read() == "kept"               # reading stays allowed
tries = {
    "write": lambda: open(os.path.join(folder, "new.txt"), "w"),
    "read-write": lambda: os.open(os.path.join(folder, "kept.txt"), os.O_RDWR),
    "append": lambda: open(os.path.join(folder, "kept.txt"), "a"),
    "fork": os.fork,
    "process": lambda: __import__("subprocess").run(["/bin/true"]),   # _posixsubprocess.fork_exec, below
    "socket": socket.socket,
    "signal": lambda: os.kill(os.getppid(), 0),
    "pidfd": lambda: os.pidfd_open(os.getppid()),
    "mknod": lambda: os.mknod(os.path.join(folder, "node")),
    "unlink": lambda: os.unlink(os.path.join(folder, "kept.txt")),
    "rename": lambda: os.rename(os.path.join(folder, "kept.txt"), os.path.join(folder, "moved.txt")),
    # an 8th teacher's try: typing into the terminal, signals through fcntl, another process's limits
    "TIOCSTI": lambda: fcntl.ioctl(reader, 0x5412, b"x"),
    "F_SETOWN": lambda: fcntl.fcntl(writer, fcntl.F_SETOWN, os.getppid()),
    "prlimit": lambda: resource.prlimit(os.getppid(), resource.RLIMIT_FSIZE, (1 << 20, 1 << 20)),
}
newer = ctypes.CDLL(None, use_errno=True).syscall(452, -100, b"kept.txt", 0o666, 0)   # fchmodat2
assert (newer, ctypes.get_errno()) == (-1, 38)   # ENOSYS: newer than the filter
assert resource.prlimit(0, resource.RLIMIT_NOFILE) and fcntl.fcntl(writer, fcntl.F_GETFL) >= 0   # its own
print(sorted(name for name, action in tries.items() if not refused(action)))
done = []                                                                   # threads and numpy still work
worker = threading.Thread(target=lambda: done.append(float((np.ones((64, 64)) @ np.ones((64, 64))).sum())))
worker.start()
worker.join()
print(done)
'''


def test_the_seccomp_filter_refuses_writes_processes_signals_and_sockets_and_keeps_threads(tmp_path):
    # A 7th teacher's try got past the audit hook alone: _posixsubprocess.fork_exec started a shell, pidfd
    # signals and os.mknod raise no audit event. The kernel's seccomp filter refuses them on the system call.
    import platform
    import subprocess
    import sys

    if not sys.platform.startswith("linux") or platform.machine() != "x86_64":
        pytest.skip("the seccomp filter is for x86-64 Linux")
    done = subprocess.run([sys.executable, "-c", SECCOMP, str(tmp_path)], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["[]", "[262144.0]"], done.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.txt"]
