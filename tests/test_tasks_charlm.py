"""The character language model's additions (rnn_course.tasks.charlm): snapshots
during training, checkpoints, looking inside the hidden units, and names.
run() itself is tested with the other text tasks (test_tasks_text.py)."""

import json
import math

import numpy as np
import pytest

from rnn_course.datasets import Vocab, load_names
from rnn_course.models import CharLM
from rnn_course.tasks import charlm


@pytest.fixture(scope="module")
def small():
    """A tiny, quick run with snapshots: D = 8, one epoch of 66 steps."""
    return charlm.run(epochs=1, hidden=8, batch_size=64, lr=0.02, quiet=True, snapshot_steps=[30, 0, 10])


def test_snapshots_are_taken_before_the_given_steps_and_after_the_last(small):
    snaps = small.extras["snapshots"]
    n_steps = len(small.history.losses)
    assert [s["step"] for s in snaps] == [0, 10, 30, n_steps]
    assert n_steps == math.ceil(len(charlm.windows(charlm.load_moby_dick().train, 64)[0]) / 64)
    V = len(small.extras["vocab"])
    assert abs(snaps[0]["val loss"] - math.log(V)) < 0.5  # untrained: about uniform
    assert snaps[-1]["val loss"] < snaps[0]["val loss"] - 1.0
    assert snaps[-1]["val loss"] == pytest.approx(small.extras["val loss"])
    assert all(len(s["sample"]) == charlm.SNAPSHOT_LEN for s in snaps)
    assert small.extras["settings"]["batch_size"] == 64 and small.extras["settings"]["lr"] == 0.02


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
