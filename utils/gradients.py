"""Notebook 06, the gradient of a convolution: figures, read-rows explorer, checkers (never giving answers)."""

import numpy as np

from . import conv2d, conv_output_size, conv_transpose2d, draw, exercises
from .example import example_input, example_kernel
from .widgets import check_controls, explains_invalid, explorer, slider


def figure_gradient():
    """Forward: conv2d of x with w. Backward: conv_transpose2d of dL/do with the same w."""
    x, w, g = example_input(4), example_kernel(3), np.array([[1.0, 0.0], [0.0, -1.0]])
    o, grad_x = conv2d(x[None, None], w[None, None]), conv_transpose2d(g[None, None], w[None, None])
    fig, ax = draw.new_figure(8.5, 6.25)
    draw.grids(ax, [draw.Grid(np.full((4, 4), "input"), x, (0, 0), "input x"),
                    draw.Grid(np.full((3, 3), "kernel"), w, (6, 0.5), "kernel w"),
                    draw.Grid(np.full((2, 2), "output"), o[0, 0], (12, 1), "o = conv2d(x, w) = C x"),
                    draw.Grid(draw.fill((4, 4), "input", 0.2), grad_x[0, 0], (0, 7),
                              "∂L/∂x = conv_transpose2d(∂L/∂o, w) = Cᵀ ∂L/∂o"),
                    draw.Grid(np.full((3, 3), "kernel"), w, (6, 7.5), "the same w"),
                    draw.Grid(draw.fill((2, 2), "output", 0.2), g, (12, 8), "∂L/∂o (given)")])
    for start, end, y, text in (((9.3, 2), (11.7, 2), 1.7, "forward"), ((11.7, 9), (9.3, 9), 8.7, "backward")):
        ax.annotate("", end, start, arrowprops=dict(arrowstyle="-|>", color="0.2", linewidth=1.4))
        ax.text(10.5, y, text, ha="center")
    draw.legend(fig, ["input", "kernel", "output"], {"input": "x; paler: ∂L/∂x", "output": "o; paler: ∂L/∂o"})
    return fig


CONTROLS = {"i": (1, 12), "k": (1, 5), "s": (1, 4), "p": (0, 3), "d": (1, 3)}


@explains_invalid
def render_read_rows(i=6, k=3, s=2, p=1, d=1):
    """Padded rows top to bottom, the rows each window reads, and dL/dx without and with output_padding."""
    check_controls(CONTROLS, i=i, k=k, s=s, p=p, d=d)
    o = conv_output_size(i, k, stride=s, padding=p, dilation=d)  # raises if the kernel does not fit
    n, op = i + 2 * p, (i + 2 * p - d * (k - 1) - 1) % s  # op: padded rows past the last window
    if op >= i:
        raise ValueError(f"the stamps cover {n - op} rows, cropping p = {p} twice leaves none")
    taps = np.full((n, o), "empty", dtype=object)
    for r in range(o):  # window r (column r) reads rows r*s, r*s + d, ..., r*s + d(k-1)
        taps[r * s: r * s + d * (k - 1) + 1: d, r] = "kernel"
    reads = (taps == "kernel").sum(axis=1)[p: p + i, None]  # dL/dx for dL/do = 1, w = 1: (i, 1)
    roles = np.array(["padding"] * p + ["input"] * i + ["padding"] * p)[:, None]
    fig, ax = draw.new_figure(*map(draw.quarter_inches, (0.45 * o + 4.75, 0.45 * n + 3)))
    draw.grids(ax, [draw.Grid(roles, np.arange(n)[:, None], (0, 0), "padded\nrows"),
                    draw.Grid(taps, None, (2.5, 0), f"the o = {o} window{'s' * (o > 1)},\none per column"),
                    draw.Grid(draw.fill((i - op, 1), "input", 0.2), reads[:i - op], (o + 4.5, p),
                              f"∂L/∂x with\noutput_padding\n= 0: {i - op} rows"),
                    draw.Grid(draw.fill((i, 1), "input", 0.2), reads, (o + 7.5, p),
                              f"∂L/∂x with\noutput_padding\n= {op}: {i} rows")], fontsize=11)
    ax.set_title(f"k = {k}, s = {s}, p = {p}, d = {d}: stamps cover rows 0 to {n - 1 - op}\n"
                 "∂L/∂x drawn for ∂L/∂o = 1, w = 1:\nthe number of taps that read each row\n", fontsize=11)
    draw.legend(fig, ["padding", "input", "kernel"], {"input": "x (paler: ∂L/∂x)", "kernel": "read"}, fontsize=10)
    return fig


def read_rows_explorer():  # sliders for i, k, s, p, d
    return explorer(render_read_rows, {n: slider(n, v, *CONTROLS[n]) for n, v in
                                       dict(i=6, k=3, s=2, p=1, d=1).items()})


FIGURES = {"06_gradient.png": figure_gradient, "06_read_rows.png": lambda: render_read_rows()}

TINY_W, TINY_GRAD_OUTPUT = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[1.0, 0.0], [0.0, 2.0]])


def check_tiny_gradient(answer):  # Exercise 1: dL/dx of o = conv2d(x, TINY_W), dL/do = TINY_GRAD_OUTPUT
    expected = conv_transpose2d(TINY_GRAD_OUTPUT[None, None], TINY_W[None, None])[0, 0]
    return exercises.check_value(answer, expected, "each entry of dL/do sends itself times w (not "
                                 "rotated) back onto its window of x; where windows overlap, add.")


def check_unread_pixels(answer):  # Exercise 2: pixels of a 9x9 x that no window of k=2, s=4, p=1 reads
    reads = np.outer(*[_input_gradient(np.ones(3), np.ones(2), 9, 4, 1)] * 2)  # taps reading each pixel
    return exercises.check_value(answer, int(np.sum(reads == 0)), "list the padded rows the windows "
                                 "read along one axis; which pixels does that leave unread in 2-D?")


def _input_gradient(grad_o, w, i, stride, padding):  # 1-D dL/dx (length i), a transposed convolution
    return conv_transpose2d(grad_o[None, None, None], w[None, None, None], stride=(1, stride), padding=(
        0, padding), output_padding=(0, (i + 2 * padding - len(w)) % stride))[0].ravel()


def check_input_gradient(function):  # Exercise 3: the learner's 1-D input_gradient(grad_o, w, i, stride, padding)
    rng = np.random.default_rng(31)
    cases = [dict(grad_o=rng.integers(-3, 4, conv_output_size(i, k, stride=s, padding=p)) * 1.0,
                  w=rng.integers(-3, 4, k) * 1.0, i=i, stride=s, padding=p)
             for i, k, s, p in [(7, 3, 2, 0), (6, 3, 2, 1), (9, 4, 3, 2), (5, 1, 2, 0), (10, 5, 4, 2)]]
    return exercises.check_function(function, _input_gradient, cases, "o[r] used padded x[r·stride + j] "
                                    "with weight w[j]: what does the chain rule send back, and where?")


GRADIENT_OPTIONS = {
    "output_padding=2 adds the rows no window reads, so every other row of ∂L/∂x can be nonzero.":
        "The windows read rows 0–1 and 3–4: row 2, between them, is never read either (k < s).",
    "Rows 2, 5 and 6 get zero gradient; output_padding=2 appends rows 5 and 6 to give x's 7 rows.":
        "The stamps cover rows 0 to 4 with a gap at row 2; output_padding only sets the shape.",
    "output_padding=2 fills rows 5 and 6 from ∂L/∂o, so their gradient can be nonzero.":
        "A stamp covers only its own window, and the last window ends at row 4: no stamp reaches 5 or 6.",
    "It is not needed: with padding=0 nothing is cropped, so the result already has 7 rows.":
        "(2 − 1)·3 + 2 = 5: without output_padding the stamps give only rows 0 to 4.",
}


def gradient_question():  # Exercise 4: what output_padding does, and which rows get no gradient
    return exercises.choice(
        "Conv2d(kernel_size=2, stride=3) turns a 7-row x into a 2-row o, and ∂L/∂x = conv_transpose2d("
        "∂L/∂o, w, stride=3, output_padding=2). Which statement is true?",
        GRADIENT_OPTIONS, correct=list(GRADIENT_OPTIONS)[1])
