"""The two floating-point checks of the chapters: numpy at its baseline dispatch, and the one-ulp audit.

``make test-baseline`` relies on ``scripts/fp_baseline.py`` to switch numpy's SIMD
dispatch off and to notice when that did not work; ``make audit-fp`` relies on
``scripts/ulp_noise`` to move transcendental results by one ulp, deterministically.
Both run in a fresh interpreter here, as they do under nbval.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "fp_baseline.py"


def python(code: str, **env) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items()
                if k not in ("NPY_DISABLE_CPU_FEATURES", "OPTLIB_ULP_NOISE", "PYTHONPATH")}
    full_env.update(env)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=full_env, cwd=ROOT, timeout=120)


def fp_baseline(*args, **env) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if k != "NPY_DISABLE_CPU_FEATURES"}
    full_env.update(env)
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True,
                          text=True, env=full_env, timeout=120)


def test_baseline_switches_every_dispatch_target_off():
    features = fp_baseline("features").stdout.split()
    from numpy._core import _multiarray_umath as umath
    assert features == list(umath.__cpu_dispatch__)
    done = fp_baseline("check", NPY_DISABLE_CPU_FEATURES=" ".join(features))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "'found': []" in done.stdout          # numpy.show_runtime()'s own report


def test_baseline_check_fails_when_the_switch_did_not_take_effect():
    from numpy._core import _multiarray_umath as umath
    if not any(umath.__cpu_features__.get(f) for f in umath.__cpu_dispatch__):
        pytest.skip("this CPU has no SIMD target above numpy's baseline")
    done = fp_baseline("check", NPY_DISABLE_CPU_FEATURES="")
    assert done.returncode == 1 and "did not take effect" in done.stderr


AUDIT_PROBE = """
import json, numpy as np
x = np.linspace(-3, 3, 1001)
print(json.dumps({
    "ulps": [float(np.max(np.abs(f(x) - f.__wrapped__(x)) / np.spacing(np.abs(f.__wrapped__(x)))))
             for f in (np.sin, np.exp, np.tanh)],
    "moved": float(np.mean(np.sin(x) != np.sin.__wrapped__(x))),
    "same_twice": bool(np.array_equal(np.exp(x), np.exp(x))),
    "split_equals_whole": bool(np.array_equal(np.cos(x[:7]), np.cos(x)[:7])),
    "exact": [float(np.sin(0.0)), float(np.exp(0.0)), float(np.cos(0.0))],
    "integer_power": bool(np.array_equal(np.power(x, 2.0), x * x)),
    "sin_of_scalar_is_scalar": bool(np.ndim(np.sin(1.0)) == 0),
}))
"""


def test_ulp_audit_moves_results_by_at_most_one_ulp_deterministically():
    done = python(AUDIT_PROBE, OPTLIB_ULP_NOISE="1", OPTLIB_ULP_SEED="2",
                  PYTHONPATH=str(ROOT / "scripts" / "ulp_noise"))
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert all(u <= 1.0 for u in out["ulps"]) and max(out["ulps"]) == 1.0
    assert 0.4 < out["moved"] < 0.9           # about two thirds of the values move
    assert out["same_twice"] and out["split_equals_whole"]
    assert out["exact"] == [0.0, 1.0, 1.0] and out["integer_power"]
    assert out["sin_of_scalar_is_scalar"]


def test_ulp_audit_is_off_unless_asked_for():
    done = python("import numpy as np; print(hasattr(np.sin, '__wrapped__'))",
                  PYTHONPATH=str(ROOT / "scripts" / "ulp_noise"))
    assert done.returncode == 0 and done.stdout.strip() == "False"
