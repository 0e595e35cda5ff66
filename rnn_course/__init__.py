"""rnn_course: the numpy library behind the RNN course book.

Notation, used in every docstring: N batch size, T time steps, d input size,
D hidden size, V vocabulary size or number of classes.

Functional API (forward/backward pairs):
    rnn_step_forward, rnn_step_backward, rnn_forward, rnn_backward

Modules shaped like torch.nn (batch_first=True):
    RNN

Gradient checking:
    rnn_course.gradcheck: numerical_gradient, rel_error, check_gradients,
    check_module_gradients
"""

from . import gradcheck
from .rnn import RNN, rnn_backward, rnn_forward, rnn_step_backward, rnn_step_forward

__version__ = "0.1.0"

__all__ = [
    "RNN",
    "gradcheck",
    "rnn_backward",
    "rnn_forward",
    "rnn_step_backward",
    "rnn_step_forward",
]
