"""Notebook 07: checkerboard artifacts and learned upsampling, in four parts: the uneven overlap
of the stamps (and its explorer), the fixes, four x2 upsamplers learned on a photograph, and the
exercise checkers; then FIGURES, the notebook's static figures (python -m tools.figures 07_)."""

import numpy as np
from matplotlib import cbook, image
from matplotlib.cm import ScalarMappable
from matplotlib.colors import ListedColormap, Normalize
from matplotlib.figure import Figure

from . import conv2d, conv2d_backward, conv_transpose2d, draw, exercises
from .widgets import check_controls, explains_invalid, explorer, slider

# 1. Uneven overlap: an all-ones transposed convolution of an all-ones input (C.T @ 1)

def overlap_map(i, k, s, layers=1, dims=2):
    """Kernel stamps per output cell (input and kernel all ones, no padding), after `layers`
    stacked transposed convolutions: (o,) for dims=1, (o, o) for dims=2."""
    if dims not in (1, 2) or any(int(v) != v or v < 1 for v in (k, s, layers)):
        raise ValueError(f"k, s and layers must be ints >= 1 and dims 1 or 2, got k={k!r}, s={s!r}, "
                         f"layers={layers!r}, dims={dims!r}")
    counts, kernel = np.ones((1, 1, 1 if dims == 1 else i, i)), np.ones((1, 1, k, k))
    for _ in range(layers):  # a 1-D map is one row: a (1, k) kernel moving along it
        counts = conv_transpose2d(counts, kernel[..., :1, :] if dims == 1 else kernel,
                                  stride=(1, s) if dims == 1 else s)
    return counts[0, 0, 0] if dims == 1 else counts[0, 0]

def interior_margin(k, s, layers=1):
    """Edge cells with fewer stamps than the interior: k-1 after one layer, m*s + k-1 after each next."""
    return sum((k - 1) * s ** n for n in range(layers))

def interior(counts, k, s, layers=1):
    """counts without the edge cells that lack stamps from outside the input (1-D or 2-D)."""
    m = interior_margin(k, s, layers)
    inner = counts[m: counts.shape[-1] - m]
    return inner if counts.ndim == 1 else inner[:, m: counts.shape[-1] - m]

def interior_map(k, s, layers=1, dims=2, cells=1):
    """The interior of the overlap map of the smallest input that gives it `cells` cells per axis."""
    m = interior_margin(k, s, layers)  # after L layers the interior has (i-1)s^L + 1 - m cells
    i = max(1, -(-(cells + m - 1) // s ** layers) + 1)
    return interior(overlap_map(i, k, s, layers, dims), k, s, layers)

def max_min_ratio(values):
    """max/min of the values; inf when some value is 0 (cells that no stamp reaches)."""
    return float("inf") if np.min(values) == 0 else float(np.max(values) / np.min(values))

def interior_ratio(k, s, layers=1, dims=1):
    """The interior max/min ratio of the overlap map (the pattern repeats every s**layers cells)."""
    return max_min_ratio(interior_map(k, s, layers, dims, s ** layers))

def shades(values, top=None, role="output"):
    """Cell colours for non-negative values: white for 0, the role's full colour at `top`."""
    top = float(np.max(values)) if top is None else top
    t = np.clip(np.asarray(values, float) / max(top, 1e-12), 0, 1)[..., None]
    return 1 - (0.1 + 0.8 * t) * (1 - np.array(draw.tint(role, 1.0))) * (t > 0)

OVERLAP_CONTROLS = {"k": (1, 8), "s": (1, 4), "layers": (1, 3), "dims": [1, 2]}

@explains_invalid
def render_overlap(k=3, s=2, layers=1, dims=2):
    """A window of the overlap map's interior and its max/min ratio; a one-line string if invalid."""
    check_controls(OVERLAP_CONTROLS, k=k, s=s, layers=layers, dims=dims)
    cells = 24 if dims == 1 else 16  # interior cells shown per axis
    inner = interior_map(k, s, layers, dims, max(cells, s ** layers))
    ratio = max_min_ratio(inner)
    window = inner[None, :cells] if dims == 1 else inner[:cells, :cells]
    verdict = ("some cells get no stamp" if ratio == float("inf") else
               "even" if ratio == 1 else "uneven: a checkerboard")
    fig = Figure(figsize=(8, 1.5) if dims == 1 else (4.75, 5))
    ax = fig.add_axes((0.01, 0.05, 0.98, 0.5) if dims == 1 else (0.03, 0.02, 0.94, 0.86))
    draw.grids(ax, [draw.Grid(shades(window), window if dims == 1 else None)], fontsize=8,
               linewidth=1 if dims == 1 else 0.5)
    fig.suptitle(f"output: stamps per cell, k={k}, s={s}, {layers} layer{'s' * (layers > 1)} "
                 f"(input and kernel: ones)\ninterior max/min = {ratio:.2f} ({verdict}); cells "
                 f"hold {draw.format_value(window.min())} to {draw.format_value(window.max())}",
                 fontsize=9)
    return fig

def overlap_explorer():
    """Sliders for k, s and the number of stacked layers, and a 1-D/2-D switch."""
    import ipywidgets as widgets
    return explorer(render_overlap, {
        "k": slider("kernel size k", 3, *OVERLAP_CONTROLS["k"]),
        "s": slider("stride s", 2, *OVERLAP_CONTROLS["s"]),
        "layers": slider("stacked layers", 1, *OVERLAP_CONTROLS["layers"]),
        "dims": widgets.ToggleButtons(options=[("1-D", 1), ("2-D", 2)], value=2)})

# 2. The fixes

def bilinear_kernel(factor=2):
    """The (k, k) kernel, k = 2f - f % 2, that makes a stride-f transposed convolution bilinear:
    1-D weights 1 - |distance to the centre| / f, and their outer product."""
    size = 2 * factor - factor % 2
    weights = 1 - np.abs(np.arange(size) - (size - 1) / 2) / factor
    return np.outer(weights, weights)

def upsample_nearest(x, factor=2):
    """Repeat every pixel factor x factor times: (..., H, W) -> (..., fH, fW)."""
    return np.repeat(np.repeat(x, factor, axis=-2), factor, axis=-1)

def upsample_bilinear(x, factor=2):
    """Bilinear interpolation, pixel centres aligned (align_corners=False), edges repeated."""
    def along(x, axis):
        n = x.shape[axis]
        positions = (np.arange(factor * n) + 0.5) / factor - 0.5  # output j in input coordinates
        return np.apply_along_axis(lambda v: np.interp(positions, np.arange(n), v), axis, x)
    return along(along(np.asarray(x, dtype=float), -2), -1)

def pixel_shuffle(x, r=2):
    """(N, C*r*r, H, W) -> (N, C, rH, rW): channel c*r*r + a*r + b becomes phase (a, b) of c."""
    N, C, H, W = x.shape
    return (x.reshape(N, C // (r * r), r, r, H, W).transpose(0, 1, 4, 2, 5, 3)
            .reshape(N, C // (r * r), H * r, W * r))

def icnr(kernel, r=2):
    """ICNR: every one of the r*r sub-pixel channels starts as the same kernel (kH, kW)."""
    return np.repeat(np.asarray(kernel, float)[None, None], r * r, axis=0)

def phase_sums(w, s):
    """(s, s): entry (a, b) sums the weights w[m, n] with m % s == a and n % s == b."""
    w = np.asarray(w, float)
    return np.array([[w[a::s, b::s].sum() for b in range(s)] for a in range(s)])

def fix_outputs(x):
    """The x2 upsamplings of the fixes comparison, applied to x (H, W): {name: (2H, 2W)}."""
    x, blur = np.asarray(x, float)[None, None], np.full((1, 1, 3, 3), 1 / 9)
    def transposed(w, op=0):  # stride 2, padding 1
        return conv_transpose2d(x, w[None, None], stride=2, padding=1, output_padding=op)[0, 0]
    return {"transposed conv\nk=3, s=2": transposed(np.full((3, 3), 4 / 9), 1),
            "transposed conv\nk=4, s=2": transposed(np.full((4, 4), 1 / 4)),
            "nearest resize\n+ 3x3 conv": conv2d(upsample_nearest(x), blur, padding=1)[0, 0],
            "sub-pixel conv\nICNR": pixel_shuffle(conv2d(x, icnr(blur[0, 0]), padding=1))[0, 0],
            "transposed conv k=4\nbilinear kernel": transposed(bilinear_kernel(2))}

# 3. Learned x2 upsampling of a photograph

def load_photo():
    """Grace Hopper (ships with matplotlib), grayscale float64 in [0, 1], shape (600, 512)."""
    rgb = image.imread(cbook.get_sample_data("grace_hopper.jpg"), format="jpg")
    return (rgb[..., :3].astype(np.float64) / 255) @ np.array([0.299, 0.587, 0.114])

def downsample2(x):
    """2x2 average pooling: (..., H, W) -> (..., H/2, W/2); H and W must be even."""
    H, W = x.shape[-2:]
    if H % 2 or W % 2:
        raise ValueError(f"x must have even height and width, got {H}x{W}")
    return x.reshape(*x.shape[:-2], H // 2, 2, W // 2, 2).mean(axis=(-3, -1))

def training_patches(train_image, count=32, size=48, seed=0):
    """`count` random size x size crops at even offsets: (low_res, high_res), each (N, 1, h, w)."""
    rng = np.random.default_rng(seed)
    rows = 2 * rng.integers(0, (train_image.shape[0] - size) // 2 + 1, count)
    cols = 2 * rng.integers(0, (train_image.shape[1] - size) // 2 + 1, count)
    high = np.stack([train_image[r: r + size, c: c + size] for r, c in zip(rows, cols)])[:, None]
    return downsample2(high), high

def transposed_upsampler(k):
    """forward(x, theta): a k x k stride-2 transposed conv, theta = k*k weights then the bias."""
    p = (k - 1) // 2  # o = (i-1)*2 - 2p + k + output_padding = 2i for output_padding 2p + 2 - k
    return lambda x, theta: conv_transpose2d(x, theta[:-1].reshape(1, 1, k, k), theta[-1:],
                                             stride=2, padding=p, output_padding=2 * p + 2 - k)

def resize_conv(x, theta):
    """Nearest x2, then a 3x3 stride-1 conv: theta = 9 weights, 1 bias."""
    return conv2d(upsample_nearest(x), theta[:9].reshape(1, 1, 3, 3), theta[9:], padding=1)

def sub_pixel_conv(x, theta):
    """A 3x3 conv to 4 channels at low resolution, then pixel_shuffle: theta = 36 weights, 4 biases."""
    return pixel_shuffle(conv2d(x, theta[:36].reshape(4, 1, 3, 3), theta[36:], padding=1))

UPSAMPLERS = {  # name: (forward(x (N, 1, h, w), theta) -> (N, 1, 2h, 2w), number of parameters)
    "transposed k=3": (transposed_upsampler(3), 10), "transposed k=4": (transposed_upsampler(4), 17),
    "resize-conv": (resize_conv, 10), "sub-pixel": (sub_pixel_conv, 40)}

def initial_parameters(name, seed, use_icnr=True):
    """A random start (normal, std 0.1, zero bias); sub-pixel's 4 kernels equal with ICNR."""
    biases = 4 if name == "sub-pixel" else 1
    weights = np.random.default_rng(seed).normal(0, 0.1, UPSAMPLERS[name][1] - biases)
    if name == "sub-pixel" and use_icnr:
        weights = icnr(weights[:9].reshape(3, 3)).ravel()
    return np.concatenate([weights, np.zeros(biases)])

def quadratic_loss(forward, size, low_res, high_res, margin=2):
    """(G, b, c): the mean squared error without `margin` border pixels is
    theta @ G @ theta - 2 b @ theta + c, because the output is linear in theta."""
    inner = (..., slice(margin, -margin), slice(margin, -margin))
    A = np.stack([forward(low_res, e)[inner].ravel() for e in np.eye(size)], axis=1)
    y = high_res[inner].ravel()  # einsum, not A.T @ A: threaded BLAS stalls on a busy machine
    return np.einsum("ni,nj->ij", A, A) / len(y), np.einsum("ni,n->i", A, y) / len(y), y @ y / len(y)

def train_adam(G, b, c, theta, steps=3000, learning_rate=0.03):
    """Adam on the quadratic loss from theta; returns (theta, losses (steps,))."""
    m, v, losses = np.zeros_like(theta), np.zeros_like(theta), []
    for t in range(1, steps + 1):
        losses.append(theta @ G @ theta - 2 * b @ theta + c)
        grad = 2 * (G @ theta - b)
        m, v = 0.9 * m + 0.1 * grad, 0.999 * v + 0.001 * grad ** 2
        theta = theta - learning_rate * (m / (1 - 0.9 ** t)) / (np.sqrt(v / (1 - 0.999 ** t)) + 1e-6)
    return theta, np.array(losses)

def psnr(estimate, target, margin=4):
    """Peak signal-to-noise ratio in dB for images in [0, 1], ignoring `margin` border pixels."""
    inner = (..., slice(margin, -margin), slice(margin, -margin))
    return 10 * np.log10(1.0 / np.mean((estimate[inner] - target[inner]) ** 2))

def run_experiment(seed, count=32, size=48, steps=3000):
    """Train the four UPSAMPLERS on `count` crops picked by seed; score them and the fixed
    upsamplers on the held-out part. A new dict on every call: {"theta", "losses", "optimum",
    "outputs", "psnr"}, each {name: ...}; plus "held_out" (160, 512)."""
    photo = load_photo()
    train_image, held_out = photo[:-160], photo[-160:]  # the bottom 160 rows: never trained on
    low_res, high_res = training_patches(train_image, count, size, seed)
    held_low = downsample2(held_out)[None, None]
    run = {"theta": {}, "losses": {}, "optimum": {}, "held_out": held_out,
           "outputs": {"nearest": upsample_nearest(held_low[0, 0]),
                       "bilinear": upsample_bilinear(held_low[0, 0])}}
    for name, (forward, n) in UPSAMPLERS.items():
        G, b, c = quadratic_loss(forward, n, low_res, high_res)
        start = initial_parameters(name, seed)
        run["theta"][name], run["losses"][name] = train_adam(G, b, c, start, steps)
        run["optimum"][name] = c - b @ np.linalg.solve(G, b)  # least squares: the lowest loss
        run["outputs"][name] = forward(held_low, run["theta"][name])[0, 0]
    run["psnr"] = {name: psnr(out, held_out) for name, out in run["outputs"].items()}
    return run

def psnr_table(runs):
    """PSNR over runs: mean ± std, min to max, and the gap to bilinear (mean ± std), in dB."""
    lines = [f"{'method':<16}{'PSNR mean ± std':>17}{'min – max':>16}{'vs bilinear':>15}"]
    for name in runs[0]["psnr"]:
        dB = np.array([run["psnr"][name] for run in runs])
        gap = dB - np.array([run["psnr"]["bilinear"] for run in runs])
        lines.append(f"{name:<16}{dB.mean():>10.2f} ± {dB.std():.2f}{dB.min():>10.2f} – "
                     f"{dB.max():.2f}{gap.mean():>+9.2f} ± {gap.std():.2f}")
    return "\n".join(lines)

# 4. Exercise checkers (they compute the expected value; they never print it)

UNEVEN_PAIRS = ((9, 3), (10, 4), (12, 5), (8, 8), (11, 6), (4, 8))

def check_uneven(answer):
    """Exercise 1: a list of True (uneven) / False (even), one per (k, s) in UNEVEN_PAIRS."""
    return exercises.check_value(answer, [interior_ratio(k, s) != 1 for k, s in UNEVEN_PAIRS],
                                 "stamps start every s cells and are k cells long: does a whole "
                                 "number of strides fit in k?")

def check_bilinear_kernel(answer):
    """Exercise 2: the 5x5 kernel that makes a k=5, s=3, p=1 transposed convolution bilinear x3."""
    return exercises.check_value(None if answer is None else np.asarray(answer, float),
                                 bilinear_kernel(3), "the outer product of a 1-D kernel of 5 "
                                 "weights, each 1 - (distance to the centre) / 3.")

def check_phase_sums(function):
    """Exercise 3: the learner's phase_sums(w, s) on kernels and strides the notebook never used."""
    rng = np.random.default_rng(5)
    cases = [dict(w=rng.integers(-3, 4, (k, k)).astype(float), s=s)
             for k, s in [(3, 2), (5, 2), (4, 3), (2, 3), (6, 2), (7, 4), (1, 1)]]
    return exercises.check_function(function, phase_sums, cases, "phase (a, b) holds the weights "
                                    "w[a::s, b::s]; for k < s some phases hold no weight at all.")

DIVISIBLE_OPTIONS = {  # option: why it is right or wrong
    "Yes: every output pixel gets the same number of stamps.": "The counts are equal, the weights "
    "are not: a phase's output is the input times that phase's weight sum; learned sums differ.",
    "No: only if the kernel's four phase sums are equal, which training does not enforce.":
    "A divisible k evens out the counts, not the weights; a learned kernel may drift.",
    "No: k=4, s=2 always paints a grid; only resize-convolution avoids it.": "The bilinear kernel "
    "is a k=4, s=2 kernel with equal phase sums: flat away from the border.",
    "Yes, because output_padding fills in the missing cells.": "output_padding only adds a row and "
    "a column at the end; it does not change how the stamps weigh the interior."}

def divisible_question():
    """Exercise 4: does k divisible by s guarantee a flat output for a flat input?"""
    return exercises.choice("A learned transposed convolution has k=4, s=2 (s divides k). Is its "
                            "output for a flat input guaranteed to be flat away from the border?",
                            DIVISIBLE_OPTIONS, correct=list(DIVISIBLE_OPTIONS)[1])

# 5. Static figures

def figure_overlap_1d():
    fig, axes = draw.new_figure(11, 4.5, ncols=2)
    for ax, (i, k, s) in zip(axes, ((5, 3, 2), (5, 4, 2))):  # input row, stamps, output counts
        counts = overlap_map(i, k, s, dims=1)
        o, m = len(counts), interior_margin(k, s)
        draw.grids(ax, [draw.Grid(draw.fill((1, i), "input"), np.ones((1, i)), title="input")]
                   + [draw.Grid(draw.fill((1, k), "kernel"), np.ones((1, k)), (n * s, 2 + n))
                      for n in range(i)]
                   + [draw.Grid(shades(counts[None]), counts[None], (0, i + 3))])
        draw.outlines(ax, [(m, i + 3, o - 2 * m, 1)])
        ax.set_title(f"k={k}, s={s}: {i} stamps, s apart; output = stamps per cell\ninterior "
                     f"(outlined) max/min = {max_min_ratio(counts[m:o - m]):.2f}", fontsize=9)
    fig.get_layout_engine().set(rect=(0, 0.07, 1, 0.93))  # room for the legend below
    draw.legend(fig, ["input", "kernel", "output", "highlight"],
                labels={"highlight": "interior", "output": "output (stamps per cell)"})
    return fig

def _two_maps(maps, role, label):
    """Two 2-D count maps {title: (counts, k)} side by side, their interior outlined."""
    fig, axes = draw.new_figure(11, 6.5, ncols=2)
    for ax, (title, (counts, k)) in zip(axes, maps.items()):
        draw.grids(ax, [draw.Grid(shades(counts, role=role), counts)])
        draw.outlines(ax, [(k - 1, k - 1, len(counts) - 2 * k + 2, len(counts) - 2 * k + 2)])
        ax.set_title(f"{title}\ninterior max/min = {max_min_ratio(interior(counts, k, 2)):.2f}",
                     fontsize=9)
    fig.get_layout_engine().set(rect=(0, 0.06, 1, 0.94))
    draw.legend(fig, [role, "highlight"], labels={role: label, "highlight": "interior"})
    return fig

def figure_overlap_2d():
    return _two_maps({f"output, k={k}, s=2: stamps per cell": (overlap_map(4, k, 2), k)
                      for k in (3, 4)}, "output", "output (stamps per cell)")

def figure_gradient_checkerboard():
    g = np.ones((1, 1, 4, 4))  # a flat gradient at the 4x4 output of a conv of ones, stride 2
    return _two_maps({f"input gradient of a conv, k={k}, s=2\n(kernel of ones, flat gradient 1)":
                      (conv2d_backward(np.zeros((1, 1, 6 + k, 6 + k)), np.ones((1, 1, k, k)), g,
                                       stride=2)[0][0, 0], k) for k in (3, 4)},
                     "input", "gradient at the conv's input")

def figure_stacking():
    fig, axes = draw.new_figure(11, 8, ncols=3, nrows=2)
    inner = {(k, layers): interior_map(k, 2, layers, cells=8) for k in (3, 4) for layers in (1, 2, 3)}
    windows = {key: counts[:8, :8] / counts.mean() for key, counts in inner.items()}
    top = max(w.max() for w in windows.values())
    for ax, ((k, layers), window) in zip(axes, windows.items()):
        draw.grids(ax, [draw.Grid(shades(window, top), np.round(window, 1))], fontsize=7)
        ax.set_title(f"k={k}, s=2, {layers} layer{'s' * (layers > 1)}: max/min "
                     f"{max_min_ratio(window):.2f}", fontsize=9)
    fig.colorbar(ScalarMappable(Normalize(0, top), ListedColormap(shades(np.linspace(0, top, 256), top))),
                 ax=axes, shrink=0.6, label="stamps per output cell / interior mean (one scale for all)")
    fig.suptitle("Stacked transposed convolutions, 8x8 interior cells", fontsize=10)
    return fig

def figure_fixes():
    crop = downsample2(load_photo()[168:232, 168:232])
    rows = {"input: 8x8 ones": (np.ones((8, 8)), 2), "input: 32x32 photo crop": (crop, 1)}
    fig, axes = draw.new_figure(13, 6.5, ncols=6, nrows=2)
    for row, (title, (x, top)) in enumerate(rows.items()):
        panels = {title: x, **{f"output: {n}": out for n, out in fix_outputs(x).items()}}
        for ax, (name, image) in zip(axes[6 * row:], panels.items()):
            ax.imshow(image, cmap="gray", vmin=0, vmax=top, interpolation="nearest")
            ratio = f"\ninterior max/min {max_min_ratio(image[3:-3, 3:-3]):.2f}" * (top == 2)
            ax.set_title(name + ratio, fontsize=8)
            ax.axis("off")
    fig.suptitle("x2 upsampling, each fix at its start: a flat input (grey scale 0 to 2) and a "
                 "photo crop", fontsize=10)
    return fig

COLOURS = {"nearest": "0.6", "bilinear": "0.3", **{name: draw.COLORS[role] for name, role in zip(
    UPSAMPLERS, ("output", "kernel", "input", "zeros"))}}

def figure_training():
    runs = [run_experiment(seed) for seed in range(5)]
    fig, (ax, spread) = draw.new_figure(12, 4, ncols=2)
    for name, losses in runs[0]["losses"].items():
        ax.plot(np.maximum(losses / runs[0]["optimum"][name] - 1, 1e-10), color=COLOURS[name], label=name)
    ax.set(yscale="log", xlabel="Adam step", ylabel="(loss - lowest loss) / lowest loss",
           title="Training loss above its least-squares minimum (run 0; floor 1e-10)")
    ax.legend()
    for n, name in enumerate(runs[0]["psnr"]):
        gaps = [run["psnr"][name] - run["psnr"]["bilinear"] for run in runs]
        spread.plot([n] * len(gaps), gaps, "o", color=COLOURS[name], alpha=0.6)
        spread.plot([n - 0.3, n + 0.3], [np.mean(gaps)] * 2, color="black")
    spread.set_xticks(range(len(runs[0]["psnr"])), [n.replace(" ", "\n") for n in runs[0]["psnr"]])
    spread.set(ylabel="PSNR minus bilinear's (dB)", title="Held-out PSNR: 5 runs (dots), mean (bar)")
    return fig

ZOOM = (slice(36, 84), slice(72, 168))  # held-out rows and columns: the name tag, sharp edges

def figure_zoomed_crops():
    run = run_experiment(0)
    flat = np.full((1, 1, 16, 16), 0.5)
    fig, axes = draw.new_figure(13, 4.5, ncols=6, nrows=2)
    axes[0].imshow(run["held_out"][ZOOM], cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    axes[0].set_title("target (original)", fontsize=9)
    for col, name in enumerate(["bilinear", *UPSAMPLERS], start=1):
        response = (upsample_bilinear(flat[0, 0]) if name == "bilinear" else
                    UPSAMPLERS[name][0](flat, run["theta"][name])[0, 0])[4:-4, 4:-4]
        axes[col].imshow(run["outputs"][name][ZOOM], cmap="gray", vmin=0, vmax=1,
                         interpolation="nearest")
        axes[col].set_title(f"output: {name}\n{run['psnr'][name]:.2f} dB", fontsize=8)
        axes[6 + col].imshow(response, cmap="gray", vmin=0.49, vmax=0.51, interpolation="nearest")
        axes[6 + col].set_title(f"flat input 0.5 (grey 0.49-0.51)\nmax/min "
                                f"{max_min_ratio(response):.3f}", fontsize=8)
    for ax in axes:
        ax.axis("off")
    return fig

FIGURES = {**{f"07_{make.__name__[7:]}.png": make for make in (
    figure_overlap_1d, figure_overlap_2d, figure_gradient_checkerboard, figure_stacking,
    figure_fixes, figure_training, figure_zoomed_crops)}, "07_overlap_explorer_default.png": render_overlap}
