"""Every formulation of convolution and transposed convolution gives the same numbers.

The reference functions below are written from the definitions, with index
arithmetic, and share no code with utils:

    conv:        out[n, o, r, c] = bias[o]
                     + sum_{j, a, b} x_pad[n, g*Cg + j, r*s + a*d, c*s + b*d] * w[o, j, a, b]
    transposed:  out[n, o, y, x] = bias[o] + sum_{j, a, b, r, c : r*s + a*d - p = y, c*s + b*d - p = x}
                                             x[n, g*Cg + j, r, c] * w[g*Cg + j, o - g*Co/G, a, b]
    im2col:      cols[n, ch*kH*kW + a*kW + b, r*Wo + c] = x_pad[n, ch, r*s + a*d, c*s + b*d]
    col2im:      the same index map, read backwards, with overlapping entries added
"""

import numpy as np
import pytest
from hypothesis import assume, event, given
from hypothesis import strategies as st

import utils

# ---------------------------------------------------------------------------
# References, from the definitions
# ---------------------------------------------------------------------------


def zero_pad(x, ph, pw):
    """Zero-pad the last two axes of x by ph rows and pw columns on each side."""
    out = np.zeros(x.shape[:-2] + (x.shape[-2] + 2 * ph, x.shape[-1] + 2 * pw), dtype=x.dtype)
    out[..., ph: ph + x.shape[-2], pw: pw + x.shape[-1]] = x
    return out


def windows_fit(i, k, s, p, d):
    """Number of window positions along one axis (0 if the dilated kernel does not fit)."""
    span = d * (k - 1) + 1
    return (i + 2 * p - span) // s + 1 if i + 2 * p >= span else 0


def ref_conv2d(x, w, bias=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    N, C_in, H, W = x.shape
    C_out, Cg, kh, kw = w.shape
    Ho, Wo = windows_fit(H, kh, sh, ph, dh), windows_fit(W, kw, sw, pw, dw)
    xp = zero_pad(x, ph, pw)
    rows = np.arange(Ho)[:, None] * sh + np.arange(kh)[None, :] * dh  # (Ho, kh): r*s + a*d
    cols = np.arange(Wo)[:, None] * sw + np.arange(kw)[None, :] * dw  # (Wo, kw): c*s + b*d
    patches = xp[:, :, rows[:, None, :, None], cols[None, :, None, :]]  # (N, C_in, Ho, Wo, kh, kw)
    out = np.zeros((N, C_out, Ho, Wo))
    per_group_out = C_out // groups
    for o in range(C_out):
        g = o // per_group_out
        group_patches = patches[:, g * Cg: (g + 1) * Cg]
        out[:, o] = np.einsum("njrcab,jab->nrc", group_patches, w[o])
    if bias is not None:
        out += np.asarray(bias)[None, :, None, None]
    return out


def ref_conv_transpose2d(x, w, bias=None, stride=(1, 1), padding=(0, 0), output_padding=(0, 0),
                         groups=1, dilation=(1, 1)):
    """Gather form: output pixel y collects x[r] * w[a] for every r*s + a*d - p == y."""
    (sh, sw), (ph, pw), (oph, opw), (dh, dw) = stride, padding, output_padding, dilation
    N, C_in, H, W = x.shape
    _, Cog, kh, kw = w.shape
    Ho = (H - 1) * sh - 2 * ph + dh * (kh - 1) + oph + 1
    Wo = (W - 1) * sw - 2 * pw + dw * (kw - 1) + opw + 1
    Cig = C_in // groups
    out = np.zeros((N, Cog * groups, Ho, Wo))
    for a in range(kh):
        shifted = np.arange(Ho) + ph - a * dh  # r*s for the r that reaches row y through tap a
        r_ok = (shifted % sh == 0) & (shifted >= 0) & (shifted // sh < H)
        r = np.where(r_ok, shifted // sh, 0)
        for b in range(kw):
            shifted = np.arange(Wo) + pw - b * dw
            c_ok = (shifted % sw == 0) & (shifted >= 0) & (shifted // sw < W)
            c = np.where(c_ok, shifted // sw, 0)
            gathered = x[:, :, r[:, None], c[None, :]] * (r_ok[:, None] & c_ok[None, :])
            for g in range(groups):
                out[:, g * Cog: (g + 1) * Cog] += np.einsum(
                    "njyx,jo->noyx", gathered[:, g * Cig: (g + 1) * Cig], w[g * Cig: (g + 1) * Cig, :, a, b])
    if bias is not None:
        out += np.asarray(bias)[None, :, None, None]
    return out


def ref_im2col(x, k, s, p, d):
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = k, s, p, d
    N, C, H, W = x.shape
    Ho, Wo = windows_fit(H, kh, sh, ph, dh), windows_fit(W, kw, sw, pw, dw)
    xp = zero_pad(x, ph, pw)
    cols = np.zeros((N, C * kh * kw, Ho * Wo))
    for ch in range(C):
        for a in range(kh):
            for b in range(kw):
                for r in range(Ho):
                    for c in range(Wo):
                        cols[:, ch * kh * kw + a * kw + b, r * Wo + c] = xp[:, ch, r * sh + a * dh,
                                                                             c * sw + b * dw]
    return cols


def ref_col2im(cols, out_hw, k, s, p, d):
    (H, W), (kh, kw), (sh, sw), (ph, pw), (dh, dw) = out_hw, k, s, p, d
    N, rows, L = cols.shape
    C = rows // (kh * kw)
    Ho, Wo = windows_fit(H, kh, sh, ph, dh), windows_fit(W, kw, sw, pw, dw)
    assert L == Ho * Wo
    xp = np.zeros((N, C, H + 2 * ph, W + 2 * pw))
    for ch in range(C):
        for a in range(kh):
            for b in range(kw):
                for r in range(Ho):
                    for c in range(Wo):
                        xp[:, ch, r * sh + a * dh, c * sw + b * dw] += cols[:, ch * kh * kw + a * kw + b,
                                                                           r * Wo + c]
    return xp[:, :, ph: ph + H, pw: pw + W]


def test_references_on_hand_worked_examples():
    # 3x3 input, 2x2 kernel of ones: each output is the sum of a 2x2 block
    x = np.arange(9.0).reshape(1, 1, 3, 3)
    w = np.ones((1, 1, 2, 2))
    np.testing.assert_array_equal(ref_conv2d(x, w)[0, 0], [[0 + 1 + 3 + 4, 1 + 2 + 4 + 5],
                                                           [3 + 4 + 6 + 7, 4 + 5 + 7 + 8]])
    # the kernel is not flipped: a kernel that picks its top-left tap copies the window's top-left
    w = np.array([[[[1.0, 0.0], [0.0, 0.0]]]])
    np.testing.assert_array_equal(ref_conv2d(x, w)[0, 0], [[0, 1], [3, 4]])
    # transposed, stride 2: a single 1 stamps the whole kernel; two inputs stamp 2 apart
    y = np.array([[[[1.0, 10.0]]]])
    w = np.array([[[[1.0, 2.0, 3.0]]]])
    np.testing.assert_array_equal(ref_conv_transpose2d(y, w, stride=(1, 2))[0, 0],
                                  [[1, 2, 3 + 10, 20, 30]])
    # padding 1 crops one column from each side
    np.testing.assert_array_equal(ref_conv_transpose2d(y, w, stride=(1, 2), padding=(0, 1))[0, 0],
                                  [[2, 13, 20]])
    # im2col of a 1x3 row with k=(1, 2): columns are the windows [0, 1] and [1, 2]
    np.testing.assert_array_equal(ref_im2col(np.array([[[[0.0, 1.0, 2.0]]]]), (1, 2), (1, 1), (0, 0),
                                             (1, 1))[0], [[0, 1], [1, 2]])


# ---------------------------------------------------------------------------
# Strategies
# ---------------------------------------------------------------------------

pairs = st.tuples


@st.composite
def conv_axes(draw, max_extra=6):
    """Per-axis k, s, p, d and an input size i; about one in five kernels does not fit (must raise)."""
    axes = []
    for axis in range(2):
        k = draw(st.integers(1, 4))
        s = draw(st.integers(1, 3))
        d = draw(st.integers(1, 3))
        span = d * (k - 1) + 1
        if axis == 0 and span > 1 and draw(st.integers(1, 5)) == 5:
            p = draw(st.integers(0, (span - 2) // 2))
            i = draw(st.integers(1, span - 2 * p - 1))  # i + 2p < span
        else:
            p = draw(st.integers(0, 3))
            i = max(1, span - 2 * p + draw(st.integers(0, max_extra)))  # i + 2p >= span
        axes.append((i, k, s, p, d))
    return tuple(zip(*axes))  # (i, k, s, p, d), each an (h, w) pair


@st.composite
def transposed_axes(draw):
    """Per-axis (i, k, s, p, d, output_padding); output_padding < max(s, d), so it can reach >= s."""
    axes = []
    for _ in range(2):
        i = draw(st.integers(1, 5))
        k = draw(st.integers(1, 4))
        s = draw(st.integers(1, 3))
        d = draw(st.integers(1, 3))
        op = draw(st.integers(0, max(s, d) - 1))
        # the output keeps (i-1)s + d(k-1) + output_padding + 1 - 2p >= 1 entries up to the top
        # value of p, whose configurations must raise
        p = draw(st.integers(0, min(4, ((i - 1) * s + d * (k - 1) + op) // 2 + 1)))
        axes.append((i, k, s, p, d, op))
    return tuple(zip(*axes))


def conv_fits(i, k, s, p, d):
    return all(windows_fit(*axis) > 0 for axis in zip(i, k, s, p, d))


def transposed_size(i, k, s, p, d, op):
    return tuple((i_ - 1) * s_ - 2 * p_ + d_ * (k_ - 1) + op_ + 1
                 for i_, k_, s_, p_, d_, op_ in zip(i, k, s, p, d, op))


def close(a, b):
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------------------
# One channel: the teaching forms
# ---------------------------------------------------------------------------


@given(conv_axes(), st.integers(0, 2**32 - 1))
def test_conv2d_loops_equals_C_at_x_equals_conv2d(axes, seed):
    i, k, s, p, d = axes
    rng = np.random.default_rng(seed)
    x, w = rng.standard_normal(i), rng.standard_normal(k)
    kwargs = dict(stride=s, padding=p, dilation=d)
    event("kernel fits" if conv_fits(i, k, s, p, d) else "kernel larger than the padded input: raises")
    if not conv_fits(i, k, s, p, d):
        for f in (lambda: utils.conv2d_loops(x, w, **kwargs), lambda: utils.conv_matrix(w, i, **kwargs),
                  lambda: utils.conv2d(x[None, None], w[None, None], **kwargs)):
            with pytest.raises(ValueError, match="must be >= 1"):
                f()
        return
    expected = ref_conv2d(x[None, None], w[None, None], None, s, p, d)[0, 0]
    loops = utils.conv2d_loops(x, w, **kwargs)
    close(loops, expected)
    C = utils.conv_matrix(w, i, **kwargs)
    close(C @ x.ravel(), expected.ravel())
    close(utils.conv2d(x[None, None], w[None, None], **kwargs)[0, 0], expected)


@given(conv_axes(max_extra=3), st.integers(0, 2**32 - 1))
def test_conv_matrix_columns_are_the_convolutions_of_unit_images(axes, seed):
    i, k, s, p, d = axes
    if not conv_fits(i, k, s, p, d):
        with pytest.raises(ValueError):
            utils.conv_matrix(np.ones(k), i, stride=s, padding=p, dilation=d)
        return
    w = np.random.default_rng(seed).standard_normal(k)
    C = utils.conv_matrix(w, i, stride=s, padding=p, dilation=d)
    for j in range(i[0] * i[1]):
        unit = np.zeros(i[0] * i[1])
        unit[j] = 1.0
        column = ref_conv2d(unit.reshape(1, 1, *i), w[None, None], None, s, p, d).ravel()
        np.testing.assert_array_equal(C[:, j], column)


@given(transposed_axes(), st.integers(0, 2**32 - 1))
def test_three_transposed_teaching_forms_equal_conv_transpose2d(axes, seed):
    i, k, s, p, d, op = axes
    rng = np.random.default_rng(seed)
    y, w = rng.standard_normal(i), rng.standard_normal(k)
    kwargs = dict(stride=s, padding=p, output_padding=op, dilation=d)
    forms = [utils.conv_transpose2d_matrix, utils.conv_transpose2d_scatter, utils.conv_transpose2d_as_conv,
             lambda y, w, **kw: utils.conv_transpose2d(y[None, None], w[None, None], **kw)[0, 0]]
    event("output_padding >= stride" if op[0] >= s[0] or op[1] >= s[1] else "output_padding < stride")
    if min(transposed_size(i, k, s, p, d, op)) < 1:
        event("padding crops everything: raises")
        for form in forms:
            with pytest.raises(ValueError, match="must be >= 1"):
                form(y, w, **kwargs)
        return
    expected = ref_conv_transpose2d(y[None, None], w[None, None], None, s, p, op, 1, d)[0, 0]
    for form in forms:
        close(form(y, w, **kwargs), expected)


@given(transposed_axes(), st.integers(0, 2**32 - 1))
def test_as_conv_steps_stretch_and_pad_or_crop(axes, seed):
    i, k, s, p, d, op = axes
    y = np.random.default_rng(seed).standard_normal(i)
    stretched = utils.stretch(y, s)
    # definition: y[r, c] lands at (r*s, c*s); everything else is an inserted zero
    expected = np.zeros(((i[0] - 1) * s[0] + 1, (i[1] - 1) * s[1] + 1))
    for r in range(i[0]):
        for c in range(i[1]):
            expected[r * s[0], c * s[1]] = y[r, c]
    np.testing.assert_array_equal(stretched, expected)
    # pad_or_crop: a positive amount adds zero rows/columns, a negative one removes them
    top, bottom, left, right = (d[0] * (k[0] - 1) - p[0], d[0] * (k[0] - 1) - p[0] + op[0],
                                d[1] * (k[1] - 1) - p[1], d[1] * (k[1] - 1) - p[1] + op[1])
    H, W = stretched.shape
    # nothing would remain otherwise; the output size check rejects those configurations
    assume(H + top + bottom >= 1 and W + left + right >= 1)
    padded = utils.pad_or_crop(stretched, top=top, bottom=bottom, left=left, right=right)
    assert padded.shape == (H + top + bottom, W + left + right)
    big = np.zeros((H + 2 * 20, W + 2 * 20))  # a margin wider than any pad
    big[20: 20 + H, 20: 20 + W] = stretched
    np.testing.assert_array_equal(padded, big[20 - top: 20 + H + bottom, 20 - left: 20 + W + right])


def test_transposed_forms_on_the_gallery_cases():
    # the cases the animation gallery draws (input i, k, s, p, d, output_padding -> o)
    cases = [(2, 3, 1, 0, 1, 0, 4), (6, 4, 1, 2, 1, 0, 5), (5, 3, 1, 1, 1, 0, 5), (7, 3, 1, 2, 1, 0, 5),
             (2, 3, 2, 0, 1, 0, 5), (3, 3, 2, 1, 1, 0, 5), (3, 3, 2, 1, 1, 1, 6), (3, 3, 1, 0, 2, 0, 7)]
    rng = np.random.default_rng(1)
    for i, k, s, p, d, op, o in cases:
        y, w = rng.standard_normal((i, i)), rng.standard_normal((k, k))
        expected = ref_conv_transpose2d(y[None, None], w[None, None], None, (s, s), (p, p), (op, op), 1,
                                        (d, d))[0, 0]
        assert expected.shape == (o, o)
        for form in (utils.conv_transpose2d_matrix, utils.conv_transpose2d_scatter,
                     utils.conv_transpose2d_as_conv):
            close(form(y, w, stride=s, padding=p, output_padding=op, dilation=d), expected)


# ---------------------------------------------------------------------------
# Batched, multi-channel, grouped: the framework forms
# ---------------------------------------------------------------------------


@st.composite
def channel_config(draw):
    groups = draw(st.integers(1, 3))
    return dict(N=draw(st.integers(1, 2)), groups=groups, Cig=draw(st.integers(1, 2)),
                Cog=draw(st.integers(1, 2)), bias=draw(st.booleans()))


@given(conv_axes(), channel_config(), st.integers(0, 2**32 - 1))
def test_conv2d_matches_the_definition(axes, ch, seed):
    i, k, s, p, d = axes
    rng = np.random.default_rng(seed)
    G = ch["groups"]
    x = rng.standard_normal((ch["N"], ch["Cig"] * G, *i))
    w = rng.standard_normal((ch["Cog"] * G, ch["Cig"], *k))
    bias = rng.standard_normal(ch["Cog"] * G) if ch["bias"] else None
    if not conv_fits(i, k, s, p, d):
        with pytest.raises(ValueError, match="must be >= 1"):
            utils.conv2d(x, w, bias, s, p, d, G)
        return
    close(utils.conv2d(x, w, bias, s, p, d, G), ref_conv2d(x, w, bias, s, p, d, G))


@given(transposed_axes(), channel_config(), st.integers(0, 2**32 - 1))
def test_conv_transpose2d_matches_the_definition(axes, ch, seed):
    i, k, s, p, d, op = axes
    rng = np.random.default_rng(seed)
    G = ch["groups"]
    x = rng.standard_normal((ch["N"], ch["Cig"] * G, *i))
    w = rng.standard_normal((ch["Cig"] * G, ch["Cog"], *k))
    bias = rng.standard_normal(ch["Cog"] * G) if ch["bias"] else None
    if min(transposed_size(i, k, s, p, d, op)) < 1:
        with pytest.raises(ValueError, match="must be >= 1"):
            utils.conv_transpose2d(x, w, bias, s, p, op, G, d)
        return
    close(utils.conv_transpose2d(x, w, bias, s, p, op, G, d),
          ref_conv_transpose2d(x, w, bias, s, p, op, G, d))


@given(conv_axes(max_extra=4), st.integers(1, 2), st.integers(1, 3), st.integers(0, 2**32 - 1))
def test_im2col_and_col2im_match_their_definitions(axes, N, C, seed):
    i, k, s, p, d = axes
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, C, *i))
    if not conv_fits(i, k, s, p, d):
        with pytest.raises(ValueError, match="must be >= 1"):
            utils.im2col(x, k, stride=s, padding=p, dilation=d)
        return
    cols = utils.im2col(x, k, stride=s, padding=p, dilation=d)
    close(cols, ref_im2col(x, k, s, p, d))
    other = rng.standard_normal(cols.shape)
    close(utils.col2im(other, i, k, stride=s, padding=p, dilation=d), ref_col2im(other, i, k, s, p, d))


@given(conv_axes(max_extra=4), channel_config(), st.integers(0, 2**32 - 1))
def test_conv2d_is_im2col_then_a_matrix_product_per_group(axes, ch, seed):
    # the recipe of notebook 02, assembled here from im2col and plain numpy
    i, k, s, p, d = axes
    assume(conv_fits(i, k, s, p, d))  # the rest raise: see test_conv2d_matches_the_definition
    rng = np.random.default_rng(seed)
    G, Cig, Cog = ch["groups"], ch["Cig"], ch["Cog"]
    x = rng.standard_normal((ch["N"], Cig * G, *i))
    w = rng.standard_normal((Cog * G, Cig, *k))
    cols = utils.im2col(x, k, stride=s, padding=p, dilation=d)
    Ho, Wo = (windows_fit(*axis) for axis in zip(i, k, s, p, d))
    rows_per_group = Cig * k[0] * k[1]
    pieces = [w[g * Cog: (g + 1) * Cog].reshape(Cog, -1)
              @ cols[:, g * rows_per_group: (g + 1) * rows_per_group] for g in range(G)]
    close(utils.conv2d(x, w, None, s, p, d, G), np.concatenate(pieces, axis=1).reshape(ch["N"], -1, Ho, Wo))


@given(transposed_axes(), st.integers(0, 2**32 - 1))
def test_one_channel_teaching_forms_equal_the_batched_form_per_channel_pair(axes, seed):
    # a multi-channel transposed convolution is a sum of one-channel ones: out[o] = sum_j T(x[j], w[j, o])
    i, k, s, p, d, op = axes
    assume(min(transposed_size(i, k, s, p, d, op)) >= 1)  # the rest raise: see above
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((1, 2, *i))
    w = rng.standard_normal((2, 3, *k))
    out = utils.conv_transpose2d(x, w, None, s, p, op, 1, d)
    for o in range(3):
        close(out[0, o], sum(utils.conv_transpose2d_scatter(x[0, j], w[j, o], stride=s, padding=p,
                                                                  output_padding=op, dilation=d) for j in range(2)))
