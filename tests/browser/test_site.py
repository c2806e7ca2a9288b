"""Every page of the built site in headless Chromium (scripts/site_check.py).

One browser visits every page of _toc.yml once (module fixture); each test
then asserts one kind of finding for every page, naming the pages that fail.
Screenshots of every page are kept in OPTLIB_BROWSER_OUT (default
_build/browser) as the run's artifacts.
"""
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import site_check  # noqa: E402

HTML = Path(os.environ.get("OPTLIB_BROWSER_HTML", ROOT / "_build" / "html"))
OUT = Path(os.environ.get("OPTLIB_BROWSER_OUT", ROOT / "_build" / "browser"))


@pytest.fixture(scope="module")
def reports():
    found = site_check.check_site(HTML, OUT)
    for r in found:
        print(f"{r.page:45s} {r.weight / 1e6:5.2f} MB {r.images:3d} images {r.players:2d} players "
              f"{r.seconds:5.1f} s")
    return found


def _failing(reports, attribute):
    return {r.page: getattr(r, attribute) for r in reports if getattr(r, attribute)}


def test_every_page_of_the_toc_was_visited(reports):
    assert [r.page for r in reports] == site_check.pages(HTML)
    assert all(r.screenshot and Path(r.screenshot).stat().st_size > 10_000 for r in reports)


def test_no_console_errors(reports):
    assert not _failing(reports, "console_errors")


def test_every_image_and_animation_frame_loads(reports):
    assert not _failing(reports, "broken_images")
    chapters = [r for r in reports if "/" in r.page and r.page.split("/")[-1][:2].isdigit()]
    assert all(r.images > 0 for r in chapters), "a chapter page shows no figure"


def test_every_image_has_alt_text_that_is_not_a_file_name(reports):
    assert not _failing(reports, "bad_alt")


def test_every_widget_has_its_static_twin_on_the_page(reports):
    assert sum(r.twins_expected for r in reports) > 0
    assert not _failing(reports, "twins_missing")


def test_pages_stay_light(reports):
    heavy = {r.page: f"{r.weight / 1e6:.2f} MB" for r in reports if r.weight > site_check.MAX_PAGE_BYTES}
    assert not heavy, f"pages above {site_check.MAX_PAGE_BYTES / 1e6:g} MB"
    assert all(r.weight > 0 for r in reports)


def test_the_whole_site_stays_under_its_budget():
    size = site_check.site_bytes(HTML)
    assert size <= site_check.MAX_SITE_BYTES, f"site is {size / 1e6:.1f} MB"


def test_no_request_leaves_the_site(reports):
    assert not _failing(reports, "external_requests")


def test_no_accessibility_violations_in_the_books_content(reports):
    assert not _failing(reports, "axe_violations")


def test_the_checker_catches_what_it_is_for(tmp_path):
    """A page with a file-name alt, a broken image, a console error, axe violations (one in
    highlighted code)."""
    page = tmp_path / "chapters"
    page.mkdir()
    (page / "bad.html").write_text(
        "<!doctype html><html lang='en'><head><title>bad</title></head><body>"
        "<main class='bd-main'><article class='bd-article'>"
        "<img src='../_images/plot.png' alt='../_images/plot.png'>"
        "<img src='missing.png' alt='A missing figure'>"
        "<img src='data:image/gif;base64,R0lGODlhAQABAAAAACw=' >"
        "<a href='#'></a>"
        "<div class='highlight'><pre><span class='k'>import</span> <span class='faint'>numpy</span>"
        " <span class='faint'>as</span> <span class='faint'>np</span></pre></div>"
        "<style>.faint { color: #d8d8d8 }</style>"
        "<script>undefinedFunction()</script>"
        "</article></main></body></html>")
    (tmp_path / "_images").mkdir()
    (tmp_path / "_images" / "plot.png").write_bytes(
        bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                      "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201"
                      "5b1a5a3a0000000049454e44ae426082"))
    driver = site_check.start_browser()
    try:
        with site_check.serve(tmp_path) as base:
            r = site_check.check_page(driver, base, "chapters/bad.html", None,
                                      site_check.AXE.read_text())
    finally:
        site_check.stop_browser(driver)
    assert r.console_errors
    assert any("missing.png" in s for s in r.broken_images)
    assert any("plot.png" in s for s in r.bad_alt)
    assert len(r.bad_alt) == 2            # the file-name alt and the missing one
    assert {v["id"] for v in r.axe_violations} & {"link-name", "image-alt"}
    # code thinned for axe keeps the first token of each kind: a faint one is still found
    assert "color-contrast" in {v["id"] for v in r.axe_violations}
