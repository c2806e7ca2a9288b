"""Sphinx extension: "Run in your browser", every chapter in JupyterLite (issue 14).

Off unless switched on, so that the plain build (``make book``, tests/test_book.py)
stays as it is: ``OPTLIB_LITE=1 jupyter-book build .`` (``make book-lite``), or
``optlib_lite: true`` under ``sphinx.config`` in a configuration of its own.

Switched on, it

1. puts a "Run in your browser" button first in the header of every chapter
   page (a page built from a notebook), a link that opens the chapter, in a new
   tab, in JupyterLite with the Pyodide kernel:
   ``lite/lab/index.html?path=chapters/NN_name.ipynb`` beside the book;
2. builds that JupyterLite site into ``<html>/lite`` at the end of the build
   (scripts/build_lite.py: Pyodide, numpy, matplotlib, ipywidgets and optlib all
   served by the site itself; downloads kept in ``_build/lite-cache``).

It adds no stylesheet or script to the pages (jupyterlite-sphinx, the usual way,
adds a Google Fonts stylesheet to every page; the book's site must make no
request outside itself).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

from sphinx.util import logging

ROOT = Path(__file__).resolve().parents[1]
LITE_DIR = "lite"
LOGGER = logging.getLogger(__name__)


def enabled(config) -> bool:
    return bool(config.optlib_lite)


def lite_url(pathto, notebook: str) -> str:
    """The address, relative to the page, of ``notebook`` opened in JupyterLite."""
    return f"{pathto(f'{LITE_DIR}/lab/index.html', 1)}?path={notebook}"


def run_in_browser_button(app, pagename, templatename, context, doctree):
    if not enabled(app.config) or "header_buttons" not in context or doctree is None:
        return
    source = Path(app.env.doc2path(pagename))
    if source.suffix != ".ipynb":
        return
    context["header_buttons"].insert(0, {
        "type": "link",
        "url": lite_url(context["pathto"], f"{pagename}.ipynb"),   # chapters/NN_name
        "text": "Run in your browser",
        "tooltip": "Run this chapter in your browser (JupyterLite: Python, numpy and optlib "
                   "in this tab, nothing to install; the first run takes a minute)",
        "icon": "fas fa-play",
        "label": "run-in-browser",
    })


def build_lite_site(app, exception):
    if exception is not None or not enabled(app.config) or app.builder.format != "html":
        return
    sys.path.insert(0, str(ROOT / "scripts"))
    import build_lite
    import launch_cells

    out = Path(app.outdir) / LITE_DIR
    cache = Path(app.outdir).parent / "lite-cache"
    try:
        build_lite.build(out, cache, launch_cells.chapters(ROOT), log=LOGGER.info)
    except build_lite.LiteBuildError as error:
        raise RuntimeError(f"the JupyterLite site could not be built: {error}") from None


def setup(app):
    app.add_config_value("optlib_lite", os.environ.get("OPTLIB_LITE") == "1", "html")
    # after sphinx-book-theme fills the header buttons (priority 501)
    app.connect("html-page-context", run_in_browser_button, priority=502)
    app.connect("build-finished", build_lite_site)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
