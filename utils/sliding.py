"""Notebook 01, sliding-window convolution: its figures, its explorer and its exercise checkers.

Symbols: i input size, k kernel size, s stride, p padding, d dilation, o output size
(square inputs and kernels here, so one number per symbol).

    render_sliding_window(i, k, s, p, d, step)   one state of the explorer: a Figure, or a
                                                  one-line string for an impossible combination
    sliding_window_explorer()                     the sliders wired to render_sliding_window
    check_*(answer)                               the exercise checkers
    FIGURES                                       {file name in figures/: function -> Figure}
"""

import numpy as np
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.figure import Figure

from . import draw, widgets
from .conv import conv2d_loops, conv_output_size
from .exercises import check_function, check_value, choice, feedback

# The explorer's sliders: name -> (label, default, min, max). The default is the
# configuration of the gallery animation figures/gallery/conv_half_padding.gif.
SLIDERS = {
    "i": ("input size i", 5, 3, 9),
    "k": ("kernel size k", 3, 1, 5),
    "s": ("stride s", 1, 1, 3),
    "p": ("padding p", 1, 0, 3),
    "d": ("dilation d", 1, 1, 3),
}
DEFAULT = {name: spec[1] for name, spec in SLIDERS.items()}
# what the controls can give: the sliders' ranges, and steps up to the largest output's last cell
CONTROL_RANGES = {name: (low, high) for name, (_, _, low, high) in SLIDERS.items()}
CONTROL_RANGES["step"] = (0, conv_output_size(9, 1, 1, 3, 1) ** 2 - 1)  # i=9, k=1, s=1, p=3: o=15

# The worked example of step 1: a 4x4 input and a 3x3 kernel that is not symmetric
# under a 180° rotation, so cross-correlation and convolution give different results.
EXAMPLE_INPUT = np.array([[1, 2, 0, 3],
                          [4, 1, 2, 1],
                          [0, 3, 1, 2],
                          [2, 1, 4, 0]])
EXAMPLE_KERNEL = np.array([[1, 2, 0],
                           [0, 1, -1],
                           [3, 0, 1]])


def example_input():
    """The 4x4 input of step 1 (a copy)."""
    return EXAMPLE_INPUT.copy()


def example_kernel():
    """The 3x3 kernel of step 1 (a copy)."""
    return EXAMPLE_KERNEL.copy()


def explorer_input(i):
    """The explorer's (i, i) input: small whole numbers, the same top-left corner for every i."""
    return np.random.default_rng(0).integers(0, 10, size=(9, 9))[:i, :i]


EXPLORER_KERNEL = np.array([[1, 0, -1, 2, 0],
                            [2, 1, 0, -1, 1],
                            [0, -1, 1, 0, 2],
                            [1, 0, 2, 1, -1],
                            [-1, 2, 0, 1, 0]])


def explorer_kernel(k):
    """The explorer's (k, k) kernel: the top-left corner of one fixed 5x5 kernel."""
    return EXPLORER_KERNEL[:k, :k].copy()


def output_size_text(i, k, s, p, d):
    """The output-size formula with the numbers filled in (one line)."""
    o = (i + 2 * p - d * (k - 1) - 1) // s + 1
    return (f"o = floor((i + 2p - d(k-1) - 1)/s) + 1 = "
            f"floor(({i} + {2 * p} - {d * (k - 1)} - 1)/{s}) + 1 = {o}")


# ---------------------------------------------------------------------------
# Drawing: the padded input with one window, the kernel, the output so far
# ---------------------------------------------------------------------------

GAP = 2  # empty cells between the grids drawn on one Axes


def _window_cells(r, c, k, s, d):
    """Rows and columns of the padded input under the kernel taps for output [r, c]."""
    taps = d * np.arange(k)
    return r * s + taps, c * s + taps


def _title(ax, text, x_center, y_top, fontsize):
    """A label centred above a grid whose top edge is at y_top (y grows downwards)."""
    if text:
        ax.text(x_center, y_top - 0.3, text, ha="center", va="bottom", fontsize=fontsize)


def _as_text(values, keep):
    """Values as strings where keep is True, "" (no text drawn) elsewhere."""
    text = np.full(values.shape, "", dtype=object)
    text[keep] = [draw.format_value(v) for v in values[keep]]
    return text


def _draw_grids(ax, grids, fontsize=9):
    """Draw several grids on one Axes as one image, one set of lines and the texts.

    grids: [(colors (h, w, 3), values (h, w) or None, (x0, y0)), ...], each drawn exactly
    as draw.draw_grid(ax, colors, values, origin=(x0, y0)) would (whole-number origins),
    but with 2 artists for all the grids instead of 3 per grid: the explorer redraws on
    every slider move, and each artist costs time. The caller sets the axis limits.
    """
    left = min(x0 for _, _, (x0, _) in grids)
    top = min(y0 for _, _, (_, y0) in grids)
    right = max(x0 + colors.shape[1] for colors, _, (x0, _) in grids)
    bottom = max(y0 + colors.shape[0] for colors, _, (_, y0) in grids)
    canvas = np.zeros((bottom - top, right - left, 4))  # transparent between the grids
    segments = []
    for colors, values, (x0, y0) in grids:
        h, w = colors.shape[:2]
        canvas[y0 - top: y0 - top + h, x0 - left: x0 - left + w] = np.dstack(
            [colors, np.ones((h, w))])
        segments += [((x0, y), (x0 + w, y)) for y in range(y0, y0 + h + 1)]
        segments += [((x, y0), (x, y0 + h)) for x in range(x0, x0 + w + 1)]
        if values is None:
            continue
        for (r, c), v in np.ndenumerate(np.asarray(values, dtype=object)):
            text = v if isinstance(v, str) else draw.format_value(v)
            if text:
                ax.text(x0 + c + 0.5, y0 + r + 0.5, text, ha="center", va="center",
                        fontsize=fontsize, zorder=3)
    ax.imshow(canvas, extent=(left, right, bottom, top), interpolation="nearest", zorder=1)
    ax.add_collection(LineCollection(segments, colors="0.25", linewidths=1.0, zorder=2),
                      autolim=False)
    draw.setup_axes(ax)


def _outlines(ax, boxes, linewidth=3):
    """Thick highlight-coloured frames around cell blocks: boxes = [(x, y, width, height)].

    One collection for all of them; looks like draw.outline called once per box.
    """
    corners = [[(x, y), (x + w, y), (x + w, y + h), (x, y + h)] for x, y, w, h in boxes]
    ax.add_collection(PolyCollection(corners, closed=True, facecolors="none",
                                     edgecolors=draw.COLORS["highlight"], linewidths=linewidth,
                                     joinstyle="miter", zorder=4), autolim=False)


def _window_value(padded, w, r, c, s, d):
    """output[r, c]: the sum of the kernel taps times the padded-input cells they read."""
    return float(np.sum(padded[np.ix_(*_window_cells(r, c, w.shape[0], s, d))] * w))


def draw_sliding_window(ax, x, w, s, p, d, step, origin=(0, 0), show_kernel=True, numbers="all",
                        fontsize=9, titles=("input (padded)", "kernel", "output"),
                        title_fontsize=10):
    """Draw one step of the sliding window on ax; return the x coordinate of the right edge.

    x: (i, i) input, w: (k, k) kernel. The padded input (padding in the padding colour)
    has the kernel taps of the current window in the kernel colour and the window's
    span outlined; the output shows the cells computed so far, the current one
    highlighted. Output cells are taken in row-major order: step = r*o + c.
    numbers: "all" (every cell computed so far), "window" (only the cells read now:
    the window's taps, the kernel and the current output cell; text is what makes
    a figure slow) or None. Raises ValueError if the kernel does not fit.
    """
    i, k = x.shape[0], w.shape[0]
    o = conv_output_size(i, k, s, p, d)
    step = int(np.clip(step, 0, o * o - 1))
    r, c = divmod(step, o)
    x0, y0 = origin
    n = i + 2 * p
    padded = np.pad(x, p)
    grids, boxes = [], []

    colors = draw.fill((n, n), "padding")
    colors[p: p + i, p: p + i] = draw.tint("input")
    taps = np.zeros((n, n), dtype=bool)
    taps[np.ix_(*_window_cells(r, c, k, s, d))] = True
    colors[taps] = draw.tint("kernel")
    text = {"all": _as_text(padded, np.ones_like(taps)), "window": _as_text(padded, taps)}
    grids.append((colors, text.get(numbers), (x0, y0)))
    _title(ax, titles[0], x0 + n / 2, y0, title_fontsize)
    span = d * (k - 1) + 1
    boxes.append((x0 + c * s, y0 + r * s, span, span))
    x0 += n + GAP

    if show_kernel:
        grids.append((draw.fill((k, k), "kernel"), w if numbers else None, (x0, y0)))
        _title(ax, titles[1], x0 + k / 2, y0, title_fontsize)
        x0 += k + GAP

    out_colors = draw.fill((o, o), "empty")
    flat = out_colors.reshape(o * o, 3)
    flat[:step] = draw.tint("output")
    flat[step] = draw.tint("highlight")
    out_text = None
    if numbers == "all":
        out_text = _as_text(conv2d_loops(x, w, stride=s, padding=p, dilation=d), np.arange(o * o).reshape(o, o) <= step)
    elif numbers:  # only the current cell: compute just that one value
        out_text = np.full((o, o), "", dtype=object)
        out_text[r, c] = draw.format_value(_window_value(padded, w, r, c, s, d))
    grids.append((out_colors, out_text, (x0, y0)))
    _title(ax, titles[2], x0 + o / 2, y0, title_fontsize)
    boxes.append((x0 + c, y0 + r, 1, 1))
    _draw_grids(ax, grids, fontsize)
    _outlines(ax, boxes)
    return x0 + o


def _legend(fig, fontsize=9, y=0.0):
    handles = draw.legend_patches("input", "padding", "kernel", "output", "highlight")
    labels = ["input", "padding (zeros)", "kernel taps", "output", "current output cell"]
    for handle, label in zip(handles, labels):
        handle.set_label(label)
    handles[-1].set_edgecolor(draw.COLORS["highlight"])
    fig.legend(handles=handles, loc="lower center", ncol=5, frameon=False, fontsize=fontsize,
               bbox_to_anchor=(0.5, y), handlelength=1.2, columnspacing=1.2)


@widgets.explains_invalid
def render_sliding_window(i, k, s, p, d, step):
    """The explorer's picture: padded input with the current window, kernel, output, formula.

    Returns a Figure, or a one-line string when the (dilated) kernel does not fit in
    the padded input. step is clamped to the output's cells, 0 .. o*o - 1 (the step
    slider's maximum lags a change of the others). Values no control can give raise
    ValueError naming the value and the range (a one-line string, by explains_invalid).
    """
    widgets.check_controls(CONTROL_RANGES, i=i, k=k, s=s, p=p, d=d, step=step)
    o = conv_output_size(i, k, s, p, d)
    step = int(np.clip(step, 0, o * o - 1))
    r, c = divmod(step, o)
    x, w = explorer_input(i), explorer_kernel(k)

    fig = Figure(figsize=(10, 5))  # no layout engine: positions are fixed, drawing is fast
    ax = fig.add_axes((0.01, 0.09, 0.98, 0.76))
    n = i + 2 * p
    units_wide = n + k + o + 2 * GAP + 1
    units_high = max(n, k, o) + 1.5
    cell_points = min(0.98 * 10 * 72 / units_wide, 0.76 * 5 * 72 / units_high)
    fontsize = float(np.clip(0.4 * cell_points, 5, 11))

    right = draw_sliding_window(ax, x, w, s, p, d, step, numbers="window", fontsize=fontsize,
                                titles=(f"input {i}×{i}" + (f", padded by p={p}" if p else
                                                            ", no padding (p=0)"),
                                        f"kernel {k}×{k}, d={d}", f"output {o}×{o}"),
                                title_fontsize=11)
    ax.set_xlim(-0.5, right + 0.5)
    ax.set_ylim(max(n, k, o) + 0.3, -1.5)

    value = _window_value(np.pad(x, p), w, r, c, s, d)
    fig.text(0.5, 0.985, output_size_text(i, k, s, p, d), ha="center", va="top", fontsize=11)
    fig.text(0.5, 0.925, f"step {step + 1} of {o * o}: output[{r}, {c}] = "
             f"sum(window × kernel) = {draw.format_value(value)}",
             ha="center", va="top", fontsize=10)
    _legend(fig)
    return fig


def sliding_window_explorer():
    """Sliders for i, k, s, p, d and a step slider with a Play button; returns the widget."""
    controls = {name: widgets.slider(label, value, low, high)
                for name, (label, value, low, high) in SLIDERS.items()}
    o = conv_output_size(*DEFAULT.values())
    play, step = widgets.play_slider("step", o * o - 1)
    controls["step"] = step

    def adjust(controls):
        # the step slider runs over the output's cells: 0 .. o*o - 1
        try:
            o = conv_output_size(*(controls[name].value for name in SLIDERS))
        except ValueError:
            return  # render explains why; keep the step slider as it is
        play.max = step.max = o * o - 1  # lowering max also clamps the value

    return widgets.explorer(render_sliding_window, controls, adjust=adjust, extras=(play,))


# ---------------------------------------------------------------------------
# Static figures of the notebook
# ---------------------------------------------------------------------------


def _panel_limits(ax, right, height, top=-1.5):
    ax.set_xlim(-0.3, right + 0.3)
    ax.set_ylim(height + 0.3, top)


def fig_one_output_by_hand():
    """Step 1: a 4x4 input and a 3x3 kernel give a 2x2 output; the window at its 4 positions."""
    x, w = example_input(), example_kernel()
    fig, axes = draw.new_figure(12, 3.0, ncols=5, gridspec_kw={"width_ratios": [3, 9, 9, 9, 9]})
    draw.draw_grid(axes[0], draw.fill(w.shape, "kernel"), w, "kernel w (3×3)")
    _panel_limits(axes[0], 3, 4)
    for step, ax in enumerate(axes[1:]):
        r, c = divmod(step, 2)
        right = draw_sliding_window(ax, x, w, 1, 0, 1, step, show_kernel=False,
                                    titles=("input x (4×4)", "", "output y (2×2)"))
        ax.text(right / 2, 4.4, f"position {step + 1}: y[{r}, {c}]", ha="center", va="top",
                fontsize=10)
        _panel_limits(ax, right, 5.0)
    window = x[:3, :3]
    terms = " + ".join(f"{a}·{b}" if b >= 0 else f"{a}·({b})"
                       for a, b in zip(window.ravel(), w.ravel()))
    fig.suptitle(f"y[0, 0] = sum of input window × kernel = {terms} = {int(np.sum(window * w))}",
                 fontsize=11)
    return fig


def fig_cross_correlation_vs_convolution():
    """Step 2: sliding w (cross-correlation) versus sliding w rotated 180° (convolution)."""
    x, w = example_input(), example_kernel()
    rotated = w[::-1, ::-1]
    correlation = conv2d_loops(x, w)
    convolution = conv2d_loops(x, rotated)
    fig, axes = draw.new_figure(10, 3.5, ncols=2)
    rows = (("deep learning 'convolution' = cross-correlation", w, "kernel w", correlation),
            ("convolution in maths: kernel rotated 180°", rotated, "w rotated 180°", convolution))
    for ax, (heading, kernel, kernel_title, result) in zip(axes, rows):
        draw.draw_grid(ax, draw.fill((4, 4), "input"), x, "input x")
        draw.draw_grid(ax, draw.fill((3, 3), "kernel"), kernel, kernel_title, (6, 0))
        draw.draw_grid(ax, draw.fill((2, 2), "output"), result, "output", (11, 0))
        ax.text(5, 1.5, "⋆", ha="center", va="center", fontsize=24)
        ax.text(10, 1.5, "=", ha="center", va="center", fontsize=16)
        ax.text(6.5, 4.6, heading, ha="center", va="top", fontsize=11)
        _panel_limits(ax, 13, 5.2)
    fig.suptitle("The same input and kernel: flipping the kernel changes the output", fontsize=12)
    return fig


def _read_mask(i, k, s, p, d):
    """(i+2p, i+2p) booleans: True where at least one window has a kernel tap."""
    o = conv_output_size(i, k, s, p, d)
    n = i + 2 * p
    read = np.zeros((n, n), dtype=bool)
    for r in range(o):
        for c in range(o):
            read[np.ix_(*_window_cells(r, c, k, s, d))] = True
    return read


def fig_window_indices():
    """Step 3: which padded-input cell kernel tap (a, b) reads for output cell (r, c)."""
    i, k, s, p, d, step = 6, 3, 2, 1, 2, 3
    r, c, a, b = 1, 1, 1, 2
    o = conv_output_size(i, k, s, p, d)
    assert divmod(step, o) == (r, c)
    fig, ax = draw.new_figure(9, 5.0)
    right = draw_sliding_window(ax, np.zeros((i, i)), np.ones((k, k)), s, p, d, step,
                                numbers=None, titles=("", "", ""))
    n = i + 2 * p
    for text, center in (("padded input", n / 2), ("kernel", n + GAP + k / 2),
                         ("output", n + 2 * GAP + k + o / 2)):
        _title(ax, text, center, -0.7, 10)
    for index in range(n):  # row numbers on the left, column numbers above
        ax.text(-0.3, index + 0.5, str(index), ha="right", va="center", fontsize=9)
        ax.text(index + 0.5, -0.1, str(index), ha="center", va="bottom", fontsize=9)
    row, col = r * s + a * d, c * s + b * d
    draw.outline(ax, row, col, role="black", linewidth=2)
    draw.outline(ax, a, n + GAP + b, role="black", linewidth=2)
    ax.text(0, n + 0.6,
            f"output[r, c] = output[{r}, {c}] (s={s}, p={p}, d={d}): the window starts at "
            f"(r·s, c·s) = ({r * s}, {c * s}).\n"
            f"Kernel tap (a, b) = ({a}, {b}) (black outline) reads "
            f"padded_input[r·s + a·d, c·s + b·d] = padded_input[{row}, {col}].",
            ha="left", va="top", fontsize=10, linespacing=1.5)
    ax.set_xlim(-1.2, right + 0.3)
    ax.set_ylim(n + 2.6, -1.8)
    fig.suptitle(f"Where each kernel tap reads (i={i}, k={k}, s={s}, p={p}, d={d}, o={o})",
                 fontsize=12)
    _legend(fig, y=-0.02)
    return fig


def _configuration_panels(configs, width, height, mark_unread=False):
    """One panel per (i, k, s, p, d, step, caption): padded input with a window, and the output.

    Every panel has the same scale, so cells are the same size everywhere.
    """
    fig, axes = draw.new_figure(width, height, ncols=len(configs))
    axes = np.atleast_1d(axes)
    tallest = max(i + 2 * p for i, k, s, p, d, step, caption in configs)
    widest = max(i + 2 * p + GAP + conv_output_size(i, k, s, p, d)
                 for i, k, s, p, d, step, caption in configs)
    for ax, (i, k, s, p, d, step, caption) in zip(axes, configs):
        x = np.zeros((i, i))
        w = np.ones((k, k))
        right = draw_sliding_window(ax, x, w, s, p, d, step, show_kernel=False, numbers=None,
                                    titles=("input (padded)" if p else "input", "", "output"))
        if mark_unread:
            for r, c in zip(*np.nonzero(~_read_mask(i, k, s, p, d))):
                ax.text(c + 0.5, r + 0.5, "×", ha="center", va="center", fontsize=12,
                        color=draw.COLORS["highlight"], zorder=5)
        ax.text(right / 2, tallest + 0.5, caption, ha="center", va="top", fontsize=10)
        _panel_limits(ax, widest, tallest + 2.0)
    _legend(fig, y=-0.01)
    return fig


def fig_padding():
    """Step 3: valid, same and full padding for i=5, k=3 (s=1, d=1).

    The first window is only outlined, so the padding and input under it keep their colours;
    every output cell is drawn computed (orange), the first one highlighted.
    """
    i, k = 5, 3
    fig, axes = draw.new_figure(12, 4.25, ncols=3)
    tallest = i + 4
    widest = tallest + GAP + conv_output_size(i, k, 1, 2)
    for ax, (name, p) in zip(axes, (("valid", 0), ("same", 1), ("full", 2))):
        n, o = i + 2 * p, conv_output_size(i, k, 1, p)
        colors = draw.fill((n, n), "padding")
        colors[p: p + i, p: p + i] = draw.tint("input")
        out_colors = draw.fill((o, o), "output")
        out_colors[0, 0] = draw.tint("highlight")
        _draw_grids(ax, [(colors, None, (0, 0)), (out_colors, None, (n + GAP, 0))])
        _title(ax, "input (padded)" if p else "input", n / 2, 0, 10)
        _title(ax, "output", n + GAP + o / 2, 0, 10)
        _outlines(ax, [(0, 0, k, k), (n + GAP, 0, 1, 1)])
        ax.text(widest / 2, tallest + 0.5, f"{name}: p={p}\no = {o}", ha="center", va="top",
                fontsize=10)
        _panel_limits(ax, widest, tallest + 2.0)
    handles = draw.legend_patches("input", "padding", "highlight", "output", "highlight")
    labels = ["input", "padding (zeros)", "the first window", "output", "its output cell"]
    for handle, label in zip(handles, labels):
        handle.set_label(label)
        if label.startswith(("the first", "its")):
            handle.set_edgecolor(draw.COLORS["highlight"])
    handles[2].set_facecolor("none")
    fig.legend(handles=handles, loc="lower center", ncol=5, frameon=False, fontsize=9,
               bbox_to_anchor=(0.5, -0.01), handlelength=1.2, columnspacing=1.2)
    fig.suptitle("Padding, i=5, k=3, s=1: the first window; the output grows by 2 for each "
                 "extra ring of zeros", fontsize=12)
    return fig


def fig_stride():
    """Step 4b: stride 2 makes the window jump two cells; i=5, k=3, s=2, p=0 gives o=2."""
    configs = [(5, 3, 2, 0, 1, step, f"step {step + 1}: window at row {r * 2}, column {c * 2}")
               for step, (r, c) in enumerate([(0, 0), (0, 1), (1, 0)])]
    fig = _configuration_panels(configs, 11, 3.75)
    fig.suptitle("Stride s=2 (i=5, k=3, p=0): the window jumps 2 cells, output 2×2",
                 fontsize=12)
    return fig


def fig_dilation():
    """Step 4c: dilation 2 spreads the 3 taps over 5 cells; i=7, k=3, d=2 gives o=3."""
    configs = [(7, 3, 1, 0, 2, step, f"step {step + 1}") for step in (0, 1, 8)]
    fig = _configuration_panels(configs, 12, 4.0)
    fig.suptitle("Dilation d=2 (i=7, k=3, s=1, p=0): the kernel has holes and spans "
                 "d(k-1)+1 = 5 cells, output 3×3", fontsize=12)
    return fig


def fig_output_size_formula():
    """Step 4d: counting window starts along one padded row gives the output-size formula."""
    i, k, s, p, d = 5, 3, 2, 1, 1
    n, span = i + 2 * p, d * (k - 1) + 1
    o = conv_output_size(i, k, s, p, d)
    fig, ax = draw.new_figure(10, 3.75)
    colors = draw.fill((1, n), "padding")
    colors[0, p: p + i] = draw.tint("input")
    draw.draw_grid(ax, colors, [list(range(n))], f"one row of the padded input "
                   f"(i={i}, p={p}): i + 2p = {n} cells, numbered from 0")
    for window in range(o):
        start = window * s
        y = 1.6 + 1.4 * window
        draw.draw_grid(ax, draw.fill((1, span), "kernel"), None, None, (start, y))
        ax.text(n + 0.5, y + 0.5, f"window {window + 1} starts at {start} = {window}·s",
                ha="left", va="center", fontsize=10)
    last = 1.6 + 1.4 * o
    ax.text(-0.5, last + 0.3,
            f"A window covers d(k-1) + 1 = {span} cells (k={k}, d={d}), so its start can be at "
            f"most i + 2p - d(k-1) - 1 = {n - span}.\n"
            f"The starts are 0, s, 2s, ... up to that limit (s={s}), so there are "
            f"floor({n - span}/s) + 1 = floor({n - span}/{s}) + 1 = {o} of them.\n"
            f"Output size: o = floor((i + 2p - d(k-1) - 1)/s) + 1 = {o}.",
            ha="left", va="top", fontsize=10, linespacing=1.5)
    ax.set_xlim(-0.6, n + 9)
    ax.set_ylim(last + 3.2, -1.2)
    fig.suptitle("Counting windows along one row of the input gives one side of the output",
                 fontsize=12)
    return fig


def fig_stride_hides_input_size():
    """Step 5: with k=3, s=2, p=0, inputs of size 5 and 6 both give a 2x2 output."""
    configs = [(i, 3, 2, 0, 1, 3, f"i={i}: o = {conv_output_size(i, 3, 2)}"
                + ("" if i == 5 else "; × = never read by any window"))
               for i in (5, 6)]
    fig = _configuration_panels(configs, 10, 4.0, mark_unread=True)
    fig.suptitle("Stride s=2, k=3, p=0: two input sizes, one output size (last window shown)",
                 fontsize=12)
    return fig


def fig_explorer_default():
    """Step 6: the explorer in its default state, for readers without a running kernel."""
    return render_sliding_window(**DEFAULT, step=0)


# What a kernel does (end of step 1): a classic edge detector on a real photo.
EDGE_KERNEL = np.array([[1, 0, -1],
                        [2, 0, -2],
                        [1, 0, -1]])  # Sobel: the left column of the window minus the right one


def example_photo():
    """A real photo in grey levels 0..1, (150, 128): matplotlib's sample image of Grace Hopper.

    It ships with matplotlib (mpl-data/sample_data), so nothing is downloaded; every 4th pixel.
    """
    from matplotlib import cbook
    from matplotlib.image import imread

    rgb = imread(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))[::4, ::4, :3]
    return rgb.astype(float) @ np.array([0.299, 0.587, 0.114]) / 255


def fig_edge_detector():
    """Step 1: the Sobel kernel slid over a photo lights up its vertical edges."""
    photo = example_photo()
    edges = conv2d_loops(photo, EDGE_KERNEL)
    fig, axes = draw.new_figure(9, 3.25, ncols=3, gridspec_kw={"width_ratios": [4, 2, 4]})
    axes[0].imshow(photo, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    axes[0].set_title(f"input: a photo, {photo.shape[0]}×{photo.shape[1]} grey levels", fontsize=10)
    draw.draw_grid(axes[1], draw.fill((3, 3), "kernel"), EDGE_KERNEL, "kernel w (Sobel)")
    draw.setup_axes(axes[1])
    axes[1].set_xlim(-0.5, 3.5)
    axes[1].set_ylim(5.5, -2.5)
    axes[2].imshow(np.abs(edges), cmap="gray", interpolation="nearest")
    axes[2].set_title(f"output: |y|, {edges.shape[0]}×{edges.shape[1]}", fontsize=10)
    for ax in (axes[0], axes[2]):
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle("The same sum of products on a photo: bright where brightness changes from left "
                 "to right", fontsize=11)
    return fig


FIGURES = {
    "01_one_output_by_hand.png": fig_one_output_by_hand,
    "01_edge_detector.png": fig_edge_detector,
    "01_cross_correlation_vs_convolution.png": fig_cross_correlation_vs_convolution,
    "01_window_indices.png": fig_window_indices,
    "01_padding.png": fig_padding,
    "01_stride.png": fig_stride,
    "01_dilation.png": fig_dilation,
    "01_output_size_formula.png": fig_output_size_formula,
    "01_stride_hides_input_size.png": fig_stride_hides_input_size,
    "01_explorer_default.png": fig_explorer_default,
}


# ---------------------------------------------------------------------------
# Exercise checkers: each computes the expected answer itself and prints
# "Correct!" or a hint, never the answer.
# ---------------------------------------------------------------------------

OUTPUT_SIZE_QUESTION = dict(i=11, k=3, s=2, p=1, d=2)
ONE_VALUE_QUESTION = dict(padding=1, row=2, col=0)  # not y[0, 0] of step 1, nor any value shown
SAME_PADDING_KERNEL = 5
INPUT_SIZES_QUESTION = dict(k=5, s=3, p=1, o=4)
DILATION_CASES = [  # (input shape, kernel shape, dilation)
    ((7, 7), (3, 3), 2), ((8, 6), (2, 3), 2), ((9, 9), (3, 3), 3), ((5, 5), (3, 3), 1),
    ((10, 7), (3, 2), 3), ((6, 6), (1, 1), 2),
]


def _is(answer, value):
    """answer == value for a plain number; False for anything else (lists, arrays, strings)."""
    return isinstance(answer, (int, float, np.integer, np.floating)) and answer == value


def check_output_size(answer):
    """Exercise 1: the output size for OUTPUT_SIZE_QUESTION."""
    q = OUTPUT_SIZE_QUESTION
    expected = conv_output_size(q["i"], q["k"], q["s"], q["p"], q["d"])
    hint = ("use o = floor((i + 2p - d(k-1) - 1)/s) + 1 and fill in every symbol; "
            "the dilated kernel covers d(k-1) + 1 cells, not k.")
    if _is(answer, conv_output_size(q["i"], q["k"], q["s"], q["p"], 1)):
        hint = "that is the size without dilation: the kernel's taps are d cells apart."
    elif _is(answer, conv_output_size(q["i"] + 2 * q["p"], q["k"], q["s"], 0, q["d"]) - 1):
        hint = "count the first window too: the formula ends in + 1."
    elif _is(answer, (q["i"] + 2 * q["p"] - q["d"] * (q["k"] - 1) - 1) / q["s"] + 1):
        hint = "a window either fits or it does not: round the division down (floor)."
    return check_value(answer, expected, hint)


def check_one_value(answer):
    """Exercise 2: output[row, col] of the step-1 example with padding, by hand."""
    q = ONE_VALUE_QUESTION
    expected = conv2d_loops(EXAMPLE_INPUT, EXAMPLE_KERNEL, padding=q["padding"])[q["row"], q["col"]]
    hint = ("pad x with one ring of zeros, then take the 3×3 window that starts at row 2, "
            "column 0 of the padded input; its first column is padding, so only the right two "
            "columns of the kernel meet input values. Multiply tap by tap and add.")
    if _is(answer, conv2d_loops(EXAMPLE_INPUT, EXAMPLE_KERNEL[::-1, ::-1],
                                padding=q["padding"])[q["row"], q["col"]]):
        hint = "that is the flipped-kernel (maths) convolution: do not rotate the kernel."
    return check_value(answer, expected, hint)


def check_same_padding(answer):
    """Exercise 3: the padding that keeps the size (o = i) for k = 5, s = 1, d = 1."""
    k = SAME_PADDING_KERNEL
    is_int = isinstance(answer, (int, np.integer)) and not isinstance(answer, bool)
    # "keeps the size" must hold for every input size, not just one
    correct = is_int and answer >= 0 and all(
        conv_output_size(i, k, 1, int(answer), 1) == i for i in range(k, 20))
    hint = ("with s = 1 and d = 1 the formula is o = i + p + p - (k - 1): the window loses k - 1 "
            "positions, and the padding on both sides together must give them back.")
    if is_int and answer == k - 1:
        hint = "that pads k - 1 on EACH side, so the output grows; the two sides share the work."
    return feedback(answer, correct, hint)


def check_input_sizes(answer):
    """Exercise 4: every input size i that gives output size o for INPUT_SIZES_QUESTION."""
    q = INPUT_SIZES_QUESTION
    expected = []
    for i in range(1, 50):
        try:
            if conv_output_size(i, q["k"], q["s"], q["p"]) == q["o"]:
                expected.append(i)
        except ValueError:
            pass
    try:
        given = sorted(int(v) for v in answer) if answer is not None else None
    except (TypeError, ValueError):
        given = None
    hint = ("list several sizes: each extra input cell moves the last window start by one, "
            "and the output grows only after s more cells. Try a few values of i in "
            "utils.conv_output_size and see which give o.")
    if given is not None and len(given) == 1:
        hint = "there is more than one: with stride s, s input sizes share each output size."
    return feedback(answer, given == expected, hint)


def check_dilation(answer):
    """Exercise 5: the learner's conv2d_dilated(x, w, dilation) against utils.conv2d_loops."""
    if answer is None:
        return feedback(None, False, "")
    if not callable(answer):
        return feedback(answer, False, "answer should be your function itself: "
                                       "answer = conv2d_dilated (no parentheses).")
    rng = np.random.default_rng(0)
    for x_shape, w_shape, dilation in DILATION_CASES:
        x = rng.integers(-3, 4, size=x_shape).astype(float)
        w = rng.integers(-3, 4, size=w_shape).astype(float)
        expected = conv2d_loops(x, w, dilation=dilation)
        case = f"x of shape {x_shape}, w of shape {w_shape}, dilation={dilation}"
        try:
            got = answer(x.copy(), w.copy(), dilation)
            if got is None:
                return feedback(answer, False, "your function returned None: end it with "
                                               "`return` and the output array.")
            got = np.asarray(got, dtype=float)
        except Exception as error:  # the learner's code may raise anything; report it as a hint
            message = str(error).splitlines()[0] if str(error) else ""
            return feedback(answer, False, f"your function raised {type(error).__name__}"
                                           f"{': ' + message if message else ''} for {case}.")
        if got.shape != expected.shape:
            return feedback(answer, False,
                            f"for {case} the output has shape {got.shape}, which is not right: "
                            f"the kernel with holes has d(k-1) + 1 rows and columns, and it "
                            f"slides with stride 1 over the unpadded input.")
        if not np.allclose(got, expected):
            return feedback(answer, False,
                            f"right shape but wrong values for {case}: tap (a, b) of w goes to "
                            f"row a·d, column b·d of the kernel with holes, and every other "
                            f"entry is 0. Is the kernel rotated by mistake?")
    return feedback(answer, True, "")


# Exercise 6 (coding): which input cells one output cell reads, along one axis.
CELLS_READ_CASES = [  # none of them appears in notebook 01: stride that does not divide,
    # dilation, padding on both ends, a window that reads only padding, k = 1, k > i
    dict(i=7, k=3, s=2, p=1, d=1, r=0), dict(i=7, k=3, s=2, p=1, d=1, r=3),
    dict(i=8, k=3, s=3, p=0, d=1, r=1), dict(i=9, k=3, s=1, p=2, d=2, r=0),
    dict(i=9, k=3, s=1, p=2, d=2, r=8), dict(i=10, k=4, s=3, p=1, d=2, r=1),
    dict(i=5, k=1, s=2, p=0, d=1, r=2), dict(i=4, k=5, s=1, p=2, d=1, r=0),
    dict(i=3, k=3, s=1, p=2, d=1, r=4), dict(i=6, k=2, s=4, p=1, d=3, r=1),
    dict(i=2, k=1, s=1, p=1, d=1, r=0),
]


def cells_read_by_slicing(i, k, s, p, d, r):
    """The input cells (0 .. i-1) that output cell r reads along one axis, in order.

    Found without the index formula: slice a padded row of cell numbers (-1 marks the
    padding) the way the window sees it, and drop the padding.
    """
    padded = np.pad(np.arange(i), p, constant_values=-1)
    taps = padded[r * s: r * s + d * (k - 1) + 1: d]
    return [int(t) for t in taps if t >= 0]


def check_cells_read(function):
    """Exercise 6: the learner's cells_read(i, k, s, p, d, r) on CELLS_READ_CASES."""
    hint = ("in the padded row, tap a of output cell r sits at r·s + a·d, and the input's cell 0 "
            "sits at p; keep only the taps that land on the input, in order.")
    return check_function(function, cells_read_by_slicing, CELLS_READ_CASES, hint)


# Exercise 7 (misconception): what padding=p does, and what it does to the output size.
PADDING_QUESTION = dict(
    question="torch.nn.Conv2d(1, 1, kernel_size=3, padding=1) gets an 8×8 input (stride 1, no "
             "dilation). What does padding=1 do?",
    options={
        "It adds one row and one column of zeros in total (9×9), so the output is 7×7.":
            "In PyTorch and in this series p counts the zeros on EACH side: 2p per axis. (D2L "
            "writes p for the total of both sides, which is where this reading comes from.)",
        "It adds a ring of zeros one cell wide (10×10), so the output is 8×8.":
            "p zeros on each side make the axis 8 + 2·1 = 10 cells long, and a 3-cell window "
            "fits at 10 − 3 + 1 = 8 starts: the padding gives back the k − 1 = 2 positions "
            "the window loses.",
        "It adds a ring of zeros, so the output is 10×10: padding grows the output by 2p.":
            "The padded input is 10×10, but the window still loses k − 1 positions on it: a "
            "3-cell window fits at 10 − 3 + 1 = 8 starts.",
        "The output is 6×6 whatever the padding: the output size depends only on i and k.":
            "Padding adds window positions: in step 3 the same 5×5 input and 3×3 kernel gave "
            "3×3, 5×5 and 7×7 outputs for p = 0, 1 and 2.",
    },
    correct="It adds a ring of zeros one cell wide (10×10), so the output is 8×8.",
)


def ask_padding():
    """Exercise 7 as buttons: pick an option to see why it is right or wrong."""
    return choice(**PADDING_QUESTION)
