"""Give the theme's disclosure controls names a screen reader can announce.

Two kinds of <summary> in the built pages fail WCAG 2.1 (axe-core's rules in
brackets):

- pydata-sphinx-theme 0.17 gives a chapter with sections, in the sidebar, an
  expand toggle `<summary><span class="toctree-toggle" role="presentation">`
  with an icon and no text, so it has no name at all [summary-name, 4.1.2].
  This adds visually hidden text inside it: "Sections of <the chapter's
  title>"; the expanded or collapsed state is the <details> element's own.
- myst-nb 1.4 labels every hidden-code toggle aria-label="Toggle hidden
  content", while it shows "Show code cell source": a speech-input user who
  says what they see is not understood [label-content-name-mismatch, 2.5.3].
  This drops the label, so the visible words are the name.

The theme's search button and colour-mode switch have the same mismatch; their
templates are overridden in book/_templates/ (each says why).
tests/test_browser.py runs axe-core on every page, in light and dark mode.
Drop each part when the theme, or myst-nb, names its controls itself.
"""

from __future__ import annotations

from bs4 import BeautifulSoup

HIDDEN_LABEL_CLASS = "visually-hidden"  # Bootstrap's, shipped with the theme
MYST_NB_SUMMARY = '<summary aria-label="Toggle hidden content">\n'


def name_nav_toggles(html: str) -> str:
    """Put 'Sections of <title>' inside every nameless toctree <summary> in `html`."""
    if "<summary" not in html:
        return html
    soup = BeautifulSoup(html, "html.parser")
    for summary in soup.select("li.has-children > details > summary"):
        if summary.get_text(strip=True) or summary.get("aria-label"):
            continue
        link = summary.find_parent("li").find("a", recursive=False)
        title = link.get_text(" ", strip=True) if link else ""
        label = soup.new_tag("span", attrs={"class": HIDDEN_LABEL_CLASS})
        label.string = f"Sections of {title}" if title else "Sections"
        summary.append(label)
    return str(soup)


def _wrap_toctree(app, pagename, templatename, context, doctree):
    generate = context.get("generate_toctree_html")
    if generate is None or getattr(generate, "names_nav_toggles", False):
        return

    def generate_named(*args, **kwargs):
        return name_nav_toggles(str(generate(*args, **kwargs)))

    generate_named.names_nav_toggles = True
    context["generate_toctree_html"] = generate_named


def _visit_hide_cell_named_by_its_text(original_visit):
    def visit(self, node):
        start = len(self.body)
        original_visit(self, node)
        for i in range(start, len(self.body)):
            if self.body[i] == MYST_NB_SUMMARY:
                self.body[i] = "<summary>\n"

    return visit


def setup(app):
    # After pydata-sphinx-theme has put generate_toctree_html into the context.
    app.connect("html-page-context", _wrap_toctree, priority=900)

    app.setup_extension("myst_nb")
    from myst_nb.sphinx_ import HideCodeCellNode, depart_HideCellInput, visit_HideCellInput

    app.add_node(
        HideCodeCellNode,
        override=True,
        html=(_visit_hide_cell_named_by_its_text(visit_HideCellInput), depart_HideCellInput),
    )
    return {"parallel_read_safe": True, "parallel_write_safe": True}
