"""Helpers for the figure tests (tests/test_plots_*.py): read a drawn figure back."""


def texts(ax):
    """The strings of every text artist placed on one axes."""
    return [t.get_text() for t in ax.texts]


def assert_patches_inside(ax):
    """Every box (patch) lies inside the axes' limits: nothing is cut off."""
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    for p in ax.patches:
        assert x0 <= p.get_x() and p.get_x() + p.get_width() <= x1, p.get_gid()
        assert y0 <= p.get_y() and p.get_y() + p.get_height() <= y1, p.get_gid()
