"""rnn_course.plots.sequences: chapter 1's figures draw every token they are given."""

import numpy as np
import pytest

from rnn_course import Embedding
from rnn_course.layers import pad_sequences
from rnn_course.plots import sequences
from rnn_course.text import Vocab, word_tokenize
import figures

SENTENCES = ["Needless to say, I wasted my money.", "The mic is great.", "Very good quality though"]


@pytest.fixture(scope="module")
def vocab():
    return Vocab([word_tokenize(s) for s in SENTENCES])


def test_sentence_to_batch_draws_every_token_and_the_true_shape(vocab):
    fig = sequences.sentence_to_batch(SENTENCES, vocab)
    top, grid, side = fig.axes
    tokens = [word_tokenize(s) for s in SENTENCES]
    ids, lengths = pad_sequences([vocab.encode(t) for t in tokens], pad_value=vocab.pad_id)
    N, T = ids.shape
    assert (N, T) == (3, 9)              # the first sentence has 9 tokens: none may be cut off
    # top: one box per token of the first sentence, its id below it
    shown = figures.texts(top)
    assert all(tok in shown for tok in tokens[0])
    assert [int(s) for s in shown if s.isdigit()] == list(ids[0])
    # grid: the title names the shape, every cell its id, the ticks t = 1 ... T
    assert grid.get_title(loc="left") == f"padded ids, shape (N, T) = ({N}, {T})"
    cells = sorted((round(t.get_position()[1]), round(t.get_position()[0]), int(t.get_text())) for t in grid.texts)
    assert cells == sorted((n, t, int(ids[n, t])) for n in range(N) for t in range(T))
    assert [t.get_text() for t in grid.get_xticklabels()] == [str(t) for t in range(1, T + 1)]
    assert grid.get_images()[0].get_array().shape == (N, T)
    # the mask: one row per sentence with its true length
    rows = [s for s in figures.texts(side) if "length" in s]
    assert len(rows) == N
    for row, length in zip(rows, lengths):
        marks, _, n = row.partition("  length ")
        assert int(n) == length and marks.count("■") == length and len(marks) == T


def test_sentence_to_batch_rejects_a_bare_string(vocab):
    with pytest.raises(ValueError, match="non-empty list"):
        sequences.sentence_to_batch("one sentence", vocab)


def test_one_hot_vs_embedding_marks_every_id_and_names_the_shapes():
    V, d = 4598, 8                       # a vocabulary far wider than the figure is in pixels
    ids = np.array([1110, 10, 130, 4, 6, 564, 22, 191, 2, V - 1])
    E = Embedding(V, d, seed=0).params["weight"]
    tokens = [f"w{i}" for i in range(len(ids))]
    fig = sequences.one_hot_vs_embedding(ids, V, E, tokens=tokens)
    a, b = fig.axes
    assert a.get_title(loc="left") == f"one-hot: (T, V) = ({len(ids)}, {V})"
    assert b.get_title(loc="left") == f"embedded: (T, d) = ({len(ids)}, {d})"
    # one bar per row, at the column of its id, and the id written beside it
    bars = a.get_lines()
    assert len(bars) == len(ids)
    for t, (bar, k) in enumerate(zip(bars, ids)):
        x, y = bar.get_data()
        assert np.all(np.asarray(x) == k) and np.isclose(np.mean(y), t)
    assert [int(t.get_text()) for t in a.texts] == list(ids)
    assert a.get_xlim() == (-0.5, V - 0.5)
    # the word vectors are the table's rows, all d of them, and every row is labelled
    assert np.array_equal(b.get_images()[0].get_array(), E[ids])
    for ax in (a, b):
        assert [t.get_text() for t in ax.get_yticklabels()] == tokens


def test_one_hot_vs_embedding_numbers_rows_without_tokens():
    E = np.zeros((5, 3))
    a, _ = sequences.one_hot_vs_embedding([2, 0, 4], 5, E).axes
    assert [t.get_text() for t in a.get_yticklabels()] == ["1", "2", "3"]


def test_one_hot_vs_embedding_errors():
    E = np.zeros((5, 3))
    with pytest.raises(ValueError, match=r"expected \(V, d\) with V = 6"):
        sequences.one_hot_vs_embedding([1, 2], 6, E)
    with pytest.raises(ValueError, match=r"ids must lie in \[0, V\)"):
        sequences.one_hot_vs_embedding([1, 5], 5, E)
    with pytest.raises(ValueError, match="3 tokens for T = 2"):
        sequences.one_hot_vs_embedding([1, 2], 5, E, tokens=["a", "b", "c"])
