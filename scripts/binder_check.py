"""Binder's path: a fresh environment from requirements.txt and runtime.txt alone runs every chapter.

    python scripts/binder_check.py [--keep DIR] [chapters/NN_name.ipynb ...]

(``make test-binder``.) Binder (repo2docker) builds its image from the
repository's ``runtime.txt`` (the Python version) and ``requirements.txt``
and nothing else: not the Makefile, not ``.venv``, not a package installed by
hand. This script does the same on this machine: it copies the files git
tracks into a temporary folder, makes a virtual environment with the Python
that runtime.txt names, installs requirements.txt into it (from the copy, so
``-e .`` installs that copy of optlib), and executes every chapter of
_toc.yml top to bottom in a kernel of that environment. It fails on an
install error or on a cell that raises, and prints each chapter's time.
"""
from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from launch_cells import chapters  # noqa: E402

RUN_ONE = """
import sys, time, nbformat
from nbclient import NotebookClient
path = sys.argv[1]
nb = nbformat.read(path, as_version=4)
start = time.perf_counter()
NotebookClient(nb, timeout=300, kernel_name="python3",
               resources={"metadata": {"path": str(__import__("pathlib").Path(path).parent)}}
               ).execute()
errors = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
if errors:
    raise SystemExit(f"{path}: {errors[0].ename}: {errors[0].evalue}")
print(f"{time.perf_counter() - start:.1f}")
"""


def python_of_runtime(root: Path) -> str:
    version = (root / "runtime.txt").read_text().strip()
    m = re.fullmatch(r"python-(\d+\.\d+)", version)
    if not m:
        raise SystemExit(f"runtime.txt must read python-X.Y, got {version!r}")
    exe = shutil.which(f"python{m.group(1)}")
    if exe is None:
        raise SystemExit(f"runtime.txt asks for Python {m.group(1)}; no python{m.group(1)} here")
    return exe


def tracked_copy(dest: Path) -> Path:
    """The files git tracks (plus uncommitted edits to them), as Binder would clone them."""
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, check=True,
                           capture_output=True).stdout.decode().split("\0")
    for name in filter(None, files):
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    return dest


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", help="chapters to run (default: all of _toc.yml)")
    parser.add_argument("--keep", help="build in this folder and keep it")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    work = Path(args.keep or tempfile.mkdtemp(prefix="binder-check-")).resolve()
    work.mkdir(parents=True, exist_ok=True)
    try:
        repo = tracked_copy(work / "repo")
        env = work / "env"
        start = time.perf_counter()
        subprocess.run([python_of_runtime(repo), "-m", "venv", str(env)], check=True)
        pip = [str(env / "bin" / "python"), "-m", "pip", "install", "--quiet",
               "--disable-pip-version-check"]
        subprocess.run(pip + ["-r", "requirements.txt"], cwd=repo, check=True)
        print(f"environment from runtime.txt and requirements.txt: "
              f"{time.perf_counter() - start:.0f} s")
        targets = [repo / Path(p).relative_to(ROOT) if Path(p).is_absolute() else repo / p
                   for p in args.notebooks] or chapters(repo)   # the copy's _toc.yml

        def run(path: Path):
            proc = subprocess.run([str(env / "bin" / "python"), "-c", RUN_ONE, str(path)],
                                  cwd=repo, capture_output=True, text=True)
            return path, proc

        failed = []
        with ThreadPoolExecutor(max_workers=args.jobs) as pool:
            for path, proc in pool.map(run, targets):
                if proc.returncode == 0:
                    print(f"{path.name:32s} ran in {proc.stdout.strip().splitlines()[-1]} s")
                else:
                    failed.append(path.name)
                    print(f"{path.name:32s} FAILED\n{proc.stderr[-3000:]}{proc.stdout[-1000:]}")
        if failed:
            print(f"{len(failed)} of {len(targets)} chapters failed in the Binder environment")
            return 1
        print(f"all {len(targets)} chapters ran in the Binder environment")
        return 0
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
