"""Checkers for shape puzzles and concept questions.

A concept check accepts equivalent forms of the right answer (a list or a
tuple for a shape; "many-to-one", "many to one" or "Many_To_One" for a
topology) and explains each wrong answer it recognises.
"""

from __future__ import annotations

import numpy as np

from ._run import Fail, fmt_shape


def as_shape(answer, what="the shape"):
    """A learner's shape answer as a tuple of ints: accepts tuples, lists and arrays."""
    if isinstance(answer, np.ndarray):
        answer = answer.tolist()
    if isinstance(answer, int) and not isinstance(answer, bool):
        answer = (answer,)
    if not isinstance(answer, (tuple, list)) or not all(
            isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in answer):
        raise Fail(f"give {what} as a tuple of whole numbers, like (2, 3); got {answer!r}")
    return tuple(int(a) for a in answer)


def check_shape(answer, expected, wrong=None, what="the shape"):
    """wrong: {shape: explanation} for the mistakes worth naming."""
    got = as_shape(answer, what)
    if got == tuple(expected):
        return f"Right: {fmt_shape(expected)}."
    for shape, why in (wrong or {}).items():
        if got == tuple(shape):
            raise Fail(f"{fmt_shape(got)} is not it: {why}")
    raise Fail(f"{fmt_shape(got)} is not {what}; work it out axis by axis from the letters")


def _norm(text):
    return "".join(ch for ch in str(text).lower() if ch.isalnum())


def check_choice(answer, right, options, why):
    """One answer out of options (compared loosely: case, spaces and dashes ignored).

    options: {canonical option: [synonyms]}; why: {canonical option: explanation if chosen wrongly}.
    """
    pick = None
    for option, synonyms in options.items():
        if _norm(answer) in {_norm(option), *map(_norm, synonyms)}:
            pick = option
            break
    if pick is None:
        raise Fail(f"{answer!r} is not one of the options: " + ", ".join(repr(o) for o in options))
    if pick != right:
        raise Fail(f"not {pick!r}: {why[pick]}")
    return f"Right: {right}. {why[right]}"


# -- the questions ---------------------------------------------------------------

def check_shape_Wx(answer):
    return check_shape(answer, (5, 3), {
        (3, 5): "that is the (d, D) orientation of CS231n and D2L, where the batch form is x W. "
                "The note and PyTorch store W_x as (D, d): one row per hidden unit",
        (5, 5): "W_x maps an input of size d = 3 to the hidden size D = 5, so it has d columns",
        (3, 3): "W_x has one row per hidden unit (D = 5) and one column per input number (d = 3)",
    }, "the shape of W_x")


def check_shape_Wh(answer):
    return check_shape(answer, (5, 5), {
        (3, 5): "W_h multiplies the previous hidden state, which has size D, not the input",
        (5, 3): "that is W_x's shape; W_h maps h_{t-1} (size D) to size D",
        (3, 3): "W_h acts on the hidden state, of size D = 5; d = 3 is the input size",
    }, "the shape of W_h")


def check_shape_h_n_bidirectional(answer):
    return check_shape(answer, (4, 8, 16), {
        (2, 8, 16): "that counts the layers but not the directions: each of the 2 layers has a "
                    "forward and a backward final state, num_layers * num_directions = 4",
        (2, 8, 32): "the two directions of h_n are stacked on the first axis; concatenating them on "
                    "the last axis is what `output` does, not h_n",
        (8, 4, 16): "h_n is not batch-first, even with batch_first=True: its shape is "
                    "(num_layers * num_directions, N, D)",
        (4, 16, 8): "the axes are (layers*directions, N, D): the batch comes before the hidden size",
    }, "the shape of h_n")


def check_rnn_param_count(answer):
    if isinstance(answer, bool) or not isinstance(answer, (int, np.integer)):
        raise Fail(f"give the count as a whole number; got {answer!r}")
    answer = int(answer)
    explain = {
        50: "that counts PyTorch's two bias vectors (bias_ih and bias_hh); the note's cell has a single b",
        40: "that forgets the bias b, which has D = 5 entries",
        30: "W_x is D x d = 15 numbers but W_h is D x D = 25, not D x d",
        39: "W_h is D x D = 25 numbers, not d x d",
        24: "count the entries of the matrices, not their sides",
    }
    if answer == 45:
        return "Right: D·d + D·D + D = 15 + 25 + 5 = 45, whatever the sequence length T."
    raise Fail(f"{answer} is not it: " + explain.get(
        answer, "add up the entries of W_x (D x d), W_h (D x D) and b (D)"))


TOPOLOGY_OPTIONS = {
    "one-to-many": ["one to many", "1:n", "1-to-n"],
    "many-to-one": ["many to one", "n:1", "n-to-1"],
    "many-to-many": ["many to many", "n:n", "n:m", "seq2seq", "sequence-to-sequence"],
    "one-to-one": ["one to one", "1:1"],
}
TOPOLOGY_TASKS = {
    "image captioning": ("one-to-many", "one image in, a sequence of words out"),
    "spam detection": ("many-to-one", "a sequence of words in, one label (spam or not) out"),
    "sentiment classification": ("many-to-one", "a sequence of words in, one label out"),
    "named-entity recognition": ("many-to-many", "one tag out for every word in"),
    "translation": ("many-to-many", "a sentence in, a sentence of a possibly different length out"),
}


def check_topologies(answer):
    """answer: a dict task -> topology, for the tasks in TOPOLOGY_TASKS."""
    if not isinstance(answer, dict):
        raise Fail("give a dict mapping each task to its topology, e.g. "
                   "{'image captioning': 'one-to-many', ...}")
    given = {_norm(k): v for k, v in answer.items()}
    for task, (right, why) in TOPOLOGY_TASKS.items():
        if _norm(task) not in given:
            raise Fail(f"the task {task!r} has no answer yet")
        try:
            check_choice(given[_norm(task)], right, TOPOLOGY_OPTIONS,
                         {o: why for o in TOPOLOGY_OPTIONS})
        except Fail as fail:
            raise Fail(f"{task}: {fail.message}") from None
    return "Right: every task has its topology."


SEQUENCE_TYPES = {"list": list, "tuple": tuple, "range": range, "str": str}


def check_mutable_sequences(answer):
    """answer: the mutable ones among list, tuple, range, str (names or the types themselves)."""
    if isinstance(answer, (str, type)):
        answer = [answer]
    try:
        picked = {a.__name__ if isinstance(a, type) else str(a).strip().lower() for a in answer}
    except TypeError:
        raise Fail("give a list of type names, e.g. ['list']") from None
    unknown = picked - set(SEQUENCE_TYPES)
    if unknown:
        raise Fail(f"{sorted(unknown)} is not among the note's sequence types: list, tuple, range, str")
    why = {
        "tuple": "a tuple cannot be changed after it is made: t[0] = 1 raises TypeError",
        "range": "a range is an immutable description of numbers; r[0] = 1 raises TypeError",
        "str": "strings are immutable: s[0] = 'x' raises TypeError; s.replace makes a new string",
    }
    for name in sorted(picked - {"list"}):
        raise Fail(f"{name} is not mutable: {why[name]}")
    if "list" not in picked:
        raise Fail("one of them is mutable: which one has .append and allows x[0] = ...?")
    return "Right: only list is mutable; tuple, range and str cannot be changed in place."


def check_spectral_radius(answer):
    options = {
        "vanishes": ["shrinks", "goes to zero", "decays", "vanish", "shrink", "smaller"],
        "explodes": ["grows", "blows up", "explode", "grow", "larger"],
        "stays the same": ["constant", "unchanged", "same"],
    }
    why = {
        "vanishes": "∂h_T/∂h_t is a product of T - t Jacobians diag(f')·W_h; with |f'| ≤ 1 and the "
                    "spectral radius of W_h below 1, its norm shrinks roughly geometrically with the "
                    "distance T - t, so early inputs barely affect the gradient",
        "explodes": "growth needs a spectral radius above 1 (and f' not too small); below 1 every "
                    "factor shrinks the product",
        "stays the same": "each of the T - t factors diag(f')·W_h shrinks vectors when the spectral "
                          "radius is below 1, so the product cannot stay the same size",
    }
    return check_choice(answer, "vanishes", options, why)


# The note's worked example: batch 1, d = D = 4, tanh. Small round numbers, so
# the pre-activation can be computed by hand; the chapter prints these arrays.
WORKED_EXAMPLE = dict(
    x_t=np.array([[1.0, 0.0, -1.0, 2.0]]),
    h_prev=np.array([[0.5, -0.5, 1.0, 0.0]]),
    Wx=np.array([[0.5, 0.0, 0.0, 0.0],
                 [0.0, 0.5, 0.0, 0.0],
                 [0.0, 0.0, 0.5, 0.0],
                 [0.0, 0.0, 0.0, 0.5]]),
    Wh=np.array([[0.1, 0.1, 0.1, 0.1],
                 [0.2, 0.0, 0.0, 0.0],
                 [0.0, 0.0, 0.3, 0.0],
                 [0.0, -0.2, 0.0, 0.0]]),
    b=np.array([0.0, 0.1, -0.1, 0.2]),
)


def check_worked_example(answer):
    """answer: h_t for WORKED_EXAMPLE, shape (1, 4) or (4,), to 3 decimals."""
    ex = WORKED_EXAMPLE
    try:
        got = np.asarray(answer, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise Fail(f"give h_t as 4 numbers, e.g. [0.1, 0.2, 0.3, 0.4]; got {answer!r}") from None
    if got.size != 4:
        raise Fail(f"h_t has D = 4 numbers; you gave {got.size}")
    a = (ex["Wx"] @ ex["x_t"][0] + ex["Wh"] @ ex["h_prev"][0] + ex["b"])
    right = np.tanh(a)
    tol = 2e-3
    if np.allclose(got, right, atol=tol):
        return f"Right: h_t = tanh({np.round(a, 3).tolist()}) = {np.round(right, 3).tolist()}."
    wrong = [
        ("that is the pre-activation a = W_x x_t + W_h h_{t-1} + b; apply tanh to every entry", a),
        ("W_h h_{t-1} is missing: the previous hidden state contributes too",
         np.tanh(ex["Wx"] @ ex["x_t"][0] + ex["b"])),
        ("the bias b is missing", np.tanh(ex["Wx"] @ ex["x_t"][0] + ex["Wh"] @ ex["h_prev"][0])),
        ("W_h looks transposed: row i of W_h gives entry i of W_h h_{t-1}",
         np.tanh(ex["Wx"] @ ex["x_t"][0] + ex["Wh"].T @ ex["h_prev"][0] + ex["b"])),
        ("that is ReLU; this example uses tanh", np.maximum(a, 0)),
    ]
    for why, value in wrong:
        if np.allclose(got, value, atol=tol):
            raise Fail(f"not quite: {why}")
    k = int(np.argmax(np.abs(got - right)))
    raise Fail(f"entry {k} is off: you have {got[k]:.3f}; recompute row {k} of W_x x_t + W_h h_(t-1) + b "
               f"and take its tanh")
