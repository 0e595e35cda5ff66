"""rnn_course: the numpy library behind the RNN course book.

Notation, used in every docstring: N batch size, T time steps, d input size,
D hidden size, V vocabulary size or number of classes.

Functional API (forward/backward pairs, in rnn_course.rnn, .layers):
    rnn_step_forward, rnn_step_backward, rnn_forward, rnn_backward
    lstm_step_forward, lstm_step_backward, lstm_forward, lstm_backward
    gru_step_forward, gru_step_backward, gru_forward, gru_backward
    embedding_forward/backward, linear_forward/backward, last_step_forward/backward

Modules shaped like torch.nn (batch_first=True):
    RNN, LSTM, GRU, Embedding, Linear

Training: softmax_cross_entropy, mse_loss, SGD, Adam, clip_grad_norm
Data: one_hot, pad_sequences, length_mask
Gradient checking: rnn_course.gradcheck; exercises: rnn_course.exercises
"""

from . import gradcheck, layers, losses, optim
from .layers import Embedding, Linear, length_mask, one_hot, pad_sequences
from .losses import mse_loss, softmax_cross_entropy
from .module import Module
from .optim import SGD, Adam, clip_grad_norm
from .gru import GRU, gru_backward, gru_forward, gru_step_backward, gru_step_forward
from .lstm import LSTM, lstm_backward, lstm_forward, lstm_step_backward, lstm_step_forward
from .rnn import RNN, rnn_backward, rnn_forward, rnn_step_backward, rnn_step_forward

__version__ = "0.1.0"

__all__ = [
    "RNN", "LSTM", "GRU", "Embedding", "Linear", "Module",
    "rnn_step_forward", "rnn_step_backward", "rnn_forward", "rnn_backward",
    "lstm_step_forward", "lstm_step_backward", "lstm_forward", "lstm_backward",
    "gru_step_forward", "gru_step_backward", "gru_forward", "gru_backward",
    "one_hot", "pad_sequences", "length_mask",
    "softmax_cross_entropy", "mse_loss",
    "SGD", "Adam", "clip_grad_norm",
    "gradcheck", "layers", "losses", "optim",
]
