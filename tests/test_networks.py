"""utils.networks: the multi-channel C, channel connections, stack shapes, the groups explorer,
the figures, and the exercise checkers of notebook 05."""

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
    C = networks.conv2d_matrix(w, (c_in, *hw), stride=s, padding=p, dilation=d, groups=groups)
    o = utils.conv2d(x, w, stride=s, padding=p, dilation=d, groups=groups)
    assert C.shape == (o.size, x.size)
    np.testing.assert_allclose(C @ x.ravel(), o.ravel(), atol=1e-12)
    y = rng.standard_normal(o.shape)
    op = tuple((i + 2 * p - d * (k - 1) - 1) % s for i in hw)
    back = utils.conv_transpose2d(y, w, stride=s, padding=p, output_padding=op, groups=groups,
                                  dilation=d)  # the same w
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
# stacks
# ---------------------------------------------------------------------------


def test_dcgan_and_segmentation_shapes():
    rows = networks.stack_shapes((1, 100, 1, 1), networks.DCGAN_GENERATOR)
    assert [r["output"][2] for r in rows] == [4, 8, 16, 32, 64]
    assert rows[-1]["output"] == (1, 3, 64, 64)
    assert rows[1]["weight"] == (512, 256, 4, 4)
    # no biases: 3,574,784 weights, PyTorch's DCGAN generator (3,576,704) less its batch norms' 2 * 960
    assert sum(r["parameters"] for r in rows) == 3_574_784 == 3_576_704 - 2 * (512 + 256 + 128 + 64)
    assert rows[0]["layer"] == "ConvTranspose2d(100, 512, k=4, s=1, p=0, bias=False)"
    seg = networks.stack_shapes((1, 256, 8, 8), networks.SEGMENTATION_DECODER)
    assert [r["output"][2] for r in seg] == [16, 32, 64, 64]
    assert seg[-1]["weight"] == (5, 32, 1, 1) and seg[-1]["parameters"] == 5 * 32 + 5  # with bias
    assert "output_padding=1" in seg[1]["layer"]


def test_stack_shapes_are_the_shapes_of_real_arrays():
    layers = (networks.Layer("ConvTranspose2d", 6, 4, 3, 2, 1, output_padding=1),
              networks.Layer("ConvTranspose2d", 4, 4, 5, 1, 2),
              networks.Layer("Conv2d", 4, 2, 3, 2, 1))
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 6, 5, 5))
    for row, layer in zip(networks.stack_shapes(x.shape, layers), layers):
        w = rng.standard_normal(row["weight"])
        kw = dict(stride=layer.stride, padding=layer.padding)
        if layer.kind == "Conv2d":
            x = utils.conv2d(x, w, **kw)
        else:
            x = utils.conv_transpose2d(x, w, output_padding=layer.output_padding, **kw)
        assert x.shape == row["output"]
    with pytest.raises(ValueError, match="channels"):
        networks.stack_shapes((1, 3, 5, 5), layers)
    with pytest.raises(ValueError, match="H == W"):
        networks.stack_shapes((1, 6, 5, 4), layers)


# ---------------------------------------------------------------------------
# the groups explorer and the figures
# ---------------------------------------------------------------------------


def test_render_groups_sweeps_the_sliders():
    for c_in in range(1, 13):
        for c_out in range(1, 13, 5):
            for groups in range(1, 13, 3):
                result = networks.render_groups(channels_in=c_in, channels_out=c_out, groups=groups)
                if c_in % groups or c_out % groups:
                    assert isinstance(result, str) and "divide" in result
                else:
                    assert not isinstance(result, str)
    assert "groups must be" in networks.render_groups(channels_in=4, channels_out=4, groups=0)


def test_render_groups_draws_the_largest_settings():
    fig = networks.render_groups(channels_in=12, channels_out=12, groups=1)
    assert len(to_png(fig)) > 1000


def test_explorer_builds():
    pytest.importorskip("ipywidgets")
    assert networks.groups_explorer().children


def test_figures_make_figures():
    assert set(networks.FIGURES) == {"05_channels.png", "05_weight_layout.png", "05_groups.png",
                                     "05_decoders.png"}
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


@pytest.mark.parametrize("answer, words", [
    ((64, 32, 3, 5), "groups=4"),  # groups forgotten
    ((32, 8, 3, 5), "Conv2d's order"), ((32, 16, 3, 5), "Conv2d's order"),  # swapped layout
    ((8, 64, 3, 5), "batch size"), ((64, 8, 15, 17), "kernel's"), ((64, 8, 5, 3), "kernel's"),
    ((64, 16, 3, 5), "C_out/groups"), ("64x8x3x5", "C_out/groups"),
])
def test_check_weight_shape_hint_answers_the_mistake(capsys, answer, words):
    assert networks.check_weight_shape(answer) is False
    out = capsys.readouterr().out
    assert words in out and "(64, 8" not in out and "64, 8," not in out, out


def test_check_stack_shape(capsys):
    assert networks.check_stack_shape((8, 1, 28, 28)) is True
    assert networks.check_stack_shape((8, 1, 27, 27)) is False
    assert networks.check_stack_shape("28x28") is False
    assert "28" not in capsys.readouterr().out.replace("(8, 1, 28, 28)", "")


def test_check_grouped_accepts_a_split_by_group_and_rejects_an_ungrouped_layer(capsys):
    def split(x, w, groups, stride):
        n_in = x.shape[1] // groups
        return np.concatenate([utils.conv_transpose2d(x[:, g * n_in:(g + 1) * n_in],
                                                      w[g * n_in:(g + 1) * n_in], stride=stride)
                               for g in range(groups)], axis=1)

    assert networks.check_grouped(split) is True

    def first_group_only(x, w, groups, stride):
        n_in = x.shape[1] // groups
        return utils.conv_transpose2d(x[:, :n_in], w[:n_in], stride=stride)

    assert networks.check_grouped(first_group_only) is False
    out = capsys.readouterr().out
    # the failing case is named by its arguments' shapes, never printed in full
    call = out.split(") your function")[0]
    assert "x=<an array of shape (1, 2, 3, 3)>" in call and "array(" not in call and "Hint:" in out
    assert networks.check_grouped(lambda x, w, groups, stride: None) is None


def test_layout_question_has_one_right_option_and_explains_every_other():
    box = networks.layout_question()
    buttons, answer = box.children[1], box.children[2]
    verdicts = []
    for option in networks.LAYOUT_OPTIONS:
        buttons.value = option
        verdicts.append(answer.value.split()[0])
        assert len(answer.value.split()) > 10  # an explanation, not just a verdict
    assert verdicts == ["Not", "Right.", "Not", "Not"]
    # the right option's claim, checked: Conv2d(8, 12, groups=4)'s weight, read by conv_transpose2d
    # with groups=4, is Cᵀ: 12 channels in, 8 out
    w = np.random.default_rng(3).standard_normal((12, 2, 3, 3))
    C = networks.conv2d_matrix(w, (8, 4, 4), groups=4)
    y = np.random.default_rng(4).standard_normal((1, 12, 2, 2))
    back = utils.conv_transpose2d(y, w, groups=4)
    assert back.shape == (1, 8, 4, 4)
    np.testing.assert_allclose(back.ravel(), C.T @ y.ravel(), atol=1e-12)
