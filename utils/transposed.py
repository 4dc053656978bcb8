"""Notebook 03: transposed convolution as Cᵀ, its three views, output_padding.

Figures (FIGURES, written to figures/03_*.png), the explorer (render_transposed,
transposed_explorer) and the exercise checkers of
notebooks/03_transposed_convolution.ipynb.

The three views of one transposed convolution of y (H, W) with w (k, k):
    matrix    reshape(Cᵀ vec(y)), C the convolution matrix of the output shape
    scatter   each y[a, b] stamps y[a, b]·w at (a·s, b·s); overlaps add; crop p
    as_conv   insert s-1 zeros, pad by d(k-1)-p, rotate w 180°, stride-1 convolution
"""

from functools import lru_cache

import numpy as np
from matplotlib.collections import LineCollection, PatchCollection, PathCollection
from matplotlib.figure import Figure
from matplotlib.image import BboxImage
from matplotlib.font_manager import FontProperties
from matplotlib.patches import Rectangle
from matplotlib.path import Path
from matplotlib.textpath import TextPath, text_to_path
from matplotlib.transforms import Affine2D, Bbox, TransformedBbox

from . import draw, exercises, gallery, widgets
from .conv import (
    conv_matrix,
    conv_output_size,
    conv_transpose2d,
    conv_transpose2d_as_conv,
    conv_transpose2d_matrix,
    conv_transpose2d_scatter,
    conv_transpose_output_size,
    pad_or_crop,
    stretch,
)

# The small example used in the static figures: a 3x3 kernel whose entries 1..9
# make its 180° rotation easy to see, and a 2x2 input.
KERNEL = np.arange(1, 10, dtype=float).reshape(3, 3)
INPUT_2x2 = np.array([[1.0, 2.0], [3.0, 4.0]])

# role name -> RGB tint, computed once (widgets redraw often)
_TINT = {role: np.array(draw.tint(role)) for role in draw.COLORS}
_TINT["empty"] = np.ones(3)


def _colors(roles):
    """(H, W) array of role names -> (H, W, 3) RGB cell colours."""
    roles = np.asarray(roles)
    out = np.ones((*roles.shape, 3))
    for role in np.unique(roles):
        out[roles == role] = _TINT[str(role)]
    return out


@lru_cache(maxsize=1024)
def _text_path(text, fontsize, va="center"):
    """Text (lines split at "\\n", each centred) as one glyph outline in points, placed like
    fig.text(0, 0, text, ha="center", va=va); va "center" (the middle of a digit) or "bottom"."""
    pitch = 1.2 * fontsize  # matplotlib's default line spacing
    digit = TextPath((0, 0), "0", size=fontsize).get_extents()
    lines = text.split("\n")
    if va == "center":
        shift = -(digit.y0 + digit.y1) / 2
    else:  # "bottom": the last line's descenders just above y = 0
        shift = (len(lines) - 1) * pitch + fontsize / 4
    paths = []
    for n, line in enumerate(lines):
        path = TextPath((0, 0), line, size=fontsize)
        extents = path.get_extents()
        paths.append(path.transformed(
            Affine2D().translate(-(extents.x0 + extents.x1) / 2, shift - n * pitch)))
    return Path.make_compound_path(*paths)


_MONOSPACE = FontProperties(family=["monospace"])


@lru_cache(maxsize=None)
def _monospace_glyph(char, fontsize):
    """One character of the monospace font as an outline in points; its baseline at y = 0."""
    return TextPath((0, 0), char, size=fontsize, prop=_MONOSPACE)


@lru_cache(maxsize=None)
def _monospace_advance(fontsize):
    """The width of one monospace character, in points."""
    return text_to_path.get_text_width_height_descent(
        "0" * 10, FontProperties(family=["monospace"], size=fontsize), ismath=False)[0] / 10


def _monospace_texts(fig, text, x, y, fontsize=9):
    """Monospace text with its top-left corner at figure fraction (x, y): [(x, y, path)],
    one per character. Every character of a monospace font is equally wide, so the
    lines are laid out from cached glyphs, however often the text changes."""
    advance = _monospace_advance(fontsize)
    width_in, height_in = fig.get_size_inches()
    texts = []
    for n, line in enumerate(text.split("\n")):
        baseline = y - (n + 0.8) * 1.2 * fontsize / 72 / height_in
        texts += [(x + m * advance / 72 / width_in, baseline, _monospace_glyph(char, fontsize))
                  for m, char in enumerate(line) if char != " "]
    return texts


def _add_texts(fig, transform, texts):
    """Texts [(x, y, path)] (paths from _text_path or _monospace_texts) as ONE black artist.

    Looks like fig.text, but a Text artist costs about a millisecond to draw (the
    multi-line monospace formula about ten) and the explorer writes up to some 70
    of them; one PathCollection of cached glyph outlines draws them all in a few.
    transform maps each (x, y) to pixels; the paths are in points.
    """
    if texts:
        fig.add_artist(PathCollection(
            [path for _, _, path in texts], offsets=[(x, y) for x, y, _ in texts],
            offset_transform=transform,
            transform=Affine2D().scale(1 / 72) + fig.dpi_scale_trans,  # points -> pixels
            facecolor="black", edgecolor="none", zorder=3, snap=False))  # keep thin strokes (+, _)


def _cell_numbers(values, show, origin=(0, 0), fontsize=9):
    """The numbers of a grid where `show` is True, centred in their cells: [(x, y, path)]."""
    x0, y0 = origin
    values = np.asarray(values)
    return [(x0 + c + 0.5, y0 + r + 0.5, _text_path(draw.format_value(values[r, c]), fontsize))
            for r, c in zip(*np.nonzero(show))]


def _title(text, origin, width, fontsize=9):
    """A title centred above a grid of the given width whose top-left corner is origin."""
    return origin[0] + width / 2, origin[1] - 0.3, _text_path(text, fontsize + 1, va="bottom")


def _grid(ax, roles, values=None, title=None, origin=(0, 0), show=None, fontsize=9):
    """One grid of cells coloured by role (draw.draw_grid), numbers where `show` (default: all).

    For the static figures: Axes texts, so that the layout engine makes room for titles.
    """
    labels = None
    if values is not None:
        values = np.asarray(values)
        show = np.ones(values.shape, bool) if show is None else show
        labels = np.full(values.shape, "", dtype=object)
        for r, c in zip(*np.nonzero(show)):
            labels[r, c] = draw.format_value(values[r, c])
    draw.draw_grid(ax, _colors(roles), labels, title, origin, fontsize=fontsize)


def _cell_transform(fig, view, box):
    """Cell coordinates (x right, y down, one unit per cell) -> figure fractions.

    The region view = (x0, y0, x1, y1) is fitted, with square cells and centred,
    into box = (left, bottom, right, top) in figure fractions.
    """
    x0, y0, x1, y1 = view
    left, bottom, right, top = box
    width_in, height_in = fig.get_size_inches()
    cell_in = min((right - left) * width_in / (x1 - x0), (top - bottom) * height_in / (y1 - y0))
    sx, sy = cell_in / width_in, cell_in / height_in
    ox = left + ((right - left) - (x1 - x0) * sx) / 2 - x0 * sx
    oy = top - ((top - bottom) - (y1 - y0) * sy) / 2 + y0 * sy
    return Affine2D().scale(sx, -sy).translate(ox, oy)


def _grids(fig, to_figure, grids):
    """Grids (origin, roles) with integer origins, as ONE image and ONE set of lines, no Axes.

    Looks like one draw.draw_grid per grid (same colours, same lines) but costs a
    single image and a single LineCollection drawn straight onto the figure:
    creating an Axes costs more than everything else in the explorer's picture.
    """
    width = max(x0 + np.shape(roles)[1] for (x0, y0), roles in grids)
    height = max(y0 + np.shape(roles)[0] for (x0, y0), roles in grids)
    rgba = np.zeros((height, width, 4))
    segments = []
    for (x0, y0), roles in grids:
        h, w = np.shape(roles)
        rgba[y0:y0 + h, x0:x0 + w, :3] = _colors(roles)
        rgba[y0:y0 + h, x0:x0 + w, 3] = 1
        segments += [((x0, y0 + r), (x0 + w, y0 + r)) for r in range(h + 1)]
        segments += [((x0 + c, y0), (x0 + c, y0 + h)) for c in range(w + 1)]
    (left, top), (right, bottom) = to_figure.transform([(0, 0), (width, height)])
    image = BboxImage(TransformedBbox(Bbox.from_extents(left, bottom, right, top),
                                      fig.transFigure),
                      interpolation="nearest", origin="upper", zorder=1)
    image.set_data(rgba)
    fig.add_artist(image)
    fig.add_artist(LineCollection(segments, colors="0.25", linewidths=1.0, zorder=2,
                                  transform=to_figure + fig.transFigure))


def stretched_padded_roles(i, k, s, p, d, output_padding):
    """Role of every cell of view 3's input: 'input', 'zeros' (inserted) or 'padding'.

    Shape (i-1)s + 1 + 2(d(k-1)-p) + output_padding per side; a negative
    d(k-1)-p crops instead of padding, as in utils.conv_transpose2d_as_conv.
    """
    edge = d * (k - 1) - p
    sides = dict(top=edge, bottom=edge + output_padding, left=edge, right=edge + output_padding)
    is_input = pad_or_crop(stretch(np.ones((i, i)), s), **sides) > 0
    inside = pad_or_crop(np.ones(((i - 1) * s + 1,) * 2), **sides) > 0
    roles = np.where(is_input, "input", np.where(inside, "zeros", "padding"))
    return roles


def scatter_terms(y, w, s, p, d, row, col):
    """The stamps that reach output[row, col]: a list of (a, b, m, n), meaning y[a, b]·w[m, n].

    Input (a, b) stamps w[m, n] onto canvas cell (a·s + m·d, b·s + n·d); the
    output is the canvas with p cropped from each side, so output[row, col]
    is canvas cell (row + p, col + p).
    """
    k = w.shape[0]
    rows = [(a, m) for a in range(y.shape[0]) for m in range(k) if a * s + m * d == row + p]
    cols = [(b, n) for b in range(y.shape[1]) for n in range(k) if b * s + n * d == col + p]
    return [(a, b, m, n) for a, m in rows for b, n in cols]


# ---------------------------------------------------------------------------
# Static figures
# ---------------------------------------------------------------------------


def figure_ct_matrix():
    """Cᵀ (16x4) of a 3x3 kernel on a 4x4 input, and each column reshaped to 4x4."""
    C = conv_matrix(KERNEL, (4, 4))  # (4, 16)
    CT = C.T
    fig, ax = draw.new_figure(9, 5.75)
    _grid(ax, np.where(CT != 0, "kernel", "empty"), CT, "Cᵀ  (16×4)", show=CT != 0, fontsize=8)
    ax.text(2, 16.4, "row = output cell,\ncolumn = input cell", ha="center", va="top", fontsize=9)
    for j in range(4):
        x0, y0 = 8 + (j % 2) * 6.5, (j // 2) * 8 + 1
        column = CT[:, j].reshape(4, 4)
        a, b = divmod(j, 2)
        _grid(ax, np.where(column != 0, "output", "empty"), column,
              f"column {j} as 4×4:\nwhere input y[{a},{b}] goes",
              origin=(x0, y0), show=column != 0, fontsize=8)
    ax.annotate("", xy=(7.4, 8), xytext=(4.6, 8),
                arrowprops=dict(arrowstyle="->", lw=2, color="0.3"))
    ax.text(6, 7.6, "reshape\neach column", ha="center", va="bottom", fontsize=9)
    ax.set_xlim(-0.5, 18.7)
    ax.set_ylim(18, -1.5)
    fig.suptitle("Cᵀ takes a 2×2 input (4 values) to a 4×4 output (16 values); "
                 "kernel 3×3 = 1..9", fontsize=11)
    return fig


def figure_not_inverse():
    """x -> y = Cx -> Cᵀy and pinv(C)y: neither gives x back."""
    x = np.array([[0, 1, 1, 0], [1, 0, 0, 1], [1, 0, 0, 1], [0, 1, 1, 0]], dtype=float)
    C = conv_matrix(KERNEL, (4, 4))
    y = (C @ x.ravel()).reshape(2, 2)
    back = (C.T @ y.ravel()).reshape(4, 4)
    least_squares = (np.linalg.pinv(C) @ y.ravel()).reshape(4, 4)
    fig, axes = draw.new_figure(11, 3.5, ncols=4)
    panels = [(x, "input", "input x (4×4)"),
              (y, "output", "convolution output\ny = Cx (2×2)"),
              (back, "output", "transposed convolution\nCᵀy (4×4): not x"),
              (least_squares, "output", "least squares pinv(C) y\n(4×4): not x either")]
    for ax, (values, role, title) in zip(axes, panels):
        _grid(ax, np.full(values.shape, role), values, title, fontsize=8)
        ax.set_xlim(-0.2, 4.2)
        ax.set_ylim(4.2, -1.6)
    fig.suptitle("Convolve, then transpose: the shape comes back, the values do not "
                 "(kernel 1..9, 3×3)", fontsize=11)
    return fig


def figure_view_matrix():
    """View 1: input y (2x2) -> vec(y); Cᵀ · vec(y) = Cᵀvec(y) -> reshape to the 4x4 output."""
    CT = conv_matrix(KERNEL, (4, 4)).T
    y = INPUT_2x2
    out = CT @ y.ravel()
    fig, ax = draw.new_figure(8.5, 5)
    _grid(ax, np.full((2, 2), "input"), y, "input y", origin=(8, 1.2))
    ax.annotate("", xy=(9, 5.0), xytext=(9, 3.4),
                arrowprops=dict(arrowstyle="->", lw=1.5, color="0.3"))
    ax.text(9.25, 4.2, "flatten", ha="left", va="center", fontsize=8)
    _grid(ax, np.where(CT != 0, "kernel", "empty"), CT, "Cᵀ (16×4)", origin=(3.5, 0),
          show=CT != 0, fontsize=8)
    ax.text(8.0, 8.0, "×", fontsize=16, ha="center", va="center")
    _grid(ax, np.full((4, 1), "input"), y.reshape(4, 1), "vec(y)", origin=(8.5, 6))
    ax.text(10.25, 8.0, "=", fontsize=16, ha="center", va="center")
    _grid(ax, np.full((16, 1), "output"), out.reshape(16, 1), "Cᵀvec(y)", origin=(11, 0),
          fontsize=8)
    ax.annotate("", xy=(14.3, 8), xytext=(12.2, 8),
                arrowprops=dict(arrowstyle="->", lw=1.5, color="0.3"))
    ax.text(13.25, 7.7, "reshape", ha="center", va="bottom", fontsize=9)
    _grid(ax, np.full((4, 4), "output"), out.reshape(4, 4), "output (4×4)\n= reshape(Cᵀ vec(y))",
          origin=(14.5, 6))
    ax.set_xlim(3, 19)
    ax.set_ylim(16.5, -1.5)
    fig.suptitle("View 1, matrix: the 2×2 input y becomes the 4×4 output reshape(Cᵀ vec(y));\n"
                 "kernel 3×3 = 1..9", fontsize=11)
    return fig


def figure_scatter_stamps():
    """View 2 for a 2x2 input, k=3, s=2, p=0: four stamps y[a,b]·w, added into a 5x5 output."""
    y, w, s = INPUT_2x2, KERNEL, 2
    out = conv_transpose2d_scatter(y, w, stride=s)
    n = out.shape[0]
    fig, ax = draw.new_figure(13, 3.75)
    _grid(ax, np.full((2, 2), "input"), y, "input y (2×2)", origin=(0, 1.5))
    x0 = 3.2
    for index, (a, b) in enumerate(np.ndindex(2, 2)):
        stamp = np.zeros((n, n))
        stamp[a * s: a * s + 3, b * s: b * s + 3] = y[a, b] * w
        roles = np.full((n, n), "empty", dtype=object)
        roles[a * s: a * s + 3, b * s: b * s + 3] = "kernel"
        _grid(ax, roles, stamp, f"y[{a},{b}]={draw.format_value(y[a, b])} × kernel\nplaced at "
              f"({a * s}, {b * s})", origin=(x0, 0), show=roles == "kernel", fontsize=8)
        ax.text(x0 + n + 0.55, n / 2, "+" if index < 3 else "=", fontsize=18, ha="center",
                va="center")
        x0 += n + 1.1
    _grid(ax, np.full((n, n), "output"), out, "output (5×5):\noverlaps add up", origin=(x0, 0),
          fontsize=8)
    ax.set_xlim(-0.2, x0 + n + 0.2)
    ax.set_ylim(n + 0.3, -1.8)
    fig.suptitle("View 2, scatter: every input value stamps a scaled copy of the kernel, "
                 "s = 2 apart (k = 3, p = 0)", fontsize=11)
    return fig


def _draw_view3(ax, y, w, s, p, d, op, row, col):
    """View 3's stretched, padded input, every value written; the window of output[row, col]
    outlined and the taps of the kernel rotated 180° boxed in green. Returns the padded input."""
    i, k = y.shape[0], w.shape[0]
    edge = d * (k - 1) - p
    padded = pad_or_crop(stretch(y, s), top=edge, bottom=edge + op, left=edge, right=edge + op)
    _grid(ax, stretched_padded_roles(i, k, s, p, d, op), padded)
    boxes = [Rectangle((col + n * d + 0.1, row + m * d + 0.1), 0.8, 0.8)
             for m in range(k) for n in range(k)]
    ax.add_collection(PatchCollection(boxes, facecolor="none", edgecolor=draw.COLORS["kernel"],
                                      linewidth=2.2, zorder=4))
    span = d * (k - 1) + 1
    draw.outline(ax, row, col, span, span, linewidth=2)
    return padded


def figure_as_conv():
    """View 3 for a 2x2 input, k=3, s=2, p=0: insert zeros, pad 2, rotate the kernel, convolve."""
    y, w, s, p, d = INPUT_2x2, KERNEL, 2, 0, 1
    out = conv_transpose2d_as_conv(y, w, stride=s, padding=p)
    fig = Figure(figsize=(12.5, 4.25), layout="constrained")
    axes = fig.subplots(1, 4, width_ratios=[2, 7, 3.2, 5])
    _grid(axes[0], np.full((2, 2), "input"), y, "input y (2×2)")
    axes[0].set_ylim(7, -1)
    padded = _draw_view3(axes[1], y, w, s, p, d, 0, 0, 0)
    axes[1].set_title(f"input, stretched and padded ({padded.shape[0]}×{padded.shape[1]}):\n"
                      "s−1 = 1 zero inserted, padded by d(k−1)−p = 2", fontsize=10)
    _grid(axes[2], np.full((3, 3), "kernel"), w, "kernel w", origin=(0, 0))
    _grid(axes[2], np.full((3, 3), "kernel"), w[::-1, ::-1], "kernel rotated 180°",
          origin=(0, 4.5))
    axes[2].set_ylim(8, -1)
    _grid(axes[3], np.full(out.shape, "output"), out, "output (5×5)\n= stride-1 convolution")
    draw.outline(axes[3], 0, 0)
    axes[1].legend(handles=draw.legend_patches("input", "zeros", "padding"), loc="upper center",
                   bbox_to_anchor=(0.5, 0.0), ncol=3, fontsize=9, frameon=False)
    fig.suptitle("View 3: transposed convolution is an ordinary convolution with the kernel "
                 "rotated 180° (k = 3, s = 2, p = 0)\nthe window of output[0, 0] is outlined, "
                 "its taps are boxed in green", fontsize=11)
    return fig


OUTPUT_PADDING_INPUT = np.array([[1.0, 2.0, 1.0], [2.0, 1.0, 3.0], [1.0, 3.0, 2.0]])


def figure_output_padding():
    """i=3, k=3, s=2, output_padding=1: with p=1 the extra edge is computed, with p=0 it is zero."""
    y, w, s, op = OUTPUT_PADDING_INPUT, KERNEL, 2, 1
    fig = Figure(figsize=(10, 9.5), layout="constrained")
    axes = fig.subplots(2, 2, width_ratios=[10, 8]).ravel()
    for r, (p, says) in enumerate([(1, "computed from the input: output_padding ≤ p"),
                                   (0, "zeros, past every stamp: output_padding > p")]):
        out = conv_transpose2d_as_conv(y, w, stride=s, padding=p, output_padding=op)
        o = out.shape[0]
        padded = _draw_view3(axes[2 * r], y, w, s, p, 1, op, o - 1, o - 1)
        axes[2 * r].set_title(f"p = {p}, output_padding = 1: stretched, padded input "
                              f"({padded.shape[0]}×{padded.shape[1]})", fontsize=10)
        axes[2 * r].set_xlim(-0.2, 10.2)
        axes[2 * r].set_ylim(10.2, -0.2)
        _grid(axes[2 * r + 1], np.full(out.shape, "output"), out, None)
        axes[2 * r + 1].set_title(f"output ({o}×{o})", fontsize=10)
        axes[2 * r + 1].set_xlim(-0.2, 8.2)
        axes[2 * r + 1].set_ylim(9.2, -0.2)
        draw.outline(axes[2 * r + 1], o - 1, 0, 1, o)
        draw.outline(axes[2 * r + 1], 0, o - 1, o, 1)
        axes[2 * r + 1].text(o / 2, o + 0.4, f"extra row and column:\n{says}", ha="center", va="top",
                             fontsize=9, color=draw.COLORS["highlight"])
    axes[2].legend(handles=draw.legend_patches("input", "zeros", "padding"), loc="upper center",
                   bbox_to_anchor=(0.5, 0.0), ncol=3, fontsize=9, frameon=False)
    fig.suptitle("input 3×3, k = 3, s = 2, output_padding = 1, kernel rotated 180°; the last window "
                 "is outlined\ntop: p = 1, it still covers an input value; bottom: p = 0, it covers "
                 "only padding", fontsize=11)
    return fig


DEFAULTS = dict(i=3, k=3, s=2, p=1, d=1, output_padding=0, row=1, col=1)


def figure_explorer_default():
    """The explorer in its default state (what the widget shows first)."""
    return render_transposed(**DEFAULTS)


# ---------------------------------------------------------------------------
# The explorer
# ---------------------------------------------------------------------------


def explorer_data(i, k):
    """The explorer's input y (i, i) and kernel w (k, k): small integers, the same every time.

    The gallery's, so the explorer's default state shows the numbers of the animation
    figures/gallery/transposed_padding_strides.gif.
    """
    return gallery.example_input(i), gallery.example_kernel(k)


def _compute(i, k, s, p, d, output_padding):
    """The three views of the explorer's transposed convolution (raises ValueError if invalid)."""
    o = conv_transpose_output_size(i, k, s, p, d, output_padding)
    y, w = explorer_data(i, k)
    args = dict(stride=s, padding=p, output_padding=output_padding, dilation=d)
    views = {"matrix": conv_transpose2d_matrix(y, w, **args),
             "scatter": conv_transpose2d_scatter(y, w, **args),
             "as_conv": conv_transpose2d_as_conv(y, w, **args)}
    return o, y, w, views


def _formula_texts(i, k, s, p, d, op, o, row, col, y, w, terms, value):
    """The formula panel, two columns: output size and view 3 | output[row, col] by view 2."""
    edge = d * (k - 1) - p
    size = [
        "o = (i−1)s − 2p + d(k−1) + output_padding + 1",
        f"  = ({i}−1)·{s} − 2·{p} + {d}·({k}−1) + {op} + 1 = {o}",
        f"view 3: {s - 1} zero(s) between values (s−1),",
        f"pad d(k−1)−p = {edge}" + (" (crop)" if edge < 0 else "")
        + (f", +{op} bottom/right" if op else "") + ", kernel rotated 180°",
    ]
    cell = [f"view 2: output[{row}, {col}] = Σ y[a,b]·w[m,n]",
            "  a·s + m·d = row + p, b·s + n·d = col + p"]
    products = [f"{draw.format_value(y[a, b])}·{draw.format_value(w[m, n])}"
                for a, b, m, n in terms]
    if len(products) > 8:  # long sums: the first and last terms (text is slow to draw)
        products = products[:5] + ["…"] + products[-2:]
        products[-1] += f"  ({len(terms)} terms)"
    for start in range(0, len(products), 5):
        cell.append(("  = " if start == 0 else "  + ") + " + ".join(products[start:start + 5]))
    cell.append(f"  = {draw.format_value(value)}"
                + ("  (no stamp reaches it)" if not terms else ""))
    return "\n".join(size), "\n".join(cell)


@widgets.explains_invalid
def render_transposed(i, k, s, p, d, output_padding, row, col):
    """Four panels for one output cell of a transposed convolution of an i×i input, k×k kernel.

    Panels: view 3 (the stretched, padded input with the taps of the kernel
    rotated 180° over the window of output[row, col]), the output with that
    cell outlined, view 2 (the input values whose stamps reach the cell, and
    the kernel entries they use), and the formula with live numbers.
    i: input size, k: kernel size, s: stride, p: padding, d: dilation; row and
    col (0 .. 20) are clamped to the output. Returns a Figure whose .views holds the
    three views' outputs ({"matrix", "scatter", "as_conv"}, each (o, o)) and
    .cell the (row, col) drawn, or a one-line string if the combination is
    impossible (explains_invalid turns the ValueError into that line).
    """
    widgets.check_controls({**SLIDER_RANGES, "row": (0, CELL_MAX), "col": (0, CELL_MAX)}, i=i, k=k,
                           s=s, p=p, d=d, output_padding=output_padding, row=row, col=col)
    o, y, w, views = _compute(i, k, s, p, d, output_padding)
    row, col = min(row, o - 1), min(col, o - 1)
    out = views["as_conv"]
    terms = scatter_terms(y, w, s, p, d, row, col)
    value = sum(y[a, b] * w[m, n] for a, b, m, n in terms)
    n = (i - 1) * s + 1 + 2 * (d * (k - 1) - p) + output_padding  # view 3's input size

    # No Axes, one image, one set of lines, one collection of numbers (written only where
    # they are read): cheap enough to redraw while a slider moves. Cells are drawn in
    # "cell coordinates".
    fig = Figure(figsize=(9, 5.25))
    x_kernel = n + 2
    x_out = x_kernel + k + 2
    x_scatter = x_out + o + 2
    view = (-0.3, -0.4, max(x_scatter + max(i, k), 21) + 0.3, max(n, o, i + k + 2, 9) + 0.3)
    to_figure = _cell_transform(fig, view, (0.01, 0.27, 0.99, 0.9))  # titles above 0.9
    cells = to_figure + fig.transFigure
    # numbers as large as the cells allow ("16" must fit in one cell), at most 9 points
    cell_points = to_figure.get_matrix()[0, 0] * fig.get_figwidth() * 72
    fontsize = min(9, round(0.6 * cell_points, 1))
    title_size = 9 if fontsize >= 9 else 7

    # view 2: the input values whose stamps reach the cell, and the kernel entries they use
    in_roles = np.full((i, i), "input", dtype=object)
    k_roles = np.full((k, k), "kernel", dtype=object)
    used_in, used_k = np.zeros((i, i), bool), np.zeros((k, k), bool)
    for a, b, m, n_ in terms:
        in_roles[a, b], k_roles[m, n_] = "highlight", "highlight"
        used_in[a, b], used_k[m, n_] = True, True

    roles = stretched_padded_roles(i, k, s, p, d, output_padding)
    _grids(fig, to_figure, [((0, 0), roles), ((x_kernel, 0), np.full((k, k), "kernel")),
                            ((x_out, 0), np.full((o, o), "output")), ((x_scatter, 0), in_roles),
                            ((x_scatter, i + 2), k_roles)])

    # view 3: the stretched, padded input (input values under the window written), the
    # taps of the kernel rotated 180° boxed, the window outlined; the rotated kernel beside
    edge = d * (k - 1) - p
    padded = pad_or_crop(stretch(y, s), top=edge, bottom=edge + output_padding, left=edge,
                         right=edge + output_padding)
    taps = np.zeros(roles.shape, bool)
    taps[row: row + d * (k - 1) + 1: d, col: col + d * (k - 1) + 1: d] = True
    texts = _cell_numbers(padded, taps & (roles == "input"), (0, 0), fontsize)
    texts.append(_title(f"view 3: input, stretched\nand padded ({n}×{n})", (0, 0), n, title_size))
    texts += _cell_numbers(w[::-1, ::-1], np.ones((k, k), bool), (x_kernel, 0), fontsize)
    texts.append(_title("kernel\nrotated 180°", (x_kernel, 0), k, title_size))
    span = d * (k - 1) + 1
    boxes = [Rectangle((col + c + 0.1, row + r + 0.1), 0.8, 0.8)
             for r in range(0, span, d) for c in range(0, span, d)]
    boxes += [Rectangle((col, row), span, span), Rectangle((x_out + col, row), 1, 1)]
    fig.add_artist(PatchCollection(
        boxes, facecolor="none", zorder=4, transform=cells,
        edgecolor=[draw.COLORS["kernel"]] * (len(boxes) - 2) + [draw.COLORS["highlight"]] * 2,
        linewidth=[2.2] * (len(boxes) - 2) + [2, 3]))

    # the output: every value if it is small, else only the selected cell's
    show = np.full((o, o), o <= 5)
    show[row, col] = True
    texts += _cell_numbers(out, show, (x_out, 0), fontsize)
    texts.append(_title(f"output ({o}×{o})", (x_out, 0), o, title_size))

    # view 2's numbers
    texts += _cell_numbers(y, used_in, (x_scatter, 0), fontsize)
    texts.append(_title("scatter view:\ninput", (x_scatter, 0), i, title_size))
    texts += _cell_numbers(w, used_k, (x_scatter, i + 2), fontsize)
    texts.append(_title("kernel", (x_scatter, i + 2), k, title_size))
    _add_texts(fig, cells, texts)

    # the formula with live numbers, in two columns
    left, right = _formula_texts(i, k, s, p, d, output_padding, o, row, col, y, w, terms, value)
    _add_texts(fig, fig.transFigure,
               _monospace_texts(fig, left, 0.01, 0.24) + _monospace_texts(fig, right, 0.52, 0.24))

    fig.views = views
    fig.cell = (row, col)
    return fig


SLIDER_RANGES = dict(i=(2, 5), k=(1, 4), s=(1, 3), p=(0, 3), d=(1, 2), output_padding=(0, 2))
CELL_MAX = 20  # the output row and column sliders' largest value
SLIDER_LABELS = dict(i="input size i", k="kernel size k", s="stride s", p="padding p",
                     d="dilation d", output_padding="output_padding")


def _adjust(controls):
    """Let the output-cell selectors reach exactly the last row/column of the output."""
    try:
        o = conv_transpose_output_size(*(controls[name].value for name in
                                         ("i", "k", "s", "p", "d", "output_padding")))
    except ValueError:
        return
    for name in ("row", "col"):
        controls[name].max = o - 1


def transposed_explorer():
    """Sliders for i, k, s, p, d, output_padding and the output cell, wired to render_transposed."""
    controls = {name: widgets.slider(SLIDER_LABELS[name], DEFAULTS[name], lo, hi)
                for name, (lo, hi) in SLIDER_RANGES.items()}
    controls["row"] = widgets.slider("output row", DEFAULTS["row"], 0, CELL_MAX)
    controls["col"] = widgets.slider("output column", DEFAULTS["col"], 0, CELL_MAX)
    return widgets.explorer(render_transposed, controls, adjust=_adjust)


# ---------------------------------------------------------------------------
# Exercises: each checker computes the expected value itself
# ---------------------------------------------------------------------------


def check_output_size(answer):
    """Exercise 1: output size for i=4, k=4, s=2, p=1, output_padding=0."""
    expected = conv_transpose_output_size(4, 4, 2, 1, 1, 0)
    return exercises.check_value(answer, expected,
                                 "use o = (i−1)s − 2p + d(k−1) + output_padding + 1, "
                                 "with d = 1.")


def check_output_padding(answer):
    """Exercise 2: the output_padding that brings a 10x10 image back (k=3, s=2, p=1)."""
    conv_size = conv_output_size(10, 3, 2, 1)
    expected = 10 - conv_transpose_output_size(conv_size, 3, 2, 1, 1, 0)
    return exercises.check_value(answer, expected,
                                 "first compute the convolution's output size, then the "
                                 "transposed convolution's size with output_padding = 0; "
                                 "the difference is what is missing.")


def _conv_transpose1d(y, w, stride, padding, output_padding):
    """The 1-D transposed convolution, as a 2-D one of height 1 (checked against PyTorch)."""
    return conv_transpose2d(y[None, None, None], w[None, None, None], stride=(1, stride),
                            padding=(0, padding), output_padding=(0, output_padding))[0, 0, 0]


def _conv_transpose1d_cases():
    """Layers the notebook never shows, output_padding > padding among them."""
    rng = np.random.default_rng(2024)
    cases = []
    for n, k, s, p, op in [(4, 3, 2, 0, 1), (5, 2, 3, 1, 2), (3, 4, 2, 1, 1), (6, 1, 2, 0, 1),
                           (4, 3, 1, 2, 0), (2, 5, 3, 2, 2), (7, 3, 2, 1, 0), (1, 3, 2, 1, 1)]:
        cases.append(dict(y=np.round(rng.standard_normal(n), 1), w=np.round(rng.standard_normal(k), 1),
                          stride=s, padding=p, output_padding=op))
    return cases


def check_conv_transpose1d(function):
    """Exercise 3: the learner's conv_transpose1d(y, w, stride, padding, output_padding)."""
    return exercises.check_function(
        function, _conv_transpose1d, _conv_transpose1d_cases(),
        "follow the scatter view of step 4 in 1-D: where does each stamp start, how long must the "
        "canvas be, and which cells does padding crop? When output_padding > padding the output "
        "reaches past the last stamp.")


OUTPUT_PADDING_OPTIONS = {
    "Zeros: output_padding pads the output, as padding pads the input of a convolution.":
        "With padding = 1 the extra row is a row of the stamps' canvas that the crop of padding = 1 "
        "would have removed: stamps land there, so it holds values computed from the input. It is "
        "zero only when output_padding is larger than padding.",
    "A copy of the row above it, to reach the requested size.":
        "Nothing is copied: like every output cell, each cell of the extra row is the sum of the "
        "stamps that land on it.",
    "The row of the stamps' canvas that the crop of padding = 1 would have removed.":
        "output_padding crops one row fewer at the bottom, so the row stays, with the values the "
        "stamps put there.",
    "The input's last row, unchanged.":
        "Each cell of the extra row is a sum of input values times kernel entries (in step 7 its "
        "last cell is 2·9 = 18), not an input value.",
}


def output_padding_question():
    """Exercise 6: what the row added by output_padding holds when output_padding <= padding."""
    return exercises.choice(
        "ConvTranspose2d(kernel_size=3, stride=2, padding=1, output_padding=1) turns a 3×3 input "
        "into 6×6 instead of 5×5. What is in the extra bottom row?",
        OUTPUT_PADDING_OPTIONS,
        correct="The row of the stamps' canvas that the crop of padding = 1 would have removed.")


def check_ct_1d(answer):
    """Exercise 4: Cᵀ of the 1-D convolution of a length-5 input with w = [1, 2, 3], s=2."""
    expected = conv_matrix(np.array([[1.0, 2.0, 3.0]]), (1, 5), stride=(1, 2)).T  # (5, 2)
    try:
        answer_array = None if answer is None else np.asarray(answer, dtype=float)
    except (TypeError, ValueError):
        answer_array = np.array([np.nan])
    hint = ("C has one row per output (o = 2) and one column per input (5); row r holds w "
            "starting at column r·s. Cᵀ swaps rows and columns: shape (5, 2).")
    if answer_array is not None and answer_array.shape == (2, 5):
        hint = "that has the shape of C (2×5); Cᵀ is its transpose, shape (5, 2)."
    return exercises.check_value(answer_array, expected, hint)


def check_view3_padding(answer):
    """Exercise 5: view 3's padding of the stretched input for k=5, d=2, p=3."""
    expected = 2 * (5 - 1) - 3
    return exercises.check_value(answer, expected,
                                 "the dilated kernel spans d(k−1) + 1 cells; view 3 pads by its "
                                 "span minus one, minus the padding p that the transposed "
                                 "convolution crops.")


FIGURES = {
    "03_ct_matrix.png": figure_ct_matrix,
    "03_not_inverse.png": figure_not_inverse,
    "03_view_matrix.png": figure_view_matrix,
    "03_scatter_stamps.png": figure_scatter_stamps,
    "03_as_conv.png": figure_as_conv,
    "03_output_padding.png": figure_output_padding,
    "03_explorer_default.png": figure_explorer_default,
}
