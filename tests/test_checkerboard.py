"""Tests for utils.checkerboard (notebook 07): overlap maps, the fixes, learned upsampling."""

import itertools

import numpy as np
import pytest
from matplotlib.figure import Figure

import utils
from utils import checkerboard as cb


# ---------------------------------------------------------------------------
# The explorer's render function
# ---------------------------------------------------------------------------

def _is_figure_or_one_line(result):
    return isinstance(result, Figure) or (isinstance(result, str) and "\n" not in result
                                          and len(result) > 0)


def test_render_overlap_sweeps_the_whole_slider_grid():
    explorer = cb.overlap_explorer()  # the grid is read from the real controls
    controls = {c.description: c for c in explorer.children[0].children}
    k, s, layers = controls["kernel size k"], controls["stride s"], controls["stacked layers"]
    dims = [c for c in explorer.children[0].children if hasattr(c, "options")][0]
    grid = itertools.product(range(k.min, k.max + 1), range(s.min, s.max + 1),
                             range(layers.min, layers.max + 1), [v for _, v in dims.options])
    count = 0
    for values in grid:
        result = cb.render_overlap(**dict(zip(("k", "s", "layers", "dims"), values)))
        assert _is_figure_or_one_line(result), values
        count += 1
    assert count == 8 * 4 * 3 * 2


@pytest.mark.parametrize("bad", [dict(k=0), dict(s=0), dict(layers=4), dict(layers=0),
                                 dict(dims=3)])
def test_render_overlap_explains_invalid_values_in_one_line(bad):
    result = cb.render_overlap(**bad)
    assert isinstance(result, str) and "\n" not in result


# ---------------------------------------------------------------------------
# Overlap maps: an independent count of kernel stamps
# ---------------------------------------------------------------------------

def _stamp_count_1d(values, k, s):
    """Scatter: input cell n adds values[n] to output cells n*s ... n*s + k - 1."""
    out = np.zeros((len(values) - 1) * s + k)
    for n, v in enumerate(values):
        out[n * s: n * s + k] += v
    return out


def _stamp_count_2d(values, k, s):
    H, W = values.shape
    out = np.zeros(((H - 1) * s + k, (W - 1) * s + k))
    for r in range(H):
        for c in range(W):
            out[r * s: r * s + k, c * s: c * s + k] += values[r, c]
    return out


@pytest.mark.parametrize("i,k,s", [(1, 1, 1), (5, 3, 2), (5, 4, 2), (4, 2, 3), (6, 5, 3),
                                   (3, 7, 4), (7, 1, 2)])
@pytest.mark.parametrize("layers", [1, 2, 3])
def test_overlap_map_equals_an_independent_stamp_count(i, k, s, layers):
    one_d, two_d = np.ones(i), np.ones((i, i))
    for _ in range(layers):
        one_d, two_d = _stamp_count_1d(one_d, k, s), _stamp_count_2d(two_d, k, s)
    np.testing.assert_array_equal(cb.overlap_map(i, k, s, layers, dims=1), one_d)
    np.testing.assert_array_equal(cb.overlap_map(i, k, s, layers, dims=2), two_d)


def test_overlap_map_is_c_transpose_times_ones():
    for i, k, s in [(4, 3, 2), (3, 4, 2), (4, 5, 3)]:
        o = (i - 1) * s + k
        C = utils.conv_matrix(np.ones((k, k)), (o, o), stride=s)  # conv: (o, o) -> (i, i)
        np.testing.assert_allclose((C.T @ np.ones(i * i)).reshape(o, o), cb.overlap_map(i, k, s))


@pytest.mark.parametrize("k,s,layers", [(3, 2, 1), (3, 2, 3), (5, 3, 2), (2, 3, 1), (6, 2, 3)])
def test_interior_has_full_stamps_and_repeats_with_period_s_to_the_layers(k, s, layers):
    # the interior of a small input equals the middle of a much larger one
    period = s ** layers
    small = cb.interior_map(k, s, layers, dims=1, cells=period)
    big = cb.overlap_map(40, k, s, layers, dims=1)
    start = cb.interior_margin(k, s, layers)
    assert len(small) >= period
    np.testing.assert_array_equal(small[:period], big[start: start + period])
    np.testing.assert_array_equal(big[start + period: start + 2 * period],
                                  big[start: start + period])


def test_flat_gradient_of_a_strided_conv_paints_the_overlap_map():
    # the input gradient of a conv is C.T @ g: for a flat g and a kernel of ones, the stamp counts
    for i, k, s in [(4, 3, 2), (5, 4, 2), (3, 5, 3)]:
        o = (i - 1) * s + k
        grad_x = utils.conv2d_backward(np.zeros((1, 1, o, o)), np.ones((1, 1, k, k)),
                                       np.ones((1, 1, i, i)), stride=s)[0][0, 0]
        np.testing.assert_array_equal(grad_x, cb.overlap_map(i, k, s))


def test_interior_ratios():
    assert cb.interior_ratio(3, 2, 1, dims=1) == 2
    assert cb.interior_ratio(3, 2, 1, dims=2) == 4
    assert cb.interior_ratio(4, 2, 3, dims=2) == 1
    assert cb.interior_ratio(3, 2, 2, dims=2) == 9
    assert cb.interior_ratio(2, 3) == float("inf")
    for k in range(1, 9):
        for s in range(1, 5):
            assert (cb.interior_ratio(k, s) == 1) == (k % s == 0), (k, s)


# ---------------------------------------------------------------------------
# The fixes
# ---------------------------------------------------------------------------

def _bilinear_reference(x, f):
    """Independent bilinear resize (align_corners=False, edges clamped), by explicit weights."""
    H, W = x.shape

    def weights(n):
        out = np.zeros((f * n, n))
        for j in range(f * n):
            pos = min(max((j + 0.5) / f - 0.5, 0), n - 1)
            left = int(np.floor(pos))
            right = min(left + 1, n - 1)
            out[j, left] += 1 - (pos - left)
            out[j, right] += pos - left
        return out

    return weights(H) @ x @ weights(W).T


def _bilinear_transposed(x, factor=2):
    return utils.conv_transpose2d(x[None, None], cb.bilinear_kernel(factor)[None, None], stride=factor,
                                  padding=(factor - factor % 2) // 2)[0, 0]


@pytest.mark.parametrize("factor", [2, 3, 4])
def test_bilinear_transposed_conv_is_bilinear_interpolation_away_from_the_border(factor):
    rng = np.random.default_rng(factor)
    x = rng.uniform(0.2, 1, size=(7, 9))
    reference = _bilinear_reference(x, factor)
    transposed = _bilinear_transposed(x, factor)
    assert transposed.shape == reference.shape == (7 * factor, 9 * factor)
    np.testing.assert_allclose(cb.upsample_bilinear(x, factor), reference, atol=1e-12)
    b = factor  # border width where zero padding enters
    np.testing.assert_allclose(transposed[b:-b, b:-b], reference[b:-b, b:-b], atol=1e-12)
    assert np.all(transposed[0] < reference[0])  # zeros outside the input: darker


def test_bilinear_border_for_factor_2_is_exactly_one_pixel_wide():
    x = np.random.default_rng(1).uniform(0.2, 1, size=(6, 6))
    diff = np.abs(_bilinear_transposed(x) - cb.upsample_bilinear(x))
    assert diff[1:-1, 1:-1].max() < 1e-12 and diff[0].min() > 0
    flat = _bilinear_transposed(np.ones((4, 4)))
    assert flat[0, 0] == pytest.approx(9 / 16) and flat[0, 3] == pytest.approx(3 / 4)


@pytest.mark.torch
def test_bilinear_matches_torch_interpolate():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(2).uniform(size=(5, 8))
    expected = torch.nn.functional.interpolate(torch.from_numpy(x)[None, None], scale_factor=2,
                                               mode="bilinear", align_corners=False)[0, 0]
    np.testing.assert_allclose(cb.upsample_bilinear(x), expected.numpy(), atol=1e-12)


def test_fixes_are_even_on_a_flat_input_and_k3_is_not():
    outputs = cb.fix_outputs(np.ones((8, 8)))
    ratios = [cb.max_min_ratio(out[3:-3, 3:-3]) for out in outputs.values()]
    assert ratios[0] == pytest.approx(4)
    assert ratios[1:] == pytest.approx([1, 1, 1, 1])
    assert all(out.shape == (16, 16) for out in outputs.values())


@pytest.mark.torch
def test_pixel_shuffle_matches_torch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(3).normal(size=(2, 12, 3, 5))
    for r in (1, 2):
        expected = torch.nn.functional.pixel_shuffle(torch.from_numpy(x[:, :4 * r * r]), r).numpy()
        np.testing.assert_array_equal(cb.pixel_shuffle(x[:, :4 * r * r], r), expected)


def test_icnr_sub_pixel_conv_is_nearest_upsampling_of_one_conv():
    rng = np.random.default_rng(4)
    x, w = rng.normal(size=(1, 1, 6, 7)), rng.normal(size=(3, 3))
    sub_pixel = cb.pixel_shuffle(utils.conv2d(x, cb.icnr(w), padding=1))
    np.testing.assert_allclose(sub_pixel, cb.upsample_nearest(utils.conv2d(x, w[None, None], padding=1)))
    theta = cb.initial_parameters("sub-pixel", 0)
    flat = cb.sub_pixel_conv(np.ones((1, 1, 8, 8)), theta)[0, 0, 2:-2, 2:-2]
    assert np.ptp(flat) < 1e-12  # a flat input stays flat at the start
    random_start = cb.initial_parameters("sub-pixel", 0, use_icnr=False)
    assert np.ptp(cb.sub_pixel_conv(np.ones((1, 1, 8, 8)), random_start)[0, 0, 2:-2, 2:-2]) > 0.01


@pytest.mark.parametrize("name", list(cb.UPSAMPLERS))
def test_upsamplers_double_the_size_and_are_linear_in_theta(name):
    forward, n = cb.UPSAMPLERS[name]
    rng = np.random.default_rng(5)
    x, a, b = rng.normal(size=(2, 1, 5, 6)), rng.normal(size=n), rng.normal(size=n)
    assert forward(x, a).shape == (2, 1, 10, 12)
    np.testing.assert_allclose(forward(x, 2 * a - b), 2 * forward(x, a) - forward(x, b), atol=1e-12)


def test_phase_sums_give_the_output_for_a_flat_input():
    w = np.random.default_rng(6).normal(size=(5, 5))
    for s in (2, 3):
        out = utils.conv_transpose2d(np.ones((1, 1, 12, 12)), w[None, None], stride=s)[0, 0]
        inner = out[6:6 + s, 6:6 + s]  # one period of the interior, starting at a multiple of s
        np.testing.assert_allclose(inner, cb.phase_sums(w, s))


# ---------------------------------------------------------------------------
# Learned upsampling
# ---------------------------------------------------------------------------

def _patches():
    photo = cb.load_photo()
    return cb.training_patches(photo[:-160], count=4, size=24, seed=3)


def test_quadratic_loss_is_the_masked_mse_and_its_gradient_is_conv_transpose2d_backward():
    low, high = _patches()
    forward, n = cb.UPSAMPLERS["transposed k=4"]
    G, b, c = cb.quadratic_loss(forward, n, low, high)
    theta = np.random.default_rng(7).normal(0, 0.1, n)
    error = (forward(low, theta) - high)[..., 2:-2, 2:-2]
    assert theta @ G @ theta - 2 * b @ theta + c == pytest.approx(np.mean(error ** 2), rel=1e-10)
    grad_output = np.zeros(high.shape)
    grad_output[..., 2:-2, 2:-2] = 2 * error / error.size
    _, grad_w, grad_b = utils.conv_transpose2d_backward(low, theta[:16].reshape(1, 1, 4, 4),
                                                        grad_output, stride=2, padding=1)
    np.testing.assert_allclose(2 * (G @ theta - b), np.concatenate([grad_w.ravel(), grad_b]),
                               rtol=1e-8, atol=1e-14)


def test_adam_reaches_the_least_squares_minimum_deterministically():
    low, high = _patches()
    forward, n = cb.UPSAMPLERS["sub-pixel"]
    G, b, c = cb.quadratic_loss(forward, n, low, high)
    first = cb.train_adam(G, b, c, cb.initial_parameters("sub-pixel", 1))
    second = cb.train_adam(G, b, c, cb.initial_parameters("sub-pixel", 1))
    np.testing.assert_array_equal(first[1], second[1])
    lowest = c - b @ np.linalg.solve(G, b)
    assert first[1][-1] == pytest.approx(lowest, rel=1e-4) and first[1][0] > 10 * lowest


def test_run_experiment_returns_a_new_result_and_the_ranking_the_notebook_states():
    first, second = cb.run_experiment(0), cb.run_experiment(0)
    assert first is not second and first["theta"] is not second["theta"]
    first["psnr"]["nearest"] = -1.0
    assert cb.run_experiment(0)["psnr"]["nearest"] > 0  # nothing cached hands out a mutated dict
    assert cb.psnr_table([second]) == cb.psnr_table([cb.run_experiment(0)])
    scores = second["psnr"]
    assert scores["transposed k=3"] < scores["bilinear"] < scores["transposed k=4"] < scores["sub-pixel"]
    assert abs(scores["resize-conv"] - scores["transposed k=4"]) < 0.01
    for name, losses in second["losses"].items():  # trained until the curve is flat
        assert losses[-1] == pytest.approx(second["optimum"][name], rel=1e-3), name


def test_psnr():
    target = np.zeros((20, 20))
    assert cb.psnr(target + 0.1, target) == pytest.approx(20)


# ---------------------------------------------------------------------------
# Exercise checkers: feedback, never the answer
# ---------------------------------------------------------------------------

def _printed(capsys, checker, answer):
    checker(answer)
    return capsys.readouterr().out


@pytest.mark.parametrize("checker,right,wrong", [
    (cb.check_uneven, [k % s != 0 for k, s in cb.UNEVEN_PAIRS], [True] * len(cb.UNEVEN_PAIRS)),
    (cb.check_bilinear_kernel, np.outer([1, 2, 3, 2, 1], [1, 2, 3, 2, 1]) / 9,
     np.round(np.outer([1, 2, 3, 2, 1], [1, 2, 3, 2, 1]) / 9, 2)),
])
def test_checkers(capsys, checker, right, wrong):
    assert "No answer yet" in _printed(capsys, checker, None)
    assert _printed(capsys, checker, right).strip() == "Correct!"
    out = _printed(capsys, checker, wrong)
    assert out.startswith("Not yet. Hint:")
    for secret in ("0.111", "1/9", "False, True"):
        assert secret not in out


def test_figures_make_figures():
    for name, make in cb.FIGURES.items():
        assert name.startswith("07_") and name.endswith(".png")
        assert isinstance(make(), Figure), name


def test_phase_sums_exercise_accepts_slices_and_rejects_a_stride_2_answer(capsys):
    def by_slices(w, s):
        return np.array([[w[a::s, b::s].sum() for b in range(s)] for a in range(s)])

    assert cb.check_phase_sums(by_slices) is True

    def stride_2_only(w, s):
        return by_slices(w, 2)

    assert cb.check_phase_sums(stride_2_only) is False
    assert "Hint:" in capsys.readouterr().out


def test_divisible_question_explains_every_option_and_its_right_answer_holds():
    box = cb.divisible_question()
    buttons, answer = box.children[1], box.children[2]
    verdicts = []
    for option in cb.DIVISIBLE_OPTIONS:
        buttons.value = option
        verdicts.append(answer.value.split()[0])
        assert len(answer.value.split()) > 10
    assert verdicts == ["Not", "Right.", "Not", "Not"]
    w = np.array([[3.0, 2, 0, 1], [0, 1, 3, 0], [2, 0, 1, 1], [1, 1, 0, 2]])  # k=4, unequal sums
    out = utils.conv_transpose2d(np.ones((1, 1, 8, 8)), w[None, None], stride=2, padding=1)[0, 0]
    assert np.ptp(out[4:-4, 4:-4]) > 0 and len(np.unique(cb.phase_sums(w, 2))) > 1
