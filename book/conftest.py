"""How the chapters are tested: strict nbval, with two additions (issue 19).

`make test` runs every chapter under nbval (see pyproject.toml): each code cell
is executed and its output compared with the stored one, character for
character, after the substitutions in tests/nbval_sanitize.cfg. That stays the
rule. This file adds:

1. **Last-digit tolerance, for cells tagged ``last-digit-tolerance``.** A cell
   that prints the result of a training can differ in its last printed digit
   on another machine: numpy's BLAS (OpenBLAS with a kernel per CPU, Apple's
   Accelerate on macOS) sums in another order, and a value that sits near a
   rounding boundary rounds the other way. In such a cell every number may
   differ from the stored one by at most one unit in its last printed digit
   (0.984 may be 0.983 or 0.985; 33 may be 32 or 34; 1.5e-03 may be 1.4e-03),
   and everything else, including the count and the order of the numbers,
   must match exactly. A change beyond one unit is a training that moved, and
   fails. Untagged cells, which is most of them, are compared exactly.

2. **A second run under another OpenBLAS kernel.** The notebooks in
   ``OTHER_KERNEL_NOTEBOOKS`` train models for many steps; they are collected a
   second time with ``OPENBLAS_CORETYPE`` set to another x86-64 kernel than the
   native one (Haswell, or Sandybridge where Haswell is native), so that a
   change which makes a printed result depend on the CPU fails here, and not
   on a reader's laptop. Their node ids read e.g.
   ``book/beyond/08_lstm_gru.ipynb::kernel Sandybridge::Cell 3``.
   The second run is skipped, with the reason, where the environment already
   sets ``OPENBLAS_CORETYPE`` (some machines set it for safety, and it is not
   ours to override) or where numpy's BLAS is not OpenBLAS.

nbval itself has no tolerance option; the comparison below wraps its
``compare_outputs`` (nbval 0.11 is pinned in requirements.txt) and leaves the
comparison of every untagged cell to nbval unchanged.
"""

from __future__ import annotations

import ctypes
import glob
import os
import re
from decimal import Decimal
from pathlib import Path

import pytest
from nbval.plugin import IPyNbCell, IPyNbFile

TOLERANCE_TAG = "last-digit-tolerance"

# The chapters that train for many steps, as paths relative to book/.
OTHER_KERNEL_NOTEBOOKS = (
    "architectures/05b_writing_sequences.ipynb",
    "beyond/07_training_rnns.ipynb",
    "beyond/08_lstm_gru.ipynb",
)
# The kernels to try, in order: the first that is not the native one is used.
OTHER_KERNELS = ("Haswell", "Sandybridge")

# -- 1. last-digit tolerance --------------------------------------------------------

# A number as Python prints it: optional sign, digits, optional decimals, optional exponent.
# It stands alone: a date such as 1921-03-04, a time 12:05 or an id a/3 is not a number here, and
# must match exactly.
NUMBER = re.compile(r"(?<![\w.\-+/:])[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?(?![\w\-+/:]|\.\d)")


def last_digit_unit(token: str) -> Decimal:
    """One unit in the last printed digit of a number: '0.984' -> 0.001, '33' -> 1, '1.5e-03' -> 0.0001."""
    mantissa, _, exponent = token.lower().partition("e")
    decimals = len(mantissa.partition(".")[2])
    return Decimal(1).scaleb(-decimals + (int(exponent) if exponent else 0))


def within_last_digit(test: str, ref: str) -> str | None:
    """None when ``test`` matches ``ref`` with every number within one unit of its last printed
    digit (the unit of the stored number); otherwise a sentence saying what differs."""
    test_parts, ref_parts = NUMBER.split(test), NUMBER.split(ref)
    if test_parts != ref_parts:
        return "the text around the numbers differs"
    for got, want in zip(NUMBER.findall(test), NUMBER.findall(ref)):
        if abs(Decimal(got) - Decimal(want)) > last_digit_unit(want):
            return f"{got} differs from the stored {want} by more than one unit in its last digit"
    return None


def _texts(outputs):
    """(output index, key, text) of every textual part of a cell's outputs."""
    for i, out in enumerate(outputs):
        if "text" in out:
            yield i, None, out["text"]
        for mime, value in out.get("data", {}).items():
            if mime.startswith("text/") and isinstance(value, str):
                yield i, mime, value


def _adopt_close_numbers(test, ref):
    """Copy the stored text into the fresh outputs wherever the two match within the tolerance,
    so that nbval's own comparison then passes them; anything else is left for nbval to report."""
    ref_texts = {(i, key): text for i, key, text in _texts(ref)}
    for i, key, text in list(_texts(test)):
        stored = ref_texts.get((i, key))
        if stored is not None and stored != text and within_last_digit(text, stored) is None:
            if key is None:
                test[i]["text"] = stored
            else:
                test[i]["data"][key] = stored


_nbval_compare_outputs = IPyNbCell.compare_outputs


def compare_outputs(self, test, ref, skip_compare=None):
    if TOLERANCE_TAG in self.cell.metadata.get("tags", []):
        _adopt_close_numbers(test, ref)
    return _nbval_compare_outputs(self, test, ref, skip_compare)


IPyNbCell.compare_outputs = compare_outputs

# -- 2. a second run under another OpenBLAS kernel ---------------------------------


def native_openblas_core() -> str | None:
    """The OpenBLAS kernel numpy uses on this CPU, e.g. 'Haswell'; None when numpy's BLAS is not
    the OpenBLAS that numpy's wheels bundle (then OPENBLAS_CORETYPE would change nothing)."""
    import numpy

    for lib in glob.glob(os.path.join(os.path.dirname(numpy.__file__) + ".libs", "*openblas*")):
        try:
            handle = ctypes.CDLL(lib)
        except OSError:
            continue
        for symbol in ("scipy_openblas_get_corename64_", "openblas_get_corename64_", "openblas_get_corename"):
            corename = getattr(handle, symbol, None)
            if corename is not None:
                corename.restype = ctypes.c_char_p
                return corename().decode()
    return None


def other_kernel() -> tuple[str | None, str]:
    """(kernel, '') for the second run, or (None, the reason there is none)."""
    preset = os.environ.get("OPENBLAS_CORETYPE")
    if preset:
        return None, (f"the run under a second OpenBLAS kernel is off: this environment sets "
                      f"OPENBLAS_CORETYPE={preset}, which is not overridden")
    native = native_openblas_core()
    if native is None:
        return None, ("the run under a second OpenBLAS kernel is off: numpy's BLAS here is not "
                      "the bundled OpenBLAS, so OPENBLAS_CORETYPE would change nothing")
    return next(k for k in OTHER_KERNELS if k.lower() != native.lower()), ""


class OtherKernelNotebook(IPyNbFile):
    """A chapter's nbval run with its kernel started under OPENBLAS_CORETYPE = ``blas_kernel``."""

    blas_kernel = None

    def setup(self):
        saved = os.environ.get("OPENBLAS_CORETYPE")
        os.environ["OPENBLAS_CORETYPE"] = self.blas_kernel
        try:
            super().setup()  # starts the notebook's kernel, which inherits the variable
        finally:
            if saved is None:
                del os.environ["OPENBLAS_CORETYPE"]
            else:
                os.environ["OPENBLAS_CORETYPE"] = saved


class SkippedRun(pytest.Item):
    def __init__(self, *, reason, **kwargs):
        super().__init__(**kwargs)
        self.reason = reason

    def runtest(self):
        pytest.skip(self.reason)


class OtherKernelRun(pytest.File):
    """Collects nothing but one skipped item, when the second run cannot happen."""

    reason = ""

    def collect(self):
        yield SkippedRun.from_parent(self, name="second OpenBLAS kernel", reason=self.reason)


def pytest_collect_file(file_path, parent):
    if not parent.config.option.nbval or file_path.suffix != ".ipynb":
        return None
    relative = file_path.relative_to(Path(__file__).parent).as_posix()
    if relative not in OTHER_KERNEL_NOTEBOOKS:
        return None
    kernel, reason = other_kernel()
    if kernel is None:
        if relative != OTHER_KERNEL_NOTEBOOKS[0]:
            return None
        node = OtherKernelRun.from_parent(parent, path=file_path, name="second kernel",
                                          nodeid=_nodeid(parent, file_path, "second kernel"))
        node.reason = reason
        return node
    name = f"kernel {kernel}"
    node = OtherKernelNotebook.from_parent(parent, path=file_path, name=name,
                                           nodeid=_nodeid(parent, file_path, name))
    node.blas_kernel = kernel
    return node


def _nodeid(parent, file_path, name):
    """'book/beyond/08_lstm_gru.ipynb::kernel Sandybridge': the notebook's own node id is taken
    by nbval's run, and pytest keeps one collector per node id."""
    return f"{file_path.relative_to(parent.config.rootpath).as_posix()}::{name}"
