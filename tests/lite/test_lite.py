"""Every chapter runs in the reader's browser, from the site alone (issue 14).

Run by ``make test-lite`` (chapter 2, for CI) or ``make test-lite-all`` (every
chapter, from the book's own "Run in your browser" buttons). The JupyterLite site
is built (scripts/build_lite.py) unless OPTLIB_LITE_HTML names a book built with
``make book-lite``; it is served on 127.0.0.1, and in headless Chromium (fresh
profile, every other address sent to a recording proxy) each chapter is opened in
JupyterLite, Run All is clicked, and the test fails on

- an error output, or a cell that did not run;
- a chapter with no figure (an image output);
- an explorer whose slider drag does not change its figure, a player that does
  not step (the live test's checks, scripts/live_check.py);
- a request that did not go to 127.0.0.1: one seen by DevTools in the page, or
  one the proxy received (from the page, a web worker or the service worker);
  Chromium's own background calls (lite_check.BROWSER_OWN_HOSTS, sent from an
  empty page too) are listed apart;
- with a book: a chapter page without the button, or whose button does not open
  that chapter.

Measured and printed: the build, the site's size, the time from opening the page
to a ready Pyodide kernel and what was downloaded by then, the chapter's run.
Screenshots and lite-report.json go to OPTLIB_LITE_OUT (default _build/lite-test).
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import time
from dataclasses import asdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import build_lite  # noqa: E402
import launch_cells  # noqa: E402
import live_check as L  # noqa: E402
import lite_check as LC  # noqa: E402

NB = os.environ.get("OPTLIB_LITE_NB") or "chapters/02_momentum.ipynb"
NOTEBOOKS = L.notebooks_from(NB)
OUT = Path(os.environ.get("OPTLIB_LITE_OUT") or ROOT / "_build" / "lite-test").resolve()
HTML = os.environ.get("OPTLIB_LITE_HTML")          # a book built with `make book-lite`
RESULTS: dict[str, tuple] = {}


@pytest.fixture(scope="session")
def site():
    """(folder served, the JupyterLite folder in it, build report or None)."""
    OUT.mkdir(parents=True, exist_ok=True)
    if HTML:
        root = Path(HTML).resolve()
        return root, root / "lite", None
    root = OUT / "site"
    report = build_lite.build(root / "lite", ROOT / "_build" / "lite-cache", NOTEBOOKS)
    print(f"\nlite build: {report['seconds']:.0f} s, {report['bytes'] / 1e6:.1f} MB")
    return root, root / "lite", report


@pytest.fixture(scope="session")
def browser(site):
    root, _, _ = site
    server, proxy = LC.Site(root), LC.Recorder()
    driver = LC.start_browser(proxy)
    yield server, proxy, driver
    L.stop_browser(driver)
    server.close()
    proxy.close()
    (OUT / "lite-report.json").write_text(json.dumps(
        {name: {"times": t, "served": s, "finding": asdict(f)}
         for name, (f, t, s) in RESULTS.items()}, indent=1))


def run(browser, site, path: Path):
    """Open and run one chapter (once per session): (finding, times, served)."""
    if path.name in RESULTS:
        return RESULTS[path.name]
    server, _, driver = browser
    root, lite, _ = site
    url = None
    if HTML:                      # the way a reader comes: the chapter page's button
        page = f"{server.url}/chapters/{path.stem}.html"
        driver.get(page)
        links = driver.execute_script(
            "return Array.from(document.querySelectorAll('a.btn-run-in-browser'))"
            ".map(a => [a.href, a.target, a.textContent.trim()])")
        assert links, f"{page} has no 'Run in your browser' button"
        url, target, text = links[0]
        assert target == "_blank" and text == "Run in your browser", links[0]
    t0 = time.monotonic()
    rel = lite.relative_to(root).as_posix()
    finding, times = LC.run_chapter(driver, LC.LiteSite(f"{server.url}/{rel}"), path, OUT,
                                    url=url)
    served = server.since(t0)
    ready_at = t0 + times.get("ready", float("inf"))
    first = [r for r in served if r["t"] <= ready_at]
    stats = {"requests": len(served), "MB": sum(r["bytes"] for r in served) / 1e6,
             "first_load_requests": len(first),
             "first_load_MB": sum(r["bytes"] for r in first) / 1e6,
             "missing": [r["path"] for r in served if r["missing"]],
             # since the session began: a later chapter gets them from the browser's cache
             "wheels": sorted({Path(r["path"].split("?")[0]).name for r in server.requests
                               if r["path"].split("?")[0].endswith((".whl", ".zip"))})}
    RESULTS[path.name] = (finding, times, stats)
    print(f"\n{path.name} in JupyterLite: page to ready kernel {times.get('ready', 0):.0f} s "
          f"({stats['first_load_MB']:.1f} MB in {stats['first_load_requests']} requests), "
          f"Run All {times.get('run', 0):.0f} s, checks {times.get('checks', 0):.0f} s; "
          f"{len(finding.explorers)} explorers, {len(finding.players)} players; "
          f"slider release -> new figure: {L.latency_summary(finding.latencies)}")
    return RESULTS[path.name]


@pytest.fixture(scope="session", params=NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def chapter(request, browser, site):
    return run(browser, site, request.param)


# -- the site ---------------------------------------------------------------

def test_site_serves_pyodide_and_its_wheels_checked_against_the_official_lock(site):
    _, lite, report = site
    build_lite.check_site(lite)
    pyo = lite / "static" / "pyodide"
    lock = json.loads((pyo / "pyodide-lock.json").read_text())
    assert lock["info"]["version"] == build_lite.PYODIDE_VERSION
    official = json.loads((Path(build_lite.fetch_pyodide(ROOT / "_build" / "lite-cache"))
                           / "pyodide-lock.json").read_text())["packages"]
    for name, entry in lock["packages"].items():
        assert entry == official[name], f"{name}: the site's lock entry is not the official one"
        data = (pyo / entry["file_name"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], entry["file_name"]
    for name in ("numpy", "matplotlib"):
        assert name in lock["packages"]
    assert lock["packages"]["numpy"]["version"] == "2.0.2"
    assert lock["packages"]["matplotlib"]["version"] == "3.8.4"
    if report:
        assert report["bytes"] < 120e6, f"the site weighs {report['bytes'] / 1e6:.0f} MB"


def test_notebook_copies_name_the_pyodide_kernel_and_install_from_the_site(site):
    _, lite, _ = site
    for path in NOTEBOOKS:
        copy = json.loads((lite / "files" / "chapters" / path.name).read_text())
        assert copy["metadata"]["kernelspec"]["name"] == "python"
        setup = next(c for c in copy["cells"] if c["cell_type"] == "code")
        source = "".join(setup["source"])
        assert source.startswith(build_lite.SETUP_MARKER)
        assert "piplite.install" in source and "http" not in source
        assert "index_urls" not in source


def test_a_bad_wheel_stops_the_build(tmp_path):
    """A Pyodide wheel whose sha256 is not the official lock's is refused."""
    package = build_lite.fetch_pyodide(ROOT / "_build" / "lite-cache")
    lock = json.loads((package / "pyodide-lock.json").read_text())
    entry = lock["packages"]["six"]
    (tmp_path / entry["file_name"]).write_bytes(b"not the official wheel")
    with pytest.raises(build_lite.LiteBuildError, match="sha256"):
        build_lite.pyodide_files(lock, ["six"], tmp_path, wheels_dir=tmp_path)
    with pytest.raises(build_lite.LiteBuildError, match="has no"):
        build_lite.pyodide_files(lock, ["numpy"], tmp_path, wheels_dir=tmp_path)


@pytest.mark.skipif(not HTML, reason="OPTLIB_LITE_HTML: a book built with make book-lite")
def test_every_chapter_page_has_the_button_and_no_external_stylesheet():
    root = Path(HTML)
    for nb in launch_cells.chapters(ROOT):
        html = (root / "chapters" / f"{nb.stem}.html").read_text()
        links = re.findall(r'<a href="([^"]+)" target="_blank"\s+class="btn btn-sm '
                           r'btn-run-in-browser"', html)
        assert links == [f"../lite/lab/index.html?path=chapters/{nb.name}"], (nb.stem, links)
        assert (root / "lite" / "files" / "chapters" / nb.name).exists()
    for page in root.rglob("*.html"):
        if "lite" in page.relative_to(root).parts:
            continue
        text = page.read_text(errors="replace")
        assert not re.search(r'<link[^>]+href="https?://', text), f"{page}: external stylesheet"
        assert "fonts.googleapis" not in text, page


# -- the chapters -----------------------------------------------------------

def test_every_cell_runs_without_an_error_output(chapter):
    finding, _, _ = chapter
    assert not finding.errors, "\n".join(finding.errors)


def test_a_figure_appears(chapter):
    finding, times, _ = chapter
    assert finding.complete, "the check did not finish: " + "; ".join(finding.errors)
    shots = sorted(OUT.glob(f"{Path(finding.notebook.split()[0]).stem}-*.png"))
    assert shots, "no screenshot was taken"
    assert times.get("figures", 0) > 0, "no cell shows an image"


def test_explorer_sliders_change_the_figure(chapter):
    finding, _, _ = chapter
    assert finding.complete, "; ".join(finding.errors)
    problems = [f"explorer {e['index']} (cell {e['cell']}): {p}" for e in finding.explorers
                for p in e["problems"]]
    assert not problems, "\n".join(problems)
    for e in finding.explorers:
        assert e["latencies"], f"explorer {e['index']}: no slider move redrew the figure"


def test_players_show_a_frame_and_step(chapter):
    finding, _, _ = chapter
    assert finding.complete, "; ".join(finding.errors)
    problems = [f"player {p['index']}: {x}" for p in finding.players for x in p["problems"]]
    assert not problems, "\n".join(problems)


def test_the_kernel_loaded_everything_from_the_site(chapter):
    _, _, stats = chapter
    # JupyterLite asks for a few optional files (build/schemas/all_federated.json, the
    # browser for /favicon.ico); what the kernel asks for must all be there
    needed = [p for p in stats["missing"] if re.search(r"/(static/pyodide|pypi|extensions)/", p)
              or p.split("?")[0].endswith((".whl", ".zip", ".wasm", ".ipynb"))]
    assert not needed, f"asked for files the site does not have: {needed}"
    if stats["missing"]:
        print(f"\nnot on the site (optional): {stats['missing']}")
    for wheel in ("numpy-2.0.2", "matplotlib-3.8.4", "ipywidgets-8.1.9", "optlib-"):
        assert any(w.startswith(wheel) for w in stats["wheels"]), (wheel, stats["wheels"])


def test_every_request_went_to_127_0_0_1(browser, site):
    server, proxy, driver = browser
    for path in NOTEBOOKS:
        run(browser, site, path)
    urls = LC.page_requests(driver)
    assert urls, "DevTools recorded no request"
    outside = LC.outside(urls, server.url) + LC.not_the_browsers_own(proxy.asked)
    own = sorted({LC.asked_host(x) for x in proxy.asked} - {""})
    print(f"\n{len(urls)} requests seen by DevTools, {len(server.requests)} served by "
          f"127.0.0.1; Chromium's own background calls (not the site's): {own}")
    assert not outside, "requests outside 127.0.0.1:\n" + "\n".join(outside)
