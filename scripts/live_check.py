"""Drive the chapters in JupyterLab as a student would, in headless Chromium.

``make test-live`` runs ``tests/live/test_live.py``, which uses this module;
``make bench`` uses it for the slider-to-figure latency; by hand::

    .venv/bin/python scripts/live_check.py chapters/02_momentum.ipynb --out /tmp/live

For each notebook: a copy is opened in a JupyterLab started on 127.0.0.1 (its
own settings, autosave off, so the committed notebooks are never touched),
Run > Run All Cells is clicked in the menu, and then

- every error output is collected;
- every explorer (an ``optlib-explorer`` widget) is scrolled into view and
  checked at 1280 x 800 and at 1024 x 768: no control narrower than its
  content (cut slider readouts, hidden dropdown arrows, a scrollbar), the
  figure inside the cell; a screenshot of each is saved;
- its sliders are dragged with the mouse (and its dropdowns changed): each move
  must change the figure, and the time from the mouse release to the new
  figure loaded in the page is recorded;
- every animation player is checked for a visible first frame (its image
  loaded and given space) and for a step button that changes the frame;
- the rendered Markdown is searched for MyST markup shown as raw text
  (``{eq}`...```, ``(label)=``, a directive fence); the references that
  jupyterlab-myst cannot resolve and the cells it renders empty (a
  ``literalinclude``) are listed, for the authors, without failing.

Then the notebook's kernel is shut down and its tab closed. The same checks,
lighter (1280 x 800, the lr sliders), run on a small notebook of this module's
own (:data:`DEMO_CELLS`) in Notebook 7, and the player's script is exercised on
a plain page, as the book's site shows it (:func:`check_player_page`).

Needs the packages of requirements-live.txt and Debian's chromium and
chromium-driver (``scripts/install_chromium.sh``).
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: Window sizes the layout must hold at (the issue's two; width x height).
SIZES = ((1280, 800), (1024, 768))

#: Chromium's switches: headless, and nothing that calls Google's hosts.
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage")

#: MyST markup that a Markdown renderer without MyST shows as text.
RAW_MYST = re.compile(r"\{(?:eq|cite:[pt]|cite|numref|ref|doc|math|term|download)\}`"
                      r"|^\([\w.:-]+\)=\s*$"
                      r"|^(?:```|~~~|:::)\s*\{[\w:-]+\}", re.M)


#: Directives jupyterlab-myst renders as nothing in a notebook (it reads no files).
NOT_RENDERED_LIVE = re.compile(r"^[`:~]{3,}\s*\{(?:literalinclude|include)\}.*$", re.M)


def chapters(toc: Path = ROOT / "_toc.yml") -> list[Path]:
    """The chapter notebooks, in the order of _toc.yml (new chapters are found there)."""
    listed = re.findall(r"(?:root|file):\s*(\S+)", toc.read_text())
    found = [ROOT / f"{name}.ipynb" for name in listed]
    found = [p for p in found if p.exists()]
    # a notebook not yet listed in the toc is still a chapter to check
    found += [p for p in sorted((ROOT / "chapters").glob("*.ipynb")) if p not in found]
    return found


def notebooks_from(spec: str | None) -> list[Path]:
    """``NB`` of the Makefile: a notebook, several (space separated), or the chapters folder."""
    if not spec or spec.strip() in ("chapters", "chapters/"):
        return chapters()
    paths = [Path(s) if Path(s).is_absolute() else ROOT / s for s in spec.split()]
    for p in paths:
        if p.is_dir():
            raise SystemExit(f"NB={spec}: give notebooks or the chapters folder")
        if not p.exists():
            raise SystemExit(f"NB={spec}: {p} does not exist")
    return paths


#: A small notebook of its own: one explorer of each kind and two players, for
#: ``make bench`` (the latency without a chapter's run time) and for Notebook 7.
DEMO_CELLS = (
    "from optlib import animation, surfaces, widgets\nimport optlib",
    'widgets.explorer_1d("momentum", "rectangles", lr=0.25, gamma=0.9)',
    'widgets.explorer_2d("momentum", "hills_and_canyon", lr=0.03, gamma=0.9, steps=300)',
    'widgets.explorer_1d_static("momentum", "rectangles", kind="sweep")',
    "s = surfaces.wobbly\n"
    "paths = {name: optlib.run(optlib.OPTIMIZERS[name](lr=lr), s.grad, s.start, 150)\n"
    "         for name, lr in ((\"sgd\", 0.05), (\"momentum\", 0.01), (\"adam\", 0.1))}\n"
    "animation.race_html(s, paths, frames=12)",
)
DEMO = "live_demo.ipynb"


def write_demo(path: Path) -> Path:
    import nbformat
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell(
        "# Live check\nSee {eq}`eq-none` and {cite:p}`habr_optimizers`.\n\n"
        "```{admonition} A MyST box\n:class: tip\nIt renders as a box.\n```")]
    nb.cells += [nbformat.v4.new_code_cell(c) for c in DEMO_CELLS]
    nbformat.write(nb, path)
    return path


def find_browser() -> tuple[str, str]:
    """Paths of Chromium and its driver (CHROMIUM / CHROMEDRIVER override)."""
    browser = os.environ.get("CHROMIUM") or shutil.which("chromium") or \
        shutil.which("chromium-browser")
    driver = os.environ.get("CHROMEDRIVER") or shutil.which("chromedriver")
    if not browser or not driver:
        raise RuntimeError("chromium and chromedriver not found: run scripts/install_chromium.sh "
                           "(Debian's chromium and chromium-driver), or set CHROMIUM and "
                           "CHROMEDRIVER")
    return browser, driver


# --------------------------------------------------------------------------
# JupyterLab
# --------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _write_json(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1))


class Lab:
    """A JupyterLab server on 127.0.0.1 serving copies of the notebooks.

    Its settings, runtime files and workspaces live in a temporary folder:
    autosave is off, news and update checks are off (no network), and
    everything else is JupyterLab's default (the notebook's windowing mode
    included: the players must show under it). The copies sit in a
    ``chapters`` folder, so relative paths in the notebooks still work.
    """

    def __init__(self, notebooks, *, log=None):
        self.tmp = Path(tempfile.mkdtemp(prefix="optlib-live-"))
        self.root = self.tmp / "root"
        (self.root / "chapters").mkdir(parents=True)
        for nb in notebooks:
            shutil.copy2(nb, self.root / "chapters" / Path(nb).name)
        write_demo(self.root / "chapters" / DEMO)
        settings = self.tmp / "settings" / "@jupyterlab"
        _write_json(settings / "docmanager-extension" / "plugin.jupyterlab-settings",
                    {"autosave": False})
        _write_json(settings / "apputils-extension" / "notification.jupyterlab-settings",
                    {"checkForUpdates": False, "fetchNews": "false"})
        self.token = secrets.token_hex(16)
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ,
                   JUPYTER_CONFIG_DIR=str(self.tmp / "config"),
                   JUPYTER_RUNTIME_DIR=str(self.tmp / "runtime"),
                   JUPYTERLAB_SETTINGS_DIR=str(self.tmp / "settings"),
                   JUPYTERLAB_WORKSPACES_DIR=str(self.tmp / "workspaces"),
                   IPYTHONDIR=str(self.tmp / "ipython"),
                   MPLBACKEND="module://matplotlib_inline.backend_inline")
        env.pop("JUPYTER_TOKEN", None)
        exe = Path(sys.executable).with_name("jupyter-lab")
        cmd = [str(exe), "--no-browser", "--ServerApp.ip=127.0.0.1",
               f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0",
               f"--IdentityProvider.token={self.token}",
               f"--ServerApp.root_dir={self.root}",
               # window.jupyterapp, to read the notebook's model (JupyterLab, Notebook 7)
               "--LabApp.expose_app_in_browser=True",
               "--JupyterNotebookApp.expose_app_in_browser=True",
               "--ServerApp.allow_root=True", "--ServerApp.terminals_enabled=False",
               "--LabApp.news_url=", "--LabApp.extension_manager=readonly"]
        self.log_path = Path(log) if log else self.tmp / "lab.log"
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen(cmd, env=env, cwd=self.root, stdout=self._log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        self._wait_ready()

    def _wait_ready(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyter lab exited ({self.proc.returncode}):\n"
                                   + self.log_path.read_text()[-3000:])
            try:
                with urllib.request.urlopen(f"{self.url}/api/status?token={self.token}",
                                            timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("jupyter lab did not answer within {timeout} s")

    def notebook_url(self, name: str, ui: str = "lab") -> str:
        """The page of a notebook in JupyterLab (``ui="lab"``) or Notebook 7 ("notebook")."""
        where = {"lab": "lab/tree", "notebook": "notebooks"}[ui]
        return f"{self.url}/{where}/chapters/{name}?token={self.token}"

    def delete_session(self, session_id: str, timeout: float = 60):
        """Shut a kernel down through the REST API (DELETE /api/sessions/<id>)."""
        request = urllib.request.Request(f"{self.url}/api/sessions/{session_id}", method="DELETE",
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=timeout):
            pass

    def close(self):
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)       # the server and its kernels
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        self._log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# --------------------------------------------------------------------------
# The browser
# --------------------------------------------------------------------------

def start_browser(size=SIZES[0], *, flags=(), prefs=None, logs=False, script_timeout=120,
                  prefix="optlib-chromium-"):
    """Headless Chromium through chromedriver (never downloads a browser or driver).

    ``flags``: more command-line switches; ``prefs``: Chromium preferences; ``logs``: keep the
    console and the DevTools network log (``driver.get_log("browser" | "performance")``).
    The site and JupyterLite checks (site_check.py, lite_check.py) start theirs here too.
    """
    os.environ.setdefault("SE_AVOID_STATS", "true")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    browser, driver_path = find_browser()
    opts = webdriver.ChromeOptions()
    opts.binary_location = browser
    for flag in (*CHROMIUM_FLAGS, *flags):
        opts.add_argument(flag)
    if prefs:
        opts.add_experimental_option("prefs", prefs)
    profile = tempfile.mkdtemp(prefix=prefix)
    opts.add_argument(f"--user-data-dir={profile}")
    opts.add_argument(f"--window-size={size[0]},{size[1]}")
    if logs:
        opts.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    driver = webdriver.Chrome(options=opts, service=Service(executable_path=driver_path))
    driver.set_script_timeout(script_timeout)     # the async scripts wait in the page
    driver._optlib_profile = profile
    set_viewport(driver, size)
    return driver


def set_viewport(driver, size):
    """Make the page's viewport (window.innerWidth x innerHeight) exactly ``size``."""
    w, h = size
    driver.set_window_size(w, h)
    for _ in range(3):
        iw, ih = driver.execute_script("return [window.innerWidth, window.innerHeight]")
        if (iw, ih) == (w, h):
            return
        ow, oh = driver.get_window_size()["width"], driver.get_window_size()["height"]
        driver.set_window_size(ow + w - iw, oh + h - ih)
    time.sleep(0.3)


def stop_browser(driver):
    with contextlib.suppress(Exception):
        driver.quit()
    shutil.rmtree(getattr(driver, "_optlib_profile", ""), ignore_errors=True)


# The page-side helpers, installed once per notebook page.
JS_HELPERS = r"""
window.optlibLive = (function () {
  const app = window.jupyterapp;
  // the notebook this page checks: the current widget when the page opened it
  function panel() {
    const p = window.__optlibPanel;
    return p && !p.isDisposed ? p : app.shell.currentWidget;
  }
  function cells() { return panel().content.widgets; }
  function visible(el) { return !!(el && el.offsetParent !== null); }
  function measure(text, el) {
    const c = measure.canvas || (measure.canvas = document.createElement('canvas'));
    const ctx = c.getContext('2d');
    const cs = getComputedStyle(el);
    ctx.font = cs.fontStyle + ' ' + cs.fontWeight + ' ' + cs.fontSize + ' ' + cs.fontFamily;
    return ctx.measureText(text).width;
  }
  async function digest(src) {
    if (!src) return '';
    const buf = await (await fetch(src)).arrayBuffer();
    const h = await crypto.subtle.digest('SHA-1', buf);
    return Array.from(new Uint8Array(h)).map(b => b.toString(16).padStart(2, '0')).join('');
  }
  return {
    ready() {
      const p = panel();
      if (p && p.content && p.sessionContext) window.__optlibPanel = p;
      return !!(p && p.content && p.context && p.context.isReady && p.sessionContext &&
                p.sessionContext.session && p.sessionContext.session.kernel &&
                p.sessionContext.session.kernel.status === 'idle');
    },
    hookRunAll() {
      window.__runAll = null;
      app.commands.commandExecuted.connect((_, a) => {
        if (a.id === 'runmenu:run-all' || a.id === 'notebook:run-all-cells') {
          Promise.resolve(a.result).then(
            v => { window.__runAll = {done: true, result: String(v)}; },
            e => { window.__runAll = {done: true, error: String(e)}; });
        }
      });
    },
    // run code in the notebook's kernel (not in a cell); its printed text
    async execute(code) {
      const k = panel().sessionContext.session.kernel;
      const future = k.requestExecute({ code: code, silent: false, store_history: false });
      let out = '';
      future.onIOPub = msg => {
        const t = msg.header.msg_type;
        if (t === 'stream') out += msg.content.text;
        if (t === 'error') out += msg.content.ename + ': ' + msg.content.evalue;
      };
      await future.done;
      return out;
    },
    // close the notebook's tab, unsaved (a copy anyway); its session's id, to shut it down
    close() {
      const p = panel();
      const session = p.sessionContext && p.sessionContext.session;
      const id = session ? session.id : null;
      p.dispose();
      window.__optlibPanel = null;
      return id;
    },
    kernelIdle() {
      const k = panel().sessionContext.session.kernel;
      return k.status === 'idle';
    },
    // the model: what every cell ran and printed, whatever is in the DOM
    summary() {
      return cells().map((c, i) => {
        const m = c.model;
        const out = { index: i, type: m.type, source: m.sharedModel.getSource().slice(0, 120) };
        if (m.type === 'code') {
          out.count = m.executionCount;
          out.outputs = [];
          for (let k = 0; k < m.outputs.length; k++) {
            const o = m.outputs.get(k).toJSON();
            out.outputs.push({ type: o.output_type, ename: o.ename, evalue: o.evalue,
                               mimes: Object.keys(o.data || {}),
                               html: ((o.data || {})['text/html'] || '').toString()
                                        .includes('optlib-player') });
          }
        }
        return out;
      });
    },
    async scrollTo(i) {
      const nb = panel().content;
      if (nb.scrollToItem) { try { await nb.scrollToItem(i, 'start'); } catch (e) {} }
      const node = cells()[i].node;
      node.scrollIntoView({ block: 'start' });
      await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
      return true;
    },
    cellNode(i) { return cells()[i].node; },
    // the rendered text of a Markdown cell (not its hidden source); null if not rendered.
    // jupyterlab-myst renders into .myst, JupyterLab's own renderer into .jp-MarkdownOutput
    markdownText(i) {
      const c = cells()[i];
      const r = c.node.querySelector('.jp-Cell-inputWrapper .myst, .jp-MarkdownOutput');
      return r ? r.textContent : null;
    },
    markdownSummary() {
      return cells().map((c, i) => {
        if (c.model.type !== 'markdown') return null;
        const r = c.node.querySelector('.jp-Cell-inputWrapper .myst, .jp-MarkdownOutput');
        const texts = sel => Array.from(r.querySelectorAll(sel)).map(e => e.textContent);
        return r ? { index: i, text: r.textContent, myst: r.classList.contains('myst'),
                     source: c.model.sharedModel.getSource(),
                     refs: texts('[title="Cross Reference Not Found"]'),
                     citations: texts('[title="Citation Not Found"]') }
                 : { index: i, text: null };
      }).filter(x => x);
    },
    // problems of an explorer's layout, in words; [] when it holds
    layout(root) {
      const bad = [];
      const r = root.getBoundingClientRect();
      const area = root.closest('.jp-OutputArea-output') || root.parentElement;
      const ar = area.getBoundingClientRect();
      if (root.scrollWidth > root.clientWidth + 1)
        bad.push(`the explorer scrolls sideways (${root.scrollWidth} px of content in ${root.clientWidth} px)`);
      if (r.right > ar.right + 1)
        bad.push(`the explorer is ${Math.round(r.right - ar.right)} px wider than its cell`);
      const controls = root.querySelector('.optlib-controls');
      if (controls && controls.scrollWidth > controls.clientWidth + 1)
        bad.push(`the controls scroll sideways (${controls.scrollWidth} px in ${controls.clientWidth} px)`);
      for (const w of root.querySelectorAll('.optlib-controls > *')) {
        if (!visible(w)) continue;
        const label = (w.querySelector('.widget-label, .jupyter-widget-label') || {}).innerText || '?';
        if (w.scrollWidth > w.clientWidth + 1)
          bad.push(`${label}: content ${w.scrollWidth} px in ${w.clientWidth} px`);
        const ro = w.querySelector('.widget-readout, .jupyter-widget-readout');
        if (ro && visible(ro)) {
          const need = measure(ro.innerText, ro);
          if (ro.scrollWidth > ro.clientWidth + 1 || need > ro.clientWidth + 0.5)
            bad.push(`${label}: readout "${ro.innerText}" needs ${need.toFixed(0)} px, has ${ro.clientWidth}`);
        }
        const sel = w.querySelector('select');
        if (sel) {
          const cs = getComputedStyle(sel);
          const pad = parseFloat(cs.paddingLeft) + parseFloat(cs.paddingRight);
          const longest = Math.max(...Array.from(sel.options).map(o => measure(o.text, sel)));
          if (longest + pad > sel.clientWidth + 0.5)
            bad.push(`${label}: dropdown ${sel.clientWidth} px, its longest choice needs ${Math.ceil(longest + pad)}`);
        }
        const ir = w.getBoundingClientRect();
        if (ir.right > r.right + 1) bad.push(`${label}: sticks out of the explorer`);
      }
      const img = root.querySelector('.optlib-figure img, img.optlib-figure');
      if (!img) bad.push('no figure');
      else {
        const fr = img.getBoundingClientRect();
        if (fr.width < 50 || fr.height < 50) bad.push(`the figure is ${fr.width} x ${fr.height} px`);
        if (fr.right > ar.right + 1) bad.push('the figure sticks out of the cell');
        if (img.naturalWidth && fr.width < 0.6 * img.naturalWidth)
          bad.push(`the figure is shrunk to ${Math.round(100 * fr.width / img.naturalWidth)} %`);
      }
      return bad;
    },
    geometry(root) {
      const g = el => { const b = el.getBoundingClientRect();
                        return [Math.round(b.left), Math.round(b.top), Math.round(b.width), Math.round(b.height)]; };
      const img = root.querySelector('.optlib-figure img, img.optlib-figure');
      const controls = root.querySelector('.optlib-controls');
      return { root: g(root), controls: controls ? g(controls) : null, figure: img ? g(img) : null,
               natural: img ? [img.naturalWidth, img.naturalHeight] : null };
    },
    async figureDigest(root) {
      const img = root.querySelector('.optlib-figure img, img.optlib-figure');
      return img ? digest(img.src) : '';
    },
    // time the next new figure after the next mouse release
    armTimer(root) {
      const t = window.__timer = { release: null, loaded: null, src: null };
      t.done = new Promise(resolve => { t.resolve = resolve; });
      const img0 = root.querySelector('.optlib-figure img, img.optlib-figure');
      t.src0 = img0 ? img0.src : null;
      const up = e => { if (t.release === null) t.release = performance.now(); };
      document.addEventListener('pointerup', up, true);
      document.addEventListener('mouseup', up, true);
      const obs = new MutationObserver(() => {
        const img = root.querySelector('.optlib-figure img, img.optlib-figure');
        if (!img || img.src === t.src0 || img.src === t.src) return;
        t.src = img.src;
        const done = () => {
          if (t.loaded === null) t.loaded = performance.now();
          obs.disconnect();
          t.resolve();
        };
        if (img.complete && img.naturalWidth) done();
        else img.decode().then(done, done);
      });
      obs.observe(root, { subtree: true, childList: true, attributes: true, attributeFilter: ['src'] });
      t.stop = () => { obs.disconnect(); document.removeEventListener('pointerup', up, true);
                       document.removeEventListener('mouseup', up, true); };
      return true;
    },
    // wait in the page (no polling from outside, which would load the machine
    // being measured) for the new figure, at most ms milliseconds
    async waitTimer(ms) {
      const t = window.__timer;
      if (!t) return null;
      await Promise.race([t.done, new Promise(r => setTimeout(r, ms))]);
      return { release: t.release, loaded: t.loaded };
    },
    stopTimer() { if (window.__timer && window.__timer.stop) window.__timer.stop(); },
    // the k-th player of cell i, looked up afresh (JupyterLab may re-render a cell's
    // output while it scrolls: a node held from an earlier call can be gone)
    playerIn(i, k) { return cells()[i].node.querySelectorAll('.optlib-player')[k || 0] || null; },
    player(root) {
      if (!root) return { ok: false, why: 'no player' };
      const img = root.querySelector('img');
      if (!img) return { ok: false, why: 'no image' };
      const b = img.getBoundingClientRect();
      return { ok: true, loaded: img.complete && img.naturalWidth > 0, natural: [img.naturalWidth, img.naturalHeight],
               shown: [Math.round(b.width), Math.round(b.height)], src: img.src.slice(0, 64) + img.src.length };
    },
  };
})();
return true;
"""


@dataclass
class Finding:
    """What the live check saw in one notebook."""
    notebook: str
    errors: list = field(default_factory=list)          # error outputs, in words
    explorers: list = field(default_factory=list)       # one dict per explorer
    players: list = field(default_factory=list)         # one dict per player
    raw_myst: list = field(default_factory=list)        # (cell, text) shown raw
    latencies: list = field(default_factory=list)       # s, release -> new figure
    kernel_seconds: list = field(default_factory=list)  # s, the kernel's part of each redraw
    kernel_cpu_seconds: list = field(default_factory=list)  # s of CPU, the same redraws
    myst_cells: int = 0                                 # Markdown cells rendered by MyST
    unresolved: list = field(default_factory=list)      # references MyST could not resolve
    empty_cells: list = field(default_factory=list)     # directives MyST shows as nothing
    run_seconds: float = 0.0                            # opening and Run All
    phase_seconds: dict = field(default_factory=dict)   # time spent in each check
    complete: bool = False                              # every check ran to its end
    seconds: float = 0.0

    def problems(self) -> list[str]:
        out = list(self.errors)
        for e in self.explorers:
            out += [f"explorer {e['index']} (cell {e['cell']}): {p}" for p in e["problems"]]
        for p in self.players:
            out += [f"player {p['index']} (cell {p['cell']}): {x}" for x in p["problems"]]
        out += [f"cell {i}: MyST shown as text: {t!r}" for i, t in self.raw_myst]
        return out


class Notebook:
    """One notebook page in the browser."""

    def __init__(self, driver, lab, path, shots: Path | None = None, ui: str = "lab"):
        self.d, self.lab, self.path = driver, lab, Path(path)
        self.shots = shots
        self.ui = ui
        self.name = self.path.name
        self.stem = self.path.stem if ui == "lab" else f"{self.path.stem}-notebook7"

    def js(self, code, *args):
        return self.d.execute_script(code, *args)

    def ajs(self, code, *args):
        """Run async JS: ``code`` is an expression giving a promise."""
        return self.d.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            f"Promise.resolve({code}).then(done, e => done({{__error: String(e)}}));", *args)

    def wait(self, cond, timeout, what, poll=0.2):
        """Poll ``cond()`` until it is true; an element re-rendered meanwhile is not yet."""
        from selenium.common.exceptions import StaleElementReferenceException
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                value = cond()
            except StaleElementReferenceException:
                value = None
            if value:
                return value
            time.sleep(poll)
        raise TimeoutError(f"{self.name}: {what} within {timeout} s")

    def open(self):
        self.d.get(self.lab.notebook_url(self.name, self.ui))
        self.wait(lambda: self.js("return !!(window.jupyterapp && window.jupyterapp.shell"
                                  " && window.jupyterapp.shell.currentWidget"
                                  " && window.jupyterapp.shell.currentWidget.content)"),
                  90, "JupyterLab did not open the notebook")
        self.js(JS_HELPERS)
        self.wait(lambda: self.js("return optlibLive.ready()"), 90, "the kernel was not ready")

    def run_all(self, timeout=300):
        """Run > Run All Cells, clicked in the menu bar; waits for the last cell."""
        from selenium.webdriver.common.by import By
        self.js("optlibLive.hookRunAll()")
        menus = self.d.find_elements(By.CSS_SELECTOR, ".lm-MenuBar-item")
        run = next(m for m in menus if m.text.strip() == "Run")
        run.click()
        item = self.wait(lambda: [e for e in self.d.find_elements(
            By.CSS_SELECTOR, ".lm-Menu-item[data-command='runmenu:run-all']") if e.is_displayed()],
            10, "the Run menu did not open")[0]
        item.click()
        self.wait(lambda: self.js("return window.__runAll && window.__runAll.done"), timeout,
                  "Run All did not finish", poll=0.5)
        self.wait(lambda: self.js("return optlibLive.kernelIdle()"), 60, "the kernel stayed busy")
        return self.js("return window.__runAll")

    def summary(self):
        return self.js("return optlibLive.summary()")

    def close(self):
        """Close the tab and shut its kernel down: the next notebook gets the machine."""
        with contextlib.suppress(Exception):
            session = self.js("return window.optlibLive ? optlibLive.close() : null")
            if session:
                self.lab.delete_session(session)

    def scroll_to(self, index):
        self.ajs("optlibLive.scrollTo(arguments[0])", index)

    def cell(self, index):
        return self.js("return optlibLive.cellNode(arguments[0])", index)

    def shot(self, label):
        if self.shots is None:
            return None
        self.shots.mkdir(parents=True, exist_ok=True)
        path = self.shots / f"{self.stem}-{label}.png"
        self.d.save_screenshot(str(path))
        return str(path)


def _wait_for_explorer(nb, index, timeout=30):
    from selenium.webdriver.common.by import By

    def found():
        nodes = nb.cell(index).find_elements(By.CSS_SELECTOR, ".optlib-explorer")
        if not nodes:
            return None
        ok = nb.js("const img = arguments[0].querySelector('.optlib-figure img, img.optlib-figure');"
                   "return !!(img && img.complete && img.naturalWidth > 0)", nodes[0])
        return nodes[0] if ok else None
    return nb.wait(found, timeout, f"explorer in cell {index} did not show its figure")


def _drag(driver, handle, dx):
    from selenium.webdriver.common.action_chains import ActionChains
    ActionChains(driver, duration=50).move_to_element(handle).click_and_hold() \
        .move_by_offset(dx // 2, 0).move_by_offset(dx - dx // 2, 0).release().perform()


def _visible_controls(root, css):
    from selenium.webdriver.common.by import By
    return [w for w in root.find_elements(By.CSS_SELECTOR, f".optlib-controls > {css}")
            if w.is_displayed()]


def _label(widget):
    from selenium.webdriver.common.by import By
    labels = widget.find_elements(By.CSS_SELECTOR, ".widget-label, .jupyter-widget-label")
    return labels[0].text.strip() if labels else "?"


def _move_and_time(nb, root, act, what, timeout=20.0):
    """Do ``act()`` (a mouse action ending in a release), wait for the new figure.

    Returns (seconds from the release to the new figure loaded, changed?).
    """
    before = nb.ajs("optlibLive.figureDigest(arguments[0])", root)
    nb.js("optlibLive.armTimer(arguments[0])", root)
    act()
    try:
        t = nb.ajs("optlibLive.waitTimer(arguments[0])", int(timeout * 1000))
    finally:
        nb.js("optlibLive.stopTimer()")
    if not t or t.get("loaded") is None:
        return None, False
    after = nb.ajs("optlibLive.figureDigest(arguments[0])", root)
    start = t["release"] if t["release"] is not None else t["loaded"]
    return (t["loaded"] - start) / 1000.0, after != before


def new_explorer_result(k, cell_index) -> dict:
    return {"index": k, "cell": cell_index, "problems": [], "latencies": [], "shots": [],
            "geometry": {}, "moves": [], "dropdown_seconds": [], "seconds": {}}


def check_explorer_layout(nb, cell_index, result, size):
    """At the current window ``size``: the layout's problems, its geometry, a screenshot."""
    t0 = time.monotonic()
    nb.scroll_to(cell_index)
    root = _wait_for_explorer(nb, cell_index)
    nb.js("arguments[0].scrollIntoView({block: 'center'})", root)
    time.sleep(0.2)
    tag = f"{size[0]}x{size[1]}"
    for p in nb.js("return optlibLive.layout(arguments[0])", root):
        result["problems"].append(f"at {tag}: {p}")
    result["geometry"][tag] = nb.js("return optlibLive.geometry(arguments[0])", root)
    shot = nb.shot(f"explorer{result['index']}-{tag}")
    if shot:
        result["shots"].append(shot)
    result["seconds"][f"layout {tag}"] = time.monotonic() - t0


def check_explorer(nb, cell_index, result, extra_lr_moves=1, full=True):
    """Slider drags and dropdown changes, at the current window size.

    Every visible slider is dragged once (the lr slider ``1 + extra_lr_moves``
    times, back and forth) and every dropdown is set to another choice; each
    must change the figure. ``full=False``: the lr slider only. Fills
    ``result`` (problems, slider latencies, dropdown times, a screenshot).
    """
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    t0 = time.monotonic()
    k = result["index"]
    nb.scroll_to(cell_index)
    root = _wait_for_explorer(nb, cell_index)
    nb.js("arguments[0].scrollIntoView({block: 'center'})", root)
    time.sleep(0.2)

    def record(what, before, after, dt, changed, times):
        result["moves"].append({"what": what, "from": before, "to": after, "seconds": dt})
        if after == before:
            result["problems"].append(f"{what} did not move it ({before})")
        elif dt is None:
            result["problems"].append(f"{what} ({before} -> {after}) drew no new figure")
        elif not changed:
            result["problems"].append(f"{what} ({before} -> {after}) left the figure unchanged")
        else:
            times.append(dt)

    # drag every visible slider as a student would: the lr slider back and forth
    for slider in _visible_controls(root, ".widget-hslider, .jupyter-widget-hslider"):
        name = _label(slider)
        if not full and name != "lr":
            continue
        handle = slider.find_element(By.CSS_SELECTOR, ".noUi-handle")
        track = slider.find_element(By.CSS_SELECTOR, ".slider-container, .noUi-target")
        span = max(20, int(track.size["width"] * 0.2))
        x = handle.location["x"] - track.location["x"]
        sign = 1 if x < track.size["width"] / 2 else -1      # towards the middle
        for move in range(1 + (extra_lr_moves if name == "lr" else 0)):
            dx = sign * span * (1 if move % 2 == 0 else -1)
            before = _readout(slider)
            dt, changed = _move_and_time(nb, root, lambda: _drag(nb.d, handle, dx),
                                         f"dragging {name}")
            record(f"dragging {name}", before, _readout(slider), dt, changed,
                   result["latencies"])
    # every dropdown: another choice
    for dropdown in _visible_controls(root, ".widget-dropdown, .jupyter-widget-dropdown"
                                      ) if full else []:
        name = _label(dropdown)
        select = Select(dropdown.find_element(By.TAG_NAME, "select"))
        first = select.first_selected_option.text
        other = next(o.text for o in select.options if o.text != first)
        dt, changed = _move_and_time(nb, root, lambda c=other: select.select_by_visible_text(c),
                                     f"choosing {name} = {other}")
        record(f"choosing {name}", first, select.first_selected_option.text, dt, changed,
               result["dropdown_seconds"])
        root = _wait_for_explorer(nb, cell_index)
    result["seconds"]["moves"] = time.monotonic() - t0
    if result["latencies"]:
        result["median_latency"] = statistics.median(result["latencies"])
    shot = nb.shot(f"explorer{k}-after-moves")
    if shot:
        result["shots"].append(shot)
    return result


def _readout(slider):
    from selenium.webdriver.common.by import By
    r = slider.find_elements(By.CSS_SELECTOR, ".widget-readout, .jupyter-widget-readout")
    return r[0].text.strip() if r else ""


def check_player(nb, cell_index, k):
    """The first frame must be loaded and given space; the step button must change it.

    Every look at the player finds it again from its cell (optlibLive.playerIn): under
    load JupyterLab re-renders a cell's output as the page scrolls, and an element held
    from one call to the next went stale (two CI runs).
    """
    result = {"index": k, "cell": cell_index, "problems": [], "shots": []}
    nb.scroll_to(cell_index)
    here = "optlibLive.playerIn(arguments[0])"
    # A cell scrolled into view renders its output soon after: within a second or two
    # alone, but beside another browser check the player was still missing after 15 s
    # (23df5ac); a missing player still fails, 45 s later.
    try:
        nb.wait(lambda: nb.js(f"return !!{here}", cell_index), 45, "player")
    except TimeoutError:
        result["problems"].append("no player in the page")
        return result
    nb.js(f"{here}.scrollIntoView({{block: 'center'}})", cell_index)
    try:
        state = nb.wait(lambda: (lambda s: s if s.get("loaded") else None)(
            nb.js(f"return optlibLive.player({here})", cell_index)), 20, "frame")
    except TimeoutError:
        state = nb.js(f"return optlibLive.player({here})", cell_index)
    result["state"] = state
    if not state.get("loaded"):
        result["problems"].append(f"blank: no frame loaded ({state})")
    elif min(state["shown"]) < 50:
        result["problems"].append(f"blank: the frame gets {state['shown']} px")
    shot = nb.shot(f"player{k}")
    if shot:
        result["shots"].append(shot)
    frame = (f"const p = {here}, img = p && p.querySelector('img');"
             " return img ? img.src : null;")
    before = nb.js(frame, cell_index)

    def click_next():                  # the button found and clicked at once, as a reader does
        button = nb.js(f"return {here} && {here}.querySelector(\"button[data-action='next']\")",
                       cell_index)
        if button is not None:
            button.click()
        return button is not None

    if not _again_if_stale(click_next):
        result["problems"].append("no next-frame button")
        return result
    time.sleep(0.1)
    after = nb.js(frame, cell_index)
    if before == after:
        result["problems"].append("the next-frame button did not change the frame")
    return result


#: Controls that are not sliders: their redraws are not slider moves.
DROPDOWNS = ("method", "signal", "surface")


def kernel_redraw_seconds(nb) -> tuple[list, list]:
    """The kernel's part of each redraw after a slider move (optlib.widgets.REDRAW_SECONDS):
    wall-clock seconds, and CPU seconds of the kernel's thread."""
    text = nb.ajs("optlibLive.execute(arguments[0])",
                  "import json, optlib.widgets\n"
                  "print(json.dumps(list(optlib.widgets.REDRAW_SECONDS)))")
    try:
        rows = [row for row in json.loads(text) if row[0] not in DROPDOWNS]
    except (TypeError, ValueError):
        return [], []
    return [row[1] for row in rows], [row[2] for row in rows if len(row) > 2]


def check_myst(nb, finding):
    """Rendered Markdown must show no MyST markup as text, and be rendered by MyST."""
    cells = nb.js("return optlibLive.markdownSummary()")
    for c in cells:
        if c["text"] is None:                     # not rendered yet (windowed out): scroll
            nb.scroll_to(c["index"])
            c["text"] = nb.js("return optlibLive.markdownText(arguments[0])", c["index"])
            if c["text"] is None:
                finding.raw_myst.append((c["index"], "(the cell was not rendered)"))
                continue
        for m in RAW_MYST.finditer(c["text"]):
            line = c["text"][max(0, m.start() - 20):m.end() + 30].replace("\n", " ")
            finding.raw_myst.append((c["index"], line))
    rendered = [c for c in cells if c.get("myst")]
    finding.myst_cells = len(rendered)
    # what a live reader misses (not failures: the book resolves these, MyST in
    # JupyterLab cannot): references it cannot resolve, directives it leaves empty
    for c in rendered:
        finding.unresolved += [f"cell {c['index']}: {t}" for t in c["refs"] + c["citations"]]
        for m in NOT_RENDERED_LIVE.finditer(c["source"]):
            finding.empty_cells.append(f"cell {c['index']}: {m.group(0).strip()}")
    if cells and not rendered:
        finding.raw_myst.append((cells[0]["index"], "no cell rendered by jupyterlab-myst"))


def check_notebook(driver, lab, path, shots: Path | None = None, *, ui="lab", explorers=True,
                   players=True, myst=True, extra_lr_moves=1, full=True) -> Finding:
    """Open, Run All, and check one notebook (see the module's docstring).

    ``full=False`` checks each explorer at 1280 x 800 with its lr slider only.
    """
    t0 = time.monotonic()
    set_viewport(driver, SIZES[0])
    nb = Notebook(driver, lab, path, shots, ui=ui)
    finding = Finding(notebook=nb.name if ui == "lab" else f"{nb.name} (Notebook 7)")
    try:
        _check_open_notebook(nb, finding, t0, explorers=explorers, players=players, myst=myst,
                             extra_lr_moves=extra_lr_moves, full=full)
    except Exception as error:          # reported as the notebook's error, the run goes on
        finding.errors.append(f"the check stopped: {type(error).__name__}: "
                              f"{str(error).splitlines()[0] if str(error) else ''}")
    finally:
        nb.close()
    finding.seconds = time.monotonic() - t0
    return finding


def _again_if_stale(check, *args, tries=3, before_retry=None):
    """``check(*args)``, again (up to ``tries`` times) when JupyterLab re-rendered an element
    the check held (a StaleElementReferenceException: the page, not the book, moved on; a
    loaded machine makes it likelier). ``before_retry()`` undoes a partial result."""
    from selenium.common.exceptions import StaleElementReferenceException
    for attempt in range(tries):
        try:
            return check(*args)
        except StaleElementReferenceException:
            if attempt == tries - 1:
                raise
            time.sleep(0.5)
            if before_retry is not None:
                before_retry()


def _check_open_notebook(nb, finding, t0, *, explorers, players, myst, extra_lr_moves, full):
    nb.open()
    run = nb.run_all()
    finding.run_seconds = time.monotonic() - t0
    if "error" in run:
        finding.errors.append(f"Run All failed: {run['error']}")
    cells = nb.summary()
    for c in cells:
        if c["type"] != "code":
            continue
        if c["count"] is None:
            finding.errors.append(f"cell {c['index']} did not run: {c['source'][:60]!r}")
        for o in c["outputs"]:
            if o["type"] == "error":
                finding.errors.append(f"cell {c['index']} raised {o['ename']}: {o['evalue']}")
    widget_mime = "application/vnd.jupyter.widget-view+json"
    explorer_cells = [c["index"] for c in cells if c["type"] == "code" and
                      any(widget_mime in o["mimes"] for o in c["outputs"])]
    player_cells = [c["index"] for c in cells if c["type"] == "code" and
                    any(o["html"] for o in c["outputs"])]
    t = time.monotonic()
    if players:
        for k, i in enumerate(player_cells):
            finding.players.append(_again_if_stale(check_player, nb, i, k))
    finding.phase_seconds["players"] = time.monotonic() - t
    t = time.monotonic()
    if explorers and explorer_cells:
        results = [new_explorer_result(k, i) for k, i in enumerate(explorer_cells)]
        finding.explorers = results
        # each window size once for all explorers (a resize relays out the whole page)
        for size in SIZES if full else SIZES[:1]:
            set_viewport(nb.d, size)
            time.sleep(0.3)
            for i, e in zip(explorer_cells, results):
                try:
                    _again_if_stale(check_explorer_layout, nb, i, e, size)
                except Exception as error:          # this explorer's problem; go on
                    e["problems"].append(f"at {size[0]}x{size[1]}: {type(error).__name__}: "
                                         f"{str(error).splitlines()[0] if str(error) else ''}")
        set_viewport(nb.d, SIZES[0])
        for i, e in zip(explorer_cells, results):
            def restart(e=e):
                for key in ("latencies", "moves", "dropdown_seconds"):
                    e[key].clear()
            try:
                _again_if_stale(check_explorer, nb, i, e, extra_lr_moves, full,
                                before_retry=restart)
            except Exception as error:              # this explorer's problem; go on
                e["problems"].append(f"{type(error).__name__}: "
                                     f"{str(error).splitlines()[0] if str(error) else ''}")
            finding.latencies += e["latencies"]
        finding.kernel_seconds, finding.kernel_cpu_seconds = kernel_redraw_seconds(nb)
    finding.phase_seconds["explorers"] = time.monotonic() - t
    t = time.monotonic()
    if myst:
        check_myst(nb, finding)
    finding.phase_seconds["myst"] = time.monotonic() - t
    finding.complete = True


def check_player_page(driver, out: Path) -> list[str]:
    """The player's script on a plain page (as on the book's site): buttons, slider, modes.

    Returns the problems found; saves ``player-page.png``.
    """
    from io import BytesIO

    from PIL import Image
    from selenium.webdriver.common.by import By

    sys.path.insert(0, str(ROOT))
    from optlib.animation import player_html

    def png(i):
        b = BytesIO()
        Image.new("RGB", (120, 80), (40 * i, 200 - 40 * i, 90)).save(b, format="png")
        return b.getvalue()

    n = 5
    page = out / "player-page.html"
    page.write_text("<!doctype html><html><body>"
                    + player_html([png(i) for i in range(n)], (120, 80), interval=40,
                                  default_mode="loop", alt="test")
                    + player_html([png(i) for i in range(3)], (120, 80), interval=40,
                                  default_mode="once", alt="second")
                    + "</body></html>")
    set_viewport(driver, SIZES[0])
    driver.get(page.as_uri())
    problems = []
    first, second = driver.find_elements(By.CSS_SELECTOR, ".optlib-player")

    def state(root):
        return driver.execute_script(
            "const r = arguments[0], img = r.querySelector('img');"
            "return [r.querySelector('.optlib-player-counter').textContent, img.src.length,"
            " img.complete && img.naturalWidth, Math.round(img.getBoundingClientRect().height),"
            " r.querySelector('input[type=range]').value]", root)

    def click(root, action):
        root.find_element(By.CSS_SELECTOR, f"button[data-action='{action}']").click()

    counter, _, natural, height, _ = state(first)
    if counter != f"1 / {n}" or not natural or height < 70:
        problems.append(f"first frame not shown: {state(first)}")
    click(first, "next")
    if state(first)[0] != f"2 / {n}":
        problems.append(f"next: {state(first)[0]}")
    click(first, "last")
    if state(first)[0] != f"{n} / {n}" or state(first)[4] != str(n - 1):
        problems.append(f"last: {state(first)}")
    click(first, "previous")
    if state(first)[0] != f"{n - 1} / {n}":
        problems.append(f"previous: {state(first)[0]}")
    click(first, "first")
    if state(first)[0] != f"1 / {n}":
        problems.append(f"first: {state(first)[0]}")
    if state(second)[0] != "1 / 3":
        problems.append("the second player moved with the first")
    # play in loop mode: it must pass the last frame and start again
    click(first, "play")
    seen = set()
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline and len(seen) < n + 1:
        c = state(first)[0]
        if seen and c == f"1 / {n}" and f"{n} / {n}" in seen:
            seen.add("wrapped")
        seen.add(c)
        time.sleep(0.01)
    click(first, "pause")
    if "wrapped" not in seen and f"{n} / {n}" not in seen:
        problems.append(f"play did not run through the frames: saw {sorted(seen)}")
    paused = state(first)[0]
    time.sleep(0.2)
    if state(first)[0] != paused:
        problems.append("pause did not stop the player")
    # once mode: play stops at the last frame
    click(second, "play")
    time.sleep(0.6)
    if state(second)[0] != "3 / 3":
        problems.append(f"once: {state(second)[0]}")
    # the slider
    slider = first.find_element(By.CSS_SELECTOR, "input[type=range]")
    driver.execute_script("arguments[0].value = 3;"
                          "arguments[0].dispatchEvent(new Event('input'))", slider)
    if state(first)[0] != f"4 / {n}":
        problems.append(f"slider: {state(first)[0]}")
    driver.save_screenshot(str(out / "player-page.png"))
    return problems


@contextlib.contextmanager
def session(notebooks, log=None):
    """A JupyterLab serving ``notebooks`` and a browser; both stopped on exit."""
    lab = Lab(notebooks, log=log)
    try:
        driver = start_browser()
        try:
            yield lab, driver
        finally:
            stop_browser(driver)
    finally:
        lab.close()


def latency_summary(latencies) -> str:
    if not latencies:
        return "no slider move timed"
    xs = sorted(latencies)
    return (f"median {statistics.median(xs):.3f} s over {len(xs)} moves "
            f"(min {xs[0]:.3f}, max {xs[-1]:.3f})")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("notebooks", nargs="*", help="default: every chapter of _toc.yml")
    ap.add_argument("--out", default=str(ROOT / "_build" / "live"),
                    help="screenshots and report.json go here")
    args = ap.parse_args(argv)
    paths = notebooks_from(" ".join(args.notebooks)) if args.notebooks else chapters()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    findings = []
    with session(paths, log=out / "lab.log") as (lab, driver):
        for problem in check_player_page(driver, out):
            print("player page:", problem)
        runs = [(p, "lab") for p in paths] + [(lab.root / "chapters" / DEMO, "notebook")]
        for p, ui in runs:
            f = check_notebook(driver, lab, p, out, ui=ui, full=ui == "lab")
            findings.append(f)
            print(f"{f.notebook}: {len(f.explorers)} explorers, {len(f.players)} players, "
                  f"{f.seconds:.0f} s; {latency_summary(f.latencies)}")
            if f.kernel_seconds:
                print(f"    of which in the kernel: {latency_summary(f.kernel_seconds)}; "
                      f"its CPU: {latency_summary(f.kernel_cpu_seconds)}")
            for problem in f.problems():
                print("   ", problem)
            for note in f.empty_cells + f.unresolved:
                print("    (read live)", note)
    all_lat = [x for f in findings for x in f.latencies]
    print("slider release -> new figure:", latency_summary(all_lat))
    (out / "report.json").write_text(json.dumps([asdict(f) for f in findings], indent=1))
    return 1 if any(f.problems() for f in findings) else 0


if __name__ == "__main__":
    sys.exit(main())
