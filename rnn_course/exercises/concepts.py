"""Checkers for shape puzzles and concept questions.

A concept check accepts equivalent forms of the right answer (a list, a
tuple, an array or a string such as "8, 12, 32" for a shape; 45, 45.0 or
np.array(45) for a count; "many-to-one", "many to one" or "Many_To_One" for a
topology) and explains each wrong answer it recognises.
"""

from __future__ import annotations

import re

import numpy as np

from ..gru import GRU
from ..lstm import LSTM
from ..rnn import RNN
from ._run import Fail, fmt_shape

_SHAPE_TEXT = re.compile(r"\s*[(\[]?\s*(\d+(?:\s*,\s*\d+)*)\s*,?\s*[)\]]?\s*")


def _integral(a):
    """a as an int if it is a whole number (int, numpy integer, or a float such as 45.0); else None."""
    if isinstance(a, (bool, np.bool_)):
        return None
    if isinstance(a, (int, np.integer)):
        return int(a)
    if isinstance(a, (float, np.floating)) and float(a).is_integer():
        return int(a)
    return None


def as_shape(answer, what="the shape"):
    """A learner's shape answer as a tuple of ints: accepts tuples, lists, arrays, whole floats and strings
    such as "8, 12, 32" or "(8, 12, 32)"."""
    if isinstance(answer, str):
        m = _SHAPE_TEXT.fullmatch(answer)
        if m:
            answer = [int(p) for p in m.group(1).split(",")]
    if isinstance(answer, np.ndarray):
        answer = answer.tolist()
    if _integral(answer) is not None:
        answer = (answer,)
    if not isinstance(answer, (tuple, list)) or any(_integral(a) is None for a in answer):
        raise Fail(f"give {what} as a tuple of whole numbers, like (2, 3); got {answer!r}")
    return tuple(_integral(a) for a in answer)


def whole_number(answer, what="the count"):
    """A learner's count as an int: accepts 45, 45.0, np.int64(45), np.array(45) and np.array([45])."""
    if isinstance(answer, (np.ndarray, list, tuple)) and np.size(answer) == 1:
        answer = np.asarray(answer).reshape(()).item()
    value = _integral(answer)
    if value is None:
        raise Fail(f"give {what} as a whole number; got {answer!r}")
    return value


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
    answer = whole_number(answer)
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
    """The long-run behaviour of ||dh_T/dh_t|| = ||W_h^(T-t)|| for a linear RNN with spectral radius < 1."""
    options = {
        "vanishes": ["shrinks", "goes to zero", "decays", "vanish", "shrink", "smaller"],
        "explodes": ["grows", "blows up", "explode", "grow", "larger"],
        "stays the same": ["constant", "unchanged", "same"],
    }
    why = {
        "vanishes": "For a linear RNN ∂h_T/∂h_t = W_h^k with k = T - t, and the k-th root of ‖W_h^k‖ tends "
                    "to the spectral radius ρ as k grows (Gelfand's formula), so with ρ < 1 the norm tends "
                    "to zero. Not necessarily at every step: when the largest singular value of W_h is above "
                    "1, the norm can first grow, as it does for the chapter's linear RNN at ρ = 0.9.",
        "explodes": "it can grow for a while, when W_h's largest singular value is above 1, but not for "
                    "ever: the k-th root of ‖W_h^k‖ tends to the spectral radius ρ < 1, so the norm tends "
                    "to zero; growth for large T - t needs ρ of at least 1",
        "stays the same": "the k-th root of ‖W_h^k‖ tends to the spectral radius ρ < 1 (Gelfand's formula), "
                          "so the norm tends to zero and cannot stay the same size",
    }
    return check_choice(answer, "vanishes", options, why)


# The note's worked example: batch 1, d = D = 4, tanh, and an output layer
# with C = 3 classes. Small round numbers, so every product can be done by
# hand; the chapter prints these arrays. W_x is not symmetric, so using its
# columns instead of its rows (a transposed W_x) gives a different answer.
# The chapter hands WORKED_EXAMPLE to the learner; the check reads its own
# copy, _WORKED, so an answer that changes the learner's arrays in place
# changes nothing the check compares with (the grader gives the chapter's
# import of it to the answer, see _screen._CHAPTER_DATA).
WORKED_EXAMPLE = dict(
    x_t=np.array([[1.0, 0.0, -1.0, 2.0]]),
    h_prev=np.array([[0.5, -0.5, 1.0, 0.0]]),
    Wx=np.array([[0.5, 0.0, 0.0, 0.0],
                 [0.5, 0.5, 0.0, 0.0],
                 [0.0, 0.5, 0.5, 0.0],
                 [0.0, 0.0, 0.5, 0.5]]),
    Wh=np.array([[0.1, 0.1, 0.1, 0.1],
                 [0.2, 0.0, 0.0, 0.0],
                 [0.0, 0.0, 0.3, 0.0],
                 [0.0, -0.2, 0.0, 0.0]]),
    bh=np.array([0.0, 0.1, -0.1, 0.2]),
    Wy=np.array([[1.0, 0.0, 0.0, 1.0],
                 [0.0, 1.0, -1.0, 0.0],
                 [-1.0, 0.0, 0.0, 0.0]]),
    by=np.array([0.0, 0.0, 0.5]),
)
_WORKED = {key: value.copy() for key, value in WORKED_EXAMPLE.items()}


def check_worked_example(answer):
    """answer: h_t for WORKED_EXAMPLE, shape (1, 4) or (4,), to 3 decimals."""
    ex = _WORKED
    try:
        got = np.asarray(answer, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise Fail(f"give h_t as 4 numbers, e.g. [0.1, 0.2, 0.3, 0.4]; got {answer!r}") from None
    if got.size != 4:
        raise Fail(f"h_t has D = 4 numbers; you gave {got.size}")
    x, h, Wx, Wh, bh = ex["x_t"][0], ex["h_prev"][0], ex["Wx"], ex["Wh"], ex["bh"]
    a = Wx @ x + Wh @ h + bh
    right = np.tanh(a)
    tol = 2e-3
    if np.allclose(got, right, atol=tol):
        return (f"Right: a = W_x x_t + W_h h_(t-1) + b_h = {np.round(Wx @ x, 3).tolist()} + "
                f"{np.round(Wh @ h, 3).tolist()} + {bh.tolist()} = {np.round(a, 3).tolist()}, and "
                f"h_t = tanh(a) = {np.round(right, 3).tolist()}.")
    wrong = [
        ("that is the pre-activation a = W_x x_t + W_h h_(t-1) + b_h; apply tanh to every entry", a),
        ("W_x looks transposed: entry i of W_x x_t is row i of W_x (D rows, d columns) dotted with x_t, "
         "not column i", np.tanh(Wx.T @ x + Wh @ h + bh)),
        ("W_h h_(t-1) is missing: the previous hidden state contributes too", np.tanh(Wx @ x + bh)),
        ("the bias b_h is missing", np.tanh(Wx @ x + Wh @ h)),
        ("W_h looks transposed: row i of W_h gives entry i of W_h h_(t-1)", np.tanh(Wx @ x + Wh.T @ h + bh)),
        ("that is ReLU; this example uses tanh", np.maximum(a, 0)),
    ]
    for why, value in wrong:
        if np.allclose(got, value, atol=tol):
            raise Fail(f"not quite: {why}")
    k = int(np.argmax(np.abs(got - right)))
    raise Fail(f"entry {k} is off: you have {got[k]:.3f}; recompute row {k} of W_x x_t + W_h h_(t-1) + b_h "
               f"and take its tanh")


# -- deep, bidirectional and gated cells; sampling ------------------------------------


def check_shape_output_bidirectional(answer):
    """The output of a 2-layer bidirectional RNN, batch_first, N = 8, T = 20, D = 16."""
    return check_shape(answer, (8, 20, 32), {
        (8, 20, 16): "that is one direction's output; the forward and backward states are concatenated at "
                     "every step, 2D = 32 features",
        (8, 40, 16): "the two directions are concatenated along the features, not along time: T stays 20",
        (8, 20, 64): "only the top layer's states come out, and layers do not widen them: num_directions * D = "
                     "2 * 16 = 32, whatever the number of layers",
        (4, 8, 16): "that is h_n, the final states (num_layers * num_directions, N, D); `output` holds every "
                    "step of the top layer",
        (20, 8, 32): "batch_first puts the batch first: (N, T, 2D)",
        (2, 8, 20, 32): "the output is the top layer's only; the lower layer's states are consumed by the "
                        "layer above (its last states appear in h_n)",
    }, "the shape of the output")


def lstm_param_sizes(d=3, D=5):
    """The run cell of the LSTM count: {name: number of entries} of the library's LSTM(d, D), keyed like
    PyTorch's state_dict (weight_ih_l0 (4D, d), weight_hh_l0 (4D, D), bias_ih_l0 (4D,), bias_hh_l0 (4D,))."""
    return {name: int(p.size) for name, p in LSTM(d, D, seed=0).params.items()}


def check_lstm_param_count(answer):
    """Parameters of one LSTM cell with d = 3, D = 5 and PyTorch's two bias vectors.

    Predict, then run: the right count is the library's, LSTM(3, 5).params added up, and each wrong count
    is explained from the same parameters (and from the library's GRU and RNN of the same sizes).
    """
    answer = whole_number(answer)
    sizes = lstm_param_sizes()
    total = sum(sizes.values())
    w_ih, w_hh, b_ih, b_hh = (sizes[k] for k in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"))
    D = b_ih // 4
    rnn = RNN(3, D, seed=0).params
    explain = {
        total - b_hh: f"that counts one bias vector per gate; PyTorch's LSTM has two, b_ih and b_hh, each 4D = "
                      f"{b_ih} numbers (they add up to one bias, but both are learned)",
        total // 4: f"that is one gate's worth (D·d + D·D + 2D = {total // 4}); the LSTM has four blocks, i, f, g "
                    f"and o, each with its own rows of W_x, W_h and the biases",
        sum(p.size for k, p in rnn.items() if k != "bias_hh_l0"):
            "that is a vanilla RNN cell with one bias; the LSTM has four gate blocks and two biases",
        w_ih + w_hh: f"that forgets the two bias vectors, 2 · 4D = {b_ih + b_hh} numbers",
        GRU(3, D, seed=0).num_parameters(): "that is a GRU (three blocks, r, z, n); the LSTM has four: i, f, g and o",
        total - w_ih + 4 * D * D: f"W_x is 4D x d = {w_ih} numbers, not 4D x D",
    }
    shapes = ", ".join(f"{k} {v}" for k, v in sizes.items())
    if answer == total:
        return (f"Right: 4 blocks (i, f, g, o) × (D·d + D·D + D + D) = 4 × ({w_ih // 4} + {w_hh // 4} + {D} + {D}) "
                f"= {total}, the count of the library's LSTM(3, 5) ({shapes}), whatever the sequence length T.")
    raise Fail(f"you predicted {answer}, and the library's LSTM(3, 5) has {total}: " + explain.get(
        answer, "add up the entries of W_x (4D x d), W_h (4D x D), b_ih (4D) and b_hh (4D)"),
        f"the library's LSTM(3, 5): {shapes} numbers")


def check_bidirectional_generation(answer):
    """Can a bidirectional RNN generate text left to right, one token at a time?"""
    options = {
        "no": ["false", "cannot", "can't", "cant", "it cannot", "no it cannot", "impossible"],
        "yes": ["true", "can", "it can", "yes it can"],
    }
    why = {
        "no": "At step t its backward direction has read the words after t, the future. A generator must "
              "predict word t+1 from words 1 ... t only; at generation time the future does not exist yet, "
              "and in training the model would simply read off the answer. Use a unidirectional RNN for "
              "language models and decoders, and a bidirectional one where the whole input is known first "
              "(tagging, classification, an encoder)",
        "yes": "its backward direction reads the sequence from the end, so at step t it has already seen "
               "the words after t — the very words it would be asked to predict",
    }
    return check_choice(answer, "no", options, why)


GATED_STATES = {"lstm": 2, "gru": 1}


def carried_states():
    """The run cell of the states question: {"lstm": n, "gru": m}, how many state arrays the library's
    LSTM(3, 5) and GRU(3, 5) hand back beside their outputs after one forward pass over x (N, T, d) =
    (2, 7, 3): the LSTM returns (output, (h_n, c_n)), the GRU (output, h_n), as PyTorch's do. Those are
    what the next step, or the next call as h0, reads."""
    x = np.zeros((2, 7, 3))
    counts = {}
    for key, layer in (("lstm", LSTM(3, 5, seed=0)), ("gru", GRU(3, 5, seed=0))):
        _, state = layer(x)
        counts[key] = len(state) if isinstance(state, tuple) else 1
    return counts


def check_gru_vs_lstm_states(answer):
    """How many state vectors does each cell carry from one step to the next?

    answer: {"LSTM": n, "GRU": m}, or the pair (n, m) in that order. Predict, then run: the right counts
    are those of ``carried_states`` (the library's LSTM and GRU layers).
    """
    if isinstance(answer, dict):
        given = {_norm(k): v for k, v in answer.items()}
        missing = [k for k in GATED_STATES if k not in given]
        if missing:
            raise Fail(f"give a number for both cells, e.g. {{'LSTM': ..., 'GRU': ...}}; {missing[0].upper()} "
                       f"has none")
        pair = (given["lstm"], given["gru"])
    elif isinstance(answer, (tuple, list, np.ndarray)) and len(answer) == 2:
        pair = tuple(answer)
    else:
        raise Fail(f"give {{'LSTM': n, 'GRU': m}} or the pair (n, m) for (LSTM, GRU); got {answer!r}")
    if any(_integral(v) is None for v in pair):
        raise Fail(f"count the state vectors with whole numbers; got {pair!r}")
    lstm, gru = (_integral(v) for v in pair)
    run = carried_states()
    right = (run["lstm"], run["gru"])
    ran = f"the library's LSTM hands back {run['lstm']}, its GRU {run['gru']}"
    if (lstm, gru) == right:
        return (f"Right: {ran}. The LSTM carries two vectors from step to step, the hidden state h and the cell "
                "state c (which is why PyTorch's LSTM takes and returns the pair (h, c)); the GRU carries one, "
                "h, which does both jobs.")
    said = f"you predicted LSTM {lstm}, GRU {gru}, and {ran}"
    if (lstm, gru) == right[::-1]:
        raise Fail(f"{said}: the other way round, the LSTM has two (h and the cell state c), the GRU one (h)")
    if (lstm, gru) == (4, 3):
        raise Fail(f"{said}: those count gates (or gate blocks), not states: the gates are computed afresh at "
                   "every step; what is carried to the next step is h and c for the LSTM, h alone for the GRU")
    faults = []                                   # one per cell counted wrong, so both are named
    if lstm < right[0]:
        faults.append("the LSTM carries the cell state c as well as the hidden state h: two vectors")
    elif lstm > right[0]:
        faults.append("the LSTM carries two vectors, h and c; its gates are computed afresh at every step")
    if gru > right[1]:
        faults.append("the GRU has no separate cell state: its hidden state h is also its memory, one vector")
    elif gru < right[1]:
        faults.append("the GRU does carry something: its hidden state h, one vector")
    raise Fail(f"{said}: " + "; ".join(faults))


def check_low_temperature(answer):
    """What does sampling become as the temperature goes to 0?"""
    options = {
        "greedy": ["argmax", "always the most likely", "most likely", "deterministic", "the most probable token",
                   "greedy decoding", "greedy sampling", "greedy search", "argmax sampling", "argmax decoding",
                   "the argmax", "always the argmax", "the most likely token", "most probable",
                   "always the most likely token", "always picks the most likely token", "greedy selection"],
        "uniform": ["random", "every token equally likely", "equally likely", "uniformly random", "uniform sampling",
                    "random sampling"],
        "unchanged": ["the same", "no change", "same", "softmax", "nothing changes"],
    }
    why = {
        "greedy": "Dividing the logits by a small temperature stretches the gaps between them, so softmax puts "
                  "almost all the probability on the largest logit: sampling becomes argmax, greedy decoding "
                  "(safe but repetitive text). A high temperature does the opposite and tends to uniform",
        "uniform": "that is the high-temperature limit: logits / T shrink towards 0 as T grows, and softmax of "
                   "equal numbers is uniform. A low temperature stretches the gaps instead",
        "unchanged": "logits / T changes with T: the gaps between logits grow as T shrinks, and softmax "
                     "sharpens — only T = 1 leaves the distribution as it is",
    }
    return check_choice(answer, "greedy", options, why)


#: The run cell of the readout question: one sentence of token ids, and the numbers of <pad> tokens (id 0)
#: added after it.
READOUT_SENTENCE, READOUT_PADS = (4, 7, 1, 9, 3), (0, 2, 5)


def readout_distances(seed=0):
    """The run cell of the readout question: {readout: [distance, one per padding in READOUT_PADS]}.

    READOUT_SENTENCE is embedded (a random (10, 3) table) and read by the library's RNN(3, 4), once alone
    and once with each number of <pad> tokens after it. A readout's distance is the largest |difference|
    between the state it picks from the padded run and the sentence's own summary, the last state of the
    run without padding: 0 when the readout gives that summary whatever the padding.
    """
    rng = np.random.default_rng(seed)
    E = rng.normal(size=(10, 3))                                   # (V, d) embeddings; row 0 is <pad>
    rnn = RNN(3, 4, seed=seed)
    sentence = list(READOUT_SENTENCE)
    summary = rnn(E[[sentence]])[0][0, -1]                         # (D,) after the last token, no padding
    distances = {"last real token": [], "last position": [], "first position": []}
    for n_pad in READOUT_PADS:
        h, _ = rnn(E[[sentence + [0] * n_pad]])                    # (1, T, D) with T = 5 + n_pad
        for readout, state in (("last real token", h[0, len(sentence) - 1]), ("last position", h[0, -1]),
                               ("first position", h[0, 0])):
            distances[readout].append(float(np.abs(state - summary).max()))
    return distances


def readout_computed():
    """The readout whose state is the sentence's own summary at every padding of ``readout_distances``."""
    distances = readout_distances()
    return next(r for r, ds in distances.items() if max(ds) < 1e-12)


def check_many_to_one_readout(answer):
    """Where does a many-to-one classifier read a padded sequence's summary from?

    Predict, then run: the right readout is the one ``readout_distances`` (the library's RNN) finds at
    distance 0 from the unpadded summary at every padding, and each verdict quotes those distances.
    """
    options = {
        "last real token": ["last real step", "lengths - 1", "last valid step", "the last real token",
                            "last token"],
        "last position": ["last step", "h[:, -1]", "T - 1", "the last position", "final position"],
        "first position": ["first step", "h[:, 0]", "first token"],
    }
    distances = readout_distances()
    right = readout_computed()
    pads = ", ".join(str(n) for n in READOUT_PADS[:-1]) + f" and {READOUT_PADS[-1]} pads"
    measured = {r: ", ".join(f"{d:.3f}" for d in ds) for r, ds in distances.items()}
    why = {
        "last real token": "h at step lengths[n] - 1 has read the whole sentence and nothing else; after it "
                           "come only <pad> tokens, which would keep changing the state",
        "last position": "for every sequence shorter than T the last position holds the state after reading "
                         "padding: the <pad> steps keep changing h, so the summary drifts with the amount of "
                         f"padding (distances {measured['last position']} from the sentence's own summary with "
                         f"{pads})",
        "first position": "h at the first step has read one token only (distances "
                          f"{measured['first position']} from the sentence's own summary with {pads}); a "
                          "unidirectional RNN's summary of the whole sequence is its state after the last real "
                          "token",
    }
    try:
        message = check_choice(answer, right, options, why)
    except Fail as fail:
        if fail.message.startswith("not "):
            raise Fail(f"you predicted the {fail.message[4:]}") from None
        raise
    return (f"{message}. The run agrees: with {pads} its state is {measured[right]} away from the sentence's "
            f"own summary.")


def check_hidden_states_shape(answer):
    """The shape of rnn_forward's h for N = 8 sentences of T = 12 tokens, d = 50, D = 32."""
    return check_shape(answer, (8, 12, 32), {
        (8, 12, 50): "that is the shape of x: the hidden state has D = 32 numbers, not d = 50",
        (12, 8, 32): "the batch comes first in this book: (N, T, D)",
        (8, 32): "that is one step's state h_t; rnn_forward returns the state at every one of the T steps",
        (8, 13, 32): "h holds h_1 ... h_T, not h_0: T = 12 states",
        (32, 32): "that is the shape of W_h, not of the states",
    }, "the shape of h")
