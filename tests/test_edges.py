"""Every input gets a clear answer.

Each section is one class of input, tried the way someone porting PyTorch code or a learner
typing into a notebook cell would: parameters in torch's positional order, huge integers,
inputs whose result or temporaries exceed the size budget, padding that is mostly never
read, inf and nan, foreign array types, values no slider can give, and what torch accepts
beyond the basics (unbatched input, an empty batch, padding='same'/'valid', mixed dtypes).
Expected values come from the definitions or from hand-worked numbers, never from utils;
torch is the oracle where installed (marker `torch`).
"""

import re
import time
import tracemalloc

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import utils
from test_agreement import ref_conv2d, windows_fit
from test_errors import call, says, takes
from utils import checkerboard, checks, conv, matrix, networks, sliding, start, transposed
from utils import gradients

try:
    import torch
except ImportError:
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="the oracle needs torch (pip install torch)")

MB = 2**20


def ones(*shape):
    return np.ones(shape)


def measured(function):
    """Run function(); return (result or the exception raised, seconds, peak MB allocated)."""
    tracemalloc.start()
    start_time = time.perf_counter()
    try:
        result = function()
    except Exception as error:  # noqa: BLE001 (the caller checks which)
        result = error
    seconds = time.perf_counter() - start_time
    peak = tracemalloc.get_traced_memory()[1] / MB
    tracemalloc.stop()
    return result, seconds, peak


# ---------------------------------------------------------------------------
# 1. Parameter order: nothing can be passed in torch's order and silently misread
# ---------------------------------------------------------------------------

# (function, the arrays or sizes it takes first, how many parameters follow in the signature)
KEYWORD_ONLY = [
    ("im2col", (ones(1, 1, 5, 5), 3), 3),
    ("col2im", (ones(1, 9, 9), 5, 3), 3),
    ("conv2d_loops", (ones(5, 5), ones(3, 3)), 3),
    ("conv_matrix", (ones(3, 3), (5, 5)), 3),
    ("conv_transpose2d_matrix", (ones(2, 2), ones(3, 3)), 4),
    ("conv_transpose2d_scatter", (ones(2, 2), ones(3, 3)), 4),
    ("conv_transpose2d_as_conv", (ones(2, 2), ones(3, 3)), 4),
    ("pad_or_crop", (ones(2, 2),), 4),
]


@pytest.mark.parametrize("name, first, count", KEYWORD_ONLY)
def test_parameters_cannot_be_passed_by_position(name, first, count):
    # e.g. im2col(x, 3, 2, 0, 1) is unfold(x, 3, dilation=2, ...) in torch: refused, not misread
    with pytest.raises(TypeError, match="positional argument"):
        getattr(utils, name)(*first, *([1] * count))


@needs_torch
@pytest.mark.torch
def test_the_trap_of_the_issue_is_closed():
    x = np.arange(49.0).reshape(1, 1, 7, 7)
    F = torch.nn.functional
    # torch's positional order is (kernel_size, dilation, padding, stride): dilation=2, stride=1
    theirs = F.unfold(torch.from_numpy(x), 3, 2, 0, 1).numpy()
    with pytest.raises(TypeError):
        utils.im2col(x, 3, 2, 0, 1)
    np.testing.assert_array_equal(utils.im2col(x, 3, dilation=2, padding=0, stride=1), theirs)
    cols = utils.im2col(x, 3, dilation=2)
    np.testing.assert_array_equal(utils.col2im(cols, 7, 3, dilation=2),
                                  F.fold(torch.from_numpy(cols), 7, 3, 2, 0, 1).numpy())


def test_positional_order_is_kept_where_torch_has_one():
    x, w = np.random.default_rng(0).standard_normal((1, 2, 6, 6)), np.ones((2, 2, 3, 3))
    # conv2d(x, w, bias, stride, padding, dilation, groups), as torch.nn.functional.conv2d
    np.testing.assert_array_equal(utils.conv2d(x, w, None, 2, 1, 1, 1),
                                  utils.conv2d(x, w, stride=2, padding=1, dilation=1, groups=1))
    # conv_transpose2d(x, w, bias, stride, padding, output_padding, groups, dilation)
    np.testing.assert_array_equal(utils.conv_transpose2d(x, w, None, 2, 1, 1, 1, 2),
                                  utils.conv_transpose2d(x, w, stride=2, padding=1, output_padding=1,
                                                         groups=1, dilation=2))
    # the size formulas keep the order of their formula: i, k, s, p, d (, output_padding)
    assert utils.conv_output_size(7, 3, 2, 1, 2) == (7 + 2 - 4 - 1) // 2 + 1
    assert utils.conv_transpose_output_size(3, 3, 2, 1, 2, 1) == 2 * 2 - 2 + 2 * 2 + 1 + 1


# ---------------------------------------------------------------------------
# 2. Huge integers: a ValueError naming the parameter, at once
# ---------------------------------------------------------------------------

SIZE_PARAMETERS = ["stride", "padding", "dilation", "output_padding"]


@pytest.mark.parametrize("parameter", SIZE_PARAMETERS)
@pytest.mark.parametrize("value, shown", [(10**30, str(10**30)), ((1, 2**31), f"(1, {2**31})"),
                                          (np.int64(2**62), str(2**62))])
def test_huge_parameters_name_themselves(parameter, value, shown):
    for name in takes(parameter):
        error, seconds, peak = measured(lambda: call(name, **{parameter: value}))
        assert isinstance(error, ValueError), (name, error)
        assert re.search(says(parameter, "<= 2,147,483,647", shown), str(error)), (name, error)
        assert seconds < 1 and peak < 10, (name, seconds, peak)


@pytest.mark.parametrize("name, parameter", [
    ("conv_output_size", "i"), ("conv_output_size", "k"), ("conv_transpose_output_size", "i"),
    ("conv_matrix", "input_shape"), ("im2col", "kernel_size"), ("col2im", "kernel_size"),
    ("col2im", "output_size")])
def test_huge_sizes_name_themselves(name, parameter):
    with pytest.raises(ValueError, match=says(parameter, "<= 2,147,483,647", str(10**30))):
        call(name, **{parameter: 10**30})


@pytest.mark.parametrize("side", ["top", "bottom", "left", "right"])
def test_huge_pad_or_crop_amounts_name_themselves(side):
    amounts = dict(top=0, bottom=0, left=0, right=0)
    for value in (10**30, -(10**30)):
        with pytest.raises(ValueError, match=says(side, "2,147,483,647", str(value))):
            utils.pad_or_crop(ones(2, 2), **{**amounts, side: value})


# ---------------------------------------------------------------------------
# 3. The size budget: refused up front, with the shape, the memory and the parameters
# ---------------------------------------------------------------------------

OVER_BUDGET = {
    "conv2d output": (lambda: utils.conv2d(ones(1, 1, 1, 1), ones(1, 1, 1, 1), padding=10**5),
                      ["conv2d's output", "(1, 1, 200001, 200001)", "padding=(100000, 100000)"]),
    "conv2d columns": (lambda: utils.conv2d(ones(1, 1, 1000, 1000), ones(1, 1, 12, 12), padding=6),
                       ["conv2d's columns for one image", "(144, 1002001)", "padding=(6, 6)"]),
    "conv_transpose2d output": (lambda: utils.conv_transpose2d(ones(1, 1, 2, 2), ones(1, 1, 1, 1),
                                                               stride=10**5),
                                ["conv_transpose2d's output", "(1, 1, 100001, 100001)",
                                 "stride=(100000, 100000)"]),
    "conv_transpose2d stamps": (lambda: utils.conv_transpose2d(ones(1, 1, 200, 200), ones(1, 1, 60, 60),
                                                               stride=2),
                                ["columns for one image", "(3600, 40000)"]),
    "im2col": (lambda: utils.im2col(ones(1, 1, 1, 1), 20000, padding=10000),
               ["im2col's result", "(1, 400000000, 4)", "kernel_size=(20000, 20000)"]),
    "col2im": (lambda: utils.col2im(ones(1, 1, 1), 20000, 1, stride=20000),
               ["col2im's padded result", "(1, 1, 20000, 20000)", "output_size=(20000, 20000)"]),
    "conv_matrix": (lambda: utils.conv_matrix(ones(1, 1), (1, 1), padding=10**4),
                    ["(400040001, 1)", "400,040,001 entries", "3,200.3 MB", "max_entries=25,000,000"]),
    "conv_matrix past MAX_ENTRIES": (
        lambda: utils.conv_matrix(ones(1, 1), (1, 1), padding=10**4, max_entries=10**12),
        ["C would have shape (400040001, 1)", "3,200.3 MB", "padding=(10000, 10000)", "MAX_ENTRIES"]),
    "conv_transpose2d_matrix": (lambda: utils.conv_transpose2d_matrix(ones(1, 1), ones(1, 1), stride=5,
                                                                      output_padding=4, dilation=5,
                                                                      max_entries=1),
                                ["(1, 25) matrix", "max_entries=1"]),
    "stretch": (lambda: utils.stretch(ones(2, 2), 10**5),
                ["the stretched y", "(100001, 100001)", "stride=(100000, 100000)"]),
    "pad_or_crop": (lambda: utils.pad_or_crop(ones(2, 2), top=10**5, bottom=10**5, left=10**5,
                                              right=-1),
                    ["the padded array", "(200002, 100002)", "top=100000"]),
    "as_conv": (lambda: utils.conv_transpose2d_as_conv(ones(2, 2), ones(1, 1), stride=10**6,
                                                       padding=499999),
                ["the stretched y", "(1000001, 1000001)"]),
    "conv2d_loops steps": (lambda: utils.conv2d_loops(ones(1, 1), ones(1, 1), padding=1000),
                           ["conv2d_loops would loop 4,004,001 times", "MAX_LOOP_STEPS", "use conv2d"]),
    "scatter steps": (lambda: utils.conv_transpose2d_scatter(np.zeros((1100, 1000)), ones(1, 1)),
                      ["would loop 1,100,000 times", "use conv_transpose2d"]),
    "backward": (lambda: utils.conv2d_backward(ones(1, 1, 1, 1), ones(1, 1, 1, 1), ones(1, 1, 1, 1),
                                               padding=10**5),
                 ["grad_output", "(1, 1, 200001, 200001)"]),
}


@pytest.mark.parametrize("case", sorted(OVER_BUDGET))
def test_over_the_budget_is_refused_up_front(case):
    function, fragments = OVER_BUDGET[case]
    error, seconds, peak = measured(function)
    assert isinstance(error, ValueError), error
    assert all(fragment in str(error) for fragment in fragments), (str(error), fragments)
    assert seconds < 1, seconds
    assert peak < 50, f"{peak:.0f} MB allocated before refusing"


def test_the_budget_is_public_and_documented():
    assert checks.MAX_ENTRIES == 2**27 and checks.MAX_LOOP_STEPS == 2**20
    assert checks.MAX_SIZE == 2**31 - 1
    for name in ("MAX_ENTRIES", "MAX_LOOP_STEPS", "MAX_SIZE"):
        assert name in checks.__doc__


def test_conv_matrix_with_large_padding_is_quick():
    # padding=1000 once took more than 90 s for a 4 M-entry C (a scratch image per row)
    C, seconds, peak = measured(lambda: utils.conv_matrix(np.full((1, 1), 3.0), (1, 1), padding=1000))
    assert C.shape == (2001 * 2001, 1) and seconds < 1 and peak < 3 * C.nbytes / MB
    # only the output whose window is the input pixel itself reads it
    assert C[1000 * 2001 + 1000, 0] == 3.0 and np.count_nonzero(C) == 1


# ---------------------------------------------------------------------------
# 4. Padding that is mostly never read: the right answer, without building it
# ---------------------------------------------------------------------------

# x = [[5]], w = [[1, 2], [3, 4]], dilation 2000, padding 2000, stride 10**6: one window,
# whose taps sit 2000 apart from input position -2000; only tap (1, 1) lands on x[0, 0].
FAR = dict(stride=10**6, padding=2000, dilation=2000)
X, W = np.array([[5.0]]), np.array([[1.0, 2.0], [3.0, 4.0]])


def small(function, limit_mb=20):
    result, seconds, peak = measured(function)
    assert not isinstance(result, Exception), result
    assert seconds < 1 and peak < limit_mb, (seconds, peak)
    return result


def test_conv_forms_read_only_the_taps_they_need():
    np.testing.assert_array_equal(small(lambda: utils.conv2d_loops(X, W, **FAR)), [[4 * 5]])
    np.testing.assert_array_equal(small(lambda: utils.conv2d(X[None, None], W[None, None], None, **FAR)),
                                  [[[[4 * 5]]]])
    np.testing.assert_array_equal(small(lambda: utils.conv2d(X[None, None], W[None, None], np.ones(1), **FAR)),
                                  [[[[4 * 5 + 1]]]])
    # the teaching forms im2col and col2im pad in full, as notebook 02 draws them: (2*2000 + 1)**2
    # float64 = 128 MB, refused only beyond checks.MAX_ENTRIES
    np.testing.assert_array_equal(small(lambda: utils.im2col(X[None, None], 2, **FAR), limit_mb=300),
                                  [[[0], [0], [0], [5]]])
    np.testing.assert_array_equal(small(lambda: utils.col2im(np.array([[[1.0], [2], [3], [4]]]), 1, 2, **FAR),
                                        limit_mb=300), [[[[4]]]])
    np.testing.assert_array_equal(small(lambda: utils.conv_matrix(W, (1, 1), **FAR)), [[4]])


def test_grouped_and_depthwise_conv2d_read_only_the_taps_they_need():
    x = np.stack([X, 2 * X])[None]  # two channels: 5 and 10
    w = np.stack([W, 10 * W])[:, None]  # depthwise: (2, 1, 2, 2)
    np.testing.assert_array_equal(small(lambda: utils.conv2d(x, w, None, groups=2, **FAR)),
                                  [[[[20]], [[400]]]])
    w2 = np.stack([np.stack([W, W])])  # (1, 2, 2, 2): one output sums both channels
    np.testing.assert_array_equal(small(lambda: utils.conv2d(x, w2, None, **FAR)), [[[[20 + 40]]]])


def test_transposed_forms_write_only_the_taps_they_need():
    # y 3x3, w = [[10]], s = 10**6, p = 10**6 - 1: o = 2s - 2p + 1 = 3, and only y[1, 1]'s
    # stamp lands inside, at 1*s - p = 1 (the other stamps at -p and 2s - p = s + 1)
    y = np.arange(1.0, 10.0).reshape(3, 3)
    kw = dict(stride=10**6, padding=10**6 - 1)
    expected = np.zeros((3, 3))
    expected[1, 1] = 5 * 10
    for form in (utils.conv_transpose2d_matrix, utils.conv_transpose2d_scatter):
        np.testing.assert_array_equal(small(lambda: form(y, [[10.0]], **kw)), expected)
    np.testing.assert_array_equal(small(lambda: utils.conv_transpose2d(y[None, None], np.full((1, 1, 1, 1), 10.0),
                                                                       None, **kw)), expected[None, None])
    y2 = np.stack([y, -y])[None]  # two channels, depthwise and not
    np.testing.assert_array_equal(small(lambda: utils.conv_transpose2d(y2, np.full((2, 1, 1, 1), 10.0), None,
                                                                       groups=2, **kw))[0, 1], -expected)
    np.testing.assert_array_equal(small(lambda: utils.conv_transpose2d(y2, np.full((2, 1, 1, 1), 10.0), None,
                                                                       **kw))[0, 0], 0 * expected)


def test_gradients_read_only_the_taps_they_need():
    # out = w[1, 1] * x = 20: d/dx = w[1, 1] * g, d/dw = x * g at tap (1, 1) only, d/db = g
    g = np.array([[[[2.0]]]])
    grad_x, grad_w, grad_b = small(lambda: utils.conv2d_backward(X[None, None], W[None, None], g, **FAR))
    np.testing.assert_array_equal(grad_x, [[[[4 * 2]]]])
    np.testing.assert_array_equal(grad_w, [[[[0, 0], [0, 5 * 2]]]])
    np.testing.assert_array_equal(grad_b, [2])
    y, kw = np.arange(1.0, 10.0).reshape(1, 1, 3, 3), dict(stride=10**6, padding=10**6 - 1)
    g = np.arange(9.0).reshape(1, 1, 3, 3)  # out[1, 1] = 10 * y[1, 1]: only g[1, 1] flows back
    grad_x, grad_w, _ = small(lambda: utils.conv_transpose2d_backward(y, np.full((1, 1, 1, 1), 10.0), g, **kw))
    expected = np.zeros((1, 1, 3, 3))
    expected[0, 0, 1, 1] = 10 * g[0, 0, 1, 1]
    np.testing.assert_array_equal(grad_x, expected)
    np.testing.assert_array_equal(grad_w, [[[[y[0, 0, 1, 1] * g[0, 0, 1, 1]]]]])


@needs_torch
@pytest.mark.torch
@given(st.integers(1, 4), st.integers(1, 3), st.integers(2, 60), st.integers(1, 40), st.integers(1, 3),
       st.integers(0, 10**6))
def test_large_padding_and_strides_agree_with_torch(i, k, s, p, d, seed):
    # small inputs, padding up to 40, strides up to 60: the gathered paths against torch
    rng = np.random.default_rng(seed)
    F = torch.nn.functional
    x, w = rng.standard_normal((1, 2, i, i)), rng.standard_normal((2, 2, k, k))
    if windows_fit(i, k, s, p, d):
        np.testing.assert_allclose(utils.conv2d(x, w, None, s, p, d),
                                   F.conv2d(torch.from_numpy(x), torch.from_numpy(w), None, s, p, d).numpy(),
                                   rtol=1e-12, atol=1e-12)
    if (i - 1) * s - 2 * p + d * (k - 1) + 1 >= 1:
        for groups in (1, 2):
            wt = rng.standard_normal((2, 2 // groups, k, k))
            np.testing.assert_allclose(
                utils.conv_transpose2d(x, wt, None, s, p, 0, groups, d),
                F.conv_transpose2d(torch.from_numpy(x), torch.from_numpy(wt), None, s, p, 0, groups, d).numpy(),
                rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------------------
# 5. inf and nan: torch's result (the definitions below are torch's: the convolution
#    multiplies the padding's zeros, the transposed convolution only its stamps)
# ---------------------------------------------------------------------------


def ref_conv_transpose2d_stamps(y, w, s, p, op, d):
    """One channel, from the definition: y[r, c] * w[a, b] lands on (r*s + a*d - p, c*s + b*d - p)."""
    Ho = (y.shape[0] - 1) * s - 2 * p + d * (w.shape[0] - 1) + op + 1
    Wo = (y.shape[1] - 1) * s - 2 * p + d * (w.shape[1] - 1) + op + 1
    out = np.zeros((Ho, Wo))
    for (r, c), value in np.ndenumerate(y):
        for (a, b), weight in np.ndenumerate(w):
            row, col = r * s + a * d - p, c * s + b * d - p
            if 0 <= row < Ho and 0 <= col < Wo:
                out[row, col] += value * weight
    return out


@st.composite
def non_finite_case(draw):
    i, k = draw(st.integers(1, 5)), draw(st.integers(1, 3))
    s, d, p = draw(st.integers(1, 3)), draw(st.integers(1, 2)), draw(st.integers(0, 2))
    op = draw(st.integers(0, max(s, d) - 1))
    where = draw(st.sampled_from(["input", "kernel"]))
    values = draw(st.lists(st.sampled_from([np.inf, -np.inf, np.nan]), min_size=1, max_size=3))
    return dict(i=i, k=k, s=s, d=d, p=p, op=op, where=where, values=values, seed=draw(st.integers(0, 999)))


def with_non_finite(case):
    rng = np.random.default_rng(case["seed"])
    x, w = rng.standard_normal((case["i"], case["i"])), rng.standard_normal((case["k"], case["k"]))
    target = x if case["where"] == "input" else w
    for value in case["values"]:
        target.flat[rng.integers(target.size)] = value
    return x, w


def same(ours, expected, label):
    np.testing.assert_allclose(ours, expected, rtol=1e-12, atol=1e-12, equal_nan=True, err_msg=label)


@given(non_finite_case())
def test_non_finite_values_give_the_definitions_result(case):
    x, w = with_non_finite(case)
    s, d, p, op = case["s"], case["d"], case["p"], case["op"]
    with np.errstate(invalid="ignore"):  # 0 * inf = nan is the point
        if windows_fit(case["i"], case["k"], s, p, d):
            expected = ref_conv2d(x[None, None], w[None, None], None, (s, s), (p, p), (d, d))[0, 0]
            kw = dict(stride=s, padding=p, dilation=d)
            same(utils.conv2d_loops(x, w, **kw), expected, "conv2d_loops")
            same(utils.conv2d(x[None, None], w[None, None], None, s, p, d)[0, 0], expected, "conv2d")
            same((w.ravel() @ utils.im2col(x[None, None], case["k"], **kw)[0]).reshape(expected.shape),
                 expected, "im2col")
        if (case["i"] - 1) * s - 2 * p + d * (case["k"] - 1) + op + 1 >= 1:
            expected = ref_conv_transpose2d_stamps(x, w, s, p, op, d)
            kw = dict(stride=s, padding=p, output_padding=op, dilation=d)
            same(utils.conv_transpose2d(x[None, None], w[None, None], None, s, p, op, 1, d)[0, 0], expected,
                 "conv_transpose2d")
            same(utils.conv_transpose2d_matrix(x, w, **kw), expected, "conv_transpose2d_matrix")
            same(utils.conv_transpose2d_scatter(x, w, **kw), expected, "conv_transpose2d_scatter")
            if case["where"] == "input":  # documented: a non-finite kernel meets its inserted zeros
                same(utils.conv_transpose2d_as_conv(x, w, **kw), expected, "conv_transpose2d_as_conv")


def test_the_issue_example_and_the_documented_exceptions():
    y = np.array([[np.inf, 0.0], [0.0, 0.0]])
    # torch and the scatter view: [[inf, 0], [0, 0]]; the dense product gave [[inf, nan], [nan, nan]]
    np.testing.assert_array_equal(utils.conv_transpose2d_matrix(y, [[1.0]]), [[np.inf, 0], [0, 0]])
    with np.errstate(invalid="ignore"):
        # a bare C @ x spreads the inf through C's zeros: documented in conv_matrix
        C = utils.conv_matrix(np.ones((1, 1)), (2, 2))
        assert np.isnan(C @ y.ravel()).sum() == 3
        assert "0 * inf = nan" in utils.conv_matrix.__doc__
        # as_conv with an inf weight: the kernel meets the inserted zeros, documented
        out = utils.conv_transpose2d_as_conv(np.ones((2, 2)), [[np.inf]], stride=2)
        assert np.isnan(out[0, 1]) and "one in w does not" in utils.conv_transpose2d_as_conv.__doc__


@needs_torch
@pytest.mark.torch
@given(non_finite_case())
def test_non_finite_values_agree_with_torch(case):
    x, w = with_non_finite(case)
    s, d, p, op = case["s"], case["d"], case["p"], case["op"]
    F, t = torch.nn.functional, torch.from_numpy
    with np.errstate(invalid="ignore"):
        if windows_fit(case["i"], case["k"], s, p, d):
            theirs = F.conv2d(t(x)[None, None], t(w)[None, None], None, s, p, d).numpy()[0, 0]
            same(utils.conv2d(x[None, None], w[None, None], None, s, p, d)[0, 0], theirs, "conv2d")
            same(utils.conv2d_loops(x, w, stride=s, padding=p, dilation=d), theirs, "conv2d_loops")
        if (case["i"] - 1) * s - 2 * p + d * (case["k"] - 1) + op + 1 >= 1:
            theirs = F.conv_transpose2d(t(x)[None, None], t(w)[None, None], None, s, p, op, 1, d).numpy()[0, 0]
            same(utils.conv_transpose2d(x[None, None], w[None, None], None, s, p, op, 1, d)[0, 0], theirs,
                 "conv_transpose2d")
            kw = dict(stride=s, padding=p, output_padding=op, dilation=d)
            same(utils.conv_transpose2d_matrix(x, w, **kw), theirs, "conv_transpose2d_matrix")
            same(utils.conv_transpose2d_scatter(x, w, **kw), theirs, "conv_transpose2d_scatter")


# ---------------------------------------------------------------------------
# 6. Arrays of the wrong kind, and max_entries
# ---------------------------------------------------------------------------

FOREIGN = [
    ("ragged list", lambda shape: [[1.0, 2.0], [3.0]], ValueError, "rectangular"),
    ("timedelta64", lambda shape: np.ones(shape, dtype="m8[s]"), TypeError, "timedelta64"),
    ("datetime64", lambda shape: np.ones(shape, dtype="M8[s]"), TypeError, "datetime64"),
    ("object array of numbers", lambda shape: np.ones(shape).astype(object), TypeError, "object"),
    ("strings", lambda shape: np.full(shape, "1"), TypeError, "numeric"),
    ("None", lambda shape: None, TypeError, "numeric"),
    ("masked array", lambda shape: np.ma.masked_array(np.ones(shape), mask=np.ones(shape, bool)),
     TypeError, "masked"),
    ("a number", lambda shape: 3.0, ValueError, "-D"),
]


def array_arguments():
    from test_errors import array_parameters
    return array_parameters()


@pytest.mark.parametrize("kind, make, error, fragment", FOREIGN, ids=[f[0] for f in FOREIGN])
@pytest.mark.parametrize("name, parameter, ndim", array_arguments())
def test_foreign_arrays_get_a_message_that_names_the_parameter(kind, make, error, fragment, name, parameter,
                                                               ndim):
    with pytest.raises(error, match=says(parameter, fragment)):
        call(name, **{parameter: make((2,) * ndim)})


@needs_torch
@pytest.mark.parametrize("requires_grad", [False, True])
@pytest.mark.parametrize("name, parameter, ndim", array_arguments())
def test_torch_tensors_are_refused_with_the_way_out(requires_grad, name, parameter, ndim):
    tensor = torch.ones((2,) * ndim, dtype=torch.float64, requires_grad=requires_grad)
    with pytest.raises(TypeError, match=says(parameter, "torch.Tensor", f"{parameter}.detach().cpu().numpy()")):
        call(name, **{parameter: tensor})


@pytest.mark.parametrize("name", ["conv_matrix", "conv_transpose2d_matrix"])
@pytest.mark.parametrize("value, error, shown", [(None, TypeError, "None"), (2.5e7, TypeError, "25000000.0"),
                                                 (True, TypeError, "True"), ("1", TypeError, "'1'"),
                                                 (0, ValueError, "0"), (-5, ValueError, "-5")])
def test_max_entries_is_validated(name, value, error, shown):
    with pytest.raises(error, match=says("max_entries", shown)):
        call(name, max_entries=value)


def test_conv_transpose2d_matrix_takes_the_max_entries_its_error_mentions():
    y, w = ones(40, 40), ones(3, 3)  # C is (40*40) x (42*42): 2,822,400 entries
    with pytest.raises(ValueError, match=says("2,822,400 entries", "max_entries=1,000,000", "Pass a larger")):
        utils.conv_transpose2d_matrix(y, w, max_entries=1_000_000)
    out = utils.conv_transpose2d_matrix(y, w, max_entries=3_000_000)
    assert out[20, 20] == 9 and out[0, 0] == 1  # interior cells get 9 stamps, corners 1


def test_good_array_kinds_are_accepted():
    x, w = np.arange(30.0).reshape(5, 6), np.array([[1.0, -1.0], [2.0, 0.5]])
    expected = utils.conv2d_loops(x, w)
    for variant in (np.asfortranarray(x), x[::-1][::-1], x.astype(np.float32), x.astype(np.int8) * 0 + x.astype(int),
                    x.tolist(), np.float16(1) * x):
        np.testing.assert_allclose(utils.conv2d_loops(variant, w), expected, rtol=1e-3)
    assert utils.conv2d_loops(x.astype(np.float16), w.astype(np.float16)).dtype == np.float16
    assert utils.conv2d_loops(x > 10, w).dtype == np.float64  # bools count as 0 and 1
    np.testing.assert_array_equal(utils.conv2d_loops(x > 10, w), utils.conv2d_loops((x > 10) * 1.0, w))


# ---------------------------------------------------------------------------
# 7. What torch accepts beyond the basics
# ---------------------------------------------------------------------------


def test_unbatched_input_is_a_batch_of_one(rng):
    x, w, b = rng.standard_normal((2, 5, 6)), rng.standard_normal((4, 2, 3, 2)), rng.standard_normal(4)
    np.testing.assert_array_equal(utils.conv2d(x, w, b, 2, 1), utils.conv2d(x[None], w, b, 2, 1)[0])
    wt = rng.standard_normal((2, 3, 3, 2))
    np.testing.assert_array_equal(utils.conv_transpose2d(x, wt, None, 2, 1, 1),
                                  utils.conv_transpose2d(x[None], wt, None, 2, 1, 1)[0])
    cols = utils.im2col(x, (3, 2), stride=2)
    np.testing.assert_array_equal(cols, utils.im2col(x[None], (3, 2), stride=2)[0])
    np.testing.assert_array_equal(utils.col2im(cols, (5, 6), (3, 2), stride=2),
                                  utils.col2im(cols[None], (5, 6), (3, 2), stride=2)[0])
    assert cols.shape == (2 * 3 * 2, 2 * 3)


@pytest.mark.parametrize("name, args, shape", [
    ("conv2d", (np.ones((0, 2, 5, 5)), np.ones((3, 2, 3, 3)), np.ones(3)), (0, 3, 3, 3)),
    ("conv_transpose2d", (np.ones((0, 2, 5, 5)), np.ones((2, 3, 3, 3)), np.ones(3), 2), (0, 3, 11, 11)),
    ("im2col", (np.ones((0, 2, 5, 5)), 3), (0, 18, 9)),
    ("col2im", (np.ones((0, 18, 9)), 5, 3), (0, 2, 5, 5)),
])
def test_an_empty_batch_gives_an_empty_result(name, args, shape):
    out = getattr(utils, name)(*args)
    assert out.shape == shape and out.dtype == np.float64


def test_padding_same_keeps_the_size_and_pads_like_torch():
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    w = np.arange(4.0).reshape(1, 1, 2, 2)
    # hand-worked: an even kernel pads 0 at the top/left and 1 at the bottom/right (torch's rule)
    out = utils.conv2d(x, w, padding="same")
    assert out.shape == (1, 1, 4, 4)
    assert out[0, 0, 0, 0] == 0 * 0 + 1 * 1 + 2 * 4 + 3 * 5
    assert out[0, 0, 3, 3] == 0 * 15  # only tap (0, 0) is on the input
    for k, d in [(3, 1), (2, 1), (4, 1), (2, 3), (3, 2), ((2, 3), (1, 2))]:
        w = np.ones((1, 1, *(k if isinstance(k, tuple) else (k, k))))
        assert utils.conv2d(x, w, padding="same", dilation=d).shape == x.shape, (k, d)
    np.testing.assert_array_equal(utils.conv2d(x, w, padding="valid"), utils.conv2d(x, w, padding=0))


@pytest.mark.parametrize("padding, stride, fragments", [
    ("same", 2, ["padding='same' needs stride=1", "stride=2"]),
    ("same", (1, 2), ["padding='same' needs stride=1", "stride=(1, 2)"]),
    ("SAME", 1, ["padding must be", "'valid' or 'same'", "'SAME'"]),
    ("full", 1, ["padding must be", "'full'"]),
    ("", 1, ["padding must be", "''"]),
])
def test_padding_strings_that_torch_refuses_are_refused(padding, stride, fragments):
    with pytest.raises(ValueError, match=says(*fragments)):
        utils.conv2d(ones(1, 1, 4, 4), ones(1, 1, 3, 3), stride=stride, padding=padding)


@pytest.mark.parametrize("name", ["conv_transpose2d", "im2col", "conv2d_loops", "conv_transpose2d_scatter",
                                  "conv2d_backward"])
def test_padding_strings_are_only_for_conv2d(name):
    with pytest.raises(TypeError, match=says("padding", "int", "'same'")):
        call(name, padding="same")


@needs_torch
@pytest.mark.torch
@pytest.mark.filterwarnings("ignore:Using padding=.same. with even kernel:UserWarning")
@given(st.integers(1, 6), st.integers(1, 6), st.integers(1, 4), st.integers(1, 4), st.integers(1, 3),
       st.integers(1, 3), st.integers(0, 999))
def test_padding_same_agrees_with_torch(H, W, kh, kw, dh, dw, seed):
    rng = np.random.default_rng(seed)
    x, w = rng.standard_normal((2, 2, H, W)), rng.standard_normal((3, 2, kh, kw))
    theirs = torch.nn.functional.conv2d(torch.from_numpy(x), torch.from_numpy(w), None, 1, "same", (dh, dw))
    np.testing.assert_allclose(utils.conv2d(x, w, None, 1, "same", (dh, dw)), theirs.numpy(), rtol=1e-12,
                               atol=1e-12)
    if H >= kh and W >= kw:
        theirs = torch.nn.functional.conv2d(torch.from_numpy(x), torch.from_numpy(w), padding="valid")
        np.testing.assert_allclose(utils.conv2d(x, w, padding="valid"), theirs.numpy(), rtol=1e-12, atol=1e-12)


@needs_torch
@pytest.mark.torch
def test_unbatched_and_empty_batches_agree_with_torch(rng):
    F, t = torch.nn.functional, torch.from_numpy
    x, w = rng.standard_normal((2, 5, 6)), rng.standard_normal((4, 2, 3, 2))
    np.testing.assert_allclose(utils.conv2d(x, w, None, 2, 1), F.conv2d(t(x), t(w), None, 2, 1).numpy(),
                               rtol=1e-12, atol=1e-12)
    wt = rng.standard_normal((2, 3, 3, 2))
    np.testing.assert_allclose(utils.conv_transpose2d(x, wt, None, 2, 1, 1),
                               F.conv_transpose2d(t(x), t(wt), None, 2, 1, 1).numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(utils.im2col(x, (3, 2), padding=1), F.unfold(t(x), (3, 2), padding=1).numpy(),
                               rtol=1e-12, atol=1e-12)
    cols = rng.standard_normal((12, 5 * 7))  # output_size (5, 6), kernel (3, 2), padding 1: 5x7 windows
    np.testing.assert_allclose(utils.col2im(cols, torch.Size([5, 6]), (3, 2), padding=1),
                               F.fold(t(cols), (5, 6), (3, 2), padding=1).numpy(), rtol=1e-12, atol=1e-12)
    empty = np.ones((0, 2, 5, 6))
    assert utils.conv2d(empty, w).shape == tuple(F.conv2d(t(empty), t(w)).shape)
    assert utils.conv_transpose2d(empty, wt, None, 2).shape == tuple(F.conv_transpose2d(t(empty), t(wt), None,
                                                                                        2).shape)
    assert utils.im2col(empty, 2).shape == tuple(F.unfold(t(empty), 2).shape)


def test_mixed_dtypes_follow_numpys_promotion(rng):
    # documented choice: torch refuses float32 with float64; NumPy's rule computes in float64
    x32, w64 = rng.standard_normal((1, 2, 5, 5)).astype(np.float32), rng.standard_normal((3, 2, 3, 3))
    out = utils.conv2d(x32, w64)
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, utils.conv2d(x32.astype(np.float64), w64))
    assert utils.conv2d(x32, w64.astype(np.float32), np.ones(3)).dtype == np.float32  # bias follows x and w
    assert utils.conv2d(x32.astype(np.int64), w64.astype(np.float32)).dtype == np.float64  # int with float32
    assert "promotion" in utils.conv2d.__doc__ and "torch" in utils.conv2d.__doc__
    y = rng.standard_normal((3, 3)).astype(np.float32)
    assert utils.conv_transpose2d_matrix(y, np.ones((2, 2))).dtype == np.float64
    assert utils.conv_transpose2d_scatter(y, np.ones((2, 2), np.float32)).dtype == np.float32


# ---------------------------------------------------------------------------
# 8. A learner's slips and a porter's habits
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("call_it, error, fragments", [
    # an image without batch or channel axes
    (lambda: utils.conv2d(ones(5, 5), ones(1, 1, 3, 3)), ValueError, ["x must be 3-D or 4-D", "(5, 5)"]),
    # a one-channel kernel given to conv2d as (kH, kW)
    (lambda: utils.conv2d(ones(1, 1, 5, 5), ones(3, 3)), ValueError, ["w must be 4-D", "(3, 3)"]),
    # F.pad's four amounts given as padding
    (lambda: utils.conv2d(ones(1, 1, 5, 5), ones(1, 1, 3, 3), padding=(1, 1, 1, 1)), ValueError,
     ["padding", "(1, 1, 1, 1)", "4 entries"]),
    # a float stride from a division
    (lambda: utils.conv2d(ones(1, 1, 5, 5), ones(1, 1, 3, 3), stride=4 / 2), TypeError, ["stride", "2.0"]),
    # conv2d's weight layout given to conv_transpose2d
    (lambda: utils.conv_transpose2d(ones(1, 2, 5, 5), ones(3, 2, 3, 3)), ValueError, ["C_in=2", "(3, 2, 3, 3)"]),
    # the kernel first, the image second
    (lambda: utils.conv2d_loops(ones(3, 3), ones(5, 5)), ValueError, ["kernel_size=5", "padded input"]),
    # a tuple of three for a 2-D kernel
    (lambda: utils.im2col(ones(1, 1, 5, 5), (3, 3, 3)), ValueError, ["kernel_size", "3 entries"]),
    # pad_or_crop with torch.nn.functional.pad's order by position
    (lambda: utils.pad_or_crop(ones(2, 2), 1, 2, 3, 4), TypeError, ["positional"]),
])
def test_common_slips(call_it, error, fragments):
    result, seconds, _ = measured(call_it)
    assert isinstance(result, error) and all(f in str(result) for f in fragments), result
    assert seconds < 1


def test_numpy_integers_and_torch_sizes_are_ints():
    x = np.ones((1, 1, 6, 6))
    assert utils.conv2d(x, np.ones((1, 1, 3, 3)), None, np.int64(2), np.int32(1)).shape == (1, 1, 3, 3)
    assert utils.conv_output_size(np.uint8(6), 3, np.int16(2)) == 2


# ---------------------------------------------------------------------------
# 9. Render functions: values no control can give are refused in one line
# ---------------------------------------------------------------------------

RENDERS = {
    "render_check": (start.render_check, dict(size=3), {"size": (1, 6)}),
    "render_sliding_window": (sliding.render_sliding_window, dict(i=5, k=3, s=1, p=1, d=1, step=0),
                              {**sliding.CONTROL_RANGES}),
    "render_conv_matrix": (matrix.render_conv_matrix, dict(i=5, k=3, s=1, p=1, d=1, mode="row", index=0),
                           {**matrix.RANGES, "index": (0, 143), "mode": ["row", "column"]}),
    "render_transposed": (transposed.render_transposed,
                          dict(i=3, k=3, s=2, p=1, d=1, output_padding=0, row=1, col=1),
                          {**transposed.SLIDER_RANGES, "row": (0, 20), "col": (0, 20)}),
    "render_groups": (networks.render_groups, dict(channels_in=4, channels_out=4, groups=2),
                      {**networks.CONTROLS}),
    "render_read_rows": (gradients.render_read_rows, dict(i=6, k=3, s=2, p=1, d=1),
                         {**gradients.CONTROLS}),
    "render_overlap": (checkerboard.render_overlap, dict(k=3, s=2, layers=1, dims=2),
                       {"k": (1, 8), "s": (1, 4), "layers": (1, 3), "dims": [1, 2]}),
}


def bad_values(allowed):
    """Values that no control gives: just outside the range, floats, strings, bools, None, arrays."""
    common = [2.5, "3", None, True, np.array([1, 2]), 10**30]
    if isinstance(allowed, list):
        return common + ["other", 0, 3]
    low, high = allowed
    return common + [low - 1, high + 1, float(low)]


@pytest.mark.parametrize("name, parameter", [(name, parameter) for name, (_, _, allowed) in RENDERS.items()
                                             for parameter in allowed])
def test_render_functions_refuse_values_no_control_gives(name, parameter):
    render, defaults, allowed = RENDERS[name]
    for value in bad_values(allowed[parameter]):
        if isinstance(value, (int, float)) and not isinstance(value, bool) and isinstance(allowed[parameter], list) \
                and value in allowed[parameter]:
            continue
        result, seconds, _ = measured(lambda: render(**{**defaults, parameter: value}))
        assert isinstance(result, str), (name, parameter, value, result)
        assert "\n" not in result and result.startswith(f"{parameter} must be"), result
        expected = (f"one of {allowed[parameter]}" if isinstance(allowed[parameter], list) else
                    f"an int from {allowed[parameter][0]} to {allowed[parameter][1]}")
        assert expected in result, result
        assert seconds < 1


@pytest.mark.parametrize("name", sorted(RENDERS))
def test_render_functions_accept_the_ends_of_their_ranges(name):
    render, defaults, allowed = RENDERS[name]
    for parameter, options in allowed.items():
        for value in (options if isinstance(options, list) else options):
            result = render(**{**defaults, parameter: value})
            # a Figure, or a one-line reason the combination is impossible (never a range error)
            assert not isinstance(result, str) or (" must be an int from" not in result
                                                   and " must be one of" not in result), (parameter, value, result)


@pytest.mark.parametrize("name, args", [
    ("conv2d_backward", (ones(1, 1, 3000, 3000), ones(1, 1, 4, 4), np.zeros((1, 1, 2997, 2997)))),
    ("conv_transpose2d_backward", (np.zeros((1, 1, 2997, 2997)), ones(1, 1, 4, 4), ones(1, 1, 3000, 3000))),
])
def test_gradients_refuse_weight_columns_over_the_budget(name, args):
    # the weight gradient gathers 4*4 taps per output pixel: 16 * 2997**2 > MAX_ENTRIES
    error, seconds, peak = measured(lambda: getattr(utils, name)(*args))
    assert isinstance(error, ValueError) and "the weight gradient's columns" in str(error), error
    assert "(16, 8982009)" in str(error) and seconds < 1 and peak < 50
