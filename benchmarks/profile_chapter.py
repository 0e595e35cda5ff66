"""Time and profile what a chapter notebook executes, outside Jupyter.

    OPENBLAS_NUM_THREADS=1 PYTHONPATH=$PWD python benchmarks/profile_chapter.py book/beyond/09_char_lm.ipynb
    ... --profile 25          also run it under cProfile and print the 25 costliest functions

The notebook's code cells run in order in one namespace, from the notebook's
own folder, as nbval and the book's build run them, except the cells tagged
``skip-execution`` (the long retrainings, which neither runs either). Figures
are drawn with matplotlib's Agg backend and closed, and ``glue`` does nothing.
It prints each cell's wall and CPU seconds and the totals: the CPU seconds
move less than the wall clock on a shared machine. A Jupyter kernel adds its
start-up (about 1 s) to the chapter's execution time.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import sys
import time
import types
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before numpy loads its BLAS
os.environ.setdefault("MPLBACKEND", "Agg")


def code_cells(path):
    nb = json.loads(Path(path).read_text())
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        if "skip-execution" in cell.get("metadata", {}).get("tags", []):
            continue
        yield i, "".join(cell["source"])


def _no_glue():
    fake = types.ModuleType("myst_nb")
    fake.glue = lambda *args, **kwargs: None
    sys.modules["myst_nb"] = fake


def run(path, profiler=None, quiet=False):
    import matplotlib.pyplot as plt

    _no_glue()
    path = Path(path).resolve()
    os.chdir(path.parent)
    namespace = {"__name__": "__main__"}
    rows = []
    for i, source in code_cells(path):
        wall, cpu = time.perf_counter(), time.process_time()
        out = io.StringIO()
        real = sys.stdout
        sys.stdout = out if quiet else real
        try:
            if profiler is not None:
                profiler.enable()
            exec(compile(source, f"{path.name}[{i}]", "exec"), namespace)
        finally:
            if profiler is not None:
                profiler.disable()
            sys.stdout = real
            plt.close("all")
        rows.append((i, time.perf_counter() - wall, time.process_time() - cpu))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("notebook")
    parser.add_argument("--profile", type=int, default=0, metavar="K",
                        help="run under cProfile and print the K costliest functions (by own and total time)")
    parser.add_argument("--show", action="store_true", help="let the cells print")
    args = parser.parse_args()
    profiler = cProfile.Profile() if args.profile else None
    rows = run(args.notebook, profiler, quiet=not args.show)
    print(f"{'cell':>5s} {'wall s':>8s} {'cpu s':>8s}")
    for i, wall, cpu in rows:
        print(f"{i:5d} {wall:8.2f} {cpu:8.2f}")
    print(f"{'total':>5s} {sum(r[1] for r in rows):8.2f} {sum(r[2] for r in rows):8.2f}")
    if profiler is not None:
        for key in ("tottime", "cumulative"):
            print(f"\n--- by {key} ---")
            pstats.Stats(profiler).sort_stats(key).print_stats(args.profile)


if __name__ == "__main__":
    main()
