"""Notebook 04: transposed convolution in a network.

Channels and groups (the multi-channel matrix C), PyTorch's conventions
(`output_padding_for`, what `forward(output_size=...)` computes), decoder
shape tables, the exact-upsampling recipes and their explorer, the figures
of notebook 04 and the checkers of its exercises.
"""

import numbers
from dataclasses import dataclass

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, Rectangle

from .conv import (
    conv2d,
    conv_matrix,
    conv_output_size,
    conv_transpose2d,
    conv_transpose_output_size,
)
from .draw import (COLORS, draw_grid, fill, legend_patches, new_figure, quarter_inches,
                   setup_axes, tint)
from . import exercises
from .exercises import check_value, feedback
from .widgets import check_controls, explains_invalid, explorer, slider

# ---------------------------------------------------------------------------
# The multi-channel convolution matrix
# ---------------------------------------------------------------------------


def conv2d_matrix(w, input_shape, stride=1, padding=0, dilation=1, groups=1):
    """The matrix C of a multi-channel, grouped conv2d, built from one-channel conv_matrix blocks.

    w: (C_out, C_in/groups, kH, kW); input_shape: (C_in, H, W).
    Returns C with shape (C_out*Ho*Wo, C_in*H*W), so that for one image x (C_in, H, W)
    conv2d(x[None], w, ...)[0].ravel() == C @ x.ravel(). Block (o, c) is
    conv_matrix(w[o, c - g*C_in/groups]) when input channel c is in output channel o's
    group g, and zero otherwise. C.T is the matrix of conv_transpose2d with the same w.
    """
    w = np.asarray(w, dtype=float)
    if w.ndim != 4:
        raise ValueError(f"w must be 4-D (C_out, C_in/groups, kH, kW), got shape {w.shape}")
    C_in, H, W = input_shape
    C_out, per_group = w.shape[:2]
    if C_out % groups or per_group * groups != C_in:
        raise ValueError(f"w.shape={w.shape} with groups={groups} needs C_in={per_group * groups} "
                         f"and C_out divisible by {groups}, got input_shape={input_shape}")
    Ho, Wo = conv_output_size((H, W), w.shape[2:], stride, padding, dilation)
    L, P = Ho * Wo, H * W  # pixels per output channel, per input channel
    C = np.zeros((C_out * L, C_in * P))
    out_per_group = C_out // groups
    for o in range(C_out):
        g = o // out_per_group  # the group of output channel o
        for j in range(per_group):
            c = g * per_group + j  # the input channel that w[o, j] reads
            C[o * L:(o + 1) * L, c * P:(c + 1) * P] = conv_matrix(
                w[o, j], (H, W), stride=stride, padding=padding, dilation=dilation)
    return C


def channel_connections(channels_in, channels_out, groups):
    """(C_out, C_in) boolean array: True where input channel c feeds output channel o."""
    if channels_in % groups or channels_out % groups:
        raise ValueError(f"groups={groups} must divide both C_in={channels_in} and "
                         f"C_out={channels_out}")
    group_of_in = np.arange(channels_in) // (channels_in // groups)
    group_of_out = np.arange(channels_out) // (channels_out // groups)
    return group_of_out[:, None] == group_of_in[None, :]


# ---------------------------------------------------------------------------
# PyTorch's forward(output_size=...)
# ---------------------------------------------------------------------------


def _output_padding_1d(target, i, k, s, p, d):
    smallest = (i - 1) * s - 2 * p + d * (k - 1) + 1  # output_padding = 0
    largest = smallest + s - 1  # output_padding = s - 1
    if target < 1:
        raise ValueError(f"output size must be >= 1, got {target}")
    if not smallest <= target <= largest:
        raise ValueError(
            f"output size {target} is unreachable: with i={i}, k={k}, s={s}, p={p}, d={d} the "
            f"output is (i-1)s - 2p + d(k-1) + 1 + output_padding = {smallest} + output_padding, "
            f"and output_padding goes from 0 to s-1={s - 1}, so only {smallest} to {largest}")
    return target - smallest


def output_padding_for(target, i, k, stride=1, padding=0, dilation=1):
    """The output_padding that PyTorch's ConvTranspose2d.forward(x, output_size=target) uses.

    The output can be (i-1)s - 2p + d(k-1) + 1 plus output_padding, with output_padding
    in 0 .. s-1 (PyTorch's rule for output_size, whatever the dilation). Ints or (h, w)
    pairs; raises ValueError saying which sizes are reachable when target is not.
    """
    args = (target, i, k, stride, padding, dilation)
    scalar = all(not isinstance(v, (tuple, list)) for v in args)
    pairs = []
    for name, v in zip(("target", "i", "k", "stride", "padding", "dilation"), args):
        v = tuple(v) if isinstance(v, (tuple, list)) else (v, v)
        if len(v) != 2 or not all(isinstance(e, numbers.Integral) for e in v):
            raise ValueError(f"{name} must be an int or an (h, w) pair of ints, got {v!r}")
        pairs.append(v)
    op = tuple(_output_padding_1d(*axis) for axis in zip(*pairs))
    return op[0] if scalar else op


# ---------------------------------------------------------------------------
# Shapes through a stack of layers
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Layer:
    """One layer of a stack, named like torch.nn: 'ConvTranspose2d' or 'Conv2d'."""

    kind: str
    in_channels: int
    out_channels: int
    kernel_size: int
    stride: int = 1
    padding: int = 0
    output_padding: int = 0
    groups: int = 1
    dilation: int = 1

    def weight_shape(self):
        k = self.kernel_size
        if self.kind == "ConvTranspose2d":  # (C_in, C_out/groups, kH, kW)
            return (self.in_channels, self.out_channels // self.groups, k, k)
        return (self.out_channels, self.in_channels // self.groups, k, k)  # (C_out, C_in/groups,..)

    def output_hw(self, h):
        if self.kind == "ConvTranspose2d":
            return conv_transpose_output_size(h, self.kernel_size, self.stride, self.padding,
                                              self.dilation, self.output_padding)
        return conv_output_size(h, self.kernel_size, self.stride, self.padding, self.dilation)

    def describe(self):
        text = f"{self.kind}({self.in_channels}, {self.out_channels}, k={self.kernel_size}"
        text += f", s={self.stride}, p={self.padding}"
        if self.output_padding:
            text += f", output_padding={self.output_padding}"
        if self.groups > 1:
            text += f", groups={self.groups}"
        return text + ")"


# DCGAN's generator (Radford et al. 2016, the PyTorch example): a 100-number code to 64x64 RGB.
DCGAN_GENERATOR = (
    Layer("ConvTranspose2d", 100, 512, 4, 1, 0),
    Layer("ConvTranspose2d", 512, 256, 4, 2, 1),
    Layer("ConvTranspose2d", 256, 128, 4, 2, 1),
    Layer("ConvTranspose2d", 128, 64, 4, 2, 1),
    Layer("ConvTranspose2d", 64, 3, 4, 2, 1),
)

# A segmentation decoder (skip connections left out): each step doubles H and W, with each of
# the three exact x2 recipes once, then a 1x1 convolution gives one score per class and pixel.
SEGMENTATION_DECODER = (
    Layer("ConvTranspose2d", 256, 128, 2, 2, 0),
    Layer("ConvTranspose2d", 128, 64, 3, 2, 1, output_padding=1),
    Layer("ConvTranspose2d", 64, 32, 4, 2, 1),
    Layer("Conv2d", 32, 5, 1),
)


def stack_shapes(input_shape, layers):
    """Shapes through a stack, from the output-size formulas alone.

    input_shape: (N, C, H, W) with H == W. Returns one dict per layer with the keys
    layer, input, weight, output (shape tuples) and parameters (weights + biases).
    """
    N, C, H, W = input_shape
    if H != W:
        raise ValueError(f"stack_shapes expects square images, got H={H}, W={W}")
    rows, shape = [], tuple(input_shape)
    for layer in layers:
        if shape[1] != layer.in_channels:
            raise ValueError(f"{layer.describe()} expects {layer.in_channels} input channels, "
                             f"got {shape[1]}")
        h = layer.output_hw(shape[2])
        out = (N, layer.out_channels, h, h)
        weight = layer.weight_shape()
        rows.append(dict(layer=layer.describe(), input=shape, weight=weight, output=out,
                         parameters=int(np.prod(weight)) + layer.out_channels))
        shape = out
    return rows


def run_stack(x, layers, seed=0):
    """Run a stack with utils.conv2d / utils.conv_transpose2d and random weights (no activations).

    Returns the list of output shapes: the shapes the arrays really have.
    """
    rng = np.random.default_rng(seed)
    shapes = []
    for layer in layers:
        w = rng.standard_normal(layer.weight_shape()) / np.sqrt(layer.in_channels)
        if layer.kind == "ConvTranspose2d":
            x = conv_transpose2d(x, w, None, layer.stride, layer.padding, layer.output_padding,
                                 layer.groups, layer.dilation)
        else:
            x = conv2d(x, w, None, layer.stride, layer.padding, layer.dilation, layer.groups)
        shapes.append(x.shape)
    return shapes


def shape_table(rows):
    """A printable table of stack_shapes rows."""
    header = ("layer", "input", "weight", "output", "parameters")
    lines = [[r["layer"], str(r["input"]), str(r["weight"]), str(r["output"]),
              f"{r['parameters']:,}"] for r in rows]
    widths = [max(len(header[j]), *(len(line[j]) for line in lines)) for j in range(5)]
    fmt = lambda cells: "  ".join(c.ljust(w_) for c, w_ in zip(cells, widths)).rstrip()  # noqa: E731
    total = sum(r["parameters"] for r in rows)
    return "\n".join([fmt(header), fmt(["-" * w_ for w_ in widths]), *map(fmt, lines),
                      f"total parameters: {total:,}"])


# ---------------------------------------------------------------------------
# Exact upsampling recipes
# ---------------------------------------------------------------------------


def upsampling_recipes(factor, max_kernel, allow_output_padding=True, input_sizes=range(1, 17)):
    """Every (k, s, p, output_padding) with k <= max_kernel (dilation 1) that gives o = factor * i.

    o(i+1) - o(i) = s, so s must equal the factor; then o(1) = k - 2p + output_padding = s
    fixes p = (k - s + output_padding) / 2, which must be a whole number >= 0, with
    output_padding in 0 .. s-1. Each recipe is checked on every i in input_sizes.
    Sorted by k, then output_padding.
    """
    if factor < 1 or max_kernel < 1:
        raise ValueError(f"factor and max_kernel must be >= 1, got {factor} and {max_kernel}")
    s = factor
    recipes = []
    for k in range(1, max_kernel + 1):
        for op in range(s if allow_output_padding else 1):
            if (k - s + op) % 2 == 0 and k - s + op >= 0:
                recipe = (k, s, (k - s + op) // 2, op)
                if all(conv_transpose_output_size(i, k, s, recipe[2], 1, op) == factor * i
                       for i in input_sizes):
                    recipes.append(recipe)
    return recipes


RECIPE_CONTROLS = {"factor": (1, 8), "max_kernel": (1, 12), "output_padding": ["allowed", "0 only"]}


@explains_invalid
def render_upsampling_recipes(factor=2, max_kernel=4, output_padding="allowed"):
    """Every exact x`factor` recipe with k <= max_kernel, as a grid: rows k, columns output_padding.

    s is the factor; a filled cell (k, output_padding) is a recipe and shows its padding p.
    output_padding: 'allowed' or '0 only' (then the columns output_padding > 0 are greyed out).
    Green cells have s dividing k: every output pixel receives the same number of kernel taps
    (notebook 05 explains why that matters).
    """
    check_controls(RECIPE_CONTROLS, factor=factor, max_kernel=max_kernel, output_padding=output_padding)
    allowed = output_padding == "allowed"
    # o is affine in i with slope s, so o(1) = f and o(2) = 2f prove o = f*i for every i:
    # two sizes are as good a check as sixteen, and keep a redraw fast
    recipes = upsampling_recipes(factor, max_kernel, allowed, input_sizes=(1, 2))
    if not recipes:
        raise ValueError(f"no recipe for x{factor} with k <= {max_kernel} and output_padding = 0: "
                         f"then k = s + 2p >= s = {factor}, so raise max_kernel to {factor}")
    rows, cols = max_kernel, factor
    colors = fill((rows, cols), "empty")
    if not allowed:
        colors[:, 1:] = tint("padding", 0.6)
    values = np.full((rows, cols), "", dtype=object)
    for k, s, p, op in recipes:
        colors[k - 1, op] = tint("kernel" if k % s == 0 else "output", 0.6)
        values[k - 1, op] = str(p)
    # a plain Figure with fixed axes sized to the grid (no layout engine), small cells and
    # text only where it is read (p in the recipe cells, a bare number per row and column):
    # text is most of the drawing time
    cell = 0.34  # inches per cell
    x0, x1, y0, y1 = -1.0, cols + 0.1, -1.25, rows + 0.1  # data limits: labels left and above
    axes_w, axes_h = cell * (x1 - x0), cell * (y1 - y0)
    width, height = max(4.4, axes_w + 0.3), axes_h + 0.75
    width, height = quarter_inches(width), quarter_inches(height)
    fig = Figure(figsize=(width, height))
    ax = fig.add_axes(((width - axes_w) / 2 / width, 0.05 / height,
                       axes_w / width, axes_h / height))
    draw_grid(ax, colors, values, fontsize=7)
    for k in range(1, rows + 1):
        ax.text(-0.12, k - 0.5, str(k), ha="right", va="center", fontsize=7)
    for op in range(cols):
        ax.text(op + 0.5, -0.1, str(op), ha="center", va="bottom", fontsize=7)
    ax.text(-0.12, -0.1, "k", ha="right", va="bottom", fontsize=7, fontweight="bold")
    ax.text(cols / 2, -0.75, "output_padding", ha="center", va="bottom", fontsize=7,
            fontweight="bold")
    ax.set_xlim(x0, x1)
    ax.set_ylim(y1, y0)
    op_text = "output_padding allowed" if allowed else "output_padding = 0 only; grey: not allowed"
    fig.suptitle(f"{len(recipes)} layers with output = {factor} × input for every input size\n"
                 f"(s = {factor}, k ≤ {max_kernel}, {op_text})\n"
                 f"a cell shows the padding p; green: s divides k",
                 fontsize=8, y=1 - 0.04 / height, va="top")
    return fig


def upsampling_recipes_explorer():
    """Sliders for the factor and the largest kernel, a toggle for output_padding."""
    import ipywidgets as widgets

    controls = {
        "factor": slider("upsampling factor", 2, *RECIPE_CONTROLS["factor"]),
        "max_kernel": slider("largest kernel k", 4, *RECIPE_CONTROLS["max_kernel"]),
        "output_padding": widgets.ToggleButtons(options=RECIPE_CONTROLS["output_padding"],
                                                value="allowed",
                                                description="output_padding"),
    }
    return explorer(render_upsampling_recipes, controls)


# ---------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------


def _arrow(ax, start, end, text=None, color="0.2", text_offset=(0, -0.35)):
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=14, color=color,
                                 linewidth=1.4, zorder=5))
    if text:
        ax.text((start[0] + end[0]) / 2 + text_offset[0], (start[1] + end[1]) / 2 + text_offset[1],
                text, ha="center", va="bottom", fontsize=9)


def figure_channels():
    """Two input channels, one output channel: each input channel stamps its own kernel; they add."""
    x = np.array([[[1, 2], [0, 1]], [[2, 0], [1, 1]]], dtype=float)  # (C_in=2, 2, 2)
    w = np.array([[[[1, 0], [1, 1]]], [[[0, 1], [2, 0]]]], dtype=float)  # (C_in=2, C_out=1, 2, 2)
    parts = [conv_transpose2d(x[None, c:c + 1], w[c:c + 1])[0, 0] for c in range(2)]
    total = conv_transpose2d(x[None], w)[0, 0]
    assert np.allclose(total, parts[0] + parts[1])
    fig, ax = new_figure(8.25, 3.75)
    for c in range(2):
        y0 = c * 5.2
        draw_grid(ax, fill((2, 2), "input"), x[c], f"input channel {c}", origin=(0, y0 + 0.5))
        draw_grid(ax, fill((2, 2), "kernel"), w[c, 0], f"kernel w[{c}, 0]", origin=(3.7, y0 + 0.5))
        draw_grid(ax, fill((3, 3), "output", 0.25), parts[c], f"stamps of channel {c}",
                  origin=(7, y0))
        _arrow(ax, (5.9, y0 + 1.5), (6.8, y0 + 1.5))
    ax.text(8.5, 4.05, "+", ha="center", va="center", fontsize=18)
    ax.text(11, 4.1, "=", ha="center", va="center", fontsize=18)
    draw_grid(ax, fill((3, 3), "output"), total, "output channel 0", origin=(12, 2.6))
    ax.text(7.5, -1.4, "conv_transpose2d, stride 1: every output channel sums the stamps of all "
            "input channels", ha="center", fontsize=10)
    ax.set_xlim(-0.3, 15.3)
    ax.set_ylim(8.5, -2.0)
    return fig


def _matrix_picture(ax, M, row_blocks, col_blocks, title, row_label, col_label):
    """Draw a matrix whose nonzero entries are weights: kernel tint, numbers, block lines."""
    colors = np.where((M != 0)[..., None], np.array(tint("kernel", 0.45)), np.array(tint("empty")))
    values = np.where(M != 0, M.astype(int).astype(str), "")
    draw_grid(ax, colors, values, None, fontsize=6, linewidth=0.3)
    R, Ccols = M.shape
    ax.hlines(np.arange(0, R + 1, R // row_blocks), 0, Ccols, colors="black", linewidth=1.6, zorder=3)
    ax.vlines(np.arange(0, Ccols + 1, Ccols // col_blocks), 0, R, colors="black", linewidth=1.6,
              zorder=3)
    for b in range(row_blocks):
        ax.text(-0.4, (b + 0.5) * R / row_blocks, f"{row_label} {b}", ha="right", va="center",
                fontsize=8)
    for b in range(col_blocks):
        ax.text((b + 0.5) * Ccols / col_blocks, R + 0.4, f"{col_label} {b}", ha="center", va="top",
                fontsize=8)
    ax.set_title(title, fontsize=9)
    ax.set_xlim(-6, Ccols + 0.2)
    ax.set_ylim(R + 2, -0.2)


def figure_weight_layout():
    """C of a conv2d with 2 input and 3 output channels, and its transpose."""
    w = np.arange(1, 25, dtype=float).reshape(3, 2, 2, 2)  # (C_out=3, C_in=2, 2, 2)
    C = conv2d_matrix(w, (2, 3, 3))  # (3*4, 2*9)
    fig, axes = new_figure(10, 5.5, ncols=2, gridspec_kw={"width_ratios": [18 + 6, 12 + 6]})
    _matrix_picture(axes[0], C, 3, 2, "C of conv2d, w.shape = (3, 2, 2, 2)\n"
                    "rows: output pixels, columns: input pixels", "output\nchannel",
                    "input channel")
    _matrix_picture(axes[1], C.T, 2, 3, "Cᵀ = conv_transpose2d with the same w\n"
                    "(now 3 input channels, 2 output channels)", "output\nchannel",
                    "input\nchannel")
    fig.suptitle("The weight array does not change: transposing C swaps the roles of input and "
                 "output channels", fontsize=10)
    return fig


def figure_groups():
    """Which input channels feed which output channels: standard, grouped, depthwise."""
    cases = [(1, "groups=1 (standard)"), (2, "groups=2"), (4, "groups=4 (depthwise)")]
    fig, axes = new_figure(9, 3.75, ncols=3)
    C = 4
    for ax, (groups, name) in zip(axes, cases):
        links = channel_connections(C, C, groups)
        segments = [[(0.9, c + 0.5), (3.1, o + 0.5)] for o, c in zip(*np.nonzero(links))]
        ax.add_collection(LineCollection(segments, colors=COLORS["kernel"], linewidths=1.8))
        draw_grid(ax, fill((C, 1), "input"), [[f"{c}"] for c in range(C)], "input", origin=(0, 0))
        draw_grid(ax, fill((C, 1), "output"), [[f"{o}"] for o in range(C)], "output",
                  origin=(3.1, 0))
        for g in range(1, groups):  # dashed lines between groups
            ax.hlines(g * C / groups, -0.2, 4.3, colors="0.4", linestyles="dashed", linewidth=1)
        ax.set_title(f"{name}\n{links.sum()} kernels of kH×kW, w.shape[1] = {C // groups}",
                     fontsize=9)
        ax.set_xlim(-0.3, 4.4)
        ax.set_ylim(C + 0.2, -0.9)
    fig.suptitle("channels (4 in, 4 out): each green line is one kernel w[c_in, c_out] of "
                 "conv_transpose2d", fontsize=10)
    return fig


def figure_gradient():
    """Forward: conv2d of x with w. Backward: conv_transpose2d of dL/do with the same w."""
    x = np.array([[1, 0, 2, 1], [0, 1, 1, 0], [2, 1, 0, 1], [1, 0, 1, 2]], dtype=float)
    w = np.array([[1, 2], [0, 1]], dtype=float)
    o = conv2d(x[None, None], w[None, None])[0, 0]
    g = np.array([[1, 0, 0], [0, 2, 0], [0, 0, -1]], dtype=float)
    grad_x = conv_transpose2d(g[None, None], w[None, None])[0, 0]
    fig, ax = new_figure(8.5, 5.75)
    draw_grid(ax, fill((4, 4), "input"), x, "input x", origin=(0, 0))
    draw_grid(ax, fill((2, 2), "kernel"), w, "kernel w", origin=(6, 1))
    draw_grid(ax, fill((3, 3), "output"), o, "output o = conv2d(x, w) = C x", origin=(11, 0.5))
    _arrow(ax, (4.3, 2), (5.8, 2))
    _arrow(ax, (8.2, 2), (10.8, 2), "forward")
    draw_grid(ax, fill((4, 4), "input", 0.2), grad_x, "∂L/∂x = conv_transpose2d(∂L/∂o, w) = Cᵀ ∂L/∂o",
              origin=(0, 7))
    draw_grid(ax, fill((2, 2), "kernel"), w, "same w, not rotated", origin=(6, 8))
    draw_grid(ax, fill((3, 3), "output", 0.2), g, "∂L/∂o (given)", origin=(11, 7.5))
    _arrow(ax, (10.8, 9), (8.2, 9), "backward")
    _arrow(ax, (5.8, 9), (4.3, 9))
    ax.text(7.0, 5.6, "∂L/∂x has the shape of the input, ∂L/∂o the shape of the output", ha="center",
            fontsize=9, color="0.3")
    ax.set_xlim(-0.5, 14.5)
    ax.set_ylim(11.3, -1.0)
    return fig


def figure_output_size():
    """i=3, k=3, s=2, p=1: output_size 5 or 6, i.e. output_padding 0 or 1."""
    ones_in, ones_k = np.ones((1, 1, 3, 3)), np.ones((1, 1, 3, 3))
    fig, ax = new_figure(9, 4)
    draw_grid(ax, fill((3, 3), "input"), ones_in[0, 0], "input, 3×3", origin=(0, 1.5))
    for x0, op in ((5, 0), (12, 1)):
        out = conv_transpose2d(ones_in, ones_k, stride=2, padding=1, output_padding=op)[0, 0]
        colors = fill(out.shape, "output")
        colors[5:, :] = colors[:, 5:] = tint("highlight", 0.45)
        draw_grid(ax, colors, out, f"output_size={5 + op}: output_padding={op}", origin=(x0, 0))
    _arrow(ax, (3.3, 3), (4.7, 3))
    ax.text(8.5, 6.7, "k=3, s=2, p=1, all ones: each number counts the stamps that land there.\n"
            "conv2d(k=3, s=2, p=1) maps 5×5 and 6×6 to 3×3, so the transposed convolution must be "
            "told which;\noutput_padding adds the highlighted row and column: stamps land there, since "
            "output_padding ≤ p (past p they would be zeros)",
            ha="center", va="top", fontsize=9)
    ax.set_xlim(-0.3, 18.3)
    ax.set_ylim(9.0, -1.0)
    return fig


def _shape_strip(ax, y, input_shape, layers, label):
    shapes = [tuple(input_shape)] + [r["output"] for r in stack_shapes(input_shape, layers)]
    x = 0.0
    for j, shape in enumerate(shapes):
        side = 0.45 + 2.2 * shape[2] / 64
        role = "input" if j == 0 else "output"
        ax.add_patch(Rectangle((x, y - side / 2), side, side, facecolor=tint(role),
                               edgecolor="0.25", linewidth=1))
        ax.text(x + side / 2, y + 1.45, f"{shape[1]}×{shape[2]}×{shape[3]}", ha="center",
                va="top", fontsize=8)
        if j < len(layers):
            lay = layers[j]
            name = "conv" if lay.kind == "Conv2d" else "convT"
            op = f"\nop={lay.output_padding}" if lay.output_padding else ""
            _arrow(ax, (x + side + 0.1, y), (x + side + 1.5, y))
            ax.text(x + side + 0.8, y - 0.25, f"{name}\nk={lay.kernel_size} s={lay.stride}\n"
                    f"p={lay.padding}{op}", ha="center", va="bottom", fontsize=7)
        x += side + 1.6
    ax.text(-0.3, y - 1.6, label, ha="left", va="bottom", fontsize=10, fontweight="bold")


def figure_decoders():
    """Shapes through the DCGAN generator and the segmentation decoder (square sides grow with H)."""
    fig, ax = new_figure(9.5, 5.5)
    _shape_strip(ax, 1.5, (1, 100, 1, 1), DCGAN_GENERATOR,
                 "DCGAN generator: a 100-number code (input) to a 64×64 RGB image (output)")
    _shape_strip(ax, 6.5, (1, 256, 8, 8), SEGMENTATION_DECODER,
                 "segmentation decoder: 8×8 features (input) to 5 class scores per pixel (output)")
    ax.set_xlim(-0.4, 17)
    ax.set_ylim(9.6, -0.6)
    setup_axes(ax)
    ax.legend(handles=legend_patches("input", "output"), loc="lower center", fontsize=8, ncol=2,
              title="labels: channels×H×W; square sides grow with H", title_fontsize=8)
    return fig


def figure_recipes():
    return render_upsampling_recipes(factor=2, max_kernel=4, output_padding="allowed")


FIGURES = {
    "04_channels.png": figure_channels,
    "04_weight_layout.png": figure_weight_layout,
    "04_groups.png": figure_groups,
    "04_gradient.png": figure_gradient,
    "04_output_size.png": figure_output_size,
    "04_decoders.png": figure_decoders,
    "04_upsampling_recipes.png": figure_recipes,
}


# ---------------------------------------------------------------------------
# Exercises (each checker computes its own answer and never prints it)
# ---------------------------------------------------------------------------

EXERCISE_LAYER = dict(in_channels=64, out_channels=32, kernel_size=(3, 5), groups=4)

EXERCISE_STACK_INPUT = (8, 128, 7, 7)
EXERCISE_STACK = (
    Layer("ConvTranspose2d", 128, 64, 3, 2, 1, output_padding=1),
    Layer("ConvTranspose2d", 64, 32, 4, 2, 1),
    Layer("ConvTranspose2d", 32, 1, 5, 1, 2),
)

TINY_X = np.array([[1.0, 2.0, 0.0], [0.0, 1.0, 3.0], [2.0, 0.0, 1.0]])
TINY_W = np.array([[1.0, 2.0], [3.0, 4.0]])
TINY_GRAD_OUTPUT = np.array([[1.0, 0.0], [0.0, 2.0]])


def check_weight_shape(answer):
    """Exercise 1: the weight shape of nn.ConvTranspose2d(**EXERCISE_LAYER)."""
    L = EXERCISE_LAYER
    expected = (L["in_channels"], L["out_channels"] // L["groups"], *L["kernel_size"])
    hint = ("a transposed convolution's weight is (in_channels, out_channels/groups, kH, kW): "
            "the first axis is the input side, unlike Conv2d; kernel_size=(3, 5) means kH=3, kW=5.")
    if answer is not None and tuple(np.shape(answer)) == (4,) and tuple(answer)[0] != expected[0]:
        hint = "look at the first axis again: " + hint
    return check_value(answer, expected, hint)


def check_stack_shape(answer):
    """Exercise 2: the output shape of EXERCISE_STACK on an EXERCISE_STACK_INPUT batch."""
    expected = stack_shapes(EXERCISE_STACK_INPUT, EXERCISE_STACK)[-1]["output"]
    hint = ("apply o = (i-1)s - 2p + d(k-1) + output_padding + 1 one layer at a time; the batch "
            "size N never changes and the channels are the last layer's out_channels.")
    return check_value(answer, expected, hint)


def check_tiny_gradient(answer):
    """Exercise 3: dL/dx for o = conv2d(TINY_X, TINY_W) and dL/do = TINY_GRAD_OUTPUT."""
    expected = conv_transpose2d(TINY_GRAD_OUTPUT[None, None], TINY_W[None, None])[0, 0]
    hint = ("each entry of dL/do sends itself times the kernel w (not rotated) back onto the "
            "window of x it was computed from; where windows overlap, add. The result is 3×3, "
            "like x, and x's values do not matter.")
    return check_value(answer, expected, hint)


def _is_x4(k, s, p, op):
    try:
        return all(conv_transpose_output_size(i, k, s, p, 1, op) == 4 * i for i in range(1, 65))
    except (ValueError, TypeError):
        return False


def check_x4_recipe(answer):
    """Exercise 4: any (k, s, p, output_padding) with o = 4 i for every i (dilation 1)."""
    if answer is None:
        return feedback(None, False, "")
    try:
        k, s, p, op = (int(v) for v in answer)
    except (TypeError, ValueError):
        return feedback(answer, False, "answer with four whole numbers: (k, s, p, output_padding).")
    if s != 4:
        hint = "adding one input pixel adds s output pixels, so which stride makes o grow by 4?"
    elif not 0 <= op < s:
        hint = "output_padding must be between 0 and s-1."
    else:
        hint = ("with this stride, o = 4i for every i needs (k-1) + 1 - 2p + output_padding = s; "
                "pick k and output_padding, then solve for p.")
    return feedback(answer, _is_x4(k, s, p, op), hint)


def _layers_mapping(i, o, max_kernel):
    """Brute force: every (k, s, p, output_padding), dilation 1, with k <= max_kernel, s <= 4,
    p < k and output_padding < s, whose transposed convolution maps size i to size o."""
    found = []
    for k in range(1, max_kernel + 1):
        for s in range(1, 5):
            for p in range(k):
                for op in range(s):
                    if (i - 1) * s - 2 * p + (k - 1) + op + 1 == o:
                        found.append((k, s, p, op))
    return sorted(found)


def check_layer_solver(function):
    """Exercise 5: the learner's layers_mapping(i, o, max_kernel), on sizes the notebook never used."""
    cases = [dict(i=i, o=o, max_kernel=m) for i, o, m in
             [(11, 22, 4), (5, 10, 3), (8, 15, 5), (3, 12, 6), (4, 4, 3), (6, 13, 4), (1, 5, 5), (9, 30, 2)]]

    def sorted_answer(**case):  # any order of the tuples is right
        found = function(**case)
        return None if found is None else sorted(tuple(layer) for layer in found)

    return exercises.check_function(
        None if function is None else sorted_answer, _layers_mapping, cases,
        "try every allowed combination of k, s, p and output_padding (mind the limits on p and "
        "output_padding), and keep those for which the output-size formula of step 5 gives o.")


PADDING_OPTIONS = {
    "It adds a ring of zeros around the input, as in Conv2d, so the output is 9×9.":
        "In a transposed convolution, padding is the padding of the convolution it transposes, and "
        "it works on the output side: o = (5 − 1)·1 − 2·1 + 2 + 1 = 5.",
    "It crops one row and one column from each side of the output, so 5×5 comes out.":
        "Without padding the stamps cover 7×7; padding = 1 crops a ring, the one that "
        "Conv2d(kernel_size=3, padding=1), the convolution this layer transposes, added.",
    "It adds a ring of zeros around the output, so the output is 9×9.":
        "Nothing is added: without padding the output is already 7×7, and padding = 1 removes a ring.",
    "Nothing: padding only matters when stride > 1.":
        "o = (i − 1)s − 2p + d(k − 1) + output_padding + 1 depends on p for every stride: 7×7 without "
        "padding, 5×5 with padding = 1.",
}


def padding_question():
    """Exercise 6: what padding does in a transposed convolution."""
    return exercises.choice(
        "ConvTranspose2d(kernel_size=3, stride=1, padding=1) receives a 5×5 input. What does "
        "padding=1 do?", PADDING_OPTIONS,
        correct="It crops one row and one column from each side of the output, so 5×5 comes out.")
