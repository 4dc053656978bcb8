"""Output-size arithmetic: both formulas against brute-force counts and the shapes produced.

Nothing here evaluates the closed-form formulas. A convolution's output size is
counted by sliding the dilated kernel along a padded row; a transposed
convolution's is measured by stamping the dilated kernel at every input
position, cropping p from each side and adding output_padding.
"""

import itertools

import numpy as np
import pytest

import utils

I_VALUES, K_VALUES, P_VALUES, OP_VALUES = range(1, 8), range(1, 5), range(0, 4), range(0, 4)
S_VALUES = D_VALUES = range(1, 4)


def count_windows(i, k, s, p, d):
    """How many placements of a kernel with k taps, d apart, fit in a padded row, moving s at a time."""
    padded = [False] * p + [True] * i + [False] * p
    count = 0
    for start in range(0, len(padded), s):
        taps = [start + tap * d for tap in range(k)]
        if all(t < len(padded) for t in taps):
            count += 1
    return count


def count_transposed(i, k, s, p, d, output_padding):
    """Length of a transposed convolution's output: stamp, crop p per side, extend by output_padding.

    Each of the i inputs stamps k taps, d apart, starting s apart; the stamps
    cover [0, last_tap]. Returns None if nothing would remain.
    """
    covered = {r * s + tap * d for r in range(i) for tap in range(k)}
    canvas = max(covered) + 1
    kept = range(p, canvas + output_padding - p)  # crop p at the top, extend the bottom, crop p
    return len(kept) if len(kept) >= 1 else None


def transposed_allowed(s, d, output_padding):
    return output_padding < s or output_padding < d


def test_the_brute_force_counters_on_hand_worked_cases():
    # 5 inputs, k=3, s=2, p=1: padded row of 7, windows start at 0, 2, 4 -> 3
    assert count_windows(5, 3, 2, 1, 1) == 3
    # dilation 2 spreads 3 taps over 5 pixels: a row of 7 holds 3 of them
    assert count_windows(7, 3, 1, 0, 2) == 3
    # the conv_arithmetic "padding_strides_odd" case: 3 -> 6 with output_padding 1
    assert count_transposed(3, 3, 2, 1, 1, 1) == 6
    assert count_transposed(2, 3, 1, 0, 1, 0) == 4
    assert count_transposed(1, 1, 1, 1, 1, 0) is None


@pytest.mark.parametrize("s, d", list(itertools.product(S_VALUES, D_VALUES)))
def test_conv_output_size_counts_window_positions(s, d):
    checked = 0
    for i, k, p in itertools.product(I_VALUES, K_VALUES, P_VALUES):
        expected = count_windows(i, k, s, p, d)
        if expected == 0:
            with pytest.raises(ValueError, match="must be >= 1"):
                utils.conv_output_size(i, k, s, p, d)
            continue
        assert utils.conv_output_size(i, k, s, p, d) == expected, (i, k, s, p, d)
        assert utils.conv_output_size(i, k, stride=s, padding=p, dilation=d) == expected
        checked += 1
    assert checked > 50  # the grid is not mostly invalid


@pytest.mark.parametrize("s, d", list(itertools.product(S_VALUES, D_VALUES)))
def test_conv_transpose_output_size_measures_stamps(s, d):
    checked = 0
    for i, k, p, op in itertools.product(I_VALUES, K_VALUES, P_VALUES, OP_VALUES):
        args = dict(stride=s, padding=p, dilation=d, output_padding=op)
        if not transposed_allowed(s, d, op):
            with pytest.raises(ValueError, match="output_padding"):
                utils.conv_transpose_output_size(i, k, **args)
            continue
        expected = count_transposed(i, k, s, p, d, op)
        if expected is None:
            with pytest.raises(ValueError, match="must be >= 1"):
                utils.conv_transpose_output_size(i, k, **args)
            continue
        o = utils.conv_transpose_output_size(i, k, **args)
        assert o == expected, (i, k, s, p, d, op)
        # the convolution with the same parameters maps o back onto i positions
        # (output_padding >= s, allowed by a larger dilation, adds op // s more)
        assert count_windows(o, k, s, p, d) == i + op // s
        checked += 1
    assert checked > 50


def test_output_padding_enumerates_every_size_that_convolves_back_to_i():
    # for a stride s, exactly s input sizes give the same conv output; output_padding picks one
    for i, k, s, p, d in itertools.product(I_VALUES, K_VALUES, S_VALUES, P_VALUES, D_VALUES):
        sizes = [n for n in range(1, 40) if count_windows(n, k, s, p, d) == i]
        produced = []
        for op in range(s):
            try:
                produced.append(utils.conv_transpose_output_size(i, k, s, p, d, op))
            except ValueError:
                pass  # the sizes below 1, cropped away by padding
        assert produced == sizes, (i, k, s, p, d)


def _one_axis_config(axis, i, k, s, p, d, op=0):
    """(h, w) pairs where `axis` gets the grid values and the other axis a fixed, different config."""
    other = dict(i=4, k=2, s=1, p=1, d=1, op=0)
    grid = dict(i=i, k=k, s=s, p=p, d=d, op=op)
    pairs = {}
    for name in grid:
        pairs[name] = (grid[name], other[name]) if axis == 0 else (other[name], grid[name])
    return pairs


@pytest.mark.parametrize("axis", [0, 1])
def test_conv_shapes_produced_match_the_count(axis, rng):
    for i, k, s, p, d in itertools.product(I_VALUES, K_VALUES, S_VALUES, P_VALUES, D_VALUES):
        c = _one_axis_config(axis, i, k, s, p, d)
        x = rng.standard_normal(c["i"])
        w = rng.standard_normal(c["k"])
        n = count_windows(i, k, s, p, d)
        if n == 0:
            with pytest.raises(ValueError):
                utils.conv2d(x[None, None], w[None, None], stride=c["s"], padding=c["p"], dilation=c["d"])
            continue
        expected = [n, 5][:: 1 if axis == 0 else -1]  # the fixed axis: 4 + 2 - 2 + 1 = 5 windows
        expected = tuple(expected)
        kw = dict(stride=c["s"], padding=c["p"], dilation=c["d"])
        assert utils.conv_output_size(c["i"], c["k"], **kw) == expected
        assert utils.conv2d_loops(x, w, **kw).shape == expected
        assert utils.conv2d(x[None, None], w[None, None], **kw).shape == (1, 1, *expected)
        assert utils.im2col(x[None, None], c["k"], **kw).shape == (1, w.size, expected[0] * expected[1])
        assert utils.conv_matrix(w, c["i"], **kw).shape == (expected[0] * expected[1], x.size)


@pytest.mark.parametrize("axis", [0, 1])
def test_transposed_shapes_produced_match_the_measure(axis, rng):
    for i, k, s, p, d, op in itertools.product(I_VALUES, K_VALUES, S_VALUES, P_VALUES, D_VALUES,
                                               OP_VALUES):
        if not transposed_allowed(s, d, op):
            continue  # tested above, and in test_errors.py
        c = _one_axis_config(axis, i, k, s, p, d, op)
        y = rng.standard_normal(c["i"])
        w = rng.standard_normal(c["k"])
        kw = dict(stride=c["s"], padding=c["p"], dilation=c["d"], output_padding=c["op"])
        n = count_transposed(i, k, s, p, d, op)
        if n is None:
            with pytest.raises(ValueError):
                utils.conv_transpose2d(y[None, None], w[None, None], **kw)
            continue
        expected = tuple([n, 3][:: 1 if axis == 0 else -1])  # the fixed axis: (4-1) - 2 + 1 + 1 = 3
        assert utils.conv_transpose_output_size(c["i"], c["k"], **kw) == expected
        assert utils.conv_transpose2d(y[None, None], w[None, None], **kw).shape == (1, 1, *expected)
        assert utils.conv_transpose2d_scatter(y, w, **kw).shape == expected
        if i * k <= 12:  # the loop and matrix forms are slower; a corner of the grid is enough
            assert utils.conv_transpose2d_as_conv(y, w, **kw).shape == expected
            assert utils.conv_transpose2d_matrix(y, w, **kw).shape == expected


def test_pairs_are_computed_per_axis():
    # every argument as an (h, w) pair: each axis follows its own parameters
    got = utils.conv_output_size((7, 6), (3, 2), stride=(2, 3), padding=(1, 0), dilation=(2, 1))
    assert got == (count_windows(7, 3, 2, 1, 2), count_windows(6, 2, 3, 0, 1))
    got = utils.conv_transpose_output_size((3, 4), (3, 2), stride=(2, 1), padding=(1, 0),
                                           dilation=(1, 3), output_padding=(1, 2))
    assert got == (count_transposed(3, 3, 2, 1, 1, 1), count_transposed(4, 2, 1, 0, 3, 2))


def test_int_arguments_give_an_int_and_any_pair_gives_a_tuple():
    assert isinstance(utils.conv_output_size(5, 3), int)
    assert isinstance(utils.conv_transpose_output_size(5, 3), int)
    assert utils.conv_output_size(5, 3, padding=(1, 1)) == (5, 5)
    assert utils.conv_output_size((5, 5), 3) == (3, 3)
    assert utils.conv_transpose_output_size(3, (3, 3), stride=2) == (7, 7)
    # an int and the pair (v, v) always agree
    for i, k, s, p, d in [(5, 3, 2, 1, 1), (7, 3, 1, 0, 2), (6, 4, 3, 2, 1)]:
        single = utils.conv_output_size(i, k, s, p, d)
        assert utils.conv_output_size((i, i), (k, k), (s, s), (p, p), (d, d)) == (single, single)
        single = utils.conv_transpose_output_size(i, k, s, p, d, 0)
        assert utils.conv_transpose_output_size((i, i), (k, k), (s, s), (p, p), (d, d), (0, 0)) == (
            single, single)


def test_lists_and_numpy_integers_are_accepted_as_sizes():
    assert utils.conv_output_size([7, 6], [3, 2], stride=[2, 3], padding=[1, 0]) == (
        count_windows(7, 3, 2, 1, 1), count_windows(6, 2, 3, 0, 1))
    assert utils.conv_output_size(np.int64(5), np.int32(3), stride=np.int8(2)) == 2
    assert utils.conv_transpose_output_size([3, 3], 3, stride=[2, 2], padding=1,
                                            output_padding=[1, 0]) == (6, 5)
