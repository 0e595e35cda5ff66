"""Date normalisation (encoder-decoder): "Tuesday, February 15, 2039" -> "2039-02-15".

A translation-like task on synthetic data (``rnn_course.synthetic.load_dates``):
random days of 1950-2049 written in fourteen human formats, character by
character, and their ISO 8601 form as the target. The encoder reads the
characters, its final hidden state starts the decoder, the decoder is trained
with teacher forcing and writes the ISO date greedily at test time. No test
day occurs in training, in any format.

    result = run()          # GRU encoder-decoder, the defaults

The metric is exact-match: the share of test dates whose whole decoded
string (up to <eos>) equals the ISO target.
"""

from __future__ import annotations

import time

import numpy as np

from ..models import Seq2Seq
from ..optim import Adam
from ..synthetic import DATE_FORMATS, load_dates
from ..train import fit
from . import TaskResult, resolve_options

# The defaults fit a chapter's time budget. The decoder reads the encoder's
# summary at every step (Seq2Seq's feed_context); without it, D = 64 was still
# at 0.56 validation exact-match after 20 epochs. The learning rate falls along
# a cosine to zero (CosineAdam): with a constant rate of 5e-3 and batches of 32
# the result after 6 epochs depended on the CPU's BLAS kernel (0.967 on one,
# 0.926 on another). With the schedule, 8 epochs in batches of 64 (the same
# cost) reach 0.984, and runs whose initial weights were multiplied by
# (1 + 1e-6 * noise) ended with the same test result and the same mistakes
# (measured with three such perturbations; the validation curve moved by at
# most 0.001), as did the Haswell, Sandybridge and Prescott kernels.
DEFAULTS = dict(epochs=8, hidden=64, layers=1, bidirectional=False, cell="gru")
EMBED_DIM = 16
BATCH_SIZE = 64
LR = 1e-2
KEEP_BIAS = 1.0  # added to the encoder's update (GRU) or forget (LSTM) gate bias
N_PAIRS = (8000, 1000, 1000)
TARGET_LEN = 11  # "2039-02-15" and <eos>


def run(epochs=None, hidden=None, layers=None, bidirectional=None, cell=None, seed=0, quiet=False,
        n=N_PAIRS) -> TaskResult:
    """Train a Seq2Seq on synthetic date pairs; score it on the test split.

    Inputs (None means the default in DEFAULTS):

    - epochs, hidden (D), cell ("rnn", "lstm", "gru")
    - layers: only 1 (the Seq2Seq has one encoder and one decoder layer)
    - bidirectional: only False (the encoder's final state starts the decoder)
    - seed: fixes the data, the initial weights and the shuffling
    - quiet: no progress bar
    - n: (train, val, test) numbers of date pairs

    Returns a TaskResult whose metric is "test exact-match". Its extras hold
    "char accuracy" (share of the 10 ISO characters right, position by
    position), "baseline char accuracy" (the same for the source-blind guess
    of the most common training character at each position),
    "exact-match by format" ({format name: exact-match}),
    "examples" (a few test dates as (source, predicted, true)), "settings" and
    "dataset" (the DateDataset).
    """
    o = _options(epochs, hidden, layers, bidirectional, cell, seed)
    start = time.perf_counter()
    data = load_dates(seed=o["seed"], n=n)
    tv = data.tgt_vocab
    model = build_model(data, o["hidden"], o["cell"], o["seed"])

    def evaluate(m):
        return {"val exact-match": float(np.mean(np.array(translate(m, data.val, tv)) == data.val.targets))}

    tr = data.train
    steps = o["epochs"] * -(-len(tr.src) // BATCH_SIZE)
    opt = CosineAdam(model, lr=LR, total_steps=steps)
    history = fit(model, (tr.src, tr.src_lengths, tr.tgt, tr.tgt_mask), epochs=o["epochs"],
                  batch_size=BATCH_SIZE, optimizer=opt, seed=o["seed"], evaluate=evaluate, quiet=quiet)
    test = data.test
    pred = translate(model, test, tv)
    right = np.array(pred) == np.array(test.targets)
    formats = np.array(test.formats)
    extras = {
        "char accuracy": char_accuracy(pred, test.targets),
        "baseline char accuracy": char_accuracy(_majority_target(tr.targets), test.targets),
        "exact-match by format": {f: float(right[formats == f].mean()) for f in DATE_FORMATS
                                  if np.any(formats == f)},
        "examples": [(test.sources[i], pred[i], test.targets[i]) for i in range(8)],
        "settings": dict(o, embed_dim=EMBED_DIM, batch_size=BATCH_SIZE, lr=LR, schedule="cosine", n=tuple(n)),
        "dataset": data,
    }
    return TaskResult("dates", "test exact-match", float(right.mean()), model, history,
                      time.perf_counter() - start, extras)


class CosineAdam(Adam):
    """Adam whose learning rate falls from lr to 0 along half a cosine over total_steps steps.

    Step t (1, 2, ..., total_steps) uses lr * (1 + cos(pi * (t - 1) / total_steps)) / 2.
    The small steps at the end let the weights settle into a minimum, so the
    trained model's test score no longer depends on the rounding of the last
    few large steps (which differs from one CPU's BLAS kernel to another's).
    """

    def __init__(self, model, lr, total_steps):
        super().__init__(model, lr)
        if isinstance(total_steps, bool) or not isinstance(total_steps, (int, np.integer)) or total_steps < 1:
            raise ValueError(f"CosineAdam: total_steps must be a positive integer, got {total_steps!r}")
        self.base_lr, self.total_steps = float(lr), int(total_steps)

    def step(self):
        """Set lr for this step from the schedule, then one Adam update. Returns None."""
        frac = min(self.t, self.total_steps) / self.total_steps
        self.lr = self.base_lr * 0.5 * (1.0 + np.cos(np.pi * frac))
        super().step()


def build_model(data, hidden=DEFAULTS["hidden"], cell=DEFAULTS["cell"], seed=0):
    """The untrained float32 Seq2Seq that run() trains, for a DateDataset.

    Inputs:

    - data: a DateDataset (its Vocabs fix the source and target sizes)
    - hidden: D, the hidden size of encoder and decoder
    - cell: "rnn", "lstm" or "gru"
    - seed: seeds the initial weights

    Returns a Seq2Seq that reads src (N, S) with src_lengths (N,) and writes
    (N, T') target ids; its parameters are float32, e.g. the encoder's
    weight_hh_l0 (3D, D) for a GRU, and a gated encoder starts with a
    positive bias on the gate that keeps its state.
    """
    tv = data.tgt_vocab
    model = Seq2Seq(len(data.src_vocab), len(tv), EMBED_DIM, hidden, bos=tv.bos_id, eos=tv.eos_id,
                    cell=cell, seed=seed)
    _to_float32(model)
    if cell in ("gru", "lstm"):
        _keep_state_bias(model.encoder, KEEP_BIAS)
    return model


def save_checkpoint(result, path):
    """Save a run()'s trained weights and the settings needed to rebuild it, as one .npz file.

    Inputs:

    - result: the TaskResult of ``run()``
    - path: the .npz file to write

    The file holds every parameter under its ``state_dict()`` name in its own
    shape and dtype (float32), e.g. ``encoder.weight_hh_l0`` (3D, D) for a GRU
    and ``decoder.head.weight`` (V, D), plus the hidden size, cell, seed and
    split sizes. Returns None.
    """
    s = result.extras["settings"]
    np.savez_compressed(path, **result.model.state_dict(), _hidden=s["hidden"], _cell=s["cell"],
                        _seed=s["seed"], _n=np.array(s["n"]))


def load_checkpoint(path):
    """(model, data) from a file written by save_checkpoint: the same data split
    (rebuilt from its seed) and the trained weights, ready to translate.

    Inputs: path: a .npz file written by ``save_checkpoint``.

    Returns (model, data): the trained Seq2Seq, every parameter in its saved
    shape (e.g. ``encoder.weight_hh_l0`` (3D, D) for a GRU), and the DateDataset,
    whose splits hold src (N, S) and tgt (N, T').
    """
    with np.load(path) as f:
        state = {k: f[k] for k in f.files if not k.startswith("_")}
        hidden, cell, seed, n = int(f["_hidden"]), str(f["_cell"]), int(f["_seed"]), tuple(f["_n"].tolist())
    data = load_dates(seed=seed, n=n)
    model = build_model(data, hidden, cell, seed)
    model.load_state_dict(state)
    return model, data


def char_accuracy(pred, targets) -> float:
    """Share of target characters predicted right, position by position.

    Inputs: pred: N strings, or one string used for every target; targets: N
    strings. A prediction shorter than its target counts the missing
    characters as wrong; characters beyond the target's length are ignored.

    Returns a float in [0, 1]: the mean over every target character.
    """
    if isinstance(pred, str):
        pred = [pred] * len(targets)
    return float(np.mean([[a == b for a, b in zip(p.ljust(len(t)), t)] for p, t in zip(pred, targets)]))


MISTAKE_KINDS = ("day and month swapped", "day only", "month only", "year only", "two or three fields",
                 "not a date")


def mistake_kind(guess, truth) -> str | None:
    """What a wrong ISO date gets wrong, one of MISTAKE_KINDS, or None if the guess is right.

    Inputs: guess, truth: strings; truth is an ISO date "YYYY-MM-DD".

    "not a date" means the guess is not of the form "dddd-dd-dd"; otherwise
    the year, month and day fields are compared: "day and month swapped" when
    the guess's month is the true day and its day the true month (the year
    right), else the one wrong field ("day only", ...), else
    "two or three fields".

    >>> mistake_kind("1999-04-05", "1999-05-04")
    'day and month swapped'
    >>> mistake_kind("1976-06-14", "1979-06-14")
    'year only'
    """
    if guess == truth:
        return None
    parts = guess.split("-")
    if len(guess) != 10 or len(parts) != 3 or not all(p.isdigit() for p in parts):
        return "not a date"
    (gy, gm, gd), (ty, tm, td) = parts, truth.split("-")
    if gy == ty and gm == td and gd == tm:
        return "day and month swapped"
    wrong = [name for name, g, t in (("year", gy, ty), ("month", gm, tm), ("day", gd, td)) if g != t]
    return f"{wrong[0]} only" if len(wrong) == 1 else "two or three fields"


def mistakes_by_kind(sources, guesses, truths) -> dict[str, list[tuple[str, str, str]]]:
    """The wrong translations grouped by ``mistake_kind``, in the order of MISTAKE_KINDS.

    Inputs: sources, guesses, truths: N strings each (a split's sources, the
    model's ISO dates and the true ones).

    Returns {kind: [(source, guess, truth), ...]} for every kind that occurs,
    each list in the order of the inputs.
    """
    if not len(sources) == len(guesses) == len(truths):
        raise ValueError(f"mistakes_by_kind: got {len(sources)} sources, {len(guesses)} guesses and "
                         f"{len(truths)} truths; expected N of each")
    groups = {kind: [] for kind in MISTAKE_KINDS}
    for source, guess, truth in zip(sources, guesses, truths):
        kind = mistake_kind(guess, truth)
        if kind is not None:
            groups[kind].append((source, guess, truth))
    return {kind: cases for kind, cases in groups.items() if cases}


def _majority_target(targets) -> str:
    """The most common character at each position of the training targets, a
    baseline that ignores the source ("1944-01-11" for the default data)."""
    chars = np.array([list(t) for t in targets])  # (N, 10)
    return "".join(max(sorted(set(col)), key=list(col).count) for col in chars.T)


def translate(model, split, tgt_vocab) -> list[str]:
    """Greedy decoding of every source of a DateSplit: N strings, each cut at the first <eos>.

    Inputs:

    - model: a trained Seq2Seq
    - split: a DateSplit; its src (N, S) and src_lengths (N,) are read
    - tgt_vocab: the target Vocab, to turn ids into characters

    Returns a list of N strings, e.g. "2039-02-15": the (N, T') ids of
    ``model.translate`` decoded, each cut at its first <eos>.
    """
    out = model.translate(split.src, split.src_lengths, max_len=TARGET_LEN)  # (N, T')
    texts = []
    for row in out:
        ids = row.tolist()
        ids = ids[:ids.index(tgt_vocab.eos_id)] if tgt_vocab.eos_id in ids else ids
        texts.append(tgt_vocab.decode(ids, skip_specials=True))
    return texts


def _options(epochs, hidden, layers, bidirectional, cell, seed):
    o = resolve_options("dates", DEFAULTS, seed, epochs=epochs, hidden=hidden, layers=layers,
                        bidirectional=bidirectional, cell=cell)
    if o["layers"] != 1:
        raise ValueError(f"dates: the encoder-decoder has one recurrent layer on each side; "
                         f"layers must be 1, got {o['layers']}")
    if o["bidirectional"]:
        raise ValueError("dates: the Seq2Seq encoder reads in one direction only (its final state "
                         "starts the decoder); leave bidirectional off")
    return o


def _to_float32(module):
    """Cast every parameter (and gradient) of a module tree to float32, in place.

    The library computes in the dtype of its inputs and weights, and float32
    halves the cost of the matrix products that dominate this task (float64
    stays the library's default, for gradient checks). Call it before fit, so
    that the optimiser's state is made in float32 too.
    """
    for name in module.params:
        module.params[name] = module.params[name].astype(np.float32)
        module.grads[name] = np.zeros_like(module.params[name])
    if hasattr(module, "dtype"):
        module.dtype = np.dtype(np.float32)
    for _, child in module.children():
        _to_float32(child)


def _keep_state_bias(rnn, value):
    """Add ``value`` to the input bias of the gate that keeps the old state:
    the GRU's update gate z (rows r, z, n) or the LSTM's forget gate f (rows
    i, f, g, o), the second block of D rows in both, in every layer.

    In the GRU h_t = (1 - z) * n + z * h_{t-1}, so a positive bias on z makes
    the encoder keep its state by default at the start of training, and the day
    read early in "15 February 2039" is less likely to be washed out before the
    end. For the LSTM this is the usual forget-gate bias of 1 (Jozefowicz et
    al., 2015). Here it makes convergence more even across seeds.
    """
    D = rnn.hidden_size
    for name, p in rnn.params.items():
        if name.startswith("bias_ih"):
            p[D:2 * D] += value  # (G*D,) -> the second gate's D entries
