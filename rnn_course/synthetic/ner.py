"""Synthetic named-entity sentences (many-to-many, aligned), made from a seed.

    make_ner(n, seed)            -> TaggedSentences(sentences, tags, templates)
    load_ner(seed=0, n=...)      -> NERDataset (train/val/test, word and tag Vocabs)
    entity_spans(tags)           -> the entities of one tag sequence

The sentences are written by templates, not taken from any text; the entity
lists they are filled with are real: US-census first names
(``datasets.first_names``) and GeoNames city names (``datasets.load_cities``).

Letters, as everywhere in the book: N number of examples, T tokens of a
sentence (padded), C = 4 tags.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import numpy as np

from .._checks import check_int
from ..datasets import first_names, load_cities
from ..layers import pad_sequences
from ..text import PAD, UNK, Vocab
from .dates import MONTHS, _check_seed, _ordinal, _random_dates

__all__ = ["TAGS", "SURNAMES", "NER_TEMPLATES", "CONTEXT_TEMPLATES", "AMBIGUOUS_NAMES",
           "TaggedSentences", "NERSplit", "NERDataset", "make_ner", "load_ner", "entity_spans"]

#: The named-entity tags in id order (outside, person, location, date).
TAGS = ("O", "PER", "LOC", "DATE")

# The 50 most frequent US surnames of the 2010 census (US Census Bureau,
# "Frequently Occurring Surnames from the 2010 Census"; public domain), typed
# in here. A person is a census first name, sometimes followed by one of these.
#: The 50 most common US surnames (2010 census, public domain).
SURNAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore",
    "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez",
    "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen",
    "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell",
    "Carter", "Roberts",
)

# Templates: tokens separated by single spaces; a slot is {PER}, {LOC}, {DATE}
# (a day, in one of several written forms), {MONTH} (a month or a year, tagged
# DATE) or {NUM} (a plain number 2..31, tagged O, the same words as the days of
# a date). The flag marks templates in which the type of some slot cannot be
# told from the words *before* it: the slot opens the sentence, or another
# template shares every word before it but has a different type there. Only
# the words after it settle the type ("Paris is a big city" / "Paris is a good
# friend"), which a unidirectional tagger cannot see and a bidirectional one can.
#: The 48 sentence templates, each ``(template, needs_right_context)``; slots ``{PER}``, ``{LOC}``,
#: ``{DATE}``, ``{MONTH}``, ``{NUM}``.
NER_TEMPLATES = (
    # the type of every slot follows from the words before it
    ("Yesterday {PER} flew to {LOC} .", False),
    ("On {DATE} , {PER} moved to {LOC} .", False),
    ("Dear {PER} , see you in {LOC} on {DATE} .", False),
    ("The train to {LOC} leaves on {DATE} .", False),
    ("Flights from {LOC} to {LOC} were cancelled on {DATE} .", False),
    ("The weather in {LOC} was cold on {DATE} .", False),
    ("Since {DATE} , the museum in {LOC} has been closed .", False),
    ("Call {PER} before {DATE} .", False),
    ("The festival in {LOC} starts on {DATE} .", False),
    ("Thank you , {PER} , for the flowers .", False),
    ("Greetings from {LOC} , where it rained in {MONTH} .", False),
    ("Everyone in {LOC} knows {PER} .", False),
    ("The mayor of {LOC} resigned on {DATE} .", False),
    ("See you on {DATE} in {LOC} !", False),
    ("It was {DATE} when {PER} left {LOC} .", False),
    ("According to {PER} , prices in {LOC} rose in {MONTH} .", False),
    ("Tickets for the concert on {DATE} are sold out .", False),
    ("The package from {LOC} arrived on {DATE} .", False),
    ("Please ask {PER} to call me before {DATE} .", False),
    ("Our office in {LOC} opened in {MONTH} .", False),
    ("The letter is dated {DATE} .", False),
    ("From {DATE} to {DATE} , the road to {LOC} was closed .", False),
    ("Ask {PER} about the trip to {LOC} .", False),
    ("In {MONTH} , {PER} visited {LOC} twice .", False),
    ("My neighbour {PER} stayed {NUM} nights in {LOC} .", False),
    # some slot is settled only by the words after it
    ("{PER} was born in {LOC} on {DATE} .", True),
    ("{LOC} was quiet on {DATE} .", True),
    ("{DATE} was a rainy day in {LOC} .", True),
    ("{LOC} is a big city .", True),
    ("{PER} is a good friend of {PER} .", True),
    ("{DATE} is a public holiday in {LOC} .", True),
    ("I love {LOC} in the summer .", True),
    ("I love {PER} very much .", True),
    ("We visited {PER} at home on {DATE} .", True),
    ("We visited {LOC} last year .", True),
    ("{PER} called {PER} on {NUM} occasions .", True),
    ("{PER} called {PER} on {DATE} .", True),
    ("{LOC} hosted the games in {MONTH} .", True),
    ("{DATE} will be a busy day for {PER} .", True),
    ("{PER} will speak in {LOC} on {DATE} .", True),
    ("{PER} and {PER} got married in {LOC} .", True),
    ("{LOC} and {LOC} signed a treaty on {DATE} .", True),
    ("{PER} met {PER} in {LOC} on {DATE} .", True),
    ("{PER} lives in {LOC} with {PER} .", True),
    ("{PER} said that {LOC} is beautiful in {MONTH} .", True),
    ("{PER} said that {PER} is very kind .", True),
    ("{LOC} has {NUM} bridges and a port .", True),
    ("{PER} has {NUM} brothers in {LOC} .", True),
)
#: Indices of the templates in which only the words after a slot settle its type.
CONTEXT_TEMPLATES = tuple(i for i, (_, flag) in enumerate(NER_TEMPLATES) if flag)
_SLOT_TAG = {"PER": "PER", "LOC": "LOC", "DATE": "DATE", "MONTH": "DATE", "NUM": "O"}
_SLOT_RE = re.compile(r"^\{(PER|LOC|DATE|MONTH|NUM)\}$")


@lru_cache(maxsize=1)
def _entity_lists():
    """(names, cities as token tuples, names that are also cities or months)."""
    names = tuple(first_names())
    cities = tuple(tuple(c.replace(",", "").split()) for c in load_cities())  # "Washington D.C."
    single = {c[0] for c in cities if len(c) == 1}
    ambiguous = tuple(n for n in names if n in single or n in MONTHS)
    return names, cities, ambiguous


# Census first names that are also a city ("Paris", "Houston") or a month
# ("April", "June"): the same word with two tags, settled only by context.
#: Census first names that are also a city or a month ("Paris", "April").
AMBIGUOUS_NAMES = _entity_lists()[2]


def _ner_date(rng, date):
    """One written form of a date, as tokens: 'March 3', '3 March 2021', '2021-03-03', ..."""
    month, day, year = MONTHS[date.month - 1], str(date.day), str(date.year)
    forms = (
        (month, day),
        (month, _ordinal(date.day)),
        (day, month),
        (day, month, year),
        (month[:3], day),
        (date.isoformat(),),
        (f"{date.month}/{date.day}/{date.year}",),
    )
    return forms[rng.integers(len(forms))]


def _ner_month(rng, date):
    """A month or a year, as tokens: 'March', 'March 2021', '2021'."""
    forms = ((MONTHS[date.month - 1],), (MONTHS[date.month - 1], str(date.year)), (str(date.year),))
    return forms[rng.integers(len(forms))]


class TaggedSentences(NamedTuple):
    """N synthetic sentences with one tag per token.

    - sentences: N lists of tokens (str), T_n tokens each
    - tags: N lists of T_n tags from TAGS ("O", "PER", "LOC", "DATE")
    - templates: (N,) int64, the index into NER_TEMPLATES each sentence came from
    """

    sentences: list
    tags: list
    templates: np.ndarray


def make_ner(n: int, seed: int = 0, people=None, places=None) -> TaggedSentences:
    """N synthetic sentences for named-entity tagging, with a tag per token.

    The sentences are synthetic: a template from NER_TEMPLATES, chosen
    uniformly, with its slots filled in. The entities are real:

    - PER: a US-census first name, alone or (40%) followed by one of the 50
      SURNAMES, e.g. ["Mary"] or ["Mary", "Smith"]
    - LOC: a GeoNames city, split into words, e.g. ["Rio", "de", "Janeiro"]
    - DATE: a random day of 1950-2049 in one of seven forms ("March 3",
      "March 3rd", "3 March", "3 March 2021", "Mar 3", "2021-03-03",
      "3/3/2021"), or for {MONTH} slots a month, month and year, or a year.

    Tags are plain (not BIO): every token of an entity carries its type. No
    template puts two entities of one type side by side, so an entity is
    exactly a maximal run of one tag (see ``entity_spans``).

    Inputs:

    - n: number of sentences N
    - seed: seeds ``np.random.default_rng``; the same seed gives the same sentences
    - people: the first names to draw from (default: all census names)
    - places: the cities to draw from, each a str or a tuple of words
      (default: all bundled cities). ``load_ner`` passes disjoint pools per
      split, so that test entities are unseen in training.

    Returns TaggedSentences(sentences, tags, templates): N token lists, N tag
    lists of the same lengths T_n, and templates (N,) int64.
    """
    fn = "make_ner"
    n = check_int(fn, "n", n, 0)
    rng = np.random.default_rng(_check_seed(fn, seed))
    return _make_ner(fn, n, rng, people, places)


def _make_ner(fn, n, rng, people, places):
    names, cities, _ = _entity_lists()
    people = tuple(names if people is None else people)
    places = tuple(cities if places is None else (tuple(p.split()) if isinstance(p, str) else tuple(p)
                                                  for p in places))
    if not people or not places:
        raise ValueError(f"{fn}: people and places must each hold at least one entity")
    parsed = _parsed_templates()
    sentences, tags = [], []
    templates = rng.integers(0, len(NER_TEMPLATES), n)
    for k in templates:
        words, labels = [], []
        for token in parsed[k]:
            slot = _SLOT_RE.match(token)
            if slot is None:
                words.append(token)
                labels.append("O")
                continue
            kind = slot.group(1)
            if kind == "PER":
                filled = (people[rng.integers(len(people))],)
                if rng.random() < 0.4:
                    filled += (SURNAMES[rng.integers(len(SURNAMES))],)
            elif kind == "LOC":
                filled = places[rng.integers(len(places))]
            elif kind == "DATE":
                filled = _ner_date(rng, _random_dates(rng, 1)[0])
            elif kind == "MONTH":
                filled = _ner_month(rng, _random_dates(rng, 1)[0])
            else:  # NUM
                filled = (str(rng.integers(2, 32)),)
            words.extend(filled)
            labels.extend([_SLOT_TAG[kind]] * len(filled))
        sentences.append(words)
        tags.append(labels)
    return TaggedSentences(sentences, tags, templates.astype(np.int64))


@lru_cache(maxsize=1)
def _parsed_templates():
    return tuple(tuple(text.split(" ")) for text, _ in NER_TEMPLATES)


def entity_spans(tags) -> list[tuple[int, int, str]]:
    """The entities of one tag sequence: (start, end, type) for every maximal
    run of one non-O tag, end exclusive.

    Inputs: tags: the T tag strings of one sentence, a list like a (T,) array.

    Returns a list of (start, end, type) tuples, 0 <= start < end <= T.

    >>> entity_spans(["PER", "PER", "O", "LOC", "DATE"])
    [(0, 2, 'PER'), (3, 4, 'LOC'), (4, 5, 'DATE')]
    """
    spans, start = [], None
    for t, tag in enumerate(list(tags) + ["O"]):
        if start is not None and tag != tags[start]:
            spans.append((start, t, tags[start]))
            start = None
        if start is None and tag != "O" and t < len(tags):
            start = t
    return spans


class NERSplit(NamedTuple):
    """One split of the NER data.

    - sentences, tags: N token lists and N tag lists (see ``make_ner``)
    - templates: (N,) int64 template index of each sentence
    - ids: (N, T) int64 word ids, padded with <pad> = 0
    - lengths: (N,) int64 true lengths T_n
    - tag_ids: (N, T) int64 tag ids (TAGS order), padded with 0 ("O"; mask it out)
    """

    sentences: list
    tags: list
    templates: np.ndarray
    ids: np.ndarray
    lengths: np.ndarray
    tag_ids: np.ndarray


@dataclass(frozen=True)
class NERDataset:
    """train/val/test NERSplits, the word ``vocab`` (from train) and the ``tag_vocab``.

    Each split holds ids (N, T), lengths (N,) and tag_ids (N, T), with its own
    N and T, besides the raw sentences and tags; ``len(vocab)`` is V and the
    tag Vocab has C = 4 tags.
    """

    train: NERSplit
    val: NERSplit
    test: NERSplit
    vocab: Vocab
    tag_vocab: Vocab


def load_ner(seed: int = 0, n=(4000, 500, 1000), min_freq: int = 2,
             entity_fractions=(0.7, 0.15, 0.15)) -> NERDataset:
    """Synthetic named-entity sentences, split so that test entities are unseen.

    The census first names and the cities are each shuffled by ``seed`` and cut
    into three disjoint pools by ``entity_fractions``; the train, val and test
    sentences draw their people and places from their own pool. Only the
    AMBIGUOUS_NAMES (names that are also a city or a month) and the cities
    they name are in every pool: they are the same words with two meanings.
    So the tagger is tested on names and cities it has never seen, which reach
    it as <unk>, and must tell PER from LOC from the context; the sentences
    are synthetic (see ``make_ner``).

    Inputs:

    - seed: fixes the entity pools and the sentences
    - n: (train, val, test) numbers of sentences
    - min_freq: training words seen fewer times become <unk> (with the default
      2, most training names are seen once and so are <unk>, as at test time)
    - entity_fractions: (train, val, test) shares of the entity pools

    Returns an NERDataset whose splits hold ids (N, T) int64 word ids, lengths
    (N,) and tag_ids (N, T), padded to the split's longest sentence. The word Vocab is built from the training split,
    with specials <pad> = 0 and <unk> = 1; words are kept as written (case
    included). The tag Vocab has no specials: O = 0, PER = 1, LOC = 2, DATE = 3.
    Words are the unit: an unseen name is <unk>, however name-like its letters
    (a character-level encoder could use them; this task asks for context).
    """
    fn = "load_ner"
    seed = _check_seed(fn, seed)
    if len(n) != 3:
        raise ValueError(f"{fn}: n must be three sizes (train, val, test), got {n!r}")
    sizes = [check_int(fn, f"n[{i}]", v, 1) for i, v in enumerate(n)]
    min_freq = check_int(fn, "min_freq", min_freq, 1)
    fr = np.asarray(entity_fractions, dtype=np.float64)
    if fr.shape != (3,) or fr.min() <= 0 or abs(fr.sum() - 1) > 1e-9:
        raise ValueError(f"{fn}: entity_fractions must be three positive shares adding up to 1, "
                         f"got {entity_fractions!r}")
    names, cities, ambiguous = _entity_lists()
    rng = np.random.default_rng([seed, 0])
    shared_cities = {c for c in cities if len(c) == 1 and c[0] in ambiguous}
    people = _cut([x for x in names if x not in ambiguous], fr, rng)
    places = _cut([c for c in cities if c not in shared_cities], fr, rng)
    tag_vocab = Vocab([], specials=TAGS)
    raw = [_make_ner(fn, size, np.random.default_rng([seed, k + 1]), people[k] + list(ambiguous),
                     places[k] + sorted(shared_cities)) for k, size in enumerate(sizes)]
    vocab = Vocab(raw[0].sentences, specials=(PAD, UNK), min_freq=min_freq)

    def encode(data):
        ids, lengths = pad_sequences([vocab.encode(s) for s in data.sentences])
        tag_ids, _ = pad_sequences([tag_vocab.encode(t) for t in data.tags])
        return NERSplit(data.sentences, data.tags, data.templates, ids, lengths, tag_ids)

    return NERDataset(*(encode(d) for d in raw), vocab, tag_vocab)


def _cut(items, fractions, rng):
    """Shuffle items and cut them into three lists by fractions."""
    order = rng.permutation(len(items))
    a = round(len(items) * fractions[0])
    b = a + round(len(items) * fractions[1])
    return [[items[i] for i in order[lo:hi]] for lo, hi in ((0, a), (a, b), (b, len(items)))]
