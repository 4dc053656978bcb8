"""Figures and the environment check of notebook 00 (start here)."""

import platform

import numpy as np

from . import conv2d_loops, conv_transpose2d_matrix, draw, widgets
from .example import example_input, example_kernel

# One colour per role, the same in every figure of the series; the highlight is always an outline.
MEANING = {
    "input": "input (sky blue): the input map",
    "output": "output (orange): the output map",
    "kernel": "kernel (bluish green): the weights",
    "padding": "padding (light grey): zeros added around the input",
    "zeros": "inserted zeros (reddish purple): zeros put between input values\n(notebook 03 on)",
    "highlight": "highlight (vermillion outline): the current window or cell",
}


def figure_colour_legend():
    """One swatch per role: the colours every figure of the series uses."""
    fig, ax = draw.new_figure(6.5, 3.25)
    roles = list(MEANING)
    draw.grids(ax, [draw.Grid(np.full((1, 1), "empty" if role == "highlight" else role),
                              origin=(0, 1.3 * row)) for row, role in enumerate(roles)])
    draw.outlines(ax, [(0, 1.3 * roles.index("highlight"), 1, 1)])
    for row, role in enumerate(roles):
        ax.text(1.4, 1.3 * row + 0.5, MEANING[role], va="center", fontsize=10)
    ax.set_xlim(-0.2, 12)
    ax.set_title("The colours of every figure in the series", fontsize=11)
    return fig


def figure_big_picture():
    """A preview: convolution maps the running example's 4x4 input to 2x2; the transposed convolution
    maps 2x2 back to a 4x4 with other values (notebook 03 computes it). No C, Cᵀ or vec here."""
    x, w = example_input(4), example_kernel(3)
    y = conv2d_loops(x, w)
    back = conv_transpose2d_matrix(y, w)
    fig, ax = draw.new_figure(10.0, 3.0)
    draw.grids(ax, [draw.Grid(np.full((3, 3), "kernel"), w, (-4.2, 0.5), "kernel 3×3"),
                    draw.Grid(np.full((4, 4), "input"), x, (0, 0), "input 4×4"),
                    draw.Grid(np.full((2, 2), "output"), y, (7, 1), "output 2×2"),
                    draw.Grid(np.full((4, 4), "output"), back, (13, 0), "transposed output 4×4")],
               fontsize=8)
    for x0, x1, label in ((4.3, 6.7, "convolution"), (9.3, 12.7, "transposed\nconvolution")):
        ax.annotate("", xy=(x1, 2), xytext=(x0, 2), arrowprops=dict(arrowstyle="->", lw=1.5))
        ax.text((x0 + x1) / 2, 1.7, label, ha="center", va="bottom", fontsize=9)
    fig.suptitle("A preview (notebook 03 computes it): the transposed convolution restores the 4×4 "
                 "shape, not the values; it is not an inverse", fontsize=10)
    draw.legend(fig, ("kernel", "input", "output"), {"kernel": "kernel"}, y=-0.02)
    return fig


def environment_report():
    """One line per package the series uses, with its version."""
    import ipywidgets
    import matplotlib

    lines = [f"Python {platform.python_version()}", f"numpy {np.__version__}",
             f"matplotlib {matplotlib.__version__}", f"ipywidgets {ipywidgets.__version__}"]
    try:
        import torch
        lines.append(f"torch {torch.__version__} (optional: only the tests use it)")
    except ImportError:
        lines.append("torch not installed (optional: only the tests use it)")
    return "\n".join(lines)


@widgets.explains_invalid
def render_check(size=3):
    """The widget check's picture: a size×size input grid (size 1 .. 6, the slider's range)."""
    widgets.check_controls({"size": (1, 6)}, size=size)
    fig, ax = draw.new_figure(2.5, 2.5)
    draw.draw_grid(ax, np.full((size, size), "input"), title=f"input {size}×{size}")
    return fig


def check_explorer():
    """A one-slider widget that redraws a small grid: if it moves, widgets work."""
    return widgets.explorer(render_check, {"size": widgets.slider("size", 3, 1, 6)})


FIGURES = {"00_colour_legend.png": figure_colour_legend, "00_big_picture.png": figure_big_picture,
           "00_widget_check.png": render_check}
