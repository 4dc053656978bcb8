"""Feedback for the exercises at the end of each notebook.

Three kinds of exercise, each checked here:
- a number (or array): `check_value` compares it with a value the checker computes itself;
- a function the learner writes: `check_function` runs it on cases the notebook never showed and
  names the first case it gets wrong;
- a question about a common misconception: `choice` shows the options as buttons and, for the one
  picked, explains why it is right or wrong (`explain_choice` is the same text, for tests).
A wrong answer gets a hint, never the answer. Each exercise is followed by a worked solution in a
collapsed Markdown block; the tests run every solution through its checker.
"""

import numpy as np

NO_ANSWER = "No answer yet: replace None with your answer and run the cell again."


def feedback(answer, correct, hint):
    """Print the verdict on one answer; `correct` is a bool computed by the checker."""
    if answer is None:
        print(NO_ANSWER)
    elif correct:
        print("Correct!")
    else:
        print(f"Not yet. Hint: {hint}")
    return None if answer is None else bool(correct)


def _same(answer, expected, atol=1e-9):
    try:
        return np.shape(answer) == np.shape(expected) and bool(np.allclose(answer, expected, atol=atol))
    except (TypeError, ValueError):
        return False


def _brief(got, expected):
    """repr(got); for a numeric array of over 9 entries, its shape and, if right, its first wrong entry."""
    if not isinstance(got, np.ndarray) or got.size <= 9 or got.dtype.kind not in "biuf":
        return repr(got)
    wrong = np.argwhere(~np.isclose(got, expected, atol=1e-9)) if got.shape == np.shape(expected) else ()
    return f"an array of shape {got.shape}" + (f" whose first wrong entry is {list(map(int, wrong[0]))}"
                                               if len(wrong) else f" (the right shape is {np.shape(expected)})")


def check_value(answer, expected, hint, atol=1e-9):
    """Check a number, a tuple of numbers or an array against the expected value."""
    if answer is None:
        return feedback(None, False, hint)
    return feedback(answer, _same(answer, expected, atol), hint)


def check_function(function, reference, cases, hint):
    """Run the learner's function on every case (a dict of keyword arguments) against `reference`.

    Prints "Correct!" with the number of cases, or the first case that fails (its arguments and
    what the function returned or raised) and a hint; never the expected value.
    """
    if function is None:
        return feedback(None, False, hint)
    for n, case in enumerate(cases):
        call = ", ".join(f"{name}={value!r}" for name, value in case.items())
        try:
            got = function(**{name: np.copy(v) if isinstance(v, np.ndarray) else v for name, v in case.items()})
        except Exception as error:  # the learner's code may raise anything; report it as a failed case
            print(f"Not yet: for ({call}) your function raised {type(error).__name__}: {error}\nHint: {hint}")
            return False
        if got is None and n == 0:  # the body is still `...`
            print("No answer yet: your function returns None. Write its body and run the cell again.")
            return None
        if not _same(got, expected := reference(**case)):
            print(f"Not yet: for ({call}) your function returned {_brief(got, expected)}, which is not right.\nHint: {hint}")
            return False
    print(f"Correct! Your function agrees on all {len(cases)} cases, none of them from this notebook.")
    return True


def explain_choice(options, correct, picked):
    """The feedback for one option: options maps each option's text to why it is right or wrong."""
    if picked not in options:
        raise ValueError(f"picked must be one of the options {list(options)}, got {picked!r}")
    verdict = "Right." if picked == correct else "Not quite."
    return f"{verdict} {options[picked]}"


def choice(question, options, correct):
    """A multiple-choice question as buttons; picking one shows why it is right or wrong."""
    import ipywidgets as widgets

    if correct not in options:
        raise ValueError(f"correct must be one of the options {list(options)}, got {correct!r}")
    buttons = widgets.RadioButtons(options=list(options), value=None, layout=widgets.Layout(width="auto"))
    answer = widgets.HTML()

    def show(change):
        if change["new"] is not None:
            answer.value = explain_choice(options, correct, change["new"])

    buttons.observe(show, names="value")
    return widgets.VBox([widgets.HTML(f"<b>{question}</b>"), buttons, answer])
