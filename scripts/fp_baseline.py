"""numpy at its baseline dispatch: the second floating-point path the chapters are tested on.

    python scripts/fp_baseline.py features   # what to put in NPY_DISABLE_CPU_FEATURES
    python scripts/fp_baseline.py check      # fail unless no SIMD target above the baseline is on

numpy picks, at run time, the fastest SIMD code for the CPU at hand (on x86:
X86_V3 with AVX2, X86_V4 and the AVX512 groups), and its sin, exp, log, power
and friends differ in the last bit from one code path to the next. A chapter
whose printed figures depend on that last bit passes on one machine and fails
on the next. ``make test-baseline`` therefore runs nbval over every chapter a
second time with every dispatch target above the baseline switched off
(``NPY_DISABLE_CPU_FEATURES``), so the committed outputs are compared against a
second floating-point path on every test run; ``check`` makes sure the switch
took effect (it prints ``numpy.show_runtime()``'s SIMD report and reads the
same table).
"""
from __future__ import annotations

import contextlib
import io
import os
import sys


def _tables():
    from numpy._core import _multiarray_umath as umath
    return umath.__cpu_baseline__, umath.__cpu_dispatch__, umath.__cpu_features__


def dispatch_targets() -> list[str]:
    """The SIMD targets numpy was built to dispatch to above its baseline (for this CPU family)."""
    return list(_tables()[1])


def active_targets() -> list[str]:
    """The dispatch targets in use now (what ``numpy.show_runtime()`` lists as 'found')."""
    _, dispatch, features = _tables()
    return [name for name in dispatch if features.get(name)]


def runtime_report() -> str:
    """``numpy.show_runtime()``'s report, as text."""
    import numpy
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        numpy.show_runtime()
    return out.getvalue()


def main(argv: list[str]) -> int:
    if argv == ["features"]:
        print(" ".join(dispatch_targets()))
        return 0
    if argv == ["check"]:
        report = runtime_report()
        start = report.find("simd_extensions")
        print("numpy.show_runtime():", report[start:report.find("}", start) + 1]
              if start >= 0 else report.strip())
        active = active_targets()
        if active:
            print(f"NPY_DISABLE_CPU_FEATURES={os.environ.get('NPY_DISABLE_CPU_FEATURES')!r} "
                  f"did not take effect: {', '.join(active)} still on", file=sys.stderr)
            return 1
        print(f"numpy runs at its baseline ({', '.join(_tables()[0])}); "
              f"off: {os.environ.get('NPY_DISABLE_CPU_FEATURES') or '(nothing to switch off)'}")
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
