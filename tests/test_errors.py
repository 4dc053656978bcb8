"""Bad input raises ValueError (TypeError for wrong types) with a message that names the
parameter and the value received; good input is never modified; dtypes are kept.
"""

import copy
import inspect
import re

import numpy as np
import pytest

import utils


def ones(*shape):
    return np.ones(shape)


def valid_calls():
    """A valid call of every public function that takes arrays: name -> (function, kwargs)."""
    rng = np.random.default_rng(0)
    r = rng.standard_normal
    return {
        "conv2d_loops": (utils.conv2d_loops, dict(x=r((5, 6)), w=r((3, 2)))),
        "conv_matrix": (utils.conv_matrix, dict(w=r((3, 2)), input_shape=(5, 6))),
        "conv_transpose2d_matrix": (utils.conv_transpose2d_matrix, dict(y=r((3, 4)), w=r((3, 2)))),
        "conv_transpose2d_scatter": (utils.conv_transpose2d_scatter, dict(y=r((3, 4)), w=r((3, 2)))),
        "conv_transpose2d_as_conv": (utils.conv_transpose2d_as_conv, dict(y=r((3, 4)), w=r((3, 2)))),
        "stretch": (utils.stretch, dict(y=r((3, 4)), stride=2)),
        "pad_or_crop": (utils.pad_or_crop, dict(x=r((3, 4)), top=1, bottom=-1, left=0, right=2)),
        "im2col": (utils.im2col, dict(x=r((2, 2, 5, 6)), kernel_size=(3, 2))),
        "col2im": (utils.col2im, dict(cols=r((2, 12, 15)), output_size=(5, 6), kernel_size=(3, 2))),
        "conv2d": (utils.conv2d, dict(x=r((2, 4, 5, 6)), w=r((6, 2, 3, 2)), bias=r(6), groups=2)),
        "conv_transpose2d": (utils.conv_transpose2d,
                             dict(x=r((2, 4, 3, 4)), w=r((4, 3, 3, 2)), bias=r(6), groups=2)),
        "conv2d_backward": (utils.conv2d_backward, dict(x=r((2, 4, 5, 6)), w=r((6, 2, 3, 2)),
                                                        grad_output=r((2, 6, 3, 5)), groups=2)),
        "conv_transpose2d_backward": (utils.conv_transpose2d_backward,
                                      dict(x=r((2, 4, 3, 4)), w=r((4, 3, 3, 2)), grad_output=r((2, 6, 5, 5)),
                                           groups=2)),
    }


ARRAY_FUNCTIONS = sorted(valid_calls())
SIZE_FUNCTIONS = {
    "conv_output_size": (utils.conv_output_size, dict(i=5, k=3)),
    "conv_transpose_output_size": (utils.conv_transpose_output_size, dict(i=3, k=3)),
}


def call(name, **override):
    function, kwargs = {**valid_calls(), **SIZE_FUNCTIONS}[name]
    return function(**{**kwargs, **override})


def takes(parameter):
    """Names of the public functions that take `parameter`."""
    functions = {**valid_calls(), **SIZE_FUNCTIONS}
    return [name for name in ARRAY_FUNCTIONS + sorted(SIZE_FUNCTIONS)
            if parameter in inspect.signature(functions[name][0]).parameters]


def outputs(result):
    """A function's result as a tuple of arrays (the backward functions return three)."""
    return result if isinstance(result, tuple) else (result,)


def says(*fragments):
    """A regex matching a message that contains every fragment, in this order."""
    return ".*".join(re.escape(f) for f in fragments)


def test_every_valid_call_runs():
    for name in ARRAY_FUNCTIONS + sorted(SIZE_FUNCTIONS):
        call(name)
    # and the parametrized tests below reach every function that takes each parameter
    assert len(takes("stride")) == 14 and len(takes("padding")) == 13 and len(takes("dilation")) == 13
    assert len(takes("output_padding")) == 6 and len(takes("groups")) == 4


# ---------------------------------------------------------------------------
# stride, padding, dilation, output_padding: ranges
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", takes("stride"))
@pytest.mark.parametrize("value, shown", [(0, "0"), (-1, "-1"), ((1, 0), "(1, 0)"), ([0, 2], "[0, 2]")])
def test_stride_below_one(name, value, shown):
    with pytest.raises(ValueError, match=says("stride", ">= 1", f"got {shown}")):
        call(name, stride=value)


@pytest.mark.parametrize("name", takes("dilation"))
@pytest.mark.parametrize("value, shown", [(0, "0"), (-2, "-2"), ((2, 0), "(2, 0)")])
def test_dilation_below_one(name, value, shown):
    with pytest.raises(ValueError, match=says("dilation", ">= 1", f"got {shown}")):
        call(name, dilation=value)


@pytest.mark.parametrize("name", takes("padding"))
@pytest.mark.parametrize("value, shown", [(-1, "-1"), ((0, -3), "(0, -3)")])
def test_negative_padding(name, value, shown):
    with pytest.raises(ValueError, match=says("padding", ">= 0", f"got {shown}")):
        call(name, padding=value)


@pytest.mark.parametrize("name", takes("output_padding"))
def test_negative_output_padding(name):
    with pytest.raises(ValueError, match=says("output_padding", ">= 0", "got -1")):
        call(name, output_padding=-1)


@pytest.mark.parametrize("name", takes("output_padding"))
@pytest.mark.parametrize("op, stride, dilation", [(1, 1, 1), (2, 2, 1), (2, 1, 2), ((0, 3), (1, 3), 2)])
def test_output_padding_not_smaller_than_stride_or_dilation(name, op, stride, dilation):
    with pytest.raises(ValueError, match=says("output_padding must be smaller than stride or dilation",
                                              "output_padding=", "stride=", "dilation=")) as info:
        call(name, output_padding=op, stride=stride, dilation=dilation)
    pair = lambda v: str(v if isinstance(v, tuple) else (v, v))  # noqa: E731
    assert f"output_padding={pair(op)}" in str(info.value)
    assert f"stride={pair(stride)}" in str(info.value) and f"dilation={pair(dilation)}" in str(info.value)


@pytest.mark.parametrize("name", takes("output_padding"))
def test_output_padding_at_least_stride_is_allowed_by_a_larger_dilation(name):
    # PyTorch's rule: smaller than the stride OR the dilation
    override = dict(output_padding=2, stride=2, dilation=3)
    if name == "conv_transpose2d_backward":
        kwargs = valid_calls()[name][1]
        out = utils.conv_transpose2d(kwargs["x"], kwargs["w"], groups=2, **override)
        override["grad_output"] = np.ones_like(out)
    call(name, **override)


@pytest.mark.parametrize("name, parameter", [(name, parameter)
                                             for parameter in ("stride", "padding", "dilation")
                                             for name in takes(parameter)])
def test_pairs_must_have_two_entries(name, parameter):
    with pytest.raises(ValueError, match=says(parameter, "(1, 1, 1)", "3 entries")):
        call(name, **{parameter: (1, 1, 1)})


# ---------------------------------------------------------------------------
# Non-integer sizes
# ---------------------------------------------------------------------------

NOT_INTS = [(2.5, "2.5"), ("3", "'3'"), (True, "True"), (None, "None"), ((2, 1.0), "(2, 1.0)"),
            (np.float64(2.0), "2.0"), (np.bool_(True), "True")]


@pytest.mark.parametrize("parameter", ["stride", "padding", "dilation", "output_padding"])
@pytest.mark.parametrize("value, shown", NOT_INTS)
def test_non_integer_parameters_raise_type_error(parameter, value, shown):
    for name in takes(parameter):
        # conv2d takes padding='same' or 'valid' too: any other string is a wrong value
        error = ValueError if (name, parameter) == ("conv2d", "padding") and isinstance(value, str) else TypeError
        with pytest.raises(error, match=says(parameter, "int", shown)):
            call(name, **{parameter: value})


@pytest.mark.parametrize("name, parameter", [
    ("conv_output_size", "i"), ("conv_output_size", "k"), ("conv_transpose_output_size", "i"),
    ("conv_transpose_output_size", "k"), ("conv_matrix", "input_shape"), ("im2col", "kernel_size"),
    ("col2im", "kernel_size"), ("col2im", "output_size")])
@pytest.mark.parametrize("value, shown", NOT_INTS)
def test_non_integer_sizes_raise_type_error(name, parameter, value, shown):
    with pytest.raises(TypeError, match=says(parameter, "int", shown)):
        call(name, **{parameter: value})


@pytest.mark.parametrize("name, parameter", [
    ("conv_output_size", "i"), ("conv_output_size", "k"), ("conv_transpose_output_size", "k"),
    ("conv_matrix", "input_shape"), ("im2col", "kernel_size"), ("col2im", "output_size")])
def test_sizes_below_one(name, parameter):
    with pytest.raises(ValueError, match=says(parameter, ">= 1", "got 0")):
        call(name, **{parameter: 0})


@pytest.mark.parametrize("name", takes("groups"))
@pytest.mark.parametrize("value, shown", [(2.0, "2.0"), ("2", "'2'"), (True, "True"), (None, "None")])
def test_non_integer_groups(name, value, shown):
    with pytest.raises(TypeError, match=says("groups", "int", shown)):
        call(name, groups=value)


@pytest.mark.parametrize("name", takes("groups"))
def test_groups_below_one(name):
    with pytest.raises(ValueError, match=says("groups", ">= 1", "got 0")):
        call(name, groups=0)


# ---------------------------------------------------------------------------
# Sizes that do not fit
# ---------------------------------------------------------------------------

CONV_FORMULA = "o = floor((i + 2p - d(k-1) - 1)/s) + 1"


@pytest.mark.parametrize("name, override", [
    ("conv_output_size", dict(i=3, k=5)),
    ("conv2d_loops", dict(x=ones(3, 3), w=ones(5, 5))),
    ("conv_matrix", dict(w=ones(5, 5), input_shape=(3, 3))),
    ("im2col", dict(x=ones(1, 1, 3, 3), kernel_size=5)),
    ("col2im", dict(cols=ones(1, 25, 1), output_size=3, kernel_size=5)),
    ("conv2d", dict(x=ones(1, 1, 3, 3), w=ones(1, 1, 5, 5), bias=None, groups=1)),
    ("conv2d_backward", dict(x=ones(1, 1, 3, 3), w=ones(1, 1, 5, 5), grad_output=ones(1, 1, 1, 1),
                             groups=1)),
])
def test_kernel_larger_than_the_padded_input(name, override):
    # the message shows the formula, the numbers put into it and the size it gave
    with pytest.raises(ValueError, match=says("kernel_size=5", "padded input", "i + 2p = 3 + 2*0 = 3",
                                              CONV_FORMULA, "floor((3 + 0 - 4 - 1)/1) + 1 = -1")):
        call(name, **override)


def test_dilated_kernel_larger_than_the_padded_input():
    with pytest.raises(ValueError, match=says("kernel_size=3", "dilation=3", "spans 7 cells",
                                              "i + 2p = 4 + 2*1 = 6", "= 0")):
        utils.conv2d_loops(ones(4, 4), ones(3, 3), padding=1, dilation=3)


@pytest.mark.parametrize("name, override", [
    ("conv_transpose_output_size", dict(i=1, k=1, padding=1)),
    ("conv_transpose2d_matrix", dict(y=ones(1, 1), w=ones(1, 1), padding=1)),
    ("conv_transpose2d_scatter", dict(y=ones(1, 1), w=ones(1, 1), padding=1)),
    ("conv_transpose2d_as_conv", dict(y=ones(1, 1), w=ones(1, 1), padding=1)),
    ("conv_transpose2d", dict(x=ones(1, 1, 1, 1), w=ones(1, 1, 1, 1), bias=None, groups=1, padding=1)),
    ("conv_transpose2d_backward", dict(x=ones(1, 1, 1, 1), w=ones(1, 1, 1, 1), grad_output=ones(1, 1, 1, 1),
                                       groups=1, padding=1)),
])
def test_transposed_output_cropped_away_by_padding(name, override):
    with pytest.raises(ValueError, match=says("padding=1", "o = (i-1)s - 2p + d(k-1) + output_padding + 1",
                                              "(1-1)*1 - 2*1 + 1*(1-1) + 0 + 1 = -1", ">= 1")):
        call(name, **override)


def test_col2im_with_the_wrong_number_of_windows():
    # output_size (5, 6) with a 3x2 kernel has 3*5 = 15 windows, not 14
    with pytest.raises(ValueError, match=says("L=14", "output_size=(5, 6)", "3*5 = 15")):
        utils.col2im(ones(1, 6, 14), (5, 6), (3, 2))


def test_col2im_with_rows_not_a_multiple_of_the_kernel():
    with pytest.raises(ValueError, match=says("7 rows", "multiple", "3*2 = 6")):
        utils.col2im(ones(1, 7, 15), (5, 6), (3, 2))


def test_conv_matrix_over_its_budget_states_the_memory():
    # (100*100) x (100*100) float64 = 100,000,000 entries = 800 MB
    with pytest.raises(ValueError, match=says("(10000, 10000)", "100,000,000 entries", "800.0 MB",
                                              "max_entries=25,000,000")):
        utils.conv_matrix(ones(1, 1), (100, 100))
    with pytest.raises(ValueError, match=says("400.0 MB")):  # float32 halves it
        utils.conv_matrix(np.ones((1, 1), np.float32), (100, 100))
    with pytest.raises(ValueError, match=says("max_entries=99")):
        utils.conv_matrix(ones(3, 3), (5, 5), padding=1, max_entries=99)  # 25 * 25 = 625 entries
    assert utils.conv_matrix(ones(3, 3), (5, 5), padding=1, max_entries=625).shape == (25, 25)


# ---------------------------------------------------------------------------
# Channels and groups
# ---------------------------------------------------------------------------


def test_conv2d_weight_channels_must_match_the_input():
    with pytest.raises(ValueError, match=says("w.shape=(2, 3, 3, 3)", "C_in=3", "x has C_in=4")):
        utils.conv2d(ones(1, 4, 5, 5), ones(2, 3, 3, 3))
    with pytest.raises(ValueError, match=says("w.shape=(2, 3, 3, 3)", "C_in=6", "x has C_in=4", "groups=2")):
        utils.conv2d(ones(1, 4, 5, 5), ones(2, 3, 3, 3), groups=2)


def test_conv_transpose2d_weight_rows_must_match_the_input():
    with pytest.raises(ValueError, match=says("C_in=4", "w.shape=(3, 4, 3, 3)")):
        utils.conv_transpose2d(ones(1, 4, 5, 5), ones(3, 4, 3, 3))


@pytest.mark.parametrize("name, override", [
    ("conv2d", dict(x=ones(1, 4, 5, 5), w=ones(2, 2, 3, 3), bias=None)),
    ("conv_transpose2d", dict(x=ones(1, 4, 5, 5), w=ones(4, 2, 3, 3), bias=None)),
    ("conv2d_backward", dict(x=ones(1, 4, 5, 5), w=ones(3, 2, 3, 3), grad_output=ones(1, 3, 3, 3))),
    ("conv_transpose2d_backward", dict(x=ones(1, 4, 5, 5), w=ones(4, 2, 3, 3), grad_output=ones(1, 6, 7, 7))),
])
def test_groups_must_divide_the_input_channels(name, override):
    with pytest.raises(ValueError, match=says("groups=3", "divide", "C_in=4")):
        call(name, groups=3, **override)


def test_groups_must_divide_the_output_channels():
    with pytest.raises(ValueError, match=says("groups=2", "divide", "C_out", "w.shape[0]=3")):
        utils.conv2d(ones(1, 4, 5, 5), ones(3, 2, 3, 3), groups=2)


@pytest.mark.parametrize("name, bias, shown", [
    ("conv2d", np.ones(5), "(5,)"), ("conv2d", np.ones((6, 1)), "(6, 1)"),
    ("conv_transpose2d", np.ones(3), "(3,)"), ("conv_transpose2d", np.ones((1, 6)), "(1, 6)")])
def test_wrong_bias_shape(name, bias, shown):
    with pytest.raises(ValueError, match=says("bias", shown)):
        call(name, bias=bias)


@pytest.mark.parametrize("name, shape, shown", [
    ("conv2d_backward", (2, 6, 3, 4), "(2, 6, 3, 5)"), ("conv2d_backward", (2, 5, 3, 5), "(2, 6, 3, 5)"),
    ("conv_transpose2d_backward", (2, 6, 5, 6), "(2, 6, 5, 5)"),
    ("conv_transpose2d_backward", (1, 6, 5, 5), "(2, 6, 5, 5)")])
def test_wrong_grad_output_shape(name, shape, shown):
    with pytest.raises(ValueError, match=says("grad_output", shown, f"got {shape}")):
        call(name, grad_output=np.ones(shape))


def test_conv_transpose2d_backward_checks_the_weight_against_the_input():
    # conv_transpose2d refuses this pair (w must have C_in=2 rows); its backward must refuse it too,
    # rather than return gradients whose shapes are not those of x and w
    x, w, g = ones(1, 2, 4, 4), ones(4, 3, 3, 3), ones(1, 3, 6, 6)
    with pytest.raises(ValueError, match=says("C_in=2", "w.shape=(4, 3, 3, 3)")):
        utils.conv_transpose2d(x, w)
    with pytest.raises(ValueError, match=says("C_in=2", "w.shape=(4, 3, 3, 3)")):
        utils.conv_transpose2d_backward(x, w, g)


def test_conv2d_backward_checks_the_weight_against_the_input():
    with pytest.raises(ValueError, match=says("w.shape=(3, 3, 3, 3)", "x has C_in=2")):
        utils.conv2d_backward(ones(1, 2, 5, 5), ones(3, 3, 3, 3), ones(1, 3, 3, 3))


# ---------------------------------------------------------------------------
# Arrays: dimensions, emptiness, dtype
# ---------------------------------------------------------------------------


def array_parameters():
    """(function name, array parameter, its number of dimensions) for every array argument."""
    out = []
    for name, (function, kwargs) in valid_calls().items():
        for parameter, value in kwargs.items():
            # pad_or_crop has its own test below
            if isinstance(value, np.ndarray) and parameter != "bias" and name != "pad_or_crop":
                out.append((name, parameter, value.ndim))
    return out


UNBATCHED = {("im2col", "x"), ("col2im", "cols"), ("conv2d", "x"), ("conv_transpose2d", "x")}


@pytest.mark.parametrize("name, parameter, ndim", array_parameters())
def test_wrong_number_of_dimensions(name, parameter, ndim):
    # the framework forms also take unbatched input, one dimension fewer, as torch does
    for wrong in ((ndim - 2, ndim + 1) if (name, parameter) in UNBATCHED else (ndim - 1, ndim + 1)):
        bad = np.ones((2,) * wrong)
        with pytest.raises(ValueError, match=says(parameter, f"{ndim}-D", str(bad.shape))):
            call(name, **{parameter: bad})


@pytest.mark.parametrize("name, parameter, ndim", array_parameters())
def test_empty_arrays(name, parameter, ndim):
    # an empty batch is allowed where torch allows it (tests/test_edges.py), no other empty axis
    bad = np.ones(((2, 0) if (name, parameter) in UNBATCHED else (0, 2)) + (2,) * (ndim - 2))
    with pytest.raises(ValueError, match=says(parameter, "empty", str(bad.shape))):
        call(name, **{parameter: bad})


@pytest.mark.parametrize("name, parameter, ndim", array_parameters())
def test_non_numeric_and_complex_arrays(name, parameter, ndim):
    with pytest.raises(TypeError, match=says(parameter, "complex")):
        call(name, **{parameter: np.ones((2,) * ndim, dtype=complex)})
    with pytest.raises(TypeError, match=says(parameter, "numeric")):
        call(name, **{parameter: np.full((2,) * ndim, "a")})


def test_empty_bias():
    with pytest.raises(ValueError, match=says("bias", "empty", "(0,)")):
        utils.conv2d(ones(1, 1, 3, 3), ones(1, 1, 2, 2), bias=np.ones(0))


SIDES = ("top", "bottom", "left", "right")


def test_pad_or_crop_refuses_to_crop_everything():
    # a (3, 4) array: cropping 3 rows or 4 columns leaves nothing, which must not pass silently
    for amounts, value in [((-2, -2, 0, 0), "-2"), ((0, 0, -4, 0), "-4"), ((0, -3, 0, 0), "-3")]:
        with pytest.raises(ValueError, match=says(value, "(3, 4)")):
            utils.pad_or_crop(np.ones((3, 4)), **dict(zip(SIDES, amounts)))


def test_pad_or_crop_validates_like_the_other_functions():
    for parameter in ("top", "bottom", "left", "right"):
        for value, shown in [(1.5, "1.5"), ("1", "'1'"), (True, "True")]:
            with pytest.raises(TypeError, match=says(parameter, "int", shown)):
                call("pad_or_crop", **{parameter: value})
    with pytest.raises(ValueError, match=says("x", "2-D", "(1, 3, 4)")):
        utils.pad_or_crop(np.ones((1, 3, 4)), top=1, bottom=1, left=1, right=1)
    with pytest.raises(ValueError, match=says("x", "empty", "(0, 4)")):
        utils.pad_or_crop(np.ones((0, 4)), top=1, bottom=1, left=1, right=1)
    with pytest.raises(TypeError, match=says("x", "complex")):
        utils.pad_or_crop(np.ones((3, 4), dtype=complex), top=1, bottom=1, left=1, right=1)
    assert utils.pad_or_crop(np.ones((3, 4), dtype=int), top=1, bottom=1, left=1, right=1).dtype == np.float64


# ---------------------------------------------------------------------------
# Good input: never modified, dtype kept, ints in float64, lists as pairs
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ARRAY_FUNCTIONS)
def test_inputs_are_never_modified(name):
    function, kwargs = valid_calls()[name]
    before = copy.deepcopy(kwargs)
    result = function(**kwargs)
    for parameter, value in kwargs.items():
        np.testing.assert_array_equal(value, before[parameter], err_msg=f"{name} modified {parameter}")
    # and on read-only inputs, any write would raise
    frozen = {}
    for parameter, value in before.items():
        if isinstance(value, np.ndarray):
            value = value.copy()
            value.setflags(write=False)
        frozen[parameter] = value
    for a, b in zip(outputs(result), outputs(function(**frozen))):
        np.testing.assert_array_equal(a, b)
    # the outputs are new arrays: writing into them leaves the inputs alone
    for out in outputs(result):
        out[...] = 7.0
    for parameter, value in kwargs.items():
        np.testing.assert_array_equal(value, before[parameter],
                                      err_msg=f"{name}'s output aliases {parameter}")


def as_dtype(kwargs, dtype):
    return {k: (v.astype(dtype) if isinstance(v, np.ndarray) else v) for k, v in kwargs.items()}


@pytest.mark.parametrize("name", ARRAY_FUNCTIONS)
def test_float32_in_gives_float32_out(name):
    function, kwargs = valid_calls()[name]
    result = function(**as_dtype(kwargs, np.float32))
    for out in outputs(result):
        assert out.dtype == np.float32, name
    for a, b in zip(outputs(result), outputs(function(**kwargs))):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("name", [n for n in ARRAY_FUNCTIONS if n != "pad_or_crop"])  # tested below
def test_integers_are_computed_in_float64(name):
    function, kwargs = valid_calls()[name]
    ints = {k: (np.round(v * 3).astype(np.int64) if isinstance(v, np.ndarray) else v)
            for k, v in kwargs.items()}
    for a, b in zip(outputs(function(**ints)), outputs(function(**as_dtype(ints, np.float64)))):
        assert a.dtype == np.float64, name
        np.testing.assert_array_equal(a, b)


def test_integer_products_do_not_overflow():
    # int8 values whose products overflow int8: the result is computed in float64
    x = np.full((3, 3), 100, dtype=np.int8)
    assert utils.conv2d_loops(x, x[:2, :2])[0, 0] == 4 * 100 * 100


@pytest.mark.parametrize("name", [n for n in ARRAY_FUNCTIONS if n in takes("stride")])
def test_lists_are_accepted_as_pairs(name):
    pairs = dict(stride=(2, 1), padding=(1, 0), dilation=(1, 2), output_padding=(1, 0))
    names = [p for p in pairs if name in takes(p)]
    assert names
    extra = {}
    rng = np.random.default_rng(1)
    if name.endswith("_backward"):  # grad_output takes the shape of the forward output
        forward, kwargs = valid_calls()[name.replace("_backward", "")]
        out = forward(kwargs["x"], kwargs["w"], groups=2, **{p: pairs[p] for p in names})
        extra["grad_output"] = rng.standard_normal(out.shape)
    if name == "col2im":  # and cols has one column per window
        windows = utils.conv_output_size((5, 6), (3, 2), pairs["stride"], pairs["padding"], pairs["dilation"])
        extra["cols"] = rng.standard_normal((2, 12, windows[0] * windows[1]))
    as_tuples = call(name, **{p: pairs[p] for p in names}, **extra)
    as_lists = call(name, **{p: list(pairs[p]) for p in names}, **extra)
    for a, b in zip(outputs(as_tuples), outputs(as_lists)):
        np.testing.assert_array_equal(a, b)


def test_nested_lists_are_accepted_as_arrays():
    x = [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
    np.testing.assert_array_equal(utils.conv2d_loops(x, [[1, 0], [0, 1]]), [[1 + 5, 2 + 6], [4 + 8, 5 + 9]])


def test_nothing_is_printed(capsys):
    for name in ARRAY_FUNCTIONS + sorted(SIZE_FUNCTIONS):
        call(name)
    for bad in (dict(stride=0), dict(padding=-1)):
        with pytest.raises(ValueError):
            call("conv2d", **bad)
    assert capsys.readouterr() == ("", "")
