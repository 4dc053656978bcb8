"""Notebook 05: the multi-channel matrix C, which channels feed which, shapes through a stack of
layers, the groups explorer, the figures of notebook 05 and the checkers of its exercises."""

from dataclasses import dataclass

import numpy as np

from . import conv_matrix, conv_output_size, conv_transpose2d, conv_transpose_output_size
from . import draw, exercises
from .example import example_input, example_kernel
from .widgets import check_controls, explains_invalid, explorer, slider


def conv2d_matrix(w, input_shape, stride=1, padding=0, dilation=1, groups=1):
    """C of a grouped conv2d, (C_out*Ho*Wo, C_in*H*W): conv2d(x[None], w)[0].ravel() == C @ x.ravel().

    w: (C_out, C_in/groups, kH, kW); input_shape: (C_in, H, W). Block (c_out, c_in) is the
    conv_matrix of the kernel from c_in to c_out, zero across groups; C.T is conv_transpose2d's.
    """
    (C_in, H, W), (C_out, per_group) = input_shape, np.shape(w)[:2]
    if np.ndim(w) != 4 or C_out % groups or per_group * groups != C_in:
        raise ValueError(f"w.shape={w.shape} with groups={groups} needs C_in={per_group * groups} "
                         f"and C_out divisible by {groups}, got input_shape={input_shape}")
    Ho, Wo = conv_output_size((H, W), np.shape(w)[2:], stride, padding, dilation)
    L, P = Ho * Wo, H * W  # pixels per output channel, per input channel
    C = np.zeros((C_out * L, C_in * P))
    for c_out in range(C_out):
        g = c_out // (C_out // groups)  # the group of output channel c_out
        for j in range(per_group):
            c_in = g * per_group + j  # the input channel that w[c_out, j] reads
            C[c_out * L:(c_out + 1) * L, c_in * P:(c_in + 1) * P] = conv_matrix(
                w[c_out, j], (H, W), stride=stride, padding=padding, dilation=dilation)
    return C


def channel_connections(channels_in, channels_out, groups):
    """(C_out, C_in) boolean array: True where input channel c_in feeds output channel c_out."""
    if groups < 1 or channels_in % groups or channels_out % groups:
        raise ValueError(f"groups={groups} must divide C_in={channels_in} and C_out={channels_out}")
    group_of_in, group_of_out = (np.arange(n) // (n // groups) for n in (channels_in, channels_out))
    return group_of_out[:, None] == group_of_in[None, :]


@dataclass(frozen=True)
class Layer:
    """One layer of a stack, named like torch.nn: 'ConvTranspose2d' or 'Conv2d'; square kernels."""
    kind: str
    in_channels: int
    out_channels: int
    kernel_size: int
    stride: int = 1
    padding: int = 0
    output_padding: int = 0
    bias: bool = True

    def __str__(self):
        extra = (f", output_padding={self.output_padding}" * bool(self.output_padding)
                 + ", bias=False" * (not self.bias))
        return (f"{self.kind}({self.in_channels}, {self.out_channels}, k={self.kernel_size}, "
                f"s={self.stride}, p={self.padding}{extra})")


# DCGAN's generator (Radford et al. 2016; PyTorch's example): a 100-number code to 64x64 RGB, no
# biases (batch norm, left out here, follows each layer but the last).
DCGAN_GENERATOR = (Layer("ConvTranspose2d", 100, 512, 4, 1, 0, bias=False),
                   *(Layer("ConvTranspose2d", c, c // 2 if c > 64 else 3, 4, 2, 1, bias=False)
                     for c in (512, 256, 128, 64)))

# A segmentation decoder (no skip connections): three exact x2 layers, then a 1x1 convolution
# gives one score per class and pixel.
SEGMENTATION_DECODER = (Layer("ConvTranspose2d", 256, 128, 2, 2, 0),
                        Layer("ConvTranspose2d", 128, 64, 3, 2, 1, output_padding=1),
                        Layer("ConvTranspose2d", 64, 32, 4, 2, 1), Layer("Conv2d", 32, 5, 1))


def stack_shapes(input_shape, layers):
    """Shapes through a stack from the size formulas: one dict per layer with the keys layer, input,
    weight, output (shape tuples) and parameters (weights + biases). input_shape: (N, C, H, H)."""
    rows, (N, C, H, W) = [], input_shape
    for L in layers:
        if C != L.in_channels or H != W:
            raise ValueError(f"{L} expects {L.in_channels} channels of H == W, got {(C, H, W)}")
        k, s, p = L.kernel_size, L.stride, L.padding
        if L.kind == "Conv2d":  # weight (C_out, C_in, kH, kW)
            weight, size = (L.out_channels, C, k, k), conv_output_size(H, k, stride=s, padding=p)
        else:  # weight (C_in, C_out, kH, kW)
            weight, size = (C, L.out_channels, k, k), conv_transpose_output_size(
                H, k, stride=s, padding=p, output_padding=L.output_padding)
        output = (N, L.out_channels, size, size)
        rows.append(dict(layer=str(L), input=(N, C, H, W), weight=weight, output=output,
                         parameters=int(np.prod(weight)) + L.out_channels * L.bias))
        N, C, H, W = output
    return rows


# --- figures and the explorer ------------------------------------------------------------------

def _connections(ax, channels_in, channels_out, groups, fontsize=9):
    """Input channels left, output channels right, one green line per kernel w[c_in, j]."""
    links = channel_connections(channels_in, channels_out, groups)
    for c_out, c_in in zip(*np.nonzero(links)):
        ax.plot([1, 3], [c_in + 0.5, c_out + 0.5], color=draw.COLORS["kernel"], linewidth=1.6)
    draw.grids(ax, [draw.Grid(np.full((n, 1), role), np.arange(n)[:, None], (x, 0), role)
                    for n, role, x in ((channels_in, "input", 0), (channels_out, "output", 3))],
               fontsize=fontsize)
    ax.set_title(f"groups={groups}: {links.sum()} kernels\nConvTranspose2d weight "
                 f"({channels_in}, {channels_out // groups}, kH, kW)", fontsize=fontsize)


CONTROLS = {"channels_in": (1, 12), "channels_out": (1, 12), "groups": (1, 12)}


@explains_invalid
def render_groups(channels_in=4, channels_out=4, groups=2):
    """Which input channels feed which output channels of a ConvTranspose2d with these groups."""
    check_controls(CONTROLS, channels_in=channels_in, channels_out=channels_out, groups=groups)
    fig, ax = draw.new_figure(4.5, 6)
    _connections(ax, channels_in, channels_out, groups, fontsize=12)
    return fig


def groups_explorer():  # sliders for the channel counts and groups; 450x600 px
    return explorer(render_groups, {n: slider(n, v, *CONTROLS[n]) for n, v in
                                    dict(channels_in=4, channels_out=4, groups=2).items()}, dpi=100)


def _arrow(ax, start, end, text="", fontsize=9):
    ax.annotate("", end, start, arrowprops=dict(arrowstyle="-|>", color="0.2", linewidth=1.4))
    ax.text((start[0] + end[0]) / 2, start[1] + 0.25, text, ha="center", va="top", fontsize=fontsize)


def figure_channels():
    """Two input channels, one output channel: input channel c_in stamps w[c_in, 0]; they add."""
    x = np.stack([example_input(4)[:2, :2], example_input(4)[2:, 2:]])  # (C_in=2, 2, 2)
    w = np.stack([example_kernel(2), example_kernel(4)[2:, 2:]])[:, None]  # (C_in=2, C_out=1, 2, 2)
    parts = [conv_transpose2d(x[None, c:c + 1], w[c:c + 1])[0, 0] for c in range(2)]
    fig, ax = draw.new_figure(8.25, 4.5)
    items = [draw.Grid(np.full((3, 3), "output"), sum(parts), (12, 2.6), "output channel 0")]
    for c, y0 in ((0, 0), (1, 5.2)):
        items += [draw.Grid(np.full((2, 2), "input"), x[c], (0, y0 + 0.5), f"input channel {c}"),
                  draw.Grid(np.full((2, 2), "kernel"), w[c, 0], (3.7, y0 + 0.5), f"kernel w[{c}, 0]"),
                  draw.Grid(draw.fill((3, 3), "output", 0.25), parts[c], (7, y0), f"stamps of {c}")]
        _arrow(ax, (5.9, y0 + 1.5), (6.8, y0 + 1.5))
    draw.grids(ax, items)
    for x, sign in ((8.5, "+"), (11, "=")):
        ax.text(x, 4.1, sign, ha="center", va="center", fontsize=18)
    fig.suptitle("conv_transpose2d, stride 1: input channel c_in stamps kernel w[c_in, 0] onto "
                 "output channel 0,\nand the stamps of the two input channels add up", fontsize=10)
    ax.set_ylim(9.4, -1.2)
    draw.legend(fig, ["input", "kernel", "output"], {"output": "output (lighter: one channel's stamps)"})
    return fig


def _block_matrix(ax, M, blocks, title):
    """M's nonzero entries as numbers in the kernel colour, block lines, block names outside."""
    R, K = M.shape[0] // blocks[0], M.shape[1] // blocks[1]
    draw.grids(ax, [draw.Grid(np.where(M != 0, "kernel", "empty"), np.where(M != 0, M.astype(int), ""),
                              (0, 0), None, 1, (R, K))], fontsize=7)
    for a in range(blocks[0]):
        ax.text(-0.4, (a + 0.5) * R, f"out {a}", ha="right", va="center", fontsize=9)
    for b in range(blocks[1]):
        ax.text((b + 0.5) * K, -0.4, f"in {b}", ha="center", va="bottom", fontsize=9)
    ax.set_title(title, fontsize=9, loc="left", pad=26)


def figure_weight_layout():
    """C of a conv2d with 2 input and 3 output channels, and its transpose, block by block."""
    w = np.arange(1, 25, dtype=float).reshape(3, 2, 2, 2)  # (C_out=3, C_in=2, 2, 2): all different
    C = conv2d_matrix(w, (2, 3, 3))  # (3*4, 2*9)
    fig, axes = draw.new_figure(10.5, 6.5, ncols=2, gridspec_kw={"width_ratios": [18, 12]})
    _block_matrix(axes[0], C, (3, 2), "C of Conv2d(in_channels=2, out_channels=3)\nblock rows = output channels "
                  "c_out, block columns = input channels c_in:\nblock (c_out, c_in) holds kernel w[c_out, c_in]")
    _block_matrix(axes[1], C.T, (2, 3), "Cᵀ of ConvTranspose2d(in_channels=3, "
                  "out_channels=2),\nthe same w. Block rows = output channels c_out\n(the Conv2d's "
                  "inputs), block columns = input channels\nc_in: block (c_out, c_in) holds w[c_in, c_out]ᵀ")
    fig.suptitle("w = 1, 2, …, 24 in shape (3, 2, 2, 2): w[0, 0] is 1–4, w[0, 1] is 5–8, w[1, 0] is "
                 "9–12, …, w[2, 1] is 21–24", fontsize=10)
    draw.legend(fig, ["kernel"], labels={"kernel": "a weight of w (white: zero)"})
    return fig


def figure_groups():
    """Which input channels feed which output channels: standard, grouped, depthwise."""
    fig, axes = draw.new_figure(9, 4.25, ncols=3)
    for ax, groups in zip(axes, (1, 2, 4)):
        _connections(ax, 4, 4, groups)
    fig.suptitle("ConvTranspose2d(4, 4): each green line is one kernel w[c_in, j], j = the output "
                 "channel's place within its group\n(groups=1: j = c_out); groups=4 is depthwise", fontsize=10)
    return fig


def _shape_strip(ax, y, input_shape, layers, label):
    """One square per feature map, its side proportional to H (64 pixels = 3.2 units), at least 0.6."""
    shapes = [tuple(input_shape)] + [r["output"] for r in stack_shapes(input_shape, layers)]
    x, items = 0.0, []
    for j, (_, C, H, W) in enumerate(shapes):
        side = max(0.05 * H, 0.6)
        items.append(draw.Grid([["input" if j == 0 else "output"]], None, (x, y - side / 2), None, side))
        ax.text(x + side / 2, y + 1.75, f"{C} ch\n{H}×{W}", ha="center", va="top", fontsize=10)
        for L in layers[j:j + 1]:  # the layer after this map, if any
            op = f"\nop={L.output_padding}" * bool(L.output_padding)
            _arrow(ax, (x + side + 0.1, y), (x + side + 1.6, y), f"{'conv' if L.kind == 'Conv2d' else 'convT'}"
                   f"\nk={L.kernel_size} s={L.stride}\np={L.padding}{op}")
        x += side + 1.7
    ax.text(-0.3, y - 2.0, label, ha="left", va="bottom", fontsize=11, fontweight="bold")
    return items


def figure_decoders():
    """Shapes through the DCGAN generator and the segmentation decoder, sides proportional to H."""
    fig, ax = draw.new_figure(10.5, 6.5)
    items = _shape_strip(ax, 2.0, (1, 100, 1, 1), DCGAN_GENERATOR,
                         "DCGAN generator: a 100-number code (input) to a 64×64 RGB image (output)")
    items += _shape_strip(ax, 8.0, (1, 256, 8, 8), SEGMENTATION_DECODER,
                          "segmentation decoder: 8×8 features (input) to 5 class scores per pixel")
    draw.grids(ax, items)
    draw.legend(fig, ["input", "output"], {"input": "input (side ∝ H, at least 0.6)"}, fontsize=10)
    return fig


FIGURES = {"05_channels.png": figure_channels, "05_weight_layout.png": figure_weight_layout,
           "05_groups.png": figure_groups, "05_decoders.png": figure_decoders}


# --- exercises (each checker computes its own answer and never prints it) -----------------------

def check_weight_shape(answer):
    """Exercise 1: weight of a groups=4, 3x5 ConvTranspose2d, (8, 64, 7, 7) -> (8, 32, 15, 17)."""
    a = tuple(answer) if np.ndim(answer) == 1 and len(answer) == 4 else ()
    hint = next((h for wrong, h in [
        (a[:1] == (8,), "the batch size N is not part of a weight: one layer takes batches of any size."),
        (a[2:] not in ((3, 5), ()), "the last two axes are the kernel's (kH, kW), not the image's size."),
        (a[:1] == (32,), "that is Conv2d's order: a transposed convolution's weight starts with C_in."),
        (a[1:2] == (32,), "with groups=4, an input channel has kernels only for its own group's outputs.")]
        if wrong), "the weight is (C_in, C_out/groups, kH, kW); read C_in and C_out off the shapes.")
    return exercises.check_value(answer, (64, 32 // 4, 3, 5), hint)


def check_stack_shape(answer):
    """Exercise 2: the output shape, on an (8, 128, 7, 7) batch, of the stack in the exercise."""
    stack = (Layer("ConvTranspose2d", 128, 64, 3, 2, 1, output_padding=1),
             Layer("ConvTranspose2d", 64, 32, 4, 2, 1), Layer("ConvTranspose2d", 32, 1, 5, 1, 2))
    return exercises.check_value(answer, stack_shapes((8, 128, 7, 7), stack)[-1]["output"],
                                 "apply o = (i-1)s - 2p + (k-1) + output_padding + 1 layer by layer; "
                                 "N never changes, the channels are the last out_channels.")


def check_grouped(function):
    """Exercise 3: the learner's grouped(x, w, groups, stride) from ungrouped conv_transpose2d calls."""
    class _Shape(np.ndarray):  # a case's array, printed in a failing case as its shape only
        __repr__ = lambda self: f"<an array of shape {self.shape}>"  # noqa: E731
    rng = np.random.default_rng(21)
    cases = [dict(x=rng.standard_normal((n, ci, h, h)).view(_Shape),
                  w=rng.standard_normal((ci, co, k, k)).view(_Shape), groups=g, stride=s)
             for n, ci, co, h, k, g, s in
             [(1, 2, 1, 3, 2, 2, 1), (2, 6, 2, 2, 3, 3, 2), (1, 4, 3, 3, 2, 2, 2), (2, 8, 1, 2, 2, 8, 1)]]
    return exercises.check_function(
        function, lambda x, w, groups, stride: conv_transpose2d(x, w, stride=stride, groups=groups),
        cases, "group g owns input channels g*C_in/groups to (g+1)*C_in/groups - 1 and the same "
        "rows of w: one conv_transpose2d per group, then concatenate along the channel axis.")


LAYOUT_OPTIONS = {  # option: why it is right or wrong
    "ConvTranspose2d(in_channels=8, out_channels=12), the weight (12, 2, 3, 3) unchanged.": "That maps 8 "
    "channels to 12, like the Conv2d itself; ConvTranspose2d's first weight axis counts its input channels, and 12 ≠ 8.",
    "ConvTranspose2d(in_channels=12, out_channels=8), the weight (12, 2, 3, 3) unchanged.": "Cᵀ's input "
    "channels are the Conv2d's 12 output channels, and the array is reused as it is: (C_in=12, C_out/groups=8/4=2, 3, 3).",
    "ConvTranspose2d(in_channels=12, out_channels=8), the weight permuted to (2, 12, 3, 3).": "Nothing needs "
    "permuting: block (c_out, c_in) of C is block (c_in, c_out) of Cᵀ, and ConvTranspose2d reads its weight as "
    "(C_in, C_out/groups, kH, kW).",
    "ConvTranspose2d(in_channels=12, out_channels=8), each 3×3 kernel rotated by 180°.": "The rotation happens "
    "inside the transposed convolution (view 3 of notebook 03): the stored weight is the Conv2d's, unrotated.",
}


def layout_question():  # Exercise 4: the weight layout is not the same as Conv2d's
    return exercises.choice(
        "Conv2d(in_channels=8, out_channels=12, kernel_size=3, groups=4) has a weight of shape "
        "(12, 2, 3, 3). Which layer, with groups=4, computes its transpose Cᵀ with that weight?",
        LAYOUT_OPTIONS, correct=list(LAYOUT_OPTIONS)[1])
