"""Put chapters executed by the nbval run into the book's execution cache.

    python scripts/book_cache.py DIR [--cache _build/.jupyter_cache]

DIR holds the notebooks that the root conftest.py wrote during nbval
(``OPTLIB_EXECUTED_DIR``): each is a chapter whose every cell passed, with the
outputs its kernel produced. The book is built with ``execute_notebooks: cache``
(_config.yml): myst-nb looks each chapter up in jupyter-cache by the hash of its
code, so a chapter put there is rendered without being executed again. A
notebook whose code differs from the chapter in ``chapters/`` (edited since the
run) is skipped with a message; the build then executes that chapter itself.
Prints one line per chapter and the number cached.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]


def code_of(nb) -> list[str]:
    return [c.source for c in nb.cells if c.cell_type == "code"]


def cache_executed(folder: Path, cache_path: Path, chapters: Path = ROOT / "chapters") -> int:
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    cache = get_cache(str(cache_path))
    cached = 0
    for path in sorted(folder.glob("*.ipynb")):
        source = chapters / path.name
        executed = nbformat.read(str(path), as_version=4)
        if not source.exists() or code_of(nbformat.read(str(source), as_version=4)) != code_of(executed):
            print(f"  {path.name}: not the code of {source.relative_to(ROOT)}; the build executes it")
            continue
        seconds_file = path.with_suffix(".seconds")
        seconds = float(seconds_file.read_text()) if seconds_file.exists() else None
        record = cache.cache_notebook_bundle(
            CacheBundleIn(executed, str(source.resolve()), data={"execution_seconds": seconds}),
            check_validity=False, overwrite=True)
        took = f" in {seconds:.1f} s" if seconds is not None else ""
        print(f"  {path.name}: cached (record {record.pk}, executed by nbval{took})")
        cached += 1
    return cached


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--cache", type=Path, default=ROOT / "_build" / ".jupyter_cache")
    args = parser.parse_args(argv)
    if not args.folder.is_dir():
        print(f"{args.folder}: no such folder (nothing executed to cache)")
        return 0
    n = cache_executed(args.folder, args.cache)
    print(f"{n} chapter(s) from the nbval run put into {args.cache}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
