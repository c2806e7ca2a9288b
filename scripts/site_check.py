"""The built website as a reader's browser shows it (make test-browser).

    python scripts/site_check.py [--html _build/html] [--out _build/browser] [PAGE ...]

Serves the built site on 127.0.0.1 and opens every page of _toc.yml in headless
Chromium (Debian's package, through chromium-driver; scripts/install_chromium.sh).
For each page it records:

- the console's errors (a script that fails, a resource that does not load);
- every image, figure and animation frame: loaded (``naturalWidth > 0``) and
  with alt text that describes it rather than naming its file;
- the static twin of every widget (the cell after each explorer cell, DESIGN.md):
  present on the page with a loaded figure or player;
- the page's weight: the bytes of the page and of everything it loads, the
  shared MathJax bundle (and its fonts) counted once for the whole site;
- every request the page makes: the site must make none but to 127.0.0.1;
- a full-page screenshot, saved under ``--out``;
- the accessibility violations at WCAG 2.1 A and AA that axe-core (from npm,
  tests/browser/package.json) finds in the book's own content. Before axe runs,
  the page is thinned (:data:`_THIN`): MathJax's output, which the checks exclude,
  is taken out, and in the highlighted code every token after the first of its
  kind (same highlighting class in the same block) becomes plain text: every
  colour a page's code shows is still checked, once per block, and axe's time on
  a chapter falls from 10 to 20 s to 2 to 4 (it walks every element of the page).

tests/browser/test_site.py turns these into assertions; run alone, this script
prints one line per page and the findings.
"""
from __future__ import annotations

import argparse
import contextlib
import functools
import http.server
import json
import re
import sys
import threading
import time
import urllib.parse
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import live_check  # noqa: E402

AXE = ROOT / "tests" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
#: WCAG 2.0 and 2.1, levels A and AA (axe-core's tags).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
#: Only what the book writes: sphinx-book-theme's own header, sidebars and
#: search dialog are the theme's (its issues are reported upstream, not here).
AXE_CONTEXT = {"include": [["main.bd-main article.bd-article"]], "exclude": [["mjx-container"]]}
MAX_PAGE_BYTES = 2_000_000
MAX_SITE_BYTES = 60_000_000
#: What every page shares, which a browser fetches once for the whole site: the theme's
#: scripts, styles and fonts, MathJax, the search index (all under _static/ or
#: searchindex.js). A page's own weight is its HTML, its images and its animations.
SHARED = re.compile(r"^/(?:_static/|searchindex\.js$)")
FILE_NAME_ALT = re.compile(r"(?:^|/)[\w.-]+\.(?:png|jpe?g|gif|svg|webp)$|_images/", re.I)


@dataclass
class PageReport:
    page: str
    console_errors: list[str] = field(default_factory=list)
    broken_images: list[str] = field(default_factory=list)
    bad_alt: list[str] = field(default_factory=list)
    images: int = 0
    players: int = 0
    twins_expected: int = 0
    twins_missing: list[str] = field(default_factory=list)
    weight: int = 0
    shared_weight: int = 0
    external_requests: list[str] = field(default_factory=list)
    axe_violations: list[dict] = field(default_factory=list)
    screenshot: str = ""
    seconds: float = 0.0

    def problems(self) -> list[str]:
        out = [f"console error: {e}" for e in self.console_errors]
        out += [f"image not loaded: {s}" for s in self.broken_images]
        out += [f"alt text is a file name or missing: {s}" for s in self.bad_alt]
        out += [f"static twin missing: {s}" for s in self.twins_missing]
        if self.weight > MAX_PAGE_BYTES:
            out.append(f"page weighs {self.weight / 1e6:.2f} MB (at most {MAX_PAGE_BYTES / 1e6:g} MB)")
        out += [f"request outside the site: {u}" for u in self.external_requests]
        out += [f"axe {v['id']} ({v['impact']}): {v['help']} - {v['nodes']} node(s), "
                f"first: {v['target']}: {' '.join(v.get('message', '').split())}"
                for v in self.axe_violations]
        return out


def pages(html: Path, only: list[str] | None = None) -> list[str]:
    """The site's pages in reading order: every _toc.yml entry (or those whose path
    contains one of ``only``), as built HTML paths."""
    toc = (ROOT / "_toc.yml").read_text()
    entries = [e for e in re.findall(r"(?:root|file):\s*(\S+)", toc)
               if not only or any(o in e for o in only)]
    found = [f"{e}.html" for e in entries if (html / f"{e}.html").exists()]
    missing = [e for e in entries if not (html / f"{e}.html").exists()]
    if missing:
        raise FileNotFoundError(f"{html} has no page for {', '.join(missing)}: build the book first")
    return found


def twin_cells(page: str) -> list[str]:
    """The first line of each static-twin cell of the chapter behind ``page``."""
    import nbformat

    nb_path = ROOT / page.replace(".html", ".ipynb")
    if not nb_path.exists():
        return []
    code = [c for c in nbformat.read(str(nb_path), as_version=4).cells if c.cell_type == "code"]
    twins = []
    for prev, cell in zip(code, code[1:]):
        widget = "remove-output" in prev.metadata.get("tags", []) and "explorer" in prev.source
        if widget and re.search(r"_static\(|sweep_html\(", cell.source):
            first = next(line for line in cell.source.splitlines()
                         if line.strip() and not line.lstrip().startswith("#"))
            twins.append(first.strip())
    return twins


def site_bytes(html: Path, exclude: tuple[str, ...] = ("lite",)) -> int:
    """Bytes of every file of the built site (the in-browser runtime folder excluded)."""
    total = 0
    for p in html.rglob("*"):
        if p.is_file() and not (p.relative_to(html).parts[0] in exclude):
            total += p.stat().st_size
    return total


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serve(folder: Path):
    """The folder over HTTP on 127.0.0.1 (a free port); yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def start_browser(width=1280, height=900):
    """Headless Chromium with its console and network logs on; never downloads a browser."""
    driver = live_check.start_browser((width, height), logs=True, prefix="optlib-site-")
    driver.set_page_load_timeout(120)
    return driver


stop_browser = live_check.stop_browser


_SETTLE = r"""
const done = arguments[arguments.length - 1];
(async () => {
  const deadline = Date.now() + 60000;
  while (document.readyState !== 'complete' && Date.now() < deadline)
    await new Promise(r => setTimeout(r, 100));
  if (window.MathJax && MathJax.startup && MathJax.startup.promise)
    await MathJax.startup.promise;
  await Promise.all([...document.images].map(img => img.complete ? null :
    new Promise(r => { img.onload = img.onerror = r; setTimeout(r, 20000); })));
  done(true);
})();
"""

_INSPECT = r"""
const imgs = [...document.images].map(img => ({
  src: img.currentSrc.startsWith('data:') ? img.currentSrc.slice(0, 40) + '...' : img.currentSrc,
  alt: img.getAttribute('alt'), ok: img.complete && img.naturalWidth > 0,
  hidden: img.closest('[aria-hidden="true"]') !== null,
  player: img.classList.contains('optlib-player-frame')}));
const cells = [...document.querySelectorAll('div.cell')].map(cell => {
  const input = cell.querySelector('.cell_input');
  const output = cell.querySelector('.cell_output');
  const figs = output ? [...output.querySelectorAll('img')] : [];
  return {input: input ? input.textContent : '',
          shown: figs.length > 0 && figs.every(i => i.complete && i.naturalWidth > 0)};
});
const res = performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'))
  .map(e => ({url: e.name, bytes: e.encodedBodySize || e.transferSize || 0}));
return {imgs, cells, res, height: document.documentElement.scrollHeight,
        players: document.querySelectorAll('.optlib-player').length};
"""

_THIN = r"""
document.querySelectorAll('mjx-container').forEach(e => e.remove());
for (const block of document.querySelectorAll('div.highlight pre')) {
  const seen = new Set();
  for (const span of [...block.querySelectorAll('span')]) {
    const kind = span.className;
    if (!seen.has(kind)) { seen.add(kind); continue; }
    span.replaceWith(document.createTextNode(span.textContent));
  }
  block.normalize();
}
"""

_AXE_RUN = r"""
const done = arguments[arguments.length - 1];
axe.run(arguments[0], {runOnly: {type: 'tag', values: arguments[1]}, resultTypes: ['violations']})
  .then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                          nodes: v.nodes.length,
                                          target: v.nodes.length ? v.nodes[0].target.join(' ') : '',
                                          message: v.nodes.length ? v.nodes[0].failureSummary : ''}))))
  .catch(e => done([{id: 'axe-error', impact: 'critical', help: String(e), nodes: 0, target: ''}]));
"""


def _console_errors(driver) -> list[str]:
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def _requests(driver) -> list[str]:
    urls = []
    for entry in driver.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg.get("method") == "Network.requestWillBeSent":
            urls.append(msg["params"]["request"]["url"])
    return urls


def _external(urls: list[str]) -> list[str]:
    out = []
    for url in urls:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https", "ws", "wss", "ftp"):
            # data:, blob:, about: and the browser's own chrome:// pages are no request
            continue
        if parts.hostname not in ("127.0.0.1",):
            out.append(url)
    return sorted(set(out))


def screenshot(driver, path: Path, height: int, width: int = 1280, max_height: int = 16384) -> None:
    """The whole page (up to ``max_height`` px, Chromium's limit) as a JPEG."""
    data = driver.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "jpeg", "quality": 70, "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": width, "height": min(height, max_height), "scale": 1}})
    import base64

    path.write_bytes(base64.b64decode(data["data"]))


def check_page(driver, base: str, page: str, out: Path | None, axe_source: str | None) -> PageReport:
    t0 = time.perf_counter()
    report = PageReport(page)
    _console_errors(driver), _requests(driver)          # drop what earlier pages logged
    driver.get(base + page)
    driver.execute_async_script(_SETTLE)
    seen = driver.execute_script(_INSPECT)
    report.console_errors = _console_errors(driver)
    report.images = len(seen["imgs"])
    report.players = seen["players"]
    for img in seen["imgs"]:
        if not img["ok"]:
            report.broken_images.append(img["src"])
        alt = (img["alt"] or "").strip()
        if not img["hidden"] and (not alt or FILE_NAME_ALT.search(alt)):
            report.bad_alt.append(f"{img['src']} (alt={img['alt']!r})")
    twins = twin_cells(page)
    report.twins_expected = len(twins)
    for first in twins:
        if not any(first in c["input"] and c["shown"] for c in seen["cells"]):
            report.twins_missing.append(first)
    for r in seen["res"]:
        if SHARED.search(urllib.parse.urlsplit(r["url"]).path):
            report.shared_weight += r["bytes"]
        else:
            report.weight += r["bytes"]
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        shot = out / (page.replace("/", "_").replace(".html", ".jpg"))
        screenshot(driver, shot, seen["height"])
        report.screenshot = str(shot)
    if axe_source is not None:
        driver.execute_script(_THIN)             # after the screenshot: the page as shown
        driver.execute_script(axe_source)
        report.axe_violations = driver.execute_async_script(_AXE_RUN, AXE_CONTEXT, AXE_TAGS)
    report.external_requests = _external(_requests(driver))
    report.seconds = time.perf_counter() - t0
    return report


def check_site(html: Path, out: Path | None = None, only: list[str] | None = None,
               axe: bool = True, workers: int = 2) -> list[PageReport]:
    axe_source = None
    if axe:
        if not AXE.exists():
            raise FileNotFoundError(f"{AXE} missing: run `npm ci --prefix tests/browser` "
                                    "(make test-browser does)")
        axe_source = AXE.read_text()
    todo = pages(html, only)
    workers = max(1, min(workers, len(todo)))
    found: dict[str, PageReport] = {}

    def visit(share: list[str], base: str):
        driver = start_browser()
        try:
            for page in share:
                found[page] = check_page(driver, base, page, out, axe_source)
        finally:
            stop_browser(driver)

    with serve(html) as base:
        # one browser per core: a page's load and axe's checks each keep one core busy
        threads = [threading.Thread(target=visit, args=(todo[k::workers], base))
                   for k in range(workers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    missing = [p for p in todo if p not in found]
    if missing:
        raise RuntimeError(f"the browser did not finish {', '.join(missing)} (see the error above)")
    return [found[p] for p in todo]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pages", nargs="*", help="only the pages whose path contains one of these")
    parser.add_argument("--html", type=Path, default=ROOT / "_build" / "html")
    parser.add_argument("--out", type=Path, default=ROOT / "_build" / "browser")
    parser.add_argument("--no-axe", action="store_true")
    args = parser.parse_args(argv)
    reports = check_site(args.html, args.out, args.pages, axe=not args.no_axe)
    bad = 0
    for r in reports:
        problems = r.problems()
        bad += bool(problems)
        print(f"{r.page:45s} {r.weight / 1e6:5.2f} MB  {r.images:3d} images  {r.players:2d} players  "
              f"{r.twins_expected:2d} twins  {r.seconds:5.1f} s  {'ok' if not problems else 'PROBLEMS'}")
        for p in problems:
            print(f"    {p}")
    size = site_bytes(args.html)
    print(f"site: {size / 1e6:.1f} MB (at most {MAX_SITE_BYTES / 1e6:g} MB); screenshots in {args.out}")
    (args.out / "report.json").write_text(json.dumps([asdict(r) for r in reports], indent=1))
    return 1 if bad or size > MAX_SITE_BYTES else 0


if __name__ == "__main__":
    sys.exit(main())
