"""Tests for utils.checkerboard (notebook 05): overlap maps, the fixes, learned upsampling."""

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
    small = cb.interior(cb.overlap_map(cb.interior_input_size(k, s, layers, s ** layers), k, s,
                                       layers, dims=1), k, s, layers)
    big = cb.overlap_map(40, k, s, layers, dims=1)
    period = s ** layers
    start = cb.interior_margin(k, s, layers)
    np.testing.assert_array_equal(small[:period], big[start: start + period])
    np.testing.assert_array_equal(big[start + period: start + 2 * period],
                                  big[start: start + period])


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


@pytest.mark.parametrize("factor", [2, 3, 4])
def test_bilinear_transposed_conv_is_bilinear_interpolation_away_from_the_border(factor):
    rng = np.random.default_rng(factor)
    x = rng.uniform(0.2, 1, size=(7, 9))
    reference = _bilinear_reference(x, factor)
    ours = cb.upsample_bilinear(x, factor)
    transposed = cb.bilinear_transposed_upsample(x, factor)
    assert transposed.shape == reference.shape == (7 * factor, 9 * factor)
    np.testing.assert_allclose(ours, reference, atol=1e-12)
    b = factor  # border width where zero padding enters
    np.testing.assert_allclose(transposed[b:-b, b:-b], reference[b:-b, b:-b], atol=1e-12)
    # on the border the transposed convolution sees zeros outside the input: darker
    assert np.all(transposed[0] < reference[0])


def test_bilinear_border_for_factor_2_is_exactly_one_pixel_wide():
    x = np.random.default_rng(1).uniform(0.2, 1, size=(6, 6))
    diff = np.abs(cb.bilinear_transposed_upsample(x) - cb.upsample_bilinear(x))
    assert diff[1:-1, 1:-1].max() < 1e-12 and diff[0].min() > 0
    flat = cb.bilinear_transposed_upsample(np.ones((4, 4)))
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


@pytest.mark.parametrize("k", [2, 3, 4, 5, 6])
def test_upsampler_padding_doubles_the_size(k):
    p, op = cb.upsampler_padding(k)
    assert utils.conv_transpose_output_size(7, k, 2, p, 1, op) == 14


# ---------------------------------------------------------------------------
# Learned upsampling
# ---------------------------------------------------------------------------

def test_training_is_deterministic_and_lowers_the_loss():
    train_image, _ = cb.photo_split(cb.load_photo())
    low, high = cb.training_patches(train_image, count=6, size=24, seed=3)
    first = cb.train_upsampler(low, high, 3, steps=60, seed=3)
    second = cb.train_upsampler(low, high, 3, steps=60, seed=3)
    np.testing.assert_array_equal(first["w"], second["w"])
    np.testing.assert_array_equal(first["losses"], second["losses"])
    assert first["losses"][-1] < first["losses"][0] / 10


def test_gradient_of_the_training_loss_matches_finite_differences():
    rng = np.random.default_rng(0)
    low, high = rng.uniform(size=(2, 1, 5, 5)), rng.uniform(size=(2, 1, 10, 10))
    w, b = rng.normal(size=(1, 1, 4, 4)), np.array([0.1])

    def loss(w_):
        return np.mean((utils.conv_transpose2d(low, w_, b, 2, 1) - high) ** 2)

    err = utils.conv_transpose2d(low, w, b, 2, 1) - high
    _, grad_w, _ = utils.conv_transpose2d_backward(low, w, 2 * err / err.size, 2, 1)
    bump = np.zeros_like(w)
    bump[0, 0, 1, 2] = 1e-6
    numeric = (loss(w + bump) - loss(w - bump)) / 2e-6
    assert grad_w[0, 0, 1, 2] == pytest.approx(numeric, rel=1e-5)


def test_learned_k4_beats_nearest_on_the_held_out_part():
    result = cb.upsampling_experiment()
    scores = result["psnr"]
    assert scores["learned k=4"] > scores["nearest"]
    assert scores["learned k=4"] > scores["bilinear"]
    assert result["outputs"]["learned k=4"].shape == result["held_out"].shape
    # printed with 2 decimals in the notebook: a second, uncached run gives the same table
    again = cb._experiment.__wrapped__(32, 48, 400, 0.05, 0)
    assert cb.psnr_table(again["psnr"]) == cb.psnr_table(scores)


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
    (cb.check_uneven, [k % s != 0 for k, s in cb.UNEVEN_PAIRS],
     [True] * len(cb.UNEVEN_PAIRS)),
    (cb.check_overlap_count, 6, 4),
    (cb.check_ratio, 4.0, 2.0),
    (cb.check_bilinear_kernel, np.outer([1, 3, 3, 1], [1, 3, 3, 1]) / 16,
     np.round(np.outer([1, 3, 3, 1], [1, 3, 3, 1]) / 16, 2)),
])
def test_checkers(capsys, checker, right, wrong):
    assert "No answer yet" in _printed(capsys, checker, None)
    assert _printed(capsys, checker, right).strip() == "Correct!"
    out = _printed(capsys, checker, wrong)
    assert out.startswith("Not yet. Hint:")
    for secret in ("0.5625", "9/16", " 6 ", "4.0"):
        assert secret not in out


def test_figures_make_figures():
    for name, make in cb.FIGURES.items():
        assert name.startswith("05_") and name.endswith(".png")
        assert isinstance(make(), Figure), name


def test_overlap_counts_exercise_accepts_loop_counts_and_rejects_a_wrapped_period(capsys):
    def by_loops(k, s, n):  # every stamp adds one to the cells it covers
        counts = np.zeros((n - 1) * s + k)
        for a in range(n):
            counts[a * s: a * s + k] += 1
        return counts

    assert cb.check_overlap_counts(by_loops) is True

    def interior_everywhere(k, s, n):  # forgets that the borders get fewer stamps
        counts = by_loops(k, s, n)
        return np.full_like(counts, counts.max())

    assert cb.check_overlap_counts(interior_everywhere) is False
    assert "Hint:" in capsys.readouterr().out


def test_flat_input_question_explains_every_option_and_its_right_answer_holds():
    box = cb.flat_input_question()
    buttons, answer = box.children[1], box.children[2]
    verdicts = []
    for option in cb.FLAT_INPUT_OPTIONS:
        buttons.value = option
        verdicts.append(answer.value.split()[0])
        assert len(answer.value.split()) > 10
    assert verdicts == ["Not", "Right.", "Not", "Not"]
    out = utils.conv_transpose2d(np.ones((1, 1, 8, 8)), np.ones((1, 1, 5, 5)), stride=2)[0, 0, 4:-4, 4:-4]
    assert set(np.unique(out)) == {4.0, 6.0, 9.0} and np.array_equal(out[:2, :2], out[2:4, 2:4])
