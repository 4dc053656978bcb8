"""Framework-speed helpers: how utils.conv2d and utils.conv_transpose2d keep up with PyTorch.

Nothing here is needed to understand convolution (utils/conv.py teaches it); these are
the tricks that make the batched forms fast in plain NumPy, each with what it buys:

- Phase split (space-to-depth): a stride-s convolution reads padded pixel r*s + a*d,
  which is pixel r + a*d // s of phase a*d % s (the pixels with the same row % s). In
  its phase every kernel tap reads a unit-stride block, so strided work becomes
  stride-1 work. With s = 1 there is one phase: the padded input itself. (Used for
  depthwise layers; a strided layer with several channels per group measured faster
  with im2col's gather, see conv2d.)
- Wide output: flatten each phase, images and rows one after another. Tap (a, b) then
  reads one contiguous slice of it, at offset row*Wq + column, for every output pixel
  at once; the outputs that straddle two rows are garbage and are cropped at the end.
  So no window is gathered pixel by pixel.
- Shifted columns: stack the k*k shifted slices of a block of columns (contiguous
  copies, in the CPU cache) and do one matrix product for every group at once (a
  batched product, no Python loop over groups).
- Depthwise (one input channel per group): a matrix product with one row would waste
  BLAS, so each tap is one vectorised multiply-add over a block of channels: k*k passes.

Layouts: x (N, C_in, H, W), conv2d's w (C_out, C_in/G, kH, kW), conv_transpose2d's w
(C_in, C_out/G, kH, kW); stride, padding, dilation are (h, w) pairs; arguments are checked
by utils.conv before they get here, and arrays already have the result's dtype.
"""

import numpy as np

# Entries of a block of output (or of shifted columns) worked on at a time: 256 Ki
# float32 entries, 1 MB, the size of the L2 cache of the machine we measure on. Measured
# (2 threads, wall time): 2**18 was 20-50% faster than 2**16 (too many small BLAS
# calls, each waking the BLAS threads) and 5-25% faster than 2**20.
BLOCK_ENTRIES = 2**18


def _phases(x, stride, padding, rows, columns):
    """Space-to-depth of the zero-padded x: (C, sh*sw, N*rows*columns).

    Entry [c, ph*sw + pw, (n*rows + r)*columns + q] is padded pixel (r*sh + ph, q*sw + pw)
    of image n; the padded image is cut or zero-extended to rows*sh by columns*sw.
    """
    N, C, H, W = x.shape
    (sh, sw), (ph, pw) = stride, padding
    canvas = np.zeros((C, N, rows * sh, columns * sw), dtype=x.dtype)
    h, w = max(0, min(H, rows * sh - ph)), max(0, min(W, columns * sw - pw))
    canvas[:, :, ph: ph + h, pw: pw + w] = x[:, :, :h, :w].transpose(1, 0, 2, 3)
    phases = canvas.reshape(C, N, rows, sh, columns, sw).transpose(0, 3, 5, 1, 2, 4)
    return np.ascontiguousarray(phases).reshape(C, sh * sw, N * rows * columns)


def _taps(kernel_size, stride, dilation, columns):
    """(phase, offset) of every kernel tap (a, b), in row-major order.

    Tap (a, b) reads (or writes) phase (a*d % s) at (a*d // s) rows and (b*d // s)
    columns from the window's start: offset (a*d // s)*columns + (b*d // s) when flat.
    """
    (kh, kw), (sh, sw), (dh, dw) = kernel_size, stride, dilation
    taps = []
    for a in range(kh):
        row, row_phase = divmod(a * dh, sh)
        for b in range(kw):
            column, column_phase = divmod(b * dw, sw)
            taps.append((row_phase * sw + column_phase, row * columns + column))
    return taps


def conv2d(x, w, stride, padding, dilation, groups):
    """conv2d, by whichever way measured fastest for the case.

    x: (N, C_in, H, W), w: (C_out, C_in/G, kH, kW) -> (N, C_out, Ho, Wo).
    - depthwise (C_in/G = 1): k*k multiply-adds (measured as fast as im2col's copy, or
      faster, with no columns k*k times the output);
    - stride 1: shifted columns of the wide output (contiguous copies, no gather);
    - strided, C_in/G > 1: im2col of a few images at a time, then one product (the
      phase split measured 10-40% slower here: its extra copy of the input costs more
      than the gather it saves, and small images waste the wide output's extra columns);
      also when most of the padded image is padding no window reads.
    """
    N, C_in, H, W = x.shape
    C_out, C_per_group, kh, kw = w.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    G = groups
    Ho = (H + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    Wo = (W + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    if N == 0:
        return np.zeros((0, C_out, Ho, Wo), dtype=x.dtype)
    from .conv import _mostly_padding, _windows  # here, not at the top: conv imports fast

    if (sh, sw) != (1, 1) and C_per_group > 1 or _mostly_padding((H, W), padding, (kh, kw),
                                                                  (Ho, Wo)):
        # (a padded canvas that is mostly unread padding: _windows gathers the taps instead)
        return _conv2d_im2col(_windows(x, (kh, kw), stride, padding, dilation), w, groups)
    # a phase holds the output's rows plus the rows the last tap reaches past them
    rows, columns = Ho + dh * (kh - 1) // sh, Wo + dw * (kw - 1) // sw
    phases = _phases(x, stride, padding, rows, columns).reshape(G, C_per_group, sh * sw, -1)
    taps = _taps((kh, kw), stride, dilation, columns)
    # wide outputs 0..M-1 include every real one; each tap's slice stays inside its phase
    M = N * rows * columns - taps[-1][1]
    wide = np.empty((G, C_out // G, N * rows * columns), dtype=x.dtype)
    if C_per_group == 1:
        _depthwise_passes(phases[:, 0], w.reshape(G, C_out // G, kh * kw), taps, wide[:, :, :M])
    else:
        _shifted_columns(phases, w.reshape(G, C_out // G, C_per_group * kh * kw), taps,
                         wide[:, :, :M])
    out = wide.reshape(C_out, N, rows, columns)[:, :, :Ho, :Wo].transpose(1, 0, 2, 3)
    return np.ascontiguousarray(out)


# Columns per product in _conv2d_im2col: max(1, COLUMNS_PER_PRODUCT // (Ho*Wo)) images at
# a time, so small images still give BLAS enough columns, and the columns of a product stay
# small. Measured (2 threads, wall time, strided layers): 4096 was 1.5-2x faster than 1024
# and within 10% of 16384, which needs four times the memory.
COLUMNS_PER_PRODUCT = 4096


def _conv2d_im2col(windows, w, groups):
    """im2col of a few images at a time, their columns side by side, then one batched product.

    windows: (N, C_in, kH, kW, Ho, Wo), a view of the padded input (utils.conv._windows).
    """
    N, C_in, kh, kw, Ho, Wo = windows.shape
    C_out, C_per_group = w.shape[:2]
    G, L = groups, Ho * Wo
    weights = np.ascontiguousarray(w.reshape(G, C_out // G, C_per_group * kh * kw))
    out = np.empty((N, C_out, L), dtype=w.dtype)
    step = max(1, COLUMNS_PER_PRODUCT // L)  # images per product
    # two buffers reused by every product: first-touched memory costs a page fault per 4 KB
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


def _shifted_columns(phases, weights, taps, out):
    """out (G, Co, M) = weights (G, Co, Ci*k*k) @ columns, one block of columns at a time.

    The columns of block [j, j+m) are the k*k slices phases[:, :, phase, j+offset:][:m]
    (contiguous copies into one reused buffer), so the product's columns stay in cache.
    """
    G, C_per_group = phases.shape[:2]
    M = out.shape[2]
    step = max(256, BLOCK_ENTRIES // (G * C_per_group * len(taps)))  # columns per block
    buffer = np.empty((G, C_per_group, len(taps), min(step, M)), dtype=out.dtype)
    weights = np.ascontiguousarray(weights)  # NumPy hands only contiguous arrays to BLAS
    for j in range(0, M, step):
        m = min(step, M - j)
        columns = buffer[..., :m]
        for t, (phase, offset) in enumerate(taps):
            columns[:, :, t] = phases[:, :, phase, j + offset: j + offset + m]
        np.matmul(weights, columns.reshape(G, -1, m), out=out[:, :, j: j + m])


def _depthwise_passes(phases, weights, taps, out):
    """out (G, Co, M) = sum over taps t of weights[:, :, t] * phases[:, phase_t, offset_t:][:M].

    phases: (G, sh*sw, L), one input channel per group. A few channels at a time, so
    the k*k multiply-adds run over data in cache.
    """
    G, C_out_per_group, M = out.shape

    block = max(1, BLOCK_ENTRIES // (C_out_per_group * M))  # channels per block
    product = np.empty((min(block, G), C_out_per_group, M), dtype=out.dtype)
    for g in range(0, G, block):
        acc, tmp = out[g: g + block], product[: min(block, G - g)]
        for t, (phase, offset) in enumerate(taps):
            source = phases[g: g + block, None, phase, offset: offset + M]  # (block, 1, M)
            np.multiply(weights[g: g + block, :, t, None], source, out=tmp if t else acc)
            if t:
                acc += tmp


def conv_transpose2d_depthwise(x, w, stride, padding, out_hw, dilation):
    """conv_transpose2d with one input channel per group (groups = C_in): k*k multiply-adds.

    x: (N, C_in, H, W), w: (C_in, C_out/C_in, kH, kW) -> (N, C_out, *out_hw). Each tap
    scales the whole batch by its weight and adds it, shifted, into its phase of the
    output (the scatter of notebook 03, vectorised); then the phases are interleaved
    and the padding p is cropped. No stamps array of k*k times the output is built.
    """
    N, C_in, H, W = x.shape
    _, C_out_per_group, kh, kw = w.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    if N == 0:
        return np.zeros((0, C_in * C_out_per_group, *out_hw), dtype=x.dtype)
    # rows of a phase: enough for every stamp, and for the output after the padding p
    rows = max(H + dh * (kh - 1) // sh, -(-(ph + out_hw[0]) // sh))
    columns = max(W + dw * (kw - 1) // sw, -(-(pw + out_hw[1]) // sw))
    taps = _taps((kh, kw), stride, dilation, columns)
    # x on the phase grid (zeros to the right of and below each image), flat
    wide_x = _phases(x, (1, 1), (0, 0), rows, columns)[:, 0]  # (C_in, N*rows*columns)
    M = N * rows * columns - taps[-1][1]  # every pixel of x, and no tap writes past the end
    phases = np.zeros((C_in, C_out_per_group, sh * sw, N * rows * columns), dtype=x.dtype)
    weights = w.reshape(C_in, C_out_per_group, kh * kw)
    block = max(1, BLOCK_ENTRIES // (C_out_per_group * M))  # channels per block
    product = np.empty((min(block, C_in), C_out_per_group, M), dtype=x.dtype)
    for c in range(0, C_in, block):
        tmp = product[: min(block, C_in - c)]
        for t, (phase, offset) in enumerate(taps):
            np.multiply(weights[c: c + block, :, t, None], wide_x[c: c + block, None, :M], out=tmp)
            phases[c: c + block, :, phase, offset: offset + M] += tmp
    # interleave: canvas pixel (r*sh + ph, q*sw + pw) is phase ph*sw + pw at (r, q)
    canvas = phases.reshape(C_in * C_out_per_group, sh, sw, N, rows, columns)
    canvas = canvas.transpose(3, 0, 4, 1, 5, 2).reshape(N, -1, rows * sh, columns * sw)
    out = canvas[:, :, ph: ph + out_hw[0], pw: pw + out_hw[1]]
    return np.ascontiguousarray(out)
