"""Synthetic date normalisation pairs (encoder-decoder), made from a seed.

    make_dates(n, seed)          -> DatePairs(sources, targets, formats, dates)
    load_dates(seed=0, n=...)    -> DateDataset (train/val/test, char Vocabs)

Random days of 1950-2049 written in fourteen human formats (DATE_FORMATS),
character by character, with their ISO 8601 form as the target. The calendar
helpers here are shared with the named-entity sentences (``synthetic.ner``),
which mention dates too.

Letters, as everywhere in the book: N number of examples, S source
characters, T' target characters.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .._checks import check_int
from ..layers import pad_sequences
from ..text import BOS, EOS, PAD, Vocab

__all__ = ["DATE_FORMATS", "FIRST_DATE", "LAST_DATE", "DatePairs", "DateSplit", "DateDataset",
           "make_dates", "load_dates", "parse_two_digit_year"]

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
#: The first and last day the date task draws from (1950-01-01 and 2049-12-31).
FIRST_DATE, LAST_DATE = dt.date(1950, 1, 1), dt.date(2049, 12, 31)


def _check_seed(fn, seed):
    return check_int(fn, "seed", seed, 0)


def _random_dates(rng, n, distinct=False):
    """n dates, uniform over FIRST_DATE..LAST_DATE (36,525 days)."""
    span = LAST_DATE.toordinal() - FIRST_DATE.toordinal() + 1
    days = rng.choice(span, size=n, replace=False) if distinct else rng.integers(0, span, n)
    return [dt.date.fromordinal(FIRST_DATE.toordinal() + int(k)) for k in days]


def _ordinal(day):
    """1 -> '1st', 2 -> '2nd', 11 -> '11th', 23 -> '23rd'."""
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def parse_two_digit_year(yy: int) -> int:
    """The year of a two-digit year, for dates of 1950-2049: 50-99 -> 19yy, 00-49 -> 20yy.

    This is why the dates span 1950-2049: within that century "15.02.39" has
    exactly one reading, 2039. (Python's strptime pivots at 69 instead.)
    """
    return 1900 + yy if yy >= 50 else 2000 + yy


# Each format: a name and a function date -> str. Month and weekday names are
# English and written out here, not taken from strftime, whose %B and %A follow
# the machine's locale. The slash form is always month first (US) and the dot
# forms always day first (European), so no string has two readings.
#: The 14 written forms of a date, each a name mapped to a function ``datetime.date -> str``.
DATE_FORMATS = {
    "weekday_long": lambda d: f"{WEEKDAYS[d.weekday()]}, {MONTHS[d.month - 1]} {d.day}, {d.year}",
    "dmy_dots_short": lambda d: f"{d.day:02d}.{d.month:02d}.{d.year % 100:02d}",
    "mon_d_y": lambda d: f"{MONTHS[d.month - 1][:3]} {d.day} {d.year}",
    "d_month_y": lambda d: f"{d.day} {MONTHS[d.month - 1]} {d.year}",
    "us_slashes": lambda d: f"{d.month}/{d.day}/{d.year}",
    "month_d_comma_y": lambda d: f"{MONTHS[d.month - 1]} {d.day}, {d.year}",
    "d_mon_y_dashes": lambda d: f"{d.day:02d}-{MONTHS[d.month - 1][:3]}-{d.year}",
    "wkd_d_mon_y": lambda d: f"{WEEKDAYS[d.weekday()][:3]} {d.day} {MONTHS[d.month - 1][:3]} {d.year}",
    "ordinal_of": lambda d: f"the {_ordinal(d.day)} of {MONTHS[d.month - 1]} {d.year}",
    "mon_upper": lambda d: f"{MONTHS[d.month - 1][:3].upper()} {d.day}, {d.year}",
    "lower_ordinal": lambda d: f"{MONTHS[d.month - 1].lower()} {_ordinal(d.day)} {d.year}",
    "dmy_dots": lambda d: f"{d.day}.{d.month}.{d.year}",
    "ymd_slashes": lambda d: f"{d.year}/{d.month:02d}/{d.day:02d}",
    "mon_dot": lambda d: f"{MONTHS[d.month - 1][:3]}{'.' if d.month != 5 else ''} {d.day}, {d.year}",
}


def _source_alphabet() -> str:
    """Every character a DATE_FORMATS string can contain, in a fixed order."""
    words = MONTHS + WEEKDAYS + ("the", "of", "st", "nd", "rd", "th")
    text = "".join(w + w.upper() + w.lower() for w in words)
    return "".join(sorted(set(text + "0123456789 ,./-")))


class DatePairs(NamedTuple):
    """N synthetic (human-written date, ISO date) pairs.

    - sources: N str, e.g. "Tuesday, February 15, 2039"
    - targets: N str, the same day in ISO 8601, e.g. "2039-02-15"
    - formats: N str, the DATE_FORMATS name of each source
    - dates: N datetime.date, the day itself
    """

    sources: list
    targets: list
    formats: list
    dates: list


def make_dates(n: int, seed: int = 0) -> DatePairs:
    """N distinct random days of 1950-2049, each written in a random human format.

    The data is synthetic, generated with ``datetime``: a day is drawn
    uniformly from 1950-01-01..2049-12-31 (no day twice, so N <= 36,525),
    written in one of the DATE_FORMATS, chosen uniformly (for example
    "Tuesday, February 15, 2039", "15.02.39", "Feb 15 2039", "15 February 2039",
    "2/15/2039"), and the target is the same day as ``date.isoformat()``,
    "2039-02-15".

    Inputs: n (N), seed (seeds ``np.random.default_rng``).

    Returns DatePairs: four lists of N entries each (sources, targets, formats, dates).
    """
    fn = "make_dates"
    span = LAST_DATE.toordinal() - FIRST_DATE.toordinal() + 1
    n = check_int(fn, "n", n, 0)
    if n > span:
        raise ValueError(f"{fn}: n must be at most {span:,}, the number of days in 1950-2049, got {n}")
    rng = np.random.default_rng(_check_seed(fn, seed))
    dates = _random_dates(rng, n, distinct=True)
    names = list(DATE_FORMATS)
    formats = [names[k] for k in rng.integers(0, len(names), n)]
    sources = [DATE_FORMATS[f](d) for f, d in zip(formats, dates)]
    return DatePairs(sources, [d.isoformat() for d in dates], formats, dates)


class DateSplit(NamedTuple):
    """One split of the date data.

    - sources, targets, formats, dates: as in DatePairs
    - src: (N, S) int64 source character ids, padded with <pad> = 0 (no <bos>/<eos>)
    - src_lengths: (N,) int64 true source lengths
    - tgt: (N, T') int64 target ids: the 10 ISO characters, then <eos> (T' = 11)
    - tgt_mask: (N, T') bool, True at real target tokens (here all of them)
    """

    sources: list
    targets: list
    formats: list
    dates: list
    src: np.ndarray
    src_lengths: np.ndarray
    tgt: np.ndarray
    tgt_mask: np.ndarray


@dataclass(frozen=True)
class DateDataset:
    """train/val/test DateSplits and the source and target character Vocabs, ``src_vocab`` and ``tgt_vocab``.

    Each split holds src (N, S), src_lengths (N,), tgt (N, T') and tgt_mask
    (N, T'), with T' = 11, besides the raw strings and dates.
    """

    train: DateSplit
    val: DateSplit
    test: DateSplit
    src_vocab: Vocab
    tgt_vocab: Vocab


def load_dates(seed: int = 0, n=(8000, 1000, 1000)) -> DateDataset:
    """Date normalisation as a character-level encoder-decoder task.

    All sum(n) days are distinct (``make_dates``), so no test day is seen in
    training in any format. The data is synthetic.

    Inputs:

    - seed: fixes the days, their formats and so the split
    - n: (train, val, test) numbers of pairs

    Returns a DateDataset whose splits hold src (N, S) int64 source ids padded to
    the split's longest source, src_lengths (N,), tgt (N, T') int64 target ids
    with T' = 11 (ten ISO characters and <eos>) and tgt_mask (N, T'). Both Vocabs are character-level with specials
    <pad> = 0, <bos>, <eos>, and no <unk>: the source Vocab holds every
    character any format can write (letters of the month and weekday names,
    digits, " ,./-"), the target Vocab the digits and "-".
    """
    fn = "load_dates"
    seed = _check_seed(fn, seed)
    if len(n) != 3:
        raise ValueError(f"{fn}: n must be three sizes (train, val, test), got {n!r}")
    sizes = [check_int(fn, f"n[{i}]", v, 1) for i, v in enumerate(n)]
    src_vocab = Vocab(_source_alphabet(), specials=(PAD, BOS, EOS), level="char")
    tgt_vocab = Vocab("0123456789-", specials=(PAD, BOS, EOS), level="char")
    pairs = make_dates(sum(sizes), seed)
    cuts = np.cumsum([0] + sizes)

    def take(lo, hi):
        part = DatePairs(*(field[lo:hi] for field in pairs))
        src, src_lengths = pad_sequences([src_vocab.encode(s) for s in part.sources])
        tgt = np.array([tgt_vocab.encode(t, add_eos=True) for t in part.targets], dtype=np.int64)
        return DateSplit(*part, src, src_lengths, tgt, np.ones(tgt.shape, dtype=bool))

    return DateDataset(*(take(cuts[k], cuts[k + 1]) for k in range(3)), src_vocab, tgt_vocab)
