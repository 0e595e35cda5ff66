"""The course's end-to-end tasks, one per RNN topology, on the bundled data.

Each task module has ``run(...) -> TaskResult``; the chapters call it, and so
does the command line (``python -m rnn_course train TASK``). Defaults are the
settings whose held-out numbers the README reports.

    sentiment   many-to-one    UCI review sentences -> positive / negative
    spam        many-to-one    SpamAssassin subject lines -> spam / ham
    ner         many-to-many   synthetic template sentences -> PER / LOC / DATE / O per token
    dates       encoder-decoder human-written dates -> ISO 2039-02-15
    captions    one-to-many    8x8 digit images -> the number spelled out
    charlm      many-to-many   Moby-Dick characters -> the next character
    memory      many-to-one    delayed recall: a symbol, then distractors -> the symbol
    sunspots    many-to-one    the previous 20 years' sunspot numbers -> next year's (regression)
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

import numpy as np

TASKS = {
    "sentiment": ("classify", "UCI sentiment sentences, many-to-one"),
    "spam": ("classify", "SpamAssassin subject lines, many-to-one"),
    "ner": ("ner", "synthetic named-entity sentences, many-to-many (aligned)"),
    "dates": ("dates", "date normalisation, encoder-decoder"),
    "captions": ("captions", "digit images spelled out, one-to-many"),
    "charlm": ("charlm", "Moby-Dick character language model"),
    "memory": ("memory", "delayed recall after 20 distractors, many-to-one"),
    "sunspots": ("sunspots", "yearly sunspot forecasting, many-to-one regression"),
}


@dataclass
class TaskResult:
    """What a task's run() returns.

    - task: the task's name, e.g. "sentiment"
    - metric: the held-out metric's name, e.g. "test accuracy"
    - value: its value on the test split
    - model, history: the trained model and fit's History
    - seconds: wall time of training and evaluation
    - extras: task-specific numbers and examples (baselines, samples, ...)
    """

    task: str
    metric: str
    value: float
    model: object
    history: object
    seconds: float
    extras: dict = field(default_factory=dict)

    def summary(self):
        """The held-out result as one short line, e.g. "test accuracy 0.812" (value to 3 decimals)."""
        return f"{self.metric} {self.value:.3f}"


def check_options(task, seed=0, quiet=False, epochs=None, hidden=None, layers=None, bidirectional=None,
                  cell=None):
    """The checks every task's run() shares; each raises ValueError with a sentence naming the task.

    None means "the task's default" for epochs, hidden, layers, bidirectional and cell.
    """
    for name, value in (("epochs", epochs), ("hidden", hidden), ("layers", layers)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, np.integer))
                                  or value < 1):
            raise ValueError(f"{task}: {name} must be a positive integer, got {value!r}")
    if cell is not None and cell not in ("rnn", "lstm", "gru"):
        raise ValueError(f"{task}: cell must be 'rnn', 'lstm' or 'gru', got {cell!r}")
    if bidirectional is not None and not isinstance(bidirectional, (bool, np.bool_)):
        raise ValueError(f"{task}: bidirectional must be True or False, got {bidirectional!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"{task}: seed must be a non-negative integer, got {seed!r}")
    if not isinstance(quiet, bool):
        raise ValueError(f"{task}: quiet must be True or False, got {quiet!r}")


def resolve_options(task, defaults, seed=0, **options):
    """check_options, then the task's defaults with every given option applied, plus the seed."""
    check_options(task, seed, **options)
    settings = dict(defaults)
    for name, value in options.items():
        if value is not None:
            settings[name] = (int(value) if name in ("epochs", "hidden", "layers")
                              else bool(value) if name == "bidirectional" else value)
    settings["seed"] = int(seed)
    return settings


def run(task, **options):
    """Run a task by name with run()'s options (epochs, hidden, layers, bidirectional, cell, seed, quiet)."""
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; the tasks are: {', '.join(TASKS)}")
    module = importlib.import_module(f"{__name__}.{TASKS[task][0]}")
    runner = getattr(module, f"run_{task}", None) or module.run
    return runner(**options)
