"""Parity with PyTorch, to 1e-9 in float64, from stored fixtures.

tests/fixtures/make_torch_fixtures.py ran torch.nn.RNN (tanh and relu), LSTM and
GRU, with 1 or 2 layers, uni- or bidirectional, batch_first, in float64, and
stored the weights, inputs, outputs and every gradient. Here the same weights
are loaded into rnn_course's modules with one dict comprehension, and every
output and gradient must agree. No PyTorch is needed to run this file.
"""

from pathlib import Path

import numpy as np
import pytest

import rnn_course as rc

FIXTURES = Path(__file__).resolve().parent / "fixtures"
TOL = 1e-9
CASES = [(cell, layers, bi) for cell in ("rnn_tanh", "rnn_relu", "lstm", "gru")
         for layers in (1, 2) for bi in (False, True)]


def _build(cell, num_layers, bidirectional, d, D):
    kw = dict(num_layers=num_layers, bidirectional=bidirectional)
    if cell.startswith("rnn_"):
        return rc.RNN(d, D, nonlinearity=cell[4:], **kw)
    return {"lstm": rc.LSTM, "gru": rc.GRU}[cell](d, D, **kw)


def _load(cell, num_layers, bidirectional):
    path = FIXTURES / f"torch_{cell}_l{num_layers}_{'bi' if bidirectional else 'uni'}.npz"
    with np.load(path) as f:
        return {k: f[k] for k in f.files}


def _assert_close(ours, theirs, what):
    err = np.max(np.abs(ours - theirs))
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape} vs torch {theirs.shape}"
    assert err <= TOL, f"{what}: max |ours - torch| = {err:.3e} > {TOL:g}"


def test_all_sixteen_fixtures_are_present():
    names = sorted(p.name for p in FIXTURES.glob("torch_*.npz"))
    assert len(names) == 16 == len(CASES)


@pytest.mark.parametrize("cell,num_layers,bidirectional", CASES)
def test_module_matches_torch(cell, num_layers, bidirectional):
    fx = _load(cell, num_layers, bidirectional)
    N, T, d = fx["x"].shape
    D = fx["h0"].shape[-1]
    module = _build(cell, num_layers, bidirectional, d, D)
    # Loading PyTorch weights is one dict comprehension: same keys, same shapes, no transposes.
    module.load_state_dict({k[len("param/"):]: v for k, v in fx.items() if k.startswith("param/")})

    if cell == "lstm":
        output, (h_n, c_n) = module.forward(fx["x"], (fx["h0"], fx["c0"]))
        _assert_close(c_n, fx["c_n"], "c_n")
        dx = module.backward(fx["doutput"], (fx["dh_n"], fx["dc_n"]))
        _assert_close(module.dc0, fx["dc0"], "dc0")
    else:
        output, h_n = module.forward(fx["x"], fx["h0"])
        dx = module.backward(fx["doutput"], fx["dh_n"])
    _assert_close(output, fx["output"], "output")
    _assert_close(h_n, fx["h_n"], "h_n")
    _assert_close(dx, fx["dx"], "dx")
    _assert_close(module.dh0, fx["dh0"], "dh0")
    grads = {k[len("grad/"):]: v for k, v in fx.items() if k.startswith("grad/")}
    assert set(grads) == set(module.grads)
    for name, g in grads.items():
        _assert_close(module.grads[name], g, f"grad of {name}")


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_functional_rnn_matches_torch(nonlinearity):
    # The functional API with the note's single bias b = bias_ih + bias_hh.
    fx = _load(f"rnn_{nonlinearity}", 1, False)
    p = {k[len("param/"):]: v for k, v in fx.items() if k.startswith("param/")}
    h, cache = rc.rnn_forward(fx["x"], fx["h0"][0], p["weight_ih_l0"], p["weight_hh_l0"],
                              p["bias_ih_l0"] + p["bias_hh_l0"], nonlinearity)
    _assert_close(h, fx["output"], "h")
    dh = fx["doutput"].copy()
    dh[:, -1] += fx["dh_n"][0]
    dx, dh0, dWx, dWh, db = rc.rnn_backward(dh, cache)
    _assert_close(dx, fx["dx"], "dx")
    _assert_close(dh0, fx["dh0"][0], "dh0")
    _assert_close(dWx, fx["grad/weight_ih_l0"], "dWx")
    _assert_close(dWh, fx["grad/weight_hh_l0"], "dWh")
    _assert_close(db, fx["grad/bias_ih_l0"], "db")
    _assert_close(db, fx["grad/bias_hh_l0"], "db")
