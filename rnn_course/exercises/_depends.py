"""Which earlier exercise functions a learner's function calls, and whose they are (issue 15).

Some exercises build on earlier ones: a learner's ``rnn_forward`` calls their
``rnn_step_forward``, a learner's ``rnn_backward`` their ``rnn_step_backward``.
The check runs the learner's function as it is, so it uses whatever those names
mean in the learner's notebook. ``uses_sentence`` says which one that was (the
learner's own, the library's, or a stub), so that a verdict never rests on a
function the learner did not know was being used.
"""

from __future__ import annotations

import dis
import inspect
import types


def _global_names(code: types.CodeType) -> set[str]:
    """Every global name that ``code`` (and the functions and lambdas inside it) loads."""
    names = {ins.argval for ins in dis.get_instructions(code) if ins.opname == "LOAD_GLOBAL"}
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _global_names(const)
    return names


def loaded_globals(fn):
    """(names, lookup) for a function: the global names its code loads, and ``lookup(name)``, the value a name
    has in its module; None for what is no Python function. A function of the student's process in the grader
    (``_remote.RemoteFunction``) answers both from there."""
    names = getattr(fn, "rnn_course_global_names", None)
    if isinstance(names, set) and callable(getattr(fn, "rnn_course_global", None)):
        return names, fn.rnn_course_global
    code = getattr(fn, "__code__", None)
    if not isinstance(code, types.CodeType):
        return None
    namespace = getattr(fn, "__globals__", None)
    return _global_names(code), (namespace.get if isinstance(namespace, dict) else lambda name: None)


def is_function(obj) -> bool:
    """inspect.isfunction, also for a function of the student's process in the grader."""
    return inspect.isfunction(obj) or getattr(obj, "rnn_course_is_function", False) is True


def _whose(obj, name: str) -> str:
    module = getattr(obj, "__module__", "") or ""
    if module.startswith("rnn_course"):
        return f"the library's {name} ({module}.{name})"
    if not module or module in ("__main__", "__mp_main__") or module.startswith("__"):
        return f"your own {name}"
    return f"{name} from {module}"


def earlier_functions(fn, exercise_names, is_stub) -> list[tuple[str, str]]:
    """[(name, description)] of the exercise functions ``fn`` calls by their global name.

    - fn: the learner's function
    - exercise_names: the names of the implementation exercises (other than fn's own)
    - is_stub: is_stub(f) -> True when f is still the untouched stub
    """
    loaded = loaded_globals(fn)
    if loaded is None:
        return []
    names, lookup = loaded
    found = []
    for name in sorted(names & set(exercise_names)):
        obj = lookup(name)
        if obj is None or not is_function(obj):
            continue
        description = _whose(obj, name)
        if description.startswith("your own") and is_stub(obj):
            description += ", which is still the stub"
        found.append((name, description))
    return found


def uses_sentence(fn, exercise_names, is_stub) -> str:
    """'It calls your own rnn_step_forward.' or '' when fn calls no other exercise's function."""
    found = earlier_functions(fn, exercise_names, is_stub)
    if not found:
        return ""
    return "It calls " + " and ".join(description for _, description in found) + "."
