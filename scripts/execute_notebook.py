"""Execute chapter notebooks in place, as the book's build does, storing their outputs.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python scripts/execute_notebook.py book/beyond/07_training_rnns.ipynb

Cells tagged ``skip-execution`` are left as they are, with their stored outputs:
they are the long trainings that write a file under ``book/beyond/checkpoints/``,
which the build (myst-nb) and the tests (nbval, where they are also tagged
``nbval-skip``) skip too. ``jupyter nbconvert --execute`` would run them, for
minutes, and overwrite the committed file. To remake such a file, set
``RETRAIN = True`` in its cell and run that cell in Jupyter.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient


class SkippingClient(NotebookClient):
    """A NotebookClient that does not run cells tagged skip-execution."""

    async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        if "skip-execution" in cell.get("metadata", {}).get("tags", []):
            return cell
        return await super().async_execute_cell(cell, cell_index, execution_count, store_history)


def execute(path: Path, timeout: int = 900) -> None:
    nb = nbformat.read(path, as_version=4)
    SkippingClient(nb, timeout=timeout, kernel_name="python3", record_timing=True,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    nbformat.write(nb, path)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    for arg in sys.argv[1:]:
        execute(Path(arg))
        print(f"executed {arg}")
