"""The figures: every FIGURES function writes its file, figures/ is up to date, every figure is used.

Regenerating every figure takes most of a minute, so it happens once, in a module-scoped
fixture (CI's `--dist loadscope` keeps this module on one worker). The committed figures
are compared with fresh ones pixel for pixel (decoded, so the encoders' exact bytes do
not matter), but only under the matplotlib and Pillow that drew them, recorded in
figures/made-with.txt: another version may place a glyph or choose a palette colour a
little differently, which is no fault of the code. Elsewhere that test is skipped.
"""

import importlib
import json
import re
from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure
from PIL import Image, ImageSequence

from tools import figures
from utils import draw
from utils.draw import FIGURES_DIR

ROOT = Path(__file__).resolve().parent.parent
MAX_GIF_BYTES = 400_000  # GitHub shows them inline; larger ones load slowly
MAX_PNG_BYTES = 150_000  # keeps every notebook, which embeds its figures, small


def _image_info(path):
    """(width, height), number of frames."""
    with Image.open(path) as image:
        return image.size, getattr(image, "n_frames", 1)


def _pixels(path):
    """Every frame of an image, decoded to RGBA: one (H, W, 4) array per frame."""
    with Image.open(path) as image:
        return [np.asarray(frame.convert("RGBA")) for frame in ImageSequence.Iterator(image)]


def _made_with():
    """The pip requirements recorded by `python -m tools.figures`: ['matplotlib==3.11.2', ...]."""
    lines = (FIGURES_DIR / figures.MADE_WITH).read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def _expected_gallery_frames():
    """One frame per output cell of every gallery animation, from the case parameters alone."""
    from utils.gallery import CASES

    expected = {}
    for case, (_, (i, k, s, p, d), (i_t, k_t, s_t, p_t, d_t, op)) in CASES.items():
        o = (i + 2 * p - d * (k - 1) - 1) // s + 1  # o = floor((i + 2p - d(k-1) - 1)/s) + 1
        expected[f"gallery/conv_{case}.gif"] = o * o
        o = (i_t - 1) * s_t - 2 * p_t + d_t * (k_t - 1) + op + 1  # + output_padding + 1
        expected[f"gallery/transposed_{case}.gif"] = o * o
    return expected


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    """Write every module's FIGURES into a temporary folder.

    Returns (folder, {file name: frames written}, {what failed: error}). A module that
    fails to import or a figure function that raises is recorded, not fatal, so the
    other modules' figures are still checked.
    """
    out_dir = tmp_path_factory.mktemp("figures")
    written, errors = {}, {}
    for module_name in figures.MODULES:
        try:
            module = importlib.import_module(f"utils.{module_name}")
            module_figures = module.FIGURES
        except Exception as error:  # noqa: BLE001 - reported by the tests below
            errors[f"utils.{module_name}"] = repr(error)
            continue
        for file_name, make in module_figures.items():
            try:
                written[file_name] = figures.write(file_name, make, out_dir)
            except Exception as error:  # noqa: BLE001
                errors[file_name] = repr(error)
    return out_dir, written, errors


def _committed_files():
    """Paths of the files in figures/, relative to it, as 'a.png' or 'gallery/b.gif'."""
    return sorted(path.relative_to(FIGURES_DIR).as_posix() for path in FIGURES_DIR.rglob("*")
                  if path.is_file() and not path.name.startswith(".")
                  and path.name != figures.MADE_WITH)


# --- (1) every figure is produced, with the right number of frames and a small size -------------

def test_the_registry_loads_every_module_without_duplicates():
    names = figures.registry()  # raises on a missing module or a name defined twice
    assert names, "no figures registered"


def test_every_figure_is_regenerated(regenerated):
    out_dir, written, errors = regenerated
    assert not errors, f"failed to make: {errors}"
    missing = [name for name in written if not (out_dir / name).is_file()]
    assert not missing, f"not written: {missing}"


def test_every_animation_has_one_frame_per_step(regenerated):
    out_dir, written, _ = regenerated
    expected = _expected_gallery_frames()
    gifs = sorted(name for name in written if name.endswith(".gif"))
    assert gifs == sorted(expected), "every animation needs its expected frame count here"
    wrong = {}
    for name in gifs:
        _, frames_in_file = _image_info(out_dir / name)
        if frames_in_file != expected[name] or written[name] != expected[name]:
            wrong[name] = (f"{frames_in_file} frames in the file, {written[name]} made, "
                           f"expected {expected[name]}")
    assert not wrong, wrong


def test_figures_must_be_whole_quarter_inches():
    # 8.2 in at 100 dpi is 819.99... px: 819 before matplotlib 3.11, 820 after
    with pytest.raises(ValueError, match="quarter inches"):
        draw.to_png(Figure(figsize=(8.2, 3)))
    assert draw.to_png(Figure(figsize=(draw.quarter_inches(8.2), 3)))
    assert draw.quarter_inches(8.2) == 8.25 and draw.quarter_inches(10 * 0.3) == 3.0


def test_every_figure_is_small_enough_for_github(regenerated):
    out_dir, written, _ = regenerated
    limits = {".gif": MAX_GIF_BYTES, ".png": MAX_PNG_BYTES}
    too_big = {name: (out_dir / name).stat().st_size for name in written
               if (out_dir / name).stat().st_size >= limits.get(Path(name).suffix, float("inf"))}
    assert not too_big, f"over the limit {limits} (bytes): {too_big}"


# --- (2) the committed figures/ are up to date with the code -------------------------------------

def test_committed_figures_are_exactly_the_registered_ones(regenerated):
    _, written, errors = regenerated
    assert not errors, f"cannot compare while some figures fail: {errors}"
    committed = set(_committed_files())
    stale, missing = sorted(committed - set(written)), sorted(set(written) - committed)
    assert not stale and not missing, (
        f"run `python -m tools.figures`: stale files {stale}, missing files {missing}")


def test_the_drawing_versions_are_recorded():
    recorded = {line.split("==")[0] for line in _made_with()}
    assert recorded == {"matplotlib", "pillow"}, f"run `python -m tools.figures`: {_made_with()}"


def test_committed_figures_match_a_fresh_regeneration(regenerated):
    if _made_with() != figures.drawing_versions():
        pytest.skip(f"figures/{figures.MADE_WITH} says the figures were drawn with {_made_with()}, "
                    f"this is {figures.drawing_versions()}: pixels may differ; compared in CI")
    out_dir, written, _ = regenerated
    differ = {}
    for name in written:
        committed = FIGURES_DIR / name
        if not committed.is_file():
            continue  # test_committed_figures_are_exactly_the_registered_ones reports it
        fresh, old = _pixels(out_dir / name), _pixels(committed)
        if [a.shape for a in fresh] != [a.shape for a in old]:
            differ[name] = f"committed frames {[a.shape for a in old]}, fresh {[a.shape for a in fresh]}"
        elif not all(np.array_equal(a, b) for a, b in zip(fresh, old)):
            differ[name] = "same size, different pixels"
    assert not differ, f"run `python -m tools.figures`: {differ}"


# --- (3) every figure is used, every figure used exists ------------------------------------------

def _markdown_sources():
    """(folder the links are relative to, file name, Markdown text): README and each notebook."""
    sources = []
    readme = ROOT / "README.md"
    if readme.is_file():
        sources.append((ROOT, readme.name, readme.read_text(encoding="utf-8")))
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
        sources.append((path.parent, path.name, text))
    return sources


def _figure_references():
    """{(source name, link as written): path relative to figures/ or None if it points elsewhere}."""
    link = re.compile(r"\]\(\s*<?([^)\s>]+)|<img[^>]*?\bsrc\s*=\s*[\"']([^\"']+)", re.IGNORECASE)
    references = {}
    for folder, source, text in _markdown_sources():
        for match in link.finditer(text):
            target = (match.group(1) or match.group(2)).split("#")[0].split("?")[0]
            if "figures/" not in target:
                continue
            if target.startswith(("http://", "https://")):
                relative = target.rsplit("figures/", 1)[1]  # e.g. a raw.githubusercontent URL
            else:
                path = (folder / target).resolve()
                if FIGURES_DIR not in path.parents:
                    references[(source, target)] = None
                    continue
                relative = path.relative_to(FIGURES_DIR).as_posix()
            references[(source, target)] = relative
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):  # figures embedded by the stamp tool
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            if "figure" in cell["metadata"]:
                references[(path.name, cell["metadata"]["figure"])] = cell["metadata"]["figure"]
    return references


def test_every_figure_is_used_by_the_readme_or_a_notebook():
    used = set(_figure_references().values())
    unused = [name for name in _committed_files() if name not in used]
    assert not unused, f"in figures/ but used by no notebook and not by README.md: {unused}"


def test_every_figure_referenced_exists():
    broken = [f"{source}: {target}" for (source, target), relative in _figure_references().items()
              if relative is None or not (FIGURES_DIR / relative).is_file()]
    assert not broken, f"links to figures that do not exist: {broken}"
