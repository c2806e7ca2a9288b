"""Speed and size figures of optlib's drawing half (run: make bench).

Prints, without asserting anything (timings depend on the machine):

1. the median time of one explorer redraw after a slider change
   (``update(...)`` then ``png()``: the rerun, the drawing and the PNG the
   kernel sends), against a redraw from scratch in the same run (figure
   cleared, contour grid recomputed);
2. the time of ``optlib.basins`` on a 200 x 200 grid with 300 steps;
3. the size of a race animation's HTML (``optlib.animation.race_html``) and
   of the explorers' static twins rendered as sweeps;
4. the time from a slider's release to the new figure in the page, in
   JupyterLab in headless Chromium (scripts/live_check.py, on its own small
   notebook: a 1D and a 2D explorer, every slider dragged), and the kernel's
   part of it. Needs what ``make test-live`` installs (``make bench`` does).

Timings on a shared machine are noisy: the load average is printed with them.
"""
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

import optlib  # noqa: E402
from optlib import animation, plotting, surfaces, widgets  # noqa: E402


def timed(fn, repeat):
    """Median wall time of fn() over `repeat` calls, in ms."""
    times = []
    for i in range(repeat):
        t0 = time.perf_counter()
        fn(i)
        times.append(time.perf_counter() - t0)
    return 1e3 * statistics.median(times)


def explorer_redraws(repeat=15):
    print("1. Explorer redraw after a slider change (median over "
          f"{repeat} changes, update() + png())")
    print(f"   {'explorer':40s} {'slider move':>12s} {'from scratch':>13s} {'ratio':>7s}")
    cases = [
        ("1D momentum / rectangles, gamma", widgets.Explorer1D("momentum", "rectangles"),
         "gamma", np.linspace(0.0, 0.99, repeat)),
        ("2D adam / wobbly, lr (150 steps)", widgets.Explorer2D("adam", "wobbly"),
         "lr", np.geomspace(0.01, 0.5, repeat)),
        ("2D momentum / hills_and_canyon, gamma",
         widgets.Explorer2D("momentum", "hills_and_canyon"),
         "gamma", np.linspace(0.0, 0.99, repeat)),
    ]
    for label, ex, param, values in cases:
        ex.png()

        def move(i, ex=ex, param=param, values=values):
            ex.update(**{param: float(values[i])})
            ex.png()

        def scratch(i, ex=ex, param=param, values=values):
            plotting._grid_cached.cache_clear()
            ex.rebuild()
            ex.update(**{param: float(values[i])})
            ex.png()

        fast = timed(move, repeat)
        slow = timed(scratch, max(3, repeat // 3))
        print(f"   {label:40s} {fast:9.1f} ms {slow:10.1f} ms {slow / fast:6.1f}x")


def basin_times():
    s = surfaces.hills_and_canyon
    print(f"\n2. optlib.basins on {s.name}, a 200 x 200 grid, 300 steps (40 000 runs)")
    for opt in (optlib.sgd(lr=0.05), optlib.momentum(lr=0.01, gamma=0.9), optlib.adam(lr=0.1)):
        t0 = time.perf_counter()
        m = optlib.basins(opt, s, steps=300, n=200)
        dt = time.perf_counter() - t0
        shares = ", ".join(f"{np.mean(m.labels == k):.0%}" for k in (0, 1, 2, -1, -2))
        print(f"   {opt!r:50s} {dt:5.2f} s   (global, two local, not converged, "
              f"diverged: {shares})")


def html_sizes():
    print("\n3. Size of the HTML players (frames embedded as PNG)")
    s = surfaces.wobbly
    paths = {name: optlib.run(optlib.OPTIMIZERS[name](lr=lr), s.grad, s.start, 150)
             for name, lr in (("sgd", 0.05), ("momentum", 0.01), ("adam", 0.1))}
    cases = [
        ("race, 3 methods on wobbly, 40 frames", lambda: animation.race_html(s, paths)),
        ("race, 3 methods, 60 frames at 72 dpi",
         lambda: animation.race_html(s, paths, frames=60, dpi=72)),
        ("explorer_1d_static sweep, 4 frames",
         lambda: widgets.explorer_1d_static("momentum", "rectangles", kind="sweep")),
        ("explorer_2d_static sweep, 4 frames",
         lambda: widgets.explorer_2d_static("momentum", "wobbly", kind="sweep")),
    ]
    for label, make in cases:
        t0 = time.perf_counter()
        html = make()
        dt = time.perf_counter() - t0
        print(f"   {label:40s} {len(html.data) / 1024:7.0f} kB   ({dt:.1f} s to render)")


def live_latency(extra_lr_moves=6):
    print("\n4. Slider release -> new figure in the page (JupyterLab, headless Chromium)")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
    try:
        import live_check
        live_check.find_browser()
        import selenium  # noqa: F401
    except (ImportError, RuntimeError) as error:
        print(f"   skipped: {error} (make bench installs requirements-live.txt and chromium)")
        return
    with live_check.session([]) as (lab, driver):
        f = live_check.check_notebook(driver, lab, lab.root / "chapters" / live_check.DEMO,
                                      None, players=False, myst=False,
                                      extra_lr_moves=extra_lr_moves)
    for e in f.explorers:
        kind = "1D" if e["index"] == 0 else "2D"
        print(f"   {kind} explorer: {live_check.latency_summary(e['latencies'])}")
    print(f"   all moves:   {live_check.latency_summary(f.latencies)}   (goal: median <= 0.25 s)")
    print(f"   in the kernel (rerun, draw, PNG): {live_check.latency_summary(f.kernel_seconds)}")
    print(f"   its CPU time (what a busy machine does not inflate): "
          f"{live_check.latency_summary(f.kernel_cpu_seconds)}")
    for problem in f.problems():
        print("   problem:", problem)


if __name__ == "__main__":
    print(f"optlib {optlib.__version__}, numpy {np.__version__}, "
          f"matplotlib {__import__('matplotlib').__version__}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}\n")
    explorer_redraws()
    basin_times()
    html_sizes()
    live_latency()
    print(f"\nload average at the end {os.getloadavg()[0]:.1f}")
