"""Where the browser tests find Chromium, and the flags they start it with.

The fixture that starts it, once per test process, is ``chromium`` in tests/conftest.py.
"""

from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
# The flags the project's machines run Chromium with (issue 9). Playwright adds
# a fresh temporary --user-data-dir of its own on every launch and deletes it
# on close (it refuses the flag in `args`).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
