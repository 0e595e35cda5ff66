"""The smallest module system that lets an optimiser walk any model.

A ``Module`` owns two dicts with the same keys, ``params`` and ``grads``, and
may hold child modules as attributes. ``parameters()`` walks itself and its
children and yields ``(name, param, grad)`` triples with dotted names, e.g.
``rnn.weight_hh_l0``; optimisers update ``param`` in place, so the arrays a
module holds are never replaced behind its back. ``backward`` methods add to
``grads`` (like PyTorch), so call ``zero_grad()`` before each backward pass.
"""

from __future__ import annotations

import numpy as np

from ._checks import as_float_array


class Module:
    """Base class: ``params``/``grads`` dicts plus child modules found as attributes."""

    def __init__(self):
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}

    def _add_param(self, name, value):
        self.params[name] = value
        self.grads[name] = np.zeros_like(value)

    def children(self):
        """The child modules: a list of (attribute name, module), in definition order.

        Returns a list, e.g. ``[("embed", Embedding), ("rnn", RNN), ("head", Linear)]``
        for a model; its arrays are reached through ``parameters()``, e.g. the
        head's ``weight`` (V, D).
        """
        return [(k, v) for k, v in vars(self).items() if isinstance(v, Module)]

    def parameters(self, prefix=""):
        """List of (name, param, grad) for this module and all its children.

        Inputs:

        - prefix: a string put before every name (children get ``"child."``)

        Returns a list of triples:

        - name: the dotted name, e.g. ``"rnn.weight_hh_l0"``
        - param: the parameter itself (not a copy), e.g. (D, D) for weight_hh_l0
        - grad: its gradient, the same shape as param, e.g. (D, D)
        """
        out = [(prefix + k, self.params[k], self.grads[k]) for k in self.params]
        for name, child in self.children():
            out += child.parameters(prefix + name + ".")
        return out

    def state_dict(self):
        """{dotted name: a copy of the parameter}, e.g. to save a trained model with np.savez.

        Returns a dict of arrays in their parameters' shapes, e.g.
        ``"rnn.weight_ih_l0"``: (D, d), ``"rnn.weight_hh_l0"``: (D, D), ``"head.bias"``: (V,).
        """
        return {name: p.copy() for name, p, _ in self.parameters()}

    def load_state_dict(self, state):
        """Copy parameters in, in place, from a dict keyed like state_dict(); shapes must match.

        Inputs:

        - state: {dotted name: array}, every array the shape of the parameter it
          replaces, e.g. ``weight_hh_l0``: (D, D); missing or extra keys raise KeyError

        For a recurrent module the keys are PyTorch's, so loading PyTorch weights is
        ``rnn.load_state_dict({k: v.numpy() for k, v in torch_rnn.state_dict().items()})``.
        """
        own = {name: p for name, p, _ in self.parameters()}
        missing, extra = sorted(set(own) - set(state)), sorted(set(state) - set(own))
        if missing or extra:
            raise KeyError(f"{type(self).__name__}.load_state_dict: missing keys {missing}, "
                           f"unexpected keys {extra}")
        for name, p in own.items():
            value = as_float_array(f"{type(self).__name__}.load_state_dict", name, state[name])
            if value.shape != p.shape:
                raise ValueError(f"{type(self).__name__}.load_state_dict: {name} has shape {value.shape}; "
                                 f"expected {p.shape}")
            p[...] = value

    def zero_grad(self):
        """Set every gradient array to zero, in place; call it before each backward pass.

        The arrays keep their shapes, e.g. ``grads["weight_hh_l0"]`` stays (D, D):
        ``backward`` adds into them, so without this the gradients of successive
        batches would pile up.
        """
        for _, _, g in self.parameters():
            g[...] = 0

    def num_parameters(self):
        """The number of trainable numbers: the sum of ``param.size`` over ``parameters()``.

        Returns an int; for a one-layer RNN it is D*d + D*D + 2*D, the sizes of
        weight_ih_l0 (D, d), weight_hh_l0 (D, D), bias_ih_l0 (D,) and bias_hh_l0 (D,).
        """
        return sum(p.size for _, p, _ in self.parameters())
