"""Hand out and grade the book's exercises, with or without nbgrader.

    python scripts/exercises.py student chapters/02_momentum.ipynb -o handout/02_momentum.ipynb
    python scripts/exercises.py grade submissions/alice/02_momentum.ipynb
    python scripts/exercises.py student-book      # the site without solutions, _build/student

``student`` does what ``nbgrader generate_assignment`` does to a solution cell:
the code between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` becomes
``raise NotImplementedError()``; text outputs are cleared. ``grade`` executes a
notebook in a fresh kernel (the checks are locked cells the student must not
edit; this script re-inserts the reference checks, so an edited check counts
for nothing) and prints one line per autograded check, then the total.
"""
from __future__ import annotations

import argparse
import copy
import glob
import os
import re
import shutil
import subprocess
import sys
from typing import NamedTuple

import nbformat
from nbclient import NotebookClient

SOLUTION = re.compile(r"( *)### BEGIN SOLUTION\n.*?### END SOLUTION", re.S)


def _source(cell) -> str:
    return cell.source if isinstance(cell.source, str) else "".join(cell.source)


def _meta(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def student_version(nb):
    """A copy of ``nb`` with every marked solution replaced by ``raise NotImplementedError()``."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if _meta(cell).get("solution"):
            cell.source = SOLUTION.sub(lambda m: f"{m.group(1)}raise NotImplementedError()", cell.source)
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return nb


def hide_solutions(nb):
    """A copy of ``nb`` without its solutions, for the student edition of the site.

    Markdown from a ``{solution-start}`` line to the closing fence after its
    ``{solution-end}`` is cut out; code cells in between are tagged
    ``remove-cell``, so they still run (the checks after them need their
    functions) but the page shows none of them. (sphinx-exercise's own
    ``hide_solutions`` option fails on gated solutions that contain code cells.)
    """
    nb = copy.deepcopy(nb)
    inside = False
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            if inside:
                tags = cell.metadata.setdefault("tags", [])
                if "remove-cell" not in tags:
                    tags.append("remove-cell")
            continue
        kept, lines = [], iter(_source(cell).split("\n"))
        for line in lines:
            if "{solution-start}" in line:
                inside = True
            elif "{solution-end}" in line:
                inside = False
                next(lines, None)  # the fence that closes the end marker
            elif not inside:
                kept.append(line)
        cell.source = "\n".join(kept)
    return nb


def build_student_book(root: str = ".") -> str:
    """Build the site with every solution removed into ``_build/student``; return its html path."""
    src = os.path.join(root, "_build", "student_src")
    shutil.rmtree(src, ignore_errors=True)
    os.makedirs(src)
    for name in ("_config.yml", "_toc.yml", "references.bib"):
        shutil.copy(os.path.join(root, name), src)
    for folder in ("_ext", "optlib", "chapters"):
        shutil.copytree(os.path.join(root, folder), os.path.join(src, folder),
                        ignore=shutil.ignore_patterns("__pycache__"))
    for path in glob.glob(os.path.join(src, "chapters", "*.ipynb")):
        nbformat.write(hide_solutions(nbformat.read(path, as_version=4)), path)
    out = os.path.abspath(os.path.join(root, "_build", "student"))
    exe = os.path.join(os.path.dirname(sys.executable), "jupyter-book")
    subprocess.run([exe, "build", src, "--path-output", out, "--warningiserror", "--nitpick",
                    "--keep-going"], check=True)
    return os.path.join(out, "_build", "html")


class CheckResult(NamedTuple):
    grade_id: str
    points: float
    passed: bool
    message: str


def grade(nb, path: str = ".", reference=None, timeout: int = 180) -> list[CheckResult]:
    """Execute ``nb`` and report each autograded check cell.

    If ``reference`` (the book's notebook) is given, its check cells replace the
    submission's cells with the same ``grade_id``.
    """
    nb = copy.deepcopy(nb)
    if reference is not None:
        checks = {_meta(c)["grade_id"]: c.source for c in reference.cells if _meta(c).get("grade")}
        for cell in nb.cells:
            if _meta(cell).get("grade") and _meta(cell).get("grade_id") in checks:
                cell.source = checks[_meta(cell)["grade_id"]]
    NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": path}}).execute()
    results = []
    for cell in nb.cells:
        meta = _meta(cell)
        if not meta.get("grade"):
            continue
        errors = [o for o in cell.outputs if o.output_type == "error"]
        message = f"{errors[0].ename}: {errors[0].evalue}" if errors else "passed"
        results.append(CheckResult(meta["grade_id"], float(meta.get("points", 0)), not errors, message))
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("student", help="write the student version of a chapter")
    s.add_argument("notebook")
    s.add_argument("-o", "--output", required=True)
    g = sub.add_parser("grade", help="run a submission and score its autograded checks")
    g.add_argument("notebook")
    g.add_argument("--reference", help="the book's notebook, whose locked checks are used")
    sub.add_parser("student-book", help="build the site without solutions into _build/student")
    args = parser.parse_args(argv)

    if args.command == "student-book":
        print(f"student edition in {build_student_book()}")
        return 0

    nb = nbformat.read(args.notebook, as_version=4)
    if args.command == "student":
        os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
        nbformat.write(student_version(nb), args.output)
        print(f"wrote {args.output}")
        return 0
    reference = nbformat.read(args.reference, as_version=4) if args.reference else None
    results = grade(nb, os.path.dirname(os.path.abspath(args.notebook)), reference)
    for r in results:
        print(f"{r.grade_id:45s} {r.points if r.passed else 0:4.1f} / {r.points:4.1f}  {r.message}")
    got = sum(r.points for r in results if r.passed)
    print(f"total {got:.1f} / {sum(r.points for r in results):.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
