"""The course's bundled data sets.

Everything here reads small files shipped inside the package (``rnn_course/data``,
described with their sources and licences in ``rnn_course/data/README.md``);
nothing is ever downloaded. The files are rebuilt from their source packages by
``scripts/build_data.py``.

Letters, as everywhere in the book: N number of examples, T time steps (tokens
of one sequence; T_n for example n when lengths differ), V vocabulary size.

Tokenizers and vocabulary (defined in ``rnn_course.text``, importable from here too):
    word_tokenize, char_tokenize, Vocab
Labelled sentences (many-to-one), split into train/val/test by a seed:
    load_sentiment, load_spam                 -> TextDataset
Text for a character language model:
    load_moby_dick                            -> CharCorpus
Names (generation, and a real list of people's names):
    load_names                                -> TextDataset
Images for captioning:
    load_digits                               -> ImageDataset
Raw data, for showing a real example or building synthetic tasks:
    sentiment_sentences, spam_subjects, moby_dick_text, first_names,
    name_frequencies, load_cities, load_sunspots

Splitting: split_indices
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ._checks import check_int, check_one_of
# Re-exported: chapters and users reach the tokenizers and Vocab as datasets.word_tokenize etc.
from .text import BOS, EOS, PAD, UNK, _TOKENIZERS, Vocab, char_tokenize, word_tokenize  # noqa: F401

#: The folder of the bundled data files, ``rnn_course/data`` inside the installed package.
DATA_DIR = Path(__file__).resolve().parent / "data"

#: The English words of the digits 0-9, the class names and caption words of the digits data.
DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")

__all__ = [
    "DATA_DIR", "DIGIT_WORDS", "split_indices",
    "TextSplit", "TextDataset", "CharCorpus", "ImageSplit", "ImageDataset", "Sunspots",
    "load_sentiment", "load_spam", "load_moby_dick", "load_names", "load_digits",
    "load_cities", "load_sunspots",
    "sentiment_sentences", "spam_subjects", "moby_dick_text", "first_names", "name_frequencies",
]


# ----------------------------------------------------------------- validation
def _check_fractions(fn: str, fractions) -> tuple[float, float, float]:
    try:
        fr = tuple(float(f) for f in fractions)
    except (TypeError, ValueError):
        raise TypeError(f"{fn}: fractions must be three numbers (train, val, test), "
                        f"got {fractions!r}") from None
    if len(fr) != 3 or min(fr) < 0 or abs(sum(fr) - 1.0) > 1e-9 or fr[0] == 0:
        raise ValueError(f"{fn}: fractions must be three non-negative numbers (train, val, test) "
                         f"with train > 0 that add up to 1, got {fractions!r}")
    return fr


# ----------------------------------------------------------------- splitting
def split_indices(n: int, fractions=(0.8, 0.1, 0.1), seed: int = 0, groups=None):
    """Split 0..n-1 into train, validation and test indices by a seeded permutation.

    Inputs:

    - n: number of examples N.
    - fractions: (train, val, test) shares, non-negative, adding up to 1.
      The val and test sizes are rounded; train gets the rest.
    - seed: the seed of ``np.random.default_rng``; the same seed always gives
      the same split, on every machine.
    - groups: optional, N hashable keys (e.g. the texts). Examples with equal
      keys go to the same split, so an exact duplicate of a training example
      is never used to test; the fractions then count groups, not examples.

    Returns (train, val, test): int64 index arrays, disjoint, covering 0..n-1,
    each in the shuffled order of the permutation (members of a group next to
    each other).
    """
    return _split("split_indices", n, fractions, seed, groups)


def _split(fn: str, n, fractions, seed, groups=None):
    n = check_int(fn, "n", n, 1)
    fr = _check_fractions(fn, fractions)
    seed = check_int(fn, "seed", seed, 0)
    if groups is None:
        members = [[i] for i in range(n)]
    else:
        if isinstance(groups, str) or len(groups) != n:
            raise ValueError(f"{fn}: groups must hold one key per example, N = {n}, "
                             f"got {type(groups).__name__} of length {len(groups)}")
        first: dict = {}
        for i, key in enumerate(groups):
            first.setdefault(key, []).append(i)
        members = list(first.values())  # groups in order of first appearance
    g = len(members)
    perm = np.random.default_rng(seed).permutation(g)
    n_val, n_test = round(g * fr[1]), round(g * fr[2])
    n_train = g - n_val - n_test
    if n_train < 1:
        raise ValueError(f"{fn}: fractions {fractions!r} leave no training example out of {g}")
    cuts = (perm[:n_train], perm[n_train:n_train + n_val], perm[n_train + n_val:])
    return tuple(np.array([i for k in part for i in members[k]], dtype=np.int64) for part in cuts)


# ----------------------------------------------------------------- containers
class TextSplit(NamedTuple):
    """One split of a text data set.

    - texts: N raw strings (a sentence, a subject line, a name)
    - ids: N lists of token ids; list n has length T_n
    - labels: (N,) int64 class indices (see the data set's ``classes``)
    """

    texts: list[str]
    ids: list[list[int]]
    labels: np.ndarray

    @property
    def lengths(self) -> np.ndarray:
        """The length T_n of each sequence, an (N,) int64 array."""
        return np.array([len(s) for s in self.ids], dtype=np.int64)


@dataclass(frozen=True)
class TextDataset:
    """train/val/test TextSplits, the Vocab (built from train) and the class names.

    Each split holds texts (N strings), ids (N lists of T_n ids; ``pad_sequences``
    makes them one (N, T) array and the (N,) lengths) and labels (N,) int64,
    with its own N. ``len(vocab)`` is V; ``classes`` names the label values.
    """

    train: TextSplit
    val: TextSplit
    test: TextSplit
    vocab: Vocab
    classes: tuple[str, ...]


@dataclass(frozen=True)
class CharCorpus:
    """A text as character ids, cut into three pieces.

    - train, val, test: (T_train,), (T_val,), (T_test,) int64 ids
    - vocab: the character Vocab (all characters of ``text``; no specials)
    - text: the whole text the ids were made from
    - chapters: for a split by chapters, {"train", "val", "test"} -> the
      heading line of each chapter in that split, in order (e.g.
      "CHAPTER 5. Breakfast."); None for a split by fractions
    """

    train: np.ndarray
    val: np.ndarray
    test: np.ndarray
    vocab: Vocab
    text: str
    chapters: dict | None = None


class ImageSplit(NamedTuple):
    """One split of the digits.

    - images: (N, 8, 8) float64 in [0, 1]
    - labels: (N,) int64 digits 0..9
    """

    images: np.ndarray
    labels: np.ndarray


@dataclass(frozen=True)
class ImageDataset:
    """train/val/test ImageSplits; classes are the digits' English words.

    Each split holds images (N, 8, 8) float64 and labels (N,) int64, with its own N.
    """

    train: ImageSplit
    val: ImageSplit
    test: ImageSplit
    classes: tuple[str, ...] = DIGIT_WORDS


class Sunspots(NamedTuple):
    """A yearly series of sunspot numbers.

    - years: (N,) int64
    - counts: (N,) float64 yearly mean sunspot numbers
    """

    years: np.ndarray
    counts: np.ndarray


# ----------------------------------------------------------------- file readers
@lru_cache(maxsize=None)
def _read_tsv(name: str) -> tuple[tuple[str, ...], ...]:
    """Rows (header dropped) of a bundled tab-separated file, as tuples of str."""
    lines = (DATA_DIR / name).read_text(encoding="utf-8").split("\n")
    header = lines[0].split("\t")
    rows = tuple(tuple(line.split("\t")) for line in lines[1:] if line)
    if any(len(r) != len(header) for r in rows):
        raise RuntimeError(f"{name}: a row does not have the {len(header)} columns {header}")
    return rows


def _text_dataset(fn, texts, labels, classes, seed, fractions, min_freq, specials, level,
                  vocab_from_all=False):
    """Split (equal texts stay together), tokenize, build the Vocab (from train
    unless vocab_from_all) and encode."""
    train_i, val_i, test_i = _split(fn, len(texts), fractions, seed, groups=texts)
    min_freq = check_int(fn, "min_freq", min_freq, 1)
    tokenize = _TOKENIZERS[level]
    tokens = [tokenize(t) for t in texts]
    counted = tokens if vocab_from_all else [tokens[i] for i in train_i]
    vocab = Vocab(counted, specials=specials, min_freq=min_freq, level=level)
    labels = np.asarray(labels, dtype=np.int64)

    def take(idx):
        return TextSplit([texts[i] for i in idx], [vocab.encode(tokens[i]) for i in idx], labels[idx])

    return TextDataset(take(train_i), take(val_i), take(test_i), vocab, tuple(classes))


# ----------------------------------------------------------------- sentiment
SENTIMENT_SOURCES = ("amazon", "imdb", "yelp")


def sentiment_sentences(label: int | None = None, source: str | None = None) -> list[str]:
    """The 3,000 review sentences, raw, in file order (amazon, imdb, yelp).

    - label: 0 (negative) or 1 (positive) to keep one class; None for both.
    - source: "amazon", "imdb" or "yelp" to keep one site; None for all.
    """
    fn = "sentiment_sentences"
    if label is not None:
        check_one_of(fn, "label", label, (0, 1))
    if source is not None:
        check_one_of(fn, "source", source, SENTIMENT_SOURCES)
    return [t for s, y, t in _read_tsv("sentiment.tsv")
            if (label is None or int(y) == label) and (source is None or s == source)]


def load_sentiment(seed: int = 0, fractions=(0.8, 0.1, 0.1), min_freq: int = 1) -> TextDataset:
    """Sentiment Labelled Sentences (Kotzias et al., 2015): 3,000 sentences, 50/50.

    Inputs:

    - seed: fixes the train/val/test split (see ``split_indices``).
    - fractions: (train, val, test) shares.
    - min_freq: words seen fewer times in train become <unk>.

    The split keeps repeated sentences together (18 sentences occur twice), so
    none of val/test is a copy of a training sentence; by default N is about
    2400/300/300.

    Returns a TextDataset whose splits hold texts (N strings), ids (N lists of
    T_n ids; ``pad_sequences`` makes them (N, T)) and labels (N,) int64.
    ``ids`` are word ids (``word_tokenize``) of a Vocab built from the training split with specials
    <pad> = 0 and <unk> = 1, so val/test words never seen in training are <unk>;
    labels are 0 (negative) or 1 (positive), classes ("negative", "positive").
    """
    rows = _read_tsv("sentiment.tsv")
    return _text_dataset("load_sentiment", [r[2] for r in rows], [int(r[1]) for r in rows],
                         ("negative", "positive"), seed, fractions, min_freq, (PAD, UNK), "word")


# ----------------------------------------------------------------- spam
def spam_subjects(label: int | None = None) -> list[str]:
    """All 6,046 subject lines (1,896 spam), leading Re:/Fwd:/[list] tags removed.

    - label: 1 (spam) or 0 (ham) to keep one class; None for both.

    A few subjects are empty strings (mails without a subject, or whose
    subject was nothing but tags).
    """
    if label is not None:
        check_one_of("spam_subjects", "label", label, (0, 1))
    return [s for y, _group, s in _read_tsv("spam_subjects.tsv") if label is None or int(y) == label]


def load_spam(seed: int = 0, fractions=(0.8, 0.1, 0.1), min_freq: int = 1,
              drop_empty: bool = True) -> TextDataset:
    """SpamAssassin subject lines as a spam/ham classification task.

    Inputs:

    - seed, fractions, min_freq: as for ``load_sentiment``.
    - drop_empty: leave out the subjects with no tokens (29 of 6,046), which a
      many-to-one model cannot read (T_n = 0). The split is made after dropping.

    Mailing-list threads repeat a subject many times once the Re: tags are gone
    (4,150 ham mails have only 2,084 distinct subjects), so the split is made
    over distinct subjects: every copy of a subject lands in the same split and
    the test set measures generalisation, not memory. Split sizes in mails
    therefore vary a little with the seed (about 4800/600/600).

    Returns a TextDataset whose splits hold texts (N strings), ids (N lists of
    T_n word ids; ``pad_sequences`` makes them (N, T)) and labels (N,) int64
    (Vocab from train: <pad> = 0, <unk> = 1); labels 1 = spam, 0 = ham, classes ("ham", "spam"). Spam is about 31%.
    """
    fn = "load_spam"
    if not isinstance(drop_empty, bool):
        raise TypeError(f"{fn}: drop_empty must be True or False, got {drop_empty!r}")
    rows = [r for r in _read_tsv("spam_subjects.tsv") if not drop_empty or word_tokenize(r[2])]
    return _text_dataset(fn, [r[2] for r in rows], [int(r[0]) for r in rows],
                         ("ham", "spam"), seed, fractions, min_freq, (PAD, UNK), "word")


# ----------------------------------------------------------------- Moby-Dick
def moby_dick_text() -> str:
    """The Moby-Dick excerpt: chapters 1-32, about 298,000 characters, as one str."""
    return _moby()


@lru_cache(maxsize=1)
def _moby() -> str:
    return (DATA_DIR / "moby_dick.txt").read_text(encoding="utf-8")


#: The chapters of the bundled Moby-Dick held out for validation and for test: every
#: fifth chapter, alternately. All six are in the book's ordinary prose (five narrative,
#: chapter 25 a short essay); chapter 32 ("Cetology"), a catalogue of whale species,
#: stays in training.
MOBY_VAL_CHAPTERS = (5, 15, 25)
MOBY_TEST_CHAPTERS = (10, 20, 30)


def _moby_chapters(text: str) -> list[str]:
    """The text cut before each "CHAPTER n." heading line: chapter n is item n - 1."""
    starts = [0] + [m.start() for m in re.finditer(r"(?<=\n)CHAPTER \d+\. ", text)]
    return [text[a:b] for a, b in zip(starts, starts[1:] + [len(text)])]


def load_moby_dick(fractions=None, n_chars: int | None = None, val_chapters=MOBY_VAL_CHAPTERS,
                   test_chapters=MOBY_TEST_CHAPTERS) -> CharCorpus:
    """Moby-Dick as character ids for a character-level language model.

    By default the split is by whole chapters: validation holds chapters 5, 15
    and 25, test chapters 10, 20 and 30 (``MOBY_VAL_CHAPTERS``,
    ``MOBY_TEST_CHAPTERS``), and training the other 26, chapter 32
    ("Cetology", a catalogue of whale species) included. Each split is its
    chapters joined in book order. No chapter is in two splits, and the
    held-out chapters are ordinary prose spread over the whole excerpt, so
    the validation and test losses measure the same kind of text the model
    was trained on.

    Inputs:

    - fractions: None (split by chapters), or (train, val, test) shares of the
      text for three consecutive pieces (train is the beginning), not shuffled:
      a random split of characters would put every validation character
      between two training ones.
    - n_chars: with fractions, use only the first n_chars characters (for quick runs).
    - val_chapters, test_chapters: the chapter numbers (1-32) held out, when
      fractions is None.

    Returns a CharCorpus: train, val and test are 1-D int64 arrays of character
    ids, (T_train,), (T_val,) and (T_test,), each to be cut into (N, T)
    windows or streams for training (see ``rnn_course.tasks.charlm``); its Vocab is
    built from the whole text used (78 characters, case kept, no specials), so
    val and test have no unknowns. ``chapters`` names the chapters of each split.
    """
    fn = "load_moby_dick"
    text = _moby()
    if n_chars is not None:
        n_chars = check_int(fn, "n_chars", n_chars, 3)
    if fractions is None:
        if n_chars is not None:
            raise ValueError(f"{fn}: n_chars needs fractions (a split by chapters uses the whole text)")
        return _moby_by_chapters(fn, text, val_chapters, test_chapters)
    fr = _check_fractions(fn, fractions)
    if n_chars is not None:
        text = text[:n_chars]
    vocab = Vocab(text, specials=(), level="char")
    ids = np.array(vocab.encode(text), dtype=np.int64)  # (T,)
    n_val, n_test = round(len(ids) * fr[1]), round(len(ids) * fr[2])
    n_train = len(ids) - n_val - n_test
    return CharCorpus(ids[:n_train], ids[n_train:n_train + n_val], ids[n_train + n_val:], vocab, text)


def _moby_by_chapters(fn, text, val_chapters, test_chapters):
    chapters = _moby_chapters(text)
    held = {}
    for name, chosen in (("val_chapters", val_chapters), ("test_chapters", test_chapters)):
        try:
            chosen = tuple(int(c) for c in chosen)
        except (TypeError, ValueError):
            raise TypeError(f"{fn}: {name} must be chapter numbers, got {chosen!r}") from None
        if not chosen or len(set(chosen)) != len(chosen) or not all(1 <= c <= len(chapters) for c in chosen):
            raise ValueError(f"{fn}: {name} must be distinct chapter numbers from 1 to {len(chapters)}, "
                             f"got {chosen!r}")
        held[name] = set(chosen)
    if held["val_chapters"] & held["test_chapters"]:
        raise ValueError(f"{fn}: chapters {sorted(held['val_chapters'] & held['test_chapters'])} are in both "
                         f"val_chapters and test_chapters; a chapter can be in one split only")
    vocab = Vocab(text, specials=(), level="char")
    split_of = {c: "val" if c in held["val_chapters"] else "test" if c in held["test_chapters"] else "train"
                for c in range(1, len(chapters) + 1)}
    parts = {k: "".join(ch for c, ch in enumerate(chapters, 1) if split_of[c] == k) for k in ("train", "val", "test")}
    ids = {k: np.array(vocab.encode(v), dtype=np.int64) for k, v in parts.items()}  # (T_k,)
    heads = {k: tuple(ch.split("\n", 1)[0] for c, ch in enumerate(chapters, 1) if split_of[c] == k)
             for k in ("train", "val", "test")}
    return CharCorpus(ids["train"], ids["val"], ids["test"], vocab, text, heads)


# ----------------------------------------------------------------- names
_SEXES = ("female", "male")


@lru_cache(maxsize=None)
def _name_percent(sex: str | None) -> tuple[tuple[str, float], ...]:
    best: dict[str, float] = {}
    for name, s, pct in _read_tsv("first_names.tsv"):
        if sex is None or s == sex[0].upper():
            best[name] = max(best.get(name, 0.0), float(pct))
    return tuple(sorted(best.items(), key=lambda kv: (-kv[1], kv[0])))


def first_names(sex: str | None = None) -> list[str]:
    """US-census (1990) first names, most common first, capitalised ("Mary").

    - sex: "female" (4,275 names), "male" (1,219) or None for both (names on
      both lists appear once).
    """
    if sex is not None:
        check_one_of("first_names", "sex", sex, _SEXES)
    return [n for n, _ in _name_percent(sex)]


def name_frequencies(sex: str | None = None) -> dict[str, float]:
    """Each first name's share of the census population, in percent.

    - sex: as for ``first_names``; with None, a name on both lists gets the
      larger of its two percentages. Useful for sampling realistic names.
    """
    if sex is not None:
        check_one_of("name_frequencies", "sex", sex, _SEXES)
    return dict(_name_percent(sex))


def load_names(sex: str | None = None, seed: int = 0, fractions=(0.8, 0.1, 0.1),
               lowercase: bool = True) -> TextDataset:
    """First names as character sequences, for name generation.

    Inputs:

    - sex: "female", "male" or None (both lists, each name once).
    - seed, fractions: the split, as for ``load_sentiment``.
    - lowercase: "mary" rather than "Mary".

    Returns a TextDataset whose splits hold texts (N names), ids (N lists of
    T_n character ids; ``pad_sequences`` makes them (N, T)) and labels (N,)
    int64. ``ids`` are character ids without <bos>/<eos>
    (add them with ``vocab.encode(name, add_bos=True, add_eos=True)`` or the
    vocab's ``bos_id``/``eos_id``); the character Vocab has specials <pad> = 0,
    <bos>, <eos> and is built from all the names (an alphabet is a closed set,
    so there is no <unk>). Labels are
    1 where the name is more common among men than women, else 0; classes
    ("female", "male").
    """
    fn = "load_names"
    if sex is not None:
        check_one_of(fn, "sex", sex, _SEXES)
    if not isinstance(lowercase, bool):
        raise TypeError(f"{fn}: lowercase must be True or False, got {lowercase!r}")
    female, male = name_frequencies("female"), name_frequencies("male")
    names = first_names(sex)
    labels = [int(male.get(n, 0.0) > female.get(n, 0.0)) for n in names]
    texts = [n.lower() for n in names] if lowercase else names
    return _text_dataset(fn, texts, labels, _SEXES, seed, fractions, 1, (PAD, BOS, EOS), "char",
                         vocab_from_all=True)


# ----------------------------------------------------------------- digits
@lru_cache(maxsize=1)
def _digits() -> tuple[np.ndarray, np.ndarray]:
    with np.load(DATA_DIR / "digits.npz") as z:
        return z["images"], z["labels"]


def load_digits(seed: int = 0, fractions=(0.8, 0.1, 0.1)) -> ImageDataset:
    """The UCI optical handwritten digits: 1,797 grey images of 8x8 pixels.

    Inputs:

    - seed, fractions: the split, as for ``load_sentiment``.

    Returns an ImageDataset: images (N, 8, 8) float64, the 0..16 pixel counts
    divided by 16 so they lie in [0, 1]; labels (N,) int64 in 0..9; classes
    are the English words "zero".."nine".
    """
    images, labels = _digits()
    train_i, val_i, test_i = _split("load_digits", len(labels), fractions, seed)
    x = images.astype(np.float64) / 16.0  # (1797, 8, 8) in [0, 1]
    y = labels.astype(np.int64)
    return ImageDataset(*(ImageSplit(x[i], y[i]) for i in (train_i, val_i, test_i)))


# ----------------------------------------------------------------- cities, sunspots
def load_cities() -> list[str]:
    """About 370 real city names (GeoNames), most populous first, e.g. "Mumbai".

    Names are as GeoNames writes them, so some carry accents ("São Paulo") and
    some have several words ("Rio de Janeiro").
    """
    return [r[0] for r in _read_tsv("cities.tsv")]


def load_sunspots() -> Sunspots:
    """Yearly sunspot numbers 1700-2008: years (N,) int64, counts (N,) float64, N = 309."""
    lines = (DATA_DIR / "sunspots.csv").read_text(encoding="ascii").split()[1:]
    table = np.array([line.split(",") for line in lines], dtype=np.float64)  # (309, 2)
    return Sunspots(table[:, 0].astype(np.int64), table[:, 1])
