"""Launch buttons, the student edition and the Colab set-up cell.

The student edition (every solution removed, ``make student-book``) is built
once, without executing the chapters, with a sample repository address set the
way that most often goes wrong (the book in a subfolder, a branch that is not
``main``, a trailing slash in the service addresses): the Binder, Colab and
JupyterHub links of every chapter page are checked part by part, and every
exercise is on its page with no solution. The launch buttons and the Colab
cell are both made from _config.yml's ``repository``.
"""
from __future__ import annotations

import html
import re
import sys
import types
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import assignments  # noqa: E402
import launch_cells  # noqa: E402
from test_assignments import HIDDEN, grading, solution_texts, source  # noqa: E402

SAMPLE = {"url": "https://github.com/example-org/nn-optimizers", "branch": "course-2027",
          "path_to_book": "docs/book"}
CHAPTERS = launch_cells.chapters()


def sample_config(text: str) -> str:
    """_config.yml with the sample repository, and services written with a trailing slash."""
    for key, value in SAMPLE.items():
        text, n = re.subn(rf"(?m)^(  {key}:) [^#\n]*?(\s*(#.*)?)$", rf'\1 "{value}"\2', text)
        assert n == 1, key
    for key, value in (("binderhub_url", "https://mybinder.org/"),
                       ("colab_url", "https://colab.research.google.com/"),
                       ("jupyterhub_url", "https://hub.example.edu/")):
        text, n = re.subn(rf"(?m)^(  {key}:) [^#\n]*?(\s*(#.*)?)$", rf'\1 "{value}"\2', text)
        assert n == 1, key
    return text.replace("execute_notebooks: cache", 'execute_notebooks: "off"')


@pytest.fixture(scope="module")
def sample_site(tmp_path_factory):
    """The student edition (scripts/assignments.py), as a course publishes it, with the
    sample repository: one build for the launch links and the hidden solutions."""
    out = tmp_path_factory.mktemp("launch") / "student"
    return assignments.build_student_book(out=out, execute=False, config=sample_config)


def links(page_html: str) -> list[str]:
    return [html.unescape(h) for h in re.findall(r'href="([^"]+)"', page_html)]


def launch_links(page_html: str) -> dict[str, str]:
    found = {}
    for link in links(page_html):
        host = urlsplit(link).netloc
        for service, name in (("mybinder.org", "binder"), ("colab.research.google.com", "colab"),
                              ("hub.example.edu", "jupyterhub")):
            if host == service:
                found[name] = link
    return found


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_every_chapter_has_launch_links_to_its_own_notebook(sample_site, path):
    page = (sample_site / "chapters" / f"{path.stem}.html").read_text()
    found = launch_links(page)
    assert set(found) == {"binder", "colab", "jupyterhub"}, f"{path.stem}: {sorted(found)}"
    in_repo = f"docs/book/chapters/{path.name}"
    binder = urlsplit(found["binder"])
    assert binder.path == "/v2/gh/example-org/nn-optimizers/course-2027", found["binder"]
    assert parse_qs(binder.query) == {"urlpath": [f"lab/tree/{in_repo}"]}
    colab = urlsplit(found["colab"])
    assert colab.path == f"/github/example-org/nn-optimizers/blob/course-2027/{in_repo}"
    hub = urlsplit(found["jupyterhub"])
    assert hub.path == "/hub/user-redirect/git-pull", found["jupyterhub"]
    assert parse_qs(hub.query) == {"repo": [SAMPLE["url"]], "branch": ["course-2027"],
                                   "urlpath": [f"lab/tree/nn-optimizers/{in_repo}"]}
    for link in found.values():
        assert "//" not in urlsplit(link).path, f"a doubled slash in {link}"


def test_an_unpublished_book_gets_no_launch_buttons_rather_than_a_failed_build():
    """With repository.url empty (the committed _config.yml until the book is published) the
    theme would fail on a page; _ext/book_assets.py drops the buttons instead."""
    sys.path.insert(0, str(ROOT / "_ext"))
    import book_assets
    services = {"binderhub_url": "https://mybinder.org", "colab_url": "https://colab"}
    for url, kept in (("", {}), ("https://github.com/example-org/nn-optimizers", services)):
        config = types.SimpleNamespace(html_theme_options={"repository_url": url,
                                                           "launch_buttons": dict(services)})
        book_assets.launch_buttons_need_a_repository(None, config)
        assert config.html_theme_options["launch_buttons"] == kept


# --------------------------------------------------------------------------
# The student edition of the website (make student-book), same build
# --------------------------------------------------------------------------

OPTLIB_SOURCE = " ".join(" ".join(p.read_text().split()) for p in (ROOT / "optlib").glob("*.py"))
PLAIN = re.compile(r"^[A-Za-z0-9 ,.;:'()\-]+$")


def page_text(html: str) -> str:
    """The words of a page: tags dropped, entities decoded, whitespace collapsed."""
    import html as html_lib
    text = re.sub(r"<script\b.*?</script>|<style\b.*?</style>", " ", html, flags=re.S)
    text = re.sub(r"</?(p|div|li|ol|ul|pre|br|h[1-6]|td|th|tr|table|section|dt|dd)\b[^>]*>", " ",
                  text)
    text = html_lib.unescape(re.sub(r"<[^>]+>", "", text))
    # undo Sphinx's smart quotes and dashes, so lines of the notebook match
    text = text.translate(str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"',
                                         "\u201d": '"', "\u2013": "--", "\u2014": "---"}))
    return " ".join(text.split())


def words(line: str) -> str:
    """A line as a page shows it: list markers (rendered as bullets or numbers) dropped."""
    return " ".join(re.sub(r"^\s*(\d+\.|[-*+])\s+", "", line).split())


def findable(lines):
    """Lines a page shows word for word: plain prose (no maths, markup or code spans) or code."""
    return [w for w in map(words, lines) if len(w) >= 30]


def test_student_book_shows_every_exercise_and_no_solution(sample_site):
    html_dir = sample_site
    for path in assignments.chapters_with_exercises():
        book = nbformat.read(path, as_version=4)
        text = page_text((html_dir / "chapters" / f"{path.stem}.html").read_text())
        # what must be there, found by the same extraction (so a miss below means absent)
        shown = [line for c in book.cells if c.cell_type == "markdown"
                 for stmt in re.findall(r"```\{exercise\}[^\n]*\n:label: \S+\n(.*?)```",
                                        source(c), re.S)
                 for line in stmt.splitlines() if PLAIN.match(line.strip())]
        checks = [line for c in book.cells if grading(c).get("grade") and c.cell_type == "code"
                  for line in HIDDEN.sub("", source(c)).splitlines()]
        for line in findable(shown)[:5] + findable(checks)[:5]:
            assert line in text, f"{path.stem}: the student page lacks {line!r}"
        assert findable(shown) and findable(checks)
        # what must not: written solutions in prose, solution code, hidden tests
        student = assignments.hide_solutions(book)
        visible = " ".join(words(line) for c in student.cells
                           if "remove-cell" not in c.metadata.get("tags", [])
                           for line in source(c).splitlines())
        hidden = [line for piece in solution_texts(book) for line in piece.splitlines()
                  if PLAIN.match(line.strip()) or line.startswith(" ")]
        for line in findable(line for line in hidden if not line.strip().startswith("#")):
            if line in OPTLIB_SOURCE or line in visible:
                continue        # also in optlib's source, which chapters show, or in the handout
            assert line not in text, f"{path.stem}: the student page shows a solution: {line!r}"


# --------------------------------------------------------------------------
# The Colab set-up cell
# --------------------------------------------------------------------------

class FakeIPython:
    def __init__(self):
        self.calls = []

    def run_line_magic(self, name, line):
        self.calls.append((name, line))


def run_cell(source: str, on_colab: bool, monkeypatch) -> FakeIPython:
    shell = FakeIPython()
    if on_colab:
        monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    else:
        monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    exec(compile(source, "<colab set-up>", "exec"), {"get_ipython": lambda: shell})
    return shell


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_every_chapter_starts_with_the_current_colab_cell(path):
    nb = nbformat.read(path, as_version=4)
    assert nb.cells[1].cell_type == "code", f"{path.name}: cell 1 is not the set-up cell"
    assert nb.cells[1].source == launch_cells.cell_source(launch_cells.repository()), \
        f"{path.name}: the Colab cell does not match _config.yml: run make launch-cells"
    assert nb.cells[1].metadata.get("tags") == ["remove-cell"]
    assert not nb.cells[1].get("outputs")


def test_the_colab_cell_does_nothing_off_colab(monkeypatch):
    for repo in (launch_cells.repository(), SAMPLE):
        shell = run_cell(launch_cells.cell_source(repo), on_colab=False, monkeypatch=monkeypatch)
        assert shell.calls == []


def test_the_colab_cell_installs_optlib_at_the_configured_ref_on_colab(monkeypatch):
    shell = run_cell(launch_cells.cell_source(SAMPLE), on_colab=True, monkeypatch=monkeypatch)
    assert shell.calls == [("pip", "install --quiet 'optlib @ git+https://github.com/example-org/"
                                   "nn-optimizers@course-2027#subdirectory=docs/book'")]
    at_root = dict(SAMPLE, path_to_book="", branch="v1.0")
    shell = run_cell(launch_cells.cell_source(at_root), on_colab=True, monkeypatch=monkeypatch)
    assert shell.calls == [("pip", "install --quiet 'optlib @ git+https://github.com/example-org/"
                                   "nn-optimizers@v1.0'")]


def test_without_an_address_the_colab_cell_says_what_to_do(monkeypatch):
    unpublished = dict(SAMPLE, url="")
    with pytest.raises(ModuleNotFoundError, match="repository.url in _config.yml"):
        run_cell(launch_cells.cell_source(unpublished), on_colab=True, monkeypatch=monkeypatch)


def test_a_malformed_address_is_refused(tmp_path):
    config = tmp_path / "_config.yml"
    config.write_text('repository:\n  url: "github.com/example-org"\n')
    with pytest.raises(ValueError, match="repository.url"):
        launch_cells.repository(config)
