"""Drawing primitives shared by every figure, widget and animation of the series.

One colour per role, the same everywhere (Okabe-Ito, colour-blind safe):
input, output, kernel, padding, inserted zeros, and a highlight for "this one".
Figures are built with matplotlib.figure.Figure (not pyplot), so drawing has
no global side effects and widgets can render without a display.
"""

import io
import math
from pathlib import Path

import numpy as np
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

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


def draw_grid(ax, colors, values=None, title=None, origin=(0, 0), fontsize=9, decimals=1,
              linewidth=1.0):
    """Draw a grid of square cells with one colour each and, optionally, a number in each.

    ax: a matplotlib Axes; colors: (H, W, 3) array of RGB cell colours;
    values: (H, W) numbers or strings (None for no text); origin: the (x, y)
    of the top-left corner in data coordinates (y grows downwards), so several
    grids can share one Axes. One image, two line collections and H*W texts:
    cheap enough for widgets.
    """
    colors = np.asarray(colors, dtype=float)
    H, W = colors.shape[:2]
    x0, y0 = origin
    ax.imshow(colors, extent=(x0, x0 + W, y0 + H, y0), interpolation="nearest", zorder=1)
    ax.hlines(np.arange(H + 1) + y0, x0, x0 + W, colors="0.25", linewidth=linewidth, zorder=2)
    ax.vlines(np.arange(W + 1) + x0, y0, y0 + H, colors="0.25", linewidth=linewidth, zorder=2)
    if values is not None:
        for (r, c), v in np.ndenumerate(np.asarray(values, dtype=object)):
            text = v if isinstance(v, str) else format_value(v, decimals)
            if text:
                ax.text(x0 + c + 0.5, y0 + r + 0.5, text, ha="center", va="center",
                        fontsize=fontsize, zorder=3)
    top = y0
    if title:
        ax.text(x0 + W / 2, y0 - 0.3, title, ha="center", va="bottom", fontsize=fontsize + 1,
                zorder=3)
        top = y0 - 1.0
    # grow the view to hold this grid and its title, whatever was drawn before
    ax.update_datalim([(x0 - 0.05, top), (x0 + W + 0.05, y0 + H + 0.05)])
    ax.autoscale_view()
    setup_axes(ax)


def outline(ax, row, col, height=1, width=1, role="highlight", linewidth=3, origin=(0, 0)):
    """Draw a thick rectangle around cells [row, row+height) x [col, col+width)."""
    x0, y0 = origin
    ax.add_patch(Rectangle((x0 + col, y0 + row), width, height, fill=False,
                           edgecolor=COLORS.get(role, role), linewidth=linewidth, zorder=4))


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


def legend_patches(*roles):
    """Legend handles for the given roles: ax.legend(handles=legend_patches('input', 'padding'))."""
    labels = {"zeros": "inserted zeros"}
    return [Rectangle((0, 0), 1, 1, facecolor=tint(r), edgecolor="0.25", label=labels.get(r, r))
            for r in roles]


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
