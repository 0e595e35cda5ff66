"""Checkers for the data-preparation exercises of the Sequences chapter:
one_hot(ids, V) and pad_sequences(sequences, pad_value=0)."""

from __future__ import annotations

import numpy as np

from .. import layers as ref
from ._run import Fail, as_array, call, describe_shape_mismatch, fmt_shape

ONE_HOT_CASES = [  # (ids, V): 1-D, 2-D (N, T), 3-D, a single id, repeated ids, V = 1
    (np.array([2, 0, 3, 3]), 5),
    (np.array([[1, 4, 0], [2, 2, 1]]), 6),
    (np.array([[[0, 3], [2, 1], [3, 3]], [[1, 0], [0, 2], [2, 1]]]), 4),  # (2, 3, 2): any number of axes
    (np.array([0]), 1),
    (np.array([[7]]), 8),
]
_AXES = {1: ("N",), 2: ("N", "T"), 3: ("A", "B", "C")}


def _one_hot_cases(seed):
    """ONE_HOT_CASES, then three cases drawn from ``seed``: ids of 1 to 3 axes of 1 to 4 entries, V from 2 to 9."""
    rng = np.random.default_rng([seed, 31])
    drawn = []
    for ndim in (1, 2, 3):
        V = int(rng.integers(2, 10))
        drawn.append((rng.integers(0, V, size=tuple(int(n) for n in rng.integers(1, 5, size=ndim))), V))
    return ONE_HOT_CASES + drawn


def check_one_hot(fn, seed=0):
    for ids, V in _one_hot_cases(seed):
        case = f"case: ids of shape {fmt_shape(ids.shape)}, V = {V}"
        try:
            result, mutated = call(fn, ids, V)
        except Fail as fail:
            axes = f"{ids.ndim} axis" if ids.ndim == 1 else f"{ids.ndim} axes"
            extra = (f" — on ids with {axes}: one_hot must work for ids of any shape (1-D, 2-D, 3-D ...); "
                     f"`np.zeros(ids.shape + (V,))` and `np.eye(V)[ids]` do")
            raise Fail(fail.message + extra, *fail.details, case) from None
        if mutated:
            raise Fail("your function changed `ids` in place; leave the input as it was")
        got = as_array(result, "the result")
        want = ref.one_hot(ids, V)
        if got.shape != want.shape:
            if got.shape == (V,) + ids.shape:
                raise Fail(f"the vocabulary axis comes first: got {fmt_shape(got.shape)}; put it last, "
                           f"ids.shape + (V,) = {fmt_shape(want.shape)}", case)
            if ids.ndim >= 2 and got.shape == (ids.size, V):
                raise Fail(f"the ids were flattened: got {fmt_shape(got.shape)} for ids of shape "
                           f"{fmt_shape(ids.shape)}; keep their shape and add a last axis of size V, "
                           f"{fmt_shape(want.shape)}", case)
            if got.shape == ids.shape + (V - 1,) or got.shape == ids.shape + (V + 1,):
                raise Fail(f"the last axis has {got.shape[-1]} entries; a vocabulary of V = {V} needs V, "
                           f"one per id 0 ... V-1", case)
            if ids.ndim >= 2 and got.shape == ids.shape[:1] + (V,):
                raise Fail(f"one vector per row of ids: got {fmt_shape(got.shape)}; every id gets its own "
                           f"one-hot vector, ids.shape + (V,) = {fmt_shape(want.shape)}", case)
            raise Fail(describe_shape_mismatch(got.shape, want.shape, _AXES[ids.ndim] + ("V",)), case)
        if np.array_equal(got, want):
            continue
        if np.array_equal(got, ref.one_hot((ids - 1) % V, V)):  # np.eye(V)[ids - 1] wraps -1 to V-1
            raise Fail("off by one: the 1 sits at position id - 1; ids start at 0, so id k sets entry k", case)
        if np.all(got.sum(axis=-1) != 1):
            raise Fail("every one-hot vector must contain exactly one 1 (and V - 1 zeros)", case)
        raise Fail("the 1s are in the wrong places: entry [..., k] must be 1 exactly where ids == k", case)
    return "Right: one_hot puts a single 1 at position id, for ids of any shape."


PAD_CASES = [
    ([[5, 6, 7], [8], [9, 10]], 0),
    ([[3], [4, 4, 4, 4]], 0),
    ([[1, 2], [3, 4]], 0),  # nothing to pad
    ([[2, 3, 1], [4]], 9),  # a different pad value
    ([[0, 3, 0], [5], [0]], 0),  # real ids equal to the pad value: lengths cannot be counted from the ids
    ([[9, 1], [2, 9, 9]], 9),
]


def _pad_cases(seed):
    """PAD_CASES, then two cases drawn from ``seed``: 2 to 5 sequences of 1 to 6 ids from 0 to 9, padded with 0
    and with a drawn pad value."""
    rng = np.random.default_rng([seed, 32])
    drawn = []
    for pad in (0, int(rng.integers(1, 10))):
        seqs = [[int(v) for v in rng.integers(0, 10, size=int(rng.integers(1, 7)))]
                for _ in range(int(rng.integers(2, 6)))]
        drawn.append((seqs, pad))
    return PAD_CASES + drawn


def check_pad_sequences(fn, seed=0):
    for seqs, pad in _pad_cases(seed):
        kwargs = {} if pad == 0 else {"pad_value": pad}
        result, mutated = call(fn, [list(s) for s in seqs], **kwargs)
        case = f"case: sequences = {seqs}" + (f", pad_value = {pad}" if pad else "")
        if mutated:
            raise Fail("your function changed the input lists in place (e.g. with .extend or .append); "
                       "build a new array instead", case)
        if result is None:
            raise Fail("your function returned None — did you forget `return ids, lengths`?")
        if not isinstance(result, (tuple, list)) or len(result) != 2 or np.ndim(result[0]) != 2:
            raise Fail("return two things: the padded (N, T) array and the (N,) lengths, "
                       "`return ids, lengths`", case)
        ids = np.asarray(result[0])
        lengths = np.asarray(result[1])
        if ids.dtype.kind == "f":
            raise Fail(f"the padded ids are floating-point numbers ({ids.dtype}; np.zeros makes float64): ids "
                       f"are integers that index a vocabulary, so build the array with np.full((N, T), "
                       f"pad_value) or pass dtype=int", case)
        want_ids, want_lengths = ref.pad_sequences(seqs, pad_value=pad)
        if ids.shape != want_ids.shape:
            N, T = want_ids.shape
            if ids.shape == (N, min(len(s) for s in seqs)):
                raise Fail(f"the batch was cut to the shortest sequence, T = {ids.shape[1]}; pad every "
                           f"sequence up to the longest instead, T = {T}", case)
            raise Fail(describe_shape_mismatch(ids.shape, want_ids.shape, ("N", "T")), case)
        if lengths.shape != want_lengths.shape or not np.array_equal(lengths, want_lengths):
            if lengths.shape == want_lengths.shape and np.all(lengths == want_ids.shape[1]):
                raise Fail("every length is T: lengths must be each sequence's own length before "
                           "padding", case)
            counted = np.array([sum(1 for v in s_ if v != pad) for s_ in seqs])
            if lengths.shape == want_lengths.shape and np.array_equal(lengths, counted):
                raise Fail(f"lengths counts the ids that differ from pad_value, but a real id can equal "
                           f"pad_value ({pad} here): take each sequence's own length, len(s)", case)
            raise Fail(f"lengths should be {want_lengths.tolist()}, one per sequence; got "
                       f"{np.asarray(lengths).tolist()}", case)
        if np.array_equal(ids, want_ids):
            continue
        left, _ = _left_pad(seqs, pad)
        if np.array_equal(ids, left):
            raise Fail("the padding is on the left; this course pads on the right, so that step t of "
                       "every row is the t-th real token", case)
        if pad != 0 and np.array_equal(ids, ref.pad_sequences(seqs, pad_value=0)[0]):
            raise Fail("the `pad_value` argument is ignored: padding must use it, not 0", case)
        raise Fail("the padded array has the wrong values: row n must be sequences[n] followed by "
                   "pad_value", case)
    return "Right: sequences are padded on the right with pad_value, and lengths are the true lengths."


def _left_pad(seqs, pad):
    T = max(len(s) for s in seqs)
    out = np.full((len(seqs), T), pad)
    for n, s in enumerate(seqs):
        out[n, T - len(s):] = s
    return out, np.array([len(s) for s in seqs])
