"""Numerical gradient checking, in float64, without touching the caller's arrays.

The check every backward pass in this library (and in the exercises) has to
pass: perturb one input entry by +eps and -eps, rerun the forward pass, and
compare the central difference with the analytic gradient::

    numerical_gradient(f, x, df=None, eps=1e-5)   central differences
    rel_error(a, b)                                 symmetric relative error
    check_gradients(f, inputs, analytic, df)        every input at once, worst entry by name
    check_module_gradients(module, x)               every parameter of a module and dx
    check_model_gradients(model, *batch)            every parameter, through a model's loss
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._checks import check_seed, is_number

_EPS = 1e-8  # floor of the denominator: entries below it are compared absolutely


def _check_eps(fn, eps):
    if not is_number(eps) or not np.isfinite(eps) or eps <= 0:
        raise ValueError(f"{fn}: eps must be a positive finite number (the finite-difference step, e.g. 1e-5), "
                         f"got {eps!r}")


def _check_callable(fn, name, f, what):
    if not callable(f):
        raise TypeError(f"{fn}: {name} must be a function ({what}), got {type(f).__name__} {f!r}")


def _point(fn, name, x):
    """The point to differentiate at: a private float64 copy, refused unless numeric and finite."""
    arr = np.asarray(x)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{fn}: {name} must be an array of numbers, got dtype {arr.dtype}")
    arr = np.array(arr, dtype=np.float64)  # a private copy, perturbed in place
    if not np.isfinite(arr).all():
        raise ValueError(f"{fn}: {name} contains NaN or inf; a gradient can only be checked at a finite point")
    return arr


def rel_error(a, b, eps=_EPS):
    """Symmetric relative error: ``max |a - b| / max(eps, |a| + |b|)``, elementwise.

    Inputs:

    - a, b: arrays of the same shape, any shape (...), e.g. two (D, D)
      gradients, the analytic and the numerical one
    - eps: the floor of the denominator; entries where abs(a) + abs(b) is below
      it are compared absolutely

    Returns a float, the largest elementwise relative error (0.0 for empty arrays).

    0 means identical; around 1e-7 or below is what a correct float64 backward
    gives against central differences; 1e-2 or above means a bug.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"rel_error: a has shape {a.shape} but b has shape {b.shape}")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(eps, np.abs(a) + np.abs(b))))


def numerical_gradient(f, x, df=None, eps=1e-5):
    """Central-difference gradient of f at x, in float64.

    Inputs:

    - f: a function of one array shaped like x. It returns a scalar (then the
      result is d f / d x), or an array (then pass df, the upstream gradient
      of f's output, and the result is d sum(f(x) * df) / d x).
    - x: the point, any shape (...), e.g. (N, T, d) inputs or (D, D) weights.
      It is copied to float64 first: the caller's array is never modified,
      not even temporarily.
    - df: upstream gradient shaped like f(x), e.g. (N, T, D), or None for a scalar f.
    - eps: the step.

    Returns an array shaped like x, e.g. (N, T, d), with the gradient.

    Raises TypeError when f is not callable or x is not numeric, and ValueError
    when x holds NaN or inf or eps is not a positive finite number.
    """
    fn = "numerical_gradient"
    _check_callable(fn, "f", f, "of one array shaped like x")
    _check_eps(fn, eps)
    x = _point(fn, "x", x)  # a private float64 copy, perturbed in place below
    if df is not None:
        df = np.asarray(df, dtype=np.float64)
    grad = np.zeros_like(x)

    def value(v):
        out = np.asarray(f(v), dtype=np.float64)
        if df is None:
            if out.size != 1:
                raise ValueError(
                    f"numerical_gradient: f returned an array of shape {out.shape}; "
                    f"pass df (the upstream gradient, same shape) or make f return a scalar"
                )
            return float(out.reshape(()))
        if out.shape != df.shape:
            raise ValueError(f"numerical_gradient: f returned shape {out.shape} but df has shape {df.shape}")
        return float(np.sum(out * df))

    flat = x.reshape(-1)
    gflat = grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        plus = value(x)
        flat[i] = old - eps
        minus = value(x)
        flat[i] = old
        gflat[i] = (plus - minus) / (2 * eps)
    return grad


@dataclass
class GradCheckReport:
    """The result of ``check_gradients``: one relative error per checked input.

    - errors: {name: the largest relative error over that input's entries}
    - worst: {name: (index, analytic, numerical)} of its worst entry, the
      index a tuple into the input's shape, e.g. (n, t, i) for an (N, T, d) x
    """

    errors: dict = field(default_factory=dict)  # name -> max relative error
    worst: dict = field(default_factory=dict)  # name -> (index, analytic, numeric)

    @property
    def max_error(self):
        """The largest relative error over every checked input (0.0 if none was checked)."""
        return max(self.errors.values(), default=0.0)

    @property
    def worst_name(self):
        """The name of the input with the largest relative error, or None if none was checked."""
        return max(self.errors, key=self.errors.get) if self.errors else None

    def ok(self, tol=1e-6):
        """True if every relative error is at most ``tol`` (a float, default 1e-6)."""
        return self.max_error <= tol

    def __str__(self):
        lines = [f"{name:>16s}: relative error {err:.2e}" for name, err in self.errors.items()]
        if self.worst_name is not None:
            idx, a, n = self.worst[self.worst_name]
            lines.append(f"worst: {self.worst_name}{list(idx)} analytic {a:.6g} vs numerical {n:.6g}")
        return "\n".join(lines)

    __repr__ = __str__


def check_gradients(f, inputs, analytic, df=None, eps=1e-5):
    """Compare analytic gradients with central differences for several inputs at once.

    Inputs:

    - f: function called as ``f(**inputs)``, returning an array (or a scalar)
    - inputs: dict name -> array, e.g. {"x": (N, T, d), "h0": (N, D), "Wh": (D, D)};
      the arrays are not modified
    - analytic: dict name -> the analytic gradient of sum(f * df) (or of the
      scalar f) with respect to inputs[name]; only these names are checked
    - df: the upstream gradient, shaped like f's output, e.g. (N, T, D) (None for a scalar f)

    Returns a GradCheckReport; ``report.ok(tol)`` tells whether every relative
    error is at most tol, and ``print(report)`` names the worst entry. For a
    scalar f, entries are measured against at least ``1e-10 max(1, abs(f)) / eps``,
    the scale below which central differences cannot resolve them (as in
    ``check_model_gradients``).

    Raises TypeError when f is not callable or inputs/analytic are not dicts,
    KeyError for an analytic name that is not an input, and ValueError for a
    gradient whose shape is not its input's.
    """
    fn = "check_gradients"
    _check_callable(fn, "f", f, "called as f(**inputs)")
    for arg, value in (("inputs", inputs), ("analytic", analytic)):
        if not isinstance(value, dict):
            raise TypeError(f"{fn}: {arg} must be a dict {{name: array}}, e.g. {{'x': x, 'Wh': Wh}}, "
                            f"got {type(value).__name__}")
    _check_eps(fn, eps)
    report = GradCheckReport()
    # A scalar f (a loss): its central differences carry about 1e-16 |f| / eps of rounding noise, so entries
    # are measured against at least 1e6 times that, as check_model_gradients does (a right gradient of a few
    # 1e-6 could otherwise show a relative error above 1e-6).
    floor = 0.0
    if df is None:
        value = np.asarray(f(**inputs), dtype=np.float64)
        if value.ndim == 0 and np.isfinite(value):
            floor = 1e6 * 1e-16 * max(1.0, abs(float(value))) / eps
    for name, grad in analytic.items():
        if name not in inputs:
            raise KeyError(f"check_gradients: no input named {name!r}; inputs are {sorted(inputs)}")

        def f_of(v, name=name):
            return f(**{**inputs, name: v})

        numeric = numerical_gradient(f_of, inputs[name], df=df, eps=eps)
        grad = np.asarray(grad, dtype=np.float64)
        if grad.shape != numeric.shape:
            raise ValueError(f"check_gradients: gradient for {name} has shape {grad.shape}; "
                             f"expected {numeric.shape}, the shape of {name}")
        _record(report, name, grad, numeric, floor)
    return report


def check_module_gradients(module, x, seed=0, eps=1e-5):
    """Check ``dx`` and every entry of ``module.grads`` against central differences.

    The module (``RNN``, ``LSTM``, ``GRU`` or anything with the same
    ``forward``/``backward``/``params``/``grads`` interface) is run in float64
    on x with a random upstream gradient for ``output``. Its parameters are
    restored exactly afterwards, and its gradients are left as the analytic ones.

    Inputs:

    - module: the module to check, e.g. ``RNN(d, D)``
    - x: (N, T, d) input sequences (keep them small: every entry of every
      parameter costs two forward passes)
    - seed: seeds the random upstream gradient, shaped like the output (N, T, D)
    - eps: the finite-difference step

    Returns a GradCheckReport with entries "x" and one per parameter name.

    Raises TypeError when module lacks forward/backward/params/grads or seed is
    not a seed, and ValueError for a non-finite x or a bad eps.
    """
    fn = "check_module_gradients"
    missing = [a for a in ("forward", "backward", "params", "grads", "zero_grad") if not hasattr(module, a)]
    if missing:
        raise TypeError(f"{fn}: module must be a module such as RNN(d, D), with forward, backward, params "
                        f"and grads; {type(module).__name__} has no {', '.join(missing)}")
    check_seed(fn, seed)
    _check_eps(fn, eps)
    x = _point(fn, "x", x)
    out, _ = module.forward(x)
    dout = np.random.default_rng(seed).standard_normal(out.shape)
    module.zero_grad()
    dx = module.backward(dout)
    analytic = {k: g.copy() for k, g in module.grads.items()}

    report = GradCheckReport()
    _record(report, "x", dx, numerical_gradient(lambda v: module.forward(v)[0], x, df=dout, eps=eps))
    for name in module.params:
        original = module.params[name]

        def f_of(v, name=name):
            module.params[name] = v
            return module.forward(x)[0]

        try:
            numeric = numerical_gradient(f_of, original, df=dout, eps=eps)
        finally:
            module.params[name] = original
        _record(report, name, analytic[name], numeric)
    module.forward(x)  # leave the module's caches consistent with its parameters
    return report


def check_model_gradients(model, *batch, names=None, eps=1e-5):
    """Check the gradients a model's ``loss(*batch)`` leaves in its parameters.

    ``model`` is any Module with a ``loss(*batch) -> float`` method that runs
    forward and backward (every model in rnn_course.models). Each parameter
    (or just those in ``names``, dotted as in ``model.parameters()``) is
    perturbed in turn and restored exactly.

    Inputs:

    - model: e.g. a ManyToOneClassifier
    - batch: the arguments of ``model.loss``, e.g. ids (N, T), labels (N,), lengths (N,)
    - names: None for every parameter, or a collection of dotted names to check
    - eps: the finite-difference step

    Returns a GradCheckReport with one entry per checked parameter; the model
    is left holding its analytic gradients.

    Raises TypeError when model lacks loss/parameters/zero_grad or names is a
    single string, and ValueError for a name the model does not have.
    """
    fn = "check_model_gradients"
    missing = [a for a in ("loss", "parameters", "zero_grad") if not hasattr(model, a)]
    if missing:
        raise TypeError(f"{fn}: model must be a model such as ManyToOneClassifier(...), with loss, parameters "
                        f"and zero_grad; {type(model).__name__} has no {', '.join(missing)}")
    _check_eps(fn, eps)
    known = [n for n, _, _ in model.parameters()]
    if names is not None:
        if isinstance(names, str) or not all(isinstance(n, str) for n in names):
            raise TypeError(f"{fn}: names must be None or a collection of dotted names, e.g. "
                            f"[{known[0]!r}], got {names!r}")
        unknown = sorted(set(names) - set(known))
        if unknown:
            raise ValueError(f"{fn}: the model has no parameter {unknown[0]!r}; its parameters are {known}")
    model.zero_grad()
    loss = float(model.loss(*batch))
    triples = [(n, p, g.copy()) for n, p, g in model.parameters() if names is None or n in names]
    # The rounding noise of (L(p+eps) - L(p-eps)) / 2eps is about 1e-16 |L| / eps:
    # gradient entries are measured against at least 1e6 times that (1e-5 for a
    # loss near 1), below which central differences cannot tell right from wrong.
    floor = 1e6 * 1e-16 * max(1.0, abs(loss)) / eps
    report = GradCheckReport()
    for name, p, analytic in triples:
        original = p.copy()
        numeric = np.zeros(p.shape)
        flat, nflat = p.reshape(-1), numeric.reshape(-1)
        if not np.shares_memory(flat, p):
            raise ValueError(f"check_model_gradients: parameter {name} is not contiguous, so it cannot be "
                             f"perturbed in place")
        try:
            for i in range(flat.size):
                old = flat[i]
                flat[i] = old + eps
                plus = float(model.loss(*batch))
                flat[i] = old - eps
                minus = float(model.loss(*batch))
                flat[i] = old
                nflat[i] = (plus - minus) / (2 * eps)
        finally:
            p[...] = original
        _record(report, name, analytic, numeric, floor)
    model.zero_grad()
    model.loss(*batch)  # leave the analytic gradients in place
    return report


def _record(report, name, analytic, numeric, floor=0.0):
    # Central differences carry ~1e-11 of absolute rounding noise (float64,
    # eps = 1e-5), so an entry 1e5 times smaller than the input's largest
    # gradient cannot be resolved to 1e-6 relative even when it is right. Such
    # entries are measured against 1e-4 of the largest one instead; an error of
    # any size that matters at that scale is still caught.
    size = np.abs(analytic) + np.abs(numeric)
    floor = max(_EPS, floor, 1e-4 * float(size.max()) if size.size else 0.0)
    err = np.abs(analytic - numeric) / np.maximum(floor, size)
    idx = np.unravel_index(int(np.argmax(err)), err.shape) if err.size else ()
    report.errors[name] = float(err.max()) if err.size else 0.0
    report.worst[name] = (tuple(int(i) for i in idx),
                          float(analytic[idx]) if err.size else 0.0,
                          float(numeric[idx]) if err.size else 0.0)
