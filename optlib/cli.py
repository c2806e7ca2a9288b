"""The command line: ``python -m optlib`` (or the ``optlib`` console script).

Two commands, for readers who never open a notebook::

    optlib race --surface wobbly --methods adam,nesterov,rmsprop \\
                --lr 0.1,0.01,0.05 --steps 125 --out race.gif
    optlib respond --method adam --signal rectangles \\
                   --sweep beta1=0.5,0.9,0.99 --out adam.png

``--surface`` takes a surface's name or a formula in x and y
(:func:`optlib.surfaces.from_formula`), ``--signal`` a signal's name or a
formula in the step t (:func:`optlib.signals.from_formula`). A bad argument
ends the program with exit status 2, the usage line and one line saying
what is wrong (argparse's convention), never a traceback.
"""
from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

__all__ = ["main", "build_parser"]

_RACE_EXAMPLES = """\
examples:
  optlib race --surface wobbly --methods adam,nesterov,rmsprop \\
              --lr 0.1,0.01,0.05 --steps 125 --out race.gif
  optlib race --surface "x**2/3 + 3*sin(x + y)" --methods sgd,adam \\
              --lr 0.05,0.1 --start=-2.5,2.5 --out mine.gif
  optlib race --surface rosenbrock --methods momentum --lr 0.001 \\
              --set gamma=0.9 --steps 500 --out valley.png

--surface is a name (wobbly, basins_and_walls, ripple, giant_plateau,
hills_and_canyon, two_minimums, rosenbrock, beale, saddle,
ill_conditioned_quadratic) or a formula in x and y using only numbers,
+ - * / ** ( ), sin cos tan exp log sqrt abs tanh, pi and e.
--out ending in .gif or .mp4 (needs ffmpeg) writes the animation; .png,
.svg or .pdf a picture of the finished race."""

_RESPOND_EXAMPLES = """\
examples:
  optlib respond --method adam --signal rectangles \\
                 --sweep beta1=0.5,0.9,0.99 --out adam.png
  optlib respond --method momentum --signal "sin(t/20) + (t % 60 == 0)" \\
                 --sweep gamma=0,0.5,0.9 --lr 0.25 --out mine.png

--signal is a name (spikes, rectangles, noisy_sin, very_noisy_sin,
uneven_sawtooth, saturation) or a formula in the step t using only
numbers, + - * / ** % ( ), sin cos tan exp log sqrt abs tanh floor, pi,
e and comparisons < <= > >= == != (1 where true, 0 elsewhere).
The picture shows the update the method makes at each step (the amount
subtracted from the parameter) for each value of the swept hyperparameter."""

_PICTURES = (".png", ".svg", ".pdf")


class _Parser(argparse.ArgumentParser):
    """argparse's parser; its error line is kept to one line."""

    def error(self, message):
        super().error(" ".join(str(message).split()))


def _floats(text: str, what: str) -> list:
    values = []
    for part in text.split(","):
        try:
            value = float(part)
        except ValueError:
            raise ValueError(f"{what} must be numbers separated by commas, got {text!r}") \
                from None
        if not math.isfinite(value):
            raise ValueError(f"{what} must be finite numbers, got {text!r}")
        values.append(value)
    return values


def _assignment(text: str, what: str):
    """'beta1=0.5,0.9' -> ('beta1', [0.5, 0.9])."""
    name, sep, values = text.partition("=")
    if not sep or not name.strip().isidentifier():
        raise ValueError(f"{what} must look like NAME=VALUE[,VALUE...] (e.g. beta1=0.5,0.9), "
                         f"got {text!r}")
    return name.strip(), _floats(values, f"{what} {name.strip()}")


def _surface(text: str):
    from . import surfaces
    if text in surfaces.SURFACES:
        return surfaces.SURFACES[text]
    if text.strip().isidentifier() and text.strip() not in ("x", "y"):
        raise ValueError(f"--surface {text!r} is neither a surface name "
                         f"({', '.join(surfaces.SURFACES)}) nor a formula in x and y")
    try:
        return surfaces.from_formula(text)
    except ValueError as error:
        raise ValueError(f"--surface: {error}") from None


def _signal(text: str, n: int):
    from . import signals
    if text in signals.SIGNALS:
        return signals.get(text, n), signals.TITLES[text]
    if text.strip().isidentifier() and text.strip() != "t":
        raise ValueError(f"--signal {text!r} is neither a signal name "
                         f"({', '.join(signals.SIGNALS)}) nor a formula in t")
    try:
        return signals.from_formula(text, n), f"g = {' '.join(text.split())}"
    except ValueError as error:
        raise ValueError(f"--signal: {error}") from None


def _factory(name: str):
    from . import plotting
    return plotting.optimizer_factory(name)


def _accepts(name: str, keyword: str) -> bool:
    import inspect
    return keyword in inspect.signature(_factory(name)).parameters


def _settings(methods, lrs, assignments, default_lr):
    """{method: hyperparameters}: one lr for all or one per method, --set where accepted."""
    if len(lrs) not in (0, 1, len(methods)):
        raise ValueError(f"--lr must give one value, or one per method ({len(methods)}), "
                         f"got {len(lrs)}")
    settings = {}
    for i, m in enumerate(methods):
        lr = lrs[0] if len(lrs) == 1 else lrs[i] if lrs else default_lr(m)
        settings[m] = {"lr": lr}
    for text in assignments:
        name, values = _assignment(text, "--set")
        if len(values) != 1:
            raise ValueError(f"--set {name} takes one value, got {len(values)}")
        takers = [m for m in methods if _accepts(m, name)]
        if not takers:
            raise ValueError(f"--set {name}: none of {', '.join(methods)} has a "
                             f"hyperparameter {name!r}")
        for m in takers:
            settings[m][name] = values[0]
    for m, hp in settings.items():
        _factory(m)(**hp)                      # the factory's own ValueError for a bad value
    return settings


def _check_out(path: str, allowed) -> Path:
    out = Path(path)
    if out.suffix.lower() not in allowed:
        raise ValueError(f"--out must end in {', '.join(allowed)}, got {path!r}")
    if not out.parent.is_dir():
        raise ValueError(f"--out {path!r}: the folder {str(out.parent)!r} does not exist")
    return out


def _where(surface, path) -> str:
    from . import plotting
    k = plotting.divergence_step(path, surface)
    if k is not None:
        return f"diverged at step {k}"
    if not surface.in_window(path[-1]):
        return "left the window"
    i = surface.nearest_minimum(path[-1], tol=0.05)
    return ("a global minimum" if 0 <= i < len(surface.global_minima) else
            "a local minimum" if i >= 0 else "no minimum yet")


def _race(args) -> str:
    import numpy as np
    from . import run
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    if not methods:
        raise ValueError("--methods must name at least one method, e.g. adam,sgd")
    for m in methods:
        _factory(m)                            # ValueError listing the names
    out = _check_out(args.out, (".gif", ".mp4") + _PICTURES)
    if out.suffix.lower() == ".mp4":
        import shutil
        if shutil.which("ffmpeg") is None:
            raise RuntimeError(f"--out {args.out!r}: writing an .mp4 needs ffmpeg, which is not "
                               f"on this machine (not found on the PATH); install ffmpeg, or "
                               f"write a .gif, which needs only Pillow")
    if not 1 <= args.frames <= 60:
        raise ValueError(f"--frames must be from 1 to 60, got {args.frames}")
    if not 1 <= args.steps <= 10000:
        raise ValueError(f"--steps must be from 1 to 10000, got {args.steps}")
    s = _surface(args.surface)
    start = s.start
    if args.start is not None:
        start = np.array(_floats(args.start, "--start"))
        if start.shape != (2,) or not bool(s.in_window(start)):
            (x0, x1), (y0, y1) = s.window
            raise ValueError(f"--start must be X,Y inside the window, x in [{x0:g}, {x1:g}] "
                             f"and y in [{y0:g}, {y1:g}]; got {args.start!r}")

    def default_lr(m):
        from .widgets import LR_RANGES_2D
        return LR_RANGES_2D[m][2]

    settings = _settings(methods, _floats(args.lr, "--lr") if args.lr else [], args.set,
                         default_lr)
    labels = {m: f"{m} lr={settings[m]['lr']:g}" for m in methods}
    paths = {labels[m]: run(_factory(m)(**settings[m]), s.grad, start, args.steps)
             for m in methods}
    title = f"{s.title}, {args.steps} steps"
    if out.suffix.lower() in _PICTURES:
        from matplotlib.figure import Figure
        from . import plotting
        fig = Figure(figsize=(7.5, 5), layout="constrained")
        plotting.trajectories(s, paths, ax=fig.add_subplot(), title=title)
        fig.savefig(out, dpi=args.dpi)
        what = "picture"
    else:
        from tqdm import tqdm
        from .animation import race, save
        anim = race(s, paths, frames=min(args.frames, args.steps + 1), title=title,
                    dpi=args.dpi)
        bars = []

        def progress(i, n):                    # the bar starts with the first frame
            if not bars:
                bars.append(tqdm(total=n, desc=f"writing {out.name}", unit="frame",
                                 file=sys.stderr, disable=args.quiet, leave=False))
            bars[0].update(i - bars[0].n)

        try:
            save(anim, out, fps=args.fps, progress=progress)
        finally:
            for bar in bars:
                bar.close()
        what = "animation"
    ends = "; ".join(f"{label}: {_where(s, p)}" for label, p in paths.items())
    return f"wrote the {what} {out} ({out.stat().st_size // 1024} kB). {ends}"


def _respond(args) -> str:
    from matplotlib.figure import Figure
    from . import plotting
    from .widgets import LR_RANGES_1D, MAIN_PARAM, SWEEP_VALUES
    _factory(args.method)                      # ValueError listing the names
    out = _check_out(args.out, _PICTURES)
    if not 1 <= args.n <= 100000:
        raise ValueError(f"--n must be from 1 to 100000, got {args.n}")
    g, title = _signal(args.signal, args.n)
    if args.sweep is None:
        param = MAIN_PARAM[args.method]
        values = SWEEP_VALUES.get(param) or [LR_RANGES_1D[args.method][2]]
    else:
        param, values = _assignment(args.sweep, "--sweep")
    if not _accepts(args.method, param):
        raise ValueError(f"--sweep {param}: {args.method} has no hyperparameter {param!r}")
    if len(values) > 8:
        raise ValueError(f"--sweep takes at most 8 values, got {len(values)}")
    fixed = {} if param == "lr" else {"lr": LR_RANGES_1D[args.method][2]}
    if args.lr:
        if param == "lr":
            raise ValueError("--lr and --sweep lr=... cannot both be given")
        fixed["lr"] = _floats(args.lr, "--lr")[0]
    for text in args.set:
        name, value = _assignment(text, "--set")
        if not _accepts(args.method, name) or len(value) != 1:
            raise ValueError(f"--set {text!r}: {args.method} takes one value for each of its "
                             f"hyperparameters")
        fixed[name] = value[0]
    for v in values:
        _factory(args.method)(**{**fixed, param: v})     # the factory's ValueError
    fig = Figure(figsize=(8, 3.6), layout="constrained")
    plotting.response(args.method, g, param, values, fixed, ax=fig.add_subplot(),
                      title=f"{args.method}: {title}")
    fig.savefig(out, dpi=args.dpi)
    return f"wrote the picture {out} ({out.stat().st_size // 1024} kB)"


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="optlib", usage="optlib {race,respond} ... (optlib race --help)",
                     description=(
        "Race optimizers on a surface, or plot a method's response to a gradient signal: "
        "the command line of the course book 'Neural network optimizers'."),
        epilog="run 'optlib race --help' or 'optlib respond --help' for examples",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True, metavar="{race,respond}",
                                     parser_class=_Parser)
    race = commands.add_parser("race", prog="optlib race", help="animate several methods on one surface",
                               description="Run several optimizers from one start point on "
                               "one surface and write the race to a file.",
                               epilog=_RACE_EXAMPLES,
                               usage="optlib race --out FILE [--surface NAME_OR_FORMULA] "
                                     "[--methods A,B] [--lr LR,LR] [options]",
                               formatter_class=argparse.RawDescriptionHelpFormatter)
    race.add_argument("--surface", default="wobbly",
                      help="a surface name or a formula in x and y (default: wobbly)")
    race.add_argument("--methods", default="sgd,momentum,adam",
                      help="methods separated by commas (default: sgd,momentum,adam)")
    race.add_argument("--lr", help="one learning rate for all, or one per method, "
                      "separated by commas (default: each method's explorer default)")
    race.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                      help="another hyperparameter, for every method that has it "
                      "(e.g. gamma=0.9); may be repeated")
    race.add_argument("--steps", type=int, default=125, help="steps per run (default: 125)")
    race.add_argument("--start", metavar="X,Y", help="start point, written --start=X,Y when X "
                      "is negative (default: the surface's)")
    race.add_argument("--frames", type=int, default=40,
                      help="frames of the animation, at most 60 (default: 40)")
    race.add_argument("--fps", type=float, default=None,
                      help="frames per second (default: about 8)")
    race.add_argument("--dpi", type=int, default=64, help="resolution (default: 64)")
    race.add_argument("--out", required=True,
                      help="the file to write: .gif, .mp4 (needs ffmpeg), .png, .svg or .pdf")
    race.add_argument("--quiet", action="store_true", help="no progress bar")
    race.set_defaults(run=_race)
    respond = commands.add_parser("respond", prog="optlib respond", help="plot the updates a method makes for a "
                                  "gradient signal",
                                  description="Feed a 1D gradient signal to one method and "
                                  "plot the update it makes at each step, for several values "
                                  "of one hyperparameter.",
                                  epilog=_RESPOND_EXAMPLES,
                                  usage="optlib respond --out FILE [--method NAME] "
                                        "[--signal NAME_OR_FORMULA] [--sweep NAME=V1,V2] "
                                        "[options]",
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
    respond.add_argument("--method", default="momentum", help="the method (default: momentum)")
    respond.add_argument("--signal", default="rectangles",
                         help="a signal name or a formula in t (default: rectangles)")
    respond.add_argument("--sweep", metavar="NAME=V1,V2,...",
                         help="the hyperparameter to vary and its values "
                         "(default: the method's main one)")
    respond.add_argument("--lr", help="the learning rate, when it is not swept")
    respond.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                         help="another hyperparameter, fixed (e.g. eps=1e-8); may be repeated")
    respond.add_argument("--n", type=int, default=300, help="steps of the signal (default: 300)")
    respond.add_argument("--dpi", type=int, default=100, help="resolution (default: 100)")
    respond.add_argument("--out", required=True, help="the file to write: .png, .svg or .pdf")
    respond.set_defaults(run=_respond)
    return parser


def main(argv=None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); returns 0 on success.

    A bad argument, or a ValueError from optlib (a formula outside the
    vocabulary, an unknown method, a learning rate out of range) or a missing
    tool (ffmpeg for .mp4), exits with status 2 after the usage line and one
    line saying what is wrong.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    sub = parser._subparsers._group_actions[0].choices[args.command]
    if getattr(args, "dpi", 1) < 10 or getattr(args, "dpi", 1) > 600:
        sub.error(f"--dpi must be from 10 to 600, got {args.dpi}")
    try:
        import matplotlib
        matplotlib.use("Agg")                  # files only: no window, no display needed
        print(args.run(args))
    except (ValueError, RuntimeError) as error:
        sub.error(str(error))
    return 0


if __name__ == "__main__":                     # pragma: no cover
    sys.exit(main())
