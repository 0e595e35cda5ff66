"""Tests for rnn_course.models and rnn_course.train: every model's loss
gradient against finite differences, and each model learning a small task
that needs its topology."""

import numpy as np
import pytest

import rnn_course as rc
from rnn_course.gradcheck import check_model_gradients
from rnn_course.models import (Captioner, CharLM, ManyToOneClassifier, Seq2Seq, SequenceTagger,
                               sample_logits)
from rnn_course.train import History, fit

TOL = 1e-5  # through a whole model the loss sums many terms: central differences resolve ~1e-5 relative
CELLS = ["rnn", "lstm", "gru"]


def _ragged(rng, N, T, V, low=1):
    lengths = rng.integers(low, T + 1, N)
    lengths[0] = T
    ids = rng.integers(1, V, (N, T))
    ids[np.arange(T)[None, :] >= lengths[:, None]] = 0
    return ids, lengths


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_classifier_gradients(cell, bidirectional):
    rng = np.random.default_rng(0)
    ids, lengths = _ragged(rng, 3, 4, 6)
    m = ManyToOneClassifier(6, 3, 4, 2, cell=cell, num_layers=2, bidirectional=bidirectional, seed=1)
    report = check_model_gradients(m, ids, lengths, np.array([0, 1, 1]))
    assert report.ok(TOL), str(report)


@pytest.mark.parametrize("cell", CELLS)
def test_tagger_gradients(cell):
    rng = np.random.default_rng(1)
    ids, lengths = _ragged(rng, 3, 4, 6)
    m = SequenceTagger(6, 3, 4, 3, cell=cell, bidirectional=True, seed=2)
    report = check_model_gradients(m, ids, lengths, rng.integers(0, 3, (3, 4)))
    assert report.ok(TOL), str(report)


@pytest.mark.parametrize("feed_context", [True, False])
@pytest.mark.parametrize("cell", CELLS)
def test_seq2seq_gradients(cell, feed_context):
    rng = np.random.default_rng(2)
    src, src_lengths = _ragged(rng, 3, 4, 6)
    tgt = rng.integers(2, 5, (3, 3))
    mask = np.array([[1, 1, 1], [1, 1, 0], [1, 0, 0]], dtype=bool)
    m = Seq2Seq(6, 5, 3, 4, bos=0, eos=1, cell=cell, seed=3, feed_context=feed_context)
    assert m.decoder.rnn.input_size == 3 + (4 if feed_context else 0)
    report = check_model_gradients(m, src, src_lengths, tgt, mask)
    assert report.ok(TOL), str(report)


@pytest.mark.parametrize("cell", CELLS)
def test_seq2seq_loss_ignores_padding_after_the_longest_source(cell):
    # Seq2Seq.loss runs the encoder only to the batch's longest source: extra
    # padded columns change neither the loss nor any gradient.
    rng = np.random.default_rng(7)
    src, src_lengths = _ragged(rng, 4, 5, 6)
    src_lengths = np.minimum(src_lengths, 3)
    src[np.arange(5)[None, :] >= src_lengths[:, None]] = 0  # the longest source has 3 steps, then 2 columns of padding
    tgt = rng.integers(2, 5, (4, 3))
    mask = np.ones((4, 3), dtype=bool)
    runs = []
    for s in (src[:, :3], src):
        m = Seq2Seq(6, 5, 3, 4, bos=0, eos=1, cell=cell, seed=3)
        loss = m.loss(s, src_lengths, tgt, mask)
        assert m.encoder._input_shape[1] == 3
        runs.append((loss, {name: g.copy() for name, _, g in m.parameters()}))
    (loss_a, grads_a), (loss_b, grads_b) = runs
    assert loss_a == pytest.approx(loss_b, rel=1e-12)
    for name in grads_a:
        np.testing.assert_allclose(grads_a[name], grads_b[name], rtol=1e-10, atol=1e-13, err_msg=name)


def test_seq2seq_loss_names_bad_source_lengths():
    m = Seq2Seq(6, 5, 3, 4, bos=0, eos=1, seed=3)
    with pytest.raises(ValueError, match=r"Seq2Seq.loss: lengths contains 6, but src has only T = 5 steps"):
        m.loss(np.ones((2, 5), dtype=int), np.array([5, 6]), np.ones((2, 3), dtype=int), np.ones((2, 3), bool))


@pytest.mark.parametrize("cell", CELLS)
def test_captioner_and_charlm_gradients(cell):
    rng = np.random.default_rng(3)
    cap = Captioner(5, 6, 3, 4, bos=0, eos=1, cell=cell, seed=4)
    report = check_model_gradients(cap, rng.standard_normal((2, 5)), rng.integers(1, 6, (2, 3)),
                                   np.ones((2, 3), dtype=bool))
    assert report.ok(TOL), str(report)
    lm = CharLM(5, 3, 4, cell=cell, num_layers=2, seed=5)
    ids = rng.integers(0, 5, (2, 5))
    report = check_model_gradients(lm, ids[:, :-1], ids[:, 1:])
    assert report.ok(TOL), str(report)


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_max_pooling_classifier_gradients(cell, bidirectional):
    rng = np.random.default_rng(6)
    ids, lengths = _ragged(rng, 3, 5, 6)
    m = ManyToOneClassifier(6, 3, 4, 2, cell=cell, bidirectional=bidirectional, seed=1, pooling="max")
    report = check_model_gradients(m, ids, lengths, np.array([0, 1, 1]))
    assert report.ok(TOL), str(report)


def test_max_pooling_is_the_maximum_over_real_steps_only():
    rng = np.random.default_rng(7)
    ids, lengths = _ragged(rng, 4, 6, 9)
    m = ManyToOneClassifier(9, 3, 4, 2, bidirectional=True, seed=0, pooling="max")
    m.forward(ids, lengths)
    output, _ = m.rnn.forward(m.embed.forward(ids), lengths=lengths)  # (N, T, 2D)
    expected = np.stack([output[n, :k].max(axis=0) for n, k in enumerate(lengths)])
    feats = np.take_along_axis(output, m._argmax[:, None, :], axis=1)[:, 0]
    np.testing.assert_array_equal(feats, expected)
    assert (m._argmax < lengths[:, None]).all()  # a pad step never wins
    noisy = ids.copy()
    noisy[np.arange(6)[None, :] >= lengths[:, None]] = 8
    np.testing.assert_allclose(m.forward(ids, lengths), m.forward(noisy, lengths), rtol=1e-12)


@pytest.mark.parametrize("pooling", ["mean", None, "MAX"])
def test_unknown_pooling_is_named(pooling):
    with pytest.raises(ValueError, match="ManyToOneClassifier: pooling must be 'last' or 'max'"):
        ManyToOneClassifier(6, 3, 4, 2, pooling=pooling)


def test_classifier_ignores_padding():
    rng = np.random.default_rng(4)
    m = ManyToOneClassifier(9, 3, 4, 2, bidirectional=True, seed=0)
    ids, lengths = _ragged(rng, 4, 6, 9)
    noisy = ids.copy()
    noisy[np.arange(6)[None, :] >= lengths[:, None]] = 8  # different padding tokens
    np.testing.assert_allclose(m.forward(ids, lengths), m.forward(noisy, lengths), rtol=1e-12)


def _contains_task(rng, N=256, T=8, V=6):
    """Label 1 iff token 5 occurs: needs the whole sequence, one label out."""
    ids, lengths = _ragged(rng, N, T, V, low=2)
    ids[ids == 5] = 4
    pos = rng.random(N) < 0.5
    where = (rng.random(N) * lengths).astype(int)
    ids[pos, where[pos]] = 5
    return ids, lengths, pos.astype(np.int64)


def test_classifier_learns_and_fit_is_deterministic():
    rng = np.random.default_rng(5)
    ids, lengths, y = _contains_task(rng)
    runs = []
    for _ in range(2):
        m = ManyToOneClassifier(6, 8, 16, 2, cell="gru", seed=0)
        history = fit(m, (ids, lengths, y), epochs=8, batch_size=32, lr=2e-2, seed=1, quiet=True,
                      evaluate=lambda m: {"accuracy": np.mean(m.predict(ids, lengths) == y)})
        runs.append(history)
    assert isinstance(runs[0], History) and len(runs[0].losses) == 8 * 8
    assert runs[0].losses == runs[1].losses  # same seed, same numbers
    assert runs[0].last("accuracy") > 0.95


def test_tagger_needs_to_look_ahead():
    """Tag t is the token at t+1: only the bidirectional tagger can see it."""
    rng = np.random.default_rng(6)
    N, T, V = 256, 6, 5
    ids = rng.integers(1, V, (N, T))
    lengths = np.full(N, T)
    tags = np.concatenate([ids[:, 1:], np.zeros((N, 1), dtype=int)], axis=1) % 2
    acc = {}
    for bi in (False, True):
        m = SequenceTagger(V, 8, 16, 2, bidirectional=bi, seed=0)
        fit(m, (ids, lengths, tags), epochs=10, batch_size=32, lr=2e-2, quiet=True)
        acc[bi] = np.mean(m.predict(ids, lengths)[:, :-1] == tags[:, :-1])
    assert acc[True] > 0.95 and acc[False] < 0.75, acc


def test_seq2seq_learns_to_reverse():
    rng = np.random.default_rng(7)
    N, S, V = 512, 4, 6  # tokens 2..5; 0 = <bos>, 1 = <eos>
    src = rng.integers(2, V, (N, S))
    tgt = np.concatenate([src[:, ::-1], np.ones((N, 1), dtype=int)], axis=1)
    mask = np.ones_like(tgt, dtype=bool)
    m = Seq2Seq(V, V, 8, 32, bos=0, eos=1, cell="gru", seed=0)
    fit(m, (src, np.full(N, S), tgt, mask), epochs=15, batch_size=32, lr=2e-2, quiet=True)
    out = m.translate(src[:64], np.full(64, S), max_len=S + 1)
    assert np.mean(np.all(out == tgt[:64], axis=1)) > 0.9


def test_captioner_spells_its_input():
    rng = np.random.default_rng(8)
    N = 256
    label = rng.integers(0, 3, N)
    images = np.eye(3)[label] + 0.1 * rng.standard_normal((N, 3))
    words = np.array([[2, 3, 1], [4, 1, 1], [3, 2, 4]])  # three "words", 1 = <eos>
    tgt = words[label]
    mask = np.array([[1, 1, 1], [1, 1, 0], [1, 1, 1]], dtype=bool)[label]
    m = Captioner(3, 5, 4, 16, bos=0, eos=1, cell="gru", seed=0)
    fit(m, (images, tgt, mask), epochs=20, batch_size=32, lr=2e-2, quiet=True)
    out = m.caption(images[:50], max_len=3)
    assert np.mean([np.array_equal(o[:m_.sum()], t[:m_.sum()]) for o, t, m_ in zip(out, tgt, mask)]) > 0.95


def test_charlm_beats_unigram_and_samples():
    text = "abcabcabd" * 40
    ids = np.array([ord(c) - ord("a") for c in text])
    X = np.stack([ids[i:i + 12] for i in range(0, len(ids) - 13, 3)])
    Y = np.stack([ids[i + 1:i + 13] for i in range(0, len(ids) - 13, 3)])
    m = CharLM(4, 8, 16, seed=0)
    history = fit(m, (X, Y), epochs=10, batch_size=16, lr=2e-2, quiet=True)
    p = np.bincount(ids, minlength=4) / len(ids)
    unigram = -np.sum(p * np.log(p))
    assert history.losses[-1] < 0.5 * unigram
    sample = m.sample([0, 1], 9, temperature=0)
    assert sample[:3] == [2, 0, 1]


def test_sample_logits_temperature():
    rng = np.random.default_rng(0)
    logits = np.log(np.array([[0.7, 0.2, 0.1]]))
    assert sample_logits(logits, 0)[0] == 0
    draws = np.array([sample_logits(logits, 1.0, rng)[0] for _ in range(4000)])
    np.testing.assert_allclose(np.bincount(draws, minlength=3) / 4000, [0.7, 0.2, 0.1], atol=0.03)
    cold = np.array([sample_logits(logits, 0.25, rng)[0] for _ in range(1000)])
    assert np.mean(cold == 0) > 0.95
    with pytest.raises(ValueError, match="temperature must be >= 0"):
        sample_logits(logits, -1)


def test_fit_errors():
    m = CharLM(4, 3, 4)
    with pytest.raises(ValueError, match=r"data\[1\] has 3 rows but data\[0\] has 4"):
        fit(m, (np.zeros((4, 2), dtype=int), np.zeros((3, 2), dtype=int)), quiet=True)
    with pytest.raises(ValueError, match="epochs must be a positive integer, got 0"):
        fit(m, (np.zeros((4, 2), dtype=int), np.zeros((4, 2), dtype=int)), epochs=0, quiet=True)
    with pytest.raises(ValueError, match="optimizer must be 'adam', 'sgd' or an optimizer object"):
        fit(m, (np.zeros((4, 2), dtype=int), np.zeros((4, 2), dtype=int)), optimizer="rmsprop", quiet=True)


def test_loss_curves_plot_every_run_and_the_metrics():
    import matplotlib
    matplotlib.use("Agg")
    from rnn_course.plots import training

    rng = np.random.default_rng(9)
    ids, lengths, y = _contains_task(rng, N=64)
    runs = {}
    for cell in ("rnn", "gru"):
        m = ManyToOneClassifier(6, 4, 8, 2, cell=cell, seed=0)
        runs[cell] = fit(m, (ids, lengths, y), epochs=2, batch_size=16, quiet=True,
                         evaluate=lambda m: {"accuracy": np.mean(m.predict(ids, lengths) == y)})
    fig = training.loss_curves(runs, smooth=3, baseline=("chance", np.log(2)))
    loss_ax, metric_ax = fig.axes
    assert [line.get_label() for line in loss_ax.get_lines()] == ["rnn", "gru", "chance"]
    smoothed = loss_ax.get_lines()[0].get_ydata()
    np.testing.assert_allclose(smoothed, np.convolve(runs["rnn"].losses, np.ones(3) / 3, mode="valid"))
    assert len(metric_ax.get_lines()) == 2
    assert len(training.loss_curves(runs["rnn"]).axes) == 2


def test_fit_reports_the_epoch_loss_over_the_epoch_tokens_not_a_mean_of_batch_means():
    """Issue 16 item 8: lengths [6, 6, 6, 6, 1] in batches of 4 leave a last batch of one token.
    With lr 1e-300 the model does not change, so the epoch's loss must equal the loss over all
    25 real tokens at once; the old mean of batch means gave the one-token batch the weight of 24."""
    rng = np.random.default_rng(0)
    lengths = np.array([6, 6, 6, 6, 1])
    ids = rng.integers(1, 7, (5, 6))
    tags = rng.integers(0, 3, (5, 6))
    m = SequenceTagger(7, 4, 5, 3, seed=0)
    over_tokens = m.loss(ids, lengths, tags)
    h = fit(m, (ids, lengths, tags), epochs=1, batch_size=4, lr=1e-300, optimizer="sgd", clip=None,
            shuffle=False, quiet=True)
    assert len(h.losses) == 2
    assert h.epochs[0]["loss"] == pytest.approx(over_tokens, rel=1e-12)
    assert abs(np.mean(h.losses) - over_tokens) > 1e-3  # the unweighted mean is measurably off
    assert m.loss_count(ids, lengths, tags) == 25


@pytest.mark.parametrize("make, batch, count", [
    (lambda: ManyToOneClassifier(6, 3, 4, 2), (np.ones((3, 5), int), np.array([5, 2, 1]), np.zeros(3, int)), 3),
    (lambda: CharLM(6, 3, 4), (np.ones((3, 5), int), np.ones((3, 5), int)), 15),
    (lambda: Captioner(4, 6, 3, 4, bos=1, eos=2), (np.zeros((2, 4)), np.ones((2, 3), int),
                                     np.array([[1, 1, 0], [1, 0, 0]], bool)), 3),
])
def test_every_model_counts_what_its_loss_averages_over(make, batch, count):
    assert make().loss_count(*batch) == count


def test_fit_refuses_a_loss_count_that_is_not_a_count():
    class Odd(CharLM):
        def loss_count(self, inputs, targets):
            return 2.5

    with pytest.raises(TypeError, match=r"model.loss_count must return a count \(an int >= 0\), got 2.5"):
        fit(Odd(4, 3, 4), (np.zeros((4, 2), dtype=int), np.zeros((4, 2), dtype=int)), quiet=True)


@pytest.mark.parametrize("make, batch", [
    (lambda dt: CharLM(6, 3, 4, dtype=dt), (np.ones((2, 5), int), np.ones((2, 5), int))),
    (lambda dt: ManyToOneClassifier(6, 3, 4, 2, dtype=dt),
     (np.ones((2, 5), int), np.array([5, 2]), np.array([0, 1]))),
], ids=["CharLM", "ManyToOneClassifier"])
def test_models_built_in_float32_compute_in_float32(make, batch):
    m32, m64 = make(np.float32), make(np.float64)
    assert {p.dtype for _, p, _ in m32.parameters()} == {np.dtype(np.float32)}
    assert {g.dtype for _, _, g in m32.parameters()} == {np.dtype(np.float32)}
    loss32, loss64 = m32.loss(*batch), m64.loss(*batch)
    assert loss32 == pytest.approx(loss64, rel=1e-5)  # the same initial weights, rounded to float32
    for (name, g32), (_, g64) in zip(((n, g) for n, _, g in m32.parameters()), ((n, g) for n, _, g in m64.parameters())):
        np.testing.assert_allclose(g32, g64, rtol=1e-3, atol=1e-5, err_msg=name)


@pytest.mark.parametrize("make", [lambda: CharLM(6, 3, 4, dtype="abc"),
                                  lambda: ManyToOneClassifier(6, 3, 4, 2, dtype=np.int32)],
                         ids=["CharLM", "ManyToOneClassifier"])
def test_model_dtype_must_be_a_float_type(make):
    with pytest.raises(TypeError, match=r"^(CharLM|ManyToOneClassifier): dtype must be a float type"):
        make()


@pytest.mark.parametrize("cell", CELLS)
def test_bidirectional_charlm_reads_the_next_character(cell):
    """Step t of a bidirectional CharLM depends on x_{t+1}, the character it is scored on;
    a one-directional one does not. Shapes follow the two directions, and gradients check."""
    rng = np.random.default_rng(7)
    ids = rng.integers(0, 6, (3, 7))
    changed = ids.copy()
    changed[:, 4] = (ids[:, 4] + 1) % 6                       # change x_4, the target of step 3
    for bidirectional, moves in ((False, False), (True, True)):
        lm = CharLM(6, 3, 4, cell=cell, num_layers=2, seed=1, bidirectional=bidirectional)
        logits, state = lm.forward(ids)
        dirs = 2 if bidirectional else 1
        assert logits.shape == (3, 7, 6) and lm.hidden.shape == (3, 7, dirs * 4)
        assert (state[0] if cell == "lstm" else state).shape == (2 * dirs, 3, 4)
        assert lm.state_dict()["head.weight"].shape == (6, dirs * 4)
        after, _ = lm.forward(changed)
        np.testing.assert_array_equal(after[:, :4] == logits[:, :4], not moves)   # steps 0..3 see x_4 or not
        assert len(lm.sample([1, 2], 5, temperature=1.0, seed=0)) == 5
    lm = CharLM(6, 3, 4, cell=cell, seed=1, bidirectional=True)
    report = check_model_gradients(lm, ids[:2, :-1], ids[:2, 1:])
    assert report.ok(TOL), str(report)


def test_charlm_bidirectional_must_be_a_bool():
    with pytest.raises(TypeError, match="CharLM: bidirectional must be True or False, got str 'yes'"):
        CharLM(6, 3, 4, bidirectional="yes")
    default = CharLM(6, 3, 4, seed=3)
    assert not default.rnn.bidirectional
    for name, p in CharLM(6, 3, 4, seed=3, bidirectional=False).state_dict().items():
        np.testing.assert_array_equal(p, default.state_dict()[name])
