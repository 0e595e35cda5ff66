"""Tests for rnn_course.mlp: the window, the MLP's forward/backward pair, the
WindowMLP model (gradients, training with fit, its blind spot) and the marker task."""

import re

import numpy as np
import pytest

from rnn_course.gradcheck import check_gradients, check_model_gradients
from rnn_course.mlp import (MARKER_ID, PAD_ID, MLPCache, WindowMLP, last_window, marker_task, mlp_backward,
                            mlp_forward)
from rnn_course.models import ManyToOneClassifier
from rnn_course.train import fit

TOL = 1e-7


# -- last_window ------------------------------------------------------------------------


def test_last_window_takes_the_last_real_tokens_and_pads_in_front():
    ids = np.array([[5, 6, 7, 8, 9],
                    [3, 4, 0, 0, 0],
                    [2, 0, 0, 0, 0]])
    out = last_window(ids, [5, 2, 1], 3)
    np.testing.assert_array_equal(out, [[7, 8, 9], [0, 3, 4], [0, 0, 2]])
    np.testing.assert_array_equal(last_window(ids, [5, 2, 1], 3, pad_id=9), [[7, 8, 9], [9, 3, 4], [9, 9, 2]])
    np.testing.assert_array_equal(last_window(ids, None, 2), ids[:, -2:])  # None: every row is full
    assert ids[1].tolist() == [3, 4, 0, 0, 0]  # the input is untouched


@pytest.mark.parametrize("seed", range(3))
def test_last_window_matches_a_loop_on_random_shapes(seed):
    rng = np.random.default_rng(seed)
    N, T, w = rng.integers(1, 6), rng.integers(1, 9), rng.integers(1, 12)
    lengths = rng.integers(1, T + 1, N)
    ids = rng.integers(1, 7, (N, T))
    want = np.zeros((N, w), dtype=int)
    for n in range(N):
        seq = list(ids[n, :lengths[n]])[-w:]
        want[n, w - len(seq):] = seq
    np.testing.assert_array_equal(last_window(ids, lengths, w), want)


@pytest.mark.parametrize("call,exc,text", [
    (lambda: last_window(np.zeros(4, int), None, 2), ValueError,
     "last_window: ids has shape (4,); expected (N, T)"),
    (lambda: last_window(np.zeros((2, 3), int), [3], 2), ValueError,
     "last_window: lengths has shape (1,); expected (N,) = (2,)"),
    (lambda: last_window(np.zeros((2, 3), int), [3, 0], 2), ValueError, "last_window: lengths contains 0"),
    (lambda: last_window(np.zeros((2, 3), int), [3, 4], 2), ValueError, "last_window: lengths contains 4"),
    (lambda: last_window(np.zeros((2, 3), int), [3, 3], 0), ValueError,
     "last_window: w must be an integer >= 1, got 0"),
    (lambda: last_window(np.zeros((2, 3)), [3, 3], 2), TypeError, "last_window: ids has float dtype"),
])
def test_last_window_errors(call, exc, text):
    with pytest.raises(exc, match="^" + re.escape(text)):
        call()


# -- mlp_forward / mlp_backward ------------------------------------------------------------


def _params(rng, F, H, C):
    return dict(W1=rng.standard_normal((H, F)), b1=rng.standard_normal(H),
                W2=rng.standard_normal((C, H)), b2=rng.standard_normal(C))


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_mlp_forward_is_two_affine_maps_with_an_activation(nonlinearity):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 6))
    p = _params(rng, 6, 5, 3)
    scores, cache = mlp_forward(x, **p, nonlinearity=nonlinearity)
    a = x @ p["W1"].T + p["b1"]
    h = np.tanh(a) if nonlinearity == "tanh" else np.maximum(a, 0)
    np.testing.assert_allclose(scores, h @ p["W2"].T + p["b2"], rtol=1e-12)
    assert scores.shape == (4, 3) and isinstance(cache, MLPCache) and cache.h.shape == (4, 5)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_mlp_backward_matches_central_differences(seed, nonlinearity):
    rng = np.random.default_rng(seed)
    N, F, H, C = (int(v) for v in rng.integers(1, 7, 4))
    inputs = dict(x=rng.standard_normal((N, F)), **_params(rng, F, H, C))
    before = {k: v.copy() for k, v in inputs.items()}
    scores, cache = mlp_forward(**inputs, nonlinearity=nonlinearity)
    dscores = rng.standard_normal(scores.shape)
    dx, dW1, db1, dW2, db2 = mlp_backward(dscores, cache)
    report = check_gradients(lambda **kw: mlp_forward(**kw, nonlinearity=nonlinearity)[0], inputs,
                             dict(x=dx, W1=dW1, b1=db1, W2=dW2, b2=db2), df=dscores)
    assert report.ok(TOL), str(report)
    for k in inputs:  # neither pass changes its inputs
        np.testing.assert_array_equal(inputs[k], before[k])


@pytest.mark.parametrize("kwargs,exc,text", [
    (dict(x=np.zeros((2, 4)), W1=np.zeros((3, 5))), ValueError,
     "mlp_forward: W1 has shape (3, 5); expected (H, F) = (?, 4), because x has shape (2, 4)"),
    (dict(W2=np.zeros((2, 4))), ValueError,
     "mlp_forward: W2 has shape (2, 4); expected (C, H) = (?, 3), because W1 has shape (3, 4)"),
    (dict(b1=np.zeros(2)), ValueError, "mlp_forward: b1 has shape (2,); expected (H) = (3)"),
    (dict(x=np.zeros((2, 4), int)), TypeError, "mlp_forward: x has integer dtype int64; expected floats"),
    (dict(nonlinearity="sigmoid"), ValueError, "mlp_forward: nonlinearity must be 'tanh' or 'relu'"),
])
def test_mlp_forward_errors(kwargs, exc, text):
    args = dict(x=np.zeros((2, 4)), W1=np.zeros((3, 4)), b1=np.zeros(3), W2=np.zeros((2, 3)), b2=np.zeros(2))
    with pytest.raises(exc, match="^" + re.escape(text)):
        mlp_forward(**{**args, **kwargs})


def test_mlp_backward_errors():
    _, cache = mlp_forward(np.zeros((2, 4)), np.zeros((3, 4)), np.zeros(3), np.zeros((2, 3)), np.zeros(2))
    with pytest.raises(ValueError, match=re.escape("mlp_backward: dscores has shape (2, 5); expected (N, C) = (2, 2)")):
        mlp_backward(np.zeros((2, 5)), cache)
    with pytest.raises(TypeError, match="cache must be the cache returned by mlp_forward"):
        mlp_backward(np.zeros((2, 2)), (1, 2))


# -- WindowMLP ------------------------------------------------------------------------------


@pytest.mark.parametrize("seed,nonlinearity", [(0, "tanh"), (1, "relu"), (2, "tanh")])
def test_window_mlp_gradients_through_the_loss(seed, nonlinearity):
    rng = np.random.default_rng(seed)
    N, T, V, w, H, C = 4, 6, 5, int(rng.integers(1, 8)), 3, 3
    ids = rng.integers(0, V, (N, T))
    lengths = rng.integers(1, T + 1, N)
    model = WindowMLP(V, w, H, C, nonlinearity=nonlinearity, seed=seed)
    report = check_model_gradients(model, ids, lengths, rng.integers(0, C, N))
    assert report.ok(1e-5), str(report)


def test_window_mlp_features_and_parameter_count():
    model = WindowMLP(vocab_size=4, window=3, hidden_size=5, num_classes=2)
    feats = model.features(np.array([[2, 3, 1, 0]]), [3])  # window [2, 3, 1], one-hot and side by side
    np.testing.assert_array_equal(feats, [[0, 0, 1, 0, 0, 0, 0, 1, 0, 1, 0, 0]])
    assert model.params["W1"].shape == (5, 12)
    assert model.num_parameters() == 5 * 12 + 5 + 2 * 5 + 2
    # The count grows with the window; the RNN classifier's has no T in it at all.
    counts = [WindowMLP(8, w, 16, 2).num_parameters() for w in (5, 10, 20)]
    assert np.diff(counts).tolist() == [5 * 8 * 16, 10 * 8 * 16]  # each new position adds V*H weights
    assert "window=3" in repr(model)


def test_window_mlp_sees_nothing_outside_its_window():
    model = WindowMLP(6, 3, 8, 2, seed=0)
    ids = np.array([[1, 2, 3, 4, 5], [4, 4, 3, 4, 5]])  # differ only before the last 3 tokens
    scores = model.forward(ids, [5, 5])
    np.testing.assert_array_equal(scores[0], scores[1])


def test_window_mlp_errors():
    model = WindowMLP(5, 3, 4, 2)
    with pytest.raises(ValueError, match=re.escape("WindowMLP.features: ids contains 7, but there are only 5")):
        model.forward(np.array([[1, 7]]), [2])
    with pytest.raises(RuntimeError, match="call forward before backward"):
        WindowMLP(5, 3, 4, 2).backward(np.zeros((1, 2)))
    with pytest.raises(ValueError, match="WindowMLP: window must be an integer >= 1, got 0"):
        WindowMLP(5, 0, 4, 2)
    with pytest.raises(ValueError, match="WindowMLP: pad_id contains 5, but there are only 5"):
        WindowMLP(5, 3, 4, 2, pad_id=5)


def test_fit_trains_the_mlp_within_its_window_and_not_beyond():
    train = marker_task(600, 1, 8, vocab_size=6, seed=0)
    model = WindowMLP(6, 4, 16, 2, seed=0)
    history = fit(model, (train.ids, train.lengths, train.labels), epochs=15, batch_size=32, lr=1e-2,
                  quiet=True)
    assert history.losses[-1] < history.losses[0]
    near = marker_task(400, 3, 8, vocab_size=6, distance=2, seed=1)
    far = marker_task(400, 7, 12, vocab_size=6, distance=6, seed=2)
    assert (model.predict(near.ids, near.lengths) == near.labels).mean() >= 0.97
    assert abs((model.predict(far.ids, far.lengths) == far.labels).mean() - 0.5) <= 0.1


def test_the_rnn_solves_what_the_window_cannot():
    train = marker_task(600, 1, 10, vocab_size=6, seed=0)
    rnn = ManyToOneClassifier(6, 4, 8, 2, cell="rnn", seed=0)
    fit(rnn, (train.ids, train.lengths, train.labels), epochs=8, batch_size=32, lr=1e-2, quiet=True)
    far = marker_task(400, 7, 10, vocab_size=6, distance=6, seed=2)
    assert (rnn.predict(far.ids, far.lengths) == far.labels).mean() >= 0.95


# -- marker_task ----------------------------------------------------------------------------


def test_marker_task_labels_and_distances_agree_with_the_tokens():
    task = marker_task(201, 1, 12, vocab_size=5, seed=3)
    N, T = task.ids.shape
    assert (N, T) == (201, 12) and task.labels.sum() == 101
    assert set(np.unique(task.ids)) <= set(range(5))
    for n in range(N):
        L = task.lengths[n]
        seq = task.ids[n, :L]
        assert (task.ids[n, L:] == PAD_ID).all() and (seq != PAD_ID).all()
        where = np.flatnonzero(seq == MARKER_ID)
        if task.labels[n]:
            assert len(where) == 1 and task.distances[n] == L - 1 - where[0]
        else:
            assert len(where) == 0 and task.distances[n] == -1
    assert task.distances.max() >= 8  # positions spread over the whole sequence
    again = marker_task(201, 1, 12, vocab_size=5, seed=3)
    np.testing.assert_array_equal(again.ids, task.ids)  # seeded


def test_marker_task_at_a_fixed_distance():
    task = marker_task(50, 8, 15, distance=7, seed=1)
    pos = task.labels == 1
    assert (task.distances[pos] == 7).all()
    rows = np.flatnonzero(pos)
    assert (task.ids[rows, task.lengths[rows] - 8] == MARKER_ID).all()


@pytest.mark.parametrize("kwargs,text", [
    (dict(n=10, min_len=3, distance=3), "a marker 3 steps before the end needs sequences of at least 4 tokens"),
    (dict(n=10, min_len=5, max_len=4), "max_len = 4 is below min_len = 5"),
    (dict(n=0), "n must be an integer >= 1, got 0"),
    (dict(n=10, vocab_size=2), "vocab_size must be an integer >= 3, got 2"),
])
def test_marker_task_errors(kwargs, text):
    with pytest.raises(ValueError, match="^marker_task: " + re.escape(text)):
        marker_task(**kwargs)
