"""What output_padding adds, stated exactly and checked on hundreds of layers, both cases included.

The rule notebook 04 teaches (step 3): the stamps of a transposed convolution land
on an uncropped canvas of (i - 1)s + d(k - 1) + 1 cells per side; the output is that canvas cropped
to p .. p + o - 1, where o = (i - 1)s - 2p + d(k - 1) + output_padding + 1. So while
output_padding <= p the added rows and columns are canvas cells (computed from the input; with
k >= s and d = 1 every one of them is reached by a stamp), and past p they are exactly zero.
The definition below is written with loops, independently of utils; torch checks it too.
"""

import itertools

import numpy as np
import pytest

import utils


def canvas_of_stamps(y, w, s, d):
    """Every input value stamps its scaled, dilated kernel s cells after the previous one."""
    i, k = y.shape[0], w.shape[0]
    n = (i - 1) * s + d * (k - 1) + 1
    canvas = np.zeros((n, n))
    for a, b, m, c in itertools.product(range(i), range(i), range(k), range(k)):
        canvas[a * s + m * d, b * s + c * d] += y[a, b] * w[m, c]
    return canvas


def by_definition(y, w, s, p, d, op):
    canvas = canvas_of_stamps(y, w, s, d)
    o = (y.shape[0] - 1) * s - 2 * p + d * (w.shape[0] - 1) + op + 1
    out = np.zeros((o, o))
    for r, c in itertools.product(range(o), range(o)):
        if r + p < canvas.shape[0] and c + p < canvas.shape[0]:  # zero past the canvas
            out[r, c] = canvas[r + p, c + p]
    return out


def layers(count=600, seed=3):
    """Random valid (i, k, s, p, d, output_padding), about a fifth with output_padding > p."""
    rng = np.random.default_rng(seed)
    found = []
    while len(found) < count:
        i, k, s, p, d = (int(v) for v in rng.integers([1, 1, 1, 0, 1], [6, 5, 4, 4, 3]))
        op = int(rng.integers(0, max(s, d)))
        if (i - 1) * s - 2 * p + d * (k - 1) + op + 1 >= 1:
            found.append((i, k, s, p, d, op))
    return found


LAYERS = layers()


def test_both_cases_are_well_represented():
    beyond = sum(op > p for *_, p, d, op in LAYERS)
    assert beyond >= 60 and len(LAYERS) - beyond >= 300


def test_output_is_the_canvas_cropped_with_zeros_past_it():
    rng = np.random.default_rng(0)
    for i, k, s, p, d, op in LAYERS:
        y, w = rng.random((i, i)) + 0.5, rng.random((k, k)) + 0.5  # positive: no zero by accident
        out = utils.conv_transpose2d(y[None, None], w[None, None], stride=s, padding=p,
                                     output_padding=op, dilation=d)[0, 0]
        np.testing.assert_allclose(out, by_definition(y, w, s, p, d, op), atol=1e-12,
                                   err_msg=f"i={i} k={k} s={s} p={p} d={d} op={op}")
        o = out.shape[0]
        if op > p:  # the last op - p rows and columns lie past every stamp
            assert not out[o - (op - p):].any() and not out[:, o - (op - p):].any()
        elif op > 0 and k >= s and d == 1:  # added cells inside the canvas, no gaps: computed
            assert (out[o - op:] > 0).all() and (out[:, o - op:] > 0).all()


def test_the_cases_the_notebooks_name():
    ones = np.ones((3, 3))
    # k=3, s=2, p=1, output_padding=1 (04's figure): the extra row is computed
    assert utils.conv_transpose2d_scatter(ones, ones, stride=2, padding=1, output_padding=1)[-1].all()
    # k=2 or 3, s=2, p=0, output_padding=1 and 04's x2 recipe with k=1: the extra row is zero
    for k in (1, 2, 3):
        out = utils.conv_transpose2d_scatter(ones, np.ones((k, k)), stride=2, output_padding=1)
        assert not out[-1].any() and not out[:, -1].any()


def test_the_gradient_rows_output_padding_restores():
    # conv2d's input gradient is a transposed convolution with output_padding = the bottom rows no
    # window reaches; input rows among them (when that is more than p) are never read: zero gradient
    rng = np.random.default_rng(1)
    for i, k, s, p, d, _ in LAYERS[:300]:
        i = i + d * (k - 1)  # so that the kernel fits
        o = utils.conv_output_size(i, k, stride=s, padding=p, dilation=d)
        read = np.zeros(i + 2 * p, dtype=bool)
        for r in range(o):
            read[r * s: r * s + d * (k - 1) + 1: d] = True
        leftover = (i + 2 * p - d * (k - 1) - 1) % s
        assert not read[len(read) - leftover:].any() and read[len(read) - leftover - 1]
        w = rng.random((1, 1, k, k)) + 0.5
        grad_x = utils.conv2d_backward(np.ones((1, 1, i, i)), w, np.ones((1, 1, o, o)), stride=s,
                                       padding=p, dilation=d)[0][0, 0]
        assert np.array_equal(grad_x.any(axis=1), read[p: p + i]), (i, k, s, p, d)


@pytest.mark.torch
def test_torch_agrees_with_the_definition():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    for i, k, s, p, d, op in LAYERS:
        y, w = rng.standard_normal((i, i)), rng.standard_normal((k, k))
        theirs = torch.nn.functional.conv_transpose2d(
            torch.tensor(y[None, None]), torch.tensor(w[None, None]), stride=s, padding=p,
            output_padding=op, dilation=d)[0, 0].numpy()
        np.testing.assert_allclose(theirs, by_definition(y, w, s, p, d, op), atol=1e-10)
