"""Animations that work without a kernel: matplotlib ``to_jshtml`` with embedded frames.

- :func:`race` animates several trajectories on one surface (a FuncAnimation);
  :func:`race_html` renders it to HTML for a notebook cell.
- :func:`sweep_html` turns any drawing function into an animation whose frames
  are the values of a slider: the static twin of a widget (see
  :mod:`optlib.widgets`).
- :func:`to_jshtml` renders an animation with small frames: PNGs reduced to a
  32-colour palette, which makes them two to three times smaller.

A chapter cell ends with the HTML object, so the notebook shows the player
and nothing else::

    paths = {name: optlib.run(optlib.OPTIMIZERS[name](lr=0.1), s.grad, s.start, 150)
             for name in ("sgd", "momentum", "adam")}
    optlib.animation.race_html(s, paths)

Figures here are made without pyplot, so a notebook shows no extra static
image of the last frame. With the defaults (6 x 5 inches at 64 dpi, at most
40 frames) a race of three methods is about 400 kB of HTML, so a page can
hold three; paths that zig-zag over the whole window cost more.
"""
from __future__ import annotations

import base64
from io import BytesIO
from pathlib import Path
from tempfile import TemporaryDirectory

import numpy as np
from matplotlib.animation import FuncAnimation, HTMLWriter
from matplotlib.backend_bases import FigureCanvasBase
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from . import plotting

__all__ = ["race", "race_html", "sweep_html", "to_jshtml", "frame_steps", "freeze", "MAX_FRAMES"]

#: The most frames an animation may have (a size guard for the book's pages).
MAX_FRAMES = 60


def _figure(figsize, dpi, layout="constrained") -> Figure:
    """A figure outside pyplot (nothing is shown by the notebook's inline backend).

    Its canvas is matplotlib's base canvas, whose ``draw_idle`` does nothing:
    while saving, each frame is then drawn once (by ``savefig``), not twice.
    """
    return Figure(figsize=figsize, dpi=dpi, layout=layout)


def freeze(fig, ax, keep_title: bool = True):
    """Turn everything drawn on ``fig`` so far into one background image; return a
    transparent overlay Axes at ``ax``'s place, with its limits, for the moving parts.

    A redraw then costs one image and a few lines instead of a whole contour
    plot. The layout is computed once and then fixed, so frames cannot jitter.
    With ``keep_title=False`` the title of ``ax`` keeps its space but is left
    out of the image, for the overlay's own (changing) title. ``fig`` must
    hold only ``ax``; it keeps an Agg canvas.
    """
    fig.draw_without_rendering()            # run the layout once ...
    fig.set_layout_engine(None)             # ... then fix it
    if not keep_title:
        ax.set_title("")
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    background = np.asarray(canvas.buffer_rgba()).copy()
    position, xlim, ylim = ax.get_position(), ax.get_xlim(), ax.get_ylim()
    fig.clear()
    back = fig.add_axes((0, 0, 1, 1))                   # the picture, filling the figure
    back.imshow(background, aspect="auto", interpolation="nearest")
    back.set_axis_off()
    overlay = fig.add_axes(position)
    overlay.set_xlim(xlim)
    overlay.set_ylim(ylim)
    overlay.set_axis_off()
    return overlay


def frame_steps(n_steps: int, frames: int) -> np.ndarray:
    """At most ``frames`` step indices from 0 to ``n_steps``, evenly spaced, both ends included."""
    if not 1 <= frames <= MAX_FRAMES:
        raise ValueError(f"frames must be between 1 and {MAX_FRAMES}, got {frames!r}")
    return np.unique(np.linspace(0, n_steps, frames).round().astype(int))


def race(surface, paths: dict, *, frames: int = 40, interval: int = 120, figsize=(6, 5),
         dpi: int = 64, title=None) -> FuncAnimation:
    """Animate trajectories on a surface, all methods moving together step by step.

    ``paths`` maps a label to an array ``(steps + 1, 2)``; the animation shows
    ``frames`` evenly spaced steps. The contour is drawn once; each frame only
    moves the lines and their heads. A diverged run
    (:func:`optlib.plotting.divergence_step`) stops at its last in-window
    point, where an ``x`` appears when the race reaches the step it diverged;
    its legend label says "(diverged)" from the start.
    Render it with :func:`to_jshtml` or use :func:`race_html`.
    """
    s = plotting.get_surface(surface)
    if not paths:
        raise ValueError("paths must map at least one label to a trajectory")
    checked = {label: plotting._check_path(label, p) for label, p in paths.items()}
    n_steps = max(len(p) for p in checked.values()) - 1
    shown = frame_steps(n_steps, frames)
    colors = plotting.colors_for(checked)
    fig = _figure(figsize, dpi, layout="compressed")
    with plotting.style():
        ax = fig.add_subplot()
        levels = plotting.contour_levels(s)
        levels = levels[::-(-len(levels) // 16)]          # at most 16 levels: smaller frames
        plotting.contour(s, ax, levels=levels, show_start=False, antialiased=False, title=title)
        shown_paths = {}
        for label, p in checked.items():
            c = colors[label]
            drawn, k, left = plotting.drawable(p, s)
            shown_paths[label] = drawn, k
            ax.plot([], [], color=c, lw=1.8, label=plotting._path_label(label, k, left))
            ax.plot(*p[0], "o", ms=6, mfc="white", mec=c, mew=1.5, zorder=4)
        plotting._outside_legend(ax)
        overlay = freeze(fig, ax)
        FigureCanvasBase(fig)       # its draw_idle does nothing: each frame is drawn once
        runs = []
        for label, (drawn, k) in shown_paths.items():
            c = colors[label]
            line, = overlay.plot([], [], color=c, lw=1.8, zorder=3)
            head, = overlay.plot([], [], "o", ms=6, color=c, mec="white", mew=0.8, zorder=4)
            cross, = overlay.plot([], [], "x", ms=10, mew=2.5, color=c, zorder=6)
            runs.append((drawn, k, line, head, cross))
        clock = overlay.text(0.02, 0.97, "", transform=overlay.transAxes, va="top", fontsize=9,
                             bbox=dict(boxstyle="round", fc="white", ec="none", alpha=0.8))

    def update(i):
        step = shown[i]
        for drawn, k, line, head, cross in runs:
            upto = min(step, len(drawn) - 1)            # -1: nothing to draw
            line.set_data(drawn[:upto + 1, 0], drawn[:upto + 1, 1])
            if k is not None and step >= k:
                head.set_data([], [])
                cross.set_data(drawn[-1:, 0], drawn[-1:, 1])
            else:
                head.set_data(drawn[upto:upto + 1, 0], drawn[upto:upto + 1, 1])
                cross.set_data([], [])
        clock.set_text(f"step {step} / {n_steps}")
        return []

    return FuncAnimation(fig, update, frames=len(shown), interval=interval, repeat=False,
                         init_func=lambda: update(0))


class _SmallFramesWriter(HTMLWriter):
    """HTMLWriter whose embedded PNG frames are reduced to a small adaptive palette."""

    def __init__(self, *args, colors: int = 32, **kwargs):
        super().__init__(*args, embed_frames=True, **kwargs)
        self.colors = colors

    def grab_frame(self, **savefig_kwargs):
        raw = BytesIO()
        self.fig.savefig(raw, format="rgba", dpi=self.dpi, **savefig_kwargs)
        size = (round(self.fig.get_figwidth() * self.dpi),
                round(self.fig.get_figheight() * self.dpi))
        image = Image.frombuffer("RGBA", size, raw.getbuffer(), "raw", "RGBA", 0, 1)
        image = image.convert("RGB").quantize(self.colors, method=Image.Quantize.FASTOCTREE,
                                              dither=Image.Dither.NONE)
        small = BytesIO()
        image.save(small, format="png", compress_level=9)
        self._saved_frames.append(base64.encodebytes(small.getvalue()).decode("ascii"))


def to_jshtml(anim: FuncAnimation, *, default_mode: str = "once", colors: int = 32) -> str:
    """The animation as a self-contained HTML player (the frames embedded as PNG).

    Like ``anim.to_jshtml()``, but each frame is reduced to ``colors`` colours,
    so the page stays small. The figure is closed afterwards.
    """
    fig = anim._fig
    with TemporaryDirectory() as tmp:
        path = Path(tmp, "animation.html")
        writer = _SmallFramesWriter(fps=1000 / anim._interval, default_mode=default_mode,
                                    colors=colors)
        anim.save(str(path), writer=writer, dpi=fig.dpi)
        html = path.read_text()
    _close(fig)
    return html


def _close(fig):
    import matplotlib.pyplot as plt
    plt.close(fig)     # a no-op for figures made outside pyplot


def _html(text):
    from IPython.display import HTML
    return HTML(text)


def race_html(surface, paths: dict, *, default_mode: str = "once", **race_kw):
    """:func:`race` rendered as an ``IPython.display.HTML`` player; the figure is closed."""
    return _html(to_jshtml(race(surface, paths, **race_kw), default_mode=default_mode))


def sweep_html(draw_frame, values, *, fig=None, clear=None, figsize=(6, 4.5), dpi: int = 64,
               interval: int = 800, default_mode: str = "loop"):
    """An HTML player whose frames are ``draw_frame(fig, value)`` for each value.

    This is how a widget gets its static twin: the frames are the slider's
    values, and the player's own slider steps through them in any browser.
    ``draw_frame`` draws the picture for one value on ``fig``. Without
    ``fig`` a new figure is made and cleared before each frame (``clear``);
    with a ``fig`` (such as an explorer's), ``draw_frame`` is expected to
    update its artists in place. Returns ``IPython.display.HTML``.
    """
    values = list(values)
    if not 1 <= len(values) <= MAX_FRAMES:
        raise ValueError(f"values must hold between 1 and {MAX_FRAMES} frames, got {len(values)}")
    if clear is None:
        clear = fig is None
    if fig is None:
        fig = _figure(figsize, dpi)

    def update(i):
        if clear:
            fig.clear()
        with plotting.style():
            draw_frame(fig, values[i])
        return []

    anim = FuncAnimation(fig, update, frames=len(values), interval=interval, repeat=True)
    return _html(to_jshtml(anim, default_mode=default_mode))
