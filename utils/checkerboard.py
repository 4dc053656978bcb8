"""Notebook 05: checkerboard artifacts and learned upsampling.

Overlap:   overlap_map, interior_margin, interior, max_min_ratio, render_overlap, overlap_explorer
Fixes:     uniform_kernel, bilinear_kernel, upsample_nearest, upsample_bilinear,
           bilinear_transposed_upsample, resize_conv
Learning:  load_photo, downsample2, photo_split, training_patches, train_upsampler, psnr,
           upsampling_experiment
Exercises: check_uneven, check_overlap_count, check_ratio, check_bilinear_kernel
FIGURES:   the static figures of notebook 05 (python -m tools.figures 05_)
"""

import functools

import numpy as np
from matplotlib.figure import Figure

from . import draw, exercises
from .draw import format_value
from .conv import conv2d, conv_transpose2d, conv_transpose2d_backward
from .exercises import check_value, feedback
from .widgets import check_controls, explains_invalid

# ---------------------------------------------------------------------------
# 1. Uneven overlap: an all-ones transposed convolution of an all-ones input (C.T @ 1)
# ---------------------------------------------------------------------------


def _check_overlap_args(k, s, layers, dims):
    for name, value, low in (("k", k, 1), ("s", s, 1), ("layers", layers, 1)):
        if int(value) != value or value < low:
            raise ValueError(f"{name} must be an int >= {low}, got {value!r}")
    if dims not in (1, 2):
        raise ValueError(f"dims must be 1 or 2, got {dims!r}")


def overlap_map(i, k, s, layers=1, dims=2):
    """Kernel stamps per output cell: all-ones input, all-ones kernel, no padding.

    Applies the transposed convolution `layers` times (each layer's output is
    the next layer's input). Returns a 1-D array of length o (dims=1) or an
    (o, o) array (dims=2), o = (i-1)s + k after one layer.
    """
    _check_overlap_args(k, s, layers, dims)
    shape, kernel, stride = ((1, i), (1, k), (1, s)) if dims == 1 else ((i, i), (k, k), (s, s))
    counts = np.ones((1, 1, *shape))
    for _ in range(layers):
        counts = conv_transpose2d(counts, np.ones((1, 1, *kernel)), stride=stride)
    return counts[0, 0, 0] if dims == 1 else counts[0, 0]


def interior_margin(k, s, layers=1):
    """Cells at each edge that see fewer stamps than the interior: m = k-1, then m*s + k-1 per layer."""
    margin = 0
    for _ in range(layers):
        margin = margin * s + k - 1
    return margin


def interior(counts, k, s, layers=1):
    """counts without the edge cells that lack stamps from outside the input (1-D or 2-D)."""
    m = interior_margin(k, s, layers)
    inner = counts[m: counts.shape[-1] - m]
    return inner if counts.ndim == 1 else inner[:, m: counts.shape[-1] - m]


def interior_input_size(k, s, layers, cells):
    """The smallest input size whose output interior has at least `cells` cells per axis."""
    m = interior_margin(k, s, layers)
    i = 1
    while True:
        o = i
        for _ in range(layers):
            o = (o - 1) * s + k
        if o - 2 * m >= cells:
            return i
        i += 1


def max_min_ratio(values):
    """max/min of the values; inf when some value is 0 (cells that no stamp reaches)."""
    low = float(np.min(values))
    return float("inf") if low == 0 else float(np.max(values)) / low


def interior_ratio(k, s, layers=1, dims=1):
    """The interior max/min ratio of the overlap map (the pattern repeats every s**layers cells)."""
    i = interior_input_size(k, s, layers, s ** layers)
    return max_min_ratio(interior(overlap_map(i, k, s, layers, dims), k, s, layers))


def describe_ratio(ratio):
    """One line for learners: the ratio and what it means."""
    if ratio == float("inf"):
        return "interior max/min = inf: some cells get no stamp at all (k < s)"
    if ratio == 1:
        return "interior max/min = 1.00: every cell gets the same number of stamps (even)"
    return f"interior max/min = {ratio:.2f}: uneven overlap, a checkerboard"


def _count_colors(counts, top=None):
    """Cell colours for stamp counts: darker output colour for more stamps, white for none."""
    top = float(np.max(counts)) if top is None else top
    strength = np.where(counts > 0, 0.15 + 0.75 * counts / max(top, 1e-12), 0.0)
    rgb = np.array(draw.tint("output", 1.0))
    return 1 - strength[..., None] * (1 - rgb)


CELLS = {1: 24, 2: 16}  # interior cells the explorer shows per axis
OVERLAP_CONTROLS = {"k": (1, 8), "s": (1, 4), "layers": (1, 3), "dims": [1, 2]}


@explains_invalid
def render_overlap(k=3, s=2, layers=1, dims=2):
    """The interior of the overlap map (stamps per output cell) and its max/min ratio.

    k: kernel size, s: stride, layers: stacked transposed convolutions (1-3),
    dims: 1 or 2. Returns a Figure, or a one-line string for invalid values.
    """
    check_controls(OVERLAP_CONTROLS, k=k, s=s, layers=layers, dims=dims)
    cells = CELLS[dims]
    i = interior_input_size(k, s, layers, max(cells, s ** layers))
    inner = interior(overlap_map(i, k, s, layers, dims), k, s, layers)
    ratio = max_min_ratio(inner)
    window = inner[:cells] if dims == 1 else inner[:cells, :cells]
    plural = "s" if layers > 1 else ""
    verdict = ("some cells get no stamp" if ratio == float("inf") else
               "even" if ratio == 1 else "uneven: a checkerboard")
    # short titles, a fixed layout and text only where it is read keep a redraw fast
    title = (f"output: stamps per cell, k={k}, s={s}, {layers} layer{plural} "
             f"(input and kernel: ones)\ninterior max/min = {ratio:.2f} ({verdict}); "
             f"cells hold {format_value(window.min())} to {format_value(window.max())}")
    if dims == 1:
        fig = Figure(figsize=(8, 1.5))
        ax = fig.add_axes((0.01, 0.05, 0.98, 0.5))
        draw.draw_grid(ax, _count_colors(window[None]), window[None], fontsize=8)
    else:
        fig = Figure(figsize=(4.75, 5))
        ax = fig.add_axes((0.03, 0.02, 0.94, 0.86))
        draw.draw_grid(ax, _count_colors(window), None, linewidth=0.5)
    fig.suptitle(title, fontsize=9)
    return fig


def overlap_explorer():
    """Sliders for k, s and the number of stacked layers, and a 1-D/2-D switch."""
    import ipywidgets as widgets

    from .widgets import explorer, slider

    controls = {
        "k": slider("kernel size k", 3, *OVERLAP_CONTROLS["k"]),
        "s": slider("stride s", 2, *OVERLAP_CONTROLS["s"]),
        "layers": slider("stacked layers", 1, *OVERLAP_CONTROLS["layers"]),
        "dims": widgets.ToggleButtons(options=[("1-D", 1), ("2-D", 2)], value=2),
    }
    return explorer(render_overlap, controls)


# ---------------------------------------------------------------------------
# 2. The fixes
# ---------------------------------------------------------------------------


def uniform_kernel(k, s):
    """A k x k kernel of equal weights s**2 / k**2 (its average gain per output cell is 1)."""
    return np.full((k, k), s * s / (k * k))


def bilinear_kernel(factor=2):
    """The (k, k) kernel, k = 2f - f % 2, that makes a stride-f transposed convolution bilinear.

    1-D weights 1 - |distance to the centre| / f; the 2-D kernel is their outer product.
    """
    size = 2 * factor - factor % 2
    centre = (size - 1) / 2
    weights = 1 - np.abs(np.arange(size) - centre) / factor
    return np.outer(weights, weights)


def bilinear_padding(factor=2):
    """The padding that makes the bilinear transposed convolution's output exactly factor * i."""
    return (factor - factor % 2) // 2


def bilinear_transposed_upsample(x, factor=2):
    """Upsample x (H, W) with a transposed convolution initialised with the bilinear kernel."""
    w = bilinear_kernel(factor)[None, None]
    return conv_transpose2d(np.asarray(x, float)[None, None], w, stride=factor,
                            padding=bilinear_padding(factor))[0, 0]


def upsample_nearest(x, factor=2):
    """Repeat every pixel factor x factor times: (..., H, W) -> (..., fH, fW)."""
    return np.repeat(np.repeat(x, factor, axis=-2), factor, axis=-1)


def _interpolate_axis(x, factor, axis):
    n = x.shape[axis]
    # output pixel j sits at input coordinate (j + 1/2)/f - 1/2; np.interp clamps at the edges
    positions = (np.arange(factor * n) + 0.5) / factor - 0.5
    return np.apply_along_axis(lambda v: np.interp(positions, np.arange(n), v), axis, x)


def upsample_bilinear(x, factor=2):
    """Bilinear interpolation with pixel centres aligned (align_corners=False), edges clamped."""
    x = np.asarray(x, dtype=float)
    return _interpolate_axis(_interpolate_axis(x, factor, -2), factor, -1)


def resize_conv(x, w, mode="nearest", factor=2):
    """Resize-convolution: upsample x (H, W) by nearest or bilinear, then a stride-1 'same' conv."""
    up = upsample_nearest(x, factor) if mode == "nearest" else upsample_bilinear(x, factor)
    return conv2d(up[None, None], np.asarray(w)[None, None], padding=w.shape[0] // 2)[0, 0]


def fix_outputs(x):
    """The five x2 upsamplings of the fixes comparison, applied to x (H, W): {name: (2H, 2W)}."""
    x = np.asarray(x, dtype=float)
    blur = np.full((3, 3), 1 / 9)

    def transposed(w, p, op):
        return conv_transpose2d(x[None, None], w[None, None], stride=2, padding=p,
                                output_padding=op)[0, 0]

    return {
        "transposed conv\nk=3, s=2 (uneven)": transposed(uniform_kernel(3, 2), 1, 1),
        "transposed conv\nk=4, s=2 (divisible)": transposed(uniform_kernel(4, 2), 1, 0),
        "nearest resize\n+ 3x3 conv": resize_conv(x, blur, "nearest"),
        "bilinear resize\n+ 3x3 conv": resize_conv(x, blur, "bilinear"),
        "transposed conv, k=4, s=2\nbilinear kernel": bilinear_transposed_upsample(x),
    }


# ---------------------------------------------------------------------------
# 3. Learned x2 upsampling of a photograph
# ---------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _photo():
    import matplotlib.cbook
    import matplotlib.image

    rgb = matplotlib.image.imread(matplotlib.cbook.get_sample_data("grace_hopper.jpg"),
                                  format="jpg")
    gray = (rgb[..., :3].astype(np.float64) / 255) @ np.array([0.299, 0.587, 0.114])
    gray.setflags(write=False)
    return gray


def load_photo():
    """Grace Hopper (ships with matplotlib), grayscale float64 in [0, 1], shape (600, 512)."""
    return _photo().copy()


def downsample2(x):
    """2x2 average pooling: (..., H, W) -> (..., H/2, W/2); H and W must be even."""
    H, W = x.shape[-2:]
    if H % 2 or W % 2:
        raise ValueError(f"downsample2 needs even sizes, got {H}x{W}")
    return x.reshape(*x.shape[:-2], H // 2, 2, W // 2, 2).mean(axis=(-3, -1))


HELD_OUT_ROWS = 160  # the bottom rows of the photo: never seen in training


def photo_split(image):
    """(training part, held-out part): everything above the last HELD_OUT_ROWS rows, and those."""
    return image[:-HELD_OUT_ROWS], image[-HELD_OUT_ROWS:]


def training_patches(train_image, count=32, size=48, seed=0):
    """`count` random size x size crops at even offsets: (low_res, high_res), each (N, 1, h, w)."""
    rng = np.random.default_rng(seed)
    rows = 2 * rng.integers(0, (train_image.shape[0] - size) // 2 + 1, count)
    cols = 2 * rng.integers(0, (train_image.shape[1] - size) // 2 + 1, count)
    high = np.stack([train_image[r: r + size, c: c + size] for r, c in zip(rows, cols)])[:, None]
    return downsample2(high), high


def upsampler_padding(k):
    """(padding, output_padding) that make a k x k, stride-2 transposed convolution exactly x2."""
    # o = (i-1)*2 - 2p + k + output_padding = 2i  <=>  output_padding = 2p + 2 - k
    p = (k - 1) // 2
    return p, 2 * p + 2 - k


def train_upsampler(low_res, high_res, k, steps=400, learning_rate=0.05, seed=0, margin=2):
    """Fit one transposed convolution (1 channel, k x k, stride 2, bias) with Adam.

    low_res: (N, 1, h, w), high_res: (N, 1, 2h, 2w). Loss: mean squared error
    over each patch without `margin` border pixels. Gradients come from
    conv_transpose2d_backward. Returns {"w": (1, 1, k, k), "b": (1,), "losses": (steps,)}.
    """
    rng = np.random.default_rng(seed)
    p, op = upsampler_padding(k)
    w = rng.normal(0.0, 0.1, size=(1, 1, k, k))
    b = np.zeros(1)
    mask = np.zeros(high_res.shape)
    mask[..., margin: high_res.shape[-2] - margin, margin: high_res.shape[-1] - margin] = 1
    n = mask.sum()
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    moments = {"w": [np.zeros_like(w), np.zeros_like(w)], "b": [np.zeros(1), np.zeros(1)]}
    params = {"w": w, "b": b}
    losses = []
    for t in range(1, steps + 1):
        out = conv_transpose2d(low_res, params["w"], params["b"], stride=2, padding=p,
                               output_padding=op)
        error = (out - high_res) * mask
        losses.append(np.sum(error ** 2) / n)
        _, grad_w, grad_b = conv_transpose2d_backward(low_res, params["w"], 2 * error / n,
                                                      stride=2, padding=p, output_padding=op)
        for name, grad in (("w", grad_w), ("b", grad_b)):
            m, v = moments[name]
            m[...] = beta1 * m + (1 - beta1) * grad
            v[...] = beta2 * v + (1 - beta2) * grad ** 2
            step = (m / (1 - beta1 ** t)) / (np.sqrt(v / (1 - beta2 ** t)) + eps)
            params[name] = params[name] - learning_rate * step
    return {"w": params["w"], "b": params["b"], "losses": np.array(losses)}


def apply_upsampler(model, low_res):
    """Run a trained upsampler on low_res (h, w) -> (2h, 2w)."""
    k = model["w"].shape[-1]
    p, op = upsampler_padding(k)
    return conv_transpose2d(np.asarray(low_res)[None, None], model["w"], model["b"], stride=2,
                            padding=p, output_padding=op)[0, 0]


def psnr(estimate, target, margin=4):
    """Peak signal-to-noise ratio in dB for images in [0, 1], ignoring `margin` border pixels."""
    H, W = target.shape[-2:]
    crop = (..., slice(margin, H - margin), slice(margin, W - margin))
    mse = np.mean((estimate[crop] - target[crop]) ** 2)
    return 10 * np.log10(1.0 / mse)


@functools.lru_cache(maxsize=4)
def _experiment(count, size, steps, learning_rate, seed):
    photo = _photo()
    train_image, held_out = photo_split(photo)
    low_res, high_res = training_patches(train_image, count, size, seed)
    held_low = downsample2(held_out)
    models = {k: train_upsampler(low_res, high_res, k, steps, learning_rate, seed) for k in (3, 4)}
    outputs = {"nearest": upsample_nearest(held_low), "bilinear": upsample_bilinear(held_low)}
    for k, model in models.items():
        outputs[f"learned k={k}"] = apply_upsampler(model, held_low)
    scores = {name: psnr(out, held_out) for name, out in outputs.items()}
    return {"models": models, "held_out": held_out, "held_low": held_low, "outputs": outputs,
            "psnr": scores}


def upsampling_experiment(count=32, size=48, steps=400, learning_rate=0.05, seed=0):
    """Train k=3 and k=4 upsamplers on patches of the upper photo; score all four on the bottom.

    Returns {"models": {3: model, 4: model}, "held_out", "held_low",
    "outputs": {name: (160, 512)}, "psnr": {name: dB}}. Seeded; cached per arguments.
    """
    return _experiment(count, size, steps, learning_rate, seed)


def psnr_table(scores):
    """The PSNR table as text, rounded to 2 decimals."""
    lines = [f"{'method':<14}{'PSNR (dB)':>10}"]
    lines += [f"{name:<14}{value:>10.2f}" for name, value in scores.items()]
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# 4. Exercise checkers (they compute the expected value; they never print it)
# ---------------------------------------------------------------------------

UNEVEN_PAIRS = ((3, 2), (4, 2), (5, 2), (6, 3), (5, 3), (9, 3), (2, 4))


def check_uneven(answer):
    """Exercise 1: a list of True (uneven) / False (even), one per (k, s) in UNEVEN_PAIRS."""
    expected = [interior_ratio(k, s) != 1 for k, s in UNEVEN_PAIRS]
    try:
        correct = answer is not None and [bool(a) for a in answer] == expected
    except TypeError:  # not a list
        correct = False
    return feedback(answer, correct,
                    "stamps start every s cells and are k cells long. Write out the 1-D counts "
                    "for one (k, s) pair by hand, or ask: does a whole number of strides fit in k?")


def check_overlap_count(answer):
    """Exercise 2: stamps on output cell (7, 8) of a 6x6 all-ones input, k=5, s=2."""
    expected = overlap_map(6, 5, 2)[7, 8]
    return check_value(answer, expected,
                       "count rows and columns separately: stamp n covers the cells n*s to "
                       "n*s + k - 1. Count the stamps that reach row 7, those that reach "
                       "column 8, and multiply.")


def check_ratio(answer):
    """Exercise 3: the interior max/min ratio for k=5, s=3 in 2-D."""
    expected = interior_ratio(5, 3, 1, dims=2)
    return check_value(answer, expected,
                       "first find the 1-D counts for the three cells of one period (k=5, s=3); "
                       "a 2-D count is a row count times a column count.", atol=1e-6)


def check_bilinear_kernel(answer):
    """Exercise 4: the 4x4 kernel that makes a k=4, s=2, p=1 transposed convolution bilinear."""
    expected = bilinear_kernel(2)
    return check_value(np.asarray(answer, float) if answer is not None else None, expected,
                       "it is the outer product of a 1-D kernel with itself. In bilinear x2, "
                       "each output pixel lies 1/4 pixel from one input pixel and 3/4 from "
                       "the next: the closer one gets the larger weight.")


def _overlap_counts_1d(k, s, n):
    """Stamps per output cell of a 1-D transposed convolution of n ones with k ones, stride s."""
    return conv_transpose2d(np.ones((1, 1, 1, n)), np.ones((1, 1, 1, k)), stride=(1, s))[0, 0, 0]


def check_overlap_counts(function):
    """Exercise 5: the learner's overlap_counts(k, s, n), on layers the notebook never drew."""
    cases = [dict(k=k, s=s, n=n) for k, s, n in
             [(5, 2, 7), (7, 3, 5), (2, 3, 4), (6, 2, 3), (4, 4, 3), (1, 2, 5), (9, 4, 4), (3, 1, 4)]]
    return exercises.check_function(
        function, _overlap_counts_1d, cases,
        "there are (n − 1)·s + k output cells, and the stamp of input a starts at cell a·s. Which "
        "cells does it cover?")


FLAT_INPUT_OPTIONS = {
    "A flat image: a flat input stays flat.":
        "The stamps overlap unevenly: with k = 5 and s = 2, an interior row gets 3 or 2 stamps, a "
        "column too, and a cell gets their product: 9, 6 or 4.",
    "A grid with period 2 of 4s, 6s and 9s.":
        "Each cell adds the stamps that reach it, and 5 is not a multiple of 2: rows alternate "
        "between 3 and 2 stamps, columns too, and a cell gets their product.",
    "Ones separated by zeros, as stride 2 inserts zeros between the input values.":
        "Zeros are inserted in view 3's input, but the kernel (5 wide) is wider than the stride (2), "
        "so the stamps cover every output cell. Gaps appear only when k < s.",
    "A flat image of 6.25, the average overlap k²/s².":
        "25/4 is the average number of stamps per cell, but no cell gets the average: each gets "
        "4, 6 or 9.",
}


def flat_input_question():
    """Exercise 6: what a k=5, s=2 transposed convolution of ones does to a flat input of ones."""
    return exercises.choice(
        "A transposed convolution with k = 5, s = 2 and all weights equal to 1 is applied to a "
        "flat 8×8 input of ones. What comes out, away from the borders?",
        FLAT_INPUT_OPTIONS, correct="A grid with period 2 of 4s, 6s and 9s.")


# ---------------------------------------------------------------------------
# Static figures
# ---------------------------------------------------------------------------


def _stamps_panel(ax, i, k, s, origin_x=0):
    """Input row, one stamp row per input cell, and the output counts row (1-D)."""
    o = (i - 1) * s + k
    draw.draw_grid(ax, draw.fill((1, i), "input"), np.ones((1, i)), origin=(origin_x, 0))
    ax.text(origin_x - 0.3, 0.5, "input", ha="right", va="center", fontsize=9)
    for n in range(i):
        y0 = 2 + n
        draw.draw_grid(ax, draw.fill((1, k), "kernel"), np.ones((1, k)),
                       origin=(origin_x + n * s, y0), linewidth=0.8)
    ax.text(origin_x - 0.3, 2 + i / 2, f"{i} stamps\n(kernel of ones,\nstarting s={s} apart)",
            ha="right", va="center", fontsize=8)
    counts = overlap_map(i, k, s, dims=1)
    y_out = 3 + i
    draw.draw_grid(ax, _count_colors(counts[None]), counts[None], origin=(origin_x, y_out))
    ax.text(origin_x - 0.3, y_out + 0.5, "output", ha="right", va="center", fontsize=9)
    m = interior_margin(k, s)
    draw.outline(ax, 0, m, 1, o - 2 * m, origin=(origin_x, y_out))
    ax.text(origin_x + o / 2, y_out + 1.4,
            f"k={k}, s={s}: {describe_ratio(max_min_ratio(counts[m:o - m]))}",
            ha="center", va="top", fontsize=9)
    ax.set_xlim(origin_x - 6, origin_x + o + 0.2)
    ax.set_ylim(y_out + 3, -0.6)


def figure_overlap_1d():
    fig, axes = draw.new_figure(11, 3.5, ncols=2)
    _stamps_panel(axes[0], 5, 3, 2)
    _stamps_panel(axes[1], 5, 4, 2)
    fig.suptitle("1-D transposed convolution of an all-ones input with an all-ones kernel: "
                 "output = Cᵀ·1 counts the stamps on each cell (interior outlined)", fontsize=10)
    return fig


def figure_overlap_2d():
    fig, axes = draw.new_figure(11, 5.75, ncols=2)
    for ax, (k, s) in zip(axes, ((3, 2), (4, 2))):
        counts = overlap_map(4, k, s)
        m = interior_margin(k, s)
        draw.draw_grid(ax, _count_colors(counts), counts)
        o = counts.shape[0]
        draw.outline(ax, m, m, o - 2 * m, o - 2 * m)
        ratio = max_min_ratio(interior(counts, k, s))
        ax.set_title(f"output, k={k}, s={s}: stamps per cell\n{describe_ratio(ratio)}",
                     fontsize=9)
    fig.suptitle("2-D: input 4x4 of ones, kernel k x k of ones (interior outlined)", fontsize=10)
    return fig


def figure_stacking():
    fig, axes = draw.new_figure(11, 7.75, ncols=3, nrows=2)
    for row, k in enumerate((3, 4)):
        for layers in (1, 2, 3):
            ax = axes[row * 3 + layers - 1]
            i = interior_input_size(k, 2, layers, 16)
            inner = interior(overlap_map(i, k, 2, layers), k, 2, layers)[:16, :16]
            draw.draw_grid(ax, _count_colors(inner), None, linewidth=0.4)
            ratio = max_min_ratio(interior(overlap_map(interior_input_size(k, 2, layers, 2 ** layers),
                                                       k, 2, layers), k, 2, layers))
            ax.set_title(f"k={k}, s=2, {layers} layer{'s' if layers > 1 else ''}\n"
                         f"max/min = {ratio:.2f}", fontsize=9)
    fig.suptitle("Stacked transposed convolutions (output of one is the input of the next): "
                 "stamps per output cell, 16x16 interior cells\ntop: k=3 (uneven) compounds; "
                 "bottom: k=4 (divisible) stays even", fontsize=10)
    return fig


def figure_overlap_explorer_default():
    return render_overlap()


def _fix_input():
    """The shared input of the fixes figure: a 16x16 crop of the downsampled photo."""
    return downsample2(_photo()[168:232, 168:232])


def figure_fixes():
    outputs_flat = fix_outputs(np.ones((8, 8)))
    outputs_photo = fix_outputs(_fix_input())
    fig, axes = draw.new_figure(13, 6.5, ncols=6, nrows=2)
    axes[0].imshow(np.ones((8, 8)), cmap="gray", vmin=0, vmax=2, interpolation="nearest")
    axes[0].set_title("input: 8x8 ones", fontsize=9)
    axes[6].imshow(_fix_input(), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    axes[6].set_title("input: 32x32 photo crop", fontsize=9)
    for col, name in enumerate(outputs_flat, start=1):
        flat = outputs_flat[name]
        axes[col].imshow(flat, cmap="gray", vmin=0, vmax=2, interpolation="nearest")
        ratio = max_min_ratio(flat[3:-3, 3:-3])
        axes[col].set_title(f"output: {name}\ninterior max/min = {ratio:.2f}", fontsize=8)
        axes[6 + col].imshow(outputs_photo[name], cmap="gray", vmin=0, vmax=1,
                             interpolation="nearest")
        axes[6 + col].set_title(f"output: {name}", fontsize=8)
    for ax in axes:
        ax.axis("off")
    fig.suptitle("The fixes on the same inputs (x2 upsampling). Top: a flat input shows the "
                 "overlap pattern (grey scale 0 to 2). Bottom: a crop of the photo", fontsize=10)
    return fig


def figure_bilinear_equivalence():
    x = np.array([[4.0, 8.0, 12.0, 8.0, 4.0]])
    interp = upsample_bilinear(np.repeat(x, 3, axis=0), 2)[2]
    transposed = bilinear_transposed_upsample(np.repeat(x, 3, axis=0), 2)[2]
    fig, ax = draw.new_figure(9, 3.25)
    draw.draw_grid(ax, draw.fill((1, 5), "input"), x, origin=(2.5, 0))
    ax.text(2.2, 0.5, "input", ha="right", va="center")
    draw.draw_grid(ax, draw.fill((1, 10), "output"), interp[None], origin=(0, 2))
    ax.text(-0.3, 2.5, "output:\nbilinear\ninterpolation", ha="right", va="center", fontsize=9)
    draw.draw_grid(ax, draw.fill((1, 10), "output"), transposed[None], origin=(0, 4))
    ax.text(-0.3, 4.5, "output:\ntransposed conv\nk=4, s=2, p=1,\nbilinear kernel", ha="right",
            va="center", fontsize=9)
    for col in (0, 9):
        draw.outline(ax, 4, col, origin=(0, 0))
    ax.set_xlim(-3.5, 10.2)
    ax.set_ylim(5.6, -0.8)
    ax.set_title("x2 along a row: equal everywhere except the outermost output cell on each side "
                 "(outlined),\nwhere the transposed convolution misses a neighbour "
                 "outside the input (zero padding)", fontsize=9)
    return fig


def figure_photo_split():
    photo = _photo()
    # the input is drawn at half the target's size, as it is
    fig, axes = draw.new_figure(5.25, 3.5, ncols=2, gridspec_kw={"width_ratios": [2, 1]})
    axes[0].imshow(photo, cmap="gray", vmin=0, vmax=1)
    rows = photo.shape[0] - HELD_OUT_ROWS
    axes[0].axhline(rows - 0.5, color=draw.COLORS["highlight"], linewidth=2)
    axes[0].text(5, rows - 10, "training part (patches)", color=draw.COLORS["input"],
                 fontsize=8, va="bottom", backgroundcolor="white")
    axes[0].text(5, rows + 10, "held-out part", color=draw.COLORS["highlight"], fontsize=8,
                 va="top", backgroundcolor="white")
    axes[0].set_title("target (output):\nthe original, 600x512", fontsize=8)
    axes[1].imshow(downsample2(photo), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    axes[1].set_title("input: 2x2 average\npooled, 300x256", fontsize=8)
    for ax in axes:
        ax.axis("off")
    fig.suptitle("Learned x2 upsampling: map the input\n(right) back to the target (left)",
                 fontsize=9)
    return fig


def figure_loss_curves():
    result = upsampling_experiment()
    fig, ax = draw.new_figure(7, 4)
    for k, model in result["models"].items():
        ax.plot(np.arange(1, len(model["losses"]) + 1), model["losses"],
                color=draw.COLORS["output" if k == 3 else "kernel"],
                label=f"learned k={k}, s=2")
    # the same loss for the fixed upsamplers, on the same patches and the same mask
    low_res, high_res = training_patches(photo_split(_photo())[0])
    for name, up, style in (("nearest", upsample_nearest, ":"),
                            ("bilinear", upsample_bilinear, "--")):
        error = (up(low_res) - high_res)[..., 2:-2, 2:-2]
        ax.axhline(np.mean(error ** 2), color="0.3", linestyle=style, linewidth=1,
                   label=f"{name} (fixed)")
    ax.set_yscale("log")
    ax.set_xlabel("Adam step")
    ax.set_ylabel("training loss (mean squared error)")
    ax.set_title("Training loss on the patches (input: pooled patch, output: original patch)",
                 fontsize=9)
    ax.legend()
    return fig


ZOOM = (slice(36, 84), slice(72, 168))  # held-out rows/cols: the name tag, sharp edges


def figure_zoomed_crops():
    result = upsampling_experiment()
    target = result["held_out"]
    names = ["nearest", "bilinear", "learned k=3", "learned k=4"]
    fig, axes = draw.new_figure(12, 6.5, ncols=5, nrows=3)
    axes[0].imshow(target[ZOOM], cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    axes[0].set_title("target (original)", fontsize=9)
    labels = {5: "row 2: output minus\ntarget (grey = 0,\nscale -0.2 to 0.2)",
              10: "row 3: output for a\nflat grey input 0.5\n(scale 0.49 to 0.51)"}
    for index, label in labels.items():
        axes[index].text(0.5, 0.5, label, ha="center", va="center", fontsize=9,
                         transform=axes[index].transAxes)
    flat = np.full((16, 16), 0.5)
    for col, name in enumerate(names, start=1):
        out = result["outputs"][name]
        axes[col].imshow(out[ZOOM], cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        axes[5 + col].imshow((out - target)[ZOOM], cmap="gray", vmin=-0.2, vmax=0.2,
                             interpolation="nearest")
        if name.startswith("learned"):
            response = apply_upsampler(result["models"][int(name[-1])], flat)
        elif name == "nearest":
            response = upsample_nearest(flat)
        else:
            response = upsample_bilinear(flat)
        response = response[4:-4, 4:-4]
        axes[10 + col].imshow(response, cmap="gray", vmin=0.49, vmax=0.51,
                              interpolation="nearest")
        axes[col].set_title(f"output: {name}\n{result['psnr'][name]:.2f} dB; flat max/min "
                            f"{max_min_ratio(response):.3f}", fontsize=8)
    for ax in axes:
        ax.axis("off")
    fig.suptitle("Zoomed crop of the held-out part (input: the pooled image). PSNR on the held-out "
                 "part without its 4-pixel margin; flat max/min: interior of the output for a flat "
                 "input", fontsize=10)
    return fig


def figure_learned_kernels():
    result = upsampling_experiment()
    kernels = {"bilinear (fixed)": bilinear_kernel(2)}
    for k, model in result["models"].items():
        kernels[f"learned k={k}, bias {model['b'][0]:+.3f}"] = model["w"][0, 0]
    fig, axes = draw.new_figure(11, 4.25, ncols=3)
    for ax, (name, w) in zip(axes, kernels.items()):
        colors = 1 - (np.clip(w, 0, None) / 1.0)[..., None] * (1 - np.array(draw.tint("kernel", 1)))
        draw.draw_grid(ax, np.clip(colors, 0, 1), np.round(w, 2), decimals=2)
        ax.set_title(f"kernel: {name}", fontsize=9)
    fig.suptitle("The learned kernels next to the bilinear kernel (stride 2): each input pixel "
                 "stamps its value times the kernel into the output", fontsize=10)
    return fig


FIGURES = {
    "05_overlap_1d.png": figure_overlap_1d,
    "05_overlap_2d.png": figure_overlap_2d,
    "05_stacking.png": figure_stacking,
    "05_overlap_explorer_default.png": figure_overlap_explorer_default,
    "05_fixes.png": figure_fixes,
    "05_bilinear_equivalence.png": figure_bilinear_equivalence,
    "05_photo_split.png": figure_photo_split,
    "05_loss_curves.png": figure_loss_curves,
    "05_zoomed_crops.png": figure_zoomed_crops,
    "05_learned_kernels.png": figure_learned_kernels,
}
