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

import dataclasses
import importlib
import io
import inspect
import pkgutil
import re
import sys
from pathlib import Path
from typing import NamedTuple

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


# ---------------------------------------------------------------------------
# Every entry renders with a docstring, and the array-handling ones with shapes
# ---------------------------------------------------------------------------
#
# autodoc silently leaves out a member that has no docstring, so an undocumented
# public method is simply missing from the page. The tests below walk every
# function and class that api.md names, and every public method of those
# classes, the way autodoc does.

OPTION = re.compile(r"^\s+:(?P<name>[\w-]+):(?P<value>.*)$")


def _autoclass_members():
    """{class target: None (no :members:), "ALL" (bare :members:) or a set of names}."""
    out, current = {}, None
    for line in API_PAGE.read_text(encoding="utf-8").splitlines():
        m = DIRECTIVE.match(line)
        if m:
            current = m.group("target") if (m.group("auto") or m.group("py")) == "class" else None
            if current:
                out[current] = None
            continue
        opt = OPTION.match(line)
        if current and opt and opt.group("name") == "members":
            names = {n.strip() for n in opt.group("value").split(",") if n.strip()}
            out[current] = names or "ALL"
        elif line.strip() and not opt:
            current = None
    return out


def _resolve(target):
    modname, _, attr = target.rpartition(".")
    return getattr(importlib.import_module(modname), attr)


def _is_namedtuple(cls):
    return inspect.isclass(cls) and issubclass(cls, tuple) and hasattr(cls, "_fields")


def _fields(cls):
    if _is_namedtuple(cls):
        return list(cls._fields)
    if dataclasses.is_dataclass(cls):
        return [f.name for f in dataclasses.fields(cls)]
    return []


def _own_doc(obj):
    """The docstring a reader sees, or "" when there is none or Python made it up.

    NamedTuple and dataclass classes get a generated ``Name(field, ...)``
    docstring, which says nothing, so it counts as missing.
    """
    doc = inspect.getdoc(obj) or ""
    if inspect.isclass(obj) and _fields(obj) and re.fullmatch(rf"{obj.__name__}\(.*\)", doc.strip(), re.S):
        return ""
    return doc


def public_methods(cls):
    """[(name, function, defining class)] for the public methods and properties of cls
    that the library defines (tuple's count/index and object's methods are not ours)."""
    out = []
    for name in dir(cls):
        if name.startswith("_"):
            continue
        owner = next(c for c in cls.__mro__ if name in vars(c))
        if not owner.__module__.startswith("rnn_course"):
            continue
        attr = vars(owner)[name]
        if isinstance(attr, (staticmethod, classmethod)):
            attr = attr.__func__
        elif isinstance(attr, property):
            attr = attr.fget
        if inspect.isfunction(attr):
            out.append((name, attr, owner))
    return out


def api_callables():
    """[(qualified name, object, kind)] of every function, class and public method the page renders.

    kind is "function", "class" or "method"; a method is listed once, under the
    class that defines it, e.g. ``rnn_course.module.Module.zero_grad``.
    """
    seen, out = set(), []
    for kind, target in _directives():
        if kind not in ("function", "class"):
            continue
        obj = _resolve(target)
        out.append((target, obj, kind))
        if kind == "class":
            for name, fn, owner in public_methods(obj):
                key = f"{owner.__module__}.{owner.__qualname__}.{name}"
                if key not in seen:
                    seen.add(key)
                    out.append((key, fn, "method"))
    return out


def undocumented(items):
    """The qualified names among items that have no docstring, plus NamedTuple and
    dataclass fields their class docstring does not mention."""
    missing = []
    for qualname, obj, kind in items:
        doc = _own_doc(obj)
        if not doc:
            missing.append(qualname)
            continue
        if kind == "class":
            missing += [f"{qualname}.{f} (field not described in the class docstring)"
                        for f in _fields(obj) if not re.search(rf"\b{f}\b", doc)]
    return missing


def test_every_rendered_callable_has_a_docstring():
    missing = undocumented(api_callables())
    assert not missing, ("no docstring (autodoc leaves it out of api.md), or a field its class "
                         "docstring does not describe: " + ", ".join(missing))


def unrendered_methods(directives, members):
    """Public methods that have a docstring but that no directive renders.

    A method appears under the class that defines it when that class's
    ``.. autoclass::`` has a bare ``:members:`` or lists it; a method inherited
    from a class the page does not document (``RecurrentModule``) must be
    listed explicitly under the documented class.
    """
    documented = {t: _resolve(t) for k, t in directives if k == "class"}
    by_class = {cls: t for t, cls in documented.items()}
    missing = []
    for target, cls in documented.items():
        for name, _fn, owner in public_methods(cls):
            shown_here = members.get(target) == "ALL" and owner is cls or (
                isinstance(members.get(target), set) and name in members[target])
            owner_target = by_class.get(owner)
            shown_at_owner = owner_target is not None and (
                members.get(owner_target) == "ALL" or name in (members.get(owner_target) or ()))
            if not (shown_here or shown_at_owner):
                missing.append(f"{target}.{name}")
    return sorted(set(missing))


def test_every_public_method_is_rendered():
    missing = unrendered_methods(_directives(), _autoclass_members())
    assert not missing, ("api.md does not render these methods; give their class `:members:` "
                         "(or list them): " + ", ".join(missing))


def test_namedtuples_do_not_autodoc_their_fields():
    # A bare :members: on a NamedTuple renders every field as "Alias for field
    # number 0"; the fields are described in the class docstring instead.
    bad = [t for t, m in _autoclass_members().items() if m == "ALL" and _is_namedtuple(_resolve(t))]
    assert not bad, "bare :members: on a NamedTuple renders its field aliases: " + ", ".join(bad)


# A shape is a parenthesised tuple of dimensions with at least one comma, like
# "(N, T, d)", "(V,)", "(T+1, N, D)", "(L*dirs, N, D)", "(N, T, dirs*D)",
# "(4D, d)" or "(..., V)". A dimension is a whole number, "...", or a
# product/sum of the book's letters and the few extra names some modules state
# in their own docstrings (L layers or text length, S source length, F
# features, H hidden units of the MLP, G gates, K curve points, w window, T'
# target length, T_n one sequence's length). It counts as a shape in the
# book's letters only if one of N, T, d, D, V, C appears in it: "(L,)" alone,
# "(a, b)" or "(name, param, grad)" do not.
_DIM_NAME = r"(?:\d*(?:[NTdDVCLSFGHKw](?![A-Za-z])|dirs|num_layers|num_directions|T_[a-z]+)'?|\d+)"
_DIM = rf"(?:\.\.\.|{_DIM_NAME}(?:\s*[-+*]\s*{_DIM_NAME})*)"
SHAPE = re.compile(rf"\(\s*{_DIM}\s*,(?:\s*{_DIM}\s*,)*(?:\s*{_DIM})?\s*\)")
BOOK_LETTER = re.compile(r"(?<![A-Za-z_])\d*[NTdDVC](?![A-Za-z])")


def book_shapes(text):
    """The shapes in the book's letters that ``text`` mentions, e.g. ["(N, T, d)", "(V,)"]."""
    return [m.group(0) for m in SHAPE.finditer(text or "") if BOOK_LETTER.search(m.group(0))]


def test_shape_regex():
    assert book_shapes("x: (N, T, d) inputs; b: (D,) bias") == ["(N, T, d)", "(D,)"]
    for shape in ("(T+1, N, D)", "(L*dirs, N, D)", "(N, T, dirs*D)", "(4D, d)", "(3D,)", "(..., V)",
                  "(N, T')", "(N, T, d + C)", "(num_layers*num_directions, N, D)", "(N, 8, 8)", "(V, C)"):
        assert book_shapes(f"returns {shape} values") == [shape], shape
    for not_a_shape in ("(N)", "(L,)", "(K,)", "(S, K)", "(a, b)", "(name, param, grad)", "(0, 1)",
                        "(see D)", "(h, cache)", "(dh_n, dc_n)", "(n, 8, 16)", "(...)", "(index, D)"):
        assert book_shapes(f"returns {not_a_shape} values") == [], not_a_shape


# The modules whose functions take or return arrays. Every public function,
# NamedTuple and public method they define must state at least one shape.
SHAPE_MODULES = ("rnn_course.rnn", "rnn_course.lstm", "rnn_course.gru", "rnn_course.layers",
                 "rnn_course.losses", "rnn_course.optim", "rnn_course.gradcheck", "rnn_course.gradflow",
                 "rnn_course.models", "rnn_course.module", "rnn_course.train", "rnn_course.mlp",
                 "rnn_course.datasets", "rnn_course.synthetic", "rnn_course.tasks", "rnn_course.plots",
                 "rnn_course._recurrent")

# Callables in those modules that genuinely take and return no array, or whose
# arrays have no dimension the book names. Each entry says why.
SHAPELESS = {
    # No arrays: the tokenizers and Vocab.encode turn strings into lists of tokens or ids.
    "rnn_course.text.word_tokenize", "rnn_course.text.char_tokenize",
    "rnn_course.text.Vocab.encode",
    # Raw data as Python lists and dicts of strings (the loaders that make arrays are checked).
    "rnn_course.datasets.sentiment_sentences", "rnn_course.datasets.spam_subjects",
    "rnn_course.datasets.moby_dick_text", "rnn_course.datasets.first_names",
    "rnn_course.datasets.name_frequencies", "rnn_course.datasets.load_cities",
    # One index array per split over n examples: no batch, time or feature axis.
    "rnn_course.datasets.split_indices",
    # Synthetic data as lists of strings and dates, and a year helper.
    "rnn_course.synthetic.dates.DatePairs", "rnn_course.synthetic.dates.make_dates",
    "rnn_course.synthetic.dates.parse_two_digit_year",
    # Bookkeeping of training: numbers, text lines and a progress bar.
    "rnn_course.train.History.last", "rnn_course.train.Progress.update",
    "rnn_course.train.Progress.epoch_done", "rnn_course.train.Progress.close",
    "rnn_course.gradcheck.GradCheckReport.max_error", "rnn_course.gradcheck.GradCheckReport.worst_name",
    "rnn_course.gradcheck.GradCheckReport.ok",
    # A task's options and its result line: settings in, a TaskResult or a str out.
    "rnn_course.tasks.TaskResult.summary", "rnn_course.tasks.check_options",
    "rnn_course.tasks.resolve_options", "rnn_course.tasks.run",
    "rnn_course.tasks.classify.run_sentiment", "rnn_course.tasks.classify.run_spam",
    "rnn_course.tasks.classify.run_classifier", "rnn_course.tasks.ner.run",
    "rnn_course.tasks.ner.compare_directions", "rnn_course.tasks.captions.run",
    "rnn_course.tasks.dates.run", "rnn_course.tasks.charlm.run",
    # Strings in, strings or a number out.
    "rnn_course.tasks.captions.spell", "rnn_course.tasks.captions.caption_vocab",
    "rnn_course.tasks.captions.exact_match", "rnn_course.tasks.dates.char_accuracy",
    "rnn_course.tasks.charlm.generate_names", "rnn_course.tasks.dates.mistake_kind",
    "rnn_course.tasks.dates.mistakes_by_kind",
    # Tag strings in, three counts out.
    "rnn_course.tasks.ner.entity_counts",
    # A learning-rate schedule: sets a float, then the (checked) Adam update.
    "rnn_course.tasks.dates.CosineAdam.step",
    # The memory sweep: accuracies over (S, K) seeds x delays, letters the book does not use.
    "rnn_course.tasks.memory.sweep", "rnn_course.tasks.memory.Sweep",
    "rnn_course.tasks.memory.save_sweep", "rnn_course.tasks.memory.load_sweep",
    # Figures that draw a fixed diagram (at most a few sizes as ints), or only set the style.
    "rnn_course.plots.use_style", "rnn_course.plots.recurrence.feedforward_vs_recurrent",
    "rnn_course.plots.recurrence.shared_vs_separate_weights", "rnn_course.plots.memory.unrolled_rnn",
    "rnn_course.plots.topologies.shapes", "rnn_course.plots.deep.stacked_rnn",
    "rnn_course.plots.deep.bidirectional_rnn", "rnn_course.plots.gates.lstm_cell",
    "rnn_course.plots.gates.gru_cell",
    # Figures of strings (tagged tokens) ...
    "rnn_course.plots.topologies.tagged_sentences",
    # ... and of curves over a figure's own x axis: per training step (History
    # lists), per tested distance or delay (K), per seed (S).
    "rnn_course.plots.training.loss_curves", "rnn_course.plots.training.accuracy_vs_delay",
    "rnn_course.plots.gradients.clipping_runs", "rnn_course.plots.language.learning_curve",
    "rnn_course.plots.recurrence.accuracy_by_distance", "rnn_course.plots.gates.accuracy_by_init",
}


def _in_shape_modules(qualname):
    return any(qualname == m or qualname.startswith(m + ".") for m in SHAPE_MODULES)


def shapeless(items, exempt=frozenset()):
    """The qualified names among items whose docstring states no shape in the book's letters.

    Checked: functions and methods, and NamedTuples (caches and data
    containers, whose docstrings list their fields with shapes).
    """
    out = []
    for qualname, obj, kind in items:
        if qualname in exempt or not _in_shape_modules(qualname):
            continue
        if kind == "class" and not _is_namedtuple(obj):
            continue
        if not book_shapes(_own_doc(obj)):
            out.append(qualname)
    return out


def test_array_functions_state_shapes():
    missing = shapeless(api_callables(), SHAPELESS)
    assert not missing, ("these docstrings state no shape in the book's letters, e.g. (N, T, d) "
                         "or (D,); add one, or an entry with a reason to SHAPELESS: " + ", ".join(missing))


def test_exemptions_are_current():
    # An exemption for a name that no longer exists, or that now states a
    # shape anyway, would hide the next regression: keep the list exact.
    items = {q: o for q, o, _ in api_callables()}
    stale = sorted(q for q in SHAPELESS if q not in items)
    assert not stale, "SHAPELESS names callables api.md does not render: " + ", ".join(stale)
    needless = sorted(q for q in SHAPELESS if book_shapes(_own_doc(items[q])))
    assert not needless, "SHAPELESS exempts callables that do state a shape: " + ", ".join(needless)


def rst_problems(named_docs):
    """[(name, docutils message)] for docstrings that are not clean reStructuredText.

    The page builds with -W, so "|a| + |b|" (an undefined substitution) or a
    list without a blank line after it fails the book build; this names the
    docstring without building it.
    """
    import docutils.core

    out = []
    for name, doc in named_docs:
        stream = io.StringIO()
        docutils.core.publish_doctree(doc, settings_overrides={
            "report_level": 2, "halt_level": 5, "warning_stream": stream})
        out += [(name, line) for line in stream.getvalue().splitlines() if line.strip()]
    return out


def test_docstrings_are_clean_rst():
    docs = [(q, _own_doc(o)) for q, o, _ in api_callables()]
    docs += [(t, importlib.import_module(t).__doc__ or "") for k, t in _directives() if k == "module"]
    problems = rst_problems(docs)
    assert not problems, "docstrings that Sphinx would warn about: " + "; ".join(
        f"{name}: {msg}" for name, msg in problems)


def test_bad_rst_is_reported():
    problems = rst_problems([("fake", "Relative error |a| + |b|.\n\n- x: (N, T, d)\nno blank line")])
    assert [name for name, _ in problems] == ["fake"] * 3  # two substitutions, one list ending


# The checks above must be able to fail. They run here on a small fake module.

def _fake_items():
    class FakeCache(NamedTuple):
        x: object
        hs: object

    class FakeModel:
        """A model."""

        def forward(self, ids, lengths):
            """Scores of a batch.

            Inputs: ids (N, T); lengths (N,). Returns (N, C).
            """

        def predict(self, ids):
            return ids

        def loss(self, ids, labels):
            """Mean cross-entropy of a batch, a float."""

    def documented(x):
        """Inputs: x (N, T, d). Returns (N, D)."""

    mod = "rnn_course.models"
    return [(f"{mod}.documented", documented, "function"),
            (f"{mod}.FakeCache", FakeCache, "class"),
            (f"{mod}.FakeModel", FakeModel, "class")] + [
        (f"{mod}.FakeModel.{n}", f, "method") for n, f, _ in
        [(n, vars(FakeModel)[n], FakeModel) for n in ("forward", "predict", "loss")]]


def test_an_undocumented_method_is_reported():
    missing = undocumented(_fake_items())
    assert "rnn_course.models.FakeModel.predict" in missing
    assert "rnn_course.models.FakeCache" in missing  # only the generated "FakeCache(x, hs)"
    assert "rnn_course.models.FakeModel.forward" not in missing
    assert "rnn_course.models.documented" not in missing


def test_a_namedtuple_field_left_out_of_its_docstring_is_reported():
    class Cache(NamedTuple):
        """What the backward pass needs.

        - x: (N, T, d) the inputs
        """

        x: object
        hs: object

    missing = undocumented([("rnn_course.rnn.Cache", Cache, "class")])
    assert missing == ["rnn_course.rnn.Cache.hs (field not described in the class docstring)"]


def test_a_shapeless_docstring_is_reported():
    missing = shapeless(_fake_items())
    # loss's docstring exists but states no shape; predict has none at all.
    assert "rnn_course.models.FakeModel.loss" in missing
    assert "rnn_course.models.FakeModel.predict" in missing
    assert "rnn_course.models.FakeModel.forward" not in missing
    assert "rnn_course.models.documented" not in missing
    # An exemption silences it; a class that is not a NamedTuple needs no shape.
    assert "rnn_course.models.FakeModel.loss" not in shapeless(_fake_items(),
                                                               {"rnn_course.models.FakeModel.loss"})
    assert "rnn_course.models.FakeModel" not in missing


def test_a_method_without_members_is_reported():
    directives = [("class", "rnn_course.layers.Linear"), ("class", "rnn_course.module.Module")]
    assert "rnn_course.layers.Linear.forward" in unrendered_methods(directives, {
        "rnn_course.layers.Linear": None, "rnn_course.module.Module": "ALL"})
    # Inherited from a documented base with :members:, zero_grad is shown there.
    assert unrendered_methods(directives, {"rnn_course.layers.Linear": "ALL",
                                           "rnn_course.module.Module": "ALL"}) == []
    # RNN.forward lives in the undocumented RecurrentModule: it must be listed.
    rnn = [("class", "rnn_course.rnn.RNN"), ("class", "rnn_course.module.Module")]
    assert "rnn_course.rnn.RNN.forward" in unrendered_methods(rnn, {"rnn_course.rnn.RNN": "ALL",
                                                                     "rnn_course.module.Module": "ALL"})
    assert unrendered_methods(rnn, {"rnn_course.rnn.RNN": {"forward", "backward"},
                                    "rnn_course.module.Module": "ALL"}) == []
