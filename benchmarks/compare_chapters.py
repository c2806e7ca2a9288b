"""Each chapter's time with the optlib of an older commit and with this tree's, side by side.

    .venv/bin/python benchmarks/compare_chapters.py b21bf7a [chapters/02_momentum.ipynb ...]

The same machine runs the same chapter 5-15 % slower from one quarter of an hour to the
next (benchmarks/RESULTS.md), so two bench runs minutes apart do not tell a 10 % change.
Here each chapter (this tree's notebook) runs in a fresh kernel twice, once with optlib
from a worktree of the older commit on PYTHONPATH and once with this tree's, the order
alternating from chapter to chapter; a cell at the end checks which optlib the kernel
imported. Prints one line per chapter and the totals.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]


def run_chapter(path: Path, pythonpath: str) -> tuple[float, str]:
    nb = nbformat.read(str(path), as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("import optlib; print(optlib.__file__)"))
    os.environ["PYTHONPATH"] = pythonpath          # the kernel inherits it
    start = time.perf_counter()
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    return time.perf_counter() - start, nb.cells[-1].outputs[0]["text"].strip()


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    rev, chapters = argv[0], [Path(p).resolve() for p in argv[1:]]
    chapters = chapters or sorted((ROOT / "chapters").glob("[0-9]*.ipynb"))
    with tempfile.TemporaryDirectory() as tmp:
        old = Path(tmp, "old")
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(old), rev],
                       check=True)
        try:
            totals = {"old": 0.0, "new": 0.0}
            print(f"{'chapter':28s} {rev:>10s} {'this tree':>10s}")
            for k, path in enumerate(chapters):
                order = ("old", "new") if k % 2 == 0 else ("new", "old")
                times = {}
                for which in order:
                    seconds, imported = run_chapter(path, str(old) if which == "old" else "")
                    expected = old if which == "old" else ROOT
                    if not imported.startswith(str(expected)):
                        raise SystemExit(f"{path.name}: the kernel imported {imported}, "
                                         f"not the optlib under {expected}")
                    times[which] = seconds
                    totals[which] += seconds
                print(f"{path.stem:28s} {times['old']:9.1f}s {times['new']:9.1f}s", flush=True)
            print(f"{'all':28s} {totals['old']:9.1f}s {totals['new']:9.1f}s")
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(old)],
                           check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
