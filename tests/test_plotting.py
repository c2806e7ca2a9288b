"""Tests for optlib/plotting.py: labels, legends, colours, and diverged runs drawn honestly."""
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import optlib  # noqa: E402
from optlib import plotting, signals, surfaces  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def labelled(ax):
    return bool(ax.get_xlabel().strip()) and bool(ax.get_ylabel().strip())


def legend_texts(ax):
    legend = ax.get_legend()
    assert legend is not None, "expected a legend"
    return [t.get_text() for t in legend.get_texts()]


# --------------------------------------------------------------------------
# Palette and style
# --------------------------------------------------------------------------

def test_every_optimizer_has_its_own_colour():
    assert set(plotting.OPTIMIZER_COLORS) == set(optlib.OPTIMIZERS)
    colours = [matplotlib.colors.to_hex(c) for c in plotting.OPTIMIZER_COLORS.values()]
    assert len(set(colours)) == len(colours)
    assert len(set(plotting.PALETTE)) == len(plotting.PALETTE)


def test_labels_get_their_optimizers_colour_and_stay_distinct():
    assert plotting.color_of("Adam (lr = 0.1)") == plotting.OPTIMIZER_COLORS["adam"]
    assert plotting.color_of("AdamW") == plotting.OPTIMIZER_COLORS["adamw"]
    assert plotting.color_of("nesterov momentum 0.9") == plotting.OPTIMIZER_COLORS["nesterov"]
    for labels in (list(optlib.OPTIMIZERS), ["adam", "adam lr=1", "sgd", "gamma = 0.5"],
                   [f"run {i}" for i in range(20)][:len(plotting.PALETTE)]):
        colours = plotting.colors_for(labels)
        assert list(colours) == labels
        assert len(set(colours.values())) == len(labels)
    assert plotting.colors_for(["adam", "adam lr=1"])["adam"] == plotting.OPTIMIZER_COLORS["adam"]


def test_style_is_a_context():
    before = matplotlib.rcParams["axes.spines.top"]
    with plotting.style():
        assert matplotlib.rcParams["axes.spines.top"] is False
    assert matplotlib.rcParams["axes.spines.top"] == before


def test_style_restores_only_its_own_settings():
    # a notebook's first figure turns interactive mode on inside the style; it must stay on
    before = matplotlib.is_interactive()
    try:
        with plotting.style():
            matplotlib.interactive(not before)
        assert matplotlib.is_interactive() == (not before)
    finally:
        matplotlib.interactive(before)


# --------------------------------------------------------------------------
# Contours and trajectories
# --------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(surfaces.SURFACES))
def test_contour_of_every_surface(name):
    s = surfaces.get(name)
    ax = plotting.contour(name)
    assert labelled(ax)
    assert ax.get_title() == s.title
    _, labels = ax.get_legend_handles_labels()
    if len(s.global_minima):
        assert "global minimum" in labels
    if len(s.local_minima):
        assert "local minimum" in labels
    if len(s.saddles):
        assert "saddle point" in labels
    assert ax.get_xlim() == s.window[0] and ax.get_ylim() == s.window[1]


def test_contour_grid_is_computed_once():
    a = plotting.surface_grid("wobbly")
    assert plotting.surface_grid(surfaces.wobbly) is a


def test_trajectories_draw_each_path_with_a_legend():
    s = surfaces.wobbly
    paths = {name: optlib.run(optlib.OPTIMIZERS[name](lr=lr), s.grad, s.start, 100)
             for name, lr in (("sgd", 0.05), ("momentum", 0.01), ("adam", 0.1))}
    ax = plotting.trajectories(s, paths)
    assert labelled(ax)
    assert {"sgd", "momentum", "adam"} <= set(legend_texts(ax))
    lines = {line.get_label(): line for line in ax.get_lines()}
    np.testing.assert_array_equal(lines["adam"].get_xydata(), paths["adam"])
    assert lines["adam"].get_color() == plotting.OPTIMIZER_COLORS["adam"]


def test_diverged_paths_are_cut_and_marked_without_warnings():
    s = surfaces.rosenbrock
    exploded = optlib.run(optlib.sgd(lr=0.1), s.grad, s.start, 50)     # overflows to inf / nan
    assert not np.isfinite(exploded[-1]).all()
    nan_at_3 = np.array([[-1.0, 1.0], [-0.5, 1.0], [0.0, 1.0], [np.nan, np.nan], [np.nan, 0.0]])
    fine = optlib.run(optlib.adam(lr=0.05), s.grad, s.start, 50)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ax = plotting.trajectories(s, {"sgd": exploded, "by hand": nan_at_3, "adam": fine})
        ax.figure.canvas.draw()
    texts = legend_texts(ax)
    assert "sgd (diverged)" in texts and "by hand (diverged)" in texts and "adam" in texts
    lines = {line.get_label(): line for line in ax.get_lines()}
    drawn = lines["by hand (diverged)"].get_xydata()
    np.testing.assert_array_equal(drawn, nan_at_3[:3])
    drawn = lines["sgd (diverged)"].get_xydata()
    assert np.isfinite(drawn).all() and s.in_window(drawn).all()
    crosses = [line for line in ax.get_lines() if line.get_marker() == "x"]
    assert len(crosses) == 2


def test_divergence_step_agrees_with_run_many():
    s = surfaces.wobbly
    starts = optlib.grid_starts(s, n=6)
    res = optlib.run_many(optlib.momentum(lr=0.5, gamma=0.9), s, starts, 60)
    assert res.diverged.any() and not res.diverged.all()
    for i in range(len(starts)):
        assert (plotting.divergence_step(res.path[:, i], s) is not None) == res.diverged[i]


def test_path_of_wrong_shape_is_refused():
    with pytest.raises(ValueError, match="shape"):
        plotting.trajectories("wobbly", {"bad": np.zeros((10, 3))})


def test_unknown_surface_lists_the_names():
    with pytest.raises(ValueError, match="wobbly"):
        plotting.contour("wobly")


# --------------------------------------------------------------------------
# 1D responses
# --------------------------------------------------------------------------

def test_response_plots_the_signal_and_one_line_per_value():
    values = [0.0, 0.5, 0.9]
    ax = plotting.response(optlib.momentum, "rectangles", "gamma", values, fixed={"lr": 0.25})
    assert ax.get_xlabel() == "step" and ax.get_ylabel() == "gradient / update"
    texts = legend_texts(ax)
    assert texts == ["gradient", "gamma = 0", "gamma = 0.5", "gamma = 0.9"]
    lines = {line.get_label(): line for line in ax.get_lines()}
    g = signals.rectangles(300)
    np.testing.assert_array_equal(lines["gradient"].get_ydata(), g)
    np.testing.assert_allclose(lines["gamma = 0.9"].get_ydata(),
                               optlib.respond(optlib.momentum(lr=0.25, gamma=0.9), g))


def test_response_takes_a_name_and_an_array():
    ax = plotting.response("adam", np.ones(50), "beta1", [0.5, 0.9], fixed={"lr": 0.1})
    assert len(legend_texts(ax)) == 3 and ax.get_xlim() == (0, 49)


def test_response_bad_inputs():
    with pytest.raises(ValueError, match="spikes"):
        plotting.response("momentum", "square", "gamma", [0.5])
    with pytest.raises(ValueError, match="adam"):
        plotting.response("adams", "spikes", "beta1", [0.5])
    with pytest.raises(ValueError, match="fixed"):
        plotting.response("momentum", "spikes", "gamma", [0.5], fixed={"gamma": 0.9})


def test_response_grid_has_six_panels_and_one_legend():
    fig = plotting.response_grid("rmsprop", "gamma", [0.5, 0.9, 0.99], fixed={"lr": 0.1})
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert len(axes) == 6
    assert [ax.get_title() for ax in axes] == [signals.TITLES[n].split(":")[0]
                                               for n in signals.SIGNALS]
    assert all(ax.get_ylabel() for ax in axes[::3]) and all(ax.get_xlabel() for ax in axes[3:])
    assert len(fig.legends) == 1 and len(fig.legends[0].get_texts()) == 4
    assert all(ax.get_legend() is None for ax in axes)


# --------------------------------------------------------------------------
# Internals, basins, learning curves
# --------------------------------------------------------------------------

def test_internals_of_adam_show_both_moments_and_the_effective_step():
    fig = plotting.internals(optlib.adam(lr=0.1), "wobbly", steps=40)
    assert len(fig.axes) == 4                  # gradient, m, v, effective step
    assert all(ax.get_ylabel() for ax in fig.axes)
    assert fig.axes[-1].get_xlabel() == "step"
    assert "first moment" in fig.axes[1].get_ylabel()
    assert fig.axes[0].get_legend() is not None        # one line per coordinate
    path, states = optlib.run_with_states(optlib.adam(lr=0.1), surfaces.wobbly.grad,
                                          surfaces.wobbly.start, 40)
    np.testing.assert_array_equal(fig.axes[1].get_lines()[0].get_ydata(), states.m[:, 0])


def test_internals_effective_step_of_sgd_is_lr():
    q = surfaces.ill_conditioned_quadratic
    fig = plotting.internals(optlib.sgd(lr=0.05), q.grad, q.start, 30)
    assert len(fig.axes) == 2 and "velocity" not in fig.axes[0].get_ylabel()
    for line in fig.axes[-1].get_lines():
        np.testing.assert_allclose(line.get_ydata(), 0.05)


def test_internals_momentum_velocity_and_bad_field():
    fig = plotting.internals(optlib.momentum(lr=0.01), "wobbly", steps=20, fields=["v"])
    assert "velocity" in fig.axes[1].get_ylabel()
    with pytest.raises(ValueError, match="'v'"):
        plotting.internals(optlib.momentum(lr=0.01), "wobbly", steps=20, fields=["m"])


def test_basin_map_from_labels_and_from_an_optimizer():
    s = surfaces.two_minimums
    m = optlib.basins(optlib.sgd(lr=0.1), s, steps=60, n=12)
    ax = plotting.basin_map(surface=s, labels=m)
    assert labelled(ax)
    # two minima, both with a colour of their own: classes diverged, not converged, 0, 1
    np.testing.assert_array_equal(ax.get_images()[0].get_array(), m.labels + 2)
    texts = legend_texts(ax)
    assert any(t.startswith("global") for t in texts) and any(t.startswith("local") for t in texts)
    assert any(t.startswith("not converged") for t in texts)
    ax = plotting.basin_map(optlib.sgd(lr=0.1), s, n=12, steps=60)
    np.testing.assert_array_equal(ax.get_images()[0].get_array(), m.labels + 2)


def test_basin_map_lumps_the_small_basins():
    s = surfaces.ripple
    m = optlib.basins(optlib.sgd(lr=0.05), s, steps=100, n=30)
    ax = plotting.basin_map(surface=s, labels=m, max_basins=4)
    texts = legend_texts(ax)
    assert sum(t.startswith(("global", "local")) for t in texts) == 4
    assert any("other local minima" in t for t in texts)


def test_basin_map_needs_an_optimizer_or_labels():
    with pytest.raises(ValueError, match="optimizer"):
        plotting.basin_map(None, "wobbly")


def test_learning_curves_median_and_band():
    rng = np.random.default_rng(0)
    a = np.exp(-np.linspace(0, 3, 50)) * (1 + rng.random((5, 50)))
    b = a.copy()
    b[2, 10:] = np.inf                          # one diverged seed
    b[:, -1] = np.nan                           # a step where every seed is missing
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ax = plotting.learning_curves({"sgd": a, "adam": b})
        ax.figure.canvas.draw()
    assert labelled(ax) and ax.get_yscale() == "log"
    assert legend_texts(ax) == ["sgd", "adam"]
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), np.median(a, axis=0))
    assert len(ax.collections) == 2             # one band per label


# --------------------------------------------------------------------------
# Figures in a notebook drawn once (draw_once)
# --------------------------------------------------------------------------

def _pixels(png_base64):
    import base64
    from io import BytesIO

    from PIL import Image
    return np.asarray(Image.open(BytesIO(base64.b64decode(png_base64))))


def test_a_figure_drawn_once_is_matplotlibs_picture_cut_to_its_content():
    """Constrained and compressed layout: the picture savefig(bbox_inches=None) draws, cut
    to its non-white pixels plus savefig.pad_inches of white, pixel for pixel, within four
    pixels of the inline backend's tight crop in each direction; each figure keeps its
    layout engine. No layout engine: the inline backend's own picture."""
    from io import BytesIO

    from IPython.core.pylabtools import print_figure
    from PIL import Image
    with plotting.style():
        fig, axes = plt.subplots(1, 2, layout="constrained", figsize=(6, 3))
        for ax in axes:
            ax.plot(np.arange(10.0) ** 2, label="$x^2$")
            ax.set(title="a title", xlabel=r"$\eta$")
            ax.legend()
        compressed = plotting.contour(surfaces.wobbly).figure
        plain, ax = plt.subplots(figsize=(4, 3))
        ax.plot([0, 1], [1, 0])
        odd, ax = plt.subplots(figsize=(7, 4.6), layout="constrained")   # 459.99... px high
        ax.plot([0, 1], [1, 0])
    for f in (fig, compressed, odd):
        engine = f.get_layout_engine()
        mine = _pixels(plotting._png_drawn_once(f))
        assert f.get_layout_engine() is engine
        buf = BytesIO()
        f.savefig(buf, format="png", bbox_inches=None, dpi=f.dpi)
        full = np.asarray(Image.open(buf).convert("RGBA"))
        drawn = np.argwhere((full != 255).any(axis=-1))
        (r0, c0), (r1, c1) = drawn.min(axis=0), drawn.max(axis=0) + 1
        pad = round(0.1 * f.dpi)
        assert mine.shape == (r1 - r0 + 2 * pad, c1 - c0 + 2 * pad, 4)
        np.testing.assert_array_equal(mine[pad:-pad, pad:-pad], full[r0:r1, c0:c1])
        assert (mine[:pad] == 255).all() and (mine[-pad:] == 255).all()
        tight = _pixels(print_figure(f, "png", base64=True)).shape
        assert abs(tight[0] - mine.shape[0]) <= 4 and abs(tight[1] - mine.shape[1]) <= 4
    assert compressed.get_layout_engine()._compress
    np.testing.assert_array_equal(_pixels(plotting._png_drawn_once(plain)),
                                  _pixels(print_figure(plain, "png", base64=True)))


def test_log_axes_over_more_than_three_decades_lose_their_minor_ticks_when_shown():
    """The book's printer (and the players' frames, and the explorers) draw a log axis over
    more than LOG_MINOR_DECADES decades without minor ticks; a narrower one keeps them, so
    does an axis whose minor locator the author set, and a linear axis; an axis that
    narrows again gets its minor ticks back."""
    from matplotlib.ticker import LogLocator, MultipleLocator, NullLocator
    assert plotting.LOG_MINOR_DECADES == 3
    with plotting.style():
        fig, (wide, narrow, chosen, lin) = plt.subplots(1, 4, layout="constrained",
                                                        figsize=(10, 3))
        wide.semilogy([1.0, 1e-6])                          # six decades
        narrow.semilogy([1.0, 1e-2])                        # two
        chosen.semilogy([1.0, 1e-6])
        chosen.yaxis.set_minor_locator(LogLocator(subs=(2.0, 5.0)))
        lin.plot([0.0, 1.0])
        lin.xaxis.set_minor_locator(MultipleLocator(0.1))
    before = {ax: ax.yaxis.get_minor_locator() for ax in fig.axes}
    plotting._png_drawn_once(fig)
    assert isinstance(wide.yaxis.get_minor_locator(), NullLocator)
    assert wide.yaxis.isDefault_minloc                      # still the scale's default
    assert not [t for t in wide.yaxis.get_minorticklocs()]
    for ax in (narrow, chosen, lin):
        assert ax.yaxis.get_minor_locator() is before[ax]
    assert len(narrow.yaxis.get_minorticklocs()) > 8
    assert isinstance(lin.xaxis.get_minor_locator(), MultipleLocator)
    wide.set_ylim(1e-2, 1.0)                                # two decades: ticks come back
    plotting._rgba_drawn_once(fig)
    assert wide.yaxis.get_minor_locator() is before[wide]
    wide.set_ylim(1e-8, 1.0)
    plotting._thin_log_ticks(fig)
    assert isinstance(wide.yaxis.get_minor_locator(), NullLocator)
    plt.close(fig)


def test_math_text_is_parsed_once_for_every_figure(monkeypatch):
    """After _share_mathtext_parses a second figure with the same math text parses none
    of it again (matplotlib's own cache is keyed on each renderer's parser), and draws
    the same pixels."""
    import matplotlib._mathtext as _mathtext
    from matplotlib.mathtext import MathTextParser
    monkeypatch.setattr(MathTextParser, "_parse_cached", MathTextParser._parse_cached)
    parses = []
    parse = _mathtext.Parser.parse
    monkeypatch.setattr(_mathtext.Parser, "parse",
                        lambda self, s, *a: parses.append(s) or parse(self, s, *a))

    def figure():
        with plotting.style():
            fig, ax = plt.subplots(layout="constrained", figsize=(3, 2))
            ax.semilogy([1.0, 1e-4])
            ax.set_title(r"$\eta = 0.1$, $\gamma^{k}$")
        return fig

    before = [plotting._rgba_drawn_once(figure()) for _ in range(2)]
    assert len(parses) == 2 * len(set(parses)) > 2    # matplotlib alone: every figure parses
    assert plotting._share_mathtext_parses() and plotting._share_mathtext_parses()
    parses.clear()
    after = [plotting._rgba_drawn_once(figure()) for _ in range(2)]
    assert len(parses) == len(set(parses)) > 2          # the second figure parses nothing
    for a, b in zip(before + after, after + before):
        np.testing.assert_array_equal(a, b)
    plt.close("all")


def test_draw_once_outside_ipython_does_nothing():
    assert plotting.draw_once() is False


def test_draw_once_in_a_kernel_draws_each_figure_once():
    """In a real kernel (the inline backend, as in a chapter): draw_once installs itself
    even though pyplot loads the backend only at the first figure, and a constrained
    figure is then drawn once where the inline backend drew it twice (plus a measuring
    pass)."""
    nbformat = pytest.importorskip("nbformat")       # not in the oldest-versions venv
    NotebookClient = pytest.importorskip("nbclient").NotebookClient
    cells = ["import matplotlib.pyplot as plt\nfrom matplotlib.figure import Figure\n"
             "from optlib import plotting\n"
             "draws = []\n_draw = Figure.draw\n"
             "Figure.draw = lambda self, r: (draws.append(1), _draw(self, r))[1]\n",
             "fig, ax = plt.subplots(layout='constrained')\nax.plot([1, 2])\nplt.show()",
             "print(len(draws), plotting.draw_once())\ndel draws[:]",
             "fig, ax = plt.subplots(layout='constrained', figsize=(4, 3), dpi=50)\n"
             "ax.plot([1, 2])\nplt.show()\nprint(len(draws))"]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    NotebookClient(nb, timeout=60, kernel_name="python3").execute()
    out = [[o for o in c.outputs if o.get("name") == "stdout" or "image/png" in o.get("data", {})]
           for c in nb.cells]
    assert out[2][0]["text"].split() == ["2", "True"]      # the inline backend's two draws
    image, printed = out[3]
    assert printed["text"].strip() == "1"
    h, w = _pixels(image["data"]["image/png"]).shape[:2]       # 4 x 3 in at 50 dpi, cut
    assert 130 < h <= 160 and 180 < w <= 210      # at most the figure plus 5 px each side
