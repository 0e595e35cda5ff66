"""Checker for the language-model project's "modify and rerun" exercise: the
learner swaps the names model's GRU for an LSTM of the same size.

The learner's function, with its fixed signature:

    make_lstm_lm(vocab_size, seed) -> CharLM
    - an untrained rnn_course.CharLM for vocab_size (V) characters
    - cell "lstm", embedding size d = EMBED, hidden size D = HIDDEN, one layer
    - its initial weights fixed by seed (same seed, same weights)

The check builds models for two vocabulary sizes and two seeds, inspects
their layers, then trains one briefly on a short repeating text: the loss
must fall, which a model whose weights cannot learn (all zeros, say) fails.

It also holds the checker of the chapter's sampling exercise:

    sample_with_temperature(logits, temperature, rng) -> ids
    - logits: (N, V); temperature > 0; rng: a numpy Generator (np.random.default_rng)
    - ids: (N,) integers, row n drawn from softmax(logits[n] / temperature)

The reference is the library's ``sample_logits``. Sampling is checked
statistically: each case repeats a few rows of logits thousands of times and
compares the frequencies of the ids with the right probabilities by a
chi-square test whose threshold a correct sampler exceeds about once in 3.5
million tests (a check runs twelve: four cases of three rows, so a correct
sampler fails about one check in 300,000); the draws themselves are never compared, since a correct
sampler may consume the random numbers its own way.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..gru import GRU
from ..lstm import LSTM
from ..models import CharLM
from ..optim import Adam
from ..rnn import RNN
from ._run import Fail, call, describe_shape_mismatch, fmt_shape

EMBED, HIDDEN = 16, 64
TINY_TEXT = "the cat sat on the mat. " * 30  # 720 characters, 11 distinct: easy to learn
TRAIN_STEPS = 40


def make_lstm_lm(vocab_size, seed=0):
    """The reference answer: an untrained LSTM CharLM of the names model's size."""
    return CharLM(vocab_size, EMBED, HIDDEN, cell="lstm", num_layers=1, seed=seed)


def _build(fn, V, seed):
    model, _ = call(fn, V, seed)
    if not isinstance(model, CharLM):
        kind = type(model).__name__
        hint = (" — that is only the recurrent layer; CharLM puts an embedding before it and a linear layer "
                "after it" if isinstance(model, (RNN, GRU, LSTM)) else "")
        raise Fail(f"make_lstm_lm returned {'None' if model is None else 'a ' + kind}{hint}. Return the model: "
                   f"CharLM(vocab_size, {EMBED}, {HIDDEN}, cell='lstm', seed=seed)")
    return model


def _describe(model):
    rnn = model.rnn
    return (f"your model: {type(rnn).__name__} with d = {getattr(rnn, 'input_size', '?')}, "
            f"D = {getattr(rnn, 'hidden_size', '?')}, {getattr(rnn, 'num_layers', '?')} layer(s)")


def _check_layers(model, V):
    rnn = model.rnn
    if not isinstance(rnn, LSTM):
        raise Fail(f"the recurrent layer is a {type(rnn).__name__}, not an LSTM: CharLM's cell is chosen by "
                   f"its argument cell='lstm' (its default is 'gru')",
                   _describe(model))
    if rnn.bidirectional:
        raise Fail("the LSTM is bidirectional: its backward direction reads the very character each step is "
                   "asked to predict, so it can copy the answer instead of predicting it (the chapter's "
                   "bidirectional experiment): leave bidirectional at False", _describe(model))
    if rnn.num_layers != 1:
        raise Fail(f"the LSTM has {rnn.num_layers} stacked layers; the GRU it replaces has one, so the two "
                   f"compare fairly: leave num_layers at 1", _describe(model))
    if rnn.hidden_size != HIDDEN:
        raise Fail(f"the hidden size is D = {rnn.hidden_size}; use D = {HIDDEN}, the GRU's, so that only the "
                   f"cell changes (CharLM's third argument, hidden_size)", _describe(model))
    V_in, d = model.embed.params["weight"].shape
    if d != EMBED or rnn.input_size != EMBED:
        raise Fail(f"the embedding size is d = {d}; use d = {EMBED}, the GRU model's (CharLM's second argument, "
                   f"embed_dim)", _describe(model))
    V_out = model.head.params["weight"].shape[0]
    if V_in != V or V_out != V:
        raise Fail(f"with vocab_size = {V} the model reads {V_in} and predicts {V_out} characters: pass "
                   f"vocab_size on to CharLM instead of a fixed number", _describe(model))


def _weights(model):
    return [p for _, p, _ in model.parameters()]


def _same_weights(a, b):
    wa, wb = _weights(a), _weights(b)
    return len(wa) == len(wb) and all(x.shape == y.shape and np.array_equal(x, y) for x, y in zip(wa, wb))


def _train_briefly(model, seed):
    """Train on TINY_TEXT for TRAIN_STEPS Adam steps; (first loss, last loss)."""
    chars = sorted(set(TINY_TEXT))
    ids = np.array([chars.index(c) for c in TINY_TEXT])
    T = 16
    N = (len(ids) - 1) // T
    inputs, targets = ids[:N * T].reshape(N, T), ids[1:N * T + 1].reshape(N, T)  # (N, T), (N, T)
    rng = np.random.default_rng([seed, 61])
    opt = Adam(model, lr=0.02)
    losses = []
    for _ in range(TRAIN_STEPS):
        batch = rng.choice(N, size=8, replace=False)
        model.zero_grad()
        losses.append(float(model.loss(inputs[batch], targets[batch])))
        opt.step()
    return losses[0], float(np.mean(losses[-5:]))


def check_charlm_lstm(fn, seed=0):
    models = {V: _build(fn, V, seed) for V in (29, 11)}
    for V, model in models.items():
        _check_layers(model, V)
    first = models[29]
    again = _build(fn, 29, seed)
    if again is first:
        raise Fail("two calls returned the very same model object: build a new CharLM in every call, or "
                   "training one model would train the other")
    if not _same_weights(first, again):
        raise Fail(f"two calls with the same seed ({seed}) gave different initial weights: pass seed=seed to "
                   f"CharLM, so that a run can be repeated")
    if _same_weights(first, _build(fn, 29, seed + 1)):
        raise Fail(f"seeds {seed} and {seed + 1} gave the same initial weights: the seed is ignored; pass "
                   f"seed=seed to CharLM")
    model = _build(fn, 11, seed)
    start, end = _train_briefly(model, seed)
    if not (np.isfinite(end) and end < 0.5 * start):
        raise Fail(f"the model builds but hardly learns: {TRAIN_STEPS} Adam steps on a short repeating text took "
                   f"its loss from {start:.2f} only to {end:.2f} nats per character. Return the untrained "
                   f"CharLM as built (its random initial weights), not one whose weights were changed",
                   _describe(model))
    return (f"make_lstm_lm builds an LSTM CharLM (d = {EMBED}, D = {HIDDEN}, one layer) for any vocabulary size, "
            f"seeded; trained for {TRAIN_STEPS} steps on a short repeating text, its loss fell from {start:.2f} to "
            f"{end:.2f} nats per character (the text repeats, so it can be learned almost perfectly).")


# ---------------------------------------------------------------------------
# sample_with_temperature
# ---------------------------------------------------------------------------

_BASE_LOGITS = np.array([
    [2.0, 1.0, 0.5, 0.0, -0.5, -1.0],
    [-1.0, 0.0, 1.5, 0.3, 0.8, -0.3],
    [0.2, -0.2, 0.0, 0.6, -0.6, 0.4],
])


class SampleCase(NamedTuple):
    temperature: float
    repeats: int  # each of the rows of _BASE_LOGITS is repeated this many times
    offset: float
    dtype: type

    def text(self):
        R, V = _BASE_LOGITS.shape
        extra = f", logits near {self.offset:g}" if self.offset else ""
        return (f"case: temperature={self.temperature}, N={R * self.repeats} rows ({R} distinct rows, each "
                f"repeated {self.repeats} times), V={V}, {np.dtype(self.dtype).name}{extra}")


SAMPLE_CASES = [
    SampleCase(0.5, 2000, 0.0, np.float64),
    SampleCase(2.0, 2000, 0.0, np.float64),
    SampleCase(1.5, 1500, 0.0, np.float32),
    SampleCase(1.0, 1000, 1000.0, np.float64),  # a naive softmax overflows
]
_Z = 5.0  # the chi-square threshold's z-score: a correct sampler fails a test about once in 3.5 million


def _softmax(z):
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def chi_square(counts, p):
    """(statistic, limit) of a chi-square goodness-of-fit test of counts against probabilities p.

    Bins expecting fewer than 5 draws are pooled (and must not hold many more
    draws than they expect). The limit is the Wilson–Hilferty approximation of
    the chi-square quantile at z = _Z standard deviations.
    """
    counts = np.asarray(counts, dtype=np.float64)
    n = counts.sum()
    expected = n * np.asarray(p, dtype=np.float64)
    big = expected >= 5
    small_obs, small_exp = counts[~big].sum(), expected[~big].sum()
    if small_obs > small_exp + _Z * np.sqrt(small_exp) + 5:  # draws where (almost) none belong
        return np.inf, 0.0
    obs, exp = list(counts[big]), list(expected[big])
    if (~big).any():
        if exp and small_exp < 5:  # too little to stand alone: join the smallest big bin
            j = int(np.argmin(exp))
            obs[j] += small_obs
            exp[j] += small_exp
        else:
            obs.append(small_obs)
            exp.append(small_exp)
    obs, exp = np.array(obs), np.array(exp)
    df = len(obs) - 1
    if df < 1:  # one outcome takes (almost) everything, and the rest held no surprise
        return 0.0, np.inf
    stat = float(np.sum((obs - exp) ** 2 / exp))
    limit = df * (1 - 2 / (9 * df) + _Z * np.sqrt(2 / (9 * df))) ** 3
    return stat, float(limit)


def _fits(ids, R, V, probs):
    """True if, for each of the R distinct rows, the ids drawn for it fit probs[r]."""
    for r in range(R):
        counts = np.bincount(ids[r::R], minlength=V)
        stat, limit = chi_square(counts, probs[r])
        if not stat <= limit:
            return False
    return True


def _exp(z):
    with np.errstate(over="ignore"):
        return np.exp(z)


def _unnormalised(w):
    """The distribution of `(np.cumsum(w) < u).sum()` for u ~ U[0, 1), clamped to V-1, with w not normalised."""
    with np.errstate(over="ignore", invalid="ignore"):
        c = np.nan_to_num(np.clip(np.cumsum(w, axis=-1), 0, 1), nan=1.0)
    q = np.diff(np.concatenate([np.zeros(w.shape[:-1] + (1,)), c], axis=-1), axis=-1)
    q[..., -1] += 1 - c[..., -1]
    return q


def _ids(result, N, V, case):
    if result is None:
        raise Fail("your function returned None — did you forget `return ids`?")
    if isinstance(result, tuple) and len(result) == 2 and np.shape(result[0]) == (N,):
        result = result[0]
    try:
        ids = np.asarray(result)
    except Exception:
        raise Fail(f"return the ids as an array of shape (N,); got a {type(result).__name__}") from None
    if ids.shape != (N,):
        if ids.shape == (N, 1):
            raise Fail(f"your ids have shape (N, 1) = {fmt_shape(ids.shape)}; return one id per row, shape (N,) = "
                       f"({N},) (e.g. with .ravel())", case.text())
        if ids.shape == (N, V):
            raise Fail(f"the result has shape (N, V) = {fmt_shape(ids.shape)}: probabilities or one-hot rows? "
                       f"Return the sampled ids themselves, one integer per row, shape (N,)", case.text())
        if ids.shape == ():
            raise Fail("the result is a single id; draw one id for every row of logits, shape (N,)", case.text())
        raise Fail(describe_shape_mismatch(ids.shape, (N,), ("N",)), case.text())
    if ids.dtype.kind == "f" and np.all(np.isfinite(ids)) and np.all(ids == np.round(ids)):
        ids = ids.astype(np.int64)
    if ids.dtype.kind not in "iu":
        raise Fail(f"your ids have dtype {ids.dtype}; the ids are whole numbers in 0 ... V-1", case.text())
    if ids.size and ids.max() == V and ids.min() >= 0:
        raise Fail(f"some ids equal V = {V}: counting how many cumulative probabilities lie below u runs past the "
                   f"last id when a row's probabilities sum to less than 1 — normalise each row over the last "
                   f"axis, e / e.sum(axis=-1, keepdims=True) (a softmax over axis 0 normalises the batch instead)",
                   case.text())
    if ids.size and (ids.min() < 0 or ids.max() >= V):
        raise Fail(f"the ids must be in 0 ... V-1 = {V - 1}; got {int(ids.min())} ... {int(ids.max())}",
                   case.text())
    return ids


def _run_sampler(fn, logits, temperature, rng, case):
    try:
        result, mutated = call(fn, logits, temperature, rng)
    except Fail as fail:
        msg = fail.message
        if "NaN" in msg or "nan" in msg:
            msg += (" — np.exp overflowed (with logits near 1000, e / e.sum() is inf / inf = NaN). Subtract "
                    "each row's largest logit before exponentiating")
        elif "sum to 1" in msg:
            if temperature != 1 and _works_at_temperature_1(fn, logits, rng):
                msg += (" — the temperature is applied after the softmax: at temperature 1 your function works, "
                        "so dividing the probabilities by it breaks their sum. Divide the logits instead, "
                        "softmax(logits / temperature)")
            else:
                msg += (" — each row's probabilities must sum to 1: take the softmax along the last axis, "
                        "e / e.sum(axis=-1, keepdims=True) (over axis 0 it normalises the batch, not each row)")
        raise Fail(msg, *fail.details, case.text()) from None
    if mutated:
        raise Fail(f"your function changed its input `{mutated}` in place (e.g. `logits /= temperature`); "
                   f"compute `logits / temperature` into a new array", case.text())
    return result


def _works_at_temperature_1(fn, logits, rng):
    try:
        call(fn, logits, 1.0, rng)
        return True
    except Fail:
        return False


def check_sample_with_temperature(fn, seed=0):
    R, V = _BASE_LOGITS.shape
    for case in SAMPLE_CASES:
        logits = np.tile(_BASE_LOGITS + case.offset, (case.repeats, 1)).astype(case.dtype)  # row n is base[n % R]
        N = logits.shape[0]
        rng = np.random.default_rng([seed, 41, int(case.temperature * 100)])
        ids = _ids(_run_sampler(fn, logits, case.temperature, rng, case), N, V, case)
        base = _BASE_LOGITS.astype(np.float64)
        T = case.temperature
        want = _softmax(base / T)
        if _fits(ids, R, V, want):
            continue
        if case.offset:  # the same rows without the offset passed: only the size of the logits changed
            raise Fail(f"the ids do not follow softmax(logits / temperature) when the logits are near "
                       f"{case.offset:g}: np.exp overflows there (exp(1000) is inf, and inf / inf is NaN). "
                       f"Subtract each row's largest logit before exponentiating; softmax does not change",
                       case.text())
        top = base.argmax(axis=1)
        if np.all(ids == np.tile(top, case.repeats)):
            raise Fail("every row gets its largest logit (argmax): that is greedy decoding, temperature 0. "
                       "Sample instead: draw id k with probability softmax(logits / temperature)[k]",
                       case.text())
        candidates = [
            ("the logits are multiplied by the temperature; divide them: softmax(logits / temperature). A high "
             "temperature must flatten the distribution, a low one sharpen it", _softmax(base * T)),
            ("the temperature has no effect: the ids follow softmax(logits). Divide the logits by the "
             "temperature before the softmax (dividing the probabilities by it and renormalising undoes "
             "itself)", _softmax(base)),
            ("the probabilities are not normalised: sampling with np.cumsum(e) < u needs e / e.sum(axis=-1, "
             "keepdims=True), so that the last cumulative sum is 1", _unnormalised(_exp((base + case.offset) / T))),
            ("the probabilities are not normalised: subtracting the largest logit keeps np.exp from overflowing, "
             "but the result must still be divided by its sum, e / e.sum(axis=-1, keepdims=True)",
             _unnormalised(_exp((base - base.max(axis=1, keepdims=True)) / T))),
            ("the ids are uniform, whatever the logits: draw id k with probability softmax(logits / "
             "temperature)[k]", np.full((R, V), 1.0 / V)),
            ("the temperature is applied twice (or squared): softmax(logits / temperature), once",
             _softmax(base / (T * T))),
            ("the temperature is applied after the softmax: softmax(logits) / temperature is not a distribution; "
             "divide the logits, softmax(logits / temperature)", _unnormalised(_softmax(base) / T)),
            ("the temperature is applied after the softmax, as a power: that is right only when you renormalise; "
             "divide the logits instead, softmax(logits / temperature)", _unnormalised(_softmax(base) ** (1 / T))),
        ]
        for message, probs in candidates:
            if _fits(ids, R, V, probs):
                raise Fail(message, case.text())
        groups = [ids[r::R] for r in range(R)]
        if all(np.all(g == g[0]) for g in groups):
            raise Fail("every copy of a row gets the same id: it looks like one random number serves the whole "
                       "batch. Draw one random number per row, e.g. u = rng.random((N, 1))", case.text())
        observed = np.bincount(ids[0::R], minlength=V) / len(ids[0::R])
        overflow = (" With logits near 1000, np.exp overflows: subtract each row's largest logit first."
                    if case.offset else "")
        raise Fail("the ids do not follow softmax(logits / temperature)." + overflow,
                   f"row 0 of the logits: frequencies {np.round(observed, 3).tolist()}, expected "
                   f"{np.round(want[0], 3).tolist()}", case.text())
    # A batch of one row, and the same rng state must give the same ids.
    one = _BASE_LOGITS[:1] * 1.0
    case = SampleCase(0.8, 1, 0.0, np.float64)
    _ids(_run_sampler(fn, one, 0.8, np.random.default_rng(seed), case), 1, V, case)
    logits = np.tile(_BASE_LOGITS, (100, 1))
    rng = np.random.default_rng([seed, 43])
    case = SampleCase(1.0, 100, 0.0, np.float64)
    first = _ids(_run_sampler(fn, logits, 1.0, rng, case), len(logits), V, case)
    second = _ids(_run_sampler(fn, logits, 1.0, rng, case), len(logits), V, case)
    if not np.array_equal(first, second):
        raise Fail("two calls with generators in the same state gave different ids: draw from the `rng` "
                   "argument (rng.random, rng.choice), not from np.random, so that a fixed seed reproduces "
                   "the samples", case.text())
    other = _ids(_run_sampler(fn, logits, 1.0, np.random.default_rng([seed, 44]), case), len(logits), V, case)
    if np.array_equal(first, other):
        raise Fail("generators in different states gave the same ids: the `rng` argument is not used. Draw from "
                   "it (rng.random, rng.choice) instead of a generator of your own with a fixed seed",
                   case.text())
    return (f"sample_with_temperature draws from softmax(logits / temperature): the frequencies of "
            f"{sum(c.repeats * R for c in SAMPLE_CASES)} draws at temperatures 0.5, 1, 1.5 and 2 (float32 and "
            f"logits near 1000 included) fit the right probabilities, a batch of one works, and a seeded rng "
            f"reproduces the samples.")
