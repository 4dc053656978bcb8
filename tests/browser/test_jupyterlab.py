"""Open every notebook in real JupyterLab in headless Chromium, run it, and use its explorers.

For each notebook: run all cells, wait until every cell has run and the kernel is idle, assert that
no cell shows an error (or anything on stderr), then, for every explorer widget, press an arrow key
on its first slider and assert that the picture changed and no error appeared. A deliberately
broken widget (fixtures/broken_widget.ipynb) must make these checks fail.
"""

import json
import re
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))

pytestmark = pytest.mark.browser

ALL_CELLS_RAN = r"""() => {
  const prompts = [...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputArea-prompt')]
    .map(e => e.textContent.trim());
  return prompts.length > 0 && prompts.every(t => /^\[\d+\]:$/.test(t));
}"""

ERRORS = r"""() => {
  const stderr = [...document.querySelectorAll(
      '.jp-Notebook .jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')]
    .map(e => e.textContent.slice(0, 300));
  const widgets = [...document.querySelectorAll('.jp-Notebook .jp-OutputArea-output')]
    .filter(e => e.textContent.includes('Error displaying widget'))
    .map(e => e.textContent.slice(0, 300));
  return stderr.concat(widgets);
}"""

EXPLORER_STATE = r"""(index) => {
  const img = document.querySelectorAll('.jp-Notebook img.widget-image')[index];
  const box = img.parentElement;
  const html = box.querySelector('.widget-html');
  return (img.getAttribute('src') || '') + '|' + img.style.display + '|' + (html ? html.textContent : '');
}"""


def widget_views_in(notebook_path):
    """How many explorers the committed notebook displays: widget views that hold an Image.

    Other widgets (the exercises' multiple-choice questions) have no picture to move.
    """
    nb = json.loads(Path(notebook_path).read_text(encoding="utf-8"))
    models = nb["metadata"]["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]

    def holds_image(model_id):
        model = models[model_id]
        children = [c.removeprefix("IPY_MODEL_") for c in model["state"].get("children", [])]
        return model["model_name"] == "ImageModel" or any(holds_image(c) for c in children)

    return sum(holds_image(output["data"]["application/vnd.jupyter.widget-view+json"]["model_id"])
               for cell in nb["cells"] if cell["cell_type"] == "code" for output in cell["outputs"]
               if "application/vnd.jupyter.widget-view+json" in output.get("data", {}))


def open_and_run_all(page, lab, relative_path, timeout=120):
    base, token, _ = lab
    page.goto(f"{base}/lab/tree/{relative_path}?reset&token={token}")  # reset: no tabs left open
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
    select_kernel = page.locator(".jp-Dialog button", has_text="Select")
    try:  # a kernel chooser may pop up; take the default kernel
        select_kernel.click(timeout=3000)
    except Exception:
        pass
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60_000)
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator("li.lm-Menu-item[data-command='runmenu:run-all']").click()
    try:
        page.wait_for_function(ALL_CELLS_RAN, timeout=timeout * 1000, polling=500)
    except Exception:
        page.screenshot(path=str(ROOT / "artifacts" / "browser" / "timeout.png"), full_page=True)
        prompts = page.evaluate("() => [...document.querySelectorAll('.jp-Notebook .jp-CodeCell "
                                ".jp-InputArea-prompt')].map(e => e.textContent.trim())")
        raise AssertionError(f"{relative_path}: not every cell ran within {timeout} s: {prompts}")
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']",
                           timeout=timeout * 1000)


def wait_for_change(page, index, before, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = page.evaluate(EXPLORER_STATE, index)
        if state != before and ("blob:" in state or "Not possible" in state):
            return state
        page.wait_for_timeout(200)
    return page.evaluate(EXPLORER_STATE, index)


def check_notebook(page, lab, relative_path, expected_explorers, screenshot=None):
    """Run a notebook in the browser and exercise its explorers; AssertionError on any problem."""
    open_and_run_all(page, lab, relative_path)
    images = page.locator(".jp-Notebook img.widget-image")
    try:  # widget views render shortly after their cell finishes
        page.wait_for_function(f"() => document.querySelectorAll('.jp-Notebook img.widget-image')"
                               f".length >= {expected_explorers}", timeout=30_000)
    except Exception:
        pass  # the count assertion below says what was found
    assert images.count() == expected_explorers, \
        f"{relative_path}: found {images.count()} explorers, expected {expected_explorers}"
    errors = page.evaluate(ERRORS)
    assert not errors, f"{relative_path}: errors after running all cells: {errors}"

    for index in range(images.count()):
        images.nth(index).scroll_into_view_if_needed()
        before = page.evaluate(EXPLORER_STATE, index)
        box = images.nth(index).locator("xpath=..")
        handle = box.locator(".noUi-handle, .ui-slider-handle").first
        handle.focus()
        handle.press("ArrowRight")
        after = wait_for_change(page, index, before)
        if after == before:  # the slider may sit at its maximum
            handle.press("ArrowLeft")
            handle.press("ArrowLeft")
            after = wait_for_change(page, index, before)
        assert after != before, f"{relative_path}: explorer {index}: the picture did not change"
        errors = page.evaluate(ERRORS)
        assert not errors, f"{relative_path}: explorer {index}: errors after moving a slider: {errors}"
    if screenshot is not None:
        page.screenshot(path=str(screenshot), full_page=True)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_and_its_explorers_respond(page, lab, artifacts, name):
    check_notebook(page, lab, f"notebooks/{name}", widget_views_in(ROOT / "notebooks" / name),
                   screenshot=artifacts / f"{Path(name).stem}.png")


def test_a_broken_explorer_is_caught(page, lab):
    # the fixture's explorer renders at first, then raises when its slider moves
    with pytest.raises(AssertionError, match="did not change"):
        check_notebook(page, lab, "fixtures/broken_widget.ipynb", expected_explorers=1)
