"""rnn_course.plots.training: what accuracy_vs_delay draws matches the sweep it is given
(chapters 7 and 8). The line, chance level and legend are tested in tests/test_task_memory.py;
here: every seed is a dot, the band spans the seeds, and the ticks are the delays."""

import numpy as np

from rnn_course.plots.training import accuracy_vs_delay


def test_accuracy_vs_delay_draws_every_seed_and_the_band_between_them():
    rng = np.random.default_rng(0)
    delays = [5, 10, 20, 30, 40]
    acc = rng.uniform(0.1, 1.0, size=(10, len(delays)))           # S = 10 seeds, more than any palette
    ax = accuracy_vs_delay({"rnn": acc}, delays, chance=0.125).axes[0]
    dots = [c for c in ax.collections if len(c.get_offsets()) == acc.size]
    assert len(dots) == 1                                          # one dot per (seed, delay), none dropped
    xy = np.asarray(dots[0].get_offsets())
    assert sorted(map(tuple, np.round(xy, 12))) == sorted(
        (float(d), float(a)) for row in np.round(acc, 12) for d, a in zip(delays, row))
    band = [c for c in ax.collections if c is not dots[0]][0]
    vertices = np.concatenate([p.vertices for p in band.get_paths()])
    assert np.isclose(vertices[:, 1].min(), acc.min()) and np.isclose(vertices[:, 1].max(), acc.max())
    for k, d in enumerate(delays):                                  # at each delay the band spans the seeds
        at = vertices[np.isclose(vertices[:, 0], d), 1]
        assert np.isclose(at.min(), acc[:, k].min()) and np.isclose(at.max(), acc[:, k].max())
    assert list(ax.get_xticks()) == delays
    assert "mean of 10 seeds" in ax.get_ylabel()
    line = [ln for ln in ax.get_lines() if ln.get_linestyle() == "-"][0]
    assert np.allclose(line.get_ydata(), acc.mean(axis=0))
