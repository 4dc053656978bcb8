"""The animation gallery: convolution and transposed convolution, one frame per output cell.

`python -m tools.figures gallery/` writes figures/gallery/conv_<case>.gif and
figures/gallery/transposed_<case>.gif for every case of CASES. Every number in
a frame comes from utils.conv (conv2d_loops, conv_transpose2d_as_conv, stretch,
pad_or_crop) and is checked against utils.conv2d / utils.conv_transpose2d
while the frames are made, so the pictures are exact by construction.

The transposed animations show the transposed convolution as a convolution:
insert s-1 zeros between the input values, pad each side by d(k-1)-p (crop when
negative) plus output_padding on the bottom/right, rotate the kernel 180° and
slide it with stride 1 and dilation d.
"""

from functools import partial

import numpy as np
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.patches import PathPatch
from matplotlib.path import Path
from matplotlib.textpath import text_to_path
from matplotlib.transforms import Bbox

from . import conv
from .draw import (COLORS, draw_grid, fill, format_value, legend_patches, outline, quarter_inches,
                   setup_axes, tint)

# case: convolution (i, k, s, p, d -> o) and transposed convolution
# (i, k, s, p, d, output_padding -> o); each transposed case undoes the shape of its convolution
CASES = {
    "no_padding_no_strides": {"conv": dict(i=4, k=3, s=1, p=0, d=1, o=2),
                              "transposed": dict(i=2, k=3, s=1, p=0, d=1, output_padding=0, o=4)},
    "arbitrary_padding": {"conv": dict(i=5, k=4, s=1, p=2, d=1, o=6),
                          "transposed": dict(i=6, k=4, s=1, p=2, d=1, output_padding=0, o=5)},
    "half_padding": {"conv": dict(i=5, k=3, s=1, p=1, d=1, o=5),
                     "transposed": dict(i=5, k=3, s=1, p=1, d=1, output_padding=0, o=5)},
    "full_padding": {"conv": dict(i=5, k=3, s=1, p=2, d=1, o=7),
                     "transposed": dict(i=7, k=3, s=1, p=2, d=1, output_padding=0, o=5)},
    "no_padding_strides": {"conv": dict(i=5, k=3, s=2, p=0, d=1, o=2),
                           "transposed": dict(i=2, k=3, s=2, p=0, d=1, output_padding=0, o=5)},
    "padding_strides": {"conv": dict(i=5, k=3, s=2, p=1, d=1, o=3),
                        "transposed": dict(i=3, k=3, s=2, p=1, d=1, output_padding=0, o=5)},
    "padding_strides_odd": {"conv": dict(i=6, k=3, s=2, p=1, d=1, o=3),
                            "transposed": dict(i=3, k=3, s=2, p=1, d=1, output_padding=1, o=6)},
    "dilation": {"conv": dict(i=7, k=3, s=1, p=0, d=2, o=3),
                 "transposed": dict(i=3, k=3, s=1, p=0, d=2, output_padding=0, o=7)},
}

CASE_TITLES = {  # the README table's row names
    "no_padding_no_strides": "no padding, no strides",
    "arbitrary_padding": "arbitrary padding",
    "half_padding": "half (“same”) padding",
    "full_padding": "full padding",
    "no_padding_strides": "no padding, stride 2",
    "padding_strides": "padding, stride 2",
    "padding_strides_odd": "padding, stride 2, a row left over (output_padding = 1)",
    "dilation": "dilation 2",
}

# Layout in grid cells. Every offset is a multiple of half a cell (12 px at the
# 80 dpi of utils.draw.save_gif), so grid lines fall on whole pixels: crisp and small GIFs.
CELL_INCHES = 0.3  # one grid cell: 24 px (a frame is whole quarter inches, the cells centred)
GAP = 1.5          # between two panels
TOP = 2.0          # room above the grids for two-line titles


def example_input(i):
    """A deterministic i×i input of small integers 1..3 (never 0, so no value looks like padding)."""
    return np.random.default_rng(0).integers(1, 4, size=(i, i)).astype(float)


def example_kernel(k):
    """The k×k kernel 1, 2, ..., k²: no symmetry, so a 180° rotation is easy to see."""
    return np.arange(1, k * k + 1, dtype=float).reshape(k, k)


def _check(condition, message):
    if not condition:
        raise AssertionError(message)


def _params(i, k, s, p, d, output_padding=None, o=None):
    text = f"i={i}, k={k}, s={s}, p={p}, d={d}"
    if output_padding is not None:
        text += f", output_padding={output_padding}"
    return text if o is None else f"{text} → o={o}"


def _text_width(text, fontsize):
    """Width in cells of the widest line of text."""
    return max(text_to_path.get_text_width_height_descent(line, FontProperties(size=fontsize),
                                                          ismath=False)[0]
               for line in text.split("\n")) / 72 / CELL_INCHES


def _legend_labels(roles):
    """[(label, width in cells)] of a one-row colour key of the given roles."""
    labels = [h.get_label() for h in legend_patches(*roles)]
    labels = [label + (" (0)" if label in ("padding", "inserted zeros") else "") for label in labels]
    return [(label, 0.8 + _text_width(label, 8) + 0.8) for label in labels]  # swatch, text, gap


def _legend(ax, roles, x_center, y):
    """A one-row colour key centred on x_center: a swatch and a name per role (cheaper than ax.legend)."""
    items = _legend_labels(roles)
    x = x_center - (sum(w for _, w in items) - 0.8) / 2
    for handle, (label, w) in zip(legend_patches(*roles), items):
        handle.set_bounds(x, y, 0.6, 0.6)
        ax.add_patch(handle)
        ax.text(x + 0.8, y + 0.3, label, ha="left", va="center", fontsize=8)
        x += w


def _outline_taps(ax, top, left, k, d, origin):
    """A green frame inside each of the k×k cells the kernel reads (d apart): one artist."""
    x0, y0 = origin
    square = np.array([[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]) * 0.75 + 0.125
    paths = [Path(square + (x0 + left + b * d, y0 + top + a * d), closed=True)
             for a, b in np.ndindex(k, k)]
    ax.add_artist(PathPatch(Path.make_compound_path(*paths), fill=False,
                            edgecolor=COLORS["kernel"], linewidth=2, zorder=4))


def _new_frame(width, height, dpi=100):
    """A Figure of width×height cells with one frameless Axes whose data units are cells.

    The figure is rounded up to whole quarter inches (utils.draw.quarter_inches says why).
    """
    size = (quarter_inches(width * CELL_INCHES), quarter_inches(height * CELL_INCHES))
    fig = Figure(figsize=size, dpi=dpi)
    FigureCanvasAgg(fig)  # a raster canvas, so utils.draw.to_rgb_array can read its pixels
    ax = fig.add_axes((0, 0, 1, 1))
    setup_axes(ax)
    _show_cells(ax, width, height)
    return fig, ax


def _show_cells(ax, width, height):
    """Show cells [0, width) × [0, height), CELL_INCHES each, centred in the figure.

    At 80 dpi the margins are whole pixels: the figure is a multiple of 20 px, the cells of 12.
    """
    fig_width, fig_height = ax.figure.get_size_inches() / CELL_INCHES
    ax.set_xlim(-(fig_width - width) / 2, (fig_width + width) / 2)
    ax.set_ylim((fig_height + height) / 2, -(fig_height - height) / 2)


class _Backdrop(Artist):
    """What every frame of an animation shares, rendered once per dpi and pasted as pixels.

    Only the window and the output change from frame to frame; drawing the rest (input
    grid, kernels, titles, caption, colour key) once instead of once per frame makes the
    gallery about twice as fast, with the same pixels whenever the figure is a whole number
    of pixels (80 dpi, the GIFs'; elsewhere it may sit up to a pixel off). Raster output only.
    """

    def __init__(self, draw_static, width, height, cache):
        super().__init__()
        self.set_zorder(0)
        self._draw_static, self._size, self._cache = draw_static, (width, height), cache

    def draw(self, renderer):
        dpi = self.figure.dpi
        if dpi not in self._cache:
            fig, ax = _new_frame(*self._size, dpi)
            self._draw_static(ax)
            fig.canvas.draw()
            # Agg pastes images bottom row first
            self._cache[dpi] = np.asarray(fig.canvas.buffer_rgba())[::-1].copy()
        x0, y0 = self.figure.transFigure.transform((0, 0))  # moved by bbox_inches="tight"
        gc = renderer.new_gc()
        renderer.draw_image(gc, round(x0), round(y0), self._cache[dpi])
        gc.restore()

    def get_window_extent(self, renderer=None):
        return self.figure.transFigure.transform_bbox(Bbox.unit())  # the whole figure


def _frames(grid, roles, grid_title, conv_origin, stride, d, kernels, out, header, legend_roles):
    """One Figure per output cell (r, c): the window on the input grid, the output filling up.

    grid: (H, W) values of the input grid (NaN: drawn without a number); roles: (H, W)
    role names (their colours); conv_origin: (row, col) where the convolution's input
    starts inside grid (cropped cells come before it); kernels: [(title, (k, k) values)],
    stacked on the left, the last one slides; out: (o, o); header: caption lines.
    """
    H, W = grid.shape
    k = kernels[-1][1].shape[0]
    o = out.shape[0]
    kernel_name = "kernel" if len(kernels) == 1 else "rotated kernel"
    colors = np.array([[tint(role) for role in row] for row in roles])
    values = np.array([["" if np.isnan(v) else format_value(v) for v in row] for row in grid])
    out_text = np.array([[format_value(v) for v in row] for row in out])
    header = [*header, f"each output cell = sum(window × {kernel_name})"]

    # Layout in cell units: kernel(s) | input | output, then the caption and the colour key.
    # The kernels sit left, out of the way, so only input and output change between frames.
    # Each column is as wide as its grid or its title, in whole cells (grids stay on the
    # half-cell raster); the whole is widened, centred, if the caption is wider.
    def column(grid_width, *titles):
        extra = max(_text_width(t, 10) + 0.5 - grid_width for t in titles)
        return grid_width + max(0, int(np.ceil(extra)))

    output_title = f"output {o}×{o}"
    kernels_w = column(k, *(title for title, _ in kernels))
    in_w, out_w = column(W, grid_title), column(o, output_title)
    caption_w = max(max(_text_width(line, 9) for line in header),
                    sum(w for _, w in _legend_labels(legend_roles))) + 1
    width = kernels_w + in_w + out_w + 2 * GAP + 1
    margin = 0.5 + max(0, int(np.ceil(caption_w - width))) / 2
    width += 2 * margin - 1
    x_kernels = margin + (kernels_w - k) / 2
    x_in = margin + kernels_w + GAP + (in_w - W) / 2
    x_out = margin + kernels_w + GAP + in_w + GAP + (out_w - o) / 2
    kernels_h = len(kernels) * k + (len(kernels) - 1) * TOP
    body_h = max(H, o, kernels_h)
    caption_y = TOP + body_h + 0.5
    legend_y = caption_y + 0.85 * len(header) + 0.2
    height = np.ceil(2 * (legend_y + 1.0)) / 2
    y_in, y_out = TOP + (body_h - H) / 2, TOP + (body_h - o) / 2

    def draw_static(ax):
        draw_grid(ax, colors, values, grid_title, origin=(x_in, y_in))
        y_kernel = TOP + (body_h - kernels_h) / 2
        for title, kernel in kernels:  # stacked on the left
            draw_grid(ax, fill(kernel.shape, "kernel"), kernel, title, origin=(x_kernels, y_kernel))
            y_kernel += k + TOP
        ax.text(x_out + o / 2, y_out - 0.3, output_title, ha="center", va="bottom", fontsize=10)
        for n, line in enumerate(header):
            ax.text(width / 2, caption_y + 0.85 * n, line, ha="center", va="top", fontsize=9)
        _legend(ax, legend_roles, width / 2, legend_y)
        _show_cells(ax, width, height)  # draw_grid rescales the view; keep one cell = one unit

    backdrop_cache = {}  # dpi -> pixels, shared by the frames of this animation
    frames = []
    for r, c in np.ndindex(o, o):
        fig, ax = _new_frame(width, height)
        ax.add_artist(_Backdrop(draw_static, width, height, backdrop_cache))
        # the window of output cell (r, c) on the input, and its k×k taps
        top, left = conv_origin[0] + r * stride, conv_origin[1] + c * stride
        span = d * (k - 1) + 1
        outline(ax, top, left, span, span, origin=(x_in, y_in))
        _outline_taps(ax, top, left, k, d, (x_in, y_in))
        # the output so far: done cells in the output colour, the current one highlighted
        done = np.arange(o * o).reshape(o, o) <= r * o + c
        out_colors = np.where(done[..., None], fill(out.shape, "output"), fill(out.shape, "empty"))
        out_colors[r, c] = tint("highlight")
        draw_grid(ax, out_colors, np.where(done, out_text, ""), origin=(x_out, y_out))
        outline(ax, r, c, origin=(x_out, y_out))
        _show_cells(ax, width, height)
        frames.append(fig)
    return frames


def conv_frames(i, k, s, p, d):
    """Frames of a convolution of an i×i input with a k×k kernel: one Figure per output cell."""
    x, w = example_input(i), example_kernel(k)
    out = conv.conv2d_loops(x, w, stride=s, padding=p, dilation=d)
    reference = conv.conv2d(x[None, None], w[None, None], stride=s, padding=p, dilation=d)[0, 0]
    _check(np.array_equal(out, reference), "conv2d_loops and conv2d disagree")
    o = conv.conv_output_size(i, k, s, p, d)

    padded_input = np.pad(x, p)
    grid = np.pad(x, p, constant_values=np.nan)  # NaN: a padding cell, drawn without a number
    roles = np.where(np.isnan(grid), "padding", "input")
    for r, c in np.ndindex(o, o):  # the picture's window really gives the picture's output
        window = padded_input[r * s: r * s + d * (k - 1) + 1: d, c * s: c * s + d * (k - 1) + 1: d]
        _check(np.sum(window * w) == out[r, c], f"window sum differs at output cell ({r}, {c})")

    title = f"input {i}×{i}" + (f"\npadding p={p}" if p else "")
    header = [f"convolution: {_params(i, k, s, p, d, o=o)}"]
    legend = ["input", "padding", "kernel", "output"] if p else ["input", "kernel", "output"]
    return _frames(grid, roles, title, (0, 0), s, d, [("kernel", w)], out, header, legend)


def transposed_frames(i, k, s, p, d, output_padding):
    """Frames of a transposed convolution of an i×i input, drawn as a stride-1 convolution.

    The left grid is the input with s-1 zeros inserted between values, padded by
    d(k-1)-p on each side (cropped when negative) and by output_padding more on the
    bottom/right; the kernel rotated 180° slides over it. One Figure per output cell.
    """
    y, w = example_input(i), example_kernel(k)
    op = output_padding
    out = conv.conv_transpose2d_as_conv(y, w, stride=s, padding=p, output_padding=op, dilation=d)
    reference = conv.conv_transpose2d(y[None, None], w[None, None], stride=s, padding=p,
                                      output_padding=op, dilation=d)[0, 0]
    _check(np.array_equal(out, reference), "conv_transpose2d_as_conv and conv_transpose2d disagree")
    o = conv.conv_transpose_output_size(i, k, s, p, d, op)

    edge = d * (k - 1) - p  # padding on each side; negative: crop instead
    stretched = conv.stretch(y, s)
    # show the cropped cells too (faded), so the grid always contains the whole stretched input
    shown_edges = (max(edge, 0), max(edge + op, 0))
    crop = (max(-edge, 0), max(-(edge + op), 0))
    is_value = np.zeros(stretched.shape, dtype=bool)
    is_value[::s, ::s] = True
    grid = np.where(is_value, stretched, np.nan)
    pad = ((shown_edges[0], shown_edges[1]), (shown_edges[0], shown_edges[1]))
    grid = np.pad(grid, pad, constant_values=np.nan)
    roles = np.pad(np.where(is_value, "input", "zeros").astype(object), pad, constant_values="padding")
    H = grid.shape[0]
    kept = (slice(crop[0], H - crop[1]),) * 2
    padded = np.nan_to_num(grid)[kept]
    _check(np.array_equal(padded, conv.pad_or_crop(stretched, top=edge, bottom=edge + op,
                                                     left=edge, right=edge + op)),
           "the drawn grid is not the zero-inserted, padded input")
    if crop[0] or crop[1]:
        cropped = np.ones(grid.shape, dtype=bool)
        cropped[kept] = False
        roles = np.where(cropped, "empty", roles)
    rotated = w[::-1, ::-1]
    for r, c in np.ndindex(o, o):
        window = padded[r: r + d * (k - 1) + 1: d, c: c + d * (k - 1) + 1: d]
        _check(np.sum(window * rotated) == out[r, c], f"window sum differs at output cell ({r}, {c})")

    n = padded.shape[0]
    title = f"input {i}×{i}\n" + ("zeros inserted, padded" if s > 1 else "padded") + f": {n}×{n}"
    if edge < 0:
        title = f"input {i}×{i}\n" + ("zeros inserted, cropped" if s > 1 else "cropped") + f": {n}×{n}"
    how = f"padded by d(k−1)−p = {edge}" if edge >= 0 else f"cropped by p−d(k−1) = {-edge}"
    if op:
        how += f" (+ output_padding = {op} bottom/right)"
    steps = (f"s−1 = {s - 1} zeros inserted, " if s > 1 else "") + how
    header = [f"transposed convolution: {_params(i, k, s, p, d, op, o)}",
              f"as a convolution: {steps}",
              "the kernel rotated 180° slides with stride 1" + (f", dilation {d}" if d > 1 else "")]
    legend = ["input"] + (["zeros"] if s > 1 else []) + (["padding"] if max(shown_edges) else [])
    legend += ["kernel", "output"]
    kernels = [("kernel", w), ("kernel rotated 180°", rotated)]
    return _frames(grid, roles, title, (crop[0], crop[0]), 1, d, kernels, out, header, legend)


def _figure_name(kind, case):
    return f"gallery/{kind}_{case}.gif"


def _case_frames(kind, case):
    """The frames of one gallery animation; checks the table's o against utils."""
    params = dict(CASES[case][kind])
    o = params.pop("o")
    frames = (conv_frames if kind == "conv" else transposed_frames)(**params)
    _check(len(frames) == o * o, f"{kind} {case}: {len(frames)} frames, the table says o={o}")
    return frames


FIGURES = {_figure_name(kind, case): partial(_case_frames, kind, case)
           for case in CASES for kind in ("conv", "transposed")}


def readme_table():
    """The README's gallery as a Markdown table: a row per case, convolution | transposed convolution."""
    lines = ["| case | convolution | transposed convolution |", "|---|---|---|"]
    for case, kinds in CASES.items():
        cells = []
        for kind, label in (("conv", "convolution"), ("transposed", "transposed convolution")):
            params = dict(kinds[kind])
            o = params.pop("o")
            alt = f"Animation of a {label}, {_params(**params)}: {o}×{o} output, a frame per cell"
            caption = _params(**params, o=f"{o} ({o}×{o})")
            cells.append(f"![{alt}](figures/{_figure_name(kind, case)})<br>{caption}")
        lines.append(f"| {CASE_TITLES[case]} | {cells[0]} | {cells[1]} |")
    return "\n".join(lines)
