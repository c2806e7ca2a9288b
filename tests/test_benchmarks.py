"""The bench script's environments: what it gives the processes it times."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("outer", [None, "module://matplotlib_inline.backend_inline"])
def test_the_book_build_and_ci_get_the_environment_the_bench_was_started_in(outer):
    """The bench sets MPLBACKEND=Agg for its own figures; the book build and .ci/run that it
    times must not inherit it (a kernel under Agg draws no figure: nbval's figure cells then
    fail and the build misses its images, as in a bench of 9df6a6a)."""
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    if outer is not None:
        env["MPLBACKEND"] = outer
    code = ("import os, run_benchmarks as b; "
            "print(os.environ['MPLBACKEND'], b.READER_ENV.get('MPLBACKEND'))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT / "benchmarks", env=env,
                         capture_output=True, text=True, check=True).stdout.split()
    assert out == [outer or "Agg", str(outer)]
