"""Notebook 04: choose the output size, with output_padding and a layer-shape solver.

output_padding_for (what ConvTranspose2d.forward(x, output_size=...) picks), solve_conv_transpose
(every layer in given ranges that maps one size to another), its explorer, the figures (FIGURES,
figures/04_*.png) and the exercise checkers of notebooks/04_output_size_and_output_padding.ipynb."""

import math
import numbers
from collections import namedtuple

import numpy as np

from . import conv_transpose2d_as_conv, draw, exercises, widgets
from .example import example_input
from .transposed import KERNEL, frame_view3, shown, view3


def output_padding_for(target, i, k, stride=1, padding=0, dilation=1):
    """The output_padding that PyTorch's ConvTranspose2d.forward(x, output_size=target) uses: the
    output is (i-1)s - 2p + d(k-1) + 1 + output_padding, output_padding in 0 .. s-1 (PyTorch's rule
    for output_size, whatever d). Ints or (h, w) pairs; a ValueError says which sizes are reachable."""
    args = dict(target=target, i=i, k=k, stride=stride, padding=padding, dilation=dilation)
    pairs = {name: tuple(v) if isinstance(v, (tuple, list)) else (v, v) for name, v in args.items()}
    for name, v in pairs.items():
        if len(v) != 2 or not all(isinstance(e, numbers.Integral) and not isinstance(e, bool)
                                  and e >= (name != "padding") for e in v):
            raise ValueError(f"{name} must be an int or an (h, w) pair of ints, >= 1 (padding >= 0), got {v!r}")
    found = []
    for target, i, k, s, p, d in zip(*pairs.values()):
        smallest = (i - 1) * s - 2 * p + d * (k - 1) + 1  # output_padding = 0
        if not smallest <= target < smallest + s:
            raise ValueError(f"output size {target} is unreachable: with i={i}, k={k}, s={s}, p={p}, d={d} "
                             f"the output is (i-1)s - 2p + d(k-1) + 1 + output_padding = {smallest} + "
                             f"output_padding (0 to s-1={s - 1}), so only {smallest} to {smallest + s - 1}")
        found.append(target - smallest)
    return tuple(found) if any(isinstance(v, (tuple, list)) for v in args.values()) else found[0]


class Layer(namedtuple("Layer", "kernel_size stride padding output_padding dilation")):
    """A ConvTranspose2d's shape arguments; the Conv2d with the same ones undoes it in shape."""

    @property
    def checkerboard_free(self):  # every cell off the border gets as many stamps: s divides k, gcd(d, s) = 1
        return self.kernel_size % self.stride == 0 and math.gcd(self.dilation, self.stride) == 1

    def conv_transpose2d(self, c_in="C_in", c_out="C_out"):
        k, s, p, op, d = self
        return (f"nn.ConvTranspose2d({c_in}, {c_out}, kernel_size={k}, stride={s}, padding={p}"
                + f", output_padding={op}" * (op > 0) + f", dilation={d}" * (d > 1) + ")")

    def conv2d(self, c_in="C_in", c_out="C_out"):  # from this layer's output back to its input
        k, s, p, op, d = self
        return f"nn.Conv2d({c_out}, {c_in}, kernel_size={k}, stride={s}, padding={p}" + f", dilation={d}" * (d > 1) + ")"


def solve_conv_transpose(input_size, output_size, *, kernel_sizes=range(1, 8), strides=range(1, 5),
                         paddings=range(0, 7), dilations=(1, 2)):
    """Every Layer(kernel_size, stride, padding, output_padding, dilation) in the ranges whose
    ConvTranspose2d turns input_size into output_size (one side) and is undone in shape by the
    Conv2d with the same arguments. o = (i-1)s - 2p + d(k-1) + 1 + output_padding fixes
    output_padding, kept if in 0 .. s-1 (PyTorch also accepts s .. d-1 when d > s, but then the
    Conv2d maps o to more than i); p <= d(k-1) (more makes Conv2d windows of padding only);
    d = 1 when k = 1. Checkerboard-free layers first.
    """
    for name, values in dict(input_size=[input_size], output_size=[output_size], kernel_sizes=kernel_sizes,
                             strides=strides, paddings=paddings, dilations=dilations).items():
        low = int(name != "paddings")  # an int (not iterable) is refused, as is a str (not ints)
        if not hasattr(values, "__iter__") or not all(isinstance(v, numbers.Integral) and not isinstance(v, bool)
                                                      and v >= low for v in values):
            raise ValueError(f"{name} must be {'ints' if name[-1] == 's' else 'an int'} >= {low}, got {values!r}")
    i, o = input_size, output_size
    found = [Layer(k, s, p, op, d) for d in dilations for s in strides for k in kernel_sizes for p in paddings
             if p <= d * (k - 1) and (d == 1 or k > 1) and 0 <= (op := o - (i - 1) * s + 2 * p - d * (k - 1) - 1) < s]
    return sorted(found, key=lambda layer: (not layer.checkerboard_free, layer.dilation, layer.stride,
                                            layer.kernel_size, layer.padding))


SOLVER_RANGES = {"input_size": (1, 16), "output_size": (1, 64), "show": ["all", "checkerboard-free only"]}


@widgets.explains_invalid
def render_solver(input_size, output_size, show="all"):
    """The solver's layers for one pair of sizes: a table per dilation, rows k = 1..7, columns s = 1..4,
    a cell holding the smallest p (+output_padding) of its layers; the first four as PyTorch arguments."""
    widgets.check_controls(SOLVER_RANGES, input_size=input_size, output_size=output_size, show=show)
    layers = [x for x in solve_conv_transpose(input_size, output_size) if show == "all" or x.checkerboard_free]
    if not layers:
        raise ValueError(f"no layer with k ≤ 7, s ≤ 4, d ≤ 2 ({show}) turns {input_size} into {output_size}")
    fig, ax = draw.new_figure(7, 2.75)
    fig.set_layout_engine("none"), ax.set_position([0.01, 0.09, 0.98, 0.8])  # constrained layout: 1/3 of the time
    items = []
    for n, d in enumerate((1, 2)):  # a table per dilation; its headers are cells (no Text artists)
        roles, text = np.full((8, 5), "empty", dtype=object), np.full((8, 5), "", dtype=object)
        text[0], text[1:, 0] = [f"d={d}"] + [f"s={s}" for s in range(1, 5)], [f"k={k}" for k in range(1, 8)]
        for k, s, p, op, _ in (layer for layer in layers if layer.dilation == d):
            roles[k, s] = "kernel" if Layer(k, s, p, op, d).checkerboard_free else "output"
            text[k, s] = text[k, s] or (f"{p}+{op}" if op else f"{p}")  # the smallest p only
        items.append(draw.Grid(roles, text, (n * 5.5, 0)))
    draw.grids(ax, items, fontsize=7)
    lines = [x.conv_transpose2d()[32:-1] for x in layers[:4]] + [f"… and {len(layers) - 4} more"] * (len(layers) > 4)
    ax.text(11, 0.3, "\n".join(["nn.ConvTranspose2d(C_in, C_out,"] + lines), family="monospace", fontsize=7,
            va="top", linespacing=1.7)
    ax.set(xlim=(-0.1, 26), ylim=(8.1, -0.1))
    draw.legend(fig, ["kernel", "output"], labels=dict(kernel="checkerboard-free: s divides k, gcd(d, s) = 1",
                                                       output="uneven overlap"), fontsize=8)
    fig.suptitle(f"{len(layers)} ConvTranspose2d layers turn {input_size}×{input_size} into {output_size}×"
                 f"{output_size}; a cell: the smallest p (+output_padding)", fontsize=9)
    return fig


def solver_explorer():
    """Sliders for the input and output size, a toggle for checkerboard-free layers only."""
    from ipywidgets import ToggleButtons
    return widgets.explorer(render_solver, dict(
        input_size=widgets.slider("input size", 7, *SOLVER_RANGES["input_size"]),
        output_size=widgets.slider("output size", 14, *SOLVER_RANGES["output_size"]),
        show=ToggleButtons(options=SOLVER_RANGES["show"], value="all", description="layers")))


def figure_solver_default():  # the explorer's starting state
    return render_solver(input_size=7, output_size=14, show="all")


def figure_output_padding():
    """i=3, k=3, s=2, output_padding=1: with p=1 the extra edge is computed, with p=0 it is zero."""
    fig, ax = draw.new_figure(10, 9.5)
    for n, (p, says) in enumerate([(1, "computed from the input (a 0 comes\nfrom 0s in the input): output_padding ≤ p"),
                                   (0, "zeros, past every stamp:\noutput_padding > p")]):
        out = conv_transpose2d_as_conv(example_input(3), KERNEL, stride=2, padding=p, output_padding=1)
        o, y0, size = out.shape[0], n * 12 + 1, out.shape[0] + 2
        grid, taps, window = view3(example_input(3), KERNEL, 2, p, 1, 1, o - 1, o - 1, origin=(0, y0))
        draw.grids(ax, [grid._replace(title=f"p = {p}: stretched, padded input ({size}×{size})"),
                        draw.Grid(np.full(out.shape, "output"), shown(out), (11, y0), f"output ({o}×{o})")])
        frame_view3(ax, taps, window)
        draw.outlines(ax, [(11, y0 + o - 1, o, 1), (11 + o - 1, y0, 1, o)], linewidth=2)
        ax.text(11 + o / 2, y0 + o + 0.3, f"extra row and column: {says}", ha="center", va="top",
                fontsize=9, color=draw.COLORS["highlight"])
    draw.legend(fig, ["input", "zeros", "padding", "kernel", "output", "highlight"],
                labels={"highlight": "last window; extra row, column"})
    fig.suptitle("input 3×3, k = 3, s = 2, output_padding = 1, kernel rotated 180° (taps boxed)", fontsize=11)
    return fig


FIGURES = {"04_output_padding.png": figure_output_padding, "04_solver_default.png": figure_solver_default}


def check_output_padding(answer):
    """Exercise 1: the output_padding that brings a 12x12 image back (k=3, s=3, p=1; 12 -> 4). Each
    checker computes its own answer and never prints it."""
    return exercises.check_value(answer, output_padding_for(12, 4, 3, 3, 1), "compute the transposed "
                                 "convolution's size from 4 with output_padding = 0: what is missing?")


def check_zero_rows(answer):
    """Exercise 2: how many rows are zero for i=4, k=5, s=3, p=1, output_padding=2."""
    out = conv_transpose2d_as_conv(np.ones((4, 4)), np.ones((5, 5)), stride=3, padding=1, output_padding=2)
    return exercises.check_value(answer, int((~out.any(axis=1)).sum()), "the stamps' canvas has (i−1)s + k "
                                 "rows; the output is rows p .. p + o − 1. How many lie past the canvas?")


def layers_mapping(i, o, max_kernel):
    """Every (k, s, p, output_padding), d = 1, k <= max_kernel, s <= 4, p < k, output_padding < s: i -> o."""
    return sorted((k, s, p, op) for k in range(1, max_kernel + 1) for s in range(1, 5)
                  for p in range(k) for op in range(s) if (i - 1) * s - 2 * p + k + op == o)


def check_layer_solver(function):
    """Exercise 3: the learner's layers_mapping(i, o, max_kernel), on sizes the notebook never used."""
    cases = [dict(i=i, o=o, max_kernel=m) for i, o, m in [(11, 22, 4), (5, 10, 3), (8, 15, 5), (3, 12, 6),
                                                          (4, 4, 3), (6, 13, 4), (1, 5, 5), (9, 30, 2)]]

    def sorted_answer(**case):  # any order of the tuples is right
        found = function(case["i"], case["o"], case["max_kernel"])  # by position: any parameter names
        return None if found is None else sorted(tuple(layer) for layer in found)

    return exercises.check_function(
        None if function is None else sorted_answer, layers_mapping, cases,
        "try every allowed combination of k, s, p and output_padding (mind the limits on p and "
        "output_padding), and keep those for which the output-size formula gives o.")


CANVAS_ROW = "The row of the stamps' canvas that the crop of padding = 2 would have removed."
OUTPUT_PADDING_OPTIONS = {
    "Zeros: output_padding pads the output, as padding pads the input of a convolution.":
        "Stamps land on that row: the crop of padding = 2 would have removed it, and output_padding "
        "keeps it. Only when output_padding > padding does an added row lie past every stamp (zero).",
    "A copy of the row above it, to reach the requested size.":
        "Nothing is copied: each cell of the extra row is the sum of the stamps that land on it.",
    CANVAS_ROW: "output_padding crops one row fewer at the bottom, so the row stays, with the values "
                "the stamps put there.",
    "The input's last row, unchanged.":
        "Each cell of the extra row is a sum of input values times kernel entries, not an input value.",
}


def output_padding_question():
    """Exercise 4: what the row added by output_padding holds when output_padding <= padding."""
    return exercises.choice(
        "ConvTranspose2d(kernel_size=4, stride=3, padding=2, output_padding=1) turns a 3×3 input "
        "into 7×7 instead of 6×6. What is in the extra bottom row?", OUTPUT_PADDING_OPTIONS, CANVAS_ROW)
