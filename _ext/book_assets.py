"""Sphinx extension: keep the book's pages light.

1. Widget state. Executing a chapter records the state of every widget it
   created (sliders, and the explorer's figure as a PNG) in the notebook's
   metadata, and myst-nb embeds it in the page with the ipywidgets scripts from
   a CDN. The book removes the widget outputs (tag ``remove-output``) and shows
   each widget's static twin instead, so that state only weighs the page down
   (about 250 kB per explorer) and makes it fetch scripts from the network.
   It is dropped.
2. Figures. Matplotlib writes 24-bit PNGs; the book's figures use few colours,
   so a 256-colour palette looks the same at about 40 % of the size. Every PNG
   of the built site is converted once, at the end of the build.
"""
from pathlib import Path

from myst_nb.sphinx_ import NbMetadataCollector
from PIL import Image


def drop_widget_state(app, pagename, *args, **kwargs):
    if app.env is None or not hasattr(app.env, "nb_metadata"):
        return
    js_files = NbMetadataCollector.get_js_files(app.env, pagename)
    for key in [k for k in js_files if k.startswith("ipywidgets_")]:
        del js_files[key]


def palette_png(path: Path) -> None:
    """Rewrite a PNG with a 256-colour palette (no dithering); palette PNGs are left alone."""
    with Image.open(path) as im:
        if im.mode == "P":
            return
        small = im.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT,
                                           dither=Image.Dither.NONE)
    small.save(path, "PNG", optimize=True)


def shrink_images(app, exception):
    if exception is None and app.builder.format == "html":
        for path in sorted(Path(app.outdir, "_images").glob("*.png")):
            palette_png(path)


def setup(app):
    # myst-nb adds the page's scripts at the default priority (500): run before it
    app.connect("html-page-context", drop_widget_state, priority=400)
    app.connect("build-finished", shrink_images)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
