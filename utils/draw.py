"""Drawing primitives shared by every figure, widget and animation of the series.

One colour per role, the same everywhere (Okabe-Ito, colour-blind safe):
input, output, kernel, padding, inserted zeros, and a highlight for "this one".
Figures are built with matplotlib.figure.Figure (not pyplot), so drawing has
no global side effects and widgets can render without a display.
"""

import io
import math
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import numpy as np
from matplotlib.collections import LineCollection, PathCollection, PolyCollection
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.textpath import TextPath
from matplotlib.transforms import Affine2D

COLORS = {
    "input": "#56B4E9",      # sky blue
    "output": "#E69F00",     # orange
    "kernel": "#009E73",     # bluish green
    "padding": "#C8C8C8",    # light grey
    "zeros": "#CC79A7",      # reddish purple: zeros inserted between input values
    "highlight": "#D55E00",  # vermillion: the window / cell being discussed
    "empty": "#FFFFFF",      # not computed yet
}

FIGURES_DIR = Path(__file__).resolve().parent.parent / "figures"


def tint(role, strength=0.45):
    """The colour of a role mixed with white: light enough to read black numbers on."""
    rgb = np.array(to_rgb(COLORS.get(role, role)))
    return tuple(1 - strength * (1 - rgb))


def fill(shape, role, strength=0.45):
    """An (H, W, 3) array of cell colours, every cell tinted with one role's colour."""
    return np.broadcast_to(np.array(tint(role, strength)), (*shape, 3)).copy()


def format_value(v, decimals=1):
    """Whole numbers print without decimals; others with `decimals` places."""
    v = float(v)
    if v == round(v):
        return str(int(round(v)))
    return f"{v:.{decimals}f}"


def colors(roles, strength=0.45):
    """(H, W) array of role names ('input', 'padding', ...) -> (H, W, 3) tinted cell colours."""
    roles = np.asarray(roles)
    out = np.ones((*roles.shape, 3))
    for role in np.unique(roles):
        out[roles == role] = tint(str(role), strength)
    return out


class Grid(NamedTuple):
    """One grid of square cells, as grids() draws it.

    colors: (H, W, 3) RGB cell colours, or (H, W) role names; values: (H, W) numbers or
    strings ("" for none) or None; origin: (x, y) of the top-left corner in cell units, y
    pointing down; cell: the side of a cell; block: (rows, cols) for darker lines every
    so many cells (a matrix's blocks), with thin light lines between cells.
    """
    colors: object
    values: object = None
    origin: tuple = (0, 0)
    title: str = None
    cell: float = 1.0
    block: tuple = None


def grids(ax, items, fontsize=9, decimals=1, linewidth=1.0):
    """Draw Grids on one Axes: the one way every figure, explorer and animation draws a grid.

    One image per grid, one LineCollection for all their lines, one text per number.
    """
    segments, line_colors, widths, numbers = [], [], [], []
    for g in items:
        rgb = colors(g.colors) if np.asarray(g.colors).ndim == 2 else np.asarray(g.colors, float)
        (H, W), (x0, y0), c = rgb.shape[:2], g.origin, g.cell
        ax.imshow(rgb, extent=(x0, x0 + W * c, y0 + H * c, y0), interpolation="nearest", zorder=1)
        steps = [((1, 1), "0.25", linewidth)] if g.block is None else (
            [((1, 1), "0.75", 0.4 * linewidth)] * (H * W <= 900) + [(g.block, "0.2", linewidth)])
        for (every_r, every_c), color, width in steps:
            new = ([((x0, y0 + r * c), (x0 + W * c, y0 + r * c)) for r in range(0, H + 1, every_r)]
                   + [((x0 + k * c, y0), (x0 + k * c, y0 + H * c)) for k in range(0, W + 1, every_c)])
            segments += new
            line_colors += [color] * len(new)
            widths += [width] * len(new)
        if g.values is not None:
            for (r, k), v in np.ndenumerate(np.asarray(g.values, dtype=object)):
                text = v if isinstance(v, str) else format_value(v, decimals)
                if text:
                    numbers.append((x0 + (k + 0.5) * c, y0 + (r + 0.5) * c, _glyphs(text, fontsize)))
        top = y0
        if g.title:
            ax.text(x0 + W * c / 2, y0 - 0.3, g.title, ha="center", va="bottom",
                    fontsize=fontsize + 1, zorder=3)
            top = y0 - 1.0
        # grow the view to hold this grid and its title, whatever was drawn before
        ax.update_datalim([(x0 - 0.05, top), (x0 + W * c + 0.05, y0 + H * c + 0.05)])
    ax.add_collection(LineCollection(segments, colors=line_colors, linewidths=widths, zorder=2),
                      autolim=False)
    if numbers:  # one artist for every number: a Text each took 2 ms to draw, most of a frame
        ax.add_collection(PathCollection(
            [path for _, _, path in numbers], offsets=[(x, y) for x, y, _ in numbers],
            offset_transform=ax.transData, facecolor="black", edgecolor="none", zorder=3,
            transform=Affine2D().scale(1 / 72) + ax.figure.dpi_scale_trans), autolim=False)
    ax.autoscale_view()
    setup_axes(ax)


@lru_cache(maxsize=4096)
def _glyphs(text, fontsize):
    """The outline of text in points, centred on (0, 0) like a digit (kept: paths are not changed)."""
    path, digit = TextPath((0, 0), text, size=fontsize), TextPath((0, 0), "0", size=fontsize)
    box, digit_box = path.get_extents(), digit.get_extents()
    return path.transformed(Affine2D().translate(-(box.x0 + box.x1) / 2,
                                                 -(digit_box.y0 + digit_box.y1) / 2))


def draw_grid(ax, colors, values=None, title=None, origin=(0, 0), fontsize=9, decimals=1):
    """Draw one grid (see Grid and grids)."""
    grids(ax, [Grid(colors, values, origin, title)], fontsize, decimals)


def outlines(ax, boxes, role="highlight", linewidth=3, inset=0.0, zorder=4):
    """Thick frames around blocks of cells, boxes = [(x, y, width, height)], as one artist;
    inset > 0 draws each frame that far inside its box (e.g. the kernel's taps)."""
    corners = [[(x + inset, y + inset), (x + w - inset, y + inset), (x + w - inset, y + h - inset),
                (x + inset, y + h - inset)] for x, y, w, h in boxes]
    ax.add_collection(PolyCollection(corners, closed=True, facecolors="none",
                                     edgecolors=COLORS.get(role, role), linewidths=linewidth,
                                     joinstyle="miter", zorder=zorder), autolim=False)


def outline(ax, row, col, height=1, width=1, role="highlight", linewidth=3, origin=(0, 0)):
    """Draw a thick rectangle around cells [row, row+height) x [col, col+width)."""
    outlines(ax, [(origin[0] + col, origin[1] + row, width, height)], role, linewidth)


def setup_axes(ax):
    """Square cells, y pointing down, no ticks or frame."""
    ax.set_aspect("equal")
    if not ax.yaxis_inverted():
        ax.invert_yaxis()
    ax.axis("off")


def quarter_inches(inches):
    """inches rounded up to a whole number of quarter inches.

    Figures are saved at 100 dpi and animated and shown in explorers at 80, so a size in
    quarter inches is whole pixels (25 and 20 per quarter) and exact in binary floating point.
    Otherwise 8.2 inches at 100 dpi is 819.99... px: 819 for matplotlib before 3.11, 820 after.
    """
    return math.ceil(round(inches * 4, 9)) / 4  # round first: 10 * 0.3 * 4 is 12.000000000000002


def check_size(fig):
    """Raise ValueError unless fig's width and height are whole quarter inches (see quarter_inches)."""
    size = tuple(float(x) for x in fig.get_size_inches())
    if any(quarter_inches(x) != x for x in size):
        raise ValueError(f"figure size {size} in: make it whole quarter inches (draw.quarter_inches)")


def new_figure(width, height, ncols=1, nrows=1, **subplot_kw):
    """A Figure (not attached to pyplot) and its axes."""
    fig = Figure(figsize=(width, height), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, **subplot_kw)
    return fig, axes[0, 0] if axes.size == 1 else axes.ravel()


LABELS = {"padding": "padding (zeros)", "zeros": "inserted zeros", "kernel": "kernel taps",
          "highlight": "current window"}


def legend_patches(*roles, labels=None):
    """Legend handles, one per role; 'highlight' is an outline, like the window it names.
    labels: {role: text} to say more than LABELS does."""
    labels = {**LABELS, **(labels or {})}
    return [Rectangle((0, 0), 1, 1, facecolor="white" if r == "highlight" else tint(r),
                      edgecolor=COLORS[r] if r == "highlight" else "0.25",
                      linewidth=2 if r == "highlight" else 1, label=labels.get(r, r))
            for r in roles]


def legend(fig, roles, labels=None, y=0.0, fontsize=9):
    """One row of colour swatches centred at the bottom of the figure: the series' colour key."""
    fig.legend(handles=legend_patches(*roles, labels=labels), loc="lower center",
               ncol=len(roles), frameon=False, fontsize=fontsize, bbox_to_anchor=(0.5, y),
               handlelength=1.2, columnspacing=1.2)


def to_png(fig, dpi=80):
    """Render a Figure to PNG bytes (what a widget displays)."""
    check_size(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def to_rgb_array(fig, dpi=80):
    """Render a Figure to an (H, W, 3) uint8 array (one animation frame)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    check_size(fig)
    fig.set_dpi(dpi)
    canvas = FigureCanvasAgg(fig)  # a bare Figure has no pixel buffer of its own
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].copy()


def save_png(fig, path, dpi=100):
    """Write a Figure as a PNG with no timestamp or version metadata, so reruns are identical."""
    check_size(fig)
    fig.savefig(path, format="png", dpi=dpi, metadata={"Software": None})


def save_gif(frames, path, fps=2, dpi=80):
    """Write an animated GIF from an iterable of Figures, one frame each; loops forever."""
    from PIL import Image  # Pillow is a matplotlib dependency

    arrays = [to_rgb_array(f, dpi) for f in frames]
    images = [Image.fromarray(a) for a in arrays]
    # one palette from all frames together keeps every colour identical from frame to frame
    palette = Image.fromarray(np.concatenate(arrays[::max(1, len(arrays) // 8)])).quantize(
        colors=64, method=Image.Quantize.MEDIANCUT)
    frames_p = [im.quantize(palette=palette, dither=Image.Dither.NONE) for im in images]
    frames_p[0].save(path, save_all=True, append_images=frames_p[1:], duration=int(1000 / fps),
                     loop=0, optimize=False)
    return len(frames_p)
