"""Animations that work without a kernel: HTML players with their PNG frames embedded.

- :func:`race` animates several trajectories on one surface (a FuncAnimation);
  :func:`race_html` renders it to HTML for a notebook cell.
- :func:`sweep_html` turns any drawing function into an animation whose frames
  are the values of a slider: the static twin of a widget (see
  :mod:`optlib.widgets`).
- :func:`to_jshtml` renders an animation with small frames: PNGs reduced to a
  32-colour palette, which makes them two to three times smaller.

The player is this module's own (:func:`player_html`), not matplotlib's: its
first frame is in the page's HTML with its size, so it shows wherever the
HTML is shown, before and without any script (JupyterLab renders cells
outside the window lazily, and matplotlib's player, which set its image from
a script, stayed blank there until a button was pressed); the buttons find
their player from the element clicked, not from an id looked up when the
output was inserted; the icons are inline SVG (no font from a CDN).
``make test-live`` checks it in JupyterLab (default windowing), Notebook 7
and on a plain page as the site shows it. Where no script runs at all (a
viewer that strips scripts but keeps images) the first frame still shows.

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
import html as _html_text
import json
import uuid
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

__all__ = ["race", "race_html", "sweep_html", "to_jshtml", "player_html", "frame_steps", "freeze",
           "MAX_FRAMES", "save", "SAVE_FORMATS"]

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
    """HTMLWriter whose PNG frames are reduced to a small adaptive palette and which
    writes this module's player (:func:`player_html`) instead of matplotlib's."""

    def __init__(self, *args, colors: int = 32, interval: float = 200, alt=None, **kwargs):
        super().__init__(*args, embed_frames=True, **kwargs)
        self.colors = colors
        self.interval = interval
        self.alt = alt
        self.size = None

    def grab_frame(self, **savefig_kwargs):
        # laid out once and drawn once (savefig would draw a frame with a layout engine twice)
        kwargs = dict(savefig_kwargs)
        rgba = None
        if not kwargs.pop("transparent", False):     # savefig's own option; not print_figure's
            rgba = plotting._rgba_drawn_once(self.fig, self.dpi, **kwargs)
        if rgba is None:
            raw = BytesIO()
            self.fig.savefig(raw, format="rgba", dpi=self.dpi, **savefig_kwargs)
            size = (round(self.fig.get_figwidth() * self.dpi),
                    round(self.fig.get_figheight() * self.dpi))
            rgba = np.frombuffer(raw.getbuffer(), np.uint8).reshape(size[1], size[0], 4)
        self.size = (rgba.shape[1], rgba.shape[0])
        image = Image.fromarray(rgba, "RGBA")
        image = image.convert("RGB").quantize(self.colors, method=Image.Quantize.FASTOCTREE,
                                              dither=Image.Dither.NONE)
        small = BytesIO()
        # zlib level 8, not 9: a third of the time (a 384 x 320 race frame 28 -> 10 ms, more
        # than its drawing) for 0.3-2 % more bytes
        image.save(small, format="png", compress_level=8)
        self._saved_frames.append(small.getvalue())

    def finish(self):
        Path(self.outfile).write_text(player_html(
            self._saved_frames, self.size, interval=self.interval,
            default_mode=self.default_mode, alt=self.alt))
        if getattr(self, "_tmpdir", None):
            self._tmpdir.cleanup()


def to_jshtml(anim: FuncAnimation, *, default_mode: str = "once", colors: int = 32,
              alt=None) -> str:
    """The animation as a self-contained HTML player (:func:`player_html`, frames embedded).

    Like ``anim.to_jshtml()``, but each frame is reduced to ``colors`` colours,
    so the page stays small, and the player shows its first frame without a
    script. ``alt`` describes the animation for screen readers. The figure is
    closed afterwards.
    """
    fig = anim._fig
    # The base canvas's draw_idle does nothing: each frame is drawn once, by the writer
    # (an Agg canvas, an explorer's, would also draw it after each update: twice the work).
    FigureCanvasBase(fig)
    with TemporaryDirectory() as tmp:
        path = Path(tmp, "animation.html")
        writer = _SmallFramesWriter(fps=1000 / anim._interval, default_mode=default_mode,
                                    colors=colors, interval=anim._interval, alt=alt)
        anim.save(str(path), writer=writer, dpi=fig.dpi)
        html = path.read_text()
    _close(fig)
    return html


# The player's script: defines window.optlibPlayer once per page. A button calls
# optlibPlayer(this).next(): the player is found from the element clicked (its
# .optlib-player ancestor) and built on first use from the frames stored in its
# own <script type="application/json">, so nothing depends on when, or whether,
# the output was attached to the document (lazily rendered cells, iframes).
_PLAYER_JS = r"""
(function () {
  if (window.optlibPlayer && window.optlibPlayer.version === 1) return;
  function Player(root) {
    this.root = root;
    this.img = root.querySelector('img.optlib-player-frame');
    this.slider = root.querySelector('input.optlib-player-slider');
    this.counter = root.querySelector('.optlib-player-counter');
    this.frames = JSON.parse(root.querySelector('script.optlib-player-frames').textContent);
    this.first = this.img.getAttribute('src');
    this.interval = Number(root.getAttribute('data-interval')) || 200;
    this.i = 0; this.direction = 0; this.timer = null;
  }
  var P = Player.prototype;
  P.show = function (i) {
    var n = this.frames.length;
    i = Math.max(0, Math.min(n - 1, i | 0));
    this.i = i;
    this.img.src = i === 0 ? this.first : 'data:image/png;base64,' + this.frames[i];
    this.img.alt = this.img.alt.replace(/frame \d+ of/, 'frame ' + (i + 1) + ' of');
    this.slider.value = i;
    if (this.counter) this.counter.textContent = (i + 1) + ' / ' + n;
  };
  P.mode = function () {
    var r = this.root.querySelector('input.optlib-player-mode:checked');
    return r ? r.value : 'once';
  };
  P.tick = function () {
    if (!this.root.isConnected) { this.pause(); return; }
    var n = this.frames.length, j = this.i + this.direction;
    if (j >= 0 && j < n) { this.show(j); return; }
    var mode = this.mode();
    if (mode === 'loop') this.show(this.direction > 0 ? 0 : n - 1);
    else if (mode === 'reflect' && n > 1) { this.direction = -this.direction; this.show(this.i + this.direction); }
    else this.pause();
  };
  P.run = function (direction) {
    this.pause();
    this.direction = direction;
    var self = this;
    this.timer = setInterval(function () { self.tick(); }, this.interval);
  };
  P.play = function () { this.run(1); };
  P.reverse = function () { this.run(-1); };
  P.pause = function () {
    if (this.timer) clearInterval(this.timer);
    this.timer = null; this.direction = 0;
  };
  P.first_frame = function () { this.pause(); this.show(0); };
  P.last_frame = function () { this.pause(); this.show(this.frames.length - 1); };
  P.next = function () { this.pause(); this.show(this.i + 1); };
  P.previous = function () { this.pause(); this.show(this.i - 1); };
  P.speed = function (factor) {
    this.interval = Math.max(20, Math.min(5000, this.interval * factor));
    if (this.direction) this.run(this.direction);
  };
  P.faster = function () { this.speed(0.7); };
  P.slower = function () { this.speed(1 / 0.7); };
  window.optlibPlayer = function (el) {
    var root = el.closest('.optlib-player');
    if (!root.optlibPlayer) root.optlibPlayer = new Player(root);
    return root.optlibPlayer;
  };
  window.optlibPlayer.version = 1;
})();
"""

# 16 x 16 icons, drawn in the button's text colour.
_ICONS = {
    "slower": "M2 7h12v2H2z",
    "first": "M2 2h2v12H2zM9 8l6-6v12zM3 8l6-6v12z",
    "previous": "M2 2h2v12H2zM5 8l8-6v12z",
    "reverse": "M3 8l10-6v12z",
    "pause": "M3 2h4v12H3zM9 2h4v12H9z",
    "play": "M3 2l10 6-10 6z",
    "next": "M12 2h2v12h-2zM3 2l8 6-8 6z",
    "last": "M12 2h2v12h-2zM1 2l6 6-6 6zM7 2l6 6-6 6z",
    "faster": "M7 2h2v5h5v2H9v5H7V9H2V7h5z",
}
_BUTTONS = (("slower", "Slower", "slower"), ("first", "First frame", "first_frame"),
            ("previous", "Previous frame", "previous"), ("reverse", "Play backwards", "reverse"),
            ("pause", "Pause", "pause"), ("play", "Play", "play"),
            ("next", "Next frame", "next"), ("last", "Last frame", "last_frame"),
            ("faster", "Faster", "faster"))
_MODES = (("once", "Once"), ("loop", "Loop"), ("reflect", "Reflect"))


def player_html(frames, size, *, interval: float = 200, default_mode: str = "once",
                alt=None) -> str:
    """A self-contained HTML player for PNG ``frames`` (bytes) of ``size`` = (width, height) px.

    The first frame is the ``<img>``'s own ``src``, with its width and height,
    so the player has its place and its picture before any script runs; the
    others are stored in the player and shown by its slider and buttons
    (first, previous, play backwards, pause, play, next, last, slower,
    faster; once, loop or reflect). The image scales down to the width of
    its cell. ``interval`` is the time between frames in ms when playing.
    """
    frames = list(frames)
    if not frames:
        raise ValueError("a player needs at least one frame")
    if default_mode not in dict(_MODES):
        raise ValueError(f"default_mode must be one of {', '.join(map(repr, dict(_MODES)))}, "
                         f"got {default_mode!r}")
    width, height = (int(v) for v in size)
    uid = uuid.uuid4().hex
    n = len(frames)
    encoded = [base64.b64encode(f).decode("ascii") for f in frames]
    alt = f"{alt or 'Animation'}: frame 1 of {n}"
    buttons = "".join(
        f'<button type="button" data-action="{key}" title="{label}" aria-label="{label}" '
        f'onclick="optlibPlayer(this).{method}()" style="width:34px;height:26px;padding:0;'
        f'margin:0 1px;vertical-align:middle;line-height:0">'
        f'<svg width="14" height="14" viewBox="0 0 16 16" aria-hidden="true">'
        f'<path fill="currentColor" d="{_ICONS[key]}"/></svg></button>'
        for key, label, method in _BUTTONS)
    modes = "".join(
        f'<label style="margin:0 6px"><input type="radio" class="optlib-player-mode" '
        f'name="optlib-mode-{uid}" value="{value}"{" checked" if value == default_mode else ""} '
        f'style="margin:0 3px 0 0;vertical-align:middle">{label}</label>'
        for value, label in _MODES)
    return (
        f'<div class="optlib-player" id="optlib-player-{uid}" data-interval="{interval:g}" '
        f'style="display:inline-block;max-width:100%;text-align:center;font-size:13px">'
        f'<img class="optlib-player-frame" src="data:image/png;base64,{encoded[0]}" '
        f'width="{width}" height="{height}" alt="{_html_text.escape(alt)}" '
        f'style="display:block;max-width:100%;height:auto;margin:0 auto">'
        f'<div class="optlib-player-controls" style="margin-top:4px">'
        f'<input class="optlib-player-slider" type="range" min="0" max="{n - 1}" step="1" '
        f'value="0" aria-label="frame" style="width:{min(width, 380) - 60}px;max-width:80%;'
        f'vertical-align:middle" oninput="optlibPlayer(this).show(parseInt(this.value, 10))">'
        f'<span class="optlib-player-counter" style="display:inline-block;min-width:52px">'
        f'1 / {n}</span>'
        f'<div class="optlib-player-buttons" style="margin:6px 0">{buttons}</div>'
        f'<div class="optlib-player-modes" role="radiogroup" aria-label="Repetition">{modes}</div>'
        f'</div>'
        f'<script type="application/json" class="optlib-player-frames">'
        f'{json.dumps([""] + encoded[1:])}</script>'
        f'<script>{_PLAYER_JS}</script>'
        f'</div>')


#: The file types :func:`save` writes, and the tool each needs.
SAVE_FORMATS = {".gif": "Pillow (installed with matplotlib)", ".mp4": "ffmpeg"}


def save(anim: FuncAnimation, path, *, fps=None, dpi=None, progress=None) -> Path:
    """Write an animation (such as :func:`race`'s) to a file, for slides and reports.

    ``path`` ending in ``.gif`` is written with matplotlib's pillow writer
    (no other tool needed); ``.mp4`` with ffmpeg, when ffmpeg is on the
    machine (``shutil.which("ffmpeg")``), and otherwise RuntimeError names
    the missing tool. ``fps`` defaults to the animation's own speed (1000 /
    its interval in ms), ``dpi`` to its figure's. ``progress(i, n)`` is
    called after each of the n frames is written (a progress bar). Returns
    the path written.

    >>> import optlib, tempfile, os
    >>> s = optlib.surfaces.wobbly
    >>> paths = {"adam": optlib.run(optlib.adam(lr=0.1), s.grad, s.start, 20)}
    >>> out = save(race(s, paths, frames=3), os.path.join(tempfile.mkdtemp(), "race.gif"))
    >>> out.read_bytes()[:6]
    b'GIF89a'
    """
    import shutil
    from matplotlib.animation import FFMpegWriter, PillowWriter
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SAVE_FORMATS:
        allowed = ", ".join(f"{k} ({v})" for k, v in SAVE_FORMATS.items())
        raise ValueError(f"path must end in one of {allowed}; got {str(path)!r}")
    if not isinstance(anim, FuncAnimation):
        raise ValueError(f"anim must be a matplotlib FuncAnimation (from optlib.animation.race), "
                         f"got {type(anim).__name__}")
    fps = 1000 / anim._interval if fps is None else fps
    if isinstance(fps, bool) or not isinstance(fps, (int, float)) or not 0 < fps <= 100:
        raise ValueError(f"fps must be a number in (0, 100], got {fps!r}")
    if suffix == ".mp4":
        if shutil.which("ffmpeg") is None:
            raise RuntimeError(f"writing {str(path)!r} needs ffmpeg, which is not on this "
                               f"machine (not found on the PATH); install ffmpeg, or save a "
                               f".gif, which needs only Pillow")
        writer = FFMpegWriter(fps=fps)
    else:
        writer = PillowWriter(fps=fps)
    if not path.parent.is_dir():
        raise ValueError(f"path {str(path)!r}: the folder {str(path.parent)!r} does not exist")
    callback = None if progress is None else (lambda i, n: progress(i + 1, n))
    anim.save(str(path), writer=writer, dpi=anim._fig.dpi if dpi is None else dpi,
              progress_callback=callback)
    return path


def _close(fig):
    import matplotlib.pyplot as plt
    plt.close(fig)     # a no-op for figures made outside pyplot


def _html(text):
    from IPython.display import HTML
    return HTML(text)


def race_html(surface, paths: dict, *, default_mode: str = "once", **race_kw):
    """:func:`race` rendered as an ``IPython.display.HTML`` player; the figure is closed."""
    s = plotting.get_surface(surface)
    alt = race_kw.get("title") or f"Race of {', '.join(map(str, paths))} on {s.title}"
    return _html(to_jshtml(race(s, paths, **race_kw), default_mode=default_mode, alt=alt))


def sweep_html(draw_frame, values, *, fig=None, clear=None, figsize=(6, 4.5), dpi: int = 64,
               interval: int = 800, default_mode: str = "loop", alt=None):
    """An HTML player whose frames are ``draw_frame(fig, value)`` for each value.

    This is how a widget gets its static twin: the frames are the slider's
    values, and the player's own slider steps through them in any browser.
    ``draw_frame`` draws the picture for one value on ``fig``. Without
    ``fig`` a new figure is made and cleared before each frame (``clear``);
    with a ``fig`` (such as an explorer's), ``draw_frame`` is expected to
    update its artists in place. ``alt`` describes the player for screen
    readers. Returns ``IPython.display.HTML``.
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
    alt = alt or f"One frame per value: {', '.join(plotting.format_value(v) for v in values)}"
    return _html(to_jshtml(anim, default_mode=default_mode, alt=alt))
