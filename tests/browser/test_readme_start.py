"""Follow the README as a learner does: its start command, then read every notebook without running it.

The server is started with the `jupyter lab ...` part of the README's start command, taken from the
README itself and run from a copy of the repository, as a learner runs it from a fresh clone (only
the flags that make it headless, on a free port, with a token, are added). Every notebook is opened,
scrolled from top to bottom, and every image in its Markdown and in its outputs must have loaded.
Requests that leave this machine are blocked, so "loaded" means "loaded offline". Opening a notebook
must not mark it modified.
"""

import json
import os
import platform
import re
import shlex
import shutil
import sys
import time
import urllib.request
from pathlib import Path

import pytest


ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
# The Colab badge links to Colab, which needs the network anyway; it is the one remote image.
REMOTE_BADGE = "https://colab.research.google.com/assets/colab-badge.svg"

pytestmark = pytest.mark.browser

# images in rendered Markdown and in outputs (widgets included), not the editor's own
IMAGES = r"""() => [...document.querySelectorAll(
    '.jp-Notebook .jp-MarkdownOutput img, .jp-Notebook .jp-OutputArea-output img')].map(img => ({
  src: (img.getAttribute('src') || '').slice(0, 60),
  alt: (img.getAttribute('alt') || '').slice(0, 60),
  markdown: img.closest('.jp-MarkdownOutput') !== null,
  complete: img.complete,
  width: img.naturalWidth,
}))"""

SCROLL_STEP = r"""() => {
  const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-WindowedPanel-outer')
    || document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook');
  panel.scrollTop += panel.clientHeight * 0.8;
  return panel.scrollTop + panel.clientHeight >= panel.scrollHeight - 2;
}"""

DIRTY_TABS = r"""() => [...document.querySelectorAll('.lm-TabBar-tab.jp-mod-dirty')]
  .map(tab => tab.textContent.trim())"""


def readme_start_command():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- start-command:start -->\n```bash\n(.+?)\n```", text, re.DOTALL)
    assert block, "README.md has no start command between the start-command markers"
    return block.group(1).strip()


def jupyter_part(command):
    """The last step of the start command, which must start JupyterLab: ['jupyter', 'lab', ...]."""
    words = shlex.split(command.split("&&")[-1])
    assert words[:2] == ["jupyter", "lab"], f"the start command does not end by starting JupyterLab: {command}"
    return words


def figure_count(name):
    """Images in the committed notebook's Markdown cells: the least the page must show."""
    nb = json.loads((ROOT / "notebooks" / name).read_text(encoding="utf-8"))
    return sum(len(re.findall(r"!\[", "".join(c["source"])))
               for c in nb["cells"] if c["cell_type"] == "markdown")


@pytest.fixture(scope="module")
def readme_lab(browser, lab_server, tmp_path_factory):
    """(base URL, token, path of the notebooks under the server's root) for the README's command."""
    jupyter = Path(sys.executable).with_name("jupyter")
    if not jupyter.exists():
        pytest.skip(f"no `jupyter` command beside {sys.executable}")

    clone = tmp_path_factory.mktemp("clone") / "repository"
    shutil.copytree(ROOT, clone, ignore=shutil.ignore_patterns(
        ".git", ".venv*", "venv*", "artifacts", "__pycache__", "*.egg-info", ".ipynb_checkpoints", "build"))
    settings = tmp_path_factory.mktemp("settings")  # JupyterLab's defaults, not this machine's
    words = jupyter_part(readme_start_command())
    env = dict(os.environ, JUPYTERLAB_SETTINGS_DIR=str(settings), JUPYTERLAB_WORKSPACES_DIR=str(settings))
    with lab_server([str(jupyter), *words[1:]], cwd=clone, log_path=clone.parent / "jupyterlab.log",
                    env=env) as (base, token):
        # where the notebooks are under the server's root (JupyterLab roots it at the file's folder)
        prefix = next(p for p in ("", "notebooks/") if _exists(base, token, p + NOTEBOOKS[0]))
        yield base, token, prefix
    for name in NOTEBOOKS:  # opening must not have written anything
        assert (clone / "notebooks" / name).read_bytes() == (ROOT / "notebooks" / name).read_bytes(), name


def _exists(base, token, path):
    try:
        urllib.request.urlopen(f"{base}/api/contents/{path}?content=0&token={token}", timeout=5)
        return True
    except OSError:
        return False


def offline(page):
    """Abort every request that would leave this machine."""
    page.route(re.compile(r"^(?!https?://127\.0\.0\.1[:/]|blob:|data:).*"), lambda route: route.abort())


def read_through(page, lab, name):
    """Open a notebook without running it and scroll to its end.

    Returns every image seen on the way, as {(src, alt): loaded}, and the tabs marked modified.
    """
    base, token, prefix = lab
    page.goto(f"{base}/lab/tree/{prefix}{name}?reset&token={token}")
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
    try:  # a kernel chooser may pop up; take the default kernel, as a learner would
        page.locator(".jp-Dialog button", has_text="Select").click(timeout=3000)
    except Exception:
        pass
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60_000)
    seen = {}
    for _ in range(500):
        at_end = page.evaluate(SCROLL_STEP)
        deadline = time.monotonic() + 10
        while True:  # wait for the images in view to finish loading
            page.wait_for_timeout(100)
            images = page.evaluate(IMAGES)
            if all(image["complete"] for image in images) or time.monotonic() > deadline:
                break
        for image in images:
            key = (image["src"], image["alt"], image["markdown"])
            seen[key] = seen.get(key, False) or (image["complete"] and image["width"] > 0)
        if at_end:
            break
    page.wait_for_timeout(1000)  # let any metadata update from the kernel land
    return seen, page.evaluate(DIRTY_TABS)


READINGS = {}  # name -> (images seen, tabs marked modified): each notebook is opened once


def reading(page, lab, name):
    if name not in READINGS:
        offline(page)
        READINGS[name] = read_through(page, lab, name)
    return READINGS[name]


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_every_image_loads_after_the_readme_start_command(page, readme_lab, name):
    seen, _ = reading(page, readme_lab, name)
    local = {key: loaded for key, loaded in seen.items() if key[0] != REMOTE_BADGE[:60]}
    broken = [key[:2] for key, loaded in local.items() if not loaded]
    assert not broken, f"{name}: {len(broken)} of {len(local)} images did not load: {broken[:3]}"
    shown = sum(markdown for _, _, markdown in local)
    assert shown >= figure_count(name) - 1, f"{name}: only {shown} Markdown images on the page"  # -1: badge


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_opening_a_notebook_leaves_it_unmodified(page, readme_lab, name):
    # JupyterLab writes the running kernel's language_info into the notebook: under another Python
    # than the one the notebooks were executed with, that change is real, and marks it modified
    nb = json.loads((ROOT / "notebooks" / name).read_text(encoding="utf-8"))
    recorded = nb["metadata"]["language_info"]["version"]
    if recorded != platform.python_version():
        pytest.skip(f"the notebook records Python {recorded}, this kernel is {platform.python_version()}")
    _, dirty = reading(page, readme_lab, name)
    assert not dirty, f"{name}: opening it marked it modified: {dirty}"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_every_image_loads_in_a_static_html_export(browser, tmp_path, name):
    # GitHub, nbviewer and VS Code render a notebook without Jupyter: nbconvert's exporter (another
    # Markdown renderer than JupyterLab's) stands in for them here, offline
    nbconvert = pytest.importorskip("nbconvert")
    html, _ = nbconvert.HTMLExporter().from_filename(str(ROOT / "notebooks" / name))
    page_path = tmp_path / "page.html"
    page_path.write_text(html, encoding="utf-8")
    page = browser.new_page()
    try:
        page.route(re.compile(r"^https?://.*"), lambda route: route.abort())
        page.goto(page_path.as_uri())
        page.wait_for_function("() => [...document.images].every(img => img.complete)", timeout=30_000)
        images = page.evaluate("""() => [...document.images].map(img => ({
            src: (img.getAttribute('src') || '').slice(0, 60), alt: (img.getAttribute('alt') || '').slice(0, 60),
            width: img.naturalWidth}))""")
    finally:
        page.close()
    local = [image for image in images if image["src"] != REMOTE_BADGE[:60]]
    broken = [image for image in local if image["width"] == 0]
    assert not broken, f"{name}: {len(broken)} of {len(local)} images did not load: {broken[:3]}"
    assert len(local) >= figure_count(name) - 1, f"{name}: only {len(local)} images in the export"
