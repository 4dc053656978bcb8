"""Notebook 02 (im2col and the convolution matrix C): its figures (FIGURES), the explorer
(`render_conv_matrix`, wired to sliders by `conv_matrix_explorer`) and the exercise checkers.
Colours as everywhere: input sky blue, output orange, kernel green (C's entries are weights),
padding grey, the current window or cell outlined."""

import numpy as np
from matplotlib.figure import Figure

from . import conv2d_loops, conv_matrix, conv_output_size, draw, widgets
from .draw import Grid
from .example import example_input, example_kernel
from .exercises import check_function, check_value, choice

# Explorer slider ranges: small enough that C stays readable (at most (12*12) x (8*8) = 144 x 64)
RANGES = {"i": (3, 8), "k": (1, 4), "s": (1, 3), "p": (0, 2), "d": (1, 2)}
INDEX_MAX = 143  # the index slider's largest value: the last of C's rows for i=8, k=1, p=2 (o=12)

def roles(shape, role):
    """An array of one role name ('input', 'output', ...) per cell, for draw.Grid."""
    return np.full(shape, role, dtype=object)

def names(H, W, name="x"):
    """(H, W) array of cell names 'x00', 'x01', ... (name, row digit, column digit)."""
    return np.array([[f"{name}{r}{c}" for c in range(W)] for r in range(H)], dtype=object)

def tap_matrix(i, k, s=1, p=0, d=1):
    """C (o*o, i*i) for the weights 1, 2, ..., k*k (row-major), as ints: t > 0 is tap t-1."""
    taps = np.arange(1.0, k * k + 1).reshape(k, k)
    return conv_matrix(taps, (i, i), stride=s, padding=p, dilation=d).astype(int)

def tap_colors(T, k):
    """Cell colours of a tap matrix T: white for 0, green from light (tap 1) to dark (tap k*k)."""
    strengths = np.linspace(0.3, 1.0, k * k) if k > 1 else [0.7]
    return np.array([draw.tint("empty")] + [draw.tint("kernel", s_) for s_ in strengths])[T]

def numbers(T):
    """The non-zero entries of T as strings, '' for zeros (draw.Grid's values)."""
    return np.where(T > 0, np.asarray(T).astype(str), "").astype(object)

def finish(fig, title, keys, labels=None):
    """Title a constrained-layout figure and put the colour key under it, room kept for it."""
    fig.get_layout_engine().set(rect=(0, 0.08, 1, 0.92))
    draw.legend(fig, keys, labels)
    fig.suptitle(title, fontsize=10)
    return fig

def figure_loop_visits():
    """conv2d_loops visits the 16 windows of the running example's 6x6 input one at a time."""
    i, k, (r, c) = 6, 3, (1, 2)
    o, x_out = i - k + 1, i + k + 3
    fig, ax = draw.new_figure(8.0, 3.75)
    draw.grids(ax, [Grid(roles((i, i), "input"), example_input(i), (0, 0), "input 6×6"),
                    Grid(roles((k, k), "kernel"), example_kernel(k), (i + 1.5, 1.5), "kernel 3×3"),
                    Grid(roles((o, o), "output"), np.arange(1, o * o + 1).reshape(o, o), (x_out, 1),
                         "output 4×4: visit order")])
    draw.outlines(ax, [(c, r, k, k), (x_out + c, 1 + r, 1, 1)])
    return finish(fig, "conv2d_loops: one Python iteration per output, 16 small dot products in turn", [
        "input", "kernel", "output", "highlight"], {"highlight": "window of output (1, 2), and it"})

def four_windows(i, k, colors, values, title):
    """Grids and outline boxes of one panel per window (r, c): colors(r, c), values(r, c), title(n, r, c)."""
    windows = list(np.ndindex(i - k + 1, i - k + 1))
    x = [n * (i + 1.2) for n in range(len(windows))]
    return ([Grid(colors(r, c), values(r, c), (x[n], 0), title(n, r, c)) for n, (r, c) in enumerate(windows)],
            [(x[n] + c, r, k, k) for n, (r, c) in enumerate(windows)])

def figure_im2col_columns():
    """Each 3x3 window of a 4x4 input becomes one column of the 9x4 matrix cols."""
    i, k, o, top = 4, 3, 2, 6.2
    pixels = names(i, i)
    cols = np.stack([pixels[r:r + k, c:c + k].ravel() for r, c in np.ndindex(o, o)], axis=1)
    panels, boxes = four_windows(i, k, lambda r, c: roles((i, i), "input"), lambda r, c: pixels,
                                 lambda n, r, c: f"window {n} → output ({r}, {c})")
    fig, ax = draw.new_figure(9.0, 7.0)
    draw.grids(ax, panels + [
        Grid(roles((1, k * k), "kernel"), names(k, k, "w").reshape(1, -1), (0, top + 4), "w.ravel() (1 × 9)"),
        Grid(roles((k * k, o * o), "input"), cols, (10.4, top), "cols (9 × 4): column n = window n"),
        Grid(roles((1, o * o), "output"), names(o, o, "y").reshape(1, -1), (16.0, top + 4),
             "output (1 × 4),\nreshaped to 2×2")], fontsize=8)
    draw.outlines(ax, boxes)
    for x, text in ((9.6, "@"), (15.2, "=")):
        ax.text(x, top + 4.5, text, ha="center", va="center", fontsize=14)
    return finish(fig, "im2col: every window of the input becomes a column; convolution is one "
                  "matrix product", ["input", "kernel", "output", "highlight"], {"highlight": "the window"})

def figure_gemm_shapes():
    """Many channels and many kernels: one product (C_out, C_in*k*k) @ (C_in*k*k, L)."""
    C_in, C_out, k, o, K, L = 3, 4, 3, 6, 27, 36  # K = C_in·k·k rows, L = o·o windows
    fig, ax = draw.new_figure(10.0, 4.0)
    draw.grids(ax, [Grid(roles((C_out, K), "kernel"), None, (0, K - C_out), f"weights w.reshape(C_out, "
                         f"C_in·k·k)\n({C_out} × {K})", block=(C_out, k * k)),
                    Grid(roles((K, L), "input"), None, (K + 4, 0), f"im2col(x) ({K} × {L}): one column per "
                         "window,\nrows = (channel, kernel row, kernel column)", block=(k * k, L)),
                    Grid(roles((C_out, L), "output"), None, (K + L + 8, K - C_out), f"output ({C_out} × {L})\n"
                         f"reshape to (C_out, Ho, Wo) = ({C_out}, {o}, {o})", block=(C_out, L))])
    for x, text in ((K + 2, "@"), (K + L + 6, "=")):
        ax.text(x, K - C_out / 2, text, ha="center", va="center", fontsize=16)
    for c in range(C_in):  # which input channel each band of C_in·k·k rows comes from
        ax.text(K + 4 + L / 2, (c + .5) * k * k, f"input channel {c}: {k * k} rows", ha="center", va="center")
        ax.text((c + 0.5) * k * k, K + 0.4, f"channel {c}", ha="center", va="top", fontsize=8)
    return finish(fig, f"One GEMM for the whole layer: C_in={C_in} input channels, C_out={C_out} kernels "
                  f"of {k}×{k}, {o}×{o}={L} windows", ["kernel", "input", "output"],
                  {"kernel": "weights", "input": "input values", "output": "output values"})

def figure_placed_kernels():
    """The 3x3 kernel placed at each of the 4 windows of a 4x4 input, zeros elsewhere."""
    def placed(r, c, fill, kernel):  # a 4x4 canvas of `fill`, the (3, 3) `kernel` over window (r, c)
        return np.pad(kernel, ((r, 1 - r), (c, 1 - c)), constant_values=fill)
    panels, boxes = four_windows(4, 3, lambda r, c: placed(r, c, "empty", roles((3, 3), "kernel")),
                                 lambda r, c: placed(r, c, "0", names(3, 3, "w")),
                                 lambda n, r, c: f"row {n} of C: output ({r}, {c})")
    fig, ax = draw.new_figure(9.0, 3.25)
    draw.grids(ax, panels, fontsize=8)
    draw.outlines(ax, boxes)
    return finish(fig, "The kernel placed over each window of the 4×4 input, zeros elsewhere; flatten "
                  "each into one row of C", ["kernel", "empty", "highlight"],
                  {"empty": "zero", "highlight": "the window of that output"})

def figure_conv_matrix_classic():
    """C (4 x 16) for a 4x4 input and a 3x3 kernel, the weights written where they sit."""
    i, k, o, T = 4, 3, 2, tap_matrix(4, 3)
    fig, ax = draw.new_figure(10.0, 3.5)
    draw.grids(ax, [Grid(tap_colors(T, k), np.concatenate([[""], names(k, k, "w").ravel()])[T], block=(o, i)),
                    Grid(roles((1, i * i), "input"), names(i, i).reshape(1, -1), (0, -1.3),
                         "columns: the input pixels", block=(1, i)),
                    Grid(roles((o * o, 1), "output"), names(o, o, "y").reshape(-1, 1), (-1.3, 0),
                         "outputs", block=(o, 1))], fontsize=7)
    return finish(fig, "C (4 × 16): one row per output, one column per input pixel; thick lines "
                  "separate the input rows and output rows", ["input", "output", "kernel", "empty"],
                  {"kernel": "weights", "empty": "0"})

def figure_conv_matrix_structure():
    """C at stride 1 (a constant diagonal and a repeated block outlined) and 2, weights numbered."""
    i, k, o, kernel = 5, 3, 3, np.arange(1, 10).reshape(3, 3)
    T1, T2 = tap_matrix(i, k), tap_matrix(i, k, s=2)
    fig, ax = draw.new_figure(11.0, 6.5)
    draw.grids(ax, [Grid(tap_colors(kernel, k), kernel, (0, 3), "kernel: weights 1 to 9"),
                    Grid(tap_colors(T1, k), numbers(T1), (5, 0), "i=5, k=3, s=1: C is 9×25: each "
                         "diagonal holds one weight, and the blocks repeat", block=(o, i)),
                    Grid(tap_colors(T2, k), numbers(T2), (5, 13), "i=5, k=3, s=2: C is 4×25: in a "
                         "block, each row is 2 columns right of the one above; diagonals not constant",
                         block=(2, i))], fontsize=8)
    draw.outlines(ax, [(5 + c, c, 1, 1) for c in range(o)], linewidth=2)
    draw.outlines(ax, [(5, 0, i, o), (5 + i, o, i, o)])
    ax.text(5, o * o + 0.4, "outlined: a constant diagonal (weight 1), and one block (output row 0 × "
            "input row 0) repeated one block down and right", ha="left", va="top", fontsize=9)
    return finish(fig, "C: rows = outputs, columns = input pixels; black lines cut C into blocks "
                  "(one output row × one input row)", ["kernel", "empty", "highlight"],
                  {"kernel": "weights 1 (light) to 9 (dark)", "empty": "0", "highlight": "pattern"})

# --- The explorer: C with one row or one column selected, beside the input and output --------

def selection(i, k, s, p, d, mode, shown):
    """What the explorer numbers and outlines: (values of C, input, output; boxes (x, y, w, h) in
    cells of each; titles). Row mode: row `shown` of C, its window's taps and output. Column mode:
    column `shown` (one input pixel) and the outputs it reaches, numbered with their weights."""
    o, n, T = conv_output_size(i, k, s, p, d), i + 2 * p, tap_matrix(i, k, s, p, d)
    C_text, in_text = np.full(T.shape, "", dtype=object), np.full((n, n), "", dtype=object)
    if mode == "row":
        (r, c), span = divmod(shown, o), d * (k - 1) + 1
        C_text[shown] = numbers(T[shown])
        in_text[r * s:r * s + span:d, c * s:c * s + span:d] = numbers(np.arange(1, k * k + 1)).reshape(k, k)
        return C_text, in_text, np.full((o, o), "", dtype=object), (
            [(0, shown, T.shape[1], 1)], [(c * s, r * s, span, span)], [(c, r, 1, 1)]), (
            f"row {shown} = output ({r}, {c})", f"the window of output ({r}, {c})",
            f"output {o}×{o}: one entry per row of C")
    (r, c), reached = divmod(shown, i), np.flatnonzero(T[:, shown])
    C_text[:, shown] = numbers(T[:, shown])
    reach = (f"the {len(reached)} output{'s' * (len(reached) > 1)} it reaches,\nthrough weights of the "
             "kernel rotated 180°" if len(reached) else "no output reads this pixel\n(the stride skips it)")
    return C_text, in_text, numbers(T[:, shown]).reshape(o, o), (
        [(shown, 0, 1, T.shape[0])], [(p + c, p + r, 1, 1)], [(j % o, j // o, 1, 1) for j in reached]), (
        f"column {shown} = input pixel ({r}, {c})", f"pixel ({r}, {c})", f"output {o}×{o}: {reach}")

@widgets.explains_invalid
def render_conv_matrix(i=5, k=3, s=1, p=1, d=1, mode="row", index=0):
    """C for an i x i input, weights 1 .. k*k, one row or column outlined and numbered (see
    selection); an index past the end is clamped (the title says so). A Figure, its images labelled
    "C", "input" and "output" for tests, or a one-line string for an impossible setting."""
    widgets.check_controls({**RANGES, "mode": ["row", "column"], "index": (0, INDEX_MAX)},
                           i=i, k=k, s=s, p=p, d=d, mode=mode, index=index)
    o, T, n = conv_output_size(i, k, s, p, d), tap_matrix(i, k, s, p, d), i + 2 * p  # ValueError if no fit
    shown = min(index, T.shape[mode == "column"] - 1)
    C_text, in_text, out_text, boxes, titles = selection(i, k, s, p, d, mode, shown)
    # C is scaled by u to fit a box left of the unit-cell input (top) and output (below it)
    top, gap, (rows, cols) = 3.0, 3.5, T.shape
    right, box_h = max(n, o), max(n + gap + o, 9.0)
    u = min(box_h / rows, max(2.0 * (top + box_h) - right - 3.0, 8.0) / cols)
    c_w = max(cols * u, 7.0)
    xr, right = c_w + 3.0, max(right, 0.6 * c_w)
    origins = ((c_w - cols * u) / 2, top), (xr + (right - n) / 2, top), (xr + (right - o) / 2, top + n + gap)
    width, height = xr + right + 1.0, max(top + rows * u, origins[2][1] + o) + 0.5
    points = 72 * min(0.98 * 9.75 / width, 0.82 * 5.25 / height)  # one data unit, in points
    fit = 0.75 if k * k < 10 else 0.55  # one or two digits to a cell
    in_roles = np.pad(roles((i, i), "input"), p, constant_values="padding")
    fig = Figure(figsize=(9.75, 5.25))  # no layout engine: positions are fixed, drawing is fast
    ax = fig.add_axes((0.01, 0.07, 0.98, 0.82))
    draw.grids(ax, [Grid(tap_colors(T, k), C_text, origins[0], cell=u, block=(o, i))],
               fontsize=min(8, fit * u * points))
    draw.grids(ax, [Grid(in_roles, in_text, origins[1]), Grid(roles((o, o), "output"), out_text, origins[2])],
               fontsize=min(8, fit * points))
    for image, label in zip(ax.get_images(), ("C", "input", "output")):
        image.set_label(label)
    note = f" (index {index} clamped to {shown})" if shown != index else ""
    texts = f"C ({rows} × {cols})\n{titles[0]}{note}", f"input {i}×{i}, padding {p}:\n{titles[1]}", titles[2]
    for (x0, y0), w, text in zip(origins, (cols * u, n, o), texts):
        ax.text(x0 + w / 2, y0 - 0.3, text, ha="center", va="bottom", fontsize=9)
    scales = [(u, origins[0]), (1, origins[1]), (1, origins[2])]
    draw.outlines(ax, [(x0 + x * f, y0 + y * f, w * f, h * f)
                       for group, (f, (x0, y0)) in zip(boxes, scales) for x, y, w, h in group], linewidth=2)
    ax.set_xlim(-0.5, width - 0.5)
    ax.set_ylim(height, 0)
    fig.suptitle(f"The convolution matrix C: i={i}, k={k}, s={s}, p={p}, d={d} → o={o}", fontsize=10)
    draw.legend(fig, ["input"] + ["padding"] * (p > 0) + ["kernel", "output", "highlight"], labels={
        "kernel": f"C's entries: weights 1 … {k * k}", "highlight": f"the selected {mode}"})
    return fig

def conv_matrix_explorer(i=5, k=3, s=1, p=1, d=1, mode="row", index=7):
    """Sliders for i, k, s, p, d, a row/column toggle and an index that follows C's size."""
    import ipywidgets
    controls = {name: widgets.slider(f"{label} {name}", value, *RANGES[name]) for name, label, value in (
        ("i", "input size", i), ("k", "kernel size", k), ("s", "stride", s), ("p", "padding", p),
        ("d", "dilation", d))}
    controls["mode"] = ipywidgets.ToggleButtons(options=[("row (one output)", "row"), (
        "column (one input pixel)", "column")], value=mode, description="select")
    controls["index"] = widgets.slider("row", index, 0, INDEX_MAX)

    def adjust(controls):  # keep the index slider within C's rows (row mode) or columns
        v = {name: c.value for name, c in controls.items()}
        try:
            o = conv_output_size(v["i"], v["k"], v["s"], v["p"], v["d"])
        except ValueError:
            return  # render explains why; keep the slider as it is
        controls["index"].description = v["mode"]
        controls["index"].max = (o * o if v["mode"] == "row" else v["i"] * v["i"]) - 1

    return widgets.explorer(render_conv_matrix, controls, adjust=adjust)

def figure_explorer_row():  # the explorer's default state: row 7 of C for i=5, k=3, s=1, p=1
    return render_conv_matrix(i=5, k=3, s=1, p=1, d=1, mode="row", index=7)

def figure_explorer_column():  # column mode: the centre pixel of a 5x5 input, the 9 outputs it reaches
    return render_conv_matrix(i=5, k=3, s=1, p=1, d=1, mode="column", index=12)

# --- Exercise checkers: each computes its expected answer itself and never prints it ----------

def flat(answer, sort=False):
    """The answer as a flat float array ((20,), (1, 20), (4, 5) alike); None stays None, junk is [nan]."""
    try:
        values = None if answer is None else np.ravel(np.asarray(answer, dtype=float))
    except (TypeError, ValueError):
        return np.array([np.nan])
    return np.sort(values) if sort and values is not None else values

def check_shape_of_c(answer):
    """Exercise 1: the shape of C for i=6, k=3, s=2, p=1 (a (rows, columns) tuple)."""
    return check_value(answer, (conv_output_size(6, 3, 2, 1) ** 2, 36), "C has one row per output pixel and "
                       "one column per input pixel. Compute o = floor((i + 2p - d(k-1) - 1)/s) + 1 first "
                       "(here d = 1); the output has o·o pixels, the input i·i.")

def check_nonzero_columns(answer):
    """Exercise 2: the non-zero columns of C's row for output (0, 0), i=5, k=3, s=1, p=1."""
    expected = np.flatnonzero(conv_matrix(np.ones((3, 3)), (5, 5), padding=1)[0])
    return check_value(flat(answer, sort=True), expected, "With p = 1 the window of output (0, 0) "
                       "starts one pixel above and to the left of the input; only taps that land on the "
                       "5×5 input give non-zero columns, and input pixel (r, c) is column r·5 + c.")

def check_row_of_c(answer):
    """Exercise 3: row 4 of C, 4×5 input, w = 1..9, s=1, p=0 (02 prints rows for 4×4 and 5×5 only)."""
    return check_value(flat(answer), conv_matrix(np.arange(1, 10.0).reshape(3, 3), (4, 5))[4], "The output "
                       "is 2×3, so row 4 is output (1, 1); find the input rows and columns its window reads, "
                       "put w there in a 4×5 array of zeros, then flatten it (20 numbers, row by row).")

def check_sparsity(answer):
    """Exercise 4: the fraction of zero entries of C for i=8, k=3, s=1, p=0 (within 0.01)."""
    return check_value(answer, float(np.mean(conv_matrix(np.ones((3, 3)), (8, 8)) == 0)), "Count C's entries "
                       "(rows × columns) and its non-zeros: every row holds one copy of the k·k weights "
                       "when no tap lands in padding. Sparsity = 1 - non-zeros / entries.", atol=0.01)

def check_dense_c_gigabytes(answer):
    """Exercise 5: GB (1e9 bytes) of a dense float32 C for i=128, k=5, s=1, p=2 (within 2%)."""
    expected = conv_output_size(128, 5, 1, 2) ** 2 * 128 ** 2 * 4 / 1e9
    return check_value(answer, expected, "C has (o·o) × (i·i) entries; work out o first (this padding "
                       "keeps the size), then multiply by 4 bytes per float32 entry and divide by 1e9.",
                       atol=0.02 * expected)

# Exercise 6's cases, none in 02: non-square; a stride not dividing i - k; taps in the padding dropped;
# dilation; stride and padding; rows of zeros; everything at once. (kernel, input shape, s, p, d)
BUILD_C_CASES = [((2, 3), (5, 7), 1, 0, 1), ((3, 3), (6, 6), 2, 0, 1), ((3, 3), (4, 6), 1, 1, 1),
                 ((3, 3), (7, 7), 1, 0, 2), ((3, 2), (6, 5), 3, 2, 1), ((1, 1), (3, 4), 2, 1, 1),
                 ((2, 2), (6, 6), 2, 1, 2)]

def conv_matrix_by_columns(w, input_shape, stride, padding, dilation):
    """C column by column: column j is the convolution of an image that is 1 at pixel j."""
    return np.stack([conv2d_loops(pixel.reshape(input_shape), w, stride=stride, padding=padding,
                                  dilation=dilation).ravel() for pixel in np.eye(np.prod(input_shape))], 1)

def check_build_c(function):
    """Exercise 6: the learner's build_C(w, input_shape, stride, padding, dilation)."""
    rng = np.random.default_rng(6)
    cases = [dict(w=rng.integers(1, 10, size=kernel).astype(float), input_shape=shape, stride=s,
                  padding=p, dilation=d) for kernel, shape, s, p, d in BUILD_C_CASES]
    return check_function(function, conv_matrix_by_columns, cases, "row r·Wo + c is the kernel laid over "
                          "the window of output (r, c) on a zero canvas the size of the PADDED input (window "
                          "start r·s, c·s; taps d apart); cut the padding off the canvas, then flatten it.")

INVERSE_QUESTION = dict(  # exercise 7 (misconception): can the output of a convolution be undone?
    question="Step 3's C is 4 × 16: it maps a 4×4 input to a 2×2 output. Which statement is true?",
    options={
        "C is a matrix, so C⁻¹·vec(O) gives the input back.": "Only a square matrix of full rank has an "
            "inverse. C turns 16 numbers into 4, so different inputs must share an output, and no matrix "
            "can tell them apart again.",
        "Cᵀ·vec(O) gives the input back: it has 16 numbers, one per input pixel.": "Cᵀ gives back the "
            "shape (16 numbers, a 4×4 map), not the values: the cell below shows it. Notebook 03 starts "
            "from exactly this.",
        "Many different inputs give exactly the same output, so the input cannot be recovered.": "C has "
            "16 columns but rank at most 4, so at least 12 independent directions of the input change "
            "nothing in the output: add any of them to an input and the output stays the same. The cell "
            "below checks it."},
    correct="Many different inputs give exactly the same output, so the input cannot be recovered.",
)

def ask_inverse():  # exercise 7 as buttons: pick an option to see why it is right or wrong
    return choice(**INVERSE_QUESTION)

FIGURES = {"02_loop_visits.png": figure_loop_visits, "02_im2col_columns.png": figure_im2col_columns,
           "02_gemm_shapes.png": figure_gemm_shapes, "02_placed_kernels.png": figure_placed_kernels,
           "02_conv_matrix_classic.png": figure_conv_matrix_classic,
           "02_conv_matrix_structure.png": figure_conv_matrix_structure,
           "02_explorer_row.png": figure_explorer_row, "02_explorer_column.png": figure_explorer_column}
