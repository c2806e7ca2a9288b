"""The browser test runs only when asked: `make test-browser` (OPTLIB_BROWSER=1).

It needs a built site (the target builds it), selenium (requirements-live.txt),
Debian's chromium (scripts/install_chromium.sh) and axe-core from npm
(package.json here), which `make test` does not install, so the plain
`pytest tests` run does not collect this folder.
"""
import os

if os.environ.get("OPTLIB_BROWSER") != "1":
    collect_ignore_glob = ["*.py"]
