"""Tests for utils/transposed.py: the explorer of notebook 03 and its exercise checkers."""

import itertools

import numpy as np
import pytest
from matplotlib.figure import Figure

import utils
from utils import transposed

NAMES = ("i", "k", "s", "p", "d", "output_padding")
GRID = list(itertools.product(*(range(lo, hi + 1) for lo, hi in
                                 (transposed.SLIDER_RANGES[name] for name in NAMES))))


def expected_size(i, k, s, p, d, op):
    """Output size if the combination is possible, else None; decided here, not by utils."""
    if op >= s and op >= d:  # output_padding must be smaller than the stride or the dilation
        return None
    o = (i - 1) * s - 2 * p + d * (k - 1) + op + 1
    return o if o >= 1 else None


def reference(i, k, s, p, d, op):
    """utils.conv_transpose2d (batched, framework form) on the explorer's data."""
    y, w = transposed.explorer_data(i, k)
    return utils.conv_transpose2d(y[None, None], w[None, None], stride=s, padding=p,
                                  output_padding=op, dilation=d)[0, 0]


def test_slider_ranges_cover_the_default_state():
    assert transposed.DEFAULTS == dict(i=3, k=3, s=2, p=1, d=1, output_padding=0, row=1, col=1)
    for name in NAMES:
        lo, hi = transposed.SLIDER_RANGES[name]
        assert lo <= transposed.DEFAULTS[name] <= hi


def test_render_sweeps_every_slider_combination():
    """Every combination of slider values, the selected cell at the four corners of the output.

    Valid combinations give a Figure whose three views equal utils.conv_transpose2d;
    invalid ones give a one-line string; nothing raises.
    """
    valid = 0
    for i, k, s, p, d, op in GRID:
        o = expected_size(i, k, s, p, d, op)
        expected = None if o is None else reference(i, k, s, p, d, op)
        last = 20 if o is None else o - 1  # invalid: the selectors stay where they were (max 20)
        for row, col in [(0, 0), (0, last), (last, 0), (last, last)]:
            result = transposed.render_transposed(i=i, k=k, s=s, p=p, d=d, output_padding=op,
                                                  row=row, col=col)
            where = f"i={i}, k={k}, s={s}, p={p}, d={d}, output_padding={op}, cell=({row}, {col})"
            if o is None:
                assert isinstance(result, str), where
                assert result and "\n" not in result, where
                continue
            assert isinstance(result, Figure), f"{where}: {result}"
            assert result.cell == (row, col), where
            assert set(result.views) == {"matrix", "scatter", "as_conv"}, where
            for name, view in result.views.items():
                assert view.shape == (o, o), f"{where}: {name}"
                np.testing.assert_allclose(view, expected, atol=1e-12, err_msg=f"{where}: {name}")
        valid += o is not None
    assert len(GRID) == 1152 and valid == 758


def test_render_draws_to_png():
    """Drawing happens only when the PNG is made: draw a sample, the largest settings included."""
    sample = [combo for combo in GRID if expected_size(*combo) is not None][::25]
    sample += [(5, 4, 3, 0, 2, 2), (5, 4, 1, 0, 1, 0), (2, 1, 1, 0, 1, 0)]
    for i, k, s, p, d, op in sample:
        figure = transposed.render_transposed(i=i, k=k, s=s, p=p, d=d, output_padding=op,
                                              row=1, col=1)
        assert utils.draw.to_png(figure).startswith(b"\x89PNG")


def test_render_clamps_the_selected_cell_to_the_output():
    for row, col, expected in [(20, 20, (4, 4)), (0, 2, (0, 2)), (7, 0, (4, 0))]:
        figure = transposed.render_transposed(i=3, k=3, s=2, p=1, d=1, output_padding=0,
                                              row=row, col=col)
        assert isinstance(figure, Figure) and figure.cell == expected
    # beyond the sliders' range (0 .. 20) it is refused in one line
    for row, col, bad in [(99, 0, "row"), (-3, 2, "row"), (7, -1, "col")]:
        message = transposed.render_transposed(i=3, k=3, s=2, p=1, d=1, output_padding=0,
                                               row=row, col=col)
        assert message.startswith(f"{bad} must be an int from 0 to 20"), message


def test_render_explains_invalid_combinations_in_one_line():
    message = transposed.render_transposed(i=3, k=3, s=2, p=1, d=1, output_padding=2, row=0, col=0)
    assert isinstance(message, str) and "output_padding must be smaller" in message
    message = transposed.render_transposed(i=2, k=1, s=1, p=3, d=1, output_padding=0, row=0, col=0)
    assert isinstance(message, str) and "padding=3" in message


def test_selected_cell_formula_matches_the_output():
    """The scatter terms drawn for a cell add up to that cell of the output."""
    for i, k, s, p, d, op in GRID[::7]:
        o = expected_size(i, k, s, p, d, op)
        if o is None:
            continue
        y, w = transposed.explorer_data(i, k)
        out = reference(i, k, s, p, d, op)
        for row, col in itertools.product(range(o), repeat=2):
            terms = transposed.scatter_terms(y, w, s, p, d, row, col)
            assert sum(y[a, b] * w[m, n] for a, b, m, n in terms) == pytest.approx(out[row, col])


def test_stretched_padded_roles():
    roles = transposed.stretched_padded_roles(2, 3, 2, 0, 1, 0)  # 2x2 input, k=3, s=2, p=0
    assert roles.shape == (7, 7)
    assert (roles == "input").sum() == 4 and (roles == "zeros").sum() == 5
    assert (roles == "padding").sum() == 49 - 9
    roles = transposed.stretched_padded_roles(3, 3, 2, 1, 1, 1)  # output_padding adds bottom/right
    assert roles.shape == (8, 8)
    assert (roles[-1] == "padding").all() and (roles[:, -1] == "padding").all()


def test_explorer_builds_with_the_default_state():
    pytest.importorskip("ipywidgets")
    box = transposed.transposed_explorer()
    controls = box.children[0].children
    values = {c.description: c.value for c in controls}
    assert values["input size i"] == 3 and values["kernel size k"] == 3
    assert values["stride s"] == 2 and values["padding p"] == 1
    assert values["dilation d"] == 1 and values["output_padding"] == 0
    row = next(c for c in controls if c.description == "output row")
    assert row.max == 4  # o - 1 for the default state: o = 5
    stride = next(c for c in controls if c.description == "stride s")
    stride.value = 1  # o = 3: the selectors follow
    assert row.max == 2


def test_figures_are_registered_and_render():
    assert all(name.startswith("03_") and name.endswith(".png") for name in transposed.FIGURES)
    for make in transposed.FIGURES.values():
        assert isinstance(make(), Figure)


# ---------------------------------------------------------------------------
# Exercise checkers: "Correct!" for the right answer, a hint (never the answer) otherwise
# ---------------------------------------------------------------------------


def run(checker, answer, capsys):
    result = checker(answer)
    return result, capsys.readouterr().out


CHECKERS = [
    (transposed.check_output_size, (5 - 1) * 3 - 2 * 1 + 1 * (4 - 1) + 1, 7),
    (transposed.check_ct_1d, [[1, 0], [2, 0], [3, 1], [0, 2], [0, 3]], [[1, 2, 3, 0, 0],
                                                                         [0, 0, 1, 2, 3]]),
    (transposed.check_view3_padding, 2 * (5 - 1) - 3, 4),
    (transposed.check_stamp_counts, (25, 20, 4), (20, 25, 4)),
]


@pytest.mark.parametrize("checker, right, wrong", CHECKERS)
def test_checkers(checker, right, wrong, capsys):
    result, out = run(checker, right, capsys)
    assert result is True and out.strip() == "Correct!"
    result, out = run(checker, wrong, capsys)
    assert result is False and out.startswith("Not yet. Hint:")
    result, out = run(checker, None, capsys)
    assert result is None and out.startswith("No answer yet")


def _conv_transpose1d_gather(y, w, stride, padding):
    """The definition, independent of utils: output[j] sums y[a]·w[m] over a·stride + m = j + padding."""
    o = (len(y) - 1) * stride - 2 * padding + len(w)
    return np.array([sum(y[a] * w[m] for a in range(len(y)) for m in range(len(w))
                         if a * stride + m == j + padding) for j in range(o)], dtype=float)


def test_conv_transpose1d_exercise_accepts_the_definition_and_rejects_a_missing_crop(capsys):
    result, out = run(transposed.check_conv_transpose1d, _conv_transpose1d_gather, capsys)
    assert result is True and out.startswith("Correct!")

    def forgets_padding(y, w, stride, padding):  # a common slip
        return _conv_transpose1d_gather(y, w, stride, 0)

    result, out = run(transposed.check_conv_transpose1d, forgets_padding, capsys)
    assert result is False and "padding=" in out and "Hint:" in out
    assert any(case["padding"] > 0 for case in transposed.conv_transpose1d_cases())


def test_ct_1d_checker_rejects_junk(capsys):
    result, out = run(transposed.check_ct_1d, "not a matrix", capsys)
    assert result is False and out.startswith("Not yet. Hint:")


def test_delta_question_explains_every_option_and_its_answer_holds():
    options = transposed.DELTA_OPTIONS
    assert sum(utils.exercises.explain_choice(options, transposed.KEPT, o).startswith("Right.")
               for o in options) == 1
    single = np.zeros((3, 3))
    single[1, 1] = 1
    C = utils.conv_matrix(single, (5, 5), stride=2, padding=1)  # 5x5 -> 3x3
    x = np.random.default_rng(0).standard_normal((5, 5))
    kept = np.zeros((5, 5))
    kept[::2, ::2] = x[::2, ::2]
    y = utils.conv2d_loops(x, single, stride=2, padding=1)
    back = utils.conv_transpose2d_scatter(y, single, stride=2, padding=1)  # the layer, not C.T
    np.testing.assert_allclose(back, kept)  # the right option, shape 5x5 included
    np.testing.assert_allclose((C.T @ C @ x.ravel()).reshape(5, 5), kept)
    np.testing.assert_allclose(C @ C.T, np.eye(9))  # CCᵀ = I: Cᵀ is even the pseudo-inverse
    CtC = C.T @ C
    assert np.allclose(CtC, np.diag(np.diag(CtC))) and not np.allclose(CtC, np.eye(25))


def test_output_size_hints_name_the_slip(capsys):
    for wrong, words in [(16, "subtract 2p"), (15, "each"), (13, "+ 1"), (17, "i − 1"), (2, "convolution's")]:
        result, out = run(transposed.check_output_size, wrong, capsys)
        assert result is False and words in out and "14" not in out, (wrong, out)


def test_render_draws_on_one_axes_through_draw():
    """Every grid through utils.draw on one Axes, whatever the settings."""
    for i, k, s, p, d, op in [(3, 3, 2, 1, 1, 0), (5, 4, 1, 0, 1, 0), (5, 4, 3, 0, 2, 2)]:
        figure = transposed.render_transposed(i=i, k=k, s=s, p=p, d=d, output_padding=op,
                                              row=20, col=20)
        assert len(figure.axes) == 1 and len(figure.axes[0].images) == 5
