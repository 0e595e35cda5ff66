"""A check names the earlier exercise function an answer calls (issue 15 item 1).

A learner's rnn_forward calls their rnn_step_forward from the exercise before,
and the check runs it as it is. The verdict must say which rnn_step_forward
that was: the learner's own (and whether it is still the stub) or the library's.
"""

from __future__ import annotations

import textwrap

from rnn_course.exercises import check

STEP_STUB = '''
def rnn_step_forward(x_t, h_prev, Wx, Wh, b, nonlinearity="tanh"):
    ...  # your code here
'''
STEP = '''
def rnn_step_forward(x_t, h_prev, Wx, Wh, b, nonlinearity="tanh"):
    a = x_t @ Wx.T + h_prev @ Wh.T + b
    return (np.tanh(a) if nonlinearity == "tanh" else np.maximum(a, 0)), None
'''
STEP_NO_BIAS = '''
def rnn_step_forward(x_t, h_prev, Wx, Wh, b, nonlinearity="tanh"):
    a = x_t @ Wx.T + h_prev @ Wh.T
    return (np.tanh(a) if nonlinearity == "tanh" else np.maximum(a, 0)), None
'''
FORWARD = '''
def rnn_forward(x, h0, Wx, Wh, b, nonlinearity="tanh"):
    N, T, d = x.shape
    h = np.zeros((N, Wh.shape[0]), dtype=x.dtype) if h0 is None else h0
    states = []
    for t in range(T):
        h, _ = rnn_step_forward(x[:, t], h, Wx, Wh, b, nonlinearity)
        states.append(h)
    return np.stack(states, axis=1), None
'''


def notebook(*cells: str) -> dict:
    """A namespace like a notebook's: the cells run in order in __main__'s name."""
    ns = {"__name__": "__main__"}
    exec("import numpy as np", ns)
    for cell in cells:
        exec(textwrap.dedent(cell), ns)
    return ns


def test_forward_on_the_learners_own_step_says_so():
    result = check("rnn_forward", notebook(STEP, FORWARD)["rnn_forward"])
    assert result.passed, result
    assert result.message.endswith("It calls your own rnn_step_forward."), result.message


def test_forward_on_the_stub_step_fails_and_names_the_stub():
    result = check("rnn_forward", notebook(STEP_STUB, FORWARD)["rnn_forward"])
    assert not result.passed
    assert "It calls your own rnn_step_forward, which is still the stub." in result.message, result.message


def test_forward_on_a_wrong_step_fails_and_names_it():
    result = check("rnn_forward", notebook(STEP_NO_BIAS, FORWARD)["rnn_forward"])
    assert not result.passed
    assert "It calls your own rnn_step_forward." in result.message, result.message


def test_forward_on_the_librarys_step_says_so():
    ns = notebook(FORWARD, "from rnn_course import rnn_step_forward")
    result = check("rnn_forward", ns["rnn_forward"])
    assert result.passed, result
    assert "It calls the library's rnn_step_forward (rnn_course.rnn.rnn_step_forward)." in result.message


def test_an_answer_calling_no_other_exercise_says_nothing_more():
    ns = notebook(STEP)
    result = check("rnn_step_forward", ns["rnn_step_forward"])
    assert result.passed and "It calls" not in result.message, result


def test_a_call_inside_a_nested_function_counts():
    ns = notebook(STEP, '''
def rnn_forward(x, h0, Wx, Wh, b, nonlinearity="tanh"):
    def step(x_t, h):
        return rnn_step_forward(x_t, h, Wx, Wh, b, nonlinearity)[0]
    h = np.zeros((x.shape[0], Wh.shape[0]), dtype=x.dtype) if h0 is None else h0
    states = []
    for t in range(x.shape[1]):
        h = step(x[:, t], h)
        states.append(h)
    return np.stack(states, axis=1), None
''')
    result = check("rnn_forward", ns["rnn_forward"])
    assert result.passed and "It calls your own rnn_step_forward." in result.message, result
