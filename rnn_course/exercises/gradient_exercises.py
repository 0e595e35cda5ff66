"""Checkers for chapter 7, "Training RNNs: vanishing and exploding gradients".

    gradient_after_k_steps   concept: ||dh_T/dh_{T-k}|| of a linear RNN with W_h = rho * Q is rho^k
    orthogonal_init          implementation: a random orthogonal (D, D) matrix from a given generator

(``clip_grad_norm``, also placed in chapter 7, is checked in training_exercises.)
"""

from __future__ import annotations

import numpy as np

from ._run import Fail, as_array, call, describe_shape_mismatch

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


def check_orthogonal_init(fn):
    """fn(D, rng) -> (D, D) orthogonal matrix drawn with the np.random.Generator rng."""
    for D in (3, 16, 1):
        Q, _ = call(fn, D, np.random.default_rng(D))
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
            raise Fail(f"Q^T Q is not the identity (largest difference {err:.3g}): a Gaussian matrix is not "
                       f"orthogonal by itself; orthogonalise it with `np.linalg.qr`", f"case: D = {D}")
    # reproducible with the generator it was given, and random across generators
    a, _ = call(fn, 8, np.random.default_rng(5))
    b, _ = call(fn, 8, np.random.default_rng(5))
    c, _ = call(fn, 8, np.random.default_rng(6))
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
    diag = np.array([np.diag(as_array(call(fn, 4, np.random.default_rng(1000 + i))[0], "Q")) for i in range(200)])
    mean = float(diag.mean())
    if abs(mean) > 0.15:
        raise Fail(f"over 200 draws the diagonal of Q averages {mean:.2f}, not about 0: `np.linalg.qr` leaves the "
                   f"signs of R's diagonal to chance, which biases Q; multiply column j of Q by the sign of R[j, j] "
                   f"(`Q * np.sign(np.diag(R))`), as torch.nn.init.orthogonal_ does")
    return ("orthogonal_init is right: Q^T Q = I for D = 3, 16 and 1, the same matrix for the same generator, a "
            "different one for another, and no preferred direction over 200 draws (the diagonal averages about "
            "0).")
