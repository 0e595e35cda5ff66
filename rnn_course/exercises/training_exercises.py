"""Checkers for the training exercises: a masked loss, gradient clipping and
sampling with temperature.

The learner's functions, with their fixed signatures:

    masked_softmax_cross_entropy(logits, targets, mask) -> (loss, dlogits)
    - logits: (N, T, V) unnormalised scores; targets: (N, T) integer ids in [0, V)
    - mask: (N, T) booleans, True where the position counts (False at padding)
    - loss: one number, the mean of -log softmax(logits)[target] over the
      positions where mask is True
    - dlogits: (N, T, V), the gradient of that loss; zero at masked-out positions

    clip_grad_norm(grads, max_norm) -> total_norm
    - grads: a list of gradient arrays of any shapes, scaled in place
    - max_norm: a positive number
    - total_norm: the global L2 norm sqrt(sum of every squared entry) before
      clipping; when it exceeds max_norm every array is multiplied by
      max_norm / total_norm, otherwise nothing changes

    sample_with_temperature(logits, temperature, rng) -> ids
    - logits: (N, V); temperature > 0; rng: a numpy Generator (np.random.default_rng)
    - ids: (N,) integers, row n drawn from softmax(logits[n] / temperature)

The references are the library's ``softmax_cross_entropy``, ``clip_grad_norm``
and ``sample_logits``. Sampling is checked statistically: each case repeats a
few rows of logits thousands of times and compares the frequencies of the ids
with the right probabilities by a chi-square test whose threshold a correct
sampler exceeds about once in a million checks; the draws themselves are never
compared, since a correct sampler may consume the random numbers its own way.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..losses import softmax_cross_entropy
from ..optim import clip_grad_norm
from ._run import (Fail, NotAttempted, as_array, call, close, describe_shape_mismatch, fmt_shape, last_line,
                   where_in_learner_code, worst_mismatch)


def _note(notes):
    return (" Note: " + " ".join(sorted(notes))) if notes else ""


# ---------------------------------------------------------------------------
# masked_softmax_cross_entropy
# ---------------------------------------------------------------------------


class LossCase(NamedTuple):
    N: int
    T: int
    V: int
    dtype: type
    offset: float  # added to every logit: 1000 makes a naive exp overflow
    mask: object  # a tuple of lengths, "full", or "holes" (masked positions inside the sequences)

    def text(self):
        extra = f", logits near {self.offset:g}" if self.offset else ""
        mask = f"lengths {self.mask}" if isinstance(self.mask, tuple) else self.mask
        return f"case: N={self.N}, T={self.T}, V={self.V}, {np.dtype(self.dtype).name}, mask: {mask}{extra}"


_HOLES = np.array([[1, 0, 1], [0, 1, 1], [1, 1, 0], [1, 0, 0]], dtype=bool)  # 7 of 12 positions count

LOSS_CASES = [
    LossCase(3, 4, 5, np.float64, 0.0, (4, 2, 3)),  # 9 of 12 positions count
    LossCase(2, 3, 4, np.float32, 0.0, (3, 1)),
    LossCase(1, 1, 3, np.float64, 0.0, "full"),  # N = 1, T = 1
    LossCase(2, 5, 6, np.float64, 1000.0, (5, 3)),  # a naive softmax overflows
    LossCase(4, 3, 5, np.float64, 0.0, "holes"),
]


def _loss_data(case, seed):
    rng = np.random.default_rng([seed, 21, case.N, case.T, case.V])
    N, T, V = case.N, case.T, case.V
    logits = (case.offset + 2.0 * rng.standard_normal((N, T, V))).astype(case.dtype)
    targets = rng.integers(0, V, size=(N, T))
    if case.mask == "full":
        mask = np.ones((N, T), dtype=bool)
    elif case.mask == "holes":
        mask = _HOLES.copy()
    else:
        mask = np.arange(T)[None, :] < np.array(case.mask)[:, None]
    targets = np.where(mask, targets, 0)  # padding positions hold the pad id 0
    return logits, targets, mask


def _loss_faults(logits, targets, mask):
    """([(message, wrong loss)], [(message, wrong dlogits)])."""
    x = logits.astype(np.float64)
    N, T, V = x.shape
    shifted = x - x.max(axis=-1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    p = np.exp(logp)
    y = np.eye(V)[targets]
    m = mask.astype(np.float64)
    nll = -np.take_along_axis(logp, targets[..., None], axis=-1)[..., 0]  # (N, T)
    count = m.sum()
    total = (nll * m).sum()
    g = (p - y) * m[..., None]  # the masked gradient of the summed loss
    per_seq = np.mean([(nll[n] * m[n]).sum() / m[n].sum() for n in range(N) if m[n].sum() > 0])
    loss_faults = [
        ("the loss averages over all N·T positions, padding included in the count: divide the masked sum by "
         "the number of positions that count, mask.sum()", total / (N * T)),
        ("the mask is ignored: padded positions count in the loss; keep only the positions where mask is True, "
         "and average over mask.sum() of them", nll.mean()),
        ("the loss averages over the batch N, not over the positions that count: divide by mask.sum()",
         total / N),
        ("the loss is a sum over the counted positions; the course's loss is their mean (divide by mask.sum())",
         total),
        ("the loss averages each sequence over its own length and then the sequences; average over all the "
         "counted positions at once, so that every real token weighs the same", per_seq),
        ("the loss has the wrong sign: it is minus the mean log-probability of the targets, a positive number",
         -total / count),
    ]
    grad_faults = [
        ("your dlogits is not divided by the count: the loss is a mean over mask.sum() positions, so its gradient "
         "carries the same 1 / mask.sum()", g),
        ("your dlogits is divided by N·T, the number of all positions; divide by mask.sum(), the count the loss "
         "averages over", g / (N * T)),
        ("your dlogits is divided by the batch size N; divide by mask.sum(), the count the loss averages over",
         g / N),
        ("your dlogits is not zero at masked-out positions: padding must not contribute to the gradient — multiply "
         "by mask[..., None]", (p - y) / count),
        ("your dlogits has the wrong sign: the gradient of -log softmax(z)[y] is softmax(z) - onehot(y)", -g / count),
        ("your dlogits is missing the -1 at the target: the gradient is softmax(z) - onehot(y), not softmax(z)",
         p * m[..., None] / count),
    ]
    return loss_faults, grad_faults


def _loss_number(value, case):
    if value is None:
        raise Fail("the loss is None — return the pair (loss, dlogits)", case.text())
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise Fail(f"the loss is a {type(value).__name__}; it must be one number", case.text()) from None
    if arr.size != 1:
        what = " — one per position: average them over the positions that count" if arr.shape == (
            case.N, case.T) else ""
        raise Fail(f"the loss has shape {fmt_shape(arr.shape)}; it must be one number{what}", case.text())
    return float(arr.reshape(()))


def check_masked_softmax_cross_entropy(fn, seed=0):
    notes = set()
    for case in LOSS_CASES:
        logits, targets, mask = _loss_data(case, seed)
        try:
            result, mutated = call(fn, logits, targets, mask)
        except Fail as fail:
            raise Fail(fail.message, *fail.details, case.text()) from None
        if mutated:
            hint = " (e.g. `logits -= logits.max(...)`; write `shifted = logits - ...` instead)" \
                if mutated == "logits" else ""
            raise Fail(f"your function changed its input `{mutated}` in place{hint}; a loss must leave its "
                       f"inputs as it found them", case.text())
        if result is None:
            raise Fail("your function returned None — did you forget `return loss, dlogits`?")
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            raise Fail("return the pair (loss, dlogits): the mean loss and its gradient", case.text())
        loss = _loss_number(result[0], case)
        dlogits = as_array(result[1], "the returned dlogits")
        want_loss, want_d = softmax_cross_entropy(logits, targets, mask)
        if dlogits.shape != want_d.shape:
            raise Fail(describe_shape_mismatch(dlogits.shape, want_d.shape, ("N", "T", "V")).replace(
                "wrong output shape", "wrong shape of dlogits", 1),
                       case.text())
        loss_faults, grad_faults = _loss_faults(logits, targets, mask)
        overflow = (" — the logits in this case are near 1000, where np.exp overflows: subtract each position's "
                    "largest logit before exponentiating (softmax does not change)") if case.offset else ""
        if not np.isfinite(loss):
            raise Fail(f"the loss is {loss}{overflow}", case.text())
        if not close(loss, want_loss, case.dtype):
            for message, bad_loss in loss_faults:
                if close(loss, bad_loss, case.dtype):
                    raise Fail(message, case.text())
            raise Fail(f"the loss is {loss:.6g}, expected {want_loss:.6g}: the mean over the positions where "
                       f"mask is True of -log softmax(logits)[target]", case.text())
        if not np.all(np.isfinite(dlogits)):
            raise Fail(f"your dlogits contains NaN or inf{overflow}", case.text())
        if not close(dlogits, want_d, case.dtype):
            for message, bad_d in grad_faults:
                if close(dlogits, bad_d, case.dtype):
                    raise Fail(message, case.text())
            raise Fail("the loss is right but dlogits is not: (softmax(logits) - onehot(targets)) * mask / "
                       "mask.sum()", worst_mismatch(dlogits, want_d), case.text())
        if np.dtype(case.dtype) == np.float32 and dlogits.dtype != np.float32:
            notes.add(f"for float32 logits dlogits came back as {dlogits.dtype}; the library keeps float32")
    return (f"masked_softmax_cross_entropy matches the library's softmax_cross_entropy on {len(LOSS_CASES)} "
            f"cases (masks from lengths and with holes, N = 1, T = 1, float32, logits near 1000): padding "
            f"counts in neither the loss nor the gradient." + _note(notes))


# ---------------------------------------------------------------------------
# clip_grad_norm
# ---------------------------------------------------------------------------


class ClipCase(NamedTuple):
    shapes: tuple
    scales: tuple  # the L2 norm each array is drawn to have
    max_norm: float
    dtype: type
    what: str

    def text(self):
        norms = ", ".join(f"{s:g}" for s in self.scales)
        return (f"case: {len(self.shapes)} arrays of shapes {', '.join(fmt_shape(s) for s in self.shapes)}, "
                f"norms {norms}, max_norm={self.max_norm}, {np.dtype(self.dtype).name} ({self.what})")


CLIP_CASES = [
    # one array alone is above the limit, the others are below it: global clipping scales all three;
    # one entry of the first array is above max_norm too, so np.clip changes it
    ClipCase(((3, 4), (4,), (2, 3, 2)), (8.0, 1.0, 2.0), 5.0, np.float64, "above the limit"),
    ClipCase(((3, 4), (4,)), (1.0, 2.0), 5.0, np.float64, "below the limit: nothing changes"),
    # every array is below the limit, but together they are above it
    ClipCase(((5, 2), (3,), (2, 2)), (3.0, 3.0, 3.0), 4, np.float32, "each below, all together above"),
    ClipCase(((4, 3),), (10.0,), 1.0, np.float64, "a single array"),
]


def _clip_data(case, seed):
    rng = np.random.default_rng([seed, 31, len(case.shapes)])
    grads = []
    for k, (shape, scale) in enumerate(zip(case.shapes, case.scales)):
        g = rng.standard_normal(shape)
        if k == 0:
            g.flat[0] = 3 * np.abs(g).max()  # a spike that carries most of the norm
        grads.append((g * scale / np.linalg.norm(g)).astype(case.dtype))
    return grads


def _call_in_place(fn, grads, max_norm):
    """Call fn(list, max_norm) on copies and return (result, the arrays passed in, the list after the call).

    Unlike _run.call, changing the arrays in place is the point here.
    """
    arrays = [g.copy() for g in grads]
    passed = list(arrays)
    try:
        result = fn(passed, max_norm)
    except NotImplementedError:
        raise NotAttempted() from None
    except Exception as exc:  # the learner's code failed: show its last line, never raise
        raise Fail(f"your function raised an exception: {last_line(exc)}", *where_in_learner_code(exc)) from None
    return result, arrays, passed


def _all_close(got, want, dtype):
    return len(got) == len(want) and all(
        isinstance(g, np.ndarray) and g.shape == w.shape and close(g, w, dtype) for g, w in zip(got, want))


def _clip_faults(grads, max_norm):
    g64 = [g.astype(np.float64) for g in grads]
    norms = [float(np.linalg.norm(g)) for g in g64]
    total = float(np.sqrt(sum(n * n for n in norms)))
    return total, norms, [
        ("each array is clipped by its own norm; clip_grad_norm uses one global norm over all the arrays, "
         "sqrt(sum of every squared entry), and scales them all by the same factor, which keeps the direction "
         "of the whole update", [g * min(1.0, max_norm / n) if n > 0 else g for g, n in zip(g64, norms)]),
        ("the gradients are scaled up when their norm is below max_norm: clip only when total_norm > max_norm, "
         "and leave them alone otherwise", [g * (max_norm / total) for g in g64]),
        ("the entries are clipped one by one (np.clip): that changes the direction of the gradient; scale every "
         "array by max_norm / total_norm instead", [np.clip(g, -max_norm, max_norm) for g in g64]),
        ("the total norm is the sum of the arrays' norms; it is sqrt(sum of every squared entry over all the "
         "arrays) — the norm of all the numbers as one long vector",
         [g * (max_norm / sum(norms)) if sum(norms) > max_norm else g for g in g64]),
        ("the scale uses the squared norm: the total norm is the square root of the sum of squares",
         [g * (max_norm / total ** 2) if total ** 2 > max_norm else g for g in g64]),
        ("the scale is upside down: multiply by max_norm / total_norm (a number below 1)",
         [g * (total / max_norm) for g in g64] if total > max_norm else None),
    ]


def check_clip_grad_norm(fn, seed=0):
    for case in CLIP_CASES:
        grads = _clip_data(case, seed)
        try:
            result, arrays, passed = _call_in_place(fn, grads, case.max_norm)
        except Fail as fail:
            raise Fail(fail.message, *fail.details, case.text()) from None
        want = [g.copy() for g in grads]
        want_total = clip_grad_norm(want, case.max_norm)
        total, norms, faults = _clip_faults(grads, case.max_norm)
        if not _all_close(arrays, want, case.dtype):
            unchanged = _all_close(arrays, grads, case.dtype)
            if unchanged and _all_close(passed, want, case.dtype):
                raise Fail("the list's entries were replaced with new arrays (grads[i] = g * scale); the model "
                           "and the optimiser hold the original arrays, so scale those in place: "
                           "`for g in grads: g *= scale`", case.text())
            if unchanged and isinstance(result, (list, tuple)) and _all_close(list(result), want, case.dtype):
                raise Fail("the clipped gradients are returned as new arrays and the inputs are unchanged; "
                           "clip_grad_norm works in place (`g *= scale` changes the array itself; `g = g * scale` "
                           "makes a new one) and returns the total norm", case.text())
            for message, candidate in faults:
                if candidate is None or (unchanged and _all_close(candidate, grads, case.dtype)):
                    continue  # a fault that changes nothing here looks like doing nothing: said below
                if _all_close(arrays, candidate, case.dtype):
                    raise Fail(message, case.text())
            if unchanged:
                raise Fail("the gradients are unchanged, but their global norm "
                           f"{total:.4g} is above max_norm = {case.max_norm}: scale every array in place by "
                           "max_norm / total_norm (`g *= scale`; `g = g * scale` makes a new array and leaves "
                           "the gradient as it was)", case.text())
            bad = next(i for i, (g, w) in enumerate(zip(arrays, want)) if not close(g, w, case.dtype))
            raise Fail(f"after clipping, grads[{bad}] has the wrong values", worst_mismatch(arrays[bad], want[bad]),
                       case.text())
        if any(g.dtype != w.dtype for g, w in zip(arrays, want)):
            raise Fail("the gradient arrays changed dtype", case.text())
        if result is None:
            raise Fail("your clip_grad_norm returned None: return the total norm before clipping (it is worth "
                       "logging: spikes in it are exploding gradients)", case.text())
        try:
            got_total = float(np.asarray(result, dtype=np.float64).reshape(()))
        except (TypeError, ValueError):
            raise Fail(f"your clip_grad_norm returned a {type(result).__name__}; return one number, the total norm "
                       f"before clipping", case.text()) from None
        if close(got_total, want_total, case.dtype):
            continue
        named = [
            ("the returned norm is the one after clipping; return the norm before clipping, which tells how "
             "large the gradient really was", min(total, case.max_norm)),
            ("the returned norm is squared: take the square root of the sum of squares", total ** 2),
            ("the returned norm is the sum of the arrays' norms; the total norm is sqrt(sum of every squared "
             "entry)", sum(norms)),
            ("the returned number is max_norm; return the total norm before clipping", float(case.max_norm)),
        ]
        for message, value in named:
            if close(got_total, value, case.dtype):
                raise Fail(message, case.text())
        raise Fail(f"the returned norm is {got_total:.6g}; the total norm before clipping is {want_total:.6g}",
                   case.text())
    return (f"clip_grad_norm matches the library's on {len(CLIP_CASES)} cases (above and below the limit, arrays "
            f"each below it but above it together, float32, a single array): one global norm, scaled in place, "
            f"and the norm before clipping returned.")


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
            msg += (" — each row's probabilities must sum to 1: normalise softmax along the last axis, "
                    "e / e.sum(axis=-1, keepdims=True)")
        raise Fail(msg, *fail.details, case.text()) from None
    if mutated:
        raise Fail(f"your function changed its input `{mutated}` in place (e.g. `logits /= temperature`); "
                   f"compute `logits / temperature` into a new array", case.text())
    return result


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
    return (f"sample_with_temperature draws from softmax(logits / temperature): the frequencies of "
            f"{sum(c.repeats * R for c in SAMPLE_CASES)} draws at temperatures 0.5, 1, 1.5 and 2 (float32 and "
            f"logits near 1000 included) fit the right probabilities, a batch of one works, and a seeded rng "
            f"reproduces the samples.")
