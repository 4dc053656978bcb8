"""The framework forms: batched, multi-channel, with torch.nn.functional's semantics and speed.

conv2d, conv_transpose2d and their gradients compute what utils/conv.py's plain forms
compute (tests/test_agreement.py checks that), as a few large matrix products, which
BLAS runs near the CPU's peak, and whole-array NumPy, never a Python loop over pixels.
Each speed trick says in one line what it buys (benchmarks/run.py measures them):

- phase split (space-to-depth): a stride-s convolution reads padded pixel r*s + a*d, which
  is pixel r + a*d // s of phase a*d % s (the pixels with the same row % s); in its phase
  every tap reads a unit-stride block, so strided work becomes stride-1 work;
- wide output: with each phase flattened, tap (a, b) reads one contiguous slice for every
  output pixel at once (the outputs that straddle two rows are cropped at the end);
- shifted columns: the k*k shifted slices of a block of columns, copied while in the CPU
  cache, then one batched product for every group;
- depthwise (one input channel per group): each tap is one multiply-add over a block of
  channels, since a product with one row would waste BLAS.

Layouts: x (N, C_in, H, W); conv2d's w (C_out, C_in/groups, kH, kW); conv_transpose2d's
w (C_in, C_out/groups, kH, kW). The parameters take torch's positional order.
"""

import numpy as np

from .checks import array, check_budget, check_output_padding, integer, pair, params
from .conv import _pad_or_crop, conv_output_size, conv_transpose_output_size, tap_index

# Entries worked on at a time: 2**18 float32 entries (1 MB, the L2 cache of the machine we
# measure on) was 20-50% faster than 2**16 (too many small BLAS calls) and 5-25% than 2**20.
BLOCK_ENTRIES = 2**18
# Columns per matrix product: a few images at a time, so small images still give BLAS enough
# columns; 4096 was 1.5-2x faster than 1024 and within 10% of 16384 (four times the memory).
COLUMNS_PER_PRODUCT = 4096


def _mostly_padding(image_hw, padding, kernel_size, windows_hw):
    """True when the padded image holds more than twice the image plus every tap of every window
    (e.g. p = 1000 with a 1x1 output): then the taps are gathered or scattered one by one."""
    (H, W), (ph, pw), (kh, kw), (bh, bw) = image_hw, padding, kernel_size, windows_hw
    return (H + 2 * ph) * (W + 2 * pw) > 2 * H * W + kh * kw * bh * bw


def _windows(x, kernel_size, stride, padding, dilation):
    """Every window of the padded x, (N, C, kH, kW, Ho, Wo): [n, c, a, b, r, q] is
    padded[n, c, r*s + a*d, q*s + b*d]. A view of the padded x, or gathered taps."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel_size, stride, padding, dilation
    N, C, H, W = x.shape
    Ho, Wo = conv_output_size((H, W), (kh, kw), stride, padding, dilation)
    if _mostly_padding((H, W), padding, kernel_size, (Ho, Wo)):
        check_budget("the windows", (N, C, kh, kw, Ho, Wo), x.itemsize,
                     params(kernel_size=kernel_size, stride=stride, padding=padding, dilation=dilation))
        rows, cols = tap_index(Ho, H, kh, sh, ph, dh).T, tap_index(Wo, W, kw, sw, pw, dw).T
        x_and_zeros = np.pad(x, ((0, 0), (0, 0), (0, 1), (0, 1)))  # index H or W: the padding
        return x_and_zeros[:, :, rows[:, None, :, None], cols[None, :, None, :]]
    padded = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw))) if ph or pw else x
    span = (dh * (kh - 1) + 1, dw * (kw - 1) + 1)
    patches = np.lib.stride_tricks.sliding_window_view(padded, span, axis=(2, 3))
    return patches[:, :, ::sh, ::sw, ::dh, ::dw].transpose(0, 1, 4, 5, 2, 3)


def _col2im(cols, out_hw, k, s, p, d, blocks):
    """Add columns (N, C, kH, kW, bh, bw) into images (N, C, *out_hw), cropping p.

    Phase split: tap (a, b) lands on padded row r*s + a*d, which is row r + a*d // s of
    phase a*d % s, so each tap is one unit-stride block of its phase (the batch last, for
    long contiguous runs); then the phases are interleaved.
    """
    N, C = cols.shape[:2]
    (kh, kw), (sh, sw), (dh, dw), (bh, bw), (H, W) = k, s, d, blocks, out_hw
    if _mostly_padding((H, W), p, k, blocks):  # scatter each tap; the padding's land off the edge
        rows, columns = tap_index(bh, H, kh, sh, p[0], dh).T, tap_index(bw, W, kw, sw, p[1], dw).T
        out = np.zeros((N, C, H + 1, W + 1), dtype=cols.dtype)
        np.add.at(out, (slice(None), slice(None), rows[:, None, :, None],
                        columns[None, :, None, :]), cols)
        return out[:, :, :H, :W]
    # rows of one phase: enough for every tap, and for the output after the padding p
    Hq, Wq = max(bh + dh * (kh - 1) // sh, -(-(p[0] + H) // sh)), max(bw + dw * (kw - 1) // sw,
                                                                        -(-(p[1] + W) // sw))
    phases = np.zeros((C, sh, sw, Hq, Wq, N), dtype=cols.dtype)
    for a in range(kh):
        row, row_phase = divmod(a * dh, sh)
        for b in range(kw):
            col, col_phase = divmod(b * dw, sw)
            phases[:, row_phase, col_phase, row: row + bh, col: col + bw] += \
                cols[:, :, a, b].transpose(1, 2, 3, 0)
    padded = phases.transpose(5, 0, 3, 1, 4, 2).reshape(N, C, Hq * sh, Wq * sw)
    return padded[:, :, p[0]: p[0] + H, p[1]: p[1] + W]


def _check_channels(x, w, groups, kind):
    """groups against x (N, C_in, H, W) and w: conv2d's (C_out, C_in/groups, ...) or
    conv_transpose2d's (C_in, C_out/groups, ...)."""
    groups, C_in = integer(groups, "groups", 1), x.shape[1]
    if C_in % groups:
        raise ValueError(f"groups={groups} must divide the input channels, got C_in={C_in}")
    if w.shape[0] % groups:
        raise ValueError(f"groups={groups} must divide {'C_out' if kind == 'conv2d' else 'C_in'}, "
                         f"got w.shape[0]={w.shape[0]}")
    if kind == "conv2d" and w.shape[1] * groups != C_in:
        raise ValueError(f"w.shape={w.shape} expects C_in/groups={w.shape[1]} channels per group, "
                         f"so C_in={w.shape[1] * groups}, but x has C_in={C_in} (groups={groups})")
    if kind == "conv_transpose2d" and w.shape[0] != C_in:
        raise ValueError(f"w must have C_in={C_in} rows (w is (C_in, C_out/groups, kH, kW)), "
                         f"got w.shape={w.shape}")
    return groups


def _add_bias(out, bias):
    """out + bias[c] on every channel c (bias (C_out,), cast to out's dtype); out if bias is None."""
    if bias is None:
        return out
    bias = array(bias, "bias", 1, "(C_out,)")
    if bias.shape[0] != out.shape[1]:
        raise ValueError(f"bias must have C_out={out.shape[1]} entries, got shape {bias.shape}")
    return out + bias.astype(out.dtype, copy=False)[:, None, None]


def _same_padding(x, kernel_size, padding, stride, dilation):
    """conv2d's padding='valid' or 'same', as in torch: return x (padded if need be) and p."""
    if padding == "valid":
        return x, 0
    if padding != "same":
        raise ValueError(f"padding must be an int, an (h, w) pair, 'valid' or 'same', got {padding!r}")
    if pair(stride, "stride", 1) != (1, 1):
        raise ValueError(f"padding='same' needs stride=1 (as in torch), got stride={stride!r}")
    # Ho = H needs 2p = d(k-1); when that is odd, torch pads the extra row/column at the end
    total = [d * (k - 1) for d, k in zip(pair(dilation, "dilation", 1), kernel_size)]
    x = _pad_or_crop(x, 0, total[0] % 2, 0, total[1] % 2)
    return x, (total[0] // 2, total[1] // 2)


def _check_sizes(name, out_shape, columns_shape, x, w, parameters):
    """Refuse an output, or the columns (or stamps) of one image, beyond MAX_ENTRIES."""
    itemsize = np.result_type(x, w).itemsize
    check_budget(f"{name}'s output", out_shape, itemsize, parameters)
    check_budget(f"{name}'s columns for one image", columns_shape, itemsize, parameters)


def conv2d(x, w, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """Convolution, like torch.nn.functional.conv2d.

    x: (N, C_in, H, W), w: (C_out, C_in/groups, kH, kW), bias: (C_out,) -> (N, C_out, Ho, Wo).
    As in torch: unbatched x (C_in, H, W); an empty batch; padding='valid' or 'same' (stride
    1; an odd d(k-1) puts the extra row/column at the bottom/right). Unlike torch, mixed
    dtypes follow NumPy's promotion (float32 with float64 computes in float64).
    """
    x = array(x, "x", (3, 4), "(N, C_in, H, W) or unbatched (C_in, H, W)", empty_batch=True)
    if x.ndim == 3:  # unbatched, as torch allows: a batch of one
        return conv2d(x[None], w, bias, stride, padding, dilation, groups)[0]
    w = array(w, "w", 4, "(C_out, C_in/groups, kH, kW)")
    if isinstance(padding, str):
        x, padding = _same_padding(x, w.shape[2:], padding, stride, dilation)
    groups = _check_channels(x, w, groups, "conv2d")
    (N, C_in, H, W), (C_out, _, kh, kw) = x.shape, w.shape
    s, p, d = pair(stride, "stride", 1), pair(padding, "padding", 0), pair(dilation, "dilation", 1)
    Ho, Wo = conv_output_size((H, W), (kh, kw), s, p, d)
    _check_sizes("conv2d", (N, C_out, Ho, Wo), (C_in * kh * kw, Ho * Wo), x, w,
                 params(stride=s, padding=p, dilation=d))
    dtype = np.result_type(x, w)
    x, w = x.astype(dtype, copy=False), w.astype(dtype, copy=False)
    if N == 0:
        return np.zeros((0, C_out, Ho, Wo), dtype=dtype)
    if s != (1, 1) and w.shape[1] > 1 or _mostly_padding((H, W), p, (kh, kw), (Ho, Wo)):
        # strided with several channels per group: im2col of a few images per product
        # measured 10-40% faster than the phase split (its extra copy costs more than it saves)
        return _add_bias(_conv2d_im2col(_windows(x, (kh, kw), s, p, d), w, groups), bias)
    return _add_bias(_conv2d_phases(x, w, s, p, d, groups), bias)


def conv_transpose2d(x, w, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Transposed convolution, like torch.nn.functional.conv_transpose2d.

    x: (N, C_in, H, W), w: (C_in, C_out/groups, kH, kW), bias: (C_out,) -> (N, C_out, Ho, Wo),
    Ho = (H-1)s - 2p + d(kH-1) + output_padding + 1. Unbatched x and an empty batch as conv2d.
    """
    x = array(x, "x", (3, 4), "(N, C_in, H, W) or unbatched (C_in, H, W)", empty_batch=True)
    if x.ndim == 3:  # unbatched, as torch allows: a batch of one
        return conv_transpose2d(x[None], w, bias, stride, padding, output_padding, groups,
                                dilation)[0]
    w = array(w, "w", 4, "(C_in, C_out/groups, kH, kW)")
    G = _check_channels(x, w, groups, "conv_transpose2d")
    (N, C_in, H, W), (_, C_out_per_group, kh, kw) = x.shape, w.shape
    s, p, d = pair(stride, "stride", 1), pair(padding, "padding", 0), pair(dilation, "dilation", 1)
    op = check_output_padding(output_padding, s, d)
    out_hw, C_out = conv_transpose_output_size((H, W), (kh, kw), s, p, d, op), C_out_per_group * G
    _check_sizes("conv_transpose2d", (N, C_out, *out_hw), (C_out * kh * kw, H * W), x, w,
                 params(stride=s, padding=p, output_padding=op, dilation=d))
    dtype = np.result_type(x, w)
    x, w = x.astype(dtype, copy=False), w.astype(dtype, copy=False)
    # the shortcuts multiply zeros by every weight (0 * inf = nan, unlike torch) or build
    # mostly padding: then only the stamps below
    shortcut = np.isfinite(w).all() and not _mostly_padding(out_hw, p, (kh, kw), (H, W))
    if s == (1, 1) and shortcut:
        # stride 1: it IS a convolution (notebook 03): swap each group's in and out channels,
        # rotate the kernel 180 degrees, pad by d(k-1) - p (+ output_padding bottom/right)
        rotated = w.reshape(G, C_in // G, C_out_per_group, kh, kw).transpose(0, 2, 1, 3, 4)
        rotated = rotated.reshape(C_out, C_in // G, kh, kw)[:, :, ::-1, ::-1]
        top, left = d[0] * (kh - 1) - p[0], d[1] * (kw - 1) - p[1]
        padded = _pad_or_crop(x, top, top + op[0], left, left + op[1])
        return conv2d(padded, rotated, bias, 1, 0, d, G)
    if C_in == G and shortcut and N:
        return _add_bias(_conv_transpose2d_depthwise(x, w, s, p, out_hw, d), bias)
    # every stamp of a few images, one product per group: (G, K, C_in/G) @ (G, C_in/G, L*images)
    K, L = C_out_per_group * kh * kw, H * W
    inputs = x.reshape(N, G, C_in // G, L)
    weights = np.ascontiguousarray(w.reshape(G, C_in // G, K).transpose(0, 2, 1))
    out = np.empty((N, C_out, *out_hw), dtype=dtype)
    step = max(1, COLUMNS_PER_PRODUCT // L)  # images per product
    for n in range(0, N, step):
        stamps = weights @ inputs[n: n + step].transpose(1, 2, 3, 0).reshape(G, C_in // G, -1)
        stamps = stamps.reshape(C_out, kh, kw, H, W, -1).transpose(5, 0, 1, 2, 3, 4)
        out[n: n + step] = _col2im(stamps, out_hw, (kh, kw), s, p, d, (H, W))  # overlaps add up
    return _add_bias(out, bias)


def _weight_grad(x, grad_output, kernel_size, stride, padding, dilation, groups):
    """dL/dw of conv2d: per group, grad_output (C_out/G, N*L) @ the columns of x (N*L, K)."""
    (N, C_in), (C_out, Ho, Wo), (kh, kw) = x.shape[:2], grad_output.shape[1:], kernel_size
    G, K = groups, C_in // groups * kh * kw
    # windows past grad_output's edge (output_padding >= stride) get no gradient
    windows = _windows(x, (kh, kw), stride, padding, dilation)[..., :Ho, :Wo]
    cols = windows.transpose(1, 2, 3, 0, 4, 5).reshape(G, K, N * Ho * Wo)
    g = grad_output.reshape(N, G, C_out // G, Ho * Wo).transpose(1, 2, 0, 3)
    grad_w = g.reshape(G, C_out // G, N * Ho * Wo) @ cols.transpose(0, 2, 1)
    return grad_w.reshape(C_out, C_in // G, kh, kw)


def _backward_args(x, w, grad_output, stride, padding, dilation, w_layout):
    x, w = array(x, "x", 4, "(N, C_in, H, W)"), array(w, "w", 4, w_layout)
    grad_output = array(grad_output, "grad_output", 4, "(N, C_out, Ho, Wo)")
    s, p, d = pair(stride, "stride", 1), pair(padding, "padding", 0), pair(dilation, "dilation", 1)
    return x, w, grad_output, s, p, d


def _check_grad(name, grad_output, expected, columns, parameters):
    if grad_output.shape != expected:
        raise ValueError(f"grad_output must have the shape of {name}'s output {expected}, "
                         f"got {grad_output.shape}")
    check_budget("the weight gradient's columns", columns, grad_output.itemsize, parameters)


def conv2d_backward(x, w, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """Gradients of conv2d(x, w, bias) -> (grad_x, grad_w, grad_bias); 4-D arrays, int padding.

    grad_x = C.T @ grad_output: a transposed convolution with the same w; output_padding
    gives back the rows/columns that cropping p would remove (the stride skipped past them).
    """
    x, w, grad_output, s, p, d = _backward_args(x, w, grad_output, stride, padding, dilation,
                                                "(C_out, C_in/groups, kH, kW)")
    groups = _check_channels(x, w, groups, "conv2d")
    expected = (x.shape[0], w.shape[0], *conv_output_size(x.shape[2:], w.shape[2:], s, p, d))
    _check_grad("conv2d", grad_output, expected, (x.shape[1] * w.shape[2] * w.shape[3],
                                                  expected[0] * expected[2] * expected[3]),
                params(stride=s, padding=p, dilation=d))
    op = tuple((i + 2 * p_ - d_ * (k - 1) - 1) % s_
               for i, k, s_, p_, d_ in zip(x.shape[2:], w.shape[2:], s, p, d))
    grad_x = conv_transpose2d(grad_output, w, None, s, p, op, groups, d)
    grad_w = _weight_grad(x, grad_output, w.shape[2:], s, p, d, groups)
    return grad_x, grad_w, grad_output.sum(axis=(0, 2, 3))


def conv_transpose2d_backward(x, w, grad_output, stride=1, padding=0, output_padding=0,
                              groups=1, dilation=1):
    """Gradients of conv_transpose2d(x, w, bias) -> (grad_x, grad_w, grad_bias); 4-D arrays.

    It is the adjoint of conv2d: its input gradient is a conv2d of grad_output, its weight
    gradient conv2d's with the roles of input and output swapped.
    """
    x, w, grad_output, s, p, d = _backward_args(x, w, grad_output, stride, padding, dilation,
                                                "(C_in, C_out/groups, kH, kW)")
    groups = _check_channels(x, w, groups, "conv_transpose2d")
    op = check_output_padding(output_padding, s, d)
    out_hw = conv_transpose_output_size(x.shape[2:], w.shape[2:], s, p, d, op)
    expected = (x.shape[0], w.shape[1] * groups, *out_hw)
    _check_grad("conv_transpose2d", grad_output, expected,
                (expected[1] * w.shape[2] * w.shape[3], x.shape[0] * x.shape[2] * x.shape[3]),
                params(stride=s, padding=p, output_padding=op, dilation=d))
    grad_x = conv2d(grad_output, w, None, s, p, d, groups)[:, :, : x.shape[2], : x.shape[3]]
    grad_w = _weight_grad(grad_output, x, w.shape[2:], s, p, d, groups)
    return grad_x, grad_w, grad_output.sum(axis=(0, 2, 3))


def _phases(x, stride, padding, rows, columns):
    """Space-to-depth of the zero-padded x: (C, sh*sw, N*rows*columns); entry
    [c, ph*sw + pw, (n*rows + r)*columns + q] is padded pixel (r*sh + ph, q*sw + pw) of image n."""
    N, C, H, W = x.shape
    (sh, sw), (ph, pw) = stride, padding
    canvas = np.zeros((C, N, rows * sh, columns * sw), dtype=x.dtype)
    h, w = max(0, min(H, rows * sh - ph)), max(0, min(W, columns * sw - pw))
    canvas[:, :, ph: ph + h, pw: pw + w] = x[:, :, :h, :w].transpose(1, 0, 2, 3)
    phases = canvas.reshape(C, N, rows, sh, columns, sw).transpose(0, 3, 5, 1, 2, 4)
    return np.ascontiguousarray(phases).reshape(C, sh * sw, N * rows * columns)


def _taps(kernel_size, stride, dilation, columns):
    """(phase, flat offset) of every tap (a, b), row-major: phase a*d % s, offset
    (a*d // s)*columns + (b*d // s) from the window's start."""
    (kh, kw), (sh, sw), (dh, dw) = kernel_size, stride, dilation
    return [(a * dh % sh * sw + b * dw % sw, a * dh // sh * columns + b * dw // sw)
            for a in range(kh) for b in range(kw)]


def _conv2d_phases(x, w, stride, padding, dilation, groups):
    """conv2d on the wide output of the phases: each tap reads one contiguous slice."""
    (N, C_in, H, W), (C_out, C_per_group, kh, kw) = x.shape, w.shape
    (sh, sw), (ph, pw), (dh, dw), G = stride, padding, dilation, groups
    Ho, Wo = (H + 2 * ph - dh * (kh - 1) - 1) // sh + 1, (W + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    # a phase holds the output's rows plus the rows the last tap reaches past them
    rows, columns = Ho + dh * (kh - 1) // sh, Wo + dw * (kw - 1) // sw
    phases = _phases(x, stride, padding, rows, columns).reshape(G, C_per_group, sh * sw, -1)
    taps = _taps((kh, kw), stride, dilation, columns)
    M = N * rows * columns - taps[-1][1]  # wide outputs that every tap's slice reaches
    wide = np.empty((G, C_out // G, N * rows * columns), dtype=x.dtype)
    weights = np.ascontiguousarray(w.reshape(G, C_out // G, C_per_group, kh * kw))
    if C_per_group == 1:  # depthwise: k*k multiply-adds, a block of channels at a time
        _depthwise_passes(phases[:, 0], weights[:, :, 0], taps, wide[:, :, :M])
    else:  # shifted columns: one batched product per block of columns, in cache
        step = max(256, BLOCK_ENTRIES // (G * C_per_group * len(taps)))
        buffer = np.empty((G, C_per_group, len(taps), min(step, M)), dtype=x.dtype)
        weights = weights.reshape(G, C_out // G, -1)
        for j in range(0, M, step):
            m = min(step, M - j)
            for t, (phase, offset) in enumerate(taps):
                buffer[:, :, t, :m] = phases[:, :, phase, j + offset: j + offset + m]
            np.matmul(weights, buffer[..., :m].reshape(G, -1, m), out=wide[:, :, j: j + m])
    out = wide.reshape(C_out, N, rows, columns)[:, :, :Ho, :Wo].transpose(1, 0, 2, 3)
    return np.ascontiguousarray(out)


def _depthwise_passes(phases, weights, taps, out):
    """out (G, Co, M) = sum over taps t of weights[:, :, t] * phases[:, phase_t, offset_t:][:M]."""
    G, C_out_per_group, M = out.shape
    block = max(1, BLOCK_ENTRIES // (C_out_per_group * M))  # channels per block, kept in cache
    product = np.empty((min(block, G), C_out_per_group, M), dtype=out.dtype)
    for g in range(0, G, block):
        acc, tmp = out[g: g + block], product[: min(block, G - g)]
        for t, (phase, offset) in enumerate(taps):
            source = phases[g: g + block, None, phase, offset: offset + M]
            np.multiply(weights[g: g + block, :, t, None], source, out=tmp if t else acc)
            if t:
                acc += tmp


def _conv2d_im2col(windows, w, groups):
    """im2col of a few images at a time, side by side, then one batched product per step.

    windows: (N, C_in, kH, kW, Ho, Wo) from _windows. Two buffers serve every step (fresh
    memory costs a page fault per 4 KB).
    """
    (N, C_in, kh, kw, Ho, Wo), (C_out, C_per_group), G = windows.shape, w.shape[:2], groups
    L, step = Ho * Wo, max(1, COLUMNS_PER_PRODUCT // (Ho * Wo))  # images per product
    weights = np.ascontiguousarray(w.reshape(G, C_out // G, C_per_group * kh * kw))
    out = np.empty((N, C_out, L), dtype=w.dtype)
    cols_buffer = np.empty(C_in * kh * kw * min(step, N) * L, dtype=w.dtype)
    product_buffer = np.empty(C_out * min(step, N) * L, dtype=w.dtype)
    for n in range(0, N, step):
        images = min(step, N - n)
        cols = cols_buffer[: C_in * kh * kw * images * L].reshape(C_in, kh, kw, images, Ho, Wo)
        np.copyto(cols, windows[n: n + images].transpose(1, 2, 3, 0, 4, 5))
        product = product_buffer[: C_out * images * L].reshape(G, C_out // G, images * L)
        np.matmul(weights, cols.reshape(G, -1, images * L), out=product)
        out[n: n + images] = product.reshape(C_out, images, L).transpose(1, 0, 2)
    return out.reshape(N, C_out, Ho, Wo)


def _conv_transpose2d_depthwise(x, w, stride, padding, out_hw, dilation):
    """conv_transpose2d with groups = C_in: each tap scales the batch by its weight and adds it,
    shifted, into its phase of the output (notebook 03's scatter, vectorised); no stamps array."""
    (N, C_in, H, W), (_, C_out_per_group, kh, kw) = x.shape, w.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    # rows of a phase: enough for every stamp, and for the output after the padding p
    rows = max(H + dh * (kh - 1) // sh, -(-(ph + out_hw[0]) // sh))
    columns = max(W + dw * (kw - 1) // sw, -(-(pw + out_hw[1]) // sw))
    taps = _taps((kh, kw), stride, dilation, columns)
    wide_x = _phases(x, (1, 1), (0, 0), rows, columns)[:, 0]  # (C_in, N*rows*columns)
    M = N * rows * columns - taps[-1][1]  # every pixel of x; no tap writes past the end
    phases = np.zeros((C_in, C_out_per_group, sh * sw, N * rows * columns), dtype=x.dtype)
    weights = w.reshape(C_in, C_out_per_group, kh * kw)
    block = max(1, BLOCK_ENTRIES // (C_out_per_group * M))  # channels per block
    product = np.empty((min(block, C_in), C_out_per_group, M), dtype=x.dtype)
    for c in range(0, C_in, block):
        tmp = product[: min(block, C_in - c)]
        for t, (phase, offset) in enumerate(taps):
            np.multiply(weights[c: c + block, :, t, None], wide_x[c: c + block, None, :M], out=tmp)
            phases[c: c + block, :, phase, offset: offset + M] += tmp
    canvas = phases.reshape(C_in * C_out_per_group, sh, sw, N, rows, columns)
    canvas = canvas.transpose(3, 0, 4, 1, 5, 2).reshape(N, -1, rows * sh, columns * sw)
    return np.ascontiguousarray(canvas[:, :, ph: ph + out_hw[0], pw: pw + out_hw[1]])
