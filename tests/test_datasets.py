"""Tests of rnn_course.datasets: the bundled files, the loaders, Vocab and the tokenizers."""

import hashlib
import importlib.util
import re
from pathlib import Path

import numpy as np
import pytest

from rnn_course import datasets as D
from rnn_course.datasets import Vocab, char_tokenize, split_indices, word_tokenize

ROOT = Path(__file__).resolve().parent.parent
DATA_FILES = sorted(p for p in D.DATA_DIR.iterdir() if p.is_file() and p.name != "README.md")
# A reply/forward marker or a closed [list] tag at the start ("[IMG: http://..." is cut-off text).
TAG = re.compile(r"^\s*(?:(?:re|fwd?|aw|sv|wg|tr)\s*(?:\[\d+\])?\s*:|\[[^\]]*\])", re.IGNORECASE)


def _build_script():
    spec = importlib.util.spec_from_file_location("build_data", ROOT / "scripts" / "build_data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ------------------------------------------------------------------ files and provenance
def test_data_files_are_all_there_and_small():
    names = {p.name for p in DATA_FILES}
    assert names == {"sentiment.tsv", "spam_subjects.tsv", "moby_dick.txt", "first_names.tsv",
                     "digits.npz", "cities.tsv", "sunspots.csv"}
    total = sum(p.stat().st_size for p in D.DATA_DIR.iterdir() if p.is_file())
    assert total < 3_000_000, f"bundled data is {total:,} bytes; the limit is 3 MB"


@pytest.mark.parametrize("path", DATA_FILES, ids=lambda p: p.name)
def test_every_data_file_has_a_provenance_entry(path):
    readme = (D.DATA_DIR / "README.md").read_text(encoding="utf-8")
    sections = re.split(r"^## ", readme, flags=re.MULTILINE)
    entry = [s for s in sections if s.startswith(f"`{path.name}`")]
    assert len(entry) == 1, f"README.md has no '## `{path.name}`' section"
    for field in ("**Source:**", "**Licence:**", "**Citation:**", "**Size:**", "**Derived:**"):
        assert field in entry[0], f"the {path.name} entry lacks {field}"
    # The table row states the file's current size and hash, so it cannot go stale.
    data = path.read_bytes()
    row = next(line for line in readme.splitlines() if line.startswith(f"| `{path.name}`"))
    assert f"| {len(data):,} |" in row
    assert hashlib.sha256(data).hexdigest()[:16] in row


def test_data_ships_with_the_package():
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(r'\[tool\.setuptools\.package-data\]\s*\n(?:#.*\n)*rnn_course = \["data/\*"\]', text)


# ------------------------------------------------------------------ tokenizers
def test_word_tokenize_splits_words_and_punctuation():
    assert word_tokenize("Wow... Loved this place!") == ["wow", ".", ".", ".", "loved", "this", "place", "!"]
    assert word_tokenize("I don’t  like it, 10/10") == ["i", "don't", "like", "it", ",", "10", "/", "10"]
    assert word_tokenize("") == []
    with pytest.raises(TypeError, match="word_tokenize: text must be a str"):
        word_tokenize(["a"])


def test_char_tokenize_keeps_every_character():
    assert char_tokenize("Hi, Ahab\n") == ["H", "i", ",", " ", "A", "h", "a", "b", "\n"]
    with pytest.raises(TypeError, match="char_tokenize"):
        char_tokenize(3)


# ------------------------------------------------------------------ Vocab
def test_vocab_ids_specials_first_then_by_frequency():
    v = Vocab(["b", "a", "b", "c", "b", "a"], specials=("<pad>", "<unk>"))
    assert v.itos == ["<pad>", "<unk>", "b", "a", "c"]
    assert v.stoi == {t: i for i, t in enumerate(v.itos)}
    assert len(v) == 5 and v.pad_id == 0 and v.unk_id == 1 and v.bos_id is None
    assert "a" in v and "z" not in v


def test_vocab_min_freq_and_max_size():
    toks = ["a"] * 3 + ["b"] * 2 + ["c"]
    assert Vocab(toks, min_freq=2).itos == ["<pad>", "<unk>", "a", "b"]
    assert Vocab(toks, max_size=1).itos == ["<pad>", "<unk>", "a"]


def test_vocab_round_trip_words():
    sentences = [word_tokenize("The food was great."), word_tokenize("The service was slow!")]
    v = Vocab(sentences)
    for toks in sentences:
        assert v.to_tokens(v.encode(toks)) == toks
    assert v.decode(v.encode("The food was slow!")) == "the food was slow !"


def test_vocab_round_trip_chars_with_bos_eos():
    v = Vocab("call me ishmael", specials=("<pad>", "<bos>", "<eos>"), level="char")
    ids = v.encode("ishmael", add_bos=True, add_eos=True)
    assert ids[0] == v.bos_id and ids[-1] == v.eos_id and len(ids) == 9
    assert v.decode(ids, skip_specials=True) == "ishmael"
    assert v.decode(np.array(ids[1:-1])) == "ishmael"


def test_unknown_tokens_map_to_unk():
    v = Vocab(["a", "b"])
    assert v.encode(["a", "zebra", "b"]) == [v.stoi["a"], v.unk_id, v.stoi["b"]]
    assert v.decode(v.encode(["zebra"])) == "<unk>"


def test_unknown_token_without_unk_is_a_clear_error():
    v = Vocab(["a"], specials=("<pad>",))
    with pytest.raises(ValueError, match=r"token 'q' is not in the vocabulary and there is no '<unk>'"):
        v.encode(["a", "q"])
    v = Vocab(["a"], specials=("<pad>", "<bos>"))      # with add_bos the ids are one ahead of the tokens
    with pytest.raises(ValueError, match=r"token 'q' is not in the vocabulary"):
        v.encode(["a", "q", "r"], add_bos=True)


@pytest.mark.parametrize("call, exc, message", [
    (lambda: Vocab("some text"), TypeError, "for level='word' pass a list of tokens"),
    (lambda: Vocab(["a"], specials=("<unk>", "<pad>")), ValueError, "'<pad>' must be the first special"),
    (lambda: Vocab(["a"], specials=("<unk>", "<unk>")), ValueError, "duplicate"),
    (lambda: Vocab(["a"], level="byte"), ValueError, "level must be one of 'word', 'char'"),
    (lambda: Vocab(["a"], min_freq=0), ValueError, "min_freq must be at least 1"),
    (lambda: Vocab([1, 2]), TypeError, "tokens must be strings or lists of strings"),
    (lambda: Vocab(["a"]).encode(["a"], add_bos=True), ValueError, "add_bos=True but this vocabulary has no '<bos>'"),
    (lambda: Vocab(["a"]).encode(5), TypeError, "tokens must be a str or a list of str tokens"),
    (lambda: Vocab(["a"]).decode([0, 3]), ValueError, r"ids\[1\] = 3 is outside 0..V-1 for this vocabulary of V = 3"),
    (lambda: Vocab(["a"]).decode([[0]]), ValueError, r"expected \(T,\)"),
    (lambda: Vocab(["a"]).decode([0.5]), TypeError, "ids must be integers"),
])
def test_vocab_rejects_bad_input_with_a_sentence(call, exc, message):
    with pytest.raises(exc, match=message):
        call()


# ------------------------------------------------------------------ splitting
def test_split_indices_disjoint_covering_and_seeded():
    a = split_indices(1000, (0.8, 0.1, 0.1), seed=0)
    assert [len(x) for x in a] == [800, 100, 100]
    assert sorted(np.concatenate(a).tolist()) == list(range(1000))
    b = split_indices(1000, (0.8, 0.1, 0.1), seed=0)
    c = split_indices(1000, (0.8, 0.1, 0.1), seed=1)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not np.array_equal(a[2], c[2])


def test_split_indices_keeps_groups_together():
    groups = [i // 3 for i in range(300)]  # 100 groups of 3
    parts = split_indices(300, (0.6, 0.2, 0.2), seed=4, groups=groups)
    seen = [{groups[i] for i in part} for part in parts]
    assert not (seen[0] & seen[1]) and not (seen[0] & seen[2]) and not (seen[1] & seen[2])
    assert [len(s) for s in seen] == [60, 20, 20]


@pytest.mark.parametrize("kwargs, exc, message", [
    (dict(n=0), ValueError, "n must be at least 1"),
    (dict(n=10, seed=-1), ValueError, "seed must be at least 0"),
    (dict(n=10, seed=1.5), TypeError, "seed must be an integer"),
    (dict(n=10, fractions=(0.5, 0.5)), ValueError, "fractions must be three non-negative numbers"),
    (dict(n=10, fractions=(0.8, 0.3, 0.1)), ValueError, "add up to 1"),
    (dict(n=10, fractions="abc"), TypeError, "fractions must be three numbers"),
    (dict(n=10, groups=[1, 2]), ValueError, "groups must hold one key per example, N = 10"),
    (dict(n=2, fractions=(0.1, 0.45, 0.45)), ValueError, "leave no training example"),
])
def test_split_indices_rejects_bad_arguments(kwargs, exc, message):
    with pytest.raises(exc, match="^split_indices: .*" + message):
        split_indices(**kwargs)


# ------------------------------------------------------------------ sentiment
def test_sentiment_counts():
    assert len(D.sentiment_sentences()) == 3000
    assert len(D.sentiment_sentences(label=1)) == len(D.sentiment_sentences(label=0)) == 1500
    for source in ("amazon", "imdb", "yelp"):
        assert len(D.sentiment_sentences(label=1, source=source)) == 500
        assert len(D.sentiment_sentences(label=0, source=source)) == 500
    text = "\n".join(D.sentiment_sentences())
    assert not re.search(r"[\x80-\x9f]", text), "C1 control characters left in the sentences"
    assert "Wow... Loved this place." in D.sentiment_sentences(source="yelp")


def _texts(ds):
    return [set(s.texts) for s in (ds.train, ds.val, ds.test)]


@pytest.mark.parametrize("loader", [D.load_sentiment, D.load_spam], ids=["sentiment", "spam"])
def test_splits_disjoint_deterministic_and_seed_dependent(loader):
    a, b, c = loader(seed=0), loader(seed=0), loader(seed=1)
    tr, va, te = _texts(a)
    assert not (tr & va) and not (tr & te) and not (va & te)  # no text in two splits
    for x, y in zip((a.train, a.val, a.test), (b.train, b.val, b.test)):
        assert x.texts == y.texts and x.ids == y.ids and np.array_equal(x.labels, y.labels)
    assert a.vocab.itos == b.vocab.itos
    assert a.test.texts != c.test.texts


def test_load_sentiment_shapes_and_unknown_words():
    ds = D.load_sentiment()
    n = [len(s.texts) for s in (ds.train, ds.val, ds.test)]
    assert sum(n) == 3000 and abs(n[1] - 300) <= 5 and abs(n[2] - 300) <= 5
    assert ds.classes == ("negative", "positive") and ds.vocab.pad_id == 0 and ds.vocab.unk_id == 1
    for split in (ds.train, ds.val, ds.test):
        assert split.labels.shape == (len(split.texts),) and split.labels.dtype == np.int64
        assert split.lengths.tolist() == [len(ids) for ids in split.ids]
        assert 0.4 < split.labels.mean() < 0.6
    # The vocabulary is the training split's: in val, exactly the unseen words are <unk>.
    train_words = {t for text in ds.train.texts for t in word_tokenize(text)}
    for text, ids in zip(ds.val.texts, ds.val.ids):
        toks = word_tokenize(text)
        assert [t not in train_words for t in toks] == [i == ds.vocab.unk_id for i in ids]
    assert any(ds.vocab.unk_id in ids for ids in ds.val.ids)
    assert all(ds.vocab.unk_id not in ids for ids in ds.train.ids)


# ------------------------------------------------------------------ spam
def test_spam_counts():
    assert len(D.spam_subjects()) == 6046
    assert len(D.spam_subjects(label=1)) == 1896
    assert len(D.spam_subjects(label=0)) == 4150


def test_no_leading_reply_or_list_tags_left():
    left = [s for s in D.spam_subjects() if TAG.match(s)]
    assert left == [], f"subjects still starting with a tag: {left[:5]}"


def test_subject_tag_stripping_rule():
    strip = _build_script().strip_subject_tags
    assert strip("Re: [ILUG] RE: Fwd: hello") == "hello"
    assert strip("[zzzzteana] Re[2]: AW: Fw: SV: news") == "news"
    assert strip("FW:  Re:[SA] offer") == "offer"
    assert strip("Reading list: Re: later") == "Reading list: Re: later"  # only leading tags go
    assert strip("Regards: none") == "Regards: none"
    assert strip("Re: [meta-forkage]") == ""


def test_load_spam_drops_only_empty_subjects():
    full = D.load_spam(drop_empty=False)
    ds = D.load_spam()
    n_full = sum(len(s.texts) for s in (full.train, full.val, full.test))
    n = sum(len(s.texts) for s in (ds.train, ds.val, ds.test))
    assert n_full == 6046 and n == 6046 - sum(not word_tokenize(s) for s in D.spam_subjects())
    assert all(len(ids) > 0 for s in (ds.train, ds.val, ds.test) for ids in s.ids)
    assert sum(int(s.labels.sum()) for s in (ds.train, ds.val, ds.test)) > 1850
    assert ds.classes == ("ham", "spam")


# ------------------------------------------------------------------ Moby-Dick
def test_moby_dick_text_and_consecutive_splits():
    text = D.moby_dick_text()
    assert text.startswith("CHAPTER 1. Loomings.\n\nCall me Ishmael.")
    assert 250_000 < len(text) < 310_000
    corpus = D.load_moby_dick(fractions=(0.9, 0.05, 0.05))
    v = corpus.vocab
    assert v.specials == () and len(v) == len(set(text)) and corpus.chapters is None
    assert corpus.train.dtype == np.int64 and corpus.train.ndim == 1
    assert v.decode(np.concatenate([corpus.train, corpus.val, corpus.test])) == text
    assert abs(len(corpus.val) / len(text) - 0.05) < 1e-3
    small = D.load_moby_dick(fractions=(0.5, 0.25, 0.25), n_chars=1000)
    assert (len(small.train), len(small.val), len(small.test)) == (500, 250, 250)
    assert small.text == text[:1000]


def test_moby_dick_is_split_by_whole_chapters_without_overlap():
    text = D.moby_dick_text()
    corpus = D.load_moby_dick()
    v = corpus.vocab
    assert len(v) == len(set(text)) and corpus.text == text
    chapters = re.split(r"(?<=\n)(?=CHAPTER \d+\. )", text)              # 32 chapters, in order
    assert len(chapters) == 32 and "".join(chapters) == text
    val, test = (5, 15, 25), (10, 20, 30)
    assert (D.MOBY_VAL_CHAPTERS, D.MOBY_TEST_CHAPTERS) == (val, test)
    assert v.decode(corpus.val) == "".join(chapters[c - 1] for c in val)
    assert v.decode(corpus.test) == "".join(chapters[c - 1] for c in test)
    assert v.decode(corpus.train) == "".join(ch for c, ch in enumerate(chapters, 1) if c not in val + test)
    assert len(corpus.train) + len(corpus.val) + len(corpus.test) == len(text)
    assert corpus.chapters["val"] == ("CHAPTER 5. Breakfast.", "CHAPTER 15. Chowder.", "CHAPTER 25. Postscript.")
    assert corpus.chapters["test"][0] == "CHAPTER 10. A Bosom Friend."
    assert len(corpus.chapters["train"]) == 26 and corpus.chapters["train"][-1] == "CHAPTER 32. Cetology."
    other = D.load_moby_dick(val_chapters=[1], test_chapters=[2])
    assert v.decode(other.val) == chapters[0] and v.decode(other.test) == chapters[1]


@pytest.mark.parametrize("kwargs, error, words", [
    ({"n_chars": 1000}, ValueError, "n_chars needs fractions"),
    ({"val_chapters": (5, 10)}, ValueError, r"chapters \[10\] are in both"),
    ({"test_chapters": (0,)}, ValueError, "distinct chapter numbers from 1 to 32"),
    ({"val_chapters": (3, 3)}, ValueError, "distinct chapter numbers"),
    ({"val_chapters": ()}, ValueError, "distinct chapter numbers"),
    ({"val_chapters": "five"}, TypeError, "val_chapters must be chapter numbers"),
])
def test_moby_dick_chapter_split_errors(kwargs, error, words):
    with pytest.raises(error, match=words):
        D.load_moby_dick(**kwargs)


# ------------------------------------------------------------------ names
def test_first_names_counts_and_order():
    assert len(D.first_names("female")) == 4275
    assert len(D.first_names("male")) == 1219
    both = D.first_names()
    assert len(both) == len(set(both)) == 5163
    assert both[:2] == ["James", "John"] and D.first_names("female")[0] == "Mary"
    freq = D.name_frequencies("male")
    assert freq["James"] == pytest.approx(3.318)


def test_load_names_char_data():
    ds = D.load_names()
    assert ds.vocab.level == "char" and ds.vocab.itos[:3] == ["<pad>", "<bos>", "<eos>"]
    assert set(ds.vocab.itos[3:]) == set("abcdefghijklmnopqrstuvwxyz")
    name, ids = ds.train.texts[0], ds.train.ids[0]
    assert ds.vocab.decode(ids) == name and name.islower()
    assert sum(len(s.texts) for s in (ds.train, ds.val, ds.test)) == 5163
    labels = dict(zip(ds.train.texts + ds.val.texts + ds.test.texts,
                      np.concatenate([ds.train.labels, ds.val.labels, ds.test.labels])))
    assert labels["james"] == 1 and labels["mary"] == 0


# ------------------------------------------------------------------ digits, cities, sunspots
def test_digits_shapes_and_ranges():
    ds = D.load_digits()
    n = [len(s.labels) for s in (ds.train, ds.val, ds.test)]
    assert sum(n) == 1797 and n[1] == n[2] == 180
    images = np.concatenate([ds.train.images, ds.val.images, ds.test.images])
    labels = np.concatenate([ds.train.labels, ds.val.labels, ds.test.labels])
    assert images.shape == (1797, 8, 8) and images.dtype == np.float64
    assert images.min() == 0.0 and images.max() == 1.0
    assert np.array_equal(images * 16, np.round(images * 16))  # pixel counts 0..16
    assert labels.dtype == np.int64 and set(labels.tolist()) == set(range(10))
    assert np.bincount(labels).min() >= 170
    assert ds.classes[7] == "seven"


def test_cities():
    cities = D.load_cities()
    assert 300 <= len(cities) <= 500 and len(cities) == len(set(cities))
    assert {"Tokyo", "London", "Paris", "Cairo", "Seoul", "Nairobi"} <= set(cities)
    assert all(c and "\t" not in c for c in cities)


def test_sunspots():
    s = D.load_sunspots()
    assert s.years.shape == s.counts.shape == (309,)
    assert s.years[0] == 1700 and s.years[-1] == 2008 and np.all(np.diff(s.years) == 1)
    assert s.counts.min() >= 0 and 150 < s.counts.max() < 200


# ------------------------------------------------------------------ argument checking
@pytest.mark.parametrize("call, exc, message", [
    (lambda: D.load_sentiment(seed=-1), ValueError, "load_sentiment: seed must be at least 0"),
    (lambda: D.load_sentiment(seed="0"), TypeError, "load_sentiment: seed must be an integer"),
    (lambda: D.load_sentiment(fractions=(1, 1, 1)), ValueError, "load_sentiment: fractions"),
    (lambda: D.load_sentiment(min_freq=0), ValueError, "load_sentiment: min_freq must be at least 1"),
    (lambda: D.load_spam(drop_empty="yes"), TypeError, "load_spam: drop_empty must be True or False"),
    (lambda: D.load_moby_dick(n_chars=0), ValueError, "load_moby_dick: n_chars must be at least 3"),
    (lambda: D.load_moby_dick(fractions=(0, 0.5, 0.5)), ValueError, "load_moby_dick: fractions"),
    (lambda: D.load_names(sex="f"), ValueError, "load_names: sex must be one of 'female', 'male'; got 'f'"),
    (lambda: D.load_names(lowercase=None), TypeError, "load_names: lowercase must be True or False"),
    (lambda: D.load_digits(seed=2.0), TypeError, "load_digits: seed must be an integer"),
    (lambda: D.sentiment_sentences(label=2), ValueError, "sentiment_sentences: label must be one of 0, 1"),
    (lambda: D.sentiment_sentences(source="twitter"), ValueError, "source must be one of 'amazon'"),
    (lambda: D.spam_subjects(label="spam"), ValueError, "spam_subjects: label must be one of 0, 1"),
    (lambda: D.first_names(sex="M"), ValueError, "first_names: sex must be one of"),
    (lambda: D.name_frequencies(sex=1), ValueError, "name_frequencies: sex must be one of"),
])
def test_loaders_reject_bad_arguments_with_a_sentence(call, exc, message):
    with pytest.raises(exc, match=message):
        call()


def test_returned_data_is_a_fresh_copy():
    D.sentiment_sentences().clear()
    D.load_digits().train.images[:] = -1
    assert len(D.sentiment_sentences()) == 3000
    assert D.load_digits().train.images.min() == 0.0
