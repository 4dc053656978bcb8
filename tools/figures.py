"""Regenerate every file in figures/: `python -m tools.figures`.

Each topic module of the series has a FIGURES dict mapping a file name to a
function with no arguments. A function behind a .png name returns a Figure; one
behind a .gif name returns a list of Figures, one per frame. Everything is
seeded, so a rerun writes the same files. It also records in figures/made-with.txt
which matplotlib and Pillow drew them: other versions may draw a pixel differently.
"""

import importlib
import sys
import time
from importlib import metadata
from pathlib import Path

from utils.draw import FIGURES_DIR, save_gif, save_png

MODULES = ("start", "sliding", "matrix", "transposed", "sizes", "networks", "gradients",
           "checkerboard", "gallery")


def registry():
    """{file name: function} over all topic modules, in series order."""
    figures = {}
    for name in MODULES:
        module = importlib.import_module(f"utils.{name}")
        for file_name, make in module.FIGURES.items():
            if file_name in figures:
                raise ValueError(f"figure {file_name!r} is defined twice (second in utils.{name})")
            figures[file_name] = make
    return figures


def write(file_name, make, out_dir=FIGURES_DIR):
    """Make one figure and write it to out_dir/file_name; returns the number of frames."""
    path = Path(out_dir) / file_name
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".gif":
        return save_gif(make(), path)
    save_png(make(), path)
    return 1


MADE_WITH = "made-with.txt"  # in figures/, next to the figures


def drawing_versions():
    """The versions that decide every pixel, as pip requirements: ['matplotlib==3.11.2', ...]."""
    return [f"{name}=={metadata.version(name)}" for name in ("matplotlib", "pillow")]


def main(out_dir=FIGURES_DIR, only=None):
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    for file_name, make in registry().items():
        if only and not any(part in file_name for part in only):
            continue
        frames = write(file_name, make, out_dir)
        print(f"{file_name}  ({frames} frame{'s' if frames > 1 else ''})")
    (out_dir / MADE_WITH).write_text(
        "# Written by `python -m tools.figures`: what drew these figures. tests/test_figures.py\n"
        "# compares them pixel for pixel with a fresh drawing only under these versions.\n"
        + "".join(f"{line}\n" for line in drawing_versions()), encoding="utf-8")
    print(f"done in {time.perf_counter() - start:.1f} s -> {out_dir}")


if __name__ == "__main__":
    # python -m tools.figures [part-of-a-name ...] regenerates all figures, or only those matching
    main(only=sys.argv[1:])
