"""Notebook 03's figures (FIGURES, figures/03_*.png), explorer of one output cell and exercise checkers.
The three views of one transposed convolution of y (i, i) with w (k, k):
    matrix    reshape(Cᵀ vec(y)), C the convolution matrix of the output shape
    scatter   each y[a, b] stamps y[a, b]·w at (a·s, b·s), taps d apart; overlaps add; crop p
    as_conv   insert s-1 zeros, pad by d(k-1)-p, rotate w 180°, stride-1 convolution
"""

import numpy as np
from matplotlib.figure import Figure

from . import (conv_matrix, conv_output_size, conv_transpose2d, conv_transpose2d_as_conv, conv_transpose2d_matrix,
               conv_transpose2d_scatter, conv_transpose_output_size, draw, exercises, pad_or_crop, stretch, widgets)
from .example import example_input, example_kernel

# The static figures' example: a 3x3 kernel 1..9, whose 180° rotation is easy to see, on a 2x2 map.
KERNEL = np.arange(1, 10, dtype=float).reshape(3, 3)
INPUT_2x2 = np.array([[1.0, 2.0], [3.0, 4.0]])


def shown(values, show=None, decimals=1):
    """values as text where `show` (default: everywhere), "" elsewhere: a draw.Grid's values."""
    values = np.asarray(values)
    text = np.array([draw.format_value(v, decimals) for v in values.ravel()], dtype=object).reshape(values.shape)
    return text if show is None else np.where(show, text, "")


def cells(values, role, origin=(0, 0), title=None, sparse=False, decimals=1):
    """A draw.Grid of `values`, every cell in `role`'s colour, or (sparse) only the non-zero ones."""
    values = np.asarray(values)
    if sparse:
        return draw.Grid(np.where(values != 0, role, "empty"), shown(values, values != 0), origin, title)
    return draw.Grid(np.full(values.shape, role), shown(values, decimals=decimals), origin, title)


def stretched_padded_roles(i, k, s, p, d, output_padding):
    """Role of every cell of view 3's input, 'input', 'zeros' (inserted) or 'padding': (i-1)s + 1 +
    2(d(k-1)-p) + output_padding per side; a negative d(k-1)-p crops, as in conv_transpose2d_as_conv."""
    edge = d * (k - 1) - p
    sides = dict(top=edge, bottom=edge + output_padding, left=edge, right=edge + output_padding)
    is_input = pad_or_crop(stretch(np.ones((i, i)), s), **sides) > 0
    inside = pad_or_crop(np.ones(((i - 1) * s + 1,) * 2), **sides) > 0
    return np.where(is_input, "input", np.where(inside, "zeros", "padding"))


def view3(y, w, s, p, d, op, row, col, origin=(0, 0), every_value=True):
    """View 3 as a draw.Grid (the stretched, padded input) and its frames: the taps of the kernel
    rotated 180° over the window of output[row, col] (green) and the window (vermillion).
    every_value=False writes only the input values under the taps."""
    i, k = y.shape[0], w.shape[0]
    edge, span, (x0, y0) = d * (k - 1) - p, d * (k - 1) + 1, origin
    padded = pad_or_crop(stretch(y, s), top=edge, bottom=edge + op, left=edge, right=edge + op)
    roles = stretched_padded_roles(i, k, s, p, d, op)
    show = None if every_value else np.zeros(roles.shape, bool)
    if show is not None:  # the input values under the taps
        show[row: row + span: d, col: col + span: d] = roles[row: row + span: d, col: col + span: d] == "input"
    taps = [(x0 + col + n * d, y0 + row + m * d, 1, 1) for m in range(k) for n in range(k)]
    return draw.Grid(roles, shown(padded, show), origin), taps, (x0 + col, y0 + row, span, span)


def frame_view3(ax, taps, window):
    draw.outlines(ax, taps, "kernel", linewidth=2.2, inset=0.1)
    draw.outlines(ax, [window], linewidth=2)


def scatter_terms(y, w, s, p, d, row, col):
    """The stamps that reach output[row, col], [(a, b, m, n)] meaning y[a, b]·w[m, n]: input (a, b) stamps
    w[m, n] on canvas cell (a·s + m·d, b·s + n·d), and output[row, col] is canvas cell (row + p, col + p)."""
    k = w.shape[0]
    rows = [(a, m) for a in range(y.shape[0]) for m in range(k) if a * s + m * d == row + p]
    cols = [(b, n) for b in range(y.shape[1]) for n in range(k) if b * s + n * d == col + p]
    return [(a, b, m, n) for a, m in rows for b, n in cols]


def _arrow(ax, start, end, text, text_at):
    ax.annotate("", xy=end, xytext=start, arrowprops=dict(arrowstyle="->", lw=1.5, color="0.3"))
    ax.text(*text_at, text, ha="center", va="bottom", fontsize=9)


def figure_ct_matrix():
    """Cᵀ (16x4) of the 3x3 kernel 1..9 on a 4x4 input, and each column reshaped to 4x4."""
    CT = conv_matrix(KERNEL, (4, 4)).T
    items = [cells(CT, "kernel", (0, 0), "Cᵀ (16×4)", sparse=True)]
    items += [cells(CT[:, j].reshape(4, 4), "kernel", (8 + (j % 2) * 6.5, (j // 2) * 8 + 1),
                    f"column {j} as 4×4 output:\nwhere input y[{j // 2},{j % 2}] goes", sparse=True) for j in range(4)]
    fig, ax = draw.new_figure(9, 6)
    draw.grids(ax, items, fontsize=8)
    ax.text(8, 13.7, "row r of Cᵀ: output cell r of the transposed convolution\n(= input cell r of the convolution "
            "C)\ncolumn j of Cᵀ: its input cell y[j] (= output cell j of C)", ha="left", va="top", fontsize=9)
    _arrow(ax, (4.6, 8), (7.4, 8), "reshape\neach column", (6, 7.6))
    draw.legend(fig, ["kernel"], labels=dict(kernel="kernel value (blank: 0)"))
    fig.suptitle("Cᵀ takes a 2×2 input (4 values) to a 4×4 output (16 values); kernel 3×3 = 1..9", fontsize=11)
    return fig


def figure_not_inverse():
    """x -> y = Cx -> Cᵀy and pinv(C)y: neither gives x back."""
    x = np.array([[0, 1, 1, 0], [1, 0, 0, 1], [1, 0, 0, 1], [0, 1, 1, 0]], dtype=float)
    C = conv_matrix(KERNEL, (4, 4))
    y = C @ x.ravel()
    panels = [(x, "input", "input x (4×4)"), (y.reshape(2, 2), "output", "convolution\ny = Cx (2×2)"),
              ((C.T @ y).reshape(4, 4), "output", "transposed convolution\nCᵀy (4×4): not x"),
              ((np.linalg.pinv(C) @ y).reshape(4, 4), "input", "estimate of x: pinv(C)y\n(4×4, rounded): not x either")]
    fig, ax = draw.new_figure(11, 3.5)
    draw.grids(ax, [cells(v, role, (5.5 * n, 0), t, decimals=2) for n, (v, role, t) in enumerate(panels)], fontsize=8)
    draw.legend(fig, ["input", "output"], labels={"input": "input x, and an estimate of it"})
    fig.suptitle("Convolve, then transpose: the shape comes back, the values do not (kernel 1..9, 3×3)", fontsize=11)
    return fig


def figure_view_matrix():
    """View 1: input y (2x2) -> vec(y); Cᵀ · vec(y) -> reshape to the 4x4 output."""
    CT, y = conv_matrix(KERNEL, (4, 4)).T, INPUT_2x2
    out = CT @ y.ravel()
    fig, ax = draw.new_figure(8.5, 5)
    draw.grids(ax, [cells(y, "input", (8, 1.2), "input y"), cells(CT, "kernel", (3.5, 0), "Cᵀ (16×4)", True),
                    cells(y.reshape(4, 1), "input", (8.5, 6), "vec(y)"),
                    cells(out.reshape(16, 1), "output", (11, 0), "Cᵀvec(y)"),
                    cells(out.reshape(4, 4), "output", (14.5, 6), "output (4×4)\n= reshape(Cᵀ vec(y))")], fontsize=8)
    _arrow(ax, (9, 3.4), (9, 5.0), "", (9, 4))
    ax.text(9.25, 4.2, "flatten", ha="left", va="center", fontsize=8)
    ax.text(8.0, 8.0, "×", fontsize=16, ha="center", va="center")
    ax.text(10.25, 8.0, "=", fontsize=16, ha="center", va="center")
    _arrow(ax, (12.2, 8), (14.3, 8), "reshape", (13.25, 7.7))
    draw.legend(fig, ["input", "kernel", "output"])
    fig.suptitle("View 1, matrix: the 2×2 input y becomes the 4×4 output reshape(Cᵀ vec(y)); kernel 1..9", fontsize=11)
    return fig


def figure_scatter_stamps():
    """View 2 for a 2x2 input, k=3, s=2, p=0: four stamps y[a,b]·w, added into a 5x5 output."""
    y, w, s = INPUT_2x2, KERNEL, 2
    out = conv_transpose2d_scatter(y, w, stride=s)
    n = out.shape[0]
    items, x0 = [cells(y, "input", (0, 1.5), "input y (2×2)")], 3.2
    fig, ax = draw.new_figure(13, 3.75)
    for index, (a, b) in enumerate(np.ndindex(2, 2)):
        stamp = np.zeros((n, n))
        stamp[a * s: a * s + 3, b * s: b * s + 3] = y[a, b] * w
        items.append(cells(stamp, "kernel", (x0, 0), f"y[{a},{b}]={y[a, b]:.0f} × kernel\nplaced at "
                           f"({a * s}, {b * s})", sparse=True))
        ax.text(x0 + n + 0.55, n / 2, "+" if index < 3 else "=", fontsize=18, ha="center", va="center")
        x0 += n + 1.1
    items.append(cells(out, "output", (x0, 0), "output (5×5):\noverlaps add up"))
    draw.grids(ax, items, fontsize=8)
    draw.legend(fig, ["input", "kernel", "output"], labels={"kernel": "a scaled kernel (stamp)"})
    fig.suptitle("View 2, scatter: each input value stamps a scaled kernel, s = 2 apart (k = 3, p = 0)", fontsize=11)
    return fig


def figure_as_conv():
    """View 3 for a 2x2 input, k=3, s=2, p=0: insert zeros, pad 2, rotate the kernel, convolve."""
    y, w = INPUT_2x2, KERNEL
    out = conv_transpose2d_as_conv(y, w, stride=2)
    grid, taps, window = view3(y, w, 2, 0, 1, 0, 0, 0, origin=(3.5, 1))
    fig, ax = draw.new_figure(12.5, 4.75)
    draw.grids(ax, [cells(y, "input", (0, 3.5), "input y (2×2)"), cells(w, "kernel", (12, 0), "kernel w"),
                    grid._replace(title="stretched and padded (7×7):\ns−1 = 1 zero inserted, padded by d(k−1)−p = 2"),
                    cells(w[::-1, ::-1], "kernel", (12, 5), "rotated 180°"),
                    cells(out, "output", (17, 2), "output (5×5)\n= stride-1 convolution")])
    frame_view3(ax, taps, window)
    draw.outlines(ax, [(17, 2, 1, 1)])
    draw.legend(fig, ["input", "zeros", "padding", "kernel", "output", "highlight"],
                labels={"kernel": "kernel taps", "highlight": "window of output[0, 0]"})
    fig.suptitle("View 3: an ordinary convolution with the kernel rotated 180° (k = 3, s = 2, p = 0)", fontsize=11)
    return fig


DEFAULTS = dict(i=3, k=3, s=2, p=1, d=1, output_padding=0, row=1, col=1)


def figure_explorer_default():
    """The explorer in its default state (what the widget shows first), with the colour key."""
    fig = render_transposed(**DEFAULTS)
    draw.legend(fig, fig.roles, labels={"highlight": "selected cell, its window, its stamps"}, y=0.005)
    return fig


def explorer_data(i, k):
    """The explorer's input y (i, i) and kernel w (k, k): the series' running example."""
    return example_input(i), example_kernel(k)


def _formula(i, k, s, p, d, op, o, row, col, y, w, terms):
    """The formula panel's two columns: output size and view 3 | output[row, col] by view 2."""
    edge = d * (k - 1) - p
    size = ["output size o = (i−1)s − 2p + d(k−1) + output_padding + 1", "   (output_padding: notebook 04)",
            f"   = ({i}−1)·{s} − 2·{p} + {d}·({k}−1) + {op} + 1 = {o}", f"view 3: insert s−1 = {s - 1} zero(s) between "
            f"values,\npad by d(k−1)−p = {edge}" + (" (a crop)" if edge < 0 else "")
            + (f", +{op} bottom/right" if op else "") + ",\nrotate the kernel 180°"]
    products = [f"{y[a, b]:.0f}·{w[m, n]:.0f}" for a, b, m, n in terms]
    if len(products) > 8:
        products = products[:5] + ["…"] + products[-2:] + [f"({len(terms)} terms)"]
    cell = [f"view 2: output[{row}, {col}] = Σ y[a, b]·w[m, n] over", "   a·s + m·d = row + p and b·s + n·d = col + p"]
    cell += [("   = " if n == 0 else "   + ") + " + ".join(products[n:n + 5]) for n in range(0, len(products), 5)]
    cell.append(f"   = {draw.format_value(sum(y[a, b] * w[m, n] for a, b, m, n in terms))}"
                + ("  (no stamp reaches it)" if not terms else ""))
    return "\n".join(size), "\n".join(cell)


@widgets.explains_invalid
def render_transposed(i, k, s, p, d, output_padding, row, col):
    """Output[row, col] (clamped to the output) of a transposed convolution of the i×i running example: view 3,
    the output, view 2 and the formula. A Figure with .views (the three views' (o, o) outputs) and .cell (the
    cell drawn), or a one-line string for an impossible combination."""
    widgets.check_controls(SLIDER_RANGES, i=i, k=k, s=s, p=p, d=d, output_padding=output_padding, row=row, col=col)
    o = conv_transpose_output_size(i, k, s, p, d, output_padding)
    y, w = explorer_data(i, k)
    args = dict(stride=s, padding=p, output_padding=output_padding, dilation=d)
    views = {name: view(y, w, **args) for name, view in (("matrix", conv_transpose2d_matrix),
             ("scatter", conv_transpose2d_scatter), ("as_conv", conv_transpose2d_as_conv))}
    row, col = min(row, o - 1), min(col, o - 1)
    terms = scatter_terms(y, w, s, p, d, row, col)
    grid, taps, window = view3(y, w, s, p, d, output_padding, row, col, every_value=False)
    n = grid.colors.shape[0]
    x_out, show_out = n + k + 4, np.full((o, o), o <= 5)
    x_scatter, show_out[row, col] = x_out + o + 2, True
    width, height = max(x_scatter + max(i, k), 21) + 0.6, max(n, o, i + k + 2, 9) + 2.0
    fig = Figure(figsize=(9, 6))
    ax = fig.add_axes((0.01, 0.33, 0.98, 0.57))  # no layout engine: it costs more than the drawing
    cell_points = 72 * min(0.98 * 9 / width, 0.57 * 6 / height)
    draw.grids(ax, [grid._replace(title=f"view 3: input, stretched\nand padded ({n}×{n})"),
                    cells(w[::-1, ::-1], "kernel", (n + 2, 0), "kernel\nrotated 180°"),
                    draw.Grid(np.full((o, o), "output"), shown(views["as_conv"], show_out), (x_out, 0),
                              f"output ({o}×{o})"),
                    cells(y, "input", (x_scatter, 0), "view 2: input y"),
                    cells(w, "kernel", (x_scatter, i + 2), "kernel w")], fontsize=min(9, round(0.6 * cell_points, 1)))
    frame_view3(ax, taps, window)  # below: the cell, and the inputs and kernel entries of its stamps
    draw.outlines(ax, [(x_out + col, row, 1, 1)] + [(x_scatter + b, a, 1, 1) for a, b, _, _ in terms]
                  + [(x_scatter + n_, i + 2 + m, 1, 1) for _, _, m, n_ in terms], linewidth=2.5)
    ax.set(xlim=(-0.3, width - 0.3), ylim=(height - 1.7, -1.7))
    for x, text in zip((0.01, 0.55), _formula(i, k, s, p, d, output_padding, o, row, col, y, w, terms)):
        fig.text(x, 0.305, text, fontsize=9.5, va="top", linespacing=1.4)
    # the colour key only on the static figure above the explorer: fig.legend is a sixth of a render
    fig.roles = [r for r in ("input", "zeros", "padding") if (grid.colors == r).any()] + ["kernel", "output", "highlight"]
    fig.suptitle(f"One output cell, three views: a {i}×{i} input y → a {o}×{o} output "
                 f"(k = {k}, s = {s}, p = {p}, d = {d}, output_padding = {output_padding})", fontsize=11, y=0.985)
    fig.views, fig.cell = views, (row, col)
    return fig


SLIDER_RANGES = dict(i=(2, 5), k=(1, 4), s=(1, 3), p=(0, 3), d=(1, 2), output_padding=(0, 2), row=(0, 20),
                     col=(0, 20))  # the output cell's sliders: their maximum follows the output size
SLIDER_LABELS = dict(i="input size i", k="kernel size k", s="stride s", p="padding p",
                     d="dilation d", output_padding="output_padding", row="output row", col="output column")


def _adjust(controls):
    """Let the output-cell selectors reach exactly the last row/column of the output."""
    try:
        controls["row"].max = controls["col"].max = conv_transpose_output_size(
            *(controls[name].value for name in ("i", "k", "s", "p", "d", "output_padding"))) - 1
    except ValueError:
        pass


def transposed_explorer(**start):
    """Sliders wired to render_transposed; start: values instead of DEFAULTS (04 opens it at output_padding=1)."""
    widgets.check_controls(SLIDER_RANGES, **start)
    controls = {name: widgets.slider(SLIDER_LABELS[name], {**DEFAULTS, **start}[name], lo, hi)
                for name, (lo, hi) in SLIDER_RANGES.items()}
    return widgets.explorer(render_transposed, controls, adjust=_adjust)


def check_output_size(answer):  # each checker computes the expected value itself
    """Exercise 1: output size for i=5, k=4, s=3, p=1, d=1; the hint names the usual slip behind a wrong value."""
    i, k, s, p = 5, 4, 3, 1
    o = conv_transpose_output_size(i, k, s, p, 1)
    slips = {o + 2 * p: "padding p crops the output: subtract 2p.", o + p: "p is cropped from *each* side.",
             o - 1: "a stamp covers d(k−1) + 1 cells: keep the + 1.", o + s: "i input values are i − 1 strides apart.",
             conv_output_size(i, k, s, p, 1): "that is the convolution's size formula; this layer goes the other way."}
    slip = slips.get(answer) if isinstance(answer, (int, float, np.number)) else None
    return exercises.check_value(answer, o, slip or "use o = (i−1)s − 2p + d(k−1) + 1.")


def _conv_transpose1d(y, w, stride, padding):  # a 2-D one of height 1 (checked against PyTorch)
    return conv_transpose2d(y[None, None, None], w[None, None, None], stride=(1, stride),
                            padding=(0, padding))[0, 0, 0]


def conv_transpose1d_cases():  # layers the notebook never shows
    rng = np.random.default_rng(2024)
    return [dict(y=np.round(rng.standard_normal(n), 1), w=np.round(rng.standard_normal(k), 1), stride=s, padding=p)
            for n, k, s, p in [(4, 3, 2, 0), (5, 2, 3, 1), (3, 4, 2, 1), (6, 1, 2, 0), (4, 3, 1, 2),
                               (2, 5, 3, 2), (7, 3, 2, 1), (1, 3, 2, 1)]]


def check_conv_transpose1d(function):
    """Exercise 3: the learner's conv_transpose1d(y, w, stride, padding), one output at a time."""
    return exercises.check_function(
        function, _conv_transpose1d, conv_transpose1d_cases(),
        "before cropping, the stamp of y[a] starts at cell a·stride, so its tap m lands on cell a·stride + m; "
        "output[j] is that canvas's cell j + padding. Start from o = (n − 1)·stride − 2·padding + k.")


def check_ct_1d(answer):
    """Exercise 2: Cᵀ of the 1-D convolution of a length-5 input with w = [1, 2, 3], s=2."""
    return exercises.check_value(answer, conv_matrix(np.array([[1.0, 2.0, 3.0]]), (1, 5), stride=(1, 2)).T,
                                 "C has one row per output (o = 2) and one column per input (5); row r "
                                 "holds w from column r·s. Cᵀ swaps rows and columns: shape (5, 2).")


def check_view3_padding(answer):
    """Exercise 4: view 3's padding of the stretched input for k=5, d=2, p=3."""
    return exercises.check_value(answer, 2 * (5 - 1) - 3, "the dilated kernel spans d(k−1) + 1 cells; view 3 "
                                 "pads by its span minus one, minus the p that the transposed convolution crops.")


def check_stamp_counts(answer):
    """Exercise 5: (cells reached by 1, by 2, by 4 stamps) for a 3×3 input, k=3, s=2, p=0 (7×7 output)."""
    counts = conv_transpose2d_scatter(np.ones((3, 3)), np.ones((3, 3)), stride=2)  # stamps of ones count
    return exercises.check_value(answer, tuple(int((counts == n).sum()) for n in (1, 2, 4)),
                                 "count along one row first: which of its 7 cells do two stamps share? A cell's "
                                 "count is its row's count times its column's; the three numbers add up to 49.")


KEPT = "A 5×5 map equal to x on every second row and column (x[0::2, 0::2]) and 0 elsewhere."
DELTA_OPTIONS = {
    "x itself: a delta kernel copies values, so Cᵀ copies them back.": "Only at stride 1. With stride 2 the "
        "windows' centres skip every second row and column: those values never reach y, nothing brings them back.",
    "x blurred by the kernel, as in step 2.":
        "A kernel with a single 1 does not mix cells: CᵀC is diagonal, 1 where C kept a value, 0 elsewhere.",
    KEPT: "C keeps 9 of the 25 values; Cᵀ puts each back where it came from and has nothing for the other 16. "
          "Here CCᵀ = I, so Cᵀ is even the pseudo-inverse, yet CᵀC ≠ I: what C dropped stays lost.",
    "A 3×3 map: a transposed convolution keeps y's shape.":
        "Cᵀ is 25×9: it maps y's 9 values to 25, the 5×5 shape (o = (3−1)·2 − 2·1 + 3 = 5).",
}


def delta_question():
    """Exercise 6: what Cᵀ(Cx) is for a stride-2 convolution with a centred delta kernel."""
    return exercises.choice(
        "A 5×5 image x is convolved with the 3×3 kernel that is 1 at its centre and 0 elsewhere, stride 2, "
        "padding 1, into y (3×3). What does the transposed convolution with the same kernel, stride and "
        "padding return from y?", DELTA_OPTIONS, KEPT)


FIGURES = {"03_ct_matrix.png": figure_ct_matrix, "03_not_inverse.png": figure_not_inverse,
           "03_view_matrix.png": figure_view_matrix, "03_scatter_stamps.png": figure_scatter_stamps,
           "03_as_conv.png": figure_as_conv, "03_explorer_default.png": figure_explorer_default}
