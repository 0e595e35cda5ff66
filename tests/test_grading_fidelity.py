"""The same verdict from the split grader as from the check in one process (issue 18).

``_isolated.grade_program`` grades with the student's code in a process of its own (``_remote``); the learner
sees ``check`` in their kernel, with everything in one process. A review of the split found answers whose
verdicts differed; each test grades the same source both ways. Also: the library watch fails closed, and
recursing on purpose to remove it earns nothing.
"""

from __future__ import annotations

import textwrap

import pytest

from rnn_course.exercises import grade
from rnn_course.exercises._isolated import grade_program


def _in_process(name, source, answer):
    namespace = {"__name__": "__main__"}
    exec(compile(source, "<answer cell>", "exec"), namespace)
    try:
        return True, str(grade(name, eval(answer, namespace)))
    except AssertionError as exc:
        return False, str(exc)


def _both(name, source, answer=None):
    source = textwrap.dedent(source)
    passed, text = _in_process(name, source, answer or name)
    verdict = grade_program(name, source, answer or name, {})
    return (passed, text), (verdict.passed, verdict.text)


STEP_BACKWARD_WRITES_INTO_CACHE = '''
import numpy as np
def rnn_step_backward(dh_next, cache):
    h = cache.h_next
    if cache.nonlinearity == "tanh":
        h **= 2; h *= -1; h += 1          # 1 - h**2, written into the cache's own array
        da = dh_next * h
    else:
        da = dh_next * (h > 0)
    return da @ cache.Wx, da @ cache.Wh, da.T @ cache.x_t, da.T @ cache.h_prev, da.sum(0)
'''


def test_a_change_inside_a_named_tuple_cache_is_caught_as_in_process():
    (passed, text), (remote_passed, remote_text) = _both("rnn_step_backward", STEP_BACKWARD_WRITES_INTO_CACHE)
    assert not passed and "changed its input `cache` in place" in text
    assert not remote_passed, remote_text


LRU_CACHED_MODEL = '''
import functools
from rnn_course.models import CharLM
@functools.lru_cache(maxsize=None)
def make_lstm_lm(vocab_size, seed=0):
    return CharLM(vocab_size, 16, 64, cell="lstm", num_layers=1, seed=seed)
'''


def test_the_same_model_object_twice_fails_as_in_process():
    (passed, text), (remote_passed, remote_text) = _both("charlm_lstm", LRU_CACHED_MODEL, "make_lstm_lm")
    assert not passed and "the very same model object" in text
    assert not remote_passed, remote_text


MODEL_USED_ONCE = '''
import numpy as np
from rnn_course.models import CharLM
def make_lstm_lm(vocab_size, seed=0):
    model = CharLM(vocab_size, 16, 64, cell="lstm", num_layers=1, seed=seed)
    probe = np.zeros((1, 3), dtype=int)
    model.loss(probe, probe)          # a sanity check: it runs
    model.zero_grad()
    return model
'''


def test_a_right_model_that_ran_once_passes_as_in_process():
    (passed, text), (remote_passed, remote_text) = _both("charlm_lstm", MODEL_USED_ONCE, "make_lstm_lm")
    assert passed, text
    assert remote_passed, remote_text


TOPOLOGIES = ('{"image captioning": "one-to-many", "spam detection": "many-to-one", "sentiment classification": '
              '"many-to-one", "named-entity recognition": "many-to-many", "translation": "many-to-many"}')


@pytest.mark.parametrize("name, source", [
    ("topologies", f"from collections import OrderedDict\nanswer = OrderedDict({TOPOLOGIES})\n"),
    ("topologies", f"from collections import defaultdict\nanswer = defaultdict(str, {TOPOLOGIES})\n"),
    ("mutable_sequences", "answer = {'list': True}.keys()\n"),
])
def test_a_right_concept_answer_of_a_container_subclass_passes_as_in_process(name, source):
    (passed, text), (remote_passed, remote_text) = _both(name, source, "answer")
    assert passed, text
    assert remote_passed, remote_text


def test_sys_exit_with_a_message_reads_as_in_process():
    source = "def one_hot(ids, V):\n    raise SystemExit('bye')\n"
    (_, text), (_, remote_text) = _both("one_hot", source)
    assert "(code 'bye')" in text
    assert "(code 'bye')" in remote_text, remote_text


LIBRARY_CALL_THEN_NO_ROOM = '''
import numpy as np
from rnn_course.layers import one_hot as _library_one_hot
hog = []
def _leave_room(room):
    size = 1 << 28
    while size >= 1 << 12:
        try:
            hog.append(np.empty(size, dtype=np.uint8))   # address space, no pages
        except MemoryError:
            size //= 2
    freed = 0
    while freed < room:
        freed += hog.pop().nbytes
def one_hot(ids, V):
    freed = 0
    while hog and freed < (64 << 20):
        freed += hog.pop().nbytes
    out = _library_one_hot(ids, V)     # the library's own work: the watch sees it
    _leave_room(1 << 20)               # room for this answer's message, none for the report's fingerprint
    return out
'''


def test_an_answer_that_calls_the_library_scores_nothing_even_when_its_process_cannot_report(monkeypatch):
    from rnn_course.exercises._screen import screen_cell
    assert screen_cell(LIBRARY_CALL_THEN_NO_ROOM, "one_hot-answer").refused == []   # it passes the screen
    monkeypatch.setenv("RNN_COURSE_MEMORY_LIMIT", "1024")
    plain = grade_program("one_hot", LIBRARY_CALL_THEN_NO_ROOM.replace("_leave_room(1 << 20)", "pass"),
                          "one_hot", {})
    assert not plain.passed and plain.library == "rnn_course.layers.one_hot"   # caught when it reports
    verdict = grade_program("one_hot", LIBRARY_CALL_THEN_NO_ROOM, "one_hot", {})
    assert not verdict.passed and "ended before the grader's checks" in verdict.text, verdict


RECURSES_TO_HIDE_A_CALL = '''
import rnn_course
def deeper(n):
    return deeper(n + 1)
def one_hot(ids, V):
    try:
        deeper(0)                 # a RecursionError clears the profile hook that watches for the library's work
    except RecursionError:
        pass
    return rnn_course.layers.one_hot(ids, V)
'''


def test_recursing_to_remove_the_watch_earns_nothing_and_an_honest_recursion_is_not_flagged():
    from rnn_course.exercises._screen import screen_cell
    assert screen_cell(RECURSES_TO_HIDE_A_CALL, "answer cell 1").refused == []   # it passes the screen
    verdict = grade_program("one_hot", RECURSES_TO_HIDE_A_CALL, "one_hot", {})
    assert not verdict.passed and "removed by a RecursionError" in verdict.changed, verdict
    honest = grade_program("one_hot", "def one_hot(ids, V):\n    return one_hot(ids, V)\n", "one_hot", {})
    assert not honest.passed and "RecursionError" in honest.text and not honest.changed, honest


def test_a_deeply_nested_answer_is_graded_not_lost():
    # Past the encoder's depth an object crosses as a stand-in: it is graded (as a wrong answer), and the
    # student's process goes on.
    source = "answer = []\nfor _ in range(80):\n    answer = [answer]\n"
    (passed, text), (remote_passed, remote_text) = _both("topologies", source, "answer")
    assert not passed and not remote_passed
    assert "process in the grader" not in remote_text, remote_text


SUBCLASS_THAT_DOES_NOT_LEARN = '''
from rnn_course.models import CharLM
class Mine(CharLM):
    def loss(self, inputs, targets):
        return 1.0
def make_lstm_lm(vocab_size, seed=0):
    return Mine(vocab_size, 16, 64, cell="lstm", num_layers=1, seed=seed)
'''
SUBCLASS_WITH_ITS_OWN_INIT = '''
from rnn_course.models import CharLM
class Mine(CharLM):
    def __init__(self, vocab_size, seed):
        super().__init__(vocab_size, 16, 64, cell="lstm", num_layers=1, seed=seed)
def make_lstm_lm(vocab_size, seed=0):
    return Mine(vocab_size, seed)
'''


def test_a_subclass_of_the_librarys_model_is_graded_as_what_it_does():
    # A 6th teacher's try: a subclass whose loss is a constant came back as a plain CharLM and passed. A class of
    # the student's that defines methods now crosses as a stand-in (not the library's class: fails, as its model
    # fails in-process); one that only defines __init__ is rebuilt and passes, as in-process.
    (passed, text), (remote_passed, remote_text) = _both("charlm_lstm", SUBCLASS_THAT_DOES_NOT_LEARN, "make_lstm_lm")
    assert not passed and not remote_passed and "returned a Mine" in remote_text, remote_text
    (passed, text), (remote_passed, remote_text) = _both("charlm_lstm", SUBCLASS_WITH_ITS_OWN_INIT, "make_lstm_lm")
    assert passed and remote_passed, (text, remote_text)


def test_what_an_answer_prints_is_shown_once():
    # A 6th teacher's try: prints came twice, from the book's cases and from the fresh ones.
    from rnn_course.exercises._isolated import grade_program
    source = "import numpy as np\ndef one_hot(ids, V):\n    print('called')\n    return np.eye(V)[ids]\n"
    verdict = grade_program("one_hot", source, "one_hot", {}, fresh_seed=5)
    assert verdict.passed and verdict.text.count("during the check") == 1, verdict.text
