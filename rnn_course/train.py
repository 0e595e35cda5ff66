"""The training loop every chapter and the command line share.

    history = fit(model, (X, lengths, y), epochs=5, batch_size=32, lr=1e-2,
                  evaluate=lambda m: {"val accuracy": accuracy(m, X_val, y_val)})

``model`` is any Module with a ``loss(*batch) -> float`` method that runs the
forward pass, the backward pass into ``model.grads``, and returns the loss.
``fit`` shuffles with its own seeded generator, so a run is repeatable:
same seed, same numbers.
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass, field

import numpy as np

from ._checks import check_bool
from .optim import SGD, Adam, clip_grad_norm


@dataclass
class History:
    """What ``fit`` returns.

    - losses: the training loss of every step (batch)
    - epochs: one dict per epoch: {"epoch", "loss" (the mean over the epoch's items:
      sequences, tokens or characters, as the model's ``loss_count`` says), and
      whatever ``evaluate`` returned, e.g. "val accuracy"}
    - grad_norms: the global gradient norm of every step, before clipping
    """

    losses: list = field(default_factory=list)
    epochs: list = field(default_factory=list)
    grad_norms: list = field(default_factory=list)

    def last(self, key):
        """The value of ``key`` after the last epoch, e.g. history.last("val accuracy")."""
        return self.epochs[-1][key] if self.epochs else None


def batches(n, batch_size, rng):
    """Index arrays of a shuffled pass over n examples (the last batch may be smaller).

    Inputs:

    - n: the number of examples
    - batch_size: N, the number of examples per batch
    - rng: a numpy Generator, e.g. np.random.default_rng(0), that does the shuffling

    Returns a list of ceil(n / N) int arrays of shape (N,) (the last may be
    shorter) that together hold every index in range(n) once; ``ids[idx]``
    is then one (N, T) batch of an (n, T) array.
    """
    order = rng.permutation(n)
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


def fit(model, data, epochs=1, batch_size=32, lr=1e-2, optimizer="adam", clip=5.0, seed=0,
        evaluate=None, quiet=False, shuffle=True):
    """Train ``model`` on ``data`` and return a History.

    Inputs:

    - model: a Module with ``loss(*batch) -> float`` (forward + backward), the mean of
      some per-item loss over the batch; optionally ``loss_count(*batch) -> int``, how
      many items that mean is over (the models in ``rnn_course.models`` say: sequences,
      real tokens, characters). An epoch's reported loss is the mean over the epoch's
      items, each batch's mean weighted by its count, so a short last batch or a batch
      of short sentences weighs what it holds; a model without ``loss_count`` counts
      the batch's rows.
    - data: a tuple of arrays that share their first axis, one row per example,
      e.g. (ids (n, T), lengths (n,), labels (n,)); each batch passes the same
      N rows of every array to model.loss, e.g. ids (N, T)
    - epochs, batch_size, lr: the usual
    - optimizer: "adam", "sgd" (momentum 0.9), or an optimizer object
    - clip: max global gradient norm (None: no clipping)
    - seed: seeds the shuffling
    - evaluate: None or a function model -> dict of metrics, called after each epoch
    - quiet: no progress bar
    - shuffle: True (default): each epoch takes the rows in a new random order;
      False: in their stored order, batch b = rows b*N .. (b+1)*N - 1, for data
      laid out so that consecutive batches continue each other (see
      ``rnn_course.tasks.charlm.streams``)

    Returns a History: the loss and gradient norm of every step and a record per epoch.
    """
    fn = "fit"
    if not isinstance(data, (tuple, list)) or not data:
        raise TypeError(f"{fn}: data must be a tuple of arrays sharing their first axis, e.g. (X, y)")
    arrays = [np.asarray(a) if not isinstance(a, np.ndarray) else a for a in data]
    n = len(arrays[0])
    for i, a in enumerate(arrays):
        if len(a) != n:
            raise ValueError(f"{fn}: data[{i}] has {len(a)} rows but data[0] has {n}; every array needs one "
                             f"row per example")
    for name, value in (("epochs", epochs), ("batch_size", batch_size)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{fn}: {name} must be a positive integer, got {value!r}")
    if not hasattr(model, "loss"):
        raise TypeError(f"{fn}: model must have a loss(*batch) method that runs forward and backward")
    if not isinstance(shuffle, (bool, np.bool_)):
        raise TypeError(f"{fn}: shuffle must be True or False, got {shuffle!r}")
    check_bool(fn, "quiet", quiet)

    if optimizer == "adam":
        opt = Adam(model, lr=lr)
    elif optimizer == "sgd":
        opt = SGD(model, lr=lr, momentum=0.9)
    elif hasattr(optimizer, "step"):
        opt = optimizer
    else:
        raise ValueError(f"{fn}: optimizer must be 'adam', 'sgd' or an optimizer object, got {optimizer!r}")

    rng = np.random.default_rng(seed)
    history = History()
    steps_per_epoch = math.ceil(n / batch_size)
    bar = Progress(epochs * steps_per_epoch, quiet=quiet)
    for epoch in range(1, epochs + 1):
        epoch_losses, epoch_counts = [], []
        order = batches(n, batch_size, rng) if shuffle else [np.arange(i, min(i + batch_size, n))
                                                               for i in range(0, n, batch_size)]
        for idx in order:
            model.zero_grad()
            batch = [a[idx] for a in arrays]
            loss = float(model.loss(*batch))
            if not np.isfinite(loss):
                bar.close()
                raise FloatingPointError(f"{fn}: the loss became {loss} at epoch {epoch}, step "
                                         f"{len(history.losses) + 1}; lower lr or clip the gradients")
            history.grad_norms.append(clip_grad_norm(model, clip) if clip else float("nan"))
            opt.step()
            history.losses.append(loss)
            epoch_losses.append(loss)
            count = model.loss_count(*batch) if hasattr(model, "loss_count") else len(idx)
            if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < 0:
                bar.close()
                raise TypeError(f"{fn}: model.loss_count must return a count (an int >= 0), got {count!r}")
            epoch_counts.append(count)
            bar.update(f"epoch {epoch}/{epochs} · loss {np.mean(epoch_losses[-20:]):.3f}")
        total = sum(epoch_counts)
        record = {"epoch": epoch, "loss": float(np.dot(epoch_losses, epoch_counts) / total) if total
                  else float(np.mean(epoch_losses))}
        if evaluate is not None:
            record.update({k: float(v) for k, v in evaluate(model).items()})
        history.epochs.append(record)
        bar.epoch_done(_format_record(record, epochs))
    bar.close()
    return history


def _format_record(record, epochs):
    parts = [f"epoch {record['epoch']}/{epochs}", f"loss {record['loss']:.3f}"]
    parts += [f"{k} {v:.3f}" for k, v in record.items() if k not in ("epoch", "loss")]
    return " · ".join(parts)


def _in_jupyter():
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


class Progress:
    """A progress bar for a terminal (one line, redrawn) and for Jupyter (one
    output, updated in place). When it closes in Jupyter it leaves only the
    epoch summaries, which are the same on every run, so a notebook's stored
    output reproduces."""

    width = 24

    def __init__(self, total, quiet=False, stream=None):
        self.total, self.done, self.quiet = total, 0, quiet
        self.stream = stream or sys.stderr
        self.start = self.last_draw = time.perf_counter()
        self.summaries = []
        self.handle = None
        self.jupyter = not quiet and _in_jupyter()
        self.tty = not quiet and not self.jupyter and hasattr(self.stream, "isatty") and self.stream.isatty()

    def _bar(self, text):
        frac = self.done / max(1, self.total)
        filled = int(round(frac * self.width))
        elapsed = time.perf_counter() - self.start
        return f"[{'#' * filled}{'.' * (self.width - filled)}] {self.done}/{self.total} · {text} · {elapsed:.1f} s"

    def update(self, text, every=0.1):
        """Count one step done and redraw the bar with ``text`` (at most every ``every`` seconds)."""
        self.done += 1
        if self.quiet:
            return
        now = time.perf_counter()
        if now - self.last_draw < every and self.done < self.total:
            return
        self.last_draw = now
        if self.jupyter:
            self._show("\n".join(self.summaries + [self._bar(text)]))
        elif self.tty:
            self.stream.write("\r" + self._bar(text) + "\033[K")
            self.stream.flush()

    def epoch_done(self, summary):
        """Print ``summary``, one line about the finished epoch, and keep it above the bar."""
        if self.quiet:
            return
        self.summaries.append(summary)
        if self.jupyter:
            self._show("\n".join(self.summaries))
        else:
            self.stream.write(("\r" if self.tty else "") + summary + ("\033[K" if self.tty else "") + "\n")
            self.stream.flush()

    def _show(self, text):
        from IPython.display import display

        obj = _Text(text)
        if self.handle is None:
            self.handle = display(obj, display_id=True)
        else:
            self.handle.update(obj)

    def close(self):
        """Finish: in Jupyter, leave only the epoch summaries in the output (the bar goes)."""
        if self.jupyter and self.handle is not None:
            self._show("\n".join(self.summaries))


class _Text:
    """Plain text for IPython's display machinery."""

    def __init__(self, text):
        self.text = text

    def __repr__(self):
        return self.text


def accuracy(pred, target, mask=None):
    """Fraction of equal entries (over the masked-in positions).

    Inputs:

    - pred: predicted ids, e.g. (N,) classes or (N, T) tags
    - target: the true ids, the same shape as pred
    - mask: None, or booleans the same shape, e.g. (N, T), True where the entry counts

    Returns a float in [0, 1].
    """
    pred, target = np.asarray(pred), np.asarray(target)
    if pred.shape != target.shape:
        raise ValueError(f"accuracy: pred has shape {pred.shape} but target has shape {target.shape}")
    eq = pred == target
    return float(eq.mean() if mask is None else eq[np.asarray(mask, dtype=bool)].mean())
