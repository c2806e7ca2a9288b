"""Tests for optlib/widgets.py, driven without a browser through update() and the sliders.

How the explorers look and respond in JupyterLab is tested by tests/live (make test-live).
"""
import json
import re
from io import BytesIO

import matplotlib

matplotlib.use("Agg")

import ipywidgets as W  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

import optlib  # noqa: E402
from optlib import signals, surfaces, widgets  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def frame_count(html: str) -> int:
    """Frames of an optlib player: one in its <img>, the others in its JSON list."""
    frames = json.loads(re.search(r'class="optlib-player-frames">(.*?)</script>', html,
                                  re.S).group(1))
    return len(frames) if 'class="optlib-player-frame" src="data:image/png' in html else 0


# --------------------------------------------------------------------------
# 1D explorer
# --------------------------------------------------------------------------

def test_explorer_1d_builds_and_matches_respond():
    ex = widgets.explorer_1d("momentum", "rectangles", lr=0.25, gamma=0.9)
    assert isinstance(ex.widget, W.Widget)
    assert ex.shown_params == ["lr", "gamma"]
    ax = ex.line.axes
    assert ax.get_xlabel() and ax.get_ylabel() and ax.get_legend() is not None
    g = signals.rectangles(300)
    np.testing.assert_allclose(ex.line.get_ydata(),
                               optlib.respond(optlib.momentum(lr=0.25, gamma=0.9), g))
    before = ex.line.get_ydata().copy()
    ex.update(gamma=0.5)
    after = ex.line.get_ydata()
    assert not np.allclose(before, after)
    np.testing.assert_allclose(after, optlib.respond(optlib.momentum(lr=0.25, gamma=0.5), g))


def test_explorer_1d_follows_its_sliders_and_dropdowns():
    ex = widgets.explorer_1d("momentum", "rectangles")
    ex.sliders["gamma"].value = 0.3             # what a browser does
    np.testing.assert_allclose(ex.result, optlib.respond(
        optlib.momentum(lr=0.25, gamma=0.3), signals.rectangles(300)))
    ex.signal_control.value = "spikes"
    np.testing.assert_array_equal(ex._view.signal_line.get_ydata(), signals.spikes(300))
    ex.method_control.value = "adam"
    assert ex.shown_params == ["lr", "beta1", "beta2"]
    np.testing.assert_allclose(ex.result, optlib.respond(optlib.adam(lr=0.25), signals.spikes(300)))


def test_method_switch_changes_the_visible_sliders():
    ex = widgets.explorer_1d("sgd", "spikes")
    assert ex.shown_params == ["lr"]
    assert ex.sliders["gamma"].layout.display == "none"
    ex.update(method="rmsprop")
    assert ex.shown_params == ["lr", "gamma"]
    assert ex.sliders["gamma"].layout.display != "none"
    assert ex.params["gamma"] == 0.99           # rmsprop's own default, not momentum's
    ex.update(method="adamw")
    assert ex.shown_params == ["lr", "beta1", "beta2", "weight_decay"]


def test_fixed_keywords_pass_through_and_drop_on_switch():
    ex = widgets.explorer_1d("adadelta", "saturation", initial_delta_sq=0.5)
    assert ex.params["initial_delta_sq"] == 0.5
    np.testing.assert_allclose(ex.result, optlib.respond(
        optlib.adadelta(lr=1.0, gamma=0.9, initial_delta_sq=0.5), signals.saturation(300)))
    ex.update(method="adam")
    assert "initial_delta_sq" not in ex.params


def test_explorer_1d_bad_inputs_list_the_choices():
    with pytest.raises(ValueError, match="'momentum'"):
        widgets.explorer_1d("momentun")
    with pytest.raises(ValueError, match="'rectangles'"):
        widgets.explorer_1d("momentum", "square")
    ex = widgets.explorer_1d("adam")
    with pytest.raises(ValueError, match="'beta1'"):
        ex.update(gamma=0.5)                    # adam has no gamma
    with pytest.raises(ValueError, match="lr"):
        ex.update(lr=-1.0)                      # outside the factory's domain


# --------------------------------------------------------------------------
# 2D explorer
# --------------------------------------------------------------------------

def test_explorer_2d_builds_and_matches_run():
    s = surfaces.wobbly
    ex = widgets.explorer_2d("adam", "wobbly", lr=0.1)
    assert isinstance(ex.widget, W.Widget)
    np.testing.assert_array_equal(ex.start, s.start)
    np.testing.assert_allclose(ex.line.get_xydata(), optlib.run(optlib.adam(lr=0.1), s.grad,
                                                                s.start, 150))
    before = ex.line.get_xydata().copy()
    ex.update(lr=0.03, steps=80, start=(1.0, -2.0))
    expected = optlib.run(optlib.adam(lr=0.03), s.grad, np.array([1.0, -2.0]), 80)
    assert before.shape != ex.line.get_xydata().shape
    np.testing.assert_allclose(ex.line.get_xydata(), expected)
    assert ex.status.startswith("after 80 steps")


def test_explorer_2d_surface_switch_redraws_contour_and_moves_start():
    ex = widgets.explorer_2d("momentum", "wobbly")
    background = ex.fig.axes[0].images[0]      # the contour, frozen into one image
    ex.surface_control.value = "rosenbrock"     # what a browser does
    assert ex.fig.axes[0].images[0] is not background
    np.testing.assert_array_equal(ex.start, surfaces.rosenbrock.start)
    assert (ex.x_control.min, ex.x_control.max) == surfaces.rosenbrock.window[0]
    ex.update(lr=1e-3)
    r = surfaces.rosenbrock
    expected = optlib.run(optlib.momentum(lr=1e-3), r.grad, r.start, 150)
    np.testing.assert_allclose(ex.result, expected)


def test_lr_beyond_the_cap_is_clamped():
    lo, hi, _ = widgets.LR_RANGES_2D["sgd"]
    ex = widgets.explorer_2d("sgd", "wobbly", lr=100.0)
    assert ex.params["lr"] == pytest.approx(hi)
    s = surfaces.wobbly
    np.testing.assert_allclose(ex.result, optlib.run(optlib.sgd(lr=hi), s.grad, s.start, 150))
    ex.update(lr=1e-9)
    assert ex.params["lr"] == pytest.approx(lo)


def test_a_diverged_run_is_reported_not_raised():
    ex = widgets.explorer_2d("sgd", "rosenbrock", lr=0.5, steps=50)
    assert re.fullmatch(r"diverged at step \d+", ex.status)
    assert np.isfinite(ex.line.get_xydata()).all()
    ex.update(lr=1e-3)
    assert ex.status.startswith("after 50 steps")


def test_explorer_2d_bad_inputs_list_the_choices():
    with pytest.raises(ValueError, match="'wobbly'"):
        widgets.explorer_2d("adam", "wobly")
    with pytest.raises(ValueError, match="'adam'"):
        widgets.explorer_2d("adamm")
    with pytest.raises(ValueError, match=r"x in \[-3, 3\]"):
        widgets.explorer_2d("adam", "wobbly", start=(5.0, 0.0))
    for steps in (0, -3, 2.5):
        with pytest.raises(ValueError, match="steps"):
            widgets.explorer_2d("adam", "wobbly", steps=steps)
    ex = widgets.explorer_2d("sgd")
    with pytest.raises(ValueError, match="allowed: .*'lr'"):
        ex.update(beta1=0.5)
    with pytest.raises(ValueError, match="window"):
        ex.update(start=(0.0, 10.0))


# --------------------------------------------------------------------------
# Static twins
# --------------------------------------------------------------------------

def test_explorer_1d_static_small_multiples():
    fig = widgets.explorer_1d_static("momentum", "rectangles", values=[0.0, 0.5, 0.9], lr=0.25)
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert len(axes) == 3
    assert [ax.get_title() for ax in axes] == ["gamma = 0", "gamma = 0.5", "gamma = 0.9"]
    assert len({ax.get_ylim() for ax in axes}) == 1          # one y scale to compare
    np.testing.assert_allclose(axes[2].get_lines()[2].get_ydata(), optlib.respond(
        optlib.momentum(lr=0.25, gamma=0.9), signals.rectangles(300)))


def test_explorer_1d_static_sweep():
    html = widgets.explorer_1d_static("adam", "spikes", kind="sweep")
    assert frame_count(html.data) == len(widgets.SWEEP_VALUES["beta1"])


def test_explorer_2d_static_small_multiples_and_sweep():
    values = [0.0, 0.5, 0.9, 0.975]
    fig = widgets.explorer_2d_static("momentum", "wobbly", values=values, lr=0.01)
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert len(axes) == 4 and all(ax.get_xlabel() and ax.get_ylabel() for ax in axes)
    html = widgets.explorer_2d_static("adam", "two_minimums", param="lr",
                                      values=[0.01, 0.1, 0.5], kind="sweep")
    assert frame_count(html.data) == 3


def test_static_twin_bad_inputs():
    with pytest.raises(ValueError, match="'gamma'"):
        widgets.explorer_1d_static("momentum", param="beta1")
    with pytest.raises(ValueError, match="multiples"):
        widgets.explorer_2d_static("adam", kind="movie")
    with pytest.raises(ValueError, match="'ripple'"):
        widgets.explorer_2d_static("adam", "ripples")


def test_a_rejected_update_changes_nothing():
    ex = widgets.explorer_2d("momentum", "wobbly", lr=0.02)
    before = ex.line.get_xydata().copy()
    with pytest.raises(ValueError, match="gamma"):
        ex.update(method="adam", gamma=0.5)     # adam has no gamma: nothing may switch
    with pytest.raises(ValueError, match="window"):
        ex.update(surface="rosenbrock", start=(-1.9, -2.5))     # outside rosenbrock's window
    assert ex.method == "momentum" and ex.surface.name == "wobbly"
    assert ex.params == {"lr": pytest.approx(0.02), "gamma": 0.9}
    np.testing.assert_array_equal(ex.line.get_xydata(), before)


def test_explorer_2d_takes_a_factory_but_only_named_surfaces():
    ex = widgets.explorer_2d(optlib.nesterov, "saddle", lr=0.01)
    assert ex.method == "nesterov"
    with pytest.raises(ValueError, match="SURFACES"):
        widgets.explorer_2d("adam", surfaces.rotated_quadratic(L=4.0, mu=1.0))


@pytest.fixture
def in_a_kernel(monkeypatch):
    """Make the explorers believe they run in a kernel, so they send their figure."""
    import IPython

    class Shell:
        kernel = object()

    monkeypatch.setattr(IPython, "get_ipython", lambda: Shell())


def test_explorer_sets_its_figure_without_capturing_cell_output(in_a_kernel):
    """Headless runners (nbclient, so nbval and the book build) intermittently waited a
    whole cell timeout when the explorer drew inside ``with output:``; it now sets an
    Image widget's value (PNG bytes), tied to no cell."""
    ex = widgets.Explorer1D("momentum", "rectangles")
    assert not any(isinstance(w, W.Output) for w in ex.widget.children)
    png = ex.image.value
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    w, h = (round(v * ex.fig.dpi) for v in ex.fig.get_size_inches())
    assert Image.open(BytesIO(png)).size == (w, h)
    assert (ex.image.width, ex.image.height) == (str(w), str(h))    # room before it loads
    ex.update(gamma=0.5)
    assert ex.image.value != png


# --------------------------------------------------------------------------
# What a student sees: layout, formats, order (issue 8)
# --------------------------------------------------------------------------

@pytest.mark.parametrize("make", [lambda: widgets.explorer_1d("adamw", "spikes"),
                                  lambda: widgets.explorer_2d("adamw", "wobbly")])
def test_controls_keep_their_width_and_the_figure_gives_way(make):
    """The controls column never shrinks below its content; the figure box shrinks to
    MIN_FIGURE_SCALE of the figure, and the row wraps (figure below) when narrower."""
    ex = make()
    box = ex.widget
    assert "optlib-explorer" in box._dom_classes
    assert box.layout.flex_flow == "row wrap"
    column, figure = box.children
    assert "optlib-controls" in column._dom_classes and "optlib-figure" in figure._dom_classes
    assert column.layout.flex == "0 0 auto"
    for control in column.children:
        assert control.layout.width == control.layout.min_width == f"{widgets.CONTROL_WIDTH}px"
        assert control.layout.flex == "0 0 auto"
    w = round(ex.fig.get_figwidth() * ex.fig.dpi)
    assert figure.layout.flex == f"1 1 {round(widgets.MIN_FIGURE_SCALE * w)}px"
    assert figure.layout.min_width == "0" and figure.layout.max_width == f"{w}px"
    assert ex.image.layout.width == "100%" and ex.image.layout.max_width == f"{w}px"


def test_method_dropdowns_list_the_methods_in_the_books_order():
    order = list(optlib.OPTIMIZERS)
    assert list(widgets.explorer_1d("sgd").method_control.options) == order
    assert list(widgets.explorer_2d("sgd").method_control.options) == order


def test_a_log_slider_value_runs_and_prints_as_its_readout_shows():
    """The lr slider steps in log10 by 0.05: the browser sends 10**-0.8 = 0.158489...;
    the readout shows 0.158, so the title says 0.158 and the run uses 0.158."""
    ex = widgets.explorer_1d("momentum", "rectangles")
    ex.sliders["lr"].value = 10 ** -0.8                 # what a browser does
    assert ex.params["lr"] == 0.158
    title = ex.line.axes.get_title()
    assert "lr = 0.158," in title and "0.158489" not in title
    np.testing.assert_array_equal(ex.result, optlib.respond(
        optlib.momentum(lr=0.158, gamma=0.9), signals.rectangles(300)))
    ex2 = widgets.explorer_2d("adam", "wobbly")
    ex2.sliders["lr"].value = 10 ** -1.35
    assert ex2.params["lr"] == 0.0447
    assert "lr = 0.0447," in ex2._view.ax.get_title()


def test_readouts_use_the_digits_the_titles_use():
    ex = widgets.explorer_2d("adamw", "wobbly")
    for name, slider in ex.sliders.items():
        digits = widgets.READOUT_DIGITS[name]
        assert slider.readout_format == f".{digits}~g"      # d3-format: drop trailing zeros
    ex.update(beta2=0.99987)                                # 4 digits: 0.9999
    assert ex.params["beta2"] == 0.9999
    assert "beta2 = 0.9999," in ex._view.ax.get_title()


def test_format_value_reads_back_as_the_value():
    fmt = optlib.plotting.format_value
    assert [fmt(v) for v in (0.25, 0.9, 0.158, 0.9999, 1e-8, 3, 100.0, 1000.0, 0.0)] == \
        ["0.25", "0.9", "0.158", "0.9999", "1e-08", "3", "100", "1000", "0"]
    assert fmt(10 ** -0.8) == "0.158489" and fmt("rectangles") == "rectangles"
    assert fmt(float("inf")) == "inf" and fmt(float("nan")) == "nan"
    for v in np.geomspace(1e-4, 10, 57):
        assert abs(float(fmt(v)) - v) <= 5e-6 * v             # six significant digits


def _ylabel_clearance(ex) -> float:
    """px between the y axis label's right edge and the nearest tick label drawn."""
    ex.fig.canvas.draw()
    renderer = ex.fig.canvas.get_renderer()
    ax = ex.line.axes
    label = ax.yaxis.label.get_window_extent(renderer)
    lo, hi = sorted(ax.get_ylim())
    ticks = [t.get_window_extent(renderer) for t, loc in
             zip(ax.get_yticklabels(), ax.get_yticks()) if lo <= loc <= hi and t.get_text()]
    assert label.x0 >= 0, "the y axis label is cut at the figure's edge"
    return min(t.x0 for t in ticks) - label.x1


def test_y_label_stays_readable_when_a_move_widens_the_tick_labels():
    """lr 0.25 -> 1 on the square wave turns the labels "-2", "2" into "-7.5", "10.0";
    the layout was frozen after the first draw and the labels covered the axis label."""
    ex = widgets.explorer_1d("momentum", "rectangles", lr=0.25, gamma=0.9)
    assert _ylabel_clearance(ex) > 0
    for lr in (1.0, 2.0, 0.01, 1.0):
        ex.update(lr=lr)
        assert _ylabel_clearance(ex) > 0, lr
    ex.update(method="sgd", signal="saturation", lr=2.0)
    assert _ylabel_clearance(ex) > 0


def test_1d_redraw_by_blitting_draws_what_a_full_draw_draws(in_a_kernel):
    """The y axis follows the update, a diverged run shows its status, a new method its
    colour (a new legend), a wide tick label a new layout: each redraw blits the x axis
    kept from the last full draw, and must give the picture of a full draw."""
    ex = widgets.explorer_1d("momentum", "rectangles", lr=0.1)
    for change in ({"gamma": 0.5}, {"gamma": 0.99}, {"lr": 0.5}, {"method": "adam"},
                   {"signal": "noisy_sin"}, {"method": "sgd", "lr": 2.5}, {"lr": 0.01},
                   {"formula": "sin(t/20) + (t % 60 == 0)"}):
        ex.update(**change)
        canvas = ex.fig.canvas
        blitted = np.asarray(canvas.buffer_rgba()).copy()
        canvas.draw()
        np.testing.assert_array_equal(blitted, np.asarray(canvas.buffer_rgba()),
                                      err_msg=str(change))


def test_2d_redraw_by_blitting_draws_what_a_full_draw_draws(in_a_kernel):
    ex = widgets.explorer_2d("momentum", "wobbly", lr=0.02)
    for change in ({"gamma": 0.5}, {"method": "adam", "lr": 0.3}, {"surface": "ripple"},
                   {"lr": 1.0, "steps": 40}):
        ex.update(**change)                          # sends the blitted picture
        canvas = ex.fig.canvas                       # a new one after a surface change
        blitted = np.asarray(canvas.buffer_rgba()).copy()
        sent = np.asarray(Image.open(BytesIO(ex.image.value)).convert("RGBA"), dtype=int)
        canvas.draw()                                # everything, from scratch
        drawn = np.asarray(canvas.buffer_rgba())
        np.testing.assert_array_equal(blitted, drawn, err_msg=str(change))
        # the PNG sent has a 256-colour palette (a fast octree: greys move by a few
        # levels of 255): the same picture to the eye
        error = np.abs(sent - drawn)[..., :3]
        assert error.mean() < 6 and error.max() < 32, change


def test_race_redraw_by_blitting_draws_what_a_full_draw_draws(in_a_kernel):
    """Moving the start keeps the figure and blits the runs on it; a change of layout
    (methods, surface, steps) draws afresh: each time the picture of a full draw."""
    ex = widgets.race_explorer("hills_and_canyon", ["sgd", "momentum", "rmsprop", "adam"])
    axes = ex.path_axes
    for change in ({"start": (1.0, -2.0)}, {"start": (-2.5, 2.5)}, {"methods": ["sgd", "adam"]},
                   {"start": (0.5, 0.5)}, {"surface": "wobbly"}, {"steps": 40}):
        lines = list(ex.path_axes._optlib_race_runs)
        ex.update(**change)
        if change == {"start": (0.5, 0.5)}:          # the same artists, moved (set_data)
            assert ex.path_axes._optlib_race_runs[:-1] == lines[:-1]
        canvas = ex.fig.canvas
        blitted = np.asarray(canvas.buffer_rgba()).copy()
        canvas.draw()
        np.testing.assert_array_equal(blitted, np.asarray(canvas.buffer_rgba()),
                                      err_msg=str(change))
        if change == {"start": (-2.5, 2.5)}:
            assert ex.path_axes is axes              # the same axes: only the runs redrawn
    assert ex.path_axes is not axes


def test_a_browser_move_records_the_kernels_part_of_the_redraw():
    ex = widgets.explorer_1d("momentum", "rectangles")
    widgets.REDRAW_SECONDS.clear()
    ex.sliders["gamma"].value = 0.5                 # what a browser does
    ex.update(gamma=0.6)                            # a call from code is not a browser move
    (name, wall, cpu), = widgets.REDRAW_SECONDS
    assert name == "gamma" and 0 < wall < 60 and 0 <= cpu < 60


# --------------------------------------------------------------------------
# The race explorer
# --------------------------------------------------------------------------

RACE = {"sgd": {"lr": 0.05}, "momentum": {"lr": 0.01, "gamma": 0.9},
        "adam": {"lr": 0.25}, "rmsprop": {"lr": 0.25, "gamma": 0.9, "eps": 1e-6,
                                           "eps_inside_root": True}}


def test_race_explorer_runs_every_method_it_shows():
    ex = widgets.race_explorer("hills_and_canyon", ["sgd", "adam", "rmsprop"], steps=80,
                               settings=RACE)
    assert isinstance(ex.widget, W.Widget)
    assert list(ex.result) == ["sgd", "adam", "rmsprop"]
    s = surfaces.hills_and_canyon
    for m, path in ex.result.items():
        ref = optlib.run(optlib.OPTIMIZERS[m](**RACE[m]), s.grad, s.start, 80)
        np.testing.assert_array_equal(path, ref)
    # the paths panel draws each path, the loss panel its loss above the global minimum
    f_star = float(s.f(s.global_minima[0]))
    loss_lines = [ln for ln in ex.loss_axes.get_lines() if len(ln.get_xdata()) > 1]
    assert len(loss_lines) == 3
    for ln, (m, path) in zip(loss_lines, ex.result.items()):
        np.testing.assert_allclose(ln.get_ydata(), np.maximum(s.f(path) - f_star, 1e-12))
        assert ln.get_color().lower() == plotting_color(m)
    drawn = [ln for ln in ex.path_axes.get_lines() if len(ln.get_xdata()) == 81]
    assert len(drawn) == 3
    assert ex.status == "sgd: local minimum; adam: global minimum; rmsprop: no minimum"


def plotting_color(method):
    return optlib.plotting.color_of(method).lower()


def test_race_explorer_follows_its_controls():
    ex = widgets.race_explorer("wobbly", ["adam"], steps=50, settings=RACE)
    ex.methods_control.value = ("sgd", "momentum")          # what a browser does
    assert list(ex.result) == ["sgd", "momentum"]
    ex.x_control.value = 1.0
    assert ex.result["sgd"][0].tolist() == [1.0, -2.5]
    ex.surface_control.value = "two_minimums"               # the start moves to its start
    assert ex.start.tolist() == list(surfaces.two_minimums.start)
    np.testing.assert_array_equal(ex.result["momentum"], optlib.run(
        optlib.momentum(lr=0.01, gamma=0.9), surfaces.two_minimums.grad,
        surfaces.two_minimums.start, 50))
    ex.update(start=(0.5, 0.5), steps=20)
    assert ex.result["sgd"].shape == (21, 2) and ex.result["sgd"][0].tolist() == [0.5, 0.5]


def test_race_explorer_reports_divergence():
    ex = widgets.race_explorer("two_minimums", ["sgd"], start=(-0.5, 0.5), steps=200,
                               settings={"sgd": {"lr": 50.0}})
    assert ex.status.startswith("sgd: diverged at step ")
    assert any("(diverged)" in t.get_text() for t in ex.loss_axes.get_legend().get_texts())


def test_race_explorer_bad_inputs_change_nothing():
    ex = widgets.race_explorer("wobbly", ["adam"], steps=30, settings=RACE)
    before = ex.result["adam"].copy()
    with pytest.raises(ValueError, match="methods must be a non-empty list"):
        ex.update(methods=["nadam"])
    with pytest.raises(ValueError, match="start must be a point"):
        ex.update(start=(5.0, 0.0))
    with pytest.raises(ValueError, match="steps must be"):
        ex.update(steps=0)
    with pytest.raises(ValueError, match="unknown surface"):
        ex.update(surface="nowhere")
    assert list(ex.result) == ["adam"]
    np.testing.assert_array_equal(ex.result["adam"], before)
    with pytest.raises(ValueError, match="lr must be finite"):
        widgets.race_explorer(settings={"adam": {"lr": -1.0}})
    with pytest.raises(ValueError, match="unknown optimizer"):
        widgets.race_explorer(settings={"adamm": {"lr": 0.1}})


def test_race_explorer_static_one_frame_per_value():
    html = widgets.race_explorer_static(["wobbly", "giant_plateau"], methods=["sgd", "adam"],
                                        steps=40, settings=RACE)
    assert frame_count(html.data) == 2
    fig = widgets.race_explorer_static([(-2.8, -2.5), (1.0, 1.0)], param="start",
                                       surface="hills_and_canyon", methods=["adam"],
                                       steps=40, settings=RACE, kind="multiples")
    assert len(fig.axes) == 4
    titles = [t.get_text() for t in fig.findobj(matplotlib.text.Text) if "steps from" in t.get_text()]
    assert titles == ["Hills and canyon: 40 steps from (-2.8, -2.5)",
                      "Hills and canyon: 40 steps from (1, 1)"]
    with pytest.raises(ValueError, match="param must be"):
        widgets.race_explorer_static(["wobbly"], param="lr", settings=RACE)


# --------------------------------------------------------------------------
# Your own surface, your own signal (issue 15): a formula typed in a text box
# --------------------------------------------------------------------------

MINE = "(x**2 + y**2)/3 + 3*sin(x + y)"


def test_explorer_2d_draws_your_own_surface_and_shows_a_refusal():
    ex = widgets.explorer_2d("adam", "wobbly", lr=0.1)
    before, png = ex.result.copy(), ex.png()
    ex.formula_control.value = "__import__('os')"      # what the browser sends on Enter
    assert "calls __import__()" in ex.message.value and "sin, cos, tan" in ex.message.value
    assert ex.surface.name == "wobbly"
    np.testing.assert_array_equal(ex.result, before)
    ex.formula_control.value = MINE
    assert ex.message.value == ""
    s = surfaces.from_formula(MINE)
    assert ex.surface.name == MINE and ex.surface_control.value == MINE
    assert list(ex.surface_control.options) == list(surfaces.SURFACES) + [MINE]
    np.testing.assert_array_equal(ex.start, s.start)
    np.testing.assert_allclose(ex.result, optlib.run(optlib.adam(lr=0.1), s.grad, s.start, 150))
    assert ex._view.ax.get_title().startswith(f"f = {MINE}\n")
    assert "a global minimum" in ex.status
    assert ex.png() != png
    ex.formula_control.value = "log(x)"                 # a refusal keeps the last picture
    assert "not finite" in ex.message.value and ex.surface.name == MINE
    ex.update(surface="ripple")                         # the dropdown goes both ways
    assert ex.surface.name == "ripple"
    ex.surface_control.value = MINE
    assert ex.surface.name == MINE
    np.testing.assert_allclose(ex.result, optlib.run(optlib.adam(lr=0.1), s.grad, s.start, 150))


def test_explorer_2d_update_with_a_bad_formula_raises_and_changes_nothing():
    ex = widgets.explorer_2d("momentum", "wobbly", lr=0.02)
    before = ex.line.get_xydata().copy()
    with pytest.raises(ValueError, match="formula 'x.real' uses attribute access"):
        ex.update(formula="x.real")
    assert ex.surface.name == "wobbly" and list(ex.surface_control.options) == list(
        surfaces.SURFACES)
    np.testing.assert_array_equal(ex.line.get_xydata(), before)
    ex.update(formula="x**2 + y**2", lr=0.05)
    assert ex.surface.nearest_minimum(ex.result[-1], tol=0.05) == 0


def test_the_message_sits_under_the_text_box():
    for ex in (widgets.explorer_1d(), widgets.explorer_2d(), widgets.race_explorer()):
        column = list(ex.widget.children[0].children)
        i = column.index(ex.formula_control)
        assert column[i + 1] is ex.message
        assert ex.formula_control.description == "your own"
        assert ex.formula_control.continuous_update is False      # read on Enter


def test_explorer_1d_draws_your_own_signal_and_shows_a_refusal():
    ex = widgets.explorer_1d("momentum", "rectangles", lr=0.25, gamma=0.9)
    before = ex.result.copy()
    ex.formula_control.value = "y + 1"
    assert "the name &#x27;y&#x27;" in ex.message.value and "floor" in ex.message.value
    np.testing.assert_array_equal(ex.result, before)
    text = "sin(t/20) + (t % 60 == 0)"
    ex.formula_control.value = text
    assert ex.message.value == "" and ex.signal_control.value == f"g = {text}"
    g = signals.from_formula(text, 300)
    np.testing.assert_allclose(ex.result, optlib.respond(optlib.momentum(lr=0.25, gamma=0.9), g))
    np.testing.assert_array_equal(ex._view.signal_line.get_ydata(), g)
    ex.update(gamma=0.5)                               # sliders keep your own signal
    np.testing.assert_allclose(ex.result, optlib.respond(optlib.momentum(lr=0.25, gamma=0.5), g))
    ex.update(signal="spikes")
    ex.signal_control.value = f"g = {text}"
    np.testing.assert_allclose(ex.result, optlib.respond(optlib.momentum(lr=0.25, gamma=0.5), g))
    with pytest.raises(ValueError, match="not finite at step t = 0"):
        ex.update(formula="log(t)")


def test_race_explorer_races_on_your_own_surface():
    ex = widgets.race_explorer(methods=["sgd", "adam"])
    ex.formula_control.value = "open('f')"
    assert "calls open()" in ex.message.value and ex.surface.name == "hills_and_canyon"
    ex.formula_control.value = MINE
    assert ex.message.value == "" and ex.surface.name == MINE
    s = surfaces.from_formula(MINE)
    np.testing.assert_array_equal(ex.start, s.start)
    np.testing.assert_allclose(ex.result["adam"],
                               optlib.run(optlib.adam(lr=0.1), s.grad, s.start, 125))
    assert ex.status == "sgd: global minimum; adam: global minimum"
    assert ex.path_axes.get_title() == f"f = {MINE}"
    with pytest.raises(ValueError, match="does not depend on x or y"):
        ex.update(formula="1 + 2")
    assert ex.surface.name == MINE
    ex.update(surface="wobbly")
    assert ex.surface.name == "wobbly"
    ex.update(surface=MINE, start=(1.0, 1.0))
    np.testing.assert_array_equal(ex.start, [1.0, 1.0])


def test_an_explorer_keeps_its_last_formulas():
    ex = widgets.explorer_1d()
    for k in range(1, widgets.MAX_OWN + 3):
        ex.update(formula=f"sin(t/{k})")
    own = [o for o in ex.signal_control.options if o.startswith("g = ")]
    assert own == [f"g = sin(t/{k})" for k in range(3, widgets.MAX_OWN + 3)]
