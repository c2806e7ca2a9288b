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
5. Accessibility and a clean console (tests/browser, axe-core at WCAG 2.1 A/AA).
   myst-nb's "Show code cell source" toggles carry ``aria-label="Toggle hidden
   content"``, a name that does not contain the words a reader sees (WCAG 2.5.3,
   label in name): the label is dropped, so the visible words name the toggle.
   The bibliography's entries get ``role="listitem"`` in place of docutils'
   deprecated ``doc-biblioentry``, the role the items of its ``role="list"`` need.
   The theme's colour mode defaults to "" and its script logs "Got invalid theme
   mode" on a reader's first visit: the default is "light" (the figures are drawn
   on white). The site gets a favicon (``_static/favicon.png``), so browsers do not
   log a missing /favicon.ico; ``_static/a11y.css`` darkens links on tinted boxes
   to a contrast of at least 4.5.
6. Build time (a build renders 13 chapters from the execution cache in about 110 s
   on one core of the CI machine; these two cost 30 s of it). Sphinx 7 resolves
   each ``{numref}`` by unpickling the whole doctree of the page it points to
   (``env.get_doctree``, 0.17 s for a chapter with its figures): the 106 numrefs
   unpickled 18 s of doctrees. While pages are written, each page's doctree is
   unpickled once for them and kept until the build ends (read only: the numref
   code reads the target's number and title). pybtex looks its style plugins up
   among every installed package's entry points at each citation (12 s for 318):
   the lookups are cached once Sphinx has set up every extension, which is when
   plugins register.
"""
import functools
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


TOGGLE_LABEL = re.compile(r'(<summary\b[^>]*?)\s+aria-label="Toggle hidden content"')


def name_toggles_by_their_text(app, pagename, templatename, context, doctree):
    """Drop the toggles' aria-label, so that their visible words are their name; and give
    the bibliography's entries the role a list's items must have (docutils writes the
    deprecated ``doc-biblioentry`` inside ``role="list"``)."""
    body = context.get("body")
    if body and "Toggle hidden content" in body:
        body = context["body"] = TOGGLE_LABEL.sub(r"\1", body)
    if body and 'role="doc-biblioentry"' in body:
        context["body"] = body.replace('role="doc-biblioentry"', 'role="listitem"')


def light_mode_by_default(app, config):
    """The theme's colour mode when a reader has chosen none (its default "" logs an error)."""
    context = dict(config.html_context or {})      # pydata-sphinx-theme reads it from here
    context.setdefault("default_mode", "light")
    config.html_context = context
    if not getattr(config, "html_favicon", None):
        favicon = Path(app.srcdir, "_static", "favicon.png")
        if favicon.exists():
            config.html_favicon = str(favicon)


def shrink_images(app, exception):
    if exception is None and app.builder.format == "html":
        for path in sorted(Path(app.outdir, "_images").glob("*.png")):
            palette_png(path)


_NUMREF_DOCTREES: dict = {}


def _numref_with_doctrees_kept(resolve):
    @functools.wraps(resolve)
    def resolve_numref(self, env, *args, **kwargs):
        read = env.get_doctree

        def kept(docname):
            key = (id(env), docname)
            if key not in _NUMREF_DOCTREES:
                _NUMREF_DOCTREES[key] = read(docname)
            return _NUMREF_DOCTREES[key]

        env.get_doctree = kept                 # an instance attribute, for this call only
        try:
            return resolve(self, env, *args, **kwargs)
        finally:
            del env.get_doctree
    resolve_numref._optlib_kept = True
    return resolve_numref


def keep_doctrees_for_numrefs(app):
    from sphinx.domains.std import StandardDomain
    if not getattr(StandardDomain._resolve_numref_xref, "_optlib_kept", False):
        StandardDomain._resolve_numref_xref = _numref_with_doctrees_kept(
            StandardDomain._resolve_numref_xref)


def forget_numref_doctrees(app, exception):
    _NUMREF_DOCTREES.clear()


def cache_bibtex_plugin_lookups(app):
    import pybtex.plugin as plugin
    if not hasattr(plugin._load_entry_point, "cache_clear"):
        plugin._load_entry_point = functools.lru_cache(maxsize=None)(plugin._load_entry_point)
    plugin._load_entry_point.cache_clear()      # every extension has registered its plugins


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
    app.connect("config-inited", light_mode_by_default)
    app.connect("html-page-context", name_toggles_by_their_text)
    # myst-nb adds the page's scripts at the default priority (500): run before it
    app.connect("html-page-context", drop_widget_state, priority=400)
    app.connect("html-page-context", drop_repeated_inline_scripts, priority=900)
    app.connect("doctree-resolved", alt_from_captions)
    app.connect("build-finished", shrink_images)
    app.connect("builder-inited", keep_doctrees_for_numrefs)
    app.connect("builder-inited", cache_bibtex_plugin_lookups)
    app.connect("build-finished", forget_numref_doctrees)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
