"""Every figure in the book, drawn by one package in one style.

Each function draws one figure and returns the matplotlib Figure (closed in
pyplot, so a notebook cell that ends with the call shows it exactly once);
chapters call them from cells tagged ``hide-input``, so the page shows the
figure and the code is one click away. The style (``_style.py``): a white card
(readable on the book's light and dark themes alike), one palette, high-dpi
output. One module per chapter or topic:

    sequences   chapter 1: sentence_to_batch, one_hot_vs_embedding
    memory      chapter 3: unrolled_rnn, hidden_state_heatmap, influence_over_time
    equations   chapter 4: shapes, worked_example, gradient_norms
"""

from ._style import COLORS, use_style
from . import equations, memory
from .sequences import one_hot_vs_embedding, sentence_to_batch

__all__ = ["COLORS", "use_style", "sentence_to_batch", "one_hot_vs_embedding", "memory", "equations"]
