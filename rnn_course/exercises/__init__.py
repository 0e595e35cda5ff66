"""Auto-checked exercises: ``check``, ``hint`` and the ``EXERCISES`` registry.

In a chapter::

    from rnn_course.exercises import check, hint

    def rnn_step_forward(x_t, h_prev, Wx, Wh, b, nonlinearity="tanh"):
        ...                                   # your code here

    check("rnn_step_forward", rnn_step_forward)   # a coloured box: not attempted / wrong / right
    hint("rnn_step_forward", 2)                    # hints in three levels

``check`` never raises because the learner's answer is wrong: an untouched
stub reads "not attempted yet", an exception in the learner's code is shown
by its last line, and a wrong answer gets a diagnosis in the book's letters.
Every call of the learner's function is guarded (see ``_run.guarded``): a time
limit of ``_run.TIME_LIMIT`` seconds, prints captured and shown capped after
the check, and ``sys.exit()`` or ``KeyboardInterrupt`` turned into a sentence.

For an autograder (the instructor edition, scripts/make_assignments.py) there is
``grade``: the same ``check``, but it raises AssertionError unless the verdict is
Correct, since nbgrader scores a tests cell by whether it raises. Two
environment variables serve graded runs: RNN_COURSE_TIME_LIMIT (seconds per
call of the learner's function, default 10) and RNN_COURSE_MAX_HINT (the
highest hint level ``hint`` shows, default 3; 2 keeps the near-answers of
level 3 out of a graded class, 0 turns hints off).
"""

from __future__ import annotations

import difflib
import inspect
import os
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .. import capstone as _capstone
from .. import gru as _gru
from .. import layers as _layers
from .. import losses as _losses
from .. import lstm as _lstm
from .. import models as _models
from .. import optim as _optim
from .. import rnn as _rnn
# One checker module per topic, in the order of the chapters that place them.
from . import data_exercises, chapter2, rnn_exercises, concepts, loss_exercises, deep_exercises
from . import seq2seq_exercises, gradient_exercises, gated_exercises, gated_backward_exercises, charlm_exercises
from . import capstone_exercises
from ._depends import uses_sentence
from ._result import FAILED, NOT_ATTEMPTED, PASSED, CheckResult, Hint
from ._run import Fail, NotAttempted, collect_prints, is_stub, last_line

__all__ = ["EXERCISES", "CheckResult", "Exercise", "check", "grade", "hint"]


@dataclass(frozen=True)
class Exercise:
    """One entry of the registry.

    - name: the key used by check() and hint()
    - title: shown in the result box
    - chapter: the book chapter that places it
    - kind: "implementation" (the answer is a function) or "concept" (a value)
    - hints: three hints, from a nudge to almost the answer
    - reference: the library function a correct answer must match, or the right value
    - checker: ``checker(answer, **context) -> message``; raises Fail when wrong
    """

    name: str
    title: str
    chapter: str
    kind: str
    hints: tuple
    reference: object
    checker: Callable


_REGISTRY = [
    Exercise(
        "rnn_step_forward", "One step of an RNN cell", "Memory cells and the hidden state", "implementation",
        ("The cell is the note's h_t = f(W_x x_t + W_h h_{t-1} + b), written for a batch of rows.",
         "For rows, W_x x_t becomes `x_t @ Wx.T` (shape (N, d) @ (d, D) = (N, D)); the same for h_prev "
         "and Wh. Pick f from the `nonlinearity` argument.",
         "`a = x_t @ Wx.T + h_prev @ Wh.T + b`, then `h_next = np.tanh(a)` (or `np.maximum(a, 0)` for "
         "relu); return `h_next, cache` where cache holds what the backward pass needs."),
        _rnn.rnn_step_forward, rnn_exercises.check_rnn_step_forward),
    Exercise(
        "rnn_forward", "A whole sequence: the step in a loop", "Memory cells and the hidden state",
        "implementation",
        ("Run your step once per time step, feeding each step's output in as the next step's h_prev.",
         "Loop `for t in range(T)` over `x[:, t]` (shape (N, d)); start from h0, or "
         "`np.zeros((N, D), dtype=x.dtype)` when h0 is None; collect the T states.",
         "Stack the states batch-first: `h = np.stack(states, axis=1)` gives (N, T, D); return `h, cache`."),
        _rnn.rnn_forward, rnn_exercises.check_rnn_forward),
    Exercise(
        "rnn_step_backward", "Backward through one step", "The math of an RNN", "implementation",
        ("Go backwards through the forward step: first through f, then through the sum of products.",
         "da = dh_next * f'(a), and for tanh f'(a) = 1 - h_next**2 (h_next is already tanh(a)). Each "
         "product `u @ W.T` in the forward pass sends `da @ W` back to u and `da.T @ u` to W.",
         "`dx_t = da @ Wx`, `dh_prev = da @ Wh`, `dWx = da.T @ x_t`, `dWh = da.T @ h_prev`, "
         "`db = da.sum(axis=0)`."),
        _rnn.rnn_step_backward, rnn_exercises.check_rnn_step_backward),
    Exercise(
        "rnn_backward", "Backpropagation through time", "The math of an RNN", "implementation",
        ("Walk the sequence backwards, t = T, ..., 1 (in code, t = T-1 down to 0), and remember that h_t feeds two things: the "
         "loss at step t and the next step h_{t+1}.",
         "Keep a running `dh_next` (zeros at the start): the gradient at h_t is `dh[:, t] + dh_next`. "
         "Run the step backward on it; its dh_prev becomes the new `dh_next`.",
         "Add every step's dWx, dWh and db into running totals (`+=`), write dx[:, t], and return the "
         "last dh_next as dh0."),
        _rnn.rnn_backward, rnn_exercises.check_rnn_backward),
    Exercise(
        "one_hot", "One-hot vectors", "Sequences", "implementation",
        ("A one-hot vector for id k has V entries, all 0 except entry k, which is 1.",
         "Start from `np.zeros(ids.shape + (V,))` so that ids of any shape work, then set one entry per id.",
         "`np.eye(V)[ids]` picks row k of the identity for every id k, and keeps the shape of ids."),
        _layers.one_hot, data_exercises.check_one_hot),
    Exercise(
        "pad_sequences", "Padding a batch of sentences", "Sequences", "implementation",
        ("The batch array has one row per sentence and as many columns as the longest sentence.",
         "Make `ids = np.full((N, T), pad_value)` with T the longest length, then copy each sentence into "
         "the start of its row.",
         "`for n, s in enumerate(sequences): ids[n, :len(s)] = s`; lengths is `np.array([len(s) for s in "
         "sequences])`; return `ids, lengths`."),
        _layers.pad_sequences, data_exercises.check_pad_sequences),
    Exercise(
        "shape_Wx", "The shape of W_x for d = 3, D = 5", "The math of an RNN", "concept",
        ("W_x turns an input vector into a contribution to the hidden state.",
         "In the note's form W_x x_t, the product must have D entries and x_t has d.",
         "A matrix that maps d numbers to D numbers, written W x, has D rows and d columns."),
        (5, 3), concepts.check_shape_Wx),
    Exercise(
        "shape_Wh", "The shape of W_h for d = 3, D = 5", "The math of an RNN", "concept",
        ("W_h acts on the previous hidden state.",
         "h_{t-1} has D numbers and W_h h_{t-1} must have D numbers too.",
         "D rows and D columns."),
        (5, 5), concepts.check_shape_Wh),
    Exercise(
        "shape_h_n_bidirectional", "The shape of h_n: 2 layers, bidirectional, N = 8, D = 16",
        "Deep and bidirectional RNNs", "concept",
        ("h_n holds one final hidden state per layer and per direction.",
         "Count the (N, D) states: layers times directions.",
         "(num_layers * num_directions, N, D)."),
        (4, 8, 16), concepts.check_shape_h_n_bidirectional),
    Exercise(
        "rnn_param_count", "How many numbers does an RNN cell learn? (d = 3, D = 5)",
        "The math of an RNN", "concept",
        ("Count the entries of every parameter in h_t = f(W_x x_t + W_h h_{t-1} + b).",
         "W_x is D x d, W_h is D x D, b has D entries.",
         "5·3 + 5·5 + 5."),
        45, concepts.check_rnn_param_count),
    Exercise(
        "topologies", "Match each task to its RNN topology", "Topologies", "concept",
        ("Ask of each task: how many inputs does the network read, and how many outputs does it write?",
         "Captioning reads one image; a classifier writes one label; a tagger writes one tag per word.",
         "captioning: one-to-many; spam and sentiment: many-to-one; NER and translation: many-to-many."),
        {task: right for task, (right, _) in concepts.TOPOLOGY_TASKS.items()}, concepts.check_topologies),
    Exercise(
        "mutable_sequences", "Which of Python's sequence types are mutable?", "Sequences", "concept",
        ("Mutable means it can be changed in place, after it is made.",
         "Try `x[0] = ...` on a list, a tuple, a range and a string.",
         "Only one of the four allows it, and it is the one with `.append`."),
        ["list"], concepts.check_mutable_sequences),
    Exercise(
        "spectral_radius",
        "A linear RNN with spectral radius below 1: what does ‖∂h_T/∂h_t‖ do for large T - t?",
        "The math of an RNN", "concept",
        ("For a linear RNN (f(a) = a) every Jacobian is W_h itself, so ∂h_T/∂h_t = W_h^k with k = T - t.",
         "Take an eigenvector v of W_h with eigenvalue λ: W_h^k v = λ^k v. Gelfand's formula says the same "
         "holds for the norm in the long run: the k-th root of ‖W_h^k‖ tends to the spectral radius ρ.",
         "So for any ε > 0, ‖W_h^k‖ ≤ (ρ + ε)^k once k is large enough. Pick ε with ρ + ε < 1: what does "
         "(ρ + ε)^k do as k grows?"),
        "vanishes", concepts.check_spectral_radius),
    Exercise(
        "worked_example", "The note's d = D = 4 example, by hand", "The math of an RNN", "concept",
        ("Compute the pre-activation a = W_x x_t + W_h h_{t-1} + b_h first, one entry at a time: entry i is "
         "row i of W_x dotted with x_t, plus row i of W_h dotted with h_{t-1}, plus entry i of b_h.",
         "W_x x_t = [0.5, 0.5, -0.5, 0.5] and W_h h_{t-1} = [0.1, 0.1, 0.3, 0.1]; add them, then add "
         "b_h = [0, 0.1, -0.1, 0.2].",
         "a = [0.6, 0.7, -0.3, 0.8]; now take tanh of each entry."),
        None, concepts.check_worked_example),
    Exercise(
        "stacked_rnn_forward", "A deep RNN: layers stacked in time", "Deep and bidirectional RNNs",
        "implementation",
        ("A stack of L layers is L ordinary RNNs run one after another: what does layer k+1 read?",
         "Start with `layer_in = x`; for k in range(L), run one RNN layer over `layer_in` with Wxs[k], Whs[k] "
         "and bs[k] (your rnn_forward, or a loop over time), then make its output the next `layer_in`. Keep "
         "each layer's last state `h[:, -1]`.",
         "`h, _ = rnn_forward(layer_in, None, Wxs[k], Whs[k], bs[k])`, `layer_in = h`, "
         "`lasts.append(h[:, -1])`; after the loop return `layer_in, np.stack(lasts)` — (N, T, D) and (L, N, D)."),
        deep_exercises.stacked_rnn_forward, deep_exercises.check_stacked_rnn_forward),
    Exercise(
        "bidirectional_rnn_forward", "A bidirectional RNN: forwards, backwards, side by side",
        "Deep and bidirectional RNNs", "implementation",
        ("Run one RNN over the sequence as it is and another over the sequence back to front; then line "
         "their states up word by word.",
         "Time is axis 1: `x[:, ::-1]` reverses it. The backward RNN's output comes out in reversed time too, "
         "so flip it back with `[:, ::-1]` before you join the two.",
         "`h_f, _ = rnn_forward(x, None, Wx_f, Wh_f, b_f)`, `h_b, _ = rnn_forward(x[:, ::-1], None, Wx_b, Wh_b, "
         "b_b)`, then `np.concatenate([h_f, h_b[:, ::-1]], axis=2)` — (N, T, 2D), forward half first."),
        deep_exercises.bidirectional_rnn_forward, deep_exercises.check_bidirectional_rnn_forward),
    Exercise(
        "sentence_summary", "One vector per sentence from output and h_n", "Deep and bidirectional RNNs",
        "implementation",
        ("A sentence's summary is the top layer's two final states: the forward direction's after the sentence's "
         "last real token, and the backward direction's after the first token, which it reads last.",
         "h_n is ordered layer first, index layer * 2 + direction, so the top layer's states are h_n[-2] (forward) "
         "and h_n[-1] (backward). In output they sit at output[n, lengths[n] - 1, :D] and output[:, 0, D:]; not at "
         "output[:, -1, D:], where the backward direction has only just started (or, in a shorter sentence, "
         "where there is only padding).",
         "`return np.concatenate([h_n[-2], h_n[-1]], axis=1)`: (N, 2D), the forward half first."),
        deep_exercises.sentence_summary, deep_exercises.check_sentence_summary),
    Exercise(
        "masked_softmax_cross_entropy", "Cross-entropy that ignores the padding", "Topologies", "implementation",
        ("The loss is an average of -log p(target) over the real tokens only; padding must count in neither "
         "the sum nor the number you divide by, nor in the gradient.",
         "Compute a stable log-softmax along the last axis (subtract the max first), pick each position's "
         "target with `np.take_along_axis`, keep the positions where mask is True and divide by `mask.sum()`.",
         "`loss = -(logp_target * mask).sum() / mask.sum()`; `dlogits = (softmax - onehot(targets)) * "
         "mask[..., None] / mask.sum()`, with onehot from `np.eye(V, dtype=logits.dtype)[targets]` (float32 in, "
         "float32 out)."),
        _losses.softmax_cross_entropy, loss_exercises.check_masked_softmax_cross_entropy),
    Exercise(
        "clip_grad_norm", "Clipping gradients by their global norm",
        "Training RNNs: vanishing and exploding gradients", "implementation",
        ("Treat all the gradient arrays as one long vector: measure its length, and if it is too long, shrink "
         "every array by the same factor.",
         "total_norm = sqrt of the sum over every array of `np.sum(g ** 2)`. Only when it exceeds max_norm, "
         "multiply every array by `max_norm / total_norm` — in place, so the model sees the change.",
         "`total = np.sqrt(sum(np.sum(g ** 2) for g in grads))`; `if total > max_norm: for g in grads: "
         "g *= max_norm / total`; `return total` (the norm before clipping)."),
        _optim.clip_grad_norm, gradient_exercises.check_clip_grad_norm),
    Exercise(
        "sample_with_temperature", "Sampling the next character with a temperature",
        "Project: a character-level language model", "implementation",
        ("Turn each row of logits into probabilities, then draw one id per row at random according to "
         "them; the temperature reshapes the probabilities first.",
         "Divide the logits by the temperature, take a stable softmax along the last axis, then draw with the "
         "`rng` you were given (e.g. `rng.choice(V, p=p[n])` for each row n) so that a seed reproduces it.",
         "`z = logits / temperature`; `p = np.exp(z - z.max(axis=1, keepdims=True))`; `p /= p.sum(axis=1, "
         "keepdims=True)`; `u = rng.random((N, 1))`; `ids = (p.cumsum(axis=1) < u).sum(axis=1)`."),
        _models.sample_logits, charlm_exercises.check_sample_with_temperature),
    Exercise(
        "lstm_step_forward", "One step of an LSTM cell", "Gated memory cells: LSTM and GRU", "implementation",
        ("All four gates come from one big pre-activation of shape (N, 4D); cut it into four blocks, squash "
         "each, then update the cell state and the hidden state.",
         "`a = x_t @ Wx.T + b_ih + h_prev @ Wh.T + b_hh`; the blocks of D columns are, in order, i, f, g, o. "
         "i, f and o go through the sigmoid, g through tanh.",
         "`c_next = f * c_prev + i * g`, `h_next = o * np.tanh(c_next)`; return `h_next, c_next, cache`."),
        _lstm.lstm_step_forward, gated_exercises.check_lstm_step_forward),
    Exercise(
        "gru_step_forward", "One step of a GRU cell", "Gated memory cells: LSTM and GRU", "implementation",
        ("A GRU has a reset gate r, an update gate z and a candidate n; the new state mixes the candidate with "
         "the old state.",
         "Keep the two projections apart: `gx = x_t @ Wx.T + b_ih` and `gh = h_prev @ Wh.T + b_hh`, each "
         "(N, 3D) with blocks r, z, n. r and z are sigmoids of gx + gh; the reset gate multiplies gh's n block.",
         "`n = np.tanh(gx_n + r * gh_n)` (b_hn inside the product), then `h_next = (1 - z) * n + z * h_prev`; "
         "return `h_next, cache`."),
        _gru.gru_step_forward, gated_exercises.check_gru_step_forward),
    Exercise(
        "lstm_step_backward", "Backward through one LSTM step", "Gated memory cells: LSTM and GRU",
        "implementation",
        ("Go backwards through the forward step. c_next feeds two things, h_next = o * tanh(c_next) and the next "
         "step, so the gradient at c_next has two parts; every gate then gets its share of it.",
         "`dc = dc_next + dh_next * o * (1 - tanh_c**2)`. With c_next = f * c_prev + i * g and "
         "h_next = o * tanh(c_next), the gate values read from `cache.gates` (i, f, g, o blocks) give "
         "da_i = dc * g * i(1 - i), da_f = dc * c_prev * f(1 - f), da_g = dc * i * (1 - g**2), "
         "da_o = dh_next * tanh_c * o(1 - o).",
         "Stack `da = np.concatenate([da_i, da_f, da_g, da_o], axis=1)` (N, 4D); then `dx_t = da @ Wx`, "
         "`dh_prev = da @ Wh`, `dc_prev = dc * f`, `dWx = da.T @ x_t`, `dWh = da.T @ h_prev`, "
         "`db = da.sum(axis=0)`, and return db twice (db_ih and db_hh are equal)."),
        _lstm.lstm_step_backward, gated_backward_exercises.check_lstm_step_backward),
    Exercise(
        "gru_step_backward", "Backward through one GRU step", "Gated memory cells: LSTM and GRU",
        "implementation",
        ("Write h_next = n + z * (h_prev - n) and go backwards: to n, to z, and straight to h_prev; then from n to "
         "r and to the two projections gx = x_t Wx^T + b_ih and gh = h_prev Wh^T + b_hh.",
         "`dn = dh_next * (1 - z) * (1 - n**2)` and `dz = dh_next * (h_prev - n) * z * (1 - z)`. The "
         "candidate is n = tanh(gx_n + r * gh_n), so `dr = dn * gh_n * r * (1 - r)`, the input side's n "
         "block gets dn and the hidden side's gets dn * r.",
         "`dgx = [dr, dz, dn]` and `dgh = [dr, dz, dn * r]` (each (N, 3D), concatenated on axis 1); "
         "`dx_t = dgx @ Wx`, `dh_prev = dh_next * z + dgh @ Wh`, `dWx = dgx.T @ x_t`, `dWh = dgh.T @ h_prev`, "
         "`db_ih = dgx.sum(axis=0)`, `db_hh = dgh.sum(axis=0)`."),
        _gru.gru_step_backward, gated_backward_exercises.check_gru_step_backward),
    Exercise(
        "teacher_forcing_inputs", "The decoder's inputs under teacher forcing", "Models that write sequences",
        "implementation",
        ("At step t the decoder must predict targets[:, t], so it may read only what comes before it: the true "
         "previous token, and at the first step <bos>.",
         "Every row becomes [<bos>] + y[:-1]: a column of `bos` in front, and the last target left out, so the "
         "inputs keep the targets' shape (N, T').",
         "`np.concatenate([np.full((N, 1), bos), targets[:, :-1]], axis=1)` with `N = len(targets)`."),
        seq2seq_exercises.teacher_forcing_inputs, seq2seq_exercises.check_teacher_forcing_inputs),
    Exercise(
        "greedy_decode", "A greedy decoding loop", "Models that write sequences", "implementation",
        ("Start every row from <bos>; at each step call `step`, take the most likely token of each row, write it "
         "down, and feed it back as the next input, with the state the step returned.",
         "`logits, state = step(tokens, state)` then `tokens = logits.argmax(axis=1)` (one id per row, shape "
         "(N,)). Start from `out = np.full((N, max_len), eos)` with `N = len(state)`, and keep a boolean `done` "
         "per row: a finished row keeps <eos>.",
         "In the loop over t: `out[:, t] = np.where(done, eos, tokens)`, then `done |= tokens == eos`, and "
         "`break` once `done.all()`; return `out`."),
        seq2seq_exercises.greedy_decode, seq2seq_exercises.check_greedy_decode),
    Exercise(
        "exact_match", "Scoring whole outputs: exact-match", "Models that write sequences", "implementation",
        ("A row counts only if the whole output is right: every token, and the <eos> in the right place. What "
         "comes after <eos> is padding, and differs between the two arrays.",
         "Cut each row after its first <eos>, `row[:row.index(eos) + 1]` on `row = list(p)`, for the prediction "
         "and the target, and compare the two lists. A prediction that never wrote <eos> (it ran to max_len) has "
         "no <eos> to cut at: keep it whole, and it cannot match.",
         "`right = [cut(p) == cut(t) for p, t in zip(predicted, targets)]`, then `return float(np.mean(right))`."),
        seq2seq_exercises.exact_match, seq2seq_exercises.check_exact_match),
    Exercise(
        "shape_output_bidirectional", "The output of a 2-layer bidirectional RNN: N = 8, T = 20, D = 16",
        "Deep and bidirectional RNNs", "concept",
        ("`output` holds the top layer's states at every step, for every sequence (batch_first=True).",
         "At each step the forward and the backward states are joined side by side; the lower layer's states "
         "feed the top layer and do not come out.",
         "(N, T, num_directions * D)."),
        (8, 20, 32), concepts.check_shape_output_bidirectional),
    Exercise(
        "lstm_param_count", "How many numbers does an LSTM cell learn? (d = 3, D = 5, PyTorch's two biases)",
        "Gated memory cells: LSTM and GRU", "concept",
        ("Count the entries of W_x, W_h, b_ih and b_hh, remembering that each holds the rows of all the gates.",
         "There are four gate blocks, i, f, g and o: W_x is 4D x d, W_h is 4D x D, and each bias has 4D entries.",
         "4 · (5·3 + 5·5 + 5 + 5)."),
        sum(concepts.lstm_param_sizes().values()), concepts.check_lstm_param_count),
    Exercise(
        "bidirectional_generation", "Can a bidirectional RNN generate text left to right?",
        "Deep and bidirectional RNNs", "concept",
        ("A generator writes word t+1 knowing only words 1 ... t.",
         "What has the backward direction read when it produces its state at step t?",
         "It has read the sequence from the end back to t: the words after t. Would those exist while "
         "generating?"),
        "no", concepts.check_bidirectional_generation),
    Exercise(
        "gru_vs_lstm_states", "How many state vectors does each cell carry to the next step?",
        "Gated memory cells: LSTM and GRU", "concept",
        ("Look at what the step functions take in and hand back, apart from x_t and the weights.",
         "lstm_step_forward takes h_prev and c_prev; gru_step_forward takes h_prev.",
         "Answer {'LSTM': ..., 'GRU': ...}: count h and c."),
        {k.upper(): v for k, v in concepts.carried_states().items()}, concepts.check_gru_vs_lstm_states),
    Exercise(
        "low_temperature", "What does sampling become as the temperature goes to 0?",
        "Project: a character-level language model", "concept",
        ("Sampling draws from softmax(logits / temperature): what happens to logits / T as T shrinks?",
         "The gaps between the logits grow without bound, and softmax turns big gaps into near-certainty.",
         "All the probability ends up on one token: which one, and what is that way of decoding called?"),
        "greedy", concepts.check_low_temperature),
    Exercise(
        "charlm_lstm", "Modify and rerun: the names model with an LSTM",
        "Project: a character-level language model", "implementation",
        ("Look at how the GRU names model was built: only one argument of CharLM has to change.",
         "CharLM(vocab_size, embed_dim, hidden_size, cell=..., num_layers=1, seed=...): keep d = 16 and "
         "D = 64, pick the cell by name, and pass the seed on.",
         "`return CharLM(vocab_size, 16, 64, cell=\"lstm\", seed=seed)`."),
        charlm_exercises.make_lstm_lm, charlm_exercises.check_charlm_lstm),
    Exercise(
        "cell_sends_to", "Where does the RNN's hidden node send its value?", "Feed-forward vs recurrent",
        "concept",
        ("Look at the arrows that leave the hidden layer in the two networks of the figure.",
         "In the feed-forward network the hidden layer's arrows all point one way, to the output layer. "
         "What does the RNN's hidden layer have in addition?",
         "Two places: the output layer, and the cell itself at the next step, e.g. `['output', 'itself']`."),
        ["output", "itself"], chapter2.check_cell_sends_to),
    Exercise(
        "window_mlp_params", "How many parameters does a window MLP learn? (w = 10, V = 8, H = 16, C = 3)",
        "Feed-forward vs recurrent", "concept",
        ("Count the entries of W1, b1, W2 and b2.",
         "The input layer is the window's one-hot vectors side by side: w·V numbers. W1 is H x (w·V), "
         "b1 has H entries, W2 is C x H and b2 has C.",
         "16·10·8 + 16 + 3·16 + 3."),
        1347, chapter2.check_window_mlp_params),
    Exercise(
        "h_depends_on", "Which inputs does h_4 depend on?", "Feed-forward vs recurrent", "concept",
        ("h_4 is computed from x_4 and from h_3. What was h_3 computed from?",
         "Follow the loop backwards: h_3 from x_3 and h_2, h_2 from x_2 and h_1, ... And can h_4 know "
         "inputs that have not been read yet?",
         "All the inputs up to and including step 4: `[1, 2, 3, 4]`."),
        chapter2.h_depends_on_computed(), chapter2.check_h_depends_on),
    Exercise(
        "longer_sequences", "Which model can read further back than it was trained on?",
        "Feed-forward vs recurrent", "concept",
        ("Where is the marker, and which tokens can each model see?",
         "The MLP with w = 20 is shown the last 20 tokens and nothing else. The RNN is shown every token, "
         "one step at a time, always with the same weights.",
         "Only one of the two models can see a token 49 steps before the end."),
        "rnn", chapter2.check_longer_sequences),
    Exercise(
        "many_to_one_readout", "Where does a many-to-one classifier read a padded sentence?", "Topologies",
        "concept",
        ("The classifier needs one vector that has read the whole sentence and nothing else.",
         "Short sentences are padded to length T; what does the state do at the <pad> steps?",
         "The state after each sentence's own last token: step lengths[n] - 1."),
        concepts.readout_computed(), concepts.check_many_to_one_readout),
    Exercise(
        "hidden_states_shape", "The shape of every hidden state: N = 8, T = 12, d = 50, D = 32",
        "Memory cells and the hidden state", "concept",
        ("rnn_forward returns the hidden state after every time step, for every sequence of the batch.",
         "One state has D numbers; there is one per sequence and per step.",
         "(N, T, D)."),
        (8, 12, 32), concepts.check_hidden_states_shape),
    Exercise(
        "gradient_after_k_steps", "How much gradient is left 50 steps back? (W_h = 0.9 Q, linear cell)",
        "Training RNNs: vanishing and exploding gradients", "concept",
        ("Without saturation (f' = 1), ∂h_T/∂h_{T-k} is just W_h^T multiplied by itself k times.",
         "W_h = 0.9 Q with Q orthogonal, so (W_h^T)^k = 0.9^k (Q^T)^k, and a power of an orthogonal matrix is "
         "orthogonal: its norm is 1.",
         "0.9 ** 50."),
        gradient_exercises.gradient_after_k_steps(), gradient_exercises.check_gradient_after_k_steps),
    Exercise(
        "orthogonal_init", "An orthogonal initialisation for W_h",
        "Training RNNs: vanishing and exploding gradients", "implementation",
        ("An orthogonal matrix Q has Q^T Q = I. The Q of a QR decomposition of any square matrix is orthogonal; "
         "start from a random one, drawn with the generator you are given.",
         "`Q, R = np.linalg.qr(rng.standard_normal((D, D)))`. numpy does not make R's diagonal positive (each "
         "sign follows from the matrix), and that biases Q; flip the columns of Q whose R[j, j] is negative.",
         "`return Q * np.sign(np.diag(R))` (column j times the sign of R[j, j]), as torch.nn.init.orthogonal_ "
         "does."),
        gradient_exercises.orthogonal_init, gradient_exercises.check_orthogonal_init),
    # "Your own model, trained": the pieces of a many-to-one classifier, then the whole model.
    Exercise(
        "embedding_forward", "Looking up the embeddings", capstone_exercises.CHAPTER, "implementation",
        ("Row k of the table W is the vector of token k; look up one row per id.",
         "numpy's integer indexing looks up many rows at once and keeps the shape of the index: W[ids] for ids "
         "(N, T) is (N, T, d).",
         "`return W[ids], (ids, W.shape[0])`: the cache is what the backward pass needs, the ids and V."),
        _layers.embedding_forward, capstone_exercises.check_embedding_forward),
    Exercise(
        "embedding_backward", "The embedding's gradient, with repeated words", capstone_exercises.CHAPTER,
        "implementation",
        ("Each look-up copied one row of W; its gradient goes back into that row. What if a word is looked up "
         "twice?",
         "A row looked up three times gets three gradients, added. `dW[ids] += dout` does not add them: numpy "
         "writes each repeated row once, so the last look-up wins.",
         "`ids, V = cache`; `dW = np.zeros((V, dout.shape[-1]), dtype=dout.dtype)`; `np.add.at(dW, ids, dout)`; "
         "`return dW`."),
        _layers.embedding_backward, capstone_exercises.check_embedding_backward),
    Exercise(
        "last_step_forward", "Reading each sentence at its last real word", capstone_exercises.CHAPTER,
        "implementation",
        ("Sentence n has lengths[n] real words, then padding; its summary is the state after its last real word.",
         "Steps count from 0, so that state is h[n, lengths[n] - 1]. Pick one (row, step) pair per sentence.",
         "`N = h.shape[0]`; `return h[np.arange(N), lengths - 1], (lengths, h.shape)`."),
        _layers.last_step_forward, capstone_exercises.check_last_step_forward),
    Exercise(
        "last_step_backward", "The gradient of the last real step", capstone_exercises.CHAPTER, "implementation",
        ("The forward pass read one state per sentence; only that state gets a gradient.",
         "Start from zeros of h's shape (N, T, D), the cache's `shape`, and write dout[n] at step lengths[n] - 1 "
         "of row n.",
         "`lengths, shape = cache`; `dh = np.zeros(shape, dtype=dout.dtype)`; "
         "`dh[np.arange(len(lengths)), lengths - 1] = dout`; `return dh`."),
        _layers.last_step_backward, capstone_exercises.check_last_step_backward),
    Exercise(
        "linear_forward", "The output layer", capstone_exercises.CHAPTER, "implementation",
        ("The note's y = W_y h + b_y, for a batch of rows h.",
         "W is stored (C, D), like PyTorch's nn.Linear, so a row x of size D becomes x @ W.T, of size C.",
         "`return x @ W.T + b, (x, W)`."),
        _layers.linear_forward, capstone_exercises.check_linear_forward),
    Exercise(
        "linear_backward", "The output layer's gradients", capstone_exercises.CHAPTER, "implementation",
        ("y = x W^T + b: each of x, W and b gets the upstream gradient dy through the product or the sum.",
         "dx = dy @ W (N, D); dW = dy.T @ x (C, D); the bias is shared by all N rows, so db sums dy over them.",
         "`x, W = cache`; `return dy @ W, dy.T @ x, dy.sum(axis=0)`."),
        _layers.linear_backward, capstone_exercises.check_linear_backward),
    Exercise(
        "adam_step", "One step of Adam", capstone_exercises.CHAPTER, "implementation",
        ("Adam keeps two running averages per parameter, of the gradient (m) and of its square (v), and steps "
         "along m / sqrt(v).",
         "Keep t, m and v in `state` (a dict the caller passes every time): t += 1; m = b1 m + (1 - b1) g; "
         "v = b2 v + (1 - b2) g²; divide m by (1 - b1^t) and v by (1 - b2^t), the bias correction.",
         "`p -= lr * m_hat / (np.sqrt(v_hat) + eps)` for every key, with b1, b2, eps = 0.9, 0.999, 1e-8 and "
         "m, v starting at 0 (`state.setdefault('m', {})`)."),
        _capstone.adam_step, capstone_exercises.check_adam_step),
    Exercise(
        "model_loss", "The whole model: loss and gradients", capstone_exercises.CHAPTER, "implementation",
        ("Run the pieces forward in order, then their backwards in the reverse order, each backward with the "
         "cache its own forward returned.",
         "embedding_forward -> rnn_forward(x, None, ...) -> last_step_forward(h, lengths) -> linear_forward -> "
         "masked_softmax_cross_entropy on logits[:, None] with labels[:, None] and a mask of ones (one position "
         "per sentence); then back.",
         "linear_backward(dlogits[:, 0], ...) gives dlast, dWy, dby; last_step_backward gives dh; rnn_backward(dh, "
         "...) gives dx, _, dWx, dWh, db; embedding_backward(dx, ...) gives dE. Return loss and the dict of the "
         "six gradients."),
        _capstone.model_loss, capstone_exercises.check_model_loss),
    Exercise(
        "train_model", "Your own model, trained", capstone_exercises.CHAPTER, "implementation",
        ("The loop: for every epoch, for every batch: loss and gradients, clip, one optimiser step, keep the loss.",
         "Make `rng = np.random.default_rng(seed)` and `state = {}` once, before the epochs; each epoch "
         "`for idx in batches(len(data.labels), batch_size, rng):` takes the rows data.ids[idx], "
         "data.lengths[idx], data.labels[idx].",
         "`loss, grads = model_loss(...)`; `clip_grad_norm(list(grads.values()), max_norm)`; "
         "`adam_step(params, grads, state, lr)`; `losses.append(loss)`; after the loops `return losses`."),
        _capstone.train_model, capstone_exercises.check_train_model),
]

#: Every exercise of the book, name -> Exercise (what check() and hint() look up).
EXERCISES: dict[str, Exercise] = {ex.name: ex for ex in _REGISTRY}
_IMPLEMENTATIONS = frozenset(ex.name for ex in _REGISTRY if ex.kind == "implementation")


def check(name, answer, **context) -> CheckResult:
    """Check a learner's answer to the exercise ``name``.

    - answer: the learner's function (implementation exercises) or value
      (shape puzzles and concept questions)
    - context: extra arguments some checkers take, e.g. ``forward=my_rnn_forward``
      for rnn_backward, or ``seed=`` to draw other random cases

    Returns a CheckResult: passed / failed with a diagnosis / not attempted.
    Never raises because of the answer; only an unknown ``name`` raises.
    """
    ex = _lookup(name)
    accepted = [p for p in inspect.signature(ex.checker).parameters][1:]
    unknown = sorted(set(context) - set(accepted))
    if unknown:
        raise TypeError(f"check: the {name!r} check takes no argument {', '.join(unknown)}; "
                        f"it takes {', '.join(accepted) or 'no extra arguments'}")
    if _unattempted(ex, answer):
        return CheckResult(name, ex.title, NOT_ATTEMPTED,
                           "not attempted yet: replace the `...` with your code and run this cell again. "
                           f"Stuck? `hint({name!r}, 1)`.")
    if ex.kind == "implementation" and not callable(answer):
        return CheckResult(name, ex.title, FAILED, _sentence(
            f"this exercise checks a function, and your answer is {_a(type(answer).__name__)}: pass the function "
            f"itself, without parentheses, e.g. `check({name!r}, {_function_name(ex)})`"))
    with collect_prints() as printed:
        result = _run_checker(ex, name, answer, context)
    _show_prints(printed)
    return result


def grade(name, answer, **context) -> CheckResult:
    """``check`` for an autograder: returns the CheckResult when its verdict is Correct; otherwise (Not yet,
    or Not attempted yet) raises AssertionError.

    nbgrader scores a tests cell by whether it raises, so each graded check cell of the instructor
    edition calls ``grade("name", answer)``. The verdict is check's, with one more rule: an
    implementation answer defined in the course library (any ``rnn_course`` module, e.g.
    ``rnn_course.rnn_step_forward`` handed in as the learner's) is not the learner's work and fails,
    even where check would call it Correct. context is passed on to check unchanged. The
    AssertionError's message is the result's text: the verdict, the diagnosis and the evidence, as the
    learner sees them.
    """
    __tracebackhide__ = True  # pytest leaves this frame out; a tests cell re-raises the message from its own line
    ex = _lookup(name)
    result = check(name, answer, **context)
    if result.passed and ex.kind == "implementation" and _is_library_code(answer):
        result = CheckResult(name, ex.title, FAILED, _sentence(
            f"your answer is the course library's own {getattr(answer, '__name__', 'function')} "
            f"(from {answer.__module__}), not a function you wrote: this exercise asks you to write it"))
    if not result.passed:
        raise AssertionError(str(result))
    return result


def _is_library_code(answer):
    module = getattr(answer, "__module__", None) or ""
    return module == "rnn_course" or module.startswith("rnn_course.")


def _run_checker(ex, name, answer, context):
    # An answer that calls another exercise's function (rnn_forward calling rnn_step_forward) runs
    # with whichever one the learner's notebook holds; the verdict says which that was.
    uses = uses_sentence(answer, _IMPLEMENTATIONS - {name}, is_stub) if ex.kind == "implementation" else ""
    try:
        message = ex.checker(answer, **context)
    except NotAttempted:
        return CheckResult(name, ex.title, NOT_ATTEMPTED,
                           "not attempted yet: your function still raises NotImplementedError.")
    except Fail as fail:
        return CheckResult(name, ex.title, FAILED, _and(_sentence(fail.message), uses), fail.details)
    except Exception as exc:  # a checker must never crash on a learner's answer
        return CheckResult(name, ex.title, FAILED,
                           _and(_sentence(f"the check could not use your answer: {last_line(exc)}"), uses))
    return CheckResult(name, ex.title, PASSED, _and(message, uses))


def _a(noun):
    if noun == "ndarray":
        return "a numpy array"
    return ("an " if noun[:1].lower() in "aeiou" else "a ") + noun


def _function_name(ex):
    return "make_lstm_lm" if ex.name == "charlm_lstm" else ex.name


def _show_prints(printed):
    """Show what the learner's function printed during the check: the first lines, and how many were cut."""
    lines = printed.report()
    if lines:
        print(f"Your function printed {printed.total:,} line{'s' if printed.total != 1 else ''} during the check "
              f"(its prints and warnings):")
        print("\n".join(lines))


def hint(name, level=1) -> Hint:
    """Hint number ``level`` (1: a nudge, 2: where to look, 3: almost the answer)."""
    ex = _lookup(name)
    if isinstance(level, bool) or not isinstance(level, (int, np.integer)):
        raise TypeError(f"hint: level must be the whole number 1, 2 or 3, got {level!r} "
                        f"(a {type(level).__name__}); e.g. hint({name!r}, 2)")
    if level not in range(1, len(ex.hints) + 1):
        raise ValueError(f"hint: level must be 1, 2 or 3, got {level!r}")
    level = int(level)
    allowed = _max_hint()
    if level > allowed:
        last = f"; hint({name!r}, {allowed}) is the last one" if allowed else ""
        return Hint(name, level, len(ex.hints), f"hints above level {allowed} are turned off for this "
                                               f"graded assignment (by your instructor){last}.")
    return Hint(name, level, len(ex.hints), ex.hints[level - 1])


def _max_hint():
    """The highest hint level shown: RNN_COURSE_MAX_HINT (0 to 3) when set, else 3."""
    text = os.environ.get("RNN_COURSE_MAX_HINT", "").strip()
    if not text:
        return 3
    if not text.isdigit():
        raise ValueError(f"RNN_COURSE_MAX_HINT must be a whole number from 0 to 3, got {text!r}")
    return min(int(text), 3)


def _lookup(name):
    if name not in EXERCISES:
        close = difflib.get_close_matches(str(name), list(EXERCISES), n=3)
        suggestion = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else "."
        raise ValueError(f"check: no exercise named {name!r}{suggestion} The exercises are: {', '.join(EXERCISES)}")
    return EXERCISES[name]


def _unattempted(ex, answer):
    if ex.kind == "implementation":
        return answer is None or answer is Ellipsis or (callable(answer) and is_stub(answer))
    return answer is None or answer is Ellipsis


# Words that may open a message and are the book's names for things: never capitalised ("h_next", "db").
_NAMES = {"h", "x", "y", "out", "params", "db", "dx", "dh", "dh0", "ids", "lengths", "logits", "dlogits", "mask", "grads", "output",
          "loss", "rng", "seed", "temperature", "b", "r", "z", "n", "i", "f", "g", "o", "c", "q"}


def _and(message, sentence):
    """The message, then the sentence when there is one."""
    if not sentence:
        return message
    message = message.strip()
    return f"{message if message.endswith(('.', '?', '!')) else message + '.'} {sentence}"


def _sentence(text):
    """Make text a sentence: a full stop at the end, and a capital at the start only when the first word is
    an ordinary word; a name from the code (`h_next`, `rnn_step_forward`, `dWx`, `db`) keeps its spelling."""
    text = text.strip()
    first = text.split(" ", 1)[0].rstrip(":,;.") if text else ""
    if first.isalpha() and first.islower() and first not in _NAMES and first not in EXERCISES:
        text = text[0].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else text + "."
