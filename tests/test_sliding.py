"""Notebook 01's module: the explorer's render on every slider setting, figures, checkers."""

import itertools

import numpy as np
import pytest
from matplotlib.figure import Figure

import utils
from utils import sliding
from utils.example import example_input, example_kernel

SLIDER_VALUES = {name: range(low, high + 1) for name, (_, _, low, high) in sliding.SLIDERS.items()}


pytestmark = pytest.mark.usefixtures("freeze_long_lived_objects")


def count_windows(n, k, s, d):
    """Brute force: slide a window of k taps, d apart, along n cells in steps of s; count fits."""
    count, start = 0, 0
    while start + d * (k - 1) <= n - 1:
        count += 1
        start += s
    return count


def test_sliders_cover_the_issue_ranges():
    assert {n: (r.start, r.stop - 1) for n, r in SLIDER_VALUES.items()} == {
        "i": (3, 9), "k": (1, 5), "s": (1, 3), "p": (0, 3), "d": (1, 3)}
    # the gallery animation figures/gallery/conv_half_padding.gif shows the default state
    assert sliding.DEFAULT == dict(i=5, k=3, s=1, p=1, d=1)


# one test per (i, k): 35 small tests that pytest-xdist spreads over the cores
@pytest.mark.parametrize("i, k", list(itertools.product(SLIDER_VALUES["i"], SLIDER_VALUES["k"])))
def test_render_every_slider_combination(i, k):
    for s, p, d in itertools.product(*(SLIDER_VALUES[n] for n in "spd")):
        o = count_windows(i + 2 * p, k, s, d)
        for step in sorted({0, max(o * o - 1, 0)}):  # first and last step (one when o <= 1)
            result = sliding.render_sliding_window(i=i, k=k, s=s, p=p, d=d, step=step)
            where = f"i={i}, k={k}, s={s}, p={p}, d={d}, step={step}"
            if o >= 1:
                assert isinstance(result, Figure), where
                title = result.texts[1].get_text()
                assert f"position {min(step, o * o - 1)} (of 0 to {o * o - 1}):" in title, where
            else:
                assert isinstance(result, str), where
                assert result and "\n" not in result, where


def test_render_clamps_any_step():
    # a step beyond the output (the slider's max lags a slider change) shows the last cell
    fig = sliding.render_sliding_window(i=5, k=3, s=2, p=0, d=1, step=99)
    assert "position 3 (of 0 to 3): output[1, 1]" in fig.texts[1].get_text()
    # a step no control can give is refused in one line that names it and the range
    assert sliding.render_sliding_window(i=5, k=3, s=1, p=0, d=1, step=-1) == (
        "step must be an int from 0 to 224 (the explorer's range), got -1")


def test_render_shows_the_computed_value():
    x, w = example_input(5), example_kernel(3)  # the series' running example
    y = utils.conv2d_loops(x, w, padding=1)
    fig = sliding.render_sliding_window(i=5, k=3, s=1, p=1, d=1, step=7)  # output[1, 2]
    assert fig.texts[1].get_text().endswith(f"= {int(y[1, 2])}")


def test_render_to_png():
    png = utils.draw.to_png(sliding.render_sliding_window(i=9, k=5, s=1, p=3, d=3, step=48))
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_explorer_builds_and_adjusts_the_step_slider():
    pytest.importorskip("ipywidgets")
    box = sliding.sliding_window_explorer()
    controls, message, image = box.children[0].children, box.children[1], box.children[2]
    play, sliders = controls[0], {c.description: c for c in controls[1:]}
    assert sliders["position"].max == play.max == 24  # default: o = 5
    assert len(image.value) > 0 and message.value == ""
    sliders["position"].value = 24
    sliders["stride s"].value = 2  # o = 3: the position slider shrinks to 0..8
    assert sliders["position"].max == play.max == 8 and sliders["position"].value == 8
    sliders["kernel size k"].value = 5
    sliders["padding p"].value = 0
    sliders["dilation d"].value = 3  # spans 13 cells > 5: impossible
    assert message.value.startswith("<b>Not possible:</b>")


def test_figure_names():
    # tests/test_figures.py makes and writes every figure; here only the names are checked
    assert sliding.FIGURES and all(name.startswith("01_") and name.endswith(".png")
                                   for name in sliding.FIGURES)


# ---------------------------------------------------------------------------
# Exercise checkers: right -> "Correct!", wrong -> a hint without the answer, None -> no answer
# ---------------------------------------------------------------------------

def expected_answers():
    output_size = utils.conv_output_size(**sliding.OUTPUT_SIZE_QUESTION)
    q = sliding.ONE_VALUE_QUESTION
    value = utils.conv2d_loops(example_input(4), example_kernel(3),
                               padding=q["padding"])[q["row"], q["col"]]
    q = sliding.INPUT_SIZES_QUESTION
    sizes = [i for i in range(q["k"], 60)
             if utils.conv_output_size(i, q["k"], q["stride"], q["padding"]) == q["o"]]
    padding = sliding.SAME_PADDING_QUESTION["dilation"] * (sliding.SAME_PADDING_QUESTION["k"] - 1) // 2
    return {
        sliding.check_output_size: (output_size, [output_size + 1, output_size - 1, 0, 2.5, "5",
                                                  np.array([1, 2])]),
        sliding.check_one_value: (int(value), [int(value) + 1, -int(value), 0, [1, 2]]),
        sliding.check_same_padding: (padding, [padding + 1, padding - 1, 2, 0.5, str(padding)]),
        sliding.check_input_sizes: (sizes, [sizes[:1], sizes + [sizes[-1] + 1], [1, 2], 7, ["a", 1]]),
    }


@pytest.mark.parametrize("checker", list(expected_answers()), ids=lambda f: f.__name__)
def test_checkers(checker, capsys):
    right, wrongs = expected_answers()[checker]
    assert checker(None) is None
    assert capsys.readouterr().out.startswith("No answer yet")
    assert checker(right) is True
    assert capsys.readouterr().out.strip() == "Correct!"
    answer_texts = [str(v) for v in np.atleast_1d(right)]
    for wrong in wrongs:
        assert checker(wrong) is False, wrong
        out = capsys.readouterr().out
        assert out.startswith("Not yet. Hint:"), out
        hint = out.split("Hint:", 1)[1]
        for text in answer_texts:
            assert text not in hint, (wrong, hint)


def holes_right(w, dilation):
    """A right answer to exercise 5, written differently from the reference: place tap by tap."""
    kh, kw = w.shape
    holes = np.zeros((dilation * (kh - 1) + 1, dilation * (kw - 1) + 1))
    for a in range(kh):
        for b in range(kw):
            holes[a * dilation, b * dilation] = w[a, b]
    return holes


def test_kernel_with_holes_checker(capsys):
    assert sliding.check_kernel_with_holes(None) is None
    assert capsys.readouterr().out.startswith("No answer yet")
    assert sliding.check_kernel_with_holes(holes_right) is True
    assert capsys.readouterr().out.startswith("Correct!")
    assert sliding.check_kernel_with_holes(lambda w, dilation: None) is None
    assert capsys.readouterr().out.startswith("No answer yet")
    wrongs = [(lambda w, dilation: np.kron(w, np.ones((dilation, dilation))), "shape"),  # repeats, no holes
              (lambda w, dilation: holes_right(w[::-1, ::-1], dilation), "first wrong entry"),
              (lambda w, dilation: w[7], "IndexError"), (42, "TypeError")]
    for wrong, words in wrongs:
        assert sliding.check_kernel_with_holes(wrong) is False
        out = capsys.readouterr().out
        assert out.startswith("Not yet: for (") and words in out and "Hint:" in out, out
        assert "array([" not in out.partition("returned")[2], out  # a big result is summed up, not printed
    # sliding the kernel with holes is the dilated convolution
    x, w = example_input(9), example_kernel(3)
    for d in (1, 2, 3):
        assert np.allclose(utils.conv2d_loops(x, sliding.kernel_with_holes(w, d)),
                           utils.conv2d_loops(x, w, dilation=d))


def test_a_number_in_quotes_is_told_to_be_a_number(capsys):
    right = utils.conv_output_size(**sliding.OUTPUT_SIZE_QUESTION)
    assert sliding.check_output_size(str(right)) is False
    assert "give a number" in capsys.readouterr().out


def test_cells_read_checker(capsys):
    def right(i, k, s, p, d, r):
        return [j for j in (r * s + a * d - p for a in range(k)) if 0 <= j < i]

    def forgets_the_padding_offset(i, k, s, p, d, r):
        return [j for j in (r * s + a * d for a in range(k)) if 0 <= j < i]

    def keeps_the_padding(i, k, s, p, d, r):
        return [r * s + a * d - p for a in range(k)]

    assert sliding.check_cells_read(right) is True
    for wrong in (forgets_the_padding_offset, keeps_the_padding):
        assert sliding.check_cells_read(wrong) is False
        assert "Hint:" in capsys.readouterr().out
    # the reference agrees with the index formula, and the cases cover the edge cases
    assert all(sliding.cells_read_by_slicing(**case) == right(**case) for case in sliding.CELLS_READ_CASES)
    cases = sliding.CELLS_READ_CASES
    assert any((c["i"] + 2 * c["p"] - c["d"] * (c["k"] - 1) - 1) % c["s"] for c in cases)
    assert any(c["d"] > 1 for c in cases) and any(c["p"] > 0 for c in cases)
    assert any(right(**c) == [] for c in cases)


def test_padding_question_has_one_right_option_and_explains_every_option():
    q = sliding.PADDING_QUESTION
    assert q["correct"] in q["options"] and len(q["options"]) >= 3
    assert all(len(why.split()) >= 10 for why in q["options"].values())
