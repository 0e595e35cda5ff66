"""The character language model's additions (rnn_course.tasks.charlm): snapshots
during training, checkpoints, looking inside the hidden units, and names.
run() itself is tested with the other text tasks (test_tasks_text.py)."""

import json
import math

import numpy as np
import pytest

from rnn_course.datasets import Vocab, load_names
from rnn_course.losses import log_softmax
from rnn_course.models import CharLM, sample_logits
from rnn_course.tasks import charlm


@pytest.fixture(scope="module")
def small():
    """A tiny, quick run with snapshots: D = 8, one epoch of 65 steps (64 streams)."""
    return charlm.run(epochs=1, hidden=8, batch_size=64, lr=0.02, quiet=True, snapshot_steps=[30, 0, 10])


def test_snapshots_are_taken_before_the_given_steps_and_after_the_last(small):
    snaps = small.extras["snapshots"]
    n_steps = len(small.history.losses)
    assert [s["step"] for s in snaps] == [0, 10, 30, n_steps]
    assert n_steps == len(charlm.streams(charlm.load_moby_dick().train, 64, 64)[0]) // 64
    V = len(small.extras["vocab"])
    assert abs(snaps[0]["val loss"] - math.log(V)) < 0.5  # untrained: about uniform
    assert snaps[-1]["val loss"] < snaps[0]["val loss"] - 1.0
    assert snaps[-1]["val loss"] == pytest.approx(small.extras["val loss"])
    assert all(len(s["sample"]) == charlm.SNAPSHOT_LEN for s in snaps)
    assert small.extras["settings"]["batch_size"] == 64 and small.extras["settings"]["lr"] == 0.02


def test_streams_lay_out_consecutive_windows_of_parallel_streams():
    ids = np.arange(103)
    x, y = charlm.streams(ids, 3, 4)          # (L - 1) // N = 34 characters per stream, S = 8 windows
    assert x.shape == y.shape == (8 * 3, 4)
    assert np.array_equal(y, x + 1)           # each target is the next character
    assert x[:3].tolist() == [[0, 1, 2, 3], [34, 35, 36, 37], [68, 69, 70, 71]]   # batch 0: one window per stream
    for n in range(3):                        # row n of batch b + 1 continues row n of batch b
        stream = x[n::3].ravel()
        assert np.array_equal(stream, np.arange(34 * n, 34 * n + 32))
    assert len(set(x.ravel())) == x.size      # no character is read twice
    with pytest.raises(ValueError, match="has no window of T \\+ 1 = 9"):
        charlm.streams(np.arange(20), 4, 8)
    with pytest.raises(ValueError, match="n_streams must be a positive integer"):
        charlm.streams(ids, 0, 4)


def test_fit_without_shuffling_takes_the_rows_in_order():
    from rnn_course.train import fit

    class Recorder(CharLM):
        seen = []

        def loss(self, inputs, targets):
            self.seen.append(inputs[:, 0].tolist())
            return super().loss(inputs, targets)

    m = Recorder(5, 3, 4, seed=0)
    x = np.arange(24).reshape(12, 2) % 5
    fit(m, (x, x), epochs=2, batch_size=4, shuffle=False, quiet=True)
    assert m.seen == [x[0:4, 0].tolist(), x[4:8, 0].tolist(), x[8:12, 0].tolist()] * 2
    with pytest.raises(TypeError, match="shuffle must be True or False"):
        fit(m, (x, x), shuffle="no", quiet=True)


def test_training_carries_the_state_from_batch_to_batch_and_resets_each_epoch():
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 6, 2 * 3 * 5 + 1)
    x, y = charlm.streams(ids, 2, 5)                                # 3 batches of 2 streams
    model = CharLM(6, 4, 5, seed=1)
    trainer = charlm._Trainer(model, steps_per_epoch=3)
    losses = [trainer.loss(x[2 * b:2 * b + 2], y[2 * b:2 * b + 2]) for b in range(3)]
    logits, _ = model.forward(x.reshape(3, 2, 5).transpose(1, 0, 2).reshape(2, 15))   # each stream in one pass
    from rnn_course.losses import softmax_cross_entropy
    whole = y.reshape(3, 2, 5).transpose(1, 0, 2).reshape(2, 15)
    for b in range(3):
        want, _ = softmax_cross_entropy(logits[:, 5 * b:5 * b + 5], whole[:, 5 * b:5 * b + 5])
        assert losses[b] == pytest.approx(want, rel=1e-12)
    again = trainer.loss(x[:2], y[:2])                              # step 4 = first batch of epoch 2: zeros
    assert again == pytest.approx(losses[0], rel=1e-12)
    fresh = charlm._Trainer(model)                                  # steps_per_epoch=None: always zeros
    fresh.loss(x[:2], y[:2])
    assert fresh.loss(x[2:4], y[2:4]) == pytest.approx(model.loss(x[2:4], y[2:4]), rel=1e-12)


def test_stream_loss_reads_the_text_in_one_pass():
    ids = np.random.default_rng(1).integers(0, 6, 40)
    model = CharLM(6, 4, 5, seed=2)
    first, state = model.forward(ids[None, :20])                     # the text in two calls, state carried
    second, _ = model.forward(ids[None, 20:39], state)
    logp = log_softmax(np.concatenate([first, second], axis=1))[0]  # (39, V)
    assert charlm.stream_loss(model, ids) == pytest.approx(-logp[np.arange(39), ids[1:]].mean(), rel=1e-12)
    zero_state = charlm.text_loss(model, *charlm.windows(ids, 13))    # three windows, each from zeros
    assert charlm.stream_loss(model, ids[:40]) != pytest.approx(zero_state)
    with pytest.raises(ValueError, match="T >= 2"):
        charlm.stream_loss(model, ids[:1])


def test_without_snapshots_there_are_none():
    r = charlm.run(epochs=1, hidden=4, batch_size=256, quiet=True)
    assert "snapshots" not in r.extras and r.extras["seed"] == 0


@pytest.mark.parametrize("options, words", [
    ({"snapshot_steps": 5}, "snapshot_steps must be None or a list"),
    ({"snapshot_steps": [0, -1]}, "non-negative integers"),
    ({"snapshot_steps": []}, "non-negative integers"),
    ({"lr": 0}, "lr must be a positive number"),
    ({"lr": "fast"}, "lr must be a positive number"),
    ({"batch_size": 0}, "batch_size must be a positive integer"),
    ({"batch_size": 2.5}, "batch_size must be a positive integer"),
    ({"carry_state": "yes"}, "carry_state must be True or False"),
])
def test_bad_new_options_get_a_sentence(options, words):
    with pytest.raises(ValueError, match=words):
        charlm.run(quiet=True, **options)


def test_a_checkpoint_round_trip_rebuilds_the_same_model(small, tmp_path):
    path = tmp_path / "lm.npz"
    charlm.save_checkpoint(small, path)
    with np.load(path, allow_pickle=False) as f:  # no pickle needed
        assert json.loads(str(f["_meta"]))["settings"]["hidden"] == 8
    loaded = charlm.load_checkpoint(path)
    own = dict((n, p) for n, p, _ in small.model.parameters())
    for name, p, _ in loaded.model.parameters():
        assert p.dtype == own[name].dtype and np.array_equal(p, own[name]), name
    assert loaded.summary() == small.summary() and loaded.value == small.value
    assert loaded.history.losses == small.history.losses
    assert loaded.history.epochs == small.history.epochs
    assert loaded.history.grad_norms == small.history.grad_norms
    assert loaded.extras["snapshots"] == small.extras["snapshots"]
    assert loaded.extras["samples"] == small.extras["samples"]
    assert loaded.seconds == small.seconds and loaded.extras["seed"] == 0


def test_checkpoint_errors(tmp_path):
    with pytest.raises(TypeError, match="TaskResult of charlm.run"):
        charlm.save_checkpoint({"model": None}, tmp_path / "x.npz")
    np.savez(tmp_path / "other.npz", weight=np.zeros(3))
    with pytest.raises(ValueError, match="not written by charlm.save_checkpoint"):
        charlm.load_checkpoint(tmp_path / "other.npz")


def test_hidden_states_are_the_states_of_one_pass():
    model = CharLM(5, 3, 4, cell="gru", seed=1)
    ids = np.array([0, 3, 1, 4, 2, 2, 0])
    acts = charlm.hidden_states(model, ids)
    assert acts.shape == (7, 4)
    _, state = model.forward(ids[None])
    assert np.allclose(acts[-1], state[0, 0])
    model.forward(ids[None, :3])
    assert np.allclose(model.hidden[0], acts[:3])  # a prefix gives the same states
    with pytest.raises(ValueError, match="1-D array of L >= 1 character ids"):
        charlm.hidden_states(model, ids[None])


def test_char_features_of_a_small_text():
    f = charlm.char_features('Ah "no, a" b\n"c')
    assert f["inside quotes"].tolist() == [0, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1]
    assert f["letter"].tolist() == [1, 1, 0, 0, 1, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1]
    assert f["space"].tolist() == [0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 1, 0, 1, 0, 0]
    assert f["position in word"].tolist() == [1, 2, 0, 0, 1, 2, 0, 0, 1, 0, 0, 1, 0, 0, 1]
    assert f["position in paragraph"].tolist() == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0, 1, 2]
    with pytest.raises(ValueError, match="non-empty str"):
        charlm.char_features("")


def test_unit_correlations_find_the_unit_that_follows_a_feature():
    rng = np.random.default_rng(0)
    feature = rng.integers(0, 2, 500).astype(float)
    acts = rng.standard_normal((500, 4))
    acts[:, 1] = 0.5 * feature - 0.2       # follows it exactly: r = 1
    acts[:, 2] = -feature                  # the opposite: r = -1
    acts[:, 3] = 0.7                       # constant: r = 0, not nan
    r = charlm.unit_correlations(acts, {"f": feature})["f"]
    assert r.shape == (4,)
    assert r[1] == pytest.approx(1) and r[2] == pytest.approx(-1) and r[3] == 0 and abs(r[0]) < 0.15
    with pytest.raises(ValueError, match=r"expected \(L,\) = \(500,\)"):
        charlm.unit_correlations(acts, {"f": feature[:-1]})
    with pytest.raises(ValueError, match=r"expected \(L, D\)"):
        charlm.unit_correlations(acts[0], {"f": feature})


def test_name_stream_ends_every_name_with_eos():
    vocab = load_names().vocab
    ids = charlm.name_stream(["ann", "bo"], vocab)
    assert ids.dtype == np.int64
    assert ids.tolist() == vocab.encode("ann") + [vocab.eos_id] + vocab.encode("bo") + [vocab.eos_id]
    with pytest.raises(ValueError, match="needs an <eos>"):
        charlm.name_stream(["ann"], Vocab("ann", specials=(), level="char"))
    with pytest.raises(TypeError, match="list of strings"):
        charlm.name_stream("ann", vocab)


def _forced(vocab, char_id):
    """A CharLM that always predicts char_id: zero output weights, a large bias."""
    model = CharLM(len(vocab), 4, 8, seed=0)
    model.head.params["weight"][...] = 0
    model.head.params["bias"][...] = 0
    model.head.params["bias"][char_id] = 50.0
    return model


def test_generate_names_stops_at_eos_or_max_len():
    vocab = load_names().vocab
    assert charlm.generate_names(_forced(vocab, vocab.eos_id), vocab, 3) == ["", "", ""]
    a = vocab.stoi["a"]
    assert charlm.generate_names(_forced(vocab, a), vocab, 2, max_len=5) == ["aaaaa", "aaaaa"]
    model = CharLM(len(vocab), 4, 8, seed=0)  # untrained: random names, reproducible by seed
    names = charlm.generate_names(model, vocab, 5, temperature=1.0, seed=3, max_len=12)
    assert names == charlm.generate_names(model, vocab, 5, temperature=1.0, seed=3, max_len=12)
    assert len(names) == 5 and all(len(n) <= 12 and "<" not in n for n in names)
    assert names != charlm.generate_names(model, vocab, 5, temperature=1.0, seed=4, max_len=12)


def test_stream_loss_with_several_streams_reads_each_in_one_pass():
    ids = np.random.default_rng(3).integers(0, 6, 5000)
    model = CharLM(6, 4, 5, seed=2)
    # 3 streams of 1666 predictions: the same as three texts of 1667 characters read one by one
    parts = [charlm.stream_loss(model, ids[1666 * n:1666 * n + 1667]) for n in range(3)]
    assert charlm.stream_loss(model, ids, n_streams=3) == pytest.approx(np.mean(parts), rel=1e-10)
    long = np.random.default_rng(4).integers(0, 6, 20_000)   # longer than one chunk of 16,384 steps
    assert charlm.stream_loss(model, long) == pytest.approx(
        charlm.text_loss(model, long[None, :-1], long[None, 1:]), rel=1e-10)
    with pytest.raises(ValueError, match="n_streams must be an integer from 1 to T - 1 = 4999"):
        charlm.stream_loss(model, ids, n_streams=0)


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_stream_losses_are_each_texts_stream_loss(cell):
    rng = np.random.default_rng(6)
    # 300 texts of mixed lengths (not sorted, one of a single prediction): read in chunks of 64
    # steps, so rows leave the batch between chunks and inside them, and the LSTM's (h, c) is cut too
    texts = [rng.integers(0, 6, n) for n in rng.integers(2, 400, 300)] + [np.array([1, 2])]
    model = CharLM(6, 4, 5, cell=cell, seed=2)
    got = charlm.stream_losses(model, texts)
    assert got.shape == (301,)
    np.testing.assert_allclose(got, [charlm.stream_loss(model, t) for t in texts], rtol=1e-12)
    two = charlm.stream_losses(model, np.stack([texts[0][:2], texts[1][:2]]))   # the rows of an (N, T) array
    np.testing.assert_allclose(two, [charlm.stream_loss(model, texts[n][:2]) for n in (0, 1)], rtol=1e-12)


@pytest.mark.parametrize("texts, words", [
    ([], "non-empty list"),
    (np.arange(5), "for one text use stream_loss"),
    ("abc", "for one text use stream_loss"),
    ([np.arange(5), np.array([3])], r"texts\[1\] must be a 1-D array of T_n >= 2 character ids, got shape \(1,\)"),
    ([np.ones((2, 3), dtype=int)], r"texts\[0\] must be a 1-D array"),
    ([np.array([0.5, 1.0])], "dtype float64"),
])
def test_stream_losses_bad_texts_get_a_sentence(texts, words):
    with pytest.raises(ValueError, match=words):
        charlm.stream_losses(CharLM(6, 4, 5, seed=2), texts)


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_generate_names_writes_each_name_as_if_alone(cell):
    """The names are written side by side; name i is the one seed + i gives when sampled alone."""
    vocab = load_names().vocab
    model = CharLM(len(vocab), 4, 8, cell=cell, seed=5)
    model.head.params["bias"][vocab.eos_id] += 2.0          # names of mixed lengths, some cut at max_len
    alone = []
    for i in range(12):
        rng, chars = np.random.default_rng(7 + i), []
        logits, state = model.forward(np.array([[vocab.eos_id]]))
        for _ in range(6):
            nxt = sample_logits(logits[:, -1], 0.9, rng)
            if nxt[0] == vocab.eos_id:
                break
            chars.append(int(nxt[0]))
            logits, state = model.forward(nxt[:, None], state)
        alone.append(vocab.decode(chars, skip_specials=True))
    assert len({len(a) for a in alone}) > 2, alone
    assert charlm.generate_names(model, vocab, 12, temperature=0.9, seed=7, max_len=6) == alone


@pytest.mark.parametrize("fn", ["stream_loss", "stream_losses"])
def test_streaming_scores_refuse_a_bidirectional_model(fn):
    model = CharLM(5, 3, 4, seed=0, bidirectional=True)
    ids = np.arange(20) % 5
    with pytest.raises(ValueError, match=f"{fn}: model is bidirectional"):
        charlm.stream_loss(model, ids) if fn == "stream_loss" else charlm.stream_losses(model, [ids, ids[:7]])
