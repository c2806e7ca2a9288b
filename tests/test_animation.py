"""Tests for optlib/animation.py: frame counts, page size, no stray figures, the player's HTML.

The player's script is exercised in a browser by tests/live (make test-live).
"""
import base64
import json
import re
import warnings
from io import BytesIO

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from IPython.display import HTML  # noqa: E402
from PIL import Image  # noqa: E402

import optlib  # noqa: E402
from optlib import animation, surfaces  # noqa: E402


def player_frames(html: str) -> list:
    """The PNG frames of a player: the first in its <img>, the others in its JSON."""
    first = re.search(r'<img class="optlib-player-frame" src="data:image/png;base64,([^"]+)"',
                      html).group(1)
    rest = json.loads(re.search(r'<script type="application/json" class="optlib-player-frames">'
                                r'(.*?)</script>', html, re.S).group(1))
    assert rest[0] == ""                        # the first frame is stored once, in the <img>
    return [base64.b64decode(f) for f in [first] + rest[1:]]


def frame_count(html: str) -> int:
    return len(player_frames(html))


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


def test_a_sweep_draws_each_frame_once_and_as_savefig_draws_it(monkeypatch):
    """A figure with an Agg canvas (an explorer's) and constrained layout: one draw per
    frame (its draw_idle used to draw each frame a second time, and savefig draws a figure
    with a layout engine twice), and every frame the picture savefig gives."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    def make():
        fig = Figure(figsize=(3, 2), dpi=50, layout="constrained")
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        line, = ax.plot([0, 1], [0, 1])

        def draw(_fig, v):
            line.set_ydata([0, v])
            ax.relim()
            ax.autoscale_view()
            ax.set_title(f"value {v}")
        return fig, draw

    values = [1, 20, 300, 4000]
    expected = []
    fig, draw = make()
    for v in values:                        # the pictures savefig draws, frame by frame
        draw(fig, v)
        raw = BytesIO()
        fig.savefig(raw, format="rgba", dpi=50)
        expected.append(np.frombuffer(raw.getbuffer(), np.uint8).reshape(100, 150, 4))
    draws = []
    real_draw = Figure.draw
    monkeypatch.setattr(Figure, "draw", lambda self, r: (draws.append(1), real_draw(self, r))[1])
    fig, draw = make()
    frames = player_frames(animation.sweep_html(draw, values, fig=fig).data)
    assert len(draws) == len(values)
    for frame, picture in zip(frames, expected):
        image = Image.open(BytesIO(frame)).convert("RGB")
        reduced = Image.fromarray(picture).convert("RGB").quantize(
            32, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE).convert("RGB")
        np.testing.assert_array_equal(np.asarray(image), np.asarray(reduced))


# --------------------------------------------------------------------------
# The player
# --------------------------------------------------------------------------

def png(color, size=(40, 30)) -> bytes:
    out = BytesIO()
    Image.new("RGB", size, color).save(out, format="png")
    return out.getvalue()


def test_player_shows_its_first_frame_with_its_size_before_any_script():
    """JupyterLab renders cells outside the window lazily: matplotlib's player, which set
    its image from a script, got no space there. Here the first frame and its size are in
    the HTML itself."""
    frames = [png("red"), png("green"), png("blue")]
    html = animation.player_html(frames, (40, 30), interval=250, default_mode="loop")
    img = re.search(r"<img [^>]*>", html).group(0)
    assert 'width="40"' in img and 'height="30"' in img
    assert "max-width:100%" in img and "height:auto" in img     # scales down with the cell
    assert player_frames(html) == frames
    assert 'data-interval="250"' in html
    checked = re.findall(r'value="(\w+)" checked', html)
    assert checked == ["loop"]


def test_player_needs_no_network_and_finds_itself_from_the_click():
    html = animation.player_html([png("red"), png("blue")], (40, 30))
    assert "http://" not in html and "https://" not in html and "<link" not in html
    buttons = re.findall(r"<button [^>]*>", html)
    assert len(buttons) == 9
    for b in buttons:
        assert re.search(r'onclick="optlibPlayer\(this\)\.\w+\(\)"', b), b
        assert re.search(r'aria-label="[^"]+"', b), b
    assert "window.optlibPlayer = function (el)" in html
    assert html.count("<svg") == 9                # icons drawn inline, no icon font
    # two players on one page keep their own mode buttons
    other = animation.player_html([png("red")], (40, 30))
    names = set(re.findall(r'name="(optlib-mode-\w+)"', html + other))
    assert len(names) == 2


def test_player_frames_are_the_size_the_img_announces(three_paths):
    html = animation.race_html("wobbly", three_paths, frames=4, figsize=(5, 4), dpi=50)
    sizes = {Image.open(BytesIO(f)).size for f in player_frames(html.data)}
    assert sizes == {(250, 200)}
    assert 'width="250" height="200"' in html.data
    assert "Race of sgd, momentum, adam on Wobbly" in html.data       # the alt text


def test_player_html_bad_inputs():
    with pytest.raises(ValueError, match="at least one frame"):
        animation.player_html([], (10, 10))
    with pytest.raises(ValueError, match="'once', 'loop', 'reflect'"):
        animation.player_html([png("red")], (40, 30), default_mode="bounce")


# --------------------------------------------------------------------------
# save: animations as files
# --------------------------------------------------------------------------

def test_save_writes_a_gif_with_every_frame(three_paths, tmp_path):
    calls = []
    out = animation.save(animation.race(surfaces.wobbly, three_paths, frames=5),
                         tmp_path / "race.gif", progress=lambda i, n: calls.append((i, n)))
    assert out == tmp_path / "race.gif"
    assert out.read_bytes()[:6] == b"GIF89a"
    with Image.open(out) as gif:
        assert gif.n_frames == 5 and gif.size == (384, 320)
        first = np.asarray(gif.convert("RGB"))
        gif.seek(4)
        last = np.asarray(gif.convert("RGB"))
    assert np.any(first != last)                      # the runs move
    assert calls == [(i, 5) for i in range(1, 6)]


def test_save_mp4_needs_ffmpeg_and_says_so(three_paths, tmp_path, monkeypatch):
    import shutil
    monkeypatch.setattr(shutil, "which", lambda name: None)
    anim = animation.race(surfaces.wobbly, three_paths, frames=2)
    with pytest.raises(RuntimeError, match="needs ffmpeg, which is not on this machine"):
        animation.save(anim, tmp_path / "race.mp4")
    assert not (tmp_path / "race.mp4").exists()
    anim._draw_was_started = True                     # no "deleted without rendering" warning


@pytest.mark.parametrize("path, match", [("race.avi", r"path must end in one of \.gif"),
                                         ("race", r"path must end in one of \.gif"),
                                         ("no/such/dir/race.gif", "does not exist")])
def test_save_bad_paths(three_paths, tmp_path, path, match):
    anim = animation.race(surfaces.wobbly, three_paths, frames=2)
    with pytest.raises(ValueError, match=match):
        animation.save(anim, tmp_path / path)
    anim._draw_was_started = True
    with pytest.raises(ValueError, match="anim must be a matplotlib FuncAnimation"):
        animation.save("not an animation", tmp_path / "race.gif")
    with pytest.raises(ValueError, match=r"fps must be a number in \(0, 100\]"):
        animation.save(anim, tmp_path / "race.gif", fps=0)
