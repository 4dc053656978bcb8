"""The animation gallery: convolution and transposed convolution, one frame per output cell.

`python -m tools.figures gallery/` writes figures/gallery/conv_<case>.gif and
figures/gallery/transposed_<case>.gif for every case of CASES, from the series' running
example (utils.example). The transposed animations show the transposed convolution as a
convolution (notebook 03's view 3): insert s-1 zeros between the input values, pad each
side by d(k-1)-p (crop when negative) plus output_padding at the bottom/right, rotate the
kernel 180° and slide it with stride 1 and dilation d. tests/test_gallery.py checks that
every frame's picture is the computation it names.
"""

from functools import partial

import numpy as np
from matplotlib.figure import Figure

from . import draw
from .conv import (conv2d_loops, conv_output_size, conv_transpose2d_as_conv,
                   conv_transpose_output_size, stretch)
from .example import example_input, example_kernel

# case: (README row title, convolution (i, k, s, p, d), transposed convolution
# (i, k, s, p, d, output_padding)); each transposed case undoes the shape of its convolution
CASES = {
    "no_padding_no_strides": ("no padding, no strides", (4, 3, 1, 0, 1), (2, 3, 1, 0, 1, 0)),
    "arbitrary_padding": ("arbitrary padding", (5, 4, 1, 2, 1), (6, 4, 1, 2, 1, 0)),
    "half_padding": ("half (“same”) padding", (5, 3, 1, 1, 1), (5, 3, 1, 1, 1, 0)),
    "full_padding": ("full padding", (5, 3, 1, 2, 1), (7, 3, 1, 2, 1, 0)),
    "no_padding_strides": ("no padding, stride 2", (5, 3, 2, 0, 1), (2, 3, 2, 0, 1, 0)),
    "padding_strides": ("padding, stride 2", (5, 3, 2, 1, 1), (3, 3, 2, 1, 1, 0)),
    "padding_strides_odd": ("padding, stride 2, a row left over (output_padding = 1)",
                            (6, 3, 2, 1, 1), (3, 3, 2, 1, 1, 1)),
    "dilation": ("dilation 2", (7, 3, 1, 0, 2), (3, 3, 1, 0, 2, 0)),
}
CELL_INCHES = 0.3  # one grid cell: 24 px at the 80 dpi of the GIFs
GAP = 1.5  # cells between two panels


def describe(i, k, s, p, d, output_padding=None, o=None):
    """'i=5, k=3, s=2, p=1, d=1' (+ ', output_padding=1') (+ ' → o=3')."""
    text = f"i={i}, k={k}, s={s}, p={p}, d={d}"
    text += "" if output_padding is None else f", output_padding={output_padding}"
    return text if o is None else f"{text} → o={o}"


def conv_grid(x, p):
    """The grid a convolution slides over: x padded by p; (values, roles), NaN for padding."""
    values = np.pad(x, p, constant_values=np.nan)
    return values, np.where(np.isnan(values), "padding", "input")


def transposed_grid(y, k, s, p, d, output_padding):
    """The grid of view 3: y stretched by s, padded by d(k-1)-p per side (+ output_padding
    at the bottom/right); where that is negative, the cropped cells stay, drawn empty.

    Returns (values, roles, offset): NaN values are zeros drawn without a number, and the
    convolution's input starts at (offset, offset) inside the grid.
    """
    edge, op = d * (k - 1) - p, output_padding
    stretched = stretch(y, s)
    is_value = np.zeros(stretched.shape, bool)
    is_value[::s, ::s] = True
    shown = ((max(edge, 0), max(edge + op, 0)),) * 2
    values = np.pad(np.where(is_value, stretched, np.nan), shown, constant_values=np.nan)
    roles = np.pad(np.where(is_value, "input", "zeros").astype("<U8"), shown, constant_values="padding")
    offset, end = max(-edge, 0), values.shape[0] - max(-(edge + op), 0)
    cropped = np.ones(values.shape, bool)
    cropped[offset:end, offset:end] = False
    return values, np.where(cropped, "empty", roles), offset


def _frames(grid, roles, offset, s, d, kernels, out, caption, legend_roles):
    """One Figure per output cell (r, c): kernels | input grid and the window | output so far.

    The window of output (r, c) starts at (offset + r*s, offset + c*s) of the grid.
    """
    (H, _), k, o = grid.shape, kernels[-1][1].shape[0], out.shape[0]
    widths = [max(k, 6), max(H, 8), max(o, 6)]  # columns wide enough for their titles
    lefts = np.cumsum([1] + [w + GAP for w in widths[:-1]])
    x_kernel, x_in, x_out = (left + (w - n) // 2 for left, w, n in zip(lefts, widths, (k, H, o)))
    body = max(H, o, len(kernels) * (k + 2) - 2)
    width, height = sum(widths) + 2 * GAP + 2, 2 + body + 0.9 * len(caption) + 2
    size = (draw.quarter_inches(width * CELL_INCHES), draw.quarter_inches(height * CELL_INCHES))
    labels = [[draw.format_value(v) if np.isfinite(v) else "" for v in row] for row in grid]
    y_in, y_out, y_kernel = 2 + (body - H) // 2, 2 + (body - o) // 2, 2 + (body - len(kernels) * (k + 2) + 2) // 2
    frames = []
    for r, c in np.ndindex(o, o):
        fig = Figure(figsize=size)
        ax = fig.add_axes((0, 0, 1, 1))
        done = np.arange(o * o).reshape(o, o) <= r * o + c
        shown = [[draw.format_value(v) if ok else "" for v, ok in zip(*row)] for row in zip(out, done)]
        draw.grids(ax, [draw.Grid(roles, labels, (x_in, y_in), "input, as the kernel sees it"),
                        draw.Grid(np.where(done, "output", "empty"), shown, (x_out, y_out),
                                  f"output {o}×{o}")]
                   + [draw.Grid(np.full(kernel.shape, "kernel"), kernel,
                                (x_kernel, y_kernel + n * (k + 2)), title)
                      for n, (title, kernel) in enumerate(kernels)])
        top, left, span = y_in + offset + r * s, x_in + offset + c * s, d * (k - 1) + 1
        draw.outlines(ax, [(left + b * d, top + a * d, 1, 1) for a, b in np.ndindex(k, k)],
                      "kernel", linewidth=2, inset=0.125)
        draw.outlines(ax, [(left, top, span, span), (x_out + c, y_out + r, 1, 1)])
        for n, line in enumerate(caption):
            ax.text(width / 2, 2.6 + body + 0.9 * n, line, ha="center", va="top", fontsize=9)
        draw.legend(fig, legend_roles, fontsize=8,
                    labels={"padding": "padding (0)", "zeros": "inserted zeros (0)"})
        ax.set_xlim(width / 2 - size[0] / CELL_INCHES / 2, width / 2 + size[0] / CELL_INCHES / 2)
        ax.set_ylim(height / 2 + size[1] / CELL_INCHES / 2, height / 2 - size[1] / CELL_INCHES / 2)
        frames.append(fig)
    return frames


def conv_frames(i, k, s, p, d):
    """The animation of a convolution of the running example's i×i input with its k×k kernel."""
    x, w = example_input(i), example_kernel(k)
    out, o = conv2d_loops(x, w, stride=s, padding=p, dilation=d), conv_output_size(i, k, s, p, d)
    grid, roles = conv_grid(x, p)
    caption = [f"convolution: {describe(i, k, s, p, d, o=o)}", "each output cell = sum(window × kernel)"]
    legend = ["input"] + ["padding"] * (p > 0) + ["kernel", "output", "highlight"]
    return _frames(grid, roles, 0, s, d, [("kernel", w)], out, caption, legend)


def transposed_frames(i, k, s, p, d, output_padding):
    """The animation of a transposed convolution of the running example, as a stride-1 convolution."""
    y, w, op = example_input(i), example_kernel(k), output_padding
    out = conv_transpose2d_as_conv(y, w, stride=s, padding=p, output_padding=op, dilation=d)
    grid, roles, offset = transposed_grid(y, k, s, p, d, op)
    edge = d * (k - 1) - p
    how = f"padded by d(k−1)−p = {edge}" if edge >= 0 else f"cropped by p−d(k−1) = {-edge}"
    caption = [f"transposed convolution: {describe(i, k, s, p, d, op, out.shape[0])}",
               "as a convolution: " + (f"s−1 = {s - 1} zeros inserted, " if s > 1 else "") + how
               + (f" (+ output_padding = {op} bottom/right)" if op else ""),
               "the kernel rotated 180° slides with stride 1" + (f", dilation {d}" if d > 1 else "")]
    legend = ["input"] + ["zeros"] * (s > 1) + ["padding"] * ("padding" in roles)
    kernels = [("kernel", w), ("rotated 180°", w[::-1, ::-1])]
    return _frames(grid, roles, offset, 1, d, kernels, out, caption,
                   legend + ["kernel", "output", "highlight"])


def _case_frames(kind, case):
    return conv_frames(*CASES[case][1]) if kind == "conv" else transposed_frames(*CASES[case][2])


FIGURES = {f"gallery/{kind}_{case}.gif": partial(_case_frames, kind, case)
           for case in CASES for kind in ("conv", "transposed")}


def readme_table():
    """The README's gallery as a Markdown table: a row per case, convolution | transposed convolution."""
    lines = ["| case | convolution | transposed convolution |", "|---|---|---|"]
    for case, (title, conv_case, transposed_case) in CASES.items():
        cells = []
        for kind, label, args in (("conv", "convolution", conv_case),
                                  ("transposed", "transposed convolution", transposed_case)):
            o = (conv_output_size if kind == "conv" else conv_transpose_output_size)(*args)
            alt = f"Animation of a {label}, {describe(*args)}: {o}×{o} output, a frame per cell"
            cells.append(f"![{alt}](figures/gallery/{kind}_{case}.gif)<br>"
                         f"{describe(*args, o=f'{o} ({o}×{o})')}")
        lines.append(f"| {title} | {cells[0]} | {cells[1]} |")
    return "\n".join(lines)
