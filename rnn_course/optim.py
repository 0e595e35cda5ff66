"""Optimisers and gradient clipping over any model's (name, param, grad) triples.

    opt = Adam(model, lr=1e-2)          # or SGD(model, lr=0.1, momentum=0.9)
    model.zero_grad(); loss = ...; model.backward(...)
    clip_grad_norm(model, max_norm=5.0)
    opt.step()

A "model" is anything with ``parameters()`` returning (name, param, grad)
triples: every module of the library, or a list of such triples. Parameters
are updated in place.
"""

from __future__ import annotations

import numpy as np

from ._checks import is_number


_ACCEPTED = "a model with .parameters() or a list of (name, param, grad) triples"
_ACCEPTED_BY_CLIP = ("a model with .parameters(), a list of (name, param, grad) triples, a list of gradient "
                     "arrays or a dict {name: gradient}")


def _triples(model, fn, accepted=_ACCEPTED):
    if hasattr(model, "parameters"):
        triples = list(model.parameters())
    elif isinstance(model, (list, tuple)):
        triples = list(model)
    else:
        raise TypeError(f"{fn}: expected {accepted}, got {type(model).__name__}")
    for i, t in enumerate(triples):
        if not (isinstance(t, tuple) and len(t) == 3 and isinstance(t[1], np.ndarray)
                and isinstance(t[2], np.ndarray) and t[1].shape == t[2].shape):
            raise TypeError(f"{fn}: every parameter must be a (name, param, grad) triple of arrays with the "
                            f"same shape, but item {i} is {_describe(t)}; accepted: {accepted}")
    return triples


def _describe(item):
    """'a list [30.0, 40.0]', 'an array of shape (2,)', 'a tuple of 2 items' for error messages."""
    if isinstance(item, np.ndarray):
        return f"an array of shape {item.shape}"
    if isinstance(item, tuple):
        return f"a tuple of {len(item)} items"
    text = repr(item)
    return f"a {type(item).__name__} {text if len(text) <= 40 else text[:37] + '...'}"


def clip_grad_norm(model, max_norm):
    """Scale all gradients together so that their global L2 norm is at most max_norm.

    Inputs:

    - model: a module (its ``parameters()``), a list of (name, param, grad)
      triples, a list of gradient arrays, or a dict {name: gradient}; the
      gradients may have any shapes, e.g. (D, d), (D, D) and (D,)
    - max_norm: a positive float, the largest global norm allowed

    Returns the global norm before clipping, a float.

    The global norm is sqrt(sum of every squared gradient entry), over all
    parameters at once, so the direction of the update is kept. Gradients are
    scaled in place. Returns the norm before clipping (as torch does), which
    is worth logging: spikes in it are exploding gradients.
    """
    fn = "clip_grad_norm"
    if not is_number(max_norm) or not max_norm > 0:
        raise ValueError(f"{fn}: max_norm must be a positive number, got {max_norm!r}")
    if isinstance(model, dict):
        grads = list(model.values())
    elif isinstance(model, (list, tuple)) and model and isinstance(model[0], np.ndarray):
        grads = list(model)
    else:
        grads = [g for _, _, g in _triples(model, fn, _ACCEPTED_BY_CLIP)]
    for i, g in enumerate(grads):
        if not isinstance(g, np.ndarray) or g.dtype.kind != "f":
            raise TypeError(f"{fn}: gradient {i} is {_describe(g)}" + (f" of dtype {g.dtype}" if isinstance(
                g, np.ndarray) else "") + "; gradients must be float arrays (they are scaled in place); "
                f"accepted: {_ACCEPTED_BY_CLIP}")
    total = _global_norm(grads, fn)
    if total > max_norm:
        scale = max_norm / (total + 1e-12)
        for g in grads:
            g *= scale
    return total


def _global_norm(grads, fn):
    """sqrt(sum of every squared entry), in float64; finite for any finite gradients.

    Squares overflow past 1e154, so when the plain sum does, every gradient is
    first divided by the largest |entry| and the norm multiplied back. A NaN or
    inf entry makes the plain sum NaN or inf too, so the gradients are searched
    for one only then (the check costs a pass over every gradient per step).
    """
    with np.errstate(over="ignore"):
        total = float(np.sqrt(sum(float(np.sum(g.astype(np.float64, copy=False) ** 2)) for g in grads)))
    if np.isfinite(total):
        return total
    if not all(np.isfinite(g).all() for g in grads):
        raise ValueError(f"{fn}: the gradients contain NaN or inf; clipping cannot "
                         f"repair that — lower the learning rate or check the loss")
    top = max(float(np.abs(g).max()) for g in grads if g.size)
    return top * float(np.sqrt(sum(float(np.sum((g.astype(np.float64) / top) ** 2)) for g in grads)))


class Optimizer:
    """Base class of the optimisers: holds the model, the learning rate and per-parameter state.

    Optimizer(model, lr): ``model`` is a module or a list of (name, param, grad)
    triples, where param and grad have the same shape, e.g. (D, D); ``lr`` is a
    positive float. Subclasses define how one parameter is updated from its
    gradient; ``step()`` applies that to every parameter, in place.
    """

    def __init__(self, model, lr):
        if not is_number(lr) or not lr > 0:
            raise ValueError(f"{type(self).__name__}: lr must be a positive number, got {lr!r}")
        self.model = model
        self.lr = float(lr)
        self.state = {}
        _triples(model, type(self).__name__)

    def zero_grad(self):
        """Set every gradient of the model to zero, in place (shapes kept, e.g. (D, D)).

        The same as ``model.zero_grad()``; also works for a list of triples.
        """
        for _, _, g in _triples(self.model, type(self).__name__):
            g[...] = 0

    def step(self):
        """Update every parameter in place from its gradient, e.g. p -= lr * g for plain SGD.

        Each param and its grad have the same shape, e.g. (D, D) for
        ``weight_hh_l0``; the arrays are changed in place, never replaced, so a
        model's references to them stay valid. Returns None.
        """
        for name, p, g in _triples(self.model, type(self).__name__):
            self._update(name, p, g)

    def _update(self, name, p, g):
        raise NotImplementedError


class SGD(Optimizer):
    """Stochastic gradient descent, with optional (heavy-ball) momentum as in torch.optim.SGD:

        v = momentum * v + g;   p -= lr * v
    """

    def __init__(self, model, lr=0.1, momentum=0.0):
        super().__init__(model, lr)
        if not is_number(momentum) or not 0 <= momentum < 1:
            raise ValueError(f"SGD: momentum must be in [0, 1), got {momentum!r}")
        self.momentum = float(momentum)

    def _update(self, name, p, g):
        if self.momentum:
            v = self.state.get(name)
            if v is None:
                v = self.state[name] = g.copy()
            else:
                v *= self.momentum
                v += g
            p -= self.lr * v
        else:
            p -= self.lr * g


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015), as in torch.optim.Adam:

        m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
        p -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
    """

    def __init__(self, model, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        super().__init__(model, lr)
        if not (isinstance(betas, (tuple, list)) and len(betas) == 2 and all(is_number(b) for b in betas)
                and all(0 <= b < 1 for b in betas)):
            raise ValueError(f"Adam: betas must be a pair of numbers in [0, 1), got {betas!r}")
        b1, b2 = betas
        if not is_number(eps) or not eps > 0:
            raise ValueError(f"Adam: eps must be a positive number, got {eps!r}")
        self.betas, self.eps, self.t = (float(b1), float(b2)), float(eps), 0
        self._scratch = {}  # name -> two arrays shaped like the parameter, for step's products

    def step(self):
        """One Adam update of every parameter, in place, after counting the step t (for the bias correction).

        Each param, its grad and its moment estimates m and v have the same
        shape, e.g. (D, D) for ``weight_hh_l0``. Returns None.
        """
        self.t += 1
        super().step()

    def _update(self, name, p, g):
        b1, b2 = self.betas
        m, v = self.state.get(name, (None, None))
        if m is None:
            m, v = np.zeros_like(p), np.zeros_like(p)
            self.state[name] = (m, v)
        if g.dtype != p.dtype or np.result_type(p, self.lr) != p.dtype:
            # float64 gradients of float32 weights, or an lr that is a numpy
            # float64 (which numpy does not round to float32 weights' dtype)
            self._update_mixed(p, g, m, v)
            return
        # Every product below is computed in place, in two scratch arrays kept
        # per parameter, in the order the formula in the class docstring reads.
        s, w = self._scratch.get(name, (None, None))
        if s is None:
            s, w = self._scratch[name] = (np.empty_like(p), np.empty_like(p))
        m *= b1
        m += np.multiply(g, 1 - b1, out=s)  # m = b1 m + (1 - b1) g
        v *= b2
        s = np.multiply(g, 1 - b2, out=s)
        s *= g
        v += s  # v = b2 v + (1 - b2) g^2
        np.divide(v, 1 - b2 ** self.t, out=w)  # v_hat
        np.sqrt(w, out=w)
        w += self.eps  # sqrt(v_hat) + eps
        np.divide(m, 1 - b1 ** self.t, out=s)  # m_hat
        s *= self.lr
        s /= w
        p -= s

    def _update_mixed(self, p, g, m, v):
        """The same update with numpy's promotions, in temporaries."""
        b1, b2 = self.betas
        m *= b1
        m += (1 - b1) * g
        v *= b2
        v += (1 - b2) * g * g
        m_hat = m / (1 - b1 ** self.t)
        v_hat = v / (1 - b2 ** self.t)
        p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
