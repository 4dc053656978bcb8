"""utils.networks: the multi-channel C, output_padding_for, stack shapes, the upsampling
recipes and their explorer, the figures, and the exercise checkers of notebook 04."""

import itertools

import numpy as np
import pytest

import utils
from utils import networks
from utils.draw import to_png

# ---------------------------------------------------------------------------
# conv2d_matrix and channel_connections
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("groups, c_in, c_out, k, s, p, d, hw", [
    (1, 2, 3, 3, 1, 0, 1, (5, 5)),
    (2, 4, 6, 3, 2, 1, 1, (5, 6)),
    (3, 3, 3, 2, 1, 1, 2, (4, 4)),  # depthwise
    (2, 2, 4, 1, 3, 0, 1, (7, 5)),
])
def test_conv2d_matrix_is_conv2d_and_its_transpose_is_conv_transpose2d(groups, c_in, c_out, k, s,
                                                                       p, d, hw):
    rng = np.random.default_rng(groups * 10 + k)
    w = rng.standard_normal((c_out, c_in // groups, k, k))
    x = rng.standard_normal((1, c_in, *hw))
    C = networks.conv2d_matrix(w, (c_in, *hw), s, p, d, groups)
    o = utils.conv2d(x, w, None, s, p, d, groups)
    assert C.shape == (o.size, x.size)
    np.testing.assert_allclose(C @ x.ravel(), o.ravel(), atol=1e-12)
    y = rng.standard_normal(o.shape)
    op = tuple((i + 2 * p - d * (k - 1) - 1) % s for i in hw)
    back = utils.conv_transpose2d(y, w, None, s, p, op, groups, d)  # the same w
    assert back.shape == x.shape
    np.testing.assert_allclose(C.T @ y.ravel(), back.ravel(), atol=1e-12)


def test_conv2d_matrix_rejects_mismatched_channels():
    with pytest.raises(ValueError, match="groups"):
        networks.conv2d_matrix(np.zeros((4, 2, 3, 3)), (3, 5, 5), groups=2)


def test_channel_connections():
    assert networks.channel_connections(4, 4, 1).all()
    np.testing.assert_array_equal(networks.channel_connections(4, 4, 4), np.eye(4, dtype=bool))
    links = networks.channel_connections(4, 6, 2)
    assert links.shape == (6, 4) and links.sum() == 12
    with pytest.raises(ValueError, match="divide"):
        networks.channel_connections(4, 6, 4)


# ---------------------------------------------------------------------------
# output_padding_for
# ---------------------------------------------------------------------------


def brute_force_output_padding(target, i, k, s, p, d):
    """The one output_padding in 0..s-1 whose output size is target, or None."""
    found = []
    for op in range(s):
        try:
            if utils.conv_transpose_output_size(i, k, s, p, d, op) == target:
                found.append(op)
        except ValueError:
            pass
    assert len(found) <= 1
    return found[0] if found else None


def _ours(target, i, k, s, p, d):
    try:
        return networks.output_padding_for(target, i, k, s, p, d)
    except ValueError:
        return None


def test_output_padding_for_matches_brute_force():
    for i, k, s, p, d in itertools.product(range(1, 6), range(1, 5), range(1, 4), range(0, 3),
                                           range(1, 3)):
        for target in range(-1, 18):
            assert _ours(target, i, k, s, p, d) == brute_force_output_padding(target, i, k, s,
                                                                              p, d)


def test_output_padding_for_pairs_and_messages():
    assert networks.output_padding_for((6, 5), (3, 3), 3, (2, 2), 1) == (1, 0)
    assert networks.output_padding_for(6, 3, 3, 2, 1) == 1
    with pytest.raises(ValueError, match="only 5 to 6"):
        networks.output_padding_for(7, 3, 3, 2, 1)
    with pytest.raises(ValueError, match="only 5 to 6"):
        networks.output_padding_for((6, 4), 3, 3, 2, 1)
    with pytest.raises(ValueError, match=">= 1"):
        networks.output_padding_for(0, 1, 1, 3, 1)
    with pytest.raises(ValueError, match="pair"):
        networks.output_padding_for(5.0, 3, 3, 2, 1)


@pytest.mark.torch
def test_output_padding_for_matches_torch_output_size():
    torch = pytest.importorskip("torch")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny tensors: one thread avoids contention on busy machines
    try:
        _compare_with_torch(torch)
    finally:
        torch.set_num_threads(threads)


def _compare_with_torch(torch):
    rng = np.random.default_rng(0)
    checked = 0
    for _ in range(150):
        i, k = (int(v) for v in rng.integers(1, 6, size=2))
        s, d = (int(v) for v in rng.integers(1, 4, size=2))
        p = int(rng.integers(0, 3))
        layer = torch.nn.ConvTranspose2d(1, 1, k, stride=s, padding=p, dilation=d, bias=False)
        x = torch.zeros(1, 1, i, i)
        for target in range(1, 14):
            ours = _ours(target, i, k, s, p, d)
            try:
                with torch.no_grad():
                    shape = tuple(layer(x, output_size=[target, target]).shape[2:])
                theirs = (target, target)
            except (ValueError, RuntimeError):
                theirs = None
            if ours is None:
                assert theirs is None, (target, i, k, s, p, d)
            else:
                assert theirs == shape == (target, target), (target, i, k, s, p, d)
                checked += 1
    assert checked > 100


# ---------------------------------------------------------------------------
# stacks
# ---------------------------------------------------------------------------


def test_dcgan_and_segmentation_shapes():
    rows = networks.stack_shapes((1, 100, 1, 1), networks.DCGAN_GENERATOR)
    assert [r["output"][2] for r in rows] == [4, 8, 16, 32, 64]
    assert rows[-1]["output"] == (1, 3, 64, 64)
    assert rows[1]["weight"] == (512, 256, 4, 4)
    seg = networks.stack_shapes((1, 256, 8, 8), networks.SEGMENTATION_DECODER)
    assert [r["output"][2] for r in seg] == [16, 32, 64, 64]
    assert seg[-1]["weight"] == (5, 32, 1, 1)
    table = networks.shape_table(rows)
    assert "(100, 512, 4, 4)" in table and "total parameters: 3,575,747" in table


def test_run_stack_agrees_with_stack_shapes():
    layers = (networks.Layer("ConvTranspose2d", 6, 4, 3, 2, 1, output_padding=1, groups=2),
              networks.Layer("ConvTranspose2d", 4, 4, 3, 1, 2, groups=4, dilation=2),
              networks.Layer("Conv2d", 4, 2, 3, 1, 1))
    x = np.random.default_rng(0).standard_normal((2, 6, 5, 5))
    rows = networks.stack_shapes(x.shape, layers)
    assert networks.run_stack(x, layers) == [r["output"] for r in rows]
    with pytest.raises(ValueError, match="input channels"):
        networks.stack_shapes((1, 3, 5, 5), layers)


# ---------------------------------------------------------------------------
# upsampling recipes
# ---------------------------------------------------------------------------


def brute_force_recipes(factor, max_kernel, allow_output_padding, sizes=range(1, 17)):
    """Try every k <= max_kernel, s, p and output_padding directly (dilation 1)."""
    found = []
    for k in range(1, max_kernel + 1):
        for s in range(1, factor + max_kernel + 2):
            for p in range(0, max_kernel + 2):
                for op in range(s if allow_output_padding else 1):
                    try:
                        if all(utils.conv_transpose_output_size(i, k, s, p, 1, op) == factor * i
                               for i in sizes):
                            found.append((k, s, p, op))
                    except ValueError:
                        pass
    return sorted(found, key=lambda r: (r[0], r[3], r[2]))


def test_recipes_match_brute_force():
    for factor, max_kernel, allow in itertools.product(range(1, 7), range(1, 10), (True, False)):
        ours = networks.upsampling_recipes(factor, max_kernel, allow)
        assert sorted(ours, key=lambda r: (r[0], r[3], r[2])) == brute_force_recipes(
            factor, max_kernel, allow), (factor, max_kernel, allow)


def test_classic_x2_recipes_are_listed():
    recipes = networks.upsampling_recipes(2, 4)
    for recipe in [(4, 2, 1, 0), (2, 2, 0, 0), (3, 2, 1, 1)]:
        assert recipe in recipes
    assert (3, 2, 1, 1) not in networks.upsampling_recipes(2, 4, allow_output_padding=False)


def test_render_recipes_sweep_over_slider_grid():
    """Every slider combination gives a Figure or a one-line explanation, never an exception."""
    strings = 0
    for factor, max_kernel, op in itertools.product(range(1, 9), range(1, 13),
                                                     ("allowed", "0 only")):
        result = networks.render_upsampling_recipes(factor=factor, max_kernel=max_kernel,
                                                    output_padding=op)
        if isinstance(result, str):
            strings += 1
            assert "\n" not in result and op == "0 only" and max_kernel < factor
        else:
            n = len(networks.upsampling_recipes(factor, max_kernel, op == "allowed"))
            assert n >= 1 and len(result.axes) == 1
    assert strings == sum(1 for f in range(1, 9) for k in range(1, 13) if k < f)


def test_render_recipes_draws_the_largest_settings():
    # functional check only: redraw speed is measured in benchmarks/, never asserted in tests
    fig = networks.render_upsampling_recipes(factor=8, max_kernel=12, output_padding="allowed")
    assert len(fig.axes) == 1 and len(to_png(fig)) > 1000
    cell_texts = [t.get_text() for t in fig.axes[0].texts]
    assert len(networks.upsampling_recipes(8, 12)) == 36
    assert "output_padding" in cell_texts and "36 layers" in fig._suptitle.get_text()


def test_explorer_builds():
    pytest.importorskip("ipywidgets")
    box = networks.upsampling_recipes_explorer()
    assert box.children[2].value  # a PNG was rendered for the default state


# ---------------------------------------------------------------------------
# figures
# ---------------------------------------------------------------------------


def test_figures_make_figures():
    assert all(name.startswith("04_") and name.endswith(".png") for name in networks.FIGURES)
    for name, make in networks.FIGURES.items():
        assert len(to_png(make(), dpi=30)) > 1000, name


# ---------------------------------------------------------------------------
# exercise checkers
# ---------------------------------------------------------------------------


def test_check_weight_shape(capsys):
    assert networks.check_weight_shape(None) is None
    assert networks.check_weight_shape((64, 8, 3, 5)) is True
    assert networks.check_weight_shape((32, 16, 3, 5)) is False
    out = capsys.readouterr().out
    assert "No answer yet" in out and "Correct!" in out and "Hint" in out
    assert "(64, 8, 3, 5)" not in out


def test_check_stack_shape(capsys):
    assert networks.check_stack_shape((8, 1, 28, 28)) is True
    assert networks.check_stack_shape((8, 1, 27, 27)) is False
    assert networks.check_stack_shape("28x28") is False
    assert "28" not in capsys.readouterr().out.replace("(8, 1, 28, 28)", "")


def test_check_tiny_gradient(capsys):
    expected = [[1, 2, 0], [3, 6, 4], [0, 6, 8]]  # 1*w at the top left + 2*w at the bottom right
    assert networks.check_tiny_gradient(expected) is True
    assert networks.check_tiny_gradient(np.array(expected)[::-1, ::-1]) is False
    assert networks.check_tiny_gradient([[1, 2], [3, 4]]) is False
    out = capsys.readouterr().out
    assert "6" not in out.split("Hint")[-1]


def test_check_x4_recipe(capsys):
    for recipe in networks.upsampling_recipes(4, 10):
        assert networks.check_x4_recipe(recipe) is True
    assert networks.check_x4_recipe((8, 4, 2, 0)) is True
    assert networks.check_x4_recipe((4, 2, 1, 0)) is False  # x2
    assert networks.check_x4_recipe((4, 4, 1, 0)) is False  # 4i - 2
    assert networks.check_x4_recipe((4, 4, 0, 5)) is False  # output_padding too large
    assert networks.check_x4_recipe("four") is False
    assert networks.check_x4_recipe(None) is None
    out = capsys.readouterr().out
    assert "Correct!" in out and "Hint" in out


def test_layer_solver_exercise_accepts_an_independent_search_and_rejects_a_missing_output_padding(capsys):
    def by_output_size(i, o, max_kernel):  # the size formula as utils states it, with its own checks
        found = []
        for k, s, p in itertools.product(range(1, max_kernel + 1), range(1, 5), range(max_kernel)):
            for op in range(s):
                try:
                    if p < k and utils.conv_transpose_output_size(i, k, s, p, 1, op) == o:
                        found.append((k, s, p, op))
                except ValueError:
                    pass
        return found

    assert networks.check_layer_solver(by_output_size) is True

    def forgets_output_padding(i, o, max_kernel):
        return [layer for layer in by_output_size(i, o, max_kernel) if layer[3] == 0]

    assert networks.check_layer_solver(forgets_output_padding) is False
    assert "Hint:" in capsys.readouterr().out


def test_padding_question_has_one_right_option_and_explains_every_other():
    box = networks.padding_question()
    buttons, answer = box.children[1], box.children[2]
    verdicts = []
    for option in networks.PADDING_OPTIONS:
        buttons.value = option
        verdicts.append(answer.value.split()[0])
        assert len(answer.value.split()) > 10  # an explanation, not just a verdict
    assert sorted(verdicts) == ["Not", "Not", "Not", "Right."]
    assert verdicts[1] == "Right."
    # the right option's claim, checked: a 5x5 input comes out 5x5
    assert utils.conv_transpose2d(np.ones((1, 1, 5, 5)), np.ones((1, 1, 3, 3)), padding=1).shape[-2:] == (5, 5)
