"""The checkers of "Your own model, trained" (rnn_course.exercises.capstone_exercises): wrong answers fail
with the message that names their fault, right ones in other styles pass, and the assembling checks say
which earlier piece is missing or broken."""

import linecache
import sys
from pathlib import Path

import numpy as np
import pytest

from checking import assert_fails, assert_passes
from rnn_course import capstone
from rnn_course.exercises import EXERCISES, check, hint

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from exercise_cells import find_exercises, read_notebook  # noqa: E402

PAGE = ROOT / "book/architectures/05c_your_own_model.ipynb"
NEW = ("embedding_forward", "embedding_backward", "last_step_forward", "last_step_backward", "linear_forward",
       "linear_backward", "adam_step", "model_loss", "train_model")


def test_every_new_exercise_is_registered_with_three_hints():
    for name in NEW:
        assert EXERCISES[name].chapter == "Your own model, trained"
        assert all(hint(name, level).text for level in (1, 2, 3))


# ------------------------------------------------------------------ embedding_forward

def emb_index(ids, W):
    return W[ids], (ids, W.shape[0])


def emb_onehot(ids, W):
    return np.eye(W.shape[0], dtype=W.dtype)[ids] @ W, None


def emb_take(ids, W):
    return np.take(W, ids, axis=0), {"ids": ids}


@pytest.mark.parametrize("fn", [emb_index, emb_onehot, emb_take])
def test_embedding_forward_passes_other_styles(fn):
    assert_passes(check("embedding_forward", fn))


@pytest.mark.parametrize("fn, words", [
    (lambda ids, W: (W[ids - 1], None), "off by one"),
    (lambda ids, W: (W[ids].reshape(-1, W.shape[1]), None), "out is flat"),
    (lambda ids, W: (np.moveaxis(W[ids], -1, 0), None), "look up rows"),
    (lambda ids, W: (np.broadcast_to(W[ids[0]], ids.shape + W.shape[1:]).copy(), None), "first sequence"),
    (lambda ids, W: W[ids], "must return the pair"),
    (lambda ids, W: (W[ids].astype(np.float64), None), "float64"),
])
def test_embedding_forward_names_the_mistake(fn, words):
    assert_fails(check("embedding_forward", fn), words)


# ------------------------------------------------------------------ embedding_backward

def embb_add_at(dout, cache):
    ids, V = cache
    dW = np.zeros((V, dout.shape[-1]), dtype=dout.dtype)
    np.add.at(dW, ids, dout)
    return dW


def embb_loop(dout, cache):
    ids, V = cache
    dW = np.zeros((V, dout.shape[-1]), dtype=dout.dtype)
    for n in range(ids.shape[0]):
        for t in range(ids.shape[1]):
            dW[ids[n, t]] += dout[n, t]
    return dW


def embb_onehot(dout, cache):
    ids, V = cache
    onehot = np.eye(V, dtype=dout.dtype)[ids.reshape(-1)]                   # (N*T, V)
    return onehot.T @ dout.reshape(-1, dout.shape[-1])


def embb_bincount(dout, cache):
    ids, V = cache
    flat = dout.reshape(-1, dout.shape[-1])
    return np.stack([np.bincount(ids.ravel(), weights=flat[:, j], minlength=V) for j in range(flat.shape[1])],
                    axis=1).astype(dout.dtype)


@pytest.mark.parametrize("fn", [embb_add_at, embb_loop, embb_onehot, embb_bincount])
def test_embedding_backward_passes_other_styles(fn):
    assert_passes(check("embedding_backward", fn))


def embb_overwrite(dout, cache):
    ids, V = cache
    dW = np.zeros((V, dout.shape[-1]), dtype=dout.dtype)
    dW[ids] += dout
    return dW


def embb_assign(dout, cache):
    ids, V = cache
    dW = np.zeros((V, dout.shape[-1]), dtype=dout.dtype)
    dW[ids] = dout
    return dW


def embb_mean(dout, cache):
    ids, V = cache
    counts = np.bincount(ids.ravel(), minlength=V)
    return (embb_add_at(dout, cache) / np.maximum(counts, 1)[:, None]).astype(dout.dtype)


def embb_shape_of_dout(dout, cache):
    return dout


def embb_transposed(dout, cache):
    return embb_add_at(dout, cache).T


def embb_float64(dout, cache):
    ids, V = cache
    dW = np.zeros((V, dout.shape[-1]))
    np.add.at(dW, ids, dout)
    return dW


def embb_sign(dout, cache):
    return -embb_add_at(dout, cache)


@pytest.mark.parametrize("fn, words", [
    (embb_overwrite, "a repeated id keeps only one of its gradients"),
    (embb_assign, "np.add.at"),
    (embb_mean, "averaged"),
    (embb_shape_of_dout, "the table's gradient has one row per token"),
    (embb_transposed, "dW is transposed"),
    (embb_float64, "float64"),
    (embb_sign, "wrong sign"),
])
def test_embedding_backward_names_the_mistake(fn, words):
    assert_fails(check("embedding_backward", fn), words)


# ------------------------------------------------------------------ last_step_forward / backward

def last_fancy(h, lengths):
    return h[np.arange(h.shape[0]), lengths - 1], (lengths, h.shape)


def last_loop(h, lengths):
    return np.stack([h[n, lengths[n] - 1] for n in range(h.shape[0])]), (lengths, h.shape)


def last_take(h, lengths):
    return np.take_along_axis(h, (lengths - 1)[:, None, None], axis=1)[:, 0], None


@pytest.mark.parametrize("fn", [last_fancy, last_loop, last_take])
def test_last_step_forward_passes_other_styles(fn):
    assert_passes(check("last_step_forward", fn))


@pytest.mark.parametrize("fn, words", [
    (lambda h, L: (h[:, -1], None), "after the last step of the padded batch"),
    (lambda h, L: (h[np.arange(len(L)), np.minimum(L, h.shape[1] - 1)], None), "off by one"),
    (lambda h, L: (h[:, L - 1], None), "pair row n with its own length"),
    (lambda h, L: (np.stack([h[n, :L[n]].mean(0) for n in range(len(L))]), None), "averages"),
    (lambda h, L: (h[:, 0], None), "first word"),
    (lambda h, L: h[np.arange(len(L)), L - 1], "must return the pair"),
])
def test_last_step_forward_names_the_mistake(fn, words):
    assert_fails(check("last_step_forward", fn), words)


def lastb_fancy(dout, cache):
    lengths, shape = cache
    dh = np.zeros(shape, dtype=dout.dtype)
    dh[np.arange(len(lengths)), lengths - 1] = dout
    return dh


def lastb_mask(dout, cache):
    lengths, (N, T, D) = cache
    at_last = np.arange(T)[None, :] == (lengths - 1)[:, None]                 # (N, T)
    return (at_last[..., None] * dout[:, None, :]).astype(dout.dtype)


@pytest.mark.parametrize("fn", [lastb_fancy, lastb_mask])
def test_last_step_backward_passes_other_styles(fn):
    assert_passes(check("last_step_backward", fn))


def lastb_at_end(dout, cache):
    dh = np.zeros(cache[1], dtype=dout.dtype)
    dh[:, -1] = dout
    return dh


def lastb_every(dout, cache):
    lengths, (N, T, D) = cache
    real = np.arange(T)[None, :] < lengths[:, None]
    return (real[..., None] * dout[:, None, :]).astype(dout.dtype)


def lastb_cross(dout, cache):
    lengths, shape = cache
    dh = np.zeros(shape, dtype=dout.dtype)
    dh[:, lengths - 1] = dout[:, None]
    return dh


def lastb_cross_plain(dout, cache):
    lengths, shape = cache
    dh = np.zeros(shape, dtype=dout.dtype)
    dh[:, lengths - 1] = dout                                 # numpy broadcasts dout over the rows
    return dh


def lastb_shape(dout, cache):
    return dout


def lastb_before(dout, cache):
    lengths, shape = cache
    dh = np.zeros(shape, dtype=dout.dtype)
    dh[np.arange(len(lengths)), lengths - 2] = dout
    return dh


def lastb_float64(dout, cache):
    lengths, shape = cache
    dh = np.zeros(shape)
    dh[np.arange(len(lengths)), lengths - 1] = dout
    return dh


@pytest.mark.parametrize("fn, words", [
    (lastb_at_end, "last padded step"),
    (lastb_every, "every real step"),
    (lastb_cross, "pair row n with its own length"),
    (lastb_cross_plain, "pair row n with its own length"),
    (lastb_shape, "it is the gradient of all of h"),
    (lastb_before, "one step before"),
    (lastb_float64, "float64"),
])
def test_last_step_backward_names_the_mistake(fn, words):
    assert_fails(check("last_step_backward", fn), words)


# ------------------------------------------------------------------ linear_forward / backward

@pytest.mark.parametrize("fn", [
    lambda x, W, b: (x @ W.T + b, (x, W)),
    lambda x, W, b: (np.einsum("nd,cd->nc", x, W) + b, None),
    lambda x, W, b: ((W @ x.T).T + b[None, :], None),
])
def test_linear_forward_passes_other_styles(fn):
    assert_passes(check("linear_forward", fn))


@pytest.mark.parametrize("fn, words", [
    (lambda x, W, b: (x @ W + b, None), "untransposed"),
    (lambda x, W, b: (x @ W.T, None), "bias b is missing"),
    (lambda x, W, b: (x @ W.T - b, None), "subtracted"),
    (lambda x, W, b: (x @ W.T + 2 * b, None), "added twice"),
    (lambda x, W, b: (W @ x.T + b[:, None], None), "(C, N)"),
    (lambda x, W, b: x @ W.T + b, "must return the pair"),
])
def test_linear_forward_names_the_mistake(fn, words):
    assert_fails(check("linear_forward", fn), words)


def linb(dy, cache):
    x, W = cache
    return dy @ W, dy.T @ x, dy.sum(axis=0)


def linb_einsum(dy, cache):
    x, W = cache.x, cache.W
    return np.einsum("nc,cd->nd", dy, W), np.einsum("nc,nd->cd", dy, x), np.einsum("nc->c", dy)


@pytest.mark.parametrize("fn", [linb, linb_einsum])
def test_linear_backward_passes_other_styles(fn):
    assert_passes(check("linear_backward", fn))


@pytest.mark.parametrize("fn, words", [
    (lambda dy, c: (dy @ c[1].T, dy.T @ c[0], dy.sum(0)), "dx uses W transposed"),
    (lambda dy, c: (dy @ c[1], c[0].T @ dy, dy.sum(0)), "dW is transposed"),
    (lambda dy, c: (dy @ c[1], dy.T @ c[0] / len(dy), dy.sum(0)), "dW is averaged"),
    (lambda dy, c: (dy @ c[1], dy.T @ c[0], dy.mean(0)), "db is averaged"),
    (lambda dy, c: (dy @ c[1], dy.T @ c[0], dy), "db has one row per sentence"),
    (lambda dy, c: (-(dy @ c[1]), dy.T @ c[0], dy.sum(0)), "dx has the wrong sign"),
    (lambda dy, c: (dy @ c[1], dy.T @ c[0]), "three gradients"),
])
def test_linear_backward_names_the_mistake(fn, words):
    assert_fails(check("linear_backward", fn), words)


# ------------------------------------------------------------------ adam_step

def adam_dicts(params, grads, state, lr, b1=0.9, b2=0.999, eps=1e-8):
    state["t"] = t = state.get("t", 0) + 1
    for k in params:
        m, v = state.get(k, (0.0, 0.0))
        m = b1 * m + (1 - b1) * grads[k]
        v = b2 * v + (1 - b2) * grads[k] ** 2
        state[k] = (m, v)
        params[k] = params[k] - lr * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps)


def adam_inplace(params, grads, state, lr):
    t = state["t"] = state.get("t", 0) + 1
    for k, p in params.items():
        if k not in state:
            state[k] = [np.zeros_like(p), np.zeros_like(p)]
        m, v = state[k]
        m *= 0.9
        m += 0.1 * grads[k]
        v *= 0.999
        v += 0.001 * grads[k] ** 2
        p -= lr * (m / (1 - 0.9 ** t)) / (np.sqrt(v / (1 - 0.999 ** t)) + 1e-8)


@pytest.mark.parametrize("fn", [adam_dicts, adam_inplace, capstone.adam_step])
def test_adam_step_passes_other_styles(fn):
    assert_passes(check("adam_step", fn))


def adam_no_correction(params, grads, state, lr):
    for k, p in params.items():
        m, v = state.get(k, (0.0, 0.0))
        m, v = 0.9 * m + 0.1 * grads[k], 0.999 * v + 0.001 * grads[k] ** 2
        state[k] = (m, v)
        p -= lr * m / (np.sqrt(v) + 1e-8)


def adam_forgets(params, grads, state, lr):
    adam_dicts(params, grads, {}, lr)


def adam_swapped(params, grads, state, lr):
    adam_dicts(params, grads, state, lr, b1=0.999, b2=0.9)


def adam_uphill(params, grads, state, lr):
    adam_dicts(params, grads, state, -lr)


def adam_eps_inside(params, grads, state, lr):
    state["t"] = t = state.get("t", 0) + 1
    for k, p in params.items():
        m, v = state.get(k, (0.0, 0.0))
        m, v = 0.9 * m + 0.1 * grads[k], 0.999 * v + 0.001 * grads[k] ** 2
        state[k] = (m, v)
        p -= lr * (m / (1 - 0.9 ** t)) / np.sqrt(v / (1 - 0.999 ** t) + 1e-8)


def adam_rebinds(params, grads, state, lr):
    for k, p in params.items():
        p = p - lr * grads[k]  # noqa: F841


def adam_returns_new(params, grads, state, lr):
    new = {k: p.copy() for k, p in params.items()}
    adam_dicts(new, grads, state, lr)
    return new


@pytest.mark.parametrize("fn, words", [
    (adam_no_correction, "no bias correction"),
    (adam_forgets, "start again at every step"),
    (adam_swapped, "swapped"),
    (adam_uphill, "uphill"),
    (adam_eps_inside, "eps is inside the square root"),
    (adam_rebinds, "params did not change"),
    (adam_returns_new, "returned new parameters"),
])
def test_adam_step_names_the_mistake(fn, words):
    assert_fails(check("adam_step", fn), words)


# ------------------------------------------------------------------ model_loss and train_model, on the page's own cells

NB = read_notebook(PAGE)
FOUND = {ex.name: ex for ex in find_exercises(NB)}


def notebook(*replace, skip=()):
    """A namespace like the page's after its imports and every solution, in order; replace: (name, source)
    pairs run instead of that exercise's solution; skip: exercises left as their stub."""
    ns = {"__name__": "__main__"}
    exec("import numpy as np\nfrom rnn_course.exercises import check, hint\nfrom rnn_course.train import batches", ns)
    swaps = dict(replace)
    for ex in find_exercises(NB):
        src = NB["cells"][ex.stub]["source"] if ex.name in skip else swaps.get(ex.name, ex.solution_code)
        filename = f"<capstone {ex.label}>"
        linecache.cache[filename] = (len(src), None, src.splitlines(True), filename)
        exec(compile(src, filename, "exec"), ns)
    return ns


def test_the_page_holds_the_new_exercises_and_the_earlier_ones():
    assert set(NEW) | {"rnn_forward", "rnn_backward", "masked_softmax_cross_entropy", "clip_grad_norm"} \
        == set(FOUND)


def test_model_loss_names_the_earlier_exercise_that_is_still_a_stub():
    ns = notebook(skip=("rnn_backward",))
    result = check("model_loss", ns["model_loss"])
    assert_fails(result, "rnn_backward is still the stub", "Backpropagation through time", "The math of an RNN")


def test_model_loss_names_a_piece_that_fails_its_own_check():
    ns = notebook(("embedding_backward", FOUND["embedding_backward"].solution_code.replace(
        "np.add.at(dW, ids, dout)", "dW[ids] += dout")))
    assert_fails(check("model_loss", ns["model_loss"]), "embedding_backward does not pass its own check")


def test_model_loss_reading_after_the_padding_fails():
    src = FOUND["model_loss"].solution_code.replace("last_step_forward(h, lengths)",
                                                    "last_step_forward(h, np.full(len(lengths), h.shape[1]))")
    assert_fails(check("model_loss", notebook(("model_loss", src))["model_loss"]), "after the padding")


def test_model_loss_gradient_check_names_the_parameter():
    src = FOUND["model_loss"].solution_code.replace('"Wh": dWh', '"Wh": 2 * dWh')
    assert_fails(check("model_loss", notebook(("model_loss", src))["model_loss"]), "gradient check fails for Wh")


def test_model_loss_without_a_gradient_names_it():
    src = FOUND["model_loss"].solution_code.replace(', "by": dby}', "}")
    assert_fails(check("model_loss", notebook(("model_loss", src))["model_loss"]), "no entry for by")


def test_rnn_forward_without_the_cache_fails_in_model_loss():
    # Chapter 3's answer may return no cache; here rnn_backward needs it, and model_loss says so by failing.
    src = FOUND["rnn_forward"].solution_code.replace("RNNCache(x, hs, Wx, Wh, nonlinearity)", "None")
    ns = notebook(("rnn_forward", src))
    assert check("rnn_forward", ns["rnn_forward"]).passed
    assert_fails(check("model_loss", ns["model_loss"]), "your function raised an exception")


def test_train_model_names_the_missing_piece_for_a_learner_who_skipped_ahead():
    ns = notebook(skip=("clip_grad_norm",))
    assert_fails(check("train_model", ns["train_model"]), "clip_grad_norm is still the stub",
                 "Training RNNs: vanishing and exploding gradients")


def test_train_model_with_a_broken_piece_fails_naming_it():
    ns = notebook(("adam_step", FOUND["adam_step"].solution_code.replace("(np.sqrt(v_hat) + eps)",
                                                                         "np.sqrt(v_hat + eps)")))
    assert_fails(check("train_model", ns["train_model"]), "adam_step does not pass its own check")


@pytest.mark.parametrize("change, words", [
    (("rng = np.random.default_rng(seed)", "rng = np.random.default_rng(seed + 1)"), "the first batch's loss"),
    (("adam_step(params, grads, state, lr)", "adam_step(params, grads, {}, lr)"), "an update is not"),
    (("return losses", "return losses[::76]"), "one per epoch is the mean"),
    (("return losses", "pass"), "returned None"),
    (("clip_grad_norm(list(grads.values()), max_norm)", "clip_grad_norm(list(grads.values()), 0.5)"),
     "an update is not"),
])
def test_train_model_names_the_fault(change, words):
    src = FOUND["train_model"].solution_code.replace(*change)
    assert src != FOUND["train_model"].solution_code
    assert_fails(check("train_model", notebook(("train_model", src))["train_model"]), words)


def test_the_books_solutions_train_to_the_reference_accuracy():
    from rnn_course.exercises.capstone_exercises import ACCURACY_TOLERANCE, train_learner

    ns = notebook()
    losses, params = train_learner(ns["train_model"])
    reference = capstone.reference_run()
    accuracy = capstone.accuracy(params, capstone.load_data()[1])
    assert abs(accuracy - reference.test_accuracy) <= ACCURACY_TOLERANCE
    assert np.allclose(losses, reference.losses, rtol=1e-6, atol=0)
    assert reference.test_accuracy > 0.6  # well above the commoner class (0.507 of the test sentences)
