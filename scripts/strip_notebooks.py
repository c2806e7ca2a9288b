"""Keep only text outputs in notebooks, as DESIGN.md's "Notebooks in git" asks.

    python scripts/strip_notebooks.py chapters/*.ipynb          # rewrite in place
    python scripts/strip_notebooks.py --check chapters/*.ipynb  # list offenders, exit 1 if any

Images, HTML, JavaScript and widget views are dropped from every output (the
book build re-creates them by executing the notebook); their text/plain
fallback stays, so nbval still compares the same number of outputs. Widget
state and per-cell execution timings are removed from the metadata.
"""
from __future__ import annotations

import argparse
import sys

import nbformat

#: Output data kinds a committed notebook may keep.
KEEP = ("text/plain", "text/markdown", "text/latex")


def heavy_kinds(nb) -> set[str]:
    """The output kinds (and metadata keys) in ``nb`` that must not be committed."""
    found = set()
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            found |= {k for k in out.get("data", {}) if k not in KEEP}
        outs = cell.get("outputs", [])
        if any(a.output_type == b.output_type == "stream" and a.name == b.name
               for a, b in zip(outs, outs[1:])):
            found.add("split stream outputs")
        if "execution" in cell.get("metadata", {}):
            found.add("cell metadata: execution timings")
    if "widgets" in nb.metadata:
        found.add("notebook metadata: widget state")
    return found


def strip(nb):
    """Remove everything :func:`heavy_kinds` reports; return ``nb``."""
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type != "code":
            continue
        kept = []
        for out in cell.outputs:
            if (out.output_type == "stream" and kept and kept[-1].output_type == "stream"
                    and kept[-1].name == out.name):
                kept[-1].text += out.text  # one block per stream, so diffs stay stable
                continue
            if "data" in out:
                out["data"] = {k: v for k, v in out["data"].items() if k in KEEP}
                out["metadata"] = {}
                if not out["data"]:
                    continue
            kept.append(out)
        cell.outputs = kept
    nb.metadata.pop("widgets", None)
    return nb


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--check", action="store_true", help="report, do not rewrite")
    args = parser.parse_args(argv)
    bad = 0
    for path in args.paths:
        nb = nbformat.read(path, as_version=4)
        kinds = heavy_kinds(nb)
        if args.check:
            if kinds:
                bad += 1
                print(f"{path}: stores {', '.join(sorted(kinds))}")
        elif kinds:
            nbformat.write(strip(nb), path)
            print(f"{path}: stripped {', '.join(sorted(kinds))}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
