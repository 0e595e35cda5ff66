"""Give every exercise and solution body its own HTML id.

sphinx-exercise 1.2.1 wraps the body of every exercise in a section with
id="exercise-content" and every solution in one with id="solution-content",
so a page with three exercises has each id three times. Duplicate ids are
invalid HTML, and assistive technology and in-page links that resolve ids pick
the first one. This numbers them per page (exercise-content-1, -2, ...) and
keeps the old name as a class, for any stylesheet that wants it. Drop it when
sphinx-exercise makes the ids unique itself.
"""

from __future__ import annotations

from docutils import nodes

SHARED_IDS = ("exercise-content", "solution-content")


def _number_shared_ids(app, doctree, docname):
    counts = dict.fromkeys(SHARED_IDS, 0)
    for section in doctree.findall(nodes.section):
        for shared in SHARED_IDS:
            if shared in section["ids"]:
                counts[shared] += 1
                section["ids"] = [i if i != shared else f"{shared}-{counts[shared]}" for i in section["ids"]]
                section["classes"].append(shared)


def setup(app):
    app.connect("doctree-resolved", _number_shared_ids)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
