"""Auto-checked exercises: ``check``, ``hint`` and the ``EXERCISES`` registry.

In a chapter::

    from rnn_course.exercises import check, hint

    def rnn_step_forward(x_t, h_prev, Wx, Wh, b, nonlinearity="tanh"):
        ...                                   # your code here

    check("rnn_step_forward", rnn_step_forward)   # a coloured box: not attempted / wrong / right
    hint("rnn_step_forward", 2)                    # hints in three levels

``check`` never raises because the learner's answer is wrong: an untouched
stub reads "not attempted yet", an exception in the learner's code is shown
by its last line, and a wrong answer gets a diagnosis in the book's letters.
"""

from __future__ import annotations

import difflib
import inspect
from dataclasses import dataclass
from typing import Callable

from .. import layers as _layers
from .. import rnn as _rnn
from . import concepts, data_exercises, rnn_exercises
from ._result import FAILED, NOT_ATTEMPTED, PASSED, CheckResult, Hint
from ._run import Fail, NotAttempted, is_stub, last_line

__all__ = ["EXERCISES", "CheckResult", "Exercise", "check", "hint"]


@dataclass(frozen=True)
class Exercise:
    """One entry of the registry.

    - name: the key used by check() and hint()
    - title: shown in the result box
    - chapter: the book chapter that places it
    - kind: "implementation" (the answer is a function) or "concept" (a value)
    - hints: three hints, from a nudge to almost the answer
    - reference: the library function a correct answer must match, or the right value
    - checker: checker(answer, **context) -> message; raises Fail when wrong
    """

    name: str
    title: str
    chapter: str
    kind: str
    hints: tuple
    reference: object
    checker: Callable


_REGISTRY = [
    Exercise(
        "rnn_step_forward", "One step of an RNN cell", "Memory cells and the hidden state", "implementation",
        ("The cell is the note's h_t = f(W_x x_t + W_h h_{t-1} + b), written for a batch of rows.",
         "For rows, W_x x_t becomes `x_t @ Wx.T` (shape (N, d) @ (d, D) = (N, D)); the same for h_prev "
         "and Wh. Pick f from the `nonlinearity` argument.",
         "`a = x_t @ Wx.T + h_prev @ Wh.T + b`, then `h_next = np.tanh(a)` (or `np.maximum(a, 0)` for "
         "relu); return `h_next, cache` where cache holds what the backward pass needs."),
        _rnn.rnn_step_forward, rnn_exercises.check_rnn_step_forward),
    Exercise(
        "rnn_forward", "A whole sequence: the step in a loop", "Memory cells and the hidden state",
        "implementation",
        ("Run your step once per time step, feeding each step's output in as the next step's h_prev.",
         "Loop `for t in range(T)` over `x[:, t]` (shape (N, d)); start from h0, or zeros of shape "
         "(N, D) when h0 is None; collect the T states.",
         "Stack the states batch-first: `h = np.stack(states, axis=1)` gives (N, T, D); return `h, cache`."),
        _rnn.rnn_forward, rnn_exercises.check_rnn_forward),
    Exercise(
        "rnn_step_backward", "Backward through one step", "The math of an RNN", "implementation",
        ("Go backwards through the forward step: first through f, then through the sum of products.",
         "da = dh_next * f'(a), and for tanh f'(a) = 1 - h_next**2 (h_next is already tanh(a)). Each "
         "product `u @ W.T` in the forward pass sends `da @ W` back to u and `da.T @ u` to W.",
         "`dx_t = da @ Wx`, `dh_prev = da @ Wh`, `dWx = da.T @ x_t`, `dWh = da.T @ h_prev`, "
         "`db = da.sum(axis=0)`."),
        _rnn.rnn_step_backward, rnn_exercises.check_rnn_step_backward),
    Exercise(
        "rnn_backward", "Backpropagation through time", "The math of an RNN", "implementation",
        ("Walk the sequence backwards, t = T-1 down to 0, and remember that h_t feeds two things: the "
         "loss at step t and the next step h_{t+1}.",
         "Keep a running `dh_next` (zeros at the start): the gradient at h_t is `dh[:, t] + dh_next`. "
         "Run the step backward on it; its dh_prev becomes the new `dh_next`.",
         "Add every step's dWx, dWh and db into running totals (`+=`), write dx[:, t], and return the "
         "last dh_next as dh0."),
        _rnn.rnn_backward, rnn_exercises.check_rnn_backward),
    Exercise(
        "one_hot", "One-hot vectors", "Sequences", "implementation",
        ("A one-hot vector for id k has V entries, all 0 except entry k, which is 1.",
         "Start from `np.zeros(ids.shape + (V,))` so that ids of any shape work, then set one entry per id.",
         "`np.eye(V)[ids]` picks row k of the identity for every id k, and keeps the shape of ids."),
        _layers.one_hot, data_exercises.check_one_hot),
    Exercise(
        "pad_sequences", "Padding a batch of sentences", "Sequences", "implementation",
        ("The batch array has one row per sentence and as many columns as the longest sentence.",
         "Make `ids = np.full((N, T), pad_value)` with T the longest length, then copy each sentence into "
         "the start of its row.",
         "`for n, s in enumerate(sequences): ids[n, :len(s)] = s`; lengths is `np.array([len(s) for s in "
         "sequences])`; return `ids, lengths`."),
        _layers.pad_sequences, data_exercises.check_pad_sequences),
    Exercise(
        "shape_Wx", "The shape of W_x for d = 3, D = 5", "The math of an RNN", "concept",
        ("W_x turns an input vector into a contribution to the hidden state.",
         "In the note's form W_x x_t, the product must have D entries and x_t has d.",
         "A matrix that maps d numbers to D numbers, written W x, has D rows and d columns."),
        (5, 3), concepts.check_shape_Wx),
    Exercise(
        "shape_Wh", "The shape of W_h for d = 3, D = 5", "The math of an RNN", "concept",
        ("W_h acts on the previous hidden state.",
         "h_{t-1} has D numbers and W_h h_{t-1} must have D numbers too.",
         "D rows and D columns."),
        (5, 5), concepts.check_shape_Wh),
    Exercise(
        "shape_h_n_bidirectional", "The shape of h_n: 2 layers, bidirectional, N = 8, D = 16",
        "Deep and bidirectional RNNs", "concept",
        ("h_n holds one final hidden state per layer and per direction.",
         "Count the (N, D) states: layers times directions.",
         "(num_layers * num_directions, N, D)."),
        (4, 8, 16), concepts.check_shape_h_n_bidirectional),
    Exercise(
        "rnn_param_count", "How many numbers does an RNN cell learn? (d = 3, D = 5)",
        "The math of an RNN", "concept",
        ("Count the entries of every parameter in h_t = f(W_x x_t + W_h h_{t-1} + b).",
         "W_x is D x d, W_h is D x D, b has D entries.",
         "5·3 + 5·5 + 5."),
        45, concepts.check_rnn_param_count),
    Exercise(
        "topologies", "Match each task to its RNN topology", "Topologies", "concept",
        ("Ask of each task: how many inputs does the network read, and how many outputs does it write?",
         "Captioning reads one image; a classifier writes one label; a tagger writes one tag per word.",
         "captioning: one-to-many; spam and sentiment: many-to-one; NER and translation: many-to-many."),
        {task: right for task, (right, _) in concepts.TOPOLOGY_TASKS.items()}, concepts.check_topologies),
    Exercise(
        "mutable_sequences", "Which of Python's sequence types are mutable?", "Sequences", "concept",
        ("Mutable means it can be changed in place, after it is made.",
         "Try `x[0] = ...` on a list, a tuple, a range and a string.",
         "Only one of the four allows it, and it is the one with `.append`."),
        ["list"], concepts.check_mutable_sequences),
    Exercise(
        "spectral_radius", "What happens to ‖∂h_T/∂h_t‖ when W_h's spectral radius is below 1?",
        "The math of an RNN", "concept",
        ("∂h_T/∂h_t is a product of T - t Jacobians, one per step.",
         "Each Jacobian is diag(f'(a)) W_h, and |tanh'| ≤ 1.",
         "A product of many factors that each shrink vectors ... does what as T - t grows?"),
        "vanishes", concepts.check_spectral_radius),
    Exercise(
        "worked_example", "The note's d = D = 4 example, by hand", "The math of an RNN", "concept",
        ("Compute the pre-activation a = W_x x_t + W_h h_{t-1} + b first, one row at a time.",
         "W_x is 0.5 times the identity, so W_x x_t is just x_t / 2; row i of W_h dotted with h_{t-1} "
         "gives entry i of W_h h_{t-1}.",
         "a = [0.6, 0.2, -0.3, 1.3]; now take tanh of each entry."),
        None, concepts.check_worked_example),
]

EXERCISES: dict[str, Exercise] = {ex.name: ex for ex in _REGISTRY}


def check(name, answer, **context) -> CheckResult:
    """Check a learner's answer to the exercise ``name``.

    - answer: the learner's function (implementation exercises) or value
      (shape puzzles and concept questions)
    - context: extra arguments some checkers take, e.g. ``forward=my_rnn_forward``
      for rnn_backward, or ``seed=`` to draw other random cases

    Returns a CheckResult: passed / failed with a diagnosis / not attempted.
    Never raises because of the answer; only an unknown ``name`` raises.
    """
    ex = _lookup(name)
    accepted = [p for p in inspect.signature(ex.checker).parameters][1:]
    unknown = sorted(set(context) - set(accepted))
    if unknown:
        raise TypeError(f"check: the {name!r} check takes no argument {', '.join(unknown)}; "
                        f"it takes {', '.join(accepted) or 'no extra arguments'}")
    if _unattempted(ex, answer):
        return CheckResult(name, ex.title, NOT_ATTEMPTED,
                           "not attempted yet: replace the `...` with your code and run this cell again. "
                           f"Stuck? `hint({name!r}, 1)`.")
    try:
        message = ex.checker(answer, **context)
    except NotAttempted:
        return CheckResult(name, ex.title, NOT_ATTEMPTED,
                           "not attempted yet: your function still raises NotImplementedError.")
    except Fail as fail:
        return CheckResult(name, ex.title, FAILED, _sentence(fail.message), fail.details)
    except Exception as exc:  # a checker must never crash on a learner's answer
        return CheckResult(name, ex.title, FAILED,
                           _sentence(f"the check could not use your answer: {last_line(exc)}"))
    return CheckResult(name, ex.title, PASSED, message)


def hint(name, level=1) -> Hint:
    """Hint number ``level`` (1: a nudge, 2: where to look, 3: almost the answer)."""
    ex = _lookup(name)
    if isinstance(level, bool) or level not in range(1, len(ex.hints) + 1):
        raise ValueError(f"hint: level must be 1, 2 or 3, got {level!r}")
    return Hint(name, level, len(ex.hints), ex.hints[level - 1])


def _lookup(name):
    if name not in EXERCISES:
        close = difflib.get_close_matches(str(name), list(EXERCISES), n=3)
        suggestion = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else "."
        raise ValueError(f"check: no exercise named {name!r}{suggestion} The exercises are: {', '.join(EXERCISES)}")
    return EXERCISES[name]


def _unattempted(ex, answer):
    if ex.kind == "implementation":
        return answer is None or answer is Ellipsis or (callable(answer) and is_stub(answer))
    return answer is None or answer is Ellipsis


def _sentence(text):
    text = text.strip()
    text = text[0].upper() + text[1:] if text else text
    return text if text.endswith((".", "?", "!")) else text + "."
