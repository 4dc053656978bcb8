"""The gallery's animations show the computation they name: every frame's window, read off the
drawn grid, sums to the drawn output, and that output is torch-like conv2d / conv_transpose2d's."""

import numpy as np
import pytest

import utils
from utils import gallery
from utils.example import example_input, example_kernel


def window_sums(grid, kernel, offset, s, d, o):
    """Slide kernel over grid (NaN read as 0) from (offset, offset): o x o window sums."""
    grid, k = np.nan_to_num(grid), kernel.shape[0]
    span = d * (k - 1) + 1
    return np.array([[np.sum(grid[offset + r * s: offset + r * s + span: d,
                                  offset + c * s: offset + c * s + span: d] * kernel)
                      for c in range(o)] for r in range(o)])


@pytest.mark.parametrize("case", gallery.CASES)
def test_the_convolution_frames_read_the_padded_input(case):
    i, k, s, p, d = gallery.CASES[case][1]
    x, w = example_input(i), example_kernel(k)
    grid, roles = gallery.conv_grid(x, p)
    assert grid.shape == (i + 2 * p,) * 2 and (roles == "padding").sum() == (i + 2 * p) ** 2 - i * i
    expected = utils.conv2d(x[None, None], w[None, None], stride=s, padding=p, dilation=d)[0, 0]
    assert np.array_equal(window_sums(grid, w, 0, s, d, expected.shape[0]), expected)


@pytest.mark.parametrize("case", gallery.CASES)
def test_the_transposed_frames_are_view_3(case):
    i, k, s, p, d, op = gallery.CASES[case][2]
    y, w = example_input(i), example_kernel(k)
    grid, roles, offset = gallery.transposed_grid(y, k, s, p, d, op)
    # the input values sit s apart, with inserted zeros between them and padding around
    values = grid[~np.isnan(grid)]
    assert np.array_equal(np.sort(values), np.sort(y.ravel()))
    assert (roles == "zeros").sum() == ((i - 1) * s + 1) ** 2 - i * i
    expected = utils.conv_transpose2d(y[None, None], w[None, None], stride=s, padding=p,
                                      output_padding=op, dilation=d)[0, 0]
    o = expected.shape[0]
    assert np.array_equal(window_sums(grid, w[::-1, ::-1], offset, 1, d, o), expected)


def test_every_frame_marks_one_output_cell():
    frames = gallery.conv_frames(4, 3, 1, 0, 1)
    assert len(frames) == 4
    for fig in frames:
        outlines = [c for c in fig.axes[0].collections if len(c.get_paths()) == 2]
        assert outlines, "the window and the current output cell are outlined"
