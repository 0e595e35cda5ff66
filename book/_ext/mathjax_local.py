"""Serve MathJax from the book when the vendored copy is there; say so loudly when not.

The book ships MathJax under book/_vendor/html_extra/mathjax (see the README
there), so pages typeset math with no network. If that copy is missing (a
partial checkout, or someone removed it to update it), building must not fail:
this falls back to the same MathJax version on a CDN, drops the missing
html_extra_path entry (Sphinx would warn about it, and -W makes that fatal),
and prints what happened and how to restore offline math.
"""

from __future__ import annotations

from pathlib import Path

from sphinx.util import logging

CDN = "https://cdn.jsdelivr.net/npm/mathjax@3.2.2/es5/tex-chtml-full.js"
VENDORED = "mathjax/es5/tex-chtml-full.js"  # inside an html_extra_path folder

logger = logging.getLogger(__name__)


def _extra_dirs(app):
    for entry in app.config.html_extra_path:
        path = Path(entry)
        yield entry, path if path.is_absolute() else Path(app.confdir) / path


def _use_vendored_or_cdn(app, config):
    if not str(config.mathjax_path).endswith(VENDORED.split("/", 1)[1]):
        return  # mathjax_path was set to something else on purpose
    extra = list(_extra_dirs(app))
    if any((folder / VENDORED).is_file() for _, folder in extra):
        return
    config.html_extra_path = [entry for entry, folder in extra if folder.is_dir()]
    config.mathjax_path = CDN
    logger.info(
        "NOTE: the vendored MathJax (book/_vendor/html_extra/%s) is missing, so these pages load "
        "MathJax from %s and need the network to show equations. Restore the folder from git, or "
        "run book/_vendor/update_mathjax.sh, for offline math.", VENDORED, CDN, color="red")


def setup(app):
    app.connect("config-inited", _use_vendored_or_cdn, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
