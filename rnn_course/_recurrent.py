"""What ``RNN``, ``LSTM`` and ``GRU`` share: parameters keyed like PyTorch,
stacking layers, running a reverse direction, and walking it all backwards.

A subclass says how one layer runs in one direction (``_layer_forward`` and
``_layer_backward``, thin wrappers round its functional ``*_forward`` and
``*_backward``); this class does the rest, the same way ``torch.nn.RNNBase``
does:

- layer k > 0 reads layer k-1's output sequence;
- the reverse direction reads the sequence back to front, and its outputs are
  turned the right way round again before they are concatenated, so
  ``output[:, t]`` is ``[forward h_t, backward h_t]``;
- ``h_n`` stacks the last state of every layer and direction as
  ``(num_layers * num_directions, N, D)``, index ``layer * num_directions + direction``.
"""

from __future__ import annotations

import numpy as np

from ._checks import (Dims, check_bool, check_finite_grads, check_float_dtype, check_input_dtype, check_lengths,
                      check_seed, check_size, is_number)
from .module import Module

# How many numbers each block of the LSTM's and GRU's precomputed local factors
# holds in their backward passes: a few steps' worth, small enough to stay in the
# CPU's cache (fresh arrays of T*N*D numbers cost more in page faults and memory
# traffic than the operations they save).
FACTOR_BLOCK = 1 << 14


class RecurrentModule(Module):
    """Base class; see ``rnn_course.RNN``, ``LSTM`` and ``GRU``."""

    gate_count = 1  # rows of weight_ih per hidden unit: 1 (RNN), 4 (LSTM), 3 (GRU)
    has_cell_state = False  # the LSTM carries c as well as h

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, bidirectional=False,
                 seed=None, dtype=np.float64):
        name = type(self).__name__
        self.input_size = check_size(name, "input_size", input_size)
        self.hidden_size = check_size(name, "hidden_size", hidden_size)
        self.num_layers = check_size(name, "num_layers", num_layers)
        self.bias = check_bool(name, "bias", bias)
        self.bidirectional = check_bool(name, "bidirectional", bidirectional)
        self.num_directions = 2 if self.bidirectional else 1
        self.dtype = check_float_dtype(name, dtype)
        super().__init__()

        # PyTorch's initialisation: every parameter uniform(-1/sqrt(D), 1/sqrt(D)),
        # drawn in state_dict order from one seeded generator.
        rng = np.random.default_rng(check_seed(name, seed))
        bound = 1.0 / np.sqrt(self.hidden_size)
        for name_, shape in self._param_shapes():
            self._add_param(name_, rng.uniform(-bound, bound, size=shape).astype(self.dtype))
        self.dh0 = None  # (L*dirs, N, D) after backward
        self.dc0 = None  # LSTM only
        self._caches = None
        self._lengths = None

    # -- parameters ---------------------------------------------------------

    def _suffixes(self):
        """('_l0', '_l0_reverse', '_l1', ...) in PyTorch's order."""
        return [f"_l{layer}" + ("_reverse" if direction else "")
                for layer in range(self.num_layers) for direction in range(self.num_directions)]

    def _param_shapes(self):
        G, D = self.gate_count, self.hidden_size
        for i, sfx in enumerate(self._suffixes()):
            layer = i // self.num_directions
            d_in = self.input_size if layer == 0 else D * self.num_directions
            yield f"weight_ih{sfx}", (G * D, d_in)
            yield f"weight_hh{sfx}", (G * D, D)
            if self.bias:
                yield f"bias_ih{sfx}", (G * D,)
                yield f"bias_hh{sfx}", (G * D,)

    def _open_gate(self, block, value, arg):
        """Add ``value`` to gate ``block``'s rows of every ``bias_hh`` (an init option).

        Used by ``LSTM(forget_bias=...)`` and ``GRU(update_bias=...)``: a positive
        value starts the gate that keeps the old state mostly open. PyTorch's
        uniform draw stays underneath, so value 0 leaves PyTorch's init unchanged.
        """
        name = type(self).__name__
        if not is_number(value) or not np.isfinite(value):
            raise ValueError(f"{name}: {arg} must be a finite number, got {value!r}")
        if value and not self.bias:
            raise ValueError(f"{name}: {arg}={value!r} needs bias=True; there is no bias to set")
        D = self.hidden_size
        for sfx in self._suffixes() if value else ():
            self.params[f"bias_hh{sfx}"][block * D:(block + 1) * D] += value

    def __repr__(self):
        s = f"{type(self).__name__}({self.input_size}, {self.hidden_size}"
        s += self._extra_repr()
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if not self.bias:
            s += ", bias=False"
        if self.bidirectional:
            s += ", bidirectional=True"
        return s + ")"

    def _extra_repr(self):
        return ""

    def _layer_params(self, sfx):
        p = self.params
        if self.bias:
            return p[f"weight_ih{sfx}"], p[f"weight_hh{sfx}"], p[f"bias_ih{sfx}"], p[f"bias_hh{sfx}"]
        zeros = np.zeros(self.gate_count * self.hidden_size, dtype=self.dtype)
        return p[f"weight_ih{sfx}"], p[f"weight_hh{sfx}"], zeros, zeros

    # -- forward and backward ----------------------------------------------

    def __call__(self, x, h0=None, lengths=None):
        return self.forward(x, h0, lengths)

    def forward(self, x, h0=None, lengths=None):
        """Run the whole stack over a batch of sequences.

        Inputs:

        - x: (N, T, d) input sequences, d = input_size, in the module's dtype
          (a float32 module refuses float64 input, as PyTorch does, rather
          than return float64)
        - h0: (L*dirs, N, D) initial hidden states, or None for zeros; for the
          LSTM a pair (h0, c0) of such arrays; in the module's dtype too
        - lengths: (N,) true lengths of padded sequences, or None when every
          sequence fills all T steps. With lengths, the reverse direction reads
          each sequence from its own last real step (not from the padding), and
          h_n holds every direction's state after the last real step, as
          PyTorch's packed sequences do. Outputs at padded steps are not
          meaningful; mask them out of the loss.

        Returns (output, h_n):

        - output: (N, T, dirs*D) the last layer's hidden states, directions concatenated
        - h_n: (L*dirs, N, D) the last hidden state of every layer and direction;
          for the LSTM a pair (h_n, c_n)
        """
        name = f"{type(self).__name__}.forward"
        L, dirs, D = self.num_layers, self.num_directions, self.hidden_size
        dims = Dims(name, d=self.input_size, D=D, **{"L*dirs": L * dirs})
        x = dims.array("x", x, "N T d",
                       hint="a batch of sequences (for one sequence use x[None])")
        h0, c0 = self._split_state(name, dims, h0)
        for arg, value in (("x", x), ("h0", h0), ("c0", c0)):
            if value is not None:
                check_input_dtype(name, arg, value, self.dtype)
        N, T, _ = x.shape
        if lengths is not None:
            lengths = check_lengths(name, lengths, N, T)
        flip = _flipper(lengths)
        last = (slice(None), -1) if lengths is None else (np.arange(N), lengths - 1)

        caches = []
        h_n, c_n = [], []
        layer_in = x
        for layer in range(L):
            outs = []
            for direction in range(dirs):
                k = layer * dirs + direction
                sfx = self._suffixes()[k]
                seq = layer_in if direction == 0 else flip(layer_in)
                out, h_last, c_last, cache = self._layer_forward(
                    seq, None if h0 is None else h0[k], None if c0 is None else c0[k],
                    *self._layer_params(sfx))
                if lengths is not None:  # the state after each sequence's own last step
                    h_last = out[last]
                    c_last = self._cell_state_at(cache, lengths)
                outs.append(out if direction == 0 else flip(out))
                caches.append(cache)
                h_n.append(h_last)
                c_n.append(c_last)
            layer_in = outs[0] if dirs == 1 else np.concatenate(outs, axis=2)  # (N, T, dirs*D)
        self._caches = caches
        self._input_shape = x.shape
        self._lengths = lengths
        h_n = np.stack(h_n)
        if self.has_cell_state:
            return layer_in, (h_n, np.stack(c_n))
        return layer_in, h_n

    def _split_state(self, name, dims, state, names=("h0", "c0")):
        """Validate h0 (and c0 for the LSTM); return (h0, c0), each (L*dirs, N, D) or None."""
        if state is None:
            return None, None
        hint = _state_hint(self)
        if self.has_cell_state:
            if not (isinstance(state, (tuple, list)) and len(state) == 2):
                raise TypeError(f"{name}: {names[0]} must be a pair ({names[0]}, {names[1]}) "
                                f"for the LSTM, or None")
            h, c = state
            h = None if h is None else dims.array(names[0], h, "L*dirs N D", hint=hint)
            c = None if c is None else dims.array(names[1], c, "L*dirs N D", hint=hint)
            return h, c
        if isinstance(state, (tuple, list)):
            raise TypeError(f"{name}: {names[0]} must be one array of shape (L*dirs, N, D); a pair "
                            f"({names[0]}, {names[1]}) is for the LSTM, which also has a cell state")
        return dims.array(names[0], state, "L*dirs N D", hint=hint), None

    def backward(self, doutput, dh_n=None):
        """Backpropagate through the whole stack; returns dx and adds to ``.grads``.

        Inputs:

        - doutput: (N, T, dirs*D) gradient with respect to ``output``
        - dh_n: (L*dirs, N, D) gradient with respect to ``h_n``, or None; for the
          LSTM a pair (dh_n, dc_n), either of which may be None

        Returns dx: (N, T, d). Afterwards ``self.dh0`` (and ``self.dc0`` for the
        LSTM) hold the gradient with respect to the initial state.
        """
        name = f"{type(self).__name__}.backward"
        if self._caches is None:
            raise RuntimeError(f"{name}: call forward before backward")
        L, dirs, D = self.num_layers, self.num_directions, self.hidden_size
        N, T, _ = self._input_shape
        dims = Dims(name, N=N, T=T, D=D, **{"L*dirs": L * dirs, "dirs*D": dirs * D})
        doutput = dims.array("doutput", doutput, "N T dirs*D",
                             hint="the gradient of the output returned by forward")
        dh_n, dc_n = self._split_state(name, dims, dh_n, names=("dh_n", "dc_n"))
        lengths = self._lengths
        flip = _flipper(lengths)
        if lengths is not None and dc_n is not None:
            raise ValueError(f"{name}: dc_n cannot be given for a forward pass with lengths: the final cell "
                             f"states sit inside the sequences; use the outputs, or equal-length batches")

        dh0 = np.zeros((L * dirs, N, D), dtype=np.result_type(doutput, self.dtype))
        dc0 = np.zeros_like(dh0) if self.has_cell_state else None
        dlayer_out = doutput
        for layer in range(L - 1, -1, -1):
            dlayer_in = None
            for direction in range(dirs):
                k = layer * dirs + direction
                sfx = self._suffixes()[k]
                dout = dlayer_out[:, :, direction * D:(direction + 1) * D]
                dout = np.array(dout if direction == 0 else flip(dout))  # own time order, a copy
                dh_last = None if dh_n is None else dh_n[k]
                if lengths is not None and dh_last is not None:  # h_n came from step lengths-1
                    dout[np.arange(N), lengths - 1] += dh_last
                    dh_last = None
                dx, dh0_k, dc0_k, dWih, dWhh, dbih, dbhh = self._layer_backward(
                    dout, dh_last, None if dc_n is None else dc_n[k], self._caches[k])
                if direction == 1:
                    dx = flip(dx)
                dlayer_in = dx if dlayer_in is None else dlayer_in + dx
                dh0[k] = dh0_k
                if dc0 is not None:
                    dc0[k] = dc0_k
                self.grads[f"weight_ih{sfx}"] += dWih
                self.grads[f"weight_hh{sfx}"] += dWhh
                if self.bias:
                    self.grads[f"bias_ih{sfx}"] += dbih
                    self.grads[f"bias_hh{sfx}"] += dbhh
            dlayer_out = dlayer_in
        check_finite_grads(name, {"dx": dlayer_out, "dh0": dh0, "dc0": dc0})  # sums over directions
        self.dh0, self.dc0 = dh0, dc0
        return dlayer_out

    # -- per-layer hooks for subclasses --------------------------------------

    def _cell_state_at(self, cache, lengths):
        """The cell state after step lengths[n] - 1 of every sequence (LSTM only)."""
        return None

    def _layer_forward(self, x, h0, c0, w_ih, w_hh, b_ih, b_hh):
        """One layer, one direction. Returns (out (N, T, D), h_last, c_last or None, cache)."""
        raise NotImplementedError

    def _layer_backward(self, dout, dh_last, dc_last, cache):
        """Returns (dx, dh0, dc0 or None, dW_ih, dW_hh, db_ih, db_hh)."""
        raise NotImplementedError


def reverse_padded(a, lengths):
    """Reverse every sequence of a (N, T, ...) batch within its own length.

    Row n's first lengths[n] steps are reversed; its padding stays where it is.
    Applying it twice gives the input back.
    """
    N, T = a.shape[:2]
    t = np.arange(T)[None, :]
    idx = np.where(t < lengths[:, None], lengths[:, None] - 1 - t, t)  # (N, T)
    return a[np.arange(N)[:, None], idx]


def _flipper(lengths):
    """The time reversal the reverse direction uses: whole sequences, or within each length."""
    if lengths is None:
        return lambda a: a[:, ::-1]
    return lambda a: reverse_padded(a, lengths)


def _state_hint(module):
    L, dirs = module.num_layers, module.num_directions
    return (f"one (N, D) state per layer and direction, num_layers*num_directions = "
            f"{L}*{dirs} = {L * dirs} of them")
