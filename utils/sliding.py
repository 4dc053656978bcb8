"""Notebook 01, sliding-window convolution: its figures, explorer and exercise checkers, drawn with the
series' running example (utils.example). i input, k kernel, s stride, p padding, d dilation, o output."""

import numpy as np
from matplotlib.figure import Figure

from . import conv2d_loops, conv_output_size, draw, widgets
from .example import example_input, example_kernel
from .exercises import check_function, check_value

# The explorer's sliders: name -> (label, default, min, max); the default is gallery/conv_half_padding.gif
SLIDERS = {"i": ("input size i", 5, 3, 9), "k": ("kernel size k", 3, 1, 5), "s": ("stride s", 1, 1, 3),
           "p": ("padding p", 1, 0, 3), "d": ("dilation d", 1, 1, 3)}
DEFAULT = {name: spec[1] for name, spec in SLIDERS.items()}
CONTROL_RANGES = {**{name: (low, high) for name, (_, _, low, high) in SLIDERS.items()},
                  "step": (0, conv_output_size(9, 1, 1, 3, 1) ** 2 - 1)}  # window positions; largest o: 15

ROLES = ("input", "padding", "kernel", "output", "highlight")  # the colours these figures use
LABELS = {"kernel": "kernel w", "highlight": "current window (taps outlined if d > 1) and output cell"}
GAP = 2  # empty cells between the grids drawn on one Axes


def draw_sliding_window(ax, x, w, s, p, d, step, origin=(0, 0), show_kernel=True, numbers="all",
                        fontsize=9, titles=("input (padded)", "kernel", "output"), progress=True):
    """Draw window position step = r*o + c on ax: the padded input (input and padding colours) with the
    window's span outlined, its taps too if d > 1; the kernel; the output so far, [r, c] outlined;
    return the right edge. x: (i, i), w: (k, k); numbers: "all", "window" (only cells read now), None;
    progress=False: only the window's span outlined (no taps), the whole output drawn."""
    (i, k), (x0, y0) = (len(x), len(w)), origin
    y = conv2d_loops(x, w, stride=s, padding=p, dilation=d)  # ValueError if w does not fit
    o, n, span = len(y), i + 2 * p, d * (k - 1) + 1
    step = int(np.clip(step, 0, o * o - 1))
    r, c = divmod(step, o)
    roles = np.pad(np.full((i, i), "input", dtype="<U7"), p, constant_values="padding")
    taps = np.zeros((n, n), dtype=bool)
    taps[np.ix_(r * s + d * np.arange(k), c * s + d * np.arange(k))] = True
    order = np.arange(o * o).reshape(o, o)
    keep = {"all": (np.ones_like(taps), order <= step), "window": (taps, order == step)}.get(numbers)
    x_text, y_text = [None, None] if keep is None else [  # "": no number in that cell
        np.where(show, values.astype(object), "") for show, values in zip(keep, (np.pad(x, p), y))]
    items = [draw.Grid(roles, x_text, (x0, y0), titles[0])]
    boxes = [(x0 + c * s, y0 + r * s, span, span)]
    x0 += n + GAP
    if show_kernel:
        items.append(draw.Grid(np.full((k, k), "kernel"), w if numbers else None, (x0, y0), titles[1]))
        x0 += k + GAP
    done = (order <= step) | (not progress)
    items.append(draw.Grid(np.where(done, "output", "empty"), y_text, (x0, y0), titles[2]))
    draw.grids(ax, items, fontsize)
    draw.outlines(ax, boxes + [(x0 + c, y0 + r, 1, 1)])
    if progress and d > 1:  # the span has holes: outline the taps inside it too
        draw.outlines(ax, [(origin[0] + t, y0 + u, 1, 1) for u, t in np.argwhere(taps)],
                      linewidth=1.5, inset=0.12)
    return x0 + o


@widgets.explains_invalid
def render_sliding_window(i, k, s, p, d, step):
    """The explorer's picture (padded input and window, kernel, output, formula), or one line saying
    why not; step, the window position 0 .. o*o - 1, is clamped (its slider's maximum lags the others)."""
    widgets.check_controls(CONTROL_RANGES, i=i, k=k, s=s, p=p, d=d, step=step)
    x, w, n = example_input(i), example_kernel(k), i + 2 * p
    y = conv2d_loops(x, w, stride=s, padding=p, dilation=d)
    o = len(y)
    r, c = divmod(min(step, o * o - 1), o)
    fig = Figure(figsize=(10, 5))  # no layout engine: positions are fixed, drawing is fast
    ax = fig.add_axes((0.01, 0.09, 0.98, 0.76))
    cell_points = min(0.98 * 720 / (n + k + o + 2 * GAP + 1), 0.76 * 360 / (max(n, k, o) + 1.5))
    right = draw_sliding_window(
        ax, x, w, s, p, d, step, numbers="window", fontsize=float(np.clip(0.4 * cell_points, 5, 10)),
        titles=(f"input {i}×{i}, " + (f"padded by p={p}" if p else "no padding (p=0)"),
                f"kernel {k}×{k}, d={d}", f"output {o}×{o}"))
    _limits(ax, right + 0.2, max(n, k, o), left=-0.5)
    fig.text(0.5, 0.985, f"o = floor((i + 2p - d(k-1) - 1)/s) + 1 = floor(({i} + {2 * p} - "
             f"{d * (k - 1)} - 1)/{s}) + 1 = {o}", ha="center", va="top", fontsize=11)
    fig.text(0.5, 0.925, f"position {r * o + c} (of 0 to {o * o - 1}): output[{r}, {c}] = sum(window × "
             f"kernel) = {draw.format_value(y[r, c])}", ha="center", va="top", fontsize=10)
    draw.legend(fig, ROLES, LABELS)
    return fig


def sliding_window_explorer():
    """Sliders for i, k, s, p, d and a window-position slider with a Play button; returns the widget."""
    controls = {name: widgets.slider(*spec) for name, spec in SLIDERS.items()}  # label, value, min, max
    play, controls["step"] = widgets.play_slider("position", conv_output_size(*DEFAULT.values()) ** 2 - 1)

    def adjust(controls):  # the position slider runs over the output's cells: 0 .. o*o - 1
        try:
            o = conv_output_size(*(controls[name].value for name in SLIDERS))
        except ValueError:
            return  # render explains why; keep the position slider as it is
        play.max = controls["step"].max = o * o - 1  # lowering max also clamps the value

    return widgets.explorer(render_sliding_window, controls, adjust=adjust, extras=(play,))


def _limits(ax, right, height, top=-1.5, left=-0.3):
    ax.set_xlim(left, right + 0.3)
    ax.set_ylim(height + 0.3, top)


def figure_one_output_by_hand():
    """Section 1: a 4x4 input and a 3x3 kernel give a 2x2 output; the window at its 4 positions."""
    x, w = example_input(4), example_kernel(3)
    fig, axes = draw.new_figure(12, 3.25, ncols=5, gridspec_kw={"width_ratios": [3, 9, 9, 9, 9]})
    draw.draw_grid(axes[0], np.full((3, 3), "kernel"), w, "kernel w (3×3)")
    _limits(axes[0], 3, 4)
    for step, ax in enumerate(axes[1:]):
        right = draw_sliding_window(ax, x, w, 1, 0, 1, step, show_kernel=False,
                                    titles=("input x (4×4)", "", "output y (2×2)"))
        ax.text(right / 2, 4.4, "position {}: y[{}, {}]".format(step, *divmod(step, 2)),
                ha="center", va="top", fontsize=10)
        _limits(ax, right, 5.0)
    terms = " + ".join(f"{a:g}·{b:g}" if b >= 0 else f"{a:g}·({b:g})"
                       for a, b in zip(x[:3, :3].ravel(), w.ravel()))
    fig.suptitle(f"y[0, 0] = sum of input window × kernel = {terms} = "
                 f"{draw.format_value(np.sum(x[:3, :3] * w))}", fontsize=11)
    draw.legend(fig, ROLES[:1] + ROLES[2:], LABELS, y=-0.02)
    return fig


def figure_cross_correlation_vs_convolution():
    """Section 2: sliding w (cross-correlation) versus sliding w rotated 180° (convolution)."""
    x, w = example_input(4), example_kernel(3)
    fig, axes = draw.new_figure(10, 3.5, ncols=2)
    rows = (("deep learning 'convolution' = cross-correlation", w, "kernel w"),
            ("convolution in maths: kernel rotated 180°", w[::-1, ::-1], "w rotated 180°"))
    for ax, (heading, kernel, kernel_title) in zip(axes, rows):
        draw.grids(ax, [draw.Grid(np.full((4, 4), "input"), x, (0, 0), "input x"),
                        draw.Grid(np.full((3, 3), "kernel"), kernel, (6, 0), kernel_title),
                        draw.Grid(np.full((2, 2), "output"), conv2d_loops(x, kernel), (11, 0), "output")])
        ax.text(5, 1.5, "⋆", ha="center", va="center", fontsize=24)  # x ⋆ w: slide w over x, no flip
        ax.text(10, 1.5, "=", ha="center", va="center", fontsize=16)
        ax.text(6.5, 4.6, heading, ha="center", va="top", fontsize=11)
        _limits(ax, 13, 5.2)
    fig.suptitle("x ⋆ w slides w over x unflipped: flipping the kernel changes the output", fontsize=12)
    draw.legend(fig, ROLES[:1] + ROLES[2:4], {"kernel": "kernel"}, y=-0.02)
    return fig


def figure_window_indices():
    """Section 4: which padded-input cell kernel tap (a, b) reads for output cell (r, c)."""
    i, k, s, p, d, step, a, b = 6, 3, 2, 1, 2, 3, 1, 2
    o, n = conv_output_size(i, k, s, p, d), i + 2 * p
    r, c = divmod(step, o)
    fig, ax = draw.new_figure(9, 5.0)
    right = draw_sliding_window(ax, example_input(i), example_kernel(k), s, p, d, step,
                                numbers=None, titles=("padded input", "kernel", "output"))
    for index in range(n):  # row numbers on the left, column numbers below
        ax.text(-0.3, index + 0.5, str(index), ha="right", va="center", fontsize=9)
        ax.text(index + 0.5, n + 0.1, str(index), ha="center", va="top", fontsize=9)
    row, col = r * s + a * d, c * s + b * d
    ax.annotate("", xy=(col + 0.5, row + 0.5), xytext=(n + GAP + b + 0.5, a + 0.5), zorder=6, arrowprops=dict(
        arrowstyle="->", lw=2, shrinkA=4, shrinkB=4, connectionstyle="arc3,rad=0.3"))
    _limits(ax, right, n + 1.0, left=-1.2)
    fig.suptitle(f"i={i}, k={k}, s={s}, p={p}, d={d}: the window of output[r, c] = output[{r}, {c}] starts at "
                 f"(r·s, c·s) = ({r * s}, {c * s});\nkernel tap (a, b) = ({a}, {b}) (arrow) reads "
                 f"padded_input[r·s + a·d, c·s + b·d] = padded_input[{row}, {col}]", fontsize=11)
    draw.legend(fig, ROLES, {**LABELS, "highlight": f"window of output[{r}, {c}] and that cell (taps outlined)"},
                y=-0.02)
    return fig


def _panels(title, configs, width, height, mark_unread=False, progress=True,
            roles=("input", "output", "highlight"), labels=LABELS):  # roles: p = 0 here
    """One panel per (i, k, s, p, d, step, caption): padded input with a window, and the output,
    all at one scale. mark_unread: × on the input cells beyond the last window (d = 1)."""
    fig, axes = draw.new_figure(width, height, ncols=len(configs))
    sizes = [(i + 2 * p, conv_output_size(i, k, s, p, d)) for i, k, s, p, d, *_ in configs]
    tallest, widest = max(n for n, o in sizes), max(n + GAP + o for n, o in sizes)
    for ax, (i, k, s, p, d, step, caption), (n, o) in zip(axes, configs, sizes):
        draw_sliding_window(ax, example_input(i), example_kernel(k), s, p, d, step, show_kernel=False,
                            numbers=None, titles=("input (padded)" if p else "input", "", "output"),
                            progress=progress)
        reach = (o - 1) * s + d * (k - 1) + 1  # the last window's far edge
        for r, c in np.argwhere(np.maximum(*np.indices((n, n))) >= reach) if mark_unread else ():
            ax.text(c + 0.5, r + 0.5, "×", ha="center", va="center", fontsize=12, zorder=5)
        ax.text(widest / 2, tallest + 0.5, caption, ha="center", va="top", fontsize=10)
        _limits(ax, widest, tallest + 2.0)
    draw.legend(fig, roles, labels, y=-0.01)
    fig.suptitle(title, fontsize=12)
    return fig


def figure_padding():
    """Section 3: valid, same and full padding for i=5, k=3 (s=1, d=1), the first window outlined."""
    return _panels("Padding, i=5, k=3, s=1: the first window; the output grows by 2 for each extra "
                   "ring of zeros", [(5, 3, 1, p, 1, 0, f"{name}: p={p}\no = {5 - 3 + 1 + 2 * p}")
                                     for name, p in (("valid", 0), ("same", 1), ("full", 2))],
                   12, 4.25, progress=False, roles=("input", "padding", "output", "highlight"),
                   labels={"highlight": "the first window and its output cell"})


def figure_stride():
    """Section 3: stride 2 makes the window jump two cells; i=5, k=3, s=2, p=0 gives o=2."""
    return _panels("Stride s=2 (i=5, k=3, p=0): the window jumps 2 cells, output 2×2",
                   [(5, 3, 2, 0, 1, step, f"position {step}: window at row {2 * (step // 2)}, "
                     f"column {2 * (step % 2)}") for step in range(3)], 11, 3.75)


def figure_dilation():
    """Section 3: dilation 2 spreads the 3 taps over 5 cells; i=7, k=3, d=2 gives o=3."""
    return _panels("Dilation d=2 (i=7, k=3, s=1, p=0): the kernel has holes and spans d(k-1)+1 = "
                   "5 cells, output 3×3", [(7, 3, 1, 0, 2, step, f"position {step}")
                                          for step in (0, 1, 8)], 12, 4.0)


def figure_output_size_formula():
    """Section 3: counting window starts along one padded row gives the output-size formula."""
    i, k, s, p, d = 5, 3, 2, 1, 1
    n, span, o = i + 2 * p, d * (k - 1) + 1, conv_output_size(i, k, s, p, d)
    fig, ax = draw.new_figure(10, 3.5)
    row = np.array([["padding"] * p + ["input"] * i + ["padding"] * p])
    draw.grids(ax, [draw.Grid(row, [list(range(n))], (0, 0), f"one row of the padded input "
                              f"(i={i}, p={p}): i + 2p = {n} cells, numbered from 0")]
               + [draw.Grid(np.full((1, span), "kernel"), None, (t * s, 1.6 + 1.4 * t))
                  for t in range(o)])
    for t in range(o):
        ax.text(n + 0.5, 2.1 + 1.4 * t, f"window {t + 1} starts at {t * s} = {t}·s", va="center", fontsize=10)
    _limits(ax, n + 8.7, 1.6 + 1.4 * o, top=-1.2, left=-0.6)
    draw.legend(fig, ("input", "padding", "kernel"), {"kernel": "one window (k=3, d=1)"}, y=-0.01)
    fig.suptitle(f"A window covers d(k-1) + 1 = {span} cells, so its start is at most i + 2p - d(k-1) - 1 "
                 f"= {n - span}: o = floor({n - span}/{s}) + 1 = {o} windows", fontsize=11)
    return fig


def figure_stride_hides_input_size():
    """Section 5: with k=3, s=2, p=0, inputs of size 5 and 6 both give a 2x2 output."""
    return _panels("Stride s=2, k=3, p=0: two input sizes, one output size (last window shown)",
                   [(i, 3, 2, 0, 1, 3, f"i={i}: o = {conv_output_size(i, 3, 2)}" + (
                       "" if i == 5 else "; × = never read by any window")) for i in (5, 6)],
                   10, 4.0, mark_unread=True)


def figure_explorer_default():
    """Section 6: the explorer in its default state, for readers without a running kernel."""
    return render_sliding_window(**DEFAULT, step=0)


# Section 1's edge detector (Sobel): the window's left column minus its right column, rows weighted 1, 2, 1
EDGE_KERNEL = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]])


def example_photo():
    """Grace Hopper in grey levels 0..1, (150, 128): every 4th pixel of matplotlib's own sample photo."""
    from matplotlib import cbook, image
    rgb = image.imread(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))[::4, ::4, :3].astype(float)
    return rgb @ np.array([0.299, 0.587, 0.114]) / 255


def figure_edge_detector():
    """Section 1: the Sobel kernel slid over a photo lights up its vertical edges."""
    photo = example_photo()
    edges = np.abs(conv2d_loops(photo, EDGE_KERNEL))
    fig, axes = draw.new_figure(9, 3.25, ncols=3, gridspec_kw={"width_ratios": [4, 2, 4]})
    for ax, image, name in ((axes[0], photo, "input: a photo"), (axes[2], edges, "output: |y|")):
        ax.imshow(image, cmap="gray", vmin=0, vmax=image.max(), interpolation="nearest")
        ax.set_title(f"{name}, {image.shape[0]}×{image.shape[1]}", fontsize=10)
        ax.set_axis_off()
    draw.draw_grid(axes[1], np.full((3, 3), "kernel"), EDGE_KERNEL, "kernel w (Sobel)")
    _limits(axes[1], 3.2, 5.2, top=-2.5, left=-0.5)
    fig.suptitle("The same sum of products on a photo: bright where brightness changes left to right",
                 fontsize=11)
    return fig


FIGURES = {f"01_{make.__name__[len('figure_'):]}.png": make for make in (
    figure_one_output_by_hand, figure_edge_detector, figure_cross_correlation_vs_convolution,
    figure_padding, figure_stride, figure_dilation, figure_output_size_formula, figure_window_indices,
    figure_stride_hides_input_size, figure_explorer_default)}


# --- exercise checkers: each computes the expected answer itself and gives a hint, never it ----

OUTPUT_SIZE_QUESTION = dict(i=11, k=3, stride=2, padding=1, dilation=2)
ONE_VALUE_QUESTION = dict(padding=1, row=2, col=0)  # not y[0, 0] of section 1, nor any value shown
SAME_PADDING_QUESTION = dict(k=5, dilation=2)  # section 3 shows p = 1 for k = 3, d = 1 only
INPUT_SIZES_QUESTION = dict(k=5, stride=3, padding=1, o=4)


def _hint(answer, hint):  # a number in quotes is text: say so, rather than hint at the maths
    return "give a number (or a list of numbers), without quotes." if isinstance(answer, str) else hint


def check_output_size(answer):
    """Exercise 1: the output size for OUTPUT_SIZE_QUESTION."""
    undilated = conv_output_size(**{**OUTPUT_SIZE_QUESTION, "dilation": 1})
    return check_value(answer, conv_output_size(**OUTPUT_SIZE_QUESTION), _hint(answer, "fill every symbol into "
                       "o = floor((i + 2p - d(k-1) - 1)/s) + 1: the dilated kernel covers d(k-1) + 1 cells" + (
                       ", not k." if np.isscalar(answer) and answer == undilated else
                       "; count the first window (+ 1) and round the division down.")))


def check_one_value(answer):
    """Exercise 2: output[row, col] of the section-1 example with padding, by hand."""
    padding, row, col = ONE_VALUE_QUESTION.values()
    x, w = example_input(4), example_kernel(3)
    flipped = np.isscalar(answer) and answer == conv2d_loops(x, w[::-1, ::-1], padding=padding)[row, col]
    return check_value(answer, conv2d_loops(x, w, padding=padding)[row, col], _hint(
        answer, "that is the flipped-kernel (maths) convolution: do not rotate the kernel." if flipped else
        "which rows and columns of the padded input does this window cover? Some of its cells are padding."))


def check_same_padding(answer):
    """Exercise 3: the padding that keeps the size (o = i) for SAME_PADDING_QUESTION, s = 1."""
    k, d = SAME_PADDING_QUESTION.values()
    return check_value(answer, d * (k - 1) // 2, _hint(answer, "how many cells does the dilated kernel "
                       "span, so how many positions does the window lose? Padding goes on both sides."))


def check_input_sizes(answer):
    """Exercise 4: every input size i that gives output size o for INPUT_SIZES_QUESTION."""
    k, stride, padding, o = INPUT_SIZES_QUESTION.values()
    expected = [i for i in range(k, 50) if conv_output_size(i, k, stride, padding) == o]
    return check_value(np.sort(answer) if isinstance(answer, (list, tuple)) else answer, expected, _hint(
        answer, "run your conv_output_size of section 3 on i = 5, 6, 7, ... and keep every i that gives "
        "o = 4: the floor lets several sizes share one o, and a list has them all."))


def kernel_with_holes(w, dilation):
    """Exercise 5's reference. w: (kH, kW) -> (d(kH-1)+1, d(kW-1)+1): w's taps d apart, zeros between."""
    holes = np.zeros((dilation * (w.shape[0] - 1) + 1, dilation * (w.shape[1] - 1) + 1))
    holes[::dilation, ::dilation] = w
    return holes


def check_kernel_with_holes(function):
    """Exercise 5: the learner's kernel_with_holes(w, dilation) on kernels the notebook never shows."""
    rng = np.random.default_rng(0)
    cases = [dict(w=rng.integers(-3, 4, size=shape) * 1.0, dilation=d) for shape, d in
             [((3, 3), 2), ((2, 3), 2), ((3, 3), 3), ((2, 2), 1), ((3, 2), 3), ((1, 1), 2)]]
    return check_function(function, kernel_with_holes, cases, "it has d(k-1) + 1 rows and columns; tap "
                          "(a, b) of w goes to row a·d, column b·d, and every other entry is 0.")


# Exercise 6, (i, k, s, p, d, r) none in 01: s not dividing, d > 1, padding, only padding read, k = 1, k > i
CELLS_READ_CASES = [dict(zip("ikspdr", case)) for case in [(7, 3, 2, 1, 1, 0), (7, 3, 2, 1, 1, 3), (8, 3, 3, 0, 1, 1),
    (9, 3, 1, 2, 2, 0), (9, 3, 1, 2, 2, 8), (10, 4, 3, 1, 2, 1), (5, 1, 2, 0, 1, 2), (4, 5, 1, 2, 1, 0),
    (3, 3, 1, 2, 1, 4), (6, 2, 4, 1, 3, 1), (2, 1, 1, 1, 1, 0)]]


def cells_read_by_slicing(i, k, s, p, d, r):
    """Input cells (0 .. i-1) output cell r reads, in order, by slicing a padded row of cell numbers."""
    padded = np.pad(np.arange(i), p, constant_values=-1)
    return [int(t) for t in padded[r * s: r * s + d * (k - 1) + 1: d] if t >= 0]


def check_cells_read(function):
    """Exercise 6: the learner's cells_read(i, k, s, p, d, r) on CELLS_READ_CASES."""
    return check_function(function, cells_read_by_slicing, CELLS_READ_CASES, "in the padded row, tap a of "
                          "output cell r sits at r·s + a·d and input cell 0 at p; keep the taps on the input.")


# Exercise 7 (misconception), for utils.exercises.choice: what padding=p does to the output size;
# k = 5, so section 3's "p = 1 keeps a 5x5 input 5x5" (k = 3) does not answer it.
PADDING_QUESTION = dict(question="torch.nn.Conv2d(1, 1, kernel_size=5, padding=1) gets an 8×8 input "
                        "(stride 1, no dilation). What does padding=1 do?", options={
    "It adds one row and one column of zeros in total (9×9), so the output is 5×5.": "In PyTorch and in "
        "this series p counts the zeros on EACH side: 2p per axis (D2L's p is the total of both sides).",
    "It adds a ring of zeros one cell wide (10×10), so the output is 6×6.": "p zeros on each side make "
        "10 cells; a 5-cell window fits at 10 − 5 + 1 = 6 starts: 2 of the k − 1 = 4 lost positions come back.",
    "padding=1 keeps the size: the output is 8×8.": "That holds for k = 3, whose window loses 2 positions. "
        "A 5-cell window loses 4, and one zero on each side gives back only 2 ('same' would be p = 2).",
    "It adds a ring of zeros, so the output is 10×10: padding grows the output by 2p.": "The padded "
        "input is 10×10, but the window still loses k − 1 positions on it: 10 − 5 + 1 = 6 starts."},
    correct="It adds a ring of zeros one cell wide (10×10), so the output is 6×6.")
