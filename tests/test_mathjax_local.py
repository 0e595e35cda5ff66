"""book/_ext/mathjax_local.py: the vendored MathJax when present, the CDN (and a message) when not."""

import importlib.util
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("mathjax_local", ROOT / "book/_ext/mathjax_local.py")
mathjax_local = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mathjax_local)

CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())["sphinx"]


def _app(confdir, extra, mathjax_path=CONFIG["config"]["mathjax_path"]):
    config = SimpleNamespace(html_extra_path=list(extra), mathjax_path=mathjax_path)
    return SimpleNamespace(confdir=str(confdir), config=config), config


def test_the_book_uses_the_extension_and_the_vendored_copy_exists():
    assert "mathjax_local" in CONFIG["local_extensions"]
    app, config = _app(ROOT, CONFIG["config"]["html_extra_path"])
    mathjax_local._use_vendored_or_cdn(app, config)
    assert config.mathjax_path == "../mathjax/es5/tex-chtml-full.js", "the repository's copy must be used"
    assert config.html_extra_path == CONFIG["config"]["html_extra_path"]


def test_missing_copy_falls_back_to_the_cdn_and_says_so(tmp_path, caplog):
    (tmp_path / "other").mkdir()
    app, config = _app(tmp_path, ["book/_vendor/html_extra", "other"])
    with caplog.at_level("INFO"):
        mathjax_local._use_vendored_or_cdn(app, config)
    assert config.mathjax_path == mathjax_local.CDN
    assert config.html_extra_path == ["other"], "a missing html_extra_path entry would fail a -W build"
    assert "vendored MathJax" in caplog.text and "update_mathjax.sh" in caplog.text


def test_a_mathjax_path_chosen_on_purpose_is_left_alone(tmp_path):
    app, config = _app(tmp_path, [], mathjax_path="https://example.org/mathjax.js")
    mathjax_local._use_vendored_or_cdn(app, config)
    assert config.mathjax_path == "https://example.org/mathjax.js"


@pytest.mark.parametrize("present", [True, False])
def test_decision_follows_the_file(tmp_path, present):
    folder = tmp_path / "extra" / "mathjax" / "es5"
    folder.mkdir(parents=True)
    if present:
        (folder / "tex-chtml-full.js").write_text("// mathjax")
    app, config = _app(tmp_path, ["extra"])
    mathjax_local._use_vendored_or_cdn(app, config)
    assert (config.mathjax_path == mathjax_local.CDN) is not present
