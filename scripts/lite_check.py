"""Run chapters in JupyterLite (the book's "Run in your browser") in headless Chromium.

``make test-lite`` runs ``tests/lite/test_lite.py``, which uses this module; by hand::

    .venv/bin/python scripts/lite_check.py chapters/02_momentum.ipynb --out /tmp/lite

The site (a book built with ``OPTLIB_LITE=1``, or the JupyterLite folder alone)
is served on 127.0.0.1 by :class:`Site`, which counts every request and byte it
serves. Chromium (the live test's start-up and flags, scripts/live_check.py) is
started with a fresh profile, its DevTools performance log on, and a proxy
(:class:`Recorder`) for every address that is not the loopback: the proxy
answers nothing and records each host asked for, so a request that leaves
127.0.0.1, from the page, a web worker or the service worker alike, is caught
(the machine has no internet, so such a request would otherwise just fail).

A chapter is then opened in JupyterLite, the time to a ready Pyodide kernel is
measured, Run > Run All Cells is clicked, and the live test's checks run on it
(error outputs, each explorer's slider dragged and its figure changed, players
stepped): see scripts/live_check.py.
"""
from __future__ import annotations

import argparse
import contextlib
import functools
import http.server
import json
import socketserver
import sys
import threading
import time
from dataclasses import asdict
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import live_check as L  # noqa: E402

LITE_DIR = "lite"


class _Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      ".wasm": "application/wasm", ".mjs": "text/javascript",
                      ".js": "text/javascript", ".json": "application/json",
                      ".whl": "application/octet-stream", ".ipynb": "application/json"}

    def log_message(self, *args):
        pass

    def log_request(self, code="-", size="-"):
        try:
            self._code = int(code)                 # an int or an http.HTTPStatus
        except (TypeError, ValueError):
            self._code = 0
        if self._code >= 300 or self.command == "HEAD":
            self.server.record(self.path, 0, code=self._code)

    def copyfile(self, source, outputfile):
        n = 0
        while chunk := source.read(1 << 16):
            outputfile.write(chunk)
            n += len(chunk)
        self.server.record(self.path, n, code=getattr(self, "_code", 200))


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True

    def record(self, path, n, code=200):
        with self.lock:
            self.requests.append({"path": path, "bytes": n, "code": code,
                                  "missing": code == 404, "t": time.monotonic()})


class Site:
    """A static folder served on 127.0.0.1 (a thread of this process)."""

    def __init__(self, root: Path):
        self.root = Path(root)
        handler = functools.partial(_Handler, directory=str(self.root))
        self.server = _Server(("127.0.0.1", 0), handler)
        self.server.lock = threading.Lock()
        self.server.requests = []
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def requests(self) -> list[dict]:
        with self.server.lock:
            return list(self.server.requests)

    def since(self, t0: float) -> list[dict]:
        return [r for r in self.requests if r["t"] >= t0]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class Recorder(socketserver.ThreadingTCPServer):
    """A proxy that forwards nothing: it records the request line of each connection
    (``CONNECT host:443`` or ``GET http://host/...``) and answers 403."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        self.asked = []
        recorder = self

        class H(socketserver.StreamRequestHandler):
            def handle(self):
                with contextlib.suppress(Exception):
                    line = self.rfile.readline(4096).decode("latin-1").strip()
                    if line:
                        recorder.asked.append(line)
                    self.wfile.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n"
                                     b"Connection: close\r\n\r\n")
        super().__init__(("127.0.0.1", 0), H)
        self.url = f"http://127.0.0.1:{self.server_address[1]}"
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def close(self):
        self.shutdown()
        self.server_close()


def start_browser(proxy: Recorder, size=L.SIZES[0]):
    """The live test's headless Chromium, with every non-loopback request sent to ``proxy``
    and the DevTools performance log (the page's network events) on."""
    driver = L.start_browser(size, flags=(f"--proxy-server={proxy.url}", *QUIET_FLAGS),
                             prefs=QUIET_PREFS, logs=True, script_timeout=300,
                             prefix="optlib-lite-chromium-")   # loopback bypasses the proxy
    driver._optlib_urls = []
    return driver


def page_requests(driver) -> list[str]:
    """Every URL the browser's DevTools saw requested so far (drains the log)."""
    for entry in driver.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg.get("method") == "Network.requestWillBeSent":
            driver._optlib_urls.append(msg["params"]["request"]["url"])
    return list(driver._optlib_urls)


def outside(urls, site_url: str) -> list[str]:
    """The URLs that are not the site's own (data: and blob: URLs stay in the page)."""
    host = urlsplit(site_url).netloc
    bad = []
    for u in urls:
        parts = urlsplit(u)
        # in the page or the browser itself, not the network (chrome://: its new-tab page)
        if parts.scheme in ("data", "blob", "about", "chrome", "chrome-extension",
                            "chrome-untrusted", "devtools"):
            continue
        if parts.netloc != host:
            bad.append(u)
    return bad


#: Chromium's own calls home (autofill, sign-in, optimisation hints, search preconnect,
#: component updates), switched off so that the proxy sees only what the site asks for.
QUIET_FLAGS = ("--disable-features=AutofillServerCommunication,OptimizationHints,"
               "OptimizationHintsFetching,OptimizationGuideModelDownloading,MediaRouter,"
               "Translate,InterestFeedContentSuggestions,CertificateTransparencyComponentUpdater,"
               "PreconnectToSearch,SignInProfileCreation,DialMediaRouteProvider,NetworkTimeServiceQuerying",
               "--disable-client-side-phishing-detection", "--disable-default-apps",
               "--disable-domain-reliability", "--no-pings", "--metrics-recording-only",
               "--safebrowsing-disable-auto-update", "--disable-extensions",
               "--no-default-browser-check", "--disable-breakpad",
               "--disable-component-extensions-with-background-pages")
#: and the same by preferences: no sign-in, no search engine to preconnect to.
QUIET_PREFS = {"signin.allowed": False, "browser.signin.allowed": False,
               "default_search_provider.enabled": False, "search.suggest_enabled": False,
               "net.network_prediction_options": 2}


class LiteSite:
    """What live_check.Notebook needs of a server: the address of a notebook."""

    def __init__(self, url: str):
        self.url = url                         # the JupyterLite folder's address

    def notebook_url(self, name: str, ui: str = "lab") -> str:
        return f"{self.url}/lab/index.html?path=chapters/{name}"

    def delete_session(self, session_id, timeout=60):
        pass                                   # the kernel lives in the page


#: Chromium's own background calls, which no flag above stops in Debian's build: they
#: go out on an empty page (about:blank) just the same, so they are not the site's.
BROWSER_OWN_HOSTS = ("accounts.google.com", "update.googleapis.com", "clients2.google.com",
                     "start.duckduckgo.com")


def asked_host(line: str) -> str:
    """The host of a proxy request line: 'CONNECT h:443 HTTP/1.1' or 'GET http://h/... HTTP/1.1'."""
    target = line.split()[1] if len(line.split()) > 1 else ""
    return (urlsplit(target).hostname if "://" in target else target.rsplit(":", 1)[0]) or ""


def not_the_browsers_own(asked) -> list[str]:
    return [line for line in asked if asked_host(line) not in BROWSER_OWN_HOSTS]


def run_chapter(driver, lite: LiteSite, path: Path, shots: Path | None, *, full=False,
                timeout=600, url: str | None = None) -> tuple[L.Finding, dict]:
    """Open ``path`` in JupyterLite (at ``url``, default the site's address of it), wait
    for the kernel, Run All, and run the live checks.

    Returns the finding and the times: ``app`` (the page to JupyterLab shown),
    ``ready`` (to an idle Pyodide kernel), ``run`` (Run All), ``checks``.
    """
    t0 = time.monotonic()
    nb = L.Notebook(driver, lite, path, shots, ui="lab")
    finding = L.Finding(notebook=nb.name + " (JupyterLite)")
    times = {}
    try:
        driver.get(url or lite.notebook_url(nb.name))
        nb.wait(lambda: nb.js("return !!(window.jupyterapp && window.jupyterapp.shell"
                              " && window.jupyterapp.shell.currentWidget"
                              " && window.jupyterapp.shell.currentWidget.content)"),
                120, "JupyterLite did not open the notebook")
        times["app"] = time.monotonic() - t0
        nb.js(L.JS_HELPERS)
        nb.wait(lambda: nb.js("return optlibLive.ready()"), 180,
                "the Pyodide kernel was not ready")
        times["ready"] = time.monotonic() - t0
        nb.shot("ready")
        nb.open = lambda: None                 # opened above; the live checks go on from here
        nb.run_all = functools.partial(L.Notebook.run_all, nb, timeout=timeout)
        t1 = time.monotonic()
        L._check_open_notebook(nb, finding, t1, explorers=True, players=True, myst=False,
                               extra_lr_moves=1, full=full)
        times["run"] = finding.run_seconds
        times["figures"] = sum("image/png" in o["mimes"] for c in nb.summary()
                               if c["type"] == "code" for o in c["outputs"])
        times["checks"] = time.monotonic() - t1 - finding.run_seconds
    except Exception as error:
        finding.errors.append(f"the check stopped: {type(error).__name__}: "
                              f"{str(error).splitlines()[0] if str(error) else ''}")
    finally:
        nb.shot("end")
    finding.seconds = time.monotonic() - t0
    return finding, times


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("notebooks", nargs="*", help="default: chapters/02_momentum.ipynb")
    ap.add_argument("--site", help="a built JupyterLite folder (default: build one in --out)")
    ap.add_argument("--out", default=str(ROOT / "_build" / "lite-check"))
    args = ap.parse_args(argv)
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    paths = [Path(p).resolve() for p in args.notebooks] or [ROOT / "chapters/02_momentum.ipynb"]
    if args.site:
        site_dir = Path(args.site).resolve()
    else:
        import build_lite
        site_dir = out / "site" / LITE_DIR
        build_lite.build(site_dir, ROOT / "_build" / "lite-cache", paths)
    site, proxy = Site(site_dir), Recorder()
    driver = start_browser(proxy)
    status = 0
    try:
        for p in paths:
            t = time.monotonic()
            finding, times = run_chapter(driver, LiteSite(site.url), p, out)
            served = site.since(t)
            print(f"{p.name}: {times}; served {len(served)} requests, "
                  f"{sum(r['bytes'] for r in served) / 1e6:.1f} MB")
            for problem in finding.problems():
                print("   ", problem)
                status = 1
            (out / f"{p.stem}-lite.json").write_text(json.dumps(asdict(finding), indent=1))
        urls = page_requests(driver)
        print(f"DevTools saw {len(urls)} requests ({sum('.whl' in u for u in urls)} wheels); "
              f"the server served {len(site.requests)}")
        for u in outside(urls, site.url) + not_the_browsers_own(proxy.asked):
            print("request outside 127.0.0.1:", u)
            status = 1
    finally:
        L.stop_browser(driver)
        site.close()
        proxy.close()
    return status


if __name__ == "__main__":
    sys.exit(main())
