"""Every figure in the book, drawn by one package in one style.

Each function draws one figure and returns the matplotlib Figure (closed in
pyplot, so a notebook cell that ends with the call shows it exactly once);
chapters call them from cells tagged ``hide-input``, so the page shows the
figure and the code is one click away. The style (``_style.py``): a white card
(readable on the book's light and dark themes alike), one palette, high-dpi
output. One module per chapter or topic, used as ``plots.memory.unrolled_rnn()``:

    sequences   chapter 1: sentence_to_batch, one_hot_vs_embedding
    recurrence  chapter 2: feedforward_vs_recurrent, accuracy_by_distance, shared_vs_separate_weights
    memory      chapter 3: unrolled_rnn, hidden_state_heatmap, influence_over_time, unit_around_marker
    equations   chapter 4: shapes, worked_example, gradient_norms
    topologies  chapter 5: shapes, tagged_sentences, captioned_digits, series_forecast
    deep        chapter 6: stacked_rnn, bidirectional_rnn, bidirectional_states
    gradients   chapter 7: jacobian_norms, tanh_saturation, clipping_runs, truncation
    gates       chapter 8: lstm_cell, gru_cell, stacked_weights, memory_gradients, accuracy_by_init
    training    any chapter that trains: loss_curves (from fit's History), accuracy_vs_delay
    language    chapter 9: learning_curve (against a baseline), unit_heatmap
"""

from . import deep, equations, memory, recurrence, sequences, topologies, training
from . import language
from . import gates
from . import gradients
from ._style import COLORS, use_style
from .recurrence import accuracy_by_distance, feedforward_vs_recurrent, shared_vs_separate_weights
from .sequences import one_hot_vs_embedding, sentence_to_batch

__all__ = ["COLORS", "use_style", "sequences", "recurrence", "memory", "equations", "deep", "training", "topologies",
           "language", "gates", "gradients",
           "sentence_to_batch", "one_hot_vs_embedding",
           "feedforward_vs_recurrent", "accuracy_by_distance", "shared_vs_separate_weights"]
