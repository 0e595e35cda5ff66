"""The time-series figure of chapter 5 (rnn_course.plots.topologies.series_forecast):
what it draws, and the sentences it raises on bad input."""

import matplotlib
import numpy as np
import pytest
from matplotlib.colors import to_rgba

from rnn_course import plots
from rnn_course.plots._style import COLORS
from rnn_course.plots.topologies import series_forecast

matplotlib.use("Agg")

YEARS = np.arange(1700, 1760)
VALUES = 50 + 40 * np.sin(2 * np.pi * (YEARS - 1700) / 11)


def test_exported_from_the_package():
    assert plots.topologies.series_forecast is series_forecast


def test_the_series_alone_is_one_dark_line():
    fig = series_forecast(YEARS, VALUES, title="sunspots")
    ax = fig.axes[0]
    assert len(ax.lines) == 1 and ax.get_legend() is None
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), YEARS)
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), VALUES)
    assert to_rgba(ax.lines[0].get_color()) == to_rgba(COLORS["text"])
    assert ax.get_xlabel() == "year" and ax.get_ylabel() == "sunspot number" and ax.get_title() == "sunspots"
    assert ax.get_xlim() == (1699.5, 1759.5)


def test_split_years_draw_boundaries_and_name_the_spans():
    fig = series_forecast(YEARS, VALUES, split_year=(1730, 1745))
    ax = fig.axes[0]
    boundaries = [line for line in ax.lines[1:]]
    assert [line.get_xdata()[0] for line in boundaries] == [1729.5, 1744.5]
    assert [t.get_text() for t in ax.texts] == ["train", "validation", "test"]
    assert len(ax.patches) == 1  # the test span is shaded
    one = series_forecast(YEARS, VALUES, split_year=1750).axes[0]
    assert [t.get_text() for t in one.texts] == ["train", "test"]


def test_forecasts_are_labelled_lines_in_the_book_colours():
    truth = VALUES
    fig = series_forecast(YEARS, truth, {"GRU": truth + 1, "linear AR": truth - 1, "persistence": truth * 0.9})
    ax = fig.axes[0]
    assert len(ax.lines) == 4
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["true", "GRU", "linear AR", "persistence"]
    np.testing.assert_array_equal(ax.lines[1].get_ydata(), truth + 1)
    assert to_rgba(ax.lines[1].get_color()) == to_rgba(COLORS["output"])
    assert ax.lines[2].get_linestyle() == "--"
    assert ax.get_ylim()[1] > 1.1 * max(truth + 1)  # room for the legend
    single = series_forecast(YEARS, truth, truth + 2).axes[0]
    assert [t.get_text() for t in single.get_legend().get_texts()] == ["true", "forecast"]


@pytest.mark.parametrize("args, kwargs, words", [
    ((YEARS, VALUES[:-1]), {}, r"two \(T,\) arrays of the same length"),
    ((YEARS[::-1], VALUES), {}, "years must increase"),
    ((YEARS, VALUES), dict(predicted={"GRU": VALUES[:5]}), r"predicted\['GRU'\] has shape \(5,\); expected \(T,\)"),
    ((YEARS, VALUES), dict(predicted={str(k): VALUES for k in range(5)}), "at most 4 forecasts"),
    ((YEARS, VALUES), dict(split_year=1800), "split_year must be one year or two increasing years"),
    ((YEARS, VALUES), dict(split_year=(1740, 1730)), "split_year must be"),
])
def test_bad_input_gets_a_sentence(args, kwargs, words):
    with pytest.raises(ValueError, match=words):
        series_forecast(*args, **kwargs)
