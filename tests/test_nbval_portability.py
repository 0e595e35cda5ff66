"""The chapters' portability checks (issue 19), defined in book/conftest.py:
the last-digit tolerance of cells tagged ``last-digit-tolerance``, and the second
nbval run of the training chapters under another OpenBLAS kernel."""

from __future__ import annotations

import importlib.util
import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

BOOK = Path(__file__).resolve().parent.parent / "book"


def _load_book_conftest():
    spec = importlib.util.spec_from_file_location("book_conftest_under_test", BOOK / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bc = _load_book_conftest()


@pytest.mark.parametrize("token, unit", [
    ("0.984", "0.001"), ("33", "1"), ("-2.50", "0.01"), ("1.5e-03", "0.0001"), ("4.2e-31", "1e-32"),
    ("7E+2", "100"),
])
def test_one_unit_in_the_last_printed_digit(token, unit):
    assert bc.last_digit_unit(token) == Decimal(unit)


@pytest.mark.parametrize("test, ref", [
    ("accuracy 0.983", "accuracy 0.984"),
    ("accuracy 0.985", "accuracy 0.984"),
    ("epoch 3/5 · loss 0.424 · val 0.91", "epoch 3/5 · loss 0.423 · val 0.91"),
    ("32 wrong of 2000", "33 wrong of 2000"),
    ("rate 1.4e-03", "rate 1.5e-03"),
    ("same text 0.5", "same text 0.5"),
    ("accuracy 0.985.", "accuracy 0.984."),
    ("-0.124, +3", "-0.123, +2"),
])
def test_numbers_one_unit_apart_in_the_last_digit_pass(test, ref):
    assert bc.within_last_digit(test, ref) is None


@pytest.mark.parametrize("test, ref, why", [
    ("accuracy 0.926", "accuracy 0.967", "0.926 differs from the stored 0.967 by more than one unit"),
    ("accuracy 0.982", "accuracy 0.984", "0.982 differs from the stored 0.984"),
    ("31 wrong", "33 wrong", "31 differs from the stored 33"),
    ("accuracy 0.98", "accuracy 0.984", "0.98 differs from the stored 0.984"),  # 0.98 is 4 units of 0.001 off
    ("loss 0.424", "val 0.424", "the text around the numbers differs"),
    ("0.424 0.5", "0.424", "the text around the numbers differs"),
    ("mistakes: 1921-03-04", "mistakes: 1921-03-05", "the text around the numbers differs"),
    ("at 12:05", "at 12:04", "the text around the numbers differs"),
])
def test_anything_else_fails(test, ref, why):
    message = bc.within_last_digit(test, ref)
    assert message is not None and why in message


def test_only_close_texts_are_adopted():
    ref = [{"output_type": "stream", "name": "stdout", "text": "acc 0.984\n"},
           {"output_type": "execute_result", "data": {"text/plain": "0.5", "image/png": "x"}}]
    close = [{"output_type": "stream", "name": "stdout", "text": "acc 0.983\n"},
             {"output_type": "execute_result", "data": {"text/plain": "0.7", "image/png": "x"}}]
    bc._adopt_close_numbers(close, ref)
    assert close[0]["text"] == "acc 0.984\n"  # within one unit: adopted
    assert close[1]["data"]["text/plain"] == "0.7"  # two units of 0.1 away: left as it is
    far = [{"output_type": "stream", "name": "stdout", "text": "acc 0.970\n"}]
    bc._adopt_close_numbers(far, ref)
    assert far[0]["text"] == "acc 0.970\n"  # left for nbval to report


def test_a_preset_coretype_is_not_overridden(monkeypatch):
    monkeypatch.setenv("OPENBLAS_CORETYPE", "Prescott")
    kernel, reason = bc.other_kernel()
    assert kernel is None
    assert "sets OPENBLAS_CORETYPE=Prescott, which is not overridden" in reason


def test_the_second_kernel_is_not_the_native_one(monkeypatch):
    monkeypatch.delenv("OPENBLAS_CORETYPE", raising=False)
    native = bc.native_openblas_core()
    kernel, reason = bc.other_kernel()
    if native is None:
        assert kernel is None and "not the bundled OpenBLAS" in reason
    else:
        assert kernel in bc.OTHER_KERNELS and kernel.lower() != native.lower() and reason == ""


def test_the_listed_notebooks_exist():
    for relative in bc.OTHER_KERNEL_NOTEBOOKS:
        assert (BOOK / relative).is_file(), relative


# -- end to end: nbval on small notebooks with the book's conftest ---------------------

def _notebook(cells):
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": {"kernelspec": {"name": "python3",
            "display_name": "Python 3", "language": "python"}},
            "cells": [{"cell_type": "code", "id": f"c{i}", "execution_count": i + 1,
                       "metadata": {"tags": tags}, "source": source,
                       "outputs": [{"output_type": "stream", "name": "stdout", "text": stored}] if stored else []}
                      for i, (source, stored, tags) in enumerate(cells)]}


def _project(pytester, relative, cells):
    shutil.copy(BOOK / "conftest.py", pytester.path / "conftest.py")
    path = pytester.path / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(_notebook(cells)))
    return path


def test_tagged_cells_pass_within_one_unit_and_untagged_cells_stay_exact(pytester):
    _project(pytester, "foundations/demo.ipynb", [
        ('print("acc 0.983")', "acc 0.984\n", [bc.TOLERANCE_TAG]),
        ('print("acc 0.981")', "acc 0.984\n", [bc.TOLERANCE_TAG]),
        ('print("acc 0.983")', "acc 0.984\n", []),
    ])
    result = pytester.runpytest_subprocess("--nbval", "--nbval-current-env", "-p", "no:cacheprovider", "-v")
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(["*demo*Cell 0 PASSED*", "*demo*Cell 1 FAILED*",
                                 "*demo*Cell 2 FAILED*"])


def test_the_second_run_starts_its_kernel_under_the_other_kernel(pytester, monkeypatch):
    monkeypatch.delenv("OPENBLAS_CORETYPE", raising=False)
    native = bc.native_openblas_core()
    if native is None:
        pytest.skip("numpy's BLAS here is not the bundled OpenBLAS")
    kernel, _ = bc.other_kernel()
    report = pytester.path / "cores.txt"
    source = (f"import os\nwith open({str(report)!r}, 'a') as f:\n"
              f"    f.write(os.environ.get('OPENBLAS_CORETYPE', 'native') + '\\n')")
    _project(pytester, bc.OTHER_KERNEL_NOTEBOOKS[0], [(source, "", [])])
    result = pytester.runpytest_subprocess("--nbval", "--nbval-current-env", "-p", "no:cacheprovider", "-v")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines([f"*kernel {kernel}*Cell 0 PASSED*"])
    assert sorted(report.read_text().split()) == sorted(["native", kernel])
