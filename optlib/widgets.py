"""Slider explorers for the chapters, each with a static twin for the website.

:func:`explorer_1d` shows the update a method makes for one of the six
gradient signals; :func:`explorer_2d` shows its trajectory on a surface. Both
return an explorer whose ``.widget`` is displayed by a notebook (a cell that
ends with the explorer displays it too). Moving a slider calls
``explorer.update()``, which reruns the optimizer and moves the line on a
persistent figure (the contour is drawn once per surface); tests and scripts
call ``explorer.update(lr=0.1, ...)`` directly, without a browser.

Sliders. Only the sliders of the selected method's hyperparameters are shown
(lr, gamma, beta1, beta2, weight_decay); other keywords (``eps``,
``initial_delta_sq``, ...) are passed to the factory unchanged. The lr slider's
range depends on the method and stops short of values that blow up at once; a
value beyond a slider's range is clamped to it, as the slider itself would. If
a run diverges anyway, the plot says "diverged at step k".

Widgets need a live kernel, so every explorer in a chapter is followed by its
static twin, which carries the same information on the website (see DESIGN.md,
"Every interactive figure has a static twin"). A chapter uses them like this::

    # cell tagged  nbval-ignore-output  and  remove-output  (live notebooks only)
    optlib.widgets.explorer_2d("momentum", "wobbly", lr=0.01, gamma=0.9)

    # the next cell: the static twin, a small-multiples figure ...
    optlib.widgets.explorer_2d_static("momentum", "wobbly", param="gamma",
                                      values=[0.0, 0.5, 0.9, 0.975], lr=0.01)
    # ... or a player whose frames are the slider's values (kind="sweep")
    optlib.widgets.explorer_1d_static("adam", "spikes", param="beta1", kind="sweep")

The small multiples are an ordinary pyplot figure, shown at the end of the
cell like any other: assign it (``fig = ...``) or end the line with ``;``, or
the notebook shows it twice. The sweep returns an ``IPython.display.HTML``
player, to end the cell with.

Layout. The controls form a column that never shrinks below its content; the
figure (an ``ipywidgets.Image``, sent as PNG bytes) sits beside it and scales
down with the cell, and when the cell is too narrow for both the figure moves
below the controls (``flex-wrap``). This holds from a 1024-pixel-wide window
up, with JupyterLab's file browser open (``make test-live`` checks it). Every
value a slider, a title or a legend prints is formatted by
:func:`optlib.plotting.format_value`, and a slider's value is rounded to what
its readout shows, so the run, the title and the slider agree.
"""
from __future__ import annotations

import contextlib
import inspect
import time
from collections import deque
from io import BytesIO

import ipywidgets as W
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import LogFormatter, NullFormatter
from PIL import Image
from traitlets import Unicode

from . import plotting
from . import signals as _signals
from .runners import respond, run

__all__ = ["Explorer1D", "Explorer2D", "explorer_1d", "explorer_2d",
           "explorer_1d_static", "explorer_2d_static", "LR_RANGES_1D", "LR_RANGES_2D",
           "RaceExplorer", "race_explorer", "race_explorer_static"]


def _in_book_order(table: dict) -> dict:
    """The table's methods in the order of optlib.OPTIMIZERS (the chapters' order)."""
    from .optimizers import OPTIMIZERS
    return {name: table[name] for name in OPTIMIZERS if name in table}


#: lr slider per method in 1D: (min, max, default). A gradient signal cannot diverge,
#: the cap only keeps the update on the scale of the signal. Adadelta starts from D = 0,
#: so its first steps are about sqrt(eps) small; the seed's start from a large D is
#: the fixed keyword initial_delta_sq (explorer_1d("adadelta", initial_delta_sq=0.25)).
LR_RANGES_1D = {name: (1e-3, 2.0, 0.25) for name in (
    "sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamax", "nadam",
    "amsgrad", "adamw")}
LR_RANGES_1D["adadelta"] = (1e-2, 10.0, 1.0)
LR_RANGES_1D = _in_book_order(LR_RANGES_1D)      # the dropdowns list the methods in this order

#: lr slider per method in 2D: (min, max, default). Each cap stops short of the lr at
#: which a run from the seed's start on one of its six surfaces diverges within 150
#: steps (optlib.plotting.divergence_step); the default reaches the global minimum
#: of wobbly. The classics need smaller steps (SGD on rosenbrock diverges above 0.007).
LR_RANGES_2D = {
    "sgd": (1e-3, 0.5, 0.05), "momentum": (1e-4, 0.3, 0.01), "nesterov": (1e-4, 0.5, 0.01),
    "adagrad": (1e-3, 3.0, 0.5), "rmsprop": (1e-3, 0.5, 0.05), "adadelta": (0.1, 100.0, 10.0),
    "adam": (1e-3, 1.0, 0.1), "adamax": (1e-3, 1.0, 0.1), "nadam": (1e-3, 1.0, 0.1),
    "amsgrad": (1e-3, 1.0, 0.1), "adamw": (1e-3, 1.0, 0.1),
}
LR_RANGES_2D = _in_book_order(LR_RANGES_2D)

#: The other sliders: (min, max, step).
SLIDER_RANGES = {"gamma": (0.0, 0.995, 0.005), "beta1": (0.0, 0.995, 0.005),
                 "beta2": (0.8, 0.9999, 0.0001), "weight_decay": (0.0, 1.0, 0.01)}

#: The hyperparameter a static twin sweeps when none is named, and its values.
MAIN_PARAM = {"sgd": "lr", "momentum": "gamma", "nesterov": "gamma", "adagrad": "lr",
              "rmsprop": "gamma", "adadelta": "gamma", "adam": "beta1", "adamax": "beta1",
              "nadam": "beta1", "amsgrad": "beta2", "adamw": "weight_decay"}
SWEEP_VALUES = {"gamma": [0.0, 0.5, 0.9, 0.975], "beta1": [0.0, 0.5, 0.9, 0.99],
                "beta2": [0.9, 0.99, 0.999, 0.9999], "weight_decay": [0.0, 0.1, 0.5, 1.0]}

#: Significant digits a slider shows (and rounds its value to); the readout
#: drops trailing zeros (d3-format's "~"), as optlib.plotting.format_value does.
READOUT_DIGITS = {"lr": 3, "gamma": 3, "beta1": 3, "beta2": 4, "weight_decay": 3}

#: Width of every control (label, slider or dropdown, readout), in px; the column
#: of controls is never narrower (the figure gives way instead).
CONTROL_WIDTH = 290
_SLIDER_STYLE = {"description_width": "62px"}

#: (control, seconds, CPU seconds) of the latest redraws after the browser moved a
#: control: the kernel's part of the time (rerun, draw, PNG), wall-clock and on its
#: own thread's CPU (which a busy machine does not inflate), for ``make bench`` and
#: ``make test-live``.
REDRAW_SECONDS = deque(maxlen=200)
#: the thread's CPU clock; Pyodide (JupyterLite) has no time.thread_time: the process's
_cpu_time = getattr(time, "thread_time", time.process_time)

#: A figure stays beside the controls while it can be shown at this share of its
#: size or more; in a narrower cell it moves below them, at full width.
MIN_FIGURE_SCALE = 0.75


# --------------------------------------------------------------------------
# Hyperparameters of a method
# --------------------------------------------------------------------------

def _hyperparams(method) -> dict:
    """``{name: default}`` of the numeric keyword arguments of a method's factory."""
    factory = plotting.optimizer_factory(method)
    return {p.name: p.default for p in inspect.signature(factory).parameters.values()
            if p.default is not inspect.Parameter.empty}


def _method_name(method) -> str:
    """The name of a method given by name or factory; ValueError lists the names."""
    name = getattr(method, "__name__", method)
    plotting.optimizer_factory(name)
    return name


def _defaults(method, lr_ranges) -> dict:
    """The slider values a method starts from: its factory's defaults, lr from the table."""
    values = {k: v for k, v in _hyperparams(method).items() if k in SLIDER_RANGES}
    values["lr"] = lr_ranges[method][2]
    return values


_fmt = plotting.format_value


def _rounded(name, value) -> float:
    """A slider's value rounded to the digits its readout shows (10**-0.8 -> 0.158)."""
    return float(f"{value:.{READOUT_DIGITS[name]}g}") if name in READOUT_DIGITS else value


def _describe(method, params: dict) -> str:
    """'momentum: lr = 0.1, gamma = 0.9', or just the method when it has no parameters."""
    values = ", ".join(f"{k} = {_fmt(v)}" for k, v in params.items())
    return f"{method}: {values}" if values else method


def _check_steps(steps, high=None):
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1 \
            or (high is not None and steps > high):
        allowed = "an integer >= 1" if high is None else f"an integer from 1 to {high}"
        raise ValueError(f"steps must be {allowed}, got {steps!r}")
    return int(steps)


def _check_start(surface, start):
    p = np.asarray(start, dtype=float)
    if p.shape != (2,) or not bool(surface.in_window(p)):
        (x0, x1), (y0, y1) = surface.window
        raise ValueError(f"start must be a point (x, y) inside the window of {surface.name!r}, "
                         f"x in [{x0:g}, {x1:g}] and y in [{y0:g}, {y1:g}]; got {start!r}")
    return p


def _named_surface(surface):
    """A surface of optlib.surfaces.SURFACES, from itself or its name (the dropdown lists those)."""
    from . import surfaces
    s = plotting.get_surface(surface)
    if surfaces.SURFACES.get(s.name) is not s:
        raise ValueError(f"the explorer shows the surfaces of optlib.surfaces.SURFACES, "
                         f"{', '.join(map(repr, surfaces.SURFACES))}; got {s!r}")
    return s


def _default_start(surface):
    if surface.start is not None:
        return np.asarray(surface.start, dtype=float)
    (x0, x1), (y0, y1) = surface.window
    return np.array([x0 + 0.1 * (x1 - x0), y0 + 0.1 * (y1 - y0)])


# --------------------------------------------------------------------------
# "Your own surface" and "your own signal": a formula typed in a text box
# --------------------------------------------------------------------------

#: The most formulas an explorer keeps in its dropdown (the oldest goes first).
MAX_OWN = 8


def _formula_box(placeholder: str, tooltip: str):
    """A text box read when Enter is pressed (or it loses the focus)."""
    return W.Text(value="", placeholder=placeholder, description="your own",
                  tooltip=tooltip, continuous_update=False)


def _surface_controls(owner, s, steps: int, max_steps: int) -> None:
    """The controls of an explorer on a surface, set on ``owner``: the surface dropdown, the
    steps slider, the start sliders, the "your own surface" box and its message line, and
    the reader's own surfaces by name (the 2D and the race explorers)."""
    from . import surfaces
    owner.surface_control = W.Dropdown(options=list(surfaces.SURFACES), value=s.name,
                                       description="surface")
    owner.steps_control = W.IntSlider(value=steps, min=1, max=max_steps, description="steps")
    owner.x_control = W.FloatSlider(description="start x")
    owner.y_control = W.FloatSlider(description="start y")
    owner.formula_control = _formula_box("surface in x, y: x**2/3 + 3*sin(x + y)",
                                         "Your own surface: a formula in x and y on "
                                         "[-3, 3] x [-3, 3], read when you press Enter")
    owner.message = _message_box()
    owner._own = {}                 # your own surfaces by name, for the dropdown


def _message_box():
    """Where an explorer shows why a formula was refused (empty otherwise)."""
    return W.HTML(value="", layout=W.Layout(width=f"{CONTROL_WIDTH}px",
                                            min_width=f"{CONTROL_WIDTH}px", flex="0 0 auto"))


def _show_message(box, error=None):
    import html
    box.value = "" if error is None else (
        f'<div class="optlib-formula-error" style="color:#B00020;font-size:12px;'
        f'line-height:1.35;white-space:normal;overflow-wrap:anywhere">'
        f'{html.escape(str(error))}</div>')


def _with_message(controls: list, box, message) -> list:
    """The controls with ``message`` right below the text box ``box``."""
    i = controls.index(box) + 1
    return controls[:i] + [message] + controls[i:]


def _formula_surface(text):
    """A surface from a reader's formula (optlib.surfaces.from_formula: ValueError if refused)."""
    from .surfaces import from_formula
    return from_formula(text)


def _known_surface(own: dict, value):
    """One of the explorer's own surfaces (by name), or a surface of SURFACES."""
    if isinstance(value, str) and value in own:
        return own[value]
    return _named_surface(value)


def _add_own(dropdown, own: dict, key: str, item):
    """Keep ``item`` under ``key`` and list it last in ``dropdown`` (call while holding)."""
    before = list(own)
    own.pop(key, None)
    own[key] = item
    while len(own) > MAX_OWN:
        own.pop(next(iter(own)))
    options = [o for o in dropdown.options if o not in before] + list(own)
    if list(dropdown.options) != options:
        dropdown.options = options


# --------------------------------------------------------------------------
# Views: draw one result on one Axes (used by the explorers and the static twins)
# --------------------------------------------------------------------------


def _canvas_png(canvas) -> bytes:
    """A drawn Agg canvas as PNG bytes, with a 256-colour palette as the book's own figures
    (_ext/book_assets.py): a third of the bytes of a full-colour PNG, and faster to
    compress; compress_level=1 because the redraw waits for it."""
    image = Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba(),
                             "raw", "RGBA", 0, 1).convert("RGB")
    image = image.quantize(256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    out = BytesIO()
    image.save(out, format="png", compress_level=1)
    return out.getvalue()


def _blit(explorer, moving, fresh: bool) -> None:
    """Draw ``moving`` (artists in a full draw's order) over the explorer's kept picture
    of everything else; ``fresh``: draw that picture first and keep it."""
    canvas = explorer.fig.canvas
    if fresh:
        plotting._thin_log_ticks(explorer.fig)       # as the book's printed figures
        for artist in moving:
            artist.set_animated(True)                # left out of the full draw ...
        canvas.draw()
        explorer._background = canvas.copy_from_bbox(explorer.fig.bbox)
        for artist in moving:
            artist.set_animated(False)               # ... so fig.savefig still draws them
    else:
        canvas.restore_region(explorer._background)
    for artist in moving:
        explorer.fig.draw_artist(artist)


class _ResponseView:
    """The gradient signal in grey and the update as a line, on one Axes."""

    def __init__(self, ax):
        self.ax = ax
        with plotting.style():
            ax.axhline(0.0, color="black", lw=0.6)
            self.signal_line, = ax.plot([], [], color=plotting.GREY, lw=1.4, alpha=0.8,
                                        label="gradient")
            self.line, = ax.plot([], [], lw=1.6, label="update")
            self.status = ax.text(0.99, 0.03, "", transform=ax.transAxes, ha="right",
                                  va="bottom", color="#D55E00", fontsize=9)
            ax.set_xlabel("step")
            ax.set_ylabel("gradient / update")
            ax.legend(loc="upper right")

    def show(self, g, updates, method, title):
        steps = np.arange(len(g))
        bad = ~np.isfinite(updates)
        k = int(np.argmax(bad)) if bad.any() else None
        shown = updates if k is None else np.where(steps < k, updates, np.nan)
        self.signal_line.set_data(steps, g)
        self.line.set_data(steps, shown)
        color = plotting.color_of(method)
        if color != self.line.get_color():
            self.line.set_color(color)
            with plotting.style():
                self.ax.legend(loc="upper right")       # the key copies the line's colour
        self.status.set_text("" if k is None else f"diverged at step {k}")
        finite = np.concatenate([g, shown[np.isfinite(shown)]])
        lo, hi = min(finite.min(), 0.0), max(finite.max(), 0.0)
        pad = 0.08 * (hi - lo or 1.0)
        self.ax.set_xlim(0, len(g) - 1)
        self.ax.set_ylim(lo - pad, hi + pad)
        with plotting.style():
            self.ax.set_title(title)


class _TrajectoryView:
    """A surface's contour (drawn once) and one trajectory on it.

    ``frozen=True`` (the explorer) bakes the contour into one image under a
    transparent overlay (:func:`optlib.animation.freeze`), so a redraw only
    draws the trajectory; the figure must then hold this one Axes.
    """

    def __init__(self, ax, surface, frozen: bool = False):
        from .animation import freeze
        self.surface = surface
        with plotting.style():
            plotting.contour(surface, ax, show_start=False,
                             title="Tg\nTg" if frozen else None)   # room for a 2-line title
            # a key to the markers; the line's colour follows the method, the title names it
            ax.plot([], [], "o", ms=7, mfc="white", mec="black", mew=1.5, ls="none",
                    label="start")
            ax.plot([], [], "o", ms=7, color="black", ls="none", label="end")
            ax.plot([], [], "x", ms=9, mew=2.5, color="black", ls="none", label="diverged")
            plotting._outside_legend(ax)
            self.ax = top = freeze(ax.figure, ax, keep_title=False) if frozen else ax
            self.line, = top.plot([], [], lw=2.0, zorder=3)
            self.start, = top.plot([], [], "o", ms=7, mfc="white", mew=1.5, zorder=4)
            self.end, = top.plot([], [], "o", ms=7, mec="white", mew=0.8, zorder=4)
            self.cross, = top.plot([], [], "x", ms=11, mew=2.5, zorder=6)
            self.status = top.text(0.02, 0.02, "", transform=top.transAxes, fontsize=9,
                                   bbox=dict(boxstyle="round", fc="white", ec="none", alpha=0.85))
        # what show() changes; the rest of the figure stays as drawn
        self.dynamic = sorted([self.line, self.start, self.end, self.cross, self.status,
                               top.title], key=lambda a: a.get_zorder())

    def show(self, path, method, title):
        s, color = self.surface, plotting.color_of(method)
        drawn, k, left = plotting.drawable(path, s)
        self.line.set_data(drawn[:, 0], drawn[:, 1])
        self.start.set_data([path[0, 0]], [path[0, 1]])
        for artist in (self.line, self.cross):
            artist.set_color(color)
        self.start.set_markeredgecolor(color)
        self.end.set_markerfacecolor(color)
        if k is None:
            end = path[-1]
            self.end.set_data([end[0]], [end[1]])
            self.cross.set_data([], [])
            m = s.nearest_minimum(end, tol=0.05)
            where = (" (outside the window)" if left else "" if m < 0 else
                     " (a global minimum)" if m < len(s.global_minima) else " (a local minimum)")
            self.status.set_text(f"after {len(path) - 1} steps: f = {float(s.f(end)):.4g}{where}")
            self.status.set_color("black")
        else:
            self.end.set_data([], [])
            self.cross.set_data(drawn[-1:, 0], drawn[-1:, 1])
            self.status.set_text(f"diverged at step {k}")
            self.status.set_color("#D55E00")
        with plotting.style():
            self.ax.set_title(title)


def _figure(figsize, dpi=100, layout="constrained"):
    """A figure outside pyplot, so notebooks show it only where the explorer puts it."""
    fig = Figure(figsize=figsize, dpi=dpi, layout=layout)
    FigureCanvasAgg(fig)
    return fig


# --------------------------------------------------------------------------
# Explorers
# --------------------------------------------------------------------------

class _FloatLogSlider(W.FloatLogSlider):
    """A FloatLogSlider whose readout format may drop trailing zeros (d3-format's "~",
    which ipywidgets' own check of the format refuses): 0.25 reads "0.25", not "0.250"."""
    readout_format = Unicode(".3~g").tag(sync=True)


class _FloatSlider(W.FloatSlider):
    """A FloatSlider whose readout format may use d3-format's "~" (see _FloatLogSlider)."""
    readout_format = Unicode(".3~g").tag(sync=True)


class _Explorer:
    """Shared machinery: the method dropdown, the hyperparameter sliders and update()."""

    lr_ranges: dict = {}
    _settings: tuple = ("method",)     # update() keywords besides the hyperparameters

    def __init__(self, method, hyperparams, extra_controls: dict, figsize):
        self.method = _method_name(method)
        self._holding = False
        self.fixed = {}             # factory keywords without a slider (eps, ...)
        self.method_control = W.Dropdown(options=list(self.lr_ranges), value=self.method,
                                         description="method")
        lo, hi, _ = self.lr_ranges[self.method]
        self.sliders = {"lr": _FloatLogSlider(value=1.0, base=10, min=np.log10(lo),
                                              max=np.log10(hi), step=0.05, description="lr",
                                              readout_format=f".{READOUT_DIGITS['lr']}~g")}
        for name, (lo, hi, step) in SLIDER_RANGES.items():
            self.sliders[name] = _FloatSlider(value=lo, min=lo, max=hi, step=step,
                                              description=name,
                                              readout_format=f".{READOUT_DIGITS[name]}~g")
        self.controls = {"method": self.method_control, **extra_controls, **self.sliders}
        for c in self.controls.values():
            c.style = _SLIDER_STYLE
            c.layout = W.Layout(width=f"{CONTROL_WIDTH}px", min_width=f"{CONTROL_WIDTH}px",
                                flex="0 0 auto")
            if hasattr(c, "continuous_update"):
                c.continuous_update = False     # redraw on release: smooth over a slow link
            c.observe(self._on_change, names="value")
        self.fig = _figure(figsize)
        self.widget = self._layout(list(self.controls.values()))
        with self._hold():
            self._apply_method(self.method)
        self.update(**hyperparams)

    # -- the pure entry point ------------------------------------------------
    def update(self, **values):
        """Set any controls (``method=``, ``lr=``, ...), rerun the optimizer and redraw.

        Values beyond a slider's range are clamped to it, and a slider's value
        runs as its readout shows it (:attr:`params`). Keywords that are not
        a control but a hyperparameter of the method (``eps``) are kept fixed.
        Returns the explorer.
        """
        values = dict(values)
        method = _method_name(values.pop("method", self.method))
        own = _hyperparams(method)
        allowed = [k for k in self._settings if k not in self.sliders] + list(own)
        for key in values:
            if key not in allowed:
                raise ValueError(f"unknown setting {key!r} for {method}; allowed: "
                                 f"{', '.join(map(repr, allowed))}")
        factory = plotting.optimizer_factory(method)
        params = {k: v for k, v in values.items() if k in own}
        for key, value in params.items():
            factory(**{key: value})             # out of its domain (lr <= 0): the factory's error
        settings = self._check_settings({k: v for k, v in values.items() if k not in own})
        # everything is valid: now change the controls, then redraw once
        with self._hold():
            if method != self.method:
                self._apply_method(method)
            self._set_controls(settings)
            for key, value in params.items():
                if key in self.sliders:
                    self.sliders[key].value = value     # beyond the slider's range: clamped
                else:
                    self.fixed[key] = value
        self._redraw()
        self._show()
        return self

    def _layout(self, controls):
        """The controls in a column that keeps its width, the figure beside it or below.

        The figure is an Image widget (PNG bytes, no base64) in a box that
        grows to the figure's size, shrinks to MIN_FIGURE_SCALE of it, and
        wraps below the controls when the cell is narrower still.
        """
        w, h = (round(v * self.fig.dpi) for v in self.fig.get_size_inches())
        self.image = W.Image(format="png", width=str(w), height=str(h),
                             layout=W.Layout(width="100%", max_width=f"{w}px", height="auto",
                                             margin="0"))
        figure = W.Box([self.image], layout=W.Layout(
            flex=f"1 1 {round(MIN_FIGURE_SCALE * w)}px", min_width="0", max_width=f"{w}px",
            overflow="visible", margin="0"))
        column = W.VBox(controls, layout=W.Layout(flex="0 0 auto", padding="0 8px 4px 0",
                                                  overflow="visible"))
        box = W.HBox([column, figure], layout=W.Layout(flex_flow="row wrap",
                                                       align_items="flex-start", width="100%",
                                                       overflow="visible"))
        figure.add_class("optlib-figure")
        column.add_class("optlib-controls")
        box.add_class("optlib-explorer")
        return box

    @property
    def params(self) -> dict:
        """The hyperparameters the method runs with now (sliders, then fixed keywords).

        A slider's value is rounded to the digits its readout shows
        (:data:`READOUT_DIGITS`): the log slider's 10**-0.8 runs as 0.158.
        """
        shown = {k: _rounded(k, float(self.sliders[k].value)) for k in self.shown_params}
        return {**shown, **self.fixed}

    @property
    def shown_params(self) -> list:
        """Names of the hyperparameter sliders shown for the current method."""
        return [k for k, s in self.sliders.items() if s.layout.display != "none"]

    def optimizer(self):
        """The optimizer the explorer runs now."""
        return plotting.optimizer_factory(self.method)(**self.params)

    @property
    def line(self):
        """The matplotlib line of the update (1D) or the trajectory (2D)."""
        return self._view.line

    @property
    def status(self) -> str:
        """The note on the plot: "diverged at step k", or where the run ended (2D)."""
        return self._view.status.get_text()

    # -- helpers ------------------------------------------------------------
    @contextlib.contextmanager
    def _hold(self):
        """Set controls without each change triggering a redraw."""
        self._holding, before = True, self._holding
        try:
            yield
        finally:
            self._holding = before

    def _on_change(self, change):
        if self._holding:
            return
        start, cpu = time.perf_counter(), _cpu_time()
        self._react(change)
        REDRAW_SECONDS.append((change["owner"].description, time.perf_counter() - start,
                               _cpu_time() - cpu))

    def _react(self, change):
        """Redraw for a control the browser moved."""
        if change["owner"] is getattr(self, "formula_control", None):
            self._use_formula(change["new"])
        elif change["owner"] is self.method_control:
            self.update(method=change["new"])
        else:
            self.update()

    def _use_formula(self, text):
        """The text box's formula: drawn if it is accepted, its error shown if not."""
        if not text.strip():
            return
        try:
            self.update(formula=text)
        except ValueError as error:
            _show_message(self.message, error)
        else:
            _show_message(self.message)

    def _add_message(self):
        """Put the message box under the formula box, in the column of controls."""
        column = self.widget.children[0]
        column.children = _with_message(list(column.children), self.formula_control,
                                        self.message)

    def _apply_method(self, method):
        """Show the method's sliders, reset them to its defaults, drop foreign fixed keywords."""
        self.method = method
        self.method_control.value = method
        own = _hyperparams(method)
        self.fixed = {k: v for k, v in self.fixed.items() if k in own}
        lo, hi, _ = self.lr_ranges[method]
        _set_range(self.sliders["lr"], np.log10(lo), np.log10(hi))
        for name, value in _defaults(method, self.lr_ranges).items():
            self.sliders[name].value = value
        for name, slider in self.sliders.items():
            slider.layout.display = None if name in own else "none"

    def _check_settings(self, settings: dict) -> dict:
        """Validate the settings that are not hyperparameters (signal, surface, start, ...)."""
        raise NotImplementedError

    def _set_controls(self, settings: dict):
        raise NotImplementedError

    def _redraw(self):
        raise NotImplementedError

    def _render(self):
        """Draw the figure on its Agg canvas."""
        self.fig.canvas.draw()

    def png(self) -> bytes:
        """The figure as PNG bytes, as the widget shows it."""
        self._render()
        return _canvas_png(self.fig.canvas)

    def _show(self):
        """Send the figure to the Image widget (only inside a running kernel).

        The widget's value is set directly, tied to no cell: capturing a display
        inside an Output widget made headless runners (nbclient, so nbval and
        the book build) intermittently wait for the cell until their timeout.
        """
        from IPython import get_ipython
        if getattr(get_ipython(), "kernel", None) is None:
            return
        self.image.value = self.png()

    def _repr_mimebundle_(self, **kwargs):
        """Shown as its widget; the plain-text form (kept in git) is one short line."""
        bundle = self.widget._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = f"{type(self).__name__}({self.method}): a live widget"
        return bundle


def _set_range(slider, lo, hi):
    """Change a slider's range without ever having min > max on the way."""
    if lo > slider.max:
        slider.max, slider.min = hi, lo
    else:
        slider.min, slider.max = lo, hi


def _tick_room(ax) -> tuple:
    """(width in px of the widest y tick label of ``ax``, whether the axis shows an offset).

    Measured with the font metrics of the figure's renderer, without drawing:
    the labels the next draw will show, for the current y limits.
    """
    lo, hi = sorted(ax.get_ylim())
    locs = [v for v in ax.yaxis.get_major_locator()() if lo <= v <= hi]
    formatter = ax.yaxis.get_major_formatter()
    labels = formatter.format_ticks(locs)
    renderer = ax.figure.canvas.get_renderer()
    prop = ax.yaxis.get_major_ticks(1)[0].label1.get_fontproperties()
    width = max((renderer.get_text_width_height_descent(t, prop, ismath="$" in t)[0]
                 for t in labels), default=0.0)
    return width, bool(formatter.get_offset())


class Explorer1D(_Explorer):
    """The update of one method for one gradient signal, with sliders.

    ``update(method=..., signal=..., lr=..., gamma=..., ...)`` reruns
    :func:`optlib.respond` and moves the line; ``.result`` holds the updates,
    ``.line`` the matplotlib line, ``.widget`` the ipywidgets UI.
    """

    lr_ranges = LR_RANGES_1D

    def __init__(self, method="momentum", signal="rectangles", *, n: int = 300,
                 figsize=(6.6, 3.2), **hyperparams):
        self.n = n
        _signals.get(signal, n)                        # ValueError listing the names
        self.signal_control = W.Dropdown(options=list(_signals.SIGNALS), value=signal,
                                         description="signal")
        self.formula_control = _formula_box("signal in t: sin(t/20) + (t % 60 == 0)",
                                            "Your own signal: a formula in the step t, "
                                            "read when you press Enter")
        self.message = _message_box()
        self._own = {}                 # "g = <formula>" -> its values, for the dropdown
        self._view = None
        self._laid_out = None
        super().__init__(method, dict(hyperparams, signal=signal),
                         {"signal": self.signal_control, "your own": self.formula_control},
                         figsize)
        self._add_message()

    _settings = ("method", "signal", "formula")

    def _check_settings(self, settings):
        settings = dict(settings)
        if "formula" in settings:                       # your own signal
            text = settings.pop("formula")
            values = _signals.from_formula(text, self.n)    # ValueError saying what is wrong
            settings["signal"] = "g = " + " ".join(text.split())
            settings["_own"] = values
        elif "signal" in settings and settings["signal"] not in self._own:
            _signals.get(settings["signal"], 1)         # ValueError listing the names
        return settings

    def _set_controls(self, settings):
        if "_own" in settings:
            _add_own(self.signal_control, self._own, settings["signal"], settings["_own"])
        if "signal" in settings:
            self.signal_control.value = settings["signal"]

    def rebuild(self):
        """Clear the figure and build the axes again (the first draw does this)."""
        self.fig.clear()
        self.fig.set_layout_engine("constrained")
        self._view = _ResponseView(self.fig.add_subplot())
        self._laid_out = None

    def _redraw(self):
        if self._view is None:
            self.rebuild()
        signal = self.signal_control.value
        g = self._own[signal] if signal in self._own else _signals.get(signal, self.n)
        self.result = respond(self.optimizer(), g)
        title = f"{_describe(self.method, self.params)} | {signal}"
        self._view.show(g, self.result, self.method, title)
        width, offset = _tick_room(self._view.ax)
        if self._laid_out is None or width > self._laid_out[0] + 0.5 \
                or offset > self._laid_out[1]:
            # The layout is computed again only when the y tick labels need more
            # room than it gives them ("0.5" -> "-7.5", "10.0": the axis label must
            # move left), then fixed: most slider moves only redraw. It keeps the
            # room of the widest labels seen, so it does not flip back and forth.
            self.fig.set_layout_engine("constrained")
            self.fig.draw_without_rendering()
            self.fig.set_layout_engine(None)
            width, offset = _tick_room(self._view.ax)            # at the new axes size
            if self._laid_out is not None:
                width = max(width, self._laid_out[0])
                offset = offset or self._laid_out[1]
            self._laid_out = (width, offset)

    def _render(self):
        """Blit: the axes' background and x axis (grid, ticks, label) are drawn once per
        layout and kept; a redraw restores them and draws the y axis (its limits follow
        the update) and everything a full draw puts above it, in a full draw's order
        (by zorder, then as the axes hold them): the same picture, in less time."""
        ax = self._view.ax
        key = (id(ax), ax.get_xlim(), tuple(ax.get_position().bounds),
               tuple(self.fig.get_size_inches()), self.fig.dpi)
        lowest = ax.yaxis.get_zorder()
        moving = [a for a in ax.get_children() if a is not ax.patch and a.get_visible()
                  and (a is ax.yaxis or a.get_zorder() > lowest)]
        moving.sort(key=lambda a: a.get_zorder())       # stable: ties keep the axes' order
        fresh = getattr(self, "_background_key", None) != key
        _blit(self, moving, fresh)
        if fresh:
            self._background_key = key


class Explorer2D(_Explorer):
    """The trajectory of one method on one surface, with sliders.

    ``update(method=..., surface=..., start=(x, y), steps=..., lr=..., ...)``
    reruns :func:`optlib.run` and moves the line; the contour is redrawn only
    when the surface changes. ``.result`` holds the path, ``.line`` the line.
    """

    lr_ranges = LR_RANGES_2D
    MAX_STEPS = 1000
    _settings = ("method", "surface", "steps", "start", "formula")

    def __init__(self, method="adam", surface="wobbly", start=None, steps: int = 150, *,
                 figsize=(6.4, 4.6), **hyperparams):
        s = _named_surface(surface)
        steps = _check_steps(steps, self.MAX_STEPS)
        start = _default_start(s) if start is None else _check_start(s, start)
        _surface_controls(self, s, steps, self.MAX_STEPS)
        self._surface = None
        self._view = None
        self._background = None       # the picture without the trajectory (_render)
        super().__init__(method, dict(hyperparams, surface=s.name, start=start),
                         {"surface": self.surface_control,
                          "your own": self.formula_control, "steps": self.steps_control,
                          "start x": self.x_control, "start y": self.y_control}, figsize)
        self._add_message()

    @property
    def surface(self):
        return _known_surface(self._own, self.surface_control.value)

    @property
    def start(self) -> np.ndarray:
        return np.array([self.x_control.value, self.y_control.value])

    def _react(self, change):
        if change["owner"] is self.surface_control:
            self.update(surface=change["new"])
        else:
            super()._react(change)

    def _check_settings(self, settings):
        settings = dict(settings)
        if "formula" in settings:                       # your own surface
            s = settings["_own"] = _formula_surface(settings.pop("formula"))
        else:
            s = _known_surface(self._own, settings.get("surface", self.surface_control.value))
        settings["surface"] = s.name
        if "steps" in settings:
            settings["steps"] = _check_steps(settings["steps"], self.MAX_STEPS)
        if "start" in settings:
            settings["start"] = _check_start(s, settings["start"])
        return settings

    def _set_controls(self, settings):
        if "_own" in settings:
            _add_own(self.surface_control, self._own, settings["surface"], settings["_own"])
            self._surface = None                        # a new formula: draw it afresh
        if settings["surface"] != self._surface:
            self.surface_control.value = settings["surface"]
            self._set_window(_known_surface(self._own, settings["surface"]))
        if "steps" in settings:
            self.steps_control.value = settings["steps"]
        if "start" in settings:
            self.x_control.value, self.y_control.value = settings["start"]

    def _set_window(self, s):
        """Start sliders span the new window and jump to its start point."""
        (x0, x1), (y0, y1) = s.window
        for slider, lo, hi in ((self.x_control, x0, x1), (self.y_control, y0, y1)):
            _set_range(slider, lo, hi)
            slider.step = (hi - lo) / 200
        x, y = _default_start(s)
        self.x_control.value, self.y_control.value = x, y

    def rebuild(self):
        """Clear the figure and draw the contour again (when the surface changes)."""
        self.fig.clear()
        self.fig.set_layout_engine("compressed")       # the layout for fixed-aspect axes
        self._view = _TrajectoryView(self.fig.add_subplot(), self.surface, frozen=True)
        self._surface = self.surface.name
        self._background = None

    def _render(self):
        """Blit: the picture without the trajectory is drawn once per surface and
        kept; a redraw restores it and draws only what moved (the path, its
        markers, the status and the title), about a third of a full draw."""
        _blit(self, self._view.dynamic, self._background is None)

    def _redraw(self):
        if self._view is None or self._surface != self.surface_control.value:
            self.rebuild()
        s = self.surface
        self.result = run(self.optimizer(), s.grad, self.start, self.steps_control.value)
        self._view.show(self.result, self.method,
                        f"{s.title}\n{_describe(self.method, self.params)}")


def explorer_1d(method="momentum", signal="rectangles", **hyperparams) -> Explorer1D:
    """An :class:`Explorer1D`; a notebook cell ending with it shows its widget."""
    return Explorer1D(method, signal, **hyperparams)


def explorer_2d(method="adam", surface="wobbly", start=None, steps=150,
                **hyperparams) -> Explorer2D:
    """An :class:`Explorer2D`; a notebook cell ending with it shows its widget."""
    return Explorer2D(method, surface, start, steps, **hyperparams)


# --------------------------------------------------------------------------
# Static twins
# --------------------------------------------------------------------------

def _sweep(method, param, values, lr_ranges):
    """The swept hyperparameter and its values (defaults: MAIN_PARAM and SWEEP_VALUES)."""
    method = _method_name(method)
    param = MAIN_PARAM[method] if param is None else param
    own = _hyperparams(method)
    if param not in own or param not in {"lr", *SLIDER_RANGES}:
        sliders = [k for k in own if k == "lr" or k in SLIDER_RANGES]
        raise ValueError(f"param must be one of the sliders of {method}: "
                         f"{', '.join(map(repr, sliders))}; got {param!r}")
    if values is None:
        if param == "lr":
            lo, hi, _ = lr_ranges[method]
            values = [float(f"{v:.2g}") for v in np.geomspace(lo * 10, hi, 4)]
        else:
            values = SWEEP_VALUES[param]
    values = list(values)
    if not 1 <= len(values) <= 12:
        raise ValueError(f"values must hold 1 to 12 values, got {len(values)}")
    return method, param, values


def _check_kind(kind):
    if kind not in ("multiples", "sweep"):
        raise ValueError(f"kind must be 'multiples' or 'sweep', got {kind!r}")


def _panels(k, ncols, panel_size, layout="constrained"):
    """A pyplot figure with k panels (a notebook shows it at the end of the cell)."""
    import matplotlib.pyplot as plt
    if ncols is None:
        ncols = 2 if k == 4 else min(k, 3)
    ncols = min(k, ncols)
    nrows = -(-k // ncols)
    fig = plt.figure(figsize=(panel_size[0] * ncols, panel_size[1] * nrows + 0.3), layout=layout)
    axes = fig.subplots(nrows, ncols, squeeze=False).flat
    for ax in axes[k:]:
        ax.set_visible(False)
    return fig, list(axes)[:k]


def explorer_1d_static(method="momentum", signal="rectangles", param=None, values=None, *,
                       kind: str = "multiples", n: int = 300, ncols: int = 2, **hyperparams):
    """The static twin of :func:`explorer_1d`: the same plot for several values of one slider.

    ``param`` (default: the method's main hyperparameter, e.g. gamma for
    momentum) takes each of ``values``; the other hyperparameters are fixed by
    ``hyperparams`` or the slider defaults. ``kind="multiples"`` returns a
    Figure with one panel per value (same y axis); ``kind="sweep"`` returns an
    HTML player whose frames are the values (:func:`optlib.animation.sweep_html`).
    """
    from .animation import sweep_html
    method, param, values = _sweep(method, param, values, LR_RANGES_1D)
    _check_kind(kind)
    g = _signals.get(signal, n)
    base = {**_defaults(method, LR_RANGES_1D), **hyperparams}
    base = {k: v for k, v in base.items() if k in _hyperparams(method)}
    factory = plotting.optimizer_factory(method)

    def draw(view, value):
        params = {**base, param: value}
        view.show(g, respond(factory(**params), g), method,
                  f"{param} = {_fmt(value)}" if kind == "multiples"
                  else f"{_describe(method, params)} | {signal}")

    if kind == "sweep":
        fig = _figure((7, 3.4), dpi=64)
        view = _ResponseView(fig.add_subplot())
        return sweep_html(lambda _fig, v: draw(view, v), values, fig=fig)
    with plotting.style():
        fig, axes = _panels(len(values), ncols, (4.2, 2.6))
        for i, (ax, value) in enumerate(zip(axes, values)):
            draw(_ResponseView(ax), value)
            if i:
                ax.get_legend().remove()            # one key is enough
        lows, highs = zip(*(ax.get_ylim() for ax in axes))
        for ax in axes:
            ax.set_ylim(min(lows), max(highs))
        others = {k: v for k, v in base.items() if k != param}
        fig.suptitle(f"{_describe(method, others)} | {_signals.TITLES[signal]}")
    return fig


def explorer_2d_static(method="adam", surface="wobbly", param=None, values=None, *,
                       start=None, steps: int = 150, kind: str = "multiples",
                       ncols=None, **hyperparams):
    """The static twin of :func:`explorer_2d`: the trajectory for several values of one slider.

    As :func:`explorer_1d_static`: ``kind="multiples"`` gives a Figure with one
    contour panel per value, ``kind="sweep"`` an HTML player with one frame per value.
    """
    from .animation import sweep_html
    method, param, values = _sweep(method, param, values, LR_RANGES_2D)
    _check_kind(kind)
    s = plotting.get_surface(surface)
    steps = _check_steps(steps)
    start = _default_start(s) if start is None else _check_start(s, start)
    base = {**_defaults(method, LR_RANGES_2D), **hyperparams}
    base = {k: v for k, v in base.items() if k in _hyperparams(method)}
    factory = plotting.optimizer_factory(method)

    def draw(view, value):
        params = {**base, param: value}
        path = run(factory(**params), s.grad, start, steps)
        view.show(path, method, f"{param} = {_fmt(value)}" if kind == "multiples"
                  else _describe(method, params))

    if kind == "sweep":
        fig = _figure((6.5, 4.6), dpi=64, layout="compressed")
        view = _TrajectoryView(fig.add_subplot(), s)
        return sweep_html(lambda _fig, v: draw(view, v), values, fig=fig)
    with plotting.style():
        fig, axes = _panels(len(values), ncols, (3.6, 3.4), layout="compressed")
        for ax, value in zip(axes, values):
            view = _TrajectoryView(ax, s)
            ax.get_legend().remove()
            draw(view, value)
        others = {k: v for k, v in base.items() if k != param}
        fig.suptitle(f"{_describe(method, others)} on {s.title}, {steps} steps")
    return fig


# --------------------------------------------------------------------------
# The race explorer: several methods on one surface, paths and loss curves
# --------------------------------------------------------------------------

def _race_settings(settings, methods):
    """``{method: hyperparameters}`` for the race, each checked by its factory.

    Without ``settings`` every method runs at the default lr of its 2D explorer
    (:data:`LR_RANGES_2D`) and its factory's other defaults.
    """
    if settings is None:
        settings = {name: {"lr": LR_RANGES_2D[name][2]} for name in LR_RANGES_2D}
    if not isinstance(settings, dict) or not settings:
        raise ValueError("settings must map method names to their hyperparameters, "
                         "e.g. {'adam': {'lr': 0.25}}")
    checked = {}
    for name, hp in settings.items():
        _method_name(name)                              # ValueError listing the names
        plotting.optimizer_factory(name)(**hp)          # ValueError naming a bad value
        checked[name] = dict(hp)
    if methods is None:
        methods = list(checked)
    methods = list(methods)
    unknown = [m for m in methods if m not in checked]
    if unknown or not methods:
        raise ValueError(f"methods must be a non-empty list of the methods in settings "
                         f"({', '.join(map(repr, checked))}), got {methods!r}")
    return checked, methods


def _race_label(method, hp) -> str:
    return _describe(method, {k: v for k, v in hp.items() if k in READOUT_DIGITS})


def _draw_race(fig, surface, paths: dict, settings: dict, steps: int, title=None):
    """Paths on the contour (left) and the loss above the global minimum (right)."""
    s = surface
    labels = {m: _race_label(m, settings[m]) for m in paths}
    colors = {labels[m]: plotting.color_of(m) for m in paths}
    # a fixed layout: constrained layout measures every log tick label, 1 s a frame
    ax_path, ax_loss = fig.subplots(1, 2, gridspec_kw=dict(
        width_ratios=[1, 1.15], left=0.065, right=0.75, bottom=0.14, top=0.85, wspace=0.3))
    levels = plotting.contour_levels(s)
    plotting.contour(s, ax_path, show_start=False, title=s.title, resolution=120,
                     levels=levels[::-(-len(levels) // 24)])     # at most 24 levels
    on_path, on_loss = _race_run_specs(s, paths, labels, colors)
    dynamic = _draw_race_runs(ax_path, ax_loss, on_path, on_loss)
    f_best = _best_loss(s)
    if f_best is not None:
        ax_loss.set_yscale("log")
        ax_loss.yaxis.set_major_formatter(LogFormatter(labelOnlyBase=True))
        ax_loss.yaxis.set_minor_formatter(NullFormatter())
        ax_loss.set_ylabel(r"$f(x_t) - f(x^\ast)$ (floor $10^{-12}$)")
    else:
        ax_loss.set_ylabel(r"$f(x_t)$")
    ax_loss.set_xlim(0, steps)
    ax_loss.set_xlabel("step $t$")
    ax_loss.set_title("Loss above the global minimum" if f_best is not None else "Loss")
    dynamic.append(_race_legend(ax_loss))
    if title:
        fig.suptitle(title)
    ax_path._optlib_race_runs = dynamic     # what the next redraw of the explorer moves
    ax_path._optlib_race_specs = on_path + on_loss
    return ax_path, ax_loss


def _best_loss(s):
    return float(np.min(s.f(s.global_minima))) if len(s.global_minima) else None


def _race_legend(ax_loss):
    return ax_loss.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0,
                          fontsize=8)


def _race_run_specs(s, paths, labels, colors) -> tuple[list, list]:
    """The artists of a race's runs as ``(x, y, fmt, style)``: (path panel, loss panel)."""
    on_path = plotting._path_specs(
        s, {labels[m]: plotting._check_path(labels[m], p) for m, p in paths.items()}, colors)
    on_loss = []
    f_best, floor = _best_loss(s), 1e-12
    for m, p in paths.items():
        k = plotting.divergence_step(p, s)
        with np.errstate(all="ignore"):
            loss = s.f(p[:len(p) if k is None else k])
        y = loss - f_best if f_best is not None else loss
        if f_best is not None:
            y = np.maximum(y, floor)
        c = plotting.color_of(m)
        on_loss.append((np.arange(len(y)), y, "-",
                        dict(color=c, label=plotting._path_label(labels[m], k, False))))
        if k is not None and len(y):
            on_loss.append(([len(y) - 1], [y[-1]], "x", dict(ms=9, mew=2.2, color=c)))
    return on_path, on_loss


def _draw_race_runs(ax_path, ax_loss, on_path, on_loss) -> list:
    """The paths on the contour and the loss curves of a race (:func:`_race_run_specs`);
    returns their artists."""
    with plotting.style():
        return plotting._draw_specs(ax_path, on_path) + plotting._draw_specs(ax_loss, on_loss)


def _same_look(old: list, new: list) -> bool:
    """Whether two spec lists draw the same artists but for their data and labels."""
    strip = lambda style: {k: v for k, v in style.items() if k != "label"}  # noqa: E731
    return len(old) == len(new) and all(
        a[2] == b[2] and strip(a[3]) == strip(b[3]) for a, b in zip(old, new))


class RaceExplorer:
    """Several methods racing from one start point on one surface, with controls.

    The left panel shows the paths on the surface's contour, the right one the
    loss above the global minimum, step by step, for every method picked. The
    controls pick the surface, the methods (a multiple selection) and the start
    point (two sliders) and the number of steps; each method runs with its
    hyperparameters from ``settings``. ``update(surface=..., methods=[...],
    start=(x, y), steps=...)`` reruns every method and redraws; ``.result``
    maps each method to its path (:func:`optlib.run`), ``.widget`` is the
    ipywidgets UI, and a notebook cell ending with the explorer shows it.
    """

    MAX_STEPS = 1000

    def __init__(self, surface="hills_and_canyon", methods=None, start=None, steps: int = 125,
                 settings=None, figsize=(10.0, 4.2)):
        self.settings, methods = _race_settings(settings, methods)
        s = _named_surface(surface)
        steps = _check_steps(steps, self.MAX_STEPS)
        start = _default_start(s) if start is None else _check_start(s, start)
        _surface_controls(self, s, steps, self.MAX_STEPS)
        self.methods_control = W.SelectMultiple(options=list(self.settings), value=methods,
                                                rows=min(len(self.settings), 11),
                                                description="methods")
        self._window_of = None
        self._set_window(s, start)
        self.controls = {"surface": self.surface_control, "your own": self.formula_control,
                         "methods": self.methods_control,
                         "start x": self.x_control, "start y": self.y_control,
                         "steps": self.steps_control}
        for c in self.controls.values():
            c.style = _SLIDER_STYLE
            c.layout = W.Layout(width=f"{CONTROL_WIDTH}px", min_width=f"{CONTROL_WIDTH}px",
                                flex="0 0 auto")
            if hasattr(c, "continuous_update"):
                c.continuous_update = False
        self.fig = _figure(figsize, layout=None)
        w, h = (round(v * self.fig.dpi) for v in self.fig.get_size_inches())
        self.image = W.Image(format="png", width=str(w), height=str(h),
                             layout=W.Layout(width="100%", max_width=f"{w}px", height="auto"))
        figure = W.Box([self.image], layout=W.Layout(flex=f"1 1 {round(MIN_FIGURE_SCALE * w)}px",
                                                     min_width="0", max_width=f"{w}px"))
        column = W.VBox(_with_message(list(self.controls.values()), self.formula_control,
                                      self.message),
                        layout=W.Layout(flex="0 0 auto", padding="0 8px 4px 0"))
        self.widget = W.HBox([column, figure], layout=W.Layout(
            flex_flow="row wrap", align_items="flex-start", width="100%"))
        figure.add_class("optlib-figure")         # the classes the live tests look for
        column.add_class("optlib-controls")
        self.widget.add_class("optlib-explorer")
        self.result = {}
        self._holding = False
        self._redraw()
        self._show()
        for c in self.controls.values():
            c.observe(self._on_change, names="value")

    @property
    def surface(self):
        return _known_surface(self._own, self.surface_control.value)

    @property
    def methods(self) -> list:
        return list(self.methods_control.value)

    @property
    def start(self) -> np.ndarray:
        return np.array([self.x_control.value, self.y_control.value])

    @property
    def steps(self) -> int:
        return int(self.steps_control.value)

    def _set_window(self, s, start=None):
        """Start sliders span the surface's window; they move to ``start`` or its start."""
        (x0, x1), (y0, y1) = s.window
        for slider, lo, hi in ((self.x_control, x0, x1), (self.y_control, y0, y1)):
            _set_range(slider, lo, hi)
            slider.step = (hi - lo) / 200
        x, y = _default_start(s) if start is None else start
        self.x_control.value, self.y_control.value = float(x), float(y)
        self._window_of = s.name

    def update(self, surface=None, methods=None, start=None, steps=None, formula=None):
        """Set any of the controls, rerun every method picked and redraw; returns the explorer.

        A new surface moves the start to that surface's start point unless
        ``start`` is given. ``formula`` is your own surface, a formula in x and y
        (:func:`optlib.surfaces.from_formula`), which joins the surface
        dropdown. Bad values raise ValueError and change nothing.
        """
        if formula is not None:
            s = own = _formula_surface(formula)        # ValueError saying what is wrong
        else:
            own = None
            s = _known_surface(self._own, surface if surface is not None
                               else self.surface_control.value)
        if methods is not None:
            _race_settings(self.settings, methods)
        if steps is not None:
            steps = _check_steps(steps, self.MAX_STEPS)
        if start is not None:
            start = _check_start(s, start)
        self._holding = True
        try:
            if own is not None:
                _add_own(self.surface_control, self._own, own.name, own)
                self._window_of = None
            if s.name != self.surface_control.value or s.name != self._window_of:
                self.surface_control.value = s.name
                self._set_window(s, start)
            elif start is not None:
                self.x_control.value, self.y_control.value = float(start[0]), float(start[1])
            if methods is not None:
                self.methods_control.value = tuple(methods)
            if steps is not None:
                self.steps_control.value = steps
        finally:
            self._holding = False
        self._redraw()
        self._show()
        return self

    def _on_change(self, change):
        if self._holding:
            return
        if change["owner"] is self.formula_control:
            if change["new"].strip():
                try:
                    self.update(formula=change["new"])
                except ValueError as error:
                    _show_message(self.message, error)
                else:
                    _show_message(self.message)
        elif change["owner"] is self.surface_control:
            self.update(surface=change["new"])
        elif change["owner"] is self.methods_control and not change["new"]:
            return                      # nothing picked: keep the last picture
        else:
            self.update()

    def _redraw(self):
        s = self.surface
        self.result = {m: run(plotting.optimizer_factory(m)(**self.settings[m]), s.grad,
                              self.start, self.steps) for m in self.methods}
        # Same surface, methods and steps as the figure shows (a start point moved): keep the
        # axes, their contour and ticks, and replace the paths and loss curves only (a new
        # figure costs most of a redraw in tick labels). Otherwise draw the race afresh.
        layout = (s.name, id(s), tuple(self.methods), self.steps)
        if getattr(self, "_layout", None) == layout and hasattr(self, "path_axes"):
            labels = {m: _race_label(m, self.settings[m]) for m in self.result}
            colors = {labels[m]: plotting.color_of(m) for m in self.result}
            on_path, on_loss = _race_run_specs(s, self.result, labels, colors)
            specs = on_path + on_loss
            old_specs = getattr(self.path_axes, "_optlib_race_specs", None)
            runs = self.path_axes._optlib_race_runs
            if old_specs is not None and _same_look(old_specs, specs):
                # the same artists with new data (a new line costs 100 times a set_data)
                for line, (x, y, _, style) in zip(runs, specs):
                    line.set_data(x, y)
                    if "label" in style:
                        line.set_label(style["label"])
                if [a[3].get("label") for a in old_specs] != [a[3].get("label") for a in specs]:
                    runs[-1].remove()                   # a run's label changed: a new legend
                    with plotting.style():
                        runs[-1] = _race_legend(self.loss_axes)
            else:
                for artist in runs:
                    artist.remove()
                runs = _draw_race_runs(self.path_axes, self.loss_axes, on_path, on_loss)
                with plotting.style():
                    runs.append(_race_legend(self.loss_axes))
            self.path_axes._optlib_race_runs = runs
            self.path_axes._optlib_race_specs = specs
            return
        self.fig.clear()
        with plotting.style():
            self.path_axes, self.loss_axes = _draw_race(self.fig, s, self.result,
                                                        self.settings, self.steps)
        self._layout = layout
        self._background = None
        # One loss scale per layout, from the floor to above the window's highest loss, so
        # that moving the start point compares runs on the same axes (and the panel's ticks
        # are drawn once: see _render)
        if _best_loss(s) is not None:
            (x0, x1), (y0, y1) = s.window
            gx, gy = np.meshgrid(np.linspace(x0, x1, 60), np.linspace(y0, y1, 60))
            with np.errstate(all="ignore"):
                top = float(np.nanmax(s.f(np.stack([gx, gy], axis=-1)))) - _best_loss(s)
            self.loss_axes.set_ylim(3e-13, max(10.0 * top, 1e-9))

    def _render(self):
        """Blit: the figure without the runs (contour, axes, ticks, titles) is drawn once per
        layout and kept; a redraw restores it and draws the paths, the loss curves, the
        legend, and what a full draw puts over them (the minima's markers) on it, in the
        order a full draw uses (by zorder, then as the axes hold them): the same picture."""
        runs = set(self.path_axes._optlib_race_runs)
        moving = []
        for ax in (self.path_axes, self.loss_axes):
            lowest = min((a.get_zorder() for a in runs if a.axes is ax), default=np.inf)
            moving += sorted((a for a in ax.get_children()
                              if a in runs or (a.get_zorder() > lowest and a.get_visible()
                                               and (a in ax._children
                                                    or a in ax.spines.values()))),
                             key=lambda a: a.get_zorder())
        _blit(self, moving, getattr(self, "_background", None) is None)

    @property
    def status(self) -> str:
        """Where each run ended: 'adam: global minimum; sgd: diverged at step 40; ...'."""
        s = self.surface
        parts = []
        for m, p in self.result.items():
            k = plotting.divergence_step(p, s)
            if k is not None:
                parts.append(f"{m}: diverged at step {k}")
                continue
            i = s.nearest_minimum(p[-1], tol=0.05)
            where = ("no minimum" if i < 0 else "global minimum" if i < len(s.global_minima)
                     else "local minimum")
            parts.append(f"{m}: {where}")
        return "; ".join(parts)

    def png(self) -> bytes:
        """The figure as PNG bytes, as the widget shows it."""
        self._render()
        return _canvas_png(self.fig.canvas)

    def _show(self):
        """Send the figure to the Image widget (only inside a running kernel)."""
        from IPython import get_ipython
        if getattr(get_ipython(), "kernel", None) is None:
            return
        self.image.value = self.png()

    def _repr_mimebundle_(self, **kwargs):
        bundle = self.widget._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = f"RaceExplorer({', '.join(self.methods)}): a live widget"
        return bundle


def race_explorer(surface="hills_and_canyon", methods=None, start=None, steps=125,
                  settings=None) -> RaceExplorer:
    """A :class:`RaceExplorer`; a notebook cell ending with it shows its widget."""
    return RaceExplorer(surface, methods, start, steps, settings)


def race_explorer_static(values, param: str = "surface", *, surface="hills_and_canyon",
                         methods=None, start=None, steps: int = 125, settings=None,
                         kind: str = "sweep", figsize=(10.0, 4.25), dpi: int = 64):
    """The static twin of :func:`race_explorer`: the race for several values of one control.

    ``param`` is ``"surface"`` (``values``: surface names; each race starts
    from that surface's start point unless ``start`` is given) or ``"start"``
    (``values``: points on ``surface``). ``kind="sweep"`` returns an HTML
    player with one frame per value (:func:`optlib.animation.sweep_html`);
    ``kind="multiples"`` a pyplot Figure with one row of two panels per value.
    """
    from .animation import sweep_html
    _check_kind(kind)
    settings, methods = _race_settings(settings, methods)
    steps = _check_steps(steps)
    if param not in ("surface", "start"):
        raise ValueError(f"param must be 'surface' or 'start', got {param!r}")
    values = list(values)
    if not 1 <= len(values) <= 12:
        raise ValueError(f"values must hold 1 to 12 values, got {len(values)}")
    frames = []
    for value in values:
        if param == "surface":
            s = _named_surface(value)
            p0 = _default_start(s) if start is None else _check_start(s, start)
        else:
            s = _named_surface(surface)
            p0 = _check_start(s, value)
        frames.append((s, p0))

    def race_paths(s, p0):
        return {m: run(plotting.optimizer_factory(m)(**settings[m]), s.grad, p0, steps)
                for m in methods}

    def title(s, p0):
        return f"{s.title}: {steps} steps from ({_fmt(p0[0])}, {_fmt(p0[1])})"

    if kind == "sweep":
        def draw(fig, frame):
            s, p0 = frame
            _draw_race(fig, s, race_paths(s, p0), settings, steps, title=title(s, p0))

        return sweep_html(draw, frames, fig=_figure(figsize, dpi, layout=None), clear=True,
                          interval=1500,
                          alt=f"The race of {', '.join(methods)}, one frame per {param}")
    import matplotlib.pyplot as plt
    fig = plt.figure(figsize=(figsize[0], figsize[1] * len(frames)))
    rows = fig.subfigures(len(frames), 1, squeeze=False)[:, 0]
    with plotting.style():
        for sub, (s, p0) in zip(rows, frames):
            _draw_race(sub, s, race_paths(s, p0), settings, steps, title=title(s, p0))
    return fig
