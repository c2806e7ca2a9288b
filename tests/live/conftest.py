"""The live test runs only when asked: `make test-live` (OPTLIB_LIVE=1).

It needs JupyterLab, Chromium and selenium (requirements-live.txt,
scripts/install_chromium.sh), which `make test` does not install, so the plain
`pytest tests` run (and its --doctest-modules) does not collect this folder.
"""
import os

if os.environ.get("OPTLIB_LIVE") != "1":
    collect_ignore_glob = ["*.py"]
