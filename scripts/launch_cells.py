"""Write the Colab set-up cell of every chapter from _config.yml's ``repository``.

    python scripts/launch_cells.py            # rewrite the cell in every chapter of _toc.yml
    python scripts/launch_cells.py --check    # exit 1 if a chapter's cell is out of date

(``make launch-cells``.) Colab opens a single notebook, without the rest of the
repository, so ``import optlib`` fails there. Every chapter therefore starts
(right after its title) with a hidden cell that installs optlib from the book's
repository, at the branch or tag ``repository.branch`` names, when the kernel
is Colab's, and does nothing anywhere else (Binder, a JupyterHub, a clone, the
book's build, nbval). The address is set once, in _config.yml; this script
copies it into the cells, and tests/test_launch.py fails when a cell and the
configuration disagree.
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
MARKER = "# Colab set-up (written by scripts/launch_cells.py from _config.yml: do not edit)"
TAGS = ["remove-cell"]


def repository(config_path: Path = ROOT / "_config.yml") -> dict:
    """``url``, ``branch`` and ``path_to_book`` of _config.yml's ``repository``."""
    repo = (yaml.safe_load(Path(config_path).read_text()) or {}).get("repository") or {}
    url = str(repo.get("url") or "").strip().rstrip("/")
    if url.endswith(".git"):
        url = url[:-4]
    if url and not re.match(r"https://[^/\s]+/[^/\s]+/[^/\s]+$", url):
        raise ValueError(f"repository.url must look like https://github.com/<owner>/<repo>, "
                         f"got {url!r}")
    branch = str(repo.get("branch") or "main").strip()
    path = str(repo.get("path_to_book") or "").strip().strip("/")
    return {"url": url, "branch": branch, "path_to_book": path}


def pip_requirement(repo: dict) -> str:
    """What Colab's ``pip install`` gets: optlib from git, at the configured branch or tag."""
    req = f"optlib @ git+{repo['url']}@{repo['branch']}"
    if repo["path_to_book"]:
        req += f"#subdirectory={repo['path_to_book']}"
    return req


def cell_source(repo: dict) -> str:
    lines = [MARKER,
             "# Colab opens this notebook alone: install the book's package, optlib, there.",
             "# Anywhere else (Binder, a JupyterHub, your clone) this cell does nothing.",
             "import sys",
             "",
             'if "google.colab" in sys.modules:']
    if repo["url"]:
        lines += [f"    requirement = {pip_requirement(repo)!r}",
                  '    get_ipython().run_line_magic("pip", f"install --quiet {requirement!r}")']
    else:
        lines += ["    raise ModuleNotFoundError(",
                  "        \"this copy of the book names no repository to install optlib from \"",
                  "        \"(repository.url in _config.yml): run '%pip install <the book's \"",
                  "        \"repository address>' in a cell, then run this notebook again\")"]
    return "\n".join(lines)


def chapters(root: Path = ROOT) -> list[Path]:
    """The chapter notebooks of ``root``'s _toc.yml, in its order (the appendices are pages)."""
    toc = re.findall(r"(?:root|file):\s*chapters/(\d\d_\w+)", (root / "_toc.yml").read_text())
    return [root / "chapters" / f"{name}.ipynb" for name in toc]


def setup_cell(nb):
    """The chapter's set-up cell, or None."""
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.source.startswith(MARKER):
            return cell
    return None


def write(path: Path, source: str) -> bool:
    """Put ``source`` in the chapter's set-up cell (inserted after the title); True if changed."""
    text = path.read_text()
    nb = nbformat.reads(text, as_version=4)
    cell = setup_cell(nb)
    if cell is not None and cell.source == source and cell.metadata.get("tags") == TAGS:
        return False
    if cell is None:
        cell = nbformat.v4.new_code_cell(source)
        if "id" not in nb.cells[0]:
            del cell["id"]
        nb.cells.insert(1, cell)
    cell.source, cell.metadata["tags"], cell.outputs, cell.execution_count = source, TAGS, [], None
    out = nbformat.writes(nb)
    if not out.endswith("\n"):
        out += "\n"
    path.write_text(out)
    return True


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report stale cells, change nothing")
    args = parser.parse_args(argv)
    source = cell_source(repository())
    stale = []
    for path in chapters():
        if args.check:
            cell = setup_cell(nbformat.read(path, as_version=4))
            if cell is None or cell.source != source:
                stale.append(path.name)
        elif write(path, source):
            print(f"updated {path.relative_to(ROOT)}")
    if stale:
        print("out of date (run make launch-cells):", ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
