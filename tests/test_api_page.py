"""The API reference (book/appendix/api.md) has an entry for every public name.

The page lists its entries by hand (``.. autofunction::``, ``.. autoclass::``,
...), so a new public function or module needs a line there; these tests fail
until it has one, and name what is missing. Public means: a module whose
dotted name has no part starting with ``_``, and in it the names of its
``__all__``, or, without ``__all__``, the functions and classes it defines
whose names do not start with ``_``. The exercise checkers
(``rnn_course.exercises.<module>``) are left out: the book's public face of
the exercises is ``check`` and ``hint``.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
import sys
from pathlib import Path

import pytest

import rnn_course

API_PAGE = Path(__file__).resolve().parents[1] / "book" / "appendix" / "api.md"
DIRECTIVE = re.compile(
    r"^\.\. (?:auto(?P<auto>module|function|class|data|exception)|py:(?P<py>module|function|class|data))::\s+(?P<target>\S+)",
    re.MULTILINE,
)


def _directives():
    text = API_PAGE.read_text(encoding="utf-8")
    found = []
    for m in DIRECTIVE.finditer(text):
        kind = m.group("auto") or m.group("py")
        found.append((kind, m.group("target")))
    return found


def public_modules():
    names = ["rnn_course"]
    for info in pkgutil.walk_packages(rnn_course.__path__, "rnn_course."):
        parts = info.name.split(".")
        if any(p.startswith("_") for p in parts[1:]):
            continue
        if info.name.startswith("rnn_course.exercises."):
            continue
        names.append(info.name)
    return sorted(names)


def public_names(module):
    if hasattr(module, "__all__"):
        return list(module.__all__)
    return [n for n, o in vars(module).items()
            if not n.startswith("_") and (inspect.isfunction(o) or inspect.isclass(o))
            and o.__module__ == module.__name__]


def test_page_has_entries():
    assert API_PAGE.exists()
    assert len(_directives()) > 100


@pytest.mark.parametrize("modname", public_modules())
def test_module_is_documented(modname):
    modules = {t for k, t in _directives() if k == "module"}
    assert modname in modules, f"api.md has no `.. automodule:: {modname}` section"


@pytest.mark.parametrize("modname", public_modules())
def test_every_public_name_is_documented(modname):
    module = importlib.import_module(modname)
    targets = {t for _, t in _directives()}
    missing = []
    for name in public_names(module):
        obj = getattr(module, name)
        if inspect.ismodule(obj):
            if obj.__name__ not in targets:
                missing.append(f"module {obj.__name__}")
            continue
        home = getattr(obj, "__module__", None) if (inspect.isfunction(obj) or inspect.isclass(obj)) else None
        candidates = {f"{modname}.{name}"}
        if home:
            candidates.add(f"{home}.{name}")
        if not candidates & targets:
            missing.append(f"{modname}.{name}")
    assert not missing, "api.md has no entry for: " + ", ".join(missing)


def test_every_entry_exists_and_appears_once():
    seen = set()
    for kind, target in _directives():
        assert target not in seen, f"api.md documents {target} twice (Sphinx warns about duplicates)"
        seen.add(target)
        if kind == "module":
            importlib.import_module(target)
            continue
        modname, _, attr = target.rpartition(".")
        module = importlib.import_module(modname)
        assert hasattr(module, attr), f"api.md documents {target}, which does not exist"


def test_a_missing_name_is_reported(monkeypatch):
    # The check itself must be able to fail: hide one entry and expect a failure.
    original = _directives()
    monkeypatch.setattr(sys.modules[__name__], "_directives",
                        lambda: [d for d in original if d[1] != "rnn_course.rnn.rnn_forward"])
    with pytest.raises(AssertionError, match="rnn_course.rnn.rnn_forward"):
        test_every_public_name_is_documented("rnn_course.rnn")
