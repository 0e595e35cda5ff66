"""Concept checks of chapter 2, Feed-forward vs recurrent.

    cell_sends_to        where the RNN's hidden node sends its activated value
    window_mlp_params    the parameter count of a fixed-window MLP over one-hot tokens
    h_depends_on         which inputs the hidden state h_4 depends on (predict, then run:
                         the check compares with h_moves, computed by rnn_forward)
    longer_sequences     which model can use a token further back than any training sequence

Each accepts equivalent forms of the right answer and explains every wrong
answer it recognises, in the chapter's terms.
"""

from __future__ import annotations

import re

import numpy as np

from ..rnn import rnn_forward
from ._run import Fail
from .concepts import _norm, check_choice, whole_number

# -- where does the cell send its value? --------------------------------------------

PLACES = {
    "output": ["output layer", "the output layer", "output", "y", "y_t", "yt"],
    "itself": ["itself", "self", "the cell", "cell", "hidden", "hidden layer", "the hidden layer",
               "hidden node", "the hidden node", "back to itself", "h", "h_t", "next step", "the next step"],
    "input": ["input", "input layer", "the input layer", "x", "x_t"],
}
RIGHT_PLACES = {"output", "itself"}


def _place(text):
    key = _norm(text)
    for place, synonyms in PLACES.items():
        if key in {_norm(s) for s in synonyms}:
            return place
    raise Fail(f"{text!r} is not one of the places in the figure; choose from 'output', 'itself' "
               f"(the cell, at the next step) and 'input'")


def check_cell_sends_to(answer):
    """answer: the places the RNN's hidden node sends its activated value, e.g. ["output"]."""
    if isinstance(answer, str):
        answer = [answer]
    if not isinstance(answer, (list, tuple, set, frozenset)) or not all(isinstance(a, str) for a in answer):
        raise Fail("give the places as a list of strings, e.g. ['output']")
    picked = {_place(a) for a in answer}
    if not picked:
        raise Fail("the cell sends its value somewhere: look for the arrows that leave the hidden layer in "
                   "the figure")
    if "input" in picked:
        raise Fail("nothing is sent back to the input layer: the inputs x_t come from the data, one per "
                   "time step")
    if picked == {"output"}:
        raise Fail("that is a feed-forward network's hidden layer, which only sends forward. The RNN's cell "
                   "also sends its value back to itself, to be read again at the next step")
    if picked == {"itself"}:
        raise Fail("it does go back to itself, and it also goes forward to the output layer: that is how the "
                   "RNN produces its output y_t at every step")
    return ("Right: the cell's activated value h_t goes to the output layer and back to the cell itself, "
            "where it is read together with x_(t+1) at the next step.")


# -- how many parameters does a fixed-window MLP have? -------------------------------

WINDOW_MLP = dict(w=10, V=8, H=16, C=3)


def check_window_mlp_params(answer):
    """answer: the number of parameters of a WindowMLP with WINDOW_MLP's sizes."""
    w, V, H, C = (WINDOW_MLP[k] for k in "wVHC")
    got = whole_number(answer, "the count")
    W1, b1, W2, b2 = H * w * V, H, C * H, C
    right = W1 + b1 + W2 + b2
    if got == right:
        return (f"Right: W1 has H·w·V = {H}·{w}·{V} = {W1} numbers, b1 {b1}, W2 C·H = {W2}, b2 {b2}: "
                f"{right} in all. Double the window and W1 doubles; an RNN's count does not depend on the "
                f"length at all.")
    explain = {
        W1 + W2: f"that forgets both biases, b1 ({H} numbers) and b2 ({C})",
        W1 + b1 + W2: f"that forgets the output layer's bias b2 ({C} numbers)",
        W1 + W2 + b2: f"that forgets the hidden layer's bias b1 ({H} numbers)",
        W1: f"that is W1 alone; add b1 ({H}), W2 (C x H = {W2}) and b2 ({C})",
        H * w + b1 + W2 + b2: f"that counts one input number per token, but each token is a one-hot vector "
                              f"of V = {V} numbers: the input layer has w·V = {w * V} numbers",
        H * V + b1 + W2 + b2: f"that is a window of a single token; the window holds w = {w} tokens side by "
                              f"side, each with its own block of weights",
        H * w * V + b1 + H + C: f"W2 maps the H = {H} hidden units to C = {C} scores: it is C x H = {W2} "
                                f"numbers, not H",
    }
    raise Fail(f"{got} is not it: " + explain.get(
        got, "add up the entries of W1 (H x w·V), b1 (H), W2 (C x H) and b2 (C)"))


# -- which inputs does h_4 depend on? -------------------------------------------------

H_STEP, LAST_INPUT = 4, 6


def h_moves(seed=2):
    """The chapter's run cell: how far h_4 moves when one input is changed, {t: move} for t = 1 ... 6.

    One sequence of six inputs x_1 ... x_6 (d = 3) goes through the library's rnn_forward (tanh, D = 4,
    weights drawn from ``seed``, W_h scaled by 0.5); then each x_t in turn is changed by 1 in every entry,
    the sequence run again, and the move is the largest |change| of an entry of h_4. A move is exactly 0
    when h_4 does not read x_t at all.
    """
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(1, LAST_INPUT, 3))                          # (N, T, d) = (1, 6, 3)
    Wx, Wh, b = rng.normal(size=(4, 3)), 0.5 * rng.normal(size=(4, 4)), np.zeros(4)
    h, _ = rnn_forward(x, None, Wx, Wh, b)                           # (1, 6, 4); h_4 is h[:, 3]
    moves = {}
    for t in range(1, LAST_INPUT + 1):
        changed = x.copy()
        changed[0, t - 1] += 1.0
        h_changed, _ = rnn_forward(changed, None, Wx, Wh, b)
        moves[t] = float(np.abs(h_changed[0, H_STEP - 1] - h[0, H_STEP - 1]).max())
    return moves


def h_depends_on_computed():
    """The steps t whose input moved h_4 in ``h_moves``: the answer as the library computes it."""
    return sorted(t for t, move in h_moves().items() if move > 0)


def _xs(steps):
    return ", ".join(f"x_{s}" for s in steps)


def _evidence(moves, steps):
    """How far h_4 moved for each step's change, as the run cell prints it: "0.211 for x_1, 0.167 for x_2"."""
    return ", ".join(f"{moves[s]:.3f} for x_{s}" for s in steps)


def _predicted(steps):
    return "you predicted " + (_xs(sorted(steps)) if steps else "no input at all")


def _steps(answer):
    """A learner's set of time steps: ints, or names like 'x_1', 'x1'."""
    if isinstance(answer, np.ndarray):
        answer = answer.tolist()
    if isinstance(answer, (int, np.integer, str)) and not isinstance(answer, bool):
        answer = [answer]
    if not isinstance(answer, (list, tuple, set, frozenset, range)):
        raise Fail("give the time steps as a list of numbers, e.g. [1, 2]")
    steps = set()
    for a in answer:
        if isinstance(a, str):
            m = re.fullmatch(r"\s*x?_?\{?(\d+)\}?\s*", a.lower())
            if not m:
                raise Fail(f"{a!r} is not a time step; give numbers like 1, or names like 'x_1'")
            steps.add(int(m.group(1)))
        elif isinstance(a, (int, np.integer)) and not isinstance(a, bool):
            steps.add(int(a))
        else:
            raise Fail(f"{a!r} is not a time step; give whole numbers, e.g. [1, 2]")
    return steps


def check_h_depends_on(answer):
    """answer: the steps t among 1 ... 6 whose input x_t the hidden state h_4 depends on.

    Predict, then run: the right steps are those whose change moved h_4 in ``h_moves`` (the library's
    rnn_forward), and each verdict quotes the moves it rests on.
    """
    t = H_STEP
    got = _steps(answer)
    moves = h_moves()
    right = {s for s, move in moves.items() if move > 0}
    still = sorted(set(moves) - right)
    outside = sorted(s for s in got if not 1 <= s <= LAST_INPUT)
    if outside:
        raise Fail(f"the inputs are x_1 to x_{LAST_INPUT}; {outside} is not among their time steps")
    if got == right:
        return (f"Right: {_xs(sorted(right))}. Changing them moved h_{t} (by {_evidence(moves, sorted(right))}); "
                f"changing {_xs(still)} left it exactly as it was. h_{t} = f(W_x x_{t} + W_h h_{t - 1} + b), and "
                f"h_{t - 1} already carries the inputs before x_{t}; the later ones come after h_{t} is computed.")
    missing, extra = sorted(right - got), sorted(got - right)
    if extra:
        raise Fail(f"{_predicted(got)}, but changing {_xs(extra)} did not move h_{t} at all (0.000): at step {t}, when "
                   f"h_{t} is computed, {_xs(extra)} {'has' if len(extra) == 1 else 'have'} not been read yet, "
                   f"and an RNN that reads left to right cannot look ahead (a bidirectional RNN, later in the "
                   f"book, adds a second one that reads backwards)")
    if got == {t}:
        raise Fail(f"{_predicted(got)} only: that is how a feed-forward network would see it. Changing "
                   f"{_xs(missing)} moved h_{t} too (by {_evidence(moves, missing)}): "
                   f"h_{t} = f(W_x x_{t} + W_h h_{t - 1} + b) also reads "
                   f"h_{t - 1}, which carries the earlier inputs")
    if t in missing:
        raise Fail(f"{_predicted(got)}; the list needs x_{t} too: changing it moved h_{t} by {moves[t]:.3f}, "
                   f"since h_{t} reads "
                   f"it directly, at its own step")
    raise Fail(f"{_predicted(got)}, but the chain does not stop there: changing {_xs(missing)} moved h_{t} "
               f"as well (by {_evidence(moves, missing)}). "
               f"h_1 = f(W_x x_1 + b) feeds h_2, which feeds h_3, and so on, so {_xs(missing)} "
               f"reach{'es' if len(missing) == 1 else ''} h_{t} too")


# -- which model can read further back than it was trained on? ------------------------

LONGER_OPTIONS = {
    "rnn": ["the rnn", "recurrent", "recurrent network", "recurrent neural network"],
    "mlp": ["the mlp", "window mlp", "windowmlp", "feed-forward", "feedforward", "ffnn", "feed-forward network"],
    "both": ["mlp and rnn", "rnn and mlp", "either"],
    "neither": ["none", "no model", "nobody"],
}
LONGER_WHY = {
    "rnn": "the RNN runs the same cell with the same weights once per token, 50 times, and its hidden state "
           "can carry the marker from the first step to the last; no weight in it is tied to a position "
           "or a length (whether it still works at 50 is what the chapter measures)",
    "mlp": "the MLP with w = 20 sees only the last 20 tokens; the marker, 49 steps before the end, is "
           "outside its window, so its output cannot depend on it",
    "both": "the MLP with w = 20 sees only the last 20 tokens, and the marker is 49 steps before the end, "
            "outside its window",
    "neither": "the RNN can: it reads all 50 tokens with the same weights, one step at a time, and the "
               "chapter's measurements show it doing so",
}


def check_longer_sequences(answer):
    """answer: "mlp", "rnn", "both" or "neither"."""
    if not isinstance(answer, str):
        raise Fail("answer with one of the strings 'mlp', 'rnn', 'both' or 'neither'")
    check_choice(answer, "rnn", LONGER_OPTIONS, LONGER_WHY)  # raises Fail, with the reason, if wrong
    return f"Right: the RNN. {LONGER_WHY['rnn'][0].upper()}{LONGER_WHY['rnn'][1:]}."
