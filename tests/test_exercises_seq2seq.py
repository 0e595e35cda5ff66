"""The checkers of the encoder-decoder section (teacher forcing, greedy decoding, exact-match): wrong answers,
written the way learners write them, fail with a message that names their fault; correct ones in other styles
pass; the untouched stub reads "not attempted"."""

import numpy as np
import pytest

from rnn_course.exercises import EXERCISES, check
from rnn_course.exercises import seq2seq_exercises as s2s
from rnn_course.models import _teacher_forcing
from checking import assert_fails, assert_passes


def test_the_registry_entries_and_the_library_agree():
    for name in ("teacher_forcing_inputs", "greedy_decode", "exact_match"):
        assert EXERCISES[name].kind == "implementation" and EXERCISES[name].chapter == "Models that write sequences"
    for case in s2s.TF_CASES:
        y = s2s._targets(case, 0)
        assert np.array_equal(s2s.teacher_forcing_inputs(y, case.bos), _teacher_forcing(y, case.bos))


def test_the_toy_decoder_exercises_what_the_loop_must_do():
    # Rows finish at different steps (one never), after <eos> the decoder writes ordinary tokens, and every
    # named fault gives other ids than the right loop on the first case.
    case = s2s.GREEDY_CASES[0]
    toy = s2s._ToyDecoder(case, 0)
    out = s2s.greedy_decode(toy.step, toy.first_state(), case.bos, case.eos, case.max_len)
    first_eos = [list(row).index(case.eos) if case.eos in row else None for row in out]
    assert first_eos == [3, 5, None]
    for message, wrong in s2s._greedy_faults(case, 0):
        assert not np.array_equal(wrong, out), message


# -- teacher_forcing_inputs ----------------------------------------------------------------------


def stub_tf(targets, bos):
    ...  # your code here


def tf_hstack(targets, bos):
    return np.hstack([np.full((targets.shape[0], 1), bos), targets[:, :-1]])


def tf_copy_and_shift(targets, bos):
    inputs = np.empty_like(targets)
    inputs[:, 0] = bos
    inputs[:, 1:] = targets[:, :-1]
    return inputs


@pytest.mark.parametrize("fn", [tf_hstack, tf_copy_and_shift, s2s.teacher_forcing_inputs])
def test_tf_correct_styles_pass(fn):
    assert_passes(check("teacher_forcing_inputs", fn))


def tf_unshifted(targets, bos):
    return targets.copy()


def tf_left(targets, bos):
    return np.concatenate([targets[:, 1:], np.full((len(targets), 1), bos)], axis=1)


def tf_roll(targets, bos):
    return np.roll(targets, 1, axis=1)


def tf_keeps_last(targets, bos):
    return np.concatenate([np.full((len(targets), 1), bos), targets], axis=1)


def tf_hard_coded_bos(targets, bos):
    return np.concatenate([np.full((len(targets), 1), 1), targets[:, :-1]], axis=1)


def tf_pad_first(targets, bos):
    return np.concatenate([np.zeros((len(targets), 1), dtype=targets.dtype), targets[:, :-1]], axis=1)


def tf_batch_axis(targets, bos):
    return np.concatenate([np.full((1, targets.shape[1]), bos), targets], axis=0)


def tf_float(targets, bos):
    inputs = np.zeros(targets.shape)
    inputs[:, 0] = bos
    inputs[:, 1:] = targets[:, :-1]
    return inputs


def tf_in_place(targets, bos):
    targets[:, 1:] = targets[:, :-1].copy()
    targets[:, 0] = bos
    return targets


@pytest.mark.parametrize("fn,fragments", [
    (tf_unshifted, ["the targets themselves", "[<bos>] + y[:-1]"]),
    (tf_left, ["shift goes the wrong way"]),
    (tf_roll, ["np.roll wraps the last target"]),
    (tf_keeps_last, ["one too many", "drop the last target"]),
    (tf_hard_coded_bos, ["position 0 holds 1", "`bos` (13)"]),
    (tf_pad_first, ["position 0 holds <pad>"]),
    (tf_batch_axis, ["joined along the batch axis"]),
    (tf_float, ["floating-point", "integers"]),
    (tf_in_place, ["changed its input `targets` in place"]),
])
def test_tf_faults_are_named(fn, fragments):
    assert_fails(check("teacher_forcing_inputs", fn), *fragments)


def test_tf_stub():
    assert check("teacher_forcing_inputs", stub_tf).status == "not attempted"


# -- greedy_decode -------------------------------------------------------------------------------


def stub_greedy(step, state, bos, eos, max_len):
    ...  # your code here


def greedy_per_row(step, state, bos, eos, max_len):
    """Right: one row at a time, stopping at its <eos>, padding after."""
    rows = []
    for n in range(len(state)):
        s, token, row = state[n:n + 1], np.array([bos]), []
        while len(row) < max_len:
            logits, s = step(token, s)
            token = logits.argmax(axis=1)
            row.append(int(token[0]))
            if token[0] == eos:
                break
        rows.append(row + [eos] * (max_len - len(row)))
    return np.array(rows)


def greedy_all_steps(step, state, bos, eos, max_len):
    """Right: always max_len steps, then everything after the first <eos> overwritten."""
    tokens, written = np.full((len(state), 1), bos), []
    for _ in range(max_len):
        logits, state = step(tokens, state)
        tokens = np.argmax(logits, axis=-1)[:, None]
        written.append(tokens[:, 0])
    out = np.stack(written, axis=1)
    after = np.cumsum(out == eos, axis=1) - (out == eos) > 0
    out[after] = eos
    return out


@pytest.mark.parametrize("fn", [greedy_per_row, greedy_all_steps, s2s.greedy_decode])
def test_greedy_correct_styles_pass(fn):
    assert_passes(check("greedy_decode", fn))


def _greedy(feed_back=True, keep_state=True, pad=True, stop_on_any=False, first=None, with_bos=False,
            early_cut=False):
    def fn(step, state, bos, eos, max_len):
        N = len(state)
        start = state
        tokens = np.full(N, bos if first is None else first)
        out = [np.full(N, bos)] if with_bos else []
        done = np.zeros(N, dtype=bool)
        while len(out) < max_len:
            logits, new_state = step(tokens, state)
            state = new_state if keep_state else start
            choice = logits.argmax(axis=1)
            out.append(np.where(done & pad, eos, choice))
            tokens = choice if feed_back else np.full(N, bos)
            done |= choice == eos
            if done.any() if stop_on_any else done.all():
                break
        if not early_cut:
            out += [np.full(N, eos)] * (max_len - len(out))
        return np.stack(out, axis=1)
    return fn


def greedy_passes_logits(step, state, bos, eos, max_len):
    tokens = np.full(len(state), bos)
    out = []
    for _ in range(max_len):
        tokens, state = step(tokens, state)     # feeds the logits back
        out.append(tokens.argmax(axis=1))
    return np.stack(out, axis=1)


def greedy_argmax_axis0(step, state, bos, eos, max_len):
    tokens = np.full(len(state), bos)
    out = []
    for _ in range(max_len):
        logits, state = step(tokens, state)
        tokens = logits.argmax(axis=0)
        out.append(tokens)
    return np.stack(out, axis=1)


@pytest.mark.parametrize("fn,fragments", [
    (_greedy(feed_back=False), ["feeds <bos> at every step"]),
    (_greedy(keep_state=False), ["passes the first state to every step"]),
    (_greedy(pad=False), ["goes on writing after a row's <eos>"]),
    (_greedy(stop_on_any=True), ["stops as soon as one row writes <eos>"]),
    (_greedy(first=2), ["starts from <eos>"]),
    (_greedy(first=0), ["starts from the id 0"]),
    (_greedy(with_bos=True), ["output starts with <bos>"]),
    (_greedy(early_cut=True), ["fill the remaining positions with <eos>"]),
    (greedy_passes_logits, ["the logits", "argmax(axis=1)"]),
    (greedy_argmax_axis0, ["argmax taken over axis 1"]),
])
def test_greedy_faults_are_named(fn, fragments):
    assert_fails(check("greedy_decode", fn), *fragments)


def test_greedy_stub_and_endless_loop_guard():
    assert check("greedy_decode", stub_greedy).status == "not attempted"

    def never_stops(step, state, bos, eos, max_len):
        tokens = np.full(len(state), bos)
        while True:
            logits, state = step(tokens, state)
            tokens = logits.argmax(axis=1)

    assert_fails(check("greedy_decode", never_stops), "called step more than")


# -- exact_match ---------------------------------------------------------------------------------


def stub_em(predicted, targets, eos):
    ...  # your code here


def em_mask(predicted, targets, eos):
    """Right: vectorised, with a mask of the positions up to and including each target's first <eos>."""
    upto = np.cumsum(targets == eos, axis=1) - (targets == eos) == 0
    return float(np.mean(np.all((predicted == targets) | ~upto, axis=1)))


def em_strings(predicted, targets, eos):
    """Right: each row as a string of ids, cut after its first <eos>."""
    def text(row):
        s = ",".join(map(str, row)) + ","
        k = ("," + s).find(f",{eos},")            # where <eos> starts in s, or -1
        return s if k < 0 else s[:k + len(f"{eos},")]
    return sum(text(p) == text(t) for p, t in zip(predicted, targets)) / len(targets)


@pytest.mark.parametrize("fn", [em_mask, em_strings, s2s.exact_match])
def test_em_correct_styles_pass(fn):
    assert_passes(check("exact_match", fn))


def em_whole_rows(predicted, targets, eos):
    return float(np.mean(np.all(predicted == targets, axis=1)))


def em_token_accuracy(predicted, targets, eos):
    return float(np.mean(predicted == targets))


def em_masked_tokens(predicted, targets, eos):
    upto = np.cumsum(targets == eos, axis=1) - (targets == eos) == 0
    return float(np.mean((predicted == targets)[upto]))


def em_without_eos(predicted, targets, eos):
    real = (np.cumsum(targets == eos, axis=1) == 0)
    return float(np.mean(np.all((predicted == targets) | ~real, axis=1)))


def em_count(predicted, targets, eos):
    def cut(row):
        row = list(row)
        return row[:row.index(eos) + 1] if eos in row else row
    return sum(cut(p) == cut(t) for p, t in zip(predicted, targets))


def em_per_row(predicted, targets, eos):
    return np.all(predicted == targets, axis=1)


@pytest.mark.parametrize("fn,fragments", [
    (em_whole_rows, ["padding included"]),
    (em_token_accuracy, ["share of right tokens", "character accuracy"]),
    (em_masked_tokens, ["share of right tokens over the target's real tokens"]),
    (em_without_eos, ["leaves out the <eos>"]),
    (em_count, ["is a count", "divide by the number of rows"]),
    (em_per_row, ["returns one number"]),
])
def test_em_faults_are_named(fn, fragments):
    assert_fails(check("exact_match", fn), *fragments)


def test_em_stub():
    assert check("exact_match", stub_em).status == "not attempted"
