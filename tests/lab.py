"""The course in JupyterLab, in a real browser, as a student sees it: what tests/test_lab.py drives.

``server(...)`` starts JupyterLab on 127.0.0.1 (a free port, a random token, the repository as its root,
DENDRITIC_QUICK=1, the inline matplotlib backend, autosave off, its own Jupyter folders), ``open_lab(...)``
opens it in Chromium at 1366 x 768 with the file browser open, and ``check_notebook(...)`` drives one
notebook the way a student does and returns what went wrong, one line per problem:

1. Run All (the Run menu), then wait until the kernel is idle and every code cell has an execution count.
   Where Run All stops at an error, that is a problem, and the rest is run from the next cell (Run All
   Below) so that every later check still sees the notebook's demos.
2. Scroll to every cell: no error output (an error, a traceback, stderr that reads like an exception, also
   inside a widget's output), no widget error ("Error displaying widget", "Model not found", ...), every
   widget rendered, every image loaded with a size.
3. Every animation (``dendritic.animation``'s player, or matplotlib's ``to_jshtml``) shows its first frame
   before any interaction, and its frame changes after one click on Play.
4. Every output that holds ipywidgets controls (an interactive demo): one control after another (sliders by
   dragging the handle, dropdowns by choosing another option, then checkboxes and buttons) is changed
   until the plot the output shows changes (its images; its text where it has no image). None: a problem.
5. Layout: every widget's description, readout and button text is fully visible (scrollWidth against
   clientWidth), no control reaches outside the notebook panel or a clipping box, every enabled control
   can be clicked (nothing covers it).

Screenshots of what failed go to build/lab-screenshots/<notebook>-<what>.png (the message names them).
With ``gallery=True`` each demo's output before and after its control changed, and each animation's
first frame, are written to docs/gallery/ as small JPEGs.
"""

import contextlib
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "build" / "lab-screenshots"
GALLERY = ROOT / "docs" / "gallery"
GALLERY_BUDGET = 1_000_000  # bytes, all of docs/gallery together
GALLERY_WIDTH, GALLERY_QUALITY = 760, 60  # px, JPEG quality
VIEWPORT = {"width": 1366, "height": 768}

# Timeouts, seconds. Generous (the machine has 2 shared cores) but bounded.
START_TIMEOUT = 90     # JupyterLab answers, the page has loaded, a notebook's kernel has started
RUN_TIMEOUT = 300      # Run All of one notebook in quick mode (they take 5-40 s)
SETTLE = 2.5           # a kernel idle this long with no cell running has finished what it was given
RENDER_TIMEOUT = 15    # a cell's widgets and images to render once the cell is scrolled into view
DEMO_TIMEOUT = 60      # a demo to redraw after a control changed (it may train a network)
NO_EFFECT = 3          # ... unless the kernel has stayed idle this long and nothing changed
FIRST_FRAME_TIMEOUT = 3  # an animation's first frame to show once its cell is on the screen
PLAY_TIMEOUT = 5       # an animation's frame to change after one click on Play
HUMAN_PAUSE = 0.3      # between seeing a button and clicking it
CLICK_TIMEOUT = 2500   # ms: a control that cannot be clicked by then is covered, hidden or disabled

WIDGET_ERRORS = ["Error displaying widget", "Failed to load model class", "Model not found",
                 "A Jupyter widget could not be displayed"]

# In the page: window.labTest. Cells are found through JupyterLab's own notebook widget (window.jupyterapp,
# exposed by --expose-app-in-browser); what is checked is the DOM the student sees.
HELPERS = r"""
window.labTest = (() => {
  const EXCEPTION = /Traceback \(most recent call last\)|^\s*[A-Za-z_][\w.]*(Error|Exception)\b(:.*)?$/m;
  const WIDGET_ERRORS = %(widget_errors)s;
  const WIDGET_VIEW = "application/vnd.jupyter.widget-view+json";
  const CONTROLS = ".widget-slider, .widget-dropdown, .widget-select, .widget-radio, .widget-toggle-buttons, " +
                   ".widget-checkbox, .widget-button, .widget-toggle-button, .widget-text, .widget-textarea";
  const PLAYERS = ".dendritic-player, .animation";

  function panel(path) {
    for (const w of window.jupyterapp.shell.widgets("main")) {
      if (w.context && w.context.path === path && w.content && w.content.widgets) return w;
    }
    throw new Error("no notebook open at " + path);
  }
  function kernelStatus(p) {
    const k = p.sessionContext.session && p.sessionContext.session.kernel;
    return k ? k.status : "none";
  }
  function lastLine(text) {
    const lines = String(text).split("\n").map(l => l.trim()).filter(l => l);
    const exc = lines.filter(l => EXCEPTION.test(l) && !/^Traceback/.test(l));
    return (exc.length ? exc[exc.length - 1] : lines[lines.length - 1] || "").replace(/\x1b\[[0-9;]*m/g, "").slice(0, 200);
  }
  function hash(s) {
    let h = 0x811c9dc5;
    for (let i = 0; i < s.length; i++) { h ^= s.charCodeAt(i); h = Math.imul(h, 0x01000193); }
    return (h >>> 0).toString(16) + ":" + s.length;
  }
  function visible(el) {
    const r = el.getBoundingClientRect(), cs = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && cs.visibility !== "hidden" && cs.display !== "none";
  }
  function firstLine(cell) {
    return (cell.model.sharedModel.getSource().split("\n").find(l => l.trim()) || "").trim().slice(0, 70);
  }

  function state(path) {
    const p = panel(path), cells = p.content.widgets;
    let code = 0, executed = 0, running = 0, next = -1;
    const errors = [];
    cells.forEach((c, i) => {
      if (c.model.type !== "code") return;
      code++;
      if (c.model.executionCount !== null) executed++;
      else if (next < 0) next = i;
      if (c.model.executionState === "running") running++;
      for (const o of c.model.outputs.toJSON()) if (o.output_type === "error") errors.push(i);
    });
    return {status: kernelStatus(p), code, executed, running, next, errors, dirty: p.context.model.dirty};
  }

  async function scrollTo(path, i) {
    const p = panel(path);
    await p.content.scrollToItem(i, "start");
    const cell = p.content.widgets[i];
    cell.node.dataset.labtestCell = String(i);
    await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
    return cell.model.type === "code" && cell.model.outputs.length > 0;
  }

  // What one cell shows: errors, widget errors, unrendered widgets, broken images, players and demos.
  function inspect(path, i) {
    const p = panel(path), cell = p.content.widgets[i], node = cell.node;
    node.dataset.labtestCell = String(i);
    const out = {first: firstLine(cell), errors: [], widgetErrors: [], unrendered: 0, images: [], loading: 0,
                 players: [], demos: []};
    if (cell.model.type !== "code") return out;
    const area = node.querySelector(".jp-Cell-outputArea");
    const outputs = cell.model.outputs.toJSON();
    for (const o of outputs) {
      if (o.output_type === "error") out.errors.push(o.ename + ": " + lastLine(o.evalue));
      if (o.output_type === "stream" && o.name === "stderr" && EXCEPTION.test(o.text)) out.errors.push(lastLine(o.text));
    }
    if (!area) return out;
    // stderr inside widgets' Output areas (a demo whose callback raised) is not in the cell's model
    area.querySelectorAll(".widget-output [data-mime-type='application/vnd.jupyter.stderr']").forEach(e => {
      if (EXCEPTION.test(e.textContent)) out.errors.push("in a widget: " + lastLine(e.textContent));
    });
    const text = area.textContent;
    for (const message of WIDGET_ERRORS) if (text.includes(message)) out.widgetErrors.push(message);
    if (area.querySelector(".jupyter-widgets-error-widget") && !out.widgetErrors.length)
      out.widgetErrors.push("a widget shows an error");
    const children = Array.from(area.children).filter(c => c.classList.contains("jp-OutputArea-child"));
    // A widget output shows the widget; text in its place is the fallback of a page that could not render
    // it (an empty place is a widget the kernel closed, e.g. a finished progress bar).
    outputs.forEach((o, k) => {
      if (!(o.data && o.data[WIDGET_VIEW])) return;
      const child = children[k];
      if (!child || (!child.querySelector(".jupyter-widgets, .jupyter-widgets-error-widget") &&
                     child.textContent.trim())) out.unrendered++;
    });
    area.querySelectorAll("img").forEach(img => {
      if (img.dataset.do === "overlay") return;  // the player's frame overlay: empty until Play
      if (img.closest(".animation") && !img.getAttribute("src")) return;  // matplotlib's player: checked below
      if (!img.complete) { out.loading++; return; }
      const r = img.getBoundingClientRect();
      if (!img.naturalWidth || r.width < 1 || r.height < 1)
        out.images.push(`${img.alt || (img.currentSrc || img.src || "").slice(0, 40) || "an image"} ` +
                        `(${img.naturalWidth}x${img.naturalHeight} px, shown ${Math.round(r.width)}x${Math.round(r.height)})`);
    });
    area.querySelectorAll(PLAYERS).forEach((player, k) => {
      const id = `${i}.${k}`;
      player.dataset.labtestPlayer = id;
      const dendritic = player.classList.contains("dendritic-player");
      const img = dendritic ? player.querySelector("img:not([data-do=overlay])") : player.querySelector("img");
      const play = dendritic ? player.querySelector("[data-do=play]") : player.querySelector("button[title=Play]");
      if (img) img.dataset.labtestFrame = id;
      if (play) play.dataset.labtestPlay = id;
      const r = img ? img.getBoundingClientRect() : {width: 0, height: 0};
      out.players.push({id, kind: dendritic ? "dendritic.animation player" : "matplotlib to_jshtml player",
                        frame: !!img, play: !!play, complete: img ? img.complete : false,
                        natural: img ? [img.naturalWidth, img.naturalHeight] : [0, 0],
                        shown: [Math.round(r.width), Math.round(r.height)],
                        size_in_html: img ? (img.hasAttribute("width") && img.hasAttribute("height")) : false});
    });
    children.forEach((child, k) => {
      const controls = Array.from(child.querySelectorAll(CONTROLS)).filter(c => !c.closest(PLAYERS));
      if (!controls.length) return;
      const id = `${i}.${k}`;
      child.dataset.labtestDemo = id;
      // what the demo shows: an image, a canvas, an Output widget or an HTML readout (else: controls only)
      const shows = !!child.querySelector("img, canvas, .widget-output, .widget-html-content");
      out.demos.push({id, shows, controls: controls.map((c, j) => {
        c.dataset.labtestControl = `${id}.${j}`;
        return describe(c);
      })});
    });
    return out;
  }

  function describe(c) {
    const kind = c.classList.contains("widget-slider") ? "slider"
      : c.classList.contains("widget-dropdown") || c.classList.contains("widget-select") ? "dropdown"
      : c.classList.contains("widget-checkbox") ? "checkbox"
      : c.classList.contains("widget-button") || c.classList.contains("widget-toggle-button") ? "button"
      : "other";
    const label = c.querySelector(".widget-label");
    const name = ((label && label.textContent.trim()) || c.textContent.trim() ||
                  c.getAttribute("title") || kind).slice(0, 40);
    const disabled = kind === "slider" ? !!c.querySelector(".noUi-target[disabled]") :
      !!(c.matches("button, select, input") ? c.disabled : c.querySelector(":disabled"));
    return {id: c.dataset.labtestControl, kind, name, disabled, shown: visible(c)};
  }

  // Layout of one demo output: text cut off, controls outside what the notebook shows, hidden controls.
  function layout(id) {
    const root = document.querySelector(`[data-labtest-demo="${id}"]`);
    if (!root) return ["the demo's output is gone from the page"];
    const stop = root.closest(".jp-NotebookPanel") || document.body;
    const problems = [];
    const name = el => {
      const control = el.closest("[data-labtest-control]");
      const label = control && control.querySelector(".widget-label");
      return (label && label.textContent.trim()) || (control && control.textContent.trim().slice(0, 30)) ||
             el.textContent.trim().slice(0, 30) || el.className;
    };
    // Text that must be read whole: descriptions, readouts, button captions.
    root.querySelectorAll(".widget-label, .widget-readout, .widget-label-basic, .jupyter-button").forEach(el => {
      if (!visible(el) || !el.textContent.trim() || el.closest(PLAYERS)) return;
      if (el.scrollWidth > el.clientWidth + 1) {
        const what = el.classList.contains("widget-readout") ? "readout" :
                     el.classList.contains("jupyter-button") ? "button caption" : "description";
        problems.push(`${what} of '${name(el)}' is cut off: "${el.textContent.trim()}" needs ${el.scrollWidth} px, ` +
                      `has ${el.clientWidth} px`);
      }
    });
    // Every control inside every box that clips it, and inside the notebook panel.
    root.querySelectorAll("[data-labtest-control], .widget-readout, .widget-label, .jupyter-button, select, .noUi-handle")
      .forEach(el => {
        if (!visible(el) || el.closest(PLAYERS)) return;
        const r = el.getBoundingClientRect();
        for (let a = el.parentElement; a; a = a.parentElement) {
          const cs = getComputedStyle(a), b = a.getBoundingClientRect();
          const clipsX = a === stop || cs.overflowX !== "visible";
          const clipsY = cs.overflowY === "hidden" || cs.overflowY === "clip";
          if ((clipsX && (r.left < b.left - 1 || r.right > b.right + 1)) ||
              (clipsY && (r.top < b.top - 1 || r.bottom > b.bottom + 1))) {
            const kind = el.matches("button, .jupyter-button") ? "button" : el.matches("select") ? "dropdown"
              : el.matches(".noUi-handle") ? "slider handle" : el.matches(".widget-readout") ? "readout"
              : el.matches(".widget-label") ? "description" : "control";
            problems.push(`'${name(el)}' (${kind}) reaches outside ` +
                          `${a === stop ? "the notebook panel" : "a box that clips it (" + (a.className.split(" ").slice(-1)[0] || a.tagName) + ")"}: ` +
                          `x ${Math.round(r.left)}..${Math.round(r.right)}, visible ${Math.round(b.left)}..${Math.round(b.right)}`);
            break;
          }
          if (a === stop) break;
        }
      });
    return [...new Set(problems)];
  }

  // What a demo's output shows: its images (and canvases); its text where it has no image.
  function signature(id) {
    const root = document.querySelector(`[data-labtest-demo="${id}"]`);
    if (!root) return {n: 0, plots: "", text: "gone"};
    const images = Array.from(root.querySelectorAll("img")).filter(x => !x.closest(PLAYERS))
      .map(x => hash(x.currentSrc || x.src || ""));
    const canvases = Array.from(root.querySelectorAll("canvas")).map(c => {
      try { return hash(c.toDataURL()); } catch (e) { return "canvas"; }
    });
    const texts = Array.from(root.querySelectorAll(".widget-output .jp-OutputArea-output, .widget-html-content"))
      .filter(e => !e.querySelector("img")).map(e => e.textContent.trim()).join("\n");
    const plots = images.concat(canvases);
    return {n: plots.length, plots: plots.join(" "), text: hash(texts)};
  }

  // The images of a demo that are (nearly) blank: under half a percent of their pixels drawn dark and opaque.
  // A matplotlib figure has several percent (axes, ticks, data); an empty one only its tick labels.
  async function blankPlots(id) {
    const root = document.querySelector(`[data-labtest-demo="${id}"]`);
    if (!root) return [];
    const images = Array.from(root.querySelectorAll("img")).filter(x => !x.closest(PLAYERS));
    const blank = [];
    for (const [i, img] of images.entries()) {
      try { await img.decode(); } catch (e) { blank.push(i); continue; }
      const scale = Math.min(1, 400 / Math.max(1, img.naturalWidth));
      const w = Math.max(1, Math.round(img.naturalWidth * scale)), h = Math.max(1, Math.round(img.naturalHeight * scale));
      const canvas = document.createElement("canvas");
      canvas.width = w; canvas.height = h;
      const context = canvas.getContext("2d");
      context.drawImage(img, 0, 0, w, h);
      const data = context.getImageData(0, 0, w, h).data;
      let ink = 0;
      for (let k = 0; k < data.length; k += 4)
        if (data[k + 3] > 128 && data[k] + data[k + 1] + data[k + 2] < 600) ink++;
      if (ink / (w * h) < 0.005) blank.push(i);
    }
    return blank;
  }

  function sliderValue(controlId) {
    const handle = document.querySelector(`[data-labtest-control="${controlId}"] .noUi-handle`);
    return handle ? handle.getAttribute("aria-valuenow") : null;
  }

  return {panel, state, scrollTo, inspect, layout, signature, blankPlots, sliderValue, kernelStatus, hash};
})();
""" % {"widget_errors": json.dumps(WIDGET_ERRORS)}


# --- the server -------------------------------------------------------------------------------------------

def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _settings(folder):
    """User settings of the test's JupyterLab: no autosave (the test never writes a notebook), no news."""
    for plugin, values in {
        "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
        "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    }.items():
        path = folder / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))


@contextlib.contextmanager
def server(home, root=ROOT):
    """JupyterLab on 127.0.0.1 serving ``root``, its Jupyter folders under ``home``: yields (url, token)."""
    home = Path(home)
    _settings(home / "settings")
    port, token = _free_port(), secrets.token_hex(16)
    env = {key: value for key, value in os.environ.items() if key != "MPLBACKEND"}  # the inline backend
    env.update(DENDRITIC_QUICK="1", PYTHONUNBUFFERED="1",
               JUPYTER_CONFIG_DIR=str(home / "config"), JUPYTER_DATA_DIR=str(home / "data"),
               JUPYTER_RUNTIME_DIR=str(home / "runtime"), IPYTHONDIR=str(home / "ipython"))
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
               "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
               "--expose-app-in-browser", f"--LabApp.user_settings_dir={home / 'settings'}",
               f"--LabApp.workspaces_dir={home / 'workspaces'}", "--LabApp.extension_manager=readonly",
               f"--FileCheckpoints.root_dir={home / 'checkpoints'}"]  # no .ipynb_checkpoints in the repository
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    log = open(home / "server.log", "wb")
    process = subprocess.Popen(command, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with status {process.returncode}:\n{_tail(home / 'server.log')}")
            try:
                with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=5) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"JupyterLab did not answer within {START_TIMEOUT} s:\n{_tail(home / 'server.log')}")
            time.sleep(0.5)
        yield url, token
    finally:
        with contextlib.suppress(OSError):  # shuts its kernels down too
            urllib.request.urlopen(urllib.request.Request(f"{url}/api/shutdown?token={token}", method="POST"),
                                   timeout=10).close()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log.close()


def _tail(path, lines=30):
    return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])


# --- the page ---------------------------------------------------------------------------------------------

def open_lab(browser, url, token):
    """A page of JupyterLab at 1366 x 768 with the file browser open; page.lab_messages collects console errors."""
    page = browser.new_page(viewport=VIEWPORT)
    page.lab_messages = []
    page.on("console", lambda m: page.lab_messages.append(m.text[:300]) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.lab_messages.append(f"uncaught: {str(e)[:300]}"))
    page.add_init_script(HELPERS)
    page.goto(f"{url}/lab?token={token}", timeout=START_TIMEOUT * 1000)
    page.wait_for_function("() => window.jupyterapp && window.labTest", timeout=START_TIMEOUT * 1000)
    page.evaluate("async () => { await window.jupyterapp.restored; }")
    page.evaluate("async () => { await window.jupyterapp.commands.execute('filebrowser:activate'); }")
    page.wait_for_selector("#filebrowser", state="visible", timeout=START_TIMEOUT * 1000)
    return page


# --- one notebook -----------------------------------------------------------------------------------------

class Checker:
    """Drives one notebook in the page and collects problems (strings) and screenshots."""

    def __init__(self, page, path, screenshots=SCREENSHOTS, gallery=None):
        self.page, self.path = page, str(path)
        self.name = Path(path).stem
        self.problems, self.shots = [], []
        self.screenshots, self.gallery = Path(screenshots), gallery
        self.cells = {}  # cell index -> what inspect saw
        self.timings = {}
        self.done = []  # what was checked, for the test's output

    # helpers ------------------------------------------------------------------------------------------
    def js(self, expression, *args):
        return self.page.evaluate(expression, list(args) if args else None)

    def state(self):
        return self.js("([p]) => labTest.state(p)", self.path)

    def problem(self, message, shot=None, element=None):
        if shot:
            path = self.screenshot(shot, element)
            message += f" [screenshot: {path}]"
        self.problems.append(message)

    def screenshot(self, what, element=None):
        self.screenshots.mkdir(parents=True, exist_ok=True)
        path = self.screenshots / f"{self.name}-{what}.png"
        try:
            if element is not None:
                element.screenshot(path=str(path), timeout=10_000)
            else:
                self.page.screenshot(path=str(path))
        except Exception:  # an element that went away: the whole page says more than nothing
            self.page.screenshot(path=str(path))
        self.shots.append(path)
        return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path

    def cell_label(self, i):
        first = self.cells.get(i, {}).get("first") or self.js(
            "([p, i]) => (labTest.panel(p).content.widgets[i].model.sharedModel.getSource().split('\\n')"
            ".find(l => l.trim()) || '').trim().slice(0, 70)", self.path, i)
        return f"cell {i + 1} ({first!r})"

    # 1. open and Run All ------------------------------------------------------------------------------
    def open(self):
        self.js("async ([p]) => { await window.jupyterapp.commands.execute('docmanager:open', {path: p}); }", self.path)
        self.page.wait_for_function(
            """([p]) => { try { const w = labTest.panel(p); return w.context.isReady && w.sessionContext.isReady
                && labTest.kernelStatus(w) === 'idle'; } catch (e) { return false; } }""",
            arg=[self.path], timeout=START_TIMEOUT * 1000)
        dialog = self.page.locator(".jp-Dialog")
        if dialog.count():
            self.problem(f"a dialog opened with the notebook: {dialog.first.inner_text()[:200]!r}", "dialog")
            self.page.keyboard.press("Escape")

    def run_all(self):
        """Run All from the Run menu; where it stops at an error, run the rest (Run All Below)."""
        start = time.monotonic()
        self.page.get_by_role("menuitem", name="Run", exact=True).click()
        self.page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
        idle_since, resumed, state = None, set(), self.state()
        while True:
            state, now = self.state(), time.monotonic()
            quiet = state["status"] == "idle" and state["running"] == 0
            idle_since = (idle_since or now) if quiet else None
            if state["executed"] == state["code"] and idle_since and now - idle_since >= 0.5:
                break
            # stopped: idle, with cells left and an error before them (at once), or with no reason seen (SETTLE)
            errored = any(e < state["next"] for e in state["errors"]) and state["next"] >= 0
            if idle_since and now - idle_since >= (0.75 if errored else SETTLE):
                stopped_at = state["next"]
                if stopped_at in resumed:
                    self.problem(f"{self.cell_label(stopped_at)} does not run (Run All Below did not start it)",
                                 "run-all")
                    break
                before = [e for e in state["errors"] if e < stopped_at]
                why = f" after the error in {self.cell_label(before[-1])}" if before else ""
                self.problem(f"Run All stopped before {self.cell_label(stopped_at)}{why}",
                             f"run-all-stopped-cell{stopped_at + 1}")
                resumed.add(stopped_at)
                self.js("""([p, i]) => { const w = labTest.panel(p); w.content.activeCellIndex = i;
                           window.jupyterapp.commands.execute('notebook:run-all-below'); }""",
                        self.path, stopped_at)
                idle_since = None
            if now - start > RUN_TIMEOUT:
                self.problem(f"Run All did not finish within {RUN_TIMEOUT} s: {state['executed']} of "
                             f"{state['code']} code cells ran, kernel {state['status']}", "run-all-timeout")
                self.js("([p]) => labTest.panel(p).sessionContext.session.kernel.interrupt()", self.path)
                break
            time.sleep(0.25)
        self.timings["run all"] = time.monotonic() - start

    # 2. every cell, scrolled to --------------------------------------------------------------------------
    def inspect_cells(self):
        count = self.js("([p]) => labTest.panel(p).content.widgets.length", self.path)
        for i in range(count):
            if not self.js("([p, i]) => labTest.scrollTo(p, i)", self.path, i):
                continue
            start = time.monotonic()
            while True:
                seen = self.js("([p, i]) => labTest.inspect(p, i)", self.path, i)
                waited = time.monotonic() - start
                waiting = seen["unrendered"] or seen["loading"] or not all(p["complete"] for p in seen["players"]) or (
                    waited < FIRST_FRAME_TIMEOUT and not all(p["natural"][0] for p in seen["players"]))
                if not waiting or waited > RENDER_TIMEOUT:
                    break
                time.sleep(0.25)
            self.cells[i] = seen
            cell = self.page.locator(f'[data-labtest-cell="{i}"] .jp-Cell-outputArea')
            label = self.cell_label(i)
            for error in dict.fromkeys(seen["errors"]):
                self.problem(f"{label} shows an error: {error}", f"cell{i + 1}-error", cell)
            for error in seen["widgetErrors"]:
                self.problem(f"{label}: widget error {error!r}", f"cell{i + 1}-widget-error", cell)
            if seen["unrendered"]:
                self.problem(f"{label}: {seen['unrendered']} widget(s) not displayed after {RENDER_TIMEOUT} s",
                             f"cell{i + 1}-widget-missing", cell)
            if seen["loading"]:
                self.problem(f"{label}: {seen['loading']} image(s) still loading after {RENDER_TIMEOUT} s",
                             f"cell{i + 1}-image-loading", cell)
            for image in seen["images"]:
                self.problem(f"{label}: an image shows nothing: {image}", f"cell{i + 1}-image", cell)
            for player in seen["players"]:
                self.check_first_frame(i, player)
            for demo in seen["demos"]:
                self.check_layout(demo, "layout")

    # 3. animations ---------------------------------------------------------------------------------------
    def check_first_frame(self, i, player):
        """Before any interaction: the first frame is there, loaded, with a size (and, for ours, its size in the HTML)."""
        where, element = f"{self.cell_label(i)}: the {player['kind']}", self.player(player["id"])
        shot = f"cell{i + 1}-animation-first-frame"
        if not player["frame"] or not player["complete"] or not player["natural"][0]:
            self.problem(f"{where} shows no first frame after Run All (image {player['natural'][0]}x"
                         f"{player['natural'][1]} px, loaded: {player['complete']})", shot, element)
        elif player["shown"][0] < 1 or player["shown"][1] < 1:
            self.problem(f"{where}: its first frame is shown {player['shown'][0]}x{player['shown'][1]} px", shot, element)
        elif player["kind"].startswith("dendritic") and not player["size_in_html"]:
            self.problem(f"{where}: its first frame has no width and height in the HTML (the page jumps as it "
                         "loads, and a click aimed at Play misses)", shot, element)
        else:
            self.done.append(f"cell {i + 1}: {player['kind']} shows its first frame ({player['natural'][0]}x"
                             f"{player['natural'][1]} px, shown {player['shown'][0]}x{player['shown'][1]})")
            if self.gallery is not None:
                self.gallery.add(f"{self.name}-animation{len(self.gallery.names(self.name, 'animation')) + 1}", element)

    def player(self, id_):
        return self.page.locator(f'[data-labtest-player="{id_}"]')

    def check_play(self, i, player):
        """One click on Play, aimed as a person aims (at where the button is, a moment after seeing it)."""
        where = f"{self.cell_label(i)}: the {player['kind']}"
        if not player["play"]:
            self.problem(f"{where} has no Play button", f"cell{i + 1}-animation-play", self.player(player["id"]))
            return
        shot = f"cell{i + 1}-animation-play"
        # Scrolled as a reader does: the whole player in view, or as much of it as fits above its buttons.
        box = self.js("""async ([id]) => {
            const player = document.querySelector(`[data-labtest-player="${id}"]`);
            const frame = player.querySelector(`[data-labtest-frame="${id}"]`);
            const button = player.querySelector(`[data-labtest-play="${id}"]`);
            player.scrollIntoView({block: "end"});
            await new Promise(r => setTimeout(r, 300));
            const view = player.closest(".jp-WindowedPanel-outer, .jp-Notebook").getBoundingClientRect();
            const f = frame.getBoundingClientRect(), b = button.getBoundingClientRect();
            const x = b.left + b.width / 2, y = b.top + b.height / 2, hit = document.elementFromPoint(x, y);
            const top = Math.max(f.top, view.top), bottom = Math.min(f.bottom, view.bottom);
            return {clip: {x: f.left, y: top, width: f.width, height: Math.max(0, bottom - top)},
                    button: {x, y}, covered: !(hit && button.contains(hit)),
                    on: hit ? (hit.className || hit.tagName) : "nothing"}; }""", player["id"])
        if box["clip"]["width"] < 1 or box["clip"]["height"] < 1:
            self.problem(f"{where}: its frame is not on the screen when its buttons are", shot, self.player(player["id"]))
            return
        if box["covered"]:
            self.problem(f"{where}: its Play button is covered (a click lands on {box['on']!r})", shot,
                         self.player(player["id"]))
            return
        before = self.page.screenshot(clip=box["clip"])
        time.sleep(HUMAN_PAUSE)
        self.page.mouse.click(box["button"]["x"], box["button"]["y"])
        deadline = time.monotonic() + PLAY_TIMEOUT
        while time.monotonic() < deadline:
            time.sleep(0.2)
            if self.page.screenshot(clip=box["clip"]) != before:
                self.done.append(f"cell {i + 1}: {player['kind']} played on the first click")
                return
        self.problem(f"{where}: the frame did not change within {PLAY_TIMEOUT} s of the first click on Play",
                     shot, self.player(player["id"]))

    # 4. interactive demos --------------------------------------------------------------------------------
    def demo(self, id_):
        return self.page.locator(f'[data-labtest-demo="{id_}"]')

    def signature(self, id_):
        return self.js("([d]) => labTest.signature(d)", id_)

    def kernel(self):
        return self.js("([p]) => labTest.kernelStatus(labTest.panel(p))", self.path)

    def wait_for_change(self, id_, before):
        """Wait until what the demo shows differs from ``before`` and is steady: True; False when nothing
        changed within DEMO_TIMEOUT, or the kernel has stayed idle NO_EFFECT s with nothing changed."""
        start = time.monotonic()
        idle_since, last = None, None
        while time.monotonic() - start < DEMO_TIMEOUT:
            time.sleep(0.25)
            now, status, seen = time.monotonic(), self.kernel(), self.signature(id_)
            changed = (seen["n"] > 0 and seen["plots"] != before["plots"]) if before["n"] else (
                seen["text"] != before["text"])
            idle_since = (idle_since or now) if status == "idle" else None
            if changed and status == "idle" and seen == last:
                return True
            if not changed and idle_since and now - idle_since >= NO_EFFECT and now - start >= NO_EFFECT:
                return False
            last = seen
        return False

    def settle(self):
        deadline = time.monotonic() + DEMO_TIMEOUT
        while self.kernel() != "idle" and time.monotonic() < deadline:
            time.sleep(0.25)

    def change(self, control):
        """Change one control as a user does; returns what was done (or None if it could not be)."""
        loc = self.page.locator(f'[data-labtest-control="{control["id"]}"]')
        if control["kind"] == "slider":
            handle, track = loc.locator(".noUi-handle").first, loc.locator(".noUi-base").first
            handle.scroll_into_view_if_needed(timeout=10_000)
            h, t = handle.bounding_box(), track.bounding_box()
            if not h or not t:
                return None
            value = self.js("([c]) => labTest.sliderValue(c)", control["id"])
            x, y = h["x"] + h["width"] / 2, h["y"] + h["height"] / 2
            dx = 0.3 * t["width"] * (1 if x + 0.3 * t["width"] <= t["x"] + t["width"] else -1)
            self.page.mouse.move(x, y)
            self.page.mouse.down()
            self.page.mouse.move(x + dx, y, steps=8)
            self.page.mouse.up()
            if self.js("([c]) => labTest.sliderValue(c)", control["id"]) != value:
                return "dragged"
            handle.focus()  # a drag that did not move it: the keyboard, as a user would try next
            self.page.keyboard.press("ArrowRight" if dx > 0 else "ArrowLeft")
            return "keyboard" if self.js("([c]) => labTest.sliderValue(c)", control["id"]) != value else None
        if control["kind"] == "dropdown":
            select = loc.locator("select").first
            options = select.locator("option").count()
            if options < 2:
                return None
            current = select.evaluate("s => s.selectedIndex")
            select.select_option(index=(current + 1) % options, timeout=CLICK_TIMEOUT)
            return "chose another option"
        if control["kind"] == "checkbox":
            loc.locator("input").first.click(timeout=CLICK_TIMEOUT)
            return "clicked"
        if control["kind"] == "button":
            (loc if loc.evaluate("e => e.matches('button')") else loc.locator("button").first).click(timeout=CLICK_TIMEOUT)
            return "clicked"
        return None

    def check_demo(self, i, demo, number):
        """Change the demo's controls, one after another, until the plot it shows changes."""
        order = {"slider": 0, "dropdown": 1, "checkbox": 2, "button": 3}
        controls = sorted((c for c in demo["controls"] if c["kind"] in order and not c["disabled"] and c["shown"]),
                          key=lambda c: order[c["kind"]])
        label, element = self.cell_label(i), self.demo(demo["id"])
        if not controls or not demo["shows"]:  # nothing to change, or nothing shown to change: layout only
            self.done.append(f"cell {i + 1}: controls without a display of their own (layout checked)")
            return
        self.settle()
        element.scroll_into_view_if_needed(timeout=10_000)
        before = self.signature(demo["id"])
        blank = self.js("([d]) => labTest.blankPlots(d)", demo["id"])
        if blank:
            self.problem(f"{label}: interactive demo {number} shows a blank plot after Run All (picture {blank[0] + 1})",
                         f"cell{i + 1}-demo-blank", element)
            return
        picture = self.gallery.steady(element) if self.gallery is not None else None  # kept if the demo works
        tried = []
        for control in controls:
            try:
                how = self.change(control)
            except Exception as error:  # e.g. something on top of it: the layout check says so too
                how = None
                control = {**control, "name": f"{control['name']}: {str(error).splitlines()[0][:80]}"}
            if how is None:
                tried.append(f"{control['kind']} '{control['name']}' (could not be changed)")
                continue
            if self.wait_for_change(demo["id"], before):
                blank = self.js("([d]) => labTest.blankPlots(d)", demo["id"])
                if blank:
                    self.problem(f"{label}: interactive demo {number}: after {control['kind']} '{control['name']}' was "
                                 f"{how}, its plot is blank (picture {blank[0] + 1})",
                                 f"cell{i + 1}-demo-blank", element)
                    return
                self.done.append(f"cell {i + 1}: demo {number} redrew after {control['kind']} "
                                 f"'{control['name']}' was {how}" + (f" (no effect: {'; '.join(tried)})" if tried else ""))
                if self.gallery is not None:
                    self.gallery.save(f"{self.name}-demo{number}-before", picture)
                    self.gallery.add(f"{self.name}-demo{number}-after", element)
                self.check_layout(demo, "layout-after-change")
                return
            tried.append(f"{control['kind']} '{control['name']}' ({how})")
            before = self.signature(demo["id"])  # a change too late to count must not count for the next one
        self.problem(f"{label}: interactive demo {number}: the plot did not change when the user changed "
                     f"{'; '.join(tried)}", f"cell{i + 1}-demo-unchanged", element)

    # 5. layout -------------------------------------------------------------------------------------------
    def check_layout(self, demo, what):
        cell = int(demo["id"].split(".")[0])
        label, element, shot = self.cell_label(cell), self.demo(demo["id"]), f"cell{cell + 1}-demo-{what}"
        for problem in self.js("([d]) => labTest.layout(d)", demo["id"]):
            self.problem(f"{label}: {problem}", shot, element)
        for control in demo["controls"]:
            if control["disabled"] or not control["shown"]:
                continue
            loc = self.page.locator(f'[data-labtest-control="{control["id"]}"]')
            target = {"slider": ".noUi-handle", "dropdown": "select", "checkbox": "input"}.get(control["kind"])
            target = loc.locator(target).first if target else loc
            try:
                target.click(trial=True, timeout=CLICK_TIMEOUT)  # visible, steady, enabled, and nothing on top of it
            except Exception as error:
                self.problem(f"{label}: {control['kind']} '{control['name']}' cannot be clicked: "
                             f"{str(error).splitlines()[0][:160]}", shot, element)

    # all of it -------------------------------------------------------------------------------------------
    def run(self):
        start = time.monotonic()
        self.open()
        self.run_all()
        mark = time.monotonic()
        self.inspect_cells()
        self.timings["cells"] = time.monotonic() - mark
        mark, number = time.monotonic(), 0
        for i, seen in sorted(self.cells.items()):
            for player in seen["players"]:
                if player["frame"] and player["natural"][0]:
                    self.check_play(i, player)
            for demo in seen["demos"]:
                number += 1
                self.check_demo(i, demo, number)
        self.timings["demos and animations"] = time.monotonic() - mark
        self.timings["total"] = time.monotonic() - start
        return self.problems

    def close(self):
        """Shut the kernel down and close the notebook without saving."""
        with contextlib.suppress(Exception):
            self.js("""async ([p]) => { const w = labTest.panel(p); w.context.model.dirty = false;
                       await w.sessionContext.shutdown(); w.close(); }""", self.path)


def check_notebook(page, path, screenshots=SCREENSHOTS, gallery=None):
    """Drive the notebook at ``path`` (relative to the server's root) in ``page``; returns the Checker
    (``.problems``: one line per problem, ``.timings``)."""
    for old in Path(screenshots).glob(f"{Path(path).stem}-*.png"):
        old.unlink()
    checker = Checker(page, path, screenshots, gallery)
    try:
        checker.run()
    finally:
        checker.close()
    return checker


# --- the gallery ------------------------------------------------------------------------------------------

class Gallery:
    """Small JPEGs of demos and animations, cropped to the cell output, for the README (docs/gallery)."""

    def __init__(self, page, folder=GALLERY, budget=GALLERY_BUDGET):
        self.page, self.folder, self.budget = page, Path(folder), budget
        self.written = []

    def names(self, notebook, kind):
        return [p for p in self.written if p.name.startswith(f"{notebook}-{kind}")]

    def clear(self, notebook):
        for old in self.folder.glob(f"{notebook}-*.jpg"):
            old.unlink()

    def add(self, name, element):
        return self.save(name, self.steady(element))

    def steady(self, element, timeout=10.0):
        """A screenshot of ``element`` once two in a row, half a second apart, are the same: right after a
        redraw the browser can still be painting the new picture (a blank plot with only its tick labels)."""
        shot, deadline = self.take(element), time.monotonic() + timeout
        while time.monotonic() < deadline:
            time.sleep(0.5)
            again = self.take(element)
            if again == shot:
                return shot
            shot = again
        return shot

    def take(self, element):
        """A screenshot (PNG bytes) of ``element``, whole: the window grows for it if it is taller than the view."""
        # every picture in it decoded and painted: a screenshot right after a redraw can catch a blank image
        element.evaluate("""async e => {
            await Promise.all(Array.from(e.querySelectorAll("img"), img => img.decode().catch(() => null)));
            await new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done))); }""")
        box = element.bounding_box()
        grow = box and box["height"] > VIEWPORT["height"] - 150  # taller than the notebook shows: a taller window
        if grow:
            self.page.set_viewport_size({"width": VIEWPORT["width"], "height": int(box["height"]) + 300})
            time.sleep(0.5)
        try:
            return element.screenshot(timeout=10_000, animations="disabled")
        finally:
            if grow:
                self.page.set_viewport_size(VIEWPORT)
                time.sleep(0.3)

    def save(self, name, png):
        """``png`` as docs/gallery/<name>.jpg, at most GALLERY_WIDTH wide."""
        from PIL import Image

        self.folder.mkdir(parents=True, exist_ok=True)
        image = Image.open(BytesIO(png)).convert("RGB")
        if image.width > GALLERY_WIDTH:
            image = image.resize((GALLERY_WIDTH, round(image.height * GALLERY_WIDTH / image.width)), Image.LANCZOS)
        path = self.folder / f"{name}.jpg"
        image.save(path, "JPEG", quality=GALLERY_QUALITY, optimize=True, progressive=True)
        self.written.append(path)
        return path

    def size(self):
        return sum(p.stat().st_size for p in self.folder.iterdir() if p.is_file()) if self.folder.is_dir() else 0

    def write_index(self):
        """docs/gallery/README.md: every picture in the folder, by notebook (made from the file names)."""
        lines = ["# The course in JupyterLab", "",
                 "Screenshots taken by `make gallery` (tests/test_lab.py): JupyterLab at 1366 x 768 with the file",
                 "browser open, the notebooks run small (`DENDRITIC_QUICK=1`). Each interactive demo before and after",
                 "the test changed one of its controls, and each animation's first frame, before any click (a demo",
                 "whose plot did not change, or an animation without its first frame, fails the test and is left out).",
                 ""]
        pictures = sorted(self.folder.glob("*.jpg"))
        for notebook in sorted({p.name.split("-")[0] for p in pictures}):
            lines += [f"## {notebook}", ""]
            names = [p.name for p in pictures if p.name.split("-")[0] == notebook]
            demos = sorted({n.split("-")[1] for n in names if "-demo" in n}, key=lambda d: int(d[4:]))
            if demos:
                lines += ["| demo | before | after |", "|---|---|---|"]
                for demo in demos:
                    cells = [f"![{notebook} {demo} {when}]({notebook}-{demo}-{when}.jpg)"
                             if f"{notebook}-{demo}-{when}.jpg" in names else "(unchanged)" for when in ("before", "after")]
                    lines.append(f"| {demo[4:]} | {cells[0]} | {cells[1]} |")
                lines.append("")
            for name in names:
                if "-animation" in name:
                    lines += [f"![{notebook} {name[len(notebook) + 1:-4]}: first frame]({name})", ""]
        (self.folder / "README.md").write_text("\n".join(lines))
