"""The sunspot forecasting task (rnn_course.tasks.sunspots): its windows and
chronological split (no test year reaches a training target or the scale),
its baselines, a quick run that beats persistence, determinism by seed, bad
options, and the command line."""

import numpy as np
import pytest

from rnn_course.__main__ import main
from rnn_course.datasets import load_sunspots
from rnn_course.models import SequenceRegressor
from rnn_course.tasks import TASKS, TaskResult, run
from rnn_course.tasks import sunspots as S


@pytest.fixture(scope="module")
def quick():
    return S.run(epochs=15, quiet=True)


# ------------------------------------------------------------------ the data


def test_windows_pair_each_window_with_the_next_value():
    x, y = S.windows(np.arange(10.0), 3)
    assert x.shape == (7, 3) and y.shape == (7,)
    np.testing.assert_array_equal(x[0], [0, 1, 2])
    np.testing.assert_array_equal(x[-1], [6, 7, 8])
    np.testing.assert_array_equal(y, np.arange(3.0, 10.0))


@pytest.mark.parametrize("values, window", [(np.arange(5.0), 5), (np.arange(5.0), 0),
                                            (np.zeros((2, 3)), 1), (np.arange(5.0), 2.0)])
def test_windows_reject_bad_arguments(values, window):
    with pytest.raises(ValueError, match="windows:"):
        S.windows(values, window)


def test_split_boundaries_are_chronological():
    d = S.make_splits()
    T = S.WINDOW
    assert d.train.x.shape == (220, T, 1) and d.train.y.shape == (220, 1)
    assert (d.train.years[0], d.train.years[-1]) == (1700 + T, S.VAL_START - 1)
    assert (d.val.years[0], d.val.years[-1]) == (S.VAL_START, S.TEST_START - 1)
    assert (d.test.years[0], d.test.years[-1]) == (S.TEST_START, 2008)
    assert 30 <= len(d.test.years) <= 40
    for split in (d.train, d.val, d.test):  # consecutive years, never shuffled
        assert (np.diff(split.years) == 1).all()
    assert d.train.years.max() < d.val.years.min() and d.val.years.max() < d.test.years.min()


def test_windows_read_the_years_before_their_target():
    years, counts = load_sunspots()
    d = S.make_splits()
    for split in (d.train, d.val, d.test):
        for i in (0, len(split.years) // 2, -1):
            year = split.years[i]
            k = int(np.flatnonzero(years == year)[0])
            np.testing.assert_allclose(split.x[i, :, 0] * d.std + d.mean, counts[k - S.WINDOW:k])
            assert split.y[i, 0] * d.std + d.mean == pytest.approx(counts[k])


def test_no_test_or_val_year_leaks_into_training_or_the_scale():
    years, counts = load_sunspots()
    d = S.make_splits()
    assert d.mean == pytest.approx(counts[years < S.VAL_START].mean())
    assert d.std == pytest.approx(counts[years < S.VAL_START].std())
    # change every value from the validation years on: the training windows and the scale stay
    changed = counts.copy()
    changed[years >= S.VAL_START] = 1000.0 + np.arange((years >= S.VAL_START).sum())
    e = S.make_splits(series=(years, changed))
    assert (e.mean, e.std) == (d.mean, d.std)
    np.testing.assert_array_equal(e.train.x, d.train.x)
    np.testing.assert_array_equal(e.train.y, d.train.y)
    assert not np.allclose(e.test.y, d.test.y)


@pytest.mark.parametrize("kwargs, words", [
    (dict(val_start=1980, test_start=1970), "val_start < test_start"),
    (dict(val_start=1710), "window < val_start"),
    (dict(test_start=2020), "test_start <= 2008"),
])
def test_make_splits_rejects_bad_boundaries(kwargs, words):
    with pytest.raises(ValueError, match=words):
        S.make_splits(**kwargs)


def test_make_splits_rejects_gaps_in_the_years():
    with pytest.raises(ValueError, match="consecutive"):
        S.make_splits(series=(np.array([1, 2, 4, 5]), np.zeros(4)))


# ------------------------------------------------------------------ baselines


def test_linear_ar_recovers_a_linear_recurrence():
    rng = np.random.default_rng(0)
    v = np.zeros(300)
    v[:2] = rng.standard_normal(2)
    for t in range(2, 300):  # an AR(2) with intercept and a little noise
        v[t] = 1.5 * v[t - 1] - 0.8 * v[t - 2] + 0.3 + 0.01 * rng.standard_normal()
    x, y = S.windows(v, 2)
    w = S.fit_linear_ar(x, y)
    np.testing.assert_allclose(w, [-0.8, 1.5, 0.3], atol=0.02)
    assert S.rmse(S.predict_linear_ar(w, x), y) < 0.02
    with pytest.raises(ValueError, match="T = 3"):
        S.predict_linear_ar(w, np.zeros((4, 3)))


def test_rmse():
    assert S.rmse([1.0, 2.0], [1.0, 4.0]) == pytest.approx(np.sqrt(2))
    with pytest.raises(ValueError, match="rmse"):
        S.rmse([1.0], [1.0, 2.0])


# ------------------------------------------------------------------ the run


def test_quick_run_beats_persistence(quick):
    r = quick
    assert isinstance(r, TaskResult) and r.task == "sunspots" and r.metric == "test RMSE"
    ex = r.extras
    assert np.isfinite(r.value) and np.isfinite(ex["val RMSE"]) and np.isfinite(ex["train RMSE"])
    assert ex["persistence RMSE"] == pytest.approx(30.86, abs=0.01)  # fixed by the data alone
    assert 15 < ex["linear AR RMSE"] < 22 and 1 <= ex["AR order"] <= S.WINDOW
    assert ex["best-order AR RMSE"] < ex["persistence RMSE"]
    assert r.value < 0.85 * ex["persistence RMSE"], f"test RMSE {r.value:.2f} vs persistence"
    assert ex["split"] == {"train": (1720, 1939), "val": (1940, 1973), "test": (1974, 2008)}
    n = len(ex["years"])
    assert all(ex[k].shape == (n,) for k in ("truth", "predicted", "persistence", "linear AR"))
    assert S.rmse(ex["predicted"], ex["truth"]) == pytest.approx(r.value)
    assert S.rmse(ex["persistence"], ex["truth"]) == pytest.approx(ex["persistence RMSE"])
    assert S.rmse(ex["linear AR"], ex["truth"]) == pytest.approx(ex["linear AR RMSE"])
    years, counts = load_sunspots()
    np.testing.assert_allclose(ex["truth"], counts[years >= S.TEST_START])
    assert [e["epoch"] for e in r.history.epochs] == list(range(1, 16))
    assert isinstance(r.model, SequenceRegressor) and r.model.rnn.hidden_size == S.DEFAULTS["hidden"]


def test_same_seed_same_numbers_other_seed_other_numbers(quick):
    again = S.run(epochs=15, quiet=True)
    other = S.run(epochs=15, seed=1, quiet=True)
    assert again.value == quick.value
    np.testing.assert_array_equal(again.extras["predicted"], quick.extras["predicted"])
    assert other.value != quick.value
    assert other.extras["linear AR RMSE"] == quick.extras["linear AR RMSE"]  # the split is fixed


def test_options_are_used():
    r = run("sunspots", epochs=1, hidden=5, layers=2, bidirectional=True, cell="lstm", quiet=True)
    rnn = r.model.rnn
    assert (type(rnn).__name__, rnn.hidden_size, rnn.num_layers, rnn.bidirectional) == ("LSTM", 5, 2, True)
    assert r.extras["settings"]["epochs"] == 1 and len(r.history.epochs) == 1


@pytest.mark.parametrize("options, message", [
    (dict(epochs=0), "sunspots: epochs must be a positive integer"),
    (dict(hidden=2.5), "sunspots: hidden must be a positive integer"),
    (dict(cell="transformer"), "sunspots: cell must be 'rnn', 'lstm' or 'gru'"),
    (dict(bidirectional="yes"), "sunspots: bidirectional must be True or False"),
    (dict(seed=-1), "sunspots: seed must be a non-negative integer"),
    (dict(quiet="no"), "sunspots: quiet must be True or False"),
])
def test_bad_options_get_a_sentence(options, message):
    with pytest.raises(ValueError, match=message):
        S.run(**options)


def test_registered_and_on_the_command_line(capsys):
    assert TASKS["sunspots"][0] == "sunspots"
    assert main(["train", "sunspots", "--epochs", "1", "--hidden", "4", "--quiet"]) == 0
    out = capsys.readouterr()
    assert out.out.strip().startswith("test RMSE ") and "trained in" in out.err
