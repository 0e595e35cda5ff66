"""Bad input gets one sentence naming the argument, the expected shape in the
book's letters and the actual shape: one test per validation error of the
vanilla RNN's functions and of the module base shared by RNN, LSTM and GRU."""

import re

import numpy as np
import pytest

import rnn_course as rc
from rnn_course.gradcheck import numerical_gradient, rel_error

N, T, d, D = 2, 3, 5, 4


@pytest.fixture
def args():
    rng = np.random.default_rng(0)
    return dict(x=rng.standard_normal((N, T, d)), h0=rng.standard_normal((N, D)),
                Wx=rng.standard_normal((D, d)), Wh=rng.standard_normal((D, D)), b=rng.standard_normal(D))


def raises(exc, text):
    return pytest.raises(exc, match="^" + re.escape(text))


def test_x_without_batch_axis(args):
    args["x"] = np.zeros((5, 3))
    with raises(ValueError, "rnn_forward: x has shape (5, 3); expected (N, T, d) — a batch of sequences "
                            "(for one sequence use x[None])"):
        rc.rnn_forward(**args)


def test_h0_wrong_hidden_size(args):
    args["h0"] = np.zeros((2, 5))
    with raises(ValueError, "rnn_forward: h0 has shape (2, 5); expected (N, D) = (2, 4)"):
        rc.rnn_forward(**args)


def test_h0_wrong_batch(args):
    args["h0"] = np.zeros((3, 4))
    with raises(ValueError, "rnn_forward: h0 has shape (3, 4); expected (N, D) = (2, 4), "
                            "because x has shape (2, 3, 5)"):
        rc.rnn_forward(**args)


def test_transposed_Wx_names_the_mismatch(args):
    args["Wx"] = args["Wx"].T  # (d, D) as CS231n stores it
    with raises(ValueError, "rnn_forward: Wx has shape (5, 4); expected (D, d) = (?, 5), because x has shape "
                            "(2, 3, 5) — is it transposed? Wx is stored as (D, d), the orientation of the "
                            "source note and of PyTorch"):
        rc.rnn_forward(**args)


def test_Wh_disagrees_with_Wx(args):
    args["Wh"] = np.zeros((3, 3))
    with raises(ValueError, "rnn_forward: Wh has shape (3, 3); expected (D, D) = (4, 4), "
                            "because Wx has shape (4, 5)"):
        rc.rnn_forward(**args)


def test_b_disagrees_with_Wx(args):
    args["b"] = np.zeros(3)
    with raises(ValueError, "rnn_forward: b has shape (3,); expected (D) = (4), because Wx has shape (4, 5)"):
        rc.rnn_forward(**args)


def test_integer_token_ids_point_to_one_hot(args):
    args["x"] = np.array([[1, 2, 3], [4, 5, 6]])
    with pytest.raises(TypeError, match="x has integer dtype int64; expected floats — .*one_hot.*Embedding"):
        rc.rnn_forward(**args)


def test_boolean_input(args):
    args["x"] = np.ones((N, T, d), dtype=bool)
    with raises(TypeError, "rnn_forward: x has boolean dtype; expected a float array"):
        rc.rnn_forward(**args)


def test_non_numeric_input(args):
    args["x"] = np.array([["a"]])
    with raises(TypeError, "rnn_forward: x has dtype <U1; expected a float array"):
        rc.rnn_forward(**args)


def test_none_weight(args):
    args["Wh"] = None
    with raises(TypeError, "rnn_forward: Wh is None; expected a float array"):
        rc.rnn_forward(**args)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_input(args, bad):
    args["x"][1, 2, 0] = bad
    with raises(ValueError, f"rnn_forward: x contains NaN or inf (first at index (1, 2, 0), value {bad})"):
        rc.rnn_forward(**args)


def test_non_finite_weight(args):
    args["Wh"][0, 1] = np.nan
    with raises(ValueError, "rnn_forward: Wh contains NaN or inf (first at index (0, 1)"):
        rc.rnn_forward(**args)


def test_zero_time_steps(args):
    args["x"] = np.zeros((N, 0, d))
    with raises(ValueError, "rnn_forward: x has shape (2, 0, 5), so T = 0; every dimension must be at "
                            "least 1 (an RNN needs at least one time step)"):
        rc.rnn_forward(**args)


def test_unknown_nonlinearity(args):
    with raises(ValueError, "rnn_forward: nonlinearity must be 'tanh' or 'relu', got 'sigmoid'"):
        rc.rnn_forward(**args, nonlinearity="sigmoid")


def test_step_forward_given_a_sequence(args):
    with raises(ValueError, "rnn_step_forward: x_t has shape (2, 3, 5); expected (N, d) — one time step"):
        rc.rnn_step_forward(args["x"], args["h0"], args["Wx"], args["Wh"], args["b"])


def test_step_forward_nonlinearity(args):
    with raises(ValueError, "rnn_step_forward: nonlinearity must be 'tanh' or 'relu', got 'Tanh'"):
        rc.rnn_step_forward(args["x"][:, 0], args["h0"], args["Wx"], args["Wh"], args["b"], "Tanh")


def test_backward_wrong_dh_shape(args):
    h, cache = rc.rnn_forward(**args)
    with raises(ValueError, "rnn_backward: dh has shape (2, 4); expected (N, T, D) = (2, 3, 4)"):
        rc.rnn_backward(h[:, -1], cache)


def test_backward_wrong_cache(args):
    _, step_cache = rc.rnn_step_forward(args["x"][:, 0], args["h0"], args["Wx"], args["Wh"], args["b"])
    with raises(TypeError, "rnn_backward: cache must be the cache returned by rnn_forward, got RNNStepCache"):
        rc.rnn_backward(np.zeros((N, T, D)), step_cache)


def test_step_backward_wrong_cache(args):
    _, cache = rc.rnn_forward(**args)
    with raises(TypeError, "rnn_step_backward: cache must be the cache returned by rnn_step_forward, "
                           "got RNNCache"):
        rc.rnn_step_backward(np.zeros((N, D)), cache)


def test_step_backward_wrong_dh(args):
    _, cache = rc.rnn_step_forward(args["x"][:, 0], args["h0"], args["Wx"], args["Wh"], args["b"])
    with raises(ValueError, "rnn_step_backward: dh_next has shape (2, 5); expected (N, D) = (2, 4)"):
        rc.rnn_step_backward(np.zeros((2, 5)), cache)


# -- the module ----------------------------------------------------------------


def test_module_x_wrong_input_size():
    m = rc.RNN(3, 4)
    with raises(ValueError, "RNN.forward: x has shape (2, 5, 4); expected (N, T, d) = (?, ?, 3)"):
        m.forward(np.zeros((2, 5, 4)))


def test_module_single_sequence():
    with raises(ValueError, "RNN.forward: x has shape (5, 3); expected (N, T, d) = (?, ?, 3) — a batch of sequences"):
        rc.RNN(3, 4).forward(np.zeros((5, 3)))


def test_module_h0_shape_counts_layers_and_directions():
    m = rc.RNN(3, 4, num_layers=2, bidirectional=True)
    with raises(ValueError, "RNN.forward: h0 has shape (2, 1, 4); expected (L*dirs, N, D) = (4, 1, 4) — "
                            "one (N, D) state per layer and direction, num_layers*num_directions = 2*2 = 4"):
        m.forward(np.zeros((1, 5, 3)), np.zeros((2, 1, 4)))


def test_module_backward_before_forward():
    with raises(RuntimeError, "RNN.backward: call forward before backward"):
        rc.RNN(3, 4).backward(np.zeros((1, 2, 4)))


def test_module_backward_wrong_doutput():
    m = rc.RNN(3, 4, bidirectional=True)
    m.forward(np.zeros((1, 5, 3)))
    with raises(ValueError, "RNN.backward: doutput has shape (1, 5, 4); expected (N, T, dirs*D) = (1, 5, 8)"):
        m.backward(np.zeros((1, 5, 4)))


def test_module_backward_wrong_dh_n():
    m = rc.RNN(3, 4)
    m.forward(np.zeros((1, 5, 3)))
    with raises(ValueError, "RNN.backward: dh_n has shape (1, 4); expected (L*dirs, N, D)"):
        m.backward(np.zeros((1, 5, 4)), np.zeros((1, 4)))


@pytest.mark.parametrize("kwargs,text", [
    (dict(input_size=0, hidden_size=4), "RNN: input_size must be a positive integer, got 0"),
    (dict(input_size=3, hidden_size=2.5), "RNN: hidden_size must be a positive integer, got 2.5"),
    (dict(input_size=3, hidden_size=4, num_layers=True), "RNN: num_layers must be a positive integer, got True"),
    (dict(input_size=3, hidden_size=4, nonlinearity="sigmoid"),
     "RNN: nonlinearity must be 'tanh' or 'relu', got 'sigmoid'"),
    (dict(input_size=3, hidden_size=4, dtype=np.int32), "RNN: dtype must be a float type"),
])
def test_module_constructor(kwargs, text):
    with pytest.raises((ValueError, TypeError), match="^" + re.escape(text)):
        rc.RNN(**kwargs)


# -- gradcheck's own input checks ------------------------------------------------


def test_rel_error_shape_mismatch():
    with raises(ValueError, "rel_error: a has shape (2,) but b has shape (3,)"):
        rel_error(np.zeros(2), np.zeros(3))


def test_numerical_gradient_needs_df_for_array_f():
    with raises(ValueError, "numerical_gradient: f returned an array of shape (2,); pass df"):
        numerical_gradient(lambda v: v * 2, np.zeros(2))


def test_gru_given_an_lstm_state_pair():
    m = rc.GRU(3, 4)
    with raises(TypeError, "GRU.forward: h0 must be one array of shape (L*dirs, N, D); a pair (h0, c0) is for "
                           "the LSTM, which also has a cell state"):
        m.forward(np.zeros((1, 2, 3)), (np.zeros((1, 1, 4)), np.zeros((1, 1, 4))))


def test_module_gradients_keep_the_module_dtype():
    m = rc.RNN(3, 4)  # float64
    out, _ = m.forward(np.ones((1, 2, 3)))
    dx = m.backward(np.ones(out.shape, dtype=np.float32))
    assert dx.dtype == m.dh0.dtype == np.float64
