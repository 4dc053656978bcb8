"""Notebook 02's module: the conv-matrix explorer, its figures and its exercise checkers.

The render function is swept over every combination of its slider values; what it
highlights is compared with windows and reach computed here, independently of utils.
"""

import itertools

import numpy as np
import pytest
from matplotlib.figure import Figure

from utils import conv, matrix
from utils.draw import tint

RANGES = {name: range(lo, hi + 1) for name, (lo, hi) in matrix.RANGES.items()}
SETTINGS = list(itertools.product(*RANGES.values()))  # (i, k, s, p, d)
HIGHLIGHT = np.array(tint("highlight"))


pytestmark = pytest.mark.usefixtures("freeze_long_lived_objects")


def is_valid(i, k, s, p, d):
    """The dilated kernel, d(k-1)+1 pixels wide, fits in the padded input i + 2p."""
    return d * (k - 1) + 1 <= i + 2 * p


def output_size(i, k, s, p, d):
    return (i + 2 * p - d * (k - 1) - 1) // s + 1


def window_pixels(i, k, s, p, d, row):
    """Input pixels (r, c), padding excluded, under the window of output `row`."""
    o = output_size(i, k, s, p, d)
    r0, c0 = (row // o) * s - p, (row % o) * s - p
    return {(r0 + a * d, c0 + b * d) for a in range(k) for b in range(k)
            if 0 <= r0 + a * d < i and 0 <= c0 + b * d < i}


def outputs_reaching(i, k, s, p, d, pixel):
    """Outputs (r, c) whose window covers input pixel (y, x)."""
    o = output_size(i, k, s, p, d)
    y, x = pixel
    return {(r, c) for r in range(o) for c in range(o)
            if any(r * s - p + a * d == y for a in range(k))
            and any(c * s - p + b * d == x for b in range(k))}


def highlighted_cells(fig, label):
    """(row, column) of the cells of the image labelled `label` that carry the highlight tint."""
    (image,) = [im for ax in fig.axes for im in ax.get_images() if im.get_label() == label]
    colors = np.asarray(image.get_array())[..., :3]
    return {tuple(rc) for rc in np.argwhere(np.all(np.isclose(colors, HIGHLIGHT), axis=-1))}


def check_row_mode(fig, i, k, s, p, d, row):
    """The non-zero columns of the selected row of C are exactly the input pixels in the
    highlighted window, and both equal the window computed here from i, k, s, p, d."""
    o = output_size(i, k, s, p, d)
    expected = window_pixels(i, k, s, p, d, row)
    in_cells = {(r - p, c - p) for r, c in highlighted_cells(fig, "input")}
    assert {(r, c) for r, c in in_cells if 0 <= r < i and 0 <= c < i} == expected
    assert len(in_cells) == k * k  # every tap is marked, those in the padding too
    C = conv.conv_matrix(np.ones((k, k)), (i, i), stride=s, padding=p, dilation=d)
    nonzero = np.flatnonzero(C[row])
    assert {divmod(int(j), i) for j in nonzero} == expected
    assert highlighted_cells(fig, "C") == {(row, int(j)) for j in nonzero}
    assert highlighted_cells(fig, "output") == {divmod(row, o)}


def check_column_mode(fig, i, k, s, p, d, column):
    """The highlighted outputs are exactly those whose window covers the input pixel."""
    o = output_size(i, k, s, p, d)
    pixel = divmod(column, i)
    reached = outputs_reaching(i, k, s, p, d, pixel)
    assert highlighted_cells(fig, "output") == reached
    assert highlighted_cells(fig, "input") == {(pixel[0] + p, pixel[1] + p)}
    assert highlighted_cells(fig, "C") == {(r * o + c, column) for r, c in reached}


@pytest.mark.parametrize("i, k, s, p, d", SETTINGS)
def test_render_sweep_every_slider_combination(i, k, s, p, d):
    """Both modes, index at the first and last position: a Figure showing the right cells
    when the setting is valid, else a one-line explanation; never an exception."""
    valid = is_valid(i, k, s, p, d)
    o = output_size(i, k, s, p, d) if valid else 1
    for mode, count in (("row", o * o), ("column", i * i)):
        for index in sorted({0, count - 1}):
            result = matrix.render_conv_matrix(i=i, k=k, s=s, p=p, d=d, mode=mode, index=index)
            if not valid:
                assert isinstance(result, str) and result and "\n" not in result
                continue
            assert isinstance(result, Figure), (mode, index, result)
            if mode == "row":
                check_row_mode(result, i, k, s, p, d, index)
            else:
                check_column_mode(result, i, k, s, p, d, index)


@pytest.mark.parametrize("i, k, s, p, d", [(5, 3, 1, 1, 1), (8, 2, 2, 1, 2), (7, 3, 3, 2, 1),
                                           (6, 4, 1, 0, 1), (8, 1, 1, 2, 1)])
def test_highlights_in_the_middle(i, k, s, p, d):
    o = output_size(i, k, s, p, d)
    for row in range(1, o * o - 1, 3):
        check_row_mode(matrix.render_conv_matrix(i=i, k=k, s=s, p=p, d=d, mode="row",
                                                 index=row), i, k, s, p, d, row)
    for column in range(1, i * i - 1, 5):
        check_column_mode(matrix.render_conv_matrix(i=i, k=k, s=s, p=p, d=d, mode="column",
                                                    index=column), i, k, s, p, d, column)


def test_out_of_range_index_is_clamped_or_explained():
    fig = matrix.render_conv_matrix(i=5, k=3, s=1, p=0, d=1, mode="row", index=100)
    assert isinstance(fig, Figure)
    assert highlighted_cells(fig, "output") == {(2, 2)}  # the last of 3x3 outputs
    assert isinstance(matrix.render_conv_matrix(i=5, k=3, s=1, p=0, d=1, mode="row", index=-1),
                      str)
    assert isinstance(matrix.render_conv_matrix(i=5, k=3, s=1, p=0, d=1, mode="diagonal",
                                                index=0), str)


def test_explorer_index_slider_follows_the_size_of_c():
    ipywidgets = pytest.importorskip("ipywidgets")
    box = matrix.conv_matrix_explorer()
    controls = {c.description: c for c in box.children[0].children
                if isinstance(c, (ipywidgets.IntSlider, ipywidgets.ToggleButtons))}
    index = controls["row"]
    controls["input size i"].value = 8
    controls["kernel size k"].value = 1
    controls["padding p"].value = 2
    assert index.max == 12 * 12 - 1
    controls["select"].value = "column"
    assert index.description == "column" and index.max == 8 * 8 - 1
    index.value = index.max
    controls["input size i"].value = 3  # shrinking C pulls the index back in range
    assert index.max == 8 and index.value <= 8
    image = box.children[2]
    assert image.layout.display != "none"  # still a valid figure, not an error message


def test_figure_names():
    # tests/test_figures.py makes and writes every figure; here only the names are checked
    assert matrix.FIGURES and all(name.startswith("02_") and name.endswith(".png")
                                  for name in matrix.FIGURES)


# --- exercise checkers -------------------------------------------------------------------

def _expected_answers():
    """The answers, computed here from first principles."""
    o = (6 + 2 - 3) // 2 + 1
    shape = (o * o, 36)
    nonzero = sorted(r * 5 + c for r in range(-1, 2) for c in range(-1, 2)
                     if 0 <= r < 5 and 0 <= c < 5)
    placed = np.zeros((4, 5))  # a 4×5 input; row 4 of C is output (1, 1)
    placed[1:4, 1:4] = np.arange(1, 10).reshape(3, 3)
    sparsity = 1 - (6 * 6 * 9) / (36 * 64)
    gigabytes = 128 ** 4 * 4 / 1e9
    return {
        matrix.check_shape_of_c: (shape, (shape[1], shape[0])),
        matrix.check_nonzero_columns: (nonzero, [0, 1, 2, 5, 6, 7]),
        matrix.check_row_of_c: (placed.ravel(), np.roll(placed.ravel(), 1)),
        matrix.check_sparsity: (sparsity, 1 - sparsity),
        matrix.check_dense_c_gigabytes: (gigabytes, gigabytes / 2),
    }


@pytest.mark.parametrize("checker", list(_expected_answers()), ids=lambda f: f.__name__)
def test_checkers(checker, capsys):
    right, wrong = _expected_answers()[checker]
    assert checker(right) is True
    assert capsys.readouterr().out.strip() == "Correct!"

    assert checker(wrong) is False
    out = capsys.readouterr().out.strip()
    assert out.startswith("Not yet. Hint:")
    for shown in (str(right), np.array2string(np.asarray(right)), f"{np.ravel(right)[0]:.3f}"):
        assert shown not in out  # the hint never gives the answer away

    assert checker(None) is None
    assert capsys.readouterr().out.startswith("No answer yet")


def test_checkers_reject_junk(capsys):
    for checker in _expected_answers():
        assert checker("not a number") is False
    assert capsys.readouterr().out.count("Not yet.") == len(_expected_answers())


def test_build_c_checker(capsys):
    def right(w, input_shape, stride, padding, dilation):
        return conv.conv_matrix(w, input_shape, stride=stride, padding=padding, dilation=dilation)

    def ignores_dilation(w, input_shape, stride, padding, dilation):
        return conv.conv_matrix(w, input_shape, stride=stride, padding=padding)

    assert matrix.check_build_c(right) is True
    assert matrix.check_build_c(ignores_dilation) is False
    assert "Hint:" in capsys.readouterr().out
    shapes = [(kernel, shape) for kernel, shape, *_ in matrix.BUILD_C_CASES]
    assert any(k[0] != k[1] for k, _ in shapes) and any(s[0] != s[1] for _, s in shapes)


def test_inverse_question_has_one_right_option_and_explains_every_option():
    q = matrix.INVERSE_QUESTION
    assert q["correct"] in q["options"] and len(q["options"]) >= 3
    assert all(len(why.split()) >= 10 for why in q["options"].values())
