"""Launch buttons and the Colab set-up cell, both made from _config.yml's ``repository``.

The book is built once with a sample address set the way that most often goes
wrong (the book in a subfolder, a branch that is not ``main``, a trailing slash
in the service addresses), without executing the chapters, and the Binder,
Colab and JupyterHub links of every chapter page are checked part by part.
"""
from __future__ import annotations

import html
import re
import shutil
import subprocess
import sys
import types
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import launch_cells  # noqa: E402

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
    src = tmp_path_factory.mktemp("launch") / "book"
    src.mkdir()
    for name in ("_toc.yml", "references.bib"):
        shutil.copy(ROOT / name, src)
    (src / "_config.yml").write_text(sample_config((ROOT / "_config.yml").read_text()))
    for folder in ("_ext", "optlib", "chapters"):
        shutil.copytree(ROOT / folder, src / folder, ignore=shutil.ignore_patterns("__pycache__"))
    exe = Path(sys.executable).with_name("jupyter-book")
    proc = subprocess.run([str(exe), "build", str(src), "--warningiserror", "--nitpick",
                           "--keep-going"], capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return src / "_build" / "html"


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
