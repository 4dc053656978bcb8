"""Notebook 02 (im2col and the convolution matrix C): its figures (FIGURES), the explorer
(`render_conv_matrix`, wired to sliders by `conv_matrix_explorer`) and the exercise checkers."""

import numpy as np
from matplotlib.figure import Figure

from . import conv_matrix, conv_output_size, draw, widgets
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
    return conv_matrix(np.arange(1.0, k * k + 1).reshape(k, k), (i, i), stride=s, padding=p, dilation=d).astype(int)

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
    """Notebook 01's four loops on the running example: each output in turn, and in it each tap."""
    i, k, o, (r, c), (a, b), x_out = 4, 3, 2, (0, 1), (1, 2), 9.5
    fig, ax = draw.new_figure(8.0, 3.5)
    draw.grids(ax, [Grid(roles((i, i), "input"), example_input(i), (0, 0), "input x 4×4"),
                    Grid(roles((k, k), "kernel"), example_kernel(k), (i + 1.5, 0.5), "kernel w 3×3"),
                    Grid(roles((o, o), "output"), [[1, 2], [3, 4]], (x_out, 1), "output y 2×2: visit order")])
    draw.outlines(ax, [(c, r, k, k), (x_out + c, 1 + r, 1, 1)])
    draw.outlines(ax, [(c + b, r + a, 1, 1), (i + 1.5 + b, 0.5 + a, 1, 1)], linewidth=1.5, inset=0.15)
    return finish(fig, "Notebook 01's four loops: outputs one by one (outer loops), taps one by one (inner loops)\n"
                  f"small outlines: one trip through the innermost line, y[{r}, {c}] += w[{a}, {b}] · x[{r + a}, "
                  f"{c + b}]; 4 outputs × 9 taps = 36 trips", ["input", "kernel", "output", "highlight"],
                  {"highlight": f"output ({r}, {c}), its window"})

def four_windows(i, k, colors, values, title):
    """Grids and outline boxes of one panel per window (r, c): colors(r, c), values(r, c), title(n, r, c)."""
    windows = list(np.ndindex(i - k + 1, i - k + 1))
    x = [n * (i + 1.2) for n in range(len(windows))]
    return ([Grid(colors(r, c), values(r, c), (x[n], 0), title(n, r, c)) for n, (r, c) in enumerate(windows)],
            [(x[n] + c, r, k, k) for n, (r, c) in enumerate(windows)])

def figure_im2col_columns():
    """Each 3x3 window of a 4x4 input becomes one column of the 9x4 matrix cols."""
    i, k, o, top, pixels = 4, 3, 2, 6.2, names(4, 4)
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
    """Two channels, two kernels: one product (C_out, C_in*k*k) @ (C_in*k*k, L), reshaped to maps."""
    C_in, C_out, k, o = 2, 2, 3, 4
    K, L, x_c, x_o = C_in * k * k, o * o, C_in * k * k + 3, C_in * k * k + o * o + 6  # K rows, L windows
    fig, ax = draw.new_figure(10.0, 4.5)
    draw.grids(ax, [Grid(roles((C_out, K), "kernel"), None, (0, 1), "kernels as rows (2 × 18)", block=(1, k * k)),
                    Grid(roles((K, L), "input"), None, (x_c, 1), "im2col(x) (18 × 16): one column\n"
                         "per window, 9 rows per channel", block=(k * k, L)),
                    Grid(roles((C_out, L), "output"), None, (x_o, 1), "output (2 × 16)", block=(1, o))]
               + [Grid(roles((o, o), "output"), None, (x_o + m * (o + 5), 7), f"row {m} → map {m}") for m in (0, 1)])
    for x, text in ((K + 1.5, "@"), (x_o - 1.5, "=")):
        ax.text(x, 2, text, ha="center", va="center", fontsize=16)
    draw.outlines(ax, [(0, 1, K, 1), (x_o, 1, L, 1), (x_o, 7, o, o)], linewidth=2)
    return finish(fig, f"One matrix product for a layer: C_in={C_in} input channels, C_out={C_out} kernels of "
                  f"{k}×{k}, {L} windows", ["kernel", "input", "output", "highlight"],
                  {"highlight": "kernel 0 → output map 0"})

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
    """C for i=5, k=3, p=1 at stride 1 (one constant diagonal and one repeated block outlined) and 2."""
    i, k, o, kernel, x1, x2 = 5, 3, 5, np.arange(1, 10).reshape(3, 3), 5, 33
    T1, T2 = tap_matrix(i, k, p=1), tap_matrix(i, k, s=2, p=1)
    fig, ax = draw.new_figure(11.0, 6.5)
    draw.grids(ax, [Grid(tap_colors(kernel, k), kernel, (0, 0), "kernel w", cell=1.3),
                    Grid(tap_colors(T1, k), numbers(T1), (x1, 0), "s=1: C is 25×25", block=(o, i)),
                    Grid(tap_colors(T2, k), numbers(T2), (x2, 0), "s=2: C is 9×25", block=(3, i))], fontsize=7)
    draw.outlines(ax, [(x1 + j, j, 1, 1) for j in range(o)], linewidth=1.5, inset=0.12)
    draw.outlines(ax, [(x1, 0, i, o), (x1 + i, o, i, o)], role="black", linewidth=2.5)
    ax.text(x2, 10, "s=2: each row of a block is 2 columns right\nof the one above: diagonals not constant.\n\n"
            "s=1, black frames: the block (output row 0 ×\ninput row 0) and its repeat one block\ndown and "
            "right; vermillion: one diagonal\nof that block, every entry 5", va="top", fontsize=9)
    return finish(fig, "C for i=5, k=3, p=1: rows = outputs, columns = input pixels; thick lines cut C "
                  "into blocks (one output row × one input row)", ["kernel", "empty", "highlight"],
                  {"kernel": "weights 1 (light) to 9 (dark)", "empty": "0", "highlight": "a constant diagonal"})

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
    o = conv_output_size(6, 3, 2, 1)
    return check_value(answer, (o * o, 36), hint_for(answer, {o: "C has a row per output *pixel* (o·o of them), "
                       "not per output row."}, "C has one row per output pixel and one column per input pixel; "
                       "compute o with the output-size formula first."))

def check_nonzero_columns(answer):
    """Exercise 2: the non-zero columns of C's row 3 (output (1, 0)), i=6, k=3, s=2, p=1."""
    row_3 = conv_matrix(np.ones((3, 3)), (6, 6), stride=2, padding=1)[3]
    return check_value(flat(answer, sort=True), np.flatnonzero(row_3), "The window of output (r, c) starts "
                       "at row r·s − p, column c·s − p of the input; keep only the taps that land on the 6×6 "
                       "input (p = 1 here); pixel (r, c) is column r·6 + c.")

def check_row_of_c(answer):
    """Exercise 3: row 4 of C, 4×5 input, w = 1..9, s=1, p=0 (02 prints rows for 4×4 and 5×5 only)."""
    return check_value(flat(answer), conv_matrix(np.arange(1, 10.0).reshape(3, 3), (4, 5))[4], "Which output "
                       "is row 4, and which input rows and columns does its window read? Put w there in a 4×5 "
                       "array of zeros, then flatten it (20 numbers, row by row).")

def hint_for(answer, slips, hint):
    """The hint for a known slip (the nearest of slips' keys within 1% of the number), else `hint`."""
    first = np.nan if answer is None else flat(answer)[0]
    return min([(abs(first - v), why) for v, why in slips.items() if np.isclose(first, v, rtol=.01)] or [(0, hint)])[1]

def check_sparsity(answer):
    """Exercise 4: the fraction of zero entries of C for i=8, k=3, s=1, p=0 (within 0.01)."""
    zeros = [float(np.mean(conv_matrix(np.ones((3, 3)), (8, 8), padding=p) == 0)) for p in (0, 1)]
    return check_value(answer, zeros[0], hint_for(answer, {zeros[1]: "that is step 4's C with p = 1; here "
                       "p = 0, so o is smaller."}, "Count C's entries (rows × columns) and its non-zeros: with "
                       "p = 0 every row holds all k·k weights. Sparsity = 1 − non-zeros / entries."), atol=0.01)

def check_dense_c_gigabytes(answer):
    """Exercise 5: GB (1e9 bytes) of a dense float32 C for i=128, k=5, s=1, p=2 (within 2%)."""
    expected, no_padding = (conv_output_size(128, 5, 1, p) ** 2 * 128 ** 2 * 4 / 1e9 for p in (2, 0))
    return check_value(answer, expected, hint_for(answer, {2 * expected: "that is 8 bytes per entry (float64); "
                       "float32 takes 4.", no_padding: "that C leaves out the padding: with p = 2, work o out again.",
                       expected * 1e9 / 2 ** 30: "that is in GiB (2³⁰ bytes); a GB here is 10⁹ bytes."}, "Count C's "
                       "entries (rows × columns), o by the formula; bytes = entries × 4."), atol=0.02 * expected)

# Exercise 6's (kernel, input shape, s, p, d), none in 02: non-square, odd strides, padding, dilation
BUILD_C_CASES = [((2, 3), (5, 7), 1, 0, 1), ((3, 3), (6, 6), 2, 0, 1), ((3, 3), (4, 6), 1, 1, 1),
                 ((3, 3), (7, 7), 1, 0, 2), ((3, 2), (6, 5), 3, 2, 1), ((1, 1), (3, 4), 2, 1, 1),
                 ((2, 2), (6, 6), 2, 1, 2)]

Report = type("Report", (str,), {"__repr__": str.__str__})  # a learner's C in words, printed without quotes

def compare_c(got, expected, w, case):
    """0.0 if got equals C, else a Report: its shape against C's, or its first wrong entry."""
    if (got := np.asarray(got, dtype=float)).shape != expected.shape:
        return Report(f"an array of shape {got.shape}, while C has shape {expected.shape}")
    wrong, flipped = np.argwhere(~np.isclose(got, expected)), conv_matrix(w[::-1, ::-1], **case)
    return 0.0 if not len(wrong) else Report(f"a C whose first wrong entry is {[int(j) for j in wrong[0]]} (you have "
                                             f"{got[tuple(wrong[0])]:g})" + ": C for the kernel rotated 180°; "
                                             "a row holds w as it is" * np.allclose(got, flipped))

def check_build_c(function):
    """Exercise 6: the learner's build_C(w, input_shape, stride, padding, dilation)."""
    rng = np.random.default_rng(6)
    cases = [dict(w=rng.integers(1, 10, size=kernel).astype(float), input_shape=shape, stride=s,
                  padding=p, dilation=d) for kernel, shape, s, p, d in BUILD_C_CASES]
    def summarised(w, **case):  # the learner's C compared here, so a failure prints one line, not C
        got = function(w, **case)
        return None if got is None else compare_c(got, conv_matrix(w, **case), w, case)
    return check_function(function and summarised, lambda **case: 0.0, cases, "row r·Wo + c of C holds "
                          "w[a, b] in the column of input pixel (r·s + a·d − p, c·s + b·d − p), for the taps "
                          "that land on the input; the other entries are 0.")

RIGHT = "Many different inputs give exactly the same output, so the input cannot be recovered."
INVERSE_QUESTION = dict(  # exercise 7 (misconception): can the output of a convolution be undone?
    question="Step 3's C is 4 × 16: it maps a 4×4 input x to a 2×2 output y. Which statement is true?",
    options={"C is a matrix, so C⁻¹·vec(y) gives the input back.": "Only a square matrix of full rank has an "
             "inverse. C turns 16 numbers into 4, so different inputs must share an output.",
             "Cᵀ·vec(y) gives the input back: it has 16 numbers, one per input pixel.": "Cᵀ gives back the "
             "shape (16 numbers, a 4×4 map), not the values: the cell below shows it.", RIGHT: "C has rank at "
             "most 4, so 12 independent directions of the input change nothing in the output (cell below)."},
    correct=RIGHT)

def ask_inverse():  # exercise 7 as buttons: pick an option to see why it is right or wrong
    return choice(**INVERSE_QUESTION)

FIGURES = {f"02_{f.__name__[len('figure_'):]}.png": f for f in (
    figure_loop_visits, figure_im2col_columns, figure_gemm_shapes, figure_placed_kernels, figure_conv_matrix_classic,
    figure_conv_matrix_structure, figure_explorer_row, figure_explorer_column)}
