"""The JupyterLite test runs only when asked: `make test-lite` (OPTLIB_LITE_TEST=1).

It needs jupyterlite (requirements-lite.txt), npm, Chromium and selenium, which
`make test` does not install, so the plain `pytest tests` run (and its
--doctest-modules) does not collect this folder.
"""
import os

if os.environ.get("OPTLIB_LITE_TEST") != "1":
    collect_ignore_glob = ["*.py"]
