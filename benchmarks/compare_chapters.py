"""Each chapter's time with the optlib of an older commit and with this tree's, side by side.

    .venv/bin/python benchmarks/compare_chapters.py b21bf7a [chapters/02_momentum.ipynb ...]

The same machine runs the same chapter 5-15 % slower from one quarter of an hour to the
next (benchmarks/RESULTS.md), so two bench runs minutes apart do not tell a 10 % change.
Here each chapter (this tree's notebook) runs in a fresh kernel twice, once with optlib
from a worktree of the older commit on PYTHONPATH and once with this tree's, the order
alternating from chapter to chapter; a cell at the end checks which optlib the kernel
imported (the bench's run_chapter, which also fails a chapter that drew no figure).
Prints one line per chapter and the totals.
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from run_benchmarks import ROOT, run_chapter     # the bench's run: figures drawn, checked
from launch_cells import chapters as toc_chapters   # on sys.path from run_benchmarks


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    rev, chapters = argv[0], [Path(p).resolve() for p in argv[1:]]
    chapters = chapters or toc_chapters(ROOT)
    with tempfile.TemporaryDirectory() as tmp:
        old = Path(tmp, "old")
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(old), rev],
                       check=True)
        try:
            totals = {old: 0.0, ROOT: 0.0}
            print(f"{'chapter':28s} {rev:>10s} {'this tree':>10s}")
            for k, path in enumerate(chapters):
                order = (old, ROOT) if k % 2 == 0 else (ROOT, old)
                times = {tree: run_chapter(path, optlib_from=tree)[0] for tree in order}
                for tree, seconds in times.items():
                    totals[tree] += seconds
                print(f"{path.stem:28s} {times[old]:9.1f}s {times[ROOT]:9.1f}s", flush=True)
            print(f"{'all':28s} {totals[old]:9.1f}s {totals[ROOT]:9.1f}s")
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(old)],
                           check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
