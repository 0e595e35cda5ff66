"""One-to-many: an image in, its caption out, one character at a time.

    captions   an 8x8 handwritten digit -> the number spelled out, e.g. "seven"
               (digits=2: two digits side by side, 8x16 -> e.g. "forty-two")

The image (8x8 pixels, flattened to F = 64 features; F = 128 for two digits)
sets the decoder's first hidden state; the decoder then writes characters until it writes <eos>. It is
trained with teacher forcing (it reads the true previous character) and
tested with greedy decoding (it reads its own previous character), and a
caption counts as right only when the whole word is right: "test exact-match".

The data split is ``load_digits``'s fixed split (seed 0) whatever ``seed`` is;
``seed`` sets the initial weights and the batch order. Two-digit images are
made by pairing images of the same split (a fixed draw), so no test digit is
ever seen in training; the numbers run from 10 to 99.

Notation: N images, F pixels, T characters (with <eos>), V characters.
"""

from __future__ import annotations

import time

import numpy as np

from ..datasets import BOS, DIGIT_WORDS, EOS, PAD, Vocab, load_digits
from ..layers import length_mask, pad_sequences
from ..models import Captioner
from ..train import fit
from . import TaskResult, check_options

# The tuned defaults, by number of digits. One digit is small (10 words of at
# most 5 letters): a GRU with D = 64 learns it in about 15 quick epochs. Two digits need
# the decoder to read two digits from one state and to know the teens, so it
# gets more width, more examples (n_train random pairs) and more epochs.
SETTINGS = {
    1: dict(epochs=15, hidden=64, embed=16, layers=1, bidirectional=False, cell="gru",
            lr=0.01, batch_size=32),
    2: dict(epochs=10, hidden=96, embed=16, layers=1, bidirectional=False, cell="gru",
            lr=0.01, batch_size=32, n_train=6000, n_val=500, n_test=1000),
}
TEENS = ("ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
         "eighteen", "nineteen")
TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
MAX_LEN = len("seventy-seven") + 3  # greedy decoding stops here if <eos> never comes


def run(epochs=None, hidden=None, layers=None, bidirectional=None, cell=None, seed=0,
        quiet=False, *, digits=1) -> TaskResult:
    """Caption the 8x8 digits with their spelled-out number; metric "test exact-match".

    Options (None = the tuned default in ``SETTINGS[digits]``): epochs,
    hidden (D), cell ("rnn", "lstm", "gru"), seed, quiet (no progress bar),
    digits (1: "seven"; 2: two images side by side, "forty-two"). The decoder
    has one layer and writes left to right, so layers must be 1 and
    bidirectional False (or None).

    Returns a TaskResult with extras:

    - "settings": every setting used
    - "val exact-match": after the last epoch (each epoch's is in history.epochs)
    - "baseline exact-match": always writing the most common training caption
    - "vocab": the character Vocab (<pad>, <bos>, <eos>, then the letters)
    - "numbers": the number in each test image, in the order of
      ``load_digits().test`` for one digit
    - "captions", "truth": the predicted and the true caption of each test image
    - "mistakes": [(index into the test images, true, predicted), ...]
    """
    start = time.perf_counter()
    if digits not in (1, 2):
        raise ValueError(f"captions: digits must be 1 or 2, got {digits!r}")
    cfg = _settings(digits, epochs=epochs, hidden=hidden, layers=layers, bidirectional=bidirectional,
                    cell=cell, seed=seed, quiet=quiet)
    data = load_digits()
    vocab = caption_vocab()
    if digits == 1:
        splits = [(s.images, s.labels) for s in (data.train, data.val, data.test)]
    else:
        rng = np.random.default_rng(0)  # the pairs are data: fixed, whatever the seed
        splits = [side_by_side(s.images, s.labels, cfg[n], rng)
                  for s, n in ((data.train, "n_train"), (data.val, "n_val"), (data.test, "n_test"))]
    train, val, test = (_encode(images, numbers, vocab) for images, numbers in splits)
    val_truth = [spell(k) for k in splits[1][1]]

    model = Captioner(train[0].shape[1], len(vocab), cfg["embed"], cfg["hidden"], vocab.bos_id, vocab.eos_id,
                      cell=cfg["cell"], seed=seed)
    history = fit(model, train, epochs=cfg["epochs"], batch_size=cfg["batch_size"], lr=cfg["lr"],
                  seed=seed, quiet=quiet,
                  evaluate=lambda m: {"val exact-match": exact_match(caption(m, val[0], vocab), val_truth)})

    predicted = caption(model, test[0], vocab)
    numbers = splits[2][1]
    truth = [spell(k) for k in numbers]
    most_common = spell(np.bincount(splits[0][1]).argmax())
    extras = {
        "settings": cfg,
        "val exact-match": history.last("val exact-match"),
        "baseline exact-match": exact_match([most_common] * len(truth), truth),
        "vocab": vocab,
        "numbers": numbers,
        "captions": predicted,
        "truth": truth,
        "mistakes": [(i, t, p) for i, (t, p) in enumerate(zip(truth, predicted)) if t != p],
    }
    return TaskResult("captions", "test exact-match", exact_match(predicted, truth), model, history,
                      time.perf_counter() - start, extras)


def spell(n):
    """The English words of a number 0..99: spell(7) = "seven", spell(42) = "forty-two"."""
    n = int(n)
    if not 0 <= n <= 99:
        raise ValueError(f"spell: n must be in 0..99, got {n}")
    if n < 10:
        return DIGIT_WORDS[n]
    if n < 20:
        return TEENS[n - 10]
    return TENS[n // 10] + ("" if n % 10 == 0 else "-" + DIGIT_WORDS[n % 10])


def caption_vocab():
    """The character Vocab of the captions 0..99: <pad> = 0, <bos>, <eos>, then the letters and "-"."""
    return Vocab("".join(spell(n) for n in range(100)), specials=(PAD, BOS, EOS), level="char")


def side_by_side(images, labels, n, rng):
    """n two-digit images from one split: (n, 8, 16) images and their numbers 10..99 (n,).

    Inputs:

    - images: (N, 8, 8) one split's digit images, e.g. ``load_digits().train.images``
    - labels: (N,) their digits 0..9
    - n: how many two-digit images to make
    - rng: a numpy Generator that draws the pairs

    Returns (pairs, numbers): pairs (n, 8, 16), a left and a right image side
    by side, and numbers (n,) int, 10 * left digit + right digit.

    The left digit is drawn from the images of 1..9 (no leading zero), the
    right one from all; both with ``rng``.
    """
    left = rng.choice(np.flatnonzero(labels > 0), n)
    right = rng.integers(0, len(labels), n)
    pairs = np.concatenate([images[left], images[right]], axis=2)  # (n, 8, 8) x 2 -> (n, 8, 16)
    return pairs, labels[left] * 10 + labels[right]


def caption(model, images, vocab, max_len=MAX_LEN):
    """Greedy captions of images (N, F) (or (N, 8, 8)): a list of N strings, <eos> and after dropped.

    Inputs:

    - model: a trained Captioner
    - images: (N, F) feature vectors, or (N, 8, W) images, flattened to F = 8*W
    - vocab: the caption Vocab (``caption_vocab()``)
    - max_len: the most characters to write, T

    Returns a list of N strings, e.g. "forty-two": the (N, T) ids of
    ``model.caption`` decoded, each cut at its first <eos>.
    """
    images = np.asarray(images, dtype=np.float64)
    ids = model.caption(images.reshape(len(images), -1), max_len)  # (N, max_len)
    out = []
    for row in ids.tolist():
        end = row.index(vocab.eos_id) if vocab.eos_id in row else len(row)
        out.append(vocab.decode(row[:end], skip_specials=True))
    return out


def exact_match(predicted, truth):
    """Fraction of captions that are exactly right, letter for letter.

    Inputs: predicted, truth: two lists of N strings. Returns a float in [0, 1].
    """
    if len(predicted) != len(truth):
        raise ValueError(f"exact_match: {len(predicted)} predicted captions but {len(truth)} true ones")
    return float(np.mean([p == t for p, t in zip(predicted, truth)]))


def _encode(images, numbers, vocab):
    """images (N, 8, W), numbers (N,) -> (images (N, F), targets (N, T) ending in <eos>, mask (N, T))."""
    x = images.reshape(len(images), -1)  # (N, 8, W) -> (N, F = 8*W)
    targets, lengths = pad_sequences([vocab.encode(spell(k), add_eos=True) for k in numbers],
                                     pad_value=vocab.pad_id)  # (N, T), (N,)
    return x, targets, length_mask(lengths, targets.shape[1])


def _settings(digits, quiet, seed, **options):
    """The defaults with the given options applied, after checking them."""
    task = "captions"
    check_options(task, seed, quiet, **options)
    if options["layers"] not in (None, 1):
        raise ValueError(f"{task}: the Captioner's decoder has a single recurrent layer, so layers must "
                         f"be 1; got {options['layers']}")
    if options["bidirectional"]:
        raise ValueError(f"{task}: the decoder writes the caption one character after another and cannot "
                         "read characters it has not written yet, so it cannot be bidirectional")
    cfg = dict(SETTINGS[digits], digits=digits)
    cfg.update({k: v for k, v in options.items() if v is not None})
    cfg["bidirectional"] = False
    return cfg
