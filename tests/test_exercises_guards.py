"""The guards every check puts around the learner's function (rnn_course/exercises/_run.py, guarded):
a time limit, captured and capped prints, SystemExit and KeyboardInterrupt contained, a non-callable
answer told so, the book's names kept as written, and hint() levels that must be whole numbers."""

import sys
import threading
import time

import numpy as np
import pytest

from rnn_course.exercises import EXERCISES, _run, check, hint
from checking import assert_fails, assert_passes


@pytest.fixture
def short_limit(monkeypatch):
    monkeypatch.setattr(_run, "TIME_LIMIT", 0.5)


def _right(x_t, h_prev, Wx, Wh, b, nonlinearity="tanh"):
    a = x_t @ Wx.T + h_prev @ Wh.T + b
    return (np.tanh(a) if nonlinearity == "tanh" else np.maximum(a, 0)), None


# -- the time limit ----------------------------------------------------------------------


def endless(x_t, h_prev, Wx, Wh, b, nonlinearity="tanh"):
    h = h_prev
    t = 0
    while t < 5:  # the learner forgot t += 1
        h = np.tanh(x_t @ Wx.T + h @ Wh.T + b)
    return h, None


def sleeps(x_t, h_prev, Wx, Wh, b, nonlinearity="tanh"):
    time.sleep(60)


def swallows_everything(x_t, h_prev, Wx, Wh, b, nonlinearity="tanh"):
    while True:
        try:
            time.sleep(60)
        except:  # noqa: E722 -- a bare except, as learners write it
            pass


@pytest.mark.parametrize("fn", [endless, sleeps, swallows_everything])
def test_an_endless_function_is_stopped_and_named(short_limit, fn):
    start = time.monotonic()
    result = check("rnn_step_forward", fn)
    assert time.monotonic() - start < 5
    assert_fails(result, "did not return within 0.5 s", "loop that never ends")


def test_the_time_limit_leaves_no_timer_or_tracer_behind(short_limit):
    import signal
    check("rnn_step_forward", swallows_everything)
    assert signal.getitimer(signal.ITIMER_REAL)[0] == 0
    assert sys.gettrace() is None or "stop_every_line" not in repr(sys.gettrace())
    assert_passes(check("rnn_step_forward", _right))  # and the next check runs normally


def test_the_time_limit_works_from_another_thread(short_limit):
    """Off the main thread there is no SIGALRM: the call runs in a worker thread that is waited for."""
    results = {}
    worker = threading.Thread(target=lambda: results.update(r=check("rnn_step_forward", endless),
                                                            ok=check("rnn_step_forward", _right)))
    worker.start()
    worker.join(20)
    assert_fails(results["r"], "did not return within 0.5 s")
    assert_passes(results["ok"])


def test_the_time_limit_applies_to_every_checker(monkeypatch):
    monkeypatch.setattr(_run, "TIME_LIMIT", 0.2)   # shorter than short_limit's: 30 checkers wait it out

    def forever(*args, **kwargs):
        while True:
            pass

    for name, ex in EXERCISES.items():
        if ex.kind == "implementation":
            # train_model runs a whole training, so its one call gets TRAIN_TIME_FACTOR (6) times the limit
            assert_fails(check(name, forever), "did not return within 1.2 s" if name == "train_model"
                         else "did not return within 0.2 s")


# -- prints ---------------------------------------------------------------------------------


def test_prints_are_captured_capped_and_counted(capsys):
    def chatty(x_t, h_prev, Wx, Wh, b, nonlinearity="tanh"):
        for i in range(20_000):
            print("step", i)
        print("oops", file=sys.stderr)
        return _right(x_t, h_prev, Wx, Wh, b, nonlinearity)

    result = check("rnn_step_forward", chatty)
    assert_passes(result)
    out = capsys.readouterr()
    lines = out.out.splitlines()
    assert len(lines) <= _run.PRINT_LINES + 2 and out.err == ""
    assert lines[0].startswith("Your function printed 120,006 lines during the check")  # 6 cases x 20,001
    assert lines[1] == "step 0"
    assert "more printed lines cut" in lines[-1] and "119,986" in lines[-1]


def test_a_few_prints_are_shown_whole(capsys):
    def prints_shape(x_t, h_prev, Wx, Wh, b, nonlinearity="tanh"):
        print(x_t.shape)
        return _right(x_t, h_prev, Wx, Wh, b, nonlinearity)

    assert_passes(check("rnn_step_forward", prints_shape))
    lines = capsys.readouterr().out.splitlines()
    assert lines == ["Your function printed 6 lines during the check (its prints and warnings):", "(3, 4)",
                     "(2, 3)", "(1, 2)", "(2, 5)", "(2, 3)", "(2, 3)"]


def test_a_silent_function_prints_nothing(capsys):
    assert_passes(check("rnn_step_forward", _right))
    assert capsys.readouterr().out == ""


# -- SystemExit, KeyboardInterrupt, other exceptions -------------------------------------------


def test_sys_exit_is_contained():
    def exits(x_t, h_prev, Wx, Wh, b, nonlinearity="tanh"):
        sys.exit("done")

    def bare_exit(x_t, h_prev, Wx, Wh, b, nonlinearity="tanh"):
        raise SystemExit

    assert_fails(check("rnn_step_forward", exits), "called sys.exit()", "`return`")
    assert_fails(check("rnn_step_forward", bare_exit), "called sys.exit()")
    assert_fails(check("clip_grad_norm", lambda grads, max_norm: sys.exit(1)), "called sys.exit()")


def test_keyboard_interrupt_is_contained():
    def interrupted(x_t, h_prev, Wx, Wh, b, nonlinearity="tanh"):
        raise KeyboardInterrupt

    assert_fails(check("rnn_step_forward", interrupted), "interrupted (KeyboardInterrupt)")


def test_endless_recursion_is_named():
    def rnn_step_forward(x_t, h_prev, Wx, Wh, b, nonlinearity="tanh"):
        return rnn_step_forward(x_t, h_prev, Wx, Wh, b, nonlinearity)

    assert_fails(check("rnn_step_forward", rnn_step_forward), "RecursionError", "calls itself")


# -- the answer must be a function -------------------------------------------------------------


@pytest.mark.parametrize("answer,kind", [(42, "an int"), ((np.zeros((3, 4)), None), "a tuple"),
                                         (np.zeros(3), "a numpy array"), ("rnn_step_forward", "a str")])
def test_a_non_callable_answer_is_told_so(answer, kind):
    result = check("rnn_step_forward", answer)
    assert_fails(result, f"your answer is {kind}", "without parentheses",
                 "check('rnn_step_forward', rnn_step_forward)")
    assert result.message.startswith("This exercise checks a function")


def test_the_charlm_exercise_names_its_function():
    assert_fails(check("charlm_lstm", 3), "check('charlm_lstm', make_lstm_lm)")


# -- the book's names, as written -----------------------------------------------------------


def test_names_from_the_code_are_never_capitalised():
    def returns_none(x_t, h_prev, Wx, Wh, b, nonlinearity="tanh"):
        return None

    def four(dh_next, cache):
        return 1, 2, 3, 4

    def db_rows(dh_next, cache):
        from rnn_course import rnn_step_backward
        dx, dh, dWx, dWh, db = rnn_step_backward(dh_next, cache)
        return dx, dh, dWx, dWh, np.tile(db, (dh_next.shape[0], 1))

    m = check("rnn_step_forward", returns_none).message
    assert m.startswith("rnn_step_forward returned None"), m
    assert check("rnn_step_backward", four).message.startswith("rnn_step_backward must return 5 gradients")
    assert check("rnn_step_backward", db_rows).message.startswith("db: db has one row per sequence")
    for result in [check(n, lambda *a, **k: None) for n in EXERCISES if EXERCISES[n].kind == "implementation"]:
        for invented in ("Rnn_", "H_next", "Dx_t", "DWx", "Db ", "Dh0", "Lstm_", "Gru_"):
            assert invented not in result.message, result.message


def test_single_step_cases_do_not_mention_T():
    def wrong(x_t, h_prev, Wx, Wh, b, nonlinearity="tanh"):
        return np.tanh(x_t @ Wx.T + h_prev @ Wh.T + b) * 0.5, None

    def wrong_back(dh_next, cache):
        from rnn_course import rnn_step_backward
        return tuple(2 * g for g in rnn_step_backward(dh_next, cache))

    for result in (check("rnn_step_forward", wrong), check("rnn_step_backward", wrong_back)):
        assert result.status == "failed"
        text = result.message + " ".join(result.details)
        assert "T=" not in text and "T = " not in text, text


# -- hint levels ---------------------------------------------------------------------------


@pytest.mark.parametrize("level", [2.0, "2", None, 1.5])
def test_hint_levels_must_be_whole_numbers(level):
    with pytest.raises(TypeError, match="level must be the whole number 1, 2 or 3"):
        hint("rnn_forward", level)


def test_hint_accepts_numpy_integers():
    assert hint("rnn_forward", np.int64(2)).level == 2
    with pytest.raises(ValueError, match="got 0"):
        hint("rnn_forward", 0)
