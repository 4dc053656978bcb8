"""utils/sizes.py (notebook 04): output_padding_for, the exact output_padding rule, the layer-shape
solver, its explorer and the exercise checkers, each against an independent formulation.

The rule (04, step 3): the output is the stamps' canvas, (i-1)s + d(k-1) + 1 cells per side,
cropped by p at the start and by p - output_padding at the end. So when output_padding > p the last
output_padding - p rows and columns lie past every stamp and are exactly zero, whatever the input;
when output_padding <= p the last row is canvas row (i-1)s + d(k-1) - (p - output_padding), which a
kernel tap reaches exactly when p - output_padding = a*s + m*d for some a < i, m < k (always when
d = 1 and p < k); a reached row is non-zero for a random input.
"""

import contextlib
import io
import itertools

import numpy as np
import pytest

import utils
from utils import sizes


def printed(function, *args):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        result = function(*args)
    return result, out.getvalue()


def stamps_1d(y, w, s, p, d, op):
    """1-D transposed convolution by its definition: y[a] adds y[a] * w[m] at a*s + m*d, then the
    canvas is read from p on, o cells, with zeros past its end."""
    canvas = {}
    for a, m in itertools.product(range(len(y)), range(len(w))):
        canvas[a * s + m * d] = canvas.get(a * s + m * d, 0.0) + y[a] * w[m]
    o = (len(y) - 1) * s - 2 * p + d * (len(w) - 1) + 1 + op
    return np.array([canvas.get(p + j, 0.0) for j in range(o)])


def stamps_2d(y, w, s, p, d, op):
    """2-D from 1-D: input row a and kernel row m stamp the 1-D layer of y[a] and w[m] onto output
    row a*s + m*d - p (the 1-D layer of two one-hot vectors says where), so sum those outer products."""
    out = 0.0
    for a, m in itertools.product(range(y.shape[0]), range(w.shape[0])):
        rows = stamps_1d(np.eye(y.shape[0])[a], np.eye(w.shape[0])[m], s, p, d, op)
        out = out + np.outer(rows, stamps_1d(y[a], w[m], s, p, d, op))
    return out


def configurations(count, seed, op_beyond_p=None):
    """Random valid (i, k, s, p, d, output_padding), output_padding < max(s, d) as PyTorch allows."""
    rng, found = np.random.default_rng(seed), []
    while len(found) < count:
        i, k, s, p, d = (int(v) for v in rng.integers([1, 1, 1, 0, 1], [6, 6, 4, 4, 3]))
        op = int(rng.integers(0, max(s, d)))
        if (i - 1) * s - 2 * p + d * (k - 1) + 1 + op >= 1 and op_beyond_p in (None, op > p):
            found.append((i, k, s, p, d, op))
    return found


def tap_reaches(i, k, s, d, j):
    return j >= 0 and any(a * s + m * d == j for a in range(i) for m in range(k))


# --- output_padding_for ------------------------------------------------------------------------

def test_output_padding_for_is_the_only_output_padding_below_s_that_gives_the_size():
    for i, k, s, p, d in itertools.product(range(1, 5), range(1, 5), range(1, 4), range(3), range(1, 3)):
        y, w = np.ones((i, i)), np.ones((k, k))
        sizes_by_op = {}
        for op in range(s):
            if (i - 1) * s - 2 * p + d * (k - 1) + 1 + op >= 1:
                out = utils.conv_transpose2d_matrix(y, w, stride=s, padding=p, output_padding=op, dilation=d)
                sizes_by_op[out.shape[0]] = op
        for target in range(1, 20):
            if target in sizes_by_op:
                assert sizes.output_padding_for(target, i, k, s, p, d) == sizes_by_op[target]
            else:
                with pytest.raises(ValueError, match="unreachable"):
                    sizes.output_padding_for(target, i, k, s, p, d)


def test_output_padding_for_pairs_gives_one_per_side():
    assert sizes.output_padding_for((14, 11), (7, 6), 3, 2, 1) == (1, 0)
    assert sizes.output_padding_for([12, 12], 4, 3, stride=(3, 3), padding=1) == (2, 2)


@pytest.mark.parametrize("bad, name", [(dict(target=0), "target"), (dict(i=0), "i"), (dict(k=1.5), "k"),
                                       (dict(stride=0), "stride"), (dict(padding=-1), "padding"),
                                       (dict(dilation=True), "dilation"), (dict(i=(1, 2, 3)), "i")])
def test_output_padding_for_names_a_bad_argument(bad, name):
    args = dict(target=5, i=3, k=3, stride=2, padding=1, dilation=1) | bad
    with pytest.raises(ValueError, match=f"^{name} must"):
        sizes.output_padding_for(**args)


@pytest.mark.torch
def test_output_padding_for_picks_what_torch_forward_output_size_picks():
    torch = pytest.importorskip("torch")
    for i, k, s, p, d in itertools.product(range(1, 4), range(1, 4), range(1, 4), range(2), range(1, 3)):
        layer = torch.nn.ConvTranspose2d(1, 1, k, stride=s, padding=p, dilation=d, bias=False)
        x = torch.ones(1, 1, i, i)
        for target in range(1, 14):
            try:
                op = sizes.output_padding_for(target, i, k, s, p, d)
            except ValueError:
                with pytest.raises((ValueError, RuntimeError)):
                    layer(x, output_size=[target, target])
                continue
            assert layer(x, output_size=[target, target]).shape[-1] == target
            assert (i - 1) * s - 2 * p + d * (k - 1) + 1 + op == target


# --- the exact output_padding rule -------------------------------------------------------------

def test_the_definition_agrees_with_utils():
    rng = np.random.default_rng(1)
    for i, k, s, p, d, op in configurations(150, seed=1):
        y, w = rng.standard_normal((i, i)), rng.standard_normal((k, k))
        mine = stamps_2d(y, w, s, p, d, op)
        assert np.allclose(mine, utils.conv_transpose2d(y[None, None], w[None, None], stride=s, padding=p,
                                                        output_padding=op, dilation=d)[0, 0])


def test_output_padding_beyond_padding_adds_exact_zeros_for_every_input():
    layers = configurations(300, seed=2, op_beyond_p=True)
    rng = np.random.default_rng(2)
    for i, k, s, p, d, op in layers:
        y, w = rng.standard_normal((i, i)), rng.standard_normal((k, k))
        out = utils.conv_transpose2d_as_conv(y, w, stride=s, padding=p, output_padding=op, dilation=d)
        assert not out[-(op - p):].any() and not out[:, -(op - p):].any()
        assert np.all(stamps_1d(np.ones(i), np.ones(k), s, p, d, op)[-(op - p):] == 0)  # any input: no tap


def test_output_padding_up_to_padding_keeps_a_canvas_row_computed_from_the_input():
    layers = configurations(400, seed=3, op_beyond_p=False)
    rng = np.random.default_rng(3)
    reached = 0
    for i, k, s, p, d, op in layers:
        y, w = rng.standard_normal((i, i)), rng.standard_normal((k, k))
        out = utils.conv_transpose2d_as_conv(y, w, stride=s, padding=p, output_padding=op, dilation=d)
        reach = tap_reaches(i, k, s, d, p - op)
        assert bool(out[-1].any()) == reach and bool(out[:, -1].any()) == reach
        full = stamps_2d(y, w, s, 0, d, 0)  # the uncropped canvas
        row = (i - 1) * s + d * (k - 1) - (p - op)
        assert np.allclose(out[-1], full[row, p: p + out.shape[1]])
        if d == 1 and p < k:
            assert reach
        reached += reach
    assert reached >= 200


@pytest.mark.torch
def test_the_rule_holds_in_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    both = configurations(150, seed=4, op_beyond_p=True) + configurations(150, seed=5, op_beyond_p=False)
    for i, k, s, p, d, op in both:
        y, w = rng.standard_normal((1, 1, i, i)), rng.standard_normal((1, 1, k, k))
        out = torch.nn.functional.conv_transpose2d(torch.from_numpy(y), torch.from_numpy(w), stride=s,
                                                   padding=p, output_padding=op, dilation=d)[0, 0].numpy()
        assert out.shape[0] == (i - 1) * s - 2 * p + d * (k - 1) + 1 + op
        zero = op > p or not tap_reaches(i, k, s, d, p - op)
        assert (not out[-1].any()) == zero
        assert np.allclose(out, stamps_2d(y[0, 0], w[0, 0], s, p, d, op))


def test_output_padding_from_s_on_no_longer_convolves_back_to_i():
    for i, k, s, p, d in itertools.product(range(1, 5), range(2, 5), range(1, 3), range(2), range(2, 4)):
        for op in range(max(s, d)):
            o = (i - 1) * s - 2 * p + d * (k - 1) + 1 + op
            if o >= d * (k - 1) + 1 - 2 * p and o >= 1:
                assert (utils.conv_output_size(o, k, s, p, d) == i) == (op < s)


# --- the layer-shape solver --------------------------------------------------------------------

def uneven(k, s, d):
    """Brute force: do the stamps of a long input cover the middle cells unequally often?"""
    count = np.zeros(40 * s + d * k)
    for a, m in itertools.product(range(40), range(k)):
        count[a * s + m * d] += 1
    middle = count[d * k + s: 40 * s - s]
    return middle.min() != middle.max()


@pytest.mark.parametrize("i, o", [(7, 14), (14, 28), (1, 1), (4, 4), (5, 11), (16, 64), (3, 2), (2, 9)])
def test_the_solver_finds_exactly_the_layers_that_map_i_to_o(i, o):
    found = sizes.solve_conv_transpose(i, o)
    brute = set()
    for k, s, p, op, d in itertools.product(range(1, 8), range(1, 5), range(7), range(4), (1, 2)):
        if op < s and p <= d * (k - 1) and (d == 1 or k > 1) and o >= 1:
            if (i - 1) * s - 2 * p + d * (k - 1) + 1 + op == o:
                brute.add((k, s, p, op, d))
    assert set(found) == brute and len(found) == len(brute)
    for layer in found:
        k, s, p, op, d = layer
        assert utils.conv_transpose_output_size(i, k, s, p, d, op) == o
        assert utils.conv_output_size(o, k, s, p, d) == i  # the Conv2d undoes it in shape
        assert layer.checkerboard_free == (not uneven(k, s, d))
        assert f"kernel_size={k}, stride={s}, padding={p}" in layer.conv_transpose2d()
        assert layer.conv2d().startswith("nn.Conv2d(C_out, C_in, kernel_size=")
    flags = [layer.checkerboard_free for layer in found]
    assert flags == sorted(flags, reverse=True)  # checkerboard-free first


@pytest.mark.torch
def test_solver_layers_have_the_size_in_torch():
    torch = pytest.importorskip("torch")
    for layer in sizes.solve_conv_transpose(7, 14):
        k, s, p, op, d = layer
        up = torch.nn.ConvTranspose2d(2, 3, k, stride=s, padding=p, output_padding=op, dilation=d)
        down = torch.nn.Conv2d(3, 2, k, stride=s, padding=p, dilation=d)
        y = up(torch.ones(1, 2, 7, 7))
        assert y.shape[-2:] == (14, 14) and down(y).shape[-2:] == (7, 7)


@pytest.mark.parametrize("bad, name", [(dict(input_size=0), "input_size"), (dict(output_size="9"), "output_size"),
                                       (dict(kernel_sizes=3), "kernel_sizes"), (dict(strides=[0, 1]), "strides"),
                                       (dict(paddings=[-1]), "paddings"), (dict(dilations=[1.0]), "dilations")])
def test_the_solver_names_a_bad_argument(bad, name):
    args = dict(input_size=7, output_size=14) | bad
    with pytest.raises(ValueError, match=f"^{name} must"):
        sizes.solve_conv_transpose(args.pop("input_size"), args.pop("output_size"), **args)


def test_render_solver_draws_every_slider_combination_or_says_why_not():
    from matplotlib.figure import Figure
    drawn = 0
    for i, o, show in itertools.product(range(1, 17, 3), range(1, 65, 3), sizes.SOLVER_RANGES["show"]):
        result = sizes.render_solver(input_size=i, output_size=o, show=show)
        layers = [x for x in sizes.solve_conv_transpose(i, o) if show == "all" or x.checkerboard_free]
        assert isinstance(result, Figure) == bool(layers)
        if isinstance(result, str):
            assert "\n" not in result and f"turns {i} into {o}" in result
        else:
            assert f"{len(layers)} ConvTranspose2d layers" in result._suptitle.get_text()
            drawn += 1
    assert drawn > 100
    assert "input_size must be" in sizes.render_solver(input_size=17, output_size=5)
    assert "show must be" in sizes.render_solver(input_size=7, output_size=14, show="some")


# --- the exercise checkers ---------------------------------------------------------------------

def test_check_output_padding():
    o_without = (4 - 1) * 3 - 2 * 1 + 3  # Conv2d(k=3, s=3, p=1) maps 12 to 4; back without output_padding
    assert utils.conv_output_size(12, 3, 3, 1) == 4
    assert printed(sizes.check_output_padding, 12 - o_without) == (True, "Correct!\n")
    assert printed(sizes.check_output_padding, 12 - o_without + 1)[0] is False


def test_check_zero_rows():
    out = stamps_2d(np.ones((4, 4)), np.ones((5, 5)), 3, 1, 1, 2)
    zero_rows = int(np.sum(~out.any(axis=1)))
    assert zero_rows == 2 - 1  # op - p rows, by the rule
    assert printed(sizes.check_zero_rows, zero_rows)[0] is True
    assert printed(sizes.check_zero_rows, 0)[0] is False


def test_check_layer_solver_accepts_a_right_solver_and_names_the_failing_case():
    def right(i, o, max_kernel):
        return [(k, s, p, op) for k in range(1, max_kernel + 1) for s in range(1, 5) for p in range(k)
                for op in range(s) if (i - 1) * s - 2 * p + k + op == o]

    def no_limit_on_output_padding(i, o, max_kernel):
        return [(k, s, p, op) for k in range(1, max_kernel + 1) for s in range(1, 5) for p in range(k)
                for op in range(4) if (i - 1) * s - 2 * p + k + op == o]

    assert printed(sizes.check_layer_solver, right)[0] is True
    assert printed(sizes.check_layer_solver, lambda i, o, max_kernel: reversed(right(i, o, max_kernel)))[0] is True
    result, text = printed(sizes.check_layer_solver, no_limit_on_output_padding)
    assert result is False and "for (i=" in text and "Hint" in text


def test_output_padding_question_explains_every_option():
    from utils import exercises
    options = sizes.OUTPUT_PADDING_OPTIONS
    assert exercises.explain_choice(options, sizes.CANVAS_ROW, sizes.CANVAS_ROW).startswith("Right.")
    for option in options:
        if option != sizes.CANVAS_ROW:
            assert exercises.explain_choice(options, sizes.CANVAS_ROW, option).startswith("Not quite.")
    # the right option's claim, for the question's layer: the extra row is canvas row 6 of 0..6, which the crop of p = 1 removes without output_padding
    y, w = np.random.default_rng(6).standard_normal((2, 3, 3))
    with_op = stamps_2d(y, w, 2, 1, 1, 1)
    assert with_op.shape == (6, 6) and np.allclose(with_op[-1], stamps_2d(y, w, 2, 0, 1, 0)[6, 1:7])
