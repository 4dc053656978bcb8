"""Every figure shows wherever a notebook is opened, and opening a notebook leaves it unmodified.

Colab renders a Markdown cell in the browser: it shows `https://` and `data:` images, but no path
relative to the notebook and no `attachment:` image. So every figure is stored in its notebook as a
`data:` URI (written by `python -m tools.notebooks stamp`), and must be the very file in figures/,
which tests/test_figures.py checks against what the figure code draws.
"""

import base64
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_PATHS = sorted((ROOT / "notebooks").glob("*.ipynb"))
# Markdown images and HTML <img> tags: what each one points at
IMAGE = re.compile(r"!\[(?:\\.|[^\]\\]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)|<img[^>]*?\bsrc\s*=\s*[\"']([^\"']+)",
                   re.IGNORECASE)
DATA_URI = re.compile(r"^data:image/(png|gif);base64,([A-Za-z0-9+/=]+)$")
# what JupyterLab writes when it saves a notebook: anything else marks the notebook modified on open
JUPYTERLAB_KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def markdown_cells(path):
    return [c for c in json.loads(path.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "markdown"]


def image_targets(text):
    return [(m.group(1) or m.group(2)) for m in IMAGE.finditer(text)]


def test_the_image_pattern_finds_what_colab_cannot_show():
    # the check below is only as good as this pattern: it must see every way to show an image
    text = ("![a [b] c](../figures/x.png) ![](attachment:y.png) <img src='figures/z.png'>"
            r" ![e \[1\]](data:image/png;base64,AAAA) ![badge](https://example.org/b.svg)")
    assert image_targets(text) == ["../figures/x.png", "attachment:y.png", "figures/z.png",
                                   "data:image/png;base64,AAAA", "https://example.org/b.svg"]


@pytest.mark.parametrize("path", NOTEBOOK_PATHS, ids=lambda p: p.name)
def test_every_markdown_image_is_one_colab_can_show(path):
    bad = [target[:60] for cell in markdown_cells(path) for target in image_targets("".join(cell["source"]))
           if not target.startswith(("https://", "data:"))]
    assert not bad, (f"{path.name} shows images Colab cannot render (relative paths or attachments): {bad}; "
                     "write them as ![alt](../figures/NAME) and run `python -m tools.notebooks stamp`")
    assert not any(cell.get("attachments") for cell in markdown_cells(path)), f"{path.name} has attachments"


@pytest.mark.parametrize("path", NOTEBOOK_PATHS, ids=lambda p: p.name)
def test_every_embedded_figure_is_the_file_in_figures(path):
    figures = [c for c in markdown_cells(path) if "data:image/" in "".join(c["source"])]
    assert figures, f"{path.name} embeds no figure"
    for cell in figures:
        name = cell["metadata"].get("figure")
        assert name, f"{path.name}: an embedded image without the name of its file in figures/"
        source = "".join(cell["source"])
        alt, target = re.fullmatch(r"!\[((?:\\.|[^\]\\])+)\]\((.+)\)", source).groups()
        assert len(alt.split()) >= 4, f"{path.name}: {name} needs alt text that says what it shows"
        kind, data = DATA_URI.fullmatch(target).groups()
        assert name.endswith("." + kind), f"{path.name}: {name} is embedded as image/{kind}"
        assert base64.b64decode(data) == (ROOT / "figures" / name).read_bytes(), \
            f"{path.name}: {name} differs from figures/{name}: run `python -m tools.notebooks stamp`"


@pytest.mark.parametrize("path", NOTEBOOK_PATHS, ids=lambda p: p.name)
def test_notebook_metadata_is_what_jupyterlab_writes(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    assert nb["metadata"]["kernelspec"] == JUPYTERLAB_KERNELSPEC
    assert (nb["nbformat"], nb["nbformat_minor"]) >= (4, 5), "cells need ids (nbformat 4.5)"
    assert all(cell.get("id") for cell in nb["cells"])


@pytest.mark.parametrize("path", NOTEBOOK_PATHS, ids=lambda p: p.name)
def test_notebook_stays_under_3_mb(path):
    assert path.stat().st_size < 3_000_000
