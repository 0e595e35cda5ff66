"""One model per RNN topology, each built from the library's layers.

    ManyToOneClassifier   many-to-one    a sequence in, one label out (sentiment, spam)
    SequenceRegressor     many-to-one    a sequence of numbers in, k numbers out (sunspots)
    SequenceTagger        many-to-many   one tag per token, aligned (named entities)
    Seq2Seq               many-to-many   encoder-decoder, lengths may differ (dates -> ISO)
    Captioner             one-to-many    one vector in (an image), a sequence out
    CharLM                many-to-many   next-character prediction, and sampling

Every model is a Module: ``parameters()`` for the optimisers, and a
``loss(*batch) -> float`` that runs forward and backward, for ``fit``.
``cell`` is "rnn", "lstm" or "gru". Notation: N batch, T time steps, d
embedding size (or input size, for the regressor's real-valued inputs), D
hidden size, V vocabulary, C classes, k predicted numbers.
"""

from __future__ import annotations

import numpy as np

from .gru import GRU
from .layers import Embedding, Linear, length_mask
from ._checks import as_float_array, check_bool, check_float_dtype, check_int_seed, check_lengths, is_number
from .losses import log_softmax, mse_loss, softmax_cross_entropy
from .lstm import LSTM
from .module import Module
from .rnn import RNN

CELLS = {"rnn": RNN, "lstm": LSTM, "gru": GRU}


def make_recurrent(cell, input_size, hidden_size, num_layers=1, bidirectional=False, seed=None, gate_bias=0.0,
                   dtype=np.float64):
    """RNN, LSTM or GRU by name.

    Inputs:

    - cell: "rnn", "lstm" or "gru"
    - input_size: d, the size of each input vector
    - hidden_size: D, the size of the hidden state
    - num_layers, bidirectional, seed, dtype: passed on to the module
    - gate_bias: g, a float added to a gate's bias (see below); 0 for "rnn"

    Returns the module, which maps x (N, T, d) to (output (N, T, dirs*D), h_n
    (num_layers*dirs, N, D)), dirs = 2 if bidirectional else 1; the LSTM's
    h_n is a pair (h_n, c_n).

    gate_bias g starts a gated cell keeping its state: the GRU's update gate
    gets +g on its bias (``GRU(update_bias=g)``): z keeps the old state and
    1 - z lets the new one in, so one gate does both. The LSTM has two gates
    for the two jobs, so its forget gate gets +g and its input gate -g
    (``LSTM(forget_bias=g, input_bias=-g)``): one large constant for every
    unit. (Tallec & Ollivier's "chrono" init, 2018, has the same signs but
    draws each unit's forget bias as log(u), u ~ U(1, T_max - 1).) 0 is
    PyTorch's init. The plain RNN has no gate, so g must be 0 for cell "rnn".
    """
    if cell not in CELLS:
        raise ValueError(f"cell must be 'rnn', 'lstm' or 'gru', got {cell!r}")
    options = {}
    if cell == "lstm":
        options["forget_bias"] = gate_bias
        options["input_bias"] = -gate_bias if isinstance(gate_bias, (int, float, np.number)) else gate_bias
    elif cell == "gru":
        options["update_bias"] = gate_bias
    elif gate_bias:
        raise ValueError(f"make_recurrent: gate_bias={gate_bias!r} needs a gated cell ('lstm' or 'gru'); "
                         f"the plain RNN has no gate")
    return CELLS[cell](input_size, hidden_size, num_layers=num_layers, bidirectional=bidirectional, seed=seed,
                       dtype=dtype, **options)


def _h(state):
    """The hidden part of a final state: h_n, or h_n of the LSTM's (h_n, c_n)."""
    return state[0] if isinstance(state, tuple) else state


def _dstate(rnn, dh):
    """A gradient for h_n in the form the module's backward wants."""
    return (dh, None) if isinstance(rnn, LSTM) else dh


def sample_logits(logits, temperature=1.0, rng=None):
    """Draw one id per row from softmax(logits / temperature).

    logits: (N, V), finite. temperature > 0: lower is more conservative, higher
    more varied; temperature 0 means greedy (argmax). Returns (N,) ids.
    Extreme values are exact: a tiny temperature is greedy, and logits near the
    float64 limit are not overflowed into a wrong draw.
    """
    fn = "sample_logits"
    logits = as_float_array(fn, "logits", logits, dtype=np.float64, layer="sampling")
    if logits.ndim != 2:
        raise ValueError(f"sample_logits: logits has shape {logits.shape}; expected (N, V)")
    if not is_number(temperature) or not np.isfinite(temperature) or temperature < 0:
        raise ValueError(f"sample_logits: temperature must be >= 0 and finite, got {temperature!r}")
    if temperature == 0:
        return logits.argmax(axis=1)
    rng = rng if rng is not None else np.random.default_rng()
    with np.errstate(over="ignore", invalid="ignore"):
        scaled = logits / temperature
    if not np.isfinite(scaled).all():  # overflowed: shift by the max first, so the top score is 0
        with np.errstate(over="ignore"):
            scaled = (logits - logits.max(axis=1, keepdims=True)) / temperature  # -inf is probability 0
    p = np.exp(log_softmax(scaled))
    u = rng.random((logits.shape[0], 1))
    return np.minimum((p.cumsum(axis=1) < u).sum(axis=1), logits.shape[1] - 1)


class ManyToOneClassifier(Module):
    """ids (N, T) + lengths (N,) -> class scores (N, C).

    embedding -> (stacked, optionally bidirectional) RNN/LSTM/GRU -> one feature
    vector per sequence -> linear -> C scores. The feature vector (``pooling``):

    - "last" (default): the state after each sequence's last real token (both
      directions' final states when bidirectional), (N, dirs*D)
    - "max": the top layer's output maximised over each sequence's real steps,
      feature by feature (max-pooling over time, as in Collobert et al. 2011 and
      Conneau et al. 2017's BiLSTM-max), (N, dirs*D); pad steps never win

    gate_bias: see ``make_recurrent``.
    dtype: np.float64 (default) or np.float32, the dtype of every parameter and computation.

    Raises ValueError for a pooling other than "last" or "max".
    """

    POOLINGS = ("last", "max")

    def __init__(self, vocab_size, embed_dim, hidden_size, num_classes, cell="gru", num_layers=1,
                 bidirectional=False, seed=0, gate_bias=0.0, dtype=np.float64, pooling="last"):
        super().__init__()
        seed = check_int_seed(type(self).__name__, seed)
        dtype = check_float_dtype(type(self).__name__, dtype)
        if not isinstance(pooling, str) or pooling not in self.POOLINGS:
            raise ValueError(f"{type(self).__name__}: pooling must be 'last' or 'max', got {pooling!r}")
        self.pooling = pooling
        self.embed = Embedding(vocab_size, embed_dim, seed=seed, dtype=dtype)
        self.rnn = make_recurrent(cell, embed_dim, hidden_size, num_layers, bidirectional, seed=seed + 1,
                                  gate_bias=gate_bias, dtype=dtype)
        self.head = Linear(hidden_size * self.rnn.num_directions, num_classes, seed=seed + 2, dtype=dtype)

    def forward(self, ids, lengths):
        """Class scores for a batch of padded sequences.

        Inputs:

        - ids: (N, T) token ids, padded
        - lengths: (N,) true lengths, or None when every sequence fills all T steps

        Returns logits: (N, C) unnormalised class scores, read from the top
        layer's state after each sequence's last real token (pooling "last"), or
        from its outputs maximised over the real steps (pooling "max").
        """
        output, h_n = self.rnn.forward(self.embed.forward(ids), lengths=lengths)
        self._last_shape = _h(h_n).shape
        if self.pooling == "max":
            features = self._max_pool(output, lengths)  # (N, dirs*D)
        else:
            dirs = self.rnn.num_directions
            last = _h(h_n)[-dirs:]  # the top layer's final state(s): (dirs, N, D)
            features = np.concatenate(list(last), axis=1)  # (N, dirs*D)
        return self.head.forward(features)

    def _max_pool(self, output, lengths):
        """output (N, T, F) -> (N, F): the maximum over each row's first lengths[n] steps.

        Remembers which step won for every (n, f), for the backward pass: the
        gradient of a maximum goes to the entry that won, and nowhere else.
        """
        N, T, F = output.shape
        if lengths is not None:
            real = length_mask(lengths, T)  # (N, T), True on real steps
            output = np.where(real[:, :, None], output, -np.inf)
        self._argmax = output.argmax(axis=1)  # (N, F), the winning step of each feature
        self._pool_shape = (N, T, F)
        return np.take_along_axis(output, self._argmax[:, None, :], axis=1)[:, 0]

    def loss(self, ids, lengths, labels):
        """Forward and backward on one batch: returns the loss and adds every gradient to ``.grads``.

        Inputs:

        - ids: (N, T) token ids, padded
        - lengths: (N,) true lengths
        - labels: (N,) the true classes, in [0, C)

        Returns the mean cross-entropy over the N sequences, a float.
        """
        logits = self.forward(ids, lengths)
        loss, dlogits = softmax_cross_entropy(logits, labels)
        dfeat = self.head.backward(dlogits)  # (N, dirs*D)
        dirs, D = self.rnn.num_directions, self.rnn.hidden_size
        N, T = np.shape(ids)
        dh_n = np.zeros(self._last_shape, dtype=self.rnn.dtype)  # the model's dtype, float32 end to end
        doutput = np.zeros((N, T, dirs * D), dtype=self.rnn.dtype)
        if self.pooling == "max":
            # each feature's gradient goes to the step that won its maximum
            np.put_along_axis(doutput, self._argmax[:, None, :], dfeat[:, None, :], axis=1)
        else:
            dh_n[-dirs:] = dfeat.reshape(len(dfeat), dirs, D).transpose(1, 0, 2)
        dx = self.rnn.backward(doutput, _dstate(self.rnn, dh_n))
        self.embed.backward(dx)
        return loss

    def loss_count(self, ids, lengths, labels):
        """How many terms ``loss`` averages over for this batch: N, one per sequence.

        Takes ``loss``'s arguments: ids (N, T), lengths (N,), labels (N,). ``fit`` weights
        each batch's loss by it, so an epoch's loss is the mean over its sequences.
        """
        return len(ids)

    def predict(self, ids, lengths):
        """The most likely class of every sequence.

        Inputs: ids (N, T) token ids; lengths (N,) true lengths or None.

        Returns (N,) class ids in [0, C), the argmax of ``forward``'s (N, C) scores.
        """
        return self.forward(ids, lengths).argmax(axis=1)


class SequenceRegressor(Module):
    """Real-valued inputs x (N, T, d) -> k numbers (N, k): many-to-one regression.

    The many-to-one shape of ``ManyToOneClassifier`` for numbers instead of
    tokens: no embedding (each step's input is already a vector of d numbers,
    e.g. d = 1 for one value of a time series), a (stacked, optionally
    bidirectional) RNN/LSTM/GRU, the top layer's state after each sequence's
    last real step (both directions' final states when bidirectional), and a
    linear layer to k outputs with no squashing, trained with the mean squared
    error. gate_bias: see ``make_recurrent``.
    """

    def __init__(self, input_size, hidden_size, output_size=1, cell="gru", num_layers=1, bidirectional=False,
                 seed=0, gate_bias=0.0):
        super().__init__()
        seed = check_int_seed(type(self).__name__, seed)
        if isinstance(output_size, bool) or not isinstance(output_size, (int, np.integer)) or output_size < 1:
            raise ValueError(f"SequenceRegressor: output_size must be a positive integer k, got {output_size!r}")
        self.input_size, self.output_size = int(input_size), int(output_size)
        self.rnn = make_recurrent(cell, input_size, hidden_size, num_layers, bidirectional, seed=seed + 1,
                                  gate_bias=gate_bias)
        self.head = Linear(hidden_size * self.rnn.num_directions, output_size, seed=seed + 2)

    def _check_x(self, fn, x):
        x = np.asarray(x)
        if x.dtype.kind not in "f":
            raise TypeError(f"{fn}: x has dtype {x.dtype}; expected real values (floats), shape (N, T, d)")
        if x.ndim != 3 or x.shape[2] != self.input_size:
            raise ValueError(f"{fn}: x has shape {x.shape}; expected (N, T, d) with d = {self.input_size}, "
                             f"e.g. series[:, :, None] for one number per step")
        return x

    def forward(self, x, lengths=None):
        """Predictions for a batch of real-valued sequences.

        Inputs:

        - x: (N, T, d) real values, e.g. d = 1 for one number per year
        - lengths: (N,) true lengths of padded sequences, or None when every
          sequence fills all T steps

        Returns (N, k) predictions, read from the top layer's state after each
        sequence's last real step.
        """
        x = self._check_x("SequenceRegressor.forward", x)
        _, h_n = self.rnn.forward(x, lengths=lengths)
        dirs = self.rnn.num_directions
        last = _h(h_n)[-dirs:]  # the top layer's final state(s): (dirs, N, D)
        self._last_shape = _h(h_n).shape
        features = np.concatenate(list(last), axis=1)  # (N, dirs*D)
        return self.head.forward(features)  # (N, k)

    def loss(self, x, y, lengths=None):
        """Forward and backward on one batch: returns the loss and adds every gradient to ``.grads``.

        Inputs:

        - x: (N, T, d) real values
        - y: (N, k) the true numbers
        - lengths: (N,) true lengths, or None when every sequence fills all T steps

        Returns the mean squared error over the N*k predictions, a float.
        """
        fn = "SequenceRegressor.loss"
        x = self._check_x(fn, x)
        y = np.asarray(y)
        if y.shape != (len(x), self.output_size):
            raise ValueError(f"{fn}: y has shape {y.shape}; expected (N, k) = ({len(x)}, {self.output_size})")
        loss, dpred = mse_loss(self.forward(x, lengths), y)
        dfeat = self.head.backward(dpred)  # (N, dirs*D)
        dirs, D = self.rnn.num_directions, self.rnn.hidden_size
        dh_n = np.zeros(self._last_shape, dtype=self.rnn.dtype)  # the model's dtype, float32 end to end
        dh_n[-dirs:] = dfeat.reshape(len(dfeat), dirs, D).transpose(1, 0, 2)
        N, T, _ = x.shape
        self.rnn.backward(np.zeros((N, T, dirs * D), dtype=self.rnn.dtype), _dstate(self.rnn, dh_n))
        return loss

    def loss_count(self, x, y, lengths=None):
        """How many terms ``loss`` averages over for this batch: N*k, one per predicted number.

        Takes ``loss``'s arguments: x (N, T, d), y (N, k), lengths (N,) or None.
        """
        return len(x) * self.output_size

    def predict(self, x, lengths=None):
        """The predicted numbers: ``forward``'s (N, k) output for x (N, T, d) and lengths (N,) or None."""
        return self.forward(x, lengths)


class SequenceTagger(Module):
    """ids (N, T) + lengths (N,) -> tag scores (N, T, C), one tag per token.

    A bidirectional encoder lets the tag of a word depend on the words after it.
    """

    def __init__(self, vocab_size, embed_dim, hidden_size, num_tags, cell="gru", num_layers=1,
                 bidirectional=True, seed=0):
        super().__init__()
        seed = check_int_seed(type(self).__name__, seed)
        self.embed = Embedding(vocab_size, embed_dim, seed=seed)
        self.rnn = make_recurrent(cell, embed_dim, hidden_size, num_layers, bidirectional, seed=seed + 1)
        self.head = Linear(hidden_size * self.rnn.num_directions, num_tags, seed=seed + 2)

    def forward(self, ids, lengths):
        """Tag scores for every token of a batch of padded sequences.

        Inputs:

        - ids: (N, T) token ids, padded
        - lengths: (N,) true lengths, or None when every sequence fills all T steps

        Returns logits: (N, T, C) unnormalised scores of the C tags at every
        step; the rows at padded steps are not meaningful.
        """
        out, _ = self.rnn.forward(self.embed.forward(ids), lengths=lengths)
        return self.head.forward(out)  # (N, T, C)

    def loss(self, ids, lengths, tags):
        """Forward and backward on one batch: returns the loss and adds every gradient to ``.grads``.

        Inputs:

        - ids: (N, T) token ids, padded
        - lengths: (N,) true lengths; the padded steps are masked out of the loss
        - tags: (N, T) the true tag ids in [0, C) (any value at padded steps)

        Returns the mean cross-entropy over the real tokens, a float.
        """
        logits = self.forward(ids, lengths)
        mask = np.arange(logits.shape[1])[None, :] < np.asarray(lengths)[:, None]
        loss, dlogits = softmax_cross_entropy(logits, tags, mask)
        self.embed.backward(self.rnn.backward(self.head.backward(dlogits)))
        return loss

    def loss_count(self, ids, lengths, tags):
        """How many terms ``loss`` averages over for this batch: the real tokens, sum(lengths).

        Takes ``loss``'s arguments: ids (N, T), lengths (N,), tags (N, T).
        """
        return int(np.sum(lengths))

    def predict(self, ids, lengths):
        """The most likely tag of every token.

        Inputs: ids (N, T) token ids; lengths (N,) true lengths or None.

        Returns (N, T) tag ids in [0, C); entries at padded steps are not meaningful.
        """
        return self.forward(ids, lengths).argmax(axis=-1)


class _Decoder(Module):
    """Embedding -> RNN -> linear over a target vocabulary, one step or a whole sequence.

    With context_size C > 0, every step's input is the token's embedding
    concatenated with a context vector (N, C) that stays the same for the whole
    sequence (the encoder's summary in Seq2Seq): the RNN reads (N, T, d + C).
    """

    def __init__(self, vocab_size, embed_dim, hidden_size, cell, seed, context_size=0):
        super().__init__()
        self.embed_dim, self.context_size = embed_dim, context_size
        self.embed = Embedding(vocab_size, embed_dim, seed=seed)
        self.rnn = make_recurrent(cell, embed_dim + context_size, hidden_size, seed=seed + 1)
        self.head = Linear(hidden_size, vocab_size, seed=seed + 2)

    def forward(self, ids, state, context=None):
        x = self.embed.forward(ids)  # (N, T, d)
        if self.context_size:
            N, T, _ = x.shape
            x = np.concatenate([x, np.broadcast_to(context[:, None], (N, T, self.context_size))],
                               axis=2)  # (N, T, d + C)
        out, state = self.rnn.forward(x, state)
        return self.head.forward(out), state

    def backward(self, dlogits):
        """Returns (dh0, dc0, dcontext); dcontext (N, C) sums the context's gradient over
        the steps, or is None without a context."""
        dx = self.rnn.backward(self.head.backward(dlogits))  # (N, T, d + C)
        self.embed.backward(dx[:, :, :self.embed_dim])
        dcontext = dx[:, :, self.embed_dim:].sum(axis=1) if self.context_size else None
        return self.rnn.dh0, self.rnn.dc0, dcontext

    def greedy(self, state, bos, eos, max_len, context=None):
        """Feed back the argmax each step, from <bos>; returns (N, max_len) ids (eos-padded)."""
        N = _h(state).shape[1]
        tok = np.full((N, 1), bos)
        out = np.full((N, max_len), eos)
        done = np.zeros(N, dtype=bool)
        for t in range(max_len):
            logits, state = self.forward(tok, state, context)
            tok = logits[:, -1].argmax(axis=1)[:, None]
            out[:, t] = np.where(done, eos, tok[:, 0])
            done |= tok[:, 0] == eos
            if done.all():
                break
        return out


def _teacher_forcing(targets, bos):
    """Decoder inputs for teacher forcing: <bos> then the targets shifted right by one."""
    targets = np.asarray(targets)
    return np.concatenate([np.full((len(targets), 1), bos), targets[:, :-1]], axis=1)


class Seq2Seq(Module):
    """Encoder-decoder: source ids (N, S) -> target ids (N, T'), lengths may differ.

    The encoder's final hidden state c (N, D) starts the decoder. With
    feed_context (the default, as in Cho et al. 2014), c is also concatenated
    to the decoder's input at every step, so each step reads the source's
    summary directly instead of only through a state it keeps overwriting;
    the decoder's RNN then reads (N, T', d + D). Training uses teacher forcing:
    the decoder reads <bos> and the true previous token; ``translate`` decodes
    greedily, feeding back its own previous token until <eos>.
    """

    def __init__(self, src_vocab, tgt_vocab, embed_dim, hidden_size, bos, eos, cell="gru", seed=0,
                 feed_context=True):
        super().__init__()
        seed = check_int_seed(type(self).__name__, seed)
        check_bool("Seq2Seq", "feed_context", feed_context)
        self.bos, self.eos = bos, eos
        self.src_embed = Embedding(src_vocab, embed_dim, seed=seed)
        self.encoder = make_recurrent(cell, embed_dim, hidden_size, seed=seed + 1)
        self.decoder = _Decoder(tgt_vocab, embed_dim, hidden_size, cell, seed=seed + 2,
                                context_size=hidden_size if feed_context else 0)

    def _encode(self, src, src_lengths):
        _, state = self.encoder.forward(self.src_embed.forward(src), lengths=src_lengths)
        h = _h(state)
        return (h, np.zeros_like(h)) if isinstance(self.encoder, LSTM) else h

    def loss(self, src, src_lengths, tgt, tgt_mask):
        """Forward (teacher forcing) and backward on one batch; returns the loss, adds to ``.grads``.

        Inputs:

        - src: (N, S) source ids, padded
        - src_lengths: (N,) true source lengths
        - tgt: (N, T') target ids ending in <eos> and padded
        - tgt_mask: (N, T') True at real tokens (the <eos> included)

        Returns the mean cross-entropy over the real target tokens, a float.

        The encoder runs only as far as the batch's longest source: src is cut
        to (N, max(src_lengths)) first. The padding columns beyond it cannot
        reach the final states (each row's state is read at its own last real
        step) and send back exact-zero gradients, so in exact arithmetic the
        cut changes neither the loss nor any gradient and only saves their
        work. In floating point, the encoder's matrix products over fewer rows
        can round differently: its weight gradients (and, in float32, a plain
        RNN encoder's final states) may differ in the last bit.
        """
        src = np.asarray(src)
        if src.ndim == 2 and src_lengths is not None:  # None: every source fills all S steps, as in translate
            src_lengths = check_lengths("Seq2Seq.loss", src_lengths, *src.shape, source="src")
            src = src[:, :src_lengths.max()]  # (N, S) -> (N, max(src_lengths))
        state = self._encode(src, src_lengths)
        context = _h(state)[0]  # (N, D)
        logits, _ = self.decoder.forward(_teacher_forcing(tgt, self.bos), state, context)
        loss, dlogits = softmax_cross_entropy(logits, tgt, tgt_mask)
        dh0, _, dcontext = self.decoder.backward(dlogits)
        if dcontext is not None:
            dh0 = dh0 + dcontext[None]  # c is both the first state and every step's context
        N, S = np.shape(src)
        dx = self.encoder.backward(np.zeros((N, S, self.encoder.hidden_size), dtype=self.encoder.dtype),
                                   _dstate(self.encoder, dh0))
        self.src_embed.backward(dx)
        return loss

    def loss_count(self, src, src_lengths, tgt, tgt_mask):
        """How many terms ``loss`` averages over for this batch: the real target tokens.

        Takes ``loss``'s arguments: src (N, S), src_lengths (N,), tgt (N, T'), tgt_mask (N, T');
        returns the number of True entries of tgt_mask.
        """
        return int(np.count_nonzero(tgt_mask))

    def translate(self, src, src_lengths, max_len):
        """Greedy decoding: encode the source, then feed back the argmax token from <bos>.

        Inputs:

        - src: (N, S) source ids, padded
        - src_lengths: (N,) true source lengths
        - max_len: the number of steps to decode, T'

        Returns (N, T') int target ids; every position after a row's first <eos>
        holds <eos> too (strip from the first <eos> to read the output).
        """
        state = self._encode(src, src_lengths)
        return self.decoder.greedy(state, self.bos, self.eos, max_len, _h(state)[0])


class Captioner(Module):
    """One-to-many: an image vector (N, F) sets the decoder's first hidden state,
    h0 = tanh(image W^T + b), and the decoder writes tokens until <eos>."""

    def __init__(self, feature_size, vocab_size, embed_dim, hidden_size, bos, eos, cell="gru", seed=0):
        super().__init__()
        seed = check_int_seed(type(self).__name__, seed)
        self.bos, self.eos = bos, eos
        self.project = Linear(feature_size, hidden_size, seed=seed)
        self.decoder = _Decoder(vocab_size, embed_dim, hidden_size, cell, seed=seed + 1)

    def _start(self, images):
        h0 = np.tanh(self.project.forward(images))[None]  # (1, N, D)
        self._h0 = h0
        return (h0, np.zeros_like(h0)) if isinstance(self.decoder.rnn, LSTM) else h0

    def loss(self, images, tgt, tgt_mask):
        """Forward (teacher forcing) and backward on one batch; returns the loss, adds to ``.grads``.

        Inputs:

        - images: (N, F) one feature vector per image, e.g. F = 64 pixels
        - tgt: (N, T) caption ids ending in <eos> and padded
        - tgt_mask: (N, T) True at real tokens (the <eos> included)

        Returns the mean cross-entropy over the real caption tokens, a float.
        """
        logits, _ = self.decoder.forward(_teacher_forcing(tgt, self.bos), self._start(images))
        loss, dlogits = softmax_cross_entropy(logits, tgt, tgt_mask)
        dh0, _, _ = self.decoder.backward(dlogits)
        self.project.backward((dh0 * (1 - self._h0 ** 2))[0])
        return loss

    def loss_count(self, images, tgt, tgt_mask):
        """How many terms ``loss`` averages over for this batch: the real caption tokens.

        Takes ``loss``'s arguments: images (N, F), tgt (N, T), tgt_mask (N, T); returns the
        number of True entries of tgt_mask.
        """
        return int(np.count_nonzero(tgt_mask))

    def caption(self, images, max_len):
        """Write a caption for every image greedily, feeding back the argmax token from <bos>.

        Inputs:

        - images: (N, F) one feature vector per image
        - max_len: the number of steps to decode, T

        Returns (N, T) int token ids; every position after a row's first <eos>
        holds <eos> too.
        """
        return self.decoder.greedy(self._start(images), self.bos, self.eos, max_len)


class CharLM(Module):
    """A character-level language model: ids (N, T) -> next-id scores (N, T, V).

    dtype: np.float64 (default) or np.float32, the dtype of every parameter and computation.

    bidirectional: False (default). True gives the recurrent layer a backward
    direction, whose state at step t has read x_{t+1}, the very character
    that step is scored on: such a model can copy the answer instead of
    predicting it, and is only for showing that failure (D2L's "wrong
    application" of a bidirectional RNN, chapter 9). Its head then reads
    2D features, and ``sample`` feeds it one character at a time, carrying
    the state from call to call as for the one-directional model: the
    backward direction never reads a character that is still to come, but
    it starts each step from the state the step before left it, not from
    zeros at the end of a window as in training.
    """

    def __init__(self, vocab_size, embed_dim, hidden_size, cell="gru", num_layers=1, seed=0, dtype=np.float64,
                 bidirectional=False):
        super().__init__()
        name = type(self).__name__
        seed = check_int_seed(name, seed)
        dtype = check_float_dtype(name, dtype)
        check_bool(name, "bidirectional", bidirectional)
        self.embed = Embedding(vocab_size, embed_dim, seed=seed, dtype=dtype)
        self.rnn = make_recurrent(cell, embed_dim, hidden_size, num_layers, bool(bidirectional), seed=seed + 1,
                                  dtype=dtype)
        self.head = Linear(hidden_size * self.rnn.num_directions, vocab_size, seed=seed + 2, dtype=dtype)

    def forward(self, ids, state=None):
        """Next-character scores at every step; also keeps the hidden states in ``self.hidden``.

        Inputs:

        - ids: (N, T) character ids
        - state: None (zeros), or the state returned by a previous call to go
          on from there: h (L*dirs, N, D), or for the LSTM a pair (h, c) of
          (L*dirs, N, D); dirs = 2 if bidirectional else 1. Only the forward
          direction goes on from where it stopped: a bidirectional model's
          backward direction starts from its part of the state at this
          window's last step and reads the window back to front

        Returns (logits, state):

        - logits: (N, T, V) scores of the next character after every step
        - state: the final state, h_n (L*dirs, N, D) or the LSTM's (h_n, c_n)

        ``self.hidden`` is set to the top layer's states, (N, T, dirs*D).
        """
        out, state = self.rnn.forward(self.embed.forward(ids), state)
        self.hidden = out  # (N, T, dirs*D), e.g. to look for interpretable units
        return self.head.forward(out), state

    def loss(self, inputs, targets):
        """Forward and backward on one batch: returns the loss and adds every gradient to ``.grads``.

        Inputs: inputs, targets: (N, T) ids, targets = inputs shifted left by one character.

        Returns the mean cross-entropy over all N*T positions, a float (nats per character).
        """
        logits, _ = self.forward(inputs)
        loss, dlogits = softmax_cross_entropy(logits, targets)
        self.embed.backward(self.rnn.backward(self.head.backward(dlogits)))
        return loss

    def loss_count(self, inputs, targets):
        """How many terms ``loss`` averages over for this batch: N*T characters.

        Takes ``loss``'s arguments: inputs (N, T) and targets (N, T).
        """
        return int(np.size(targets))

    def sample(self, prefix_ids, length, temperature=1.0, seed=0):
        """Continue prefix_ids by ``length`` sampled ids; returns the new ids.

        Inputs:

        - prefix_ids: a list of T ids, like a (T,) array, read first (at least one id)
        - length: how many ids to sample
        - temperature: as in ``sample_logits`` (0 is greedy)
        - seed: seeds the sampling

        Returns a list of ``length`` ints; each step samples from the (1, V)
        scores of the last step and feeds the id back in.
        """
        rng = np.random.default_rng(seed)
        logits, state = self.forward(np.asarray(prefix_ids)[None])
        out = []
        for _ in range(length):
            nxt = sample_logits(logits[:, -1], temperature, rng)
            out.append(int(nxt[0]))
            logits, state = self.forward(nxt[:, None], state)
        return out
