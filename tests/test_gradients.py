"""utils.gradients: the read-rows explorer, the figures and the exercise checkers of notebook 06."""

import itertools

import numpy as np
import pytest

import utils
from utils import gradients
from utils.draw import to_png


def read_rows(i, k, s, p, d):
    """Which padded rows some window reads, straight from the windows' positions."""
    o = utils.conv_output_size(i, k, stride=s, padding=p, dilation=d)
    read = np.zeros(i + 2 * p, dtype=bool)
    for r in range(o):
        read[r * s: r * s + d * (k - 1) + 1: d] = True
    return read


def test_the_rows_past_the_last_window_are_the_output_padding_of_the_gradient():
    """The rule the explorer and notebook 06 state, over every configuration of the sliders."""
    checked = 0
    for i, k, s, p, d in itertools.product(range(1, 13), range(1, 6), range(1, 5), range(4), range(1, 4)):
        if i + 2 * p < d * (k - 1) + 1:
            continue
        read = read_rows(i, k, s, p, d)
        leftover = (i + 2 * p - d * (k - 1) - 1) % s
        last = len(read) - leftover - 1  # the last row the last window reads
        assert read[last] and not read[last + 1:].any()
        w = np.ones((1, 1, 1, k))
        o = utils.conv_output_size(i, k, stride=s, padding=p, dilation=d)
        grad_x = utils.conv2d_backward(np.ones((1, 1, 1, i)), w, np.ones((1, 1, 1, o)), stride=(1, s),
                                       padding=(0, p), dilation=(1, d))[0].ravel()
        np.testing.assert_array_equal(grad_x != 0, read[p:p + i])  # zero gradient = never read
        same = utils.conv_transpose2d(np.ones((1, 1, 1, o)), w, stride=(1, s), padding=(0, p),
                                      output_padding=(0, leftover), dilation=(1, d))
        np.testing.assert_array_equal(same.ravel(), grad_x)  # the transposed convolution gives it
        checked += 1
    assert checked > 2000


def test_render_read_rows_sweeps_the_sliders():
    for i, k, s, p, d in itertools.product((1, 6, 12), (1, 3, 5), (1, 2, 4), (0, 3), (1, 3)):
        result = gradients.render_read_rows(i=i, k=k, s=s, p=p, d=d)
        leftover = (i + 2 * p - d * (k - 1) - 1) % s
        if i + 2 * p < d * (k - 1) + 1 or leftover >= i:  # no window fits, or no row is left
            assert isinstance(result, str) and "\n" not in result
        else:
            assert not isinstance(result, str)
    assert "must be" in gradients.render_read_rows(i=13, k=3, s=2, p=1, d=1)


def test_render_read_rows_draws_the_largest_settings():
    assert len(to_png(gradients.render_read_rows(i=12, k=1, s=1, p=3, d=1))) > 1000


def test_explorer_builds():
    pytest.importorskip("ipywidgets")
    assert gradients.read_rows_explorer().children


def test_figures_make_figures():
    assert set(gradients.FIGURES) == {"06_gradient.png", "06_read_rows.png"}
    for name, make in gradients.FIGURES.items():
        assert len(to_png(make(), dpi=30)) > 1000, name


def test_check_tiny_gradient(capsys):
    expected = [[1, 2, 0], [3, 6, 4], [0, 6, 8]]  # 1*w at the top left + 2*w at the bottom right
    assert gradients.check_tiny_gradient(expected) is True
    assert gradients.check_tiny_gradient(np.array(expected)[::-1, ::-1]) is False
    assert gradients.check_tiny_gradient([[1, 2], [3, 4]]) is False
    assert "6" not in capsys.readouterr().out.split("Hint")[-1]


def test_check_gradient_output_padding(capsys):
    assert gradients.check_gradient_output_padding(2) is True
    assert gradients.check_gradient_output_padding(1) is False
    # 7 rows, k=4, s=3, p=1: windows at padded rows 0-3 and 3-6, so rows 7 and 8 are past them
    assert read_rows(7, 4, 3, 1, 1).tolist() == [True] * 7 + [False] * 2
    assert "2" not in capsys.readouterr().out


def test_check_input_gradient_accepts_a_stamp_and_crop_and_rejects_a_missing_crop(capsys):
    def stamp_and_crop(grad_o, w, i, stride, padding):
        padded = np.zeros(i + 2 * padding)
        for r, g in enumerate(grad_o):
            padded[r * stride: r * stride + len(w)] += g * w
        return padded[padding: padding + i]

    assert gradients.check_input_gradient(stamp_and_crop) is True

    def crops_only_the_top(grad_o, w, i, stride, padding):
        return stamp_and_crop(grad_o, w, i + padding, stride, 0)[padding:]

    assert gradients.check_input_gradient(crops_only_the_top) is False
    assert gradients.check_input_gradient(lambda grad_o, w, i, stride, padding: None) is None
    assert "Hint:" in capsys.readouterr().out


def test_gradient_question_has_one_right_option_and_explains_every_other():
    box = gradients.gradient_question()
    buttons, answer = box.children[1], box.children[2]
    verdicts = []
    for option in gradients.GRADIENT_OPTIONS:
        buttons.value = option
        verdicts.append(answer.value.split()[0])
        assert len(answer.value.split()) > 8  # an explanation, not just a verdict
    assert verdicts == ["Not", "Right.", "Not", "Not"]
    # the claims, checked: padded row 11 is unread padding, row 10 (the input's last) is read,
    # and without output_padding the gradient is 9 rows
    read = read_rows(10, 3, 2, 1, 1)
    assert not read[11] and read[10]
    assert utils.conv_transpose_output_size(5, 3, stride=2, padding=1) == 9
