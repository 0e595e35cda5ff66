"""What a test run skipped, and why, in one line per reason (issue 15).

A skip is easy to miss: `make test` used to end with "All tests passed" while
every browser test had skipped. At the end of the run, pytest_terminal_summary
groups the skipped tests by their reason and prints one line per reason:

    84 browser tests skipped: no Chromium at /usr/bin/chromium: install it ...
    3 notebook cells skipped: tagged nbval-skip in 07_training_rnns, 08_lstm_gru, 09_char_lm

`--skip-summary-file PATH` writes the same lines to PATH, so that `make test`
can print them after its own last message. tests/test_skip_summary.py runs
pytest on small test files and asserts these lines.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import pytest

# tests/test_skip_summary.py runs pytest inside pytest.
pytest_plugins = ["pytester"]

@pytest.fixture(scope="session")
def chromium():
    """One headless Chromium for the whole test process, shared by the book's browser tests
    (tests/test_browser.py) and the JupyterLab test (tests/test_lab.py): Playwright's sync API
    runs one instance per thread, so a second `sync_playwright()` in the same process fails."""
    from chromium import CHROMIUM, CHROMIUM_ARGS  # tests/chromium.py

    if not CHROMIUM.is_file():
        pytest.skip(f"no Chromium at {CHROMIUM}: install it with `apt-get install chromium`")
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="Playwright is not installed (see requirements.txt)"
    )
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def pytest_addoption(parser):
    parser.addoption(
        "--skip-summary-file", metavar="PATH",
        help="also write the summary of skipped tests to PATH (empty when nothing skipped)",
    )


# nbval skips a cell tagged nbval-skip with no reason of its own.
NBVAL_SKIP = "tagged nbval-skip"


def _reason(report) -> str:
    """The skip reason as pytest's own `-rs` summary shows it, '' when none was given."""
    longrepr = report.longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
    reason = reason.removeprefix("Skipped: ")
    return "" if reason == "Skipped" else reason


def _file(nodeid: str) -> Path:
    return Path(nodeid.split("::")[0])


def _what(nodeids: list[str]) -> str:
    """What was skipped: 'notebook cell', 'browser test' (tests/test_browser.py) or 'test'."""
    files = {_file(nodeid) for nodeid in nodeids}
    if all(f.suffix == ".ipynb" for f in files):
        return "notebook cell"
    if len(files) == 1:
        return files.pop().stem.removeprefix("test_").replace("_", " ") + " test"
    return "test"


def skip_summary(reports) -> list[str]:
    """One line per skip reason, the most common first: 'N things skipped: reason'."""
    by_reason: dict[str, list[str]] = defaultdict(list)
    for report in reports:
        reason = _reason(report)
        if not reason and _file(report.nodeid).suffix == ".ipynb":
            reason = NBVAL_SKIP
        by_reason[reason or "no reason given"].append(report.nodeid)
    lines = []
    for reason, nodeids in sorted(by_reason.items(), key=lambda item: (-len(item[1]), item[0])):
        if reason == NBVAL_SKIP:
            reason += " in " + ", ".join(sorted({_file(n).stem for n in nodeids}))
        count = len(nodeids)
        lines.append(f"{count} {_what(nodeids)}{'' if count == 1 else 's'} skipped: {reason}")
    return lines


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter, exitstatus, config):
    lines = skip_summary(terminalreporter.stats.get("skipped", []))
    for line in lines:
        terminalreporter.write_line(line, yellow=True)
    path = config.getoption("skip_summary_file")
    if path:
        Path(path).write_text("".join(line + "\n" for line in lines), encoding="utf-8")


# -- how `make test` shares the tests between its workers (pytest-xdist, --dist loadscope) --------

_BROWSER_PAGE_TEST = re.compile(r"tests/test_browser\.py::\w+\[([^\]-]+)")


def pytest_xdist_make_scheduler(config, log):
    """xdist's loadscope, with one change: the browser tests of one page are one unit.

    loadscope sends each notebook run (its cells share one kernel, as nbval needs)
    and each test module to one worker. The browser tests are most of the run's
    tail, and each page's tests share that page's single load (the ``visit``
    fixture: axe in both modes and the zoom check), so each page, not the whole
    module, goes to one worker. (xdist's own ``--dist loadgroup`` would do this
    with marks, but with pytest 9 its group names never reach the scheduler.)
    """
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class BookScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid):
            page = _BROWSER_PAGE_TEST.match(nodeid)
            return "browser " + page.group(1) if page else super()._split_scope(nodeid)

    return BookScheduling(config, log)


def _stored_seconds(notebook: Path) -> float:
    """How long the notebook's cells took when its outputs were stored (their execution metadata)."""
    import json
    from datetime import datetime

    total = 0.0
    try:
        cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    except (OSError, ValueError, KeyError):
        return 0.0
    for cell in cells:
        times = cell.get("metadata", {}).get("execution", {})
        start, end = times.get("iopub.execute_input"), times.get("shell.execute_reply")
        if start and end:
            total += (datetime.fromisoformat(end.replace("Z", "+00:00"))
                      - datetime.fromisoformat(start.replace("Z", "+00:00"))).total_seconds()
    return total


def pytest_collection_modifyitems(config, items):
    """The longest work first, so that two workers finish together: the notebook runs, longest
    first by their stored execution times, then the browser tests, then the rest. The sort is
    stable, so each notebook's cells keep their order (nbval runs them in one kernel)."""
    seconds = {}

    def key(item):
        path = item.nodeid.split("::", 1)[0]
        if path.endswith(".ipynb"):
            if path not in seconds:
                seconds[path] = _stored_seconds(config.rootpath / path)
            return (0, -seconds[path])
        return (1, 0) if path.endswith("test_browser.py") else (2, 0)

    items.sort(key=key)
