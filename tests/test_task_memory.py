"""The delayed-recall memory task (rnn_course.tasks.memory), the gate-bias
init option it uses, and its figure (plots.training.accuracy_vs_delay)."""

import json

import numpy as np
import pytest

from rnn_course import GRU, LSTM, RNN
from rnn_course.models import ManyToOneClassifier, make_recurrent
from rnn_course.plots.training import accuracy_vs_delay
from rnn_course.tasks import TASKS, TaskResult
from rnn_course.tasks import memory


# ------------------------------------------------------------------ the data


def test_make_recall_shapes_and_labels():
    data = memory.make_recall(50, 7, symbols=5, seed=3)
    assert isinstance(data, memory.RecallData)
    assert data.ids.shape == (50, 8) and data.lengths.shape == (50,) and data.labels.shape == (50,)
    assert np.issubdtype(data.ids.dtype, np.integer)
    assert (data.lengths == 8).all()
    assert (data.labels == data.ids[:, 0]).all()
    assert data.ids.min() >= 0 and data.ids.max() <= 4
    # the distractors are the same symbols, so the first token is marked by its position only
    assert set(np.unique(data.ids[:, 1:])) == set(range(5))


def test_make_recall_is_seeded_and_balanced():
    a, b, c = (memory.make_recall(4000, 3, seed=s) for s in (1, 1, 2))
    assert (a.ids == b.ids).all() and not (a.ids == c.ids).all()
    counts = np.bincount(a.labels, minlength=8) / 4000
    assert np.allclose(counts, 1 / 8, atol=0.02)


def test_make_recall_delay_zero_is_just_the_symbol():
    data = memory.make_recall(3, 0)
    assert data.ids.shape == (3, 1) and (data.labels == data.ids[:, 0]).all()


@pytest.mark.parametrize("kwargs, words", [
    (dict(n=0, delay=3), "n must be an integer >= 1"),
    (dict(n=5, delay=-1), "delay must be an integer >= 0"),
    (dict(n=5, delay=2, symbols=1), "symbols must be an integer >= 2"),
    (dict(n=5, delay=2.5), "delay must be"),
])
def test_make_recall_rejects_bad_arguments(kwargs, words):
    with pytest.raises(ValueError, match=words):
        memory.make_recall(**kwargs)


def test_chance_is_one_over_the_symbols():
    assert memory.CHANCE == pytest.approx(1 / 8)


# ------------------------------------------------------------------ the gate-bias init option


def test_gate_bias_zero_is_pytorchs_init():
    for cls, kw in ((LSTM, "forget_bias"), (GRU, "update_bias")):
        plain, zero = cls(3, 4, num_layers=2, seed=5), cls(3, 4, num_layers=2, seed=5, **{kw: 0.0})
        for name in plain.params:
            assert np.array_equal(plain.params[name], zero.params[name])


@pytest.mark.parametrize("cls, kw", [(LSTM, "forget_bias"), (GRU, "update_bias")])
def test_gate_bias_moves_only_the_keeping_gate(cls, kw):
    D = 4
    plain = cls(3, D, num_layers=2, bidirectional=True, seed=5)
    opened = cls(3, D, num_layers=2, bidirectional=True, seed=5, **{kw: 2.5})
    for name in plain.params:
        diff = opened.params[name] - plain.params[name]
        if name.startswith("bias_hh"):
            assert np.allclose(diff[D:2 * D], 2.5), name  # the f (LSTM) or z (GRU) block
            assert np.allclose(np.delete(diff, np.s_[D:2 * D]), 0), name
        else:
            assert np.allclose(diff, 0), name


def test_gate_bias_errors():
    with pytest.raises(ValueError, match="forget_bias=1.0 needs bias=True"):
        LSTM(3, 4, bias=False, forget_bias=1.0)
    with pytest.raises(ValueError, match="update_bias must be a finite number"):
        GRU(3, 4, update_bias=float("nan"))
    with pytest.raises(ValueError, match="the plain RNN has no gate"):
        make_recurrent("rnn", 3, 4, gate_bias=1.0)
    assert isinstance(make_recurrent("rnn", 3, 4, gate_bias=0.0), RNN)


def test_classifier_passes_the_gate_bias_on():
    model = ManyToOneClassifier(8, 4, 6, 8, cell="lstm", seed=0, gate_bias=3.0)
    base = ManyToOneClassifier(8, 4, 6, 8, cell="lstm", seed=0)
    diff = model.rnn.params["bias_hh_l0"] - base.rnn.params["bias_hh_l0"]
    assert np.allclose(diff[6:12], 3.0)  # forget gate opened
    assert np.allclose(diff[:6], -3.0)  # input gate closed by the same constant
    assert np.allclose(diff[12:], 0)


# ------------------------------------------------------------------ run and sweep


def test_run_returns_a_task_result():
    result = memory.run("rnn", delay=3, epochs=2, n_train=300)
    assert isinstance(result, TaskResult)
    assert result.metric == "test accuracy" and 0 <= result.value <= 1
    assert result.extras["chance"] == pytest.approx(1 / 8)
    assert result.extras["settings"]["gate_bias"] == 0.0
    assert result.extras["delay"] == 3
    assert "memory" in TASKS


def test_a_short_delay_is_learned_and_a_long_one_is_not_by_the_plain_rnn():
    short = memory.run("rnn", delay=2, epochs=3, n_train=1000)
    long = memory.run("rnn", delay=40, epochs=3, n_train=1000)
    assert short.value > 0.9, short.value
    assert long.value < 0.3, long.value


def test_the_gru_remembers_over_a_delay_the_rnn_cannot_bridge():
    # The chapters' claim, at half the default budget.
    gru = memory.run("gru", delay=20, epochs=3)
    rnn = memory.run("rnn", delay=20, epochs=3)
    assert gru.value > 0.9 > 0.4 > rnn.value, (gru.value, rnn.value)


def test_run_is_repeatable():
    a = memory.run("rnn", delay=4, epochs=1, n_train=200, seed=3)
    b = memory.run("rnn", delay=4, epochs=1, n_train=200, seed=3)
    assert a.value == b.value


@pytest.mark.parametrize("kwargs, words", [
    (dict(cell="transformer"), "cell must be 'rnn', 'lstm' or 'gru'"),
    (dict(delay=-2), "delay must be a non-negative integer"),
    (dict(bidirectional=True), "bidirectional must be False"),
    (dict(epochs=0), "epochs must be a positive integer"),
    (dict(cell="rnn", gate_bias=1.0), "the plain RNN has no gate"),
])
def test_run_rejects_bad_options(kwargs, words):
    with pytest.raises(ValueError, match=words):
        memory.run(**{"epochs": 1, "n_train": 50, **kwargs})


def test_sweep_shape_and_order():
    res = memory.sweep(cells=("rnn", "gru"), delays=(1, 3, 6), seeds=(0, 1), epochs=1, n_train=100)
    assert list(res) == ["rnn", "gru"]
    assert all(v.shape == (2, 3) for v in res.values())
    single = memory.run("gru", delay=3, seed=1, epochs=1, n_train=100).value
    assert res["gru"][1, 1] == single  # row = seed, column = delay


def test_sweep_rejects_a_single_delay_option():
    with pytest.raises(ValueError, match="give delays"):
        memory.sweep(delay=3)


def test_run_defaults_are_unchanged_by_the_init_options():
    # input_bias=None means -gate_bias for the LSTM and orthogonal=False keeps PyTorch's draw.
    for cell in ("rnn", "lstm", "gru"):
        a = memory.run(cell, delay=3, epochs=1, n_train=100, seed=2)
        b = memory.run(cell, delay=3, epochs=1, n_train=100, seed=2, orthogonal=False,
                       **({"input_bias": -memory.SETTINGS["gate_bias"]["lstm"]} if cell == "lstm" else {}))
        assert a.value == b.value, cell
    assert a.extras["settings"]["orthogonal"] is False and a.extras["settings"]["input_bias"] is None


def _initial_model(cell, **options):
    """The model run() trains, as built: one epoch on a tiny set at lr 1e-30 moves no weight measurably."""
    return memory.run(cell, delay=2, epochs=1, n_train=32, seed=1, lr=1e-30, optimizer="sgd", **options).model


def test_run_input_bias_sets_only_the_lstm_input_gate():
    D = 32
    base = _initial_model("lstm", gate_bias=0.0).rnn.params["bias_hh_l0"]
    forget1 = _initial_model("lstm", gate_bias=1.0, input_bias=0.0).rnn.params["bias_hh_l0"]
    large = _initial_model("lstm").rnn.params["bias_hh_l0"]  # the default: +3 forget, -3 input
    assert np.allclose(forget1 - base, np.r_[np.zeros(D), np.ones(D), np.zeros(2 * D)])
    assert np.allclose(large - base, np.r_[-3 * np.ones(D), 3 * np.ones(D), np.zeros(2 * D)])
    with pytest.raises(ValueError, match="input gate; cell 'gru' has none"):
        memory.run("gru", delay=2, epochs=1, n_train=32, input_bias=0.0)


@pytest.mark.parametrize("cell, G", [("rnn", 1), ("lstm", 4), ("gru", 3)])
def test_run_orthogonal_starts_every_recurrent_block_orthogonal(cell, G):
    D = 32
    W = _initial_model(cell, orthogonal=True).rnn.params["weight_hh_l0"]
    assert W.shape == (G * D, D)
    for g in range(G):
        block = W[g * D:(g + 1) * D]
        assert np.allclose(block.T @ block, np.eye(D), atol=1e-10)
    plain = _initial_model(cell).rnn.params["weight_hh_l0"]
    assert not np.allclose(plain[:D].T @ plain[:D], np.eye(D), atol=0.1)
    with pytest.raises(ValueError, match="orthogonal must be True or False"):
        memory.run(cell, delay=2, epochs=1, n_train=32, orthogonal="yes")


def test_save_and_load_sweep_round_trip(tmp_path):
    res = {"rnn": np.array([[1.0, 0.5, 0.125]]), "gru": np.array([[1.0, 1.0, 0.99], [1.0, 0.98, 0.97]])}
    path = tmp_path / "sweep.json"
    memory.save_sweep(res, (5, 10, 20), path, note="a test")
    loaded, delays = memory.load_sweep(path)
    assert delays == [5, 10, 20]
    assert set(loaded) == {"rnn", "gru"}
    for cell in res:
        assert np.allclose(loaded[cell], res[cell])
    assert path.stat().st_size < 2000
    assert json.loads(path.read_text())["note"] == "a test"


def test_save_and_load_sweep_errors(tmp_path):
    with pytest.raises(ValueError, match=r"expected \(S, K\) with K = 2 delays"):
        memory.save_sweep({"rnn": np.zeros((1, 3))}, (5, 10), tmp_path / "x.json")
    other = tmp_path / "other.json"
    other.write_text('{"a": 1}')
    with pytest.raises(ValueError, match="not written by"):
        memory.load_sweep(other)


def test_cli_trains_the_memory_task(capsys):
    from rnn_course.__main__ import main

    assert main(["train", "memory", "--epochs", "1", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("test accuracy ")


# ------------------------------------------------------------------ the figure


def test_accuracy_vs_delay_draws_one_line_per_cell_and_chance():
    res = {"rnn": np.array([[1.0, 0.6, 0.1], [0.9, 0.4, 0.15]]), "gru": np.array([[1.0, 1.0, 1.0],
                                                                                   [1.0, 0.9, 1.0]])}
    fig = accuracy_vs_delay(res, [5, 10, 20], chance=0.125)
    ax = fig.axes[0]
    lines = [ln for ln in ax.get_lines() if ln.get_linestyle() == "-"]
    assert len(lines) == 2
    assert np.allclose(lines[0].get_ydata(), [0.95, 0.5, 0.125])  # the mean over seeds
    assert np.allclose(lines[0].get_xdata(), [5, 10, 20])
    dashed = [ln for ln in ax.get_lines() if ln.get_linestyle() == "--"]
    assert len(dashed) == 1 and np.allclose(dashed[0].get_ydata(), 0.125)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[0].startswith("RNN") and labels[1].startswith("GRU") and "chance" in labels[2]
    assert len(ax.collections) == 4  # a band and the seeds' dots per cell
    assert ax.get_xlabel().startswith("delay")
    assert ax.get_ylabel().startswith("test accuracy") and "mean of 2 seeds" in ax.get_ylabel()


def test_accuracy_vs_delay_one_seed_no_chance_and_own_axes():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    out = accuracy_vs_delay({"lstm": [1.0, 0.2]}, [10, 30], ax=ax)
    assert out is fig
    assert len(ax.get_lines()) == 1 and len(ax.collections) == 0
    assert ax.get_legend().get_texts()[0].get_text() == "LSTM"
    plt.close(fig)


def test_accuracy_vs_delay_errors():
    with pytest.raises(ValueError, match=r"results\['rnn'\] has shape \(1, 2\)"):
        accuracy_vs_delay({"rnn": [1.0, 0.5]}, [5, 10, 20])
    with pytest.raises(TypeError, match="must be a dict"):
        accuracy_vs_delay([1.0, 0.5], [5, 10])
