"""Notebook 02 (im2col and the convolution matrix C): figures, the explorer, exercise checkers.

The explorer's pure render function is `render_conv_matrix(i, k, s, p, d, mode, index)`;
`conv_matrix_explorer()` wires sliders to it. Static figures are listed in FIGURES.
"""

import numpy as np
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.figure import Figure

from . import conv, widgets
from .draw import COLORS, draw_grid, fill, new_figure, outline, setup_axes, tint
from .exercises import check_function, check_value, choice, feedback

# Categorical colours for "which window" (im2col figure), from the same Okabe-Ito set
# as the role palette; used only where four windows must be told apart at once.
WINDOW_COLORS = ("#E69F00", "#0072B2", "#CC79A7", "#F0E442")

# Explorer slider ranges: small enough that the heatmap of C stays readable
# (at most (12*12) x (8*8) = 144 x 64) and one render stays well under 100 ms.
RANGES = {"i": (3, 8), "k": (1, 4), "s": (1, 3), "p": (0, 2), "d": (1, 2)}
MODES = ("row", "column")
INDEX_MAX = 143  # the index slider's largest value: the last of C's rows for i=8, k=1, p=2 (o=12)


# ---------------------------------------------------------------------------
# Small helpers: labels and the tap-numbered matrix C
# ---------------------------------------------------------------------------


def tap_labels(k):
    """(k, k) array of the weight names 'w00' ... as strings."""
    return np.array([[f"w{a}{b}" for b in range(k)] for a in range(k)], dtype=object)


def pixel_labels(H, W, name="x"):
    """(H, W) array of pixel names 'x00' ... (row digit, column digit)."""
    return np.array([[f"{name}{r}{c}" for c in range(W)] for r in range(H)], dtype=object)


def tap_matrix(i, k, s=1, p=0, d=1):
    """C for a kernel whose weights are 1, 2, ..., k*k: entry t > 0 means tap t-1 (row-major).

    Shape (o*o, i*i); 0 where C is zero. Raises ValueError for impossible settings.
    """
    taps = np.arange(1, k * k + 1, dtype=float).reshape(k, k)
    return conv.conv_matrix(taps, (i, i), stride=s, padding=p, dilation=d).astype(int)


def _tap_lut(k):
    """Colour lookup: index 0 = zero entry (white), t = kernel tap t-1 (light to dark green)."""
    strengths = np.linspace(0.3, 1.0, k * k) if k > 1 else np.array([0.7])
    return np.array([tint("empty")] + [tint("kernel", s_) for s_ in strengths])


def window_taps(i, k, s, p, d, row):
    """Padded-input coordinates [(r, c), ...] of the window taps of output `row`, in tap order.

    Coordinates count from the top-left corner of the padded input (padding p on each side).
    """
    o = conv.conv_output_size(i, k, s, p, d)
    r, c = divmod(row, o)
    return [(r * s + a * d, c * s + b * d) for a in range(k) for b in range(k)]


def _grid_lines(origin, rows, cols, cell=1.0, every=(1, 1)):
    """Segments of the lines of a rows x cols grid: one every every[0] rows, every[1] columns."""
    x0, y0 = origin
    x1, y1 = x0 + cols * cell, y0 + rows * cell
    return ([((x0, y0 + cell * r), (x1, y0 + cell * r)) for r in range(0, rows + 1, every[0])]
            + [((x0 + cell * c, y0), (x0 + cell * c, y1)) for c in range(0, cols + 1, every[1])])


def _add_lines(ax, groups):
    """Draw [(segments, colour, linewidth), ...] as ONE LineCollection (later groups on top).

    Each hlines/vlines call is an artist of its own, and artists are what make a render
    slow; one collection with a colour and a width per segment draws the same picture.
    """
    segments, colors, widths = [], [], []
    for group_segments, color, width in groups:
        segments += group_segments
        colors += [color] * len(group_segments)
        widths += [width] * len(group_segments)
    ax.add_collection(LineCollection(segments, colors=colors, linewidths=widths, zorder=2),
                      autolim=False)


def _heatmap(ax, colors, block, origin=(0.0, 0.0), cell=1.0, cell_lines=None):
    """Draw a matrix of cell colours as one image; return its lines for _add_lines.

    colors: (o*o, i*i, 3), e.g. _tap_lut(k)[tap_matrix(...)]; block = (o, i); origin is the
    top-left corner and cell the side of one cell, in data units (y grows downwards).
    The lines: thin ones between cells (while cells are big enough to see them) and dark
    ones between the (o x i) blocks, every o rows (one output row) and every i columns
    (one input row). Returns the image and the line groups.
    """
    rows, cols = colors.shape[:2]
    x0, y0 = origin
    image = ax.imshow(colors, extent=(x0, x0 + cols * cell, y0 + rows * cell, y0),
                      interpolation="nearest", zorder=1)
    if cell_lines is None:
        cell_lines = rows * cols <= 900
    groups = [(_grid_lines(origin, rows, cols, cell), "0.75", 0.4)] if cell_lines else []
    groups.append((_grid_lines(origin, rows, cols, cell, every=block), "0.2", 1.0))
    setup_axes(ax)
    return image, groups


def _frames(ax, boxes, color=COLORS["highlight"], linewidth=3, zorder=4):
    """Unfilled rectangles [(x, y, width, height), ...] as one collection (like draw.outline)."""
    corners = [[(x, y), (x + w, y), (x + w, y + h), (x, y + h)] for x, y, w, h in boxes]
    ax.add_collection(PolyCollection(corners, closed=True, facecolors="none", edgecolors=color,
                                     linewidths=linewidth, joinstyle="miter", zorder=zorder),
                      autolim=False)


# ---------------------------------------------------------------------------
# Static figures
# ---------------------------------------------------------------------------


def fig_loop_visits():
    """conv2d_loops visits the 16 windows of a 6x6 input one at a time."""
    fig, ax = new_figure(7.5, 3.5)
    i, k = 6, 3
    o = i - k + 1
    colors = fill((i, i), "input")
    colors[1:1 + k, 2:2 + k] = tint("highlight")
    draw_grid(ax, colors, title="input 6×6 (window of output (1, 2))")
    outline(ax, 1, 2, k, k)
    order = np.arange(1, o * o + 1).reshape(o, o)
    out_colors = fill((o, o), "output")
    out_colors[1, 2] = tint("highlight")
    draw_grid(ax, out_colors, order, title="output 4×4: visit order", origin=(9, 1))
    outline(ax, 1, 2, origin=(9, 1))
    ax.annotate("", xy=(8.7, 3), xytext=(6.3, 3), arrowprops=dict(arrowstyle="->", lw=1.5))
    ax.text(7.5, 2.8, "3×3 kernel\n(one dot product)", ha="center", va="bottom", fontsize=8)
    fig.suptitle("conv2d_loops: one Python iteration per output, 16 small dot products in turn",
                 fontsize=10)
    return fig


def fig_im2col_columns():
    """Each 3x3 window of a 4x4 input becomes one column of the 9x4 patch matrix."""
    i, k = 4, 3
    o = i - k + 1
    names = pixel_labels(i, i)
    fig, ax = new_figure(9.0, 6.75)
    for n in range(o * o):
        r, c = divmod(n, o)
        colors = fill((i, i), "input")
        colors[r:r + k, c:c + k] = tint(WINDOW_COLORS[n], 0.6)
        x0 = n * (i + 1.2)
        draw_grid(ax, colors, names, title=f"input: window {n}\n→ output ({r}, {c})",
                  origin=(x0, 0), fontsize=8)
        outline(ax, r, c, k, k, role=WINDOW_COLORS[n], origin=(x0, 0))
    # the product w.ravel() @ cols = output row
    top = i + 2.2
    cols = np.empty((k * k, o * o), dtype=object)
    col_colors = np.zeros((k * k, o * o, 3))
    for n in range(o * o):
        r, c = divmod(n, o)
        cols[:, n] = names[r:r + k, c:c + k].ravel()
        col_colors[:, n] = tint(WINDOW_COLORS[n], 0.6)
    w_row = tap_labels(k).reshape(1, -1)
    draw_grid(ax, fill(w_row.shape, "kernel"), w_row, title="w.ravel()  (1 × 9)",
              origin=(0, top + 4), fontsize=8)
    ax.text(9.6, top + 4.5, "@", ha="center", va="center", fontsize=14)
    draw_grid(ax, col_colors, cols, title="cols (9 × 4): one column per window",
              origin=(10.4, top), fontsize=8)
    ax.text(15.2, top + 4.5, "=", ha="center", va="center", fontsize=14)
    out_colors = np.array([[tint(WINDOW_COLORS[n], 0.6) for n in range(o * o)]])
    out_names = np.array([[f"y{r}{c}" for r, c in np.ndindex(o, o)]], dtype=object)
    draw_grid(ax, out_colors, out_names, title="output (1 × 4)", origin=(16.0, top + 4),
              fontsize=8)
    ax.text(20.4, top + 4.5, "→ reshape\nto 2×2", ha="left", va="center", fontsize=9)
    ax.set_xlim(-0.3, 22.6)
    fig.suptitle("im2col: every window of the input becomes a column; "
                 "convolution is one matrix product", fontsize=10)
    return fig


def fig_gemm_shapes():
    """Many channels and many kernels: one product (C_out, C_in*k*k) @ (C_in*k*k, L)."""
    C_in, C_out, k, o = 3, 4, 3, 6
    K, L = C_in * k * k, o * o
    fig, ax = new_figure(10.0, 3.75)
    strengths = np.repeat([0.3, 0.55, 0.8], k * k)  # one shade per input channel
    weights = np.array([[tint("kernel", s_) for s_ in strengths]] * C_out)
    cols = np.array([[tint("input", s_)] * L for s_ in strengths])
    draw_grid(ax, weights, origin=(0, K - C_out), linewidth=0.3)
    ax.text(K / 2, K - C_out - 0.8, f"weights w.reshape(C_out, C_in·k·k)\n({C_out} × {K})",
            ha="center", va="bottom", fontsize=9)
    ax.text(K + 2, K - C_out / 2, "@", ha="center", va="center", fontsize=16)
    draw_grid(ax, cols, origin=(K + 4, 0), linewidth=0.3)
    ax.text(K + 4 + L / 2, -0.8, f"im2col(x)  ({K} × {L})\none column per window, "
            f"rows = (channel, kernel row, kernel column)", ha="center", va="bottom", fontsize=9)
    ax.text(K + L + 6, K - C_out / 2, "=", ha="center", va="center", fontsize=16)
    draw_grid(ax, fill((C_out, L), "output"), origin=(K + L + 8, K - C_out), linewidth=0.3)
    ax.text(K + L + 8 + L / 2, K - C_out - 0.8, f"output ({C_out} × {L})\n"
            f"reshape to (C_out, Ho, Wo) = ({C_out}, {o}, {o})", ha="center", va="bottom",
            fontsize=9)
    for c in range(C_in):  # which input channel each band of K comes from
        ax.text(K + 4 + L / 2, c * k * k + k * k / 2, f"input channel {c}: {k * k} rows",
                ha="center", va="center", fontsize=9)
        ax.text(c * k * k + k * k / 2, K + 0.4, f"channel {c}", ha="center", va="top",
                fontsize=8)
    fig.suptitle(f"One GEMM for the whole layer: C_in={C_in} input channels, C_out={C_out} "
                 f"kernels of {k}×{k}, {o}×{o}={L} windows", fontsize=10)
    return fig


def fig_placed_kernels():
    """The 3x3 kernel placed at each of the 4 positions of a 4x4 input, zeros elsewhere."""
    i, k = 4, 3
    o = i - k + 1
    fig, ax = new_figure(9.0, 3.0)
    for n in range(o * o):
        r, c = divmod(n, o)
        values = np.full((i, i), "0", dtype=object)
        values[r:r + k, c:c + k] = tap_labels(k)
        colors = fill((i, i), "empty")
        colors[r:r + k, c:c + k] = tint("kernel")
        x0 = n * (i + 1.2)
        draw_grid(ax, colors, values, title=f"row {n} of C: output ({r}, {c})", origin=(x0, 0),
                  fontsize=8)
        outline(ax, r, c, k, k, origin=(x0, 0))
    fig.suptitle("The kernel placed over each window of the 4×4 input, zeros elsewhere; "
                 "flatten each into one row of C", fontsize=10)
    return fig


def fig_conv_matrix_classic():
    """C (4 x 16) for a 4x4 input and a 3x3 kernel, the weights written where they sit."""
    i, k = 4, 3
    T = tap_matrix(i, k)
    names = np.concatenate([[""], tap_labels(k).ravel()])[T]
    colors = _tap_lut(k)[T]
    fig, ax = new_figure(10.0, 2.75)
    draw_grid(ax, colors, names, fontsize=7)
    ax.vlines(np.arange(0, i * i + 1, i), 0, T.shape[0], colors="0.1", linewidth=2.2, zorder=3)
    for col, name in enumerate(pixel_labels(i, i).ravel()):
        ax.text(col + 0.5, -0.2, name, ha="center", va="bottom", fontsize=7, color="#0072B2")
    for row, (r, c) in enumerate(np.ndindex(i - k + 1, i - k + 1)):
        ax.text(-0.2, row + 0.5, f"output ({r},{c})", ha="right", va="center", fontsize=8)
    ax.text(-0.2, -0.2, "input pixel:", ha="right", va="bottom", fontsize=8, color="#0072B2")
    ax.set_xlim(-3.2, i * i + 0.2)
    ax.set_ylim(T.shape[0] + 0.1, -0.9)
    fig.suptitle("C (4 × 16): one row per output, one column per input pixel; "
                 "thick lines separate the input rows; blank = 0", fontsize=10)
    return fig


STRUCTURE_CASES = (  # (i, k, s, p, d, what it shows): few settings, cells big enough to read
    (5, 3, 1, 0, 1, "stride 1: each diagonal holds one weight, and the blocks repeat"),
    (5, 3, 2, 0, 1,
     "stride 2: in a block, each row is 2 columns right of the one above; diagonals not constant"),
)


def fig_conv_matrix_structure():
    """C at stride 1 (one constant diagonal and one repeated block outlined) and at stride 2.

    Every non-zero entry is numbered with its weight (w = 1 .. 9, row-major), as in step 3.
    """
    fig = Figure(figsize=(11.0, 6.5), layout="constrained")
    axes = fig.subplot_mosaic([["kernel", "a"], ["kernel", "b"]],
                              gridspec_kw={"height_ratios": [9, 4], "width_ratios": [1, 7]})
    k = 3
    draw_grid(axes["kernel"], _tap_lut(k)[1:].reshape(k, k, 3),
              np.arange(1, k * k + 1).reshape(k, k), fontsize=10)
    axes["kernel"].set_title("kernel w:\nweights 1 to 9", fontsize=10)
    for name, (i, k_, s, p, d, text) in zip("ab", STRUCTURE_CASES):
        T = tap_matrix(i, k_, s, p, d)
        o = conv.conv_output_size(i, k_, s, p, d)
        ax = axes[name]
        _add_lines(ax, _heatmap(ax, _tap_lut(k_)[T], (o, i), cell_lines=True)[1])
        for (r, c), t in np.ndenumerate(T):
            if t:
                ax.text(c + 0.5, r + 0.5, str(t), ha="center", va="center", fontsize=8, zorder=3)
        ax.set_title(f"i={i}, k={k_}, s={s}, p={p}, d={d}: C is {T.shape[0]}×{T.shape[1]}: {text}",
                     fontsize=10)
    # stride 1: the diagonal of weight 1 in the first block, and the first block repeated
    o = conv.conv_output_size(5, 3)
    _frames(axes["a"], [(c, c, 1, 1) for c in range(o)], linewidth=2)
    _frames(axes["a"], [(0, 0, 5, o), (5, o, 5, o)], linewidth=3)
    axes["a"].text(0, o * o + 0.4, "outlined: a constant diagonal (weight 1), and one block "
                   "(output row 0 × input row 0) repeated one block down and right",
                   ha="left", va="top", fontsize=9)
    axes["a"].set_ylim(o * o + 1.6, 0)
    fig.suptitle("C: rows = outputs, columns = input pixels; black lines cut C into blocks "
                 "(one output row × one input row)", fontsize=11)
    return fig


def fig_memory_growth():
    """Bytes of the image, of im2col's columns and of a dense C, for an i x i image, k=3, p=1."""
    sizes = np.array([8, 16, 32, 64, 128, 224, 512, 1024], dtype=float)
    k = 3
    image = sizes ** 2 * 8
    columns = k * k * sizes ** 2 * 8  # o = i at stride 1, padding 1
    dense = sizes ** 4 * 8
    fig, ax = new_figure(6.5, 4.0)
    ax.loglog(sizes, dense, "o-", color=COLORS["highlight"],
              label="dense C: (o·o)·(i·i) entries")
    ax.loglog(sizes, columns, "s-", color=COLORS["kernel"], label="im2col columns: k·k·o·o")
    ax.loglog(sizes, image, "^-", color=COLORS["input"], label="the input image: i·i")
    ax.axhline(16e9, color="0.3", linestyle="--", linewidth=1)
    ax.text(sizes[0], 16e9 * 1.6, "16 GB (a laptop's memory)", fontsize=8)
    ax.set_xlabel("input size i (image is i × i, one channel)")
    ax.set_ylabel("bytes (float64)")
    ax.set_title("Memory of a 3×3 convolution (stride 1, padding 1, output o = i)", fontsize=10)
    ax.set_xticks(sizes, [str(int(v)) for v in sizes])
    ax.minorticks_off()
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(True, which="major", linewidth=0.3)
    return fig


# ---------------------------------------------------------------------------
# The explorer: C with one row or one column highlighted, beside the input and output
# ---------------------------------------------------------------------------


@widgets.explains_invalid
def render_conv_matrix(i=5, k=3, s=1, p=1, d=1, mode="row", index=0):
    """C for an i x i input and a k x k kernel, with one row or one column highlighted.

    mode "row": row `index` of C (one output) and, on the input, the window it reads.
    mode "column": column `index` of C (one input pixel) and every output it reaches.
    An index past the end is clamped to the last row/column (and the title says so).
    Returns a Figure, or a one-line string for an impossible setting. The three
    images are labelled "C", "input" and "output" (tests read their cell colours).
    """
    widgets.check_controls({**RANGES, "mode": list(MODES), "index": (0, INDEX_MAX)},
                           i=i, k=k, s=s, p=p, d=d, mode=mode, index=index)
    o = conv.conv_output_size(i, k, s, p, d)  # ValueError if the kernel does not fit
    T = tap_matrix(i, k, s, p, d)
    rows, cols = T.shape
    shown = min(index, (rows if mode == "row" else cols) - 1)
    note = f" (index {index} clamped to {shown})" if shown != index else ""

    n = i + 2 * p  # the padded input is n x n
    heat = _tap_lut(k)[T]
    in_colors = fill((n, n), "padding")
    in_colors[p:p + i, p:p + i] = tint("input")
    out_colors = fill((o, o), "output")
    in_text = np.full((n, n), "", dtype=object) if n <= 9 and k <= 3 else None
    out_text = np.full((o, o), "", dtype=object) if o <= 9 and k <= 3 else None
    names = tap_labels(k).ravel()
    hl = tint("highlight")
    if mode == "row":
        r, c = divmod(shown, o)
        heat[shown, np.flatnonzero(T[shown])] = hl
        for t, (a, b) in enumerate(window_taps(i, k, s, p, d, shown)):
            in_colors[a, b] = hl
            if in_text is not None:
                in_text[a, b] = names[t]
        out_colors[r, c] = hl
        title_c = f"C ({rows} × {cols})\nrow {shown} = output ({r}, {c}){note}"
        title_in = f"input {i}×{i}, padding {p} (grey):\nthe window of output ({r}, {c})"
        title_out = f"output {o}×{o}: one entry per row of C"
    else:
        r, c = divmod(shown, i)
        reached = np.flatnonzero(T[:, shown])
        heat[reached, shown] = hl
        in_colors[p + r, p + c] = hl
        for row in reached:
            out_colors[row // o, row % o] = hl
            if out_text is not None:
                out_text[row // o, row % o] = names[T[row, shown] - 1]
        title_c = f"C ({rows} × {cols})\ncolumn {shown} = input pixel ({r}, {c}){note}"
        title_in = f"input {i}×{i}, padding {p} (grey):\npixel ({r}, {c})"
        plural = "s" if len(reached) > 1 else ""
        title_out = (f"output {o}×{o}: the {len(reached)} output{plural} it reaches\n"
                     f"(through which weight: the kernel rotated 180°)" if len(reached) else
                     f"output {o}×{o}: no output reads this pixel\n(the stride skips it)")

    # One Axes for all three panels (creating Axes is the slowest part of a render).
    # Input and output use unit cells; C is scaled by u to fit a box beside them.
    top, gap = 3.0, 3.5  # room for the titles above each panel
    right = max(n, o)
    box_h = max(n + gap + o, 9.0)
    box_w = max(2.0 * (top + box_h) - right - 3.0, 8.0)
    u = min(box_h / rows, box_w / cols)
    c_w = max(cols * u, 7.0)
    fig = Figure(figsize=(9.75, 5.0))
    ax = fig.add_axes((0.01, 0.01, 0.98, 0.90))
    x0 = (c_w - cols * u) / 2
    image, lines = _heatmap(ax, heat, (o, i), origin=(x0, top), cell=u)
    image.set_label("C")
    if mode == "row":
        frames = [(x0, top + shown * u, cols * u, u)]
    else:
        frames = [(x0 + shown * u, top, u, rows * u)]
    _frames(ax, frames, linewidth=2, zorder=5)
    ax.text(c_w / 2, top - 0.3, title_c, ha="center", va="bottom", fontsize=9)

    xr = c_w + 3.0
    right = max(right, 0.6 * c_w)  # the right-hand slot is wide enough for its titles
    x_in, x_out = xr + (right - n) / 2, xr + (right - o) / 2
    y_out = top + n + gap
    # the input and the output: one labelled image each (tests read their colours), their
    # lines in the same collection as C's, texts only where a weight is named
    for colors, text, origin, label in ((in_colors, in_text, (x_in, top), "input"),
                                        (out_colors, out_text, (x_out, y_out), "output")):
        h, w = colors.shape[:2]
        ax.imshow(colors, extent=(origin[0], origin[0] + w, origin[1] + h, origin[1]),
                  interpolation="nearest", zorder=1, label=label)
        lines.append((_grid_lines(origin, h, w), "0.25", 1.0))
        if text is not None:
            for (a, b), name in np.ndenumerate(text):
                if name:
                    ax.text(origin[0] + b + 0.5, origin[1] + a + 0.5, name, ha="center",
                            va="center", fontsize=7, zorder=3)
    _add_lines(ax, lines)
    if mode == "row":
        span = d * (k - 1) + 1
        boxes = [(x_in + c * s, top + r * s, span, span), (x_out + c, y_out + r, 1, 1)]
    else:
        boxes = [(x_in + p + c, top + p + r, 1, 1)]
    _frames(ax, boxes)
    ax.text(x_in + n / 2, top - 0.3, title_in, ha="center", va="bottom", fontsize=9)
    ax.text(x_out + o / 2, y_out - 0.3, title_out, ha="center", va="bottom", fontsize=9)
    ax.set_xlim(-0.5, xr + right + 0.5)
    ax.set_ylim(max(top + rows * u, y_out + o) + 0.5, 0)
    fig.text(0.5, 0.985, f"The convolution matrix C: i={i}, k={k}, s={s}, p={p}, d={d} → o={o}",
             ha="center", va="top", fontsize=10)
    fig.text(0.5, 0.945, "rows of C = outputs, columns of C = input pixels, green = the weights "
             "(lighter to darker: w00 … last tap)", ha="center", va="top", fontsize=9)
    return fig


def conv_matrix_explorer(i=5, k=3, s=1, p=1, d=1, mode="row", index=7):
    """Sliders for i, k, s, p, d, a row/column toggle and an index that follows C's size."""
    import ipywidgets

    controls = {name: widgets.slider(label, value, *RANGES[name]) for name, label, value in (
        ("i", "input size i", i), ("k", "kernel size k", k), ("s", "stride s", s),
        ("p", "padding p", p), ("d", "dilation d", d))}
    controls["mode"] = ipywidgets.ToggleButtons(
        options=[("row (one output)", "row"), ("column (one input pixel)", "column")],
        value=mode, description="select")
    controls["index"] = widgets.slider("row", index, 0, INDEX_MAX)

    def adjust(controls):
        """Keep the index slider within C's rows (row mode) or columns (column mode)."""
        v = {name: c.value for name, c in controls.items()}
        try:
            o = conv.conv_output_size(v["i"], v["k"], v["s"], v["p"], v["d"])
        except ValueError:
            return  # render explains why; keep the slider as it is
        index = controls["index"]
        index.description = v["mode"]
        index.max = (o * o if v["mode"] == "row" else v["i"] * v["i"]) - 1

    return widgets.explorer(render_conv_matrix, controls, adjust=adjust)


def fig_explorer_row():
    """The explorer's default state: row 7 of C for i=5, k=3, s=1, p=1."""
    return render_conv_matrix(i=5, k=3, s=1, p=1, d=1, mode="row", index=7)


def fig_explorer_column():
    """Column mode: the centre pixel of a 5x5 input and the 9 outputs it reaches."""
    return render_conv_matrix(i=5, k=3, s=1, p=1, d=1, mode="column", index=12)


# ---------------------------------------------------------------------------
# Exercise checkers: each computes its expected answer itself and never prints it
# ---------------------------------------------------------------------------


def check_shape_of_c(answer):
    """Exercise 1: the shape of C for i=6, k=3, s=2, p=1 (a (rows, columns) tuple)."""
    i, k, s, p = 6, 3, 2, 1
    o = conv.conv_output_size(i, k, s, p)
    hint = ("C has one row per output pixel and one column per input pixel. Compute "
            "o = floor((i + 2p - d(k-1) - 1)/s) + 1 first (here d = 1); the output has o·o "
            "pixels, the input i·i.")
    if answer is None:
        return feedback(None, False, hint)
    correct = np.shape(answer) == (2,) and tuple(np.asarray(answer).tolist()) == (o * o, i * i)
    return feedback(answer, correct, hint)


def check_nonzero_columns(answer):
    """Exercise 2: the non-zero columns of C's row for output (0, 0), i=5, k=3, s=1, p=1."""
    C = conv.conv_matrix(np.ones((3, 3)), (5, 5), stride=1, padding=1)
    expected = set(np.flatnonzero(C[0]).tolist())
    hint = ("With p = 1 the window of output (0, 0) starts one pixel above and to the left of "
            "the input; only taps that land on the 5×5 input give non-zero columns, and input "
            "pixel (r, c) is column r·5 + c.")
    if answer is None:
        return feedback(None, False, hint)
    try:
        given = [int(a) for a in np.ravel(answer)]
        correct = len(given) == len(set(given)) and set(given) == expected
    except (TypeError, ValueError):
        correct = False
    return feedback(answer, correct, hint)


def check_row_of_c(answer):
    """Exercise 3: row 4 of C (output (1, 1)), 4×5 input, w = arange(1, 10).reshape(3, 3), s=1, p=0.

    Not a row notebook 02 prints: its printed C is for a 4×4 input.
    """
    w = np.arange(1, 10, dtype=float).reshape(3, 3)
    expected = conv.conv_matrix(w, (4, 5))[4]
    hint = ("The output is 2×3, so row 4 is output (1, 1); find the input rows and columns its "
            "window reads, put w there in a 4×5 array of zeros, then flatten it (20 numbers, row "
            "by row).")
    if answer is None:
        return feedback(None, False, hint)
    try:
        given = np.asarray(answer, dtype=float).ravel()  # a (16,), (1, 16) or (4, 4) array
        correct = given.shape == expected.shape and np.allclose(given, expected)
    except (TypeError, ValueError):
        correct = False
    return feedback(answer, correct, hint)


def check_sparsity(answer):
    """Exercise 4: the fraction of zero entries of C for i=8, k=3, s=1, p=0 (within 0.01)."""
    C = conv.conv_matrix(np.ones((3, 3)), (8, 8))
    expected = float(np.mean(C == 0))
    hint = ("Count C's entries (rows × columns) and its non-zeros: every row holds one copy of "
            "the k·k weights when no tap lands in padding. Sparsity = 1 - non-zeros / entries.")
    return check_value(answer, expected, hint, atol=0.01)


def check_dense_c_gigabytes(answer):
    """Exercise 5: GB (1e9 bytes) of a dense float32 C for i=128, k=5, s=1, p=2 (within 2%)."""
    i = 128
    o = conv.conv_output_size(i, 5, 1, 2)
    expected = o * o * i * i * 4 / 1e9
    hint = ("C has (o·o) × (i·i) entries; work out o first (this padding keeps the size), then "
            "multiply by 4 bytes per float32 entry and divide by 1e9.")
    if answer is None:
        return feedback(None, False, hint)
    try:
        correct = bool(abs(float(answer) - expected) <= 0.02 * expected)
    except (TypeError, ValueError):
        correct = False
    return feedback(answer, correct, hint)


# Exercise 6 (coding): the learner builds C for any input shape, kernel, stride, padding, dilation.
BUILD_C_CASES = [  # (kernel shape, input shape, stride, padding, dilation); none is in notebook 02
    ((2, 3), (5, 7), 1, 0, 1),  # non-square kernel and input
    ((3, 3), (6, 6), 2, 0, 1),  # a stride that does not divide i - k
    ((3, 3), (4, 6), 1, 1, 1),  # padding: the taps that land in it are dropped
    ((3, 3), (7, 7), 1, 0, 2),  # dilation
    ((3, 2), (6, 5), 3, 2, 1),  # stride and padding, non-square
    ((1, 1), (3, 4), 2, 1, 1),  # some windows read only padding: rows of zeros
    ((2, 2), (6, 6), 2, 1, 2),  # everything at once
]


def _build_c_cases():
    rng = np.random.default_rng(6)
    return [dict(w=rng.integers(1, 10, size=kernel).astype(float), input_shape=shape, stride=s,
                 padding=p, dilation=d) for kernel, shape, s, p, d in BUILD_C_CASES]


def conv_matrix_by_columns(w, input_shape, stride, padding, dilation):
    """C built column by column: column j is the convolution of an image that is 1 at pixel j."""
    H, W = input_shape
    columns = [conv.conv2d_loops(pixel.reshape(H, W), w, stride=stride, padding=padding,
                                 dilation=dilation).ravel() for pixel in np.eye(H * W)]
    return np.stack(columns, axis=1)


def check_build_c(function):
    """Exercise 6: the learner's build_C(w, input_shape, stride, padding, dilation)."""
    hint = ("row r·Wo + c is the kernel laid over the window of output (r, c) on a zero canvas the "
            "size of the PADDED input (window start r·s, c·s; taps d apart); cut the padding off "
            "the canvas, then flatten it row by row.")
    return check_function(function, conv_matrix_by_columns, _build_c_cases(), hint)


# Exercise 7 (misconception): can the output of a convolution be undone?
INVERSE_QUESTION = dict(
    question="Step 3's C is 4 × 16: it maps a 4×4 input to a 2×2 output. Which statement is true?",
    options={
        "C is a matrix, so C⁻¹·vec(O) gives the input back.":
            "Only a square matrix of full rank has an inverse. C turns 16 numbers into 4, so "
            "different inputs must share an output, and no matrix can tell them apart again.",
        "Cᵀ·vec(O) gives the input back: it has 16 numbers, one per input pixel.":
            "Cᵀ gives back the shape (16 numbers, a 4×4 map), not the values: the cell below "
            "shows it. Notebook 03 starts from exactly this.",
        "Many different inputs give exactly the same output, so the input cannot be recovered.":
            "C has 16 columns but rank at most 4, so at least 12 independent directions of the "
            "input change nothing in the output: add any of them to an input and the output stays "
            "the same. The cell below checks it.",
    },
    correct="Many different inputs give exactly the same output, so the input cannot be recovered.",
)


def ask_inverse():
    """Exercise 7 as buttons: pick an option to see why it is right or wrong."""
    return choice(**INVERSE_QUESTION)


FIGURES = {
    "02_loop_visits.png": fig_loop_visits,
    "02_im2col_columns.png": fig_im2col_columns,
    "02_gemm_shapes.png": fig_gemm_shapes,
    "02_placed_kernels.png": fig_placed_kernels,
    "02_conv_matrix_classic.png": fig_conv_matrix_classic,
    "02_conv_matrix_structure.png": fig_conv_matrix_structure,
    "02_explorer_row.png": fig_explorer_row,
    "02_explorer_column.png": fig_explorer_column,
    "02_memory_growth.png": fig_memory_growth,
}
