"""The committed chapters: text outputs only, the template's structure, exercises that can fail.

nbval (``pytest --nbval chapters``) re-executes every notebook and compares its
text outputs; the book build (tests/test_book.py) renders them. This file checks
what neither does: what is stored in git, and the course's conventions of
CONTRIBUTING.md (captions, widgets with static twins, exercises, nbgrader markup).
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from assignments import hide_solutions  # noqa: E402
from strip_notebooks import heavy_kinds  # noqa: E402


def toc_files() -> list[str]:
    """The files listed in _toc.yml, in order (without suffix)."""
    return re.findall(r"(?:root|file):\s*(\S+)", (ROOT / "_toc.yml").read_text())


NOTEBOOKS = sorted((ROOT / "chapters").glob("*.ipynb"))
ALGORITHM_CHAPTER = re.compile(r"0[1-9]_")


def ids(paths):
    return [p.stem for p in paths]


def read(path):
    return nbformat.read(path, as_version=4)


def source(cell) -> str:
    return cell.source if isinstance(cell.source, str) else "".join(cell.source)


def markdown(nb) -> str:
    return "\n".join(source(c) for c in nb.cells if c.cell_type == "markdown")


def nbgrader(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def test_toc_and_chapters_agree():
    listed = toc_files()
    for name in listed:
        assert (ROOT / f"{name}.ipynb").exists() or (ROOT / f"{name}.md").exists(), \
            f"_toc.yml lists {name}, which does not exist"
    for nb in NOTEBOOKS:
        assert f"chapters/{nb.stem}" in listed, f"{nb.name} is not in _toc.yml"
    assert listed[0] == "chapters/00_introduction"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids(NOTEBOOKS))
def test_committed_with_text_outputs_only(path):
    kinds = heavy_kinds(read(path))
    assert not kinds, f"{path.name} stores {sorted(kinds)}: run `make strip` (or make notebooks)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids(NOTEBOOKS))
def test_executed_top_to_bottom_without_errors(path):
    nb = read(path)
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"
    counts = [c.execution_count for c in nb.cells if c.cell_type == "code"]
    assert all(n is not None for n in counts), f"{path.name} has unexecuted cells: run make notebooks"
    assert counts == sorted(counts), f"{path.name} was not executed top to bottom"
    for c in nb.cells:
        for out in c.get("outputs", []):
            assert out.output_type != "error", f"{path.name}: a cell raised {out.get('ename')}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids(NOTEBOOKS))
def test_figures_have_captions_and_labels(path):
    figures = [c.metadata["mystnb"]["figure"] for c in read(path).cells
               if "figure" in c.metadata.get("mystnb", {})]
    assert figures, f"{path.name} has no captioned figure"
    for fig in figures:
        assert len(fig.get("caption", "")) > 20, f"{path.name}: caption too short: {fig}"
        assert fig.get("name", "").startswith("fig-"), f"{path.name}: figure label {fig.get('name')!r}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids(NOTEBOOKS))
def test_every_widget_has_a_static_twin(path):
    cells = read(path).cells
    widget_call = re.compile(r"widgets\.explorer_(1d|2d)\(")
    for i, cell in enumerate(cells):
        if cell.cell_type != "code" or not widget_call.search(source(cell)):
            continue
        tags = set(cell.metadata.get("tags", []))
        assert {"nbval-ignore-output", "remove-output"} <= tags, \
            f"{path.name}: widget cell {i} needs tags nbval-ignore-output and remove-output"
        following = "".join(source(c) for c in cells[i + 1:i + 4] if c.cell_type == "code")
        assert re.search(r"_static\(|sweep_html\(", following), \
            f"{path.name}: widget cell {i} is not followed by its static twin"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids(NOTEBOOKS))
def test_exercises_solutions_and_autograded_checks(path):
    nb = read(path)
    text = markdown(nb)
    exercises = re.findall(r"```\{exercise\}[^\n]*\n:label: (\S+)", text)
    minimum = 3 if ALGORITHM_CHAPTER.match(path.stem) else 2
    assert len(exercises) >= minimum, f"{path.name}: {len(exercises)} exercises, want >= {minimum}"
    solutions = re.findall(r"\{solution-start\} (\S+)\n:class: dropdown", text)
    assert set(solutions) == set(exercises), f"{path.name}: exercises {exercises} vs solutions {solutions}"
    assert text.count("{solution-start}") == text.count("{solution-end}")
    solution_cells = [c for c in nb.cells if nbgrader(c).get("solution")]
    checks = [c for c in nb.cells if nbgrader(c).get("grade")]
    assert solution_cells and checks, f"{path.name} needs nbgrader solution and autograded check cells"
    for c in solution_cells:
        s = source(c)
        assert "### BEGIN SOLUTION" in s and "### END SOLUTION" in s
    for c in checks:
        assert nbgrader(c).get("points", 0) > 0 and nbgrader(c).get("locked") is True
    grade_ids = [nbgrader(c)["grade_id"] for c in nb.cells if nbgrader(c)]
    assert len(grade_ids) == len(set(grade_ids)), f"{path.name}: duplicate nbgrader grade_id"


def test_labels_are_unique_across_the_book():
    seen = {}
    for path in NOTEBOOKS:
        for label in re.findall(r":label: (\S+)|\$\$ \((\S+)\)", markdown(read(path))):
            label = label[0] or label[1]
            assert label not in seen, f"label {label} in both {seen[label]} and {path.name}"
            seen[label] = path.name


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if ALGORITHM_CHAPTER.match(p.stem)],
                         ids=ids([p for p in NOTEBOOKS if ALGORITHM_CHAPTER.match(p.stem)]))
def test_algorithm_chapter_sections(path):
    nb = read(path)
    text = markdown(nb)
    for needed in ("{prf:algorithm}", "{literalinclude} ../optlib/", "{admonition} Learning objectives",
                   "## Summary", "## References", "{cite"):
        assert needed in text, f"{path.name} lacks {needed}"
    claims = [c for c in nb.cells if c.cell_type == "code" and "assert " in source(c)
              and not nbgrader(c)]
    assert len(claims) >= 5, f"{path.name}: only {len(claims)} claim cells assert anything"


# That each autograded check fails on the handout is nbgrader's verdict: tests/test_assignments.py
# autogrades the unchanged student notebook of every chapter and expects zero points.


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids(NOTEBOOKS))
def test_student_edition_keeps_exercises_and_drops_solutions(path):
    """``make student-book`` renders this: every exercise, no solution, checks still runnable."""
    nb = read(path)
    hidden = hide_solutions(nb)
    text = markdown(hidden)
    assert "{solution-start}" not in text and "{solution-end}" not in text
    assert re.findall(r"\{exercise\}", text) == re.findall(r"\{exercise\}", markdown(nb))
    code = [c for c in hidden.cells if c.cell_type == "code"]
    assert len(code) == len([c for c in nb.cells if c.cell_type == "code"])
    assert not any("HIDDEN TESTS" in source(c) for c in code), "hidden tests would be shown"
    for c in code:
        if nbgrader(c).get("solution"):
            assert "remove-cell" in c.metadata.get("tags", []), "a solution cell would be shown"
        if nbgrader(c).get("grade"):
            assert "remove-cell" not in c.metadata.get("tags", []), "a check cell would be hidden"


def test_instructor_guide_lists_every_exercise():
    guide = (ROOT / "chapters" / "appendix_instructor_guide.md").read_text()
    listed = set(re.findall(r"\{ref\}`[^`<]*<(ex-[^>]+)>`", guide))
    for path in NOTEBOOKS:
        for label in re.findall(r"```\{exercise\}[^\n]*\n:label: (\S+)", markdown(read(path))):
            assert label in listed, f"{label} ({path.name}) is missing from the instructor guide's table"
