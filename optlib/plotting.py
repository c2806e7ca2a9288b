r"""The book's figures: one style, one palette, one helper per kind of plot.

Every helper draws with the same look (:func:`style`) and the same colour per
optimizer (:data:`OPTIMIZER_COLORS`: Adam is indigo in every chapter). Helpers
that draw one panel take an optional ``ax`` and return the Axes; helpers that
draw several panels return the Figure.

=====================  ==============================================================
:func:`contour`        the loss surface over its window, minima and saddles marked
:func:`trajectories`   contour plus one path per method; diverged runs marked ``x``
:func:`response`       the update a method makes in answer to a 1D gradient signal,
                       for several values of one hyperparameter
:func:`response_grid`  the same sweep on all six signals, one small panel each
:func:`internals`      the optimizer's state over time and its effective step size
:func:`basin_map`      which minimum each start point ends in
:func:`learning_curves` median and spread over seeds of a loss curve
=====================  ==============================================================

In a notebook every figure is shown once at the end of its cell (matplotlib's
inline backend; after :func:`draw_once`, laid out and drawn once). A helper's return value at the end of a cell adds its plain
text (``<Axes: ...>``), or for a Figure a second copy: assign the result or end
the line with ``;``.

A path counts as *diverged* when it reaches a non-finite value or leaves the
box three times the size of the surface's window, the rule of
:mod:`optlib.runners` (:func:`divergence_step`); plots draw it up to its last
finite point inside the window, mark that point with an ``x`` and say
"(diverged)" in the legend.
"""
from __future__ import annotations

import contextlib
import math
import re
import warnings
from functools import lru_cache

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.patches import Patch

from . import signals as _signals
from .optimizers import Optimizer
from .runners import respond

__all__ = ["OPTIMIZER_COLORS", "PALETTE", "style", "draw_once", "color_of", "colors_for",
           "sweep_colors", "divergence_step", "drawable", "format_value", "contour",
           "trajectories", "response", "response_grid", "internals", "basin_map",
           "learning_curves"]

# --------------------------------------------------------------------------
# Palette and style
# --------------------------------------------------------------------------

#: One fixed colour per optimizer. Black for the baseline SGD, the others from
#: Paul Tol's qualitative schemes (his "muted" set plus two of his 12-colour
#: set), which stay apart for the common forms of colour blindness; the pairs
#: chapters compare most (momentum / nesterov, adam / its variants) also differ
#: in lightness, so they stay apart in greyscale print.
OPTIMIZER_COLORS = {
    "sgd": "#000000",       # black
    "momentum": "#CC6677",  # rose
    "nesterov": "#882255",  # wine
    "adagrad": "#117733",   # green
    "rmsprop": "#44AA99",   # teal
    "adadelta": "#999933",  # olive
    "adam": "#332288",      # indigo
    "adamax": "#6699CC",    # mid blue
    "nadam": "#AA4499",     # purple
    "amsgrad": "#DDCC77",   # sand
    "adamw": "#661100",     # dark brown
}

#: Colours for lines that are not named after an optimizer, in the order they are handed out.
PALETTE = ["#332288", "#CC6677", "#117733", "#DDCC77", "#88CCEE", "#882255",
           "#44AA99", "#999933", "#AA4499", "#661100", "#6699CC", "#000000"]

#: Neutral colours: the gradient signal, not-converged and diverged starts.
GREY, LIGHT_GREY, DARK_GREY = "#888888", "#DDDDDD", "#555555"

#: Basin colours (Paul Tol's "light" scheme), and one for the small basins lumped together.
BASIN_COLORS = ["#77AADD", "#EE8866", "#EEDD88", "#FFAABB", "#99DDFF", "#44BB99",
                "#BBCC33", "#AAAA00"]
OTHER_BASINS = "#C8B8A0"

#: Above this many local minima (ripple), their markers are drawn small.
MANY_MINIMA = 30

_RC = {
    "font.size": 10, "axes.titlesize": 11, "axes.labelsize": 10, "figure.titlesize": 12,
    "legend.fontsize": 9, "legend.frameon": False, "legend.title_fontsize": 9,
    "xtick.labelsize": 9, "ytick.labelsize": 9,
    "axes.spines.top": False, "axes.spines.right": False,
    "axes.grid": True, "grid.color": "#E5E5E5", "grid.linewidth": 0.6,
    "lines.linewidth": 1.6, "lines.markersize": 6,
    "figure.facecolor": "white", "savefig.facecolor": "white",
}


@contextlib.contextmanager
def style():
    """The book's matplotlib style, as a context manager.

    Every helper here draws inside it; a chapter's own figure can too::

        with optlib.plotting.style():
            fig, ax = plt.subplots()

    Only the style's own settings are restored on exit. (``matplotlib.rc_context``
    restores every setting, so a notebook's first figure, which switches
    matplotlib to interactive mode, would switch it back off, and later figures
    would not be shown.)
    """
    saved = {key: mpl.rcParams[key] for key in _RC}
    mpl.rcParams.update(_RC)
    try:
        yield
    finally:
        mpl.rcParams.update(saved)


def _crop_to_content(rgba, background, pad):
    """``rgba`` cut to the pixels that differ from ``background``, plus ``pad`` pixels of
    background on each side (the inline backend's tight crop, found in the picture)."""
    content = np.any(rgba != background, axis=-1)
    rows, cols = np.flatnonzero(content.any(axis=1)), np.flatnonzero(content.any(axis=0))
    if not len(rows):
        return rgba
    cut = rgba[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    out = np.empty((cut.shape[0] + 2 * pad, cut.shape[1] + 2 * pad, 4), np.uint8)
    out[...] = background
    out[pad:pad + cut.shape[0], pad:pad + cut.shape[1]] = cut
    return out


#: A log axis that spans more than this many decades is drawn without minor ticks.
LOG_MINOR_DECADES = 3


def _thin_log_ticks(fig) -> None:
    """Switch off the minor ticks of each log axis of ``fig`` that spans more than
    :data:`LOG_MINOR_DECADES` decades and keeps its default minor locator.

    Eight minor ticks a decade help to read a value off an axis of one to three decades;
    over more they are a dense fringe, and matplotlib makes each one an object with two
    lines and two labels: a panel with a log axis over six decades took twice as long to
    lay out and draw as a linear one, and the same as a linear one without them. An axis
    whose minor ticks were chosen (``set_minor_locator``) is left alone.
    """
    from matplotlib.ticker import NullLocator
    for ax in fig.get_axes():
        for axis in (ax.xaxis, ax.yaxis):
            if axis.get_scale() != "log" or not axis.isDefault_minloc:
                continue
            lo, hi = sorted(axis.get_view_interval())
            wide = lo > 0 and math.isfinite(hi) and math.log10(hi / lo) > LOG_MINOR_DECADES
            # a default-flagged NullLocator on a log axis is only ever this function's
            thinned = isinstance(axis.get_minor_locator(), NullLocator) \
                and getattr(axis, "_optlib_minor_locator", None) is not None
            if wide and not thinned:
                axis._optlib_minor_locator = axis.get_minor_locator()    # set aside
                axis.set_minor_locator(NullLocator())
            elif thinned and not wide:                  # narrowed since (an explorer's axis)
                axis.set_minor_locator(axis._optlib_minor_locator)
            else:
                continue
            axis.isDefault_minloc = True     # still the scale's default, not the author's choice


def _rgba_drawn_once(fig, dpi=None, **print_kwargs):
    """The pixels of ``fig`` (shape ``(h, w, 4)``), its layout engine run once and the
    picture drawn once, with the engine switched off; None where that cannot be done.

    ``savefig`` with a layout engine draws the figure twice: once with drawing switched
    off (where the engine runs), then into the picture. Here the engine runs once before
    the single draw. ``dpi`` (default: the figure's, the only one supported, since the
    layout is computed at the figure's dpi) and ``print_kwargs`` go to ``print_figure``.
    """
    from io import BytesIO

    if dpi not in (None, fig.dpi):
        return None
    _thin_log_ticks(fig)
    engine = fig.get_layout_engine()
    if engine is not None:
        engine.execute(fig)
        fig.set_layout_engine(None)
    try:
        if fig.get_layout_engine() is not None:     # rcParams name a default layout engine
            return None
        raw = BytesIO()
        fig.canvas.print_figure(raw, format="rgba", dpi=fig.dpi, bbox_inches=None,
                                **print_kwargs)
    finally:
        if engine is not None:
            fig.set_layout_engine(engine)
    # Agg's canvas is int(width) x int(height) of the figure's box at the printing dpi,
    # which can land either side of a whole number (4.6 in x 100 dpi): take the size that
    # holds the pixels.
    n = len(raw.getbuffer()) // 4
    W, H = fig.bbox.size
    w, h = next((w, h) for w in {int(W), round(W)} for h in {int(H), round(H)} if w * h == n)
    return np.frombuffer(raw.getbuffer(), np.uint8).reshape(h, w, 4)


def _png_drawn_once(fig):
    """``fig`` as base64 PNG for IPython's display, with one drawing pass and one layout.

    The inline backend prints a figure with ``bbox_inches="tight"``: matplotlib then draws it
    once with drawing switched off (the layout engine runs there), measures every artist
    again for the tight box, and draws it a third time into the picture. Each pass lays out
    every tick label, which is what costs (1 s for a four-panel figure). For a figure with
    constrained or compressed layout, which keeps every artist inside the figure, this runs
    the layout engine once, draws the picture once with the engine switched off, and cuts
    it to the drawn pixels plus ``savefig.pad_inches`` (what the tight box gives, found in
    the picture instead of measured). Other figures are printed as the inline backend does.
    """
    import base64
    from io import BytesIO

    from IPython.core.pylabtools import print_figure
    from matplotlib.colors import to_rgba
    from matplotlib.layout_engine import ConstrainedLayoutEngine
    from PIL import Image

    rgba = None
    if fig.axes and isinstance(fig.get_layout_engine(), ConstrainedLayoutEngine):
        rgba = _rgba_drawn_once(fig, facecolor=fig.get_facecolor(),
                                edgecolor=fig.get_edgecolor())
    if rgba is None:
        _thin_log_ticks(fig)
        return print_figure(fig, "png", bbox_inches="tight", base64=True)
    background = np.round(np.multiply(to_rgba(fig.get_facecolor()), 255)).astype(np.uint8)
    pad = round(mpl.rcParams["savefig.pad_inches"] * fig.dpi)
    png = BytesIO()
    # zlib level 1: chapter 1's 15 figures 495 -> 261 ms, and 1.05 MB against 1.08 MB at
    # the default 6 (the book rewrites every picture with a palette: _ext/book_assets.py)
    Image.fromarray(_crop_to_content(rgba, background, pad)).save(
        png, format="png", dpi=(fig.dpi, fig.dpi), compress_level=1)
    return base64.b64encode(png.getvalue()).decode("ascii")


def draw_once() -> bool:
    """Show this notebook's figures with one drawing pass each for their layout, not three.

    Call it once, after ``import matplotlib.pyplot``; every chapter's set-up cell does. It
    replaces the PNG printer of matplotlib's inline backend for figures with constrained
    (or compressed) layout, which are all of the book's: each is laid out once and drawn
    once, where the inline backend draws it twice and measures it a third time (a chapter
    takes 10-15 % less time). The picture is cut to the drawn pixels plus the same margin
    as the inline backend's (``savefig.pad_inches``): its size is within a few pixels of
    the inline backend's, whose box is measured from the artists' extents rather than
    found in the drawn pixels. A log axis over more than :data:`LOG_MINOR_DECADES`
    decades is drawn without minor ticks (:func:`_thin_log_ticks`).

    Returns True when installed. It does nothing and returns False outside IPython, or
    when the inline backend is configured other than by default (another figure format
    such as ``"retina"``, or other ``print_figure_kwargs``): those settings are kept.
    """
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None or not hasattr(shell, "display_formatter"):
        return False
    # The inline backend registers its own printer when pyplot loads it, which matplotlib
    # does at the first figure: load it now, so that it does not replace this one later.
    plt.switch_backend(plt.get_backend())
    try:
        from matplotlib_inline.backend_inline import InlineBackend
    except ImportError:
        return False
    config = InlineBackend.instance()
    if set(config.figure_formats) != {"png"} \
            or config.print_figure_kwargs != {"bbox_inches": "tight"}:
        return False
    from matplotlib.figure import Figure
    shell.display_formatter.formatters["image/png"].for_type(Figure, _png_drawn_once)
    _share_mathtext_parses()
    return True


def _share_mathtext_parses() -> bool:
    """Let every figure reuse the math text (``$10^{-3}$``, ``$\\eta$``) that another parsed.

    matplotlib keeps the last 50 parses of math text, keyed on the parser that made them;
    but each figure's renderer has a parser of its own, so a figure parses its log axes'
    tick labels and its titles again (about 10 ms each, in pyparsing). Here the parses are
    keyed on what they depend on alone: the kind of output, the text, dpi, font, and
    antialiasing (and the hinting flags, where matplotlib passes them: 3.11 does, 3.8 reads
    them inside). Chapter 1's figures parse 62 times instead of 141 (1.8 s -> 0.7 s,
    measured on a loaded machine). Returns False, changing nothing, if matplotlib's cache
    is not where this expects it.
    """
    import functools

    from matplotlib.mathtext import MathTextParser
    cached = MathTextParser._parse_cached
    if getattr(cached, "_optlib_shared", False):
        return True
    parse = getattr(cached, "__wrapped__", None)
    if parse is None:
        return False
    parsers = {}       # one parser per kind of output: the parse reads only its kind

    @functools.lru_cache(1024)
    def shared(output_type, *args):
        return parse(parsers[output_type], *args)

    def _parse_cached(self, *args):
        parsers.setdefault(self._output_type, self)
        return shared(self._output_type, *args)

    _parse_cached._optlib_shared = True
    MathTextParser._parse_cached = _parse_cached
    return True


def _optimizer_name(label: str):
    """'Adam (lr = 0.1)' -> 'adam'; None when the label does not start with an optimizer name."""
    m = re.match(r"[a-z]+", str(label).strip().lower())
    return m.group(0) if m and m.group(0) in OPTIMIZER_COLORS else None


def color_of(label: str, default: str = PALETTE[0]) -> str:
    """The fixed colour of the optimizer a label starts with ('Adam, lr=0.1' -> Adam's colour)."""
    name = _optimizer_name(label)
    return OPTIMIZER_COLORS[name] if name else default


def colors_for(labels) -> dict:
    """A distinct colour per label: an optimizer's own colour when the label names one
    (its first such label, if several do), otherwise the next :data:`PALETTE` colour
    not used in this plot."""
    labels = list(labels)
    out = {}
    for lab in labels:
        name = _optimizer_name(lab)
        if name and OPTIMIZER_COLORS[name] not in out.values():
            out[lab] = OPTIMIZER_COLORS[name]
    reserved = set(out.values())
    free = [c for c in PALETTE if c not in reserved]
    for i, lab in enumerate(lab for lab in labels if lab not in out):
        out[lab] = free[i % len(free)]
    return {lab: out[lab] for lab in labels}


def sweep_colors(k: int) -> list:
    """k colours in order along viridis (dark to green), for a sweep of one numeric value."""
    cmap = mpl.colormaps["viridis"]
    return [mpl.colors.to_hex(cmap(v)) for v in np.linspace(0.0, 0.8, k)] if k > 1 \
        else [mpl.colors.to_hex(cmap(0.0))]


def _new_axes(ax, figsize, layout="constrained"):
    """``ax``, or the Axes of a new figure. Plots of a surface use ``layout="compressed"``,
    matplotlib's layout for axes of fixed aspect (with an outside legend, "constrained"
    can clip the y label)."""
    if ax is not None:
        return ax
    _, ax = plt.subplots(figsize=figsize, layout=layout)
    return ax


# --------------------------------------------------------------------------
# Lookups shared by the plots and the widgets (one place for the error messages)
# --------------------------------------------------------------------------

def _allowed(table) -> str:
    return ", ".join(repr(k) for k in table)


def optimizer_factory(method):
    """A factory from a name ('adam') or the factory itself; ValueError lists the names."""
    from . import OPTIMIZERS
    if callable(method) and not isinstance(method, str):
        return method
    if method not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {method!r}; allowed names: {_allowed(OPTIMIZERS)}")
    return OPTIMIZERS[method]


def get_surface(surface):
    """A :class:`~optlib.surfaces.Surface` from itself or its name; ValueError lists the names."""
    from . import surfaces
    return surfaces.get(surface)


def get_signal(signal, n: int = 300):
    """``(values, name)`` for a signal name or an array of gradient values (name None)."""
    if isinstance(signal, str):
        return _signals.get(signal, n), signal     # raises ValueError listing the names
    values = np.asarray(signal, dtype=float)
    if values.ndim != 1 or len(values) == 0:
        raise ValueError(f"signal must be one of {_allowed(_signals.SIGNALS)} "
                         f"or a non-empty 1D array, got shape {values.shape}")
    return values, None


# --------------------------------------------------------------------------
# Divergence
# --------------------------------------------------------------------------

def divergence_step(path, surface=None):
    """The step at which a run diverged, or None if it did not.

    ``path`` has one row per step (row 0 the start). A run has diverged at the
    first step where it is not finite or, when a ``surface`` is given, where
    it leaves the box that :mod:`optlib.runners` uses: the window widened by
    its own width and height on every side (the same rule as ``run_many`` and
    ``basins``).

    >>> divergence_step([[0.0, 0.0], [1.0, 1.0], [np.inf, 0.0]])
    2
    >>> divergence_step([[0.0], [1.0]]) is None
    True
    """
    path = np.asarray(path, dtype=float)
    good = np.all(np.isfinite(path.reshape(len(path), -1)), axis=1)
    if surface is not None:
        from .runners import _escape_box
        lower, upper = _escape_box(get_surface(surface))
        with np.errstate(invalid="ignore"):
            good &= np.all((path >= lower) & (path <= upper), axis=-1)
    return None if good.all() else int(np.argmin(good))


def drawable(path, surface):
    """What a plot shows of a 2D path: ``(drawn, k, left)``.

    ``k`` is :func:`divergence_step`. A diverged run is drawn up to its last
    finite point inside the window (before step k); a run that did not
    diverge is drawn whole, and ``left`` says whether it ends outside the window.
    """
    s = get_surface(surface)
    k = divergence_step(path, s)
    if k is None:
        return path, None, not bool(s.in_window(path[-1]))
    with np.errstate(invalid="ignore"):
        inside = np.flatnonzero(s.in_window(path[:k]))
    return path[:inside[-1] + 1 if len(inside) else 0], k, False


def _path_label(label, k, left) -> str:
    return f"{label} (diverged)" if k is not None else \
        f"{label} (left the window)" if left else str(label)


# --------------------------------------------------------------------------
# Surfaces: contour, trajectories, basins
# --------------------------------------------------------------------------

@lru_cache(maxsize=32)
def _grid_cached(f, window, resolution):
    (x0, x1), (y0, y1) = window
    X, Y = np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))
    with np.errstate(all="ignore"):
        Z = np.asarray(f(np.stack([X, Y], axis=-1)), dtype=float)
    for a in (X, Y, Z):
        a.setflags(write=False)
    return X, Y, Z


def surface_grid(surface, resolution: int = 200):
    """``X, Y, Z``: f on a resolution x resolution grid over the window (cached, read-only)."""
    s = get_surface(surface)
    window = tuple(tuple(float(v) for v in pair) for pair in s.window)
    return _grid_cached(s.f, window, int(resolution))


def contour_levels(surface, Z=None, n: int = 18) -> np.ndarray:
    """The surface's own levels if it has some, else n levels at quantiles of f over the
    window, packed more densely towards the low end where the minima are."""
    s = get_surface(surface)
    if s.levels is not None:
        return np.asarray(s.levels, dtype=float)
    if Z is None:
        Z = surface_grid(s)[2]
    z = Z[np.isfinite(Z)]
    levels = np.unique(np.quantile(z, np.linspace(0.0, 1.0, n) ** 1.5))
    return levels if len(levels) > 1 else np.array([z.min(), z.min() + 1.0])


def _points(a):
    a = np.asarray(a, dtype=float).reshape(-1, 2)
    return a[:, 0], a[:, 1]


def contour(surface, ax=None, *, levels=None, resolution: int = 200, filled: bool = True,
            show_start: bool = True, show_minima: bool = True, colorbar: bool = False,
            antialiased: bool = True, title=None, figsize=(6, 5)):
    """Contour plot of ``surface.f`` over its window; returns the Axes.

    Low loss is light, high loss grey, so coloured paths stand out. The
    levels are ``levels``, else ``surface.levels``, else quantiles of f over
    the window (:func:`contour_levels`). Global minima are marked with a
    star, local minima with a diamond, saddle points with a plus, and
    ``surface.start`` (if ``show_start``) with a circle. ``surface`` is a
    :class:`~optlib.surfaces.Surface` or its name. The grid is computed once
    per surface and cached. ``antialiased=False`` draws aliased contour
    lines, which keeps animation frames small.
    """
    s = get_surface(surface)
    with style():
        ax = _new_axes(ax, figsize, layout="compressed")
        X, Y, Z = surface_grid(s, resolution)
        lev = contour_levels(s, Z) if levels is None else np.asarray(levels, dtype=float)
        if filled:      # one shade per band, and one below and above the levels
            shades = mpl.colormaps["Greys"](np.linspace(0.0, 0.35, len(lev) + 1))
            cs = ax.contourf(X, Y, Z, levels=lev, colors=shades, extend="both")
            if colorbar:
                ax.figure.colorbar(cs, ax=ax, label="loss f(x)", shrink=0.8)
        ax.contour(X, Y, Z, levels=lev, colors="#9A9A9A", linewidths=0.5,
                   antialiased=antialiased)
        marker = dict(linestyle="none", markeredgecolor="black", markerfacecolor="white",
                      zorder=5)
        if show_minima:
            if len(s.global_minima):
                ax.plot(*_points(s.global_minima), marker="*", markersize=13,
                        label="global minimum", **marker)
            if len(s.local_minima):
                ax.plot(*_points(s.local_minima), marker="D", label="local minimum",
                        markersize=6 if len(s.local_minima) <= MANY_MINIMA else 2.5, **marker)
            if len(s.saddles):
                ax.plot(*_points(s.saddles), marker="P", markersize=8,
                        label="saddle point", **marker)
        if show_start and s.start is not None:
            ax.plot(*_points(s.start), marker="o", markersize=7, label="start", **marker)
        (x0, x1), (y0, y1) = s.window
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        if 0.5 <= (y1 - y0) / (x1 - x0) <= 2.0:
            ax.set_aspect("equal", adjustable="box")
        ax.grid(False)
        ax.set_xlabel("parameter $x_1$")
        ax.set_ylabel("parameter $x_2$")
        ax.set_title(s.title if title is None else title)
    return ax


def _check_path(label, path):
    p = np.asarray(path, dtype=float)
    if p.ndim != 2 or p.shape[1] != 2 or len(p) == 0:
        raise ValueError(f"path {label!r} must have shape (steps + 1, 2), got {p.shape}")
    return p


def trajectories(surface, paths: dict, ax=None, *, colors=None, legend: bool = True,
                 title=None, figsize=(7, 5), **contour_kw):
    """The surface's contour and one line per labelled path; returns the Axes.

    ``paths`` maps a label to an array of shape ``(steps + 1, 2)`` (from
    :func:`optlib.run`). Each path's start is a hollow circle and its end a
    filled dot. A diverged path (:func:`divergence_step`: not finite, or far
    outside the window) is drawn up to its last finite in-window point, ends
    in an ``x``, and its legend label says "(diverged)"; one that ends just
    outside the window says "(left the window)". Labels that start with an
    optimizer's name get their optimizer's colour.
    """
    s = get_surface(surface)
    if not paths:
        raise ValueError("paths must map at least one label to a trajectory")
    checked = {label: _check_path(label, p) for label, p in paths.items()}
    colors = {**colors_for(checked), **(colors or {})}
    with style():
        ax = contour(s, ax, show_start=False, title=title, figsize=figsize, **contour_kw)
        _draw_paths(ax, s, checked, colors)
        if legend:
            _outside_legend(ax)
    return ax


def _path_specs(surface, paths: dict, colors: dict) -> list:
    """What :func:`_draw_paths` draws, as ``(x, y, fmt, style)`` per artist, in its order."""
    specs = []
    for label, p in paths.items():
        c = colors[label]
        drawn, k, left = drawable(p, surface)
        specs.append((drawn[:, 0], drawn[:, 1], "-",
                      dict(color=c, lw=1.8, zorder=3, label=_path_label(label, k, left))))
        specs.append(([p[0, 0]], [p[0, 1]], "o", dict(ms=6, mfc="white", mec=c, mew=1.5, zorder=4)))
        if k is None:
            specs.append(([p[-1, 0]], [p[-1, 1]], "o",
                          dict(ms=6, color=c, mec="white", mew=0.8, zorder=4)))
        elif len(drawn):
            specs.append(([drawn[-1, 0]], [drawn[-1, 1]], "x",
                          dict(ms=10, mew=2.5, color=c, zorder=6)))
    return specs


def _draw_specs(ax, specs) -> list:
    return [line for x, y, fmt, style in specs for line in ax.plot(x, y, fmt, **style)]


def _draw_paths(ax, surface, paths: dict, colors: dict) -> list:
    """The lines and markers of :func:`trajectories` for checked ``paths``; returns the artists
    (the race explorer moves them, or removes them, to show the next paths on the same contour)."""
    return _draw_specs(ax, _path_specs(surface, paths, colors))


def _outside_legend(ax, **kw):
    """A legend to the right of the axes (constrained layout makes room for it)."""
    return ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, **kw)


def _percent(share) -> str:
    return "<1%" if 0 < share < 0.005 else f"{share:.0%}"


def basin_map(opt=None, surface=None, *, labels=None, extent=None, steps: int = 300,
              n: int = 200, max_basins: int = 6, ax=None, title=None, figsize=(6, 6.5),
              **basins_kw):
    """Basins of attraction: which minimum each start point on an n x n grid ends in.

    Either pass ``opt`` and ``surface`` (the map is computed with
    :func:`optlib.runners.basins`), or precomputed ``labels``: the BasinMap
    that ``basins`` returns, or an n x n array (an index into
    ``surface.minima``, -1 not converged, -2 diverged) and its ``extent``.

    The global minima and the largest local basins (``max_basins`` in all)
    get a colour each, the remaining local basins one shared colour; not
    converged is light grey and diverged dark grey. The legend gives the
    share of start points in each class. Returns the Axes.
    """
    s = get_surface(surface)
    if labels is None:
        if not isinstance(opt, Optimizer):
            raise ValueError("basin_map needs an optimizer such as optlib.adam(lr=0.1), "
                             "or precomputed labels and extent")
        from .runners import basins
        labels = basins(opt, s, steps=steps, n=n, **basins_kw)
    if hasattr(labels, "extent"):                   # a BasinMap from optlib.basins
        labels, extent = labels.labels, labels.extent
    labels = np.asarray(labels)
    if extent is None:
        (x0, x1), (y0, y1) = s.window
        extent = (x0, x1, y0, y1)
    minima = np.asarray(s.minima, dtype=float).reshape(-1, 2)
    n_global = len(s.global_minima)
    total = labels.size
    share = {i: np.count_nonzero(labels == i) / total for i in range(-2, len(minima))}
    # Own colours for the global minima and the largest local basins; the rest
    # (ripple has two dozen minima) share one colour and one legend entry.
    local = sorted((i for i in range(n_global, len(minima)) if share[i]), key=lambda i: -share[i])
    own = list(range(n_global)) + local[:max(0, max_basins - n_global)]
    rest = local[max(0, max_basins - n_global):]
    classes = np.full(labels.shape, 1)                          # not converged
    classes[labels == -2] = 0                                   # diverged
    for j, i in enumerate(own):
        classes[labels == i] = 2 + j
    classes[np.isin(labels, rest)] = 2 + len(own)
    colors = [DARK_GREY, LIGHT_GREY] + [BASIN_COLORS[j % len(BASIN_COLORS)]
                                        for j in range(len(own))] + [OTHER_BASINS]
    cmap = ListedColormap(colors)
    norm = BoundaryNorm(np.arange(-0.5, len(colors)), cmap.N)
    with style():
        ax = _new_axes(ax, figsize, layout="compressed")
        ax.imshow(classes, origin="lower", extent=extent, cmap=cmap, norm=norm,
                  interpolation="nearest", aspect="auto")
        X, Y, Z = surface_grid(s)
        ax.contour(X, Y, Z, levels=contour_levels(s, Z), colors="white", linewidths=0.4,
                   alpha=0.7)
        handles = []
        for j, i in enumerate(own):
            (x, y), kind = minima[i], "global" if i < n_global else "local"
            handles.append(Patch(color=colors[2 + j],
                                 label=f"{kind} min. ({x:.2f}, {y:.2f}): {_percent(share[i])}"))
        if rest:
            handles.append(Patch(color=OTHER_BASINS, label=f"{len(rest)} other local minima: "
                                 f"{_percent(sum(share[i] for i in rest))}"))
        for value, name in ((-1, "not converged"), (-2, "diverged")):
            if share[value]:
                handles.append(Patch(color=colors[value + 2],
                                     label=f"{name}: {_percent(share[value])}"))
        if n_global:
            ax.plot(*_points(s.global_minima), "*", ms=12, mfc="white", mec="black", zorder=5)
        if len(s.local_minima):
            ax.plot(*_points(s.local_minima), "D", mfc="white", mec="black", zorder=5,
                    ms=5 if len(s.local_minima) <= MANY_MINIMA else 2)
        ax.set_xlim(extent[0], extent[1])
        ax.set_ylim(extent[2], extent[3])
        ax.set_aspect("equal", adjustable="box")
        ax.grid(False)
        ax.set_xlabel("start $x_1$")
        ax.set_ylabel("start $x_2$")
        name = repr(opt) if isinstance(opt, Optimizer) else "basins"
        ax.set_title(f"{name} on {s.title}" if title is None else title)
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.12),
                  ncol=2, title="where each start ends")
    return ax


# --------------------------------------------------------------------------
# 1D responses
# --------------------------------------------------------------------------

def format_value(value) -> str:
    """A hyperparameter's value as every title, legend and slider of the book prints it.

    The shortest form, of at most six significant digits, that reads back as
    the value (``0.25``, ``0.158``, ``0.9999``, ``100``, ``1e-08``); other
    values as ``str``. Whole numbers keep all their digits (``100``, not
    ``1e+02``), as the sliders' readouts show them. The explorers' sliders
    round their values to what their readout shows, so a title and its
    slider always agree.

    >>> format_value(0.25), format_value(0.158), format_value(10 ** -0.8), format_value(100.0)
    ('0.25', '0.158', '0.158489', '100')
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
        return str(value)
    if not np.isfinite(value):
        return str(float(value))
    whole = int(np.floor(np.log10(abs(value)))) + 1 if abs(value) >= 1 else 1
    for digits in range(whole, max(whole, 6) + 1):
        text = f"{value:.{digits}g}"
        if float(text) == value:
            return text
    return f"{value:.{max(whole, 6)}g}"


def _sweep_label(param_name, value) -> str:
    return f"{param_name} = {format_value(value)}"


def sweep_responses(optimizer, signal, param_name: str, values, fixed=None) -> dict:
    """``{value: updates}``: :func:`optlib.respond` of ``optimizer(**fixed, param_name=value)``
    to ``signal`` (an array of gradient values) for each value."""
    factory = optimizer_factory(optimizer)
    fixed = dict(fixed or {})
    if param_name in fixed:
        raise ValueError(f"{param_name!r} is swept, so it cannot also be in fixed")
    return {v: respond(factory(**fixed, **{param_name: v}), signal) for v in values}


def _draw_responses(ax, g, curves: dict, param_name, legend=True):
    steps = np.arange(len(g))
    ax.axhline(0.0, color="black", lw=0.6)
    ax.plot(steps, g, color=GREY, lw=1.4, alpha=0.8, label="gradient")
    for color, (value, u) in zip(sweep_colors(len(curves)), curves.items()):
        bad = ~np.isfinite(u)
        label = _sweep_label(param_name, value)
        if bad.any():
            u = np.where(np.arange(len(u)) < np.argmax(bad), u, np.nan)
            label += " (diverged)"
        ax.plot(steps, u, color=color, lw=1.5, label=label)
    ax.set_xlim(0, len(g) - 1)
    if legend:
        ax.legend(loc="best")


def _name_of(optimizer) -> str:
    return getattr(optimizer, "__name__", str(optimizer))


def _fixed_text(fixed) -> str:
    return ", ".join(f"{k} = {format_value(v)}" for k, v in (fixed or {}).items())


def response(optimizer, signal, param_name: str, values, fixed=None, ax=None, *,
             n: int = 300, title=None, legend: bool = True, figsize=(8, 3.5)):
    """The update a method makes at each step for a 1D gradient signal, for several values
    of one hyperparameter; returns the Axes.

    ``optimizer`` is a factory (``optlib.momentum``) or its name; ``signal`` a
    name from :data:`optlib.signals.SIGNALS` (with ``n`` steps) or an array of
    gradient values; ``param_name`` the hyperparameter swept over ``values``;
    ``fixed`` the other hyperparameters. The gradient is drawn in grey, each
    update (the amount subtracted from the parameter, :func:`optlib.respond`)
    in a colour from dark to light along the sweep.
    """
    g, sig_name = get_signal(signal, n)
    curves = sweep_responses(optimizer, g, param_name, values, fixed)
    with style():
        ax = _new_axes(ax, figsize)
        _draw_responses(ax, g, curves, param_name, legend)
        ax.set_xlabel("step")
        ax.set_ylabel("gradient / update")
        if title is None:
            fixed_txt = _fixed_text(fixed)
            title = _name_of(optimizer) + (f" ({fixed_txt})" if fixed_txt else "")
            if sig_name:
                title += f": {_signals.TITLES[sig_name]}"
        ax.set_title(title)
    return ax


def response_grid(optimizer, param_name: str, values, fixed=None, signals=None, *,
                  n: int = 300, ncols: int = 3, title=None, figsize=None):
    """The sweep of :func:`response` on several signals (default: all six), one small panel
    each, with one legend for the figure; returns the Figure."""
    names = list(_signals.SIGNALS) if signals is None else list(signals)
    data = [get_signal(name, n) for name in names]
    nrows = -(-len(names) // ncols)
    with style():
        fig, axes = plt.subplots(nrows, ncols, squeeze=False, layout="constrained",
                                 figsize=figsize or (3.4 * ncols, 2.4 * nrows + 0.6))
        for i, ax in enumerate(axes.flat):
            if i >= len(names):
                ax.set_visible(False)
                continue
            g, sig_name = data[i]
            curves = sweep_responses(optimizer, g, param_name, values, fixed)
            _draw_responses(ax, g, curves, param_name, legend=False)
            ax.set_title(_signals.TITLES[sig_name].split(":")[0] if sig_name else f"signal {i + 1}")
            if i // ncols == nrows - 1 or i + ncols >= len(names):
                ax.set_xlabel("step")
            if i % ncols == 0:
                ax.set_ylabel("gradient / update")
        handles, labels = axes.flat[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncol=len(labels))
        if title is None:
            fixed_txt = _fixed_text(fixed)
            title = f"{_name_of(optimizer)}: update for several {param_name}" + \
                (f" ({fixed_txt})" if fixed_txt else "")
        fig.suptitle(title)
    return fig


# --------------------------------------------------------------------------
# Internals: the optimizer's state over time
# --------------------------------------------------------------------------

_FIELD_LABELS = {
    # the book's symbols (chapters/appendix_notation.md), with the state field's name
    # where they differ: the second moment is s_t in the book, v in torch and optlib
    "v": "second moment $s$ (v)", "m": "first moment $m$", "G": "sum of squares $G$",
    "E": "mean of $g^2$, $E$", "D": "mean of $\\Delta^2$, $D$", "u": "max norm $u$",
    "v_max": "largest $s$ (v_max)", "mu_product": "$\\prod_k \\beta_{1,k}$ (mu_product)",
}


def _field_label(state, field):
    if field == "v" and type(state).__name__ == "MomentumState":
        return "velocity $v$"
    return _FIELD_LABELS.get(field, field)


def internals(opt, grad, x0=None, steps: int = 100, fields=None, *, title=None, figsize=None):
    r"""The optimizer's state over time, one panel per state field; returns the Figure.

    ``grad`` is a callable or a :class:`~optlib.surfaces.Surface` (or its name;
    then ``x0`` defaults to its start). Panels, all against the step number:
    the gradient :math:`g_t`; each state field (``fields``, default all:
    velocity ``v``, moments ``m`` and ``v``, accumulators ``G``, ``E``, ``D``,
    ...), one line per coordinate; and the effective step size per coordinate

    .. math::  \eta^{\mathrm{eff}}_t = |x_t - x_{t-1}| \,/\, |g_t|, \qquad g_t = \nabla f(x_{t-1}),

    the distance moved per unit of gradient at the point the step started
    from (SGD: always ``lr``; for Nesterov the gradient used is taken
    elsewhere, at the look-ahead point). It is left out (gap) where
    :math:`|g_t| < 10^{-12}`, and drawn on a log scale.
    """
    from .runners import run_with_states
    if not isinstance(grad, str) and callable(grad):
        g_fn, where = grad, ""
    else:
        s = get_surface(grad)
        g_fn, where = s.grad, f" on {s.title}"
        if x0 is None:
            x0 = s.start
    if x0 is None:
        raise ValueError("x0 is needed (the surface has no default start)")
    path, states = run_with_states(opt, g_fn, np.asarray(x0, dtype=float), steps)
    available = [f for f in states._fields
                 if f != "t" and np.ndim(getattr(states, f)) >= 1]
    if fields is None:
        fields = available
    for f in fields:
        if f not in available:
            raise ValueError(f"unknown state field {f!r} for {opt!r}; allowed: "
                             f"{', '.join(map(repr, available))}")
    with np.errstate(all="ignore"):
        g = np.array([np.asarray(g_fn(p), dtype=float) for p in path[:-1]])
        moved = np.abs(np.diff(path, axis=0))
        eff = np.where(np.abs(g) >= 1e-12, moved / np.abs(g), np.nan)
    t_all = np.arange(len(path))
    panels = [("gradient $g$", t_all[1:], g)] + \
        [(_field_label(states, f), t_all, np.asarray(getattr(states, f))) for f in fields] + \
        [("effective step\n$|\\Delta x| / |g|$", t_all[1:], eff)]
    coord_colors = ["#0072B2", "#D55E00", "#009E73", "#CC79A7"]
    with style():
        fig, axes = plt.subplots(len(panels), 1, sharex=True, layout="constrained",
                                 figsize=figsize or (7, 1.5 * len(panels) + 0.8))
        axes = np.atleast_1d(axes)
        for ax, (label, t, values) in zip(axes, panels):
            values = values.reshape(len(t), -1)
            for j in range(values.shape[1]):
                ax.plot(t, values[:, j], color=coord_colors[j % len(coord_colors)], lw=1.3,
                        label=f"coordinate $x_{j + 1}$" if values.shape[1] > 1 else None)
            ax.set_ylabel(label)
        if np.any(eff > 0):
            axes[-1].set_yscale("log")
        axes[-1].set_xlabel("step")
        if path[0].size > 1:
            axes[0].legend(loc="upper right", ncol=2)
        fig.suptitle(f"{opt!r}{where}" if title is None else title)
    return fig


# --------------------------------------------------------------------------
# Learning curves
# --------------------------------------------------------------------------

def learning_curves(curves: dict, ax=None, *, band=(10, 90), logy: bool = True,
                    xlabel: str = "step", ylabel: str = "loss", title=None, figsize=(7, 4)):
    """Median over seeds with a shaded band, one colour per label; returns the Axes.

    ``curves`` maps a label to an array of shape ``(seeds, steps)`` (a 1D
    array counts as one seed). The band spans the ``band`` percentiles over
    seeds (``(0, 100)`` for min to max). Non-finite values (diverged seeds)
    are ignored at each step.
    """
    if not curves:
        raise ValueError("curves must map at least one label to an array (seeds, steps)")
    lo_q, hi_q = band
    colors = colors_for(curves)
    seeds = set()
    with style(), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)     # all-nan steps give nan, that is fine
        ax = _new_axes(ax, figsize)
        for label, c in curves.items():
            a = np.atleast_2d(np.asarray(c, dtype=float))
            a = np.where(np.isfinite(a), a, np.nan)
            seeds.add(a.shape[0])
            steps = np.arange(a.shape[1])
            ax.plot(steps, np.nanmedian(a, axis=0), color=colors[label], label=str(label))
            if a.shape[0] > 1:
                lo, hi = np.nanpercentile(a, [lo_q, hi_q], axis=0)
                ax.fill_between(steps, lo, hi, color=colors[label], alpha=0.2, lw=0)
        if logy:
            ax.set_yscale("log")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        n_seeds = "/".join(str(k) for k in sorted(seeds))
        ax.legend(title=f"median of {n_seeds} seeds, band {lo_q:g}-{hi_q:g} %")
        if title:
            ax.set_title(title)
    return ax
