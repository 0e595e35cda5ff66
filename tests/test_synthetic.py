"""Tests of rnn_course.synthetic: the synthetic NER sentences and date pairs."""

import datetime as dt
import re

import numpy as np
import pytest

from rnn_course import synthetic as S
from rnn_course.synthetic.ner import _SLOT_TAG
from rnn_course.datasets import first_names, load_cities

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]  # typed here, not taken from the module under test
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
SUFFIX = {1: "st", 2: "nd", 3: "rd", 21: "st", 22: "nd", 23: "rd", 31: "st"}


# ------------------------------------------------------------------ NER: generator
def test_make_ner_is_deterministic_per_seed():
    a, b, c = S.make_ner(50, seed=3), S.make_ner(50, seed=3), S.make_ner(50, seed=4)
    assert a.sentences == b.sentences and a.tags == b.tags
    assert np.array_equal(a.templates, b.templates)
    assert a.sentences != c.sentences


def test_tags_are_aligned_with_tokens():
    data = S.make_ner(500, seed=0)
    assert len(data.sentences) == len(data.tags) == len(data.templates) == 500
    for words, tags, k in zip(data.sentences, data.tags, data.templates):
        assert len(words) == len(tags)
        assert set(tags) <= set(S.TAGS)
        # the template's literal words are tagged O, in order
        literal = [w for w in S.NER_TEMPLATES[k][0].split() if not w.startswith("{")]
        assert [w for w, t in zip(words, tags) if t == "O" and not w.isdigit()] == literal


def _parse_ner_date(tokens):
    """A date written as the NER sentences write it -> (year or None, month, day or None)."""
    text = " ".join(tokens)
    months = "|".join(MONTHS)
    patterns = [
        (rf"^({months}) (\d{{1,2}})(?:st|nd|rd|th)?$", lambda m: (None, m[1], m[2])),
        (rf"^(\d{{1,2}}) ({months})$", lambda m: (None, m[2], m[1])),
        (rf"^(\d{{1,2}}) ({months}) (\d{{4}})$", lambda m: (m[3], m[2], m[1])),
        (r"^([A-Z][a-z]{2}) (\d{1,2})$", lambda m: (None, m[1], m[2])),
        (r"^(\d{4})-(\d\d)-(\d\d)$", lambda m: (m[1], m[2], m[3])),
        (r"^(\d{1,2})/(\d{1,2})/(\d{4})$", lambda m: (m[3], m[1], m[2])),
        (rf"^({months})$", lambda m: (None, m[1], None)),
        (rf"^({months}) (\d{{4}})$", lambda m: (m[2], m[1], None)),
        (r"^(\d{4})$", lambda m: (m[1], None, None)),
    ]
    for pattern, get in patterns:
        m = re.match(pattern, text)
        if m:
            year, month, day = get(m)
            if month is not None and not month.isdigit():
                month = next(i + 1 for i, name in enumerate(MONTHS) if name.startswith(month))
            return (None if year is None else int(year), None if month is None else int(month),
                    None if day is None else int(day))
    raise AssertionError(f"DATE entity {text!r} is in none of the expected forms")


def test_entities_come_from_the_real_lists():
    names = set(first_names())
    cities = {tuple(c.replace(",", "").split()) for c in load_cities()}
    data = S.make_ner(1500, seed=1)
    seen = {"PER": 0, "LOC": 0, "DATE": 0}
    for words, tags in zip(data.sentences, data.tags):
        for start, end, kind in S.entity_spans(tags):
            span = words[start:end]
            seen[kind] += 1
            if kind == "PER":
                assert span[0] in names and len(span) <= 2, span
                assert len(span) == 1 or span[1] in S.SURNAMES, span
            elif kind == "LOC":
                assert tuple(span) in cities, span
            else:
                year, month, day = _parse_ner_date(span)
                assert year is None or 1950 <= year <= 2049
                if month is not None and day is not None:  # a real day (2000 is a leap year)
                    dt.date(year or 2000, month, day)
    assert min(seen.values()) > 300, seen
    # a first name alone and with a surname both occur; multi-word cities occur
    per_lengths = {e - s for w, t in zip(data.sentences, data.tags) for s, e, k in S.entity_spans(t)
                   if k == "PER"}
    assert per_lengths == {1, 2}


def test_plain_numbers_share_words_with_days_but_are_tagged_O():
    data = S.make_ner(2000, seed=2)
    pairs = [(w, t) for ws, ts in zip(data.sentences, data.tags) for w, t in zip(ws, ts) if w.isdigit()]
    as_o = {w for w, t in pairs if t == "O"}
    as_date = {w for w, t in pairs if len(w) <= 2 and t == "DATE"}
    assert len(as_o & as_date) > 20


def test_entity_spans():
    assert S.entity_spans(["PER", "PER", "O", "LOC", "DATE"]) == \
        [(0, 2, "PER"), (3, 4, "LOC"), (4, 5, "DATE")]
    assert S.entity_spans(["O", "O"]) == []
    assert S.entity_spans(["LOC"]) == [(0, 1, "LOC")]
    assert S.entity_spans([]) == []


# ------------------------------------------------------------------ NER: templates
def _slot_tags(text):
    return [_SLOT_TAG[w[1:-1]] if w.startswith("{") else None for w in text.split()]


def test_templates_are_many_and_never_put_two_entities_of_one_type_side_by_side():
    assert len(S.NER_TEMPLATES) >= 36
    assert len(set(t for t, _ in S.NER_TEMPLATES)) == len(S.NER_TEMPLATES)
    for text, _ in S.NER_TEMPLATES:
        for w in text.split():
            assert not w.startswith("{") or re.fullmatch(r"\{(PER|LOC|DATE|MONTH|NUM)\}", w), text
        tags = _slot_tags(text)
        for a, b in zip(tags, tags[1:]):
            assert a is None or b is None or a != b, f"adjacent slots of one type in {text!r}"


def test_context_flags_mark_exactly_the_templates_that_need_the_words_after():
    """Flagged iff some slot opens the sentence, or another template has the same
    words before it and a slot of another type in its place."""
    split = [text.split() for text, _ in S.NER_TEMPLATES]

    def needs_after(k):
        words = split[k]
        for i, w in enumerate(words):
            if not w.startswith("{"):
                continue
            if i == 0:
                return True
            mine = _SLOT_TAG[w[1:-1]]
            for j, other in enumerate(split):
                if j != k and len(other) > i and other[:i] == words[:i] and other[i].startswith("{") \
                        and _SLOT_TAG[other[i][1:-1]] != mine:
                    return True
        return False

    flags = [flag for _, flag in S.NER_TEMPLATES]
    assert flags == [needs_after(k) for k in range(len(split))]
    assert set(S.CONTEXT_TEMPLATES) == {k for k, f in enumerate(flags) if f}
    assert 0.3 < np.mean(flags) < 0.7
    # every entity type opens some sentence, so "first word -> PER" is not a rule
    assert {_slot_tags(split_text)[0] for split_text, _ in S.NER_TEMPLATES} >= {"PER", "LOC", "DATE"}


def test_ambiguous_names_are_names_and_cities_or_months():
    names, cities = set(first_names()), {c for c in load_cities()}
    assert {"Paris", "Houston", "April", "June"} <= set(S.AMBIGUOUS_NAMES)
    for word in S.AMBIGUOUS_NAMES:
        assert word in names and (word in cities or word in MONTHS)


# ------------------------------------------------------------------ NER: loader
@pytest.fixture(scope="module")
def ner():
    return S.load_ner(seed=0, n=(800, 100, 300))


def test_load_ner_splits_entities_so_test_names_and_cities_are_unseen(ner):
    def entities(split, kind):
        return {tuple(s[a:b]) for s, t in zip(split.sentences, split.tags)
                for a, b, k in S.entity_spans(t) if k == kind}

    shared = set(S.AMBIGUOUS_NAMES)
    train_names = {p[0] for p in entities(ner.train, "PER")}
    test_names = {p[0] for p in entities(ner.test, "PER")}
    assert (train_names & test_names) <= shared and test_names - shared
    train_cities, test_cities = entities(ner.train, "LOC"), entities(ner.test, "LOC")
    assert {c for c in train_cities & test_cities if not (len(c) == 1 and c[0] in shared)} == set()
    assert test_cities - train_cities


def test_load_ner_arrays_match_the_tokens(ner):
    assert ner.tag_vocab.itos == list(S.TAGS)
    assert ner.vocab.itos[:2] == ["<pad>", "<unk>"]
    for split in (ner.train, ner.val, ner.test):
        N = len(split.sentences)
        assert split.ids.shape == split.tag_ids.shape == (N, split.lengths.max())
        assert split.lengths.tolist() == [len(s) for s in split.sentences]
        for n in (0, N // 2, N - 1):
            T_n = split.lengths[n]
            assert ner.tag_vocab.to_tokens(split.tag_ids[n, :T_n]) == split.tags[n]
            expected = [w if w in ner.vocab else "<unk>" for w in split.sentences[n]]
            assert ner.vocab.to_tokens(split.ids[n, :T_n]) == expected
            assert np.all(split.ids[n, T_n:] == 0)
    # min_freq=2: a training word seen once is <unk>, so <unk> occurs in training too
    assert np.any(ner.train.ids == ner.vocab.unk_id)


def test_load_ner_is_deterministic_and_seeded():
    a, b = S.load_ner(seed=5, n=(50, 10, 10)), S.load_ner(seed=5, n=(50, 10, 10))
    c = S.load_ner(seed=6, n=(50, 10, 10))
    assert a.test.sentences == b.test.sentences and np.array_equal(a.train.ids, b.train.ids)
    assert a.test.sentences != c.test.sentences


def test_load_ner_rejects_bad_sizes():
    with pytest.raises(ValueError, match="n must be three sizes"):
        S.load_ner(n=(10, 10))
    with pytest.raises(ValueError, match="entity_fractions"):
        S.load_ner(n=(10, 10, 10), entity_fractions=(0.5, 0.5, 0.0))


# ------------------------------------------------------------------ dates
def _parse_source(text, fmt):
    """An independent reading of each format -> datetime.date."""
    months = {m: i + 1 for i, m in enumerate(MONTHS)}
    abbr = {m[:3]: i + 1 for i, m in enumerate(MONTHS)}

    def yy(s):
        return 1900 + int(s) if int(s) >= 50 else 2000 + int(s)

    def ordinal(day, suffix):
        assert suffix == SUFFIX.get(int(day), "th"), (text, suffix)
        return int(day)

    rules = {
        "weekday_long": (r"(\w+), (\w+) (\d{1,2}), (\d{4})", lambda m: (m[4], months[m[2]], m[3], m[1])),
        "dmy_dots_short": (r"(\d\d)\.(\d\d)\.(\d\d)", lambda m: (yy(m[3]), m[2], m[1], None)),
        "mon_d_y": (r"([A-Z][a-z]{2}) (\d{1,2}) (\d{4})", lambda m: (m[3], abbr[m[1]], m[2], None)),
        "d_month_y": (r"(\d{1,2}) ([A-Z][a-z]+) (\d{4})", lambda m: (m[3], months[m[2]], m[1], None)),
        "us_slashes": (r"(\d{1,2})/(\d{1,2})/(\d{4})", lambda m: (m[3], m[1], m[2], None)),
        "month_d_comma_y": (r"([A-Z][a-z]+) (\d{1,2}), (\d{4})", lambda m: (m[3], months[m[1]], m[2], None)),
        "d_mon_y_dashes": (r"(\d\d)-([A-Z][a-z]{2})-(\d{4})", lambda m: (m[3], abbr[m[2]], m[1], None)),
        "wkd_d_mon_y": (r"([A-Z][a-z]{2}) (\d{1,2}) ([A-Z][a-z]{2}) (\d{4})",
                        lambda m: (m[4], abbr[m[3]], m[2], m[1])),
        "ordinal_of": (r"the (\d{1,2})([a-z]{2}) of ([A-Z][a-z]+) (\d{4})",
                       lambda m: (m[4], months[m[3]], ordinal(m[1], m[2]), None)),
        "mon_upper": (r"([A-Z]{3}) (\d{1,2}), (\d{4})", lambda m: (m[3], abbr[m[1].title()], m[2], None)),
        "lower_ordinal": (r"([a-z]+) (\d{1,2})([a-z]{2}) (\d{4})",
                          lambda m: (m[4], months[m[1].title()], ordinal(m[2], m[3]), None)),
        "dmy_dots": (r"(\d{1,2})\.(\d{1,2})\.(\d{4})", lambda m: (m[3], m[2], m[1], None)),
        "ymd_slashes": (r"(\d{4})/(\d\d)/(\d\d)", lambda m: (m[1], m[2], m[3], None)),
        "mon_dot": (r"([A-Z][a-z]{2})\.? (\d{1,2}), (\d{4})", lambda m: (m[3], abbr[m[1]], m[2], None)),
    }
    pattern, get = rules[fmt]
    m = re.fullmatch(pattern, text)
    assert m, f"{text!r} does not read as format {fmt}"
    year, month, day, weekday = get(m)
    date = dt.date(int(year), int(month), int(day))
    if weekday is not None:
        assert WEEKDAYS[date.weekday()].startswith(weekday), (text, date)
    return date


def test_every_target_is_the_iso_form_of_the_source_date():
    pairs = S.make_dates(3000, seed=0)
    for src, tgt, fmt, date in zip(*pairs):
        assert re.fullmatch(r"\d{4}-\d\d-\d\d", tgt)
        assert dt.date.fromisoformat(tgt) == date
        assert _parse_source(src, fmt) == date, (src, tgt)
        assert S.FIRST_DATE <= date <= S.LAST_DATE


def test_date_formats_vary():
    pairs = S.make_dates(2000, seed=1)
    assert set(pairs.formats) == set(S.DATE_FORMATS) and len(S.DATE_FORMATS) >= 10
    # the examples are among them
    day = dt.date(2039, 2, 15)
    written = {f(day) for f in S.DATE_FORMATS.values()}
    assert {"Tuesday, February 15, 2039", "15.02.39", "Feb 15 2039", "15 February 2039",
            "2/15/2039"} <= written
    assert len(written) == len(S.DATE_FORMATS)
    lengths = [len(s) for s in pairs.sources]
    assert min(lengths) <= 8 and max(lengths) >= 25


def test_make_dates_is_deterministic_distinct_and_bounded():
    a, b, c = S.make_dates(300, seed=2), S.make_dates(300, seed=2), S.make_dates(300, seed=3)
    assert a == b and a.sources != c.sources
    assert len(set(a.dates)) == 300
    with pytest.raises(ValueError, match="at most 36,525"):
        S.make_dates(40_000)


def test_two_digit_years_pivot_at_50():
    assert [S.parse_two_digit_year(y) for y in (50, 99, 0, 49)] == [1950, 1999, 2000, 2049]


def test_load_dates_arrays_and_vocabularies():
    data = S.load_dates(seed=0, n=(400, 50, 60))
    sv, tv = data.src_vocab, data.tgt_vocab
    assert sv.itos[:3] == tv.itos[:3] == ["<pad>", "<bos>", "<eos>"]
    assert sorted(tv.itos[3:]) == sorted("0123456789-")
    for split, N in ((data.train, 400), (data.val, 50), (data.test, 60)):
        assert split.src.shape == (N, split.src_lengths.max()) and split.tgt.shape == (N, 11)
        assert split.tgt_mask.all()
        for n in range(0, N, 7):
            assert sv.decode(split.src[n, :split.src_lengths[n]]) == split.sources[n]
            assert np.all(split.src[n, split.src_lengths[n]:] == sv.pad_id)
            assert tv.decode(split.tgt[n, :10]) == split.targets[n] and split.tgt[n, 10] == tv.eos_id
    # no test day occurs in training, in any format
    assert not set(data.test.dates) & set(data.train.dates)
    # the source vocabulary covers every format (no <unk> exists to hide a gap)
    for f in S.DATE_FORMATS.values():
        sv.encode(f(dt.date(1987, 9, 23)))
    again = S.load_dates(seed=0, n=(400, 50, 60))
    assert np.array_equal(again.test.src, data.test.src)
