"""Checkers for the encoder-decoder section ("Models that write sequences"):
the decoder's inputs under teacher forcing, a greedy decoding loop, and
exact-match scoring, on token ids.

The learner's functions, with their fixed signatures:

    teacher_forcing_inputs(targets, bos) -> inputs
    - targets: (N, T') int target ids, each row its tokens, <eos>, then <pad>
    - bos: the id of <bos>
    - inputs: (N, T') int ids, <bos> then the targets shifted right by one,
      inputs[:, 0] = bos and inputs[:, t] = targets[:, t-1]

    greedy_decode(step, state, bos, eos, max_len) -> ids
    - step(tokens, state) -> (logits, state): one decoder step; tokens (N,) int
      ids, logits (N, V), state (N, D), whatever the model keeps
    - state: (N, D) the decoder's first state; bos, eos: ids; max_len: T'
    - ids: (N, T') int, the argmax fed back from <bos>; after a row's first <eos>
      every position holds <eos> (like Seq2Seq.translate)

    exact_match(predicted, targets, eos) -> float
    - predicted: (N, T') int ids as greedy_decode returns them (<eos>-padded)
    - targets: (N, T') int ids, <eos>, then <pad>
    - the share of rows whose tokens up to and including the first <eos> are
      the target's, a float in [0, 1]

The references below are the library's own steps (models._teacher_forcing,
the decoder's greedy loop, tasks.dates' exact-match) written on ids. When an
answer is wrong, the checks compare it with the usual mistakes, computed on
the same case, and name the one that matches.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._run import Fail, call, describe_shape_mismatch, fmt_shape


def _run(fn, fn_name, case_text, *args):
    result, mutated = call(fn, *args)
    if mutated:
        raise Fail(f"your {fn_name} changed its input `{mutated}` in place; work on a copy (np.array(x), "
                   f"np.concatenate) and leave the inputs as they were", case_text)
    return result


def _ids(value, what, case_text):
    """The learner's output as an integer array, or Fail."""
    if value is None:
        raise Fail(f"your {what} returned None — did you forget a `return`?", case_text)
    arr = np.asarray(value)
    if arr.dtype.kind == "f" and np.all(np.isfinite(arr)) and np.array_equal(arr, np.round(arr)):
        raise Fail(f"your {what} returned floating-point numbers (dtype {arr.dtype}); token ids are integers: "
                   f"build the array with an integer dtype, e.g. np.full(..., bos) with an int bos, or "
                   f".astype(int)", case_text)
    if arr.dtype.kind not in "iu":
        raise Fail(f"your {what} returned {type(value).__name__} of dtype {arr.dtype}; expected an integer array "
                   f"of token ids", case_text)
    return arr


def _match(got, faults):
    for message, value in faults:
        if value is not None and np.shape(value) == got.shape and np.array_equal(got, value):
            return message
    return None


# ---------------------------------------------------------------------------
# teacher_forcing_inputs
# ---------------------------------------------------------------------------


def teacher_forcing_inputs(targets, bos):
    """Decoder inputs for teacher forcing: <bos>, then the targets shifted right by one.

    targets: (N, T') int ids; bos: the id of <bos>. Returns (N, T') int ids.
    """
    targets = np.asarray(targets)
    return np.concatenate([np.full((len(targets), 1), bos, dtype=targets.dtype), targets[:, :-1]], axis=1)


class TFCase(NamedTuple):
    N: int
    T: int
    bos: int
    eos: int
    pad: int

    def text(self):
        return f"case: N={self.N}, T'={self.T}, bos={self.bos}, eos={self.eos}, pad={self.pad}"


TF_CASES = [
    TFCase(3, 6, 1, 2, 0),
    TFCase(2, 5, 13, 12, 0),  # <bos> is not 1: the id comes from the argument
    TFCase(1, 4, 1, 2, 0),  # N = 1
    TFCase(2, 1, 1, 2, 0),  # T' = 1: only <bos> is read
]


def _targets(case, seed, vocab=12):
    """(N, T') ids: a row of ordinary tokens (ids 3 ... vocab-1 other than bos and eos), <eos>, <pad>s."""
    rng = np.random.default_rng([seed, 61, case.N, case.T, case.bos])
    tokens = [k for k in range(3, vocab + 2) if k not in (case.bos, case.eos, case.pad)]
    out = np.full((case.N, case.T), case.pad, dtype=np.int64)
    for n in range(case.N):
        length = int(rng.integers(max(case.T - 3, 0), case.T))  # tokens before <eos>
        out[n, :length] = rng.choice(tokens, size=length)
        out[n, length] = case.eos
    return out


def _tf_faults(y, case):
    N = len(y)
    bos_col = np.full((N, 1), case.bos, dtype=y.dtype)
    faults = [
        ("your inputs are the targets themselves: the decoder would read the very token it must predict. Shift "
         "them right by one: <bos> first, then the targets without the last, [<bos>] + y[:-1]", y),
        ("your shift goes the wrong way: the input at step t is the target of step t-1 (the token before), so "
         "<bos> comes first and the last target is dropped, [<bos>] + y[:-1]",
         np.concatenate([y[:, 1:], bos_col], axis=1)),
        ("the targets are shifted left, to the token after: the input at step t is the target of step t-1, "
         "[<bos>] + y[:-1]", np.concatenate([y[:, 1:], y[:, -1:]], axis=1) if y.shape[1] > 1 else None),
        ("np.roll wraps the last target round to the front: position 0 must be <bos>, the id `bos`",
         np.roll(y, 1, axis=1)),
    ]
    for other, name in ((case.pad, "<pad>"), (case.eos, "<eos>"), (0, "0"), (1, "1")):
        if other != case.bos:
            shifted = np.concatenate([np.full((N, 1), other, dtype=y.dtype), y[:, :-1]], axis=1)
            faults.append((f"the shift is right but position 0 holds {name} ({other}); the decoder's first input "
                           f"is <bos>, the id passed as `bos` ({case.bos})", shifted))
    return faults


def check_teacher_forcing_inputs(fn, seed=0):
    for case in TF_CASES:
        y = _targets(case, seed)
        got = _ids(_run(fn, "teacher_forcing_inputs", case.text(), y, case.bos), "teacher_forcing_inputs",
                   case.text())
        want = teacher_forcing_inputs(y, case.bos)
        if got.shape != want.shape:
            hint = {
                (case.N, case.T + 1): "your inputs keep every target after <bos>, one too many: drop the last "
                                      "target, [<bos>] + y[:-1], so that inputs and targets line up step by step",
                (case.N, case.T - 1): "your inputs are one short: is <bos> missing at the front?",
                (case.N + 1, case.T): "your <bos> was joined along the batch axis (a new row); it goes at the front "
                                      "of every row, axis 1",
                (case.T, case.N): "your inputs are (T', N); keep the targets' layout, (N, T')",
            }.get(got.shape)
            raise Fail(hint or describe_shape_mismatch(got.shape, want.shape, ("N", "T'")), case.text())
        if np.array_equal(got, want):
            continue
        message = _match(got, _tf_faults(y, case))
        raise Fail(message or "your inputs have the right shape but the wrong ids; row 0 is "
                   f"{got[0].tolist()}, expected {want[0].tolist()} for the targets {y[0].tolist()}", case.text())
    return (f"teacher_forcing_inputs is right on {len(TF_CASES)} cases (N = 1, T' = 1, another id for <bos>): "
            f"<bos> first, then each target one step later, and the last target is never read.")


# ---------------------------------------------------------------------------
# greedy_decode
# ---------------------------------------------------------------------------


def greedy_decode(step, state, bos, eos, max_len):
    """Greedy decoding: feed back the argmax from <bos>; (N, max_len) int ids, <eos> after a row's first <eos>."""
    N = len(state)
    tokens = np.full(N, bos)
    out = np.full((N, max_len), eos)
    done = np.zeros(N, dtype=bool)
    for t in range(max_len):
        logits, state = step(tokens, state)
        tokens = logits.argmax(axis=1)
        out[:, t] = np.where(done, eos, tokens)
        done |= tokens == eos
        if done.all():
            break
    return out


class GreedyCase(NamedTuple):
    N: int
    max_len: int
    bos: int
    eos: int
    stops: tuple  # the step at which each row writes <eos>; >= max_len: never

    def text(self):
        return f"case: N={self.N}, max_len={self.max_len}, bos={self.bos}, eos={self.eos}"


GREEDY_CASES = [
    GreedyCase(3, 8, 1, 2, (3, 5, 99)),  # rows end at different steps, one never
    GreedyCase(1, 6, 1, 2, (4,)),  # N = 1
    GreedyCase(4, 7, 9, 0, (2, 6, 1, 4)),  # other ids for <bos> and <eos>; every row ends before max_len
]
_V = 10


class _ToyDecoder:
    """A decoder whose next token is a fixed function of (row, position, previous token), found from its state.

    The state (N, 3) holds each row's key and its position, so a loop that keeps the state, or slices it row by
    row, finds the row's script; a loop that passes the first state again, or feeds the wrong token, writes other
    tokens. After its <eos> a row goes on writing ordinary tokens: the loop must fill those positions with <eos>.
    """

    def __init__(self, case, seed):
        rng = np.random.default_rng([seed, 67, case.N, case.max_len, case.bos])
        ordinary = np.array([k for k in range(_V) if k not in (case.bos, case.eos)])
        self.case = case
        self.table = rng.choice(ordinary, size=(case.N, case.max_len + 2, _V))  # (row, position, previous token)
        self.noise = rng.uniform(-1, 1, size=(case.N, case.max_len + 2, _V))
        self.stops = np.array(case.stops)
        self.calls = 0

    def first_state(self):
        N = self.case.N
        return np.stack([np.arange(N), np.zeros(N), np.full(N, 0.5)], axis=1)  # (N, 3)

    def step(self, tokens, state):
        self.calls += 1
        if self.calls > 10 * self.case.max_len:
            raise Fail(f"your loop called step more than {10 * self.case.max_len} times for max_len = "
                       f"{self.case.max_len}: call it once per output position", self.case.text())
        state = np.asarray(state)
        tokens = np.asarray(tokens)
        if tokens.ndim == 2 and tokens.shape[1] == 1:
            tokens = tokens[:, 0]
        if tokens.ndim == 2 and tokens.shape[1] == _V:
            raise Fail(f"step was given an array of shape {fmt_shape(tokens.shape)}, the logits; give it the chosen "
                       f"ids, `logits.argmax(axis=1)`, shape (N,)", self.case.text())
        if tokens.ndim != 1 or state.ndim != 2 or len(tokens) != len(state):
            raise Fail(f"step was given tokens of shape {fmt_shape(tokens.shape)} with a state of shape "
                       f"{fmt_shape(state.shape)}; it takes one id per row, tokens (N,), and the state (N, D) it "
                       f"returned last (is the argmax taken over axis 1, the vocabulary?)", self.case.text())
        if tokens.dtype.kind not in "iu":
            if not (tokens.dtype.kind == "f" and np.array_equal(tokens, np.round(tokens))):
                raise Fail(f"step was given tokens of dtype {tokens.dtype}; it takes integer ids", self.case.text())
            tokens = tokens.astype(np.int64)
        if tokens.min() < 0 or tokens.max() >= _V:
            raise Fail(f"step was given the id {int(tokens.max()) if tokens.max() >= _V else int(tokens.min())}, "
                       f"outside the vocabulary 0 ... {_V - 1}", self.case.text())
        rows = state[:, 0].astype(int)
        pos = np.minimum(state[:, 1].astype(int), self.case.max_len + 1)
        nxt = np.where(pos == self.stops[rows], self.case.eos, self.table[rows, pos, tokens])
        logits = self.noise[rows, pos].copy()
        logits[np.arange(len(rows)), nxt] += 5.0
        new = state.copy()
        new[:, 1] += 1
        return logits, new


def _greedy_faults(case, seed):
    def loop(feed="argmax", carry=True, first=None, pad_with="eos", stop="all", lead_bos=False):
        model = _ToyDecoder(case, seed)
        state0 = model.first_state()
        state, N = state0, case.N
        tokens = np.full(N, case.bos if first is None else first)
        out = np.full((N, case.max_len), case.eos)
        done = np.zeros(N, dtype=bool)
        steps = case.max_len - (1 if lead_bos else 0)
        for t in range(steps):
            logits, new_state = model.step(tokens, state)
            state = new_state if carry else state0
            choice = logits.argmax(axis=1)
            tokens = choice if feed == "argmax" else np.full(N, case.bos)
            col = t + (1 if lead_bos else 0)
            out[:, col] = choice if pad_with == "none" else np.where(done, case.eos, choice)
            done |= choice == case.eos
            if (stop == "any" and done.any()) or done.all():
                break
        if lead_bos:
            out[:, 0] = case.bos
        return out

    return [
        ("your loop feeds <bos> at every step: greedy decoding feeds back its own choice, the argmax of the "
         "step's logits, as the next step's input", loop(feed="bos")),
        ("your loop passes the first state to every step: keep the state each step returns, "
         "`logits, state = step(tokens, state)`", loop(carry=False)),
        ("your loop goes on writing after a row's <eos>: once a row has written <eos>, every later position of "
         "that row must hold <eos> (the row is finished, whatever the decoder says next)", loop(pad_with="none")),
        ("your loop stops as soon as one row writes <eos>; the other rows have not finished: stop when every row "
         "has written <eos> (or after max_len steps)", loop(stop="any")),
        ("your output starts with <bos>: <bos> is the first input, not an output; position 0 is the first "
         "token the decoder writes", loop(lead_bos=True)),
        ("your loop starts from <eos>; the decoder's first input is <bos>, the id passed as `bos`",
         loop(first=case.eos)),
    ] + [(f"your loop starts from the id {k}; the decoder's first input is <bos>, the id passed as `bos` "
          f"({case.bos})", loop(first=k)) for k in (0, 1) if k not in (case.bos, case.eos)]


def check_greedy_decode(fn, seed=0):
    for case in GREEDY_CASES:
        model = _ToyDecoder(case, seed)
        state = model.first_state()
        result = _run(fn, "greedy_decode", case.text(), model.step, state, case.bos, case.eos, case.max_len)
        got = _ids(result, "greedy_decode", case.text())
        want = greedy_decode(_ToyDecoder(case, seed).step, state, case.bos, case.eos, case.max_len)
        if got.shape != want.shape:
            if got.ndim == 2 and got.shape[0] == case.N and got.shape[1] < case.max_len:
                raise Fail(f"your output has {got.shape[1]} columns; it must have max_len = {case.max_len}: when "
                           f"every row has finished early, fill the remaining positions with <eos> (start from "
                           f"np.full((N, max_len), eos))", case.text())
            raise Fail(describe_shape_mismatch(got.shape, want.shape, ("N", "max_len")), case.text())
        if np.array_equal(got, want):
            continue
        message = _match(got, _greedy_faults(case, seed))
        raise Fail(message or f"your ids have the right shape but are not the greedy choices; row 0 is "
                   f"{got[0].tolist()}, expected {want[0].tolist()}", case.text())
    return (f"greedy_decode is right on {len(GREEDY_CASES)} cases (rows that finish at different steps or never, "
            f"N = 1, other ids for <bos> and <eos>): it feeds back its argmax from <bos>, keeps the state, and "
            f"fills each finished row with <eos>.")


# ---------------------------------------------------------------------------
# exact_match
# ---------------------------------------------------------------------------


def _upto_eos(row, eos):
    row = list(np.asarray(row).tolist())
    return row[:row.index(eos) + 1] if eos in row else row


def exact_match(predicted, targets, eos):
    """The share of rows whose ids up to and including the first <eos> are the target's."""
    right = [_upto_eos(p, eos) == _upto_eos(t, eos) for p, t in zip(predicted, targets)]
    return float(np.mean(right))


class EMCase(NamedTuple):
    N: int
    T: int
    eos: int
    pad: int

    def text(self):
        return f"case: N={self.N}, T'={self.T}, eos={self.eos}, pad={self.pad}"


EM_CASES = [EMCase(8, 7, 2, 0), EMCase(6, 6, 11, 0), EMCase(1, 5, 2, 0)]
_KINDS = ("right", "one wrong token", "too long", "too short", "right", "no <eos>", "right", "one wrong token")


def _em_data(case, seed):
    """(predicted, targets): targets end in <eos> and <pad>s; the predictions, <eos>-padded as greedy decoding
    writes them, are of the kinds in _KINDS (right, or wrong in one way), one per row."""
    rng = np.random.default_rng([seed, 71, case.N, case.T, case.eos])
    ordinary = [k for k in range(1, 13) if k not in (case.eos, case.pad)]
    targets = np.full((case.N, case.T), case.pad, dtype=np.int64)
    predicted = np.full((case.N, case.T), case.eos, dtype=np.int64)
    for n in range(case.N):
        length = int(rng.integers(2, case.T - 2))  # tokens before <eos>; room for a longer guess
        tokens = rng.choice(ordinary, size=length)
        targets[n, :length], targets[n, length] = tokens, case.eos
        kind = _KINDS[n % len(_KINDS)] if case.N > 1 else "one wrong token"
        guess = list(tokens)
        if kind == "one wrong token":
            guess[-1] = ordinary[(ordinary.index(guess[-1]) + 1) % len(ordinary)]
        elif kind == "too long":
            guess.append(ordinary[0])
        elif kind == "too short":
            guess = guess[:-1]
        elif kind == "no <eos>":
            guess = guess + [ordinary[1]] * (case.T - length)
        predicted[n, :len(guess[:case.T])] = guess[:case.T]
    return predicted, targets


def _em_faults(p, y, case):
    mask = np.cumsum(y == case.eos, axis=1) - (y == case.eos) == 0  # up to and including the first <eos>
    real = mask & (y != case.eos)
    with np.errstate(all="ignore"):
        return [
            ("your score compares whole rows, padding included: after <eos> the prediction holds <eos> and the "
             "target <pad>, so no row can match. Compare each row up to and including its first <eos>",
             float(np.mean(np.all(p == y, axis=1)))),
            ("that is the share of right tokens (a character accuracy), not of right sequences: exact-match counts "
             "a row only when every one of its tokens, up to <eos>, is right", float(np.mean(p == y))),
            ("that is the share of right tokens over the target's real tokens, not of right sequences: exact-match "
             "counts a row only when all of them, and the <eos>, are right", float(np.mean((p == y)[mask]))),
            ("that is the share of right tokens over the target's real tokens, not of right sequences",
             float(np.mean((p == y)[real]))),
            ("your score leaves out the <eos>: a prediction that does not stop where the target stops (it goes on "
             "writing) is counted as right. Compare up to and including the first <eos>",
             float(np.mean(np.all((p == y) | ~real, axis=1)))),
            (f"your answer is a count; exact-match is a share: divide by the number of rows, N = {len(y)}",
             float(sum(_upto_eos(a, case.eos) == _upto_eos(b, case.eos) for a, b in zip(p, y)))),
        ]


def check_exact_match(fn, seed=0):
    for case in EM_CASES:
        p, y = _em_data(case, seed)
        result = _run(fn, "exact_match", case.text(), p, y, case.eos)
        want = exact_match(p, y, case.eos)
        if isinstance(result, np.ndarray) and result.size == 1:
            result = result.reshape(())[()]
        if isinstance(result, (bool, np.bool_)) or not isinstance(result, (int, float, np.integer, np.floating)):
            shape = f" of shape {fmt_shape(result.shape)}" if isinstance(result, np.ndarray) else ""
            raise Fail(f"your exact_match returned {type(result).__name__}{shape}; it returns one number, the "
                       f"share of right rows (e.g. `float(np.mean(right))`)", case.text())
        got = float(result)
        if abs(got - want) <= 1e-9:
            continue
        for message, value in _em_faults(p, y, case):
            if abs(got - value) <= 1e-9 and abs(value - want) > 1e-9:
                raise Fail(message, case.text())
        raise Fail(f"your exact_match is {got:.4g}; the share of right rows here is {want:.4g}", case.text())
    return (f"exact_match is right on {len(EM_CASES)} cases (right rows, one wrong token, outputs that stop too "
            f"early, too late or never, N = 1): each row is compared up to and including its first <eos>.")
