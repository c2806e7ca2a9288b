"""Execute notebooks top to bottom in a fresh kernel and store their text outputs only.

    python scripts/execute_notebooks.py chapters/02_momentum.ipynb [...]

Run it after editing a chapter: the committed notebook then holds exactly the
text outputs that nbval compares on every test run. Prints the time each took.
"""
from __future__ import annotations

import os
import sys
import time

import nbformat
from nbclient import NotebookClient

sys.path.insert(0, os.path.dirname(__file__))
from strip_notebooks import strip  # noqa: E402


def execute(path: str, timeout: int = 180) -> float:
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(nb, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": os.path.dirname(os.path.abspath(path))}}).execute()
    elapsed = time.perf_counter() - start
    nbformat.write(strip(nb), path)
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    if errors:  # raised while displaying an output, after the cell itself succeeded
        raise RuntimeError(f"{path}: an output raised {errors[0].ename}: {errors[0].evalue}")
    return elapsed


if __name__ == "__main__":
    for p in sys.argv[1:]:
        print(f"{p}: executed in {execute(p):.1f} s")
