"""Checkers for "Your own model, trained", the topologies chapter's capstone section.

The learner writes the pieces of a many-to-one classifier as plain functions,
wires them into ``model_loss`` and trains it with their own ``train_model``:

    embedding_forward(ids, W) -> (out, cache)        ids (N, T), W (V, d) -> out (N, T, d)
    embedding_backward(dout, cache) -> dW            dout (N, T, d) -> dW (V, d); repeated ids add up
    last_step_forward(h, lengths) -> (out, cache)    h (N, T, D), lengths (N,) -> out (N, D)
    last_step_backward(dout, cache) -> dh            dout (N, D) -> dh (N, T, D)
    linear_forward(x, W, b) -> (y, cache)            x (N, D), W (C, D), b (C,) -> y (N, C)
    linear_backward(dy, cache) -> (dx, dW, db)
    adam_step(params, grads, state, lr)              in place; state: a dict kept between steps
    model_loss(params, ids, lengths, labels) -> (loss, grads)   gradient-checked on the learner's code
    train_model(params, data) -> losses              trained, then compared with rnn_course.capstone

The backward checkers pass the library's caches (EmbeddingCache(ids, V),
LastStepCache(lengths, shape), LinearCache(x, W)), NamedTuples that also unpack
as plain tuples. ``model_loss`` and ``train_model`` first make sure that every
piece they call is written and passes its own check, and say which is missing.
"""

from __future__ import annotations

import math

import numpy as np

from .. import capstone as ref
from ..gradcheck import check_gradients
from ..layers import EmbeddingCache, LastStepCache, LinearCache
from ..layers import embedding_backward, embedding_forward, last_step_backward, last_step_forward
from ..layers import linear_backward, linear_forward
from . import _run
from ._depends import loaded_globals
from ._run import Fail, as_array, call, check_dtype, close, describe_shape_mismatch, guarded, is_stub, worst_mismatch

#: The test accuracy of the learner's trained model may differ from the reference's by at most this much.
#: Right pieces do the same arithmetic, at most summed in another order: the page's solutions give losses
#: within about 4e-12 (relative) of the reference's and parameters within about 3e-11, while the test sentence
#: nearest the decision boundary has its two scores about 2e-3 apart, so the predictions are the same. The
#: tolerance, 2 of the 298 test sentences (0.01 * 298 = 2.98), is only a safety margin for a sentence that
#: rounding might tip across the boundary.
ACCURACY_TOLERANCE = 0.01
#: Relative difference at which two training losses count as different: far above rounding (about 4e-12 with
#: right pieces), far below what one wrong update does to the next loss.
LOSS_RTOL = 1e-6


def _pair(result, fn_name, pair):
    if result is None:
        raise Fail(f"{fn_name} returned None — did you forget `return {pair}`?")
    if isinstance(result, np.ndarray) or not isinstance(result, (tuple, list)) or len(result) != 2:
        raise Fail(f"{fn_name} must return the pair {pair}; the cache may be anything your backward reads")
    return result[0]


def _faults(got, want, faults, what, case, dtype=np.float64):
    """Fail naming the first fault that got matches, or the worst mismatch; nothing when got is right."""
    if close(got, want, dtype):
        return
    for message, candidate in faults:
        if candidate is not None and np.shape(candidate) == got.shape and close(got, candidate, dtype):
            raise Fail(message, case)
    raise Fail(f"{what} has the right shape but the wrong values", worst_mismatch(got, want), case)


def _shape(got, want, letters, what, case, named=()):
    if got.shape == tuple(want):
        return
    for shape, message in named:
        if got.shape == tuple(shape):
            raise Fail(message, case)
    raise Fail(describe_shape_mismatch(got.shape, want, letters).replace("wrong output shape", f"wrong shape of "
                                                                         f"{what}", 1), case)


def _unchanged(mutated, fn_name, case):
    if mutated:
        raise Fail(f"{fn_name} changed its input `{mutated}` in place; a layer must leave its inputs as it found "
                   f"them", case)


# ---------------------------------------------------------------------------
# embedding


def _ids(seed, N, T, V):
    rng = np.random.default_rng([seed, 41, N, T, V])
    ids = rng.integers(0, V, size=(N, T))
    ids[0, :2] = ids[0, -1]  # a repeated id in every case
    return ids


EMBED_CASES = [(3, 4, 6, 5, np.float64), (2, 5, 4, 4, np.float64), (1, 1, 3, 2, np.float64),
               (4, 6, 3, 5, np.float32)]  # (N, T, V, d, dtype); V = 3 for 24 look-ups: many repeats


def _case(N, T, V, d, dtype):
    return f"case: N={N}, T={T}, V={V}, d={d}, {np.dtype(dtype).name}, ids with repeats"


def check_embedding_forward(fn, seed=0):
    for N, T, V, d, dtype in EMBED_CASES:
        case = _case(N, T, V, d, dtype)
        ids = _ids(seed, N, T, V)
        W = np.random.default_rng([seed, 42, V, d]).standard_normal((V, d)).astype(dtype)
        result, mutated = call(fn, ids, W)
        _unchanged(mutated, "embedding_forward", case)
        got = as_array(_pair(result, "embedding_forward", "(out, cache)"), "out")
        want = W[ids]
        _shape(got, want.shape, ("N", "T", "d"), "out", case, named=[
            ((N * T, d), "out is flat, (N·T, d): keep the shape of ids and add d, (N, T, d) — `W[ids]` does"),
            ((d, N, T), "out is (d, N, T): the rows of W are the tokens' vectors, so look up rows, `W[ids]`, "
                        "not columns")])
        check_dtype(got, dtype, "out", case)
        _faults(got, want, [
            ("off by one: out[n, t] is row ids[n, t] - 1 of W; the id is the row number itself, `W[ids]`",
             W[(ids - 1) % V]),
            ("off by one: out[n, t] is row ids[n, t] + 1 of W; the id is the row number itself, `W[ids]`",
             W[(ids + 1) % V]),
            ("every sequence got the first sequence's vectors: look up all of ids, `W[ids]`",
             np.broadcast_to(W[ids[0]], (N, T, d))),
        ], "out", case, dtype)
    return (f"embedding_forward matches the library's on {len(EMBED_CASES)} cases (repeated ids, N = 1, T = 1, "
            f"float32): out[n, t] = W[ids[n, t]].")


def check_embedding_backward(fn, seed=0):
    for N, T, V, d, dtype in EMBED_CASES:
        case = _case(N, T, V, d, dtype)
        ids = _ids(seed, N, T, V)
        dout = np.random.default_rng([seed, 43, N, T, d]).standard_normal((N, T, d)).astype(dtype)
        cache = EmbeddingCache(ids, V)
        result, mutated = call(fn, dout, cache)
        _unchanged(mutated, "embedding_backward", case)
        if isinstance(result, tuple) and len(result) == 1:
            result = result[0]
        got = as_array(result, "dW")
        want = embedding_backward(dout, cache)
        present = np.unique(ids)
        _shape(got, want.shape, ("V", "d"), "dW", case, named=[
            ((N, T, d), "dW has the shape of dout, (N, T, d): that is the gradient of the looked-up vectors; "
                        "the table's gradient has one row per token, (V, d), each row the sum over the places "
                        "its id was looked up"),
            ((d, V), "dW is transposed: it must have W's shape, (V, d)"),
            ((int(ids.max()) + 1, d), "dW has max(ids) + 1 rows; the table has V rows (cache.V), and the rows of "
                                      "tokens that were not looked up get zero")
            if ids.max() + 1 != V else ((-1,), "")])
        check_dtype(got, dtype, "dW", case, buffer="np.zeros((V, d)) without `dtype=` is float64",
                    like="dout")
        overwrite = np.zeros((V, d), dtype=np.float64)
        overwrite[ids] = dout  # the last look-up of each id wins
        counts = np.bincount(ids.ravel(), minlength=V)
        mean = want / np.maximum(counts, 1)[:, None]
        _faults(got, want, [
            ("a repeated id keeps only one of its gradients: `dW[ids] += dout` (or `= dout`) writes each row once, "
             "so the last look-up of a token overwrites the others. Every look-up adds its gradient to the row: "
             "`np.add.at(dW, ids, dout)` (or a loop that adds one look-up at a time)", overwrite),
            ("the gradients of a repeated id are averaged; they add up: a token looked up three times gets the sum "
             "of its three gradients", mean),
            ("dW has the wrong sign: the table's gradient is dout itself added into the rows, not minus it", -want),
            ("only the first sequence's look-ups are added: add every look-up of every sequence",
             embedding_backward(dout[:1], EmbeddingCache(ids[:1], V))),
            ("the rows are summed over the batch before the look-up: each position's gradient goes to its own "
             "id's row, dW[ids[n, t]] += dout[n, t]", _batch_first_sum(ids, dout, V)),
        ], "dW", case, dtype)
        if present.size < V and np.any(got[np.setdiff1d(np.arange(V), present)]):
            raise Fail("rows of tokens that were never looked up are not zero", case)
    return (f"embedding_backward matches the library's on {len(EMBED_CASES)} cases, repeated ids in each: every "
            f"look-up adds its gradient to its token's row.")


def _batch_first_sum(ids, dout, V):
    out = np.zeros((V, dout.shape[-1]))
    np.add.at(out, ids[0], dout.sum(axis=0))
    return out


# ---------------------------------------------------------------------------
# the last valid step


# (lengths, D, dtype). T is the longest length, so h[:, -1] is right for the longest rows only (for every
# row in the (3, 3, 3) case, where there is no padding).
STEP_CASES = [((4, 2, 5, 1), 3, np.float64), ((3, 3, 3), 4, np.float64), ((1,), 2, np.float64),
              ((2, 5, 1), 3, np.float32)]


def _step_data(lengths, D, dtype, seed):
    N, T = len(lengths), max(lengths)
    h = np.random.default_rng([seed, 44, N, T, D]).standard_normal((N, T, D)).astype(dtype)
    return h, np.array(lengths, dtype=np.int64), N, T


def check_last_step_forward(fn, seed=0):
    for lengths, D, dtype in STEP_CASES:
        h, L, N, T = _step_data(lengths, D, dtype, seed)
        case = f"case: N={N}, T={T}, D={D}, lengths {tuple(lengths)}, {np.dtype(dtype).name}"
        result, mutated = call(fn, h, L)
        _unchanged(mutated, "last_step_forward", case)
        got = as_array(_pair(result, "last_step_forward", "(out, cache)"), "out")
        want = h[np.arange(N), L - 1]
        _shape(got, want.shape, ("N", "D"), "out", case, named=[
            ((N, N, D), "out is (N, N, D): `h[:, lengths - 1]` picks every row's state at every length; pair row "
                        "n with its own length, `h[np.arange(N), lengths - 1]`"),
            ((N, T, D), "out is all of h, (N, T, D); pick one state per sequence, (N, D)")])
        check_dtype(got, dtype, "out", case)
        mean = np.stack([h[n, :L[n]].mean(axis=0) for n in range(N)])
        _faults(got, want, [
            ("out is h[:, -1], the state after the last step of the padded batch: a short sentence has read "
             "<pad> tokens by then. Take row n at its own last real step, lengths[n] - 1", h[:, -1]),
            ("off by one: row n is read at step lengths[n]; the last real step is lengths[n] - 1 (steps count "
             "from 0)", h[np.arange(N), np.minimum(L, T - 1)] if np.any(L < T) else None),
            ("off by one: row n is read at step lengths[n] - 2, one before its last real step",
             h[np.arange(N), np.maximum(L - 2, 0)]),
            ("out averages each sentence's real steps; the classifier reads the state after the last real one, "
             "which has read them all", mean),
            ("out is h[:, 0], the state after the first word", h[:, 0]),
        ], "out", case, dtype)
    return (f"last_step_forward matches the library's on {len(STEP_CASES)} cases (padding after short "
            f"sentences, N = 1, float32): out[n] = h[n, lengths[n] - 1].")


def check_last_step_backward(fn, seed=0):
    for lengths, D, dtype in STEP_CASES:
        h, L, N, T = _step_data(lengths, D, dtype, seed)
        case = f"case: N={N}, T={T}, D={D}, lengths {tuple(lengths)}, {np.dtype(dtype).name}"
        dout = np.random.default_rng([seed, 45, N, D]).standard_normal((N, D)).astype(dtype)
        cache = LastStepCache(L, (N, T, D))
        result, mutated = call(fn, dout, cache)
        _unchanged(mutated, "last_step_backward", case)
        got = as_array(result[0] if isinstance(result, tuple) and len(result) == 1 else result, "dh")
        want = last_step_backward(dout, cache)
        _shape(got, want.shape, ("N", "T", "D"), "dh", case, named=[
            ((N, D), "dh is (N, D); it is the gradient of all of h, (N, T, D): zeros, with dout written at each "
                     "sequence's last real step")])
        check_dtype(got, dtype, "dh", case, buffer="np.zeros((N, T, D)) without `dtype=` is float64",
                    like="dout")
        last = np.zeros((N, T, D))
        last[:, -1] = dout
        every = np.where((np.arange(T)[None, :] < L[:, None])[..., None], dout[:, None], 0.0)
        cross = np.zeros((N, T, D))
        cross[:, L - 1] = dout[:, None] if N > 1 else dout
        cross_rows = np.zeros((N, T, D))
        cross_rows[:, L - 1] = dout  # as numpy broadcasts it: row n gets dout[j] at step lengths[j] - 1
        pairing = ("`dh[:, lengths - 1] = dout` writes every row at every length; pair row n with its own length: "
                   "`dh[np.arange(N), lengths - 1] = dout`")
        _faults(got, want, [
            ("dout is written at the last padded step, dh[:, -1]; the forward pass read row n at lengths[n] - 1, "
             "so that is where its gradient goes", last),
            ("dout is written at every real step of each sentence; the forward pass read only the last one, so "
             "only dh[n, lengths[n] - 1] gets dout[n]", every),
            (pairing, cross if N > 1 and len(set(lengths)) > 1 else None),
            (pairing, cross_rows if N > 1 else None),
            ("off by one: dout lands one step after each sentence's last real step",
             _shifted(dout, L, N, T, D, +1)),
            ("off by one: dout lands one step before each sentence's last real step",
             _shifted(dout, L, N, T, D, -1)),
        ], "dh", case, dtype)
    return (f"last_step_backward matches the library's on {len(STEP_CASES)} cases: dout goes to each sentence's "
            f"last real step and nowhere else.")


def _shifted(dout, L, N, T, D, k):
    steps = L - 1 + k
    if np.any(steps >= T):
        return None
    steps = steps % T  # a length of 1 and k = -1 write at step -1, numpy's last step
    out = np.zeros((N, T, D))
    out[np.arange(N), steps] = dout
    return out


# ---------------------------------------------------------------------------
# linear


LINEAR_CASES = [(3, 4, 4, np.float64), (2, 5, 2, np.float64), (1, 3, 3, np.float64), (4, 6, 2, np.float32)]


def _linear_data(N, D, C, dtype, seed):
    rng = np.random.default_rng([seed, 46, N, D, C])
    return (rng.standard_normal((N, D)).astype(dtype), rng.standard_normal((C, D)).astype(dtype),
            rng.standard_normal(C).astype(dtype))


def check_linear_forward(fn, seed=0):
    for N, D, C, dtype in LINEAR_CASES:
        case = f"case: N={N}, D={D}, C={C}, {np.dtype(dtype).name}"
        x, W, b = _linear_data(N, D, C, dtype, seed)
        result, mutated = call(fn, x, W, b)
        _unchanged(mutated, "linear_forward", case)
        got = as_array(_pair(result, "linear_forward", "(y, cache)"), "y")
        want = x @ W.T + b
        _shape(got, want.shape, ("N", "C"), "y", case, named=[
            ((C, N), "y is (C, N), the note's W h for a column h; the book's rows are sentences, so "
                     "`x @ W.T + b`, (N, C)")])
        check_dtype(got, dtype, "y", case)
        _faults(got, want, [
            ("W is used untransposed: W is stored as (C, D) like PyTorch's nn.Linear, so the batch form is "
             "`x @ W.T + b`", x @ W + b if D == C else None),
            ("the bias b is missing", x @ W.T),
            ("the bias is subtracted; y = x @ W.T + b", x @ W.T - b),
            ("the bias is added twice", x @ W.T + 2 * b),
        ], "y", case, dtype)
    return f"linear_forward matches the library's on {len(LINEAR_CASES)} cases (N = 1, float32): y = x W^T + b."


_LINEAR_GRADS = ("dx", "dW", "db")


def check_linear_backward(fn, seed=0):
    for N, D, C, dtype in LINEAR_CASES:
        case = f"case: N={N}, D={D}, C={C}, {np.dtype(dtype).name}"
        x, W, _ = _linear_data(N, D, C, dtype, seed)
        dy = np.random.default_rng([seed, 47, N, C]).standard_normal((N, C)).astype(dtype)
        cache = LinearCache(x, W)
        result, mutated = call(fn, dy, cache)
        _unchanged(mutated, "linear_backward", case)
        if not isinstance(result, (tuple, list)) or len(result) != 3:
            raise Fail("linear_backward must return the three gradients (dx, dW, db)", case)
        got = dict(zip(_LINEAR_GRADS, (as_array(g, n) for n, g in zip(_LINEAR_GRADS, result))))
        want = dict(zip(_LINEAR_GRADS, linear_backward(dy, cache)))
        letters = {"dx": ("N", "D"), "dW": ("C", "D"), "db": ("C",)}
        for name in _LINEAR_GRADS:
            named = {"dW": [((D, C), "dW is transposed, (D, C): it has W's shape (C, D), `dy.T @ x`")],
                     "db": [((N, C), "db has one row per sentence: the bias is shared by all N, so its gradient "
                                     "sums over them, `dy.sum(axis=0)`")],
                     "dx": [((N, C), "dx has dy's shape; it is x's gradient, (N, D): `dy @ W`")]}[name]
            _shape(got[name], want[name].shape, letters[name], name, case, named)
        for name in _LINEAR_GRADS:
            check_dtype(got[name], dtype, name, case, like="dy")
        _faults(got["dx"], want["dx"], [
            ("dx uses W transposed: the forward pass has x @ W.T, so dx = dy @ W", dy @ W.T if D == C else None),
            ("dx has the wrong sign: dx = dy @ W", -want["dx"])], "dx", case, dtype)
        _faults(got["dW"], want["dW"], [
            ("dW is averaged over the batch: the loss's gradient already carries the mean, so dW sums over the "
             "sentences, `dy.T @ x`", want["dW"] / N if N > 1 else None),
            ("dW is transposed: it has W's orientation (C, D), `dy.T @ x`", want["dW"].T if D == C else None)],
            "dW", case, dtype)
        _faults(got["db"], want["db"], [
            ("db is averaged over the batch; it sums over the sentences, `dy.sum(axis=0)`",
             want["db"] / N if N > 1 else None),
            ("db has the wrong sign: db = dy.sum(axis=0)", -want["db"])], "db", case, dtype)
    return (f"linear_backward matches the library's on {len(LINEAR_CASES)} cases: dx = dy W, dW = dy^T x and "
            f"db sum over the batch.")


# ---------------------------------------------------------------------------
# adam_step


def _adam_params(seed, dtype=np.float64):
    rng = np.random.default_rng([seed, 48])
    return ({"W": rng.standard_normal((3, 2)).astype(dtype), "b": rng.standard_normal(3).astype(dtype)},
            # b's gradients are tiny, as an embedding row's often are: there eps inside or outside the root differs
            [{"W": rng.standard_normal((3, 2)).astype(dtype), "b": 1e-4 * rng.standard_normal(3).astype(dtype)}
             for _ in range(4)])


def _adam_variant(params, grads_seq, lr, betas=ref.BETAS, correct=True, keep=True, eps_inside=False, sign=1.0,
                  t_from=1):
    b1, b2 = betas
    p = {k: v.astype(np.float64) for k, v in params.items()}
    m = {k: 0.0 for k in p}
    v = {k: 0.0 for k in p}
    out = []
    for i, g in enumerate(grads_seq):
        t = i + t_from if keep else t_from
        if not keep:
            m, v = {k: 0.0 for k in p}, {k: 0.0 for k in p}
        for k in p:
            m[k] = b1 * m[k] + (1 - b1) * g[k]
            v[k] = b2 * v[k] + (1 - b2) * g[k] ** 2
            mh = m[k] / (1 - b1 ** t) if correct else m[k]
            vh = v[k] / (1 - b2 ** t) if correct else v[k]
            with np.errstate(all="ignore"):
                step = mh / np.sqrt(vh + ref.EPS) if eps_inside else mh / (np.sqrt(vh) + ref.EPS)
            p[k] = p[k] - sign * lr * step
        out.append({k: a.copy() for k, a in p.items()})
    return out


def check_adam_step(fn, seed=0):
    lr = 0.01
    params, grads_seq = _adam_params(seed)
    want = _adam_variant(params, grads_seq, lr)
    faults = [
        ("there is no bias correction: divide m by (1 - beta1**t) and v by (1 - beta2**t), with t the number of "
         "steps taken so far, 1 at the first", _adam_variant(params, grads_seq, lr, correct=False)),
        ("the moments start again at every step: keep m, v and t in `state` (the caller passes the same dict "
         "every time) and update them", _adam_variant(params, grads_seq, lr, keep=False)),
        ("beta1 and beta2 are swapped: m uses 0.9, v uses 0.999", _adam_variant(params, grads_seq, lr,
                                                                                betas=ref.BETAS[::-1])),
        ("eps is inside the square root: p -= lr * m_hat / (np.sqrt(v_hat) + eps)",
         _adam_variant(params, grads_seq, lr, eps_inside=True)),
        ("the update goes uphill: subtract lr * m_hat / (sqrt(v_hat) + eps)",
         _adam_variant(params, grads_seq, lr, sign=-1.0)),
        ("the step count t is one ahead: t is 1 at the first step (state starts empty)",
         _adam_variant(params, grads_seq, lr, t_from=2)),
    ]
    p = {k: v.copy() for k, v in params.items()}
    state = {}
    for i, g in enumerate(grads_seq):
        case = f"case: step {i + 1} of {len(grads_seq)}, params W (3, 2) and b (3,), lr = {lr}, one `state` dict"
        g_copy = {k: v.copy() for k, v in g.items()}
        before = {k: v.copy() for k, v in p.items()}
        result = guarded(fn, p, g_copy, state, lr)
        if any(not np.array_equal(g_copy[k], g[k]) for k in g):
            raise Fail("adam_step changed the gradients; it updates params and leaves grads as they are", case)
        if isinstance(result, dict) and result is not p and all(np.array_equal(p[k], before[k]) for k in p):
            raise Fail("adam_step returned new parameters and left `params` unchanged: update params in place "
                       "(`p -= ...`, or `params[k] = ...`), as the training loop reads them from the same dict",
                       case)
        if all(np.array_equal(p[k], before[k]) for k in p):
            raise Fail("params did not change: `p = p - ...` makes a new array and leaves the dict's as it was; "
                       "write `p -= ...` (in place) or `params[k] = ...`", case)
        for k in p:
            got = as_array(p[k], f"params[{k!r}]")
            if got.shape != want[i][k].shape:
                raise Fail(f"params[{k!r}] changed shape from {before[k].shape} to {got.shape}", case)
            if not close(got, want[i][k], np.float64):
                for message, variant in faults:
                    if close(got, variant[i][k], np.float64):
                        raise Fail(message, case)
                raise Fail(f"params[{k!r}] has the wrong values after step {i + 1}",
                           worst_mismatch(got, want[i][k]), case)
    return ("adam_step matches torch.optim.Adam's arithmetic over 4 steps: moments kept in state, bias-corrected "
            "with t = 1, 2, ..., and eps outside the square root.")


# ---------------------------------------------------------------------------
# Which pieces are written: used by model_loss and train_model


def _calls(fn, names, seen=None):
    """The names in ``names`` that fn calls by global name, following model_loss into its own calls."""
    seen = set() if seen is None else seen
    loaded = loaded_globals(fn)
    if loaded is None:
        return []
    found = []
    for name in sorted(loaded[0] & set(names)):
        if name in seen:
            continue
        seen.add(name)
        found.append(name)
        obj = loaded[1](name)
        if name == "model_loss" and callable(obj):
            found += _calls(obj, names, seen)
    return found


def unready_pieces(fn, run_checks=True):
    """[sentence] for every piece fn calls (by global name) that is missing, a stub or fails its check."""
    from . import EXERCISES, check  # the registry imports this module

    names = [*ref.PIECES, "model_loss"]  # the page's order: the first problem named is the exercise to do first
    problems = []
    loaded = loaded_globals(fn)
    for name in sorted(_calls(fn, names), key=names.index):
        obj = loaded[1](name)
        ex = EXERCISES[name]
        where = (f"“{ex.title}” (chapter “{ex.chapter}”; paste your answer from there into its cell on this page, "
                 f"or write it there)" if ex.chapter != CHAPTER else f"“{ex.title}” on this page")
        if obj is None:
            problems.append(f"{name} is not defined: run the cell of the exercise {where}")
        elif not callable(obj):
            problems.append(f"{name} is not a function")
        elif is_stub(obj):
            problems.append(f"{name} is still the stub: write the exercise {where} first")
        elif run_checks and not check(name, obj).passed:
            problems.append(f"{name} does not pass its own check yet: run `check({name!r}, {name})` and fix what "
                            f"it names")
    return problems


def _require_pieces(fn, who):
    problems = unready_pieces(fn)
    if problems:
        raise Fail(f"your {who} calls pieces that are not ready, so it cannot be checked yet: "
                   + "; ".join(problems))


CHAPTER = "Your own model, trained"


# ---------------------------------------------------------------------------
# model_loss: the whole model, gradient-checked


def _model_case(seed):
    V, d, D, C = 7, 3, 4, 3
    lengths = np.array([5, 2, 3, 1], dtype=np.int64)
    N, T = len(lengths), int(lengths.max())
    rng = np.random.default_rng([seed, 49])
    ids = rng.integers(2, V, size=(N, T))
    ids[0, 1] = ids[0, 3] = ids[2, 0]  # repeated ids
    ids[np.arange(T)[None, :] >= lengths[:, None]] = 0  # <pad>
    labels = rng.integers(0, C, size=N)
    params = ref.init_params(V, d, D, C, seed=seed + 1)
    params["E"] *= 0.5
    return params, ids, lengths, labels


MODEL_CASE_TEXT = "case: V=7, d=3, D=4, C=3, N=4 sentences of lengths (5, 2, 3, 1) padded to T=5, float64"


def check_model_loss(fn, seed=0):
    _require_pieces(fn, "model_loss")
    params, ids, lengths, labels = _model_case(seed)
    case = MODEL_CASE_TEXT
    result, mutated = call(fn, params, ids, lengths, labels)
    if mutated:
        raise Fail(f"model_loss changed its input `{mutated}`; computing the loss must leave the parameters as "
                   f"they are (the optimiser changes them)", case)
    if not isinstance(result, (tuple, list)) or len(result) != 2 or not isinstance(result[1], dict):
        raise Fail("model_loss must return (loss, grads) with grads a dict keyed like params "
                   f"({', '.join(ref.PARAM_NAMES)})", case)
    loss, grads = result
    try:
        loss = float(np.asarray(loss, dtype=np.float64).reshape(()))
    except (TypeError, ValueError):
        raise Fail("the loss must be one number", case) from None
    want_loss, want_grads = ref.model_loss(params, ids, lengths, labels)
    if not close(loss, want_loss, np.float64):
        every, _ = ref.model_loss(params, ids, lengths, labels, pieces={
            "last_step_forward": lambda h, L: last_step_forward(h, None),
            "last_step_backward": last_step_backward})
        if close(loss, every, np.float64):
            raise Fail("the loss reads every sentence at step T (h[:, -1]), after the padding: pass lengths to "
                       "last_step_forward", case)
        raise Fail(f"the loss is {loss:.6g}; the reference's is {want_loss:.6g}: check the order of the pieces "
                   f"(embedding, rnn_forward with h0 = None, last real step, linear, cross-entropy with one "
                   f"position per sentence)", case)
    missing = [k for k in ref.PARAM_NAMES if k not in grads]
    if missing:
        raise Fail(f"grads has no entry for {', '.join(missing)}: return a gradient for every parameter", case)
    for k in ref.PARAM_NAMES:
        g = as_array(grads[k], f"grads[{k!r}]")
        if g.shape != params[k].shape:
            raise Fail(f"grads[{k!r}] has shape {g.shape}; it must have the shape of params[{k!r}], "
                       f"{params[k].shape}", case)

    def f(**p):
        return guarded(fn, p, ids, lengths, labels)[0]

    report = check_gradients(f, {k: v.copy() for k, v in params.items()},
                             {k: np.asarray(grads[k], dtype=np.float64) for k in ref.PARAM_NAMES})
    bad = [k for k in ref.PARAM_NAMES if report.errors[k] > 1e-6]
    if bad:
        k = max(bad, key=lambda name: report.errors[name])
        hint = ""
        if not np.any(grads[k]) and np.any(want_grads[k]):
            hint = f": it is all zeros — is the gradient passed on to the piece that owns {k}?"
        raise Fail(f"the gradient check fails for {', '.join(bad)}: grads[{k!r}] differs from the finite "
                   f"differences of your own loss (relative error {report.errors[k]:.2g}){hint}",
                   str(report).splitlines()[-1], case)
    return (f"model_loss passes the gradient check on your own code: every parameter's gradient agrees with "
            f"central differences of your loss (largest relative error {max(report.errors.values()):.1e}), "
            f"and the loss is the reference's.")


# ---------------------------------------------------------------------------
# train_model: the learner's training, compared with the reference's


def steps_per_run():
    train, _, _, _ = ref.load_data()
    return ref.SETTINGS["epochs"] * math.ceil(len(train.labels) / ref.SETTINGS["batch_size"])


#: The whole training run may take this many times the limit of one call (_run.TIME_LIMIT, 10 s by default,
#: so 60 s): with the learner's loops it takes a few seconds.
TRAIN_TIME_FACTOR = 6


def train_learner(fn):
    """Run the learner's train_model from fresh_params() on the training split; returns (losses, params)."""
    train, _, _, _ = ref.load_data()
    params = ref.fresh_params()
    limit = _run.TIME_LIMIT
    _run.TIME_LIMIT = limit * TRAIN_TIME_FACTOR
    try:
        losses = guarded(fn, params, train)
    finally:
        _run.TIME_LIMIT = limit
    return losses, params


def check_train_model(fn, seed=0):
    _require_pieces(fn, "train_model")
    losses, params = train_learner(fn)
    return verdict(losses, params)


def verdict(losses, params):
    """The train_model check's message for a finished run; raises Fail when it differs from the reference."""
    reference = ref.reference_run()
    _, test, _, _ = ref.load_data()
    n = steps_per_run()
    if losses is None:
        raise Fail("train_model returned None: return the list of every step's loss")
    try:
        losses = [float(v) for v in losses]
    except (TypeError, ValueError):
        raise Fail("train_model must return a list of numbers, the loss of every step") from None
    s = ref.SETTINGS
    if len(losses) != n:
        raise Fail(f"train_model returned {len(losses)} losses; {s['epochs']} epochs of batches of "
                   f"{s['batch_size']} over the {len(ref.load_data()[0].labels)} training sentences are {n} steps, "
                   f"one loss per step" + (" (one per epoch is the mean; keep every step's)"
                                           if len(losses) == s['epochs'] else ""))
    want = np.asarray(reference.losses)
    got = np.asarray(losses)
    differs = np.flatnonzero(~np.isclose(got, want, rtol=LOSS_RTOL, atol=0))
    accuracy = ref.accuracy(params, test)
    gap = abs(accuracy - reference.test_accuracy)
    detail = (f"your test accuracy {accuracy:.3f}, the reference's {reference.test_accuracy:.3f} "
              f"(tolerance ±{ACCURACY_TOLERANCE})")
    if differs.size:
        k = int(differs[0])
        if k == 0:
            why = ("the first batch's loss already differs, so the batches are not the reference's: draw them "
                   "with `batches(len(data.labels), batch_size, rng)` and `rng = np.random.default_rng(seed)`, "
                   "made once before the epochs")
        else:
            why = (f"the first {k} losses agree and step {k + 1} differs, so an update is not the reference's: "
                   "clip every gradient with max_norm, then take one adam_step with lr and the same `state` dict, "
                   "made once before the loop")
        raise Fail(f"your training is not the reference's: {why}", f"step {k + 1}: your loss {got[k]:.6g}, the "
                   f"reference's {want[k]:.6g}", detail)
    if gap > ACCURACY_TOLERANCE:
        raise Fail("the losses agree with the reference's but the trained parameters do not predict the same: "
                   "does train_model update the params dict it was given?", detail)
    return (f"your own model, trained: {len(losses)} steps with the reference's losses (to {LOSS_RTOL:g}), and "
            f"{detail}.")


def train_your_model(train_model):
    """Train the learner's train_model when it and every piece it calls are ready; draw and print the run.

    Prints which piece to write first otherwise, and returns None; when ready, returns the capstone Run of
    the learner's training (losses, params, test accuracy, seconds) and draws the learner's loss curve with
    the reference's, thin and dashed over it, by ``rnn_course.plots.training.loss_curves``.
    """
    import time

    from ..plots.training import loss_curves

    if train_model is None or train_model is Ellipsis or (callable(train_model) and is_stub(train_model)):
        print("Your model cannot train yet: write train_model first (the last exercise), and the pieces it "
              "calls; each exercise's check says when it is right.")
        return None
    problems = unready_pieces(train_model)
    if problems:
        print("Your model cannot train yet: " + "; ".join(problems) + ".")
        return None
    start = time.perf_counter()
    try:
        losses, params = train_learner(train_model)
        message = verdict(losses, params)
    except Fail as fail:
        print("Your training did not finish as the reference's did: " + fail.message)
        for line in fail.details:
            print("  - " + line)
        return None
    _, test, _, _ = ref.load_data()
    run = ref.Run([float(v) for v in losses], params, ref.accuracy(params, test), time.perf_counter() - start)
    print(f"Trained in {run.seconds:.1f} s: " + message)
    from IPython.display import display  # noqa: PLC0415 (only in a notebook)

    fig = loss_curves({"your model": run.history(), "the book's reference run": ref.reference_run().history()},
                      baseline=("a coin toss, ln 2", math.log(2)), title="Your own model, trained")
    # The two curves agree, so the reference's is drawn thin and dashed over yours: both stay visible.
    ax = fig.axes[0]
    ax.lines[1].set(linestyle="--", linewidth=1.2)
    ax.legend(frameon=False, fontsize=8.5)
    display(fig)
    return run
