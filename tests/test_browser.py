"""The built book as readers get it, checked in a real browser (issue 9).

`make test` builds the book into _build/html first; this module then serves the
build on 127.0.0.1 from a thread and opens every page of _toc.yml in headless
Chromium: Debian's /usr/bin/chromium, driven by Playwright. No browser is ever
downloaded. Every request a page makes is recorded, and one to any host but the
local server fails the test: that is the proof the book reads offline.

Every page is also checked for readers who use a screen reader, zoom or the
keyboard (issue 20): axe-core (vendored in tests/vendor/) runs its WCAG 2.1 A
and AA rules on it in light and dark mode, its math must carry MathJax's
assistive MathML, its figures' alt texts must say what they show
(tests/alt_text.py), and at 200% zoom nothing may be cut off. A chapter page is
read from the keyboard: the skip link, visible focus, a solution opened with Enter.

Skips, saying why, when Chromium, Playwright or the built book is missing.
Full-page screenshots for review land in _build/screenshots/.
"""

from __future__ import annotations

import functools
import http.server
import re
import struct
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
import yaml

from alt_text import alt_text_problems

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
SCREENSHOTS = ROOT / "_build" / "screenshots"
# Chromium's path and flags, and the one browser per test process: tests/conftest.py.
from chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
VIEWPORT = {"width": 1280, "height": 900}
TIMEOUT_MS = 30_000

# Search must find this term from chapter 3 on chapter 3's page.
SEARCH_TERM = "footprint"
SEARCH_PAGE = "book/foundations/03_memory_cells"
SEARCH_SOURCE = ROOT / "book" / "foundations" / "03_memory_cells.ipynb"
# A page with a solution dropdown, and a line of the solution's code.
SOLUTION_PAGE = "book/foundations/01_sequences"
SOLUTION_CODE = "np.eye(V)[ids]"
# A word on no page: search must say so rather than list everything.
SEARCH_NONSENSE = "qwxzvbnmlkj"

# A page that always has display and inline math: the notation appendix.
MATH_PAGE = "book/appendix/notation"
# Pages saved as full-page screenshots for review: file stem -> page.
SCREENSHOT_PAGES = {"intro": "book/intro", "notation": MATH_PAGE,
                    "ch1-sequences": SOLUTION_PAGE, "ch3-memory-cells": SEARCH_PAGE,
                    "ch4-rnn-math": "book/foundations/04_rnn_math",
                    "ch5-topologies": "book/architectures/05_topologies",
                    "ch8-lstm-gru": "book/beyond/08_lstm_gru",
                    "ch9-char-lm": "book/beyond/09_char_lm",
                    "glossary": "book/appendix/glossary"}

# Alt text that is just a file name, which is what a figure gets when none is given.
IMAGE_PATH = re.compile(r"\.(png|svg|jpe?g|gif|webp)$", re.IGNORECASE)

# axe-core, the accessibility engine (tests/vendor/README.md), and the rules it runs:
# every WCAG 2.0 and 2.1 success criterion of levels A and AA that it automates.
AXE_JS = ROOT / "tests" / "vendor" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
MODES = ("light", "dark")
# Browser zoom at 200% on the 1280 x 900 window lays the page out in half the CSS pixels.
ZOOM_200 = {"width": VIEWPORT["width"] // 2, "height": VIEWPORT["height"] // 2}
# TeX that MathJax should have replaced: $...$, $$, \(, \), \[, \], \begin{.
RAW_TEX = re.compile(r"\$\$|\$[^$\n]+\$|\\[()\[\]]|\\begin\{")


# ---------------------------------------------------------------------------
# The pages of the book, from _toc.yml


def _toc_files(node) -> list[str]:
    """Every `file:` entry under a _toc.yml node, in reading order."""
    found = []
    if isinstance(node, dict):
        if "file" in node:
            found.append(node["file"])
        for key in ("parts", "chapters", "sections"):
            for child in node.get(key) or []:
                found += _toc_files(child)
    return found


def toc_pages() -> list[str]:
    """The docnames of the book (root first), e.g. 'book/appendix/notation'."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"], *_toc_files(toc)]
    return [re.sub(r"\.(md|ipynb|rst)$", "", f) for f in files]


PAGES = toc_pages()


# ---------------------------------------------------------------------------
# Fixtures: the built book, a local server, a browser


@pytest.fixture(scope="session")
def built_book() -> Path:
    if not (HTML / "index.html").is_file():
        pytest.skip(f"no built book at {HTML}: run `make test` (or `make book`) first")
    return HTML


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the stdlib's name
        pass


@pytest.fixture(scope="session")
def base_url(built_book: Path):
    """The built book served on 127.0.0.1 from a thread, e.g. http://127.0.0.1:PORT/."""
    handler = functools.partial(_QuietHandler, directory=str(built_book))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def browser(built_book: Path, chromium):
    """The test process's headless Chromium (tests/conftest.py), once a built book exists."""
    return chromium


# ---------------------------------------------------------------------------
# Opening a page and recording what it does


@dataclass
class Recorder:
    """Everything a page did that a test may want to refuse."""

    origin: str
    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    failed_local: list[str] = field(default_factory=list)

    @property
    def external(self) -> list[str]:
        return [
            url
            for url in self.requests
            if urlsplit(url).scheme not in ("data", "blob", "about")
            and not url.startswith(self.origin)
        ]

    def problems(self) -> list[str]:
        """Everything wrong, one line each: requests outside the book, failures, console errors."""
        return (
            [f"request outside the book: {url}" for url in self.external]
            + [f"failed request: {failure}" for failure in self.failed_local]
            + [f"console error: {error}" for error in self.console_errors]
        )


def open_page(browser, base_url: str, path: str, *, color_scheme: str = "light"):
    """Open `path` in a fresh browser context; return (page, recorder).

    The context starts with empty storage, so one test's theme choice cannot
    leak into another. Requests to any other host are recorded, then aborted,
    so a run with the network up behaves as one without.
    """
    context = browser.new_context(viewport=VIEWPORT, color_scheme=color_scheme)
    context.set_default_timeout(TIMEOUT_MS)
    rec = Recorder(origin=base_url)

    context.on("request", lambda request: rec.requests.append(request.url))
    context.on(
        "requestfailed",
        lambda request: request.url.startswith(base_url)
        and rec.failed_local.append(f"{request.url}: {request.failure}"),
    )
    context.on(
        "response",
        lambda response: response.url.startswith(base_url)
        and response.status >= 400
        and rec.failed_local.append(f"{response.url}: HTTP {response.status}"),
    )

    def _route(route):
        if route.request.url.startswith(base_url):
            route.continue_()
        else:
            route.abort()

    context.route("**/*", _route)
    page = context.new_page()
    page.on(
        "console",
        lambda msg: msg.type == "error"
        and rec.console_errors.append(f"{msg.text} [{msg.location.get('url', '')}]"),
    )
    page.on("pageerror", lambda error: rec.console_errors.append(f"uncaught: {error}"))
    page.goto(base_url + path, wait_until="load")
    settle(page)
    return page, rec


def settle(page) -> None:
    """Wait until MathJax has typeset, fonts and images have loaded, the network is quiet."""
    page.wait_for_load_state("networkidle")
    page.evaluate(
        """async () => {
            const startup = window.MathJax && window.MathJax.startup;
            if (startup && startup.promise) await startup.promise;
            await document.fonts.ready;
        }"""
    )
    page.wait_for_function("Array.from(document.images).every(img => img.complete)")
    page.wait_for_load_state("networkidle")


# What a page shows, read once per page and shared by the checks below.
_PAGE_FACTS_JS = """() => {
    // Visible text outside code and outside MathJax's own output.
    const skip = "pre, code, script, style, textarea, mjx-container";
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const texts = [];
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const el = node.parentElement;
        if (!el || el.closest(skip) || !el.checkVisibility()) continue;
        if (node.nodeValue.trim()) texts.push(node.nodeValue);
    }
    const math = Array.from(document.querySelectorAll(".math"));
    return {
        text: texts.join("\\n"),
        mathjaxScript: Array.from(document.scripts).some(s => /mathjax/i.test(s.src)),
        mathCount: math.length,
        untypeset: math.filter(m => !m.querySelector("mjx-container"))
                       .map(m => m.textContent.trim().slice(0, 80)),
        containers: document.querySelectorAll("mjx-container").length,
        emptyContainers: Array.from(document.querySelectorAll("mjx-container"))
            .filter(c => c.checkVisibility() && c.getBoundingClientRect().width === 0).length,
        mathErrors: Array.from(document.querySelectorAll("mjx-merror"))
            .map(e => e.textContent.slice(0, 80)),
        // What a screen reader reads for each equation: MathJax's assistive MathML,
        // beside a visual rendering hidden from it. None for math read as CSS glyphs only.
        unreadableMath: Array.from(document.querySelectorAll("mjx-container")).filter(c => {
            const mml = c.querySelector(":scope > mjx-assistive-mml > math");
            const visual = c.querySelector(":scope > mjx-math");
            return !mml || !mml.textContent.trim() || getComputedStyle(mml.parentElement).display === "none"
                || !visual || visual.getAttribute("aria-hidden") !== "true";
        }).map(c => c.textContent.slice(0, 80)),
        assistiveMath: document.querySelectorAll("mjx-container > mjx-assistive-mml > math").length,
        // The book's own figures (not the logo), each with its caption's text.
        figures: Array.from(document.querySelectorAll("article img")).map(img => {
            const caption = img.closest("figure")?.querySelector("figcaption .caption-text, figcaption");
            return {src: img.currentSrc || img.src, alt: img.getAttribute("alt"),
                    caption: caption ? caption.textContent.trim() : null};
        }),
        images: Array.from(document.images).map(img => ({
            src: img.currentSrc || img.src,
            width: img.naturalWidth,
            height: img.naturalHeight,
            alt: img.getAttribute("alt"),
        })),
        nav: Array.from(document.querySelectorAll("nav.bd-docs-nav a[href]")).map(a => a.href),
    };
}"""


# ---------------------------------------------------------------------------
# Accessibility: axe-core, and what 200% zoom cuts off


@functools.cache
def _axe_source() -> str:
    return AXE_JS.read_text(encoding="utf-8")


def run_axe(page) -> list[dict]:
    """axe-core's WCAG 2.1 A/AA violations on the page as it is now, one dict per rule."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(content=_axe_source())
    return page.evaluate(
        """async tags => {
            const results = await axe.run(document, {
                runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
            return results.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => ({target: n.target.join(" "), html: n.html,
                                          summary: n.failureSummary})),
            }));
        }""",
        AXE_TAGS,
    )


def format_violations(violations: list[dict]) -> str:
    """Each rule, then each element that breaks it: its selector, its HTML and what to fix."""
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']}, {len(v['nodes'])} element(s)")
        for node in v["nodes"]:
            lines.append(f"    {node['target']}\n      {node['html'][:300]}")
            lines += [f"      {line.strip()}" for line in node["summary"].splitlines()[1:]]
    return "\n".join(lines)


def set_color_scheme(page, scheme: str) -> str:
    """Switch the reader's system colour scheme; the theme (in "auto" mode) follows. Returns the theme."""
    page.emulate_media(color_scheme=scheme)
    page.wait_for_function("s => document.documentElement.dataset.theme === s", arg=scheme)
    # The theme fades some colours over a CSS transition (the search button's background):
    # read the page only once every transition has ended, or axe measures a colour half-way.
    page.evaluate(_SETTLED_JS)
    return page.evaluate("document.documentElement.dataset.theme")


_SETTLED_JS = """async () => {
    await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
    await Promise.all(document.getAnimations()
        .filter(a => a.effect && a.effect.getComputedTiming().endTime !== Infinity)
        .map(a => a.finished.catch(() => null)));
}"""


# At 200% zoom: what sticks out of the page sideways, and what a box cuts off.
# An equation is one box here: MathJax draws it in thousands of small elements.
_ZOOM_FACTS_JS = """async () => {
    // The new layout, once the theme's sliding drawers have finished moving away.
    await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
    await Promise.all(document.getAnimations()
        .filter(a => a.effect && a.effect.getComputedTiming().endTime !== Infinity)
        .map(a => a.finished.catch(() => null)));
    const name = el => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
        + (el.classList.length ? "." + Array.from(el.classList).slice(0, 2).join(".") : "");
    const width = document.documentElement.clientWidth;
    const offPage = [], clipped = [];
    // Code, wide equations and tables may scroll sideways in their own box (WCAG 1.4.10).
    const inScroller = new Map([[document.body, false]]);
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_ELEMENT, {
        acceptNode: el => !el.checkVisibility({visibilityProperty: true})
            || el.matches(".visually-hidden, .sr-only, mjx-assistive-mml")
            ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT,
    });
    for (let el = walker.nextNode(); el; el = el.tagName === "MJX-CONTAINER"
             ? (walker.currentNode = el, walker.nextSibling() || nextOutside(el)) : walker.nextNode()) {
        const s = getComputedStyle(el);
        const parentScrolls = inScroller.get(el.parentElement) ?? false;
        inScroller.set(el, parentScrolls || ["auto", "scroll"].includes(s.overflowX));
        const r = el.getBoundingClientRect();
        if (r.width > 0 && r.right > width + 1 && !parentScrolls)
            offPage.push(`${name(el)} reaches x=${Math.round(r.right)}`);
        // Overflow does not apply to inline boxes. The theme's box around an
        // equation (overflow: hidden) reports MathJax's glyph boxes as overflow at
        // any zoom while the whole equation shows; equations are checked above.
        // A closed solution (.toggle-hidden) hides its text until it is opened.
        if (s.display === "inline" || el.matches("span.math, div.math, .toggle-hidden")) continue;
        const cutsX = ["hidden", "clip"].includes(s.overflowX) && el.scrollWidth > el.clientWidth + 1;
        const cutsY = ["hidden", "clip"].includes(s.overflowY) && el.scrollHeight > el.clientHeight + 1;
        if ((cutsX || cutsY) && el.innerText.trim())
            clipped.push(`${name(el)}: ${el.innerText.trim().slice(0, 60)}`);
    }
    function nextOutside(el) {
        for (let a = el; a && a !== document.body; a = a.parentElement) {
            walker.currentNode = a;
            const next = walker.nextSibling();
            if (next) return next;
        }
        return null;
    }
    return {width, pageWidth: document.documentElement.scrollWidth,
            offPage: offPage.slice(0, 10), clipped: clipped.slice(0, 10)};
}"""


@dataclass
class Visit:
    url: str
    rec: Recorder
    facts: dict
    # "light"/"dark" -> the theme axe ran in and its violations
    axe: dict[str, dict] = field(default_factory=dict)
    zoom: dict = field(default_factory=dict)  # _ZOOM_FACTS_JS at 200%


@pytest.fixture(scope="session")
def visit(browser, base_url):
    """visit(docname) -> Visit: each page is opened once and its facts shared.

    One load per page serves every per-page test: the facts are read, axe runs
    in light mode, the reader's system turns dark (the theme follows, as it
    does on a real machine) and axe runs again, then the window is zoomed to 200%.
    """
    cache: dict[str, Visit] = {}

    def _visit(docname: str) -> Visit:
        if docname not in cache:
            page, rec = open_page(browser, base_url, f"{docname}.html")
            try:
                found = Visit(page.url, rec, page.evaluate(_PAGE_FACTS_JS))
                for mode in MODES:
                    theme = set_color_scheme(page, mode)
                    found.axe[mode] = {"theme": theme, "violations": run_axe(page)}
                page.set_viewport_size(ZOOM_200)
                found.zoom = page.evaluate(_ZOOM_FACTS_JS)
                cache[docname] = found
            finally:
                page.context.close()
        return cache[docname]

    return _visit


def _local_path(url: str, base_url: str) -> str:
    """'http://127.0.0.1:P/book/x.html#a' -> 'book/x.html'."""
    return urlsplit(url).path[len(urlsplit(base_url).path) :]


# ---------------------------------------------------------------------------
# Every page


def test_toc_has_the_pages_these_tests_name():
    assert PAGES[0] == "book/intro" and MATH_PAGE in PAGES and SEARCH_PAGE in PAGES


@pytest.mark.parametrize("docname", PAGES)
def test_page_is_built(built_book, docname):
    assert (built_book / f"{docname}.html").is_file(), f"{docname} is in _toc.yml but not built"


@pytest.mark.parametrize("docname", PAGES)
def test_page_loads_offline_without_errors(visit, docname):
    problems = visit(docname).rec.problems()
    assert not problems, f"{docname}:\n" + "\n".join(problems)


@pytest.mark.parametrize("docname", PAGES)
def test_math_is_typeset(visit, docname):
    f = visit(docname).facts
    assert not f["untypeset"], f"{docname}: math left untypeset: {f['untypeset']}"
    assert f["containers"] >= f["mathCount"], f"{docname}: fewer MathJax outputs than equations"
    assert not f["emptyContainers"], f"{docname}: {f['emptyContainers']} equations render empty"
    assert not f["mathErrors"], f"{docname}: MathJax errors: {f['mathErrors']}"
    assert not f["unreadableMath"], (
        f"{docname}: equations without assistive MathML for screen readers: {f['unreadableMath'][:5]}"
    )
    raw = RAW_TEX.findall(f["text"])
    assert not raw, f"{docname}: raw TeX in the visible text: {raw[:5]}"


def test_math_page_has_math(visit):
    # Guards the check above against passing on nothing: the notation page has
    # equations, and they came out as MathJax output from the local copy.
    f = visit(MATH_PAGE).facts
    assert f["mathjaxScript"], "the notation page does not load MathJax"
    counts = {key: f[key] for key in ("mathCount", "containers", "untypeset", "assistiveMath")}
    assert f["mathCount"] >= 5 and f["containers"] >= f["mathCount"], counts
    assert f["assistiveMath"] == f["containers"], counts


@pytest.mark.parametrize("docname", PAGES)
def test_images_load_and_have_alt_text(visit, docname):
    images = visit(docname).facts["images"]
    broken = [img["src"] for img in images if not (img["width"] > 0 and img["height"] > 0)]
    assert not broken, f"{docname}: images that did not load: {broken}"
    no_alt = [img["src"] for img in images if not (img["alt"] or "").strip()]
    assert not no_alt, f"{docname}: images without alt text: {no_alt}"
    # Sphinx and myst-nb fall back to the image's path as its alt text.
    path_alt = [img["alt"] for img in images if IMAGE_PATH.search(img["alt"].strip())]
    assert not path_alt, f"{docname}: alt text that is only a file name: {path_alt}"


@pytest.mark.parametrize("docname", PAGES)
def test_figure_alt_text_says_what_it_shows(visit, docname):
    figures = visit(docname).facts["figures"]
    problems = [f"{fig['src'].rsplit('/', 1)[-1]}: {problem}"
                for fig in figures for problem in alt_text_problems(fig["alt"], fig["caption"])]
    alts = [fig["alt"] for fig in figures]
    problems += [f"alt text shared by {alts.count(alt)} figures: {alt!r}"
                 for alt in sorted(set(alts)) if alts.count(alt) > 1]
    assert not problems, f"{docname}:\n" + "\n".join(problems)


def test_alt_text_check_sees_figures_and_captions(visit):
    # Guards the check above against passing on nothing.
    figures = visit("book/foundations/04_rnn_math").facts["figures"]
    assert len(figures) >= 3 and all(fig["caption"] for fig in figures), figures


@pytest.mark.parametrize("docname", PAGES)
def test_navigation_lists_every_page(visit, base_url, docname):
    linked = {_local_path(url, base_url) for url in visit(docname).facts["nav"]}
    missing = [p for p in PAGES if f"{p}.html" not in linked]
    assert not missing, f"the navigation on {docname} lacks {missing}; it links {sorted(linked)}"


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("docname", PAGES)
def test_page_passes_axe(visit, docname, mode):
    found = visit(docname).axe[mode]
    assert found["theme"] == mode, f"{docname}: the page did not turn {mode}: {found['theme']}"
    violations = found["violations"]
    assert not violations, (
        f"{docname} in {mode} mode breaks {len(violations)} WCAG 2.1 A/AA rule(s) of axe-core:\n"
        + format_violations(violations)
    )


@pytest.mark.parametrize("docname", PAGES)
def test_page_zoomed_to_200_percent_cuts_nothing_off(visit, docname):
    zoom = visit(docname).zoom
    assert zoom["width"] == ZOOM_200["width"], zoom
    assert zoom["pageWidth"] <= zoom["width"] + 1, f"{docname} scrolls sideways at 200%: {zoom}"
    assert not zoom["offPage"], f"{docname} at 200%, off the page: {zoom['offPage']}"
    assert not zoom["clipped"], f"{docname} at 200%, text cut off by its box: {zoom['clipped']}"


# A page that breaks two rules, and the same page mended.
_AXE_BROKEN = """<!doctype html><html lang="en"><head><title>Broken</title></head><body><main>
<h1>A page</h1>
<details><summary><span class="icon"></span></summary><p>Sections.</p></details>
<p style="color: #176de8; background: #ecf3ff">A link-blue sentence on a pale blue box.</p>
</main></body></html>"""
_AXE_MENDED = (_AXE_BROKEN.replace('<span class="icon"></span>', "Sections of a chapter")
               .replace("#176de8", "#1461cf"))


def test_axe_check_catches_a_nameless_summary_and_low_contrast(browser):
    # Guards the axe test against passing on nothing: it must see these two
    # faults, print the element of each, and pass the mended page.
    context = browser.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        page.set_content(_AXE_BROKEN)
        violations = run_axe(page)
        report = format_violations(violations)
        assert {v["id"] for v in violations} == {"summary-name", "color-contrast"}, report
        assert "<summary>" in report and "4.29" in report, report
        page.set_content(_AXE_MENDED)
        assert run_axe(page) == [], format_violations(run_axe(page))
    finally:
        context.close()


_ZOOM_BROKEN = """<!doctype html><html lang="en"><head><title>Broken</title></head><body>
<div style="width: 900px">A line laid out 900 pixels wide.</div>
<div style="width: 200px; height: 1.2em; overflow: hidden">A sentence that needs more
than one line of a narrow box that hides the rest of it.</div></body></html>"""


def test_zoom_check_catches_content_off_the_page_and_cut_off(browser):
    # Guards the 200% check against passing on nothing.
    context = browser.new_context(viewport=ZOOM_200)
    try:
        page = context.new_page()
        page.set_content(_ZOOM_BROKEN)
        zoom = page.evaluate(_ZOOM_FACTS_JS)
        assert zoom["pageWidth"] > zoom["width"] and zoom["offPage"], zoom
        assert any("A sentence that needs" in c for c in zoom["clipped"]), zoom
    finally:
        context.close()


def _focused(page, settle: bool = True) -> dict:
    """What has the keyboard focus, and whether a reader can see where it is."""
    return page.evaluate(
        """async settle => {
            // The skip link slides in when focused: measure where it stops.
            if (settle) await Promise.all(document.getAnimations()
                .filter(a => a.effect && a.effect.getComputedTiming().endTime !== Infinity)
                .map(a => a.finished.catch(() => null)));
            const el = document.activeElement;
            const s = getComputedStyle(el), r = el.getBoundingClientRect();
            const ring = (s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 1)
                || s.boxShadow !== "none";
            return {tag: el.tagName.toLowerCase(), cls: String(el.className).slice(0, 60),
                    text: (el.innerText || el.getAttribute("aria-label") || "").trim().slice(0, 60),
                    focusVisible: el.matches(":focus-visible"), ring,
                    onScreen: r.width > 1 && r.height > 1 && r.bottom > 0 && r.top < innerHeight,
                    inMain: !!el.closest("#main-content")};
        }""",
        settle,
    )


def test_keyboard_skip_link_focus_ring_and_solution_with_enter(browser, base_url):
    page, rec = open_page(browser, base_url, f"{SOLUTION_PAGE}.html")
    try:
        # The first Tab shows the skip link; Enter skips the navigation.
        page.keyboard.press("Tab")
        skip = _focused(page)
        assert skip["text"] == "Skip to main content", skip
        assert skip["onScreen"] and skip["focusVisible"] and skip["ring"], skip
        page.keyboard.press("Enter")
        assert page.evaluate("location.hash") == "#main-content"
        page.keyboard.press("Tab")
        assert _focused(page)["inMain"], f"Tab after the skip link went to {_focused(page)}"

        # Tab on to the solution of exercise 1.2: its toggle shows focus and opens with Enter.
        solution = page.locator("div.solution.dropdown").filter(has_text="Exercise 1.2").first
        code = solution.locator("pre", has_text=SOLUTION_CODE)
        assert not code.is_visible(), "the solution is visible before it is opened"
        # Its title links to the exercise; the button after that link opens it.
        toggle_button = solution.locator("button.toggle-button").element_handle()
        for _ in range(300):
            if page.evaluate("b => b === document.activeElement", toggle_button):
                break
            focus = _focused(page, settle=False)
            assert focus["ring"] or not focus["focusVisible"], f"focus without a visible ring: {focus}"
            page.keyboard.press("Tab")
        else:
            pytest.fail("300 Tabs never reached the solution of exercise 1.2")
        toggle = _focused(page)
        assert toggle["focusVisible"] and toggle["ring"] and toggle["onScreen"], toggle
        page.keyboard.press("Enter")
        code.wait_for(state="visible")
        assert not rec.problems(), "\n".join(rec.problems())
    finally:
        page.context.close()


# ---------------------------------------------------------------------------
# The book as a whole


def test_index_leads_to_the_first_page(browser, base_url):
    page, rec = open_page(browser, base_url, "index.html")
    try:
        assert _local_path(page.url, base_url) == f"{PAGES[0]}.html"
        assert not rec.problems(), "\n".join(rec.problems())
    finally:
        page.context.close()


def test_page_opened_from_disk_typesets_math(browser, built_book):
    # The README tells readers they may open the built files directly: no
    # server, file:// URLs. MathJax and its fonts must load that way too.
    page, rec = open_page(browser, built_book.as_uri() + "/", f"{MATH_PAGE}.html")
    try:
        facts = page.evaluate(_PAGE_FACTS_JS)
    finally:
        page.context.close()
    assert not rec.problems(), "\n".join(rec.problems())
    assert facts["mathCount"] and not facts["untypeset"] and not facts["mathErrors"], facts


def _search(browser, base_url, term):
    """Run the book's search page for `term`: (summary text, result pages)."""
    page, rec = open_page(browser, base_url, f"search.html?q={quote(term)}")
    try:
        page.wait_for_function(
            """() => {
                const s = document.querySelector("#search-results .search-summary");
                return s && /Search finished|did not match/.test(s.innerText);
            }"""
        )
        summary = page.inner_text("#search-results .search-summary")
        hrefs = page.eval_on_selector_all(
            "#search-results ul.search li a", "links => links.map(a => a.href)"
        )
        assert not rec.problems(), "\n".join(rec.problems())
        return summary, {_local_path(h, base_url) for h in hrefs}
    finally:
        page.context.close()


def test_search_finds_a_term(browser, base_url):
    assert SEARCH_TERM in SEARCH_SOURCE.read_text(encoding="utf-8"), (
        f"{SEARCH_SOURCE} no longer says {SEARCH_TERM!r}: pick a new SEARCH_TERM"
    )
    summary, found = _search(browser, base_url, SEARCH_TERM)
    assert f"{SEARCH_PAGE}.html" in found, f"search for {SEARCH_TERM!r}: {summary!r} {found}"


def test_solution_dropdown_opens_on_click(browser, base_url):
    page, rec = open_page(browser, base_url, f"{SOLUTION_PAGE}.html")
    try:
        solution = page.locator("div.solution.dropdown").filter(has_text="Exercise 1.2").first
        code = solution.locator("pre", has_text=SOLUTION_CODE)
        assert solution.count() == 1 and code.count() == 1, "no solution dropdown with the expected code"
        assert not code.is_visible(), "the solution is visible before it is opened"
        solution.locator(".admonition-title").click()
        code.wait_for(state="visible")
        assert code.is_visible()
        assert not rec.problems(), "\n".join(rec.problems())
    finally:
        page.context.close()


def test_search_finds_nothing_for_a_word_on_no_page(browser, base_url):
    summary, found = _search(browser, base_url, SEARCH_NONSENSE)
    assert not found and "did not match" in summary, (summary, found)


# ---------------------------------------------------------------------------
# Dark mode


def _rgb(css: str) -> tuple[float, float, float]:
    m = re.fullmatch(r"rgba?\((\d+), (\d+), (\d+)(?:, ([\d.]+))?\)", css)
    assert m, f"unexpected CSS colour {css!r}"
    return tuple(int(m.group(i)) / 255 for i in (1, 2, 3))


def _luminance(css: str) -> float:
    """WCAG relative luminance of an rgb() colour."""
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in _rgb(css)]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def _contrast(fg: str, bg: str) -> float:
    hi, lo = sorted((_luminance(fg), _luminance(bg)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


_COLOURS_JS = """() => {
    // The colour a reader sees behind an element: the first opaque background up the tree.
    const bg = el => {
        for (; el; el = el.parentElement) {
            const c = getComputedStyle(el).backgroundColor;
            if (c !== "transparent" && !/rgba\\(.*, 0\\)$/.test(c)) return c;
        }
        return "rgb(255, 255, 255)";
    };
    const text = document.querySelector("article p");
    const math = document.querySelector("mjx-container");
    if (!text || !math) return {missing: !text ? "article p" : "mjx-container"};
    return {
        theme: document.documentElement.dataset.theme,
        text: getComputedStyle(text).color, textBg: bg(text),
        math: getComputedStyle(math).color, mathBg: bg(math),
        images: Array.from(document.images).filter(img => img.checkVisibility()).map(img => {
            const r = img.getBoundingClientRect();
            return {src: img.currentSrc || img.src, width: r.width, height: r.height,
                    natural: img.naturalWidth};
        }),
    };
}"""


def test_dark_mode_toggle_keeps_the_page_readable(browser, base_url):
    page, rec = open_page(browser, base_url, f"{MATH_PAGE}.html", color_scheme="light")
    try:
        light = page.evaluate(_COLOURS_JS)
        assert "missing" not in light, f"{MATH_PAGE} has no {light.get('missing')}"
        assert light["theme"] == "light", light

        button = page.locator(".theme-switch-button:visible").first
        for _ in range(3):  # the button cycles light -> dark -> auto
            if page.evaluate("document.documentElement.dataset.theme") == "dark":
                break
            button.click()
        settle(page)
        dark = page.evaluate(_COLOURS_JS)
        assert "missing" not in dark, f"{MATH_PAGE} in dark mode has no {dark.get('missing')}"
        assert dark["theme"] == "dark", "the theme button never switched to dark"

        assert _luminance(dark["textBg"]) < 0.1 < _luminance(light["textBg"]), (light, dark)
        for mode in (light, dark):
            assert _contrast(mode["text"], mode["textBg"]) >= 4.5, mode
            assert _contrast(mode["math"], mode["mathBg"]) >= 4.5, mode
        assert dark["images"], "no image is visible in dark mode (not even the logo)"
        hidden = [img for img in dark["images"] if not (img["width"] > 0 and img["height"] > 0)]
        assert not hidden, f"images with no size in dark mode: {hidden}"
        assert not [img for img in dark["images"] if img["natural"] == 0], dark["images"]

        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "notation-dark.png"), full_page=True)

        page.reload(wait_until="load")  # the choice is remembered
        settle(page)
        assert page.evaluate("document.documentElement.dataset.theme") == "dark"
        assert not rec.problems(), "\n".join(rec.problems())
    finally:
        page.context.close()


# ---------------------------------------------------------------------------
# Screenshots for review


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", head[16:24])


@pytest.mark.parametrize("stem", sorted(SCREENSHOT_PAGES))
def test_screenshot(browser, base_url, stem):
    page, _ = open_page(browser, base_url, f"{SCREENSHOT_PAGES[stem]}.html")
    try:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        out = SCREENSHOTS / f"{stem}.png"
        out.unlink(missing_ok=True)
        page.screenshot(path=str(out), full_page=True)
        page_height = page.evaluate("document.documentElement.scrollHeight")
    finally:
        page.context.close()
    width, height = _png_size(out)
    assert width == VIEWPORT["width"] and height >= min(page_height, VIEWPORT["height"]), (
        width,
        height,
    )
