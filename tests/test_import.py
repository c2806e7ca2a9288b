"""``import optlib`` is light: numpy only, the drawing modules load on first use (PEP 562).

Binder and Colab give a student about one core; a chapter that only runs
optimizers should not pay for matplotlib, IPython and ipywidgets. The import
time itself is measured by ``make bench`` (a figure, not a test).
"""
from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("matplotlib", "IPython", "ipywidgets", "PIL", "sympy")

PROBE = """
import json, sys
import numpy as np
import optlib
from optlib import signals, surfaces, schedules, analysis
s = surfaces.wobbly
path = optlib.run(optlib.adam(lr=0.1), s.grad, s.start, 50)
updates = optlib.respond(optlib.rmsprop(lr=0.1), signals.rectangles(100))
res = optlib.run_many(optlib.sgd(lr=0.05), "two_minimums", optlib.grid_starts(s, 4), 30)
opt = optlib.scheduled(optlib.sgd, schedules.cosine(lr0=0.1, total=10))
optlib.run(opt, s.grad, s.start, 12)
after_run = [m for m in HEAVY if m in sys.modules]
from optlib import plotting              # the drawing modules still load on demand
import optlib.animation
widgets_attr = optlib.widgets.explorer_1d.__name__
print(json.dumps({"after_run": after_run, "widgets_attr": widgets_attr,
                  "loaded": [m for m in HEAVY if m in sys.modules],
                  "in_dir": all(n in dir(optlib) for n in ("plotting", "animation", "widgets"))}))
"""


def test_import_optlib_loads_numpy_only_and_drawing_modules_on_demand():
    done = subprocess.run([sys.executable, "-c", f"HEAVY = {HEAVY!r}\n" + PROBE],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["after_run"] == [], f"import optlib and a run loaded {out['after_run']}"
    assert out["widgets_attr"] == "explorer_1d" and out["in_dir"]
    assert {"matplotlib", "IPython", "ipywidgets"} <= set(out["loaded"])


def test_unknown_attribute_is_an_attribute_error():
    import optlib
    try:
        optlib.no_such_thing
    except AttributeError as error:
        assert "no_such_thing" in str(error)
    else:
        raise AssertionError("optlib.no_such_thing did not raise")
