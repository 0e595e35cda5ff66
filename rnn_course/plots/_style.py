"""The book's figure style, shared by every module of rnn_course.plots."""

from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt
from matplotlib.patches import FancyBboxPatch

# One palette for the whole book: inputs blue, hidden state orange, outputs
# green, padding grey, accents red/purple.
COLORS = {
    "input": "#1c7ed6",
    "hidden": "#f08c00",
    "output": "#2f9e44",
    "pad": "#adb5bd",
    "accent": "#c92a2a",
    "extra": "#7048e8",
    "text": "#212529",
    "light": "#f1f3f5",
}

_STYLE = {
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "axes.facecolor": "white",
    "axes.edgecolor": "#495057",
    "axes.labelcolor": COLORS["text"],
    "axes.titlesize": 12,
    "axes.titleweight": "bold",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "font.size": 10.5,
    "text.color": COLORS["text"],
    "xtick.color": "#495057",
    "ytick.color": "#495057",
    "figure.dpi": 110,
    "savefig.dpi": 200,
    "axes.prop_cycle": matplotlib.cycler(color=[COLORS[k] for k in ("input", "hidden", "output", "accent",
                                                                   "extra")]),
}
_configured = False


def use_style():
    """Apply the book's style (and, inside Jupyter, high-dpi 'retina' PNGs). Idempotent."""
    global _configured
    plt.rcParams.update(_STYLE)
    if not _configured:
        _configured = True
        try:
            from IPython import get_ipython
            from matplotlib_inline.backend_inline import set_matplotlib_formats

            if get_ipython() is not None:
                set_matplotlib_formats("retina")
        except ImportError:  # plain Python: nothing to configure
            pass


def finish(fig):
    """Close the figure in pyplot and return it: a notebook shows the returned
    figure exactly once (pyplot would otherwise show it again at the cell's end)."""
    plt.close(fig)
    return fig


def box(ax, x, y, w, h, text, color, text_color="white", fontsize=10.5, alpha=1.0, family=None):
    ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.02,rounding_size=0.08",
                                facecolor=color, edgecolor="none", alpha=alpha))
    ax.text(x + w / 2, y + h / 2, text, ha="center", va="center", color=text_color, fontsize=fontsize,
            family=family)


