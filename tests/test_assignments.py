"""The chapters as nbgrader assignments: nothing leaks, and nbgrader's autograder scores right.

For every chapter with exercises, ``scripts/assignments.py`` writes the
nbgrader source and runs ``nbgrader generate_assignment`` into a temporary
course folder, and the handout is checked (no solution, hidden test or
written answer in it; stubs; locked checks). Then two submissions are
autograded by nbgrader itself:

- the student notebook handed out unchanged: every autograded check fails,
  so it scores zero;
- the student notebook with the book's solution code filled back in (what a
  student who solved everything hands in): every check passes, hidden tests
  included, so it scores full points.

Autograding runs a chapter twice in a fresh kernel, so ``make test`` autogrades
the first and the last chapter and ``make test-assignments`` every one
(``OPTLIB_AUTOGRADE=all``); the GitHub workflow runs both.
"""
from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import assignments  # noqa: E402
import launch_cells  # noqa: E402
import text_kernel  # noqa: E402

CHAPTERS = assignments.chapters_with_exercises()
# nbgrader's own gradebook code trips a SQLAlchemy autoflush warning; it is not ours to fix
pytestmark = pytest.mark.filterwarnings("ignore:Object of type .* not in session:Warning")
SOLUTION = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.S)
HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.S)


def source(cell) -> str:
    return cell.source if isinstance(cell.source, str) else "".join(cell.source)


def grading(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def solution_texts(nb) -> list[str]:
    """What a student must not see: the written solutions, the solution code, the hidden tests."""
    pieces = []
    for cell in nb.cells:
        text = source(cell)
        if cell.cell_type == "markdown":
            pieces += re.findall(r"\{solution-start\}[^\n]*\n(.*?)\{solution-end\}", text, re.S)
        pieces += SOLUTION.findall(text) + HIDDEN.findall(text)
    return pieces


def outside_solutions(nb) -> str:
    """The chapter's text with every solution and hidden test cut out: a line found here too
    (a check's visible cases repeat a hidden one's call) gives nothing away."""
    parts = []
    for cell in nb.cells:
        text = HIDDEN.sub("", SOLUTION.sub("", source(cell)))
        if cell.cell_type == "markdown":
            text = re.sub(r"\{solution-start\}.*?\{solution-end\}", "", text, flags=re.S)
        parts.append(text)
    return "\n".join(parts)


def significant_lines(text: str) -> list[str]:
    """Lines long and particular enough that finding one in a handout means a leak."""
    lines = [line.strip() for line in text.splitlines()]
    return [line for line in lines
            if len(line) >= 30 and not line.startswith(("```", ":class:", "#", "import "))]


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    return tmp_path_factory.mktemp("course")


def test_every_chapter_has_at_least_two_autograded_exercises_with_hidden_tests():
    assert len(CHAPTERS) >= 4
    for path in CHAPTERS:
        checks = [c for c in nbformat.read(path, as_version=4).cells if grading(c).get("grade")
                  and c.cell_type == "code"]
        assert len(checks) >= 2, f"{path.name}: {len(checks)} autograded checks, want >= 2"
        for c in checks:
            assert HIDDEN.search(source(c)), \
                f"{path.name}: check {grading(c)['grade_id']} has no hidden tests"


def autograded_chapters() -> list[Path]:
    """Which chapters nbgrader autogrades here: each costs two runs of the whole chapter, so
    `make test` takes the first and the last (OPTLIB_AUTOGRADE unset) and `make
    test-assignments` all of them (OPTLIB_AUTOGRADE=all; or a comma list of NN_name)."""
    chosen = os.environ.get("OPTLIB_AUTOGRADE", "").strip()
    if chosen == "all":
        return CHAPTERS
    if chosen:
        names = {n.strip() for n in chosen.split(",")}
        unknown = names - {p.stem for p in CHAPTERS}
        assert not unknown, f"OPTLIB_AUTOGRADE names no chapter with exercises: {unknown}"
        return [p for p in CHAPTERS if p.stem in names]
    return [CHAPTERS[0], CHAPTERS[-1]]


AUTOGRADED = autograded_chapters()


def handout_of(path, course, released=None):
    """nbgrader's student notebook of a chapter, checked: no solution, stubs, locked checks.

    ``released``: the handouts already generated ({name: path}); else generated into course."""
    book = nbformat.read(path, as_version=4)
    name = path.stem
    handout_path = (released or assignments.generate(course, [path]))[name]
    handout = nbformat.read(handout_path, as_version=4)
    text = "\n".join(source(c) for c in handout.cells)
    assert "{solution-start}" not in text and "BEGIN SOLUTION" not in text
    assert "HIDDEN TESTS" not in text
    public = outside_solutions(book)
    for piece in solution_texts(book):
        for line in significant_lines(piece):
            if line not in public:
                assert line not in text, f"{name}: the handout shows a solution line: {line!r}"
    stubs = [c for c in handout.cells if grading(c).get("solution") and c.cell_type == "code"]
    assert stubs and all("raise NotImplementedError()" in source(c) for c in stubs)
    checks = [c for c in handout.cells if grading(c).get("grade") and c.cell_type == "code"]
    assert checks and all(grading(c).get("locked") for c in checks)
    return book, handout_path, checks


@pytest.fixture(scope="module")
def released(course):
    """Every chapter's handout, from one nbgrader course (one start-up of nbgrader, not 12)."""
    return assignments.generate(course, CHAPTERS)


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_nbgrader_s_handout_shows_no_solution_and_locks_the_checks(path, course, released):
    handout_of(path, course, released)


@pytest.mark.parametrize("path", AUTOGRADED, ids=[p.stem for p in AUTOGRADED])
def test_nbgrader_scores_a_blank_handout_zero_and_a_solved_one_full(path, tmp_path, monkeypatch):
    name = path.stem
    # the graders' kernels draw no figure (scores do not depend on them): half the time
    monkeypatch.setenv("IPYTHONDIR", str(text_kernel.write(tmp_path / "ipython")))
    book, handout_path, checks = handout_of(path, tmp_path)

    # a solved handout: the book's solution code back in the stubs
    solved = nbformat.read(handout_path, as_version=4)
    book_solutions = {grading(c)["grade_id"]: source(c) for c in book.cells
                      if grading(c).get("solution") and c.cell_type == "code"}
    for cell in solved.cells:
        if grading(cell).get("solution") and cell.cell_type == "code":
            cell.source = book_solutions[grading(cell)["grade_id"]]
    solved_path = tmp_path / "solved.ipynb"
    nbformat.write(solved, solved_path)
    assignments.submit(tmp_path, "solved", name, solved_path)
    assignments.submit(tmp_path, "blank", name, handout_path)

    rows = {r["student"]: r for r in assignments.autograde(tmp_path)}
    full = sum(float(grading(c)["points"]) for c in checks)
    assert rows["solved"]["max_code"] == full > 0
    assert rows["solved"]["code"] == full, f"{name}: a solved handout scores {rows['solved']}"
    assert rows["blank"]["code"] == 0, f"{name}: an unsolved handout scores {rows['blank']}"
    table = assignments.format_scores(rows.values())
    assert name in table and f"{full:g}" in table


def test_strip_book_solutions_puts_answer_cells_where_written_solutions_were():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("```{exercise} Derive\n:label: ex-a\nDo it.\n```\n\n"
                                      "````{solution-start} ex-a\n:class: dropdown\n````\n"
                                      "The secret derivation.\n\n````{solution-end}\n````\n\n"
                                      "Text after."),
        nbformat.v4.new_markdown_cell("```{exercise} Write\n:label: ex-b\n```\n\n"
                                      "````{solution-start} ex-b\n:class: dropdown\n````\n"
                                      "Hint of the solution."),
        nbformat.v4.new_code_cell("def f():\n    ### BEGIN SOLUTION\n    return 1\n"
                                  "    ### END SOLUTION"),
        nbformat.v4.new_code_cell("answer_of_the_experiment = 42"),
        nbformat.v4.new_markdown_cell("````{solution-end}\n````"),
    ]
    nb.cells[2].metadata["nbgrader"] = {"solution": True, "grade": False, "grade_id": "ex-b-sol",
                                        "locked": False, "schema_version": 3}
    out = assignments.strip_book_solutions(nb)
    texts = [source(c) for c in out.cells]
    assert not any("secret" in t or "Hint" in t or "answer_of" in t for t in texts)
    assert [grading(c).get("grade_id") for c in out.cells] == [None, "ex-a-answer", None, None,
                                                                "ex-b-sol"]
    assert texts[2] == "Text after." and "Derive" in texts[0] and "Write" in texts[3]
    answer = grading(out.cells[1])
    assert answer["grade"] and answer["solution"] and answer["points"] > 0


def test_the_guide_s_reading_times_are_computed_from_the_chapters():
    """The instructor guide's minutes: prose outside the solutions at 200 words a minute, +-5."""
    guide = (ROOT / "chapters" / "appendix_instructor_guide.md").read_text()
    listed = dict(re.findall(r"(?m)^\| \{doc\}`(\d\d_\w+)` \| [^|]+ \| (\d+) \|$", guide))
    toc = [p.stem for p in launch_cells.chapters()]
    assert set(listed) == set(toc), f"chapters without a reading time: {set(toc) ^ set(listed)}"
    for name, minutes in listed.items():
        nb = nbformat.read(ROOT / "chapters" / f"{name}.ipynb", as_version=4)
        prose = "\n".join(source(c) for c in nb.cells if c.cell_type == "markdown")
        prose = re.sub(r"\{solution-start\}.*?\{solution-end\}", " ", prose, flags=re.S)
        computed = len(re.findall(r"[A-Za-z]+", prose)) / 200
        assert abs(computed - int(minutes)) <= 5, f"{name}: {minutes} min listed, {computed:.0f} computed"
