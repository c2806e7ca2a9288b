"""The book's exercises as nbgrader assignments: generate, autograde, score.

    python scripts/assignments.py generate [--course DIR] [chapters/NN_name.ipynb ...]
    python scripts/assignments.py autograde SUBMISSIONS [--course DIR]
    python scripts/assignments.py scores [--course DIR]
    python scripts/assignments.py student-book          # the site without solutions

(``make assignments``, ``make autograde SUBMISSIONS=...`` and ``make
student-book`` call these.) The grading itself is nbgrader's: ``generate``
runs ``nbgrader generate_assignment`` (each marked solution becomes
``raise NotImplementedError()``, hidden tests are removed, check cells are
locked and carry their points) and ``autograde`` runs ``nbgrader autograde``
(the locked checks and hidden tests are put back from the source before the
submission runs, so an edited check earns nothing).

This module does only what nbgrader cannot:

- the chapters' written solutions live in sphinx-exercise dropdowns
  (``{solution-start}`` ... ``{solution-end}``) in ordinary Markdown cells,
  which nbgrader does not know; :func:`strip_book_solutions` cuts them out of
  the copy nbgrader gets, drops the code cells that belong only to a solution
  (the experiment's answer), and puts a manually graded answer cell in their
  place (graded in ``nbgrader formgrader``);
- :func:`hide_solutions` and :func:`build_student_book` build the student
  edition of the website (sphinx-exercise's own ``hide_solutions`` fails on
  solutions that contain code cells).

Course folder (default ``_build/course``, outside git): ``source/NN_name/``,
``release/NN_name/`` (the student notebooks), ``submitted/<student>/NN_name/``,
``autograded/``, ``gradebook.db`` and ``nbgrader_config.py``.
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
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_COURSE = ROOT / "_build" / "course"
COURSE_ID = "neural-network-optimizers"
#: Points of a manually graded answer cell (a derivation or an experiment).
WRITTEN_POINTS = 2

CONFIG = """\
# nbgrader's configuration for the course folder (written by scripts/assignments.py)
c = get_config()
c.CourseDirectory.root = {root!r}
c.CourseDirectory.course_id = {course!r}
c.ExecutePreprocessor.timeout = 600     # a chapter runs in seconds; a slow hub gets room
c.ClearSolutions.code_stub = {{"python": "# YOUR CODE HERE\\nraise NotImplementedError()"}}
"""


#: nbgrader's hidden tests in a check cell, with the indentation before the markers.
HIDDEN_TESTS = re.compile(r"[ \t]*### BEGIN HIDDEN TESTS\n.*?### END HIDDEN TESTS[ \t]*\n?", re.S)


def _source(cell) -> str:
    return cell.source if isinstance(cell.source, str) else "".join(cell.source)


def _grading(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def _exercise_labels(text: str) -> list[str]:
    return re.findall(r"\{solution-start\}\s+(\S+)", text)


def _answer_cell(label: str):
    cell = nbformat.v4.new_markdown_cell("YOUR ANSWER HERE")
    cell.metadata["nbgrader"] = {"grade": True, "solution": True, "locked": False,
                                 "points": WRITTEN_POINTS, "grade_id": f"{label}-answer",
                                 "schema_version": 3}
    return cell


def strip_book_solutions(nb):
    """The copy of a chapter nbgrader gets: no written solution, no solution-only code.

    Markdown from a ``{solution-start}`` line to the fence closing its
    ``{solution-end}`` is cut. Inside a solution, an nbgrader solution cell
    (the function the student writes) is kept, for nbgrader to replace by a
    stub; any other code cell (an experiment's answer) is dropped. An exercise
    whose solution holds no nbgrader solution cell (a derivation, an
    experiment) gets a manually graded answer cell where the solution was.
    """
    nb = copy.deepcopy(nb)
    cells, inside, label, has_code_solution = [], False, None, False

    def flush(lines, template):
        text = "\n".join(lines).strip("\n")
        if text.strip():
            piece = copy.deepcopy(template)
            piece.source = text
            cells.append(piece)

    for cell in nb.cells:
        if cell.cell_type != "markdown":
            if not inside:
                cells.append(cell)
            elif _grading(cell).get("solution"):
                has_code_solution = True
                cells.append(cell)
            continue
        kept, lines = [], iter(_source(cell).split("\n"))
        for line in lines:
            if "{solution-start}" in line:
                inside, has_code_solution = True, False
                label = _exercise_labels(line)[0]
            elif "{solution-end}" in line:
                inside = False
                next(lines, None)           # the fence closing the end marker
                if not has_code_solution:
                    flush(kept, cell)
                    kept = []
                    cells.append(_answer_cell(label))
            elif not inside:
                kept.append(line)
        flush(kept, cell)
    nb.cells = cells
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return nb


def hide_solutions(nb):
    """A copy of ``nb`` without its solutions, for the student edition of the site.

    Markdown from a ``{solution-start}`` line to the closing fence after its
    ``{solution-end}`` is cut out; code cells in between are tagged
    ``remove-cell``, so they still run (the checks after them need their
    functions) but the page shows none of them. The checks lose their hidden
    tests (``### BEGIN HIDDEN TESTS`` ... ``### END HIDDEN TESTS``), as in
    nbgrader's release.
    """
    nb = copy.deepcopy(nb)
    inside = False
    for cell in nb.cells:
        if cell.cell_type == "code" and "### BEGIN HIDDEN TESTS" in _source(cell):
            cell.source = HIDDEN_TESTS.sub("", _source(cell))
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


def build_student_book(root: Path = ROOT, out: Path | None = None, execute: bool = True,
                       config=None) -> Path:
    """Build the site with every solution removed into ``out`` (default ``_build/student``);
    return its html folder.

    ``execute=False`` renders the committed text outputs without running the
    chapters (no figures): the tests use it to check, in a minute, that no
    solution reaches a page. ``config``, a function of ``_config.yml``'s text,
    edits the copy the build reads (the tests give it a sample repository).
    """
    out = Path(out or root / "_build" / "student").resolve()
    src = out.parent / (out.name + "_src")
    shutil.rmtree(src, ignore_errors=True)
    src.mkdir(parents=True)
    for name in ("_config.yml", "_toc.yml", "references.bib"):
        shutil.copy(root / name, src)
    if not execute:
        text = (src / "_config.yml").read_text()
        assert "execute_notebooks: cache" in text
        (src / "_config.yml").write_text(text.replace("execute_notebooks: cache",
                                                      "execute_notebooks: \"off\""))
    if config is not None:
        (src / "_config.yml").write_text(config((src / "_config.yml").read_text()))
    for folder in ("_ext", "optlib", "chapters"):
        shutil.copytree(root / folder, src / folder, ignore=shutil.ignore_patterns("__pycache__"))
    for path in glob.glob(str(src / "chapters" / "*.ipynb")):
        nbformat.write(hide_solutions(nbformat.read(path, as_version=4)), path)
    exe = Path(sys.executable).with_name("jupyter-book")
    subprocess.run([str(exe), "build", str(src), "--path-output", str(out), "--warningiserror",
                    "--nitpick", "--keep-going"], check=True)
    return out / "_build" / "html"


# --------------------------------------------------------------------------
# nbgrader
# --------------------------------------------------------------------------

def _api(course: Path):
    """nbgrader's Python API on the course folder, configured as ``nbgrader_config.py`` says."""
    from nbgrader.apps import NbGraderAPI
    from traitlets.config import Config
    bindir = str(Path(sys.executable).parent)         # nbgrader runs alembic from PATH
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")
    config = Config()
    config.CourseDirectory.root = str(course)
    config.CourseDirectory.course_id = COURSE_ID
    config.ExecutePreprocessor.timeout = 600
    config.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
    return NbGraderAPI(config=config)


def _check(result: dict, what: str) -> None:
    if not result.get("success"):
        raise RuntimeError(f"nbgrader {what} failed:\n{result.get('error', '')}"
                           f"\n{result.get('log', '')[-3000:]}")


def _course(course) -> Path:
    course = Path(course).resolve()
    course.mkdir(parents=True, exist_ok=True)
    (course / "nbgrader_config.py").write_text(CONFIG.format(root=str(course), course=COURSE_ID))
    return course


def chapters_with_exercises() -> list[Path]:
    """The book's chapters (in _toc.yml) that have autograded exercises."""
    from launch_cells import chapters
    return [p for p in chapters(ROOT) if p.exists()
            and any(_grading(c).get("grade") for c in nbformat.read(p, as_version=4).cells)]


def generate(course=DEFAULT_COURSE, notebooks=None) -> dict[str, Path]:
    """Write source/ and run ``nbgrader generate_assignment``; return {assignment: student notebook}."""
    course = _course(course)
    released = {}
    for path in map(Path, notebooks or chapters_with_exercises()):
        name = path.stem
        folder = course / "source" / name
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        nbformat.write(strip_book_solutions(nbformat.read(path, as_version=4)),
                       folder / path.name)
        _check(_api(course).generate_assignment(name, force=True, create=True),
               f"generate_assignment {name}")
        released[name] = course / "release" / name / path.name
    return released


def submit(course, student: str, assignment: str, notebook_path) -> Path:
    """Put a student's notebook where nbgrader collects it (``submitted/<student>/<assignment>/``)."""
    folder = Path(course) / "submitted" / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{assignment}.ipynb"
    shutil.copy(notebook_path, target)
    return target


def autograde(course=DEFAULT_COURSE, submissions=None) -> list[dict]:
    """Collect ``submissions`` (``<student>/NN_name.ipynb`` or ``<student>/NN_name/NN_name.ipynb``),
    run ``nbgrader autograde`` on every assignment that has one, and return the score table."""
    course = _course(course)
    if submissions is not None:
        for path in sorted(Path(submissions).resolve().glob("*/**/*.ipynb")):
            if ".ipynb_checkpoints" in path.parts:
                continue
            student = path.relative_to(Path(submissions).resolve()).parts[0]
            submit(course, student, path.stem, path)
    api = _api(course)
    for folder in sorted(p for p in (course / "submitted").glob("*/*") if p.is_dir()):
        student, name = folder.parent.name, folder.name
        if not (course / "source" / name).exists():
            raise ValueError(f"no assignment {name!r} in {course}/source: run generate first")
        _check(api.autograde(name, student, force=True, create=True),
               f"autograde {name} for {student}")
    return scores(course)


def scores(course=DEFAULT_COURSE) -> list[dict]:
    """One row per submission: autograded points, their maximum, and the written part to grade."""
    from nbgrader.api import Gradebook
    rows = []
    with Gradebook(f"sqlite:///{Path(course).resolve() / 'gradebook.db'}") as gb:
        for assignment in gb.assignments:
            for sub in assignment.submissions:
                nb = sub.notebooks[0]
                rows.append({"student": sub.student.id, "assignment": assignment.name,
                             "code": nb.code_score, "max_code": nb.max_code_score,
                             "written": nb.written_score, "max_written": nb.max_written_score,
                             "needs_manual_grade": nb.needs_manual_grade})
    return sorted(rows, key=lambda r: (r["assignment"], r["student"]))


def format_scores(rows) -> str:
    lines = [f"{'assignment':22s} {'student':16s} {'autograded':>12s} {'written (by hand)':>18s}"]
    for r in rows:
        written = f"{r['written']:g} / {r['max_written']:g}" + (" pending" if r["needs_manual_grade"] else "")
        lines.append(f"{r['assignment']:22s} {r['student']:16s} "
                     f"{r['code']:>5g} / {r['max_code']:<4g} {written:>18s}")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    g = sub.add_parser("generate", help="the student notebooks, into COURSE/release")
    g.add_argument("notebooks", nargs="*")
    g.add_argument("--course", default=str(DEFAULT_COURSE))
    a = sub.add_parser("autograde", help="grade a folder of submissions, print the scores")
    a.add_argument("submissions")
    a.add_argument("--course", default=str(DEFAULT_COURSE))
    s = sub.add_parser("scores", help="print the score table of the gradebook")
    s.add_argument("--course", default=str(DEFAULT_COURSE))
    sub.add_parser("student-book", help="build the site without solutions into _build/student")
    args = parser.parse_args(argv)
    if args.command == "student-book":
        print(f"student edition in {build_student_book()}")
    elif args.command == "generate":
        released = generate(args.course, args.notebooks or None)
        for name, path in released.items():
            print(f"{name:22s} {path}")
        print(f"{len(released)} assignments; hand out the notebooks under {Path(args.course) / 'release'}")
    elif args.command == "autograde":
        print(format_scores(autograde(args.course, args.submissions)))
    else:
        print(format_scores(scores(args.course)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
