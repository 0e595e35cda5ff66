"""Each chapter's "Reading time: about N minutes." line, computed from the page itself.

    python scripts/reading_time.py            # print every page's stated and computed time
    python scripts/reading_time.py --write    # rewrite the lines that disagree

The estimate is for reading with care and running the code, not for solving
the exercises:

- prose at 200 words a minute (the Korean terms count as words);
- visible code at 10 lines a minute (reading it, running it, reading its output);
- 1 minute per figure (a hide-input cell with an image);
- 2 minutes per exercise (reading it and trying the check once);

rounded to the nearest 5 minutes, and at least 5. Rounding to 5 keeps the line
stable under small edits; tests/test_chapters.py fails when it drifts, and this
script's --write fixes it. Only markdown changes, so the stored outputs stay valid.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINE = re.compile(r"^Reading time: about (\d+) minutes\.", re.M)
WORD = re.compile(r"[A-Za-z가-힣0-9]+")


def _src(cell):
    return "".join(cell["source"])


def estimate(cells) -> int:
    """Minutes, rounded to the nearest 5 (at least 5), for a notebook's cells."""
    prose = " ".join(_src(c) for c in cells if c["cell_type"] == "markdown")
    code = [c for c in cells if c["cell_type"] == "code"]
    visible = sum(len(_src(c).splitlines()) for c in code if "hide-input" not in c["metadata"].get("tags", []))
    figures = sum(1 for c in code if "hide-input" in c["metadata"].get("tags", [])
                  and any("image/png" in o.get("data", {}) for o in c.get("outputs", [])))
    exercises = prose.count("{exercise}")
    minutes = len(WORD.findall(prose)) / 200 + visible / 10 + figures + 2 * exercises
    return max(5, 5 * round(minutes / 5))


def stated(cells) -> int | None:
    match = LINE.search(_src(cells[0])) if cells else None
    return int(match.group(1)) if match else None


def pages():
    """The chapter notebooks listed in _toc.yml (the appendix has no reading-time line)."""
    files = re.findall(r"file:\s*(\S+)", (ROOT / "_toc.yml").read_text())
    return [ROOT / (f + ".ipynb") for f in files
            if "/appendix/" not in f and (ROOT / (f + ".ipynb")).exists()]


def main(write=False):
    for path in pages():
        raw = path.read_text(encoding="utf-8")
        nb = json.loads(raw)
        want, have = estimate(nb["cells"]), stated(nb["cells"])
        flag = "" if want == have else "   <- differs"
        print(f"{path.relative_to(ROOT)}: stated {have}, computed {want}{flag}")
        if write and have is not None and want != have:
            first = nb["cells"][0]
            text = LINE.sub(f"Reading time: about {want} minutes.", _src(first), count=1)
            first["source"] = text.splitlines(keepends=True)
            path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(write="--write" in sys.argv[1:])
