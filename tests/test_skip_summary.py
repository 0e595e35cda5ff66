"""The skip summary of tests/conftest.py, asserted on real pytest runs (issue 15).

Each test writes a few small test files (and notebooks) into a fresh
directory with the project's conftest.py, runs pytest there in a subprocess
through the `pytester` fixture and reads what it printed.
"""

from __future__ import annotations

import json
from pathlib import Path

CONFTEST = Path(__file__).with_name("conftest.py")
CHROMIUM_REASON = "no Chromium at /usr/bin/chromium: install it with `apt-get install chromium`"

# Skipped the way tests/test_browser.py skips: a session fixture that every
# page test needs, and a test that does not need it.
BROWSER = f'''
import pytest

@pytest.fixture(scope="session")
def browser():
    pytest.skip("{CHROMIUM_REASON}")

@pytest.mark.parametrize("page", ["intro", "notation", "glossary"])
def test_page(browser, page):
    pass

def test_toc_is_read():
    pass
'''

# A skipif marker with a reason, and a skip without one.
PARITY = '''
import pytest

@pytest.mark.skipif(True, reason="torch is not installed")
def test_rnn_parity():
    pass

def test_no_reason():
    pytest.skip()
'''


def notebook(*cells: tuple[str, list[str]]) -> str:
    """An .ipynb with code cells given as (source, tags), none of them with outputs."""
    return json.dumps({
        "nbformat": 4, "nbformat_minor": 5,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "cells": [
            {"cell_type": "code", "id": f"cell-{i}", "execution_count": None,
             "metadata": {"tags": tags}, "outputs": [], "source": source}
            for i, (source, tags) in enumerate(cells)
        ],
    })


def run(pytester, *args, **files):
    pytester.makeconftest(CONFTEST.read_text(encoding="utf-8"))
    if files:
        pytester.makepyfile(**files)
    # In a subprocess: this run has imported tests/test_browser.py already.
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", *args)


def test_one_line_per_reason_with_its_count_right_before_the_totals(pytester):
    result = run(pytester, test_browser=BROWSER, test_torch_parity=PARITY)
    result.assert_outcomes(passed=1, skipped=5)
    assert result.outlines[-4:-1] == [
        f"3 browser tests skipped: {CHROMIUM_REASON}",
        "1 torch parity test skipped: no reason given",
        "1 torch parity test skipped: torch is not installed",
    ]
    assert "5 skipped" in result.outlines[-1]


def test_one_reason_across_files_counts_tests(pytester):
    other = BROWSER.replace("def test_toc_is_read", "def test_other")
    result = run(pytester, test_browser=BROWSER, test_search=other)
    result.assert_outcomes(passed=2, skipped=6)
    assert result.outlines[-2] == f"6 tests skipped: {CHROMIUM_REASON}"


def test_nbval_skip_cells_are_one_line_naming_their_notebooks(pytester):
    # The skipped cells would raise if nbval ran them.
    for name in ("07_training", "09_char_lm"):
        pytester.makefile(".ipynb", **{name: notebook(("1 / 0", ["nbval-skip"]), ("x = 1", []))})
    result = run(pytester, "--nbval", "--nbval-current-env")
    result.assert_outcomes(passed=2, skipped=2)
    assert result.outlines[-2] == (
        "2 notebook cells skipped: tagged nbval-skip in 07_training, 09_char_lm"
    )


def test_the_file_holds_the_same_lines_and_is_empty_when_nothing_skipped(pytester):
    path = pytester.path / "skipped.txt"
    result = run(pytester, "--skip-summary-file", str(path), test_browser=BROWSER)
    assert path.read_text(encoding="utf-8") == f"3 browser tests skipped: {CHROMIUM_REASON}\n"
    assert result.outlines[-2] == f"3 browser tests skipped: {CHROMIUM_REASON}"

    result = run(pytester, "--skip-summary-file", str(path), test_browser="def test_ok():\n    pass\n")
    result.assert_outcomes(passed=1)
    assert path.read_text(encoding="utf-8") == ""
    assert not any(" skipped: " in line for line in result.outlines)
