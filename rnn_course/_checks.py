"""Input validation that speaks the book's notation.

Every public entry point of the library checks its arguments here, so that bad
input gets one clear sentence naming the argument, the expected shape in the
book's letters and the actual shape, e.g.

    rnn_forward: h0 has shape (2, 5); expected (N, D) = (2, 4)

instead of a traceback from inside numpy. The letters are the book's:

    N  batch size           T  time steps
    d  input (word-vector) size   D  hidden size   V  vocabulary / classes

Checks raise ``ValueError`` (wrong shape or value) or ``TypeError`` (wrong kind
of object or dtype), never ``assert``, which vanishes under ``python -O``.
"""

from __future__ import annotations

import numpy as np

_ONE_HOT_HINT = (
    "the recurrent layers read vectors, not token ids: turn ids into vectors "
    "first with rnn_course.one_hot(ids, V) or an Embedding layer"
)


def _fmt(shape) -> str:
    """Format a shape tuple the way numpy prints it: (3,) and (2, 4)."""
    shape = tuple(shape)
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


class Dims:
    """Binds the book's dimension letters to sizes, one argument at a time.

    The first argument that mentions a letter fixes its size; a later argument
    that disagrees gets a message saying which argument fixed it::

        dims = Dims("rnn_forward")
        x = dims.array("x", x, "N T d", hint="a batch of sequences ...")
        Wx = dims.array("Wx", Wx, "D d")
        Wh = dims.array("Wh", Wh, "D D")   # Wh (5, 5) vs Wx (4, 3) -> clear error

    ``sizes`` may pre-bind letters that come from somewhere other than an
    argument (e.g. the hidden size of a module).
    """

    def __init__(self, fn: str, **sizes: int):
        self.fn = fn
        self.size: dict[str, int] = dict(sizes)
        self.source: dict[str, str] = {k: "" for k in sizes}

    def __getitem__(self, letter: str) -> int:
        return self.size[letter]

    def array(self, name, value, letters: str, hint: str = "", dtype=None):
        """Validate one float array argument and bind its letters.

        letters: the expected shape in the book's letters, e.g. "N T d"; a
            letter may be followed by a multiplier, e.g. "4D", for the stacked
            gate weights of the LSTM (4D rows) and GRU (3D rows).
        dtype: if given, the array is returned in this dtype.
        Returns the argument as a numpy array.
        """
        arr = as_float_array(self.fn, name, value, dtype=dtype)
        spec = letters.split()
        expected_text = "(" + ", ".join(spec) + ")"
        if arr.ndim != len(spec):
            msg = f"{self.fn}: {name} has shape {_fmt(arr.shape)}; expected {expected_text}"
            known = [self.size.get(_split_token(t)[1]) for t in spec]
            if any(k is not None for k in known):
                msg += " = (" + ", ".join("?" if k is None else str(_split_token(t)[0] * k)
                                          for t, k in zip(spec, known)) + ")"
            raise ValueError(msg + (f" — {hint}" if hint else ""))
        # Compare the axes whose letters are already bound; only if they all
        # agree, bind the free letters from this argument.
        tokens = [_split_token(t) for t in spec]
        want = [mult * self.size[letter] if letter in self.size else None for mult, letter in tokens]
        bad = [axis for axis, w in enumerate(want) if w is not None and w != arr.shape[axis]]
        if not bad:
            # Plain letters first: in "4D D" the second axis says what D is.
            for axis in sorted(range(len(tokens)), key=lambda a: tokens[a][0]):
                mult, letter = tokens[axis]
                if letter not in self.size and arr.shape[axis] % mult == 0:
                    self.size[letter] = arr.shape[axis] // mult
                    self.source[letter] = f"{name} has shape {_fmt(arr.shape)}"
            want = [mult * self.size[letter] if letter in self.size else None for mult, letter in tokens]
            bad = [axis for axis, w in enumerate(want) if w != arr.shape[axis]]
        if bad:
            values = ", ".join("?" if w is None else str(w) for w in want)
            msg = f"{self.fn}: {name} has shape {_fmt(arr.shape)}; expected {expected_text} = ({values})"
            own = f"{name} has shape {_fmt(arr.shape)}"
            because = sorted({self.source[tokens[axis][1]] for axis in bad
                              if self.source.get(tokens[axis][1]) not in (None, "", own)})
            if because:
                msg += ", because " + " and ".join(because)
            stacked = [tokens[axis] for axis in bad if tokens[axis][0] > 1]
            if stacked:
                mult, letter = stacked[0]
                msg += f" ({mult}{letter}: the weights of {mult} gates stacked, {letter} rows each)"
            if arr.ndim == 2 and all(w in (None, a) for w, a in zip(want, arr.shape[::-1])):
                msg += (f" — is it transposed? {name} is stored as {expected_text}, "
                        f"the orientation of the source note and of PyTorch")
            elif hint:
                msg += f" — {hint}"
            raise ValueError(msg)
        for letter in {_split_token(t)[1] for t in spec}:
            if self.size[letter] == 0:
                raise ValueError(
                    f"{self.fn}: {name} has shape {_fmt(arr.shape)}, so {letter} = 0; "
                    f"every dimension must be at least 1"
                    + (" (an RNN needs at least one time step)" if letter == "T" else "")
                )
        return arr


def _split_token(token: str) -> tuple[int, str]:
    """'4D' -> (4, 'D'); 'T' -> (1, 'T')."""
    digits = ""
    while token and token[0].isdigit():
        digits, token = digits + token[0], token[1:]
    return (int(digits) if digits else 1), token


def as_float_array(fn: str, name: str, value, dtype=None) -> np.ndarray:
    """Return ``value`` as a finite floating-point numpy array, or raise a sentence."""
    if value is None:
        raise TypeError(f"{fn}: {name} is None; expected a float array")
    arr = value if isinstance(value, np.ndarray) else np.asarray(value)
    kind = arr.dtype.kind
    if kind in "iub":
        raise TypeError(
            f"{fn}: {name} has integer dtype {arr.dtype}; expected floats — " + _ONE_HOT_HINT
            if kind != "b" else f"{fn}: {name} has boolean dtype; expected a float array"
        )
    if kind != "f":
        raise TypeError(f"{fn}: {name} has dtype {arr.dtype}; expected a float array (float32 or float64)")
    if dtype is not None and arr.dtype != dtype:
        arr = arr.astype(dtype)
    if not np.isfinite(arr).all():
        bad = np.argwhere(~np.isfinite(arr))[0]
        where = _fmt(bad.tolist()) if arr.ndim else "()"
        raise ValueError(
            f"{fn}: {name} contains NaN or inf (first at index {where}, value {arr[tuple(bad)]}); "
            f"the inputs of a recurrent layer must be finite — check the data or the layer before it"
        )
    return arr


def result_dtype(*arrays) -> np.dtype:
    """The floating dtype the computation runs in: numpy's promotion of the inputs.

    float32 inputs give float32 results; mixing float32 and float64 gives float64.
    """
    return np.result_type(*[a for a in arrays if a is not None])


def check_choice(fn: str, name: str, value, choices) -> None:
    if value not in choices:
        options = " or ".join(repr(c) for c in choices)
        raise ValueError(f"{fn}: {name} must be {options}, got {value!r}")


def check_cache(fn: str, cache, cls, producer: str) -> None:
    if not isinstance(cache, cls):
        raise TypeError(
            f"{fn}: cache must be the cache returned by {producer}, got {type(cache).__name__}"
        )


def as_index_array(fn: str, name: str, value, upper: int | None = None, what: str = "token ids") -> np.ndarray:
    """Return ``value`` as an integer numpy array of indices in [0, upper), or raise a sentence."""
    if value is None:
        raise TypeError(f"{fn}: {name} is None; expected an integer array of {what}")
    arr = value if isinstance(value, np.ndarray) else np.asarray(value)
    if arr.dtype.kind == "f" and arr.size and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
        raise TypeError(f"{fn}: {name} has float dtype {arr.dtype}; expected integer {what} "
                        f"(use .astype(int) if these floats are whole numbers)")
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{fn}: {name} has dtype {arr.dtype}; expected integer {what}")
    if arr.size and arr.min() < 0:
        raise ValueError(f"{fn}: {name} contains {arr.min()}; {what} must be >= 0")
    if upper is not None and arr.size and arr.max() >= upper:
        raise ValueError(f"{fn}: {name} contains {arr.max()}, but there are only {upper} "
                         f"(valid {what}: 0 to {upper - 1})")
    return arr


def check_int(fn: str, name: str, value, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{fn}: {name} must be an integer, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{fn}: {name} must be at least {minimum}, got {value}")
    return int(value)


def check_one_of(fn: str, name: str, value, choices):
    if value not in choices:
        options = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{fn}: {name} must be one of {options}; got {value!r}")
    return value
