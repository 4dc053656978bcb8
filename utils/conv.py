"""Convolution and transposed convolution, in the plain forms the notebooks teach.

Read it top to bottom, in the order of the series: the output sizes (01), the sliding
window (01), im2col and the convolution matrix C (02), then the transposed convolution
three ways (03): C.T, scattered stamps, and "insert zeros, pad, rotate, convolve".
The batched, fast forms with torch's semantics are in utils/framework.py.

Symbols, per spatial axis: i input size, k kernel size, s stride, p padding,
d dilation, o output size. One channel: x, y are (H, W) and w is (kH, kW). Parameters
are ints or (h, w) pairs; after the arrays they are keyword-only, so that none can be
swapped silently. Inputs are never modified; bad input is refused (utils/checks.py).
"""

import numpy as np

from .checks import MAX_SIZE, array, check_budget, check_loop, check_output_padding, integer, pair, params


def _size_args(i, k, stride, padding, dilation):
    return (pair(i, "i", 1), pair(k, "k", 1), pair(stride, "stride", 1),
            pair(padding, "padding", 0), pair(dilation, "dilation", 1))


def conv_output_size(i, k, stride=1, padding=0, dilation=1):
    """o = floor((i + 2p - d(k-1) - 1) / s) + 1: an int, or an (h, w) tuple if any argument is a pair.

    Raises ValueError when the dilated kernel does not fit in the padded input.
    """
    scalar = not any(isinstance(v, (tuple, list)) for v in (i, k, stride, padding, dilation))
    o = []
    for i_, k_, s, p, d in zip(*_size_args(i, k, stride, padding, dilation)):
        o.append((i_ + 2 * p - d * (k_ - 1) - 1) // s + 1)
        if o[-1] < 1:
            raise ValueError(
                f"kernel_size={k_} with dilation={d} spans {d * (k_ - 1) + 1} cells, more than "
                f"the padded input i + 2p = {i_} + 2*{p} = {i_ + 2 * p}: o = floor((i + 2p - "
                f"d(k-1) - 1)/s) + 1 = floor(({i_} + {2 * p} - {d * (k_ - 1)} - 1)/{s}) + 1 = "
                f"{o[-1]}, but it must be >= 1")
    return o[0] if scalar else tuple(o)


def conv_transpose_output_size(i, k, stride=1, padding=0, dilation=1, output_padding=0):
    """o = (i-1)s - 2p + d(k-1) + output_padding + 1 (ints or pairs, as conv_output_size).

    output_padding must be smaller than the stride or the dilation (PyTorch's rule).
    """
    args = (i, k, stride, padding, dilation, output_padding)
    scalar = not any(isinstance(v, (tuple, list)) for v in args)
    i, k, s, p, d = _size_args(i, k, stride, padding, dilation)
    o = []
    for i_, k_, s_, p_, d_, op in zip(i, k, s, p, d, check_output_padding(output_padding, s, d)):
        o.append((i_ - 1) * s_ - 2 * p_ + d_ * (k_ - 1) + op + 1)
        if o[-1] < 1:
            raise ValueError(
                f"padding={p_} crops more than the transposed convolution produces: o = (i-1)s "
                f"- 2p + d(k-1) + output_padding + 1 = ({i_}-1)*{s_} - 2*{p_} + {d_}*({k_}-1) "
                f"+ {op} + 1 = {o[-1]}, but it must be >= 1")
    return o[0] if scalar else tuple(o)


def tap_index(o, i, k, s, p, d):
    """(o, k) array: the input index r*s + a*d - p under tap a of window r, or i where that is padding.

    The one formula behind every form: the convolution reads there, the transposed
    convolution writes there. Index i stands for "in the padding" (a zero row or column).
    """
    index = np.arange(o)[:, None] * s + np.arange(k) * d - p
    return np.where((index >= 0) & (index < i), index, i)


def conv2d_loops(x, w, *, stride=1, padding=0, dilation=1):
    """Sliding-window convolution (deep learning's: the kernel is not flipped), in Python loops.

    x: (H, W), w: (kH, kW) -> (Ho, Wo). Refuses more than MAX_LOOP_STEPS output cells.
    """
    x, w = array(x, "x", 2, "(H, W)"), array(w, "w", 2, "(kH, kW)")
    s, p, d = pair(stride, "stride", 1), pair(padding, "padding", 0), pair(dilation, "dilation", 1)
    (kh, kw), (H, W) = w.shape, x.shape
    Ho, Wo = conv_output_size((H, W), (kh, kw), s, p, d)
    check_loop("conv2d_loops", Ho * Wo, params(output=(Ho, Wo), stride=s, padding=p, dilation=d),
               "conv2d")
    # Output (r, c) reads input rows r*s + a*d - p and columns likewise; one outside x reads
    # the zero row or column appended to x, so the padded input is never built.
    rows, cols = tap_index(Ho, H, kh, s[0], p[0], d[0]), tap_index(Wo, W, kw, s[1], p[1], d[1])
    x_and_zeros = np.pad(x, ((0, 1), (0, 1))).astype(np.result_type(x, w))
    out = np.zeros((Ho, Wo), dtype=x_and_zeros.dtype)
    for r in range(Ho):
        for c in range(Wo):
            window = x_and_zeros[np.ix_(rows[r], cols[c])]  # (kH, kW): the values under the kernel
            out[r, c] = np.sum(window * w)
    return out


def im2col(x, kernel_size, *, stride=1, padding=0, dilation=1):
    """Every window as a column: x (N, C, H, W) -> (N, C*kH*kW, Ho*Wo), like torch's unfold.

    Rows are ordered (channel, kernel row, kernel column), columns row-major over the
    windows. Unbatched (C, H, W) gives (C*kH*kW, L). Keyword-only parameters: torch's
    unfold orders them (dilation, padding, stride).
    """
    x = array(x, "x", (3, 4), "(N, C, H, W) or unbatched (C, H, W)", empty_batch=True)
    if x.ndim == 3:
        return im2col(x[None], kernel_size, stride=stride, padding=padding, dilation=dilation)[0]
    k, s = pair(kernel_size, "kernel_size", 1), pair(stride, "stride", 1)
    p, d = pair(padding, "padding", 0), pair(dilation, "dilation", 1)
    (N, C, H, W), (Ho, Wo) = x.shape, conv_output_size(x.shape[2:], k, s, p, d)
    parameters = params(kernel_size=k, stride=s, padding=p, dilation=d)
    check_budget("im2col's result", (N, C * k[0] * k[1], Ho * Wo), x.itemsize, parameters)
    check_budget("the padded input", (N, C, H + 2 * p[0], W + 2 * p[1]), x.itemsize, parameters)
    padded = np.pad(x, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])))
    span = (d[0] * (k[0] - 1) + 1, d[1] * (k[1] - 1) + 1)  # the pixels one dilated kernel covers
    patches = np.lib.stride_tricks.sliding_window_view(padded, span, axis=(2, 3))
    windows = patches[:, :, ::s[0], ::s[1], ::d[0], ::d[1]]  # (N, C, Ho, Wo, kH, kW), a view
    return np.array(windows.transpose(0, 1, 4, 5, 2, 3)).reshape(N, C * k[0] * k[1], Ho * Wo)


def col2im(cols, output_size, kernel_size, *, stride=1, padding=0, dilation=1):
    """The adjoint of im2col, like torch's fold: (N, C*kH*kW, L) -> (N, C, H, W), overlaps added.

    Each column is added back where its window came from, then the padding is cropped.
    Unbatched (C*kH*kW, L) gives (C, H, W).
    """
    cols = array(cols, "cols", (2, 3), "(N, C*kH*kW, L) or unbatched (C*kH*kW, L)",
                 empty_batch=True)
    if cols.ndim == 2:
        return col2im(cols[None], output_size, kernel_size, stride=stride, padding=padding,
                      dilation=dilation)[0]
    (H, W), k = pair(output_size, "output_size", 1), pair(kernel_size, "kernel_size", 1)
    s, p, d = pair(stride, "stride", 1), pair(padding, "padding", 0), pair(dilation, "dilation", 1)
    (Ho, Wo), (N, rows, L) = conv_output_size((H, W), k, s, p, d), cols.shape
    if rows % (k[0] * k[1]):
        raise ValueError(f"cols has {rows} rows, which is not a multiple of kernel_size "
                         f"{k[0]}*{k[1]} = {k[0] * k[1]}")
    if L != Ho * Wo:
        raise ValueError(f"cols has L={L} columns, but output_size={(H, W)} with these "
                         f"parameters has {Ho}*{Wo} = {Ho * Wo} windows")
    C = rows // (k[0] * k[1])
    check_budget("col2im's padded result", (N, C, H + 2 * p[0], W + 2 * p[1]), cols.itemsize,
                 params(output_size=(H, W), kernel_size=k, stride=s, padding=p, dilation=d))
    taps = cols.reshape(N, C, k[0], k[1], Ho, Wo)
    padded = np.zeros((N, C, H + 2 * p[0], W + 2 * p[1]), dtype=cols.dtype)
    for a in range(k[0]):  # tap (a, b) of window (r, q) lands on (r*s + a*d, q*s + b*d)
        for b in range(k[1]):
            padded[:, :, a * d[0]: a * d[0] + (Ho - 1) * s[0] + 1: s[0],
                   b * d[1]: b * d[1] + (Wo - 1) * s[1] + 1: s[1]] += taps[:, :, a, b]
    return padded[:, :, p[0]: p[0] + H, p[1]: p[1] + W]


def conv_matrix(w, input_shape, *, stride=1, padding=0, dilation=1, max_entries=25_000_000):
    """The convolution matrix C, (Ho*Wo, H*W): conv2d_loops(x, w).ravel() == C @ x.ravel().

    Row r is the kernel placed over the window of output r on an all-zero image the size
    of the input (taps over the padding are dropped). C is dense, (Ho*Wo)*(H*W) entries:
    more than max_entries raises ValueError. A bare C @ x is torch's result for finite
    values only: 0 * inf = nan in C's zeros.
    """
    w = array(w, "w", 2, "(kH, kW)")
    H, W = pair(input_shape, "input_shape", 1)
    s, p, d = pair(stride, "stride", 1), pair(padding, "padding", 0), pair(dilation, "dilation", 1)
    (kh, kw), max_entries = w.shape, integer(max_entries, "max_entries", 1)
    Ho, Wo = conv_output_size((H, W), (kh, kw), s, p, d)
    if Ho * Wo * H * W > max_entries:
        raise ValueError(
            f"conv_matrix would build a dense ({Ho * Wo}, {H * W}) matrix: {Ho * Wo * H * W:,} "
            f"entries, {Ho * Wo * H * W * w.itemsize / 1e6:,.1f} MB; max_entries={max_entries:,}. "
            f"Pass a larger max_entries to build it anyway, or use conv2d, which never builds C")
    check_budget("C", (Ho * Wo, H * W), w.itemsize, params(stride=s, padding=p, dilation=d))
    # C[(r, c), (y, x)] = w[a, b] when input pixel (y, x) is under tap (a, b) of the window
    # of output (r, c), else 0: index kH (kW) picks the zero row (column) appended to w.
    rows = np.full((Ho, H + 1), kh)  # rows[r, y]: the kernel row over input row y, or kH
    rows[np.arange(Ho)[:, None], tap_index(Ho, H, kh, s[0], p[0], d[0])] = np.arange(kh)
    cols = np.full((Wo, W + 1), kw)
    cols[np.arange(Wo)[:, None], tap_index(Wo, W, kw, s[1], p[1], d[1])] = np.arange(kw)
    C = np.pad(w, ((0, 1), (0, 1)))[rows[:, None, :H, None], cols[None, :, None, :W]]
    return C.reshape(Ho * Wo, H * W)


def _transposed_args(y, w, stride, padding, output_padding, dilation):
    """Check a one-channel transposed convolution's arguments; return them, pairs, and the output shape."""
    y, w = array(y, "y", 2, "(H, W)"), array(w, "w", 2, "(kH, kW)")
    s, p, d = pair(stride, "stride", 1), pair(padding, "padding", 0), pair(dilation, "dilation", 1)
    op = check_output_padding(output_padding, s, d)
    shape = conv_transpose_output_size(y.shape, w.shape, s, p, d, op)
    check_budget("the output", shape, np.result_type(y, w).itemsize,
                 params(stride=s, padding=p, output_padding=op, dilation=d))
    return y, w.astype(np.result_type(y, w)), s, p, op, d, shape


def conv_transpose2d_matrix(y, w, *, stride=1, padding=0, output_padding=0, dilation=1,
                            max_entries=25_000_000):
    """View 1: reshape(C.T @ y.ravel()), C the matrix of the convolution from the output back to y.

    y: (H, W), w: (kH, kW) -> (Ho, Wo), Ho = (H-1)s - 2p + d(kH-1) + output_padding + 1.
    """
    y, w, s, p, op, d, shape = _transposed_args(y, w, stride, padding, output_padding, dilation)
    Hc, Wc = conv_output_size(shape, w.shape, s, p, d)  # y's shape, or more rows if op >= s

    def matrix(kernel):  # C, keeping the rows of the outputs y has
        C = conv_matrix(kernel, shape, stride=s, padding=p, dilation=d, max_entries=max_entries)
        return C.reshape(Hc, Wc, -1)[: y.shape[0], : y.shape[1]].reshape(y.size, -1)

    C, values = matrix(w), y.ravel()
    finite = np.isfinite(values)
    out = C.T @ np.where(finite, values, 0)
    if not finite.all():  # 0 * inf = nan: like torch, an inf in y meets only its stamp's taps
        taps = matrix(np.ones(w.shape)) != 0
        for j in np.flatnonzero(~finite):
            out[taps[j]] += values[j] * C[j, taps[j]]
    return out.reshape(shape)


def conv_transpose2d_scatter(y, w, *, stride=1, padding=0, output_padding=0, dilation=1):
    """View 2: each y[r, c] stamps y[r, c] * w into the output; overlapping stamps add up.

    Stamps start s apart, their taps d apart; the border p is cropped. Refuses more than
    MAX_LOOP_STEPS stamps.
    """
    y, w, s, p, op, d, (Ho, Wo) = _transposed_args(y, w, stride, padding, output_padding, dilation)
    (H, W), (kh, kw) = y.shape, w.shape
    check_loop("conv_transpose2d_scatter", H * W,
               params(y_shape=(H, W), stride=s, padding=p, output_padding=op, dilation=d),
               "conv_transpose2d")
    # tap (a, b) of y[r, c]'s stamp lands where the convolution reads: (r*s + a*d - p, ...);
    # a tap the padding crops away lands in the extra last row or column
    rows, cols = tap_index(H, Ho, kh, s[0], p[0], d[0]), tap_index(W, Wo, kw, s[1], p[1], d[1])
    canvas = np.zeros((Ho + 1, Wo + 1), dtype=w.dtype)
    for r in range(H):
        for c in range(W):
            canvas[np.ix_(rows[r], cols[c])] += y[r, c] * w
    return canvas[:Ho, :Wo]


def stretch(y, stride):
    """Insert s-1 zeros between the values of y: (H, W) -> ((H-1)s + 1, (W-1)s + 1)."""
    y = array(y, "y", 2, "(H, W)")
    sh, sw = pair(stride, "stride", 1)
    shape = ((y.shape[0] - 1) * sh + 1, (y.shape[1] - 1) * sw + 1)
    check_budget("the stretched y", shape, y.itemsize, params(stride=(sh, sw)))
    stretched = np.zeros(shape, dtype=y.dtype)
    stretched[::sh, ::sw] = y
    return stretched


def pad_or_crop(x, *, top, bottom, left, right):
    """Zero-pad each side of x (H, W) by the given amount; a negative amount crops.

    Named sides, keyword-only: torch.nn.functional.pad orders them left, right, top, bottom.
    """
    x = array(x, "x", 2, "(H, W)")
    sides = {"top": top, "bottom": bottom, "left": left, "right": right}
    for name, amount in sides.items():
        if abs(integer(amount, name, -MAX_SIZE)) > MAX_SIZE:
            raise ValueError(f"{name} must be from -{MAX_SIZE:,} to {MAX_SIZE:,}, got {amount!r}")
    H, W = x.shape[0] + top + bottom, x.shape[1] + left + right
    if H < 1 or W < 1:
        raise ValueError(f"top={top}, bottom={bottom}, left={left}, right={right} would leave a "
                         f"({H}, {W}) array from x of shape {x.shape}; keep at least one row and column")
    return _pad_or_crop(x, top, bottom, left, right)


def _pad_or_crop(x, top, bottom, left, right):
    """pad_or_crop on the last two axes of an array of any rank (checks the budget only)."""
    widths = [(max(top, 0), max(bottom, 0)), (max(left, 0), max(right, 0))]
    shape = (*x.shape[:-2], *(n + a + b for n, (a, b) in zip(x.shape[-2:], widths)))
    check_budget("the padded array", shape, x.itemsize,
                 params(top=top, bottom=bottom, left=left, right=right))
    x = np.pad(x, [(0, 0)] * (x.ndim - 2) + widths)
    return x[..., max(-top, 0): x.shape[-2] - max(-bottom, 0),
             max(-left, 0): x.shape[-1] - max(-right, 0)]


def conv_transpose2d_as_conv(y, w, *, stride=1, padding=0, output_padding=0, dilation=1):
    """View 3: insert s-1 zeros between the values of y, pad each side by d(k-1)-p (and
    output_padding more at the bottom/right; a negative amount crops), rotate the kernel
    180 degrees, and slide it with conv2d_loops (stride 1, dilation d). An inf or nan in y
    gives torch's result; one in w does not (it meets the inserted zeros: 0 * inf = nan).
    """
    y, w, s, p, op, d, _ = _transposed_args(y, w, stride, padding, output_padding, dilation)
    edge_h, edge_w = d[0] * (w.shape[0] - 1) - p[0], d[1] * (w.shape[1] - 1) - p[1]
    padded = pad_or_crop(stretch(y, s), top=edge_h, bottom=edge_h + op[0], left=edge_w,
                         right=edge_w + op[1])
    return conv2d_loops(padded, w[::-1, ::-1], stride=1, padding=0, dilation=d)
