"""Notebook 02's module: the conv-matrix explorer, its figures and its exercise checkers.

The render function is swept over every combination of its slider values; what it numbers
and outlines is compared with windows and reach computed here, independently of utils.
"""

import itertools

import numpy as np
import pytest
from matplotlib.collections import PathCollection, PolyCollection
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure

from utils import conv, matrix
from utils.draw import COLORS

RANGES = {name: range(lo, hi + 1) for name, (lo, hi) in matrix.RANGES.items()}
SETTINGS = list(itertools.product(*RANGES.values()))  # (i, k, s, p, d)
HIGHLIGHT = np.array(to_rgb(COLORS["highlight"]))


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


def grid_of(fig, label):
    """The Axes, top-left corner, cell size and shape of the image labelled `label`."""
    (ax,) = fig.axes
    (image,) = [im for im in ax.get_images() if im.get_label() == label]
    x0, x1, _, y0 = image.get_extent()
    rows, cols = np.asarray(image.get_array()).shape[:2]
    return ax, x0, y0, (x1 - x0) / cols, rows, cols


def numbered(fig, label, setting, mode, index):
    """{(row, col): number} written in that image's cells: where the figure draws a number
    (a glyph collection's offsets) and, as a string, what matrix.selection says it is."""
    ax, x0, y0, cell, rows, cols = grid_of(fig, label)
    where = set()
    for collection in ax.collections:
        if isinstance(collection, PathCollection):
            for x, y in collection.get_offsets():
                r, c = (y - y0) / cell - 0.5, (x - x0) / cell - 0.5
                if np.isclose(r, round(r)) and np.isclose(c, round(c)) and 0 <= round(r) < rows \
                        and 0 <= round(c) < cols:
                    where.add((round(r), round(c)))
    values = matrix.selection(*setting, mode, index)[("C", "input", "output").index(label)]
    written = {(int(r), int(c)): str(v) for (r, c), v in np.ndenumerate(values) if v}
    assert set(written) == where, (label, set(written) ^ where)
    return written


def outlined(fig, label):
    """{(row, col, height, width)}, in cells, of the highlight outlines inside that image."""
    ax, x0, y0, cell, rows, cols = grid_of(fig, label)
    boxes = set()
    for collection in ax.collections:
        if isinstance(collection, PolyCollection) and np.allclose(collection.get_edgecolor()[0][:3], HIGHLIGHT):
            for path in collection.get_paths():
                (xa, ya), (xb, yb) = path.vertices.min(0), path.vertices.max(0)
                box = np.array([ya - y0, xa - x0, yb - ya, xb - xa]) / cell
                if box[0] > -1e-6 and box[1] > -1e-6 and box[0] + box[2] < rows + 1e-6 \
                        and box[1] + box[3] < cols + 1e-6:
                    boxes.add(tuple(int(v) for v in np.round(box)))
    return boxes


def tap_number(i, k, s, p, d, output, pixel):
    """The number (1 .. k*k, row-major) of the tap through which `output` reads input `pixel`."""
    o = output_size(i, k, s, p, d)
    (r, c), (y, x) = divmod(output, o), pixel
    a, b = (y + p - r * s) // d, (x + p - c * s) // d
    return str(a * k + b + 1)


def check_row_mode(fig, i, k, s, p, d, row):
    """The numbered entries of the selected row of C are exactly the input pixels under the
    window, each with its tap's number; the window's taps (padding too) are numbered on the
    input; the row, the window and the output are outlined."""
    o, span = output_size(i, k, s, p, d), d * (k - 1) + 1
    r, c = divmod(row, o)
    expected = window_pixels(i, k, s, p, d, row)
    on_input = numbered(fig, "input", (i, k, s, p, d), "row", row)
    assert on_input == {(r * s + a * d, c * s + b * d): str(a * k + b + 1) for a in range(k) for b in range(k)}
    assert {(y - p, x - p) for y, x in on_input} & {(y, x) for y in range(i) for x in range(i)} == expected
    C = conv.conv_matrix(np.ones((k, k)), (i, i), stride=s, padding=p, dilation=d)
    assert {divmod(int(j), i) for j in np.flatnonzero(C[row])} == expected
    assert numbered(fig, "C", (i, k, s, p, d), "row", row) == {
        (row, y * i + x): tap_number(i, k, s, p, d, row, (y, x)) for y, x in expected}
    assert outlined(fig, "C") == {(row, 0, 1, i * i)}
    assert outlined(fig, "input") == {(r * s, c * s, span, span)}
    assert outlined(fig, "output") == {(r, c, 1, 1)}
    assert numbered(fig, "output", (i, k, s, p, d), "row", row) == {}


def check_column_mode(fig, i, k, s, p, d, column):
    """The numbered and outlined outputs are exactly those whose window covers the input pixel,
    each numbered with the tap through which it reads it, as in the selected column of C."""
    o = output_size(i, k, s, p, d)
    pixel = divmod(column, i)
    reached = outputs_reaching(i, k, s, p, d, pixel)
    weights = {(r, c): tap_number(i, k, s, p, d, r * o + c, pixel) for r, c in reached}
    assert numbered(fig, "output", (i, k, s, p, d), "column", column) == weights
    assert outlined(fig, "output") == {(r, c, 1, 1) for r, c in reached}
    assert numbered(fig, "C", (i, k, s, p, d), "column", column) == {
        (r * o + c, column): w for (r, c), w in weights.items()}
    assert outlined(fig, "C") == {(0, column, o * o, 1)}
    assert outlined(fig, "input") == {(pixel[0] + p, pixel[1] + p, 1, 1)}
    assert numbered(fig, "input", (i, k, s, p, d), "column", column) == {}


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
    assert outlined(fig, "output") == {(2, 2, 1, 1)}  # the last of 3x3 outputs
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
    nonzero = sorted(r * 6 + c for r in range(1, 4) for c in range(-1, 2)  # output (1, 0): s=2, p=1
                     if 0 <= r < 6 and 0 <= c < 6)
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


def test_checkers_name_common_slips_without_the_answer(capsys):
    gigabytes = 128 ** 4 * 4 / 1e9
    for checker, slip, words in [(matrix.check_shape_of_c, (3, 6), "per output *pixel*"),
                                 (matrix.check_sparsity, 0.8818, "p = 1"),
                                 (matrix.check_dense_c_gigabytes, 2 * gigabytes, "float64"),
                                 (matrix.check_dense_c_gigabytes, gigabytes * 1e9 / 2 ** 30, "GiB")]:
        assert checker(slip) is False
        assert words in capsys.readouterr().out


def test_forgotten_padding_is_not_taken_for_gib(capsys):
    no_padding = 124 ** 2 * 128 ** 2 * 4 / 1e9  # o = 124 without p = 2: within 1% of the GiB slip
    for answer in (no_padding, round(no_padding, 2), 1.008):
        assert matrix.check_dense_c_gigabytes(answer) is False
        out = capsys.readouterr().out
        assert "padding" in out and "GiB" not in out
    assert matrix.check_dense_c_gigabytes(128 ** 4 * 4 / 2 ** 30) is False
    out = capsys.readouterr().out
    assert "GiB" in out and "padding" not in out


def test_build_c_checker_reports_one_entry_not_the_matrix(capsys):
    def rotated(w, input_shape, stride, padding, dilation):
        return conv.conv_matrix(w[::-1, ::-1], input_shape, stride=stride, padding=padding, dilation=dilation)

    def transposed(w, input_shape, stride, padding, dilation):
        return conv.conv_matrix(w, input_shape, stride=stride, padding=padding, dilation=dilation).T

    assert matrix.check_build_c(rotated) is False
    out = capsys.readouterr().out
    assert "first wrong entry is [" in out and "rotated 180°" in out and out.count("\n") <= 3, out
    assert matrix.check_build_c(transposed) is False
    out = capsys.readouterr().out
    assert "while C has shape (" in out and "rotated" not in out and out.count("\n") <= 3, out
    assert matrix.check_build_c(lambda w, input_shape, stride, padding, dilation: None) is None


def test_inverse_question_has_one_right_option_and_explains_every_option():
    q = matrix.INVERSE_QUESTION
    assert q["correct"] in q["options"] and len(q["options"]) >= 3
    assert all(len(why.split()) >= 10 for why in q["options"].values())
