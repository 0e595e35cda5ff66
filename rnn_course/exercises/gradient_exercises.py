"""Checkers for chapter 7, "Training RNNs: vanishing and exploding gradients".

    gradient_after_k_steps   concept: ||dh_T/dh_{T-k}|| of a linear RNN with W_h = rho * Q is rho^k
    orthogonal_init          implementation: a random orthogonal (D, D) matrix from a given generator
    clip_grad_norm           implementation: clip_grad_norm(grads, max_norm) -> total_norm
                             - grads: a list of gradient arrays of any shapes, scaled in place
                             - max_norm: a positive number
                             - total_norm: the global L2 norm sqrt(sum of every squared entry)
                               before clipping; above max_norm every array is multiplied by
                               max_norm / total_norm, otherwise nothing changes
                             (reference: the library's ``clip_grad_norm``)
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..optim import clip_grad_norm

from ._run import Fail, as_array, call, close, describe_shape_mismatch, fmt_shape, guarded, worst_mismatch

# -- concept: how much gradient is left after k steps --------------------------------

RHO, K = 0.9, 50  # the question's numbers: W_h = 0.9 Q (Q orthogonal), 50 steps back, linear cell


def gradient_after_k_steps():
    """The right answer: ||(rho Q)^k|| = rho^k, since every power of an orthogonal Q has norm 1."""
    return RHO ** K


def check_gradient_after_k_steps(answer):
    """answer: one number, ||dh_T/dh_{T-50}|| for W_h = 0.9 Q; within 2% of 0.9^50 = 0.00515."""
    if isinstance(answer, (list, tuple, np.ndarray)) and np.size(answer) == 1:
        answer = np.asarray(answer).reshape(()).item()
    if isinstance(answer, bool) or not isinstance(answer, (int, float, np.integer, np.floating)):
        raise Fail(f"give one number, e.g. 0.25 or 2.5e-3; got {answer!r}")
    value, right = float(answer), gradient_after_k_steps()
    if np.isclose(value, right, rtol=0.02):
        return (f"Right: {RHO}^{K} = {right:.3g}. Each step back multiplies by W_h^T = {RHO} Q^T, and Q^T "
                f"neither shrinks nor stretches a vector, so only the factor {RHO} per step is left: after "
                f"{K} steps about half a percent of the gradient is left, with no saturation at all.")
    named = [
        (1.0, "1 would be right for W_h = Q itself (spectral radius 1); here every step also multiplies by "
              f"{RHO}"),
        (RHO * K, f"{RHO} × {K} adds the factors up; going back one step multiplies the gradient by {RHO}, so "
                  f"{K} steps multiply it by {RHO} {K} times"),
        ((1 - RHO) ** K, f"that is (1 - {RHO})^{K}: the factor per step is {RHO} itself, not what it loses"),
        (1 - RHO ** K, f"that is 1 - {RHO}^{K}, the part of the gradient that is lost, not what is left"),
        (K ** RHO, f"that is {K}^{RHO}: the base and the exponent are swapped"),
        (RHO ** (K - 1), f"that is {RHO}^{K - 1}: count the steps again, one Jacobian per step for {K} steps"),
        (RHO ** (K + 1), f"that is {RHO}^{K + 1}: count the steps again, one Jacobian per step for {K} steps"),
        (np.sqrt(32) * RHO ** K, "that is the Frobenius norm of the (32, 32) matrix; the book's ‖·‖ is the "
                                 "spectral norm (the largest stretch), which is 1 for any orthogonal Q"),
    ]
    for wrong, why in named:
        if np.isclose(value, wrong, rtol=0.002):
            raise Fail(f"{value:.4g} is not it: {why}")
    if value < 0:
        raise Fail("a norm cannot be negative")
    if value > 1:
        raise Fail(f"{value:.4g} is more than 1, but with spectral radius {RHO} < 1 the gradient shrinks at "
                   f"every step back")
    raise Fail(f"{value:.4g} is not {RHO}^{K}: write ∂h_T/∂h_{{T-{K}}} as a product of {K} Jacobians "
               f"W_h^T = {RHO} Q^T and take its norm")


# -- implementation: an orthogonal initialisation --------------------------------------


def orthogonal_init(D, rng):
    """Reference: Q of a QR decomposition of a (D, D) standard normal draw, signs fixed (as in torch)."""
    Q, R = np.linalg.qr(rng.standard_normal((D, D)))
    return Q * np.where(np.diag(R) < 0, -1.0, 1.0)


def _generator(seed, key):
    """The generator the check hands the learner for ``key``: seeded by key alone for seed 0 (the book's
    cases), by (seed, key) for any other seed."""
    return np.random.default_rng(key if seed == 0 else [seed, key])


def check_orthogonal_init(fn, seed=0):
    """fn(D, rng) -> (D, D) orthogonal matrix drawn with the np.random.Generator rng."""
    for D in (3, 16, 1):
        Q, _ = call(fn, D, _generator(seed, D))
        Q = as_array(Q, f"orthogonal_init({D}, rng)")
        if Q.shape != (D, D):
            raise Fail(describe_shape_mismatch(Q.shape, (D, D), ("D", "D")), f"case: D = {D}")
        if not np.isfinite(Q).all():
            raise Fail(f"orthogonal_init({D}, rng) contains NaN or inf")
        gram = Q.T @ Q
        err = float(np.abs(gram - np.eye(D)).max())
        if err > 1e-8:
            if np.allclose(gram, gram[0, 0] * np.eye(D), atol=1e-8) and gram[0, 0] > 0:
                raise Fail(f"the columns are orthogonal but have length {np.sqrt(gram[0, 0]):.4g}, not 1 "
                           f"(Q^T Q = {gram[0, 0]:.4g} I): an orthogonal matrix keeps every vector's length",
                           f"case: D = {D}")
            if D > 1 and np.allclose(np.triu(Q), Q):
                raise Fail("the matrix is upper triangular: that is R of the QR decomposition; return Q",
                           f"case: D = {D}")
            G = _generator(seed, D).standard_normal((D, D))
            scale = float(np.sum(Q * G) / np.sum(G * G))
            if scale != 0 and np.allclose(Q, scale * G):
                raise Fail(f"the matrix is the Gaussian draw itself{'' if np.isclose(scale, 1) else ' (scaled)'}: "
                           f"a Gaussian matrix is not orthogonal by itself (Q^T Q differs from I by up to "
                           f"{err:.3g}); orthogonalise it with `np.linalg.qr` and return Q", f"case: D = {D}")
            raise Fail(f"Q^T Q is not the identity (largest difference {err:.3g}): a Gaussian matrix is not "
                       f"orthogonal by itself; orthogonalise it with `np.linalg.qr`", f"case: D = {D}")
    # reproducible with the generator it was given, and random across generators
    a, _ = call(fn, 8, _generator(seed, 5))
    b, _ = call(fn, 8, _generator(seed, 5))
    c, _ = call(fn, 8, _generator(seed, 6))
    if not np.allclose(as_array(a, "Q"), as_array(b, "Q")):
        raise Fail("two calls with generators of the same seed gave different matrices: draw with the `rng` "
                   "you are given (`rng.standard_normal((D, D))`), not with np.random or a new generator")
    if np.allclose(a, c):
        if np.allclose(np.abs(a), np.round(np.abs(a))):
            raise Fail("the matrix is the same for every generator and all its entries are 0 or ±1 (the identity "
                       "or a permutation?): it is orthogonal, but not random; draw a Gaussian matrix with `rng` "
                       "and orthogonalise it")
        raise Fail("generators with different seeds gave the same matrix: draw with the `rng` you are given, not "
                   "with a fixed seed")
    # uniform over orthogonal matrices: no direction is preferred, so the diagonal averages to 0
    draws = np.array([as_array(call(fn, 4, _generator(seed, 1000 + i))[0], "Q") for i in range(200)])
    if np.allclose(draws, np.swapaxes(draws, 1, 2), atol=1e-8):
        raise Fail("every draw is symmetric (Q = Q^T): that is one reflection, such as a Householder matrix "
                   "I - 2 v v^T / (v^T v) — orthogonal, but it only flips one direction and leaves the others; "
                   "take Q from `np.linalg.qr` of a Gaussian matrix, which can turn every direction")
    diag = draws[:, np.arange(4), np.arange(4)]
    mean = float(diag.mean())
    if abs(mean) > 0.15:
        raise Fail(f"over 200 draws the diagonal of Q averages {mean:.2f}, not about 0: `np.linalg.qr` does not "
                   f"make R's diagonal positive (each sign follows from the matrix), which biases Q; multiply "
                   f"column j of Q by the sign of R[j, j] (`Q * np.sign(np.diag(R))`), as torch.nn.init.orthogonal_ "
                   f"does")
    signs = np.sign(np.linalg.det(draws))
    if np.all(signs > 0) or np.all(signs < 0):
        kind = ("rotations (determinant +1); reflections (determinant -1) never appear" if signs[0] > 0 else
                "reflections (determinant -1); rotations (determinant +1) never appear")
        raise Fail(f"over 200 draws every matrix is one of the {kind}. A uniformly random orthogonal matrix is "
                   f"each half of the time: do not force the sign of the determinant, and fix the signs with "
                   f"the diagonal of R, `Q * np.sign(np.diag(R))`")
    return ("orthogonal_init is right: Q^T Q = I for D = 3, 16 and 1, the same matrix for the same generator, a "
            "different one for another, and no preferred direction over 200 draws (the diagonal averages about "
            "0), with rotations and reflections both drawn.")


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
    result = guarded(fn, passed, max_norm)  # the time limit, captured prints, exceptions as a Fail
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
            f"each below it but above it together in float32, a single array): one global norm, scaled in place, "
            f"and the norm before clipping returned.")
