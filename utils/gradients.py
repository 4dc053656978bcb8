"""Notebook 06, the gradient of a convolution: its figures, the read-rows explorer, its checkers."""

import numpy as np

from . import conv2d, conv2d_backward, conv_output_size, conv_transpose2d, draw, exercises
from .example import example_input, example_kernel
from .widgets import check_controls, explains_invalid, explorer, slider


def figure_gradient():
    """Forward: conv2d of x with w. Backward: conv_transpose2d of dL/do with the same w."""
    x, w, g = example_input(4), example_kernel(3), np.array([[1.0, 0.0], [0.0, -1.0]])
    o, grad_x = conv2d(x[None, None], w[None, None]), conv_transpose2d(g[None, None], w[None, None])
    fig, ax = draw.new_figure(8.5, 6)
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
    return fig


CONTROLS = {"i": (1, 12), "k": (1, 5), "s": (1, 4), "p": (0, 3), "d": (1, 3)}


@explains_invalid
def render_read_rows(i=6, k=3, s=2, p=1, d=1):
    """The padded rows each window reads, and the rows the transposed convolution gives back."""
    check_controls(CONTROLS, i=i, k=k, s=s, p=p, d=d)
    o = conv_output_size(i, k, stride=s, padding=p, dilation=d)  # raises if the kernel does not fit
    n, op = i + 2 * p, (i + 2 * p - d * (k - 1) - 1) % s  # op: padded rows past the last window
    if op >= i:
        raise ValueError(f"the stamps cover {n - op} rows, cropping p = {p} twice leaves none")
    taps = np.full((o, n), "empty", dtype=object)
    for r in range(o):  # window r reads rows r*s, r*s + d, ..., r*s + d(k-1)
        taps[r, r * s: r * s + d * (k - 1) + 1: d] = "kernel"
    roles = np.array(["padding"] * p + ["input"] * i + ["padding"] * p)[None]
    fig, ax = draw.new_figure(*map(draw.quarter_inches, (max(5.5, 0.42 * n + 1), 0.42 * o + 4.1)))
    draw.grids(ax, [draw.Grid(roles, np.arange(n)[None], (0, 0), f"padded input: i = {i}, p = {p}"),
                    draw.Grid(taps, None, (0, 2.4), f"the windows of the o = {o} outputs, one per row"),
                    draw.Grid(np.full((1, i - op), "output"), None, (p, o + 4.4),
                              f"∂L/∂x with output_padding = 0: {i - op} rows"),
                    draw.Grid(np.full((1, i), "output"), None, (p, o + 6.3),
                              f"output_padding = {op}: {i} rows, x's shape")], fontsize=8)
    ax.set_title(f"k = {k}, s = {s}, d = {d}: the stamps of ∂L/∂o cover rows 0 to {n - 1 - op};\n"
                 f"cropping p from both ends leaves {i - op}", fontsize=9)
    draw.legend(fig, ["input", "padding", "kernel", "output"], {"kernel": "read", "output": "∂L/∂x"})
    return fig


def read_rows_explorer():  # sliders for i, k, s, p, d
    return explorer(render_read_rows, {n: slider(n, v, *CONTROLS[n]) for n, v in
                                       dict(i=6, k=3, s=2, p=1, d=1).items()})


FIGURES = {"06_gradient.png": figure_gradient, "06_read_rows.png": lambda: render_read_rows()}

# --- exercises (each checker computes its own answer and never prints it) -----------------------

TINY_W, TINY_GRAD_OUTPUT = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[1.0, 0.0], [0.0, 2.0]])


def check_tiny_gradient(answer):  # Exercise 1: dL/dx of o = conv2d(x, TINY_W), dL/do = TINY_GRAD_OUTPUT
    expected = conv_transpose2d(TINY_GRAD_OUTPUT[None, None], TINY_W[None, None])[0, 0]
    return exercises.check_value(answer, expected, "each entry of dL/do sends itself times w (not "
                                 "rotated) back onto its window of x; where windows overlap, add.")


def check_gradient_output_padding(answer):  # Exercise 2: output_padding of dL/dx, k=4, s=3, p=1, x 7x7
    return exercises.check_value(answer, (7 + 2 * 1 - (4 - 1) - 1) % 3, "count the padded rows, find "
                                 "where the last window ends, and how many rows lie past it.")


def _input_gradient(grad_o, w, i, stride, padding):  # 1-D: utils.conv2d_backward on 1 x i images
    return conv2d_backward(np.zeros((1, 1, 1, i)), np.reshape(w, (1, 1, 1, -1)), np.reshape(
        grad_o, (1, 1, 1, -1)), stride=(1, stride), padding=(0, padding))[0].ravel()


def check_input_gradient(function):
    """Exercise 3: the learner's input_gradient(grad_o, w, i, stride, padding), 1-D."""
    rng = np.random.default_rng(31)
    cases = [dict(grad_o=rng.integers(-3, 4, conv_output_size(i, k, stride=s, padding=p)) * 1.0,
                  w=rng.integers(-3, 4, k) * 1.0, i=i, stride=s, padding=p)
             for i, k, s, p in [(7, 3, 2, 0), (6, 3, 2, 1), (9, 4, 3, 2), (5, 1, 2, 0), (10, 5, 4, 2)]]
    return exercises.check_function(function, _input_gradient, cases, "stamp grad_o[r] * w on "
                                    "a zero array of length i + 2*padding, then crop the padding.")


GRADIENT_OPTIONS = {
    "The input's last row is never read, so output_padding adds its gradient as a row of zeros.":
        "The row no window reads is padded row 11, padding; the input's last row (10) is read.",
    "Cropping p = 1 at the bottom would drop the input's last row; output_padding crops one less.":
        "The stamps cover padded rows 0 to 10; cropping one at each end keeps 1 to 9, not 10.",
    "The kernel must be rotated by 180°, which shifts the stamps by one row.":
        "You pass the same w: the rotation is part of what conv_transpose2d computes, and moves no row.",
    "It is not needed: without it the result is already 10×10.":
        "(5 − 1)·2 − 2·1 + (3 − 1) + 1 = 9: without output_padding ∂L/∂x would be 9×9.",
}


def gradient_question():  # Exercise 4: why the input gradient needs output_padding
    return exercises.choice(
        "Conv2d(kernel_size=3, stride=2, padding=1) turns a 10×10 x into a 5×5 o. Why does ∂L/∂x = "
        "conv_transpose2d(∂L/∂o, w, stride=2, padding=1, output_padding=1) need output_padding=1?",
        GRADIENT_OPTIONS, correct=list(GRADIENT_OPTIONS)[1])
