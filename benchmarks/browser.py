"""The latency a learner sees: slider moved in JupyterLab -> the explorer's new picture shown.

For each notebook with an explorer: copy it, up to and including the explorer's cell, into
a temporary folder (outputs cleared), start JupyterLab there (loopback port, token, no news
fetched), open it in headless Chromium (Debian's /usr/bin/chromium, driven by Playwright),
run all cells, focus the explorer's first slider and press the arrow keys (right, left,
right, ...), timing in the page each key press until the explorer's <img> gets its new src.
Used by benchmarks/run.py (section `browser`); the repository is never touched.
"""

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
BROWSER_TIMEOUT_MS = 180_000
EXPLORER_CALL = re.compile(r"(\w+)\.(\w+_explorer)\(")

# In the page: the time of each key press, and of the next change of the explorer's <img> src.
WATCH = r"""(index) => {
  const img = document.querySelectorAll('.jp-Notebook img.widget-image')[index];
  window.__latencies = [];
  window.__pressed = null;
  document.addEventListener('keydown', () => { window.__pressed = performance.now(); }, true);
  new MutationObserver(() => {
    if (window.__pressed !== null) {
      window.__latencies.push(performance.now() - window.__pressed);
      window.__pressed = null;
    }
  }).observe(img, {attributes: true, attributeFilter: ['src']});
}"""


def missing():
    """Why the browser benchmark cannot run here, or None."""
    if not Path(CHROMIUM).exists():
        return f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    for module in ("playwright", "jupyterlab"):
        try:
            __import__(module)
        except ImportError:
            return f"{module} is not installed"
    return None


def explorer_notebooks():
    """[(notebook path, index of the explorer's cell, 'module.maker')] for every explorer."""
    found = []
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        for index, cell in enumerate(cells):
            match = EXPLORER_CALL.search("".join(cell["source"]))
            if cell["cell_type"] == "code" and match:
                found.append((path, index, f"{match.group(1)}.{match.group(2)}"))
                break  # one explorer per notebook: time the first
    return found


def _copy_up_to(path, last_cell, folder):
    """The notebook's cells up to last_cell, outputs cleared, written into folder."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    nb["cells"] = nb["cells"][: last_cell + 1]
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
    nb["metadata"].pop("widgets", None)
    (folder / path.name).write_text(json.dumps(nb), encoding="utf-8")


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_lab(root):
    """A JupyterLab server over root; returns (process, base url, token)."""
    settings = root / ".settings"
    for name, value in {
        "@jupyterlab/notebook-extension/tracker.jupyterlab-settings":
            {"windowingMode": "none", "autoStartDefaultKernel": True},
        "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
            {"fetchNews": "false", "checkForUpdates": False},
    }.items():
        (settings / name).parent.mkdir(parents=True, exist_ok=True)
        (settings / name).write_text(json.dumps(value))
    port, token = _free_port(), secrets.token_hex(16)
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
         "--allow-root", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
         f"--LabApp.user_settings_dir={settings}", f"--LabApp.workspaces_dir={root / '.ws'}"],
        stdout=open(root / "jupyterlab.log", "w"), stderr=subprocess.STDOUT, cwd=root)
    base, deadline = f"http://127.0.0.1:{port}", time.monotonic() + 90
    while True:
        try:
            urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
            return server, base, token
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                raise RuntimeError("JupyterLab did not start: "
                                   + (root / "jupyterlab.log").read_text()[-2000:])
            time.sleep(0.5)


def _shut_down_kernels(base, token):
    headers = {"Authorization": f"token {token}"}
    listing = urllib.request.Request(f"{base}/api/kernels", headers=headers)
    for kernel in json.load(urllib.request.urlopen(listing, timeout=10)):
        urllib.request.urlopen(urllib.request.Request(
            f"{base}/api/kernels/{kernel['id']}", method="DELETE", headers=headers), timeout=10)


def _run_all(page, base, token, name):
    page.goto(f"{base}/lab/tree/{name}?reset&token={token}")
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
    try:  # a kernel chooser may pop up; take the default kernel
        page.locator(".jp-Dialog button", has_text="Select").click(timeout=3000)
    except Exception:
        pass
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60_000)
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator("li.lm-Menu-item[data-command='runmenu:run-all']").click()
    page.wait_for_selector(".jp-Notebook img.widget-image[src^='blob:']", timeout=BROWSER_TIMEOUT_MS)
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=BROWSER_TIMEOUT_MS)


def _press_and_time(page, presses, settle_ms):
    """Press the arrow keys on the explorer's first slider; latencies in ms of those that redrew."""
    images = page.locator(".jp-Notebook img.widget-image")
    index = images.count() - 1  # the explorer is in the last cell
    images.nth(index).scroll_into_view_if_needed()
    page.evaluate(WATCH, index)
    handle = images.nth(index).locator("xpath=..").locator(".noUi-handle, .ui-slider-handle").first
    handle.focus()
    keys = ["ArrowRight", "ArrowLeft"]
    for press in range(presses):
        count = page.evaluate("() => window.__latencies.length")
        handle.press(keys[press % 2])
        try:
            page.wait_for_function(f"() => window.__latencies.length > {count}", timeout=10_000)
        except Exception:  # at the slider's end nothing changes: go the other way first
            page.evaluate("() => { window.__pressed = null; }")
            keys.reverse()
        page.wait_for_timeout(settle_ms)
    return page.evaluate("() => window.__latencies")


def explorer_latencies(presses=30, settle_ms=150):
    """{'module.maker': (notebook name, [latency ms, ...])} for every explorer of the series."""
    from playwright.sync_api import sync_playwright

    results = {}
    with tempfile.TemporaryDirectory(prefix="browser-benchmark-") as folder:
        root = Path(folder)
        explorers = explorer_notebooks()
        for path, cell, _ in explorers:
            _copy_up_to(path, cell, root)
        shutil.copytree(ROOT / "figures", root / "figures")  # for any relative image link
        server, base, token = _start_lab(root)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, headless=True,
                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                          "--disable-component-update", "--disable-sync", "--no-first-run"])
                for path, _, label in explorers:
                    context = browser.new_context(viewport={"width": 1400, "height": 1000})
                    page = context.new_page()
                    try:
                        _run_all(page, base, token, path.name)
                        results[label] = (path.name, _press_and_time(page, presses, settle_ms))
                    except Exception as error:  # report it and go on with the others
                        results[label] = (path.name, f"failed: {type(error).__name__}: "
                                                     f"{str(error).splitlines()[0][:200]}")
                    finally:
                        context.close()
                        _shut_down_kernels(base, token)  # none left running next to the next one
                browser.close()
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
    return results
