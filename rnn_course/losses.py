"""Losses, each returning the loss and its gradient with respect to the prediction.

    softmax_cross_entropy(logits, targets, mask=None) -> (loss, dlogits)
    mse_loss(pred, target, mask=None)                 -> (loss, dpred)

Both average over the positions that count: with a mask, padding contributes
neither to the loss nor to the gradient. Gradient clipping is deliberately not
done here (see ``rnn_course.optim.clip_grad_norm``), so gradient checks see the
true gradient.
"""

from __future__ import annotations

import numpy as np

from ._checks import as_float_array, as_index_array, check_finite_result


def _mask(fn, mask, shape):
    if mask is None:
        return None
    m = np.asarray(mask)
    if m.shape != shape:
        raise ValueError(f"{fn}: mask has shape {m.shape}; expected the targets' shape {shape}")
    if m.dtype.kind not in "biuf":
        raise TypeError(f"{fn}: mask has dtype {m.dtype}; expected booleans (True where the position counts)")
    m = m.astype(bool)
    if not m.any():
        raise ValueError(f"{fn}: mask is False everywhere; nothing is left to average over")
    return m


def log_softmax(logits, axis=-1):
    """Numerically stable log-softmax: the max is subtracted before exponentiating.

    Inputs:

    - logits: scores of any shape, e.g. (N, V) or (N, T, V)
    - axis: the axis to normalise over, default the last (the V scores)

    Returns log p, shaped like logits, e.g. (N, T, V): logits minus the log of
    the sum of their exponentials along ``axis``.
    """
    shifted = logits - logits.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def softmax(logits, axis=-1):
    """Numerically stable softmax along ``axis``.

    Inputs:

    - logits: scores of any shape, e.g. (N, V) or (N, T, V)
    - axis: the axis to normalise over, default the last (the V scores)

    Returns probabilities shaped like logits, e.g. (N, T, V), summing to 1 along ``axis``.
    """
    return np.exp(log_softmax(logits, axis=axis))


def softmax_cross_entropy(logits, targets, mask=None):
    """Mean cross-entropy of softmax(logits) against integer targets.

    Inputs:

    - logits: (N, V) or (N, T, V) unnormalised scores
    - targets: (N,) or (N, T) integer classes in [0, V); at masked-out
      positions any integer is fine (e.g. PyTorch's ignore index -100)
    - mask: None, or a boolean array shaped like targets, True where the
      position counts (False at padding)

    Returns (loss, dlogits):

    - loss: a float, the mean over the counted positions of -log p[target]
    - dlogits: shaped like logits; zero at masked-out positions
    """
    fn = "softmax_cross_entropy"
    logits = as_float_array(fn, "logits", logits, layer="a loss")
    if logits.ndim not in (2, 3):
        raise ValueError(f"{fn}: logits has shape {logits.shape}; expected (N, V) or (N, T, V)")
    V = logits.shape[-1]
    targets = as_index_array(fn, "targets", targets, what="class ids", where=np.zeros(np.shape(targets), bool))
    if targets.shape != logits.shape[:-1]:
        letters = "(N,)" if logits.ndim == 2 else "(N, T)"
        raise ValueError(f"{fn}: targets has shape {targets.shape}; expected {letters} = "
                         f"{logits.shape[:-1]}, matching logits {logits.shape}")
    m = _mask(fn, mask, targets.shape)
    as_index_array(fn, "targets", targets, upper=V, what="class ids", where=m)  # only where it counts
    if m is not None:
        targets = np.where(m, targets, 0)  # any class id will do at the masked-out positions

    logp = log_softmax(logits)  # (..., V)
    picked = np.take_along_axis(logp, targets[..., None], axis=-1)[..., 0]  # (...,)
    count = targets.size if m is None else int(m.sum())
    loss = -(picked.sum() if m is None else picked[m].sum()) / count
    check_finite_result(fn, "loss", loss, "the logits span more than the dtype can hold; scale them down")

    dlogits = np.exp(logp)  # softmax
    np.put_along_axis(dlogits, targets[..., None],
                      np.take_along_axis(dlogits, targets[..., None], axis=-1) - 1, axis=-1)
    dlogits /= count
    if m is not None:
        dlogits *= m[..., None]
    return float(loss), dlogits


def mse_loss(pred, target, mask=None):
    """Mean squared error, mean((pred - target)**2) over the counted entries.

    Inputs:

    - pred: predictions of any shape, e.g. (N, T, d) or (N, 1)
    - target: the values to match, the same shape as pred; at masked-out
      entries any value is fine, NaN included
    - mask: None, or booleans shaped like pred, or like pred without its last
      axis, e.g. (N, T), to mask whole vectors; True where the entry counts

    Returns (loss, dpred):

    - loss: a float, the mean of (pred - target)**2 over the counted entries
    - dpred: shaped like pred, e.g. (N, T, d); zero at masked-out entries
    """
    fn = "mse_loss"
    pred = as_float_array(fn, "pred", pred, layer="a loss")
    target = as_float_array(fn, "target", target, layer="a loss", where=np.zeros(np.shape(target), bool))
    if pred.shape != target.shape:
        raise ValueError(f"{fn}: pred has shape {pred.shape} but target has shape {target.shape}")
    overflow = "the errors are too large to square in the dtype; scale the values down"
    if mask is None:
        as_float_array(fn, "target", target, layer="a loss")
        diff = pred - target
        loss = float(np.mean(diff ** 2))
        check_finite_result(fn, "loss", loss, overflow)
        return loss, 2 * diff / diff.size
    m = np.asarray(mask)
    if m.shape == pred.shape[:-1] and m.shape != pred.shape:
        m = np.broadcast_to(m[..., None], pred.shape)
    m = _mask(fn, m, pred.shape)
    as_float_array(fn, "target", target, layer="a loss", where=m)  # only where it counts
    diff = np.where(m, pred - target, 0)
    count = int(m.sum())
    loss = float(np.sum(diff[m] ** 2) / count)
    check_finite_result(fn, "loss", loss, overflow)
    return loss, 2 * diff * m / count
