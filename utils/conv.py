"""Convolution and transposed convolution, written several ways.

Symbols used throughout (per spatial axis):
    i  input size       k  kernel size     s  stride
    p  padding          d  dilation        o  output size
    output_padding  the extra rows/columns a transposed convolution adds

Every function takes NumPy arrays, computes in the input's floating dtype
(integers become float64), never modifies its inputs, and accepts stride,
padding, dilation and output_padding as an int or an (h, w) pair.
"""

import numbers

import numpy as np

# ---------------------------------------------------------------------------
# Argument checking: every public function goes through these helpers, so
# every error names the parameter, the value received and what is allowed.
# ---------------------------------------------------------------------------


def _pair(value, name, minimum):
    """Return value as an (h, w) tuple of ints, each >= minimum."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{name} must be an int or an (h, w) pair, got {value!r} "
                             f"with {len(value)} entries")
        values = tuple(value)
    else:
        values = (value, value)
    for v in values:
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Integral):
            raise TypeError(f"{name} must be an int or an (h, w) pair of ints, "
                            f"got {value!r} ({type(v).__name__})")
        if v < minimum:
            raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    return tuple(int(v) for v in values)


def _array(x, name, ndim, layout):
    """Return x as a floating array with ndim dimensions (a view, never a copy to modify)."""
    x = np.asarray(x)
    if x.dtype == object or not (np.issubdtype(x.dtype, np.number) or x.dtype == bool):
        raise TypeError(f"{name} must be a numeric array, got dtype {x.dtype}")
    if np.issubdtype(x.dtype, np.complexfloating):
        raise TypeError(f"{name} must be real, got dtype {x.dtype}")
    if x.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D {layout}, got shape {x.shape}")
    if x.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {x.shape}")
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float64)
    return x


def _dtype(*arrays):
    return np.result_type(*arrays)


def _check_output_padding(output_padding, stride, dilation):
    for op, s, d in zip(output_padding, stride, dilation):
        if op >= s and op >= d:
            raise ValueError(f"output_padding must be smaller than stride or dilation, got "
                             f"output_padding={output_padding}, stride={stride}, "
                             f"dilation={dilation}")


# ---------------------------------------------------------------------------
# Output-size arithmetic
# ---------------------------------------------------------------------------


def _conv_size_1d(i, k, s, p, d):
    o = (i + 2 * p - d * (k - 1) - 1) // s + 1
    if o < 1:
        raise ValueError(
            f"kernel_size={k} with dilation={d} spans {d * (k - 1) + 1} pixels, more than the "
            f"padded input i + 2p = {i} + 2*{p} = {i + 2 * p}: "
            f"o = floor((i + 2p - d(k-1) - 1)/s) + 1 = "
            f"floor(({i} + {2 * p} - {d * (k - 1)} - 1)/{s}) + 1 = {o}, but it must be >= 1")
    return o


def conv_output_size(i, k, stride=1, padding=0, dilation=1):
    """Output size of a convolution: o = floor((i + 2p - d(k-1) - 1) / s) + 1.

    i, k and the parameters are ints or (h, w) pairs; the result is an int if
    every argument is an int, else an (h, w) tuple. Raises ValueError when the
    (dilated) kernel does not fit in the padded input.
    """
    scalar = all(not isinstance(v, (tuple, list)) for v in (i, k, stride, padding, dilation))
    i, k = _pair(i, "i", 1), _pair(k, "k", 1)
    s, p, d = _pair(stride, "stride", 1), _pair(padding, "padding", 0), _pair(dilation, "dilation", 1)
    o = tuple(_conv_size_1d(*args) for args in zip(i, k, s, p, d))
    return o[0] if scalar else o


def conv_transpose_output_size(i, k, stride=1, padding=0, dilation=1, output_padding=0):
    """Output size of a transposed convolution: o = (i-1)s - 2p + d(k-1) + output_padding + 1.

    Ints or (h, w) pairs, as for conv_output_size. output_padding must be
    smaller than the stride or the dilation (PyTorch's rule).
    """
    args = (i, k, stride, padding, dilation, output_padding)
    scalar = all(not isinstance(v, (tuple, list)) for v in args)
    i, k = _pair(i, "i", 1), _pair(k, "k", 1)
    s, p, d = _pair(stride, "stride", 1), _pair(padding, "padding", 0), _pair(dilation, "dilation", 1)
    op = _pair(output_padding, "output_padding", 0)
    _check_output_padding(op, s, d)
    o = []
    for i_, k_, s_, p_, d_, op_ in zip(i, k, s, p, d, op):
        o_ = (i_ - 1) * s_ - 2 * p_ + d_ * (k_ - 1) + op_ + 1
        if o_ < 1:
            raise ValueError(
                f"padding={p_} crops more than the transposed convolution produces: "
                f"o = (i-1)s - 2p + d(k-1) + output_padding + 1 = "
                f"({i_}-1)*{s_} - 2*{p_} + {d_}*({k_}-1) + {op_} + 1 = {o_}, but it must be >= 1")
        o.append(o_)
    return o[0] if scalar else tuple(o)


# ---------------------------------------------------------------------------
# Teaching forms: one channel, x is (H, W) and w is (kH, kW)
# ---------------------------------------------------------------------------


def conv2d_loops(x, w, stride=1, padding=0, dilation=1):
    """Sliding-window convolution (deep-learning style: the kernel is not flipped).

    x: (H, W), w: (kH, kW) -> (Ho, Wo). Explicit Python loops over the output.
    """
    x = _array(x, "x", 2, "(H, W)")
    w = _array(w, "w", 2, "(kH, kW)")
    (sh, sw), (ph, pw) = _pair(stride, "stride", 1), _pair(padding, "padding", 0)
    dh, dw = _pair(dilation, "dilation", 1)
    (kh, kw), (H, W) = w.shape, x.shape
    Ho, Wo = conv_output_size((H, W), (kh, kw), (sh, sw), (ph, pw), (dh, dw))

    padded_input = np.pad(x, ((ph, ph), (pw, pw))).astype(_dtype(x, w))
    out = np.zeros((Ho, Wo), dtype=padded_input.dtype)
    for r in range(Ho):
        for c in range(Wo):
            # the window starts at (r*s, c*s); its taps are d apart
            window = padded_input[r * sh: r * sh + dh * (kh - 1) + 1: dh,
                                  c * sw: c * sw + dw * (kw - 1) + 1: dw]
            out[r, c] = np.sum(window * w)
    return out


def conv_matrix(w, input_shape, stride=1, padding=0, dilation=1, max_entries=25_000_000):
    """The convolution matrix C, shape (Ho*Wo, H*W): conv2d_loops(x, w).ravel() == C @ x.ravel().

    Row r is the kernel placed over the window of output r, on an all-zero
    image the size of the input (taps that land in the padding are dropped).
    C is dense and grows as (Ho*Wo)*(H*W); building more than max_entries
    entries raises ValueError unless you raise max_entries explicitly.
    """
    w = _array(w, "w", 2, "(kH, kW)")
    H, W = _pair(input_shape, "input_shape", 1)
    (sh, sw), (ph, pw) = _pair(stride, "stride", 1), _pair(padding, "padding", 0)
    dh, dw = _pair(dilation, "dilation", 1)
    kh, kw = w.shape
    Ho, Wo = conv_output_size((H, W), (kh, kw), (sh, sw), (ph, pw), (dh, dw))
    entries = Ho * Wo * H * W
    if entries > max_entries:
        raise ValueError(
            f"conv_matrix would build a dense ({Ho * Wo}, {H * W}) matrix: {entries:,} entries, "
            f"{entries * w.itemsize / 1e6:,.1f} MB; max_entries={max_entries:,}. Pass a larger "
            f"max_entries to build it anyway, or use conv2d, which never builds C")

    C = np.zeros((Ho * Wo, H * W), dtype=w.dtype)
    for row, (r, c) in enumerate(np.ndindex(Ho, Wo)):
        placed = np.zeros((H + 2 * ph, W + 2 * pw), dtype=w.dtype)
        placed[r * sh: r * sh + dh * (kh - 1) + 1: dh, c * sw: c * sw + dw * (kw - 1) + 1: dw] = w
        C[row] = placed[ph: ph + H, pw: pw + W].ravel()  # drop the padding
    return C


def _transpose_setup(y, w, stride, padding, output_padding, dilation):
    """Check the arguments of a one-channel transposed convolution; return them as pairs."""
    y = _array(y, "y", 2, "(H, W)")
    w = _array(w, "w", 2, "(kH, kW)")
    s, p = _pair(stride, "stride", 1), _pair(padding, "padding", 0)
    op, d = _pair(output_padding, "output_padding", 0), _pair(dilation, "dilation", 1)
    out_shape = conv_transpose_output_size(y.shape, w.shape, s, p, d, op)
    return y, w, s, p, op, d, out_shape


def conv_transpose2d_matrix(y, w, stride=1, padding=0, output_padding=0, dilation=1):
    """Transposed convolution as a matrix product: reshape(C.T @ y.ravel()).

    C is the matrix of the convolution that maps the output shape back to y's
    shape. y: (H, W), w: (kH, kW) -> (Ho, Wo), Ho = (H-1)s - 2p + d(kH-1) + output_padding + 1.
    """
    y, w, s, p, op, d, out_shape = _transpose_setup(y, w, stride, padding, output_padding, dilation)
    C = conv_matrix(w.astype(_dtype(y, w)), out_shape, s, p, d)
    # With output_padding >= stride (allowed when dilation is larger) the
    # convolution of out_shape has extra output rows; y only covers the first ones.
    Hc, Wc = conv_output_size(out_shape, w.shape, s, p, d)
    C = C.reshape(Hc, Wc, -1)[: y.shape[0], : y.shape[1]].reshape(y.size, -1)
    return (C.T @ y.ravel()).reshape(out_shape)


def conv_transpose2d_scatter(y, w, stride=1, padding=0, output_padding=0, dilation=1):
    """Transposed convolution as scatter: each y[r, c] stamps y[r, c] * w into the output.

    Stamps start s apart and their taps are d apart; overlaps add up. Then the
    border p is cropped (output_padding extends the bottom/right edge).
    """
    y, w, s, p, op, d, (Ho, Wo) = _transpose_setup(y, w, stride, padding, output_padding, dilation)
    (sh, sw), (ph, pw), (dh, dw), (kh, kw) = s, p, d, w.shape
    # the canvas holds every stamp and reaches the bottom/right edge of the output
    canvas = np.zeros((max((y.shape[0] - 1) * sh + dh * (kh - 1) + 1, ph + Ho),
                       max((y.shape[1] - 1) * sw + dw * (kw - 1) + 1, pw + Wo)), dtype=_dtype(y, w))
    for r in range(y.shape[0]):
        for c in range(y.shape[1]):
            canvas[r * sh: r * sh + dh * (kh - 1) + 1: dh,
                   c * sw: c * sw + dw * (kw - 1) + 1: dw] += y[r, c] * w
    return canvas[ph: ph + Ho, pw: pw + Wo]


def stretch(y, stride):
    """Insert stride-1 zeros between the values of y: (H, W) -> ((H-1)s + 1, (W-1)s + 1)."""
    y = _array(y, "y", 2, "(H, W)")
    sh, sw = _pair(stride, "stride", 1)
    stretched = np.zeros(((y.shape[0] - 1) * sh + 1, (y.shape[1] - 1) * sw + 1), dtype=y.dtype)
    stretched[::sh, ::sw] = y
    return stretched


def pad_or_crop(x, top, bottom, left, right):
    """Zero-pad each side of a 2-D array by the given amount; a negative amount crops instead."""
    x = _array(x, "x", 2, "(H, W)")
    for name, amount in (("top", top), ("bottom", bottom), ("left", left), ("right", right)):
        if isinstance(amount, (bool, np.bool_)) or not isinstance(amount, numbers.Integral):
            raise TypeError(f"{name} must be an int, got {amount!r} ({type(amount).__name__})")
    H, W = x.shape[0] + top + bottom, x.shape[1] + left + right
    if H < 1 or W < 1:
        raise ValueError(f"top={top}, bottom={bottom}, left={left}, right={right} would leave a "
                         f"({H}, {W}) array from x of shape {x.shape}; keep at least one row and column")
    return _pad_or_crop_last_two(x, top, bottom, left, right)


def _pad_or_crop_last_two(x, top, bottom, left, right):
    """pad_or_crop on the last two axes of an array of any rank (no checks)."""
    widths = [(0, 0)] * (x.ndim - 2) + [(max(top, 0), max(bottom, 0)), (max(left, 0), max(right, 0))]
    x = np.pad(x, widths)
    H, W = x.shape[-2:]
    return x[..., max(-top, 0): H - max(-bottom, 0), max(-left, 0): W - max(-right, 0)]


def conv_transpose2d_as_conv(y, w, stride=1, padding=0, output_padding=0, dilation=1):
    """Transposed convolution as an ordinary stride-1 convolution.

    Insert s-1 zeros between the values of y, pad each side by d(k-1)-p (plus
    output_padding on the bottom/right; a negative amount crops), rotate the
    kernel 180 degrees, and slide it with conv2d_loops (stride 1, dilation d).
    """
    y, w, s, p, op, d, _ = _transpose_setup(y, w, stride, padding, output_padding, dilation)
    (ph, pw), (dh, dw), (kh, kw) = p, d, w.shape
    edge_h, edge_w = dh * (kh - 1) - ph, dw * (kw - 1) - pw
    padded = pad_or_crop(stretch(y, s), edge_h, edge_h + op[0], edge_w, edge_w + op[1])
    rotated_kernel = w[::-1, ::-1]
    return conv2d_loops(padded, rotated_kernel, stride=1, padding=0, dilation=d)


# ---------------------------------------------------------------------------
# Framework forms: batched, multi-channel, torch.nn.functional semantics
#
# Why they are fast (benchmarks/run.py measures them against PyTorch): the work is
# a few large matrix products, which BLAS runs near the CPU's peak speed; the rest
# is whole-array NumPy, never a Python loop over pixels; and each product covers a
# few images at a time, so the columns it reads are still in the CPU cache.
# ---------------------------------------------------------------------------


def _windows(x, kernel_size, stride, padding, dilation):
    """Every window of the padded x as a view (N, C, kH, kW, Ho, Wo); only the padding copies x.

    Element [n, c, a, b, r, q] is padded[n, c, r*s + a*d, q*s + b*d]: kernel tap (a, b)
    of the window at output position (r, q).
    """
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel_size, stride, padding, dilation
    padded = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw))) if ph or pw else x
    span = (dh * (kh - 1) + 1, dw * (kw - 1) + 1)  # the pixels one dilated kernel covers
    # every span-sized patch, as a view (N, C, rows, columns, span_h, span_w): no copy
    patches = np.lib.stride_tricks.sliding_window_view(padded, span, axis=(2, 3))
    windows = patches[:, :, ::sh, ::sw, ::dh, ::dw]  # every s-th position, every d-th tap
    return windows.transpose(0, 1, 4, 5, 2, 3)


def im2col(x, kernel_size, stride=1, padding=0, dilation=1):
    """Unfold every window into a column: x (N, C, H, W) -> (N, C*kH*kW, L), like torch's unfold.

    L = Ho*Wo windows, in row-major order; rows are ordered (channel, kernel row, kernel column).
    """
    x = _array(x, "x", 4, "(N, C, H, W)")
    k = _pair(kernel_size, "kernel_size", 1)
    s, p, d = _pair(stride, "stride", 1), _pair(padding, "padding", 0), _pair(dilation, "dilation", 1)
    N, C, H, W = x.shape
    Ho, Wo = conv_output_size((H, W), k, s, p, d)
    # one copy of the windows view, in order: never a loop over pixels
    return _windows(x, k, s, p, d).copy().reshape(N, C * k[0] * k[1], Ho * Wo)


def _col2im(cols, out_hw, k, s, p, d, blocks):
    """Scatter-add columns (N, C, kH, kW, bh, bw) into images (N, C, *out_hw), cropping p.

    Tap (a, b) of window (r, q) lands on padded pixel (r*s + a*d, q*s + b*d). Adding a
    tap straight into the image is slow when s > 1: its rows are short and s apart.
    So we split the padded image into its s*s phases (the pixels with the same row % s
    and column % s): row r*s + a*d is row r + a*d // s of phase a*d % s, so in its
    phase a tap is one unit-stride block. We add every tap into its phase, with the
    batch as the last axis for long contiguous runs, then interleave the phases.
    """
    N, C = cols.shape[:2]
    (kh, kw), (sh, sw), (dh, dw), (bh, bw) = k, s, d, blocks
    # rows of one phase: enough for every tap, and for the output after the padding p
    Hq = max(bh + dh * (kh - 1) // sh, -(-(p[0] + out_hw[0]) // sh))
    Wq = max(bw + dw * (kw - 1) // sw, -(-(p[1] + out_hw[1]) // sw))
    phases = np.zeros((C, sh, sw, Hq, Wq, N), dtype=cols.dtype)
    for a in range(kh):  # one vectorised add per kernel tap, never a loop over pixels
        row, row_phase = divmod(a * dh, sh)
        for b in range(kw):
            col, col_phase = divmod(b * dw, sw)
            tap = cols[:, :, a, b].transpose(1, 2, 3, 0)  # (C, bh, bw, N)
            phases[:, row_phase, col_phase, row: row + bh, col: col + bw] += tap
    # interleave: padded pixel (R, Q) of image n is phases[c, R % s, Q % s, R // s, Q // s, n]
    padded = np.empty((N, C, Hq, sh, Wq, sw), dtype=cols.dtype)
    for row_phase in range(sh):
        for col_phase in range(sw):
            phase = phases[:, row_phase, col_phase]  # (C, Hq, Wq, N)
            padded[:, :, :, row_phase, :, col_phase] = phase.transpose(3, 0, 1, 2)
    padded = padded.reshape(N, C, Hq * sh, Wq * sw)
    return padded[:, :, p[0]: p[0] + out_hw[0], p[1]: p[1] + out_hw[1]]


def col2im(cols, output_size, kernel_size, stride=1, padding=0, dilation=1):
    """The adjoint of im2col, like torch's fold: (N, C*kH*kW, L) -> (N, C, H, W), overlaps summed."""
    cols = _array(cols, "cols", 3, "(N, C*kH*kW, L)")
    out_hw = _pair(output_size, "output_size", 1)
    k = _pair(kernel_size, "kernel_size", 1)
    s, p, d = _pair(stride, "stride", 1), _pair(padding, "padding", 0), _pair(dilation, "dilation", 1)
    blocks = conv_output_size(out_hw, k, s, p, d)
    N, rows, L = cols.shape
    if rows % (k[0] * k[1]) != 0:
        raise ValueError(f"cols has {rows} rows, which is not a multiple of "
                         f"kernel_size {k[0]}*{k[1]} = {k[0] * k[1]}")
    if L != blocks[0] * blocks[1]:
        raise ValueError(f"cols has L={L} columns, but output_size={out_hw} with these "
                         f"parameters has {blocks[0]}*{blocks[1]} = {blocks[0] * blocks[1]} windows")
    C = rows // (k[0] * k[1])
    return _col2im(cols.reshape(N, C, k[0], k[1], *blocks), out_hw, k, s, p, d, blocks)


def _check_channels(x, w, groups, x_channels_name, w_rows_name):
    """Validate groups against x (N, C, H, W) and a weight whose dim 0 is split into groups."""
    if isinstance(groups, (bool, np.bool_)) or not isinstance(groups, numbers.Integral):
        raise TypeError(f"groups must be an int, got {groups!r} ({type(groups).__name__})")
    if groups < 1:
        raise ValueError(f"groups must be >= 1, got {groups}")
    C_in = x.shape[1]
    if C_in % groups != 0:
        raise ValueError(f"groups={groups} must divide the input channels, got C_in={C_in}")
    if w.shape[0] % groups != 0:
        raise ValueError(f"groups={groups} must divide {w_rows_name}, got w.shape[0]={w.shape[0]}")


def _check_conv_channels(x, w, groups):
    """Validate x (N, C_in, H, W) against a conv2d weight (C_out, C_in/groups, kH, kW)."""
    _check_channels(x, w, groups, "C_in", "C_out")
    if w.shape[1] * groups != x.shape[1]:
        raise ValueError(f"w.shape={w.shape} expects C_in/groups={w.shape[1]} channels per group, "
                         f"so C_in={w.shape[1] * groups}, but x has C_in={x.shape[1]} "
                         f"(groups={groups})")


def _bias(bias, channels, dtype):
    if bias is None:
        return None
    bias = _array(bias, "bias", 1, "(C_out,)")
    if bias.shape[0] != channels:
        raise ValueError(f"bias must have C_out={channels} entries, got shape {bias.shape}")
    return bias.astype(dtype, copy=False)


# Columns per matrix product: conv2d and conv_transpose2d take a few images at a
# time, max(1, _COLUMNS_PER_PRODUCT // L) of them. Their columns then stay in the CPU
# cache between im2col and the product (up to 1.5x faster than one product over the
# whole batch, measured), and small images still give BLAS enough columns to be efficient.
_COLUMNS_PER_PRODUCT = 1024


def conv2d(x, w, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """Convolution, like torch.nn.functional.conv2d: im2col plus one matrix product per group.

    x: (N, C_in, H, W), w: (C_out, C_in/groups, kH, kW), bias: (C_out,) -> (N, C_out, Ho, Wo).
    """
    x = _array(x, "x", 4, "(N, C_in, H, W)")
    w = _array(w, "w", 4, "(C_out, C_in/groups, kH, kW)")
    _check_conv_channels(x, w, groups)
    N, C_in, H, W = x.shape
    C_out, C_per_group, kh, kw = w.shape
    s, p, d = _pair(stride, "stride", 1), _pair(padding, "padding", 0), _pair(dilation, "dilation", 1)
    Ho, Wo = conv_output_size((H, W), (kh, kw), s, p, d)
    dtype = _dtype(x, w)

    G, K, L = groups, C_per_group * kh * kw, Ho * Wo  # K: rows of a group's columns (c, a, b)
    windows = _windows(x.astype(dtype, copy=False), (kh, kw), s, p, d)  # (N, C_in, kh, kw, Ho, Wo)
    # contiguous weights (a flipped kernel has negative strides): NumPy hands only
    # such arrays to BLAS, and falls back to a slow loop for the others
    weights = np.ascontiguousarray(w.astype(dtype, copy=False).reshape(G, C_out // G, K))
    out = np.empty((N, C_out, L), dtype=dtype)
    step = max(1, _COLUMNS_PER_PRODUCT // L)  # images per product
    # Two buffers reused by every product: memory touched for the first time costs a
    # page fault per 4 KB, which made up to half the time when each product had its own.
    cols_buffer = np.empty(C_in * kh * kw * min(step, N) * L, dtype=dtype)
    product_buffer = np.empty(C_out * min(step, N) * L, dtype=dtype)
    for n in range(0, N, step):
        images = min(step, N - n)
        # im2col of a few images, their columns side by side: (G, K, images*L), one copy
        cols = cols_buffer[: C_in * kh * kw * images * L].reshape(C_in, kh, kw, images, Ho, Wo)
        np.copyto(cols, windows[n: n + images].transpose(1, 2, 3, 0, 4, 5))
        # one product per group: (G, C_out/G, K) @ (G, K, images*L)
        product = product_buffer[: C_out * images * L].reshape(G, C_out // G, images * L)
        np.matmul(weights, cols.reshape(G, K, images * L), out=product)
        out[n: n + images] = product.reshape(C_out, images, L).transpose(1, 0, 2)
    out = out.reshape(N, C_out, Ho, Wo)
    b = _bias(bias, C_out, dtype)
    if b is not None:
        out += b[:, None, None]
    return out


def conv_transpose2d(x, w, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Transposed convolution, like torch.nn.functional.conv_transpose2d.

    x: (N, C_in, H, W), w: (C_in, C_out/groups, kH, kW), bias: (C_out,) -> (N, C_out, Ho, Wo),
    Ho = (H-1)s - 2p + d(kH-1) + output_padding + 1. One matrix product per group
    gives every stamp, then col2im adds the overlapping stamps together (with
    stride 1 it runs as the equivalent conv2d instead).
    """
    x = _array(x, "x", 4, "(N, C_in, H, W)")
    w = _array(w, "w", 4, "(C_in, C_out/groups, kH, kW)")
    _check_channels(x, w, groups, "C_in", "C_in")
    N, C_in, H, W = x.shape
    if w.shape[0] != C_in:
        raise ValueError(f"w must have C_in={C_in} rows (w is (C_in, C_out/groups, kH, kW)), "
                         f"got w.shape={w.shape}")
    _, C_out_per_group, kh, kw = w.shape
    s, p, d = _pair(stride, "stride", 1), _pair(padding, "padding", 0), _pair(dilation, "dilation", 1)
    op = _pair(output_padding, "output_padding", 0)
    out_hw = conv_transpose_output_size((H, W), (kh, kw), s, p, d, op)
    dtype = _dtype(x, w)

    G, C_out = groups, C_out_per_group * groups
    if s == (1, 1):
        # With stride 1 a transposed convolution IS a convolution (notebook 03): swap
        # each group's input and output channels, rotate the kernel 180 degrees, and pad
        # by d(k-1) - p, plus output_padding at the bottom/right (a negative amount crops).
        rotated = w.reshape(G, C_in // G, C_out_per_group, kh, kw).transpose(0, 2, 1, 3, 4)
        rotated = rotated.reshape(C_out, C_in // G, kh, kw)[:, :, ::-1, ::-1]
        top, left = d[0] * (kh - 1) - p[0], d[1] * (kw - 1) - p[1]
        bottom, right = top + op[0], left + op[1]
        padded = _pad_or_crop_last_two(x, top, bottom, left, right)
        return conv2d(padded, rotated, bias, 1, 0, d, G)

    K, L = C_out_per_group * kh * kw, H * W  # K: rows of a group's stamps (c, a, b)
    inputs = x.astype(dtype, copy=False).reshape(N, G, C_in // G, L)
    weights = np.ascontiguousarray(w.astype(dtype, copy=False).reshape(G, C_in // G, K))
    out = np.empty((N, C_out, *out_hw), dtype=dtype)
    step = max(1, _COLUMNS_PER_PRODUCT // L)  # images per product
    for n in range(0, N, step):
        # every stamp of a few images, one product per group: (G, K, C_in/G) @
        # (G, C_in/G, L*images), the columns ordered (row, column, image) for col2im
        columns = inputs[n: n + step].transpose(1, 2, 3, 0).reshape(G, C_in // G, -1)
        stamps = weights.transpose(0, 2, 1) @ columns
        stamps = stamps.reshape(C_out, kh, kw, H, W, -1).transpose(5, 0, 1, 2, 3, 4)
        out[n: n + step] = _col2im(stamps, out_hw, (kh, kw), s, p, d, (H, W))  # overlaps add up
    b = _bias(bias, C_out, dtype)
    if b is not None:
        out += b[:, None, None]
    return out


# ---------------------------------------------------------------------------
# Gradients
# ---------------------------------------------------------------------------


def _weight_grad(x, grad_output, kernel_size, stride, padding, dilation, groups):
    """dL/dw of conv2d: for each group, grad_output (Co/G, L) @ im2col(x).T (L, K), summed over N."""
    N, C_in = x.shape[:2]
    C_out, Ho, Wo = grad_output.shape[1:]
    kh, kw = kernel_size
    G, K = groups, C_in // groups * kh * kw
    windows = _windows(x, (kh, kw), stride, padding, dilation)
    # windows past grad_output's edge (output_padding >= stride) get no gradient
    windows = windows[..., :Ho, :Wo]
    # the batch in the columns, as in conv2d: one product per group also sums over the images
    cols = windows.transpose(1, 2, 3, 0, 4, 5).reshape(G, K, N * Ho * Wo)
    g = grad_output.reshape(N, G, C_out // G, Ho * Wo).transpose(1, 2, 0, 3)
    grad_w = g.reshape(G, C_out // G, N * Ho * Wo) @ cols.transpose(0, 2, 1)  # (G, C_out/G, K)
    return grad_w.reshape(C_out, C_in // G, kh, kw)


def conv2d_backward(x, w, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """Gradients of conv2d(x, w, bias): returns (grad_x, grad_w, grad_bias).

    x: (N, C_in, H, W), w: (C_out, C_in/groups, kH, kW), grad_output: (N, C_out, Ho, Wo).
    grad_x is a transposed convolution of grad_output with the same w (it is C.T @ grad).
    """
    x = _array(x, "x", 4, "(N, C_in, H, W)")
    w = _array(w, "w", 4, "(C_out, C_in/groups, kH, kW)")
    grad_output = _array(grad_output, "grad_output", 4, "(N, C_out, Ho, Wo)")
    s, p, d = _pair(stride, "stride", 1), _pair(padding, "padding", 0), _pair(dilation, "dilation", 1)
    expected = (x.shape[0], w.shape[0], *conv_output_size(x.shape[2:], w.shape[2:], s, p, d))
    if grad_output.shape != expected:
        raise ValueError(f"grad_output must have the shape of conv2d's output {expected}, "
                         f"got {grad_output.shape}")
    _check_conv_channels(x, w, groups)
    # output_padding recovers the rows/columns that the stride skipped past
    op = tuple((i + 2 * p_ - d_ * (k - 1) - 1) % s_
               for i, k, s_, p_, d_ in zip(x.shape[2:], w.shape[2:], s, p, d))
    grad_x = conv_transpose2d(grad_output, w, None, s, p, op, groups, d)
    grad_w = _weight_grad(x, grad_output, w.shape[2:], s, p, d, groups)
    grad_bias = grad_output.sum(axis=(0, 2, 3))
    return grad_x, grad_w, grad_bias


def conv_transpose2d_backward(x, w, grad_output, stride=1, padding=0, output_padding=0,
                              groups=1, dilation=1):
    """Gradients of conv_transpose2d(x, w, bias): returns (grad_x, grad_w, grad_bias).

    x: (N, C_in, H, W), w: (C_in, C_out/groups, kH, kW), grad_output: (N, C_out, Ho, Wo).
    The transposed convolution is the adjoint of conv2d, so its input gradient is
    an ordinary conv2d of grad_output, and its weight gradient is conv2d's weight
    gradient with the roles of input and output swapped.
    """
    x = _array(x, "x", 4, "(N, C_in, H, W)")
    w = _array(w, "w", 4, "(C_in, C_out/groups, kH, kW)")
    grad_output = _array(grad_output, "grad_output", 4, "(N, C_out, Ho, Wo)")
    s, p, d = _pair(stride, "stride", 1), _pair(padding, "padding", 0), _pair(dilation, "dilation", 1)
    op = _pair(output_padding, "output_padding", 0)
    _check_channels(x, w, groups, "C_in", "C_in")
    if w.shape[0] != x.shape[1]:
        raise ValueError(f"w must have C_in={x.shape[1]} rows (w is (C_in, C_out/groups, kH, kW)), "
                         f"got w.shape={w.shape}")
    out_hw = conv_transpose_output_size(x.shape[2:], w.shape[2:], s, p, d, op)
    expected = (x.shape[0], w.shape[1] * groups, *out_hw)
    if grad_output.shape != expected:
        raise ValueError(f"grad_output must have the shape of conv_transpose2d's output "
                         f"{expected}, got {grad_output.shape}")
    grad_x = conv2d(grad_output, w, None, s, p, d, groups)[:, :, : x.shape[2], : x.shape[3]]
    grad_w = _weight_grad(grad_output, x, w.shape[2:], s, p, d, groups)
    grad_bias = grad_output.sum(axis=(0, 2, 3))
    return grad_x, grad_w, grad_bias
