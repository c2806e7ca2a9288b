"""Tests for the command line (optlib/cli.py, python -m optlib): the files it writes, its
help, and its failures (exit status 2, the usage line and one error line, no traceback)."""
import shutil
import subprocess
import sys

import pytest
from PIL import Image

from optlib import cli


def run_cli(capsys, *argv):
    """(exit status, stdout, stderr) of optlib.cli.main(argv), in this process."""
    try:
        status = cli.main(list(argv))
    except SystemExit as done:
        status = done.code
    out, err = capsys.readouterr()
    return status, out, err


def test_race_writes_a_gif(tmp_path, capsys):
    out = tmp_path / "race.gif"
    status, stdout, err = run_cli(capsys, "race", "--surface", "wobbly", "--methods",
                                  "adam,nesterov,rmsprop", "--lr", "0.1,0.01,0.05",
                                  "--steps", "30", "--frames", "4", "--out", str(out))
    assert status == 0, err
    assert out.read_bytes()[:6] == b"GIF89a"
    with Image.open(out) as gif:
        assert gif.n_frames == 4
        assert gif.size == (384, 320)                # 6 x 5 inches at 64 dpi
    assert f"wrote the animation {out}" in stdout
    for method in ("adam lr=0.1", "nesterov lr=0.01", "rmsprop lr=0.05"):
        assert method in stdout
    assert "frame" in err                             # the progress bar, on stderr


def test_race_on_a_formula_writes_a_png(tmp_path, capsys):
    out = tmp_path / "mine.png"
    status, stdout, err = run_cli(capsys, "race", "--surface", "(x - 1)**2 + 2*(y + 0.5)**2",
                                  "--methods", "sgd,momentum", "--lr", "0.1",
                                  "--set", "gamma=0.5", "--start=-2,2", "--steps", "200",
                                  "--out", str(out))
    assert status == 0, err
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "sgd lr=0.1: a global minimum" in stdout and "momentum lr=0.1: a global minimum" in stdout


def test_respond_writes_a_png(tmp_path, capsys):
    out = tmp_path / "adam.png"
    status, stdout, err = run_cli(capsys, "respond", "--method", "adam", "--signal",
                                  "rectangles", "--sweep", "beta1=0.5,0.9,0.99",
                                  "--out", str(out))
    assert status == 0, err
    with Image.open(out) as png:
        assert png.format == "PNG" and png.size == (800, 360)
    formula = tmp_path / "mine.png"
    status, _, err = run_cli(capsys, "respond", "--method", "momentum", "--signal",
                             "sin(t/20) + (t % 60 == 0)", "--sweep", "gamma=0,0.9",
                             "--lr", "0.1", "--out", str(formula))
    assert status == 0, err
    assert formula.read_bytes()[:4] == b"\x89PNG"


BAD = [
    (["race", "--methods", "adam"], "the following arguments are required: --out"),
    (["race", "--surface", "wobly", "--out", "r.gif"], "neither a surface name"),
    (["race", "--surface", "x.real", "--out", "r.gif"], "--surface: formula 'x.real' uses "
                                                        "attribute access"),
    (["race", "--surface", "__import__('os')", "--out", "r.gif"], "calls __import__()"),
    (["race", "--surface", "log(x)", "--out", "r.gif"], "not finite"),
    (["race", "--methods", "adamm", "--out", "r.gif"], "unknown optimizer 'adamm'"),
    (["race", "--methods", "adam", "--lr", "-1", "--out", "r.gif"], "lr must be"),
    (["race", "--methods", "adam,sgd", "--lr", "0.1,0.2,0.3", "--out", "r.gif"],
     "--lr must give one value, or one per method (2)"),
    (["race", "--lr", "fast", "--out", "r.gif"], "--lr must be numbers"),
    (["race", "--set", "gamma", "--out", "r.gif"], "--set must look like NAME=VALUE"),
    (["race", "--methods", "adam", "--set", "gamma=0.9", "--out", "r.gif"],
     "none of adam has a hyperparameter 'gamma'"),
    (["race", "--steps", "x", "--out", "r.gif"], "invalid int value"),
    (["race", "--steps", "0", "--out", "r.gif"], "--steps must be from 1"),
    (["race", "--frames", "500", "--out", "r.gif"], "--frames must be from 1 to 60"),
    (["race", "--start", "9,9", "--out", "r.gif"], "--start must be X,Y inside the window"),
    (["race", "--out", "r.jpeg"], "--out must end in .gif, .mp4, .png, .svg, .pdf"),
    (["race", "--out", "no/such/folder/r.gif"], "does not exist"),
    (["respond", "--method", "adam", "--sweep", "gamma=0.5", "--out", "a.png"],
     "adam has no hyperparameter 'gamma'"),
    (["respond", "--sweep", "gamma=1.5", "--out", "a.png"], "gamma must be"),
    (["respond", "--signal", "y", "--out", "a.png"], "neither a signal name"),
    (["respond", "--signal", "log(t)", "--out", "a.png"], "not finite at step t = 0"),
    (["respond", "--signal", "t.real", "--out", "a.png"], "attribute access"),
    (["respond", "--out", "a.gif"], "--out must end in .png, .svg, .pdf"),
    (["dance", "--out", "a.png"], "invalid choice: 'dance'"),
    ([], "the following arguments are required"),
]


@pytest.mark.parametrize("argv, what", BAD)
def test_bad_arguments_exit_2_with_one_line(argv, what, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    status, stdout, err = run_cli(capsys, *argv)
    assert status == 2
    lines = err.strip().splitlines()
    assert len(lines) == 2, err                       # the usage line and the error line
    assert lines[0].startswith("usage: optlib")
    assert lines[1].startswith("optlib") and ": error: " in lines[1]
    assert what in lines[1], lines[1]
    assert "Traceback" not in err and stdout == ""
    assert not list(tmp_path.iterdir())               # nothing written


def test_mp4_without_ffmpeg_names_the_tool(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    out = tmp_path / "race.mp4"
    status, _, err = run_cli(capsys, "race", "--steps", "5", "--out", str(out))
    assert status == 2
    assert "needs ffmpeg" in err.splitlines()[-1] and "write a .gif" in err
    assert not out.exists()


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not on this machine")
def test_mp4_with_ffmpeg(tmp_path, capsys):
    out = tmp_path / "race.mp4"
    status, _, err = run_cli(capsys, "race", "--steps", "10", "--frames", "3", "--out", str(out))
    assert status == 0, err
    assert out.read_bytes()[4:8] == b"ftyp"


def test_help_has_examples_and_python_m_runs():
    for command, example in (("race", "--methods adam,nesterov,rmsprop"),
                             ("respond", "--sweep beta1=0.5,0.9,0.99")):
        done = subprocess.run([sys.executable, "-m", "optlib", command, "--help"],
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert "examples:" in done.stdout and example in done.stdout
    done = subprocess.run([sys.executable, "-m", "optlib", "race", "--surface", "1 + 2",
                           "--out", "r.gif"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1].startswith("optlib race: error: --surface: "
                                                          "formula '1 + 2' does not depend")


def test_console_script_is_declared():
    import tomllib
    from pathlib import Path
    project = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    assert project["project"]["scripts"] == {"optlib": "optlib.cli:main"}
