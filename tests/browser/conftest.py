"""A JupyterLab server and a headless Chromium, for the browser tests (`pytest -m browser`).

JupyterLab runs from this environment on a free loopback port, with a token, over a temporary copy
of notebooks/ and figures/ (running cells in the browser must not touch the repository).
Chromium is Debian's (/usr/bin/chromium), driven by Playwright; without either, the tests are
skipped and say why. Screenshots go to artifacts/browser/ (not committed).
"""

import contextlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = ROOT / "artifacts" / "browser"


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _write_settings(settings_dir):
    """Render every cell (no virtual scrolling) and fetch no news: the network is closed."""
    settings = {
        "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none", "autoStartDefaultKernel": True},
        "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
            {"fetchNews": "false", "checkForUpdates": False},
    }
    for name, value in settings.items():
        path = settings_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value))


def _clear_outputs(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
    nb["metadata"].pop("widgets", None)
    path.write_text(json.dumps(nb), encoding="utf-8")


def require_browser():
    """Skip, saying why, unless Chromium, Playwright and JupyterLab are all here."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    pytest.importorskip("jupyterlab", reason="jupyterlab is not installed")


@pytest.fixture(scope="session")
def lab(tmp_path_factory):
    """(base_url, token, root folder): a JupyterLab server over a copy of the notebooks."""
    require_browser()

    root = tmp_path_factory.mktemp("lab")
    shutil.copytree(ROOT / "notebooks", root / "notebooks")
    for path in (root / "notebooks").glob("*.ipynb"):
        _clear_outputs(path)  # so "every cell has an execution count" means "ran in this browser"
    shutil.copytree(ROOT / "figures", root / "figures")
    shutil.copytree(Path(__file__).parent / "fixtures", root / "fixtures")
    settings = root / ".settings"
    _write_settings(settings)
    command = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={root}",
               f"--LabApp.user_settings_dir={settings}", f"--LabApp.workspaces_dir={root / '.workspaces'}"]
    with running_lab(command, cwd=root, log_path=root / "jupyterlab.log") as (base, token):
        yield base, token, root


@contextlib.contextmanager
def running_lab(command, cwd, log_path, env=None):
    """Start `command` (a JupyterLab) headless on a free port with a token; yield (base_url, token)."""
    port, token = _free_port(), secrets.token_hex(16)
    log = open(log_path, "w")
    server = subprocess.Popen(
        [*command, "--no-browser", f"--port={port}", "--ip=127.0.0.1", "--allow-root",
         f"--IdentityProvider.token={token}"], stdout=log, stderr=subprocess.STDOUT, cwd=cwd, env=env)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                pytest.fail("JupyterLab did not start:\n" + Path(log_path).read_text()[-3000:])
            time.sleep(0.5)
    try:
        yield base, token
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.fixture(scope="session")
def lab_server():
    """running_lab, for test modules (they cannot import this conftest)."""
    return running_lab


@pytest.fixture(scope="session")
def browser():
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(scope="session")
def artifacts():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS

# the fixture notebooks are run by the browser tests, not collected by nbval
collect_ignore_glob = ["fixtures/*"]
