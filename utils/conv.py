"""Convolution and transposed convolution, written several ways.

Symbols used throughout (per spatial axis):
    i  input size       k  kernel size     s  stride
    p  padding          d  dilation        o  output size
    output_padding  the extra rows/columns a transposed convolution adds

Every function takes NumPy arrays, computes in the input's floating dtype
(integers become float64), never modifies its inputs, and accepts stride,
padding, dilation and output_padding as an int or an (h, w) pair.

What every function accepts and refuses (each error names the parameter, the
value received and what is allowed):
- arrays: NumPy arrays or rectangular nested lists of bool, int or float;
  refused with TypeError: complex, object, str, datetime64/timedelta64, masked
  arrays, torch tensors (pass t.detach().cpu().numpy()); ValueError: a wrong
  number of dimensions, ragged lists, empty arrays (except an empty batch N = 0
  where torch accepts one). Mixed dtypes follow NumPy's promotion (torch refuses
  them): float32 with float64 computes in float64.
- sizes and parameters: ints (not bool, not float), stride, dilation and sizes
  >= 1, padding and output_padding >= 0, all at most MAX_SIZE.
- the size budget: no result or temporary over MAX_ENTRIES entries, no Python
  loop over MAX_LOOP_STEPS steps; the ValueError gives the shape, the memory and
  the parameters. Bad input is refused before any large array is built.
- order: conv2d and conv_transpose2d (and their gradients) take torch.nn.functional's
  positional order, the size formulas the order of their formula (i, k, s, p, d,
  output_padding); everywhere else the parameters after the arrays are
  keyword-only, so that none can be swapped silently.
- non-finite values (inf, nan) give torch's result, with two exceptions that
  come from the form itself: a bare C @ x with conv_matrix's C (an inf in x
  meets C's zeros; an inf weight over the padding is dropped with the padding),
  and conv_transpose2d_as_conv with an inf or nan in w (the kernel meets the
  inserted zeros and the padding). 0 * inf = nan is where they differ.
"""

import math
import numbers

import numpy as np

from . import fast

# ---------------------------------------------------------------------------
# Argument checking: every public function goes through these helpers, so
# every error names the parameter, the value received and what is allowed.
# ---------------------------------------------------------------------------


# Sizes are capped so that index arithmetic such as r*s + a*d - p always fits in
# NumPy's int64 (2**31 * 2**31 < 2**63); no image comes near it.
MAX_SIZE = 2**31 - 1

# The size budget: no function builds an array (its result or a temporary) of more
# entries than MAX_ENTRIES, nor runs a Python loop more than MAX_LOOP_STEPS times.
# Beyond it, a ValueError says what would be built, its memory and the parameters.
MAX_ENTRIES = 2**27  # 134,217,728 entries: 1 GiB of float64
MAX_LOOP_STEPS = 2**20  # about a million steps: a few seconds of Python


def _pair(value, name, minimum):
    """Return value as an (h, w) tuple of ints, each from minimum to MAX_SIZE."""
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
        if v > MAX_SIZE:
            raise ValueError(f"{name} must be <= {MAX_SIZE:,} (utils.conv.MAX_SIZE), got {value!r}")
    return tuple(int(v) for v in values)


def _array(x, name, ndim, layout, empty_batch=False):
    """Return x as a floating array with ndim dimensions (a view, never a copy to modify).

    ndim may be a tuple of allowed ranks. Refused: torch tensors, masked arrays, ragged
    lists, and any dtype but bool, int, uint and float. Empty arrays are refused, except
    for an empty batch (axis 0) when empty_batch is true, as torch allows.
    """
    if type(x).__module__.split(".")[0] == "torch":
        raise TypeError(f"{name} must be a NumPy array, got a torch.Tensor: pass "
                        f"{name}.detach().cpu().numpy() (utils computes in NumPy)")
    if isinstance(x, np.ma.MaskedArray):  # convolution would silently use the masked values
        raise TypeError(f"{name} must be a plain NumPy array, got a masked array: fill the "
                        f"masked values first, e.g. {name}.filled(0)")
    try:
        x = np.asarray(x)
    except ValueError:  # numpy's "inhomogeneous shape" for nested lists of unequal lengths
        raise ValueError(f"{name} must be a rectangular array, got nested sequences of "
                         f"different lengths (a ragged list)") from None
    if x.dtype.kind == "c":
        raise TypeError(f"{name} must be real, got dtype {x.dtype}")
    if x.dtype.kind not in "biuf":  # not object, str, datetime64, timedelta64, ...
        raise TypeError(f"{name} must be a numeric array (bool, int or float), got dtype {x.dtype}")
    ranks = ndim if isinstance(ndim, tuple) else (ndim,)
    if x.ndim not in ranks:
        raise ValueError(f"{name} must be {' or '.join(f'{n}-D' for n in ranks)} {layout}, "
                         f"got shape {x.shape}")
    if x.size == 0 and not (empty_batch and x.ndim == max(ranks) and 0 not in x.shape[1:]):
        allowed = " (only the batch axis N may be 0)" if empty_batch else ""
        raise ValueError(f"{name} must not be empty{allowed}, got shape {x.shape}")
    if x.dtype.kind != "f":
        x = x.astype(np.float64)
    return x


def _megabytes(entries, itemsize):
    return f"{entries * itemsize / 1e6:,.1f} MB"


def _check_budget(what, shape, itemsize, parameters):
    """Refuse to build an array of `shape` beyond MAX_ENTRIES; parameters: 'name=value, ...'."""
    entries = math.prod(shape)
    if entries > MAX_ENTRIES:
        raise ValueError(f"{what} would have shape {tuple(shape)}: {entries:,} entries, "
                         f"{_megabytes(entries, itemsize)}, with {parameters}; that is more than "
                         f"the size budget of {MAX_ENTRIES:,} entries (utils.conv.MAX_ENTRIES)")


def _check_loop(what, steps, parameters, instead):
    """Refuse a Python loop of more than MAX_LOOP_STEPS steps."""
    if steps > MAX_LOOP_STEPS:
        raise ValueError(f"{what} would loop {steps:,} times in Python with {parameters}; that "
                         f"is more than the budget of {MAX_LOOP_STEPS:,} steps (utils.conv."
                         f"MAX_LOOP_STEPS): use {instead}, which does not loop over pixels")


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

    i, k and the parameters are ints or (h, w) pairs, taken by position in the order
    of the formula; the result is an int if every argument is an int, else an (h, w)
    tuple. i, k, stride, dilation >= 1, padding >= 0, all at most MAX_SIZE (ints, not
    floats or bools). Raises ValueError when the (dilated) kernel does not fit in the
    padded input.
    """
    scalar = all(not isinstance(v, (tuple, list)) for v in (i, k, stride, padding, dilation))
    i, k = _pair(i, "i", 1), _pair(k, "k", 1)
    s, p, d = _pair(stride, "stride", 1), _pair(padding, "padding", 0), _pair(dilation, "dilation", 1)
    o = tuple(_conv_size_1d(*args) for args in zip(i, k, s, p, d))
    return o[0] if scalar else o


def conv_transpose_output_size(i, k, stride=1, padding=0, dilation=1, output_padding=0):
    """Output size of a transposed convolution: o = (i-1)s - 2p + d(k-1) + output_padding + 1.

    Ints or (h, w) pairs, as for conv_output_size. output_padding (>= 0) must be
    smaller than the stride or the dilation (PyTorch's rule). Raises ValueError when
    the padding crops away the whole output.
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


def _tap_index(o, i, k, s, p, d):
    """(o, k): the input index r*s + a*d - p under tap a of window r, or i where that is padding.

    The one formula behind every form: the convolution reads there, the transposed
    convolution writes there. Index i stands for "in the padding" (a zero row or column).
    """
    index = np.arange(o)[:, None] * s + np.arange(k) * d - p
    return np.where((index >= 0) & (index < i), index, i)


def _params(**values):
    """'stride=(1, 1), padding=(0, 0), ...': the parameters an error message shows."""
    return ", ".join(f"{name}={value}" for name, value in values.items())


def conv2d_loops(x, w, *, stride=1, padding=0, dilation=1):
    """Sliding-window convolution (deep-learning style: the kernel is not flipped).

    x: (H, W), w: (kH, kW) -> (Ho, Wo), with Python loops over the output.
    stride, padding, dilation: keyword-only (so they cannot be swapped), each an int or
    an (h, w) pair; stride and dilation >= 1, padding >= 0. Refuses an output of more
    than MAX_LOOP_STEPS cells (use conv2d). An inf or nan in x reaches only the outputs
    whose window holds it, as in torch.
    """
    x = _array(x, "x", 2, "(H, W)")
    w = _array(w, "w", 2, "(kH, kW)")
    s, p, d = _pair(stride, "stride", 1), _pair(padding, "padding", 0), _pair(dilation, "dilation", 1)
    (kh, kw), (H, W) = w.shape, x.shape
    Ho, Wo = conv_output_size((H, W), (kh, kw), s, p, d)
    _check_loop("conv2d_loops", Ho * Wo, _params(output=(Ho, Wo), stride=s, padding=p, dilation=d),
                "conv2d")

    # Output (r, c) reads input rows r*s + a*d - p (a = 0 .. kH-1) and columns likewise.
    # A row or column outside x is padding: it reads the zero row or column appended to
    # x, so the padded input is never built, however large p is.
    rows = _tap_index(Ho, H, kh, s[0], p[0], d[0])  # (Ho, kH)
    cols = _tap_index(Wo, W, kw, s[1], p[1], d[1])  # (Wo, kW)
    x_and_zeros = np.pad(x, ((0, 1), (0, 1))).astype(_dtype(x, w))
    out = np.zeros((Ho, Wo), dtype=x_and_zeros.dtype)
    for r in range(Ho):
        for c in range(Wo):
            window = x_and_zeros[np.ix_(rows[r], cols[c])]  # (kH, kW): the values under the kernel
            out[r, c] = np.sum(window * w)
    return out


def _max_entries(max_entries):
    if isinstance(max_entries, (bool, np.bool_)) or not isinstance(max_entries, numbers.Integral):
        raise TypeError(f"max_entries must be an int, got {max_entries!r} "
                        f"({type(max_entries).__name__})")
    if max_entries < 1:
        raise ValueError(f"max_entries must be >= 1, got {max_entries!r}")
    return int(max_entries)


def conv_matrix(w, input_shape, *, stride=1, padding=0, dilation=1, max_entries=25_000_000):
    """The convolution matrix C, shape (Ho*Wo, H*W): conv2d_loops(x, w).ravel() == C @ x.ravel().

    Row r is the kernel placed over the window of output r, on an all-zero image the size
    of the input (taps that land in the padding are dropped). w: (kH, kW); input_shape:
    an int or (H, W); stride, padding, dilation (keyword-only) as for conv2d_loops.
    C is dense and grows as (Ho*Wo)*(H*W): more than max_entries entries (an int >= 1)
    raises ValueError, and so does more than MAX_ENTRIES whatever max_entries says.
    C @ x.ravel() is torch's convolution for finite x and w only: 0 * inf = nan, so an inf
    in x spreads through the zeros of C to every output (conv2d keeps it to the outputs
    whose window holds it; conv_transpose2d_matrix takes care of this for C.T), and an
    inf weight over the padding is dropped (torch multiplies it by the padding's zeros).
    """
    w = _array(w, "w", 2, "(kH, kW)")
    H, W = _pair(input_shape, "input_shape", 1)
    s, p, d = _pair(stride, "stride", 1), _pair(padding, "padding", 0), _pair(dilation, "dilation", 1)
    max_entries = _max_entries(max_entries)
    kh, kw = w.shape
    Ho, Wo = conv_output_size((H, W), (kh, kw), s, p, d)
    entries = Ho * Wo * H * W
    if entries > max_entries:
        raise ValueError(
            f"conv_matrix would build a dense ({Ho * Wo}, {H * W}) matrix: {entries:,} entries, "
            f"{entries * w.itemsize / 1e6:,.1f} MB; max_entries={max_entries:,}. Pass a larger "
            f"max_entries to build it anyway, or use conv2d, which never builds C")
    _check_budget("C", (Ho * Wo, H * W), w.itemsize, _params(stride=s, padding=p, dilation=d))

    # C[(r, c), (y, x)] = w[a, b] when input pixel (y, x) is under tap (a, b) of the window
    # of output (r, c), else 0. Tap index kH (kW) is a zero row (column) appended to w.
    rows = np.full((Ho, H + 1), kh)  # rows[r, y]: the kernel row over input row y, or kH
    rows[np.arange(Ho)[:, None], _tap_index(Ho, H, kh, s[0], p[0], d[0])] = np.arange(kh)
    cols = np.full((Wo, W + 1), kw)
    cols[np.arange(Wo)[:, None], _tap_index(Wo, W, kw, s[1], p[1], d[1])] = np.arange(kw)
    kernel_and_zeros = np.pad(w, ((0, 1), (0, 1)))
    C = kernel_and_zeros[rows[:, None, :H, None], cols[None, :, None, :W]]  # (Ho, Wo, H, W)
    return C.reshape(Ho * Wo, H * W)


def _transpose_setup(y, w, stride, padding, output_padding, dilation):
    """Check the arguments of a one-channel transposed convolution; return them as pairs."""
    y = _array(y, "y", 2, "(H, W)")
    w = _array(w, "w", 2, "(kH, kW)")
    s, p = _pair(stride, "stride", 1), _pair(padding, "padding", 0)
    op, d = _pair(output_padding, "output_padding", 0), _pair(dilation, "dilation", 1)
    out_shape = conv_transpose_output_size(y.shape, w.shape, s, p, d, op)
    _check_budget("the output", out_shape, _dtype(y, w).itemsize,
                  _params(stride=s, padding=p, output_padding=op, dilation=d))
    return y, w, s, p, op, d, out_shape


def conv_transpose2d_matrix(y, w, *, stride=1, padding=0, output_padding=0, dilation=1,
                            max_entries=25_000_000):
    """Transposed convolution as a matrix product: reshape(C.T @ y.ravel()).

    C is the matrix of the convolution that maps the output shape back to y's shape.
    y: (H, W), w: (kH, kW) -> (Ho, Wo), Ho = (H-1)s - 2p + d(kH-1) + output_padding + 1.
    stride, padding, output_padding, dilation: keyword-only ints or (h, w) pairs;
    output_padding must be smaller than the stride or the dilation. max_entries bounds
    C as in conv_matrix. An inf or nan in y reaches only the outputs its stamp covers,
    as in torch and the scatter view (a plain C.T @ y would turn 0 * inf into nan).
    """
    y, w, s, p, op, d, out_shape = _transpose_setup(y, w, stride, padding, output_padding, dilation)
    # With output_padding >= stride (allowed when dilation is larger) the
    # convolution of out_shape has extra output rows; y only covers the first ones.
    Hc, Wc = conv_output_size(out_shape, w.shape, s, p, d)

    def matrix(kernel):
        C = conv_matrix(kernel, out_shape, stride=s, padding=p, dilation=d, max_entries=max_entries)
        return C.reshape(Hc, Wc, -1)[: y.shape[0], : y.shape[1]].reshape(y.size, -1)

    C = matrix(w.astype(_dtype(y, w)))
    values = y.ravel()
    finite = np.isfinite(values)
    out = C.T @ np.where(finite, values, 0)
    if not finite.all():
        # 0 * inf = nan: C.T @ y would spread an inf or nan through every zero of its row
        # of C. Like torch, multiply it only by the kernel taps of its stamp.
        taps = matrix(np.ones(w.shape)) != 0
        for j in np.flatnonzero(~finite):
            out[taps[j]] += values[j] * C[j, taps[j]]
    return out.reshape(out_shape)


def conv_transpose2d_scatter(y, w, *, stride=1, padding=0, output_padding=0, dilation=1):
    """Transposed convolution as scatter: each y[r, c] stamps y[r, c] * w into the output.

    Stamps start s apart and their taps are d apart; overlaps add up. The border p is
    cropped (output_padding extends the bottom/right edge). Parameters as for
    conv_transpose2d_matrix; refuses more than MAX_LOOP_STEPS stamps (use conv_transpose2d).
    """
    y, w, s, p, op, d, (Ho, Wo) = _transpose_setup(y, w, stride, padding, output_padding, dilation)
    (H, W), (kh, kw) = y.shape, w.shape
    _check_loop("conv_transpose2d_scatter", H * W,
                _params(y_shape=(H, W), stride=s, padding=p, output_padding=op, dilation=d),
                "conv_transpose2d")
    # Tap (a, b) of the stamp of y[r, c] lands on output (r*s + a*d - p, c*s + b*d - p): where
    # the convolution reads. Taps that the padding crops away land in an extra row and column.
    rows = _tap_index(H, Ho, kh, s[0], p[0], d[0])  # (H, kH)
    cols = _tap_index(W, Wo, kw, s[1], p[1], d[1])  # (W, kW)
    canvas = np.zeros((Ho + 1, Wo + 1), dtype=_dtype(y, w))
    for r in range(H):
        for c in range(W):
            canvas[np.ix_(rows[r], cols[c])] += y[r, c] * w
    return canvas[:Ho, :Wo]


def stretch(y, stride):
    """Insert stride-1 zeros between the values of y: (H, W) -> ((H-1)s + 1, (W-1)s + 1).

    stride: an int or (h, w) pair, >= 1. Refuses a result of more than MAX_ENTRIES entries.
    """
    y = _array(y, "y", 2, "(H, W)")
    sh, sw = _pair(stride, "stride", 1)
    shape = ((y.shape[0] - 1) * sh + 1, (y.shape[1] - 1) * sw + 1)
    _check_budget("the stretched y", shape, y.itemsize, _params(stride=(sh, sw)))
    stretched = np.zeros(shape, dtype=y.dtype)
    stretched[::sh, ::sw] = y
    return stretched


def pad_or_crop(x, *, top, bottom, left, right):
    """Zero-pad each side of a 2-D array by the given amount; a negative amount crops instead.

    top, bottom, left, right: keyword-only ints (torch.nn.functional.pad orders them
    left, right, top, bottom: naming them rules out a mix-up), each at most MAX_SIZE in
    size. Refuses a result with no row or column, or of more than MAX_ENTRIES entries.
    """
    x = _array(x, "x", 2, "(H, W)")
    for name, amount in (("top", top), ("bottom", bottom), ("left", left), ("right", right)):
        if isinstance(amount, (bool, np.bool_)) or not isinstance(amount, numbers.Integral):
            raise TypeError(f"{name} must be an int, got {amount!r} ({type(amount).__name__})")
        if abs(amount) > MAX_SIZE:
            raise ValueError(f"{name} must be from -{MAX_SIZE:,} to {MAX_SIZE:,} "
                             f"(utils.conv.MAX_SIZE), got {amount!r}")
    H, W = x.shape[0] + top + bottom, x.shape[1] + left + right
    if H < 1 or W < 1:
        raise ValueError(f"top={top}, bottom={bottom}, left={left}, right={right} would leave a "
                         f"({H}, {W}) array from x of shape {x.shape}; keep at least one row and column")
    return _pad_or_crop_last_two(x, top, bottom, left, right)


def _pad_or_crop_last_two(x, top, bottom, left, right):
    """pad_or_crop on the last two axes of an array of any rank (checks only the budget)."""
    shape = (*x.shape[:-2], x.shape[-2] + max(top, 0) + max(bottom, 0),
             x.shape[-1] + max(left, 0) + max(right, 0))
    _check_budget("the padded array", shape, x.itemsize,
                  _params(top=top, bottom=bottom, left=left, right=right))
    widths = [(0, 0)] * (x.ndim - 2) + [(max(top, 0), max(bottom, 0)), (max(left, 0), max(right, 0))]
    x = np.pad(x, widths)
    H, W = x.shape[-2:]
    return x[..., max(-top, 0): H - max(-bottom, 0), max(-left, 0): W - max(-right, 0)]


def conv_transpose2d_as_conv(y, w, *, stride=1, padding=0, output_padding=0, dilation=1):
    """Transposed convolution as an ordinary stride-1 convolution.

    Insert s-1 zeros between the values of y, pad each side by d(k-1)-p (plus
    output_padding on the bottom/right; a negative amount crops), rotate the
    kernel 180 degrees, and slide it with conv2d_loops (stride 1, dilation d).
    Parameters as for conv_transpose2d_matrix. It builds the stretched, padded input,
    so it refuses one of more than MAX_ENTRIES entries (conv_transpose2d does not).
    An inf or nan in y gives torch's result; one in w does not: the kernel also meets
    the inserted zeros and the padding, and 0 * inf = nan.
    """
    y, w, s, p, op, d, _ = _transpose_setup(y, w, stride, padding, output_padding, dilation)
    (ph, pw), (dh, dw), (kh, kw) = p, d, w.shape
    edge_h, edge_w = dh * (kh - 1) - ph, dw * (kw - 1) - pw
    padded = pad_or_crop(stretch(y, s), top=edge_h, bottom=edge_h + op[0], left=edge_w,
                         right=edge_w + op[1])
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


def _mostly_padding(image_hw, padding, kernel_size, windows_hw):
    """True when most of the padded image is padding that no window reads.

    That is, the padded image has more entries than twice the image plus every tap of
    every window: e.g. p = 1000 with a stride or dilation that leaves a 1x1 output.
    The forms then gather or scatter the taps one by one instead of building it.
    """
    (H, W), (ph, pw), (kh, kw), (bh, bw) = image_hw, padding, kernel_size, windows_hw
    return (H + 2 * ph) * (W + 2 * pw) > 2 * H * W + kh * kw * bh * bw


def _windows(x, kernel_size, stride, padding, dilation):
    """Every window of the padded x as a view (N, C, kH, kW, Ho, Wo); only the padding copies x.

    Element [n, c, a, b, r, q] is padded[n, c, r*s + a*d, q*s + b*d]: kernel tap (a, b)
    of the window at output position (r, q).
    """
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel_size, stride, padding, dilation
    N, C, H, W = x.shape
    Ho, Wo = conv_output_size((H, W), (kh, kw), stride, padding, dilation)
    if _mostly_padding((H, W), padding, kernel_size, (Ho, Wo)):
        # gather the taps instead; a tap in the padding reads the zero row/column appended to x
        _check_budget("the windows", (N, C, kh, kw, Ho, Wo), x.itemsize,
                      _params(kernel_size=kernel_size, stride=stride, padding=padding,
                              dilation=dilation))
        rows = _tap_index(Ho, H, kh, sh, ph, dh).T  # (kH, Ho)
        cols = _tap_index(Wo, W, kw, sw, pw, dw).T  # (kW, Wo)
        x_and_zeros = np.pad(x, ((0, 0), (0, 0), (0, 1), (0, 1)))
        return x_and_zeros[:, :, rows[:, None, :, None], cols[None, :, None, :]]
    padded = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw))) if ph or pw else x
    span = (dh * (kh - 1) + 1, dw * (kw - 1) + 1)  # the pixels one dilated kernel covers
    # every span-sized patch, as a view (N, C, rows, columns, span_h, span_w): no copy
    patches = np.lib.stride_tricks.sliding_window_view(padded, span, axis=(2, 3))
    windows = patches[:, :, ::sh, ::sw, ::dh, ::dw]  # every s-th position, every d-th tap
    return windows.transpose(0, 1, 4, 5, 2, 3)


def im2col(x, kernel_size, *, stride=1, padding=0, dilation=1):
    """Unfold every window into a column: x (N, C, H, W) -> (N, C*kH*kW, L), like torch's unfold.

    L = Ho*Wo windows, in row-major order; rows are ordered (channel, kernel row, kernel column).
    Unbatched x (C, H, W) gives (C*kH*kW, L); an empty batch (N = 0) an empty result.
    stride, padding, dilation are keyword-only: torch's unfold takes them positionally in
    another order (dilation, padding, stride), so a positional call is refused, never misread.
    Refuses a result of more than MAX_ENTRIES entries.
    """
    x = _array(x, "x", (3, 4), "(N, C, H, W) or unbatched (C, H, W)", empty_batch=True)
    if x.ndim == 3:  # unbatched, as torch allows: a batch of one
        return im2col(x[None], kernel_size, stride=stride, padding=padding, dilation=dilation)[0]
    k = _pair(kernel_size, "kernel_size", 1)
    s, p, d = _pair(stride, "stride", 1), _pair(padding, "padding", 0), _pair(dilation, "dilation", 1)
    N, C, H, W = x.shape
    Ho, Wo = conv_output_size((H, W), k, s, p, d)
    _check_budget("im2col's result", (N, C * k[0] * k[1], Ho * Wo), x.itemsize,
                  _params(kernel_size=k, stride=s, padding=p, dilation=d))
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
    (H, W), (ph, pw) = out_hw, p
    if _mostly_padding((H, W), p, k, blocks):
        # add each tap straight into its output pixel; a tap in the padding lands in an
        # extra row/column
        rows = _tap_index(bh, H, kh, sh, ph, dh).T  # (kH, bh)
        columns = _tap_index(bw, W, kw, sw, pw, dw).T  # (kW, bw)
        out = np.zeros((N, C, H + 1, W + 1), dtype=cols.dtype)
        every = slice(None)
        np.add.at(out, (every, every, rows[:, None, :, None], columns[None, :, None, :]), cols)
        return out[:, :, :H, :W]
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


def col2im(cols, output_size, kernel_size, *, stride=1, padding=0, dilation=1):
    """The adjoint of im2col, like torch's fold: (N, C*kH*kW, L) -> (N, C, H, W), overlaps summed.

    output_size is (H, W) or an int. Unbatched cols (C*kH*kW, L) gives (C, H, W); an empty
    batch (N = 0) an empty result. stride, padding, dilation are keyword-only, as in im2col
    (torch's fold orders them dilation, padding, stride). The rows must be a multiple of
    kH*kW and L the number of windows. Refuses a result of more than MAX_ENTRIES entries.
    """
    cols = _array(cols, "cols", (2, 3), "(N, C*kH*kW, L) or unbatched (C*kH*kW, L)",
                  empty_batch=True)
    if cols.ndim == 2:  # unbatched, as torch allows: a batch of one
        return col2im(cols[None], output_size, kernel_size, stride=stride, padding=padding,
                      dilation=dilation)[0]
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
    _check_budget("col2im's result", (N, C, *out_hw), cols.itemsize,
                  _params(output_size=out_hw, kernel_size=k, stride=s, padding=p, dilation=d))
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


def _padding_mode(x, kernel_size, padding, stride, dilation):
    """conv2d's padding='valid' or 'same', as in torch: return x (padded if need be) and p."""
    if padding == "valid":
        return x, 0
    if padding != "same":
        raise ValueError(f"padding must be an int, an (h, w) pair, 'valid' or 'same', "
                         f"got {padding!r}")
    if _pair(stride, "stride", 1) != (1, 1):
        raise ValueError(f"padding='same' needs stride=1 (as in torch), got stride={stride!r}")
    # Ho = H needs 2p = d(k-1); when that is odd, torch pads the extra row/column at the end
    total = [d * (k - 1) for d, k in zip(_pair(dilation, "dilation", 1), kernel_size)]
    if total[0] % 2 or total[1] % 2:
        x = _pad_or_crop_last_two(x, 0, total[0] % 2, 0, total[1] % 2)
    return x, (total[0] // 2, total[1] // 2)


def _check_framework_budget(name, out_shape, columns_shape, x, w, parameters):
    """Refuse an output, or the columns (or stamps) of one image, beyond MAX_ENTRIES."""
    itemsize = _dtype(x, w).itemsize
    _check_budget(f"{name}'s output", out_shape, itemsize, parameters)
    _check_budget(f"{name}'s columns for one image", columns_shape, itemsize, parameters)


# Columns per matrix product: conv_transpose2d takes a few images at a time,
# max(1, _COLUMNS_PER_PRODUCT // L) of them, so small images still give BLAS enough
# columns (4096 measured up to 2x faster than 1024 with two BLAS threads; conv2d's
# products are in utils/fast.py).
_COLUMNS_PER_PRODUCT = 4096


def conv2d(x, w, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """Convolution, like torch.nn.functional.conv2d: im2col plus one matrix product per group.

    x: (N, C_in, H, W), w: (C_out, C_in/groups, kH, kW), bias: (C_out,) -> (N, C_out, Ho, Wo).
    The parameters take torch's positional order. Also accepted, as in torch: unbatched x
    (C_in, H, W) -> (C_out, Ho, Wo); an empty batch (N = 0); padding='valid' (no padding)
    or 'same' (Ho, Wo = H, W; stride must be 1; an odd d(k-1) puts the extra row or column
    at the bottom/right, as torch does). Mixed dtypes follow NumPy's promotion where torch
    refuses them (float32 with float64 gives float64); ints and bools are computed in
    float64; bias is cast to the result's dtype. Refuses an output, or the columns of one
    image, of more than MAX_ENTRIES entries.
    """
    x = _array(x, "x", (3, 4), "(N, C_in, H, W) or unbatched (C_in, H, W)", empty_batch=True)
    if x.ndim == 3:  # unbatched, as torch allows: a batch of one
        return conv2d(x[None], w, bias, stride, padding, dilation, groups)[0]
    w = _array(w, "w", 4, "(C_out, C_in/groups, kH, kW)")
    if isinstance(padding, str):
        x, padding = _padding_mode(x, w.shape[2:], padding, stride, dilation)
    _check_conv_channels(x, w, groups)
    N, C_in, H, W = x.shape
    C_out, C_per_group, kh, kw = w.shape
    s, p, d = _pair(stride, "stride", 1), _pair(padding, "padding", 0), _pair(dilation, "dilation", 1)
    Ho, Wo = conv_output_size((H, W), (kh, kw), s, p, d)
    _check_framework_budget("conv2d", (N, C_out, Ho, Wo), (C_in * kh * kw, Ho * Wo), x, w,
                            _params(stride=s, padding=p, dilation=d))
    dtype = _dtype(x, w)

    if _mostly_padding((H, W), p, (kh, kw), (Ho, Wo)):
        # the fast paths would build the padded input: gather only the taps read instead
        cols = im2col(x.astype(dtype, copy=False), (kh, kw), stride=s, padding=p, dilation=d)
        weights = w.astype(dtype, copy=False).reshape(groups, C_out // groups, -1)
        out = (weights @ cols.reshape(N, groups, -1, Ho * Wo)).reshape(N, C_out, Ho, Wo)
    else:
        # the fastest way for the case (depthwise, stride 1, strided): see utils/fast.py
        out = fast.conv2d(x.astype(dtype, copy=False), w.astype(dtype, copy=False), s, p, d, groups)
    b = _bias(bias, C_out, dtype)
    if b is not None:
        out += b[:, None, None]
    return out


def conv_transpose2d(x, w, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Transposed convolution, like torch.nn.functional.conv_transpose2d.

    x: (N, C_in, H, W), w: (C_in, C_out/groups, kH, kW), bias: (C_out,) -> (N, C_out, Ho, Wo),
    Ho = (H-1)s - 2p + d(kH-1) + output_padding + 1. One matrix product per group
    gives every stamp, then col2im adds the overlapping stamps together (with
    stride 1 it runs as the equivalent conv2d instead). The parameters take torch's
    positional order; output_padding must be smaller than the stride or the dilation.
    Unbatched x (C_in, H, W), an empty batch, dtypes and the budget: as in conv2d.
    padding must be an int or an (h, w) pair (torch has no 'same' here either).
    """
    x = _array(x, "x", (3, 4), "(N, C_in, H, W) or unbatched (C_in, H, W)", empty_batch=True)
    if x.ndim == 3:  # unbatched, as torch allows: a batch of one
        out = conv_transpose2d(x[None], w, bias, stride, padding, output_padding, groups, dilation)
        return out[0]
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
    _check_framework_budget("conv_transpose2d", (N, C_out_per_group * groups, *out_hw),
                            (C_out_per_group * groups * kh * kw, H * W), x, w,
                            _params(stride=s, padding=p, output_padding=op, dilation=d))
    dtype = _dtype(x, w)

    G, C_out = groups, C_out_per_group * groups
    # the stamps and col2im (below) when the shortcuts would differ from torch (their zeros
    # times an inf or nan weight give nan: 0 * inf) or would build mostly padding
    stamps_only = not np.isfinite(w).all() or _mostly_padding(out_hw, p, (kh, kw), (H, W))
    if s == (1, 1) and not stamps_only:
        # With stride 1 a transposed convolution IS a convolution (notebook 03): swap
        # each group's input and output channels, rotate the kernel 180 degrees, and pad
        # by d(k-1) - p, plus output_padding at the bottom/right (a negative amount crops).
        rotated = w.reshape(G, C_in // G, C_out_per_group, kh, kw).transpose(0, 2, 1, 3, 4)
        rotated = rotated.reshape(C_out, C_in // G, kh, kw)[:, :, ::-1, ::-1]
        top, left = d[0] * (kh - 1) - p[0], d[1] * (kw - 1) - p[1]
        bottom, right = top + op[0], left + op[1]
        padded = _pad_or_crop_last_two(x, top, bottom, left, right)
        return conv2d(padded, rotated, bias, 1, 0, d, G)

    # one input channel per group: k*k multiply-adds, no stamps (utils/fast.py)
    if C_in == G and not stamps_only:
        out = fast.conv_transpose2d_depthwise(x.astype(dtype, copy=False),
                                              w.astype(dtype, copy=False), s, p, out_hw, d)
        b = _bias(bias, C_out, dtype)
        return out if b is None else out + b[:, None, None]

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
    Parameters as for conv2d, but 4-D arrays only (no unbatched input, no empty batch)
    and int padding only. Refuses weight-gradient columns, (C_in*kH*kW, N*Ho*Wo), of
    more than MAX_ENTRIES entries.
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
    _check_budget("the weight gradient's columns", (x.shape[1] * w.shape[2] * w.shape[3],
                                                    expected[0] * expected[2] * expected[3]),
                  _dtype(x, w, grad_output).itemsize, _params(stride=s, padding=p, dilation=d))
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
    gradient with the roles of input and output swapped. Parameters as for
    conv_transpose2d, but 4-D arrays only (no unbatched input, no empty batch). Refuses
    weight-gradient columns, (C_out*kH*kW, N*H*W), of more than MAX_ENTRIES entries.
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
    _check_budget("the weight gradient's columns", (expected[1] * w.shape[2] * w.shape[3],
                                                    x.shape[0] * x.shape[2] * x.shape[3]),
                  _dtype(x, w, grad_output).itemsize,
                  _params(stride=s, padding=p, output_padding=op, dilation=d))
    grad_x = conv2d(grad_output, w, None, s, p, d, groups)[:, :, : x.shape[2], : x.shape[3]]
    grad_w = _weight_grad(grad_output, x, w.shape[2:], s, p, d, groups)
    grad_bias = grad_output.sum(axis=(0, 2, 3))
    return grad_x, grad_w, grad_bias
