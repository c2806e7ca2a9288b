"""Building the book is a test: warnings are errors, every page renders, pages stay light.

Runs ``jupyter-book build . --warningiserror --nitpick --keep-going`` (what
``make book`` runs; notebooks are executed, their results cached in
``_build/.jupyter_cache``), then reads the HTML.
"""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
MAX_PAGE_BYTES = 2_000_000  # a page with its images and animations


def toc_pages() -> list[str]:
    return re.findall(r"(?:root|file):\s*(\S+)", (ROOT / "_toc.yml").read_text())


@pytest.fixture(scope="module")
def build():
    exe = Path(sys.executable).with_name("jupyter-book")
    proc = subprocess.run([str(exe), "build", ".", "--warningiserror", "--nitpick", "--keep-going"],
                          cwd=ROOT, capture_output=True, text=True, timeout=1800)
    log = proc.stdout + proc.stderr
    return proc.returncode, log


def test_book_builds_without_warnings(build):
    code, log = build
    warnings = [line for line in log.splitlines() if "WARNING" in line and "Kernel is running" not in line]
    assert code == 0 and not warnings, "book build failed:\n" + "\n".join(warnings or log.splitlines()[-40:])


@pytest.mark.parametrize("page", toc_pages())
def test_page_rendered(build, page):
    html_path = HTML / f"{page}.html"
    assert html_path.exists(), f"{html_path} was not built"
    html = html_path.read_text()
    assert "Traceback (most recent call last)" not in html, f"{page} shows a traceback"
    assert "application/vnd.jupyter.widget-view+json" not in html, f"{page} embeds a widget view"
    images = set(re.findall(r'src="(?:\.\./)*(_images/[^"]+)"', html))
    size = html_path.stat().st_size + sum((HTML / i).stat().st_size for i in images)
    assert size < MAX_PAGE_BYTES, f"{page} weighs {size / 1e6:.2f} MB with its images"


def test_chapter_figures_are_rendered_with_captions(build):
    for page in toc_pages():
        if page.endswith(".md") or not (ROOT / f"{page}.ipynb").exists():
            continue
        html = (HTML / f"{page}.html").read_text()
        assert html.count("<figcaption") >= 1, f"{page} renders no captioned figure"
        assert "_images/" in html, f"{page} renders no image"


def _chapter_pages():
    return [page for page in toc_pages() if (HTML / f"{page}.html").exists()]


def test_every_image_has_alt_text_that_is_not_a_file_name(build):
    """Figures are described by their caption's first sentence (_ext/book_assets.py); players
    by what they animate (optlib.animation)."""
    for page in _chapter_pages():
        html = (HTML / f"{page}.html").read_text()
        for tag in re.findall(r"<img\b[^>]*>", html):
            alt = re.search(r'\balt="([^"]*)"', tag)
            assert alt and alt.group(1).strip(), f"{page}: an image without alt text: {tag[:120]}"
            assert not re.search(r"\.(png|svg|jpe?g|gif)$", alt.group(1), re.I), \
                f"{page}: an image whose alt text is a file name: {alt.group(1)}"


def test_thebe_configuration_is_written_once(build):
    """Sphinx 7 writes sphinx-thebe's inline config twice unless the build drops the copy."""
    for page in _chapter_pages():
        html = (HTML / f"{page}.html").read_text()
        assert html.count("const THEBE_JS_URL") <= 1, f"{page} declares THEBE_JS_URL twice"


def test_pages_carry_none_of_the_markup_the_accessibility_check_refused(build):
    """The hooks of _ext/book_assets.py item 5: toggles named by their visible words, the
    bibliography's items with a list item's role, a colour mode the theme accepts, a favicon
    (each found by axe-core or the browser's console in tests/browser before the fix)."""
    for page in _chapter_pages():
        html = (HTML / f"{page}.html").read_text()
        assert 'aria-label="Toggle hidden content"' not in html, page
        assert 'role="doc-biblioentry"' not in html, page
        assert 'localStorage.getItem("mode") || "light"' in html, page
        assert re.search(r'<link rel="icon" href="(?:\.\./)*_static/favicon\.png"', html), page
    refs = (HTML / "chapters" / "appendix_references.html").read_text()
    assert refs.count('role="listitem"') >= 20
