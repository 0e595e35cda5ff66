"""The language-model project's "modify and rerun" checker (charlm_lstm): wrong
models fail with a message that names their fault, correct ones written in
other styles pass, and the stub reads "not attempted"."""

import numpy as np
import pytest

import rnn_course as rc
from rnn_course.exercises import EXERCISES, check
from rnn_course.exercises.charlm_exercises import EMBED, HIDDEN, make_lstm_lm
from rnn_course.models import CharLM
from checking import assert_fails, assert_passes


def test_the_registry_entry():
    ex = EXERCISES["charlm_lstm"]
    assert ex.kind == "implementation" and ex.chapter == "Project: a character-level language model"
    assert ex.reference is make_lstm_lm and len(ex.hints) == 3
    model = make_lstm_lm(29, seed=3)
    assert isinstance(model.rnn, rc.LSTM) and model.rnn.hidden_size == HIDDEN == 64 and EMBED == 16


# -- the stub and right answers ---------------------------------------------------------


def stub(vocab_size, seed):
    ...  # your code here


def stub_raises(vocab_size, seed):
    raise NotImplementedError


@pytest.mark.parametrize("fn", [stub, stub_raises, None])
def test_the_stub_is_not_attempted(fn):
    assert check("charlm_lstm", fn).status == "not attempted"


def right_keywords(vocab_size, seed):
    return CharLM(vocab_size=vocab_size, embed_dim=16, hidden_size=64, cell="lstm", num_layers=1, seed=seed)


def right_positional_other_seed(vocab_size, seed):
    model = rc.models.CharLM(vocab_size, 16, 64, "lstm", 1, seed + 100)  # any seed-determined weights will do
    return model


def right_from_a_dict(vocab_size, seed):
    config = {"embed_dim": 16, "hidden_size": 64, "cell": "lstm"}
    return CharLM(vocab_size, seed=seed, **config)


@pytest.mark.parametrize("fn", [make_lstm_lm, right_keywords, right_positional_other_seed, right_from_a_dict])
def test_right_answers_pass(fn):
    result = check("charlm_lstm", fn)
    assert_passes(result)
    assert "loss fell from" in result.message


# -- wrong answers, each with its diagnosis ---------------------------------------------


def still_gru(vocab_size, seed):
    return CharLM(vocab_size, 16, 64, seed=seed)


def plain_rnn(vocab_size, seed):
    return CharLM(vocab_size, 16, 64, cell="rnn", seed=seed)


def only_the_lstm(vocab_size, seed):
    return rc.LSTM(16, 64, seed=seed)


def forgot_return(vocab_size, seed):
    model = CharLM(vocab_size, 16, 64, cell="lstm", seed=seed)  # noqa: F841


def wrong_hidden(vocab_size, seed):
    return CharLM(vocab_size, 16, 128, cell="lstm", seed=seed)


def wrong_embed(vocab_size, seed):
    return CharLM(vocab_size, 32, 64, cell="lstm", seed=seed)


def two_layers(vocab_size, seed):
    return CharLM(vocab_size, 16, 64, cell="lstm", num_layers=2, seed=seed)


def bidirectional(vocab_size, seed):
    return CharLM(vocab_size, 16, 64, cell="lstm", seed=seed, bidirectional=True)


def fixed_vocab(vocab_size, seed):
    return CharLM(29, 16, 64, cell="lstm", seed=seed)


def ignores_seed(vocab_size, seed):
    return CharLM(vocab_size, 16, 64, cell="lstm")


def unseeded(vocab_size, seed):
    return CharLM(vocab_size, 16, 64, cell="lstm", seed=int(np.random.default_rng().integers(1 << 30)))


_CACHE = {}


def one_shared_model(vocab_size, seed):
    key = (vocab_size, seed)
    if key not in _CACHE:
        _CACHE[key] = CharLM(vocab_size, 16, 64, cell="lstm", seed=seed)
    return _CACHE[key]


def zeroed(vocab_size, seed):
    """'Untrained' taken as all-zero weights (only the seeded embedding kept): h stays 0 and nothing
    but the output bias can learn."""
    model = CharLM(vocab_size, 16, 64, cell="lstm", seed=seed)
    for name, p, _ in model.parameters():
        if not name.startswith("embed."):
            p[...] = 0.0
    return model


def crashes(vocab_size, seed):
    return CharLM(vocab_size, 16, 64, cell="LSTM", seed=seed)


@pytest.mark.parametrize("fn, fragments", [
    (still_gru, ["is a GRU, not an LSTM", "cell='lstm'"]),
    (plain_rnn, ["is a RNN, not an LSTM"]),
    (only_the_lstm, ["returned a LSTM", "only the recurrent layer"]),
    (forgot_return, ["returned None"]),
    (wrong_hidden, ["D = 128", "D = 64"]),
    (wrong_embed, ["d = 32", "d = 16"]),
    (two_layers, ["2 stacked layers"]),
    (bidirectional, ["is bidirectional", "copy the answer"]),
    (fixed_vocab, ["vocab_size = 11", "pass vocab_size on"]),
    (ignores_seed, ["seed is ignored"]),
    (unseeded, ["same seed", "different initial weights"]),
    (one_shared_model, ["the very same model object"]),
    (zeroed, ["hardly learns"]),
    (crashes, ["raised an exception", "cell must be"]),
])
def test_wrong_answers_fail_with_a_diagnosis(fn, fragments):
    assert_fails(check("charlm_lstm", fn), *fragments)
