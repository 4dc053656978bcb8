"""Figures and the environment check of notebook 00 (start here)."""

import platform

import numpy as np

from . import conv
from .draw import COLORS, draw_grid, fill, new_figure, outline
from .widgets import check_controls, explains_invalid

ROLES = ("input", "output", "kernel", "padding", "zeros", "highlight")


def fig_colour_legend():
    """One swatch per role: the colours every figure of the series uses."""
    meaning = {
        "input": "the input map",
        "output": "the output map",
        "kernel": "the kernel (weights)",
        "padding": "zeros added around the input",
        "zeros": "zeros inserted between input values\n(transposed convolution, stride > 1)",
        "highlight": "the window or cell being discussed",
    }
    fig, ax = new_figure(6.5, 3.0)
    for row, role in enumerate(ROLES):
        if role == "highlight":
            draw_grid(ax, fill((1, 1), "empty"), origin=(0, row * 1.3))
            outline(ax, 0, 0, origin=(0, row * 1.3))
        else:
            draw_grid(ax, fill((1, 1), role), origin=(0, row * 1.3))
        name = "inserted zeros" if role == "zeros" else role
        ax.text(1.4, row * 1.3 + 0.5, f"{name}: {meaning[role]}", va="center", fontsize=10)
    ax.set_xlim(-0.2, 11)
    ax.set_title("The colours of every figure in the series", fontsize=11)
    return fig


def fig_big_picture():
    """Convolution maps 4x4 to 2x2; the transposed convolution maps 2x2 back to a 4x4 with other values.

    Orientation only: no C, Cᵀ or vec here (notebooks 02 and 03 introduce them).
    """
    rng = np.random.default_rng(0)
    x = rng.integers(0, 4, (4, 4)).astype(float)
    w = np.array([[0, 1, 2], [2, 2, 0], [0, 1, 2]], dtype=float)
    y = conv.conv2d_loops(x, w)
    back = conv.conv_transpose2d_matrix(y, w)
    fig, ax = new_figure(10.0, 3.0)
    draw_grid(ax, fill(x.shape, "input"), x, title="input 4×4", origin=(0, 0))
    draw_grid(ax, fill(w.shape, "kernel"), w, title="kernel 3×3", origin=(-4.2, 0.5), fontsize=8)
    draw_grid(ax, fill(y.shape, "output"), y, title="output 2×2", origin=(7, 1))
    draw_grid(ax, fill(back.shape, "output"), back, title="transposed output 4×4",
              origin=(13, 0), fontsize=8)
    ax.annotate("", xy=(6.7, 2), xytext=(4.3, 2), arrowprops=dict(arrowstyle="->", lw=1.5))
    ax.text(5.5, 1.7, "convolution", ha="center", va="bottom", fontsize=9)
    ax.annotate("", xy=(12.7, 2), xytext=(9.3, 2), arrowprops=dict(arrowstyle="->", lw=1.5))
    ax.text(11.0, 1.7, "transposed\nconvolution", ha="center", va="bottom", fontsize=9)
    fig.suptitle("The transposed convolution restores the 4×4 shape, not the values: it is not an inverse",
                 fontsize=10)
    return fig


def environment_report():
    """One line per package the series uses, with its version."""
    import ipywidgets
    import matplotlib

    lines = [f"Python {platform.python_version()}",
             f"numpy {np.__version__}",
             f"matplotlib {matplotlib.__version__}",
             f"ipywidgets {ipywidgets.__version__}"]
    try:
        import torch
        lines.append(f"torch {torch.__version__} (optional: only the tests use it)")
    except ImportError:
        lines.append("torch not installed (optional: only the tests use it)")
    return "\n".join(lines)


@explains_invalid
def render_check(size=3):
    """The widget check's picture: a size×size input grid (size 1 .. 6, the slider's range)."""
    check_controls({"size": (1, 6)}, size=size)
    fig, ax = new_figure(2.5, 2.5)
    draw_grid(ax, fill((size, size), "input"), title=f"input {size}×{size}")
    return fig


def check_explorer():
    """A one-slider widget that redraws a small grid: if it moves, widgets work."""
    from .widgets import explorer, slider

    return explorer(render_check, {"size": slider("size", 3, 1, 6)})


FIGURES = {
    "00_colour_legend.png": fig_colour_legend,
    "00_big_picture.png": fig_big_picture,
    "00_widget_check.png": render_check,
}

__all__ = ["COLORS", "FIGURES", "environment_report", "check_explorer"]
