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


RECURRENT = "a recurrent layer"  # what reads an array, by default, in the messages of as_float_array


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

    ``layer`` names what reads the arrays, e.g. "a linear layer", in the
    messages. ``sizes`` may pre-bind letters that come from somewhere other
    than an argument (e.g. the hidden size of a module).
    """

    def __init__(self, fn: str, layer: str = RECURRENT, **sizes: int):
        self.fn = fn
        self.layer = layer  # what reads the arrays, for the messages of as_float_array
        self.size: dict[str, int] = dict(sizes)
        self.source: dict[str, str] = {k: "" for k in sizes}
        self.stacked_rows: dict[str, int] = {}  # D read off 4D rows: the row count, a guess a plain axis may refute

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
        arr = as_float_array(self.fn, name, value, dtype=dtype, layer=self.layer)
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
                    if mult > 1:
                        self.stacked_rows[letter] = arr.shape[axis]
            want = [mult * self.size[letter] if letter in self.size else None for mult, letter in tokens]
            bad = [axis for axis, w in enumerate(want) if w != arr.shape[axis]]
        if bad:
            other_cell = self._other_gate_count(name, arr, tokens, expected_text)
            if other_cell:
                raise ValueError(other_cell)
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
                rows = arr.shape[tokens.index(stacked[0])]
                if letter not in self.size and rows % mult:
                    msg += f"; {rows} is not a multiple of {mult}"
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

    def _other_gate_count(self, name, arr, tokens, expected_text):
        """A message for another cell's weights, e.g. an LSTM's (4D, D) given to a GRU, or None.

        D read off a stacked axis is a guess: an LSTM's 24 = 4 x 6 rows read as a
        GRU's 3D give D = 8. A later plain axis (Wh's columns, 6) refutes it.
        """
        for axis, (mult, letter) in enumerate(tokens):
            plain = [arr.shape[a] for a, (m, lt) in enumerate(tokens) if m == 1 and lt == letter]
            rows = arr.shape[axis]
            if mult == 1 or not plain or plain[0] == 0 or self.stacked_rows.get(letter) != rows:
                continue
            v = plain[0]
            if rows % v or rows // v == mult:
                continue
            k = rows // v
            want = ", ".join(str(m * v) if lt == letter else str(m * self.size[lt]) if lt in self.size else "?"
                             for m, lt in tokens)
            cell = {3: "GRU", 4: "LSTM"}.get(k)
            return (f"{self.fn}: {name} has shape {_fmt(arr.shape)}; expected {expected_text} = ({want}): its "
                    f"{rows} rows are {k} gates of {letter} = {v}, but {self.fn} stacks {mult} "
                    f"({mult}{letter}: the weights of {mult} gates stacked, {letter} rows each)"
                    + (f" — are these {cell} weights?" if cell else ""))
        return None


def _split_token(token: str) -> tuple[int, str]:
    """'4D' -> (4, 'D'); 'T' -> (1, 'T')."""
    digits = ""
    while token and token[0].isdigit():
        digits, token = digits + token[0], token[1:]
    return (int(digits) if digits else 1), token


def as_float_array(fn: str, name: str, value, dtype=None, layer: str = RECURRENT, where=None) -> np.ndarray:
    """Return ``value`` as a finite floating-point numpy array, or raise a sentence.

    layer: what reads the array, named in the messages, e.g. "a linear layer"
        or "a loss"; the one-hot hint for integer input is given only to
        recurrent layers, which are the ones fed token ids by mistake.
    where: None, or booleans shaped like value: only these entries must be
        finite (a masked loss does not look at the others).
    """
    if value is None:
        raise TypeError(f"{fn}: {name} is None; expected a float array")
    arr = value if isinstance(value, np.ndarray) else np.asarray(value)
    kind = arr.dtype.kind
    if kind in "iub":
        hint = _ONE_HOT_HINT if layer == RECURRENT else f"{layer} reads float values (convert with .astype(float))"
        raise TypeError(
            f"{fn}: {name} has integer dtype {arr.dtype}; expected floats — " + hint
            if kind != "b" else f"{fn}: {name} has boolean dtype; expected a float array"
        )
    if kind != "f":
        raise TypeError(f"{fn}: {name} has dtype {arr.dtype}; expected a float array (float32 or float64)")
    if dtype is not None and arr.dtype != dtype:
        arr = arr.astype(dtype)
    bad = ~np.isfinite(arr) if where is None else ~np.isfinite(arr) & where
    if bad.any():
        raise ValueError(f"{fn}: {name} contains NaN or inf ({_first(arr, bad)}); the inputs of {layer} "
                         f"must be finite — check the data or the layer before it")
    return arr


def _first(arr, bad) -> str:
    """'first at index (1, 2, 0), value nan': where ``bad`` (booleans shaped like arr) is first True."""
    index = np.argwhere(bad)[0]
    return f"first at index {_fmt(index.tolist()) if arr.ndim else '()'}, value {arr[tuple(index)]}"


GATE_OVERFLOW = "the gate pre-activations overflowed the dtype (inf - inf is NaN): scale the inputs or weights down"


def check_finite_result(fn: str, name: str, value, cause: str) -> None:
    """Refuse a result that overflowed: a forward pass never returns NaN or inf silently.

    cause: why it can happen and what to do, e.g. "relu does not bound the
    hidden states: scale the inputs or weights down, or use tanh".
    """
    finite = np.isfinite(value)  # it runs after every forward pass: one test, then one reduction
    if finite.all():
        return
    raise ValueError(f"{fn}: {name} overflowed to NaN or inf ({_first(np.asarray(value), ~finite)}) although "
                     f"every input is finite — {cause}")


BACKWARD_OVERFLOW = ("the upstream gradient is too large for the dtype: scale the loss down, "
                     "or clip the gradients before they grow this large")


def check_finite_grads(fn: str, grads: dict, cause: str = BACKWARD_OVERFLOW) -> None:
    """Refuse gradients that overflowed: a backward pass never returns NaN or inf silently.

    grads: {name: array} in the order the function returns them, e.g.
    {"dx": dx, "dh0": dh0, "dWx": dWx, ...}; None values are skipped.
    """
    for name, value in grads.items():
        if value is not None:
            check_finite_result(fn, name, value, cause)


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


def as_index_array(fn: str, name: str, value, upper: int | None = None, what: str = "token ids",
                   where=None) -> np.ndarray:
    """Return ``value`` as an integer numpy array of indices in [0, upper), or raise a sentence.

    where: None, or booleans shaped like value: only these entries must be in
    range (a masked loss ignores the values at padding, e.g. PyTorch's -100).
    """
    arr = as_int_array(fn, name, value, what)
    checked = arr if where is None else arr[where]
    if checked.size and checked.min() < 0:
        raise ValueError(f"{fn}: {name} contains {checked.min()}; {what} must be >= 0")
    if upper is not None and checked.size and checked.max() >= upper:
        raise ValueError(f"{fn}: {name} contains {checked.max()}, but there are only {upper} "
                         f"(valid {what}: 0 to {upper - 1})")
    return arr


def as_int_array(fn: str, name: str, value, what: str) -> np.ndarray:
    """Return ``value`` as an integer numpy array (any values), or raise a sentence."""
    if value is None:
        raise TypeError(f"{fn}: {name} is None; expected an integer array of {what}")
    arr = value if isinstance(value, np.ndarray) else np.asarray(value)
    if arr.dtype.kind == "f" and arr.size and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
        raise TypeError(f"{fn}: {name} has float dtype {arr.dtype}; expected integer {what} "
                        f"(use .astype(int) if these floats are whole numbers)")
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{fn}: {name} has dtype {arr.dtype}; expected integer {what}")
    return arr


def check_lengths(fn: str, lengths, N: int, T: int, source: str = "x") -> np.ndarray:
    """Validate (N,) true lengths of sequences padded to T steps: integers from 1 to T."""
    lengths = as_int_array(fn, "lengths", lengths, what="lengths")
    if lengths.shape != (N,):
        raise ValueError(f"{fn}: lengths has shape {_fmt(lengths.shape)}; expected (N,) = ({N},)")
    if lengths.min() == 0:
        raise ValueError(f"{fn}: lengths contains 0; every sequence needs at least one step")
    if lengths.min() < 0 or lengths.max() > T:
        bad = lengths.min() if lengths.min() < 0 else lengths.max()
        raise ValueError(f"{fn}: lengths contains {bad}, but {source} has only T = {T} steps "
                         f"(valid lengths: 1 to {T})")
    return lengths


def is_number(value) -> bool:
    """A real number, not a bool (True would silently mean 1) and not a string."""
    return not isinstance(value, (bool, np.bool_)) and isinstance(value, (int, float, np.integer, np.floating))


def check_bool(fn: str, name: str, value) -> bool:
    """A flag must be True or False: a string such as 'no' is truthy and would silently mean True."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{fn}: {name} must be True or False, got {type(value).__name__} {value!r}")
    return bool(value)


def check_size(fn: str, name: str, value) -> int:
    """A size (N, T, d, D, V, C, a number of layers) must be a positive integer."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{fn}: {name} must be a positive integer, got {value!r}")
    return int(value)


def check_seed(fn: str, seed):
    """A seed for np.random.default_rng: None, a non-negative integer, or a numpy Generator."""
    generators = (np.random.Generator, np.random.BitGenerator, np.random.SeedSequence)
    if seed is None or isinstance(seed, generators):
        return seed
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"{fn}: seed must be None, a non-negative integer or a np.random.Generator, "
                        f"got {type(seed).__name__} {seed!r}")
    if seed < 0:
        raise ValueError(f"{fn}: seed must be a non-negative integer, got {seed}")
    return seed


def check_int_seed(fn: str, seed) -> int:
    """A model's seed: a non-negative integer (a model seeds its parts with seed, seed + 1, ...)."""
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"{fn}: seed must be a non-negative integer (the model seeds its parts with seed, "
                        f"seed + 1, ...), got {type(seed).__name__} {seed!r}")
    if seed < 0:
        raise ValueError(f"{fn}: seed must be a non-negative integer, got {seed}")
    return int(seed)


def check_float_dtype(fn: str, dtype) -> np.dtype:
    """The dtype of a module's parameters: a float type such as np.float32 or np.float64."""
    try:
        dt = np.dtype(dtype)
    except TypeError:
        dt = None
    if dt is None or dt.kind != "f":
        raise TypeError(f"{fn}: dtype must be a float type such as np.float32 or np.float64, got {dtype!r}")
    return dt


def check_input_dtype(fn: str, name: str, arr: np.ndarray, dtype: np.dtype) -> None:
    """A module computes in its parameters' dtype; an input of another float dtype is refused,
    as PyTorch refuses it, rather than silently promoted (float32 in, float64 out)."""
    if arr.dtype != dtype:
        raise TypeError(f"{fn}: {name} has dtype {arr.dtype} but the module's parameters are {dtype}; "
                        f"convert it with {name}.astype(np.{dtype}) or build the module with dtype=np.{arr.dtype}")


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
