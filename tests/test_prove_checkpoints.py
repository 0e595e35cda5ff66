"""The stored results of chapters 7-9 and the settings that remake them (issue 17).

Chapters 7, 8 and 9 print numbers read from files under book/beyond/checkpoints/,
written by their RETRAIN cells (minutes of training, skipped by the build and by
nbval). ``make prove`` (scripts/prove_checkpoints.py) retrains every file and
compares; it takes minutes, so CI runs it after ``make test`` rather than inside
it. These tests take seconds and keep the files, the RETRAIN cells and the
prover from drifting apart:

- every file records the settings its chapter's RETRAIN cell gives (the plan
  the prover follows is read from those very cells);
- one entry of the sweeps is trained again and matches exactly;
- the first training steps of chapter 9's model are taken again and match.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from rnn_course.tasks import charlm, memory

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import prove_checkpoints as prove  # noqa: E402


@pytest.fixture(scope="module")
def files():
    return prove.plan()


def test_every_file_records_the_settings_of_its_retrain_cell(files):
    assert prove.check_recorded_settings(files) == []


def test_the_retrain_cells_write_every_file_and_nothing_else(files):
    assert sorted(files) == sorted(p.name for p in prove.CHECKPOINTS.iterdir() if p.is_file())
    assert {spec.chapter for spec in files.values()} == set(prove.CHAPTERS)


def test_check_recorded_settings_names_a_file_that_drifted(files, monkeypatch, tmp_path):
    for path in prove.CHECKPOINTS.iterdir():
        (tmp_path / path.name).write_bytes(path.read_bytes())
    data = json.loads((tmp_path / "memory_wide_rnn.json").read_text())
    data["note"] = "rnn, hidden=64, seeds (0, 1, 2)"
    (tmp_path / "memory_wide_rnn.json").write_text(json.dumps(data))
    monkeypatch.setattr(prove, "CHECKPOINTS", tmp_path)
    problems = prove.check_recorded_settings(files)
    assert len(problems) == 1 and problems[0].startswith("memory_wide_rnn.json: its note")


def test_one_sweep_entry_is_trained_again_exactly(files):
    """Seed 1 of the plain RNN at delay 10 (about a second): the first entry of the sweeps that is
    neither perfect nor chance. Chapter 7's sweep and chapter 8's share it."""
    pending = files["memory_sweep.json"].results["rnn"]
    value = memory.run(cell="rnn", delay=10, seed=1, **dict(pending.options)).value
    for name in ("memory_sweep.json", "rnn_delay_sweep.json"):
        results, delays = memory.load_sweep(prove.CHECKPOINTS / name)
        stored = results["rnn"][files[name].results["rnn"].seeds.index(1), delays.index(10)]
        assert value == stored, f"{name}: rnn, seed 1, delay 10: stored {stored}, trained again {value}"


def test_the_first_steps_of_chapter_9s_training_are_taken_again(files, monkeypatch):
    """charlm.run with the RETRAIN cell's settings, on the first STEPS batches of its streams only,
    for one epoch: the loss and gradient norm of each step match the checkpoint's first ones (the
    steps do not depend on how many follow). Scoring the held-out text is left out (the loss
    returns 0), and so are the snapshots, which do not touch the training."""
    steps = 4
    spec = files["charlm_moby_gru.npz"]
    kwargs = {k: v for k, v in spec.kwargs.items() if k != "snapshot_steps"}
    assert kwargs["carry_state"] is not False, "the test assumes training on streams"
    real_streams = charlm.streams

    def first_batches(ids, n_streams, T):
        inputs, targets = real_streams(ids, n_streams, T)
        return inputs[:steps * n_streams], targets[:steps * n_streams]

    monkeypatch.setattr(charlm, "streams", first_batches)
    monkeypatch.setattr(charlm, "stream_loss", lambda model, ids, n_streams=1: 0.0)
    history = charlm.run(**{**kwargs, "epochs": 1, "quiet": True}).history
    with np.load(prove.CHECKPOINTS / spec.name, allow_pickle=False) as f:
        stored_losses, stored_norms = f["_losses"][:steps], f["_grad_norms"][:steps]
    np.testing.assert_allclose(history.losses, stored_losses, rtol=1e-9, err_msg="charlm_moby_gru.npz: _losses")
    np.testing.assert_allclose(history.grad_norms, stored_norms, rtol=1e-9,
                               err_msg="charlm_moby_gru.npz: _grad_norms")
