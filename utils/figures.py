"""Regenerate every file in figures/: `python -m utils.figures`.

Each topic module of the series has a FIGURES dict mapping a file name to a
function with no arguments. A function behind a .png name returns a Figure; one
behind a .gif name returns a list of Figures, one per frame. Everything is
seeded, so a rerun writes the same files.
"""

import importlib
import sys
import time
from pathlib import Path

from .draw import FIGURES_DIR, save_gif, save_png

MODULES = ("start", "sliding", "matrix", "transposed", "networks", "checkerboard", "gallery")


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


def main(out_dir=FIGURES_DIR, only=None):
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    for file_name, make in registry().items():
        if only and not any(part in file_name for part in only):
            continue
        frames = write(file_name, make, out_dir)
        print(f"{file_name}  ({frames} frame{'s' if frames > 1 else ''})")
    print(f"done in {time.perf_counter() - start:.1f} s -> {out_dir}")


if __name__ == "__main__":
    # python -m utils.figures [part-of-a-name ...] regenerates all figures, or only those matching
    main(only=sys.argv[1:])
