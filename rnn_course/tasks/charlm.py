"""Many-to-many: a character-level language model of Moby-Dick.

    charlm   Moby-Dick characters -> the next character, then sampled text

The text is split by whole chapters (``load_moby_dick``): validation and
test are three chapters of ordinary prose each, training the other 26. Training uses
truncated backpropagation through time over N parallel streams: the training
text is cut into N equal streams, each stream into consecutive windows of T
characters, and row n of batch b + 1 continues row n of batch b
(``streams``). The final hidden state of each batch is the initial state of
the next, as a constant, so no gradient flows back into the previous batch;
each epoch starts from zeros. The model is scored on predicting each next
character (cross-entropy in nats per character). Validation and test text
are read in one pass each, the state carried through the whole text
(``stream_loss``). The number to beat is the unigram baseline: a model that
ignores the past and always predicts the training text's character
frequencies scores their cross-entropy, about 3.1 nats per character.

The metric, "test loss below unigram", is how much lower the model's loss is
than that baseline on the held-out test text, as a fraction:

    1 - test loss / unigram test loss      (0.35 means 35% lower; 0 means no better)

The losses themselves are in the extras. ``run(carry_state=False)`` trains
the simpler way instead: shuffled windows, each from a zero state.

Beyond run(), the module has what the chapter's project needs::

    streams, stream_loss               the training text as N parallel streams of
                                       windows, and the loss of one long pass
    stream_losses                      the loss of one long pass over each of N texts
                                       (chapters), read side by side
    save_checkpoint, load_checkpoint   a trained run in one .npz file, and back
    hidden_states, char_features,      one state per character of a long text, simple
    unit_correlations                  properties of each character, and how well
                                       each hidden unit follows each property
    name_stream, generate_names        the census first names as one character stream
                                       for a CharLM, and new names sampled from one

Notation: N windows, T characters per window, L characters of one long text,
V characters (78), D hidden size, F properties.
"""

from __future__ import annotations

import json
import time

import numpy as np

from ..datasets import load_moby_dick
from ..losses import log_softmax, softmax_cross_entropy
from ..models import CharLM, sample_logits
from ..module import Module
from ..train import History, fit
from . import TaskResult, check_options

# The tuned defaults: a GRU with D = 64 over windows of T = 64 characters,
# two epochs with small batches (many steps) at a high learning rate, the
# hidden state carried from each window to the next one of its stream.
SETTINGS = dict(epochs=2, hidden=64, embed=32, layers=1, bidirectional=False, cell="gru",
                lr=0.01, batch_size=16, seq_len=64, carry_state=True)
PROMPT = "The whale"
TEMPERATURES = (0.5, 1.0)
SAMPLE_LEN = 200
SNAPSHOT_TEMPERATURE = 0.5  # the samples recorded during training (run(snapshot_steps=...))
SNAPSHOT_LEN = 150


def run(epochs=None, hidden=None, layers=None, bidirectional=None, cell=None, seed=0,
        quiet=False, snapshot_steps=None, lr=None, batch_size=None, carry_state=None) -> TaskResult:
    """Train the character language model; metric "test loss below unigram".

    Options (None = the tuned default in ``SETTINGS``): epochs, hidden (D),
    layers, cell ("rnn", "lstm", "gru"), seed, quiet. bidirectional must be
    False (or None): a bidirectional model would read the very characters it
    is asked to predict. Unless quiet, prints samples at temperatures 0.5 and 1.0.
    lr, batch_size: Adam's learning rate and the windows per step (a larger
    model wants a smaller lr, e.g. hidden=128 with lr=0.005, batch_size=32).
    snapshot_steps: None, or training steps (0 = before the first update) at
    which to record the val loss and a sample, to watch the model learn.
    carry_state: True (default): train on batch_size parallel streams
    (``streams``), each batch starting from the previous batch's final state
    (no gradient into the previous batch); False: shuffled windows, each from
    a zero state. Either way the held-out text is scored by ``stream_loss``.

    Returns a TaskResult with extras (losses in nats per character):

    - "settings", "seed": every setting used, and the seed
    - "val loss", "test loss": the model's cross-entropy on the held-out text,
      read in one pass (``stream_loss``; each epoch's val loss is in history.epochs)
    - "unigram val loss", "unigram test loss": the baseline on the same characters
    - "val loss below unigram": 1 - val loss / unigram val loss (the target is >= 0.30)
    - "test bits per character": test loss / ln 2
    - "samples": {temperature: text} for temperatures 0.5 and 1.0, each
      SAMPLE_LEN characters continuing PROMPT
    - "prompt", "vocab": the prompt and the character Vocab
    - "snapshots" (only with snapshot_steps): a list of {"step", "val loss", "sample"},
      one before each training step in snapshot_steps (0: the untrained model)
      and one after the last step; each sample is SNAPSHOT_LEN characters
      continuing PROMPT at temperature SNAPSHOT_TEMPERATURE, with the same seed,
      so the samples differ only because the model does.
    """
    start = time.perf_counter()
    cfg = _settings(epochs=epochs, hidden=hidden, layers=layers, bidirectional=bidirectional,
                    cell=cell, seed=seed, quiet=quiet)
    cfg.update(_check_training_options(lr, batch_size, carry_state))
    steps = _check_snapshot_steps(snapshot_steps)
    corpus = load_moby_dick()
    V = len(corpus.vocab)
    N, T = cfg["batch_size"], cfg["seq_len"]
    train = streams(corpus.train, N, T) if cfg["carry_state"] else windows(corpus.train, T)

    model = CharLM(V, cfg["embed"], cfg["hidden"], cell=cfg["cell"], num_layers=cfg["layers"], seed=seed)
    snapshots = []
    trained = _Trainer(model, steps_per_epoch=len(train[0]) // N if cfg["carry_state"] else None,
                       steps=steps, out=snapshots, vocab=corpus.vocab, val=corpus.val, seed=seed)
    history = fit(trained, train, epochs=cfg["epochs"], batch_size=N, lr=cfg["lr"], seed=seed, quiet=quiet,
                  shuffle=not cfg["carry_state"], evaluate=lambda m: {"val loss": stream_loss(model, corpus.val)})
    if steps is not None:
        trained.record()  # the trained model, after the last step

    result = _result(model, history, corpus, cfg, seed, time.perf_counter() - start)
    if not quiet:
        for t, text in result.extras["samples"].items():
            print(f"--- sample at temperature {t} ---\n{PROMPT}{text}\n")
    if steps is not None:
        result.extras["snapshots"] = snapshots
    return result


def _result(model, history, corpus, cfg, seed, seconds):
    """The TaskResult of a trained model: held-out losses, the baseline, samples."""
    V = len(corpus.vocab)
    unigram = unigram_log_probs(corpus.train, V)  # (V,)
    val_loss, test_loss = stream_loss(model, corpus.val), stream_loss(model, corpus.test)
    uni_val, uni_test = -unigram[corpus.val[1:]].mean(), -unigram[corpus.test[1:]].mean()
    samples = {t: corpus.vocab.decode(model.sample(corpus.vocab.encode(PROMPT), SAMPLE_LEN, t, seed=seed))
               for t in TEMPERATURES}
    extras = {
        "settings": cfg,
        "seed": int(seed),
        "val loss": val_loss,
        "test loss": test_loss,
        "unigram val loss": float(uni_val),
        "unigram test loss": float(uni_test),
        "val loss below unigram": float(1 - val_loss / uni_val),
        "test bits per character": float(test_loss / np.log(2)),
        "samples": samples,
        "prompt": PROMPT,
        "vocab": corpus.vocab,
    }
    return TaskResult("charlm", "test loss below unigram", float(1 - test_loss / uni_test), model, history,
                      seconds, extras)


def windows(ids, T):
    """Cut a text's ids (L,) into non-overlapping windows: inputs (N, T), targets (N, T).

    Inputs: ids: (L,) character ids of one text, e.g. ``load_moby_dick().train``;
    T: the window length. N = (L - 1) // T.

    targets[n, t] is the character after inputs[n, t]; the last L - 1 - N*T characters are dropped.
    """
    ids = np.asarray(ids)
    N = (len(ids) - 1) // T
    if N < 1:
        raise ValueError(f"windows: a text of {len(ids)} characters has no window of T + 1 = {T + 1}")
    return ids[:N * T].reshape(N, T), ids[1:N * T + 1].reshape(N, T)  # (N, T), (N, T)


def streams(ids, n_streams, T):
    """Lay a text out for truncated BPTT over parallel streams: inputs (S*N, T), targets (S*N, T).

    Inputs: ids: (L,) character ids of one text; n_streams: N, the batch size;
    T: the window length.

    The text is cut into N equal streams of S*T characters, S = ((L - 1) // N) // T
    (stream n starts at character n * ((L - 1) // N)), and each stream into S
    consecutive windows. Rows b*N .. b*N + N - 1 are batch b, one window of
    each stream, so row n of batch b + 1 is the continuation of row n of
    batch b: with ``fit(..., batch_size=N, shuffle=False)`` the final state of
    one batch is the right initial state of the next. targets[i, t] is the
    character after inputs[i, t]. At most N*T + N - 1 characters are dropped
    (each stream's last incomplete window and the text's end).
    """
    ids = np.asarray(ids)
    for name, value in (("n_streams", n_streams), ("T", T)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"streams: {name} must be a positive integer, got {value!r}")
    per = (len(ids) - 1) // n_streams            # characters per stream, before whole windows
    S = per // T
    if S < 1:
        raise ValueError(f"streams: a text of {len(ids)} characters cut into N = {n_streams} streams has no "
                         f"window of T + 1 = {T + 1} in each")
    start = np.arange(n_streams)[:, None] * per + np.arange(S * T)[None, :]   # (N, S*T) positions
    def lay(a):                                                                # (N, S*T) -> (S*N, T)
        return a.reshape(n_streams, S, T).transpose(1, 0, 2).reshape(S * n_streams, T)
    return lay(ids[start]), lay(ids[start + 1])


def _one_direction(fn, model):
    """A language model scored on the next character must not read it: refuse a bidirectional CharLM."""
    if getattr(getattr(model, "rnn", None), "num_directions", 1) != 1:
        raise ValueError(f"{fn}: model is bidirectional, so its backward direction reads the very characters it "
                         "is scored on predicting; score a one-directional CharLM (bidirectional=False)")


def stream_loss(model, ids, n_streams=1):
    """Mean cross-entropy (nats per character) of a CharLM reading a text in one pass per stream.

    Inputs: model: a CharLM; ids: (T,) character ids of one text, T >= 2;
    n_streams: N, how many equal streams to read in parallel (1: the whole
    text as one sequence).

    With N = 1 the model reads ids[0 .. T-2] as one sequence from a zero
    state, carrying its hidden state through the whole text, and is scored on
    predicting ids[1 .. T-1]. With N > 1 the text is cut into N consecutive
    streams of (T - 1) // N predictions (the last (T - 1) % N characters are
    dropped), each read from a zero state with its state carried through it:
    a faster pass over a long text, at the price of N - 1 more cold starts.
    The streams are read in chunks, the state carried from each chunk to the
    next, so memory stays small. Returns a float, the mean of -log p over all
    the predicted characters. Nothing is backpropagated.

    Raises ValueError for a bidirectional model (it would read ahead inside each chunk), or bad ids or
    n_streams.
    """
    _one_direction("stream_loss", model)
    ids = np.asarray(ids)
    if ids.ndim != 1 or len(ids) < 2:
        raise ValueError(f"stream_loss: ids must be a 1-D array of T >= 2 character ids, got shape {ids.shape}")
    if isinstance(n_streams, bool) or not isinstance(n_streams, (int, np.integer)) or not 1 <= n_streams < len(ids):
        raise ValueError(f"stream_loss: n_streams must be an integer from 1 to T - 1 = {len(ids) - 1}, "
                         f"got {n_streams!r}")
    per = (len(ids) - 1) // n_streams
    start = np.arange(n_streams)[:, None] * per + np.arange(per)[None, :]       # (N, per) positions
    inputs, targets = ids[start], ids[start + 1]                                 # (N, per), (N, per)
    chunk = max(64, 16384 // n_streams)
    total, state = 0.0, None
    for a in range(0, per, chunk):
        logits, state = model.forward(inputs[:, a:a + chunk], state)             # (N, chunk, V)
        logp = log_softmax(logits)
        total += float(-np.take_along_axis(logp, targets[:, a:a + chunk, None], axis=-1).sum())
    return total / targets.size


def stream_losses(model, texts):
    """``stream_loss`` of each of N texts, the texts read side by side: (N,) nats per character.

    Inputs: model: a one-directional CharLM (a bidirectional one would read
    ahead inside each chunk of steps); texts: a list of N texts, text n a (T_n,) array
    of character ids with T_n >= 2 (e.g. one per chapter); the T_n may differ.

    Entry n is ``stream_loss(model, texts[n])``: the model reads text n in one
    pass from a zero state, carrying its hidden state through it, and is
    scored on predicting each of its characters after the first. The texts
    are read as the N rows of one batch, longest first, so a step costs one
    batched product instead of N; a row leaves the batch when its text ends,
    so the work is the texts' own length, not N times the longest. Nothing
    is backpropagated. Returns (N,) float64, equal to the N separate
    ``stream_loss`` values up to float rounding (below 1e-12 relative, tested).

    Raises ValueError for a bidirectional model, or texts that are not 1-D integer arrays of length >= 2.
    """
    fn = "stream_losses"
    _one_direction(fn, model)
    if isinstance(texts, (str, bytes)) or (isinstance(texts, np.ndarray) and texts.ndim < 2):
        raise ValueError(f"{fn}: texts must be a list of texts, each a 1-D array of character ids; for one text "
                         f"use stream_loss")
    arrays = [np.asarray(t) for t in texts]
    if not arrays:
        raise ValueError(f"{fn}: texts must be a non-empty list of 1-D arrays of character ids")
    for n, a in enumerate(arrays):
        if a.ndim != 1 or len(a) < 2 or not np.issubdtype(a.dtype, np.integer):
            raise ValueError(f"{fn}: texts[{n}] must be a 1-D array of T_n >= 2 character ids, got shape "
                             f"{a.shape} and dtype {a.dtype}")
    N = len(arrays)
    P = np.array([len(a) - 1 for a in arrays])                 # (N,) predictions per text
    order = np.argsort(-P, kind="stable")                       # longest first: the rows still reading are a prefix
    P_sorted = P[order]
    inputs = np.zeros((N, P_sorted[0]), dtype=np.int64)         # (N, longest), padded with id 0 after each text
    targets = np.zeros_like(inputs)
    for row, n in enumerate(order):
        inputs[row, :P[n]], targets[row, :P[n]] = arrays[n][:-1], arrays[n][1:]
    chunk = max(64, 16384 // N)
    totals, state = np.zeros(N), None
    for a in range(0, P_sorted[0], chunk):
        rows = int(np.count_nonzero(P_sorted > a))              # texts not yet ended
        if state is not None:                                   # keep their states: (L, N', D) -> (L, rows, D)
            state = (tuple(np.ascontiguousarray(s[:, :rows]) for s in state) if isinstance(state, tuple)
                     else np.ascontiguousarray(state[:, :rows]))
        logits, state = model.forward(inputs[:rows, a:a + chunk], state)             # (rows, c, V)
        nll = -np.take_along_axis(log_softmax(logits), targets[:rows, a:a + chunk, None], axis=-1)[..., 0]
        real = np.arange(a, a + nll.shape[1])[None, :] < P_sorted[:rows, None]       # (rows, c): not padding
        totals[:rows] += np.where(real, nll, 0.0).sum(axis=1)
    out = np.empty(N)
    out[order] = totals / P_sorted
    return out


def unigram_log_probs(ids, V):
    """log p(character) from the training text's frequencies: (V,).

    Inputs: ids: (L,) character ids of the training text; V: the vocabulary size.

    Returns (V,) log-probabilities (they exponentiate to a sum of 1), the loss
    of a model that ignores context.

    Each character gets one extra count (add-one smoothing), so a character
    that never occurs in training still has a finite loss.
    """
    counts = np.bincount(np.asarray(ids), minlength=V) + 1.0  # (V,)
    return np.log(counts / counts.sum())


def text_loss(model, inputs, targets):
    """Mean cross-entropy (nats per character) of a CharLM on inputs/targets (N, T).

    Inputs: model: a CharLM; inputs, targets: (N, T) ids, as from ``windows``.

    Returns a float, the mean of -log p(target) over all N*T positions. Each
    window starts from a zero hidden state (``stream_loss`` carries the state
    through a whole text instead). Nothing is backpropagated.
    """
    logits, _ = model.forward(inputs)  # (N, T, V)
    logp = log_softmax(logits)
    return float(-np.take_along_axis(logp, targets[..., None], axis=-1).mean())


def _settings(quiet, seed, **options):
    """The defaults with the given options applied, after checking them."""
    task = "charlm"
    check_options(task, seed, quiet, **options)
    if options["bidirectional"]:
        raise ValueError(f"{task}: a language model predicts each character from the ones before it; a "
                         "bidirectional model would read the characters it has to predict, so "
                         "bidirectional is not allowed")
    cfg = dict(SETTINGS)
    cfg.update({k: v for k, v in options.items() if v is not None})
    cfg["bidirectional"] = False
    return cfg


def _check_training_options(lr, batch_size, carry_state=None):
    """{"lr", "batch_size", "carry_state"} for the ones given (None: the default), after checking them."""
    out = {}
    if carry_state is not None:
        if not isinstance(carry_state, (bool, np.bool_)):
            raise ValueError(f"charlm: carry_state must be True or False, got {carry_state!r}")
        out["carry_state"] = bool(carry_state)
    if lr is not None:
        if isinstance(lr, bool) or not isinstance(lr, (int, float, np.integer, np.floating)) or not lr > 0:
            raise ValueError(f"charlm: lr must be a positive number, got {lr!r}")
        out["lr"] = float(lr)
    if batch_size is not None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"charlm: batch_size must be a positive integer, got {batch_size!r}")
        out["batch_size"] = int(batch_size)
    return out


# ------------------------------------------------------------------ snapshots during training
def _check_snapshot_steps(steps):
    """None, or the sorted distinct training steps (non-negative integers) as a tuple."""
    if steps is None:
        return None
    if isinstance(steps, (str, bytes)) or not hasattr(steps, "__iter__"):
        raise ValueError(f"charlm: snapshot_steps must be None or a list of training steps such as "
                         f"[0, 50, 200], got {steps!r}")
    steps = list(steps)
    if not steps or any(isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 0 for s in steps):
        raise ValueError(f"charlm: snapshot_steps must be non-negative integers (0 = before training), "
                         f"got {steps!r}")
    return tuple(sorted({int(s) for s in steps}))


class _Trainer(Module):
    """A CharLM wrapped for fit: carries the hidden state across batches, and records snapshots.

    Every training step goes through ``loss``. With ``steps_per_epoch`` (an
    int: training on ``streams``), each batch starts from the final state of
    the previous batch, held as a plain array, so the backward pass stops at
    the batch's first step (truncated BPTT); the first batch of every epoch
    starts from zeros. With ``steps_per_epoch=None`` every batch starts from
    zeros. fit has a callback per epoch but not per step, so this wrapper
    counts the steps and, before update number s + 1 for each s in ``steps``,
    records the model's val loss and a sample (see run's "snapshots"). Its
    parameters are the model's own (the model is its child).
    """

    def __init__(self, model, steps_per_epoch=None, steps=None, out=None, vocab=None, val=None, seed=0):
        super().__init__()
        self.model = model
        self._per_epoch = steps_per_epoch
        self._steps, self._out, self._vocab, self._val, self._seed = set(steps or ()), out, vocab, val, seed
        self.done = 0  # updates made so far
        self.state = None  # the final state of the last batch: (layers, N, D), or the LSTM's (h, c)

    def loss(self, inputs, targets):
        if self.done in self._steps:
            self.record()
        if self._per_epoch is None or self.done % self._per_epoch == 0:
            self.state = None
        self.done += 1
        m = self.model
        logits, state = m.forward(inputs, self.state)                     # (N, T, V)
        loss, dlogits = softmax_cross_entropy(logits, targets)
        m.embed.backward(m.rnn.backward(m.head.backward(dlogits)))        # stops at this batch's h0
        if self._per_epoch is not None:
            self.state = tuple(np.array(a) for a in state) if isinstance(state, tuple) else np.array(state)
        return loss

    def loss_count(self, inputs, targets):
        """The model's count: N*T characters for inputs, targets (N, T)."""
        return self.model.loss_count(inputs, targets)

    def record(self):
        if self._out and self._out[-1]["step"] == self.done:
            return
        ids = self.model.sample(self._vocab.encode(PROMPT), SNAPSHOT_LEN, SNAPSHOT_TEMPERATURE, seed=self._seed)
        self._out.append({"step": self.done, "val loss": stream_loss(self.model, self._val),
                          "sample": self._vocab.decode(ids)})


# ------------------------------------------------------------------ checkpoints
def save_checkpoint(result, path):
    """Save a run()'s trained weights, settings, training history and snapshots as one .npz file.

    The weights are stored in their own dtype (float64 for run()'s models), so
    load_checkpoint rebuilds exactly the trained model. Everything else is
    stored as plain arrays and a JSON string: the file loads without pickle.

    Inputs:

    - result: the TaskResult of ``run()``
    - path: the .npz file to write

    The file holds every parameter under its ``state_dict()`` name in its own
    shape, e.g. ``embed.weight`` (V, d), ``rnn.weight_hh_l0`` (3D, D) for a GRU,
    ``head.weight`` (V, D); the loss and gradient norm of every training step
    as two 1-D arrays; and the settings, epochs, vocabulary and snapshots as
    JSON. Returns None.
    """
    if not isinstance(result, TaskResult) or result.task != "charlm":
        raise TypeError(f"save_checkpoint: result must be the TaskResult of charlm.run(), got "
                        f"{type(result).__name__}")
    h = result.history
    epochs = [{k: int(v) if k == "epoch" else float(v) for k, v in e.items()} for e in h.epochs]
    meta = {"settings": result.extras["settings"], "seed": int(result.extras["seed"]), "seconds": result.seconds,
            "epochs": epochs, "vocab": "".join(result.extras["vocab"].itos),
            "snapshots": result.extras.get("snapshots")}
    np.savez_compressed(path, **result.model.state_dict(), _meta=np.array(json.dumps(meta)),
                        _losses=np.asarray(h.losses, dtype=np.float64),
                        _grad_norms=np.asarray(h.grad_norms, dtype=np.float64))


def load_checkpoint(path) -> TaskResult:
    """A TaskResult like run()'s from a file written by save_checkpoint.

    The model is rebuilt with the saved settings and the saved weights; the
    corpus is the bundled Moby-Dick, split as in run(); the held-out losses,
    the baseline and the samples are computed again from the loaded model
    (so they are the numbers of this very model). ``history`` is the saved
    training history, extras["snapshots"] the saved snapshots (if any) and
    ``seconds`` the saved training time.

    Inputs: path: a .npz file written by ``save_checkpoint``.

    Returns a TaskResult whose model is a CharLM with every parameter in its
    saved shape, e.g. ``head.weight`` (V, D).
    """
    with np.load(path, allow_pickle=False) as f:
        if "_meta" not in f.files:
            raise ValueError(f"load_checkpoint: {path} was not written by charlm.save_checkpoint "
                             f"(it has no _meta entry)")
        meta = json.loads(str(f["_meta"]))
        state = {k: f[k] for k in f.files if not k.startswith("_")}
        losses, grad_norms = f["_losses"].tolist(), f["_grad_norms"].tolist()
    cfg, seed = meta["settings"], meta["seed"]
    corpus = load_moby_dick()
    if "".join(corpus.vocab.itos) != meta["vocab"]:
        raise ValueError("load_checkpoint: the checkpoint's characters differ from the bundled Moby-Dick's; "
                         "it was trained on another text")
    model = CharLM(len(corpus.vocab), cfg["embed"], cfg["hidden"], cell=cfg["cell"], num_layers=cfg["layers"],
                   seed=seed)
    model.load_state_dict(state)
    history = History(losses=losses, epochs=meta["epochs"], grad_norms=grad_norms)
    result = _result(model, history, corpus, cfg, seed, meta["seconds"])
    if meta["snapshots"] is not None:
        result.extras["snapshots"] = meta["snapshots"]
    return result


# ------------------------------------------------------------------ looking inside: hidden units
def hidden_states(model, ids):
    """The top layer's hidden state after each character of one long text: (L, D).

    Inputs:

    - model: a CharLM
    - ids: (L,) character ids, read in one pass from a zero state (as sampling
      does), so state t has read characters 0..t

    Returns (L, D): row t is the top layer's state after character t.
    """
    ids = np.asarray(ids)
    if ids.ndim != 1 or len(ids) == 0 or not np.issubdtype(ids.dtype, np.integer):
        raise ValueError(f"hidden_states: ids must be a 1-D array of L >= 1 character ids, got shape "
                         f"{ids.shape} and dtype {ids.dtype}")
    model.forward(ids[None])                 # (1, L) -> sets model.hidden (1, L, D)
    return np.array(model.hidden[0])         # (L, D)


def char_features(text):
    """Simple properties of every character of ``text``, each an (L,) float array.

    Inputs: text: a non-empty str of L characters. Returns {name: (L,) array},
    one value per character, to correlate with the (L, D) states of
    ``hidden_states`` in ``unit_correlations``.

    The value at t describes the text read so far, up to and including character t:

    - "inside quotes": 1 between an opening and a closing double quote ("),
      the opening quote included, else 0; a new paragraph (newline) resets it,
      as a quotation that goes on in the next paragraph opens it again
    - "letter": 1 for a letter (a-z, A-Z), else 0
    - "space": 1 for a space or a newline, else 0
    - "position in word": 1, 2, 3 ... for the letters of a word, 0 elsewhere
    - "position in paragraph": characters since the last newline (the excerpt
      has one paragraph per line)
    """
    if not isinstance(text, str) or not text:
        raise ValueError("char_features: text must be a non-empty str")
    L = len(text)
    out = {k: np.zeros(L) for k in ("inside quotes", "letter", "space", "position in word",
                                    "position in paragraph")}
    inside, word, para = False, 0, 0
    for t, ch in enumerate(text):
        if ch == "\n":
            inside, para = False, 0
        else:
            para += 1
        if ch == '"':
            inside = not inside
        letter = ch.isascii() and ch.isalpha()
        word = word + 1 if letter else 0
        out["inside quotes"][t] = inside
        out["letter"][t] = letter
        out["space"][t] = ch in " \n"
        out["position in word"][t] = word
        out["position in paragraph"][t] = para
    return out


def unit_correlations(activations, features):
    """Pearson correlation of every hidden unit with every feature: {name: (D,)}.

    Inputs:

    - activations: (L, D) from hidden_states
    - features: {name: (L,)} as from char_features

    Returns {name: (D,)}, entry i the correlation of unit i with that feature,
    in [-1, 1]. A unit or feature that never changes gets correlation 0.
    """
    acts = np.asarray(activations, dtype=np.float64)
    if acts.ndim != 2:
        raise ValueError(f"unit_correlations: activations has shape {acts.shape}; expected (L, D)")
    a = acts - acts.mean(axis=0)                                  # (L, D)
    a_norm = np.sqrt((a ** 2).sum(axis=0))                        # (D,)
    a_varies = a.std(axis=0) > 1e-12 * (1 + np.abs(acts).max(axis=0))
    out = {}
    for name, f in features.items():
        f = np.asarray(f, dtype=np.float64)
        if f.shape != (len(acts),):
            raise ValueError(f"unit_correlations: feature {name!r} has shape {f.shape}; expected (L,) = "
                             f"({len(acts)},), one value per character")
        varies = a_varies & (f.std() > 1e-12 * (1 + np.abs(f).max()))
        f = f - f.mean()
        denom = a_norm * np.sqrt((f ** 2).sum())                  # (D,)
        r = np.divide(f @ a, denom, out=np.zeros(acts.shape[1]), where=varies)
        out[name] = np.clip(r, -1.0, 1.0)
    return out


# ------------------------------------------------------------------ names
def name_stream(names, vocab):
    """Names as one stream of character ids, each name followed by <eos>: (L,) int64.

    Inputs: names: a list of str (e.g. load_names().train.texts); vocab: the names'
    character Vocab (with <eos>).

    Returns (L,) int64, L = the names' characters plus one <eos> per name. Cut
    the stream into (N, T) windows with windows() to train a CharLM; it learns
    where names end as the character after which <eos> comes.
    """
    if vocab.eos_id is None:
        raise ValueError("name_stream: the vocab needs an <eos> token to mark the end of each name")
    if isinstance(names, str) or not all(isinstance(n, str) for n in names):
        raise TypeError("name_stream: names must be a list of strings")
    ids = []
    for name in names:
        ids += vocab.encode(name) + [vocab.eos_id]
    return np.array(ids, dtype=np.int64)


def generate_names(model, vocab, n, temperature=1.0, seed=0, max_len=20):
    """n names sampled from a CharLM trained on name_stream: a list of n str.

    Each name starts after an <eos> (the end of the previous name) and stops
    at the next <eos>, or after max_len characters. Name i uses seed + i, so
    the list is reproducible.

    Inputs:

    - model: a CharLM trained on ``name_stream``
    - vocab: its character Vocab (with <eos>)
    - n: how many names
    - temperature: as in ``sample_logits`` (0 is greedy)
    - seed: name i is sampled with seed + i
    - max_len: the most characters of one name

    Returns a list of n str, specials dropped.

    The n names are written side by side, as the rows of one batch (a row
    leaves it at its <eos>), and each row draws from its own generator, so
    name i is the name that sampling it alone with seed + i gives.
    """
    rngs = [np.random.default_rng(seed + i) for i in range(n)]
    chars = [[] for _ in range(n)]
    writing = np.arange(n)                                        # the names not yet ended, as row indices
    logits, state = model.forward(np.full((n, 1), vocab.eos_id))  # (n, 1, V): every name starts after an <eos>
    for _ in range(max_len):
        if writing.size == 0:
            break
        nxt = np.array([sample_logits(logits[r:r + 1, -1], temperature, rngs[i])[0]
                        for r, i in enumerate(writing)], dtype=np.int64)      # (rows,) one draw per name
        going = nxt != vocab.eos_id
        for i, c in zip(writing[going], nxt[going]):
            chars[i].append(int(c))
        writing, nxt = writing[going], nxt[going]
        state = tuple(a[:, going] for a in state) if isinstance(state, tuple) else state[:, going]  # (L, rows, D)
        if writing.size:
            logits, state = model.forward(nxt[:, None], state)
    return [vocab.decode(c, skip_specials=True) for c in chars]
