"""utils.gradients: the read-rows explorer, the figures and the exercise checkers of notebook 06."""

import itertools
import json
from pathlib import Path

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
    assert gradients.render_read_rows().get_size_inches()[0] * 80 >= 500  # legible in the explorer
    for name, make in gradients.FIGURES.items():
        assert len(to_png(make(), dpi=30)) > 1000, name


def test_check_tiny_gradient(capsys):
    expected = [[1, 2, 0], [3, 6, 4], [0, 6, 8]]  # 1*w at the top left + 2*w at the bottom right
    assert gradients.check_tiny_gradient(expected) is True
    assert gradients.check_tiny_gradient(np.array(expected)[::-1, ::-1]) is False
    assert gradients.check_tiny_gradient([[1, 2], [3, 4]]) is False
    assert "6" not in capsys.readouterr().out.split("Hint")[-1]


def test_check_unread_pixels(capsys):
    assert gradients.check_unread_pixels(56) is True
    assert gradients.check_unread_pixels(81 - 9 ** 2) is False
    assert gradients.check_unread_pixels(81 - 6 ** 2) is False  # counting padded rows 0 and 10 as input
    # 9 rows, k=2, s=4, p=1: windows read padded rows 0-1, 4-5, 8-9, so input rows 1, 4, 5, 8, 9
    read = read_rows(9, 2, 4, 1, 1)
    assert np.flatnonzero(read[1:10]).tolist() == [0, 3, 4, 7, 8] and 81 - read[1:10].sum() ** 2 == 56
    # a pixel is read exactly when its row and its column are: the 2-D gradient of ones says so
    o = utils.conv_output_size(9, 2, stride=4, padding=1)
    grad_x = utils.conv2d_backward(np.ones((1, 1, 9, 9)), np.ones((1, 1, 2, 2)), np.ones((1, 1, o, o)),
                                   stride=4, padding=1)[0][0, 0]
    assert np.sum(grad_x == 0) == 56
    assert "56" not in capsys.readouterr().out


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
    # the claims, checked: k=2, s=3 on 7 rows reads rows 0-1 and 3-4 only; without output_padding
    # the transposed convolution gives 5 rows, with output_padding=2 seven, and rows 2, 5, 6 are zero
    assert np.flatnonzero(~read_rows(7, 2, 3, 0, 1)).tolist() == [2, 5, 6]
    assert utils.conv_output_size(7, 2, stride=3) == 2
    assert utils.conv_transpose_output_size(2, 2, stride=3) == 5
    w = np.ones((1, 1, 2, 1)) + np.arange(2).reshape(1, 1, 2, 1)
    grad_x = utils.conv_transpose2d(np.ones((1, 1, 2, 1)), w, stride=(3, 1), output_padding=(2, 0)).ravel()
    assert grad_x.shape == (7,) and np.flatnonzero(grad_x == 0).tolist() == [2, 5, 6]


# --- the transposed convolution's backward pass, as notebook 06 writes it --------------------------

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "06_gradients_of_convolution.ipynb"


def notebook_functions():
    """conv2d_backward and conv_transpose2d_backward, run from the notebook's own cells."""
    cells = {c["id"]: "".join(c["source"]) for c in json.loads(NOTEBOOK.read_text())["cells"]}
    namespace = {"np": np, "utils": utils}
    for cell_id in ("d1a1c926", "31f68087"):
        exec(cells[cell_id], namespace)
    return namespace["conv2d_backward"], namespace["conv_transpose2d_backward"]


def transposed_layers(count, seed):
    """Random (x, w, grad_o, s, p, d, op), every output_padding torch allows, d > s and op >= s included."""
    rng = np.random.default_rng(seed)
    layers = []
    while len(layers) < count:
        s, d, k, p, i = (int(v) for v in rng.integers([1, 1, 1, 0, 1], [4, 4, 4, 3, 6]))
        op = int(rng.integers(0, max(s, d)))  # torch: output_padding < stride or < dilation
        if (i - 1) * s - 2 * p + d * (k - 1) + 1 + op < 1:  # nothing left after cropping p
            continue
        x, w = rng.standard_normal((2, 2, i, i + 1)), rng.standard_normal((2, 3, k, k))
        out = utils.conv_transpose2d(x, w, stride=s, padding=p, output_padding=op, dilation=d)
        layers.append((x, w, rng.standard_normal(out.shape), s, p, d, op))
    return layers


def test_notebook_conv_transpose2d_backward_matches_utils_including_output_padding_at_least_stride():
    _, conv_transpose2d_backward = notebook_functions()
    cropped = 0
    for x, w, grad_o, s, p, d, op in transposed_layers(600, seed=1):
        mine = conv_transpose2d_backward(x, w, grad_o, stride=s, padding=p, dilation=d)
        reference = utils.conv_transpose2d_backward(x, w, grad_o, stride=s, padding=p, output_padding=op,
                                                    dilation=d)
        for m, r in zip(mine, reference):
            assert m.shape == r.shape and np.allclose(m, r), (s, p, d, op)
        # the claim of the notebook: conv2d gives i + op // s rows, cropped to x's
        rows = utils.conv2d(grad_o, w, stride=s, padding=p, dilation=d).shape[2]
        assert rows == x.shape[2] + op // s
        cropped += op >= s
    assert cropped > 50


def test_notebook_conv_transpose2d_backward_matches_finite_differences():
    _, conv_transpose2d_backward = notebook_functions()
    for x, w, grad_o, s, p, d, op in transposed_layers(40, seed=2):
        def loss(x, w):  # linear in each array: central differences are exact up to round-off
            return np.sum(utils.conv_transpose2d(x, w, stride=s, padding=p, output_padding=op,
                                                 dilation=d) * grad_o)

        grad_x, grad_w, _ = conv_transpose2d_backward(x, w, grad_o, stride=s, padding=p, dilation=d)
        for which, analytic in ((0, grad_x), (1, grad_w)):
            arrays, numeric = [x, w], np.zeros_like(analytic)
            for index in np.ndindex(analytic.shape):
                plus, minus = [a.copy() for a in arrays], [a.copy() for a in arrays]
                plus[which][index] += 1e-4
                minus[which][index] -= 1e-4
                numeric[index] = (loss(*plus) - loss(*minus)) / 2e-4
            assert np.allclose(numeric, analytic, atol=1e-8), (s, p, d, op, which)


def test_notebook_backward_passes_match_torch():
    torch = pytest.importorskip("torch")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny tensors: threads only cost time on a busy machine
    try:
        check_against_torch(torch, *notebook_functions())
    finally:
        torch.set_num_threads(threads)


def check_against_torch(torch, conv2d_backward, conv_transpose2d_backward):
    for x, w, grad_o, s, p, d, op in transposed_layers(300, seed=3):
        tx, tw = (torch.tensor(a, requires_grad=True) for a in (x, w))
        out = torch.nn.functional.conv_transpose2d(tx, tw, stride=s, padding=p, output_padding=op, dilation=d)
        out.backward(torch.tensor(grad_o))
        mine = conv_transpose2d_backward(x, w, grad_o, stride=s, padding=p, dilation=d)
        assert np.allclose(mine[0], tx.grad.numpy()) and np.allclose(mine[1], tw.grad.numpy()), (s, p, d, op)
        # and the convolution the transposed one is the adjoint of: input of out's shape, the same w,
        # read as (C_out, C_in, kH, kW) of that convolution
        cw = w
        cx = torch.tensor(grad_o, requires_grad=True)
        tcw = torch.tensor(cw, requires_grad=True)
        co = torch.nn.functional.conv2d(cx, tcw, stride=s, padding=p, dilation=d)
        g = np.random.default_rng(0).standard_normal(tuple(co.shape))
        co.backward(torch.tensor(g))
        mine = conv2d_backward(grad_o, cw, g, stride=s, padding=p, dilation=d)
        assert np.allclose(mine[0], cx.grad.numpy()) and np.allclose(mine[1], tcw.grad.numpy()), (s, p, d)


def test_weight_gradient_is_a_correlation_with_stride_and_dilation_swapped():
    rng = np.random.default_rng(5)
    checked = 0
    for i, k, s, p, d in itertools.product(range(1, 9), range(1, 4), range(1, 4), range(3), range(1, 4)):
        if i + 2 * p < d * (k - 1) + 1:
            continue
        x, w = rng.standard_normal((i, i)), rng.standard_normal((k, k))
        o = utils.conv_output_size(i, k, stride=s, padding=p, dilation=d)
        grad_o = rng.standard_normal((o, o))
        grad_w = utils.conv2d_backward(x[None, None], w[None, None], grad_o[None, None], stride=s,
                                       padding=p, dilation=d)[1][0, 0]
        corr = utils.conv2d(np.pad(x, p)[None, None], grad_o[None, None], stride=d, dilation=s)[0, 0]
        leftover = (i + 2 * p - d * (k - 1) - 1) % s
        assert corr.shape == (k + leftover // d,) * 2
        assert np.allclose(corr[:k, :k], grad_w)
        checked += 1
    assert checked > 400
