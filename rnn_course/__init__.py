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

- Training: softmax_cross_entropy, mse_loss, SGD, Adam, clip_grad_norm
- Data: one_hot, pad_sequences, length_mask
- Gradient checking: rnn_course.gradcheck; exercises: rnn_course.exercises
- Models and tasks: rnn_course.models, rnn_course.tasks (python -m rnn_course train TASK)
"""

import os as _os
import sys as _sys

# The library multiplies small matrices (D = 16 to 256), where a multi-threaded
# BLAS mostly adds overhead, and 2 to 5 times more of it on a shared machine
# (measured on the course's tasks). So, unless you have chosen yourself, BLAS
# runs one thread. This can only take effect before numpy is first imported,
# which is the case for `python -m rnn_course`; `make book`/`make test`/`make
# lab` set it in the environment; a session that imported numpy first keeps
# numpy's own default.
if "numpy" not in _sys.modules:
    for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        _os.environ.setdefault(_var, "1")

from . import gradcheck, layers, losses, optim  # noqa: E402
from .layers import Embedding, Linear, length_mask, one_hot, pad_sequences  # noqa: E402
from .losses import mse_loss, softmax_cross_entropy  # noqa: E402
from .module import Module  # noqa: E402
from .optim import SGD, Adam, clip_grad_norm  # noqa: E402
from .gru import GRU, gru_backward, gru_forward, gru_step_backward, gru_step_forward  # noqa: E402
from .lstm import LSTM, lstm_backward, lstm_forward, lstm_step_backward, lstm_step_forward  # noqa: E402
from .rnn import RNN, rnn_backward, rnn_forward, rnn_step_backward, rnn_step_forward  # noqa: E402

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
