"""The exercise checkers, and every worked solution in the notebooks run through its checker.

A worked solution is a Markdown cell tagged `solution` that holds a collapsed ```python block
ending with the checker call. The test runs the notebook's imports, the exercise's own code
cell (the code cell just before the solution), then the solution, and expects "Correct" from
every checker it calls, so a solution cannot go stale.
"""

import ast
import contextlib
import io
import json
import re
from pathlib import Path

import numpy as np
import pytest

from utils import exercises

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_PATHS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def printed(function, *args, **kwargs):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        result = function(*args, **kwargs)
    return result, out.getvalue()


# --- the checkers -----------------------------------------------------------------------------

def _size(i, k, s):
    return (i - k) // s + 1


CASES = [dict(i=i, k=k, s=s) for i in (5, 8) for k in (1, 3) for s in (1, 2)]


def test_check_function_accepts_a_right_function():
    result, text = printed(exercises.check_function, lambda i, k, s: (i - k) // s + 1, _size, CASES, "hint")
    assert result is True and "Correct" in text and str(len(CASES)) in text


def test_check_function_names_the_first_failing_case_without_the_answer():
    def off_by_one_for_stride_2(i, k, s):
        return (i - k) // s + (2 if s == 2 else 1)

    result, text = printed(exercises.check_function, off_by_one_for_stride_2, _size, CASES, "the floor")
    assert result is False and "i=5, k=1, s=2" in text and "returned 4" in text and "the floor" in text
    assert "3" not in text.split("returned 4")[1]  # the expected value (3) is not given away


def test_check_function_reports_an_exception_as_a_failed_case():
    result, text = printed(exercises.check_function, lambda i, k, s: i // 0, _size, CASES, "hint")
    assert result is False and "ZeroDivisionError" in text


def test_check_function_gives_the_learner_copies_of_arrays():
    def mutating(x):
        x[...] = 0
        return x.sum()

    cases = [dict(x=np.arange(4.0))]
    result, _ = printed(exercises.check_function, mutating, lambda x: x.sum(), cases, "hint")
    assert result is False and cases[0]["x"].sum() == 6  # the reference saw the original input


def test_check_function_without_an_answer_says_so():
    result, text = printed(exercises.check_function, None, _size, CASES, "hint")
    assert result is None and exercises.NO_ANSWER in text


def test_check_function_with_an_unwritten_body_says_so():
    def unwritten(i, k, s):
        ...

    result, text = printed(exercises.check_function, unwritten, _size, CASES, "hint")
    assert result is None and "No answer yet" in text


def test_explain_choice_explains_every_option():
    options = {"a": "because A.", "b": "because B."}
    assert exercises.explain_choice(options, "a", "a") == "Right. because A."
    assert exercises.explain_choice(options, "a", "b") == "Not quite. because B."
    with pytest.raises(ValueError, match="picked"):
        exercises.explain_choice(options, "a", "c")


def test_choice_widget_shows_the_explanation_of_the_picked_option():
    pytest.importorskip("ipywidgets")
    options = {"a": "because A.", "b": "because B."}
    box = exercises.choice("Which?", options, correct="a")
    buttons, answer = box.children[1], box.children[2]
    assert buttons.value is None and answer.value == ""
    buttons.value = "b"
    assert answer.value == exercises.explain_choice(options, "a", "b")
    with pytest.raises(ValueError, match="correct"):
        exercises.choice("Which?", options, correct="z")


# --- every worked solution passes its checker --------------------------------------------------

def _imports(source):
    """The top-level import statements of a cell, as source (none if it does not parse)."""
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return ""
    return "\n".join(ast.unparse(node) for node in body if isinstance(node, (ast.Import, ast.ImportFrom)))


def _solutions(path):
    """[(exercise cell source, solution code)] of one notebook, and its import cells."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    imports = [_imports("".join(c["source"])) for c in cells if c["cell_type"] == "code"]
    found = []
    for index, cell in enumerate(cells):
        if "solution" in cell["metadata"].get("tags", []):
            code = re.findall(r"```python\n(.*?)```", "".join(cell["source"]), re.DOTALL)
            exercise = next("".join(c["source"]) for c in reversed(cells[:index]) if c["cell_type"] == "code")
            found.append((exercise, "\n".join(code)))
    return imports, found


SOLUTIONS = [(path, n) for path in NOTEBOOK_PATHS for n in range(len(_solutions(path)[1]))]


@pytest.mark.parametrize("path,n", SOLUTIONS, ids=[f"{p.stem[:2]}-{n + 1}" for p, n in SOLUTIONS])
def test_worked_solution_passes_its_checker(path, n):
    imports, found = _solutions(path)
    exercise, solution = found[n]
    namespace = {}
    with contextlib.redirect_stdout(io.StringIO()):
        for source in imports:
            exec(source, namespace)
        exec(exercise, namespace)  # the exercise's own set-up (its answer is still None)
    _, text = printed(exec, solution, namespace)
    assert "Correct" in text and "Not yet" not in text and exercises.NO_ANSWER not in text, \
        f"{path.name}, solution {n + 1}:\n{solution}\nprinted:\n{text}"


@pytest.mark.parametrize("path", NOTEBOOK_PATHS, ids=lambda p: p.name)
def test_every_exercise_has_a_worked_solution(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    for index, cell in enumerate(cells):
        source = "".join(cell["source"])
        if cell["cell_type"] == "code" and re.search(r"#\s*your (answer|code|function)", source):
            following = next((c for c in cells[index + 1:] if c["cell_type"] == "markdown"), {"metadata": {}})
            assert "solution" in following["metadata"].get("tags", []), \
                f"{path.name}: no worked solution after the exercise:\n{source[:200]}"
