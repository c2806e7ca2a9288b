"""Tests for optlib/animation.py: frame counts, page size, no stray figures."""
import re
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from IPython.display import HTML  # noqa: E402

import optlib  # noqa: E402
from optlib import animation, surfaces  # noqa: E402


def frame_count(html: str) -> int:
    return len(re.findall(r'frames\[\d+\] = "data:image/png;base64,', html))


@pytest.fixture(scope="module")
def three_paths():
    s = surfaces.wobbly
    return {name: optlib.run(optlib.OPTIMIZERS[name](lr=lr), s.grad, s.start, 150)
            for name, lr in (("sgd", 0.05), ("momentum", 0.01), ("adam", 0.1))}


def test_frame_steps_are_spread_over_the_run():
    steps = animation.frame_steps(150, 48)
    assert steps[0] == 0 and steps[-1] == 150 and len(steps) == 48
    assert np.all(np.diff(steps) > 0)
    assert list(animation.frame_steps(5, 48)) == [0, 1, 2, 3, 4, 5]
    with pytest.raises(ValueError, match="frames"):
        animation.frame_steps(150, animation.MAX_FRAMES + 1)


def test_race_html_has_its_frames_and_stays_small(three_paths):
    open_before = plt.get_fignums()
    html = animation.race_html("wobbly", three_paths, frames=30)
    assert isinstance(html, HTML)
    assert frame_count(html.data) == 30
    assert len(html.data) < 500_000             # three of them stay well under 2 MB
    assert plt.get_fignums() == open_before     # no figure left for the notebook to show


def test_race_draws_the_contour_once_and_moves_the_lines(three_paths):
    anim = animation.race(surfaces.wobbly, three_paths, frames=10)
    html = animation.to_jshtml(anim)
    assert frame_count(html) == 10
    overlay = anim._fig.axes[-1]
    lines = [line for line in overlay.get_lines() if line.get_linestyle() == "-"]
    assert len(lines) == 3
    # after the last frame every run is drawn whole
    assert sorted(len(line.get_xdata()) for line in lines) == [151, 151, 151]
    assert not overlay.collections             # the contour is in the background image
    assert len(anim._fig.axes) == 2 and anim._fig.axes[0].images


def test_race_marks_a_diverged_run_without_warnings(three_paths):
    s = surfaces.wobbly
    paths = dict(three_paths, blowup=np.vstack([three_paths["sgd"][:20],
                                                np.full((131, 2), np.inf)]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        anim = animation.race(s, paths, frames=12)
        html = animation.to_jshtml(anim)
    assert frame_count(html) == 12
    # after the last frame the diverged run ends in an x at its last finite point
    crosses = [line for line in anim._fig.axes[-1].get_lines()
               if line.get_marker() == "x" and len(line.get_xdata())]
    assert len(crosses) == 1
    np.testing.assert_array_equal(crosses[0].get_xydata()[0], three_paths["sgd"][19])


def test_race_label_says_diverged():
    s = surfaces.rosenbrock
    paths = {"sgd": optlib.run(optlib.sgd(lr=0.1), s.grad, s.start, 30),
             "adam": optlib.run(optlib.adam(lr=0.05), s.grad, s.start, 30)}
    seen = {}
    original = animation.freeze

    def spy(fig, ax, **kw):
        seen["labels"] = [t.get_text() for t in ax.get_legend().get_texts()]
        return original(fig, ax, **kw)

    animation.freeze = spy
    try:
        animation.to_jshtml(animation.race(s, paths, frames=5))
    finally:
        animation.freeze = original
    assert "sgd (diverged)" in seen["labels"] and "adam" in seen["labels"]


def test_sweep_html_has_one_frame_per_value():
    seen = []

    def draw(fig, value):
        seen.append(value)
        ax = fig.add_subplot()
        ax.plot([0, 1], [0, value])
        ax.set_title(f"value = {value}")

    html = animation.sweep_html(draw, [0.1, 0.2, 0.3, 0.4])
    assert frame_count(html.data) == 4
    assert set(seen) == {0.1, 0.2, 0.3, 0.4}
    with pytest.raises(ValueError, match="frames"):
        animation.sweep_html(draw, range(animation.MAX_FRAMES + 1))
