"""Delayed recall: a task that needs a long memory, many-to-one.

    memory   [s, t_1, ..., t_delay] -> s: remember the first of `delay` + 1 tokens

Every sequence starts with one of ``symbols`` symbols (ids 0 .. symbols-1),
the one to remember; then come ``delay`` distractor tokens drawn from the
same symbols, so nothing but its position marks the first one; at the end a
``ManyToOneClassifier`` must output the first symbol. Guessing scores
1 / symbols (``CHANCE`` for the default 8 symbols). The information is all in
the first step and the loss is all at the last, so the gradient that teaches
the network to store the symbol has to travel back through ``delay`` steps:
the plain RNN's fails as the delay grows (chapter 7), the gated cells'
survives (chapter 8).

``run`` trains one cell at one delay; ``sweep`` runs a grid of cells, delays
and seeds and returns the test accuracies, which
``rnn_course.plots.training.accuracy_vs_delay`` draws; ``save_sweep`` /
``load_sweep`` keep a sweep that is too slow to run live in a small JSON file.

``seed`` sets the initial weights, the batch order and the training
sequences; the test sequences are the same for every seed (and differ from
the training ones). Notation: N sequences, T = delay + 1 steps.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .. import gradflow
from ..models import ManyToOneClassifier
from ..train import accuracy, fit
from . import TaskResult, check_options

# The tuned defaults. gate_bias starts the gated cells keeping their state
# (see rnn_course.models.make_recurrent): the GRU's update gate and the LSTM's
# forget gate get +3 on their bias, sigmoid(3) = 0.95 per step, and the LSTM's
# input gate -3, so a stored symbol survives tens of steps before training has
# taught the gates anything. This is one large constant for every unit, not
# Tallec & Ollivier's chrono init (which draws log-uniform biases). With
# PyTorch's init, sigmoid(0) = 0.5: half the memory is gone after one step,
# and at this budget the LSTM failed from a delay of 10 and the GRU from 20;
# forget bias 1 alone (input gate 0) carried the LSTM to 10 but not to 20.
# The plain RNN has no gate. Measured over seeds 0-4 (0-2 for the other
# starts) in book/beyond/checkpoints/memory_sweep.json and memory_inits.json.
SETTINGS = dict(epochs=6, hidden=32, embed=8, layers=1, optimizer="adam", lr=1e-2, batch_size=32, n_train=2000, n_test=500,
                symbols=8, gate_bias={"rnn": 0.0, "lstm": 3.0, "gru": 3.0})
CHANCE = 1 / SETTINGS["symbols"]
_TEST_SEED = 2**31 - 1  # the test split's seed, far from any training seed (1000 + seed)


class RecallData(NamedTuple):
    """Delayed-recall sequences: n of them, each delay + 1 tokens long.

    - ids: (N, T) int token ids, T = delay + 1; ids[:, 0] is the symbol to recall
    - lengths: (N,) every sequence's length, T
    - labels: (N,) the symbol to recall, equal to ids[:, 0]
    """

    ids: np.ndarray  # (N, T) int token ids, T = delay + 1; ids[:, 0] is the symbol to recall
    lengths: np.ndarray  # (N,) every sequence's length, T
    labels: np.ndarray  # (N,) the symbol to recall, equal to ids[:, 0]


def make_recall(n, delay, symbols=8, seed=0) -> RecallData:
    """n delayed-recall sequences: a symbol, then ``delay`` distractors, label = the symbol.

    Inputs:

    - n: number of sequences N (>= 1)
    - delay: distractor tokens after the symbol (>= 0); each sequence has T = delay + 1 tokens
    - symbols: vocabulary size V = number of classes C (>= 2); symbols and
      distractors are both drawn uniformly from ids 0 .. symbols-1
    - seed: seeds the draw

    Returns RecallData(ids (N, T), lengths (N,), labels (N,)).
    """
    fn = "make_recall"
    for name, value, low in (("n", n, 1), ("delay", delay, 0), ("symbols", symbols, 2), ("seed", seed, 0)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise ValueError(f"{fn}: {name} must be an integer >= {low}, got {value!r}")
    rng = np.random.default_rng(seed)
    ids = rng.integers(0, symbols, size=(n, delay + 1))  # (N, T)
    return RecallData(ids, np.full(n, delay + 1), ids[:, 0].copy())


def run(cell="rnn", delay=20, hidden=32, epochs=None, seed=0, quiet=True, *, layers=None, bidirectional=None,
        gate_bias=None, input_bias=None, orthogonal=False, lr=None, n_train=None, optimizer=None) -> TaskResult:
    """Train a ManyToOneClassifier to recall the first of delay + 1 tokens; metric "test accuracy".

    Options (None = the default in ``SETTINGS``): cell ("rnn", "lstm",
    "gru"), delay (distractors after the symbol), hidden (D), epochs, seed,
    quiet (no progress bar), layers, gate_bias (added to the bias of the
    LSTM's forget gate or the GRU's update gate; must be 0 for the RNN),
    input_bias (LSTM only: added to the input gate's bias; None = -gate_bias,
    so gate_bias=1, input_bias=0 is the plain "forget bias 1" init),
    orthogonal (True: every (D, D) gate block of the first layer's recurrent
    weights ``weight_hh_l0`` starts as a random orthogonal matrix,
    ``rnn_course.gradflow.orthogonal``, instead of PyTorch's uniform draw), lr,
    n_train (training sequences), optimizer ("adam" or "sgd", as for ``fit``). A bidirectional encoder would read the
    symbol last and make the task trivial, so bidirectional must be False (or
    None).

    Returns a TaskResult with extras:

    - "settings": every setting used
    - "chance": 1 / symbols, the accuracy of guessing
    - "train accuracy": on the training sequences after the last epoch
    - "delay": the delay
    """
    start = time.perf_counter()
    task = "memory"
    check_options(task, seed, quiet, epochs=epochs, hidden=hidden, layers=layers, bidirectional=bidirectional,
                  cell=cell)
    if bidirectional:
        raise ValueError(f"{task}: bidirectional must be False: a backward direction reads the symbol last, "
                         f"which turns the memory task into no task at all")
    if isinstance(delay, bool) or not isinstance(delay, (int, np.integer)) or delay < 0:
        raise ValueError(f"{task}: delay must be a non-negative integer, got {delay!r}")
    cfg = dict(SETTINGS)
    cfg.update({k: v for k, v in dict(hidden=hidden, epochs=epochs, layers=layers, lr=lr,
                                      n_train=n_train, optimizer=optimizer).items() if v is not None})
    cfg["gate_bias"] = float(SETTINGS["gate_bias"][cell] if gate_bias is None else gate_bias)
    if input_bias is not None and cell != "lstm":
        raise ValueError(f"{task}: input_bias={input_bias!r} is the LSTM's input gate; cell {cell!r} has none")
    cfg["input_bias"] = -cfg["gate_bias"] if cell == "lstm" and input_bias is None else input_bias
    if not isinstance(orthogonal, bool):
        raise ValueError(f"{task}: orthogonal must be True or False, got {orthogonal!r}")
    cfg["orthogonal"] = orthogonal
    cfg.update(cell=cell, delay=int(delay), seed=int(seed))

    train = make_recall(int(cfg["n_train"]), delay, cfg["symbols"], seed=1000 + seed)
    test = make_recall(cfg["n_test"], delay, cfg["symbols"], seed=_TEST_SEED)
    model = ManyToOneClassifier(cfg["symbols"], cfg["embed"], int(cfg["hidden"]), cfg["symbols"], cell=cell,
                                num_layers=int(cfg["layers"]), seed=seed, gate_bias=cfg["gate_bias"])
    if cell == "lstm" and cfg["input_bias"] != -cfg["gate_bias"]:
        model.rnn.params["bias_hh_l0"][:model.rnn.hidden_size] += cfg["input_bias"] + cfg["gate_bias"]  # block i
        model.rnn.input_bias = cfg["input_bias"]
    if orthogonal:
        D, W = model.rnn.hidden_size, model.rnn.params["weight_hh_l0"]  # (G*D, D), G blocks of D rows
        for g in range(W.shape[0] // D):
            W[g * D:(g + 1) * D] = gradflow.orthogonal(D, seed=10_000 + 10 * seed + g)
    history = fit(model, tuple(train), epochs=int(cfg["epochs"]), batch_size=cfg["batch_size"], lr=cfg["lr"],
                  optimizer=cfg["optimizer"], seed=seed, quiet=quiet)
    extras = {
        "settings": cfg,
        "chance": 1 / cfg["symbols"],
        "train accuracy": accuracy(model.predict(train.ids, train.lengths), train.labels),
        "delay": int(delay),
    }
    return TaskResult(task, "test accuracy", accuracy(model.predict(test.ids, test.lengths), test.labels),
                      model, history, time.perf_counter() - start, extras)


def sweep(cells=("rnn",), delays=(5, 10, 20, 30, 40), seeds=(0,), **run_options):
    """Test accuracy of every cell at every delay, once per seed.

    Inputs:

    - cells: names, each "rnn", "lstm" or "gru"
    - delays: K delays
    - seeds: S seeds
    - run_options: passed on to ``run`` (hidden, epochs, gate_bias, ...)

    Returns {cell: (S, K) array of test accuracies}, row s for seeds[s].
    """
    if isinstance(cells, str):
        cells = (cells,)
    delays, seeds = list(delays), list(seeds)
    if not cells or not delays or not seeds:
        raise ValueError("sweep: cells, delays and seeds must each hold at least one value")
    for bad in ("cell", "delay", "seed"):
        if bad in run_options:
            raise ValueError(f"sweep: give {bad}s=(...) rather than {bad}=...")
    return {cell: np.array([[run(cell=cell, delay=delay, seed=seed, **run_options).value for delay in delays]
                            for seed in seeds]) for cell in cells}


class Sweep(NamedTuple):
    """What ``load_sweep`` returns: unpack it as ``results, delays = load_sweep(path)``.

    - results: {cell: (S, K) test accuracies}, row s for seed s, column k for delays[k]
    - delays: the K delays
    """

    results: dict  # {cell: (S, K) test accuracies}
    delays: list  # the K delays


def save_sweep(results, delays, path, note=None):
    """Write a sweep's results to a small JSON file (a few kB), to load with ``load_sweep``.

    Inputs:

    - results: {cell: (S, K) accuracies}, as ``sweep`` returns
    - delays: the K delays
    - path: where to write, e.g. "book/beyond/checkpoints/memory_sweep.json"
    - note: optional text kept in the file, e.g. the settings used
    """
    delays = [int(d) for d in delays]
    if not isinstance(results, dict) or not results:
        raise TypeError("save_sweep: results must be a dict {cell: (S, K) accuracies}, as sweep returns")
    table = {}
    for cell, acc in results.items():
        acc = np.atleast_2d(np.asarray(acc, dtype=float))
        if acc.ndim != 2 or acc.shape[1] != len(delays):
            raise ValueError(f"save_sweep: results[{cell!r}] has shape {acc.shape}; expected (S, K) with "
                             f"K = {len(delays)} delays")
        table[str(cell)] = [[round(float(a), 6) for a in row] for row in acc]
    Path(path).write_text(json.dumps({"task": "memory", "delays": delays, "results": table, "note": note},
                                     indent=1) + "\n")


def load_sweep(path) -> Sweep:
    """Read a file written by ``save_sweep``: Sweep(results {cell: (S, K) array}, delays [K])."""
    data = json.loads(Path(path).read_text())
    if data.get("task") != "memory" or "results" not in data or "delays" not in data:
        raise ValueError(f"load_sweep: {path} was not written by rnn_course.tasks.memory.save_sweep")
    return Sweep({cell: np.array(acc, dtype=float) for cell, acc in data["results"].items()},
                 [int(d) for d in data["delays"]])
