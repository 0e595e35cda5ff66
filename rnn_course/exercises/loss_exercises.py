"""Checker for the masked loss exercise of chapter 5 (many-to-many models on padded batches).

The learner's function, with its fixed signature:

    masked_softmax_cross_entropy(logits, targets, mask) -> (loss, dlogits)
    - logits: (N, T, V) unnormalised scores; targets: (N, T) integer ids in [0, V)
    - mask: (N, T) booleans, True where the position counts (False at padding)
    - loss: one number, the mean of -log softmax(logits)[target] over the
      positions where mask is True
    - dlogits: (N, T, V), the gradient of that loss; zero at masked-out positions

The reference is the library's ``softmax_cross_entropy``. (Clipping is checked
in gradient_exercises, chapter 7; sampling with temperature in
charlm_exercises, chapter 9.)
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..losses import softmax_cross_entropy
from ._run import Fail, as_array, call, check_dtype, close, describe_shape_mismatch, fmt_shape, worst_mismatch


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
    axis_faults_loss, axis_faults_grad = [], []
    for axis, name in ((1, "T, the time axis"), (0, "N, the batch axis")):
        if x.shape[axis] == 1:
            continue  # a softmax over an axis of size 1 cannot be told apart from anything
        s_ = x - x.max(axis=axis, keepdims=True)
        lp = s_ - np.log(np.exp(s_).sum(axis=axis, keepdims=True))
        nll_a = -np.take_along_axis(lp, targets[..., None], axis=-1)[..., 0]
        why = (f"the softmax is taken over axis {axis} ({name}); it runs over the vocabulary, the last axis: "
               f"`logits.max(axis=-1, keepdims=True)` and `.sum(axis=-1, keepdims=True)`")
        axis_faults_loss.append((why, (nll_a * m).sum() / count))
        axis_faults_grad.append((why, (np.exp(lp) - y) * m[..., None] / count))
    loss_faults = [
        ("the loss averages over all N·T positions, padding included in the count: divide the masked sum by "
         "the number of positions that count, mask.sum()", total / (N * T)),
        ("the mask is ignored: padded positions count in the loss; keep only the positions where mask is True, "
         "and average over mask.sum() of them", nll.mean()),
        ("the loss averages over the batch N, not over the positions that count: divide by mask.sum()",
         total / N),
        ("the padded positions are summed into the loss: multiply -log p(target) by the mask before summing "
         "(dividing by mask.sum() is right)", nll.sum() / count),
        ("the loss is a sum over the counted positions; the course's loss is their mean (divide by mask.sum())",
         total),
        ("the loss averages each sequence over its own length and then the sequences; average over all the "
         "counted positions at once, so that every real token weighs the same", per_seq),
        ("the loss has the wrong sign: it is minus the mean log-probability of the targets, a positive number",
         -total / count),
    ] + axis_faults_loss
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
    ] + axis_faults_grad
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
        check_dtype(dlogits, case.dtype, "dlogits", case.text(), lower_only=True)
        if not close(dlogits, want_d, case.dtype):
            for message, bad_d in grad_faults:
                if close(dlogits, bad_d, case.dtype):
                    raise Fail(message, case.text())
            raise Fail("the loss is right but dlogits is not: (softmax(logits) - onehot(targets)) * mask / "
                       "mask.sum()", worst_mismatch(dlogits, want_d), case.text())
        # float64 for float32 logits stays a note here, not a fault: under numpy 2 dividing by mask.sum() (an
        # np.int64, as the hint writes it) already makes float64, so an ordinary right answer would be rejected.
        if np.dtype(case.dtype) == np.float32 and dlogits.dtype == np.float64:
            notes.add("for float32 logits dlogits came back as float64 (dividing by mask.sum(), a numpy int64, "
                      "or np.eye(V)[targets] makes float64); the library keeps float32")
    return (f"masked_softmax_cross_entropy matches the library's softmax_cross_entropy on {len(LOSS_CASES)} "
            f"cases (masks from lengths and with holes, N = 1, T = 1, float32, logits near 1000): padding "
            f"counts in neither the loss nor the gradient." + _note(notes))
