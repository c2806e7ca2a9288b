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
3. Alt text. A notebook's figure is an image whose alt text would be its file
   name ("../_images/2d03...png"), which tells a screen reader nothing. Every
   image without alt text gets the first sentence of its figure's caption (the
   caption says what to see), or, outside a figure, the title of its section.
4. One thebe configuration. sphinx-thebe registers an inline script with
   ``add_js_file(None, body=...)``; from Sphinx 7.2 the HTML builder re-adds such
   an asset as ``''`` and de-duplicates by equality, so the block is written
   twice and every page logs "Identifier 'THEBE_JS_URL' has already been
   declared" (fixed in Sphinx 8.2.2, which Jupyter Book 1 cannot use). Inline
   scripts with the same body are kept once.
"""
import re
from pathlib import Path

from docutils import nodes
from myst_nb.sphinx_ import NbMetadataCollector
from PIL import Image


def drop_widget_state(app, pagename, *args, **kwargs):
    if app.env is None or not hasattr(app.env, "nb_metadata"):
        return
    js_files = NbMetadataCollector.get_js_files(app.env, pagename)
    for key in [k for k in js_files if k.startswith("ipywidgets_")]:
        del js_files[key]


def _plain(text: str) -> str:
    """A caption's text without TeX markup: '$\\eta = 0.1$' -> 'eta = 0.1'."""
    text = re.sub(r"\\(?:mathrm|text|operatorname|mathbf|mathcal)\{([^{}]*)\}", r"\1", text)
    text = re.sub(r"\\([A-Za-z]+)", r"\1", text)
    text = re.sub(r"[{}$]", "", re.sub(r"_|\\[,;!: ]", " ", text))
    return re.sub(r"\s+", " ", text).strip()


def first_sentence(text: str, limit: int = 250) -> str:
    """The first sentence of ``text`` (up to a full stop followed by a space), at most ``limit`` chars."""
    text = _plain(text)
    match = re.search(r"(?<!\be\.g)(?<!\bi\.e)[.!?](\s|$)", text)
    sentence = text[:match.end()].strip() if match else text
    return sentence if len(sentence) <= limit else sentence[:limit - 3].rstrip() + "..."


def alt_from_captions(app, doctree, docname):
    """Give every image without alt text a description: its caption's first sentence."""
    for image in doctree.findall(nodes.image):
        if image.get("alt"):
            continue
        figure = image.parent
        while figure is not None and not isinstance(figure, nodes.figure):
            figure = figure.parent
        captions = list(figure.findall(nodes.caption)) if figure is not None else []
        if captions:
            image["alt"] = first_sentence(captions[0].astext())
            continue
        section = image.parent
        while section is not None and not isinstance(section, nodes.section):
            section = section.parent
        title = section[0].astext() if section is not None and len(section) else docname
        image["alt"] = f"A figure of the section: {_plain(title)}"


def drop_repeated_inline_scripts(app, pagename, templatename, context, doctree):
    """Keep each inline script (a body without a file) once (sphinx-thebe's config block)."""
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, kept = set(), []
    for js in scripts:
        body = getattr(js, "attributes", {}).get("body")
        if not getattr(js, "filename", None) and body is not None:
            if body in seen:
                continue
            seen.add(body)
        kept.append(js)
    context["script_files"] = kept


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


def launch_buttons_need_a_repository(app, config):
    """No launch buttons while ``repository.url`` is empty (an unpublished book).

    sphinx-book-theme builds the Binder, Colab and JupyterHub links from the
    repository's address and fails on a page when a launch service is set but
    the address is not; the book keeps the services configured in _config.yml
    and this drops them until the address is set there.
    """
    options = config.html_theme_options
    if not str(options.get("repository_url") or "").strip():
        options["launch_buttons"] = {}


def setup(app):
    app.connect("config-inited", launch_buttons_need_a_repository)
    # myst-nb adds the page's scripts at the default priority (500): run before it
    app.connect("html-page-context", drop_widget_state, priority=400)
    app.connect("html-page-context", drop_repeated_inline_scripts, priority=900)
    app.connect("doctree-resolved", alt_from_captions)
    app.connect("build-finished", shrink_images)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
