"""The checkers of the later chapters are tested like the first ones: for every
implementation exercise, wrong implementations fail with a message that names
their fault, correct ones in other styles pass, and the stub reads "not
attempted"; every concept check accepts the right answer in its equivalent
forms and explains each wrong one."""

import numpy as np
import pytest

import rnn_course as rc
from rnn_course.exercises import EXERCISES, check
from rnn_course.exercises.charlm_exercises import SAMPLE_CASES, _BASE_LOGITS, _softmax, chi_square
from rnn_course.models import sample_logits
from checking import assert_fails, assert_passes


def sigmoid(a):
    return 0.5 * (1 + np.tanh(0.5 * a))


NEW_IMPLEMENTATIONS = ["stacked_rnn_forward", "bidirectional_rnn_forward", "masked_softmax_cross_entropy",
                       "clip_grad_norm", "sample_with_temperature", "lstm_step_forward", "gru_step_forward"]
NEW_CONCEPTS = ["shape_output_bidirectional", "lstm_param_count", "bidirectional_generation",
                "gru_vs_lstm_states", "low_temperature"]


def test_the_registry_holds_the_new_exercises():
    assert len(EXERCISES) >= 24
    for name in NEW_IMPLEMENTATIONS:
        assert EXERCISES[name].kind == "implementation"
    for name in NEW_CONCEPTS:
        assert EXERCISES[name].kind == "concept"
    assert EXERCISES["lstm_step_forward"].reference is rc.lstm_step_forward
    assert EXERCISES["clip_grad_norm"].reference is rc.clip_grad_norm


# -- stubs, in each exercise's own signature ------------------------------------------


def stub_stacked(x, Wxs, Whs, bs):
    ...


def stub_bidirectional(x, Wx_f, Wh_f, b_f, Wx_b, Wh_b, b_b):
    """Your code here."""
    pass


def stub_loss(logits, targets, mask):
    raise NotImplementedError


def stub_clip(grads, max_norm):
    ...


def stub_sample(logits, temperature, rng):
    raise NotImplementedError("write me")


def stub_lstm(x_t, h_prev, c_prev, Wx, Wh, b_ih, b_hh):
    ...


def stub_gru(x_t, h_prev, Wx, Wh, b_ih, b_hh):
    pass


@pytest.mark.parametrize("name,stub", list(zip(NEW_IMPLEMENTATIONS, [
    stub_stacked, stub_bidirectional, stub_loss, stub_clip, stub_sample, stub_lstm, stub_gru])))
def test_stubs_read_not_attempted(name, stub):
    result = check(name, stub)
    assert result.status == "not attempted" and "not attempted yet" in result.message


def test_a_half_done_function_that_raises_not_implemented_is_not_attempted():
    def half(grads, max_norm):
        total = np.sqrt(sum(np.sum(g ** 2) for g in grads))
        raise NotImplementedError("the scaling")

    assert check("clip_grad_norm", half).status == "not attempted"


# -- stacked_rnn_forward ----------------------------------------------------------------


def stacked_with_library(x, Wxs, Whs, bs):
    layer_in, lasts = x, []
    for Wx, Wh, b in zip(Wxs, Whs, bs):
        layer_in, _ = rc.rnn_forward(layer_in, None, Wx, Wh, b)
        lasts.append(layer_in[:, -1])
    return layer_in, np.stack(lasts)


def stacked_time_outer(x, Wxs, Whs, bs):
    """Time in the outer loop, the layers inside: every layer advances one step at a time."""
    N, T, d = x.shape
    L, D = len(Wxs), Whs[0].shape[0]
    h = np.zeros((L, N, D), dtype=x.dtype)
    out = np.empty((N, T, D), dtype=x.dtype)
    for t in range(T):
        below = x[:, t]
        for k in range(L):
            h[k] = np.tanh(np.einsum("nd,Dd->nD", below, Wxs[k]) + h[k] @ Whs[k].T + bs[k])
            below = h[k]
        out[:, t] = below
    return out, h


@pytest.mark.parametrize("fn", [stacked_with_library, stacked_time_outer, EXERCISES["stacked_rnn_forward"].reference])
def test_stacked_correct_styles_pass(fn):
    assert_passes(check("stacked_rnn_forward", fn))


def _stacked(kind):
    def fn(x, Wxs, Whs, bs):
        L = len(Wxs)
        order = range(L - 1, -1, -1) if kind == "order" else range(L)
        layer_in, lasts, h_last = x, [], None
        for k in order:
            j = 0 if kind == "weights0" else k
            src = x if kind == "x every layer" else layer_in
            h0 = h_last if kind == "start from below" else None
            if kind == "WhT":
                h, outs = np.zeros((x.shape[0], Whs[j].shape[0])), []
                for t in range(x.shape[1]):
                    h = np.tanh(src[:, t] @ Wxs[j].T + h @ Whs[j] + bs[j])
                    outs.append(h)
                out = np.stack(outs, 1)
            else:
                out, _ = rc.rnn_forward(src, h0, Wxs[j], Whs[j], bs[j])
            if kind == "first" and k == 0:
                first = out
            layer_in, h_last = out, out[:, -1]
            lasts.append(h_last)
        h_n = np.stack(lasts)
        if kind == "first":
            return first, h_n
        if kind == "h_n batch-first":
            return layer_in, h_n.transpose(1, 0, 2)
        if kind == "h_n top first":
            return layer_in, h_n[::-1]
        if kind == "h_n single":
            return layer_in, h_n[-1]
        if kind == "only h":
            return layer_in
        if kind == "mutates":
            x[...] = 0
        return layer_in, h_n
    return fn


@pytest.mark.parametrize("kind,fragments", [
    ("x every layer", ["every layer reads the input x"]),
    ("first", ["first layer's output"]),
    ("order", ["wrong order"]),
    ("weights0", ["first layer's weights"]),
    ("start from below", ["starts from the last state of the layer below"]),
    ("WhT", ["in each layer", "instead of `Wh.T`"]),
    ("h_n batch-first", ["batch-first", "(L, N, D)"]),
    ("h_n top first", ["top first"]),
    ("h_n single", ["single (N, D) state"]),
    ("only h", ["single array", "(h, h_n)"]),
    ("mutates", ["changed its input `x` in place"]),
])
def test_stacked_faults_are_named(kind, fragments):
    assert_fails(check("stacked_rnn_forward", _stacked(kind)), *fragments)


def test_stacked_transposed_input_weight_is_named_from_the_numbers():
    def transposed(x, Wxs, Whs, bs):  # x @ Wx: runs while d = D, crashes after
        layer_in, lasts = x, []
        for Wx, Wh, b in zip(Wxs, Whs, bs):
            h, out = np.zeros((x.shape[0], Wh.shape[0])), []
            for t in range(x.shape[1]):
                h = np.tanh(layer_in[:, t] @ Wx + h @ Wh.T + b)
                out.append(h)
            layer_in = np.stack(out, 1)
            lasts.append(h)
        return layer_in, np.stack(lasts)

    assert_fails(check("stacked_rnn_forward", transposed), "in each layer, the input weight looks transposed")


def test_stacked_crash_on_d_not_D_is_explained():
    def uses_d_for_D(x, Wxs, Whs, bs):
        N, T, d = x.shape
        layer_in, lasts = x, []
        for Wx, Wh, b in zip(Wxs, Whs, bs):
            h = np.zeros((N, d))  # wrong: the state has D entries, not d
            out = []
            for t in range(T):
                h = np.tanh(layer_in[:, t] @ Wx.T + h @ Wh.T + b)
                out.append(h)
            layer_in = np.stack(out, 1)
            lasts.append(h)
        return layer_in, np.stack(lasts)

    assert_fails(check("stacked_rnn_forward", uses_d_for_D), "raised an exception", "d = 3 and D = 5",
                 "Wxs[0] (D, d)", "of uses_d_for_D()")


def test_stacked_h_n_as_a_list_is_accepted():
    def h_n_list(x, Wxs, Whs, bs):
        h, h_n = stacked_with_library(x, Wxs, Whs, bs)
        return h, list(h_n)

    assert_passes(check("stacked_rnn_forward", h_n_list))


def test_stacked_overflowing_tanh():
    def exp_tanh(x, Wxs, Whs, bs):
        layer_in, lasts = x, []
        for Wx, Wh, b in zip(Wxs, Whs, bs):
            h, out = np.zeros((x.shape[0], Wh.shape[0]), dtype=x.dtype), []
            for t in range(x.shape[1]):
                a = layer_in[:, t] @ Wx.T + h @ Wh.T + b
                with np.errstate(all="ignore"):
                    h = (np.exp(a) - np.exp(-a)) / (np.exp(a) + np.exp(-a))
                out.append(h)
            layer_in = np.stack(out, 1)
            lasts.append(h)
        return layer_in, np.stack(lasts)

    assert_fails(check("stacked_rnn_forward", exp_tanh), "NaN or inf", "large inputs", "np.tanh")


# -- bidirectional_rnn_forward ------------------------------------------------------------


def bi_with_library(x, Wx_f, Wh_f, b_f, Wx_b, Wh_b, b_b):
    h_f, _ = rc.rnn_forward(x, None, Wx_f, Wh_f, b_f)
    h_b, _ = rc.rnn_forward(x[:, ::-1], None, Wx_b, Wh_b, b_b)
    return np.concatenate([h_f, h_b[:, ::-1]], axis=2)


def bi_two_loops(x, Wx_f, Wh_f, b_f, Wx_b, Wh_b, b_b):
    """No reversed copies: the backward loop walks t = T-1 ... 0 and writes each state at its own t."""
    N, T, d = x.shape
    D = Wh_f.shape[0]
    out = np.empty((N, T, 2 * D), dtype=x.dtype)
    h = np.zeros((N, D), dtype=x.dtype)
    for t in range(T):
        h = np.tanh(np.einsum("nd,Dd->nD", x[:, t], Wx_f) + np.einsum("nk,Dk->nD", h, Wh_f) + b_f)
        out[:, t, :D] = h
    h = np.zeros((N, D), dtype=x.dtype)
    for t in reversed(range(T)):
        h = np.tanh(x[:, t] @ Wx_b.T + h @ Wh_b.T + b_b)
        out[:, t, D:] = h
    return out, None  # a pair (h, cache) is accepted


@pytest.mark.parametrize("fn", [bi_with_library, bi_two_loops, EXERCISES["bidirectional_rnn_forward"].reference])
def test_bidirectional_correct_styles_pass(fn):
    assert_passes(check("bidirectional_rnn_forward", fn))


def _bi(kind):
    def fn(x, Wx_f, Wh_f, b_f, Wx_b, Wh_b, b_b):
        h_f, _ = rc.rnn_forward(x, None, Wx_f, Wh_f, b_f)
        if kind == "no reversal":
            h_b = rc.rnn_forward(x, None, Wx_b, Wh_b, b_b)[0]
        elif kind == "batch axis":
            h_b = rc.rnn_forward(x[::-1], None, Wx_b, Wh_b, b_b)[0][::-1]
        elif kind == "batch axis, input only":
            h_b = rc.rnn_forward(x[::-1], None, Wx_b, Wh_b, b_b)[0]
        elif kind == "features":
            h_b = rc.rnn_forward(x[..., ::-1], None, Wx_b, Wh_b, b_b)[0]
        elif kind == "forward weights":
            h_b = rc.rnn_forward(x[:, ::-1], None, Wx_f, Wh_f, b_f)[0][:, ::-1]
        else:
            rev = rc.rnn_forward(x[:, ::-1], None, Wx_b, Wh_b, b_b)[0]
            h_b = rev if kind == "not re-reversed" else rev[:, ::-1]
        if kind == "backward first":
            return np.concatenate([h_b, h_f], axis=2)
        if kind == "along time":
            return np.concatenate([h_f, h_b], axis=1)
        if kind == "stacked":
            return np.stack([h_f, h_b])
        if kind == "added":
            return h_f + h_b
        return np.concatenate([h_f, h_b], axis=-1)
    return fn


@pytest.mark.parametrize("kind,fragments", [
    ("not re-reversed", ["not re-reversed before the concatenation"]),
    ("backward first", ["wrong order", "[forward, backward]"]),
    ("no reversal", ["reads the sequence in the forward order"]),
    ("batch axis", ["reads the sequence in the forward order", "flips the batch"]),
    ("batch axis, input only", ["reversed along the batch axis"]),
    ("along time", ["concatenated along time", "(N, 2T, D)"]),
    ("stacked", ["stacked on a new axis"]),
    ("added", ["added; concatenate"]),
    ("features", ["feature axis was reversed"]),
    ("forward weights", ["backward direction uses the forward weights"]),
])
def test_bidirectional_faults_are_named(kind, fragments):
    assert_fails(check("bidirectional_rnn_forward", _bi(kind)), *fragments)


# -- masked_softmax_cross_entropy -----------------------------------------------------------


def loss_vectorised(logits, targets, mask):
    z = logits - logits.max(axis=-1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    picked = np.take_along_axis(logp, targets[..., None], axis=-1)[..., 0]
    count = mask.sum()
    loss = -(picked * mask).sum() / count
    d = np.exp(logp)
    d[np.arange(targets.shape[0])[:, None], np.arange(targets.shape[1]), targets] -= 1
    return loss, d * mask[..., None] / count


def loss_loops(logits, targets, mask):
    N, T, V = logits.shape
    count = int(np.count_nonzero(mask))
    loss, d = 0.0, np.zeros_like(logits)
    for n in range(N):
        for t in range(T):
            if not mask[n, t]:
                continue
            z = logits[n, t] - np.max(logits[n, t])
            p = np.exp(z) / np.exp(z).sum()
            loss -= np.log(p[targets[n, t]])
            d[n, t] = p
            d[n, t, targets[n, t]] -= 1
    return loss / count, d / count


@pytest.mark.parametrize("fn", [loss_vectorised, loss_loops, rc.softmax_cross_entropy])
def test_masked_loss_correct_styles_pass(fn):
    assert_passes(check("masked_softmax_cross_entropy", fn))


def _loss(kind):
    def fn(logits, targets, mask):
        if kind == "mutates":
            logits -= logits.max(axis=-1, keepdims=True)
            z = logits
        else:
            z = logits - logits.max(axis=-1, keepdims=True)
        if kind == "unstable":
            with np.errstate(all="ignore"):
                p = np.exp(logits) / np.exp(logits).sum(axis=-1, keepdims=True)
                logp = np.log(p)
        else:
            logp = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
            p = np.exp(logp)
        N, T, V = logits.shape
        m = np.ones_like(mask) if kind == "mask ignored" else mask
        nll = -np.take_along_axis(logp, targets[..., None], axis=-1)[..., 0]
        count = N * T if kind in ("all positions", "mask ignored") else m.sum()
        loss = (nll * m).sum() / count
        if kind == "per position":
            loss = nll * m
        g = p - np.eye(V)[targets]
        if kind == "sign":
            g = -g
        if kind == "no -1":
            g = p
        if kind != "not zeroed":
            g = g * m[..., None]
        if kind != "not divided":
            g = g / count
        return loss, g
    return fn


@pytest.mark.parametrize("kind,fragments", [
    ("all positions", ["averages over all N·T positions"]),
    ("mask ignored", ["mask is ignored"]),
    ("not divided", ["dlogits is not divided by the count"]),
    ("unstable", ["the loss is nan", "near 1000", "subtract each position's largest logit"]),
    ("not zeroed", ["not zero at masked-out positions"]),
    ("sign", ["dlogits has the wrong sign"]),
    ("no -1", ["missing the -1 at the target"]),
    ("per position", ["it must be one number", "one per position"]),
    ("mutates", ["changed its input `logits` in place", "logits -= logits.max"]),
])
def test_masked_loss_faults_are_named(kind, fragments):
    assert_fails(check("masked_softmax_cross_entropy", _loss(kind)), *fragments)


def test_masked_loss_sign_and_per_sequence_mean():
    def negative(logits, targets, mask):
        loss, d = rc.softmax_cross_entropy(logits, targets, mask)
        return -loss, d

    def per_sequence(logits, targets, mask):
        loss, d = rc.softmax_cross_entropy(logits, targets, mask)
        per = [rc.softmax_cross_entropy(logits[n:n + 1], targets[n:n + 1], mask[n:n + 1])[0]
               for n in range(len(mask))]
        return float(np.mean(per)), d

    assert_fails(check("masked_softmax_cross_entropy", negative), "loss has the wrong sign")
    assert_fails(check("masked_softmax_cross_entropy", per_sequence), "averages each sequence")


# -- clip_grad_norm ------------------------------------------------------------------------


def clip_loop(grads, max_norm):
    total = np.sqrt(sum(np.sum(g.astype(np.float64) ** 2) for g in grads))
    if total > max_norm:
        for g in grads:
            g *= max_norm / total
    return total


def clip_concatenated(grads, max_norm):
    total = np.linalg.norm(np.concatenate([g.ravel() for g in grads]))
    scale = min(1.0, max_norm / (total + 1e-12))
    for g in grads:
        np.multiply(g, scale, out=g, casting="unsafe")
    return float(total)


@pytest.mark.parametrize("fn", [clip_loop, clip_concatenated, rc.clip_grad_norm])
def test_clip_correct_styles_pass(fn):
    assert_passes(check("clip_grad_norm", fn))


def _global(grads):
    return float(np.sqrt(sum(np.sum(g.astype(np.float64) ** 2) for g in grads)))


def clip_per_array(grads, max_norm):
    for g in grads:
        n = np.linalg.norm(g)
        if n > max_norm:
            g *= max_norm / n
    return _global(grads)


def clip_scales_up(grads, max_norm):
    total = _global(grads)
    for g in grads:
        g *= max_norm / total
    return total


def clip_not_in_place(grads, max_norm):
    total = _global(grads)
    return [g * min(1, max_norm / total) for g in grads]


def clip_rebinds(grads, max_norm):
    total = _global(grads)
    for g in grads:
        g = g * min(1, max_norm / total)  # noqa: F841 - the classic slip
    return total


def clip_replaces_entries(grads, max_norm):
    total = _global(grads)
    for i, g in enumerate(grads):
        grads[i] = g * min(1, max_norm / total)
    return total


def clip_post_norm(grads, max_norm):
    clip_loop(grads, max_norm)
    return _global(grads)


def clip_elementwise(grads, max_norm):
    for g in grads:
        np.clip(g, -max_norm, max_norm, out=g)
    return _global(grads)


def clip_returns_none(grads, max_norm):
    clip_loop(grads, max_norm)


def clip_sum_of_norms(grads, max_norm):
    total = sum(np.linalg.norm(g) for g in grads)
    if total > max_norm:
        for g in grads:
            g *= max_norm / total
    return total


def clip_squared(grads, max_norm):
    total = sum(np.sum(g ** 2) for g in grads)
    if total > max_norm:
        for g in grads:
            g *= max_norm / total
    return total


@pytest.mark.parametrize("fn,fragments", [
    (clip_per_array, ["clipped by its own norm", "one global norm"]),
    (clip_scales_up, ["scaled up when their norm is below max_norm"]),
    (clip_not_in_place, ["returned as new arrays", "in place"]),
    (clip_rebinds, ["gradients are unchanged", "`g = g * scale` makes a new array"]),
    (clip_replaces_entries, ["entries were replaced with new arrays"]),
    (clip_post_norm, ["norm is the one after clipping"]),
    (clip_elementwise, ["clipped one by one (np.clip)"]),
    (clip_returns_none, ["returned None", "total norm before clipping"]),
    (clip_sum_of_norms, ["sum of the arrays' norms"]),
    (clip_squared, ["squared norm"]),
])
def test_clip_faults_are_named(fn, fragments):
    assert_fails(check("clip_grad_norm", fn), *fragments)


# -- sample_with_temperature ----------------------------------------------------------------


def sample_inverse_cdf(logits, temperature, rng):
    z = logits / temperature
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    u = rng.random((len(p), 1))
    return np.minimum((p.cumsum(axis=1) < u).sum(axis=1), p.shape[1] - 1)


def sample_choice_after_softmax(logits, temperature, rng):
    """Temperature applied after the softmax, p ** (1/T) renormalised: the same distribution."""
    z = logits - logits.max(axis=1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    q = p ** (1 / temperature)
    q /= q.sum(axis=1, keepdims=True)
    return np.array([rng.choice(len(row), p=row) for row in q])


def sample_gumbel_max(logits, temperature, rng):
    """The Gumbel-max trick: argmax of logits/T plus Gumbel noise is a softmax sample."""
    g = -np.log(-np.log(rng.random(logits.shape)))
    return np.argmax(logits / temperature + g, axis=1)


@pytest.mark.parametrize("fn", [sample_inverse_cdf, sample_choice_after_softmax, sample_gumbel_max, sample_logits])
def test_sample_correct_styles_pass(fn):
    assert_passes(check("sample_with_temperature", fn))


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_sample_correct_styles_pass_for_other_seeds(seed):
    for fn in (sample_inverse_cdf, sample_gumbel_max):
        assert_passes(check("sample_with_temperature", fn, seed=seed))


def _sample(kind):
    def fn(logits, temperature, rng):
        if kind == "mutates":
            logits /= temperature
            z = logits
        elif kind == "multiplies":
            z = logits * temperature
        elif kind == "ignores":
            z = logits
        else:
            z = logits / temperature
        if kind == "argmax":
            return z.argmax(axis=1)
        if kind == "uniform":
            return rng.integers(0, logits.shape[1], size=len(logits))
        if kind == "overflow":
            with np.errstate(all="ignore"):
                e = np.exp(z)  # no max subtracted: inf / inf at logits near 1000
                p = e / e.sum(axis=1, keepdims=True)
            return np.array([rng.choice(len(row), p=row) for row in p])
        if kind == "unnormalised":
            p = np.exp(z)
            return np.minimum((p.cumsum(axis=1) < rng.random((len(p), 1))).sum(axis=1), p.shape[1] - 1)
        p = np.exp(z - z.max(axis=1, keepdims=True))
        if kind == "unnormalised, max subtracted":
            return np.minimum((p.cumsum(axis=1) < rng.random((len(p), 1))).sum(axis=1), p.shape[1] - 1)
        p /= p.sum(axis=1, keepdims=True)
        if kind == "global rng":
            u = np.random.random((len(p), 1))
        elif kind == "one draw":
            u = rng.random()
        else:
            u = rng.random((len(p), 1))
        ids = np.minimum((p.cumsum(axis=1) < u).sum(axis=1), p.shape[1] - 1)
        return ids[:, None] if kind == "column" else ids
    return fn


@pytest.mark.parametrize("kind,fragments", [
    ("multiplies", ["multiplied by the temperature; divide"]),
    ("ignores", ["temperature has no effect"]),
    ("argmax", ["argmax", "greedy decoding"]),
    ("unnormalised", ["not normalised"]),
    ("unnormalised, max subtracted", ["not normalised"]),
    ("uniform", ["ids are uniform"]),
    ("overflow", ["raised an exception", "NaN", "np.exp overflowed"]),
    ("global rng", ["draw from the `rng` argument"]),
    ("one draw", ["one random number serves the whole batch"]),
    ("mutates", ["changed its input `logits` in place"]),
    ("column", ["shape (N, 1)"]),
])
def test_sample_faults_are_named(kind, fragments):
    assert_fails(check("sample_with_temperature", _sample(kind)), *fragments)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sample_faults_fail_for_other_seeds(seed):
    for kind in ("multiplies", "ignores", "unnormalised"):
        assert check("sample_with_temperature", _sample(kind), seed=seed).status == "failed"


def test_the_sampling_cases_separate_right_from_wrong():
    """Every fault's expected chi-square statistic is far above the limit in the first case, where it is
    caught, while the right distribution's is about the number of degrees of freedom."""
    case = SAMPLE_CASES[0]
    p = _softmax(_BASE_LOGITS / case.temperature)
    for wrong in (_BASE_LOGITS * case.temperature, _BASE_LOGITS, _BASE_LOGITS / case.temperature ** 2):
        q = _softmax(wrong)
        expected_counts = case.repeats * q[0]
        stat, limit = chi_square(expected_counts, p[0])
        assert stat > 5 * limit
    stat, limit = chi_square(case.repeats * p[0], p[0])
    assert stat < 1e-9 and 20 < limit < 50


# -- lstm_step_forward ----------------------------------------------------------------------


def lstm_vectorised(x_t, h_prev, c_prev, Wx, Wh, b_ih, b_hh):
    a = x_t @ Wx.T + b_ih + h_prev @ Wh.T + b_hh
    i, f, g, o = np.split(a, 4, axis=1)
    c = sigmoid(f) * c_prev + sigmoid(i) * np.tanh(g)
    return sigmoid(o) * np.tanh(c), c, (x_t, h_prev, c_prev)


def lstm_per_gate(x_t, h_prev, c_prev, Wx, Wh, b_ih, b_hh):
    D = h_prev.shape[1]
    gate = {}
    for k, name in enumerate("ifgo"):
        rows = slice(k * D, (k + 1) * D)
        a = np.einsum("nd,Dd->nD", x_t, Wx[rows]) + np.einsum("nk,Dk->nD", h_prev, Wh[rows]) + b_ih[rows] + b_hh[rows]
        gate[name] = np.tanh(a) if name == "g" else 1 / (1 + np.exp(-a))
    c_next = gate["f"] * c_prev + gate["i"] * gate["g"]
    return gate["o"] * np.tanh(c_next), c_next, None


@pytest.mark.parametrize("fn", [lstm_vectorised, lstm_per_gate, rc.lstm_step_forward])
def test_lstm_correct_styles_pass(fn):
    assert_passes(check("lstm_step_forward", fn))


def _lstm(order="ifgo", g_act=np.tanh, c_rule="right", h_rule="right", bias="both", ret="right", use_h=True,
          tanh=np.tanh):
    def fn(x_t, h_prev, c_prev, Wx, Wh, b_ih, b_hh):
        a = x_t @ Wx.T + (h_prev @ Wh.T if use_h else 0)
        a = a + (b_ih if bias in ("both", "ih") else 0) + (b_hh if bias == "both" else 0)
        blocks = dict(zip(order, np.split(a, 4, axis=1)))
        i, f, o = sigmoid(blocks["i"]), sigmoid(blocks["f"]), sigmoid(blocks["o"])
        g = g_act(blocks["g"])
        c = f * c_prev + i * g if c_rule == "right" else c_prev + i * g
        h = o * tanh(c) if h_rule == "right" else o * c
        return (c, h, None) if ret == "swapped" else (h, c, None)
    return fn


def _tanh_from_exp(a):
    e, m = np.exp(a), np.exp(-a)
    return (e - m) / (e + m)


@pytest.mark.parametrize("fn,fragments", [
    (_lstm(order="ifog"), ["order (i, f, o, g)", "CS231n"]),
    (_lstm(order="figo"), ["order (f, i, g, o)", "(i, f, g, o)"]),
    (_lstm(order="igfo"), ["order (i, g, f, o)", "TensorFlow"]),
    (_lstm(g_act=sigmoid), ["candidate g uses a sigmoid"]),
    (_lstm(c_rule="no forget"), ["no forget gate"]),
    (_lstm(h_rule="no tanh"), ["missing the tanh"]),
    (_lstm(bias="ih"), ["only b_ih is added"]),
    (_lstm(ret="swapped"), ["h_next and c_next are swapped"]),
    (_lstm(use_h=False), ["`h_prev` is ignored"]),
    (_lstm(g_act=_tanh_from_exp), ["NaN or inf", "large pre-activations"]),
])
def test_lstm_faults_are_named(fn, fragments):
    assert_fails(check("lstm_step_forward", fn), *fragments)


def test_lstm_float64_for_float32_is_a_fault():
    # Issue 15: a wrong dtype is a fault, no longer a pass with a note.
    def upcasts(x_t, h_prev, c_prev, Wx, Wh, b_ih, b_hh):
        return lstm_vectorised(*(np.asarray(a, dtype=np.float64) for a in (x_t, h_prev, c_prev, Wx, Wh, b_ih, b_hh)))

    assert_fails(check("lstm_step_forward", upcasts), "for float32 inputs your h_next came back as float64")


def test_lstm_shapes_and_returns():
    def two(x_t, h_prev, c_prev, Wx, Wh, b_ih, b_hh):
        return lstm_vectorised(x_t, h_prev, c_prev, Wx, Wh, b_ih, b_hh)[:2]

    def all_gates(x_t, h_prev, c_prev, Wx, Wh, b_ih, b_hh):
        a = x_t @ Wx.T + b_ih + h_prev @ Wh.T + b_hh
        return np.tanh(a), c_prev, None

    def not_transposed(x_t, h_prev, c_prev, Wx, Wh, b_ih, b_hh):
        a = x_t @ Wx.T + b_ih + h_prev @ Wh + b_hh
        return a, a, None

    def mutates(x_t, h_prev, c_prev, Wx, Wh, b_ih, b_hh):
        h, c, cache = lstm_vectorised(x_t, h_prev, c_prev, Wx, Wh, b_ih, b_hh)
        c_prev[...] = c
        return h, c, cache

    assert_fails(check("lstm_step_forward", two), "must return (h_next, c_next, cache)", "length 2")
    assert_fails(check("lstm_step_forward", all_gates), "shape (N, 4D)", "split the pre-activation")
    assert_fails(check("lstm_step_forward", not_transposed), "raised an exception", "Wh is (4D, D)")
    assert_fails(check("lstm_step_forward", mutates), "changed its input `c_prev` in place")


# -- gru_step_forward ------------------------------------------------------------------------


def gru_vectorised(x_t, h_prev, Wx, Wh, b_ih, b_hh):
    D = h_prev.shape[1]
    gx, gh = x_t @ Wx.T + b_ih, h_prev @ Wh.T + b_hh
    r = sigmoid(gx[:, :D] + gh[:, :D])
    z = sigmoid(gx[:, D:2 * D] + gh[:, D:2 * D])
    n = np.tanh(gx[:, 2 * D:] + r * gh[:, 2 * D:])
    return (1 - z) * n + z * h_prev, None


def gru_einsum(x_t, h_prev, Wx, Wh, b_ih, b_hh):
    D = h_prev.shape[1]
    Wx3, Wh3 = Wx.reshape(3, D, -1), Wh.reshape(3, D, D)  # (gate, D, d), (gate, D, D)
    gx = np.einsum("nd,gDd->gnD", x_t, Wx3) + b_ih.reshape(3, 1, D)
    gh = np.einsum("nk,gDk->gnD", h_prev, Wh3) + b_hh.reshape(3, 1, D)
    r, z = 1 / (1 + np.exp(-(gx[:2] + gh[:2])))
    n = np.tanh(gx[2] + r * gh[2])
    return n + z * (h_prev - n), {"r": r, "z": z, "n": n}


@pytest.mark.parametrize("fn", [gru_vectorised, gru_einsum, rc.gru_step_forward])
def test_gru_correct_styles_pass(fn):
    assert_passes(check("gru_step_forward", fn))


def _gru(order="rzn", reset="pytorch", mix="pytorch", n_act=np.tanh, bias="both"):
    def fn(x_t, h_prev, Wx, Wh, b_ih, b_hh):
        D = h_prev.shape[1]
        bh = b_hh if bias == "both" else 0 * b_hh
        gx = dict(zip(order, np.split(x_t @ Wx.T + b_ih, 3, axis=1)))
        W = dict(zip(order, np.split(Wh, 3, axis=0)))
        b = dict(zip(order, np.split(bh, 3)))
        r = sigmoid(gx["r"] + h_prev @ W["r"].T + b["r"])
        z = sigmoid(gx["z"] + h_prev @ W["z"].T + b["z"])
        if reset == "bias outside":
            inner = r * (h_prev @ W["n"].T) + b["n"]
        elif reset == "before matmul":
            inner = (r * h_prev) @ W["n"].T + b["n"]
        elif reset == "none":
            inner = h_prev @ W["n"].T + b["n"]
        else:
            inner = r * (h_prev @ W["n"].T + b["n"])
        n = n_act(gx["n"] + inner)
        assert n.shape[1] == D
        return (z * n + (1 - z) * h_prev if mix == "swapped" else (1 - z) * n + z * h_prev), None
    return fn


@pytest.mark.parametrize("fn,fragments", [
    (_gru(reset="bias outside"), ["b_hn sits outside the reset product", "reset_after=True"]),
    (_gru(mix="swapped"), ["z and 1 - z are swapped"]),
    (_gru(reset="before matmul"), ["before the matrix product", "Cho et al."]),
    (_gru(reset="before matmul", bias="ih"), ["b_hh is left out", "reset_after=False"]),
    (_gru(order="zrn"), ["order (z, r, n)", "Keras"]),
    (_gru(order="nrz"), ["order (n, r, z)", "(r, z, n)"]),
    (_gru(reset="none"), ["reset gate is not used"]),
    (_gru(n_act=sigmoid), ["candidate n uses a sigmoid"]),
    (_gru(bias="ih"), ["only b_ih is used"]),
])
def test_gru_faults_are_named(fn, fragments):
    assert_fails(check("gru_step_forward", fn), *fragments)


def test_gru_shapes_and_returns():
    def three_d(x_t, h_prev, Wx, Wh, b_ih, b_hh):
        return np.tanh(x_t @ Wx.T + b_ih), None

    def bare(x_t, h_prev, Wx, Wh, b_ih, b_hh):
        return gru_vectorised(x_t, h_prev, Wx, Wh, b_ih, b_hh)[0]

    assert_fails(check("gru_step_forward", three_d), "shape (N, 3D)")
    assert_fails(check("gru_step_forward", bare), "returned a single array", "(h_next, cache)")


# -- concept checks -------------------------------------------------------------------------


@pytest.mark.parametrize("name,right,equivalents,wrongs", [
    ("shape_output_bidirectional", (8, 20, 32), [[8, 20, 32], np.array([8, 20, 32])],
     {(8, 20, 16): "one direction's output", (8, 40, 16): "not along time", (8, 20, 64): "do not widen",
      (4, 8, 16): "that is h_n", (20, 8, 32): "batch_first", (1, 2): "axis by axis"}),
    ("lstm_param_count", 200, [np.int64(200)],
     {180: "two, b_ih and b_hh", 50: "one gate's worth", 45: "vanilla RNN", 160: "forgets the two bias",
      150: "that is a GRU", 240: "not 4D x D", 7: "add up the entries"}),
    ("bidirectional_generation", "no", ["No", False, "cannot", "it cannot"],
     {"yes": "from the end", True: "the very words it would be asked to predict"}),
    ("gru_vs_lstm_states", {"LSTM": 2, "GRU": 1}, [{"lstm": 2, "gru": 1}, (2, 1), [2, 1], {"Gru": 1, "Lstm": 2}],
     {(1, 2): "the other way round", (1, 1): "cell state c as well", (2, 2): "no separate cell state",
      (4, 3): "count gates", (3, 1): "gates are computed afresh"}),
    ("low_temperature", "greedy", ["argmax", "Greedy decoding", "most likely"],
     {"uniform": "high-temperature limit", "unchanged": "only T = 1"}),
])
def test_new_concept_checks(name, right, equivalents, wrongs):
    assert_passes(check(name, right))
    for eq in equivalents:
        assert_passes(check(name, eq))
    for wrong, fragment in wrongs.items():
        assert_fails(check(name, wrong), fragment)


def test_concept_answers_in_the_wrong_form():
    assert_fails(check("shape_output_bidirectional", "8x20x32"), "tuple of whole numbers")
    # Issue 15: 200.0 and np.array(200) are the right count in an ordinary form and now pass.
    assert_passes(check("lstm_param_count", 200.0))
    assert_fails(check("lstm_param_count", 200.5), "whole number")
    assert_fails(check("bidirectional_generation", "maybe"), "not one of the options")
    assert_fails(check("gru_vs_lstm_states", {"LSTM": 2}), "GRU has none")
    assert_passes(check("gru_vs_lstm_states", (2.0, 1.0)))  # whole floats count too (issue 15)
    assert_fails(check("gru_vs_lstm_states", (2.5, 1)), "whole numbers")
    assert_fails(check("gru_vs_lstm_states", 3), "the pair (n, m)")
    assert_fails(check("low_temperature", "hot"), "not one of the options")
