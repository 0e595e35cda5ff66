"""Write each inline <script> once per page.

Sphinx 7 (the series Jupyter Book 1 pins) adds an inline script that an
extension registers after the builder starts twice: once as filename None,
once as ''. sphinx-thebe's `const THEBE_JS_URL = ...` is one, and the second
copy throws "Identifier 'THEBE_JS_URL' has already been declared" in every
page's console. Fixed upstream in Sphinx 8 (sphinx-doc/sphinx#13402); drop
this extension when the book moves to a Sphinx with that fix.
"""

from __future__ import annotations

import os


def _drop_duplicate_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not isinstance(scripts, list):
        return
    seen, unique = set(), []
    for js in scripts:
        attributes = getattr(js, "attributes", {})
        key = (
            os.fspath(getattr(js, "filename", js) or ""),
            getattr(js, "priority", None),
            tuple(sorted((k, str(v)) for k, v in attributes.items())),
        )
        if key not in seen:
            seen.add(key)
            unique.append(js)
    scripts[:] = unique


def setup(app):
    app.connect("html-page-context", _drop_duplicate_scripts)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
